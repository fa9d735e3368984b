//! Interop with the official Tencent Cloud Python SDK: runs
//! `scripts/sdk_interop.py` and `scripts/sdk_interop_org.py` with the Python
//! in `TCSS_SDK_PYTHON` (a virtual environment with
//! tencentcloud-sdk-python-tcss, -sts and -organization) against an
//! in-process simulator. Skipped when the variable is unset; CI sets it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};
use tcss_sim::{Fleet, KeyPair, OrgFaults, OrgMember, Organization, Role, SimAccount};

fn obj(v: Value) -> serde_json::Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_talks_to_the_simulator() {
    let Some(python) = std::env::var_os("TCSS_SDK_PYTHON").filter(|p| !p.is_empty()) else {
        println!("skipped: TCSS_SDK_PYTHON not set");
        return;
    };
    let (mgmt, member) = ("100000000011", "200000000022");
    let (secret_id, secret_key) = (
        "AKIDinterop00000000000000000000000001",
        "interop-secret-key-0001",
    );
    let fleet = Fleet {
        accounts: vec![
            SimAccount {
                uin: mgmt.into(),
                keys: vec![KeyPair {
                    secret_id: secret_id.into(),
                    secret_key: secret_key.into(),
                }],
                data: obj(json!({
                    "TotalAuthorizedCnt": 321,
                    "UsedAuthorizedCnt": 300,
                    "ExtraFieldTheSdkDoesNotKnow": true,
                    "ImageScanInquireInfo": {"Capcity": 1000, "Useage": 5, "EndTime": "2026-12-01 00:00:00"}
                })),
                // What scripts/sdk_interop.py expects (the official CLI's
                // example values, and a null).
                answers: BTreeMap::from([
                    (
                        "DescribePurchaseStateInfo".to_owned(),
                        obj(
                            json!({"State": 3, "SubState": "NORMAL", "AutomaticRenewal": 194,
                                   "CoresCnt": 10, "UndefendCoresCnt": null}),
                        ),
                    ),
                    (
                        "DescribeImageAutoAuthorizedRule".to_owned(),
                        obj(json!({"IsEnabled": 1, "RangeType": "ALL"})),
                    ),
                ]),
                ..SimAccount::default()
            },
            SimAccount {
                uin: member.into(),
                roles: vec![Role {
                    name: "OrganizationAccessControlRole".into(),
                    trusted: vec![mgmt.into()],
                }],
                data: obj(json!({"TotalAuthorizedCnt": 45})),
                region_data: BTreeMap::new(),
                ..SimAccount::default()
            },
        ],
        ..Fleet::default()
    };
    let sim = tcss_sim::spawn(fleet, "127.0.0.1:0")
        .await
        .expect("simulator starts");
    let script = script("sdk_interop.py");
    let envs: Vec<(&str, String)> = vec![
        ("TCSS_SIM_ENDPOINT", sim.addr().to_string()),
        ("TCSS_SIM_SECRET_ID", secret_id.into()),
        ("TCSS_SIM_SECRET_KEY", secret_key.into()),
        (
            "TCSS_SIM_ROLE_ARN",
            format!("qcs::cam::uin/{member}:roleName/OrganizationAccessControlRole"),
        ),
        ("TCSS_SIM_MGMT_UIN", mgmt.into()),
        ("TCSS_SIM_MEMBER_UIN", member.into()),
        ("TCSS_SIM_MGMT_TOTAL", "321".into()),
        ("TCSS_SIM_MEMBER_TOTAL", "45".into()),
    ];
    let stdout = run_python(python, script, envs).await;
    assert!(stdout.contains("sdk interop: all checks passed"));

    let s = sim.counters().snapshot();
    let action = "DescribeImageAuthorizedInfo";
    assert_eq!(s.count(mgmt, action, "Success"), 3);
    assert_eq!(s.count(member, action, "Success"), 1);
    assert_eq!(s.count(mgmt, "AssumeRole", "Success"), 2);
    assert_eq!(s.count(mgmt, action, "AuthFailure.SignatureFailure"), 1);
    assert_eq!(s.count(member, action, "AuthFailure.TokenFailure"), 1);
    for wide in [
        "DescribePurchaseStateInfo",
        "DescribeImageAutoAuthorizedRule",
    ] {
        assert_eq!(s.count(mgmt, wide, "Success"), 2, "{wide}");
        assert_eq!(s.count(member, wide, "Success"), 1, "{wide}");
    }
    sim.shutdown().await;
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts")
        .join(name)
}

