//! `provision destroy [--region R]`: tear down the stack, or one region.

use crate::context::{self, Global};
use anyhow::{anyhow, Context, Result};
use provision_core::{ReconcileContext, ResourceDecl};
use provision_plan::Live;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Tear down only this region, and repair what the other regions held of it. In effect this
    /// plans "the spec without this region".
    #[arg(long)]
    region: Option<String>,
    /// Destroy without asking (required when standard input is not a terminal).
    #[arg(long)]
    yes: bool,
    /// AWS API calls in flight per region.
    #[arg(long, default_value_t = context::parallelism_default())]
    parallelism: usize,
    #[command(flatten)]
    select: context::SelectArgs,
}

pub async fn run(g: &Global, a: Args) -> Result<ExitCode> {
    let stack = context::pick_stack(g)?;
    let (store, state) = context::open_state(g, &stack)?;
    let (desired, spec): (Vec<ResourceDecl>, Option<provision_spec::Spec>) = match &a.region {
        None => (Vec::new(), None),
        Some(region) => {
            let rec = state.spec.clone().with_context(|| {
                format!("the state of {stack} records no spec; `destroy --region` needs it to plan the stack without {region}")
            })?;
            let (loaded, _) = context::load_spec(&PathBuf::from(&rec.path))?;
            let without = loaded
                .spec
                .without_region(region)
                .map_err(|e| anyhow!("cannot tear down {region}: {e}"))?;
            (context::expand_checked(&without)?, Some(without))
        }
    };
    let aws = context::aws();
    let cx = ReconcileContext {
        stack: stack.clone(),
    };
    eprintln!("Refreshing {} recorded resources…", state.resources.len());
    let live = provision_engine::refresh(&aws.registry, &cx, &state, &desired).await?;
    let plan = provision_plan::plan(&desired, &state, &Live::Refreshed(live.clone()), &|k| {
        aws.registry.schema(k)
    })?;
    let plan = context::narrow(plan, &a.select, provision_plan::Direction::Destroy)?;
    // A narrowed destroy leaves the rest of the stack: its outputs are those of the recorded
    // spec whose resources remain.
    let outputs = match (&spec, a.select.is_empty()) {
        (Some(s), _) => provision_spec::outputs(s),
        (None, true) => Vec::new(),
        (None, false) => match state.spec.as_ref() {
            Some(rec) => context::load_spec(&PathBuf::from(&rec.path))
                .map(|(l, _)| provision_spec::outputs(&l.spec))
                .unwrap_or_default(),
            None => Vec::new(),
        },
    };
    if !plan.has_changes() {
        println!("Nothing to destroy.");
        return Ok(ExitCode::SUCCESS);
    }
    print!("{}", provision_plan::render(&plan));
    let what = match (&a.region, a.select.is_empty()) {
        (_, false) => format!("\nDo you really want to make these changes to {stack}?"),
        (Some(r), true) => {
            format!("\nDo you really want to destroy every resource of {stack} in {r}?")
        }
        (None, true) => format!("\nDo you really want to destroy every resource of {stack}?"),
    };
    if !context::confirm(&what, a.yes)? {
        eprintln!("Destroy cancelled.");
        return Ok(ExitCode::from(1));
    }
    let ok = context::apply(
        &plan,
        live,
        &aws,
        &stack,
        store,
        state,
        context::RunSettings {
            parallelism: a.parallelism,
            timeouts: context::timeouts(spec.as_ref()),
            // What is left: the outputs of the spec without the region, or of the resources a
            // narrowed destroy keeps, or none at all.
            outputs: Some(outputs),
        },
    )
    .await?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
