//! The tables against the rows they describe.

use super::accounts::ACCOUNTS;
use super::regions::REGIONS;
use super::totals::TOTALS;
use super::*;
use crate::test_support::sample_report;

/// Every value a column gives is of its kind (a ratio column gives ratios,
/// a time column times, ...), in every row of a sample report.
#[test]
fn every_cell_is_of_its_columns_kind() {
    fn fits(cell: &Cell<'_>, kind: Kind) -> bool {
        matches!(
            (cell, kind),
            (Cell::Empty, _)
                | (Cell::Text(_), Kind::Text | Kind::Uin | Kind::Status)
                | (Cell::Int(_), Kind::Count | Kind::Days)
                | (Cell::Ratio(_), Kind::Ratio)
                | (Cell::Num(_), Kind::Decimal)
                | (Cell::Time(_), Kind::Time)
                | (Cell::Bool(_), Kind::Flag)
        )
    }
    let mut report = sample_report();
    report.aggregate.accounts[0].license = crate::test_support::full_license();
    let agg = &report.aggregate;
    for a in &agg.accounts {
        for c in ACCOUNTS {
            assert!(fits(&c.cell(a), c.kind), "{}: {:?}", c.key, c.cell(a));
        }
    }
    for r in &agg.regions {
        for c in REGIONS {
            assert!(fits(&c.cell(r), c.kind), "{}: {:?}", c.key, c.cell(r));
        }
    }
    for c in TOTALS.iter() {
        let cell = c.cell(&agg.totals);
        assert!(fits(&cell, c.kind()), "{}: {cell:?}", c.key());
    }
    for c in run::RUN {
        assert!(fits(&c.cell(&agg.run), c.kind), "{}", c.key);
    }
}

/// Keys are unique in each table, and a weighted total's columns are
/// totalled themselves.
#[test]
fn keys_are_unique_and_weights_are_columns_of_the_table() {
    fn unique(keys: Vec<&str>) {
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), keys.len(), "{keys:?}");
    }
    unique(ACCOUNTS.iter().map(|c| c.key).collect());
    unique(REGIONS.iter().map(|c| c.key).collect());
    unique(TOTALS.iter().map(|c| c.key()).collect());
    for c in ACCOUNTS {
        if let Total::Weighted { num, den } = c.total {
            assert_eq!(c.kind, Kind::Ratio, "{}", c.key);
            for part in [num, den] {
                assert!(
                    ACCOUNTS.iter().any(|a| std::ptr::eq(*a, part)),
                    "{}",
                    part.key
                );
            }
        }
    }
}

/// The license columns follow `request_id` in the accounts table, in the
/// contract's order, and are the table's last.
#[test]
fn the_license_columns_follow_the_request_id() {
    use super::accounts::{ACCOUNTS, REQUEST_ID};
    use super::license::LICENSE;
    let at = ACCOUNTS
        .iter()
        .position(|c| std::ptr::eq(*c, &REQUEST_ID))
        .unwrap();
    let keys = |cols: &[&Column<super::accounts::AccountRow>]| -> Vec<&str> {
        cols.iter().map(|c| c.key).collect()
    };
    assert_eq!(keys(&ACCOUNTS[at + 1..]), keys(&LICENSE));
}

/// Every column of the groups table is the group's own or a column the
/// totals have (so a group is computed as the totals are), keys are unique,
/// and every value is of its column's kind.
#[test]
fn the_groups_table_reads_the_totals() {
    use super::groups::{GroupColumn, GROUPS};
    use super::totals::TotalsColumn;
    let keys: Vec<&str> = GROUPS.iter().map(|c| c.key()).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), keys.len(), "{keys:?}");
    // Labels (the Groups sheets' headers) are words, each once.
    let mut labels: Vec<&str> = GROUPS.iter().map(|c| c.label()).collect();
    assert!(labels.iter().all(|l| !l.contains('_')), "{labels:?}");
    labels.sort_unstable();
    labels.dedup();
    assert_eq!(labels.len(), GROUPS.len(), "{labels:?}");
    for c in GROUPS {
        if let GroupColumn::Total(t) = c {
            assert!(
                TOTALS.iter().any(|x| x.key() == t.key()),
                "{} is no totals column",
                t.key()
            );
            if let TotalsColumn::Of(a) = t {
                assert!(!matches!(a.total, Total::None), "{} has no total", a.key);
            }
        }
    }
    let report = crate::test_support::grouped_report();
    assert!(!report.groups.rows.is_empty());
    for g in &report.groups.rows {
        for c in GROUPS {
            let cell = c.cell(g);
            let fits = matches!(
                (&cell, c.kind()),
                (Cell::Empty, _)
                    | (Cell::Text(_), Kind::Text)
                    | (Cell::Int(_), Kind::Count)
                    | (Cell::Ratio(_), Kind::Ratio)
            );
            assert!(fits, "{}: {cell:?}", c.key());
        }
    }
}

/// Labels (the XLSX headers) are words, not keys, unique in each table,
/// and a time column's label names its zone, the zone of its values:
/// `(UTC+8)` for the API's Beijing times, `(UTC)` for the run's.
#[test]
fn labels_are_words_unique_and_name_the_time_zone() {
    fn check<R>(table: &[&Column<R>], rows: &[&R]) {
        let mut labels: Vec<&str> = table.iter().map(|c| c.label).collect();
        labels.sort_unstable();
        labels.dedup();
        assert_eq!(labels.len(), table.len(), "unique: {labels:?}");
        for c in table {
            assert!(!c.label.contains('_'), "{}: {}", c.key, c.label);
            assert_ne!(c.label, c.key);
            if c.kind != Kind::Time {
                assert!(!c.label.contains("UTC"), "{}", c.label);
                continue;
            }
            let zone = if c.label.ends_with(" (UTC+8)") {
                8 * 3600
            } else {
                assert!(c.label.ends_with(" (UTC)"), "{}: {}", c.key, c.label);
                0
            };
            for row in rows {
                if let Cell::Time(t) = c.cell(row) {
                    assert_eq!(t.offset().local_minus_utc(), zone, "{}", c.key);
                }
            }
        }
    }
    let report = sample_report();
    let agg = &report.aggregate;
    check(&ACCOUNTS, &agg.accounts.iter().collect::<Vec<_>>());
    check(&REGIONS, &agg.regions.iter().collect::<Vec<_>>());
    check(&run::RUN, &[&agg.run]);
    check(&run::ORGANIZATIONS, &[]);
    let totals: Vec<&str> = TOTALS.iter().map(|c| c.label()).collect();
    let mut unique = totals.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), totals.len(), "{totals:?}");
}

/// An edition's word reads back as the edition it names (the history's
/// group trends read the editions so), any other text as none.
#[test]
fn an_editions_word_reads_back() {
    use super::license::{edition_of_word, edition_word};
    use tcapi::tcss::EditionState;
    for n in [0, 1, 2, 3, 4, 9, -1] {
        let state = EditionState::from(n);
        assert_eq!(edition_of_word(&edition_word(state)), Some(state), "{n}");
    }
    for other in ["", "Pro", "unknown:", "unknown:x", "pro "] {
        assert_eq!(edition_of_word(other), None, "{other:?}");
    }
}
