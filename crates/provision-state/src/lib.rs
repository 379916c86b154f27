//! Versioned JSON state: serial, lineage, lock, atomic write, backup, write-ahead intents.
//!
//! A stack's state lives in `<dir>/<stack>.json` (mode 0600), with the previous version kept in
//! `<dir>/<stack>.json.backup` and an advisory lock on `<dir>/<stack>.json.lock`.
//!
//! - [`State`] is the data: format version, serial, lineage, the spec it came from, and one
//!   [`ResourceState`] per address, each with an optional write-ahead [`Intent`].
//! - [`StateStore`] is the only writer: it holds the stack's lock for its whole life, refuses
//!   corrupt, foreign or newer files without touching them, and writes atomically (temp file,
//!   fsync, rename, fsync of the directory), skipping the write when nothing changed.
//! - [`read_state`], [`list_stacks`], [`lock_holder`] and [`force_unlock`] serve the read-only
//!   and repair commands.

mod error;
mod lock;
mod state;
mod store;

pub use error::StateError;
pub use lock::{force_unlock, lock_holder, LockHolder};
pub use state::{
    Deposed, Intent, IntentOp, ResourceState, ResourceStatus, SpecRecord, State, FORMAT_VERSION,
};
pub use store::{list_stacks, read_state, StateStore};
