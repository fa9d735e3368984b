//! `run --compare` end to end (issue 12): two runs against the simulator with
//! the fleet changed between them (one account used more licenses, one
//! vanished, one is new), the second compared with the first's snapshot;
//! the JSON `change` values, the XLSX Changes sheet and the Markdown
//! section checked. A bad snapshot, and `--compare last` with `--no-history`,
//! are usage errors before any call (`--compare last` itself: history.rs).

use std::path::{Path, PathBuf};

use calamine::{open_workbook, Data, Reader, Xlsx};
use serde_json::{json, Value};
use tcss_sim::Fleet;

use crate::harness::*;

fn role(name: &str, uin: &str) -> String {
    format!(
        "[[accounts]]\nname = \"{name}\"\nrole_arn = \"qcs::cam::uin/{uin}:roleName/Audit\"\nsource_account = \"mgmt\"\n"
    )
}

/// The first run: mgmt 40 of 100 used, m1 20 of 50, m2 10 of 30. Returns
/// its JSON snapshot, copied to `keep`.
fn first_run(keep: &Path) -> (PathBuf, Value) {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![
            mgmt(data(100, 40, 30, 10)),
            member("200000000001", "m1", MGMT_UIN, data(50, 20, 10, 10)),
            member("200000000002", "m2", MGMT_UIN, data(30, 10, 5, 5)),
        ],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}{}{}",
        role("m1", "200000000001"),
        role("m2", "200000000002")
    );
    let o = h.run(&h.config("", &accounts), &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let path = keep.join("first.json");
    std::fs::copy(h.report(".json"), &path).unwrap();
    (path, h.json())
}

/// The second fleet: mgmt now 70 of 120 and 35 scanned, m1 unchanged, m2
/// gone, m3 new with its scan quota used beyond capacity.
fn second_harness() -> (Harness, PathBuf) {
    let mut m3 = data(10, 12, 3, 1);
    m3["ImageScanInquireInfo"]["Useage"] = json!(1500);
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![
            mgmt(data(120, 70, 35, 10)),
            member("200000000001", "m1", MGMT_UIN, data(50, 20, 10, 10)),
            member("200000000003", "m3", MGMT_UIN, m3),
        ],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}{}{}",
        role("m1", "200000000001"),
        role("m3", "200000000003")
    );
    let cfg = h.config("", &accounts);
    (h, cfg)
}

fn account<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == name)
        .unwrap_or_else(|| panic!("no account {name}"))
}

