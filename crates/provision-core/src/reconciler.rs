//! The Reconciler trait: what a service crate implements for each resource kind.
//!
//! Every operation must be safe to repeat. `delete` treats NotFound as success. Reconcilers never
//! sleep or loop to retry: the engine owns retry and readiness polling.

use crate::{Address, KindSchema, Value};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

/// What every reconciler call knows about the stack.
#[derive(Debug, Clone)]
pub struct ReconcileContext {
    /// `<stack>-<environment>`: the value of the `provision:stack` tag.
    pub stack: String,
}

impl ReconcileContext {
    /// The tags a resource carries: its own `tags` property (the spec's tags, already merged in
    /// by expansion) plus the two provision tags, which always win.
    pub fn tags_for(
        &self,
        address: &Address,
        properties: &serde_json::Map<String, Value>,
    ) -> BTreeMap<String, String> {
        let mut t: BTreeMap<String, String> = properties
            .get("tags")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        t.insert(crate::TAG_STACK.to_string(), self.stack.clone());
        t.insert(crate::TAG_ADDRESS.to_string(), address.to_string());
        t
    }
}

/// A resource to observe: its address, the id recorded in state (if any), and its desired
/// properties with references resolved as far as known (natural-key kinds find themselves by it).
#[derive(Debug, Clone)]
pub struct Target {
    pub address: Address,
    pub id: Option<String>,
    pub desired: Option<Value>,
    /// The idempotency tokens of creates of this address whose outcome is unknown (a run was
    /// killed, or an answer lost). Kinds whose objects keep their token (a CallerReference)
    /// find an object by it even before it carries its tags.
    pub tokens: Vec<String>,
}

/// A live object as a reconciler sees it, with properties in the same shape as the spec's.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    pub address: Address,
    pub id: String,
    pub arn: Option<String>,
    /// Mutable and force-new fields as AWS reports them, plus computed fields.
    pub properties: serde_json::Map<String, Value>,
}

impl Observed {
    /// The value of `field` for references: `id`, `arn`, or any property.
    pub fn field(&self, field: &str) -> Option<Value> {
        match field {
            "id" => Some(Value::String(self.id.clone())),
            "arn" => self.arn.clone().map(Value::String),
            other => self.properties.get(other).cloned(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct CreateRequest {
    pub address: Address,
    /// Fully resolved desired properties.
    pub properties: serde_json::Map<String, Value>,
    /// Idempotency token derived from the write-ahead intent (ClientToken, CallerReference).
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    Pending(String),
    Failed(String),
}

/// How the engine should treat an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    NotFound,
    Throttled,
    /// A conflict that may clear by itself (DependencyViolation, IncorrectState).
    Conflict,
    /// The object (or its name) exists already. After a create, this may be the object an
    /// earlier, interrupted run created: the engine looks for it before anything else.
    AlreadyExists,
    /// The request is wrong; retrying cannot help.
    Invalid,
    /// Network errors, timeouts, 5xx: the outcome of the call is unknown.
    Transient,
    Other,
}

#[derive(Debug, Clone, thiserror::Error)]
pub struct ReconcileError {
    pub class: ErrorClass,
    /// The AWS error code, when there is one.
    pub code: Option<String>,
    pub message: String,
}

impl fmt::Display for ReconcileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl ReconcileError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        Self {
            class,
            code: None,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Invalid, message)
    }

    pub fn is_not_found(&self) -> bool {
        self.class == ErrorClass::NotFound
    }
}

#[async_trait]
pub trait Reconciler: Send + Sync {
    fn schema(&self) -> &'static KindSchema;

    /// Observe many resources of this kind in one region, batched: one describe call for many
    /// ids, or a tag filter. Returns what exists; absent targets are simply missing.
    async fn observe(
        &self,
        cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError>;

    async fn create(
        &self,
        cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError>;

    /// Apply the changed mutable fields in place.
    async fn update(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
        desired: &serde_json::Map<String, Value>,
    ) -> Result<Observed, ReconcileError>;

    /// Delete; NotFound counts as success.
    async fn delete(
        &self,
        cx: &ReconcileContext,
        region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError>;

    /// Whether a created or updated object is ready for its dependants.
    async fn ready(
        &self,
        _cx: &ReconcileContext,
        _region: &str,
        _observed: &Observed,
    ) -> Result<Readiness, ReconcileError> {
        Ok(Readiness::Ready)
    }

    /// Whether a deleted object is fully gone (NAT gateways take a while, and their Elastic IP
    /// cannot be released before).
    async fn gone(
        &self,
        _cx: &ReconcileContext,
        _region: &str,
        _observed: &Observed,
    ) -> Result<bool, ReconcileError> {
        Ok(true)
    }
}

/// Maps every kind to its reconciler. The CLI fills it, one line per kind.
#[derive(Default, Clone)]
pub struct Registry {
    map: HashMap<&'static str, Arc<dyn Reconciler>>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, r: Arc<dyn Reconciler>) {
        self.map.insert(r.schema().kind, r);
    }

    pub fn get(&self, kind: &str) -> Option<&Arc<dyn Reconciler>> {
        self.map.get(kind)
    }

    pub fn schema(&self, kind: &str) -> Option<&'static KindSchema> {
        self.map.get(kind).map(|r| r.schema())
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        let mut k: Vec<_> = self.map.keys().copied().collect();
        k.sort_unstable();
        k
    }
}
