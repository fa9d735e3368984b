//! Retry timing: full-jitter exponential backoff with a cap, and the
//! injectable [`Jitter`] source that feeds it.
//!
//! [`Backoff::delay`] is a pure function: the randomness comes in as a
//! parameter, so tests (and callers that want determinism) choose it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// Full-jitter exponential backoff: before retry `n` (0-based) wait a random
/// time in `[0, min(cap, base * 2^n))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The ceiling of the first retry's window; also the least a throttled
    /// attempt waits (see [`Backoff::delay_after`]).
    pub base: Duration,
    /// The largest window.
    pub cap: Duration,
}

impl Default for Backoff {
    /// 200 ms base, 10 s cap.
    fn default() -> Self {
        Backoff {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// The window of retry `retry_index` (0 for the first retry):
    /// `min(cap, base * 2^retry_index)`, without overflow.
    pub fn window(&self, retry_index: u32) -> Duration {
        2u32.checked_pow(retry_index)
            .and_then(|factor| self.base.checked_mul(factor))
            .map_or(self.cap, |d| d.min(self.cap))
    }

    /// The delay before retry `retry_index` (0 for the first retry) given a
    /// `jitter` in `[0, 1)`: `window(retry_index) * jitter`. Out-of-range or
    /// non-finite jitter is clamped into `[0, 1]`.
    pub fn delay(&self, retry_index: u32, jitter: f64) -> Duration {
        let jitter = if jitter.is_finite() {
            jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.window(retry_index).mul_f64(jitter)
    }

    /// [`Backoff::delay`], but a throttled attempt waits at least `base` (capped
    /// by `cap`): a throttle is never retried instantly.
    pub fn delay_after(&self, retry_index: u32, jitter: f64, throttled: bool) -> Duration {
        let d = self.delay(retry_index, jitter);
        if throttled {
            d.max(self.base.min(self.cap))
        } else {
            d
        }
    }
}

/// A source of jitter values in `[0, 1)`. The default draws from a
/// thread-local random generator; tests inject a constant.
#[derive(Clone)]
pub struct Jitter(Arc<dyn Fn() -> f64 + Send + Sync>);

impl Jitter {
    /// A jitter source from a function.
    pub fn new(f: impl Fn() -> f64 + Send + Sync + 'static) -> Self {
        Jitter(Arc::new(f))
    }
    /// Always the same value (e.g. `0.0` in tests: no waiting).
    pub fn fixed(value: f64) -> Self {
        Jitter::new(move || value)
    }
    /// Uniformly random in `[0, 1)`.
    pub fn random() -> Self {
        Jitter::new(rand::random::<f64>)
    }
    /// Draws one value.
    pub fn sample(&self) -> f64 {
        (self.0)()
    }
}

impl Default for Jitter {
    fn default() -> Self {
        Jitter::random()
    }
}

impl fmt::Debug for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Jitter(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn default_is_200ms_base_10s_cap() {
        let b = Backoff::default();
        assert_eq!(b.base, ms(200));
        assert_eq!(b.cap, Duration::from_secs(10));
    }

    #[test]
    fn window_grows_exponentially_then_caps() {
        let b = Backoff {
            base: ms(100),
            cap: ms(1_000),
        };
        assert_eq!(b.window(0), ms(100));
        assert_eq!(b.window(1), ms(200));
        assert_eq!(b.window(2), ms(400));
        assert_eq!(b.window(3), ms(800));
        assert_eq!(b.window(4), ms(1_000));
        assert_eq!(b.window(31), ms(1_000));
        // 2^32 overflows u32 and huge multiples overflow Duration: still the cap.
        assert_eq!(b.window(32), ms(1_000));
        assert_eq!(b.window(u32::MAX), ms(1_000));
        let huge = Backoff {
            base: Duration::from_secs(u64::MAX / 2),
            cap: ms(5),
        };
        assert_eq!(huge.window(3), ms(5));
    }

    #[test]
    fn jitter_zero_gives_no_delay() {
        let b = Backoff::default();
        for i in 0..40 {
            assert_eq!(b.delay(i, 0.0), Duration::ZERO, "retry {i}");
        }
    }

    #[test]
    fn jitter_near_one_gives_nearly_the_window() {
        let b = Backoff {
            base: ms(100),
            cap: ms(1_000),
        };
        let j = 0.999_999;
        for i in 0..10 {
            let d = b.delay(i, j);
            let w = b.window(i);
            assert!(d <= w, "retry {i}: {d:?} > {w:?}");
            assert!(w - d <= ms(1), "retry {i}: {d:?} far below {w:?}");
        }
        assert!(b.delay(20, j) <= ms(1_000));
    }

    #[test]
    fn jitter_scales_linearly() {
        let b = Backoff {
            base: ms(100),
            cap: ms(10_000),
        };
        assert_eq!(b.delay(0, 0.5), ms(50));
        assert_eq!(b.delay(2, 0.25), ms(100));
    }

    #[test]
    fn jitter_out_of_range_is_clamped() {
        let b = Backoff {
            base: ms(100),
            cap: ms(1_000),
        };
        assert_eq!(b.delay(0, -3.0), Duration::ZERO);
        assert_eq!(b.delay(0, 7.0), ms(100));
        assert_eq!(b.delay(0, f64::NAN), Duration::ZERO);
        assert_eq!(b.delay(0, f64::INFINITY), Duration::ZERO);
    }

    #[test]
    fn throttled_waits_at_least_base() {
        let b = Backoff {
            base: ms(100),
            cap: ms(1_000),
        };
        assert_eq!(b.delay_after(0, 0.0, true), ms(100));
        assert_eq!(b.delay_after(0, 0.0, false), Duration::ZERO);
        assert_eq!(b.delay_after(3, 0.5, true), ms(400));
        let odd = Backoff {
            base: ms(100),
            cap: ms(10),
        };
        assert_eq!(odd.delay_after(0, 0.0, true), ms(10));
    }

    #[test]
    fn random_jitter_is_in_unit_interval() {
        let j = Jitter::default();
        for _ in 0..1_000 {
            let v = j.sample();
            assert!((0.0..1.0).contains(&v), "{v}");
        }
        assert_eq!(Jitter::fixed(0.25).sample(), 0.25);
        assert_eq!(format!("{:?}", Jitter::fixed(0.0)), "Jitter(..)");
    }
}
