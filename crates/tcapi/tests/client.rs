//! The transport against a tiny scripted HTTP/1.1 server on 127.0.0.1 (not
//! the project's simulator): parsing, error classification, retries, pacing,
//! timeouts, the response cap, clock-skew correction and the headers sent.
#![cfg(feature = "client")]

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tcapi::client::{AttemptOutcome, Clock, NoPacer, Pacer};
use tcapi::error::ErrorClass;
use tcapi::sign::{self, Payload, SignRequest};
use tcapi::{sts, tcss, Backoff, Client, ClientConfig, Credentials, Endpoint, Error, Jitter};

mod common;
use common::{Recorded, Reply, Server, TestPki};

// ---------------------------------------------------------------------------
// Helpers

const ID: &str = "AKIDtestid0123456789";
const KEY: &str = "test-secret-key-sekrit";
const TOKEN: &str = "session-token-sekrit";

fn creds() -> Credentials {
    Credentials::new(ID, KEY)
}

fn config() -> ClientConfig {
    ClientConfig {
        timeout: Duration::from_secs(5),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
        },
        jitter: Jitter::fixed(0.0),
        request_client: "tcss-report-test/9.9".into(),
        language: "en-US".into(),
        ..ClientConfig::default()
    }
}

fn client() -> Client {
    Client::new(config()).expect("client")
}

/// Recomputes the signature from what the server received and compares.
fn assert_signature_verifies(rec: &Recorded, service: &str, secret_id: &str, secret_key: &str) {
    let host = rec.header("host").expect("Host sent");
    let sig = sign::sign(
        &SignRequest {
            method: &rec.method,
            host,
            path: &rec.path,
            canonical_query: "",
            content_type: rec.header("content-type").expect("Content-Type sent"),
            payload: Payload::Bytes(&rec.body),
            service,
            timestamp: rec.timestamp(),
        },
        secret_id,
        secret_key,
    );
    assert_eq!(
        rec.header("authorization"),
        Some(sig.authorization.as_str()),
        "Authorization verifies"
    );
}

async fn describe(
    client: &Client,
    server: &Server,
) -> Result<tcapi::Answer<tcss::ImageAuthorizedInfo>, tcapi::Failure> {
    tcss::describe_image_authorized_info(
        client,
        &server.endpoint,
        "ap-guangzhou",
        &creds(),
        &NoPacer,
    )
    .await
}

#[derive(Debug, Clone, PartialEq)]
enum Event {
    Acquire,
    Release,
    Outcome(AttemptOutcome),
}

/// Records every acquire, permit release and observed outcome, in order.
#[derive(Debug, Default, Clone)]
struct RecordingPacer {
    events: Arc<Mutex<Vec<Event>>>,
}

#[derive(Debug)]
struct RecordingPermit(Arc<Mutex<Vec<Event>>>);

impl Drop for RecordingPermit {
    fn drop(&mut self) {
        self.0.lock().expect("lock").push(Event::Release);
    }
}

impl Pacer for RecordingPacer {
    type Permit = RecordingPermit;
    async fn acquire(&self) -> RecordingPermit {
        self.events.lock().expect("lock").push(Event::Acquire);
        RecordingPermit(self.events.clone())
    }
    fn observe(&self, outcome: AttemptOutcome) {
        self.events
            .lock()
            .expect("lock")
            .push(Event::Outcome(outcome));
    }
}

impl RecordingPacer {
    fn events(&self) -> Vec<Event> {
        self.events.lock().expect("lock").clone()
    }
}

// ---------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn success_is_parsed_and_the_request_is_complete_and_signed() {
    let server = Server::start(|_, _| Reply::ok("rid-ok")).await;
    let answer = describe(&client(), &server).await.expect("success");
    assert_eq!(answer.request_id, "rid-ok");
    assert_eq!((answer.attempts, answer.throttled), (1, 0));
    assert_eq!(answer.data.total_authorized_cnt, Some(10));
    assert_eq!(answer.data.used_authorized_cnt, Some(4));
    assert_eq!(answer.data.scanned_image_cnt, Some(7));
    assert_eq!(
        answer.data.not_scanned_image_cnt, None,
        "missing stays None"
    );

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str(), r.body.as_slice()),
        ("POST", "/", &b"{}"[..])
    );
    assert_eq!(r.header("host"), Some(server.endpoint.host()));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-tc-action"), Some("DescribeImageAuthorizedInfo"));
    assert_eq!(r.header("x-tc-version"), Some("2020-11-01"));
    assert_eq!(r.header("x-tc-region"), Some("ap-guangzhou"));
    assert_eq!(r.header("x-tc-language"), Some("en-US"));
    assert_eq!(r.header("x-tc-requestclient"), Some("tcss-report-test/9.9"));
    assert_eq!(r.header("x-tc-token"), None, "no token with long-term keys");
    let now = chrono::Utc::now().timestamp();
    assert!((r.timestamp() - now).abs() <= 5, "timestamp is now");
    assert_signature_verifies(r, "tcss", ID, KEY);
}

