//! `msk.configuration`: the broker settings of the region's clusters (server.properties), with
//! revisions. A change of the properties is a new revision of the same configuration; the
//! clusters that use it follow (`latest_revision` changes on update).
//!
//! Configurations carry no tags: the name, unique per account and region, is the natural key.

use crate::{client, client_once};
use async_trait::async_trait;
use aws_sdk_kafka::primitives::Blob;
use aws_sdk_kafka::types::Configuration as Config;
use provision_aws::props::{differs, opt_s, s, sorted, strings, target_name, Props};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use std::collections::BTreeMap;

pub struct Configuration(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "msk.configuration",
    fields: &[
        FieldSchema::force_new("name"),
        // AWS cannot change the Kafka versions of a configuration.
        FieldSchema::force_new("kafka_versions").unordered(),
        // UpdateConfiguration describes the new revision; the configuration keeps the
        // description it was created with.
        FieldSchema::force_new("description"),
        FieldSchema::mutable("server_properties"),
        FieldSchema::computed("latest_revision").changes_on_update(),
        FieldSchema::computed("state"),
    ],
    // A configuration cannot be deleted while a cluster uses it, so a replacement is created
    // first, the cluster moves to it, and then the old one goes. Names are unique per region:
    // the spec puts the Kafka version (the one thing that replaces it in practice) in the name.
    replace_order: ReplaceOrder::CreateBeforeDestroy,
    taggable: false,
};

/// server.properties text from the declared map, one `key=value` per line, sorted.
pub(crate) fn render(props: &BTreeMap<String, String>) -> String {
    props.iter().map(|(k, v)| format!("{k}={v}\n")).collect()
}

