//! SIGTERM in the middle of a run where some queries are done and others are
//! still waiting for an answer: exit 130, every report written and marked
//! incomplete, the finished queries `ok`, the unfinished ones `cancelled`, no
//! row missing.

#![cfg(unix)]

use std::time::Duration;

use tcss_sim::{FaultKind, Faults, Fleet};

use crate::harness::*;

const TCSS: &str = "DescribeImageAuthorizedInfo";
/// The account-wide actions, each asked once per account.
const WIDE: [&str; 2] = [
    "DescribePurchaseStateInfo",
    "DescribeImageAutoAuthorizedRule",
];

#[test]
fn sigterm_after_some_queries_keeps_the_done_ones_and_cancels_the_rest() {
    let fast = ["f1", "f2", "f3"];
    let mut accounts = Vec::new();
    let mut config = String::new();
    let mut env: Vec<(String, String)> = Vec::new();
    for (i, name) in fast.iter().chain(["stuck"].iter()).enumerate() {
        let uin = format!("60000000000{i}");
        let id = format!("AKIDsigterm{i:020}");
        let key = format!("sigterm-key-{i}");
        let mut a = keyed(&uin, name, &id, &key, data(100 * (i as i64 + 1), 10, 5, 5));
        if *name == "stuck" {
            a.faults = Faults {
                first_n: 1000,
                first_kind: Some(FaultKind::Hang),
                ..Faults::default()
            };
        }
        accounts.push(a);
        config.push_str(&format!(
            "[[accounts]]\nname = \"{name}\"\nuin = \"{uin}\"\nsecret_id_env = \"ID_{i}\"\nsecret_key_env = \"KEY_{i}\"\n\
             regions = [\"ap-guangzhou\", \"ap-shanghai\"]\n"
        ));
        env.push((format!("ID_{i}"), id));
        env.push((format!("KEY_{i}"), key));
    }
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts,
    });
    let cfg = h.config("timeout_secs = 60\n", &config);
    let mut c = h.command(&cfg);
    c.args(["--log-format", "json"])
        // The client logs each answer it accepted at debug level: the test
        // waits for those, not only for the simulator to have answered.
        .env("RUST_LOG", "info,tcapi=debug");
    for (k, v) in &env {
        c.env(k, v);
    }
    let (child, log) = h.spawn(c);
    let answered = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("\"answered\""))
            .filter(|l| l.contains(TCSS) || WIDE.iter().any(|w| l.contains(w)))
            .count()
    };
    // Each account: two regions and the two account-wide actions.
    let stuck_hang = || {
        let snap = h.snapshot();
        snap.requests("600000000003", TCSS) == 2
            && WIDE.iter().all(|w| snap.requests("600000000003", w) == 1)
    };
    wait_until(
        Duration::from_secs(20),
        "the fast queries to be answered and the stuck ones to hang",
        || answered() == 4 * fast.len() && stuck_hang(),
    );
    sigterm(&child);
    let o = child.wait_with_output().unwrap();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert_eq!(o.status.code(), Some(130), "{logs}");
    for (k, v) in &env {
        assert!(
            !k.starts_with("KEY") || !logs.contains(v.as_str()),
            "secret in debug logs"
        );
    }
    // stdout lists every report written.
    let listed = String::from_utf8_lossy(&o.stdout);
    for ext in DEFAULT_SET {
        assert!(listed.contains(ext), "{ext}: {listed}");
        let _ = h.report(ext);
    }

    let j = h.json();
    assert_eq!(j["complete"], false);
    assert_eq!(j["run"]["complete"], false);
    // The interrupted run is in the history, marked incomplete.
    let db = rusqlite::Connection::open(h.out().join("history.sqlite")).unwrap();
    let (complete, accounts): (bool, i64) = db
        .query_row(
            "SELECT complete, (SELECT COUNT(*) FROM account_snapshots) FROM runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(!complete);
    assert_eq!(accounts, 4);
    let regions = h.csv(".regions.csv");
    assert_eq!(regions.len(), 8, "no row missing: {regions:?}");
    for r in &regions {
        if r["account"] == "stuck" {
            assert_eq!(r["status"], "cancelled", "{r:?}");
            assert_eq!(r["error_code"], "Cancelled", "{r:?}");
            assert_eq!(r["attempts"], "1", "the hanging attempt counts: {r:?}");
        } else {
            assert_eq!(r["status"], "ok", "{r:?}");
            assert_eq!(r["attempts"], "1", "{r:?}");
            assert!(!r["request_id"].is_empty());
        }
    }
    let rows = h.csv(".accounts.csv");
    assert_eq!(rows.len(), 4);
    for name in fast {
        assert_eq!(row(&rows, name)["status"], "ok");
    }
    let s = row(&rows, "stuck");
    assert_eq!(s["status"], "error");
    assert_eq!(s["error_code"], "Cancelled");
    assert_eq!(s["regions_failed"], "2");
    // The account-wide queries too: the fast ones answered, the stuck
    // ones cancelled after their hanging attempt.
    let wide = j["account_queries"].as_array().unwrap();
    assert_eq!(wide.len(), 8);
    for q in wide {
        let stuck = q["account"] == "stuck";
        let status = if stuck { "cancelled" } else { "ok" };
        assert_eq!(
            (q["status"].as_str(), q["attempts"].as_u64()),
            (Some(status), Some(1)),
            "{q}"
        );
    }
    let t = &j["totals"];
    assert_eq!(t["queries"], 16);
    assert_eq!(t["queries_ok"], 12);
    assert_eq!(t["queries_cancelled"], 4);
    assert_eq!(t["queries_failed"], 0);
    assert_eq!(t["accounts_ok"], 3);
    assert_eq!(t["accounts_error"], 1);
    assert_eq!(
        t["total_authorized"],
        100 + 200 + 300,
        "the done work is kept"
    );
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    assert!(md.contains("INCOMPLETE"), "{md}");
}

