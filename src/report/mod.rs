//! Report writers: the composite a run prints ([`Report`]), the format
//! registry ([`Format`], the files of each) and the publishing of a set
//! ([`write_reserved`], see [`publish`]: no reader ever sees half a file or
//! half a set, no run replaces another's). The formats: CSV, XLSX, JSON,
//! Markdown, Prometheus metrics and HTML (`html`).
//!
//! The tables' columns and cells are `crate::columns`'s: each format module
//! prints them, deciding only how a cell looks in its format; none computes
//! a value, so the formats can never disagree.

pub mod breaches;
pub mod changes;
pub mod csv;
pub mod html;
pub mod json;
pub mod markdown;
mod out_dir;
pub mod prom;
pub mod publish;
pub mod trends;
pub mod xlsx;

pub use crate::formats::Format;
pub use out_dir::check_out_dir;

use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tempfile::NamedTempFile;

use crate::aggregate::Aggregate;
use crate::columns::Cell;
use crate::compare::Comparison;
use crate::groups::Groups;
use crate::thresholds::Breach;

/// What the reports print: the run's numbers, its chargeback groups, its
/// comparison and the thresholds it breached, assembled by the run
/// (`cli::run`) once each of those stages is done; the writers only read it
/// (publishing sets the stem, the history the outcome, in `aggregate.run`).
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Every number of the run.
    pub aggregate: Aggregate,
    /// The accounts rolled up by tag (`--group-by`); no keys, no rows when
    /// none asked.
    pub groups: Groups,
    /// The comparison with an earlier run (`--compare`), or why there is none.
    pub comparison: Comparison,
    /// The `--fail-on` thresholds breached; empty when none (or none asked).
    pub breaches: Vec<Breach>,
    /// The runs of this run's scope in the history, oldest first, this
    /// one last, one row each of `history::trends::RUN_TREND_COLUMNS` (the
    /// HTML's trend); empty when the history was not read.
    pub trend: Vec<Vec<Cell<'static>>>,
    /// The exit code as the run stands when its reports are written
    /// (the HTML's title); `None` outside a run.
    pub exit: Option<ExitStatus>,
    /// How the files are laid out (from `[defaults]`), not what they say.
    pub layout: Layout,
}

/// The exit code a run has when its reports are written, and what it
/// means: what the HTML report states. The run decides it (`cli::run`);
/// only an interrupt or a failure after the reports are written (the
/// metrics file, then 130 or 1) can still change the code the process
/// ends with, and the exit line on stderr says the final one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitStatus {
    /// The code (0, 1, 3, 4, 5, 130).
    pub code: u8,
    /// What it means, as the exit line on stderr says it.
    pub meaning: String,
}

impl Report {
    /// The report of `aggregate` with no comparison and no breach.
    #[cfg(test)]
    pub fn new(aggregate: Aggregate) -> Report {
        Report {
            aggregate,
            groups: Groups::default(),
            comparison: Comparison::NotAsked,
            breaches: Vec::new(),
            trend: Vec::new(),
            exit: None,
            layout: Layout::default(),
        }
    }
}

/// How the report files are laid out, as the config says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Whether every CSV file starts with a UTF-8 byte-order mark
    /// (`[defaults] csv_bom`, default true), so Excel on Windows reads it
    /// as UTF-8 (Chinese member names stay readable).
    pub csv_bom: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Layout { csv_bom: true }
    }
}

impl Format {
    /// The file names this format writes for `stem`.
    pub fn file_names(self, stem: &str) -> Vec<String> {
        Part::of(self).iter().map(|p| p.file_name(stem)).collect()
    }
}

/// One file of a run's set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    AccountsCsv,
    RegionsCsv,
    /// Written only when the run is grouped ([`Part::wanted`]).
    GroupsCsv,
    Xlsx,
    Json,
    Markdown,
    Prom,
    Html,
}

