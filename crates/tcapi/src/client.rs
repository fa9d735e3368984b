//! The HTTP transport of Tencent Cloud API 3.0: endpoints ([`Endpoint`]), the
//! shared pooled client ([`Client`]), request building ([`build_request_parts`]),
//! response parsing ([`interpret_response`]), the retry loop with backoff and
//! clock-skew correction ([`Client::call`]), and the [`Pacer`] hook that lets
//! the caller gate every attempt.
//!
//! One [`Client`] (cheap to clone) serves every account and region: it holds a
//! single pooled HTTP client (the internal `transport` module: rustls, proxies from
//! the usual environment variables) and the clock offset learned from the
//! servers' `Date` headers.

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{
    HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, DATE,
    LOCATION, USER_AGENT,
};
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tracing::{debug, trace};
use url::Url;

use crate::credentials::Credentials;
use crate::error::{body_excerpt, sanitize_location, Error, ErrorClass};
use crate::retry::{Backoff, Jitter};
use crate::sign::{self, Payload, SignRequest};
use crate::transport::{self, Transport};

/// The `Content-Type` of every request (and the one that is signed).
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// The API error code that means the timestamp was too far from the server's clock.
pub const SIGNATURE_EXPIRE: &str = "AuthFailure.SignatureExpire";
/// The default `X-TC-RequestClient`: this tool and its version.
pub const DEFAULT_REQUEST_CLIENT: &str = concat!("tcss-report/", env!("CARGO_PKG_VERSION"));

static X_TC_ACTION: HeaderName = HeaderName::from_static("x-tc-action");
static X_TC_TIMESTAMP: HeaderName = HeaderName::from_static("x-tc-timestamp");
static X_TC_VERSION: HeaderName = HeaderName::from_static("x-tc-version");
static X_TC_REGION: HeaderName = HeaderName::from_static("x-tc-region");
static X_TC_TOKEN: HeaderName = HeaderName::from_static("x-tc-token");
static X_TC_LANGUAGE: HeaderName = HeaderName::from_static("x-tc-language");
static X_TC_REQUEST_CLIENT: HeaderName = HeaderName::from_static("x-tc-requestclient");

// ---------------------------------------------------------------------------
// Endpoint

/// Where requests for one service go: a validated `http(s)` URL and the
/// `Host` header value it implies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
    /// `url` as a request URI, parsed once (not on every call).
    uri: Option<Uri>,
    host: String,
    path: String,
    loopback: bool,
}

impl Endpoint {
    /// The public endpoint `https://<service>.tencentcloudapi.com/`.
    pub fn default_for(service: &str) -> Endpoint {
        Self::https_host(format!("{service}.tencentcloudapi.com"))
    }

    /// The international endpoint `https://<service>.intl.tencentcloudapi.com/`.
    pub fn intl(service: &str) -> Endpoint {
        Self::https_host(format!("{service}.intl.tencentcloudapi.com"))
    }

    /// A regional endpoint `https://<service>.<region>.tencentcloudapi.com/`.
    pub fn regional(service: &str, region: &str) -> Endpoint {
        Self::https_host(format!("{service}.{region}.tencentcloudapi.com"))
    }

    fn https_host(host: String) -> Endpoint {
        let url = format!("https://{host}/");
        Endpoint {
            uri: url.parse().ok(),
            url,
            host,
            path: "/".to_string(),
            loopback: false,
        }
    }

