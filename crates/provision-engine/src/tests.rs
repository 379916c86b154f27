//! Refresh and apply against fake reconcilers: an in-memory cloud, no AWS, no SDK.
//!
//! The fake behaves like the real reconcilers where the engine depends on it:
//! - `observe` returns every object of its kind in the region tagged for the stack (the address
//!   tag is stored with the object), plus any target whose id it knows, so adoption works;
//! - `create` refuses a reference to an object that does not exist (as AWS does), so a create
//!   that runs before its dependency shows up as a failure, not just as a log order;
//! - `delete` of an object that others still reference is a Conflict (DependencyViolation);
//! - `update` refuses to change a force-new field.
//!
//! Faults can be injected per (operation, address): a permanent or transient error, or a
//! create that is performed but whose answer is lost.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::{apply, record_refresh, refresh, ApplyOptions, ApplyReport, Event, StepOp, Timeouts};
use async_trait::async_trait;
use provision_core::{
    Action, Address, CreateRequest, ErrorClass, FieldMode, FieldSchema, KindSchema, Observed, Plan,
    Readiness, ReconcileContext, ReconcileError, Reconciler, Registry, ReplaceOrder, ResourceDecl,
    Target, Value,
};
use provision_plan::Live;
use provision_state::{Intent, IntentOp, ResourceState, ResourceStatus, State, StateStore};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

const STACK: &str = "t-dev";
const US: &str = "us-east-1";
const EU: &str = "eu-west-1";

// ---------------------------------------------------------------------------------------------
// Kinds

static NET: KindSchema = KindSchema {
    kind: "fake.net",
    fields: &[
        FieldSchema::force_new("cidr"),
        FieldSchema::mutable("tags"),
        FieldSchema::computed("owner"),
    ],
    replace_order: ReplaceOrder::CreateBeforeDestroy,
    taggable: true,
};

static SUB: KindSchema = KindSchema {
    kind: "fake.sub",
    fields: &[
        FieldSchema::force_new("net_id"),
        FieldSchema::force_new("cidr"),
        FieldSchema::mutable("tags"),
    ],
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

/// A cross-region link between two nets (like a VPC peering connection).
static PEER: KindSchema = KindSchema {
    kind: "fake.peer",
    fields: &[
        FieldSchema::force_new("requester"),
        FieldSchema::force_new("accepter"),
    ],
    replace_order: ReplaceOrder::DeleteFirst,
    taggable: true,
};

/// The fields of each kind that hold the id of another object (checked on create and delete).
fn reference_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "fake.sub" => &["net_id"],
        "fake.peer" => &["requester", "accepter"],
        _ => &[],
    }
}

// ---------------------------------------------------------------------------------------------
// The fake cloud

#[derive(Debug, Clone)]
struct Obj {
    kind: String,
    region: String,
    /// The `provision:stack` tag.
    stack: String,
    /// The `provision:address` tag.
    address: Address,
    properties: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone)]
enum Fault {
    /// Fail without doing anything; `times: None` fails forever.
    Fail {
        class: ErrorClass,
        times: Option<u32>,
    },
    /// Perform the create, then report a transient error, `times` times.
    LostAnswer { times: u32 },
    /// A killed run's create of the same object lands just before this one: the object is
    /// made (tagged with the address, but without its user tags: the run died before setting
    /// them), and this create answers "already exists".
    MadeByKilledRun,
}

/// One call, in the order the fake received it (`ready` is logged only when it says Ready).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    op: &'static str,
    address: Address,
    /// The object's id, when there is one (none for a failed create).
    id: Option<String>,
}

#[derive(Default, Clone)]
struct FakeCloud {
    objects: BTreeMap<String, Obj>,
    next_id: u64,
    calls: HashMap<&'static str, usize>,
    log: Vec<Call>,
    faults: HashMap<(&'static str, Address), Fault>,
    /// The next N observe calls fail with a transient error.
    observe_failures: u32,
    /// List objects newest first (AWS promises no order).
    reverse_listing: bool,
    /// `ready` answers Pending this many more times for the address.
    pending: HashMap<Address, u32>,
    /// When set, every create and delete checks that its intent is on disk first.
    state_file: Option<PathBuf>,
    /// An object that appears (a killed run's late create landing) when observe is called for
    /// the Nth time.
    appears_on_observe: Option<(usize, String, Obj)>,
    violations: Vec<String>,
}

impl FakeCloud {
    fn count(&self, op: &str) -> usize {
        self.calls.get(op).copied().unwrap_or(0)
    }

    fn mutating_calls(&self) -> usize {
        self.count("create") + self.count("update") + self.count("delete")
    }

    /// The fault to inject now for `op` on `address`, if any (consuming one occurrence).
    fn fault(&mut self, op: &'static str, address: &Address) -> Option<Fault> {
        let key = (op, address.clone());
        let f = self.faults.get_mut(&key)?;
        let out = f.clone();
        let spent = match f {
            Fault::Fail { times: None, .. } => false,
            Fault::Fail { times: Some(n), .. } | Fault::LostAnswer { times: n } => {
                *n -= 1;
                *n == 0
            }
            Fault::MadeByKilledRun => true,
        };
        if spent {
            self.faults.remove(&key);
        }
        Some(out)
    }

    fn objects_at(&self, address: &Address) -> Vec<(String, Obj)> {
        self.objects
            .iter()
            .filter(|(_, o)| &o.address == address)
            .map(|(id, o)| (id.clone(), o.clone()))
            .collect()
    }

    /// The id of the only object tagged with `address`.
    fn id_of(&self, address: &Address) -> String {
        let found = self.objects_at(address);
        assert_eq!(found.len(), 1, "{address}: objects {found:?}");
        found[0].0.clone()
    }

    fn position(&self, op: &str, address: &Address) -> usize {
        self.log
            .iter()
            .position(|c| c.op == op && &c.address == address)
            .unwrap_or_else(|| panic!("no {op} of {address} in {:#?}", self.log))
    }

    fn position_of_id(&self, op: &str, id: &str) -> usize {
        self.log
            .iter()
            .position(|c| c.op == op && c.id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("no {op} of {id} in {:#?}", self.log))
    }

    fn calls_for(&self, op: &str, address: &Address) -> usize {
        self.log
            .iter()
            .filter(|c| c.op == op && &c.address == address)
            .count()
    }

    fn to_observed(id: &str, o: &Obj) -> Observed {
        Observed {
            address: o.address.clone(),
            id: id.to_string(),
            arn: Some(format!("arn:fake:{}:{}", o.region, id)),
            properties: o.properties.clone(),
        }
    }

    /// Write-ahead check: the state on disk must show the operation before the call.
    fn check_on_disk(&mut self, what: &str, address: &Address, check: impl Fn(&State) -> bool) {
        let Some(path) = &self.state_file else { return };
        let ok = std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<State>(&b).ok())
            .is_some_and(|st| check(&st));
        if !ok {
            self.violations
                .push(format!("{what} of {address} before the state recorded it"));
        }
    }
}

type Cloud = Arc<Mutex<FakeCloud>>;

/// The reconciler of one fake kind.
struct Fake {
    schema: &'static KindSchema,
    cloud: Cloud,
}

fn err(class: ErrorClass, msg: &str) -> ReconcileError {
    ReconcileError::new(class, msg)
}

