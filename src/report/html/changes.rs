//! "Changes since" the compared run (with `--compare` only): how many
//! accounts were matched, changed, new and vanished, the totals then and
//! now (every count of the totals table, `Compared::totals`), the licenses
//! bought or released (`Compared::license_changes`, apart from the usage
//! movers, so a purchase is never lost behind them), then the top movers
//! (the biggest change of licenses used first, `Compared::movers`), the new
//! accounts and the vanished ones, each capped. With nothing to compare
//! with, the note saying why. The columns are taken by their handles; a
//! ratio's difference is in percentage points (`Change::shown`).

use crate::aggregate::AccountRow;
use crate::columns::accounts::{TOTAL_AUTHORIZED, USED_AUTHORIZED, UTILIZATION};
use crate::columns::{Cell, Column, Kind};
use crate::compare::{Compared, Comparison, TotalChange};
use crate::report::changes::previous_date;
use crate::report::Report;

use super::text::{self, MAX_NAME_CHARS};
use super::{numeric, Shown, Table, MAX_TABLE_ROWS};

/// The section.
#[derive(Debug, Clone, PartialEq)]
pub struct Changes {
    /// `Changes since 2026-01-01 00:00 UTC`, or `Changes`.
    pub heading: String,
    /// The counts, or why there is nothing to compare with.
    pub summary: String,
    /// The totals then and now, the licenses bought or released, the
    /// movers, the new accounts, the vanished ones, each with its heading
    /// (none without a comparison).
    pub tables: Vec<(String, Table)>,
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
    let licenses = c.license_changes();
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
            ("Totals, then and now".into(), totals_table(&c.totals)),
            (
                format!("Licenses bought or released ({})", licenses.len()),
                licenses_table(report, c, &licenses),
            ),
            ("Top movers".into(), movers_table(report, c, &movers)),
            (
                format!("New accounts ({})", new.len()),
                new_table(report, &new),
            ),
            (
                format!("Vanished accounts ({})", c.vanished.len()),
                vanished_table(c),
            ),
        ],
    }
}

/// A cell as shown, cut like a name.
fn show(c: &Cell<'_>) -> Shown {
    Shown::cell(c, MAX_NAME_CHARS)
}

/// The difference of `column` as shown: signed, `pp` for percentage
/// points (a ratio's).
fn difference(c: &Cell<'_>, column: &Column<AccountRow>) -> Shown {
    signed(c, column.kind)
}

/// A difference as shown: signed, a ratio's in percentage points.
fn signed(c: &Cell<'_>, kind: Kind) -> Shown {
    let mut s = show(c);
    if *c != Cell::Empty {
        s.text = text::signed(c);
        if kind == Kind::Ratio {
            s.text.push_str(" pp");
        }
    }
    s
}

/// Every count of the totals, then and now.
fn totals_table(totals: &[TotalChange]) -> Table {
    let rows: Vec<Vec<Shown>> = totals
        .iter()
        .map(|t| {
            let kind = t.column.kind();
            vec![
                Shown::text(t.column.label().to_string()),
                show(&super::of_kind(&t.previous, kind)),
                show(&super::of_kind(&t.current, kind)),
                signed(&t.change, kind),
            ]
        })
        .collect();
    let heads = [
        ("Total", false),
        ("Then", true),
        ("Now", true),
        ("Change", true),
    ];
    let total = rows.len();
    Table::new(&heads, rows, total)
}

/// Account `i`'s value of `col` in the run compared with (empty for a new
/// account).
fn then(c: &Compared, i: usize, col: &Column<AccountRow>) -> Cell<'static> {
    c.previous[i]
        .as_ref()
        .map_or(Cell::Empty, |p| p.values.get(col))
}

/// The accounts whose licenses changed, the biggest change first.
fn licenses_table(report: &Report, c: &Compared, changed: &[usize]) -> Table {
    let held = &TOTAL_AUTHORIZED;
    let rows = changed
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|&i| {
            let a = &report.aggregate.accounts[i];
            let before = then(c, i, held);
            let change = c.changes[i]
                .as_ref()
                .map_or(Cell::Empty, |ch| ch.values.get(held));
            vec![
                Shown::text(text::name(&a.account)),
                Shown::uin(a.uin.as_deref()),
                show(&before),
                show(&held.cell(a)),
                signed(&change, held.kind),
            ]
        })
        .collect();
    let heads = [
        ("Account", false),
        ("UIN", false),
        ("Licenses then", true),
        ("Licenses now", true),
        ("Change", true),
    ];
    Table::new(&heads, rows, changed.len())
}

/// The differences the top movers' table shows, with their heads.
static MOVES: [(&Column<AccountRow>, &str); 3] = [
    (&USED_AUTHORIZED, "Δ Used"),
    (&TOTAL_AUTHORIZED, "Δ Total"),
    (&UTILIZATION, "Δ Utilization"),
];

/// The values the new and vanished accounts' tables show, after the status.
static SHOWN: [&Column<AccountRow>; 3] = [&USED_AUTHORIZED, &TOTAL_AUTHORIZED, &UTILIZATION];

/// The heads of [`SHOWN`]'s columns, `suffix` after each label.
fn shown_heads(suffix: &str) -> Vec<(String, bool)> {
    SHOWN
        .iter()
        .map(|c| (format!("{}{suffix}", c.label), numeric(c.kind)))
        .collect()
}

fn movers_table(report: &Report, c: &Compared, movers: &[usize]) -> Table {
    let rows = movers
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|&i| {
            let a = &report.aggregate.accounts[i];
            let before = then(c, i, &USED_AUTHORIZED);
            let change = c.changes[i].clone().unwrap_or_default();
            let mut row = vec![
                Shown::text(text::name(&a.account)),
                Shown::uin(a.uin.as_deref()),
                show(&before),
                show(&USED_AUTHORIZED.cell(a)),
            ];
            row.extend(
                MOVES
                    .iter()
                    .map(|(column, _)| difference(&change.shown(column), column)),
            );
            row
        })
        .collect();
    let mut heads = vec![
        ("Account", false),
        ("UIN", false),
        ("Used then", true),
        ("Used now", true),
    ];
    heads.extend(MOVES.iter().map(|(_, head)| (*head, true)));
    Table::new(&heads, rows, movers.len())
}

fn new_table(report: &Report, new: &[usize]) -> Table {
    let rows = new
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|&i| {
            let a = &report.aggregate.accounts[i];
            let mut row = vec![
                Shown::text(text::name(&a.account)),
                Shown::uin(a.uin.as_deref()),
                show(&Cell::str(a.status.as_str())),
            ];
            row.extend(SHOWN.iter().map(|column| show(&column.cell(a))));
            row
        })
        .collect();
    let named = shown_heads("");
    let mut heads = vec![("Account", false), ("UIN", false), ("Status", false)];
    heads.extend(named.iter().map(|(label, n)| (label.as_str(), *n)));
    Table::new(&heads, rows, new.len())
}

fn vanished_table(c: &Compared) -> Table {
    let rows = c
        .vanished
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|p| {
            let mut row = vec![
                Shown::text(text::name(&p.account)),
                Shown::uin(p.uin.as_deref()),
                show(&Cell::str(&p.status)),
            ];
            row.extend(SHOWN.iter().map(|column| show(&p.values.get(column))));
            row
        })
        .collect();
    let named = shown_heads(" then");
    let mut heads = vec![("Account", false), ("UIN", false), ("Status then", false)];
    heads.extend(named.iter().map(|(label, n)| (label.as_str(), *n)));
    Table::new(&heads, rows, c.vanished.len())
}