    /// Parses a configured URL. `https` is always accepted; plain `http` only
    /// to loopback hosts (`127.0.0.0/8`, `::1`, `localhost`) unless
    /// `allow_insecure_http`. User info, query strings and fragments are
    /// rejected. A missing path means `/`.
    pub fn parse(url: &str, allow_insecure_http: bool) -> Result<Endpoint, Error> {
        let bad = |reason: &str| Error::InvalidEndpoint {
            url: redact_userinfo(url),
            reason: reason.to_string(),
        };
        let parsed = Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
        let loopback = parsed.host_str().is_some_and(transport::is_loopback_host);
        match parsed.scheme() {
            "https" => {}
            "http" => {
                if !allow_insecure_http && !loopback {
                    return Err(bad(
                        "plain http is only allowed to loopback addresses (127.0.0.0/8, ::1, localhost); \
                         use https or set allow_insecure_http",
                    ));
                }
            }
            other => return Err(bad(&format!("unsupported scheme `{other}` (use https)"))),
        }
        let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
            return Err(bad("no host"));
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(bad("credentials in the URL are not allowed"));
        }
        if parsed.query().is_some() {
            return Err(bad("a query string is not allowed"));
        }
        if parsed.fragment().is_some() {
            return Err(bad("a fragment is not allowed"));
        }
        let host = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        Ok(Endpoint {
            url: parsed.as_str().to_string(),
            host,
            path: parsed.path().to_string(),
            loopback,
            uri: parsed.as_str().parse().ok(),
        })
    }

    /// The full URL, e.g. `https://tcss.tencentcloudapi.com/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `Host` header value (with `:port` when not the scheme's default).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The URL path (`/` for API 3.0).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the host is a loopback address (`127.0.0.0/8`, `::1`,
    /// `localhost`). Requests to loopback hosts never go through a proxy.
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// The URL with any `user:password@` part replaced by `***@`, for messages.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &rest[at..]),
        None => url.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Configuration

/// The local clock, in Unix seconds. Injectable so tests control time.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// A clock from a function returning Unix seconds.
    pub fn new(f: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Clock(Arc::new(f))
    }
    /// The system clock.
    pub fn system() -> Self {
        Clock::new(|| chrono::Utc::now().timestamp())
    }
    /// A clock stopped at `unix_secs`.
    pub fn fixed(unix_secs: i64) -> Self {
        Clock::new(move || unix_secs)
    }
    /// Unix seconds now.
    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock(..)")
    }
}

/// Checks an extra root CA file as [`Client::new`] will load it: a regular
/// file of at most 1 MiB holding at least one PEM certificate. Returns how
/// many certificates it holds. `tcss-report validate` and `run` share this.
pub fn check_ca_file(path: &std::path::Path) -> Result<usize, Error> {
    crate::transport::load_ca_file(path).map(|certs| certs.len())
}

/// How the [`Client`] behaves. Build with struct update syntax from
/// `ClientConfig::default()`.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Per-attempt timeout covering connect, send and reading the body (10 s).
    pub timeout: Duration,
    /// Attempts per call, the first try included (5). `0` is treated as `1`.
    pub max_attempts: u32,
    /// Backoff between attempts.
    pub backoff: Backoff,
    /// Larger response bodies fail with [`Error::ResponseTooLarge`] (1 MiB).
    pub max_response_bytes: usize,
    /// `X-TC-Language` (`en-US`; the API also knows `zh-CN`). Empty: not sent.
    pub language: String,
    /// `X-TC-RequestClient` ([`DEFAULT_REQUEST_CLIENT`]). Empty: not sent.
    pub request_client: String,
    /// Extra trusted root CA PEM files (TLS-inspecting proxies).
    pub ca_files: Vec<PathBuf>,
    /// Source of backoff jitter in `[0, 1)`.
    pub jitter: Jitter,
    /// Idle pooled connections kept per host (64).
    pub pool_max_idle_per_host: usize,
    /// The local clock (the system clock).
    pub clock: Clock,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            timeout: Duration::from_secs(10),
            max_attempts: 5,
            backoff: Backoff::default(),
            max_response_bytes: 1024 * 1024,
            language: "en-US".to_string(),
            request_client: DEFAULT_REQUEST_CLIENT.to_string(),
            ca_files: Vec::new(),
            jitter: Jitter::default(),
            pool_max_idle_per_host: 64,
            clock: Clock::default(),
        }
    }
}

// ---------------------------------------------------------------------------
// Requests, answers, failures, pacing

/// One API call to make.
#[derive(Debug, Clone, Copy)]
pub struct ApiRequest<'a> {
    /// Where to send it.
    pub endpoint: &'a Endpoint,
    /// Service name (`tcss`, `sts`): enters the credential scope.
    pub service: &'a str,
    /// API version, `X-TC-Version`.
    pub version: &'a str,
    /// Action, `X-TC-Action`.
    pub action: &'a str,
    /// Region, `X-TC-Region` (not sent when `None` or empty).
    pub region: Option<&'a str>,
    /// The JSON body: these exact bytes are hashed and sent.
    pub body: &'a [u8],
}

/// A successful call.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    /// The typed `Response` fields.
    pub data: T,
    /// `Response.RequestId`.
    pub request_id: String,
    /// Attempts made, this one included.
    pub attempts: u32,
    /// How many of them were throttled.
    pub throttled: u32,
}

