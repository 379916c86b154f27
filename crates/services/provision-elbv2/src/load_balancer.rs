//! `elbv2.load_balancer`: an application load balancer in a region's public subnets.
//!
//! Found by name (unique per region and account), its id is its ARN. Subnets and security
//! groups change in place (SetSubnets, SetSecurityGroups); name and scheme cannot.

use crate::{by_id_or_name, claimed, client, retag, single_shot};
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancer as Lb, LoadBalancerSchemeEnum, LoadBalancerStateEnum,
    LoadBalancerTypeEnum,
};
use provision_aws::props::{s, sorted, strings, Props};
use provision_aws::tags::user_tags;
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;

pub struct LoadBalancer(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "elbv2.load_balancer",
    fields: &[
        FieldSchema::force_new("name"),
        FieldSchema::force_new("scheme"),
        FieldSchema::mutable("subnets").unordered(),
        FieldSchema::mutable("security_groups").unordered(),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("dns_name"),
        FieldSchema::computed("zone_id"),
        FieldSchema::computed("vpc_id"),
        FieldSchema::computed("arn_suffix"),
    ],
    // Names are unique per region: the old one must go before the new one takes its name.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

fn props_of(lb: &Lb, tags: &std::collections::BTreeMap<String, String>) -> Props {
    let mut p = Props::new();
    p.insert(
        "name".into(),
        lb.load_balancer_name().unwrap_or_default().into(),
    );
    p.insert(
        "scheme".into(),
        lb.scheme()
            .map(|s| s.as_str())
            .unwrap_or("internet-facing")
            .into(),
    );
    p.insert(
        "subnets".into(),
        sorted(
            lb.availability_zones()
                .iter()
                .filter_map(|z| z.subnet_id().map(str::to_string))
                .collect(),
        ),
    );
    p.insert(
        "security_groups".into(),
        sorted(lb.security_groups().to_vec()),
    );
    p.insert("tags".into(), user_tags(tags));
    p.insert("dns_name".into(), lb.dns_name().unwrap_or_default().into());
    p.insert(
        "zone_id".into(),
        lb.canonical_hosted_zone_id().unwrap_or_default().into(),
    );
    p.insert("vpc_id".into(), lb.vpc_id().unwrap_or_default().into());
    p.insert(
        "arn_suffix".into(),
        crate::arn_suffix(lb.load_balancer_arn().unwrap_or_default()).into(),
    );
    p
}

fn observed(
    address: &Address,
    lb: &Lb,
    tags: &std::collections::BTreeMap<String, String>,
) -> Observed {
    let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
    Observed {
        address: address.clone(),
        id: arn.clone(),
        arn: Some(arn),
        properties: props_of(lb, tags),
    }
}

async fn describe(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    arn: &str,
) -> Result<Option<Lb>, ReconcileError> {
    match client
        .describe_load_balancers()
        .load_balancer_arns(arn)
        .send()
        .await
        .map_err(err)
    {
        Ok(o) => Ok(o.load_balancers().first().cloned()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait]
impl Reconciler for LoadBalancer {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        if targets.is_empty() {
            return Ok(Vec::new());
        }
        let client = client(&self.0, region).await;
        // One listing: DescribeLoadBalancers by name fails as a whole when any name is unknown.
        let all: Vec<Lb> = client
            .describe_load_balancers()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        let found = by_id_or_name(
            targets,
            &all,
            |lb| lb.load_balancer_arn(),
            |lb| lb.load_balancer_name(),
        );
        let claimed = claimed(&client, found, |lb| lb.load_balancer_arn()).await?;
        Ok(claimed
            .into_iter()
            .map(|(t, lb, tags)| observed(&t.address, lb, &tags))
            .collect())
    }

    async fn create(
        &self,
        cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        let p = &req.properties;
        let scheme = provision_aws::props::opt_s(p, "scheme").unwrap_or("internet-facing".into());
        let out = single_shot(&self.0, region)
            .await
            .create_load_balancer()
            .name(s(p, "name")?)
            .r#type(LoadBalancerTypeEnum::Application)
            .scheme(LoadBalancerSchemeEnum::from(scheme.as_str()))
            .ip_address_type(IpAddressType::Ipv4)
            .set_subnets(Some(strings(p, "subnets")))
            .set_security_groups(Some(strings(p, "security_groups")))
            .set_tags(Some(crate::elb_tags(&cx.tags_for(&req.address, p))))
            .send()
            .await
            .map_err(err)?;
        let lb = out.load_balancers().first().ok_or_else(|| {
            ReconcileError::invalid("CreateLoadBalancer returned no load balancer")
        })?;
        let tags = cx.tags_for(&req.address, p);
        Ok(observed(&req.address, lb, &tags))
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
        if !provision_aws::props::same_set(&observed.properties, desired, "subnets") {
            client
                .set_subnets()
                .load_balancer_arn(arn)
                .set_subnets(Some(strings(desired, "subnets")))
                .send()
                .await
                .map_err(err)?;
        }
        if !provision_aws::props::same_set(&observed.properties, desired, "security_groups") {
            client
                .set_security_groups()
                .load_balancer_arn(arn)
                .set_security_groups(Some(strings(desired, "security_groups")))
                .send()
                .await
                .map_err(err)?;
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
        let Some(lb) = describe(&client, arn).await? else {
            return Err(ReconcileError::new(
                ErrorClass::NotFound,
                format!("load balancer {arn} is gone"),
            ));
        };
        let tags = cx.tags_for(&observed.address, desired);
        Ok(crate::load_balancer::observed(
            &observed.address,
            &lb,
            &tags,
        ))
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        // Its listeners go with it; deleting an unknown load balancer succeeds.
        let r = client(&self.0, region)
            .await
            .delete_load_balancer()
            .load_balancer_arn(&observed.id)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }

    async fn ready(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<Readiness, ReconcileError> {
        let client = client(&self.0, region).await;
        let what = format!(
            "load balancer {}",
            observed
                .properties
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&observed.id)
        );
        let Some(lb) = describe(&client, &observed.id).await? else {
            return Ok(provision_aws::props::vanished(&what));
        };
        let state = lb.state().and_then(|s| s.code());
        Ok(match state {
            Some(LoadBalancerStateEnum::Active) => Readiness::Ready,
            Some(LoadBalancerStateEnum::Failed) => Readiness::Failed(format!(
                "{what} failed: {}",
                lb.state()
                    .and_then(|s| s.reason())
                    .unwrap_or("no reason given")
            )),
            other => Readiness::Pending(format!(
                "{what} is {}",
                other.map(|s| s.as_str()).unwrap_or("unknown")
            )),
        })
    }

    async fn gone(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<bool, ReconcileError> {
        let client = client(&self.0, region).await;
        Ok(describe(&client, &observed.id).await?.is_none())
    }
}
