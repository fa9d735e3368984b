//! Aggregation: turns the per-query outcomes of a run into one row per
//! account, one row per (account, region) query and run-wide totals.
//!
//! Pure: no I/O, no clock, no cell formatting. Every number any report prints
//! (sums, differences, ratios, days left) is computed here, so the CSV, XLSX,
//! JSON and Markdown writers print the same values and can never disagree.
//!
//! The rules are the contract's "Accounts columns" definitions:
//! - an account is `ok` when every region answered, `partial` when some did,
//!   `error` when none did (a cancelled region did not answer);
//! - with `RegionScope::Account` the numbers come from the first configured
//!   region that answered and `region_mismatch` flags answering regions whose
//!   data differ; with `RegionScope::Region` they are sums over answering
//!   regions;
//! - a missing field stays `None` (never zero), and so does every value
//!   derived from it;
//! - totals sum the accounts whose status is not `error`, and total ratios are
//!   weighted: the sum of numerators over the sum of denominators, both taken
//!   over the accounts where the numerator and the denominator are known;
//! - every account counts once: rows that share a UIN (one account
//!   configured twice) are counted once ([`shared_uin`]);
//! - a sum or difference too large for an `i64` is left empty and flagged,
//!   never shown capped ([`warnings::CheckedSum`]).
//!
//! This module holds the algorithm (each account's regions, its status and
//! first failure, the [`Aggregate`]); `rows` the numbers of each row from
//! the answers, `totals` the totals of the columns with a total rule (read
//! from the column table), [`glance`] the lists the summaries show at a
//! glance. The row types and their columns are `crate::columns`'s. It
//! knows nothing of comparisons, thresholds or formats.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use tcapi::tcss::ImageAuthorizedInfo;
use tcapi::Scope;

use crate::calls::{Answer, Call};
use crate::model::{AccountInfo, QueryOutcome, QueryResult, RunInfo};

pub use crate::columns::accounts::{AccountRow, AccountStatus};
pub use crate::columns::regions::{RegionRow, RegionStatus};
pub use crate::columns::totals::Totals;

pub mod distribution;
pub mod glance;
pub mod license;
pub mod overuse;
mod rows;
pub mod shared_uin;
pub(crate) mod totals;
pub mod warnings;

use rows::{combine, numbers_row, region_row};
use totals::add_account_totals;

pub use crate::model::CANCELLED_CODE;
/// Error message given to a query the run was interrupted before finishing.
pub const CANCELLED_MESSAGE: &str = "the run was interrupted before this query finished";
/// The message of a cancelled query: [`CANCELLED_MESSAGE`], and the error
/// its latest attempt failed with when it was cancelled while retrying.
pub fn cancelled_message(o: &QueryOutcome) -> String {
    match &o.last_error {
        None => CANCELLED_MESSAGE.to_string(),
        Some(e) => format!(
            "{CANCELLED_MESSAGE}; after {} attempt(s), the last failed with {}: {}",
            o.attempts, e.code, e.message
        ),
    }
}

/// Error code given to a configured region for which no outcome was recorded.
pub const NOT_QUERIED_CODE: &str = "NotQueried";
/// Error message given to a configured region for which no outcome was recorded.
pub const NOT_QUERIED_MESSAGE: &str = "no query outcome was recorded for this region";

/// Every number of the run, computed once: what the comparison, the
/// thresholds, the writers and the history read. Knows nothing of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// Facts about the run.
    pub run: RunInfo,
    /// When this snapshot was generated (the run's `finished_at`).
    pub generated_at: DateTime<Utc>,
    /// One row per account, in config order.
    pub accounts: Vec<AccountRow>,
    /// One row per `DescribeImageAuthorizedInfo` query, in account order
    /// then configured region order.
    pub regions: Vec<RegionRow>,
    /// One row per account-wide query (JSON `account_queries`), in account
    /// order then the calls' order.
    pub account_queries: Vec<RegionRow>,
    /// Run-wide totals.
    pub totals: Totals,
    /// Sorted union of every account's tag keys.
    pub tag_keys: Vec<String>,
}