/// A failed call: the last error and how many attempts it took.
#[derive(Debug)]
pub struct Failure {
    /// The last attempt's error (or the error that prevented any attempt).
    pub error: Error,
    /// Attempts sent (0 when none could be built).
    pub attempts: u32,
    /// How many attempts were throttled.
    pub throttled: u32,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

/// No `source()`: the message already holds the error's, and a chain printer
/// (anyhow's `{:#}`) would print it twice.
impl std::error::Error for Failure {}

/// The result of one attempt, as told to [`Pacer::observe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// The API answered with data.
    Success,
    /// The API (or HTTP 429) said to slow down.
    Throttled,
    /// A failure that will be (or could have been) retried.
    TransientFailure,
    /// A failure that is not retried.
    FinalFailure,
}

/// Lets the caller gate each attempt (a concurrency slot + a rate limiter) and learn about throttling.
pub trait Pacer: Send + Sync {
    /// Held for the duration of one attempt.
    type Permit: Send;
    /// Awaited right before EVERY attempt is signed and sent (first try and retries); the permit is held
    /// for the attempt's duration and dropped before any backoff sleep.
    fn acquire(&self) -> impl Future<Output = Self::Permit> + Send;
    /// Told the result of every attempt.
    fn observe(&self, outcome: AttemptOutcome);
    /// Told the error of every failed attempt, before any retry (so a caller
    /// that abandons the call during its retries still knows why it was
    /// retrying). The default ignores it.
    fn attempt_failed(&self, error: &Error) {
        let _ = error;
    }
}

/// A [`Pacer`] that never waits.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPacer;

impl Pacer for NoPacer {
    type Permit = ();
    fn acquire(&self) -> impl Future<Output = ()> + Send {
        std::future::ready(())
    }
    fn observe(&self, _outcome: AttemptOutcome) {}
}

// ---------------------------------------------------------------------------
// Request building (pure)

/// Everything one attempt sends, built by [`build_request_parts`].
#[derive(Debug)]
pub struct PreparedRequest<'a> {
    /// `POST`.
    pub method: &'static str,
    /// The URL.
    pub url: &'a str,
    /// The `Host` header value that was signed (the transport derives the
    /// same value from the URL).
    pub host: &'a str,
    /// Every other header, in the order sent. `X-TC-Token` and
    /// `Authorization` are marked sensitive.
    pub headers: HeaderMap,
    /// The body bytes, exactly the bytes hashed.
    pub body: &'a [u8],
}

impl PreparedRequest<'_> {
    /// All headers including `Host`, as `(lowercase name, value)` pairs.
    pub fn header_pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::with_capacity(self.headers.len() + 1);
        out.push(("host".to_string(), self.host.to_string()));
        for (name, value) in &self.headers {
            out.push((
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ));
        }
        out
    }
}

fn header_value(name: &str, value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value).map_err(|_| Error::InvalidRequest {
        reason: format!("the {name} header value has invalid characters"),
    })
}

/// Builds and signs one attempt: the pure function the transport uses, with
/// the timestamp (Unix seconds, `X-TC-Timestamp`) as a parameter. Empty
/// `language` / `request_client` / region are not sent. Fails only when a
/// value cannot be a header (the error names the header, not the value).
pub fn build_request_parts<'a>(
    req: &ApiRequest<'a>,
    creds: &Credentials,
    timestamp: i64,
    language: &str,
    request_client: &str,
) -> Result<PreparedRequest<'a>, Error> {
    let signature = sign::sign(
        &SignRequest {
            method: "POST",
            host: req.endpoint.host(),
            path: req.endpoint.path(),
            canonical_query: "",
            content_type: JSON_CONTENT_TYPE,
            payload: Payload::Bytes(req.body),
            service: req.service,
            timestamp,
        },
        &creds.secret_id,
        creds.secret_key.expose(),
    );
    let mut headers = HeaderMap::with_capacity(10);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    headers.insert(
        X_TC_ACTION.clone(),
        header_value("X-TC-Action", req.action)?,
    );
    if !request_client.is_empty() {
        headers.insert(
            X_TC_REQUEST_CLIENT.clone(),
            header_value("X-TC-RequestClient", request_client)?,
        );
    }
    headers.insert(X_TC_TIMESTAMP.clone(), HeaderValue::from(timestamp));
    headers.insert(
        X_TC_VERSION.clone(),
        header_value("X-TC-Version", req.version)?,
    );
    if let Some(region) = req.region.filter(|r| !r.is_empty()) {
        headers.insert(X_TC_REGION.clone(), header_value("X-TC-Region", region)?);
    }
    if let Some(token) = &creds.token {
        let mut v = header_value("X-TC-Token", token.expose())?;
        v.set_sensitive(true);
        headers.insert(X_TC_TOKEN.clone(), v);
    }
    if !language.is_empty() {
        headers.insert(
            X_TC_LANGUAGE.clone(),
            header_value("X-TC-Language", language)?,
        );
    }
    let mut auth = header_value("Authorization", &signature.authorization)?;
    auth.set_sensitive(true);
    headers.insert(AUTHORIZATION, auth);
    Ok(PreparedRequest {
        method: "POST",
        url: req.endpoint.url(),
        host: req.endpoint.host(),
        headers,
        body: req.body,
    })
}

