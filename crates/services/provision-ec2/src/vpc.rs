//! `ec2.vpc`: a VPC with DNS support and hostnames.

use crate::common::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType, VpcAttributeName};
use provision_core::*;

pub struct Vpc(pub crate::Ec2Clients);

static SCHEMA: KindSchema = KindSchema {
    kind: "ec2.vpc",
    fields: &[
        FieldSchema::force_new("cidr_block"),
        FieldSchema::mutable("enable_dns_support"),
        FieldSchema::mutable("enable_dns_hostnames"),
        FieldSchema::mutable("tags"),
    ],
    replace_order: ReplaceOrder::CreateBeforeDestroy,
    taggable: true,
};

async fn set_attr(
    client: &aws_sdk_ec2::Client,
    id: &str,
    attr: VpcAttributeName,
    value: bool,
) -> Result<(), ReconcileError> {
    let v = AttributeBooleanValue::builder().value(value).build();
    let req = client.modify_vpc_attribute().vpc_id(id);
    let req = match attr {
        VpcAttributeName::EnableDnsHostnames => req.enable_dns_hostnames(v),
        _ => req.enable_dns_support(v),
    };
    req.send().await.map_err(err)?;
    Ok(())
}

async fn get_attr(
    client: &aws_sdk_ec2::Client,
    id: &str,
    attr: VpcAttributeName,
) -> Result<bool, ReconcileError> {
    let out = client
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(attr.clone())
        .send()
        .await
        .map_err(err)?;
    let v = match attr {
        VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames(),
        _ => out.enable_dns_support(),
    };
    Ok(v.and_then(|v| v.value()).unwrap_or(false))
}

#[async_trait]
impl Reconciler for Vpc {
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
                let vpcs = client
                    .describe_vpcs()
                    .set_filters(f.map(|f| vec![f]))
                    .set_vpc_ids((!ids.is_empty()).then_some(ids))
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(err)?;
                let mut items = Vec::new();
                for v in vpcs {
                    let Some(id) = v.vpc_id() else { continue };
                    let mut props = Props::new();
                    props.insert(
                        "cidr_block".into(),
                        v.cidr_block().unwrap_or_default().into(),
                    );
                    // DescribeVpcAttribute takes one VPC and one attribute: two calls per VPC,
                    // the documented per-resource exception of this kind.
                    for (key, attr) in [
                        ("enable_dns_support", VpcAttributeName::EnableDnsSupport),
                        ("enable_dns_hostnames", VpcAttributeName::EnableDnsHostnames),
                    ] {
                        props.insert(key.into(), get_attr(&client, id, attr).await?.into());
                    }
                    items.push(Item {
                        id: id.to_string(),
                        arn: None,
                        tags: tags_of(v.tags()),
                        props,
                    });
                }
                Ok(items)
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
        let tags = cx.tags_for(&req.address, p);
        let out = self
            .0
            .client_once(region)
            .await
            .create_vpc()
            .cidr_block(s(p, "cidr_block")?)
            .tag_specifications(tag_spec(ResourceType::Vpc, &tags))
            .send()
            .await
            .map_err(err)?;
        let id = out
            .vpc()
            .and_then(|v| v.vpc_id())
            .ok_or_else(|| ReconcileError::invalid("CreateVpc returned no VpcId"))?
            .to_string();
        let client = self.0.client(region).await;
        // New VPCs have DNS support on and hostnames off.
        if !b(p, "enable_dns_support", true) {
            set_attr(&client, &id, VpcAttributeName::EnableDnsSupport, false).await?;
        }
        if b(p, "enable_dns_hostnames", false) {
            set_attr(&client, &id, VpcAttributeName::EnableDnsHostnames, true).await?;
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
        for (key, attr) in [
            ("enable_dns_support", VpcAttributeName::EnableDnsSupport),
            ("enable_dns_hostnames", VpcAttributeName::EnableDnsHostnames),
        ] {
            if differs(o, desired, key) {
                set_attr(&client, &observed.id, attr, b(desired, key, false)).await?;
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
        deleted(client.delete_vpc().vpc_id(&observed.id).send().await)
    }
}
