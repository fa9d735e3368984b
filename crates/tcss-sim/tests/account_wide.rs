//! The account-wide TCSS actions over real loopback HTTP:
//! `DescribePurchaseStateInfo` and `DescribeImageAutoAuthorizedRule` answer
//! the account's `answers` (or the defaults), with `X-TC-Region` optional,
//! each its own rate limit, and the usual faults.

mod common;

use std::collections::BTreeMap;

use common::{call, Call};
use serde_json::{json, Map, Value};
use tcss_sim::{FaultKind, Fleet, KeyPair, Settings, SimAccount, SimHandle};

const PURCHASE: &str = "DescribePurchaseStateInfo";
const RULE: &str = "DescribeImageAutoAuthorizedRule";
const UIN: &str = "100000000001";
const ID: &str = "AKIDwide00000000000000000000000000001";
const KEY: &str = "wide-secret-key";
const PLAIN: &str = "100000000002";
const PLAIN_ID: &str = "AKIDwide00000000000000000000000000002";

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

fn account(uin: &str, id: &str) -> SimAccount {
    SimAccount {
        uin: uin.into(),
        keys: vec![KeyPair {
            secret_id: id.into(),
            secret_key: KEY.into(),
        }],
        regions: Some(vec!["ap-guangzhou".into()]),
        ..SimAccount::default()
    }
}

/// One account with answers (nulls and undocumented values included),
/// one without.
fn fleet() -> Fleet {
    let mut with = account(UIN, ID);
    with.answers = BTreeMap::from([
        (
            PURCHASE.to_owned(),
            obj(
                json!({"State": 3, "SubState": "NORMAL", "AutomaticRenewal": 194,
                       "AllCoresCnt": 12, "CoresCnt": 10, "UndefendCoresCnt": null}),
            ),
        ),
        (
            RULE.to_owned(),
            obj(json!({"IsEnabled": 1, "RangeType": "ALL", "MaxDailyCount": 0})),
        ),
    ]);
    Fleet {
        settings: Settings::default(),
        accounts: vec![with, account(PLAIN, PLAIN_ID)],
    }
}

fn wide(action: &str, region: Option<&str>) -> Call {
    Call {
        action: Some(action.into()),
        region: region.map(str::to_owned),
        ..Call::tcss("ap-guangzhou")
    }
}

async fn start(f: Fleet) -> SimHandle {
    tcss_sim::spawn(f, "127.0.0.1:0")
        .await
        .expect("simulator starts")
}

#[tokio::test]
async fn both_actions_answer_the_fleet_or_the_defaults_with_or_without_a_region() {
    let sim = start(fleet()).await;
    let a = sim.addr();
    let p = call(a, &wide(PURCHASE, None), ID, KEY).await.expect_ok();
    assert_eq!(
        (&p["State"], &p["SubState"], &p["AutomaticRenewal"]),
        (&json!(3), &json!("NORMAL"), &json!(194))
    );
    assert_eq!(p["UndefendCoresCnt"], Value::Null);
    assert!(p["RequestId"].is_string());
    let r = call(a, &wide(RULE, Some("ap-guangzhou")), ID, KEY)
        .await
        .expect_ok();
    assert_eq!(
        (&r["IsEnabled"], &r["RangeType"]),
        (&json!(1), &json!("ALL"))
    );

    // No answers: an account that never bought the edition, no rule.
    let p = call(a, &wide(PURCHASE, Some("ap-guangzhou")), PLAIN_ID, KEY)
        .await
        .expect_ok();
    assert_eq!((&p["State"], &p["CoresCnt"]), (&json!(0), &json!(0)));
    assert_eq!(p["ExpirationTime"], "");
    let r = call(a, &wide(RULE, None), PLAIN_ID, KEY).await.expect_ok();
    assert_eq!((&r["IsEnabled"], &r["RuleId"]), (&json!(0), &json!(0)));

    // A region, when given, must be one the account answers in.
    call(a, &wide(PURCHASE, Some("ap-tokyo")), ID, KEY)
        .await
        .expect_code("UnsupportedRegion");
    // The TCSS version, signed for `tcss`.
    let mut c = wide(RULE, None);
    c.version = Some("2018-08-13".into());
    call(a, &c, ID, KEY).await.expect_code("NoSuchVersion");
    let mut c = wide(RULE, None);
    c.scope_service = "sts".into();
    call(a, &c, ID, KEY)
        .await
        .expect_code("AuthFailure.SignatureFailure");

    let s = sim.counters().snapshot();
    assert_eq!(s.count(UIN, PURCHASE, "Success"), 1);
    assert_eq!(s.count(UIN, RULE, "Success"), 1);
    assert_eq!(s.count(PLAIN, PURCHASE, "Success"), 1);
    assert_eq!(s.count(UIN, PURCHASE, "UnsupportedRegion"), 1);
    sim.shutdown().await;
}