// ---------------------------------------------------------------------------
// Response parsing (pure)

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "Response")]
    response: Option<ProbeInner>,
}

#[derive(Deserialize)]
struct ProbeInner {
    #[serde(rename = "Error")]
    error: Option<ApiErrorBody>,
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct ApiErrorBody {
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Message", default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(rename = "Response")]
    response: T,
}

/// A JSON decoding error that remembers where in the document it happened.
type JsonError = serde_path_to_error::Error<serde_json::Error>;

/// Decodes `body` as `T`, keeping the path of the field that failed.
fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, JsonError> {
    serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body))
}

/// The field path and what was wrong with it, e.g.
/// `Response.TotalAuthorizedCnt: invalid type: string "x", expected i64`
/// (the line and column are left out when the path says where).
fn field_error(e: &JsonError) -> String {
    let inner = e.inner();
    let path = e.path().to_string();
    if path.is_empty() || path == "." {
        return inner.to_string();
    }
    let text = inner.to_string();
    let position = format!(" at line {} column {}", inner.line(), inner.column());
    let text = text.strip_suffix(&position).unwrap_or(&text);
    format!("{path}: {text}")
}

/// Interprets one HTTP answer: an API error in `Response.Error` wins whatever
/// the status or content type; data is parsed only from a 2xx answer; other
/// statuses are [`Error::Http`], undecodable 2xx bodies [`Error::Malformed`]
/// (whose reason names the field that did not decode, e.g.
/// `Response.TotalAuthorizedCnt: invalid type: string "x", expected i64`).
/// Returns the data and `Response.RequestId`.
pub fn interpret_response<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
) -> Result<(T, String), Error> {
    let success = (200..300).contains(&status);
    let http = |request_id| Error::Http {
        status,
        body_excerpt: body_excerpt(body),
        request_id,
        location: None,
    };
    let malformed = |reason, request_id| Error::Malformed {
        reason,
        body_excerpt: body_excerpt(body),
        request_id,
    };
    let inner = match from_json::<Probe>(body) {
        Ok(Probe {
            response: Some(inner),
        }) => inner,
        _ if !success => return Err(http(None)),
        Ok(Probe { response: None }) => {
            return Err(malformed("no `Response` object".to_string(), None))
        }
        Err(e) if e.inner().is_syntax() || e.inner().is_eof() => {
            return Err(malformed(format!("not JSON: {}", e.inner()), None))
        }
        Err(e) => {
            return Err(malformed(
                format!("not an API answer: {}", field_error(&e)),
                None,
            ))
        }
    };
    if let Some(err) = inner.error {
        return Err(Error::Api {
            code: err.code,
            message: err.message.unwrap_or_default(),
            request_id: inner.request_id.unwrap_or_default(),
        });
    }
    if !success {
        return Err(http(inner.request_id));
    }
    match from_json::<Envelope<T>>(body) {
        Ok(env) => Ok((env.response, inner.request_id.unwrap_or_default())),
        Err(e) => Err(malformed(field_error(&e), inner.request_id)),
    }
}

/// Parses an HTTP `Date` header (IMF-fixdate, also RFC 2822) into Unix seconds.
pub fn parse_http_date(value: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .map(|d| d.timestamp())
}

// ---------------------------------------------------------------------------
// The client

