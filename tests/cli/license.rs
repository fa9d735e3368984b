//! The whole license picture (issue 21): `DescribePurchaseStateInfo` and
//! `DescribeImageAutoAuthorizedRule` asked once per account, in its first
//! region, beside the per-region `DescribeImageAuthorizedInfo`; every
//! edition, core and auto-authorization column exact in the CSV, the JSON
//! and the XLSX against a fleet of every edition state, renewal value,
//! `null` field, empty time and value no documentation names; a failed
//! account-wide action makes its account `partial` and is listed with its
//! action everywhere; `--fail-on 'days_to_lapse <= 30'` breaches exactly
//! the editions that lapse for want of renewal; `collect` / `--collect`;
//! an older history database migrates and keeps the new columns.

use std::collections::{BTreeMap, HashMap};

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{Duration, FixedOffset, Utc};
use serde_json::{json, Map, Value};
use tcss_sim::{Faults, Fleet};

use crate::harness::*;

const PURCHASE: &str = "DescribePurchaseStateInfo";
const RULE: &str = "DescribeImageAutoAuthorizedRule";
const IMAGES: &str = "DescribeImageAuthorizedInfo";

/// The license columns, in the contract's order, with their XLSX labels
/// (the sheet may show either).
const COLUMNS: [(&str, &str); 19] = [
    ("edition", "Edition"),
    ("edition_sub_state", "Edition sub-state"),
    ("edition_start", "Edition starts (UTC+8)"),
    ("edition_end", "Edition ends (UTC+8)"),
    ("edition_days_left", "Edition days left"),
    ("auto_renew", "Auto-renewal"),
    ("days_to_lapse", "Days to lapse"),
    ("cores_total", "Cores"),
    ("cores_protected", "Cores protected"),
    ("cores_unprotected", "Cores unprotected"),
    ("cores_purchased", "Cores purchased"),
    ("cores_trial", "Trial cores"),
    ("cores_flexible", "Flexible cores"),
    ("cores_flexible_limit", "Flexible cores limit"),
    ("core_coverage", "Core coverage"),
    ("image_licenses_given", "Image licenses given"),
    ("auto_authorize", "Auto-authorization"),
    ("auto_authorize_daily_cap", "Auto-authorization daily cap"),
    ("auto_authorize_hosts", "Auto-authorization hosts"),
];

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// A Beijing time (`YYYY-MM-DD HH:MM:SS`) half a day past `days` whole days
/// from now, so the run (started within the half day) counts `days` days
/// left; and the same time as the reports write it.
fn at(days: i64) -> (String, String) {
    let t = (Utc::now() + Duration::days(days) + Duration::hours(12)).with_timezone(&beijing());
    (
        t.format("%Y-%m-%d %H:%M:%S").to_string(),
        t.format("%Y-%m-%dT%H:%M:%S+08:00").to_string(),
    )
}

