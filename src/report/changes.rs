//! The comparison's tables, for every format: whether the reports show a
//! comparison at all (`compared`), the rows of the Changes table (matched
//! accounts biggest movers first, then new, then vanished accounts) and
//! their typed cells: for each of [`CHANGE_METRICS`] the previous value, the
//! current value and the difference, side by side.
//!
//! The values come from `compare` (the differences, their order) and
//! `aggregate` (the current values); nothing is computed here. The one
//! difference shown in another unit, `utilization`, is in percentage points
//! in the XLSX ([`Change::utilization_points`]) and a ratio in the JSON.

use std::borrow::Cow;

use super::Cell;
use crate::aggregate::AccountRow;
use crate::compare::{Change, Compared, PreviousAccount, CHANGE_METRICS};
use crate::report::Report;

/// How an account compares with the earlier run (the `comparison` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Matched, and some metric differs.
    Changed,
    /// Matched, nothing differs.
    Unchanged,
    /// Matched, but no difference is known (a side is empty, e.g. an
    /// account that failed in one of the runs).
    Unknown,
    /// Not in the earlier run.
    New,
    /// Only in the earlier run.
    Vanished,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Changed => "changed",
            Kind::Unchanged => "unchanged",
            Kind::Unknown => "unknown",
            Kind::New => "new",
            Kind::Vanished => "vanished",
        }
    }
}

/// One row of the Changes table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChangeRow<'a> {
    pub(crate) kind: Kind,
    /// The account now (none for a vanished account).
    pub(crate) current: Option<&'a AccountRow>,
    /// The account in the earlier run (none for a new account).
    pub(crate) previous: Option<&'a PreviousAccount>,
    /// Its change (matched accounts only).
    pub(crate) change: Option<&'a Change>,
}

impl<'a> ChangeRow<'a> {
    /// The account's name (now, or in the earlier run).
    pub(crate) fn account(&self) -> &'a str {
        match (self.current, self.previous) {
            (Some(a), _) => &a.account,
            (None, Some(p)) => &p.account,
            (None, None) => "",
        }
    }

    /// Its UIN (now, or in the earlier run).
    pub(crate) fn uin(&self) -> Option<&'a str> {
        match (self.current, self.previous) {
            (Some(a), _) => a.uin.as_deref(),
            (None, Some(p)) => p.uin.as_deref(),
            (None, None) => None,
        }
    }
}

/// The Changes table, in order: matched accounts by [`Compared::ranked`],
/// then new accounts (report order), then vanished ones (their run's order).
pub(crate) fn change_rows<'a>(
    report: &'a Report,
    c: &'a Compared,
) -> impl Iterator<Item = ChangeRow<'a>> + 'a {
    let matched = c.ranked().into_iter().map(move |i| {
        let change = c.changes[i].as_ref();
        ChangeRow {
            kind: match change {
                Some(ch) if ch.moved() => Kind::Changed,
                Some(ch) if CHANGE_METRICS.iter().all(|m| ch.get(m).is_none()) => Kind::Unknown,
                _ => Kind::Unchanged,
            },
            current: report.aggregate.accounts.get(i),
            previous: c.previous.get(i).and_then(Option::as_ref),
            change,
        }
    });
    let new = c.new_accounts().into_iter().map(move |i| ChangeRow {
        kind: Kind::New,
        current: report.aggregate.accounts.get(i),
        previous: None,
        change: None,
    });
    let vanished = c.vanished.iter().map(|p| ChangeRow {
        kind: Kind::Vanished,
        current: None,
        previous: Some(p),
        change: None,
    });
    matched.chain(new).chain(vanished)
}

/// The first columns of the Changes table; three per metric follow
/// ([`change_columns`]).
pub const CHANGE_KEY_COLUMNS: [&str; 5] =
    ["account", "uin", "comparison", "status", "previous_status"];

