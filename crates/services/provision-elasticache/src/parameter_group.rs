//! `elasticache.parameter_group`: a cache parameter group with the parameters the spec sets
//! (`cluster-enabled yes` for cluster mode).

use crate::{client, client_once, ec_tags, list_tags, name_of, sync_tags};
use async_trait::async_trait;
use aws_sdk_elasticache::types::ParameterNameValue;
use provision_aws::props::{s, string_map, Props};
use provision_aws::tags::{address_tag, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use serde_json::json;
use std::collections::BTreeMap;

pub struct ParameterGroup(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "elasticache.parameter_group",
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

fn pairs(m: &BTreeMap<String, String>) -> Vec<ParameterNameValue> {
    m.iter()
        .map(|(k, v)| {
            ParameterNameValue::builder()
                .parameter_name(k)
                .parameter_value(v)
                .build()
        })
        .collect()
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
                .describe_cache_parameter_groups()
                .cache_parameter_group_name(&name)
                .send()
                .await
                .map_err(err);
            let groups = match r {
                Ok(o) => o.cache_parameter_groups.unwrap_or_default(),
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            };
            let Some(g) = groups.into_iter().next() else {
                continue;
            };
            let arn = g.arn().map(str::to_string);
            let tags = match &arn {
                Some(a) => list_tags(&client, a).await?,
                None => Default::default(),
            };
            if address_tag(&tags).is_some_and(|a| a != t.address) {
                continue;
            }
            let params = client
                .describe_cache_parameters()
                .cache_parameter_group_name(&name)
                .source("user")
                .send()
                .await
                .map_err(err)?;
            let params: BTreeMap<String, String> = params
                .parameters()
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
                g.cache_parameter_group_family().unwrap_or_default().into(),
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
            .create_cache_parameter_group()
            .cache_parameter_group_name(&name)
            .cache_parameter_group_family(s(p, "family")?)
            .description(s(p, "description")?)
            .set_tags(Some(ec_tags(&cx.tags_for(&req.address, p))))
            .send()
            .await
            .map_err(err)?;
        let params = string_map(p, "parameters");
        if !params.is_empty() {
            client(&self.0, region)
                .await
                .modify_cache_parameter_group()
                .cache_parameter_group_name(&name)
                .set_parameter_name_values(Some(pairs(&params)))
                .send()
                .await
                .map_err(err)?;
        }
        let mut o = provision_aws::props::observed_from(&req.address, name, p);
        o.arn = out
            .cache_parameter_group()
            .and_then(|g| g.arn())
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
        let set: BTreeMap<String, String> = want
            .iter()
            .filter(|(k, v)| have.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !set.is_empty() {
            client
                .modify_cache_parameter_group()
                .cache_parameter_group_name(&observed.id)
                .set_parameter_name_values(Some(pairs(&set)))
                .send()
                .await
                .map_err(err)?;
        }
        let reset: Vec<ParameterNameValue> = have
            .keys()
            .filter(|k| !want.contains_key(*k))
            .map(|k| ParameterNameValue::builder().parameter_name(k).build())
            .collect();
        if !reset.is_empty() {
            client
                .reset_cache_parameter_group()
                .cache_parameter_group_name(&observed.id)
                .set_parameter_name_values(Some(reset))
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
            .delete_cache_parameter_group()
            .cache_parameter_group_name(&observed.id)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }
}
