//! The bound on every history operation (recording a run, the lookup of
//! `--compare last`, the `history` command's read): one deadline,
//! `[history] timeout_secs`, for everything it waits on (a SQLite lock;
//! PostgreSQL's connect, TLS, login, migrations, transaction and reads),
//! raced against the run's interrupt, with a line in the log once the wait
//! passes a second. Whatever the database does, the caller gets an answer
//! in time: a run's reports never wait on it for longer.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

use super::{HistoryError, Location, OpenOptions};

/// After how long a wait is logged.
pub const NOTICE: Duration = Duration::from_secs(1);

/// Runs `work` (an operation on the history at `location`) until it ends,
/// `opts.timeout` passes, or `opts.cancel` turns true, whichever is first.
/// The deadline is [`HistoryError::Locked`] for SQLite (only a lock makes
/// it wait) and [`HistoryError::TimedOut`] for PostgreSQL; the interrupt
/// is [`HistoryError::Interrupted`]. An interrupt that came before the
/// call does not end it: a run interrupted earlier is still recorded
/// (incomplete), within the deadline. `work` is dropped when it loses:
/// a PostgreSQL transaction never committed is rolled back by the server,
/// a SQLite transaction is never left open across a wait.
pub async fn bounded<T>(
    location: &Location,
    opts: &OpenOptions,
    work: impl Future<Output = Result<T, HistoryError>>,
) -> Result<T, HistoryError> {
    let deadline = tokio::time::Instant::now() + opts.timeout;
    let slow = async {
        tokio::time::sleep(NOTICE).await;
        // SQLite says itself what it waits for (a lock).
        if let Location::Postgres(url) = location {
            tracing::warn!(
                "waiting for the history database {url}: no answer after {} s; giving up after \
                 {} s ([history] timeout_secs)",
                NOTICE.as_secs(),
                opts.timeout.as_secs()
            );
        }
        std::future::pending::<std::convert::Infallible>().await
    };
    tokio::select! {
        done = tokio::time::timeout_at(deadline, work) => {
            done.unwrap_or_else(|_| Err(deadline_passed(location, opts.timeout)))
        }
        () = interrupt(opts.cancel.clone()) => Err(HistoryError::Interrupted {
            location: location.to_string(),
        }),
        never = slow => match never {},
    }
}

/// What the deadline means for `location`.
fn deadline_passed(location: &Location, timeout: Duration) -> HistoryError {
    match location {
        Location::Sqlite(_) => HistoryError::Locked {
            location: location.to_string(),
            waited_secs: timeout.as_secs(),
        },
        Location::Postgres(_) => HistoryError::TimedOut {
            location: location.to_string(),
            secs: timeout.as_secs(),
        },
    }
}

/// Resolves when `cancel` turns true; never when there is none, when it
/// was already true, or when its sender is gone.
async fn interrupt(cancel: Option<watch::Receiver<bool>>) {
    if let Some(mut rx) = cancel {
        if !*rx.borrow_and_update() && rx.wait_for(|c| *c).await.is_ok() {
            return;
        }
    }
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(timeout_ms: u64, cancel: Option<watch::Receiver<bool>>) -> OpenOptions {
        OpenOptions {
            timeout: Duration::from_millis(timeout_ms),
            cancel,
            ..OpenOptions::default()
        }
    }

    fn pg() -> Location {
        Location::Postgres("postgres://u@db/x".into())
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_ends_at_the_deadline_named_per_database() {
        let hang = || std::future::pending::<Result<(), HistoryError>>();
        let e = bounded(&pg(), &opts(2_000, None), hang())
            .await
            .unwrap_err();
        assert!(matches!(e, HistoryError::TimedOut { secs: 2, .. }), "{e}");
        assert!(e.to_string().contains("timeout_secs"), "{e}");
        let file = Location::Sqlite("h.sqlite".into());
        let e = bounded(&file, &opts(3_000, None), hang())
            .await
            .unwrap_err();
        assert!(
            matches!(e, HistoryError::Locked { waited_secs: 3, .. }),
            "{e}"
        );
        let done = bounded(&pg(), &opts(1_000, None), async { Ok(7) }).await;
        assert_eq!(done.ok(), Some(7));
    }

    #[tokio::test(start_paused = true)]
    async fn an_interrupt_ends_the_wait_unless_it_came_before() {
        let (tx, rx) = watch::channel(false);
        let (location, options) = (pg(), opts(600_000, Some(rx.clone())));
        let wait = bounded(
            &location,
            &options,
            std::future::pending::<Result<(), HistoryError>>(),
        );
        let send = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            tx.send(true).unwrap();
        };
        let (e, ()) = tokio::join!(wait, send);
        assert!(matches!(e, Err(HistoryError::Interrupted { .. })), "{e:?}");
        // Already interrupted (the run was): the deadline still bounds it.
        let e = bounded(
            &pg(),
            &opts(1_000, Some(rx)),
            std::future::pending::<Result<(), HistoryError>>(),
        )
        .await;
        assert!(matches!(e, Err(HistoryError::TimedOut { .. })), "{e:?}");
    }
}
