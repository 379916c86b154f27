//! Apply: walk the plan's steps, calling reconcilers with bounded API-call concurrency per region,
//! and persist the state after every change.
//!
//! Concurrency is of calls, not of waits: a region's semaphore is held only for the duration of
//! one API call, so any number of resources can wait for readiness at once.

use crate::events::{Event, EventSink};
use crate::retry::{self, Timeouts, Verdict};
use crate::step::{steps_of, Step, StepOp};
use provision_core::value::{self, Ref};
use provision_core::{
    Address, Change, CreateRequest, ErrorClass, Observed, Readiness, ReconcileContext,
    ReconcileError, Reconciler, Registry, ResourceDecl, Target, Value,
};
use provision_graph::{NodeOutcome, SkipReason, Walker};
use provision_state::{
    Deposed, Intent, IntentOp, ResourceState, ResourceStatus, State, StateError, StateStore,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{Mutex, Semaphore};
use tokio_util::sync::CancellationToken;

/// How many update steps one resource may take in one apply.
const MAX_UPDATE_ROUNDS: u32 = 5;

#[derive(Clone)]
pub struct ApplyOptions {
    /// API calls in flight per region.
    pub parallelism: usize,
    pub timeouts: Timeouts,
    pub cancel: CancellationToken,
    pub events: EventSink,
}

/// What happened to every step.
#[derive(Debug, Default)]
pub struct ApplyReport {
    pub done: Vec<Step>,
    pub failed: Vec<(Step, String)>,
    /// Steps not run, with the failed step that caused it (None: cancelled).
    pub skipped: Vec<(Step, Option<Step>)>,
    /// Steps the interrupt stopped while they waited, with what the next run does about it.
    pub interrupted: Vec<(Step, String)>,
    /// A failure to persist the state, which stops everything.
    pub state_error: Option<String>,
    /// The plan could not be walked (a bug in provision: please report it with the plan).
    pub plan_error: Option<String>,
}

impl ApplyReport {
    pub fn is_success(&self) -> bool {
        self.failed.is_empty()
            && self.skipped.is_empty()
            && self.interrupted.is_empty()
            && self.state_error.is_none()
            && self.plan_error.is_none()
    }
}

#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error("{0}")]
    Aws(String),
    #[error("state could not be saved: {0}")]
    State(#[from] StateError),
    /// The run was interrupted while this step waited (a back-off or a readiness poll).
    #[error("{0}")]
    Interrupted(String),
}

struct Shared {
    registry: Registry,
    cx: ReconcileContext,
    store: Arc<StateStore>,
    state: Arc<Mutex<State>>,
    /// Live objects, updated as steps complete: references resolve against it.
    live: Mutex<BTreeMap<Address, Observed>>,
    changes: BTreeMap<Address, Change>,
    permits: HashMap<String, Arc<Semaphore>>,
    opts: ApplyOptions,
}

/// Record what a refresh saw: ids and observed values of recorded resources, and adopt objects
/// found by their `provision:address` tag that the state did not know (interrupted creates).
pub fn record_refresh(
    state: &mut State,
    live: &BTreeMap<Address, Observed>,
    desired: &[ResourceDecl],
) {
    for (address, obs) in live {
        if let Some(r) = state.resources.get_mut(address) {
            r.id = Some(obs.id.clone());
            r.arn = obs.arn.clone();
            r.observed = obs.properties.clone();
            // A create that was interrupted, or that failed with its outcome unknown (its intent
            // is still there), made this object: it is adopted and waited for.
            let create_in_doubt = r.intent.as_ref().is_some_and(|i| i.op == IntentOp::Create);
            if r.status == ResourceStatus::Creating
                || (r.status == ResourceStatus::Failed && create_in_doubt)
            {
                r.status = ResourceStatus::Pending;
                r.intent = None;
            }
        } else if let Some(d) = desired.iter().find(|d| &d.address == address) {
            let mut r =
                ResourceState::new(address.kind(), address.region(), ResourceStatus::Pending);
            r.id = Some(obs.id.clone());
            r.arn = obs.arn.clone();
            r.observed = obs.properties.clone();
            r.depends_on = d.dependencies();
            state.resources.insert(address.clone(), r);
        }
    }
}

/// Apply `plan`. `live` is what the refresh saw (or the recorded observations). The state is
/// saved after every create, update and delete.
pub async fn apply(
    plan: &provision_core::Plan,
    live: BTreeMap<Address, Observed>,
    registry: Registry,
    cx: ReconcileContext,
    store: Arc<StateStore>,
    state: Arc<Mutex<State>>,
    opts: ApplyOptions,
) -> ApplyReport {
    let nodes = steps_of(plan);
    let mut permits = HashMap::new();
    for c in &plan.changes {
        permits
            .entry(c.address.region().to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(opts.parallelism.max(1))));
    }
    let shared = Arc::new(Shared {
        registry,
        cx,
        store,
        state,
        live: Mutex::new(live),
        changes: plan
            .changes
            .iter()
            .map(|c| (c.address.clone(), c.clone()))
            .collect(),
        permits,
        opts: opts.clone(),
    });
    let mut report = ApplyReport::default();
    let walker = match Walker::new(nodes) {
        Ok(w) => w.cancel_token(opts.cancel.clone()),
        Err(e) => {
            report.plan_error = Some(format!("the plan's steps do not form a DAG: {e}"));
            return report;
        }
    };
    let stop = opts.cancel.clone();
    let s = shared.clone();
    let outcome = walker
        .run(move |step: Step| {
            let s = s.clone();
            let stop = stop.clone();
            async move {
                let r = s.run(&step).await;
                match &r {
                    Ok(()) => {}
                    Err(StepError::State(_)) => {
                        // Without a durable state nothing more may happen.
                        stop.cancel();
                    }
                    Err(StepError::Interrupted(_)) => {}
                    Err(e) => (s.opts.events)(Event::Failed {
                        step: step.clone(),
                        error: e.to_string(),
                    }),
                }
                r
            }
        })
        .await;
    for (step, o) in outcome.outcomes {
        match o {
            NodeOutcome::Done => report.done.push(step),
            NodeOutcome::Failed(StepError::State(e)) => {
                report.state_error = Some(e.to_string());
                report
                    .failed
                    .push((step, format!("state could not be saved: {e}")));
            }
            NodeOutcome::Failed(StepError::Interrupted(why)) => {
                report.interrupted.push((step, why))
            }
            NodeOutcome::Failed(e) => report.failed.push((step, e.to_string())),
            NodeOutcome::Skipped(SkipReason::DependencyFailed(cause)) => {
                report.skipped.push((step, Some(cause)))
            }
            NodeOutcome::Skipped(SkipReason::Cancelled) => report.skipped.push((step, None)),
        }
    }
    report
}

