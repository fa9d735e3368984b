//! The system trust store: a CA installed there (here through
//! `SSL_CERT_FILE`, which the store loader honours like `SSL_CERT_DIR`) is
//! trusted without any `ca_file`; an empty store falls back to Mozilla's
//! roots. One test in its own binary: it sets process environment variables
//! before building the clients.
#![cfg(feature = "client")]

use std::time::Duration;

use tcapi::client::NoPacer;
use tcapi::{tcss, Client, ClientConfig, Credentials};

mod common;
use common::{Reply, Server, TestPki};

fn client() -> Client {
    Client::new(ClientConfig {
        timeout: Duration::from_secs(5),
        max_attempts: 1,
        ..ClientConfig::default()
    })
    .expect("client")
}

#[tokio::test]
async fn a_ca_in_the_system_trust_store_is_trusted_and_an_empty_store_falls_back() {
    let pki = TestPki::new(&["localhost"]);
    let server = Server::start_tls(&pki, "localhost", |_, _| Reply::ok("system-trust")).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let creds = Credentials::new("AKIDx", "key");

    // The throwaway CA is the whole system store.
    std::env::set_var("SSL_CERT_FILE", pki.write_ca(dir.path()));
    std::env::set_var("SSL_CERT_DIR", dir.path().join("no-such-dir"));
    let trusting = client();
    let answer = tcss::describe_image_authorized_info(
        &trusting,
        &server.endpoint,
        "ap-guangzhou",
        &creds,
        &NoPacer,
    )
    .await
    .expect("trusted through the system store");
    assert_eq!(answer.request_id, "system-trust");

    // An empty store: Mozilla's roots stand in, which do not hold the CA.
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").expect("write");
    std::env::set_var("SSL_CERT_FILE", &empty);
    let fallback = client();
    std::env::remove_var("SSL_CERT_FILE");
    std::env::remove_var("SSL_CERT_DIR");
    let failure = tcss::describe_image_authorized_info(
        &fallback,
        &server.endpoint,
        "ap-guangzhou",
        &creds,
        &NoPacer,
    )
    .await
    .expect_err("the test CA is not a Mozilla root");
    assert_eq!(failure.error.code(), "TlsCertificate.UnknownIssuer");
    assert_eq!(server.requests().len(), 1);
}
