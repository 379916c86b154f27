//! `route53.zone`: a public hosted zone.
//!
//! Its id is the zone id without the `/hostedzone/` prefix (also the computed `zone_id`).
//! Zone names are not unique in Route 53, so a zone without a recorded id is found by its name
//! *and* a `provision:address` tag naming this address; an untagged zone of the same name is
//! adopted only if its CallerReference is the token of a create of this address whose outcome
//! is unknown (`Target::tokens`: a run killed between the create and the tagging). Create
//! Hosted Zone takes the intent token as CallerReference: a resend answers
//! HostedZoneAlreadyExists, and the create then finds its zone by that reference. The zone's
//! tags are written right after (CreateHostedZone takes none).
//!
//! Refresh: one paged ListHostedZones, ListTagsForResources in batches of 10 for the zones that
//! match a target (by id or by name), and one GetHostedZone per found zone for its name
//! servers. Update: UpdateHostedZoneComment and ChangeTagsForResource. The name replaces the
//! zone. `ready()` waits for the creation's change (`change_id`) to be INSYNC.

use crate::{bare_id, change_readiness, change_tags, client, dns_name, retag, spelled_as_desired};
use crate::{err, tags_of};
use async_trait::async_trait;
use aws_sdk_route53::types::{HostedZone, HostedZoneConfig, TagResourceType};
use aws_sdk_route53::Client;
use provision_aws::props::{opt_s, s, target_name, Props};
use provision_aws::tags::{address_tag, user_tags};
use provision_aws::AwsConfigs;
use provision_core::*;
use std::collections::BTreeMap;

pub struct Zone(pub AwsConfigs);

