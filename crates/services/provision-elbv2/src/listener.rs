//! `elbv2.listener`: a port of a load balancer, with its default action.
//!
//! Its natural key is (load balancer, port); its id is its ARN. Protocol, TLS policy,
//! certificate and action change in place (ModifyListener). The default action is either
//! `forward` to `target_group_arn`, or `redirect` with `redirect: {protocol, port,
//! status_code}`, which is how HTTP is sent to HTTPS.

use crate::{claimed, client, retag, single_shot};
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Action as ElbAction, ActionTypeEnum, Certificate, Listener as Ls, ProtocolEnum,
    RedirectActionConfig, RedirectActionStatusCodeEnum,
};
use provision_aws::props::{i, opt_s, s, Props};
use provision_aws::tags::user_tags;
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use serde_json::json;
use std::collections::BTreeMap;

pub struct Listener(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "elbv2.listener",
    fields: &[
        FieldSchema::force_new("load_balancer_arn"),
        FieldSchema::force_new("port"),
        FieldSchema::mutable("protocol"),
        FieldSchema::mutable("ssl_policy"),
        FieldSchema::mutable("certificate_arn"),
        FieldSchema::mutable("action"),
        FieldSchema::mutable("target_group_arn"),
        FieldSchema::mutable("redirect"),
        FieldSchema::mutable("tags"),
    ],
    // One listener per port of a load balancer.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

/// The load balancer of a listener ARN:
/// `…:listener/app/<name>/<lb-id>/<listener-id>` → `…:loadbalancer/app/<name>/<lb-id>`.
fn load_balancer_of(listener_arn: &str) -> Option<String> {
    let (head, rest) = listener_arn.split_once(":listener/")?;
    let (lb, _) = rest.rsplit_once('/')?;
    Some(format!("{head}:loadbalancer/{lb}"))
}

fn props_of(l: &Ls, tags: &BTreeMap<String, String>) -> Props {
    let mut p = Props::new();
    p.insert(
        "load_balancer_arn".into(),
        l.load_balancer_arn().unwrap_or_default().into(),
    );
    p.insert("port".into(), l.port().unwrap_or_default().into());
    let protocol = l.protocol().map(|x| x.as_str()).unwrap_or_default();
    p.insert("protocol".into(), protocol.into());
    // AWS gives HTTP listeners no TLS policy (the emulator may); it is only read for HTTPS.
    if protocol == "HTTPS" {
        if let Some(policy) = l.ssl_policy() {
            p.insert("ssl_policy".into(), policy.into());
        }
        if let Some(c) = l.certificates().iter().find_map(|c| c.certificate_arn()) {
            p.insert("certificate_arn".into(), c.into());
        }
    }
    if let Some(a) = l.default_actions().first() {
        match a.r#type() {
            Some(ActionTypeEnum::Forward) => {
                p.insert("action".into(), "forward".into());
                // A plain forward names its group directly, and AWS also describes it as a
                // ForwardConfig with one group of weight 1.
                let tg = a.target_group_arn().or_else(|| {
                    a.forward_config()
                        .and_then(|f| f.target_groups().first())
                        .and_then(|g| g.target_group_arn())
                });
                if let Some(tg) = tg {
                    p.insert("target_group_arn".into(), tg.into());
                }
            }
            Some(ActionTypeEnum::Redirect) => {
                p.insert("action".into(), "redirect".into());
                if let Some(r) = a.redirect_config() {
                    p.insert(
                        "redirect".into(),
                        json!({
                            "protocol": r.protocol().unwrap_or("#{protocol}"),
                            "port": r.port().unwrap_or("#{port}"),
                            "status_code": r.status_code().map(|c| c.as_str()).unwrap_or_default(),
                        }),
                    );
                }
            }
            Some(other) => {
                p.insert("action".into(), other.as_str().to_lowercase().into());
            }
            None => {}
        }
    }
    p.insert("tags".into(), user_tags(tags));
    p
}

fn observed(address: &Address, l: &Ls, tags: &BTreeMap<String, String>) -> Observed {
    let arn = l.listener_arn().unwrap_or_default().to_string();
    Observed {
        address: address.clone(),
        id: arn.clone(),
        arn: Some(arn),
        properties: props_of(l, tags),
    }
}

/// The default action the properties ask for.
fn action_of(p: &Props) -> Result<ElbAction, ReconcileError> {
    match s(p, "action")?.as_str() {
        "forward" => Ok(ElbAction::builder()
            .r#type(ActionTypeEnum::Forward)
            .target_group_arn(s(p, "target_group_arn")?)
            .build()),
        "redirect" => {
            let r = p
                .get("redirect")
                .and_then(Value::as_object)
                .ok_or_else(|| ReconcileError::invalid("a redirect needs `redirect`"))?;
            Ok(ElbAction::builder()
                .r#type(ActionTypeEnum::Redirect)
                .redirect_config(
                    RedirectActionConfig::builder()
                        .protocol(s(r, "protocol")?)
                        .port(s(r, "port")?)
                        .status_code(RedirectActionStatusCodeEnum::from(
                            s(r, "status_code")?.as_str(),
                        ))
                        .build(),
                )
                .build())
        }
        other => Err(ReconcileError::invalid(format!(
            "action `{other}` is not supported: use forward or redirect"
        ))),
    }
}

