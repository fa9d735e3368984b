//! The executor: runs a [`Plan`](crate::plan) against the API and returns
//! exactly one [`QueryOutcome`] per planned query, in plan order.
//!
//! This module owns the run itself: which queries are started at once (a
//! window of 2 × `concurrency` that queries sleeping in a retry backoff do
//! not count against, see `drive`), one query's call and its outcome
//! (including the one refresh of temporary keys the server rejects), and
//! cancellation. Two rooms beside it own the rest:
//!
//! - `pacing`: how fast attempts leave — the cap on requests in flight, a
//!   GCRA limiter per (account, action) that keeps every sliding second at
//!   or under the documented limit, and the slow-down after throttling;
//! - `credentials`: the run's credentials — static keys resolved once per
//!   account, role credentials assumed once per role account and refreshed
//!   before expiry, and the UIN learned with `GetCallerIdentity`;
//! - `members`: the organization calls (a page of members with the
//!   management account's keys) and the discovered accounts joining the run.
//!
//! Time: pacing reads tokio's clock (so paused-clock tests drive it); the
//! role cache reads the API client's clock (`Client::server_now`, the one
//! requests are signed with).

mod credentials;
mod feed;
mod members;
mod pacing;

pub use feed::QueryFeed;
pub use members::PageFailure;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::stream::FuturesUnordered;
use futures::{FutureExt, Stream, StreamExt};
use tcapi::client::{ApiRequest, Failure};
use tcapi::credentials::{CredentialError, Env};
use tcapi::{Client, Credentials, Endpoint};
use tokio::sync::{watch, Notify};

use crate::calls::Answer;
use crate::config::Config;
use crate::model::{QueryOutcome, QueryResult};
use crate::plan::Query;
use crate::redact::Redactor;
use crate::sanitize;
use crate::sync::lock;
use credentials::AccountState;
use pacing::{Action, KeyPacer, Limits, Tally};

/// The answer to a request signed with expired or revoked temporary credentials.
const TOKEN_FAILURE: &str = "AuthFailure.TokenFailure";

/// How a run talks to the API.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// The shared HTTP client (timeouts, retries, backoff).
    pub client: Client,
    /// TCSS endpoint (every call of [`crate::calls`]).
    pub endpoint: Endpoint,
    /// STS endpoint.
    pub sts_endpoint: Endpoint,
    /// Region sent with STS calls.
    pub sts_region: String,
    /// Requests in flight, all accounts together.
    pub concurrency: usize,
    /// `DescribeImageAuthorizedInfo` per second per account (the calls
    /// whose rate is [`Rate::Configured`](crate::calls::Rate)).
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

/// Runs `start(item)` for every item of the stream and hands each result to
/// `done`, with at most `window` futures running, not counting the
/// `sleeping` ones (those waiting out a retry backoff), and never more than
/// `max` in all. `woken` is notified when a future starts sleeping, so that
/// another can start. Items may arrive while others run (discovered
/// members): an item is started as soon as it arrives and there is room;
/// the drive ends when the stream has ended and every future is done.
async fn drive<T, F, Fut, R>(
    mut items: impl Stream<Item = T> + Unpin,
    window: usize,
    max: usize,
    sleeping: &AtomicUsize,
    woken: &Notify,
    mut start: F,
    mut done: impl FnMut(R),
) where
    F: FnMut(T) -> Fut,
    Fut: Future<Output = R>,
{
    let mut running = FuturesUnordered::new();
    let mut exhausted = false;
    loop {
        let limit = window
            .saturating_add(sleeping.load(Ordering::Acquire))
            .min(max.max(window));
        // Whatever has arrived, up to the limit, without waiting.
        while !exhausted && running.len() < limit {
            match items.next().now_or_never() {
                Some(Some(item)) => running.push(start(item)),
                Some(None) => exhausted = true,
                None => break,
            }
        }
        if exhausted && running.is_empty() {
            return;
        }
        tokio::select! {
            biased;
            Some(result) = running.next() => done(result),
            // A future started to sleep: room for one more.
            _ = woken.notified(), if !exhausted => {}
            // Room, and the next item has not arrived yet: wait for it too.
            item = items.next(), if !exhausted && running.len() < limit => match item {
                Some(item) => running.push(start(item)),
                None => exhausted = true,
            },
        }
    }
}

/// A query of the run: waiting for its outcome, or done.
enum Slot {
    Waiting(Query),
    Done(QueryOutcome),
}