#[async_trait]
impl Reconciler for Fake {
    fn schema(&self) -> &'static KindSchema {
        self.schema
    }

    async fn observe(
        &self,
        cx: &ReconcileContext,
        region: &str,
        targets: &[Target],
    ) -> Result<Vec<Observed>, ReconcileError> {
        tokio::task::yield_now().await;
        let mut c = self.cloud.lock().unwrap();
        *c.calls.entry("observe").or_default() += 1;
        if c.appears_on_observe.as_ref().map(|(n, ..)| *n) == Some(c.count("observe")) {
            if let Some((_, id, obj)) = c.appears_on_observe.take() {
                c.objects.insert(id, obj);
            }
        }
        if c.observe_failures > 0 {
            c.observe_failures -= 1;
            return Err(err(ErrorClass::Transient, "connection reset (observe)"));
        }
        let mut out: Vec<Observed> = c
            .objects
            .iter()
            .filter(|(_, o)| o.kind == self.schema.kind && o.region == region)
            .filter(|(_, o)| o.stack == cx.stack)
            .map(|(id, o)| FakeCloud::to_observed(id, o))
            .collect();
        if c.reverse_listing {
            out.reverse();
        }
        // Targets known by id (untagged or tagged for another stack) are described by id.
        for t in targets {
            let Some(id) = &t.id else { continue };
            if out.iter().any(|o| &o.id == id) {
                continue;
            }
            if let Some(o) = c.objects.get(id).filter(|o| o.region == region) {
                let mut obs = FakeCloud::to_observed(id, o);
                obs.address = t.address.clone();
                out.push(obs);
            }
        }
        Ok(out)
    }

    async fn create(
        &self,
        cx: &ReconcileContext,
        region: &str,
        req: &CreateRequest,
    ) -> Result<Observed, ReconcileError> {
        tokio::task::yield_now().await;
        let mut c = self.cloud.lock().unwrap();
        *c.calls.entry("create").or_default() += 1;
        let token = req.token.clone();
        c.check_on_disk("create", &req.address, |st| {
            st.resources.get(&req.address).is_some_and(|r| {
                r.status == ResourceStatus::Creating
                    && r.id.is_none()
                    && r.intent
                        .as_ref()
                        .is_some_and(|i| i.op == IntentOp::Create && i.token == token)
            })
        });
        let fault = c.fault("create", &req.address);
        if let Some(Fault::Fail { class, .. }) = fault {
            c.log.push(Call {
                op: "create",
                address: req.address.clone(),
                id: None,
            });
            return Err(err(class, "injected create failure"));
        }
        for f in reference_fields(self.schema.kind) {
            let target = req.properties.get(*f).and_then(Value::as_str);
            if !target.is_some_and(|id| c.objects.contains_key(id)) {
                return Err(err(
                    ErrorClass::Invalid,
                    &format!("{f}: {target:?} does not exist"),
                ));
            }
        }
        c.next_id += 1;
        let prefix = self.schema.kind.trim_start_matches("fake.");
        let id = format!("{prefix}-{}", c.next_id);
        let mut properties = req.properties.clone();
        if self.schema.kind == "fake.net" {
            properties.insert("owner".into(), json!("123456789012"));
        }
        if let Some(Fault::MadeByKilledRun) = fault {
            // Killed before it set the object up.
            properties.insert("tags".into(), json!({}));
        }
        let obj = Obj {
            kind: self.schema.kind.to_string(),
            region: region.to_string(),
            stack: cx.stack.clone(),
            address: req.address.clone(),
            properties,
        };
        let obs = FakeCloud::to_observed(&id, &obj);
        c.objects.insert(id.clone(), obj);
        c.log.push(Call {
            op: "create",
            address: req.address.clone(),
            id: Some(id),
        });
        match fault {
            Some(Fault::LostAnswer { .. }) => Err(err(
                ErrorClass::Transient,
                "connection reset (after create)",
            )),
            Some(Fault::MadeByKilledRun) => Err(err(
                ErrorClass::AlreadyExists,
                "the name is taken (by a killed run's create)",
            )),
            _ => Ok(obs),
        }
    }

    async fn update(
        &self,
        _cx: &ReconcileContext,
        _region: &str,
        observed: &Observed,
        desired: &serde_json::Map<String, Value>,
    ) -> Result<Observed, ReconcileError> {
        tokio::task::yield_now().await;
        let mut c = self.cloud.lock().unwrap();
        *c.calls.entry("update").or_default() += 1;
        c.log.push(Call {
            op: "update",
            address: observed.address.clone(),
            id: Some(observed.id.clone()),
        });
        if let Some(Fault::Fail { class, .. }) = c.fault("update", &observed.address) {
            return Err(err(class, "injected update failure"));
        }
        let schema = self.schema;
        let Some(obj) = c.objects.get_mut(&observed.id) else {
            return Err(err(ErrorClass::NotFound, "no such object"));
        };
        for f in schema.fields {
            match f.mode {
                FieldMode::Computed | FieldMode::WriteOnly => {}
                FieldMode::ForceNew => {
                    if obj.properties.get(f.name) != desired.get(f.name) {
                        return Err(err(
                            ErrorClass::Invalid,
                            &format!("{} cannot change in place", f.name),
                        ));
                    }
                }
                FieldMode::Mutable => match desired.get(f.name) {
                    Some(v) => {
                        obj.properties.insert(f.name.to_string(), v.clone());
                    }
                    None => {
                        obj.properties.remove(f.name);
                    }
                },
            }
        }
        let obj = obj.clone();
        Ok(FakeCloud::to_observed(&observed.id, &obj))
    }

    async fn delete(
        &self,
        _cx: &ReconcileContext,
        _region: &str,
        observed: &Observed,
    ) -> Result<(), ReconcileError> {
        tokio::task::yield_now().await;
        let mut c = self.cloud.lock().unwrap();
        *c.calls.entry("delete").or_default() += 1;
        let id = observed.id.clone();
        c.check_on_disk("delete", &observed.address, |st| {
            st.resources.get(&observed.address).is_some_and(|r| {
                let deleting = r.status == ResourceStatus::Deleting
                    && r.intent.as_ref().is_some_and(|i| i.op == IntentOp::Delete);
                deleting || r.deposed.iter().any(|d| d.id == id)
            })
        });
        c.log.push(Call {
            op: "delete",
            address: observed.address.clone(),
            id: Some(id.clone()),
        });
        if let Some(Fault::Fail { class, .. }) = c.fault("delete", &observed.address) {
            return Err(err(class, "injected delete failure"));
        }
        let in_use = c.objects.iter().find(|(_, o)| {
            reference_fields(&o.kind)
                .iter()
                .any(|f| o.properties.get(*f).and_then(Value::as_str) == Some(id.as_str()))
        });
        if let Some((user, _)) = in_use {
            return Err(ReconcileError {
                class: ErrorClass::Conflict,
                code: Some("DependencyViolation".into()),
                message: format!("{id} is still used by {user}"),
            });
        }
        // NotFound counts as success.
        c.objects.remove(&id);
        Ok(())
    }

    async fn ready(
        &self,
        _cx: &ReconcileContext,
        _region: &str,
        observed: &Observed,
    ) -> Result<Readiness, ReconcileError> {
        tokio::task::yield_now().await;
        let mut c = self.cloud.lock().unwrap();
        *c.calls.entry("ready").or_default() += 1;
        if let Some(n) = c.pending.get_mut(&observed.address).filter(|n| **n > 0) {
            *n -= 1;
            // Like an endpoint or a certificate's validation records, a computed value appears
            // while the object gets ready.
            if *n == 0 {
                if let Some(o) = c.objects.get_mut(&observed.id) {
                    if o.properties.contains_key("owner") {
                        o.properties
                            .insert("owner".into(), json!("set-while-getting-ready"));
                    }
                }
            }
            return Ok(Readiness::Pending("still provisioning".into()));
        }
        c.log.push(Call {
            op: "ready",
            address: observed.address.clone(),
            id: Some(observed.id.clone()),
        });
        Ok(Readiness::Ready)
    }
}

// ---------------------------------------------------------------------------------------------
// Harness

fn addr(s: &str) -> Address {
    s.parse().unwrap()
}

fn a_net(region: &str, name: &str) -> Address {
    Address::new(region, "fake.net", name)
}

fn a_sub(region: &str, name: &str) -> Address {
    Address::new(region, "fake.sub", name)
}

