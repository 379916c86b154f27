//! `eks.cluster`: an EKS control plane in private subnets, with control-plane logging and
//! secrets encryption with the region's KMS key.

use crate::{client, next_version, sync_tags};
use async_trait::async_trait;
use aws_sdk_eks::types::{
    Cluster as AwsCluster, ClusterStatus, EncryptionConfig, LogSetup, LogType, Logging, Provider,
    VpcConfigRequest,
};
use provision_aws::props::{b, differs, opt_s, s, sorted, strings, Props};
use provision_aws::tags::{address_tag, user_tags};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;
use std::collections::BTreeMap;

pub struct Cluster(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "eks.cluster",
    fields: &[
        FieldSchema::force_new("name"),
        FieldSchema::mutable("version"),
        FieldSchema::force_new("role_arn"),
        FieldSchema::force_new("subnet_ids").unordered(),
        FieldSchema::force_new("security_group_ids").unordered(),
        FieldSchema::mutable("endpoint_public_access"),
        FieldSchema::mutable("endpoint_private_access"),
        FieldSchema::mutable("public_access_cidrs").unordered(),
        FieldSchema::mutable("logging").unordered(),
        FieldSchema::force_new("encryption_key_arn"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("endpoint"),
        FieldSchema::computed("status"),
    ],
    // Cluster names are unique per region.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

const ALL_LOG_TYPES: [LogType; 5] = [
    LogType::Api,
    LogType::Audit,
    LogType::Authenticator,
    LogType::ControllerManager,
    LogType::Scheduler,
];

fn logging_of(desired: &Props) -> Logging {
    let want = strings(desired, "logging");
    let (on, off): (Vec<LogType>, Vec<LogType>) = ALL_LOG_TYPES
        .iter()
        .cloned()
        .partition(|t| want.iter().any(|w| w == t.as_str()));
    let mut setups = Vec::new();
    if !on.is_empty() {
        setups.push(
            LogSetup::builder()
                .set_types(Some(on))
                .enabled(true)
                .build(),
        );
    }
    if !off.is_empty() {
        setups.push(
            LogSetup::builder()
                .set_types(Some(off))
                .enabled(false)
                .build(),
        );
    }
    Logging::builder().set_cluster_logging(Some(setups)).build()
}

fn endpoint_config(desired: &Props) -> VpcConfigRequest {
    let public = b(desired, "endpoint_public_access", false);
    let cidrs = strings(desired, "public_access_cidrs");
    VpcConfigRequest::builder()
        .endpoint_public_access(public)
        .endpoint_private_access(b(desired, "endpoint_private_access", true))
        .set_public_access_cidrs((public && !cidrs.is_empty()).then_some(cidrs))
        .build()
}

/// The cluster as spec-shaped properties.
fn props_of(c: &AwsCluster) -> Props {
    let mut p = Props::new();
    p.insert("name".into(), c.name().unwrap_or_default().into());
    p.insert("version".into(), c.version().unwrap_or_default().into());
    p.insert("role_arn".into(), c.role_arn().unwrap_or_default().into());
    if let Some(v) = c.resources_vpc_config() {
        p.insert("subnet_ids".into(), sorted(v.subnet_ids().to_vec()));
        p.insert(
            "security_group_ids".into(),
            sorted(v.security_group_ids().to_vec()),
        );
        p.insert(
            "endpoint_public_access".into(),
            v.endpoint_public_access().into(),
        );
        p.insert(
            "endpoint_private_access".into(),
            v.endpoint_private_access().into(),
        );
        if v.endpoint_public_access() {
            p.insert(
                "public_access_cidrs".into(),
                sorted(v.public_access_cidrs().to_vec()),
            );
        }
    }
    let enabled: Vec<String> = c
        .logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|s| s.enabled() == Some(true))
        .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
        .collect();
    p.insert("logging".into(), sorted(enabled));
    if let Some(key) = c
        .encryption_config()
        .iter()
        .find_map(|e| e.provider().and_then(|p| p.key_arn()))
    {
        p.insert("encryption_key_arn".into(), key.into());
    }
    let tags: BTreeMap<String, String> = c
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    p.insert("tags".into(), user_tags(&tags));
    p.insert("endpoint".into(), c.endpoint().unwrap_or_default().into());
    p.insert(
        "status".into(),
        c.status().map(|s| s.as_str()).unwrap_or_default().into(),
    );
    p
}

impl Cluster {
    async fn describe(
        &self,
        region: &str,
        name: &str,
    ) -> Result<Option<AwsCluster>, ReconcileError> {
        let r = client(&self.0, region)
            .await
            .describe_cluster()
            .name(name)
            .send()
            .await
            .map_err(err);
        match r {
            Ok(out) => Ok(out.cluster),
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
        let mut out = Vec::new();
        for t in targets {
            let name = provision_aws::props::target_name(t, "name");
            let Some(name) = name else { continue };
            let Some(c) = self.describe(region, &name).await? else {
                continue;
            };
            if c.status() == Some(&ClusterStatus::Deleting) {
                continue;
            }
            let tags: BTreeMap<String, String> = c
                .tags()
                .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            if address_tag(&tags).is_some_and(|a| a != t.address) {
                tracing::warn!(address = %t.address, cluster = %name, "a cluster of this name belongs to another resource; leaving it alone");
                continue;
            }
            out.push(Observed {
                address: t.address.clone(),
                id: name,
                arn: c.arn().map(str::to_string),
                properties: props_of(&c),
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
        let vpc = {
            let e = endpoint_config(p);
            VpcConfigRequest::builder()
                .set_subnet_ids(Some(strings(p, "subnet_ids")))
                .set_security_group_ids(Some(strings(p, "security_group_ids")))
                .set_endpoint_public_access(e.endpoint_public_access())
                .set_endpoint_private_access(e.endpoint_private_access())
                .set_public_access_cidrs(e.public_access_cidrs)
                .build()
        };
        let encryption = opt_s(p, "encryption_key_arn").map(|key| {
            // Envelope encryption of Kubernetes secrets (EKS now covers all API data with it).
            vec![EncryptionConfig::builder()
                .provider(Provider::builder().key_arn(key).build())
                .build()]
        });
        // clientRequestToken makes a resend of the same create return the same cluster.
        let out = client(&self.0, region)
            .await
            .create_cluster()
            .name(&name)
            .version(s(p, "version")?)
            .role_arn(s(p, "role_arn")?)
            .resources_vpc_config(vpc)
            .logging(logging_of(p))
            .set_encryption_config(encryption)
            .set_tags(Some(cx.tags_for(&req.address, p).into_iter().collect()))
            .client_request_token(&req.token)
            .send()
            .await
            .map_err(err)?;
        let c = out
            .cluster()
            .ok_or_else(|| ReconcileError::invalid("CreateCluster returned no cluster"))?;
        let mut o = provision_aws::props::observed_from(&req.address, name, p);
        o.arn = c.arn().map(str::to_string);
        o.properties.insert(
            "status".into(),
            c.status().map(|s| s.as_str()).unwrap_or("CREATING").into(),
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
        let name = observed.id.as_str();
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
        // One cluster update at a time: the version first (the node groups follow it), then
        // logging, then endpoint access. The engine waits for ACTIVE and calls again.
        if differs(o, desired, "version") {
            let next = next_version(&s(o, "version")?, &s(desired, "version")?)?;
            client
                .update_cluster_version()
                .name(name)
                .version(&next)
                .send()
                .await
                .map_err(err)?;
            reached.insert("version".into(), next.into());
        } else if !provision_aws::props::same_set(o, desired, "logging") {
            client
                .update_cluster_config()
                .name(name)
                .logging(logging_of(desired))
                .send()
                .await
                .map_err(err)?;
            reached.insert("logging".into(), sorted(strings(desired, "logging")));
        } else if ["endpoint_public_access", "endpoint_private_access"]
            .iter()
            .any(|k| differs(o, desired, k))
            || !provision_aws::props::same_set(o, desired, "public_access_cidrs")
        {
            client
                .update_cluster_config()
                .name(name)
                .resources_vpc_config(endpoint_config(desired))
                .send()
                .await
                .map_err(err)?;
            for k in [
                "endpoint_public_access",
                "endpoint_private_access",
                "public_access_cidrs",
            ] {
                match desired.get(k) {
                    Some(v) => reached.insert(k.into(), v.clone()),
                    None => reached.remove(k),
                };
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
        let r = client(&self.0, region)
            .await
            .delete_cluster()
            .name(&observed.id)
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
        let what = format!("EKS cluster {}", observed.id);
        let Some(c) = self.describe(region, &observed.id).await? else {
            return Ok(provision_aws::props::vanished(&what));
        };
        Ok(provision_aws::props::readiness(
            &what,
            c.status().map(|s| s.as_str()),
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
