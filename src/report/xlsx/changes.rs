//! The Changes sheet (with `--compare` only; the last sheet). At its top,
//! a title naming the run compared with, then the totals then and now
//! (every count of the totals table: previous, current, change), then the
//! accounts whose licenses changed (purchases and releases, biggest change
//! first, `Compared::license_changes`: apart from the usage movers). Below
//! them the table of every account (its header filterable): previous
//! value, current value and difference side by side for each compared
//! metric ([`change_columns`]); matched accounts biggest movers first, then
//! new accounts, then vanished ones, the `comparison` column saying which
//! (`changed`, `unchanged`, `unknown`, `new`, `vanished`). Utilization
//! values are percentages, its difference is in percentage points
//! (`+7.0 pp`), count differences are signed (`+7`). With nothing to
//! compare with, the sheet holds the note instead. The Run sheet names the
//! run compared with.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::{as_col, as_row, print, write_table_cell, Heading, Styles};
use crate::columns::accounts::{compared, ACCOUNT, ACCOUNTS, TOTAL_AUTHORIZED, UIN};
use crate::columns::{find, Kind};
use crate::columns::{rfc3339, Cell};
use crate::compare::{Compared, Comparison};
use crate::report::changes::{
    change_columns, change_row_cells, change_rows, previous_date, CHANGE_KEY_COLUMNS, SIDES,
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
            ws.set_name(CHANGES_SHEET)?;
            print::setup(ws)?;
            let columns = change_columns();
            let headings: Vec<Heading> = columns.iter().map(|name| heading(name)).collect();
            let rows = c.changes.len() + c.vanished.len();
            column_widths(ws, &headings, styles)?;
            column_formats(ws, styles)?;
            let title = format!(
                "Changes since {} (run {})",
                previous_date(c),
                c.previous_run
            );
            ws.write_string_with_format(0, 0, super::clip(&title), &styles.title)?;
            let next = totals_block(ws, 2, c, styles)?;
            let top = license_changes_block(ws, next + 1, report, c, styles)? + 1;
            ws.write_string_with_format(top, 0, "Every account", &styles.bold)?;
            let header = top + 1;
            let last_col = as_col(headings.len().saturating_sub(1))?;
            ws.autofilter(header, 0, header + as_row(rows)?, last_col)?;
            for (i, h) in headings.iter().enumerate() {
                ws.write_string_with_format(header, as_col(i)?, &h.name, &styles.header)?;
            }
            for (i, row) in change_rows(report, c).enumerate() {
                for (col, cell) in change_row_cells(&row).iter().enumerate() {
                    write_table_cell(ws, header + 1 + as_row(i)?, as_col(col)?, cell)?;
                }
            }
            Ok(())
        }
    }
}

/// The accounts table's column widths (and the percent format of its
/// ratio columns).
fn column_widths(
    ws: &mut Worksheet,
    headings: &[Heading],
    styles: &Styles,
) -> Result<(), XlsxError> {
    for (i, h) in headings.iter().enumerate() {
        ws.set_column_width(as_col(i)?, h.width)?;
        if h.percent {
            ws.set_column_format(as_col(i)?, &styles.percent)?;
        }
    }
    Ok(())
}

/// The totals then and now from `row`: a header, one row per count of the
/// totals; returns the next free row.
fn totals_block(
    ws: &mut Worksheet,
    row: u32,
    c: &Compared,
    styles: &Styles,
) -> Result<u32, XlsxError> {
    let signed = Format::new().set_num_format(SIGNED_FORMAT);
    for (i, h) in TOTALS_HEADER.iter().enumerate() {
        ws.write_string_with_format(row, as_col(i)?, *h, &styles.header)?;
    }
    for (i, t) in c.totals.iter().enumerate() {
        let r = row + 1 + as_row(i)?;
        ws.write_string(r, 0, t.column.label())?;
        write_table_cell(ws, r, 1, &t.previous)?;
        write_table_cell(ws, r, 2, &t.current)?;
        if let Some(n) = t.change.as_int() {
            ws.write_number_with_format(r, 3, n as f64, &signed)?;
        }
    }
    Ok(row + 1 + as_row(c.totals.len())?)
}

