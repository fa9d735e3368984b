//! Runs of the same scope (issue 20): `--compare last` takes the latest
//! earlier run of the same config (its canonical path, or `[defaults]
//! history_key`), the same selection (in any order) and simulated or not
//! alike, that is complete and had a query answered: never a subset, a
//! simulation, a run in which every query failed or another config's run.
//! `history` shows the config's scope by default and every scope, each
//! labelled, with `--all-scopes`. A history an earlier release wrote is
//! migrated, its runs taken as full runs of the config they name.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use tcss_sim::Fleet;

use crate::harness::*;

fn harness() -> (Harness, PathBuf) {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![
            mgmt(data(100, 40, 30, 10)),
            member("200000000001", "m1", MGMT_UIN, data(50, 20, 10, 10)),
        ],
    });
    let cfg = h.config(
        "",
        &format!(
            "{MGMT_ACCOUNT}[[accounts]]\nname = \"m1\"\n\
             role_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n"
        ),
    );
    (h, cfg)
}

/// The JSON report a run listed on stdout.
fn json_of(o: &Output) -> Value {
    let path = String::from_utf8_lossy(&o.stdout)
        .lines()
        .find(|l| l.ends_with(".json"))
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("no JSON listed: {}", stderr(o)));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Runs with `args` (and `env`), expecting `code`; its stem.
fn stem(h: &Harness, cfg: &Path, env: &[(&str, &str)], args: &[&str], code: i32) -> String {
    let o = h.run(cfg, env, args);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
    json_of(&o)["run"]["stem"].as_str().unwrap().to_string()
}

/// Runs `--compare last` with `args`: the stem it compared with, or the
/// note.
fn compared(h: &Harness, cfg: &Path, args: &[&str]) -> Result<String, String> {
    let mut all = vec!["--compare", "last"];
    all.extend_from_slice(args);
    let o = h.run(cfg, &MGMT_ENV, &all);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    let c = &json_of(&o)["comparison"];
    match c["previous_run"].as_str() {
        Some(stem) => Ok(stem.to_string()),
        None => Err(c["note"].as_str().unwrap_or_default().to_string()),
    }
}

#[test]
fn compare_last_takes_the_latest_earlier_run_of_the_same_scope() {
    let (h, cfg) = harness();
    let other = cfg.with_file_name("other.toml");
    std::fs::copy(&cfg, &other).unwrap();
    let full = stem(&h, &cfg, &MGMT_ENV, &[], 0);
    let subset = stem(&h, &cfg, &MGMT_ENV, &["--only", "m1", "--only", "mgmt"], 0);
    let simulated = stem(&h, &cfg, &MGMT_ENV, &["--simulate"], 0);
    // No keys in the environment: every query fails (exit 5), the run is complete.
    let failed = stem(&h, &cfg, &[], &[], 5);
    let other_config = stem(&h, &other, &MGMT_ENV, &[], 0);
    assert_eq!(
        super::history::runs_in(&h.out().join("history.sqlite")).len(),
        5
    );
    assert_eq!(
        compared(&h, &cfg, &[]),
        Ok(full.clone()),
        "not the subset, simulated, failed or other config's run"
    );
    assert_eq!(
        compared(&h, &cfg, &["--only", "mgmt", "--only", "m1"]),
        Ok(subset),
        "the same selection in another order"
    );
    assert_eq!(compared(&h, &cfg, &["--simulate"]), Ok(simulated));
    assert_eq!(compared(&h, &other, &[]), Ok(other_config));
    assert_eq!(
        compared(&h, &cfg, &["--only", "m1"]),
        Err("no earlier complete run of this scope in the history database".to_string()),
        "another subset has no earlier run"
    );
    // The runs just made count too: the latest full run is now the first
    // `--compare last` of this test.
    let latest = compared(&h, &cfg, &[]).unwrap();
    assert_ne!(latest, full);
    assert_ne!(latest, failed);
}

#[test]
fn history_key_keeps_a_moved_files_history() {
    let (h, cfg) = harness();
    let text = std::fs::read_to_string(&cfg).unwrap();
    let keyed = text.replace("[defaults]\n", "[defaults]\nhistory_key = \"fleet\"\n");
    std::fs::write(&cfg, &keyed).unwrap();
    let first = stem(&h, &cfg, &MGMT_ENV, &[], 0);
    let moved = cfg.with_file_name("moved.toml");
    std::fs::rename(&cfg, &moved).unwrap();
    assert_eq!(compared(&h, &moved, &[]), Ok(first));
    let o = h.run(&moved, &MGMT_ENV, &[]);
    assert_eq!(json_of(&o)["run"]["history_key"], "fleet");
    // Without the key, the moved file is another scope.
    std::fs::write(&moved, &text).unwrap();
    assert!(compared(&h, &moved, &[]).is_err());
}

