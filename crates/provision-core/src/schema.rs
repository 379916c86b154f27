//! Kind schemas: for each field, whether a change updates in place, forces replacement, or is
//! computed by AWS. The planner reads them to choose Update or Replace and to say why.

use crate::change::ReplaceOrder;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldMode {
    /// A change is applied in place by `update`.
    Mutable,
    /// A change forces the resource to be replaced.
    ForceNew,
    /// Set by AWS; never compared with the spec.
    Computed,
    /// An input AWS uses at create and never reports back (a generated password's length):
    /// compared with the value recorded at the last apply, and a change forces replacement.
    WriteOnly,
}

#[derive(Debug, Clone, Copy)]
pub struct FieldSchema {
    pub name: &'static str,
    pub mode: FieldMode,
    /// Printed as `(sensitive)`, never written to logs.
    pub sensitive: bool,
    /// A list compared as a set: order carries no meaning (subnet ids, CIDR lists).
    pub unordered: bool,
    /// A computed field that AWS changes whenever the object is updated (a configuration's
    /// latest revision): a plan that updates the object knows it only after apply.
    pub changes_on_update: bool,
    /// A force-new field whose removal is an update in place: a read replica's source, which
    /// PromoteReadReplica clears. Setting or changing it still forces replacement.
    pub cleared_in_place: bool,
}

impl FieldSchema {
    pub const fn mutable(name: &'static str) -> Self {
        Self {
            name,
            mode: FieldMode::Mutable,
            sensitive: false,
            unordered: false,
            changes_on_update: false,
            cleared_in_place: false,
        }
    }
    pub const fn force_new(name: &'static str) -> Self {
        Self {
            name,
            mode: FieldMode::ForceNew,
            sensitive: false,
            unordered: false,
            changes_on_update: false,
            cleared_in_place: false,
        }
    }
    /// This list field is compared as a set.
    pub const fn unordered(mut self) -> Self {
        self.unordered = true;
        self
    }
    /// This computed field changes whenever the object is updated.
    pub const fn changes_on_update(mut self) -> Self {
        self.changes_on_update = true;
        self
    }
    /// Removing this force-new field's value updates in place (see
    /// [`FieldSchema::cleared_in_place`]).
    pub const fn cleared_in_place(mut self) -> Self {
        self.cleared_in_place = true;
        self
    }
    /// Whether `value` (a desired value; None when absent) clears this field in place.
    pub fn cleared_by(&self, value: Option<&serde_json::Value>) -> bool {
        self.cleared_in_place && value.is_none_or(serde_json::Value::is_null)
    }
    /// This field's value is a secret: printed as `(sensitive)`.
    pub const fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub const fn write_only(name: &'static str) -> Self {
        Self {
            name,
            mode: FieldMode::WriteOnly,
            sensitive: false,
            unordered: false,
            changes_on_update: false,
            cleared_in_place: false,
        }
    }
    pub const fn computed(name: &'static str) -> Self {
        Self {
            name,
            mode: FieldMode::Computed,
            sensitive: false,
            unordered: false,
            changes_on_update: false,
            cleared_in_place: false,
        }
    }
}

/// What the planner needs to know about a resource kind.
#[derive(Debug)]
pub struct KindSchema {
    /// `<service>.<type>`, e.g. `ec2.vpc`.
    pub kind: &'static str,
    pub fields: &'static [FieldSchema],
    /// How a replacement is ordered. Kinds with unique names must delete first.
    pub replace_order: ReplaceOrder,
    /// Whether the kind carries the provision tags (else observe finds it by natural key).
    pub taggable: bool,
}

impl KindSchema {
    pub fn field(&self, name: &str) -> Option<&FieldSchema> {
        self.fields.iter().find(|f| f.name == name)
    }
}
