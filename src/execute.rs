//! The executor: runs a [`Plan`](crate::plan) against the API and returns
//! exactly one [`QueryOutcome`] per planned query, in plan order.
//!
//! It owns the run's pacing: a global cap on requests in flight
//! (`concurrency`, counting TCSS and STS calls alike), a governor limiter per
//! (account, action) checked right before each attempt leaves (so a backlog is
//! never released at once), and an adaptive slow-down per key when the
//! server answers with throttling, and how many queries are started at once
//! (a window of 2 × `concurrency` that queries sleeping in a retry backoff do
//! not count against, see `drive`). It also owns the credentials of a run:
//! static keys resolved once per account, role credentials assumed once per
//! role account (shared by its regions, refreshed before expiry), and the
//! account's UIN learned with `GetCallerIdentity` when the config lacks it.

use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures::stream::FuturesUnordered;
use futures::StreamExt;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tcapi::client::{ApiRequest, AttemptOutcome, Pacer};
use tcapi::credentials::{CredentialError, Env, RoleCredentialsCache};
use tcapi::{sts, tcss, Client, Credentials, Endpoint};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};

use crate::config::{Config, CredentialSpec};
use crate::model::{AttemptError, QueryOutcome, QueryResult};
use crate::plan::Query;
use crate::redact::Redactor;
use crate::sanitize;

/// Extra spacing kept above the documented limit, so that scheduling and
/// network jitter can never squeeze one more request into the server's
/// sliding one-second window.
const PACING_MARGIN: f64 = 0.05;

/// The answer to a request signed with expired or revoked temporary credentials.
const TOKEN_FAILURE: &str = "AuthFailure.TokenFailure";

/// Locks a mutex whose data stays valid if a holder panicked.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How a run talks to the API.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// The shared HTTP client (timeouts, retries, backoff).
    pub client: Client,
    /// TCSS endpoint.
    pub endpoint: Endpoint,
    /// STS endpoint.
    pub sts_endpoint: Endpoint,
    /// Region sent with STS calls.
    pub sts_region: String,
    /// Requests in flight, all accounts together.
    pub concurrency: usize,
    /// `DescribeImageAuthorizedInfo` per second per account.
    pub rate_limit: u32,
    /// `AssumeRole`/`GetCallerIdentity` per second per calling account.
    pub sts_rate_limit: u32,
    /// `RoleSessionName`.
    pub role_session_name: String,
    /// `DurationSeconds`.
    pub role_duration_secs: u32,
    /// Learn missing UINs with `GetCallerIdentity`.
    pub discover_uin: bool,
    /// Every secret the run resolves or is issued is registered here, and
    /// every outcome's server text is redacted with it.
    pub redactor: Arc<Redactor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Action {
    Tcss,
    Sts,
}

#[derive(Debug, Default)]
struct Adapt {
    /// Extra spacing added after throttling; decays on success.
    extra: Duration,
    /// No request for this key before then.
    not_before: Option<Instant>,
}

/// Pacing shared by every query of a run.
#[derive(Debug)]
struct Limits {
    in_flight: Arc<Semaphore>,
    tcss: DefaultKeyedRateLimiter<usize>,
    sts: DefaultKeyedRateLimiter<usize>,
    adapt: Mutex<HashMap<(usize, Action), Adapt>>,
    tcss_period: Duration,
    sts_period: Duration,
    /// Queries waiting out a retry backoff: they do not count against the
    /// executor's window (`drive`).
    backing_off: AtomicUsize,
    /// Told when a query starts a backoff, so the window can grow.
    backoff_started: Notify,
}

fn period_for(rate: u32) -> Duration {
    Duration::from_secs_f64((1.0 + PACING_MARGIN) / f64::from(rate.max(1)))
}