fn object(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

/// An edition answer: `state`, ending at `end` (`""`: no time), renewal
/// `renewal`, cores (purchased, given, flexible, unprotected).
fn edition(state: i64, end: &str, renewal: i64, cores: [i64; 4]) -> Map<String, Value> {
    let [purchased, given, flexible, unprotected] = cores;
    let protected = purchased + given + flexible;
    object(json!({
        "State": state, "AllCoresCnt": protected + unprotected, "CoresCnt": protected,
        "UndefendCoresCnt": unprotected, "AuthorizedCoresCnt": purchased,
        "GivenAuthorizedCoresCnt": given, "CurrentFlexibleCoresCnt": flexible,
        "FlexibleCoresLimit": if flexible > 0 { 64 } else { 0 },
        "ExpirationTime": end, "BeginTime": if end.is_empty() { "" } else { "2025-01-01 00:00:00" },
        "AutomaticRenewal": renewal, "SubState": if state == 3 { "NORMAL" } else { "" },
        "GivenAuthorizedCnt": if state == 2 { 50 } else { 0 }, "ImageCnt": 7,
    }))
}

fn rule(enabled: Value, range: &str, hosts: i64, cap: i64) -> Map<String, Value> {
    object(
        json!({"IsEnabled": enabled, "RangeType": range, "HostCount": hosts,
                  "MaxDailyCount": cap, "RuleId": 7}),
    )
}

/// One account of the fleet: its answers and what every license column
/// of its row must be (CSV text; `""` empty).
struct Case {
    name: &'static str,
    purchase: Option<Map<String, Value>>,
    rule: Option<Map<String, Value>>,
    expect: [String; 19],
}

/// The expected cells, in [`COLUMNS`]' order, from the readable parts.
fn expect(
    words: [&str; 3],
    times: [&str; 3],
    days: [&str; 2],
    cores: [&str; 8],
    rest: [&str; 4],
) -> [String; 19] {
    let [edition, sub, renew] = words;
    let [start, end, _] = times;
    let [left, lapse] = days;
    let [given, auto, cap, hosts] = rest;
    let mut out: Vec<&str> = vec![edition, sub, start, end, left, renew, lapse];
    out.extend(cores);
    out.extend([given, auto, cap, hosts]);
    out.iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .try_into()
        .unwrap()
}

fn cases() -> Vec<Case> {
    let (t10, w10) = at(10);
    let (t30, w30) = at(30);
    let (t31, w31) = at(31);
    let (t5, w5) = at(5);
    let (tm3, wm3) = at(-3);
    let start = "2025-01-01T00:00:00+08:00";
    let no = "";
    let case = |name, purchase, rule, expect| Case {
        name,
        purchase,
        rule,
        expect,
    };
    let mut expired = edition(4, &tm3, 2, [8, 0, 0, 0]);
    expired.insert("SubState".into(), json!("ISOLATE"));
    let mut destroyed = edition(4, &at(-40).0, 0, [0, 0, 0, 2]);
    destroyed.insert("SubState".into(), json!("DESTROED"));
    let mut odd = edition(9, &t5, 194, [4, 0, 0, 0]);
    odd.insert("SubState".into(), json!("NEW"));
    let nulls = object(json!({
        "State": 3, "AllCoresCnt": null, "CoresCnt": null, "UndefendCoresCnt": null,
        "ExpirationTime": null, "BeginTime": "", "AutomaticRenewal": null, "SubState": null,
    }));
    vec![
        case(
            "trial-available",
            Some(edition(0, "", 0, [0, 0, 0, 3])),
            Some(rule(json!(0), "MANUAL", 0, 0)),
            expect(
                ["trial_available", no, "unset"],
                [no, no, no],
                [no, no],
                ["3", "0", "3", "0", "0", "0", "0", "0"],
                ["0", "off", "0", "0"],
            ),
        ),
        case(
            "purchase-only",
            Some(edition(1, "", 2, [0, 0, 0, 0])),
            Some(rule(json!(1), "ALL", 0, 100)),
            expect(
                ["purchase_only", no, "off"],
                [no, no, no],
                [no, no],
                ["0", "0", "0", "0", "0", "0", "0", ""],
                ["0", "all", "100", "0"],
            ),
        ),
        case(
            "trial",
            Some(edition(2, &t10, 0, [0, 20, 0, 5])),
            Some(rule(json!(1), "MANUAL", 3, 20)),
            expect(
                ["trial", no, "unset"],
                [start, &w10, no],
                ["10", "10"],
                ["25", "20", "5", "0", "20", "0", "0", "0.8"],
                ["50", "manual", "20", "3"],
            ),
        ),
        case(
            "pro-renewing",
            Some(edition(3, &t10, 1, [40, 0, 8, 0])),
            Some(rule(json!(1), "CLUSTER", 0, 0)),
            expect(
                ["pro", "NORMAL", "on"],
                [start, &w10, no],
                ["10", no],
                ["48", "48", "0", "40", "0", "8", "64", "1"],
                ["0", "unknown:CLUSTER", "0", "0"],
            ),
        ),
        case(
            "pro-lapsing",
            Some(edition(3, &t30, 2, [8, 0, 0, 4])),
            Some(rule(json!(0), "ALL", 0, 0)),
            expect(
                ["pro", "NORMAL", "off"],
                [start, &w30, no],
                ["30", "30"],
                ["12", "8", "4", "8", "0", "0", "0", "0.6666666666666666"],
                ["0", "off", "0", "0"],
            ),
        ),
        case(
            "pro-31",
            Some(edition(3, &t31, 0, [4, 0, 0, 0])),
            Some(rule(json!(0), "ALL", 0, 0)),
            expect(
                ["pro", "NORMAL", "unset"],
                [start, &w31, no],
                ["31", "31"],
                ["4", "4", "0", "4", "0", "0", "0", "1"],
                ["0", "off", "0", "0"],
            ),
        ),
        case(
            "pro-expired",
            Some(expired),
            Some(rule(json!(0), "ALL", 0, 0)),
            expect(
                ["pro_expired", "ISOLATE", "off"],
                [start, &wm3, no],
                ["-3", "-3"],
                ["8", "8", "0", "8", "0", "0", "0", "1"],
                ["0", "off", "0", "0"],
            ),
        ),
        case(
            "destroyed",
            Some(destroyed),
            Some(rule(json!(0), "ALL", 0, 0)),
            expect(
                ["pro_expired", "DESTROED", "unset"],
                [start, &at(-40).1, no],
                ["-40", "-40"],
                ["2", "0", "2", "0", "0", "0", "0", "0"],
                ["0", "off", "0", "0"],
            ),
        ),
        case(
            "odd",
            Some(odd),
            Some(object(
                json!({"IsEnabled": null, "RangeType": "ALL", "HostCount": 1}),
            )),
            expect(
                ["unknown:9", "NEW", "unknown:194"],
                [start, &w5, no],
                ["5", "5"],
                ["4", "4", "0", "4", "0", "0", "0", "1"],
                ["0", no, no, "1"],
            ),
        ),
        case(
            "nulls",
            Some(nulls),
            Some(Map::new()),
            expect(
                ["pro", no, no],
                [no, no, no],
                [no, no],
                [no, no, no, no, no, no, no, no],
                [no, no, no, no],
            ),
        ),
        // No answers of its own: the simulator's defaults (never bought,
        // no rule).
        case(
            "defaults",
            None,
            None,
            expect(
                ["trial_available", no, "unset"],
                [no, no, no],
                [no, no],
                ["0", "0", "0", "0", "0", "0", "0", ""],
                ["0", "off", "0", "0"],
            ),
        ),
    ]
}

/// Fixes the empty ratio of `purchase-only`-like rows (0 of 0 cores) and
/// the ratios written as decimals: `0.8` is `0.8`.
fn same_number(got: &str, want: &str) -> bool {
    match (got.parse::<f64>(), want.parse::<f64>()) {
        (Ok(g), Ok(w)) => (g - w).abs() < 1e-12,
        _ => got == want,
    }
}

/// A fleet of one keyed account per case (each with two regions), and the
/// config and environment of a run of it.
fn fleet_of(cases: &[Case]) -> (Harness, std::path::PathBuf, Vec<(String, String)>) {
    let mut accounts = Vec::new();
    let mut config = String::new();
    let mut env = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let uin = format!("7000000000{i:02}");
        let id = format!("AKIDlicense{i:020}");
        let key = format!("license-key-{i}");
        let mut a = keyed(&uin, c.name, &id, &key, data(100, 10 * i as i64, 5, 5));
        for (action, answer) in [(PURCHASE, &c.purchase), (RULE, &c.rule)] {
            if let Some(m) = answer {
                a.answers.insert(action.into(), m.clone());
            }
        }
        accounts.push(a);
        config.push_str(&format!(
            "[[accounts]]\nname = \"{}\"\nuin = \"{uin}\"\nsecret_id_env = \"L_ID_{i}\"\n\
             secret_key_env = \"L_KEY_{i}\"\nregions = [\"ap-guangzhou\", \"ap-shanghai\"]\n",
            c.name
        ));
        env.push((format!("L_ID_{i}"), id));
        env.push((format!("L_KEY_{i}"), key));
    }
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts,
    });
    let cfg = h.config("", &config);
    (h, cfg, env)
}

