//! The Changes sheet (with `--compare` only; the last sheet). At its top,
//! a title naming the run compared with, then the totals then and now
//! (every count of the totals table: previous, current, change), then the
//! accounts whose licenses changed (purchases and releases, biggest change
//! first, `Compared::license_changes`: apart from the usage movers). Below
//! them the table of every account (its header filterable and repeated on
//! every printed page): previous value, current value and difference side
//! by side for each compared metric (`report::changes::change_columns`,
//! headed by the column's label: `Licenses used (previous)`, `(current)`,
//! `(change)`); matched accounts biggest movers first, then new accounts,
//! then vanished ones, the Comparison column saying which (`changed`,
//! `unchanged`, `unknown`, `new`, `vanished`), and a totals row.
//! Utilization values are percentages, its difference is in percentage
//! points (`+7.0 pp`), count differences are signed (`+7`). With nothing
//! to compare with, the sheet holds the note instead. The Run sheet names
//! the run compared with.

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use super::totals_row::{Rule, TotalsRow};
use super::{
    as_col, as_row, print, table_columns, table_heading, write_formatted, write_table_cell,
    Heading, Styles,
};
use crate::columns::accounts::{compared, AccountRow, ACCOUNT, TOTAL_AUTHORIZED, UIN};
use crate::columns::{Cell, Column, Kind, Total};
use crate::compare::{Compared, Comparison};
use crate::report::changes::{
    change_row_cells, change_rows, previous_date, CHANGE_KEY_COLUMNS, SIDES,
};
use crate::report::Report;

/// The sheet's name.
pub const CHANGES_SHEET: &str = "Changes";

/// Number format of a ratio's difference (its value in points).
pub const POINTS_FORMAT: &str = "+0.0\" pp\";-0.0\" pp\";0.0\" pp\"";

/// Number format of the count differences.
pub const SIGNED_FORMAT: &str = "+#,##0;-#,##0;0";

/// The headers of [`CHANGE_KEY_COLUMNS`], and what their cells are.
const KEY_HEADINGS: [(&str, Kind, f64); 5] = [
    ("Account", Kind::Text, 24.0),
    ("UIN", Kind::Uin, 20.0),
    ("Comparison", Kind::Status, 12.0),
    ("Status", Kind::Status, 9.0),
    ("Previous status", Kind::Status, 10.0),
];

/// Adds the Changes sheet when the run compares.
pub(super) fn sheet(wb: &mut Workbook, report: &Report, styles: &Styles) -> Result<(), XlsxError> {
    match &report.comparison {
        Comparison::NotAsked => Ok(()),
        Comparison::NoPrevious(note) => {
            let ws = wb.add_worksheet();
            ws.set_name(CHANGES_SHEET)?;
            ws.set_column_width(0, 100)?;
            print::sheet(ws, &styles.stem)?;
            ws.write_string_with_format(0, 0, "No earlier run to compare with", &styles.header)?;
            ws.write_string(1, 0, super::clip(note))?;
            Ok(())
        }
        Comparison::With(c) => {
            // Rows in order (constant memory): the columns' formats first.
            let ws = wb.add_worksheet_with_constant_memory()?;
            let mut headings = headings();
            // The first column holds the totals' labels above the accounts.
            let longest = c.totals.iter().map(|t| t.column.label().chars().count());
            let label_width = longest.max().unwrap_or(0) as f64 + 2.0;
            headings[0].width = headings[0].width.max(label_width);
            let rows = c.changes.len() + c.vanished.len();
            table_columns(ws, &headings, styles)?;
            column_formats(ws)?;
            let title = format!(
                "Changes since {} (run {})",
                previous_date(c),
                c.previous_run
            );
            ws.write_string_with_format(0, 0, super::clip(&title), &styles.title)?;
            let next = totals_block(ws, 2, c, styles)?;
            let top = license_changes_block(ws, next + 1, report, c, styles)? + 1;
            // The table prints from a page of its own, its title above it.
            ws.set_page_breaks(&[top])?;
            ws.write_string_with_format(top, 0, "Every account", &styles.bold)?;
            let header = top + 1;
            let n = headings.len();
            table_heading(ws, CHANGES_SHEET, &headings, header, rows, styles, n)?;
            let mut totals = totals(styles);
            for (i, row) in change_rows(report, c).enumerate() {
                for (col, cell) in change_row_cells(&row).iter().enumerate() {
                    totals.add(col, cell);
                    write_table_cell(ws, header + 1 + as_row(i)?, as_col(col)?, cell)?;
                }
            }
            totals.write(ws, header + 1, rows, styles)
        }
    }
}

