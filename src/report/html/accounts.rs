//! The accounts' sections: the key figures (cards; and every total, shown
//! near the end of the page), the most utilized accounts as horizontal
//! bars beside their names, the distribution of utilization as columns,
//! the over-licensed accounts and the scan quotas ending soon. The columns
//! are taken by their handles (`crate::columns`), their labels the tables'.

use crate::aggregate::glance::is_over_capacity;
use crate::aggregate::overuse::shortfall;
use crate::aggregate::AccountRow;
use crate::columns::accounts::{
    ACCOUNT, REMAINING_AUTHORIZED, SCAN_COVERAGE, SCAN_QUOTA_CAPACITY, SCAN_QUOTA_DAYS_LEFT,
    SCAN_QUOTA_END, SCAN_QUOTA_STATUS, SCAN_QUOTA_USED, SCAN_QUOTA_UTILIZATION, TOTAL_AUTHORIZED,
    UIN, USED_AUTHORIZED, UTILIZATION,
};
use crate::columns::totals::{
    Totals, TotalsColumn, ACCOUNTS_ERROR, ACCOUNTS_OK, ACCOUNTS_OVER_LICENSED, ACCOUNTS_PARTIAL,
    LICENSES_IDLE, LICENSES_SHORT, N_ACCOUNTS, N_QUERIES, QUERIES_CANCELLED, QUERIES_FAILED,
    TOTALS,
};
use crate::columns::{Cell, Column};
use crate::report::Report;

use super::chart::{self, Columns, Meters};
use super::text::{self, MAX_NAME_CHARS};
use super::{class_of, heads, ratio, shown, Shown, Table, MAX_TABLE_ROWS};

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
    /// `neg` for a value that is a finding in red (over-use, lapsing
    /// editions), `warn` for one in amber (unprotected cores), else empty.
    pub class: &'static str,
}

/// The key figures (cards), and every total in two tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub cards: Vec<Card>,
    pub totals: [Table; 2],
}

/// The total of an accounts column.
const fn of(column: &'static Column<AccountRow>) -> TotalsColumn {
    TotalsColumn::Of(column)
}

/// One of the totals' own counts.
const fn own(column: &'static Column<Totals>) -> TotalsColumn {
    TotalsColumn::Own(column)
}

/// A card of the total `total` in `t`, named `label`, with `note`.
fn card(t: &Totals, total: TotalsColumn, label: &'static str, note: String) -> Card {
    let c = total.cell(t);
    Card {
        label,
        value: text::cell(&c, MAX_NAME_CHARS),
        note,
        class: if text::is_negative(&c) { "neg" } else { "" },
    }
}

/// The key figures of `report`.
pub fn figures(report: &Report) -> Figures {
    let t = &report.aggregate.totals;
    let show = |total: TotalsColumn| text::cell(&total.cell(t), MAX_NAME_CHARS);
    let remaining = of(&REMAINING_AUTHORIZED);
    let remaining_note = if text::is_negative(&remaining.cell(t)) {
        "more used than held: over-use".to_string()
    } else {
        "held but not used".to_string()
    };
    let mut cards = vec![
        card(
            t,
            own(&N_ACCOUNTS),
            "Accounts",
            format!(
                "{} ok · {} partial · {} error",
                show(own(&ACCOUNTS_OK)),
                show(own(&ACCOUNTS_PARTIAL)),
                show(own(&ACCOUNTS_ERROR))
            ),
        ),
        card(
            t,
            of(&USED_AUTHORIZED),
            "Licenses used",
            format!("of {} held", show(of(&TOTAL_AUTHORIZED))),
        ),
        card(t, remaining, "Licenses remaining", remaining_note),
        over_use_card(t),
        card(
            t,
            of(&UTILIZATION),
            "Utilization",
            "licenses used of held, all accounts".into(),
        ),
    ];
    // The licenses' five cards make the first row; the license picture's
    // (unprotected cores, lapsing editions, when the run knows them) open
    // the second.
    cards.extend(super::editions::cards(report));
    cards.extend([
        card(
            t,
            of(&SCAN_COVERAGE),
            "Scan coverage",
            "images scanned of all images".into(),
        ),
        card(
            t,
            of(&SCAN_QUOTA_UTILIZATION),
            "Scan quota used",
            format!(
                "{} of {} scans",
                show(of(&SCAN_QUOTA_USED)),
                show(of(&SCAN_QUOTA_CAPACITY))
            ),
        ),
        card(
            t,
            own(&QUERIES_FAILED),
            "Failed queries",
            format!(
                "of {} · {} cancelled",
                show(own(&N_QUERIES)),
                show(own(&QUERIES_CANCELLED))
            ),
        ),
    ]);
    Figures {
        cards,
        totals: every_total(t),
    }
}

