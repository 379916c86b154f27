//! Progress lines on stderr while apply runs.

use provision_engine::{Event, EventSink, StepOp};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A sink that prints one line per started, finished, retried or failed step, with a counter.
pub fn printer(total: usize) -> EventSink {
    let done = Arc::new(AtomicUsize::new(0));
    Arc::new(move |e: Event| {
        let mut err = std::io::stderr().lock();
        let _ = match e {
            Event::Started { step } => writeln!(err, "  {step}…"),
            Event::Finished { step, id, elapsed } => {
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                let verb = match step.op {
                    StepOp::Create => "created",
                    StepOp::Update => "updated",
                    StepOp::Delete => "destroyed",
                    StepOp::DeleteDeposed => "destroyed superseded object of",
                };
                let id = id.map(|i| format!(" ({i})")).unwrap_or_default();
                writeln!(
                    err,
                    "  [{n}/{total}] {verb} {}{id} in {:.1}s",
                    step.address,
                    elapsed.as_secs_f64()
                )
            }
            Event::Waiting { address, detail } => writeln!(err, "  {address}: {detail}"),
            Event::Retrying {
                address,
                attempt,
                error,
                after,
            } => writeln!(
                err,
                "  {address}: attempt {attempt} failed ({error}); retrying in {:.1}s",
                after.as_secs_f64()
            ),
            Event::Failed { step, error } => writeln!(err, "  FAILED {step}: {error}"),
        };
    })
}
