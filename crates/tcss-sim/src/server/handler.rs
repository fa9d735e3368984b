//! One request, start to finish: size cap, routing headers, authentication
//! (TC3 signature, clock skew, temporary-credential tokens), then the
//! action (its row in `actions`: region, rate limit, injected faults, the
//! answer), latency, and the reply.
//!
//! Order of checks (the first failing one answers):
//! 1. method (`POST`/`GET`, else `UnsupportedProtocol`), body size (`RequestSizeLimitExceeded`);
//! 2. `X-TC-Action` (`MissingParameter`, `InvalidAction`), `X-TC-Version` (`MissingParameter`,
//!    `NoSuchVersion`), `X-TC-Timestamp` (`MissingParameter`, `InvalidParameter`);
//! 3. `Authorization` (`AuthFailure.InvalidAuthorization`), secret id (`AuthFailure.SecretIdNotFound`).
//!
//! From here the account is known and its latency applies to the answer:
//! 4. credential scope date = UTC date of `X-TC-Timestamp` and scope service = the
//!    action's service (`AuthFailure.SignatureFailure`);
//! 5. clock skew over 300 s against the account's clock (`AuthFailure.SignatureExpire`);
//! 6. temporary credentials: `X-TC-Token` present, equal, unexpired and not revoked (`AuthFailure.TokenFailure`);
//! 7. the signature (`AuthFailure.SignatureFailure`).
//!
//! Steps 8 to 11 are the action's: region, rate limit, injected faults and
//! the answer (see `actions`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::{HeaderMap, Request, Response};
use rand::Rng;
use tokio::sync::watch;

use super::actions::{self, ActionRow, Fragments, Served};
use super::delay::PreciseTimer;
use super::organization::Orgs;
use super::rate::Windows;
use super::reply::{self, ApiError};
use super::sts::{TempCred, TempStore};
use super::verify::{self, Received};
use crate::counters::{Counters, SUCCESS};
use crate::fleet::{FaultKind, Fleet};
use crate::sync::lock;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Largest accepted difference between `X-TC-Timestamp` and the server clock.
pub const MAX_SKEW_SECS: i64 = 300;

/// Returned by the service to drop the connection without an answer.
#[derive(Debug)]
pub(crate) struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("simulated connection reset")
    }
}

impl std::error::Error for ResetConnection {}

/// Who signed the request.
pub(super) struct Identity {
    /// The account the request acts in (a role's account for temporary
    /// credentials).
    pub(super) account: usize,
    secret_key: String,
    /// The temporary credentials used, if any.
    pub(super) temp: Option<TempCred>,
}

/// What to answer once latency has elapsed.
pub(super) enum Decision {
    /// Success: the inside of the `Response` object.
    Ok(String),
    /// An API error.
    Err(ApiError),
    /// An injected fault.
    Fault(FaultKind),
}

