//! ElastiCache reconcilers: the cache subnet group, a parameter group with cluster mode on, and
//! a Redis (or Valkey) replication group in cluster mode, encrypted at rest and in transit.
//!
//! Names are natural keys. One DescribeReplicationGroups and one DescribeCacheClusters per region
//! observe every replication group (the engine version and the maintenance window live on the
//! member clusters); tags cost one ListTagsForResource per object.

mod parameter_group;
mod replication_group;
mod subnet_group;

use aws_sdk_elasticache::types::Tag;
use aws_sdk_elasticache::Client;
use provision_aws::props::Props;
use provision_aws::tags::tag_diff;
use provision_aws::{classify as err, AwsConfigs};
use provision_core::{Address, ReconcileContext, ReconcileError, Reconciler};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every ElastiCache reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![
        Arc::new(subnet_group::SubnetGroup(configs.clone())),
        Arc::new(parameter_group::ParameterGroup(configs.clone())),
        Arc::new(replication_group::ReplicationGroup(configs)),
    ]
}

async fn client(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.retrying(region).await)
}

async fn client_once(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.single_shot(region).await)
}

fn ec_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

async fn list_tags(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, ReconcileError> {
    let out = client
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(err)?;
    Ok(out
        .tag_list()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect())
}

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
            .add_tags_to_resource()
            .resource_name(arn)
            .set_tags(Some(ec_tags(&diff.set)))
            .send()
            .await
            .map_err(err)?;
    }
    if !diff.remove.is_empty() {
        client
            .remove_tags_from_resource()
            .resource_name(arn)
            .set_tag_keys(Some(diff.remove))
            .send()
            .await
            .map_err(err)?;
    }
    Ok(())
}

use provision_aws::props::target_name as name_of;
