//! `elbv2.target_group`: where a load balancer sends traffic, with its health check.
//!
//! Found by name (unique per region and account), its id is its ARN. The health check changes
//! in place (ModifyTargetGroup); protocol, port, VPC and target type cannot.
//!
//! Targets are not registered here: the nodes of a managed node group come and go, so the
//! cluster's AWS Load Balancer Controller registers them (a TargetGroupBinding naming this
//! group's ARN, which `provision output` prints).

use crate::{by_id_or_name, claimed, client, retag, single_shot};
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, TargetGroup as Tg, TargetTypeEnum,
};
use provision_aws::props::{i, opt_s, s, Props};
use provision_aws::tags::user_tags;
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use std::collections::BTreeMap;

pub struct TargetGroup(pub AwsConfigs);

/// The health-check fields ModifyTargetGroup changes.
const HEALTH: [&str; 6] = [
    "health_check_path",
    "health_check_interval_s",
    "health_check_timeout_s",
    "healthy_threshold",
    "unhealthy_threshold",
    "matcher",
];

static SCHEMA: KindSchema = KindSchema {
    kind: "elbv2.target_group",
    fields: &[
        FieldSchema::force_new("name"),
        FieldSchema::force_new("protocol"),
        FieldSchema::force_new("port"),
        FieldSchema::force_new("vpc_id"),
        FieldSchema::force_new("target_type"),
        FieldSchema::mutable("health_check_path"),
        FieldSchema::mutable("health_check_interval_s"),
        FieldSchema::mutable("health_check_timeout_s"),
        FieldSchema::mutable("healthy_threshold"),
        FieldSchema::mutable("unhealthy_threshold"),
        FieldSchema::mutable("matcher"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("arn_suffix"),
    ],
    // Names are unique per region.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

fn props_of(tg: &Tg, tags: &BTreeMap<String, String>) -> Props {
    let mut p = Props::new();
    p.insert(
        "name".into(),
        tg.target_group_name().unwrap_or_default().into(),
    );
    p.insert(
        "protocol".into(),
        tg.protocol().map(|x| x.as_str()).unwrap_or_default().into(),
    );
    p.insert("port".into(), tg.port().unwrap_or_default().into());
    p.insert("vpc_id".into(), tg.vpc_id().unwrap_or_default().into());
    p.insert(
        "target_type".into(),
        tg.target_type()
            .map(|x| x.as_str())
            .unwrap_or("instance")
            .into(),
    );
    p.insert(
        "health_check_path".into(),
        tg.health_check_path().unwrap_or_default().into(),
    );
    p.insert(
        "health_check_interval_s".into(),
        tg.health_check_interval_seconds()
            .unwrap_or_default()
            .into(),
    );
    p.insert(
        "health_check_timeout_s".into(),
        tg.health_check_timeout_seconds().unwrap_or_default().into(),
    );
    p.insert(
        "healthy_threshold".into(),
        tg.healthy_threshold_count().unwrap_or_default().into(),
    );
    p.insert(
        "unhealthy_threshold".into(),
        tg.unhealthy_threshold_count().unwrap_or_default().into(),
    );
    p.insert(
        "matcher".into(),
        tg.matcher()
            .and_then(|m| m.http_code())
            .unwrap_or_default()
            .into(),
    );
    p.insert("tags".into(), user_tags(tags));
    p.insert(
        "arn_suffix".into(),
        crate::arn_suffix(tg.target_group_arn().unwrap_or_default()).into(),
    );
    p
}

fn observed(address: &Address, tg: &Tg, tags: &BTreeMap<String, String>) -> Observed {
    let arn = tg.target_group_arn().unwrap_or_default().to_string();
    Observed {
        address: address.clone(),
        id: arn.clone(),
        arn: Some(arn),
        properties: props_of(tg, tags),
    }
}

fn req_i(p: &Props, key: &str) -> Result<i32, ReconcileError> {
    i(p, key).ok_or_else(|| ReconcileError::invalid(format!("property `{key}` must be a number")))
}

#[async_trait]
impl Reconciler for TargetGroup {
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
        let all: Vec<Tg> = client
            .describe_target_groups()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        let found = by_id_or_name(
            targets,
            &all,
            |tg| tg.target_group_arn(),
            |tg| tg.target_group_name(),
        );
        let claimed = claimed(&client, found, |tg| tg.target_group_arn()).await?;
        Ok(claimed
            .into_iter()
            .map(|(t, tg, tags)| observed(&t.address, tg, &tags))
            .collect())
    }

    async fn create(
        &self,
        cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        let p = &req.properties;
        let protocol = s(p, "protocol")?;
        let out = single_shot(&self.0, region)
            .await
            .create_target_group()
            .name(s(p, "name")?)
            .protocol(ProtocolEnum::from(protocol.as_str()))
            .port(req_i(p, "port")?)
            .vpc_id(s(p, "vpc_id")?)
            .target_type(TargetTypeEnum::from(
                opt_s(p, "target_type")
                    .unwrap_or("instance".into())
                    .as_str(),
            ))
            .health_check_enabled(true)
            .health_check_protocol(ProtocolEnum::from(protocol.as_str()))
            .health_check_path(s(p, "health_check_path")?)
            .health_check_interval_seconds(req_i(p, "health_check_interval_s")?)
            .health_check_timeout_seconds(req_i(p, "health_check_timeout_s")?)
            .healthy_threshold_count(req_i(p, "healthy_threshold")?)
            .unhealthy_threshold_count(req_i(p, "unhealthy_threshold")?)
            .matcher(Matcher::builder().http_code(s(p, "matcher")?).build())
            .set_tags(Some(crate::elb_tags(&cx.tags_for(&req.address, p))))
            .send()
            .await
            .map_err(err)?;
        let tg = out
            .target_groups()
            .first()
            .ok_or_else(|| ReconcileError::invalid("CreateTargetGroup returned no target group"))?;
        Ok(observed(&req.address, tg, &cx.tags_for(&req.address, p)))
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client = client(&self.0, region).await;
        let arn = &observed.id;
        let mut o = observed.clone();
        if HEALTH
            .iter()
            .any(|f| provision_aws::props::differs(&observed.properties, desired, f))
        {
            let out = client
                .modify_target_group()
                .target_group_arn(arn)
                .health_check_path(s(desired, "health_check_path")?)
                .health_check_interval_seconds(req_i(desired, "health_check_interval_s")?)
                .health_check_timeout_seconds(req_i(desired, "health_check_timeout_s")?)
                .healthy_threshold_count(req_i(desired, "healthy_threshold")?)
                .unhealthy_threshold_count(req_i(desired, "unhealthy_threshold")?)
                .matcher(Matcher::builder().http_code(s(desired, "matcher")?).build())
                .send()
                .await
                .map_err(err)?;
            if let Some(tg) = out.target_groups().first() {
                let tags = provision_aws::props::string_map(&observed.properties, "tags");
                o = crate::target_group::observed(&observed.address, tg, &tags);
            }
        }
        retag(
            &client,
            cx,
            &observed.address,
            arn,
            &observed.properties,
            desired,
        )
        .await?;
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
        // ResourceInUse while a listener still forwards to it: the engine retries (conflict).
        let r = client(&self.0, region)
            .await
            .delete_target_group()
            .target_group_arn(&observed.id)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }
}