/// The shared API client: one pooled HTTP client, the configuration and the
/// measured clock offset. Clones share everything.
///
/// Proxies come from the usual environment variables (`HTTPS_PROXY`,
/// `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`), except that loopback endpoints
/// (a local simulator) are always reached directly, through a second,
/// proxy-less pool.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: Transport,
    config: ClientConfig,
    /// Server clock minus local clock, seconds.
    offset: AtomicI64,
}

impl Client {
    /// Builds the client: loads the extra root CAs and checks the header values.
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        header_value("X-TC-Language", &config.language)?;
        header_value("X-TC-RequestClient", &config.request_client)?;
        let mut roots = Vec::new();
        for path in &config.ca_files {
            roots.extend(transport::load_ca_file(path)?);
        }
        let tls = transport::tls_config(roots)?;
        let http = Transport::new(tls, config.timeout, config.pool_max_idle_per_host);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                config,
                offset: AtomicI64::new(0),
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The last measured clock offset, server minus local, in seconds.
    pub fn clock_offset_secs(&self) -> i64 {
        self.inner.offset.load(Ordering::Relaxed)
    }

    /// Local time corrected by the measured offset (Unix seconds): the
    /// timestamp requests are signed with.
    pub fn server_now(&self) -> i64 {
        self.inner.config.clock.now() + self.clock_offset_secs()
    }

    /// Makes one call with retries: every attempt waits for `pacer`, is signed
    /// with a fresh timestamp (local time + measured offset), and is sent
    /// within the per-attempt timeout. Transient and throttled failures are
    /// retried with backoff up to `max_attempts`; an
    /// `AuthFailure.SignatureExpire` is re-signed once with the clock
    /// corrected from that answer's `Date` header (that attempt may exceed
    /// `max_attempts` by one).
    pub async fn call<T: DeserializeOwned, P: Pacer>(
        &self,
        req: &ApiRequest<'_>,
        creds: &Credentials,
        pacer: &P,
    ) -> Result<Answer<T>, Failure> {
        self.call_with(req, || std::future::ready(Ok(creds.clone())), pacer)
            .await
    }

