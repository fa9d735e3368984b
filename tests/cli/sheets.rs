//! The workbook as people see it: printed. A run on a generated fleet of
//! 2,000 accounts writes its workbook, LibreOffice renders it to PDF
//! (headless, once: it is slow to start), and the PDF is read back with
//! poppler's tools: how many pages the Accounts sheet takes, the smallest
//! font size, and the Summary's chart.
//!
//! Needs `soffice` (Debian: `libreoffice-calc-nogui`), `pdftotext`,
//! `pdftohtml` and `pdfinfo` (`poppler-utils`), and the Carlito font
//! (`fonts-crosextra-carlito`, metric-compatible with Calibri, the
//! workbook's font: without it LibreOffice lays the columns out in another
//! font's widths, not as Excel does). Skipped, saying why, where one is
//! missing; failed instead under `TCSS_REQUIRE_LIBREOFFICE=1` (as
//! `.ci/run` sets it).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tcss_sim::Fleet;

use crate::harness::{bin, column_at, data, header_row, mgmt, stderr, Harness, MGMT_ENV};

/// Set (as `.ci/run` does) to fail instead of skipping when a tool is missing.
const REQUIRE: &str = "TCSS_REQUIRE_LIBREOFFICE";

/// The accounts of the fleet printed.
const ACCOUNTS: usize = 2_000;

/// The most pages the Accounts sheet of [`ACCOUNTS`] accounts may print on:
/// one page wide, 36 rows a page under its header (56 measured).
const MAX_ACCOUNTS_PAGES: usize = 65;

/// The smallest printed font size allowed, in points.
const MIN_FONT_PT: f64 = 8.0;

/// What is missing to render, if anything.
fn missing_tools() -> Option<String> {
    let has = |program: &str, arg: &str| {
        Command::new(program)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    };
    for (program, arg, package) in [
        ("soffice", "--version", "libreoffice-calc-nogui"),
        ("pdftotext", "-v", "poppler-utils"),
        ("pdftohtml", "-v", "poppler-utils"),
        ("pdfinfo", "-v", "poppler-utils"),
    ] {
        if !has(program, arg) {
            return Some(format!("no {program} on PATH (install {package})"));
        }
    }
    let calibri = Command::new("fc-match")
        .arg("Calibri")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if !calibri.contains("Carlito") {
        return Some(format!(
            "LibreOffice would print Calibri as {:?}, not Carlito (install fonts-crosextra-carlito)",
            calibri.trim()
        ));
    }
    None
}

/// Whether the test can run; prints why not (or fails under [`REQUIRE`]).
pub fn can_render(test: &str) -> bool {
    let Some(why) = missing_tools() else {
        return true;
    };
    assert!(
        std::env::var(REQUIRE).map_or(true, |v| v != "1"),
        "{test}: {REQUIRE}=1 but {why}"
    );
    eprintln!("skipped: {test}: {why}");
    false
}

