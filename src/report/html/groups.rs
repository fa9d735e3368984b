//! The page's chargeback section (with `--group-by`): a table per key,
//! largest use first, at most [`MAX_TABLE_ROWS`] rows with the untagged
//! group always shown (`crate::groups::shown`), its columns the summary's
//! (`columns::groups::SUMMARY`, the Markdown's too). The groups are the
//! grouping stage's (`crate::groups`); nothing is computed here.

use super::{numeric, text, Shown, Table, MAX_TABLE_ROWS};
use crate::columns::groups::{GROUP, SUMMARY, UNTAGGED};
use crate::columns::Cell;
use crate::groups::shown;
use crate::report::Report;

/// One key's table.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    /// The tag key.
    pub key: String,
    /// Whether no account of the run carries it (every account untagged).
    pub unknown: bool,
    /// Its groups.
    pub table: Table,
}

/// The section: every key the run is grouped by, in the order asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    pub keys: Vec<Key>,
}

/// The section, when the run is grouped.
pub fn section(report: &Report) -> Option<Groups> {
    let groups = &report.groups;
    if groups.keys.is_empty() {
        return None;
    }
    let mut head = vec![(GROUP.label, false)];
    head.extend(SUMMARY.iter().map(|c| (c.label(), numeric(c.kind()))));
    let keys = groups
        .by_key()
        .map(|(key, rows)| {
            let body = shown(rows, MAX_TABLE_ROWS)
                .into_iter()
                .map(|g| {
                    let name = Cell::str(g.group.as_deref().unwrap_or(UNTAGGED));
                    let mut row = vec![Shown::cell(&name, text::MAX_NAME_CHARS)];
                    row.extend(
                        SUMMARY
                            .iter()
                            .map(|c| Shown::cell(&c.cell(g), text::MAX_NAME_CHARS)),
                    );
                    row
                })
                .collect();
            Key {
                key: text::name(key),
                unknown: groups.unknown.iter().any(|k| k == key),
                table: Table::new(&head, body, rows.len()),
            }
        })
        .collect();
    Some(Groups { keys })
}
