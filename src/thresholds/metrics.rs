//! The table of metrics a `--fail-on` expression may name: every numeric
//! accounts column, every totals key, `failed_accounts` and `failed_queries`
//! (totals only), and the `change.*` metrics of a comparison
//! ([`crate::compare::CHANGE_METRICS`]). Each entry says where it exists
//! (per account, in the totals, or both), whether it is a ratio, and how it
//! is read from the report. Pure: reading a number, no formatting.

use crate::aggregate::{AccountRow, AccountStatus, Aggregate, Totals};

/// Whether a metric's values are counts or ratios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A whole number (licenses, images, days, queries).
    Count,
    /// A ratio, 0..1 (above 1 for over-use); compared within [`RATIO_EPSILON`].
    Ratio,
}

/// Ratios equal within this are equal: `utilization == 90%` holds for
/// 90/100 however the division rounded.
pub const RATIO_EPSILON: f64 = 1e-9;

/// Reads a metric of one account.
pub type AccountValue = fn(&AccountRow) -> Option<f64>;
/// Reads a metric of the whole run.
pub type TotalValue = fn(&Aggregate) -> Option<f64>;

/// One metric of the table.
#[derive(Debug, Clone, Copy)]
pub struct MetricDef {
    /// Its name in an expression (the accounts column or totals key).
    pub name: &'static str,
    /// Count or ratio.
    pub unit: Unit,
    /// How to read it per account; `None` when it exists only in the totals.
    pub account: Option<AccountValue>,
    /// How to read it for the run; `None` when it exists only per account.
    pub total: Option<TotalValue>,
}

fn int(v: Option<i64>) -> Option<f64> {
    v.map(|n| n as f64)
}

fn count(n: usize) -> Option<f64> {
    Some(n as f64)
}

macro_rules! both {
    ($name:ident, $unit:ident) => {
        MetricDef {
            name: stringify!($name),
            unit: Unit::$unit,
            account: Some(|a: &AccountRow| both!(@read a.$name, $unit)),
            total: Some(|r: &Aggregate| both!(@read r.totals.$name, $unit)),
        }
    };
    (@read $e:expr, Count) => { int($e) };
    (@read $e:expr, Ratio) => { $e };
}

macro_rules! total_count {
    ($name:ident) => {
        MetricDef {
            name: stringify!($name),
            unit: Unit::Count,
            account: None,
            total: Some(|r: &Aggregate| Some(r.totals.$name as f64)),
        }
    };
}

/// Accounts whose regions did not all answer (status `partial` or `error`).
fn failed_accounts(r: &Aggregate) -> Option<f64> {
    count(
        r.accounts
            .iter()
            .filter(|a| a.status != AccountStatus::Ok)
            .count(),
    )
}

/// Queries that did not answer: failed, or cancelled by an interrupt.
fn failed_queries(r: &Aggregate) -> Option<f64> {
    let t: &Totals = &r.totals;
    count(t.queries_failed + t.queries_cancelled)
}

/// Every metric, accounts columns first (in their order), then the
/// totals-only keys (in theirs), then `failed_accounts` and `failed_queries`.
pub const METRICS: &[MetricDef] = &[
    MetricDef {
        name: "regions_ok",
        unit: Unit::Count,
        account: Some(|a| Some(f64::from(a.regions_ok))),
        total: None,
    },
    MetricDef {
        name: "regions_failed",
        unit: Unit::Count,
        account: Some(|a| Some(f64::from(a.regions_failed))),
        total: None,
    },
    both!(total_authorized, Count),
    both!(used_authorized, Count),
    both!(remaining_authorized, Count),
    both!(utilization, Ratio),
    both!(trial_authorized, Count),
    both!(used_trial_authorized, Count),
    both!(purchased_authorized, Count),
    both!(used_purchased_authorized, Count),
    both!(scanned_images, Count),
    both!(not_scanned_images, Count),
    both!(not_scanned_local_images, Count),
    both!(total_images, Count),
    both!(scan_coverage, Ratio),
    both!(duplicate_images, Count),
    both!(duplicate_ratio, Ratio),
    both!(scan_quota_capacity, Count),
    both!(scan_quota_used, Count),
    both!(scan_quota_utilization, Ratio),
    MetricDef {
        name: "scan_quota_days_left",
        unit: Unit::Count,
        account: Some(|a| int(a.scan_quota_days_left)),
        total: None,
    },
    total_count!(accounts),
    total_count!(accounts_ok),
    total_count!(accounts_partial),
    total_count!(accounts_error),
    total_count!(queries),
    total_count!(queries_ok),
    total_count!(queries_failed),
    total_count!(queries_cancelled),
    total_count!(queries_with_warning),
    total_count!(attempts),
    total_count!(throttled),
    MetricDef {
        name: "failed_accounts",
        unit: Unit::Count,
        account: None,
        total: Some(failed_accounts),
    },
    MetricDef {
        name: "failed_queries",
        unit: Unit::Count,
        account: None,
        total: Some(failed_queries),
    },
];

/// The metric called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static MetricDef> {
    METRICS.iter().find(|m| m.name == name)
}

/// The unit of `change.<name>`: the unit of the column it is the change of.
pub fn change_unit(name: &str) -> Unit {
    find(name).map_or(Unit::Count, |m| m.unit)
}

/// The names of the metrics that exist per account.
pub fn account_names() -> impl Iterator<Item = &'static str> {
    METRICS
        .iter()
        .filter(|m| m.account.is_some())
        .map(|m| m.name)
}

/// The names of the metrics that exist only in the totals.
pub fn total_only_names() -> impl Iterator<Item = &'static str> {
    METRICS
        .iter()
        .filter(|m| m.account.is_none())
        .map(|m| m.name)
}

/// The list of valid metrics, as error messages show it (one line per kind).
pub fn valid_metrics_text() -> String {
    let names = |keep: fn(&MetricDef) -> bool| {
        METRICS
            .iter()
            .filter(|m| keep(m))
            .map(|m| m.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let changes: Vec<String> = crate::compare::CHANGE_METRICS
        .iter()
        .map(|m| format!("change.{m}"))
        .collect();
    format!(
        "valid metrics (scope `account.`, the default, or `total.`):\n  \
         per account and in the totals: {}\n  \
         per account only: {}\n  \
         totals only (no scope needed): {}\n  \
         changes since the compared run (needs --compare): {}",
        names(|m| m.account.is_some() && m.total.is_some()),
        names(|m| m.total.is_none()),
        names(|m| m.account.is_none()),
        changes.join(", "),
    )
}
