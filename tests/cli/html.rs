//! The HTML report (issue 23) as a user meets it: the real binary's page,
//! parsed for its structure (the doctype first, the CSP, no script, no URL
//! out, scoped header cells, a hostile name as text), the scope's trend
//! after three runs, the `history` command's page, and the page rendered
//! by a real browser: headless Chromium prints it to PDF and takes a PNG,
//! `pdftotext` reads the PDF back, `pdftoppm` renders its first page.
//!
//! Chromium, `pdftotext` and `pdftoppm` (Debian's `chromium` and
//! `poppler-utils`) are looked up on `PATH`; where one is missing the
//! browser test prints `skipped: <why>` and passes, unless
//! `TCSS_REQUIRE_CHROMIUM` is set (as `.ci/run` does), when it fails.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use scraper::{Html, Selector};
use serde_json::{Map, Value};
use tcss_sim::Fleet;

use crate::harness::*;

/// Set to fail the browser test instead of skipping it when a tool is missing.
const REQUIRE: &str = "TCSS_REQUIRE_CHROMIUM";

/// The name every page must show as text, never as markup.
const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// A `DescribePurchaseStateInfo` answer: `state` (3 Pro, 4 expired),
/// ending in `days` days (Beijing time), `renewal` (1 on, 2 off),
/// `sub` state, 10 cores protected and `unprotected` not.
fn edition(state: i64, days: i64, renewal: i64, sub: &str, unprotected: i64) -> Map<String, Value> {
    let end = (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(days))
        .format("%Y-%m-%d 23:59:59")
        .to_string();
    serde_json::json!({
        "State": state, "AllCoresCnt": 10 + unprotected, "CoresCnt": 10,
        "UndefendCoresCnt": unprotected, "AuthorizedCoresCnt": 10,
        "ExpirationTime": end, "BeginTime": "2025-01-01 00:00:00",
        "AutomaticRenewal": renewal, "SubState": sub,
    })
    .as_object()
    .cloned()
    .unwrap()
}

/// A member near 100% (99 of 100), a hostile name, a Chinese name, and a
/// scan quota ending in 20 days; the license picture: the member near
/// 100% has a Pro edition lapsing in 12 days without auto-renewal and 6
/// unprotected cores, the Chinese one a Pro edition renewing by itself in
/// 40 days, the management account's Pro expired and isolated.
fn fleet() -> Fleet {
    let mut near = data(100, 99, 30, 10);
    let soon = (chrono::Utc::now() + chrono::Duration::days(20))
        .format("%Y-%m-%d 00:00:00")
        .to_string();
    near["ImageScanInquireInfo"]["EndTime"] = Value::String(soon);
    let mut accounts = vec![
        mgmt(data(100, 40, 30, 10)),
        member("200000000001", "m1", MGMT_UIN, near),
        member("200000000002", "m2", MGMT_UIN, data(50, 20, 10, 10)),
        member("200000000003", "m3", MGMT_UIN, data(200, 230, 10, 10)),
    ];
    for (i, answer) in [
        (0, edition(4, -30, 2, "ISOLATE", 0)),
        (1, edition(3, 12, 2, "NORMAL", 6)),
        (3, edition(3, 40, 1, "NORMAL", 0)),
    ] {
        accounts[i]
            .answers
            .insert("DescribePurchaseStateInfo".into(), answer);
    }
    Fleet {
        settings: Default::default(),
        accounts,
    }
}

/// The accounts of [`fleet`] as a config names them.
fn accounts() -> String {
    let member = |name: &str, uin: &str| {
        format!(
            "[[accounts]]\nname = {name:?}\nrole_arn = \"qcs::cam::uin/{uin}:roleName/Audit\"\nsource_account = \"mgmt\"\n"
        )
    };
    format!(
        "{MGMT_ACCOUNT}{}{}{}",
        member("payments-near-full", "200000000001"),
        member(HOSTILE, "200000000002"),
        member("支付-生产", "200000000003"),
    )
}

