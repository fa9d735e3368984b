//! Loopback receivers that answer as each platform does: a small HTTP/1.1
//! server on `127.0.0.1:0` (a thread per connection, `Connection: close`)
//! that records every request and answers it with the platform's rules:
//! its path and key, its documented format and size limit, its signature
//! (DingTalk's in the query, Feishu's in the body, each checked with the
//! platform's own scheme and a one-hour window), and its answers
//! (`errcode`, `code`, Slack's `ok`). Or a fixed answer, or no answer at
//! all (a hanging server). Stopped when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use base64::prelude::{Engine, BASE64_STANDARD};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// A query parameter, percent-decoded.
    pub fn query(&self, key: &str) -> Option<String> {
        let query = self.target.split_once('?')?.1;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How a receiver answers.
#[derive(Clone)]
pub enum Answer {
    /// This status and body.
    Reply(u16, String),
    /// Nothing: the connection stays open, unanswered.
    Hang,
}

type Rule = dyn Fn(&Request) -> Answer + Send + Sync;

/// A running receiver.
pub struct Receiver {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Receiver {
    /// A receiver answering with `rule`.
    pub fn start(rule: impl Fn(&Request) -> Answer + Send + Sync + 'static) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let rule: Arc<Rule> = Arc::new(rule);
        let (reqs, halt) = (Arc::clone(&requests), Arc::clone(&stop));
        let accept = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if halt.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (reqs, rule, halt) = (Arc::clone(&reqs), Arc::clone(&rule), Arc::clone(&halt));
                std::thread::spawn(move || serve(stream, &reqs, rule.as_ref(), &halt));
            }
        });
        Receiver {
            addr,
            requests,
            stop,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

/// Reads one request from `stream`, records it, answers it (or not).
fn serve(stream: TcpStream, requests: &Mutex<Vec<Request>>, rule: &Rule, stop: &AtomicBool) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    if stop.load(Ordering::SeqCst) {
        return;
    }
    requests.lock().unwrap().push(request.clone());
    let mut stream = stream;
    match rule(&request) {
        Answer::Reply(status, body) => {
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                 Connection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
        Answer::Hang => {
            // Until the client gives up and closes its end.
            let mut sink = [0u8; 1024];
            while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

fn ok_json(v: Value) -> Answer {
    Answer::Reply(200, v.to_string())
}

/// Whether `timestamp` (seconds) is within an hour of now.
fn recent(seconds: i64) -> bool {
    (chrono::Utc::now().timestamp() - seconds).abs() <= 3600
}

/// WeCom's group robot at `/cgi-bin/webhook/send?key=<key>`.
pub fn wecom(key: &'static str) -> impl Fn(&Request) -> Answer + Send + Sync {
    move |r: &Request| {
        let err = |code: i64, msg: &str| ok_json(json!({"errcode": code, "errmsg": msg}));
        if r.method != "POST" || r.path() != "/cgi-bin/webhook/send" {
            return Answer::Reply(404, String::new());
        }
        if r.query("key").as_deref() != Some(key) {
            return err(93000, "invalid webhook url");
        }
        let v = r.json();
        if v["msgtype"] != "markdown" {
            return err(40008, "invalid message type");
        }
        let Some(content) = v["markdown"]["content"].as_str() else {
            return err(44004, "empty content");
        };
        if content.len() > 4096 {
            return err(40058, "markdown.content exceed max length 4096");
        }
        err(0, "ok")
    }
}

/// DingTalk's robot at `/robot/send?access_token=<token>`, signed with `secret`.
pub fn dingtalk(
    token: &'static str,
    secret: &'static str,
) -> impl Fn(&Request) -> Answer + Send + Sync {
    move |r: &Request| {
        let err = |code: i64, msg: &str| ok_json(json!({"errcode": code, "errmsg": msg}));
        if r.method != "POST" || r.path() != "/robot/send" {
            return Answer::Reply(404, String::new());
        }
        if r.query("access_token").as_deref() != Some(token) {
            return err(300001, "token is not exist");
        }
        let ts: Option<i64> = r.query("timestamp").and_then(|t| t.parse().ok());
        let Some(ts) = ts.filter(|t| recent(t / 1000)) else {
            return err(310000, "invalid timestamp");
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{ts}\n{secret}").as_bytes());
        let expected = BASE64_STANDARD.encode(mac.finalize().into_bytes());
        if r.query("sign").as_deref() != Some(expected.as_str()) {
            return err(310000, "sign not match");
        }
        if r.body.len() > 20_000 {
            return err(460101, "message too long");
        }
        let v = r.json();
        let text_ok = v["markdown"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty());
        if v["msgtype"] != "markdown" || v["markdown"]["title"].as_str().is_none() || !text_ok {
            return err(300005, "param error");
        }
        err(0, "ok")
    }
}

/// Feishu's bot at `/open-apis/bot/v2/hook/<token>`, signed with `secret`.
pub fn feishu(
    token: &'static str,
    secret: &'static str,
) -> impl Fn(&Request) -> Answer + Send + Sync {
    move |r: &Request| {
        let err = |code: i64, msg: &str| ok_json(json!({"code": code, "msg": msg, "data": {}}));
        if r.method != "POST" || r.path() != format!("/open-apis/bot/v2/hook/{token}") {
            return err(
                19001,
                "param invalid: incoming webhook access token invalid",
            );
        }
        if r.body.len() > 20_000 {
            return err(9499, "request body too large");
        }
        let v = r.json();
        let ts: Option<i64> = v["timestamp"].as_str().and_then(|t| t.parse().ok());
        let Some(ts) = ts.filter(|t| recent(*t)) else {
            return err(
                19021,
                "sign match fail or timestamp is not within one hour from current time",
            );
        };
        let key = format!("{ts}\n{secret}");
        let mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
        let expected = BASE64_STANDARD.encode(mac.finalize().into_bytes());
        if v["sign"].as_str() != Some(expected.as_str()) {
            return err(
                19021,
                "sign match fail or timestamp is not within one hour from current time",
            );
        }
        let card_ok = v["card"]["header"]["title"]["content"].as_str().is_some()
            && v["card"]["elements"][0]["tag"] == "markdown";
        if v["msg_type"] != "interactive" || !card_ok {
            return err(9499, "Bad Request");
        }
        err(0, "success")
    }
}

/// Slack's incoming webhook at `/services/<path>`.
pub fn slack(path: &'static str) -> impl Fn(&Request) -> Answer + Send + Sync {
    move |r: &Request| {
        if r.method != "POST" || r.path() != format!("/services/{path}") {
            return Answer::Reply(404, "no_service".into());
        }
        let v = r.json();
        let blocks = v["blocks"].as_array().cloned().unwrap_or_default();
        let header = blocks.iter().find(|b| b["type"] == "header");
        let section = blocks.iter().find(|b| b["type"] == "section");
        let (Some(header), Some(section)) = (header, section) else {
            return Answer::Reply(400, "invalid_blocks".into());
        };
        let header_ok = header["text"]["type"] == "plain_text"
            && header["text"]["text"]
                .as_str()
                .is_some_and(|t| t.chars().count() <= 150);
        let section_ok = section["text"]["type"] == "mrkdwn"
            && section["text"]["text"]
                .as_str()
                .is_some_and(|t| t.chars().count() <= 3000);
        if !header_ok || !section_ok || v["text"].as_str().is_none() {
            return Answer::Reply(400, "invalid_blocks".into());
        }
        Answer::Reply(200, "ok".into())
    }
}

/// A webhook taking any JSON.
pub fn webhook() -> impl Fn(&Request) -> Answer + Send + Sync {
    |r: &Request| {
        if r.json().is_object() {
            Answer::Reply(204, String::new())
        } else {
            Answer::Reply(400, "not JSON".into())
        }
    }
}
