//! `secretsmanager.secret`: a `{"username", "password"}` credential whose password Secrets
//! Manager generates. Its name is its natural key.

use async_trait::async_trait;
use aws_sdk_secretsmanager::types::Tag;
use aws_sdk_secretsmanager::Client;
use provision_aws::props::{differs, i, opt_s, s, Props};
use provision_aws::tags::{address_tag, tag_diff, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use std::collections::BTreeMap;

pub struct Secret(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "secretsmanager.secret",
    fields: &[
        FieldSchema::force_new("name"),
        FieldSchema::mutable("description"),
        FieldSchema::write_only("username"),
        FieldSchema::write_only("password_length"),
        FieldSchema::force_new("kms_key_id"),
        FieldSchema::mutable("tags"),
    ],
    // Names are unique; a deleted secret keeps its name through its recovery window.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

/// Characters RDS refuses in a master password.
const EXCLUDED: &str = "/@\"' \\";
/// Days a deleted secret can still be restored.
const RECOVERY_DAYS: i64 = 7;

fn sm_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

async fn client(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.retrying(region).await)
}

#[async_trait]
impl Reconciler for Secret {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let client = client(&self.0, region).await;
        let mut out = Vec::new();
        for t in targets {
            let name = provision_aws::props::target_name(t, "name");
            let Some(name) = name else { continue };
            let d = match client
                .describe_secret()
                .secret_id(&name)
                .send()
                .await
                .map_err(err)
            {
                Ok(d) => d,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            };
            // A secret scheduled for deletion is gone for us.
            if d.deleted_date().is_some() {
                continue;
            }
            let tags: BTreeMap<String, String> = d
                .tags()
                .iter()
                .filter_map(|t| {
                    Some((
                        t.key()?.to_string(),
                        t.value().unwrap_or_default().to_string(),
                    ))
                })
                .collect();
            if address_tag(&tags).is_some_and(|a| a != t.address) {
                continue;
            }
            let mut props = Props::new();
            props.insert("name".into(), d.name().unwrap_or_default().into());
            props.insert(
                "description".into(),
                d.description().unwrap_or_default().into(),
            );
            if let Some(k) = d.kms_key_id() {
                props.insert("kms_key_id".into(), k.into());
            }
            props.insert("tags".into(), user_tags(&tags));
            out.push(Observed {
                address: t.address.clone(),
                id: name,
                arn: d.arn().map(str::to_string),
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
        let client = client(&self.0, region).await;
        let length = i(p, "password_length").unwrap_or(32);
        let generated = client
            .get_random_password()
            .password_length(i64::from(length))
            .exclude_characters(EXCLUDED)
            .send()
            .await
            .map_err(err)?;
        let password = generated
            .random_password()
            .ok_or_else(|| ReconcileError::invalid("GetRandomPassword returned no password"))?;
        let value = serde_json::json!({"username": s(p, "username")?, "password": password});
        // ClientRequestToken makes a resend of the same create return the same secret.
        let out = client
            .create_secret()
            .name(s(p, "name")?)
            .set_description(opt_s(p, "description"))
            .set_kms_key_id(opt_s(p, "kms_key_id"))
            .secret_string(value.to_string())
            .client_request_token(&req.token)
            .set_tags(Some(sm_tags(&cx.tags_for(&req.address, p))))
            .send()
            .await
            .map_err(err)?;
        let mut o = provision_aws::props::observed_from(&req.address, s(p, "name")?, p);
        o.arn = out.arn().map(str::to_string);
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
        let o = &observed.properties;
        if differs(o, desired, "description") {
            client
                .update_secret()
                .secret_id(&observed.id)
                .description(opt_s(desired, "description").unwrap_or_default())
                .send()
                .await
                .map_err(err)?;
        }
        let diff = tag_diff(cx, &observed.address, o, desired);
        if !diff.set.is_empty() {
            client
                .tag_resource()
                .secret_id(&observed.id)
                .set_tags(Some(sm_tags(&diff.set)))
                .send()
                .await
                .map_err(err)?;
        }
        if !diff.remove.is_empty() {
            client
                .untag_resource()
                .secret_id(&observed.id)
                .set_tag_keys(Some(diff.remove))
                .send()
                .await
                .map_err(err)?;
        }
        let mut out =
            provision_aws::props::observed_from(&observed.address, observed.id.clone(), desired);
        out.arn = observed.arn.clone();
        Ok(out)
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let r = client(&self.0, region)
            .await
            .delete_secret()
            .secret_id(&observed.id)
            .recovery_window_in_days(RECOVERY_DAYS)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }
}
