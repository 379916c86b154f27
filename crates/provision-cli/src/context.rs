//! What the commands share: loading and expanding a spec, opening the state, refreshing and
//! planning, asking for confirmation, and applying.

use anyhow::{bail, Context, Result};
use provision_aws::AwsConfigs;
use provision_core::{FieldMode, Plan, ReconcileContext, Registry, ResourceDecl};
use provision_engine::{ApplyOptions, ApplyReport, Timeouts};
use provision_graph::ResourceGraph;
use provision_spec::{LoadedSpec, OutputDecl, Spec, SpecError, SpecErrors};
use provision_state::{SpecRecord, State, StateStore};
use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

/// A spec refused by validation: its text already names file:line:col and says what to do.
#[derive(Debug)]
pub struct SpecRejected(pub String);

impl std::fmt::Display for SpecRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SpecRejected {}

pub struct Global {
    pub state_dir: PathBuf,
    pub stack: Option<String>,
}

/// Load and validate a spec, expand it, and check that every kind it needs exists and that the
/// references form a DAG. No AWS call.
pub fn load_spec(path: &Path) -> Result<(LoadedSpec, Vec<ResourceDecl>)> {
    let loaded = provision_spec::load(path).map_err(|e| SpecRejected(e.to_string()))?;
    check_declared(&loaded)?;
    let decls = expand_checked(&loaded.spec)?;
    Ok((loaded, decls))
}

/// The spec as the stack stands. After a failover (`destroy --region <primary> --force`) the
/// state records the region that became the primary; until the spec names it as well, plans
/// are made for the spec failed over to it, so that the promoted database stays the primary.
/// Once the spec names it (or no longer has that region), the record is dropped.
pub fn effective_spec(
    loaded: &LoadedSpec,
    decls: Vec<ResourceDecl>,
    state: &mut State,
) -> Result<(Spec, Vec<ResourceDecl>)> {
    let Some(to) = state.failed_over_to.clone() else {
        return Ok((loaded.spec.clone(), decls));
    };
    let named = loaded.spec.primary_region();
    if named == to || !loaded.spec.regions.contains_key(&to) {
        state.failed_over_to = None;
        return Ok((loaded.spec.clone(), decls));
    }
    let spec = loaded
        .spec
        .failed_over(&to)
        .map_err(|e| anyhow::anyhow!("cannot keep the failover to {to}: {e}"))?;
    eprintln!(
        "Note: {to} is the primary region since a failover (recorded in the state), but {} \
         names {named}. Planning with {to} as the primary; make it `role: primary` there.",
        loaded.path.display()
    );
    let decls = expand_checked(&spec)?;
    Ok((spec, decls))
}

