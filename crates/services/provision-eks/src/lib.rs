//! EKS reconcilers: clusters and managed node groups.
//!
//! EKS has no batch describe and no tag filter: a recorded (or desired) cluster or node group is
//! found by its natural key, its name, one DescribeCluster / DescribeNodegroup each. Creates carry
//! `clientRequestToken`, so a resend after a lost answer is answered with the same object. AWS
//! runs one update of a cluster or node group at a time: `update` applies the first pending
//! change and reports what it reached, and the engine waits for ACTIVE and asks again.

mod cluster;
mod node_group;

use aws_sdk_eks::Client;
use provision_aws::tags::tag_diff;
use provision_aws::{classify as err, AwsConfigs};
use provision_core::{Address, ReconcileContext, ReconcileError};
use std::sync::Arc;

use provision_aws::props::Props;
use provision_core::Reconciler;

/// Every EKS reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![
        Arc::new(cluster::Cluster(configs.clone())),
        Arc::new(node_group::NodeGroup(configs)),
    ]
}

async fn client(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.retrying(region).await)
}

/// Bring an EKS resource's tags (by ARN) to the desired set.
async fn sync_tags(
    client: &Client,
    cx: &ReconcileContext,
    address: &Address,
    arn: Option<&str>,
    observed: &Props,
    desired: &Props,
) -> Result<(), ReconcileError> {
    let diff = tag_diff(cx, address, observed, desired);
    if diff.is_empty() {
        return Ok(());
    }
    let Some(arn) = arn else {
        return Err(ReconcileError::invalid(format!(
            "{address}: no ARN recorded to tag; run `provision diff` to refresh"
        )));
    };
    if !diff.set.is_empty() {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(diff.set.into_iter().collect()))
            .send()
            .await
            .map_err(err)?;
    }
    if !diff.remove.is_empty() {
        client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(diff.remove))
            .send()
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// `1.30` → (1, 30).
fn minor(version: &str) -> Option<(u32, u32)> {
    let (a, b) = version.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// The next version to upgrade to on the way from `have` to `want`: EKS moves one minor version
/// at a time and never down.
fn next_version(have: &str, want: &str) -> Result<String, ReconcileError> {
    match (minor(have), minor(want)) {
        (Some((ha, hb)), Some((wa, wb))) if ha == wa && wb > hb => Ok(format!("{ha}.{}", hb + 1)),
        (Some(h), Some(w)) if w < h => Err(ReconcileError::invalid(format!(
            "EKS cannot downgrade Kubernetes from {have} to {want}; replace the cluster instead"
        ))),
        _ => Err(ReconcileError::invalid(format!(
            "cannot upgrade Kubernetes from {have} to {want}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrades_go_one_minor_at_a_time() {
        assert_eq!(next_version("1.29", "1.31").unwrap(), "1.30");
        assert_eq!(next_version("1.30", "1.31").unwrap(), "1.31");
        assert!(next_version("1.31", "1.29").is_err());
    }
}
