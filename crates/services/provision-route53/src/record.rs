//! `route53.record`: one record set of a hosted zone: a plain one (`ttl` + `records`) or an
//! alias (`alias`), optionally with a routing policy (`geolocation` or `failover`, each with a
//! `set_identifier`) and a health check.
//!
//! Records take no tags. The id is the natural key `<zone_id>/<name>/<type>[/<set_identifier>]`,
//! with the name lowercase and without its trailing dot (a `/` in it written `\057`, as Route 53
//! answers it).
//!
//! Refresh: one ListResourceRecordSets listing per distinct zone among the targets, paged with
//! all three of NextRecordName, NextRecordType and NextRecordIdentifier; records are matched by
//! natural key. Create and update both send one UPSERT of the whole record as the spec says it
//! (CREATE would fail on a record that an interrupted run already made); delete reads the record
//! first and sends a DELETE with exactly the values listed, as AWS requires. `ready()` waits
//! for the change (`change_id`) to be INSYNC.

use crate::{bare_id, change_readiness, client, dns_name, err, spelled_as_desired};
use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, GeoLocation, ResourceRecord, ResourceRecordSet,
    ResourceRecordSetFailover, RrType,
};
use aws_sdk_route53::Client;
use provision_aws::props::{opt_s, s, sorted, strings, Props};
use provision_aws::AwsConfigs;
use provision_core::*;
use std::collections::BTreeSet;

pub struct Record(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "route53.record",
    fields: &[
        FieldSchema::force_new("zone_id"),
        FieldSchema::force_new("name"),
        FieldSchema::force_new("type"),
        FieldSchema::force_new("set_identifier"),
        FieldSchema::mutable("ttl"),
        FieldSchema::mutable("records").unordered(),
        FieldSchema::mutable("alias"),
        FieldSchema::mutable("geolocation"),
        FieldSchema::mutable("failover"),
        FieldSchema::mutable("health_check_id"),
        FieldSchema::computed("change_id"),
    ],
    // A record conflicts with another of the same name and type (a simple record with a
    // routing one, a CNAME with anything): the old one goes before the new one is made.
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: false,
};

fn invalid(e: impl std::fmt::Display) -> ReconcileError {
    ReconcileError::invalid(e.to_string())
}

/// A record's natural key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    zone: String,
    /// As [`dns_name`] normalises it.
    name: String,
    rtype: String,
    set: Option<String>,
}

impl Key {
    fn id(&self) -> String {
        let name = self.name.replace('/', "\\057");
        match &self.set {
            Some(set) => format!("{}/{name}/{}/{set}", self.zone, self.rtype),
            None => format!("{}/{name}/{}", self.zone, self.rtype),
        }
    }

    fn parse(id: &str) -> Option<Key> {
        let mut parts = id.splitn(4, '/');
        let (zone, name, rtype) = (parts.next()?, parts.next()?, parts.next()?);
        if zone.is_empty() || name.is_empty() || rtype.is_empty() {
            return None;
        }
        Some(Key {
            zone: zone.to_string(),
            name: dns_name(name),
            rtype: rtype.to_string(),
            set: parts.next().map(str::to_string),
        })
    }

    /// The key desired properties name, once their zone is known.
    fn of_desired(p: &Props) -> Option<Key> {
        Some(Key {
            zone: opt_s(p, "zone_id").map(|z| bare_id(&z))?,
            name: dns_name(&opt_s(p, "name")?),
            rtype: opt_s(p, "type")?,
            set: opt_s(p, "set_identifier"),
        })
    }

    fn matches(&self, rr: &ResourceRecordSet) -> bool {
        dns_name(rr.name()) == self.name
            && rr.r#type().as_str() == self.rtype
            && rr.set_identifier() == self.set.as_deref()
    }
}

