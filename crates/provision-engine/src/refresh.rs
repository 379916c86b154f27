//! Refresh: observe what is live, batched per (kind, region). Each group is one reconciler
//! `observe` call; groups run concurrently within a limit.

use futures::stream::{self, StreamExt};
use provision_core::value;
use provision_core::{
    Address, Observed, ReconcileContext, ReconcileError, Registry, ResourceDecl, Target, Value,
};
use provision_state::State;
use std::collections::{BTreeMap, BTreeSet};

/// How many (kind, region) groups are observed at once: well under EC2's describe throttles.
const GROUPS_IN_FLIGHT: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("refreshing {kind} in {region} failed; check credentials and connectivity (AWS_PROFILE, AWS_ENDPOINT_URL), then run again")]
    Observe {
        kind: String,
        region: String,
        #[source]
        source: ReconcileError,
    },
    #[error("{address}: kind `{kind}` is not known to this build of provision")]
    UnknownKind { address: Address, kind: String },
}

/// Observe every recorded resource, grouped by (kind, region). Desired resources of a group that
/// is observed anyway are passed along too, so objects whose create was interrupted are found
/// and adopted. A group with nothing recorded makes no call: a fresh stack refreshes for free.
pub async fn refresh(
    registry: &Registry,
    cx: &ReconcileContext,
    state: &State,
    desired: &[ResourceDecl],
) -> Result<BTreeMap<Address, Observed>, RefreshError> {
    let mut groups: BTreeMap<(String, String), Vec<Target>> = BTreeMap::new();
    for (address, r) in &state.resources {
        let desired = (!r.desired.is_empty()).then(|| Value::Object(r.desired.clone()));
        groups
            .entry((address.kind().to_string(), address.region().to_string()))
            .or_default()
            .push(Target {
                address: address.clone(),
                id: r.id.clone(),
                desired,
                tokens: r
                    .intent
                    .as_ref()
                    .filter(|i| r.id.is_none() && i.op == provision_state::IntentOp::Create)
                    .map(|i| vec![i.token.clone()])
                    .unwrap_or_default(),
            });
    }
    // Resolve desired properties against what the state knows, for natural-key lookups.
    let known = |r: &value::Ref| -> Option<Value> {
        let rs = state.resources.get(&r.address)?;
        match r.field.as_str() {
            "id" => rs.id.clone().map(Value::String),
            "arn" => rs.arn.clone().map(Value::String),
            f => rs.observed.get(f).cloned(),
        }
    };
    for d in desired {
        let key = (d.address.kind().to_string(), d.address.region().to_string());
        if let Some(targets) = groups.get_mut(&key) {
            if targets.iter().all(|t| t.address != d.address) {
                targets.push(Target {
                    address: d.address.clone(),
                    id: None,
                    desired: Some(value::resolve(&Value::Object(d.properties.clone()), &known)),
                    tokens: Vec::new(),
                });
            }
        }
    }
    for (kind, _) in groups.keys() {
        if registry.get(kind).is_none() {
            let address = groups
                .get(&(kind.clone(), String::new()))
                .and_then(|t| t.first().map(|t| t.address.clone()))
                .or_else(|| state.resources.keys().find(|a| a.kind() == kind).cloned());
            if let Some(address) = address {
                return Err(RefreshError::UnknownKind {
                    address,
                    kind: kind.clone(),
                });
            }
        }
    }
    let results: Vec<Result<Vec<Observed>, RefreshError>> = stream::iter(groups)
        .map(|((kind, region), targets)| async move {
            let Some(r) = registry.get(&kind) else {
                return Ok(Vec::new());
            };
            tracing::debug!(%kind, %region, targets = targets.len(), "observe");
            r.observe(cx, &region, &targets)
                .await
                .map_err(|source| RefreshError::Observe {
                    kind: kind.clone(),
                    region: region.clone(),
                    source,
                })
        })
        .buffer_unordered(GROUPS_IN_FLIGHT)
        .collect()
        .await;
    let wanted: BTreeSet<&Address> = state
        .resources
        .keys()
        .chain(desired.iter().map(|d| &d.address))
        .collect();
    let mut out: BTreeMap<Address, Observed> = BTreeMap::new();
    for r in results {
        for o in r? {
            // Objects tagged for this stack that neither the state nor the spec knows are not
            // ours to touch here; they are reported by the caller.
            if !wanted.contains(&o.address) {
                tracing::warn!(address = %o.address, id = %o.id, "found an object tagged for this stack that neither the state nor the spec knows; leaving it alone");
                continue;
            }
            let recorded = state.resources.get(&o.address);
            // A superseded object of an interrupted create-before-destroy replacement carries
            // the same address tag; it is the state's to delete, never the live object.
            if recorded.is_some_and(|r| r.deposed.iter().any(|d| d.id == o.id)) {
                continue;
            }
            let recorded_id = recorded.and_then(|r| r.id.as_deref());
            if let Some(seen) = out.get(&o.address) {
                // Several objects claim one address: the one the state records wins, else the
                // first seen. The others are left alone.
                let (keep, other) = if recorded_id == Some(o.id.as_str()) {
                    (&o.id, &seen.id)
                } else {
                    (&seen.id, &o.id)
                };
                tracing::warn!(address = %o.address, kept = %keep, other = %other, "several objects carry this address tag; leaving the others alone");
                if recorded_id != Some(o.id.as_str()) {
                    continue;
                }
            }
            out.insert(o.address.clone(), o);
        }
    }
    Ok(out)
}
