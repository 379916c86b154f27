//! Steps: the nodes apply walks. A change becomes one or two steps (a replacement is a delete
//! and a create, in the order its kind declares).

use provision_core::{Action, Address, Change, Plan, ReplaceOrder};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StepOp {
    Create,
    Update,
    Delete,
    /// The second half of a create-before-destroy replacement: delete the superseded object.
    DeleteDeposed,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Step {
    pub address: Address,
    pub op: StepOp,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = match self.op {
            StepOp::Create => "create",
            StepOp::Update => "update",
            StepOp::Delete => "delete",
            StepOp::DeleteDeposed => "delete superseded",
        };
        write!(f, "{op} {}", self.address)
    }
}

fn step(address: &Address, op: StepOp) -> Step {
    Step {
        address: address.clone(),
        op,
    }
}

/// The steps of a plan with their dependencies.
///
/// - creates and updates wait for the creates and updates of what they reference;
/// - a delete of X waits for every step that moves a recorded dependant of X off it: the
///   dependant's delete or update (destroy edges are creation edges reversed);
/// - a delete-first replacement creates after it deletes; a create-before-destroy one deletes
///   the superseded object after it creates, and after its dependants have moved.
pub fn steps_of(plan: &Plan) -> Vec<(Step, Vec<Step>)> {
    let mut own: BTreeMap<&Address, Vec<Step>> = BTreeMap::new();
    for c in &plan.changes {
        let a = &c.address;
        let s = match c.action {
            Action::NoOp => vec![],
            Action::Create => vec![step(a, StepOp::Create)],
            Action::Update => vec![step(a, StepOp::Update)],
            Action::Delete => vec![step(a, StepOp::Delete)],
            Action::Replace(ReplaceOrder::DeleteFirst) => {
                vec![step(a, StepOp::Delete), step(a, StepOp::Create)]
            }
            Action::Replace(ReplaceOrder::CreateBeforeDestroy) => {
                vec![step(a, StepOp::Create), step(a, StepOp::DeleteDeposed)]
            }
        };
        own.insert(a, s);
    }
    let has = |a: &Address, op: StepOp| own.get(a).is_some_and(|v| v.iter().any(|s| s.op == op));

    // Recorded dependants of each address.
    let mut dependants: BTreeMap<&Address, Vec<&Change>> = BTreeMap::new();
    for c in &plan.changes {
        for d in &c.recorded_depends_on {
            dependants.entry(d).or_default().push(c);
        }
    }

    let mut out = Vec::new();
    for c in &plan.changes {
        let a = &c.address;
        for s in own.get(a).cloned().unwrap_or_default() {
            let mut deps = Vec::new();
            match s.op {
                StepOp::Create | StepOp::Update => {
                    for d in &c.depends_on {
                        for op in [StepOp::Create, StepOp::Update] {
                            if has(d, op) {
                                deps.push(step(d, op));
                            }
                        }
                    }
                    if s.op == StepOp::Create && has(a, StepOp::Delete) {
                        deps.push(step(a, StepOp::Delete));
                    }
                }
                StepOp::Delete | StepOp::DeleteDeposed => {
                    // A delete-first replacement of X cannot wait for a dependant's update that
                    // points it at the new X: that update needs X created, after this delete.
                    let recreated = s.op == StepOp::Delete && has(a, StepOp::Create);
                    for yc in dependants.get(a).into_iter().flatten() {
                        let y = &yc.address;
                        for op in [StepOp::Delete, StepOp::DeleteDeposed, StepOp::Update] {
                            if op == StepOp::Update && recreated && yc.depends_on.contains(a) {
                                continue;
                            }
                            if y != a && has(y, op) {
                                deps.push(step(y, op));
                            }
                        }
                    }
                    if s.op == StepOp::DeleteDeposed {
                        deps.push(step(a, StepOp::Create));
                    }
                }
            }
            deps.sort();
            deps.dedup();
            out.push((s, deps));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn change(a: &str, action: Action, deps: &[&str], recorded: &[&str]) -> Change {
        Change {
            address: a.parse().unwrap(),
            action,
            before: None,
            after: None,
            fields: vec![],
            reasons: vec![],
            depends_on: deps.iter().map(|d| d.parse().unwrap()).collect(),
            recorded_depends_on: recorded.iter().map(|d| d.parse().unwrap()).collect(),
            sensitive: vec![],
        }
    }

    #[test]
    fn replacement_orders_and_destroy_edges() {
        let vpc = "r/ec2.vpc/main";
        let sn = "r/ec2.subnet/a";
        let plan = Plan {
            changes: vec![
                change(
                    vpc,
                    Action::Replace(ReplaceOrder::CreateBeforeDestroy),
                    &[],
                    &[],
                ),
                change(
                    sn,
                    Action::Replace(ReplaceOrder::DeleteFirst),
                    &[vpc],
                    &[vpc],
                ),
            ],
        };
        let steps: BTreeMap<String, Vec<String>> = steps_of(&plan)
            .into_iter()
            .map(|(s, d)| (s.to_string(), d.iter().map(ToString::to_string).collect()))
            .collect();
        assert_eq!(steps["create r/ec2.vpc/main"], Vec::<String>::new());
        // Dependencies come sorted by step (address first).
        assert_eq!(
            steps["delete superseded r/ec2.vpc/main"],
            vec!["delete r/ec2.subnet/a", "create r/ec2.vpc/main"]
        );
        assert_eq!(steps["delete r/ec2.subnet/a"], Vec::<String>::new());
        assert_eq!(
            steps["create r/ec2.subnet/a"],
            vec!["delete r/ec2.subnet/a", "create r/ec2.vpc/main"]
        );
    }

    #[test]
    fn delete_first_replacement_does_not_wait_for_dependants_repointed_at_it() {
        // A route (updated in place) follows a NAT gateway replaced delete-first.
        let nat = "r/ec2.nat_gateway/a";
        let route = "r/ec2.route/private-a";
        let plan = Plan {
            changes: vec![
                change(nat, Action::Replace(ReplaceOrder::DeleteFirst), &[], &[]),
                change(route, Action::Update, &[nat], &[nat]),
            ],
        };
        let nodes = steps_of(&plan);
        let deps = |name: &str| {
            nodes
                .iter()
                .find(|(s, _)| s.to_string() == name)
                .map(|(_, d)| d.iter().map(ToString::to_string).collect::<Vec<_>>())
                .unwrap()
        };
        assert_eq!(deps("delete r/ec2.nat_gateway/a"), Vec::<String>::new());
        assert_eq!(
            deps("create r/ec2.nat_gateway/a"),
            vec!["delete r/ec2.nat_gateway/a"]
        );
        assert_eq!(
            deps("update r/ec2.route/private-a"),
            vec!["create r/ec2.nat_gateway/a"]
        );
    }

    #[test]
    fn deletes_run_dependants_first() {
        let plan = Plan {
            changes: vec![
                change("r/ec2.vpc/main", Action::Delete, &[], &[]),
                change("r/ec2.subnet/a", Action::Delete, &[], &["r/ec2.vpc/main"]),
            ],
        };
        let steps = steps_of(&plan);
        let vpc = steps
            .iter()
            .find(|(s, _)| s.address.kind() == "ec2.vpc")
            .unwrap();
        assert_eq!(vpc.1.len(), 1);
        assert_eq!(vpc.1[0].address.to_string(), "r/ec2.subnet/a");
    }
}