#[tokio::test]
async fn default_request_client_names_this_tool() {
    let server = Server::start(|_, _| Reply::ok("r")).await;
    let client = Client::new(ClientConfig {
        request_client: ClientConfig::default().request_client,
        ..config()
    })
    .expect("client");
    describe(&client, &server).await.expect("success");
    let expected = format!("tcss-report/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        server.requests()[0].header("x-tc-requestclient"),
        Some(expected.as_str())
    );
}

#[tokio::test]
async fn temporary_credentials_send_the_token_unsigned() {
    let server = Server::start(|_, _| Reply::ok("r")).await;
    let temp = Credentials::new(ID, KEY)
        .with_token(TOKEN)
        .with_expiry(4_000_000_000);
    tcss::describe_image_authorized_info(
        &client(),
        &server.endpoint,
        "ap-shanghai",
        &temp,
        &NoPacer,
    )
    .await
    .expect("success");
    let r = &server.requests()[0];
    assert_eq!(r.header("x-tc-token"), Some(TOKEN));
    assert_eq!(r.header("x-tc-region"), Some("ap-shanghai"));
    assert_signature_verifies(r, "tcss", ID, KEY);
}

#[tokio::test]
async fn api_error_in_http_200_is_final_and_not_retried() {
    let server = Server::start(|_, _| Reply::api_error("InvalidParameter", "rid-e")).await;
    let pacer = RecordingPacer::default();
    let f = tcss::describe_image_authorized_info(
        &client(),
        &server.endpoint,
        "ap-guangzhou",
        &creds(),
        &pacer,
    )
    .await
    .expect_err("API error");
    assert_eq!(f.attempts, 1);
    assert_eq!(server.requests().len(), 1, "final: not retried");
    assert_eq!(f.error.code(), "InvalidParameter");
    assert_eq!(f.error.request_id(), Some("rid-e"));
    assert!(!f.error.is_retryable());
    assert!(
        matches!(&f.error, Error::Api { message, .. } if message == "message for InvalidParameter")
    );
    assert_eq!(
        pacer.events(),
        vec![
            Event::Acquire,
            Event::Release,
            Event::Outcome(AttemptOutcome::FinalFailure)
        ]
    );
}

#[tokio::test]
async fn api_error_with_http_400_and_text_plain_is_parsed() {
    let server = Server::start(|_, _| {
        Reply::with_type(
            400,
            "text/plain",
            r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"bad sig"},"RequestId":"rid-400"}}"#,
        )
    })
    .await;
    let f = describe(&client(), &server).await.expect_err("API error");
    assert_eq!(f.error.code(), "AuthFailure.SignatureFailure");
    assert_eq!(f.error.request_id(), Some("rid-400"));
    assert_eq!(f.attempts, 1);
}

#[tokio::test]
async fn role_not_exist_is_final_although_internal_error() {
    let server = Server::start(|_, _| Reply::api_error("InternalError.ErrRoleNotExist", "r")).await;
    let f = describe(&client(), &server).await.expect_err("final");
    assert_eq!(
        (f.attempts, f.error.code().as_str()),
        (1, "InternalError.ErrRoleNotExist")
    );
}

