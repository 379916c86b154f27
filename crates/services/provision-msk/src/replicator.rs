//! `msk.replicator`: MSK Replicator copying the listed topics (and consumer-group offsets) from
//! the primary region's cluster to this region's. AWS creates a replicator in its target
//! cluster's region, so the address's region is the target's.
//!
//! In place: the topics and consumer groups (UpdateReplicationInfo) and the tags. Everything
//! else is fixed at creation.

use crate::{client, client_once, from_hash, sync_tags, to_hash};
use async_trait::async_trait;
use aws_sdk_kafka::operation::describe_replicator::DescribeReplicatorOutput as Described;
use aws_sdk_kafka::types::{
    AmazonMskCluster, ConsumerGroupReplication, ConsumerGroupReplicationUpdate, KafkaCluster,
    KafkaClusterClientVpcConfig, ReplicationInfo, ReplicatorSummary, TargetCompressionType,
    TopicReplication, TopicReplicationUpdate,
};
use provision_aws::props::{opt_s, s, same_set, sorted, strings, Props};
use provision_aws::tags::{address_tag, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;

pub struct Replicator(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "msk.replicator",
    fields: &[
        FieldSchema::force_new("name"),
        FieldSchema::force_new("description"),
        FieldSchema::force_new("service_execution_role_arn"),
        FieldSchema::force_new("source_cluster_arn"),
        FieldSchema::force_new("source_subnet_ids").unordered(),
        FieldSchema::force_new("source_security_group_ids").unordered(),
        FieldSchema::force_new("target_cluster_arn"),
        FieldSchema::force_new("target_subnet_ids").unordered(),
        FieldSchema::force_new("target_security_group_ids").unordered(),
        FieldSchema::force_new("target_compression_type"),
        FieldSchema::mutable("topics").unordered(),
        FieldSchema::mutable("consumer_groups").unordered(),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("state"),
        FieldSchema::computed("current_version"),
    ],
    // Names are unique per region.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

/// Topic replication as provision runs it: the listed topics with their configurations and
/// ACLs, no automatic pick-up of new topics.
fn topic_replication(topics: Vec<String>) -> TopicReplication {
    TopicReplication::builder()
        .set_topics_to_replicate(Some(topics))
        .copy_topic_configurations(true)
        .copy_access_control_lists_for_topics(true)
        .detect_and_copy_new_topics(false)
        .build()
}

fn groups(p: &Props) -> Vec<String> {
    let g = strings(p, "consumer_groups");
    if g.is_empty() {
        vec![".*".into()]
    } else {
        g
    }
}

fn props_of(d: &Described) -> Props {
    let mut p = Props::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            p.insert(k.into(), v);
        }
    };
    put("name", d.replicator_name().map(Value::from));
    put("description", d.replicator_description().map(Value::from));
    put(
        "service_execution_role_arn",
        d.service_execution_role_arn().map(Value::from),
    );
    put(
        "state",
        d.replicator_state().map(|s| Value::from(s.as_str())),
    );
    put("current_version", d.current_version().map(Value::from));
    // The replication info names its clusters by alias; the cluster list maps them to ARNs.
    let cluster = |alias: Option<&str>| {
        d.kafka_clusters()
            .iter()
            .find(|c| alias.is_some() && c.kafka_cluster_alias() == alias)
    };
    if let Some(info) = d.replication_info_list().first() {
        for (side, alias) in [
            ("source", info.source_kafka_cluster_alias()),
            ("target", info.target_kafka_cluster_alias()),
        ] {
            let Some(c) = cluster(alias) else { continue };
            put(
                &format!("{side}_cluster_arn"),
                c.amazon_msk_cluster()
                    .and_then(|m| m.msk_cluster_arn())
                    .map(Value::from),
            );
            if let Some(v) = c.vpc_config() {
                put(
                    &format!("{side}_subnet_ids"),
                    Some(sorted(v.subnet_ids().to_vec())),
                );
                put(
                    &format!("{side}_security_group_ids"),
                    Some(sorted(v.security_group_ids().to_vec())),
                );
            }
        }
        put(
            "target_compression_type",
            info.target_compression_type()
                .map(|t| Value::from(t.as_str())),
        );
        put(
            "topics",
            info.topic_replication()
                .map(|t| sorted(t.topics_to_replicate().to_vec())),
        );
        put(
            "consumer_groups",
            info.consumer_group_replication()
                .map(|g| sorted(g.consumer_groups_to_replicate().to_vec())),
        );
    }
    p
}

