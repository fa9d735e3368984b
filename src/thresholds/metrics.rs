//! The metrics a `--fail-on` expression may name, derived from the column
//! tables: every accounts column with a threshold role (per account, in the
//! totals, or both), every count of the totals, `failed_accounts` and
//! `failed_queries` (totals only), every number of the groups table (per
//! group, `group.`), and the `change.*` metrics of a comparison
//! ([`crate::compare::CHANGE_METRICS`]). Each entry says where it exists,
//! whether it is a ratio, and which column it reads. Pure: reading a
//! number, no formatting.

use std::sync::LazyLock;

use crate::aggregate::{AccountRow, AccountStatus, Aggregate, Totals};
use crate::columns::accounts::ACCOUNTS;
use crate::columns::groups::{self, GroupColumn, GroupRow, GROUPS};
use crate::columns::totals::{TotalsColumn, TOTALS};
use crate::columns::{Column, Kind};

/// Whether a metric's values are counts or ratios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A whole number (licenses, images, days, queries).
    Count,
    /// A ratio, 0..1 (above 1 for over-use); compared within [`RATIO_EPSILON`].
    Ratio,
}

impl Unit {
    /// The unit of a column of `kind`.
    pub(crate) fn of(kind: Kind) -> Unit {
        match kind {
            Kind::Ratio => Unit::Ratio,
            _ => Unit::Count,
        }
    }
}

/// Ratios equal within this are equal: `utilization == 90%` holds for
/// 90/100 however the division rounded.
pub const RATIO_EPSILON: f64 = 1e-9;

/// How a metric is read for the whole run.
#[derive(Debug, Clone, Copy)]
pub enum TotalValue {
    /// A column of the totals.
    Column(TotalsColumn),
    /// Counted from the accounts or the totals (`failed_*`).
    Counted(fn(&Aggregate) -> Option<f64>),
}

/// One metric of the table.
#[derive(Debug, Clone, Copy)]
pub struct MetricDef {
    /// Its name in an expression (the accounts column or totals key).
    pub name: &'static str,
    /// Count or ratio.
    pub unit: Unit,
    /// The accounts column it reads per account; `None` when it exists
    /// only in the totals.
    pub account: Option<&'static Column<AccountRow>>,
    /// How to read it for the run; `None` when it exists only per account.
    pub total: Option<TotalValue>,
    /// The groups column it reads per group; `None` when it is no number
    /// of a group.
    pub group: Option<GroupColumn>,
}

impl MetricDef {
    /// Its value for the account `row` (`None` when empty or not per account).
    pub fn account_value(&self, row: &AccountRow) -> Option<f64> {
        self.account?.number(row)
    }

    /// Its value for the group `g` (`None` when empty or not per group).
    pub fn group_value(&self, g: &GroupRow) -> Option<f64> {
        self.group?.cell(g).as_real()
    }

    /// Its value for the run (`None` when empty or not in the totals).
    pub fn total_value(&self, aggregate: &Aggregate) -> Option<f64> {
        match self.total? {
            TotalValue::Column(c) => c.cell(&aggregate.totals).as_real(),
            TotalValue::Counted(read) => read(aggregate),
        }
    }
}

fn count(n: usize) -> Option<f64> {
    Some(n as f64)
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

/// The numeric groups column called `key`, if there is one.
fn per_group(key: &str) -> Option<GroupColumn> {
    groups::find(key).filter(|c| c.threshold())
}

/// Every metric, accounts columns first (those with a threshold role, in
/// their order), then the totals-only keys (in theirs), then
/// `failed_accounts` and `failed_queries`, then the numbers only a group
/// has: from the column tables.
pub static METRICS: LazyLock<Vec<MetricDef>> = LazyLock::new(|| {
    let columns = ACCOUNTS.iter().filter_map(|&c| {
        let scopes = c.threshold?;
        Some(MetricDef {
            name: c.key,
            unit: Unit::of(c.kind),
            account: scopes.account().then_some(c),
            total: scopes
                .total()
                .then_some(TotalValue::Column(TotalsColumn::Of(c))),
            group: per_group(c.key),
        })
    });
    let totals_only = TOTALS
        .iter()
        .filter(|c| matches!(c, TotalsColumn::Own(_)) && c.threshold())
        .map(|&c| MetricDef {
            name: c.key(),
            unit: Unit::of(c.kind()),
            account: None,
            total: Some(TotalValue::Column(c)),
            group: per_group(c.key()),
        });
    let failures = [
        (
            "failed_accounts",
            failed_accounts as fn(&Aggregate) -> Option<f64>,
        ),
        ("failed_queries", failed_queries),
    ]
    .map(|(name, read)| MetricDef {
        name,
        unit: Unit::Count,
        account: None,
        total: Some(TotalValue::Counted(read)),
        group: None,
    });
    let mut all: Vec<MetricDef> = columns.chain(totals_only).chain(failures).collect();
    let group_only: Vec<MetricDef> = GROUPS
        .iter()
        .filter(|c| c.threshold() && !all.iter().any(|m| m.name == c.key()))
        .map(|&c| MetricDef {
            name: c.key(),
            unit: Unit::of(c.kind()),
            account: None,
            total: None,
            group: Some(c),
        })
        .collect();
    all.extend(group_only);
    all
});

/// The metric called `name`, if there is one.
pub fn find(name: &str) -> Option<&'static MetricDef> {
    METRICS.iter().find(|m| m.name == name)
}

/// The unit of `change.<name>`: the unit of the column it is the change of.
pub fn change_unit(name: &str) -> Unit {
    find(name).map_or(Unit::Count, |m| m.unit)
}

/// Every metric's name (the did-you-mean of a misspelt one).
pub fn names() -> impl Iterator<Item = &'static str> {
    METRICS.iter().map(|m| m.name)
}

/// The names of the metrics that exist per account.
#[cfg(test)]
pub fn account_names() -> impl Iterator<Item = &'static str> {
    METRICS
        .iter()
        .filter(|m| m.account.is_some())
        .map(|m| m.name)
}

/// The names of the metrics that exist only in the totals (and maybe
/// per group).
#[cfg(test)]
pub fn total_only_names() -> impl Iterator<Item = &'static str> {
    METRICS
        .iter()
        .filter(|m| m.account.is_none() && m.total.is_some())
        .map(|m| m.name)
}

/// The metrics per group, in the groups table's order.
pub fn group_names() -> Vec<&'static str> {
    GROUPS
        .iter()
        .filter(|c| c.threshold())
        .map(|c| c.key())
        .collect()
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
        "valid metrics (scope `account.`, the default, `total.` or `group.`):\n  \
         per account and in the totals: {}\n  \
         per account only: {}\n  \
         totals only (no scope needed): {}\n  \
         per group (`group.`, needs --group-by): {}\n  \
         changes since the compared run (needs --compare): {}",
        names(|m| m.account.is_some() && m.total.is_some()),
        names(|m| m.account.is_some() && m.total.is_none()),
        names(|m| m.account.is_none() && m.total.is_some()),
        group_names().join(", "),
        changes.join(", "),
    )
}
