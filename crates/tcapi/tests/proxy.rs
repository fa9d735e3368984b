//! Proxies: taken from the usual environment variables for remote endpoints,
//! never used for loopback ones. In its own test binary because it sets
//! process environment variables.
#![cfg(feature = "client")]

use std::time::Duration;

use tcapi::client::NoPacer;
use tcapi::{tcss, Backoff, Client, ClientConfig, Credentials, Endpoint, Jitter};

mod common;
use common::{ConnectProxy, Reply, Server, TestPki};

/// The tests here change process-wide environment variables: one at a time.
static ENV: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn clear_proxy_env() {
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        std::env::remove_var(var);
    }
}

#[tokio::test]
async fn env_proxy_is_used_for_remote_hosts_and_bypassed_for_loopback() {
    let _env = ENV.lock().await;
    clear_proxy_env();
    // The "proxy" is a scripted server: for a plain-http target an HTTP proxy
    // receives the absolute URL as the request target.
    let proxy = Server::start(|_, _| Reply::ok("via-proxy")).await;
    let direct = Server::start(|_, _| Reply::ok("direct")).await;
    let proxy_url = format!("http://{}", proxy.addr);
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        std::env::set_var(var, &proxy_url);
    }
    for var in ["NO_PROXY", "no_proxy"] {
        std::env::remove_var(var);
    }
    let client = Client::new(ClientConfig {
        timeout: Duration::from_secs(5),
        max_attempts: 1,
        backoff: Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(1),
        },
        jitter: Jitter::fixed(0.0),
        ..ClientConfig::default()
    })
    .expect("client");
    let creds = Credentials::new("AKIDx", "key");

    let answer = tcss::describe_image_authorized_info(
        &client,
        &direct.endpoint,
        "ap-guangzhou",
        &creds,
        &NoPacer,
    )
    .await
    .expect("loopback endpoint reached directly");
    assert_eq!(answer.request_id, "direct");
    assert!(
        proxy.requests().is_empty(),
        "loopback never goes through the proxy"
    );

    let remote = Endpoint::parse("http://tcss.example.invalid/", true).expect("opt-in http");
    assert!(!remote.is_loopback());
    let answer =
        tcss::describe_image_authorized_info(&client, &remote, "ap-guangzhou", &creds, &NoPacer)
            .await
            .expect("remote endpoint reached through the proxy");
    assert_eq!(answer.request_id, "via-proxy");
    let seen = proxy.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "http://tcss.example.invalid/");
    assert_eq!(seen[0].header("host"), Some("tcss.example.invalid"));
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_with_proxy_credentials() {
    let _env = ENV.lock().await;
    clear_proxy_env();
    // The TLS server stands for the remote host; the proxy tunnels whatever
    // the client asks for to it, so the certificate is checked end to end.
    let pki = TestPki::new(&["tcss.tunnel.test"]);
    let server = Server::start_tls(&pki, "localhost", |_, _| Reply::ok("tunnelled")).await;
    let proxy = ConnectProxy::start(server.addr).await;
    std::env::set_var("HTTPS_PROXY", format!("http://user:pw@{}", proxy.addr));
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).expect("write");
    let answer = describe_tunnel_test(vec![ca])
        .await
        .expect("through the tunnel");
    assert_eq!(answer.request_id, "tunnelled");
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with("CONNECT tcss.tunnel.test:443 HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
    // base64("user:pw"); header names are case-insensitive.
    assert!(
        heads[0]
            .to_ascii_lowercase()
            .contains("\r\nproxy-authorization: basic dxnlcjpwdw==\r\n"),
        "{}",
        heads[0]
    );
    // Inside the tunnel the request is an ordinary origin-form request.
    let seen = server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/");
    assert_eq!(seen[0].header("host"), Some("tcss.tunnel.test"));
}

