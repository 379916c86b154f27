//! The plan as a document for machines: `provision diff --json`, described in
//! docs/plan-json.md and by the JSON Schema docs/plan.schema.json.

use crate::Drift;
use provision_core::value::Ref;
use provision_core::{Action, Change, Plan, ReplaceOrder, Value};
use serde_json::json;

/// The version of the document's format. A consumer should refuse a higher major version.
pub const PLAN_FORMAT_VERSION: u32 = 1;

/// The plan and the drift of `stack` as one JSON document.
pub fn plan_json(plan: &Plan, drift: &[Drift], stack: &str) -> Value {
    let s = plan.summary();
    json!({
        "format_version": PLAN_FORMAT_VERSION,
        "stack": stack,
        "summary": {"add": s.add, "change": s.change, "destroy": s.destroy},
        "changes": plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .map(change_json)
            .collect::<Vec<_>>(),
        "drift": drift.iter().map(drift_json).collect::<Vec<_>>(),
    })
}

/// A value as the document shows it: references become `{"known_after_apply": "addr#field"}`.
fn value_json(v: &Value) -> Value {
    if let Some(r) = Ref::from_value(v) {
        return json!({"known_after_apply": r.to_string()});
    }
    match v {
        Value::Array(items) => Value::Array(items.iter().map(value_json).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), value_json(v))).collect())
        }
        other => other.clone(),
    }
}

/// A field's value: a secret is `{"sensitive": true}`, never its value.
fn field_value(sensitive: bool, v: Option<&Value>) -> Value {
    match v {
        None => Value::Null,
        Some(v) if sensitive && Ref::from_value(v).is_none() => json!({"sensitive": true}),
        Some(v) => value_json(v),
    }
}

fn change_json(c: &Change) -> Value {
    let (action, order) = match c.action {
        Action::Create => ("create", None),
        Action::Update => ("update", None),
        Action::Replace(ReplaceOrder::CreateBeforeDestroy) => {
            ("replace", Some("create_before_destroy"))
        }
        Action::Replace(ReplaceOrder::DeleteFirst) => ("replace", Some("delete_first")),
        Action::Delete => ("delete", None),
        Action::NoOp => ("no_op", None),
    };
    let fields: Vec<Value> = match c.action {
        Action::Create => c
            .after
            .as_ref()
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        json!({
                            "name": k,
                            "before": Value::Null,
                            "after": field_value(c.is_sensitive(k), Some(v)),
                            "forces_replacement": false,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => c
            .fields
            .iter()
            .map(|f| {
                let sensitive = c.is_sensitive(&f.field);
                json!({
                    "name": f.field,
                    "before": field_value(sensitive, f.before.as_ref()),
                    "after": field_value(sensitive, f.after.as_ref()),
                    "forces_replacement": f.forces_replacement,
                })
            })
            .collect(),
    };
    json!({
        "address": c.address.to_string(),
        "kind": c.address.kind(),
        "region": c.address.region(),
        "action": action,
        "replace_order": order,
        "reasons": c.reasons,
        "fields": fields,
    })
}

fn drift_json(d: &Drift) -> Value {
    json!({
        "address": d.address.to_string(),
        "gone": d.gone,
        "fields": d.fields.iter().map(|f| {
            let sensitive = d.sensitive.contains(&f.field);
            json!({
                "name": f.field,
                "recorded": field_value(sensitive, f.recorded.as_ref()),
                "live": field_value(sensitive, f.live.as_ref()),
            })
        }).collect::<Vec<_>>(),
    })
}