fn limiter(period: Duration) -> DefaultKeyedRateLimiter<usize> {
    // Burst 1: requests of one key are spaced by `period`, so any one-second
    // window holds at most `rate` of them.
    let quota = Quota::with_period(period)
        .expect("period is positive")
        .allow_burst(NonZeroU32::MIN);
    RateLimiter::keyed(quota)
}

impl Limits {
    fn new(opts: &ExecOptions) -> Limits {
        let tcss_period = period_for(opts.rate_limit);
        let sts_period = period_for(opts.sts_rate_limit);
        Limits {
            in_flight: Arc::new(Semaphore::new(opts.concurrency.max(1))),
            tcss: limiter(tcss_period),
            sts: limiter(sts_period),
            adapt: Mutex::new(HashMap::new()),
            backing_off: AtomicUsize::new(0),
            backoff_started: Notify::new(),
            tcss_period,
            sts_period,
        }
    }

    fn not_before(&self, key: (usize, Action)) -> Option<Instant> {
        let map = lock(&self.adapt);
        map.get(&key)
            .and_then(|a| a.not_before)
            .filter(|t| *t > Instant::now())
    }

    fn sent(&self, key: (usize, Action)) {
        let mut map = lock(&self.adapt);
        if let Some(a) = map.get_mut(&key) {
            if !a.extra.is_zero() {
                a.not_before = Some(Instant::now() + a.extra);
            }
        }
    }

    fn observe(&self, key: (usize, Action), outcome: AttemptOutcome) {
        let period = match key.1 {
            Action::Tcss => self.tcss_period,
            Action::Sts => self.sts_period,
        };
        let mut map = lock(&self.adapt);
        match outcome {
            AttemptOutcome::Throttled => {
                let a = map.entry(key).or_default();
                // The server's window is one second: stay quiet for it, then go slower.
                a.extra = (a.extra * 2).max(period).min(Duration::from_secs(2));
                a.not_before = Some(Instant::now() + Duration::from_secs(1));
                tracing::debug!(
                    account = key.0,
                    extra_ms = a.extra.as_millis() as u64,
                    "throttled: slowing down"
                );
            }
            AttemptOutcome::Success => {
                if let Some(a) = map.get_mut(&key) {
                    a.extra = a.extra.mul_f64(0.75);
                    if a.extra < Duration::from_millis(1) {
                        map.remove(&key);
                    }
                }
            }
            _ => {}
        }
    }
}

/// What one query records about its attempts, shared with its pacers so a
/// cancelled query still reports what it did.
#[derive(Debug, Default)]
struct Tally {
    attempts: AtomicU32,
    first_sent: OnceLock<Instant>,
    /// Between a failed attempt and the next (or the end of the call): the
    /// query may be sleeping in backoff, counted in `Limits::backing_off`.
    backing_off: AtomicBool,
    /// The latest failed attempt's error, for a query cancelled while retrying.
    last_error: Mutex<Option<AttemptError>>,
}

impl Limits {
    /// A failed attempt: the call may now sleep before retrying.
    fn backoff_started(&self, tally: &Tally) {
        if !tally.backing_off.swap(true, Ordering::AcqRel) {
            self.backing_off.fetch_add(1, Ordering::AcqRel);
            self.backoff_started.notify_one();
        }
    }

