//! Property tests of the parts of `tcapi` that see bytes from the network or
//! strings from users: the response parser ([`interpret_response`]) for every
//! typed answer, the error classification, body excerpts, HTTP dates, and
//! request building with arbitrary credentials (errors never carry secrets).
//!
//! The parser must never panic, whatever the bytes; an `Ok` comes only from a
//! 2xx answer; an API error in `Response.Error` is reported verbatim; unknown
//! fields never change the result; well-typed documented fields round-trip
//! exactly.
#![cfg(feature = "client")]

use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tcapi::client::{build_request_parts, interpret_response, parse_http_date};
use tcapi::error::{body_excerpt, classify, ErrorClass, EXCERPT_CHARS};
use tcapi::sts::{AssumeRoleResponse, CallerIdentity};
use tcapi::tcss::{ImageAuthorizedInfo, ImageScanInquireInfo};
use tcapi::{ApiRequest, Credentials, Endpoint, Error};

/// The `DescribeImageAuthorizedInfo` fields the API documents.
const DOCUMENTED: &[&str] = &[
    "TotalAuthorizedCnt",
    "UsedAuthorizedCnt",
    "ScannedImageCnt",
    "NotScannedImageCnt",
    "NotScannedLocalImageCnt",
    "TrialAuthorizedCnt",
    "UsedTrialAuthorizedCnt",
    "PurchasedAuthorizedCnt",
    "UsedPurchasedAuthorizedCnt",
    "CanApplyFreeImageAuthorize",
    "RepeatImageIdCnt",
    "ImageScanInquireInfo",
];

/// Names that mean something inside `Response`.
const RESERVED: &[&str] = &["Error", "RequestId"];

/// Any JSON value, nested a few levels.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A value for a documented field: often of the documented type, often not.
fn field_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        2 => any::<i64>().prop_map(Value::from),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => arb_json(),
    ]
}

/// A field name that is neither documented nor reserved.
fn unknown_name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_]{0,15}".prop_filter("unknown", |k| {
        !DOCUMENTED.contains(&k.as_str()) && !RESERVED.contains(&k.as_str())
    })
}

fn unknown_fields() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(unknown_name(), arb_json(), 0..6)
        .prop_map(|m| m.into_iter().collect())
}

/// Byte strings that are often almost JSON: a JSON document cut short, with
/// a byte changed, or raw bytes.
fn json_ish_bytes() -> impl Strategy<Value = Vec<u8>> {
    let doc = || arb_json().prop_map(|v| json!({"Response": v}).to_string().into_bytes());
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        doc(),
        (doc(), any::<prop::sample::Index>()).prop_map(|(b, i)| b[..i.index(b.len() + 1)].to_vec()),
        (doc(), any::<prop::sample::Index>(), any::<u8>()).prop_map(|(mut b, i, byte)| {
            if !b.is_empty() {
                let at = i.index(b.len());
                b[at] = byte;
            }
            b
        }),
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200u16), 100u16..600, any::<u16>()]
}

/// What every parse result must satisfy, whatever the input.
fn check_result<T>(status: u16, r: &Result<(T, String), Error>) {
    match r {
        Ok(_) => assert!((200..300).contains(&status), "data from status {status}"),
        Err(e) => {
            assert!(!e.code().is_empty());
            // Rendering never panics either.
            let _ = e.to_string();
            let _ = e.class();
            match e {
                Error::Http { body_excerpt, .. } | Error::Malformed { body_excerpt, .. } => {
                    assert!(body_excerpt.chars().count() <= EXCERPT_CHARS);
                    assert!(!body_excerpt.chars().any(char::is_control));
                }
                Error::Api { .. } => {}
                other => panic!("the parser made a non-parse error: {other:?}"),
            }
            if !(200..300).contains(&status) {
                assert!(
                    matches!(e, Error::Http { status: s, .. } if *s == status)
                        || matches!(e, Error::Api { .. }),
                    "status {status}: {e:?}"
                );
            }
        }
    }
}