/// `(secret id, scope date, service)`: what a derived signing key depends on.
type SigningKeyId = (String, String, &'static str);

/// Everything shared by the connections of one simulator.
pub(crate) struct State {
    pub(crate) fleet: Fleet,
    pub(crate) counters: Arc<Counters>,
    keys: HashMap<String, (usize, String)>,
    pub(super) temp: Mutex<TempStore>,
    signing_keys: Mutex<HashMap<SigningKeyId, [u8; 32]>>,
    pub(super) windows: Mutex<Windows>,
    /// Calls seen per (account, region, action), for `first_n`.
    pub(super) first_calls: Mutex<HashMap<(usize, String, &'static str), u32>>,
    /// By account.
    pub(super) fragments: Vec<Fragments>,
    pub(super) orgs: Orgs,
    /// Seconds added to the system clock for every account (tests move time with it).
    shift: AtomicI64,
    pub(crate) shutdown: watch::Receiver<bool>,
    /// The latency's timer (tokio's ticks in whole milliseconds).
    timer: PreciseTimer,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("accounts", &self.fleet.accounts.len())
            .field("shift", &self.shift.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

impl State {
    pub(crate) fn new(
        fleet: Fleet,
        counters: Arc<Counters>,
        shutdown: watch::Receiver<bool>,
    ) -> State {
        let mut keys = HashMap::new();
        let mut fragments = Vec::with_capacity(fleet.accounts.len());
        for (i, a) in fleet.accounts.iter().enumerate() {
            for k in &a.keys {
                keys.insert(k.secret_id.clone(), (i, k.secret_key.clone()));
            }
            fragments.push(Fragments::of(a));
        }
        State {
            orgs: Orgs::new(&fleet),
            fleet,
            counters,
            keys,
            temp: Mutex::new(TempStore::default()),
            signing_keys: Mutex::new(HashMap::new()),
            windows: Mutex::new(Windows::default()),
            first_calls: Mutex::new(HashMap::new()),
            fragments,
            shift: AtomicI64::new(0),
            shutdown,
            timer: PreciseTimer::new(),
        }
    }

    /// The simulator's clock (Unix seconds), before any account's offset.
    pub(crate) fn now(&self) -> i64 {
        let sys = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        sys.saturating_add(self.shift.load(Ordering::Relaxed))
    }

    pub(crate) fn temporary_secrets(&self) -> Vec<String> {
        lock(&self.temp).secrets()
    }

    pub(crate) fn revoke_temporary_credentials(&self) -> usize {
        lock(&self.temp).revoke_all()
    }

    pub(crate) fn advance_clock(&self, secs: i64) {
        self.shift.fetch_add(secs, Ordering::Relaxed);
    }

    async fn until_shutdown(&self) {
        let mut rx = self.shutdown.clone();
        // An error means the server is gone: stop waiting too.
        let _ = rx.wait_for(|stop| *stop).await;
    }

    /// An answer given before the account is known: no latency, uin `""`.
    fn early(&self, region: &str, action: &str, e: ApiError) -> Response<Full<Bytes>> {
        self.counters.record("", region, action, &e.code);
        reply::json(reply::error_body(&e, &reply::request_id()), self.now())
    }

    pub(crate) async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        reset: Arc<AtomicBool>,
    ) -> Result<Response<Full<Bytes>>, ResetConnection> {
        let _in_flight = self.counters.enter();
        // Latency is counted from here: the answer leaves `latency_ms` after
        // the request arrived, however long reading and checking it took.
        let arrived = tokio::time::Instant::now();
        let (parts, body) = req.into_parts();
        let headers = &parts.headers;
        let region = header(headers, "x-tc-region").unwrap_or("").to_owned();
        let action_name = header(headers, "x-tc-action").unwrap_or("").to_owned();

        let method = parts.method.as_str();
        if method != "POST" && method != "GET" {
            let e = ApiError::new(
                "UnsupportedProtocol",
                format!("HTTP method {method} is not supported; use POST or GET."),
            );
            return Ok(self.early(&region, &action_name, e));
        }
        let too_large = || {
            ApiError::new(
                "RequestSizeLimitExceeded",
                format!("The request body exceeds the limit of {MAX_BODY_BYTES} bytes."),
            )
        };
        let declared = header(headers, "content-length").and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
            return Ok(self.early(&region, &action_name, too_large()));
        }
        let body: Bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
            Ok(c) => c.to_bytes(),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
                return Ok(self.early(&region, &action_name, too_large()));
            }
            // The client went away mid-body: nobody to answer.
            Err(_) => return Err(ResetConnection),
        };

        let (spec, timestamp, auth) = match route(headers, &action_name) {
            Ok(r) => r,
            Err((action, e)) => return Ok(self.early(&region, &action, e)),
        };
        let Some(identity) = self.identify(auth.secret_id) else {
            let e = ApiError::new(
                "AuthFailure.SecretIdNotFound",
                "The SecretId is not found, please ensure that your SecretId is correct.",
            );
            return Ok(self.early(&region, spec.name, e));
        };

        // The account is known from here on.
        let account = &self.fleet.accounts[identity.account];
        let offset = account.faults.clock_offset_secs;
        let received = Received {
            method,
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or(""),
            headers,
            body: &body,
            timestamp,
        };
        let mut decision = self.decide(spec, &region, &received, &auth, &identity);
        if let (Decision::Err(e), true) = (&mut decision, account.faults.echo_headers) {
            e.message = format!("{} (gateway echo: {})", e.message, echo(headers));
        }
        let code: &str = match &decision {
            Decision::Ok(_) => SUCCESS,
            Decision::Err(e) => &e.code,
            Decision::Fault(k) => k.counter_code(),
        };
        self.counters.record(&account.uin, &region, spec.name, code);

        self.delay(arrived, account.faults.latency_ms, account.faults.jitter_ms)
            .await;
        let date = self.now().saturating_add(offset);
        match decision {
            Decision::Ok(fragment) => Ok(reply::json(
                reply::success_body(&fragment, &reply::request_id()),
                date,
            )),
            Decision::Err(e) => Ok(reply::json(
                reply::error_body(&e, &reply::request_id()),
                date,
            )),
            Decision::Fault(FaultKind::InternalError) => Ok(reply::json(
                reply::error_body(&ApiError::internal(), &reply::request_id()),
                date,
            )),
            Decision::Fault(FaultKind::Http502) => Ok(reply::bad_gateway(date)),
            Decision::Fault(FaultKind::MalformedJson) => {
                Ok(reply::malformed_json(&reply::request_id(), date))
            }
            Decision::Fault(FaultKind::Reset) => {
                reset.store(true, Ordering::Relaxed);
                Err(ResetConnection)
            }
            Decision::Fault(FaultKind::Hang) => {
                self.until_shutdown().await;
                Err(ResetConnection)
            }
        }
    }

    fn identify(&self, secret_id: &str) -> Option<Identity> {
        if let Some((account, key)) = self.keys.get(secret_id) {
            return Some(Identity {
                account: *account,
                secret_key: key.clone(),
                temp: None,
            });
        }
        let temp = lock(&self.temp).get(secret_id).cloned()?;
        Some(Identity {
            account: temp.account,
            secret_key: temp.secret_key.clone(),
            temp: Some(temp),
        })
    }

    /// Waits until `latency_ms` (plus up to `jitter_ms`) after `arrived`.
    async fn delay(&self, arrived: tokio::time::Instant, latency_ms: u64, jitter_ms: u64) {
        let jitter = if jitter_ms > 0 {
            rand::thread_rng().gen_range(0..=jitter_ms)
        } else {
            0
        };
        let total = latency_ms.saturating_add(jitter);
        if total == 0 {
            return;
        }
        tokio::select! {
            () = self.timer.sleep_until(arrived.into_std() + Duration::from_millis(total)) => {}
            () = self.until_shutdown() => {}
        }
    }

    fn signing_key(
        &self,
        secret_id: &str,
        secret_key: &str,
        date: &str,
        service: &'static str,
    ) -> [u8; 32] {
        let key = (secret_id.to_owned(), date.to_owned(), service);
        if let Some(k) = lock(&self.signing_keys).get(&key) {
            return *k;
        }
        let (_, _, k_signing) = tcapi::sign::derive_keys(secret_key, date, service);
        let mut cache = lock(&self.signing_keys);
        if cache.len() >= 100_000 {
            cache.clear();
        }
        cache.insert(key, k_signing);
        k_signing
    }

    fn decide(
        &self,
        spec: &'static ActionRow,
        region: &str,
        rx: &Received<'_>,
        auth: &verify::Authorization<'_>,
        id: &Identity,
    ) -> Decision {
        match self.check(spec, region, rx, auth, id) {
            Ok(d) => d,
            Err(e) => Decision::Err(e),
        }
    }

    /// Steps 4 to 11 for a known account: each check in the order the
    /// real service applies them, then the action's.
    fn check(
        &self,
        spec: &'static ActionRow,
        region: &str,
        rx: &Received<'_>,
        auth: &verify::Authorization<'_>,
        id: &Identity,
    ) -> Result<Decision, ApiError> {
        let account = &self.fleet.accounts[id.account];
        let now = self.now();
        check_scope(spec, rx, auth)?;
        check_skew(rx, now.saturating_add(account.faults.clock_offset_secs))?;
        if let Some(temp) = &id.temp {
            check_token(rx, temp, now)?;
        }
        self.check_signature(spec, rx, auth, id)?;
        let served = Served {
            action: spec,
            region,
            identity: id,
            received: rx,
            now,
        };
        spec.serve(self, &served)
    }

    /// 7. The signature itself.
    fn check_signature(
        &self,
        spec: &ActionRow,
        rx: &Received<'_>,
        auth: &verify::Authorization<'_>,
        id: &Identity,
    ) -> Result<(), ApiError> {
        let k_signing = self.signing_key(auth.secret_id, &id.secret_key, auth.date, spec.service);
        let expected = verify::expected_signature(rx, auth, &k_signing)?;
        if !verify::signatures_match(&expected, auth.signature) {
            return Err(ApiError::new(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            ));
        }
        Ok(())
    }
}

