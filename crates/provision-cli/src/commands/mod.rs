pub mod destroy;
pub mod diff;
pub mod graph;
pub mod state;
pub mod up;
pub mod validate;
