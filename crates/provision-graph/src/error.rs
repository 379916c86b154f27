//! Errors of graph construction and validation.

use provision_core::Address;
use std::fmt::{self, Display};

/// Why a set of resources does not form a valid dependency graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// The resources depend on each other in a loop. `cycle` lists every resource on the loop in
    /// path order, each depending on the next and the last on the first: `[a, b, c]` is
    /// `a -> b -> c -> a`. The first element is the smallest address of the loop.
    #[error(
        "dependency cycle: {}; remove one of these references or depends_on (for example the edge {})",
        CyclePath(.cycle),
        ClosingEdge(.cycle)
    )]
    Cycle { cycle: Vec<Address> },

    /// `from` references or depends on `to`, which is not one of the resources.
    #[error(
        "{from} depends on {to}, which is not declared; declare {to} or remove the reference or depends_on"
    )]
    UnknownDependency { from: Address, to: Address },
}

/// Why a walk could not start: the nodes do not form a DAG. Nothing ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalkError<K> {
    /// The nodes depend on each other in a loop, listed in path order as in
    /// [`GraphError::Cycle`].
    #[error(
        "dependency cycle: {}; remove one of these dependencies (for example the edge {})",
        CyclePath(.cycle),
        ClosingEdge(.cycle)
    )]
    Cycle { cycle: Vec<K> },

    /// `from` depends on `to`, which is not a node of the walk.
    #[error("{from} depends on {to}, which is not a node of the walk")]
    UnknownDependency { from: K, to: K },
}

/// `a -> b -> c -> a`.
struct CyclePath<'a, K>(&'a [K]);

impl<K: Display> Display for CyclePath<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for node in self.0 {
            write!(f, "{node} -> ")?;
        }
        match self.0.first() {
            Some(first) => write!(f, "{first}"),
            None => f.write_str("(empty)"),
        }
    }
}

/// The edge that closes the loop, `last -> first`: the one suggested for removal.
struct ClosingEdge<'a, K>(&'a [K]);

impl<K: Display> Display for ClosingEdge<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.last(), self.0.first()) {
            (Some(last), Some(first)) => write!(f, "{last} -> {first}"),
            _ => f.write_str("(none)"),
        }
    }
}
