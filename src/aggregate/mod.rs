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
//! - with [`RegionScope::Account`] the numbers come from the first configured
//!   region that answered and `region_mismatch` flags answering regions whose
//!   data differ; with [`RegionScope::Region`] they are sums over answering
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

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use tcapi::tcss::ImageAuthorizedInfo;

use crate::model::{AccountInfo, QueryOutcome, QueryResult, RegionScope, RunInfo};

pub mod distribution;
pub mod over_capacity;
pub mod shared_uin;
pub mod warnings;

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

/// Seconds east of UTC of Beijing time, the zone of the API's `StartTime`/`EndTime`.
const BEIJING_OFFSET_SECS: i32 = 8 * 3600;
const SECS_PER_DAY: i64 = 86_400;

/// Whether an account's regions answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountStatus {
    /// Every configured region answered.
    Ok,
    /// Some regions answered, some did not.
    Partial,
    /// No region answered.
    Error,
}

impl AccountStatus {
    /// The lowercase word the reports print (`ok`, `partial`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Ok => "ok",
            AccountStatus::Partial => "partial",
            AccountStatus::Error => "error",
        }
    }
}

impl fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to one (account, region) query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionStatus {
    /// The API answered.
    Ok,
    /// The query failed (API error, transport error, credentials, ...).
    Error,
    /// The run was interrupted before the query finished.
    Cancelled,
}