fn port_of(p: &Props) -> Result<i32, ReconcileError> {
    i(p, "port").ok_or_else(|| ReconcileError::invalid("property `port` must be a number"))
}

#[async_trait]
impl Reconciler for Listener {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let client = client(&self.0, region).await;
        // Listeners are listed per load balancer: group the targets by theirs.
        let mut by_lb: BTreeMap<String, Vec<&Target>> = BTreeMap::new();
        for t in targets {
            let desired = t.desired.as_ref().and_then(Value::as_object);
            let lb =
                t.id.as_deref()
                    .and_then(load_balancer_of)
                    .or_else(|| desired.and_then(|d| opt_s(d, "load_balancer_arn")));
            if let Some(lb) = lb {
                by_lb.entry(lb).or_default().push(t);
            }
        }
        let mut found: Vec<(&Target, Ls)> = Vec::new();
        for (lb, targets) in by_lb {
            let listeners: Vec<Ls> = match client
                .describe_listeners()
                .load_balancer_arn(&lb)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(err)
            {
                Ok(l) => l,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            };
            for t in targets {
                let port = t
                    .desired
                    .as_ref()
                    .and_then(Value::as_object)
                    .and_then(|d| i(d, "port"));
                let l = listeners.iter().find(|l| {
                    t.id.as_deref()
                        .is_some_and(|id| l.listener_arn() == Some(id))
                        || (t.id.is_none() && port.is_some() && l.port() == port)
                });
                if let Some(l) = l {
                    found.push((t, l.clone()));
                }
            }
        }
        let claimed = claimed(&client, found, |l| l.listener_arn()).await?;
        Ok(claimed
            .into_iter()
            .map(|(t, l, tags)| observed(&t.address, &l, &tags))
            .collect())
    }

    async fn create(
        &self,
        cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        let p = &req.properties;
        let mut call = single_shot(&self.0, region)
            .await
            .create_listener()
            .load_balancer_arn(s(p, "load_balancer_arn")?)
            .port(port_of(p)?)
            .protocol(ProtocolEnum::from(s(p, "protocol")?.as_str()))
            .default_actions(action_of(p)?)
            .set_tags(Some(crate::elb_tags(&cx.tags_for(&req.address, p))));
        if let Some(policy) = opt_s(p, "ssl_policy") {
            call = call.ssl_policy(policy);
        }
        if let Some(cert) = opt_s(p, "certificate_arn") {
            call = call.certificates(Certificate::builder().certificate_arn(cert).build());
        }
        let out = call.send().await.map_err(err)?;
        let l = out
            .listeners()
            .first()
            .ok_or_else(|| ReconcileError::invalid("CreateListener returned no listener"))?;
        Ok(observed(&req.address, l, &cx.tags_for(&req.address, p)))
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client = client(&self.0, region).await;
        let arn = &observed.id;
        let mut o = observed.clone();
        let changed = [
            "protocol",
            "ssl_policy",
            "certificate_arn",
            "action",
            "target_group_arn",
            "redirect",
        ]
        .iter()
        .any(|f| {
            desired.contains_key(*f)
                && provision_aws::props::differs(&observed.properties, desired, f)
        });
        if changed {
            let mut call = client
                .modify_listener()
                .listener_arn(arn)
                .protocol(ProtocolEnum::from(s(desired, "protocol")?.as_str()))
                .default_actions(action_of(desired)?);
            if let Some(policy) = opt_s(desired, "ssl_policy") {
                call = call.ssl_policy(policy);
            }
            if let Some(cert) = opt_s(desired, "certificate_arn") {
                call = call.certificates(Certificate::builder().certificate_arn(cert).build());
            }
            let out = call.send().await.map_err(err)?;
            if let Some(l) = out.listeners().first() {
                let tags = provision_aws::props::string_map(&observed.properties, "tags");
                o = crate::listener::observed(&observed.address, l, &tags);
            }
        }
        retag(
            &client,
            cx,
            &observed.address,
            arn,
            &observed.properties,
            desired,
        )
        .await?;
        o.properties.insert(
            "tags".into(),
            desired.get("tags").cloned().unwrap_or_default(),
        );
        Ok(o)
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let r = client(&self.0, region)
            .await
            .delete_listener()
            .listener_arn(&observed.id)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_arn_names_its_load_balancer() {
        assert_eq!(
            load_balancer_of(
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"
            )
            .as_deref(),
            Some("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188")
        );
        assert_eq!(load_balancer_of("arn:aws:elasticloadbalancing:x"), None);
    }
}
