//! The accounts' sections: the key figures (cards; and every total, shown
//! near the end of the page), the most utilized accounts as horizontal
//! bars beside their names, the distribution of utilization as columns,
//! the over-licensed accounts and the scan quotas ending soon.

use crate::aggregate::over_capacity::is_over_capacity;
use crate::aggregate::AccountRow;
use crate::report::{totals_fields, Cell, Field, Report};

use super::chart::{self, Columns, Meters};
use super::text::{self, MAX_NAME_CHARS};
use super::{account_values, class_of, ratio, Shown, Table, MAX_TABLE_ROWS};

/// How many of the most utilized accounts the bar chart shows.
pub const TOP_ACCOUNTS: usize = 20;
/// Scan quotas ending within this many days of the run's start are listed.
pub const EXPIRY_WINDOW_DAYS: i64 = 90;

/// One key figure: its name, its value and a line under it.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub label: &'static str,
    pub value: String,
    pub note: String,
    /// `neg` for a value that is a warning (over-use), else empty.
    pub class: &'static str,
}

/// The key figures (cards), and every total in two tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub cards: Vec<Card>,
    pub totals: [Table; 2],
}

/// The value of the total `key`, as a cell.
fn total<'a>(fields: &'a [Field<'static>], key: &str) -> &'a Cell<'static> {
    fields
        .iter()
        .find(|f| f.key == key)
        .map_or(&Cell::Empty, |f| &f.cell)
}

