//! Proxies: taken from the usual environment variables for remote endpoints,
//! never used for loopback ones. In its own test binary because it sets
//! process environment variables.

use std::time::Duration;

use tcapi::client::NoPacer;
use tcapi::{tcss, Backoff, Client, ClientConfig, Credentials, Endpoint, Jitter};

mod common;
use common::{Reply, Server};

#[tokio::test]
async fn env_proxy_is_used_for_remote_hosts_and_bypassed_for_loopback() {
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
