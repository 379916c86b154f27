//! IAM, KMS and EKS: what `up` builds, in-place updates, the version upgrade order, and
//! teardown order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::*;

#[tokio::test(flavor = "multi_thread")]
async fn clusters_node_groups_keys_and_roles_are_built_as_specified() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", PROD, "--yes"]);

    let iam = emu.iam().await;
    for (role, policies) in [
        (
            "pyairtable-prod-eks-cluster",
            vec!["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"],
        ),
        (
            "pyairtable-prod-eks-node",
            vec![
                "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
                "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
            ],
        ),
    ] {
        let attached = iam
            .list_attached_role_policies()
            .role_name(role)
            .send()
            .await
            .unwrap();
        let mut arns: Vec<&str> = attached
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn())
            .collect();
        arns.sort();
        assert_eq!(arns, policies, "{role}");
    }

    for r in REGIONS {
        let eks = emu.eks(r).await;
        let c = eks
            .describe_cluster()
            .name("pyairtable-prod")
            .send()
            .await
            .unwrap();
        let c = c.cluster().unwrap();
        assert_eq!(c.version(), Some("1.31"), "{r}");
        let mut logged: Vec<&str> = c
            .logging()
            .unwrap()
            .cluster_logging()
            .iter()
            .filter(|l| l.enabled() == Some(true))
            .flat_map(|l| l.types().iter().map(|t| t.as_str()))
            .collect();
        logged.sort();
        assert_eq!(logged, ["api", "audit", "authenticator"], "{r}");
        let vpc = c.resources_vpc_config().unwrap();
        assert_eq!(vpc.subnet_ids().len(), 3, "{r}: private subnets");
        assert!(!vpc.endpoint_public_access(), "{r}");
        let key_arn = c.encryption_config()[0]
            .provider()
            .unwrap()
            .key_arn()
            .unwrap()
            .to_string();

        let g = eks
            .describe_nodegroup()
            .cluster_name("pyairtable-prod")
            .nodegroup_name("general")
            .send()
            .await
            .unwrap();
        let g = g.nodegroup().unwrap();
        assert_eq!(
            g.version(),
            Some("1.31"),
            "{r}: node group follows the cluster"
        );
        let sc = g.scaling_config().unwrap();
        assert_eq!(
            (sc.min_size(), sc.desired_size(), sc.max_size()),
            (Some(3), Some(3), Some(12))
        );
        assert_eq!(g.capacity_type().map(|c| c.as_str()), Some("ON_DEMAND"));
        assert_eq!(
            g.labels().unwrap().get("workload").map(String::as_str),
            Some("general")
        );

        let kms = emu.kms(r).await;
        let key = kms.describe_key().key_id(&key_arn).send().await.unwrap();
        assert!(key.key_metadata().unwrap().arn().unwrap().contains(r));
        let rot = kms
            .get_key_rotation_status()
            .key_id(&key_arn)
            .send()
            .await
            .unwrap();
        assert!(rot.key_rotation_enabled(), "{r}: key rotation");
    }

    // A no-op diff, and a second up that changes nothing.
    assert_eq!(p.run(&["diff", "--detailed-exitcode"]).code, 0);
    emu.reset_calls();
    p.ok(&["up", PROD, "--yes"]);
    let mutating = emu.mutating_calls();
    assert!(mutating.is_empty(), "{mutating:?}");
}

#[test]
fn node_group_size_updates_in_place_and_upgrades_go_cluster_first() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", DEV, "--yes"]);
    let ids = p.ids("pyairtable-dev");
    let dir = tempfile::tempdir().unwrap();

    let bigger = edited_spec(dir.path(), DEV, &[("      desired: 1", "      desired: 2")]);
    let bigger = bigger.to_str().unwrap();
    let diff = p.run(&["diff", bigger, "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(
        diff.stdout
            .contains("~ us-east-1/eks.node_group/general will be updated in place"),
        "{diff:?}"
    );
    assert!(
        diff.stdout.contains("~ scaling.desired_size = 1 -> 2"),
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

    // 1.31 -> 1.32: each region's cluster, then its node group, in one apply.
    let newer = edited_spec(
        dir.path(),
        DEV,
        &[
            ("      desired: 1", "      desired: 2"),
            ("version: \"1.31\"", "version: \"1.32\""),
        ],
    );
    let newer = newer.to_str().unwrap();
    let diff = p.run(&["diff", newer]);
    assert!(
        diff.stdout
            .contains("Plan: 0 to add, 6 to change, 0 to destroy."),
        "{diff:?}"
    );
    emu.reset_calls();
    p.ok(&["up", newer, "--yes"]);
    for r in REGIONS {
        let calls: Vec<String> = emu
            .calls()
            .into_iter()
            .filter(|c| c.region == r && c.is_mutating())
            .map(|c| c.action)
            .collect();
        let cluster = calls
            .iter()
            .position(|a| a.ends_with("/clusters/pyairtable-dev/updates"))
            .unwrap_or_else(|| panic!("{r}: {calls:?}"));
        let group = calls
            .iter()
            .position(|a| a.contains("/node-groups/general/update-version"))
            .unwrap_or_else(|| panic!("{r}: {calls:?}"));
        assert!(
            cluster < group,
            "{r}: node group upgraded before its cluster: {calls:?}"
        );
    }
    assert_eq!(p.ids("pyairtable-dev"), ids);
    assert_eq!(p.run(&["diff", newer, "--detailed-exitcode"]).code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn teardown_deletes_node_groups_before_clusters() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", DEV, "--yes"]);
    p.ok(&["destroy", "--region", "ap-southeast-1", "--yes"]);
    let gone = emu
        .eks("ap-southeast-1")
        .await
        .list_clusters()
        .send()
        .await
        .unwrap();
    assert!(gone.clusters().is_empty(), "{:?}", gone.clusters());
    let kept = emu
        .eks("us-east-1")
        .await
        .list_clusters()
        .send()
        .await
        .unwrap();
    assert_eq!(kept.clusters(), ["pyairtable-dev"]);

    emu.reset_calls();
    p.ok(&["destroy", "--yes"]);
    for r in ["us-east-1", "eu-west-1"] {
        let calls: Vec<String> = emu
            .calls()
            .into_iter()
            .filter(|c| c.region == r && c.is_mutating())
            .map(|c| c.action)
            .collect();
        let group = calls
            .iter()
            .position(|a| a.starts_with("DELETE") && a.contains("/node-groups/"))
            .unwrap_or_else(|| panic!("{r}: {calls:?}"));
        let cluster = calls
            .iter()
            .position(|a| a == "DELETE /clusters/pyairtable-dev")
            .unwrap_or_else(|| panic!("{r}: {calls:?}"));
        assert!(group < cluster, "{r}: {calls:?}");
        assert!(emu
            .eks(r)
            .await
            .list_clusters()
            .send()
            .await
            .unwrap()
            .clusters()
            .is_empty());
    }
    let roles = emu
        .iam()
        .await
        .list_roles()
        .path_prefix("/provision/")
        .send()
        .await
        .unwrap();
    assert!(roles.roles().is_empty(), "{:?}", roles.roles());
}
