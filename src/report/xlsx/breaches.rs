//! The Summary sheet's Breaches section, below the totals (only when a
//! `--fail-on` threshold was breached): a title with the count, a header
//! row, one row per breach. Columns A and B take the account and UIN, the
//! narrow spacer column C stays empty, the expression and the numbers follow
//! (ratios as percentages), then a group breach's key and group.

use rust_xlsxwriter::{Worksheet, XlsxError};

use super::{as_row, write_cell, Styles};
use crate::report::breaches::{breach_cells, BREACH_COLUMNS};
use crate::report::Report;

/// Where each of [`BREACH_COLUMNS`] goes: (column, sheet column, width when
/// the Summary sheet does not set one already, header).
const LAYOUT: [(&str, u16, Option<f64>, &str); 10] = [
    ("account", 0, None, "Account"),
    ("uin", 1, None, "UIN"),
    ("expression", 3, None, "Threshold breached"),
    ("value", 4, None, "Value"),
    ("op", 5, None, "Operator"),
    ("threshold", 6, None, "Threshold"),
    ("scope", 7, Some(10.0), "Scope"),
    ("metric", 8, Some(26.0), "Metric"),
    ("group_by", 9, Some(16.0), "Grouped by"),
    ("group", 10, Some(24.0), "Group"),
];

/// Writes the section from `row` when there are breaches.
pub(super) fn section(
    ws: &mut Worksheet,
    row: u32,
    report: &Report,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let all = &report.breaches;
    if all.is_empty() {
        return Ok(());
    }
    let title = format!(
        "Breaches: {} threshold breach{} (exit code 4)",
        all.len(),
        if all.len() == 1 { "" } else { "es" }
    );
    // On a page of its own, so the chart above prints whole.
    ws.set_page_breaks(&[row])?;
    ws.write_string_with_format(row, 0, title, &styles.bold)?;
    let index = |name: &str| BREACH_COLUMNS.iter().position(|c| *c == name);
    for (_, col, width, header) in LAYOUT {
        ws.write_string_with_format(row + 1, col, header, &styles.header)?;
        if let Some(w) = width {
            ws.set_column_width(col, w)?;
        }
    }
    for (i, b) in all.iter().enumerate() {
        let r = row + 2 + as_row(i)?;
        let cells = breach_cells(b);
        for (name, col, _, _) in LAYOUT {
            let at = index(name)
                .ok_or_else(|| XlsxError::ParameterError(format!("no breaches column {name}")))?;
            write_cell(ws, r, col, &cells[at], styles)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use calamine::{open_workbook, Data, Reader, Xlsx};

    use super::LAYOUT;
    use crate::report::breaches::BREACH_COLUMNS;
    use crate::report::xlsx::save;
    use crate::test_support::breached_report;
    use crate::test_support::sample_report;

    fn summary(report: &crate::report::Report) -> calamine::Range<Data> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        save(report, &path).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        wb.worksheet_range("Summary").unwrap()
    }

    fn find(range: &calamine::Range<Data>, text: &str) -> Option<(usize, usize)> {
        range
            .cells()
            .find(|(_, _, c)| matches!(c, Data::String(s) if s.starts_with(text)))
            .map(|(r, c, _)| (r, c))
    }

    #[test]
    fn every_column_is_placed_once() {
        let mut names: Vec<&str> = LAYOUT.iter().map(|l| l.0).collect();
        names.sort_unstable();
        let mut expected = BREACH_COLUMNS.to_vec();
        expected.sort_unstable();
        assert_eq!(names, expected);
    }

    #[test]
    fn the_summary_lists_every_breach_below_the_totals() {
        let range = summary(&breached_report());
        let (title, col) = find(&range, "Breaches: 2 threshold breaches").expect("a title");
        assert_eq!(col, 0);
        let (last_total, _) = find(&range, "Throttled attempts").expect("totals");
        assert!(title > last_total, "below the totals");
        let row = |r: usize, c: usize| range.get((r, c)).cloned().unwrap_or(Data::Empty);
        // Headers in words (they were the JSON keys `account`, `metric`).
        assert_eq!(row(title + 1, 0), Data::String("Account".into()));
        assert_eq!(row(title + 1, 8), Data::String("Metric".into()));
        let first = title + 2;
        assert_eq!(row(first, 0), Data::String("payments-prod".into()));
        assert_eq!(row(first, 1), Data::String("100012345678901234".into()));
        assert_eq!(row(first, 3), Data::String("utilization >= 90%".into()));
        assert_eq!(row(first, 4), Data::Float(0.97));
        assert_eq!(row(first, 5), Data::String(">=".into()));
        assert_eq!(row(first, 6), Data::Float(0.9));
        assert_eq!(row(first, 7), Data::String("account".into()));
        assert_eq!(row(first + 1, 0), Data::Empty, "no account for the totals");
        assert_eq!(row(first + 1, 4), Data::Float(3.0));
        assert_eq!(row(first + 1, 7), Data::String("total".into()));
        assert_eq!(row(first + 1, 8), Data::String("failed_queries".into()));
    }

    #[test]
    fn no_section_without_breaches() {
        assert_eq!(find(&summary(&sample_report()), "Breaches"), None);
    }
}