impl Part {
    /// The files `format` writes, in order.
    pub(crate) fn of(format: Format) -> &'static [Part] {
        match format {
            Format::Csv => &[Part::AccountsCsv, Part::RegionsCsv, Part::GroupsCsv],
            Format::Xlsx => &[Part::Xlsx],
            Format::Json => &[Part::Json],
            Format::Markdown => &[Part::Markdown],
            Format::Prom => &[Part::Prom],
            Format::Html => &[Part::Html],
        }
    }

    /// Whether `report` has this file: `<stem>.groups.csv` only when the
    /// run is grouped by some key, every other always.
    pub(crate) fn wanted(self, report: &Report) -> bool {
        self != Part::GroupsCsv || !report.groups.keys.is_empty()
    }

    /// The file name for `stem`.
    pub(crate) fn file_name(self, stem: &str) -> String {
        let ext = match self {
            Part::AccountsCsv => "accounts.csv",
            Part::RegionsCsv => "regions.csv",
            Part::GroupsCsv => "groups.csv",
            Part::Xlsx => "xlsx",
            Part::Json => "json",
            Part::Markdown => "md",
            Part::Prom => "prom",
            Part::Html => "html",
        };
        format!("{stem}.{ext}")
    }
}

/// The formats written when none are asked for: csv, xlsx, json, md, html
/// (not prom; the command line's default, spelt by clap).
#[cfg(test)]
pub fn default_formats() -> Vec<Format> {
    vec![
        Format::Csv,
        Format::Xlsx,
        Format::Json,
        Format::Markdown,
        Format::Html,
    ]
}

/// Parses a comma-separated list such as `csv,xlsx` (duplicates dropped, order kept).
#[cfg(test)]
pub fn parse_formats(list: &str) -> Result<Vec<Format>, crate::formats::ParseFormatError> {
    let mut out = Vec::new();
    for part in list.split(',').filter(|p| !p.trim().is_empty()) {
        let format: Format = part.parse()?;
        if !out.contains(&format) {
            out.push(format);
        }
    }
    Ok(out)
}

/// Why the reports could not be written. Every message names the file and
/// carries the OS (or library) error text exactly once: no variant exposes
/// an error source, so an error chain never repeats it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Creating, locking, writing, syncing or publishing failed.
    #[error("cannot write {}: {reason}", path.display())]
    Io {
        /// The file (or folder) concerned, by its final name.
        path: PathBuf,
        /// The kind of OS error.
        kind: io::ErrorKind,
        /// The OS error text.
        reason: String,
    },
    /// The XLSX library refused the workbook.
    #[error("cannot write {}: {message}", path.display())]
    Xlsx {
        /// The file concerned.
        path: PathBuf,
        /// What the library said.
        message: String,
    },
    /// Writing CSV failed.
    #[error("cannot write {}: {reason}", path.display())]
    Csv {
        /// The file concerned.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Writing JSON failed.
    #[error("cannot write {}: {reason}", path.display())]
    Json {
        /// The file concerned.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// One file of the set failed, so the set was not published: no file
    /// of it is in the folder except, if it was written, the JSON snapshot.
    #[error("{failure}; {}", Aftermath(kept_json.as_deref()))]
    NotPublished {
        /// What failed (one of the variants above).
        failure: Box<ReportError>,
        /// The JSON snapshot, published although the set was not.
        kept_json: Option<PathBuf>,
    },
}

/// The end of a [`ReportError::NotPublished`] message.
struct Aftermath<'a>(Option<&'a Path>);

impl fmt::Display for Aftermath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("no report file was published"),
            Some(json) => write!(
                f,
                "no other report file was published; the JSON snapshot was kept at {}",
                json.display()
            ),
        }
    }
}

/// Writes every requested format into `out_dir` (created if missing) as one
/// set, and returns the final paths in the order of `formats` (a format
/// asked for twice is written once).
///
/// Under the lock on `<out_dir>/.tcss-report.lock`, held for a moment
/// (waited for at most [`publish::LOCK_WAIT_LIMIT`]): deals with what runs
/// that ended left, claims the first stem of `report.aggregate.run.stem`, `<stem>-2`,
/// `<stem>-3`, ... for which no file of any format exists and no other run
/// holds a claim (its private staging folder
/// `.tcss-report-tmp-<pid>-<random>.<stem>`), and stores it in
/// `report.aggregate.run.stem`. Then writes every file into the staging folder, syncs
/// it, marks the folder complete, publishes each one without replacing any
/// existing file (the JSON last) and syncs the folder. If one file fails,
/// none is published except the JSON snapshot when it was written
/// ([`ReportError::NotPublished`] says where), and no temporary file is
/// left. See [`publish`]. (A run reserves its stem first and records the
/// history under it, [`reserve`] and [`write_reserved`]; this is both at
/// once, for the tests.)
#[cfg(test)]
pub fn write_all(
    report: &mut Report,
    out_dir: &Path,
    formats: &[Format],
) -> Result<Vec<PathBuf>, ReportError> {
    publish::write_set(report, out_dir, formats, &write_part)
}

