//! The planner: a pure function from (desired declarations, state, live objects) to a [`Plan`],
//! and the plan's rendering for people. No IO.

mod drift;
mod json;
mod moves;
mod planner;
mod render;
mod select;

pub use drift::{drift, Drift, DriftField};
pub use json::{plan_json, PLAN_FORMAT_VERSION};
pub use moves::{apply_moves, note_moves, Move};
pub use planner::{plan, same, Live, PlanError};
pub use render::{render, render_drift};
pub use select::{hold_region, select, Direction, SelectError, Selected, Selection};
