//! The [`Pacer`] hook: the caller gates every attempt (a concurrency slot
//! and a rate limiter) and learns each attempt's [`AttemptOutcome`].
//! [`NoPacer`] never waits.

use std::future::Future;

use crate::error::Error;

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