/// The sheet's headings: the key columns', then `<label> (previous)`,
/// `(current)` and `(change)` for each compared column, as wide as that
/// column on the Accounts sheet.
fn headings() -> Vec<Heading> {
    debug_assert_eq!(KEY_HEADINGS.len(), CHANGE_KEY_COLUMNS.len());
    let keys = KEY_HEADINGS
        .iter()
        .map(|(label, kind, width)| Heading::new(*label, *width, *kind));
    let sides = compared().iter().flat_map(|c| {
        SIDES.map(|side| {
            let kind = match (side, c.kind) {
                ("change", Kind::Ratio) => Kind::Decimal,
                _ => c.kind,
            };
            Heading::new(format!("{} ({side})", c.label), c.xlsx_width(), kind)
        })
    });
    keys.chain(sides).collect()
}

/// The headers of the totals block.
pub const TOTALS_HEADER: [&str; 4] = ["Total", "Previous", "Current", "Change"];

/// The totals then and now from `row`: a header, one row per count of the
/// totals, each shown by its kind; returns the next free row.
fn totals_block(
    ws: &mut Worksheet,
    row: u32,
    c: &Compared,
    styles: &Styles,
) -> Result<u32, XlsxError> {
    let signed = styles.of(Kind::Count).clone().set_num_format(SIGNED_FORMAT);
    for (i, h) in TOTALS_HEADER.iter().enumerate() {
        let kind = if i == 0 { Kind::Text } else { Kind::Count };
        ws.write_string_with_format(row, as_col(i)?, *h, styles.header(kind))?;
    }
    for (i, t) in c.totals.iter().enumerate() {
        let r = row + 1 + as_row(i)?;
        let value = styles.of(t.column.kind());
        write_formatted(
            ws,
            r,
            0,
            &Cell::str(t.column.label()),
            styles.of(Kind::Text),
        )?;
        write_formatted(ws, r, 1, &t.previous, value)?;
        write_formatted(ws, r, 2, &t.current, value)?;
        if let Some(n) = t.change.as_int() {
            ws.write_number_with_format(r, 3, n as f64, &signed)?;
        }
    }
    Ok(row + 1 + as_row(c.totals.len())?)
}

/// The headers of the licenses bought or released: the account, its UIN,
/// and the licenses total's three sides (labelled as in the table below).
pub fn license_headers() -> Vec<String> {
    [ACCOUNT.label, UIN.label]
        .into_iter()
        .map(str::to_string)
        .chain(SIDES.map(|side| format!("{} ({side})", TOTAL_AUTHORIZED.label)))
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
    // Headed in the table's columns, as many lines high as they wrap into.
    let table = headings();
    let kinds = [Kind::Text, Kind::Uin, Kind::Count, Kind::Count, Kind::Count];
    let mut lines = 1;
    for (i, (h, kind)) in license_headers().into_iter().zip(kinds).enumerate() {
        let width = table.get(i).map_or(12.0, |t| t.width);
        lines = lines.max(Heading::new(h.as_str(), width, kind).lines());
        ws.write_string_with_format(row + 1, as_col(i)?, h, styles.header(kind))?;
    }
    ws.set_row_height(row + 1, 15.0 * lines as f64)?;
    let signed = styles.of(Kind::Count).clone().set_num_format(SIGNED_FORMAT);
    let count = styles.of(Kind::Count);
    let total = &TOTAL_AUTHORIZED;
    for (n, &i) in changed.iter().enumerate() {
        let r = row + 2 + as_row(n)?;
        let a = &report.aggregate.accounts[i];
        let before = c.previous[i]
            .as_ref()
            .map_or(Cell::Empty, |p| p.values.get(total));
        let change = c.changes[i].as_ref().and_then(|ch| ch.values.int(total));
        write_formatted(ws, r, 0, &Cell::str(&a.account), styles.of(Kind::Text))?;
        write_formatted(
            ws,
            r,
            1,
            &Cell::text(a.uin.as_deref()),
            styles.of(Kind::Uin),
        )?;
        write_formatted(ws, r, 2, &before, count)?;
        write_formatted(ws, r, 3, &total.cell(a), count)?;
        if let Some(d) = change {
            ws.write_number_with_format(r, 4, d as f64, &signed)?;
        }
    }
    Ok(row + 2 + as_row(changed.len())?)
}

