//! Reading spec-shaped properties, the same way in every service crate.

use provision_core::{Address, Observed, ReconcileError, Target, Value};

pub type Props = serde_json::Map<String, Value>;

/// A required string property.
pub fn s(props: &Props, key: &str) -> Result<String, ReconcileError> {
    props
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ReconcileError::invalid(format!("property `{key}` must be a string")))
}

pub fn opt_s(props: &Props, key: &str) -> Option<String> {
    props.get(key).and_then(Value::as_str).map(str::to_string)
}

pub fn b(props: &Props, key: &str, default: bool) -> bool {
    props.get(key).and_then(Value::as_bool).unwrap_or(default)
}

pub fn i(props: &Props, key: &str) -> Option<i32> {
    props
        .get(key)
        .and_then(Value::as_i64)
        .and_then(|v| i32::try_from(v).ok())
}

/// A list of strings (absent: empty).
pub fn strings(props: &Props, key: &str) -> Vec<String> {
    props
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A map of strings (absent: empty).
pub fn string_map(props: &Props, key: &str) -> std::collections::BTreeMap<String, String> {
    props
        .get(key)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the desired and observed values of `key` differ.
pub fn differs(observed: &Props, desired: &Props, key: &str) -> bool {
    observed.get(key) != desired.get(key)
}

/// The observed value a create or update leaves: the desired properties with the id.
pub fn observed_from(address: &Address, id: String, desired: &Props) -> Observed {
    Observed {
        address: address.clone(),
        id,
        arn: None,
        properties: desired.clone(),
    }
}

/// A sorted list of strings as a JSON value (for set-like fields).
pub fn sorted(mut v: Vec<String>) -> Value {
    v.sort();
    v.dedup();
    Value::from(v)
}

/// Whether two list fields hold the same strings, in any order.
pub fn same_set(observed: &Props, desired: &Props, key: &str) -> bool {
    let (mut a, mut b) = (strings(observed, key), strings(desired, key));
    a.sort();
    b.sort();
    a == b
}

/// The natural key a target stands for: its recorded id, or the desired `key` property (an
/// object whose create answer was lost has no id yet, but its name is known).
pub fn target_name(t: &Target, key: &str) -> Option<String> {
    t.id.clone().or_else(|| {
        t.desired
            .as_ref()
            .and_then(|d| d.as_object())
            .and_then(|d| opt_s(d, key))
    })
}

/// The outcome of a delete: NotFound is success.
pub fn gone_ok<T>(r: Result<T, ReconcileError>) -> Result<(), ReconcileError> {
    match r {
        Err(e) if !e.is_not_found() => Err(e),
        _ => Ok(()),
    }
}

/// Readiness from an AWS status string: `ready` statuses are ready, `failed` ones failed, any
/// other is still pending. `what` names the object in messages ("EKS cluster pyairtable-prod").
pub fn readiness(
    what: &str,
    status: Option<&str>,
    ready: &[&str],
    failed: &[&str],
) -> provision_core::Readiness {
    use provision_core::Readiness;
    match status {
        Some(s) if ready.contains(&s) => Readiness::Ready,
        Some(s) if failed.contains(&s) => Readiness::Failed(format!("{what} is {s}")),
        other => Readiness::Pending(format!("{what} is {}", other.unwrap_or("unknown"))),
    }
}

/// The readiness of an object that can no longer be found while it was being created.
pub fn vanished(what: &str) -> provision_core::Readiness {
    provision_core::Readiness::Failed(format!("{what} disappeared while it was being created"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use provision_core::Readiness;

    #[test]
    fn readiness_from_status() {
        let r = |s| readiness("DB instance x", s, &["available"], &["failed"]);
        assert_eq!(r(Some("available")), Readiness::Ready);
        assert_eq!(
            r(Some("failed")),
            Readiness::Failed("DB instance x is failed".into())
        );
        assert_eq!(
            r(Some("creating")),
            Readiness::Pending("DB instance x is creating".into())
        );
        assert_eq!(
            r(None),
            Readiness::Pending("DB instance x is unknown".into())
        );
    }
}