/// Well-typed `ImageAuthorizedInfo` values.
fn arb_info() -> impl Strategy<Value = ImageAuthorizedInfo> {
    let n = || proptest::option::of(any::<i64>());
    let quota = proptest::option::of(
        (
            (
                proptest::option::of(".{0,10}"),
                n(),
                n(),
                proptest::option::of(".{0,20}"),
            ),
            (
                proptest::option::of(".{0,20}"),
                proptest::option::of(".{0,10}"),
                proptest::option::of(".{0,10}"),
            ),
            (n(), n(), n()),
        )
            .prop_map(
                |((key, cap, used, start), (end, status, rid), (pay, trial, pay_usage))| {
                    ImageScanInquireInfo {
                        inquire_key: key,
                        capcity: cap,
                        useage: used,
                        start_time: start,
                        end_time: end,
                        purchase_status: status,
                        resource_id: rid,
                        pay_num: pay,
                        trial_num: trial,
                        pay_usage,
                    }
                },
            ),
    );
    (
        (n(), n(), n(), n(), n(), n()),
        (n(), n(), n(), proptest::option::of(any::<bool>()), n()),
        quota,
    )
        .prop_map(
            |(
                (total, used, scanned, not_scanned, local, trial),
                (ut, purchased, up, free, dup),
                q,
            )| {
                ImageAuthorizedInfo {
                    total_authorized_cnt: total,
                    used_authorized_cnt: used,
                    scanned_image_cnt: scanned,
                    not_scanned_image_cnt: not_scanned,
                    not_scanned_local_image_cnt: local,
                    trial_authorized_cnt: trial,
                    used_trial_authorized_cnt: ut,
                    purchased_authorized_cnt: purchased,
                    used_purchased_authorized_cnt: up,
                    can_apply_free_image_authorize: free,
                    repeat_image_id_cnt: dup,
                    image_scan_inquire_info: q,
                }
            },
        )
}

fn response(
    mut fields: Map<String, Value>,
    extra: &Map<String, Value>,
    request_id: &str,
) -> Vec<u8> {
    for (k, v) in extra {
        fields.insert(k.clone(), v.clone());
    }
    fields.insert("RequestId".into(), Value::String(request_id.into()));
    json!({ "Response": fields }).to_string().into_bytes()
}

