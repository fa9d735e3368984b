//! The workbook `<stem>.xlsx`, for people: sheets in this order:
//!
//! - **Summary**: run facts (the title says `SIMULATED` and `SUBSET` when
//!   the run is one; "Covers" lists a subset's selectors, "Data from" says
//!   simulated), the totals, the editions block (`editions`), and the ten
//!   most utilized accounts as a small table with a column chart of their
//!   utilization (axis from zero, a 100% line, every account named);
//! - **Accounts**: the accounts table (same columns as the CSV, headed by
//!   their labels, tags as `tag:<key>` columns) and its totals row;
//!   conditional formatting: utilization of 90% or more red, 75% or more
//!   amber, `scan_quota_days_left` of 30 or less amber (negative red),
//!   negative `remaining_authorized` red, `days_to_lapse` of 30 or less
//!   red, `edition_days_left` of 30 or less amber, `cores_unprotected` above
//!   0 amber (`editions`);
//! - **Groups** (with `--group-by` only, [`groups`]): every group of every
//!   key, and a bar chart per key of its groups using the most licenses;
//! - **Regions**: the regions table and its totals row;
//! - **Errors**: every organization whose members could not be listed, every
//!   failed or cancelled query, and every answer with a `warning`;
//! - **Run**: start, end, duration, version, config path and digest, flags and counts.
//!
//! Headers are the columns' labels (`crate::columns`); each value is shown
//! by its column's kind (`styles`): counts `#,##0`, ratios `0.0%`, times as
//! Excel date-times of their wall-clock time (the label names the zone),
//! UINs as text, yes/no as `Yes`/`No`, unknown values as blank cells. Table
//! sheets have a frozen, filterable header row, fixed column widths and a
//! totals row (`totals_row`) below the filter. Every sheet prints with no
//! text under 8 pt, its header repeated and a footer (`print`). The large
//! sheets (Accounts, Regions, Errors) use rust_xlsxwriter's constant-memory
//! mode: rows are written in order and flushed to a temporary file, so
//! memory stays flat for 10,000 accounts.

mod breaches;
mod groups;

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate};
use rust_xlsxwriter::utility::column_number_to_name;
use rust_xlsxwriter::{
    Chart, ChartAxisLabelPosition, ChartFont, ChartFormat, ChartLayout, ChartLegendPosition,
    ChartLine, ChartLineDashType, ChartSolidFill, ChartType, ConditionalFormatCell,
    ConditionalFormatCellRule, ConditionalFormatFormula, DocProperties, ExcelDateTime, Workbook,
    Worksheet, XlsxError,
};

use super::Report;
use crate::aggregate::RegionRow;
use crate::columns::accounts::{self, AccountRow, ACCOUNTS, TAG_COLUMN_PREFIX};
use crate::columns::regions::{self as region_columns, ERRORS, REGIONS};
use crate::columns::run::RUN;
use crate::columns::totals::{self, TOTALS};
use crate::columns::{rfc3339, Cell, Column, Kind, Total};
use crate::model::RegionScope;

mod changes;
mod editions;
pub(crate) mod print;
pub(crate) mod styles;
pub(crate) mod totals_row;

#[cfg(test)]
pub use styles::PERCENT_FORMAT;
use styles::{kind_of, yes_no, Styles};
use totals_row::{Rule, TotalsRow};

/// Sheet names, in workbook order.
pub const SHEETS: [&str; 5] = ["Summary", "Accounts", "Regions", "Errors", "Run"];

/// The last accounts column the Accounts sheet prints (its print area):
/// the account, its status and its licenses, which fit one page wide.
/// Clearing the print area prints every column, several pages across.
static PRINTED_ACCOUNTS: &Column<AccountRow> = &accounts::USED_PURCHASED_AUTHORIZED;

