//! ElastiCache: Redis in cluster mode per region, in-place changes, and a rename that replaces.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::*;

#[tokio::test(flavor = "multi_thread")]
async fn redis_cluster_mode_per_region_updates_and_replacement() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", DEV, "--yes"]);
    for r in REGIONS {
        let ec = emu.elasticache(r).await;
        let out = ec
            .describe_replication_groups()
            .replication_group_id("pyairtable-dev")
            .send()
            .await
            .unwrap();
        let g = &out.replication_groups()[0];
        assert_eq!(g.cluster_enabled(), Some(true), "{r}: cluster mode");
        assert_eq!(
            g.automatic_failover().map(|a| a.as_str()),
            Some("enabled"),
            "{r}"
        );
        assert_eq!(g.at_rest_encryption_enabled(), Some(true), "{r}");
        assert_eq!(g.transit_encryption_enabled(), Some(true), "{r}");
        assert!(
            g.kms_key_id()
                .unwrap()
                .starts_with(&format!("arn:aws:kms:{r}:")),
            "{r}"
        );
        assert_eq!(g.node_groups().len(), 1, "{r}: shards");
        assert_eq!(g.cache_node_type(), Some("cache.t4g.small"));
    }
    let ids = p.ids("pyairtable-dev");
    let dir = tempfile::tempdir().unwrap();

    // The node type changes in place.
    let bigger = edited_spec(
        dir.path(),
        DEV,
        &[("node_type: cache.t4g.small", "node_type: cache.t4g.medium")],
    );
    let bigger = bigger.to_str().unwrap();
    let diff = p.run(&["diff", bigger, "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(
        diff.stdout
            .contains("~ us-east-1/elasticache.replication_group/main will be updated in place"),
        "{diff:?}"
    );
    assert!(
        diff.stdout
            .contains("Plan: 0 to add, 3 to change, 0 to destroy."),
        "{diff:?}"
    );
    p.ok(&["up", bigger, "--yes"]);
    assert_eq!(p.ids("pyairtable-dev"), ids);
    assert_eq!(p.run(&["diff", bigger, "--detailed-exitcode"]).code, 0);

    // A second replica per shard is added in place.
    let more = edited_spec(
        dir.path(),
        DEV,
        &[
            ("node_type: cache.t4g.small", "node_type: cache.t4g.medium"),
            ("replicas_per_shard: 1", "replicas_per_shard: 2"),
        ],
    );
    let more = more.to_str().unwrap();
    let diff = p.run(&["diff", more, "--detailed-exitcode"]);
    assert!(
        diff.stdout
            .contains("~ eu-west-1/elasticache.replication_group/main will be updated in place"),
        "{diff:?}"
    );
    p.ok(&["up", more, "--yes"]);
    assert_eq!(p.ids("pyairtable-dev"), ids);
    for r in REGIONS {
        let out = emu
            .elasticache(r)
            .await
            .describe_replication_groups()
            .replication_group_id("pyairtable-dev")
            .send()
            .await
            .unwrap();
        let members = out.replication_groups()[0].node_groups()[0]
            .node_group_members()
            .len();
        assert_eq!(members, 3, "{r}: a primary and two replicas");
    }
    assert_eq!(p.run(&["diff", more, "--detailed-exitcode"]).code, 0);

    // Renaming the cache replaces it, with the reason.
    let renamed = edited_spec(
        dir.path(),
        DEV,
        &[
            ("node_type: cache.t4g.small", "node_type: cache.t4g.medium"),
            ("cache:\n", "cache:\n  name: pyairtable-dev-sessions\n"),
        ],
    );
    let renamed = renamed.to_str().unwrap();
    let diff = p.run(&["diff", renamed, "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(
        diff.stdout
            .contains("-/+ us-east-1/elasticache.replication_group/main must be replaced"),
        "{diff:?}"
    );
    assert!(diff.stdout.contains("# id forces replacement"), "{diff:?}");
    p.ok(&["up", renamed, "--yes"]);
    let ec = emu.elasticache("us-east-1").await;
    let all = ec.describe_replication_groups().send().await.unwrap();
    let names: Vec<&str> = all
        .replication_groups()
        .iter()
        .filter_map(|g| g.replication_group_id())
        .collect();
    assert_eq!(names, ["pyairtable-dev-sessions"]);
    assert_eq!(p.run(&["diff", renamed, "--detailed-exitcode"]).code, 0);
}
