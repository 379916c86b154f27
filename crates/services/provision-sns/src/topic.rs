//! `sns.topic`: a standard topic, found by name (the last part of its ARN).
//!
//! CreateTopic is idempotent for a name with the same attributes and tags (AWS returns the
//! existing topic), so a create whose answer was lost is simply sent again.

use crate::client;
use async_trait::async_trait;
use aws_sdk_sns::types::Tag;
use provision_aws::props::{s, Props};
use provision_aws::tags::{address_tag, tag_diff, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use std::collections::BTreeMap;

pub struct Topic(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "sns.topic",
    fields: &[FieldSchema::force_new("name"), FieldSchema::mutable("tags")],
    // Topic names are unique per region.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

fn sns_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ReconcileError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ReconcileError::invalid(format!("tag {k}: {e}")))
        })
        .collect()
}

fn name_of_arn(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or(arn)
}

async fn list_tags(
    client: &aws_sdk_sns::Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, ReconcileError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(err)?;
    Ok(out
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect())
}

#[async_trait]
impl Reconciler for Topic {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let client = client(&self.0, region).await;
        let arns: Vec<String> = client
            .list_topics()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?
            .into_iter()
            .filter_map(|t| t.topic_arn().map(str::to_string))
            .collect();
        let mut out = Vec::new();
        for t in targets {
            let name = provision_aws::props::target_name(t, "name");
            let found = arns.iter().find(|a| {
                t.id.as_deref() == Some(a.as_str())
                    || name.as_deref().is_some_and(|n| n == name_of_arn(a))
            });
            let Some(arn) = found else { continue };
            let tags = list_tags(&client, arn).await?;
            if address_tag(&tags).is_some_and(|a| a != t.address) {
                continue;
            }
            let mut props = Props::new();
            props.insert("name".into(), name_of_arn(arn).into());
            props.insert("tags".into(), user_tags(&tags));
            out.push(Observed {
                address: t.address.clone(),
                id: arn.clone(),
                arn: Some(arn.clone()),
                properties: props,
            });
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
        let out = client(&self.0, region)
            .await
            .create_topic()
            .name(s(p, "name")?)
            .set_tags(Some(sns_tags(&cx.tags_for(&req.address, p))?))
            .send()
            .await
            .map_err(err)?;
        let arn = out
            .topic_arn()
            .ok_or_else(|| ReconcileError::invalid("CreateTopic returned no ARN"))?
            .to_string();
        let mut o = provision_aws::props::observed_from(&req.address, arn.clone(), p);
        o.arn = Some(arn);
        Ok(o)
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client = client(&self.0, region).await;
        let diff = tag_diff(cx, &observed.address, &observed.properties, desired);
        if !diff.set.is_empty() {
            client
                .tag_resource()
                .resource_arn(&observed.id)
                .set_tags(Some(sns_tags(&diff.set)?))
                .send()
                .await
                .map_err(err)?;
        }
        if !diff.remove.is_empty() {
            client
                .untag_resource()
                .resource_arn(&observed.id)
                .set_tag_keys(Some(diff.remove))
                .send()
                .await
                .map_err(err)?;
        }
        let mut o = observed.clone();
        o.properties.insert(
            "tags".into(),
            desired.get("tags").cloned().unwrap_or_default(),
        );
        Ok(o)
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        // Deleting a topic deletes its subscriptions too; deleting a missing topic succeeds.
        let r = client(&self.0, region)
            .await
            .delete_topic()
            .topic_arn(&observed.id)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }
}
