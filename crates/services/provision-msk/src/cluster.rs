//! `msk.cluster`: a provisioned MSK cluster in the private subnets, TLS between clients and
//! brokers and inside the cluster, encrypted at rest with the region's KMS key, IAM client
//! authentication, and the region's configuration.
//!
//! In place: Kafka version, broker type, broker count, EBS size, configuration (revision) and
//! tags. AWS runs one cluster operation at a time and each names the cluster's current
//! version, so `update` makes one change per call; the engine waits for ACTIVE and calls again.

use crate::{client, client_once, from_hash, n32, n64, sync_tags, to_hash};
use async_trait::async_trait;
use aws_sdk_kafka::types::{
    BrokerEbsVolumeInfo, BrokerNodeGroupInfo, ClientAuthentication, ClientBroker, ClusterInfo,
    ConfigurationInfo, EbsStorageInfo, EncryptionAtRest, EncryptionInTransit, EncryptionInfo, Iam,
    Sasl, StorageInfo,
};
use provision_aws::props::{b, differs, opt_s, s, sorted, strings, Props};
use provision_aws::tags::{address_tag, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;

pub struct Cluster(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "msk.cluster",
    fields: &[
        FieldSchema::force_new("name"),
        FieldSchema::mutable("kafka_version"),
        FieldSchema::mutable("broker_type"),
        FieldSchema::mutable("broker_count"),
        FieldSchema::mutable("volume_size_gb"),
        FieldSchema::force_new("client_subnets").unordered(),
        FieldSchema::force_new("security_group_ids").unordered(),
        FieldSchema::force_new("kms_key_id"),
        FieldSchema::force_new("client_broker_encryption"),
        FieldSchema::force_new("in_cluster_encryption"),
        FieldSchema::force_new("iam_auth"),
        FieldSchema::mutable("configuration_arn"),
        FieldSchema::mutable("configuration_revision"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("state"),
        FieldSchema::computed("current_version"),
    ],
    // Cluster names are unique per region.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

fn props_of(c: &ClusterInfo) -> Props {
    let mut p = Props::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            p.insert(k.into(), v);
        }
    };
    put("name", c.cluster_name().map(Value::from));
    let sw = c.current_broker_software_info();
    put(
        "kafka_version",
        sw.and_then(|s| s.kafka_version()).map(Value::from),
    );
    put(
        "configuration_arn",
        sw.and_then(|s| s.configuration_arn()).map(Value::from),
    );
    put(
        "configuration_revision",
        sw.and_then(|s| s.configuration_revision()).map(Value::from),
    );
    let g = c.broker_node_group_info();
    put(
        "broker_type",
        g.and_then(|g| g.instance_type()).map(Value::from),
    );
    put("broker_count", c.number_of_broker_nodes().map(Value::from));
    put(
        "volume_size_gb",
        g.and_then(|g| g.storage_info())
            .and_then(|s| s.ebs_storage_info())
            .and_then(|e| e.volume_size())
            .map(Value::from),
    );
    put(
        "client_subnets",
        g.map(|g| sorted(g.client_subnets().to_vec())),
    );
    put(
        "security_group_ids",
        g.map(|g| sorted(g.security_groups().to_vec())),
    );
    let enc = c.encryption_info();
    put(
        "kms_key_id",
        enc.and_then(|e| e.encryption_at_rest())
            .and_then(|e| e.data_volume_kms_key_id())
            .map(Value::from),
    );
    let transit = enc.and_then(|e| e.encryption_in_transit());
    put(
        "client_broker_encryption",
        transit
            .and_then(|t| t.client_broker())
            .map(|c| Value::from(c.as_str())),
    );
    put(
        "in_cluster_encryption",
        transit.and_then(|t| t.in_cluster()).map(Value::from),
    );
    put(
        "iam_auth",
        Some(Value::from(
            c.client_authentication()
                .and_then(|a| a.sasl())
                .and_then(|s| s.iam())
                .and_then(|i| i.enabled())
                .unwrap_or(false),
        )),
    );
    put("state", c.state().map(|s| Value::from(s.as_str())));
    put("current_version", c.current_version().map(Value::from));
    p
}

/// The first pending change AWS can make in one cluster operation, in this order: the Kafka
/// version (with the configuration, which may need the new version), the configuration, then
/// the brokers' count, type and storage.
#[derive(Debug, PartialEq)]
enum Step {
    Version,
    Configuration,
    Count,
    Type,
    Storage,
}

fn next_step(o: &Props, d: &Props) -> Option<Step> {
    let changed = |k: &str| d.contains_key(k) && differs(o, d, k);
    if changed("kafka_version") {
        Some(Step::Version)
    } else if changed("configuration_arn") || changed("configuration_revision") {
        Some(Step::Configuration)
    } else if changed("broker_count") {
        Some(Step::Count)
    } else if changed("broker_type") {
        Some(Step::Type)
    } else if changed("volume_size_gb") {
        Some(Step::Storage)
    } else {
        None
    }
}

fn configuration_info(p: &Props) -> Result<Option<ConfigurationInfo>, ReconcileError> {
    match opt_s(p, "configuration_arn") {
        None => Ok(None),
        Some(arn) => Ok(Some(
            ConfigurationInfo::builder()
                .arn(arn)
                .revision(n64(p, "configuration_revision")?)
                .build(),
        )),
    }
}

impl Cluster {
    async fn describe(
        &self,
        region: &str,
        arn: &str,
    ) -> Result<Option<ClusterInfo>, ReconcileError> {
        let r = client(&self.0, region)
            .await
            .describe_cluster()
            .cluster_arn(arn)
            .send()
            .await
            .map_err(err);
        match r {
            Ok(o) => Ok(o.cluster_info),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[async_trait]
impl Reconciler for Cluster {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let wanted: Vec<(Address, Option<String>, Option<String>)> = targets
            .iter()
            .map(|t| {
                let name = t
                    .desired
                    .as_ref()
                    .and_then(Value::as_object)
                    .and_then(|d| opt_s(d, "name"));
                (t.address.clone(), t.id.clone(), name)
            })
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        // Every cluster of the region, with its tags: one paginated call.
        let all: Vec<ClusterInfo> = client(&self.0, region)
            .await
            .list_clusters()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        let mut out = Vec::new();
        for (address, id, name) in wanted {
            let found = all
                .iter()
                .filter(|c| c.state().map(|s| s.as_str()) != Some("DELETING"))
                .find(|c| {
                    let by_id = id.is_some() && c.cluster_arn() == id.as_deref();
                    let by_name = name.is_some() && c.cluster_name() == name.as_deref();
                    by_id || by_name
                });
            let Some(c) = found else { continue };
            let Some(arn) = c.cluster_arn() else { continue };
            let tags = from_hash(c.tags());
            if address_tag(&tags).is_some_and(|a| a != address) {
                continue;
            }
            let mut props = props_of(c);
            props.insert("tags".into(), user_tags(&tags));
            out.push(Observed {
                address,
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
        let client_broker = opt_s(p, "client_broker_encryption").unwrap_or_else(|| "TLS".into());
        let broker_group = BrokerNodeGroupInfo::builder()
            .instance_type(s(p, "broker_type")?)
            .set_client_subnets(Some(strings(p, "client_subnets")))
            .set_security_groups(Some(strings(p, "security_group_ids")))
            .storage_info(
                StorageInfo::builder()
                    .ebs_storage_info(
                        EbsStorageInfo::builder()
                            .volume_size(n32(p, "volume_size_gb")?)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let encryption = EncryptionInfo::builder()
            .set_encryption_at_rest(opt_s(p, "kms_key_id").map(|k| {
                EncryptionAtRest::builder()
                    .data_volume_kms_key_id(k)
                    .build()
            }))
            .encryption_in_transit(
                EncryptionInTransit::builder()
                    .client_broker(ClientBroker::from(client_broker.as_str()))
                    .in_cluster(b(p, "in_cluster_encryption", true))
                    .build(),
            )
            .build();
        let auth = ClientAuthentication::builder()
            .sasl(
                Sasl::builder()
                    .iam(Iam::builder().enabled(b(p, "iam_auth", true)).build())
                    .build(),
            )
            .build();
        // No idempotency token: one attempt; the engine looks the name up before another.
        let out = client_once(&self.0, region)
            .await
            .create_cluster()
            .cluster_name(&name)
            .kafka_version(s(p, "kafka_version")?)
            .number_of_broker_nodes(n32(p, "broker_count")?)
            .broker_node_group_info(broker_group)
            .encryption_info(encryption)
            .client_authentication(auth)
            .set_configuration_info(configuration_info(p)?)
            .set_tags(Some(to_hash(cx.tags_for(&req.address, p))))
            .send()
            .await
            .map_err(err)?;
        let arn = out
            .cluster_arn()
            .ok_or_else(|| ReconcileError::invalid("CreateCluster returned no ARN"))?
            .to_string();
        let mut o = provision_aws::props::observed_from(&req.address, arn.clone(), p);
        o.arn = Some(arn);
        o.properties.insert(
            "state".into(),
            out.state().map_or("CREATING", |s| s.as_str()).into(),
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
        let Some(step) = next_step(o, desired) else {
            return Ok(Observed {
                properties: reached,
                ..observed.clone()
            });
        };
        // Each operation names the current version, which every operation changes: read it.
        let Some(live) = self.describe(region, &observed.id).await? else {
            return Err(ReconcileError::new(
                ErrorClass::NotFound,
                format!("MSK cluster {} is gone", observed.id),
            ));
        };
        if live.state().map(|s| s.as_str()) != Some("ACTIVE") {
            return Err(ReconcileError::new(
                ErrorClass::Conflict,
                format!(
                    "MSK cluster {} is {}; an update waits for ACTIVE",
                    observed.id,
                    live.state().map_or("unknown", |s| s.as_str())
                ),
            ));
        }
        let version = live.current_version().unwrap_or_default().to_string();
        let arn = observed.id.as_str();
        let mut done: Vec<&str> = Vec::new();
        match step {
            Step::Version => {
                // The configuration travels with the upgrade when it changes too.
                let config = if differs(o, desired, "configuration_arn")
                    || differs(o, desired, "configuration_revision")
                {
                    done.extend(["configuration_arn", "configuration_revision"]);
                    configuration_info(desired)?
                } else {
                    None
                };
                client
                    .update_cluster_kafka_version()
                    .cluster_arn(arn)
                    .current_version(&version)
                    .target_kafka_version(s(desired, "kafka_version")?)
                    .set_configuration_info(config)
                    .send()
                    .await
                    .map_err(err)?;
                done.push("kafka_version");
            }
            Step::Configuration => {
                let Some(config) = configuration_info(desired)? else {
                    return Err(ReconcileError::invalid(format!(
                        "{}: a cluster's configuration can be changed but not removed; \
                         declare `configuration_arn`",
                        observed.address
                    )));
                };
                client
                    .update_cluster_configuration()
                    .cluster_arn(arn)
                    .current_version(&version)
                    .configuration_info(config)
                    .send()
                    .await
                    .map_err(err)?;
                done.extend(["configuration_arn", "configuration_revision"]);
            }
            Step::Count => {
                client
                    .update_broker_count()
                    .cluster_arn(arn)
                    .current_version(&version)
                    .target_number_of_broker_nodes(n32(desired, "broker_count")?)
                    .send()
                    .await
                    .map_err(err)?;
                done.push("broker_count");
            }
            Step::Type => {
                client
                    .update_broker_type()
                    .cluster_arn(arn)
                    .current_version(&version)
                    .target_instance_type(s(desired, "broker_type")?)
                    .send()
                    .await
                    .map_err(err)?;
                done.push("broker_type");
            }
            Step::Storage => {
                client
                    .update_broker_storage()
                    .cluster_arn(arn)
                    .current_version(&version)
                    .target_broker_ebs_volume_info(
                        BrokerEbsVolumeInfo::builder()
                            .kafka_broker_node_id("All")
                            .volume_size_gb(n32(desired, "volume_size_gb")?)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(err)?;
                done.push("volume_size_gb");
            }
        }
        for k in done {
            if let Some(v) = desired.get(k) {
                reached.insert(k.into(), v.clone());
            }
        }
        reached.insert("state".into(), "UPDATING".into());
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
            .delete_cluster()
            .cluster_arn(&observed.id)
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
            "MSK cluster {}",
            opt_s(&observed.properties, "name").unwrap_or_else(|| observed.id.clone())
        );
        let Some(c) = self.describe(region, &observed.id).await? else {
            return Ok(provision_aws::props::vanished(&what));
        };
        Ok(provision_aws::props::readiness(
            &what,
            c.state().map(|s| s.as_str()),
            &["ACTIVE"],
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Value) -> Props {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn one_cluster_operation_at_a_time_in_order() {
        let o = props(
            json!({"kafka_version": "3.5.1", "configuration_revision": 1,
            "configuration_arn": "a", "broker_count": 3, "broker_type": "kafka.m5.large",
            "volume_size_gb": 100}),
        );
        let mut d = o.clone();
        assert_eq!(next_step(&o, &d), None);
        d.insert("volume_size_gb".into(), json!(200));
        assert_eq!(next_step(&o, &d), Some(Step::Storage));
        d.insert("broker_count".into(), json!(6));
        assert_eq!(next_step(&o, &d), Some(Step::Count));
        d.insert("configuration_revision".into(), json!(2));
        assert_eq!(next_step(&o, &d), Some(Step::Configuration));
        d.insert("kafka_version".into(), json!("3.6.0"));
        assert_eq!(next_step(&o, &d), Some(Step::Version));
        // A field the declaration does not set is not managed.
        d.remove("kafka_version");
        d.remove("configuration_revision");
        d.remove("broker_count");
        d.remove("volume_size_gb");
        assert_eq!(next_step(&o, &d), None);
    }
}
