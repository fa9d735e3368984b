//! The trend of the scope's runs from the history: licenses used and held
//! over time (a line chart from 0; incomplete runs hollow), the cores and
//! the unprotected cores when some run has them (issue 21), and the runs'
//! numbers as a table, the latest first. Shown when the history holds at
//! least [`MIN_EARLIER_RUNS`] earlier runs of the scope. The runs are rows
//! of the history's per-run trend table (`history::trends::RUN_TREND_COLUMNS`),
//! read by the totals' handles; the `history` command's page draws its
//! licenses and runs with the same functions.

use chrono::{DateTime, Utc};

use crate::columns::accounts::{TOTAL_AUTHORIZED, USED_AUTHORIZED, UTILIZATION};
use crate::columns::license::{CORES_TOTAL, CORES_UNPROTECTED, EDITIONS_LAPSING_30D};
use crate::columns::totals::TotalsColumn;
use crate::columns::Cell;
use crate::history::trends::{col, RUN_TREND_COLUMNS};
use crate::report::Report;

use super::chart::{self, Lines, Scale, Times};
use super::text::{self, MAX_NAME_CHARS};
use super::{numeric, of_kind, Shown, Table, MAX_TABLE_ROWS};

/// Earlier runs of the scope needed for a trend.
pub const MIN_EARLIER_RUNS: usize = 2;

/// One run: a row of `RUN_TREND_COLUMNS`.
pub(crate) type RunRow = Vec<Cell<'static>>;

/// The section.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub chart: Lines,
    /// What the chart shows, as a sentence (its text alternative).
    pub summary: String,
    /// The cores and the unprotected cores (no run has them: none).
    pub cores: Option<Cores>,
    pub table: Table,
}

/// The cores of the hosts and those left unprotected over the runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Cores {
    pub chart: Lines,
    /// What the chart shows, as a sentence (its text alternative).
    pub summary: String,
}

/// The dates under a time axis from `first` to `last`: at its start,
/// middle and end (days, or hours within two days), or one when they are
/// the same.
pub(crate) fn axis_labels(first: DateTime<Utc>, last: DateTime<Utc>) -> Vec<String> {
    let span = last - first;
    let format = if span >= chrono::Duration::days(2) {
        "%Y-%m-%d"
    } else {
        "%m-%d %H:%M"
    };
    let middle = first + span / 2;
    let labels: Vec<String> = [first, middle, last]
        .iter()
        .map(|t| t.format(format).to_string())
        .collect();
    if labels[0] == labels[2] {
        vec![labels[1].clone()]
    } else {
        labels
    }
}

/// The value of the run column `name` in `row`.
fn value<'a>(row: &'a RunRow, name: &str) -> &'a Cell<'static> {
    &row[col(&RUN_TREND_COLUMNS, name)]
}

/// When a run started (unreadable: the epoch).
fn started(row: &RunRow) -> DateTime<Utc> {
    value(row, "started_at")
        .as_text()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map_or(DateTime::<Utc>::UNIX_EPOCH, |d| d.with_timezone(&Utc))
}

/// Whether a run had every answer.
fn complete(row: &RunRow) -> bool {
    value(row, "complete").as_bool() == Some(true)
}

/// The time axis of `runs`, oldest first.
pub(crate) fn times(runs: &[RunRow]) -> Times {
    let at: Vec<DateTime<Utc>> = runs.iter().map(started).collect();
    Times {
        seconds: at.iter().map(DateTime::timestamp).collect(),
        incomplete: runs.iter().map(|r| !complete(r)).collect(),
        labels: match (at.first(), at.last()) {
            (Some(a), Some(b)) => axis_labels(*a, *b),
            _ => Vec::new(),
        },
    }
}

/// The total `total` of each run.
pub(crate) fn series(runs: &[RunRow], total: TotalsColumn) -> Vec<Option<f64>> {
    runs.iter()
        .map(|r| value(r, total.key()).as_real())
        .collect()
}

/// Licenses held and used over `runs`, from 0.
pub(crate) fn licenses_chart(runs: &[RunRow]) -> Lines {
    let held = series(runs, TotalsColumn::Of(&TOTAL_AUTHORIZED));
    let used = series(runs, TotalsColumn::Of(&USED_AUTHORIZED));
    chart::lines(
        &times(runs),
        &[("held", held), ("used", used)],
        Scale::Count,
    )
}

