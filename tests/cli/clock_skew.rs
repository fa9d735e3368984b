//! Clock skew: a server clock ten minutes ahead of (or behind) the local one.
//! The first request is answered `AuthFailure.SignatureExpire`; the client
//! measures the offset from that answer's `Date` header, re-signs once, and
//! signs every later request with the corrected clock.
//!
//! What the design guarantees, and what is asserted: every query succeeds in
//! at most two attempts. What is observed on top: the requests sent before
//! the first answer came back take two attempts, later ones one (the
//! offset is learned once for the whole client).
//!
//! Only an answer that vouches for its `Date` moves the clock (see
//! `tcapi::client`): a load balancer's error page dated two hours ahead
//! does not.
//!
//! The client keeps a single offset (Tencent Cloud has one clock). The
//! simulator can give each account its own clock; a run mixing offsets still
//! succeeds (each call re-signs with the offset of its own answer), but a
//! retry after a transient failure may then be signed with another account's
//! offset, so faults and mixed offsets are not combined here.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tcss_sim::{Fleet, Settings};

use crate::harness::*;

/// The TCSS actions a run asks (by default all three).
const TCSS: [&str; 3] = [
    "DescribeImageAuthorizedInfo",
    "DescribePurchaseStateInfo",
    "DescribeImageAutoAuthorizedRule",
];

fn skewed_run(offsets: &[(&str, i64)]) -> (Harness, std::process::Output) {
    // mgmt (keys) with four regions, paced at 5/s so that its later queries
    // leave after the offset is known; m1 reached by AssumeRole.
    let mut m = mgmt(data(100, 40, 30, 10));
    m.faults.clock_offset_secs = offsets[0].1;
    let mut m1 = member("200000000001", "m1", MGMT_UIN, data(50, 10, 10, 10));
    m1.faults.clock_offset_secs = offsets[1].1;
    let mut accounts = vec![m, m1];
    let mut config = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\nregions = {}\n\
         [[accounts]]\nname = \"m1\"\nrole_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\nregions = {}\n",
        toml_list(&region_names(4)),
        toml_list(&region_names(2)),
    );
    let mut env: Vec<(String, String)> = MGMT_ENV
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for (i, (name, offset)) in offsets.iter().enumerate().skip(2) {
        let uin = format!("50000000000{i}");
        let mut a = keyed(
            &uin,
            name,
            &format!("AKIDskew{i:020}"),
            &format!("skew-key-{i}"),
            data(10, 1, 1, 1),
        );
        a.faults.clock_offset_secs = *offset;
        accounts.push(a);
        config.push_str(&format!(
            "[[accounts]]\nname = \"{name}\"\nuin = \"{uin}\"\nsecret_id_env = \"SKEW_ID_{i}\"\nsecret_key_env = \"SKEW_KEY_{i}\"\n"
        ));
        env.push((format!("SKEW_ID_{i}"), format!("AKIDskew{i:020}")));
        env.push((format!("SKEW_KEY_{i}"), format!("skew-key-{i}")));
    }
    let h = Harness::new(Fleet {
        settings: Settings::default(),
        accounts,
    });
    let cfg = h.config("rate_limit = 5\n", &config);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let o = h.run(&cfg, &env, &[]);
    (h, o)
}

fn check(offsets: &[(&str, i64)]) -> Vec<u64> {
    let (h, o) = skewed_run(offsets);
    assert_eq!(o.status.code(), Some(0), "{offsets:?}: {}", stderr(&o));
    let rows = h.csv(".regions.csv");
    assert_eq!(rows.len(), 4 + 2 + offsets.len().saturating_sub(2));
    let j = h.json();
    // Every query: the regions' and the two account-wide ones per account.
    let queries: Vec<&serde_json::Value> = j["regions"]
        .as_array()
        .unwrap()
        .iter()
        .chain(j["account_queries"].as_array().unwrap())
        .collect();
    assert_eq!(queries.len(), rows.len() + 2 * offsets.len());
    let attempts: Vec<u64> = queries
        .iter()
        .map(|r| {
            assert_eq!(r["status"], "ok", "{offsets:?}: {r:?}");
            r["attempts"].as_u64().unwrap()
        })
        .collect();
    assert!(
        attempts.iter().all(|a| (1..=2).contains(a)),
        "{offsets:?}: at most one re-signed attempt per query: {attempts:?}"
    );
    let snap = h.snapshot();
    // Every extra attempt was a SignatureExpire answer, and nothing else was rejected.
    let expired: u64 = TCSS
        .iter()
        .map(|action| snap.count_code(action, "AuthFailure.SignatureExpire"))
        .sum();
    assert_eq!(
        expired,
        attempts.iter().map(|a| a - 1).sum::<u64>(),
        "{offsets:?}: {snap:?}"
    );
    assert_eq!(
        snap.signature_failures,
        expired + snap.count_code("AssumeRole", "AuthFailure.SignatureExpire"),
        "{offsets:?}: {snap:?}"
    );
    assert_eq!(j["totals"]["accounts_ok"], (offsets.len()) as u64);
    attempts
}