    /// Like [`Client::call`], but asks `creds` for the credentials before
    /// every attempt (before waiting for `pacer`), so temporary credentials
    /// from a cache are never older than the wait for one slot, however long
    /// a retry chain lasts. An error from `creds` ends the call with that
    /// error.
    pub async fn call_with<T, P, F, Fut>(
        &self,
        req: &ApiRequest<'_>,
        creds: F,
        pacer: &P,
    ) -> Result<Answer<T>, Failure>
    where
        T: DeserializeOwned,
        P: Pacer,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Credentials, Error>>,
    {
        let cfg = &self.inner.config;
        let max_attempts = cfg.max_attempts.max(1);
        let uri = match &req.endpoint.uri {
            Some(uri) => uri.clone(),
            // Only an endpoint built from a service or region name that is
            // not a valid host gets here.
            None => {
                return Err(Failure {
                    error: Error::InvalidEndpoint {
                        url: req.endpoint.url().to_string(),
                        reason: "not a valid URL".to_string(),
                    },
                    attempts: 0,
                    throttled: 0,
                });
            }
        };
        let body = Bytes::copy_from_slice(req.body);
        let mut attempts = 0u32;
        let mut throttled = 0u32;
        let mut retry_index = 0u32;
        let mut resigned = false;
        let mut offset_override: Option<i64> = None;
        loop {
            let creds = match creds().await {
                Ok(c) => c,
                Err(error) => {
                    return Err(Failure {
                        error,
                        attempts,
                        throttled,
                    })
                }
            };
            let permit = pacer.acquire().await;
            let offset = offset_override
                .take()
                .unwrap_or_else(|| self.clock_offset_secs());
            let timestamp = cfg.clock.now() + offset;
            let prepared = match build_request_parts(
                req,
                &creds,
                timestamp,
                &cfg.language,
                &cfg.request_client,
            ) {
                Ok(p) => p,
                Err(error) => {
                    return Err(Failure {
                        error,
                        attempts,
                        throttled,
                    })
                }
            };
            attempts += 1;
            trace!(
                service = req.service,
                action = req.action,
                attempt = attempts,
                timestamp,
                "sending"
            );
            let (result, server_offset) = self
                .attempt::<T>(uri.clone(), prepared.headers, body.clone())
                .await;
            drop(permit);
            let error = match result {
                Ok((data, request_id)) => {
                    pacer.observe(AttemptOutcome::Success);
                    debug!(service = req.service, action = req.action, attempts, %request_id, "answered");
                    return Ok(Answer {
                        data,
                        request_id,
                        attempts,
                        throttled,
                    });
                }
                Err(e) => e,
            };
            let class = error.class();
            if class == ErrorClass::Throttled {
                throttled += 1;
            }
            debug!(
                service = req.service,
                action = req.action,
                region = req.region.unwrap_or(""),
                attempt = attempts,
                code = %error.code(),
                "attempt failed"
            );
            pacer.attempt_failed(&error);
            if let Error::Api { code, .. } = &error {
                if code == SIGNATURE_EXPIRE {
                    let measured = server_offset.unwrap_or_else(|| self.clock_offset_secs());
                    if !resigned && measured != offset {
                        pacer.observe(AttemptOutcome::TransientFailure);
                        debug!(
                            skew_secs = measured,
                            "signature expired: re-signing with the corrected clock"
                        );
                        resigned = true;
                        offset_override = Some(measured);
                        continue;
                    }
                    pacer.observe(AttemptOutcome::FinalFailure);
                    let error = match error {
                        Error::Api {
                            code,
                            message,
                            request_id,
                        } => Error::SignatureExpired {
                            code,
                            message,
                            request_id,
                            skew_secs: measured,
                        },
                        other => other,
                    };
                    return Err(Failure {
                        error,
                        attempts,
                        throttled,
                    });
                }
            }
            let limit = max_attempts.saturating_add(u32::from(resigned));
            if !class.is_retryable() || attempts >= limit {
                pacer.observe(match class {
                    ErrorClass::Throttled => AttemptOutcome::Throttled,
                    ErrorClass::Transient => AttemptOutcome::TransientFailure,
                    _ => AttemptOutcome::FinalFailure,
                });
                return Err(Failure {
                    error,
                    attempts,
                    throttled,
                });
            }
            pacer.observe(if class == ErrorClass::Throttled {
                AttemptOutcome::Throttled
            } else {
                AttemptOutcome::TransientFailure
            });
            let delay = cfg.backoff.delay_after(
                retry_index,
                cfg.jitter.sample(),
                class == ErrorClass::Throttled,
            );
            retry_index += 1;
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
        }
    }

    /// One attempt within the timeout. Returns the outcome and the clock
    /// offset measured from the answer's `Date` header, if any (also stored
    /// in the client).
    async fn attempt<T: DeserializeOwned>(
        &self,
        uri: Uri,
        mut headers: HeaderMap,
        body: Bytes,
    ) -> (Result<(T, String), Error>, Option<i64>) {
        let cfg = &self.inner.config;
        let mut server_offset = None;
        headers.insert(USER_AGENT, HeaderValue::from_static(DEFAULT_REQUEST_CLIENT));
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let exchange = async {
            let response = self
                .inner
                .http
                .send(request)
                .await
                .map_err(|e| Error::Connection {
                    message: error_chain(e.as_ref()),
                })?;
            if let Some(server) = response
                .headers()
                .get(DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date)
            {
                let offset = server - cfg.clock.now();
                self.inner.offset.store(offset, Ordering::Relaxed);
                server_offset = Some(offset);
            }
            let status = response.status().as_u16();
            let location = redirect_location(status, response.headers());
            let declared = response
                .headers()
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let body = read_capped(response.into_body(), declared, cfg.max_response_bytes).await?;
            Ok::<_, Error>((status, body, location))
        };
        let result = match tokio::time::timeout(cfg.timeout, exchange).await {
            Err(_) => Err(Error::Timeout {
                timeout: cfg.timeout,
            }),
            Ok(Err(e)) => Err(e),
            Ok(Ok((status, body, location))) => {
                interpret_response::<T>(status, &body).map_err(|e| with_location(e, location))
            }
        };
        (result, server_offset)
    }
}

/// The sanitised `Location` of a redirect (3xx) answer.
fn redirect_location(status: u16, headers: &HeaderMap) -> Option<String> {
    if !(300..400).contains(&status) {
        return None;
    }
    headers
        .get(LOCATION)
        .map(|v| sanitize_location(v.as_bytes()))
        .filter(|l| !l.is_empty())
}

