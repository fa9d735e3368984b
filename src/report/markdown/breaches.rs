//! The summary's "Thresholds breached" section, first after the title (only
//! when a `--fail-on` threshold was breached): the breaches grouped by
//! expression (`crate::thresholds::group`), one row each with its count and
//! the first accounts that breached it with their values, at most
//! [`MAX_TABLE_ROWS`] expressions, then "… and K more". Every breach is in
//! the JSON and the XLSX.

use std::io::{self, Write};

use super::{cell, code, more, MAX_NAME_CHARS, MAX_TABLE_ROWS};
use crate::report::Report;
use crate::thresholds::group::{by_expression, Group, NAMES_SHOWN};

fn row<W: Write>(w: &mut W, g: &Group<'_>) -> io::Result<()> {
    let mut who: Vec<String> = g
        .breaches
        .iter()
        .take(NAMES_SHOWN)
        .map(|b| cell(&b.who_and_value(), MAX_NAME_CHARS))
        .collect();
    if g.count() > NAMES_SHOWN {
        who.push(format!("… and {} more", g.count() - NAMES_SHOWN));
    }
    writeln!(
        w,
        "| `{}` | {} | {} |",
        code(g.expression),
        g.count_words(),
        who.join(", "),
    )
}

/// Writes the section when there are breaches; nothing otherwise.
pub(super) fn section<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    let all = &report.breaches;
    if all.is_empty() {
        return Ok(());
    }
    let groups = by_expression(all);
    writeln!(w, "## Thresholds breached\n")?;
    writeln!(
        w,
        "> **{} threshold breach{}** of {} expression{}: the run exits with code 4.\n",
        all.len(),
        if all.len() == 1 { "" } else { "es" },
        groups.len(),
        if groups.len() == 1 { "" } else { "s" },
    )?;
    writeln!(
        w,
        "| Expression | Breached by | First breaches (value) |\n|---|---:|---|"
    )?;
    for g in groups.iter().take(MAX_TABLE_ROWS) {
        row(w, g)?;
    }
    more(w, groups.len(), MAX_TABLE_ROWS)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use crate::report::markdown::tests::render;
    use crate::test_support::breached_report;
    use crate::test_support::sample_report;

    #[test]
    fn breaches_come_first_grouped_by_expression() {
        let md = render(&breached_report());
        let section = md.find("## Thresholds breached").expect("a section");
        let first_other = md.find("\n## ").expect("sections");
        assert_eq!(first_other + 1, section, "the first section:\n{md}");
        assert!(
            md.contains("> **2 threshold breaches** of 2 expressions"),
            "{md}"
        );
        assert!(
            md.contains("| `utilization >= 90%` | 1 account | payments-prod (97%) |"),
            "{md}"
        );
        assert!(
            md.contains("| `total.failed_queries > 2.5` | the totals | the totals (3) |"),
            "{md}"
        );
    }

    /// The case: 63 breaches of a second expression no longer hide
    /// behind 50 lines of the first; each expression has its count.
    #[test]
    fn no_section_without_breaches_and_each_expression_counted() {
        assert!(!render(&sample_report()).contains("Thresholds breached"));
        let mut r = breached_report();
        let (one, total) = (r.breaches[0].clone(), r.breaches[1].clone());
        let mut other = one.clone();
        other.expression = "change.used_authorized > 100".into();
        r.breaches = vec![one; 50];
        r.breaches.extend(vec![other; 63]);
        r.breaches.push(total);
        let md = render(&r);
        assert!(
            md.contains("> **114 threshold breaches** of 3 expressions"),
            "{md}"
        );
        assert!(
            md.contains(
                "| `utilization >= 90%` | 50 accounts | payments-prod (97%), payments-prod (97%), \
                 payments-prod (97%), … and 47 more |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| `change.used_authorized > 100` | 63 accounts | "),
            "{md}"
        );
        assert!(md.contains("… and 60 more |"), "{md}");
        assert!(
            md.contains("| `total.failed_queries > 2.5` | the totals |"),
            "{md}"
        );
        assert!(!md.contains("more, see the XLSX or CSV"), "{md}");
    }

    /// The worst case of every section at once (the long hostile names of
    /// the 50,000-account test, every account breaching) stays under the bound.
    #[test]
    fn fifty_thousand_breaching_accounts_stay_under_256_kb() {
        use crate::model::RegionScope;
        use crate::report::markdown::tests::long_text_outcomes;
        use crate::report::markdown::MAX_SUMMARY_BYTES;
        use crate::test_support::{account, report_of, run_info};
        use crate::thresholds::{evaluate, parse, Origin};
        let n = 50_000;
        let long = "<|>*_[]!`#~$\\".repeat(20);
        let accounts: Vec<_> = (0..n)
            .map(|i| {
                let mut a = account(&format!("{i:05}{long}"), &["r1", "r2"]);
                a.uin = Some(format!("{long}{i}"));
                a
            })
            .collect();
        let outcomes: Vec<_> = (0..n).flat_map(|i| long_text_outcomes(i, &long)).collect();
        let mut r = report_of(&accounts, &outcomes, run_info(RegionScope::Account));
        let padded = format!("utilization{}>= 0%", " ".repeat(200));
        r.breaches = evaluate(
            &r.aggregate,
            &r.comparison,
            &r.groups,
            &[parse(&padded, Origin::CommandLine).unwrap()],
        );
        assert_eq!(r.breaches.len(), n);
        let md = render(&r);
        eprintln!("{} bytes of {MAX_SUMMARY_BYTES}", md.len());
        assert!(md.len() < MAX_SUMMARY_BYTES, "{} bytes", md.len());
        assert!(md.contains(&format!("… and {} more, see the XLSX or CSV", n - 50)));
    }
}