/// Every column of the Changes table: [`CHANGE_KEY_COLUMNS`], then
/// `<metric>.previous`, `<metric>.current`, `<metric>.change` per metric.
pub fn change_columns() -> Vec<String> {
    CHANGE_KEY_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain(
            CHANGE_METRICS
                .iter()
                .flat_map(|m| ["previous", "current", "change"].map(|side| format!("{m}.{side}"))),
        )
        .collect()
}

/// One row's cells, in [`change_columns`] order; the `utilization` change
/// in percentage points.
pub(crate) fn change_row_cells<'a>(row: &ChangeRow<'a>) -> Vec<Cell<'a>> {
    let mut cells = vec![
        Cell::str(row.account()),
        Cell::text(row.uin()),
        Cell::str(row.kind.as_str()),
        Cell::text(row.current.map(|a| a.status.as_str())),
        Cell::text(row.previous.map(|p| p.status.as_str())),
    ];
    for m in CHANGE_METRICS {
        cells.push(row.previous.map_or(Cell::Empty, |p| previous_cell(p, m)));
        cells.push(row.current.map_or(Cell::Empty, |a| current_cell(a, m)));
        cells.push(row.change.map_or(Cell::Empty, |c| points_cell(c, m)));
    }
    cells
}

/// A current account's value of one of [`CHANGE_METRICS`].
pub(crate) fn current_cell(a: &AccountRow, metric: &str) -> Cell<'static> {
    match metric {
        "total_authorized" => Cell::int(a.total_authorized),
        "used_authorized" => Cell::int(a.used_authorized),
        "remaining_authorized" => Cell::int(a.remaining_authorized),
        "utilization" => Cell::ratio(a.utilization),
        "scanned_images" => Cell::int(a.scanned_images),
        "duplicate_images" => Cell::int(a.duplicate_images),
        "scan_quota_used" => Cell::int(a.scan_quota_used),
        _ => Cell::Empty,
    }
}

/// An earlier account's value of one of [`CHANGE_METRICS`].
pub(crate) fn previous_cell(p: &PreviousAccount, metric: &str) -> Cell<'static> {
    match metric {
        "total_authorized" => Cell::int(p.total_authorized),
        "used_authorized" => Cell::int(p.used_authorized),
        "remaining_authorized" => Cell::int(p.remaining_authorized),
        "utilization" => Cell::ratio(p.utilization),
        "scanned_images" => Cell::int(p.scanned_images),
        "duplicate_images" => Cell::int(p.duplicate_images),
        "scan_quota_used" => Cell::int(p.scan_quota_used),
        _ => Cell::Empty,
    }
}

/// The difference of one of [`CHANGE_METRICS`] as the JSON has it (the
/// `utilization` difference a ratio).
pub(crate) fn change_cell(c: &Change, metric: &str) -> Cell<'static> {
    match metric {
        "total_authorized" => Cell::int(c.total_authorized),
        "used_authorized" => Cell::int(c.used_authorized),
        "remaining_authorized" => Cell::int(c.remaining_authorized),
        "utilization" => Cell::ratio(c.utilization),
        "scanned_images" => Cell::int(c.scanned_images),
        "duplicate_images" => Cell::int(c.duplicate_images),
        "scan_quota_used" => Cell::int(c.scan_quota_used),
        _ => Cell::Empty,
    }
}

/// [`change_cell`], with the `utilization` difference in percentage points.
pub(crate) fn points_cell(c: &Change, metric: &str) -> Cell<'static> {
    match metric {
        "utilization" => c.utilization_points().map_or(Cell::Empty, Cell::Num),
        other => change_cell(c, other),
    }
}

/// The date an earlier run is named by in titles (`2026-11-01 00:00 UTC`).
pub(crate) fn previous_date(c: &Compared) -> Cow<'static, str> {
    Cow::Owned(
        c.previous_generated_at
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
    )
}

#[cfg(test)]
pub(crate) mod tests;