impl RegionStatus {
    /// The lowercase word the reports print (`ok`, `error`, `cancelled`).
    pub fn as_str(self) -> &'static str {
        match self {
            RegionStatus::Ok => "ok",
            RegionStatus::Error => "error",
            RegionStatus::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for RegionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One account: one field per accounts-CSV column, typed; `None` means empty.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountRow {
    /// Account name from the config.
    pub account: String,
    /// UIN (config, role ARN or learned from the API); text, never a number.
    pub uin: Option<String>,
    /// `ok`, `partial` or `error`.
    pub status: AccountStatus,
    /// Regions that answered.
    pub regions_ok: u32,
    /// Regions that did not answer (failed, cancelled or not queried).
    pub regions_failed: u32,
    /// Of `regions_failed`, how many were cancelled or not queried (not a column).
    pub regions_cancelled: u32,
    /// `TotalAuthorizedCnt`.
    pub total_authorized: Option<i64>,
    /// `UsedAuthorizedCnt`.
    pub used_authorized: Option<i64>,
    /// `total_authorized - used_authorized`; negative means over-use.
    pub remaining_authorized: Option<i64>,
    /// `used_authorized / total_authorized` (`None` when the total is 0 or unknown).
    pub utilization: Option<f64>,
    /// `TrialAuthorizedCnt`.
    pub trial_authorized: Option<i64>,
    /// `UsedTrialAuthorizedCnt`.
    pub used_trial_authorized: Option<i64>,
    /// `PurchasedAuthorizedCnt`.
    pub purchased_authorized: Option<i64>,
    /// `UsedPurchasedAuthorizedCnt`.
    pub used_purchased_authorized: Option<i64>,
    /// `ScannedImageCnt`.
    pub scanned_images: Option<i64>,
    /// `NotScannedImageCnt`.
    pub not_scanned_images: Option<i64>,
    /// `NotScannedLocalImageCnt`.
    pub not_scanned_local_images: Option<i64>,
    /// `scanned_images + not_scanned_images`.
    pub total_images: Option<i64>,
    /// `scanned_images / total_images`.
    pub scan_coverage: Option<f64>,
    /// `RepeatImageIdCnt`: images present both locally and in a registry.
    pub duplicate_images: Option<i64>,
    /// `duplicate_images / total_images`.
    pub duplicate_ratio: Option<f64>,
    /// `CanApplyFreeImageAuthorize`.
    pub can_apply_free_authorize: Option<bool>,
    /// `ImageScanInquireInfo.Capcity`.
    pub scan_quota_capacity: Option<i64>,
    /// `ImageScanInquireInfo.Useage`.
    pub scan_quota_used: Option<i64>,
    /// `scan_quota_used / scan_quota_capacity`.
    pub scan_quota_utilization: Option<f64>,
    /// `ImageScanInquireInfo.PurchaseStatus`.
    pub scan_quota_status: Option<String>,
    /// `ImageScanInquireInfo.StartTime` at `+08:00`.
    pub scan_quota_start: Option<DateTime<FixedOffset>>,
    /// `ImageScanInquireInfo.EndTime` at `+08:00`.
    pub scan_quota_end: Option<DateTime<FixedOffset>>,
    /// Whole days from the run's start to `scan_quota_end` (floored; negative once expired).
    pub scan_quota_days_left: Option<i64>,
    /// Account scope only: answering regions returned different data.
    pub region_mismatch: bool,
    /// For `partial`/`error` accounts: the first failed region's error code.
    pub error_code: Option<String>,
    /// For `partial`/`error` accounts: the first failed region's error message.
    pub error_message: Option<String>,
    /// The failure's request id when `error_code` is set, else the request id
    /// of the answer the numbers came from.
    pub request_id: Option<String>,
    /// Tags from the config.
    pub tags: BTreeMap<String, String>,
    /// Another account of the run with the same UIN, the one counted in
    /// the totals ([`shared_uin`]): this row keeps its numbers and is left
    /// out of the totals. Not a column.
    pub counted_in: Option<String>,
    /// Findings about the row's numbers as a whole (a sum too large to
    /// hold), added to the `warning` of its answered region rows. Not a
    /// column.
    pub warnings: Vec<String>,
}

/// One (account, region) query: its outcome and the raw API fields.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRow {
    /// Account name.
    pub account: String,
    /// The account's UIN (as in its [`AccountRow`]).
    pub uin: Option<String>,
    /// Region queried.
    pub region: String,
    /// `ok`, `error` or `cancelled`.
    pub status: RegionStatus,
    /// Attempts made.
    pub attempts: u32,
    /// Attempts answered with throttling.
    pub throttled: u32,
    /// Wall time from the first attempt to the outcome, milliseconds.
    pub latency_ms: u64,
    /// RequestId of the last answer.
    pub request_id: Option<String>,
    /// Error code (`Cancelled` for cancelled queries).
    pub error_code: Option<String>,
    /// Error message.
    pub error_message: Option<String>,
    /// `TotalAuthorizedCnt`.
    pub total_authorized: Option<i64>,
    /// `UsedAuthorizedCnt`.
    pub used_authorized: Option<i64>,
    /// `TrialAuthorizedCnt`.
    pub trial_authorized: Option<i64>,
    /// `UsedTrialAuthorizedCnt`.
    pub used_trial_authorized: Option<i64>,
    /// `PurchasedAuthorizedCnt`.
    pub purchased_authorized: Option<i64>,
    /// `UsedPurchasedAuthorizedCnt`.
    pub used_purchased_authorized: Option<i64>,
    /// `ScannedImageCnt`.
    pub scanned_images: Option<i64>,
    /// `NotScannedImageCnt`.
    pub not_scanned_images: Option<i64>,
    /// `NotScannedLocalImageCnt`.
    pub not_scanned_local_images: Option<i64>,
    /// `RepeatImageIdCnt`.
    pub duplicate_images: Option<i64>,
    /// `CanApplyFreeImageAuthorize`.
    pub can_apply_free_authorize: Option<bool>,
    /// `ImageScanInquireInfo.InquireKey`.
    pub scan_quota_key: Option<String>,
    /// `ImageScanInquireInfo.ResourceID`.
    pub scan_quota_resource_id: Option<String>,
    /// `ImageScanInquireInfo.Capcity`.
    pub scan_quota_capacity: Option<i64>,
    /// `ImageScanInquireInfo.Useage`.
    pub scan_quota_used: Option<i64>,
    /// `ImageScanInquireInfo.PayNum`.
    pub scan_quota_pay_num: Option<i64>,
    /// `ImageScanInquireInfo.TrialNum`.
    pub scan_quota_trial_num: Option<i64>,
    /// `ImageScanInquireInfo.PayUsage`.
    pub scan_quota_pay_usage: Option<i64>,
    /// `ImageScanInquireInfo.PurchaseStatus`.
    pub scan_quota_status: Option<String>,
    /// `ImageScanInquireInfo.StartTime` at `+08:00`.
    pub scan_quota_start: Option<DateTime<FixedOffset>>,
    /// `ImageScanInquireInfo.EndTime` at `+08:00`.
    pub scan_quota_end: Option<DateTime<FixedOffset>>,
    /// What is impossible about the answer (negative counts, use beyond the
    /// trial licenses, no fields at all, see [`warnings::answer_warning`]),
    /// about its account's numbers as a whole ([`AccountRow::warnings`]), or
    /// that its account is counted in another's row
    /// ([`shared_uin::warning`]); findings joined by `; `.
    pub warning: Option<String>,
}

/// Run-wide totals. Counts sum the accounts whose status is not `error`
/// (skipping unknown values; `None` when no such account knows the value).
/// Ratios are weighted: sum of numerators / sum of denominators over the
/// non-error accounts where both are known; `None` when that denominator is 0.
/// Query counters cover every query of the run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    /// Accounts in the run.
    pub accounts: usize,
    /// Accounts with status `ok`.
    pub accounts_ok: usize,
    /// Accounts with status `partial`.
    pub accounts_partial: usize,
    /// Accounts with status `error`.
    pub accounts_error: usize,
    /// Sum of `total_authorized`.
    pub total_authorized: Option<i64>,
    /// Sum of `used_authorized`.
    pub used_authorized: Option<i64>,
    /// Sum of `remaining_authorized`.
    pub remaining_authorized: Option<i64>,
    /// Sum of `trial_authorized`.
    pub trial_authorized: Option<i64>,
    /// Sum of `used_trial_authorized`.
    pub used_trial_authorized: Option<i64>,
    /// Sum of `purchased_authorized`.
    pub purchased_authorized: Option<i64>,
    /// Sum of `used_purchased_authorized`.
    pub used_purchased_authorized: Option<i64>,
    /// Sum of `scanned_images`.
    pub scanned_images: Option<i64>,
    /// Sum of `not_scanned_images`.
    pub not_scanned_images: Option<i64>,
    /// Sum of `not_scanned_local_images`.
    pub not_scanned_local_images: Option<i64>,
    /// Sum of `total_images`.
    pub total_images: Option<i64>,
    /// Sum of `duplicate_images`.
    pub duplicate_images: Option<i64>,
    /// Sum of `scan_quota_capacity`.
    pub scan_quota_capacity: Option<i64>,
    /// Sum of `scan_quota_used`.
    pub scan_quota_used: Option<i64>,
    /// Weighted `used_authorized / total_authorized`.
    pub utilization: Option<f64>,
    /// Weighted `scanned_images / total_images`.
    pub scan_coverage: Option<f64>,
    /// Weighted `duplicate_images / total_images`.
    pub duplicate_ratio: Option<f64>,
    /// Weighted `scan_quota_used / scan_quota_capacity`.
    pub scan_quota_utilization: Option<f64>,
    /// Queries in the run (one per planned (account, region)).
    pub queries: usize,
    /// Queries the API answered.
    pub queries_ok: usize,
    /// Queries that failed.
    pub queries_failed: usize,
    /// Queries cancelled by an interrupt.
    pub queries_cancelled: usize,
    /// Answered queries whose numbers are impossible (a `warning`).
    pub queries_with_warning: usize,
    /// Attempts over all queries.
    pub attempts: u64,
    /// Attempts answered with throttling.
    pub throttled: u64,
}

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
    /// One row per query, in account order then configured region order.
    pub regions: Vec<RegionRow>,
    /// Run-wide totals.
    pub totals: Totals,
    /// Sorted union of every account's tag keys.
    pub tag_keys: Vec<String>,
}

