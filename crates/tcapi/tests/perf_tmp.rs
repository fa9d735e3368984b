use std::time::{Duration, Instant};
use tcapi::client::{build_request_parts, interpret_response, ApiRequest, NoPacer};
use tcapi::{tcss, Backoff, Client, ClientConfig, Credentials, Endpoint, Jitter};
mod common;
use common::{Reply, Server};

#[test]
fn pure_parts() {
    let endpoint = Endpoint::default_for("tcss");
    let creds = Credentials::new("AKIDx", "key").with_token("tok");
    let api = ApiRequest {
        endpoint: &endpoint,
        service: "tcss",
        version: "2020-11-01",
        action: "DescribeImageAuthorizedInfo",
        region: Some("ap-guangzhou"),
        body: b"{}",
    };
    let body = br#"{"Response":{"TotalAuthorizedCnt":10,"UsedAuthorizedCnt":4,"ScannedImageCnt":7,"NotScannedImageCnt":3,"ImageScanInquireInfo":{"InquireKey":"k","Capcity":100,"Useage":5,"StartTime":"2024-01-01 00:00:00","EndTime":"2025-01-01 00:00:00","PurchaseStatus":"Normal"},"RequestId":"8b9e1c1e-9c4d-4b8e-8a0b-1c2d3e4f5a6b"}}"#;
    let n = 20000;
    let t = Instant::now();
    for i in 0..n {
        let p = build_request_parts(
            &api,
            &creds,
            1_700_000_000 + i,
            "en-US",
            "tcss-report/0.1.0",
        )
        .unwrap();
        std::hint::black_box(p);
        let r: (tcss::ImageAuthorizedInfo, String) = interpret_response(200, body).unwrap();
        std::hint::black_box(r);
    }
    eprintln!("pure build+parse: {:?}/req", t.elapsed() / n as u32);
}

#[test]
fn full_calls() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let server = Server::start(|_, _| Reply::ok("r")).await;
        let client = Client::new(ClientConfig {
            max_attempts: 1,
            backoff: Backoff {
                base: Duration::from_millis(1),
                cap: Duration::from_millis(1),
            },
            jitter: Jitter::fixed(0.0),
            ..ClientConfig::default()
        })
        .unwrap();
        let creds = Credentials::new("AKIDx", "key");
        let n = 5000;
        let t = Instant::now();
        for _ in 0..n {
            tcss::describe_image_authorized_info(
                &client,
                &server.endpoint,
                "ap-guangzhou",
                &creds,
                &NoPacer,
            )
            .await
            .unwrap();
        }
        eprintln!(
            "full call incl. server, one thread: {:?}/req",
            t.elapsed() / n
        );
    });
}