/// The record set the properties ask for.
fn record_set(p: &Props) -> Result<ResourceRecordSet, ReconcileError> {
    let mut b = ResourceRecordSet::builder()
        .name(s(p, "name")?)
        .r#type(RrType::from(s(p, "type")?.as_str()))
        .set_set_identifier(opt_s(p, "set_identifier"))
        .set_ttl(p.get("ttl").and_then(Value::as_i64))
        .set_health_check_id(opt_s(p, "health_check_id").filter(|h| !h.is_empty()));
    let values = strings(p, "records");
    if !values.is_empty() {
        let records = values
            .iter()
            .map(|v| ResourceRecord::builder().value(v).build().map_err(invalid))
            .collect::<Result<Vec<_>, _>>()?;
        b = b.set_resource_records(Some(records));
    }
    if let Some(a) = p.get("alias").and_then(Value::as_object) {
        b = b.alias_target(
            AliasTarget::builder()
                .hosted_zone_id(s(a, "zone_id")?)
                .dns_name(s(a, "dns_name")?)
                .evaluate_target_health(
                    a.get("evaluate_target_health")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                )
                .build()
                .map_err(invalid)?,
        );
    }
    if let Some(g) = p.get("geolocation").and_then(Value::as_object) {
        b = b.geo_location(
            GeoLocation::builder()
                .set_continent_code(opt_s(g, "continent_code"))
                .set_country_code(opt_s(g, "country_code"))
                .set_subdivision_code(opt_s(g, "subdivision_code"))
                .build(),
        );
    }
    if let Some(f) = opt_s(p, "failover") {
        b = b.failover(ResourceRecordSetFailover::from(f.as_str()));
    }
    b.build().map_err(invalid)
}

