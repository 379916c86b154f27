//! [`ResourceGraph`]: the DAG of resources, built from their references and depends_on.

use crate::error::GraphError;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use provision_core::Address;
use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};

/// A DAG over addresses. Edge `a -> b` means "a depends on b": b must be done before a.
///
/// Every query answers in address order, so output built from it is deterministic.
#[derive(Debug, Clone)]
pub struct ResourceGraph {
    graph: DiGraph<Address, ()>,
    index: HashMap<Address, NodeIndex>,
}

impl ResourceGraph {
    /// Build the graph from every resource with its dependencies.
    ///
    /// A resource listed twice gets the union of its dependency lists; a dependency listed twice
    /// is one edge. A dependency on an address that is not a node is
    /// [`GraphError::UnknownDependency`] (the first one in address order); a loop, including a
    /// resource depending on itself, is [`GraphError::Cycle`].
    // The error carries two addresses by design (the agreed API); it is built once per command,
    // far from any hot path, so its size does not matter.
    #[allow(clippy::result_large_err)]
    pub fn build(
        nodes: impl IntoIterator<Item = (Address, Vec<Address>)>,
    ) -> Result<Self, GraphError> {
        let graph = build_digraph(nodes).map_err(|e| match e {
            Invalid::UnknownDependency { from, to } => GraphError::UnknownDependency { from, to },
            Invalid::Cycle(cycle) => GraphError::Cycle { cycle },
        })?;
        Ok(Self::from_digraph(graph))
    }

