//! Interop with the official Tencent Cloud Python SDK: runs
//! `scripts/sdk_interop.py` with the Python in `TCSS_SDK_PYTHON` (a virtual
//! environment with tencentcloud-sdk-python-tcss and -sts) against an
//! in-process simulator. Skipped when the variable is unset; CI sets it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{json, Value};
use tcss_sim::{Fleet, KeyPair, Role, SimAccount};

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
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/sdk_interop.py");
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
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "sdk_interop.py failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("sdk interop: all checks passed"));

    let s = sim.counters().snapshot();
    let action = "DescribeImageAuthorizedInfo";
    assert_eq!(s.count(mgmt, action, "Success"), 3);
    assert_eq!(s.count(member, action, "Success"), 1);
    assert_eq!(s.count(mgmt, "AssumeRole", "Success"), 2);
    assert_eq!(s.count(mgmt, action, "AuthFailure.SignatureFailure"), 1);
    assert_eq!(s.count(member, action, "AuthFailure.TokenFailure"), 1);
    sim.shutdown().await;
}
