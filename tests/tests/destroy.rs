//! Tearing down one region, then the rest, checked by describe calls.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::edge::{cloudfront_origins, edge_pointing_at};
use provision_tests::*;

#[tokio::test(flavor = "multi_thread")]
async fn region_teardown_then_full_destroy() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    let stack = "pyairtable-prod";
    p.ok(&["up", PROD, "--yes"]);
    // The whole edge of specs/prod.yaml, as its describe calls show it.
    provision_tests::edge::check_edge(
        &emu,
        &p,
        &provision_tests::edge::Expected {
            stack,
            zone: "pyairtable.example.com",
            domain: "api.pyairtable.example.com",
            // The region the database's backups are copied to.
            secondary: "eu-west-1",
            email: "oncall@example.com",
            regions: &REGIONS,
            azs: 3,
            rate: 2000,
        },
    )
    .await;
    let before = p.ids(stack);
    let ap_alb = p.state(stack).resources
        [&"ap-southeast-1/elbv2.load_balancer/web".parse().unwrap()]
        .observed["dns_name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(edge_pointing_at(&emu, &p, stack, &ap_alb).await, (1, 1, 1));
    let ap = census(&emu, "ap-southeast-1", stack).await;
    assert!(ap.iter().all(|(_, n)| *n > 0), "{ap:?}");

    let out = p.ok(&["destroy", "--region", "ap-southeast-1", "--yes"]);
    assert!(
        out.stdout.contains("0 to add, 3 to change, 99 to destroy."),
        "{out:?}"
    );
    let ap = census(&emu, "ap-southeast-1", stack).await;
    assert_eq!(total(&ap), 0, "left in ap-southeast-1: {ap:?}");
    // The region's MSK cluster and its replicator are gone; the primary's cluster, and the
    // replicator that mirrors it to eu-west-1, stay.
    let msk = |r: &'static str| {
        let emu = &emu;
        async move {
            let k = emu.kafka(r).await;
            let clusters = k.list_clusters().send().await.unwrap();
            let replicators = k.list_replicators().send().await.unwrap();
            (
                clusters.cluster_info_list().len(),
                replicators.replicators().len(),
            )
        }
    };
    assert_eq!(msk("ap-southeast-1").await, (0, 0));
    assert_eq!(msk("us-east-1").await, (1, 0));
    assert_eq!(msk("eu-west-1").await, (1, 1));
    // Its EKS cluster, database replica and Redis are gone; the primary and eu-west-1's
    // replica stay, with their ids.
    let data = |r: &'static str| {
        let emu = &emu;
        async move {
            let eks = emu.eks(r).await.list_clusters().send().await.unwrap();
            let dbs = emu
                .rds(r)
                .await
                .describe_db_instances()
                .send()
                .await
                .unwrap();
            let redis = emu
                .elasticache(r)
                .await
                .describe_replication_groups()
                .send()
                .await
                .unwrap();
            let mut dbs: Vec<String> = dbs
                .db_instances()
                .iter()
                .filter_map(|d| d.db_instance_identifier().map(str::to_string))
                .collect();
            dbs.sort();
            (eks.clusters().len(), dbs, redis.replication_groups().len())
        }
    };
    assert_eq!(data("ap-southeast-1").await, (0, vec![], 0));
    assert_eq!(
        data("us-east-1").await,
        (1, vec!["pyairtable-prod".to_string()], 1)
    );
    assert_eq!(
        data("eu-west-1").await,
        (1, vec!["pyairtable-prod".to_string()], 1)
    );
    let after = p.ids(stack);
    assert!(
        after.keys().all(|a| !a.starts_with("ap-southeast-1/")),
        "{after:?}"
    );
    // Nothing outside the region changes its id. What pointed at the region goes with it: the
    // other regions' peerings to it, their routes and rules for its CIDR, its health check and
    // health-check alarm, and Asia's geolocation record (Asia falls back to the default).
    for (a, id) in &before {
        if a.starts_with("ap-southeast-1/") {
            continue;
        }
        if a.contains("ap-southeast-1") || a == "global/route53.record/geo-as" {
            assert_eq!(after.get(a), None, "{a} still points at ap-southeast-1");
        } else {
            assert_eq!(after.get(a), Some(id), "{a} changed");
        }
    }
    for r in ["us-east-1", "eu-west-1"] {
        let c = emu.ec2(r).await;
        let tables = c.describe_route_tables().send().await.unwrap();
        assert!(
            tables
                .route_tables()
                .iter()
                .flat_map(|t| t.routes())
                .all(|route| route.destination_cidr_block() != Some("10.2.0.0/16")),
            "{r} still routes to ap-southeast-1"
        );
        let peerings = c.describe_vpc_peering_connections().send().await.unwrap();
        let active: Vec<(&str, &str)> = peerings
            .vpc_peering_connections()
            .iter()
            .filter(|p| p.status().and_then(|s| s.code()).map(|c| c.as_str()) == Some("active"))
            .filter_map(|p| {
                Some((
                    p.requester_vpc_info()?.region()?,
                    p.accepter_vpc_info()?.region()?,
                ))
            })
            .collect();
        // Requested by the region first by name.
        assert_eq!(active, [("eu-west-1", "us-east-1")], "{r}");
    }
    // Nor does any DNS record, health check or CloudFront origin point at it: the Asian
    // geolocation record is gone (Asia falls back to the default record), and CloudFront keeps
    // its id with two origins.
    assert_eq!(edge_pointing_at(&emu, &p, stack, &ap_alb).await, (0, 0, 0));
    let origins = cloudfront_origins(&emu, &after["global/cloudfront.distribution/main"]).await;
    assert_eq!(origins, ["eu-west-1", "us-east-1"]);
    for r in ["us-east-1", "eu-west-1"] {
        let c = census(&emu, r, stack).await;
        assert_eq!(
            c.iter().find(|(k, _)| *k == "vpc").unwrap().1,
            1,
            "{r}: {c:?}"
        );
        let vpc = &after[&format!("{r}/ec2.vpc/main")];
        let found = emu
            .ec2(r)
            .await
            .describe_vpcs()
            .vpc_ids(vpc)
            .send()
            .await
            .unwrap();
        assert_eq!(found.vpcs().len(), 1);
    }

    // The unchanged spec brings the region back and wires it in again; then nothing is left to do.
    let restored = p.ok(&["up", PROD, "--yes"]);
    assert!(restored.stdout.contains("0 to destroy"), "{restored:?}");
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{diff:?}");
    let back = p.ids(stack);
    for (a, id) in &after {
        assert_eq!(
            back.get(a),
            Some(id),
            "{a} changed when the region came back"
        );
    }
    let ap_alb = p.state(stack).resources
        [&"ap-southeast-1/elbv2.load_balancer/web".parse().unwrap()]
        .observed["dns_name"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(edge_pointing_at(&emu, &p, stack, &ap_alb).await, (1, 1, 1));

    // The primary database is protected: destroy refuses it, and keeps it, until the spec
    // lifts the protection.
    let refused = p.run(&["destroy", "--yes"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("has deletion protection"),
        "{refused:?}"
    );
    assert!(p
        .state(stack)
        .resources
        .contains_key(&"us-east-1/rds.db_instance/primary".parse().unwrap()));
    let dir = tempfile::tempdir().unwrap();
    let unprotected = edited_spec(
        dir.path(),
        PROD,
        &[("deletion_protection: true", "deletion_protection: false")],
    );
    p.ok(&["up", unprotected.to_str().unwrap(), "--yes"]);
    emu.reset_calls();
    p.ok(&["destroy", "--yes"]);
    // Replicas before their primary; the replicator before the clusters it joins.
    let calls: Vec<(String, String)> = emu
        .calls()
        .into_iter()
        .filter(|c| c.is_mutating())
        .map(|c| (c.region, c.action))
        .collect();
    let at = |region: &str, action: &str| {
        calls
            .iter()
            .position(|(r, a)| r == region && a.starts_with(action))
            .unwrap_or_else(|| panic!("no {action} in {region}: {calls:?}"))
    };
    assert!(at("eu-west-1", "DeleteDBInstance") < at("us-east-1", "DeleteDBInstance"));
    let replicator = at("eu-west-1", "DELETE /replication/v1/replicators/");
    assert!(replicator < at("eu-west-1", "DELETE /v1/clusters/"));
    assert!(replicator < at("us-east-1", "DELETE /v1/clusters/"));
    let snaps = emu
        .rds("us-east-1")
        .await
        .describe_db_snapshots()
        .send()
        .await
        .unwrap();
    assert!(
        snaps.db_snapshots().iter().any(|s| s
            .db_snapshot_identifier()
            .is_some_and(|i| i.starts_with("pyairtable-prod-final-"))),
        "no final snapshot of the primary"
    );
    for r in REGIONS {
        let c = census(&emu, r, stack).await;
        assert_eq!(total(&c), 0, "left in {r}: {c:?}");
        assert_eq!(msk(r).await, (0, 0), "MSK left in {r}");
    }
    assert_no_edge_left(&emu, &REGIONS).await;
    // No peering is left active (deleted connections stay listed for a while, as on AWS).
    for r in REGIONS {
        let peerings = emu
            .ec2(r)
            .await
            .describe_vpc_peering_connections()
            .send()
            .await
            .unwrap();
        let live: Vec<_> = peerings
            .vpc_peering_connections()
            .iter()
            .filter(|p| {
                !matches!(
                    p.status().and_then(|s| s.code()).map(|c| c.as_str()),
                    Some("deleted") | Some("deleting") | Some("rejected")
                )
            })
            .collect();
        assert!(live.is_empty(), "peerings left in {r}: {live:?}");
    }
    assert!(p.state(stack).resources.is_empty());
    let again = p.ok(&["destroy", "--yes"]);
    assert!(again.stdout.contains("Nothing to destroy."), "{again:?}");
}

#[test]
fn the_primary_region_cannot_be_torn_down_alone() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", DEV, "--yes"]);
    emu.reset_calls();
    let out = p.run(&["destroy", "--region", "us-east-1", "--yes"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("us-east-1"), "{out:?}");
    assert!(emu.mutating_calls().is_empty());
}
