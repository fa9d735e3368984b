//! The run's totals of the accounts columns: for each column with a
//! [`Total`] rule (`crate::columns::accounts::totalled`), the sum or the
//! weighted ratio over the accounts that answered, each account once; a sum
//! too large to hold is left empty and the account that made it so says
//! so. Read from the column table: a new totalled column needs no code
//! here. The over-use counts are `overuse`'s, the counts of editions
//! `license`'s. Pure.
//!
//! The rules live in one accumulator, [`AccountTotals`], over any rows that
//! can say their status, whether they are counted and their whole numbers
//! ([`Totalled`]): the run's totals are it over every account row, a
//! chargeback group's (`crate::groups`) it over the group's rows, and the
//! history's group trends it over the rows a run recorded. So a group is
//! computed exactly as the totals are, and every key's groups add up to them.

use tcapi::tcss::EditionState;

use super::license::EditionCounter;
use super::overuse::OverUse;
use super::{warnings, AccountRow, AccountStatus, Totals};
use crate::columns::accounts;
use crate::columns::{Cell, Column, Total};

/// An account as the totals read it. A new per-account total reads the row
/// through this (not its fields), so every kind of row gets it.
pub(crate) trait Totalled {
    /// `ok`, `partial` or `error`.
    fn status(&self) -> AccountStatus;
    /// Whether it is counted: `false` for a row counted in another's (the
    /// same UIN, `aggregate::shared_uin`).
    fn counted(&self) -> bool;
    /// Its value of the accounts column `column`, when a whole number.
    fn int(&self, column: &Column<AccountRow>) -> Option<i64>;
    /// Its edition, when known (the counts of editions).
    fn edition(&self) -> Option<EditionState>;
    /// The days until its edition lapses for want of renewal, when known.
    fn days_to_lapse(&self) -> Option<i64>;
}

impl Totalled for AccountRow {
    fn status(&self) -> AccountStatus {
        self.status
    }

    fn counted(&self) -> bool {
        self.counted_in.is_none()
    }

    fn int(&self, column: &Column<AccountRow>) -> Option<i64> {
        column.cell(self).as_int()
    }

    fn edition(&self) -> Option<EditionState> {
        self.license.edition
    }

    fn days_to_lapse(&self) -> Option<i64> {
        self.license.days_to_lapse
    }
}

/// Weighted ratio accumulator: numerators and denominators summed over the
/// rows where both are known.
#[derive(Debug, Clone, Default)]
struct Weighted {
    num: i128,
    den: i128,
}

impl Weighted {
    fn add(&mut self, num: Option<i64>, den: Option<i64>) {
        if let (Some(n), Some(d)) = (num, den) {
            self.num += i128::from(n);
            self.den += i128::from(d);
        }
    }

    fn ratio(&self) -> Option<f64> {
        (self.den != 0).then(|| self.num as f64 / self.den as f64)
    }
}

/// The running total of one accounts column ([`Total`]).
#[derive(Debug, Clone)]
enum Running {
    /// Not totalled.
    None,
    /// A sum.
    Sum(warnings::CheckedSum),
    /// A weighted ratio of two columns.
    Weighted(
        Weighted,
        &'static Column<AccountRow>,
        &'static Column<AccountRow>,
    ),
}

impl Running {
    fn new(total: Total) -> Running {
        match total {
            Total::None => Running::None,
            Total::Sum => Running::Sum(warnings::CheckedSum::default()),
            Total::Weighted { num, den } => Running::Weighted(Weighted::default(), num, den),
        }
    }

    /// Adds `row`'s value of `column`; the warning when this very value
    /// made the sum too large to hold.
    fn add(&mut self, column: &Column<AccountRow>, row: &impl Totalled) -> Option<String> {
        match self {
            Running::None => None,
            Running::Sum(sum) => {
                let v = row.int(column);
                sum.add(v)
                    .then(|| warnings::total_too_large(column.key, v.unwrap_or_default()))
            }
            Running::Weighted(w, num, den) => {
                w.add(row.int(num), row.int(den));
                None
            }
        }
    }

    fn value(&self) -> Cell<'static> {
        match self {
            Running::None => Cell::Empty,
            Running::Sum(sum) => Cell::int(sum.value()),
            Running::Weighted(w, ..) => Cell::ratio(w.ratio()),
        }
    }
}

/// The account counts by status, the running totals of the accounts
/// columns that have one ([`accounts::totalled`]) and the counts of
/// editions, over the rows added: each counted row once; an `error` row is
/// counted, never summed.
#[derive(Debug, Clone)]
pub(crate) struct AccountTotals {
    accounts: usize,
    ok: usize,
    partial: usize,
    error: usize,
    running: Vec<Running>,
    overuse: OverUse,
    editions: EditionCounter,
}

impl Default for AccountTotals {
    fn default() -> Self {
        AccountTotals {
            accounts: 0,
            ok: 0,
            partial: 0,
            error: 0,
            running: accounts::totalled()
                .iter()
                .map(|c| Running::new(c.total))
                .collect(),
            overuse: OverUse::default(),
            editions: EditionCounter::default(),
        }
    }
}

impl AccountTotals {
    /// Adds `row` (nothing when it is counted in another's); `warn` gets
    /// the warning of each sum its value made too large to hold.
    pub(crate) fn add(&mut self, row: &impl Totalled, mut warn: impl FnMut(String)) {
        if !row.counted() {
            return;
        }
        self.accounts += 1;
        match row.status() {
            AccountStatus::Ok => self.ok += 1,
            AccountStatus::Partial => self.partial += 1,
            AccountStatus::Error => {
                self.error += 1;
                return;
            }
        }
        self.overuse.add(row);
        self.editions.add(row.edition(), row.days_to_lapse());
        for (r, column) in self.running.iter_mut().zip(accounts::totalled()) {
            if let Some(warning) = r.add(column, row) {
                warn(warning);
            }
        }
    }

    /// The account counts, the accounts columns' totals, the over-use
    /// counts and the counts of editions, into `t`.
    pub(crate) fn finish(&self, t: &mut Totals) {
        t.accounts = self.accounts;
        t.accounts_ok = self.ok;
        t.accounts_partial = self.partial;
        t.accounts_error = self.error;
        t.columns = self.running.iter().map(Running::value).collect();
        self.overuse.into_totals(t);
        t.editions = self.editions.counts();
    }

    /// A [`Totals`] of these rows alone (no query counts).
    pub(crate) fn totals(&self) -> Totals {
        let mut t = Totals::default();
        self.finish(&mut t);
        t
    }
}

/// The account counts, the totals of the accounts columns that have one
/// ([`accounts::totalled`]: sums and weighted ratios), the over-use
/// counts ([`OverUse`]) and the counts of editions, each account once (a row counted in another's is
/// left out). A sum that gets too large is left empty, and the row whose
/// value made it so says so.
pub(super) fn add_account_totals(t: &mut Totals, rows: &mut [AccountRow]) {
    let mut totals = AccountTotals::default();
    for row in rows.iter_mut() {
        let mut found = Vec::new();
        totals.add(&*row, |w| found.push(w));
        row.warnings.extend(found);
    }
    totals.finish(t);
}
