//! Changes made outside provision: diff names exactly the changed resources as in-place
//! updates, and up restores the spec's values without replacing anything. This drives every
//! EC2 update operation over HTTP through the real SDK.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_ec2::types::{
    AttributeBooleanValue, RuleAction, SecurityGroupRuleRequest, SecurityGroupRuleUpdate, Tag,
};
use provision_tests::*;
use serde_json::Value;
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread")]
async fn drift_is_reported_per_resource_and_repaired_in_place() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", DEV, "--yes"]);
    let st = p.state("pyairtable-dev");
    let id = |a: &str| st.resources[&a.parse().unwrap()].id.clone().unwrap();
    let ec2 = emu.ec2("us-east-1").await;

    // A tag removed, DNS hostnames off, a subnet attribute flipped.
    let vpc = id("us-east-1/ec2.vpc/main");
    ec2.delete_tags()
        .resources(&vpc)
        .tags(Tag::builder().key("Environment").build())
        .send()
        .await
        .unwrap();
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(false).build())
        .send()
        .await
        .unwrap();
    ec2.modify_subnet_attribute()
        .subnet_id(id("us-east-1/ec2.subnet/public-a"))
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(false).build())
        .send()
        .await
        .unwrap();
    // A security-group rule's description.
    let rule = st.resources[&"us-east-1/ec2.security_group_rule/database-from-nodes"
        .parse()
        .unwrap()]
        .clone();
    ec2.modify_security_group_rules()
        .group_id(rule.observed["security_group_id"].as_str().unwrap())
        .security_group_rules(
            SecurityGroupRuleUpdate::builder()
                .security_group_rule_id(rule.id.clone().unwrap())
                .security_group_rule(
                    SecurityGroupRuleRequest::builder()
                        .ip_protocol("tcp")
                        .from_port(5432)
                        .to_port(5432)
                        .referenced_group_id(
                            rule.observed["source_security_group_id"].as_str().unwrap(),
                        )
                        .description("changed by hand")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    // A network ACL entry turned to deny.
    ec2.replace_network_acl_entry()
        .network_acl_id(id("us-east-1/ec2.network_acl/private"))
        .rule_number(200)
        .egress(false)
        .protocol("6")
        .rule_action(RuleAction::Deny)
        .cidr_block("0.0.0.0/0")
        .port_range(
            aws_sdk_ec2::types::PortRange::builder()
                .from(1024)
                .to(65535)
                .build(),
        )
        .send()
        .await
        .unwrap();
    // The public default route pointed at the NAT gateway instead of the internet gateway.
    let (rt, _) = id("us-east-1/ec2.route/public-default")
        .split_once('|')
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .unwrap();
    ec2.replace_route()
        .route_table_id(&rt)
        .destination_cidr_block("0.0.0.0/0")
        .nat_gateway_id(id("us-east-1/ec2.nat_gateway/a"))
        .send()
        .await
        .unwrap();
    // A public subnet moved to the private route table.
    ec2.replace_route_table_association()
        .association_id(id("us-east-1/ec2.route_table_association/public-b"))
        .route_table_id(id("us-east-1/ec2.route_table/private"))
        .send()
        .await
        .unwrap();
    // The internet gateway detached.
    ec2.detach_internet_gateway()
        .internet_gateway_id(id("us-east-1/ec2.internet_gateway/main"))
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();

    let diff = p.run(&["diff", "--json", "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    let plan: Value = serde_json::from_str(&diff.stdout).unwrap();
    let changed: BTreeSet<(String, String)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["action"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        "us-east-1/ec2.vpc/main",
        "us-east-1/ec2.subnet/public-a",
        "us-east-1/ec2.security_group_rule/database-from-nodes",
        "us-east-1/ec2.network_acl/private",
        "us-east-1/ec2.route/public-default",
        "us-east-1/ec2.route_table_association/public-b",
        "us-east-1/ec2.internet_gateway/main",
    ]
    .iter()
    .map(|a| (a.to_string(), "update".to_string()))
    .collect();
    assert_eq!(changed, expected, "{}", diff.stdout);
    // Apart from the plan, each is reported as changed outside provision, with the recorded
    // and the live value of each field.
    let drifted: BTreeSet<(String, String)> = plan["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["address"].as_str().unwrap().to_string(),
                "update".to_string(),
            )
        })
        .collect();
    assert_eq!(drifted, expected, "{}", diff.stdout);
    let vpc_drift = plan["drift"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["address"] == "us-east-1/ec2.vpc/main")
        .unwrap();
    let dns = vpc_drift["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "enable_dns_hostnames")
        .unwrap();
    assert_eq!(
        (&dns["recorded"], &dns["live"]),
        (&Value::Bool(true), &Value::Bool(false))
    );
    let text = p.run(&["diff"]);
    assert!(
        text.stdout.contains("Changed outside provision"),
        "{text:?}"
    );
    assert!(
        text.stdout
            .contains("      enable_dns_hostnames: true -> false"),
        "{text:?}"
    );
    assert!(text.stdout.contains("      tags.Environment: "), "{text:?}");

    let before = p.ids("pyairtable-dev");
    p.ok(&["up", DEV, "--yes"]);
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{diff:?}");
    let after = p.ids("pyairtable-dev");
    for (a, id) in &before {
        // Moving an association gives it a new id; everything else keeps its id.
        if !a.contains("route_table_association/public-b") {
            assert_eq!(&after[a], id, "{a} was replaced");
        }
    }
    // And the values are back, as AWS reports them.
    let out = ec2
        .describe_vpc_attribute()
        .vpc_id(&vpc)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .unwrap();
    assert_eq!(
        out.enable_dns_hostnames().and_then(|v| v.value()),
        Some(true)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_object_deleted_outside_is_recreated() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", DEV, "--yes"]);
    let st = p.state("pyairtable-dev");
    let rule = st.resources[&"eu-west-1/ec2.security_group_rule/cache-from-nodes"
        .parse()
        .unwrap()]
        .clone();
    let ec2 = emu.ec2("eu-west-1").await;
    ec2.revoke_security_group_ingress()
        .group_id(rule.observed["security_group_id"].as_str().unwrap())
        .security_group_rule_ids(rule.id.clone().unwrap())
        .send()
        .await
        .unwrap();
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(
        diff.stdout
            .contains("+ eu-west-1/ec2.security_group_rule/cache-from-nodes will be created"),
        "{diff:?}"
    );
    assert!(
        diff.stdout.contains("deleted outside provision"),
        "{diff:?}"
    );
    assert!(
        diff.stdout
            .contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{diff:?}"
    );
    p.ok(&["up", DEV, "--yes"]);
    assert_eq!(p.run(&["diff", "--detailed-exitcode"]).code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tag_added_a_rule_removed_and_a_subnet_deleted_are_drift_and_repaired() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", DEV, "--yes"]);
    let st = p.state("pyairtable-dev");
    let id = |a: &str| st.resources[&a.parse().unwrap()].id.clone().unwrap();
    let ec2 = emu.ec2("eu-west-1").await;
    let vpc = id("eu-west-1/ec2.vpc/main");
    ec2.create_tags()
        .resources(&vpc)
        .tags(Tag::builder().key("Owner").value("someone").build())
        .send()
        .await
        .unwrap();
    let rule = st.resources[&"eu-west-1/ec2.security_group_rule/cache-from-nodes"
        .parse()
        .unwrap()]
        .clone();
    ec2.revoke_security_group_ingress()
        .group_id(rule.observed["security_group_id"].as_str().unwrap())
        .security_group_rule_ids(rule.id.clone().unwrap())
        .send()
        .await
        .unwrap();
    let subnet = id("eu-west-1/ec2.subnet/public-b");
    ec2.delete_subnet().subnet_id(&subnet).send().await.unwrap();

    let diff = p.run(&["diff", "--json"]);
    assert_eq!(diff.code, 0, "{diff:?}");
    let plan: Value = serde_json::from_str(&diff.stdout).unwrap();
    let drift = |a: &str| {
        plan["drift"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["address"] == a)
            .cloned()
            .unwrap_or_else(|| panic!("no drift for {a}: {}", diff.stdout))
    };
    let vpc_drift = drift("eu-west-1/ec2.vpc/main");
    let tags = &vpc_drift["fields"][0];
    assert_eq!(tags["name"], "tags");
    assert_eq!(tags["recorded"].get("Owner"), None);
    assert_eq!(tags["live"]["Owner"], "someone");
    assert_eq!(
        drift("eu-west-1/ec2.security_group_rule/cache-from-nodes")["gone"],
        true
    );
    assert_eq!(drift("eu-west-1/ec2.subnet/public-b")["gone"], true);
    let action = |a: &str| {
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == a)
            .map(|c| c["action"].as_str().unwrap().to_string())
    };
    assert_eq!(action("eu-west-1/ec2.vpc/main").as_deref(), Some("update"));
    assert_eq!(
        action("eu-west-1/ec2.security_group_rule/cache-from-nodes").as_deref(),
        Some("create")
    );
    assert_eq!(
        action("eu-west-1/ec2.subnet/public-b").as_deref(),
        Some("create")
    );

    p.ok(&["up", DEV, "--yes"]);
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{diff:?}");
    assert!(
        !diff.stdout.contains("Changed outside provision"),
        "{diff:?}"
    );
    let tags = ec2
        .describe_tags()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("resource-id")
                .values(&vpc)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(!tags.tags().iter().any(|t| t.key() == Some("Owner")));
    let st = p.state("pyairtable-dev");
    let new_subnet = st.resources[&"eu-west-1/ec2.subnet/public-b".parse().unwrap()]
        .id
        .clone()
        .unwrap();
    assert_ne!(new_subnet, subnet);
}
