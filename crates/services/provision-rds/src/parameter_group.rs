//! `rds.db_parameter_group`: a DB parameter group with the parameters the spec sets (for
//! PostgreSQL, `rds.force_ssl = 1`).

use crate::{client, client_once, list_tags, name_of, rds_tags, sync_tags};
use async_trait::async_trait;
use aws_sdk_rds::types::{ApplyMethod, Parameter};
use provision_aws::props::{s, string_map, Props};
use provision_aws::tags::{address_tag, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use serde_json::json;
use std::collections::BTreeMap;

pub struct ParameterGroup(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "rds.db_parameter_group",
    fields: &[
        FieldSchema::force_new("name"),
        FieldSchema::force_new("family"),
        FieldSchema::force_new("description"),
        FieldSchema::mutable("parameters"),
        FieldSchema::mutable("tags"),
    ],
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

fn parameter(name: &str, value: &str) -> Parameter {
    // Static parameters (rds.force_ssl among them for older engines) apply at the next reboot;
    // pending-reboot is accepted for dynamic ones too.
    Parameter::builder()
        .parameter_name(name)
        .parameter_value(value)
        .apply_method(ApplyMethod::PendingReboot)
        .build()
}

#[async_trait]
impl Reconciler for ParameterGroup {
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
            let Some(name) = name_of(t, "name") else {
                continue;
            };
            let r = client
                .describe_db_parameter_groups()
                .db_parameter_group_name(&name)
                .send()
                .await
                .map_err(err);
            let groups = match r {
                Ok(o) => o.db_parameter_groups.unwrap_or_default(),
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            };
            let Some(g) = groups.into_iter().next() else {
                continue;
            };
            let arn = g.db_parameter_group_arn().map(str::to_string);
            let tags = match &arn {
                Some(a) => list_tags(&client, a).await?,
                None => Default::default(),
            };
            if address_tag(&tags).is_some_and(|a| a != t.address) {
                continue;
            }
            // The parameters set on the group (not the engine defaults).
            let params = client
                .describe_db_parameters()
                .db_parameter_group_name(&name)
                .source("user")
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(err)?;
            let params: BTreeMap<String, String> = params
                .iter()
                .filter_map(|p| {
                    Some((
                        p.parameter_name()?.to_string(),
                        p.parameter_value()?.to_string(),
                    ))
                })
                .collect();
            let mut props = Props::new();
            props.insert("name".into(), name.clone().into());
            props.insert(
                "family".into(),
                g.db_parameter_group_family().unwrap_or_default().into(),
            );
            props.insert(
                "description".into(),
                g.description().unwrap_or_default().into(),
            );
            props.insert("parameters".into(), json!(params));
            props.insert("tags".into(), user_tags(&tags));
            out.push(Observed {
                address: t.address.clone(),
                id: name,
                arn,
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
        let name = s(p, "name")?;
        let out = client_once(&self.0, region)
            .await
            .create_db_parameter_group()
            .db_parameter_group_name(&name)
            .db_parameter_group_family(s(p, "family")?)
            .description(s(p, "description")?)
            .set_tags(Some(rds_tags(&cx.tags_for(&req.address, p))))
            .send()
            .await
            .map_err(err)?;
        let params: Vec<Parameter> = string_map(p, "parameters")
            .iter()
            .map(|(k, v)| parameter(k, v))
            .collect();
        if !params.is_empty() {
            client(&self.0, region)
                .await
                .modify_db_parameter_group()
                .db_parameter_group_name(&name)
                .set_parameters(Some(params))
                .send()
                .await
                .map_err(err)?;
        }
        let mut o = provision_aws::props::observed_from(&req.address, name, p);
        o.arn = out
            .db_parameter_group()
            .and_then(|g| g.db_parameter_group_arn())
            .map(str::to_string);
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
        let (have, want) = (
            string_map(o, "parameters"),
            string_map(desired, "parameters"),
        );
        let set: Vec<Parameter> = want
            .iter()
            .filter(|(k, v)| have.get(*k) != Some(*v))
            .map(|(k, v)| parameter(k, v))
            .collect();
        if !set.is_empty() {
            client
                .modify_db_parameter_group()
                .db_parameter_group_name(&observed.id)
                .set_parameters(Some(set))
                .send()
                .await
                .map_err(err)?;
        }
        let reset: Vec<Parameter> = have
            .keys()
            .filter(|k| !want.contains_key(*k))
            .map(|k| {
                Parameter::builder()
                    .parameter_name(k)
                    .apply_method(ApplyMethod::PendingReboot)
                    .build()
            })
            .collect();
        if !reset.is_empty() {
            client
                .reset_db_parameter_group()
                .db_parameter_group_name(&observed.id)
                .set_parameters(Some(reset))
                .send()
                .await
                .map_err(err)?;
        }
        sync_tags(
            &client,
            cx,
            &observed.address,
            observed.arn.as_deref(),
            o,
            desired,
        )
        .await?;
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
            .delete_db_parameter_group()
            .db_parameter_group_name(&observed.id)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }
}