#[tokio::test]
async fn http_502_html_is_transient_with_excerpt_then_success() {
    let html = format!(
        "<html><body><h1>502 Bad Gateway</h1>{}</body></html>",
        "padding ".repeat(100)
    );
    let server = Server::start(move |i, _| match i {
        0 => Reply::with_type(502, "text/html", &html),
        _ => Reply::ok("rid-after-502"),
    })
    .await;
    let answer = describe(&client(), &server)
        .await
        .expect("retried to success");
    assert_eq!(answer.attempts, 2);
    assert_eq!(answer.request_id, "rid-after-502");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn persistent_502_fails_with_code_and_short_excerpt() {
    let server = Server::start(|_, _| {
        Reply::with_type(
            502,
            "text/html",
            &format!("<html>{}</html>", "é".repeat(400)),
        )
    })
    .await;
    let f = describe(&client(), &server).await.expect_err("502");
    assert_eq!(f.attempts, 3, "max_attempts");
    assert_eq!(f.error.code(), "HttpError.502");
    assert_eq!(f.error.class(), ErrorClass::Transient);
    match &f.error {
        Error::Http {
            status: 502,
            body_excerpt,
            ..
        } => {
            assert!(body_excerpt.starts_with("<html>"), "{body_excerpt}");
            assert!(
                body_excerpt.chars().count() <= 200,
                "{}",
                body_excerpt.chars().count()
            );
        }
        other => panic!("expected Http, got {other:?}"),
    }
    assert!(f.to_string().contains("after 3 attempts"), "{f}");
}

#[tokio::test]
async fn redirect_is_final_and_names_its_location() {
    let server = Server::start(|_, _| Reply::Respond {
        status: 301,
        headers: vec![
            ("Content-Type".into(), "text/html".into()),
            // Control characters (here a tab, the only one HTTP lets
            // through) are removed from the message.
            ("Location".into(), "https://new.example/\tnext".into()),
        ],
        body: b"<html>Moved</html>".to_vec(),
    })
    .await;
    let f = describe(&client(), &server).await.expect_err("301");
    assert_eq!(f.attempts, 1, "a redirect is final: not retried");
    assert_eq!(f.error.code(), "HttpError.301");
    assert_eq!(f.error.class(), ErrorClass::Final);
    assert!(
        matches!(&f.error, Error::Http { status: 301, location: Some(l), .. } if l == "https://new.example/next"),
        "{:?}",
        f.error
    );
    assert_eq!(
        f.to_string(),
        "HTTP 301 Moved Permanently, redirected to https://new.example/next (redirects are not \
         followed: set the endpoint to the new URL if it is trusted)"
    );
    assert_eq!(server.requests().len(), 1, "the redirect is not followed");
}

#[tokio::test]
async fn long_location_is_capped_and_a_redirect_without_one_keeps_the_excerpt() {
    let long = format!("https://new.example/{}", "a".repeat(500));
    let server = Server::start(move |i, _| match i {
        0 => Reply::Respond {
            status: 302,
            headers: vec![("Location".into(), long.clone())],
            body: Vec::new(),
        },
        _ => Reply::with_type(307, "text/plain", "go away"),
    })
    .await;
    let f = describe(&client(), &server).await.expect_err("302");
    let Error::Http {
        location: Some(location),
        ..
    } = &f.error
    else {
        panic!("{:?}", f.error);
    };
    assert_eq!(location.chars().count(), 200, "{location}");
    assert!(
        location.starts_with("https://new.example/aaa"),
        "{location}"
    );
    let f = describe(&client(), &server).await.expect_err("307");
    assert!(
        matches!(
            &f.error,
            Error::Http {
                status: 307,
                location: None,
                ..
            }
        ),
        "{:?}",
        f.error
    );
    assert_eq!(f.to_string(), "HTTP 307: go away");
}

#[tokio::test]
async fn a_wrongly_typed_field_is_named_in_the_error() {
    let server = Server::start(|_, _| {
        Reply::json(r#"{"Response":{"TotalAuthorizedCnt":"x","RequestId":"rid-typed"}}"#)
    })
    .await;
    let f = describe(&client(), &server).await.expect_err("malformed");
    assert_eq!(f.error.code(), "MalformedResponse");
    assert!(
        f.to_string().starts_with(
            r#"malformed response: Response.TotalAuthorizedCnt: invalid type: string "x", expected i64;"#
        ),
        "{f}"
    );
    assert_eq!(f.error.request_id(), Some("rid-typed"));
}

#[tokio::test]
async fn throttle_then_success_counts_and_tells_the_pacer() {
    let server = Server::start(|i, _| match i {
        0 => Reply::api_error("RequestLimitExceeded.UinLimitExceeded", "rid-t"),
        _ => Reply::ok("rid-ok"),
    })
    .await;
    let base = Duration::from_millis(40);
    let client = Client::new(ClientConfig {
        backoff: Backoff {
            base,
            cap: Duration::from_secs(1),
        },
        ..config()
    })
    .expect("client");
    let pacer = RecordingPacer::default();
    let started = Instant::now();
    let answer = tcss::describe_image_authorized_info(
        &client,
        &server.endpoint,
        "ap-guangzhou",
        &creds(),
        &pacer,
    )
    .await
    .expect("success after throttle");
    assert!(
        started.elapsed() >= base,
        "a throttle waits at least base even with jitter 0"
    );
    assert_eq!((answer.attempts, answer.throttled), (2, 1));
    assert_eq!(
        pacer.events(),
        vec![
            Event::Acquire,
            Event::Release,
            Event::Outcome(AttemptOutcome::Throttled),
            Event::Acquire,
            Event::Release,
            Event::Outcome(AttemptOutcome::Success),
        ],
        "every attempt acquires, the permit is released before the backoff, outcomes observed"
    );
}

#[tokio::test]
async fn max_attempts_is_respected() {
    let server = Server::start(|i, _| Reply::api_error("InternalError", &format!("rid-{i}"))).await;
    let pacer = RecordingPacer::default();
    let f = tcss::describe_image_authorized_info(
        &client(),
        &server.endpoint,
        "ap-guangzhou",
        &creds(),
        &pacer,
    )
    .await
    .expect_err("always failing");
    assert_eq!(f.attempts, 3);
    assert_eq!(f.throttled, 0);
    assert_eq!(server.requests().len(), 3);
    assert_eq!(f.error.code(), "InternalError");
    assert_eq!(
        f.error.request_id(),
        Some("rid-2"),
        "the last answer's request id"
    );
    let acquires = pacer
        .events()
        .iter()
        .filter(|e| **e == Event::Acquire)
        .count();
    assert_eq!(acquires, 3);

    let one = Client::new(ClientConfig {
        max_attempts: 1,
        ..config()
    })
    .expect("client");
    let f = describe(&one, &server).await.expect_err("one attempt");
    assert_eq!(f.attempts, 1);
    assert_eq!(server.requests().len(), 4);
}

#[tokio::test]
async fn throttled_until_the_end_counts_every_throttle() {
    let server = Server::start(|_, _| Reply::api_error("RequestLimitExceeded", "r")).await;
    let f = describe(&client(), &server).await.expect_err("throttled");
    assert_eq!((f.attempts, f.throttled), (3, 3));
    assert!(f.error.is_throttling());
}

#[tokio::test]
async fn malformed_json_is_retried() {
    let server = Server::start(|i, _| match i {
        0 => Reply::json("{\"Response\": {\"TotalAuthorizedCnt\": 1,"),
        _ => Reply::ok("rid-ok"),
    })
    .await;
    let answer = describe(&client(), &server).await.expect("retried");
    assert_eq!(answer.attempts, 2);

    let server =
        Server::start(|_, _| Reply::with_type(200, "text/html", "<html>maintenance</html>")).await;
    let f = describe(&client(), &server).await.expect_err("malformed");
    assert_eq!(
        (f.attempts, f.error.code().as_str()),
        (3, "MalformedResponse")
    );
    assert!(
        f.error.to_string().contains("<html>maintenance</html>"),
        "{}",
        f.error
    );
}

#[tokio::test]
async fn response_larger_than_the_cap_is_an_error() {
    let client = Client::new(ClientConfig {
        max_response_bytes: 4096,
        ..config()
    })
    .expect("client");
    // Declared by Content-Length.
    let server = Server::start(|_, _| {
        Reply::json(&format!(
            "{{\"Response\":{{\"X\":\"{}\"}}}}",
            "a".repeat(10_000)
        ))
    })
    .await;
    let f = describe(&client, &server).await.expect_err("too large");
    assert!(
        matches!(f.error, Error::ResponseTooLarge { limit: 4096 }),
        "{:?}",
        f.error
    );
    assert_eq!(f.error.code(), "ResponseTooLarge");
    assert_eq!(f.attempts, 1);
    // Streamed without end: stops at the cap instead of buffering forever.
    let server = Server::start(|_, _| Reply::Endless).await;
    let f = describe(&client, &server).await.expect_err("endless");
    assert!(
        matches!(f.error, Error::ResponseTooLarge { limit: 4096 }),
        "{:?}",
        f.error
    );
    // A body exactly at the cap is fine.
    let body = r#"{"Response":{"RequestId":"r"}}"#;
    let exact = Client::new(ClientConfig {
        max_response_bytes: body.len(),
        ..config()
    })
    .expect("client");
    let server = Server::start(move |_, _| Reply::json(body)).await;
    describe(&exact, &server).await.expect("exactly at the cap");
}

#[tokio::test]
async fn hang_is_a_timeout_and_retried() {
    let server = Server::start(|_, _| Reply::Hang).await;
    let client = Client::new(ClientConfig {
        timeout: Duration::from_millis(200),
        max_attempts: 2,
        ..config()
    })
    .expect("client");
    let started = Instant::now();
    let f = describe(&client, &server).await.expect_err("timeout");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "two attempts of 200 ms"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(f.error.code(), "Timeout");
    assert!(f.error.is_retryable());
    assert_eq!(f.attempts, 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn connection_reset_is_retried() {
    let server = Server::start(|i, _| if i == 0 { Reply::Close } else { Reply::ok("r") }).await;
    let answer = describe(&client(), &server).await.expect("retried");
    assert_eq!(answer.attempts, 2);
}

#[tokio::test]
async fn connection_refused_is_transient() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let endpoint = Endpoint::parse(&format!("http://127.0.0.1:{port}/"), false).expect("endpoint");
    let f = tcss::describe_image_authorized_info(
        &client(),
        &endpoint,
        "ap-guangzhou",
        &creds(),
        &NoPacer,
    )
    .await
    .expect_err("refused");
    assert_eq!(f.error.code(), "ConnectionRefused");
    assert!(f.error.is_retryable());
    assert_eq!(f.attempts, 3);
    assert!(!f.error.to_string().contains(KEY));
}

#[tokio::test]
async fn every_attempt_is_signed_with_a_fresh_timestamp() {
    let server = Server::start(|_, _| Reply::api_error("ServiceUnavailable", "r")).await;
    let tick = Arc::new(AtomicI64::new(1_700_000_000));
    let t = tick.clone();
    let client = Client::new(ClientConfig {
        clock: Clock::new(move || t.fetch_add(7, Ordering::SeqCst)),
        ..config()
    })
    .expect("client");
    let f = describe(&client, &server).await.expect_err("unavailable");
    assert_eq!(f.attempts, 3);
    let reqs = server.requests();
    let stamps: Vec<i64> = reqs.iter().map(Recorded::timestamp).collect();
    assert!(
        stamps.windows(2).all(|w| w[1] > w[0]),
        "fresh timestamps: {stamps:?}"
    );
    let auths: std::collections::HashSet<&str> = reqs
        .iter()
        .filter_map(|r| r.header("authorization"))
        .collect();
    assert_eq!(auths.len(), 3, "a new signature per attempt");
    for r in &reqs {
        assert_signature_verifies(r, "tcss", ID, KEY);
    }
}

#[tokio::test]
async fn signature_expire_is_resigned_once_with_the_server_clock() {
    const LOCAL: i64 = 1_700_000_000;
    const SERVER: i64 = LOCAL + 600;
    let server = Server::start(|_, rec| {
        if (rec.timestamp() - SERVER).abs() <= 300 {
            Reply::ok("rid-ok").date(SERVER)
        } else {
            Reply::api_error("AuthFailure.SignatureExpire", "rid-expired").date(SERVER)
        }
    })
    .await;
    // max_attempts 1: the corrective re-sign may exceed it by one.
    let client = Client::new(ClientConfig {
        clock: Clock::fixed(LOCAL),
        max_attempts: 1,
        ..config()
    })
    .expect("client");
    let pacer = RecordingPacer::default();
    let answer = tcss::describe_image_authorized_info(
        &client,
        &server.endpoint,
        "ap-guangzhou",
        &creds(),
        &pacer,
    )
    .await
    .expect("re-signed");
    assert_eq!(answer.attempts, 2);
    assert_eq!(client.clock_offset_secs(), 600);
    let stamps: Vec<i64> = server.requests().iter().map(Recorded::timestamp).collect();
    assert_eq!(stamps, vec![LOCAL, SERVER]);
    assert_signature_verifies(&server.requests()[1], "tcss", ID, KEY);
    assert_eq!(
        pacer
            .events()
            .iter()
            .filter(|e| **e == Event::Acquire)
            .count(),
        2,
        "the re-sign is paced too"
    );

    // The next call signs with the corrected clock straight away.
    let answer = describe(&client, &server).await.expect("corrected");
    assert_eq!(answer.attempts, 1);
    assert_eq!(server.requests()[2].timestamp(), SERVER);
}

#[tokio::test]
async fn persistent_signature_expire_reports_the_skew() {
    const LOCAL: i64 = 1_700_000_000;
    // The server's Date says +600 but it rejects everything anyway.
    let server = Server::start(|_, _| {
        Reply::api_error("AuthFailure.SignatureExpire", "rid-x").date(LOCAL + 600)
    })
    .await;
    let client = Client::new(ClientConfig {
        clock: Clock::fixed(LOCAL),
        ..config()
    })
    .expect("client");
    let f = describe(&client, &server).await.expect_err("still expired");
    assert_eq!(f.attempts, 2, "one re-sign, no more");
    assert_eq!(f.error.code(), "AuthFailure.SignatureExpire");
    assert!(!f.error.is_retryable());
    assert!(
        matches!(f.error, Error::SignatureExpired { skew_secs: 600, .. }),
        "{:?}",
        f.error
    );
    assert!(f.error.to_string().contains("600 s"), "{}", f.error);

    // Without a Date header there is nothing to correct with: no re-sign.
    let server =
        Server::start(|_, _| Reply::api_error("AuthFailure.SignatureExpire", "rid-y")).await;
    let client = Client::new(ClientConfig {
        clock: Clock::fixed(LOCAL),
        ..config()
    })
    .expect("client");
    let f = describe(&client, &server).await.expect_err("expired");
    assert_eq!(f.attempts, 1);
    assert!(
        matches!(f.error, Error::SignatureExpired { skew_secs: 0, .. }),
        "{:?}",
        f.error
    );
}

#[tokio::test]
async fn a_date_moves_the_clock_only_from_an_answer_that_vouches_for_it() {
    const LOCAL: i64 = 1_700_000_000;
    let server = Server::start(|i, _| match i {
        // A load balancer's error page, its own clock two hours ahead.
        0 => Reply::with_type(502, "text/html", "<html>Bad Gateway</html>").date(LOCAL + 7200),
        // An answer whose Date contradicts it: the server took a timestamp
        // an hour from this Date.
        1 => Reply::ok("r1").date(LOCAL + 3600),
        // An answer within the window: small drift is followed.
        2 => Reply::ok("r2").date(LOCAL - 40),
        // A final API error with an absurd Date.
        _ => Reply::api_error("InvalidParameter", "r3").date(LOCAL + 100_000),
    })
    .await;
    let client = Client::new(ClientConfig {
        clock: Clock::fixed(LOCAL),
        ..config()
    })
    .expect("client");
    let answer = describe(&client, &server)
        .await
        .expect("retried after the 502");
    assert_eq!(answer.attempts, 2);
    assert_eq!(
        server.requests()[1].timestamp(),
        LOCAL,
        "the retry is not signed with the load balancer's clock"
    );
    assert_eq!(
        client.clock_offset_secs(),
        0,
        "neither Date moved the clock"
    );
    describe(&client, &server).await.expect("ok");
    assert_eq!(client.clock_offset_secs(), -40);
    describe(&client, &server).await.expect_err("final");
    assert_eq!(
        client.clock_offset_secs(),
        -40,
        "the absurd Date is ignored"
    );
    assert_eq!(client.server_now(), LOCAL - 40);
}

#[tokio::test]
async fn a_plausible_date_header_updates_the_offset_on_every_answer() {
    const LOCAL: i64 = 1_700_000_000;
    let server = Server::start(|i, _| Reply::ok("r").date(LOCAL - 30 + i as i64)).await;
    let client = Client::new(ClientConfig {
        clock: Clock::fixed(LOCAL),
        ..config()
    })
    .expect("client");
    describe(&client, &server).await.expect("ok");
    assert_eq!(client.clock_offset_secs(), -30);
    assert_eq!(client.server_now(), LOCAL - 30);
    describe(&client, &server).await.expect("ok");
    assert_eq!(client.clock_offset_secs(), -29);
    assert_eq!(
        server.requests()[1].timestamp(),
        LOCAL - 30,
        "signed with local time + offset"
    );
}

#[tokio::test]
async fn ipv6_loopback_host_header_is_signed_correctly() {
    let Ok(probe) = std::net::TcpListener::bind("[::1]:0") else {
        eprintln!("skipped: no IPv6 loopback");
        return;
    };
    drop(probe);
    let server = Server::start_on("[::1]:0", |_, _| Reply::ok("r")).await;
    assert!(server.endpoint.host().starts_with("[::1]:"));
    describe(&client(), &server)
        .await
        .expect("success over ::1");
    let r = &server.requests()[0];
    assert_eq!(r.header("host"), Some(server.endpoint.host()));
    assert_signature_verifies(r, "tcss", ID, KEY);
}

#[tokio::test]
async fn sts_assume_role_and_caller_identity() {
    let server = Server::start(|_, rec| match rec.header("x-tc-action") {
        Some("AssumeRole") => Reply::json(
            r#"{"Response":{"Credentials":{"Token":"tok-sekrit","TmpSecretId":"AKIDtmp","TmpSecretKey":"key-sekrit"},"ExpiredTime":1700007200,"Expiration":"2023-11-15T00:13:20Z","RequestId":"rid-sts"}}"#,
        ),
        Some("GetCallerIdentity") => Reply::json(
            r#"{"Response":{"Arn":"qcs::cam::uin/100:uin/100","AccountId":"100","UserId":"100","PrincipalId":"100","Type":"RootAccount","RequestId":"rid-id"}}"#,
        ),
        _ => Reply::api_error("InvalidAction", "r"),
    })
    .await;
    let client = client();
    let req = sts::AssumeRoleRequest {
        role_arn: "qcs::cam::uin/200000000001:roleName/Audit".into(),
        role_session_name: "tcss-report".into(),
        duration_seconds: Some(3600),
        policy: None,
    };
    let answer = sts::assume_role(
        &client,
        &server.endpoint,
        "ap-guangzhou",
        &creds(),
        &req,
        &NoPacer,
    )
    .await
    .expect("assumed");
    assert_eq!(answer.request_id, "rid-sts");
    assert!(!format!("{answer:?}").contains("sekrit"));
    let temp = answer.data.into_credentials();
    assert_eq!(
        (temp.secret_id.as_str(), temp.expires_at),
        ("AKIDtmp", Some(1_700_007_200))
    );

    let who = sts::get_caller_identity(&client, &server.endpoint, "ap-guangzhou", &temp, &NoPacer)
        .await
        .expect("identity");
    assert_eq!(who.data.account_id.as_deref(), Some("100"));

    let reqs = server.requests();
    let assume = &reqs[0];
    assert_eq!(assume.header("x-tc-action"), Some("AssumeRole"));
    assert_eq!(assume.header("x-tc-version"), Some("2018-08-13"));
    assert_eq!(
        std::str::from_utf8(&assume.body).expect("utf-8"),
        r#"{"RoleArn":"qcs::cam::uin/200000000001:roleName/Audit","RoleSessionName":"tcss-report","DurationSeconds":3600}"#
    );
    assert_signature_verifies(assume, "sts", ID, KEY);
    let ident = &reqs[1];
    assert_eq!(ident.header("x-tc-token"), Some("tok-sekrit"));
    assert_signature_verifies(ident, "sts", "AKIDtmp", "key-sekrit");
}

#[tokio::test]
async fn concurrent_calls_share_one_client() {
    let served = Arc::new(AtomicUsize::new(0));
    let s = served.clone();
    let server = Server::start(move |_, _| {
        s.fetch_add(1, Ordering::SeqCst);
        Reply::ok("r")
    })
    .await;
    let client = client();
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let client = client.clone();
        let endpoint = server.endpoint.clone();
        tasks.push(tokio::spawn(async move {
            tcss::describe_image_authorized_info(
                &client,
                &endpoint,
                "ap-guangzhou",
                &creds(),
                &NoPacer,
            )
            .await
        }));
    }
    for t in tasks {
        t.await.expect("joined").expect("success");
    }
    assert_eq!(served.load(Ordering::SeqCst), 20);
}

// ---------------------------------------------------------------------------
// Extra root CAs

/// A throwaway CA certificate (PEM), shared with the runner's config tests.
const TEST_CA_PEM: &str = include_str!("fixtures/test-ca.pem");

#[test]
fn ca_files_are_loaded_or_rejected_with_their_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("corp-ca.pem");
    std::fs::write(&good, TEST_CA_PEM).expect("write");
    Client::new(ClientConfig {
        ca_files: vec![good.clone()],
        ..config()
    })
    .expect("valid CA accepted");

    let missing = dir.path().join("missing.pem");
    let e = Client::new(ClientConfig {
        ca_files: vec![missing.clone()],
        ..config()
    })
    .expect_err("missing");
    assert_eq!(e.code(), "CaFileError");
    assert!(
        e.to_string().contains(&missing.display().to_string()),
        "{e}"
    );

    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "this is not a certificate").expect("write");
    let e = Client::new(ClientConfig {
        ca_files: vec![good, garbage.clone()],
        ..config()
    })
    .expect_err("garbage");
    assert!(
        matches!(&e, Error::CaFile { path, .. } if *path == garbage),
        "{e:?}"
    );
}

