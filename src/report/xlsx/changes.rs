//! The Changes sheet (with `--compare` only; the last sheet): one row per
//! account, previous value, current value and difference side by side for
//! each compared metric ([`change_columns`]); matched accounts biggest
//! movers first, then new accounts, then vanished ones, the `comparison`
//! column saying which (`changed`, `unchanged`, `unknown`, `new`,
//! `vanished`). Utilization values are percentages, its difference is in
//! percentage points (`+7.0 pp`), count differences are signed (`+7`).
//! With nothing to compare with, the sheet holds the note instead. The Run
//! sheet names the run compared with.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{as_col, as_row, print, table_header, write_table_cell, Heading, Styles};
use crate::columns::accounts::{compared, ACCOUNTS};
use crate::columns::{find, Kind};
use crate::columns::{rfc3339, Cell};
use crate::compare::Comparison;
use crate::report::changes::{
    change_columns, change_row_cells, change_rows, CHANGE_KEY_COLUMNS, SIDES,
};
use crate::report::Report;

/// The sheet's name.
pub const CHANGES_SHEET: &str = "Changes";

/// Number format of a ratio's difference (its value in points).
pub const POINTS_FORMAT: &str = "+0.0\" pp\";-0.0\" pp\";0.0\" pp\"";

/// Number format of the count differences.
pub const SIGNED_FORMAT: &str = "+#,##0;-#,##0;0";

/// Adds the Changes sheet when the run compares.
pub(super) fn sheet(wb: &mut Workbook, report: &Report, styles: &Styles) -> Result<(), XlsxError> {
    match &report.comparison {
        Comparison::NotAsked => Ok(()),
        Comparison::NoPrevious(note) => {
            let ws = wb.add_worksheet();
            ws.set_name(CHANGES_SHEET)?;
            ws.set_column_width(0, 100)?;
            print::setup(ws)?;
            ws.write_string_with_format(0, 0, "No earlier run to compare with", &styles.header)?;
            ws.write_string(1, 0, super::clip(note))?;
            Ok(())
        }
        Comparison::With(c) => {
            let ws = wb.add_worksheet_with_constant_memory()?;
            let columns = change_columns();
            let headings: Vec<Heading> = columns.iter().map(|name| heading(name)).collect();
            let rows = c.changes.len() + c.vanished.len();
            table_header(ws, CHANGES_SHEET, &headings, rows, styles)?;
            column_formats(ws, styles)?;
            for (i, row) in change_rows(report, c).enumerate() {
                for (col, cell) in change_row_cells(&row).iter().enumerate() {
                    write_table_cell(ws, as_row(i + 1)?, as_col(col)?, cell)?;
                }
            }
            Ok(())
        }
    }
}

/// A Changes column's heading: the width of the accounts column of that
/// name, else the usual one.
fn heading(name: &str) -> Heading {
    let base = find(&ACCOUNTS, name).map_or(12.0, |c| c.xlsx_width());
    Heading::new(name, base, false)
}

/// Percentages for a ratio's values, points for its difference, signs for
/// the other differences.
fn column_formats(ws: &mut Worksheet, styles: &Styles) -> Result<(), XlsxError> {
    let points = Format::new().set_num_format(POINTS_FORMAT);
    let signed = Format::new().set_num_format(SIGNED_FORMAT);
    let first = CHANGE_KEY_COLUMNS.len();
    for (i, column) in compared().iter().enumerate() {
        let at = |side: usize| as_col(first + i * SIDES.len() + side);
        if column.kind == Kind::Ratio {
            ws.set_column_format(at(0)?, &styles.percent)?;
            ws.set_column_format(at(1)?, &styles.percent)?;
            ws.set_column_format(at(2)?, &points)?;
        } else {
            ws.set_column_format(at(2)?, &signed)?;
        }
    }
    Ok(())
}

