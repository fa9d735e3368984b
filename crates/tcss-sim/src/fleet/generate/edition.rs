//! The generated account-wide answers: the Pro edition and its cores
//! (`DescribePurchaseStateInfo`) and the automatic image authorization rule
//! (`DescribeImageAutoAuthorizedRule`), drawn per account like its license
//! data, with the edge cases a client must keep as sent: an undocumented
//! `AutomaticRenewal` (194, as in the official CLI's example) or `State`,
//! `null` fields and older answers that lack fields.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use tcapi::tcss;

use super::{pick, rng_for, REFERENCE_DATE};

/// The `answers` of one account: both account-wide actions, from
/// `(seed, key)` (the same on every machine).
pub fn sample_account_answers(seed: u64, key: &str) -> BTreeMap<String, Map<String, Value>> {
    let mut rng = rng_for(seed, &format!("{key}\0answers"));
    let mut out = BTreeMap::new();
    out.insert(
        tcss::DESCRIBE_PURCHASE_STATE_INFO.name.to_owned(),
        purchase_state(&mut rng),
    );
    out.insert(
        tcss::DESCRIBE_IMAGE_AUTO_AUTHORIZED_RULE.name.to_owned(),
        auto_authorized_rule(&mut rng),
    );
    out
}

/// `YYYY-MM-DD HH:MM:SS`, `days` from the reference day.
fn day(days: i64) -> String {
    let (y, m, d) = REFERENCE_DATE;
    let reference = NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    format!(
        "{} 00:00:00",
        (reference + Duration::days(days)).format("%Y-%m-%d")
    )
}

fn purchase_state(rng: &mut ChaCha8Rng) -> Map<String, Value> {
    let kind = rng.gen_range(0u32..100);
    let state: i64 = match kind {
        0..=9 => 0,
        10..=14 => 1,
        15..=29 => 2,
        30..=79 | 90..=99 => 3,
        _ => 4,
    };
    let (given, purchased, flexible) = match state {
        2 => (rng.gen_range(1i64..=5) * 10, 0, 0),
        3 | 4 => (
            0,
            rng.gen_range(1i64..=200) * 4,
            *pick(rng, &[0i64, 0, 0, 8, 32]),
        ),
        _ => (0, 0, 0),
    };
    let protected = given + purchased + flexible;
    let unprotected = rng.gen_range(0..=protected / 3 + 16);
    // Expiring within 30 days, later, or (expired) already past.
    let end = match (state, rng.gen_range(0u32..100)) {
        (4, _) => -rng.gen_range(1i64..=200),
        (2, _) | (_, 0..=24) => rng.gen_range(1..=30),
        _ => rng.gen_range(31..=720),
    };
    let term = if state == 2 {
        15
    } else {
        *pick(rng, &[365i64, 730, 1095])
    };
    let (begin, end) = match state {
        2..=4 => (day(end - term), day(end)),
        _ => (String::new(), String::new()),
    };
    let renewal = if state == 3 {
        *pick(rng, &[0i64, 1, 1, 2])
    } else {
        0
    };
    let sub_state = match state {
        3 => "NORMAL",
        4 => *pick(rng, &["ISOLATE", "DESTROED"]),
        _ => "",
    };
    let Value::Object(mut m) = json!({
        "State": state, "AllCoresCnt": protected + unprotected, "CoresCnt": protected,
        "UndefendCoresCnt": unprotected, "AuthorizedCoresCnt": purchased,
        "GivenAuthorizedCoresCnt": given, "CurrentFlexibleCoresCnt": flexible,
        "FlexibleCoresLimit": if flexible > 0 { 256 } else { 0 },
        "ExpirationTime": end, "BeginTime": begin, "AutomaticRenewal": renewal,
        "SubState": sub_state, "GivenAuthorizedCnt": if state == 2 { 50 } else { 0 },
        "ImageCnt": rng.gen_range(0i64..=900), "TrialCoresCnt": given,
    }) else {
        return Map::new();
    };
    edge_case(kind, &mut m);
    m
}

/// The answers a client must keep as sent, by the account's `kind`.
fn edge_case(kind: u32, m: &mut Map<String, Value>) {
    match kind {
        // The official CLI's example: an undocumented renewal value.
        90..=93 => {
            m.insert("AutomaticRenewal".into(), json!(194));
        }
        94..=96 => {
            for field in [
                "AllCoresCnt",
                "UndefendCoresCnt",
                "ExpirationTime",
                "SubState",
            ] {
                m.insert(field.into(), Value::Null);
            }
        }
        // An older answer without the core details, with a State no
        // documentation names.
        97..=99 => {
            m.retain(|k, _| matches!(k.as_str(), "CoresCnt" | "ExpirationTime"));
            m.insert("State".into(), json!(5));
        }
        _ => {}
    }
}

fn auto_authorized_rule(rng: &mut ChaCha8Rng) -> Map<String, Value> {
    let enabled = rng.gen_bool(0.6);
    let manual = rng.gen_bool(0.4);
    let mut m = Map::new();
    m.insert("IsEnabled".into(), json!(i64::from(enabled)));
    m.insert(
        "RangeType".into(),
        json!(if manual { "MANUAL" } else { "ALL" }),
    );
    m.insert(
        "HostCount".into(),
        json!(if manual { rng.gen_range(1i64..=50) } else { 0 }),
    );
    m.insert(
        "MaxDailyCount".into(),
        json!(*pick(rng, &[0i64, 0, 20, 100, 500])),
    );
    m.insert(
        "RuleId".into(),
        json!(if enabled || manual {
            rng.gen_range(1i64..=99_999)
        } else {
            0
        }),
    );
    if rng.gen_range(0u32..100) < 3 {
        m.insert("MaxDailyCount".into(), Value::Null);
        m.insert("HostCount".into(), Value::Null);
    }
    m
}
