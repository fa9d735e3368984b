//! The simulated latency's timer: sub-millisecond, never early.
//!
//! tokio's timer wheel ticks in whole milliseconds and fires on the first
//! tick at or after a deadline, so a 50 ms latency answered 51.1 ms after
//! arrival on average (measured with the counters' `busy_micros`): 2% on
//! every simulated round trip, which the benchmark's bound does not count.
//! [`PreciseTimer`] keeps the deadlines in a heap on one thread of its own
//! that waits on a condition variable (a futex, nanosecond timeouts) and
//! wakes each sleeper at or just after its deadline, never before.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use tokio::sync::oneshot;

use crate::sync::lock;

/// A sleeper: its deadline and whom to wake.
#[derive(Debug)]
struct Sleeper {
    at: Instant,
    wake: oneshot::Sender<()>,
}

// Ordered by deadline alone (the heap needs no more).
impl PartialEq for Sleeper {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}
impl Eq for Sleeper {}
impl PartialOrd for Sleeper {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Sleeper {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.at.cmp(&other.at)
    }
}

#[derive(Debug, Default)]
struct Queue {
    /// Earliest deadline on top.
    heap: BinaryHeap<Reverse<Sleeper>>,
    stopped: bool,
}

#[derive(Debug, Default)]
struct Shared {
    queue: Mutex<Queue>,
    changed: Condvar,
}

/// Wakes sleepers at their deadline to well under a millisecond. Dropping
/// it stops its thread; sleepers still waiting are woken then.
#[derive(Debug)]
pub(crate) struct PreciseTimer {
    shared: Arc<Shared>,
}

impl PreciseTimer {
    /// Starts the timer's thread.
    pub(crate) fn new() -> PreciseTimer {
        let shared = Arc::new(Shared::default());
        let worker = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("tcss-sim-timer".into())
            .spawn(move || run(&worker));
        if spawned.is_err() {
            // No thread: every sleep returns at once rather than hang.
            lock(&shared.queue).stopped = true;
        }
        PreciseTimer { shared }
    }

    /// Resolves at `at` or just after (at once if `at` has passed).
    pub(crate) async fn sleep_until(&self, at: Instant) {
        if at <= Instant::now() {
            return;
        }
        let (tx, rx) = oneshot::channel();
        {
            let mut q = lock(&self.shared.queue);
            if q.stopped {
                return;
            }
            let earliest = q.heap.peek().is_none_or(|Reverse(first)| at < first.at);
            q.heap.push(Reverse(Sleeper { at, wake: tx }));
            if earliest {
                self.shared.changed.notify_one();
            }
        }
        // An error means the timer stopped: nothing left to wait for.
        let _ = rx.await;
    }
}

impl Drop for PreciseTimer {
    fn drop(&mut self) {
        lock(&self.shared.queue).stopped = true;
        self.shared.changed.notify_one();
    }
}

/// The timer thread: wakes every due sleeper, then waits for the next
/// deadline or for a new, earlier one.
fn run(shared: &Shared) {
    let mut q = lock(&shared.queue);
    loop {
        let now = Instant::now();
        while q.heap.peek().is_some_and(|Reverse(s)| s.at <= now) {
            if let Some(Reverse(s)) = q.heap.pop() {
                let _ = s.wake.send(());
            }
        }
        if q.stopped {
            // Dropping the senders wakes whoever still waits.
            q.heap.clear();
            return;
        }
        q = match q.heap.peek() {
            Some(Reverse(next)) => {
                let wait = next.at.saturating_duration_since(now);
                match shared.changed.wait_timeout(q, wait) {
                    Ok((guard, _)) => guard,
                    Err(poisoned) => poisoned.into_inner().0,
                }
            }
            None => match shared.changed.wait(q) {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            },
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn never_wakes_before_the_deadline() {
        // Lateness has no bound here (the machine may be loaded): the
        // benchmark prints the mean answer time against the latency.
        let timer = PreciseTimer::new();
        for us in [0u64, 300, 1_000, 2_700, 12_000] {
            let at = Instant::now() + Duration::from_micros(us);
            timer.sleep_until(at).await;
            let woke = Instant::now();
            assert!(woke >= at, "woke {:?} before its deadline", at - woke);
        }
    }

    #[tokio::test]
    async fn sleepers_wake_in_deadline_order_whatever_their_arrival() {
        let timer = Arc::new(PreciseTimer::new());
        let base = Instant::now() + Duration::from_millis(20);
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (i, offset) in [9u64, 3, 6, 0, 12].into_iter().enumerate() {
            let (timer, order) = (Arc::clone(&timer), Arc::clone(&order));
            tasks.push(tokio::spawn(async move {
                let at = base + Duration::from_millis(offset);
                timer.sleep_until(at).await;
                assert!(Instant::now() >= at);
                lock(&order).push(i);
            }));
        }
        for t in tasks {
            t.await.expect("sleeper");
        }
        assert_eq!(*lock(&order), vec![3, 1, 2, 0, 4]);
    }

    #[tokio::test]
    async fn dropping_the_timer_wakes_every_sleeper() {
        let timer = Arc::new(PreciseTimer::new());
        let sleeper = {
            let timer = Arc::clone(&timer);
            tokio::spawn(async move {
                timer
                    .sleep_until(Instant::now() + Duration::from_secs(3600))
                    .await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        // The sleeper holds a clone: stop the thread as the last drop would.
        lock(&timer.shared.queue).stopped = true;
        timer.shared.changed.notify_one();
        tokio::time::timeout(Duration::from_secs(10), sleeper)
            .await
            .expect("woken when the timer stopped")
            .expect("sleeper");
    }
}
