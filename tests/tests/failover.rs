//! `destroy --region <primary> --force`: the failover region's database replica is promoted in
//! place (same instance, same data), everything that pointed at the primary region is pointed
//! at the new primary, and the old primary region is torn down. The state records the
//! failover, so the next `up` of the unchanged spec brings the region back as a secondary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::edge::{cloudfront_origins, edge_pointing_at};
use provision_tests::*;

const STACK: &str = "pyairtable-prod";
const DB: &str = "pyairtable-prod";

fn observed(p: &Provision, address: &str, field: &str) -> String {
    p.state(STACK).resources[&address.parse().unwrap()].observed[field]
        .as_str()
        .unwrap_or_else(|| panic!("{address} records no {field}"))
        .to_string()
}

/// The instance `DB` in `region`: (ARN, its replication source, backup retention).
async fn db(emu: &Emulator, region: &str) -> Option<(String, Option<String>, i32)> {
    db_instance(emu, region, DB)
        .await
        .map(|d| (d.arn, d.source, d.backup_retention))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_primary_region_fails_over_then_goes_and_comes_back_as_a_secondary() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    // The old primary instance is deleted with its region: it must not be protected.
    let spec = edited_spec(
        dir.path(),
        PROD,
        &[("deletion_protection: true", "deletion_protection: false")],
    );
    let spec = spec.to_str().unwrap();
    p.ok(&["up", spec, "--yes"]);
    let before = p.ids(STACK);
    let us_alb = observed(&p, "us-east-1/elbv2.load_balancer/web", "dns_name");
    let eu_alb = observed(&p, "eu-west-1/elbv2.load_balancer/web", "dns_name");
    let (eu_arn, source, _) = db(&emu, "eu-west-1").await.unwrap();
    let (us_arn, _, _) = db(&emu, "us-east-1").await.unwrap();
    assert_eq!(source.as_deref(), Some(us_arn.as_str()));

    // Without --force: refused, with the way forward, and nothing changes.
    emu.reset_calls();
    let refused = p.run(&["destroy", "--region", "us-east-1", "--yes"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("fail over") && refused.stderr.contains("--force"),
        "{refused:?}"
    );
    assert!(emu.mutating_calls().is_empty());

    let out = p.ok(&["destroy", "--region", "us-east-1", "--force", "--yes"]);
    assert!(
        out.stderr
            .contains("eu-west-1 becomes the primary first (its database replica is promoted)"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("eu-west-1/rds.db_instance/primary will be updated in place")
            && out
                .stdout
                .contains("# moved from eu-west-1/rds.db_instance/replica"),
        "{out:?}"
    );

    // The replica in eu-west-1 is the primary now: the same instance, on its own, with the
    // primary's backups; the Asia replica follows it; nothing is left in us-east-1.
    let (arn, source, retention) = db(&emu, "eu-west-1").await.unwrap();
    assert_eq!(arn, eu_arn, "the promoted instance is the replica itself");
    assert_eq!(source, None);
    assert_eq!(retention, 30);
    let (_, ap_source, _) = db(&emu, "ap-southeast-1").await.unwrap();
    assert_eq!(ap_source.as_deref(), Some(eu_arn.as_str()));
    assert_eq!(db(&emu, "us-east-1").await, None);
    let state = p.state(STACK);
    assert_eq!(state.failed_over_to.as_deref(), Some("eu-west-1"));
    let left: Vec<String> = state
        .resources
        .keys()
        .map(ToString::to_string)
        .filter(|a| a.starts_with("us-east-1/"))
        .collect();
    // CloudFront's certificate lives in us-east-1 whatever the stack's regions.
    assert_eq!(
        left,
        [
            "us-east-1/acm.certificate/edge",
            "us-east-1/acm.certificate_validation/edge"
        ]
    );
    let ec2 = census(&emu, "us-east-1", STACK).await;
    assert_eq!(total(&ec2), 0, "left in us-east-1: {ec2:?}");
    let eks = emu
        .eks("us-east-1")
        .await
        .list_clusters()
        .send()
        .await
        .unwrap();
    assert!(eks.clusters().is_empty());
    let redis = emu
        .elasticache("us-east-1")
        .await
        .describe_replication_groups()
        .send()
        .await
        .unwrap();
    assert!(redis.replication_groups().is_empty());
    let kafka = emu
        .kafka("us-east-1")
        .await
        .list_clusters()
        .send()
        .await
        .unwrap();
    assert!(kafka.cluster_info_list().is_empty());
    let lbs = emu
        .elbv2("us-east-1")
        .await
        .describe_load_balancers()
        .send()
        .await
        .unwrap();
    assert!(lbs.load_balancers().is_empty());
    let alarms = emu
        .cloudwatch("us-east-1")
        .await
        .describe_alarms()
        .send()
        .await
        .unwrap();
    assert!(alarms.metric_alarms().is_empty(), "{alarms:?}");
    assert!(state.resources.contains_key(
        &"ap-southeast-1/msk.replicator/from-eu-west-1"
            .parse()
            .unwrap()
    ));

    // Nothing points at us-east-1 any more; the default location and CloudFront's first
    // origin are eu-west-1's.
    assert_eq!(edge_pointing_at(&emu, &p, STACK, &us_alb).await, (0, 0, 0));
    let after = p.ids(STACK);
    let origins = cloudfront_origins(&emu, &after["global/cloudfront.distribution/main"]).await;
    assert_eq!(origins, ["ap-southeast-1", "eu-west-1"]);
    let records = emu
        .route53()
        .await
        .list_resource_record_sets()
        .hosted_zone_id(&after["global/route53.zone/main"])
        .send()
        .await
        .unwrap();
    let norm = |n: &str| n.trim_end_matches('.').to_ascii_lowercase();
    let to_us = records
        .resource_record_sets()
        .iter()
        .filter(|r| {
            r.alias_target()
                .is_some_and(|a| norm(a.dns_name()) == norm(&us_alb))
        })
        .count();
    assert_eq!(to_us, 0);
    let primary_record = records
        .resource_record_sets()
        .iter()
        .find(|r| r.set_identifier() == Some("failover-primary"))
        .unwrap();
    assert_eq!(
        primary_record.alias_target().map(|a| norm(a.dns_name())),
        Some(norm(&eu_alb))
    );

    // What stays keeps its id: the promoted database under its new address, everything else
    // under its own.
    for (address, id) in &before {
        if address.starts_with("us-east-1/") {
            continue;
        }
        let now = if address == "eu-west-1/rds.db_instance/replica" {
            after.get("eu-west-1/rds.db_instance/primary")
        } else {
            after.get(address)
        };
        if let Some(now) = now {
            assert_eq!(now, id, "{address} changed its id");
        }
    }
    assert_eq!(
        after["eu-west-1/ec2.vpc/main"],
        before["eu-west-1/ec2.vpc/main"]
    );
    assert_eq!(
        after["global/cloudfront.distribution/main"],
        before["global/cloudfront.distribution/main"]
    );

    // Done: asking again finds nothing to do.
    let again = p.ok(&["destroy", "--region", "us-east-1", "--force", "--yes"]);
    assert!(again.stdout.contains("Nothing to destroy."), "{again:?}");

    // The unchanged spec still names us-east-1 as the primary; the recorded failover keeps
    // eu-west-1 there, so us-east-1 comes back as a secondary with a replica of it, and the
    // promoted instance is kept.
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(
        diff.stderr
            .contains("eu-west-1 is the primary region since a failover"),
        "{diff:?}"
    );
    assert!(
        !diff
            .stdout
            .contains("eu-west-1/rds.db_instance/primary will be"),
        "{diff:?}"
    );
    p.ok(&["up", spec, "--yes"]);
    let (arn, source, _) = db(&emu, "eu-west-1").await.unwrap();
    assert_eq!((arn.as_str(), source), (eu_arn.as_str(), None));
    let (_, us_source, _) = db(&emu, "us-east-1").await.unwrap();
    assert_eq!(us_source.as_deref(), Some(eu_arn.as_str()));
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{diff:?}");
    // On a thread of its own: the check runs its own runtime.
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_one_object_per_address(&emu, &p, STACK, &REGIONS, "after the region came back")
        })
        .join()
        .unwrap();
    });
}

