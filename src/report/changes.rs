//! The comparison's tables, for every format: the rows of the Changes
//! table (matched accounts biggest movers first, then new, then vanished
//! accounts) and their typed cells: for each compared column
//! (`columns::accounts::compared`) the previous value, the current value
//! and the difference, side by side.
//!
//! The values come from `compare` (the differences, their order) and
//! `aggregate` (the current values); nothing is computed here. A ratio's
//! difference is in percentage points in the XLSX ([`Change::shown`]) and a
//! ratio in the JSON.

use std::borrow::Cow;

use crate::aggregate::AccountRow;
use crate::columns::accounts::compared;
use crate::columns::Cell;
use crate::compare::{Change, Compared, PreviousAccount};
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
                Some(ch) if ch.unknown() => Kind::Unknown,
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

/// The three sides of a compared column in the Changes table.
pub(crate) const SIDES: [&str; 3] = ["previous", "current", "change"];

/// Every column of the Changes table: [`CHANGE_KEY_COLUMNS`], then
/// `<key>.previous`, `<key>.current`, `<key>.change` ([`SIDES`]) per
/// compared column (`columns::accounts::compared`).
#[cfg(test)]
pub fn change_columns() -> Vec<String> {
    let compared = compared()
        .iter()
        .flat_map(|c| SIDES.map(|side| format!("{}.{side}", c.key)));
    CHANGE_KEY_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain(compared)
        .collect()
}

/// One row's cells, in [`change_columns`] order; a ratio's change in
/// percentage points ([`Change::shown`]).
pub(crate) fn change_row_cells<'a>(row: &ChangeRow<'a>) -> Vec<Cell<'a>> {
    let mut cells = vec![
        Cell::str(row.account()),
        Cell::text(row.uin()),
        Cell::str(row.kind.as_str()),
        Cell::text(row.current.map(|a| a.status.as_str())),
        Cell::text(row.previous.map(|p| p.status.as_str())),
    ];
    for &c in compared() {
        cells.push(row.previous.map_or(Cell::Empty, |p| p.values.get(c)));
        cells.push(row.current.map_or(Cell::Empty, |a| c.cell(a)));
        cells.push(row.change.map_or(Cell::Empty, |ch| ch.shown(c)));
    }
    cells
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
