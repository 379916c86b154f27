//! `provision up SPEC`: validate, refresh, plan, show, ask, apply.

use crate::context::{self, Global};
use anyhow::Result;
use provision_core::ReconcileContext;
use provision_plan::Live;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The stack's spec, e.g. specs/prod.yaml.
    spec: PathBuf,
    /// Apply without asking (required when standard input is not a terminal).
    #[arg(long)]
    yes: bool,
    /// AWS API calls in flight per region. Waits for readiness hold no slot.
    #[arg(long, default_value_t = context::parallelism_default())]
    parallelism: usize,
    #[command(flatten)]
    select: context::SelectArgs,
}

pub async fn run(g: &Global, a: Args) -> Result<ExitCode> {
    let (loaded, decls) = context::load_spec(&a.spec)?;
    let stack_id = loaded.spec.stack_id();
    let (store, mut state) = context::open_state(g, &stack_id)?;
    context::note_renamed_stack(g, &stack_id, &state, &loaded);
    let (spec, decls) = context::effective_spec(&loaded, decls, &mut state)?;
    let moves = provision_plan::apply_moves(&decls, &mut state);
    let aws = context::aws();
    let cx = ReconcileContext {
        stack: stack_id.clone(),
    };
    eprintln!("Refreshing {} recorded resources…", state.resources.len());
    let live = provision_engine::refresh(&aws.registry, &cx, &state, &decls).await?;
    // What the refresh saw is recorded before planning, so objects adopted by their tag (an
    // interrupted create) are planned as recorded resources and finished in this run.
    let drift = provision_plan::drift(&state, &live, &|k| aws.registry.schema(k));
    let mut refreshed = state.clone();
    provision_engine::record_refresh(&mut refreshed, &live, &decls);
    let mut plan =
        provision_plan::plan(&decls, &refreshed, &Live::Refreshed(live.clone()), &|k| {
            aws.registry.schema(k)
        })?;
    provision_plan::note_moves(&mut plan.changes, &moves);
    let plan = context::narrow(plan, &a.select, provision_plan::Direction::Build)?;
    print!("{}", provision_plan::render_drift(&drift));
    print!("{}", provision_plan::render(&plan));
    let outputs = provision_spec::outputs(&spec);
    if !plan.has_changes() {
        state = refreshed;
        state.spec = Some(context::spec_record(&loaded));
        context::record_outputs(&mut state, &outputs);
        store.save(&mut state)?;
        context::print_outputs(&state.outputs);
        return Ok(ExitCode::SUCCESS);
    }
    context::refuse_protected(&plan)?;
    if !context::confirm("\nDo you want to apply these changes?", a.yes)? {
        eprintln!("Apply cancelled.");
        return Ok(ExitCode::from(1));
    }
    state = refreshed;
    state.spec = Some(context::spec_record(&loaded));
    store.save(&mut state)?;
    let ok = context::apply(
        &plan,
        live,
        &aws,
        &stack_id,
        store,
        state,
        context::RunSettings {
            parallelism: a.parallelism,
            timeouts: context::timeouts(Some(&spec)),
            outputs: Some(outputs),
        },
    )
    .await?;
    Ok(context::exit_status(ok))
}
