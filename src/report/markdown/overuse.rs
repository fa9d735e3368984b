//! Over-use is a finding: the "Over-licensed accounts" table (accounts
//! that use more image licenses than they hold, the largest shortfall
//! first, capped like every table), shown when there are any; the totals
//! table has their count and the licenses short and idle. And the answers
//! whose numbers cannot all be true at once (a `warning`), listed apart
//! in "Warnings", counted (the first [`MAX_WARNING_LINES`]).

use std::io::{self, Write};

use super::{
    cell, more, opt, value, MAX_MESSAGE_CHARS, MAX_NAME_CHARS, MAX_TABLE_ROWS, MAX_WARNING_LINES,
};
use crate::aggregate::overuse::shortfall;
use crate::columns::accounts;
use crate::report::Report;

/// The over-licensed accounts (nothing when there are none).
pub(super) fn over_licensed<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    let over = report.aggregate.over_licensed();
    if over.is_empty() {
        return Ok(());
    }
    let short = report.aggregate.totals.licenses_short;
    writeln!(
        w,
        "## Over-licensed accounts ({}, {} licenses short)\n",
        over.len(),
        short.map_or_else(|| "n/a".to_string(), |s| s.to_string())
    )?;
    writeln!(
        w,
        "| Account | UIN | Used | Total | Short |\n|---|---|---:|---:|---:|"
    )?;
    for a in over.iter().take(MAX_TABLE_ROWS) {
        writeln!(
            w,
            "| {} | {} | {} | {} | {} |",
            cell(&a.account, MAX_NAME_CHARS),
            opt(a.uin.as_deref(), MAX_NAME_CHARS),
            value(&accounts::USED_AUTHORIZED.cell(a)),
            value(&accounts::TOTAL_AUTHORIZED.cell(a)),
            shortfall(a).unwrap_or_default(),
        )?;
    }
    more(w, over.len(), MAX_TABLE_ROWS)?;
    writeln!(w)
}

/// The answers with a warning (nothing when there are none).
pub(super) fn warnings<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    let n = report.aggregate.totals.queries_with_warning;
    if n == 0 {
        return Ok(());
    }
    writeln!(w, "## Warnings ({n})\n")?;
    writeln!(
        w,
        "{n} {} numbers that cannot all be true at once; the numbers are kept as the API \
         gave them (the Errors sheet lists every one).\n",
        if n == 1 {
            "answer holds"
        } else {
            "answers hold"
        }
    )?;
    writeln!(w, "| Account | Region | Warning |\n|---|---|---|")?;
    for r in report.aggregate.warned().take(MAX_WARNING_LINES) {
        writeln!(
            w,
            "| {} | {} | {} |",
            cell(&r.account, MAX_NAME_CHARS),
            cell(&r.region, MAX_NAME_CHARS),
            opt(r.warning.as_deref(), MAX_MESSAGE_CHARS),
        )?;
    }
    more(w, n, n.min(MAX_WARNING_LINES))?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use crate::model::RegionScope;
    use crate::report::markdown::tests::render;
    use crate::test_support::{account, data, ok, report_of, run_info, sample_report};

    #[test]
    fn the_over_licensed_table_and_the_over_use_totals() {
        let md = render(&sample_report());
        assert!(md.contains("| Over-licensed accounts | 1 |"), "{md}");
        assert!(md.contains("| Licenses short | 5 |"), "{md}");
        assert!(md.contains("| Licenses idle | 3 |"), "{md}");
        assert!(
            md.contains("## Over-licensed accounts (1, 5 licenses short)\n"),
            "{md}"
        );
        assert!(md.contains("| -member-a |  | 15 | 10 | 5 |"), "{md}");
        // Over-use is no warning: every query that answered is fine.
        assert!(!md.contains("## Warnings"), "{md}");
    }

    #[test]
    fn largest_shortfall_first_and_capped() {
        let accounts: Vec<_> = (0..60)
            .map(|i| account(&format!("acct-{i:02}"), &["r1"]))
            .collect();
        let outcomes: Vec<_> = (0..60)
            .map(|i| ok(i, "r1", data(100, 101 + i as i64)))
            .collect();
        let md = render(&report_of(
            &accounts,
            &outcomes,
            run_info(RegionScope::Account),
        ));
        // Shortfalls 1..=60: 1,830 short.
        assert!(
            md.contains("## Over-licensed accounts (60, 1830 licenses short)"),
            "{md}"
        );
        let section = &md[md.find("## Over-licensed accounts").unwrap()..];
        let section = &section[..section[3..].find("\n## ").unwrap()];
        let first = section.find("| acct-59 |  | 160 | 100 | 60 |").unwrap();
        let second = section.find("| acct-58 |").unwrap();
        assert!(first < second);
        assert!(!section.contains("| acct-09 |"), "{md}");
        assert!(md.contains("… and 10 more, see the XLSX or CSV"), "{md}");
    }

    /// Numbers that cannot all be true are counted and listed apart, and
    /// the failures section no longer says every query succeeded.
    #[test]
    fn warnings_are_listed_apart_and_counted() {
        let mut negative = data(100, 40);
        negative.scanned_image_cnt = Some(-3);
        let accounts = [account("odd", &["r1"]), account("fine", &["r1"])];
        let outcomes = [ok(0, "r1", negative), ok(1, "r1", data(10, 1))];
        let md = render(&report_of(
            &accounts,
            &outcomes,
            run_info(RegionScope::Account),
        ));
        assert!(md.contains("## Warnings (1)\n"), "{md}");
        assert!(
            md.contains("1 answer holds numbers that cannot all be true at once"),
            "{md}"
        );
        assert!(
            md.contains("| odd | r1 | negative count: ScannedImageCnt = -3 |"),
            "{md}"
        );
        assert!(!md.contains("Every query succeeded"), "{md}");
        assert!(
            md.contains("Every query answered, but 1 answer holds numbers that cannot all be true"),
            "{md}"
        );
        let fine = render(&report_of(
            &accounts[1..],
            &[ok(0, "r1", data(10, 1))],
            run_info(RegionScope::Account),
        ));
        assert!(fine.contains("Every query succeeded."), "{fine}");
        assert!(!fine.contains("## Warnings"), "{fine}");
    }
}
