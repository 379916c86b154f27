//! `wafv2.web_acl_association`: a regional web ACL attached to a resource (a load balancer).
//!
//! A resource has at most one web ACL, so the association's natural key, and its id, is the
//! resource's ARN. It takes no tags. Pointing it at another web ACL re-associates in place
//! (AssociateWebACL replaces the resource's web ACL).

use crate::client;
use async_trait::async_trait;
use provision_aws::props::{opt_s, s, Props};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;

pub struct Association(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "wafv2.web_acl_association",
    fields: &[
        FieldSchema::force_new("resource_arn"),
        FieldSchema::mutable("web_acl_arn"),
    ],
    // One web ACL per resource.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: false,
};

/// The web ACL of a resource, or None.
async fn acl_of(
    client: &aws_sdk_wafv2::Client,
    resource: &str,
) -> Result<Option<String>, ReconcileError> {
    let r = client
        .get_web_acl_for_resource()
        .resource_arn(resource)
        .send()
        .await
        .map_err(err);
    match r {
        Ok(o) => Ok(o.web_acl().map(|a| a.arn().to_string())),
        // The resource itself is gone, and its association with it.
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn observed(address: &Address, resource: &str, acl: &str) -> Observed {
    let mut p = Props::new();
    p.insert("resource_arn".into(), resource.into());
    p.insert("web_acl_arn".into(), acl.into());
    Observed {
        address: address.clone(),
        id: resource.to_string(),
        arn: None,
        properties: p,
    }
}

#[async_trait]
impl Reconciler for Association {
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
        let mut out = Vec::new();
        for t in targets {
            let desired = t.desired.as_ref().and_then(Value::as_object);
            let Some(resource) =
                t.id.clone()
                    .or_else(|| desired.and_then(|d| opt_s(d, "resource_arn")))
            else {
                continue;
            };
            if let Some(acl) = acl_of(&client, &resource).await? {
                out.push(observed(&t.address, &resource, &acl));
            }
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
        let (resource, acl) = (s(p, "resource_arn")?, s(p, "web_acl_arn")?);
        // Associating the same pair again succeeds: safe to resend.
        client(&self.0, region)
            .await
            .associate_web_acl()
            .web_acl_arn(&acl)
            .resource_arn(&resource)
            .send()
            .await
            .map_err(err)?;
        Ok(observed(&req.address, &resource, &acl))
    }

    async fn update(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let acl = s(desired, "web_acl_arn")?;
        client(&self.0, region)
            .await
            .associate_web_acl()
            .web_acl_arn(&acl)
            .resource_arn(&observed.id)
            .send()
            .await
            .map_err(err)?;
        Ok(self::observed(&observed.address, &observed.id, &acl))
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        // Disassociating a resource without a web ACL succeeds.
        let r = client(&self.0, region)
            .await
            .disassociate_web_acl()
            .resource_arn(&observed.id)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }
}
