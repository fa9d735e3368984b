//! The top of the page: the title with the run's date and state
//! (`complete` or `INCOMPLETE`, and `SIMULATED`, `SUBSET` when they apply,
//! each with why), the exit code the run had when the report was written
//! and what it means, and one line of facts.

use crate::report::Report;

use super::text;

/// The page's `<title>`, heading and state.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// The `<title>`: `TCSS licenses 2026-02-01 00:00 UTC (complete)`.
    pub title: String,
    /// When the run started, `2026-02-01 00:00 UTC`.
    pub when: String,
    pub states: Vec<State>,
    /// What the run covers when it is not the fleet's real numbers
    /// (`SUBSET`, `SIMULATED`), as the Markdown's notes say it.
    pub banners: Vec<Banner>,
    pub exit: Option<Exit>,
    /// Accounts, queries, region scope, stem, version.
    pub facts: Vec<String>,
    /// The file stem (the footer).
    pub stem: String,
    /// tcss-report's version (the footer).
    pub version: String,
}

/// A state of the run: its word, its colour class and why it applies
/// (empty for `SIMULATED` and `SUBSET`: their banners say it).
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub word: &'static str,
    pub class: &'static str,
    pub why: String,
}

/// A note above everything: its word and what it means for the numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Banner {
    pub word: &'static str,
    pub text: String,
}

/// The banners of a subset's or a simulated run.
fn banners(report: &Report) -> Vec<Banner> {
    let run = &report.aggregate.run;
    let mut out = Vec::new();
    if run.is_subset() {
        out.push(Banner {
            word: "SUBSET",
            text: format!(
                "only the accounts selected by {}; the totals are theirs, not the whole fleet's.",
                text::name(&run.scope.selection.join(" "))
            ),
        });
    }
    if run.simulated {
        out.push(Banner {
            word: "SIMULATED",
            text: "the numbers come from the built-in simulator, not from Tencent Cloud.".into(),
        });
    }
    out
}

/// The exit code at the time of writing.
#[derive(Debug, Clone, PartialEq)]
pub struct Exit {
    pub code: u8,
    pub meaning: String,
    /// `ok` (0), `warn` (3, 4) or `bad`.
    pub class: &'static str,
}

/// The top of the page of `report`.
pub fn head(report: &Report) -> Head {
    let run = &report.aggregate.run;
    let t = &report.aggregate.totals;
    let when = run.started_at.format("%Y-%m-%d %H:%M UTC").to_string();
    let states = states(report);
    let words: Vec<&str> = states.iter().map(|s| s.word).collect();
    let mut facts = vec![
        format!("{} accounts", text::count(t.accounts as i64)),
        format!("{} queries", text::count(t.queries as i64)),
        format!("region scope {}", run.region_scope.as_str()),
        format!("run {}", text::name(&run.stem)),
    ];
    if !run.scope.selection.is_empty() {
        facts.push(format!(
            "selection {}",
            text::name(&run.scope.selection.join(" "))
        ));
    }
    Head {
        title: format!("TCSS licenses {when} ({})", words.join(", ")),
        when,
        states,
        banners: banners(report),
        exit: report.exit.as_ref().map(|e| Exit {
            code: e.code,
            meaning: text::clean(&e.meaning, text::MAX_MESSAGE_CHARS),
            class: match e.code {
                0 => "ok",
                3 | 4 => "warn",
                _ => "bad",
            },
        }),
        facts,
        stem: text::name(&run.stem),
        version: text::name(&run.version),
    }
}

/// Every state that applies: complete or not, simulated, a subset.
fn states(report: &Report) -> Vec<State> {
    let run = &report.aggregate.run;
    let cancelled = report.aggregate.totals.queries_cancelled;
    // Incomplete because an organization could not be listed, not interrupted.
    let listing_failed = cancelled == 0 && run.organizations.iter().any(|o| o.error_code.is_some());
    let mut states = vec![if run.complete {
        State {
            word: "complete",
            class: "ok",
            why: "every answer is in".into(),
        }
    } else if listing_failed {
        State {
            word: "INCOMPLETE",
            class: "bad",
            why: "an organization's members could not be listed: accounts may be missing".into(),
        }
    } else {
        State {
            word: "INCOMPLETE",
            class: "bad",
            why: format!(
                "the run was interrupted: {} queries were cancelled and the numbers are incomplete",
                text::count(cancelled as i64)
            ),
        }
    }];
    // What SIMULATED and SUBSET mean is the banners' (`banners`).
    for word in run.marks() {
        states.push(State {
            word,
            class: "note",
            why: String::new(),
        });
    }
    states
}
