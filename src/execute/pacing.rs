//! Pacing: how fast each query's attempts may leave.
//!
//! A global cap on requests in flight (`concurrency`, counting TCSS and STS
//! calls alike), a governor limiter per (account, action) checked right
//! before each attempt leaves (so a backlog is never released at once), and
//! an adaptive slow-down per key when the server answers with throttling.
//! [`KeyPacer`] is the [`Pacer`] one call waits on; [`Tally`] is what a query
//! records about its attempts.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tcapi::client::{AttemptOutcome, Pacer};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use super::ExecOptions;
use crate::model::AttemptError;
use crate::sync::lock;

/// Extra spacing kept above the documented limit, so that scheduling and
/// network jitter can never squeeze one more request into the server's
/// sliding one-second window.
const PACING_MARGIN: f64 = 0.05;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Action {
    Tcss,
    Sts,
}

#[derive(Debug, Default)]
struct Adapt {
    /// Extra spacing added after throttling; decays on success.
    extra: Duration,
    /// No request for this key before then.
    not_before: Option<Instant>,
}

/// Pacing shared by every query of a run.
#[derive(Debug)]
pub(super) struct Limits {
    in_flight: Arc<Semaphore>,
    tcss: DefaultKeyedRateLimiter<usize>,
    sts: DefaultKeyedRateLimiter<usize>,
    adapt: Mutex<HashMap<(usize, Action), Adapt>>,
    tcss_period: Duration,
    sts_period: Duration,
    /// Queries waiting out a retry backoff: they do not count against the
    /// executor's window (`drive`).
    pub(super) backing_off: AtomicUsize,
    /// Told when a query starts a backoff, so the window can grow.
    pub(super) backoff_started: Notify,
}

fn period_for(rate: u32) -> Duration {
    Duration::from_secs_f64((1.0 + PACING_MARGIN) / f64::from(rate.max(1)))
}

fn limiter(period: Duration) -> DefaultKeyedRateLimiter<usize> {
    // Burst 1: requests of one key are spaced by `period`, so any one-second
    // window holds at most `rate` of them.
    let quota = Quota::with_period(period)
        .expect("period is positive")
        .allow_burst(NonZeroU32::MIN);
    RateLimiter::keyed(quota)
}

impl Limits {
    pub(super) fn new(opts: &ExecOptions) -> Limits {
        let tcss_period = period_for(opts.rate_limit);
        let sts_period = period_for(opts.sts_rate_limit);
        Limits {
            in_flight: Arc::new(Semaphore::new(opts.concurrency.max(1))),
            tcss: limiter(tcss_period),
            sts: limiter(sts_period),
            adapt: Mutex::new(HashMap::new()),
            backing_off: AtomicUsize::new(0),
            backoff_started: Notify::new(),
            tcss_period,
            sts_period,
        }
    }

    fn not_before(&self, key: (usize, Action)) -> Option<Instant> {
        let map = lock(&self.adapt);
        map.get(&key)
            .and_then(|a| a.not_before)
            .filter(|t| *t > Instant::now())
    }

    fn sent(&self, key: (usize, Action)) {
        let mut map = lock(&self.adapt);
        if let Some(a) = map.get_mut(&key) {
            if !a.extra.is_zero() {
                a.not_before = Some(Instant::now() + a.extra);
            }
        }
    }

    fn observe(&self, key: (usize, Action), outcome: AttemptOutcome) {
        let period = match key.1 {
            Action::Tcss => self.tcss_period,
            Action::Sts => self.sts_period,
        };
        let mut map = lock(&self.adapt);
        match outcome {
            AttemptOutcome::Throttled => {
                let a = map.entry(key).or_default();
                // The server's window is one second: stay quiet for it, then go slower.
                a.extra = (a.extra * 2).max(period).min(Duration::from_secs(2));
                a.not_before = Some(Instant::now() + Duration::from_secs(1));
                tracing::debug!(
                    account = key.0,
                    extra_ms = a.extra.as_millis() as u64,
                    "throttled: slowing down"
                );
            }
            AttemptOutcome::Success => {
                if let Some(a) = map.get_mut(&key) {
                    a.extra = a.extra.mul_f64(0.75);
                    if a.extra < Duration::from_millis(1) {
                        map.remove(&key);
                    }
                }
            }
            _ => {}
        }
    }
}

/// What one query records about its attempts, shared with its pacers so a
/// cancelled query still reports what it did.
#[derive(Debug, Default)]
pub(super) struct Tally {
    pub(super) attempts: AtomicU32,
    pub(super) first_sent: OnceLock<Instant>,
    /// Between a failed attempt and the next (or the end of the call): the
    /// query may be sleeping in backoff, counted in `Limits::backing_off`.
    backing_off: AtomicBool,
    /// The latest failed attempt's error, for a query cancelled while retrying.
    pub(super) last_error: Mutex<Option<AttemptError>>,
}

impl Limits {
    /// A failed attempt: the call may now sleep before retrying.
    fn backoff_started(&self, tally: &Tally) {
        if !tally.backing_off.swap(true, Ordering::AcqRel) {
            self.backing_off.fetch_add(1, Ordering::AcqRel);
            self.backoff_started.notify_one();
        }
    }

    /// The next attempt starts, or the call is over.
    pub(super) fn backoff_ended(&self, tally: &Tally) {
        if tally.backing_off.swap(false, Ordering::AcqRel) {
            self.backing_off.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// The [`Pacer`] of one call: waits for a slot and the key's limiter right
/// before each attempt.
#[derive(Debug)]
pub(super) struct KeyPacer<'a> {
    pub(super) limits: &'a Limits,
    pub(super) key: (usize, Action),
    pub(super) tally: &'a Tally,
}

impl Pacer for KeyPacer<'_> {
    type Permit = OwnedSemaphorePermit;

    async fn acquire(&self) -> OwnedSemaphorePermit {
        self.limits.backoff_ended(self.tally);
        loop {
            if let Some(t) = self.limits.not_before(self.key) {
                tokio::time::sleep_until(t.into()).await;
            }
            let permit = match self.limits.in_flight.clone().acquire_owned().await {
                Ok(p) => p,
                Err(_) => unreachable!("the in-flight semaphore is never closed"),
            };
            let limiter = match self.key.1 {
                Action::Tcss => &self.limits.tcss,
                Action::Sts => &self.limits.sts,
            };
            match limiter.check_key(&self.key.0) {
                Ok(()) => {
                    self.limits.sent(self.key);
                    self.tally.attempts.fetch_add(1, Ordering::Relaxed);
                    let _ = self.tally.first_sent.set(Instant::now());
                    return permit;
                }
                Err(not_until) => {
                    drop(permit);
                    // The limiter's own clock: building a quanta clock calibrates it (CPUID), which
                    // cost a tenth of the client's CPU when done per attempt.
                    tokio::time::sleep(not_until.wait_time_from(limiter.clock().now())).await;
                }
            }
        }
    }

    fn observe(&self, outcome: AttemptOutcome) {
        self.limits.observe(self.key, outcome);
        if outcome != AttemptOutcome::Success {
            self.limits.backoff_started(self.tally);
        }
    }

    fn attempt_failed(&self, error: &tcapi::Error) {
        *lock(&self.tally.last_error) = Some(AttemptError {
            code: error.code(),
            message: error.to_string(),
        });
    }
}
