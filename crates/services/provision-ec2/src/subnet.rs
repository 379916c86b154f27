//! `ec2.subnet`: a subnet in one availability zone.

use crate::common::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType};
use provision_core::*;

pub struct Subnet(pub crate::Ec2Clients);

static SCHEMA: KindSchema = KindSchema {
    kind: "ec2.subnet",
    fields: &[
        FieldSchema::force_new("vpc_id"),
        FieldSchema::force_new("cidr_block"),
        FieldSchema::force_new("availability_zone"),
        FieldSchema::mutable("map_public_ip_on_launch"),
        FieldSchema::mutable("tags"),
    ],
    // A CIDR is unique within its VPC: the old subnet must go before the new one comes.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

async fn set_map_public(
    client: &aws_sdk_ec2::Client,
    id: &str,
    value: bool,
) -> Result<(), ReconcileError> {
    client
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(value).build())
        .send()
        .await
        .map_err(err)?;
    Ok(())
}

#[async_trait]
impl Reconciler for Subnet {
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
                let subnets = client
                    .describe_subnets()
                    .set_filters(f.map(|f| vec![f]))
                    .set_subnet_ids((!ids.is_empty()).then_some(ids))
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(err)?;
                Ok(subnets
                    .into_iter()
                    .filter_map(|sn| {
                        let mut props = Props::new();
                        props.insert("vpc_id".into(), sn.vpc_id()?.into());
                        props.insert("cidr_block".into(), sn.cidr_block()?.into());
                        props.insert("availability_zone".into(), sn.availability_zone()?.into());
                        props.insert(
                            "map_public_ip_on_launch".into(),
                            sn.map_public_ip_on_launch().unwrap_or(false).into(),
                        );
                        Some(Item {
                            id: sn.subnet_id()?.to_string(),
                            arn: sn.subnet_arn().map(str::to_string),
                            tags: tags_of(sn.tags()),
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
            .create_subnet()
            .vpc_id(s(p, "vpc_id")?)
            .cidr_block(s(p, "cidr_block")?)
            .availability_zone(s(p, "availability_zone")?)
            .tag_specifications(tag_spec(
                ResourceType::Subnet,
                &cx.tags_for(&req.address, p),
            ))
            .send()
            .await
            .map_err(err)?;
        let sn = out
            .subnet()
            .ok_or_else(|| ReconcileError::invalid("CreateSubnet returned no subnet"))?;
        let id = sn.subnet_id().unwrap_or_default().to_string();
        if b(p, "map_public_ip_on_launch", false) {
            set_map_public(&self.0.client(region).await, &id, true).await?;
        }
        let mut o = observed_from(&req.address, id, p);
        o.arn = sn.subnet_arn().map(str::to_string);
        Ok(o)
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client = self.0.client(region).await;
        let o = &observed.properties;
        if differs(o, desired, "map_public_ip_on_launch") {
            let v = b(desired, "map_public_ip_on_launch", false);
            set_map_public(&client, &observed.id, v).await?;
        }
        sync_tags(&client, cx, &observed.address, &observed.id, o, desired).await?;
        let mut out = observed_from(&observed.address, observed.id.clone(), desired);
        out.arn = observed.arn.clone();
        Ok(out)
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let client = self.0.client(region).await;
        deleted(client.delete_subnet().subnet_id(&observed.id).send().await)
    }
}
