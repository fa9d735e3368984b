//! Sliding-second rate windows per (account UIN, action): the arrival instants
//! of the last 1000 ms. Every arrival counts, throttled ones included (as
//! Tencent does), so a client that keeps hammering stays throttled.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

/// The window length.
pub(crate) const WINDOW: Duration = Duration::from_millis(1000);

/// Arrival instants of one key within the last [`WINDOW`].
#[derive(Debug, Default)]
pub(crate) struct Window {
    arrivals: VecDeque<Instant>,
}

impl Window {
    /// Records an arrival at `now` and returns the arrivals in `(now - 1 s, now]`, this one included.
    pub(crate) fn arrive(&mut self, now: Instant) -> u32 {
        while let Some(front) = self.arrivals.front() {
            if now.saturating_duration_since(*front) >= WINDOW {
                self.arrivals.pop_front();
            } else {
                break;
            }
        }
        self.arrivals.push_back(now);
        u32::try_from(self.arrivals.len()).unwrap_or(u32::MAX)
    }
}

/// All windows, keyed by UIN then action (looked up without allocating).
#[derive(Debug, Default)]
pub(crate) struct Windows {
    by_uin: HashMap<String, HashMap<&'static str, Window>>,
}

impl Windows {
    /// Records an arrival and returns the count in the current sliding second.
    pub(crate) fn arrive(&mut self, uin: &str, action: &'static str, now: Instant) -> u32 {
        if !self.by_uin.contains_key(uin) {
            self.by_uin.insert(uin.to_owned(), HashMap::new());
        }
        match self.by_uin.get_mut(uin) {
            Some(actions) => actions.entry(action).or_default().arrive(now),
            None => 1,
        }
    }
}

/// Tencent's throttling message.
pub(crate) fn limit_message(arrivals: u32, limit: u32) -> String {
    format!(
        "Your current request times equals to `{arrivals}` in a second, which exceeds the frequency limit `{limit}` for a second. Please reduce your request times."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_arrivals_in_the_last_second_only() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut w = Window::default();
        assert_eq!(w.arrive(ms(0)), 1);
        assert_eq!(w.arrive(ms(500)), 2);
        assert_eq!(w.arrive(ms(999)), 3);
        // t0 is exactly 1000 ms old: out of the window.
        assert_eq!(w.arrive(ms(1000)), 3);
        assert_eq!(w.arrive(ms(1499)), 4);
        assert_eq!(w.arrive(ms(1500)), 4);
        assert_eq!(w.arrive(ms(5000)), 1);
    }

    #[test]
    fn a_burst_straddling_a_second_boundary_is_seen() {
        // 20 at 0.9 s and 20 at 1.1 s: a fixed-window counter would see 20 + 20,
        // the sliding window sees 40 within 200 ms.
        let t0 = Instant::now();
        let mut w = Window::default();
        let mut max = 0;
        for _ in 0..20 {
            max = max.max(w.arrive(t0 + Duration::from_millis(900)));
        }
        for _ in 0..20 {
            max = max.max(w.arrive(t0 + Duration::from_millis(1100)));
        }
        assert_eq!(max, 40);
    }

    #[test]
    fn keys_are_independent() {
        let t0 = Instant::now();
        let mut ws = Windows::default();
        assert_eq!(ws.arrive("1", "A", t0), 1);
        assert_eq!(ws.arrive("1", "A", t0), 2);
        assert_eq!(ws.arrive("1", "B", t0), 1);
        assert_eq!(ws.arrive("2", "A", t0), 1);
    }

    #[test]
    fn message_matches_tencent() {
        assert_eq!(
            limit_message(21, 20),
            "Your current request times equals to `21` in a second, which exceeds the frequency limit `20` for a second. Please reduce your request times."
        );
    }
}
