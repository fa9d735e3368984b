//! End-to-end tests: the real `tcss-report` binary against the simulator
//! running in this test process on `127.0.0.1:0`.
//!
//! The tests in this file are the first end-to-end checks; the modules below
//! hold the fault matrix (every simulator fault for every credential kind),
//! clock skew, temporary-credential refresh and interruption. The shared
//! harness is in `harness.rs`.

mod accounts_once;
mod clock_skew;
mod compare;
mod edges;
mod fault_matrix;
mod findings;
mod groups;
mod harness;
mod history;
mod history_edges;
mod html;
mod interrupt;
mod license;
mod marks;
mod metrics;
mod notify;
mod organizations;
mod outcome;
mod pg_cluster;
mod prom_tools;
mod publishing;
mod role_refresh;
mod scope;
mod selection;
mod sheets;
mod stderr;
mod terminal;
mod thresholds;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use harness::*;
use serde_json::Value;
use tcss_sim::{FaultKind, Faults, Fleet};

#[test]
fn roles_regions_and_totals_are_exact() {
    let mut fleet = Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    };
    fleet
        .accounts
        .push(member("200000000001", "m1", MGMT_UIN, data(50, 60, 10, 10)));
    let mut m2 = member("200000000002", "m2", MGMT_UIN, data(0, 0, 0, 0));
    m2.region_data
        .insert("ap-shanghai".into(), data(1, 1, 1, 1));
    fleet.accounts.push(m2);
    let h = Harness::new(fleet);
    let accounts = format!(
        "{MGMT_ACCOUNT}regions = [\"ap-guangzhou\", \"ap-shanghai\"]\ntags = {{ team = \"=cmd|evil\" }}\n\
         [[accounts]]\nname = \"m1\"\nrole_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n\
         [[accounts]]\nname = \"m2\"\nrole_arn = \"qcs::cam::uin/200000000002:roleName/Audit\"\nsource_account = \"mgmt\"\n\
         regions = [\"ap-guangzhou\", \"ap-shanghai\"]\n"
    );
    let cfg = h.config("", &accounts);
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains(MGMT_ENV[1].1), "secret in logs");

    let rows = h.csv(".accounts.csv");
    assert_eq!(rows.len(), 3);
    let m = row(&rows, "mgmt");
    assert_eq!(m["status"], "ok");
    assert_eq!(m["uin"], MGMT_UIN, "uin learned with GetCallerIdentity");
    assert_eq!(m["total_authorized"], "100");
    assert_eq!(m["remaining_authorized"], "60");
    assert_eq!(m["utilization"].parse::<f64>().unwrap(), 0.4);
    assert_eq!(m["regions_ok"], "2");
    assert_eq!(m["region_mismatch"], "false");
    assert_eq!(m["tag:team"], "'=cmd|evil", "formula guard");
    let m1 = row(&rows, "m1");
    assert_eq!(m1["uin"], "200000000001");
    assert_eq!(m1["remaining_authorized"], "-10", "over-use stays negative");
    let m2 = row(&rows, "m2");
    assert_eq!(m2["region_mismatch"], "true");
    assert_eq!(
        m2["total_authorized"], "0",
        "account scope: first configured region"
    );
    assert_eq!(m2["utilization"], "", "undefined ratio is empty");

    let j = h.json();
    assert_eq!(j["schema_version"], 1);
    assert_eq!(j["complete"], true);
    let t = &j["totals"];
    assert_eq!(t["total_authorized"], 150);
    assert_eq!(t["used_authorized"], 100);
    assert_eq!(t["accounts_ok"], 3);
    let util = t["utilization"].as_f64().unwrap();
    assert!(
        (util - 100.0 / 150.0).abs() < 1e-12,
        "weighted utilization, got {util}"
    );
    assert_eq!(j["accounts"][0]["uin"], MGMT_UIN);

    // One AssumeRole per role account, one TCSS call per (account, region); nothing throttled.
    let snap = h.snapshot();
    assert_eq!(snap.count(MGMT_UIN, "AssumeRole", "Success"), 2);
    assert_eq!(
        snap.count("200000000002", "DescribeImageAuthorizedInfo", "Success"),
        2
    );
    assert_eq!(snap.throttled, 0);
    assert_eq!(snap.signature_failures, 0);

    // XLSX reads back with the documented sheets.
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(h.report(".xlsx")).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["Summary", "Accounts", "Regions", "Errors", "Run"]
    );
    let sheet = wb.worksheet_range("Accounts").unwrap();
    // The header is the label (the CSV keeps the name `account`).
    assert_eq!(
        sheet.get_value((0, 0)),
        Some(&calamine::Data::String("Account".into()))
    );
    assert_eq!(
        sheet.get_value((1, 1)),
        Some(&calamine::Data::String(MGMT_UIN.into())),
        "uin as text"
    );
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    assert!(md.contains("mgmt"));
}

