//! The state data model: what `state/<stack>.json` holds.

use provision_core::{Address, Observed, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

/// The state file format this build reads and writes. A file with a higher version is refused.
pub const FORMAT_VERSION: u32 = 1;

/// The recorded state of one stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub format_version: u32,
    /// Bumped by every write that changes the content.
    pub serial: u64,
    /// A uuid v4 set when the state is first created; it never changes afterwards.
    pub lineage: String,
    /// The stack id, e.g. `pyairtable-prod`; also the file name.
    pub stack: String,
    /// The spec the state was last applied from.
    pub spec: Option<SpecRecord>,
    pub resources: BTreeMap<Address, ResourceState>,
    #[serde(default)]
    pub outputs: BTreeMap<String, serde_json::Value>,
    /// The region that became the primary in a failover (`destroy --region <primary>
    /// --force`), while the spec still names another: plans are made for the spec failed over
    /// to it, until the spec names it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_over_to: Option<String>,
}

impl State {
    /// An empty state for `stack` with a fresh lineage and serial 0.
    pub fn new(stack: &str) -> State {
        State {
            format_version: FORMAT_VERSION,
            serial: 0,
            lineage: uuid::Uuid::new_v4().to_string(),
            stack: stack.to_string(),
            spec: None,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            failed_over_to: None,
        }
    }

    /// Whether `other` has the same content, ignoring the serial.
    pub fn same_content(&self, other: &State) -> bool {
        self.format_version == other.format_version
            && self.lineage == other.lineage
            && self.stack == other.stack
            && self.spec == other.spec
            && self.resources == other.resources
            && self.outputs == other.outputs
            && self.failed_over_to == other.failed_over_to
    }
}

/// Where the spec came from, and its digest when it was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecRecord {
    pub path: String,
    pub sha256: String,
}

/// One resource as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    pub kind: String,
    pub region: String,
    pub id: Option<String>,
    pub arn: Option<String>,
    /// Properties as last applied (references resolved).
    #[serde(default)]
    pub desired: serde_json::Map<String, Value>,
    /// Properties as last seen live.
    #[serde(default)]
    pub observed: serde_json::Map<String, Value>,
    /// Kept so that destroy still works after the spec dropped the resource.
    #[serde(default)]
    pub depends_on: Vec<Address>,
    pub status: ResourceStatus,
    /// The operation in flight, written before the call that performs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
    /// Older objects of this address that a create-before-destroy replacement has superseded and
    /// that still have to be deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deposed: Vec<Deposed>,
}

/// An object superseded by a create-before-destroy replacement, awaiting deletion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deposed {
    pub id: String,
    pub arn: Option<String>,
    #[serde(default)]
    pub observed: serde_json::Map<String, Value>,
}

impl ResourceState {
    /// A resource with no id, no properties and no intent yet.
    pub fn new(kind: impl Into<String>, region: impl Into<String>, status: ResourceStatus) -> Self {
        ResourceState {
            kind: kind.into(),
            region: region.into(),
            id: None,
            arn: None,
            desired: serde_json::Map::new(),
            observed: serde_json::Map::new(),
            depends_on: Vec::new(),
            status,
            intent: None,
            deposed: Vec::new(),
        }
    }

    /// The object as last seen live, standing in for a refresh (`diff --no-refresh`, a region
    /// a failover holds); `None` while no object is known (no id).
    pub fn recorded_observation(&self, address: &Address) -> Option<Observed> {
        Some(Observed {
            address: address.clone(),
            id: self.id.clone()?,
            arn: self.arn.clone(),
            properties: self.observed.clone(),
        })
    }
}

/// Where a resource stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceStatus {
    /// The intent is written; no id yet.
    Creating,
    /// It exists but is not ready yet (e.g. the wait timed out).
    Pending,
    /// It exists and is ready.
    Ready,
    /// Its delete has started.
    Deleting,
    /// The last operation on it failed; kept for repair.
    Failed,
}

impl ResourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceStatus::Creating => "creating",
            ResourceStatus::Pending => "pending",
            ResourceStatus::Ready => "ready",
            ResourceStatus::Deleting => "deleting",
            ResourceStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for ResourceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A write-ahead record of an operation, persisted before the API call that performs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intent {
    pub op: IntentOp,
    /// A uuid v4; the source of idempotency tokens (ClientToken, CallerReference).
    pub token: String,
    /// RFC 3339, UTC, in milliseconds, e.g. `2026-11-26T10:00:00.123Z`.
    pub started_at: String,
}

