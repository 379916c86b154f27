//! `provision validate SPEC`: parse, validate, expand and check the graph. No AWS call.

use crate::context::{self, Global};
use anyhow::Result;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The spec to check.
    spec: PathBuf,
}

pub fn run(_g: &Global, a: Args) -> Result<ExitCode> {
    let (loaded, decls) = context::load_spec(&a.spec)?;
    let regions: BTreeSet<&str> = decls.iter().map(|d| d.address.region()).collect();
    println!(
        "{} is valid: stack {}, {} resources in {} regions.",
        a.spec.display(),
        loaded.spec.stack_id(),
        decls.len(),
        regions.len()
    );
    Ok(ExitCode::SUCCESS)
}
