//! The history database end to end: every run recorded (SQLite in `--out`
//! by default, another file, a real PostgreSQL server), `--no-history`,
//! two runs writing one file at once, the failures that still write every
//! report and exit 1, and the `history` command's files read back.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use serde_json::Value;
use tcss_sim::Fleet;

use crate::harness::*;
use crate::pg_cluster;

pub(crate) fn harness() -> (Harness, PathBuf) {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    let cfg = h.config("", MGMT_ACCOUNT);
    (h, cfg)
}

pub(crate) fn runs_in(db: &Path) -> Vec<(String, bool, i64)> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut s = c
        .prepare(
            "SELECT r.stem, r.complete, (SELECT COUNT(*) FROM account_snapshots a WHERE a.run_id = r.id) \
             FROM runs r ORDER BY r.id",
        )
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The Run sheet's value for `label`.
pub(crate) fn run_sheet(xlsx: &Path, label: &str) -> String {
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(xlsx).unwrap();
    let range = wb.worksheet_range("Run").unwrap();
    range
        .rows()
        .find(|r| r[0] == label)
        .map(|r| r[1].to_string())
        .unwrap_or_else(|| panic!("no {label} row in the Run sheet"))
}

#[test]
fn every_run_is_recorded_in_out_by_default_and_the_reports_say_where() {
    let (h, cfg) = harness();
    for _ in 0..2 {
        let o = h.run(&cfg, &MGMT_ENV, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let db = h.out().join("history.sqlite");
    let runs = runs_in(&db);
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs
        .iter()
        .all(|(_, complete, accounts)| *complete && *accounts == 1));
    assert_ne!(runs[0].0, runs[1].0, "each run under its own stem");
    let json = std::fs::read_dir(h.out())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.to_string_lossy()
                .ends_with(&format!("{}.json", runs[1].0))
        })
        .expect("the second run's JSON");
    let j: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let said = j["run"]["history"].as_str().unwrap();
    assert_eq!(said, format!("recorded in {} (run 2)", db.display()));
    assert_eq!(run_sheet(&json.with_extension("xlsx"), "History"), said);
}

