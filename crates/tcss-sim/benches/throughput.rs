//! Throughput of the simulator on one core: the server runs on a
//! current-thread runtime in its own thread; a load generator keeps 32
//! keep-alive connections busy with valid pre-signed requests for ~3 s.
//! Run with `cargo bench -p tcss-sim --bench throughput`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{HeaderMap, Request};
use hyper_util::rt::TokioIo;
use tcapi::sign::{sign, Payload, SignRequest};
use tcss_sim::{Counters, Fleet, GenOptions};

const CONNECTIONS: usize = 32;
const TARGET: f64 = 5000.0;

fn main() {
    let secs: f64 = std::env::var("SIM_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let mut fleet = Fleet::generate(&GenOptions {
        seed: 42,
        accounts: 64,
        role_fraction: 0.0,
        ..GenOptions::default()
    });
    fleet.settings.tcss_rate_limit = 1_000_000;
    let keys: Vec<(String, String)> = fleet
        .accounts
        .iter()
        .flat_map(|a| {
            a.keys
                .iter()
                .map(|k| (k.secret_id.clone(), k.secret_key.clone()))
        })
        .collect();

    // Server: one thread, current-thread runtime.
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    std_listener.set_nonblocking(true).expect("nonblocking");
    let addr = std_listener.local_addr().expect("addr");
    let counters = Arc::new(Counters::new());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server_counters = Arc::clone(&counters);
    let server = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            tcss_sim::serve(listener, fleet, server_counters, async {
                let _ = stop_rx.await;
            })
            .await
            .expect("serve");
        });
    });

    // Load generator: its own runtime (one worker, so the server keeps its core).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let host = addr.to_string();
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let elapsed = rt.block_on(async {
        let mut tasks = Vec::new();
        for c in 0..CONNECTIONS {
            let (id, key) = keys[c % keys.len()].clone();
            let headers = signed_headers(&host, &id, &key, ts);
            let (done, failed, stop) = (Arc::clone(&done), Arc::clone(&failed), Arc::clone(&stop));
            tasks.push(tokio::spawn(async move {
                let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
                stream.set_nodelay(true).expect("nodelay");
                let (mut tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                    .await
                    .expect("handshake");
                tokio::spawn(conn);
                let body = Bytes::from_static(b"{}");
                while !stop.load(Ordering::Relaxed) {
                    let mut req = Request::new(Full::new(body.clone()));
                    *req.method_mut() = hyper::Method::POST;
                    *req.headers_mut() = headers.clone();
                    if tx.ready().await.is_err() {
                        failed.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                    match tx.send_request(req).await {
                        Ok(resp) => {
                            let ok = resp.status() == 200;
                            let _ = resp.into_body().collect().await;
                            if ok {
                                done.fetch_add(1, Ordering::Relaxed);
                            } else {
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            return;
                        }
                    }
                }
            }));
        }
        // Warm-up, then measure.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let start_count = done.load(Ordering::Relaxed);
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        let n = done.load(Ordering::Relaxed) - start_count;
        let elapsed = started.elapsed();
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            let _ = t.await;
        }
        (n, elapsed)
    });
    let _ = stop_tx.send(());
    server.join().expect("server thread");

    let (n, elapsed) = elapsed;
    let rps = n as f64 / elapsed.as_secs_f64();
    let snap = counters.snapshot();
    let success: u64 = snap
        .by_key
        .iter()
        .filter(|r| r.code == "Success")
        .map(|r| r.count)
        .sum();
    println!(
        "sim throughput: {:.0} req/s (target {:.0}, ratio {:.2})",
        rps,
        TARGET,
        rps / TARGET
    );
    println!(
        "  {} requests answered in total, {} Success, {} throttled, {} signature failures, {} client failures, max in flight {}",
        snap.total,
        success,
        snap.throttled,
        snap.signature_failures,
        failed.load(Ordering::Relaxed),
        snap.max_in_flight
    );
    assert_eq!(success, snap.total, "every benchmark request must succeed");
}

fn signed_headers(host: &str, id: &str, key: &str, ts: i64) -> HeaderMap {
    let s = sign(
        &SignRequest {
            method: "POST",
            host,
            path: "/",
            canonical_query: "",
            content_type: "application/json",
            payload: Payload::Bytes(b"{}"),
            service: "tcss",
            timestamp: ts,
        },
        id,
        key,
    );
    let mut h = HeaderMap::new();
    let mut put = |k: &'static str, v: &str| {
        h.insert(k, v.parse().expect("header value"));
    };
    put("host", host);
    put("content-type", "application/json");
    put("authorization", &s.authorization);
    put("x-tc-action", "DescribeImageAuthorizedInfo");
    put("x-tc-version", "2020-11-01");
    put("x-tc-region", "ap-guangzhou");
    put("x-tc-timestamp", &ts.to_string());
    h
}
