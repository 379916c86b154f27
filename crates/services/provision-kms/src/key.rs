//! `kms.key`: a symmetric customer-managed key with rotation.
//!
//! KMS has no tag filter on ListKeys, so a recorded key is observed by id (DescribeKey,
//! GetKeyRotationStatus, ListResourceTags: three calls per key). Only a key whose create answer
//! was lost (an intent with no id) is searched for by its `provision:address` tag across the
//! region's keys. Delete schedules the deletion (the shortest window AWS allows, 7 days); a key
//! pending deletion counts as gone.

use async_trait::async_trait;
use aws_sdk_kms::types::{KeyState, Tag};
use aws_sdk_kms::Client;
use provision_aws::props::{b, differs, opt_s, Props};
use provision_aws::tags::{address_tag, tag_diff, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use std::collections::BTreeMap;

pub struct Key(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "kms.key",
    fields: &[
        FieldSchema::mutable("description"),
        FieldSchema::mutable("enable_key_rotation"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("key_state"),
    ],
    replace_order: ReplaceOrder::CreateBeforeDestroy,
    taggable: true,
};

/// The shortest pending window AWS allows before a key is deleted.
const PENDING_WINDOW_DAYS: i32 = 7;

fn kms_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ReconcileError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .tag_key(k)
                .tag_value(v)
                .build()
                .map_err(|e| ReconcileError::invalid(e.to_string()))
        })
        .collect()
}

impl Key {
    async fn client(&self, region: &str, retrying: bool) -> Client {
        let cfg = if retrying {
            self.0.retrying(region).await
        } else {
            self.0.single_shot(region).await
        };
        Client::new(&cfg)
    }

    async fn tags(client: &Client, id: &str) -> Result<BTreeMap<String, String>, ReconcileError> {
        let tags = client
            .list_resource_tags()
            .key_id(id)
            .send()
            .await
            .map_err(err)?;
        Ok(tags
            .tags()
            .iter()
            .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
            .collect())
    }

    /// The key with this id, unless it is gone or pending deletion.
    async fn describe(
        client: &Client,
        address: &Address,
        id: &str,
    ) -> Result<Option<Observed>, ReconcileError> {
        let meta = match client.describe_key().key_id(id).send().await.map_err(err) {
            Ok(out) => out.key_metadata,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let Some(meta) = meta else { return Ok(None) };
        let state = meta.key_state().cloned();
        if matches!(
            state,
            Some(KeyState::PendingDeletion) | Some(KeyState::PendingReplicaDeletion)
        ) {
            return Ok(None);
        }
        let rotation = client
            .get_key_rotation_status()
            .key_id(id)
            .send()
            .await
            .map_err(err)?
            .key_rotation_enabled();
        let mut props = Props::new();
        props.insert(
            "description".into(),
            meta.description().unwrap_or_default().into(),
        );
        props.insert("enable_key_rotation".into(), rotation.into());
        props.insert("tags".into(), user_tags(&Self::tags(client, id).await?));
        props.insert(
            "key_state".into(),
            state
                .map(|s| s.as_str().to_string())
                .unwrap_or_default()
                .into(),
        );
        Ok(Some(Observed {
            address: address.clone(),
            id: meta.key_id().to_string(),
            arn: meta.arn().map(str::to_string),
            properties: props,
        }))
    }

    /// The key tagged with `address`, searched across the region's keys (recovery only).
    async fn find_by_tag(
        client: &Client,
        address: &Address,
    ) -> Result<Option<String>, ReconcileError> {
        let keys = client
            .list_keys()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        for k in keys {
            let Some(id) = k.key_id() else { continue };
            match Self::tags(client, id).await {
                Ok(tags) if address_tag(&tags).as_ref() == Some(address) => {
                    // A key of this address pending deletion (an earlier replacement) is not it.
                    if Self::describe(client, address, id).await?.is_some() {
                        return Ok(Some(id.to_string()));
                    }
                }
                Ok(_) => {}
                // Keys of other accounts' grants or AWS-managed keys may refuse: not ours.
                Err(e) if e.class == ErrorClass::Invalid || e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    async fn set_rotation(client: &Client, id: &str, on: bool) -> Result<(), ReconcileError> {
        if on {
            client
                .enable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map_err(err)?;
        } else {
            client
                .disable_key_rotation()
                .key_id(id)
                .send()
                .await
                .map_err(err)?;
        }
        Ok(())
    }
}

#[async_trait]
impl Reconciler for Key {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let client = self.client(region, true).await;
        let mut out = Vec::new();
        for t in targets {
            let id = match &t.id {
                Some(id) => Some(id.clone()),
                None => Self::find_by_tag(&client, &t.address).await?,
            };
            if let Some(id) = id {
                if let Some(o) = Self::describe(&client, &t.address, &id).await? {
                    out.push(o);
                }
            }
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
        // CreateKey takes no idempotency token: one attempt; the engine searches by tag before
        // it tries again.
        let out = self
            .client(region, false)
            .await
            .create_key()
            .set_description(opt_s(p, "description"))
            .set_tags(Some(kms_tags(&cx.tags_for(&req.address, p))?))
            .send()
            .await
            .map_err(err)?;
        let meta = out
            .key_metadata()
            .ok_or_else(|| ReconcileError::invalid("CreateKey returned no KeyMetadata"))?;
        let id = meta.key_id().to_string();
        if b(p, "enable_key_rotation", true) {
            Self::set_rotation(&self.client(region, true).await, &id, true).await?;
        }
        let mut o = provision_aws::props::observed_from(&req.address, id, p);
        o.arn = meta.arn().map(str::to_string);
        o.properties.insert("key_state".into(), "Enabled".into());
        Ok(o)
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client = self.client(region, true).await;
        let o = &observed.properties;
        let id = observed.id.as_str();
        if differs(o, desired, "description") {
            client
                .update_key_description()
                .key_id(id)
                .description(opt_s(desired, "description").unwrap_or_default())
                .send()
                .await
                .map_err(err)?;
        }
        if differs(o, desired, "enable_key_rotation") {
            Self::set_rotation(&client, id, b(desired, "enable_key_rotation", true)).await?;
        }
        let diff = tag_diff(cx, &observed.address, o, desired);
        if !diff.set.is_empty() {
            client
                .tag_resource()
                .key_id(id)
                .set_tags(Some(kms_tags(&diff.set)?))
                .send()
                .await
                .map_err(err)?;
        }
        if !diff.remove.is_empty() {
            client
                .untag_resource()
                .key_id(id)
                .set_tag_keys(Some(diff.remove))
                .send()
                .await
                .map_err(err)?;
        }
        let mut out = provision_aws::props::observed_from(&observed.address, id.into(), desired);
        out.arn = observed.arn.clone();
        out.properties.insert(
            "key_state".into(),
            o.get("key_state").cloned().unwrap_or_default(),
        );
        Ok(out)
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let r = self
            .client(region, true)
            .await
            .schedule_key_deletion()
            .key_id(&observed.id)
            .pending_window_in_days(PENDING_WINDOW_DAYS)
            .send()
            .await
            .map_err(err);
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            // Already pending deletion.
            Err(e) if e.code.as_deref() == Some("KMSInvalidStateException") => Ok(()),
            Err(e) => Err(e),
        }
    }
}