/// Each action has its own window per account: at a limit of 3, three of
/// each pass in one second, and a fourth of one is throttled.
#[tokio::test]
async fn each_action_is_limited_on_its_own() {
    let mut f = fleet();
    f.settings.tcss_rate_limit = 3;
    let sim = start(f).await;
    let a = sim.addr();
    for action in [PURCHASE, RULE, "DescribeImageAuthorizedInfo"] {
        for _ in 0..3 {
            let c = wide(action, Some("ap-guangzhou"));
            call(a, &c, ID, KEY).await.expect_ok();
        }
    }
    call(a, &wide(RULE, None), ID, KEY)
        .await
        .expect_code("RequestLimitExceeded");
    let s = sim.counters().snapshot();
    assert_eq!(s.max_rate_for(UIN, PURCHASE), 3);
    assert_eq!(s.max_rate_for(UIN, RULE), 4);
    assert_eq!(s.count(UIN, RULE, "RequestLimitExceeded"), 1);
    sim.shutdown().await;
}

/// `InternalError.ErrRoleNotExist` (final) on every TCSS action,
/// `InternalError.MainDBFail` (transient) on the one `persistent_actions`
/// names, and the first-N faults per action.
#[tokio::test]
async fn the_usual_faults_apply() {
    let mut f = fleet();
    f.accounts[0].faults.persistent_error = Some("InternalError.ErrRoleNotExist".into());
    f.accounts[1].faults.persistent_error = Some("InternalError.MainDBFail".into());
    f.accounts[1].faults.persistent_actions = Some(vec![PURCHASE.into()]);
    let sim = start(f).await;
    let a = sim.addr();
    for action in [PURCHASE, RULE, "DescribeImageAuthorizedInfo"] {
        let r = call(a, &wide(action, Some("ap-guangzhou")), ID, KEY).await;
        r.expect_code("InternalError.ErrRoleNotExist");
        assert!(
            r.message().contains("not been authorized"),
            "{}",
            r.message()
        );
    }
    let r = call(a, &wide(PURCHASE, None), PLAIN_ID, KEY).await;
    r.expect_code("InternalError.MainDBFail");
    assert!(r.message().contains("database"), "{}", r.message());
    call(a, &wide(RULE, None), PLAIN_ID, KEY).await.expect_ok();
    sim.shutdown().await;

    let mut f = fleet();
    f.accounts[0].faults.first_n = 1;
    f.accounts[0].faults.first_kind = Some(FaultKind::InternalError);
    let sim = start(f).await;
    let a = sim.addr();
    for action in [PURCHASE, RULE] {
        let c = wide(action, Some("ap-guangzhou"));
        call(a, &c, ID, KEY).await.expect_code("InternalError");
        call(a, &c, ID, KEY).await.expect_ok();
    }
    sim.shutdown().await;
}

