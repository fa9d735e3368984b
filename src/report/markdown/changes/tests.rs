use crate::compare::{compare, Comparison, Previous, PreviousAccount};
use crate::model::RegionScope;
use crate::report::markdown::tests::render;
use crate::report::markdown::{MAX_SUMMARY_BYTES, MAX_TABLE_ROWS};
use crate::test_support::compared_report;
use crate::test_support::sample_report;
use crate::test_support::{account, data, ok, report_of, run_info};

#[test]
fn the_section_lists_movers_new_and_vanished() {
    let md = render(&compared_report());
    let at = md
        .find("## Changes since 2026-01-01 00:01 UTC\n")
        .expect(&md);
    assert!(at < md.find("## Failures").unwrap(), "before the failures");
    assert!(
        md.contains(
            "Compared with run `tcss-authorizations-20260101T000000Z` (accounts matched by UIN): \
             3 matched, 1 changed, 1 new, 1 vanished."
        ),
        "{md}"
    );
    assert!(
        md.contains(
            "| payments-prod | 100012345678901234 | 90 → 97 | +7 | +0 | -7 | +7.0 pp | +0 | +0 | +0 |"
        ),
        "{md}"
    );
    assert!(
        !md.contains("| -member-a | 200000000001 | 15 → 15"),
        "unchanged: no mover"
    );
    // The totals open the section: then, now, the change (none known for
    // a total the earlier run did not have).
    let totals = md.find("### Totals\n").expect(&md);
    assert!(
        totals > at && totals < md.find("### Top movers").unwrap(),
        "{md}"
    );
    assert!(md.contains("| Licenses total | 140 | 110 | -30 |"), "{md}");
    assert!(md.contains("| Licenses used | 114 | 112 | -2 |"), "{md}");
    assert!(md.contains("| Licenses short | n/a | 5 | n/a |"), "{md}");
    assert!(md.contains("| Accounts | 4 | 4 | +0 |"), "{md}");
    assert!(!md[at..].contains("| Utilization | "), "counts only: {md}");
    assert!(
        md.contains("### Licenses bought or released (0)\n\nNo account's licenses changed.\n"),
        "{md}"
    );
    assert!(md.contains("### New accounts (1)"), "{md}");
    assert!(
        md.contains("| late | 200000000003 | error | n/a | n/a | n/a |"),
        "{md}"
    );
    assert!(md.contains("### Vanished accounts (1)"), "{md}");
    assert!(
        md.contains("| retired | 200000000009 | ok | 5 | 10 | 50.0% |"),
        "{md}"
    );
}

#[test]
fn no_section_without_compare_and_a_note_without_a_previous_run() {
    let md = render(&sample_report());
    assert!(!md.contains("## Changes"), "{md}");
    let mut report = sample_report();
    report.comparison = Comparison::NoPrevious("no earlier complete run in <the> history".into());
    let md = render(&report);
    assert!(
        md.contains("## Changes\n\nNo earlier run to compare with: no earlier complete run in &lt;the&gt; history.\n"),
        "{md}"
    );
}

/// The case: 40,000 licenses bought by an account whose use did
/// not move never reached the top movers (sorted by use); the purchases
/// and releases are listed apart, the biggest change first.
#[test]
fn purchases_and_releases_are_listed_apart_biggest_first() {
    let mut report = compared_report();
    let c = match &mut report.comparison {
        Comparison::With(c) => c,
        _ => unreachable!(),
    };
    let total = &crate::columns::accounts::TOTAL_AUTHORIZED;
    // -member-a bought 40,000 (its use unchanged); payments-prod released 60.
    for (i, then, change) in [(1, -39_990, 40_000), (0, 160, -60)] {
        c.previous[i]
            .as_mut()
            .unwrap()
            .values
            .set(total, crate::columns::Cell::Int(then));
        c.changes[i]
            .as_mut()
            .unwrap()
            .values
            .set(total, crate::columns::Cell::Int(change));
    }
    assert_eq!(c.license_changes(), [1, 0]);
    let md = render(&report);
    let at = md.find("### Licenses bought or released (2)\n").expect(&md);
    assert!(at < md.find("### Top movers").unwrap(), "{md}");
    let first = md
        .find("| -member-a | 200000000001 | -39,990 → 10 | +40,000 |")
        .expect(&md);
    let second = md
        .find("| payments-prod | 100012345678901234 | 160 → 100 | -60 |")
        .expect(&md);
    assert!(first < second, "{md}");
}