/// The kinds and property names of the `resources` section, against the reconcilers' schemas,
/// with the location of each problem.
fn check_declared(l: &LoadedSpec) -> Result<()> {
    use provision_spec::locate::{join, SourceIndex};
    if l.spec.resources.is_empty() {
        return Ok(());
    }
    let reg = crate::registry::offline();
    let ix = SourceIndex::build(&l.source).unwrap_or_else(|_| SourceIndex::empty());
    let mut errors = Vec::new();
    for (key, raw) in &l.spec.resources {
        let path = join("resources", key);
        let Ok(address) = key.parse::<provision_core::Address>() else {
            continue;
        };
        let Some(schema) = reg.schema(address.kind()) else {
            errors.push(
                SpecError::new(
                    &l.path,
                    Some(ix.locate_key(&path)),
                    format!("kind `{}` is not known", address.kind()),
                )
                .with_help(format!("the kinds are: {}", reg.kinds().join(", "))),
            );
            continue;
        };
        let settable: Vec<&str> = schema
            .fields
            .iter()
            .filter(|f| f.mode != FieldMode::Computed)
            .map(|f| f.name)
            .collect();
        for field in raw.properties.keys() {
            if !settable.contains(&field.as_str()) {
                errors.push(
                    SpecError::new(
                        &l.path,
                        Some(ix.locate_key(&join(&join(&path, "properties"), field))),
                        format!("`{}` has no property `{field}`", address.kind()),
                    )
                    .with_help(format!("its properties are: {}", settable.join(", "))),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SpecRejected(SpecErrors(errors).to_string()).into())
    }
}

pub fn expand_checked(spec: &Spec) -> Result<Vec<ResourceDecl>> {
    let mut decls = provision_spec::expand(spec);
    let reg = crate::registry::offline();
    for d in &mut decls {
        let Some(schema) = reg.schema(d.address.kind()) else {
            bail!(
                "{}: kind `{}` has no reconciler in this build; remove the section that declares it",
                d.address,
                d.address.kind()
            );
        };
        // Declared resources carry the spec's tags too, under their own.
        if spec.resources.contains_key(&d.address.to_string())
            && schema.taggable
            && schema.field("tags").is_some()
        {
            let mut tags: serde_json::Map<String, serde_json::Value> = spec
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            if let Some(own) = d.properties.get("tags").and_then(|t| t.as_object()) {
                tags.extend(own.clone());
            }
            d.properties
                .insert("tags".into(), serde_json::Value::Object(tags));
        }
    }
    ResourceGraph::build(decls.iter().map(|d| (d.address.clone(), d.dependencies())))?;
    Ok(decls)
}

/// The stack whose state to use when no spec names it: `--stack`, or the only state there is.
pub fn pick_stack(g: &Global) -> Result<String> {
    if let Some(s) = &g.stack {
        return Ok(s.clone());
    }
    let stacks = provision_state::list_stacks(&g.state_dir)?;
    match stacks.as_slice() {
        [one] => Ok(one.clone()),
        [] => bail!(
            "no state in {}; run `provision up SPEC` first, or pass a SPEC",
            g.state_dir.display()
        ),
        many => bail!(
            "{} holds several states ({}); choose one with --stack NAME or pass a SPEC",
            g.state_dir.display(),
            many.join(", ")
        ),
    }
}

pub fn open_state(g: &Global, stack: &str) -> Result<(StateStore, State)> {
    std::fs::create_dir_all(&g.state_dir).with_context(|| {
        format!(
            "cannot create the state directory {}",
            g.state_dir.display()
        )
    })?;
    let command: Vec<String> = std::env::args().collect();
    let store = StateStore::open(&g.state_dir, stack, &command.join(" "))?;
    if let Some(h) = store.abandoned_by() {
        eprintln!(
            "note: the last run on {stack}, {h}, ended without releasing its lock (it was killed \
             or crashed); this run takes over, and its refresh finds what that run left half done"
        );
    }
    let state = store.load()?;
    Ok((store, state))
}

/// When `stack` has no state yet but another stack in the state directory was made from the
/// same spec file, the stack was probably renamed: say plainly that the plan makes a second
/// copy and leaves the old one running.
pub fn note_renamed_stack(g: &Global, stack: &str, state: &State, loaded: &LoadedSpec) {
    if state.serial > 0 || !state.resources.is_empty() {
        return;
    }
    let path = loaded.path.display().to_string();
    let Ok(stacks) = provision_state::list_stacks(&g.state_dir) else {
        return;
    };
    for other in stacks.iter().filter(|s| s.as_str() != stack) {
        let Ok(Some(st)) = provision_state::read_state(&g.state_dir, other) else {
            continue;
        };
        if st.resources.is_empty() || st.spec.as_ref().map(|r| r.path.as_str()) != Some(&path) {
            continue;
        }
        eprintln!(
            "note: stack {stack} has no state yet, but stack {other}, made from the same spec \
             {path}, holds {} resources. If the stack was renamed, this plan builds a second \
             copy of everything and leaves {other}'s resources running, no longer managed by \
             this spec. To keep one copy, put the old name back, or remove the old stack once \
             the new one is up: `provision --stack {other} destroy`.",
            st.resources.len()
        );
    }
}

pub fn spec_record(l: &LoadedSpec) -> SpecRecord {
    SpecRecord {
        path: l.path.display().to_string(),
        sha256: l.sha256.clone(),
    }
}

pub fn timeouts(spec: Option<&Spec>) -> Timeouts {
    let mut t = Timeouts::default();
    if let Some(spec) = spec {
        if let Some(d) = spec.timeouts.default {
            t.default = d;
        }
        for service in ["eks", "rds", "elasticache", "msk"] {
            if let Some(d) = spec.timeouts.for_service(service) {
                t.by_service.insert(service.to_string(), d);
            }
        }
    }
    t
}

pub struct Aws {
    pub registry: Registry,
}

pub fn aws() -> Aws {
    let configs = AwsConfigs::new();
    let registry = crate::registry::registry(&configs);
    Aws { registry }
}

/// Refuse a plan that deletes an object protected from deletion, before any call: AWS would
/// refuse that delete halfway through the apply, after the rest had changed.
pub fn refuse_protected(plan: &provision_core::Plan) -> Result<()> {
    let protected = plan.protected_deletions();
    if protected.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = protected
        .iter()
        .map(|c| {
            let what = match c.action {
                provision_core::Action::Delete => "deleted",
                _ => "replaced",
            };
            format!("  {} would be {what}", c.address)
        })
        .collect();
    bail!(
        "refusing to apply: this plan deletes what has deletion protection:\n{}\nOnce its data is safe, turn its deletion protection off: in the spec (`deletion_protection: false`, then `provision up`) where the spec protects it, or else in AWS (the old primary database after a failover, say); or leave it outside provision with `provision state rm ADDRESS`. Nothing was changed.",
        list.join("\n")
    )
}

/// How an apply ends for the shell: 0 when every step succeeded, 1 otherwise.
pub fn exit_status(ok: bool) -> std::process::ExitCode {
    if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::from(1)
    }
}

/// Ask on a terminal; refuse without `--yes` elsewhere.
pub fn confirm(question: &str, yes: bool) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        bail!("refusing to apply: standard input is not a terminal; pass --yes to apply without asking");
    }
    eprint!("{question} Only 'yes' is accepted: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

/// How an apply runs: API calls in flight per region, and readiness timeouts.
pub struct RunSettings {
    pub parallelism: usize,
    pub timeouts: Timeouts,
    /// The outputs to record after the apply (None: leave them as they are).
    pub outputs: Option<Vec<OutputDecl>>,
}

/// The outputs from what the state records: each one whose resource and field are known.
pub fn record_outputs(state: &mut State, outputs: &[OutputDecl]) {
    state.outputs = outputs
        .iter()
        .filter_map(|o| {
            let r = state.resources.get(&o.from.address)?;
            let v = match o.from.field.as_str() {
                "id" => r.id.clone().map(serde_json::Value::String),
                "arn" => r.arn.clone().map(serde_json::Value::String),
                f => r.observed.get(f).cloned(),
            }?;
            (!v.is_null()).then(|| (o.name.clone(), v))
        })
        .collect();
}

/// Endpoints are known only once AWS has made them (a create records what it sent): read the
/// objects whose outputs the state lacks, one observe per (kind, region), and record what they
/// report. A failure here costs the missing outputs only, never the apply.
async fn read_output_sources(aws: &Aws, stack_id: &str, st: &mut State, outputs: &[OutputDecl]) {
    let missing: std::collections::BTreeSet<&provision_core::Address> = outputs
        .iter()
        .filter(|o| {
            st.resources.get(&o.from.address).is_some_and(|r| {
                r.id.is_some()
                    && !matches!(o.from.field.as_str(), "id" | "arn")
                    && r.observed
                        .get(&o.from.field)
                        .is_none_or(serde_json::Value::is_null)
            })
        })
        .map(|o| &o.from.address)
        .collect();
    if missing.is_empty() {
        return;
    }
    let mut sub = st.clone();
    sub.resources.retain(|a, _| missing.contains(a));
    let cx = ReconcileContext {
        stack: stack_id.to_string(),
    };
    match provision_engine::refresh(&aws.registry, &cx, &sub, &[]).await {
        Ok(live) => {
            for (a, obs) in live {
                if let Some(r) = st.resources.get_mut(&a) {
                    if r.id.as_deref() == Some(obs.id.as_str()) {
                        r.arn = obs.arn;
                        r.observed = obs.properties;
                    }
                }
            }
        }
        Err(e) => tracing::warn!("could not read the outputs' objects: {e}"),
    }
}

/// The outputs as `up` ends with them.
pub fn print_outputs(outputs: &BTreeMap<String, serde_json::Value>) {
    if outputs.is_empty() {
        return;
    }
    println!("\nOutputs:");
    let width = outputs.keys().map(String::len).max().unwrap_or(0);
    for (k, v) in outputs {
        println!("  {k:width$} = {}", output_text(v));
    }
}

/// An output's value as text: strings bare, anything else as JSON.
pub fn output_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Apply a plan with progress, print the summary, then record the outputs (when `outputs` is
/// given) in the state. Returns whether everything succeeded.
pub async fn apply(
    plan: &Plan,
    live: BTreeMap<provision_core::Address, provision_core::Observed>,
    aws: &Aws,
    stack_id: &str,
    store: StateStore,
    state: State,
    run: RunSettings,
) -> Result<bool> {
    let RunSettings {
        parallelism,
        timeouts,
        outputs,
    } = run;
    let steps: usize = plan
        .changes
        .iter()
        .map(|c| match c.action {
            provision_core::Action::NoOp => 0,
            provision_core::Action::Replace(_) => 2,
            _ => 1,
        })
        .sum();
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    let mut interrupts = Interrupts::listen();
    tokio::spawn(async move {
        if interrupts.next().await {
            eprintln!(
                "\ninterrupted: no new operations start; waiting up to {}s for the calls in flight (Ctrl-C again to quit at once)",
                INTERRUPT_GRACE.as_secs()
            );
            c2.cancel();
            tokio::select! {
                _ = interrupts.next() => {
                    eprintln!("interrupted again: quitting now; the state's intents let the next run find what was in flight");
                }
                _ = tokio::time::sleep(INTERRUPT_GRACE) => {
                    eprintln!("the calls in flight did not finish within {}s: quitting; the state's intents let the next run find them", INTERRUPT_GRACE.as_secs());
                }
            }
            std::process::exit(130);
        }
    });
    let opts = ApplyOptions {
        parallelism,
        timeouts,
        cancel,
        events: crate::progress::printer(steps),
    };
    let state = Arc::new(Mutex::new(state));
    let store = Arc::new(store);
    let report = provision_engine::apply(
        plan,
        live,
        aws.registry.clone(),
        ReconcileContext {
            stack: stack_id.to_string(),
        },
        store.clone(),
        state.clone(),
        opts,
    )
    .await;
    print_report(&report);
    if let Some(outputs) = outputs {
        let mut st = state.lock().await;
        read_output_sources(aws, stack_id, &mut st, &outputs).await;
        record_outputs(&mut st, &outputs);
        store.save(&mut st)?;
        print_outputs(&st.outputs);
    }
    Ok(report.is_success())
}

/// How long the first interrupt waits for the calls in flight before quitting.
const INTERRUPT_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// SIGINT (Ctrl-C) and SIGTERM, listened for from the start of the apply so that a second
/// signal is never missed while the first is being handled.
struct Interrupts {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Interrupts {
    fn listen() -> Interrupts {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Interrupts {
                int: signal(SignalKind::interrupt()).ok(),
                term: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Interrupts {}
        }
    }

    /// The next signal; false if none can be listened for.
    async fn next(&mut self) -> bool {
        #[cfg(unix)]
        {
            match (&mut self.int, &mut self.term) {
                (Some(i), Some(t)) => tokio::select! {
                    r = i.recv() => r.is_some(),
                    r = t.recv() => r.is_some(),
                },
                (Some(i), None) => i.recv().await.is_some(),
                (None, Some(t)) => t.recv().await.is_some(),
                (None, None) => tokio::signal::ctrl_c().await.is_ok(),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.is_ok()
        }
    }
}

fn print_report(r: &ApplyReport) {
    let (mut created, mut updated, mut destroyed) = (0, 0, 0);
    for s in &r.done {
        match s.op {
            provision_engine::StepOp::Create => created += 1,
            provision_engine::StepOp::Update => updated += 1,
            _ => destroyed += 1,
        }
    }
    eprintln!();
    if r.is_success() {
        eprintln!("Apply complete: {created} created, {updated} updated, {destroyed} destroyed.");
        return;
    }
    if r.interrupted.is_empty() && r.skipped.iter().all(|(_, c)| c.is_some()) {
        eprintln!(
            "Apply incomplete: {created} created, {updated} updated, {destroyed} destroyed, {} failed, {} skipped.",
            r.failed.len(),
            r.skipped.len()
        );
    } else {
        eprintln!(
            "Apply interrupted: {created} created, {updated} updated, {destroyed} destroyed, {} failed, {} stopped while waiting, {} not started.",
            r.failed.len(),
            r.interrupted.len(),
            r.skipped.len()
        );
    }
    for (step, e) in &r.failed {
        eprintln!("  failed:  {step}: {e}");
    }
    for (step, why) in &r.interrupted {
        eprintln!("  stopped: {step}: {why}");
    }
    for (step, cause) in &r.skipped {
        match cause {
            Some(c) => eprintln!("  skipped: {step} (depends on failed {c})"),
            None => eprintln!("  skipped: {step} (interrupted)"),
        }
    }
    if let Some(e) = &r.plan_error {
        eprintln!("  nothing was applied: {e}");
    }
    if let Some(e) = &r.state_error {
        eprintln!("  the state could not be saved: {e}");
    }
    eprintln!(
        "Everything done so far is recorded in the state; run the same command again to resume."
    );
}

pub fn parallelism_default() -> usize {
    10
}

/// `--target` and `--exclude`, for up, diff and destroy.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct SelectArgs {
    /// Only this resource and what it needs (for destroy: and what depends on it). An address
    /// (`eu-west-1/rds.db_instance/replica`), a region, or region/kind. Repeatable.
    #[arg(long = "target", value_name = "ADDR")]
    pub target: Vec<String>,
    /// Leave out this resource and what depends on it (for destroy: and what it needs). Same
    /// forms as --target. Repeatable.
    #[arg(long = "exclude", value_name = "ADDR")]
    pub exclude: Vec<String>,
}

impl SelectArgs {
    pub fn is_empty(&self) -> bool {
        self.target.is_empty() && self.exclude.is_empty()
    }
}

/// The plan narrowed to `--target`/`--exclude`, saying on stderr what was left out.
pub fn narrow(
    plan: provision_core::Plan,
    sel: &SelectArgs,
    direction: provision_plan::Direction,
) -> Result<provision_core::Plan> {
    let selection = provision_plan::Selection {
        targets: sel.target.clone(),
        excludes: sel.exclude.clone(),
    };
    let selected = provision_plan::select(plan, &selection, direction)?;
    if !selection.is_empty() {
        let n = selected.left_out.len();
        eprintln!(
            "Note: --target/--exclude narrowed the plan; {n} change{} of the full plan {} left \
             out. Run without them to converge the whole stack.",
            if n == 1 { "" } else { "s" },
            if n == 1 { "is" } else { "are" },
        );
    }
    Ok(selected.plan)
}
