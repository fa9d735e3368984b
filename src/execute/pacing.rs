//! Pacing: how fast each query's attempts may leave.
//!
//! A global cap on requests in flight (`concurrency`, counting TCSS and STS
//! calls alike), a governor limiter per (account, action) checked right
//! before each attempt leaves (so a backlog is never released at once), and
//! an adaptive slow-down per key when the server answers with throttling.
//! [`KeyPacer`] is the [`Pacer`] one call waits on; [`Tally`] is what a query
//! records about its attempts.

use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use tcapi::client::{AttemptOutcome, Pacer};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::model::AttemptError;
use crate::sync::lock;

#[cfg(test)]
mod tests;

/// The margin kept below the documented limit, in thousandths of the
/// emission interval: 20‰ makes every one-second window safe even when the
/// network delivers requests up to 20 ms closer together than they left
/// (see [`Budget`]).
const MARGIN_PERMILLE: u64 = 20;

/// The smallest limit that gets a burst above 1 (see [`Budget::for_limit`]).
const BURST_FROM_LIMIT: u32 = 33;

/// One key's GCRA parameters for a documented limit of `limit` requests in
/// any sliding second: a burst of `burst` cells, then one cell per
/// `interval`.
///
/// # The bound
///
/// governor's GCRA keeps a theoretical arrival time `tat` per key and
/// admits a cell at `t` iff `t ≥ tat − τ`, with tolerance
/// `τ = (burst − 1)·T` and `T = interval`; an admitted cell sets
/// `tat ← max(tat, t) + T`, a refused one changes nothing. So if cells
/// `a₁ ≤ … ≤ aₙ` are admitted, `tat ≥ a₁ + (n−1)·T` before `aₙ`, and
/// `aₙ ≥ tat − τ ≥ a₁ + (n − burst)·T`. A closed window `[s, s + L]`
/// holding `n` admitted cells therefore has `L ≥ (n − burst)·T`:
///
/// ```text
/// n ≤ burst + ⌊L / T⌋
/// ```
///
/// With `T = (1 + m) / (limit − burst + 1)` seconds (`m` = [`MARGIN_PERMILLE`]
/// / 1000, rounded up to the nanosecond, which only lowers the rate) and
/// `L = 1 s + J`:
/// `n ≤ burst + ⌊(limit − burst + 1)·(1 + J)/(1 + m)⌋ ≤ burst + (limit − burst) = limit`
/// whenever `J < m`, because `⌊K·x⌋ ≤ K − 1` for an integer `K ≥ 1` and `x < 1`.
/// So no closed one-second window ever holds more than `limit` admissions,
/// and the server's window holds no more than `limit` arrivals as long as
/// transit times vary by less than `m` seconds (20 ms). Waiting (how long,
/// how late a timer fires, how many tasks queue) never enters the bound:
/// it is a property of what the GCRA admits.
///
/// # The rate
///
/// A key with work queued is admitted at `1/T = (limit − burst + 1)/(1 + m)`
/// per second, provided each wake-up is late by less than `τ`: the waiter
/// sleeps until the absolute instant the GCRA names, and a late admission
/// within `τ` still advances `tat` by exactly `T` (no drift). The burst is
/// chosen so that `τ` covers the timer's millisecond granularity:
///
/// - `limit ≤ 32`: `burst = 1` (`τ = 0`, `T ≥ 31 ms`); each admission may be
///   late by the timer's granularity (1 ms), so the rate is at least
///   `1/(T + 1 ms) = limit/(1.02 + limit·0.001)`: ≥ 95.06% of `limit`
///   (96% at 20/s; 98% at 20/s when wake-ups fall on whole milliseconds).
/// - `limit ≥ 33`: `burst = 1 + ⌈limit/100⌉`, so `τ = (burst − 1)·T ≥ 10 ms`
///   absorbs late wake-ups; the rate is `(1 − ⌈limit/100⌉/limit)/1.02`:
///   ≥ 95.07% of `limit` (at 33), ≥ 96% from 101 on, 97.06% at 100, 600
///   and 1,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Budget {
    /// Cells admitted at once from an idle key.
    pub(super) burst: u32,
    /// The emission interval `T`.
    pub(super) interval: Duration,
}

impl Budget {
    /// The budget for `limit` requests per sliding second (0 counts as 1).
    pub(super) fn for_limit(limit: u32) -> Budget {
        let limit = limit.max(1);
        let burst = if limit < BURST_FROM_LIMIT {
            1
        } else {
            1 + limit.div_ceil(100)
        };
        let cells = u64::from(limit - burst + 1);
        let nanos = (1_000_000_000 * (1000 + MARGIN_PERMILLE)).div_ceil(1000 * cells);
        Budget {
            burst,
            interval: Duration::from_nanos(nanos),
        }
    }

