//! With the emulator's lifecycle mode, objects take several polls to become ready or gone, so
//! the waits are really exercised.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::*;

#[tokio::test(flavor = "multi_thread")]
async fn up_waits_through_creating_states_with_regions_side_by_side() {
    let emu = Emulator::start_with_lifecycle(2);
    let p = Provision::new(&emu.endpoint);
    let up = p.ok(&["up", DEV, "--yes"]);
    assert!(
        up.stderr.contains("is CREATING"),
        "no wait was shown: {up:?}"
    );
    assert!(
        up.stderr.contains("is pending"),
        "no NAT wait was shown: {up:?}"
    );

    // Every region's cluster is created before any region's node group: the clusters' waits
    // overlap instead of running one after the other.
    let calls: Vec<_> = emu.calls();
    let creates: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.action == "POST /clusters")
        .map(|(i, _)| i)
        .collect();
    let groups: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.action.starts_with("POST /clusters/") && c.action.ends_with("/node-groups")
        })
        .map(|(i, _)| i)
        .collect();
    assert_eq!((creates.len(), groups.len()), (3, 3));
    assert!(
        creates.iter().max() < groups.iter().min(),
        "cluster waits did not overlap"
    );

    for r in REGIONS {
        let c = emu
            .eks(r)
            .await
            .describe_cluster()
            .name("pyairtable-dev")
            .send()
            .await
            .unwrap();
        assert_eq!(
            c.cluster().unwrap().status().map(|s| s.as_str()),
            Some("ACTIVE")
        );
    }
    // MSK: the clusters and the replicator were waited for too.
    assert!(
        up.stderr.contains("MSK cluster pyairtable-dev is CREATING"),
        "no MSK wait was shown: {up:?}"
    );
    for r in REGIONS {
        let k = emu.kafka(r).await;
        let all = k.list_clusters().send().await.unwrap();
        let states: Vec<&str> = all
            .cluster_info_list()
            .iter()
            .filter_map(|c| c.state().map(|s| s.as_str()))
            .collect();
        assert_eq!(states, ["ACTIVE"], "{r}");
    }
    let reps = emu
        .kafka("eu-west-1")
        .await
        .list_replicators()
        .send()
        .await
        .unwrap();
    let states: Vec<&str> = reps
        .replicators()
        .iter()
        .filter_map(|r| r.replicator_state().map(|s| s.as_str()))
        .collect();
    assert_eq!(states, ["RUNNING"]);
    assert_eq!(p.run(&["diff", "--detailed-exitcode"]).code, 0);

    // Destroy waits for replicators, node groups, clusters and NAT gateways to be gone.
    p.ok(&["destroy", "--yes"]);
    for r in REGIONS {
        assert!(emu
            .eks(r)
            .await
            .list_clusters()
            .send()
            .await
            .unwrap()
            .clusters()
            .is_empty());
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
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_readiness_timeout_keeps_the_resource_and_the_next_up_completes_it() {
    let emu = Emulator::start_with_lifecycle(3);
    let p = Provision::new(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let impatient = edited_spec(dir.path(), DEV, &[("  eks: 30m", "  eks: 1s")]);
    let r = p.run(&["up", impatient.to_str().unwrap(), "--yes"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("not ready after 1s"), "{r:?}");
    assert!(
        r.stderr
            .contains("skipped: create us-east-1/eks.node_group/general"),
        "{r:?}"
    );
    let st = p.state("pyairtable-dev");
    let cluster = &st.resources[&"us-east-1/eks.cluster/main".parse().unwrap()];
    assert_eq!(cluster.id.as_deref(), Some("pyairtable-dev"));
    assert_eq!(cluster.status.as_str(), "pending");

    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert!(
        diff.stdout.contains("not ready yet; apply resumes waiting"),
        "{diff:?}"
    );
    p.ok(&["up", DEV, "--yes"]);
    for r in REGIONS {
        let eks = emu.eks(r).await;
        assert_eq!(
            eks.list_clusters().send().await.unwrap().clusters(),
            ["pyairtable-dev"],
            "{r}"
        );
        let groups = eks
            .list_nodegroups()
            .cluster_name("pyairtable-dev")
            .send()
            .await
            .unwrap();
        assert_eq!(groups.nodegroups(), ["general"], "{r}");
    }
    let st = p.state("pyairtable-dev");
    assert!(st.resources.values().all(|r| r.status.as_str() == "ready"));
    assert_eq!(p.run(&["diff", "--detailed-exitcode"]).code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn peering_waits_for_the_request_and_the_acceptance() {
    let emu = Emulator::start_with_lifecycle(2);
    let p = Provision::new(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("peered.yaml");
    std::fs::write(
        &spec,
        "stack: peered\nenvironment: test\nregions:\n  \
         us-east-1: { role: primary, cidr: 10.0.0.0/16, azs: 2 }\n  \
         eu-west-1: { role: secondary, cidr: 10.1.0.0/16, azs: 2 }\n\
         network: { nat_gateways: none, peering: full_mesh }\n",
    )
    .unwrap();
    let spec = spec.to_str().unwrap();
    let up = p.ok(&["up", spec, "--yes"]);
    // The request passes `initiating-request`, the acceptance `provisioning`.
    assert!(up.stderr.contains("is initiating-request"), "{up:?}");
    assert!(up.stderr.contains("is provisioning"), "{up:?}");
    let ids = p.ids("peered-test");
    let pcx = &ids["eu-west-1/ec2.vpc_peering_connection/us-east-1"];
    let out = emu
        .ec2("eu-west-1")
        .await
        .describe_vpc_peering_connections()
        .vpc_peering_connection_ids(pcx)
        .send()
        .await
        .unwrap();
    let c = &out.vpc_peering_connections()[0];
    assert_eq!(
        c.status().and_then(|s| s.code()).map(|c| c.as_str()),
        Some("active")
    );
    assert_eq!(p.run(&["diff", "--detailed-exitcode"]).code, 0);
    p.ok(&["destroy", "--yes"]);
    let out = emu
        .ec2("us-east-1")
        .await
        .describe_vpc_peering_connections()
        .vpc_peering_connection_ids(pcx)
        .send()
        .await
        .unwrap();
    let c = &out.vpc_peering_connections()[0];
    assert_eq!(
        c.status().and_then(|s| s.code()).map(|c| c.as_str()),
        Some("deleted")
    );
    assert!(p.state("peered-test").resources.is_empty());
}
