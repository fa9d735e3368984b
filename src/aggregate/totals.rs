//! The run's totals of the accounts columns: for each column with a
//! [`Total`] rule (`crate::columns::accounts::totalled`), the sum or the
//! weighted ratio over the accounts that answered, each account once; a sum
//! too large to hold is left empty and the account that made it so says
//! so. Read from the column table: a new totalled column needs no code
//! here. The over-use counts are `overuse`'s. Pure.

use super::overuse::OverUse;
use super::{warnings, AccountRow, AccountStatus, Totals};
use crate::columns::accounts;
use crate::columns::{Cell, Column, Total};

/// Weighted ratio accumulator: numerators and denominators summed over the
/// rows where both are known.
#[derive(Default)]
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
    fn add(&mut self, column: &Column<AccountRow>, row: &AccountRow) -> Option<String> {
        match self {
            Running::None => None,
            Running::Sum(sum) => {
                let v = column.cell(row).as_int();
                sum.add(v)
                    .then(|| warnings::total_too_large(column.key, v.unwrap_or_default()))
            }
            Running::Weighted(w, num, den) => {
                w.add(num.cell(row).as_int(), den.cell(row).as_int());
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

/// The account counts, the totals of the accounts columns that have one
/// ([`accounts::totalled`]: sums and weighted ratios) and the over-use
/// counts ([`OverUse`]), each account once (a row counted in another's is
/// left out). A sum that gets too large is left empty, and the row whose
/// value made it so says so.
pub(super) fn add_account_totals(t: &mut Totals, rows: &mut [AccountRow]) {
    let columns = accounts::totalled();
    let mut running: Vec<Running> = columns.iter().map(|c| Running::new(c.total)).collect();
    let mut overuse = OverUse::default();
    for row in rows.iter_mut().filter(|r| r.counted_in.is_none()) {
        t.accounts += 1;
        match row.status {
            AccountStatus::Ok => t.accounts_ok += 1,
            AccountStatus::Partial => t.accounts_partial += 1,
            AccountStatus::Error => {
                t.accounts_error += 1;
                continue;
            }
        }
        overuse.add(row);
        for (r, column) in running.iter_mut().zip(columns) {
            if let Some(warning) = r.add(column, row) {
                row.warnings.push(warning);
            }
        }
    }
    t.columns = running.iter().map(Running::value).collect();
    overuse.into_totals(t);
}