// 256 cases each by default; `PROPTEST_CASES=100000` for a longer hunt.
proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_the_parser(status in status(), body in json_ish_bytes()) {
        check_result(status, &interpret_response::<ImageAuthorizedInfo>(status, &body));
        check_result(status, &interpret_response::<AssumeRoleResponse>(status, &body));
        check_result(status, &interpret_response::<CallerIdentity>(status, &body));
        check_result(status, &interpret_response::<Value>(status, &body));
    }

    #[test]
    fn arbitrary_values_in_documented_fields_never_panic_and_unknown_fields_are_ignored(
        status in status(),
        values in prop::collection::vec(proptest::option::of(field_value()), DOCUMENTED.len()),
        extra in unknown_fields(),
        request_id in "[a-f0-9-]{0,36}",
    ) {
        let documented: Map<String, Value> = DOCUMENTED
            .iter()
            .zip(values)
            .filter_map(|(k, v)| v.map(|v| ((*k).to_string(), v)))
            .collect();
        let plain = response(documented.clone(), &Map::new(), &request_id);
        let noisy = response(documented, &extra, &request_id);
        let a = interpret_response::<ImageAuthorizedInfo>(status, &plain);
        let b = interpret_response::<ImageAuthorizedInfo>(status, &noisy);
        check_result(status, &a);
        check_result(status, &b);
        match (&a, &b) {
            (Ok((x, rx)), Ok((y, ry))) => {
                prop_assert_eq!(x, y);
                prop_assert_eq!(rx, &request_id);
                prop_assert_eq!(ry, &request_id);
            }
            (Err(x), Err(y)) => {
                prop_assert_eq!(x.code(), y.code());
                prop_assert_eq!(x.request_id(), y.request_id());
            }
            _ => prop_assert!(false, "unknown fields changed the outcome: {a:?} vs {b:?}"),
        }
    }

    #[test]
    fn well_typed_answers_round_trip_exactly(
        info in arb_info(),
        extra in unknown_fields(),
        request_id in "[a-f0-9-]{1,36}",
    ) {
        let Value::Object(fields) = serde_json::to_value(&info).unwrap() else {
            unreachable!("a struct serializes to an object")
        };
        let body = response(fields, &extra, &request_id);
        let (got, rid) = interpret_response::<ImageAuthorizedInfo>(200, &body).unwrap();
        prop_assert_eq!(got, info);
        prop_assert_eq!(rid, request_id);
    }

    #[test]
    fn api_errors_are_reported_verbatim_whatever_the_status(
        status in status(),
        code in ".{0,40}",
        message in proptest::option::of(".{0,80}"),
        request_id in proptest::option::of(".{0,40}"),
        extra in unknown_fields(),
    ) {
        let mut fields = Map::new();
        let mut err = Map::new();
        err.insert("Code".into(), Value::String(code.clone()));
        if let Some(m) = &message {
            err.insert("Message".into(), Value::String(m.clone()));
        }
        fields.insert("Error".into(), Value::Object(err));
        for (k, v) in &extra {
            fields.insert(k.clone(), v.clone());
        }
        if let Some(r) = &request_id {
            fields.insert("RequestId".into(), Value::String(r.clone()));
        }
        let body = json!({"Response": fields}).to_string();
        let e = interpret_response::<ImageAuthorizedInfo>(status, body.as_bytes()).unwrap_err();
        match &e {
            Error::Api { code: c, message: m, request_id: r } => {
                prop_assert_eq!(c, &code);
                prop_assert_eq!(m, &message.clone().unwrap_or_default());
                prop_assert_eq!(r, &request_id.clone().unwrap_or_default());
            }
            other => prop_assert!(false, "not an API error: {other:?}"),
        }
        prop_assert_eq!(e.code(), code.clone());
        prop_assert_eq!(e.class(), classify(&code));
    }

    #[test]
    fn classification_is_total_and_follows_the_families(code in ".{0,40}", sub in "[A-Za-z]{1,20}") {
        let _ = classify(&code);
        prop_assert_eq!(classify(&format!("RequestLimitExceeded.{sub}")), ErrorClass::Throttled);
        prop_assert_eq!(classify(&format!("AuthFailure.{sub}")), ErrorClass::Final);
        prop_assert_eq!(classify(&format!("UnknownCode{sub}")), ErrorClass::Final);
        let internal = classify(&format!("InternalError.{sub}"));
        if sub == "ErrRoleNotExist" {
            prop_assert_eq!(internal, ErrorClass::Final);
        } else {
            prop_assert_eq!(internal, ErrorClass::Transient);
        }
    }

    #[test]
    fn http_status_codes_classify_by_status(status in any::<u16>()) {
        let class = classify(&format!("HttpError.{status}"));
        let expected = match status {
            429 => ErrorClass::Throttled,
            408 | 500..=599 => ErrorClass::Transient,
            _ => ErrorClass::Final,
        };
        prop_assert_eq!(class, expected);
    }

    #[test]
    fn body_excerpts_are_short_and_printable(body in prop::collection::vec(any::<u8>(), 0..2000)) {
        let e = body_excerpt(&body);
        prop_assert!(e.chars().count() <= EXCERPT_CHARS);
        prop_assert!(!e.chars().any(char::is_control));
        prop_assert!(!e.contains("  "), "whitespace runs collapse: {e:?}");
    }

    #[test]
    fn http_dates_parse_or_are_refused(text in ".{0,40}", secs in 0i64..4_102_444_800) {
        let _ = parse_http_date(&text);
        let formatted = chrono::DateTime::from_timestamp(secs, 0)
            .unwrap()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        prop_assert_eq!(parse_http_date(&formatted), Some(secs));
    }

    #[test]
    fn request_building_never_panics_and_errors_carry_no_secret(
        secret_id in ".{0,30}",
        secret_key in "SECRETKEY.{0,30}",
        token in proptest::option::of("TOKEN.{0,40}"),
        region in proptest::option::of(".{0,20}"),
        timestamp in any::<i64>(),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let endpoint = Endpoint::default_for("tcss");
        let req = ApiRequest {
            endpoint: &endpoint,
            service: "tcss",
            version: "2020-11-01",
            action: "DescribeImageAuthorizedInfo",
            region: region.as_deref(),
            body: &body,
        };
        let mut creds = Credentials::new(secret_id, secret_key.clone());
        if let Some(t) = &token {
            creds = creds.with_token(t.clone());
        }
        match build_request_parts(&req, &creds, timestamp, "en-US", "tcss-report-test") {
            Ok(p) => {
                prop_assert!(!format!("{p:?}").contains(&secret_key), "secret key in Debug");
                if let Some(t) = &token {
                    prop_assert!(!format!("{p:?}").contains(t.as_str()), "token in Debug");
                }
            }
            Err(e) => {
                prop_assert_eq!(e.code(), "InvalidRequest");
                let text = format!("{e} {e:?}");
                prop_assert!(!text.contains(&secret_key));
                if let Some(t) = &token {
                    prop_assert!(!text.contains(t.as_str()), "token in error: {text}");
                }
            }
        }
    }
}

proptest! {
    /// The credential-scope date is the UTC calendar date chrono gives, for
    /// every second from year 1 to year 9999 (the signer computes it by hand).
    #[test]
    fn utc_date_matches_chrono(ts in -62_135_596_800i64..253_402_300_800) {
        let expected = chrono::DateTime::from_timestamp(ts, 0)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string();
        prop_assert_eq!(tcapi::sign::utc_date(ts), expected);
    }
}

/// Day boundaries, leap days and century rules, where a hand-written
/// calendar would go wrong first.
#[test]
fn utc_date_edges() {
    for (ts, date) in [
        (0, "1970-01-01"),
        (-1, "1969-12-31"),
        (86_399, "1970-01-01"),
        (86_400, "1970-01-02"),
        (951_782_400, "2000-02-29"),
        (951_868_800, "2000-03-01"),
        (4_107_456_000, "2100-02-28"),
        (4_107_542_400, "2100-03-01"),
        (1_551_398_400, "2019-03-01"),
        (1_551_398_399, "2019-02-28"),
        (253_402_300_799, "9999-12-31"),
    ] {
        assert_eq!(tcapi::sign::utc_date(ts), date, "{ts}");
    }
}
