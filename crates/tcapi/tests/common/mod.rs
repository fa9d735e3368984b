//! A tiny scripted HTTP/1.1 server for the transport tests: answers each
//! request as a script says and records what it received.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tcapi::Endpoint;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
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

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }
}

pub async fn serve_connection(
    stream: TcpStream,
    script: Arc<Script>,
    requests: Arc<Mutex<Vec<Recorded>>>,
) {
    let _ = stream.set_nodelay(true);
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
