//! Elastic Load Balancing v2 reconcilers: an application load balancer per region, its target
//! group and its listeners.
//!
//! Refresh: one paginated DescribeLoadBalancers and one DescribeTargetGroups per region, one
//! DescribeListeners per load balancer (the API lists listeners of one load balancer at a time),
//! and DescribeTags in batches of 20 ARNs (its limit).

mod listener;
mod load_balancer;
mod target_group;

use aws_sdk_elasticloadbalancingv2::types::Tag;
use aws_sdk_elasticloadbalancingv2::Client;
use provision_aws::props::Props;
use provision_aws::tags::address_tag;
use provision_aws::tags::tag_diff;
use provision_aws::{classify as err, AwsConfigs};
use provision_core::{Address, ReconcileContext, ReconcileError, Reconciler, Target};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every ELBv2 reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![
        Arc::new(load_balancer::LoadBalancer(configs.clone())),
        Arc::new(target_group::TargetGroup(configs.clone())),
        Arc::new(listener::Listener(configs)),
    ]
}

/// The part of a load balancer or target group ARN that CloudWatch takes as its dimension:
/// `app/<name>/<id>` (LoadBalancer) or `targetgroup/<name>/<id>` (TargetGroup).
pub(crate) fn arn_suffix(arn: &str) -> String {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    resource
        .strip_prefix("loadbalancer/")
        .unwrap_or(resource)
        .to_string()
}

async fn client(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.retrying(region).await)
}

/// Creates are sent once by the SDK: the engine looks the object up before any resend.
async fn single_shot(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.single_shot(region).await)
}

fn elb_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags of each ARN, in batches of 20 (DescribeTags' limit).
async fn tags_of(
    client: &Client,
    arns: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, ReconcileError> {
    let mut out = BTreeMap::new();
    for batch in arns.chunks(20) {
        let r = client
            .describe_tags()
            .set_resource_arns(Some(batch.to_vec()))
            .send()
            .await
            .map_err(err)?;
        for d in r.tag_descriptions() {
            let Some(arn) = d.resource_arn() else {
                continue;
            };
            let tags = d
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
                .collect();
            out.insert(arn.to_string(), tags);
        }
    }
    Ok(out)
}

/// Bring the tags of `arn` to the desired set.
async fn retag(
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
            .add_tags()
            .resource_arns(arn)
            .set_tags(Some(elb_tags(&diff.set)))
            .send()
            .await
            .map_err(err)?;
    }
    if !diff.remove.is_empty() {
        client
            .remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(diff.remove))
            .send()
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// Pair each target with its listed object: by ARN once it has an id, by `name` before.
fn by_id_or_name<'a, T>(
    targets: &'a [Target],
    items: &'a [T],
    arn: impl Fn(&T) -> Option<&str>,
    name: impl Fn(&T) -> Option<&str>,
) -> Vec<(&'a Target, &'a T)> {
    targets
        .iter()
        .filter_map(|t| {
            let wanted = provision_aws::props::target_name(t, "name");
            let item = items.iter().find(|i| match &t.id {
                Some(id) => arn(i) == Some(id.as_str()),
                None => wanted.as_deref().is_some_and(|n| name(i) == Some(n)),
            })?;
            Some((t, item))
        })
        .collect()
}

/// Read the tags of the found objects (in batches) and keep those that carry no other
/// address's `provision:address` tag, each with its tags.
async fn claimed<'a, T>(
    client: &Client,
    found: Vec<(&'a Target, T)>,
    arn: impl Fn(&T) -> Option<&str>,
) -> Result<Vec<(&'a Target, T, BTreeMap<String, String>)>, ReconcileError> {
    let arns: Vec<String> = found
        .iter()
        .filter_map(|(_, i)| arn(i).map(str::to_string))
        .collect();
    let mut tags = tags_of(client, &arns).await?;
    Ok(found
        .into_iter()
        .filter_map(|(t, i)| {
            let tags = arn(&i).and_then(|a| tags.remove(a)).unwrap_or_default();
            if address_tag(&tags).is_some_and(|a| a != t.address) {
                return None;
            }
            Some((t, i, tags))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::arn_suffix;

    #[test]
    fn arn_suffixes_are_cloudwatch_dimensions() {
        assert_eq!(
            arn_suffix("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188"),
            "app/web/50dc6c495c0c9188"
        );
        assert_eq!(
            arn_suffix("arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/73e2d6bc24d8a067"),
            "targetgroup/web/73e2d6bc24d8a067"
        );
        assert_eq!(arn_suffix("not an arn"), "");
    }
}