/// Longest text Excel stores in a cell, in UTF-16 units.
const MAX_CELL_TEXT: usize = 32_767;

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
    let styles = Styles::new(&report.aggregate.run.stem);

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
pub(crate) fn clip(text: &str) -> &str {
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

/// A time as an Excel date-time serial: its wall-clock time in its own
/// offset (Beijing time stays Beijing time), `None` before 1900-03-01
/// (where Excel's calendar is off by its 1900 leap day).
pub(crate) fn serial(t: &DateTime<FixedOffset>) -> Option<f64> {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let first = NaiveDate::from_ymd_opt(1900, 3, 1)?.and_hms_opt(0, 0, 0)?;
    let wall = t.naive_local();
    (wall >= first).then(|| (wall - epoch).num_seconds() as f64 / 86_400.0)
}

/// Writes a lone cell (the Summary, Run and breaches), formatted by what
/// it holds: a count `#,##0`, a ratio `0.0%`, a time a date-time.
pub(crate) fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell<'_>,
    styles: &Styles,
) -> Result<(), XlsxError> {
    write_formatted(ws, row, col, cell, styles.of(kind_of(cell)))
}

/// Writes a cell with `format`.
pub(crate) fn write_formatted(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell<'_>,
    format: &rust_xlsxwriter::Format,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(s) => {
            ws.write_string_with_format(row, col, clip(s), format)?;
        }
        Cell::Int(n) => {
            ws.write_number_with_format(row, col, *n as f64, format)?;
        }
        Cell::Ratio(x) | Cell::Num(x) => {
            if x.is_finite() {
                ws.write_number_with_format(row, col, *x, format)?;
            }
        }
        Cell::Bool(b) => {
            ws.write_string_with_format(row, col, yes_no(*b), format)?;
        }
        Cell::Time(t) => match serial(t) {
            Some(x) => {
                ws.write_number_with_format(row, col, x, format)?;
            }
            None => {
                ws.write_string_with_format(row, col, rfc3339(t), format)?;
            }
        },
    }
    Ok(())
}

/// Writes one cell of a table sheet, whose columns carry their kind's
/// number format as a column format ([`table_header`]): looking a cell
/// format up hashes the whole `Format`, a third of the cost of writing a
/// number.
pub(crate) fn write_table_cell(
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
            ws.write_string(row, col, yes_no(*b))?;
        }
        Cell::Time(t) => match serial(t) {
            Some(x) => {
                ws.write_number(row, col, x)?;
            }
            None => {
                ws.write_string(row, col, rfc3339(t))?;
            }
        },
    }
    Ok(())
}

/// A table sheet's column: its header, its width and the kind of its
/// cells (the column then carries the kind's number format).
pub(crate) struct Heading {
    /// The header text.
    pub(crate) name: String,
    /// The width (autofit is unavailable in constant-memory mode).
    pub(crate) width: f64,
    /// What its cells are.
    pub(crate) kind: Kind,
}

/// Characters of room a header's words keep from the cell's sides.
const HEADER_PADDING: f64 = 0.5;

/// The most lines a table's header wraps into; the header row is one line
/// taller, for the autofilter's button at its bottom right.
const HEADER_LINES: usize = 3;

impl Heading {
    /// A column `name`, `base` characters wide or wide enough for the
    /// longest word of its header, and for the header to wrap into at most
    /// [`HEADER_LINES`] lines.
    pub(crate) fn new(name: impl Into<String>, base: f64, kind: Kind) -> Heading {
        let name = name.into();
        let word = name
            .split(' ')
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(0);
        let mut heading = Heading {
            width: base.max(word as f64 + HEADER_PADDING).min(80.0),
            name,
            kind,
        };
        while heading.lines() > HEADER_LINES && heading.width < 80.0 {
            heading.width += 1.0;
        }
        heading
    }

    /// The heading of a table's column: its label.
    pub(crate) fn of<R>(c: &Column<R>) -> Heading {
        Heading::new(c.label, c.xlsx_width(), c.kind)
    }

