//! The provision model: addresses, kinds and their schemas, property values with references,
//! plans, and the [`Reconciler`] trait that service crates implement.
//!
//! This crate does no IO and imports no SDK. Everything above it (spec, graph, plan, state,
//! engine) speaks in these types.

pub mod address;
pub mod change;
pub mod reconciler;
pub mod schema;
pub mod value;

pub use address::{Address, AddressError, GLOBAL};
pub use change::{Action, Change, FieldChange, Plan, PlanSummary, ReplaceOrder};
pub use reconciler::{
    CreateRequest, ErrorClass, Observed, Readiness, ReconcileContext, ReconcileError, Reconciler,
    Registry, Target,
};
pub use schema::{FieldMode, FieldSchema, KindSchema};
pub use value::{Ref, ResourceDecl};

/// Property values are JSON values; a reference to another resource's field is encoded as
/// `{"$ref": "<address>#<field>"}` (see [`value::Ref`]).
pub type Value = serde_json::Value;

/// The tag every taggable resource carries with the stack id (`<stack>-<environment>`).
pub const TAG_STACK: &str = "provision:stack";
/// The tag every taggable resource carries with its own address.
pub const TAG_ADDRESS: &str = "provision:address";
