//! The breached `--fail-on` thresholds, first on the page: one table per
//! expression (in the order they were first breached), the worst value
//! first (highest for `>`/`>=`, lowest for `<`/`<=`), capped.

use crate::report::breaches::{breach_cells, BREACH_COLUMNS};
use crate::report::Report;
use crate::thresholds::{by_expression, Breach, Op, Scope};

use super::text::{self, MAX_NAME_CHARS};
use super::{Shown, Table, MAX_TABLE_ROWS};

/// The breaches, grouped.
#[derive(Debug, Clone, PartialEq)]
pub struct Breaches {
    /// Breaches in all.
    pub total: usize,
    pub groups: Vec<Group>,
}

/// The breaches of one expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The expression as written.
    pub expression: String,
    /// How many breached it.
    pub count: usize,
    pub table: Table,
}

/// The breaches of `report` (none: no section).
pub fn section(report: &Report) -> Option<Breaches> {
    if report.breaches.is_empty() {
        return None;
    }
    // Grouped as the Markdown, stderr and the notifications group them.
    let groups = by_expression(&report.breaches);
    Some(Breaches {
        total: report.breaches.len(),
        groups: groups
            .into_iter()
            .map(|g| group(g.expression, g.breaches))
            .collect(),
    })
}

/// The table of one expression's breaches, worst first.
fn group(expression: &str, mut breaches: Vec<&Breach>) -> Group {
    match breaches.first().map(|b| b.op) {
        Some(Op::Gt | Op::Ge) => breaches.sort_by(|a, b| b.value.total_cmp(&a.value)),
        Some(Op::Lt | Op::Le) => breaches.sort_by(|a, b| a.value.total_cmp(&b.value)),
        _ => {}
    }
    let rows = breaches
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|b| {
            let c = breach_cells(b);
            let at = |key: &str| {
                let i = BREACH_COLUMNS.iter().position(|k| *k == key);
                Shown::cell(&c[i.unwrap_or_default()], MAX_NAME_CHARS)
            };
            // An account's name, a group's `key=value`, or the totals.
            let who = match b.scope {
                Scope::Total => "the totals".to_string(),
                _ => text::name(&b.subject()),
            };
            vec![
                Shown::text(who),
                at("uin"),
                at("metric"),
                at("value"),
                at("threshold"),
            ]
        })
        .collect();
    let grouped = breaches.first().map(|b| b.scope) == Some(Scope::Group);
    let heads = [
        (if grouped { "Group" } else { "Account" }, false),
        ("UIN", false),
        ("Metric", false),
        ("Value", true),
        ("Threshold", true),
    ];
    Group {
        expression: text::clean(expression, text::MAX_MESSAGE_CHARS),
        count: breaches.len(),
        table: Table::new(&heads, rows, breaches.len()),
    }
}
