//! Nothing lost, nothing leaked at the edges (issue 9): a server that echoes
//! the request headers or answers hostile text, a soft open-file limit far
//! below the concurrency, two runs writing into one folder at once, a bad
//! `--out`, files that would block, and a fatal error in JSON logs.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tcss_sim::{Faults, Fleet};

use crate::harness::*;

/// Every file in `out`, with its text (the XLSX read back with calamine:
/// its strings are compressed inside the file).
fn everything_written(out: &Path) -> Vec<(PathBuf, String)> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(out).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().is_some_and(|n| n == ".tcss-report.lock") {
            continue;
        }
        let text = if p.extension().is_some_and(|x| x == "xlsx") {
            xlsx_text(&p)
        } else if p.extension().is_some_and(|x| x == "sqlite") {
            sqlite_text(&p)
        } else {
            String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned()
        };
        files.push((p, text));
    }
    files
}

/// Every value of every table of the history database, as text (the file
/// itself is binary: its page headers hold any byte).
fn sqlite_text(path: &Path) -> String {
    let db = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = String::new();
    for t in tables {
        let mut stmt = db.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..n {
                use rusqlite::types::Value;
                match row.get::<_, Value>(i).unwrap() {
                    Value::Text(t) => out.push_str(&t),
                    Value::Integer(n) => out.push_str(&n.to_string()),
                    Value::Real(x) => out.push_str(&x.to_string()),
                    Value::Blob(b) => out.push_str(&String::from_utf8_lossy(&b)),
                    Value::Null => {}
                }
                out.push('\t');
            }
            out.push('\n');
        }
    }
    out
}

/// Every cell of every sheet of a workbook, as text.
fn xlsx_text(path: &Path) -> String {
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let mut out = String::new();
    for name in wb.sheet_names().to_owned() {
        let range = wb.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for cell in row {
                out.push_str(&cell.to_string());
                out.push('\t');
            }
            out.push('\n');
        }
    }
    out
}

fn hostile_faults(code: &str, message: Option<&str>) -> Faults {
    Faults {
        persistent_error: Some(code.into()),
        persistent_message: message.map(str::to_string),
        echo_headers: true,
        ..Faults::default()
    }
}

#[test]
fn a_gateway_echoing_request_headers_leaks_no_secret() {
    let mut m1 = member("200000000001", "m1", MGMT_UIN, data(50, 10, 10, 10));
    m1.faults = hostile_faults("ResourceUnavailable.Gateway", None);
    let mut k = keyed(
        "300000000001",
        "k",
        "AKIDkeyed0000000000000000000001",
        "keyed-secret-key-0000001",
        data(10, 1, 1, 1),
    );
    k.faults = hostile_faults("ResourceUnavailable.Gateway", None);
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10)), m1, k],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}\
         [[accounts]]\nname = \"m1\"\nrole_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n\
         [[accounts]]\nname = \"k\"\nuin = \"300000000001\"\nsecret_id_env = \"K_ID\"\nsecret_key_env = \"K_KEY\"\n"
    );
    let cfg = h.config("", &accounts);
    let mut env = MGMT_ENV.to_vec();
    env.extend([
        ("K_ID", "AKIDkeyed0000000000000000000001"),
        ("K_KEY", "keyed-secret-key-0000001"),
    ]);
    let o = h.run(&cfg, &env, &["-v"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));

    let mut secrets: Vec<String> = env.iter().map(|(_, v)| v.to_string()).collect();
    let temporary = h.sim().temporary_secrets();
    assert_eq!(temporary.len(), 3, "one AssumeRole: id, key, token");
    secrets.extend(temporary);
    let mut outputs = everything_written(&h.out());
    assert_eq!(outputs.len(), 7, "every report written, and the history");
    assert!(
        outputs.iter().any(|(p, _)| p.ends_with("history.sqlite")),
        "the history is checked for secrets too"
    );
    outputs.push(("stderr".into(), stderr(&o)));
    outputs.push(("stdout".into(), String::from_utf8_lossy(&o.stdout).into()));
    for (where_, text) in &outputs {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "a secret reached {where_:?}");
        }
    }
    // The echo did arrive, redacted.
    let regions = h.csv(".regions.csv");
    let m1 = &rows_of(&regions, "m1")[0];
    assert!(m1["error_message"].contains("gateway echo"), "{m1:?}");
    assert!(
        m1["error_message"].contains("x-tc-token: [REDACTED]"),
        "{m1:?}"
    );
    assert!(
        m1["error_message"].contains("Credential=[REDACTED]/"),
        "{m1:?}"
    );
    let k = &rows_of(&regions, "k")[0];
    assert!(
        k["error_message"].contains("Credential=[REDACTED]/"),
        "{k:?}"
    );
}

