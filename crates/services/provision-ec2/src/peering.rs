//! VPC peering across regions, in three kinds, as AWS splits the work between the two sides:
//!
//! - `ec2.vpc_peering_connection`, in the requester's region: the request to the peer VPC
//!   (`peer_region`). Ready once AWS has passed it to the peer (`pending-acceptance`).
//! - `ec2.vpc_peering_accepter`, in the peer's region: accepts it. Ready when `active`.
//!   Tags are per region in AWS, so this side tags the connection in its own region.
//! - `ec2.vpc_peering_options`, one per side, each in its side's region (AWS refuses to change
//!   a side's options from the other region, and before the connection is active): DNS
//!   resolution of the peer's private names.
//!
//! All three read DescribeVpcPeeringConnections: the requester by the stack's tag, the other
//! two by connection id, in one call per region whatever the number of connections.

use crate::common::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    Filter, PeeringConnectionOptionsRequest, ResourceType, VpcPeeringConnection,
};
use provision_core::*;

/// Statuses after which a connection no longer exists for us.
const ENDED: &[&str] = &["deleted", "deleting", "rejected", "failed", "expired"];

fn status(c: &VpcPeeringConnection) -> &str {
    c.status()
        .and_then(|s| s.code())
        .map_or("unknown", |c| c.as_str())
}

