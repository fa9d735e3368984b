use crate::columns::accounts::ACCOUNTS;
use crate::columns::totals::TOTALS;
use crate::columns::Cell;
use crate::test_support::sample_report;
use crate::thresholds::metrics::{account_names, find, total_only_names, Unit, METRICS};

/// The metrics table cannot drift from the report: every numeric accounts
/// column is a per-account metric of the same unit, and nothing else is.
#[test]
fn per_account_metrics_are_the_numeric_accounts_columns() {
    let mut report = sample_report();
    report.aggregate.accounts[0].license = crate::test_support::full_license();
    let row = &report.aggregate.accounts[0];
    let numeric: Vec<(&str, Unit)> = ACCOUNTS
        .iter()
        .filter_map(|c| match c.cell(row) {
            Cell::Int(_) => Some((c.key, Unit::Count)),
            Cell::Ratio(_) => Some((c.key, Unit::Ratio)),
            _ => None,
        })
        .collect();
    let table: Vec<(&str, Unit)> = account_names()
        .map(|n| (n, find(n).map(|m| m.unit).unwrap_or(Unit::Count)))
        .collect();
    assert_eq!(table, numeric);
}

/// Every totals key is a metric at total scope, plus the two failure counts.
#[test]
fn total_metrics_are_the_totals_keys_and_the_failure_counts() {
    let mut keys: Vec<&str> = TOTALS.iter().map(|c| c.key()).collect();
    keys.extend(["failed_accounts", "failed_queries"]);
    keys.sort_unstable();
    let mut table: Vec<&str> = METRICS
        .iter()
        .filter(|m| m.total.is_some())
        .map(|m| m.name)
        .collect();
    table.sort_unstable();
    assert_eq!(table, keys);
    let only: Vec<&str> = total_only_names().collect();
    assert!(
        only.contains(&"failed_accounts") && only.contains(&"accounts"),
        "{only:?}"
    );
}

/// Each metric reads the value the reports print (same row, same number).
#[test]
fn metrics_read_what_the_reports_print() {
    let report = sample_report();
    for row in &report.aggregate.accounts {
        for m in METRICS.iter().filter(|m| m.account.is_some()) {
            let column = ACCOUNTS.iter().find(|c| c.key == m.name).unwrap();
            let printed = match &column.cell(row) {
                Cell::Int(n) => Some(*n as f64),
                Cell::Ratio(x) => Some(*x),
                _ => None,
            };
            assert_eq!(
                m.account_value(row),
                printed,
                "{} of {}",
                m.name,
                row.account
            );
        }
    }
    for c in TOTALS.iter() {
        let printed = match c.cell(&report.aggregate.totals) {
            Cell::Int(n) => Some(n as f64),
            Cell::Ratio(x) => Some(x),
            _ => None,
        };
        assert_eq!(
            find(c.key()).unwrap().total_value(&report.aggregate),
            printed,
            "{}",
            c.key()
        );
    }
}