    /// The next attempt starts, or the call is over.
    fn backoff_ended(&self, tally: &Tally) {
        if tally.backing_off.swap(false, Ordering::AcqRel) {
            self.backing_off.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Runs `start(item)` for every item and hands each result to `done`, with
/// at most `window` futures running, not counting the `sleeping` ones (those
/// waiting out a retry backoff), and never more than `max` in all. `woken`
/// is notified when a future starts sleeping, so that another can start.
async fn drive<'a, T: 'a, F, Fut, R>(
    items: &'a [T],
    window: usize,
    max: usize,
    sleeping: &AtomicUsize,
    woken: &Notify,
    mut start: F,
    mut done: impl FnMut(R),
) where
    F: FnMut(&'a T) -> Fut,
    Fut: Future<Output = R>,
{
    let mut next = items.iter();
    let mut running = FuturesUnordered::new();
    let mut exhausted = false;
    loop {
        let limit = window
            .saturating_add(sleeping.load(Ordering::Acquire))
            .min(max.max(window));
        while !exhausted && running.len() < limit {
            match next.next() {
                Some(item) => running.push(start(item)),
                None => exhausted = true,
            }
        }
        if running.is_empty() {
            return;
        }
        tokio::select! {
            biased;
            Some(result) = running.next() => done(result),
            // A future started to sleep: room for one more.
            _ = woken.notified(), if !exhausted => {}
        }
    }
}

/// The [`Pacer`] of one call: waits for a slot and the key's limiter right
/// before each attempt.
#[derive(Debug)]
struct KeyPacer<'a> {
    limits: &'a Limits,
    key: (usize, Action),
    tally: &'a Tally,
}

impl Pacer for KeyPacer<'_> {
    type Permit = OwnedSemaphorePermit;

    async fn acquire(&self) -> OwnedSemaphorePermit {
        self.limits.backoff_ended(self.tally);
        loop {
            if let Some(t) = self.limits.not_before(self.key) {
                tokio::time::sleep_until(t.into()).await;
            }
            let permit = match self.limits.in_flight.clone().acquire_owned().await {
                Ok(p) => p,
                Err(_) => unreachable!("the in-flight semaphore is never closed"),
            };
            let limiter = match self.key.1 {
                Action::Tcss => &self.limits.tcss,
                Action::Sts => &self.limits.sts,
            };
            match limiter.check_key(&self.key.0) {
                Ok(()) => {
                    self.limits.sent(self.key);
                    self.tally.attempts.fetch_add(1, Ordering::Relaxed);
                    let _ = self.tally.first_sent.set(Instant::now());
                    return permit;
                }
                Err(not_until) => {
                    drop(permit);
                    // The limiter's own clock: building a quanta clock calibrates it (CPUID), which
                    // cost a tenth of the client's CPU when done per attempt.
                    tokio::time::sleep(not_until.wait_time_from(limiter.clock().now())).await;
                }
            }
        }
    }

    fn observe(&self, outcome: AttemptOutcome) {
        self.limits.observe(self.key, outcome);
        if outcome != AttemptOutcome::Success {
            self.limits.backoff_started(self.tally);
        }
    }

    fn attempt_failed(&self, error: &tcapi::Error) {
        *lock(&self.tally.last_error) = Some(AttemptError {
            code: error.code(),
            message: error.to_string(),
        });
    }
}

/// A failure before or instead of the TCSS call (credentials, AssumeRole).
#[derive(Debug, Clone)]
struct CredFailure {
    code: String,
    message: String,
}

#[derive(Debug)]
enum AccountCreds {
    Static(Result<Credentials, CredFailure>),
    Role {
        arn: String,
        source: usize,
        cache: Box<RoleCredentialsCache>,
        /// A failed AssumeRole is not tried again for the account's other regions.
        failed: OnceLock<CredFailure>,
    },
}

#[derive(Debug)]
struct AccountState {
    creds: AccountCreds,
    uin: tokio::sync::OnceCell<Option<String>>,
    known_uin: bool,
}

/// Runs queries. Build one per run.
#[derive(Debug)]
pub struct Executor {
    opts: ExecOptions,
    limits: Limits,
    accounts: Vec<AccountState>,
    names: Vec<String>,
}

fn now_unix(offset: i64) -> i64 {
    chrono::Utc::now().timestamp() + offset
}

impl Executor {
    /// Prepares a run: resolves static credentials now (environment, files),
    /// using `overrides` (by account index) where given, e.g. the simulator's
    /// demo keys.
    pub fn new(
        config: &Config,
        env: &dyn Env,
        overrides: &HashMap<usize, Credentials>,
        opts: ExecOptions,
    ) -> Executor {
        let accounts = config
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let creds = match (&a.credentials, overrides.get(&i)) {
                    (CredentialSpec::Role { arn, source }, _) => AccountCreds::Role {
                        arn: arn.to_string(),
                        source: *source,
                        cache: Box::new(RoleCredentialsCache::new()),
                        failed: OnceLock::new(),
                    },
                    (_, Some(c)) => AccountCreds::Static(Ok(c.clone())),
                    (
                        CredentialSpec::Inline {
                            secret_id,
                            secret_key,
                        },
                        None,
                    ) => AccountCreds::Static(Ok(Credentials::new(
                        secret_id.clone(),
                        secret_key.clone(),
                    ))),
                    (CredentialSpec::Static(source), None) => {
                        AccountCreds::Static(source.resolve(env).map_err(|e| CredFailure {
                            code: "CredentialError".into(),
                            message: format!("{} ({})", e, source.describe()),
                        }))
                    }
                };
                if let AccountCreds::Static(Ok(c)) = &creds {
                    opts.redactor.add_credentials(c);
                }
                AccountState {
                    creds,
                    uin: tokio::sync::OnceCell::new(),
                    known_uin: a.uin.is_some(),
                }
            })
            .collect();
        Executor {
            limits: Limits::new(&opts),
            opts,
            accounts,
            names: config.accounts.iter().map(|a| a.name.clone()).collect(),
        }
    }

