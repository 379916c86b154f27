//! Property values and references between resources.
//!
//! A reference is a JSON object `{"$ref": "<address>#<field>"}`. It stands anywhere inside a
//! resource's properties and becomes an edge of the DAG. At apply time it is replaced by the
//! field's value from the referenced resource's observed state.

use crate::{Address, Value};
use serde::{Deserialize, Serialize};
use std::fmt;

const REF_KEY: &str = "$ref";

/// A reference to `field` of the resource at `address`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ref {
    pub address: Address,
    pub field: String,
}

impl Ref {
    pub fn new(address: Address, field: impl Into<String>) -> Self {
        Self {
            address,
            field: field.into(),
        }
    }

    /// The JSON encoding of this reference.
    pub fn to_value(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert(REF_KEY.into(), Value::String(self.to_string()));
        Value::Object(m)
    }

    /// Decode a reference if `v` is one.
    pub fn from_value(v: &Value) -> Option<Ref> {
        let obj = v.as_object()?;
        if obj.len() != 1 {
            return None;
        }
        let s = obj.get(REF_KEY)?.as_str()?;
        let (addr, field) = s.rsplit_once('#')?;
        Some(Ref::new(addr.parse().ok()?, field))
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.address, self.field)
    }
}

/// Every reference inside `v`, in document order.
pub fn refs(v: &Value) -> Vec<Ref> {
    let mut out = Vec::new();
    walk_refs(v, &mut out);
    out
}

fn walk_refs(v: &Value, out: &mut Vec<Ref>) {
    if let Some(r) = Ref::from_value(v) {
        out.push(r);
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| walk_refs(i, out)),
        Value::Object(m) => m.values().for_each(|i| walk_refs(i, out)),
        _ => {}
    }
}

/// True when `v` holds no reference, i.e. its value is fully known.
pub fn is_known(v: &Value) -> bool {
    refs(v).is_empty()
}

/// Replace every reference that `lookup` can answer by its value. References it cannot answer
/// stay in place: their values are known only after apply.
pub fn resolve(v: &Value, lookup: &dyn Fn(&Ref) -> Option<Value>) -> Value {
    if let Some(r) = Ref::from_value(v) {
        return lookup(&r).unwrap_or_else(|| v.clone());
    }
    match v {
        Value::Array(items) => Value::Array(items.iter().map(|i| resolve(i, lookup)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, i)| (k.clone(), resolve(i, lookup)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// One resource the spec asks for: its address, its properties (which may hold references),
/// and explicit dependencies beyond those references.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceDecl {
    pub address: Address,
    pub properties: serde_json::Map<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Address>,
    /// Addresses this resource was known by before (Terraform's `moved`): a recorded resource
    /// at one of them, which the spec no longer declares, is this one, kept and updated, not
    /// deleted and created again. A read replica promoted to primary moves this way.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved_from: Vec<Address>,
}

impl ResourceDecl {
    pub fn new(address: Address) -> Self {
        Self {
            address,
            properties: serde_json::Map::new(),
            depends_on: Vec::new(),
            moved_from: Vec::new(),
        }
    }

    /// Builder-style: this resource may be recorded under `old` (see [`ResourceDecl::moved_from`]).
    pub fn moved_from(mut self, old: &Address) -> Self {
        if !self.moved_from.contains(old) && *old != self.address {
            self.moved_from.push(old.clone());
        }
        self
    }

    /// Builder-style property setter.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.properties.insert(key.to_string(), value.into());
        self
    }

    /// Builder-style reference setter: `key` takes `field` of `target`.
    pub fn with_ref(mut self, key: &str, target: &Address, field: &str) -> Self {
        self.properties
            .insert(key.to_string(), Ref::new(target.clone(), field).to_value());
        self
    }

    pub fn depends_on(mut self, target: &Address) -> Self {
        if !self.depends_on.contains(target) {
            self.depends_on.push(target.clone());
        }
        self
    }

    /// Every address this resource depends on: references plus explicit depends_on, deduplicated.
    pub fn dependencies(&self) -> Vec<Address> {
        let mut out: Vec<Address> = Vec::new();
        for r in refs(&Value::Object(self.properties.clone())) {
            if !out.contains(&r.address) {
                out.push(r.address);
            }
        }
        for d in &self.depends_on {
            if !out.contains(d) {
                out.push(d.clone());
            }
        }
        out
    }
}

fn is_empty_value(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    }
}

/// Whether two values of a field are the same for planning: absent, null and empty are alike,
/// and an unordered list compares as a set.
pub fn same(a: Option<&Value>, b: Option<&Value>, unordered: bool) -> bool {
    if is_empty_value(a) && is_empty_value(b) {
        return true;
    }
    match (a, b) {
        (Some(Value::Array(x)), Some(Value::Array(y))) if unordered => {
            let mut x: Vec<String> = x.iter().map(Value::to_string).collect();
            let mut y: Vec<String> = y.iter().map(Value::to_string).collect();
            x.sort();
            y.sort();
            x == y
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn refs_round_trip_and_resolve() {
        let vpc: Address = "us-east-1/ec2.vpc/main".parse().unwrap();
        let r = Ref::new(vpc.clone(), "id");
        let v = json!({"vpc_id": r.to_value(), "list": [r.to_value(), 3]});
        assert_eq!(refs(&v).len(), 2);
        assert!(!is_known(&v));
        let resolved = resolve(&v, &|rr| {
            (rr.address == vpc && rr.field == "id").then(|| json!("vpc-1"))
        });
        assert_eq!(resolved, json!({"vpc_id": "vpc-1", "list": ["vpc-1", 3]}));
        assert!(is_known(&resolved));
    }

    #[test]
    fn dependencies_merge_refs_and_explicit() {
        let vpc: Address = "us-east-1/ec2.vpc/main".parse().unwrap();
        let igw: Address = "us-east-1/ec2.internet_gateway/main".parse().unwrap();
        let d = ResourceDecl::new("us-east-1/ec2.subnet/a".parse().unwrap())
            .with_ref("vpc_id", &vpc, "id")
            .depends_on(&igw)
            .depends_on(&vpc);
        assert_eq!(d.dependencies(), vec![vpc, igw]);
    }
}
