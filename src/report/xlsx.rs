//! The workbook `<stem>.xlsx`, sheets in this order:
//!
//! - **Summary**: run facts (the title says `SIMULATED` and `SUBSET` when
//!   the run is one; "Covers" lists a subset's selectors, "Data from" says
//!   simulated), the totals, and the ten most utilized accounts as a small
//!   table with a bar chart of their utilization;
//! - **Accounts**: the accounts table (same columns as the CSV, tags as
//!   `tag:<key>` columns); ratios formatted `0.0%`; conditional formatting:
//!   utilization of 90% or more red, 75% or more amber, `scan_quota_days_left`
//!   of 30 or less amber (negative red), negative `remaining_authorized` red;
//! - **Groups** (with `--group-by` only, [`groups`]): every group of every
//!   key, and a bar chart per key of its groups using the most licenses;
//! - **Regions**: the regions table;
//! - **Errors**: every organization whose members could not be listed, every
//!   failed or cancelled query, and every answer with a `warning`;
//! - **Run**: start, end, duration, version, config path and digest, flags and counts.
//!
//! Table sheets have a frozen, filterable header row and fixed column widths.
//! Text is written as text (the UIN included), numbers as numbers, unknown
//! values as blank cells. The large sheets (Accounts, Regions, Errors) use
//! rust_xlsxwriter's constant-memory mode: rows are written in order and
//! flushed to a temporary file, so memory stays flat for 10,000 accounts.

mod breaches;
mod groups;

use std::path::Path;

use rust_xlsxwriter::utility::column_number_to_name;
use rust_xlsxwriter::{
    Chart, ChartType, ConditionalFormatCell, ConditionalFormatCellRule, ConditionalFormatFormula,
    DocProperties, ExcelDateTime, Format, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::Report;
use crate::aggregate::RegionRow;
use crate::columns::accounts::{self, AccountRow, ACCOUNTS, TAG_COLUMN_PREFIX};
use crate::columns::regions::ERRORS;
use crate::columns::regions::REGIONS;
use crate::columns::run::RUN;
use crate::columns::totals::{self, TOTALS};
use crate::columns::{rfc3339, Cell, Column, Kind};

mod changes;
mod print;

/// Sheet names, in workbook order.
pub const SHEETS: [&str; 5] = ["Summary", "Accounts", "Regions", "Errors", "Run"];

/// Number format of ratio cells.
pub const PERCENT_FORMAT: &str = "0.0%";

/// Longest text Excel stores in a cell, in UTF-16 units.
const MAX_CELL_TEXT: usize = 32_767;

const RED_FILL: &str = "FFC7CE";
const RED_TEXT: &str = "9C0006";
const AMBER_FILL: &str = "FFEB9C";
const AMBER_TEXT: &str = "9C5700";

struct Styles {
    header: Format,
    percent: Format,
    title: Format,
    bold: Format,
    red: Format,
    amber: Format,
}

impl Styles {
    fn new() -> Styles {
        Styles {
            header: Format::new()
                .set_bold()
                .set_background_color("D9E1F2")
                .set_border_bottom(FormatBorder::Thin),
            percent: Format::new().set_num_format(PERCENT_FORMAT),
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            red: Format::new()
                .set_background_color(RED_FILL)
                .set_font_color(RED_TEXT),
            amber: Format::new()
                .set_background_color(AMBER_FILL)
                .set_font_color(AMBER_TEXT),
        }
    }
}

/// Writes the workbook to `path`.
pub fn save(report: &Report, path: &Path) -> Result<(), XlsxError> {
    let mut workbook = Workbook::new();
    // Level 1 deflate: the file is about 10% larger than at the default
    // level 6, and compressing it costs a fraction of the CPU (the default
    // was a tenth of a 2,000-account run's CPU; docs/benchmarks.md).
    workbook.set_zip_compression_level(1);
    let created = ExcelDateTime::from_timestamp(report.aggregate.generated_at.timestamp())?;
    let properties = DocProperties::new()
        .set_title(format!(
            "TCSS image-scan licenses {}",
            report.aggregate.run.stem
        ))
        .set_subject("Tencent Cloud Container Security image-scan license audit")
        .set_author("tcss-report")
        .set_comment(format!(
            "tcss-report {}; config {} (sha256 {})",
            report.aggregate.run.version,
            report.aggregate.run.config_path,
            report.aggregate.run.config_digest
        ))
        .set_creation_datetime(&created);
    workbook.set_properties(&properties);
    let styles = Styles::new();

    summary_sheet(workbook.add_worksheet(), report, &styles)?;
    accounts_sheet(
        workbook.add_worksheet_with_constant_memory()?,
        report,
        &styles,
    )?;
    groups::sheet(&mut workbook, report, &styles)?;
    regions_sheet(
        workbook.add_worksheet_with_constant_memory()?,
        report,
        &styles,
    )?;
    errors_sheet(
        workbook.add_worksheet_with_constant_memory()?,
        report,
        &styles,
    )?;
    run_sheet(workbook.add_worksheet(), report, &styles)?;
    changes::sheet(&mut workbook, report, &styles)?;
    workbook.save(path)
}

/// Cuts text to what a cell can hold.
fn clip(text: &str) -> &str {
    // A char never takes more UTF-16 units than UTF-8 bytes.
    if text.len() <= MAX_CELL_TEXT {
        return text;
    }
    let mut units = 0;
    for (i, c) in text.char_indices() {
        units += c.len_utf16();
        if units > MAX_CELL_TEXT {
            return &text[..i];
        }
    }
    text
}

fn as_row(n: usize) -> Result<u32, XlsxError> {
    u32::try_from(n).map_err(|_| XlsxError::RowColumnLimitError)
}

fn as_col(n: usize) -> Result<u16, XlsxError> {
    u16::try_from(n).map_err(|_| XlsxError::RowColumnLimitError)
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell<'_>,
    styles: &Styles,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Ratio(x) if x.is_finite() => {
            ws.write_number_with_format(row, col, *x, &styles.percent)?;
            Ok(())
        }
        other => write_table_cell(ws, row, col, other),
    }
}