impl Aggregate {
    /// The `n` non-error accounts with the highest known utilization, highest
    /// first (ties: more licenses used first, then by name).
    pub fn most_utilized(&self, n: usize) -> Vec<&AccountRow> {
        let mut rows: Vec<&AccountRow> = self
            .accounts
            .iter()
            .filter(|a| a.status != AccountStatus::Error && a.utilization.is_some())
            .filter(|a| a.counted_in.is_none())
            .collect();
        rows.sort_by(|a, b| {
            let (ua, ub) = (a.utilization.unwrap_or(0.0), b.utilization.unwrap_or(0.0));
            ub.total_cmp(&ua)
                .then_with(|| b.used_authorized.cmp(&a.used_authorized))
                .then_with(|| a.account.cmp(&b.account))
        });
        rows.truncate(n);
        rows
    }

    /// Accounts whose scan quota ends within `days` days of the run's start
    /// (or has already ended), soonest first.
    pub fn expiring_quotas(&self, days: i64) -> Vec<&AccountRow> {
        let mut rows: Vec<&AccountRow> = self
            .accounts
            .iter()
            .filter(|a| a.scan_quota_days_left.is_some_and(|d| d <= days))
            .filter(|a| a.counted_in.is_none())
            .collect();
        rows.sort_by(|a, b| {
            a.scan_quota_days_left
                .cmp(&b.scan_quota_days_left)
                .then_with(|| a.account.cmp(&b.account))
        });
        rows
    }

