//! RDS reconcilers: DB subnet groups, DB parameter groups, DB instances (a primary, and
//! cross-region read replicas created from its ARN), and cross-region automated-backup
//! replication.
//!
//! RDS names are natural keys (identifiers are unique per region and account), and
//! DescribeDBInstances takes a `db-instance-id` filter with many values: one call observes every
//! instance of a region.

mod backup_replication;
mod instance;
mod parameter_group;
mod subnet_group;

use aws_sdk_rds::types::Tag;
use aws_sdk_rds::Client;
use provision_aws::props::Props;
use provision_aws::tags::tag_diff;
use provision_aws::{classify as err, AwsConfigs};
use provision_core::{Address, ReconcileContext, ReconcileError, Reconciler};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every RDS reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![
        Arc::new(subnet_group::SubnetGroup(configs.clone())),
        Arc::new(parameter_group::ParameterGroup(configs.clone())),
        Arc::new(instance::Instance(configs.clone())),
        Arc::new(backup_replication::BackupReplication(configs)),
    ]
}

async fn client(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.retrying(region).await)
}

/// A client that sends each request once, for creates without an idempotency token.
async fn client_once(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.single_shot(region).await)
}

fn rds_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn tags_of(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// Bring an RDS resource's tags (by ARN) to the desired set.
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
            .set_tags(Some(rds_tags(&diff.set)))
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

/// The tags of a resource by ARN (subnet and parameter groups do not return them inline).
async fn list_tags(client: &Client, arn: &str) -> Result<BTreeMap<String, String>, ReconcileError> {
    let out = client
        .list_tags_for_resource()
        .resource_name(arn)
        .send()
        .await
        .map_err(err)?;
    Ok(tags_of(out.tag_list()))
}

use provision_aws::props::target_name as name_of;
