//! `provision output`: the endpoints and ARNs that `up` records, read from the state alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::*;

#[test]
fn up_records_outputs_and_output_prints_them() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    let up = p.ok(&["up", DEV, "--yes"]);
    assert!(up.stdout.contains("\nOutputs:\n"), "{up:?}");
    assert!(up.stdout.contains("us-east-1.rds_endpoint"), "{up:?}");

    let ids = p.ids("pyairtable-dev");
    emu.reset_calls();
    let out = p.ok(&["output", "--json"]);
    let all: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    for r in REGIONS {
        for what in [
            "eks_endpoint",
            "rds_endpoint",
            "redis_endpoint",
            "msk_cluster_arn",
            "alert_topic_arn",
        ] {
            let v = &all[format!("{r}.{what}")];
            assert!(
                v.as_str().is_some_and(|s| !s.is_empty()),
                "{r}.{what}: {all}"
            );
        }
        assert_eq!(
            all[format!("{r}.msk_cluster_arn")],
            ids[&format!("{r}/msk.cluster/main")]
        );
    }
    // One value, bare, for scripts.
    let one = p.ok(&["output", "eu-west-1.alert_topic_arn"]);
    assert_eq!(one.stdout.trim(), ids["eu-west-1/sns.topic/alerts"]);
    let missing = p.run(&["output", "eu-west-1.nothing"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("has no output `eu-west-1.nothing`"),
        "{missing:?}"
    );
    // Reading outputs calls no AWS API.
    assert!(emu.calls().is_empty(), "{:?}", emu.calls());

    // A region's teardown drops its outputs; a full destroy drops them all.
    p.ok(&["destroy", "--region", "ap-southeast-1", "--yes"]);
    let out = p.ok(&["output", "--json"]);
    let left: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let keys: Vec<&String> = left.as_object().unwrap().keys().collect();
    assert!(!keys.is_empty());
    assert!(
        keys.iter().all(|k| !k.starts_with("ap-southeast-1.")),
        "{keys:?}"
    );
    p.ok(&["destroy", "--yes"]);
    let out = p.ok(&["output", "--json"]);
    assert_eq!(out.stdout.trim(), "{}");
}
