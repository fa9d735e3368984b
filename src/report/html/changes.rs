//! "Changes since" the compared run (with `--compare` only): how many
//! accounts were matched, changed, new and vanished, then the top movers
//! (the biggest change of licenses used first, `Compared::movers`), the new
//! accounts and the vanished ones, each capped. With nothing to compare
//! with, the note saying why.

use crate::compare::{Compared, Comparison};
use crate::report::changes::{current_cell, points_cell, previous_cell, previous_date};
use crate::report::{Cell, Report};

use super::text::{self, MAX_NAME_CHARS};
use super::{Shown, Table, MAX_TABLE_ROWS};

/// The section.
#[derive(Debug, Clone, PartialEq)]
pub struct Changes {
    /// `Changes since 2026-01-01 00:00 UTC`, or `Changes`.
    pub heading: String,
    /// The counts, or why there is nothing to compare with.
    pub summary: String,
    /// Movers, new accounts, vanished accounts (none without a comparison).
    pub tables: Vec<(&'static str, Table)>,
}

/// The section of `report` (no `--compare`: none).
pub fn section(report: &Report) -> Option<Changes> {
    match &report.comparison {
        Comparison::NotAsked => None,
        Comparison::NoPrevious(note) => Some(Changes {
            heading: "Changes".into(),
            summary: format!(
                "No earlier run to compare with: {}.",
                text::clean(note, text::MAX_MESSAGE_CHARS)
            ),
            tables: Vec::new(),
        }),
        Comparison::With(c) => Some(compared(report, c)),
    }
}

/// The section of a comparison.
fn compared(report: &Report, c: &Compared) -> Changes {
    let movers = c.movers();
    let new = c.new_accounts();
    Changes {
        heading: format!("Changes since {}", previous_date(c)),
        summary: format!(
            "Compared with run {} (accounts matched by UIN): {} matched, {} changed, {} new, {} vanished.",
            text::name(&c.previous_run),
            text::count((c.changes.len() - new.len()) as i64),
            text::count(movers.len() as i64),
            text::count(new.len() as i64),
            text::count(c.vanished.len() as i64),
        ),
        tables: vec![
            ("Top movers", movers_table(report, c, &movers)),
            ("New accounts", new_table(report, &new)),
            ("Vanished accounts", vanished_table(c)),
        ],
    }
}

/// A cell as shown, cut like a name.
fn show(c: &Cell<'_>) -> Shown {
    Shown::cell(c, MAX_NAME_CHARS)
}

/// A difference as shown: signed, `pp` for percentage points.
fn difference(c: &Cell<'_>, points: bool) -> Shown {
    let mut s = show(c);
    if *c != Cell::Empty {
        s.text = text::signed(c);
        if points {
            s.text.push_str(" pp");
        }
    }
    s
}

fn movers_table(report: &Report, c: &Compared, movers: &[usize]) -> Table {
    let rows = movers
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|&i| {
            let a = &report.aggregate.accounts[i];
            let before = c.previous[i].as_ref();
            let change = c.changes[i].as_ref();
            let prev = |m: &str| before.map_or(Cell::Empty, |p| previous_cell(p, m));
            let diff = |m: &str| change.map_or(Cell::Empty, |ch| points_cell(ch, m));
            vec![
                Shown::text(text::name(&a.account)),
                show(&Cell::text(a.uin.as_deref())),
                show(&prev("used_authorized")),
                show(&current_cell(a, "used_authorized")),
                difference(&diff("used_authorized"), false),
                difference(&diff("total_authorized"), false),
                difference(&diff("utilization"), true),
            ]
        })
        .collect();
    let heads = [
        ("Account", false),
        ("UIN", false),
        ("Used then", true),
        ("Used now", true),
        ("Δ Used", true),
        ("Δ Total", true),
        ("Δ Utilization", true),
    ];
    Table::new(&heads, rows, movers.len())
}

fn new_table(report: &Report, new: &[usize]) -> Table {
    let rows = new
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|&i| {
            let a = &report.aggregate.accounts[i];
            vec![
                Shown::text(text::name(&a.account)),
                show(&Cell::text(a.uin.as_deref())),
                show(&Cell::str(a.status.as_str())),
                show(&current_cell(a, "used_authorized")),
                show(&current_cell(a, "total_authorized")),
                show(&current_cell(a, "utilization")),
            ]
        })
        .collect();
    let heads = [
        ("Account", false),
        ("UIN", false),
        ("Status", false),
        ("Used", true),
        ("Total", true),
        ("Utilization", true),
    ];
    Table::new(&heads, rows, new.len())
}

fn vanished_table(c: &Compared) -> Table {
    let rows = c
        .vanished
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|p| {
            vec![
                Shown::text(text::name(&p.account)),
                show(&Cell::text(p.uin.as_deref())),
                show(&Cell::str(&p.status)),
                show(&previous_cell(p, "used_authorized")),
                show(&previous_cell(p, "total_authorized")),
                show(&previous_cell(p, "utilization")),
            ]
        })
        .collect();
    let heads = [
        ("Account", false),
        ("UIN", false),
        ("Status then", false),
        ("Used then", true),
        ("Total then", true),
        ("Utilization then", true),
    ];
    Table::new(&heads, rows, c.vanished.len())
}