#[test]
fn a_second_run_compared_with_the_first_snapshot() {
    let keep = tempfile::tempdir().unwrap();
    let (first_path, first) = first_run(keep.path());
    assert!(first.get("comparison").is_none(), "no --compare, no key");
    assert!(first["accounts"][0].get("change").is_none());

    let (h, cfg) = second_harness();
    let o = h.run(
        &cfg,
        &MGMT_ENV,
        &["--compare", first_path.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("compared with the earlier run"),
        "{}",
        stderr(&o)
    );

    let v = h.json();
    let mut header = v["comparison"].clone();
    let totals = header
        .as_object_mut()
        .unwrap()
        .remove("totals")
        .expect("comparison.totals");
    assert_eq!(
        header,
        json!({
            "previous_run": first["run"]["stem"],
            "previous_generated_at": first["generated_at"],
            "accounts_matched": 2, "accounts_new": 1, "accounts_vanished": 1, "note": null
        })
    );
    // The totals then (the snapshot's `totals`) and now, every count.
    let side = |key: &str| -> (Value, Value, Value) {
        let t = &totals[key];
        (
            t["previous"].clone(),
            t["current"].clone(),
            t["change"].clone(),
        )
    };
    assert_eq!(side("total_authorized"), (json!(180), json!(180), json!(0)));
    assert_eq!(side("used_authorized"), (json!(70), json!(102), json!(32)));
    assert_eq!(side("licenses_short"), (json!(0), json!(2), json!(2)));
    assert_eq!(side("licenses_idle"), (json!(110), json!(80), json!(-30)));
    assert_eq!(
        side("accounts_over_licensed"),
        (json!(0), json!(1), json!(1))
    );
    assert_eq!(side("accounts"), (json!(3), json!(3), json!(0)));
    for (key, value) in v["totals"].as_object().unwrap() {
        let is_count = value.is_i64() || value.is_u64();
        assert_eq!(
            totals.get(key).is_some(),
            is_count,
            "{key}: every count, no ratio"
        );
    }
    let c = &account(&v, "mgmt")["change"];
    assert_eq!(c["total_authorized"], json!(20));
    assert_eq!(c["used_authorized"], json!(30));
    assert_eq!(c["remaining_authorized"], json!(-10));
    assert_eq!(c["scanned_images"], json!(5));
    assert_eq!(c["duplicate_images"], json!(0));
    assert_eq!(c["scan_quota_used"], json!(0));
    let du = 70.0 / 120.0 - 0.4;
    assert!(
        (c["utilization"].as_f64().unwrap() - du).abs() < 1e-12,
        "{c}"
    );
    let m1 = &account(&v, "m1")["change"];
    assert!(
        m1.as_object()
            .unwrap()
            .values()
            .all(|x| x == &json!(0) || x == &json!(0.0)),
        "{m1}"
    );
    assert_eq!(account(&v, "m3")["change"], Value::Null);
    let vanished = v["vanished_accounts"].as_array().unwrap();
    assert_eq!(vanished.len(), 1);
    assert_eq!(vanished[0]["account"], "m2");
    assert_eq!(vanished[0]["uin"], "200000000002");
    assert_eq!(vanished[0]["used_authorized"], json!(10));
    assert_eq!(vanished[0]["status"], "ok");

    // XLSX: the Changes sheet opens with the totals then and now, the
    // licenses bought (mgmt: 100 to 120); below them every account, biggest
    // mover first, then unchanged, new, vanished.
    let mut wb: Xlsx<_> = open_workbook(h.report(".xlsx")).unwrap();
    let sheet = wb.worksheet_range("Changes").unwrap();
    let row_of = |text: &str| {
        sheet
            .rows()
            .position(|r| r[0] == Data::String(text.into()))
            .unwrap_or_else(|| panic!("no {text} row"))
    };
    let used = row_of("Licenses used");
    assert_eq!(
        sheet.rows().nth(used).unwrap()[1..4],
        [Data::Float(70.0), Data::Float(102.0), Data::Float(32.0)]
    );
    let bought = row_of("Licenses bought or released (1)");
    assert_eq!(
        sheet.rows().nth(bought + 2).unwrap()[..5],
        [
            Data::String("mgmt".into()),
            Data::String(MGMT_UIN.into()),
            Data::Float(100.0),
            Data::Float(120.0),
            Data::Float(20.0)
        ]
    );
    let top = row_of("Every account") + 1;
    assert!(used < bought && bought < top);
    let sheet = sheet.range((top as u32, 0), sheet.end().unwrap());
    let header = header_row(&sheet);
    // Headers are labels: `Licenses used (previous)` for the JSON's
    // `used_authorized` then (they were `used_authorized.previous`).
    let label = |name: &str| match name {
        "account" => "Account".to_string(),
        "uin" => "UIN".to_string(),
        "comparison" => "Comparison".to_string(),
        other => {
            let (key, side) = other.split_once('.').unwrap();
            let what = match key {
                "used_authorized" => "Licenses used",
                "utilization" => "Utilization",
                _ => panic!("{key}"),
            };
            format!("{what} ({side})")
        }
    };
    let col = |name: &str| header.iter().position(|h| *h == label(name)).unwrap();
    // The last row is the totals row.
    let last = sheet.height() - 1;
    assert_eq!(sheet.get((last, 0)), Some(&Data::String("Total".into())));
    let rows: Vec<(String, String)> = sheet
        .rows()
        .skip(1)
        .take(last - 1)
        .map(|r| {
            (
                r[col("account")].to_string(),
                r[col("comparison")].to_string(),
            )
        })
        .collect();
    let expected = [
        ("mgmt", "changed"),
        ("m1", "unchanged"),
        ("m3", "new"),
        ("m2", "vanished"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, k)| (a.to_string(), k.to_string()))
        .collect();
    assert_eq!(rows, expected);
    let get = |r: usize, name: &str| sheet.get((r, col(name))).cloned();
    assert_eq!(get(1, "uin"), Some(Data::String(MGMT_UIN.into())));
    assert_eq!(get(1, "used_authorized.previous"), Some(Data::Float(40.0)));
    assert_eq!(get(1, "used_authorized.current"), Some(Data::Float(70.0)));
    assert_eq!(get(1, "used_authorized.change"), Some(Data::Float(30.0)));
    match get(1, "utilization.change") {
        Some(Data::Float(pp)) => assert!((pp - du * 100.0).abs() < 1e-9, "{pp}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(get(4, "used_authorized.previous"), Some(Data::Float(10.0)));
    assert!(matches!(
        get(4, "used_authorized.current"),
        None | Some(Data::Empty)
    ));

    // Markdown: the section, and the quota of m3 flagged.
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    let since = chrono::DateTime::parse_from_rfc3339(first["generated_at"].as_str().unwrap())
        .unwrap()
        .format("%Y-%m-%d %H:%M UTC")
        .to_string();
    assert!(md.contains(&format!("## Changes since {since}\n")), "{md}");
    assert!(
        md.contains("2 matched, 1 changed, 1 new, 1 vanished."),
        "{md}"
    );
    assert!(md.contains("| Licenses used | 70 | 102 | +32 |"), "{md}");
    assert!(md.contains("| Licenses short | 0 | 2 | +2 |"), "{md}");
    assert!(md.contains("### Licenses bought or released (1)\n"), "{md}");
    assert!(
        md.contains("| mgmt | 100000000001 | 100 → 120 | +20 |"),
        "{md}"
    );
    assert!(
        md.contains(
            "| mgmt | 100000000001 | 40 → 70 | +30 | +20 | -10 | +18.3 pp | +5 | +0 | +0 |"
        ),
        "{md}"
    );
    assert!(
        md.contains("| m3 | 200000000003 | ok | 12 | 10 | 120.0% |"),
        "{md}"
    );
    assert!(
        md.contains("| m2 | 200000000002 | ok | 10 | 30 | 33.3% |"),
        "{md}"
    );
    assert!(md.contains("| Duplicate images | 6 |"), "{md}");
    assert!(
        md.contains("| Scan quotas used beyond capacity | ⚠ **1 account** |"),
        "{md}"
    );
    assert!(
        md.contains("| m3 | 200000000003 | 1,500 | 1,000 | 150.0% |"),
        "{md}"
    );
}

#[test]
fn a_bad_snapshot_is_a_usage_error_before_any_call() {
    let (h, cfg) = second_harness();
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"schema_version\": 1,\n oops}").unwrap();
    let other = dir.path().join("other.json");
    std::fs::write(&other, "{\"schema_version\": 7}").unwrap();
    for (arg, wanted) in [
        (
            dir.path().join("missing.json"),
            "missing.json: no such file".to_string(),
        ),
        (
            broken.clone(),
            format!("{}: not valid JSON", broken.display()),
        ),
        (
            other.clone(),
            "schema_version 7 is not one this tcss-report reads".to_string(),
        ),
        (
            dir.path().to_path_buf(),
            "is a folder, not a regular file".to_string(),
        ),
    ] {
        let o = h.run(&cfg, &MGMT_ENV, &["--compare", arg.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(&wanted), "{wanted:?} in {}", stderr(&o));
    }
    let o = h.run(&cfg, &MGMT_ENV, &["--compare", "last", "--no-history"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("`--compare last` needs the history database"),
        "{}",
        stderr(&o)
    );
    assert_eq!(h.snapshot().total, 0, "nothing was called");
    let written = std::fs::read_dir(h.out()).map_or(0, |d| {
        d.filter(|e| {
            !e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count()
    });
    assert_eq!(written, 0, "no report written");
}
