//! The YAML spec of a stack: parse with source locations, validate, and (in `expand`) turn into
//! resource declarations.
//!
//! ```no_run
//! let loaded = provision_spec::load(std::path::Path::new("specs/prod.yaml"));
//! match loaded {
//!     Ok(l) => println!("{} regions", l.spec.regions.len()),
//!     // specs/prod.yaml:12:5: error: …
//!     //   help: …
//!     Err(errors) => eprintln!("{errors}"),
//! }
//! ```
//!
//! docs/spec.md describes every field.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod edge;
pub mod error;
pub mod expand;
pub mod load;
pub mod locate;
pub mod model;
pub mod regions;
pub mod validate;

pub use error::{Location, SpecError, SpecErrors};
pub use expand::{expand, outputs, OutputDecl};
pub use load::{load, parse_str, LoadedSpec};
pub use model::*;
pub use regions::SUPPORTED_REGIONS;
pub use validate::IMPLEMENTED_SECTIONS;
