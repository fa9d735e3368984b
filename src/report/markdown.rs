//! The human summary `<stem>.md`, short enough for a CI job summary: a title
//! with the date and whether the run is complete, a totals table, the ten
//! most utilized accounts, scan quotas ending within 30 days (or already
//! ended), and every failed or cancelled query (capped at
//! [`MAX_FAILURE_LINES`] lines; the XLSX Errors sheet has them all).
//!
//! Table cells are escaped: `|` becomes `\|`, line breaks become spaces and
//! `<` becomes `&lt;`, so user text cannot break the table or inject HTML.

use std::borrow::Cow;
use std::io::{self, Write};

use super::scope_str;
use crate::aggregate::{AccountStatus, Report};

/// How many of the most utilized accounts are listed.
pub const TOP_ACCOUNTS: usize = 10;
/// Quotas ending within this many days of the run's start are listed.
pub const EXPIRY_WINDOW_DAYS: i64 = 30;
/// Failures listed before "... and N more".
pub const MAX_FAILURE_LINES: usize = 200;

/// Escapes text for a Markdown table cell.
pub fn escape_cell(text: &str) -> Cow<'_, str> {
    if !text.contains(['|', '\n', '\r', '<']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push(' ');
            }
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Longest message shown in a failure row, in characters (the CSV, JSON and
/// XLSX files keep the whole message).
pub const MAX_MESSAGE_CHARS: usize = 300;

/// Cuts `text` to `max` characters, marking the cut with `…`.
fn shorten(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
    }
}

fn pct(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "n/a".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn num(n: Option<i64>) -> String {
    n.map_or_else(|| "n/a".to_string(), |n| n.to_string())
}

fn opt(text: Option<&str>) -> Cow<'_, str> {
    text.map_or(Cow::Borrowed(""), escape_cell)
}