/// Runs `cmd` to its end within `limit`, killing it after; its output.
fn run_within(mut cmd: Command, limit: Duration) -> std::process::Output {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let deadline = Instant::now() + limit;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    loop {
        if let Ok(out) = rx.try_recv() {
            return out.unwrap();
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("{cmd:?} did not end within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Renders `xlsx` to a PDF beside it with LibreOffice (its own profile in
/// `dir`, so it never meets another instance) and returns the PDF's path.
pub fn render(xlsx: &Path, dir: &Path) -> PathBuf {
    let profile = dir.join("lo-profile");
    let mut cmd = Command::new("soffice");
    cmd.arg(format!(
        "-env:UserInstallation=file://{}",
        profile.display()
    ))
    .args(["--headless", "--convert-to", "pdf", "--outdir"])
    .arg(dir)
    .arg(xlsx);
    let out = run_within(cmd, Duration::from_secs(600));
    let pdf = dir.join(xlsx.with_extension("pdf").file_name().unwrap());
    assert!(
        out.status.success() && pdf.is_file(),
        "soffice: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    pdf
}

/// The text of each page of `pdf`.
pub fn pages(pdf: &Path) -> Vec<String> {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// The sheet a page belongs to, from its footer (`<stem>  <sheet>  Page N of M`).
pub fn sheet_of(page: &str) -> String {
    page.lines()
        .rev()
        .find(|l| l.contains("Page "))
        .and_then(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let at = words.iter().position(|w| *w == "Page")?;
            words.get(at.checked_sub(1)?).map(|w| w.to_string())
        })
        .unwrap_or_default()
}

/// Every font size in `pdf`, in points (pdftohtml's `size` at zoom 3 is
/// three times the size in points).
pub fn font_sizes(pdf: &Path) -> Vec<f64> {
    let out = Command::new("pdftohtml")
        .args(["-xml", "-i", "-q", "-zoom", "3", "-stdout"])
        .arg(pdf)
        .output()
        .unwrap();
    assert!(out.status.success());
    let xml = String::from_utf8_lossy(&out.stdout).into_owned();
    xml.split("<fontspec ")
        .skip(1)
        .filter_map(|spec| {
            let size = spec.split("size=\"").nth(1)?.split('"').next()?;
            size.parse::<f64>().ok().map(|s| s / 3.0)
        })
        .collect()
}

/// A run on a generated fleet; returns its workbook.
fn workbook_of_a_fleet(dir: &Path, accounts: usize) -> PathBuf {
    let (fleet, config, out) = (
        dir.join("fleet.toml"),
        dir.join("gen.toml"),
        dir.join("out"),
    );
    let o = bin()
        .args(["sim", "--generate", &accounts.to_string(), "--write-fleet"])
        .arg(&fleet)
        .arg("--write-config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = bin()
        .args([
            "run",
            "--simulate",
            "--no-history",
            "-q",
            "--formats",
            "xlsx",
        ])
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let xlsx = String::from_utf8_lossy(&o.stdout).trim().to_string();
    assert!(xlsx.ends_with(".xlsx"), "{xlsx}");
    PathBuf::from(xlsx)
}

/// 2,000 accounts, printed: the Accounts sheet one page wide on a bounded
/// number of pages, its header on each and its totals row on the last; no
/// text below 8 pt anywhere in the workbook; the Summary on one page with
/// its chart.
#[test]
fn the_workbook_of_2000_accounts_prints_readably() {
    let test = "the_workbook_of_2000_accounts_prints_readably";
    if !can_render(test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let xlsx = workbook_of_a_fleet(dir.path(), ACCOUNTS);
    let pdf = render(&xlsx, dir.path());
    let pages = pages(&pdf);
    let of =
        |sheet: &str| -> Vec<&String> { pages.iter().filter(|p| sheet_of(p) == sheet).collect() };

    let accounts = of("Accounts");
    assert!(
        (ACCOUNTS / 50..=MAX_ACCOUNTS_PAGES).contains(&accounts.len()),
        "the Accounts sheet prints on {} pages (at most {MAX_ACCOUNTS_PAGES})",
        accounts.len()
    );
    for (i, page) in accounts.iter().enumerate() {
        // One page wide: the header's first and last printed columns on
        // every page.
        assert!(page.contains("Account"), "page {i}: {page}");
        assert!(page.contains("Purchased"), "page {i} is cut: {page}");
    }
    let last = accounts.last().unwrap();
    assert!(
        last.lines().any(|l| l.trim_start().starts_with("Total")),
        "{last}"
    );

    let sizes = font_sizes(&pdf);
    let smallest = sizes.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(
        smallest >= MIN_FONT_PT,
        "the smallest printed text is {smallest} pt: {sizes:?}"
    );

    let summary = of("Summary");
    // With the license picture's totals and editions block (issue 21) the
    // Summary is longer than a page holds with its text at 8 pt or more:
    // two readable pages, the chart on the first, the editions on the last
    // (changed deliberately from one page).
    assert_eq!(summary.len(), 2, "the Summary prints on two pages");
    assert!(
        summary[1].contains("Lapsing within 30 days"),
        "the editions block in {}",
        summary[1]
    );
    for text in [
        "Most utilized accounts (license utilization)",
        "100%: every license used",
        "0%",
    ] {
        assert!(summary[0].contains(text), "{text} in {}", summary[0]);
    }
    eprintln!(
        "{test}: {} pages, Accounts {}, smallest font {smallest:.2} pt",
        pages.len(),
        accounts.len()
    );
}

/// An account with a Chinese name and tag, keyed like the harness's
/// management account.
const CHINESE_ACCOUNT: &str = "[[accounts]]\nname = \"支付-生产\"\nsecret_id_env = \"MGMT_ID\"\nsecret_key_env = \"MGMT_KEY\"\ntags = { team = \"支付\" }\n";

/// A harness whose one account has a Chinese name and tag; `defaults` is
/// added to its `[defaults]`.
fn chinese(defaults: &str) -> (Harness, PathBuf) {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    let cfg = h.config(defaults, CHINESE_ACCOUNT);
    (h, cfg)
}

/// Every part of the zip `path` whose name starts with `prefix`, as text,
/// by name.
fn xlsx_parts(path: &Path, prefix: &str) -> Vec<(String, String)> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        if name.starts_with(prefix) && name.ends_with(".xml") {
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            out.push((name, text));
        }
    }
    out.sort();
    out
}

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Every CSV the tool writes (the run's and the history command's)
/// starts with a byte-order mark, so Excel on Windows reads Chinese names
/// right; `[defaults] csv_bom = false` leaves it out. The rest is the same.
#[test]
fn csv_files_start_with_a_byte_order_mark_unless_turned_off() {
    for (defaults, bom) in [("", true), ("csv_bom = false", false)] {
        let (h, cfg) = chinese(defaults);
        for _ in 0..2 {
            let o = h.run(&cfg, &MGMT_ENV, &[]);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        }
        let o = crate::history::history_command(&h, &cfg, &["--formats", "csv"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let mut files: Vec<PathBuf> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(PathBuf::from)
            .collect();
        assert_eq!(files.len(), 2, "runs and accounts: {files:?}");
        let runs: Vec<PathBuf> = std::fs::read_dir(h.out())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                name.starts_with("tcss-authorizations-") && name.ends_with(".csv")
            })
            .collect();
        assert_eq!(runs.len(), 4, "two runs, two CSVs each: {runs:?}");
        files.extend(runs);
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            assert_eq!(
                bytes.starts_with(BOM),
                bom,
                "{defaults:?}: {}",
                file.display()
            );
            let text = std::str::from_utf8(&bytes[if bom { BOM.len() } else { 0 }..]).unwrap();
            let first = text.split(',').next().unwrap();
            assert!(first == "account" || first == "run_id", "{first:?}");
            let name = file.file_name().unwrap().to_string_lossy();
            if !name.contains(".runs.") {
                assert!(text.contains("支付-生产"), "{name}: {text}");
            }
        }
        // A CSV reader strips the mark: the header is still `account`.
        let accounts = files
            .iter()
            .find(|f| {
                let name = f.file_name().unwrap().to_string_lossy();
                name.starts_with("tcss-authorizations-") && name.ends_with(".accounts.csv")
            })
            .unwrap();
        let mut r = csv::Reader::from_path(accounts).unwrap();
        assert_eq!(r.headers().unwrap().get(0), Some("account"));
        let row = r.records().next().unwrap().unwrap();
        assert_eq!(row.get(0), Some("支付-生产"));
    }
}

/// The history workbook for people: the charts first, on one printable
/// page; tables headed by labels, frozen and filtered; yes/no as Yes/No,
/// times as date-times; the accounts' tags as `tag:` columns; every sheet
/// with print settings and a footer.
#[test]
fn the_history_workbook_is_laid_out_like_the_runs() {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let (h, cfg) = chinese("");
    for _ in 0..2 {
        let o = h.run(&cfg, &MGMT_ENV, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = crate::history::history_command(&h, &cfg, &["--formats", "xlsx"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let xlsx = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    assert_eq!(
        wb.sheet_names(),
        ["Charts", "Trends", "Accounts", "Top accounts"]
    );
    let trends = wb.worksheet_range("Trends").unwrap();
    let header = header_row(&trends);
    let col = |name: &str| column_at(&header, name);
    assert_eq!(
        trends.get((1, col("Complete"))),
        Some(&Data::String("Yes".into()))
    );
    assert!(matches!(
        trends.get((1, col("Started (UTC)"))),
        Some(Data::DateTime(_))
    ));
    assert_eq!(
        trends.get((1, col("Licenses used"))),
        Some(&Data::Float(40.0))
    );
    assert_eq!(trends.get((1, col("Utilization"))), Some(&Data::Float(0.4)));

    let accounts = wb.worksheet_range("Accounts").unwrap();
    let header = header_row(&accounts);
    let team = column_at(&header, "tag:team");
    let account = column_at(&header, "Account");
    assert_eq!(
        accounts.get((1, account)),
        Some(&Data::String("支付-生产".into()))
    );
    assert_eq!(accounts.get((2, team)), Some(&Data::String("支付".into())));

    let sheets = xlsx_parts(&xlsx, "xl/worksheets/sheet");
    assert_eq!(sheets.len(), 4);
    for (i, (part, xml)) in sheets.iter().enumerate() {
        assert!(xml.contains("paperSize=\"9\""), "{part}");
        assert!(xml.contains("Page &amp;P of &amp;N</oddFooter>"), "{part}");
        if i == 0 {
            // The charts' page: both charts, fitted to one page.
            assert!(
                xml.contains("fitToHeight=\"1\"") || !xml.contains("fitToHeight"),
                "{part}: {xml}"
            );
            assert!(xml.contains("<pageSetUpPr fitToPage=\"1\"/>"), "{part}");
        } else {
            assert!(xml.contains("<pane ySplit=\"1\""), "{part}: frozen header");
            assert!(xml.contains("<autoFilter ref=\"A1:"), "{part}: a filter");
        }
    }
    let drawings = xlsx_parts(&xlsx, "xl/drawings/drawing");
    assert_eq!(drawings.len(), 1, "one sheet of charts");
    assert_eq!(
        drawings[0].1.matches("<c:chart ").count(),
        2,
        "{}",
        drawings[0].1
    );
    let charts = xlsx_parts(&xlsx, "xl/charts/chart");
    for (part, xml) in &charts {
        assert!(xml.contains("<c:min val=\"0\"/>"), "{part}: from zero");
    }
    assert!(
        charts[1].1.contains("100%: every license used"),
        "{}",
        charts[1].1
    );
    let (_, workbook) = xlsx_parts(&xlsx, "xl/workbook").pop().unwrap();
    for sheet in ["Trends", "Accounts", "Top accounts"] {
        assert!(
            workbook.contains(&format!("{sheet}!$1:$1</definedName>"))
                || workbook.contains(&format!("'{sheet}'!$1:$1</definedName>")),
            "{sheet}'s header repeated: {workbook}"
        );
    }
}

/// The history workbook printed: its charts on one page, whole, no text
/// below 8 pt.
#[test]
fn the_history_charts_print_on_one_page() {
    let test = "the_history_charts_print_on_one_page";
    if !can_render(test) {
        return;
    }
    let (h, cfg) = chinese("");
    for _ in 0..3 {
        let o = h.run(&cfg, &MGMT_ENV, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = crate::history::history_command(&h, &cfg, &["--formats", "xlsx"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let xlsx = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let dir = tempfile::tempdir().unwrap();
    let pdf = render(&xlsx, dir.path());
    let pages = pages(&pdf);
    let charts: Vec<&String> = pages.iter().filter(|p| sheet_of(p) == "Charts").collect();
    assert_eq!(charts.len(), 1, "{pages:#?}");
    for title in [
        "Licenses used against licenses total",
        "Top accounts: license utilization",
        "100%: every license used",
    ] {
        assert!(charts[0].contains(title), "{title} in {}", charts[0]);
    }
    let smallest = font_sizes(&pdf).into_iter().fold(f64::INFINITY, f64::min);
    assert!(smallest >= MIN_FONT_PT, "{smallest} pt");
}
