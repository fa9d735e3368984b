//! The `history` command's page `<stem>.html`: the trends of the recorded
//! runs as one self-contained page, like a run's HTML report (the same
//! head, styles, charts and escaping, `report::html`): licenses used and
//! held over the runs, the utilization of the top accounts over the runs
//! (their names in an HTML legend, so any script lays out), and the runs
//! as a table, the latest first, capped. Reads the trend rows as they are;
//! computes nothing.

use std::io::{self, Write};

use askama::Template;
use chrono::{DateTime, Utc};

use super::output::About;
use super::record::Val;
use super::trends::{col, top_accounts, Trends, RUN_TREND_COLUMNS, TOP_ACCOUNTS};
use crate::report::html::chart::{self, Lines, Scale, Times};
use crate::report::html::{text, trend_axis_labels, Shown, Table, MAX_TABLE_ROWS};
use crate::report::Cell;

/// The colour classes of the top accounts' lines, in their order.
const SERIES: [&str; TOP_ACCOUNTS] = ["s1", "s2", "s3", "s4", "s5"];

/// The page.
#[derive(Template)]
#[template(path = "history.html")]
struct Page {
    title: String,
    facts: Vec<String>,
    licenses: Option<Lines>,
    licenses_summary: String,
    /// The top accounts' legend: (colour class, name, latest utilization).
    legend: Vec<(&'static str, String, String)>,
    accounts: Option<Lines>,
    runs: Table,
}

/// The columns of the runs' table (of [`RUN_TREND_COLUMNS`]), their heads,
/// and whether they are numbers.
const RUN_COLUMNS: [(&str, &str, bool); 8] = [
    ("started_at", "Started", false),
    ("stem", "Run", false),
    ("complete", "Complete", false),
    ("accounts", "Accounts", true),
    ("accounts_error", "Accounts error", true),
    ("used_authorized", "Used", true),
    ("total_authorized", "Held", true),
    ("utilization", "Utilization", true),
];

/// A trend value as a cell (a real number in a utilization column is a ratio).
fn cell<'a>(v: &'a Val, column: &str) -> Cell<'a> {
    match v {
        Val::Null => Cell::Empty,
        Val::Text(s) => Cell::str(s),
        Val::Int(i) => Cell::Int(*i),
        Val::Real(x) if column.ends_with("utilization") => Cell::Ratio(*x),
        Val::Real(x) => Cell::Num(*x),
        Val::Bool(b) => Cell::Bool(*b),
    }
}

/// When each run started, oldest first (an unreadable time: the epoch).
fn starts(t: &Trends) -> Vec<DateTime<Utc>> {
    let c = col(RUN_TREND_COLUMNS, "started_at");
    t.runs
        .iter()
        .map(|r| {
            r[c].text()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map_or(DateTime::<Utc>::UNIX_EPOCH, |d| d.with_timezone(&Utc))
        })
        .collect()
}

/// The time axis of the runs.
fn times(t: &Trends) -> Times {
    let at = starts(t);
    let complete = col(RUN_TREND_COLUMNS, "complete");
    Times {
        seconds: at.iter().map(DateTime::timestamp).collect(),
        incomplete: t
            .runs
            .iter()
            .map(|r| r[complete].bool() != Some(true))
            .collect(),
        labels: match (at.first(), at.last()) {
            (Some(a), Some(b)) => trend_axis_labels(*a, *b),
            _ => Vec::new(),
        },
    }
}

/// The values of the run column `name`, one per run.
fn series(t: &Trends, name: &str) -> Vec<Option<f64>> {
    let c = col(RUN_TREND_COLUMNS, name);
    t.runs.iter().map(|r| r[c].real()).collect()
}

/// The runs' table, the latest first.
fn runs_table(t: &Trends) -> Table {
    let mut columns: Vec<(&str, &'static str, bool)> = RUN_COLUMNS.to_vec();
    if t.scope.is_none() {
        columns.push(("scope", "Scope", false));
    }
    let rows = t
        .runs
        .iter()
        .rev()
        .take(MAX_TABLE_ROWS)
        .map(|r| {
            columns
                .iter()
                .map(|(name, _, _)| {
                    Shown::cell(
                        &cell(&r[col(RUN_TREND_COLUMNS, name)], name),
                        text::MAX_NAME_CHARS,
                    )
                })
                .collect()
        })
        .collect();
    let heads: Vec<(&'static str, bool)> = columns.iter().map(|c| (c.1, c.2)).collect();
    Table::new(&heads, rows, t.runs.len())
}

impl Page {
    fn of(t: &Trends, about: &About<'_>) -> Page {
        let scope = t
            .scope
            .as_deref()
            .map_or_else(|| "every scope".to_string(), text::name);
        let mut facts = vec![
            format!("scope {scope}"),
            format!("{} runs", text::count(t.runs.len() as i64)),
            format!("history {}", text::name(about.history)),
        ];
        if let Some(since) = t.since {
            facts.push(format!("since {}", since.format("%Y-%m-%d %H:%M UTC")));
        }
        let times = times(t);
        let top = top_accounts(t, TOP_ACCOUNTS);
        let legend = top
            .iter()
            .zip(SERIES)
            .map(|((name, values), class)| {
                let latest = values.iter().rev().flatten().next();
                (
                    class,
                    text::name(name),
                    latest.map_or(text::UNKNOWN.to_string(), |r| text::pct(*r)),
                )
            })
            .collect();
        let lines: Vec<(&'static str, Vec<Option<f64>>)> = top
            .into_iter()
            .zip(SERIES)
            .map(|((_, v), class)| (class, v))
            .collect();
        let (used, held) = (series(t, "used_authorized"), series(t, "total_authorized"));
        let said = |v: Option<&Option<f64>>| {
            v.copied()
                .flatten()
                .map_or(text::UNKNOWN.to_string(), |x| text::count(x as i64))
        };
        Page {
            title: format!(
                "TCSS license history, {}",
                about.generated_at.format("%Y-%m-%d %H:%M UTC")
            ),
            facts,
            licenses_summary: format!(
                "{} runs: licenses used {} first and {} last, held {} first and {} last.",
                t.runs.len(),
                said(used.first()),
                said(used.last()),
                said(held.first()),
                said(held.last()),
            ),
            licenses: (!t.runs.is_empty())
                .then(|| chart::lines(&times, &[("held", held), ("used", used)], Scale::Count)),
            accounts: (!lines.is_empty()).then(|| chart::lines(&times, &lines, Scale::Ratio)),
            legend,
            runs: runs_table(t),
        }
    }
}

/// Writes the page of `trends`.
pub fn write<W: Write>(trends: &Trends, about: &About<'_>, mut w: W) -> io::Result<()> {
    Page::of(trends, about)
        .write_into(&mut w)
        .map_err(|e| io::Error::other(format!("the HTML page could not be rendered: {e}")))
}