    fn quota(self) -> Quota {
        Quota::with_period(self.interval)
            .expect("the interval is at least a nanosecond")
            .allow_burst(NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN))
    }
}

/// governor's view of tokio time (so tokio's paused clock drives the
/// limiter in tests): the time since `epoch`. A `Duration` is a governor
/// `Reference`; tokio's `Instant` cannot be one (both are foreign).
#[derive(Debug, Clone, Copy)]
struct TokioClock {
    epoch: Instant,
}

impl governor::clock::Clock for TokioClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.epoch)
    }
}

type Gcra = RateLimiter<usize, DefaultKeyedStateStore<usize>, TokioClock, NoOpMiddleware<Duration>>;

/// One GCRA per key (an account), and a queue per key so that only the
/// first waiter of a key sleeps on the limiter while the others wait their
/// turn: one wake-up per admitted cell, not one per waiter.
#[derive(Debug)]
pub(super) struct KeyLimiter {
    gcra: Gcra,
    budget: Budget,
    turns: Mutex<HashMap<usize, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyLimiter {
    pub(super) fn new(limit: u32) -> KeyLimiter {
        let budget = Budget::for_limit(limit);
        let clock = TokioClock {
            epoch: Instant::now(),
        };
        KeyLimiter {
            gcra: RateLimiter::new(budget.quota(), DefaultKeyedStateStore::default(), clock),
            budget,
            turns: Mutex::new(HashMap::new()),
        }
    }

    fn turn(&self, key: usize) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.turns).entry(key).or_default().clone()
    }

    /// Waits for `key`'s turn (first come, first served), then until
    /// `gate()` yields (a concurrency slot, say) and the GCRA admits a cell
    /// at that moment; returns what `gate` yielded. When the GCRA refuses,
    /// the gate's value is dropped and the waiter sleeps until the absolute
    /// instant the GCRA names (no drift however late the timer fires).
    pub(super) async fn admit<P, G, Fut>(&self, key: usize, mut gate: G) -> P
    where
        G: FnMut() -> Fut,
        Fut: Future<Output = P>,
    {
        let turn = self.turn(key);
        let _turn = turn.lock().await;
        loop {
            let passed = gate().await;
            match self.gcra.check_key(&key) {
                Ok(()) => return passed,
                Err(not_until) => {
                    drop(passed);
                    let epoch = self.gcra.clock().epoch;
                    tokio::time::sleep_until(epoch + not_until.earliest_possible()).await;
                }
            }
        }
    }
}

/// Which of a key's limits an attempt counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Action {
    /// `DescribeImageAuthorizedInfo`, per queried account.
    Tcss,
    /// `AssumeRole` and `GetCallerIdentity`, per calling account.
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
    tcss: KeyLimiter,
    sts: KeyLimiter,
    adapt: Mutex<HashMap<(usize, Action), Adapt>>,
    /// Queries waiting out a retry backoff: they do not count against the
    /// executor's window (`drive`).
    pub(super) backing_off: AtomicUsize,
    /// Told when a query starts a backoff, so the window can grow.
    pub(super) backoff_started: Notify,
}

impl Limits {
    /// Pacing for `concurrency` requests in flight, `rate_limit` TCSS
    /// calls per second per account and `sts_rate_limit` STS calls per
    /// second per calling account.
    pub(super) fn new(concurrency: usize, rate_limit: u32, sts_rate_limit: u32) -> Limits {
        Limits {
            in_flight: Arc::new(Semaphore::new(concurrency.max(1))),
            tcss: KeyLimiter::new(rate_limit),
            sts: KeyLimiter::new(sts_rate_limit),
            adapt: Mutex::new(HashMap::new()),
            backing_off: AtomicUsize::new(0),
            backoff_started: Notify::new(),
        }
    }

    fn limiter(&self, action: Action) -> &KeyLimiter {
        match action {
            Action::Tcss => &self.tcss,
            Action::Sts => &self.sts,
        }
    }

    /// Waits until `key` may send one attempt: the adaptive slow-down, a
    /// slot in flight, then the key's limiter, checked with the slot in hand
    /// so that the admission is the moment the attempt leaves.
    async fn admit(&self, key: (usize, Action)) -> OwnedSemaphorePermit {
        let gate = || async move {
            if let Some(t) = self.not_before(key) {
                tokio::time::sleep_until(t).await;
            }
            match self.in_flight.clone().acquire_owned().await {
                Ok(p) => p,
                Err(_) => unreachable!("the in-flight semaphore is never closed"),
            }
        };
        self.limiter(key.1).admit(key.0, gate).await
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
        let period = self.limiter(key.1).budget.interval;
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
        let permit = self.limits.admit(self.key).await;
        self.limits.sent(self.key);
        self.tally.attempts.fetch_add(1, Ordering::Relaxed);
        let _ = self.tally.first_sent.set(Instant::now());
        permit
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
