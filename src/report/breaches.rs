//! The breaches table every format prints ([`BREACH_COLUMNS`],
//! `breach_cells`): one row per breached threshold, per account, for the
//! totals or per group (its `group_by` and `group`, `null` when untagged;
//! both `null` outside group scope), typed like every other table (a ratio
//! is a ratio cell, shown as a percentage where the format has one). The numbers come from
//! [`crate::thresholds::evaluate`]; nothing is computed here.

use crate::columns::Cell;
use crate::thresholds::{Breach, Unit};

/// The breaches table columns (JSON keys, XLSX headers).
pub const BREACH_COLUMNS: [&str; 10] = [
    "scope",
    "account",
    "uin",
    "group_by",
    "group",
    "metric",
    "op",
    "value",
    "threshold",
    "expression",
];

/// A value of a breach as a cell: a ratio cell for a ratio metric, a whole
/// number where it is one, a decimal otherwise.
pub(crate) fn number_cell(value: f64, unit: Unit) -> Cell<'static> {
    match unit {
        Unit::Ratio => Cell::Ratio(value),
        Unit::Count if value.fract() == 0.0 && value.abs() < 9.0e15 => Cell::Int(value as i64),
        Unit::Count => Cell::Num(value),
    }
}

/// One breach's cells, in [`BREACH_COLUMNS`] order.
pub(crate) fn breach_cells(b: &Breach) -> [Cell<'_>; 10] {
    [
        Cell::str(b.scope.as_str()),
        Cell::text(b.account.as_deref()),
        Cell::text(b.uin.as_deref()),
        Cell::text(b.group_by.as_deref()),
        Cell::text(b.group.as_deref()),
        Cell::Text(b.metric.to_string().into()),
        Cell::str(b.op.as_str()),
        number_cell(b.value, b.unit),
        number_cell(b.threshold, b.unit),
        Cell::str(&b.expression),
    ]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::test_support::breached_report;
    use crate::test_support::sample_report;

    #[test]
    fn cells_are_typed() {
        let r = breached_report();
        let cells = breach_cells(&r.breaches[0]);
        assert_eq!(cells.len(), BREACH_COLUMNS.len());
        assert_eq!(cells[0], Cell::str("account"));
        assert_eq!(cells[1], Cell::str("payments-prod"));
        assert_eq!(cells[2], Cell::str("100012345678901234"));
        assert_eq!((&cells[3], &cells[4]), (&Cell::Empty, &Cell::Empty));
        assert_eq!(cells[5], Cell::str("utilization"));
        assert_eq!(cells[6], Cell::str(">="));
        assert_eq!(cells[7], Cell::Ratio(0.97));
        assert_eq!(cells[8], Cell::Ratio(0.9));
        let total = breach_cells(&r.breaches[1]);
        assert_eq!((&total[1], &total[2]), (&Cell::Empty, &Cell::Empty));
        assert_eq!(total[7], Cell::Int(3));
        assert_eq!(total[8], Cell::Num(2.5));
    }

    #[test]
    fn json_lists_every_breach_and_an_empty_list_when_none() {
        let mut out = Vec::new();
        crate::report::json::write(&breached_report(), &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v["breaches"],
            serde_json::json!([
                {"scope": "account", "account": "payments-prod", "uin": "100012345678901234",
                 "group_by": null, "group": null,
                 "metric": "utilization", "op": ">=", "value": 0.97, "threshold": 0.9,
                 "expression": "utilization >= 90%"},
                {"scope": "total", "account": null, "uin": null, "group_by": null, "group": null,
                 "metric": "failed_queries",
                 "op": ">", "value": 3, "threshold": 2.5, "expression": "total.failed_queries > 2.5"}
            ])
        );
        let mut out = Vec::new();
        crate::report::json::write(&sample_report(), &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["breaches"], serde_json::json!([]));
    }
}
