//! The call budget of a no-op `diff` of the full prod stack: refresh is batched per
//! (kind × region), plus the per-resource exceptions docs/performance.md lists. The budget is
//! written in docs/performance.md; this test fails when a change makes refresh cost more.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::*;
use std::collections::BTreeMap;

/// `calls=N resources=M` from the marker line in docs/performance.md.
fn documented_budget() -> (usize, usize) {
    let doc = std::fs::read_to_string(repo_root().join("docs/performance.md")).unwrap();
    let line = doc
        .lines()
        .find(|l| l.starts_with("<!-- call-budget prod-noop-diff:"))
        .expect("docs/performance.md has no call-budget marker");
    let field = |name: &str| -> usize {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name}= in {line}"))
    };
    (field("calls"), field("resources"))
}

#[test]
fn a_no_op_diff_of_prod_stays_within_the_documented_call_budget() {
    let (budget, documented_resources) = documented_budget();
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", PROD, "--yes"]);
    let resources = p.ids("pyairtable-prod").len();
    // The size of a full apply, which tests/crash.rs spreads its kill points over.
    eprintln!("up of prod: {} mutating calls", emu.mutating_calls().len());
    emu.reset_calls();
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{diff:?}");
    let calls = emu.calls();
    assert!(calls.iter().all(|c| !c.is_mutating()), "{calls:?}");
    let mut by_action: BTreeMap<(String, String), usize> = BTreeMap::new();
    for c in &calls {
        // REST calls are recorded with their path: keep the method and the first segments.
        let action: String = c.action.split('/').take(3).collect::<Vec<_>>().join("/");
        *by_action.entry((c.service.clone(), action)).or_default() += 1;
    }
    let table: Vec<String> = by_action
        .iter()
        .map(|((s, a), n)| format!("{s} {a}: {n}"))
        .collect();
    eprintln!(
        "no-op diff of prod: {} calls for {resources} resources\n{}",
        calls.len(),
        table.join("\n")
    );
    assert_eq!(
        resources, documented_resources,
        "prod has {resources} resources; update the call-budget marker in docs/performance.md"
    );
    assert!(
        calls.len() <= budget,
        "a no-op diff of prod made {} calls, over the documented budget of {budget}:\n{}",
        calls.len(),
        table.join("\n")
    );
}