/// The headers of the totals block.
pub const TOTALS_HEADER: [&str; 4] = ["Total", "Previous", "Current", "Change"];

/// The headers of the licenses bought or released: the account, its UIN,
/// and the licenses total's three sides (named as in the table below).
pub fn license_headers() -> Vec<String> {
    [ACCOUNT.key, UIN.key]
        .into_iter()
        .map(str::to_string)
        .chain(SIDES.map(|side| format!("{}.{side}", TOTAL_AUTHORIZED.key)))
        .collect()
}

/// The accounts whose licenses changed from `row`: a title with their
/// count, a header, one row each (biggest change first); returns the next
/// free row.
fn license_changes_block(
    ws: &mut Worksheet,
    row: u32,
    report: &Report,
    c: &Compared,
    styles: &Styles,
) -> Result<u32, XlsxError> {
    let changed = c.license_changes();
    let title = format!("Licenses bought or released ({})", changed.len());
    ws.write_string_with_format(row, 0, title, &styles.bold)?;
    for (i, h) in license_headers().iter().enumerate() {
        ws.write_string_with_format(row + 1, as_col(i)?, h, &styles.header)?;
    }
    let signed = Format::new().set_num_format(SIGNED_FORMAT);
    let total = &TOTAL_AUTHORIZED;
    for (n, &i) in changed.iter().enumerate() {
        let r = row + 2 + as_row(n)?;
        let a = &report.aggregate.accounts[i];
        let before = c.previous[i]
            .as_ref()
            .map_or(Cell::Empty, |p| p.values.get(total));
        let change = c.changes[i].as_ref().and_then(|ch| ch.values.int(total));
        write_table_cell(ws, r, 0, &Cell::str(&a.account))?;
        write_table_cell(ws, r, 1, &Cell::text(a.uin.as_deref()))?;
        write_table_cell(ws, r, 2, &before)?;
        write_table_cell(ws, r, 3, &total.cell(a))?;
        if let Some(d) = change {
            ws.write_number_with_format(r, 4, d as f64, &signed)?;
        }
    }
    Ok(row + 2 + as_row(changed.len())?)
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
    use calamine::{open_workbook, Data, Range, Reader, Xlsx};

    use super::*;
    use crate::report::xlsx::{save, SHEETS};
    use crate::test_support::compared_report;
    use crate::test_support::sample_report;

    /// The row holding `text` in its first cell.
    fn row_of(sheet: &Range<Data>, text: &str) -> usize {
        sheet
            .rows()
            .position(|r| r.first() == Some(&Data::String(text.into())))
            .unwrap_or_else(|| panic!("no row {text}"))
    }

    /// The Changes sheet of `report`, and the accounts table's header row.
    fn changes_sheet(report: &Report) -> (tempfile::TempDir, Range<Data>, usize) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        save(report, &path).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        let mut names = SHEETS.to_vec();
        names.push(CHANGES_SHEET);
        assert_eq!(wb.sheet_names(), names);
        let sheet = wb.worksheet_range(CHANGES_SHEET).unwrap();
        let header = row_of(&sheet, "Every account") + 1;
        (dir, sheet, header)
    }

    #[test]
    fn the_changes_sheet_reads_back() {
        let (_dir, sheet, top) = changes_sheet(&compared_report());
        let header: Vec<String> = sheet
            .rows()
            .nth(top)
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(header, change_columns());
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let accounts: Vec<String> = sheet
            .rows()
            .skip(top + 1)
            .map(|r| r[0].to_string())
            .collect();
        assert_eq!(
            accounts,
            ["payments-prod", "-member-a", "legacy", "late", "retired"]
        );
        let get = |r: usize, name: &str| sheet.get((top + r, col(name))).cloned();
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
    }

    #[test]
    fn number_formats_and_the_run_compared_with() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        save(&compared_report(), &path).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        let sheet = wb.worksheet_range(CHANGES_SHEET).unwrap();
        let top = row_of(&sheet, "Every account") + 1;
        let header = change_columns();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let styles = wb.worksheet_style(CHANGES_SHEET).unwrap();
        let format_of = |name: &str| {
            styles
                .get((top as u32 + 1, col(name) as u32))
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

    /// The totals open the sheet: then, now and the change of every count
    /// of the totals (none known for a total the earlier run did not have).
    #[test]
    fn the_totals_then_and_now_are_at_the_top() {
        let (_dir, sheet, top) = changes_sheet(&compared_report());
        assert_eq!(
            sheet.get((0, 0)),
            Some(&Data::String(
                "Changes since 2026-01-01 00:01 UTC (run tcss-authorizations-20260101T000000Z)"
                    .into()
            ))
        );
        assert_eq!(
            sheet.rows().nth(2).unwrap()[..4]
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
            TOTALS_HEADER
        );
        let total = |label: &str| -> Vec<Data> {
            sheet.rows().nth(row_of(&sheet, label)).unwrap()[1..4].to_vec()
        };
        assert_eq!(
            total("Licenses total"),
            [Data::Float(140.0), Data::Float(110.0), Data::Float(-30.0)]
        );
        assert_eq!(
            total("Licenses short"),
            [Data::Empty, Data::Float(5.0), Data::Empty]
        );
        let totals_end = row_of(&sheet, "Licenses bought or released (0)");
        assert!(row_of(&sheet, "Licenses total") < totals_end && totals_end < top);
        let counted = (3..totals_end)
            .filter(|&r| !matches!(sheet.get((r, 0)), None | Some(Data::Empty)))
            .count();
        assert_eq!(counted, crate::columns::totals::count_columns().len());
    }

    /// Purchases and releases listed apart from the usage movers, the
    /// biggest change first.
    #[test]
    fn purchases_and_releases_are_listed_apart() {
        let mut report = compared_report();
        let Comparison::With(c) = &mut report.comparison else {
            unreachable!()
        };
        for (i, then, change) in [(1, -39_990, 40_000), (0, 160, -60)] {
            c.previous[i]
                .as_mut()
                .unwrap()
                .values
                .set(&TOTAL_AUTHORIZED, Cell::Int(then));
            c.changes[i]
                .as_mut()
                .unwrap()
                .values
                .set(&TOTAL_AUTHORIZED, Cell::Int(change));
        }
        let (_dir, sheet, top) = changes_sheet(&report);
        let at = row_of(&sheet, "Licenses bought or released (2)");
        assert_eq!(
            sheet.rows().nth(at + 1).unwrap()[..5]
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>(),
            license_headers()
        );
        let row = |r: usize| sheet.rows().nth(r).unwrap()[..5].to_vec();
        assert_eq!(
            row(at + 2),
            [
                Data::String("-member-a".into()),
                Data::String("200000000001".into()),
                Data::Float(-39_990.0),
                Data::Float(10.0),
                Data::Float(40_000.0)
            ]
        );
        assert_eq!(row(at + 3)[0], Data::String("payments-prod".into()));
        assert_eq!(row(at + 3)[4], Data::Float(-60.0));
        assert!(at + 4 < top, "above every account");
    }

    #[test]
    fn the_table_below_is_filtered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        save(&compared_report(), &path).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        let top = row_of(&wb.worksheet_range(CHANGES_SHEET).unwrap(), "Every account") + 2;
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet6.xml").unwrap(),
            &mut xml,
        )
        .unwrap();
        let last =
            rust_xlsxwriter::utility::column_number_to_name(change_columns().len() as u16 - 1);
        assert!(
            xml.contains(&format!("<autoFilter ref=\"A{top}:{last}{}\"/>", top + 5)),
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