    /// A `tag:<key>` column.
    pub(crate) fn tag(key: &str) -> Heading {
        Heading::new(format!("{TAG_COLUMN_PREFIX}{key}"), 18.0, Kind::Text)
    }

    /// The lines its header wraps into.
    fn lines(&self) -> usize {
        let room = (self.width - HEADER_PADDING).max(1.0) as usize;
        let mut lines = 1;
        let mut used = 0;
        for word in self.name.split(' ').map(|w| w.chars().count()) {
            if used > 0 && used + 1 + word > room {
                lines += 1;
                used = word;
            } else {
                used += usize::from(used > 0) + word;
            }
        }
        lines
    }
}

/// Header row (wrapped, tall enough), widths and number formats, frozen
/// header, autofilter over a table of `rows` rows (its totals row below
/// it), and the print settings of a table printed whole.
pub(crate) fn table_header(
    ws: &mut Worksheet,
    name: &str,
    columns: &[Heading],
    rows: usize,
    styles: &Styles,
) -> Result<(), XlsxError> {
    printed_table_header(ws, name, columns, rows, styles, columns.len())
}

/// [`table_header`] of a table that prints its first `printed` columns.
fn printed_table_header(
    ws: &mut Worksheet,
    name: &str,
    columns: &[Heading],
    rows: usize,
    styles: &Styles,
    printed: usize,
) -> Result<(), XlsxError> {
    table_columns(ws, columns, styles)?;
    table_heading(ws, name, columns, 0, rows, styles, printed)
}

/// A table's columns: their widths and number formats (before any row is
/// written: a constant-memory sheet writes its rows as it goes).
pub(crate) fn table_columns(
    ws: &mut Worksheet,
    columns: &[Heading],
    styles: &Styles,
) -> Result<(), XlsxError> {
    for (i, c) in columns.iter().enumerate() {
        ws.set_column_width(as_col(i)?, c.width)?;
        ws.set_column_format(as_col(i)?, styles.column(c.kind))?;
    }
    Ok(())
}

