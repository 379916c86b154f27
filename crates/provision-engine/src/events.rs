//! What the engine tells the user as it goes. The CLI turns events into progress lines.

use crate::step::Step;
use provision_core::Address;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Event {
    Started {
        step: Step,
    },
    Waiting {
        address: Address,
        detail: String,
    },
    Retrying {
        address: Address,
        attempt: u32,
        error: String,
        after: Duration,
    },
    Finished {
        step: Step,
        id: Option<String>,
        elapsed: Duration,
    },
    Failed {
        step: Step,
        error: String,
    },
}

pub type EventSink = Arc<dyn Fn(Event) + Send + Sync>;
