//! Moved resources (Terraform's `moved`): a declaration that names an address it was known by
//! takes over the resource recorded there, so the plan updates it instead of deleting it and
//! creating a new one. A read replica promoted to primary is the case the expansion makes.

use provision_core::{Address, Change, ResourceDecl};
use provision_state::State;
use std::collections::BTreeSet;

/// One move made in the state: the resource recorded at `from` is now at `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub from: Address,
    pub to: Address,
}

/// Re-key the recorded resources that `desired` says have moved: for a declaration at `to`
/// with nothing recorded there, the first of its `moved_from` addresses that is recorded and
/// that no declaration claims for itself. Only the state in memory changes; an apply saves it.
pub fn apply_moves(desired: &[ResourceDecl], state: &mut State) -> Vec<Move> {
    let declared: BTreeSet<&Address> = desired.iter().map(|d| &d.address).collect();
    let mut moves = Vec::new();
    for d in desired {
        if d.moved_from.is_empty() || state.resources.contains_key(&d.address) {
            continue;
        }
        let Some(from) = d
            .moved_from
            .iter()
            .find(|old| !declared.contains(old) && state.resources.contains_key(*old))
        else {
            continue;
        };
        if let Some(r) = state.resources.remove(from) {
            state.resources.insert(d.address.clone(), r);
            moves.push(Move {
                from: from.clone(),
                to: d.address.clone(),
            });
        }
    }
    moves
}

/// Say in the plan which changes act on a moved resource.
pub fn note_moves(changes: &mut [Change], moves: &[Move]) {
    for m in moves {
        if let Some(c) = changes.iter_mut().find(|c| c.address == m.to) {
            c.reasons.insert(0, format!("moved from {}", m.from));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use provision_state::{ResourceState, ResourceStatus};

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    fn recorded(id: &str) -> ResourceState {
        let mut r = ResourceState::new("rds.db_instance", "eu-west-1", ResourceStatus::Ready);
        r.id = Some(id.into());
        r
    }

    #[test]
    fn a_recorded_replica_moves_to_the_primary_that_names_it() {
        let mut state = State::new("s");
        let replica = a("eu-west-1/rds.db_instance/replica");
        let primary = a("eu-west-1/rds.db_instance/primary");
        state.resources.insert(replica.clone(), recorded("db-1"));
        let desired = vec![ResourceDecl::new(primary.clone()).moved_from(&replica)];
        let moves = apply_moves(&desired, &mut state);
        assert_eq!(
            moves,
            vec![Move {
                from: replica.clone(),
                to: primary.clone()
            }]
        );
        assert!(!state.resources.contains_key(&replica));
        assert_eq!(state.resources[&primary].id.as_deref(), Some("db-1"));
        // Done once: a second pass finds nothing to move.
        assert!(apply_moves(&desired, &mut state).is_empty());
    }

    #[test]
    fn no_move_when_the_new_address_is_recorded_or_the_old_one_still_declared() {
        let replica = a("eu-west-1/rds.db_instance/replica");
        let primary = a("eu-west-1/rds.db_instance/primary");
        let mut state = State::new("s");
        state.resources.insert(replica.clone(), recorded("db-1"));
        state.resources.insert(primary.clone(), recorded("db-2"));
        let desired = vec![ResourceDecl::new(primary.clone()).moved_from(&replica)];
        assert!(apply_moves(&desired, &mut state).is_empty());

        let mut state = State::new("s");
        state.resources.insert(replica.clone(), recorded("db-1"));
        let desired = vec![
            ResourceDecl::new(primary.clone()).moved_from(&replica),
            ResourceDecl::new(replica.clone()),
        ];
        assert!(apply_moves(&desired, &mut state).is_empty());
        assert!(state.resources.contains_key(&replica));
    }
}
