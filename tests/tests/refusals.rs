//! What provision refuses, before any AWS call: bad specs, a held lock, no terminal.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::*;
use std::net::TcpListener;

/// A port that counts connection attempts: pointing AWS_ENDPOINT_URL at it proves no request
/// was even attempted.
struct Tripwire(TcpListener);

impl Tripwire {
    fn new() -> Self {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Tripwire(l)
    }
    fn endpoint(&self) -> String {
        format!("http://{}", self.0.local_addr().unwrap())
    }
    fn tripped(&self) -> bool {
        self.0.accept().is_ok()
    }
}

#[test]
fn bad_specs_are_refused_with_their_location_and_no_request() {
    let wire = Tripwire::new();
    let p = Provision::new(&wire.endpoint());
    let dir = repo_root().join("tests/fixtures/bad");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    fixtures.sort();
    assert!(fixtures.len() >= 40, "only {} fixtures", fixtures.len());
    for f in fixtures {
        let rel = f
            .strip_prefix(repo_root())
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let expected = std::fs::read_to_string(f.with_extension("expected")).unwrap();
        let first = expected.lines().next().unwrap().trim();
        for cmd in [
            vec!["up", rel.as_str(), "--yes"],
            vec!["validate", rel.as_str()],
            vec!["diff", rel.as_str()],
        ] {
            let r = p.run(&cmd);
            assert_eq!(r.code, 1, "{cmd:?}: {r:?}");
            assert!(
                r.stderr.contains(first),
                "{cmd:?}: expected {first:?} in {r:?}"
            );
            assert!(!r.stderr.contains("panicked"), "{r:?}");
        }
    }
    assert!(!wire.tripped(), "a bad spec led to a request");
}

#[test]
fn good_specs_validate_without_aws() {
    let wire = Tripwire::new();
    let p = Provision::new(&wire.endpoint());
    for spec in ["specs/prod.yaml", "specs/staging.yaml", "specs/dev.yaml"] {
        let r = p.ok(&["validate", spec]);
        assert!(r.stdout.contains("is valid"), "{r:?}");
    }
    let g = p.ok(&["graph", "specs/dev.yaml"]);
    assert!(g.stdout.starts_with("digraph"), "{g:?}");
    assert!(g.stdout.contains("cluster_us-east-1"), "{g:?}");
    assert!(!wire.tripped());
}

#[test]
fn a_second_run_is_refused_while_the_lock_is_held() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", DEV, "--yes"]);
    let path = p.state_dir.path().join("pyairtable-dev.json");
    let bytes = std::fs::read(&path).unwrap();

    // Another holder: this test process.
    let held = provision_state::StateStore::open(
        p.state_dir.path(),
        "pyairtable-dev",
        "provision up (test holder)",
    )
    .unwrap();
    emu.reset_calls();
    for cmd in [
        vec!["up", DEV, "--yes"],
        vec!["diff"],
        vec!["destroy", "--yes"],
    ] {
        let r = p.run(&cmd);
        assert_eq!(r.code, 1, "{cmd:?}: {r:?}");
        assert!(
            r.stderr.contains(&format!("pid {}", std::process::id())),
            "{r:?}"
        );
        assert!(r.stderr.contains("provision up (test holder)"), "{r:?}");
    }
    assert!(emu.calls().is_empty(), "a locked-out run reached AWS");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "the state changed");
    drop(held);
    assert_eq!(p.run(&["diff", "--detailed-exitcode"]).code, 0);
}

#[test]
fn up_without_a_terminal_needs_yes() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    let r = p.run(&["up", DEV]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stderr.contains("--yes"), "{r:?}");
    assert!(
        r.stdout.contains("will be created"),
        "the plan is shown first: {r:?}"
    );
    assert!(emu.mutating_calls().is_empty());
}

#[test]
fn declared_resources_are_checked_against_the_kinds_schemas() {
    let wire = Tripwire::new();
    let p = Provision::new(&wire.endpoint());
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(repo_root().join(DEV)).unwrap();
    let lines = base.lines().count();
    for (extra, expected) in [
        (
            "resources:\n  us-east-1/ec2.bogus/x:\n    properties: {}\n",
            format!(":{}:3: error: kind `ec2.bogus` is not known", lines + 2),
        ),
        (
            "resources:\n  us-east-1/ec2.route/vpn:\n    properties:\n      route_table_id: ${us-east-1/ec2.route_table/public#id}\n      destination_cidr_block: 10.100.0.0/16\n      gatway_id: vgw-1\n",
            format!(":{}:7: error: `ec2.route` has no property `gatway_id`", lines + 6),
        ),
    ] {
        let spec = dir.path().join("dev.yaml");
        std::fs::write(&spec, format!("{base}{extra}")).unwrap();
        let r = p.run(&["up", spec.to_str().unwrap(), "--yes"]);
        assert_eq!(r.code, 1, "{r:?}");
        assert!(r.stderr.contains(&expected), "expected {expected:?}: {r:?}");
        assert!(r.stderr.contains("help:"), "{r:?}");
    }
    assert!(!wire.tripped());
}