/// The Run sheet's rows naming the run compared with, from `row`.
pub(super) fn run_rows(ws: &mut Worksheet, row: u32, report: &Report) -> Result<(), XlsxError> {
    let (run, generated) = match &report.comparison {
        Comparison::NotAsked => return Ok(()),
        Comparison::NoPrevious(note) => (Cell::str(note), Cell::Empty),
        Comparison::With(c) => (
            Cell::str(&c.previous_run),
            Cell::Text(rfc3339(&c.previous_generated_at).into()),
        ),
    };
    ws.write_string(row, 0, "Compared with run")?;
    write_table_cell(ws, row, 1, &run)?;
    ws.write_string(row + 1, 0, "Compared with (generated)")?;
    write_table_cell(ws, row + 1, 1, &generated)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use calamine::{open_workbook, Data, Reader, Xlsx};

    use super::*;
    use crate::report::xlsx::tests::header_row;
    use crate::report::xlsx::{save, SHEETS};
    use crate::test_support::compared_report;
    use crate::test_support::sample_report;

    #[test]
    fn the_changes_sheet_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        save(&compared_report(), &path).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        let mut names = SHEETS.to_vec();
        names.push(CHANGES_SHEET);
        assert_eq!(wb.sheet_names(), names);
        let sheet = wb.worksheet_range(CHANGES_SHEET).unwrap();
        let header = header_row(&sheet);
        assert_eq!(header, change_columns());
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let accounts: Vec<String> = sheet.rows().skip(1).map(|r| r[0].to_string()).collect();
        assert_eq!(
            accounts,
            ["payments-prod", "-member-a", "legacy", "late", "retired"]
        );
        let get = |r: usize, name: &str| sheet.get((r, col(name))).cloned();
        assert_eq!(
            get(1, "uin"),
            Some(Data::String("100012345678901234".into()))
        );
        assert_eq!(get(1, "comparison"), Some(Data::String("changed".into())));
        assert_eq!(get(1, "used_authorized.previous"), Some(Data::Float(90.0)));
        assert_eq!(get(1, "used_authorized.current"), Some(Data::Float(97.0)));
        assert_eq!(get(1, "used_authorized.change"), Some(Data::Float(7.0)));
        assert_eq!(get(1, "utilization.previous"), Some(Data::Float(0.9)));
        match get(1, "utilization.change") {
            Some(Data::Float(pp)) => assert!((pp - 7.0).abs() < 1e-9, "{pp}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(get(4, "comparison"), Some(Data::String("new".into())));
        assert_eq!(get(5, "comparison"), Some(Data::String("vanished".into())));
        assert_eq!(get(5, "previous_status"), Some(Data::String("ok".into())));
        assert!(matches!(
            get(5, "used_authorized.current"),
            None | Some(Data::Empty)
        ));

        let styles = wb.worksheet_style(CHANGES_SHEET).unwrap();
        let format_of = |name: &str| {
            styles
                .get((1, col(name) as u32))
                .and_then(|s| s.number_format.as_ref())
                .map(|f| f.format_code.clone())
        };
        assert_eq!(
            format_of("utilization.change").as_deref(),
            Some(POINTS_FORMAT)
        );
        assert_eq!(
            format_of("utilization.current").as_deref(),
            Some(super::super::PERCENT_FORMAT)
        );
        assert_eq!(
            format_of("used_authorized.change").as_deref(),
            Some(SIGNED_FORMAT)
        );

        let run = wb.worksheet_range("Run").unwrap();
        let compared_with = run
            .rows()
            .find(|r| r[0] == Data::String("Compared with run".into()))
            .map(|r| r[1].clone());
        assert_eq!(
            compared_with,
            Some(Data::String("tcss-authorizations-20260101T000000Z".into()))
        );
    }

    #[test]
    fn header_frozen_and_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        save(&compared_report(), &path).unwrap();
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet6.xml").unwrap(),
            &mut xml,
        )
        .unwrap();
        assert!(xml.contains("<pane ySplit=\"1\""), "frozen header: {xml}");
        let last =
            rust_xlsxwriter::utility::column_number_to_name(change_columns().len() as u16 - 1);
        assert!(
            xml.contains(&format!("<autoFilter ref=\"A1:{last}6\"/>")),
            "{xml}"
        );
    }

    #[test]
    fn no_sheet_without_compare_and_a_note_when_nothing_to_compare() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        save(&sample_report(), &path).unwrap();
        let wb: Xlsx<_> = open_workbook(&path).unwrap();
        assert_eq!(wb.sheet_names(), SHEETS.to_vec());
        let mut report = sample_report();
        report.comparison = Comparison::NoPrevious("no earlier complete run in the history".into());
        save(&report, &path).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        let sheet = wb.worksheet_range(CHANGES_SHEET).unwrap();
        assert_eq!(
            sheet.get((1, 0)),
            Some(&Data::String(
                "no earlier complete run in the history".into()
            ))
        );
    }
}