/// The map of a server.properties text: `key=value` (or `key = value`) lines; blank lines and
/// `#` comments are skipped.
pub(crate) fn parse(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

fn declared_properties(p: &Props) -> BTreeMap<String, String> {
    p.get("server_properties")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

fn props_of(c: &Config, server_properties: Option<BTreeMap<String, String>>) -> Props {
    let mut p = Props::new();
    if let Some(n) = c.name() {
        p.insert("name".into(), n.into());
    }
    p.insert("kafka_versions".into(), sorted(c.kafka_versions().to_vec()));
    if let Some(d) = c.description() {
        p.insert("description".into(), d.into());
    }
    if let Some(r) = c.latest_revision().and_then(|r| r.revision()) {
        p.insert("latest_revision".into(), r.into());
    }
    if let Some(st) = c.state() {
        p.insert("state".into(), st.as_str().into());
    }
    if let Some(sp) = server_properties {
        p.insert("server_properties".into(), serde_json::json!(sp));
    }
    p
}

impl Configuration {
    async fn describe(&self, region: &str, arn: &str) -> Result<Option<Config>, ReconcileError> {
        let r = client(&self.0, region)
            .await
            .describe_configuration()
            .arn(arn)
            .send()
            .await
            .map_err(err);
        match r {
            Ok(o) => Ok(Some(
                Config::builder()
                    .set_arn(o.arn)
                    .set_name(o.name)
                    .set_description(o.description)
                    .set_kafka_versions(o.kafka_versions)
                    .set_latest_revision(o.latest_revision)
                    .set_state(o.state)
                    .set_creation_time(o.creation_time)
                    .build(),
            )),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl Reconciler for Configuration {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        // By name: the recorded id is the ARN, and the ARN carries the name too, but a
        // configuration recreated under the same name must be found by its name.
        let wanted: Vec<(Address, String)> = targets
            .iter()
            .filter_map(|t| {
                let name = t
                    .desired
                    .as_ref()
                    .and_then(Value::as_object)
                    .and_then(|d| opt_s(d, "name"))
                    .or_else(|| {
                        // An address the spec dropped: the name is in the recorded ARN
                        // (arn:aws:kafka:<region>:<account>:configuration/<name>/<uuid>).
                        target_name(t, "name")?
                            .split('/')
                            .nth(1)
                            .map(str::to_string)
                    })?;
                Some((t.address.clone(), name))
            })
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let client = client(&self.0, region).await;
        let all: Vec<Config> = client
            .list_configurations()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        let mut out = Vec::new();
        for (address, name) in wanted {
            let Some(c) = all.iter().find(|c| {
                c.name() == Some(name.as_str()) && c.state().map(|s| s.as_str()) != Some("DELETING")
            }) else {
                continue;
            };
            let Some(arn) = c.arn() else { continue };
            // Not in the list answer: one DescribeConfigurationRevision per configuration.
            let sp = match c.latest_revision().and_then(|r| r.revision()) {
                Some(rev) => {
                    let r = client
                        .describe_configuration_revision()
                        .arn(arn)
                        .revision(rev)
                        .send()
                        .await
                        .map_err(err)?;
                    r.server_properties()
                        .map(|b| parse(&String::from_utf8_lossy(b.as_ref())))
                }
                None => None,
            };
            out.push(Observed {
                address,
                id: arn.to_string(),
                arn: Some(arn.to_string()),
                properties: props_of(c, sp),
            });
        }
        Ok(out)
    }

    async fn create(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        let p = &req.properties;
        let name = s(p, "name")?;
        // No idempotency token: one attempt; the engine looks the name up before another.
        let out = client_once(&self.0, region)
            .await
            .create_configuration()
            .name(&name)
            .set_description(opt_s(p, "description"))
            .set_kafka_versions(Some(strings(p, "kafka_versions")))
            .server_properties(Blob::new(render(&declared_properties(p))))
            .send()
            .await
            .map_err(err)?;
        let arn = out
            .arn()
            .ok_or_else(|| ReconcileError::invalid("CreateConfiguration returned no ARN"))?
            .to_string();
        let mut o = provision_aws::props::observed_from(&req.address, arn.clone(), p);
        o.arn = Some(arn);
        if let Some(r) = out.latest_revision().and_then(|r| r.revision()) {
            o.properties.insert("latest_revision".into(), r.into());
        }
        o.properties.insert(
            "state".into(),
            out.state().map_or("ACTIVE", |s| s.as_str()).into(),
        );
        Ok(o)
    }

    async fn update(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let o = &observed.properties;
        let mut reached = o.clone();
        if differs(o, desired, "server_properties") {
            // A new revision, described as the configuration is.
            let out = client(&self.0, region)
                .await
                .update_configuration()
                .arn(&observed.id)
                .set_description(opt_s(desired, "description"))
                .server_properties(Blob::new(render(&declared_properties(desired))))
                .send()
                .await
                .map_err(err)?;
            if let Some(v) = desired.get("server_properties") {
                reached.insert("server_properties".into(), v.clone());
            }
            if let Some(r) = out.latest_revision().and_then(|r| r.revision()) {
                reached.insert("latest_revision".into(), r.into());
            }
        }
        Ok(Observed {
            properties: reached,
            ..observed.clone()
        })
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let r = client(&self.0, region)
            .await
            .delete_configuration()
            .arn(&observed.id)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }

    async fn ready(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<Readiness, ReconcileError> {
        let what = format!("MSK configuration {}", observed.id);
        let Some(c) = self.describe(region, &observed.id).await? else {
            return Ok(provision_aws::props::vanished(&what));
        };
        Ok(provision_aws::props::readiness(
            &what,
            c.state().map(|s| s.as_str()),
            &["ACTIVE"],
            &["DELETE_FAILED"],
        ))
    }

    async fn gone(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<bool, ReconcileError> {
        Ok(self.describe(region, &observed.id).await?.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_properties_round_trip() {
        let m: BTreeMap<String, String> =
            [("log.retention.hours", "168"), ("min.insync.replicas", "2")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let text = render(&m);
        assert_eq!(text, "log.retention.hours=168\nmin.insync.replicas=2\n");
        assert_eq!(parse(&text), m);
        // AWS's own examples put spaces around `=` and may carry comments.
        assert_eq!(
            parse("# broker settings\nlog.retention.hours = 168\n\nmin.insync.replicas= 2\n"),
            m
        );
    }
}