/// A table's header in row `header` (wrapped, tall enough), frozen when it
/// is the sheet's first row, an autofilter over the `rows` rows below it
/// (its totals row below them), and the print settings of a table printing
/// its first `printed` columns, its header repeated on every page.
pub(crate) fn table_heading(
    ws: &mut Worksheet,
    name: &str,
    columns: &[Heading],
    header: u32,
    rows: usize,
    styles: &Styles,
    printed: usize,
) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    let last_col = as_col(columns.len().saturating_sub(1))?;
    let lines = columns.iter().map(Heading::lines).max().unwrap_or(1);
    ws.set_row_height(header, 15.0 * (lines + 1) as f64)?;
    if header == 0 {
        ws.set_freeze_panes(1, 0)?;
    }
    ws.autofilter(header, 0, header + as_row(rows)?, last_col)?;
    let widths: Vec<f64> = columns[..printed].iter().map(|c| c.width).collect();
    let how = print::Print::fit(&widths);
    print::table(ws, &styles.stem, header, printed, columns.len(), how)?;
    for (i, c) in columns.iter().enumerate() {
        ws.write_string_with_format(header, as_col(i)?, clip(&c.name), styles.header(c.kind))?;
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

/// The Accounts sheet's totals row: each column by its total rule (a sum,
/// or a weighted ratio of two columns' sums), tags blank.
fn accounts_totals(tags: usize, styles: &Styles) -> Result<TotalsRow, XlsxError> {
    let mut rules = Vec::with_capacity(ACCOUNTS.len() + tags);
    for c in ACCOUNTS {
        let rule = match c.total {
            Total::None => Rule::Blank,
            Total::Sum => Rule::Sum,
            Total::Weighted { num, den } => Rule::Ratio {
                num: usize::from(column_index(num)?),
                den: usize::from(column_index(den)?),
            },
        };
        rules.push((rule, styles.total(c.kind).clone()));
    }
    rules.extend((0..tags).map(|_| (Rule::Blank, styles.total(Kind::Text).clone())));
    Ok(TotalsRow::new(rules))
}

/// The Accounts sheet's highlights (rows `1..=last`).
fn accounts_highlights(ws: &mut Worksheet, last: u32, styles: &Styles) -> Result<(), XlsxError> {
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
    Ok(())
}

fn accounts_sheet(ws: &mut Worksheet, report: &Report, styles: &Styles) -> Result<(), XlsxError> {
    let tag_keys = &report.aggregate.tag_keys;
    let columns: Vec<Heading> = ACCOUNTS
        .iter()
        .map(|c| Heading::of(c))
        .chain(tag_keys.iter().map(|k| Heading::tag(k)))
        .collect();
    let n = report.aggregate.accounts.len();
    // Printed: the columns finance reads, one page wide.
    let printed = usize::from(column_index(PRINTED_ACCOUNTS)?) + 1;
    printed_table_header(ws, SHEETS[1], &columns, n, styles, printed)?;
    if n > 0 {
        let last = as_row(n)?;
        accounts_highlights(ws, last, styles)?;
        editions::highlights(ws, last, styles)?;
    }

    let mut totals = accounts_totals(tag_keys.len(), styles)?;
    for (i, a) in report.aggregate.accounts.iter().enumerate() {
        let row = as_row(i + 1)?;
        for (c, column) in ACCOUNTS.iter().enumerate() {
            let cell = column.cell(a);
            totals.add(c, &cell);
            write_table_cell(ws, row, as_col(c)?, &cell)?;
        }
        for (k, key) in tag_keys.iter().enumerate() {
            if let Some(value) = a.tags.get(key) {
                ws.write_string(row, as_col(ACCOUNTS.len() + k)?, clip(value))?;
            }
        }
    }
    totals.write(ws, 1, n, styles)
}

/// The Regions sheet's totals row: attempts and throttled attempts summed;
/// the API's counts too when each region has its own (`region_scope =
/// "region"`), not when every region repeats its account's numbers.
fn regions_totals(scope: RegionScope, styles: &Styles) -> TotalsRow {
    let rules = REGIONS.iter().map(|c| {
        let own = std::ptr::eq(*c, &region_columns::ATTEMPTS)
            || std::ptr::eq(*c, &region_columns::THROTTLED);
        let latency = std::ptr::eq(*c, &region_columns::LATENCY_MS);
        let summed = c.kind == Kind::Count && (own || (scope == RegionScope::Region && !latency));
        let rule = if summed { Rule::Sum } else { Rule::Blank };
        (rule, styles.total(c.kind).clone())
    });
    TotalsRow::new(rules.collect())
}

fn regions_sheet(ws: &mut Worksheet, report: &Report, styles: &Styles) -> Result<(), XlsxError> {
    let columns: Vec<Heading> = REGIONS.iter().map(|c| Heading::of(c)).collect();
    let n = report.aggregate.regions.len();
    table_header(ws, SHEETS[2], &columns, n, styles)?;
    let mut totals = regions_totals(report.aggregate.run.region_scope, styles);
    for (i, r) in report.aggregate.regions.iter().enumerate() {
        let row = as_row(i + 1)?;
        for (c, column) in REGIONS.iter().enumerate() {
            let cell = column.cell(r);
            totals.add(c, &cell);
            write_table_cell(ws, row, as_col(c)?, &cell)?;
        }
    }
    totals.write(ws, 1, n, styles)
}

/// A query as an Errors row.
fn error_cells(r: &RegionRow) -> [Cell<'_>; 12] {
    ERRORS.map(|c| c.cell(r))
}

/// An organization whose member list could not be read, as an Errors row:
/// `organization <name>` in the account column.
fn organization_error_cells(o: &crate::model::OrganizationRun) -> [Cell<'_>; 12] {
    [
        Cell::Text(std::borrow::Cow::Owned(format!("organization {}", o.name))),
        Cell::Empty,
        Cell::str(tcapi::organization::DESCRIBE_ORGANIZATION_MEMBERS.name),
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
    let orgs: Vec<[Cell<'_>; 12]> = report
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

/// Writes label/value pairs in columns A:B from `row`, the values
/// left-aligned when `left`; returns the next free row.
fn key_values<'a>(
    ws: &mut Worksheet,
    mut row: u32,
    fields: impl IntoIterator<Item = (&'static str, Cell<'a>)>,
    styles: &Styles,
    left: bool,
) -> Result<u32, XlsxError> {
    for (label, cell) in fields {
        ws.write_string(row, 0, label)?;
        let kind = kind_of(&cell);
        let format = if left {
            styles.left(kind)
        } else {
            styles.of(kind)
        };
        write_formatted(ws, row, 1, &cell, format)?;
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

/// The Summary's hidden column of 100% values: the chart's full-use line.
const FULL_USE_COL: u16 = 25;

/// The rows of 15 pt the Summary's chart covers (330 pixels).
const CHART_ROWS: u32 = 17;

fn summary_sheet(ws: &mut Worksheet, report: &Report, styles: &Styles) -> Result<(), XlsxError> {
    let name = SHEETS[0];
    ws.set_name(name)?;
    print::sheet(ws, &styles.stem)?;
    // Printed up to the breaches' last column (not the chart's helper).
    ws.set_print_area(0, 0, 1_048_575, 8)?;
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 22)?;
    ws.set_column_width(2, 3)?;
    ws.set_column_width(3, 28)?;
    // The top accounts' numbers, wide enough for their headers
    // ("Licenses total") to stand apart.
    ws.set_column_width(4, 14)?;
    ws.set_column_width(5, 14)?;
    ws.set_column_width(6, 14)?;

    let run = &report.aggregate.run;
    let mut title = "TCSS image-scan licenses".to_string();
    let marks = run.marks();
    if !marks.is_empty() {
        title.push_str(&format!(": {}", marks.join(", ")));
    }
    ws.write_string_with_format(0, 0, title, &styles.title)?;
    ws.write_string(1, 0, "Generated (UTC)")?;
    write_cell(
        ws,
        1,
        1,
        &Cell::time(Some(&report.aggregate.generated_at)),
        styles,
    )?;
    ws.write_string(2, 0, "Complete")?;
    let complete = if run.complete {
        "Yes"
    } else {
        "No: interrupted, numbers incomplete"
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
    ws.write_string_with_format(header_row, 1, "Value", &styles.header_right)?;
    let totals = &report.aggregate.totals;
    let totals = TOTALS.iter().map(|c| (c.label(), c.cell(totals)));
    let after_totals = key_values(ws, header_row + 1, totals, styles, false)?;
    let after_editions = editions::section(ws, after_totals + 1, report, styles)?;
    breaches::section(ws, after_editions + 1, report, styles)?;

    // The ten most utilized accounts: a table the chart refers to.
    let top = report.aggregate.most_utilized(10);
    ws.write_string_with_format(header_row, 3, "Most utilized accounts", &styles.header)?;
    for (col, column) in (4..).zip(&TOP_COLUMNS[1..]) {
        ws.write_string_with_format(header_row, col, column.label, &styles.header_right)?;
    }
    for (i, a) in top.iter().enumerate() {
        let row = header_row + 1 + as_row(i)?;
        for (col, column) in (3..).zip(TOP_COLUMNS) {
            write_cell(ws, row, col, &column.cell(a), styles)?;
        }
        write_cell(ws, row, FULL_USE_COL, &Cell::Ratio(1.0), styles)?;
    }
    ws.set_column_hidden(FULL_USE_COL)?;
    let chart_row = header_row + 11;
    if !top.is_empty() {
        let chart = utilization_chart(name, header_row + 1, header_row + as_row(top.len())?);
        ws.insert_chart(chart_row, 3, &chart)?;
    }
    // One page when it fits at a readable scale (the breaches, when any,
    // start a page of their own).
    if report.breaches.is_empty()
        && after_editions.max(chart_row + CHART_ROWS) <= print::ONE_PAGE_ROWS
    {
        ws.set_print_fit_to_pages(1, 1);
    }
    Ok(())
}

/// The Summary's chart of the most utilized accounts (rows `first..=last`
/// of its table): a column each, the axis from 0%, a dashed 100% line,
/// every account named.
fn utilization_chart(sheet: &str, first: u32, last: u32) -> Chart {
    let mut chart = Chart::new(ChartType::Column);
    chart
        .add_series()
        .set_categories((sheet, first, 3, last, 3))
        .set_values((sheet, first, 4, last, 4))
        .set_name("Utilization")
        .set_format(ChartFormat::new().set_solid_fill(ChartSolidFill::new().set_color("4472C4")));
    let mut full = Chart::new(ChartType::Line);
    full.add_series()
        .set_categories((sheet, first, 3, last, 3))
        .set_values((sheet, first, FULL_USE_COL, last, FULL_USE_COL))
        .set_name("100%: every license used")
        .set_format(&mut full_use_line());
    chart.combine(&full);
    chart
        .title()
        .set_name("Most utilized accounts (license utilization)")
        .set_font(ChartFont::new().set_size(12).set_bold());
    chart
        .x_axis()
        .set_label_position(ChartAxisLabelPosition::Low)
        .set_font(ChartFont::new().set_size(10).set_rotation(-45));
    chart
        .y_axis()
        .set_min(0)
        .set_num_format("0%")
        .set_font(ChartFont::new().set_size(10));
    chart
        .legend()
        .set_position(ChartLegendPosition::Bottom)
        .set_font(ChartFont::new().set_size(10));
    // Room on the right for the last account's slanted name.
    chart.plot_area().set_layout(
        &ChartLayout::new()
            .set_offset(0.08, 0.12)
            .set_dimensions(0.84, 0.5),
    );
    chart.show_hidden_data();
    chart.set_width(640).set_height(330);
    chart
}

/// The dashed red line of a utilization chart's 100%.
pub(crate) fn full_use_line() -> ChartFormat {
    ChartFormat::new()
        .set_line(
            ChartLine::new()
                .set_color("C00000")
                .set_width(1.5)
                .set_dash_type(ChartLineDashType::Dash),
        )
        .clone()
}

fn run_sheet(ws: &mut Worksheet, report: &Report, styles: &Styles) -> Result<(), XlsxError> {
    ws.set_name(SHEETS[4])?;
    print::sheet(ws, &styles.stem)?;
    ws.set_repeat_rows(0, 0)?;
    ws.set_column_width(0, 28)?;
    ws.set_column_width(1, 70)?;
    ws.set_freeze_panes(1, 0)?;
    ws.write_string_with_format(0, 0, "Field", &styles.header)?;
    ws.write_string_with_format(0, 1, "Value", &styles.header)?;
    let run = &report.aggregate.run;
    let next = key_values(
        ws,
        1,
        RUN.iter().map(|c| (c.label, c.cell(run))),
        styles,
        true,
    )?;
    let collected: Vec<&str> = run.collect.iter().map(|c| c.collects()).collect();
    let collected = Cell::Text(collected.join(", ").into());
    let next = key_values(ws, next, [("Collected", collected)], styles, true)?;
    let totals = &report.aggregate.totals;
    let counts = totals::counts().map(|c| (c.label, c.cell(totals)));
    let next = key_values(ws, next, counts, styles, true)?;
    changes::run_rows(ws, next, report, styles)?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
