//! What the simulator saw: requests by (account, region, action, code),
//! signature failures, throttled answers, requests in flight and the highest
//! per-(account, action) rate in any sliding second. [`Counters`] is shared by
//! the server tasks; [`CountersSnapshot`] is a plain, serializable copy.
//!
//! Conventions: successful answers count under code `"Success"`; the
//! transport faults that have no API code count as `"Http502"`,
//! `"MalformedJson"`, `"Reset"` and `"Hang"` (a hanging request is counted when
//! it starts to hang); a request whose account is unknown (no or unknown
//! secret id) has `uin` `""`; `region` is the `X-TC-Region` header (`""` if absent).

use crate::sync::lock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use serde::{Deserialize, Serialize};

/// The code counted for a successful answer.
pub const SUCCESS: &str = "Success";

type CountKey = (String, String, String, String);

/// Live counters, updated by the server. Cheap to share behind an `Arc`.
#[derive(Debug, Default)]
pub struct Counters {
    total: AtomicU64,
    signature_failures: AtomicU64,
    throttled: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    busy_micros: AtomicU64,
    // Microseconds since `epoch`: the first arrival (stored plus one, so
    // that zero means none yet) and the last answer.
    first_arrival: AtomicU64,
    last_answer: AtomicU64,
    epoch: OnceLock<Instant>,
    by_key: Mutex<HashMap<CountKey, u64>>,
    max_rate: Mutex<HashMap<(String, String), u32>>,
}

/// One (account, region, action, code) count.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CountRow {
    /// Account UIN (`""` when the request named no known account).
    pub uin: String,
    /// `X-TC-Region` (`""` when absent).
    pub region: String,
    /// `X-TC-Action` as received.
    pub action: String,
    /// `"Success"`, an API error code, or a transport fault name.
    pub code: String,
    /// Number of answers.
    pub count: u64,
}

/// The highest number of arrivals of one (account, action) within any sliding second.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RateRow {
    /// Account UIN (the calling account for `AssumeRole`).
    pub uin: String,
    /// The action.
    pub action: String,
    /// Max arrivals (throttled ones included) in any 1000 ms window.
    pub max_per_second: u32,
}

/// A consistent-enough copy of the counters, sorted, serializable as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountersSnapshot {
    /// Every request answered (or reset / hung).
    pub total: u64,
    /// Counts by (uin, region, action, code), sorted.
    pub by_key: Vec<CountRow>,
    /// Requests rejected by authentication: `AuthFailure.InvalidAuthorization`,
    /// `.SecretIdNotFound`, `.SignatureFailure`, `.SignatureExpire`, `.TokenFailure`.
    pub signature_failures: u64,
    /// `RequestLimitExceeded` answers.
    pub throttled: u64,
    /// Requests being handled right now.
    pub in_flight: u64,
    /// The most requests ever handled at once.
    pub max_in_flight: u64,
    /// The sum over every request of the time from its arrival to its
    /// answer, in microseconds: divided by `span_micros`, the mean number of
    /// requests in flight; divided by `total`, the mean answer time.
    #[serde(default)]
    pub busy_micros: u64,
    /// From the first request's arrival to the last answer, in microseconds.
    #[serde(default)]
    pub span_micros: u64,
    /// Highest sliding-second rate per (uin, action), sorted.
    pub max_rate: Vec<RateRow>,
}

/// Decrements the in-flight gauge when dropped (covers reset and hung
/// requests) and adds the time since arrival to the busy time. Times are
/// whole microseconds since the counters' epoch, the same ones the span is
/// taken from, so no request's busy time exceeds the span.
#[derive(Debug)]
pub(crate) struct InFlight<'a>(&'a Counters, u64);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let c = self.0;
        c.in_flight.fetch_sub(1, Ordering::Relaxed);
        let now = c.now_micros();
        c.busy_micros
            .fetch_add(now.saturating_sub(self.1), Ordering::Relaxed);
        c.last_answer.fetch_max(now, Ordering::Relaxed);
    }
}

impl Counters {
    /// Fresh, all zero.
    pub fn new() -> Counters {
        Counters::default()
    }

