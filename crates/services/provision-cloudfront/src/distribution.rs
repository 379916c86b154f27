//! `cloudfront.distribution`: a web distribution with custom origins, an optional origin group
//! for failover, a default cache behaviour (cache, origin request and response headers
//! policies), custom error pages, the user's ACM certificate, and a CLOUDFRONT web ACL.
//!
//! Its id is the distribution id, its ARN the distribution's. It carries the provision tags.
//! `hosted_zone_id` is Z2FDTNDATAQYW2, the zone of every CloudFront alias target: the API
//! does not answer it, and Route 53 documents it as this constant.
//!
//! - Refresh: one paginated ListDistributions (every distribution of the account), matched by
//!   the recorded id; a target without one (a create whose answer was lost) is looked for by
//!   its `provision:stack` and `provision:address` tags. ListTagsForResource per candidate
//!   (CloudFront has no batch tag read), then GetDistributionConfig per match: the summaries
//!   lack DefaultRootObject (and CallerReference and Logging, which `update` must send back).
//! - Create: CreateDistributionWithTags, CallerReference = the intent's token (a resend gives
//!   the same distribution back, or `DistributionAlreadyExists`, which the engine resolves by
//!   tag). `ready` polls GetDistribution until `Deployed`.
//! - Update: GetDistributionConfig, the properties applied to that whole config (what they do
//!   not speak of, CallerReference included, is sent back as it was), UpdateDistribution with
//!   `IfMatch` = its ETag (a stale one is a conflict the engine retries with a fresh read),
//!   then the tags. `ready` again waits for `Deployed`.
//! - Delete: AWS deletes only a disabled, deployed distribution. `delete` disables it
//!   (UpdateDistribution, Enabled=false, IfMatch) and returns; `gone` then reads it each poll:
//!   absent is gone; still enabled (the disabling update lost, or enabled again outside) is
//!   disabled again; `InProgress` waits; `Deployed` and disabled gets DeleteDistribution with
//!   the ETag of that read, and is gone once AWS accepts it or answers NoSuchDistribution.
//!   Each step decides from what it reads, so a run killed anywhere in between picks up where
//!   it was: the next `delete` finds it disabled and sends nothing.

use crate::distribution_config::{apply, for_create, props_of};
use crate::{client, invalid};
use async_trait::async_trait;
use aws_sdk_cloudfront::types::{
    Distribution as Dist, DistributionConfig, DistributionConfigWithTags, DistributionSummary, Tag,
    TagKeys, Tags,
};
use aws_sdk_cloudfront::Client;
use provision_aws::props::{gone_ok, readiness, vanished, Props};
use provision_aws::tags::{address_tag, tag_diff, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use std::collections::{BTreeMap, HashMap};

pub struct Distribution(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "cloudfront.distribution",
    fields: &[
        FieldSchema::mutable("comment"),
        FieldSchema::mutable("enabled"),
        FieldSchema::mutable("aliases").unordered(),
        FieldSchema::mutable("price_class"),
        FieldSchema::mutable("default_root_object"),
        FieldSchema::mutable("origins"),
        FieldSchema::mutable("origin_group"),
        FieldSchema::mutable("default_behavior"),
        FieldSchema::mutable("custom_error_responses"),
        FieldSchema::mutable("certificate_arn"),
        FieldSchema::mutable("minimum_protocol_version"),
        FieldSchema::mutable("web_acl_id"),
        FieldSchema::mutable("http_version"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("domain_name"),
        FieldSchema::computed("status").changes_on_update(),
        FieldSchema::computed("hosted_zone_id"),
    ],
    // Every field changes in place. Were it ever replaced, aliases are unique across CloudFront:
    // a second distribution could not take them while the first holds them.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

/// The Route 53 hosted zone of every CloudFront distribution, for alias records.
/// <https://docs.aws.amazon.com/Route53/latest/APIReference/API_AliasTarget.html>
pub const HOSTED_ZONE_ID: &str = "Z2FDTNDATAQYW2";

const DEPLOYED: &str = "Deployed";

fn cf_tags(tags: &BTreeMap<String, String>) -> Result<Tags, ReconcileError> {
    let items = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(invalid))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Tags::builder().set_items(Some(items)).build())
}

/// What a read of the distribution tells, whichever call made it.
struct Live<'a> {
    id: &'a str,
    arn: &'a str,
    domain_name: &'a str,
    status: &'a str,
    config: &'a DistributionConfig,
}

fn observed(
    address: &Address,
    live: Live<'_>,
    tags: &BTreeMap<String, String>,
    desired: Option<&Props>,
) -> Observed {
    let mut p = props_of(live.config, desired);
    p.insert("tags".into(), user_tags(tags));
    p.insert("domain_name".into(), live.domain_name.into());
    p.insert("status".into(), live.status.into());
    p.insert("hosted_zone_id".into(), HOSTED_ZONE_ID.into());
    Observed {
        address: address.clone(),
        id: live.id.to_string(),
        arn: Some(live.arn.to_string()),
        properties: p,
    }
}

