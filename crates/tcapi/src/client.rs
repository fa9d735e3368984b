//! The API client: the shared [`Client`] and its [`ClientConfig`], and the
//! retry loop of one call ([`Client::call_decoded`]): pace, sign with a fresh
//! timestamp, send within the timeout, then retry with backoff, re-sign
//! once with a corrected clock, or stop.
//!
//! One [`Client`] (cheap to clone) serves every account and region: it holds
//! the transport (the internal `transport` module: reqwest, rustls, proxies
//! from the environment) and the clock offset learned from the servers'
//! `Date` headers.
//!
//! Not every `Date` moves that offset (every later signature and the role
//! cache's expiry checks depend on it), only one an answer vouches for:
//!
//! - `AuthFailure.SignatureExpire`: the API says the clock matters; its
//!   `Date` is stored, and the call re-signs with it once;
//! - any other API answer (the `Response` envelope: data or an API error):
//!   its `Date` is stored only when plausible, within the signature window
//!   ([`SIGNATURE_WINDOW_SECS`]) of the timestamp the attempt was signed
//!   with (the server took that timestamp, so its clock is that close; a
//!   `Date` further off contradicts the answer): small drift is followed;
//! - anything else (a proxy's or load balancer's error page, a redirect, a
//!   body that is not the API's): its `Date` is ignored.
//!
//! The pure parts live beside it and are re-exported here:
//! [`Endpoint`] (`endpoint`), request building ([`build_request_parts`],
//! `request`), response interpretation ([`interpret_response`],
//! `response`), the [`Pacer`] hook (`pacer`) and the [`Clock`] (`clock`).

use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderMap, DATE};
use serde::de::DeserializeOwned;
use tracing::{debug, trace};
use url::Url;

use crate::credentials::Credentials;
use crate::error::{Error, ErrorClass};
use crate::request::header_value;
use crate::response::{redirect_location, with_location};
use crate::retry::{Backoff, Jitter};
use crate::transport::{self, Transport, TransportConfig};

pub use crate::clock::Clock;
pub use crate::endpoint::Endpoint;
pub use crate::pacer::{AttemptOutcome, NoPacer, Pacer};
pub use crate::request::{
    build_request_parts, ApiRequest, PreparedRequest, DEFAULT_REQUEST_CLIENT, JSON_CONTENT_TYPE,
};
pub use crate::response::{interpret_response, parse_http_date};

/// The API error code that means the timestamp was too far from the server's clock.
pub const SIGNATURE_EXPIRE: &str = "AuthFailure.SignatureExpire";

/// How far a signature's timestamp may be from the server's clock, either
/// way (TC3: five minutes); also how far an answer's `Date` may be from the
/// timestamp it accepted to move the client's clock (see the module doc).
pub const SIGNATURE_WINDOW_SECS: i64 = 300;

