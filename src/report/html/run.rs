//! The end of the page: the failures (failed queries first, then the
//! cancelled ones, capped), the organizations whose members were
//! discovered, and the run's facts.

use crate::aggregate::{AccountStatus, RegionStatus};
use crate::report::{organization_fields, run_fields, Report};

use super::text::{MAX_MESSAGE_CHARS, MAX_NAME_CHARS};
use super::{region_values, Shown, Table, MAX_TABLE_ROWS};

/// The failures: how many, and the first of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Failures {
    /// Queries that did not answer (failed or cancelled).
    pub count: usize,
    /// Accounts with no answer at all (left out of the totals).
    pub error_accounts: usize,
    /// `None` when every query answered.
    pub table: Option<Table>,
}

/// The columns of the failures' table.
const FAILURE_COLUMNS: [(&str, &str, bool); 6] = [
    ("account", "Account", false),
    ("region", "Region", false),
    ("error_code", "Code", false),
    ("error_message", "Message", false),
    ("attempts", "Attempts", true),
    ("request_id", "Request ID", false),
];

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
    let keys = FAILURE_COLUMNS.map(|c| c.0);
    let rows: Vec<Vec<Shown>> = failed
        .chain(cancelled)
        .take(MAX_TABLE_ROWS)
        .map(|r| {
            region_values(r, &keys)
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let max = if i == 3 {
                        MAX_MESSAGE_CHARS
                    } else {
                        MAX_NAME_CHARS
                    };
                    Shown::cell(c, max)
                })
                .collect()
        })
        .collect();
    let heads: Vec<(&'static str, bool)> = FAILURE_COLUMNS.iter().map(|c| (c.1, c.2)).collect();
    Failures {
        count,
        error_accounts,
        table: (!rows.is_empty()).then(|| Table::new(&heads, rows, count)),
    }
}

/// The organizations whose members were discovered (none: no section).
pub fn organizations(report: &Report) -> Option<Table> {
    let orgs = &report.aggregate.run.organizations;
    let first = orgs.first()?;
    let heads: Vec<(&'static str, bool)> = organization_fields(first)
        .iter()
        .map(|f| (f.label, f.key.starts_with("members")))
        .collect();
    let rows = orgs
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|o| {
            organization_fields(o)
                .iter()
                .map(|f| Shown::cell(&f.cell, MAX_MESSAGE_CHARS))
                .collect()
        })
        .collect();
    Some(Table::new(&heads, rows, orgs.len()))
}

/// The run's facts: one row per field.
pub fn facts(report: &Report) -> Table {
    let rows = run_fields(report)
        .iter()
        .map(|f| {
            vec![
                Shown::text(f.label.to_string()),
                Shown::cell(&f.cell, MAX_MESSAGE_CHARS),
            ]
        })
        .collect::<Vec<_>>();
    let total = rows.len();
    Table::new(&[("Fact", false), ("Value", false)], rows, total)
}
