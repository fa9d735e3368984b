//! TC3-HMAC-SHA256 against the vectors generated with the official Python SDK
//! (`tests/fixtures/tc3_vectors.json`): every stage separately, so a failure
//! names the vector and the broken stage; then the request the client builds
//! (headers and body bytes) against the vectors' requests.
#![cfg(feature = "client")]

use std::collections::BTreeMap;

use serde_json::Value;
use tcapi::client::{build_request_parts, ApiRequest};
use tcapi::sign::{self, Payload, SignRequest};
use tcapi::{Credentials, Endpoint};

fn fixture() -> Value {
    let text = include_str!("fixtures/tc3_vectors.json");
    serde_json::from_str(text).expect("fixture is JSON")
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("fixture field {key} is not a string: {v}"))
}

fn vectors() -> Vec<Value> {
    let f = fixture();
    let list = f["vectors"].as_array().expect("vectors array").clone();
    assert_eq!(list.len(), 6, "the fixture has six vectors");
    list
}

fn vector(name: &str) -> Value {
    vectors()
        .into_iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no vector {name}"))
}

#[test]
fn every_vector_stage_by_stage() {
    for v in vectors() {
        let name = s(&v, "name");
        let inputs = &v["inputs"];
        let request = &v["request"];
        let expected = &v["expected"];
        let timestamp = inputs["timestamp"].as_i64().expect("timestamp");
        let unsigned = inputs["unsigned_payload"]
            .as_bool()
            .expect("unsigned_payload");
        let body = s(request, "body");
        let payload = if unsigned {
            Payload::Unsigned
        } else {
            Payload::Bytes(body.as_bytes())
        };
        let req = SignRequest {
            method: s(inputs, "http_method"),
            host: s(inputs, "host"),
            path: s(inputs, "path"),
            canonical_query: s(request, "canonical_query_string"),
            content_type: s(&request["headers"], "Content-Type"),
            payload,
            service: s(inputs, "service"),
            timestamp,
        };
        let (id, key) = (s(inputs, "secret_id"), s(inputs, "secret_key"));

        // Stage by stage, through the individual functions.
        let hashed_payload = sign::hashed_payload(payload);
        assert_eq!(
            hashed_payload,
            s(expected, "hashed_request_payload"),
            "vector {name}: stage hashed payload"
        );
        if !unsigned {
            assert_eq!(
                sign::sha256_hex(body.as_bytes()),
                hashed_payload,
                "vector {name}: stage sha256 of the body"
            );
        }
        let canonical = sign::canonical_request(&req, &hashed_payload);
        assert_eq!(
            canonical,
            s(expected, "canonical_request"),
            "vector {name}: stage canonical request"
        );
        let hashed_canonical = sign::sha256_hex(canonical.as_bytes());
        assert_eq!(
            hashed_canonical,
            s(expected, "hashed_canonical_request"),
            "vector {name}: stage hashed canonical request"
        );
        let date = sign::utc_date(timestamp);
        assert_eq!(date, s(expected, "date"), "vector {name}: stage date");
        let scope = sign::credential_scope(&date, req.service);
        assert_eq!(
            scope,
            s(expected, "credential_scope"),
            "vector {name}: stage credential scope"
        );
        let sts = sign::string_to_sign(timestamp, &scope, &hashed_canonical);
        assert_eq!(
            sts,
            s(expected, "string_to_sign"),
            "vector {name}: stage string to sign"
        );
        let (k_date, k_service, k_signing) = sign::derive_keys(key, &date, req.service);
        assert_eq!(
            hex::encode(k_date),
            s(expected, "k_date_hex"),
            "vector {name}: stage k_date"
        );
        assert_eq!(
            hex::encode(k_service),
            s(expected, "k_service_hex"),
            "vector {name}: stage k_service"
        );
        assert_eq!(
            hex::encode(k_signing),
            s(expected, "k_signing_hex"),
            "vector {name}: stage k_signing"
        );
        let signature = sign::signature_hex(&k_signing, &sts);
        assert_eq!(
            signature,
            s(expected, "signature"),
            "vector {name}: stage signature"
        );
        let authorization = sign::authorization(id, &scope, sign::SIGNED_HEADERS, &signature);
        assert_eq!(
            authorization,
            s(expected, "authorization"),
            "vector {name}: stage Authorization"
        );
        assert_eq!(
            authorization,
            s(&request["headers"], "Authorization"),
            "vector {name}: stage Authorization header as sent"
        );

        // And all at once, through `sign`.
        let all = sign::sign(&req, id, key);
        assert_eq!(
            all.hashed_payload, hashed_payload,
            "vector {name}: sign() hashed payload"
        );
        assert_eq!(
            all.canonical_request, canonical,
            "vector {name}: sign() canonical request"
        );
        assert_eq!(
            all.hashed_canonical_request, hashed_canonical,
            "vector {name}: sign() hashed canonical request"
        );
        assert_eq!(all.date, date, "vector {name}: sign() date");
        assert_eq!(
            all.credential_scope, scope,
            "vector {name}: sign() credential scope"
        );
        assert_eq!(
            all.string_to_sign, sts,
            "vector {name}: sign() string to sign"
        );
        assert_eq!(
            (all.k_date, all.k_service, all.k_signing),
            (k_date, k_service, k_signing),
            "vector {name}: sign() keys"
        );
        assert_eq!(all.signature, signature, "vector {name}: sign() signature");
        assert_eq!(
            all.authorization, authorization,
            "vector {name}: sign() Authorization"
        );
        // Derived keys never appear in Debug output.
        let dbg = format!("{all:?}");
        assert!(
            !dbg.contains(s(expected, "k_signing_hex")),
            "vector {name}: Debug leaks k_signing"
        );
    }
}