    /// Every query that did not answer (failed or cancelled), in report order.
    pub fn failures(&self) -> impl Iterator<Item = &RegionRow> + '_ {
        self.regions.iter().filter(|r| r.status != RegionStatus::Ok)
    }

    /// Number of queries that did not answer.
    pub fn failure_count(&self) -> usize {
        self.totals.queries_failed + self.totals.queries_cancelled
    }

    /// The rows of the Errors sheet: every query that did not answer, or
    /// answered with a `warning`.
    pub fn problems(&self) -> impl Iterator<Item = &RegionRow> + '_ {
        self.regions
            .iter()
            .filter(|r| r.status != RegionStatus::Ok || r.warning.is_some())
    }

    /// Number of [`Aggregate::problems`].
    pub fn problem_count(&self) -> usize {
        self.failure_count() + self.totals.queries_with_warning
    }
}

/// Parses an API time (`YYYY-MM-DD HH:MM:SS`, Beijing time without a zone)
/// into a time at `+08:00`. Also accepts RFC 3339 (converted to `+08:00`) and
/// a bare date (midnight). Empty or unparseable text gives `None`.
pub fn parse_beijing_time(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let beijing = FixedOffset::east_opt(BEIJING_OFFSET_SECS)?;
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        });
    match naive {
        Some(naive) => beijing.from_local_datetime(&naive).single(),
        None => DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| t.with_timezone(&beijing)),
    }
}

/// Builds the report: one [`AccountRow`] per account (config order), one
/// [`RegionRow`] per outcome, and the totals (each account once, see
/// [`shared_uin`]). Outcomes whose `account_index` is out of range are
/// counted in the query totals only.
pub fn aggregate(accounts: &[AccountInfo], outcomes: &[QueryOutcome], run: RunInfo) -> Aggregate {
    let mut by_account: Vec<Vec<&QueryOutcome>> = vec![Vec::new(); accounts.len()];
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
        if let Some(list) = by_account.get_mut(outcome.account_index) {
            list.push(outcome);
        }
    }

    let mut rows = Vec::with_capacity(accounts.len());
    let mut tag_keys = BTreeSet::new();
    for (info, outs) in accounts.iter().zip(by_account.iter_mut()) {
        // Configured region order; unknown regions after, in arrival order (stable sort).
        outs.sort_by_key(|o| {
            info.regions
                .iter()
                .position(|r| *r == o.region)
                .unwrap_or(usize::MAX)
        });
        rows.push(account_row(info, outs, &run));
        tag_keys.extend(info.tags.keys().cloned());
    }
    shared_uin::mark(&mut rows);
    add_account_totals(&mut totals, &mut rows);
    let mut regions = Vec::with_capacity(outcomes.len());
    for (row, outs) in rows.iter().zip(&by_account) {
        for o in outs {
            let r = region_row(row, o);
            totals.queries_with_warning += usize::from(r.warning.is_some());
            regions.push(r);
        }
    }
    Aggregate {
        generated_at: run.finished_at,
        run,
        accounts: rows,
        regions,
        totals,
        tag_keys: tag_keys.into_iter().collect(),
    }
}

/// The numbers an account row is built from, after combining regions.
#[derive(Debug, Default)]
struct Numbers {
    total: Option<i64>,
    used: Option<i64>,
    trial: Option<i64>,
    used_trial: Option<i64>,
    purchased: Option<i64>,
    used_purchased: Option<i64>,
    scanned: Option<i64>,
    not_scanned: Option<i64>,
    not_scanned_local: Option<i64>,
    duplicates: Option<i64>,
    can_apply: Option<bool>,
    quota_capacity: Option<i64>,
    quota_used: Option<i64>,
    quota_status: Option<String>,
    quota_start: Option<DateTime<FixedOffset>>,
    quota_end: Option<DateTime<FixedOffset>>,
    /// The counts whose sum over regions got too large (left empty).
    too_large: Vec<&'static str>,
}

impl Numbers {
    fn from_info(info: &ImageAuthorizedInfo) -> Numbers {
        let quota = info.image_scan_inquire_info.as_ref();
        Numbers {
            total: info.total_authorized_cnt,
            used: info.used_authorized_cnt,
            trial: info.trial_authorized_cnt,
            used_trial: info.used_trial_authorized_cnt,
            purchased: info.purchased_authorized_cnt,
            used_purchased: info.used_purchased_authorized_cnt,
            scanned: info.scanned_image_cnt,
            not_scanned: info.not_scanned_image_cnt,
            not_scanned_local: info.not_scanned_local_image_cnt,
            duplicates: info.repeat_image_id_cnt,
            can_apply: info.can_apply_free_image_authorize,
            quota_capacity: quota.and_then(|q| q.capcity),
            quota_used: quota.and_then(|q| q.useage),
            quota_status: quota.and_then(|q| q.purchase_status.clone()),
            quota_start: quota
                .and_then(|q| q.start_time.as_deref())
                .and_then(parse_beijing_time),
            quota_end: quota
                .and_then(|q| q.end_time.as_deref())
                .and_then(parse_beijing_time),
            too_large: Vec::new(),
        }
    }

