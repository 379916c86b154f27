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
    /// With --region naming the primary region: fail over first (the database replica in the
    /// failover region is promoted to primary, and everything that pointed at the primary is
    /// pointed at it), then tear the region down.
    #[arg(long, requires = "region")]
    force: bool,
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
    let (store, mut state) = context::open_state(g, &stack)?;
    let (desired, spec): (Vec<ResourceDecl>, Option<provision_spec::Spec>) = match &a.region {
        None => (Vec::new(), None),
        Some(region) => {
            let rec = state.spec.clone().with_context(|| {
                format!("the state of {stack} records no spec; `destroy --region` needs it to plan the stack without {region}")
            })?;
            let (loaded, decls) = context::load_spec(&PathBuf::from(&rec.path))?;
            // The spec as the stack stands (an earlier failover kept).
            let (current, _) = context::effective_spec(&loaded, decls, &mut state)?;
            let without = if a.force {
                let (without, promoted) = current
                    .without_region_failing_over(region)
                    .map_err(|e| anyhow!("cannot tear down {region}: {e}"))?;
                if let Some(to) = &promoted {
                    eprintln!(
                        "{region} is the primary region: {to} becomes the primary first (its database \
                         replica is promoted), then {region} is torn down.\n{to} stays the primary \
                         (the state records the failover): make it `role: primary` in {}.",
                        rec.path
                    );
                    state.failed_over_to = Some(to.clone());
                }
                without
            } else {
                current.without_region(region).map_err(|e| {
                    let hint = if current.primary_region() == region {
                        " (or pass --force to fail over and tear it down in one step)"
                    } else {
                        ""
                    };
                    anyhow!("cannot tear down {region}: {e}{hint}")
                })?
            };
            (context::expand_checked(&without)?, Some(without))
        }
    };
    // A replica promoted by a forced teardown is the new primary, recorded under its old address.
    let moves = provision_plan::apply_moves(&desired, &mut state);
    let aws = context::aws();
    let cx = ReconcileContext {
        stack: stack.clone(),
    };
    eprintln!("Refreshing {} recorded resources…", state.resources.len());
    let live = provision_engine::refresh(&aws.registry, &cx, &state, &desired).await?;
    let mut plan = provision_plan::plan(&desired, &state, &Live::Refreshed(live.clone()), &|k| {
        aws.registry.schema(k)
    })?;
    provision_plan::note_moves(&mut plan.changes, &moves);
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
    context::refuse_protected(&plan)?;
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
    Ok(context::exit_status(ok))
}
