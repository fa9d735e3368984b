//! Chargeback groups end to end (issue 22): `--group-by` and `[defaults]
//! group_by` against the simulator, on a fleet of tagged, untagged, partial
//! and failed accounts. Every key's groups add up to the totals (accounts
//! by status, every sum), ratios are weighted, `share_of_used` sums to 1,
//! the untagged group is in every format (CSV, JSON, XLSX, Markdown, the
//! metrics through promtool); group thresholds exit 4; discovered members
//! group by `org_node`; `history --group-by` gives each run's groups.

#![cfg(unix)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use calamine::{open_workbook, Data, Reader, Xlsx};
use serde_json::Value;
use tcss_sim::{Fleet, OrgFaults, OrgMember, Organization, Settings};

use crate::harness::*;
use crate::history::history_command;
use crate::prom_tools::{promtool, promtool_accepts, python, python_parse, value_of};

fn role(name: &str, uin: &str, extra: &str) -> String {
    format!(
        "[[accounts]]\nname = \"{name}\"\nrole_arn = \"qcs::cam::uin/{uin}:roleName/Audit\"\n\
         source_account = \"mgmt\"\n{extra}"
    )
}

/// mgmt 40 of 100 (team platform, cost center `cc "1"`), m1 45 of 50 (pay,
/// `cc "1"`), m2 10 of 30 (pay), m3 25 of 20 (untagged), m4 failed (ops,
/// its role trusts no one), m5 partial (ops, one region unsupported).
fn fleet() -> (Harness, PathBuf) {
    fleet_with(|_| {})
}

/// [`fleet`], its simulated accounts (mgmt, m1 .. m5) changed by `edit`.
fn fleet_with(edit: impl FnOnce(&mut [tcss_sim::SimAccount])) -> (Harness, PathBuf) {
    let mut m5 = member("200000000005", "m5", MGMT_UIN, data(10, 9, 4, 4));
    m5.regions = Some(vec!["ap-guangzhou".into()]);
    let mut accounts = vec![
        mgmt(data(100, 40, 30, 10)),
        member("200000000001", "m1", MGMT_UIN, data(50, 45, 10, 10)),
        member("200000000002", "m2", MGMT_UIN, data(30, 10, 5, 5)),
        member("200000000003", "m3", MGMT_UIN, data(20, 25, 3, 1)),
        member("200000000004", "m4", "999999999999", data(5, 5, 5, 5)),
        m5,
    ];
    edit(&mut accounts);
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts,
    });
    let cc = r#"cost_center = "cc \"1\"""#;
    let accounts = format!(
        "{MGMT_ACCOUNT}tags = {{ team = \"platform\", {cc} }}\n{}{}{}{}{}",
        role(
            "m1",
            "200000000001",
            &format!("tags = {{ team = \"pay\", {cc} }}\n")
        ),
        role("m2", "200000000002", "tags = { team = \"pay\" }\n"),
        role("m3", "200000000003", ""),
        role("m4", "200000000004", "tags = { team = \"ops\" }\n"),
        role(
            "m5",
            "200000000005",
            "tags = { team = \"ops\" }\nregions = [\"ap-guangzhou\", \"ap-shanghai\"]\n"
        ),
    );
    let cfg = h.config("", &accounts);
    (h, cfg)
}

/// The rows of `<stem>.groups.csv`.
fn groups_csv(h: &Harness) -> Vec<HashMap<String, String>> {
    h.csv(".groups.csv")
}

fn num(v: &str) -> Option<f64> {
    (!v.is_empty()).then(|| v.parse().unwrap())
}

/// Every key's rows add up to the JSON totals: the accounts by status and
/// every count; each ratio is the group's numerator over its denominator;
/// the shares sum to 1.
fn assert_adds_up(rows: &[HashMap<String, String>], totals: &Value, keys: &[&str]) {
    let ratios = [
        ("utilization", "used_authorized", "total_authorized"),
        ("scan_coverage", "scanned_images", "total_images"),
    ];
    for key in keys {
        let mine: Vec<&HashMap<String, String>> =
            rows.iter().filter(|r| r["group_by"] == *key).collect();
        assert_eq!(mine.iter().filter(|r| r["group"].is_empty()).count(), 1);
        for (column, value) in mine[0].iter() {
            if ["group_by", "group", "share_of_used"].contains(&column.as_str())
                || ratios.iter().any(|r| r.0 == column)
            {
                continue;
            }
            let sum: f64 = mine.iter().filter_map(|r| num(&r[column])).sum();
            assert_eq!(
                Some(sum),
                totals[column].as_f64(),
                "{key}: {column} ({value})"
            );
        }
        for g in &mine {
            for (ratio, n, d) in ratios {
                let want = match (num(&g[n]), num(&g[d])) {
                    (Some(n), Some(d)) if d != 0.0 => Some(n / d),
                    _ => None,
                };
                assert_eq!(num(&g[ratio]), want, "{key}/{}: {ratio}", g["group"]);
            }
        }
        let shares: f64 = mine.iter().filter_map(|r| num(&r["share_of_used"])).sum();
        assert!((shares - 1.0).abs() < 1e-9, "{key}: {shares}");
    }
}