    /// Marks a request as in flight until the guard drops.
    pub(crate) fn enter(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::Relaxed) + 1;
        self.max_in_flight.fetch_max(now, Ordering::Relaxed);
        let arrived = self.now_micros();
        let at = arrived + 1;
        let _ = self
            .first_arrival
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |f| {
                (f == 0 || at < f).then_some(at)
            });
        InFlight(self, arrived)
    }

    /// Microseconds since the first request (the epoch is set then).
    fn now_micros(&self) -> u64 {
        let epoch = *self.epoch.get_or_init(Instant::now);
        epoch.elapsed().as_micros() as u64
    }

    /// Counts one answer.
    pub fn record(&self, uin: &str, region: &str, action: &str, code: &str) {
        self.total.fetch_add(1, Ordering::Relaxed);
        if is_auth_rejection(code) {
            self.signature_failures.fetch_add(1, Ordering::Relaxed);
        }
        if code.starts_with("RequestLimitExceeded") {
            self.throttled.fetch_add(1, Ordering::Relaxed);
        }
        let key = (
            uin.to_owned(),
            region.to_owned(),
            action.to_owned(),
            code.to_owned(),
        );
        *lock(&self.by_key).entry(key).or_insert(0) += 1;
    }

    /// Notes that `(uin, action)` saw `arrivals` requests in the last second.
    pub fn record_rate(&self, uin: &str, action: &str, arrivals: u32) {
        let mut map = lock(&self.max_rate);
        match map.get_mut(&(uin.to_owned(), action.to_owned())) {
            Some(v) => *v = (*v).max(arrivals),
            None => {
                map.insert((uin.to_owned(), action.to_owned()), arrivals);
            }
        }
    }

    /// A sorted copy.
    pub fn snapshot(&self) -> CountersSnapshot {
        let mut by_key: Vec<CountRow> = lock(&self.by_key)
            .iter()
            .map(|((uin, region, action, code), count)| CountRow {
                uin: uin.clone(),
                region: region.clone(),
                action: action.clone(),
                code: code.clone(),
                count: *count,
            })
            .collect();
        by_key.sort();
        let mut max_rate: Vec<RateRow> = lock(&self.max_rate)
            .iter()
            .map(|((uin, action), n)| RateRow {
                uin: uin.clone(),
                action: action.clone(),
                max_per_second: *n,
            })
            .collect();
        max_rate.sort();
        CountersSnapshot {
            total: self.total.load(Ordering::Relaxed),
            by_key,
            signature_failures: self.signature_failures.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            max_in_flight: self.max_in_flight.load(Ordering::Relaxed),
            busy_micros: self.busy_micros.load(Ordering::Relaxed),
            span_micros: match self.first_arrival.load(Ordering::Relaxed) {
                0 => 0,
                first => self
                    .last_answer
                    .load(Ordering::Relaxed)
                    .saturating_sub(first - 1),
            },
            max_rate,
        }
    }
}

/// The codes that count as signature failures.
fn is_auth_rejection(code: &str) -> bool {
    matches!(
        code,
        "AuthFailure.InvalidAuthorization"
            | "AuthFailure.SecretIdNotFound"
            | "AuthFailure.SignatureFailure"
            | "AuthFailure.SignatureExpire"
            | "AuthFailure.TokenFailure"
    )
}

impl CountersSnapshot {
    /// Answers with `code` for `(uin, action)`, summed over regions.
    pub fn count(&self, uin: &str, action: &str, code: &str) -> u64 {
        self.by_key
            .iter()
            .filter(|r| r.uin == uin && r.action == action && r.code == code)
            .map(|r| r.count)
            .sum()
    }

    /// Answers with `code` for `action`, summed over accounts and regions.
    pub fn count_code(&self, action: &str, code: &str) -> u64 {
        self.by_key
            .iter()
            .filter(|r| r.action == action && r.code == code)
            .map(|r| r.count)
            .sum()
    }

    /// Every answer to `(uin, action)`, whatever the code.
    pub fn requests(&self, uin: &str, action: &str) -> u64 {
        self.by_key
            .iter()
            .filter(|r| r.uin == uin && r.action == action)
            .map(|r| r.count)
            .sum()
    }

    /// Highest sliding-second rate seen for `(uin, action)` (0 if never called).
    pub fn max_rate_for(&self, uin: &str, action: &str) -> u32 {
        self.max_rate
            .iter()
            .find(|r| r.uin == uin && r.action == action)
            .map_or(0, |r| r.max_per_second)
    }

    /// Highest sliding-second rate of `action` over all accounts.
    pub fn max_rate_any(&self, action: &str) -> u32 {
        self.max_rate
            .iter()
            .filter(|r| r.action == action)
            .map(|r| r.max_per_second)
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_sums() {
        let c = Counters::new();
        c.record("1", "ap-a", "X", SUCCESS);
        c.record("1", "ap-b", "X", SUCCESS);
        c.record("1", "ap-b", "X", "AuthFailure.SignatureFailure");
        c.record("2", "ap-a", "X", "RequestLimitExceeded");
        c.record_rate("1", "X", 3);
        c.record_rate("1", "X", 2);
        c.record_rate("2", "X", 7);
        {
            let _g = c.enter();
            let _h = c.enter();
        }
        let s = c.snapshot();
        assert_eq!(s.total, 4);
        assert_eq!(s.count("1", "X", SUCCESS), 2);
        assert_eq!(s.requests("1", "X"), 3);
        assert_eq!(s.count_code("X", SUCCESS), 2);
        assert_eq!(s.signature_failures, 1);
        assert_eq!(s.throttled, 1);
        assert_eq!(s.max_in_flight, 2);
        assert_eq!(s.in_flight, 0);
        assert!(s.busy_micros <= 2 * s.span_micros, "{s:?}");
        assert_eq!(s.max_rate_for("1", "X"), 3);
        assert_eq!(s.max_rate_any("X"), 7);
        assert_eq!(s.max_rate_for("3", "X"), 0);
        let json = serde_json::to_value(&s).expect("serializable");
        assert_eq!(json["by_key"][0]["code"], "Success");
    }
}
