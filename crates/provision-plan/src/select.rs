//! `--target` and `--exclude`: narrow a plan to some resources, with what they need.
//!
//! An address pattern is a whole address (`eu-west-1/rds.db_instance/replica`), or a prefix of
//! whole segments: a region (`eu-west-1`, `global`) or a region and a kind
//! (`eu-west-1/ec2.subnet`).
//!
//! - Building (`up`, `diff`): `--target` keeps the matched resources and everything they depend
//!   on, transitively (a subnet needs its VPC); `--exclude` leaves out the matched resources and
//!   everything that depends on them (nothing is built on top of what is left out).
//! - Destroying (`destroy`): `--target` keeps the matched resources and everything that depends
//!   on them (a VPC cannot go before its subnets); `--exclude` keeps the matched resources and
//!   everything they depend on.
//!
//! Dependencies are the spec's (for what is built) and the state's (for what exists), so a
//! deletion in a building plan follows the recorded edges. Changes that do nothing stay in the
//! plan, so references still resolve.

use provision_core::{Action, Address, Plan};
use std::collections::{BTreeMap, BTreeSet};

/// Which way the plan goes: it decides what a target drags along.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Build,
    Destroy,
}

#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub targets: Vec<String>,
    pub excludes: Vec<String>,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.excludes.is_empty()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SelectError {
    #[error("{flag} {pattern} matches no resource of this stack; give an address as `provision state list` prints it (region/kind/name), or a region, or region/kind")]
    NoMatch { flag: &'static str, pattern: String },
}

/// What a selection did to a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Selected {
    pub plan: Plan,
    /// The changes of the full plan that the selection left out.
    pub left_out: Vec<Address>,
}

fn matches(pattern: &str, address: &Address) -> bool {
    let a = address.to_string();
    let p = pattern.trim_end_matches('/');
    a == p || a.starts_with(&format!("{p}/"))
}

/// Narrow `plan` to the selection. An empty selection keeps the plan as it is.
pub fn select(plan: Plan, sel: &Selection, direction: Direction) -> Result<Selected, SelectError> {
    if sel.is_empty() {
        return Ok(Selected {
            plan,
            left_out: Vec::new(),
        });
    }
    let all: Vec<Address> = plan.changes.iter().map(|c| c.address.clone()).collect();
    // needs[a]: what a depends on; needed_by[a]: what depends on a.
    let mut needs: BTreeMap<&Address, BTreeSet<&Address>> = BTreeMap::new();
    let mut needed_by: BTreeMap<&Address, BTreeSet<&Address>> = BTreeMap::new();
    for c in &plan.changes {
        for d in c.depends_on.iter().chain(&c.recorded_depends_on) {
            needs.entry(&c.address).or_default().insert(d);
            needed_by.entry(d).or_default().insert(&c.address);
        }
    }
    let closure = |start: Vec<&Address>, edges: &BTreeMap<&Address, BTreeSet<&Address>>| {
        let mut seen: BTreeSet<Address> = BTreeSet::new();
        let mut todo = start;
        while let Some(a) = todo.pop() {
            if seen.insert(a.clone()) {
                todo.extend(edges.get(a).into_iter().flatten().copied());
            }
        }
        seen
    };
    let matched = |flag: &'static str, patterns: &[String]| {
        let mut out: Vec<&Address> = Vec::new();
        for p in patterns {
            let hits: Vec<&Address> = all.iter().filter(|a| matches(p, a)).collect();
            if hits.is_empty() {
                return Err(SelectError::NoMatch {
                    flag,
                    pattern: p.clone(),
                });
            }
            out.extend(hits);
        }
        Ok(out)
    };
    let (along_target, along_exclude) = match direction {
        Direction::Build => (&needs, &needed_by),
        Direction::Destroy => (&needed_by, &needs),
    };
    let mut keep: BTreeSet<Address> = if sel.targets.is_empty() {
        all.iter().cloned().collect()
    } else {
        closure(matched("--target", &sel.targets)?, along_target)
    };
    if !sel.excludes.is_empty() {
        for a in closure(matched("--exclude", &sel.excludes)?, along_exclude) {
            keep.remove(&a);
        }
    }
    let mut left_out = Vec::new();
    let changes = plan
        .changes
        .into_iter()
        .filter(|c| {
            let kept = keep.contains(&c.address) || c.action == Action::NoOp;
            if !kept {
                left_out.push(c.address.clone());
            }
            kept
        })
        .collect();
    Ok(Selected {
        plan: Plan { changes },
        left_out,
    })
}

