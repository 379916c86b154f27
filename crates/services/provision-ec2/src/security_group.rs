//! `ec2.security_group`: a security group. Its rules are `ec2.security_group_rule`s; AWS's
//! default allow-all egress rule is left in place.

use crate::common::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType};
use provision_core::*;

pub struct SecurityGroup(pub crate::Ec2Clients);

static SCHEMA: KindSchema = KindSchema {
    kind: "ec2.security_group",
    fields: &[
        FieldSchema::force_new("vpc_id"),
        FieldSchema::force_new("group_name"),
        FieldSchema::force_new("description"),
        FieldSchema::mutable("tags"),
    ],
    // Group names are unique per VPC.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

#[async_trait]
impl Reconciler for SecurityGroup {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let client = self.0.client(region).await;
        let list = |f: Option<Filter>, ids: Vec<String>| {
            let client = client.clone();
            async move {
                let groups = client
                    .describe_security_groups()
                    .set_filters(f.map(|f| vec![f]))
                    .set_group_ids((!ids.is_empty()).then_some(ids))
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(err)?;
                Ok(groups
                    .into_iter()
                    .filter_map(|g| {
                        let mut props = Props::new();
                        props.insert("vpc_id".into(), g.vpc_id()?.into());
                        props.insert("group_name".into(), g.group_name()?.into());
                        props.insert("description".into(), g.description()?.into());
                        Some(Item {
                            id: g.group_id()?.to_string(),
                            arn: g.security_group_arn().map(str::to_string),
                            tags: tags_of(g.tags()),
                            props,
                        })
                    })
                    .collect())
            }
        };
        observe_tagged(&cx.stack, SCHEMA.kind, targets, list).await
    }

    async fn create(
        &self,
        cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        let p = &req.properties;
        let out = self
            .0
            .client_once(region)
            .await
            .create_security_group()
            .vpc_id(s(p, "vpc_id")?)
            .group_name(s(p, "group_name")?)
            .description(s(p, "description")?)
            .tag_specifications(tag_spec(
                ResourceType::SecurityGroup,
                &cx.tags_for(&req.address, p),
            ))
            .send()
            .await
            .map_err(err)?;
        let id = out
            .group_id()
            .ok_or_else(|| ReconcileError::invalid("CreateSecurityGroup returned no GroupId"))?;
        let mut o = observed_from(&req.address, id.to_string(), p);
        o.arn = out.security_group_arn().map(str::to_string);
        Ok(o)
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        update_tags_only(&self.0.client(region).await, cx, observed, desired).await
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let client = self.0.client(region).await;
        deleted(
            client
                .delete_security_group()
                .group_id(&observed.id)
                .send()
                .await,
        )
    }
}