/// The distribution's tags; None if it is gone.
async fn tags_of(
    client: &Client,
    arn: &str,
) -> Result<Option<BTreeMap<String, String>>, ReconcileError> {
    match client
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
        .map_err(err)
    {
        Ok(o) => Ok(Some(
            o.tags()
                .and_then(|t| t.items.as_ref())
                .into_iter()
                .flatten()
                .map(|t| (t.key.clone(), t.value.clone().unwrap_or_default()))
                .collect(),
        )),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The tags of `arn`, read at most once per refresh.
async fn cached_tags<'c>(
    client: &Client,
    cache: &'c mut HashMap<String, Option<BTreeMap<String, String>>>,
    arn: &str,
) -> Result<&'c Option<BTreeMap<String, String>>, ReconcileError> {
    if !cache.contains_key(arn) {
        let tags = tags_of(client, arn).await?;
        cache.insert(arn.to_string(), tags);
    }
    Ok(cache.entry(arn.to_string()).or_default())
}

/// The whole config and its ETag; None if the distribution is gone.
async fn get_config(
    client: &Client,
    id: &str,
) -> Result<Option<(DistributionConfig, String)>, ReconcileError> {
    match client
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .map_err(err)
    {
        Ok(o) => match (o.distribution_config(), o.e_tag()) {
            (Some(c), Some(e)) => Ok(Some((c.clone(), e.to_string()))),
            _ => Err(invalid(format!(
                "GetDistributionConfig of {id} returned no config or ETag"
            ))),
        },
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The distribution (with its status) and its ETag; None if it is gone.
async fn get(client: &Client, id: &str) -> Result<Option<(Dist, String)>, ReconcileError> {
    match client.get_distribution().id(id).send().await.map_err(err) {
        Ok(o) => match (o.distribution(), o.e_tag()) {
            (Some(d), Some(e)) => Ok(Some((d.clone(), e.to_string()))),
            _ => Err(invalid(format!(
                "GetDistribution of {id} returned no distribution or ETag"
            ))),
        },
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// UpdateDistribution with Enabled=false, the rest of `config` as it is.
async fn disable(
    client: &Client,
    id: &str,
    mut config: DistributionConfig,
    etag: &str,
) -> Result<(), ReconcileError> {
    config.enabled = false;
    client
        .update_distribution()
        .id(id)
        .if_match(etag)
        .distribution_config(config)
        .send()
        .await
        .map_err(err)?;
    Ok(())
}

#[async_trait]
impl Reconciler for Distribution {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let client = client(&self.0, SCHEMA.kind, region).await?;
        let all: Vec<DistributionSummary> = client
            .list_distributions()
            .max_items(100)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<_, _>>()
            .await
            .map_err(err)?;
        let recorded: Vec<&str> = targets.iter().filter_map(|t| t.id.as_deref()).collect();
        let mut cache = HashMap::new();
        let mut out = Vec::new();
        for t in targets {
            let mut found = None;
            if let Some(id) = &t.id {
                if let Some(s) = all.iter().find(|s| &s.id == id) {
                    let tags = cached_tags(&client, &mut cache, &s.arn).await?;
                    // Skip a distribution that another address has claimed.
                    found = tags
                        .as_ref()
                        .filter(|tags| address_tag(tags).is_none_or(|a| a == t.address))
                        .map(|tags| (s, tags.clone()));
                }
            } else {
                // No id yet (a create whose answer was lost): the one tagged for this stack
                // and address, among those no target has recorded.
                for s in all.iter().filter(|s| !recorded.contains(&s.id.as_str())) {
                    let tags = cached_tags(&client, &mut cache, &s.arn).await?;
                    if let Some(tags) = tags.as_ref().filter(|tags| {
                        tags.get(TAG_STACK) == Some(&cx.stack)
                            && address_tag(tags).is_some_and(|a| a == t.address)
                    }) {
                        found = Some((s, tags.clone()));
                        break;
                    }
                }
            }
            let Some((s, tags)) = found else { continue };
            // The summary lacks DefaultRootObject, CallerReference and Logging.
            let Some((config, _)) = get_config(&client, &s.id).await? else {
                continue;
            };
            let live = Live {
                id: &s.id,
                arn: &s.arn,
                domain_name: &s.domain_name,
                status: &s.status,
                config: &config,
            };
            let desired = t.desired.as_ref().and_then(Value::as_object);
            out.push(observed(&t.address, live, &tags, desired));
        }
        Ok(out)
    }

    async fn create(
        &self,
        cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        let p = &req.properties;
        let config = for_create(&req.token, p)?;
        let tags = cx.tags_for(&req.address, p);
        // CallerReference makes a resend safe: the retrying client.
        let out = client(&self.0, SCHEMA.kind, region)
            .await?
            .create_distribution_with_tags()
            .distribution_config_with_tags(
                DistributionConfigWithTags::builder()
                    .distribution_config(config)
                    .tags(cf_tags(&tags)?)
                    .build(),
            )
            .send()
            .await
            .map_err(err)?;
        let d = out
            .distribution()
            .ok_or_else(|| invalid("CreateDistributionWithTags returned no distribution"))?;
        let config = d
            .distribution_config()
            .ok_or_else(|| invalid("CreateDistributionWithTags returned no config"))?;
        let live = Live {
            id: &d.id,
            arn: &d.arn,
            domain_name: &d.domain_name,
            status: &d.status,
            config,
        };
        Ok(observed(&req.address, live, &tags, Some(p)))
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client = client(&self.0, SCHEMA.kind, region).await?;
        let id = observed.id.as_str();
        let gone =
            || ReconcileError::new(ErrorClass::NotFound, format!("distribution {id} is gone"));
        let (config, etag) = get_config(&client, id).await?.ok_or_else(gone)?;
        let mut wanted = config.clone();
        apply(&mut wanted, desired)?;
        let computed = |key: &str| {
            observed
                .properties
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (mut arn, mut domain_name, mut status) = (
            observed.arn.clone(),
            computed("domain_name"),
            computed("status"),
        );
        let config = if wanted == config {
            config
        } else {
            let out = client
                .update_distribution()
                .id(id)
                .if_match(etag)
                .distribution_config(wanted.clone())
                .send()
                .await
                .map_err(err)?;
            let d = out
                .distribution()
                .ok_or_else(|| invalid("UpdateDistribution returned no distribution"))?;
            (arn, domain_name, status) =
                (Some(d.arn.clone()), d.domain_name.clone(), d.status.clone());
            d.distribution_config.clone().unwrap_or(wanted)
        };
        let arn = match arn {
            Some(a) => a,
            None => get(&client, id).await?.ok_or_else(gone)?.0.arn,
        };
        let diff = tag_diff(cx, &observed.address, &observed.properties, desired);
        if !diff.set.is_empty() {
            client
                .tag_resource()
                .resource(&arn)
                .tags(cf_tags(&diff.set)?)
                .send()
                .await
                .map_err(err)?;
        }
        if !diff.remove.is_empty() {
            client
                .untag_resource()
                .resource(&arn)
                .tag_keys(TagKeys::builder().set_items(Some(diff.remove)).build())
                .send()
                .await
                .map_err(err)?;
        }
        let live = Live {
            id,
            arn: &arn,
            domain_name: &domain_name,
            status: &status,
            config: &config,
        };
        let tags = cx.tags_for(&observed.address, desired);
        Ok(self::observed(
            &observed.address,
            live,
            &tags,
            Some(desired),
        ))
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let client = client(&self.0, SCHEMA.kind, region).await?;
        let Some((config, etag)) = get_config(&client, &observed.id).await? else {
            return Ok(());
        };
        if config.enabled {
            // A stale ETag is a conflict: the engine calls delete again, which reads again.
            gone_ok(disable(&client, &observed.id, config, &etag).await)?;
        }
        // `gone` deletes it once the disabled configuration is deployed.
        Ok(())
    }

    async fn ready(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<Readiness, ReconcileError> {
        let client = client(&self.0, SCHEMA.kind, region).await?;
        let what = format!("CloudFront distribution {}", observed.id);
        Ok(match get(&client, &observed.id).await? {
            Some((d, _)) => readiness(&what, Some(&d.status), &[DEPLOYED], &[]),
            None => vanished(&what),
        })
    }

    async fn gone(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<bool, ReconcileError> {
        let client = client(&self.0, SCHEMA.kind, region).await?;
        let id = &observed.id;
        let Some((d, etag)) = get(&client, id).await? else {
            return Ok(true);
        };
        let config = d
            .distribution_config
            .ok_or_else(|| invalid(format!("GetDistribution of {id} returned no config")))?;
        if config.enabled {
            tracing::info!(distribution = %id, "enabled again before its deletion; disabling it");
            gone_ok(disable(&client, id, config, &etag).await)?;
            return Ok(false);
        }
        if d.status != DEPLOYED {
            return Ok(false);
        }
        match client
            .delete_distribution()
            .id(id)
            .if_match(etag)
            .send()
            .await
            .map_err(err)
        {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(true),
            // Changed since the read (PreconditionFailed) or not deployed after all: next poll.
            Err(e) if e.class == ErrorClass::Conflict => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_keep_keys_and_values() {
        let tags: BTreeMap<String, String> = [
            (
                "provision:address".to_string(),
                "global/cloudfront.distribution/web".to_string(),
            ),
            ("Project".to_string(), "pyairtable".to_string()),
        ]
        .into();
        let t = cf_tags(&tags).unwrap();
        let items = t.items.unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].key, "Project");
        assert_eq!(items[0].value.as_deref(), Some("pyairtable"));
    }

    #[test]
    fn the_schema_compares_what_the_spec_sets() {
        assert_eq!(SCHEMA.kind, "cloudfront.distribution");
        assert!(SCHEMA.field("aliases").unwrap().unordered);
        for computed in ["domain_name", "status", "hosted_zone_id"] {
            assert_eq!(SCHEMA.field(computed).unwrap().mode, FieldMode::Computed);
        }
        assert!(SCHEMA.field("etag").is_none());
    }
}
