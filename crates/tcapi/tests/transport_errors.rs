//! Each kind of transport failure, through `Client::call` against local
//! servers only: its code, its class, the attempts it took (a final one 1,
//! a transient one `max_attempts`) and its message, which names the server,
//! the cause and the fix, and never holds a library's debug text.
#![cfg(feature = "client")]

use std::time::Duration;

use tcapi::client::{Answer, Failure, NoPacer};
use tcapi::error::ErrorClass;
use tcapi::{tcss, Backoff, Client, ClientConfig, Credentials, Endpoint, Jitter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

mod common;
use common::{Reply, Server, TestPki};

const ATTEMPTS: u32 = 3;

fn client(ca_files: Vec<std::path::PathBuf>) -> Client {
    Client::new(ClientConfig {
        timeout: Duration::from_secs(5),
        max_attempts: ATTEMPTS,
        backoff: Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
        },
        jitter: Jitter::fixed(0.0),
        ca_files,
        ..ClientConfig::default()
    })
    .expect("client")
}

async fn describe(
    client: &Client,
    endpoint: &Endpoint,
) -> Result<Answer<tcss::ImageAuthorizedInfo>, Failure> {
    tcss::describe_image_authorized_info(
        client,
        endpoint,
        "ap-guangzhou",
        &Credentials::new("AKIDx", "key"),
        &NoPacer,
    )
    .await
}

/// Checks what every transport failure shares, and returns its message.
fn check(failure: &Failure, code: &str, class: ErrorClass, origin: &str) -> String {
    let message = failure.error.to_string();
    assert_eq!(failure.error.code(), code, "{message}");
    assert_eq!(failure.error.class(), class, "{message}");
    let attempts = if class.is_retryable() { ATTEMPTS } else { 1 };
    assert_eq!(failure.attempts, attempts, "{message}");
    assert!(message.contains(origin), "names {origin}: {message}");
    // No debug text of a library: no `Kind(...)`, `Some(`, `{ .. }`.
    for debug in ["(Connect)", "Some(", "Other(", " { ", "Error {", "Custom {"] {
        assert!(!message.contains(debug), "debug text {debug:?}: {message}");
    }
    message
}

fn origin(server: &Server) -> String {
    server.endpoint.origin().to_string()
}

#[tokio::test]
async fn an_untrusted_certificate_is_final_and_says_to_add_its_ca() {
    let pki = TestPki::new(&["localhost"]);
    let server = Server::start_tls(&pki, "localhost", |_, _| Reply::ok("never")).await;
    let failure = describe(&client(Vec::new()), &server.endpoint)
        .await
        .expect_err("untrusted");
    let message = check(
        &failure,
        "TlsCertificate.UnknownIssuer",
        ErrorClass::Final,
        &origin(&server),
    );
    assert_eq!(
        message,
        format!(
            "the certificate of {} is not trusted (unknown issuer): add its CA to ca_file or to \
             the system trust store",
            origin(&server)
        )
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_certificate_for_another_name_is_final() {
    let pki = TestPki::new(&["someone-else.example"]);
    let server = Server::start_tls(&pki, "localhost", |_, _| Reply::ok("never")).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let failure = describe(&client(vec![pki.write_ca(dir.path())]), &server.endpoint)
        .await
        .expect_err("wrong name");
    let message = check(
        &failure,
        "TlsCertificate.NameMismatch",
        ErrorClass::Final,
        &origin(&server),
    );
    assert!(message.contains("issued for another name"), "{message}");
}

#[tokio::test]
async fn an_expired_certificate_is_final() {
    let pki = TestPki::expired(&["localhost"]);
    let server = Server::start_tls(&pki, "localhost", |_, _| Reply::ok("never")).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let failure = describe(&client(vec![pki.write_ca(dir.path())]), &server.endpoint)
        .await
        .expect_err("expired");
    let message = check(
        &failure,
        "TlsCertificate.Expired",
        ErrorClass::Final,
        &origin(&server),
    );
    assert!(message.contains("(expired)"), "{message}");
}

#[tokio::test]
async fn a_ca_certificate_used_as_the_servers_is_final() {
    let pki = TestPki::ca_as_server(&["localhost"]);
    let server = Server::start_tls(&pki, "localhost", |_, _| Reply::ok("never")).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let failure = describe(&client(vec![pki.write_ca(dir.path())]), &server.endpoint)
        .await
        .expect_err("CA as end entity");
    let message = check(
        &failure,
        "TlsCertificate.CaUsedAsServerCertificate",
        ErrorClass::Final,
        &origin(&server),
    );
    assert!(
        message.contains("(a CA certificate used as a server certificate)"),
        "{message}"
    );
}

#[tokio::test]
async fn a_server_that_does_not_speak_tls_is_a_final_handshake_error() {
    // A plain HTTP server answers the TLS hello with a 400.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 512];
            let _ = stream.read(&mut buf).await;
            let _ = stream
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    let endpoint = Endpoint::parse(&format!("https://localhost:{port}/"), false).unwrap();
    let failure = describe(&client(Vec::new()), &endpoint)
        .await
        .expect_err("not TLS");
    let message = check(
        &failure,
        "TlsHandshakeError",
        ErrorClass::Final,
        endpoint.origin(),
    );
    assert!(message.contains("did not answer in TLS"), "{message}");
}

#[tokio::test]
async fn a_refused_connection_is_transient() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let endpoint = Endpoint::parse(&format!("http://127.0.0.1:{port}/"), false).unwrap();
    let failure = describe(&client(Vec::new()), &endpoint)
        .await
        .expect_err("refused");
    let message = check(
        &failure,
        "ConnectionRefused",
        ErrorClass::Transient,
        endpoint.origin(),
    );
    assert_eq!(
        message,
        format!(
            "the connection to http://127.0.0.1:{port} was refused: check the host and port \
             (is the server, or the proxy, running?)"
        )
    );
}

/// A server that reads each request's first bytes and then resets the
/// connection (`SO_LINGER` 0, so the close sends RST).
async fn resetting_server() -> Endpoint {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 64];
            let _ = stream.read(&mut buf).await;
            let _ = stream.set_zero_linger();
            drop(stream);
        }
    });
    Endpoint::parse(&format!("http://{addr}/"), false).unwrap()
}