/// The sheet column of side `side` of the compared column `column`.
fn side_col(column: &Column<AccountRow>, side: usize) -> Option<usize> {
    let i = compared().iter().position(|c| std::ptr::eq(*c, column))?;
    Some(CHANGE_KEY_COLUMNS.len() + i * SIDES.len() + side)
}

/// The totals row: counts and their differences summed; a ratio whose
/// parts are compared too as the ratio of their sums (now and then) and
/// its difference in points.
fn totals(styles: &Styles) -> TotalsRow {
    let mut rules: Vec<(Rule, Format)> = KEY_HEADINGS
        .iter()
        .map(|(_, kind, _)| (Rule::Blank, styles.total(*kind).clone()))
        .collect();
    let points = styles
        .total(Kind::Decimal)
        .clone()
        .set_num_format(POINTS_FORMAT);
    let signed = styles
        .total(Kind::Count)
        .clone()
        .set_num_format(SIGNED_FORMAT);
    for c in compared() {
        let parts = match c.total {
            Total::Weighted { num, den } => side_col(num, 0).zip(side_col(den, 0)),
            _ => None,
        };
        let value = styles.total(c.kind).clone();
        match (c.kind, parts) {
            (Kind::Ratio, Some((num, den))) => {
                rules.push((Rule::Ratio { num, den }, value.clone()));
                rules.push((
                    Rule::Ratio {
                        num: num + 1,
                        den: den + 1,
                    },
                    value,
                ));
                let now = (num + 1, den + 1);
                rules.push((
                    Rule::Points {
                        now,
                        then: (num, den),
                    },
                    points.clone(),
                ));
            }
            (Kind::Count, _) => {
                rules.push((Rule::Sum, value.clone()));
                rules.push((Rule::Sum, value));
                rules.push((Rule::Sum, signed.clone()));
            }
            _ => rules.extend((0..SIDES.len()).map(|_| (Rule::Blank, value.clone()))),
        }
    }
    TotalsRow::new(rules)
}

/// Points for a ratio's difference, signs for the other differences (the
/// values have their kind's format).
fn column_formats(ws: &mut Worksheet) -> Result<(), XlsxError> {
    let points = Format::new().set_num_format(POINTS_FORMAT);
    let signed = Format::new().set_num_format(SIGNED_FORMAT);
    for column in compared() {
        let change = side_col(column, 2)
            .ok_or_else(|| XlsxError::ParameterError(format!("no column {}", column.key)))?;
        let format = if column.kind == Kind::Ratio {
            &points
        } else {
            &signed
        };
        ws.set_column_format(as_col(change)?, format)?;
    }
    Ok(())
}