fn describe_request(endpoint: &Endpoint) -> tcapi::client::ApiRequest<'_> {
    tcapi::client::ApiRequest::new(
        endpoint,
        &tcss::DESCRIBE_IMAGE_AUTHORIZED_INFO,
        Some("ap-guangzhou"),
        b"{}",
    )
}

#[tokio::test]
async fn call_with_asks_for_credentials_before_every_attempt() {
    let server = Server::start(|i, _| match i {
        0 => Reply::with_type(502, "text/html", "<html>bad gateway</html>"),
        _ => Reply::ok("rid-fresh"),
    })
    .await;
    // Each attempt gets a new key pair: the retry must be signed with the second.
    let asked = AtomicUsize::new(0);
    let answer: tcapi::Answer<tcss::ImageAuthorizedInfo> = client()
        .call_with(
            &describe_request(&server.endpoint),
            || {
                let n = asked.fetch_add(1, Ordering::SeqCst);
                std::future::ready(Ok(Credentials::new(
                    format!("{ID}{n}"),
                    format!("{KEY}{n}"),
                )))
            },
            &NoPacer,
        )
        .await
        .expect("retried to success");
    assert_eq!(answer.attempts, 2);
    assert_eq!(asked.load(Ordering::SeqCst), 2, "asked once per attempt");
    let recs = server.requests();
    assert_signature_verifies(&recs[0], "tcss", &format!("{ID}0"), &format!("{KEY}0"));
    assert_signature_verifies(&recs[1], "tcss", &format!("{ID}1"), &format!("{KEY}1"));
}

