//! Pacing: how fast each query's attempts may leave.
//!
//! A global cap on requests in flight (`concurrency`, counting TCSS and STS
//! calls alike), a governor limiter per (account, action) (each call of
//! [`crate::calls`] its own, STS and the organization API theirs) checked right
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

use crate::calls::{Call, Rate};
use crate::model::AttemptError;
use crate::sync::lock;

#[cfg(test)]
mod tests;

/// How much closer together than they left requests may reach the server
/// and still fit its one-second window (transit times that vary): part of
/// what the pacing keeps below the documented limit.
const MARGIN: Duration = Duration::from_millis(20);

/// How late a waiter may wake up (the timer's millisecond granularity,
/// scheduling) without the key losing rate: the GCRA's tolerance.
const TOLERANCE: Duration = Duration::from_millis(10);

/// The GCRA's unit of account: one request costs its emission interval in
/// microseconds, so the tolerance need not be a whole number of requests.
const UNIT: Duration = Duration::from_micros(1);

/// One key's GCRA for a documented limit of `limit` requests in any sliding
/// second: one request per `interval`, `tolerance` early at most.
///
/// # The bound
///
/// The GCRA keeps a theoretical arrival time `tat` per key; it admits a
/// request at `t` iff `t ≥ tat − τ` (`τ` = `tolerance`), and an admitted
/// request sets `tat ← max(tat, t) + T` (`T` = `interval`); a refusal
/// changes nothing. (In governor's terms: a quota of one cell per
/// microsecond with a burst of `T + τ` cells, and every request takes `T`
/// cells with `check_key_n`, which admits at `t ≥ tat + (T − 1) − (T + τ − 1)`
/// and adds `T` to `tat`.) So if requests `a₁ ≤ … ≤ aₙ` are admitted,
/// `tat ≥ a₁ + (n − 1)·T` before `aₙ` and `aₙ ≥ a₁ + (n − 1)·T − τ`. A closed
/// window `[s, s + L]` holding `n` admissions has `L ≥ (n − 1)·T − τ`:
///
/// ```text
/// n ≤ 1 + ⌊(L + τ) / T⌋
/// ```
///
/// With `T ≥ (1 s + MARGIN + τ) / limit` (rounded up to the microsecond) and
/// `L = 1 s + J`: `(L + τ)/T ≤ limit·(1 s + J + τ)/(1 s + MARGIN + τ) < limit`
/// whenever `J < MARGIN`, so `n ≤ limit`. No closed one-second window
/// ever holds more than `limit` admissions, and the server's window no more
/// than `limit` arrivals while transit times vary by less than `MARGIN`
/// (20 ms). How long anyone waits, how late a timer fires or how many tasks
/// queue never enters the bound: it is a property of what the GCRA admits.
///
/// # The rate
///
/// A key with work queued is admitted once per `T`, that is
/// `limit / 1.03` per second (97.1%; rounding to the microsecond keeps it
/// above 96% up to 10,000/s), as long as each waiter wakes less than `τ`
/// late: it sleeps until the absolute instant the GCRA names, and a late
/// admission within `τ` still advances `tat` by exactly `T`, so lateness
/// never accumulates. An idle key admits `1 + ⌊τ/T⌋` requests at once
/// (1 at 20/s, 6 at 600/s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Budget {
    /// The emission interval `T`.
    pub(super) interval: Duration,
    /// How early a request may be admitted, `τ`.
    pub(super) tolerance: Duration,
}

impl Budget {
    /// The budget for `limit` requests per sliding second (0 counts as 1).
    pub(super) fn for_limit(limit: u32) -> Budget {
        let per_second = Duration::from_secs(1) + MARGIN + TOLERANCE;
        let micros = per_second.as_micros().div_ceil(u128::from(limit.max(1)));
        Budget {
            interval: UNIT * u32::try_from(micros).unwrap_or(u32::MAX),
            tolerance: TOLERANCE,
        }
    }

    /// Requests an idle key admits at once: `1 + ⌊τ/T⌋`.
    #[cfg(test)]
    pub(super) fn burst(self) -> u32 {
        1 + u32::try_from(self.tolerance.as_nanos() / self.interval.as_nanos()).unwrap_or(0)
    }

