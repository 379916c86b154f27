//! Plans: pure data describing what apply will do. Apply consumes only the plan.

use crate::{Address, Value};
use serde::{Deserialize, Serialize};

/// The order of a replacement's two halves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceOrder {
    /// Create the new object, repoint dependants, then delete the old one.
    CreateBeforeDestroy,
    /// Delete the old object first (names are unique, or AWS forbids two at once).
    DeleteFirst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    NoOp,
    Create,
    Update,
    Replace(ReplaceOrder),
    Delete,
}

impl Action {
    /// The Terraform-style marker for a plan line.
    pub fn symbol(&self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace(ReplaceOrder::DeleteFirst) => "-/+",
            Action::Replace(ReplaceOrder::CreateBeforeDestroy) => "+/-",
            Action::Delete => "-",
        }
    }
}

/// One field's change: `before` → `after`. `after` may hold references (known after apply).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// True when this field forces the replacement.
    pub forces_replacement: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    /// The live (or recorded) properties before the change; None for a create.
    pub before: Option<Value>,
    /// The desired properties after the change; None for a delete.
    pub after: Option<Value>,
    /// Per-field differences (for updates and replacements).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// Why this action: "cidr_block forces replacement", "deleted outside provision", …
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Dependencies of the desired resource (creation edges).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<Address>,
    /// Dependencies recorded in state for the existing object (destroy edges reverse these).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recorded_depends_on: Vec<Address>,
    /// Fields whose values are secrets: shown as `(sensitive)`, never printed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<String>,
}

impl Change {
    pub fn is_sensitive(&self, field: &str) -> bool {
        self.sensitive.iter().any(|f| f == field)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub changes: Vec<Change>,
}

impl Plan {
    pub fn summary(&self) -> PlanSummary {
        let mut s = PlanSummary::default();
        for c in &self.changes {
            match c.action {
                Action::NoOp => {}
                Action::Create => s.add += 1,
                Action::Update => s.change += 1,
                Action::Replace(_) => {
                    s.add += 1;
                    s.destroy += 1;
                }
                Action::Delete => s.destroy += 1,
            }
        }
        s
    }

    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
    }

    /// The changes that would delete an object AWS protects from deletion (its live
    /// `deletion_protection` is true): a delete, or the old half of a replacement.
    pub fn protected_deletions(&self) -> Vec<&Change> {
        self.changes
            .iter()
            .filter(|c| matches!(c.action, Action::Delete | Action::Replace(_)))
            .filter(|c| {
                c.before
                    .as_ref()
                    .and_then(|b| b.get("deletion_protection"))
                    .and_then(Value::as_bool)
                    == Some(true)
            })
            .collect()
    }

    pub fn get(&self, address: &Address) -> Option<&Change> {
        self.changes.iter().find(|c| &c.address == address)
    }
}