#[tokio::test]
async fn a_proxy_that_refuses_connect_is_a_transient_proxy_refusal_naming_it_without_credentials() {
    let _env = ENV.lock().await;
    clear_proxy_env();
    // A plain scripted server answers the CONNECT with 403.
    let refusing = Server::start(|_, _| Reply::with_type(403, "text/plain", "no")).await;
    std::env::set_var(
        "HTTPS_PROXY",
        format!("http://user:hunter2@{}", refusing.addr),
    );
    let failure = describe_tunnel_test(Vec::new()).await.expect_err("refused");
    assert_eq!(failure.error.code(), "ProxyRefused");
    assert!(failure.error.is_retryable());
    let message = failure.error.to_string();
    assert_eq!(
        message,
        format!(
            "the proxy http://{} refused to open a tunnel to https://tcss.tunnel.test: check that \
             the proxy allows this host, or exclude the host with NO_PROXY",
            refusing.addr
        )
    );
    assert!(!message.contains("hunter2"), "{message}");
}

#[tokio::test]
async fn a_proxy_answering_407_is_final_after_one_attempt_without_the_password() {
    let _env = ENV.lock().await;
    clear_proxy_env();
    let refusing =
        Server::start(|_, _| Reply::with_type(407, "text/plain", "Proxy Authentication Required"))
            .await;
    std::env::set_var(
        "HTTPS_PROXY",
        format!("http://user:hunter2@{}", refusing.addr),
    );
    let client = Client::new(ClientConfig {
        timeout: Duration::from_secs(5),
        max_attempts: 3,
        backoff: Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(1),
        },
        ..ClientConfig::default()
    })
    .expect("client");
    clear_proxy_env();
    let remote = Endpoint::parse("https://tcss.tunnel.test/", false).expect("endpoint");
    let failure = tcss::describe_image_authorized_info(
        &client,
        &remote,
        "ap-guangzhou",
        &Credentials::new("AKIDx", "key"),
        &NoPacer,
    )
    .await
    .expect_err("407");
    assert_eq!(failure.error.code(), "ProxyAuthRequired");
    assert!(!failure.error.is_retryable());
    assert_eq!(failure.attempts, 1);
    assert_eq!(refusing.requests().len(), 1, "one CONNECT, not retried");
    let message = failure.to_string();
    assert_eq!(
        message,
        format!(
            "the proxy http://{} refused the credentials for a tunnel to https://tcss.tunnel.test \
             (HTTP 407): check the user and password in HTTPS_PROXY / ALL_PROXY",
            refusing.addr
        )
    );
    assert!(!message.contains("hunter2"), "{message}");
    assert!(!format!("{client:?}").contains("hunter2"));
}

#[tokio::test]
async fn an_unreachable_proxy_is_a_transient_refusal_naming_the_proxy() {
    let _env = ENV.lock().await;
    clear_proxy_env();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    std::env::set_var(
        "HTTPS_PROXY",
        format!("http://user:hunter2@127.0.0.1:{port}"),
    );
    let failure = describe_tunnel_test(Vec::new()).await.expect_err("refused");
    assert_eq!(failure.error.code(), "ConnectionRefused");
    assert!(failure.error.is_retryable());
    let message = failure.error.to_string();
    assert_eq!(
        message,
        format!(
            "the connection to https://tcss.tunnel.test through the proxy http://127.0.0.1:{port} \
             was refused: check the host and port (is the server, or the proxy, running?)"
        )
    );
    assert!(!message.contains("hunter2"), "{message}");
}

/// Builds a client while the proxy variables are set (it reads them then),
/// clears them, and calls `https://tcss.tunnel.test/` once.
async fn describe_tunnel_test(
    ca_files: Vec<std::path::PathBuf>,
) -> Result<tcapi::client::Answer<tcss::ImageAuthorizedInfo>, tcapi::client::Failure> {
    let client = Client::new(ClientConfig {
        timeout: Duration::from_secs(5),
        max_attempts: 1,
        ca_files,
        ..ClientConfig::default()
    })
    .expect("client");
    clear_proxy_env();
    let remote = Endpoint::parse("https://tcss.tunnel.test/", false).expect("endpoint");
    tcss::describe_image_authorized_info(
        &client,
        &remote,
        "ap-guangzhou",
        &Credentials::new("AKIDx", "key"),
        &NoPacer,
    )
    .await
}
