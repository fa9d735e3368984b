//! The end of the page: the failures (failed queries first, then the
//! cancelled ones, capped), the organizations whose members were
//! discovered, and the run's facts: the tables of `columns::regions`
//! and `columns::run`, their labels the tables'.

use crate::aggregate::{AccountStatus, RegionRow, RegionStatus};
use crate::columns::regions::{
    ACCOUNT, ATTEMPTS, ERROR_CODE, ERROR_MESSAGE, REGION, REQUEST_ID, WARNING,
};
use crate::columns::run::{ORGANIZATIONS, RUN};
use crate::columns::Column;
use crate::report::Report;

use super::text::{MAX_MESSAGE_CHARS, MAX_NAME_CHARS};
use super::{heads, shown, Shown, Table, MAX_TABLE_ROWS};

/// The failures: how many, and the first of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Failures {
    /// Queries that did not answer (failed or cancelled).
    pub count: usize,
    /// Accounts with no answer at all (left out of the totals).
    pub error_accounts: usize,
    /// `None` when every query answered.
    pub table: Option<Table>,
    /// Answers whose numbers cannot all be true (listed apart, in
    /// [`Warnings`]): with no failure, the section says every query
    /// answered but these.
    pub warned: usize,
}

/// The answers whose numbers cannot all be true at once (a `warning`):
/// kept as the API gave them, listed apart from the failures.
#[derive(Debug, Clone, PartialEq)]
pub struct Warnings {
    pub count: usize,
    pub table: Table,
}

/// The columns of the warnings' table.
static WARNING_COLUMNS: [&Column<RegionRow>; 3] = [&ACCOUNT, &REGION, &WARNING];

/// The answers with a warning (none: no section).
pub fn warnings(report: &Report) -> Option<Warnings> {
    let count = report.aggregate.totals.queries_with_warning;
    if count == 0 {
        return None;
    }
    let rows = report
        .aggregate
        .warned()
        .take(MAX_TABLE_ROWS)
        .map(|r| shown(r, &WARNING_COLUMNS, MAX_MESSAGE_CHARS))
        .collect();
    Some(Warnings {
        count,
        table: Table::new(&heads(&WARNING_COLUMNS), rows, count),
    })
}

/// The columns of the failures' table.
static FAILURE_COLUMNS: [&Column<RegionRow>; 6] = [
    &ACCOUNT,
    &REGION,
    &ERROR_CODE,
    &ERROR_MESSAGE,
    &ATTEMPTS,
    &REQUEST_ID,
];

/// A failed query's row: its message cut like a message, the rest like names.
fn failure_row(r: &RegionRow) -> Vec<Shown> {
    FAILURE_COLUMNS
        .iter()
        .map(|c| {
            let max = if c.key == ERROR_MESSAGE.key {
                MAX_MESSAGE_CHARS
            } else {
                MAX_NAME_CHARS
            };
            Shown::cell(&c.cell(r), max)
        })
        .collect()
}

/// The failed and cancelled queries of `report`.
pub fn failures(report: &Report) -> Failures {
    let a = &report.aggregate;
    let count = a.failure_count();
    let error_accounts = a
        .accounts
        .iter()
        .filter(|r| r.status == AccountStatus::Error)
        .count();
    let failed = a.failures().filter(|r| r.status != RegionStatus::Cancelled);
    let cancelled = a.failures().filter(|r| r.status == RegionStatus::Cancelled);
    let rows: Vec<Vec<Shown>> = failed
        .chain(cancelled)
        .take(MAX_TABLE_ROWS)
        .map(failure_row)
        .collect();
    let heads = heads(&FAILURE_COLUMNS);
    Failures {
        count,
        error_accounts,
        table: (!rows.is_empty()).then(|| Table::new(&heads, rows, count)),
        warned: a.totals.queries_with_warning,
    }
}

/// The organizations whose members were discovered (none: no section).
pub fn organizations(report: &Report) -> Option<Table> {
    let orgs = &report.aggregate.run.organizations;
    if orgs.is_empty() {
        return None;
    }
    let rows = orgs
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|o| shown(o, &ORGANIZATIONS, MAX_MESSAGE_CHARS))
        .collect();
    Some(Table::new(&heads(&ORGANIZATIONS), rows, orgs.len()))
}

/// The run's facts: one row per fact of the run's table.
pub fn facts(report: &Report) -> Table {
    let run = &report.aggregate.run;
    let rows = RUN
        .iter()
        .map(|c| {
            vec![
                Shown::text(c.label.to_string()),
                Shown::cell(&c.cell(run), MAX_MESSAGE_CHARS),
            ]
        })
        .collect::<Vec<_>>();
    let total = rows.len();
    Table::new(&[("Fact", false), ("Value", false)], rows, total)
}
