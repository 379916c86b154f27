//! `route53.health_check`: an endpoint health check (HTTP, HTTPS, their `_STR_MATCH` forms, or
//! TCP).
//!
//! Its id is the health check id (also the computed `health_check_id`). Health checks have no
//! name: one without a recorded id is found by its `provision:address` tag, or, still untagged,
//! by its CallerReference when that is the token of a create of this address whose outcome is
//! unknown (`Target::tokens`: a run killed between the create and the tagging). CreateHealthCheck
//! takes the intent token as CallerReference, so a resend of the same create returns the same
//! check (a changed config with the same reference would be HealthCheckAlreadyExists, which a
//! create never sends: its request is fixed). Tags are written right after the create.
//!
//! Refresh: one paged ListHealthChecks, and ListTagsForResources in batches of 10: for the
//! recorded checks, plus, when a target has no recorded id, every check of the type it asks
//! for. Update: one GetHealthCheck for the current HealthCheckVersion, then UpdateHealthCheck
//! with it (a concurrent change answers HealthCheckVersionMismatch, a conflict the engine
//! retries with a fresh read), and ChangeTagsForResource. `type` and `request_interval`
//! replace the check.

use crate::{change_tags, client, err, retag, tags_of};
use async_trait::async_trait;
use aws_sdk_route53::types::{
    HealthCheck as Check, HealthCheckConfig, HealthCheckRegion, HealthCheckType, TagResourceType,
};
use aws_sdk_route53::Client;
use provision_aws::props::{i, opt_s, s, sorted, strings, Props};
use provision_aws::tags::{address_tag, user_tags};
use provision_aws::AwsConfigs;
use provision_core::*;
use std::collections::BTreeMap;

pub struct HealthCheck(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "route53.health_check",
    fields: &[
        FieldSchema::force_new("type"),
        FieldSchema::mutable("fqdn"),
        FieldSchema::mutable("port"),
        FieldSchema::mutable("resource_path"),
        FieldSchema::mutable("search_string"),
        FieldSchema::force_new("request_interval"),
        FieldSchema::mutable("failure_threshold"),
        FieldSchema::mutable("enable_sni"),
        FieldSchema::mutable("regions").unordered(),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("health_check_id"),
    ],
    // Nothing is unique about a health check: the new one is made first, the records that
    // name it move to it, then the old one goes.
    replace_order: ReplaceOrder::CreateBeforeDestroy,
    taggable: true,
};

const KIND: TagResourceType = TagResourceType::Healthcheck;

/// The settings UpdateHealthCheck changes in place.
const IN_PLACE: [&str; 7] = [
    "fqdn",
    "port",
    "resource_path",
    "search_string",
    "failure_threshold",
    "enable_sni",
    "regions",
];

fn invalid(e: impl std::fmt::Display) -> ReconcileError {
    ReconcileError::invalid(e.to_string())
}

/// HTTPS checks send SNI unless the spec says otherwise: AWS documents no default, and an
/// endpoint that serves several certificates (an ALB) fails a check without it.
fn enable_sni(p: &Props) -> Option<bool> {
    let https = matches!(
        opt_s(p, "type").as_deref(),
        Some("HTTPS") | Some("HTTPS_STR_MATCH")
    );
    p.get("enable_sni")
        .and_then(Value::as_bool)
        .or(https.then_some(true))
}

fn regions(p: &Props) -> Option<Vec<HealthCheckRegion>> {
    let r = strings(p, "regions");
    (!r.is_empty()).then(|| {
        r.iter()
            .map(|x| HealthCheckRegion::from(x.as_str()))
            .collect()
    })
}

/// The HealthCheckConfig the properties ask for.
fn config_of(p: &Props) -> Result<HealthCheckConfig, ReconcileError> {
    HealthCheckConfig::builder()
        .r#type(HealthCheckType::from(s(p, "type")?.as_str()))
        .set_fully_qualified_domain_name(opt_s(p, "fqdn"))
        .set_port(i(p, "port"))
        .set_resource_path(opt_s(p, "resource_path"))
        .set_search_string(opt_s(p, "search_string"))
        .set_request_interval(i(p, "request_interval"))
        .set_failure_threshold(i(p, "failure_threshold"))
        .set_enable_sni(enable_sni(p))
        .set_regions(regions(p))
        .build()
        .map_err(invalid)
}