/// A harness with [`fleet`] and its config.
fn setup() -> (Harness, PathBuf) {
    let h = Harness::new(fleet());
    let cfg = h.config("", &accounts());
    (h, cfg)
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

/// The checks every page passes: `<!DOCTYPE html>` the first bytes, UTF-8,
/// a language, the CSP, a title, no script or anything that loads, no URL
/// in any attribute, no event handler, headings in order, every header
/// cell scoped, every chart labelled or hidden beside its numbers.
fn check_structure(html: &str) {
    assert!(
        html.starts_with("<!DOCTYPE html>"),
        "{}",
        &html[..60.min(html.len())]
    );
    let doc = Html::parse_document(html);
    assert_eq!(select(&doc, "meta[charset=utf-8]").len(), 1);
    assert_eq!(select(&doc, "html[lang]").len(), 1);
    let csp = select(&doc, "meta[http-equiv=Content-Security-Policy]");
    assert_eq!(
        csp.first().and_then(|m| m.value().attr("content")),
        Some("default-src 'none'; style-src 'unsafe-inline'; img-src data:")
    );
    assert!(!select(&doc, "title")[0]
        .text()
        .collect::<String>()
        .trim()
        .is_empty());
    assert!(select(
        &doc,
        "script, iframe, object, embed, link, img, form, base, meta[http-equiv=refresh]"
    )
    .is_empty());
    for e in select(&doc, "*") {
        for (name, value) in e.value().attrs() {
            let v = value.to_ascii_lowercase();
            assert!(
                !v.contains("http://") && !v.contains("https://") && !v.contains("url("),
                "<{} {name}={value:?}>",
                e.value().name()
            );
            assert!(!name.starts_with("on"), "{name}");
            if name == "href" {
                assert!(value.starts_with('#'), "an in-page link only: {value}");
            }
        }
    }
    let mut level = 0;
    for h in select(&doc, "h1, h2, h3, h4, h5, h6") {
        let n: usize = h.value().name()[1..].parse().unwrap();
        assert!(n <= level + 1, "h{n} after h{level}");
        level = n;
    }
    assert!(level > 0, "headings");
    for th in select(&doc, "th") {
        assert!(
            matches!(th.value().attr("scope"), Some("col" | "row")),
            "{}",
            th.html()
        );
    }
    for svg in select(&doc, "svg") {
        let v = svg.value();
        assert!(
            v.attr("aria-labelledby").is_some() || v.attr("aria-hidden") == Some("true"),
            "{}",
            svg.html()
        );
    }
}

/// The text of the whole page.
fn page_text(html: &str) -> String {
    Html::parse_document(html).root_element().text().collect()
}

#[test]
fn the_page_of_a_run_is_self_contained_and_shows_names_as_text() {
    let (h, cfg) = setup();
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let path = h.report(".html");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.lines().any(|l| Path::new(l) == path),
        "listed on stdout: {stdout}"
    );
    let html = std::fs::read_to_string(&path).unwrap();
    check_structure(&html);
    assert!(!html.contains("<img"), "the hostile name is escaped");
    let text = page_text(&html);
    assert!(text.contains(HOSTILE), "shown as text");
    assert!(text.contains("支付-生产"));
    let doc = Html::parse_document(&html);
    let exit: String = select(&doc, ".exit")[0].text().collect();
    assert!(
        exit.contains("Exit code 0 when this report was written: every query answered"),
        "{exit}"
    );
    // The most utilized first: over-use (115%), then the one near 100%.
    let top: Vec<String> = select(&doc, "#top tbody th")
        .iter()
        .map(|t| t.text().collect())
        .collect();
    assert_eq!(top[..2], ["支付-生产", "payments-near-full"]);
    let quotas: String = select(&doc, "#quotas")[0].text().collect();
    assert!(quotas.contains("payments-near-full"), "{quotas}");
    // The license picture: the lapsing edition, the one renewing by
    // itself, the isolated one in words; the cards.
    let ending: Vec<String> = select(&doc, "#editions table")[0]
        .select(&Selector::parse("tbody th").unwrap())
        .map(|t| t.text().collect())
        .collect();
    assert_eq!(ending, ["payments-near-full", "支付-生产"]);
    let editions: String = select(&doc, "#editions")[0].text().collect();
    assert!(
        editions.contains("lapses unless renewed (no auto-renewal)")
            && editions.contains("renews automatically")
            && editions.contains("isolated: service stopped, data kept; renewing restores it"),
        "{editions}"
    );
    let cards: Vec<String> = select(&doc, ".card")
        .iter()
        .map(|c| c.text().collect())
        .collect();
    assert!(
        cards.contains(&"Unprotected cores6in 1 account · core coverage 83.3%".to_string())
            && cards.contains(
                &"Lapsing editions1within 30 days, no auto-renewal · 1 Pro expired".to_string()
            ),
        "{cards:?}"
    );
    // Over-use is a finding: the over-licensed accounts with their
    // shortfall; the whole fleet's real numbers: no banner.
    let over: String = select(&doc, "#over-licensed h2")[0].text().collect();
    assert_eq!(over, "Over-licensed accounts (1, 30 licenses short)");
    assert!(select(&doc, ".banner").is_empty(), "{html}");
    // `--formats html` writes the page alone; a subset says so first.
    let out = h.out().join("only-html");
    let o = bin()
        .args(["run", "--only", "mgmt", "--formats", "html", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .envs(MGMT_ENV)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && !n.starts_with("history.sqlite"))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].ends_with(".html"), "{names:?}");
    let html = std::fs::read_to_string(out.join(&names[0])).unwrap();
    let doc = Html::parse_document(&html);
    let banner: String = select(&doc, ".banner")[0].text().collect();
    assert_eq!(
        banner,
        "SUBSET: only the accounts selected by --only mgmt; the totals are theirs, not the whole fleet's."
    );
}