    /// Region scope: counts summed (a sum too large is left empty, and
    /// named in `too_large`), `can_apply` true if any region can apply, the
    /// earliest start and the earliest (soonest) end, the first known status.
    fn add(self, other: Numbers) -> Numbers {
        let mut too_large = self.too_large;
        let mut sum_opt = |name: &'static str, a: Option<i64>, b: Option<i64>| {
            if too_large.contains(&name) {
                return None;
            }
            let mut sum = warnings::CheckedSum::default();
            sum.add(a);
            if sum.add(b) {
                too_large.push(name);
            }
            sum.value()
        };
        let mut n = Numbers {
            total: sum_opt("total_authorized", self.total, other.total),
            used: sum_opt("used_authorized", self.used, other.used),
            trial: sum_opt("trial_authorized", self.trial, other.trial),
            used_trial: sum_opt("used_trial_authorized", self.used_trial, other.used_trial),
            purchased: sum_opt("purchased_authorized", self.purchased, other.purchased),
            used_purchased: sum_opt(
                "used_purchased_authorized",
                self.used_purchased,
                other.used_purchased,
            ),
            scanned: sum_opt("scanned_images", self.scanned, other.scanned),
            not_scanned: sum_opt("not_scanned_images", self.not_scanned, other.not_scanned),
            not_scanned_local: sum_opt(
                "not_scanned_local_images",
                self.not_scanned_local,
                other.not_scanned_local,
            ),
            duplicates: sum_opt("duplicate_images", self.duplicates, other.duplicates),
            can_apply: match (self.can_apply, other.can_apply) {
                (Some(a), Some(b)) => Some(a || b),
                (a, b) => a.or(b),
            },
            quota_capacity: sum_opt(
                "scan_quota_capacity",
                self.quota_capacity,
                other.quota_capacity,
            ),
            quota_used: sum_opt("scan_quota_used", self.quota_used, other.quota_used),
            quota_status: self.quota_status.or(other.quota_status),
            quota_start: min_opt(self.quota_start, other.quota_start),
            quota_end: min_opt(self.quota_end, other.quota_end),
            too_large: Vec::new(),
        };
        n.too_large = too_large;
        n
    }
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `num / den` when both are known and `den` is not 0.
fn ratio(num: Option<i64>, den: Option<i64>) -> Option<f64> {
    match (num, den) {
        (Some(n), Some(d)) if d != 0 => Some(n as f64 / d as f64),
        _ => None,
    }
}

/// How one configured (or unexpectedly seen) region ended, for the account row.
enum RegionEnd<'a> {
    Answered(&'a ImageAuthorizedInfo, &'a QueryOutcome),
    Failed(&'a QueryOutcome, &'a str, &'a str),
    Cancelled(&'a QueryOutcome),
    NotQueried,
}

fn region_ends<'a>(info: &AccountInfo, outs: &[&'a QueryOutcome]) -> Vec<RegionEnd<'a>> {
    let mut names: Vec<&str> = Vec::with_capacity(info.regions.len());
    for name in info
        .regions
        .iter()
        .map(String::as_str)
        .chain(outs.iter().map(|o| o.region.as_str()))
    {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let mine = || outs.iter().copied().filter(move |o| o.region == name);
            if let Some((data, o)) = mine().find_map(|o| match &o.result {
                QueryResult::Ok(answer) => answer.image_authorized_info().map(|data| (data, o)),
                _ => None,
            }) {
                RegionEnd::Answered(data, o)
            } else if let Some(end) = mine().find_map(|o| match &o.result {
                QueryResult::Failed { code, message } => Some(RegionEnd::Failed(o, code, message)),
                _ => None,
            }) {
                end
            } else if let Some(o) = mine().next() {
                RegionEnd::Cancelled(o)
            } else {
                RegionEnd::NotQueried
            }
        })
        .collect()
}

