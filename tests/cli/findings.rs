//! What a run finds, as the user reads it (issue 20, parts 4 and 5):
//! over-use is a finding, not an error (exact totals of a fleet with a
//! known shortfall in the JSON, the Summary sheet, the Markdown, the
//! metrics, the history, `--fail-on` and the closing summary; the Errors
//! sheet holds failures and real warnings only), and the scan quotas
//! ending soon apart from those already ended.

use std::path::Path;

use calamine::{open_workbook, Data, Reader, Xlsx};
use serde_json::{json, Value};
use tcss_sim::Fleet;

use crate::harness::*;

/// `n` accounts keyed from `ID<i>`/`KEY<i>`: the config and the environment.
fn keyed_config(names: &[&str]) -> (String, Vec<(String, String)>) {
    let mut config = String::new();
    let mut env = Vec::new();
    for (i, name) in names.iter().enumerate() {
        config.push_str(&format!(
            "[[accounts]]\nname = \"{name}\"\nuin = \"30000000000{i}\"\n\
             secret_id_env = \"ID{i}\"\nsecret_key_env = \"KEY{i}\"\n"
        ));
        env.push((format!("ID{i}"), format!("AKIDfinding{i:019}")));
        env.push((format!("KEY{i}"), format!("finding-key-{i}")));
    }
    (config, env)
}

fn account(i: usize, name: &str, d: serde_json::Map<String, Value>) -> tcss_sim::SimAccount {
    keyed(
        &format!("30000000000{i}"),
        name,
        &format!("AKIDfinding{i:019}"),
        &format!("finding-key-{i}"),
        d,
    )
}

/// The rows of `sheet`, each cell as text.
fn sheet_rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range
        .rows()
        .map(|r| r.iter().map(Data::to_string).collect())
        .collect()
}

