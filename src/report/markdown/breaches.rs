//! The summary's "Thresholds breached" section, first after the title (only
//! when a `--fail-on` threshold was breached): one row per breach, at most
//! [`MAX_TABLE_ROWS`], then "… and K more".

use std::io::{self, Write};

use super::{cell, code, more, opt, pct, MAX_NAME_CHARS, MAX_TABLE_ROWS};
use crate::report::Report;
use crate::thresholds::{Breach, Scope, Unit};

/// A value as the summary shows it: a ratio as a percentage.
fn value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => pct(Some(v)),
        Unit::Count => format!("{v}"),
    }
}

fn row<W: Write>(w: &mut W, b: &Breach) -> io::Result<()> {
    // A group's breach names its group where an account's names the account.
    let who = match b.scope {
        Scope::Group => cell(&b.subject(), MAX_NAME_CHARS),
        _ => opt(b.account.as_deref(), MAX_NAME_CHARS),
    };
    writeln!(
        w,
        "| {} | {who} | {} | `{}` | {} | `{} {}` | `{}` |",
        b.scope.as_str(),
        opt(b.uin.as_deref(), MAX_NAME_CHARS),
        b.metric,
        value(b.value, b.unit),
        b.op,
        value(b.threshold, b.unit),
        code(&b.expression),
    )
}

/// Writes the section when there are breaches; nothing otherwise.
pub(super) fn section<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    let all = &report.breaches;
    if all.is_empty() {
        return Ok(());
    }
    writeln!(w, "## Thresholds breached\n")?;
    writeln!(
        w,
        "> **{} threshold breach{}**: the run exits with code 4.\n",
        all.len(),
        if all.len() == 1 { "" } else { "es" }
    )?;
    writeln!(
        w,
        "| Scope | Account | UIN | Metric | Value | Threshold | Expression |\n|---|---|---|---|---:|---:|---|"
    )?;
    for b in all.iter().take(MAX_TABLE_ROWS) {
        row(w, b)?;
    }
    more(w, all.len(), MAX_TABLE_ROWS)?;
    writeln!(w)
}

#[cfg(test)]
mod tests {
    use crate::report::markdown::tests::render;
    use crate::test_support::breached_report;
    use crate::test_support::sample_report;

    #[test]
    fn breaches_come_first_with_every_field() {
        let md = render(&breached_report());
        let section = md.find("## Thresholds breached").expect("a section");
        let first_other = md.find("\n## ").expect("sections");
        assert_eq!(first_other + 1, section, "the first section:\n{md}");
        assert!(md.contains("> **2 threshold breaches**"), "{md}");
        assert!(
            md.contains("| account | payments-prod | 100012345678901234 | `utilization` | 97.0% | `>= 90.0%` | `utilization >= 90%` |"),
            "{md}"
        );
        assert!(
            md.contains(
                "| total |  |  | `failed_queries` | 3 | `> 2.5` | `total.failed_queries > 2.5` |"
            ),
            "{md}"
        );
    }

    #[test]
    fn no_section_without_breaches_and_long_lists_are_capped() {
        assert!(!render(&sample_report()).contains("Thresholds breached"));
        let mut r = breached_report();
        let one = r.breaches[0].clone();
        r.breaches = vec![one; 75];
        let md = render(&r);
        assert_eq!(md.matches("| account | payments").count(), 50, "{md}");
        assert!(md.contains("… and 25 more, see the XLSX or CSV"), "{md}");
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
