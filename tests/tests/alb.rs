//! The regional entry point's kinds (`elbv2.load_balancer`, `elbv2.target_group`,
//! `elbv2.listener`, `wafv2.web_acl`, `wafv2.web_acl_association`), declared through the spec's
//! `resources` section: an internet-facing load balancer in the public subnets, an HTTPS
//! listener with a user's ACM certificate forwarding to a target group checked on /health, HTTP
//! redirected to HTTPS, and a regional web ACL (rate limit, geo block, AWS managed groups)
//! associated with it. Built, changed in place (the web ACL through its lock token), and
//! removed, checked by describe calls.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_elasticloadbalancingv2::types::{ActionTypeEnum, LoadBalancerStateEnum};
use provision_tests::*;
use std::path::{Path, PathBuf};

const RESOURCES: &str = r#"
resources:
  us-east-1/ec2.security_group/web:
    properties:
      vpc_id: ${us-east-1/ec2.vpc/main#id}
      group_name: pyairtable-dev-web
      description: Public HTTPS entry point
  us-east-1/ec2.security_group_rule/web-https:
    properties:
      security_group_id: ${us-east-1/ec2.security_group/web#id}
      direction: ingress
      ip_protocol: tcp
      from_port: 443
      to_port: 443
      cidr_ipv4: 0.0.0.0/0
      description: HTTPS from anywhere
  us-east-1/elbv2.load_balancer/web:
    properties:
      name: pyairtable-dev-web
      scheme: internet-facing
      subnets:
        - ${us-east-1/ec2.subnet/public-a#id}
        - ${us-east-1/ec2.subnet/public-b#id}
      security_groups:
        - ${us-east-1/ec2.security_group/web#id}
  us-east-1/elbv2.target_group/web:
    properties:
      name: pyairtable-dev-web
      protocol: HTTP
      port: 8080
      vpc_id: ${us-east-1/ec2.vpc/main#id}
      target_type: ip
      health_check_path: /health
      health_check_interval_s: INTERVAL
      health_check_timeout_s: 5
      healthy_threshold: 3
      unhealthy_threshold: 3
      matcher: "200-399"
  us-east-1/elbv2.listener/https:
    properties:
      load_balancer_arn: ${us-east-1/elbv2.load_balancer/web#arn}
      port: 443
      protocol: HTTPS
      ssl_policy: POLICY
      certificate_arn: CERT
      action: forward
      target_group_arn: ${us-east-1/elbv2.target_group/web#arn}
  us-east-1/elbv2.listener/http:
    properties:
      load_balancer_arn: ${us-east-1/elbv2.load_balancer/web#arn}
      port: 80
      protocol: HTTP
      action: redirect
      redirect:
        protocol: HTTPS
        port: "443"
        status_code: HTTP_301
  us-east-1/wafv2.web_acl/web:
    properties:
      name: pyairtable-dev-web
      description: Rate limit and managed rules for the load balancer
      default_action: allow
      rate_limit: RATE
      blocked_countries: [KP]
      managed_rules:
        - AWSManagedRulesCommonRuleSet
        - AWSManagedRulesKnownBadInputsRuleSet
        - AWSManagedRulesSQLiRuleSet
  us-east-1/wafv2.web_acl_association/web:
    properties:
      resource_arn: ${us-east-1/elbv2.load_balancer/web#arn}
      web_acl_arn: ${us-east-1/wafv2.web_acl/web#arn}
"#;

fn spec(dir: &Path, cert: &str, interval: u32, policy: &str, rate: u32) -> PathBuf {
    let dev = std::fs::read_to_string(repo_root().join(DEV)).unwrap();
    let resources = RESOURCES
        .replace("CERT", cert)
        .replace("INTERVAL", &interval.to_string())
        .replace("POLICY", policy)
        .replace("RATE", &rate.to_string());
    let path = dir.join("dev-alb.yaml");
    std::fs::write(&path, format!("{dev}{resources}")).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn an_https_load_balancer_is_built_changed_in_place_and_removed() {
    let emu = Emulator::start();
    let cert = emu.import_test_certificate("us-east-1").await;
    let p = Provision::new(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let first = spec(
        dir.path(),
        &cert,
        30,
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        2000,
    );
    let first = first.to_str().unwrap();
    p.ok(&["up", first, "--yes"]);

    let elb = emu.elbv2("us-east-1").await;
    let lbs = elb
        .describe_load_balancers()
        .names("pyairtable-dev-web")
        .send()
        .await
        .unwrap();
    let lb = &lbs.load_balancers()[0];
    let lb_arn = lb.load_balancer_arn().unwrap().to_string();
    assert_eq!(
        lb.state().and_then(|s| s.code()),
        Some(&LoadBalancerStateEnum::Active)
    );
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internet-facing"));
    assert_eq!(lb.availability_zones().len(), 2);
    assert_eq!(lb.security_groups().len(), 1);

    let tgs = elb
        .describe_target_groups()
        .names("pyairtable-dev-web")
        .send()
        .await
        .unwrap();
    let tg = &tgs.target_groups()[0];
    let tg_arn = tg.target_group_arn().unwrap().to_string();
    assert_eq!(tg.health_check_path(), Some("/health"));
    assert_eq!(tg.health_check_interval_seconds(), Some(30));
    assert_eq!(tg.unhealthy_threshold_count(), Some(3));

    let listeners = elb
        .describe_listeners()
        .load_balancer_arn(&lb_arn)
        .send()
        .await
        .unwrap();
    let https = listeners
        .listeners()
        .iter()
        .find(|l| l.port() == Some(443))
        .expect("an HTTPS listener");
    let https_arn = https.listener_arn().unwrap().to_string();
    assert_eq!(https.protocol().map(|x| x.as_str()), Some("HTTPS"));
    assert_eq!(
        https.ssl_policy(),
        Some("ELBSecurityPolicy-TLS13-1-2-2021-06")
    );
    assert_eq!(
        https.certificates()[0].certificate_arn(),
        Some(cert.as_str())
    );
    let forward = &https.default_actions()[0];
    assert_eq!(forward.r#type(), Some(&ActionTypeEnum::Forward));
    let http = listeners
        .listeners()
        .iter()
        .find(|l| l.port() == Some(80))
        .expect("an HTTP listener");
    let redirect = http.default_actions()[0].redirect_config().unwrap();
    assert_eq!(redirect.protocol(), Some("HTTPS"));
    assert_eq!(redirect.port(), Some("443"));
    assert_eq!(redirect.status_code().map(|c| c.as_str()), Some("HTTP_301"));
    // Tagged like every resource of the stack.
    let tags = elb
        .describe_tags()
        .resource_arns(&lb_arn)
        .send()
        .await
        .unwrap();
    assert!(tags.tag_descriptions()[0]
        .tags()
        .iter()
        .any(|t| t.key() == Some("provision:address")
            && t.value() == Some("us-east-1/elbv2.load_balancer/web")));

    // The regional web ACL guards the load balancer: rate limit, geo block, managed groups.
    let waf = emu.wafv2("us-east-1").await;
    let acl = waf
        .get_web_acl_for_resource()
        .resource_arn(&lb_arn)
        .send()
        .await
        .unwrap();
    let acl = acl.web_acl().expect("a web ACL on the load balancer");
    let acl_arn = acl.arn().to_string();
    let rate = acl
        .rules()
        .iter()
        .find_map(|r| r.statement()?.rate_based_statement())
        .expect("a rate-based rule");
    assert_eq!(rate.limit(), 2000);
    let managed: Vec<&str> = acl
        .rules()
        .iter()
        .filter_map(|r| r.statement()?.managed_rule_group_statement())
        .map(|m| m.name())
        .collect();
    assert_eq!(
        managed,
        [
            "AWSManagedRulesCommonRuleSet",
            "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesSQLiRuleSet"
        ]
    );
    assert!(acl.rules().iter().any(|r| r
        .statement()
        .and_then(|s| s.geo_match_statement())
        .is_some()));

    let diff = p.run(&["diff", first, "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "not a no-op after up: {diff:?}");

    // The rate limit changed outside provision (with a fresh lock token, as AWS requires) is
    // drift, and up puts the spec's limit back on the same web ACL.
    let (name, id) = (acl.name().to_string(), acl.id().to_string());
    let got = waf
        .get_web_acl()
        .name(&name)
        .id(&id)
        .scope(aws_sdk_wafv2::types::Scope::Regional)
        .send()
        .await
        .unwrap();
    let current = got.web_acl().unwrap();
    let rules: Vec<aws_sdk_wafv2::types::Rule> = current
        .rules()
        .iter()
        .map(|r| {
            let Some(rate) = r.statement().and_then(|s| s.rate_based_statement()) else {
                return r.clone();
            };
            let mut rate = rate.clone();
            rate.limit = 5000;
            let mut r = r.clone();
            r.statement = Some(
                aws_sdk_wafv2::types::Statement::builder()
                    .rate_based_statement(rate)
                    .build(),
            );
            r
        })
        .collect();
    waf.update_web_acl()
        .name(&name)
        .id(&id)
        .scope(aws_sdk_wafv2::types::Scope::Regional)
        .lock_token(got.lock_token().unwrap())
        .set_default_action(current.default_action().cloned())
        .set_description(current.description().map(str::to_string))
        .set_rules(Some(rules))
        .set_visibility_config(current.visibility_config().cloned())
        .send()
        .await
        .unwrap();
    let diff = p.run(&["diff", first, "--json"]);
    let doc: serde_json::Value = serde_json::from_str(&diff.stdout).unwrap();
    let drift = doc["drift"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["address"] == "us-east-1/wafv2.web_acl/web")
        .unwrap_or_else(|| panic!("no drift for the web ACL: {}", diff.stdout));
    assert_eq!(drift["fields"][0]["name"], "rate_limit");
    assert_eq!(drift["fields"][0]["recorded"], 2000);
    assert_eq!(drift["fields"][0]["live"], 5000);
    p.ok(&["up", first, "--yes"]);
    let acl_now = waf
        .get_web_acl_for_resource()
        .resource_arn(&lb_arn)
        .send()
        .await
        .unwrap();
    let acl_now = acl_now.web_acl().unwrap();
    assert_eq!(acl_now.arn(), acl_arn);
    let rate = acl_now
        .rules()
        .iter()
        .find_map(|r| r.statement()?.rate_based_statement())
        .unwrap();
    assert_eq!(rate.limit(), 2000);

    // The health check interval and the TLS policy change in place: same ARNs.
    let second = spec(
        dir.path(),
        &cert,
        15,
        "ELBSecurityPolicy-TLS-1-2-2017-01",
        1000,
    );
    let second = second.to_str().unwrap();
    let diff = p.run(&["diff", second]);
    assert!(
        diff.stdout.contains("~ health_check_interval_s = 30 -> 15"),
        "{diff:?}"
    );
    assert!(
        diff.stdout.contains("~ rate_limit = 2000 -> 1000"),
        "{diff:?}"
    );
    assert!(
        diff.stdout
            .contains("Plan: 0 to add, 3 to change, 0 to destroy."),
        "{diff:?}"
    );
    p.ok(&["up", second, "--yes"]);
    let tg = elb
        .describe_target_groups()
        .target_group_arns(&tg_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        tg.target_groups()[0].health_check_interval_seconds(),
        Some(15)
    );
    let l = elb
        .describe_listeners()
        .listener_arns(&https_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        l.listeners()[0].ssl_policy(),
        Some("ELBSecurityPolicy-TLS-1-2-2017-01")
    );
    // The rate limit changed through UpdateWebACL with the lock token: the same web ACL.
    let acl = waf
        .get_web_acl_for_resource()
        .resource_arn(&lb_arn)
        .send()
        .await
        .unwrap();
    let acl = acl.web_acl().unwrap();
    assert_eq!(acl.arn(), acl_arn);
    let rate = acl
        .rules()
        .iter()
        .find_map(|r| r.statement()?.rate_based_statement())
        .unwrap();
    assert_eq!(rate.limit(), 1000);
    assert_eq!(p.run(&["diff", second, "--detailed-exitcode"]).code, 0);

    // Without the resources, they go: listeners, then the load balancer and target group.
    p.ok(&["up", DEV, "--yes"]);
    let left = elb.describe_load_balancers().send().await.unwrap();
    assert!(left.load_balancers().is_empty(), "{left:?}");
    let left = elb.describe_target_groups().send().await.unwrap();
    assert!(left.target_groups().is_empty(), "{left:?}");
    let left = waf
        .list_web_acls()
        .scope(aws_sdk_wafv2::types::Scope::Regional)
        .send()
        .await
        .unwrap();
    assert!(left.web_acls().is_empty(), "{left:?}");
    assert_eq!(p.run(&["diff", DEV, "--detailed-exitcode"]).code, 0);
}
