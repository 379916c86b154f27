//! The error policy, kept apart from the reconcilers (which never sleep or loop): which errors
//! are retried, how long to back off, and how long a kind may take to become ready.

use provision_core::{ErrorClass, ReconcileError};
use rand::Rng;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What a failed call of each kind of operation deserves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Retry,
    /// The call may have happened: look the object up before trying again.
    LookUpThenRetry,
    Fail,
}

pub(crate) const MAX_ATTEMPTS: u32 = 6;

/// Creates without an idempotency token must never be resent blind: a transport error or a
/// throttle may hide a create AWS performed. "Already exists" and conflicts (MSK and EKS answer
/// a taken name with ConflictException / ResourceInUseException) may mean that an earlier run,
/// killed with its create in flight, made the object after this run's refresh: look for it
/// (by its provision:address tag or natural key) and adopt it. NotFound right after a
/// dependency was created is AWS's eventual consistency, and clears by itself.
pub(crate) fn on_create(e: &ReconcileError) -> Verdict {
    match e.class {
        ErrorClass::Transient
        | ErrorClass::Throttled
        | ErrorClass::Other
        | ErrorClass::Conflict
        | ErrorClass::AlreadyExists => Verdict::LookUpThenRetry,
        ErrorClass::NotFound => Verdict::Retry,
        ErrorClass::Invalid => Verdict::Fail,
    }
}

/// Updates and deletes are idempotent: retry transport errors, throttling and conflicts
/// (DependencyViolation while a dependant is still being deleted).
pub(crate) fn on_change(e: &ReconcileError) -> Verdict {
    match e.class {
        ErrorClass::Transient
        | ErrorClass::Throttled
        | ErrorClass::Conflict
        | ErrorClass::Other => Verdict::Retry,
        ErrorClass::NotFound => Verdict::Retry,
        ErrorClass::Invalid | ErrorClass::AlreadyExists => Verdict::Fail,
    }
}

/// The base of [`backoff`], in milliseconds. Only the engine's tests lower it.
static BACKOFF_BASE_MS: AtomicU64 = AtomicU64::new(500);
/// [`settle`], in milliseconds. Only the engine's tests lower it.
static SETTLE_MS: AtomicU64 = AtomicU64::new(15_000);
/// The base of [`poll_interval`], in milliseconds. Only the engine's tests lower it.
static POLL_BASE_MS: AtomicU64 = AtomicU64::new(1000);

/// Make every back-off and poll interval last about a millisecond, for the whole test binary.
#[cfg(test)]
pub(crate) fn fast_for_tests() {
    BACKOFF_BASE_MS.store(1, Ordering::Relaxed);
    POLL_BASE_MS.store(1, Ordering::Relaxed);
    SETTLE_MS.store(500, Ordering::Relaxed);
}

/// How long after an interrupted create started the engine still expects its object to appear:
/// the killed run's request may still be in flight, and describe calls are eventually
/// consistent. A create of the same address within this window looks again at its end first.
pub(crate) fn settle() -> Duration {
    Duration::from_millis(SETTLE_MS.load(Ordering::Relaxed))
}

/// Jittered exponential backoff: attempt 1 waits 0.5 to 1 s, doubling, capped at 20 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    backoff_from(BACKOFF_BASE_MS.load(Ordering::Relaxed), attempt)
}

fn backoff_from(base_ms: u64, attempt: u32) -> Duration {
    let cap_ms = (base_ms << attempt.min(6)).min(base_ms * 40);
    let ms = rand::rng().random_range(cap_ms / 2..=cap_ms);
    Duration::from_millis(ms)
}

/// The interval between readiness polls: 1 s growing to 15 s.
pub(crate) fn poll_interval(polls: u32) -> Duration {
    let base_ms = POLL_BASE_MS.load(Ordering::Relaxed);
    Duration::from_millis((base_ms << polls.min(4)).min(base_ms * 15))
}

/// How long each kind may take to become ready (or to be gone), by service prefix of the kind.
#[derive(Debug, Clone)]
pub struct Timeouts {
    pub default: Duration,
    pub by_service: HashMap<String, Duration>,
}

/// AWS's own figures for its slowest kinds, with room: EKS clusters take about 15 minutes, RDS
/// instances 10 to 40, ElastiCache replication groups 10 to 60, MSK clusters up to 120,
/// CloudFront deployments 5 to 25; ACM validates DNS within minutes once the records resolve,
/// but up to 72 hours are allowed (75 minutes, as Terraform waits, before the next run resumes).
const SERVICE_DEFAULTS: &[(&str, u64)] = &[
    ("eks", 30),
    ("rds", 60),
    ("elasticache", 75),
    ("msk", 150),
    ("cloudfront", 45),
    ("acm", 75),
];

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            default: Duration::from_secs(20 * 60),
            by_service: SERVICE_DEFAULTS
                .iter()
                .map(|(s, min)| (s.to_string(), Duration::from_secs(min * 60)))
                .collect(),
        }
    }
}

impl Timeouts {
    pub fn for_kind(&self, kind: &str) -> Duration {
        let service = kind.split('.').next().unwrap_or(kind);
        self.by_service
            .get(service)
            .copied()
            .unwrap_or(self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_kinds_have_their_own_defaults() {
        let t = Timeouts::default();
        assert_eq!(t.for_kind("msk.cluster"), Duration::from_secs(150 * 60));
        assert_eq!(t.for_kind("rds.db_instance"), Duration::from_secs(60 * 60));
        assert_eq!(t.for_kind("ec2.vpc"), Duration::from_secs(20 * 60));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        // The production base; other tests of this binary lower the global one.
        assert!(backoff_from(500, 1) <= Duration::from_millis(1000));
        assert!(backoff_from(500, 1) >= Duration::from_millis(500));
        assert!(backoff_from(500, 20) <= Duration::from_secs(20));
        assert!(backoff_from(500, 20) >= Duration::from_secs(10));
        assert_eq!(backoff_from(0, 3), Duration::ZERO);
    }

    #[test]
    fn creates_look_up_before_retrying_transport_errors() {
        let e = ReconcileError::new(ErrorClass::Transient, "connection reset");
        assert_eq!(on_create(&e), Verdict::LookUpThenRetry);
        let e = ReconcileError::invalid("bad cidr");
        assert_eq!(on_create(&e), Verdict::Fail);
    }
}
