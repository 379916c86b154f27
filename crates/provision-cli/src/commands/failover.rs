//! `provision failover [--to REGION]`: make a secondary region the primary, in one command,
//! without a call to the old primary region (it may be down). Without `--to`, the spec's
//! failover region (`Spec::failover_target`).
//!
//! The plan is the recorded spec failed over to REGION (`Spec::failed_over`): REGION's database
//! replica is promoted in place, the other replicas, the backup copy, the Kafka mirror, CloudFront's
//! origin group and Origin Shield, and the DNS failover and default records follow the new primary.
//! The old primary region is held where it stands (`provision_plan::hold_region`): it is not
//! refreshed, its recorded objects stand for what is live there, and none of its changes (its
//! database becoming a replica of the new primary, say) is made, nor anything that needs one. The
//! state records the failover, so the next `up`, once the region is back, makes those changes.

use crate::context::{self, Global};
use anyhow::{anyhow, bail, Context, Result};
use provision_core::ReconcileContext;
use provision_plan::Live;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// The region to make the primary: a secondary region with a replica of the database.
    /// Without it, the spec's failover region (the first of `dr.failover_order` with a replica).
    #[arg(long, value_name = "REGION")]
    to: Option<String>,
    /// Fail over without asking (required when standard input is not a terminal).
    #[arg(long)]
    yes: bool,
    /// AWS API calls in flight per region.
    #[arg(long, default_value_t = context::parallelism_default())]
    parallelism: usize,
}

pub async fn run(g: &Global, a: Args) -> Result<ExitCode> {
    let started = Instant::now();
    let stack = context::pick_stack(g)?;
    let (store, mut state) = context::open_state(g, &stack)?;
    let rec = state.spec.clone().with_context(|| {
        format!("the state of {stack} records no spec; run `provision up SPEC` first")
    })?;
    let (loaded, decls) = context::load_spec(&PathBuf::from(&rec.path))?;
    // The spec as the stack stands (an earlier failover kept).
    let (current, _) = context::effective_spec(&loaded, decls, &mut state)?;
    let old = current.primary_region().to_string();
    let to = match &a.to {
        Some(to) => to.clone(),
        None => current.failover_target().with_context(|| {
            format!("{stack} has no region to fail over to: its spec has no secondary region")
        })?,
    };
    let spec = current
        .failed_over(&to)
        .map_err(|e| anyhow!("cannot fail over to {to}: {e}"))?;
    if let Some(db) = &current.database {
        if !db.replicas.is_empty() && !db.replicas.contains(&to) {
            bail!(
                "cannot fail over to {}: it holds no replica of the database, so its database would \
                 start empty. Fail over to a region with a replica ({}), or add {} to \
                 `database.replicas` and run `provision up` first",
                to,
                db.replicas.join(", "),
                to
            );
        }
    }
    let desired = context::expand_checked(&spec)?;
    let moves = provision_plan::apply_moves(&desired, &mut state);

    // Refresh everything but the old primary region; its recorded objects stand for it.
    let mut reachable = state.clone();
    reachable
        .resources
        .retain(|address, _| address.region() != old);
    let reachable_desired: Vec<_> = desired
        .iter()
        .filter(|d| d.address.region() != old)
        .cloned()
        .collect();
    let cx = ReconcileContext {
        stack: stack.clone(),
    };
    let aws = context::aws();
    eprintln!(
        "Refreshing {} recorded resources outside {old}…",
        reachable.resources.len()
    );
    let mut live: BTreeMap<_, _> =
        provision_engine::refresh(&aws.registry, &cx, &reachable, &reachable_desired).await?;
    for (address, r) in &state.resources {
        if address.region() == old {
            if let Some(obs) = r.recorded_observation(address) {
                live.insert(address.clone(), obs);
            }
        }
    }
    let schema = |k: &str| aws.registry.schema(k);
    let mut refreshed = state.clone();
    provision_engine::record_refresh(&mut refreshed, &live, &desired);
    let mut plan = provision_plan::plan(
        &desired,
        &refreshed,
        &Live::Refreshed(live.clone()),
        &schema,
    )?;
    provision_plan::note_moves(&mut plan.changes, &moves);
    let held = provision_plan::hold_region(plan, &old);
    let plan = held.plan;
    eprintln!(
        "{to} becomes the primary region; {old} is held as it stands (no call is made there)."
    );
    print!("{}", provision_plan::render(&plan));
    if !held.left_out.is_empty() {
        let n = held.left_out.len();
        eprintln!(
            "Note: {n} change{} in or waiting on {old} {} left for the next `provision up`, once \
             {old} answers again:",
            if n == 1 { "" } else { "s" },
            if n == 1 { "is" } else { "are" },
        );
        for address in &held.left_out {
            eprintln!("  {address}");
        }
    }
    context::refuse_protected(&plan)?;
    if !context::confirm(
        &format!("\nDo you want to make {to} the primary region of {stack}?"),
        a.yes,
    )? {
        eprintln!("Failover cancelled.");
        return Ok(ExitCode::from(1));
    }
    // Recorded before the first call: an interrupted failover is finished by the next `up`.
    state = refreshed;
    state.failed_over_to = Some(to.clone());
    store.save(&mut state)?;
    let ok = context::apply(
        &plan,
        live,
        &aws,
        &stack,
        store,
        state,
        context::RunSettings {
            parallelism: a.parallelism,
            timeouts: context::timeouts(Some(&spec)),
            outputs: Some(provision_spec::outputs(&spec)),
        },
    )
    .await?;
    if ok {
        let secs = started.elapsed().as_secs();
        let took = format!("{}m{:02}s", secs / 60, secs % 60);
        match &spec.dr {
            Some(dr) if secs > u64::from(dr.rto_minutes) * 60 => eprintln!(
                "Warning: the failover took {took}, longer than the RTO of {} min.",
                dr.rto_minutes
            ),
            Some(dr) => eprintln!("The failover took {took} (RTO {} min).", dr.rto_minutes),
            None => eprintln!("The failover took {took}."),
        }
        eprintln!(
            "{to} is the primary region of {stack} (the state records the failover): make it \
             `role: primary` in {path}. Once {old} answers again, `provision up` makes it a \
             secondary.",
            path = rec.path
        );
    }
    Ok(context::exit_status(ok))
}
