//! Comparison with an earlier run: what changed per account (matched by UIN),
//! which accounts are new and which vanished, in every accounts column
//! marked compared (`crate::columns::accounts`: the values and differences
//! are by column, [`Values`]); the run's totals against the earlier run's,
//! every count of the totals table ([`TotalChange`]); and the accounts
//! whose licenses changed (purchases and releases), apart from the usage
//! movers. Pure: the previous run arrives as a [`Previous`] (read from the
//! history database or from a JSON snapshot by their own modules), and
//! [`compare`] does no I/O.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use crate::aggregate::{AccountRow, Totals};
use crate::columns::accounts::{self, compared};
use crate::columns::totals::{count_columns, TotalsColumn};
use crate::columns::{Cell, Column, Kind};

pub mod snapshot;

/// The note the reports carry when `--compare last` finds no earlier
/// complete run.
pub const NO_PREVIOUS_RUN: &str = "no earlier complete run of this scope in the history database";

/// The metrics whose differences the comparison reports, in the contract's
/// order: the keys of the accounts columns marked compared
/// (`change.<name>` in `--fail-on`).
pub static CHANGE_METRICS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| compared().iter().map(|c| c.key).collect());

/// The compared columns' values of one account, or their differences: in
/// the order of [`accounts::compared`], each a whole number, a ratio or
/// empty (a missing value is empty).
#[derive(Debug, Clone, Default)]
pub struct Values(Vec<Cell<'static>>);

impl Values {
    /// The compared values of `row`.
    #[cfg(test)]
    pub fn of(row: &AccountRow) -> Values {
        Values(
            compared()
                .iter()
                .map(|c| c.cell(row).into_owned())
                .collect(),
        )
    }

    /// Values in [`accounts::compared`] order (read back from a snapshot or
    /// the history).
    pub fn from_cells(cells: Vec<Cell<'static>>) -> Values {
        Values(cells)
    }

    fn index(column: &Column<AccountRow>) -> Option<usize> {
        compared().iter().position(|c| c.key == column.key)
    }

    /// The value of `column` (empty when unknown or not compared).
    pub fn get(&self, column: &Column<AccountRow>) -> Cell<'static> {
        Values::index(column)
            .and_then(|i| self.0.get(i))
            .cloned()
            .unwrap_or(Cell::Empty)
    }

    /// The value of `column` as a whole number.
    pub fn int(&self, column: &Column<AccountRow>) -> Option<i64> {
        self.get(column).as_int()
    }

    /// The value of `column` as a number.
    pub fn number(&self, column: &Column<AccountRow>) -> Option<f64> {
        self.get(column).as_real()
    }

    /// Sets the value of the compared `column`.
    #[cfg(test)]
    pub fn set(&mut self, column: &Column<AccountRow>, value: Cell<'static>) {
        if let Some(i) = Values::index(column) {
            if self.0.len() <= i {
                self.0.resize(i + 1, Cell::Empty);
            }
            self.0[i] = value;
        }
    }

    /// Every value, in [`accounts::compared`] order.
    fn iter(&self) -> impl Iterator<Item = Cell<'static>> + '_ {
        (0..compared().len()).map(|i| self.0.get(i).cloned().unwrap_or(Cell::Empty))
    }
}

/// Equal when every compared value is (a missing value is empty).
impl PartialEq for Values {
    fn eq(&self, other: &Values) -> bool {
        self.iter().eq(other.iter())
    }
}

/// An earlier run, as much of it as a comparison needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Previous {
    /// The run's identity: its stem (from a snapshot file or the history).
    pub run: String,
    /// When that run's snapshot was generated.
    pub generated_at: DateTime<Utc>,
    /// Its accounts, in its own order.
    pub accounts: Vec<PreviousAccount>,
    /// Its totals' counts, in the order of
    /// `columns::totals::count_columns` (empty where that run had none: a
    /// total added since, or not recorded).
    pub totals: Vec<Cell<'static>>,
}

/// One count of the totals, then and now: `previous`, `current` and
/// `change` (current minus previous; empty where either is).
#[derive(Debug, Clone, PartialEq)]
pub struct TotalChange {
    /// The totals' column (its key, label and kind).
    pub column: TotalsColumn,
    /// The earlier run's value.
    pub previous: Cell<'static>,
    /// This run's value.
    pub current: Cell<'static>,
    /// `current - previous`.
    pub change: Cell<'static>,
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
    /// The compared columns' values, empty where that run left them empty.
    pub values: Values,
}

