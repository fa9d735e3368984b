//! The `history` command's page `<stem>.html`: the trends of the recorded
//! runs as one self-contained page, like a run's HTML report (the same
//! head, styles, charts and escaping, `report::html`): licenses used and
//! held over the runs, the utilization of the top accounts over the runs
//! (their names in an HTML legend, so any script lays out), and the runs
//! as a table, the latest first, capped. Reads the trend rows as they are;
//! computes nothing.

use std::io::{self, Write};

use askama::Template;

use super::About;
use crate::columns::accounts::{TOTAL_AUTHORIZED, USED_AUTHORIZED, UTILIZATION};
use crate::columns::totals::{self, TotalsColumn};
use crate::history::trends::{top_accounts, Trends, TOP_ACCOUNTS};
use crate::report::html::chart::{self, Lines, Scale};
use crate::report::html::trend::{licenses_chart, licenses_said, runs_table, times};
use crate::report::html::{text, Table};

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

/// The totals of the runs' table (after when, which and whether complete).
static RUN_TOTALS: [TotalsColumn; 5] = [
    TotalsColumn::Own(&totals::N_ACCOUNTS),
    TotalsColumn::Own(&totals::ACCOUNTS_ERROR),
    TotalsColumn::Of(&USED_AUTHORIZED),
    TotalsColumn::Of(&TOTAL_AUTHORIZED),
    TotalsColumn::Of(&UTILIZATION),
];

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
        let times = times(&t.runs);
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
        let [used_first, used_last, held_first, held_last] = licenses_said(&t.runs);
        Page {
            title: format!(
                "TCSS license history, {}",
                about.generated_at.format("%Y-%m-%d %H:%M UTC")
            ),
            facts,
            licenses_summary: format!(
                "{} runs: licenses used {used_first} first and {used_last} last, held {held_first} first and {held_last} last.",
                t.runs.len(),
            ),
            licenses: (!t.runs.is_empty()).then(|| licenses_chart(&t.runs)),
            accounts: (!lines.is_empty()).then(|| chart::lines(&times, &lines, Scale::Ratio)),
            legend,
            runs: runs_table(&t.runs, &RUN_TOTALS, t.scope.is_none()),
        }
    }
}

/// Writes the page of `trends`.
pub fn write<W: Write>(trends: &Trends, about: &About<'_>, mut w: W) -> io::Result<()> {
    Page::of(trends, about)
        .write_into(&mut w)
        .map_err(|e| io::Error::other(format!("the HTML page could not be rendered: {e}")))
}