/// [`write_all`], with what the metrics (`prom`) need beyond the report.
/// (`write_all` writes them with no breaches.)
#[cfg(test)]
pub fn write_all_with(
    report: &mut Report,
    out_dir: &Path,
    formats: &[Format],
    metrics: &prom::Inputs,
) -> Result<Vec<PathBuf>, ReportError> {
    publish::write_set(report, out_dir, formats, &part_writer(metrics, None))
}

/// Writes any part, the metrics with `metrics`; the metrics text goes
/// into `rendered` too when given.
fn part_writer<'a>(
    metrics: &'a prom::Inputs,
    rendered: Option<&'a OnceLock<String>>,
) -> impl Fn(&Report, Part, &mut NamedTempFile, &Path) -> Result<(), ReportError> + Sync + 'a {
    move |r, part, tmp, dest| match part {
        Part::Prom => write_prom(r, metrics, tmp, dest, rendered),
        other => write_part(r, other, tmp, dest),
    }
}

/// Writes `<stem>.prom` into `tmp` and keeps its text in `rendered`;
/// errors name `dest`.
fn write_prom(
    report: &Report,
    metrics: &prom::Inputs,
    tmp: &mut NamedTempFile,
    dest: &Path,
    rendered: Option<&OnceLock<String>>,
) -> Result<(), ReportError> {
    let text =
        prom::render(report, metrics).map_err(|e| publish::io_error(dest, &io::Error::other(e)))?;
    let mut w = BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
    w.write_all(text.as_bytes())
        .and_then(|()| w.flush())
        .map_err(|e| publish::io_error(dest, &e))?;
    if let Some(slot) = rendered {
        // Set once: a set has one `prom` part.
        let _ = slot.set(text);
    }
    Ok(())
}

/// Claims the set's stem in `out_dir` (the first free one from `base`; the
/// folder lock is held only meanwhile and not waited for once
/// `interrupted` says so), for [`write_reserved`]: the first half of
/// publishing a set, split off so the history is recorded under the final
/// stem before anything is published.
pub fn reserve(
    out_dir: &Path,
    base: &str,
    interrupted: &dyn Fn() -> bool,
) -> Result<publish::Reservation, ReportError> {
    publish::reserve(out_dir, base, &publish::report_names, interrupted)
}

/// Writes every requested format into `out_dir` under a [`reserve`]d stem
/// as one set, and returns the final paths in the order of `formats` (see
/// [`publish`]: staged, synced, published without replacing any file, the
/// JSON last; one file failing publishes none but the JSON snapshot,
/// [`ReportError::NotPublished`]). The metrics (`prom`) carry `metrics`;
/// their text is left in `rendered`, so the metrics file and the
/// Pushgateway get the same text without rendering it again.
pub fn write_reserved(
    report: &mut Report,
    out_dir: &Path,
    formats: &[Format],
    metrics: &prom::Inputs,
    reservation: publish::Reservation,
    rendered: &OnceLock<String>,
) -> Result<Vec<PathBuf>, ReportError> {
    let writer = part_writer(metrics, Some(rendered));
    publish::write_reserved(report, out_dir, formats, &writer, reservation)
}

/// [`write_reserved`], the JSON snapshot (when `formats` has `json`) left
/// staged, to be written again and published once the run's notifications
/// are sent ([`publish::HeldJson`]). The paths are those of the whole set.
pub fn write_reserved_holding_json(
    report: &mut Report,
    out_dir: &Path,
    formats: &[Format],
    metrics: &prom::Inputs,
    reservation: publish::Reservation,
    rendered: &OnceLock<String>,
) -> Result<(Vec<PathBuf>, Option<publish::HeldJson>), ReportError> {
    let writer = part_writer(metrics, Some(rendered));
    publish::write_reserved_held(report, out_dir, formats, &writer, reservation, true)
}