/// Hold a region where it stands, for `failover` (the old primary region may be unreachable):
/// its changes leave the plan, and so does every change that needs one of them built, updated
/// or replaced first, transitively. A deletion held there holds nothing elsewhere: what
/// depended on the old object does not need it gone. The region's unchanged resources stay in
/// the plan as no-ops, so that references to them still resolve.
pub fn hold_region(plan: Plan, region: &str) -> Selected {
    let mut held: BTreeMap<Address, Action> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp && c.address.region() == region)
        .map(|c| (c.address.clone(), c.action))
        .collect();
    loop {
        let more: Vec<(Address, Action)> = plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp && !held.contains_key(&c.address))
            .filter(|c| {
                c.depends_on
                    .iter()
                    .any(|d| held.get(d).is_some_and(|a| *a != Action::Delete))
            })
            .map(|c| (c.address.clone(), c.action))
            .collect();
        if more.is_empty() {
            break;
        }
        held.extend(more);
    }
    let mut left_out = Vec::new();
    let changes = plan
        .changes
        .into_iter()
        .filter(|c| {
            let kept = !held.contains_key(&c.address);
            if !kept {
                left_out.push(c.address.clone());
            }
            kept
        })
        .collect();
    Selected {
        plan: Plan { changes },
        left_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use provision_core::Change;

    fn change(address: &str, action: Action, deps: &[&str]) -> Change {
        Change {
            address: address.parse().unwrap(),
            action,
            before: None,
            after: None,
            fields: Vec::new(),
            reasons: Vec::new(),
            depends_on: deps.iter().map(|d| d.parse().unwrap()).collect(),
            recorded_depends_on: Vec::new(),
            sensitive: Vec::new(),
        }
    }

    /// A VPC, two subnets on it, an instance on subnet a, and an unrelated key; all created.
    fn plan() -> Plan {
        Plan {
            changes: vec![
                change("us-east-1/ec2.vpc/main", Action::Create, &[]),
                change(
                    "us-east-1/ec2.subnet/a",
                    Action::Create,
                    &["us-east-1/ec2.vpc/main"],
                ),
                change(
                    "us-east-1/ec2.subnet/b",
                    Action::Create,
                    &["us-east-1/ec2.vpc/main"],
                ),
                change(
                    "us-east-1/rds.db_instance/db",
                    Action::Create,
                    &["us-east-1/ec2.subnet/a"],
                ),
                change("eu-west-1/kms.key/main", Action::Create, &[]),
                change("eu-west-1/ec2.vpc/main", Action::NoOp, &[]),
            ],
        }
    }

    fn kept(s: &Selected) -> Vec<String> {
        s.plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .map(|c| c.address.to_string())
            .collect()
    }

    fn sel(targets: &[&str], excludes: &[&str]) -> Selection {
        Selection {
            targets: targets.iter().map(|s| s.to_string()).collect(),
            excludes: excludes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_build_target_takes_what_it_needs() {
        let s = select(
            plan(),
            &sel(&["us-east-1/rds.db_instance/db"], &[]),
            Direction::Build,
        )
        .unwrap();
        assert_eq!(
            kept(&s),
            [
                "us-east-1/ec2.vpc/main",
                "us-east-1/ec2.subnet/a",
                "us-east-1/rds.db_instance/db"
            ]
        );
        assert_eq!(s.left_out.len(), 2);
        // Changes that do nothing stay, so references resolve.
        assert!(s
            .plan
            .changes
            .iter()
            .any(|c| c.address.to_string() == "eu-west-1/ec2.vpc/main"));
    }

    #[test]
    fn a_destroy_target_takes_what_depends_on_it() {
        let mut p = plan();
        for c in &mut p.changes {
            c.action = Action::Delete;
            c.recorded_depends_on = std::mem::take(&mut c.depends_on);
        }
        let s = select(
            p,
            &sel(&["us-east-1/ec2.subnet/a"], &[]),
            Direction::Destroy,
        )
        .unwrap();
        assert_eq!(
            kept(&s),
            ["us-east-1/ec2.subnet/a", "us-east-1/rds.db_instance/db"]
        );
    }

    #[test]
    fn an_exclude_leaves_out_what_depends_on_it_when_building() {
        let s = select(
            plan(),
            &sel(&[], &["us-east-1/ec2.subnet/a"]),
            Direction::Build,
        )
        .unwrap();
        assert_eq!(
            kept(&s),
            [
                "us-east-1/ec2.vpc/main",
                "us-east-1/ec2.subnet/b",
                "eu-west-1/kms.key/main"
            ]
        );
    }

    #[test]
    fn an_exclude_keeps_what_it_needs_when_destroying() {
        let mut p = plan();
        for c in &mut p.changes {
            c.action = Action::Delete;
        }
        let s = select(
            p,
            &sel(&[], &["us-east-1/rds.db_instance/db"]),
            Direction::Destroy,
        )
        .unwrap();
        assert_eq!(
            kept(&s),
            [
                "us-east-1/ec2.subnet/b",
                "eu-west-1/kms.key/main",
                "eu-west-1/ec2.vpc/main"
            ]
        );
    }

    #[test]
    fn patterns_are_whole_segments() {
        let s = select(plan(), &sel(&["eu-west-1"], &[]), Direction::Build).unwrap();
        assert_eq!(kept(&s), ["eu-west-1/kms.key/main"]);
        let s = select(
            plan(),
            &sel(&["us-east-1/ec2.subnet"], &[]),
            Direction::Build,
        )
        .unwrap();
        assert_eq!(
            kept(&s),
            [
                "us-east-1/ec2.vpc/main",
                "us-east-1/ec2.subnet/a",
                "us-east-1/ec2.subnet/b"
            ]
        );
        // `us-east-1/ec2.sub` is not a segment: it matches nothing, and says so.
        let e = select(plan(), &sel(&["us-east-1/ec2.sub"], &[]), Direction::Build).unwrap_err();
        assert_eq!(
            e,
            SelectError::NoMatch {
                flag: "--target",
                pattern: "us-east-1/ec2.sub".into()
            }
        );
    }

    /// A failover to eu-west-1 with us-east-1 held: the old primary's deletion and the new
    /// replica in us-east-1 stay out, and so does what needs that replica (its lag alarm in
    /// eu-west-1, say); the Asia replica's replacement goes ahead although its old object
    /// depended on the held primary, and so does the promotion.
    #[test]
    fn a_held_region_keeps_its_changes_and_what_needs_them_out() {
        let mut old_asia = change(
            "ap-southeast-1/rds.db_instance/replica",
            Action::Replace(provision_core::ReplaceOrder::DeleteFirst),
            &["eu-west-1/rds.db_instance/primary"],
        );
        old_asia.recorded_depends_on = vec!["us-east-1/rds.db_instance/primary".parse().unwrap()];
        let p = Plan {
            changes: vec![
                change("us-east-1/ec2.vpc/main", Action::NoOp, &[]),
                change(
                    "us-east-1/rds.db_instance/primary",
                    Action::Delete,
                    &["us-east-1/ec2.vpc/main"],
                ),
                change("eu-west-1/rds.db_instance/primary", Action::Update, &[]),
                change(
                    "us-east-1/rds.db_instance/replica",
                    Action::Create,
                    &[
                        "eu-west-1/rds.db_instance/primary",
                        "us-east-1/ec2.vpc/main",
                    ],
                ),
                change(
                    "eu-west-1/cloudwatch.alarm/us-lag",
                    Action::Create,
                    &["us-east-1/rds.db_instance/replica"],
                ),
                change(
                    "global/route53.record/failover",
                    Action::Update,
                    &["us-east-1/ec2.vpc/main"],
                ),
                old_asia,
            ],
        };
        let s = hold_region(p, "us-east-1");
        assert_eq!(
            kept(&s),
            [
                "eu-west-1/rds.db_instance/primary",
                "global/route53.record/failover",
                "ap-southeast-1/rds.db_instance/replica"
            ]
        );
        assert_eq!(
            s.left_out
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            [
                "us-east-1/rds.db_instance/primary",
                "us-east-1/rds.db_instance/replica",
                "eu-west-1/cloudwatch.alarm/us-lag"
            ]
        );
        // The held region's unchanged resources stay, for references.
        assert!(s
            .plan
            .changes
            .iter()
            .any(|c| c.address.to_string() == "us-east-1/ec2.vpc/main"));
    }

    #[test]
    fn no_selection_keeps_the_plan() {
        let s = select(plan(), &Selection::default(), Direction::Build).unwrap();
        assert_eq!(s.plan, plan());
        assert!(s.left_out.is_empty());
    }
}
