//! The `history` command's files, one set with its own stem
//! (`tcss-history-<UTC>`, `-2`, ... when taken): `<stem>.runs.csv` and
//! `<stem>.accounts.csv` (with a byte-order mark, as the run's CSVs),
//! `<stem>.json`, `<stem>.xlsx` whose first sheet, printable on one
//! page, holds a line chart of licenses used against licenses total over
//! time and one of the top accounts' utilization; its tables are laid out
//! like the run's workbook (`report::xlsx`: labels, formats by kind, frozen
//! headers, filters, print settings), and `<stem>.html`, the same charts
//! on one page (`trends::html`). With `--group-by`: `<stem>.groups.csv`,
//! JSON `group_by` and `groups`, and the sheets Groups (every group of
//! every run) and Group trends (a line chart per key of its top groups'
//! licenses used). Written like a run's reports
//! (`report::publish`): a stem claimed under the folder lock, the files
//! written into its private staging folder, then published without
//! replacing any file, the JSON last.

mod html;

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rust_xlsxwriter::{
    Chart, ChartFont, ChartLegendPosition, ChartType, Workbook, Worksheet, XlsxError,
};
use serde_json::{json, Map, Value};

use super::publish::{self, io_error};
use super::xlsx::styles::Styles;
use super::xlsx::{
    clip, full_use_line, print, table_header, write_formatted, write_table_cell, Heading,
};
use super::{Layout, ReportError};
use crate::columns::accounts::{ACCOUNTS, TOTAL_AUTHORIZED, USED_AUTHORIZED};
use crate::columns::totals::TOTALS;
use crate::columns::{find, groups, rfc3339, Cell, Kind};
use crate::history::group_trends::{top_groups, GROUP_TREND_COLUMNS, TOP_GROUPS};
use crate::history::trends::{
    col, top_accounts, Trends, ACCOUNT_TREND_COLUMNS, RUN_TREND_COLUMNS, TOP_ACCOUNTS,
};

/// A file format of the `history` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TrendFormat {
    /// `<stem>.runs.csv` and `<stem>.accounts.csv` (and `<stem>.groups.csv`
    /// with `--group-by`).
    Csv,
    /// `<stem>.xlsx` with the charts.
    Xlsx,
    /// `<stem>.json`.
    Json,
    /// `<stem>.html`: the trends as one page with its charts.
    Html,
}

impl TrendFormat {
    fn file_names(self, stem: &str) -> Vec<String> {
        match self {
            TrendFormat::Csv => vec![
                format!("{stem}.runs.csv"),
                format!("{stem}.accounts.csv"),
                format!("{stem}.groups.csv"),
            ],
            TrendFormat::Xlsx => vec![format!("{stem}.xlsx")],
            TrendFormat::Json => vec![format!("{stem}.json")],
            TrendFormat::Html => vec![format!("{stem}.html")],
        }
    }
}

/// The sheet names of the XLSX, first to last.
pub const SHEETS: [&str; 4] = ["Charts", "Trends", "Accounts", "Top accounts"];

/// The sheets added after them with `--group-by`.
pub const GROUP_SHEETS: [&str; 2] = ["Groups", "Group trends"];

/// What the set says about itself (JSON and the XLSX header).
#[derive(Debug, Clone)]
pub struct About<'a> {
    /// Where the history was read.
    pub history: &'a str,
    /// When the files were made.
    pub generated_at: DateTime<Utc>,
}

