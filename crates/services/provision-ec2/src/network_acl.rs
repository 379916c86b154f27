//! `ec2.network_acl`: a network ACL with its entries and its subnet associations, managed as one
//! object. Entries and associations have no ids of their own worth tracking: `update` brings the
//! entry list and the subnet set to the desired ones.

use crate::common::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, NetworkAcl as AwsAcl, PortRange, ResourceType, RuleAction};
use aws_sdk_ec2::Client;
use provision_core::*;
use std::collections::BTreeMap;

pub struct NetworkAcl(pub crate::Ec2Clients);

static SCHEMA: KindSchema = KindSchema {
    kind: "ec2.network_acl",
    fields: &[
        FieldSchema::force_new("vpc_id"),
        FieldSchema::mutable("entries").unordered(),
        FieldSchema::mutable("subnet_ids").unordered(),
        FieldSchema::mutable("tags"),
    ],
    replace_order: ReplaceOrder::CreateBeforeDestroy,
    taggable: true,
};

/// The catch-all deny rules AWS adds to every ACL.
const DEFAULT_RULE: i32 = 32767;

fn entries_of(acl: &AwsAcl) -> Vec<Value> {
    let mut out: Vec<(bool, i32, Value)> = acl
        .entries()
        .iter()
        .filter(|e| e.rule_number() != Some(DEFAULT_RULE))
        .filter_map(|e| {
            let mut m = Props::new();
            let n = e.rule_number()?;
            let egress = e.egress()?;
            m.insert("rule_number".into(), n.into());
            m.insert("egress".into(), egress.into());
            let proto = e.protocol()?;
            m.insert("protocol".into(), proto.into());
            m.insert(
                "rule_action".into(),
                e.rule_action().map(|a| a.as_str()).unwrap_or("deny").into(),
            );
            m.insert("cidr_block".into(), e.cidr_block()?.into());
            if proto != "-1" {
                if let Some(r) = e.port_range() {
                    m.insert("from_port".into(), r.from().unwrap_or(0).into());
                    m.insert("to_port".into(), r.to().unwrap_or(0).into());
                }
            }
            Some((egress, n, Value::Object(m)))
        })
        .collect();
    out.sort_by_key(|(e, n, _)| (*e, *n));
    out.into_iter().map(|(_, _, v)| v).collect()
}

fn subnets_of(acl: &AwsAcl) -> Vec<String> {
    let mut v: Vec<String> = acl
        .associations()
        .iter()
        .filter_map(|a| a.subnet_id().map(str::to_string))
        .collect();
    v.sort();
    v
}

/// An entry's key: (egress, rule_number).
fn entry_key(e: &Value) -> Option<(bool, i32)> {
    let egress = e.get("egress")?.as_bool()?;
    let n = i32::try_from(e.get("rule_number")?.as_i64()?).ok()?;
    Some((egress, n))
}

fn entry_map(p: &Props) -> BTreeMap<(bool, i32), Value> {
    p.get("entries")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| Some((entry_key(e)?, e.clone())))
                .collect()
        })
        .unwrap_or_default()
}

async fn put_entry(
    client: &Client,
    acl: &str,
    e: &Value,
    replace: bool,
) -> Result<(), ReconcileError> {
    let m = e
        .as_object()
        .ok_or_else(|| ReconcileError::invalid("a network ACL entry must be a map"))?;
    let (egress, n) = entry_key(e)
        .ok_or_else(|| ReconcileError::invalid("entry needs egress and rule_number"))?;
    let action = RuleAction::from(s(m, "rule_action")?.as_str());
    let range = match (i(m, "from_port"), i(m, "to_port")) {
        (Some(f), Some(t)) => Some(PortRange::builder().from(f).to(t).build()),
        _ => None,
    };
    if !replace {
        let created = client
            .create_network_acl_entry()
            .network_acl_id(acl)
            .rule_number(n)
            .egress(egress)
            .protocol(s(m, "protocol")?)
            .rule_action(action.clone())
            .cidr_block(s(m, "cidr_block")?)
            .set_port_range(range.clone())
            .send()
            .await
            .map(|_| ())
            .map_err(err);
        match created {
            // A create whose answer was lost (the SDK retried it after the connection dropped)
            // finds its own entry under the rule number: putting the rule sets it as desired.
            Err(e) if e.code.as_deref() == Some("NetworkAclEntryAlreadyExists") => {}
            r => return r,
        }
    }
    client
        .replace_network_acl_entry()
        .network_acl_id(acl)
        .rule_number(n)
        .egress(egress)
        .protocol(s(m, "protocol")?)
        .rule_action(action)
        .cidr_block(s(m, "cidr_block")?)
        .set_port_range(range)
        .send()
        .await
        .map(|_| ())
        .map_err(err)
}

