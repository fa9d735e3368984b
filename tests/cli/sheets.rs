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

use crate::harness::bin;

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
    assert_eq!(summary.len(), 1, "the Summary prints on one page");
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