fn env_refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// A JSON value as the CSV writes it.
fn as_csv(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An XLSX cell as the CSV writes it (a date-time as its local
/// `YYYY-MM-DDTHH:MM:SS`, compared with the text's first 19 characters).
fn xlsx_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        // Days since 1899-12-30, as the sheet stores them.
        Data::DateTime(t) => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
            let secs = (t.as_f64() * 86_400.0).round() as i64;
            let at = epoch.and_hms_opt(0, 0, 0).unwrap() + Duration::seconds(secs);
            at.format("%Y-%m-%dT%H:%M:%S").to_string()
        }
        other => other.to_string(),
    }
}

#[test]
fn every_license_column_is_exact_in_the_csv_the_json_and_the_xlsx() {
    let cases = cases();
    let (h, cfg, env) = fleet_of(&cases);
    let o = h.run(&cfg, &env_refs(&env), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = h.csv(".accounts.csv");
    let j = h.json();
    let mut wb: Xlsx<_> = open_workbook(h.report(".xlsx")).unwrap();
    let sheet = wb.worksheet_range("Accounts").unwrap();
    let header: Vec<String> = sheet.rows().next().unwrap().iter().map(xlsx_text).collect();
    let xlsx_col = |key: &str, label: &str| {
        header
            .iter()
            .position(|h| h == key || h == label)
            .unwrap_or_else(|| panic!("no column {key} in the XLSX: {header:?}"))
    };
    // The CSV header: the license columns after request_id, before the tags.
    let csv_header: Vec<String> = csv::Reader::from_path(h.report(".accounts.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let after = csv_header.iter().position(|c| c == "request_id").unwrap() + 1;
    let keys: Vec<&str> = COLUMNS.iter().map(|c| c.0).collect();
    assert_eq!(csv_header[after..], keys[..]);
    for (i, c) in cases.iter().enumerate() {
        let csv_row = row(&rows, c.name);
        let json_row = j["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["account"] == c.name)
            .unwrap();
        let xlsx_row: Vec<String> = sheet
            .rows()
            .nth(i + 1)
            .unwrap()
            .iter()
            .map(xlsx_text)
            .collect();
        assert_eq!(xlsx_row[0], c.name);
        assert_eq!(csv_row["status"], "ok", "{}: {csv_row:?}", c.name);
        for ((key, label), want) in COLUMNS.iter().zip(&c.expect) {
            let who = format!("{}.{key}", c.name);
            let got = &csv_row[*key];
            assert!(
                same_number(got, want),
                "{who}: CSV {got:?}, wanted {want:?}"
            );
            let js = as_csv(&json_row[*key]);
            assert!(
                same_number(&js, want),
                "{who}: JSON {js:?}, wanted {want:?}"
            );
            let x = &xlsx_row[xlsx_col(key, label)];
            let want_x = if key.starts_with("edition_start") || key.starts_with("edition_end") {
                if want.is_empty() || x.ends_with("+08:00") {
                    want.clone()
                } else {
                    want[..19].to_string()
                }
            } else {
                want.clone()
            };
            assert!(
                same_number(x, &want_x),
                "{who}: XLSX {x:?}, wanted {want_x:?}"
            );
        }
    }
    // The totals over every account (all answered): the sums, the weighted
    // coverage and the counts of editions.
    let t = &j["totals"];
    let sum = |key: &str| -> i64 { rows.iter().filter_map(|r| r[key].parse::<i64>().ok()).sum() };
    for key in [
        "cores_total",
        "cores_protected",
        "cores_unprotected",
        "cores_purchased",
    ] {
        assert_eq!(t[key], sum(key), "totals.{key}: {t}");
    }
    let coverage = t["core_coverage"].as_f64().unwrap();
    // Weighted over the rows where both are known.
    let (num, den): (i64, i64) = rows
        .iter()
        .filter_map(|r| {
            Some((
                r["cores_protected"].parse::<i64>().ok()?,
                r["cores_total"].parse::<i64>().ok()?,
            ))
        })
        .fold((0, 0), |(n, d), (a, b)| (n + a, d + b));
    assert!((coverage - num as f64 / den as f64).abs() < 1e-12, "{t}");
    // pro-renewing, pro-lapsing, pro-31, nulls (odd's state is unknown).
    assert_eq!(t["accounts_pro"], 4, "{t}");
    assert_eq!(t["accounts_trial"], 1, "{t}");
    assert_eq!(t["accounts_pro_expired"], 2, "{t}");
    // trial (10), pro-lapsing (30), odd (5): not the renewing one, not 31
    // days, not the lapsed ones.
    assert_eq!(t["editions_lapsing_30d"], 3, "{t}");
    // The account-wide queries: two per account, in its first region.
    let wide = j["account_queries"].as_array().unwrap();
    assert_eq!(wide.len(), 2 * cases.len());
    for q in wide {
        assert_eq!(q["region"], "ap-guangzhou", "{q}");
        assert_eq!(q["status"], "ok", "{q}");
        let mut keys: Vec<&str> = q.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want = [
            "account",
            "uin",
            "action",
            "region",
            "status",
            "error_code",
            "error_message",
            "request_id",
            "attempts",
            "latency_ms",
        ];
        want.sort_unstable();
        assert_eq!(keys, want);
    }
    assert_eq!(
        j["run"]["collect"],
        json!(["images", "edition", "auto_authorize"])
    );
    // The regions CSV keeps the images' queries only.
    assert_eq!(h.csv(".regions.csv").len(), 2 * cases.len());
    // The Markdown lists the three lapsing editions, soonest first.
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    let section = md
        .split("## Editions lapsing within 30 days (no auto-renewal) (3)\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{md}"));
    let names: Vec<&str> = section
        .lines()
        .skip(3)
        .take(3)
        .map(|l| l.split(" | ").next().unwrap().trim_start_matches("| "))
        .collect();
    assert_eq!(names, ["odd", "trial", "pro-lapsing"], "{md}");
    assert!(
        md.contains("**Unprotected cores: 14** in 4 accounts"),
        "{md}"
    );
}

#[test]
fn account_wide_actions_are_asked_once_per_account_in_its_first_region() {
    let mut fleet = Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    };
    fleet
        .accounts
        .push(member("200000000001", "m1", MGMT_UIN, data(50, 10, 10, 10)));
    let h = Harness::new(fleet);
    let accounts = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\nregions = [\"ap-shanghai\", \"ap-guangzhou\", \"ap-beijing\"]\n\
         [[accounts]]\nname = \"m1\"\nrole_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n\
         regions = [\"ap-beijing\", \"ap-guangzhou\"]\n"
    );
    let cfg = h.config("", &accounts);
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let snap = h.snapshot();
    let by = |uin: &str, action: &str| -> Vec<(String, u64)> {
        snap.by_key
            .iter()
            .filter(|r| r.uin == uin && r.action == action)
            .map(|r| (r.region.clone(), r.count))
            .collect()
    };
    for (uin, first) in [(MGMT_UIN, "ap-shanghai"), ("200000000001", "ap-beijing")] {
        for action in [PURCHASE, RULE] {
            assert_eq!(by(uin, action), [(first.to_string(), 1)], "{uin} {action}");
        }
    }
    assert_eq!(snap.requests(MGMT_UIN, IMAGES), 3);
    assert_eq!(snap.requests("200000000001", IMAGES), 2);
    let t = &h.json()["totals"];
    assert_eq!(t["queries"], 9);

    // `--collect images`: none of them; `--collect edition`: that one
    // alone, and no region asked.
    for (collect, purchase, rule, images) in [("images", 0, 0, 5), ("edition", 1, 0, 0)] {
        let h = Harness::new(Fleet {
            settings: Default::default(),
            accounts: vec![mgmt(data(100, 40, 30, 10))],
        });
        let cfg = h.config("", &format!("{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\nregions = [\"ap-shanghai\", \"ap-guangzhou\", \"ap-beijing\", \"ap-chengdu\", \"ap-nanjing\"]\n"));
        let o = h.run(&cfg, &MGMT_ENV, &["--collect", collect]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let snap = h.snapshot();
        assert_eq!(
            [PURCHASE, RULE, IMAGES].map(|a| snap.requests(MGMT_UIN, a)),
            [purchase, rule, images],
            "--collect {collect}"
        );
        let a = &h.csv(".accounts.csv")[0];
        assert_eq!(a["status"], "ok", "{collect}: {a:?}");
        if collect == "images" {
            assert_eq!(a["edition"], "", "not collected: empty");
            assert_eq!(a["cores_total"], "");
            assert_eq!(a["total_authorized"], "100");
        } else {
            assert_eq!(a["edition"], "trial_available");
            assert_eq!(a["total_authorized"], "", "not collected: empty");
            assert_eq!(
                (a["regions_ok"].as_str(), a["regions_failed"].as_str()),
                ("0", "0")
            );
            assert!(h.csv(".regions.csv").is_empty());
        }
    }
}

#[test]
fn collect_in_the_config_and_a_misspelt_word_are_checked() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    let cfg = h.config("collect = [\"auto_authorize\"]\n", MGMT_ACCOUNT);
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let snap = h.snapshot();
    assert_eq!(
        [PURCHASE, RULE, IMAGES].map(|a| snap.requests(MGMT_UIN, a)),
        [0, 1, 0]
    );
    assert_eq!(h.json()["run"]["collect"], json!(["auto_authorize"]));

    let o = h.run(&cfg, &MGMT_ENV, &["--collect", "images,cores"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--collect: `cores` is not something a run collects"),
        "{}",
        stderr(&o)
    );
    let bad = h.config("collect = [\"images\", \"editon\"]\n", MGMT_ACCOUNT);
    let o = h.run(&bad, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("`editon` is not something a run collects (did you mean `edition`?)"),
        "{}",
        stderr(&o)
    );
    let o = bin()
        .args(["validate", "--config"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "validate agrees: {}", stderr(&o));
}

#[test]
fn a_failed_account_wide_action_makes_the_account_partial_and_is_listed_with_its_action() {
    let mut flaky = keyed(
        "300000000001",
        "flaky",
        "AKIDflaky00000000000000001",
        "flaky-secret-1",
        data(50, 10, 5, 5),
    );
    // The first two calls of every action fail, then they answer.
    flaky.faults = Faults {
        first_n: 2,
        first_kind: Some(tcss_sim::FaultKind::InternalError),
        ..Faults::default()
    };
    let mut norole = keyed(
        "300000000002",
        "norole",
        "AKIDnorole0000000000000002",
        "norole-secret-2",
        data(60, 30, 5, 5),
    );
    norole.faults = Faults {
        persistent_error: Some("InternalError.ErrRoleNotExist".into()),
        persistent_actions: Some(vec![PURCHASE.into()]),
        ..Faults::default()
    };
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10)), flaky, norole],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}\
         [[accounts]]\nname = \"flaky\"\nsecret_id_env = \"F_ID\"\nsecret_key_env = \"F_KEY\"\n\
         [[accounts]]\nname = \"norole\"\nsecret_id_env = \"N_ID\"\nsecret_key_env = \"N_KEY\"\n"
    );
    let cfg = h.config("max_attempts = 4\n", &accounts);
    let mut env = MGMT_ENV.to_vec();
    env.extend([
        ("F_ID", "AKIDflaky00000000000000001"),
        ("F_KEY", "flaky-secret-1"),
        ("N_ID", "AKIDnorole0000000000000002"),
        ("N_KEY", "norole-secret-2"),
    ]);
    let o = h.run(&cfg, &env, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    let rows = h.csv(".accounts.csv");
    let f = row(&rows, "flaky");
    assert_eq!(f["status"], "ok", "transient faults are retried: {f:?}");
    assert_eq!(f["edition"], "trial_available");
    let n = row(&rows, "norole");
    assert_eq!(n["status"], "partial", "{n:?}");
    assert_eq!(n["error_code"], "InternalError.ErrRoleNotExist");
    assert_eq!(n["edition"], "", "not answered: empty");
    assert_eq!(n["auto_authorize"], "off", "the other action answered");
    assert_eq!(n["total_authorized"], "60", "the images answered");
    assert_eq!(
        (n["regions_ok"].as_str(), n["regions_failed"].as_str()),
        ("1", "0")
    );
    let j = h.json();
    let wide = |account: &str, action: &str| -> Value {
        j["account_queries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["account"] == account && q["action"] == action)
            .cloned()
            .unwrap_or_else(|| panic!("no {account} {action}"))
    };
    for action in [PURCHASE, RULE] {
        let q = wide("flaky", action);
        assert_eq!(
            (q["status"].as_str(), q["attempts"].as_u64()),
            (Some("ok"), Some(3)),
            "{q}"
        );
    }
    let q = wide("norole", PURCHASE);
    assert_eq!(q["status"], "error");
    assert_eq!(q["error_code"], "InternalError.ErrRoleNotExist");
    assert_eq!(q["attempts"], 1, "final: not retried");
    assert!(!q["request_id"].as_str().unwrap().is_empty());
    assert_eq!(h.snapshot().requests("300000000002", PURCHASE), 1);
    // stderr, the Markdown and the Errors sheet list it with its action.
    assert!(
        err.contains("account=norole action=DescribePurchaseStateInfo region=ap-guangzhou code=InternalError.ErrRoleNotExist"),
        "{err}"
    );
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    assert!(
        md.contains(
            "| norole | DescribePurchaseStateInfo | ap-guangzhou | InternalError.ErrRoleNotExist |"
        ),
        "{md}"
    );
    let mut wb: Xlsx<_> = open_workbook(h.report(".xlsx")).unwrap();
    let errors = wb.worksheet_range("Errors").unwrap();
    let header: Vec<String> = errors
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(xlsx_text)
        .collect();
    let col = |k: &str, label: &str| header.iter().position(|h| h == k || h == label).unwrap();
    let found: Vec<Vec<String>> = errors
        .rows()
        .skip(1)
        .map(|r| r.iter().map(xlsx_text).collect())
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0][col("account", "Account")], "norole");
    assert_eq!(found[0][col("action", "Action")], PURCHASE);
    assert_eq!(
        found[0][col("error_code", "Error code")],
        "InternalError.ErrRoleNotExist"
    );
    // The regions CSV stays the images' queries.
    let regions = h.csv(".regions.csv");
    assert_eq!(regions.len(), 3);
    assert!(regions.iter().all(|r| r["status"] == "ok"));
}

