//! Interrupts: the first SIGINT or SIGTERM stops starting operations, lets the calls in flight
//! finish, saves the state, releases the lock and exits non-zero with a summary; a second one
//! quits at once. Either way the next `up` converges without duplicates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_tests::*;
use std::process::Child;
use std::time::{Duration, Instant};

const STACK: &str = "pyairtable-dev";
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-1"];

/// Wait until the emulator has seen `n` mutating calls from the run.
fn after_calls(emu: &Emulator, child: &mut Child, n: usize) {
    let started = Instant::now();
    while emu.mutating_calls().len() < n {
        assert!(
            child.try_wait().unwrap().is_none(),
            "up ended before {n} mutating calls"
        );
        assert!(started.elapsed() < Duration::from_secs(600), "up stalled");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: &str) {
    let ok = std::process::Command::new("sh")
        .args(["-c", &format!("kill -{sig} {}", child.id())])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} failed");
}

/// The exit code, waiting as long as a hung run could take to be noticed.
fn exit_code(child: &mut Child) -> i32 {
    let started = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code().unwrap_or(-1);
        }
        if started.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("the interrupted run did not exit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn converges(emu: &Emulator, p: &Provision, context: &str) {
    let rerun = p.run(&["up", "specs/dev.yaml", "--yes"]);
    assert_eq!(rerun.code, 0, "{context}: the rerun failed: {rerun:?}");
    let diff = p.run(&["diff", "--detailed-exitcode"]);
    assert_eq!(diff.code, 0, "{context}: diff not empty: {diff:?}");
    assert_one_object_per_address(emu, p, STACK, &REGIONS, context);
}

#[test]
fn sigterm_stops_gracefully_saves_the_state_and_releases_the_lock() {
    // Lifecycle mode keeps EKS, NAT gateways and the data stores in their transitional states
    // for a while, so the interrupt lands while readiness waits are running.
    let emu = Emulator::start_with_lifecycle(2);
    let p = Provision::new(&emu.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("up.log");
    let mut child = p.spawn_logged(&["up", "specs/dev.yaml", "--yes"], &log);
    after_calls(&emu, &mut child, 40);
    signal(&child, "TERM");
    let code = exit_code(&mut child);
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert_ne!(code, 0, "an interrupted apply must not exit 0: {stderr}");
    assert!(
        stderr.contains("interrupted: no new operations start"),
        "{stderr}"
    );
    assert!(stderr.contains("Apply interrupted:"), "{stderr}");
    assert!(
        stderr.contains("run the same command again to resume"),
        "{stderr}"
    );
    // The state is whole, and the lock was released: the next run names no dead holder.
    let state = p.state(STACK);
    assert!(!state.resources.is_empty());
    let rerun = p.run(&["up", "specs/dev.yaml", "--yes"]);
    assert_eq!(rerun.code, 0, "{rerun:?}");
    assert!(
        !rerun.stderr.contains("ended without releasing its lock"),
        "{rerun:?}"
    );
    converges(&emu, &p, "after SIGTERM");
}

#[test]
fn a_second_sigint_quits_at_once_and_the_next_run_recovers() {
    let emu = Emulator::start_with_lifecycle(2);
    // Every call takes a second through this proxy, so calls are in flight when the first
    // SIGINT lands and the run is still waiting for them when the second one does, however
    // busy the machine is.
    let slow = provision_tests::faults::FaultProxy::slow(&emu.endpoint, Duration::from_secs(1));
    let mut p = Provision::new(&slow.endpoint);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("up.log");
    let mut child = p.spawn_logged(&["up", "specs/dev.yaml", "--yes"], &log);
    after_calls(&emu, &mut child, 25);
    signal(&child, "INT");
    // The second once the first is handled, as a person presses Ctrl-C again on seeing its
    // message: two signals that land before the first is read are one delivery (signals
    // coalesce), which a fixed pause did not rule out on a loaded machine.
    let started = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("interrupted: no new operations start")
    {
        assert!(
            child.try_wait().unwrap().is_none(),
            "up ended before it said it was interrupted"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no word of the interrupt"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    signal(&child, "INT");
    let code = exit_code(&mut child);
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert_eq!(code, 130, "{stderr}");
    assert!(
        stderr.contains("interrupted again: quitting now"),
        "{stderr}"
    );
    // The rerun goes straight to the emulator.
    p.set_endpoint(&emu.endpoint);
    converges(&emu, &p, "after two SIGINTs");
}
