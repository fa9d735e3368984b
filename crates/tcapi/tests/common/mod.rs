//! A tiny scripted HTTP/1.1 server for the transport tests: answers each
//! request as a script says and records what it received.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tcapi::Endpoint;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn timestamp(&self) -> i64 {
        self.header("x-tc-timestamp")
            .expect("X-TC-Timestamp sent")
            .parse()
            .expect("numeric timestamp")
    }
}

#[derive(Debug)]
pub enum Reply {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Never answer (until the test ends).
    Hang,
    /// Close the connection without answering.
    Close,
    /// 200 with a chunked body that never ends.
    Endless,
}

impl Reply {
    pub fn json(body: &str) -> Reply {
        Reply::with_type(200, "application/json", body)
    }
    pub fn with_type(status: u16, content_type: &str, body: &str) -> Reply {
        Reply::Respond {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }
    pub fn ok(rid: &str) -> Reply {
        Reply::json(&format!(
            r#"{{"Response":{{"TotalAuthorizedCnt":10,"UsedAuthorizedCnt":4,"ScannedImageCnt":7,"UnknownField":[1,2],"RequestId":"{rid}"}}}}"#
        ))
    }
    pub fn api_error(code: &str, rid: &str) -> Reply {
        Reply::json(&format!(
            r#"{{"Response":{{"Error":{{"Code":"{code}","Message":"message for {code}"}},"RequestId":"{rid}"}}}}"#
        ))
    }
    pub fn date(mut self, unix_secs: i64) -> Reply {
        if let Reply::Respond { headers, .. } = &mut self {
            let date = chrono::DateTime::from_timestamp(unix_secs, 0).expect("valid time");
            headers.push((
                "Date".into(),
                date.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            ));
        }
        self
    }
}

pub type Script = dyn Fn(usize, &Recorded) -> Reply + Send + Sync;

pub struct Server {
    pub addr: std::net::SocketAddr,
    pub endpoint: Endpoint,
    pub requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    pub async fn start(
        script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static,
    ) -> Server {
        Server::start_on("127.0.0.1:0", script).await
    }

    pub async fn start_on(
        bind: &str,
        script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind(bind).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let recorded = requests.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve_connection(stream, script.clone(), recorded.clone()));
            }
        });
        let endpoint =
            Endpoint::parse(&format!("http://{addr}"), false).expect("loopback endpoint");
        Server {
            addr,
            endpoint,
            requests,
        }
    }

    /// The same scripted server behind TLS (certificate from [`TestPki`]),
    /// reached as `https://<host>:<port>/` where `host` resolves to loopback.
    pub async fn start_tls(
        pki: &TestPki,
        host: &str,
        script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let recorded = requests.clone();
        let acceptor = tokio_rustls::TlsAcceptor::from(pki.server_config());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let (script, recorded) = (script.clone(), recorded.clone());
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        serve_connection(tls, script, recorded).await;
                    }
                });
            }
        });
        let endpoint = Endpoint::parse(&format!("https://{host}:{}/", addr.port()), false)
            .expect("https endpoint");
        Server {
            addr,
            endpoint,
            requests,
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }
}

pub async fn serve_connection<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    script: Arc<Script>,
    requests: Arc<Mutex<Vec<Recorded>>>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).await.unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let len = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let rec = Recorded {
            method,
            path,
            headers,
            body,
        };
        let index = {
            let mut all = requests.lock().expect("lock");
            all.push(rec.clone());
            all.len() - 1
        };
        let stream = reader.get_mut();
        match script(index, &rec) {
            Reply::Respond {
                status,
                headers,
                body,
            } => {
                let mut head = format!(
                    "HTTP/1.1 {status} Scripted\r\nContent-Length: {}\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                // One write: no Nagle / delayed-ACK stall between head and body.
                let mut bytes = head.into_bytes();
                bytes.extend_from_slice(&body);
                if stream.write_all(&bytes).await.is_err() {
                    return;
                }
            }
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(30)).await;
                return;
            }
            Reply::Close => return,
            Reply::Endless => {
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
                if stream.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("4000\r\n{}\r\n", "x".repeat(0x4000));
                while stream.write_all(chunk.as_bytes()).await.is_ok() {}
                return;
            }
        }
    }
}

/// A throwaway CA and a server certificate it signed, for TLS tests.
pub struct TestPki {
    /// The CA certificate, PEM (what a `ca_file` holds).
    pub ca_pem: String,
    cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl TestPki {
    /// A CA, and a server certificate for `names` signed by it.
    pub fn new(names: &[&str]) -> TestPki {
        TestPki::build(names, false, false)
    }

    /// Like [`TestPki::new`], but the server certificate expired in 2001.
    pub fn expired(names: &[&str]) -> TestPki {
        TestPki::build(names, true, false)
    }

    /// A CA certificate for `names` that the server presents as its own:
    /// `ca_pem` is that same certificate.
    pub fn ca_as_server(names: &[&str]) -> TestPki {
        TestPki::build(names, false, true)
    }

    fn build(names: &[&str], expired: bool, ca_as_server: bool) -> TestPki {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let ca_key = KeyPair::generate().expect("CA key");
        let ca_names = if ca_as_server {
            names.clone()
        } else {
            Vec::new()
        };
        let mut ca_params = CertificateParams::new(ca_names).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "tcapi test CA");
        let ca = ca_params.self_signed(&ca_key).expect("CA cert");
        if ca_as_server {
            return TestPki {
                ca_pem: ca.pem(),
                cert_der: ca.der().to_vec(),
                key_der: ca_key.serialize_der(),
            };
        }
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().expect("server key");
        let mut params = CertificateParams::new(names).expect("server params");
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let cert = params.signed_by(&key, &issuer).expect("server cert");
        TestPki {
            ca_pem: ca.pem(),
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
        }
    }

    fn server_config(&self) -> Arc<rustls::ServerConfig> {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocols")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(self.cert_der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone())),
            )
            .expect("server config");
        Arc::new(config)
    }

    /// Writes the CA to `dir/ca.pem` and returns the path.
    pub fn write_ca(&self, dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, &self.ca_pem).expect("write CA");
        path
    }
}

/// A minimal HTTP proxy that only does `CONNECT`: it records each request
/// head, answers 200 and pipes the tunnel to `target` (whatever host the
/// client asked for).
pub struct ConnectProxy {
    pub addr: std::net::SocketAddr,
    pub heads: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    pub async fn start(target: std::net::SocketAddr) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if client.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    seen.lock()
                        .expect("lock")
                        .push(String::from_utf8_lossy(&head).into_owned());
                    let Ok(mut upstream) = TcpStream::connect(target).await else {
                        return;
                    };
                    if client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
            }
        });
        ConnectProxy { addr, heads }
    }

    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("lock").clone()
    }
}