/// The issue's fleet in small: three accounts use more licenses than they
/// hold (30 of them far beyond their 10 trial licenses, once flagged as
/// "impossible"), one holds 180 idle, one answers a negative count (a real
/// warning) and one fails.
#[test]
fn over_use_is_a_finding_with_exact_totals_and_no_error() {
    let mut none_held = data(0, 7, 1, 1);
    for (k, v) in [
        ("TrialAuthorizedCnt", 0),
        ("UsedTrialAuthorizedCnt", 0),
        ("PurchasedAuthorizedCnt", 0),
        ("UsedPurchasedAuthorizedCnt", 7),
    ] {
        none_held[k] = json!(v);
    }
    let mut odd = data(10, 10, 1, 1);
    odd["ScannedImageCnt"] = json!(-1);
    let mut down = account(5, "down", data(1, 1, 1, 1));
    down.faults.persistent_error = Some("InternalError.ErrRoleNotExist".into());
    let names = ["far-over", "over", "none-held", "idle", "odd", "down"];
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![
            account(0, names[0], data(100, 130, 1, 1)),
            account(1, names[1], data(50, 55, 1, 1)),
            account(2, names[2], none_held),
            account(3, names[3], data(200, 20, 1, 1)),
            account(4, names[4], odd),
            down,
        ],
    });
    let (config, env) = keyed_config(&names);
    let cfg = h.config("", &config);
    let metrics = h.out().with_file_name("tcss.prom");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let o = h.run(
        &cfg,
        &env,
        &[
            "--fail-on",
            "licenses_short > 40",
            "--fail-on",
            "total.accounts_over_licensed >= 3",
            "--metrics-file",
            metrics.to_str().unwrap(),
        ],
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(4), "{err}");

    // JSON: the totals, exactly; one warning (the negative count), not four.
    let j = h.json();
    let t = &j["totals"];
    assert_eq!(t["accounts_over_licensed"], 3);
    assert_eq!(t["licenses_short"], 30 + 5 + 7);
    assert_eq!(t["licenses_idle"], 180);
    assert_eq!(t["remaining_authorized"], 180 - 42);
    assert_eq!(t["queries_with_warning"], 1);
    let breaches: Vec<&str> = j["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["expression"].as_str().unwrap())
        .collect();
    assert_eq!(
        breaches,
        ["licenses_short > 40", "total.accounts_over_licensed >= 3"]
    );
    let warned: Vec<&str> = j["regions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["warning"].is_string())
        .map(|r| r["account"].as_str().unwrap())
        .collect();
    assert_eq!(warned, ["odd"]);

    // XLSX: the Summary has the totals; the Errors sheet the failure and
    // the real warning only, the failure first.
    let xlsx = h.report(".xlsx");
    let summary = sheet_rows(&xlsx, "Summary");
    let value = |label: &str| {
        summary
            .iter()
            .find(|r| r[0] == label)
            .map(|r| r[1].clone())
            .unwrap_or_else(|| panic!("no {label}"))
    };
    assert_eq!(value("Over-licensed accounts"), "3");
    assert_eq!(value("Licenses short"), "42");
    assert_eq!(value("Licenses idle"), "180");
    let errors = sheet_rows(&xlsx, "Errors");
    // The failing account's three queries (images and the two account-wide
    // actions, issue 21), then the warning.
    let accounts: Vec<&str> = errors[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(accounts, ["down", "down", "down", "odd"], "{errors:?}");

    // Markdown: the over-use totals and table (largest shortfall first),
    // the warning counted apart.
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    for line in [
        "| Over-licensed accounts | 3 |",
        "| Licenses short | 42 |",
        "| Licenses idle | 180 |",
        "## Over-licensed accounts (3, 42 licenses short)\n",
        "## Warnings (1)\n",
        "| odd | ap-guangzhou | negative count: ScannedImageCnt = -1 |",
    ] {
        assert!(md.contains(line), "{line:?} in\n{md}");
    }
    let order: Vec<usize> = [
        "| far-over | 300000000000 | 130 | 100 | 30 |",
        "| none-held | 300000000002 | 7 | 0 | 7 |",
        "| over | 300000000001 | 55 | 50 | 5 |",
    ]
    .iter()
    .map(|row| md.find(row).unwrap_or_else(|| panic!("{row} in\n{md}")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{md}");

    // The metrics, the closing summary and the history.
    let prom = std::fs::read_to_string(&metrics).unwrap();
    for line in [
        r#"tcss_total_image_licenses{kind="short"} 42"#,
        r#"tcss_total_image_licenses{kind="idle"} 180"#,
        "tcss_total_over_licensed_accounts 3",
    ] {
        assert!(prom.lines().any(|l| l == line), "{line} in\n{prom}");
    }
    assert!(err.contains("3 over-licensed accounts"), "{err}");
    let db = rusqlite::Connection::open(h.out().join("history.sqlite")).unwrap();
    let recorded: (i64, i64, i64) = db
        .query_row(
            "SELECT accounts_over_licensed, licenses_short, licenses_idle FROM runs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(recorded, (3, 42, 180));
}

/// A Beijing time `days` from now, as the API writes it.
fn beijing(days: i64) -> String {
    let t = chrono::Utc::now() + chrono::Duration::days(days) + chrono::Duration::hours(8 + 12);
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The issue's 769 quotas of which the 50 shown had all ended a year ago:
/// the quota ending in 10 days is listed first in its own section, the
/// ended ones counted apart, the most recently ended first.
#[test]
fn scan_quotas_ending_soon_are_apart_from_those_already_ended() {
    let names: Vec<String> = (0..14).map(|i| format!("acct-{i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let accounts = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut d = data(100, 10, 1, 1);
            // acct-00 ends in 10 days; the others ended 400 + i days ago,
            // acct-13 only 3 days ago.
            let end = match i {
                0 => beijing(10),
                13 => beijing(-3),
                _ => beijing(-400 - i as i64),
            };
            d["ImageScanInquireInfo"]["EndTime"] = json!(end);
            account(i, name, d)
        })
        .collect();
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts,
    });
    let (config, env) = keyed_config(&names);
    let cfg = h.config("", &config);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let o = h.run(&cfg, &env, &["--formats", "md"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    let ending = md
        .find("## Scan quotas ending within 30 days\n")
        .expect(&md);
    let ended = md.find("## Scan quotas already ended (13)\n").expect(&md);
    let section = &md[ending..ended];
    let rows: Vec<&str> = section
        .lines()
        .filter(|l| l.starts_with("| acct"))
        .collect();
    assert_eq!(rows.len(), 1, "{section}");
    assert!(
        rows[0].starts_with("| acct-00 | ") && rows[0].contains(" | 10 | Normal |"),
        "{section}"
    );
    let rest = &md[ended..];
    assert!(
        rest.contains("13 of the accounts' scan quotas have ended"),
        "{rest}"
    );
    let listed: Vec<&str> = rest
        .lines()
        .filter(|l| l.starts_with("| acct"))
        .map(|l| &l[2..9])
        .collect();
    assert_eq!(
        listed,
        [
            "acct-13", "acct-01", "acct-02", "acct-03", "acct-04", "acct-05", "acct-06", "acct-07",
            "acct-08", "acct-09"
        ],
        "{rest}"
    );
    assert!(rest.contains("… and 3 more, see the XLSX or CSV"), "{rest}");
}