fn account_row(info: &AccountInfo, outs: &[&QueryOutcome], run: &RunInfo) -> AccountRow {
    let ends = region_ends(info, outs);
    let answered: Vec<(&ImageAuthorizedInfo, &QueryOutcome)> = ends
        .iter()
        .filter_map(|e| match e {
            RegionEnd::Answered(data, o) => Some((*data, *o)),
            _ => None,
        })
        .collect();
    let regions_ok = count_u32(answered.len());
    let regions_failed = count_u32(ends.len() - answered.len());
    let regions_cancelled = count_u32(
        ends.iter()
            .filter(|e| matches!(e, RegionEnd::Cancelled(_) | RegionEnd::NotQueried))
            .count(),
    );
    let status = if answered.is_empty() {
        AccountStatus::Error
    } else if regions_failed == 0 {
        AccountStatus::Ok
    } else {
        AccountStatus::Partial
    };

    let failure = first_failure(&ends);
    let (numbers, region_mismatch, data_request_id) = combine(&answered, run.region_scope);
    let n = numbers.unwrap_or_default();

    let (error_code, error_message, request_id) = match (status, failure) {
        (AccountStatus::Ok, _) | (_, None) => (None, None, data_request_id),
        (_, Some((code, message, request_id))) => (Some(code), Some(message), request_id),
    };
    let uin = info
        .uin
        .clone()
        .or_else(|| outs.iter().find_map(|o| o.uin.clone()));
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
    row.tags = info.tags.clone();
    row
}

