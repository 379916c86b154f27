//! Helpers every EC2 kind shares: clients, tags, filters, property access, and the batched
//! observe-by-tag routine.

use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use aws_sdk_ec2::Client;
use provision_aws::AwsConfigs;
use provision_core::{
    Address, ErrorClass, Observed, ReconcileContext, ReconcileError, Target, TAG_STACK,
};
use std::collections::{BTreeMap, HashSet};
use std::future::Future;

pub(crate) use provision_aws::props::{b, differs, i, observed_from, opt_s, s, Props};
pub(crate) use provision_aws::tags::{address_tag, tag_diff, user_tags};

/// Per-region EC2 clients built from the shared SDK configurations.
#[derive(Clone)]
pub struct Ec2Clients {
    configs: AwsConfigs,
}

impl Ec2Clients {
    pub fn new(configs: AwsConfigs) -> Self {
        Self { configs }
    }

    /// A client with the retry policy, for reads and idempotent calls.
    pub(crate) async fn client(&self, region: &str) -> Client {
        Client::new(&self.configs.retrying(region).await)
    }

    /// A client that sends each request once: for creates that take no idempotency token.
    pub(crate) async fn client_once(&self, region: &str) -> Client {
        Client::new(&self.configs.single_shot(region).await)
    }
}

pub(crate) use provision_aws::classify as err;

/// `tag:provision:stack = <stack>`.
pub(crate) fn stack_filter(stack: &str) -> Filter {
    filter(&format!("tag:{TAG_STACK}"), [stack])
}

pub(crate) fn filter<'a>(name: &str, values: impl IntoIterator<Item = &'a str>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(str::to_string).collect()))
        .build()
}

pub(crate) fn to_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

pub(crate) fn tag_spec(rt: ResourceType, tags: &BTreeMap<String, String>) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(rt)
        .set_tags(Some(to_tags(tags)))
        .build()
}

pub(crate) fn tags_of(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

/// Bring a resource's tags to the desired set: create/overwrite changed ones, delete the user
/// tags no longer wanted. The provision tags are always (re)written.
pub(crate) async fn sync_tags(
    client: &Client,
    cx: &ReconcileContext,
    address: &Address,
    id: &str,
    observed: &Props,
    desired: &Props,
) -> Result<(), ReconcileError> {
    let diff = tag_diff(cx, address, observed, desired);
    if !diff.set.is_empty() {
        client
            .create_tags()
            .resources(id)
            .set_tags(Some(to_tags(&diff.set)))
            .send()
            .await
            .map_err(err)?;
    }
    if !diff.remove.is_empty() {
        let removed = diff
            .remove
            .iter()
            .map(|k| Tag::builder().key(k).build())
            .collect();
        client
            .delete_tags()
            .resources(id)
            .set_tags(Some(removed))
            .send()
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// A live object as a kind's `list` returns it.
pub(crate) struct Item {
    pub id: String,
    pub arn: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// The kind's properties, without `tags` (added from `tags`).
    pub props: Props,
}

impl Item {
    fn into_observed(self, address: Address) -> Observed {
        let mut properties = self.props;
        properties.insert("tags".into(), user_tags(&self.tags));
        Observed {
            address,
            id: self.id,
            arn: self.arn,
            properties,
        }
    }
}

/// Observe a taggable kind in one region in one paginated call: every object tagged with this
/// stack whose `provision:address` is of this kind. Recorded ids the tag filter missed (tags
/// removed outside provision, or the object deleted) are looked up one by one, which costs a call
/// only in that case.
pub(crate) async fn observe_tagged<F, Fut>(
    stack: &str,
    kind: &str,
    targets: &[Target],
    list: F,
) -> Result<Vec<Observed>, ReconcileError>
where
    F: Fn(Option<Filter>, Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<Item>, ReconcileError>>,
{
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for item in list(Some(stack_filter(stack)), Vec::new()).await? {
        if let Some(addr) = address_tag(&item.tags).filter(|a| a.kind() == kind) {
            seen.insert(item.id.clone());
            out.push(item.into_observed(addr));
        }
    }
    for t in targets {
        let Some(id) = t.id.as_deref().filter(|id| !seen.contains(*id)) else {
            continue;
        };
        match list(None, vec![id.to_string()]).await {
            Ok(items) => {
                for item in items.into_iter().filter(|i| i.id == id) {
                    out.push(item.into_observed(t.address.clone()));
                }
            }
            Err(e) if e.class == ErrorClass::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The outcome of a delete call: NotFound is success.
pub(crate) fn deleted<T, E, R>(
    r: Result<T, aws_sdk_ec2::error::SdkError<E, R>>,
) -> Result<(), ReconcileError>
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    ok_if_gone(r.map(|_| ()).map_err(err))
}

/// The update of a kind whose only mutable field is `tags`: sync them, and keep the id, ARN and
/// computed values of what was observed.
pub(crate) async fn update_tags_only(
    client: &Client,
    cx: &ReconcileContext,
    observed: &Observed,
    desired: &Props,
) -> Result<Observed, ReconcileError> {
    let o = &observed.properties;
    sync_tags(client, cx, &observed.address, &observed.id, o, desired).await?;
    let mut out = observed_from(&observed.address, observed.id.clone(), desired);
    out.arn = observed.arn.clone();
    for (k, v) in o {
        out.properties.entry(k.clone()).or_insert_with(|| v.clone());
    }
    Ok(out)
}

/// NotFound is success for a delete.
pub(crate) fn ok_if_gone(r: Result<(), ReconcileError>) -> Result<(), ReconcileError> {
    match r {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

/// The route tables of this stack (by tag), plus any table named in `extra_ids` that the tag
/// filter missed. Routes and associations carry no tags, so both kinds observe through this one
/// batched call and find themselves by natural key.
pub(crate) async fn stack_route_tables(
    client: &Client,
    stack: &str,
    extra_ids: &[String],
) -> Result<Vec<aws_sdk_ec2::types::RouteTable>, ReconcileError> {
    let mut tables: Vec<aws_sdk_ec2::types::RouteTable> = client
        .describe_route_tables()
        .filters(stack_filter(stack))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(err)?;
    let have: HashSet<String> = tables
        .iter()
        .filter_map(|t| t.route_table_id().map(str::to_string))
        .collect();
    for id in extra_ids.iter().filter(|id| !have.contains(*id)) {
        match client
            .describe_route_tables()
            .route_table_ids(id)
            .send()
            .await
        {
            Ok(out) => tables.extend(out.route_tables().iter().cloned()),
            Err(e) => {
                let e = err(e);
                if !e.is_not_found() {
                    return Err(e);
                }
            }
        }
    }
    Ok(tables)
}
