//! What every notification says, from the pure stages' numbers: the
//! [`Summary`] of a run (its title with the state and the exit code, the
//! totals, the breaches grouped by expression, the over-licensed accounts,
//! the lapsing editions, the failures' count, the stem), and [`fit`], which
//! cuts a rendering to a platform's limit by showing fewer items of each
//! list, the rest counted ("… and K more"). Pure: no I/O, no clock.
//!
//! Each platform's module renders a `Summary` in its own format and
//! escapes user text (account names, expressions) for it; the texts here
//! are plain, cleaned of control characters and capped in length.

use crate::aggregate::AccountStatus;
use crate::columns::accounts::{
    REMAINING_AUTHORIZED, TOTAL_AUTHORIZED, USED_AUTHORIZED, UTILIZATION,
};
use crate::columns::license::LAPSING_DAYS;
use crate::columns::totals::TOTALS;
use crate::columns::{thousands, Cell};
use crate::report::Report;

/// The longest account name or expression shown, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Account names shown per breached expression.
pub const NAMES_PER_BREACH: usize = 3;

/// How a run went, for the platforms that color a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Exit 0.
    Ok,
    /// Some queries failed or a threshold was breached (3, 4).
    Warning,
    /// The run failed, was interrupted or no query answered (1, 5, 130).
    Problem,
}

/// The run's totals a message shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    /// Accounts in the run.
    pub accounts: usize,
    /// Accounts `ok`.
    pub accounts_ok: usize,
    /// Accounts `partial`.
    pub accounts_partial: usize,
    /// Accounts `error`.
    pub accounts_error: usize,
    /// Image licenses held (`None` when no account knows).
    pub licenses_held: Option<i64>,
    /// Image licenses used.
    pub licenses_used: Option<i64>,
    /// Held minus used.
    pub licenses_left: Option<i64>,
    /// Used over held, weighted.
    pub usage_ratio: Option<f64>,
    /// Queries in the run.
    pub queries: usize,
    /// Queries that failed.
    pub queries_failed: usize,
    /// Queries cancelled by an interrupt.
    pub queries_cancelled: usize,
}

/// The breaches of one expression.
#[derive(Debug, Clone, PartialEq)]
pub struct BreachGroup {
    /// The expression as written (cleaned, capped).
    pub expression: String,
    /// Breaches of it (accounts, or 1 for the totals).
    pub count: usize,
    /// Who breached it, in report order: account names, `total` for the
    /// totals (the first [`NAMES_PER_BREACH`]).
    pub names: Vec<String>,
}

/// An account using more image licenses than it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct OverLicensed {
    /// Its name (cleaned, capped).
    pub account: String,
    /// Its UIN, when known.
    pub uin: Option<String>,
    /// Licenses used.
    pub used: i64,
    /// Licenses held.
    pub total: i64,
    /// `used - total`.
    pub short: i64,
}

/// An account whose edition lapses soon (for want of renewal).
#[derive(Debug, Clone, PartialEq)]
pub struct Lapsing {
    /// Its name (cleaned, capped).
    pub account: String,
    /// Its UIN, when known.
    pub uin: Option<String>,
    /// Whole days until the edition lapses.
    pub days: i64,
}

/// Everything a notification says about a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// One line: the tool, the state, what the exit code means, the code.
    pub title: String,
    /// The exit code the run ends with.
    pub exit_code: u8,
    /// What it means, in words.
    pub exit_meaning: String,
    /// For the platforms that color a message.
    pub severity: Severity,
    /// Every answer is in (no interrupt, every organization listed).
    pub complete: bool,
    /// A `--simulate` run.
    pub simulated: bool,
    /// The selection of a subset run (`--only`, `--exclude`); empty: every
    /// account.
    pub selection: Vec<String>,
    /// The report files' stem.
    pub stem: String,
    /// When the report was generated (RFC 3339).
    pub generated_at: String,
    /// The totals.
    pub totals: Totals,
    /// Every total of the report, by its JSON key (the totals table), for
    /// the webhook's JSON.
    pub totals_table: Vec<(&'static str, Cell<'static>)>,
    /// Breaches, one group per expression, in the order first breached.
    pub breaches: Vec<BreachGroup>,
    /// Breaches in all.
    pub breaches_total: usize,
    /// Over-licensed accounts, the largest shortfall first.
    pub over_licensed: Vec<OverLicensed>,
    /// Licenses short over those accounts.
    pub licenses_short: i64,
    /// Editions lapsing within 30 days, soonest first.
    pub lapsing: Vec<Lapsing>,
    /// Queries that did not answer (failed or cancelled).
    pub failures: usize,
    /// Organizations whose member list could not be read.
    pub organizations_failed: usize,
}