#[test]
fn transient_faults_are_retried_with_exact_attempts() {
    let kinds = [
        ("internal", FaultKind::InternalError),
        ("bad-gateway", FaultKind::Http502),
        ("garbage", FaultKind::MalformedJson),
        ("reset", FaultKind::Reset),
        ("hang", FaultKind::Hang),
    ];
    let mut fleet = Fleet {
        settings: Default::default(),
        accounts: vec![],
    };
    let mut accounts = String::new();
    let mut env: Vec<(String, String)> = Vec::new();
    for (i, (name, kind)) in kinds.iter().enumerate() {
        let id = format!("AKIDfault{i:020}");
        let key = format!("fault-key-{i}");
        let mut a = keyed(
            &format!("30000000000{i}"),
            name,
            &id,
            &key,
            data(10, 5, 5, 5),
        );
        a.faults = Faults {
            first_n: 2,
            first_kind: Some(*kind),
            ..Faults::default()
        };
        fleet.accounts.push(a);
        accounts.push_str(&format!(
            "[[accounts]]\nname = \"{name}\"\nuin = \"30000000000{i}\"\nsecret_id_env = \"ID{i}\"\nsecret_key_env = \"KEY{i}\"\n"
        ));
        env.push((format!("ID{i}"), id));
        env.push((format!("KEY{i}"), key));
    }
    let h = Harness::new(fleet);
    let cfg = h.config("timeout_secs = 1\nmax_attempts = 4\n", &accounts);
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let o = h.run(&cfg, &env_ref, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = h.csv(".regions.csv");
    for (name, _) in kinds {
        let r = row(&rows, name);
        assert_eq!(r["status"], "ok", "{name}: {r:?}");
        assert_eq!(r["attempts"], "3", "{name}: two faults then success");
    }
}

#[test]
fn final_errors_unassumable_roles_and_unsupported_regions_are_reported_per_row() {
    let mut broken = keyed(
        "400000000001",
        "no-tcss",
        "AKIDnotcss0000000000001",
        "k1",
        data(1, 1, 1, 1),
    );
    broken.faults.persistent_error = Some("InternalError.ErrRoleNotExist".into());
    let mut one_region = mgmt(data(100, 40, 30, 10));
    one_region.regions = Some(vec!["ap-guangzhou".into()]);
    let fleet = Fleet {
        settings: Default::default(),
        accounts: vec![
            one_region,
            broken,
            // Trusts someone else: the management account cannot assume it.
            member(
                "200000000009",
                "untrusting",
                "999999999999",
                data(1, 1, 1, 1),
            ),
        ],
    };
    let h = Harness::new(fleet);
    let accounts = format!(
        "{MGMT_ACCOUNT}regions = [\"ap-guangzhou\", \"ap-shanghai\"]\n\
         [[accounts]]\nname = \"no-tcss\"\nsecret_id_env = \"B_ID\"\nsecret_key_env = \"B_KEY\"\n\
         [[accounts]]\nname = \"untrusting\"\nrole_arn = \"qcs::cam::uin/200000000009:roleName/Audit\"\nsource_account = \"mgmt\"\n\
         [[accounts]]\nname = \"no-keys\"\nsecret_id_env = \"UNSET_ID\"\nsecret_key_env = \"UNSET_KEY\"\n"
    );
    let cfg = h.config("", &accounts);
    let mut env = MGMT_ENV.to_vec();
    env.extend([("B_ID", "AKIDnotcss0000000000001"), ("B_KEY", "k1")]);
    let o = h.run(&cfg, &env, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));

    let rows = h.csv(".accounts.csv");
    assert_eq!(rows.len(), 4, "every account appears");
    let m = row(&rows, "mgmt");
    assert_eq!(m["status"], "partial");
    assert_eq!(m["regions_ok"], "1");
    assert_eq!(m["regions_failed"], "1");
    assert_eq!(m["error_code"], "UnsupportedRegion");
    assert_eq!(m["total_authorized"], "100");
    let b = row(&rows, "no-tcss");
    assert_eq!(b["status"], "error");
    assert_eq!(b["error_code"], "InternalError.ErrRoleNotExist");
    assert_eq!(b["total_authorized"], "", "no numbers for an error account");
    assert!(!b["request_id"].is_empty());
    let u = row(&rows, "untrusting");
    assert_eq!(u["status"], "error");
    assert!(!u["error_code"].is_empty());
    assert!(u["error_message"].contains("AssumeRole"), "{u:?}");
    let n = row(&rows, "no-keys");
    assert_eq!(n["status"], "error");
    assert_eq!(n["error_code"], "CredentialError");
    assert!(
        n["error_message"].contains("UNSET_KEY") || n["error_message"].contains("UNSET_ID"),
        "{n:?}"
    );

    let regions = h.csv(".regions.csv");
    let failed = regions.iter().find(|r| r["account"] == "no-tcss").unwrap();
    assert_eq!(failed["attempts"], "1", "final errors are not retried");
    let j = h.json();
    assert_eq!(j["totals"]["accounts_error"], 3);
    assert_eq!(j["totals"]["accounts_partial"], 1);
    assert_eq!(
        j["totals"]["total_authorized"], 100,
        "error accounts are not in totals"
    );
}

