//! Faults: with a proxy answering a fifth of the requests with 503, a throttling error, or a
//! dropped connection (before or after the emulator performed the request), `up` and `destroy`
//! of the dev stack still converge, nothing is lost and nothing is duplicated.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::faults::{Fault, FaultProxy};
use provision_tests::*;

const STACK: &str = "pyairtable-dev";
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-1"];
const SEED: u64 = 0xfa17_2026;

#[test]
fn up_and_destroy_converge_with_a_fifth_of_requests_failing() {
    let emu = Emulator::start();
    let proxy = FaultProxy::start(&emu.endpoint, 0.2, SEED);
    let p = Provision::new(&proxy.endpoint);

    let up = p.run(&["up", "specs/dev.yaml", "--yes"]);
    assert_eq!(up.code, 0, "up did not converge through the faults: {up:?}");
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "the diff after up is not empty: {diff:?}");
    assert_one_object_per_address(&emu, &p, STACK, &REGIONS, "after up");

    // Every kind of fault happened, and retries were visible.
    let counts = proxy.counts();
    for f in [
        Fault::Unavailable,
        Fault::Throttle,
        Fault::DropBefore,
        Fault::DropAfter,
    ] {
        assert!(
            counts.get(&Some(f)).copied().unwrap_or(0) > 0,
            "{f:?} never injected: {counts:?}"
        );
    }

    let destroy = p.run(&["destroy", "--yes"]);
    assert_eq!(destroy.code, 0, "destroy did not converge: {destroy:?}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let left = rt.block_on(emu.tagged_objects(STACK, &REGIONS));
    let left: Vec<_> = left
        .into_iter()
        .filter(|(arn, _)| !kept_after_delete(&rt, &emu, arn))
        .collect();
    assert!(left.is_empty(), "left after destroy: {left:?}");
    assert!(
        p.state(STACK).resources.is_empty(),
        "the state still holds resources"
    );
}

/// Objects AWS keeps listing, tags and all, for a while after they are deleted: a NAT gateway
/// in state `deleted`, a KMS key pending deletion, a secret in its recovery window.
fn kept_after_delete(rt: &tokio::runtime::Runtime, emu: &Emulator, arn: &str) -> bool {
    let region = arn.split(':').nth(3).unwrap_or_default();
    if let Some(id) = arn.split(":natgateway/").nth(1) {
        let out = rt
            .block_on(async {
                emu.ec2(region)
                    .await
                    .describe_nat_gateways()
                    .nat_gateway_ids(id)
                    .send()
                    .await
            })
            .unwrap();
        return out
            .nat_gateways()
            .iter()
            .all(|n| n.state() == Some(&aws_sdk_ec2::types::NatGatewayState::Deleted));
    }
    if arn.contains(":key/") {
        let out = rt
            .block_on(async {
                emu.kms(region)
                    .await
                    .describe_key()
                    .key_id(arn)
                    .send()
                    .await
            })
            .unwrap();
        return out.key_metadata().and_then(|m| m.key_state())
            == Some(&aws_sdk_kms::types::KeyState::PendingDeletion);
    }
    if arn.contains(":secret:") {
        let out = rt
            .block_on(async {
                emu.secrets(region)
                    .await
                    .describe_secret()
                    .secret_id(arn)
                    .send()
                    .await
            })
            .unwrap();
        return out.deleted_date().is_some();
    }
    false
}