/// Checks an extra root CA file as [`Client::new`] will load it: a regular
/// file of at most 1 MiB holding at least one PEM certificate. Returns how
/// many certificates it holds. `tcss-report validate` and `run` share this.
pub fn check_ca_file(path: &std::path::Path) -> Result<usize, Error> {
    transport::load_ca_file(path).map(|certs| certs.len())
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
    /// Extra trusted root CA PEM files (TLS-inspecting proxies), trusted
    /// besides the system trust store.
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

/// How one HTTP answer (status, body) becomes `T` and its `RequestId`: an
/// API error, an HTTP error or a body that does not decode is an [`Error`]
/// (retried or not by its class). [`interpret_response`] for a type `T`;
/// [`Action::decoder`](crate::action::Action::decoder) for an action's
/// answer read into a caller's enum of answers.
pub type Decoder<T> = fn(u16, &[u8]) -> Result<(T, String), Error>;

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

impl Failure {
    /// The JSON body of `action`'s request `req`, or the failure of a call
    /// that could not even be built (no attempt made).
    pub fn encode_body<T: serde::Serialize>(action: &str, req: &T) -> Result<Vec<u8>, Failure> {
        serde_json::to_vec(req).map_err(|e| Failure {
            error: Error::InvalidRequest {
                reason: format!("cannot encode {action}: {e}"),
            },
            attempts: 0,
            throttled: 0,
        })
    }
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

/// The shared API client: the transport, the configuration and the
/// measured clock offset. Clones share everything.
///
/// Proxies come from the usual environment variables (`HTTPS_PROXY`,
/// `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`), read once by [`Client::new`],
/// except that loopback endpoints (a local simulator) are always reached
/// directly.
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

/// Where a call stands between attempts.
#[derive(Debug)]
struct Progress {
    max_attempts: u32,
    attempts: u32,
    throttled: u32,
    /// Backoffs taken so far.
    retry_index: u32,
    /// Whether the one re-signing after `AuthFailure.SignatureExpire` happened.
    resigned: bool,
    /// The clock offset the next attempt signs with, instead of the stored one.
    offset_override: Option<i64>,
}

impl Progress {
    fn fail(&self, error: Error) -> Failure {
        Failure {
            error,
            attempts: self.attempts,
            throttled: self.throttled,
        }
    }
}

/// What the loop does after a failed attempt.
enum Next {
    /// Sleep, then try again.
    Retry(Duration),
    /// Try again at once (re-signed with the corrected clock).
    Resign,
    /// Stop with this error.
    Stop(Error),
}

impl Client {
    /// Builds the client: loads the system trust store and the extra root
    /// CAs, reads the proxy settings and checks the header values.
    pub fn new(config: ClientConfig) -> Result<Client, Error> {
        header_value("X-TC-Language", &config.language)?;
        header_value("X-TC-RequestClient", &config.request_client)?;
        let http = Transport::new(&TransportConfig {
            ca_files: &config.ca_files,
            timeout: config.timeout,
            pool_max_idle_per_host: config.pool_max_idle_per_host,
        })?;
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
        self.call_decoded(req, interpret_response::<T>, creds, pacer)
            .await
    }

    /// Like [`Client::call_with`], with the answer read by `decode`: one
    /// code path for many actions, each answer read into the caller's own
    /// enum (see [`Decoder`]). A body `decode` refuses is a failed attempt
    /// like any other.
    pub async fn call_decoded<T, P, F, Fut>(
        &self,
        req: &ApiRequest<'_>,
        decode: Decoder<T>,
        creds: F,
        pacer: &P,
    ) -> Result<Answer<T>, Failure>
    where
        P: Pacer,
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Credentials, Error>>,
    {
        let cfg = &self.inner.config;
        let mut progress = Progress {
            max_attempts: cfg.max_attempts.max(1),
            attempts: 0,
            throttled: 0,
            retry_index: 0,
            resigned: false,
            offset_override: None,
        };
        let Some(url) = req.endpoint.parsed() else {
            // Only an endpoint built from a service or region name that is
            // not a valid host gets here.
            return Err(progress.fail(Error::InvalidEndpoint {
                url: req.endpoint.url().to_string(),
                reason: "not a valid URL".to_string(),
            }));
        };
        let body = Bytes::copy_from_slice(req.body);
        loop {
            let creds = creds().await.map_err(|e| progress.fail(e))?;
            let permit = pacer.acquire().await;
            let offset = progress
                .offset_override
                .take()
                .unwrap_or_else(|| self.clock_offset_secs());
            let timestamp = cfg.clock.now() + offset;
            let prepared =
                build_request_parts(req, &creds, timestamp, &cfg.language, &cfg.request_client)
                    .map_err(|e| progress.fail(e))?;
            progress.attempts += 1;
            trace!(
                service = req.service,
                action = req.action,
                attempt = progress.attempts,
                timestamp,
                "sending"
            );
            let (result, server_offset) = self
                .attempt(req.endpoint, url, prepared.headers, body.clone(), decode)
                .await;
            drop(permit);
            self.learn_clock(&result, server_offset, offset);
            let error = match result {
                Ok((data, request_id)) => {
                    pacer.observe(AttemptOutcome::Success);
                    debug!(service = req.service, action = req.action, attempts = progress.attempts, %request_id, "answered");
                    return Ok(Answer {
                        data,
                        request_id,
                        attempts: progress.attempts,
                        throttled: progress.throttled,
                    });
                }
                Err(e) => e,
            };
            match self.after_failure(req, &mut progress, error, offset, server_offset, pacer) {
                Next::Retry(delay) if delay.is_zero() => {}
                Next::Retry(delay) => tokio::time::sleep(delay).await,
                Next::Resign => {}
                Next::Stop(error) => return Err(progress.fail(error)),
            }
        }
    }

    /// Decides what follows a failed attempt that was signed with clock
    /// offset `offset` (and tells `pacer`): a retry after a backoff, a
    /// re-signing with the server's clock, or the end of the call.
    fn after_failure<P: Pacer>(
        &self,
        req: &ApiRequest<'_>,
        progress: &mut Progress,
        error: Error,
        offset: i64,
        server_offset: Option<i64>,
        pacer: &P,
    ) -> Next {
        let class = error.class();
        if class == ErrorClass::Throttled {
            progress.throttled += 1;
        }
        debug!(
            service = req.service,
            action = req.action,
            region = req.region.unwrap_or(""),
            attempt = progress.attempts,
            code = %error.code(),
            "attempt failed"
        );
        pacer.attempt_failed(&error);
        if matches!(&error, Error::Api { code, .. } if code == SIGNATURE_EXPIRE) {
            let measured = server_offset.unwrap_or_else(|| self.clock_offset_secs());
            if !progress.resigned && measured != offset {
                pacer.observe(AttemptOutcome::TransientFailure);
                debug!(
                    skew_secs = measured,
                    "signature expired: re-signing with the corrected clock"
                );
                progress.resigned = true;
                progress.offset_override = Some(measured);
                return Next::Resign;
            }
            pacer.observe(AttemptOutcome::FinalFailure);
            return Next::Stop(signature_expired(error, measured));
        }
        let limit = progress
            .max_attempts
            .saturating_add(u32::from(progress.resigned));
        if !class.is_retryable() || progress.attempts >= limit {
            pacer.observe(match class {
                ErrorClass::Throttled => AttemptOutcome::Throttled,
                ErrorClass::Transient => AttemptOutcome::TransientFailure,
                _ => AttemptOutcome::FinalFailure,
            });
            return Next::Stop(error);
        }
        let throttled = class == ErrorClass::Throttled;
        pacer.observe(if throttled {
            AttemptOutcome::Throttled
        } else {
            AttemptOutcome::TransientFailure
        });
        let cfg = &self.inner.config;
        let delay = cfg
            .backoff
            .delay_after(progress.retry_index, cfg.jitter.sample(), throttled);
        progress.retry_index += 1;
        Next::Retry(delay)
    }

    /// Stores the clock offset `measured` from an answer's `Date` when the
    /// answer vouches for it (see the module doc); the attempt was signed
    /// with offset `signed_with`.
    fn learn_clock<T>(&self, result: &Result<T, Error>, measured: Option<i64>, signed_with: i64) {
        let Some(measured) = measured else { return };
        let plausible = measured.abs_diff(signed_with) <= SIGNATURE_WINDOW_SECS.unsigned_abs();
        let vouched = match result {
            Err(Error::Api { code, .. }) if code == SIGNATURE_EXPIRE => true,
            Ok(_) | Err(Error::Api { .. }) => plausible,
            Err(_) => false,
        };
        if vouched {
            self.inner.offset.store(measured, Ordering::Relaxed);
        } else if measured != signed_with {
            debug!(
                skew_secs = measured,
                signed_with_secs = signed_with,
                "Date header ignored: the answer does not vouch for it"
            );
        }
    }

    /// One attempt within the timeout. Returns the outcome and the clock
    /// offset measured from the answer's `Date` header, if any (stored by
    /// [`Client::learn_clock`] only when the answer vouches for it).
    async fn attempt<T>(
        &self,
        endpoint: &Endpoint,
        url: &Url,
        headers: HeaderMap,
        body: Bytes,
        decode: Decoder<T>,
    ) -> (Result<(T, String), Error>, Option<i64>) {
        let cfg = &self.inner.config;
        let http = &self.inner.http;
        let mut server_offset = None;
        let exchange = async {
            let response = http.send(endpoint, url, headers, body).await?;
            if let Some(server) = response
                .headers()
                .get(DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date)
            {
                server_offset = Some(server - cfg.clock.now());
            }
            let status = response.status().as_u16();
            let location = redirect_location(status, response.headers());
            let body = http
                .read_body(endpoint, response, cfg.max_response_bytes)
                .await?;
            Ok::<_, Error>((status, body, location))
        };
        let result = match tokio::time::timeout(cfg.timeout, exchange).await {
            Err(_) => Err(Error::Timeout {
                url: endpoint.origin().to_string(),
                timeout: cfg.timeout,
            }),
            Ok(Err(e)) => Err(e),
            Ok(Ok((status, body, location))) => {
                decode(status, &body).map_err(|e| with_location(e, location))
            }
        };
        (result, server_offset)
    }
}

/// `AuthFailure.SignatureExpire` after the re-signing: the error that
/// reports the measured skew.
fn signature_expired(error: Error, skew_secs: i64) -> Error {
    match error {
        Error::Api {
            code,
            message,
            request_id,
        } => Error::SignatureExpired {
            code,
            message,
            request_id,
            skew_secs,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