/// Runs queries. Build one per run.
#[derive(Debug)]
pub struct Executor {
    opts: ExecOptions,
    limits: Limits,
    // Append-only while the run goes on: discovery adds members' accounts
    // as their pages arrive, queries read them by index.
    accounts: boxcar::Vec<AccountState>,
    names: boxcar::Vec<String>,
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
        let accounts = credentials::prepare(&config.accounts, env, overrides, &opts.redactor);
        Executor {
            limits: Limits::new(opts.concurrency, opts.rate_limit, opts.sts_rate_limit),
            opts,
            accounts,
            names: config.accounts.iter().map(|a| a.name.clone()).collect(),
        }
    }

    /// Runs every query, at most `concurrency` requests in flight. Returns
    /// one outcome per query in plan order. When `cancel` turns true, queries
    /// not started end as `Cancelled` and in-flight ones are abandoned (also
    /// `Cancelled`, with the attempts they made). `on_outcome` sees each
    /// outcome as it completes. (A run streams its queries,
    /// [`Executor::run_stream`]; this is for the tests.)
    #[cfg(test)]
    pub async fn run(
        &self,
        plan: &[Query],
        cancel: watch::Receiver<bool>,
        on_outcome: impl FnMut(&QueryOutcome),
    ) -> Vec<QueryOutcome> {
        self.run_stream(
            futures::stream::iter(plan.iter().cloned()),
            cancel,
            on_outcome,
        )
        .await
    }

    /// `run` for queries that arrive while the run goes on
    /// (discovered members: see [`QueryFeed`]): each starts as soon as it
    /// arrives and there is room. Query ids must number the queries 0, 1, ...
    /// in the order they arrive; the outcomes come back in that order.
    pub async fn run_stream(
        &self,
        queries: impl Stream<Item = Query> + Unpin,
        cancel: watch::Receiver<bool>,
        mut on_outcome: impl FnMut(&QueryOutcome),
    ) -> Vec<QueryOutcome> {
        // One slot per query that arrived: the query until its outcome
        // replaces it (never both kept: at 50,000 queries the outcomes are
        // the run's largest table), at the plan's size from the start.
        let slots = std::cell::RefCell::new(Vec::with_capacity(queries.size_hint().0));
        let queries = queries.inspect(|q| {
            let mut slots = slots.borrow_mut();
            debug_assert_eq!(q.id, slots.len(), "query ids number the arrivals");
            slots.push(Slot::Waiting(q.clone()));
        });
        // Enough futures to keep every slot busy while others wait for their
        // limiter, few enough that 30,000 queries stay small in memory.
        // Queries sleeping in a retry backoff do not count, up to 8 times
        // the window in all.
        let window = self.opts.concurrency.saturating_mul(2).max(16);
        let start = |q: Query| {
            let mut cancel = cancel.clone();
            async move {
                let tally = Tally::default();
                if *cancel.borrow() {
                    return (q.id, self.cancelled(&q, &tally));
                }
                let out = tokio::select! {
                    biased;
                    _ = cancel.wait_for(|c| *c) => self.cancelled(&q, &tally),
                    out = self.query(&q, &tally) => out,
                };
                self.limits.backoff_ended(&tally);
                (q.id, out)
            }
        };
        let redactor = &self.opts.redactor;
        drive(
            queries,
            window,
            window.saturating_mul(8),
            &self.limits.backing_off,
            &self.limits.backoff_started,
            start,
            |(id, mut outcome)| {
                sanitize::clean_outcome(&mut outcome, redactor);
                on_outcome(&outcome);
                if let Some(slot) = slots.borrow_mut().get_mut(id) {
                    *slot = Slot::Done(outcome);
                }
            },
        )
        .await;
        // Exactly one outcome per query, whatever happened above.
        slots
            .into_inner()
            .into_iter()
            .map(|slot| match slot {
                Slot::Done(outcome) => outcome,
                Slot::Waiting(q) => self.cancelled(&q, &Tally::default()),
            })
            .collect()
    }

    fn cancelled(&self, q: &Query, tally: &Tally) -> QueryOutcome {
        QueryOutcome {
            account_index: q.account_index,
            call: q.call,
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
            last_error: lock(&tally.last_error).take().map(Box::new),
        }
    }

    async fn query(&self, q: &Query, tally: &Tally) -> QueryOutcome {
        let mut out = QueryOutcome {
            account_index: q.account_index,
            call: q.call,
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
        let answer = self.call(q, tally).await;
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

    /// The query's call, with retries, paced on its (account, action) key
    /// and signed with fresh credentials before every attempt; temporary
    /// keys the server rejects are replaced once. Every call is made here
    /// the same way: its row ([`crate::calls::CallSpec`]) says what to send
    /// and how to read the answer.
    async fn call(&self, q: &Query, tally: &Tally) -> Result<tcapi::Answer<Answer>, Failure> {
        let spec = q.call.spec();
        let pacer = KeyPacer {
            limits: &self.limits,
            key: (q.account_index, Action::Call(q.call)),
            tally,
        };
        let request = ApiRequest::new(&self.opts.endpoint, spec.action, Some(&q.region), spec.body);
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
        let call = || {
            self.opts
                .client
                .call_decoded(&request, spec.decode, fresh, &pacer)
        };
        let mut answer = call().await;
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
                answer = call().await;
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
        answer
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::calls::Call;
    use tcapi::tcss::{AutoAuthorizeRange, EditionState};

    /// Account-wide calls planned beside the per-region one run through the
    /// executor as they are: each asked where the plan says (once, in the
    /// first region), each outcome carrying its call and typed answer
    /// (server text cleaned), each counted by the server under its action.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn account_wide_calls_need_nothing_of_the_executor() {
        let (uin, id, key) = (
            "100000000001",
            "AKIDexec000000000000000000000000001",
            "exec-key",
        );
        let answers = serde_json::json!({
            "DescribePurchaseStateInfo": {"State": 3, "SubState": "NOR\u{1b}[2JMAL", "AutomaticRenewal": 194},
            "DescribeImageAutoAuthorizedRule": {"IsEnabled": 1, "RangeType": "ALL"}
        });
        let fleet = tcss_sim::Fleet {
            accounts: vec![tcss_sim::SimAccount {
                uin: uin.into(),
                keys: vec![tcss_sim::KeyPair {
                    secret_id: id.into(),
                    secret_key: key.into(),
                }],
                data: serde_json::from_value(serde_json::json!({"TotalAuthorizedCnt": 5})).unwrap(),
                answers: serde_json::from_value(answers).unwrap(),
                ..tcss_sim::SimAccount::default()
            }],
            ..tcss_sim::Fleet::default()
        };
        let sim = tcss_sim::spawn(fleet, "127.0.0.1:0").await.unwrap();
        let text = format!(
            "[defaults]\nregions = [\"ap-guangzhou\", \"ap-shanghai\"]\n\n[[accounts]]\nname = \"a\"\nuin = \"{uin}\"\nsecret_id = \"{id}\"\nsecret_key = \"{key}\"\n"
        );
        let config = Config::parse(&text, std::path::Path::new("accounts.toml")).unwrap();
        let endpoint = Endpoint::parse(&sim.url(), true).unwrap();
        let executor = Executor::new(
            &config,
            &tcapi::credentials::MapEnv::new(),
            &HashMap::new(),
            ExecOptions {
                client: Client::new(tcapi::ClientConfig::default()).unwrap(),
                endpoint: endpoint.clone(),
                sts_endpoint: endpoint,
                sts_region: "ap-guangzhou".into(),
                concurrency: 4,
                rate_limit: 20,
                sts_rate_limit: 600,
                role_session_name: "exec-test".into(),
                role_duration_secs: 900,
                discover_uin: false,
                redactor: Arc::new(Redactor::new()),
            },
        );
        let plan = crate::plan::plan(&config.accounts, &Call::ALL);
        let (_stop, cancel) = watch::channel(false);
        let outcomes = executor.run(&plan, cancel, |_| {}).await;
        let got: Vec<(Call, &str)> = outcomes
            .iter()
            .map(|o| (o.call, o.region.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (Call::ImageAuthorizedInfo, "ap-guangzhou"),
                (Call::PurchaseStateInfo, "ap-guangzhou"),
                (Call::ImageAutoAuthorizedRule, "ap-guangzhou"),
                (Call::ImageAuthorizedInfo, "ap-shanghai"),
            ]
        );
        let answer = |i: usize| match &outcomes[i].result {
            QueryResult::Ok(a) => a.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            answer(0)
                .image_authorized_info()
                .unwrap()
                .total_authorized_cnt,
            Some(5)
        );
        let Answer::PurchaseStateInfo(p) = answer(1) else {
            panic!("{:?}", answer(1))
        };
        assert_eq!(p.state, Some(EditionState::Pro));
        assert_eq!(
            p.automatic_renewal,
            Some(tcapi::tcss::AutoRenewal::Other(194))
        );
        assert_eq!(
            p.sub_state.as_deref(),
            Some("NOR[2JMAL"),
            "cleaned like any server text"
        );
        let Answer::ImageAutoAuthorizedRule(r) = answer(2) else {
            panic!("{:?}", answer(2))
        };
        assert_eq!(r.range_type, Some(AutoAuthorizeRange::All));
        let seen = sim.counters().snapshot();
        for action in [
            "DescribePurchaseStateInfo",
            "DescribeImageAutoAuthorizedRule",
        ] {
            assert_eq!(seen.count(uin, action, "Success"), 1, "{action}");
            assert_eq!(seen.requests(uin, action), 1, "{action}");
        }
        assert_eq!(seen.count(uin, "DescribeImageAuthorizedInfo", "Success"), 2);
        sim.shutdown().await;
    }

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
            futures::stream::iter(items.clone()),
            2,
            16,
            &sleeping,
            &woken,
            |i| {
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
            futures::stream::iter(items.clone()),
            3,
            8,
            &sleeping,
            &woken,
            |i| {
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
            futures::stream::iter(items.clone()),
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