impl Aggregate {
    /// Every query: the regions' then the account-wide ones.
    pub fn queries(&self) -> impl Iterator<Item = &RegionRow> + Clone + '_ {
        self.regions.iter().chain(&self.account_queries)
    }

    /// Every query that did not answer (failed or cancelled), in report
    /// order: the regions' then the account-wide ones.
    pub fn failures(&self) -> impl Iterator<Item = &RegionRow> + Clone + '_ {
        self.queries().filter(|r| r.status != RegionStatus::Ok)
    }

    /// Number of queries that did not answer.
    pub fn failure_count(&self) -> usize {
        self.totals.queries_failed + self.totals.queries_cancelled
    }

    /// The rows of the Errors sheet: every query that did not answer, then
    /// (listed apart) every answer with a `warning`: numbers that cannot
    /// all be true at once. Over-use is neither.
    pub fn problems(&self) -> impl Iterator<Item = &RegionRow> + '_ {
        self.failures().chain(self.warned())
    }

    /// The answered queries with a `warning`, in report order (the
    /// regions' then the account-wide ones).
    pub fn warned(&self) -> impl Iterator<Item = &RegionRow> + '_ {
        self.queries()
            .filter(|r| r.status == RegionStatus::Ok && r.warning.is_some())
    }

    /// Number of [`Aggregate::problems`].
    pub fn problem_count(&self) -> usize {
        self.failure_count() + self.totals.queries_with_warning
    }
}

/// Builds the report: one [`AccountRow`] per account (config order), one
/// [`RegionRow`] per outcome, and the totals (each account once, see
/// [`shared_uin`]). Outcomes whose `account_index` is out of range are
/// counted in the query totals only. [`aggregate_outcomes`] on a copy (the
/// tests' way; the run gives its outcomes away).
#[cfg(test)]
pub fn aggregate(accounts: &[AccountInfo], outcomes: &[QueryOutcome], run: RunInfo) -> Aggregate {
    aggregate_outcomes(accounts, outcomes.to_vec(), run)
}

/// Builds the report: one [`AccountRow`] per account (config order), one
/// [`RegionRow`] per outcome, and the totals (each account once, see
/// [`shared_uin`]). Outcomes whose `account_index` is out of range are
/// counted in the query totals only. Consumes the outcomes: each query's row takes its
/// outcome's strings and frees its answer as it is built, so the outcomes
/// and the rows are never all alive at once in full (the run's peak of
/// memory, at 10,000 accounts x 3 regions).
pub fn aggregate_outcomes(
    accounts: &[AccountInfo],
    mut outcomes: Vec<QueryOutcome>,
    run: RunInfo,
) -> Aggregate {
    let mut totals = query_totals(&outcomes);
    let by_account = by_account(accounts, &outcomes);
    let mut rows = Vec::with_capacity(accounts.len());
    let mut tag_keys = BTreeSet::new();
    for (info, outs) in accounts.iter().zip(&by_account) {
        let outs: Vec<&QueryOutcome> = outs.iter().map(|&i| &outcomes[i]).collect();
        rows.push(account_row(info, &outs, &run));
        tag_keys.extend(info.tags.keys().cloned());
    }
    shared_uin::mark(&mut rows);
    add_account_totals(&mut totals, &mut rows);
    // Each table at its exact size: a vector grown by doubling holds its
    // old buffer and the new one at once while it moves (megabytes at
    // 10,000 accounts, at the run's peak of memory).
    let wide = outcomes
        .iter()
        .filter(|o| o.call.scope() == Scope::AccountWide)
        .count();
    let mut regions = Vec::with_capacity(outcomes.len() - wide);
    let mut account_queries = Vec::with_capacity(wide);
    for (row, outs) in rows.iter().zip(&by_account) {
        for &i in outs {
            let scope = outcomes[i].call.scope();
            let r = region_row(row, &mut outcomes[i]);
            let warned = r.status == RegionStatus::Ok && r.warning.is_some();
            totals.queries_with_warning += usize::from(warned);
            match scope {
                Scope::PerRegion => regions.push(r),
                Scope::AccountWide => account_queries.push(r),
            }
        }
    }
    drop(outcomes);
    Aggregate {
        generated_at: run.finished_at,
        run,
        accounts: rows,
        regions,
        account_queries,
        totals,
        tag_keys: tag_keys.into_iter().collect(),
    }
}

