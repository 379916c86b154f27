//! `rds.automated_backup_replication`: the primary's automated backups replicated to another
//! region (point-in-time recovery there). It lives in the destination region, where the API is
//! called; its natural key is the source instance's ARN.

use crate::client;
use async_trait::async_trait;
use provision_aws::props::{i, opt_s, s, Props};
use provision_aws::{classify as err, AwsConfigs};
use provision_core::*;

pub struct BackupReplication(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "rds.automated_backup_replication",
    fields: &[
        FieldSchema::force_new("source_db_instance_arn"),
        FieldSchema::force_new("backup_retention_period"),
        FieldSchema::force_new("kms_key_id"),
        FieldSchema::computed("status"),
    ],
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: false,
};

#[async_trait]
impl Reconciler for BackupReplication {
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
        // One paginated call lists the region's replicated backups.
        let backups = client(&self.0, region)
            .await
            .describe_db_instance_automated_backups()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?;
        let mut out = Vec::new();
        for t in targets {
            let source = t
                .desired
                .as_ref()
                .and_then(|d| d.as_object())
                .and_then(|d| opt_s(d, "source_db_instance_arn"));
            let found = backups.iter().find(|b| {
                t.id.as_deref()
                    .is_some_and(|id| b.db_instance_automated_backups_arn() == Some(id))
                    || (source.is_some() && b.db_instance_arn() == source.as_deref())
            });
            let Some(b) = found else { continue };
            let Some(id) = b.db_instance_automated_backups_arn() else {
                continue;
            };
            let mut props = Props::new();
            if let Some(src) = b.db_instance_arn() {
                props.insert("source_db_instance_arn".into(), src.into());
            }
            if let Some(days) = b.backup_retention_period() {
                props.insert("backup_retention_period".into(), days.into());
            }
            if let Some(key) = b.kms_key_id() {
                props.insert("kms_key_id".into(), key.into());
            }
            props.insert("status".into(), b.status().unwrap_or_default().into());
            out.push(Observed {
                address: t.address.clone(),
                id: id.to_string(),
                arn: Some(id.to_string()),
                properties: props,
            });
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
        // Starting a replication that already runs is refused, and the engine looks it up by
        // its source before it tries again.
        let out = client(&self.0, region)
            .await
            .start_db_instance_automated_backups_replication()
            .source_db_instance_arn(s(p, "source_db_instance_arn")?)
            .set_backup_retention_period(i(p, "backup_retention_period"))
            .set_kms_key_id(opt_s(p, "kms_key_id"))
            .send()
            .await
            .map_err(err)?;
        let id = out
            .db_instance_automated_backup()
            .and_then(|b| b.db_instance_automated_backups_arn())
            .ok_or_else(|| {
                ReconcileError::invalid(
                    "StartDBInstanceAutomatedBackupsReplication returned no backups ARN",
                )
            })?
            .to_string();
        let mut o = provision_aws::props::observed_from(&req.address, id.clone(), p);
        o.arn = Some(id);
        Ok(o)
    }

    async fn update(
        &self,
        _cx: &ReconcileContext,
        _region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        // Every field forces replacement; nothing changes in place.
        let mut o =
            provision_aws::props::observed_from(&observed.address, observed.id.clone(), desired);
        o.arn = observed.arn.clone();
        Ok(o)
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let Some(source) = opt_s(&observed.properties, "source_db_instance_arn") else {
            return Ok(());
        };
        let r = client(&self.0, region)
            .await
            .stop_db_instance_automated_backups_replication()
            .source_db_instance_arn(source)
            .send()
            .await
            .map_err(err);
        provision_aws::props::gone_ok(r)
    }
}