#[test]
fn no_history_writes_no_database_and_says_so() {
    let (h, cfg) = harness();
    let o = h.run(&cfg, &MGMT_ENV, &["--no-history"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!h.out().join("history.sqlite").exists());
    assert_eq!(h.json()["run"]["history"], "off (--no-history)");
    let o = h.run(&cfg, &MGMT_ENV, &["--no-history", "--history", "x.sqlite"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "conflicting flags: {}",
        stderr(&o)
    );
}

#[test]
fn history_path_and_config_database_are_used() {
    let (h, _) = harness();
    let cfg = h.config(
        "\n[history]\ndatabase = \"team/history.db\"\n",
        MGMT_ACCOUNT,
    );
    let dir = cfg.parent().unwrap().to_path_buf();
    std::fs::create_dir_all(dir.join("team")).unwrap();
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        runs_in(&dir.join("team/history.db")).len(),
        1,
        "relative to the config"
    );
    assert!(!h.out().join("history.sqlite").exists());
    let other = dir.join("other.sqlite");
    let o = h.run(&cfg, &MGMT_ENV, &["--history", other.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(runs_in(&other).len(), 1, "--history wins over the config");
    // An unknown key of [history] is located like any other.
    let bad = h.config("\n[history]\ndatabse = \"x\"\n", MGMT_ACCOUNT);
    let o = h.run(&bad, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("databse") && err.contains(":7:1"), "{err}");
}

/// The reports are written, the failure is in the log, the JSON and the Run
/// sheet, and the run exits 1.
pub(crate) fn assert_history_failed(h: &Harness, o: &Output, what: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(what), "log: {err}");
    for ext in DEFAULT_SET {
        let _ = h.report(ext);
    }
    let j = h.json();
    let said = j["run"]["history"].as_str().unwrap();
    assert!(
        said.starts_with("not recorded: ") && said.contains(what),
        "{said}"
    );
    assert_eq!(run_sheet(&h.report(".xlsx"), "History"), said);
    assert_eq!(j["accounts"][0]["status"], "ok", "the run itself went well");
}

#[test]
fn a_folder_where_the_history_file_should_be_still_writes_the_reports_and_exits_1() {
    let (h, cfg) = harness();
    std::fs::create_dir_all(h.out().join("history.sqlite")).unwrap();
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_history_failed(&h, &o, "is a folder, not a file");
}

#[test]
fn a_history_file_locked_past_the_timeout_still_writes_the_reports_and_exits_1() {
    let (h, _) = harness();
    let cfg = h.config("\n[history]\ntimeout_secs = 1\n", MGMT_ACCOUNT);
    let db = cfg.parent().unwrap().join("locked.sqlite");
    let o = h.run(
        &cfg,
        &MGMT_ENV,
        &["--history", db.to_str().unwrap(), "--no-history"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // Create it with one run, then hold it.
    let o = h.run(&cfg, &MGMT_ENV, &["--history", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::remove_dir_all(h.out()).unwrap();
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let o = h.run(&cfg, &MGMT_ENV, &["--history", db.to_str().unwrap()]);
    assert_history_failed(&h, &o, "stayed locked by another writer for 1 s");
    holder.execute_batch("ROLLBACK").unwrap();
    assert_eq!(
        runs_in(&db).len(),
        1,
        "nothing of the failed run was recorded"
    );
}

#[test]
fn two_runs_writing_one_sqlite_file_at_once_both_land() {
    let (_h, cfg) = harness();
    let db = cfg.parent().unwrap().join("shared.sqlite");
    let root = cfg.parent().unwrap().to_path_buf();
    let spawn = |out: &str| {
        let mut c = bin();
        c.arg("run")
            .arg("--config")
            .arg(&cfg)
            .arg("--out")
            .arg(root.join(out))
            .arg("--history")
            .arg(&db)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in MGMT_ENV {
            c.env(k, v);
        }
        c.spawn().unwrap()
    };
    // The file exists (empty: a table the test made would make it another
    // tool's file) and is held by a writer while both runs reach it: they
    // wait and land one after the other.
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder
        .execute_batch("PRAGMA journal_mode = WAL; BEGIN EXCLUSIVE")
        .unwrap();
    let (a, b) = (spawn("a"), spawn("b"));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    holder.execute_batch("ROLLBACK").unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for o in [&a, &b] {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    }
    let runs = runs_in(&db);
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs.iter().all(|r| r.2 == 1));
}

/// `path` holds a zip member named `name` (its local header is plain text).
/// `tcss-report history --config CFG --out OUT ARGS...` of `h`.
pub(crate) fn history_command(h: &Harness, cfg: &Path, args: &[&str]) -> Output {
    bin()
        .arg("history")
        .args(args)
        .arg("--config")
        .arg(cfg)
        .arg("--out")
        .arg(h.out())
        .output()
        .unwrap()
}

fn zip_has(path: &Path, name: &str) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.windows(name.len()).any(|w| w == name.as_bytes())
}

#[test]
fn the_history_command_writes_trends_as_csv_json_and_an_xlsx_with_charts() {
    let (h, cfg) = harness();
    let o = history_command(&h, &cfg, &[]);
    assert_eq!(o.status.code(), Some(2), "no history yet: {}", stderr(&o));
    assert!(
        stderr(&o).contains("no run was recorded there yet"),
        "{}",
        stderr(&o)
    );
    for _ in 0..3 {
        let o = h.run(&cfg, &MGMT_ENV, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let o = history_command(&h, &cfg, &["--since", "7"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let listed: Vec<PathBuf> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(PathBuf::from)
        .collect();
    assert_eq!(listed.len(), 5, "{listed:?}");
    let find = |suffix: &str| {
        listed
            .iter()
            .find(|p| {
                let n = p.file_name().unwrap().to_string_lossy();
                n.starts_with("tcss-history-") && n.ends_with(suffix)
            })
            .unwrap_or_else(|| panic!("no {suffix} in {listed:?}"))
            .clone()
    };
    let runs: Vec<csv::StringRecord> = csv::Reader::from_path(find(".runs.csv"))
        .unwrap()
        .records()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(runs.len(), 3);
    let mut r = csv::Reader::from_path(find(".runs.csv")).unwrap();
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    for run in &runs {
        assert_eq!(&run[col("used_authorized")], "40");
        assert_eq!(&run[col("total_authorized")], "100");
        assert_eq!(&run[col("utilization")], "0.4");
        assert_eq!(&run[col("complete")], "true");
    }
    let accounts: Vec<csv::StringRecord> = csv::Reader::from_path(find(".accounts.csv"))
        .unwrap()
        .records()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(accounts.len(), 3, "one account per run");
    let j: Value = serde_json::from_slice(&std::fs::read(find(".json")).unwrap()).unwrap();
    assert_eq!(j["runs"].as_array().unwrap().len(), 3);
    assert_eq!(j["accounts"][0]["uin"], MGMT_UIN);
    assert_eq!(j["accounts"][0]["scan_quota_used"], 250);
    assert!(j["since"].is_string());

    let xlsx = find(".xlsx");
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    // The charts have a sheet of their own (first); the tables' headers
    // are labels at the top (they were the CSV's names under three lines
    // about the set, which the Charts sheet now holds).
    assert_eq!(
        wb.sheet_names(),
        ["Charts", "Trends", "Accounts", "Top accounts"]
    );
    let trends = wb.worksheet_range("Trends").unwrap();
    let header = trends.rows().next().unwrap();
    assert_eq!(header[0].to_string(), "Run ID");
    assert_eq!(
        trends
            .rows()
            .skip(1)
            .filter(|r| r[0] != calamine::Data::Empty)
            .count(),
        3
    );
    let top = wb.worksheet_range("Top accounts").unwrap();
    assert_eq!(top.rows().next().unwrap()[1].to_string(), "mgmt");
    assert!(zip_has(&xlsx, "xl/charts/chart1.xml"), "the licenses chart");
    assert!(
        zip_has(&xlsx, "xl/charts/chart2.xml"),
        "the top accounts chart"
    );
}

#[test]
fn the_history_command_marks_incomplete_runs() {
    let (h, cfg) = harness();
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let db = h.out().join("history.sqlite");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("UPDATE runs SET complete = 0")
        .unwrap();
    let o = history_command(&h, &cfg, &["--formats", "xlsx"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let xlsx = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    let trends = wb.worksheet_range("Trends").unwrap();
    let row = trends.rows().nth(1).unwrap();
    assert!(
        row.last().unwrap().to_string().ends_with("(incomplete)"),
        "{row:?}"
    );
}

#[test]
fn a_run_is_recorded_in_postgresql_and_read_back_by_the_history_command() {
    let url = match pg_cluster::database("cli_postgres") {
        Ok(u) => u,
        Err(why) => return pg_cluster::skip("cli_postgres", &why),
    };
    let (h, cfg) = harness();
    for _ in 0..2 {
        let o = h.run(&cfg, &MGMT_ENV, &["--history", &url]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    assert!(!h.out().join("history.sqlite").exists());
    let o = bin()
        .args([
            "history",
            "--formats",
            "json",
            "--history",
            &url,
            "--config",
        ])
        .arg(&cfg)
        .arg("--out")
        .arg(h.out())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let path = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let j: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(j["runs"].as_array().unwrap().len(), 2);
    assert_eq!(j["history"], url.as_str());
}

#[test]
fn postgresql_down_still_writes_the_reports_and_exits_1() {
    let (h, cfg) = harness();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://audit@127.0.0.1:{port}/tcss?sslmode=disable");
    let o = h.run(
        &cfg,
        &[("PGPASSWORD", "pg-secret-123"), MGMT_ENV[0], MGMT_ENV[1]],
        &["--history", &url],
    );
    assert_history_failed(&h, &o, "cannot connect to the history database");
    assert!(!stderr(&o).contains("pg-secret-123"));
}

#[test]
fn postgresql_over_tls_trusts_the_configs_ca_file() {
    let test = "cli_postgres_tls";
    let (url, ca) = match pg_cluster::tls_database(test) {
        Ok(x) => x,
        Err(why) => return pg_cluster::skip(test, &why),
    };
    let (h, plain) = harness();
    let o = h.run(&plain, &MGMT_ENV, &["--history", &url]);
    assert_history_failed(&h, &o, "add the CA that signed it to [defaults] ca_file");
    std::fs::remove_dir_all(h.out()).unwrap();
    let cfg = h.config(&format!("ca_file = \"{}\"\n", ca.display()), MGMT_ACCOUNT);
    let o = h.run(&cfg, &MGMT_ENV, &["--history", &url]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        h.json()["run"]["history"],
        format!("recorded in {url} (run 1)").as_str()
    );
}

#[test]
fn compare_last_compares_with_the_latest_complete_run_in_the_history() {
    let (h, cfg) = harness();
    // Nothing recorded yet: a note, not an error.
    let o = h.run(&cfg, &MGMT_ENV, &["--compare", "last"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let first = h.json();
    assert!(first["comparison"]["previous_run"].is_null(), "{first}");
    assert!(first["comparison"]["note"].is_string(), "{first}");
    let stem = first["run"]["stem"].as_str().unwrap().to_string();
    // A later incomplete run is skipped.
    let db = h.out().join("history.sqlite");
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("UPDATE runs SET complete = 0 WHERE id = 2")
        .unwrap();
    let o = h.run(&cfg, &MGMT_ENV, &["--compare", "last"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json = String::from_utf8_lossy(&o.stdout)
        .lines()
        .find(|l| l.ends_with(".json"))
        .map(PathBuf::from)
        .unwrap();
    let j: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(
        j["comparison"]["previous_run"],
        stem.as_str(),
        "{}",
        j["comparison"]
    );
    assert_eq!(j["accounts"][0]["change"]["used_authorized"], 0);
    assert_eq!(runs_in(&db).len(), 3);
}

/// `--compare last` compares the totals too: the previous ones from the
/// earlier run's `runs` row (here edited: 60 licenses then, 7 short, and
/// no idle count recorded, as by a release before it existed).
#[test]
fn compare_last_compares_the_totals_recorded_in_the_history() {
    let (h, cfg) = harness();
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let db = h.out().join("history.sqlite");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "UPDATE runs SET total_authorized = 60, licenses_short = 7, licenses_idle = NULL \
             WHERE id = 1",
        )
        .unwrap();
    let o = h.run(&cfg, &MGMT_ENV, &["--compare", "last"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json = String::from_utf8_lossy(&o.stdout)
        .lines()
        .find(|l| l.ends_with(".json"))
        .map(PathBuf::from)
        .unwrap();
    let j: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let t = &j["comparison"]["totals"];
    let side = |key: &str| {
        (
            t[key]["previous"].clone(),
            t[key]["current"].clone(),
            t[key]["change"].clone(),
        )
    };
    use serde_json::json;
    assert_eq!(side("total_authorized"), (json!(60), json!(100), json!(40)));
    assert_eq!(side("used_authorized"), (json!(40), json!(40), json!(0)));
    assert_eq!(side("licenses_short"), (json!(7), json!(0), json!(-7)));
    assert_eq!(side("licenses_idle"), (Value::Null, json!(60), Value::Null));
    // Three queries per account: images and the two account-wide actions.
    assert_eq!(side("queries"), (json!(3), json!(3), json!(0)));
    let md = std::fs::read_to_string(json.with_extension("md")).unwrap();
    assert!(md.contains("| Licenses total | 60 | 100 | +40 |"), "{md}");
    assert!(md.contains("| Licenses idle | n/a | 60 | n/a |"), "{md}");
}