/// The same on a network and a database alone, in lifecycle mode: the promotion is `modifying`
/// for a few describes, as on AWS, so the update goes in steps (promote, wait until available,
/// then the primary's settings and the new master password in one modification). With no
/// `dr` and no backup copy, the failover region is the first secondary by name.
#[tokio::test(flavor = "multi_thread")]
async fn a_promotion_that_takes_time_is_waited_for_between_steps() {
    let emu = Emulator::start_with_lifecycle(2);
    let p = Provision::new(&emu.endpoint);
    let dev = std::fs::read_to_string(repo_root().join(DEV)).unwrap();
    let database = dev
        .split_once("\ndatabase:")
        .and_then(|(_, rest)| rest.split_once("\ncache:"))
        .map(|(db, _)| format!("database:{db}\n"))
        .expect("specs/dev.yaml has a `database` section before its cache");
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("db.yaml");
    std::fs::write(&spec, format!("{}{database}", dev_network())).unwrap();
    let spec = spec.to_str().unwrap();
    let stack = "pyairtable-dev";
    let (new, other) = ("ap-southeast-1", "eu-west-1");
    p.ok(&["up", spec, "--yes"]);
    let instance = |region: &'static str| {
        let emu = &emu;
        async move {
            let d = db_instance(emu, region, stack).await.unwrap();
            (d.arn, d.source)
        }
    };
    let (new_arn, source) = instance(new).await;
    assert!(source.is_some());

    let out = p.ok(&["destroy", "--region", "us-east-1", "--force", "--yes"]);
    assert!(
        out.stderr
            .contains(&format!("{new} becomes the primary first")),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("is modifying"),
        "no wait for the promotion: {out:?}"
    );
    assert_eq!(instance(new).await, (new_arn.clone(), None));
    assert_eq!(instance(other).await.1.as_deref(), Some(new_arn.as_str()));
    // The promoted instance takes its master password from its region's own secret now, and
    // its tag names its new address.
    let state = p.state(stack);
    let secret = state.resources[&format!("{new}/secretsmanager.secret/db-master")
        .parse()
        .unwrap()]
        .arn
        .clone()
        .unwrap();
    let tags = emu
        .rds(new)
        .await
        .list_tags_for_resource()
        .resource_name(&new_arn)
        .send()
        .await
        .unwrap();
    let tag = |k: &str| {
        tags.tag_list()
            .iter()
            .find(|t| t.key() == Some(k))
            .and_then(|t| t.value())
            .map(str::to_string)
    };
    assert_eq!(tag("provision:master-secret"), Some(secret));
    assert_eq!(
        tag("provision:address"),
        Some(format!("{new}/rds.db_instance/primary"))
    );
    let again = p.ok(&["destroy", "--region", "us-east-1", "--force", "--yes"]);
    assert!(again.stdout.contains("Nothing to destroy."), "{again:?}");
}