#[test]
fn a_lower_server_limit_still_completes_every_query() {
    let regions = [
        "ap-guangzhou",
        "ap-shanghai",
        "ap-beijing",
        "ap-chengdu",
        "ap-nanjing",
        "ap-hongkong",
    ];
    let mut a = mgmt(data(10, 1, 1, 1));
    a.faults.rate_limit = Some(2);
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![a],
    });
    let list: Vec<String> = regions.iter().map(|r| format!("\"{r}\"")).collect();
    let accounts = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\nregions = [{}]\n",
        list.join(", ")
    );
    let cfg = h.config("rate_limit = 20\n", &accounts);
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = h.csv(".regions.csv");
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r["status"] == "ok"), "{rows:?}");
    let throttled: u32 = rows
        .iter()
        .map(|r| r["throttled"].parse::<u32>().unwrap())
        .sum();
    let snap = h.snapshot();
    assert!(snap.throttled > 0, "the server throttled");
    assert_eq!(
        u64::from(throttled),
        snap.throttled,
        "every throttle answer is visible in the report"
    );
}

#[test]
fn stays_under_the_limit_on_its_own() {
    // 17 regions of one account against a server limit of 5/s configured as
    // 5/s: spaced by the limiter, not one throttling answer.
    let regions = region_names(17);
    let mut a = mgmt(data(10, 1, 1, 1));
    a.faults.rate_limit = Some(5);
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![a],
    });
    let list: Vec<String> = regions.iter().map(|r| format!("\"{r}\"")).collect();
    let accounts = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\nregions = [{}]\n",
        list.join(", ")
    );
    let cfg = h.config("rate_limit = 5\n", &accounts);
    let o = h.run(&cfg, &MGMT_ENV, &["--concurrency", "64"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let snap = h.snapshot();
    assert_eq!(snap.throttled, 0);
    assert_eq!(
        snap.count(MGMT_UIN, "DescribeImageAuthorizedInfo", "Success"),
        17
    );
    assert!(snap.max_rate_for(MGMT_UIN, "DescribeImageAuthorizedInfo") <= 5);
}

#[test]
fn bad_configs_exit_2_naming_the_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[defaults]\nregions = [\"ap-guangzhou\"]\n\n[[accounts]]\nname = \"a\"\nprofle = \"x\"\n",
    )
    .unwrap();
    for cmd in ["run", "validate"] {
        let o = bin().arg(cmd).arg("--config").arg(&path).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let e = stderr(&o);
        assert!(e.contains("bad.toml:6:1:"), "{cmd}: {e}");
        assert!(e.contains("profle"), "{e}");
    }
    std::fs::write(
        &path,
        "[[accounts]]\nname = \"a\"\n[[accounts]]\nname = \"a\"\n",
    )
    .unwrap();
    let o = bin()
        .arg("run")
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("bad.toml:4:8: duplicate account name `a`"),
        "{}",
        stderr(&o)
    );
    let o = bin()
        .arg("run")
        .arg("--config")
        .arg(dir.path().join("missing.toml"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing.toml"));
}

#[test]
fn validate_checks_credential_sources_without_calls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.toml");
    std::fs::write(&path, MGMT_ACCOUNT).unwrap();
    let o = bin()
        .arg("validate")
        .arg("--config")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("MGMT_ID") || stderr(&o).contains("MGMT_KEY"),
        "{}",
        stderr(&o)
    );
    let o = bin()
        .arg("validate")
        .arg("--config")
        .arg(&path)
        .envs(MGMT_ENV)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("OK: 1 accounts"));
}

