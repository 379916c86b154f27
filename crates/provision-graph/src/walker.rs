//! A generic async DAG walker in the style of turborepo's: one task per node waits for its
//! dependencies' completion signals, then runs the caller's function.
//!
//! - A node runs once every dependency finished `Ok`, and at most once.
//! - When a node fails, its transitive dependants are skipped, never called; independent
//!   branches keep going.
//! - The walker itself does not limit concurrency: callers limit their API calls with their own
//!   semaphores, because a resource waiting for readiness must not hold a slot. An optional
//!   `max_concurrency` bounds how many node functions run at once.
//! - After the cancellation token fires, no new node starts (each is reported
//!   [`SkipReason::Cancelled`]); the ones running finish.

use crate::error::WalkError;
use crate::graph::{build_digraph, Invalid};
use futures::FutureExt;
use petgraph::graph::DiGraph;
use petgraph::Direction;
use std::any::Any;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;
use std::hash::Hash;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{debug, trace};

/// Why a node was not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason<K> {
    /// A dependency, direct or transitive, failed. The key is the node that failed (the root
    /// cause), not the direct dependency that was skipped because of it. When several failures
    /// reach a node, the smallest failed key is named.
    DependencyFailed(K),
    /// The walk was cancelled before the node could start.
    Cancelled,
}

/// What happened to one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeOutcome<K, E> {
    /// The node's function returned `Ok`.
    Done,
    /// The node's function returned this error.
    Failed(E),
    /// The node's function was never called.
    Skipped(SkipReason<K>),
}

/// The outcome of every node of a walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkReport<K, E> {
    pub outcomes: BTreeMap<K, NodeOutcome<K, E>>,
}

impl<K: Ord, E> WalkReport<K, E> {
    /// True when every node is [`NodeOutcome::Done`].
    pub fn is_success(&self) -> bool {
        self.outcomes
            .values()
            .all(|o| matches!(o, NodeOutcome::Done))
    }

    /// The outcome of `node`, if it was part of the walk.
    pub fn get(&self, node: &K) -> Option<&NodeOutcome<K, E>> {
        self.outcomes.get(node)
    }

    /// The nodes whose function succeeded, in key order.
    pub fn done(&self) -> impl Iterator<Item = &K> {
        self.outcomes
            .iter()
            .filter(|(_, o)| matches!(o, NodeOutcome::Done))
            .map(|(k, _)| k)
    }

    /// The nodes whose function failed, with their errors, in key order.
    pub fn failed(&self) -> impl Iterator<Item = (&K, &E)> {
        self.outcomes.iter().filter_map(|(k, o)| match o {
            NodeOutcome::Failed(e) => Some((k, e)),
            _ => None,
        })
    }

    /// The nodes that never ran, with why, in key order.
    pub fn skipped(&self) -> impl Iterator<Item = (&K, &SkipReason<K>)> {
        self.outcomes.iter().filter_map(|(k, o)| match o {
            NodeOutcome::Skipped(r) => Some((k, r)),
            _ => None,
        })
    }
}

/// A validated DAG ready to walk: every dependency is a node, and there is no cycle.
#[derive(Debug, Clone)]
pub struct Walker<K> {
    graph: DiGraph<K, ()>,
    max_concurrency: Option<usize>,
    cancel: CancellationToken,
}