/// Whether a mutable field the declaration sets differs between `obs` and `desired` (a field
/// the declaration does not set is not managed, as in the planner).
fn differs(
    rec: &Arc<dyn Reconciler>,
    obs: &Observed,
    desired: &serde_json::Map<String, Value>,
) -> bool {
    rec.schema()
        .fields
        .iter()
        .filter(|f| {
            f.mode == provision_core::FieldMode::Mutable
                // A force-new field cleared in place (a replica's source, cleared by its
                // promotion) is reached by update steps too.
                || f.cleared_by(desired.get(f.name))
        })
        .filter(|f| desired.contains_key(f.name))
        .any(|f| {
            !provision_plan::same(obs.properties.get(f.name), desired.get(f.name), f.unordered)
        })
}

fn aws(address: &Address, e: &ReconcileError) -> StepError {
    StepError::Aws(format!("{address}: {e}"))
}

impl Shared {
    fn reconciler(&self, address: &Address) -> Result<&Arc<dyn Reconciler>, StepError> {
        self.registry.get(address.kind()).ok_or_else(|| {
            StepError::Aws(format!(
                "{address}: kind `{}` is not known to this build of provision",
                address.kind()
            ))
        })
    }

    async fn permit(&self, region: &str) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let sem = self.permits.get(region)?.clone();
        sem.acquire_owned().await.ok()
    }

    /// Change the state under its lock and persist it at once.
    async fn persist(&self, f: impl FnOnce(&mut State)) -> Result<(), StepError> {
        let mut st = self.state.lock().await;
        f(&mut st);
        self.store.save(&mut st)?;
        Ok(())
    }

    async fn run(&self, step: &Step) -> Result<(), StepError> {
        let started = Instant::now();
        (self.opts.events)(Event::Started { step: step.clone() });
        let id = match step.op {
            StepOp::Create => Some(self.create(&step.address).await?),
            StepOp::Update => Some(self.update(&step.address).await?),
            StepOp::Delete => {
                self.delete(&step.address).await?;
                None
            }
            StepOp::DeleteDeposed => {
                self.delete_deposed(&step.address).await?;
                None
            }
        };
        (self.opts.events)(Event::Finished {
            step: step.clone(),
            id,
            elapsed: started.elapsed(),
        });
        Ok(())
    }

    /// The desired properties of `address` with every reference resolved from live objects.
    async fn resolved(
        &self,
        address: &Address,
    ) -> Result<serde_json::Map<String, Value>, StepError> {
        let after = self
            .changes
            .get(address)
            .and_then(|c| c.after.clone())
            .unwrap_or(Value::Object(Default::default()));
        let live = self.live.lock().await;
        let lookup = |r: &Ref| live.get(&r.address).and_then(|o| o.field(&r.field));
        let v = value::resolve(&after, &lookup);
        if let Some(r) = value::refs(&v).first() {
            return Err(StepError::Aws(format!(
                "{address}: reference {r} has no value; is the field name right?"
            )));
        }
        Ok(v.as_object().cloned().unwrap_or_default())
    }

    async fn create(&self, address: &Address) -> Result<String, StepError> {
        let rec = self.reconciler(address)?.clone();
        let region = address.region();
        let desired = self.resolved(address).await?;
        let depends_on = self
            .changes
            .get(address)
            .map(|c| c.depends_on.clone())
            .unwrap_or_default();
        // A create-before-destroy replacement keeps the old object as deposed until its delete.
        let old = self.live.lock().await.get(address).cloned();
        // A create of this address that a killed run started: its object may exist without its
        // tags yet (found by its token), and if it started moments ago it may still land.
        let previous = self
            .state
            .lock()
            .await
            .resources
            .get(address)
            .filter(|r| r.id.is_none())
            .and_then(|r| r.intent.clone())
            .filter(|i| i.op == IntentOp::Create);
        let previous_unknown = previous.is_some();
        let in_doubt = previous
            .as_ref()
            .and_then(|i| i.age())
            .filter(|age| *age < retry::settle());
        let intent = Intent::new(IntentOp::Create);
        let token = intent.token.clone();
        let tokens: Vec<String> = previous
            .map(|i| i.token)
            .into_iter()
            .chain([token.clone()])
            .collect();
        // Objects of this address that are not the one being created: a lookup after a lost
        // answer must never mistake them for it (they carry the same provision:address tag).
        let mut superseded: Vec<String> = Vec::new();
        {
            let desired = desired.clone();
            let superseded = &mut superseded;
            self.persist(|st| {
                let r = st.resources.entry(address.clone()).or_insert_with(|| {
                    ResourceState::new(address.kind(), region, ResourceStatus::Creating)
                });
                if let Some(old) = &old {
                    if !r.deposed.iter().any(|d| d.id == old.id) {
                        r.deposed.push(Deposed {
                            id: old.id.clone(),
                            arn: old.arn.clone(),
                            observed: old.properties.clone(),
                        });
                    }
                }
                superseded.extend(r.deposed.iter().map(|d| d.id.clone()));
                r.id = None;
                r.arn = None;
                r.observed = Default::default();
                r.status = ResourceStatus::Creating;
                r.intent = Some(intent);
                r.desired = desired;
                r.depends_on = depends_on;
            })
            .await?;
        }
        let req = CreateRequest {
            address: address.clone(),
            properties: desired.clone(),
            token,
        };
        // `creates` counts create calls, `lookups` lookups. After an error that may hide a
        // performed create, the next round looks the object up first and never resends the
        // create until a lookup has answered that nothing exists.
        let (mut creates, mut lookups, mut taken) = (0u32, 0u32, 0u32);
        // An earlier create of this address whose outcome is unknown: look again before
        // creating, whatever its age. The refresh may have listed its object before the object
        // carried its tags (a create and its tagging are not one step in every service), and
        // one read is cheap next to a duplicate.
        let mut unsure = previous_unknown;
        if let Some(age) = in_doubt {
            let wait = retry::settle().saturating_sub(age);
            (self.opts.events)(Event::Waiting {
                address: address.clone(),
                detail: format!(
                    "an interrupted run started creating this {}s ago; looking for its object again in {}s before creating",
                    age.as_secs(),
                    wait.as_secs()
                ),
            });
            self.sleep(
                wait,
                address,
                "its create is recorded as in doubt, and the next run looks for the object first",
            )
            .await?;
            unsure = true;
        }
        let mut adopted = false;
        let mut last: Option<ReconcileError> = None;
        let obs = loop {
            if unsure {
                lookups += 1;
                match self
                    .look_up(&rec, address, &desired, &superseded, &tokens)
                    .await
                {
                    Ok(Some(o)) => {
                        tracing::info!(%address, id = %o.id, "found the object of a create whose answer was lost; adopting it");
                        adopted = true;
                        break o;
                    }
                    // A taken name that twice turns out not to be this resource's object
                    // belongs to someone else: never adopt or overwrite it.
                    Ok(None) if taken >= 2 => {
                        let e = last.unwrap_or_else(|| ReconcileError::invalid("already exists"));
                        let e = ReconcileError {
                            class: ErrorClass::Invalid,
                            code: e.code.clone(),
                            message: format!(
                                "{}; an object with this name exists that provision did not \
                                 create for {address} (no provision:address tag names it): delete \
                                 or rename it, or give this resource another name in the spec",
                                e.message
                            ),
                        };
                        return Err(self.create_failed(address, &e).await);
                    }
                    // Nothing was made: the create is sent again below.
                    Ok(None) => {}
                    Err(e) => {
                        if lookups >= retry::MAX_ATTEMPTS {
                            let e = ReconcileError::new(
                                e.class,
                                format!(
                                    "the create may have happened, and looking it up failed: {e}; \
                                     the next run looks it up again"
                                ),
                            );
                            return Err(self.create_failed(address, &e).await);
                        }
                        self.back_off(address, lookups, &e).await?;
                        continue;
                    }
                }
            }
            if creates >= retry::MAX_ATTEMPTS {
                let e = last.unwrap_or_else(|| ReconcileError::invalid("create failed"));
                return Err(self.create_failed(address, &e).await);
            }
            creates += 1;
            let r = {
                let _p = self.permit(region).await;
                rec.create(&self.cx, region, &req).await
            };
            let e = match r {
                Ok(o) => break o,
                Err(e) => e,
            };
            let verdict = retry::on_create(&e);
            if verdict == Verdict::Fail {
                return Err(self.create_failed(address, &e).await);
            }
            // The create may have happened with its answer lost: look before resending. The
            // look-up comes after the back-off, which also gives AWS's eventually consistent
            // describe calls time to show a fresh object.
            unsure = verdict == Verdict::LookUpThenRetry;
            if e.class == ErrorClass::AlreadyExists {
                taken += 1;
            }
            self.back_off(address, creates, &e).await?;
            last = Some(e);
        };
        self.record(address, &obs, desired.clone(), ResourceStatus::Pending)
            .await?;
        self.await_ready(&rec, address, &obs).await?;
        // An adopted object may be one that an interrupted run created but had not finished
        // setting up (a parameter group without its parameters): bring it to the spec.
        if adopted && differs(&rec, &obs, &desired) {
            let obs = self.converge(&rec, address, obs, &desired, false).await?;
            return Ok(obs.id);
        }
        Ok(obs.id)
    }

    /// Mark a create failed in the state, and give the step's error.
    async fn create_failed(&self, address: &Address, e: &ReconcileError) -> StepError {
        let saved = self
            .persist(|st| {
                if let Some(r) = st.resources.get_mut(address) {
                    r.status = ResourceStatus::Failed;
                }
            })
            .await;
        match saved {
            Ok(()) => aws(address, e),
            Err(se) => se,
        }
    }

    /// Look up the object a create of `address` may have made, by its provision:address tag
    /// (or natural key), ignoring the superseded objects that carry the same address.
    async fn look_up(
        &self,
        rec: &Arc<dyn Reconciler>,
        address: &Address,
        desired: &serde_json::Map<String, Value>,
        superseded: &[String],
        tokens: &[String],
    ) -> Result<Option<Observed>, ReconcileError> {
        let region = address.region();
        let target = Target {
            address: address.clone(),
            id: None,
            desired: Some(Value::Object(desired.clone())),
            tokens: tokens.to_vec(),
        };
        let found = {
            let _p = self.permit(region).await;
            rec.observe(&self.cx, region, &[target]).await?
        };
        Ok(found
            .into_iter()
            .find(|o| &o.address == address && !superseded.contains(&o.id)))
    }

    /// Tell the user and sleep before the next attempt.
    async fn back_off(
        &self,
        address: &Address,
        attempt: u32,
        e: &ReconcileError,
    ) -> Result<(), StepError> {
        let wait = retry::backoff(attempt);
        (self.opts.events)(Event::Retrying {
            address: address.clone(),
            attempt,
            error: e.to_string(),
            after: wait,
        });
        self.sleep(
            wait,
            address,
            "it was retrying a failed call; the next run retries it",
        )
        .await
    }

    /// Sleep, unless the run is interrupted: then the step ends, saying what the next run does.
    async fn sleep(
        &self,
        wait: std::time::Duration,
        address: &Address,
        next: &str,
    ) -> Result<(), StepError> {
        tokio::select! {
            _ = tokio::time::sleep(wait) => Ok(()),
            _ = self.opts.cancel.cancelled() => Err(StepError::Interrupted(format!(
                "{address}: interrupted: {next}"
            ))),
        }
    }

    async fn record(
        &self,
        address: &Address,
        obs: &Observed,
        desired: serde_json::Map<String, Value>,
        status: ResourceStatus,
    ) -> Result<(), StepError> {
        self.live.lock().await.insert(address.clone(), obs.clone());
        let depends_on = self.changes.get(address).map(|c| c.depends_on.clone());
        self.persist(|st| {
            let r = st
                .resources
                .entry(address.clone())
                .or_insert_with(|| ResourceState::new(address.kind(), address.region(), status));
            r.id = Some(obs.id.clone());
            r.arn = obs.arn.clone();
            r.observed = obs.properties.clone();
            r.desired = desired;
            r.status = status;
            r.intent = None;
            if let Some(d) = depends_on {
                r.depends_on = d;
            }
        })
        .await
    }

    async fn await_ready(
        &self,
        rec: &Arc<dyn Reconciler>,
        address: &Address,
        obs: &Observed,
    ) -> Result<(), StepError> {
        let region = address.region();
        let timeout = self.opts.timeouts.for_kind(address.kind());
        let start = Instant::now();
        let mut polls = 0;
        let mut errors = 0;
        loop {
            let r = {
                let _p = self.permit(region).await;
                rec.ready(&self.cx, region, obs).await
            };
            match r {
                Ok(Readiness::Ready) => break,
                Ok(Readiness::Failed(why)) => {
                    self.set_status(address, ResourceStatus::Failed).await?;
                    return Err(StepError::Aws(format!("{address}: {why}")));
                }
                Ok(Readiness::Pending(detail)) => {
                    (self.opts.events)(Event::Waiting {
                        address: address.clone(),
                        detail,
                    });
                }
                Err(e) => {
                    errors += 1;
                    if retry::on_change(&e) == Verdict::Fail || errors >= retry::MAX_ATTEMPTS {
                        return Err(aws(address, &e));
                    }
                }
            }
            if start.elapsed() >= timeout {
                // Never lose it: it stays recorded as pending, and the next run resumes waiting.
                return Err(StepError::Aws(format!(
                    "{address}: not ready after {}s (the timeout of its kind); it stays in the state as pending and the next run resumes waiting",
                    timeout.as_secs()
                )));
            }
            polls += 1;
            self.sleep(
                retry::poll_interval(polls),
                address,
                "it was waiting to be ready; it is recorded as pending, and the next run resumes waiting",
            )
            .await?;
        }
        if polls > 0 {
            // The object changed while it got ready (an ACM certificate's validation records, an
            // endpoint): dependants must see it as it is now, not as the create answered.
            self.reread(rec, address, obs).await?;
        }
        self.set_status(address, ResourceStatus::Ready).await
    }

    /// Observe `obs` again by its id and record what is live now (a read, never a change). If
    /// the read fails or finds nothing, the recorded object stays as it was.
    async fn reread(
        &self,
        rec: &Arc<dyn Reconciler>,
        address: &Address,
        obs: &Observed,
    ) -> Result<(), StepError> {
        let region = address.region();
        let desired = self
            .state
            .lock()
            .await
            .resources
            .get(address)
            .map(|r| Value::Object(r.desired.clone()));
        let target = Target {
            address: address.clone(),
            id: Some(obs.id.clone()),
            desired,
            tokens: Vec::new(),
        };
        let found = {
            let _p = self.permit(region).await;
            rec.observe(&self.cx, region, &[target]).await
        };
        let fresh = match found {
            Ok(found) => found
                .into_iter()
                .find(|o| &o.address == address && o.id == obs.id),
            Err(e) => {
                tracing::debug!(%address, error = %e, "re-reading after the readiness wait failed; keeping the create's answer");
                None
            }
        };
        let Some(fresh) = fresh else {
            return Ok(());
        };
        self.live
            .lock()
            .await
            .insert(address.clone(), fresh.clone());
        self.persist(|st| {
            if let Some(r) = st.resources.get_mut(address) {
                r.arn = fresh.arn.clone().or_else(|| r.arn.clone());
                r.observed = fresh.properties.clone();
            }
        })
        .await
    }

    async fn set_status(&self, address: &Address, status: ResourceStatus) -> Result<(), StepError> {
        self.persist(|st| {
            if let Some(r) = st.resources.get_mut(address) {
                r.status = status;
            }
        })
        .await
    }

    async fn update(&self, address: &Address) -> Result<String, StepError> {
        let rec = self.reconciler(address)?.clone();
        let desired = self.resolved(address).await?;
        let Some(obs) = self.live.lock().await.get(address).cloned() else {
            return Err(StepError::Aws(format!(
                "{address}: nothing live to update; run `provision diff` to refresh"
            )));
        };
        // An update with no field to change only resumes what an earlier run left: waiting for
        // readiness, deleting superseded objects. It makes no mutating call.
        let nothing_to_change = self
            .changes
            .get(address)
            .is_some_and(|c| c.fields.is_empty());
        let new = self
            .converge(&rec, address, obs, &desired, nothing_to_change)
            .await?;
        self.delete_deposed(address).await?;
        Ok(new.id)
    }

    /// Update `obs` until its mutable fields match `desired`, recording each step and waiting
    /// for readiness after it.
    async fn converge(
        &self,
        rec: &Arc<dyn Reconciler>,
        address: &Address,
        obs: Observed,
        desired: &serde_json::Map<String, Value>,
        nothing_to_change: bool,
    ) -> Result<Observed, StepError> {
        let region = address.region();
        // Some updates take several steps that AWS runs one at a time (an EKS version upgrade,
        // then a logging change): a reconciler applies one and reports what it reached; the
        // engine waits for readiness and asks again until the mutable fields match.
        let mut obs = obs;
        let mut round = 0;
        let new = loop {
            round += 1;
            let mut attempt = 0;
            let new = loop {
                if nothing_to_change {
                    break obs.clone();
                }
                attempt += 1;
                let r = {
                    let _p = self.permit(region).await;
                    rec.update(&self.cx, region, &obs, desired).await
                };
                match r {
                    Ok(o) => break o,
                    Err(e) => {
                        if retry::on_change(&e) == Verdict::Fail || attempt >= retry::MAX_ATTEMPTS {
                            return Err(aws(address, &e));
                        }
                        self.back_off(address, attempt, &e).await?;
                    }
                }
            };
            self.record(address, &new, desired.clone(), ResourceStatus::Pending)
                .await?;
            self.await_ready(rec, address, &new).await?;
            if !differs(rec, &new, desired) || nothing_to_change {
                break new;
            }
            if round >= MAX_UPDATE_ROUNDS {
                return Err(StepError::Aws(format!(
                    "{address}: still differs from the spec after {round} update steps; run again to continue"
                )));
            }
            obs = new;
        };
        Ok(new)
    }

    /// Delete one object with the error policy, then wait until it is gone.
    async fn delete_object(
        &self,
        rec: &Arc<dyn Reconciler>,
        address: &Address,
        obs: &Observed,
    ) -> Result<(), StepError> {
        let region = address.region();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let r = {
                let _p = self.permit(region).await;
                rec.delete(&self.cx, region, obs).await
            };
            match r {
                Ok(()) => break,
                Err(e) if e.is_not_found() => break,
                Err(e) => {
                    if retry::on_change(&e) == Verdict::Fail || attempt >= retry::MAX_ATTEMPTS + 2 {
                        return Err(aws(address, &e));
                    }
                    self.back_off(address, attempt, &e).await?;
                }
            }
        }
        let timeout = self.opts.timeouts.for_kind(address.kind());
        let start = Instant::now();
        let mut polls = 0;
        loop {
            let gone = {
                let _p = self.permit(region).await;
                rec.gone(&self.cx, region, obs).await
            };
            match gone {
                Ok(true) => return Ok(()),
                Ok(false) => (self.opts.events)(Event::Waiting {
                    address: address.clone(),
                    detail: format!("waiting for {} to be deleted", obs.id),
                }),
                Err(e) if retry::on_change(&e) == Verdict::Fail => return Err(aws(address, &e)),
                Err(_) => {}
            }
            if start.elapsed() >= timeout {
                return Err(StepError::Aws(format!(
                    "{address}: {} still not gone after {}s; it stays in the state and the next run resumes",
                    obs.id,
                    timeout.as_secs()
                )));
            }
            polls += 1;
            self.sleep(
                retry::poll_interval(polls),
                address,
                "it was waiting for the object to be deleted; it stays in the state, and the next run resumes",
            )
            .await?;
        }
    }

    async fn delete(&self, address: &Address) -> Result<(), StepError> {
        let rec = self.reconciler(address)?.clone();
        let live = self.live.lock().await.get(address).cloned();
        if let Some(obs) = live {
            self.persist(|st| {
                if let Some(r) = st.resources.get_mut(address) {
                    r.status = ResourceStatus::Deleting;
                    r.intent = Some(Intent::new(IntentOp::Delete));
                }
            })
            .await?;
            self.delete_object(&rec, address, &obs).await?;
            self.live.lock().await.remove(address);
        }
        // Superseded objects of this address go too.
        self.delete_deposed(address).await?;
        self.persist(|st| {
            st.resources.remove(address);
        })
        .await
    }

    async fn delete_deposed(&self, address: &Address) -> Result<(), StepError> {
        let rec = self.reconciler(address)?.clone();
        loop {
            let next = {
                let st = self.state.lock().await;
                st.resources
                    .get(address)
                    .and_then(|r| r.deposed.first().cloned())
            };
            let Some(d) = next else { return Ok(()) };
            let obs = Observed {
                address: address.clone(),
                id: d.id.clone(),
                arn: d.arn.clone(),
                properties: d.observed.clone(),
            };
            self.delete_object(&rec, address, &obs).await?;
            self.persist(|st| {
                if let Some(r) = st.resources.get_mut(address) {
                    r.deposed.retain(|x| x.id != d.id);
                }
            })
            .await?;
        }
    }
}
