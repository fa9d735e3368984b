//! Comparison with an earlier run: what changed per account (matched by UIN),
//! which accounts are new and which vanished. Pure: the previous run arrives
//! as a [`Previous`] (read from the history database or from a JSON snapshot
//! by their own modules), and [`compare`] does no I/O.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::aggregate::AccountRow;

pub mod snapshot;

/// The note the reports carry when `--compare last` finds no earlier
/// complete run.
pub const NO_PREVIOUS_RUN: &str = "no earlier complete run of this scope in the history database";

/// The metrics whose differences the comparison reports, in the contract's
/// order (each is an accounts column; `change.<name>` in `--fail-on`).
pub const CHANGE_METRICS: [&str; 7] = [
    "total_authorized",
    "used_authorized",
    "remaining_authorized",
    "utilization",
    "scanned_images",
    "duplicate_images",
    "scan_quota_used",
];

/// An earlier run, as much of it as a comparison needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Previous {
    /// The run's identity: its stem (from a snapshot file or the history).
    pub run: String,
    /// When that run's snapshot was generated.
    pub generated_at: DateTime<Utc>,
    /// Its accounts, in its own order.
    pub accounts: Vec<PreviousAccount>,
}

/// One account of an earlier run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PreviousAccount {
    /// Account name in that run.
    pub account: String,
    /// Its UIN; accounts without one cannot be matched.
    pub uin: Option<String>,
    /// `ok`, `partial` or `error` in that run.
    pub status: String,
    /// The compared metrics, `None` where that run left them empty.
    pub total_authorized: Option<i64>,
    /// See [`CHANGE_METRICS`].
    pub used_authorized: Option<i64>,
    /// See [`CHANGE_METRICS`].
    pub remaining_authorized: Option<i64>,
    /// See [`CHANGE_METRICS`].
    pub utilization: Option<f64>,
    /// See [`CHANGE_METRICS`].
    pub scanned_images: Option<i64>,
    /// See [`CHANGE_METRICS`].
    pub duplicate_images: Option<i64>,
    /// See [`CHANGE_METRICS`].
    pub scan_quota_used: Option<i64>,
}

/// Current minus previous for one account; `None` where either side is empty.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Change {
    /// Difference of `total_authorized`.
    pub total_authorized: Option<i64>,
    /// Difference of `used_authorized`.
    pub used_authorized: Option<i64>,
    /// Difference of `remaining_authorized`.
    pub remaining_authorized: Option<i64>,
    /// Difference of `utilization` (a ratio: 0.05 is 5 percentage points).
    pub utilization: Option<f64>,
    /// Difference of `scanned_images`.
    pub scanned_images: Option<i64>,
    /// Difference of `duplicate_images`.
    pub duplicate_images: Option<i64>,
    /// Difference of `scan_quota_used`.
    pub scan_quota_used: Option<i64>,
}

impl Change {
    /// The difference of one of [`CHANGE_METRICS`] as a number; `None` when
    /// it is empty or `metric` is not one of them.
    pub fn get(&self, metric: &str) -> Option<f64> {
        match metric {
            "total_authorized" => self.total_authorized.map(|v| v as f64),
            "used_authorized" => self.used_authorized.map(|v| v as f64),
            "remaining_authorized" => self.remaining_authorized.map(|v| v as f64),
            "utilization" => self.utilization,
            "scanned_images" => self.scanned_images.map(|v| v as f64),
            "duplicate_images" => self.duplicate_images.map(|v| v as f64),
            "scan_quota_used" => self.scan_quota_used.map(|v| v as f64),
            _ => None,
        }
    }

    /// How far the account moved, for "biggest movers first": the absolute
    /// change of licenses used, then of the total.
    pub fn magnitude(&self) -> (i64, i64) {
        (
            self.used_authorized.map_or(0, i64::abs),
            self.total_authorized.map_or(0, i64::abs),
        )
    }

    /// Whether any of [`CHANGE_METRICS`] differs (an empty difference is no move).
    pub fn moved(&self) -> bool {
        CHANGE_METRICS
            .iter()
            .any(|m| self.get(m).is_some_and(|d| d != 0.0))
    }

    /// The change of `utilization` in percentage points (0.05 is 5.0).
    pub fn utilization_points(&self) -> Option<f64> {
        self.utilization.map(|d| d * 100.0)
    }
}

/// What the reports say about a comparison (`--compare`).
#[derive(Debug, Clone, PartialEq)]
pub enum Comparison {
    /// `--compare` was not given: no comparison keys, sheet or section.
    NotAsked,
    /// `--compare` was given but there was nothing to compare with: why, as
    /// the reports print it ([`NO_PREVIOUS_RUN`]).
    NoPrevious(String),
    /// The comparison with the earlier run.
    With(Compared),
}

