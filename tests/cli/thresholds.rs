//! Thresholds end to end (issue 13): `--fail-on` and `[defaults] fail_on`
//! against the simulator. A breach exits 4 with every report (JSON,
//! Markdown, XLSX) and stderr listing it; a bad expression exits 2 before
//! any request; 4 wins over 3; 130 (interrupted) and 1 (a report that
//! cannot be written) win over 4; the stderr lines are capped.

#![cfg(unix)]

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use tcss_sim::{FaultKind, Faults, Fleet, SimAccount};

use crate::harness::*;

const TCSS: &str = "DescribeImageAuthorizedInfo";

/// A second account with keys, `k` (UIN 300000000001), in config and env.
const K_ACCOUNT: &str = "[[accounts]]\nname = \"k\"\nuin = \"300000000001\"\nsecret_id_env = \"K_ID\"\nsecret_key_env = \"K_KEY\"\n";
const K_ENV: [(&str, &str); 2] = [
    ("K_ID", "AKIDkeyed0000000000000000000001"),
    ("K_KEY", "keyed-secret-key-0000001"),
];

fn k(d: serde_json::Map<String, serde_json::Value>) -> SimAccount {
    keyed("300000000001", "k", K_ENV[0].1, K_ENV[1].1, d)
}

fn env() -> Vec<(&'static str, &'static str)> {
    let mut e = MGMT_ENV.to_vec();
    e.extend(K_ENV);
    e
}

fn fleet(accounts: Vec<SimAccount>) -> Fleet {
    Fleet {
        settings: Default::default(),
        accounts,
    }
}

