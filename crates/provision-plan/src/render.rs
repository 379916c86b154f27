//! The plan as a Terraform user reads it at once: `+`, `~`, `-/+`, `-`, then the summary line.

use provision_core::value::Ref;
use provision_core::{Action, Change, Plan, ReplaceOrder, Value};
use std::fmt::Write;

/// Render the plan for a terminal.
pub fn render(plan: &Plan) -> String {
    if !plan.has_changes() {
        return "No changes. The live stack matches the spec.\n".to_string();
    }
    let mut out = String::new();
    for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        render_change(&mut out, c);
        out.push('\n');
    }
    let s = plan.summary();
    let _ = writeln!(
        out,
        "Plan: {} to add, {} to change, {} to destroy.",
        s.add, s.change, s.destroy
    );
    if let Some(w) = destruction_warning(plan) {
        out.push('\n');
        out.push_str(&w);
    }
    out
}

/// A plain statement of everything the plan destroys, by region and kind, so that a spec edit
/// that destroys more than meant (a region dropped, a CIDR changed, a node group renamed) is
/// seen before it is applied.
fn destruction_warning(plan: &Plan) -> Option<String> {
    use std::collections::BTreeMap;
    let doomed: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace(_)))
        .collect();
    if doomed.is_empty() {
        return None;
    }
    let replaced = doomed
        .iter()
        .filter(|c| matches!(c.action, Action::Replace(_)))
        .count();
    let mut regions: BTreeMap<&str, usize> = BTreeMap::new();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &doomed {
        *regions.entry(c.address.region()).or_default() += 1;
        *kinds.entry(c.address.kind()).or_default() += 1;
    }
    let list = |m: &BTreeMap<&str, usize>| {
        m.iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let n = doomed.len();
    let mut w = String::new();
    let _ = writeln!(
        w,
        "Warning: this plan destroys {n} existing object{} ({} deleted, {replaced} replaced by new objects with new ids).",
        if n == 1 { "" } else { "s" },
        n - replaced
    );
    let _ = writeln!(w, "  by region: {}", list(&regions));
    let _ = writeln!(w, "  by kind:   {}", list(&kinds));
    let _ = writeln!(
        w,
        "  What a destroyed database, cache, Kafka cluster or secret held is gone with it, \
         apart from the final snapshots its kind keeps. Check that this is what you meant \
         before applying."
    );
    Some(w)
}

fn headline(c: &Change) -> String {
    let what = match c.action {
        Action::Create => "will be created".to_string(),
        Action::Update => "will be updated in place".to_string(),
        Action::Replace(ReplaceOrder::DeleteFirst) => {
            "must be replaced (the old object is deleted first)".to_string()
        }
        Action::Replace(ReplaceOrder::CreateBeforeDestroy) => {
            "must be replaced (the new object is created before the old one is deleted)".to_string()
        }
        Action::Delete => "will be destroyed".to_string(),
        Action::NoOp => "is unchanged".to_string(),
    };
    format!("{} {} {}", c.action.symbol(), c.address, what)
}

fn render_change(out: &mut String, c: &Change) {
    let _ = writeln!(out, "  {}", headline(c));
    for r in &c.reasons {
        let _ = writeln!(out, "      # {r}");
    }
    match c.action {
        Action::Create => {
            if let Some(Value::Object(m)) = &c.after {
                let width = m.keys().map(String::len).max().unwrap_or(0);
                for (k, v) in m {
                    let v = shown(c, k, v);
                    let _ = writeln!(out, "      + {k:width$} = {v}");
                }
            }
        }
        Action::Update | Action::Replace(_) => {
            for f in &c.fields {
                if c.is_sensitive(&f.field) {
                    // A secret shows that it changes, never what it was or becomes.
                    let _ = writeln!(
                        out,
                        "      ~ {} = (sensitive) -> (sensitive){}",
                        f.field,
                        forces(f.forces_replacement)
                    );
                    continue;
                }
                match (&f.before, &f.after) {
                    (Some(Value::Object(b)), Some(Value::Object(a))) => {
                        // Nested maps show their inner changes, not a whole blob.
                        let keys: std::collections::BTreeSet<&String> =
                            b.keys().chain(a.keys()).collect();
                        for k in keys {
                            let line = match (b.get(k), a.get(k)) {
                                (Some(x), Some(y)) if x == y => continue,
                                (Some(x), Some(y)) => {
                                    format!("~ {}.{k} = {} -> {}", f.field, show(x), show(y))
                                }
                                (None, Some(y)) => format!("+ {}.{k} = {}", f.field, show(y)),
                                (Some(x), None) => format!("- {}.{k} = {}", f.field, show(x)),
                                (None, None) => continue,
                            };
                            let _ = writeln!(out, "      {line}{}", forces(f.forces_replacement));
                        }
                    }
                    (before, after) => {
                        let _ = writeln!(
                            out,
                            "      ~ {} = {} -> {}{}",
                            f.field,
                            before.as_ref().map(show).unwrap_or_else(|| "(none)".into()),
                            after.as_ref().map(show).unwrap_or_else(|| "(none)".into()),
                            forces(f.forces_replacement)
                        );
                    }
                }
            }
        }
        Action::Delete | Action::NoOp => {}
    }
}

fn forces(yes: bool) -> &'static str {
    if yes {
        "  # forces replacement"
    } else {
        ""
    }
}

/// A field's value for display: `(sensitive)` for a secret, else as [`show`].
fn shown(c: &Change, field: &str, v: &Value) -> String {
    if c.is_sensitive(field) && Ref::from_value(v).is_none() {
        "(sensitive)".to_string()
    } else {
        show(v)
    }
}

/// A value for display: strings quoted, references `(known after apply)`.
fn show(v: &Value) -> String {
    if Ref::from_value(v).is_some() {
        return "(known after apply)".to_string();
    }
    match v {
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k} = {}", show(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        other => other.to_string(),
    }
}

/// Drift for a terminal: what changed outside provision, apart from the plan.
pub fn render_drift(drift: &[crate::Drift]) -> String {
    if drift.is_empty() {
        return String::new();
    }
    let mut out = String::from("Changed outside provision (since provision last applied it):\n");
    for d in drift {
        if d.gone {
            let _ = writeln!(out, "  - {}: deleted outside provision", d.address);
            continue;
        }
        let _ = writeln!(out, "  ~ {}", d.address);
        for f in &d.fields {
            if d.sensitive.contains(&f.field) {
                let _ = writeln!(out, "      {}: (sensitive) -> (sensitive)", f.field);
                continue;
            }
            match (&f.recorded, &f.live) {
                (Some(Value::Object(r)), Some(Value::Object(l))) => {
                    let keys: std::collections::BTreeSet<&String> =
                        r.keys().chain(l.keys()).collect();
                    for k in keys {
                        match (r.get(k), l.get(k)) {
                            (Some(x), Some(y)) if x == y => {}
                            (x, y) => {
                                let _ = writeln!(
                                    out,
                                    "      {}.{k}: {} -> {}",
                                    f.field,
                                    x.map(show).unwrap_or_else(|| "(none)".into()),
                                    y.map(show).unwrap_or_else(|| "(none)".into())
                                );
                            }
                        }
                    }
                }
                (r, l) => {
                    let _ = writeln!(
                        out,
                        "      {}: {} -> {}",
                        f.field,
                        r.as_ref().map(show).unwrap_or_else(|| "(none)".into()),
                        l.as_ref().map(show).unwrap_or_else(|| "(none)".into())
                    );
                }
            }
        }
    }
    out.push_str("The plan below restores the spec's values.\n\n");
    out
}