#[test]
fn get_with_query_string_is_signed_exactly_as_sent() {
    let v = vector("get_form_with_query");
    let query = s(&v["request"], "canonical_query_string");
    let url = s(&v["request"], "url");
    assert!(
        url.ends_with(&format!("?{query}")),
        "the canonical query is the query sent"
    );
    let canonical = s(&v["expected"], "canonical_request");
    assert_eq!(
        canonical.lines().nth(2),
        Some(query),
        "get_form_with_query: stage canonical query line"
    );
}

#[test]
fn unsigned_payload_hashes_the_literal() {
    let v = vector("post_json_unsigned_payload");
    assert_eq!(
        s(&v["request"]["headers"], "X-TC-Content-SHA256"),
        sign::UNSIGNED_PAYLOAD
    );
    assert_eq!(
        sign::hashed_payload(Payload::Unsigned),
        sign::sha256_hex(b"UNSIGNED-PAYLOAD"),
        "post_json_unsigned_payload: stage hashed payload"
    );
    assert_ne!(
        sign::hashed_payload(Payload::Unsigned),
        sign::sha256_hex(b"{}")
    );
}

#[test]
fn session_token_is_not_signed() {
    let basic = vector("post_json_basic");
    let token = vector("post_json_session_token");
    assert_eq!(
        s(&basic["expected"], "signature"),
        s(&token["expected"], "signature"),
        "post_json_session_token: stage signature equals basic's"
    );
}

#[test]
fn doc_cross_check_key_independent_values() {
    let f = fixture();
    let d = &f["doc_cross_check"];
    let name = s(d, "name");
    let inputs = &d["inputs"];
    let expected = &d["expected"];
    let payload = s(inputs, "payload");
    let timestamp = inputs["timestamp"].as_i64().expect("timestamp");
    let service = s(inputs, "service");
    let hashed = sign::sha256_hex(payload.as_bytes());
    assert_eq!(
        hashed,
        s(expected, "hashed_request_payload"),
        "{name}: stage hashed payload"
    );
    let headers = [
        ("content-type", s(inputs, "content_type")),
        ("host", s(inputs, "host")),
        ("x-tc-action", s(inputs, "action")),
    ];
    let canonical =
        sign::canonical_request_with_headers(s(inputs, "http_method"), "/", "", &headers, &hashed);
    assert_eq!(
        canonical,
        s(expected, "canonical_request"),
        "{name}: stage canonical request"
    );
    assert!(
        canonical.contains("x-tc-action:describeinstances\n"),
        "{name}: the action value is lowercased"
    );
    assert!(
        canonical.contains(&format!("\n{}\n", s(inputs, "signed_headers"))),
        "{name}: stage signed headers"
    );
    let hashed_canonical = sign::sha256_hex(canonical.as_bytes());
    assert_eq!(
        hashed_canonical,
        s(expected, "hashed_canonical_request"),
        "{name}: stage hashed canonical request"
    );
    let scope = sign::credential_scope(&sign::utc_date(timestamp), service);
    assert_eq!(
        scope,
        s(expected, "credential_scope"),
        "{name}: stage credential scope"
    );
    let sts = sign::string_to_sign(timestamp, &scope, &hashed_canonical);
    assert_eq!(
        sts,
        s(expected, "string_to_sign"),
        "{name}: stage string to sign"
    );
}

