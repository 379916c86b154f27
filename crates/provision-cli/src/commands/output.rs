//! `provision output [NAME] [--json]`: the endpoints and ARNs a team needs, as the last `up`
//! recorded them. Reads the state only: no AWS call.

use crate::context::{self, Global};
use anyhow::{bail, Context, Result};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// One output, e.g. `eu-west-1.rds_endpoint`: its value alone.
    name: Option<String>,
    /// JSON: an object of every output, or the one value.
    #[arg(long)]
    json: bool,
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    let stack = context::pick_stack(g)?;
    let st = provision_state::read_state(&g.state_dir, &stack)?
        .with_context(|| format!("no state for stack {stack}; run `provision up SPEC` first"))?;
    match &a.name {
        Some(name) => {
            let Some(v) = st.outputs.get(name) else {
                let known: Vec<&str> = st.outputs.keys().map(String::as_str).collect();
                bail!(
                    "{stack} has no output `{name}`; the outputs are: {}",
                    if known.is_empty() {
                        "none yet (run `provision up SPEC`)".to_string()
                    } else {
                        known.join(", ")
                    }
                );
            };
            if a.json {
                println!("{}", serde_json::to_string_pretty(v)?);
            } else {
                println!("{}", context::output_text(v));
            }
        }
        None if a.json => println!("{}", serde_json::to_string_pretty(&st.outputs)?),
        None => {
            if st.outputs.is_empty() {
                eprintln!("{stack} has no outputs yet; `provision up SPEC` records them.");
            }
            let width = st.outputs.keys().map(String::len).max().unwrap_or(0);
            for (k, v) in &st.outputs {
                println!("{k:width$} = {}", context::output_text(v));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
