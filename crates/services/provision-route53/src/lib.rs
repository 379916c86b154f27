//! Amazon Route 53 reconcilers: public hosted zones, health checks, and record sets.
//!
//! Route 53 is a global service: these kinds live at `global` addresses, and their API calls
//! are signed for us-east-1 (see [`placement`]).
//!
//! Refresh: one paged ListHostedZones and one paged ListHealthChecks, ListTagsForResources in
//! batches of 10 ids (its limit) for the zones and health checks that can be this stack's, one
//! GetHostedZone per found zone (the listing carries no name servers), and one paged
//! ListResourceRecordSets per distinct zone among the records.
//!
//! Changes to zones and records are asynchronous in AWS: CreateHostedZone and
//! ChangeResourceRecordSets answer a change that is `PENDING` until every Route 53 name server
//! has it. Their reconcilers keep the change's id as the computed `change_id`, and `ready()`
//! polls GetChange until it is `INSYNC`.

mod health_check;
mod record;
mod zone;

use aws_sdk_route53::types::{ChangeStatus, Tag, TagResourceType};
use aws_sdk_route53::Client;
use provision_aws::props::Props;
use provision_aws::tags::tag_diff;
use provision_aws::{classify as err, AwsConfigs};
use provision_core::{Address, Readiness, ReconcileContext, ReconcileError, Reconciler, GLOBAL};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Every Route 53 reconciler.
pub fn reconcilers(configs: AwsConfigs) -> Vec<Arc<dyn Reconciler>> {
    vec![
        Arc::new(zone::Zone(configs.clone())),
        Arc::new(health_check::HealthCheck(configs.clone())),
        Arc::new(record::Record(configs)),
    ]
}

/// Route 53's API is global; AWS signs its calls for us-east-1.
const GLOBAL_API_REGION: &str = "us-east-1";

/// The API region of an address's region.
fn placement(region: &str) -> &str {
    if region == GLOBAL {
        GLOBAL_API_REGION
    } else {
        region
    }
}

/// The retrying client. Every Route 53 create is safe to resend: CreateHostedZone and
/// CreateHealthCheck carry the intent token as CallerReference, and records are UPSERTs.
async fn client(configs: &AwsConfigs, region: &str) -> Client {
    Client::new(&configs.retrying(placement(region)).await)
}

/// An id as the API answers it (`/hostedzone/Z123`, `/change/C123`) without its prefix.
fn bare_id(id: &str) -> String {
    id.rsplit('/').next().unwrap_or(id).to_string()
}

/// A DNS name as Route 53 compares it: octal escapes (`\052` for `*`) decoded, lowercase,
/// without the trailing dot.
fn dns_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let digits: String = chars.clone().take(3).collect();
            if digits.len() == 3 && digits.chars().all(|d| d.is_digit(8)) {
                if let Some(decoded) = u8::from_str_radix(&digits, 8)
                    .ok()
                    .filter(u8::is_ascii)
                    .map(char::from)
                {
                    out.push(decoded);
                    chars.nth(2);
                    continue;
                }
            }
        }
        out.push(c);
    }
    let lower = out.to_lowercase();
    lower.strip_suffix('.').unwrap_or(&lower).to_string()
}

/// The spelling to report for a DNS name AWS answered: the desired one when both name the
/// same thing (so `Example.com.` in a spec is no diff), else the normalised live one.
fn spelled_as_desired(live: &str, desired: Option<&str>) -> String {
    match desired {
        Some(d) if dns_name(d) == dns_name(live) => d.to_string(),
        _ => dns_name(live),
    }
}

