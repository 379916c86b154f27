//! Resource DAG: build from references, cycle errors that name the cycle, reverse for destroy,
//! DOT export, and a bounded async walker.
//!
//! Two layers, kept apart as in turborepo's graph utilities:
//! - [`ResourceGraph`] is the domain graph over [`provision_core::Address`]es. An edge `a -> b`
//!   means "a depends on b": b must exist before a is created, and a must be gone before b is
//!   deleted ([`ResourceGraph::reversed`]).
//! - [`walk`] / [`Walker`] run an async function over any DAG of keys, each node once all its
//!   dependencies succeeded, skipping only the dependants of a failure.
//!
//! Both validate the graph before anything runs: a dependency on an unknown node or a cycle is an
//! error that names the nodes involved and the edge to cut.

mod dot;
pub mod error;
pub mod graph;
pub mod walker;

pub use error::{GraphError, WalkError};
pub use graph::ResourceGraph;
pub use walker::{walk, NodeOutcome, SkipReason, WalkReport, Walker};