/// Writes `part` of `report` into `tmp`; errors name `dest`, the final path.
fn write_part(
    report: &Report,
    part: Part,
    tmp: &mut NamedTempFile,
    dest: &Path,
) -> Result<(), ReportError> {
    let csv_err = |e: ::csv::Error| ReportError::Csv {
        path: dest.to_path_buf(),
        reason: e.to_string(),
    };
    let mut w = BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
    match part {
        Part::AccountsCsv => csv::write_accounts(report, &mut w).map_err(csv_err)?,
        Part::RegionsCsv => csv::write_regions(report, &mut w).map_err(csv_err)?,
        Part::GroupsCsv => csv::write_groups(report, &mut w).map_err(csv_err)?,
        Part::Json => json::write(report, &mut w).map_err(|e| ReportError::Json {
            path: dest.to_path_buf(),
            reason: e.to_string(),
        })?,
        Part::Markdown => {
            markdown::write(report, &mut w).map_err(|e| publish::io_error(dest, &e))?
        }
        Part::Html => html::write(report, &mut w).map_err(|e| publish::io_error(dest, &e))?,
        Part::Prom => {
            drop(w);
            return write_prom(report, &prom::Inputs::default(), tmp, dest, None);
        }
        Part::Xlsx => {
            drop(w);
            // The staging folder is private, so reopening by name is safe.
            return xlsx::save(report, tmp.path()).map_err(|e| ReportError::Xlsx {
                path: dest.to_path_buf(),
                message: e.to_string(),
            });
        }
    }
    w.flush().map_err(|e| publish::io_error(dest, &e))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::aggregate::aggregate;
    use crate::model::RegionScope;
    use crate::test_support::{account, data, failed, ok, run_info, sample_report};
    use std::fs;

    #[test]
    fn formats_parse_and_display() {
        for f in default_formats() {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
        assert_eq!("markdown".parse::<Format>(), Ok(Format::Markdown));
        assert_eq!("XLSX".parse::<Format>(), Ok(Format::Xlsx));
        assert!("pdf".parse::<Format>().is_err());
        assert_eq!("HTML".parse::<Format>(), Ok(Format::Html));
        assert_eq!(
            default_formats(),
            vec![
                Format::Csv,
                Format::Xlsx,
                Format::Json,
                Format::Markdown,
                Format::Html
            ]
        );
        assert_eq!(
            parse_formats("csv, md,csv"),
            Ok(vec![Format::Csv, Format::Markdown])
        );
        assert!(parse_formats("csv,doc").is_err());
    }

    #[test]
    fn write_all_writes_every_file_atomically() {
        let mut report = sample_report();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nested").join("reports");
        let paths = write_all(&mut report, &out, &default_formats()).unwrap();
        let stem = &report.aggregate.run.stem.clone();
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            vec![
                format!("{stem}.accounts.csv"),
                format!("{stem}.regions.csv"),
                format!("{stem}.xlsx"),
                format!("{stem}.json"),
                format!("{stem}.md"),
                format!("{stem}.html"),
            ]
        );
        let mut listed: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != publish::LOCK_FILE)
            .collect();
        listed.sort();
        let mut expected = names.clone();
        expected.sort();
        assert_eq!(listed, expected, "no temporary files left behind");
        for p in &paths {
            assert!(
                fs::metadata(p).unwrap().len() > 0,
                "{} is empty",
                p.display()
            );
        }
        // Writing again never replaces a file: the next stem is taken.
        let before = fs::read(&paths[3]).unwrap();
        let again = write_all(&mut report, &out, &[Format::Json, Format::Json]).unwrap();
        assert_eq!(again, vec![out.join(format!("{stem}-2.json"))]);
        assert_eq!(report.aggregate.run.stem, format!("{stem}-2"));
        assert_eq!(fs::read(&paths[3]).unwrap(), before);
        assert_eq!(
            fs::read_dir(&out).unwrap().count(),
            6 + 1 + 1,
            "and the lock file"
        );
    }

    /// Prints the time to aggregate and write 10,000 accounts in every
    /// format, and its ratio to the 2 s target: a figure, not an assertion
    /// (this machine is noisy; `scripts/bench.py` measures real runs).
    /// `cargo test --release -p tcss-report --lib -- --ignored --nocapture ten_thousand`
    #[test]
    #[ignore = "a figure to read; run in release with --nocapture"]
    fn ten_thousand_accounts_report_writing_figure() {
        let regions = ["ap-guangzhou", "ap-shanghai"];
        let accounts: Vec<_> = (0..10_000)
            .map(|i| {
                let mut a = account(&format!("account-{i:05}"), &regions);
                a.uin = Some(format!("{}", 100_000_000_000u64 + i as u64));
                a.tags.insert("team".into(), format!("team-{}", i % 37));
                a.tags.insert("env".into(), "prod".into());
                a
            })
            .collect();
        let outcomes: Vec<_> = (0..10_000)
            .flat_map(|i| {
                let i64i = i as i64;
                let first = ok(i, regions[0], data(100 + i64i % 50, i64i % 160));
                let second = if i % 97 == 0 {
                    failed(i, regions[1], "RequestLimitExceeded")
                } else {
                    ok(i, regions[1], data(100 + i64i % 50, i64i % 160))
                };
                [first, second]
            })
            .collect();
        let started = std::time::Instant::now();
        let report = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
        let aggregated = started.elapsed();
        let dir = tempfile::tempdir().unwrap();
        let mut report = Report::new(report);
        let written = write_all(&mut report, dir.path(), &default_formats()).unwrap();
        let total = started.elapsed();
        assert_eq!(written.len(), 6, "every format written");
        assert_eq!(report.aggregate.accounts.len(), 10_000);
        // Each format alone, one after the other (the set writes them at once).
        let mut alone = Vec::new();
        for format in default_formats() {
            let dir = tempfile::tempdir().unwrap();
            let t = std::time::Instant::now();
            write_all(&mut report, dir.path(), &[format]).unwrap();
            alone.push(format!("{format:?} {:?}", t.elapsed()));
        }
        eprintln!("each format alone: {}", alone.join(", "));
        eprintln!(
            "aggregate {aggregated:?}; aggregate + write all formats {total:?} = {:.2} x the 2 s target{}",
            total.as_secs_f64() / 2.0,
            if cfg!(debug_assertions) { " (debug build: not representative)" } else { "" }
        );
    }

    #[test]
    fn write_all_reports_the_path_when_the_folder_is_a_file() {
        let mut report = sample_report();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        fs::write(&file, b"x").unwrap();
        let err = write_all(&mut report, &file, &[Format::Json]).unwrap_err();
        assert!(matches!(err, ReportError::Io { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("not-a-dir"), "{text}");
        assert_eq!(text.matches("os error").count(), 1, "{text}");
        let chained = format!("{:#}", anyhow::Error::new(err).context("writing reports"));
        assert_eq!(chained.matches("os error").count(), 1, "{chained}");
    }

    #[test]
    fn json_csv_xlsx_agree_on_account_keys() {
        use crate::columns::accounts::ACCOUNTS;
        use crate::columns::regions::REGIONS;
        use crate::columns::totals::TOTALS;
        use crate::columns::Cell;
        let report = sample_report();
        let row = &report.aggregate.accounts[0];
        let cells: Vec<Cell<'_>> = ACCOUNTS.iter().map(|c| c.cell(row)).collect();
        assert_eq!(cells.len(), 51);
        assert_eq!(cells[1], Cell::str("100012345678901234"));
        assert_eq!(
            cells[26],
            Cell::Time(chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00+08:00").unwrap())
        );
        assert_eq!(REGIONS.len(), 32);
        let keys: Vec<&str> = TOTALS.iter().map(|c| c.key()).collect();
        for k in [
            "accounts_ok",
            "accounts_partial",
            "accounts_error",
            "utilization",
            "scan_coverage",
            "duplicate_ratio",
            "scan_quota_utilization",
        ] {
            assert!(keys.contains(&k), "{k}");
        }
    }
}