fn net(region: &str, name: &str, cidr: &str) -> ResourceDecl {
    ResourceDecl::new(a_net(region, name))
        .with("cidr", cidr)
        .with("tags", json!({"Name": name}))
}

fn sub(region: &str, name: &str, net: &Address, cidr: &str) -> ResourceDecl {
    ResourceDecl::new(a_sub(region, name))
        .with_ref("net_id", net, "id")
        .with("cidr", cidr)
        .with("tags", json!({}))
}

fn peer_addr() -> Address {
    addr("eu-west-1/fake.peer/us-eu")
}

/// Two regions: a net with two subnets in us-east-1, a net with one in eu-west-1, and a peering
/// in eu-west-1 that references both nets.
fn stack(us_cidr: &str) -> Vec<ResourceDecl> {
    let us = a_net(US, "main");
    let eu = a_net(EU, "main");
    vec![
        net(US, "main", us_cidr),
        sub(US, "a", &us, "10.0.0.0/20"),
        sub(US, "b", &us, "10.0.16.0/20"),
        net(EU, "main", "10.1.0.0/16"),
        sub(EU, "a", &eu, "10.1.0.0/20"),
        ResourceDecl::new(peer_addr())
            .with_ref("requester", &us, "id")
            .with_ref("accepter", &eu, "id"),
    ]
}

struct Harness {
    dir: tempfile::TempDir,
    cloud: Cloud,
    registry: Registry,
    cx: ReconcileContext,
    /// How long any kind may take to become ready.
    ready_timeout: Mutex<std::time::Duration>,
}

/// The outcome of one `up`: the plan it applied and the apply's report.
struct Run {
    plan: Plan,
    report: ApplyReport,
    events: Vec<Event>,
}

impl Harness {
    fn new() -> Harness {
        crate::retry::fast_for_tests();
        let cloud: Cloud = Arc::default();
        let mut registry = Registry::new();
        for schema in [&NET, &SUB, &PEER] {
            registry.register(Arc::new(Fake {
                schema,
                cloud: cloud.clone(),
            }));
        }
        Harness {
            dir: tempfile::tempdir().unwrap(),
            cloud,
            registry,
            cx: ReconcileContext {
                stack: STACK.to_string(),
            },
            ready_timeout: Mutex::new(Timeouts::default().default),
        }
    }

    /// The fake cloud, to change it (never hold it across an await).
    fn cloud(&self) -> std::sync::MutexGuard<'_, FakeCloud> {
        self.cloud.lock().unwrap()
    }

    /// A copy of the fake cloud, to inspect it.
    fn snapshot(&self) -> FakeCloud {
        self.cloud().clone()
    }

    fn state_path(&self) -> PathBuf {
        self.dir.path().join(format!("{STACK}.json"))
    }

    /// Check the write-ahead rule on every create and delete from now on.
    fn check_write_ahead(&self) {
        self.cloud().state_file = Some(self.state_path());
    }

    fn state(&self) -> State {
        provision_state::read_state(self.dir.path(), STACK)
            .unwrap()
            .unwrap_or_else(|| State::new(STACK))
    }

    /// Refresh and plan as `provision up` and `diff` do.
    async fn plan(&self, desired: &[ResourceDecl]) -> (Plan, BTreeMap<Address, Observed>, State) {
        let store = StateStore::open(self.dir.path(), STACK, "test").unwrap();
        let mut state = store.load().unwrap();
        let live = refresh(&self.registry, &self.cx, &state, desired)
            .await
            .unwrap();
        let plan = provision_plan::plan(desired, &state, &Live::Refreshed(live.clone()), &|k| {
            self.registry.schema(k)
        })
        .unwrap();
        record_refresh(&mut state, &live, desired);
        store.save(&mut state).unwrap();
        (plan, live, state)
    }

    /// What `provision up` does: refresh, plan, record the refresh, apply.
    async fn up(&self, desired: &[ResourceDecl]) -> Run {
        self.up_with(desired, CancellationToken::new(), |_| {})
            .await
    }

    async fn up_with(
        &self,
        desired: &[ResourceDecl],
        cancel: CancellationToken,
        on_event: impl Fn(&Event) + Send + Sync + 'static,
    ) -> Run {
        let (plan, live, state) = self.plan(desired).await;
        let store = Arc::new(StateStore::open(self.dir.path(), STACK, "test").unwrap());
        let events: Arc<Mutex<Vec<Event>>> = Arc::default();
        let sink = events.clone();
        let opts = ApplyOptions {
            parallelism: 4,
            timeouts: Timeouts {
                default: *self.ready_timeout.lock().unwrap(),
                by_service: HashMap::new(),
            },
            cancel,
            events: Arc::new(move |e: Event| {
                on_event(&e);
                sink.lock().unwrap().push(e);
            }),
        };
        let report = apply(
            &plan,
            live,
            self.registry.clone(),
            self.cx.clone(),
            store,
            Arc::new(tokio::sync::Mutex::new(state)),
            opts,
        )
        .await;
        let events = events.lock().unwrap().clone();
        Run {
            plan,
            report,
            events,
        }
    }
}

fn ids_in_state(st: &State) -> BTreeMap<Address, String> {
    st.resources
        .iter()
        .filter_map(|(a, r)| Some((a.clone(), r.id.clone()?)))
        .collect()
}

fn step_names(steps: &[crate::Step]) -> Vec<String> {
    steps.iter().map(ToString::to_string).collect()
}