#[test]
fn readme_simulated_run_works_on_the_example_config() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("accounts.example.toml");
    let o = bin()
        .env("HOME", dir.path())
        .args(["run", "--simulate", "--config"])
        .arg(&example)
        .arg("--out")
        .arg(dir.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("demo credentials"), "{}", stderr(&o));
    let files: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for ext in DEFAULT_SET {
        assert!(
            files
                .iter()
                .any(|f| f.starts_with("tcss-authorizations-") && f.ends_with(ext)),
            "{ext}: {files:?}"
        );
    }
    // The same config gives the same data on every run.
    let read = |d: &Path| -> Value {
        let p = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension() == Some("json".as_ref()));
        serde_json::from_slice(&std::fs::read(p.unwrap()).unwrap()).unwrap()
    };
    let first = read(&dir.path().join("out"));
    // Every simulated account has an edition and an auto-authorization
    // rule, asked once each.
    let accounts = first["accounts"].as_array().unwrap();
    assert!(
        accounts.iter().all(|a| a["edition"].is_string()),
        "{accounts:?}"
    );
    assert!(accounts.iter().any(|a| a["cores_total"].as_i64() > Some(0)));
    let wide = first["account_queries"].as_array().unwrap();
    assert_eq!(wide.len(), 2 * accounts.len());
    assert!(wide.iter().all(|q| q["status"] == "ok"), "{wide:?}");
    let o = bin()
        .env("HOME", dir.path())
        .args(["run", "--simulate", "--config"])
        .arg(&example)
        .arg("--out")
        .arg(dir.path().join("out2"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let second = read(&dir.path().join("out2"));
    assert_eq!(first["totals"], second["totals"]);
    // Six configured accounts and the members of `corp` discovered, the
    // same ones on every run, its sandbox left out by the exclude selector.
    let accounts = first["accounts"].as_array().unwrap();
    let corp = &first["run"]["organizations"][0];
    assert_eq!(corp["name"], "corp");
    assert_eq!(corp["status"], "ok");
    let kept = corp["members_kept"].as_u64().unwrap() as usize;
    assert!(kept >= 4, "{corp}");
    assert_eq!(accounts.len(), 6 + kept);
    assert_eq!(
        accounts[6..]
            .iter()
            .filter(|a| a["tags"]["org"] == "corp")
            .count(),
        kept
    );
    assert!(accounts
        .iter()
        .all(|a| !a["account"].as_str().unwrap().starts_with("sandbox")));
    let names = |j: &Value| -> Vec<String> {
        j["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["account"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&first), names(&second), "the same members every run");
}

#[cfg(unix)]
#[test]
fn sigterm_writes_incomplete_reports_and_exits_130() {
    let mut slow = mgmt(data(1, 1, 1, 1));
    slow.faults = Faults {
        first_n: 1000,
        first_kind: Some(FaultKind::Hang),
        ..Faults::default()
    };
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![slow],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\nregions = [\"ap-guangzhou\", \"ap-shanghai\"]\n"
    );
    let cfg = h.config("timeout_secs = 60\n", &accounts);
    let mut c = bin();
    c.arg("run")
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(h.out())
        .envs(MGMT_ENV);
    c.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    // Wait until all four requests (two regions, two account-wide actions)
    // hang in the simulator, then interrupt.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while h.snapshot().total < 4 {
        assert!(
            std::time::Instant::now() < deadline,
            "requests never arrived"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let j = h.json();
    assert_eq!(j["complete"], false);
    let regions = h.csv(".regions.csv");
    assert_eq!(regions.len(), 2);
    assert!(
        regions
            .iter()
            .all(|r| r["status"] == "cancelled" && r["attempts"] == "1"),
        "{regions:?}"
    );
    let wide = j["account_queries"].as_array().unwrap();
    assert_eq!(wide.len(), 2);
    assert!(
        wide.iter()
            .all(|q| q["status"] == "cancelled" && q["attempts"] == 1),
        "{wide:?}"
    );
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    assert!(md.to_lowercase().contains("incomplete"), "{md}");
}
