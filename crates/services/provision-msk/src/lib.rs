//! MSK reconcilers: the cluster configuration (server properties), the provisioned cluster
//! (TLS in transit, KMS at rest, IAM client authentication) and the MSK Replicator that mirrors
//! topics from the primary region's cluster to a secondary's.
//!
//! Refresh: one ListConfigurations, one ListClusters and one ListReplicators per region (each
//! paginated). Two documented per-object exceptions: a configuration's server properties come
//! from DescribeConfigurationRevision, and a replicator's topics from DescribeReplicator; the
//! list calls do not carry them. Cluster tags come with ListClusters.
//!
//! Every cluster or replicator update names the object's current version (optimistic
//! concurrency), so each update reads it fresh with one describe before its call.

mod cluster;
mod configuration;
mod replicator;

use aws_sdk_kafka::Client;
use provision_aws::props::Props;
use provision_aws::tags::tag_diff;
use provision_aws::{classify as err, AwsConfigs};
use provision_core::{Address, ReconcileContext, ReconcileError, Reconciler};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Every MSK reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![
        Arc::new(configuration::Configuration(configs.clone())),
        Arc::new(cluster::Cluster(configs.clone())),
        Arc::new(replicator::Replicator(configs)),
    ]
}

async fn client(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.retrying(region).await)
}

async fn client_once(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.single_shot(region).await)
}

fn to_hash(tags: BTreeMap<String, String>) -> HashMap<String, String> {
    tags.into_iter().collect()
}

fn from_hash(tags: Option<&HashMap<String, String>>) -> BTreeMap<String, String> {
    tags.map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default()
}

/// Bring the tags of a cluster or replicator to the declared ones.
async fn sync_tags(
    client: &Client,
    cx: &ReconcileContext,
    address: &Address,
    arn: &str,
    observed: &Props,
    desired: &Props,
) -> Result<(), ReconcileError> {
    let diff = tag_diff(cx, address, observed, desired);
    if !diff.set.is_empty() {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(to_hash(diff.set)))
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

/// A required 64-bit number property.
fn n64(props: &Props, key: &str) -> Result<i64, ReconcileError> {
    props
        .get(key)
        .and_then(provision_core::Value::as_i64)
        .ok_or_else(|| ReconcileError::invalid(format!("property `{key}` must be a number")))
}

/// A required 32-bit number property.
fn n32(props: &Props, key: &str) -> Result<i32, ReconcileError> {
    provision_aws::props::i(props, key)
        .ok_or_else(|| ReconcileError::invalid(format!("property `{key}` must be a number")))
}