/// Steps 1 to 3, from the headers alone: the action and its version, the
/// timestamp and the parsed `Authorization`. An error comes with the action
/// name to count it under.
fn route<'h>(
    headers: &'h HeaderMap,
    action_name: &str,
) -> Result<(&'static ActionRow, i64, verify::Authorization<'h>), (String, ApiError)> {
    if action_name.is_empty() {
        return Err((action_name.to_owned(), ApiError::missing("X-TC-Action")));
    }
    let Some(spec) = actions::find(action_name) else {
        let e = ApiError::new(
            "InvalidAction",
            format!("The action `{action_name}` is not found."),
        );
        return Err((action_name.to_owned(), e));
    };
    let Some(version) = header(headers, "x-tc-version") else {
        return Err((spec.name.to_owned(), ApiError::missing("X-TC-Version")));
    };
    if version != spec.version {
        let e = ApiError::new(
            "NoSuchVersion",
            format!(
                "The API version `{version}` of action `{}` does not exist (this service has `{}`).",
                spec.name, spec.version
            ),
        );
        return Err((spec.name.to_owned(), e));
    }
    let Some(ts_text) = header(headers, "x-tc-timestamp") else {
        return Err((spec.name.to_owned(), ApiError::missing("X-TC-Timestamp")));
    };
    let Ok(timestamp) = ts_text.parse::<i64>() else {
        let e = ApiError::new(
            "InvalidParameter",
            "X-TC-Timestamp must be an integer Unix time.",
        );
        return Err((spec.name.to_owned(), e));
    };
    let Some(auth_text) = header(headers, "authorization") else {
        let e = ApiError::new(
            "AuthFailure.InvalidAuthorization",
            "The Authorization header is missing.",
        );
        return Err((spec.name.to_owned(), e));
    };
    let auth = match verify::parse_authorization(auth_text) {
        Ok(a) => a,
        Err(e) => return Err((spec.name.to_owned(), e)),
    };
    Ok((spec, timestamp, auth))
}

