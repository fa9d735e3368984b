//! [`RoleCredentialsCache`]: the temporary credentials of one role, reused
//! until [`REFRESH_BEFORE_EXPIRY_SECS`] before they expire, then refreshed by
//! exactly one in-flight fetch that every concurrent caller shares.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use super::{CredentialError, Credentials, REFRESH_BEFORE_EXPIRY_SECS};

/// Caches the temporary credentials of one role (see [`RoleCredentialsCache::get`]).
///
/// - Cached credentials are returned while `now < expires_at - 300`;
///   credentials without an expiry are kept until [`invalidate`](Self::invalidate).
/// - Otherwise one caller runs `fetch` while holding the cache; callers that
///   arrive meanwhile wait for that flight and share its result: its
///   credentials, or its error (stale keys are never handed out instead).
/// - A caller arriving after a failed flight starts a new one.
///
/// The `fetch` closure must not call `get` on the same cache (it would wait
/// for itself).
#[derive(Default)]
pub struct RoleCredentialsCache {
    state: Mutex<State>,
    /// Flights finished (successfully or not); changed only under `state`.
    flights_done: AtomicU64,
}

#[derive(Default)]
struct State {
    cached: Option<Credentials>,
    /// The error of the last flight, if it failed, with that flight's number.
    last_failure: Option<(u64, CredentialError)>,
}