/// The client's request (every header but the transport's own, and the body)
/// equals the vector's byte for byte, given the vector's timestamp, language
/// and request client.
fn client_request_matches(name: &str, endpoint: Endpoint) {
    let v = vector(name);
    let inputs = &v["inputs"];
    let request = &v["request"];
    let mut creds = Credentials::new(s(inputs, "secret_id"), s(inputs, "secret_key"));
    if let Some(token) = inputs["token"].as_str() {
        creds = creds.with_token(token);
    }
    let body = s(request, "body").as_bytes();
    let api = ApiRequest {
        endpoint: &endpoint,
        service: s(inputs, "service"),
        version: s(inputs, "version"),
        action: s(inputs, "action"),
        region: inputs["region"].as_str(),
        body,
    };
    let expected_headers = request["headers"].as_object().expect("headers");
    let request_client = expected_headers["X-TC-RequestClient"]
        .as_str()
        .expect("request client");
    let prepared = build_request_parts(
        &api,
        &creds,
        inputs["timestamp"].as_i64().expect("timestamp"),
        s(inputs, "language"),
        request_client,
    )
    .expect("request builds");

    assert_eq!(prepared.method, s(inputs, "http_method"), "{name}: method");
    assert_eq!(prepared.url, s(request, "url"), "{name}: url");
    assert_eq!(prepared.body, body, "{name}: body bytes");
    let got: BTreeMap<String, String> = prepared.header_pairs().into_iter().collect();
    assert_eq!(
        got.len(),
        prepared.headers.len() + 1,
        "{name}: no header twice"
    );
    let want: BTreeMap<String, String> = expected_headers
        .iter()
        .map(|(k, v)| {
            (
                k.to_ascii_lowercase(),
                v.as_str().expect("header value").to_string(),
            )
        })
        .collect();
    for (k, v) in &want {
        assert_eq!(got.get(k), Some(v), "{name}: header {k}");
    }
    assert_eq!(got, want, "{name}: the header set");
}

#[test]
fn client_builds_post_json_basic_byte_for_byte() {
    client_request_matches("post_json_basic", Endpoint::default_for("tcss"));
}

#[test]
fn client_builds_post_json_session_token_byte_for_byte() {
    client_request_matches("post_json_session_token", Endpoint::default_for("tcss"));
}

#[test]
fn client_builds_regional_nonempty_body_byte_for_byte() {
    client_request_matches(
        "post_json_nonempty_regional_endpoint_en",
        Endpoint::parse("https://tcss.ap-singapore.tencentcloudapi.com", false).expect("endpoint"),
    );
}

#[test]
fn prepared_request_debug_hides_token_and_key() {
    let endpoint = Endpoint::default_for("tcss");
    let creds = Credentials::new("AKIDx", "KEY-sekrit").with_token("TOKEN-sekrit");
    let api = ApiRequest {
        endpoint: &endpoint,
        service: "tcss",
        version: "2020-11-01",
        action: "DescribeImageAuthorizedInfo",
        region: Some("ap-guangzhou"),
        body: b"{}",
    };
    let p = build_request_parts(&api, &creds, 1_700_000_000, "en-US", "x").expect("builds");
    let dbg = format!("{p:?}");
    assert!(!dbg.contains("sekrit"), "{dbg}");
    // A header value that cannot be sent is a typed error naming the header, not the value.
    let bad = Credentials::new("AKIDx", "k").with_token("bad\ntoken-sekrit");
    let e =
        build_request_parts(&api, &bad, 1_700_000_000, "en-US", "x").expect_err("newline in token");
    assert_eq!(e.code(), "InvalidRequest");
    assert!(
        e.to_string().contains("X-TC-Token") && !e.to_string().contains("sekrit"),
        "{e}"
    );
}
