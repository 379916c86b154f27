//! `ec2.route`: one route in a route table. Untaggable: its natural key is
//! `<route_table_id>|<destination_cidr_block>`, which is also its id.

use crate::common::*;
use async_trait::async_trait;
use aws_sdk_ec2::Client;
use provision_core::*;

pub struct Route(pub crate::Ec2Clients);

static SCHEMA: KindSchema = KindSchema {
    kind: "ec2.route",
    fields: &[
        FieldSchema::force_new("route_table_id"),
        FieldSchema::force_new("destination_cidr_block"),
        // ReplaceRoute points an existing route at another target in place.
        FieldSchema::mutable("gateway_id"),
        FieldSchema::mutable("nat_gateway_id"),
        FieldSchema::mutable("vpc_peering_connection_id"),
    ],
    // One route per destination in a table.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: false,
};

const TARGETS: [&str; 3] = ["gateway_id", "nat_gateway_id", "vpc_peering_connection_id"];

fn key_of(t: &Target) -> Option<(String, String)> {
    if let Some((rt, cidr)) = t.id.as_deref().and_then(|id| id.split_once('|')) {
        return Some((rt.to_string(), cidr.to_string()));
    }
    let d = t.desired.as_ref()?.as_object()?;
    Some((
        opt_s(d, "route_table_id")?,
        opt_s(d, "destination_cidr_block")?,
    ))
}

fn route_id(rt: &str, cidr: &str) -> String {
    format!("{rt}|{cidr}")
}

#[async_trait]
impl Reconciler for Route {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let keyed: Vec<(&Target, (String, String))> = targets
            .iter()
            .filter_map(|t| Some((t, key_of(t)?)))
            .collect();
        if keyed.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.0.client(region).await;
        let ids: Vec<String> = keyed.iter().map(|(_, (rt, _))| rt.clone()).collect();
        let tables = stack_route_tables(&client, &cx.stack, &ids).await?;
        let mut out = Vec::new();
        for (t, (rt, cidr)) in keyed {
            let Some(table) = tables
                .iter()
                .find(|x| x.route_table_id() == Some(rt.as_str()))
            else {
                continue;
            };
            let Some(r) = table
                .routes()
                .iter()
                .find(|r| r.destination_cidr_block() == Some(cidr.as_str()))
            else {
                continue;
            };
            let mut props = Props::new();
            props.insert("route_table_id".into(), rt.clone().into());
            props.insert("destination_cidr_block".into(), cidr.clone().into());
            let gw = r.gateway_id().filter(|g| *g != "local");
            for (k, v) in [
                ("gateway_id", gw),
                ("nat_gateway_id", r.nat_gateway_id()),
                ("vpc_peering_connection_id", r.vpc_peering_connection_id()),
            ] {
                if let Some(v) = v {
                    props.insert(k.into(), v.into());
                }
            }
            out.push(Observed {
                address: t.address.clone(),
                id: route_id(&rt, &cidr),
                arn: None,
                properties: props,
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
        let (rt, cidr) = (s(p, "route_table_id")?, s(p, "destination_cidr_block")?);
        // No idempotency token: sent once; after a lost answer the engine finds the route by its
        // natural key before it tries again.
        let client = self.0.client_once(region).await;
        client
            .create_route()
            .route_table_id(&rt)
            .destination_cidr_block(&cidr)
            .set_gateway_id(opt_s(p, "gateway_id"))
            .set_nat_gateway_id(opt_s(p, "nat_gateway_id"))
            .set_vpc_peering_connection_id(opt_s(p, "vpc_peering_connection_id"))
            .send()
            .await
            .map_err(err)?;
        Ok(observed_from(&req.address, route_id(&rt, &cidr), p))
    }

    async fn update(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client: Client = self.0.client(region).await;
        if TARGETS
            .iter()
            .any(|k| differs(&observed.properties, desired, k))
        {
            client
                .replace_route()
                .route_table_id(s(desired, "route_table_id")?)
                .destination_cidr_block(s(desired, "destination_cidr_block")?)
                .set_gateway_id(opt_s(desired, "gateway_id"))
                .set_nat_gateway_id(opt_s(desired, "nat_gateway_id"))
                .set_vpc_peering_connection_id(opt_s(desired, "vpc_peering_connection_id"))
                .send()
                .await
                .map_err(err)?;
        }
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
        let p = &observed.properties;
        let client = self.0.client(region).await;
        deleted(
            client
                .delete_route()
                .route_table_id(s(p, "route_table_id")?)
                .destination_cidr_block(s(p, "destination_cidr_block")?)
                .send()
                .await,
        )
    }
}