/// Current minus previous for one account, per compared column; empty
/// where either side is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Change {
    /// The differences (a ratio's as a ratio: 0.05 is 5 percentage points).
    pub values: Values,
}

impl Change {
    /// The difference of the compared column `metric` (its key) as a
    /// number; `None` when it is empty or `metric` is not compared.
    pub fn get(&self, metric: &str) -> Option<f64> {
        accounts::ACCOUNTS
            .iter()
            .find(|c| c.key == metric)
            .and_then(|c| self.values.number(c))
    }

    /// How far the account moved, for "biggest movers first": the absolute
    /// change of licenses used, then of the total.
    pub fn magnitude(&self) -> (i64, i64) {
        let abs = |c| self.values.int(c).map_or(0, i64::abs);
        (
            abs(&accounts::USED_AUTHORIZED),
            abs(&accounts::TOTAL_AUTHORIZED),
        )
    }

    /// Whether any compared value differs (an empty difference is no move).
    pub fn moved(&self) -> bool {
        self.values
            .iter()
            .any(|d| d.as_real().is_some_and(|d| d != 0.0))
    }

    /// The difference of `column` as the XLSX and the Markdown show it: a
    /// ratio's in percentage points (0.05 is 5.0), a count as it is.
    pub fn shown(&self, column: &Column<AccountRow>) -> Cell<'static> {
        match self.values.get(column) {
            Cell::Ratio(d) => Cell::Num(d * 100.0),
            other => other,
        }
    }

    /// Whether nothing is known of the difference (a side empty in every
    /// compared column).
    pub fn unknown(&self) -> bool {
        self.values.iter().all(|d| d == Cell::Empty)
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
    /// The totals then and now: every count of the totals table, in its
    /// order (JSON `comparison.totals`).
    pub totals: Vec<TotalChange>,
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

    /// The indices of the matched accounts whose `total_authorized`
    /// changed (licenses bought or released), the biggest change first
    /// (then report order): listed apart from the usage movers.
    pub fn license_changes(&self) -> Vec<usize> {
        let bought = |i: usize| {
            self.changes[i]
                .as_ref()
                .and_then(|c| c.values.int(&accounts::TOTAL_AUTHORIZED))
                .filter(|&d| d != 0)
        };
        let mut rows: Vec<(usize, i64)> = (0..self.changes.len())
            .filter_map(|i| Some((i, bought(i)?)))
            .collect();
        rows.sort_by(|(i, a), (j, b)| {
            b.unsigned_abs()
                .cmp(&a.unsigned_abs())
                .then_with(|| i.cmp(j))
        });
        rows.into_iter().map(|(i, _)| i).collect()
    }

    /// The indices of the current accounts the earlier run did not have.
    pub fn new_accounts(&self) -> Vec<usize> {
        (0..self.changes.len())
            .filter(|&i| self.changes[i].is_none())
            .collect()
    }
}

/// `current - previous` of one compared value: whole numbers exactly
/// (empty when too large), ratios as ratios; empty where either is.
fn difference(kind: Kind, current: Cell<'_>, previous: Cell<'_>) -> Cell<'static> {
    match (current, previous) {
        (Cell::Int(c), Cell::Int(p)) => Cell::int(c.checked_sub(p)),
        (c, p) if kind == Kind::Ratio => match (c.as_real(), p.as_real()) {
            (Some(c), Some(p)) => Cell::Ratio(c - p),
            _ => Cell::Empty,
        },
        _ => Cell::Empty,
    }
}

/// The change of one account against its earlier self.
pub fn change(current: &AccountRow, previous: &PreviousAccount) -> Change {
    let values = compared()
        .iter()
        .zip(previous.values.iter())
        .map(|(c, p)| difference(c.kind, c.cell(current), p))
        .collect();
    Change {
        values: Values(values),
    }
}

/// The run's totals (`current`) against the earlier run's, every count of
/// the totals table in its order.
pub fn total_changes(current: &Totals, previous: &Previous) -> Vec<TotalChange> {
    count_columns()
        .iter()
        .enumerate()
        .map(|(i, &column)| {
            let now = column.cell(current).into_owned();
            let then = previous.totals.get(i).cloned().unwrap_or(Cell::Empty);
            TotalChange {
                column,
                change: difference(Kind::Count, now.clone(), then.clone()),
                previous: then,
                current: now,
            }
        })
        .collect()
}

/// Compares the current accounts and totals with an earlier run, matching
/// accounts by UIN.
pub fn compare(current: &[AccountRow], totals: &Totals, previous: &Previous) -> Compared {
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
        totals: total_changes(totals, previous),
    }
}

#[cfg(test)]
pub(crate) mod tests;