/// Writes the requested formats of `trends` into `out`, laid out as
/// `layout` says, and returns the published paths.
pub fn write(
    trends: &Trends,
    about: &About<'_>,
    out: &Path,
    formats: &[TrendFormat],
    layout: Layout,
) -> Result<Vec<PathBuf>, ReportError> {
    let base = format!(
        "tcss-history-{}",
        about.generated_at.format("%Y%m%dT%H%M%SZ")
    );
    let names = |stem: &str| -> Vec<String> {
        [
            TrendFormat::Csv,
            TrendFormat::Xlsx,
            TrendFormat::Json,
            TrendFormat::Html,
        ]
        .iter()
        .flat_map(|f| f.file_names(stem))
        .collect()
    };
    let reservation = publish::reserve(out, &base, &names, &|| false)?;
    let mut staged: Vec<publish::Staged> = Vec::new();
    for &format in formats {
        for name in format.file_names(&reservation.stem) {
            let dest = out.join(&name);
            let ungrouped = trends.group_by.is_empty() && name.ends_with(".groups.csv");
            if ungrouped || staged.iter().any(|(d, _)| *d == dest) {
                continue;
            }
            let tmp = reservation.staging().join(&name);
            let file = File {
                format,
                name: &name,
                stem: &reservation.stem,
                layout,
            };
            write_one(trends, about, &file, &tmp).map_err(|e| match e {
                Failure::Io(e) => io_error(&dest, &e),
                Failure::Other(message) => ReportError::Xlsx {
                    path: dest.clone(),
                    message,
                },
            })?;
            let tmp = tempfile::TempPath::try_from_path(tmp).map_err(|e| io_error(&dest, &e))?;
            staged.push((dest, tmp));
        }
    }
    // Without replacing any file, the JSON last.
    publish::publish_staged(out, reservation, staged)
}

enum Failure {
    Io(io::Error),
    Other(String),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::Io(e)
    }
}

/// One file of the set: its format, name, the set's stem and layout.
struct File<'a> {
    format: TrendFormat,
    name: &'a str,
    stem: &'a str,
    layout: Layout,
}

fn write_one(t: &Trends, about: &About<'_>, f: &File<'_>, path: &Path) -> Result<(), Failure> {
    let other = |e: &dyn std::fmt::Display| Failure::Other(e.to_string());
    match f.format {
        TrendFormat::Csv => {
            let (cols, rows) = if f.name.ends_with(".runs.csv") {
                (&RUN_TREND_COLUMNS, &t.runs)
            } else if f.name.ends_with(".groups.csv") {
                (&GROUP_TREND_COLUMNS, &t.groups)
            } else {
                (&ACCOUNT_TREND_COLUMNS, &t.accounts)
            };
            let file = fs::File::create(path)?;
            write_csv(cols, rows, BufWriter::new(&file), f.layout).map_err(|e| other(&e))?;
            file.sync_all()?;
        }
        TrendFormat::Json => {
            let file = fs::File::create(path)?;
            let mut w = BufWriter::new(&file);
            serde_json::to_writer_pretty(&mut w, &to_json(t, about)).map_err(|e| other(&e))?;
            w.write_all(b"\n")?;
            w.flush()?;
            drop(w);
            file.sync_all()?;
        }
        TrendFormat::Xlsx => {
            xlsx(t, about, f.stem, path).map_err(|e| other(&e))?;
            fs::File::open(path)?.sync_all()?;
        }
        TrendFormat::Html => {
            let file = fs::File::create(path)?;
            let mut w = BufWriter::new(&file);
            html::write(t, about, &mut w)?;
            w.flush()?;
            drop(w);
            file.sync_all()?;
        }
    }
    Ok(())
}

fn csv_text(v: &Cell<'_>) -> String {
    match v {
        Cell::Empty => String::new(),
        Cell::Text(s) => crate::sanitize::guard(s).into_owned(),
        Cell::Int(i) => i.to_string(),
        Cell::Ratio(x) | Cell::Num(x) => x.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Time(t) => rfc3339(t),
    }
}