/// 4. The credential scope names the timestamp's UTC date and the service.
fn check_scope(
    spec: &ActionRow,
    rx: &Received<'_>,
    auth: &verify::Authorization<'_>,
) -> Result<(), ApiError> {
    let ts_date = tcapi::sign::utc_date(rx.timestamp);
    if auth.date != ts_date {
        return Err(ApiError::new(
            "AuthFailure.SignatureFailure",
            format!(
                "The credential scope date `{}` is not the UTC date of X-TC-Timestamp ({ts_date}).",
                auth.date
            ),
        ));
    }
    if auth.service != spec.service {
        return Err(ApiError::new(
            "AuthFailure.SignatureFailure",
            format!(
                "The credential scope service `{}` does not match the service `{}` of action {}.",
                auth.service, spec.service, spec.name
            ),
        ));
    }
    Ok(())
}

/// 5. Clock skew against this account's clock (`server_time`).
fn check_skew(rx: &Received<'_>, server_time: i64) -> Result<(), ApiError> {
    if rx.timestamp.abs_diff(server_time) > MAX_SKEW_SECS.unsigned_abs() {
        return Err(ApiError::new(
            "AuthFailure.SignatureExpire",
            format!(
                "Signature expired. The request Timestamp({}) and the server time({server_time}) differ by more than {MAX_SKEW_SECS} seconds; please check your system time.",
                rx.timestamp
            ),
        ));
    }
    Ok(())
}

/// 6. Temporary credentials need their token, unexpired and not revoked.
fn check_token(rx: &Received<'_>, temp: &TempCred, now: i64) -> Result<(), ApiError> {
    match header(rx.headers, "x-tc-token") {
        None | Some("") => {
            return Err(ApiError::new(
                "AuthFailure.TokenFailure",
                "The SecretId is temporary and the X-TC-Token header is missing.",
            ))
        }
        Some(t) if !verify::secrets_equal(&temp.token, t) => {
            return Err(ApiError::new(
                "AuthFailure.TokenFailure",
                "The provided Token is invalid.",
            ))
        }
        Some(_) => {}
    }
    if now >= temp.expires_at {
        return Err(ApiError::new(
            "AuthFailure.TokenFailure",
            "The provided Token has expired.",
        ));
    }
    if temp.revoked {
        return Err(ApiError::new(
            "AuthFailure.TokenFailure",
            "The provided Token has been revoked.",
        ));
    }
    Ok(())
}

/// Every request header as `name: value`, the way a careless gateway
/// copies them into an error (the `echo_headers` fault).
fn echo(headers: &hyper::HeaderMap) -> String {
    headers
        .iter()
        .map(|(k, v)| format!("{k}: {}", String::from_utf8_lossy(v.as_bytes())))
        .collect::<Vec<_>>()
        .join(", ")
}
