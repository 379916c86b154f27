pub mod destroy;
pub mod diff;
pub mod failover;
pub mod graph;
pub mod output;
pub mod state;
pub mod up;
pub mod validate;
