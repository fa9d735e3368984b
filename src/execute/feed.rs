//! The queries of a run as a stream: the planned ones first, then those of
//! the accounts discovery adds while the run goes on. [`QueryFeed`] is the
//! sending side: it numbers the queries (ids continue the plan's), and the
//! run starts each one as soon as it arrives.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures::channel::mpsc;
use futures::{Stream, StreamExt};

use crate::calls::Call;
use crate::plan::{self, Query};

/// Adds queries to a running run. Dropping it ends the stream: the run
/// ends once the queries it has are done.
#[derive(Debug)]
pub struct QueryFeed {
    tx: mpsc::UnboundedSender<Query>,
    planned: Arc<AtomicUsize>,
    /// The calls each account fed is asked (the run's `collect`).
    calls: Vec<Call>,
}

impl QueryFeed {
    /// The feed and the stream of queries to run: `plan`, then whatever is
    /// fed (each account asked `calls`).
    pub fn new(
        plan: Vec<Query>,
        calls: &[Call],
    ) -> (QueryFeed, impl Stream<Item = Query> + Unpin + Send) {
        let (tx, rx) = mpsc::unbounded();
        let planned = Arc::new(AtomicUsize::new(plan.len()));
        let feed = QueryFeed {
            tx,
            planned,
            calls: calls.to_vec(),
        };
        (feed, futures::stream::iter(plan).chain(rx))
    }

    /// Queries each account (`(account index, regions)`) as the plan does
    /// (its calls, account-wide ones in its first region), interleaved the same way: every account's first region, then every
    /// second region, ... Queries fed after the run has ended are dropped
    /// (the run was interrupted and is writing its reports).
    pub fn add(&self, accounts: &[(usize, &[String])]) {
        let rounds = accounts.iter().map(|a| a.1.len()).max().unwrap_or(0);
        for round in 0..rounds {
            for (account_index, regions) in accounts {
                for (call, region) in plan::round_calls(&self.calls, regions, round) {
                    let id = self.planned.fetch_add(1, Ordering::AcqRel);
                    let q = Query {
                        id,
                        account_index: *account_index,
                        call,
                        region: region.clone(),
                    };
                    if self.tx.unbounded_send(q).is_err() {
                        self.planned.fetch_sub(1, Ordering::AcqRel);
                        return;
                    }
                }
            }
        }
    }

    /// How many queries the run has so far (the plan's and those fed); it
    /// grows while discovery goes on (the progress bar's length).
    pub fn planned(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.planned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::Call;

    fn q(id: usize, account_index: usize, region: &str) -> Query {
        Query {
            id,
            account_index,
            call: Call::ImageAuthorizedInfo,
            region: region.into(),
        }
    }

    #[tokio::test]
    async fn fed_queries_follow_the_plan_numbered_and_interleaved() {
        let (feed, stream) = QueryFeed::new(
            vec![q(0, 0, "r1"), q(1, 1, "r1")],
            &[Call::ImageAuthorizedInfo],
        );
        let two = vec!["r1".to_string(), "r2".to_string()];
        let one = vec!["r1".to_string()];
        feed.add(&[(2, &two), (3, &one)]);
        assert_eq!(feed.planned().load(Ordering::Acquire), 5);
        drop(feed);
        let all: Vec<Query> = stream.collect().await;
        assert_eq!(
            all,
            vec![
                q(0, 0, "r1"),
                q(1, 1, "r1"),
                q(2, 2, "r1"),
                q(3, 3, "r1"),
                q(4, 2, "r2")
            ]
        );
    }

    #[tokio::test]
    async fn queries_fed_after_the_run_ended_are_not_counted() {
        let (feed, stream) = QueryFeed::new(Vec::new(), &Call::ALL);
        drop(stream);
        let one = vec!["r1".to_string()];
        feed.add(&[(0, &one)]);
        assert_eq!(feed.planned().load(Ordering::Acquire), 0);
    }
}
