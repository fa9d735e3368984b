//! The fault matrix: every fault the simulator injects (each `FaultKind`,
//! persistent final and transient error codes, a partial persistent error, a
//! server limit below the configured rate), for each kind of credentials
//! (environment keys, tccli profile, assumed role). One run per credential
//! kind, one account per fault; every row is checked exactly (status,
//! attempts, throttled attempts, error code), the attempts are checked
//! against what the simulator received, and the totals against the sum of the
//! fleet data.
//!
//! Where the faults land in the role case: the simulator keys faults by the
//! account that *signed* the request. A member's TCSS calls are signed with
//! the temporary keys of its role, so a member's faults hit its TCSS calls;
//! its `AssumeRole` call is signed by the source account, so a fault on the
//! `AssumeRole` path is a fault of the source account (the `flaky-src` case).
//!
//! The runs collect the images only (`collect = ["images"]`): every query
//! is a row of the regions CSV, checked exactly. The same faults on the
//! account-wide actions are `license.rs`'s.

use std::collections::HashMap;

use serde_json::Value;
use tcss_sim::{FaultKind, Faults, Fleet, SimAccount};

use crate::harness::*;

/// `max_attempts` of every run here.
const MAX_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cred {
    Env,
    Profile,
    Role,
}

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Every region answers after exactly this many attempts, none throttled.
    Ok(u32),
    /// Every region answers; the server throttled some attempts and every
    /// retry was a throttle: attempts = 1 + throttled.
    Throttled,
    /// Every region fails with this code after exactly this many attempts.
    Final(&'static str, u32),
    /// The first region answers at once; the second fails with this code at once.
    Partial(&'static str),
}

#[derive(Debug)]
struct Case {
    name: &'static str,
    faults: Faults,
    regions: usize,
    expect: Expect,
}

fn first(kind: FaultKind) -> Faults {
    Faults {
        first_n: 2,
        first_kind: Some(kind),
        ..Faults::default()
    }
}

fn persistent(code: &str) -> Faults {
    Faults {
        persistent_error: Some(code.into()),
        ..Faults::default()
    }
}

fn cases() -> Vec<Case> {
    let case = |name, faults, regions, expect| Case {
        name,
        faults,
        regions,
        expect,
    };
    vec![
        case("clean", Faults::default(), 1, Expect::Ok(1)),
        case(
            "internal",
            first(FaultKind::InternalError),
            1,
            Expect::Ok(3),
        ),
        case("bad-gateway", first(FaultKind::Http502), 1, Expect::Ok(3)),
        case("garbage", first(FaultKind::MalformedJson), 1, Expect::Ok(3)),
        case("reset", first(FaultKind::Reset), 1, Expect::Ok(3)),
        case("hang", first(FaultKind::Hang), 1, Expect::Ok(3)),
        case(
            "unauthorized",
            persistent("AuthFailure.UnauthorizedOperation"),
            1,
            Expect::Final("AuthFailure.UnauthorizedOperation", 1),
        ),
        case(
            "no-tcss",
            persistent("InternalError.ErrRoleNotExist"),
            1,
            Expect::Final("InternalError.ErrRoleNotExist", 1),
        ),
        case(
            "always-internal",
            persistent("InternalError"),
            1,
            Expect::Final("InternalError", MAX_ATTEMPTS),
        ),
        case(
            "half",
            Faults {
                persistent_error: Some("UnauthorizedOperation".into()),
                persistent_regions: Some(vec!["ap-shanghai".into()]),
                ..Faults::default()
            },
            2,
            Expect::Partial("UnauthorizedOperation"),
        ),
        case(
            "slow-limit",
            Faults {
                rate_limit: Some(2),
                ..Faults::default()
            },
            4,
            Expect::Throttled,
        ),
    ]
}

/// One configured account of a matrix run and what its rows must show.
#[derive(Debug)]
struct Planned {
    name: String,
    uin: String,
    regions: usize,
    expect: Expect,
    /// The query fails before any TCSS call (AssumeRole refused).
    no_tcss_calls: bool,
    /// The UIN is expected in the report (from the config, the ARN or GetCallerIdentity).
    uin_known: bool,
}

struct Matrix {
    fleet: Fleet,
    accounts: String,
    env: Vec<(String, String)>,
    planned: Vec<Planned>,
    profiles: Vec<(String, String, String)>,
}

fn uin_of(i: usize) -> String {
    format!("3000000000{i:02}")
}

/// Distinct data per account so that totals are meaningful.
fn data_for(i: usize) -> serde_json::Map<String, Value> {
    let i = i as i64;
    data(100 + 10 * i, 20 + i, 30 + i, 5 + i)
}

fn build(cred: Cred) -> Matrix {
    let mut m = Matrix {
        fleet: Fleet::default(),
        accounts: String::new(),
        env: Vec::new(),
        planned: Vec::new(),
        profiles: Vec::new(),
    };
    if cred == Cred::Role {
        // The source account of the members, no faults.
        m.fleet.accounts.push(mgmt(data_for(90)));
        m.accounts
            .push_str(&format!("{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n"));
        for (k, v) in MGMT_ENV {
            m.env.push((k.into(), v.into()));
        }
        m.planned.push(Planned {
            name: "mgmt".into(),
            uin: MGMT_UIN.into(),
            regions: 1,
            expect: Expect::Ok(1),
            no_tcss_calls: false,
            uin_known: true,
        });
    }
    for (i, c) in cases().into_iter().enumerate() {
        let uin = uin_of(i);
        let regions = region_names(c.regions);
        let id = format!("AKIDmatrix{i:020}");
        let key = format!("matrix-key-{i}");
        let mut a: SimAccount = match cred {
            Cred::Role => member(&uin, c.name, MGMT_UIN, data_for(i)),
            Cred::Env | Cred::Profile => keyed(&uin, c.name, &id, &key, data_for(i)),
        };
        a.faults = c.faults;
        m.fleet.accounts.push(a);
        let mut text = format!(
            "[[accounts]]\nname = \"{}\"\nregions = {}\n",
            c.name,
            toml_list(&regions)
        );
        // Environment-key accounts learn their UIN with GetCallerIdentity
        // (under the same faults), except `hang`, which would only be slower.
        let config_uin = match cred {
            Cred::Env => c.name == "hang",
            Cred::Profile => true,
            Cred::Role => false,
        };
        if config_uin {
            text.push_str(&format!("uin = \"{uin}\"\n"));
        }
        match cred {
            Cred::Env => {
                text.push_str(&format!(
                    "secret_id_env = \"ID_{i}\"\nsecret_key_env = \"KEY_{i}\"\n"
                ));
                m.env.push((format!("ID_{i}"), id));
                m.env.push((format!("KEY_{i}"), key));
            }
            Cred::Profile => {
                text.push_str(&format!("profile = \"p-{}\"\n", c.name));
                m.profiles.push((format!("p-{}", c.name), id, key));
            }
            Cred::Role => {
                text.push_str(&format!(
                    "role_arn = \"qcs::cam::uin/{uin}:roleName/Audit\"\nsource_account = \"mgmt\"\n"
                ));
            }
        }
        m.accounts.push_str(&text);
        let answers = !matches!(c.expect, Expect::Final(..));
        m.planned.push(Planned {
            name: c.name.into(),
            uin,
            regions: c.regions,
            expect: c.expect,
            no_tcss_calls: false,
            // A UIN learned with GetCallerIdentity needs one answering region.
            uin_known: config_uin || cred == Cred::Role || answers,
        });
    }
    if cred == Cred::Role {
        // A role that does not trust mgmt: AssumeRole is refused (final, one attempt).
        let uin = uin_of(60);
        m.fleet
            .accounts
            .push(member(&uin, "untrusting", "999999999999", data_for(60)));
        m.accounts.push_str(&format!(
            "[[accounts]]\nname = \"untrusting\"\nrole_arn = \"qcs::cam::uin/{uin}:roleName/Audit\"\nsource_account = \"mgmt\"\n"
        ));
        m.planned.push(Planned {
            name: "untrusting".into(),
            uin,
            regions: 1,
            expect: Expect::Final("UnauthorizedOperation", 1),
            no_tcss_calls: true,
            uin_known: true,
        });
        // A source account whose calls (its own TCSS query and the AssumeRole
        // it makes for `via-flaky`) each meet two InternalErrors first.
        let src_uin = uin_of(61);
        let mut src = keyed(
            &src_uin,
            "flaky-src",
            "AKIDflakysrc0000000000001",
            "flaky-src-key",
            data_for(61),
        );
        src.faults = first(FaultKind::InternalError);
        m.fleet.accounts.push(src);
        let via_uin = uin_of(62);
        m.fleet
            .accounts
            .push(member(&via_uin, "via-flaky", &src_uin, data_for(62)));
        m.accounts.push_str(&format!(
            "[[accounts]]\nname = \"flaky-src\"\nuin = \"{src_uin}\"\nsecret_id_env = \"SRC_ID\"\nsecret_key_env = \"SRC_KEY\"\n\
             [[accounts]]\nname = \"via-flaky\"\nrole_arn = \"qcs::cam::uin/{via_uin}:roleName/Audit\"\nsource_account = \"flaky-src\"\n"
        ));
        m.env
            .push(("SRC_ID".into(), "AKIDflakysrc0000000000001".into()));
        m.env.push(("SRC_KEY".into(), "flaky-src-key".into()));
        m.planned.push(Planned {
            name: "flaky-src".into(),
            uin: src_uin,
            regions: 1,
            expect: Expect::Ok(3),
            no_tcss_calls: false,
            uin_known: true,
        });
        // Its row counts the TCSS attempts only; the AssumeRole retries are in
        // the simulator's counters (checked below).
        m.planned.push(Planned {
            name: "via-flaky".into(),
            uin: via_uin,
            regions: 1,
            expect: Expect::Ok(1),
            no_tcss_calls: false,
            uin_known: true,
        });
    }
    m
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

fn num(s: &str) -> u64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// Runs the matrix for one kind of credentials and checks every row.
fn run_matrix(cred: Cred) {
    let m = build(cred);
    let fleet_data: HashMap<String, serde_json::Map<String, Value>> = m
        .fleet
        .accounts
        .iter()
        .map(|a| (a.uin.clone(), a.data.clone()))
        .collect();
    let h = Harness::new(m.fleet);
    for (profile, id, key) in &m.profiles {
        h.write_profile(profile, id, key);
    }
    let cfg = h.config(
        // The matrix checks every DescribeImageAuthorizedInfo query
        // exactly; the account-wide actions' faults are tests/cli/license.rs's.
        &format!(
            "timeout_secs = 1\nmax_attempts = {MAX_ATTEMPTS}\nrate_limit = 20\ncollect = [\"images\"]\n"
        ),
        &m.accounts,
    );
    let env: Vec<(&str, &str)> = m
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let o = h.run(&cfg, &env, &[]);
    let log = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{cred:?}: some queries fail: {log}"
    );
    for (_, secret) in m.env.iter().filter(|(k, _)| k.contains("KEY")) {
        assert!(!log.contains(secret.as_str()), "{cred:?}: secret in logs");
    }
    for (_, _, secret) in &m.profiles {
        assert!(!log.contains(secret.as_str()), "{cred:?}: secret in logs");
    }

    let snap = h.snapshot();
    let regions = h.csv(".regions.csv");
    let accounts = h.csv(".accounts.csv");
    let j = h.json();
    assert_eq!(accounts.len(), m.planned.len(), "{cred:?}: every account");
    assert_eq!(
        regions.len(),
        m.planned.iter().map(|p| p.regions).sum::<usize>(),
        "{cred:?}: every query"
    );

    let tcss = "DescribeImageAuthorizedInfo";
    let (mut ok, mut partial, mut error) = (0, 0, 0);
    let mut non_error_uins = Vec::new();
    for p in &m.planned {
        let who = format!("{cred:?}/{}", p.name);
        let rows = rows_of(&regions, &p.name);
        assert_eq!(rows.len(), p.regions, "{who}");
        let acc = row(&accounts, &p.name);
        let attempts: Vec<u64> = rows.iter().map(|r| num(&r["attempts"])).collect();
        let throttled: Vec<u64> = rows.iter().map(|r| num(&r["throttled"])).collect();
        for (r, (&a, &t)) in rows.iter().zip(attempts.iter().zip(&throttled)) {
            assert!(
                (1..=u64::from(MAX_ATTEMPTS)).contains(&a),
                "{who}: attempts within budget: {r:?}"
            );
            if p.uin_known {
                assert_eq!(r["uin"], p.uin, "{who}: {r:?}");
            }
            match p.expect {
                Expect::Ok(n) => {
                    assert_eq!(r["status"], "ok", "{who}: {r:?}");
                    assert_eq!(a, u64::from(n), "{who}: {r:?}");
                    assert_eq!(t, 0, "{who}: {r:?}");
                    assert_eq!(r["error_code"], "", "{who}");
                    assert!(!r["request_id"].is_empty(), "{who}");
                }
                Expect::Throttled => {
                    assert_eq!(r["status"], "ok", "{who}: {r:?}");
                    assert_eq!(a, 1 + t, "{who}: every retry was a throttle: {r:?}");
                }
                Expect::Final(code, n) => {
                    assert_eq!(r["status"], "error", "{who}: {r:?}");
                    assert_eq!(r["error_code"], code, "{who}: {r:?}");
                    assert_eq!(a, u64::from(n), "{who}: {r:?}");
                    assert_eq!(t, 0, "{who}");
                    assert!(!r["error_message"].is_empty(), "{who}");
                    assert_eq!(r["total_authorized"], "", "{who}: no numbers");
                }
                Expect::Partial(code) => {
                    assert_eq!(a, 1, "{who}: {r:?}");
                    let failed = r["region"] == "ap-shanghai";
                    assert_eq!(
                        r["status"],
                        if failed { "error" } else { "ok" },
                        "{who}: {r:?}"
                    );
                    assert_eq!(r["error_code"], if failed { code } else { "" }, "{who}");
                }
            }
        }
        // Every attempt the report counts reached the simulator, and nothing else did.
        let sim_calls = snap.requests(&p.uin, tcss);
        if p.no_tcss_calls {
            assert_eq!(sim_calls, 0, "{who}");
        } else {
            assert_eq!(sim_calls, attempts.iter().sum::<u64>(), "{who}: {snap:?}");
        }
        let sim_throttled = snap
            .by_key
            .iter()
            .filter(|r| r.uin == p.uin && r.action == tcss && r.code.starts_with("RequestLimit"))
            .map(|r| r.count)
            .sum::<u64>();
        assert_eq!(
            throttled.iter().sum::<u64>(),
            sim_throttled,
            "{who}: every throttle answer is in the report"
        );
        if matches!(p.expect, Expect::Throttled) {
            assert!(sim_throttled > 0, "{who}: the server throttled");
        }

        // The accounts CSV agrees.
        let status = match p.expect {
            Expect::Ok(_) | Expect::Throttled => "ok",
            Expect::Partial(_) => "partial",
            Expect::Final(..) => "error",
        };
        assert_eq!(acc["status"], status, "{who}: {acc:?}");
        match status {
            "ok" => ok += 1,
            "partial" => partial += 1,
            _ => error += 1,
        }
        if status != "error" {
            non_error_uins.push(p.uin.clone());
            let d = &fleet_data[&p.uin];
            assert_eq!(
                acc["total_authorized"],
                d["TotalAuthorizedCnt"].to_string(),
                "{who}"
            );
        }
        match p.expect {
            Expect::Final(code, _) | Expect::Partial(code) => {
                assert_eq!(acc["error_code"], code, "{who}: {acc:?}")
            }
            _ => assert_eq!(acc["error_code"], "", "{who}: {acc:?}"),
        }
        if p.uin_known {
            assert_eq!(acc["uin"], p.uin, "{who}: {acc:?}");
        }
    }

    // Faults on the AssumeRole path: the source account's call was retried.
    if cred == Cred::Role {
        let src = uin_of(61);
        assert_eq!(snap.count(&src, "AssumeRole", "InternalError"), 2);
        assert_eq!(snap.count(&src, "AssumeRole", "Success"), 1);
        assert_eq!(
            snap.count(MGMT_UIN, "AssumeRole", "UnauthorizedOperation"),
            1
        );
        let u = row(&accounts, "untrusting");
        assert!(u["error_message"].contains("AssumeRole"), "{u:?}");
    }

    // Totals: exactly the sums of the fleet data of the non-error accounts.
    let t = &j["totals"];
    assert_eq!(j["complete"], true);
    assert_eq!(int(&t["accounts_ok"]), ok, "{cred:?}: {t}");
    assert_eq!(int(&t["accounts_partial"]), partial, "{cred:?}: {t}");
    assert_eq!(int(&t["accounts_error"]), error, "{cred:?}: {t}");
    let sum = |f: &dyn Fn(&serde_json::Map<String, Value>) -> i64| -> i64 {
        non_error_uins.iter().map(|u| f(&fleet_data[u])).sum()
    };
    let field = |name: &'static str| move |d: &serde_json::Map<String, Value>| int(&d[name]);
    let quota = |name: &'static str| {
        move |d: &serde_json::Map<String, Value>| int(&d["ImageScanInquireInfo"][name])
    };
    let total = sum(&field("TotalAuthorizedCnt"));
    let used = sum(&field("UsedAuthorizedCnt"));
    let scanned = sum(&field("ScannedImageCnt"));
    let not_scanned = sum(&field("NotScannedImageCnt"));
    let duplicates = sum(&field("RepeatImageIdCnt"));
    let capacity = sum(&quota("Capcity"));
    let quota_used = sum(&quota("Useage"));
    for (key, expected) in [
        ("total_authorized", total),
        ("used_authorized", used),
        ("remaining_authorized", total - used),
        ("trial_authorized", sum(&field("TrialAuthorizedCnt"))),
        (
            "used_trial_authorized",
            sum(&field("UsedTrialAuthorizedCnt")),
        ),
        (
            "purchased_authorized",
            sum(&field("PurchasedAuthorizedCnt")),
        ),
        (
            "used_purchased_authorized",
            sum(&field("UsedPurchasedAuthorizedCnt")),
        ),
        ("scanned_images", scanned),
        ("not_scanned_images", not_scanned),
        (
            "not_scanned_local_images",
            sum(&field("NotScannedLocalImageCnt")),
        ),
        ("total_images", scanned + not_scanned),
        ("duplicate_images", duplicates),
        ("scan_quota_capacity", capacity),
        ("scan_quota_used", quota_used),
    ] {
        assert_eq!(int(&t[key]), expected, "{cred:?}: totals.{key}: {t}");
    }
    for (key, num, den) in [
        ("utilization", used, total),
        ("scan_coverage", scanned, scanned + not_scanned),
        ("duplicate_ratio", duplicates, scanned + not_scanned),
        ("scan_quota_utilization", quota_used, capacity),
    ] {
        let got = t[key].as_f64().unwrap_or_else(|| panic!("{key}: {t}"));
        let want = num as f64 / den as f64;
        assert!(
            (got - want).abs() < 1e-12,
            "{cred:?}: {key} {got} != {want}"
        );
    }
    let queries = regions.len() as i64;
    let ok_queries = regions.iter().filter(|r| r["status"] == "ok").count() as i64;
    assert_eq!(int(&t["queries"]), queries);
    assert_eq!(int(&t["queries_ok"]), ok_queries);
    assert_eq!(int(&t["queries_failed"]), queries - ok_queries);
    assert_eq!(int(&t["queries_cancelled"]), 0);
    let attempts: u64 = regions.iter().map(|r| num(&r["attempts"])).sum();
    assert_eq!(int(&t["attempts"]) as u64, attempts);
    assert_eq!(
        int(&t["throttled"]) as u64,
        snap.throttled,
        "{cred:?}: the only throttling is the one the report shows"
    );
    assert_eq!(snap.signature_failures, 0, "{cred:?}: {snap:?}");
}

#[test]
fn fault_matrix_with_environment_keys() {
    run_matrix(Cred::Env);
}

#[test]
fn fault_matrix_with_tccli_profiles() {
    run_matrix(Cred::Profile);
}

#[test]
fn fault_matrix_with_assumed_roles() {
    run_matrix(Cred::Role);
}