/// A comparison with nothing moved: the tables say so.
#[test]
fn nothing_moved() {
    let mut report = compared_report();
    let c = match &mut report.comparison {
        Comparison::With(c) => c,
        _ => unreachable!(),
    };
    c.changes[0] = Some(Default::default());
    c.changes[3] = Some(Default::default());
    c.vanished.clear();
    let md = render(&report);
    assert!(
        md.contains("### Top movers\n\nNo account changed.\n"),
        "{md}"
    );
    assert!(md.contains("### New accounts (0)\n\nNone.\n"), "{md}");
    assert!(md.contains("### Vanished accounts (0)\n\nNone.\n"), "{md}");
}

/// 20,000 accounts with long hostile names, every one moved, half of the
/// earlier ones gone and as many new, every quota over capacity: each table
/// capped with "… and K more", names escaped, the file under the bound.
#[test]
fn every_table_full_stays_under_the_bound_and_escaped() {
    let n = 20_000;
    let long = "<|>*_[]!`#~$\\".repeat(20);
    let accounts: Vec<_> = (0..n)
        .map(|i| {
            let mut a = account(&format!("{i:05}{long}"), &["r1"]);
            a.uin = Some(format!("{i:05}{long}"));
            a
        })
        .collect();
    let outcomes: Vec<_> = (0..n)
        .map(|i| {
            let mut d = data(100, (i % 120) as i64);
            if let Some(q) = d.image_scan_inquire_info.as_mut() {
                q.useage = Some(2000);
            }
            ok(i, "r1", d)
        })
        .collect();
    let mut report = report_of(&accounts, &outcomes, run_info(RegionScope::Account));
    let previous = Previous {
        run: "earlier".into(),
        generated_at: report.aggregate.generated_at,
        accounts: report
            .aggregate
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| PreviousAccount {
                account: a.account.clone(),
                // The odd half vanished; the odd current ones are new.
                uin: if i % 2 == 0 {
                    a.uin.clone()
                } else {
                    Some(format!("gone-{i}{long}"))
                },
                status: long.clone(),
                values: crate::test_support::values(&[(
                    &crate::columns::accounts::USED_AUTHORIZED,
                    crate::columns::Cell::int(a.used_authorized.map(|u| u - 1 - i as i64)),
                )]),
            })
            .collect(),
        totals: Vec::new(),
    };
    report.comparison = Comparison::With(compare(
        &report.aggregate.accounts,
        &report.aggregate.totals,
        &previous,
    ));
    let md = render(&report);
    assert!(md.len() < MAX_SUMMARY_BYTES, "{} bytes", md.len());
    let half = n / 2;
    for section in [
        "### Top movers",
        "### New accounts",
        "### Vanished accounts",
        "Scan quotas used beyond capacity (",
    ] {
        let start = md.find(section).expect(section);
        let rest = &md[start..];
        let end = rest[4..].find("\n#").map_or(rest.len(), |e| e + 4);
        let table = &rest[..end];
        let rows = table.lines().filter(|l| l.starts_with("| ")).count();
        assert_eq!(rows, 1 + MAX_TABLE_ROWS, "{section}");
        let total = if section.contains("quota") { n } else { half };
        assert!(
            table.contains(&format!(
                "… and {} more, see the XLSX or CSV",
                total - MAX_TABLE_ROWS
            )),
            "{section}: {table}"
        );
    }
    for bad in ["<|>", "](", "`#"] {
        assert!(!md.contains(bad), "{bad:?} unescaped");
    }
    // The biggest movers first: the largest earlier gap is the last even account.
    let movers = &md[md.find("### Top movers").unwrap()..];
    let first = movers.lines().find(|l| l.starts_with("| 1")).unwrap();
    assert!(first.starts_with(&format!("| {:05}", n - 2)), "{first}");
    eprintln!(
        "{n} accounts, every table full: {} bytes of Markdown",
        md.len()
    );
}
