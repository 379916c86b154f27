//! `provision graph [SPEC]`: the resource DAG as DOT (or SVG through Graphviz's `dot`).

use crate::context::{self, Global};
use anyhow::{bail, Context, Result};
use provision_graph::ResourceGraph;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    Dot,
    Svg,
}

#[derive(clap::Args)]
pub struct Args {
    /// The spec; without it, the spec recorded in the state is used.
    spec: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "dot")]
    format: Format,
}

pub fn run(g: &Global, a: Args) -> Result<ExitCode> {
    let spec = match a.spec {
        Some(p) => p,
        None => {
            let stack = context::pick_stack(g)?;
            let st = provision_state::read_state(&g.state_dir, &stack)?
                .with_context(|| format!("no state for stack {stack}"))?;
            PathBuf::from(
                st.spec
                    .context("the state records no spec; pass SPEC")?
                    .path,
            )
        }
    };
    let (_, decls) = context::load_spec(&spec)?;
    let graph = ResourceGraph::build(decls.iter().map(|d| (d.address.clone(), d.dependencies())))?;
    let dot = graph.to_dot();
    match a.format {
        Format::Dot => print!("{dot}"),
        Format::Svg => {
            let mut child = match Command::new("dot")
                .arg("-Tsvg")
                .stdin(Stdio::piped())
                .stdout(Stdio::inherit())
                .spawn()
            {
                Ok(c) => c,
                Err(e) => bail!("--format svg needs Graphviz's `dot` on PATH ({e}); install graphviz, or use --format dot"),
            };
            if let Some(mut stdin) = child.stdin.take() {
                stdin.write_all(dot.as_bytes())?;
            }
            if !child.wait()?.success() {
                bail!("`dot -Tsvg` failed");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
