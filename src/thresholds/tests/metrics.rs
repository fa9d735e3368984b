use crate::report::{account_cells, totals_fields, Cell, ACCOUNT_COLUMNS};
use crate::test_support::sample_report;
use crate::thresholds::metrics::{account_names, find, total_only_names, Unit, METRICS};

/// The metrics table cannot drift from the report: every numeric accounts
/// column is a per-account metric of the same unit, and nothing else is.
#[test]
fn per_account_metrics_are_the_numeric_accounts_columns() {
    let report = sample_report();
    let cells = account_cells(&report.aggregate.accounts[0]);
    let numeric: Vec<(&str, Unit)> = ACCOUNT_COLUMNS
        .iter()
        .zip(cells.iter())
        .filter_map(|(name, cell)| match cell {
            Cell::Int(_) => Some((*name, Unit::Count)),
            Cell::Ratio(_) => Some((*name, Unit::Ratio)),
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
    let report = sample_report();
    let mut keys: Vec<&str> = totals_fields(&report.aggregate.totals)
        .iter()
        .map(|f| f.key)
        .collect();
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
        let cells = account_cells(row);
        for m in METRICS.iter().filter(|m| m.account.is_some()) {
            let i = ACCOUNT_COLUMNS.iter().position(|c| *c == m.name).unwrap();
            let printed = match &cells[i] {
                Cell::Int(n) => Some(*n as f64),
                Cell::Ratio(x) => Some(*x),
                _ => None,
            };
            assert_eq!(
                (m.account.unwrap())(row),
                printed,
                "{} of {}",
                m.name,
                row.account
            );
        }
    }
    for f in totals_fields(&report.aggregate.totals) {
        let printed = match f.cell {
            Cell::Int(n) => Some(n as f64),
            Cell::Ratio(x) => Some(x),
            _ => None,
        };
        assert_eq!(
            (find(f.key).unwrap().total.unwrap())(&report.aggregate),
            printed,
            "{}",
            f.key
        );
    }
}
