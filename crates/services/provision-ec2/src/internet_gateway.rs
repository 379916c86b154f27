//! `ec2.internet_gateway`: an internet gateway and its attachment to the VPC.

use crate::common::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType};
use aws_sdk_ec2::Client;
use provision_core::*;

pub struct InternetGateway(pub crate::Ec2Clients);

static SCHEMA: KindSchema = KindSchema {
    kind: "ec2.internet_gateway",
    fields: &[
        // Attaching to another VPC is a detach and an attach: in place.
        FieldSchema::mutable("vpc_id"),
        FieldSchema::mutable("tags"),
    ],
    // A VPC takes one internet gateway at a time.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

async fn attach(client: &Client, igw: &str, vpc: &str) -> Result<(), ReconcileError> {
    let r = client
        .attach_internet_gateway()
        .internet_gateway_id(igw)
        .vpc_id(vpc)
        .send()
        .await;
    match r.map_err(err) {
        // Already attached to this VPC (a repeated call).
        Err(e) if e.code.as_deref() == Some("Resource.AlreadyAssociated") => Ok(()),
        other => other.map(|_| ()),
    }
}

async fn detach(client: &Client, igw: &str, vpc: &str) -> Result<(), ReconcileError> {
    let r = client
        .detach_internet_gateway()
        .internet_gateway_id(igw)
        .vpc_id(vpc)
        .send()
        .await;
    match r.map_err(err) {
        Err(e) if e.is_not_found() || e.code.as_deref() == Some("Gateway.NotAttached") => Ok(()),
        other => other.map(|_| ()),
    }
}

#[async_trait]
impl Reconciler for InternetGateway {
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
                let igws = client
                    .describe_internet_gateways()
                    .set_filters(f.map(|f| vec![f]))
                    .set_internet_gateway_ids((!ids.is_empty()).then_some(ids))
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(err)?;
                Ok(igws
                    .into_iter()
                    .filter_map(|g| {
                        let mut props = Props::new();
                        let vpc = g.attachments().iter().find_map(|a| a.vpc_id());
                        props.insert("vpc_id".into(), vpc.map(Value::from).unwrap_or_default());
                        Some(Item {
                            id: g.internet_gateway_id()?.to_string(),
                            arn: None,
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
            .create_internet_gateway()
            .tag_specifications(tag_spec(
                ResourceType::InternetGateway,
                &cx.tags_for(&req.address, p),
            ))
            .send()
            .await
            .map_err(err)?;
        let id = out
            .internet_gateway()
            .and_then(|g| g.internet_gateway_id())
            .ok_or_else(|| ReconcileError::invalid("CreateInternetGateway returned no id"))?
            .to_string();
        if let Some(vpc) = opt_s(p, "vpc_id") {
            attach(&self.0.client(region).await, &id, &vpc).await?;
        }
        Ok(observed_from(&req.address, id, p))
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
        if differs(o, desired, "vpc_id") {
            if let Some(old) = opt_s(o, "vpc_id") {
                detach(&client, &observed.id, &old).await?;
            }
            if let Some(new) = opt_s(desired, "vpc_id") {
                attach(&client, &observed.id, &new).await?;
            }
        }
        sync_tags(&client, cx, &observed.address, &observed.id, o, desired).await?;
        Ok(observed_from(
            &observed.address,
            observed.id.clone(),
            desired,
        ))
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let client = self.0.client(region).await;
        if let Some(vpc) = opt_s(&observed.properties, "vpc_id") {
            detach(&client, &observed.id, &vpc).await?;
        }
        deleted(
            client
                .delete_internet_gateway()
                .internet_gateway_id(&observed.id)
                .send()
                .await,
        )
    }
}
