//! The `history` command's page `<stem>.html`: the trends of the recorded
//! runs as one self-contained page, like a run's HTML report (the same
//! head, styles, charts and escaping, `report::html`): licenses used and
//! held over the runs, the utilization of the top accounts over the runs
//! (their names in an HTML legend, so any script lays out), the cores and
//! the unprotected cores when some run has them, with `--group-by` the
//! licenses used by each key's top groups over the runs, and the runs as a
//! table, the latest first, capped. Reads the trend rows as they are;
//! computes nothing.

use std::io::{self, Write};

use askama::Template;

use super::About;
use crate::columns::accounts::{TOTAL_AUTHORIZED, USED_AUTHORIZED, UTILIZATION};
use crate::columns::totals::{self, TotalsColumn};
use crate::history::group_trends::{top_groups, TOP_GROUPS};
use crate::history::trends::{top_accounts, Trends, TOP_ACCOUNTS};
use crate::report::html::chart::{self, Lines, Scale};
use crate::report::html::trend::{cores, licenses_chart, licenses_said, runs_table, times, Cores};
use crate::report::html::{text, Table};

/// The colour classes of the top accounts' (and groups') lines, in their order.
const SERIES: [&str; TOP_ACCOUNTS] = ["s1", "s2", "s3", "s4", "s5"];
const _: () = assert!(TOP_GROUPS <= TOP_ACCOUNTS, "a colour for every top group");

/// One `--group-by` key's top groups over the runs.
struct GroupLines {
    /// The section's id (`groups-1`, ...).
    id: String,
    key: String,
    /// (colour class, group, latest licenses used).
    legend: Vec<(&'static str, String, String)>,
    chart: Lines,
    summary: String,
}

/// The legend rows and the chart's series of `top` (name, values per run),
/// each latest value said by `latest`.
fn legend_and_lines(
    top: Vec<(String, Vec<Option<f64>>)>,
    latest: impl Fn(f64) -> String,
) -> LegendAndLines {
    let legend = top
        .iter()
        .zip(SERIES)
        .map(|((name, values), class)| {
            let last = values.iter().rev().flatten().next();
            (
                class,
                text::name(name),
                last.map_or(text::UNKNOWN.to_string(), |v| latest(*v)),
            )
        })
        .collect();
    let lines = top
        .into_iter()
        .zip(SERIES)
        .map(|((_, v), class)| (class, v))
        .collect();
    (legend, lines)
}

type LegendAndLines = (
    Vec<(&'static str, String, String)>,
    Vec<(&'static str, Vec<Option<f64>>)>,
);

/// The top groups of every `--group-by` key of `t` (none without it).
fn group_lines(t: &Trends) -> Vec<GroupLines> {
    let times = times(&t.runs);
    t.group_by
        .iter()
        .enumerate()
        .filter_map(|(i, key)| {
            let top = top_groups(t, key, TOP_GROUPS);
            if top.is_empty() {
                return None;
            }
            let (legend, lines) = legend_and_lines(top, |v| text::count(v.round() as i64));
            Some(GroupLines {
                id: format!("groups-{}", i + 1),
                key: text::name(key),
                summary: format!(
                    "Licenses used over the runs by the {} groups of {} using the most in the latest run.",
                    legend.len(),
                    text::name(key)
                ),
                legend,
                chart: chart::lines(&times, &lines, Scale::Count),
            })
        })
        .collect()
}

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
    cores: Option<Cores>,
    groups: Vec<GroupLines>,
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
        let (legend, lines) = legend_and_lines(top_accounts(t, TOP_ACCOUNTS), text::pct);
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
            cores: cores(&t.runs),
            groups: group_lines(t),
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
