//! `provision failover [--to REGION]`: failover in one command. The replica in REGION is promoted
//! in place and everything that pointed at the primary region points at REGION, with no call to
//! the old primary region, which may be down. Once it answers again, `up` makes it a secondary;
//! its old primary instance has deletion protection, so `up` refuses until a person lifts it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::edge::{cloudfront_config, cloudfront_origins};
use provision_tests::*;

const STACK: &str = "pyairtable-prod";
const DB: &str = "pyairtable-prod";

/// The instance `DB` in `region`: (ARN, its replication source, deletion protection).
async fn db(emu: &Emulator, region: &str) -> Option<(String, Option<String>, bool)> {
    db_instance(emu, region, DB)
        .await
        .map(|d| (d.arn, d.source, d.deletion_protection))
}

/// The origin CloudFront's origin group tries first.
async fn first_origin(emu: &Emulator, id: &str) -> String {
    let config = cloudfront_config(emu, id).await;
    let group = &config.origin_groups().unwrap().items()[0];
    group.members().unwrap().items()[0].origin_id().to_string()
}

/// The alias target of the PRIMARY failover record, lowercase, without the trailing dot.
async fn failover_primary(emu: &Emulator, zone: &str) -> String {
    let records = emu
        .route53()
        .await
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await
        .unwrap();
    let r = records
        .resource_record_sets()
        .iter()
        .find(|r| r.set_identifier() == Some("failover-primary"))
        .unwrap();
    norm(r.alias_target().unwrap().dns_name())
}

fn norm(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_promotes_the_replica_without_a_call_to_the_old_primary_region() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    let spec = repo_root().join(PROD);
    let spec = spec.to_str().unwrap();
    p.ok(&["up", spec, "--yes"]);
    let ids = p.ids(STACK);
    let observed = |address: &str, field: &str| {
        p.state(STACK).resources[&address.parse().unwrap()].observed[field]
            .as_str()
            .unwrap()
            .to_string()
    };
    let us_alb = observed("us-east-1/elbv2.load_balancer/web", "dns_name");
    let eu_alb = observed("eu-west-1/elbv2.load_balancer/web", "dns_name");
    let zone = &ids["global/route53.zone/main"];
    let distribution = &ids["global/cloudfront.distribution/main"];
    assert_eq!(failover_primary(&emu, zone).await, norm(&us_alb));
    assert_eq!(first_origin(&emu, distribution).await, "us-east-1");
    let (us_arn, _, us_protected) = db(&emu, "us-east-1").await.unwrap();
    let (eu_arn, eu_source, _) = db(&emu, "eu-west-1").await.unwrap();
    assert!(us_protected);
    assert_eq!(eu_source.as_deref(), Some(us_arn.as_str()));

    // Refused before any call: the primary itself, a region outside the spec.
    emu.reset_calls();
    let refused = p.run(&["failover", "--to", "us-east-1", "--yes"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("already the primary region"),
        "{refused:?}"
    );
    let refused = p.run(&["failover", "--to", "eu-central-1", "--yes"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("not in the spec"), "{refused:?}");
    assert!(emu.calls().is_empty(), "{:?}", emu.calls());

    // Without --to: the spec's failover region, the first of `dr.failover_order`.
    emu.reset_calls();
    let out = p.ok(&["failover", "--yes"]);
    assert!(
        out.stderr
            .contains("eu-west-1 becomes the primary region; us-east-1 is held as it stands")
            && out.stderr.contains("(RTO 30 min)"),
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
    assert!(
        out.stderr.contains("us-east-1/rds.db_instance/replica")
            && out.stderr.contains("left for the next `provision up`"),
        "{out:?}"
    );
    // Nothing in us-east-1 was asked or changed: only the global services, whose endpoints
    // sign for us-east-1 (Route 53, CloudFront, IAM, and the CLOUDFRONT-scope web ACL).
    let regional: Vec<Call> = emu
        .calls()
        .into_iter()
        .filter(|c| c.region == "us-east-1")
        .filter(|c| !["route53", "cloudfront", "iam", "sts", "wafv2"].contains(&c.service.as_str()))
        .collect();
    assert!(regional.is_empty(), "calls to us-east-1: {regional:?}");

    // eu-west-1's replica is the primary: the same instance, on its own, protected; the Asia
    // replica follows it; the old primary is untouched.
    let (arn, source, protected) = db(&emu, "eu-west-1").await.unwrap();
    assert_eq!(
        (arn.as_str(), source, protected),
        (eu_arn.as_str(), None, true)
    );
    let (_, ap_source, _) = db(&emu, "ap-southeast-1").await.unwrap();
    assert_eq!(ap_source.as_deref(), Some(eu_arn.as_str()));
    assert_eq!(
        db(&emu, "us-east-1").await,
        Some((us_arn.clone(), None, true))
    );
    // Traffic goes to eu-west-1 first.
    assert_eq!(failover_primary(&emu, zone).await, norm(&eu_alb));
    assert_eq!(first_origin(&emu, distribution).await, "eu-west-1");
    assert_eq!(
        cloudfront_origins(&emu, distribution).await,
        ["ap-southeast-1", "eu-west-1", "us-east-1"]
    );
    let state = p.state(STACK);
    assert_eq!(state.failed_over_to.as_deref(), Some("eu-west-1"));
    // The old primary is recorded as what becomes us-east-1's replica (the same name).
    assert_eq!(
        state.resources[&"us-east-1/rds.db_instance/replica".parse().unwrap()]
            .id
            .as_deref(),
        Some(DB)
    );

    // us-east-1 is back. The plan makes it a secondary: its old primary instance is replaced
    // by a replica of eu-west-1's. It is protected, so `up` refuses, before any call, and
    // says what to do.
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(
        diff.stderr
            .contains("eu-west-1 is the primary region since a failover"),
        "{diff:?}"
    );
    assert!(
        diff.stdout.contains(
            "us-east-1/rds.db_instance/replica must be replaced (the old object is deleted first)"
        ) && diff
            .stdout
            .contains("# source_db_instance_identifier forces replacement"),
        "{diff:?}"
    );
    emu.reset_calls();
    let refused = p.run(&["up", spec, "--yes"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("us-east-1/rds.db_instance/replica would be replaced")
            && refused.stderr.contains("or else in AWS"),
        "{refused:?}"
    );
    assert!(
        emu.mutating_calls().is_empty(),
        "{:?}",
        emu.mutating_calls()
    );

    // Its data safe, an operator lifts the protection; `up` finishes the job.
    emu.rds("us-east-1")
        .await
        .modify_db_instance()
        .db_instance_identifier(DB)
        .deletion_protection(false)
        .apply_immediately(true)
        .send()
        .await
        .unwrap();
    p.ok(&["up", spec, "--yes"]);
    let (_, us_source, _) = db(&emu, "us-east-1").await.unwrap();
    assert_eq!(us_source.as_deref(), Some(eu_arn.as_str()));
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{diff:?}");
    std::thread::scope(|s| {
        s.spawn(|| assert_one_object_per_address(&emu, &p, STACK, &REGIONS, "after the failover"))
            .join()
            .unwrap();
    });
}
