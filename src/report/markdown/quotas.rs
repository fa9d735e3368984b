//! The summary's scan quotas, in two lists: those ending within
//! [`EXPIRY_WINDOW_DAYS`] days of the run's start (soonest first, capped
//! like every table), and those already ended (a count and the
//! [`ENDED_SHOWN`] most recently ended): a fleet with hundreds of quotas
//! that ended a year ago must not hide the one ending next week.

use std::io::{self, Write};

use super::{cell, more, opt, MAX_NAME_CHARS, MAX_TABLE_ROWS};
use crate::aggregate::AccountRow;
use crate::columns::accounts;
use crate::columns::{rfc3339, Cell};
use crate::report::Report;

/// Quotas ending within this many days of the run's start are listed.
pub const EXPIRY_WINDOW_DAYS: i64 = 30;
/// The most recently ended quotas shown before "… and K more".
pub const ENDED_SHOWN: usize = 10;

/// Writes both sections.
pub(super) fn sections<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    ending(report, w)?;
    ended(report, w)
}

fn ending<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    let ending = report.aggregate.quotas_ending(EXPIRY_WINDOW_DAYS);
    writeln!(
        w,
        "## Scan quotas ending within {EXPIRY_WINDOW_DAYS} days\n"
    )?;
    if ending.is_empty() {
        return writeln!(w, "None.\n");
    }
    writeln!(
        w,
        "| Account | Quota end | Days left | Status |\n|---|---|---:|---|"
    )?;
    for a in ending.iter().take(MAX_TABLE_ROWS) {
        row(w, a, days(a).to_string())?;
    }
    more(w, ending.len(), MAX_TABLE_ROWS)?;
    writeln!(w)
}

/// Nothing when no quota has ended.
fn ended<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    let ended = report.aggregate.quotas_ended();
    if ended.is_empty() {
        return Ok(());
    }
    writeln!(w, "## Scan quotas already ended ({})\n", ended.len())?;
    writeln!(
        w,
        "{} of the accounts' scan quotas have ended; the most recently ended:\n",
        ended.len()
    )?;
    writeln!(
        w,
        "| Account | Quota end | Days since | Status |\n|---|---|---:|---|"
    )?;
    for a in ended.iter().take(ENDED_SHOWN) {
        row(w, a, days(a).saturating_neg().to_string())?;
    }
    more(w, ended.len(), ENDED_SHOWN)?;
    writeln!(w)
}

/// Its whole days left (negative once ended).
fn days(a: &AccountRow) -> i64 {
    accounts::SCAN_QUOTA_DAYS_LEFT
        .cell(a)
        .as_int()
        .unwrap_or_default()
}

fn row<W: Write>(w: &mut W, a: &AccountRow, days: String) -> io::Result<()> {
    let end = match accounts::SCAN_QUOTA_END.cell(a) {
        Cell::Time(e) => rfc3339(&e),
        _ => String::new(),
    };
    let status = accounts::SCAN_QUOTA_STATUS.cell(a);
    writeln!(
        w,
        "| {} | {} | {} | {} |",
        cell(&a.account, MAX_NAME_CHARS),
        end,
        days,
        opt(status.as_text(), MAX_NAME_CHARS),
    )
}

#[cfg(test)]
mod tests {
    use crate::report::markdown::tests::render;
    use crate::test_support::sample_report;

    /// 60 quotas ended long ago and one ending in 8 days: the one ending
    /// is first in its own list, the ended ones are counted and the most
    /// recently ended shown.
    #[test]
    fn quotas_ending_and_ended_are_two_lists() {
        let mut report = sample_report();
        let template = report.aggregate.accounts[0].clone();
        report.aggregate.accounts[0].scan_quota_days_left = Some(8);
        for i in 0..60 {
            let mut a = template.clone();
            a.account = format!("old-{i:02}");
            a.scan_quota_days_left = Some(-400 - i);
            report.aggregate.accounts.push(a);
        }
        report.aggregate.accounts[1].scan_quota_days_left = Some(-2);
        let md = render(&report);
        let ending = md.find("## Scan quotas ending within 30 days\n").unwrap();
        let ended = md.find("## Scan quotas already ended (61)\n").expect(&md);
        assert!(ending < ended, "{md}");
        let ending_section = &md[ending..ended];
        assert!(
            ending_section.contains("| payments-prod | 2026-03-01T00:00:00+08:00 | 8 | Normal |"),
            "{md}"
        );
        assert!(!ending_section.contains("old-"), "{md}");
        let ended_section = &md[ended..];
        assert!(ended_section.contains("61 of the accounts' scan quotas have ended"));
        // The most recently ended first: -member-a 2 days ago, then old-00.
        let first = ended_section.find("| -member-a | ").unwrap();
        let second = ended_section.find("| old-00 | ").unwrap();
        assert!(first < second, "{md}");
        assert!(ended_section.contains("| 2 | Normal |"), "{md}");
        assert!(!ended_section.contains("| old-09 |"), "ten shown");
        assert!(
            ended_section.contains("… and 51 more, see the XLSX or CSV"),
            "{md}"
        );
    }
}
