//! `ec2.route_table_association`: a subnet's association with a route table. Untaggable: found
//! by its natural key, the subnet (a subnet has at most one explicit association).

use crate::common::*;
use async_trait::async_trait;
use provision_core::*;

pub struct RouteTableAssociation(pub crate::Ec2Clients);

static SCHEMA: KindSchema = KindSchema {
    kind: "ec2.route_table_association",
    fields: &[
        // ReplaceRouteTableAssociation moves the subnet to another table in place.
        FieldSchema::mutable("route_table_id"),
        FieldSchema::force_new("subnet_id"),
    ],
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: false,
};

#[async_trait]
impl Reconciler for RouteTableAssociation {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.0.client(region).await;
        let extra: Vec<String> = targets
            .iter()
            .filter_map(|t| {
                t.desired
                    .as_ref()?
                    .as_object()
                    .and_then(|d| opt_s(d, "route_table_id"))
            })
            .collect();
        let tables = stack_route_tables(&client, &cx.stack, &extra).await?;
        let assocs: Vec<_> = tables
            .iter()
            .flat_map(|t| t.associations())
            .filter(|a| a.main() != Some(true))
            .collect();
        let mut out = Vec::new();
        for t in targets {
            let want_subnet = t
                .desired
                .as_ref()
                .and_then(|d| d.as_object())
                .and_then(|d| opt_s(d, "subnet_id"));
            let found = assocs.iter().find(|a| {
                t.id.as_deref()
                    .is_some_and(|id| a.route_table_association_id() == Some(id))
                    || (want_subnet.is_some() && a.subnet_id() == want_subnet.as_deref())
            });
            let Some(a) = found else { continue };
            let (Some(id), Some(rt), Some(sn)) = (
                a.route_table_association_id(),
                a.route_table_id(),
                a.subnet_id(),
            ) else {
                continue;
            };
            let mut props = Props::new();
            props.insert("route_table_id".into(), rt.into());
            props.insert("subnet_id".into(), sn.into());
            out.push(Observed {
                address: t.address.clone(),
                id: id.to_string(),
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
        // No idempotency token: sent once; after a lost answer the engine finds the association
        // by its subnet before it tries again.
        let out = self
            .0
            .client_once(region)
            .await
            .associate_route_table()
            .route_table_id(s(p, "route_table_id")?)
            .subnet_id(s(p, "subnet_id")?)
            .send()
            .await
            .map_err(err)?;
        let id = out
            .association_id()
            .ok_or_else(|| ReconcileError::invalid("AssociateRouteTable returned no id"))?;
        Ok(observed_from(&req.address, id.to_string(), p))
    }

    async fn update(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let out = self
            .0
            .client(region)
            .await
            .replace_route_table_association()
            .association_id(&observed.id)
            .route_table_id(s(desired, "route_table_id")?)
            .send()
            .await
            .map_err(err)?;
        // The association gets a new id when it moves.
        let id = out.new_association_id().unwrap_or(&observed.id).to_string();
        Ok(observed_from(&observed.address, id, desired))
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
                .disassociate_route_table()
                .association_id(&observed.id)
                .send()
                .await,
        )
    }
}