#[test]
fn hostile_server_text_is_cleaned_escaped_and_capped() {
    let long_code = format!("Hostile\u{1b}[31m{}", "X".repeat(5000));
    let message = format!(
        "first line\nERROR forged log line\u{1b}[2J [click](https://evil.example) \
         ![pixel](https://evil.example/p.png) <img src=x> {}",
        "m".repeat(3000)
    );
    let mut bad = keyed(
        "300000000002",
        "bad",
        "AKIDhostile000000000000000000001",
        "hostile-secret-key-00001",
        data(10, 1, 1, 1),
    );
    bad.faults = Faults {
        persistent_error: Some(long_code),
        persistent_message: Some(message),
        ..Faults::default()
    };
    let mut odd = data(100, 40, 30, 10);
    odd["ImageScanInquireInfo"]["PurchaseStatus"] = json!("Normal\u{1b}[0m\nFAKE");
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(odd), bad],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}[[accounts]]\nname = \"bad\"\nuin = \"300000000002\"\n\
         secret_id_env = \"B_ID\"\nsecret_key_env = \"B_KEY\"\n"
    );
    let cfg = h.config("", &accounts);
    let mut env = MGMT_ENV.to_vec();
    env.extend([
        ("B_ID", "AKIDhostile000000000000000000001"),
        ("B_KEY", "hostile-secret-key-00001"),
    ]);
    let o = h.run(&cfg, &env, &["-v"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));

    let outputs = everything_written(&h.out());
    for (p, text) in &outputs {
        assert!(!text.contains('\u{1b}'), "an escape sequence in {p:?}");
    }
    let err = stderr(&o);
    assert!(!err.contains('\u{1b}'), "an escape sequence in the logs");
    assert!(
        !err.lines().any(|l| l.starts_with("ERROR forged")),
        "a forged log line: {err}"
    );
    let regions = h.csv(".regions.csv");
    let b = &rows_of(&regions, "bad")[0];
    let code = &b["error_code"];
    assert!(code.starts_with("Hostile[31mXXX"), "{code}");
    assert!(code.contains("(cut: 5012 characters in all)"), "{code}");
    assert!(code.chars().count() < 64 + 40, "{code}");
    let msg = &b["error_message"];
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.contains("characters in all)"), "{msg}");
    assert!(msg.chars().count() < 1000 + 40, "{}", msg.chars().count());
    let m = &rows_of(&regions, "mgmt")[0];
    assert_eq!(m["scan_quota_status"], "Normal[0m FAKE");

    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    for forbidden in ["[click](", "![pixel](", "<img"] {
        assert!(
            !md.contains(forbidden),
            "{forbidden} renders in the Markdown"
        );
    }
    assert!(md.len() < 64 * 1024, "{} bytes", md.len());
}

#[test]
fn a_file_as_out_exits_2_before_any_request() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    let cfg = h.config("", MGMT_ACCOUNT);
    let file = cfg.with_file_name("reports.csv");
    std::fs::write(&file, "not a folder").unwrap();
    for out in [file.as_path(), Path::new("/dev/null")] {
        let o = bin()
            .args(["run", "--config"])
            .arg(&cfg)
            .arg("--out")
            .arg(out)
            .envs(MGMT_ENV)
            .env("HOME", h.home())
            .output()
            .unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("not a folder"), "{err}");
        assert!(
            err.matches("os error").count() <= 1,
            "an OS error printed twice: {err}"
        );
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder");
    assert_eq!(h.snapshot().total, 0, "no request was served");
}