/// The Run sheet's rows naming the run compared with, from `row`.
pub(super) fn run_rows(
    ws: &mut Worksheet,
    row: u32,
    report: &Report,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let (run, generated) = match &report.comparison {
        Comparison::NotAsked => return Ok(()),
        Comparison::NoPrevious(note) => (Cell::str(note), Cell::Empty),
        Comparison::With(c) => (
            Cell::str(&c.previous_run),
            Cell::time(Some(&c.previous_generated_at)),
        ),
    };
    ws.write_string(row, 0, "Compared with run")?;
    write_formatted(ws, row, 1, &run, styles.left(Kind::Text))?;
    ws.write_string(row + 1, 0, "Compared with (generated, UTC)")?;
    write_formatted(ws, row + 1, 1, &generated, styles.left(Kind::Time))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use calamine::{open_workbook, Data, Range, Reader, Xlsx};

    use super::*;
    use crate::report::changes::change_columns;
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

    /// The labels of the table's columns (the JSON's names, looked up
    /// below through the labels, were its headers).
    fn expected_headers() -> Vec<String> {
        let mut expected: Vec<String> =
            ["Account", "UIN", "Comparison", "Status", "Previous status"]
                .map(String::from)
                .to_vec();
        for c in compared() {
            for side in ["previous", "current", "change"] {
                expected.push(format!("{} ({side})", c.label));
            }
        }
        expected
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
        assert_eq!(header, expected_headers());
        assert!(header.iter().any(|h| h == "Licenses used (change)"));
        let names = change_columns();
        let col = |name: &str| names.iter().position(|h| h == name).unwrap();
        let accounts: Vec<String> = sheet
            .rows()
            .skip(top + 1)
            .map(|r| r[0].to_string())
            .collect();
        assert_eq!(
            accounts,
            [
                "payments-prod",
                "-member-a",
                "legacy",
                "late",
                "retired",
                "Total"
            ]
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

        // The totals row: counts summed, utilization weighted, its change in points.
        assert_eq!(get(6, "used_authorized.previous"), Some(Data::Float(114.0)));
        assert_eq!(get(6, "used_authorized.current"), Some(Data::Float(112.0)));
        assert_eq!(get(6, "used_authorized.change"), Some(Data::Float(7.0)));
        let float = |d: Option<Data>| match d {
            Some(Data::Float(x)) => x,
            other => panic!("{other:?}"),
        };
        let (then, now) = (114.0 / 140.0, 112.0 / 110.0);
        assert!((float(get(6, "utilization.previous")) - then).abs() < 1e-12);
        assert!((float(get(6, "utilization.current")) - now).abs() < 1e-12);
        assert!((float(get(6, "utilization.change")) - (now - then) * 100.0).abs() < 1e-9);
    }

    #[test]
    fn number_formats_totals_formulas_and_the_run_compared_with() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        save(&compared_report(), &path).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        let sheet = wb.worksheet_range(CHANGES_SHEET).unwrap();
        let top = row_of(&sheet, "Every account") + 1;
        let header = change_columns();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        // The totals row sums the table's rows (Excel's rows count from 1).
        let formulas = wb.worksheet_formula(CHANGES_SHEET).unwrap();
        let at = |name: &str| rust_xlsxwriter::utility::column_number_to_name(col(name) as u16);
        let column = col("used_authorized.change") as u32;
        assert_eq!(
            formulas.get_value((top as u32 + 6, column)),
            Some(&format!(
                "SUBTOTAL(109,{0}{1}:{0}{2})",
                at("used_authorized.change"),
                top + 2,
                top + 6
            ))
        );
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
            Some(crate::report::xlsx::PERCENT_FORMAT)
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
        // Printed from a page of its own, its title above it (a break
        // above the title's row, counted from 0).
        assert!(
            xml.contains(&format!(
                "<brk id=\"{}\" max=\"16383\" man=\"1\"/>",
                top - 2
            )),
            "{xml}"
        );
        // The first column is wide enough for the totals' labels above.
        let cols = &xml[xml.find("<col min=\"1\" max=\"1\" width=\"").unwrap() + 28..];
        let width: f64 = cols[..cols.find('"').unwrap()].parse().unwrap();
        let longest = crate::columns::totals::count_columns()
            .iter()
            .map(|c| c.label().len())
            .max()
            .unwrap();
        assert!(width > longest as f64, "{width} for {longest} characters");
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