#[test]
fn fail_on_days_to_lapse_breaches_exactly_the_editions_lapsing_for_want_of_renewal() {
    let cases = cases();
    let (h, cfg, env) = fleet_of(&cases);
    let o = h.run(
        &cfg,
        &env_refs(&env),
        &[
            "--fail-on",
            "days_to_lapse <= 30",
            "--fail-on",
            "total.editions_lapsing_30d > 2",
        ],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let j = h.json();
    let mut breached: Vec<(String, i64)> = j["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["expression"] == "days_to_lapse <= 30")
        .map(|b| {
            let account = b["account"].as_str().unwrap().to_string();
            (account, b["value"].as_f64().unwrap() as i64)
        })
        .collect();
    breached.sort();
    // Not renewing automatically and ending within 30 days, or already
    // lapsed; not the renewing one (10 days), not 31 days, not the ones
    // without an end.
    assert_eq!(
        breached,
        [
            ("destroyed".to_string(), -40),
            ("odd".to_string(), 5),
            ("pro-expired".to_string(), -3),
            ("pro-lapsing".to_string(), 30),
            ("trial".to_string(), 10),
        ]
    );
    let total: Vec<&Value> = j["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["scope"] == "total")
        .collect();
    assert_eq!(total.len(), 1);
    assert_eq!(total[0]["value"].as_f64(), Some(3.0));
    // Every new numeric column is a metric; a text one is not.
    let o = h.run(&cfg, &env_refs(&env), &["--fail-on", "auto_renew > 0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    for expr in [
        "cores_unprotected > 100",
        "total.cores_total < 0",
        "core_coverage > 200%",
        "edition_days_left < -1000",
        "cores_flexible_limit > 1000",
        "image_licenses_given > 100",
        "auto_authorize_daily_cap > 1000",
        "auto_authorize_hosts > 100",
        "total.accounts_pro_expired > 10",
        "total.accounts_trial > 10",
        "total.accounts_pro > 10",
        "cores_trial > 100",
        "cores_flexible > 100",
        "cores_purchased > 1000",
        "cores_protected > 1000",
    ] {
        let o = h.run(
            &cfg,
            &env_refs(&env),
            &["--fail-on", expr, "--formats", "json"],
        );
        assert_eq!(o.status.code(), Some(0), "{expr}: {}", stderr(&o));
    }
}

#[test]
fn metrics_carry_the_cores_the_edition_and_its_renewal() {
    let cases = cases();
    let (h, cfg, env) = fleet_of(&cases);
    let o = h.run(&cfg, &env_refs(&env), &["--formats", "json,prom"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let prom = std::fs::read_to_string(h.report(".prom")).unwrap();
    let has = |line: &str| prom.lines().any(|l| l == line);
    let id = |name: &str, i: usize| format!("account=\"{name}\",uin=\"7000000000{i:02}\"");
    assert!(
        has(&format!(
            "tcss_core_licenses{{{},kind=\"unprotected\"}} 4",
            id("pro-lapsing", 4)
        )),
        "{prom}"
    );
    assert!(
        has(&format!(
            "tcss_core_licenses{{{},kind=\"flexible\"}} 8",
            id("pro-renewing", 3)
        )),
        "{prom}"
    );
    assert!(
        has(&format!(
            "tcss_edition_auto_renew{{{}}} 1",
            id("pro-renewing", 3)
        )),
        "{prom}"
    );
    assert!(
        has(&format!("tcss_edition_auto_renew{{{}}} 0", id("odd", 8))),
        "{prom}"
    );
    assert!(
        has(&format!(
            "tcss_edition_info{{{},edition=\"unknown:9\",auto_renew=\"unknown:194\"}} 1",
            id("odd", 8)
        )),
        "{prom}"
    );
    assert!(
        has(&format!(
            "tcss_edition_info{{{},edition=\"pro\",auto_renew=\"\"}} 1",
            id("nulls", 9)
        )),
        "{prom}"
    );
    // No end, no sample; a known end as Unix time.
    assert!(!prom.contains(&format!(
        "tcss_edition_end_timestamp_seconds{{{}}}",
        id("nulls", 9)
    )));
    let j = h.json();
    let end = j["accounts"][4]["edition_end"].as_str().unwrap();
    let ts = chrono::DateTime::parse_from_rfc3339(end)
        .unwrap()
        .timestamp();
    assert!(
        has(&format!(
            "tcss_edition_end_timestamp_seconds{{{}}} {ts}",
            id("pro-lapsing", 4)
        )),
        "{prom}"
    );
    assert!(
        has(&format!(
            "tcss_total_core_licenses{{kind=\"total\"}} {}",
            j["totals"]["cores_total"]
        )),
        "{prom}"
    );
    if let Some(promtool) = crate::metrics::promtool() {
        let o = std::process::Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(std::fs::File::open(h.report(".prom")).unwrap())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

/// An account's `edition`, `days_to_lapse` and `auto_renew` in the history.
type Snapshot = (Option<String>, Option<i64>, Option<String>);

#[test]
fn an_older_history_database_migrates_and_keeps_the_license_columns() {
    let cases = cases();
    let (h, cfg, env) = fleet_of(&cases);
    // A database the release of schema version 2 wrote.
    let db = h.out().join("history.sqlite");
    std::fs::create_dir_all(h.out()).unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/history/fixtures/history-v2.sqlite");
    std::fs::copy(&fixture, &db).unwrap();
    let o = h.run(&cfg, &env_refs(&env), &["--formats", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (id, lapsing, cores): (i64, i64, i64) = conn
        .query_row(
            "SELECT id, editions_lapsing_30d, cores_total FROM runs ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(lapsing, 3);
    assert_eq!(cores, h.json()["totals"]["cores_total"].as_i64().unwrap());
    let got: BTreeMap<String, Snapshot> = conn
        .prepare("SELECT account, edition, days_to_lapse, auto_renew FROM account_snapshots WHERE run_id = ?1")
        .unwrap()
        .query_map([id], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        got["pro-lapsing"],
        (Some("pro".into()), Some(30), Some("off".into()))
    );
    assert_eq!(
        got["odd"],
        (
            Some("unknown:9".into()),
            Some(5),
            Some("unknown:194".into())
        )
    );
    assert_eq!(got["nulls"], (Some("pro".into()), None, None));
    // Older runs hold NULL there.
    let old: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM runs WHERE cores_total IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(old >= 1, "the fixture's runs");
    // A second run compares its cores with the first.
    let o = h.run(
        &cfg,
        &env_refs(&env),
        &[
            "--formats",
            "json",
            "--compare",
            "last",
            "--fail-on",
            "change.cores_unprotected != 0",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let accounts: HashMap<String, Value> = std::fs::read_dir(h.out())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| serde_json::from_slice::<Value>(&std::fs::read(p).unwrap()).unwrap())
        .filter(|v| v["comparison"]["previous_run"].is_string())
        .flat_map(|v| v["accounts"].as_array().unwrap().clone())
        .map(|a| {
            (
                a["account"].as_str().unwrap().to_string(),
                a["change"].clone(),
            )
        })
        .collect();
    assert_eq!(
        accounts["pro-lapsing"]["cores_unprotected"], 0,
        "{accounts:?}"
    );
    assert_eq!(accounts["pro-lapsing"]["cores_total"], 0);
}