/// One header row of the column names, then one row per entry (after a
/// byte-order mark when `layout` asks for one).
pub fn write_csv<W: Write>(
    cols: &[(&str, Kind)],
    rows: &[Vec<Cell<'_>>],
    out: W,
    layout: Layout,
) -> csv::Result<()> {
    let mut w = crate::report::csv::writer(out, layout)?;
    w.write_record(cols.iter().map(|c| c.0))?;
    for row in rows {
        w.write_record(row.iter().map(csv_text))?;
    }
    w.flush()?;
    Ok(())
}

fn json_value(v: &Cell<'_>) -> Value {
    match v {
        Cell::Empty => Value::Null,
        Cell::Text(s) => Value::String(s.to_string()),
        Cell::Int(i) => json!(i),
        Cell::Ratio(x) | Cell::Num(x) => json!(x),
        Cell::Bool(b) => json!(b),
        Cell::Time(t) => Value::String(rfc3339(t)),
    }
}

fn objects(cols: &[(&str, Kind)], rows: &[Vec<Cell<'_>>]) -> Value {
    Value::Array(
        rows.iter()
            .map(|row| {
                let m: Map<String, Value> = cols
                    .iter()
                    .zip(row)
                    .map(|((name, _), v)| ((*name).to_string(), json_value(v)))
                    .collect();
                Value::Object(m)
            })
            .collect(),
    )
}

/// `{"schema_version": 1, "generated_at", "history", "since", "scope",
/// "runs": [...], "accounts": [...], "group_by": [...], "groups": [...]}`
/// (`scope`: the scope shown, `null` for every scope; each run, account and
/// group row has its own `scope`; `group_by` the keys of `--group-by`,
/// `groups` one row per group per run, both `[]` without it).
pub fn to_json(t: &Trends, about: &About<'_>) -> Value {
    json!({
        "schema_version": 1,
        "generated_at": rfc3339(&about.generated_at),
        "history": about.history,
        "since": t.since.map(|s| rfc3339(&s)),
        "scope": t.scope,
        "runs": objects(&RUN_TREND_COLUMNS, &t.runs),
        "accounts": objects(&ACCOUNT_TREND_COLUMNS, &t.accounts),
        "group_by": t.group_by,
        "groups": objects(&GROUP_TREND_COLUMNS, &t.groups),
    })
}

/// The label (XLSX header) of a trend column: the table's for a column of
/// the accounts, totals or groups tables, the run's own otherwise.
fn label(name: &str) -> &str {
    match name {
        "run_id" => "Run ID",
        "stem" => "File stem",
        "started_at" => "Started (UTC)",
        "complete" => "Complete",
        "scope" => "Scope",
        other => TOTALS
            .iter()
            .find(|c| c.key() == other)
            .map(|c| c.label())
            .or_else(|| find(&ACCOUNTS, other).map(|c| c.label))
            .or_else(|| groups::find(other).map(|c| c.label()))
            .unwrap_or(other),
    }
}

/// The headings of a trend table: each column's label, as wide as the
/// accounts column of that name (else its kind's width).
fn headings(cols: &[(&str, Kind)]) -> Vec<Heading> {
    cols.iter()
        .map(|(name, kind)| {
            let width = match *name {
                "stem" => 38.0,
                "scope" => 30.0,
                "run_id" => 8.0,
                "started_at" => 20.0,
                "complete" => 10.0,
                other => find(&ACCOUNTS, other)
                    .map(|c| c.xlsx_width())
                    .or_else(|| groups::find(other).map(|c| c.xlsx_width()))
                    .unwrap_or(12.0),
            };
            Heading::new(label(name), width, *kind)
        })
        .collect()
}

/// A trend cell as the workbook shows it: a time (RFC 3339 text in the
/// database) as a date-time.
fn shown(cell: &Cell<'static>, kind: Kind) -> Cell<'static> {
    match (cell, kind) {
        (Cell::Text(s), Kind::Time) => DateTime::parse_from_rfc3339(s)
            .map(Cell::Time)
            .unwrap_or_else(|_| cell.clone()),
        _ => cell.clone(),
    }
}

/// A run's label in the charts: its start (`2026-03-01 06:00 UTC`), `
/// (incomplete)` after it when it was not.
fn run_label(row: &[Cell<'_>]) -> String {
    let (started, complete) = (
        col(&RUN_TREND_COLUMNS, "started_at"),
        col(&RUN_TREND_COLUMNS, "complete"),
    );
    let started = row[started].as_text().unwrap_or_default();
    let mut label = match DateTime::parse_from_rfc3339(started) {
        Ok(t) => t
            .with_timezone(&Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => started.to_string(),
    };
    if row[complete].as_bool() != Some(true) {
        label.push_str(" (incomplete)");
    }
    label
}

fn as_u32(n: usize) -> Result<u32, XlsxError> {
    u32::try_from(n).map_err(|_| XlsxError::RowColumnLimitError)
}

fn as_u16(n: usize) -> Result<u16, XlsxError> {
    u16::try_from(n).map_err(|_| XlsxError::RowColumnLimitError)
}

/// The workbook: Charts (what the set is, the two charts on one printable
/// page), Trends (the runs, a label per run marking the incomplete ones),
/// Accounts (with the tags as `tag:<key>` columns), Top accounts (the
/// utilization chart's data). Each table is headed by labels, frozen,
/// filterable, its values shown by kind (times as date-times, yes/no as
/// Yes/No), and prints with its header repeated and a footer. With
/// `--group-by`, Groups (every group of every run) and Group trends.
fn xlsx(t: &Trends, about: &About<'_>, stem: &str, path: &Path) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let styles = Styles::new(stem);
    charts_sheet(wb.add_worksheet(), t, about, &styles)?;
    runs_sheet(wb.add_worksheet(), t, &styles)?;
    accounts_sheet(wb.add_worksheet_with_constant_memory()?, t, &styles)?;
    top_sheet(wb.add_worksheet(), t, &styles)?;
    if !t.group_by.is_empty() {
        groups_sheet(wb.add_worksheet_with_constant_memory()?, t, &styles)?;
        group_trends_sheet(wb.add_worksheet(), t, &styles)?;
    }
    wb.save(path)
}

/// Trends: one row per run, then its label (the charts' categories).
fn runs_sheet(ws: &mut Worksheet, t: &Trends, styles: &Styles) -> Result<(), XlsxError> {
    let cols = &RUN_TREND_COLUMNS;
    let mut columns = headings(cols);
    columns.push(Heading::new(RUN_LABEL, 28.0, Kind::Text));
    table_header(ws, SHEETS[1], &columns, t.runs.len(), styles)?;
    for (i, row) in t.runs.iter().enumerate() {
        let r = as_u32(i + 1)?;
        for (c, (cell, (_, kind))) in row.iter().zip(cols.iter()).enumerate() {
            write_table_cell(ws, r, as_u16(c)?, &shown(cell, *kind))?;
        }
        ws.write_string(r, as_u16(cols.len())?, run_label(row))?;
    }
    Ok(())
}

/// Accounts: one row per account per run, then its tags.
fn accounts_sheet(ws: &mut Worksheet, t: &Trends, styles: &Styles) -> Result<(), XlsxError> {
    let cols = &ACCOUNT_TREND_COLUMNS;
    let keys: BTreeSet<&String> = t.account_tags.iter().flat_map(|m| m.keys()).collect();
    let mut columns = headings(cols);
    columns.extend(keys.iter().map(|k| Heading::tag(k)));
    table_header(ws, SHEETS[2], &columns, t.accounts.len(), styles)?;
    let no_tags = BTreeMap::new();
    for (i, row) in t.accounts.iter().enumerate() {
        let r = as_u32(i + 1)?;
        for (c, (cell, (_, kind))) in row.iter().zip(cols.iter()).enumerate() {
            write_table_cell(ws, r, as_u16(c)?, &shown(cell, *kind))?;
        }
        let tags = t.account_tags.get(i).unwrap_or(&no_tags);
        for (k, key) in keys.iter().enumerate() {
            if let Some(value) = tags.get(*key) {
                ws.write_string(r, as_u16(cols.len() + k)?, clip(value))?;
            }
        }
    }
    Ok(())
}

/// Groups: one row per group per run (the groups table's columns between
/// the run's and its scope).
fn groups_sheet(ws: &mut Worksheet, t: &Trends, styles: &Styles) -> Result<(), XlsxError> {
    let cols = &GROUP_TREND_COLUMNS;
    table_header(ws, GROUP_SHEETS[0], &headings(cols), t.groups.len(), styles)?;
    let group = col(cols, groups::GROUP.key);
    for (i, row) in t.groups.iter().enumerate() {
        let r = as_u32(i + 1)?;
        for (c, (cell, (_, kind))) in row.iter().zip(cols.iter()).enumerate() {
            let cell = match cell {
                Cell::Empty if c == group => Cell::str(groups::UNTAGGED),
                _ => shown(cell, *kind),
            };
            write_table_cell(ws, r, as_u16(c)?, &cell)?;
        }
    }
    Ok(())
}

/// A top group's name and its licenses used per run.
type TopGroup = (String, Vec<Option<f64>>);

/// Group trends: the run's label, then per key its [`TOP_GROUPS`] groups'
/// licenses used per run (a column each, headed `key: group`), and a line
/// chart per key beside the table, axes from zero.
fn group_trends_sheet(ws: &mut Worksheet, t: &Trends, styles: &Styles) -> Result<(), XlsxError> {
    let tops: Vec<(&String, Vec<TopGroup>)> = t
        .group_by
        .iter()
        .map(|key| (key, top_groups(t, key, TOP_GROUPS)))
        .collect();
    let mut columns = vec![Heading::new(RUN_LABEL, 28.0, Kind::Text)];
    for (key, top) in &tops {
        columns.extend(
            top.iter()
                .map(|(name, _)| Heading::new(format!("{key}: {name}"), 16.0, Kind::Count)),
        );
    }
    table_header(ws, GROUP_SHEETS[1], &columns, t.runs.len(), styles)?;
    for (i, row) in t.runs.iter().enumerate() {
        ws.write_string(as_u32(i + 1)?, 0, run_label(row))?;
    }
    let (n, charts_at) = (as_u32(t.runs.len())?, as_u16(columns.len() + 1)?);
    let mut c = 1usize;
    for (k, (key, top)) in tops.iter().enumerate() {
        let title = format!("{} by {key}: top groups", USED_AUTHORIZED.label);
        let mut chart = run_chart(&title, t.runs.len(), false);
        for (name, series) in top {
            let column = as_u16(c)?;
            for (i, v) in series.iter().enumerate() {
                if let Some(v) = v {
                    write_table_cell(ws, as_u32(i + 1)?, column, &Cell::Num(*v))?;
                }
            }
            chart
                .add_series()
                .set_categories((GROUP_SHEETS[1], 1, 0, n, 0))
                .set_values((GROUP_SHEETS[1], 1, column, n, column))
                .set_name(name.as_str());
            c += 1;
        }
        if !top.is_empty() && n > 0 {
            ws.insert_chart(as_u32(1 + CHART_ROWS as usize * k)?, charts_at, &chart)?;
        }
    }
    Ok(())
}

/// The header of the runs' label column.
const RUN_LABEL: &str = "Run";

/// Top accounts: the run's label, then one utilization column per top
/// account, then (hidden) the 100% line's values.
fn top_sheet(ws: &mut Worksheet, t: &Trends, styles: &Styles) -> Result<(), XlsxError> {
    let top = top_accounts(t, TOP_ACCOUNTS);
    let mut columns = vec![Heading::new(RUN_LABEL, 28.0, Kind::Text)];
    columns.extend(
        top.iter()
            .map(|(name, _)| Heading::new(name.as_str(), 16.0, Kind::Ratio)),
    );
    columns.push(Heading::new(FULL_USE, 12.0, Kind::Ratio));
    table_header(ws, SHEETS[3], &columns, t.runs.len(), styles)?;
    let full = as_u16(columns.len() - 1)?;
    ws.set_column_hidden(full)?;
    for (i, row) in t.runs.iter().enumerate() {
        let r = as_u32(i + 1)?;
        ws.write_string(r, 0, run_label(row))?;
        for (k, (_, series)) in top.iter().enumerate() {
            if let Some(Some(v)) = series.get(i) {
                ws.write_number(r, as_u16(1 + k)?, *v)?;
            }
        }
        ws.write_number(r, full, 1.0)?;
    }
    Ok(())
}

/// The 100% line's name.
const FULL_USE: &str = "100%: every license used";

/// Charts: what the set is (the history read, when, the scope), then the
/// two line charts, one above the other, printed on one page.
fn charts_sheet(
    ws: &mut Worksheet,
    t: &Trends,
    about: &About<'_>,
    styles: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name(SHEETS[0])?;
    print::sheet(ws, &styles.stem)?;
    ws.set_column_width(0, 18)?;
    ws.set_column_width(1, 20)?;
    ws.write_string_with_format(0, 0, "TCSS image-scan license history", &styles.title)?;
    ws.write_string(1, 0, "History")?;
    ws.write_string(1, 1, clip(about.history))?;
    ws.write_string(2, 0, "Generated (UTC)")?;
    let generated = Cell::time(Some(&about.generated_at));
    write_formatted(ws, 2, 1, &generated, styles.left(Kind::Time))?;
    ws.write_string(3, 0, "Scope")?;
    let scope = t.scope.as_deref().unwrap_or("every scope (--all-scopes)");
    ws.write_string(3, 1, clip(scope))?;
    ws.write_string(4, 0, "Runs")?;
    write_formatted(
        ws,
        4,
        1,
        &Cell::count(t.runs.len()),
        styles.left(Kind::Count),
    )?;
    let n = as_u32(t.runs.len())?;
    if n > 0 {
        charts(ws, t, CHARTS_ROW)?;
    }
    // The page: the facts and the two charts, fitted to it.
    ws.set_print_area(0, 0, CHARTS_ROW + 2 * CHART_ROWS + 1, 15)?;
    ws.set_print_fit_to_pages(1, 1);
    Ok(())
}

/// Where the first chart starts on the Charts sheet.
const CHARTS_ROW: u32 = 6;

/// The rows (15 pt each) one chart covers, with a gap below it.
const CHART_ROWS: u32 = 17;

/// The most run labels a chart's axis names; with more runs it names
/// every k-th, so the labels stay legible.
const MAX_LABELS: usize = 30;

/// A chart over the runs: its axes from zero, its run labels slanted and
/// every one of them shown (up to [`MAX_LABELS`]).
fn run_chart(title: &str, runs: usize, percent: bool) -> Chart {
    let mut chart = Chart::new(ChartType::Line);
    chart
        .title()
        .set_name(title)
        .set_font(ChartFont::new().set_size(12).set_bold());
    let skip = runs.div_ceil(MAX_LABELS).max(1);
    let x = chart.x_axis();
    x.set_font(ChartFont::new().set_size(10).set_rotation(-45));
    if skip > 1 {
        x.set_label_interval(u16::try_from(skip).unwrap_or(u16::MAX));
    }
    chart
        .y_axis()
        .set_min(0)
        .set_num_format(if percent { "0%" } else { "#,##0" })
        .set_font(ChartFont::new().set_size(10));
    chart
        .legend()
        .set_position(ChartLegendPosition::Right)
        .set_font(ChartFont::new().set_size(10));
    chart.set_width(1000).set_height(CHART_ROWS * 20 - 10);
    chart
}

/// The two line charts from `first`: licenses used against licenses total
/// (categories: the Trends sheet's run labels), and the top accounts'
/// utilization with the 100% line (from the Top accounts sheet).
fn charts(ws: &mut Worksheet, t: &Trends, first: u32) -> Result<(), XlsxError> {
    let n = as_u32(t.runs.len())?;
    let label_col = as_u16(RUN_TREND_COLUMNS.len())?;
    let mut chart = run_chart("Licenses used against licenses total", t.runs.len(), false);
    for column in [&USED_AUTHORIZED, &TOTAL_AUTHORIZED] {
        let c = as_u16(col(&RUN_TREND_COLUMNS, column.key))?;
        chart
            .add_series()
            .set_categories((SHEETS[1], 1, label_col, n, label_col))
            .set_values((SHEETS[1], 1, c, n, c))
            .set_name(column.label);
    }
    ws.insert_chart(first, 0, &chart)?;
    let top = top_accounts(t, TOP_ACCOUNTS);
    if top.is_empty() {
        return Ok(());
    }
    let mut chart = run_chart("Top accounts: license utilization", t.runs.len(), true);
    for (k, (name, _)) in top.iter().enumerate() {
        let c = as_u16(1 + k)?;
        chart
            .add_series()
            .set_categories((SHEETS[3], 1, 0, n, 0))
            .set_values((SHEETS[3], 1, c, n, c))
            .set_name(name.as_str());
    }
    let full = as_u16(1 + top.len())?;
    chart
        .add_series()
        .set_categories((SHEETS[3], 1, 0, n, 0))
        .set_values((SHEETS[3], 1, full, n, full))
        .set_name(FULL_USE)
        .set_format(&mut full_use_line());
    chart.show_hidden_data();
    ws.insert_chart(first + CHART_ROWS, 0, &chart)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_guarded_and_empty_stays_empty() {
        let cols: &[(&str, Kind)] = &[("a", Kind::Text), ("b", Kind::Count), ("c", Kind::Ratio)];
        let rows = vec![vec![Cell::str("=1+1"), Cell::Empty, Cell::Num(0.5)]];
        let mut out = Vec::new();
        let no_bom = Layout { csv_bom: false };
        write_csv(cols, &rows, &mut out, no_bom).expect("csv");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "a,b,c\n'=1+1,,0.5\n"
        );
        let mut out = Vec::new();
        write_csv(cols, &rows, &mut out, Layout::default()).expect("csv");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "\u{feff}a,b,c\n'=1+1,,0.5\n",
            "a byte-order mark by default"
        );
    }
}
