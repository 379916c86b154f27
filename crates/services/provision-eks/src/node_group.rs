//! `eks.node_group`: a managed node group whose version follows its cluster's.

use crate::{client, next_version, sync_tags};
use async_trait::async_trait;
use aws_sdk_eks::types::{
    CapacityTypes, Nodegroup, NodegroupScalingConfig, NodegroupStatus, UpdateLabelsPayload,
};
use provision_aws::props::{differs, i, opt_s, s, sorted, string_map, strings, Props};
use provision_aws::tags::{address_tag, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use serde_json::json;
use std::collections::BTreeMap;

pub struct NodeGroup(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "eks.node_group",
    fields: &[
        FieldSchema::force_new("cluster_name"),
        FieldSchema::force_new("node_group_name"),
        FieldSchema::force_new("node_role_arn"),
        FieldSchema::force_new("subnet_ids").unordered(),
        FieldSchema::force_new("instance_types"),
        FieldSchema::force_new("capacity_type"),
        FieldSchema::force_new("disk_size"),
        FieldSchema::mutable("version"),
        FieldSchema::mutable("scaling"),
        FieldSchema::mutable("labels"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("status"),
    ],
    // Node group names are unique per cluster.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

fn scaling_of(p: &Props) -> Result<NodegroupScalingConfig, ReconcileError> {
    let sc = p
        .get("scaling")
        .and_then(Value::as_object)
        .ok_or_else(|| ReconcileError::invalid("property `scaling` must be a map"))?;
    Ok(NodegroupScalingConfig::builder()
        .set_min_size(i(sc, "min_size"))
        .set_max_size(i(sc, "max_size"))
        .set_desired_size(i(sc, "desired_size"))
        .build())
}

fn props_of(g: &Nodegroup) -> Props {
    let mut p = Props::new();
    p.insert(
        "cluster_name".into(),
        g.cluster_name().unwrap_or_default().into(),
    );
    p.insert(
        "node_group_name".into(),
        g.nodegroup_name().unwrap_or_default().into(),
    );
    p.insert(
        "node_role_arn".into(),
        g.node_role().unwrap_or_default().into(),
    );
    p.insert("subnet_ids".into(), sorted(g.subnets().to_vec()));
    p.insert("instance_types".into(), g.instance_types().to_vec().into());
    p.insert(
        "capacity_type".into(),
        g.capacity_type()
            .map(|c| c.as_str())
            .unwrap_or("ON_DEMAND")
            .into(),
    );
    if let Some(d) = g.disk_size() {
        p.insert("disk_size".into(), d.into());
    }
    p.insert("version".into(), g.version().unwrap_or_default().into());
    if let Some(sc) = g.scaling_config() {
        p.insert(
            "scaling".into(),
            json!({
                "min_size": sc.min_size(),
                "max_size": sc.max_size(),
                "desired_size": sc.desired_size(),
            }),
        );
    }
    let labels: BTreeMap<String, String> = g
        .labels()
        .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    p.insert("labels".into(), json!(labels));
    let tags: BTreeMap<String, String> = g
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    p.insert("tags".into(), user_tags(&tags));
    p.insert(
        "status".into(),
        g.status().map(|s| s.as_str()).unwrap_or_default().into(),
    );
    p
}

/// `<cluster>:<node group>`, the id of a node group.
fn split_id(id: &str) -> Option<(&str, &str)> {
    id.split_once(':')
}

impl NodeGroup {
    async fn describe(
        &self,
        region: &str,
        cluster: &str,
        name: &str,
    ) -> Result<Option<Nodegroup>, ReconcileError> {
        let r = client(&self.0, region)
            .await
            .describe_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(name)
            .send()
            .await
            .map_err(err);
        match r {
            Ok(out) => Ok(out.nodegroup),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn describe_id(
        &self,
        region: &str,
        id: &str,
    ) -> Result<Option<Nodegroup>, ReconcileError> {
        let (cluster, name) = split_id(id)
            .ok_or_else(|| ReconcileError::invalid(format!("malformed node group id `{id}`")))?;
        self.describe(region, cluster, name).await
    }
}

#[async_trait]
impl Reconciler for NodeGroup {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let mut out = Vec::new();
        for t in targets {
            let id = t.id.clone().or_else(|| {
                let d = t.desired.as_ref()?.as_object()?;
                Some(format!(
                    "{}:{}",
                    opt_s(d, "cluster_name")?,
                    opt_s(d, "node_group_name")?
                ))
            });
            let Some(id) = id else { continue };
            let Some(g) = self.describe_id(region, &id).await? else {
                continue;
            };
            if g.status() == Some(&NodegroupStatus::Deleting) {
                continue;
            }
            let tags: BTreeMap<String, String> = g
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            if address_tag(&tags).is_some_and(|a| a != t.address) {
                continue;
            }
            out.push(Observed {
                address: t.address.clone(),
                id,
                arn: g.nodegroup_arn().map(str::to_string),
                properties: props_of(&g),
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
        let (cluster, name) = (s(p, "cluster_name")?, s(p, "node_group_name")?);
        let capacity = CapacityTypes::from(
            opt_s(p, "capacity_type")
                .unwrap_or_else(|| "ON_DEMAND".into())
                .as_str(),
        );
        let out = client(&self.0, region)
            .await
            .create_nodegroup()
            .cluster_name(&cluster)
            .nodegroup_name(&name)
            .node_role(s(p, "node_role_arn")?)
            .set_subnets(Some(strings(p, "subnet_ids")))
            .set_instance_types(Some(strings(p, "instance_types")))
            .capacity_type(capacity)
            .set_disk_size(i(p, "disk_size"))
            .version(s(p, "version")?)
            .scaling_config(scaling_of(p)?)
            .set_labels(Some(string_map(p, "labels").into_iter().collect()))
            .set_tags(Some(cx.tags_for(&req.address, p).into_iter().collect()))
            .client_request_token(&req.token)
            .send()
            .await
            .map_err(err)?;
        let g = out
            .nodegroup()
            .ok_or_else(|| ReconcileError::invalid("CreateNodegroup returned no node group"))?;
        let mut o =
            provision_aws::props::observed_from(&req.address, format!("{cluster}:{name}"), p);
        o.arn = g.nodegroup_arn().map(str::to_string);
        o.properties.insert(
            "status".into(),
            g.status().map(|s| s.as_str()).unwrap_or("CREATING").into(),
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
        let client = client(&self.0, region).await;
        let o = &observed.properties;
        let (cluster, name) = split_id(&observed.id).ok_or_else(|| {
            ReconcileError::invalid(format!("malformed node group id `{}`", observed.id))
        })?;
        sync_tags(
            &client,
            cx,
            &observed.address,
            observed.arn.as_deref(),
            o,
            desired,
        )
        .await?;
        let mut reached = o.clone();
        reached.insert(
            "tags".into(),
            desired.get("tags").cloned().unwrap_or_default(),
        );
        // One update at a time: the version (after its cluster's), then size and labels.
        if differs(o, desired, "version") {
            let next = next_version(&s(o, "version")?, &s(desired, "version")?)?;
            client
                .update_nodegroup_version()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .version(&next)
                .send()
                .await
                .map_err(err)?;
            reached.insert("version".into(), next.into());
        } else if differs(o, desired, "scaling") || differs(o, desired, "labels") {
            let (have, want) = (string_map(o, "labels"), string_map(desired, "labels"));
            let add: std::collections::HashMap<String, String> = want
                .iter()
                .filter(|(k, v)| have.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let remove: Vec<String> = have
                .keys()
                .filter(|k| !want.contains_key(*k))
                .cloned()
                .collect();
            let labels = (!add.is_empty() || !remove.is_empty()).then(|| {
                UpdateLabelsPayload::builder()
                    .set_add_or_update_labels((!add.is_empty()).then_some(add))
                    .set_remove_labels((!remove.is_empty()).then_some(remove))
                    .build()
            });
            let scaling = if differs(o, desired, "scaling") {
                Some(scaling_of(desired)?)
            } else {
                None
            };
            client
                .update_nodegroup_config()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .set_scaling_config(scaling)
                .set_labels(labels)
                .send()
                .await
                .map_err(err)?;
            for k in ["scaling", "labels"] {
                reached.insert(k.into(), desired.get(k).cloned().unwrap_or_default());
            }
        }
        Ok(Observed {
            address: observed.address.clone(),
            id: observed.id.clone(),
            arn: observed.arn.clone(),
            properties: reached,
        })
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let Some((cluster, name)) = split_id(&observed.id) else {
            return Ok(());
        };
        let r = client(&self.0, region)
            .await
            .delete_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(name)
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
        let what = format!("node group {}", observed.id);
        let Some(g) = self.describe_id(region, &observed.id).await? else {
            return Ok(provision_aws::props::vanished(&what));
        };
        Ok(provision_aws::props::readiness(
            &what,
            g.status().map(|s| s.as_str()),
            &["ACTIVE"],
            &["CREATE_FAILED", "DEGRADED"],
        ))
    }

    async fn gone(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<bool, ReconcileError> {
        Ok(self.describe_id(region, &observed.id).await?.is_none())
    }
}
