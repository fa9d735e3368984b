use super::*;
use crate::compare::Comparison;
use crate::test_support::{compared_report, sample_report};

#[test]
fn compared_follows_the_report() {
    let report = sample_report();
    assert!(matches!(report.comparison, Comparison::NotAsked));
    let report = compared_report();
    assert!(matches!(report.comparison, Comparison::With(_)));
}

#[test]
fn rows_are_movers_then_the_rest_then_new_then_vanished() {
    let report = compared_report();
    let c = report.comparison.compared().unwrap();
    let rows: Vec<(String, &str)> = change_rows(&report, c)
        .map(|r| (r.account().to_string(), r.kind.as_str()))
        .collect();
    let rows: Vec<(&str, &str)> = rows.iter().map(|(a, k)| (a.as_str(), *k)).collect();
    assert_eq!(
        rows,
        vec![
            ("payments-prod", "changed"),
            ("-member-a", "unchanged"),
            ("legacy", "unknown"),
            ("late", "new"),
            ("retired", "vanished"),
        ]
    );
}

#[test]
fn cells_are_previous_current_change_side_by_side() {
    let report = compared_report();
    let c = report.comparison.compared().unwrap();
    let columns = change_columns();
    assert_eq!(
        columns.len(),
        CHANGE_KEY_COLUMNS.len() + 3 * crate::compare::CHANGE_METRICS.len()
    );
    let rows: Vec<ChangeRow<'_>> = change_rows(&report, c).collect();
    let cells = change_row_cells(&rows[0]);
    assert_eq!(cells.len(), columns.len());
    fn cell_at<'a>(columns: &[String], cells: &[Cell<'a>], name: &str) -> Cell<'a> {
        cells[columns.iter().position(|c| c == name).unwrap()].clone()
    }
    let at = |cells: &[Cell<'_>], name: &str| owned(cell_at(&columns, cells, name));
    assert_eq!(at(&cells, "uin"), Cell::str("100012345678901234"));
    assert_eq!(at(&cells, "used_authorized.previous"), Cell::Int(90));
    assert_eq!(at(&cells, "used_authorized.current"), Cell::Int(97));
    assert_eq!(at(&cells, "used_authorized.change"), Cell::Int(7));
    assert_eq!(at(&cells, "utilization.previous"), Cell::Ratio(0.90));
    assert_eq!(at(&cells, "utilization.current"), Cell::Ratio(0.97));
    match cell_at(&columns, &cells, "utilization.change") {
        Cell::Num(pp) => assert!((pp - 7.0).abs() < 1e-9, "{pp}"),
        other => panic!("{other:?}"),
    }
    // The JSON keeps the ratio.
    match rows[0]
        .change
        .unwrap()
        .values
        .get(&crate::columns::accounts::UTILIZATION)
    {
        Cell::Ratio(d) => assert!((d - 0.07).abs() < 1e-12, "{d}"),
        other => panic!("{other:?}"),
    }
    // A new account: no previous values, no change.
    let new = change_row_cells(&rows[3]);
    assert_eq!(at(&new, "used_authorized.previous"), Cell::Empty);
    assert_eq!(
        at(&new, "used_authorized.current"),
        Cell::Empty,
        "cancelled now"
    );
    assert_eq!(at(&new, "comparison"), Cell::str("new"));
    assert_eq!(at(&new, "used_authorized.change"), Cell::Empty);
    assert_eq!(at(&new, "previous_status"), Cell::Empty);
    // A vanished account: its previous values only.
    let gone = change_row_cells(&rows[4]);
    assert_eq!(at(&gone, "account"), Cell::str("retired"));
    assert_eq!(at(&gone, "status"), Cell::Empty);
    assert_eq!(at(&gone, "previous_status"), Cell::str("ok"));
    assert_eq!(at(&gone, "used_authorized.previous"), Cell::Int(5));
    assert_eq!(at(&gone, "used_authorized.current"), Cell::Empty);
    // An error account now: matched, every difference empty.
    let legacy = change_row_cells(&rows[2]);
    assert_eq!(at(&legacy, "used_authorized.previous"), Cell::Int(4));
    assert_eq!(at(&legacy, "used_authorized.current"), Cell::Empty);
    assert_eq!(at(&legacy, "used_authorized.change"), Cell::Empty);
    assert_eq!(previous_date(c), "2026-01-01 00:01 UTC");
}

fn owned(c: Cell<'_>) -> Cell<'static> {
    c.into_owned()
}