/// A card of the total `key`, with `note`.
fn card(fields: &[Field<'static>], key: &str, label: &'static str, note: String) -> Card {
    let c = total(fields, key);
    Card {
        label,
        value: text::cell(c, MAX_NAME_CHARS),
        note,
        class: if text::is_negative(c) { "neg" } else { "" },
    }
}

/// The key figures of `report`.
pub fn figures(report: &Report) -> Figures {
    let f = totals_fields(&report.aggregate.totals);
    let show = |key: &str| text::cell(total(&f, key), MAX_NAME_CHARS);
    let remaining_note = if text::is_negative(total(&f, "remaining_authorized")) {
        "more used than held: over-use".to_string()
    } else {
        "held but not used".to_string()
    };
    let cards = vec![
        card(
            &f,
            "accounts",
            "Accounts",
            format!(
                "{} ok · {} partial · {} error",
                show("accounts_ok"),
                show("accounts_partial"),
                show("accounts_error")
            ),
        ),
        card(
            &f,
            "used_authorized",
            "Licenses used",
            format!("of {} held", show("total_authorized")),
        ),
        card(
            &f,
            "remaining_authorized",
            "Licenses remaining",
            remaining_note,
        ),
        card(
            &f,
            "utilization",
            "Utilization",
            "licenses used of held, all accounts".into(),
        ),
        card(
            &f,
            "scan_coverage",
            "Scan coverage",
            "images scanned of all images".into(),
        ),
        card(
            &f,
            "scan_quota_utilization",
            "Scan quota used",
            format!(
                "{} of {} scans",
                show("scan_quota_used"),
                show("scan_quota_capacity")
            ),
        ),
        card(
            &f,
            "queries_failed",
            "Failed queries",
            format!(
                "of {} · {} cancelled",
                show("queries"),
                show("queries_cancelled")
            ),
        ),
    ];
    let rows: Vec<Vec<Shown>> = f
        .iter()
        .map(|field| {
            vec![
                Shown::text(field.label.to_string()),
                Shown::cell(&field.cell, MAX_NAME_CHARS),
            ]
        })
        .collect();
    let half = rows.len().div_ceil(2);
    let (first, second) = rows.split_at(half);
    let heads = [("Total", false), ("Value", true)];
    Figures {
        cards,
        totals: [
            Table::new(&heads, first.to_vec(), first.len()),
            Table::new(&heads, second.to_vec(), second.len()),
        ],
    }
}

/// The columns of the most utilized accounts' table, and their heads.
const TOP_COLUMNS: [(&str, &str, bool); 6] = [
    ("account", "Account", false),
    ("uin", "UIN", false),
    ("used_authorized", "Used", true),
    ("total_authorized", "Total", true),
    ("remaining_authorized", "Remaining", true),
    ("utilization", "Utilization", true),
];

/// The most utilized accounts: a table whose bars (one axis from 0, 100%
/// marked) sit between the numbers and the percentage.
#[derive(Debug, Clone, PartialEq)]
pub struct Top {
    pub table: Table,
    pub meters: Meters,
    /// Accounts with a known utilization (the chart shows the first ones).
    pub ranked: usize,
}

/// The [`TOP_ACCOUNTS`] most utilized accounts (none: no section).
pub fn top(report: &Report) -> Option<Top> {
    let a = &report.aggregate;
    let rows = a.most_utilized(TOP_ACCOUNTS);
    if rows.is_empty() {
        return None;
    }
    let keys = TOP_COLUMNS.map(|c| c.0);
    let values: Vec<Vec<Cell<'_>>> = rows.iter().map(|r| account_values(r, &keys)).collect();
    let meters = chart::meters(&values.iter().map(|v| ratio(&v[5])).collect::<Vec<_>>());
    let shown = values
        .iter()
        .zip(&meters.bars)
        .map(|(v, bar)| {
            let mut row: Vec<Shown> = v.iter().map(|c| Shown::cell(c, MAX_NAME_CHARS)).collect();
            row.insert(5, Shown::meter(bar.clone()));
            row
        })
        .collect();
    let mut heads: Vec<(&'static str, bool)> = TOP_COLUMNS.iter().map(|c| (c.1, c.2)).collect();
    heads.insert(5, ("Chart", false));
    let mut table = Table::new(&heads, shown, rows.len());
    table.head[5].class = "meter";
    Some(Top {
        table,
        meters,
        ranked: a.most_utilized(usize::MAX).len(),
    })
}

/// The distribution of utilization: columns, and what they say in words.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    pub chart: Columns,
    /// The numbers the chart shows, as a sentence (its text alternative).
    pub summary: String,
    /// Accounts without a known utilization.
    pub unknown: usize,
}

/// The accounts by utilization band (no account with a utilization: no section).
pub fn distribution(report: &Report) -> Option<Distribution> {
    let d = report.aggregate.utilization_distribution();
    if d.bands.iter().all(|b| b.accounts == 0) {
        return None;
    }
    let tone = |i: usize| match i {
        0..=8 => "ok",
        9 | 10 => "high",
        _ => "over",
    };
    let values: Vec<(&str, usize, &'static str)> = d
        .bands
        .iter()
        .enumerate()
        .map(|(i, b)| (b.label, b.accounts, tone(i)))
        .collect();
    let summary = d
        .bands
        .iter()
        .map(|b| format!("{}: {}", b.label, text::count(b.accounts as i64)))
        .collect::<Vec<_>>()
        .join("; ");
    Some(Distribution {
        chart: chart::columns(&values),
        summary,
        unknown: d.unknown,
    })
}

/// The columns of the over-licensed accounts' table.
const OVER_COLUMNS: [(&str, &str, bool); 5] = [
    ("account", "Account", false),
    ("uin", "UIN", false),
    ("used_authorized", "Used", true),
    ("total_authorized", "Held", true),
    ("remaining_authorized", "Remaining", true),
];

/// The accounts that use more licenses than they hold, the largest
/// shortfall first (none: no section).
pub fn over_licensed(report: &Report) -> Option<Table> {
    let keys = OVER_COLUMNS.map(|c| c.0);
    let mut rows: Vec<Vec<Cell<'_>>> = report
        .aggregate
        .accounts
        .iter()
        .filter(|a| a.counted_in.is_none())
        .map(|a| account_values(a, &keys))
        .filter(|v| matches!((&v[2], &v[3]), (Cell::Int(used), Cell::Int(held)) if used > held))
        .collect();
    if rows.is_empty() {
        return None;
    }
    let remaining = |v: &Vec<Cell<'_>>| match v[4] {
        Cell::Int(n) => n,
        _ => 0,
    };
    rows.sort_by_key(remaining);
    let total = rows.len();
    let shown = rows
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|v| v.iter().map(|c| Shown::cell(c, MAX_NAME_CHARS)).collect())
        .collect();
    let heads: Vec<(&'static str, bool)> = OVER_COLUMNS.iter().map(|c| (c.1, c.2)).collect();
    Some(Table::new(&heads, shown, total))
}

/// The columns of the scan quotas' table.
const QUOTA_COLUMNS: [(&str, &str, bool); 7] = [
    ("account", "Account", false),
    ("uin", "UIN", false),
    ("scan_quota_end", "Ends", false),
    ("scan_quota_days_left", "Days left", true),
    ("scan_quota_status", "Status", false),
    ("scan_quota_used", "Used", true),
    ("scan_quota_capacity", "Capacity", true),
];

/// Scan quotas ending soon, or a note that none does.
#[derive(Debug, Clone, PartialEq)]
pub struct Quotas {
    /// `None`: no quota ends within the window.
    pub table: Option<Table>,
    pub days: i64,
}

/// Whether the report knows when any scan quota ends.
fn any_quota_end(accounts: &[AccountRow]) -> bool {
    accounts
        .iter()
        .any(|a| account_values(a, &["scan_quota_end"])[0] != Cell::Empty)
}

/// The scan quotas ending within [`EXPIRY_WINDOW_DAYS`] (or ended), soonest
/// first (no quota end known at all: no section).
pub fn quotas(report: &Report) -> Option<Quotas> {
    let a = &report.aggregate;
    if !any_quota_end(&a.accounts) {
        return None;
    }
    let expiring = a.expiring_quotas(EXPIRY_WINDOW_DAYS);
    let keys = QUOTA_COLUMNS.map(|c| c.0);
    let rows: Vec<Vec<Shown>> = expiring
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|r| {
            let v = account_values(r, &keys);
            let mut row: Vec<Shown> = v.iter().map(|c| Shown::cell(c, MAX_NAME_CHARS)).collect();
            if is_over_capacity(r) {
                row[5].class = "num neg";
            }
            if matches!(v[3], Cell::Int(d) if d < 0) {
                row[3].text.push_str(" (ended)");
                row[3].class = class_of(&Cell::Int(-1));
            }
            row
        })
        .collect();
    let heads: Vec<(&'static str, bool)> = QUOTA_COLUMNS.iter().map(|c| (c.1, c.2)).collect();
    Some(Quotas {
        table: (!rows.is_empty()).then(|| Table::new(&heads, rows, expiring.len())),
        days: EXPIRY_WINDOW_DAYS,
    })
}