/// The query counts of the totals: every outcome, whichever its account.
fn query_totals(outcomes: &[QueryOutcome]) -> Totals {
    let mut totals = Totals {
        queries: outcomes.len(),
        ..Totals::default()
    };
    for outcome in outcomes {
        match outcome.result {
            QueryResult::Ok(_) => totals.queries_ok += 1,
            QueryResult::Failed { .. } => totals.queries_failed += 1,
            QueryResult::Cancelled => totals.queries_cancelled += 1,
        }
        totals.attempts += u64::from(outcome.attempts);
        totals.throttled += u64::from(outcome.throttled);
    }
    totals
}

/// The indices of each account's outcomes: its configured regions in
/// order, unknown regions after, in arrival order (a stable sort).
fn by_account(accounts: &[AccountInfo], outcomes: &[QueryOutcome]) -> Vec<Vec<usize>> {
    let mut by_account: Vec<Vec<usize>> = vec![Vec::new(); accounts.len()];
    for (i, outcome) in outcomes.iter().enumerate() {
        if let Some(list) = by_account.get_mut(outcome.account_index) {
            list.push(i);
        }
    }
    for (info, outs) in accounts.iter().zip(by_account.iter_mut()) {
        outs.sort_by_key(|&i| {
            info.regions
                .iter()
                .position(|r| *r == outcomes[i].region)
                .unwrap_or(usize::MAX)
        });
    }
    by_account
}

/// How one query of an account ended (a configured or unexpectedly seen
/// region's `DescribeImageAuthorizedInfo`, or a collected account-wide
/// call), for the account row.
enum End<'a> {
    Answered(&'a QueryOutcome),
    Failed(&'a QueryOutcome, &'a str, &'a str),
    Cancelled(&'a QueryOutcome),
    NotQueried,
}

/// How the queries among `outs` (of one call) ended: answered if one
/// answered, else failed, else cancelled, else not queried.
fn end_of<'a>(mut mine: impl Iterator<Item = &'a QueryOutcome> + Clone) -> End<'a> {
    if let Some(o) = mine
        .clone()
        .find(|o| matches!(o.result, QueryResult::Ok(_)))
    {
        End::Answered(o)
    } else if let Some(end) = mine.clone().find_map(|o| match &o.result {
        QueryResult::Failed { code, message } => Some(End::Failed(o, code, message)),
        _ => None,
    }) {
        end
    } else if let Some(o) = mine.next() {
        End::Cancelled(o)
    } else {
        End::NotQueried
    }
}

/// The end of each region's `DescribeImageAuthorizedInfo` (`configured`
/// regions in order, then any other region an outcome names).
fn region_ends<'a>(configured: &[String], images: &[&'a QueryOutcome]) -> Vec<End<'a>> {
    let mut names: Vec<&str> = Vec::with_capacity(configured.len());
    for name in configured
        .iter()
        .map(String::as_str)
        .chain(images.iter().map(|o| o.region.as_str()))
    {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .map(|name| end_of(images.iter().copied().filter(move |o| o.region == name)))
        .collect()
}

/// The answer of an end, if it answered.
fn answer<'a>(end: &End<'a>) -> Option<&'a Answer> {
    match end {
        End::Answered(QueryOutcome {
            result: QueryResult::Ok(a),
            ..
        }) => Some(a),
        _ => None,
    }
}

