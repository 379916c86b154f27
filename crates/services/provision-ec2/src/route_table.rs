//! `ec2.route_table`: a route table in the VPC (its routes and associations are kinds of their own).

use crate::common::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType};
use provision_core::*;

pub struct RouteTable(pub crate::Ec2Clients);

static SCHEMA: KindSchema = KindSchema {
    kind: "ec2.route_table",
    fields: &[
        FieldSchema::force_new("vpc_id"),
        FieldSchema::mutable("tags"),
    ],
    replace_order: ReplaceOrder::CreateBeforeDestroy,
    taggable: true,
};

#[async_trait]
impl Reconciler for RouteTable {
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
                let tables = client
                    .describe_route_tables()
                    .set_filters(f.map(|f| vec![f]))
                    .set_route_table_ids((!ids.is_empty()).then_some(ids))
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(err)?;
                Ok(tables
                    .into_iter()
                    .filter_map(|t| {
                        let mut props = Props::new();
                        props.insert("vpc_id".into(), t.vpc_id()?.into());
                        Some(Item {
                            id: t.route_table_id()?.to_string(),
                            arn: None,
                            tags: tags_of(t.tags()),
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
            .create_route_table()
            .vpc_id(s(p, "vpc_id")?)
            .tag_specifications(tag_spec(
                ResourceType::RouteTable,
                &cx.tags_for(&req.address, p),
            ))
            .send()
            .await
            .map_err(err)?;
        let id = out
            .route_table()
            .and_then(|t| t.route_table_id())
            .ok_or_else(|| ReconcileError::invalid("CreateRouteTable returned no id"))?
            .to_string();
        Ok(observed_from(&req.address, id, p))
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
                .delete_route_table()
                .route_table_id(&observed.id)
                .send()
                .await,
        )
    }
}