fn r53_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// The tags of each id, in batches of 10 (ListTagsForResources' limit).
async fn tags_of(
    client: &Client,
    kind: TagResourceType,
    ids: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, ReconcileError> {
    let mut out = BTreeMap::new();
    for batch in ids.chunks(10) {
        let r = client
            .list_tags_for_resources()
            .resource_type(kind.clone())
            .set_resource_ids(Some(batch.to_vec()))
            .send()
            .await
            .map_err(err)?;
        for set in r.resource_tag_sets() {
            let Some(id) = set.resource_id() else {
                continue;
            };
            let tags = set
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
                .collect();
            out.insert(bare_id(id), tags);
        }
    }
    Ok(out)
}

/// Set and remove tags, 10 of each per call (ChangeTagsForResource's limit).
async fn change_tags(
    client: &Client,
    kind: TagResourceType,
    id: &str,
    set: &BTreeMap<String, String>,
    remove: &[String],
) -> Result<(), ReconcileError> {
    let set = r53_tags(set);
    let rounds = set.len().div_ceil(10).max(remove.len().div_ceil(10));
    for i in 0..rounds {
        let add: Vec<Tag> = set.iter().skip(i * 10).take(10).cloned().collect();
        let drop: Vec<String> = remove.iter().skip(i * 10).take(10).cloned().collect();
        client
            .change_tags_for_resource()
            .resource_type(kind.clone())
            .resource_id(id)
            .set_add_tags((!add.is_empty()).then_some(add))
            .set_remove_tag_keys((!drop.is_empty()).then_some(drop))
            .send()
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// Bring the tags of a zone or health check to the desired set.
async fn retag(
    client: &Client,
    cx: &ReconcileContext,
    kind: TagResourceType,
    address: &Address,
    id: &str,
    observed: &Props,
    desired: &Props,
) -> Result<(), ReconcileError> {
    let diff = tag_diff(cx, address, observed, desired);
    if diff.is_empty() {
        return Ok(());
    }
    change_tags(client, kind, id, &diff.set, &diff.remove).await
}

/// Readiness of a change (a zone's creation, a record's UPSERT): ready once `INSYNC`. A change
/// AWS no longer knows is long done.
async fn change_readiness(
    client: &Client,
    what: &str,
    change_id: Option<&str>,
) -> Result<Readiness, ReconcileError> {
    let Some(id) = change_id.filter(|id| !id.is_empty()) else {
        return Ok(Readiness::Ready);
    };
    let r = client.get_change().id(id).send().await.map_err(err);
    let out = match r {
        Ok(o) => o,
        Err(e) if e.is_not_found() => return Ok(Readiness::Ready),
        Err(e) => return Err(e),
    };
    Ok(match out.change_info().map(|c| c.status()) {
        Some(ChangeStatus::Insync) => Readiness::Ready,
        Some(s) => Readiness::Pending(format!("{what}: change {id} is {}", s.as_str())),
        None => Readiness::Pending(format!("{what}: change {id} has no status yet")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_lose_their_prefix() {
        assert_eq!(bare_id("/hostedzone/Z0123ABC"), "Z0123ABC");
        assert_eq!(bare_id("/change/C42"), "C42");
        assert_eq!(bare_id("Z0123ABC"), "Z0123ABC");
    }

    #[test]
    fn dns_names_compare_without_dot_case_or_escapes() {
        assert_eq!(dns_name("Example.COM."), "example.com");
        assert_eq!(dns_name("example.com"), "example.com");
        assert_eq!(dns_name("\\052.example.com."), "*.example.com");
        // Not an escape: kept as it is.
        assert_eq!(dns_name("a\\9.example.com"), "a\\9.example.com");
        assert_eq!(
            spelled_as_desired("api.example.com.", Some("API.example.com")),
            "API.example.com"
        );
        assert_eq!(
            spelled_as_desired("api.example.com.", Some("www.example.com")),
            "api.example.com"
        );
        assert_eq!(
            spelled_as_desired("api.example.com.", None),
            "api.example.com"
        );
    }

    #[test]
    fn global_addresses_call_us_east_1() {
        assert_eq!(placement(GLOBAL), "us-east-1");
        assert_eq!(placement("cn-north-1"), "cn-north-1");
    }
}