impl<K> Walker<K>
where
    K: Clone + Eq + Hash + Ord + Debug + Send + Sync + 'static,
{
    /// Validate `nodes`, each with its dependency list. A node listed twice gets the union of its
    /// lists. A dependency that is not a node, or a cycle, is an error, and nothing will run.
    pub fn new(nodes: Vec<(K, Vec<K>)>) -> Result<Self, WalkError<K>> {
        let graph = build_digraph(nodes).map_err(|e| match e {
            Invalid::UnknownDependency { from, to } => WalkError::UnknownDependency { from, to },
            Invalid::Cycle(cycle) => WalkError::Cycle { cycle },
        })?;
        Ok(Self {
            graph,
            max_concurrency: None,
            cancel: CancellationToken::new(),
        })
    }

    /// Run at most `n` node functions at once (`None`: no limit; `Some(0)` counts as 1).
    pub fn max_concurrency(mut self, n: Option<usize>) -> Self {
        self.max_concurrency = n.map(|n| n.max(1));
        self
    }

    /// Stop starting nodes once `token` is cancelled.
    pub fn cancel_token(mut self, token: CancellationToken) -> Self {
        self.cancel = token;
        self
    }

    /// The number of nodes.
    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    /// Walk the graph: call `f(node)` for each node once all its dependencies finished `Ok`, and
    /// return every node's outcome once all tasks are over.
    ///
    /// Must be called inside a tokio runtime. If `f` panics, the node's dependants are skipped
    /// as if it had failed, the rest of the walk completes, and then the panic is resumed on the
    /// caller.
    pub async fn run<F, Fut, E>(self, f: F) -> WalkReport<K, E>
    where
        F: Fn(K) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Send + 'static,
    {
        let Self {
            graph,
            max_concurrency,
            cancel,
        } = self;
        let f = Arc::new(f);
        let semaphore = max_concurrency.map(|n| Arc::new(Semaphore::new(n)));

        // One completion channel per node; `None` until the node settles.
        let (senders, receivers): (Vec<_>, Vec<_>) = graph
            .node_indices()
            .map(|_| watch::channel(None::<Settled<K>>))
            .unzip();

        let mut tasks = JoinSet::new();
        for (n, tx) in graph.node_indices().zip(senders) {
            let node = graph[n].clone();
            let deps: Vec<(K, watch::Receiver<Option<Settled<K>>>)> = graph
                .neighbors_directed(n, Direction::Outgoing)
                .map(|d| (graph[d].clone(), receivers[d.index()].clone()))
                .collect();
            let task = NodeTask {
                node,
                deps,
                tx,
                f: Arc::clone(&f),
                semaphore: semaphore.clone(),
                cancel: cancel.clone(),
            };
            tasks.spawn(task.run());
        }
        drop(receivers);

        let mut outcomes = BTreeMap::new();
        let mut panic: Option<Box<dyn Any + Send>> = None;
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((node, Finished::Outcome(outcome))) => {
                    outcomes.insert(node, outcome);
                }
                Ok((_, Finished::Panicked(payload))) => {
                    panic.get_or_insert(payload);
                }
                // Node tasks catch panics of `f`; a join error means the task itself was
                // aborted or panicked, which is a bug here: surface it the same way.
                Err(e) => match e.try_into_panic() {
                    Ok(payload) => {
                        panic.get_or_insert(payload);
                    }
                    Err(e) => {
                        panic.get_or_insert(Box::new(format!("walker node task failed: {e}")));
                    }
                },
            }
        }
        if let Some(payload) = panic {
            std::panic::resume_unwind(payload);
        }
        WalkReport { outcomes }
    }
}

/// Validate `nodes` and walk them: see [`Walker::new`] and [`Walker::run`].
pub async fn walk<K, F, Fut, E>(
    nodes: Vec<(K, Vec<K>)>,
    max_concurrency: Option<usize>,
    cancel: CancellationToken,
    f: F,
) -> Result<WalkReport<K, E>, WalkError<K>>
where
    K: Clone + Eq + Hash + Ord + Debug + Send + Sync + 'static,
    F: Fn(K) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Send + 'static,
{
    let walker = Walker::new(nodes)?
        .max_concurrency(max_concurrency)
        .cancel_token(cancel);
    Ok(walker.run(f).await)
}

/// How a node settled, as its dependants see it.
#[derive(Debug, Clone)]
enum Settled<K> {
    Done,
    /// The node failed or was skipped because `root` failed.
    Failed {
        root: K,
    },
    Cancelled,
}

enum Finished<K, E> {
    Outcome(NodeOutcome<K, E>),
    Panicked(Box<dyn Any + Send>),
}

struct NodeTask<K, F> {
    node: K,
    deps: Vec<(K, watch::Receiver<Option<Settled<K>>>)>,
    tx: watch::Sender<Option<Settled<K>>>,
    f: Arc<F>,
    semaphore: Option<Arc<Semaphore>>,
    cancel: CancellationToken,
}

