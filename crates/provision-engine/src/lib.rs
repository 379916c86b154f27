//! The engine: refresh what is live (batched per kind × region) and apply a plan by walking its
//! steps with bounded API-call concurrency, persisting the state after every change.

mod apply;
mod events;
mod refresh;
mod retry;
mod step;
#[cfg(test)]
mod tests;

pub use apply::{apply, record_refresh, ApplyOptions, ApplyReport};
pub use events::{Event, EventSink};
pub use refresh::{refresh, RefreshError};
pub use retry::Timeouts;
pub use step::{Step, StepOp};
