//! Scan quotas used beyond their capacity, flagged in the summary: a
//! totals row counting them (`⚠ 2 accounts`, or `none`) and, when there are
//! any, a table of them, the most over-used first (capped like every table).

use std::io::{self, Write};

use super::{cell, more, opt, value, MAX_NAME_CHARS, MAX_TABLE_ROWS};
use crate::columns::accounts;
use crate::report::Report;

/// The marker of a flagged value.
pub const FLAG: &str = "⚠";

/// The totals row.
pub(super) fn totals_row<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    let n = report.aggregate.quotas_over_capacity().len();
    let value = match n {
        0 => "none".to_string(),
        1 => format!("{FLAG} **1 account**"),
        n => format!("{FLAG} **{n} accounts**"),
    };
    writeln!(w, "| Scan quotas used beyond capacity | {value} |")
}

/// The section listing them (nothing when there are none).
pub(super) fn section<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    let over = report.aggregate.quotas_over_capacity();
    if over.is_empty() {
        return Ok(());
    }
    writeln!(
        w,
        "## {FLAG} Scan quotas used beyond capacity ({})\n",
        over.len()
    )?;
    writeln!(
        w,
        "| Account | UIN | Used | Capacity | Scan quota utilization |\n|---|---|---:|---:|---:|"
    )?;
    for a in over.iter().take(MAX_TABLE_ROWS) {
        writeln!(
            w,
            "| {} | {} | {} | {} | {} |",
            cell(&a.account, MAX_NAME_CHARS),
            opt(a.uin.as_deref(), MAX_NAME_CHARS),
            value(&accounts::SCAN_QUOTA_USED.cell(a)),
            value(&accounts::SCAN_QUOTA_CAPACITY.cell(a)),
            value(&accounts::SCAN_QUOTA_UTILIZATION.cell(a)),
        )?;
    }
    more(w, over.len(), MAX_TABLE_ROWS)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use crate::report::markdown::tests::render;
    use crate::test_support::sample_report;

    #[test]
    fn totals_show_duplicates_and_flag_quotas_over_capacity() {
        let mut report = sample_report();
        let md = render(&report);
        assert!(md.contains("| Duplicate images | 16 |"), "{md}");
        assert!(md.contains("| Duplicate ratio | 20.0% |"), "{md}");
        assert!(
            md.contains("| Scan quotas used beyond capacity | none |"),
            "{md}"
        );
        assert!(!md.contains("## ⚠"), "{md}");
        let a = &mut report.aggregate.accounts[1];
        a.scan_quota_used = Some(1500);
        a.scan_quota_utilization = Some(1.5);
        let md = render(&report);
        assert!(
            md.contains("| Scan quotas used beyond capacity | ⚠ **1 account** |"),
            "{md}"
        );
        assert!(
            md.contains("## ⚠ Scan quotas used beyond capacity (1)"),
            "{md}"
        );
        assert!(
            md.contains("| -member-a |  | 1,500 | 1,000 | 150.0% |"),
            "{md}"
        );
    }
}