/// The first failure in configured order (code, message, request id); a
/// real failure beats a cancellation.
fn first_failure(ends: &[RegionEnd<'_>]) -> Option<(String, String, Option<String>)> {
    ends.iter()
        .find_map(|e| match e {
            RegionEnd::Failed(o, code, message) => {
                Some((code.to_string(), message.to_string(), o.request_id.clone()))
            }
            _ => None,
        })
        .or_else(|| {
            ends.iter().find_map(|e| match e {
                RegionEnd::Cancelled(o) => Some((
                    CANCELLED_CODE.to_string(),
                    cancelled_message(o),
                    o.request_id.clone(),
                )),
                RegionEnd::NotQueried => Some((
                    NOT_QUERIED_CODE.to_string(),
                    NOT_QUERIED_MESSAGE.to_string(),
                    None,
                )),
                _ => None,
            })
        })
}

/// The account's numbers from its answering regions (the first, or the sum
/// in region scope), whether regions disagree, and the request id the
/// numbers came from.
fn combine(
    answered: &[(&ImageAuthorizedInfo, &QueryOutcome)],
    scope: RegionScope,
) -> (Option<Numbers>, bool, Option<String>) {
    match answered.split_first() {
        None => (None, false, None),
        Some(((first, first_out), rest)) => {
            let request_id = first_out.request_id.clone();
            match scope {
                RegionScope::Account => {
                    let mismatch = rest.iter().any(|(other, _)| other != first);
                    (Some(Numbers::from_info(first)), mismatch, request_id)
                }
                RegionScope::Region => {
                    let sum = rest
                        .iter()
                        .fold(Numbers::from_info(first), |acc, (other, _)| {
                            acc.add(Numbers::from_info(other))
                        });
                    (Some(sum), false, request_id)
                }
            }
        }
    }
}

/// An account row holding `n` and every number derived from it; the
/// caller fills in the account's name, status and errors.
fn numbers_row(n: Numbers, run: &RunInfo) -> AccountRow {
    let mut found: Vec<String> = n
        .too_large
        .iter()
        .map(|c| warnings::too_large(&format!("the sum of {c} over the answering regions")))
        .collect();
    // `Some(None)`: both operands known, the result too large.
    let mut derived = |what: &str, v: Option<Option<i64>>| {
        if v == Some(None) {
            found.push(warnings::too_large(what));
        }
        v.flatten()
    };
    let total_images = derived(
        "total_images = scanned_images + not_scanned_images",
        n.scanned
            .zip(n.not_scanned)
            .map(|(s, ns)| s.checked_add(ns)),
    );
    let remaining_authorized = derived(
        "remaining_authorized = total_authorized - used_authorized",
        n.total.zip(n.used).map(|(t, u)| t.checked_sub(u)),
    );
    let scan_quota_days_left = n.quota_end.map(|end| {
        end.timestamp()
            .saturating_sub(run.started_at.timestamp())
            .div_euclid(SECS_PER_DAY)
    });
    AccountRow {
        account: String::new(),
        uin: None,
        status: AccountStatus::Error,
        regions_ok: 0,
        regions_failed: 0,
        regions_cancelled: 0,
        total_authorized: n.total,
        used_authorized: n.used,
        remaining_authorized,
        utilization: ratio(n.used, n.total),
        trial_authorized: n.trial,
        used_trial_authorized: n.used_trial,
        purchased_authorized: n.purchased,
        used_purchased_authorized: n.used_purchased,
        scanned_images: n.scanned,
        not_scanned_images: n.not_scanned,
        not_scanned_local_images: n.not_scanned_local,
        total_images,
        scan_coverage: ratio(n.scanned, total_images),
        duplicate_images: n.duplicates,
        duplicate_ratio: ratio(n.duplicates, total_images),
        can_apply_free_authorize: n.can_apply,
        scan_quota_capacity: n.quota_capacity,
        scan_quota_used: n.quota_used,
        scan_quota_utilization: ratio(n.quota_used, n.quota_capacity),
        scan_quota_status: n.quota_status,
        scan_quota_start: n.quota_start,
        scan_quota_end: n.quota_end,
        scan_quota_days_left,
        region_mismatch: false,
        error_code: None,
        error_message: None,
        request_id: None,
        tags: BTreeMap::new(),
        counted_in: None,
        warnings: found,
    }
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn region_row(account: &AccountRow, o: &QueryOutcome) -> RegionRow {
    let (status, error_code, error_message, data) = match &o.result {
        QueryResult::Ok(answer) => (RegionStatus::Ok, None, None, answer.image_authorized_info()),
        QueryResult::Failed { code, message } => (
            RegionStatus::Error,
            Some(code.clone()),
            Some(message.clone()),
            None,
        ),
        QueryResult::Cancelled => (
            RegionStatus::Cancelled,
            Some(CANCELLED_CODE.to_string()),
            Some(cancelled_message(o)),
            None,
        ),
    };
    let quota = data.and_then(|d| d.image_scan_inquire_info.as_ref());
    RegionRow {
        account: account.account.clone(),
        uin: account.uin.clone(),
        region: o.region.clone(),
        status,
        attempts: o.attempts,
        throttled: o.throttled,
        latency_ms: o.latency_ms,
        request_id: o.request_id.clone(),
        error_code,
        error_message,
        total_authorized: data.and_then(|d| d.total_authorized_cnt),
        used_authorized: data.and_then(|d| d.used_authorized_cnt),
        trial_authorized: data.and_then(|d| d.trial_authorized_cnt),
        used_trial_authorized: data.and_then(|d| d.used_trial_authorized_cnt),
        purchased_authorized: data.and_then(|d| d.purchased_authorized_cnt),
        used_purchased_authorized: data.and_then(|d| d.used_purchased_authorized_cnt),
        scanned_images: data.and_then(|d| d.scanned_image_cnt),
        not_scanned_images: data.and_then(|d| d.not_scanned_image_cnt),
        not_scanned_local_images: data.and_then(|d| d.not_scanned_local_image_cnt),
        duplicate_images: data.and_then(|d| d.repeat_image_id_cnt),
        can_apply_free_authorize: data.and_then(|d| d.can_apply_free_image_authorize),
        scan_quota_key: quota.and_then(|q| q.inquire_key.clone()),
        scan_quota_resource_id: quota.and_then(|q| q.resource_id.clone()),
        scan_quota_capacity: quota.and_then(|q| q.capcity),
        scan_quota_used: quota.and_then(|q| q.useage),
        scan_quota_pay_num: quota.and_then(|q| q.pay_num),
        scan_quota_trial_num: quota.and_then(|q| q.trial_num),
        scan_quota_pay_usage: quota.and_then(|q| q.pay_usage),
        scan_quota_status: quota.and_then(|q| q.purchase_status.clone()),
        scan_quota_start: quota
            .and_then(|q| q.start_time.as_deref())
            .and_then(parse_beijing_time),
        scan_quota_end: quota
            .and_then(|q| q.end_time.as_deref())
            .and_then(parse_beijing_time),
        warning: region_warning(account, data),
    }
}

/// A region row's warning: what is impossible about its answer, then (for
/// an answer) about its account's numbers as a whole, then that its account
/// is counted in another's row.
fn region_warning(account: &AccountRow, data: Option<&ImageAuthorizedInfo>) -> Option<String> {
    let mut found: Vec<String> = data
        .and_then(warnings::answer_warning)
        .into_iter()
        .collect();
    if data.is_some() {
        found.extend(account.warnings.iter().cloned());
    }
    if let (Some(counted), Some(uin)) = (&account.counted_in, &account.uin) {
        found.push(shared_uin::warning(uin, counted));
    }
    (!found.is_empty()).then(|| found.join("; "))
}

/// Weighted ratio accumulator: numerators and denominators summed over the
/// rows where both are known.
#[derive(Default)]
struct Weighted {
    num: i128,
    den: i128,
}

impl Weighted {
    fn add(&mut self, num: Option<i64>, den: Option<i64>) {
        if let (Some(n), Some(d)) = (num, den) {
            self.num += i128::from(n);
            self.den += i128::from(d);
        }
    }

    fn ratio(&self) -> Option<f64> {
        (self.den != 0).then(|| self.num as f64 / self.den as f64)
    }
}

/// A summed totals key: its name (an accounts column), the row's value, and
/// the totals field.
type Summed = (
    &'static str,
    fn(&AccountRow) -> Option<i64>,
    fn(&mut Totals) -> &mut Option<i64>,
);

/// Every totals key that is the sum of an accounts column.
const SUMMED: [Summed; 14] = [
    (
        "total_authorized",
        |r| r.total_authorized,
        |t| &mut t.total_authorized,
    ),
    (
        "used_authorized",
        |r| r.used_authorized,
        |t| &mut t.used_authorized,
    ),
    (
        "remaining_authorized",
        |r| r.remaining_authorized,
        |t| &mut t.remaining_authorized,
    ),
    (
        "trial_authorized",
        |r| r.trial_authorized,
        |t| &mut t.trial_authorized,
    ),
    (
        "used_trial_authorized",
        |r| r.used_trial_authorized,
        |t| &mut t.used_trial_authorized,
    ),
    (
        "purchased_authorized",
        |r| r.purchased_authorized,
        |t| &mut t.purchased_authorized,
    ),
    (
        "used_purchased_authorized",
        |r| r.used_purchased_authorized,
        |t| &mut t.used_purchased_authorized,
    ),
    (
        "scanned_images",
        |r| r.scanned_images,
        |t| &mut t.scanned_images,
    ),
    (
        "not_scanned_images",
        |r| r.not_scanned_images,
        |t| &mut t.not_scanned_images,
    ),
    (
        "not_scanned_local_images",
        |r| r.not_scanned_local_images,
        |t| &mut t.not_scanned_local_images,
    ),
    ("total_images", |r| r.total_images, |t| &mut t.total_images),
    (
        "duplicate_images",
        |r| r.duplicate_images,
        |t| &mut t.duplicate_images,
    ),
    (
        "scan_quota_capacity",
        |r| r.scan_quota_capacity,
        |t| &mut t.scan_quota_capacity,
    ),
    (
        "scan_quota_used",
        |r| r.scan_quota_used,
        |t| &mut t.scan_quota_used,
    ),
];

/// The account counts, sums and weighted ratios of the totals, each account
/// once (a row counted in another's is left out). A sum that gets too large
/// is left empty, and the row whose value made it so says so.
fn add_account_totals(t: &mut Totals, rows: &mut [AccountRow]) {
    let mut utilization = Weighted::default();
    let mut coverage = Weighted::default();
    let mut duplicates = Weighted::default();
    let mut quota = Weighted::default();
    let mut sums = [warnings::CheckedSum::default(); SUMMED.len()];
    for row in rows.iter_mut().filter(|r| r.counted_in.is_none()) {
        t.accounts += 1;
        match row.status {
            AccountStatus::Ok => t.accounts_ok += 1,
            AccountStatus::Partial => t.accounts_partial += 1,
            AccountStatus::Error => {
                t.accounts_error += 1;
                continue;
            }
        }
        for (sum, (column, value, _)) in sums.iter_mut().zip(SUMMED) {
            let v = value(row);
            if sum.add(v) {
                let v = v.unwrap_or_default();
                row.warnings.push(warnings::total_too_large(column, v));
            }
        }
        utilization.add(row.used_authorized, row.total_authorized);
        coverage.add(row.scanned_images, row.total_images);
        duplicates.add(row.duplicate_images, row.total_images);
        quota.add(row.scan_quota_used, row.scan_quota_capacity);
    }
    for (sum, (_, _, field)) in sums.iter().zip(SUMMED) {
        *field(t) = sum.value();
    }
    t.utilization = utilization.ratio();
    t.scan_coverage = coverage.ratio();
    t.duplicate_ratio = duplicates.ratio();
    t.scan_quota_utilization = quota.ratio();
}

#[cfg(test)]
pub(crate) mod tests;