async fn describe(
    clients: &crate::Ec2Clients,
    region: &str,
    f: Option<Filter>,
    ids: Vec<String>,
) -> Result<Vec<VpcPeeringConnection>, ReconcileError> {
    let r = clients
        .client(region)
        .await
        .describe_vpc_peering_connections()
        .set_filters(f.map(|f| vec![f]))
        .set_vpc_peering_connection_ids((!ids.is_empty()).then_some(ids))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(err);
    match r {
        Ok(v) => Ok(v),
        Err(e) if e.is_not_found() => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// One connection by id, unless it has ended.
async fn live(
    clients: &crate::Ec2Clients,
    region: &str,
    id: &str,
) -> Result<Option<VpcPeeringConnection>, ReconcileError> {
    Ok(describe(clients, region, None, vec![id.to_string()])
        .await?
        .into_iter()
        .find(|c| c.vpc_peering_connection_id() == Some(id) && !ENDED.contains(&status(c))))
}

/// The connection's id: the recorded one, else the declared `vpc_peering_connection_id`.
fn connection_of(t: &Target) -> Option<String> {
    provision_aws::props::target_name(t, "vpc_peering_connection_id")
}

/// Delete a connection unless it has already ended: the two sides of a peering both delete it
/// (whichever goes first ends it), and AWS refuses to delete an ended connection again
/// (InvalidStateTransition).
async fn delete_connection(
    clients: &crate::Ec2Clients,
    region: &str,
    id: &str,
) -> Result<(), ReconcileError> {
    if live(clients, region, id).await?.is_none() {
        return Ok(());
    }
    let r = deleted(
        clients
            .client(region)
            .await
            .delete_vpc_peering_connection()
            .vpc_peering_connection_id(id)
            .send()
            .await,
    );
    match r {
        // Ended between the read and the delete (the other side deleted it).
        Err(e) if e.code.as_deref() == Some("InvalidStateTransition") => {
            if live(clients, region, id).await?.is_none() {
                Ok(())
            } else {
                Err(e)
            }
        }
        other => other,
    }
}

async fn connection_gone(
    clients: &crate::Ec2Clients,
    region: &str,
    id: &str,
) -> Result<bool, ReconcileError> {
    Ok(live(clients, region, id).await?.is_none())
}

// ---------------------------------------------------------------------------------------------
// The request

pub struct PeeringConnection(pub crate::Ec2Clients);

static CONNECTION: KindSchema = KindSchema {
    kind: "ec2.vpc_peering_connection",
    fields: &[
        FieldSchema::force_new("vpc_id"),
        FieldSchema::force_new("peer_vpc_id"),
        FieldSchema::force_new("peer_region"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("status"),
    ],
    // Two connections between the same VPCs are refused.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

fn connection_item(c: VpcPeeringConnection) -> Option<Item> {
    if ENDED.contains(&status(&c)) {
        return None;
    }
    let mut props = Props::new();
    let req = c.requester_vpc_info();
    let acc = c.accepter_vpc_info();
    props.insert("vpc_id".into(), req?.vpc_id()?.into());
    props.insert("peer_vpc_id".into(), acc?.vpc_id()?.into());
    if let Some(r) = acc.and_then(|a| a.region()) {
        props.insert("peer_region".into(), r.into());
    }
    props.insert("status".into(), status(&c).into());
    Some(Item {
        id: c.vpc_peering_connection_id()?.to_string(),
        arn: None,
        tags: tags_of(c.tags()),
        props,
    })
}

#[async_trait]
impl Reconciler for PeeringConnection {
    fn schema(&self) -> &'static KindSchema {
        &CONNECTION
    }

    async fn observe(
        &self,
        cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let list = |f: Option<Filter>, ids: Vec<String>| async move {
            Ok(describe(&self.0, region, f, ids)
                .await?
                .into_iter()
                .filter_map(connection_item)
                .collect())
        };
        observe_tagged(&cx.stack, CONNECTION.kind, targets, list).await
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
            .create_vpc_peering_connection()
            .vpc_id(s(p, "vpc_id")?)
            .peer_vpc_id(s(p, "peer_vpc_id")?)
            .set_peer_region(opt_s(p, "peer_region"))
            .tag_specifications(tag_spec(
                ResourceType::VpcPeeringConnection,
                &cx.tags_for(&req.address, p),
            ))
            .send()
            .await
            .map_err(err)?;
        let c = out.vpc_peering_connection().ok_or_else(|| {
            ReconcileError::invalid("CreateVpcPeeringConnection returned nothing")
        })?;
        let id = c
            .vpc_peering_connection_id()
            .ok_or_else(|| ReconcileError::invalid("CreateVpcPeeringConnection returned no id"))?;
        let mut o = observed_from(&req.address, id.to_string(), p);
        o.properties.insert("status".into(), status(c).into());
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
        delete_connection(&self.0, region, &observed.id).await
    }

    async fn ready(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<Readiness, ReconcileError> {
        let what = format!("VPC peering connection {}", observed.id);
        let found = describe(&self.0, region, None, vec![observed.id.clone()]).await?;
        let st = found.first().map(status);
        // Ready for the accepter once AWS has handed the request to the peer region.
        Ok(provision_aws::props::readiness(
            &what,
            st,
            &["pending-acceptance", "provisioning", "active"],
            ENDED,
        ))
    }

    async fn gone(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<bool, ReconcileError> {
        connection_gone(&self.0, region, &observed.id).await
    }
}

// ---------------------------------------------------------------------------------------------
// The acceptance

pub struct PeeringAccepter(pub crate::Ec2Clients);

static ACCEPTER: KindSchema = KindSchema {
    kind: "ec2.vpc_peering_accepter",
    fields: &[
        FieldSchema::force_new("vpc_peering_connection_id"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("status"),
    ],
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

#[async_trait]
impl Reconciler for PeeringAccepter {
    fn schema(&self) -> &'static KindSchema {
        &ACCEPTER
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let wanted: Vec<(Address, String)> = targets
            .iter()
            .filter_map(|t| Some((t.address.clone(), connection_of(t)?)))
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        // One call for every connection this region accepts.
        let ids: Vec<String> = wanted.iter().map(|(_, id)| id.clone()).collect();
        let all = describe(&self.0, region, None, ids).await?;
        let mut out = Vec::new();
        for (address, id) in wanted {
            let Some(c) = all
                .iter()
                .find(|c| c.vpc_peering_connection_id() == Some(id.as_str()))
            else {
                continue;
            };
            // Not accepted yet (or ended): there is nothing of this kind to observe.
            if !["provisioning", "active"].contains(&status(c)) {
                continue;
            }
            let tags = tags_of(c.tags());
            if address_tag(&tags).is_some_and(|a| a != address) {
                continue;
            }
            let mut props = Props::new();
            props.insert("vpc_peering_connection_id".into(), id.clone().into());
            props.insert("status".into(), status(c).into());
            props.insert("tags".into(), user_tags(&tags));
            out.push(Observed {
                address,
                id,
                arn: None,
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
        let id = s(p, "vpc_peering_connection_id")?;
        let client = self.0.client(region).await;
        let current = describe(&self.0, region, None, vec![id.clone()]).await?;
        let st = current.first().map(status).unwrap_or("missing");
        // Accepting twice is refused: a repeated create after a lost answer skips it.
        if !["provisioning", "active"].contains(&st) {
            client
                .accept_vpc_peering_connection()
                .vpc_peering_connection_id(&id)
                .send()
                .await
                .map_err(err)?;
        }
        client
            .create_tags()
            .resources(&id)
            .set_tags(Some(to_tags(&cx.tags_for(&req.address, p))))
            .send()
            .await
            .map_err(err)?;
        let mut o = observed_from(&req.address, id, p);
        o.properties.insert("status".into(), "provisioning".into());
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

    /// An acceptance cannot be taken back: the accepting side ends the peering by deleting the
    /// connection, which AWS allows from either side.
    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        delete_connection(&self.0, region, &observed.id).await
    }

    async fn ready(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<Readiness, ReconcileError> {
        let what = format!("VPC peering connection {}", observed.id);
        let found = describe(&self.0, region, None, vec![observed.id.clone()]).await?;
        Ok(provision_aws::props::readiness(
            &what,
            found.first().map(status),
            &["active"],
            ENDED,
        ))
    }

    async fn gone(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<bool, ReconcileError> {
        connection_gone(&self.0, region, &observed.id).await
    }
}

// ---------------------------------------------------------------------------------------------
// One side's options

pub struct PeeringOptions(pub crate::Ec2Clients);

static OPTIONS: KindSchema = KindSchema {
    kind: "ec2.vpc_peering_options",
    fields: &[
        FieldSchema::force_new("vpc_peering_connection_id"),
        // `requester` or `accepter`: the side of the connection this region is.
        FieldSchema::force_new("side"),
        FieldSchema::mutable("allow_remote_dns"),
    ],
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: false,
};

fn side_dns(c: &VpcPeeringConnection, side: &str) -> Option<bool> {
    let info = if side == "accepter" {
        c.accepter_vpc_info()
    } else {
        c.requester_vpc_info()
    };
    info.and_then(|i| i.peering_options())
        .and_then(|o| o.allow_dns_resolution_from_remote_vpc())
}

impl PeeringOptions {
    async fn set(
        &self,
        region: &str,
        id: &str,
        side: &str,
        dns: bool,
    ) -> Result<(), ReconcileError> {
        let opts = PeeringConnectionOptionsRequest::builder()
            .allow_dns_resolution_from_remote_vpc(dns)
            .build();
        let call = self
            .0
            .client(region)
            .await
            .modify_vpc_peering_connection_options()
            .vpc_peering_connection_id(id);
        let call = if side == "accepter" {
            call.accepter_peering_connection_options(opts)
        } else {
            call.requester_peering_connection_options(opts)
        };
        call.send().await.map_err(err)?;
        Ok(())
    }
}

#[async_trait]
impl Reconciler for PeeringOptions {
    fn schema(&self) -> &'static KindSchema {
        &OPTIONS
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let wanted: Vec<(Address, String, String)> = targets
            .iter()
            .filter_map(|t| {
                let side = t
                    .desired
                    .as_ref()
                    .and_then(Value::as_object)
                    .and_then(|d| opt_s(d, "side"))
                    .unwrap_or_else(|| "requester".into());
                Some((t.address.clone(), connection_of(t)?, side))
            })
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = wanted.iter().map(|(_, id, _)| id.clone()).collect();
        let all = describe(&self.0, region, None, ids).await?;
        let mut out = Vec::new();
        for (address, id, side) in wanted {
            let Some(c) = all.iter().find(|c| {
                c.vpc_peering_connection_id() == Some(id.as_str()) && status(c) == "active"
            }) else {
                continue;
            };
            let mut props = Props::new();
            props.insert("vpc_peering_connection_id".into(), id.clone().into());
            props.insert("side".into(), side.clone().into());
            props.insert(
                "allow_remote_dns".into(),
                side_dns(c, &side).unwrap_or(false).into(),
            );
            out.push(Observed {
                address,
                id,
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
        let id = s(p, "vpc_peering_connection_id")?;
        let side = s(p, "side")?;
        self.set(region, &id, &side, b(p, "allow_remote_dns", true))
            .await?;
        Ok(observed_from(&req.address, id, p))
    }

    async fn update(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let side = s(desired, "side")?;
        self.set(
            region,
            &observed.id,
            &side,
            b(desired, "allow_remote_dns", true),
        )
        .await?;
        Ok(observed_from(
            &observed.address,
            observed.id.clone(),
            desired,
        ))
    }

    /// Options live and die with the connection: removing them turns DNS resolution off, unless
    /// the connection is already gone or going.
    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        if live(&self.0, region, &observed.id).await?.is_none() {
            return Ok(());
        }
        let side = opt_s(&observed.properties, "side").unwrap_or_else(|| "requester".into());
        match self.set(region, &observed.id, &side, false).await {
            Err(e) if e.class == ErrorClass::Invalid || e.is_not_found() => Ok(()),
            other => other,
        }
    }
}
