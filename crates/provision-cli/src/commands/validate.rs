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
    let regions: BTreeSet<&str> = decls
        .iter()
        .map(|d| d.address.region())
        .filter(|r| *r != provision_core::GLOBAL)
        .collect();
    let global = decls.iter().filter(|d| d.address.is_global()).count();
    println!(
        "{} is valid: stack {}, {} resources in {} regions and {global} global.",
        a.spec.display(),
        loaded.spec.stack_id(),
        decls.len() - global,
        regions.len()
    );
    Ok(ExitCode::SUCCESS)
}