impl Summary {
    /// The summary of `report`, for a run ending with `exit_code`, which
    /// means `exit_meaning`.
    pub fn of(report: &Report, exit_code: u8, exit_meaning: &str) -> Summary {
        let t = &report.aggregate.totals;
        let (over_licensed, licenses_short) = over_licensed(report);
        let severity = match exit_code {
            0 => Severity::Ok,
            3 | 4 => Severity::Warning,
            _ => Severity::Problem,
        };
        let mut tags = String::new();
        for mark in report.aggregate.run.marks() {
            tags.push_str(&format!("[{mark}] "));
        }
        if !report.aggregate.run.complete {
            tags.push_str("[INCOMPLETE] ");
        }
        Summary {
            title: format!("{tags}TCSS licenses: {exit_meaning} (exit {exit_code})"),
            exit_code,
            exit_meaning: exit_meaning.to_string(),
            severity,
            complete: report.aggregate.run.complete,
            simulated: report.aggregate.run.simulated,
            selection: report.aggregate.run.scope.selection.clone(),
            stem: report.aggregate.run.stem.clone(),
            generated_at: report
                .aggregate
                .generated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            totals_table: TOTALS
                .iter()
                .map(|c| (c.key(), c.cell(t).into_owned()))
                .collect(),
            totals: Totals {
                accounts: t.accounts,
                accounts_ok: t.accounts_ok,
                accounts_partial: t.accounts_partial,
                accounts_error: t.accounts_error,
                licenses_held: t.of(&TOTAL_AUTHORIZED).as_int(),
                licenses_used: t.of(&USED_AUTHORIZED).as_int(),
                licenses_left: t.of(&REMAINING_AUTHORIZED).as_int(),
                usage_ratio: t.of(&UTILIZATION).as_real(),
                queries: t.queries,
                queries_failed: t.queries_failed,
                queries_cancelled: t.queries_cancelled,
            },
            breaches: breach_groups(report),
            breaches_total: report.breaches.len(),
            over_licensed,
            licenses_short,
            lapsing: lapsing(report),
            failures: report.aggregate.failure_count(),
            organizations_failed: report
                .aggregate
                .run
                .organizations
                .iter()
                .filter(|o| o.error_code.is_some())
                .count(),
        }
    }

    /// The longest list: the most items any rendering can show.
    pub fn longest_list(&self) -> usize {
        self.breaches
            .len()
            .max(self.over_licensed.len())
            .max(self.lapsing.len())
    }

    /// The plain lines every format opens with: the run, the accounts,
    /// the licenses, the queries.
    pub fn facts(&self) -> Vec<String> {
        let t = &self.totals;
        let mut state = if self.complete {
            "complete".to_string()
        } else {
            "INCOMPLETE: some answers are missing".to_string()
        };
        if self.simulated {
            state.push_str(", SIMULATED");
        }
        if !self.selection.is_empty() {
            state.push_str(&format!(", SUBSET: {}", short(&self.selection.join(" "))));
        }
        let mut lines = vec![
            format!("Run {} ({state})", self.stem),
            format!(
                "Accounts: {} (ok {}, partial {}, error {})",
                thousands(t.accounts as i64),
                thousands(t.accounts_ok as i64),
                thousands(t.accounts_partial as i64),
                thousands(t.accounts_error as i64)
            ),
        ];
        if let (Some(total), Some(used)) = (t.licenses_held, t.licenses_used) {
            let ratio = t
                .usage_ratio
                .map(|u| format!(" ({:.1}%)", u * 100.0))
                .unwrap_or_default();
            let left = t
                .licenses_left
                .map(|r| format!(", {} left", thousands(r)))
                .unwrap_or_default();
            lines.push(format!(
                "Image licenses: {} used of {}{ratio}{left}",
                thousands(used),
                thousands(total)
            ));
        }
        lines.push(format!(
            "Queries: {} ({} failed, {} cancelled)",
            thousands(t.queries as i64),
            thousands(t.queries_failed as i64),
            thousands(t.queries_cancelled as i64)
        ));
        lines
    }

