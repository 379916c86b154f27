//! MSK: a configuration and a cluster per region, the replicator from the primary's cluster,
//! in-place changes (a new configuration revision, storage, topics) and a rename that replaces.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aws_sdk_kafka::types::ClusterInfo;
use provision_tests::*;

async fn cluster(emu: &Emulator, region: &str, name: &str) -> ClusterInfo {
    let all = emu
        .kafka(region)
        .await
        .list_clusters()
        .send()
        .await
        .unwrap();
    let found: Vec<&ClusterInfo> = all
        .cluster_info_list()
        .iter()
        .filter(|c| c.cluster_name() == Some(name))
        .collect();
    assert_eq!(found.len(), 1, "{region}: clusters named {name}: {found:?}");
    found[0].clone()
}

/// The server properties of the revision a cluster uses.
async fn server_properties(emu: &Emulator, region: &str, c: &ClusterInfo) -> String {
    let sw = c.current_broker_software_info().unwrap();
    let rev = emu
        .kafka(region)
        .await
        .describe_configuration_revision()
        .arn(sw.configuration_arn().unwrap())
        .revision(sw.configuration_revision().unwrap())
        .send()
        .await
        .unwrap();
    String::from_utf8(rev.server_properties().unwrap().as_ref().to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn msk_clusters_replicator_updates_and_replacement() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", DEV, "--yes"]);
    let ids = p.ids("pyairtable-dev");
    for r in REGIONS {
        let c = cluster(&emu, r, "pyairtable-dev").await;
        assert_eq!(c.state().map(|s| s.as_str()), Some("ACTIVE"), "{r}");
        // Two AZs, one broker each.
        assert_eq!(c.number_of_broker_nodes(), Some(2), "{r}");
        let g = c.broker_node_group_info().unwrap();
        assert_eq!(g.instance_type(), Some("kafka.t3.small"));
        assert_eq!(g.client_subnets().len(), 2);
        let enc = c.encryption_info().unwrap();
        assert!(enc
            .encryption_at_rest()
            .unwrap()
            .data_volume_kms_key_id()
            .unwrap()
            .starts_with(&format!("arn:aws:kms:{r}:")));
        let transit = enc.encryption_in_transit().unwrap();
        assert_eq!(transit.client_broker().map(|c| c.as_str()), Some("TLS"));
        assert_eq!(transit.in_cluster(), Some(true));
        let iam = c
            .client_authentication()
            .and_then(|a| a.sasl())
            .and_then(|s| s.iam())
            .and_then(|i| i.enabled());
        assert_eq!(iam, Some(true), "{r}: IAM client auth");
        // The cluster uses its region's configuration.
        let sw = c.current_broker_software_info().unwrap();
        assert_eq!(
            sw.configuration_arn(),
            Some(ids[&format!("{r}/msk.configuration/main")].as_str()),
            "{r}"
        );
        assert_eq!(sw.kafka_version(), Some("3.6.0"));
        let props = server_properties(&emu, r, &c).await;
        for line in [
            "log.retention.hours=168",
            "default.replication.factor=2",
            "min.insync.replicas=1",
        ] {
            assert!(props.lines().any(|l| l == line), "{r}: {props}");
        }
    }
    // dev mirrors us-east-1 to eu-west-1 only.
    let source = ids["us-east-1/msk.cluster/main"].clone();
    let target = ids["eu-west-1/msk.cluster/main"].clone();
    let k = emu.kafka("eu-west-1").await;
    let list = k.list_replicators().send().await.unwrap();
    assert_eq!(list.replicators().len(), 1);
    let rep = k
        .describe_replicator()
        .replicator_arn(list.replicators()[0].replicator_arn().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rep.replicator_state().map(|s| s.as_str()), Some("RUNNING"));
    let arn_of = |alias: Option<&str>| {
        rep.kafka_clusters()
            .iter()
            .find(|c| c.kafka_cluster_alias() == alias)
            .and_then(|c| c.amazon_msk_cluster())
            .and_then(|m| m.msk_cluster_arn())
            .unwrap()
            .to_string()
    };
    let info = &rep.replication_info_list()[0];
    assert_eq!(arn_of(info.source_kafka_cluster_alias()), source);
    assert_eq!(arn_of(info.target_kafka_cluster_alias()), target);
    let mut topics = info
        .topic_replication()
        .unwrap()
        .topics_to_replicate()
        .to_vec();
    topics.sort();
    assert_eq!(topics, ["audit-logs", "events", "notifications"]);
    assert!(rep
        .service_execution_role_arn()
        .unwrap()
        .ends_with("/pyairtable-dev-msk-replicator"));
    for r in ["us-east-1", "ap-southeast-1"] {
        let none = emu.kafka(r).await.list_replicators().send().await.unwrap();
        assert!(none.replicators().is_empty(), "{r}");
    }
    assert_eq!(p.run(&["diff", "--detailed-exitcode"]).code, 0);

    // Retention is a new revision of each configuration, which each cluster then uses; the
    // storage grows in place; the replicator drops a topic in place. No id changes.
    let dir = tempfile::tempdir().unwrap();
    let changed = edited_spec(
        dir.path(),
        DEV,
        &[
            ("retention_hours: 168", "retention_hours: 72"),
            ("storage_gb: 100", "storage_gb: 200"),
            (
                "topics: [events, audit-logs, notifications]",
                "topics: [events, audit-logs]",
            ),
        ],
    );
    let changed = changed.to_str().unwrap();
    let diff = p.run(&["diff", changed, "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    for line in [
        "~ us-east-1/msk.configuration/main will be updated in place",
        "~ us-east-1/msk.cluster/main will be updated in place",
        "~ eu-west-1/msk.replicator/from-us-east-1 will be updated in place",
        "(known after apply)",
        "Plan: 0 to add, 7 to change, 0 to destroy.",
    ] {
        assert!(diff.stdout.contains(line), "missing {line:?}: {diff:?}");
    }
    p.ok(&["up", changed, "--yes"]);
    assert_eq!(p.ids("pyairtable-dev"), ids);
    for r in REGIONS {
        let c = cluster(&emu, r, "pyairtable-dev").await;
        let sw = c.current_broker_software_info().unwrap();
        assert_eq!(sw.configuration_revision(), Some(2), "{r}");
        let props = server_properties(&emu, r, &c).await;
        assert!(
            props.lines().any(|l| l == "log.retention.hours=72"),
            "{r}: {props}"
        );
        let size = c
            .broker_node_group_info()
            .and_then(|g| g.storage_info())
            .and_then(|s| s.ebs_storage_info())
            .and_then(|e| e.volume_size());
        assert_eq!(size, Some(200), "{r}");
    }
    let rep = k
        .describe_replicator()
        .replicator_arn(&ids["eu-west-1/msk.replicator/from-us-east-1"])
        .send()
        .await
        .unwrap();
    let mut topics = rep.replication_info_list()[0]
        .topic_replication()
        .unwrap()
        .topics_to_replicate()
        .to_vec();
    topics.sort();
    assert_eq!(topics, ["audit-logs", "events"]);
    assert_eq!(p.run(&["diff", changed, "--detailed-exitcode"]).code, 0);

    // A Kafka upgrade: each region gets a configuration for the new version first, the cluster
    // is upgraded onto it in place, and the old configuration goes once nothing uses it.
    let upgraded = edited_spec(
        dir.path(),
        DEV,
        &[
            ("version: \"3.6.0\"", "version: \"3.7.x\""),
            // Storage only grows: keep what the last step reached.
            ("storage_gb: 100", "storage_gb: 200"),
        ],
    );
    let upgraded = upgraded.to_str().unwrap();
    let diff = p.run(&["diff", upgraded, "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    for line in [
        "+/- us-east-1/msk.configuration/main must be replaced",
        "~ us-east-1/msk.cluster/main will be updated in place",
    ] {
        assert!(diff.stdout.contains(line), "missing {line:?}: {diff:?}");
    }
    p.ok(&["up", upgraded, "--yes"]);
    let now = p.ids("pyairtable-dev");
    for r in REGIONS {
        let a = format!("{r}/msk.cluster/main");
        assert_eq!(now[&a], ids[&a], "{r}: the cluster was replaced");
        let c = cluster(&emu, r, "pyairtable-dev").await;
        let sw = c.current_broker_software_info().unwrap();
        assert_eq!(sw.kafka_version(), Some("3.7.x"), "{r}");
        let cfg = &now[&format!("{r}/msk.configuration/main")];
        assert_eq!(sw.configuration_arn(), Some(cfg.as_str()), "{r}");
        let configs = emu
            .kafka(r)
            .await
            .list_configurations()
            .send()
            .await
            .unwrap();
        let names: Vec<&str> = configs
            .configurations()
            .iter()
            .filter_map(|c| c.name())
            .collect();
        assert_eq!(names, ["pyairtable-dev-3-7-x"], "{r}");
    }
    assert_eq!(p.run(&["diff", upgraded, "--detailed-exitcode"]).code, 0);

    // A new cluster name replaces the configurations, the clusters and the replicator.
    let renamed = edited_spec(
        dir.path(),
        DEV,
        &[("kafka:\n", "kafka:\n  name: pyairtable-dev-events\n")],
    );
    let renamed = renamed.to_str().unwrap();
    let diff = p.run(&["diff", renamed, "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(
        diff.stdout
            .contains("-/+ us-east-1/msk.cluster/main must be replaced"),
        "{diff:?}"
    );
    assert!(
        diff.stdout.contains("# name forces replacement"),
        "{diff:?}"
    );
    p.ok(&["up", renamed, "--yes"]);
    for r in REGIONS {
        let all = emu.kafka(r).await.list_clusters().send().await.unwrap();
        let names: Vec<&str> = all
            .cluster_info_list()
            .iter()
            .filter_map(|c| c.cluster_name())
            .collect();
        assert_eq!(names, ["pyairtable-dev-events"], "{r}");
    }
    let list = k.list_replicators().send().await.unwrap();
    let names: Vec<&str> = list
        .replicators()
        .iter()
        .filter_map(|r| r.replicator_name())
        .collect();
    assert_eq!(names, ["pyairtable-dev-events-from-us-east-1"]);
    assert_eq!(p.run(&["diff", renamed, "--detailed-exitcode"]).code, 0);

    // Destroy: replicator first, then clusters, then configurations.
    p.ok(&["destroy", "--yes"]);
    for r in REGIONS {
        let k = emu.kafka(r).await;
        assert!(k
            .list_clusters()
            .send()
            .await
            .unwrap()
            .cluster_info_list()
            .is_empty());
        assert!(k
            .list_replicators()
            .send()
            .await
            .unwrap()
            .replicators()
            .is_empty());
        assert!(k
            .list_configurations()
            .send()
            .await
            .unwrap()
            .configurations()
            .is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn prod_mirrors_the_topics_from_the_primary_to_every_secondary() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", PROD, "--yes"]);
    let ids = p.ids("pyairtable-prod");
    for r in REGIONS {
        let c = cluster(&emu, r, "pyairtable-prod").await;
        // Three AZs, one broker each, on the region's own configuration.
        assert_eq!(c.number_of_broker_nodes(), Some(3), "{r}");
        let sw = c.current_broker_software_info().unwrap();
        assert_eq!(
            sw.configuration_arn(),
            Some(ids[&format!("{r}/msk.configuration/main")].as_str()),
            "{r}"
        );
        let props = server_properties(&emu, r, &c).await;
        for line in [
            "log.retention.hours=168",
            "default.replication.factor=3",
            "min.insync.replicas=2",
        ] {
            assert!(props.lines().any(|l| l == line), "{r}: {props}");
        }
    }
    let source = &ids["us-east-1/msk.cluster/main"];
    for r in ["eu-west-1", "ap-southeast-1"] {
        let k = emu.kafka(r).await;
        let rep = k
            .describe_replicator()
            .replicator_arn(&ids[&format!("{r}/msk.replicator/from-us-east-1")])
            .send()
            .await
            .unwrap();
        let mut clusters: Vec<&str> = rep
            .kafka_clusters()
            .iter()
            .filter_map(|c| c.amazon_msk_cluster()?.msk_cluster_arn())
            .collect();
        clusters.sort();
        let mut expected = vec![
            source.as_str(),
            ids[&format!("{r}/msk.cluster/main")].as_str(),
        ];
        expected.sort();
        assert_eq!(clusters, expected, "{r}");
        let mut topics = rep.replication_info_list()[0]
            .topic_replication()
            .unwrap()
            .topics_to_replicate()
            .to_vec();
        topics.sort();
        assert_eq!(topics, ["audit-logs", "events", "notifications"], "{r}");
    }
    let attached = emu
        .iam()
        .await
        .list_attached_role_policies()
        .role_name("pyairtable-prod-msk-replicator")
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    assert_eq!(
        arns,
        ["arn:aws:iam::aws:policy/service-role/AWSMSKReplicatorExecutionRole"]
    );
}