/// Runs `script` with `envs` (no proxy), asserts success, returns its stdout.
async fn run_python(
    python: std::ffi::OsString,
    script: PathBuf,
    envs: Vec<(&'static str, String)>,
) -> String {
    let shown = script.display().to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .envs(envs)
            .env_remove("HTTPS_PROXY")
            .env_remove("HTTP_PROXY")
            .env_remove("https_proxy")
            .env_remove("http_proxy")
            .output()
    })
    .await
    .expect("join")
    .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "{shown} failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_lists_organization_members() {
    let Some(python) = std::env::var_os("TCSS_SDK_PYTHON").filter(|p| !p.is_empty()) else {
        println!("skipped: TCSS_SDK_PYTHON not set");
        return;
    };
    let (mgmt, locked) = ("100000000011", "100000000012");
    let keys = |uin: &str| KeyPair {
        secret_id: format!("AKIDinteroporg{uin}"),
        secret_key: format!("interop-org-key-{uin}"),
    };
    let mut fleet = Fleet::default();
    for uin in [mgmt, locked] {
        fleet.accounts.push(SimAccount {
            uin: uin.into(),
            keys: vec![keys(uin)],
            ..SimAccount::default()
        });
    }
    let member = |uin: &str, i: i64| OrgMember {
        uin: uin.into(),
        name: format!("member-{i}"),
        node_id: 1000 + i % 3,
        node_name: Some(["payments", "ads", "ml"][(i % 3) as usize].into()),
        tags: BTreeMap::from([("env".to_owned(), "prod".to_owned())]),
        null_fields: if i == 4 {
            vec!["Remark".into(), "PayName".into(), "OrgIdentity".into()]
        } else {
            Vec::new()
        },
        ..OrgMember::default()
    };
    let mut members = vec![member(mgmt, 0)];
    for i in 1..=11 {
        let uin = format!("2000000001{i:02}");
        fleet.accounts.push(SimAccount {
            uin: uin.clone(),
            // One member without the role: still listed.
            roles: if i == 3 {
                Vec::new()
            } else {
                vec![Role {
                    name: "OrganizationAccessControlRole".into(),
                    trusted: vec![mgmt.into()],
                }]
            },
            ..SimAccount::default()
        });
        members.push(member(&uin, i));
    }
    let expected: Vec<String> = members.iter().map(|m| m.uin.clone()).collect();
    fleet.settings.organizations = vec![
        Organization {
            name: "corp".into(),
            management_uin: mgmt.into(),
            members,
            faults: OrgFaults::default(),
        },
        Organization {
            name: "locked".into(),
            management_uin: locked.into(),
            members: vec![member(locked, 0)],
            faults: OrgFaults {
                persistent_error: Some("UnauthorizedOperation".into()),
                ..OrgFaults::default()
            },
        },
    ];
    let sim = tcss_sim::spawn(fleet, "127.0.0.1:0")
        .await
        .expect("simulator starts");
    let envs: Vec<(&str, String)> = vec![
        ("TCSS_SIM_ENDPOINT", sim.addr().to_string()),
        ("TCSS_SIM_ORG_SECRET_ID", keys(mgmt).secret_id),
        ("TCSS_SIM_ORG_SECRET_KEY", keys(mgmt).secret_key),
        ("TCSS_SIM_ORG_MEMBERS", expected.join(",")),
        ("TCSS_SIM_ORG_LIMIT", "5".into()),
        ("TCSS_SIM_LOCKED_SECRET_ID", keys(locked).secret_id),
        ("TCSS_SIM_LOCKED_SECRET_KEY", keys(locked).secret_key),
    ];
    let stdout = run_python(python, script("sdk_interop_org.py"), envs).await;
    assert!(stdout.contains("sdk interop (organization): all checks passed"));

    let s = sim.counters().snapshot();
    let action = "DescribeOrganizationMembers";
    // 3 pages, the first page again, past the end, GET, Limit 51.
    assert_eq!(s.count(mgmt, action, "Success"), 6);
    assert_eq!(
        s.count(mgmt, action, "InvalidParameterValue.LimitExceeded"),
        1
    );
    assert_eq!(s.count(locked, action, "UnauthorizedOperation"), 1);
    sim.shutdown().await;
}
