//! The simulator over real loopback HTTP: verification, rejection codes, rate
//! limits, STS, faults, clock offsets and counters.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{call, now, send, send_timeout, Call, TCSS_ACTION};
use serde_json::{json, Map, Value};
use tcss_sim::{FaultKind, Faults, Fleet, KeyPair, Role, Settings, SimAccount, SimHandle};

const MGMT: &str = "100000000001";
const MEMBER: &str = "200000000002";
const OUTSIDER: &str = "300000000003";
const MGMT_ID: &str = "AKIDmgmt0000000000000000000000000001";
const MGMT_KEY: &str = "mgmt-secret-key";
const OUT_ID: &str = "AKIDoutsider000000000000000000000003";
const OUT_KEY: &str = "outsider-secret-key";
const ROLE_ARN: &str = "qcs::cam::uin/200000000002:roleName/OrgRole";

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn fleet() -> Fleet {
    Fleet {
        settings: Settings {
            tcss_rate_limit: 1000,
            ..Settings::default()
        },
        accounts: vec![
            SimAccount {
                uin: MGMT.into(),
                name: Some("mgmt".into()),
                keys: vec![KeyPair {
                    secret_id: MGMT_ID.into(),
                    secret_key: MGMT_KEY.into(),
                }],
                regions: Some(vec!["ap-guangzhou".into(), "ap-shanghai".into()]),
                data: obj(json!({
                    "TotalAuthorizedCnt": 100,
                    "UsedAuthorizedCnt": 40,
                    "CanApplyFreeImageAuthorize": null,
                    "FutureField": {"x": 1},
                    "ImageScanInquireInfo": {"Capcity": 1000, "Useage": 10, "EndTime": "2026-12-01 00:00:00"}
                })),
                region_data: BTreeMap::from([(
                    "ap-shanghai".to_owned(),
                    obj(json!({"UsedAuthorizedCnt": 41})),
                )]),
                ..SimAccount::default()
            },
            SimAccount {
                uin: MEMBER.into(),
                name: Some("member".into()),
                roles: vec![Role {
                    name: "OrgRole".into(),
                    trusted: vec![MGMT.into()],
                }],
                data: obj(json!({"TotalAuthorizedCnt": 7})),
                ..SimAccount::default()
            },
            SimAccount {
                uin: OUTSIDER.into(),
                keys: vec![KeyPair {
                    secret_id: OUT_ID.into(),
                    secret_key: OUT_KEY.into(),
                }],
                ..SimAccount::default()
            },
        ],
    }
}

async fn start(f: Fleet) -> SimHandle {
    tcss_sim::spawn(f, "127.0.0.1:0")
        .await
        .expect("simulator starts")
}

#[tokio::test]
async fn valid_call_returns_the_fleet_data_in_the_real_shape() {
    let sim = start(fleet()).await;
    let r = call(sim.addr(), &Call::tcss("ap-guangzhou"), MGMT_ID, MGMT_KEY).await;
    let resp = r.expect_ok();
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(resp["TotalAuthorizedCnt"], 100);
    assert_eq!(resp["UsedAuthorizedCnt"], 40);
    assert_eq!(resp["CanApplyFreeImageAuthorize"], Value::Null);
    assert_eq!(resp["FutureField"]["x"], 1);
    assert_eq!(resp["ImageScanInquireInfo"]["Capcity"], 1000);
    let rid = resp["RequestId"].as_str().expect("request id");
    let parsed = uuid::Uuid::parse_str(rid).expect("uuid");
    assert_eq!(parsed.get_version_num(), 4);
    // Date: RFC 7231 IMF-fixdate close to now.
    let date = r.headers["date"].to_str().expect("ascii");
    let t = chrono::DateTime::parse_from_rfc2822(date)
        .expect("http date")
        .timestamp();
    assert!(date.ends_with(" GMT"), "{date}");
    assert!((t - now()).abs() <= 2);

    // Per-region override: shallow merge.
    let r2 = call(sim.addr(), &Call::tcss("ap-shanghai"), MGMT_ID, MGMT_KEY).await;
    let resp2 = r2.expect_ok();
    assert_eq!(resp2["UsedAuthorizedCnt"], 41);
    assert_eq!(resp2["TotalAuthorizedCnt"], 100);
    assert_ne!(resp2["RequestId"], resp["RequestId"]);

    let s = sim.counters().snapshot();
    assert_eq!(s.count(MGMT, TCSS_ACTION, "Success"), 2);
    assert!(s.by_key.iter().any(|r| r.uin == MGMT
        && r.region == "ap-shanghai"
        && r.code == "Success"
        && r.count == 1));
    sim.shutdown().await;
}