fn history(h: &Harness, cfg: &Path, args: &[&str]) -> Value {
    let o = bin()
        .args(["history", "--formats", "json,csv", "--config"])
        .arg(cfg)
        .arg("--out")
        .arg(h.out())
        .args(args)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    let csv = String::from_utf8_lossy(&o.stdout)
        .lines()
        .find(|l| l.ends_with(".runs.csv"))
        .map(PathBuf::from)
        .unwrap();
    let mut r = csv::Reader::from_path(&csv).unwrap();
    assert!(
        r.headers().unwrap().iter().any(|h| h == "scope"),
        "a scope column"
    );
    let j = json_of(&o);
    std::fs::remove_file(csv).unwrap();
    j
}

fn scopes(j: &Value, key: &str) -> Vec<String> {
    j[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["scope"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn history_shows_the_configs_scope_and_every_scope_labelled() {
    let (h, cfg) = harness();
    stem(&h, &cfg, &MGMT_ENV, &[], 0);
    stem(&h, &cfg, &MGMT_ENV, &["--only", "m1"], 0);
    stem(&h, &cfg, &MGMT_ENV, &["--simulate"], 0);
    stem(&h, &cfg, &MGMT_ENV, &[], 0);
    let key = std::fs::canonicalize(&cfg).unwrap().display().to_string();
    let j = history(&h, &cfg, &[]);
    assert_eq!(j["scope"], key.as_str());
    assert_eq!(scopes(&j, "runs"), [key.clone(), key.clone()]);
    assert_eq!(scopes(&j, "accounts").len(), 4, "two accounts in two runs");
    for r in j["runs"].as_array().unwrap() {
        assert_eq!(r["total_authorized"], 150, "never the subset's 50");
    }
    let j = history(&h, &cfg, &["--only", "m1"]);
    assert_eq!(scopes(&j, "runs"), [format!("{key} --only m1")]);
    let j = history(&h, &cfg, &["--simulated"]);
    assert_eq!(scopes(&j, "runs"), [format!("{key} (simulated)")]);
    let j = history(&h, &cfg, &["--all-scopes"]);
    assert_eq!(j["scope"], Value::Null);
    assert_eq!(
        scopes(&j, "runs"),
        [
            key.clone(),
            format!("{key} --only m1"),
            format!("{key} (simulated)"),
            key.clone()
        ]
    );
}

#[test]
fn a_history_an_earlier_release_wrote_is_migrated_and_its_runs_are_full_runs_of_their_config() {
    let (h, cfg) = harness();
    std::fs::create_dir_all(h.out()).unwrap();
    let db = h.out().join("history.sqlite");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/history/fixtures/history-v2.sqlite");
    std::fs::copy(fixture, &db).unwrap();
    // Its runs were recorded as `accounts.toml` (relative, as given),
    // real runs here.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("UPDATE runs SET simulated = 0")
        .unwrap();
    let folder = cfg.parent().unwrap();
    let compare = |args: &[&str]| {
        let o = bin()
            .current_dir(folder)
            .args(["run", "--config", "./accounts.toml", "--out"])
            .arg(h.out())
            .args(["--compare", "last"])
            .args(args)
            .envs(MGMT_ENV)
            .env("HOME", h.home())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        json_of(&o)["comparison"].clone()
    };
    let c = compare(&[]);
    assert_eq!(
        c["previous_run"], "tcss-authorizations-20260201T000000Z",
        "the old complete run of the same file: {c}"
    );
    let c = compare(&["--simulate"]);
    assert_eq!(
        c["previous_run"],
        Value::Null,
        "the old runs were real: {c}"
    );
    let c = compare(&["--only", "m1"]);
    assert_eq!(
        c["previous_run"],
        Value::Null,
        "the old runs were full: {c}"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let version: i64 = conn
        .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        version, LATEST_HISTORY_SCHEMA,
        "migrated to the newest schema"
    );
    let keys: Vec<Option<String>> = conn
        .prepare("SELECT history_key FROM runs ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(keys.len(), 5);
    assert_eq!(&keys[..2], [None, None], "old runs: no scope recorded");
    let key = std::fs::canonicalize(&cfg).unwrap().display().to_string();
    assert!(
        keys[2..].iter().all(|k| k.as_deref() == Some(key.as_str())),
        "{keys:?}"
    );
}