/// The over-use card: how many accounts use more licenses than they hold,
/// the licenses they are short of and the licenses idle elsewhere (the
/// net remaining hides both when they cancel out).
fn over_use_card(t: &Totals) -> Card {
    let show = |total: TotalsColumn| text::cell(&total.cell(t), MAX_NAME_CHARS);
    let mut c = card(
        t,
        own(&ACCOUNTS_OVER_LICENSED),
        "Over-licensed accounts",
        format!(
            "{} licenses short · {} idle",
            show(own(&LICENSES_SHORT)),
            show(own(&LICENSES_IDLE))
        ),
    );
    if t.accounts_over_licensed > 0 {
        c.class = "neg";
    }
    c
}

/// Every total ([`TOTALS`], in its order), in two tables side by side.
fn every_total(t: &Totals) -> [Table; 2] {
    let rows: Vec<Vec<Shown>> = TOTALS
        .iter()
        .map(|c| {
            vec![
                Shown::text(c.label().to_string()),
                Shown::cell(&c.cell(t), MAX_NAME_CHARS),
            ]
        })
        .collect();
    let half = rows.len().div_ceil(2);
    let (first, second) = rows.split_at(half);
    let heads = [("Total", false), ("Value", true)];
    [
        Table::new(&heads, first.to_vec(), first.len()),
        Table::new(&heads, second.to_vec(), second.len()),
    ]
}