impl<K, F> NodeTask<K, F>
where
    K: Clone + Ord + Debug + Send + Sync + 'static,
{
    async fn run<Fut, E>(self) -> (K, Finished<K, E>)
    where
        F: Fn(K) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
    {
        let Self {
            node,
            mut deps,
            tx,
            f,
            semaphore,
            cancel,
        } = self;

        // Wait for every dependency to settle, unless the walk is cancelled first.
        let settled = tokio::select! {
            biased;
            () = cancel.cancelled() => None,
            s = wait_for_all(&mut deps) => Some(s),
        };
        let blocked = match settled {
            None => Some(SkipReason::Cancelled),
            Some(DepsSettled::Failed(root)) => Some(SkipReason::DependencyFailed(root)),
            Some(DepsSettled::Cancelled) => Some(SkipReason::Cancelled),
            Some(DepsSettled::Done) => None,
        };
        if let Some(reason) = blocked {
            return (node, skip(&tx, reason));
        }

        // Take a slot, unless the walk is cancelled while waiting for one.
        let _permit = match &semaphore {
            None => None,
            Some(s) => tokio::select! {
                biased;
                () = cancel.cancelled() => return (node, skip(&tx, SkipReason::Cancelled)),
                p = Arc::clone(s).acquire_owned() => match p {
                    Ok(p) => Some(p),
                    // The semaphore is never closed; treat it as cancellation if it were.
                    Err(_) => return (node, skip(&tx, SkipReason::Cancelled)),
                },
            },
        };
        if cancel.is_cancelled() {
            return (node, skip(&tx, SkipReason::Cancelled));
        }

        trace!(node = ?node, "walker: start");
        let result = AssertUnwindSafe(f(node.clone())).catch_unwind().await;
        match result {
            Ok(Ok(())) => {
                trace!(node = ?node, "walker: done");
                tx.send_replace(Some(Settled::Done));
                (node, Finished::Outcome(NodeOutcome::Done))
            }
            Ok(Err(e)) => {
                debug!(node = ?node, "walker: failed; skipping its dependants");
                tx.send_replace(Some(Settled::Failed { root: node.clone() }));
                (node, Finished::Outcome(NodeOutcome::Failed(e)))
            }
            Err(payload) => {
                debug!(node = ?node, "walker: panicked; skipping its dependants");
                tx.send_replace(Some(Settled::Failed { root: node.clone() }));
                (node, Finished::Panicked(payload))
            }
        }
    }
}

fn skip<K: Clone + Debug, E>(
    tx: &watch::Sender<Option<Settled<K>>>,
    reason: SkipReason<K>,
) -> Finished<K, E> {
    let settled = match &reason {
        SkipReason::DependencyFailed(root) => Settled::Failed { root: root.clone() },
        SkipReason::Cancelled => Settled::Cancelled,
    };
    trace!(?reason, "walker: skipped");
    tx.send_replace(Some(settled));
    Finished::Outcome(NodeOutcome::Skipped(reason))
}

enum DepsSettled<K> {
    Done,
    /// At least one dependency failed or was skipped for a failure; the smallest root cause.
    Failed(K),
    /// No failure, but at least one dependency was cancelled.
    Cancelled,
}