impl Replicator {
    async fn describe(&self, region: &str, arn: &str) -> Result<Option<Described>, ReconcileError> {
        let r = client(&self.0, region)
            .await
            .describe_replicator()
            .replicator_arn(arn)
            .send()
            .await
            .map_err(err);
        match r {
            Ok(o) => Ok(Some(o)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl Reconciler for Replicator {
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
        // Every replicator of the region: one paginated call. Its summaries carry no topics and
        // no tags, so each replicator found costs one DescribeReplicator.
        let all: Vec<ReplicatorSummary> = client
            .list_replicators()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        let mut out = Vec::new();
        for t in targets {
            let name = t
                .desired
                .as_ref()
                .and_then(Value::as_object)
                .and_then(|d| opt_s(d, "name"));
            let found = all
                .iter()
                .filter(|r| r.replicator_state().map(|s| s.as_str()) != Some("DELETING"))
                .find(|r| {
                    (t.id.is_some() && r.replicator_arn() == t.id.as_deref())
                        || (name.is_some() && r.replicator_name() == name.as_deref())
                });
            let Some(arn) = found.and_then(|r| r.replicator_arn()) else {
                continue;
            };
            let Some(d) = self.describe(region, arn).await? else {
                continue;
            };
            let tags = from_hash(d.tags());
            if address_tag(&tags).is_some_and(|a| a != t.address) {
                continue;
            }
            let mut props = props_of(&d);
            props.insert("tags".into(), user_tags(&tags));
            out.push(Observed {
                address: t.address.clone(),
                id: arn.to_string(),
                arn: Some(arn.to_string()),
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
        let cluster = |side: &str| -> Result<KafkaCluster, ReconcileError> {
            Ok(KafkaCluster::builder()
                .amazon_msk_cluster(
                    AmazonMskCluster::builder()
                        .msk_cluster_arn(s(p, &format!("{side}_cluster_arn"))?)
                        .build(),
                )
                .vpc_config(
                    KafkaClusterClientVpcConfig::builder()
                        .set_subnet_ids(Some(strings(p, &format!("{side}_subnet_ids"))))
                        .set_security_group_ids(Some(strings(
                            p,
                            &format!("{side}_security_group_ids"),
                        )))
                        .build(),
                )
                .build())
        };
        let info = ReplicationInfo::builder()
            .source_kafka_cluster_arn(s(p, "source_cluster_arn")?)
            .target_kafka_cluster_arn(s(p, "target_cluster_arn")?)
            .target_compression_type(TargetCompressionType::from(
                opt_s(p, "target_compression_type")
                    .unwrap_or_else(|| "NONE".into())
                    .as_str(),
            ))
            .topic_replication(topic_replication(strings(p, "topics")))
            .consumer_group_replication(
                ConsumerGroupReplication::builder()
                    .set_consumer_groups_to_replicate(Some(groups(p)))
                    .synchronise_consumer_group_offsets(true)
                    .detect_and_copy_new_consumer_groups(true)
                    .build(),
            )
            .build();
        // No idempotency token: one attempt; the engine looks the name up before another.
        let out = client_once(&self.0, region)
            .await
            .create_replicator()
            .replicator_name(&name)
            .set_description(opt_s(p, "description"))
            .service_execution_role_arn(s(p, "service_execution_role_arn")?)
            .kafka_clusters(cluster("source")?)
            .kafka_clusters(cluster("target")?)
            .replication_info_list(info)
            .set_tags(Some(to_hash(cx.tags_for(&req.address, p))))
            .send()
            .await
            .map_err(err)?;
        let arn = out
            .replicator_arn()
            .ok_or_else(|| ReconcileError::invalid("CreateReplicator returned no ARN"))?
            .to_string();
        let mut o = provision_aws::props::observed_from(&req.address, arn.clone(), p);
        o.arn = Some(arn);
        o.properties.insert(
            "state".into(),
            out.replicator_state()
                .map_or("CREATING", |s| s.as_str())
                .into(),
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
        sync_tags(&client, cx, &observed.address, &observed.id, o, desired).await?;
        let mut reached = o.clone();
        reached.insert(
            "tags".into(),
            desired.get("tags").cloned().unwrap_or_default(),
        );
        let topics_differ = desired.contains_key("topics") && !same_set(o, desired, "topics");
        let groups_differ =
            desired.contains_key("consumer_groups") && !same_set(o, desired, "consumer_groups");
        if topics_differ || groups_differ {
            // The update names the current version: read it.
            let Some(live) = self.describe(region, &observed.id).await? else {
                return Err(ReconcileError::new(
                    ErrorClass::NotFound,
                    format!("MSK replicator {} is gone", observed.id),
                ));
            };
            let state = live.replicator_state().map(|s| s.as_str());
            if state != Some("RUNNING") {
                return Err(ReconcileError::new(
                    ErrorClass::Conflict,
                    format!(
                        "MSK replicator {} is {}; an update waits for RUNNING",
                        observed.id,
                        state.unwrap_or("unknown")
                    ),
                ));
            }
            client
                .update_replication_info()
                .replicator_arn(&observed.id)
                .current_version(live.current_version().unwrap_or_default())
                .source_kafka_cluster_arn(s(desired, "source_cluster_arn")?)
                .target_kafka_cluster_arn(s(desired, "target_cluster_arn")?)
                .topic_replication(
                    TopicReplicationUpdate::builder()
                        .set_topics_to_replicate(Some(strings(desired, "topics")))
                        .set_topics_to_exclude(Some(Vec::new()))
                        .copy_topic_configurations(true)
                        .copy_access_control_lists_for_topics(true)
                        .detect_and_copy_new_topics(false)
                        .build(),
                )
                .consumer_group_replication(
                    ConsumerGroupReplicationUpdate::builder()
                        .set_consumer_groups_to_replicate(Some(groups(desired)))
                        .set_consumer_groups_to_exclude(Some(Vec::new()))
                        .synchronise_consumer_group_offsets(true)
                        .detect_and_copy_new_consumer_groups(true)
                        .build(),
                )
                .send()
                .await
                .map_err(err)?;
            for k in ["topics", "consumer_groups"] {
                if let Some(v) = desired.get(k) {
                    reached.insert(k.into(), v.clone());
                }
            }
            reached.insert("state".into(), "UPDATING".into());
        }
        Ok(Observed {
            properties: reached,
            ..observed.clone()
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
            .delete_replicator()
            .replicator_arn(&observed.id)
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
        let what = format!(
            "MSK replicator {}",
            opt_s(&observed.properties, "name").unwrap_or_else(|| observed.id.clone())
        );
        let Some(d) = self.describe(region, &observed.id).await? else {
            return Ok(provision_aws::props::vanished(&what));
        };
        Ok(provision_aws::props::readiness(
            &what,
            d.replicator_state().map(|s| s.as_str()),
            &["RUNNING"],
            &["FAILED"],
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