/// Move `subnets` to the ACL `to` (every subnet always belongs to exactly one ACL).
async fn associate(client: &Client, subnets: &[String], to: &str) -> Result<(), ReconcileError> {
    if subnets.is_empty() {
        return Ok(());
    }
    let acls = client
        .describe_network_acls()
        .filters(filter(
            "association.subnet-id",
            subnets.iter().map(String::as_str),
        ))
        .send()
        .await
        .map_err(err)?;
    for a in acls.network_acls().iter().flat_map(|a| a.associations()) {
        let (Some(sn), Some(assoc)) = (a.subnet_id(), a.network_acl_association_id()) else {
            continue;
        };
        if subnets.iter().any(|s| s == sn) && a.network_acl_id() != Some(to) {
            client
                .replace_network_acl_association()
                .association_id(assoc)
                .network_acl_id(to)
                .send()
                .await
                .map_err(err)?;
        }
    }
    Ok(())
}

/// The VPC's default ACL, where subnets go back when they leave ours.
async fn default_acl(client: &Client, vpc: &str) -> Result<Option<String>, ReconcileError> {
    let out = client
        .describe_network_acls()
        .filters(filter("vpc-id", [vpc]))
        .filters(filter("default", ["true"]))
        .send()
        .await
        .map_err(err)?;
    Ok(out
        .network_acls()
        .first()
        .and_then(|a| a.network_acl_id())
        .map(str::to_string))
}

async fn release_subnets(
    client: &Client,
    vpc: Option<String>,
    subnets: &[String],
) -> Result<(), ReconcileError> {
    if subnets.is_empty() {
        return Ok(());
    }
    let Some(vpc) = vpc else { return Ok(()) };
    if let Some(default) = default_acl(client, &vpc).await? {
        associate(client, subnets, &default).await?;
    }
    Ok(())
}

#[async_trait]
impl Reconciler for NetworkAcl {
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
                let acls = client
                    .describe_network_acls()
                    .set_filters(f.map(|f| vec![f]))
                    .set_network_acl_ids((!ids.is_empty()).then_some(ids))
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(err)?;
                Ok(acls
                    .into_iter()
                    .filter_map(|a| {
                        let mut props = Props::new();
                        props.insert("vpc_id".into(), a.vpc_id()?.into());
                        props.insert("entries".into(), Value::Array(entries_of(&a)));
                        props.insert("subnet_ids".into(), subnets_of(&a).into());
                        Some(Item {
                            id: a.network_acl_id()?.to_string(),
                            arn: None,
                            tags: tags_of(a.tags()),
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
            .create_network_acl()
            .vpc_id(s(p, "vpc_id")?)
            .tag_specifications(tag_spec(
                ResourceType::NetworkAcl,
                &cx.tags_for(&req.address, p),
            ))
            .send()
            .await
            .map_err(err)?;
        let id = out
            .network_acl()
            .and_then(|a| a.network_acl_id())
            .ok_or_else(|| ReconcileError::invalid("CreateNetworkAcl returned no id"))?
            .to_string();
        let client = self.0.client(region).await;
        for e in entry_map(p).values() {
            put_entry(&client, &id, e, false).await?;
        }
        associate(
            &client,
            &provision_aws::props::strings(p, "subnet_ids"),
            &id,
        )
        .await?;
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
        let (have, want) = (entry_map(o), entry_map(desired));
        for (k, e) in &want {
            match have.get(k) {
                Some(old) if old == e => {}
                Some(_) => put_entry(&client, &observed.id, e, true).await?,
                None => put_entry(&client, &observed.id, e, false).await?,
            }
        }
        for (egress, n) in have.keys().filter(|k| !want.contains_key(*k)) {
            deleted(
                client
                    .delete_network_acl_entry()
                    .network_acl_id(&observed.id)
                    .egress(*egress)
                    .rule_number(*n)
                    .send()
                    .await,
            )?;
        }
        let (had, wanted) = (
            provision_aws::props::strings(o, "subnet_ids"),
            provision_aws::props::strings(desired, "subnet_ids"),
        );
        let added: Vec<String> = wanted
            .iter()
            .filter(|s| !had.contains(s))
            .cloned()
            .collect();
        associate(&client, &added, &observed.id).await?;
        let removed: Vec<String> = had
            .iter()
            .filter(|s| !wanted.contains(s))
            .cloned()
            .collect();
        release_subnets(&client, opt_s(o, "vpc_id"), &removed).await?;
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
        let o = &observed.properties;
        release_subnets(
            &client,
            opt_s(o, "vpc_id"),
            &provision_aws::props::strings(o, "subnet_ids"),
        )
        .await?;
        deleted(
            client
                .delete_network_acl()
                .network_acl_id(&observed.id)
                .send()
                .await,
        )
    }
}