#[tokio::test]
async fn a_reset_connection_is_transient() {
    let endpoint = resetting_server().await;
    let failure = describe(&client(Vec::new()), &endpoint)
        .await
        .expect_err("reset");
    let message = check(
        &failure,
        "ConnectionReset",
        ErrorClass::Transient,
        endpoint.origin(),
    );
    assert_eq!(
        message,
        format!(
            "the connection to {} was closed before a complete answer: the server or a network \
             device dropped it",
            endpoint.origin()
        )
    );
}

#[tokio::test]
async fn a_connection_closed_without_an_answer_is_a_transient_reset() {
    let server = Server::start(|_, _| Reply::Close).await;
    let failure = describe(&client(Vec::new()), &server.endpoint)
        .await
        .expect_err("closed");
    check(
        &failure,
        "ConnectionReset",
        ErrorClass::Transient,
        &origin(&server),
    );
    assert_eq!(server.requests().len(), ATTEMPTS as usize);
}

#[tokio::test]
async fn a_timeout_is_transient_and_names_the_server() {
    let server = Server::start(|_, _| Reply::Hang).await;
    let client = Client::new(ClientConfig {
        timeout: Duration::from_millis(100),
        max_attempts: ATTEMPTS,
        backoff: Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
        },
        ..ClientConfig::default()
    })
    .expect("client");
    let failure = describe(&client, &server.endpoint)
        .await
        .expect_err("timeout");
    let message = check(&failure, "Timeout", ErrorClass::Transient, &origin(&server));
    assert!(message.contains("within 0.100 s"), "{message}");
}

#[tokio::test]
async fn a_host_that_cannot_be_a_tls_name_is_an_invalid_endpoint() {
    let endpoint = Endpoint::parse(&format!("https://{}.invalid/", "a".repeat(64)), false).unwrap();
    let failure = describe(&client(Vec::new()), &endpoint)
        .await
        .expect_err("invalid name");
    let message = check(
        &failure,
        "InvalidEndpoint",
        ErrorClass::Final,
        endpoint.origin(),
    );
    assert!(message.contains("not a valid DNS name"), "{message}");
}

#[tokio::test]
async fn an_unknown_host_is_final() {
    // A label longer than 63 bytes cannot be put in a DNS query: the
    // resolver fails without sending one (a plain `.invalid` name would be
    // asked of the configured name server).
    // Plain http (opted in): with https, TLS would reject the name first.
    let host = format!("{}.invalid", "a".repeat(64));
    let endpoint = Endpoint::parse(&format!("http://{host}/"), true).expect("endpoint");
    let failure = describe(&client(Vec::new()), &endpoint)
        .await
        .expect_err("no such host");
    let message = check(
        &failure,
        "HostNotFound",
        ErrorClass::Final,
        endpoint.origin(),
    );
    assert!(
        message.starts_with(&format!("the host name of http://{host} was not found (")),
        "{message}"
    );
    assert!(
        message.ends_with("): check the endpoint, the proxy settings and DNS"),
        "{message}"
    );
}
