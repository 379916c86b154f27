//! `ec2.eip`: an Elastic IP address in the VPC domain (for a NAT gateway).

use crate::common::*;
use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, Filter, ResourceType};
use provision_core::*;

pub struct Eip(pub crate::Ec2Clients);

static SCHEMA: KindSchema = KindSchema {
    kind: "ec2.eip",
    fields: &[
        FieldSchema::force_new("domain"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("public_ip"),
    ],
    replace_order: ReplaceOrder::CreateBeforeDestroy,
    taggable: true,
};

#[async_trait]
impl Reconciler for Eip {
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
                // DescribeAddresses is not paginated: one call returns every address.
                let out = client
                    .describe_addresses()
                    .set_filters(f.map(|f| vec![f]))
                    .set_allocation_ids((!ids.is_empty()).then_some(ids))
                    .send()
                    .await
                    .map_err(err)?;
                Ok(out
                    .addresses()
                    .iter()
                    .filter_map(|a| {
                        let mut props = Props::new();
                        let domain = a.domain().map(|d| d.as_str()).unwrap_or("vpc");
                        props.insert("domain".into(), domain.into());
                        props.insert("public_ip".into(), a.public_ip().unwrap_or_default().into());
                        Some(Item {
                            id: a.allocation_id()?.to_string(),
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
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_spec(
                ResourceType::ElasticIp,
                &cx.tags_for(&req.address, p),
            ))
            .send()
            .await
            .map_err(err)?;
        let id = out
            .allocation_id()
            .ok_or_else(|| ReconcileError::invalid("AllocateAddress returned no AllocationId"))?
            .to_string();
        let mut o = observed_from(&req.address, id, p);
        o.properties.insert(
            "public_ip".into(),
            out.public_ip().unwrap_or_default().into(),
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
                .release_address()
                .allocation_id(&observed.id)
                .send()
                .await,
        )
    }
}