    fn from_digraph(graph: DiGraph<Address, ()>) -> Self {
        let index = graph
            .node_indices()
            .map(|i| (graph[i].clone(), i))
            .collect();
        Self { graph, index }
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    pub fn contains(&self, a: &Address) -> bool {
        self.index.contains_key(a)
    }

    /// Every address, in address order.
    pub fn addresses(&self) -> Vec<Address> {
        let mut out: Vec<Address> = self.graph.node_weights().cloned().collect();
        out.sort();
        out
    }

    /// Every edge `(dependant, dependency)`, sorted.
    pub fn edges(&self) -> Vec<(Address, Address)> {
        let mut out: Vec<(Address, Address)> = self
            .graph
            .raw_edges()
            .iter()
            .map(|e| {
                (
                    self.graph[e.source()].clone(),
                    self.graph[e.target()].clone(),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// The direct dependencies of `a` (what must be done before it), sorted. Empty when `a` is
    /// not in the graph.
    pub fn dependencies(&self, a: &Address) -> Vec<Address> {
        self.neighbors(a, Direction::Outgoing)
    }

    /// The direct dependants of `a` (what waits for it), sorted. Empty when `a` is not in the
    /// graph.
    pub fn dependants(&self, a: &Address) -> Vec<Address> {
        self.neighbors(a, Direction::Incoming)
    }

    /// Everything that depends on `a`, directly or not, sorted; `a` itself excluded.
    pub fn transitive_dependants(&self, a: &Address) -> Vec<Address> {
        self.reachable(a, Direction::Incoming)
    }

    /// Everything `a` depends on, directly or not, sorted; `a` itself excluded.
    pub fn transitive_dependencies(&self, a: &Address) -> Vec<Address> {
        self.reachable(a, Direction::Outgoing)
    }

    /// Every address, dependencies before their dependants. Among the nodes that are ready at the
    /// same time the smallest address comes first, so the order is deterministic.
    pub fn topo_order(&self) -> Vec<Address> {
        let mut remaining: Vec<usize> = self
            .graph
            .node_indices()
            .map(|n| {
                self.graph
                    .neighbors_directed(n, Direction::Outgoing)
                    .count()
            })
            .collect();
        let mut ready: BinaryHeap<Reverse<(&Address, NodeIndex)>> = self
            .graph
            .node_indices()
            .filter(|n| remaining[n.index()] == 0)
            .map(|n| Reverse((&self.graph[n], n)))
            .collect();
        let mut out = Vec::with_capacity(self.len());
        while let Some(Reverse((address, n))) = ready.pop() {
            out.push(address.clone());
            for dependant in self.graph.neighbors_directed(n, Direction::Incoming) {
                let left = &mut remaining[dependant.index()];
                *left -= 1;
                if *left == 0 {
                    ready.push(Reverse((&self.graph[dependant], dependant)));
                }
            }
        }
        out
    }

    /// The same nodes with every edge flipped: the order of destruction, where a dependant must
    /// be gone before its dependency.
    pub fn reversed(&self) -> ResourceGraph {
        let mut graph = self.graph.clone();
        graph.reverse();
        Self {
            graph,
            index: self.index.clone(),
        }
    }

    /// The graph restricted to the addresses `keep` holds, with the edges among them. Addresses
    /// of `keep` that are not in the graph are ignored.
    pub fn subgraph(&self, keep: &BTreeSet<Address>) -> ResourceGraph {
        let graph = self
            .graph
            .filter_map(|_, a| keep.contains(a).then(|| a.clone()), |_, ()| Some(()));
        Self::from_digraph(graph)
    }

    /// Every node with its direct dependencies, in address order: the input of
    /// [`crate::walk`].
    pub fn to_walk_nodes(&self) -> Vec<(Address, Vec<Address>)> {
        self.addresses()
            .into_iter()
            .map(|a| {
                let deps = self.dependencies(&a);
                (a, deps)
            })
            .collect()
    }

    /// The graph in Graphviz DOT: one `cluster_<region>` per region, node labels
    /// `<kind>\n<name>`, edges from dependant to dependency. Sorted, so the text is stable.
    pub fn to_dot(&self) -> String {
        crate::dot::to_dot(self)
    }

    fn neighbors(&self, a: &Address, dir: Direction) -> Vec<Address> {
        let Some(&n) = self.index.get(a) else {
            return Vec::new();
        };
        let mut out: Vec<Address> = self
            .graph
            .neighbors_directed(n, dir)
            .map(|m| self.graph[m].clone())
            .collect();
        out.sort();
        out
    }

    fn reachable(&self, a: &Address, dir: Direction) -> Vec<Address> {
        let Some(&start) = self.index.get(a) else {
            return Vec::new();
        };
        let mut seen = HashSet::from([start]);
        let mut stack = vec![start];
        let mut out = Vec::new();
        while let Some(n) = stack.pop() {
            for m in self.graph.neighbors_directed(n, dir) {
                if seen.insert(m) {
                    out.push(self.graph[m].clone());
                    stack.push(m);
                }
            }
        }
        out.sort();
        out
    }
}

/// Why nodes do not form a DAG; the callers turn it into their own error type.
pub(crate) enum Invalid<K> {
    UnknownDependency { from: K, to: K },
    Cycle(Vec<K>),
}

/// Build and validate a DAG from nodes with their dependency lists. Nodes are added in key
/// order, so node index order is key order. Duplicate nodes merge; duplicate edges collapse.
pub(crate) fn build_digraph<K: Ord + Clone>(
    nodes: impl IntoIterator<Item = (K, Vec<K>)>,
) -> Result<DiGraph<K, ()>, Invalid<K>> {
    let mut merged: BTreeMap<K, BTreeSet<K>> = BTreeMap::new();
    for (node, deps) in nodes {
        merged.entry(node).or_default().extend(deps);
    }
    for (from, deps) in &merged {
        if let Some(to) = deps.iter().find(|d| !merged.contains_key(*d)) {
            return Err(Invalid::UnknownDependency {
                from: from.clone(),
                to: to.clone(),
            });
        }
    }

    let mut graph = DiGraph::with_capacity(merged.len(), merged.values().map(BTreeSet::len).sum());
    let mut index = BTreeMap::new();
    for node in merged.keys() {
        index.insert(node, graph.add_node(node.clone()));
    }
    for (from, deps) in &merged {
        for to in deps {
            if let (Some(&a), Some(&b)) = (index.get(from), index.get(to)) {
                graph.add_edge(a, b, ());
            }
        }
    }

    match find_cycle(&graph) {
        Some(cycle) => Err(Invalid::Cycle(cycle)),
        None => Ok(graph),
    }
}

/// One cycle of `graph`, if it has any, in path order (each node depends on the next, the last
/// on the first). Deterministic: of all the strongly connected components with a cycle, the one
/// holding the smallest node; in it, the shortest cycle through that node (breadth-first,
/// smaller neighbours first).
///
/// Relies on node index order being key order, as [`build_digraph`] guarantees.
fn find_cycle<K: Clone>(graph: &DiGraph<K, ()>) -> Option<Vec<K>> {
    let component = tarjan_scc(graph)
        .into_iter()
        .filter(|scc| match scc.as_slice() {
            [single] => graph.contains_edge(*single, *single),
            _ => true,
        })
        .filter_map(|scc| scc.iter().min().copied().map(|start| (start, scc)))
        .min_by_key(|(start, _)| *start)?;
    let (start, members) = component;
    let members: HashSet<NodeIndex> = members.into_iter().collect();

    // Breadth-first from `start` along dependency edges inside the component, until an edge
    // leads back to `start`.
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        let mut next: Vec<NodeIndex> = graph
            .neighbors_directed(n, Direction::Outgoing)
            .filter(|m| members.contains(m))
            .collect();
        next.sort();
        next.dedup();
        for m in next {
            if m == start {
                let mut path = vec![n];
                let mut cur = n;
                while cur != start {
                    cur = *parent.get(&cur)?;
                    path.push(cur);
                }
                path.reverse();
                return Some(path.into_iter().map(|i| graph[i].clone()).collect());
            }
            if let Entry::Vacant(slot) = parent.entry(m) {
                slot.insert(n);
                queue.push_back(m);
            }
        }
    }
    // Unreachable for a strongly connected component; report its members rather than nothing.
    let mut nodes: Vec<NodeIndex> = members.into_iter().collect();
    nodes.sort();
    Some(nodes.into_iter().map(|i| graph[i].clone()).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    fn node(s: &str, deps: &[&str]) -> (Address, Vec<Address>) {
        (a(s), deps.iter().map(|d| a(d)).collect())
    }

    /// A small network: two subnets in a VPC, a NAT in one, a route through it; and a global
    /// role with no edges.
    fn network() -> ResourceGraph {
        ResourceGraph::build([
            node("us-east-1/ec2.vpc/main", &[]),
            node("us-east-1/ec2.subnet/b", &["us-east-1/ec2.vpc/main"]),
            node("us-east-1/ec2.subnet/a", &["us-east-1/ec2.vpc/main"]),
            node("us-east-1/ec2.nat_gateway/a", &["us-east-1/ec2.subnet/a"]),
            node(
                "us-east-1/ec2.route/private-a",
                &["us-east-1/ec2.nat_gateway/a", "us-east-1/ec2.subnet/a"],
            ),
            node("global/iam.role/eks", &[]),
        ])
        .unwrap()
    }

    fn strs(v: Vec<Address>) -> Vec<String> {
        v.into_iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn builds_and_answers_queries() {
        let g = network();
        assert_eq!(g.len(), 6);
        assert!(!g.is_empty());
        assert!(g.contains(&a("us-east-1/ec2.subnet/a")));
        assert!(!g.contains(&a("us-east-1/ec2.subnet/c")));
        assert_eq!(
            strs(g.dependencies(&a("us-east-1/ec2.route/private-a"))),
            ["us-east-1/ec2.nat_gateway/a", "us-east-1/ec2.subnet/a"]
        );
        assert_eq!(
            strs(g.dependants(&a("us-east-1/ec2.vpc/main"))),
            ["us-east-1/ec2.subnet/a", "us-east-1/ec2.subnet/b"]
        );
        assert_eq!(
            strs(g.transitive_dependants(&a("us-east-1/ec2.vpc/main"))),
            [
                "us-east-1/ec2.nat_gateway/a",
                "us-east-1/ec2.route/private-a",
                "us-east-1/ec2.subnet/a",
                "us-east-1/ec2.subnet/b",
            ]
        );
        assert_eq!(
            strs(g.transitive_dependencies(&a("us-east-1/ec2.route/private-a"))),
            [
                "us-east-1/ec2.nat_gateway/a",
                "us-east-1/ec2.subnet/a",
                "us-east-1/ec2.vpc/main",
            ]
        );
        assert!(g.dependencies(&a("us-east-1/ec2.subnet/zz")).is_empty());
        assert!(g
            .transitive_dependants(&a("us-east-1/ec2.subnet/zz"))
            .is_empty());
        assert!(ResourceGraph::build([]).unwrap().is_empty());
    }

    #[test]
    fn topo_order_puts_dependencies_first_and_breaks_ties_by_address() {
        let g = network();
        assert_eq!(
            strs(g.topo_order()),
            [
                "global/iam.role/eks",
                "us-east-1/ec2.vpc/main",
                "us-east-1/ec2.subnet/a",
                "us-east-1/ec2.nat_gateway/a",
                "us-east-1/ec2.route/private-a",
                "us-east-1/ec2.subnet/b",
            ]
        );
        // Destroy order: dependants first.
        assert_eq!(
            strs(g.reversed().topo_order()),
            [
                "global/iam.role/eks",
                "us-east-1/ec2.route/private-a",
                "us-east-1/ec2.nat_gateway/a",
                "us-east-1/ec2.subnet/a",
                "us-east-1/ec2.subnet/b",
                "us-east-1/ec2.vpc/main",
            ]
        );
    }

    #[test]
    fn reversed_flips_edges() {
        let g = network();
        let r = g.reversed();
        assert_eq!(r.len(), g.len());
        assert_eq!(
            strs(r.dependencies(&a("us-east-1/ec2.vpc/main"))),
            ["us-east-1/ec2.subnet/a", "us-east-1/ec2.subnet/b"]
        );
        assert!(r.dependants(&a("us-east-1/ec2.vpc/main")).is_empty());
        let flipped: Vec<_> = g.edges().into_iter().map(|(x, y)| (y, x)).collect();
        let mut flipped = flipped;
        flipped.sort();
        assert_eq!(r.edges(), flipped);
    }

    #[test]
    fn duplicates_merge() {
        let g = ResourceGraph::build([
            node("us-east-1/ec2.vpc/main", &[]),
            node("us-east-1/ec2.subnet/a", &["us-east-1/ec2.vpc/main"]),
            node(
                "us-east-1/ec2.subnet/a",
                &["us-east-1/ec2.vpc/main", "us-east-1/ec2.vpc/main"],
            ),
        ])
        .unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g.edges().len(), 1);
    }

    #[test]
    fn subgraph_keeps_edges_among_kept_nodes() {
        let g = network();
        let keep: BTreeSet<Address> = [
            a("us-east-1/ec2.vpc/main"),
            a("us-east-1/ec2.subnet/a"),
            a("us-east-1/ec2.route/private-a"),
        ]
        .into();
        let s = g.subgraph(&keep);
        assert_eq!(s.len(), 3);
        assert_eq!(
            strs(s.dependencies(&a("us-east-1/ec2.route/private-a"))),
            ["us-east-1/ec2.subnet/a"]
        );
        assert_eq!(
            strs(s.topo_order()),
            [
                "us-east-1/ec2.vpc/main",
                "us-east-1/ec2.subnet/a",
                "us-east-1/ec2.route/private-a",
            ]
        );
    }

    #[test]
    fn to_walk_nodes_lists_direct_dependencies() {
        let g = network();
        let nodes = g.to_walk_nodes();
        assert_eq!(nodes.len(), 6);
        assert_eq!(nodes[0], node("global/iam.role/eks", &[]));
        let rebuilt = ResourceGraph::build(nodes).unwrap();
        assert_eq!(rebuilt.edges(), g.edges());
    }

    #[test]
    fn unknown_dependency_is_an_error() {
        let err = ResourceGraph::build([
            node("us-east-1/ec2.vpc/main", &[]),
            node(
                "us-east-1/ec2.subnet/a",
                &["us-east-1/ec2.vpc/main", "us-east-1/ec2.vpc/other"],
            ),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            GraphError::UnknownDependency {
                from: a("us-east-1/ec2.subnet/a"),
                to: a("us-east-1/ec2.vpc/other"),
            }
        );
        assert_eq!(
            err.to_string(),
            "us-east-1/ec2.subnet/a depends on us-east-1/ec2.vpc/other, which is not declared; \
             declare us-east-1/ec2.vpc/other or remove the reference or depends_on"
        );
    }

    #[test]
    fn three_node_cycle_names_every_node_in_path_order() {
        // Listed out of order, and with an acyclic node hanging off the cycle.
        let err = ResourceGraph::build([
            node("us-east-1/ec2.c/z", &["us-east-1/ec2.a/x"]),
            node("us-east-1/ec2.b/y", &["us-east-1/ec2.c/z"]),
            node(
                "us-east-1/ec2.a/x",
                &["us-east-1/ec2.b/y", "us-east-1/ec2.d/w"],
            ),
            node("us-east-1/ec2.d/w", &[]),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            GraphError::Cycle {
                cycle: vec![
                    a("us-east-1/ec2.a/x"),
                    a("us-east-1/ec2.b/y"),
                    a("us-east-1/ec2.c/z"),
                ]
            }
        );
        insta::assert_snapshot!(err.to_string());
    }

    #[test]
    fn two_node_cycle() {
        let err = ResourceGraph::build([
            node("us-east-1/ec2.b/y", &["us-east-1/ec2.a/x"]),
            node("us-east-1/ec2.a/x", &["us-east-1/ec2.b/y"]),
        ])
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "dependency cycle: us-east-1/ec2.a/x -> us-east-1/ec2.b/y -> us-east-1/ec2.a/x; \
             remove one of these references or depends_on \
             (for example the edge us-east-1/ec2.b/y -> us-east-1/ec2.a/x)"
        );
    }

    #[test]
    fn self_dependency_is_a_cycle() {
        let err =
            ResourceGraph::build([node("us-east-1/ec2.a/x", &["us-east-1/ec2.a/x"])]).unwrap_err();
        assert_eq!(
            err,
            GraphError::Cycle {
                cycle: vec![a("us-east-1/ec2.a/x")]
            }
        );
        assert_eq!(
            err.to_string(),
            "dependency cycle: us-east-1/ec2.a/x -> us-east-1/ec2.a/x; remove one of these \
             references or depends_on (for example the edge us-east-1/ec2.a/x -> us-east-1/ec2.a/x)"
        );
    }

    #[test]
    fn cycle_with_a_chord_reports_the_shortest_loop_through_the_smallest_node() {
        // a -> b -> c -> d -> a, plus the chord c -> a.
        let err = ResourceGraph::build([
            node("r/s.t/a", &["r/s.t/b"]),
            node("r/s.t/b", &["r/s.t/c"]),
            node("r/s.t/c", &["r/s.t/d", "r/s.t/a"]),
            node("r/s.t/d", &["r/s.t/a"]),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            GraphError::Cycle {
                cycle: vec![a("r/s.t/a"), a("r/s.t/b"), a("r/s.t/c")]
            }
        );
    }

    #[test]
    fn large_chain_builds_and_orders() {
        let n = 5000;
        let addr = |i: usize| a(&format!("r/s.t/n{i:05}"));
        let g = ResourceGraph::build((0..n).map(|i| {
            let deps = if i == 0 { vec![] } else { vec![addr(i - 1)] };
            (addr(i), deps)
        }))
        .unwrap();
        let order = g.topo_order();
        assert_eq!(order.len(), n);
        assert_eq!(order[0], addr(0));
        assert_eq!(order[n - 1], addr(n - 1));
        assert_eq!(g.transitive_dependencies(&addr(n - 1)).len(), n - 1);
    }
}
