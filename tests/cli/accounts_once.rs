//! Every account counted once, and over-use always seen (issue 18): an
//! explicit UIN written twice is refused before any call; accounts that turn
//! out to share a UIN (two key pairs of one account) are counted once and
//! flagged; `--simulate` with shared keys runs; an account with 0 licenses
//! and 5 used breaches `remaining_authorized < 0`; a sum too large for the
//! reports is left empty and flagged, never shown capped.

use serde_json::json;
use tcss_sim::{Fleet, KeyPair};

use crate::harness::*;

const TCSS: &str = "DescribeImageAuthorizedInfo";

#[test]
fn an_explicit_uin_written_twice_exits_2_at_validate_and_run_naming_both_places() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![
            mgmt(data(100, 40, 30, 10)),
            member("200000000001", "m1", MGMT_UIN, data(10, 1, 1, 1)),
        ],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n\
         [[accounts]]\nname = \"m1\"\nrole_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n\
         [[accounts]]\nname = \"m1-again\"\nuin = \"200000000001\"\nrole_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n"
    );
    let cfg = h.config("", &accounts);
    for cmd in ["validate", "run"] {
        let mut c = bin();
        c.arg(cmd).arg("--config").arg(&cfg).envs(MGMT_ENV);
        if cmd == "run" {
            c.arg("--out").arg(h.out());
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
        let e = stderr(&o);
        assert!(
            e.contains(
                "accounts.toml:17:7: account `m1-again`: UIN 200000000001 is also the UIN of \
                 account `m1`"
            ),
            "{cmd}: {e}"
        );
        assert!(
            e.contains("(") && e.contains("accounts.toml:13:12)"),
            "{cmd}: {e}"
        );
    }
    assert_eq!(h.snapshot().total, 0, "no request");
    assert!(!h.out().exists(), "no report");
}

/// Two key pairs of one account, configured as two accounts without a
/// `uin`: both UINs are learned equal, the account is counted once (in the
/// first row), the second row keeps its numbers and is flagged, naming the
/// first.
#[test]
fn two_key_pairs_of_one_account_are_counted_once_and_flagged() {
    let mut pair = keyed(
        "300000000001",
        "pair",
        "AKIDpair00000000000000000000001",
        "pair-secret-key-0000001",
        data(100, 40, 30, 10),
    );
    pair.keys.push(KeyPair {
        secret_id: "AKIDpair00000000000000000000002".into(),
        secret_key: "pair-secret-key-0000002".into(),
    });
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(50, 10, 10, 10)), pair],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}\
         [[accounts]]\nname = \"ops-key\"\nsecret_id_env = \"P1_ID\"\nsecret_key_env = \"P1_KEY\"\n\
         [[accounts]]\nname = \"ci-key\"\nsecret_id_env = \"P2_ID\"\nsecret_key_env = \"P2_KEY\"\n"
    );
    let cfg = h.config("", &accounts);
    let mut env = MGMT_ENV.to_vec();
    env.extend([
        ("P1_ID", "AKIDpair00000000000000000000001"),
        ("P1_KEY", "pair-secret-key-0000001"),
        ("P2_ID", "AKIDpair00000000000000000000002"),
        ("P2_KEY", "pair-secret-key-0000002"),
    ]);
    let o = h.run(&cfg, &env, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        h.snapshot().requests("300000000001", TCSS),
        2,
        "both queried"
    );
    let rows = h.csv(".accounts.csv");
    assert_eq!(rows.len(), 3, "every configured account has its row");
    for name in ["ops-key", "ci-key"] {
        assert_eq!(row(&rows, name)["uin"], "300000000001");
        assert_eq!(row(&rows, name)["total_authorized"], "100", "numbers kept");
    }
    let j = h.json();
    let t = &j["totals"];
    assert_eq!(t["accounts"], 2, "mgmt and the pair, once");
    assert_eq!(t["accounts_ok"], 2);
    assert_eq!(t["total_authorized"], 150);
    assert_eq!(t["used_authorized"], 50);
    let regions = h.csv(".regions.csv");
    assert_eq!(rows_of(&regions, "ops-key")[0]["warning"], "");
    let w = &rows_of(&regions, "ci-key")[0]["warning"];
    assert!(
        w.starts_with("the same UIN 300000000001 as account `ops-key`"),
        "{w}"
    );
    assert!(w.contains("left out of the totals"), "{w}");
    assert_eq!(t["queries_with_warning"], 1);
}

/// `--simulate` with two accounts on the same key variables: one simulated
/// account, the run completes (it exited 1 with "secret_id is used twice"),
/// counted once and flagged; with the variables set or not (demo keys).
#[test]
fn simulate_with_shared_keys_runs_and_counts_the_account_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("accounts.toml");
    std::fs::write(
        &cfg,
        "[[accounts]]\nname = \"a\"\nsecret_id_env = \"K_ID\"\nsecret_key_env = \"K_KEY\"\n\
         [[accounts]]\nname = \"b\"\nsecret_id_env = \"K_ID\"\nsecret_key_env = \"K_KEY\"\n\
         [[accounts]]\nname = \"c\"\nsecret_id_env = \"C_ID\"\nsecret_key_env = \"C_KEY\"\n",
    )
    .unwrap();
    for (i, keys) in [
        vec![
            ("K_ID", "AKIDshared000000000000000001"),
            ("K_KEY", "shared-key-1"),
        ],
        vec![],
    ]
    .into_iter()
    .enumerate()
    {
        let out = dir.path().join(format!("out{i}"));
        let o = bin()
            .args(["run", "--simulate", "--no-history", "--config"])
            .arg(&cfg)
            .arg("--out")
            .arg(&out)
            .envs(keys)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let json = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "json"))
            .unwrap();
        let j: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
        let accounts = j["accounts"].as_array().unwrap();
        assert_eq!(accounts[0]["uin"], accounts[1]["uin"], "{accounts:?}");
        assert_ne!(accounts[0]["uin"], accounts[2]["uin"]);
        let one = accounts[0]["total_authorized"].as_i64().unwrap();
        let other = accounts[2]["total_authorized"].as_i64().unwrap();
        assert_eq!(j["totals"]["accounts"], 2);
        assert_eq!(j["totals"]["total_authorized"], json!(one + other));
        let w = j["regions"][1]["warning"].as_str().unwrap_or_default();
        assert!(w.contains("as account `a`"), "{w}");
    }
}

