//! `elasticache.replication_group`: Redis (or Valkey) in cluster mode, with Multi-AZ and
//! automatic failover, encrypted at rest with the region's KMS key and in transit.

use crate::{client, client_once, ec_tags, list_tags, name_of, sync_tags};
use async_trait::async_trait;
use aws_sdk_elasticache::types::{
    AutomaticFailoverStatus, CacheCluster, ClusterMode, MultiAzStatus, ReplicationGroup as Group,
};
use provision_aws::props::{b, differs, i, opt_s, s, same_set, sorted, strings, Props};
use provision_aws::tags::{address_tag, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;

pub struct ReplicationGroup(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "elasticache.replication_group",
    fields: &[
        FieldSchema::force_new("id"),
        FieldSchema::mutable("description"),
        // Redis to Valkey is an in-place engine change in AWS.
        FieldSchema::mutable("engine"),
        FieldSchema::mutable("engine_version"),
        FieldSchema::mutable("node_type"),
        FieldSchema::mutable("shards"),
        FieldSchema::mutable("replicas_per_shard"),
        FieldSchema::force_new("cluster_mode"),
        FieldSchema::mutable("automatic_failover"),
        FieldSchema::mutable("multi_az"),
        FieldSchema::force_new("at_rest_encryption"),
        FieldSchema::force_new("kms_key_id"),
        FieldSchema::force_new("transit_encryption"),
        FieldSchema::force_new("subnet_group_name"),
        FieldSchema::mutable("security_group_ids").unordered(),
        FieldSchema::mutable("parameter_group_name"),
        FieldSchema::mutable("maintenance_window"),
        FieldSchema::mutable("snapshot_retention_limit"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("status"),
        FieldSchema::computed("configuration_endpoint"),
    ],
    // Replication group ids are unique per region.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

/// The fields one ModifyReplicationGroup call changes (the shard count has its own call).
const MODIFIABLE: &[&str] = &[
    "description",
    "engine",
    "engine_version",
    "node_type",
    "automatic_failover",
    "multi_az",
    "security_group_ids",
    "parameter_group_name",
    "maintenance_window",
    "snapshot_retention_limit",
];

fn props_of(g: &Group, member: Option<&CacheCluster>) -> Props {
    let mut p = Props::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            p.insert(k.into(), v);
        }
    };
    put("id", g.replication_group_id().map(Value::from));
    put("description", g.description().map(Value::from));
    put("engine", g.engine().map(Value::from));
    put("node_type", g.cache_node_type().map(Value::from));
    put("shards", Some(Value::from(g.node_groups().len())));
    let replicas = g
        .node_groups()
        .first()
        .map(|ng| ng.node_group_members().len().saturating_sub(1));
    put("replicas_per_shard", replicas.map(Value::from));
    put(
        "cluster_mode",
        g.cluster_mode().map(|c| Value::from(c.as_str())),
    );
    put(
        "automatic_failover",
        g.automatic_failover().map(|a| {
            Value::from(matches!(
                a,
                AutomaticFailoverStatus::Enabled | AutomaticFailoverStatus::Enabling
            ))
        }),
    );
    put(
        "multi_az",
        g.multi_az()
            .map(|m| Value::from(matches!(m, MultiAzStatus::Enabled))),
    );
    put(
        "at_rest_encryption",
        g.at_rest_encryption_enabled().map(Value::from),
    );
    put("kms_key_id", g.kms_key_id().map(Value::from));
    put(
        "transit_encryption",
        g.transit_encryption_enabled().map(Value::from),
    );
    put(
        "snapshot_retention_limit",
        g.snapshot_retention_limit().map(Value::from),
    );
    put("status", g.status().map(Value::from));
    put(
        "configuration_endpoint",
        g.configuration_endpoint()
            .and_then(|e| e.address())
            .map(Value::from),
    );
    if let Some(c) = member {
        // Redis 6+ and Valkey are asked for as `major.minor` and report `major.minor.patch`.
        put(
            "engine_version",
            c.engine_version().map(|v| {
                let mut parts = v.split('.');
                match (parts.next(), parts.next()) {
                    (Some(a), Some(b)) if a.parse::<u32>().is_ok_and(|m| m >= 6) => {
                        Value::from(format!("{a}.{b}"))
                    }
                    _ => Value::from(v),
                }
            }),
        );
        put(
            "maintenance_window",
            c.preferred_maintenance_window().map(Value::from),
        );
        put(
            "subnet_group_name",
            c.cache_subnet_group_name().map(Value::from),
        );
        put(
            "security_group_ids",
            Some(sorted(
                c.security_groups()
                    .iter()
                    .filter_map(|s| s.security_group_id().map(str::to_string))
                    .collect(),
            )),
        );
        put(
            "parameter_group_name",
            c.cache_parameter_group()
                .and_then(|g| g.cache_parameter_group_name())
                .map(Value::from),
        );
    }
    p
}

impl ReplicationGroup {
    async fn describe(&self, region: &str, id: &str) -> Result<Option<Group>, ReconcileError> {
        let r = client(&self.0, region)
            .await
            .describe_replication_groups()
            .replication_group_id(id)
            .send()
            .await
            .map_err(err);
        match r {
            Ok(o) => Ok(o.replication_groups.unwrap_or_default().into_iter().next()),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl Reconciler for ReplicationGroup {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let wanted: Vec<(Address, String)> = targets
            .iter()
            .filter_map(|t| Some((t.address.clone(), name_of(t, "id")?)))
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let client = client(&self.0, region).await;
        // Every replication group and cache cluster of the region: two paginated calls.
        let groups = client
            .describe_replication_groups()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        let clusters = client
            .describe_cache_clusters()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        let mut out = Vec::new();
        for (address, id) in wanted {
            let Some(g) = groups
                .iter()
                .find(|g| g.replication_group_id() == Some(id.as_str()))
            else {
                continue;
            };
            if g.status() == Some("deleting") {
                continue;
            }
            let arn = g.arn().map(str::to_string);
            let tags = match &arn {
                Some(a) => list_tags(&client, a).await?,
                None => Default::default(),
            };
            if address_tag(&tags).is_some_and(|a| a != address) {
                continue;
            }
            let member = clusters
                .iter()
                .find(|c| c.replication_group_id() == Some(id.as_str()));
            let mut props = props_of(g, member);
            props.insert("tags".into(), user_tags(&tags));
            out.push(Observed {
                address,
                id,
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
        let id = s(p, "id")?;
        // No idempotency token: one attempt; the engine looks the group up by id before it
        // tries again. ClusterMode must be sent: without it cluster mode stays off.
        let out = client_once(&self.0, region)
            .await
            .create_replication_group()
            .replication_group_id(&id)
            .replication_group_description(s(p, "description")?)
            .engine(s(p, "engine")?)
            .set_engine_version(opt_s(p, "engine_version"))
            .cache_node_type(s(p, "node_type")?)
            .set_num_node_groups(i(p, "shards"))
            .set_replicas_per_node_group(i(p, "replicas_per_shard"))
            .cluster_mode(ClusterMode::from(
                opt_s(p, "cluster_mode")
                    .unwrap_or_else(|| "enabled".into())
                    .as_str(),
            ))
            .automatic_failover_enabled(b(p, "automatic_failover", true))
            .multi_az_enabled(b(p, "multi_az", true))
            .at_rest_encryption_enabled(b(p, "at_rest_encryption", true))
            .set_kms_key_id(opt_s(p, "kms_key_id"))
            .transit_encryption_enabled(b(p, "transit_encryption", true))
            .set_cache_subnet_group_name(opt_s(p, "subnet_group_name"))
            .set_security_group_ids(Some(strings(p, "security_group_ids")))
            .set_cache_parameter_group_name(opt_s(p, "parameter_group_name"))
            .set_preferred_maintenance_window(opt_s(p, "maintenance_window"))
            .set_snapshot_retention_limit(i(p, "snapshot_retention_limit"))
            .set_tags(Some(ec_tags(&cx.tags_for(&req.address, p))))
            .send()
            .await
            .map_err(err)?;
        let g = out
            .replication_group()
            .ok_or_else(|| ReconcileError::invalid("CreateReplicationGroup returned no group"))?;
        let mut o = provision_aws::props::observed_from(&req.address, id, p);
        o.arn = g.arn().map(str::to_string);
        o.properties
            .insert("status".into(), g.status().unwrap_or("creating").into());
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
        let changed: Vec<&str> = MODIFIABLE
            .iter()
            .copied()
            .filter(|k| desired.contains_key(*k))
            .filter(|k| {
                if *k == "security_group_ids" {
                    !same_set(o, desired, k)
                } else {
                    differs(o, desired, k)
                }
            })
            .collect();
        // One change at a time: AWS refuses a second while the group is modifying. The engine
        // waits for `available` and calls again.
        if !changed.is_empty() {
            let has = |k: &str| changed.contains(&k);
            let text = |k: &str| has(k).then(|| opt_s(desired, k)).flatten();
            let flag = |k: &str| has(k).then(|| b(desired, k, false));
            client
                .modify_replication_group()
                .replication_group_id(&observed.id)
                .apply_immediately(true)
                .set_replication_group_description(text("description"))
                .set_engine(text("engine"))
                .set_engine_version(text("engine_version"))
                .set_cache_node_type(text("node_type"))
                .set_automatic_failover_enabled(flag("automatic_failover"))
                .set_multi_az_enabled(flag("multi_az"))
                .set_security_group_ids(
                    has("security_group_ids").then(|| strings(desired, "security_group_ids")),
                )
                .set_cache_parameter_group_name(text("parameter_group_name"))
                .set_preferred_maintenance_window(text("maintenance_window"))
                .set_snapshot_retention_limit(
                    has("snapshot_retention_limit")
                        .then(|| i(desired, "snapshot_retention_limit"))
                        .flatten(),
                )
                .send()
                .await
                .map_err(err)?;
            for k in changed {
                if let Some(v) = desired.get(k) {
                    reached.insert(k.into(), v.clone());
                }
            }
        } else if desired.contains_key("shards") && differs(o, desired, "shards") {
            let count = i(desired, "shards")
                .ok_or_else(|| ReconcileError::invalid("property `shards` must be a number"))?;
            client
                .modify_replication_group_shard_configuration()
                .replication_group_id(&observed.id)
                .node_group_count(count)
                .apply_immediately(true)
                .send()
                .await
                .map_err(err)?;
            reached.insert("shards".into(), count.into());
        } else if desired.contains_key("replicas_per_shard")
            && differs(o, desired, "replicas_per_shard")
        {
            // Every shard gets the new replica count, online.
            let count = i(desired, "replicas_per_shard").ok_or_else(|| {
                ReconcileError::invalid("property `replicas_per_shard` must be a number")
            })?;
            let current = i(o, "replicas_per_shard").unwrap_or(0);
            if count > current {
                client
                    .increase_replica_count()
                    .replication_group_id(&observed.id)
                    .new_replica_count(count)
                    .apply_immediately(true)
                    .send()
                    .await
                    .map_err(err)?;
            } else {
                client
                    .decrease_replica_count()
                    .replication_group_id(&observed.id)
                    .new_replica_count(count)
                    .apply_immediately(true)
                    .send()
                    .await
                    .map_err(err)?;
            }
            reached.insert("replicas_per_shard".into(), count.into());
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
        let r = client(&self.0, region)
            .await
            .delete_replication_group()
            .replication_group_id(&observed.id)
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
        let what = format!("replication group {}", observed.id);
        let Some(g) = self.describe(region, &observed.id).await? else {
            return Ok(provision_aws::props::vanished(&what));
        };
        Ok(provision_aws::props::readiness(
            &what,
            g.status(),
            &["available"],
            &["create-failed"],
        ))
    }

    async fn gone(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<bool, ReconcileError> {
        Ok(self.describe(region, &observed.id).await?.is_none())
    }
}