#[test]
fn two_runs_into_one_folder_at_once_leave_two_complete_sets() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    let cfg = h.config("", MGMT_ACCOUNT);
    let spawn = || {
        h.command(&cfg)
            .envs(MGMT_ENV)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for o in [&a, &b] {
        assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    }
    let listed = |o: &Output| -> Vec<String> {
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let (la, lb) = (listed(&a), listed(&b));
    assert_eq!(la.len(), 6);
    assert_eq!(lb.len(), 6);
    assert!(la.iter().all(|p| !lb.contains(p)), "{la:?} {lb:?}");
    let mut names: Vec<String> = std::fs::read_dir(h.out())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tcss-authorizations-"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 12, "two complete sets: {names:?}");
    for p in la.iter().chain(&lb).filter(|p| p.ends_with(".json")) {
        let j: Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
        let stem = j["run"]["stem"].as_str().unwrap();
        assert!(p.ends_with(&format!("{stem}.json")), "{p} has stem {stem}");
    }
}

/// A fleet of `n` members behind the management account, each answering
/// after `latency_ms`, and its config.
fn wide_fleet(n: usize, latency_ms: u64) -> (Fleet, String) {
    let mut accounts = vec![mgmt(data(100, 40, 30, 10))];
    let mut config = MGMT_ACCOUNT.to_string();
    for i in 0..n {
        let uin = format!("{}", 210_000_000_000u64 + i as u64);
        let mut m = member(&uin, &format!("m{i}"), MGMT_UIN, data(10, 1, 1, 1));
        m.faults.latency_ms = latency_ms;
        accounts.push(m);
        config.push_str(&format!(
            "[[accounts]]\nname = \"m{i}\"\nrole_arn = \"qcs::cam::uin/{uin}:roleName/Audit\"\nsource_account = \"mgmt\"\n"
        ));
    }
    let fleet = Fleet {
        settings: Default::default(),
        accounts,
    };
    (fleet, config)
}

/// `tcss-report run` under `ulimit` settings given to the shell that execs it.
fn run_with_ulimit(h: &Harness, cfg: &Path, ulimit: &str, extra: &[&str]) -> Output {
    let exe = env!("CARGO_BIN_EXE_tcss-report");
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!("{ulimit} && exec \"$0\" \"$@\""))
        .arg(exe)
        .args(["run", "--config"])
        .arg(cfg)
        .arg("--out")
        .arg(h.out())
        .args(extra)
        .envs(MGMT_ENV)
        .env("HOME", h.home())
        .env_remove("RUST_LOG");
    c.output().unwrap()
}

#[test]
fn concurrency_900_under_a_soft_limit_of_256_open_files_writes_every_report() {
    let (fleet, config) = wide_fleet(1000, 1500);
    let h = Harness::new(fleet);
    let cfg = h.config("concurrency = 900\nrate_limit = 20\n", &config);
    let o = run_with_ulimit(&h, &cfg, "ulimit -S -n 256", &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let listed = String::from_utf8_lossy(&o.stdout).lines().count();
    assert_eq!(listed, 6, "{err}");
    assert_eq!(h.csv(".accounts.csv").len(), 1001);
    assert!(
        !err.contains("concurrency lowered"),
        "the soft limit was raised: {err}"
    );
}

#[test]
fn a_hard_limit_too_low_lowers_the_concurrency_once_and_every_report_is_written() {
    let (fleet, config) = wide_fleet(300, 50);
    let h = Harness::new(fleet);
    let cfg = h.config("concurrency = 900\n", &config);
    let o = run_with_ulimit(&h, &cfg, "ulimit -n 300", &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(
        err.matches("concurrency lowered from 900 to").count(),
        1,
        "{err}"
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 6);
    assert_eq!(h.csv(".accounts.csv").len(), 301);
}

/// Runs `c` and fails the test if it does not end within `limit`.
pub(crate) fn output_within(mut c: Command, limit: Duration) -> Output {
    let child = c
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(o) => o.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
            panic!("still running after {:?}", started.elapsed());
        }
    }
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
}

#[test]
fn files_that_would_block_are_refused_at_once() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    // A config that is a FIFO, or a device.
    let fifo = h.out().with_file_name("fifo.toml");
    mkfifo(&fifo);
    for config in [fifo.as_path(), Path::new("/dev/zero")] {
        for cmd in ["validate", "run"] {
            let mut c = bin();
            c.args([cmd, "--config"]).arg(config).env("HOME", h.home());
            let o = output_within(c, Duration::from_secs(20));
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "{cmd} {config:?}: {err}");
            assert!(err.contains("not a regular file"), "{err}");
        }
    }
    // A tccli profile that is a FIFO: validate says so, run reports the
    // account as an error row.
    let dir = h.home().join(".tccli");
    std::fs::create_dir_all(&dir).unwrap();
    mkfifo(&dir.join("legacy.credential"));
    let cfg = h.config(
        "",
        &format!("{MGMT_ACCOUNT}[[accounts]]\nname = \"legacy\"\nprofile = \"legacy\"\n"),
    );
    let mut c = bin();
    c.args(["validate", "--config"])
        .arg(&cfg)
        .env("HOME", h.home())
        .envs(MGMT_ENV);
    let o = output_within(c, Duration::from_secs(20));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("FIFO"), "{}", stderr(&o));
    let mut c = h.command(&cfg);
    c.envs(MGMT_ENV);
    let o = output_within(c, Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let rows = h.csv(".accounts.csv");
    assert_eq!(row(&rows, "legacy")["status"], "error");
    assert!(row(&rows, "legacy")["error_message"].contains("FIFO"));
}