/// Writes the summary.
pub fn write<W: Write>(report: &Report, mut w: W) -> io::Result<()> {
    let run = &report.run;
    let t = &report.totals;
    let state = if run.complete {
        "complete"
    } else {
        "INCOMPLETE: interrupted"
    };
    writeln!(
        w,
        "# TCSS image-scan licenses: {} ({state})\n",
        run.started_at.format("%Y-%m-%d %H:%M UTC")
    )?;
    if !run.complete {
        writeln!(
            w,
            "> **Warning:** the run was interrupted; {} queries were cancelled and the numbers below are incomplete.\n",
            t.queries_cancelled
        )?;
    }
    writeln!(
        w,
        "Run `{}` · region scope `{}` · {} accounts · {} queries{} · tcss-report {}\n",
        escape_cell(&run.stem),
        scope_str(run.region_scope),
        t.accounts,
        t.queries,
        if run.simulated { " · simulated" } else { "" },
        escape_cell(&run.version),
    )?;

    writeln!(w, "## Totals\n")?;
    writeln!(w, "| Metric | Value |\n|---|---:|")?;
    let rows: [(&str, String); 11] = [
        ("Accounts", t.accounts.to_string()),
        ("Accounts ok", t.accounts_ok.to_string()),
        ("Accounts partial", t.accounts_partial.to_string()),
        ("Accounts error", t.accounts_error.to_string()),
        ("Licenses total", num(t.total_authorized)),
        ("Licenses used", num(t.used_authorized)),
        ("Licenses remaining", num(t.remaining_authorized)),
        ("Utilization", pct(t.utilization)),
        ("Scan coverage", pct(t.scan_coverage)),
        ("Scan quota utilization", pct(t.scan_quota_utilization)),
        (
            "Failed / cancelled queries",
            format!("{} / {}", t.queries_failed, t.queries_cancelled),
        ),
    ];
    for (label, value) in rows {
        writeln!(w, "| {label} | {value} |")?;
    }
    writeln!(w)?;

    let top = report.most_utilized(TOP_ACCOUNTS);
    writeln!(w, "## Most utilized accounts\n")?;
    if top.is_empty() {
        writeln!(w, "No account reported a license utilization.\n")?;
    } else {
        writeln!(
            w,
            "| Account | UIN | Used | Total | Remaining | Utilization |\n|---|---|---:|---:|---:|---:|"
        )?;
        for a in top {
            writeln!(
                w,
                "| {} | {} | {} | {} | {} | {} |",
                escape_cell(&a.account),
                opt(a.uin.as_deref()),
                num(a.used_authorized),
                num(a.total_authorized),
                num(a.remaining_authorized),
                pct(a.utilization),
            )?;
        }
        writeln!(w)?;
    }

    let expiring = report.expiring_quotas(EXPIRY_WINDOW_DAYS);
    writeln!(
        w,
        "## Scan quotas ending within {EXPIRY_WINDOW_DAYS} days\n"
    )?;
    if expiring.is_empty() {
        writeln!(w, "None.\n")?;
    } else {
        writeln!(
            w,
            "| Account | Quota end | Days left | Status |\n|---|---|---:|---|"
        )?;
        for a in expiring {
            let end = a
                .scan_quota_end
                .map(|e| super::rfc3339(&e))
                .unwrap_or_default();
            let days = a.scan_quota_days_left.unwrap_or_default();
            let days = if days < 0 {
                format!("{days} (ended)")
            } else {
                days.to_string()
            };
            writeln!(
                w,
                "| {} | {} | {} | {} |",
                escape_cell(&a.account),
                end,
                days,
                opt(a.scan_quota_status.as_deref()),
            )?;
        }
        writeln!(w)?;
    }

    let failures = report.failure_count();
    writeln!(w, "## Failures ({failures})\n")?;
    if failures == 0 {
        writeln!(w, "Every query succeeded.")?;
        return Ok(());
    }
    let error_accounts = report
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Error)
        .count();
    writeln!(
        w,
        "{error_accounts} accounts had no answer at all and are left out of the totals.\n"
    )?;
    writeln!(
        w,
        "| Account | Region | Code | Message | Request ID |\n|---|---|---|---|---|"
    )?;
    let mut listed = 0usize;
    for r in report.failures().take(MAX_FAILURE_LINES) {
        listed += 1;
        writeln!(
            w,
            "| {} | {} | {} | {} | {} |",
            escape_cell(&r.account),
            escape_cell(&r.region),
            opt(r.error_code.as_deref()),
            opt(r
                .error_message
                .as_deref()
                .map(|m| shorten(m, MAX_MESSAGE_CHARS))
                .as_deref()),
            opt(r.request_id.as_deref()),
        )?;
    }
    if failures > listed {
        writeln!(
            w,
            "\n... and {} more (see the XLSX Errors sheet)",
            failures - listed
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::aggregate;
    use crate::aggregate::tests::{account, failed, run_info};
    use crate::model::RegionScope;
    use crate::report::tests::sample_report;

    fn render(report: &Report) -> String {
        let mut out = Vec::new();
        write(report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn summary_lists_totals_top_expiring_and_failures() {
        let md = render(&sample_report());
        assert!(md.starts_with("# TCSS image-scan licenses: 2026-02-01 00:00 UTC (complete)"));
        assert!(md.contains("| Accounts error | 2 |"), "{md}");
        assert!(md.contains("| Licenses remaining | -2 |"), "{md}");
        assert!(md.contains("| Utilization | 101.8% |"), "{md}");
        // Top accounts: over-used member first.
        let top = md.find("| -member-a | ").unwrap();
        let second = md
            .find("| payments-prod | 100012345678901234 | 97 | 100 | 3 | 97.0% |")
            .unwrap();
        assert!(top < second);
        // Quota ending in 8 days.
        assert!(
            md.contains("| -member-a | 2026-02-10T00:00:00+08:00 | 8 | Normal |"),
            "{md}"
        );
        // Failures, escaped.
        assert!(md.contains("## Failures (3)"), "{md}");
        assert!(md.contains(
            "| legacy | ap-guangzhou | AuthFailure.SignatureFailure | bad \\| signature second line | req-err-2-ap-guangzhou |"
        ), "{md}");
        assert!(
            md.contains("| legacy | ap-beijing | UnsupportedRegion |"),
            "{md}"
        );
        assert!(md.contains("| late | ap-guangzhou | Cancelled |"), "{md}");
        assert!(!md.contains("more (see the XLSX Errors sheet)"));
    }

    #[test]
    fn incomplete_and_capped() {
        let accounts: Vec<_> = (0..250)
            .map(|i| account(&format!("acct-{i}"), &["r1"]))
            .collect();
        let outcomes: Vec<_> = (0..250).map(|i| failed(i, "r1", "InternalError")).collect();
        let mut run = run_info(RegionScope::Region);
        run.complete = false;
        let md = render(&aggregate(&accounts, &outcomes, run));
        assert!(md.contains("(INCOMPLETE: interrupted)"), "{md}");
        assert!(md.contains("**Warning:**"));
        assert!(md.contains("## Failures (250)"));
        assert_eq!(md.matches("| InternalError |").count(), MAX_FAILURE_LINES);
        assert!(md.contains("... and 50 more (see the XLSX Errors sheet)"));
        assert!(md.contains("No account reported a license utilization."));
    }

    #[test]
    fn long_messages_are_shortened() {
        let accounts = vec![account("a", &["r1"])];
        let mut o = failed(0, "r1", "InternalError");
        o.result = crate::model::QueryResult::Failed {
            code: "InternalError".into(),
            message: "é".repeat(1000),
        };
        let md = render(&aggregate(&accounts, &[o], run_info(RegionScope::Account)));
        let want = format!("| {}… |", "é".repeat(MAX_MESSAGE_CHARS));
        assert!(md.contains(&want), "{md}");
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("abcdef", 3), "abc…");
    }

    #[test]
    fn escaping() {
        assert_eq!(escape_cell("plain"), "plain");
        assert_eq!(escape_cell("a|b\r\nc\nd<script>"), "a\\|b c d&lt;script>");
    }
}