static SCHEMA: KindSchema = KindSchema {
    kind: "route53.zone",
    fields: &[
        FieldSchema::force_new("name"),
        FieldSchema::mutable("comment"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("zone_id"),
        FieldSchema::computed("name_servers"),
        FieldSchema::computed("change_id"),
    ],
    // Zone names are not unique, so the new zone can exist beside the old one; records move
    // to it (their zone_id forces their replacement) before the old zone is deleted.
    replace_order: ReplaceOrder::CreateBeforeDestroy,
    taggable: true,
};

const KIND: TagResourceType = TagResourceType::Hostedzone;

/// The properties of a listed zone, in the spec's shape.
fn props_of(
    zone: &HostedZone,
    name_servers: &[String],
    tags: &BTreeMap<String, String>,
    desired_name: Option<&str>,
) -> Props {
    let mut p = Props::new();
    p.insert(
        "name".into(),
        spelled_as_desired(zone.name(), desired_name).into(),
    );
    p.insert(
        "comment".into(),
        zone.config()
            .and_then(|c| c.comment())
            .unwrap_or_default()
            .into(),
    );
    p.insert("tags".into(), user_tags(tags));
    p.insert("zone_id".into(), bare_id(zone.id()).into());
    p.insert("name_servers".into(), Value::from(name_servers.to_vec()));
    p
}

fn is_public(zone: &HostedZone) -> bool {
    !zone.config().is_some_and(|c| c.private_zone())
}

/// The name servers of a zone; None if the zone is gone.
async fn name_servers(client: &Client, id: &str) -> Result<Option<Vec<String>>, ReconcileError> {
    match client.get_hosted_zone().id(id).send().await.map_err(err) {
        Ok(o) => Ok(Some(
            o.delegation_set()
                .map(|d| d.name_servers().to_vec())
                .unwrap_or_default(),
        )),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The zone a CreateHostedZone with this CallerReference made (after HostedZoneAlreadyExists).
async fn zone_by_reference(
    client: &Client,
    name: &str,
    reference: &str,
) -> Result<Option<HostedZone>, ReconcileError> {
    let wanted = dns_name(name);
    let (mut start_name, mut start_id): (Option<String>, Option<String>) =
        (Some(wanted.clone()), None);
    loop {
        let out = client
            .list_hosted_zones_by_name()
            .set_dns_name(start_name.clone())
            .set_hosted_zone_id(start_id.clone())
            .send()
            .await
            .map_err(err)?;
        for z in out.hosted_zones() {
            if dns_name(z.name()) != wanted {
                // Sorted by name: past every zone of this name.
                return Ok(None);
            }
            if z.caller_reference() == reference {
                return Ok(Some(z.clone()));
            }
        }
        let next = (out.next_dns_name(), out.next_hosted_zone_id());
        match next {
            (Some(n), Some(i)) if out.is_truncated() && Some(i) != start_id.as_deref() => {
                start_name = Some(n.to_string());
                start_id = Some(i.to_string());
            }
            _ => return Ok(None),
        }
    }
}

#[async_trait]
impl Reconciler for Zone {
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
        let zones: Vec<HostedZone> = client
            .list_hosted_zones()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(err)?
            .into_iter()
            .filter(is_public)
            .collect();
        // The zones each target may be: its recorded one, or those of its name.
        let candidates: Vec<(&Target, Vec<&HostedZone>)> = targets
            .iter()
            .map(|t| {
                let found = match &t.id {
                    Some(id) => zones.iter().filter(|z| bare_id(z.id()) == *id).collect(),
                    None => match target_name(t, "name") {
                        Some(n) => zones
                            .iter()
                            .filter(|z| dns_name(z.name()) == dns_name(&n))
                            .collect(),
                        None => Vec::new(),
                    },
                };
                (t, found)
            })
            .collect();
        let mut ids: Vec<String> = candidates
            .iter()
            .flat_map(|(_, zs)| zs.iter().map(|z| bare_id(z.id())))
            .collect();
        ids.sort();
        ids.dedup();
        let tags = tags_of(&client, KIND, &ids).await?;
        let mut out = Vec::new();
        for (t, zs) in candidates {
            let claimed = zs.into_iter().find(|z| {
                let address = tags.get(&bare_id(z.id())).and_then(address_tag);
                match t.id {
                    // A recorded zone is ours unless it names another address.
                    Some(_) => address.is_none_or(|a| a == t.address),
                    // Names are not unique: only a zone tagged for this address is adopted, or
                    // one made by a create of it whose run died before tagging it (its
                    // CallerReference is that create's token).
                    None => {
                        address.as_ref().is_some_and(|a| *a == t.address)
                            || (address.is_none()
                                && t.tokens.iter().any(|k| z.caller_reference() == k))
                    }
                }
            });
            let Some(zone) = claimed else { continue };
            let id = bare_id(zone.id());
            let Some(ns) = name_servers(&client, &id).await? else {
                continue;
            };
            let desired_name = t
                .desired
                .as_ref()
                .and_then(|d| d.get("name"))
                .and_then(Value::as_str);
            let zone_tags = tags.get(&id).cloned().unwrap_or_default();
            out.push(Observed {
                address: t.address.clone(),
                id,
                arn: None,
                properties: props_of(zone, &ns, &zone_tags, desired_name),
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
        let client = client(&self.0, region).await;
        let config = HostedZoneConfig::builder()
            .set_comment(opt_s(p, "comment").filter(|c| !c.is_empty()))
            .private_zone(false)
            .build();
        let r = client
            .create_hosted_zone()
            .name(&name)
            .caller_reference(&req.token)
            .hosted_zone_config(config)
            .send()
            .await
            .map_err(err);
        let (zone, change_id, ns) = match r {
            Ok(o) => (
                o.hosted_zone()
                    .cloned()
                    .ok_or_else(|| ReconcileError::invalid("CreateHostedZone returned no zone"))?,
                o.change_info().map(|c| bare_id(c.id())),
                o.delegation_set()
                    .map(|d| d.name_servers().to_vec())
                    .unwrap_or_default(),
            ),
            // A resend of this very create (its answer was lost): the zone with our
            // CallerReference is ours.
            Err(e) if e.code.as_deref() == Some("HostedZoneAlreadyExists") => {
                let Some(zone) = zone_by_reference(&client, &name, &req.token).await? else {
                    return Err(e);
                };
                tracing::info!(address = %req.address, zone = zone.id(), "adopting the zone an earlier attempt of this create made");
                let ns = name_servers(&client, &bare_id(zone.id()))
                    .await?
                    .unwrap_or_default();
                (zone, None, ns)
            }
            Err(e) => return Err(e),
        };
        let id = bare_id(zone.id());
        let tags = cx.tags_for(&req.address, p);
        change_tags(&client, KIND, &id, &tags, &[]).await?;
        let mut props = props_of(&zone, &ns, &tags, Some(&name));
        if let Some(c) = change_id {
            props.insert("change_id".into(), c.into());
        }
        Ok(Observed {
            address: req.address.clone(),
            id,
            arn: None,
            properties: props,
        })
    }

    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &Props,
    ) -> Result<Observed, ReconcileError> {
        let client = client(&self.0, region).await;
        let id = &observed.id;
        if desired.contains_key("comment")
            && !value::same(
                observed.properties.get("comment"),
                desired.get("comment"),
                false,
            )
        {
            client
                .update_hosted_zone_comment()
                .id(id)
                .set_comment(opt_s(desired, "comment").filter(|c| !c.is_empty()))
                .send()
                .await
                .map_err(err)?;
        }
        retag(
            &client,
            cx,
            KIND,
            &observed.address,
            id,
            &observed.properties,
            desired,
        )
        .await?;
        let mut props = desired.clone();
        for computed in ["zone_id", "name_servers"] {
            if let Some(v) = observed.properties.get(computed) {
                props.insert(computed.into(), v.clone());
            }
        }
        props.insert(
            "tags".into(),
            user_tags(&cx.tags_for(&observed.address, desired)),
        );
        Ok(Observed {
            address: observed.address.clone(),
            id: id.clone(),
            arn: None,
            properties: props,
        })
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        // HostedZoneNotEmpty while records remain is a conflict the engine retries: the
        // records of this stack are deleted first, as they depend on the zone.
        let r = client(&self.0, region)
            .await
            .delete_hosted_zone()
            .id(&observed.id)
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
        let change = observed.properties.get("change_id").and_then(Value::as_str);
        let what = format!(
            "hosted zone {}",
            observed
                .properties
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&observed.id)
        );
        change_readiness(&client(&self.0, region).await, &what, change).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn zone(name: &str, comment: Option<&str>, private: bool) -> HostedZone {
        HostedZone::builder()
            .id("/hostedzone/Z0ABC")
            .name(name)
            .caller_reference("ref")
            .config(
                HostedZoneConfig::builder()
                    .set_comment(comment.map(str::to_string))
                    .private_zone(private)
                    .build(),
            )
            .build()
            .unwrap()
    }

    #[test]
    fn listed_zones_read_in_the_spec_shape() {
        let tags = BTreeMap::from([
            (
                "provision:address".to_string(),
                "global/route53.zone/main".to_string(),
            ),
            ("Project".to_string(), "p".to_string()),
        ]);
        let p = props_of(
            &zone("example.com.", Some("main zone"), false),
            &["ns-1.example.net".to_string()],
            &tags,
            Some("example.com"),
        );
        assert_eq!(
            Value::Object(p),
            json!({
                "name": "example.com",
                "comment": "main zone",
                "tags": {"Project": "p"},
                "zone_id": "Z0ABC",
                "name_servers": ["ns-1.example.net"],
            })
        );
        // Without a comment, and with another spelling in the spec.
        let p = props_of(
            &zone("Example.com.", None, false),
            &[],
            &tags,
            Some("example.COM."),
        );
        assert_eq!(p["name"], "example.COM.");
        assert_eq!(p["comment"], "");
    }

    #[test]
    fn private_zones_are_not_candidates() {
        assert!(is_public(&zone("a.test.", None, false)));
        assert!(!is_public(&zone("a.test.", None, true)));
    }
}