    /// The failures line, when anything failed.
    pub fn failures_line(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.failures > 0 {
            parts.push(format!(
                "{} queries did not answer (the reports' Errors list them all)",
                thousands(self.failures as i64)
            ));
        }
        if self.organizations_failed > 0 {
            parts.push(format!(
                "{} organizations could not be listed",
                self.organizations_failed
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

impl BreachGroup {
    /// `12 breaches` (plain).
    pub fn count_words(&self) -> String {
        let noun = if self.count == 1 {
            "breach"
        } else {
            "breaches"
        };
        format!("{} {noun}", thousands(self.count as i64))
    }

    /// `12 breaches: a, b, c …` with the names given (already written in
    /// the format).
    pub fn who(&self, names: &[String]) -> String {
        let mut out = self.count_words();
        if !names.is_empty() {
            out.push_str(": ");
            out.push_str(&names.join(", "));
            if self.count > names.len() {
                out.push_str(" …");
            }
        }
        out
    }
}

impl OverLicensed {
    /// `120 used of 100, 20 short` (the numbers only).
    pub fn numbers(&self) -> String {
        format!(
            "{} used of {}, {} short",
            thousands(self.used),
            thousands(self.total),
            thousands(self.short)
        )
    }
}

/// The line that ends a list cut after `shown` of `total` items.
pub fn and_more(shown: usize, total: usize) -> Option<String> {
    (total > shown).then(|| format!("… and {} more", thousands((total - shown) as i64)))
}

/// How a chat platform writes a message's parts (see [`markdown`]).
#[derive(Debug, Clone, Copy)]
pub struct Markup {
    /// A section's heading, from plain text of ours.
    pub heading: fn(&str) -> String,
    /// User text (names, expressions), made inert: shown as written.
    pub code: fn(&str) -> String,
    /// Plain text of ours, escaped where the format needs it.
    pub text: fn(&str) -> String,
    /// What starts a list item.
    pub bullet: &'static str,
    /// What separates the opening lines.
    pub line_break: &'static str,
}

/// The body of a chat message (the title is the platform's business):
/// the facts, then the breaches, the over-licensed accounts, the lapsing
/// editions (each list at most `cap` items, the rest counted), the
/// failures and the stem.
pub fn markdown(s: &Summary, cap: usize, m: &Markup) -> String {
    let facts: Vec<String> = s.facts().iter().map(|f| (m.text)(f)).collect();
    let mut out = facts.join(m.line_break);
    let mut section = |heading: String, items: Vec<String>, total: usize| {
        out.push_str("\n\n");
        out.push_str(&(m.heading)(&heading));
        for item in items.iter().chain(and_more(items.len(), total).iter()) {
            out.push('\n');
            out.push_str(m.bullet);
            out.push_str(item);
        }
    };
    if !s.breaches.is_empty() {
        let items = s.breaches.iter().take(cap).map(|g| {
            let mut item = format!(
                "{}: {}",
                (m.code)(&g.expression),
                (m.text)(&g.count_words())
            );
            let names: Vec<String> = g.names.iter().map(|n| (m.code)(n)).collect();
            if !names.is_empty() {
                item.push_str(": ");
                item.push_str(&names.join(", "));
                if g.count > names.len() {
                    item.push_str(" …");
                }
            }
            item
        });
        let heading = format!(
            "Thresholds breached ({})",
            thousands(s.breaches_total as i64)
        );
        section(heading, items.collect(), s.breaches.len());
    }
    if !s.over_licensed.is_empty() {
        let items = s.over_licensed.iter().take(cap).map(|o| {
            let uin = o
                .uin
                .as_deref()
                .map(|u| format!(" ({u})"))
                .unwrap_or_default();
            format!(
                "{}{}: {}",
                (m.code)(&o.account),
                (m.text)(&uin),
                (m.text)(&o.numbers())
            )
        });
        let heading = format!(
            "Over-licensed accounts ({}, {} licenses short)",
            thousands(s.over_licensed.len() as i64),
            thousands(s.licenses_short)
        );
        section(heading, items.collect(), s.over_licensed.len());
    }
    if !s.lapsing.is_empty() {
        let items = s.lapsing.iter().take(cap).map(|l| {
            let uin = l
                .uin
                .as_deref()
                .map(|u| format!(" ({u})"))
                .unwrap_or_default();
            format!(
                "{}{}: {} days",
                (m.code)(&l.account),
                (m.text)(&uin),
                l.days
            )
        });
        let heading = format!("Editions lapsing within 30 days ({})", s.lapsing.len());
        section(heading, items.collect(), s.lapsing.len());
    }
    if let Some(line) = s.failures_line() {
        out.push_str("\n\n");
        out.push_str(&(m.heading)("Failures"));
        out.push('\n');
        out.push_str(&(m.text)(&line));
    }
    out.push_str("\n\n");
    out.push_str(&(m.text)("Reports: "));
    out.push_str(&(m.code)(&format!("{}.*", s.stem)));
    out
}

/// `text` made inert in a chat platform's Markdown, in a code span:
/// backticks become quotes, and a `<` that could open a tag (`<@all>`,
/// `<font`, `</`, `<!`) its look-alike `‹`, so it shows as written and
/// formats, mentions or links nothing. A `<` of an expression (`< 0`,
/// `<=`) stays.
pub fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('`');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' => out.push('\''),
            '<' if chars
                .peek()
                .is_some_and(|n| n.is_alphabetic() || matches!(n, '@' | '/' | '!' | '?')) =>
            {
                out.push('‹')
            }
            c => out.push(c),
        }
    }
    out.push('`');
    out
}

/// The breaches grouped by expression, in the order first breached
/// (`thresholds::group`).
fn breach_groups(report: &Report) -> Vec<BreachGroup> {
    crate::thresholds::by_expression(&report.breaches)
        .into_iter()
        .map(|g| BreachGroup {
            expression: short(g.expression),
            count: g.count(),
            names: g
                .breaches
                .iter()
                .take(NAMES_PER_BREACH)
                .map(|b| short(&b.subject()))
                .collect(),
        })
        .collect()
}

/// The accounts using more licenses than they hold, the largest shortfall
/// first (`Aggregate::over_licensed`: the accounts the totals'
/// `accounts_over_licensed` counts); and the totals' `licenses_short`.
fn over_licensed(report: &Report) -> (Vec<OverLicensed>, i64) {
    let rows = report
        .aggregate
        .over_licensed()
        .into_iter()
        .filter_map(|a| {
            let used = USED_AUTHORIZED.cell(a).as_int()?;
            let total = TOTAL_AUTHORIZED.cell(a).as_int()?;
            Some(OverLicensed {
                account: short(&a.account),
                uin: a.uin.clone(),
                used,
                total,
                short: crate::aggregate::overuse::shortfall(a)?,
            })
        })
        .collect();
    (rows, report.aggregate.totals.licenses_short.unwrap_or(0))
}

/// Editions lapsing within 30 days (`0 <= days_to_lapse <= 30`, no
/// automatic renewal), soonest first (each account once,
/// `Aggregate::lapsing_editions`); every platform renders them as a section
/// shown only when the list is not empty.
fn lapsing(report: &Report) -> Vec<Lapsing> {
    report
        .aggregate
        .lapsing_editions(LAPSING_DAYS)
        .into_iter()
        .filter(|a| a.status != AccountStatus::Error)
        .map(|a| Lapsing {
            account: short(&a.account),
            uin: a.uin.clone(),
            days: a.license.days_to_lapse.unwrap_or_default(),
        })
        .collect()
}

/// `text` on one line without control characters, at most
/// [`MAX_NAME_CHARS`] characters (a longer one ends with `…`).
pub fn short(text: &str) -> String {
    // Twice the cap, so a text cut here is cut by this function, with `…`.
    let clean = crate::sanitize::clean(text, 2 * MAX_NAME_CHARS);
    if clean.chars().count() <= MAX_NAME_CHARS {
        return clean.into_owned();
    }
    let mut out: String = clean.chars().take(MAX_NAME_CHARS - 1).collect();
    out.push('…');
    out
}

/// The rendering `render(cap)` with the largest `cap` (items shown per
/// list, at most `max_cap`) whose `measure` is at most `limit`; with
/// `cap` 0 when none fits (the lists then show only their counts, which
/// every platform's limit holds many times over).
pub fn fit(
    limit: usize,
    max_cap: usize,
    measure: impl Fn(&str) -> usize,
    render: impl Fn(usize) -> String,
) -> String {
    let whole = render(max_cap);
    if measure(&whole) <= limit {
        return whole;
    }
    // The largest fitting cap in [lo, hi): lo fits (or is 0), hi does not.
    let (mut lo, mut hi) = (0, max_cap);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if measure(&render(mid)) <= limit {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    render(lo)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::aggregate::aggregate;
    use crate::model::{QueryOutcome, RegionScope};
    use crate::report::Report;
    use crate::test_support::{account, data, ok, run_info};
    use crate::thresholds::{Breach, Metric, Op, Scope, Unit};

    /// A run of `n` accounts, the first `over` of them over-licensed
    /// (`used = total + 1 + i % 7`), each of those breaching
    /// `remaining_authorized < 0`, plus one total breach; with a name
    /// that tries markup in every platform.
    pub(crate) fn big_report(n: usize, over: usize) -> Report {
        let infos: Vec<_> = (0..n)
            .map(|i| {
                let name = if i == 0 {
                    "<@all> *bold* [x](https://evil.example) `tick` &amp;".to_string()
                } else {
                    format!("account-{i:05}")
                };
                let mut a = account(&name, &["ap-guangzhou"]);
                a.uin = Some(format!("{}", 100_000_000_000u64 + i as u64));
                a
            })
            .collect();
        let outcomes: Vec<QueryOutcome> = (0..n)
            .map(|i| {
                let (total, used) = if i < over {
                    (100, 101 + (i % 7) as i64)
                } else {
                    (100, 50)
                };
                ok(i, "ap-guangzhou", data(total, used))
            })
            .collect();
        let mut report = Report::new(aggregate(&infos, &outcomes, run_info(RegionScope::Account)));
        let breach = |who: Option<(String, Option<String>)>, expr: &str, value: f64| Breach {
            scope: if who.is_some() {
                Scope::Account
            } else {
                Scope::Total
            },
            uin: who.as_ref().and_then(|w| w.1.clone()),
            account: who.map(|w| w.0),
            group_by: None,
            group: None,
            metric: Metric::Plain("remaining_authorized"),
            unit: Unit::Count,
            value,
            op: Op::Lt,
            threshold: 0.0,
            expression: expr.to_string(),
        };
        let over_rows: Vec<(String, Option<String>)> = report
            .aggregate
            .accounts
            .iter()
            .take(over)
            .map(|a| (a.account.clone(), a.uin.clone()))
            .collect();
        report.breaches = over_rows
            .into_iter()
            .map(|w| breach(Some(w), "remaining_authorized < 0", -1.0))
            .collect();
        report
            .breaches
            .push(breach(None, "total.utilization >= 90%", 0.95));
        report
    }

    #[test]
    fn the_summary_groups_breaches_and_finds_over_licensed_accounts() {
        let report = big_report(20, 5);
        let s = Summary::of(&report, 4, "a threshold was breached");
        assert_eq!(
            s.title,
            "[SIMULATED] TCSS licenses: a threshold was breached (exit 4)"
        );
        assert_eq!(s.severity, Severity::Warning);
        assert_eq!(s.breaches_total, 6);
        assert_eq!(s.breaches.len(), 2);
        assert_eq!(s.breaches[0].expression, "remaining_authorized < 0");
        assert_eq!(s.breaches[0].count, 5);
        assert_eq!(s.breaches[0].names.len(), NAMES_PER_BREACH);
        assert_eq!(s.breaches[1].names, ["total"]);
        assert_eq!(s.over_licensed.len(), 5);
        // used = 101 + i % 7: shortfalls 1..=5, the largest first.
        let shorts: Vec<i64> = s.over_licensed.iter().map(|o| o.short).collect();
        assert_eq!(shorts, [5, 4, 3, 2, 1]);
        assert_eq!(s.licenses_short, 15);
        assert!(s.lapsing.is_empty(), "no edition collected");
        assert_eq!(s.failures, 0);
        assert_eq!(s.facts()[1], "Accounts: 20 (ok 20, partial 0, error 0)");
        assert_eq!(
            s.facts()[2],
            "Image licenses: 1,265 used of 2,000 (63.2%), 735 left"
        );
    }

    /// The editions lapsing within 30 days without renewal, soonest
    /// first: not a renewing one, not one with 31 days left, not one
    /// already lapsed.
    #[test]
    fn the_summary_lists_the_lapsing_editions() {
        use crate::calls::Call;
        use crate::test_support::wide_ok;
        use tcapi::tcss::{AutoRenewal, EditionState, PurchaseStateInfo};
        // The run started at 2026-02-01 08:00 in Beijing.
        let ends = [
            ("later", "2026-02-20 08:00:00", AutoRenewal::Off),
            ("renews", "2026-02-03 08:00:00", AutoRenewal::On),
            ("sooner", "2026-02-03 08:00:00", AutoRenewal::Unset),
            ("31-days", "2026-03-04 08:00:00", AutoRenewal::Off),
            ("lapsed", "2026-01-20 08:00:00", AutoRenewal::Off),
        ];
        let infos: Vec<_> = ends
            .iter()
            .map(|(n, ..)| account(n, &["ap-guangzhou"]))
            .collect();
        let outcomes: Vec<QueryOutcome> = ends
            .iter()
            .enumerate()
            .flat_map(|(i, (_, end, renewal))| {
                let p = PurchaseStateInfo {
                    state: Some(EditionState::Pro),
                    expiration_time: Some(end.to_string()),
                    automatic_renewal: Some(*renewal),
                    ..PurchaseStateInfo::default()
                };
                [
                    ok(i, "ap-guangzhou", data(10, 5)),
                    wide_ok(i, "ap-guangzhou", p.into()),
                ]
            })
            .collect();
        let mut run = run_info(RegionScope::Account);
        run.collect = vec![Call::ImageAuthorizedInfo, Call::PurchaseStateInfo];
        let report = Report::new(aggregate(&infos, &outcomes, run));
        let s = Summary::of(&report, 0, "every query answered");
        let got: Vec<(&str, i64)> = s
            .lapsing
            .iter()
            .map(|l| (l.account.as_str(), l.days))
            .collect();
        assert_eq!(got, [("sooner", 2), ("later", 19)]);
    }

    #[test]
    fn numbers_and_names_are_written_for_people() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(-1_234_567), "-1,234,567");
        assert_eq!(short("a\nb\u{1b}[31m"), "a b[31m");
        let long = "x".repeat(200);
        assert_eq!(short(&long).chars().count(), MAX_NAME_CHARS);
        assert!(short(&long).ends_with('…'));
        assert_eq!(and_more(3, 3), None);
        assert_eq!(and_more(3, 1503).as_deref(), Some("… and 1,500 more"));
    }

    #[test]
    fn fit_shows_as_many_items_as_the_limit_allows() {
        let render = |cap: usize| "x".repeat(10 + cap * 3);
        assert_eq!(fit(1000, 50, str::len, render).len(), 160, "all of it");
        assert_eq!(fit(100, 50, str::len, render).len(), 100, "30 items");
        assert_eq!(fit(5, 50, str::len, render).len(), 10, "none fits: cap 0");
    }
}
