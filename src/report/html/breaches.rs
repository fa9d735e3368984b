//! The breached `--fail-on` thresholds, first on the page: one table per
//! expression (in the order they were first breached), the worst value
//! first (highest for `>`/`>=`, lowest for `<`/`<=`), capped.

use crate::report::breaches::breach_cells;
use crate::report::Report;
use crate::thresholds::{by_expression, Breach, Op};

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
            // scope, account, uin, metric, op, value, threshold, expression
            let c = breach_cells(b);
            let who = match b.account.as_deref() {
                Some(name) => text::name(name),
                None => "the totals".to_string(),
            };
            vec![
                Shown::text(who),
                Shown::cell(&c[2], MAX_NAME_CHARS),
                Shown::cell(&c[3], MAX_NAME_CHARS),
                Shown::cell(&c[5], MAX_NAME_CHARS),
                Shown::cell(&c[6], MAX_NAME_CHARS),
            ]
        })
        .collect();
    let heads = [
        ("Account", false),
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
