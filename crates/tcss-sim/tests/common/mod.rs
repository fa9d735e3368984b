//! Test helpers: a minimal TC3 request builder (signed with `tcapi::sign`) and
//! a raw hyper HTTP/1.1 client, independent of `tcapi`'s client module.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{HeaderMap, Request};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tcapi::sign;
use tokio::net::TcpStream;

pub const TCSS_ACTION: &str = "DescribeImageAuthorizedInfo";
pub const TCSS_VERSION: &str = "2020-11-01";

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// One API call to build; every field can be bent to provoke a rejection.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub action: Option<String>,
    pub version: Option<String>,
    pub region: Option<String>,
    pub timestamp: Option<i64>,
    /// Service written into the credential scope.
    pub scope_service: String,
    /// Date written into the credential scope (default: UTC date of the timestamp).
    pub scope_date: Option<String>,
    pub body: Vec<u8>,
    /// Body actually sent, if different from the signed one.
    pub sent_body: Option<Vec<u8>>,
    pub token: Option<String>,
    pub unsigned_payload: bool,
    /// Extra headers sent and signed (after content-type and host).
    pub extra_signed: Vec<(String, String)>,
    /// Headers sent but not signed.
    pub extra_unsigned: Vec<(String, String)>,
    /// Replace the Authorization header (None inside = omit it).
    pub authorization: Option<Option<String>>,
    pub query: String,
}

impl Call {
    pub fn tcss(region: &str) -> Call {
        Call {
            method: "POST".into(),
            action: Some(TCSS_ACTION.into()),
            version: Some(TCSS_VERSION.into()),
            region: Some(region.into()),
            timestamp: Some(now()),
            scope_service: "tcss".into(),
            scope_date: None,
            body: b"{}".to_vec(),
            sent_body: None,
            token: None,
            unsigned_payload: false,
            extra_signed: Vec::new(),
            extra_unsigned: Vec::new(),
            authorization: None,
            query: String::new(),
        }
    }

    pub fn sts(action: &str, body: Value) -> Call {
        Call {
            action: Some(action.into()),
            version: Some("2018-08-13".into()),
            region: Some("ap-guangzhou".into()),
            scope_service: "sts".into(),
            body: body.to_string().into_bytes(),
            ..Call::tcss("ap-guangzhou")
        }
    }

    pub fn at(mut self, ts: i64) -> Call {
        self.timestamp = Some(ts);
        self
    }

    pub fn token(mut self, t: &str) -> Call {
        self.token = Some(t.into());
        self
    }

    /// The signed request for `host` with these credentials.
    pub fn build(&self, host: &str, secret_id: &str, secret_key: &str) -> Request<Full<Bytes>> {
        let ts = self.timestamp.unwrap_or_else(now);
        let content_type = if self.method == "GET" {
            "application/x-www-form-urlencoded"
        } else {
            "application/json"
        };
        let payload_hash = if self.unsigned_payload {
            sign::sha256_hex(sign::UNSIGNED_PAYLOAD.as_bytes())
        } else {
            sign::sha256_hex(&self.body)
        };
        let mut headers: Vec<(String, String)> = vec![
            ("content-type".into(), content_type.into()),
            ("host".into(), host.into()),
        ];
        headers.extend(self.extra_signed.iter().cloned());
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let canonical = sign::canonical_request_with_headers(
            &self.method,
            "/",
            &self.query,
            &pairs,
            &payload_hash,
        );
        let date = self
            .scope_date
            .clone()
            .unwrap_or_else(|| sign::utc_date(ts));
        let scope = sign::credential_scope(&date, &self.scope_service);
        let to_sign = sign::string_to_sign(ts, &scope, &sign::sha256_hex(canonical.as_bytes()));
        let (_, _, k) = sign::derive_keys(secret_key, &date, &self.scope_service);
        let signature = sign::signature_hex(&k, &to_sign);
        let signed_names: Vec<String> = headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect();
        let auth = sign::authorization(secret_id, &scope, &signed_names.join(";"), &signature);

        let uri = if self.query.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{}", self.query)
        };
        let mut b = Request::builder()
            .method(self.method.as_str())
            .uri(uri)
            .header("host", host)
            .header("content-type", content_type);
        if let Some(a) = &self.action {
            b = b.header("X-TC-Action", a);
        }
        if let Some(v) = &self.version {
            b = b.header("X-TC-Version", v);
        }
        if let Some(r) = &self.region {
            b = b.header("X-TC-Region", r);
        }
        if let Some(t) = self.timestamp {
            b = b.header("X-TC-Timestamp", t.to_string());
        }
        if let Some(t) = &self.token {
            b = b.header("X-TC-Token", t);
        }
        if self.unsigned_payload {
            b = b.header("X-TC-Content-SHA256", sign::UNSIGNED_PAYLOAD);
        }
        for (n, v) in self.extra_signed.iter().chain(&self.extra_unsigned) {
            b = b.header(n.as_str(), v.as_str());
        }
        match &self.authorization {
            None => b = b.header("Authorization", auth),
            Some(Some(a)) => b = b.header("Authorization", a.as_str()),
            Some(None) => {}
        }
        let body = self.sent_body.clone().unwrap_or_else(|| self.body.clone());
        b.body(Full::new(Bytes::from(body))).expect("valid request")
    }
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// `Response.Error.Code`, or `None` on success.
    pub fn code(&self) -> Option<String> {
        self.json()["Response"]["Error"]["Code"]
            .as_str()
            .map(str::to_owned)
    }

    pub fn message(&self) -> String {
        self.json()["Response"]["Error"]["Message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn expect_code(&self, code: &str) {
        assert_eq!(
            self.code().as_deref(),
            Some(code),
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
    }

    pub fn expect_ok(&self) -> Value {
        assert_eq!(self.status, 200);
        assert_eq!(
            self.code(),
            None,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        self.json()["Response"].clone()
    }
}

/// Sends one request on a fresh connection.
pub async fn send(addr: SocketAddr, req: Request<Full<Bytes>>) -> Result<Reply, String> {
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (mut tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let resp = tx.send_request(req).await.map_err(|e| error_chain(&e))?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// An error and its sources, e.g. `connection error: Connection reset by peer (os error 104)`.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// Sends with a client-side timeout.
pub async fn send_timeout(
    addr: SocketAddr,
    req: Request<Full<Bytes>>,
    t: Duration,
) -> Result<Reply, String> {
    match tokio::time::timeout(t, send(addr, req)).await {
        Ok(r) => r,
        Err(_) => Err("client timeout".into()),
    }
}

/// Builds and sends a call, panicking on transport errors.
pub async fn call(addr: SocketAddr, c: &Call, id: &str, key: &str) -> Reply {
    let host = addr.to_string();
    send(addr, c.build(&host, id, key))
        .await
        .expect("transport ok")
}
