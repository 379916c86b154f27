//! `provision diff [SPEC]`: what `up` would do.

use crate::context::{self, Global};
use anyhow::{Context, Result};
use provision_core::ReconcileContext;
use provision_plan::Live;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The spec; without it, the spec recorded in the state is used.
    spec: Option<PathBuf>,
    /// Print the plan as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Exit 2 when there are changes, 0 when there are none (1 is an error).
    #[arg(long)]
    detailed_exitcode: bool,
    /// Plan from the state alone, without reading what is live.
    #[arg(long)]
    no_refresh: bool,
    #[command(flatten)]
    select: context::SelectArgs,
}

pub async fn run(g: &Global, a: Args) -> Result<ExitCode> {
    let spec_path = match a.spec {
        Some(p) => p,
        None => {
            let stack = context::pick_stack(g)?;
            let st = provision_state::read_state(&g.state_dir, &stack)?
                .with_context(|| format!("no state for stack {stack}"))?;
            let rec = st.spec.with_context(|| {
                format!("the state of {stack} records no spec; pass the SPEC path")
            })?;
            PathBuf::from(rec.path)
        }
    };
    let (loaded, decls) = context::load_spec(&spec_path)?;
    let stack_id = loaded.spec.stack_id();
    let (_store, mut state) = context::open_state(g, &stack_id)?;
    context::note_renamed_stack(g, &stack_id, &state, &loaded);
    let (_, decls) = context::effective_spec(&loaded, decls, &mut state)?;
    let moves = provision_plan::apply_moves(&decls, &mut state);
    let aws = context::aws();
    let live = if a.no_refresh {
        Live::FromState
    } else {
        let cx = ReconcileContext {
            stack: stack_id.clone(),
        };
        Live::Refreshed(provision_engine::refresh(&aws.registry, &cx, &state, &decls).await?)
    };
    let schema = |k: &str| aws.registry.schema(k);
    let drift = match &live {
        Live::Refreshed(m) => provision_plan::drift(&state, m, &schema),
        Live::FromState => Vec::new(),
    };
    let mut plan = provision_plan::plan(&decls, &state, &live, &schema)?;
    provision_plan::note_moves(&mut plan.changes, &moves);
    let plan = context::narrow(plan, &a.select, provision_plan::Direction::Build)?;
    if a.json {
        let doc = provision_plan::plan_json(&plan, &drift, &stack_id);
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}", provision_plan::render_drift(&drift));
        print!("{}", provision_plan::render(&plan));
    }
    Ok(if a.detailed_exitcode && plan.has_changes() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