#[test]
fn a_fatal_error_is_a_json_line_with_json_logs() {
    let o = bin()
        .args([
            "--log-format",
            "json",
            "run",
            "--config",
            "/nonexistent/accounts.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let last = err.lines().last().expect("a line");
    let v: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("{e}: {last}"));
    assert_eq!(v["level"], "ERROR");
    assert_eq!(v["fields"]["exit_code"], 2);
    assert!(v["fields"]["message"]
        .as_str()
        .unwrap()
        .contains("/nonexistent/accounts.toml"));
}

#[test]
fn impossible_numbers_are_kept_exactly_and_flagged() {
    let mut negative = data(100, 40, 30, 10);
    negative["TotalAuthorizedCnt"] = json!(-5);
    let empty = serde_json::Map::new();
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![
            mgmt(negative),
            member("200000000001", "empty", MGMT_UIN, empty),
            member("200000000002", "fine", MGMT_UIN, data(50, 10, 10, 10)),
        ],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}\
         [[accounts]]\nname = \"empty\"\nrole_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n\
         [[accounts]]\nname = \"fine\"\nrole_arn = \"qcs::cam::uin/200000000002:roleName/Audit\"\nsource_account = \"mgmt\"\n"
    );
    let cfg = h.config("", &accounts);
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let regions = h.csv(".regions.csv");
    let m = &rows_of(&regions, "mgmt")[0];
    assert_eq!(m["total_authorized"], "-5", "the exact number is kept");
    assert!(
        m["warning"].contains("negative count: TotalAuthorizedCnt = -5"),
        "{m:?}"
    );
    let e = &rows_of(&regions, "empty")[0];
    assert_eq!(e["status"], "ok");
    assert!(e["warning"].contains("empty Response"), "{e:?}");
    assert_eq!(rows_of(&regions, "fine")[0]["warning"], "");
    let j = h.json();
    assert_eq!(j["totals"]["queries_with_warning"], 2);
    assert!(j["regions"][0]["warning"]
        .as_str()
        .unwrap()
        .contains("negative"));
    // The Errors sheet lists both, with their warning.
    let text = xlsx_text(&h.report(".xlsx"));
    assert!(
        text.contains("negative count: TotalAuthorizedCnt = -5"),
        "{text}"
    );
    assert!(text.contains("empty Response"));
}

#[test]
fn config_errors_are_listed_one_a_line_every_unknown_key_included() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("accounts.toml");
    std::fs::write(
        &cfg,
        "[defaults]\nconcurency = 8\n[[accounts]]\nname = \"a\"\nregion = [\"x\"]\n",
    )
    .unwrap();
    let o = bin()
        .args(["validate", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let located: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("accounts.toml:"))
        .collect();
    assert_eq!(located.len(), 2, "{err}");
    assert!(
        located[0].contains(":2:1: unknown key `concurency`"),
        "{err}"
    );
    assert!(located[1].contains(":5:1: unknown key `region`"), "{err}");
    assert!(!err.contains("\\n"), "no escaped line break: {err}");
}

/// Issue 18: bare URLs in server text (GitHub and GitLab link `https://...`
/// and `www....` by themselves) are defanged in the Markdown, where they
/// still read as URLs; the CSV keeps the message as sent.
#[test]
fn bare_urls_in_server_text_are_not_links_in_the_markdown() {
    let message = "denied: see https://evil.example/login or WWW.evil.example, ftp://f.example";
    let mut bad = keyed(
        "300000000003",
        "bad",
        "AKIDbareurl000000000000000000001",
        "bare-url-secret-key-0001",
        data(10, 1, 1, 1),
    );
    bad.faults = hostile_faults("AuthFailure.Denied", Some(message));
    bad.faults.echo_headers = false;
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10)), bad],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}[[accounts]]\nname = \"bad\"\nuin = \"300000000003\"\n\
         secret_id_env = \"B_ID\"\nsecret_key_env = \"B_KEY\"\n"
    );
    let cfg = h.config("", &accounts);
    let mut env = MGMT_ENV.to_vec();
    env.extend([
        ("B_ID", "AKIDbareurl000000000000000000001"),
        ("B_KEY", "bare-url-secret-key-0001"),
    ]);
    let o = h.run(&cfg, &env, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let regions = h.csv(".regions.csv");
    assert!(
        rows_of(&regions, "bad")[0]["error_message"].contains(message),
        "{regions:?}"
    );
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    for linked in ["://", "www.", "WWW."] {
        assert!(!md.contains(linked), "{linked} in the Markdown:\n{md}");
    }
    assert!(
        md.contains(
            "see https\\[:\\]//evil.example/login or WWW\\[.\\]evil.example, ftp\\[:\\]//f.example"
        ),
        "{md}"
    );
}