/// A query interrupted while it retries keeps the error it was retrying on
/// beside `Cancelled`.
#[test]
fn a_query_cancelled_while_retrying_keeps_its_last_error() {
    let mut a = keyed(
        "600000000009",
        "flaky",
        "AKIDsigterm00000000000000000009",
        "sigterm-key-9",
        data(10, 1, 1, 1),
    );
    a.faults = Faults {
        first_n: 1000,
        first_kind: Some(FaultKind::InternalError),
        ..Faults::default()
    };
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![a],
    });
    let cfg = h.config(
        "max_attempts = 20\n",
        "[[accounts]]\nname = \"flaky\"\nuin = \"600000000009\"\nsecret_id_env = \"F_ID\"\nsecret_key_env = \"F_KEY\"\n",
    );
    let mut c = h.command(&cfg);
    c.env("F_ID", "AKIDsigterm00000000000000000009")
        .env("F_KEY", "sigterm-key-9");
    let (child, _log) = h.spawn(c);
    wait_until(Duration::from_secs(20), "two failed attempts", || {
        h.snapshot().requests("600000000009", TCSS) >= 2
    });
    sigterm(&child);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130));
    let regions = h.csv(".regions.csv");
    let r = &regions[0];
    assert_eq!(r["status"], "cancelled", "{r:?}");
    assert_eq!(r["error_code"], "Cancelled", "{r:?}");
    assert!(
        r["error_message"].contains("the last failed with InternalError"),
        "{r:?}"
    );
    let rows = h.csv(".accounts.csv");
    assert!(row(&rows, "flaky")["error_message"].contains("InternalError"));
}

/// `[defaults] run_timeout_secs` (and `--run-timeout`, which wins): a run
/// whose queries hang stops at its deadline as if interrupted: exit 130,
/// every report written and marked incomplete, the hanging rows
/// `cancelled`, the deadline named in the log.
#[test]
fn the_run_deadline_stops_a_hanging_run_with_its_reports() {
    let mut stuck = keyed(
        "610000000001",
        "stuck",
        "AKIDdeadline0000000000001",
        "deadline-key-1",
        data(100, 10, 5, 5),
    );
    stuck.faults = Faults {
        first_n: 1000,
        first_kind: Some(FaultKind::Hang),
        ..Faults::default()
    };
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![stuck],
    });
    let account = "[[accounts]]\nname = \"stuck\"\nuin = \"610000000001\"\n\
                   secret_id_env = \"ID_D\"\nsecret_key_env = \"KEY_D\"\n";
    let env = [
        ("ID_D", "AKIDdeadline0000000000001"),
        ("KEY_D", "deadline-key-1"),
    ];
    // The config's deadline, and the command line's winning over a longer one.
    for (defaults, extra) in [
        ("timeout_secs = 60\nrun_timeout_secs = 2\n", &[][..]),
        (
            "timeout_secs = 60\nrun_timeout_secs = 600\n",
            &["--run-timeout", "2"][..],
        ),
    ] {
        let cfg = h.config(defaults, account);
        let started = std::time::Instant::now();
        let o = h.run(&cfg, &env, extra);
        let took = started.elapsed();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(130), "{err}");
        assert!(
            took < Duration::from_secs(2 + 20),
            "ended {took:?} after the start"
        );
        assert!(err.contains("the run's deadline passed"), "{err}");
        assert!(err.contains("run_timeout_secs=2"), "{err}");
        let j = h.json();
        assert_eq!(j["complete"], false);
        let regions = h.csv(".regions.csv");
        assert_eq!(regions.len(), 1);
        assert_eq!(regions[0]["status"], "cancelled");
        std::fs::remove_dir_all(h.out()).unwrap();
    }
}
