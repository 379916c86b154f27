//! `--target` and `--exclude` on up, diff and destroy: a target brings what it needs (and, for
//! destroy, takes what depends on it); an exclude leaves out what depends on it (for destroy:
//! keeps what it needs). Nothing outside the selection is touched.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::*;
use std::path::{Path, PathBuf};

const STACK: &str = "pyairtable-dev";

fn network_spec(dir: &Path) -> PathBuf {
    let path = dir.join("dev-network.yaml");
    std::fs::write(&path, dev_network()).unwrap();
    path
}

fn in_region(ids: &std::collections::BTreeMap<String, String>, region: &str) -> usize {
    ids.keys()
        .filter(|a| a.starts_with(&format!("{region}/")))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn targets_and_excludes_narrow_up_diff_and_destroy() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let spec = network_spec(dir.path());
    let spec = spec.to_str().unwrap();

    // A target brings what it needs: the subnet and its VPC, nothing else.
    let up = p.ok(&[
        "up",
        spec,
        "--target",
        "us-east-1/ec2.subnet/public-a",
        "--yes",
    ]);
    assert!(
        up.stdout
            .contains("Plan: 2 to add, 0 to change, 0 to destroy."),
        "{up:?}"
    );
    assert!(up.stderr.contains("narrowed the plan"), "{up:?}");
    let ids = p.ids(STACK);
    assert_eq!(
        ids.keys().collect::<Vec<_>>(),
        ["us-east-1/ec2.subnet/public-a", "us-east-1/ec2.vpc/main"]
    );
    let vpcs = |region: &'static str| {
        let emu = &emu;
        async move {
            emu.ec2(region)
                .await
                .describe_vpcs()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("tag:provision:stack")
                        .values(STACK)
                        .build(),
                )
                .send()
                .await
                .unwrap()
                .vpcs()
                .len()
        }
    };
    assert_eq!(vpcs("us-east-1").await, 1);
    assert_eq!(vpcs("eu-west-1").await, 0);

    // diff narrowed to a region shows that region's changes only.
    let diff = p.run(&["diff", spec, "--target", "eu-west-1", "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    assert!(diff.stdout.contains("+ eu-west-1/ec2.vpc/main"), "{diff:?}");
    assert!(!diff.stdout.contains("us-east-1/"), "{diff:?}");
    assert!(!diff.stdout.contains("ap-southeast-1/"), "{diff:?}");

    // An exclude leaves out a whole region.
    p.ok(&["up", spec, "--exclude", "ap-southeast-1", "--yes"]);
    let ids = p.ids(STACK);
    assert_eq!(in_region(&ids, "ap-southeast-1"), 0);
    assert!(in_region(&ids, "eu-west-1") > 0);
    assert_eq!(vpcs("ap-southeast-1").await, 0);
    // The full diff still wants it.
    let diff = p.run(&["diff", spec, "--detailed-exitcode"]);
    assert_eq!(diff.code, 2, "{diff:?}");
    p.ok(&["up", spec, "--yes"]);
    let full = p.ids(STACK);
    assert_eq!(p.run(&["diff", spec, "--detailed-exitcode"]).code, 0);

    // A destroy target takes what depends on it: the VPC takes its region's network along (but
    // the Elastic IP, which depends on nothing, stays), and the other regions keep their ids.
    let out = p.ok(&["destroy", "--target", "us-east-1/ec2.vpc/main", "--yes"]);
    assert!(out.stderr.contains("narrowed the plan"), "{out:?}");
    let after = p.ids(STACK);
    let us: Vec<&String> = after
        .keys()
        .filter(|a| a.starts_with("us-east-1/"))
        .collect();
    assert!(
        !us.is_empty() && us.iter().all(|a| a.starts_with("us-east-1/ec2.eip/")),
        "{us:?}"
    );
    assert_eq!(vpcs("us-east-1").await, 0);
    for (a, id) in &full {
        if !a.starts_with("us-east-1/") || a.starts_with("us-east-1/ec2.eip/") {
            assert_eq!(after.get(a), Some(id), "{a}");
        }
    }

    // A destroy exclude keeps what it needs: eu-west-1's subnet keeps its VPC; the rest goes.
    p.ok(&[
        "destroy",
        "--exclude",
        "eu-west-1/ec2.subnet/private-a",
        "--yes",
    ]);
    let left = p.ids(STACK);
    assert_eq!(
        left.keys().collect::<Vec<_>>(),
        ["eu-west-1/ec2.subnet/private-a", "eu-west-1/ec2.vpc/main"]
    );
    assert_eq!(vpcs("ap-southeast-1").await, 0);
    assert_eq!(vpcs("eu-west-1").await, 1);

    // A pattern that matches nothing is an error, and changes nothing.
    emu.reset_calls();
    let bad = p.run(&["destroy", "--target", "eu-west-1/ec2.vpc/nope", "--yes"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("matches no resource"), "{bad:?}");
    assert!(emu.mutating_calls().is_empty());
}