/// The properties of a health check, in the spec's shape.
fn props_of(check: &Check, tags: &BTreeMap<String, String>) -> Props {
    let mut p = Props::new();
    if let Some(c) = check.health_check_config() {
        p.insert("type".into(), c.r#type().as_str().into());
        let strings = [
            ("fqdn", c.fully_qualified_domain_name()),
            ("resource_path", c.resource_path()),
            ("search_string", c.search_string()),
        ];
        for (k, v) in strings {
            if let Some(v) = v {
                p.insert(k.into(), v.into());
            }
        }
        let numbers = [
            ("port", c.port()),
            ("request_interval", c.request_interval()),
            ("failure_threshold", c.failure_threshold()),
        ];
        for (k, v) in numbers {
            if let Some(v) = v {
                p.insert(k.into(), v.into());
            }
        }
        if let Some(sni) = c.enable_sni() {
            p.insert("enable_sni".into(), sni.into());
        }
        if !c.regions().is_empty() {
            p.insert(
                "regions".into(),
                sorted(c.regions().iter().map(|r| r.as_str().to_string()).collect()),
            );
        }
    }
    p.insert("tags".into(), user_tags(tags));
    p.insert("health_check_id".into(), check.id().into());
    p
}

fn observed(address: &Address, check: &Check, tags: &BTreeMap<String, String>) -> Observed {
    Observed {
        address: address.clone(),
        id: check.id().to_string(),
        arn: None,
        properties: props_of(check, tags),
    }
}

/// The health check; None if it is gone.
async fn get(client: &Client, id: &str) -> Result<Option<Check>, ReconcileError> {
    match client
        .get_health_check()
        .health_check_id(id)
        .send()
        .await
        .map_err(err)
    {
        Ok(o) => Ok(o.health_check().cloned()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl Reconciler for HealthCheck {
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
        let checks: Vec<Check> = client
            .list_health_checks()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        // Checks made by other services (Cloud Map...) are never this stack's.
        let own: Vec<&Check> = checks
            .iter()
            .filter(|c| c.linked_service().is_none())
            .collect();
        // Tags are read for the recorded checks, and for every check of the type an id-less
        // target asks for (it can only be found by its provision:address tag).
        let lost_types: Vec<Option<String>> = targets
            .iter()
            .filter(|t| t.id.is_none())
            .map(|t| {
                t.desired
                    .as_ref()
                    .and_then(|d| d.get("type"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        let ids: Vec<String> = own
            .iter()
            .filter(|c| {
                let recorded = targets.iter().any(|t| t.id.as_deref() == Some(c.id()));
                let kind = c.health_check_config().map(|x| x.r#type().as_str());
                recorded
                    || lost_types
                        .iter()
                        .any(|want| want.is_none() || want.as_deref() == kind)
            })
            .map(|c| c.id().to_string())
            .collect();
        let tags = tags_of(&client, KIND, &ids).await?;
        let mut out = Vec::new();
        for t in targets {
            let found = own.iter().find(|c| {
                let address = tags.get(c.id()).and_then(address_tag);
                match &t.id {
                    Some(id) => c.id() == id && address.is_none_or(|a| a == t.address),
                    // Tagged for this address, or made by a create of it whose run died before
                    // tagging it (its CallerReference is that create's token).
                    None => {
                        address.as_ref().is_some_and(|a| *a == t.address)
                            || (address.is_none()
                                && t.tokens.iter().any(|k| c.caller_reference() == k))
                    }
                }
            });
            if let Some(c) = found {
                let check_tags = tags.get(c.id()).cloned().unwrap_or_default();
                out.push(observed(&t.address, c, &check_tags));
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
        let client = client(&self.0, region).await;
        let out = client
            .create_health_check()
            .caller_reference(&req.token)
            .health_check_config(config_of(p)?)
            .send()
            .await
            .map_err(err)?;
        let check = out
            .health_check()
            .ok_or_else(|| invalid("CreateHealthCheck returned no health check"))?;
        let tags = cx.tags_for(&req.address, p);
        change_tags(&client, KIND, check.id(), &tags, &[]).await?;
        Ok(observed(&req.address, check, &tags))
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client = client(&self.0, region).await;
        let id = &observed.id;
        let changed = IN_PLACE.iter().any(|f| {
            desired.contains_key(*f)
                && !value::same(
                    observed.properties.get(*f),
                    desired.get(*f),
                    *f == "regions",
                )
        });
        let mut check = None;
        if changed {
            // The version of a read just before: a change made since is a mismatch (409),
            // which the engine retries, and this update then reads again.
            let Some(current) = get(&client, id).await? else {
                return Err(ReconcileError::new(
                    ErrorClass::NotFound,
                    format!("health check {id} is gone"),
                ));
            };
            let out = client
                .update_health_check()
                .health_check_id(id)
                .health_check_version(current.health_check_version())
                .set_fully_qualified_domain_name(opt_s(desired, "fqdn"))
                .set_port(i(desired, "port"))
                .set_resource_path(opt_s(desired, "resource_path"))
                .set_search_string(opt_s(desired, "search_string"))
                .set_failure_threshold(i(desired, "failure_threshold"))
                .set_enable_sni(desired.get("enable_sni").and_then(Value::as_bool))
                .set_regions(regions(desired))
                .send()
                .await
                .map_err(err)?;
            check = out.health_check().cloned();
        }
        retag(
            &client,
            cx,
            KIND,
            &observed.address,
            id,
            &observed.properties,
            desired,
        )
        .await?;
        let tags = cx.tags_for(&observed.address, desired);
        match check {
            Some(c) => Ok(self::observed(&observed.address, &c, &tags)),
            None => {
                let mut o = observed.clone();
                o.properties.insert("tags".into(), user_tags(&tags));
                Ok(o)
            }
        }
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        // The records that name it depend on it, so they are deleted (or moved off it) first;
        // AWS would not refuse this delete otherwise.
        let r = client(&self.0, region)
            .await
            .delete_health_check()
            .health_check_id(&observed.id)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Value) -> Props {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn config_sends_sni_for_https_and_round_trips() {
        let p = props(json!({
            "type": "HTTPS",
            "fqdn": "web-1.us-east-1.elb.amazonaws.com",
            "port": 443,
            "resource_path": "/health",
            "request_interval": 30,
            "failure_threshold": 3,
            "regions": ["us-west-2", "eu-west-1", "us-east-1"],
            "tags": {"Project": "p"},
        }));
        let config = config_of(&p).unwrap();
        assert_eq!(config.enable_sni(), Some(true));
        assert_eq!(config.request_interval(), Some(30));
        let check = Check::builder()
            .id("hc-1")
            .caller_reference("ref")
            .health_check_config(config)
            .health_check_version(1)
            .build()
            .unwrap();
        let tags = BTreeMap::from([("Project".to_string(), "p".to_string())]);
        let mut want = p.clone();
        want.insert("enable_sni".into(), true.into());
        want.insert(
            "regions".into(),
            json!(["eu-west-1", "us-east-1", "us-west-2"]),
        );
        want.insert("health_check_id".into(), "hc-1".into());
        let got = props_of(&check, &tags);
        for (k, v) in &want {
            assert_eq!(got.get(k), Some(v), "{k}");
        }
        assert_eq!(got.len(), want.len());
    }

    #[test]
    fn sni_follows_the_spec_or_the_type() {
        assert_eq!(enable_sni(&props(json!({"type": "HTTP"}))), None);
        assert_eq!(
            enable_sni(&props(json!({"type": "HTTPS_STR_MATCH"}))),
            Some(true)
        );
        assert_eq!(
            enable_sni(&props(json!({"type": "HTTPS", "enable_sni": false}))),
            Some(false)
        );
        assert!(config_of(&props(json!({"fqdn": "x"}))).is_err());
    }
}