#[test]
fn answers_and_persistent_actions_name_known_actions() {
    let mut f = fleet();
    f.accounts[1].answers = BTreeMap::from([("DescribeImageAuthorizedInfo".into(), Map::new())]);
    let e = f.validate().expect_err("per-region action").to_string();
    assert!(
        e.contains("answers.DescribeImageAuthorizedInfo: not an account-wide TCSS action")
            && e.contains(PURCHASE)
            && e.contains(RULE),
        "{e}"
    );
    let mut f = fleet();
    f.accounts[1].faults.persistent_actions = Some(vec![PURCHASE.into()]);
    let e = f.validate().expect_err("no error to restrict").to_string();
    assert!(e.contains("persistent_actions without"), "{e}");
    f.accounts[1].faults.persistent_error = Some("InternalError".into());
    f.validate().expect("valid");
    f.accounts[1].faults.persistent_actions = Some(vec!["AssumeRole".into()]);
    let e = f.validate().expect_err("not TCSS").to_string();
    assert!(e.contains("\"AssumeRole\" is not a TCSS action"), "{e}");

    // Answers round-trip through TOML, nulls included.
    let text = fleet().to_toml_string().expect("toml");
    assert!(
        text.contains("[accounts.answers.DescribePurchaseStateInfo]"),
        "{text}"
    );
    assert!(text.contains("UndefendCoresCnt = \"$null\""), "{text}");
    assert_eq!(Fleet::from_toml_str(&text).expect("parse"), fleet());
}

/// Generated fleets answer both actions for every account, with the cases a
/// client must keep as sent.
#[test]
fn generated_answers_cover_every_edition_and_the_edge_cases() {
    let f = Fleet::generate(&tcss_sim::GenOptions {
        accounts: 300,
        ..tcss_sim::GenOptions::default()
    });
    let purchase: Vec<&Map<String, Value>> =
        f.accounts.iter().map(|a| &a.answers[PURCHASE]).collect();
    let states: std::collections::BTreeSet<i64> = purchase
        .iter()
        .filter_map(|p| p.get("State").and_then(Value::as_i64))
        .collect();
    assert_eq!(
        states,
        [0, 1, 2, 3, 4, 5].into(),
        "every State, one undocumented"
    );
    assert!(purchase
        .iter()
        .any(|p| p.get("AutomaticRenewal") == Some(&json!(194))));
    assert!(purchase
        .iter()
        .any(|p| p.get("SubState") == Some(&Value::Null)));
    assert!(purchase.iter().any(|p| p.get("AllCoresCnt").is_none()));
    assert!(purchase
        .iter()
        .any(|p| p.get("SubState") == Some(&json!("DESTROED"))));
    for p in &purchase {
        let n = |k: &str| p.get(k).and_then(Value::as_i64);
        if let (Some(all), Some(cores), Some(un)) =
            (n("AllCoresCnt"), n("CoresCnt"), n("UndefendCoresCnt"))
        {
            assert_eq!(all, cores + un, "{p:?}");
        }
        // Trial, purchased and flexible cores are within the protected ones.
        if let Some(cores) = n("CoresCnt") {
            let parts = [
                "GivenAuthorizedCoresCnt",
                "AuthorizedCoresCnt",
                "CurrentFlexibleCoresCnt",
            ];
            let sum: i64 = parts.iter().filter_map(|k| n(k)).sum();
            assert!(sum <= cores, "{p:?}");
        }
        // An expired edition ended before the reference day; one in effect
        // ends after it.
        let end = p
            .get("ExpirationTime")
            .and_then(Value::as_str)
            .unwrap_or("");
        let reference = "2026-11-26 00:00:00";
        match n("State") {
            Some(4) => assert!(!end.is_empty() && end < reference, "{p:?}"),
            Some(2 | 3) if !end.is_empty() => assert!(end > reference, "{p:?}"),
            _ => {}
        }
    }
    assert_eq!(tcss_sim::fleet::REFERENCE_DATE, (2026, 11, 26));
    let ranges: std::collections::BTreeSet<&str> = f
        .accounts
        .iter()
        .filter_map(|a| a.answers[RULE].get("RangeType").and_then(Value::as_str))
        .collect();
    assert_eq!(ranges, ["ALL", "MANUAL"].into());
    f.validate().expect("a generated fleet is valid");
}