/// Writes one cell of a table sheet, whose ratio columns carry the percent
/// format as a column format ([`Heading::percent`]): looking a cell format
/// up hashes the whole `Format`, a third of the cost of writing a number.
fn write_table_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell<'_>,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(s) => {
            ws.write_string(row, col, clip(s))?;
        }
        Cell::Int(n) => {
            ws.write_number(row, col, *n as f64)?;
        }
        Cell::Ratio(x) | Cell::Num(x) => {
            if x.is_finite() {
                ws.write_number(row, col, *x)?;
            }
        }
        Cell::Bool(b) => {
            ws.write_boolean(row, col, *b)?;
        }
        Cell::Time(t) => {
            ws.write_string(row, col, rfc3339(t))?;
        }
    }
    Ok(())
}

/// A table sheet's column: its header, its width and whether its cells
/// are ratios (the column then carries the percent format).
pub(super) struct Heading {
    /// The header text.
    pub(super) name: String,
    /// The width (autofit is unavailable in constant-memory mode).
    pub(super) width: f64,
    /// Whether the column's cells are ratios.
    pub(super) percent: bool,
}

impl Heading {
    /// A column `name`, `base` characters wide or wide enough for its
    /// header and the filter button.
    pub(super) fn new(name: impl Into<String>, base: f64, percent: bool) -> Heading {
        let name = name.into();
        let width = base.max(name.chars().count() as f64 * 1.1 + 3.0).min(80.0);
        Heading {
            name,
            width,
            percent,
        }
    }

    /// The heading of a table's column (the XLSX shows the keys).
    pub(super) fn of<R>(c: &Column<R>) -> Heading {
        Heading::new(c.key, c.xlsx_width(), c.kind == Kind::Ratio)
    }

    /// A `tag:<key>` column.
    fn tag(key: &str) -> Heading {
        Heading::new(format!("{TAG_COLUMN_PREFIX}{key}"), 18.0, false)
    }
}