#[tokio::test]
async fn call_with_stops_at_a_credentials_error() {
    let server = Server::start(|i, _| match i {
        0 => Reply::with_type(502, "text/html", "<html>bad gateway</html>"),
        _ => Reply::ok("never"),
    })
    .await;
    let asked = AtomicUsize::new(0);
    let failure = client()
        .call_with::<tcss::ImageAuthorizedInfo, _, _, _>(
            &describe_request(&server.endpoint),
            || {
                let first = asked.fetch_add(1, Ordering::SeqCst) == 0;
                std::future::ready(if first {
                    Ok(creds())
                } else {
                    Err(Error::Credentials(
                        tcapi::credentials::CredentialError::MissingEnv {
                            name: "GONE".into(),
                        },
                    ))
                })
            },
            &NoPacer,
        )
        .await
        .expect_err("credentials failed");
    assert_eq!(failure.attempts, 1);
    assert_eq!(failure.error.code(), "CredentialError");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn https_with_a_configured_ca_file_is_verified_and_signed_for_its_host() {
    let pki = TestPki::new(&["localhost"]);
    let server = Server::start_tls(&pki, "localhost", |_, _| Reply::ok("over-tls")).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::new(ClientConfig {
        ca_files: vec![pki.write_ca(dir.path())],
        ..config()
    })
    .expect("client");
    let creds = Credentials::new("AKIDtls", "tls-secret");
    let answer = tcss::describe_image_authorized_info(
        &client,
        &server.endpoint,
        "ap-guangzhou",
        &creds,
        &NoPacer,
    )
    .await
    .expect("https call");
    assert_eq!(answer.request_id, "over-tls");
    assert_eq!(answer.attempts, 1);
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    // The Host the server saw is the one that was signed.
    let host = format!("localhost:{}", server.addr.port());
    assert_eq!(seen[0].header("host"), Some(host.as_str()));
    assert_eq!(seen[0].path, "/");
    let signed = sign::sign(
        &SignRequest {
            method: "POST",
            host: &host,
            path: "/",
            canonical_query: "",
            content_type: "application/json",
            payload: Payload::Bytes(&seen[0].body),
            service: tcss::SERVICE,
            timestamp: seen[0].timestamp(),
        },
        "AKIDtls",
        "tls-secret",
    );
    assert_eq!(
        seen[0].header("authorization"),
        Some(signed.authorization.as_str())
    );
}

#[tokio::test]
async fn https_to_an_untrusted_certificate_fails_without_sending() {
    // Signed by a CA the client was not given: the handshake must fail.
    let pki = TestPki::new(&["localhost"]);
    let server = Server::start_tls(&pki, "localhost", |_, _| Reply::ok("never")).await;
    let client = Client::new(ClientConfig {
        max_attempts: 1,
        ..config()
    })
    .expect("client");
    let failure = describe_once(&client, &server.endpoint)
        .await
        .expect_err("untrusted certificate");
    assert_eq!(failure.error.code(), "TlsCertificate.UnknownIssuer");
    let message = failure.error.to_string().to_lowercase();
    assert!(message.contains("certificate"), "{message}");
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn https_with_a_certificate_for_another_name_fails() {
    let pki = TestPki::new(&["someone-else.example"]);
    let server = Server::start_tls(&pki, "localhost", |_, _| Reply::ok("never")).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let client = Client::new(ClientConfig {
        ca_files: vec![pki.write_ca(dir.path())],
        max_attempts: 1,
        ..config()
    })
    .expect("client");
    let failure = describe_once(&client, &server.endpoint)
        .await
        .expect_err("wrong name");
    assert_eq!(failure.error.code(), "TlsCertificate.NameMismatch");
    assert!(server.requests().is_empty());
}

/// One `DescribeImageAuthorizedInfo` with throwaway keys.
async fn describe_once(
    client: &Client,
    endpoint: &Endpoint,
) -> Result<tcapi::client::Answer<tcss::ImageAuthorizedInfo>, tcapi::client::Failure> {
    tcss::describe_image_authorized_info(
        client,
        endpoint,
        "ap-guangzhou",
        &Credentials::new("AKIDx", "key"),
        &NoPacer,
    )
    .await
}

/// The account-wide TCSS calls: their action and version, `{}`, no
/// `X-TC-Region` when none is given (and the one given otherwise), and
/// typed answers, signed for `tcss`.
#[tokio::test]
async fn account_wide_tcss_calls_are_typed_and_sent_as_described() {
    let server = Server::start(|_, rec| match rec.header("x-tc-action") {
        Some("DescribePurchaseStateInfo") => Reply::json(
            r#"{"Response":{"State":4,"SubState":"ISOLATE","AutomaticRenewal":194,"AllCoresCnt":null,"RequestId":"rid-p"}}"#,
        ),
        _ => Reply::json(
            r#"{"Response":{"IsEnabled":1,"RangeType":"ALL","MaxDailyCount":0,"RequestId":"rid-r"}}"#,
        ),
    })
    .await;
    let c = client();
    let p = tcss::describe_purchase_state_info(&c, &server.endpoint, None, &creds(), &NoPacer)
        .await
        .expect("purchase state");
    assert_eq!(p.request_id, "rid-p");
    assert_eq!(p.data.state, Some(tcss::EditionState::ProExpired));
    assert_eq!(p.data.sub_state.as_deref(), Some("ISOLATE"));
    assert_eq!(
        p.data.automatic_renewal,
        Some(tcss::AutoRenewal::Other(194))
    );
    assert_eq!(p.data.all_cores_cnt, None);
    let r = tcss::describe_image_auto_authorized_rule(
        &c,
        &server.endpoint,
        Some("ap-guangzhou"),
        &creds(),
        &NoPacer,
    )
    .await
    .expect("rule");
    assert_eq!(r.data.range_type, Some(tcss::AutoAuthorizeRange::All));
    assert_eq!(
        (r.data.is_enabled, r.data.max_daily_count),
        (Some(1), Some(0))
    );
    let recs = server.requests();
    assert_eq!(recs.len(), 2);
    for (rec, action, region) in [
        (&recs[0], "DescribePurchaseStateInfo", None),
        (
            &recs[1],
            "DescribeImageAutoAuthorizedRule",
            Some("ap-guangzhou"),
        ),
    ] {
        assert_eq!(rec.header("x-tc-action"), Some(action));
        assert_eq!(rec.header("x-tc-version"), Some("2020-11-01"));
        assert_eq!(rec.header("x-tc-region"), region);
        assert_eq!(rec.body, b"{}");
        assert_signature_verifies(rec, "tcss", ID, KEY);
    }
}
