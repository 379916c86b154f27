//! `ec2.security_group_rule`: one ingress or egress rule of a security group, by group reference
//! or by CIDR. Rules have ids (`sgr-…`) and carry tags, so they are observed by tag like the rest.

use crate::common::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, ResourceType, SecurityGroupRuleRequest, SecurityGroupRuleUpdate,
    UserIdGroupPair,
};
use provision_core::*;

pub struct SecurityGroupRule(pub crate::Ec2Clients);

static SCHEMA: KindSchema = KindSchema {
    kind: "ec2.security_group_rule",
    fields: &[
        FieldSchema::force_new("security_group_id"),
        FieldSchema::force_new("direction"),
        FieldSchema::force_new("ip_protocol"),
        FieldSchema::force_new("from_port"),
        FieldSchema::force_new("to_port"),
        FieldSchema::force_new("source_security_group_id"),
        FieldSchema::force_new("cidr_ipv4"),
        FieldSchema::mutable("description"),
        FieldSchema::mutable("tags"),
    ],
    // An identical rule cannot exist twice in a group.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

fn is_egress(p: &Props) -> bool {
    p.get("direction").and_then(Value::as_str) == Some("egress")
}

fn permission(p: &Props) -> Result<IpPermission, ReconcileError> {
    let desc = opt_s(p, "description");
    let mut perm = IpPermission::builder().ip_protocol(s(p, "ip_protocol")?);
    if let (Some(from), Some(to)) = (i(p, "from_port"), i(p, "to_port")) {
        perm = perm.from_port(from).to_port(to);
    }
    if let Some(g) = opt_s(p, "source_security_group_id") {
        perm = perm.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(g)
                .set_description(desc)
                .build(),
        );
    } else if let Some(c) = opt_s(p, "cidr_ipv4") {
        perm = perm.ip_ranges(IpRange::builder().cidr_ip(c).set_description(desc).build());
    } else {
        return Err(ReconcileError::invalid(
            "a security group rule needs source_security_group_id or cidr_ipv4",
        ));
    }
    Ok(perm.build())
}

#[async_trait]
impl Reconciler for SecurityGroupRule {
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
                let rules = client
                    .describe_security_group_rules()
                    .set_filters(f.map(|f| vec![f]))
                    .set_security_group_rule_ids((!ids.is_empty()).then_some(ids))
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(err)?;
                Ok(rules
                    .into_iter()
                    .filter_map(|r| {
                        let mut props = Props::new();
                        props.insert("security_group_id".into(), r.group_id()?.into());
                        let dir = if r.is_egress() == Some(true) {
                            "egress"
                        } else {
                            "ingress"
                        };
                        props.insert("direction".into(), dir.into());
                        let proto = r.ip_protocol()?;
                        props.insert("ip_protocol".into(), proto.into());
                        if proto != "-1" {
                            props.insert("from_port".into(), r.from_port()?.into());
                            props.insert("to_port".into(), r.to_port()?.into());
                        }
                        if let Some(g) = r.referenced_group_info().and_then(|g| g.group_id()) {
                            props.insert("source_security_group_id".into(), g.into());
                        }
                        if let Some(c) = r.cidr_ipv4() {
                            props.insert("cidr_ipv4".into(), c.into());
                        }
                        if let Some(d) = r.description().filter(|d| !d.is_empty()) {
                            props.insert("description".into(), d.into());
                        }
                        Some(Item {
                            id: r.security_group_rule_id()?.to_string(),
                            arn: r.security_group_rule_arn().map(str::to_string),
                            tags: tags_of(r.tags()),
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
        let client = self.0.client_once(region).await;
        let group = s(p, "security_group_id")?;
        let tags = tag_spec(
            ResourceType::SecurityGroupRule,
            &cx.tags_for(&req.address, p),
        );
        let rules = if is_egress(p) {
            client
                .authorize_security_group_egress()
                .group_id(&group)
                .ip_permissions(permission(p)?)
                .tag_specifications(tags)
                .send()
                .await
                .map_err(err)?
                .security_group_rules
        } else {
            client
                .authorize_security_group_ingress()
                .group_id(&group)
                .ip_permissions(permission(p)?)
                .tag_specifications(tags)
                .send()
                .await
                .map_err(err)?
                .security_group_rules
        };
        let id = rules
            .unwrap_or_default()
            .first()
            .and_then(|r| r.security_group_rule_id())
            .ok_or_else(|| {
                ReconcileError::invalid("AuthorizeSecurityGroup* returned no SecurityGroupRuleId")
            })?
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
        let client = self.0.client(region).await;
        let o = &observed.properties;
        if differs(o, desired, "description") {
            let mut rule = SecurityGroupRuleRequest::builder()
                .ip_protocol(s(desired, "ip_protocol")?)
                .set_from_port(i(desired, "from_port"))
                .set_to_port(i(desired, "to_port"))
                .set_referenced_group_id(opt_s(desired, "source_security_group_id"))
                .set_cidr_ipv4(opt_s(desired, "cidr_ipv4"));
            rule = rule.description(opt_s(desired, "description").unwrap_or_default());
            client
                .modify_security_group_rules()
                .group_id(s(desired, "security_group_id")?)
                .security_group_rules(
                    SecurityGroupRuleUpdate::builder()
                        .security_group_rule_id(&observed.id)
                        .security_group_rule(rule.build())
                        .build(),
                )
                .send()
                .await
                .map_err(err)?;
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
        let p = &observed.properties;
        let group = s(p, "security_group_id")?;
        let r = if is_egress(p) {
            client
                .revoke_security_group_egress()
                .group_id(group)
                .security_group_rule_ids(&observed.id)
                .send()
                .await
                .map(|_| ())
                .map_err(err)
        } else {
            client
                .revoke_security_group_ingress()
                .group_id(group)
                .security_group_rule_ids(&observed.id)
                .send()
                .await
                .map(|_| ())
                .map_err(err)
        };
        ok_if_gone(r)
    }
}