#[test]
fn the_next_run_names_a_holder_that_died() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    p.ok(&["up", "specs/dev.yaml", "--yes"]);
    // As a killed run leaves it: its holder still written, no lock held.
    std::fs::write(
        p.state_dir().join("pyairtable-dev.json.lock"),
        r#"{"pid":4194000,"host":"ci","since":"2026-11-26T10:00:00Z","command":"provision up specs/dev.yaml"}"#,
    )
    .unwrap();
    let out = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.contains(
            "the last run on pyairtable-dev, pid 4194000 on host ci since 2026-11-26T10:00:00Z"
        ),
        "{out:?}"
    );
    assert!(
        out.stderr.contains("ended without releasing its lock"),
        "{out:?}"
    );
}

#[test]
fn corrupt_state_files_are_refused_untouched_naming_the_backup() {
    let wire = Tripwire::new();
    let p = Provision::new(&wire.endpoint());
    let dir = p.state_dir();
    let path = dir.join("pyairtable-dev.json");
    let backup = dir.join("pyairtable-dev.json.backup");
    let good = |lineage: &str, serial: u64| {
        format!(
            r#"{{"format_version": 1, "serial": {serial}, "lineage": "{lineage}", "stack": "pyairtable-dev", "resources": {{}}}}"#
        )
    };
    let whole = good("6f1c1f0e-0000-4000-8000-000000000001", 2);
    let cases: Vec<(&str, String, Option<String>, &str)> = vec![
        (
            "truncated",
            whole[..whole.len() / 2].to_string(),
            None,
            "is corrupt",
        ),
        (
            "garbage",
            "\u{1}\u{2}not json".to_string(),
            None,
            "is corrupt",
        ),
        (
            "future format_version",
            whole.replace(r#""format_version": 1"#, r#""format_version": 99"#),
            None,
            "format_version 99",
        ),
        (
            "lineage unlike the backup's",
            whole.clone(),
            Some(good("6f1c1f0e-0000-4000-8000-000000000002", 1)),
            "has lineage",
        ),
    ];
    for (case, bytes, backup_bytes, expected) in cases {
        let _ = std::fs::remove_file(&backup);
        std::fs::write(&path, &bytes).unwrap();
        if let Some(b) = &backup_bytes {
            std::fs::write(&backup, b).unwrap();
        }
        for cmd in [
            vec!["up", DEV, "--yes"],
            vec!["diff"],
            vec!["destroy", "--yes"],
            vec!["state", "list"],
        ] {
            let r = p.run(&cmd);
            assert_eq!(r.code, 1, "{case}: {cmd:?}: {r:?}");
            assert!(r.stderr.contains(expected), "{case}: {cmd:?}: {r:?}");
            assert!(
                r.stderr.contains("pyairtable-dev.json.backup"),
                "{case}: {cmd:?}: the backup is not named: {r:?}"
            );
            assert!(!r.stderr.contains("panicked"), "{r:?}");
            assert_eq!(
                std::fs::read(&path).unwrap(),
                bytes.as_bytes(),
                "{case}: {cmd:?} changed the state file"
            );
            if let Some(b) = &backup_bytes {
                assert_eq!(std::fs::read(&backup).unwrap(), b.as_bytes(), "{case}");
            }
        }
    }
    assert!(!wire.tripped(), "a corrupt state led to a request");
}

#[test]
fn a_renamed_stack_is_called_out_before_it_builds_a_second_copy() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("dev.yaml");
    let text = std::fs::read_to_string(repo_root().join(DEV)).unwrap();
    std::fs::write(&spec, &text).unwrap();
    let spec = spec.to_str().unwrap();
    p.ok(&["up", spec, "--yes"]);
    let before = p.state("pyairtable-dev").resources.len();

    // The same file, with the stack renamed.
    std::fs::write(
        spec,
        text.replacen("stack: pyairtable", "stack: pyairtable2", 1),
    )
    .unwrap();
    emu.reset_calls();
    let diff = p.run(&["diff", spec]);
    assert!(
        diff.stderr.contains(&format!(
            "stack pyairtable2-dev has no state yet, but stack pyairtable-dev, made from the same spec {spec}, holds {before} resources"
        )),
        "{diff:?}"
    );
    assert!(diff.stderr.contains("builds a second copy"), "{diff:?}");
    assert!(emu.mutating_calls().is_empty());
}

#[test]
fn of_two_concurrent_ups_the_second_is_refused_naming_the_first() {
    let emu = Emulator::start();
    let p = Provision::new(&emu.endpoint);
    let lock = p.state_dir().join("pyairtable-dev.json.lock");
    let mut first = p.spawn(&["up", DEV, "--yes"]);
    let pid = first.id().to_string();
    // Until the first run has taken the lock and written itself into it.
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&lock).is_ok_and(|t| t.contains(&format!("\"pid\":{pid}"))) {
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first up ended early"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(120));
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let second = p.run(&["up", DEV, "--yes"]);
    assert_eq!(second.code, 1, "{second:?}");
    assert!(second.stderr.contains(&format!("pid {pid}")), "{second:?}");
    assert!(second.stderr.contains("is locked by"), "{second:?}");

    assert!(first.wait().unwrap().success(), "the first up failed");
    // The state is whole and matches what exists.
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{diff:?}");
    assert_one_object_per_address(
        &emu,
        &p,
        "pyairtable-dev",
        &["us-east-1", "eu-west-1", "ap-southeast-1"],
        "after two concurrent ups",
    );
}
