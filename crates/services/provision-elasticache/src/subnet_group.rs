//! `elasticache.subnet_group`: the private subnets a cache may be placed in.

use crate::{client, client_once, ec_tags, list_tags, name_of, sync_tags};
use async_trait::async_trait;
use provision_aws::props::{differs, s, same_set, sorted, strings, Props};
use provision_aws::tags::{address_tag, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;

pub struct SubnetGroup(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "elasticache.subnet_group",
    fields: &[
        FieldSchema::force_new("name"),
        FieldSchema::mutable("description"),
        FieldSchema::mutable("subnet_ids").unordered(),
        FieldSchema::mutable("tags"),
    ],
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

#[async_trait]
impl Reconciler for SubnetGroup {
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
            let Some(name) = name_of(t, "name") else {
                continue;
            };
            let r = client
                .describe_cache_subnet_groups()
                .cache_subnet_group_name(&name)
                .send()
                .await
                .map_err(err);
            let groups = match r {
                Ok(o) => o.cache_subnet_groups.unwrap_or_default(),
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            };
            let Some(g) = groups.into_iter().next() else {
                continue;
            };
            let arn = g.arn().map(str::to_string);
            let tags = match &arn {
                Some(a) => list_tags(&client, a).await?,
                None => Default::default(),
            };
            if address_tag(&tags).is_some_and(|a| a != t.address) {
                continue;
            }
            let mut props = Props::new();
            props.insert("name".into(), name.clone().into());
            props.insert(
                "description".into(),
                g.cache_subnet_group_description()
                    .unwrap_or_default()
                    .into(),
            );
            props.insert(
                "subnet_ids".into(),
                sorted(
                    g.subnets()
                        .iter()
                        .filter_map(|s| s.subnet_identifier().map(str::to_string))
                        .collect(),
                ),
            );
            props.insert("tags".into(), user_tags(&tags));
            out.push(Observed {
                address: t.address.clone(),
                id: name,
                arn,
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
        let name = s(p, "name")?;
        let out = client_once(&self.0, region)
            .await
            .create_cache_subnet_group()
            .cache_subnet_group_name(&name)
            .cache_subnet_group_description(s(p, "description")?)
            .set_subnet_ids(Some(strings(p, "subnet_ids")))
            .set_tags(Some(ec_tags(&cx.tags_for(&req.address, p))))
            .send()
            .await
            .map_err(err)?;
        let mut o = provision_aws::props::observed_from(&req.address, name, p);
        o.arn = out
            .cache_subnet_group()
            .and_then(|g| g.arn())
            .map(str::to_string);
        Ok(o)
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client = client(&self.0, region).await;
        let o = &observed.properties;
        if differs(o, desired, "description") || !same_set(o, desired, "subnet_ids") {
            client
                .modify_cache_subnet_group()
                .cache_subnet_group_name(&observed.id)
                .cache_subnet_group_description(s(desired, "description")?)
                .set_subnet_ids(Some(strings(desired, "subnet_ids")))
                .send()
                .await
                .map_err(err)?;
        }
        sync_tags(
            &client,
            cx,
            &observed.address,
            observed.arn.as_deref(),
            o,
            desired,
        )
        .await?;
        let mut out =
            provision_aws::props::observed_from(&observed.address, observed.id.clone(), desired);
        out.arn = observed.arn.clone();
        Ok(out)
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let r = client(&self.0, region)
            .await
            .delete_cache_subnet_group()
            .cache_subnet_group_name(&observed.id)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }
}
