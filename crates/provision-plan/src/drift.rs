//! Drift: what changed outside provision since the state last recorded each object. This is
//! reported apart from the plan, which says what the spec asks for.

use provision_core::value::{self, same};
use provision_core::{Address, FieldMode, KindSchema, Observed, Value};
use provision_state::{ResourceStatus, State};
use serde::Serialize;
use std::collections::BTreeMap;

/// One object that changed outside provision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    pub address: Address,
    /// Deleted outside provision.
    pub gone: bool,
    /// The fields whose live value differs from the recorded one.
    pub fields: Vec<DriftField>,
    /// Fields whose values are secrets (never printed).
    #[serde(skip)]
    pub sensitive: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DriftField {
    pub field: String,
    pub recorded: Option<Value>,
    pub live: Option<Value>,
}

/// Compare what provision last applied to each object (the state's `desired`) with what the
/// refresh found. Objects still being created, fields the spec does not set, and fields AWS
/// computes or never reports, are left out.
pub fn drift(
    state: &State,
    live: &BTreeMap<Address, Observed>,
    schema_of: &dyn Fn(&str) -> Option<&'static KindSchema>,
) -> Vec<Drift> {
    let mut out = Vec::new();
    for (address, r) in &state.resources {
        if r.id.is_none() || !matches!(r.status, ResourceStatus::Ready | ResourceStatus::Pending) {
            continue;
        }
        let Some(schema) = schema_of(address.kind()) else {
            continue;
        };
        let sensitive: Vec<String> = schema
            .fields
            .iter()
            .filter(|f| f.sensitive)
            .map(|f| f.name.to_string())
            .collect();
        let Some(obs) = live.get(address) else {
            out.push(Drift {
                address: address.clone(),
                gone: true,
                fields: Vec::new(),
                sensitive,
            });
            continue;
        };
        let fields: Vec<DriftField> = schema
            .fields
            .iter()
            .filter(|f| matches!(f.mode, FieldMode::Mutable | FieldMode::ForceNew))
            // The baseline is what provision last applied; a field it does not manage says
            // nothing about drift.
            .filter(|f| r.desired.get(f.name).is_some_and(value::is_known))
            .filter(|f| {
                !same(
                    r.desired.get(f.name),
                    obs.properties.get(f.name),
                    f.unordered,
                )
            })
            .map(|f| DriftField {
                field: f.name.to_string(),
                recorded: r.desired.get(f.name).cloned(),
                live: obs.properties.get(f.name).cloned(),
            })
            .collect();
        if !fields.is_empty() {
            out.push(Drift {
                address: address.clone(),
                gone: false,
                fields,
                sensitive,
            });
        }
    }
    out
}