/// Every string cell of the Summary sheet, row by row, tab-separated.
fn summary_text(path: &Path) -> String {
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let range = wb.worksheet_range("Summary").unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join("\t")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_breach_exits_4_and_every_report_lists_it() {
    let h = Harness::new(fleet(vec![
        mgmt(data(100, 95, 30, 10)),
        k(data(100, 10, 5, 5)),
    ]));
    let cfg = h.config(
        "fail_on = [\"total.failed_queries > 0\"]\n",
        &format!("{MGMT_ACCOUNT}{K_ACCOUNT}"),
    );
    let o = h.run(&cfg, &env(), &["--fail-on", "utilization >= 90%"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(
        err.contains("threshold breached: `utilization >= 90%` by account mgmt (UIN 100000000001): utilization is 95%"),
        "{err}"
    );
    assert_eq!(err.matches("threshold breached").count(), 1, "{err}");

    let v = h.json();
    assert_eq!(
        v["breaches"],
        json!([{"scope": "account", "account": "mgmt", "uin": MGMT_UIN,
                "group_by": null, "group": null, "metric": "utilization",
                "op": ">=", "value": 0.95, "threshold": 0.9, "expression": "utilization >= 90%"}])
    );
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    let section = md
        .find("## Thresholds breached")
        .expect("a Markdown section");
    assert!(section < md.find("## Totals").unwrap(), "first:\n{md}");
    assert!(
        md.contains("| `utilization >= 90%` | 1 account | mgmt (95%) |"),
        "{md}"
    );
    let xlsx = summary_text(&h.report(".xlsx"));
    assert!(
        xlsx.contains("Breaches: 1 threshold breach (exit code 4)"),
        "{xlsx}"
    );
    assert!(
        xlsx.contains(
            "mgmt\t100000000001\t\tutilization >= 90%\t0.95\t>=\t0.9\taccount\tutilization"
        ),
        "{xlsx}"
    );
    // The accounts CSV is unchanged by thresholds.
    assert_eq!(h.csv(".accounts.csv").len(), 2);
}

#[test]
fn no_breach_exits_0_with_an_empty_list() {
    let h = Harness::new(fleet(vec![mgmt(data(100, 50, 30, 10))]));
    let cfg = h.config("fail_on = [\"utilization >= 90%\"]\n", MGMT_ACCOUNT);
    let o = h.run(
        &cfg,
        &MGMT_ENV,
        &["--fail-on", "total.remaining_authorized < 10"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(h.json()["breaches"], json!([]));
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    assert!(!md.contains("Thresholds breached"), "{md}");
}

#[test]
fn a_bad_expression_exits_2_before_any_request() {
    let h = Harness::new(fleet(vec![mgmt(data(100, 95, 30, 10))]));
    let cfg = h.config("", MGMT_ACCOUNT);
    for (expr, caret) in [
        ("utilisation >= 90%", "  ^^^^^^^^^^^"),
        ("utilization => 90%", "              ^^"),
        ("utilization >= ninety", "                 ^^^^^^"),
        ("account.failed_queries > 0", "          ^^^^^^^^^^^^^^"),
        ("change.used_authorized > 10", "  ^^^^^^^^^^^^^^^^^^^^^^"),
    ] {
        let o = h.run(
            &cfg,
            &MGMT_ENV,
            &["--fail-on", "utilization >= 95%", "--fail-on", expr],
        );
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{expr}: {err}");
        assert!(err.contains(&format!("--fail-on: `{expr}`")), "{err}");
        let lines: Vec<&str> = err.lines().collect();
        let at = lines
            .iter()
            .position(|l| *l == format!("  {expr}"))
            .unwrap_or_else(|| panic!("the expression on its own line: {err}"));
        assert_eq!(lines[at + 1], caret, "{err}");
    }
    // In the config: the file and line are named.
    let cfg = h.config(
        "fail_on = [\n  \"utilization >= 90%\",\n  \"used_authorized >= lots\",\n]\n",
        MGMT_ACCOUNT,
    );
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{}:7:3: `fail_on`: `used_authorized >= lots`",
            cfg.display()
        )),
        "{err}"
    );
    assert!(err.contains("valid metrics"), "{err}");
    assert_eq!(h.snapshot().total, 0, "no request was made");
    assert!(
        !h.out().exists() || std::fs::read_dir(h.out()).unwrap().next().is_none(),
        "no report written"
    );
}

#[test]
fn a_failure_and_a_breach_exit_4_and_both_are_listed() {
    let mut broken = k(data(100, 10, 5, 5));
    broken.faults.persistent_error = Some("UnauthorizedOperation".into());
    let h = Harness::new(fleet(vec![mgmt(data(100, 95, 30, 10)), broken]));
    let cfg = h.config("", &format!("{MGMT_ACCOUNT}{K_ACCOUNT}"));
    let o = h.run(
        &cfg,
        &env(),
        &[
            "--fail-on",
            "utilization>=90%",
            "--fail-on",
            "failed_accounts > 0",
        ],
    );
    assert_eq!(o.status.code(), Some(4), "4 wins over 3: {}", stderr(&o));
    let v = h.json();
    let breaches = v["breaches"].as_array().unwrap();
    let exprs: Vec<&str> = breaches
        .iter()
        .map(|b| b["expression"].as_str().unwrap())
        .collect();
    assert_eq!(exprs, ["utilization>=90%", "failed_accounts > 0"]);
    assert_eq!(breaches[1]["scope"], "total");
    assert_eq!(breaches[1]["value"], 1);
    let k = row(&h.csv(".accounts.csv"), "k").clone();
    assert_eq!(
        k["error_code"], "UnauthorizedOperation",
        "the failure is listed too"
    );
    // Without the thresholds the same run is a plain failure.
    let o = h.run(&cfg, &env(), &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

#[test]
fn an_interrupted_run_exits_130_even_with_a_breach() {
    let mut stuck = k(data(100, 10, 5, 5));
    stuck.faults = Faults {
        first_n: 1000,
        first_kind: Some(FaultKind::Hang),
        ..Faults::default()
    };
    let h = Harness::new(fleet(vec![mgmt(data(100, 95, 30, 10)), stuck]));
    let cfg = h.config("timeout_secs = 60\n", &format!("{MGMT_ACCOUNT}{K_ACCOUNT}"));
    let mut c = h.command(&cfg);
    c.args(["--fail-on", "utilization >= 90%", "--log-format", "json"])
        .env("RUST_LOG", "info,tcapi=debug");
    for (key, v) in env() {
        c.env(key, v);
    }
    let (child, log) = h.spawn(c);
    wait_until(
        Duration::from_secs(20),
        "mgmt answered and k hanging",
        || {
            let answered = std::fs::read_to_string(&log)
                .unwrap_or_default()
                .lines()
                .any(|l| l.contains("\"answered\"") && l.contains(TCSS));
            answered && h.snapshot().requests("300000000001", TCSS) == 1
        },
    );
    sigterm(&child);
    let o = child.wait_with_output().unwrap();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert_eq!(o.status.code(), Some(130), "130 wins over 4: {logs}");
    assert!(logs.contains("threshold breached"), "{logs}");
    let v = h.json();
    assert_eq!(v["complete"], false);
    assert_eq!(v["breaches"][0]["account"], "mgmt");
}

#[test]
fn a_report_that_cannot_be_written_exits_1_even_with_a_breach() {
    let mut slow = k(data(100, 10, 5, 5));
    slow.faults.latency_ms = 1500;
    let h = Harness::new(fleet(vec![mgmt(data(100, 95, 30, 10)), slow]));
    let cfg = h.config("", &format!("{MGMT_ACCOUNT}{K_ACCOUNT}"));
    let mut c = h.command(&cfg);
    c.args(["--fail-on", "utilization >= 90%"]);
    for (key, v) in env() {
        c.env(key, v);
    }
    let (child, log) = h.spawn(c);
    wait_until(Duration::from_secs(20), "k's query in flight", || {
        h.snapshot().in_flight > 0
    });
    // The folder, checked before the run, is now a file: nothing can be written.
    std::fs::remove_dir_all(h.out()).unwrap();
    std::fs::write(h.out(), b"not a folder").unwrap();
    let o = child.wait_with_output().unwrap();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert_eq!(o.status.code(), Some(1), "1 wins over 4: {logs}");
    assert!(logs.contains("writing reports into"), "{logs}");
    assert!(
        logs.contains("threshold breached"),
        "the breach is still said: {logs}"
    );
}

/// Breaches are grouped by expression on stderr (one line each, with
/// its count and first accounts), the first 20 expressions, then the
/// count of the rest; the JSON keeps every breach.
#[test]
fn breach_lines_are_grouped_by_expression_and_capped() {
    let mut accounts = vec![mgmt(data(100, 95, 30, 10))];
    let mut config = MGMT_ACCOUNT.to_string();
    for i in 0..24 {
        let uin = format!("2000000001{i:02}");
        accounts.push(member(
            &uin,
            &format!("m{i:02}"),
            MGMT_UIN,
            data(10, 10, 1, 1),
        ));
        config.push_str(&format!(
            "[[accounts]]\nname = \"m{i:02}\"\nrole_arn = \"qcs::cam::uin/{uin}:roleName/Audit\"\nsource_account = \"mgmt\"\n"
        ));
    }
    let h = Harness::new(fleet(accounts));
    let cfg = h.config("", &config);
    let mut args = vec!["--fail-on".to_string(), "utilization >= 90%".to_string()];
    for i in 0..21 {
        args.push("--fail-on".into());
        args.push(format!("total.queries > {i}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = h.run(&cfg, &MGMT_ENV, &args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(
        err.contains(
            "threshold breached: `utilization >= 90%` by 25 accounts: mgmt (95%), m00 (100%), \
             m01 (100%) and 22 more"
        ),
        "{err}"
    );
    // 25 accounts, three queries each (images and the two account-wide
    // actions of issue 21).
    assert!(
        err.contains("threshold breached: `total.queries > 0` by the totals: queries is 75"),
        "{err}"
    );
    assert_eq!(err.matches("threshold breached").count(), 20, "{err}");
    assert!(
        err.contains("and 2 more breaches of 2 more expressions (every report lists them all)"),
        "{err}"
    );
    assert!(!err.contains("`total.queries > 19`"), "{err}");
    assert_eq!(h.json()["breaches"].as_array().unwrap().len(), 25 + 21);
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    assert!(
        md.contains("| `utilization >= 90%` | 25 accounts | mgmt (95%), m00 (100%), m01 (100%), … and 22 more |"),
        "{md}"
    );
    assert!(
        md.contains("| `total.queries > 20` | the totals | the totals (75) |"),
        "{md}"
    );
}

/// `change.*` end to end: a first run's snapshot, then a run where `mgmt`
/// uses 55 more licenses, compared with it: `change.used_authorized > 50`
/// breaches for `mgmt` only (exit 4), `k` (unchanged) does not; without
/// `--compare` the same expression exits 2 before any request.
#[test]
fn a_change_threshold_breaches_against_the_compared_run() {
    let keep = tempfile::tempdir().unwrap();
    let accounts = format!("{MGMT_ACCOUNT}{K_ACCOUNT}");
    let first = Harness::new(fleet(vec![
        mgmt(data(100, 40, 30, 10)),
        k(data(100, 10, 5, 5)),
    ]));
    let o = first.run(&first.config("", &accounts), &env(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let snapshot = keep.path().join("first.json");
    std::fs::copy(first.report(".json"), &snapshot).unwrap();

    let h = Harness::new(fleet(vec![
        mgmt(data(100, 95, 30, 10)),
        k(data(100, 10, 5, 5)),
    ]));
    let cfg = h.config("", &accounts);
    let gate = ["--fail-on", "change.used_authorized > 50"];
    let o = h.run(&cfg, &env(), &gate);
    assert_eq!(o.status.code(), Some(2), "no --compare: {}", stderr(&o));
    assert!(stderr(&o).contains("needs a comparison"), "{}", stderr(&o));
    assert_eq!(h.snapshot().requests(MGMT_UIN, TCSS), 0, "nothing called");

    let mut args = gate.to_vec();
    args.extend(["--compare", snapshot.to_str().unwrap()]);
    let o = h.run(&cfg, &env(), &args);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let v = h.json();
    let breaches = v["breaches"].as_array().unwrap();
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    assert_eq!(breaches[0]["account"], "mgmt");
    assert_eq!(breaches[0]["metric"], "change.used_authorized");
    assert_eq!(breaches[0]["value"].as_f64(), Some(55.0));
    let mgmt_row = v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == "mgmt")
        .unwrap();
    assert_eq!(mgmt_row["change"]["used_authorized"], 55);
}