#[test]
fn a_server_clock_ten_minutes_ahead_is_corrected_from_the_date_header() {
    let attempts = check(&[("mgmt", 600), ("m1", 600)]);
    // Observed: the offset is learned once. mgmt's four queries leave 210 ms
    // apart, so at least its last ones go out signed with the corrected clock.
    assert!(
        attempts.iter().sum::<u64>() < 2 * attempts.len() as u64,
        "the learned offset is reused: {attempts:?}"
    );
}

#[test]
fn a_server_clock_ten_minutes_behind_is_corrected_from_the_date_header() {
    let attempts = check(&[("mgmt", -600), ("m1", -600)]);
    assert!(
        attempts.iter().sum::<u64>() < 2 * attempts.len() as u64,
        "the learned offset is reused: {attempts:?}"
    );
}

#[test]
fn accounts_with_different_clocks_in_one_run_all_succeed() {
    // The member's clock differs from its source account's: AssumeRole is
    // signed for mgmt's clock, the TCSS calls for m1's.
    check(&[
        ("mgmt", 0),
        ("m1", 600),
        ("ahead", 600),
        ("behind", -600),
        ("on-time", 0),
    ]);
}

/// Reads one HTTP/1.1 request (head and `Content-Length` body) from `s`.
fn read_request(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "the request ended early");
        got.extend_from_slice(&buf[..n]);
        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while got.len() < head_end + length {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "the request body ended early");
        got.extend_from_slice(&buf[..n]);
    }
    got
}

/// A load balancer in front of the simulator at `sim`, one request per
/// connection: its first answer is its own HTTP 502 page, dated by its own
/// clock two hours ahead; every later request is passed to the simulator.
fn load_balancer(sim: SocketAddr) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { return };
            let seen = seen.clone();
            std::thread::spawn(move || {
                let request = read_request(&mut conn);
                if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                    let ahead = chrono::Utc::now() + chrono::Duration::hours(2);
                    let body = "<html><body>502 Bad Gateway</body></html>";
                    let _ = write!(
                        conn,
                        "HTTP/1.1 502 Bad Gateway\r\nDate: {}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        ahead.format("%a, %d %b %Y %H:%M:%S GMT"),
                        body.len()
                    );
                    return;
                }
                // `Connection: close` (not signed) so the answer ends the stream.
                let head_end = request.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
                let mut upstream = TcpStream::connect(sim).unwrap();
                upstream.write_all(&request[..head_end + 2]).unwrap();
                upstream.write_all(b"Connection: close\r\n").unwrap();
                upstream.write_all(&request[head_end + 2..]).unwrap();
                let mut answer = Vec::new();
                upstream.read_to_end(&mut answer).unwrap();
                let _ = conn.write_all(&answer);
            });
        }
    });
    url
}

#[test]
fn a_load_balancers_error_page_does_not_move_the_clock() {
    let h = Harness::new(Fleet {
        settings: Settings::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    let front = load_balancer(h.sim().addr());
    let cfg = h.out().with_file_name("behind-a-balancer.toml");
    std::fs::write(
        &cfg,
        format!(
            "[defaults]\nendpoint = \"{front}\"\nsts_endpoint = \"{}\"\nregions = [\"ap-guangzhou\"]\n{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n",
            h.url()
        ),
    )
    .unwrap();
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The 502 (to whichever of the account's three queries came first),
    // then the retry signed with the local clock, answered.
    let j = h.json();
    let mut attempts: Vec<u64> = j["regions"]
        .as_array()
        .unwrap()
        .iter()
        .chain(j["account_queries"].as_array().unwrap())
        .map(|q| q["attempts"].as_u64().unwrap())
        .collect();
    attempts.sort_unstable();
    assert_eq!(attempts, [1, 1, 2], "{j}");
    let snap = h.snapshot();
    assert_eq!(snap.signature_failures, 0, "{snap:?}");
    for action in TCSS {
        assert_eq!(snap.count_code(action, "AuthFailure.SignatureExpire"), 0);
    }
}