/// Two accounts whose licenses add up past what an i64 holds: the total is
/// left empty (it was shown capped at 9223372036854775807 as if true), and
/// the account whose value made it too large is flagged.
#[test]
fn a_total_too_large_to_hold_is_empty_and_flagged_never_capped() {
    let mut huge = data(100, 40, 30, 10);
    huge["TotalAuthorizedCnt"] = json!(i64::MAX);
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![
            mgmt(huge.clone()),
            member("200000000001", "m1", MGMT_UIN, huge),
        ],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}\
         [[accounts]]\nname = \"m1\"\nrole_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n"
    );
    let cfg = h.config("", &accounts);
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j = h.json();
    assert_eq!(j["totals"]["total_authorized"], serde_json::Value::Null);
    assert_eq!(j["totals"]["used_authorized"], 80);
    let rows = h.csv(".accounts.csv");
    assert_eq!(row(&rows, "m1")["total_authorized"], i64::MAX.to_string());
    let regions = h.csv(".regions.csv");
    assert_eq!(rows_of(&regions, "mgmt")[0]["warning"], "");
    let w = &rows_of(&regions, "m1")[0]["warning"];
    assert!(
        w.starts_with(
            "adding this account's total_authorized (9223372036854775807) to the run's total \
             goes past the largest number the reports hold"
        ),
        "{w}"
    );
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    assert!(md.contains("| Licenses total | n/a |"), "{md}");
}

/// An account holding 0 image licenses and using 5: its utilization is
/// undefined, so `utilization >= 90%` never sees it; the README's gate
/// `remaining_authorized < 0` does (exit 4), and so does the default alert
/// rule, fed the run's own metrics through `promtool test rules`.
#[test]
fn an_account_with_0_licenses_and_5_used_breaches_the_gate_and_trips_the_alert() {
    let mut zero = data(0, 5, 3, 3);
    zero["PurchasedAuthorizedCnt"] = json!(0);
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![
            mgmt(data(100, 40, 30, 10)),
            member("200000000001", "zero", MGMT_UIN, zero),
        ],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}\
         [[accounts]]\nname = \"zero\"\nrole_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n"
    );
    let cfg = h.config("", &accounts);
    let args = [
        "--formats",
        "csv,json,md,prom",
        "--fail-on",
        "utilization >= 90%",
        "--fail-on",
        "remaining_authorized < 0",
    ];
    let o = h.run(&cfg, &MGMT_ENV, &args);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let j = h.json();
    let zero = &j["accounts"][1];
    assert_eq!(zero["remaining_authorized"], -5);
    assert_eq!(zero["utilization"], serde_json::Value::Null, "undefined");
    let breaches = j["breaches"].as_array().unwrap();
    assert_eq!(breaches.len(), 1, "{breaches:?}");
    assert_eq!(breaches[0]["account"], "zero");
    assert_eq!(breaches[0]["expression"], "remaining_authorized < 0");
    assert_eq!(breaches[0]["value"], -5);

    let Some(promtool) = crate::metrics::promtool() else {
        return;
    };
    let prom = std::fs::read_to_string(h.report(".prom")).unwrap();
    let series: Vec<String> = prom
        .lines()
        .filter(|l| {
            l.starts_with("tcss_image_licenses{")
                || l.starts_with("tcss_image_license_utilization_ratio{")
        })
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(s, v)| format!("      - series: '{s}'\n        values: '{v}x3'\n"))
        .collect();
    assert!(series.len() >= 12, "{prom}");
    let rules =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/alerts/tcss-report.rules.yml");
    let test = format!(
        "rule_files:\n  - {}\nevaluation_interval: 5m\ntests:\n  - interval: 1h\n    input_series:\n{}\
         \x20   alert_rule_test:\n\
         \x20     - eval_time: 1h\n        alertname: TcssImageLicensesOverused\n        exp_alerts:\n\
         \x20         - exp_labels:\n              severity: critical\n              account: zero\n              uin: \"200000000001\"\n\
         \x20           exp_annotations:\n              summary: \"zero (200000000001) uses 5 more image-scan licenses than it holds\"\n\
         \x20     - eval_time: 1h\n        alertname: TcssImageLicensesNearlyExhausted\n        exp_alerts: []\n",
        rules.display(),
        series.concat()
    );
    let file = h.out().join("over-use.test.yml");
    std::fs::write(&file, test).unwrap();
    let o = std::process::Command::new(promtool)
        .args(["test", "rules"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