#[test]
fn a_third_run_shows_the_trend_and_history_writes_its_page() {
    let (h, cfg) = setup();
    let html_of = |n: usize| {
        let o = h.run(&cfg, &MGMT_ENV, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
        let path = stdout
            .lines()
            .find(|l| l.ends_with(".html"))
            .unwrap()
            .to_string();
        let html = std::fs::read_to_string(path).unwrap();
        let doc = Html::parse_document(&html);
        assert_eq!(select(&doc, "#trend").len(), usize::from(n >= 3), "run {n}");
        html
    };
    html_of(1);
    html_of(2);
    let third = html_of(3);
    let doc = Html::parse_document(&third);
    assert_eq!(select(&doc, "#trend tbody tr").len(), 3, "the three runs");
    assert_eq!(select(&doc, "#trend polyline.used").len(), 1);
    // The history keeps the unprotected cores (6 in each run): drawn too.
    assert_eq!(select(&doc, "#trend polyline.unprotected").len(), 1);
    let cores: String = select(&doc, "#trend #cores-d")[0].text().collect();
    assert_eq!(
        cores,
        "Unprotected cores 6 in the first run, 6 in the latest."
    );
    // The history command's page of the same runs.
    let o = bin()
        .args(["history", "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(h.out())
        .args(["--formats", "html", "--group-by", "team"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
    let path = stdout.trim();
    assert!(
        path.ends_with(".html") && path.contains("tcss-history-"),
        "{stdout}"
    );
    let html = std::fs::read_to_string(path).unwrap();
    check_structure(&html);
    let doc = Html::parse_document(&html);
    assert_eq!(select(&doc, "#runs tbody tr").len(), 3);
    let legend: Vec<String> = select(&doc, "#accounts tbody th")
        .iter()
        .map(|t| t.text().collect())
        .collect();
    assert_eq!(legend[..2], ["支付-生产", "payments-near-full"]);
    assert!(page_text(&html).contains(HOSTILE));
    // The cores over the runs, as on the run's page.
    assert_eq!(select(&doc, "#cores polyline.unprotected").len(), 1);
    let cores: String = select(&doc, "#cores #cores-d")[0].text().collect();
    assert_eq!(
        cores,
        "Unprotected cores 6 in the first run, 6 in the latest."
    );
    // --group-by team: no account carries the tag, so one group, untagged,
    // holding every license used, drawn over the three runs.
    let heading: String = select(&doc, "#groups-1 h2")[0].text().collect();
    assert_eq!(heading, "Licenses used by team");
    let groups: Vec<String> = select(&doc, "#groups-1 tbody tr")
        .iter()
        .map(|t| t.text().collect::<String>())
        .collect();
    let heads: Vec<String> = select(&doc, "#runs thead th")
        .iter()
        .map(|t| t.text().collect())
        .collect();
    let at = heads.iter().position(|h| h == "Licenses used").unwrap();
    let latest: Vec<String> = select(&doc, "#runs tbody tr")[0]
        .children()
        .filter_map(scraper::ElementRef::wrap)
        .map(|c| c.text().collect())
        .collect();
    assert_eq!(groups, [format!("(untagged){}", latest[at])], "{heads:?}");
    assert_eq!(select(&doc, "#groups-1 polyline").len(), 1);
}

/// The tools of the browser test, or why they are missing.
struct Tools {
    chromium: PathBuf,
    pdftotext: PathBuf,
    pdftoppm: PathBuf,
}

/// `name` on `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

fn tools() -> Result<Tools, String> {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|n| which(n))
        .ok_or("no chromium on PATH (Debian package `chromium`)")?;
    let poppler =
        |n: &str| which(n).ok_or(format!("no {n} on PATH (Debian package `poppler-utils`)"));
    Ok(Tools {
        chromium,
        pdftotext: poppler("pdftotext")?,
        pdftoppm: poppler("pdftoppm")?,
    })
}

/// Runs `c` to its end within a minute (killed after), and returns its output.
fn finish(mut c: Command) -> Output {
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
            panic!("{:?} did not end within 60 s", c.get_program());
        }
    }
}

/// Headless Chromium on `page` with `action` (`--print-to-pdf=...`,
/// `--screenshot=...`), its own profile folder, no network of its own
/// (no background requests), its console on stderr: returns that stderr.
fn chromium(t: &Tools, page: &Path, action: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut c = Command::new(&t.chromium);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--enable-logging=stderr",
        "--v=0",
        "--no-pdf-header-footer",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .args(action)
    .arg(format!("file://{}", page.display()));
    let started = Instant::now();
    let o = finish(c);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        o.status.success(),
        "chromium failed after {:?}: {err}",
        started.elapsed()
    );
    err
}

/// The console messages and blocked requests in Chromium's log.
fn console_problems(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains(":CONSOLE")
                || l.contains("Content Security Policy")
                || l.contains("net::ERR_")
                || l.contains("Refused to")
        })
        .collect()
}