/// What [`licenses_chart`] shows, in words: the licenses used and held
/// in the first and the last run.
pub(crate) fn licenses_said(runs: &[RunRow]) -> [String; 4] {
    let said = |row: Option<&RunRow>, total: TotalsColumn| {
        row.and_then(|r| value(r, total.key()).as_int())
            .map_or_else(|| text::UNKNOWN.to_string(), text::count)
    };
    let (used, held) = (
        TotalsColumn::Of(&USED_AUTHORIZED),
        TotalsColumn::Of(&TOTAL_AUTHORIZED),
    );
    [
        said(runs.first(), used),
        said(runs.last(), used),
        said(runs.first(), held),
        said(runs.last(), held),
    ]
}

/// The runs as a table, the latest first: when, which, whether complete,
/// then `totals`, and with `scope`, the run's scope.
pub(crate) fn runs_table(runs: &[RunRow], totals: &[TotalsColumn], scope: bool) -> Table {
    let rows = runs
        .iter()
        .rev()
        .take(MAX_TABLE_ROWS)
        .map(|r| {
            let mut row = vec![
                Shown::text(started(r).format("%Y-%m-%d %H:%M UTC").to_string()),
                Shown::cell(value(r, "stem"), MAX_NAME_CHARS),
                Shown::text(if complete(r) { "yes" } else { "no" }.into()),
            ];
            row.extend(
                totals
                    .iter()
                    .map(|t| Shown::cell(&of_kind(value(r, t.key()), t.kind()), MAX_NAME_CHARS)),
            );
            if scope {
                row.push(Shown::cell(value(r, "scope"), MAX_NAME_CHARS));
            }
            row
        })
        .collect();
    let mut heads = vec![("Started", false), ("Run", false), ("Complete", false)];
    heads.extend(totals.iter().map(|t| (t.label(), numeric(t.kind()))));
    if scope {
        heads.push(("Scope", false));
    }
    Table::new(&heads, rows, runs.len())
}

/// The totals the trend's table shows.
static SHOWN: [TotalsColumn; 3] = [
    TotalsColumn::Of(&USED_AUTHORIZED),
    TotalsColumn::Of(&TOTAL_AUTHORIZED),
    TotalsColumn::Of(&UTILIZATION),
];

/// The totals the trend's table shows too when some run has unprotected cores.
static SHOWN_CORES: [TotalsColumn; 2] = [
    TotalsColumn::Of(&CORES_UNPROTECTED),
    TotalsColumn::Own(&EDITIONS_LAPSING_30D),
];

/// The cores and the unprotected cores over `runs`, from 0 (no run knows
/// the unprotected cores, as runs before the license picture: none).
pub(crate) fn cores(runs: &[RunRow]) -> Option<Cores> {
    let unprotected = series(runs, TotalsColumn::Of(&CORES_UNPROTECTED));
    if unprotected.iter().all(Option::is_none) {
        return None;
    }
    let total = series(runs, TotalsColumn::Of(&CORES_TOTAL));
    let said = |row: Option<&RunRow>| {
        row.and_then(|r| value(r, CORES_UNPROTECTED.key).as_int())
            .map_or_else(|| text::UNKNOWN.to_string(), text::count)
    };
    let summary = format!(
        "Unprotected cores {} in the first run, {} in the latest.",
        said(runs.first()),
        said(runs.last())
    );
    Some(Cores {
        chart: chart::lines(
            &times(runs),
            &[("held", total), ("unprotected", unprotected)],
            Scale::Count,
        ),
        summary,
    })
}

/// The trend of `report`'s scope (too few earlier runs: none).
pub fn section(report: &Report) -> Option<Trend> {
    let runs = &report.trend;
    if runs.len() < MIN_EARLIER_RUNS + 1 {
        return None;
    }
    let [used_then, used_now, held_then, held_now] = licenses_said(runs);
    let summary = format!(
        "{} runs from {} to {}: licenses used {used_then} then {used_now} now, held {held_then} then {held_now} now.",
        runs.len(),
        started(runs.first()?).format("%Y-%m-%d %H:%M UTC"),
        started(runs.last()?).format("%Y-%m-%d %H:%M UTC"),
    );
    let cores = cores(runs);
    let mut shown = SHOWN.to_vec();
    if cores.is_some() {
        shown.extend(SHOWN_CORES);
    }
    Some(Trend {
        chart: licenses_chart(runs),
        summary,
        cores,
        table: runs_table(runs, &shown, false),
    })
}