#[test]
fn groups_add_up_to_the_totals_in_every_format() {
    let (h, cfg) = fleet();
    let o = h.run(
        &cfg,
        &MGMT_ENV,
        &[
            "--group-by",
            "team",
            "--group-by",
            "cost_center",
            "--formats",
            "csv,xlsx,json,md,prom",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "m4 failed: {}", stderr(&o));
    let j = h.json();
    let t = &j["totals"];
    assert_eq!(
        (
            &t["accounts_ok"],
            &t["accounts_partial"],
            &t["accounts_error"]
        ),
        (&Value::from(4), &Value::from(1), &Value::from(1))
    );
    let rows = groups_csv(&h);
    assert_adds_up(&rows, t, &["team", "cost_center"]);
    let found: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            let f = |k: &str| r[k].as_str();
            (
                f("group_by"),
                f("group"),
                f("accounts"),
                f("used_authorized"),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("team", "pay", "2", "55"),
            ("team", "platform", "1", "40"),
            ("team", "", "1", "25"),
            ("team", "ops", "2", "9"),
            ("cost_center", "cc \"1\"", "2", "85"),
            ("cost_center", "", "4", "44"),
        ],
        "largest use first"
    );
    let ops = &rows[3];
    assert_eq!(
        (
            ops["accounts_partial"].as_str(),
            ops["accounts_error"].as_str()
        ),
        ("1", "1")
    );
    assert_eq!(num(&rows[0]["utilization"]), Some(55.0 / 80.0), "weighted");
    // Over-use per group: m3 (untagged) uses 25 of 20; pay holds 25 idle.
    let over =
        |r: &HashMap<String, String>| (r["licenses_short"].clone(), r["licenses_idle"].clone());
    assert_eq!(over(&rows[2]), ("5".into(), "0".into()));
    assert_eq!(over(&rows[0]), ("0".into(), "25".into()));

    // JSON: the same rows, the untagged group `null`.
    let groups = j["groups"].as_array().unwrap();
    assert_eq!(groups.len(), rows.len());
    for (g, r) in groups.iter().zip(&rows) {
        assert_eq!(g["used_authorized"].as_f64(), num(&r["used_authorized"]));
        assert_eq!(g["accounts"].to_string(), r["accounts"]);
    }
    assert_eq!(groups[2]["group"], Value::Null);
    assert_eq!(groups[4]["group"], "cc \"1\"");

    // XLSX: the Groups sheet, the untagged group shown `(untagged)`.
    let mut wb: Xlsx<_> = open_workbook(h.report(".xlsx")).unwrap();
    assert_eq!(wb.sheet_names()[2], "Groups");
    let sheet = wb.worksheet_range("Groups").unwrap();
    assert_eq!(sheet.height(), 1 + rows.len());
    assert_eq!(sheet.get((3, 1)), Some(&Data::String("(untagged)".into())));
    assert_eq!(sheet.get((3, 7)), Some(&Data::Float(25.0)));

    // Markdown: a table per key, the untagged row in each.
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    assert!(md.contains("## Groups by `team`"), "{md}");
    assert!(md.contains("## Groups by `cost_center`"), "{md}");
    assert!(
        md.contains("| pay | 2 | 55 | 80 | 68.8% | 42.6% | 0 |"),
        "{md}"
    );
    assert!(
        md.contains("| _(untagged)_ | 1 | 25 | 20 | 125.0% | 19.4% | 5 |"),
        "{md}"
    );
    assert_eq!(md.matches("| _(untagged)_ |").count(), 2, "{md}");

    // Metrics: promtool accepts them; the untagged group is `group=""`.
    let text = std::fs::read_to_string(h.report(".prom")).unwrap();
    assert!(
        text.contains(r#"tcss_group_image_licenses{group_by="team",group="",kind="used"} 25"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"tcss_group_image_licenses{group_by="cost_center",group="cc \"1\"",kind="total"} 150"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"tcss_group_image_licenses{group_by="team",group="",kind="short"} 5"#),
        "{text}"
    );
    assert!(
        text.contains(r#"tcss_group_image_licenses{group_by="team",group="pay",kind="idle"} 25"#),
        "{text}"
    );
    if let Some(promtool) = promtool() {
        promtool_accepts(&promtool, &text);
    }
    if let Some(python) = python() {
        let families = python_parse(&python, &text);
        let labels = [
            ("group_by", "cost_center"),
            ("group", "cc \"1\""),
            ("kind", "used"),
        ];
        assert_eq!(
            value_of(&families, "tcss_group_image_licenses", &labels),
            Some(85.0)
        );
    }
}

#[test]
fn the_configs_group_by_is_used_and_the_command_line_replaces_it() {
    let (h, cfg) = fleet();
    let text = std::fs::read_to_string(&cfg).unwrap().replacen(
        "[defaults]\n",
        "[defaults]\ngroup_by = [\"cost_center\", \"cost_centre\"]\n",
        1,
    );
    std::fs::write(&cfg, text).unwrap();
    let o = h.run(&cfg, &MGMT_ENV, &["--formats", "csv,json"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "a key no account carries is no error: {}",
        stderr(&o)
    );
    let e = stderr(&o);
    assert!(
        e.contains("group by `cost_centre`: no account of the run has the tag `cost_centre`"),
        "{e}"
    );
    assert!(e.contains("(did you mean `cost_center`?)"), "{e}");
    let rows = groups_csv(&h);
    let keys: Vec<&str> = rows.iter().map(|r| r["group_by"].as_str()).collect();
    assert_eq!(keys, ["cost_center", "cost_center", "cost_centre"]);
    assert_eq!(rows[2]["accounts"], "6", "every account untagged");
    assert_eq!(num(&rows[2]["share_of_used"]), Some(1.0));

    std::fs::remove_dir_all(h.out()).unwrap();
    let o = h.run(&cfg, &MGMT_ENV, &["--formats", "csv", "--group-by", "team"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let keys: Vec<String> = groups_csv(&h)
        .iter()
        .map(|r| r["group_by"].clone())
        .collect();
    assert!(keys.iter().all(|k| k == "team"), "{keys:?}");

    // Not grouped: no groups file, `groups: []`.
    let plain = h.config("", MGMT_ACCOUNT);
    std::fs::remove_dir_all(h.out()).unwrap();
    let o = h.run(&plain, &MGMT_ENV, &["--formats", "csv,json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let files: Vec<String> = std::fs::read_dir(h.out())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !files.iter().any(|f| f.ends_with(".groups.csv")),
        "{files:?}"
    );
    assert_eq!(h.json()["groups"], serde_json::json!([]));
}

#[test]
fn group_thresholds_breach_per_group_and_exit_4() {
    let (h, cfg) = fleet();
    let o = h.run(
        &cfg,
        &MGMT_ENV,
        &[
            "--formats",
            "json,md",
            "--group-by",
            "team",
            "--fail-on",
            "group.utilization >= 90%",
            "--fail-on",
            "group.accounts_error > 0",
        ],
    );
    assert_eq!(o.status.code(), Some(4), "4 wins over 3: {}", stderr(&o));
    let e = stderr(&o);
    // Grouped by expression (issue 20): one line for the two groups.
    assert!(
        e.contains(
            "threshold breached: `group.utilization >= 90%` by 2 groups: team=(untagged) \
             (125%), team=ops (90%)"
        ),
        "{e}"
    );
    assert!(
        e.contains("`group.accounts_error > 0` by the group team=ops: accounts_error is 1"),
        "{e}"
    );
    let j = h.json();
    let breaches = j["breaches"].as_array().unwrap();
    assert_eq!(breaches.len(), 3, "{breaches:?}");
    assert_eq!(
        breaches[0]["group"],
        Value::Null,
        "the untagged group, in row order"
    );
    assert_eq!(breaches[0]["value"], 1.25);
    let b = &breaches[1];
    assert_eq!(b["scope"], "group");
    assert_eq!(b["group_by"], "team");
    assert_eq!(b["group"], "ops");
    assert_eq!(b["metric"], "utilization");
    assert_eq!(b["value"], 0.9);
    assert_eq!(b["account"], Value::Null);
    assert_eq!(breaches[2]["metric"], "accounts_error");
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    assert!(
        md.contains(
            "| `group.utilization >= 90%` | 2 groups | team=(untagged) (125%), team=ops (90%) |"
        ),
        "{md}"
    );

    // Without groups, a group threshold is a usage error before any call.
    let calls = h.snapshot().total;
    let o = h.run(&cfg, &MGMT_ENV, &["--fail-on", "group.utilization >= 90%"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("needs groups: add `--group-by KEY`"),
        "{}",
        stderr(&o)
    );
    assert_eq!(h.snapshot().total, calls, "no call made");
}

#[test]
fn discovered_members_group_by_their_department() {
    let member_of = |uin: &str, name: &str, node: &str| OrgMember {
        uin: uin.into(),
        name: name.into(),
        node_id: 0,
        node_name: Some(node.into()),
        tags: BTreeMap::new(),
        remark: None,
        create_time: None,
        null_fields: Vec::new(),
    };
    let h = Harness::new(Fleet {
        settings: Settings {
            organizations: vec![Organization {
                name: "corp".into(),
                management_uin: MGMT_UIN.into(),
                members: vec![
                    member_of(MGMT_UIN, "corp-management", "Root"),
                    member_of("200000000001", "web-1", "Web"),
                    member_of("200000000002", "web-2", "Web"),
                    member_of("200000000003", "billing-1", "billing"),
                ],
                faults: OrgFaults::default(),
            }],
            ..Settings::default()
        },
        accounts: vec![
            mgmt(data(100, 40, 30, 10)),
            member("200000000001", "web-1", MGMT_UIN, data(10, 1, 1, 1)),
            member("200000000002", "web-2", MGMT_UIN, data(20, 2, 2, 2)),
            member("200000000003", "billing-1", MGMT_UIN, data(30, 3, 3, 3)),
        ],
    });
    let cfg = h.config(
        "group_by = [\"org_node\"]\n",
        &format!(
            "{MGMT_ACCOUNT}\n[[organizations]]\nname = \"corp\"\nmanagement_account = \"mgmt\"\n\
             role_name = \"Audit\"\nendpoint = \"{}\"\n",
            h.url()
        ),
    );
    let o = h.run(&cfg, &MGMT_ENV, &["--formats", "csv,json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = groups_csv(&h);
    let found: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["group"].as_str(),
                r["accounts"].as_str(),
                r["total_authorized"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("Root", "1", "100"),
            ("Web", "2", "30"),
            ("billing", "1", "30"),
            ("", "0", "")
        ],
        "the configured management account is its own member, of Root; ties by name"
    );
    assert_adds_up(&rows, &h.json()["totals"], &["org_node"]);
}

/// The groups of a run's JSON, as (group_by, group, used, accounts).
fn json_groups(j: &Value) -> Vec<(String, Value, Value, Value)> {
    j["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group_by"].as_str().unwrap().to_string(),
                g["group"].clone(),
                g["used_authorized"].clone(),
                g["accounts"].clone(),
            )
        })
        .collect()
}

fn listed(o: &std::process::Output) -> Vec<PathBuf> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(PathBuf::from)
        .collect()
}

fn find(files: &[PathBuf], suffix: &str) -> PathBuf {
    files
        .iter()
        .find(|p| p.to_string_lossy().ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix} in {files:?}"))
        .clone()
}

#[test]
fn the_history_command_gives_each_runs_groups() {
    let (h, cfg) = fleet();
    let mut runs = Vec::new();
    for _ in 0..2 {
        let o = h.run(
            &cfg,
            &MGMT_ENV,
            &["--formats", "json", "--group-by", "team"],
        );
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        let json = find(&listed(&o), ".json");
        runs.push(serde_json::from_slice::<Value>(&std::fs::read(json).unwrap()).unwrap());
    }
    let o = history_command(&h, &cfg, &["--group-by", "team", "--group-by", "nope"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("group by `nope`: no account of these runs has the tag `nope`"),
        "{}",
        stderr(&o)
    );
    let files = listed(&o);
    assert_eq!(
        files.len(),
        6,
        "runs, accounts, groups CSV, XLSX, JSON, HTML: {files:?}"
    );
    let j: Value = serde_json::from_slice(&std::fs::read(find(&files, ".json")).unwrap()).unwrap();
    assert_eq!(j["group_by"], serde_json::json!(["team", "nope"]));
    let groups = j["groups"].as_array().unwrap();
    let stems: Vec<&str> = runs
        .iter()
        .map(|r| r["run"]["stem"].as_str().unwrap())
        .collect();
    for (run, stem) in runs.iter().zip(&stems) {
        let team: Vec<(String, Value, Value, Value)> = groups
            .iter()
            .filter(|g| g["stem"] == *stem && g["group_by"] == "team")
            .map(|g| {
                (
                    "team".to_string(),
                    g["group"].clone(),
                    g["used_authorized"].clone(),
                    g["accounts"].clone(),
                )
            })
            .collect();
        assert_eq!(team, json_groups(run), "{stem}: the run's own groups");
        let nope: Vec<&Value> = groups
            .iter()
            .filter(|g| g["stem"] == *stem && g["group_by"] == "nope")
            .collect();
        assert_eq!(nope.len(), 1);
        assert_eq!(nope[0]["accounts"], 6);
        assert!(nope[0]["scope"].is_string());
    }
    let csv_rows: Vec<csv::StringRecord> = csv::Reader::from_path(find(&files, ".groups.csv"))
        .unwrap()
        .records()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(csv_rows.len(), groups.len());
    let xlsx = find(&files, ".xlsx");
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    assert_eq!(
        wb.sheet_names(),
        [
            "Charts",
            "Trends",
            "Accounts",
            "Top accounts",
            "Groups",
            "Group trends"
        ]
    );
    // Groups: headed by labels (issue 24's workbook), the untagged group
    // shown `(untagged)`.
    let table = wb.worksheet_range("Groups").unwrap();
    let header = header_row(&table);
    let at = |label: &str| column_at(&header, label);
    let (group, short) = (at("Group"), at("Licenses short"));
    assert!(
        header.iter().any(|h| h == "Share of licenses used"),
        "{header:?}"
    );
    let untagged: Vec<_> = table
        .rows()
        .filter(|r| r[group] == Data::String("(untagged)".into()))
        .collect();
    assert_eq!(untagged.len(), 4, "team and nope, two runs");
    assert!(
        untagged.iter().any(|r| r[short] == Data::Float(5.0)),
        "m3: 25 of 20"
    );
    let trend = wb.worksheet_range("Group trends").unwrap();
    assert_eq!(trend.get((0, 1)), Some(&Data::String("team: pay".into())));
    assert_eq!(trend.get((1, 1)), Some(&Data::Float(55.0)));
    assert_eq!(trend.get((2, 1)), Some(&Data::Float(55.0)));
    assert!(
        charts_of(&xlsx)
            .iter()
            .any(|c| c.contains("'Group trends'!")),
        "a chart"
    );

    // Without --group-by: the files as before.
    let o = history_command(&h, &cfg, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(listed(&o).len(), 5, "no groups CSV");
}

/// The chart parts of an XLSX, as text.
fn charts_of(xlsx: &Path) -> Vec<String> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(xlsx).unwrap()).unwrap();
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        if f.name().unwrap().starts_with("xl/charts/chart") {
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            out.push(text);
        }
    }
    out
}

/// A `DescribePurchaseStateInfo` answer: edition `state` ending in `days`
/// days (and 12 hours), renewed as `renewal` (1: automatically), with
/// `cores` cores of which `unprotected` unprotected.
fn purchase(state: i64, days: i64, renewal: i64, cores: i64, unprotected: i64) -> Value {
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let end = (chrono::Utc::now() + chrono::Duration::days(days) + chrono::Duration::hours(12))
        .with_timezone(&beijing)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    serde_json::json!({
        "State": state, "AllCoresCnt": cores, "CoresCnt": cores - unprotected,
        "UndefendCoresCnt": unprotected, "AuthorizedCoresCnt": cores - unprotected,
        "ExpirationTime": end, "BeginTime": "2025-01-01 00:00:00",
        "AutomaticRenewal": renewal,
    })
}

/// The groups' license columns.
const LICENSE: [&str; 3] = ["cores_total", "cores_unprotected", "editions_lapsing_30d"];

/// The groups carry the cores and the editions lapsing within 30 days,
/// and every key's rows add up to the totals in the CSV, the JSON and the
/// XLSX; a group threshold on the cores breaches per group.
#[test]
fn groups_carry_the_cores_and_lapsing_editions_and_add_up_in_every_format() {
    // (edition, days to its end, renewal, cores, unprotected), by account:
    // lapsing are mgmt (platform, 10 days) and m2 (pay, a trial, 5 days);
    // m1 renews automatically, m3's ends in 45 days, m5's ended (ops).
    let editions = [
        (0, purchase(3, 10, 2, 10, 2)),
        (1, purchase(3, 20, 1, 20, 4)),
        (2, purchase(2, 5, 0, 5, 1)),
        (3, purchase(3, 45, 2, 3, 0)),
        (5, purchase(4, -3, 2, 6, 6)),
    ];
    let (h, cfg) = fleet_with(|accounts| {
        for (i, answer) in editions {
            let answer = answer.as_object().unwrap().clone();
            accounts[i]
                .answers
                .insert("DescribePurchaseStateInfo".into(), answer);
        }
    });
    let o = h.run(
        &cfg,
        &MGMT_ENV,
        &[
            "--group-by",
            "team",
            "--group-by",
            "cost_center",
            "--formats",
            "csv,xlsx,json",
            "--fail-on",
            "group.cores_unprotected > 5",
        ],
    );
    assert_eq!(o.status.code(), Some(4), "ops breaches: {}", stderr(&o));
    let j = h.json();
    let t = &j["totals"];
    let total: Vec<Option<f64>> = LICENSE.iter().map(|c| t[c].as_f64()).collect();
    assert_eq!(total, [Some(44.0), Some(13.0), Some(2.0)]);

    // CSV: each group's numbers, and every key's rows add up.
    let rows = groups_csv(&h);
    assert_adds_up(&rows, t, &["team", "cost_center"]);
    let found: Vec<(&str, &str, [&str; 3])> = rows
        .iter()
        .map(|r| {
            let f = |k: &str| r[k].as_str();
            (f("group_by"), f("group"), LICENSE.map(f))
        })
        .collect();
    assert_eq!(
        found,
        [
            ("team", "pay", ["25", "5", "1"]),
            ("team", "platform", ["10", "2", "1"]),
            ("team", "", ["3", "0", "0"]),
            ("team", "ops", ["6", "6", "0"]),
            ("cost_center", "cc \"1\"", ["30", "6", "1"]),
            ("cost_center", "", ["14", "7", "1"]),
        ]
    );

    // JSON and XLSX: the same numbers, adding up to the totals per key.
    let groups = j["groups"].as_array().unwrap();
    let mut wb: Xlsx<_> = open_workbook(h.report(".xlsx")).unwrap();
    let sheet = wb.worksheet_range("Groups").unwrap();
    let header: Vec<String> = (0..sheet.width())
        .map(|c| sheet.get((0, c)).map(|d| d.to_string()).unwrap_or_default())
        .collect();
    let labels = [
        "Cores",
        "Cores unprotected",
        "Editions lapsing within 30 days",
    ];
    let at = |label: &str| header.iter().position(|h| h == label).unwrap();
    for key in ["team", "cost_center"] {
        for (c, label) in LICENSE.iter().zip(labels) {
            let mut json = 0.0;
            let mut xlsx = 0.0;
            for (i, g) in groups.iter().enumerate() {
                if g["group_by"] != key {
                    continue;
                }
                let csv = num(&rows[i][*c]);
                assert_eq!(g[c].as_f64(), csv, "JSON {key}/{}: {c}", g["group"]);
                let cell = sheet.get((1 + i, at(label))).and_then(|d| match d {
                    Data::Float(x) => Some(*x),
                    _ => None,
                });
                assert_eq!(cell, csv, "XLSX {key}/{}: {c}", g["group"]);
                json += g[c].as_f64().unwrap();
                xlsx += cell.unwrap();
            }
            assert_eq!(Some(json), t[c].as_f64(), "JSON {key}: {c}");
            assert_eq!(Some(xlsx), t[c].as_f64(), "XLSX {key}: {c}");
        }
    }

    // The threshold, per group: ops' 6 unprotected cores, the cost
    // centers' 6 and 7.
    let breaches = j["breaches"].as_array().unwrap();
    let found: Vec<(&Value, &Value, &Value, &Value, Option<f64>)> = breaches
        .iter()
        .map(|b| {
            let value = b["value"].as_f64();
            (
                &b["scope"],
                &b["metric"],
                &b["group_by"],
                &b["group"],
                value,
            )
        })
        .collect();
    let group = Value::from("group");
    let metric = Value::from("cores_unprotected");
    let (team, cc) = (Value::from("team"), Value::from("cost_center"));
    let (ops, cc1) = (Value::from("ops"), Value::from("cc \"1\""));
    assert_eq!(
        found,
        [
            (&group, &metric, &team, &ops, Some(6.0)),
            (&group, &metric, &cc, &cc1, Some(6.0)),
            (&group, &metric, &cc, &Value::Null, Some(7.0)),
        ]
    );
}
