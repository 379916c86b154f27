//! The planner: a pure function from (desired declarations, state, live objects) to a [`Plan`],
//! and the plan's rendering for people. No IO.

mod planner;
mod render;

pub use planner::{plan, same, Live, PlanError};
pub use render::render;