    /// Runs every query, at most `concurrency` requests in flight. Returns
    /// one outcome per query in plan order. When `cancel` turns true, queries
    /// not started end as `Cancelled` and in-flight ones are abandoned (also
    /// `Cancelled`, with the attempts they made). `on_outcome` sees each
    /// outcome as it completes.
    pub async fn run<'a>(
        &'a self,
        plan: &'a [Query],
        cancel: watch::Receiver<bool>,
        mut on_outcome: impl FnMut(&QueryOutcome),
    ) -> Vec<QueryOutcome> {
        let mut slots: Vec<Option<QueryOutcome>> = vec![None; plan.len()];
        // Enough futures to keep every slot busy while others wait for their
        // limiter, few enough that 30,000 queries stay small in memory.
        // Queries sleeping in a retry backoff do not count, up to 8 times
        // the window in all.
        let window = self.opts.concurrency.saturating_mul(2).max(16);
        let start = |q: &'a Query| {
            let mut cancel = cancel.clone();
            async move {
                let tally = Tally::default();
                if *cancel.borrow() {
                    return (q.id, self.cancelled(q, &tally));
                }
                let out = tokio::select! {
                    biased;
                    _ = cancel.wait_for(|c| *c) => self.cancelled(q, &tally),
                    out = self.query(q, &tally) => out,
                };
                self.limits.backoff_ended(&tally);
                (q.id, out)
            }
        };
        let redactor = &self.opts.redactor;
        drive(
            plan,
            window,
            window.saturating_mul(8),
            &self.limits.backing_off,
            &self.limits.backoff_started,
            start,
            |(id, mut outcome)| {
                sanitize::clean_outcome(&mut outcome, redactor);
                on_outcome(&outcome);
                slots[id] = Some(outcome);
            },
        )
        .await;
        // Exactly one outcome per query, whatever happened above.
        slots
            .into_iter()
            .zip(plan)
            .map(|(slot, q)| slot.unwrap_or_else(|| self.cancelled(q, &Tally::default())))
            .collect()
    }

    fn cancelled(&self, q: &Query, tally: &Tally) -> QueryOutcome {
        QueryOutcome {
            account_index: q.account_index,
            region: q.region.clone(),
            result: QueryResult::Cancelled,
            attempts: tally.attempts.load(Ordering::Relaxed),
            throttled: 0,
            latency_ms: tally
                .first_sent
                .get()
                .map_or(0, |t| t.elapsed().as_millis() as u64),
            request_id: None,
            uin: None,
            last_error: lock(&tally.last_error).take(),
        }
    }

    async fn query(&self, q: &Query, tally: &Tally) -> QueryOutcome {
        let mut out = QueryOutcome {
            account_index: q.account_index,
            region: q.region.clone(),
            result: QueryResult::Cancelled,
            attempts: 0,
            throttled: 0,
            latency_ms: 0,
            request_id: None,
            uin: None,
            last_error: None,
        };
        // Credentials are looked up once here, so a failure (a role that
        // cannot be assumed) is reported with its own code, and again before
        // every attempt, so a long retry chain never signs with expired
        // temporary keys.
        if let Err(f) = self.credentials(q.account_index, tally).await {
            out.result = QueryResult::Failed {
                code: f.code,
                message: f.message,
            };
            out.attempts = tally.attempts.load(Ordering::Relaxed);
            return out;
        }
        let pacer = KeyPacer {
            limits: &self.limits,
            key: (q.account_index, Action::Tcss),
            tally,
        };
        let request = ApiRequest {
            endpoint: &self.opts.endpoint,
            service: tcss::SERVICE,
            version: tcss::VERSION,
            action: tcss::DESCRIBE_IMAGE_AUTHORIZED_INFO,
            region: Some(&q.region),
            body: b"{}",
        };
        // The SecretId of the temporary keys the latest attempt was signed with.
        let last_key: Mutex<Option<String>> = Mutex::new(None);
        let fresh = || async {
            let creds = self
                .credentials(q.account_index, tally)
                .await
                .map_err(|f| {
                    tcapi::Error::Credentials(CredentialError::AssumeRole {
                        role_arn: self.role_arn(q.account_index),
                        code: f.code,
                        message: f.message,
                    })
                })?;
            // Only temporary keys can be refreshed: remember just those.
            if creds.token.is_some() {
                *lock(&last_key) = Some(creds.secret_id.clone());
            }
            Ok(creds)
        };
        let mut answer = self.opts.client.call_with(&request, fresh, &pacer).await;
        // The server may still reject temporary keys (its clock and ours
        // differ by more than the margin, or the session was revoked): assume
        // the role again, once, rather than report a stale-credentials
        // failure. Only the rejected keys are dropped: queries that fail
        // together share one new AssumeRole.
        if let Err(f) = &answer {
            let rejected = lock(&last_key).clone();
            if f.error.code() == TOKEN_FAILURE
                && self
                    .forget_role_credentials(q.account_index, rejected.as_deref())
                    .await
            {
                let (attempts, throttled) = (f.attempts, f.throttled);
                answer = self.opts.client.call_with(&request, fresh, &pacer).await;
                match &mut answer {
                    Ok(a) => {
                        a.attempts += attempts;
                        a.throttled += throttled;
                    }
                    Err(f) => {
                        f.attempts += attempts;
                        f.throttled += throttled;
                    }
                }
            }
        }
        out.latency_ms = tally
            .first_sent
            .get()
            .map_or(0, |t| t.elapsed().as_millis() as u64);
        match answer {
            Ok(a) => {
                out.attempts = a.attempts;
                out.throttled = a.throttled;
                out.request_id = Some(a.request_id);
                out.result = QueryResult::Ok(a.data);
                let state = &self.accounts[q.account_index];
                if self.opts.discover_uin && !state.known_uin {
                    if let Ok(creds) = self.credentials(q.account_index, tally).await {
                        out.uin = self.uin(q.account_index, &creds).await;
                    }
                }
            }
            Err(f) => {
                out.attempts = f.attempts;
                out.throttled = f.throttled;
                out.request_id = f.error.request_id().map(str::to_string);
                out.result = QueryResult::Failed {
                    code: f.error.code(),
                    message: f.error.to_string(),
                };
            }
        }
        out
    }

    /// The role ARN of a role account (empty for others), for messages.
    fn role_arn(&self, account: usize) -> String {
        match &self.accounts[account].creds {
            AccountCreds::Role { arn, .. } => arn.clone(),
            AccountCreds::Static(_) => String::new(),
        }
    }

    /// Drops a role account's cached credentials so the next use assumes
    /// the role again. False for accounts with static credentials.
    /// After the API rejected the temporary keys `rejected` of a role
    /// account: drops them from the cache unless a replacement is already
    /// there. False for accounts with static keys (nothing to refresh).
    async fn forget_role_credentials(&self, account: usize, rejected: Option<&str>) -> bool {
        match &self.accounts[account].creds {
            AccountCreds::Role { cache, .. } => {
                let dropped = match rejected {
                    Some(id) => cache.invalidate_if_current(id).await,
                    None => {
                        cache.invalidate().await;
                        true
                    }
                };
                tracing::debug!(
                    account = %self.names[account],
                    dropped,
                    "temporary credentials rejected: using new ones"
                );
                true
            }
            AccountCreds::Static(_) => false,
        }
    }

    /// The account's UIN from `GetCallerIdentity`, asked once per account
    /// when the config does not give it. Failures only cost the column.
    async fn uin(&self, account: usize, creds: &Credentials) -> Option<String> {
        let state = &self.accounts[account];
        if state.known_uin || !self.opts.discover_uin {
            return None;
        }
        state
            .uin
            .get_or_init(|| async {
                let tally = Tally::default();
                let pacer = KeyPacer { limits: &self.limits, key: (account, Action::Sts), tally: &tally };
                let answer = sts::get_caller_identity(
                    &self.opts.client,
                    &self.opts.sts_endpoint,
                    &self.opts.sts_region,
                    creds,
                    &pacer,
                )
                .await;
                self.limits.backoff_ended(&tally);
                match answer {
                    Ok(a) => a.data.account_id,
                    Err(f) => {
                        let code = f.error.code();
                        let code = sanitize::clean(&code, sanitize::MAX_CODE_CHARS);
                        tracing::warn!(account = %self.names[account], code = %self.opts.redactor.redact(&code), "GetCallerIdentity failed; the uin column stays empty");
                        None
                    }
                }
            })
            .await
            .clone()
    }

    /// Credentials for an account: static ones as resolved, role ones from
    /// the cache (assumed with the source account's credentials when missing
    /// or within five minutes of expiry).
    fn credentials<'a>(
        &'a self,
        account: usize,
        tally: &'a Tally,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Credentials, CredFailure>> + Send + 'a>,
    > {
        Box::pin(async move {
            match &self.accounts[account].creds {
                AccountCreds::Static(r) => r.clone(),
                AccountCreds::Role {
                    arn,
                    source,
                    cache,
                    failed,
                } => {
                    if let Some(f) = failed.get() {
                        return Err(f.clone());
                    }
                    let now = now_unix(self.opts.client.clock_offset_secs());
                    let result = cache
                        .get(now, || async {
                            let source_creds =
                                self.credentials(*source, tally).await.map_err(|f| {
                                    CredentialError::AssumeRole {
                                        role_arn: arn.clone(),
                                        code: f.code,
                                        message: format!(
                                            "source account `{}` has no credentials: {}",
                                            self.names[*source], f.message
                                        ),
                                    }
                                })?;
                            let req = sts::AssumeRoleRequest {
                                role_arn: arn.clone(),
                                role_session_name: self.opts.role_session_name.clone(),
                                duration_seconds: Some(self.opts.role_duration_secs),
                                policy: None,
                            };
                            let pacer = KeyPacer {
                                limits: &self.limits,
                                key: (*source, Action::Sts),
                                tally,
                            };
                            match sts::assume_role(
                                &self.opts.client,
                                &self.opts.sts_endpoint,
                                &self.opts.sts_region,
                                &source_creds,
                                &req,
                                &pacer,
                            )
                            .await
                            {
                                Ok(a) => {
                                    let creds = a.data.into_credentials();
                                    self.opts.redactor.add_credentials(&creds);
                                    Ok(creds)
                                }
                                Err(f) => Err(CredentialError::AssumeRole {
                                    role_arn: arn.clone(),
                                    code: f.error.code(),
                                    message: f.error.to_string(),
                                }),
                            }
                        })
                        .await;
                    result.map_err(|e| {
                        let f = match &e {
                            CredentialError::AssumeRole { code, .. } => CredFailure {
                                code: code.clone(),
                                message: format!("AssumeRole failed: {e}"),
                            },
                            other => CredFailure {
                                code: "CredentialError".into(),
                                message: other.to_string(),
                            },
                        };
                        let _ = failed.set(f.clone());
                        f
                    })
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items 0 and 1 fail first and sleep 10 s in backoff; the others answer
    /// at once. With a window of 2, the sleepers must not hold up the rest.
    #[tokio::test(start_paused = true)]
    async fn sleeping_futures_do_not_hold_the_window() {
        let items: Vec<usize> = (0..6).collect();
        let sleeping = AtomicUsize::new(0);
        let woken = Notify::new();
        let started = tokio::time::Instant::now();
        let mut order = Vec::new();
        drive(
            &items,
            2,
            16,
            &sleeping,
            &woken,
            |&i| {
                let (sleeping, woken) = (&sleeping, &woken);
                async move {
                    if i < 2 {
                        sleeping.fetch_add(1, Ordering::AcqRel);
                        woken.notify_one();
                        tokio::time::sleep(Duration::from_secs(10)).await;
                        sleeping.fetch_sub(1, Ordering::AcqRel);
                    } else {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    (i, started.elapsed())
                }
            },
            |r| order.push(r),
        )
        .await;
        let done: Vec<usize> = order.iter().map(|(i, _)| *i).collect();
        assert_eq!(done.len(), 6);
        assert_eq!(&done[4..], &[0, 1], "the sleepers finish last: {order:?}");
        for (i, at) in &order[..4] {
            assert!(
                *at < Duration::from_secs(1),
                "item {i} waited for the sleepers: {at:?}"
            );
        }
    }

    /// Never more than `window` at a time while nothing sleeps, and never
    /// more than `max` however many sleep.
    #[tokio::test(start_paused = true)]
    async fn the_window_and_its_ceiling_hold() {
        let items: Vec<usize> = (0..40).collect();
        let sleeping = AtomicUsize::new(0);
        let woken = Notify::new();
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        drive(
            &items,
            3,
            8,
            &sleeping,
            &woken,
            |&i| {
                let (sleeping, woken, running, peak) = (&sleeping, &woken, &running, &peak);
                async move {
                    let now = running.fetch_add(1, Ordering::AcqRel) + 1;
                    peak.fetch_max(now, Ordering::AcqRel);
                    if i % 2 == 0 {
                        // Every other item sleeps in backoff for a while.
                        sleeping.fetch_add(1, Ordering::AcqRel);
                        woken.notify_one();
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        sleeping.fetch_sub(1, Ordering::AcqRel);
                    } else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    running.fetch_sub(1, Ordering::AcqRel);
                    i
                }
            },
            |_| {},
        )
        .await;
        let peak = peak.load(Ordering::Acquire);
        assert!(peak > 3, "sleepers made room: peak {peak}");
        assert!(peak <= 8, "the ceiling holds: peak {peak}");

        // Without sleepers the window is the limit.
        let peak = AtomicUsize::new(0);
        let running = AtomicUsize::new(0);
        drive(
            &items,
            3,
            8,
            &sleeping,
            &woken,
            |_| {
                let (running, peak) = (&running, &peak);
                async move {
                    let now = running.fetch_add(1, Ordering::AcqRel) + 1;
                    peak.fetch_max(now, Ordering::AcqRel);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    running.fetch_sub(1, Ordering::AcqRel);
                }
            },
            |_| {},
        )
        .await;
        assert_eq!(peak.load(Ordering::Acquire), 3);
    }
}