impl Comparison {
    /// The comparison, when there is one.
    pub fn compared(&self) -> Option<&Compared> {
        match self {
            Comparison::With(c) => Some(c),
            _ => None,
        }
    }
}

/// The comparison of a run's accounts with an earlier run.
#[derive(Debug, Clone, PartialEq)]
pub struct Compared {
    /// The earlier run's identity ([`Previous::run`]).
    pub previous_run: String,
    /// When the earlier run's snapshot was generated.
    pub previous_generated_at: DateTime<Utc>,
    /// One entry per current account, in report order: `None` for an account
    /// the earlier run did not have (a new account, or one without a UIN).
    pub changes: Vec<Option<Change>>,
    /// Accounts of the earlier run whose UIN is not in this one, in that
    /// run's order.
    pub vanished: Vec<PreviousAccount>,
    /// Parallel to `changes`: the earlier account each current account was
    /// matched with (its previous values, for the side-by-side tables).
    pub previous: Vec<Option<PreviousAccount>>,
}

impl Compared {
    /// How many current accounts are new (no match in the earlier run).
    pub fn new_count(&self) -> usize {
        self.changes.iter().filter(|c| c.is_none()).count()
    }

    /// The indices of the matched current accounts, biggest movers first:
    /// by [`Change::magnitude`] (largest first), then accounts that moved
    /// in any metric before those that did not, then report order.
    pub fn ranked(&self) -> Vec<usize> {
        let mut matched: Vec<(usize, &Change)> = self
            .changes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((i, c.as_ref()?)))
            .collect();
        matched.sort_by(|(i, a), (j, b)| {
            b.magnitude()
                .cmp(&a.magnitude())
                .then_with(|| b.moved().cmp(&a.moved()))
                .then_with(|| i.cmp(j))
        });
        matched.into_iter().map(|(i, _)| i).collect()
    }

    /// [`Compared::ranked`], only the accounts that moved.
    pub fn movers(&self) -> Vec<usize> {
        self.ranked()
            .into_iter()
            .filter(|&i| self.changes[i].as_ref().is_some_and(Change::moved))
            .collect()
    }

    /// The indices of the current accounts the earlier run did not have.
    pub fn new_accounts(&self) -> Vec<usize> {
        (0..self.changes.len())
            .filter(|&i| self.changes[i].is_none())
            .collect()
    }
}

fn diff_i(current: Option<i64>, previous: Option<i64>) -> Option<i64> {
    current?.checked_sub(previous?)
}

fn diff_f(current: Option<f64>, previous: Option<f64>) -> Option<f64> {
    Some(current? - previous?)
}

/// The change of one account against its earlier self.
pub fn change(current: &AccountRow, previous: &PreviousAccount) -> Change {
    Change {
        total_authorized: diff_i(current.total_authorized, previous.total_authorized),
        used_authorized: diff_i(current.used_authorized, previous.used_authorized),
        remaining_authorized: diff_i(current.remaining_authorized, previous.remaining_authorized),
        utilization: diff_f(current.utilization, previous.utilization),
        scanned_images: diff_i(current.scanned_images, previous.scanned_images),
        duplicate_images: diff_i(current.duplicate_images, previous.duplicate_images),
        scan_quota_used: diff_i(current.scan_quota_used, previous.scan_quota_used),
    }
}

/// Compares the current accounts with an earlier run, matching by UIN.
pub fn compare(current: &[AccountRow], previous: &Previous) -> Compared {
    let by_uin: HashMap<&str, &PreviousAccount> = previous
        .accounts
        .iter()
        .filter_map(|p| Some((p.uin.as_deref()?, p)))
        .collect();
    let matched: Vec<Option<&PreviousAccount>> = current
        .iter()
        .map(|a| by_uin.get(a.uin.as_deref()?).copied())
        .collect();
    let changes = current
        .iter()
        .zip(&matched)
        .map(|(a, p)| Some(change(a, (*p)?)))
        .collect();
    let present: std::collections::HashSet<&str> =
        current.iter().filter_map(|a| a.uin.as_deref()).collect();
    let vanished = previous
        .accounts
        .iter()
        .filter(|p| p.uin.as_deref().is_some_and(|u| !present.contains(u)))
        .cloned()
        .collect();
    Compared {
        previous_run: previous.run.clone(),
        previous_generated_at: previous.generated_at,
        changes,
        vanished,
        previous: matched.into_iter().map(|p| p.cloned()).collect(),
    }
}

#[cfg(test)]
pub(crate) mod tests;