impl Intent {
    /// An intent with a fresh token, started now.
    pub fn new(op: IntentOp) -> Intent {
        Intent {
            op,
            token: uuid::Uuid::new_v4().to_string(),
            started_at: humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
        }
    }

    /// How long ago the operation started; None when `started_at` does not parse.
    pub fn age(&self) -> Option<std::time::Duration> {
        let t = humantime::parse_rfc3339(&self.started_at).ok()?;
        Some(SystemTime::now().duration_since(t).unwrap_or_default())
    }
}

/// The kind of operation an [`Intent`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentOp {
    Create,
    Update,
    Delete,
}

impl IntentOp {
    pub fn as_str(self) -> &'static str {
        match self {
            IntentOp::Create => "create",
            IntentOp::Update => "update",
            IntentOp::Delete => "delete",
        }
    }
}

impl fmt::Display for IntentOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The current time as RFC 3339 UTC with whole seconds.
pub(crate) fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample() -> State {
        let mut s = State::new("pyairtable-prod");
        let vpc: Address = "us-east-1/ec2.vpc/main".parse().unwrap();
        let subnet: Address = "us-east-1/ec2.subnet/a".parse().unwrap();
        let mut r = ResourceState::new("ec2.vpc", "us-east-1", ResourceStatus::Ready);
        r.id = Some("vpc-123".into());
        r.desired
            .insert("cidr_block".into(), Value::from("10.0.0.0/16"));
        s.resources.insert(vpc.clone(), r);
        let mut sub = ResourceState::new("ec2.subnet", "us-east-1", ResourceStatus::Creating);
        sub.depends_on.push(vpc);
        sub.intent = Some(Intent::new(IntentOp::Create));
        s.resources.insert(subnet, sub);
        s.spec = Some(SpecRecord {
            path: "specs/prod.yaml".into(),
            sha256: "ab".repeat(32),
        });
        s.outputs
            .insert("endpoint".into(), "api.example.com".into());
        s
    }

    #[test]
    fn serde_round_trip() {
        let s = sample();
        let text = serde_json::to_string_pretty(&s).unwrap();
        let back: State = serde_json::from_str(&text).unwrap();
        assert_eq!(s, back);
    }

    #[test]
    fn shape_on_disk() {
        let s = sample();
        let v = serde_json::to_value(&s).unwrap();
        let vpc = &v["resources"]["us-east-1/ec2.vpc/main"];
        assert_eq!(vpc["status"], "ready");
        assert!(vpc.get("intent").is_none(), "intent None is not written");
        let sub = &v["resources"]["us-east-1/ec2.subnet/a"];
        assert_eq!(sub["status"], "creating");
        assert_eq!(sub["intent"]["op"], "create");
        assert_eq!(sub["depends_on"][0], "us-east-1/ec2.vpc/main");
    }

    #[test]
    fn outputs_default_when_missing() {
        let mut v = serde_json::to_value(State::new("s")).unwrap();
        v.as_object_mut().unwrap().remove("outputs");
        let s: State = serde_json::from_value(v).unwrap();
        assert!(s.outputs.is_empty());
    }

    #[test]
    fn intent_has_uuid_token_and_utc_time() {
        let i = Intent::new(IntentOp::Delete);
        assert_eq!(i.op, IntentOp::Delete);
        assert!(uuid::Uuid::parse_str(&i.token).is_ok());
        assert!(i.started_at.ends_with('Z'));
        assert!(humantime::parse_rfc3339(&i.started_at).is_ok());
        assert_ne!(i.token, Intent::new(IntentOp::Delete).token);
    }

    #[test]
    fn new_state_has_uuid_lineage() {
        let s = State::new("x");
        let id = uuid::Uuid::parse_str(&s.lineage).unwrap();
        assert_eq!(id.get_version_num(), 4);
        assert_eq!(s.serial, 0);
        assert_eq!(s.format_version, FORMAT_VERSION);
    }

    #[test]
    fn same_content_ignores_serial() {
        let a = sample();
        let mut b = a.clone();
        b.serial += 7;
        assert!(a.same_content(&b));
        b.outputs.clear();
        assert!(!a.same_content(&b));
    }
}