/// Wait until every dependency has settled, then summarise. Waiting for all of them (rather
/// than stopping at the first failure) makes the reported root cause deterministic.
async fn wait_for_all<K: Clone + Ord>(
    deps: &mut [(K, watch::Receiver<Option<Settled<K>>>)],
) -> DepsSettled<K> {
    let mut failed: Option<K> = None;
    let mut cancelled = false;
    for (dep, rx) in deps.iter_mut() {
        let settled = match rx.wait_for(Option::is_some).await {
            Ok(s) => s.clone(),
            // The dependency's task ended without settling: it panicked outside `f`.
            Err(_) => Some(Settled::Failed { root: dep.clone() }),
        };
        match settled {
            Some(Settled::Done) | None => {}
            Some(Settled::Failed { root }) => {
                if failed.as_ref().is_none_or(|f| root < *f) {
                    failed = Some(root);
                }
            }
            Some(Settled::Cancelled) => cancelled = true,
        }
    }
    match (failed, cancelled) {
        (Some(root), _) => DepsSettled::Failed(root),
        (None, true) => DepsSettled::Cancelled,
        (None, false) => DepsSettled::Done,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use std::time::Duration;

    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Event {
        Start(&'static str),
        Finish(&'static str),
    }

    fn nodes(spec: &[(&'static str, &[&'static str])]) -> Vec<(&'static str, Vec<&'static str>)> {
        spec.iter().map(|(n, d)| (*n, d.to_vec())).collect()
    }

    /// a <- b <- d, a <- c <- d, e alone; f <- g <- h; f <- i.
    fn diamond_and_friends() -> Vec<(&'static str, Vec<&'static str>)> {
        nodes(&[
            ("a", &[]),
            ("b", &["a"]),
            ("c", &["a"]),
            ("d", &["b", "c"]),
            ("e", &[]),
            ("f", &[]),
            ("g", &["f"]),
            ("h", &["g"]),
            ("i", &["f"]),
        ])
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn nodes_start_after_their_dependencies_finish() {
        let spec = diamond_and_friends();
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = Arc::clone(&log);
        let report = walk(spec.clone(), None, CancellationToken::new(), move |n| {
            let log = Arc::clone(&log2);
            async move {
                log.lock().unwrap().push(Event::Start(n));
                // Make siblings overlap and finish in varying order.
                tokio::time::sleep(Duration::from_millis((n.as_bytes()[0] % 3) as u64 * 5)).await;
                log.lock().unwrap().push(Event::Finish(n));
                Ok::<(), String>(())
            }
        })
        .await
        .unwrap();

        assert!(report.is_success());
        assert_eq!(report.outcomes.len(), spec.len());
        let log = log.lock().unwrap().clone();
        let pos = |e: Event| log.iter().position(|x| *x == e).unwrap();
        for (node, deps) in &spec {
            assert_eq!(
                log.iter().filter(|e| **e == Event::Start(node)).count(),
                1,
                "{node} ran once"
            );
            for dep in deps {
                assert!(
                    pos(Event::Finish(dep)) < pos(Event::Start(node)),
                    "{node} started before {dep} finished: {log:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn a_failure_skips_exactly_its_transitive_dependants() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let calls2 = Arc::clone(&calls);
        let report = walk(
            diamond_and_friends(),
            None,
            CancellationToken::new(),
            move |n| {
                calls2.lock().unwrap().push(n);
                async move {
                    if n == "b" || n == "g" {
                        Err(format!("{n} broke"))
                    } else {
                        Ok(())
                    }
                }
            },
        )
        .await
        .unwrap();

        let mut called = calls.lock().unwrap().clone();
        called.sort();
        assert_eq!(called, ["a", "b", "c", "e", "f", "g", "i"]);

        use NodeOutcome::*;
        let expected: BTreeMap<&str, NodeOutcome<&str, String>> = [
            ("a", Done),
            ("b", Failed("b broke".to_string())),
            ("c", Done),
            ("d", Skipped(SkipReason::DependencyFailed("b"))),
            ("e", Done),
            ("f", Done),
            ("g", Failed("g broke".to_string())),
            ("h", Skipped(SkipReason::DependencyFailed("g"))),
            ("i", Done),
        ]
        .into();
        assert_eq!(report.outcomes, expected);
        assert!(!report.is_success());
        assert_eq!(
            report.failed().map(|(k, _)| *k).collect::<Vec<_>>(),
            ["b", "g"]
        );
        assert_eq!(report.skipped().count(), 2);
        assert_eq!(report.done().count(), 5);
    }

    #[tokio::test]
    async fn skip_names_the_root_cause_through_a_chain() {
        let report = walk(
            nodes(&[
                ("a", &[]),
                ("b", &["a"]),
                ("c", &["b"]),
                ("d", &["c", "x"]),
                ("x", &[]),
            ]),
            None,
            CancellationToken::new(),
            |n| async move {
                if n == "a" || n == "x" {
                    Err(n)
                } else {
                    Ok(())
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(
            report.get(&"c"),
            Some(&NodeOutcome::Skipped(SkipReason::DependencyFailed("a")))
        );
        // Two failures reach d; the smallest root is named.
        assert_eq!(
            report.get(&"d"),
            Some(&NodeOutcome::Skipped(SkipReason::DependencyFailed("a")))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn max_concurrency_one_runs_one_at_a_time() {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let (i, m) = (Arc::clone(&in_flight), Arc::clone(&max_seen));
        // 20 independent nodes: without a limit they would all overlap.
        let spec: Vec<(u32, Vec<u32>)> = (0..20).map(|n| (n, vec![])).collect();
        let report = walk(spec, Some(1), CancellationToken::new(), move |_| {
            let (i, m) = (Arc::clone(&i), Arc::clone(&m));
            async move {
                let now = i.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                i.fetch_sub(1, Ordering::SeqCst);
                Ok::<(), ()>(())
            }
        })
        .await
        .unwrap();
        assert!(report.is_success());
        assert_eq!(max_seen.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn without_a_limit_independent_nodes_overlap() {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_seen = Arc::new(AtomicUsize::new(0));
        let (i, m) = (Arc::clone(&in_flight), Arc::clone(&max_seen));
        let spec: Vec<(u32, Vec<u32>)> = (0..20).map(|n| (n, vec![])).collect();
        walk(spec, None, CancellationToken::new(), move |_| {
            let (i, m) = (Arc::clone(&i), Arc::clone(&m));
            async move {
                let now = i.fetch_add(1, Ordering::SeqCst) + 1;
                m.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                i.fetch_sub(1, Ordering::SeqCst);
                Ok::<(), ()>(())
            }
        })
        .await
        .unwrap();
        assert!(max_seen.load(Ordering::SeqCst) > 1);
    }

    #[tokio::test]
    async fn cancelled_before_start_skips_everything() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&calls);
        let report = walk(diamond_and_friends(), None, cancel, move |_| {
            c.fetch_add(1, Ordering::SeqCst);
            async { Ok::<(), ()>(()) }
        })
        .await
        .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 0);
        assert_eq!(report.outcomes.len(), 9);
        assert!(report
            .outcomes
            .values()
            .all(|o| *o == NodeOutcome::Skipped(SkipReason::Cancelled)));
    }

    #[tokio::test]
    async fn cancelled_mid_walk_lets_running_nodes_finish() {
        let cancel = CancellationToken::new();
        let token = cancel.clone();
        // a <- b <- c. `a` cancels the walk while it runs, then succeeds.
        let report = walk(
            nodes(&[("a", &[]), ("b", &["a"]), ("c", &["b"])]),
            None,
            cancel,
            move |n| {
                let token = token.clone();
                async move {
                    if n == "a" {
                        token.cancel();
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    Ok::<(), ()>(())
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(report.get(&"a"), Some(&NodeOutcome::Done));
        assert_eq!(
            report.get(&"b"),
            Some(&NodeOutcome::Skipped(SkipReason::Cancelled))
        );
        assert_eq!(
            report.get(&"c"),
            Some(&NodeOutcome::Skipped(SkipReason::Cancelled))
        );
    }

    #[tokio::test]
    async fn invalid_graphs_are_rejected_before_anything_runs() {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&calls);
        let f = move |_: &'static str| {
            c.fetch_add(1, Ordering::SeqCst);
            async { Ok::<(), ()>(()) }
        };
        let err = Walker::new(nodes(&[("a", &["zz"])])).unwrap_err();
        assert_eq!(
            err,
            WalkError::UnknownDependency {
                from: "a",
                to: "zz"
            }
        );
        assert_eq!(
            err.to_string(),
            "a depends on zz, which is not a node of the walk"
        );

        let err = walk(
            nodes(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &[])]),
            None,
            CancellationToken::new(),
            f,
        )
        .await
        .unwrap_err();
        assert_eq!(
            err,
            WalkError::Cycle {
                cycle: vec!["a", "b", "c"]
            }
        );
        assert_eq!(
            err.to_string(),
            "dependency cycle: a -> b -> c -> a; remove one of these dependencies \
             (for example the edge c -> a)"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn empty_walk_is_empty_success() {
        let report = walk(
            Vec::<(u32, Vec<u32>)>::new(),
            Some(0),
            CancellationToken::new(),
            |_| async { Ok::<(), ()>(()) },
        )
        .await
        .unwrap();
        assert!(report.outcomes.is_empty());
        assert!(report.is_success());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn walks_thousands_of_nodes() {
        // A long chain (each waits on the previous) plus a wide layer that all depends on node 0,
        // and a layer that depends on all of the wide one's first hundred.
        let chain = 2000u32;
        let mut spec: Vec<(u32, Vec<u32>)> = (0..chain)
            .map(|n| (n, if n == 0 { vec![] } else { vec![n - 1] }))
            .collect();
        spec.extend((10_000..12_000u32).map(|n| (n, vec![0])));
        spec.extend((20_000..20_050u32).map(|n| (n, (10_000..10_100).collect())));
        let total = spec.len();
        let order = Arc::new(Mutex::new(Vec::with_capacity(total)));
        let o = Arc::clone(&order);
        let report = walk(spec, Some(8), CancellationToken::new(), move |n| {
            o.lock().unwrap().push(n);
            async { Ok::<(), ()>(()) }
        })
        .await
        .unwrap();
        assert!(report.is_success());
        assert_eq!(report.outcomes.len(), total);
        let order = order.lock().unwrap();
        let chain_order: Vec<u32> = order.iter().copied().filter(|n| *n < chain).collect();
        assert_eq!(chain_order, (0..chain).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_panicking_node_skips_its_dependants_then_resumes_the_panic() {
        let done = Arc::new(Mutex::new(Vec::new()));
        let d = Arc::clone(&done);
        let walked = tokio::spawn(walk(
            nodes(&[("a", &[]), ("b", &["a"]), ("x", &[])]),
            None,
            CancellationToken::new(),
            move |n| {
                let d = Arc::clone(&d);
                async move {
                    if n == "a" {
                        panic!("boom");
                    }
                    d.lock().unwrap().push(n);
                    Ok::<(), ()>(())
                }
            },
        ))
        .await;
        let err = walked.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(*done.lock().unwrap(), ["x"]);
    }
}
