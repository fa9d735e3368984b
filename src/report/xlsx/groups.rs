//! The Groups sheet (with `--group-by` only; after Accounts): one table of
//! every group of every key (the groups table's columns, the untagged
//! group shown `(untagged)`, headed by their labels, values shown by kind),
//! with a frozen, filterable header, and beside it a bar chart per key of
//! its [`TOP_GROUPS`] groups by licenses used, its axis from zero (the rows
//! are largest use first within a key, so a chart reads the top of its
//! key's rows). No totals row: the table holds every key's groups, each
//! key's adding up to the run's totals (the Summary's), so a column's sum
//! would count the run once per key.

use rust_xlsxwriter::{Chart, ChartType, Workbook, Worksheet, XlsxError};

use super::{as_col, as_row, table_header, write_table_cell, Heading, Styles};
use crate::columns::accounts::USED_AUTHORIZED;
use crate::columns::groups::{GroupColumn, GROUP, GROUPS, UNTAGGED};
use crate::columns::Cell;
use crate::report::Report;

/// The sheet's name.
pub const GROUPS_SHEET: &str = "Groups";

/// The groups of a key its chart shows.
pub const TOP_GROUPS: usize = 10;

/// Sheet rows between two charts.
const CHART_ROWS: u32 = 18;

/// Adds the Groups sheet when the run is grouped.
pub(super) fn sheet(wb: &mut Workbook, report: &Report, styles: &Styles) -> Result<(), XlsxError> {
    let groups = &report.groups;
    if groups.keys.is_empty() {
        return Ok(());
    }
    let ws = wb.add_worksheet();
    let headings: Vec<Heading> = GROUPS
        .iter()
        .map(|c| Heading::new(c.label(), c.xlsx_width(), c.kind()))
        .collect();
    table_header(ws, GROUPS_SHEET, &headings, groups.rows.len(), styles)?;
    for (i, g) in groups.rows.iter().enumerate() {
        let row = as_row(i + 1)?;
        for (c, column) in GROUPS.iter().enumerate() {
            let cell = match column {
                GroupColumn::Own(own) if std::ptr::eq(*own, &GROUP) && g.group.is_none() => {
                    Cell::str(UNTAGGED)
                }
                _ => column.cell(g),
            };
            write_table_cell(ws, row, as_col(c)?, &cell)?;
        }
    }
    charts(ws, report)
}

/// The column of `pick` in the table.
fn column(pick: impl Fn(&GroupColumn) -> bool, what: &str) -> Result<u16, XlsxError> {
    let i = GROUPS
        .iter()
        .position(pick)
        .ok_or_else(|| XlsxError::ParameterError(format!("no groups column {what}")))?;
    as_col(i)
}

/// A bar chart per key, right of the table.
fn charts(ws: &mut Worksheet, report: &Report) -> Result<(), XlsxError> {
    let name_col = column(
        |c| matches!(c, GroupColumn::Own(o) if std::ptr::eq(*o, &GROUP)),
        "group",
    )?;
    let used_col = column(|c| c.is(&USED_AUTHORIZED), USED_AUTHORIZED.key)?;
    let at_col = as_col(GROUPS.len() + 1)?;
    let mut first = 1u32;
    for (k, (key, rows)) in report.groups.by_key().enumerate() {
        let shown = rows.len().min(TOP_GROUPS);
        if shown > 0 {
            let last = first + as_row(shown - 1)?;
            let mut chart = Chart::new(ChartType::Bar);
            chart
                .add_series()
                .set_categories((GROUPS_SHEET, first, name_col, last, name_col))
                .set_values((GROUPS_SHEET, first, used_col, last, used_col))
                .set_name(USED_AUTHORIZED.label);
            chart.title().set_name(
                format!("{} by {key}: top {shown} groups", USED_AUTHORIZED.label).as_str(),
            );
            chart.x_axis().set_min(0).set_num_format("#,##0");
            chart.y_axis().set_reverse();
            chart.legend().set_hidden();
            chart.set_width(560).set_height(320);
            ws.insert_chart(1 + as_row(k)? * CHART_ROWS, at_col, &chart)?;
        }
        first += as_row(rows.len())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use calamine::{open_workbook, Data, Reader, Xlsx};

    use super::*;
    use crate::report::xlsx::save;
    use crate::test_support::{grouped_report, sample_report};

    #[test]
    fn one_filterable_table_with_the_untagged_group_and_a_chart_per_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        save(&grouped_report(), &path).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        let names = wb.sheet_names();
        assert_eq!(names[1..3], ["Accounts", GROUPS_SHEET], "after Accounts");
        let range = wb.worksheet_range(GROUPS_SHEET).unwrap();
        let header: Vec<String> = crate::report::xlsx::tests::header_row(&range);
        let labels: Vec<&str> = GROUPS.iter().map(|c| c.label()).collect();
        assert_eq!(header, labels, "headed by the labels");
        assert_eq!(range.height(), 1 + 5);
        let col = |key: &str| GROUPS.iter().position(|c| c.key() == key).unwrap();
        let at = |r: usize, name: &str| range.get((r, col(name))).cloned();
        assert_eq!(at(1, "group"), Some(Data::String("payments".into())));
        assert_eq!(at(1, "utilization"), Some(Data::Float(0.97)));
        assert_eq!(at(3, "group"), Some(Data::String("(untagged)".into())));
        assert_eq!(at(3, "accounts"), Some(Data::Float(2.0)));
        assert_eq!(at(2, "licenses_short"), Some(Data::Float(5.0)), "15 of 10");
        assert_eq!(
            at(4, "group"),
            Some(Data::String("=HYPERLINK(\"x\")".into()))
        );
        // The autofilter and the two charts, in the sheet's XML.
        let xml = sheet_xml(&path);
        assert!(xml.contains("<autoFilter ref=\"A1:U6\""), "{xml}");
        // Shown by kind: counts `#,##0`, ratios `0.0%` (issue 24).
        let styles = parts(&path, "xl/styles").concat();
        assert!(styles.contains("formatCode=\"#,##0\""), "{styles}");
        assert!(styles.contains("formatCode=\"0.0%\""), "{styles}");
        let charts: Vec<String> = parts(&path, "xl/charts/chart")
            .into_iter()
            .filter(|c| c.contains("Groups!"))
            .collect();
        assert_eq!(charts.len(), 2, "besides the Summary's");
        assert!(
            charts.iter().any(|c| c.contains("Groups!$B$2:$B$4")),
            "team: 3 rows"
        );
        assert!(
            charts.iter().any(|c| c.contains("Groups!$H$5:$H$6")),
            "cost_center: used"
        );
        assert!(
            charts.iter().all(|c| c.contains("<c:min val=\"0\"/>")),
            "axes from zero"
        );
        // Not grouped: no sheet.
        save(&sample_report(), &path).unwrap();
        let wb: Xlsx<_> = open_workbook(&path).unwrap();
        assert!(!wb.sheet_names().contains(&GROUPS_SHEET.to_string()));
    }

    fn parts(path: &std::path::Path, prefix: &str) -> Vec<String> {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
        let mut out = Vec::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            if f.name().unwrap().starts_with(prefix) {
                let mut text = String::new();
                f.read_to_string(&mut text).unwrap();
                out.push(text);
            }
        }
        out
    }

    /// The Groups sheet's XML (the third sheet).
    fn sheet_xml(path: &std::path::Path) -> String {
        parts(path, "xl/worksheets/sheet3.xml").concat()
    }
}
