//! The editions in the summary, when some account's edition is known: a
//! table of the editions lapsing within 30 days for want of renewal
//! (`0 <= days_to_lapse <= 30`, soonest first, capped like every table),
//! and one line for the unprotected cores.

use std::io::{self, Write};

use super::{cell, more, opt, pct, MAX_NAME_CHARS, MAX_TABLE_ROWS};
use crate::columns::license::{
    AUTO_RENEW, CORES_UNPROTECTED, CORE_COVERAGE, EDITION, EDITION_END, LAPSING_DAYS,
};
use crate::columns::{rfc3339, Cell};
use crate::report::Report;

/// Writes the section (nothing when no account's edition is known).
pub(super) fn section<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    let agg = &report.aggregate;
    if agg.accounts_by_edition().is_empty() {
        return Ok(());
    }
    let lapsing = agg.lapsing_editions(LAPSING_DAYS);
    writeln!(
        w,
        "## Editions lapsing within {LAPSING_DAYS} days (no auto-renewal) ({})\n",
        lapsing.len()
    )?;
    if lapsing.is_empty() {
        writeln!(w, "None.\n")?;
    } else {
        writeln!(
            w,
            "| Account | UIN | Edition | Ends | Days to lapse | Auto-renewal |\n|---|---|---|---|---:|---|"
        )?;
        for a in lapsing.iter().take(MAX_TABLE_ROWS) {
            let end = match EDITION_END.cell(a) {
                Cell::Time(t) => rfc3339(&t),
                _ => String::new(),
            };
            writeln!(
                w,
                "| {} | {} | {} | {end} | {} | {} |",
                cell(&a.account, MAX_NAME_CHARS),
                opt(a.uin.as_deref(), MAX_NAME_CHARS),
                opt(EDITION.cell(a).as_text(), MAX_NAME_CHARS),
                a.license.days_to_lapse.unwrap_or_default(),
                opt(AUTO_RENEW.cell(a).as_text(), MAX_NAME_CHARS),
            )?;
        }
        more(w, lapsing.len(), MAX_TABLE_ROWS)?;
        writeln!(w)?;
    }
    unprotected(report, w)
}

/// The line of the unprotected cores: how many, in how many accounts, and
/// the cores' coverage.
fn unprotected<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    let agg = &report.aggregate;
    let accounts = agg.unprotected_cores().len();
    let total = agg.totals.of(&CORES_UNPROTECTED).as_int();
    let coverage = agg.totals.of(&CORE_COVERAGE).as_real();
    match (total, accounts) {
        (Some(n), a) if n > 0 => writeln!(
            w,
            "**Unprotected cores: {n}** in {a} account{} (core coverage {}).\n",
            if a == 1 { "" } else { "s" },
            pct(coverage)
        ),
        (None, _) => writeln!(w, "Unprotected cores: unknown (no account answered).\n"),
        _ => writeln!(
            w,
            "Unprotected cores: none (core coverage {}).\n",
            pct(coverage)
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::calls::Call;
    use crate::model::RegionScope;
    use crate::report::markdown::tests::render;
    use crate::test_support::{account, data, ok, report_of, run_info, sample_report, wide_ok};
    use tcapi::tcss::{AutoRenewal, EditionState, PurchaseStateInfo};

    fn edition(
        state: EditionState,
        end: &str,
        renewal: AutoRenewal,
        unprotected: u64,
    ) -> PurchaseStateInfo {
        PurchaseStateInfo {
            state: Some(state),
            all_cores_cnt: Some(10 + unprotected),
            cores_cnt: Some(10),
            undefend_cores_cnt: Some(unprotected),
            expiration_time: Some(end.into()),
            automatic_renewal: Some(renewal),
            ..PurchaseStateInfo::default()
        }
    }

    #[test]
    fn lapsing_editions_soonest_first_and_the_unprotected_cores() {
        // The run started at 2026-02-01 08:00 in Beijing.
        let rows = [
            (
                "later",
                edition(
                    EditionState::Pro,
                    "2026-03-01 00:00:00",
                    AutoRenewal::Off,
                    0,
                ),
            ),
            (
                "renews",
                edition(EditionState::Pro, "2026-02-05 00:00:00", AutoRenewal::On, 3),
            ),
            (
                "soon | <b>",
                edition(
                    EditionState::Trial,
                    "2026-02-05 00:00:00",
                    AutoRenewal::Unset,
                    2,
                ),
            ),
            (
                "lapsed",
                edition(
                    EditionState::ProExpired,
                    "2026-01-05 00:00:00",
                    AutoRenewal::Off,
                    0,
                ),
            ),
            (
                "far",
                edition(
                    EditionState::Pro,
                    "2026-06-05 00:00:00",
                    AutoRenewal::Off,
                    0,
                ),
            ),
        ];
        let accounts: Vec<_> = rows.iter().map(|(n, _)| account(n, &["r1"])).collect();
        let outcomes: Vec<_> = rows
            .into_iter()
            .enumerate()
            .flat_map(|(i, (_, p))| [ok(i, "r1", data(10, 5)), wide_ok(i, "r1", p.into())])
            .collect();
        let mut run = run_info(RegionScope::Account);
        run.collect = vec![Call::ImageAuthorizedInfo, Call::PurchaseStateInfo];
        let md = render(&report_of(&accounts, &outcomes, run));
        let section = md
            .split("## Editions lapsing within 30 days (no auto-renewal) (2)\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{md}"));
        let lines: Vec<&str> = section.lines().skip(3).take(2).collect();
        assert_eq!(
            lines,
            [
                "| soon \\| &lt;b&gt; |  | trial | 2026-02-05T00:00:00+08:00 | 3 | unset |",
                "| later |  | pro | 2026-03-01T00:00:00+08:00 | 27 | off |",
            ],
            "{md}"
        );
        assert!(
            md.contains("**Unprotected cores: 5** in 2 accounts (core coverage 90.9%)."),
            "{md}"
        );
    }

    #[test]
    fn no_section_without_editions_and_none_when_nothing_lapses() {
        let md = render(&sample_report());
        assert!(!md.contains("Editions lapsing"), "{md}");
        assert!(!md.contains("Unprotected cores"), "{md}");
        let mut run = run_info(RegionScope::Account);
        run.collect = vec![Call::ImageAuthorizedInfo, Call::PurchaseStateInfo];
        let p = edition(
            EditionState::Pro,
            "2026-06-05 00:00:00",
            AutoRenewal::Off,
            0,
        );
        let outcomes = [ok(0, "r1", data(10, 5)), wide_ok(0, "r1", p.into())];
        let md = render(&report_of(&[account("a", &["r1"])], &outcomes, run));
        assert!(
            md.contains("## Editions lapsing within 30 days (no auto-renewal) (0)\n\nNone.\n"),
            "{md}"
        );
        assert!(
            md.contains("Unprotected cores: none (core coverage 100.0%)."),
            "{md}"
        );
    }
}