#[tokio::test]
async fn signature_is_checked_from_the_received_bytes() {
    let sim = start(fleet()).await;
    let a = sim.addr();

    // Unsigned payload variant.
    let mut c = Call::tcss("ap-guangzhou");
    c.unsigned_payload = true;
    call(a, &c, MGMT_ID, MGMT_KEY).await.expect_ok();
    // Extra signed headers, any case and padding (names and values are lowercased and trimmed).
    let mut c = Call::tcss("ap-guangzhou");
    c.extra_signed = vec![
        ("x-tc-action".into(), TCSS_ACTION.into()),
        ("x-custom".into(), "  MiXeD  ".into()),
    ];
    call(a, &c, MGMT_ID, MGMT_KEY).await.expect_ok();
    // Unsigned extra headers do not matter.
    let mut c = Call::tcss("ap-guangzhou");
    c.extra_unsigned = vec![("x-tc-language".into(), "en-US".into())];
    call(a, &c, MGMT_ID, MGMT_KEY).await.expect_ok();

    // A signed header changed on the way.
    let mut c = Call::tcss("ap-guangzhou");
    c.extra_signed = vec![("x-custom".into(), "one".into())];
    let mut req = c.build(&a.to_string(), MGMT_ID, MGMT_KEY);
    req.headers_mut()
        .insert("x-custom", "two".parse().expect("header"));
    send(a, req)
        .await
        .expect("answer")
        .expect_code("AuthFailure.SignatureFailure");
    // The body changed after signing.
    let mut c = Call::tcss("ap-guangzhou");
    c.sent_body = Some(b"{\"Limit\":1}".to_vec());
    call(a, &c, MGMT_ID, MGMT_KEY)
        .await
        .expect_code("AuthFailure.SignatureFailure");
    // A query string not covered by the signature.
    let c = Call::tcss("ap-guangzhou");
    let mut req = c.build(&a.to_string(), MGMT_ID, MGMT_KEY);
    *req.uri_mut() = "/?x=1".parse().expect("uri");
    send(a, req)
        .await
        .expect("answer")
        .expect_code("AuthFailure.SignatureFailure");
    // Signed for another Host.
    let req = Call::tcss("ap-guangzhou").build("tcss.tencentcloudapi.com", MGMT_ID, MGMT_KEY);
    let mut req2 = req;
    req2.headers_mut()
        .insert("host", a.to_string().parse().expect("host"));
    send(a, req2)
        .await
        .expect("answer")
        .expect_code("AuthFailure.SignatureFailure");

    let s = sim.counters().snapshot();
    assert_eq!(s.count(MGMT, TCSS_ACTION, "Success"), 3);
    assert_eq!(s.signature_failures, 4);
    sim.shutdown().await;
}