/// Puts a redirect's `Location` into the [`Error::Http`] it caused.
fn with_location(mut error: Error, found: Option<String>) -> Error {
    if let Error::Http { location, .. } = &mut error {
        *location = found;
    }
    error
}

/// Reads a body, failing as soon as it exceeds `limit` bytes (never
/// buffering more, and not at all when `declared` already says it is larger).
async fn read_capped(
    mut body: hyper::body::Incoming,
    declared: Option<u64>,
    limit: usize,
) -> Result<Vec<u8>, Error> {
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(Error::ResponseTooLarge { limit });
    }
    let capacity = declared.map_or(8 * 1024, |len| len as usize).min(limit);
    let mut buf = Vec::with_capacity(capacity);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Error::Connection {
            message: error_chain(&e),
        })?;
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > limit {
                return Err(Error::ResponseTooLarge { limit });
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(buf)
}

/// `error: cause: cause ...`, skipping causes already contained in the text.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcss::ImageAuthorizedInfo;

    #[test]
    fn endpoints() {
        let e = Endpoint::default_for("tcss");
        assert_eq!(e.url(), "https://tcss.tencentcloudapi.com/");
        assert_eq!(e.host(), "tcss.tencentcloudapi.com");
        assert_eq!(e.path(), "/");
        let e = Endpoint::intl("sts");
        assert_eq!(e.url(), "https://sts.intl.tencentcloudapi.com/");
        assert_eq!(e.host(), "sts.intl.tencentcloudapi.com");
        let e = Endpoint::regional("tcss", "ap-singapore");
        assert_eq!(e.host(), "tcss.ap-singapore.tencentcloudapi.com");
        assert_eq!(
            Endpoint::parse("https://tcss.tencentcloudapi.com", false).unwrap(),
            Endpoint::default_for("tcss")
        );
        assert_eq!(
            e.to_string(),
            "https://tcss.ap-singapore.tencentcloudapi.com/"
        );
    }

    #[test]
    fn endpoint_parse_ports_and_hosts() {
        let e = Endpoint::parse("https://example.com:8443/", false).unwrap();
        assert_eq!(e.host(), "example.com:8443");
        let e = Endpoint::parse("https://example.com:443/", false).unwrap();
        assert_eq!(e.host(), "example.com");
        let e = Endpoint::parse("http://127.0.0.1:9000", false).unwrap();
        assert_eq!(
            (e.url(), e.host()),
            ("http://127.0.0.1:9000/", "127.0.0.1:9000")
        );
        let e = Endpoint::parse("http://127.8.9.10/", false).unwrap();
        assert_eq!(e.host(), "127.8.9.10");
        let e = Endpoint::parse("http://LOCALHOST:80/", false).unwrap();
        assert_eq!(e.host(), "localhost");
        let e = Endpoint::parse("http://[::1]:9000", false).unwrap();
        assert_eq!(e.host(), "[::1]:9000");
        assert!(e.is_loopback());
        assert!(Endpoint::parse("https://localhost/", false)
            .unwrap()
            .is_loopback());
        assert!(!Endpoint::parse("https://example.com/", false)
            .unwrap()
            .is_loopback());
        assert!(!Endpoint::default_for("tcss").is_loopback());
        let e = Endpoint::parse("  https://Proxy.Example.com/tc/  ", false).unwrap();
        assert_eq!((e.host(), e.path()), ("proxy.example.com", "/tc/"));
    }

    #[test]
    fn endpoint_parse_rejections() {
        for (url, allow, needle) in [
            ("http://example.com/", false, "loopback"),
            ("http://10.0.0.1:8080/", false, "loopback"),
            ("http://[::2]/", false, "loopback"),
            ("http://localhost.example.com/", false, "loopback"),
            ("ftp://example.com/", true, "scheme"),
            ("not a url", true, ""),
            ("tcss.tencentcloudapi.com", true, ""),
            ("https://user:pw@example.com/", false, "credentials"),
            ("https://example.com/?a=b", false, "query"),
            ("https://example.com/#x", false, "fragment"),
            ("http://", true, ""),
        ] {
            match Endpoint::parse(url, allow) {
                Err(e @ Error::InvalidEndpoint { .. }) => {
                    assert_eq!(e.code(), "InvalidEndpoint");
                    assert!(e.to_string().contains(needle), "{url}: {e}");
                    assert!(!e.to_string().contains("pw"), "{e}");
                }
                other => panic!("{url}: expected InvalidEndpoint, got {other:?}"),
            }
        }
        assert!(Endpoint::parse("http://example.com/", true).is_ok());
        assert_eq!(
            redact_userinfo("https://u:secret@h.com:1/p@x"),
            "https://***@h.com:1/p@x"
        );
        assert_eq!(redact_userinfo("https://h.com/p@x"), "https://h.com/p@x");
        assert_eq!(redact_userinfo("no scheme@x"), "no scheme@x");
    }

    #[test]
    fn interpret_success_error_and_garbage() {
        let (d, rid): (ImageAuthorizedInfo, _) = interpret_response(
            200,
            br#"{"Response":{"TotalAuthorizedCnt":5,"Extra":1,"RequestId":"r1"}}"#,
        )
        .unwrap();
        assert_eq!((d.total_authorized_cnt, rid.as_str()), (Some(5), "r1"));

        let e = interpret_response::<ImageAuthorizedInfo>(
            400,
            br#"{"Response":{"Error":{"Code":"InvalidParameter","Message":"bad"},"RequestId":"r2"}}"#,
        )
        .unwrap_err();
        assert!(matches!(&e, Error::Api { code, message, request_id }
            if code == "InvalidParameter" && message == "bad" && request_id == "r2"));

        let e = interpret_response::<ImageAuthorizedInfo>(502, b"<html>Bad Gateway</html>")
            .unwrap_err();
        assert!(
            matches!(&e, Error::Http { status: 502, body_excerpt, .. } if body_excerpt == "<html>Bad Gateway</html>")
        );
        assert!(e.is_retryable());

        let e =
            interpret_response::<ImageAuthorizedInfo>(503, br#"{"Response":{"RequestId":"r3"}}"#)
                .unwrap_err();
        assert!(matches!(&e, Error::Http { status: 503, request_id: Some(r), .. } if r == "r3"));

        let e = interpret_response::<ImageAuthorizedInfo>(200, b"{\"Response\": {").unwrap_err();
        assert!(
            matches!(&e, Error::Malformed { reason, .. } if reason.starts_with("not JSON")),
            "{e}"
        );
        assert!(e.is_retryable());

        let e = interpret_response::<ImageAuthorizedInfo>(200, b"{\"Other\": 1}").unwrap_err();
        assert!(
            matches!(&e, Error::Malformed { reason, .. } if reason.contains("Response")),
            "{e}"
        );

        let e = interpret_response::<ImageAuthorizedInfo>(
            200,
            br#"{"Response":{"TotalAuthorizedCnt":"x","RequestId":"r4"}}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&e, Error::Malformed { request_id: Some(r), .. } if r == "r4"),
            "{e}"
        );
        assert!(
            e.to_string().starts_with(
                r#"malformed response: Response.TotalAuthorizedCnt: invalid type: string "x", expected i64;"#
            ),
            "{e}"
        );
        let e = interpret_response::<ImageAuthorizedInfo>(
            200,
            br#"{"Response":{"ImageScanInquireInfo":{"Capcity":true},"RequestId":"r5"}}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains(
                "Response.ImageScanInquireInfo.Capcity: invalid type: boolean `true`, expected i64"
            ),
            "{e}"
        );
        // A wrongly typed envelope field is named too.
        let e = interpret_response::<ImageAuthorizedInfo>(200, br#"{"Response":{"RequestId":5}}"#)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("Response.RequestId: invalid type: integer `5`"),
            "{e}"
        );

        let e = interpret_response::<ImageAuthorizedInfo>(200, b"").unwrap_err();
        assert_eq!(e.code(), "MalformedResponse");
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Tue, 14 Nov 2023 22:13:20 GMT"),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse_http_date("Tue, 14 Nov 2023 22:13:20 +0000"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn client_rejects_bad_config() {
        let e = Client::new(ClientConfig {
            language: "en\nUS".into(),
            ..ClientConfig::default()
        })
        .unwrap_err();
        assert_eq!(e.code(), "InvalidRequest");
        let c = Client::new(ClientConfig::default()).unwrap();
        assert_eq!(c.clock_offset_secs(), 0);
        assert_eq!(c.config().max_attempts, 5);
        assert_eq!(
            c.config().request_client,
            format!("tcss-report/{}", env!("CARGO_PKG_VERSION"))
        );
    }
}