    /// Cells (microseconds) one request takes.
    fn cells(self) -> NonZeroU32 {
        let micros = self.interval.as_micros().max(1);
        NonZeroU32::new(u32::try_from(micros).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN)
    }

    /// governor's quota: one cell per microsecond, `T + τ` cells of burst.
    fn quota(self) -> Quota {
        let tolerance = u32::try_from(self.tolerance.as_micros()).unwrap_or(0);
        let burst = self.cells().saturating_add(tolerance);
        Quota::with_period(UNIT)
            .expect("a microsecond is positive")
            .allow_burst(burst)
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

/// One GCRA per key (an account) with the [`Budget`] of its limit, and a
/// queue per key so that only the first waiter of a key sleeps on the GCRA
/// while the others wait their turn: one wake-up per admitted request, not
/// one per waiter (2,000 waiters on one key used to cost seconds of CPU).
#[derive(Debug)]
pub(super) struct KeyLimiter {
    gcra: Gcra,
    budget: Budget,
    /// Cells (microseconds) one request takes: `budget.interval`.
    cells: NonZeroU32,
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
            cells: budget.cells(),
            budget,
            turns: Mutex::new(HashMap::new()),
        }
    }

    fn turn(&self, key: usize) -> Arc<tokio::sync::Mutex<()>> {
        lock(&self.turns).entry(key).or_default().clone()
    }

    /// Waits for `key`'s turn (first come, first served), then until
    /// `gate()` yields (a concurrency slot, say) and the GCRA admits one
    /// request at that moment; returns what `gate` yielded. When the GCRA refuses,
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
            match self.gcra.check_key_n(&key, self.cells) {
                Ok(Ok(())) => return passed,
                // `Budget::quota` makes the burst a request's cells plus the tolerance.
                Err(_) => unreachable!("a request never outweighs the burst"),
                Ok(Err(not_until)) => {
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
    /// A query's call (`DescribeImageAuthorizedInfo`, ...), per queried
    /// account: each call its own limiter.
    Call(Call),
    /// `AssumeRole` and `GetCallerIdentity`, per calling account.
    Sts,
    /// `DescribeOrganizationMembers`, per management account.
    Organization,
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
    /// By [`Call::index`].
    calls: [KeyLimiter; Call::ALL.len()],
    sts: KeyLimiter,
    organization: KeyLimiter,
    adapt: Mutex<HashMap<(usize, Action), Adapt>>,
    /// Queries waiting out a retry backoff: they do not count against the
    /// executor's window (`drive`).
    pub(super) backing_off: AtomicUsize,
    /// Told when a query starts a backoff, so the window can grow.
    pub(super) backoff_started: Notify,
}

impl Limits {
    /// Pacing for `concurrency` requests in flight, `rate_limit` calls per
    /// second per account of each call paced at [`Rate::Configured`] (the
    /// others at their own rate) and `sts_rate_limit` STS calls per second
    /// per calling account.
    pub(super) fn new(concurrency: usize, rate_limit: u32, sts_rate_limit: u32) -> Limits {
        Limits {
            in_flight: Arc::new(Semaphore::new(concurrency.max(1))),
            calls: Call::ALL.map(|call| {
                KeyLimiter::new(match call.spec().rate {
                    Rate::Configured => rate_limit,
                    Rate::PerSecond(n) => n,
                })
            }),
            sts: KeyLimiter::new(sts_rate_limit),
            organization: KeyLimiter::new(tcapi::organization::RATE_LIMIT),
            adapt: Mutex::new(HashMap::new()),
            backing_off: AtomicUsize::new(0),
            backoff_started: Notify::new(),
        }
    }

    fn limiter(&self, action: Action) -> &KeyLimiter {
        match action {
            Action::Call(call) => &self.calls[call.index()],
            Action::Sts => &self.sts,
            Action::Organization => &self.organization,
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
        match key.1 {
            // Credentials gate every query of their account, and one caller
            // assumes the role in thousands of members: its calls wait for a
            // slot in line with everyone's, not one at a time behind its
            // turn (which starved the run of credentials: 57 of 64 slots
            // busy discovering 10,000 members), then for its limiter with
            // the slot in hand (at most 1/600 s at STS's limit).
            Action::Sts => {
                let permit = gate().await;
                self.sts.admit(key.0, || std::future::ready(())).await;
                permit
            }
            _ => self.limiter(key.1).admit(key.0, gate).await,
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