/// The columns of the most utilized accounts' table (the bars go before
/// the last, the utilization).
static TOP_COLUMNS: [&Column<AccountRow>; 6] = [
    &ACCOUNT,
    &UIN,
    &USED_AUTHORIZED,
    &TOTAL_AUTHORIZED,
    &REMAINING_AUTHORIZED,
    &UTILIZATION,
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
    let ratios: Vec<Option<f64>> = rows.iter().map(|r| ratio(&UTILIZATION.cell(r))).collect();
    let meters = chart::meters(&ratios);
    let bar_at = TOP_COLUMNS.len() - 1;
    let body = rows
        .iter()
        .zip(&meters.bars)
        .map(|(r, bar)| {
            let mut row = shown(*r, &TOP_COLUMNS, MAX_NAME_CHARS);
            row.insert(bar_at, Shown::meter(bar.clone()));
            row
        })
        .collect();
    let mut head = heads(&TOP_COLUMNS);
    head.insert(bar_at, ("Chart", false));
    let mut table = Table::new(&head, body, rows.len());
    table.head[bar_at].class = "meter";
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

/// The columns of the over-licensed accounts' table (then the shortfall).
static OVER_COLUMNS: [&Column<AccountRow>; 4] =
    [&ACCOUNT, &UIN, &USED_AUTHORIZED, &TOTAL_AUTHORIZED];

/// The accounts that use more licenses than they hold.
#[derive(Debug, Clone, PartialEq)]
pub struct OverLicensed {
    /// How many (the totals' `accounts_over_licensed`).
    pub count: usize,
    /// The licenses they are short of, as shown.
    pub short: String,
    pub table: Table,
}

/// The over-licensed accounts (`Aggregate::over_licensed`: the largest
/// shortfall first), with their shortfall (none: no section).
pub fn over_licensed(report: &Report) -> Option<OverLicensed> {
    let rows = report.aggregate.over_licensed();
    if rows.is_empty() {
        return None;
    }
    let body = rows
        .iter()
        .take(MAX_TABLE_ROWS)
        .map(|a| {
            let mut row = shown(*a, &OVER_COLUMNS, MAX_NAME_CHARS);
            row.push(Shown::cell(&Cell::int(shortfall(a)), MAX_NAME_CHARS));
            row
        })
        .collect();
    let mut head = heads(&OVER_COLUMNS);
    head.push(("Licenses short", true));
    let short = own(&LICENSES_SHORT).cell(&report.aggregate.totals);
    Some(OverLicensed {
        count: rows.len(),
        short: text::cell(&short, MAX_NAME_CHARS),
        table: Table::new(&head, body, rows.len()),
    })
}

/// The columns of the scan quotas' table.
static QUOTA_COLUMNS: [&Column<AccountRow>; 7] = [
    &ACCOUNT,
    &UIN,
    &SCAN_QUOTA_END,
    &SCAN_QUOTA_DAYS_LEFT,
    &SCAN_QUOTA_STATUS,
    &SCAN_QUOTA_USED,
    &SCAN_QUOTA_CAPACITY,
];

/// Scan quotas ending soon, or a note that none does; and, apart, those
/// already ended, so hundreds that ended long ago never hide the one
/// ending next week.
#[derive(Debug, Clone, PartialEq)]
pub struct Quotas {
    /// `None`: no quota ends within the window.
    pub table: Option<Table>,
    pub days: i64,
    /// The quotas already ended, the most recently ended first, the first
    /// [`ENDED_SHOWN`]; `None` when none has.
    pub ended: Option<Table>,
}

/// The most recently ended quotas shown before "… and K more".
pub const ENDED_SHOWN: usize = 10;

/// Where `column` is in [`QUOTA_COLUMNS`].
fn quota_column(column: &Column<AccountRow>) -> usize {
    QUOTA_COLUMNS
        .iter()
        .position(|c| c.key == column.key)
        .unwrap_or_default()
}

/// A scan quota's row: its use flagged beyond its capacity, its days
/// left flagged once it has ended.
fn quota_row(a: &AccountRow) -> Vec<Shown> {
    let mut row = shown(a, &QUOTA_COLUMNS, MAX_NAME_CHARS);
    if is_over_capacity(a) {
        row[quota_column(&SCAN_QUOTA_USED)].class = "num neg";
    }
    if SCAN_QUOTA_DAYS_LEFT.cell(a).as_int().is_some_and(|d| d < 0) {
        let days = &mut row[quota_column(&SCAN_QUOTA_DAYS_LEFT)];
        days.text.push_str(" (ended)");
        days.class = class_of(&Cell::Int(-1));
    }
    row
}

/// The scan quotas ending within [`EXPIRY_WINDOW_DAYS`], soonest first,
/// and those already ended (no quota end known at all: no section).
pub fn quotas(report: &Report) -> Option<Quotas> {
    let a = &report.aggregate;
    if a.accounts
        .iter()
        .all(|r| SCAN_QUOTA_END.cell(r) == Cell::Empty)
    {
        return None;
    }
    let table = |rows: &[&AccountRow], cap: usize| -> Option<Table> {
        let body: Vec<Vec<Shown>> = rows.iter().take(cap).map(|r| quota_row(r)).collect();
        (!body.is_empty()).then(|| Table::new(&heads(&QUOTA_COLUMNS), body, rows.len()))
    };
    Some(Quotas {
        table: table(&a.quotas_ending(EXPIRY_WINDOW_DAYS), MAX_TABLE_ROWS),
        days: EXPIRY_WINDOW_DAYS,
        ended: table(&a.quotas_ended(), ENDED_SHOWN),
    })
}