fn account_row(info: &AccountInfo, outs: &[&QueryOutcome], run: &RunInfo) -> AccountRow {
    let collected = |c: Call| run.collect.contains(&c);
    let images: Vec<&QueryOutcome> = outs
        .iter()
        .copied()
        .filter(|o| o.call == Call::ImageAuthorizedInfo)
        .collect();
    let configured: &[String] = if collected(Call::ImageAuthorizedInfo) {
        &info.regions
    } else {
        &[]
    };
    let ends = region_ends(configured, &images);
    // Each account-wide call collected, once (in `Call::ALL`'s order).
    let wide: Vec<(Call, End<'_>)> = Call::ALL
        .into_iter()
        .filter(|&c| c.scope() == Scope::AccountWide && collected(c))
        .map(|c| (c, end_of(outs.iter().copied().filter(move |o| o.call == c))))
        .collect();
    let answered: Vec<(&ImageAuthorizedInfo, &QueryOutcome)> = ends
        .iter()
        .filter_map(|e| match e {
            End::Answered(o) => answer(e)?.image_authorized_info().map(|d| (d, *o)),
            _ => None,
        })
        .collect();
    let regions_ok = count_u32(answered.len());
    let regions_failed = count_u32(ends.len() - answered.len());
    let wide_ok = wide
        .iter()
        .filter(|(_, e)| matches!(e, End::Answered(_)))
        .count();
    let status = if answered.len() + wide_ok == 0 {
        AccountStatus::Error
    } else if answered.len() + wide_ok == ends.len() + wide.len() {
        AccountStatus::Ok
    } else {
        AccountStatus::Partial
    };
    let regions_cancelled = count_u32(
        ends.iter()
            .filter(|e| matches!(e, End::Cancelled(_) | End::NotQueried))
            .count(),
    );

    let failure = first_failure(ends.iter().chain(wide.iter().map(|(_, e)| e)));
    let (numbers, region_mismatch, data_request_id) = combine(&answered, run.region_scope);
    let n = numbers.unwrap_or_default();
    let data_request_id = data_request_id.or_else(|| {
        wide.iter().find_map(|(_, e)| match e {
            End::Answered(o) => o.request_id.clone(),
            _ => None,
        })
    });

    let (error_code, error_message, request_id) = match (status, failure) {
        (AccountStatus::Ok, _) | (_, None) => (None, None, data_request_id),
        (_, Some((code, message, request_id))) => (Some(code), Some(message), request_id),
    };
    let uin = info
        .uin
        .clone()
        .or_else(|| outs.iter().find_map(|o| o.uin.clone()));
    let wide_answer = |c: Call| {
        wide.iter()
            .find(|(w, _)| *w == c)
            .and_then(|(_, e)| answer(e))
    };
    let mut row = numbers_row(n, run);
    row.account = info.name.clone();
    row.uin = uin;
    row.status = status;
    row.regions_ok = regions_ok;
    row.regions_failed = regions_failed;
    row.regions_cancelled = regions_cancelled;
    row.region_mismatch = region_mismatch;
    row.error_code = error_code;
    row.error_message = error_message;
    row.request_id = request_id;
    row.license = license::license(
        wide_answer(Call::PurchaseStateInfo).and_then(Answer::purchase_state_info),
        wide_answer(Call::ImageAutoAuthorizedRule).and_then(Answer::image_auto_authorized_rule),
        run,
    );
    row.tags = info.tags.clone();
    row
}

/// The first failure (code, message, request id): the regions in
/// configured order, then the account-wide calls; a real failure beats a
/// cancellation.
fn first_failure<'a, 'b: 'a>(
    ends: impl Iterator<Item = &'a End<'b>> + Clone,
) -> Option<(String, String, Option<String>)> {
    ends.clone()
        .find_map(|e| match e {
            End::Failed(o, code, message) => {
                Some((code.to_string(), message.to_string(), o.request_id.clone()))
            }
            _ => None,
        })
        .or_else(|| {
            ends.clone().find_map(|e| match e {
                End::Cancelled(o) => Some((
                    CANCELLED_CODE.to_string(),
                    cancelled_message(o),
                    o.request_id.clone(),
                )),
                End::NotQueried => Some((
                    NOT_QUERIED_CODE.to_string(),
                    NOT_QUERIED_MESSAGE.to_string(),
                    None,
                )),
                _ => None,
            })
        })
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
pub(crate) mod tests;
