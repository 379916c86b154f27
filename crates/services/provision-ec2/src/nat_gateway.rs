//! `ec2.nat_gateway`: a public NAT gateway in a public subnet with an Elastic IP.

use crate::common::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, NatGatewayState, ResourceType};
use provision_core::*;

pub struct NatGateway(pub crate::Ec2Clients);

static SCHEMA: KindSchema = KindSchema {
    kind: "ec2.nat_gateway",
    fields: &[
        FieldSchema::force_new("subnet_id"),
        FieldSchema::force_new("allocation_id"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("state"),
    ],
    // The Elastic IP can serve one NAT gateway at a time.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

impl NatGateway {
    async fn list(
        &self,
        region: &str,
        f: Option<Filter>,
        ids: Vec<String>,
    ) -> Result<Vec<Item>, ReconcileError> {
        let gws = self
            .0
            .client(region)
            .await
            .describe_nat_gateways()
            .set_filter(f.map(|f| vec![f]))
            .set_nat_gateway_ids((!ids.is_empty()).then_some(ids))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        Ok(gws
            .into_iter()
            // A deleted NAT gateway stays listed for about an hour: it is gone for us.
            .filter(|g| g.state() != Some(&NatGatewayState::Deleted))
            .filter_map(|g| {
                let mut props = Props::new();
                props.insert("subnet_id".into(), g.subnet_id()?.into());
                let alloc = g
                    .nat_gateway_addresses()
                    .iter()
                    .find_map(|a| a.allocation_id());
                props.insert(
                    "allocation_id".into(),
                    alloc.map(Value::from).unwrap_or_default(),
                );
                props.insert(
                    "state".into(),
                    g.state().map(|s| s.as_str()).unwrap_or("unknown").into(),
                );
                Some(Item {
                    id: g.nat_gateway_id()?.to_string(),
                    arn: None,
                    tags: tags_of(g.tags()),
                    props,
                })
            })
            .collect())
    }
}

#[async_trait]
impl Reconciler for NatGateway {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        observe_tagged(&cx.stack, SCHEMA.kind, targets, |f, ids| {
            self.list(region, f, ids)
        })
        .await
    }

    async fn create(
        &self,
        cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        let p = &req.properties;
        // CreateNatGateway takes a ClientToken: a resend with the same token is answered with
        // the same gateway, so the retrying client is safe here.
        let out = self
            .0
            .client(region)
            .await
            .create_nat_gateway()
            .subnet_id(s(p, "subnet_id")?)
            .allocation_id(s(p, "allocation_id")?)
            .client_token(&req.token)
            .tag_specifications(tag_spec(
                ResourceType::Natgateway,
                &cx.tags_for(&req.address, p),
            ))
            .send()
            .await
            .map_err(err)?;
        let g = out
            .nat_gateway()
            .ok_or_else(|| ReconcileError::invalid("CreateNatGateway returned no gateway"))?;
        let id = g.nat_gateway_id().unwrap_or_default().to_string();
        let mut o = observed_from(&req.address, id, p);
        o.properties.insert(
            "state".into(),
            g.state().map(|s| s.as_str()).unwrap_or("pending").into(),
        );
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
                .delete_nat_gateway()
                .nat_gateway_id(&observed.id)
                .send()
                .await,
        )
    }

    async fn ready(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<Readiness, ReconcileError> {
        let items = self.list(region, None, vec![observed.id.clone()]).await?;
        let state = items
            .first()
            .and_then(|i| i.props.get("state"))
            .and_then(Value::as_str)
            .unwrap_or("missing")
            .to_string();
        Ok(match state.as_str() {
            "available" => Readiness::Ready,
            "pending" => Readiness::Pending(format!("NAT gateway {} is pending", observed.id)),
            other => Readiness::Failed(format!("NAT gateway {} is {other}", observed.id)),
        })
    }

    async fn gone(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<bool, ReconcileError> {
        match self.list(region, None, vec![observed.id.clone()]).await {
            Ok(items) => Ok(items.is_empty()),
            Err(e) if e.is_not_found() => Ok(true),
            Err(e) => Err(e),
        }
    }
}