/// Prints why the browser test is skipped, or fails when it is required.
fn skip(why: &str) {
    if std::env::var_os(REQUIRE).is_some() {
        panic!("the browser test is required ({REQUIRE} is set) but {why}");
    }
    println!("skipped: {why}");
}

/// The README's first command, in a browser: the page of a run (a name
/// near 100%, a hostile name, a Chinese name, over-use) printed to PDF and
/// shot as a PNG by headless Chromium with no console message and no
/// request; the PDF's text has the title, the top accounts, a lapsing
/// edition and the hostile name as text; its first page renders.
#[test]
fn a_browser_prints_the_page_without_a_console_message() {
    let t = match tools() {
        Ok(t) => t,
        Err(why) => return skip(&why),
    };
    let (h, cfg) = setup();
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = h.report(".html");
    let dir = tempfile::tempdir().unwrap();
    // The log is read for console messages and blocked requests: first
    // shown to catch them on a page that has both.
    let bad = dir.path().join("bad.html");
    std::fs::write(
        &bad,
        "<!DOCTYPE html><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">\
         <img src=\"https://example.invalid/x.png\"><script>console.log(1)</script>",
    )
    .unwrap();
    let log = chromium(
        &t,
        &bad,
        &[format!(
            "--print-to-pdf={}",
            dir.path().join("bad.pdf").display()
        )],
    );
    assert!(
        !console_problems(&log).is_empty(),
        "the log shows a blocked request: {log}"
    );

    let pdf = dir.path().join("page.pdf");
    let log = chromium(&t, &page, &[format!("--print-to-pdf={}", pdf.display())]);
    assert_eq!(console_problems(&log), Vec::<&str>::new(), "{log}");
    let png = dir.path().join("page.png");
    let log = chromium(
        &t,
        &page,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1200,2000".into(),
        ],
    );
    assert_eq!(console_problems(&log), Vec::<&str>::new(), "{log}");
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    assert_eq!(width, 1200, "the PNG's width");

    let mut c = Command::new(&t.pdftotext);
    c.arg("-layout").arg(&pdf).arg("-");
    let o = finish(c);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    for want in [
        "License report,",
        "complete",
        "Exit code 0",
        "Most utilized accounts",
        "payments-near-full",
        "99.0%",
        "Scan quotas ending within 90 days",
        "Editions ending within 90 days",
    ] {
        assert!(
            text.contains(want),
            "{want:?} not in the PDF's text:\n{text}"
        );
    }
    // The hostile name as text, read in the order it is drawn: a table
    // cell may wrap it over two lines, so the lines are joined.
    let mut c = Command::new(&t.pdftotext);
    c.arg("-raw").arg(&pdf).arg("-");
    let o = finish(c);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let drawn = String::from_utf8_lossy(&o.stdout);
    let drawn = drawn.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        drawn.contains(HOSTILE),
        "{HOSTILE:?} not in the PDF's text:\n{drawn}"
    );
    // A lapsing edition (issue 23): its account and what happens to it,
    // and the license picture's cards.
    for want in [
        "payments-near-full 200000000001 pro",
        "lapses unless renewed (no auto-renewal)",
        "Unprotected cores 6 in 1 account",
        "Lapsing editions 1 within 30 days",
    ] {
        assert!(
            drawn.contains(want),
            "{want:?} not in the PDF's text:\n{drawn}"
        );
    }
    let mut c = Command::new(&t.pdftoppm);
    c.args(["-png", "-r", "40", "-f", "1", "-l", "1"])
        .arg(&pdf)
        .arg(dir.path().join("first"));
    let o = finish(c);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rendered = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| Some(e.ok()?.file_name().to_string_lossy().into_owned()))
        .find(|n| n.starts_with("first") && n.ends_with(".png"));
    assert!(rendered.is_some(), "pdftoppm rendered the first page");
}