fn assert_success(run: &Run) {
    assert!(
        run.report.is_success(),
        "failed: {:?}\nskipped: {:?}\nstate: {:?}\nplan: {:?}",
        run.report.failed,
        run.report.skipped,
        run.report.state_error,
        run.report.plan_error
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Fresh apply

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fresh_apply_creates_everything_in_dependency_order() {
    let h = Harness::new();
    h.check_write_ahead();
    // The us-east-1 net takes three polls to become ready: its subnets must wait for it.
    h.cloud().pending.insert(a_net(US, "main"), 3);
    let desired = stack("10.0.0.0/16");
    let run = h.up(&desired).await;
    assert_success(&run);
    assert_eq!(run.plan.summary().add, 6);
    assert_eq!(run.report.done.len(), 6);

    let st = h.state();
    let c = h.snapshot();
    assert!(c.violations.is_empty(), "{:?}", c.violations);
    assert_eq!(c.objects.len(), 6);
    assert_eq!(c.count("create"), 6);
    assert_eq!(c.count("update") + c.count("delete"), 0);
    // A fresh stack refreshes for free; the one read is the net's, after its readiness wait,
    // which recorded the value that appeared meanwhile.
    assert_eq!(c.count("observe"), 1);
    assert_eq!(
        st.resources[&a_net(US, "main")].observed["owner"],
        json!("set-while-getting-ready")
    );
    assert_eq!(
        st.resources[&a_net(EU, "main")].observed["owner"],
        json!("123456789012"),
        "an object that was ready at once is not read again"
    );

    for d in &desired {
        let r = &st.resources[&d.address];
        assert_eq!(r.status, ResourceStatus::Ready, "{}", d.address);
        assert_eq!(r.id.as_deref(), Some(c.id_of(&d.address).as_str()));
        assert!(r.intent.is_none(), "{}: intent left behind", d.address);
        assert_eq!(r.depends_on, d.dependencies(), "{}", d.address);
        assert_eq!(r.kind, d.address.kind());
        assert_eq!(r.region, d.address.region());
        assert!(r.deposed.is_empty());
    }

    // Every dependant was created after its dependency was created and ready, with its id.
    for d in &desired {
        for dep in d.dependencies() {
            assert!(
                c.position("ready", &dep) < c.position("create", &d.address),
                "{} created before {dep} was ready",
                d.address
            );
        }
    }
    let us_net = c.id_of(&a_net(US, "main"));
    let eu_net = c.id_of(&a_net(EU, "main"));
    let sub_a = &c.objects[&c.id_of(&a_sub(US, "a"))];
    assert_eq!(sub_a.properties["net_id"], json!(us_net));
    let peer = &c.objects[&c.id_of(&peer_addr())];
    assert_eq!(peer.properties["requester"], json!(us_net));
    assert_eq!(peer.properties["accepter"], json!(eu_net));
    assert_eq!(peer.region, EU);
    assert_eq!(
        st.resources[&peer_addr()].desired["requester"],
        json!(us_net),
        "the state records desired values with references resolved"
    );
    // The waits were reported.
    assert!(run
        .events
        .iter()
        .any(|e| matches!(e, Event::Waiting { address, .. } if address == &a_net(US, "main"))));
}

// ---------------------------------------------------------------------------------------------
// 2. A second run

#[tokio::test]
async fn second_run_plans_no_changes_and_makes_no_mutating_call() {
    let h = Harness::new();
    let desired = stack("10.0.0.0/16");
    assert_success(&h.up(&desired).await);
    let before = h.state();
    let mutating = h.cloud().mutating_calls();
    let observes = h.cloud().count("observe");

    let run = h.up(&desired).await;
    assert!(
        !run.plan.has_changes(),
        "{}",
        provision_plan::render(&run.plan)
    );
    assert!(run.plan.changes.iter().all(|c| c.action == Action::NoOp));
    assert_success(&run);
    assert!(run.report.done.is_empty());
    let c = h.snapshot();
    assert_eq!(
        c.mutating_calls(),
        mutating,
        "a no-op run made mutating calls"
    );
    // Refresh is batched: one observe per (kind, region) with something recorded.
    assert_eq!(c.count("observe") - observes, 5);
    let after = h.state();
    assert_eq!(ids_in_state(&before), ids_in_state(&after));
    assert!(after
        .resources
        .values()
        .all(|r| r.status == ResourceStatus::Ready));
}

// ---------------------------------------------------------------------------------------------
// 3. A failed branch

#[tokio::test]
async fn failed_branch_skips_only_its_dependants() {
    let h = Harness::new();
    let us = a_net(US, "main");
    h.cloud().faults.insert(
        ("create", us.clone()),
        Fault::Fail {
            class: ErrorClass::Invalid,
            times: None,
        },
    );
    let desired = stack("10.0.0.0/16");
    let run = h.up(&desired).await;
    assert!(!run.report.is_success());

    let failed = crate::Step {
        address: us.clone(),
        op: StepOp::Create,
    };
    assert_eq!(run.report.failed.len(), 1);
    assert_eq!(run.report.failed[0].0, failed);
    assert!(
        run.report.failed[0].1.contains(&us.to_string()),
        "the error names the address: {}",
        run.report.failed[0].1
    );
    let mut skipped: Vec<String> = run
        .report
        .skipped
        .iter()
        .map(|(s, cause)| {
            assert_eq!(cause.as_ref(), Some(&failed), "{s} skipped for {cause:?}");
            s.to_string()
        })
        .collect();
    skipped.sort();
    assert_eq!(
        skipped,
        vec![
            "create eu-west-1/fake.peer/us-eu",
            "create us-east-1/fake.sub/a",
            "create us-east-1/fake.sub/b",
        ]
    );
    let mut done = step_names(&run.report.done);
    done.sort();
    assert_eq!(
        done,
        vec![
            "create eu-west-1/fake.net/main",
            "create eu-west-1/fake.sub/a"
        ]
    );

    let c = h.snapshot();
    // A permanent error is not retried, and the dependants were never called.
    assert_eq!(c.calls_for("create", &us), 1);
    for a in [a_sub(US, "a"), a_sub(US, "b"), peer_addr()] {
        assert_eq!(c.calls_for("create", &a), 0, "{a} was called");
    }
    assert_eq!(c.objects.len(), 2);

    let st = h.state();
    let r = &st.resources[&us];
    assert!(
        matches!(r.status, ResourceStatus::Failed | ResourceStatus::Creating),
        "{:?}",
        r.status
    );
    assert!(r.id.is_none());
    assert_eq!(r.desired["cidr"], json!("10.0.0.0/16"));
    for a in [a_net(EU, "main"), a_sub(EU, "a")] {
        assert_eq!(st.resources[&a].status, ResourceStatus::Ready);
        assert!(st.resources[&a].id.is_some());
    }
    assert_eq!(st.resources.len(), 3, "{:?}", st.resources.keys());

    // Once the cause is gone, the next run finishes the job without touching what exists.
    h.cloud().faults.clear();
    let run = h.up(&desired).await;
    assert_success(&run);
    assert_eq!(run.plan.summary().add, 4);
    let c = h.snapshot();
    assert_eq!(c.objects.len(), 6);
    assert_eq!(c.count("create"), 3 + 4);
    assert_eq!(c.count("update") + c.count("delete"), 0);
}

// ---------------------------------------------------------------------------------------------
// 4. Lost answers

#[tokio::test]
async fn lost_create_answer_is_adopted_not_duplicated() {
    let h = Harness::new();
    let us = a_net(US, "main");
    h.cloud()
        .faults
        .insert(("create", us.clone()), Fault::LostAnswer { times: 1 });
    let run = h.up(&stack("10.0.0.0/16")).await;
    assert_success(&run);

    let c = h.snapshot();
    assert_eq!(c.objects_at(&us).len(), 1, "a duplicate was created");
    assert_eq!(c.calls_for("create", &us), 1, "the create was resent blind");
    assert!(c.count("observe") >= 1, "no lookup before retrying");
    assert_eq!(c.objects.len(), 6);
    let id = c.id_of(&us);
    let sub_net = c.objects[&c.id_of(&a_sub(US, "a"))].properties["net_id"].clone();
    let st = h.state();
    assert_eq!(st.resources[&us].id.as_deref(), Some(id.as_str()));
    assert_eq!(st.resources[&us].status, ResourceStatus::Ready);
    assert_eq!(sub_net, json!(id), "dependants use the adopted id");
    assert!(run
        .events
        .iter()
        .any(|e| matches!(e, Event::Retrying { address, .. } if address == &us)));
}

#[tokio::test]
async fn lost_answer_with_a_failing_lookup_never_resends_blind() {
    let h = Harness::new();
    let us = a_net(US, "main");
    {
        let mut c = h.cloud();
        c.faults
            .insert(("create", us.clone()), Fault::LostAnswer { times: 1 });
        // The first two lookups fail too: the engine must look again, not create again.
        c.observe_failures = 2;
    }
    let run = h.up(&[net(US, "main", "10.0.0.0/16")]).await;
    assert_success(&run);
    let c = h.snapshot();
    assert_eq!(c.objects_at(&us).len(), 1, "a duplicate was created");
    assert_eq!(c.calls_for("create", &us), 1);
    assert_eq!(c.count("observe"), 3);
    let id = c.id_of(&us);
    assert_eq!(h.state().resources[&us].id.as_deref(), Some(id.as_str()));
}

#[tokio::test]
async fn already_exists_from_a_killed_runs_late_create_is_adopted() {
    let h = Harness::new();
    let us = a_net(US, "main");
    h.cloud()
        .faults
        .insert(("create", us.clone()), Fault::MadeByKilledRun);
    let run = h.up(&stack("10.0.0.0/16")).await;
    assert_success(&run);
    let c = h.snapshot();
    assert_eq!(c.objects_at(&us).len(), 1, "a duplicate was created");
    assert_eq!(c.calls_for("create", &us), 1, "the create was resent");
    assert_eq!(
        c.calls_for("update", &us),
        1,
        "the adopted object was not set up"
    );
    let id = c.id_of(&us);
    assert_eq!(c.objects[&id].properties["tags"], json!({"Name": "main"}));
    assert_eq!(h.state().resources[&us].id.as_deref(), Some(id.as_str()));
    assert_eq!(h.state().resources[&us].status, ResourceStatus::Ready);
}

#[tokio::test]
async fn a_create_a_killed_run_just_started_is_looked_for_again_before_creating() {
    let h = Harness::new();
    let us = a_net(US, "main");
    // The killed run recorded its intent a moment ago; its create lands after this run's
    // refresh (observe 1), before the engine's second look (observe 2).
    {
        let store = StateStore::open(h.dir.path(), STACK, "test").unwrap();
        let mut st = State::new(STACK);
        let mut r = ResourceState::new(us.kind(), US, ResourceStatus::Creating);
        r.intent = Some(Intent::new(IntentOp::Create));
        st.resources.insert(us.clone(), r);
        store.save(&mut st).unwrap();
    }
    let late = Obj {
        kind: "fake.net".into(),
        region: US.into(),
        stack: STACK.into(),
        address: us.clone(),
        properties: serde_json::from_value(
            json!({"cidr": "10.0.0.0/16", "tags": {"Name": "main"}}),
        )
        .unwrap(),
    };
    h.cloud().appears_on_observe = Some((2, "net-late".into(), late));
    let run = h.up(&[net(US, "main", "10.0.0.0/16")]).await;
    assert_success(&run);
    assert_eq!(run.plan.get(&us).unwrap().action, Action::Create);
    let c = h.snapshot();
    assert_eq!(c.calls_for("create", &us), 0, "created a duplicate");
    assert_eq!(c.objects_at(&us).len(), 1);
    assert_eq!(h.state().resources[&us].id.as_deref(), Some("net-late"));
}

#[tokio::test]
async fn an_old_interrupted_create_is_looked_for_again_before_creating() {
    let h = Harness::new();
    let us = a_net(US, "main");
    // A killed run's intent from long ago (past the settle window); the refresh (observe 1) did
    // not see its object (listed before it carried its tags, say), the engine's look before
    // creating (observe 2) does.
    {
        let store = StateStore::open(h.dir.path(), STACK, "test").unwrap();
        let mut st = State::new(STACK);
        let mut r = ResourceState::new(us.kind(), US, ResourceStatus::Creating);
        let mut intent = Intent::new(IntentOp::Create);
        intent.started_at = "2026-01-01T00:00:00.000Z".into();
        r.intent = Some(intent);
        st.resources.insert(us.clone(), r);
        store.save(&mut st).unwrap();
    }
    let late = Obj {
        kind: "fake.net".into(),
        region: US.into(),
        stack: STACK.into(),
        address: us.clone(),
        properties: serde_json::from_value(
            json!({"cidr": "10.0.0.0/16", "tags": {"Name": "main"}}),
        )
        .unwrap(),
    };
    h.cloud().appears_on_observe = Some((2, "net-late".into(), late));
    let run = h.up(&[net(US, "main", "10.0.0.0/16")]).await;
    assert_success(&run);
    assert_eq!(run.plan.get(&us).unwrap().action, Action::Create);
    let c = h.snapshot();
    assert_eq!(c.calls_for("create", &us), 0, "created a duplicate");
    assert_eq!(c.objects_at(&us).len(), 1);
    assert_eq!(h.state().resources[&us].id.as_deref(), Some("net-late"));
}

#[tokio::test]
async fn a_name_taken_by_a_stranger_fails_with_a_hint_and_adopts_nothing() {
    let h = Harness::new();
    let us = a_net(US, "main");
    h.cloud().faults.insert(
        ("create", us.clone()),
        Fault::Fail {
            class: ErrorClass::AlreadyExists,
            times: None,
        },
    );
    let run = h.up(&[net(US, "main", "10.0.0.0/16")]).await;
    assert_eq!(run.report.failed.len(), 1);
    let msg = format!("{:?}", run.report.failed);
    assert!(msg.contains("provision did not create"), "{msg}");
    let c = h.snapshot();
    // Looked up after each "already exists"; gave up after the second.
    assert_eq!(c.calls_for("create", &us), 2);
    assert_eq!(c.count("observe"), 2);
    assert!(c.objects.is_empty());
    assert_eq!(h.state().resources[&us].status, ResourceStatus::Failed);
}

#[tokio::test]
async fn transient_create_errors_that_made_nothing_are_retried_after_a_lookup() {
    let h = Harness::new();
    let us = a_net(US, "main");
    h.cloud().faults.insert(
        ("create", us.clone()),
        Fault::Fail {
            class: ErrorClass::Transient,
            times: Some(2),
        },
    );
    let run = h.up(&[net(US, "main", "10.0.0.0/16")]).await;
    assert_success(&run);
    let c = h.snapshot();
    assert_eq!(c.calls_for("create", &us), 3);
    assert_eq!(c.count("observe"), 2, "one lookup before each resend");
    assert_eq!(c.objects_at(&us).len(), 1);
}

#[tokio::test]
async fn create_that_keeps_failing_transiently_gives_up_and_is_recorded() {
    let h = Harness::new();
    let us = a_net(US, "main");
    h.cloud().faults.insert(
        ("create", us.clone()),
        Fault::Fail {
            class: ErrorClass::Throttled,
            times: None,
        },
    );
    let run = h.up(&[net(US, "main", "10.0.0.0/16")]).await;
    assert_eq!(run.report.failed.len(), 1);
    let c = h.snapshot();
    assert_eq!(
        c.calls_for("create", &us),
        crate::retry::MAX_ATTEMPTS as usize
    );
    // Every resend was preceded by a lookup, and the last failure was looked up too.
    assert_eq!(c.count("observe"), crate::retry::MAX_ATTEMPTS as usize);
    assert!(c.objects.is_empty());
    let st = h.state();
    let r = &st.resources[&us];
    assert_eq!(r.status, ResourceStatus::Failed);
    assert_eq!(r.intent.as_ref().map(|i| i.op), Some(IntentOp::Create));
}

#[tokio::test]
async fn lost_answer_of_a_create_that_gave_up_is_adopted_by_the_next_run() {
    let h = Harness::new();
    let us = a_net(US, "main");
    {
        let mut c = h.cloud();
        c.faults
            .insert(("create", us.clone()), Fault::LostAnswer { times: 1 });
        // Every lookup fails: the engine gives up without resending the create.
        c.observe_failures = u32::MAX;
    }
    let desired = [net(US, "main", "10.0.0.0/16")];
    let run = h.up(&desired).await;
    assert_eq!(run.report.failed.len(), 1);
    assert!(
        run.report.failed[0].1.contains("may have happened"),
        "{}",
        run.report.failed[0].1
    );
    assert_eq!(h.cloud().calls_for("create", &us), 1);
    let st = h.state();
    assert_eq!(st.resources[&us].status, ResourceStatus::Failed);

    // The network is back: the next run finds the object by its tag and adopts it.
    h.cloud().observe_failures = 0;
    let run = h.up(&desired).await;
    assert_success(&run);
    let id = h.cloud().id_of(&us);
    let st = h.state();
    assert_eq!(st.resources[&us].id.as_deref(), Some(id.as_str()));
    assert!(st.resources[&us].intent.is_none());
    // The plan is made before the refresh is recorded (as `provision up` does), so the adopted
    // object is waited for by the run after.
    assert_eq!(st.resources[&us].status, ResourceStatus::Pending);
    let run = h.up(&desired).await;
    assert_success(&run);
    assert_eq!(run.plan.get(&us).unwrap().action, Action::Update);
    let c = h.snapshot();
    assert_eq!(c.objects_at(&us).len(), 1);
    assert_eq!(c.calls_for("create", &us), 1);
    assert_eq!(c.count("update"), 0, "resuming a wait is no update");
    let st = h.state();
    assert_eq!(st.resources[&us].id.as_deref(), Some(id.as_str()));
    assert_eq!(st.resources[&us].status, ResourceStatus::Ready);
}

// ---------------------------------------------------------------------------------------------
// 5. Transient errors on delete

#[tokio::test]
async fn transient_delete_errors_are_retried_until_the_delete_completes() {
    let h = Harness::new();
    let desired = stack("10.0.0.0/16");
    assert_success(&h.up(&desired).await);
    let sa = a_sub(US, "a");
    h.cloud().faults.insert(
        ("delete", sa.clone()),
        Fault::Fail {
            class: ErrorClass::Transient,
            times: Some(3),
        },
    );
    let started = std::time::Instant::now();
    let without_a: Vec<ResourceDecl> = desired
        .iter()
        .filter(|d| d.address != sa)
        .cloned()
        .collect();
    let run = h.up(&without_a).await;
    assert_success(&run);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(
        step_names(&run.report.done),
        vec!["delete us-east-1/fake.sub/a"]
    );
    let c = h.snapshot();
    assert_eq!(c.calls_for("delete", &sa), 4);
    assert!(c.objects_at(&sa).is_empty());
    assert_eq!(c.objects.len(), 5);
    assert!(!h.state().resources.contains_key(&sa));
    let retries = run
        .events
        .iter()
        .filter(|e| matches!(e, Event::Retrying { address, .. } if address == &sa))
        .count();
    assert_eq!(retries, 3);
}

#[tokio::test]
async fn permanent_delete_error_keeps_the_object_and_its_dependencies() {
    let h = Harness::new();
    assert_success(&h.up(&stack("10.0.0.0/16")).await);
    let sa = a_sub(US, "a");
    h.cloud().faults.insert(
        ("delete", sa.clone()),
        Fault::Fail {
            class: ErrorClass::Invalid,
            times: None,
        },
    );
    let run = h.up(&[]).await;
    assert_eq!(run.report.failed.len(), 1);
    let skipped: Vec<String> = run
        .report
        .skipped
        .iter()
        .map(|(s, _)| s.to_string())
        .collect();
    // The us-east-1 net cannot go while its subnet stays; the rest of the stack goes.
    assert_eq!(skipped, vec!["delete us-east-1/fake.net/main"]);
    let c = h.snapshot();
    assert_eq!(c.calls_for("delete", &sa), 1);
    assert_eq!(c.calls_for("delete", &a_net(US, "main")), 0);
    assert_eq!(c.objects.len(), 2);
    let st = h.state();
    assert_eq!(st.resources.len(), 2);
    assert_eq!(st.resources[&sa].status, ResourceStatus::Deleting);
    assert!(st.resources[&sa].id.is_some());
    assert_eq!(
        st.resources[&a_net(US, "main")].status,
        ResourceStatus::Ready
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Replacement

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_before_destroy_replacement_with_a_delete_first_dependant() {
    let h = Harness::new();
    let desired = stack("10.0.0.0/16");
    assert_success(&h.up(&desired).await);
    let us = a_net(US, "main");
    let old = ids_in_state(&h.state());
    h.check_write_ahead();

    let desired = stack("10.9.0.0/16");
    let run = h.up(&desired).await;
    assert_success(&run);
    assert_eq!(
        run.plan.get(&us).unwrap().action,
        Action::Replace(ReplaceOrder::CreateBeforeDestroy)
    );
    assert_eq!(
        run.plan.get(&a_sub(US, "a")).unwrap().action,
        Action::Replace(ReplaceOrder::DeleteFirst)
    );
    assert_eq!(
        run.plan.get(&peer_addr()).unwrap().action,
        Action::Replace(ReplaceOrder::DeleteFirst)
    );
    // Nothing in eu-west-1's own subnet changes.
    assert_eq!(run.plan.get(&a_sub(EU, "a")).unwrap().action, Action::NoOp);

    let st = h.state();
    let new = ids_in_state(&st);
    let replaced = [us.clone(), a_sub(US, "a"), a_sub(US, "b"), peer_addr()];
    let c = h.snapshot();
    assert!(c.violations.is_empty(), "{:?}", c.violations);
    for a in &replaced {
        assert_ne!(old[a], new[a], "{a} kept its id");
        assert!(!c.objects.contains_key(&old[a]), "{a}: old object left");
        assert_eq!(c.id_of(a), new[a]);
        assert_eq!(st.resources[a].status, ResourceStatus::Ready);
        assert!(st.resources[a].deposed.is_empty(), "{a}: deposed left");
    }
    for a in [a_net(EU, "main"), a_sub(EU, "a")] {
        assert_eq!(old[&a], new[&a]);
    }
    assert_eq!(c.objects.len(), 6);
    assert_eq!(
        c.objects[&new[&us]].properties["cidr"],
        json!("10.9.0.0/16")
    );
    assert_eq!(
        c.objects[&new[&a_sub(US, "a")]].properties["net_id"],
        json!(new[&us])
    );
    // Create before destroy: the new net exists before the old one goes, and the old one goes
    // only after the subnets and the peering that used it.
    let old_net_deleted = c.position_of_id("delete", &old[&us]);
    assert!(c.position_of_id("create", &new[&us]) < old_net_deleted);
    for a in [a_sub(US, "a"), a_sub(US, "b"), peer_addr()] {
        assert!(c.position_of_id("delete", &old[&a]) < old_net_deleted);
        // Delete first: the old subnet goes before the new one is made.
        assert!(c.position_of_id("delete", &old[&a]) < c.position_of_id("create", &new[&a]));
    }
    assert_eq!(c.count("update"), 0);

    // And the run after is quiet.
    let run = h.up(&desired).await;
    assert!(
        !run.plan.has_changes(),
        "{}",
        provision_plan::render(&run.plan)
    );
}

#[tokio::test]
async fn lookup_after_a_failed_replacement_create_ignores_the_old_object() {
    // The old and the new object carry the same address tag. A transient error on the new
    // object's create must not make the engine adopt the old one (and then delete it as
    // superseded).
    let h = Harness::new();
    let us = a_net(US, "main");
    assert_success(&h.up(&[net(US, "main", "10.0.0.0/16")]).await);
    let old = h.cloud().id_of(&us);
    h.cloud().faults.insert(
        ("create", us.clone()),
        Fault::Fail {
            class: ErrorClass::Transient,
            times: Some(1),
        },
    );
    let run = h.up(&[net(US, "main", "10.9.0.0/16")]).await;
    assert_success(&run);
    let c = h.snapshot();
    assert_eq!(c.calls_for("create", &us), 1 + 2);
    let new = c.id_of(&us);
    assert_ne!(new, old);
    assert_eq!(c.objects[&new].properties["cidr"], json!("10.9.0.0/16"));
    let st = h.state();
    assert_eq!(st.resources[&us].id.as_deref(), Some(new.as_str()));
    assert!(st.resources[&us].deposed.is_empty());
}

#[tokio::test]
async fn lost_answer_during_a_replacement_adopts_the_new_object() {
    let h = Harness::new();
    let us = a_net(US, "main");
    assert_success(&h.up(&[net(US, "main", "10.0.0.0/16")]).await);
    let old = h.cloud().id_of(&us);
    h.cloud()
        .faults
        .insert(("create", us.clone()), Fault::LostAnswer { times: 1 });
    let run = h.up(&[net(US, "main", "10.9.0.0/16")]).await;
    assert_success(&run);
    let c = h.snapshot();
    assert_eq!(
        c.calls_for("create", &us),
        2,
        "the replacement was created twice"
    );
    let new = c.id_of(&us);
    assert_ne!(new, old);
    assert_eq!(h.state().resources[&us].id.as_deref(), Some(new.as_str()));
}

#[tokio::test]
async fn interrupted_replacement_is_finished_by_the_next_run() {
    // A create-before-destroy replacement whose delete of the old object failed: the state holds
    // the new object and the old one as deposed. Refresh sees both (same tag) and must pick the
    // new one; the next run deletes the old one and nothing else.
    let h = Harness::new();
    let us = a_net(US, "main");
    assert_success(&h.up(&[net(US, "main", "10.0.0.0/16")]).await);
    let old = h.cloud().id_of(&us);
    h.cloud().faults.insert(
        ("delete", us.clone()),
        Fault::Fail {
            class: ErrorClass::Invalid,
            times: Some(1),
        },
    );
    let desired = [net(US, "main", "10.9.0.0/16")];
    let run = h.up(&desired).await;
    assert_eq!(run.report.failed.len(), 1);
    let st = h.state();
    let new = st.resources[&us].id.clone().unwrap();
    assert_ne!(new, old);
    assert_eq!(st.resources[&us].deposed.len(), 1);
    assert_eq!(st.resources[&us].deposed[0].id, old);
    assert_eq!(h.cloud().objects.len(), 2);

    for reversed in [false, true] {
        // Whichever order observe lists them in, refresh maps the address to the new object.
        h.cloud().reverse_listing = reversed;
        let (_, live, _) = h.plan(&desired).await;
        assert_eq!(live[&us].id, new, "listing reversed: {reversed}");
    }
    let run = h.up(&desired).await;
    assert_success(&run);
    assert_eq!(run.plan.get(&us).unwrap().action, Action::Update);
    let c = h.snapshot();
    assert_eq!(c.count("update"), 0);
    assert!(!c.objects.contains_key(&old));
    assert_eq!(c.id_of(&us), new);
    let st = h.state();
    assert!(st.resources[&us].deposed.is_empty());
    assert_eq!(st.resources[&us].id.as_deref(), Some(new.as_str()));
}

#[tokio::test]
async fn tag_change_is_an_update_in_place() {
    let h = Harness::new();
    let us = a_net(US, "main");
    assert_success(&h.up(&stack("10.0.0.0/16")).await);
    let id = h.cloud().id_of(&us);
    let mut desired = stack("10.0.0.0/16");
    desired[0] = desired[0].clone().with("tags", json!({"Name": "core"}));
    let run = h.up(&desired).await;
    assert_success(&run);
    assert_eq!(
        step_names(&run.report.done),
        vec!["update us-east-1/fake.net/main"]
    );
    let c = h.snapshot();
    assert_eq!(c.count("update"), 1);
    assert_eq!(c.id_of(&us), id);
    assert_eq!(c.objects[&id].properties["tags"], json!({"Name": "core"}));
    assert_eq!(
        h.state().resources[&us].observed["tags"],
        json!({"Name": "core"})
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Destroy

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn destroy_deletes_dependants_first_and_empties_the_state() {
    let h = Harness::new();
    let desired = stack("10.0.0.0/16");
    assert_success(&h.up(&desired).await);
    let ids = ids_in_state(&h.state());
    h.check_write_ahead();

    let run = h.up(&[]).await;
    assert_success(&run);
    assert_eq!(run.plan.summary().destroy, 6);
    let c = h.snapshot();
    assert!(c.violations.is_empty(), "{:?}", c.violations);
    assert!(c.objects.is_empty(), "{:?}", c.objects);
    assert_eq!(c.count("delete"), 6, "a delete hit a DependencyViolation");
    for d in &desired {
        for dep in d.dependencies() {
            assert!(
                c.position_of_id("delete", &ids[&d.address])
                    < c.position_of_id("delete", &ids[&dep]),
                "{dep} deleted before its dependant {}",
                d.address
            );
        }
    }
    assert!(h.state().resources.is_empty());

    // Nothing left to do.
    let run = h.up(&[]).await;
    assert!(!run.plan.has_changes());
}

#[tokio::test]
async fn destroy_forgets_what_is_already_gone() {
    let h = Harness::new();
    assert_success(&h.up(&stack("10.0.0.0/16")).await);
    // Someone deleted the eu-west-1 subnet by hand.
    {
        let mut c = h.cloud();
        let id = c.id_of(&a_sub(EU, "a"));
        c.objects.remove(&id);
    }
    let run = h.up(&[]).await;
    assert_success(&run);
    let c = h.snapshot();
    assert_eq!(c.count("delete"), 5);
    assert!(c.objects.is_empty());
    assert!(h.state().resources.is_empty());
}

// ---------------------------------------------------------------------------------------------
// 8. The state is saved after every change

#[tokio::test]
async fn state_is_saved_after_every_change() {
    let h = Harness::new();
    h.check_write_ahead();
    // After each step, the file on disk already holds its result.
    let path = h.state_path();
    let late: Arc<Mutex<Vec<String>>> = Arc::default();
    let late2 = late.clone();
    let on_event = move |e: &Event| {
        let Event::Finished { step, id, .. } = e else {
            return;
        };
        let st: State = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let r = st.resources.get(&step.address);
        let ok = match step.op {
            StepOp::Create | StepOp::Update => r.is_some_and(|r| {
                r.id == *id && r.status == ResourceStatus::Ready && r.intent.is_none()
            }),
            StepOp::Delete => r.is_none(),
            StepOp::DeleteDeposed => r.is_some_and(|r| r.deposed.is_empty()),
        };
        if !ok {
            late2.lock().unwrap().push(format!("{step}: {r:?}"));
        }
    };
    let desired = stack("10.0.0.0/16");
    let run = h
        .up_with(&desired, CancellationToken::new(), on_event)
        .await;
    assert_success(&run);
    let creates = run.report.done.len();
    assert_eq!(creates, 6);
    let st = h.state();
    // Each create writes its intent, then its id, then its readiness.
    assert!(
        st.serial as usize >= 3 * creates,
        "serial {} after {creates} creates",
        st.serial
    );
    assert!(h.dir.path().join(format!("{STACK}.json.backup")).exists());
    let violations = h.snapshot().violations;
    assert!(violations.is_empty(), "{violations:?}");
    let late = late.lock().unwrap().clone();
    assert!(late.is_empty(), "{late:?}");

    // Deletes are saved one by one too.
    let serial = st.serial;
    let run = h.up(&[]).await;
    assert_success(&run);
    let after = h.state().serial;
    assert!(
        after >= serial + 2 * 6,
        "serial {serial} -> {after} for 6 deletes"
    );
    let violations = h.snapshot().violations;
    assert!(violations.is_empty(), "{violations:?}");
}

// ---------------------------------------------------------------------------------------------
// 9. Adoption by refresh

#[tokio::test]
async fn record_refresh_adopts_an_object_found_by_tag() {
    let h = Harness::new();
    let us = a_net(US, "main");
    let spare = a_net(US, "spare");
    assert_success(&h.up(&[net(US, "main", "10.0.0.0/16")]).await);
    // A create whose id never reached the state: the object exists with its tags, unknown to
    // the state. And an object tagged for this stack that neither state nor spec knows.
    {
        let mut c = h.cloud();
        for (id, a, cidr) in [
            ("net-100", &spare, "10.2.0.0/16"),
            ("net-200", &a_net(US, "stray"), "10.3.0.0/16"),
        ] {
            c.objects.insert(
                id.into(),
                Obj {
                    kind: "fake.net".into(),
                    region: US.into(),
                    stack: STACK.into(),
                    address: a.clone(),
                    properties: json!({"cidr": cidr, "tags": {"Name": a.name()}, "owner": "x"})
                        .as_object()
                        .unwrap()
                        .clone(),
                },
            );
        }
    }
    let desired = [
        net(US, "main", "10.0.0.0/16"),
        net(US, "spare", "10.2.0.0/16"),
    ];

    // record_refresh on its own.
    let store = StateStore::open(h.dir.path(), STACK, "test").unwrap();
    let mut state = store.load().unwrap();
    assert!(!state.resources.contains_key(&spare));
    let live = refresh(&h.registry, &h.cx, &state, &desired).await.unwrap();
    assert_eq!(live[&spare].id, "net-100");
    assert!(
        !live.contains_key(&a_net(US, "stray")),
        "a stray object was picked up"
    );
    record_refresh(&mut state, &live, &desired);
    let r = &state.resources[&spare];
    assert_eq!(r.id.as_deref(), Some("net-100"));
    assert_eq!(r.arn.as_deref(), Some("arn:fake:us-east-1:net-100"));
    assert_eq!(r.status, ResourceStatus::Pending);
    assert_eq!(r.observed["cidr"], json!("10.2.0.0/16"));
    assert_eq!(r.kind, "fake.net");
    assert_eq!(r.region, US);
    assert!(!state.resources.contains_key(&a_net(US, "stray")));
    drop(store);

    // Whole runs: the first adopts it (its plan says so), the second waits for it to be
    // ready. Neither creates or updates anything.
    let mutating = h.cloud().mutating_calls();
    let run = h.up(&desired).await;
    assert_success(&run);
    let adopt = run.plan.get(&spare).unwrap();
    assert_eq!(adopt.action, Action::NoOp);
    assert!(adopt.reasons[0].contains("adopted"), "{:?}", adopt.reasons);
    assert_eq!(h.state().resources[&spare].status, ResourceStatus::Pending);
    let run = h.up(&desired).await;
    assert_success(&run);
    assert_eq!(
        step_names(&run.report.done),
        vec!["update us-east-1/fake.net/spare"]
    );
    let c = h.snapshot();
    assert_eq!(c.mutating_calls(), mutating, "{:#?}", c.log);
    assert_eq!(c.objects_at(&spare).len(), 1);
    assert!(
        c.objects.contains_key("net-200"),
        "the stray object was touched"
    );
    let st = h.state();
    assert_eq!(st.resources[&spare].id.as_deref(), Some("net-100"));
    assert_eq!(st.resources[&spare].status, ResourceStatus::Ready);
    assert_eq!(st.resources[&us].status, ResourceStatus::Ready);
    assert!(!st.resources.contains_key(&a_net(US, "stray")));
}

#[tokio::test]
async fn interrupted_create_is_adopted_from_its_intent() {
    // A crash after the create call and before its id was saved: the state holds the intent
    // (status Creating, no id); the object exists with its address tag.
    let h = Harness::new();
    let us = a_net(US, "main");
    let desired = [net(US, "main", "10.0.0.0/16")];
    assert_success(&h.up(&desired).await);
    {
        let store = StateStore::open(h.dir.path(), STACK, "test").unwrap();
        let mut st = store.load().unwrap();
        let r = st.resources.get_mut(&us).unwrap();
        r.id = None;
        r.arn = None;
        r.observed.clear();
        r.status = ResourceStatus::Creating;
        r.intent = Some(provision_state::Intent::new(IntentOp::Create));
        store.save(&mut st).unwrap();
    }
    let id = h.cloud().id_of(&us);
    let run = h.up(&desired).await;
    assert_success(&run);
    let st = h.state();
    assert_eq!(st.resources[&us].id.as_deref(), Some(id.as_str()));
    assert_eq!(st.resources[&us].status, ResourceStatus::Pending);
    assert!(st.resources[&us].intent.is_none());
    let run = h.up(&desired).await;
    assert_success(&run);
    let c = h.snapshot();
    assert_eq!(c.count("create"), 1, "created twice");
    assert_eq!(c.count("update"), 0);
    let st = h.state();
    assert_eq!(st.resources[&us].id.as_deref(), Some(id.as_str()));
    assert_eq!(st.resources[&us].status, ResourceStatus::Ready);
}

// ---------------------------------------------------------------------------------------------
// Readiness

#[tokio::test]
async fn readiness_timeout_keeps_the_object_pending_and_the_next_run_resumes_waiting() {
    let h = Harness::new();
    let us = a_net(US, "main");
    *h.ready_timeout.lock().unwrap() = std::time::Duration::from_millis(30);
    h.cloud().pending.insert(us.clone(), u32::MAX);
    let desired = vec![
        net(US, "main", "10.0.0.0/16"),
        sub(US, "a", &us, "10.0.0.0/20"),
    ];
    let run = h.up(&desired).await;
    assert_eq!(run.report.failed.len(), 1);
    assert!(
        run.report.failed[0].1.contains("not ready after"),
        "{}",
        run.report.failed[0].1
    );
    assert_eq!(
        step_names(
            &run.report
                .skipped
                .iter()
                .map(|(s, _)| s.clone())
                .collect::<Vec<_>>()
        ),
        vec!["create us-east-1/fake.sub/a"]
    );
    let id = h.snapshot().id_of(&us);
    let st = h.state();
    // Never lost: recorded with its id, as pending.
    assert_eq!(st.resources[&us].id.as_deref(), Some(id.as_str()));
    assert_eq!(st.resources[&us].status, ResourceStatus::Pending);

    // It becomes ready: the next run waits for it (no update call) and then makes the subnet.
    h.cloud().pending.clear();
    let run = h.up(&desired).await;
    assert_success(&run);
    assert_eq!(run.plan.get(&us).unwrap().action, Action::Update);
    let c = h.snapshot();
    assert_eq!(c.count("update"), 0);
    assert_eq!(c.count("create"), 2);
    assert_eq!(c.id_of(&us), id);
    assert_eq!(h.state().resources[&us].status, ResourceStatus::Ready);
}

// ---------------------------------------------------------------------------------------------
// Cancellation

#[tokio::test]
async fn cancelled_apply_starts_nothing_new_and_keeps_what_is_done() {
    let h = Harness::new();
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    // Stop as soon as the first net is created.
    let on_event = move |e: &Event| {
        if let Event::Finished { step, .. } = e {
            if step.address.kind() == "fake.net" {
                c2.cancel();
            }
        }
    };
    let desired = vec![
        net(US, "main", "10.0.0.0/16"),
        sub(US, "a", &a_net(US, "main"), "10.0.0.0/20"),
    ];
    let run = h.up_with(&desired, cancel, on_event).await;
    assert_eq!(
        step_names(&run.report.done),
        vec!["create us-east-1/fake.net/main"]
    );
    assert_eq!(run.report.skipped.len(), 1);
    assert_eq!(run.report.skipped[0].1, None, "skipped for cancellation");
    let c = h.snapshot();
    assert_eq!(c.count("create"), 1);
    let st = h.state();
    assert_eq!(st.resources.len(), 1);
    assert_eq!(
        st.resources[&a_net(US, "main")].status,
        ResourceStatus::Ready
    );

    // The next run picks up where this one stopped.
    let run = h.up(&desired).await;
    assert_success(&run);
    assert_eq!(
        step_names(&run.report.done),
        vec!["create us-east-1/fake.sub/a"]
    );
}

#[tokio::test]
async fn an_interrupt_stops_a_readiness_wait_and_keeps_the_object_pending() {
    let h = Harness::new();
    let us = a_net(US, "main");
    // Never ready within the test: only the interrupt ends the wait.
    h.cloud().pending.insert(us.clone(), u32::MAX);
    *h.ready_timeout.lock().unwrap() = std::time::Duration::from_secs(3600);
    let cancel = CancellationToken::new();
    let c2 = cancel.clone();
    let on_event = move |e: &Event| {
        if let Event::Waiting { .. } = e {
            c2.cancel();
        }
    };
    let desired = vec![net(US, "main", "10.0.0.0/16")];
    let run = h.up_with(&desired, cancel, on_event).await;
    assert!(run.report.failed.is_empty(), "{:?}", run.report.failed);
    assert_eq!(run.report.interrupted.len(), 1);
    assert!(
        run.report.interrupted[0]
            .1
            .contains("the next run resumes waiting"),
        "{}",
        run.report.interrupted[0].1
    );
    assert!(!run.report.is_success());
    let id = h.cloud().id_of(&us);
    let st = h.state();
    assert_eq!(st.resources[&us].id.as_deref(), Some(id.as_str()));
    assert_eq!(st.resources[&us].status, ResourceStatus::Pending);

    // The next run waits for it again, and creates nothing.
    h.cloud().pending.insert(us.clone(), 1);
    let run = h.up(&desired).await;
    assert_success(&run);
    assert_eq!(h.cloud().calls_for("create", &us), 1);
    assert_eq!(h.state().resources[&us].status, ResourceStatus::Ready);
}