/// Header row, widths, frozen header and autofilter for a table of `rows` rows.
fn table_header(
    ws: &mut Worksheet,
    name: &str,
    columns: &[Heading],
    rows: usize,
    styles: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    let last_col = as_col(columns.len().saturating_sub(1))?;
    for (i, c) in columns.iter().enumerate() {
        ws.set_column_width(as_col(i)?, c.width)?;
        if c.percent {
            ws.set_column_format(as_col(i)?, &styles.percent)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofilter(0, 0, as_row(rows)?, last_col)?;
    print::setup(ws)?;
    for (i, c) in columns.iter().enumerate() {
        ws.write_string_with_format(0, as_col(i)?, clip(&c.name), &styles.header)?;
    }
    Ok(())
}

/// The sheet column of the accounts column `column`.
fn column_index(column: &Column<AccountRow>) -> Result<u16, XlsxError> {
    let i = ACCOUNTS
        .iter()
        .position(|c| std::ptr::eq(*c, column))
        .ok_or_else(|| XlsxError::ParameterError(format!("no accounts column {}", column.key)))?;
    as_col(i)
}

fn accounts_sheet(ws: &mut Worksheet, report: &Report, styles: &Styles) -> Result<(), XlsxError> {
    let columns: Vec<Heading> = ACCOUNTS
        .iter()
        .map(|c| Heading::of(c))
        .chain(report.aggregate.tag_keys.iter().map(|k| Heading::tag(k)))
        .collect();
    let n = report.aggregate.accounts.len();
    table_header(ws, SHEETS[1], &columns, n, styles)?;

    if n > 0 {
        let last = as_row(n)?;
        let util = column_index(&accounts::UTILIZATION)?;
        ws.add_conditional_format(
            1,
            util,
            last,
            util,
            &ConditionalFormatCell::new()
                .set_rule(ConditionalFormatCellRule::GreaterThanOrEqualTo(0.9))
                .set_format(&styles.red),
        )?;
        ws.add_conditional_format(
            1,
            util,
            last,
            util,
            &ConditionalFormatCell::new()
                .set_rule(ConditionalFormatCellRule::GreaterThanOrEqualTo(0.75))
                .set_format(&styles.amber),
        )?;
        let remaining = column_index(&accounts::REMAINING_AUTHORIZED)?;
        ws.add_conditional_format(
            1,
            remaining,
            last,
            remaining,
            &ConditionalFormatCell::new()
                .set_rule(ConditionalFormatCellRule::LessThan(0))
                .set_format(&styles.red),
        )?;
        // A formula rule, because a plain "<= 30" rule would also colour blank cells.
        let days = column_index(&accounts::SCAN_QUOTA_DAYS_LEFT)?;
        let cell = format!("{}2", column_number_to_name(days));
        ws.add_conditional_format(
            1,
            days,
            last,
            days,
            &ConditionalFormatFormula::new()
                .set_rule(format!("=AND(ISNUMBER({cell}),{cell}<0)").as_str())
                .set_format(&styles.red),
        )?;
        ws.add_conditional_format(
            1,
            days,
            last,
            days,
            &ConditionalFormatFormula::new()
                .set_rule(format!("=AND(ISNUMBER({cell}),{cell}<=30)").as_str())
                .set_format(&styles.amber),
        )?;
    }

    for (i, a) in report.aggregate.accounts.iter().enumerate() {
        let row = as_row(i + 1)?;
        for (c, column) in ACCOUNTS.iter().enumerate() {
            write_table_cell(ws, row, as_col(c)?, &column.cell(a))?;
        }
        for (k, key) in report.aggregate.tag_keys.iter().enumerate() {
            if let Some(value) = a.tags.get(key) {
                ws.write_string(row, as_col(ACCOUNTS.len() + k)?, clip(value))?;
            }
        }
    }
    Ok(())
}

fn regions_sheet(ws: &mut Worksheet, report: &Report, styles: &Styles) -> Result<(), XlsxError> {
    let columns: Vec<Heading> = REGIONS.iter().map(|c| Heading::of(c)).collect();
    table_header(
        ws,
        SHEETS[2],
        &columns,
        report.aggregate.regions.len(),
        styles,
    )?;
    for (i, r) in report.aggregate.regions.iter().enumerate() {
        let row = as_row(i + 1)?;
        for (c, column) in REGIONS.iter().enumerate() {
            write_table_cell(ws, row, as_col(c)?, &column.cell(r))?;
        }
    }
    Ok(())
}

/// A query as an Errors row.
fn error_cells(r: &RegionRow) -> [Cell<'_>; 11] {
    ERRORS.map(|c| c.cell(r))
}

/// An organization whose member list could not be read, as an Errors row:
/// `organization <name>` in the account column.
fn organization_error_cells(o: &crate::model::OrganizationRun) -> [Cell<'_>; 11] {
    [
        Cell::Text(std::borrow::Cow::Owned(format!("organization {}", o.name))),
        Cell::Empty,
        Cell::Empty,
        Cell::str(o.status()),
        Cell::text(o.error_code.as_deref()),
        Cell::text(o.error_message.as_deref()),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
    ]
}

fn errors_sheet(ws: &mut Worksheet, report: &Report, styles: &Styles) -> Result<(), XlsxError> {
    let columns: Vec<Heading> = ERRORS.iter().map(|c| Heading::of(c)).collect();
    // Organizations whose members could not be listed come first.
    let orgs: Vec<[Cell<'_>; 11]> = report
        .aggregate
        .run
        .organizations
        .iter()
        .filter(|o| o.error_code.is_some())
        .map(organization_error_cells)
        .collect();
    let count = orgs.len() + report.aggregate.problem_count();
    table_header(ws, SHEETS[3], &columns, count, styles)?;
    let rows = orgs
        .into_iter()
        .chain(report.aggregate.problems().map(error_cells));
    for (i, cells) in rows.enumerate() {
        let row = as_row(i + 1)?;
        for (c, cell) in cells.iter().enumerate() {
            write_table_cell(ws, row, as_col(c)?, cell)?;
        }
    }
    Ok(())
}

/// Writes label/value pairs in columns A:B from `row`; returns the next free row.
fn key_values<'a>(
    ws: &mut Worksheet,
    mut row: u32,
    fields: impl IntoIterator<Item = (&'static str, Cell<'a>)>,
    styles: &Styles,
) -> Result<u32, XlsxError> {
    for (label, cell) in fields {
        ws.write_string(row, 0, label)?;
        write_cell(ws, row, 1, &cell, styles)?;
        row += 1;
    }
    Ok(row)
}

/// The columns of the Summary's most utilized accounts.
static TOP_COLUMNS: [&Column<AccountRow>; 4] = [
    &accounts::ACCOUNT,
    &accounts::UTILIZATION,
    &accounts::USED_AUTHORIZED,
    &accounts::TOTAL_AUTHORIZED,
];

fn summary_sheet(ws: &mut Worksheet, report: &Report, styles: &Styles) -> Result<(), XlsxError> {
    let name = SHEETS[0];
    ws.set_name(name)?;
    print::setup(ws)?;
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 26)?;
    ws.set_column_width(2, 3)?;
    ws.set_column_width(3, 30)?;
    ws.set_column_width(4, 12)?;
    ws.set_column_width(5, 10)?;
    ws.set_column_width(6, 10)?;

    let run = &report.aggregate.run;
    let mut title = "TCSS image-scan licenses".to_string();
    let marks = run.marks();
    if !marks.is_empty() {
        title.push_str(&format!(": {}", marks.join(", ")));
    }
    ws.write_string_with_format(0, 0, title, &styles.title)?;
    ws.write_string(1, 0, "Generated")?;
    ws.write_string(1, 1, rfc3339(&report.aggregate.generated_at))?;
    ws.write_string(2, 0, "Complete")?;
    let complete = if run.complete {
        "yes"
    } else {
        "no: interrupted, numbers incomplete"
    };
    ws.write_string_with_format(2, 1, complete, &styles.bold)?;
    ws.write_string(3, 0, "Region scope")?;
    ws.write_string(3, 1, run.region_scope.as_str())?;
    // What the run covers and where its numbers come from: a subset's
    // totals are not the fleet's, a simulated run's not real.
    ws.write_string(4, 0, "Covers")?;
    let covers = &styles.bold;
    ws.write_string_with_format(4, 1, clip(&run.coverage()), covers)?;
    ws.write_string(5, 0, "Data from")?;
    ws.write_string_with_format(5, 1, run.source(), &styles.bold)?;

    let header_row = 7;
    ws.write_string_with_format(header_row, 0, "Totals", &styles.header)?;
    ws.write_string_with_format(header_row, 1, "Value", &styles.header)?;
    let totals = &report.aggregate.totals;
    let totals = TOTALS.iter().map(|c| (c.label(), c.cell(totals)));
    let after_totals = key_values(ws, header_row + 1, totals, styles)?;
    breaches::section(ws, after_totals + 1, report, styles)?;

    // The ten most utilized accounts: a table the chart refers to.
    let top = report.aggregate.most_utilized(10);
    let top_header = ["Most utilized accounts", "Utilization", "Used", "Total"];
    debug_assert_eq!(top_header.len(), TOP_COLUMNS.len());
    for (i, h) in top_header.iter().enumerate() {
        ws.write_string_with_format(header_row, as_col(3 + i)?, *h, &styles.header)?;
    }
    for (i, a) in top.iter().enumerate() {
        let row = header_row + 1 + as_row(i)?;
        for (col, column) in (3..).zip(TOP_COLUMNS) {
            write_cell(ws, row, col, &column.cell(a), styles)?;
        }
    }
    if !top.is_empty() {
        let first = header_row + 1;
        let last = header_row + as_row(top.len())?;
        let mut chart = Chart::new(ChartType::Bar);
        chart
            .add_series()
            .set_categories((name, first, 3, last, 3))
            .set_values((name, first, 4, last, 4))
            .set_name("Utilization");
        chart
            .title()
            .set_name("Most utilized accounts (license utilization)");
        chart.x_axis().set_num_format("0%");
        chart.y_axis().set_reverse();
        chart.legend().set_hidden();
        chart.set_width(620).set_height(320);
        ws.insert_chart(header_row + 13, 3, &chart)?;
    }
    Ok(())
}

fn run_sheet(ws: &mut Worksheet, report: &Report, styles: &Styles) -> Result<(), XlsxError> {
    ws.set_name(SHEETS[4])?;
    print::setup(ws)?;
    ws.set_column_width(0, 24)?;
    ws.set_column_width(1, 70)?;
    ws.set_freeze_panes(1, 0)?;
    ws.write_string_with_format(0, 0, "Field", &styles.header)?;
    ws.write_string_with_format(0, 1, "Value", &styles.header)?;
    let run = &report.aggregate.run;
    let next = key_values(ws, 1, RUN.iter().map(|c| (c.label, c.cell(run))), styles)?;
    let totals = &report.aggregate.totals;
    let counts = totals::counts().map(|c| (c.label, c.cell(totals)));
    let next = key_values(ws, next, counts, styles)?;
    changes::run_rows(ws, next, report)?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::test_support::sample_report;
    use calamine::{open_workbook, Data, Range, Reader, Xlsx};

    /// The first row of a sheet, as text.
    pub(crate) fn header_row(sheet: &Range<Data>) -> Vec<String> {
        sheet
            .rows()
            .next()
            .unwrap()
            .iter()
            .map(|c| c.to_string())
            .collect()
    }

    fn written() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        save(&sample_report(), &path).unwrap();
        (dir, path)
    }

    #[test]
    fn sheets_headers_values_and_types() {
        let (_dir, path) = written();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        assert_eq!(wb.sheet_names(), SHEETS.to_vec());

        let accounts = wb.worksheet_range("Accounts").unwrap();
        let header = header_row(&accounts);
        let mut expected: Vec<String> = ACCOUNTS.iter().map(|c| c.key.to_string()).collect();
        expected.extend(["tag:cost_center".to_string(), "tag:team".to_string()]);
        assert_eq!(header, expected);
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        assert_eq!(
            accounts.get((1, col("account"))),
            Some(&Data::String("payments-prod".into()))
        );
        // The UIN is text, kept whole.
        assert_eq!(
            accounts.get((1, col("uin"))),
            Some(&Data::String("100012345678901234".into()))
        );
        assert_eq!(
            accounts.get((1, col("total_authorized"))),
            Some(&Data::Float(100.0))
        );
        assert_eq!(
            accounts.get((1, col("utilization"))),
            Some(&Data::Float(0.97))
        );
        assert_eq!(
            accounts.get((1, col("region_mismatch"))),
            Some(&Data::Bool(false))
        );
        // No CSV guard in XLSX: text is text.
        assert_eq!(
            accounts.get((2, col("account"))),
            Some(&Data::String("-member-a".into()))
        );
        assert_eq!(
            accounts.get((2, col("remaining_authorized"))),
            Some(&Data::Float(-5.0))
        );
        assert_eq!(
            accounts.get((2, col("tag:team"))),
            Some(&Data::String("@ops".into()))
        );
        // Unknown values are blank.
        let legacy_total = accounts.get((3, col("total_authorized")));
        assert!(
            matches!(legacy_total, None | Some(Data::Empty)),
            "{legacy_total:?}"
        );

        let regions = wb.worksheet_range("Regions").unwrap();
        assert_eq!(regions.height(), 1 + 6);
        assert_eq!(regions.get((0, 0)), Some(&Data::String("account".into())));

        let errors = wb.worksheet_range("Errors").unwrap();
        assert_eq!(errors.height(), 1 + 3);
        assert_eq!(
            errors.get((1, 4)),
            Some(&Data::String("AuthFailure.SignatureFailure".into()))
        );
        assert_eq!(errors.get((3, 3)), Some(&Data::String("cancelled".into())));

        let summary = wb.worksheet_range("Summary").unwrap();
        let find = |label: &str| {
            summary
                .rows()
                .find(|r| r.first() == Some(&Data::String(label.into())))
                .map(|r| r[1].clone())
        };
        assert_eq!(find("Licenses total"), Some(Data::Float(110.0)));
        assert_eq!(find("Accounts error"), Some(Data::Float(2.0)));
        // The top accounts' table beside the totals, below the run's facts.
        assert_eq!(summary.get((8, 3)), Some(&Data::String("-member-a".into())));

        let run = wb.worksheet_range("Run").unwrap();
        let run_rows: Vec<String> = run.rows().map(|r| r[0].to_string()).collect();
        for label in [
            "Started",
            "Finished",
            "Duration (seconds)",
            "Config SHA-256",
            "Queries failed",
        ] {
            assert!(run_rows.iter().any(|r| r == label), "{label}");
        }
    }

    #[test]
    fn ratios_have_a_percent_format() {
        let (_dir, path) = written();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        let styles = wb.worksheet_style("Accounts").unwrap();
        let percent: Vec<&str> = ACCOUNTS
            .iter()
            .filter(|c| Heading::of(c).percent)
            .map(|c| c.key)
            .collect();
        assert_eq!(
            percent,
            [
                "utilization",
                "scan_coverage",
                "duplicate_ratio",
                "scan_quota_utilization"
            ]
        );
        for name in percent {
            let col = ACCOUNTS.iter().position(|c| c.key == name).unwrap() as u32;
            let style = styles
                .get((1, col))
                .unwrap_or_else(|| panic!("a style on the {name} cell"));
            let fmt = style.number_format.as_ref().expect("a number format");
            assert_eq!(fmt.format_code, PERCENT_FORMAT, "{name}");
        }
        // A count next to them has no percent format.
        let total = ACCOUNTS
            .iter()
            .position(|c| c.key == "total_authorized")
            .unwrap() as u32;
        let plain = styles
            .get((1, total))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone());
        assert_ne!(plain.as_deref(), Some(PERCENT_FORMAT));
    }

    /// Table cells are written without a cell format, so every column that
    /// can hold a ratio must carry the percent format as a column format.
    #[test]
    fn every_ratio_column_is_a_percent_column() {
        let report = sample_report();
        for a in &report.aggregate.accounts {
            for c in ACCOUNTS {
                if matches!(c.cell(a), Cell::Ratio(_)) {
                    assert!(Heading::of(c).percent, "{} holds ratios", c.key);
                }
            }
        }
        for r in &report.aggregate.regions {
            for c in REGIONS {
                if matches!(c.cell(r), Cell::Ratio(_)) {
                    assert!(Heading::of(c).percent, "{} holds ratios", c.key);
                }
            }
        }
    }

    #[test]
    fn document_properties() {
        let (_dir, path) = written();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        let props = wb.workbook_properties().unwrap();
        let text = format!("{props:?}");
        assert!(text.contains("tcss-report"), "{text}");
    }

    #[test]
    fn empty_report_is_still_a_valid_workbook() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.xlsx");
        let report = crate::test_support::report_of(
            &[],
            &[],
            crate::test_support::run_info(crate::model::RegionScope::Account),
        );
        save(&report, &path).unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        assert_eq!(wb.sheet_names(), SHEETS.to_vec());
        assert_eq!(wb.worksheet_range("Accounts").unwrap().height(), 1);
    }

    #[test]
    fn clip_respects_the_cell_limit() {
        let long = "é".repeat(MAX_CELL_TEXT + 10);
        assert_eq!(clip(&long).chars().count(), MAX_CELL_TEXT);
        let emoji = "😀".repeat(MAX_CELL_TEXT);
        assert_eq!(
            clip(&emoji).chars().map(char::len_utf16).sum::<usize>(),
            MAX_CELL_TEXT - 1
        );
        assert_eq!(clip("short"), "short");
    }
}