impl fmt::Debug for RoleCredentialsCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleCredentialsCache")
            .field("flights_done", &self.flights_done.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Whether `creds` may still be used at `now` without a refresh.
fn is_fresh(creds: &Credentials, now: i64) -> bool {
    match creds.expires_at {
        None => true,
        Some(expires_at) => now < expires_at.saturating_sub(REFRESH_BEFORE_EXPIRY_SECS),
    }
}

impl RoleCredentialsCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The cached credentials if still fresh at `now` (Unix seconds), else the
    /// result of `fetch` (shared with every caller waiting meanwhile).
    ///
    /// The fetch error is converted with `Into<CredentialError>`; callers
    /// usually build [`CredentialError::AssumeRole`]. Fetched credentials that
    /// had already expired at `now` are refused with
    /// [`CredentialError::ExpiredOnArrival`].
    pub async fn get<F, Fut, E>(&self, now: i64, fetch: F) -> Result<Credentials, CredentialError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Credentials, E>>,
        E: Into<CredentialError>,
    {
        // Read before queueing: a flight finishing after this point is one we waited for.
        let seen = self.flights_done.load(Ordering::Acquire);
        let mut state = self.state.lock().await;
        if let Some(creds) = state.cached.as_ref().filter(|c| is_fresh(c, now)) {
            return Ok(creds.clone());
        }
        if let Some((flight, error)) = &state.last_failure {
            if *flight > seen {
                return Err(error.clone());
            }
        }
        // Whatever is cached is due for refresh: never hand it out again.
        state.cached = None;
        let result = match fetch().await {
            Ok(creds) => match creds.expires_at {
                Some(expires_at) if expires_at <= now => {
                    Err(CredentialError::ExpiredOnArrival { expires_at, now })
                }
                _ => Ok(creds),
            },
            Err(e) => Err(e.into()),
        };
        let flight = self.flights_done.fetch_add(1, Ordering::AcqRel) + 1;
        match &result {
            Ok(creds) => {
                state.cached = Some(creds.clone());
                state.last_failure = None;
            }
            Err(error) => state.last_failure = Some((flight, error.clone())),
        }
        result
    }

    /// Drops the cached credentials (e.g. after the API rejected them); the
    /// next [`get`](Self::get) fetches.
    pub async fn invalidate(&self) {
        self.state.lock().await.cached = None;
    }

    /// Drops the cached credentials only if they are the ones with
    /// `secret_id`: when several requests signed with the same rejected keys
    /// fail together, the first drops them and the others find (or wait for)
    /// their replacement instead of discarding it. Returns whether it dropped.
    pub async fn invalidate_if_current(&self, secret_id: &str) -> bool {
        let mut state = self.state.lock().await;
        if state
            .cached
            .as_ref()
            .is_some_and(|c| c.secret_id == secret_id)
        {
            state.cached = None;
            true
        } else {
            false
        }
    }

    /// When the cached credentials expire, if any are cached (for logs and tests).
    pub async fn cached_expiry(&self) -> Option<i64> {
        self.state
            .lock()
            .await
            .cached
            .as_ref()
            .and_then(|c| c.expires_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use std::sync::Arc;

    const T0: i64 = 1_700_000_000;

    fn creds(n: usize, expires_at: i64) -> Credentials {
        Credentials::new(format!("AKIDtmp{n}"), format!("key{n}"))
            .with_token(format!("tok{n}"))
            .with_expiry(expires_at)
    }

    fn fail(code: &str) -> CredentialError {
        CredentialError::AssumeRole {
            role_arn: "qcs::cam::uin/12345:roleName/r".into(),
            code: code.into(),
            message: "boom".into(),
        }
    }

    /// A fetch that counts its calls and returns credentials numbered by call,
    /// expiring at `expires_at`.
    fn counting_fetch(
        counter: &Arc<AtomicUsize>,
        expires_at: i64,
    ) -> impl FnOnce() -> std::future::Ready<Result<Credentials, CredentialError>> {
        let counter = Arc::clone(counter);
        move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            std::future::ready(Ok(creds(n, expires_at)))
        }
    }

    #[tokio::test]
    async fn reuses_cached_credentials_until_refresh_window() {
        let cache = RoleCredentialsCache::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let exp = T0 + 3600;

        let c = cache.get(T0, counting_fetch(&calls, exp)).await.unwrap();
        assert_eq!(c.secret_id, "AKIDtmp1");
        assert_eq!(cache.cached_expiry().await, Some(exp));
        // Reused up to one second before the refresh point.
        for now in [T0 + 1, T0 + 1000, exp - REFRESH_BEFORE_EXPIRY_SECS - 1] {
            let c = cache.get(now, counting_fetch(&calls, exp)).await.unwrap();
            assert_eq!(c.secret_id, "AKIDtmp1", "at {now}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        // At expires_at - 300 exactly: refreshed.
        let c = cache
            .get(
                exp - REFRESH_BEFORE_EXPIRY_SECS,
                counting_fetch(&calls, exp + 3600),
            )
            .await
            .unwrap();
        assert_eq!(c.secret_id, "AKIDtmp2");
        assert_eq!(c.token.as_ref().map(|t| t.expose()), Some("tok2"));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(cache.cached_expiry().await, Some(exp + 3600));
    }

    #[tokio::test]
    async fn expired_cached_credentials_are_never_returned() {
        let cache = RoleCredentialsCache::new();
        let calls = Arc::new(AtomicUsize::new(0));
        cache
            .get(T0, counting_fetch(&calls, T0 + 1000))
            .await
            .unwrap();

        // Long past expiry, and the refresh fails: an error, not the old keys.
        let e = cache
            .get(T0 + 5000, || async {
                Err::<Credentials, _>(fail("InternalError"))
            })
            .await
            .unwrap_err();
        assert_eq!(e, fail("InternalError"));
        // The stale keys were dropped; even a caller with an earlier clock does not get them.
        assert_eq!(cache.cached_expiry().await, None);
        let c = cache
            .get(T0 + 1, counting_fetch(&calls, T0 + 9000))
            .await
            .unwrap();
        assert_eq!(c.secret_id, "AKIDtmp2");
    }

    #[tokio::test]
    async fn fetched_credentials_already_expired_are_refused() {
        let cache = RoleCredentialsCache::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let e = cache.get(T0, counting_fetch(&calls, T0)).await.unwrap_err();
        assert_eq!(
            e,
            CredentialError::ExpiredOnArrival {
                expires_at: T0,
                now: T0
            }
        );
        // Within the refresh window but not expired: returned to this caller,
        // and the next caller fetches again.
        let c = cache
            .get(T0, counting_fetch(&calls, T0 + 10))
            .await
            .unwrap();
        assert_eq!(c.secret_id, "AKIDtmp2");
        let c = cache
            .get(T0, counting_fetch(&calls, T0 + 3600))
            .await
            .unwrap();
        assert_eq!(c.secret_id, "AKIDtmp3");
    }

    #[tokio::test]
    async fn failed_refresh_is_an_error_and_the_next_call_retries() {
        let cache = RoleCredentialsCache::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let c2 = Arc::clone(&calls);
        let e = cache
            .get(T0, move || {
                c2.fetch_add(1, Ordering::SeqCst);
                async { Err::<Credentials, _>(fail("RequestLimitExceeded")) }
            })
            .await
            .unwrap_err();
        assert_eq!(e, fail("RequestLimitExceeded"));
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let c = cache
            .get(T0, counting_fetch(&calls, T0 + 3600))
            .await
            .unwrap();
        assert_eq!(c.secret_id, "AKIDtmp2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn fifty_concurrent_gets_share_one_fetch() {
        let cache = Arc::new(RoleCredentialsCache::new());
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let cache = Arc::clone(&cache);
            let calls = Arc::clone(&calls);
            tasks.push(tokio::spawn(async move {
                cache
                    .get(T0, move || async move {
                        let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                        for _ in 0..10 {
                            tokio::task::yield_now().await;
                        }
                        Ok::<_, CredentialError>(creds(n, T0 + 3600))
                    })
                    .await
            }));
        }
        for t in tasks {
            let c = t.await.unwrap().unwrap();
            assert_eq!(c.secret_id, "AKIDtmp1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn waiters_of_a_failed_flight_all_get_its_error_then_a_later_call_retries() {
        let cache = RoleCredentialsCache::new();
        let calls = Arc::new(AtomicUsize::new(0));
        // The flight blocks on this gate until every caller has queued.
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let mut gets: Vec<_> = (0..50)
            .map(|_| {
                let calls = Arc::clone(&calls);
                let gate = Arc::clone(&gate);
                Box::pin(cache.get(T0, move || async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    let _permit = gate.acquire().await;
                    Err::<Credentials, _>(fail("InternalError"))
                }))
            })
            .collect();
        for g in gets.iter_mut() {
            assert!(futures::poll!(g.as_mut()).is_pending());
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "the first caller is fetching, 49 wait"
        );
        gate.add_permits(1);
        let results = futures::future::join_all(gets).await;
        assert_eq!(results.len(), 50);
        for r in results {
            assert_eq!(r.unwrap_err(), fail("InternalError"));
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "one flight for all 50 waiters"
        );

        let c = cache
            .get(T0, counting_fetch(&calls, T0 + 3600))
            .await
            .unwrap();
        assert_eq!(c.secret_id, "AKIDtmp2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn waiters_of_a_successful_flight_share_its_credentials() {
        let cache = RoleCredentialsCache::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let mut gets: Vec<_> = (0..50)
            .map(|_| {
                let calls = Arc::clone(&calls);
                let gate = Arc::clone(&gate);
                Box::pin(cache.get(T0, move || async move {
                    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                    let _permit = gate.acquire().await;
                    Ok::<_, CredentialError>(creds(n, T0 + 3600))
                }))
            })
            .collect();
        for g in gets.iter_mut() {
            assert!(futures::poll!(g.as_mut()).is_pending());
        }
        gate.add_permits(1);
        for r in futures::future::join_all(gets).await {
            assert_eq!(r.unwrap().secret_id, "AKIDtmp1");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_cancelled_flight_leaves_the_next_caller_to_fetch() {
        let cache = RoleCredentialsCache::new();
        let calls = Arc::new(AtomicUsize::new(0));
        {
            let pending = cache.get(T0, || {
                std::future::pending::<Result<Credentials, CredentialError>>()
            });
            // Poll once (acquires the lock and starts the fetch), then drop it.
            let mut pending = Box::pin(pending);
            assert!(futures::poll!(pending.as_mut()).is_pending());
        }
        let c = cache
            .get(T0, counting_fetch(&calls, T0 + 3600))
            .await
            .unwrap();
        assert_eq!(c.secret_id, "AKIDtmp1");
    }

    #[tokio::test]
    async fn invalidate_if_current_keeps_a_replacement() {
        let cache = RoleCredentialsCache::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let fetch = {
            let calls = Arc::clone(&calls);
            move || {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                std::future::ready(Ok::<_, CredentialError>(creds(n, T0 + 3600)))
            }
        };
        let first = cache.get(T0, fetch.clone()).await.unwrap();
        // Two requests signed with `first` are rejected: the first report drops it...
        assert!(cache.invalidate_if_current(&first.secret_id).await);
        let second = cache.get(T0, fetch.clone()).await.unwrap();
        assert_ne!(second.secret_id, first.secret_id);
        // ...the second report finds the replacement and keeps it.
        assert!(!cache.invalidate_if_current(&first.secret_id).await);
        assert_eq!(
            cache.get(T0, fetch).await.unwrap().secret_id,
            second.secret_id
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn invalidate_forces_a_fetch_and_no_expiry_is_kept() {
        let cache = RoleCredentialsCache::new();
        let calls = Arc::new(AtomicUsize::new(0));
        let c3 = Arc::clone(&calls);
        let long_term = move || {
            c3.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok::<_, CredentialError>(Credentials::new("AKIDlong", "k")))
        };
        cache.get(T0, long_term.clone()).await.unwrap();
        cache.get(i64::MAX, long_term.clone()).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        cache.invalidate().await;
        cache.get(T0, long_term).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        let out = format!("{cache:?}");
        assert!(out.contains("RoleCredentialsCache"), "{out}");
        assert!(
            !out.contains("AKIDlong"),
            "Debug shows no credentials: {out}"
        );
    }
}