/// The properties of a listed record, in the spec's shape: names spelled as the spec spells
/// them when they are the same name, and `evaluate_target_health: false` left out unless the
/// spec says it.
fn props_of(rr: &ResourceRecordSet, zone: &str, desired: Option<&Props>) -> Props {
    let want = |k: &str| desired.and_then(|d| d.get(k));
    let mut p = Props::new();
    // `/hostedzone/Z…` (as the console and the API spell it) and `Z…` are the same zone.
    let zone = want("zone_id")
        .and_then(Value::as_str)
        .filter(|z| bare_id(z) == zone)
        .unwrap_or(zone);
    p.insert("zone_id".into(), zone.into());
    p.insert(
        "name".into(),
        spelled_as_desired(rr.name(), want("name").and_then(Value::as_str)).into(),
    );
    p.insert("type".into(), rr.r#type().as_str().into());
    if let Some(set) = rr.set_identifier() {
        p.insert("set_identifier".into(), set.into());
    }
    if let Some(ttl) = rr.ttl() {
        p.insert("ttl".into(), ttl.into());
    }
    if !rr.resource_records().is_empty() {
        p.insert(
            "records".into(),
            sorted(
                rr.resource_records()
                    .iter()
                    .map(|r| r.value().to_string())
                    .collect(),
            ),
        );
    }
    if let Some(a) = rr.alias_target() {
        let wanted = want("alias").and_then(Value::as_object);
        let mut m = Props::new();
        let dns = wanted
            .and_then(|w| w.get("dns_name"))
            .and_then(Value::as_str);
        m.insert(
            "dns_name".into(),
            spelled_as_desired(a.dns_name(), dns).into(),
        );
        m.insert("zone_id".into(), a.hosted_zone_id().into());
        if a.evaluate_target_health()
            || wanted.is_some_and(|w| w.contains_key("evaluate_target_health"))
        {
            m.insert(
                "evaluate_target_health".into(),
                a.evaluate_target_health().into(),
            );
        }
        p.insert("alias".into(), Value::Object(m));
    }
    if let Some(g) = rr.geo_location() {
        let mut m = Props::new();
        let codes = [
            ("continent_code", g.continent_code()),
            ("country_code", g.country_code()),
            ("subdivision_code", g.subdivision_code()),
        ];
        for (k, v) in codes {
            if let Some(v) = v {
                m.insert(k.into(), v.into());
            }
        }
        p.insert("geolocation".into(), Value::Object(m));
    }
    if let Some(f) = rr.failover() {
        p.insert("failover".into(), f.as_str().into());
    }
    if let Some(h) = rr.health_check_id() {
        p.insert("health_check_id".into(), h.into());
    }
    p
}

type Start = (Option<String>, Option<RrType>, Option<String>);

/// The zone's records from `start` on, until `stop` says a record is past the ones wanted;
/// None if the zone is gone. Pages follow all three Next* values.
async fn list(
    client: &Client,
    zone: &str,
    start: Start,
    stop: impl Fn(&ResourceRecordSet) -> bool,
) -> Result<Option<Vec<ResourceRecordSet>>, ReconcileError> {
    let mut next = start;
    let mut out = Vec::new();
    loop {
        let r = client
            .list_resource_record_sets()
            .hosted_zone_id(zone)
            .set_start_record_name(next.0.clone())
            .set_start_record_type(next.1.clone())
            .set_start_record_identifier(next.2.clone())
            .send()
            .await
            .map_err(err);
        let page = match r {
            Ok(p) => p,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        for rr in page.resource_record_sets() {
            if stop(rr) {
                return Ok(Some(out));
            }
            out.push(rr.clone());
        }
        let following: Start = (
            page.next_record_name().map(str::to_string),
            page.next_record_type().cloned(),
            page.next_record_identifier().map(str::to_string),
        );
        // The same position twice would loop forever: stop there too.
        if !page.is_truncated() || following.0.is_none() || following == next {
            return Ok(Some(out));
        }
        next = following;
    }
}

/// Send one change of one record; the change's id.
async fn change(
    client: &Client,
    zone: &str,
    action: ChangeAction,
    rr: ResourceRecordSet,
    comment: String,
) -> Result<Option<String>, ReconcileError> {
    let batch = ChangeBatch::builder()
        .comment(comment)
        .changes(
            Change::builder()
                .action(action)
                .resource_record_set(rr)
                .build()
                .map_err(invalid)?,
        )
        .build()
        .map_err(invalid)?;
    let out = client
        .change_resource_record_sets()
        .hosted_zone_id(zone)
        .change_batch(batch)
        .send()
        .await
        .map_err(err)?;
    Ok(out.change_info().map(|c| bare_id(c.id())))
}

impl Record {
    /// UPSERT the desired record: create and update alike.
    async fn upsert(
        &self,
        region: &str,
        address: &Address,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let key = Key::of_desired(desired)
            .ok_or_else(|| invalid("a record needs `zone_id`, `name` and `type`"))?;
        let client = client(&self.0, region).await;
        let change_id = change(
            &client,
            &key.zone,
            ChangeAction::Upsert,
            record_set(desired)?,
            format!("provision {address}"),
        )
        .await?;
        let mut o = provision_aws::props::observed_from(address, key.id(), desired);
        if let Some(c) = change_id {
            o.properties.insert("change_id".into(), c.into());
        }
        Ok(o)
    }
}

#[async_trait]
impl Reconciler for Record {
    fn schema(&self) -> &'static KindSchema {
        &SCHEMA
    }

    async fn observe(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        let keyed: Vec<(&Target, Key)> = targets
            .iter()
            .filter_map(|t| {
                let key = match &t.id {
                    Some(id) => Key::parse(id),
                    None => Key::of_desired(t.desired.as_ref()?.as_object()?),
                };
                Some((t, key?))
            })
            .collect();
        if keyed.is_empty() {
            return Ok(Vec::new());
        }
        let client = client(&self.0, region).await;
        let zones: BTreeSet<&str> = keyed.iter().map(|(_, k)| k.zone.as_str()).collect();
        let mut out = Vec::new();
        for zone in zones {
            let Some(records) = list(&client, zone, (None, None, None), |_| false).await? else {
                continue;
            };
            for (t, key) in keyed.iter().filter(|(_, k)| k.zone == zone) {
                let Some(rr) = records.iter().find(|rr| key.matches(rr)) else {
                    continue;
                };
                let desired = t.desired.as_ref().and_then(Value::as_object);
                out.push(Observed {
                    address: t.address.clone(),
                    id: key.id(),
                    arn: None,
                    properties: props_of(rr, zone, desired),
                });
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
        self.upsert(region, &req.address, &req.properties).await
    }

    async fn update(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        self.upsert(region, &observed.address, desired).await
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        let key = Key::parse(&observed.id)
            .ok_or_else(|| invalid(format!("`{}` is not a record key", observed.id)))?;
        let client = client(&self.0, region).await;
        // AWS deletes a record only when every value matches: send it as it is listed now.
        let start = (
            Some(key.name.clone()),
            Some(RrType::from(key.rtype.as_str())),
            None,
        );
        let past = |rr: &ResourceRecordSet| {
            dns_name(rr.name()) != key.name || rr.r#type().as_str() != key.rtype
        };
        let Some(records) = list(&client, &key.zone, start, past).await? else {
            return Ok(());
        };
        let Some(rr) = records.into_iter().find(|rr| key.matches(rr)) else {
            return Ok(());
        };
        let comment = format!("provision {}", observed.address);
        match change(&client, &key.zone, ChangeAction::Delete, rr, comment).await {
            Ok(_) => Ok(()),
            Err(e) if e.code.as_deref() == Some("InvalidChangeBatch") => {
                if e.message.contains("not found") {
                    // Deleted since it was read.
                    Ok(())
                } else if e.message.contains("do not match") {
                    // Changed since it was read: read again and retry.
                    Err(ReconcileError {
                        class: ErrorClass::Conflict,
                        ..e
                    })
                } else {
                    Err(e)
                }
            }
            Err(e) => provision_aws::props::gone_ok::<()>(Err(e)),
        }
    }

    async fn ready(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<Readiness, ReconcileError> {
        let change = observed.properties.get("change_id").and_then(Value::as_str);
        let what = format!("record {}", observed.id);
        change_readiness(&client(&self.0, region).await, &what, change).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Value) -> Props {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn keys_round_trip() {
        let k = Key::of_desired(&props(json!({
            "zone_id": "Z0ABC", "name": "API.example.com.", "type": "A", "set_identifier": "eu/1",
        })))
        .unwrap();
        assert_eq!(k.id(), "Z0ABC/api.example.com/A/eu/1");
        assert_eq!(Key::parse(&k.id()), Some(k));
        let k = Key::of_desired(&props(json!({
            "zone_id": "/hostedzone/Z0ABC", "name": "0/26.2.0.192.in-addr.arpa", "type": "PTR",
        })))
        .unwrap();
        assert_eq!(k.zone, "Z0ABC");
        assert_eq!(k.id(), "Z0ABC/0\\05726.2.0.192.in-addr.arpa/PTR");
        assert_eq!(Key::parse(&k.id()), Some(k));
        assert_eq!(Key::parse("Z0ABC/name-only"), None);
        // An unresolved zone reference names no key yet.
        assert_eq!(
            Key::of_desired(&props(json!({
                "zone_id": {"$ref": "global/route53.zone/main#zone_id"},
                "name": "a.example.com", "type": "A",
            }))),
            None
        );
    }

    #[test]
    fn geolocation_alias_round_trips_in_the_spec_shape() {
        let spec = props(json!({
            "zone_id": "Z0ABC",
            "name": "api.example.com",
            "type": "A",
            "set_identifier": "eu",
            "alias": {"dns_name": "web-1.us-east-1.elb.amazonaws.com", "zone_id": "Z35SXDOTRQ7X7K"},
            "geolocation": {"continent_code": "EU"},
            "health_check_id": "hc-1",
        }));
        let rr = record_set(&spec).unwrap();
        assert_eq!(
            rr.alias_target().map(|a| a.evaluate_target_health()),
            Some(false)
        );
        assert!(rr.ttl().is_none() && rr.resource_records().is_empty());
        // AWS answers names fully qualified.
        let mut listed = rr.clone();
        listed.name = "api.example.com.".into();
        if let Some(a) = listed.alias_target.as_mut() {
            a.dns_name = "WEB-1.us-east-1.elb.amazonaws.com.".into();
        }
        assert!(Key::of_desired(&spec).unwrap().matches(&listed));
        assert_eq!(props_of(&listed, "Z0ABC", Some(&spec)), spec);
        // A zone id given with its `/hostedzone/` prefix is the same zone, not a change of
        // zone (which would replace the record at every `up`).
        let mut prefixed = spec.clone();
        prefixed.insert("zone_id".into(), "/hostedzone/Z0ABC".into());
        assert_eq!(props_of(&listed, "Z0ABC", Some(&prefixed)), prefixed);
        let mut other = spec.clone();
        other.insert("zone_id".into(), "/hostedzone/Z0XYZ".into());
        assert_eq!(props_of(&listed, "Z0ABC", Some(&other))["zone_id"], "Z0ABC");
    }

    #[test]
    fn plain_failover_and_default_location_round_trip() {
        let spec = props(json!({
            "zone_id": "Z0ABC",
            "name": "app.example.com",
            "type": "A",
            "set_identifier": "primary",
            "ttl": 60,
            "records": ["192.0.2.20", "192.0.2.10"],
            "failover": "PRIMARY",
        }));
        let rr = record_set(&spec).unwrap();
        let got = props_of(&rr, "Z0ABC", Some(&spec));
        assert_eq!(got["records"], json!(["192.0.2.10", "192.0.2.20"]));
        for k in [
            "zone_id",
            "name",
            "type",
            "set_identifier",
            "ttl",
            "failover",
        ] {
            assert_eq!(got[k], spec[k], "{k}");
        }
        let default = props(json!({
            "zone_id": "Z0ABC", "name": "api.example.com", "type": "A", "set_identifier": "default",
            "alias": {"dns_name": "x.elb.amazonaws.com", "zone_id": "Z1", "evaluate_target_health": true},
            "geolocation": {"country_code": "*"},
        }));
        let rr = record_set(&default).unwrap();
        assert_eq!(rr.geo_location().and_then(|g| g.country_code()), Some("*"));
        assert_eq!(props_of(&rr, "Z0ABC", Some(&default)), default);
        // Without a spec (an import), true is reported and the name is normalised.
        let got = props_of(&rr, "Z0ABC", None);
        assert_eq!(got["alias"]["evaluate_target_health"], true);
    }
}
