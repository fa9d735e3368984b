//! The `history` command's files, one set with its own stem
//! (`tcss-history-<UTC>`, `-2`, ... when taken): `<stem>.runs.csv` and
//! `<stem>.accounts.csv`, `<stem>.json`, and `<stem>.xlsx` whose first sheet
//! holds the per-run table, a line chart of licenses used against licenses
//! total over time and a line chart of the top accounts' utilization. With
//! `--group-by`: `<stem>.groups.csv`, JSON `groups`, and the sheets Groups
//! (every group of every run) and Group trends (a line chart per key of its
//! top groups' licenses used).
//! Written like a run's reports (`report::publish`): a stem claimed under
//! the folder lock, the files written into its private staging folder, then
//! published without replacing any file, the JSON last.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};
use serde_json::{json, Map, Value};

use super::publish::{self, io_error};
use super::ReportError;
use crate::columns::accounts::{TOTAL_AUTHORIZED, USED_AUTHORIZED};
use crate::columns::{rfc3339, Cell, Kind};
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
        }
    }
}

/// The sheet names of the XLSX, first to last.
pub const SHEETS: [&str; 3] = ["Trends", "Accounts", "Top accounts"];

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

/// Writes the requested formats of `trends` into `out` and returns the
/// published paths.
pub fn write(
    trends: &Trends,
    about: &About<'_>,
    out: &Path,
    formats: &[TrendFormat],
) -> Result<Vec<PathBuf>, ReportError> {
    let base = format!(
        "tcss-history-{}",
        about.generated_at.format("%Y%m%dT%H%M%SZ")
    );
    let names = |stem: &str| -> Vec<String> {
        [TrendFormat::Csv, TrendFormat::Xlsx, TrendFormat::Json]
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
            write_one(trends, about, format, &name, &tmp).map_err(|e| match e {
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

fn write_one(
    t: &Trends,
    about: &About<'_>,
    format: TrendFormat,
    name: &str,
    path: &Path,
) -> Result<(), Failure> {
    let other = |e: &dyn std::fmt::Display| Failure::Other(e.to_string());
    match format {
        TrendFormat::Csv => {
            let (cols, rows) = if name.ends_with(".runs.csv") {
                (&RUN_TREND_COLUMNS, &t.runs)
            } else if name.ends_with(".groups.csv") {
                (&GROUP_TREND_COLUMNS, &t.groups)
            } else {
                (&ACCOUNT_TREND_COLUMNS, &t.accounts)
            };
            let file = fs::File::create(path)?;
            write_csv(cols, rows, BufWriter::new(&file)).map_err(|e| other(&e))?;
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
            xlsx(t, about, path).map_err(|e| other(&e))?;
            fs::File::open(path)?.sync_all()?;
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

/// One header row of the column names, then one row per entry.
pub fn write_csv<W: Write>(
    cols: &[(&str, Kind)],
    rows: &[Vec<Cell<'_>>],
    out: W,
) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
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

/// A table with its header at row 0; returns nothing.
fn table(
    ws: &mut Worksheet,
    first_row: u32,
    cols: &[(&str, Kind)],
    rows: &[Vec<Cell<'_>>],
    header: &Format,
    percent: &Format,
) -> Result<(), XlsxError> {
    for (c, (name, _)) in cols.iter().enumerate() {
        ws.write_string_with_format(first_row, c as u16, *name, header)?;
        ws.set_column_width(c as u16, 14)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = first_row + 1 + r as u32;
        for (c, (v, (_, kind))) in row.iter().zip(cols).enumerate() {
            let c = c as u16;
            match v {
                Cell::Empty => {}
                Cell::Text(s) => {
                    ws.write_string(r, c, s.as_ref())?;
                }
                Cell::Int(i) => {
                    ws.write_number(r, c, *i as f64)?;
                }
                Cell::Ratio(x) | Cell::Num(x) if *kind == Kind::Ratio => {
                    ws.write_number_with_format(r, c, *x, percent)?;
                }
                Cell::Ratio(x) | Cell::Num(x) => {
                    ws.write_number(r, c, *x)?;
                }
                Cell::Bool(b) => {
                    ws.write_boolean(r, c, *b)?;
                }
                Cell::Time(t) => {
                    ws.write_string(r, c, rfc3339(t))?;
                }
            }
        }
    }
    Ok(())
}

/// The workbook: Trends (runs, a label per run marking the incomplete
/// ones, the two charts), Accounts, Top accounts (the chart's data).
fn xlsx(t: &Trends, about: &About<'_>, path: &Path) -> Result<(), XlsxError> {
    let mut wb = Workbook::new();
    let header = Format::new().set_bold().set_background_color("D9E1F2");
    let percent = Format::new().set_num_format("0.0%");
    let n = t.runs.len() as u32;
    let label_col = RUN_TREND_COLUMNS.len() as u16;
    let ws = wb.add_worksheet().set_name(SHEETS[0])?;
    ws.write_string(0, 0, format!("History: {}", about.history))?;
    ws.write_string(1, 0, format!("Generated {}", rfc3339(&about.generated_at)))?;
    let scope = t.scope.as_deref().unwrap_or("every scope (--all-scopes)");
    ws.write_string(2, 0, format!("Scope: {scope}"))?;
    let first = 3;
    table(ws, first, &RUN_TREND_COLUMNS, &t.runs, &header, &percent)?;
    ws.write_string_with_format(first, label_col, "run", &header)?;
    let (started, complete) = (
        col(&RUN_TREND_COLUMNS, "started_at"),
        col(&RUN_TREND_COLUMNS, "complete"),
    );
    for (i, row) in t.runs.iter().enumerate() {
        let mut label = row[started].as_text().unwrap_or_default().to_string();
        if row[complete].as_bool() != Some(true) {
            label.push_str(" (incomplete)");
        }
        ws.write_string(first + 1 + i as u32, label_col, label)?;
    }
    ws.set_column_width(label_col, 28)?;
    ws.set_freeze_panes(first + 1, 0)?;
    if n > 0 {
        charts(ws, t, first, label_col)?;
    }
    let ws = wb
        .add_worksheet_with_constant_memory()?
        .set_name(SHEETS[1])?;
    table(
        ws,
        0,
        &ACCOUNT_TREND_COLUMNS,
        &t.accounts,
        &header,
        &percent,
    )?;
    let ws = wb.add_worksheet().set_name(SHEETS[2])?;
    top_sheet(ws, t, &header, &percent)?;
    if !t.group_by.is_empty() {
        let ws = wb
            .add_worksheet_with_constant_memory()?
            .set_name(GROUP_SHEETS[0])?;
        table(ws, 0, &GROUP_TREND_COLUMNS, &t.groups, &header, &percent)?;
        let ws = wb.add_worksheet().set_name(GROUP_SHEETS[1])?;
        group_trends_sheet(ws, t, &header)?;
    }
    wb.save(path)
}

/// Run labels, then per key its top groups' licenses used per run (a
/// column each, headed `key: group`), and a line chart per key beside.
fn group_trends_sheet(ws: &mut Worksheet, t: &Trends, header: &Format) -> Result<(), XlsxError> {
    run_labels(ws, t, header)?;
    let n = t.runs.len() as u32;
    let mut c = 1u16;
    let charts_at = 1 + (t.group_by.len() * TOP_GROUPS) as u16 + 1;
    for (k, key) in t.group_by.iter().enumerate() {
        let top = top_groups(t, key, TOP_GROUPS);
        if top.is_empty() || n == 0 {
            continue;
        }
        let mut chart = Chart::new(ChartType::Line);
        for (name, series) in &top {
            ws.write_string_with_format(0, c, format!("{key}: {name}"), header)?;
            ws.set_column_width(c, 16)?;
            for (i, v) in series.iter().enumerate() {
                if let Some(v) = v {
                    ws.write_number(1 + i as u32, c, *v)?;
                }
            }
            chart
                .add_series()
                .set_categories((GROUP_SHEETS[1], 1, 0, n, 0))
                .set_values((GROUP_SHEETS[1], 1, c, n, c))
                .set_name(name.as_str());
            c += 1;
        }
        chart
            .title()
            .set_name(format!("{} by {key}: top groups", USED_AUTHORIZED.label).as_str());
        ws.insert_chart(1 + 18 * k as u32, charts_at, &chart)?;
    }
    Ok(())
}

/// The runs' labels in column A (the start, `(incomplete)` marked) under
/// a `run` header.
fn run_labels(ws: &mut Worksheet, t: &Trends, header: &Format) -> Result<(), XlsxError> {
    let (started, complete) = (
        col(&RUN_TREND_COLUMNS, "started_at"),
        col(&RUN_TREND_COLUMNS, "complete"),
    );
    ws.write_string_with_format(0, 0, "run", header)?;
    ws.set_column_width(0, 28)?;
    for (i, row) in t.runs.iter().enumerate() {
        let mut label = row[started].as_text().unwrap_or_default().to_string();
        if row[complete].as_bool() != Some(true) {
            label.push_str(" (incomplete)");
        }
        ws.write_string(1 + i as u32, 0, label)?;
    }
    Ok(())
}

/// The two line charts below the runs table of the Trends sheet, whose
/// header is at `first` and run labels in `label_col`.
fn charts(ws: &mut Worksheet, t: &Trends, first: u32, label_col: u16) -> Result<(), XlsxError> {
    let n = t.runs.len() as u32;
    let (r0, r1) = (first + 1, first + n);
    let mut chart = Chart::new(ChartType::Line);
    for column in [&USED_AUTHORIZED, &TOTAL_AUTHORIZED] {
        let (name, title) = (column.key, column.label);
        let c = col(&RUN_TREND_COLUMNS, name) as u16;
        chart
            .add_series()
            .set_categories((SHEETS[0], r0, label_col, r1, label_col))
            .set_values((SHEETS[0], r0, c, r1, c))
            .set_name(title);
    }
    chart
        .title()
        .set_name("Licenses used against licenses total");
    ws.insert_chart(first + n + 3, 0, &chart)?;
    let top = top_accounts(t, TOP_ACCOUNTS);
    if top.is_empty() {
        return Ok(());
    }
    let mut chart = Chart::new(ChartType::Line);
    for (k, (name, _)) in top.iter().enumerate() {
        let c = 1 + k as u16;
        chart
            .add_series()
            .set_categories((SHEETS[2], 1, 0, n, 0))
            .set_values((SHEETS[2], 1, c, n, c))
            .set_name(name.as_str());
    }
    chart.title().set_name("Top accounts: license utilization");
    chart.y_axis().set_num_format("0%");
    ws.insert_chart(first + n + 3, 9, &chart)?;
    Ok(())
}

/// Run label, then one utilization column per top account.
fn top_sheet(
    ws: &mut Worksheet,
    t: &Trends,
    header: &Format,
    percent: &Format,
) -> Result<(), XlsxError> {
    run_labels(ws, t, header)?;
    for (k, (name, series)) in top_accounts(t, TOP_ACCOUNTS).iter().enumerate() {
        let c = 1 + k as u16;
        ws.write_string_with_format(0, c, name.as_str(), header)?;
        ws.set_column_width(c, 16)?;
        for (i, v) in series.iter().enumerate() {
            if let Some(v) = v {
                ws.write_number_with_format(1 + i as u32, c, *v, percent)?;
            }
        }
    }
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
        write_csv(cols, &rows, &mut out).expect("csv");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "a,b,c\n'=1+1,,0.5\n"
        );
    }
}
