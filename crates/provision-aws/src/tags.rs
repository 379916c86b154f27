//! Tags, the same way in every service crate: which tags a user manages, which resource a tag
//! set names, and what to set and remove to reach the desired tags.

use provision_core::{Address, ReconcileContext, Value, TAG_ADDRESS};
use std::collections::BTreeMap;

use crate::props::Props;

fn is_user_tag(key: &str) -> bool {
    !key.starts_with("provision:") && !key.starts_with("aws:")
}

/// The tags a user manages, as the `tags` property: everything but `provision:*` and `aws:*`.
pub fn user_tags(tags: &BTreeMap<String, String>) -> Value {
    Value::Object(
        tags.iter()
            .filter(|(k, _)| is_user_tag(k))
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// The resource a tag set names, by its `provision:address` tag.
pub fn address_tag(tags: &BTreeMap<String, String>) -> Option<Address> {
    tags.get(TAG_ADDRESS)?.parse().ok()
}

/// What to change to bring a resource's tags to the desired set.
#[derive(Debug, Default, PartialEq)]
pub struct TagDiff {
    /// Tags to create or overwrite.
    pub set: BTreeMap<String, String>,
    /// User tags no longer wanted.
    pub remove: Vec<String>,
}

impl TagDiff {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.remove.is_empty()
    }
}

/// Compare the observed `tags` property with the tags the resource should carry (its `tags`
/// property plus the provision tags, which are always (re)written when missing).
pub fn tag_diff(
    cx: &ReconcileContext,
    address: &Address,
    observed: &Props,
    desired: &Props,
) -> TagDiff {
    let want = cx.tags_for(address, desired);
    let have = crate::props::string_map(observed, "tags");
    TagDiff {
        set: want
            .iter()
            .filter(|(k, v)| have.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        remove: have
            .keys()
            .filter(|k| is_user_tag(k) && !want.contains_key(*k))
            .cloned()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_sets_changed_and_removes_dropped_user_tags() {
        let cx = ReconcileContext {
            stack: "s-dev".into(),
        };
        let a: Address = "us-east-1/ec2.vpc/main".parse().unwrap();
        let observed = json!({"tags": {"A": "1", "B": "2"}});
        let desired = json!({"tags": {"A": "1", "C": "3"}});
        let d = tag_diff(
            &cx,
            &a,
            observed.as_object().unwrap(),
            desired.as_object().unwrap(),
        );
        assert_eq!(d.remove, vec!["B".to_string()]);
        assert_eq!(d.set.get("C").map(String::as_str), Some("3"));
        // observed tags exclude provision:*, so they are always (re)written.
        assert!(d.set.contains_key("provision:address"));
        assert!(!d.set.contains_key("A"));
    }
}