#[tokio::test]
async fn every_rejection_code() {
    let mut f = fleet();
    f.settings.regions = vec![
        "ap-guangzhou".into(),
        "ap-shanghai".into(),
        "ap-beijing".into(),
    ];
    let sim = start(f).await;
    let a = sim.addr();
    let gz = || Call::tcss("ap-guangzhou");
    let expect = |code: &'static str| move |r: common::Reply| r.expect_code(code);

    // Authorization: missing, malformed.
    let mut c = gz();
    c.authorization = Some(None);
    expect("AuthFailure.InvalidAuthorization")(call(a, &c, MGMT_ID, MGMT_KEY).await);
    let mut c = gz();
    c.authorization = Some(Some("TC3-HMAC-SHA256 Credential=broken".into()));
    expect("AuthFailure.InvalidAuthorization")(call(a, &c, MGMT_ID, MGMT_KEY).await);
    // Unknown secret id; wrong key.
    expect("AuthFailure.SecretIdNotFound")(call(a, &gz(), "AKIDnobody", MGMT_KEY).await);
    let wrong = call(a, &gz(), MGMT_ID, "not-the-key").await;
    wrong.expect_code("AuthFailure.SignatureFailure");
    assert!(wrong.message().contains("signature"));
    // Scope date is not the UTC date of the timestamp.
    let mut c = gz();
    c.scope_date = Some("2001-01-01".into());
    expect("AuthFailure.SignatureFailure")(call(a, &c, MGMT_ID, MGMT_KEY).await);
    // Scope service is not the action's service.
    let mut c = gz();
    c.scope_service = "sts".into();
    expect("AuthFailure.SignatureFailure")(call(a, &c, MGMT_ID, MGMT_KEY).await);
    // Skew: 299 s is fine both ways, 301 s is not.
    call(a, &gz().at(now() - 290), MGMT_ID, MGMT_KEY)
        .await
        .expect_ok();
    call(a, &gz().at(now() + 290), MGMT_ID, MGMT_KEY)
        .await
        .expect_ok();
    let old = call(a, &gz().at(now() - 310), MGMT_ID, MGMT_KEY).await;
    old.expect_code("AuthFailure.SignatureExpire");
    expect("AuthFailure.SignatureExpire")(call(a, &gz().at(now() + 310), MGMT_ID, MGMT_KEY).await);
    // Absurd timestamps are just expired (no overflow).
    for ts in [i64::MIN, i64::MAX, 0] {
        expect("AuthFailure.SignatureExpire")(call(a, &gz().at(ts), MGMT_ID, MGMT_KEY).await);
    }
    // Missing routing headers.
    let mut c = gz();
    c.action = None;
    let r = call(a, &c, MGMT_ID, MGMT_KEY).await;
    r.expect_code("MissingParameter");
    assert!(r.message().contains("X-TC-Action"));
    let mut c = gz();
    c.version = None;
    let r = call(a, &c, MGMT_ID, MGMT_KEY).await;
    r.expect_code("MissingParameter");
    assert!(r.message().contains("X-TC-Version"));
    let mut c = gz();
    c.timestamp = None;
    let r = call(a, &c, MGMT_ID, MGMT_KEY).await;
    r.expect_code("MissingParameter");
    assert!(r.message().contains("X-TC-Timestamp"));
    let mut c = gz();
    c.region = None;
    expect("MissingParameter")(call(a, &c, MGMT_ID, MGMT_KEY).await);
    // Unknown action, wrong version.
    let mut c = gz();
    c.action = Some("DescribeEverything".into());
    expect("InvalidAction")(call(a, &c, MGMT_ID, MGMT_KEY).await);
    let mut c = gz();
    c.version = Some("2017-03-12".into());
    expect("NoSuchVersion")(call(a, &c, MGMT_ID, MGMT_KEY).await);
    // Regions: unknown to the simulator, and not enabled for the account.
    expect("UnsupportedRegion")(call(a, &Call::tcss("xx-nowhere"), MGMT_ID, MGMT_KEY).await);
    expect("UnsupportedRegion")(call(a, &Call::tcss("ap-beijing"), MGMT_ID, MGMT_KEY).await);
    call(a, &Call::tcss("ap-beijing"), OUT_ID, OUT_KEY)
        .await
        .expect_ok();
    // Body over 1 MiB, with and without Content-Length being honest.
    let mut c = gz();
    c.body = vec![b' '; (1 << 20) + 1];
    expect("RequestSizeLimitExceeded")(call(a, &c, MGMT_ID, MGMT_KEY).await);
    // Body that is not a JSON object.
    let mut c = gz();
    c.body = b"[1,2]".to_vec();
    expect("InvalidParameter")(call(a, &c, MGMT_ID, MGMT_KEY).await);
    // A method the API does not take.
    let mut c = gz();
    c.method = "PUT".into();
    expect("UnsupportedProtocol")(call(a, &c, MGMT_ID, MGMT_KEY).await);

    let s = sim.counters().snapshot();
    // InvalidAuthorization x2, SecretIdNotFound, SignatureFailure x3, SignatureExpire x5.
    assert_eq!(s.signature_failures, 11);
    assert_eq!(s.count("", TCSS_ACTION, "AuthFailure.SecretIdNotFound"), 1);
    assert_eq!(s.count(MGMT, TCSS_ACTION, "AuthFailure.SignatureExpire"), 5);
    assert_eq!(s.count(MGMT, TCSS_ACTION, "UnsupportedRegion"), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn rate_limit_is_a_sliding_second_per_account_and_action() {
    let mut f = fleet();
    f.settings.tcss_rate_limit = 20;
    f.accounts[2].faults.rate_limit = Some(3);
    let sim = start(f).await;
    let a = sim.addr();
    let host = a.to_string();

    // 25 requests at once, all pre-signed so they arrive well within one second.
    let reqs: Vec<_> = (0..25)
        .map(|_| Call::tcss("ap-guangzhou").build(&host, MGMT_ID, MGMT_KEY))
        .collect();
    let replies = futures_join(reqs.into_iter().map(|r| send(a, r))).await;
    let mut ok = 0;
    let mut limited = Vec::new();
    for r in replies {
        let r = r.expect("answer");
        match r.code() {
            None => ok += 1,
            Some(code) => {
                assert_eq!(code, "RequestLimitExceeded");
                limited.push(r.message());
            }
        }
    }
    assert_eq!(ok, 20);
    assert_eq!(limited.len(), 5);
    assert!(limited.iter().any(|m| m
        == "Your current request times equals to `21` in a second, which exceeds the frequency limit `20` for a second. Please reduce your request times."));
    // Another account has its own window (and a lower limit).
    let mut codes = Vec::new();
    for _ in 0..4 {
        codes.push(
            call(a, &Call::tcss("ap-guangzhou"), OUT_ID, OUT_KEY)
                .await
                .code(),
        );
    }
    assert_eq!(
        codes,
        vec![None, None, None, Some("RequestLimitExceeded".to_owned())]
    );

    let s = sim.counters().snapshot();
    assert_eq!(s.throttled, 6);
    assert_eq!(s.count(MGMT, TCSS_ACTION, "RequestLimitExceeded"), 5);
    assert_eq!(s.max_rate_for(MGMT, TCSS_ACTION), 25);
    assert_eq!(s.max_rate_for(OUTSIDER, TCSS_ACTION), 4);
    assert_eq!(s.max_rate_any(TCSS_ACTION), 25);
    sim.shutdown().await;
}

/// Joins futures concurrently on the current task (no extra dependency).
async fn futures_join<F: std::future::Future + Send + 'static>(
    fs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

#[tokio::test]
async fn assume_role_is_rate_limited_per_calling_account() {
    let mut f = fleet();
    f.settings.sts_rate_limit = 2;
    let sim = start(f).await;
    let body = json!({"RoleArn": ROLE_ARN, "RoleSessionName": "audit"});
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(
            call(
                sim.addr(),
                &Call::sts("AssumeRole", body.clone()),
                MGMT_ID,
                MGMT_KEY,
            )
            .await
            .code(),
        );
    }
    assert_eq!(
        codes,
        vec![None, None, Some("RequestLimitExceeded".to_owned())]
    );
    let s = sim.counters().snapshot();
    assert_eq!(s.max_rate_for(MGMT, "AssumeRole"), 3);
    assert_eq!(s.count(MGMT, "AssumeRole", "Success"), 2);
    sim.shutdown().await;
}

async fn assume(sim: &SimHandle, duration: Option<i64>) -> (String, String, String, Value) {
    let mut body = json!({"RoleArn": ROLE_ARN, "RoleSessionName": "tcss-report"});
    if let Some(d) = duration {
        body["DurationSeconds"] = json!(d);
    }
    let r = call(
        sim.addr(),
        &Call::sts("AssumeRole", body),
        MGMT_ID,
        MGMT_KEY,
    )
    .await;
    let resp = r.expect_ok();
    let c = &resp["Credentials"];
    (
        c["TmpSecretId"].as_str().expect("id").to_owned(),
        c["TmpSecretKey"].as_str().expect("key").to_owned(),
        c["Token"].as_str().expect("token").to_owned(),
        resp,
    )
}

#[tokio::test]
async fn assume_role_then_call_the_member_account_with_the_token() {
    let sim = start(fleet()).await;
    let a = sim.addr();
    let before = now();
    let (id, key, token, resp) = assume(&sim, Some(900)).await;
    let expired = resp["ExpiredTime"].as_i64().expect("ExpiredTime");
    assert!((expired - before - 900).abs() <= 2, "{expired}");
    let expiration =
        chrono::DateTime::parse_from_rfc3339(resp["Expiration"].as_str().expect("Expiration"))
            .expect("RFC 3339");
    assert_eq!(expiration.timestamp(), expired);

    // The temporary credentials act in the member account.
    let r = call(a, &Call::tcss("ap-guangzhou").token(&token), &id, &key).await;
    assert_eq!(r.expect_ok()["TotalAuthorizedCnt"], 7);
    // Without the token, with a wrong token.
    call(a, &Call::tcss("ap-guangzhou"), &id, &key)
        .await
        .expect_code("AuthFailure.TokenFailure");
    call(a, &Call::tcss("ap-guangzhou").token("forged"), &id, &key)
        .await
        .expect_code("AuthFailure.TokenFailure");
    // The token of other credentials.
    let (_, _, other_token, _) = assume(&sim, None).await;
    call(
        a,
        &Call::tcss("ap-guangzhou").token(&other_token),
        &id,
        &key,
    )
    .await
    .expect_code("AuthFailure.TokenFailure");
    // Wrong temporary key still fails the signature.
    call(a, &Call::tcss("ap-guangzhou").token(&token), &id, "wrong")
        .await
        .expect_code("AuthFailure.SignatureFailure");

    // GetCallerIdentity for both kinds of credentials.
    let me = call(
        a,
        &Call::sts("GetCallerIdentity", json!({})),
        MGMT_ID,
        MGMT_KEY,
    )
    .await
    .expect_ok();
    assert_eq!(me["AccountId"], MGMT);
    assert_eq!(me["Arn"], format!("qcs::cam::uin/{MGMT}:uin/{MGMT}"));
    for k in ["UserId", "PrincipalId", "Type"] {
        assert!(me[k].is_string(), "{k}");
    }
    let role = call(
        a,
        &Call::sts("GetCallerIdentity", json!({})).token(&token),
        &id,
        &key,
    )
    .await
    .expect_ok();
    assert_eq!(role["AccountId"], MEMBER);
    assert!(role["Arn"].as_str().expect("arn").contains("assumed-role"));
    assert_eq!(role["PrincipalId"], MGMT);

    // Expiry: move the simulator's clock past it (and sign on that clock).
    sim.advance_clock(901);
    let later = sim.now_unix();
    call(
        a,
        &Call::tcss("ap-guangzhou").token(&token).at(later),
        &id,
        &key,
    )
    .await
    .expect_code("AuthFailure.TokenFailure");

    let s = sim.counters().snapshot();
    assert_eq!(s.count(MEMBER, TCSS_ACTION, "Success"), 1);
    assert_eq!(s.count(MEMBER, TCSS_ACTION, "AuthFailure.TokenFailure"), 4);
    assert_eq!(s.count(MGMT, "AssumeRole", "Success"), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn assume_role_rejections() {
    let sim = start(fleet()).await;
    let a = sim.addr();
    let ar = |body: Value| Call::sts("AssumeRole", body);
    // Not trusted.
    let r = call(
        a,
        &ar(json!({"RoleArn": ROLE_ARN, "RoleSessionName": "x1"})),
        OUT_ID,
        OUT_KEY,
    )
    .await;
    r.expect_code("UnauthorizedOperation");
    assert!(r.message().contains(OUTSIDER));
    // Unknown role, unknown account.
    let r = call(
        a,
        &ar(
            json!({"RoleArn": "qcs::cam::uin/200000000002:roleName/Nope", "RoleSessionName": "x1"}),
        ),
        MGMT_ID,
        MGMT_KEY,
    )
    .await;
    r.expect_code("InvalidParameter.RoleNotExist");
    call(
        a,
        &ar(json!({"RoleArn": "qcs::cam::uin/999999999999:roleName/OrgRole", "RoleSessionName": "x1"})),
        MGMT_ID,
        MGMT_KEY,
    )
    .await
    .expect_code("InvalidParameter.RoleNotExist");
    // Malformed ARN.
    call(
        a,
        &ar(json!({"RoleArn": "arn:aws:iam::1:role/x", "RoleSessionName": "x1"})),
        MGMT_ID,
        MGMT_KEY,
    )
    .await
    .expect_code("InvalidParameter");
    // Missing parameters.
    let r = call(a, &ar(json!({"RoleSessionName": "x1"})), MGMT_ID, MGMT_KEY).await;
    r.expect_code("MissingParameter");
    assert!(r.message().contains("RoleArn"));
    let r = call(a, &ar(json!({"RoleArn": ROLE_ARN})), MGMT_ID, MGMT_KEY).await;
    r.expect_code("MissingParameter");
    assert!(r.message().contains("RoleSessionName"));
    // Duration bounds.
    for d in [0, 43_201] {
        call(
            a,
            &ar(json!({"RoleArn": ROLE_ARN, "RoleSessionName": "x1", "DurationSeconds": d})),
            MGMT_ID,
            MGMT_KEY,
        )
        .await
        .expect_code("InvalidParameterValue");
    }
    call(
        a,
        &ar(json!({"RoleArn": ROLE_ARN, "RoleSessionName": "x1", "DurationSeconds": 43_200})),
        MGMT_ID,
        MGMT_KEY,
    )
    .await
    .expect_ok();
    // The STS action signed for the tcss service.
    let mut c = ar(json!({"RoleArn": ROLE_ARN, "RoleSessionName": "x1"}));
    c.scope_service = "tcss".into();
    call(a, &c, MGMT_ID, MGMT_KEY)
        .await
        .expect_code("AuthFailure.SignatureFailure");
    // GET with form parameters works too.
    let mut c = ar(json!({}));
    c.method = "GET".into();
    c.body = Vec::new();
    c.query = "RoleArn=qcs%3A%3Acam%3A%3Auin%2F200000000002%3AroleName%2FOrgRole&RoleSessionName=get1&DurationSeconds=60"
        .into();
    let resp = call(a, &c, MGMT_ID, MGMT_KEY).await.expect_ok();
    assert!(resp["Credentials"]["Token"].is_string());
    sim.shutdown().await;
}

fn faulty(kind: FaultKind, first_n: u32) -> Fleet {
    let mut f = fleet();
    f.accounts[0].faults = Faults {
        first_n,
        first_kind: Some(kind),
        ..Faults::default()
    };
    f
}

#[tokio::test]
async fn first_n_internal_error_is_per_account_region_and_action() {
    let sim = start(faulty(FaultKind::InternalError, 2)).await;
    let a = sim.addr();
    let gz = Call::tcss("ap-guangzhou");
    call(a, &gz, MGMT_ID, MGMT_KEY)
        .await
        .expect_code("InternalError");
    call(a, &gz, MGMT_ID, MGMT_KEY)
        .await
        .expect_code("InternalError");
    call(a, &gz, MGMT_ID, MGMT_KEY).await.expect_ok();
    // Another region of the same account starts its own count.
    call(a, &Call::tcss("ap-shanghai"), MGMT_ID, MGMT_KEY)
        .await
        .expect_code("InternalError");
    // Other accounts are unaffected.
    call(a, &gz, OUT_ID, OUT_KEY).await.expect_ok();
    // STS actions have their own count too.
    let body = json!({"RoleArn": ROLE_ARN, "RoleSessionName": "s1"});
    call(a, &Call::sts("AssumeRole", body), MGMT_ID, MGMT_KEY)
        .await
        .expect_code("InternalError");
    let s = sim.counters().snapshot();
    assert_eq!(s.count(MGMT, TCSS_ACTION, "InternalError"), 3);
    assert_eq!(s.count(MGMT, TCSS_ACTION, "Success"), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn http502_and_malformed_json_faults() {
    let sim = start(faulty(FaultKind::Http502, 1)).await;
    let r = send(
        sim.addr(),
        Call::tcss("ap-guangzhou").build(&sim.addr().to_string(), MGMT_ID, MGMT_KEY),
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 502);
    assert!(r.headers["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    assert!(String::from_utf8_lossy(&r.body).contains("502 Bad Gateway"));
    call(sim.addr(), &Call::tcss("ap-guangzhou"), MGMT_ID, MGMT_KEY)
        .await
        .expect_ok();
    assert_eq!(
        sim.counters()
            .snapshot()
            .count(MGMT, TCSS_ACTION, "Http502"),
        1
    );
    sim.shutdown().await;

    let sim = start(faulty(FaultKind::MalformedJson, 1)).await;
    let r = send(
        sim.addr(),
        Call::tcss("ap-guangzhou").build(&sim.addr().to_string(), MGMT_ID, MGMT_KEY),
    )
    .await
    .expect("answer");
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "application/json");
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    call(sim.addr(), &Call::tcss("ap-guangzhou"), MGMT_ID, MGMT_KEY)
        .await
        .expect_ok();
    assert_eq!(
        sim.counters()
            .snapshot()
            .count(MGMT, TCSS_ACTION, "MalformedJson"),
        1
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn reset_fault_closes_the_connection_without_an_answer() {
    let sim = start(faulty(FaultKind::Reset, 1)).await;
    let req = Call::tcss("ap-guangzhou").build(&sim.addr().to_string(), MGMT_ID, MGMT_KEY);
    let err = send(sim.addr(), req).await.expect_err("no answer");
    // SO_LINGER=0 on close: the client sees a TCP reset, not a clean end of stream.
    assert!(err.to_ascii_lowercase().contains("reset"), "{err}");
    call(sim.addr(), &Call::tcss("ap-guangzhou"), MGMT_ID, MGMT_KEY)
        .await
        .expect_ok();
    assert_eq!(
        sim.counters().snapshot().count(MGMT, TCSS_ACTION, "Reset"),
        1
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn hang_fault_never_answers_and_ends_at_shutdown() {
    let sim = start(faulty(FaultKind::Hang, 1)).await;
    let a = sim.addr();
    let req = Call::tcss("ap-guangzhou").build(&a.to_string(), MGMT_ID, MGMT_KEY);
    let err = send_timeout(a, req, Duration::from_millis(300))
        .await
        .expect_err("hangs");
    assert_eq!(err, "client timeout");
    // A second hanging request from another region, still pending at shutdown.
    let req = Call::tcss("ap-shanghai").build(&a.to_string(), MGMT_ID, MGMT_KEY);
    let pending = tokio::spawn(send(a, req));
    // Wait until it is in flight (bounded polling, not a fixed sleep).
    let counters = sim.counters();
    for _ in 0..200 {
        if counters.snapshot().count(MGMT, TCSS_ACTION, "Hang") >= 2 {
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let snap = counters.snapshot();
    assert_eq!(snap.count(MGMT, TCSS_ACTION, "Hang"), 2);
    assert!(snap.max_in_flight >= 1);
    let started = Instant::now();
    sim.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "shutdown ends hanging requests"
    );
    let outcome = tokio::time::timeout(Duration::from_secs(3), pending)
        .await
        .expect("ends")
        .expect("task");
    assert!(outcome.is_err(), "a hanging request never gets an answer");
}

#[tokio::test]
async fn persistent_error_everywhere_or_in_listed_regions() {
    let mut f = fleet();
    f.accounts[0].faults.persistent_error = Some("InternalError.ErrRoleNotExist".into());
    f.accounts[0].faults.persistent_regions = Some(vec!["ap-shanghai".into()]);
    f.accounts[2].faults.persistent_error = Some("AuthFailure.UnauthorizedOperation".into());
    let sim = start(f).await;
    let a = sim.addr();
    call(a, &Call::tcss("ap-guangzhou"), MGMT_ID, MGMT_KEY)
        .await
        .expect_ok();
    for _ in 0..2 {
        call(a, &Call::tcss("ap-shanghai"), MGMT_ID, MGMT_KEY)
            .await
            .expect_code("InternalError.ErrRoleNotExist");
    }
    call(a, &Call::tcss("ap-tokyo"), OUT_ID, OUT_KEY)
        .await
        .expect_code("AuthFailure.UnauthorizedOperation");
    // STS is not affected by the TCSS persistent error.
    let body = json!({"RoleArn": ROLE_ARN, "RoleSessionName": "s1"});
    call(a, &Call::sts("AssumeRole", body), MGMT_ID, MGMT_KEY)
        .await
        .expect_ok();
    let s = sim.counters().snapshot();
    assert_eq!(
        s.count(MGMT, TCSS_ACTION, "InternalError.ErrRoleNotExist"),
        2
    );
    assert_eq!(
        s.signature_failures, 0,
        "UnauthorizedOperation is not a signature failure"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn clock_offset_shows_in_date_and_in_the_skew_check() {
    let mut f = fleet();
    f.accounts[0].faults.clock_offset_secs = 3600;
    let sim = start(f).await;
    let a = sim.addr();
    let r = call(a, &Call::tcss("ap-guangzhou"), MGMT_ID, MGMT_KEY).await;
    r.expect_code("AuthFailure.SignatureExpire");
    let date = chrono::DateTime::parse_from_rfc2822(r.headers["date"].to_str().expect("ascii"))
        .expect("http date")
        .timestamp();
    assert!(
        (date - now() - 3600).abs() <= 2,
        "Date reflects the offset: {date}"
    );
    // Signing on the server's clock works.
    call(a, &Call::tcss("ap-guangzhou").at(date), MGMT_ID, MGMT_KEY)
        .await
        .expect_ok();
    // Other accounts keep the true clock.
    let r = call(a, &Call::tcss("ap-guangzhou"), OUT_ID, OUT_KEY).await;
    r.expect_ok();
    let d2 = chrono::DateTime::parse_from_rfc2822(r.headers["date"].to_str().expect("ascii"))
        .expect("http date")
        .timestamp();
    assert!((d2 - now()).abs() <= 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn latency_applies_to_every_action_and_counts_in_flight() {
    let mut f = fleet();
    f.accounts[0].faults.latency_ms = 60;
    let sim = start(f).await;
    let a = sim.addr();
    let host = a.to_string();
    let started = Instant::now();
    call(a, &Call::tcss("ap-guangzhou"), MGMT_ID, MGMT_KEY)
        .await
        .expect_ok();
    assert!(started.elapsed() >= Duration::from_millis(60));
    let started = Instant::now();
    call(
        a,
        &Call::sts("GetCallerIdentity", json!({})),
        MGMT_ID,
        MGMT_KEY,
    )
    .await
    .expect_ok();
    assert!(
        started.elapsed() >= Duration::from_millis(60),
        "STS has latency too"
    );
    // Eight concurrent slow requests overlap.
    let reqs: Vec<_> = (0..8)
        .map(|_| Call::tcss("ap-guangzhou").build(&host, MGMT_ID, MGMT_KEY))
        .collect();
    for r in futures_join(reqs.into_iter().map(|r| send(a, r))).await {
        r.expect("answer").expect_ok();
    }
    let s = sim.counters().snapshot();
    assert!(s.max_in_flight >= 4, "max_in_flight {}", s.max_in_flight);
    assert_eq!(s.in_flight, 0);
    assert_eq!(s.total, 10);
    let json = serde_json::to_value(&s).expect("serializable");
    for k in [
        "total",
        "by_key",
        "signature_failures",
        "throttled",
        "max_in_flight",
        "max_rate",
    ] {
        assert!(json.get(k).is_some(), "{k}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn serve_runs_on_a_given_listener_and_rejects_invalid_fleets() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let counters = std::sync::Arc::new(tcss_sim::Counters::new());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(tcss_sim::serve(
        listener,
        fleet(),
        counters.clone(),
        async {
            let _ = rx.await;
        },
    ));
    call(addr, &Call::tcss("ap-guangzhou"), MGMT_ID, MGMT_KEY)
        .await
        .expect_ok();
    assert_eq!(counters.snapshot().total, 1);
    let _ = tx.send(());
    server.await.expect("task").expect("clean shutdown");

    let mut bad = fleet();
    bad.accounts[1].uin = MGMT.into();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let err = tcss_sim::serve(listener, bad, counters, async {})
        .await
        .expect_err("duplicate uin");
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_generated_fleet_is_servable_end_to_end() {
    let fleet = Fleet::generate(&tcss_sim::GenOptions {
        seed: 5,
        accounts: 12,
        regions: vec!["ap-guangzhou".into(), "ap-shanghai".into()],
        ..tcss_sim::GenOptions::default()
    });
    let sim = start(fleet.clone()).await;
    let a = sim.addr();
    let key_of = |uin: &str| {
        let acct = fleet.account(uin).expect("manager");
        (
            acct.keys[0].secret_id.clone(),
            acct.keys[0].secret_key.clone(),
        )
    };
    for acct in &fleet.accounts {
        for region in ["ap-guangzhou", "ap-shanghai"] {
            let resp = if acct.keys.is_empty() {
                let role = &acct.roles[0];
                let (id, key) = key_of(&role.trusted[0]);
                let arn = format!("qcs::cam::uin/{}:roleName/{}", acct.uin, role.name);
                let body = json!({"RoleArn": arn, "RoleSessionName": "e2e"});
                let creds = call(a, &Call::sts("AssumeRole", body), &id, &key)
                    .await
                    .expect_ok();
                let c = &creds["Credentials"];
                let (tid, tkey, token) = (
                    c["TmpSecretId"].as_str().expect("id"),
                    c["TmpSecretKey"].as_str().expect("key"),
                    c["Token"].as_str().expect("token"),
                );
                call(a, &Call::tcss(region).token(token), tid, tkey)
                    .await
                    .expect_ok()
            } else {
                let (id, key) = key_of(&acct.uin);
                call(a, &Call::tcss(region), &id, &key).await.expect_ok()
            };
            let mut got = obj(resp);
            got.remove("RequestId");
            assert_eq!(got, acct.data_for_region(region), "{} {region}", acct.uin);
        }
    }
    let s = sim.counters().snapshot();
    assert_eq!(s.count_code(TCSS_ACTION, "Success"), 24);
    assert_eq!(s.signature_failures, 0);
    sim.shutdown().await;
}
