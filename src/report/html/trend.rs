//! The trend of the scope's runs from the history: licenses used and held
//! over time (a line chart from 0; incomplete runs hollow), and the runs'
//! numbers as a table, the latest first. Shown when the history holds at
//! least [`MIN_EARLIER_RUNS`] earlier runs of the scope.

use chrono::{DateTime, Utc};

use crate::model::RunPoint;
use crate::report::{Cell, Report};

use super::chart::{self, Lines, Scale, Times};
use super::text::{self, MAX_NAME_CHARS};
use super::{Shown, Table, MAX_TABLE_ROWS};

/// Earlier runs of the scope needed for a trend.
pub const MIN_EARLIER_RUNS: usize = 2;

/// The section.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub chart: Lines,
    /// What the chart shows, as a sentence (its text alternative).
    pub summary: String,
    pub table: Table,
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

/// The time axis of `points`.
fn times(points: &[RunPoint]) -> Times {
    let (first, last) = match (points.first(), points.last()) {
        (Some(a), Some(b)) => (a.started_at, b.started_at),
        _ => (DateTime::<Utc>::UNIX_EPOCH, DateTime::<Utc>::UNIX_EPOCH),
    };
    Times {
        seconds: points.iter().map(|p| p.started_at.timestamp()).collect(),
        incomplete: points.iter().map(|p| !p.complete).collect(),
        labels: axis_labels(first, last),
    }
}

/// A count as a sentence says it.
fn said(n: Option<i64>) -> String {
    n.map_or_else(|| text::UNKNOWN.to_string(), text::count)
}

/// The trend of `report`'s scope (too few earlier runs: none).
pub fn section(report: &Report) -> Option<Trend> {
    let points = &report.trend;
    if points.len() < MIN_EARLIER_RUNS + 1 {
        return None;
    }
    let (first, last) = (points.first()?, points.last()?);
    let used: Vec<Option<f64>> = points
        .iter()
        .map(|p| p.licenses_used.map(|v| v as f64))
        .collect();
    let held: Vec<Option<f64>> = points
        .iter()
        .map(|p| p.licenses_total.map(|v| v as f64))
        .collect();
    let chart = chart::lines(
        &times(points),
        &[("held", held), ("used", used)],
        Scale::Count,
    );
    let summary = format!(
        "{} runs from {} to {}: licenses used {} then {} now, held {} then {} now.",
        points.len(),
        first.started_at.format("%Y-%m-%d %H:%M UTC"),
        last.started_at.format("%Y-%m-%d %H:%M UTC"),
        said(first.licenses_used),
        said(last.licenses_used),
        said(first.licenses_total),
        said(last.licenses_total),
    );
    let rows = points
        .iter()
        .rev()
        .take(MAX_TABLE_ROWS)
        .map(|p| {
            vec![
                Shown::text(p.started_at.format("%Y-%m-%d %H:%M UTC").to_string()),
                Shown::cell(&Cell::str(&p.stem), MAX_NAME_CHARS),
                Shown::text(if p.complete { "yes" } else { "no" }.into()),
                Shown::cell(&Cell::int(p.licenses_used), MAX_NAME_CHARS),
                Shown::cell(&Cell::int(p.licenses_total), MAX_NAME_CHARS),
                Shown::cell(&Cell::ratio(p.utilization), MAX_NAME_CHARS),
            ]
        })
        .collect();
    let heads = [
        ("Started", false),
        ("Run", false),
        ("Complete", false),
        ("Used", true),
        ("Held", true),
        ("Utilization", true),
    ];
    Some(Trend {
        chart,
        summary,
        table: Table::new(&heads, rows, points.len()),
    })
}
