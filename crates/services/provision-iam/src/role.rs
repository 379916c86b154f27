//! `iam.role`: a role with its trust policy and attached managed policies.
//!
//! IAM has no tag filter, so roles are found by their natural key, the role name (GetRole, plus
//! ListAttachedRolePolicies: two calls per role). A role found by name whose `provision:address`
//! tag names another resource is not ours and is left alone.

use async_trait::async_trait;
use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;
use provision_aws::props::{differs, opt_s, s, strings, Props};
use provision_aws::tags::{address_tag, tag_diff, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use std::collections::BTreeMap;

pub struct Role(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "iam.role",
    fields: &[
        FieldSchema::force_new("role_name"),
        FieldSchema::force_new("path"),
        FieldSchema::mutable("assume_role_policy"),
        FieldSchema::mutable("managed_policy_arns").unordered(),
        FieldSchema::mutable("tags"),
    ],
    // Role names are unique in the account.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

/// IAM is global; its endpoint is reached through the us-east-1 configuration.
const IAM_REGION: &str = "us-east-1";

fn iam_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ReconcileError> {
    tags.iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| ReconcileError::invalid(e.to_string()))
        })
        .collect()
}

/// IAM returns policy documents URL-encoded.
fn decode_policy(doc: &str) -> Value {
    let text = percent_encoding::percent_decode_str(doc).decode_utf8_lossy();
    serde_json::from_str(&text).unwrap_or(Value::String(text.into_owned()))
}

fn policy_text(p: &Props) -> Result<String, ReconcileError> {
    match p.get("assume_role_policy") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v @ Value::Object(_)) => Ok(v.to_string()),
        _ => Err(ReconcileError::invalid(
            "property `assume_role_policy` must be a policy document",
        )),
    }
}

impl Role {
    async fn client(&self, retrying: bool) -> Client {
        let cfg = if retrying {
            self.0.retrying(IAM_REGION).await
        } else {
            self.0.single_shot(IAM_REGION).await
        };
        Client::new(&cfg)
    }

    async fn attached(client: &Client, name: &str) -> Result<Vec<String>, ReconcileError> {
        let policies = client
            .list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        let mut arns: Vec<String> = policies
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_string))
            .collect();
        arns.sort();
        Ok(arns)
    }
}

#[async_trait]
impl Reconciler for Role {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        _region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let client = self.client(true).await;
        let mut out = Vec::new();
        for t in targets {
            let name = provision_aws::props::target_name(t, "role_name");
            let Some(name) = name else { continue };
            let role = match client.get_role().role_name(&name).send().await.map_err(err) {
                Ok(out) => out.role,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            };
            let Some(role) = role else { continue };
            let tags: BTreeMap<String, String> = role
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            if address_tag(&tags).is_some_and(|a| a != t.address) {
                tracing::warn!(address = %t.address, role = %name, "a role of this name belongs to another resource; leaving it alone");
                continue;
            }
            let mut props = Props::new();
            props.insert("role_name".into(), role.role_name().into());
            props.insert("path".into(), role.path().into());
            if let Some(doc) = role.assume_role_policy_document() {
                props.insert("assume_role_policy".into(), decode_policy(doc));
            }
            props.insert(
                "managed_policy_arns".into(),
                Self::attached(&client, &name).await?.into(),
            );
            props.insert("tags".into(), user_tags(&tags));
            out.push(Observed {
                address: t.address.clone(),
                id: name,
                arn: Some(role.arn().to_string()),
                properties: props,
            });
        }
        Ok(out)
    }

    async fn create(
        &self,
        cx: &ReconcileContext,
        _region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        let p = &req.properties;
        let name = s(p, "role_name")?;
        // CreateRole takes no idempotency token: one attempt; the engine looks the role up by
        // name before it tries again.
        let out = self
            .client(false)
            .await
            .create_role()
            .role_name(&name)
            .set_path(opt_s(p, "path"))
            .assume_role_policy_document(policy_text(p)?)
            .set_tags(Some(iam_tags(&cx.tags_for(&req.address, p))?))
            .send()
            .await
            .map_err(err)?;
        let client = self.client(true).await;
        for arn in strings(p, "managed_policy_arns") {
            client
                .attach_role_policy()
                .role_name(&name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(err)?;
        }
        let mut o = provision_aws::props::observed_from(&req.address, name, p);
        o.arn = out.role().map(|r| r.arn().to_string());
        Ok(o)
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        _region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client = self.client(true).await;
        let o = &observed.properties;
        let name = observed.id.as_str();
        if differs(o, desired, "assume_role_policy") {
            client
                .update_assume_role_policy()
                .role_name(name)
                .policy_document(policy_text(desired)?)
                .send()
                .await
                .map_err(err)?;
        }
        let (have, want) = (
            strings(o, "managed_policy_arns"),
            strings(desired, "managed_policy_arns"),
        );
        for arn in want.iter().filter(|a| !have.contains(a)) {
            client
                .attach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(err)?;
        }
        for arn in have.iter().filter(|a| !want.contains(a)) {
            let r = client
                .detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(err);
            match r {
                Err(e) if !e.is_not_found() => return Err(e),
                _ => {}
            }
        }
        let diff = tag_diff(cx, &observed.address, o, desired);
        if !diff.set.is_empty() {
            client
                .tag_role()
                .role_name(name)
                .set_tags(Some(iam_tags(&diff.set)?))
                .send()
                .await
                .map_err(err)?;
        }
        if !diff.remove.is_empty() {
            client
                .untag_role()
                .role_name(name)
                .set_tag_keys(Some(diff.remove))
                .send()
                .await
                .map_err(err)?;
        }
        let mut out = provision_aws::props::observed_from(&observed.address, name.into(), desired);
        out.arn = observed.arn.clone();
        Ok(out)
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        _region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let client = self.client(true).await;
        let name = observed.id.as_str();
        // AWS refuses to delete a role with attached policies.
        let attached = match Self::attached(&client, name).await {
            Ok(a) => a,
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e),
        };
        for arn in attached {
            let r = client
                .detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(err);
            match r {
                Err(e) if !e.is_not_found() => return Err(e),
                _ => {}
            }
        }
        match client
            .delete_role()
            .role_name(name)
            .send()
            .await
            .map_err(err)
        {
            Err(e) if !e.is_not_found() => Err(e),
            _ => Ok(()),
        }
    }
}
