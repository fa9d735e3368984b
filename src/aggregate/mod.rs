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
//!   over the accounts where the numerator and the denominator are known.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use tcapi::tcss::ImageAuthorizedInfo;

use crate::model::{AccountInfo, QueryOutcome, QueryResult, RegionScope, RunInfo};

pub mod warnings;

/// Error code given to a query the run was interrupted before finishing.
pub const CANCELLED_CODE: &str = "Cancelled";
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
    /// trial licenses, no fields at all), see [`warnings::answer_warning`].
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

/// Everything the writers need, computed once.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
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

impl Report {
    /// The `n` non-error accounts with the highest known utilization, highest
    /// first (ties: more licenses used first, then by name).
    pub fn most_utilized(&self, n: usize) -> Vec<&AccountRow> {
        let mut rows: Vec<&AccountRow> = self
            .accounts
            .iter()
            .filter(|a| a.status != AccountStatus::Error && a.utilization.is_some())
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

    /// Number of [`Report::problems`].
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
/// [`RegionRow`] per outcome, and the totals. Outcomes whose `account_index`
/// is out of range are counted in the query totals only.
pub fn aggregate(accounts: &[AccountInfo], outcomes: &[QueryOutcome], run: RunInfo) -> Report {
    let mut by_account: Vec<Vec<&QueryOutcome>> = vec![Vec::new(); accounts.len()];
    let mut totals = Totals {
        accounts: accounts.len(),
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
    let mut regions = Vec::with_capacity(outcomes.len());
    let mut tag_keys = BTreeSet::new();
    for (info, mut outs) in accounts.iter().zip(by_account) {
        // Configured region order; unknown regions after, in arrival order (stable sort).
        outs.sort_by_key(|o| {
            info.regions
                .iter()
                .position(|r| *r == o.region)
                .unwrap_or(usize::MAX)
        });
        let row = account_row(info, &outs, &run);
        for o in &outs {
            let r = region_row(&row, o);
            totals.queries_with_warning += usize::from(r.warning.is_some());
            regions.push(r);
        }
        tag_keys.extend(info.tags.keys().cloned());
        rows.push(row);
    }

    add_account_totals(&mut totals, &rows);
    Report {
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
        }
    }

    /// Region scope: counts summed, `can_apply` true if any region can apply,
    /// the earliest start and the earliest (soonest) end, the first known status.
    fn add(self, other: Numbers) -> Numbers {
        Numbers {
            total: sum_opt(self.total, other.total),
            used: sum_opt(self.used, other.used),
            trial: sum_opt(self.trial, other.trial),
            used_trial: sum_opt(self.used_trial, other.used_trial),
            purchased: sum_opt(self.purchased, other.purchased),
            used_purchased: sum_opt(self.used_purchased, other.used_purchased),
            scanned: sum_opt(self.scanned, other.scanned),
            not_scanned: sum_opt(self.not_scanned, other.not_scanned),
            not_scanned_local: sum_opt(self.not_scanned_local, other.not_scanned_local),
            duplicates: sum_opt(self.duplicates, other.duplicates),
            can_apply: match (self.can_apply, other.can_apply) {
                (Some(a), Some(b)) => Some(a || b),
                (a, b) => a.or(b),
            },
            quota_capacity: sum_opt(self.quota_capacity, other.quota_capacity),
            quota_used: sum_opt(self.quota_used, other.quota_used),
            quota_status: self.quota_status.or(other.quota_status),
            quota_start: min_opt(self.quota_start, other.quota_start),
            quota_end: min_opt(self.quota_end, other.quota_end),
        }
    }
}

fn sum_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.saturating_add(b)),
        (a, b) => a.or(b),
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
                QueryResult::Ok(data) => Some((data, o)),
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

    // The first failure in configured order; a real failure beats a cancellation.
    let failure = ends
        .iter()
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
        });

    let (numbers, region_mismatch, data_request_id) = match answered.split_first() {
        None => (None, false, None),
        Some(((first, first_out), rest)) => {
            let request_id = first_out.request_id.clone();
            match run.region_scope {
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
    };
    let n = numbers.unwrap_or_default();

    let (error_code, error_message, request_id) = match (status, failure) {
        (AccountStatus::Ok, _) | (_, None) => (None, None, data_request_id),
        (_, Some((code, message, request_id))) => (Some(code), Some(message), request_id),
    };

    let total_images = match (n.scanned, n.not_scanned) {
        (Some(s), Some(ns)) => Some(s.saturating_add(ns)),
        _ => None,
    };
    let scan_quota_days_left = n.quota_end.map(|end| {
        end.timestamp()
            .saturating_sub(run.started_at.timestamp())
            .div_euclid(SECS_PER_DAY)
    });
    let uin = info
        .uin
        .clone()
        .or_else(|| outs.iter().find_map(|o| o.uin.clone()));

    AccountRow {
        account: info.name.clone(),
        uin,
        status,
        regions_ok,
        regions_failed,
        regions_cancelled,
        total_authorized: n.total,
        used_authorized: n.used,
        remaining_authorized: match (n.total, n.used) {
            (Some(t), Some(u)) => Some(t.saturating_sub(u)),
            _ => None,
        },
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
        region_mismatch,
        error_code,
        error_message,
        request_id,
        tags: info.tags.clone(),
    }
}

fn count_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn region_row(account: &AccountRow, o: &QueryOutcome) -> RegionRow {
    let (status, error_code, error_message, data) = match &o.result {
        QueryResult::Ok(data) => (RegionStatus::Ok, None, None, Some(data)),
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
        warning: data.and_then(warnings::answer_warning),
    }
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

fn add_account_totals(t: &mut Totals, rows: &[AccountRow]) {
    let mut utilization = Weighted::default();
    let mut coverage = Weighted::default();
    let mut duplicates = Weighted::default();
    let mut quota = Weighted::default();
    for row in rows {
        match row.status {
            AccountStatus::Ok => t.accounts_ok += 1,
            AccountStatus::Partial => t.accounts_partial += 1,
            AccountStatus::Error => {
                t.accounts_error += 1;
                continue;
            }
        }
        t.total_authorized = sum_opt(t.total_authorized, row.total_authorized);
        t.used_authorized = sum_opt(t.used_authorized, row.used_authorized);
        t.remaining_authorized = sum_opt(t.remaining_authorized, row.remaining_authorized);
        t.trial_authorized = sum_opt(t.trial_authorized, row.trial_authorized);
        t.used_trial_authorized = sum_opt(t.used_trial_authorized, row.used_trial_authorized);
        t.purchased_authorized = sum_opt(t.purchased_authorized, row.purchased_authorized);
        t.used_purchased_authorized =
            sum_opt(t.used_purchased_authorized, row.used_purchased_authorized);
        t.scanned_images = sum_opt(t.scanned_images, row.scanned_images);
        t.not_scanned_images = sum_opt(t.not_scanned_images, row.not_scanned_images);
        t.not_scanned_local_images =
            sum_opt(t.not_scanned_local_images, row.not_scanned_local_images);
        t.total_images = sum_opt(t.total_images, row.total_images);
        t.duplicate_images = sum_opt(t.duplicate_images, row.duplicate_images);
        t.scan_quota_capacity = sum_opt(t.scan_quota_capacity, row.scan_quota_capacity);
        t.scan_quota_used = sum_opt(t.scan_quota_used, row.scan_quota_used);
        utilization.add(row.used_authorized, row.total_authorized);
        coverage.add(row.scanned_images, row.total_images);
        duplicates.add(row.duplicate_images, row.total_images);
        quota.add(row.scan_quota_used, row.scan_quota_capacity);
    }
    t.utilization = utilization.ratio();
    t.scan_coverage = coverage.ratio();
    t.duplicate_ratio = duplicates.ratio();
    t.scan_quota_utilization = quota.ratio();
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use tcapi::tcss::ImageScanInquireInfo;

    pub(crate) fn run_info(scope: RegionScope) -> RunInfo {
        RunInfo {
            started_at: Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
            finished_at: Utc.with_ymd_and_hms(2026, 2, 1, 0, 1, 30).unwrap(),
            version: "0.1.0".into(),
            config_path: "accounts.toml".into(),
            config_digest: "ab".repeat(32),
            complete: true,
            region_scope: scope,
            simulated: true,
            stem: "tcss-authorizations-20260201T000000Z".into(),
        }
    }

    pub(crate) fn account(name: &str, regions: &[&str]) -> AccountInfo {
        AccountInfo {
            name: name.into(),
            uin: None,
            tags: BTreeMap::new(),
            regions: regions.iter().map(|r| r.to_string()).collect(),
        }
    }

    pub(crate) fn data(total: i64, used: i64) -> ImageAuthorizedInfo {
        ImageAuthorizedInfo {
            total_authorized_cnt: Some(total),
            used_authorized_cnt: Some(used),
            scanned_image_cnt: Some(30),
            not_scanned_image_cnt: Some(10),
            not_scanned_local_image_cnt: Some(4),
            trial_authorized_cnt: Some(5),
            used_trial_authorized_cnt: Some(1),
            purchased_authorized_cnt: Some(total - 5),
            used_purchased_authorized_cnt: Some(used - 1),
            can_apply_free_image_authorize: Some(false),
            repeat_image_id_cnt: Some(8),
            image_scan_inquire_info: Some(ImageScanInquireInfo {
                capcity: Some(1000),
                useage: Some(250),
                start_time: Some("2025-03-01 00:00:00".into()),
                end_time: Some("2026-03-01 00:00:00".into()),
                purchase_status: Some("Normal".into()),
                ..ImageScanInquireInfo::default()
            }),
        }
    }

    pub(crate) fn ok(account_index: usize, region: &str, d: ImageAuthorizedInfo) -> QueryOutcome {
        QueryOutcome {
            account_index,
            region: region.into(),
            result: QueryResult::Ok(d),
            attempts: 1,
            throttled: 0,
            latency_ms: 42,
            request_id: Some(format!("req-ok-{account_index}-{region}")),
            uin: None,
            last_error: None,
        }
    }

    pub(crate) fn failed(account_index: usize, region: &str, code: &str) -> QueryOutcome {
        QueryOutcome {
            account_index,
            region: region.into(),
            result: QueryResult::Failed {
                code: code.into(),
                message: format!("{code} happened"),
            },
            attempts: 3,
            throttled: 2,
            latency_ms: 900,
            request_id: Some(format!("req-err-{account_index}-{region}")),
            uin: None,
            last_error: None,
        }
    }

    pub(crate) fn cancelled(account_index: usize, region: &str) -> QueryOutcome {
        QueryOutcome {
            account_index,
            region: region.into(),
            result: QueryResult::Cancelled,
            attempts: 0,
            throttled: 0,
            latency_ms: 0,
            request_id: None,
            uin: None,
            last_error: None,
        }
    }

    #[test]
    fn status_ok_partial_error() {
        let accounts = vec![
            account("a", &["r1", "r2"]),
            account("b", &["r1", "r2"]),
            account("c", &["r1", "r2"]),
            account("d", &["r1", "r2"]),
        ];
        let outcomes = vec![
            ok(0, "r2", data(10, 5)),
            ok(0, "r1", data(10, 5)),
            failed(1, "r1", "AuthFailure.SecretIdNotFound"),
            ok(1, "r2", data(10, 5)),
            failed(2, "r2", "InternalError"),
            failed(2, "r1", "UnsupportedRegion"),
            ok(3, "r1", data(10, 5)),
            cancelled(3, "r2"),
        ];
        let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
        let a = &r.accounts;
        assert_eq!(a[0].status, AccountStatus::Ok);
        assert_eq!((a[0].regions_ok, a[0].regions_failed), (2, 0));
        assert_eq!(a[0].error_code, None);
        assert_eq!(a[0].request_id.as_deref(), Some("req-ok-0-r1"));

        assert_eq!(a[1].status, AccountStatus::Partial);
        assert_eq!((a[1].regions_ok, a[1].regions_failed), (1, 1));
        assert_eq!(
            a[1].error_code.as_deref(),
            Some("AuthFailure.SecretIdNotFound")
        );
        assert_eq!(a[1].request_id.as_deref(), Some("req-err-1-r1"));
        assert_eq!(a[1].total_authorized, Some(10));

        // Error: the first failure in configured order (r1), not arrival order.
        assert_eq!(a[2].status, AccountStatus::Error);
        assert_eq!((a[2].regions_ok, a[2].regions_failed), (0, 2));
        assert_eq!(a[2].error_code.as_deref(), Some("UnsupportedRegion"));
        assert_eq!(
            a[2].error_message.as_deref(),
            Some("UnsupportedRegion happened")
        );
        assert_eq!(a[2].request_id.as_deref(), Some("req-err-2-r1"));
        assert_eq!(a[2].total_authorized, None);
        assert_eq!(a[2].utilization, None);
        assert_eq!(a[2].scan_quota_days_left, None);

        // A cancelled region did not answer.
        assert_eq!(a[3].status, AccountStatus::Partial);
        assert_eq!((a[3].regions_failed, a[3].regions_cancelled), (1, 1));
        assert_eq!(a[3].error_code.as_deref(), Some(CANCELLED_CODE));

        assert_eq!(
            (
                r.totals.accounts_ok,
                r.totals.accounts_partial,
                r.totals.accounts_error
            ),
            (1, 2, 1)
        );
        assert_eq!(
            (
                r.totals.queries,
                r.totals.queries_ok,
                r.totals.queries_failed,
                r.totals.queries_cancelled
            ),
            (8, 4, 3, 1)
        );
        assert_eq!(r.totals.attempts, 4 + 3 * 3);
        assert_eq!(r.totals.throttled, 6);
        // Regions rows in account order, then configured region order.
        let order: Vec<(&str, &str)> = r
            .regions
            .iter()
            .map(|x| (x.account.as_str(), x.region.as_str()))
            .collect();
        assert_eq!(
            order,
            vec![
                ("a", "r1"),
                ("a", "r2"),
                ("b", "r1"),
                ("b", "r2"),
                ("c", "r1"),
                ("c", "r2"),
                ("d", "r1"),
                ("d", "r2")
            ]
        );
        assert_eq!(r.regions[7].status, RegionStatus::Cancelled);
        assert_eq!(r.failures().count(), 4);
        assert_eq!(r.failure_count(), 4);
    }

    #[test]
    fn account_without_outcomes_is_not_queried_error() {
        let r = aggregate(
            &[account("a", &["r1"])],
            &[],
            run_info(RegionScope::Account),
        );
        assert_eq!(r.accounts[0].status, AccountStatus::Error);
        assert_eq!(r.accounts[0].error_code.as_deref(), Some(NOT_QUERIED_CODE));
        assert!(r.regions.is_empty());
    }

    #[test]
    fn account_scope_uses_first_configured_region_and_flags_mismatch() {
        let accounts = vec![
            account("a", &["r1", "r2", "r3"]),
            account("b", &["r1", "r2"]),
        ];
        let outcomes = vec![
            ok(0, "r3", data(100, 70)),
            ok(0, "r2", data(100, 60)),
            failed(0, "r1", "InternalError"),
            ok(1, "r2", data(100, 60)),
            ok(1, "r1", data(100, 60)),
        ];
        let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
        // r1 failed, so r2 (the first configured region that answered) wins.
        assert_eq!(r.accounts[0].used_authorized, Some(60));
        assert_eq!(r.accounts[0].total_authorized, Some(100));
        assert!(r.accounts[0].region_mismatch);
        assert_eq!(r.accounts[0].status, AccountStatus::Partial);
        assert_eq!(r.accounts[1].used_authorized, Some(60));
        assert!(!r.accounts[1].region_mismatch);
        // Counted once: totals are not multiplied by regions.
        assert_eq!(r.totals.total_authorized, Some(200));
    }

    #[test]
    fn region_scope_sums_answering_regions() {
        let accounts = vec![account("a", &["r1", "r2", "r3"])];
        let mut d2 = data(50, 20);
        d2.trial_authorized_cnt = None;
        d2.can_apply_free_image_authorize = Some(true);
        if let Some(q) = d2.image_scan_inquire_info.as_mut() {
            q.end_time = Some("2026-02-10 12:00:00".into());
            q.start_time = Some("2025-06-01 00:00:00".into());
            q.purchase_status = Some("Isolate".into());
        }
        let mut d1 = data(100, 70);
        d1.not_scanned_local_image_cnt = None;
        let outcomes = vec![
            ok(0, "r2", d2),
            ok(0, "r1", d1),
            failed(0, "r3", "UnsupportedRegion"),
        ];
        let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Region));
        let a = &r.accounts[0];
        assert_eq!(a.total_authorized, Some(150));
        assert_eq!(a.used_authorized, Some(90));
        assert_eq!(a.remaining_authorized, Some(60));
        assert_eq!(a.utilization, Some(90.0 / 150.0));
        assert_eq!(a.trial_authorized, Some(5)); // None in one region: sum of the known
        assert_eq!(a.not_scanned_local_images, Some(4));
        assert_eq!(a.total_images, Some(80));
        assert_eq!(a.scan_coverage, Some(60.0 / 80.0));
        assert_eq!(a.duplicate_ratio, Some(16.0 / 80.0));
        assert_eq!(a.can_apply_free_authorize, Some(true));
        assert_eq!(a.scan_quota_capacity, Some(2000));
        assert_eq!(a.scan_quota_used, Some(500));
        assert_eq!(a.scan_quota_utilization, Some(0.25));
        // Earliest start and the soonest end; status from the first answering region.
        assert_eq!(
            a.scan_quota_start.map(|t| t.to_rfc3339()).as_deref(),
            Some("2025-03-01T00:00:00+08:00")
        );
        assert_eq!(
            a.scan_quota_end.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-02-10T12:00:00+08:00")
        );
        assert_eq!(a.scan_quota_status.as_deref(), Some("Normal"));
        assert!(!a.region_mismatch);
        assert_eq!(a.status, AccountStatus::Partial);
    }

    #[test]
    fn over_use_is_negative_and_utilization_above_one() {
        let r = aggregate(
            &[account("a", &["r1"])],
            &[ok(0, "r1", data(10, 15))],
            run_info(RegionScope::Account),
        );
        assert_eq!(r.accounts[0].remaining_authorized, Some(-5));
        assert_eq!(r.accounts[0].utilization, Some(1.5));
        assert_eq!(r.totals.remaining_authorized, Some(-5));
    }

    #[test]
    fn missing_fields_are_none_not_zero() {
        let sparse = ImageAuthorizedInfo {
            total_authorized_cnt: Some(0),
            scanned_image_cnt: Some(3),
            ..ImageAuthorizedInfo::default()
        };
        let r = aggregate(
            &[account("a", &["r1"])],
            &[ok(0, "r1", sparse)],
            run_info(RegionScope::Account),
        );
        let a = &r.accounts[0];
        assert_eq!(a.status, AccountStatus::Ok);
        assert_eq!(a.total_authorized, Some(0));
        assert_eq!(a.used_authorized, None);
        assert_eq!(a.remaining_authorized, None);
        assert_eq!(a.utilization, None); // total 0 and used unknown
        assert_eq!(a.total_images, None);
        assert_eq!(a.scan_coverage, None);
        assert_eq!(a.duplicate_images, None);
        assert_eq!(a.can_apply_free_authorize, None);
        assert_eq!(a.scan_quota_capacity, None);
        assert_eq!(a.scan_quota_utilization, None);
        assert_eq!(a.scan_quota_end, None);
        assert_eq!(a.scan_quota_days_left, None);
        assert_eq!(r.totals.used_authorized, None);
        assert_eq!(r.totals.total_authorized, Some(0));
        assert_eq!(r.totals.utilization, None);
        assert_eq!(r.totals.scanned_images, Some(3));

        // Total 0 with used known: utilization undefined, not infinite.
        let zero = ImageAuthorizedInfo {
            total_authorized_cnt: Some(0),
            used_authorized_cnt: Some(0),
            ..ImageAuthorizedInfo::default()
        };
        let r = aggregate(
            &[account("a", &["r1"])],
            &[ok(0, "r1", zero)],
            run_info(RegionScope::Account),
        );
        assert_eq!(r.accounts[0].utilization, None);
        assert_eq!(r.accounts[0].remaining_authorized, Some(0));
    }

    #[test]
    fn totals_ratios_are_weighted_not_averaged() {
        let accounts = vec![account("a", &["r1"]), account("b", &["r1"])];
        let outcomes = vec![ok(0, "r1", data(2, 1)), ok(1, "r1", data(100, 99))];
        let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
        assert_eq!(r.totals.utilization, Some(100.0 / 102.0));
        assert_ne!(r.totals.utilization, Some((0.5 + 0.99) / 2.0));
        assert_eq!(r.totals.total_authorized, Some(102));
        assert_eq!(r.totals.used_authorized, Some(100));
        assert_eq!(r.totals.remaining_authorized, Some(2));
    }

    #[test]
    fn error_accounts_are_excluded_from_totals() {
        let mut a = account("a", &["r1"]);
        a.uin = Some("100000000001".into());
        let accounts = vec![a, account("b", &["r1"])];
        let outcomes = vec![ok(0, "r1", data(10, 4)), failed(1, "r1", "AuthFailure")];
        let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
        assert_eq!(r.totals.total_authorized, Some(10));
        assert_eq!(r.totals.accounts, 2);
        assert_eq!(r.totals.accounts_error, 1);
        assert_eq!(r.totals.utilization, Some(0.4));
        assert_eq!(r.totals.scan_quota_capacity, Some(1000));
    }

    #[test]
    fn beijing_times_and_days_left() {
        let t = parse_beijing_time("2026-03-01 00:00:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-03-01T00:00:00+08:00");
        assert_eq!(
            t.with_timezone(&Utc).to_rfc3339(),
            "2026-02-28T16:00:00+00:00"
        );
        assert_eq!(
            parse_beijing_time("2026-03-01T02:00:00Z").map(|t| t.to_rfc3339()),
            Some("2026-03-01T10:00:00+08:00".to_string())
        );
        assert_eq!(
            parse_beijing_time("2026-03-01").map(|t| t.to_rfc3339()),
            Some("2026-03-01T00:00:00+08:00".to_string())
        );
        assert_eq!(parse_beijing_time(""), None);
        assert_eq!(parse_beijing_time("0000-00-00 00:00:00"), None);
        assert_eq!(parse_beijing_time("soon"), None);

        // Run starts 2026-02-01T00:00:00Z = 08:00 Beijing.
        let cases = [
            ("2026-03-01 00:00:00", Some(27)), // 27 days 16 hours
            ("2026-02-01 08:00:00", Some(0)),  // exactly now
            ("2026-02-01 07:59:59", Some(-1)), // just expired
            ("2026-01-01 00:00:00", Some(-32)),
            ("not a time", None),
            ("", None),
        ];
        for (end, want) in cases {
            let mut d = data(10, 1);
            if let Some(q) = d.image_scan_inquire_info.as_mut() {
                q.end_time = Some(end.into());
            }
            let r = aggregate(
                &[account("a", &["r1"])],
                &[ok(0, "r1", d)],
                run_info(RegionScope::Account),
            );
            assert_eq!(r.accounts[0].scan_quota_days_left, want, "end {end:?}");
            assert_eq!(r.accounts[0].status, AccountStatus::Ok);
        }
    }

    #[test]
    fn uin_from_config_else_outcome() {
        let mut a = account("a", &["r1", "r2"]);
        a.uin = Some("100000000001".into());
        let accounts = vec![a, account("b", &["r1", "r2"]), account("c", &["r1"])];
        let mut o1 = ok(0, "r1", data(1, 1));
        o1.uin = Some("999".into());
        let mut o2 = failed(1, "r2", "InternalError");
        o2.uin = Some("200000000002".into());
        let outcomes = vec![o1, ok(1, "r1", data(1, 1)), o2, ok(2, "r1", data(1, 1))];
        let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
        assert_eq!(r.accounts[0].uin.as_deref(), Some("100000000001"));
        assert_eq!(r.accounts[1].uin.as_deref(), Some("200000000002"));
        assert_eq!(r.accounts[2].uin, None);
        // Region rows carry the account's uin.
        assert_eq!(r.regions[2].uin.as_deref(), Some("200000000002"));
    }

    #[test]
    fn tag_keys_are_sorted_union() {
        let mut a = account("a", &["r1"]);
        a.tags.insert("team".into(), "pay".into());
        a.tags.insert("cost_center".into(), "cc-1".into());
        let mut b = account("b", &["r1"]);
        b.tags.insert("env".into(), "prod".into());
        b.tags.insert("team".into(), "ops".into());
        let r = aggregate(&[a, b], &[], run_info(RegionScope::Account));
        assert_eq!(r.tag_keys, vec!["cost_center", "env", "team"]);
    }

    #[test]
    fn top_utilized_and_expiring() {
        let accounts: Vec<AccountInfo> =
            (0..4).map(|i| account(&format!("a{i}"), &["r1"])).collect();
        let mut d3 = data(10, 9);
        if let Some(q) = d3.image_scan_inquire_info.as_mut() {
            q.end_time = Some("2026-02-05 00:00:00".into());
        }
        let mut d0 = data(10, 2);
        if let Some(q) = d0.image_scan_inquire_info.as_mut() {
            q.end_time = Some("2027-01-01 00:00:00".into());
        }
        let outcomes = vec![
            ok(0, "r1", d0),
            ok(1, "r1", data(10, 8)),
            failed(2, "r1", "AuthFailure"),
            ok(3, "r1", d3),
        ];
        let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
        let top: Vec<&str> = r
            .most_utilized(2)
            .iter()
            .map(|a| a.account.as_str())
            .collect();
        assert_eq!(top, vec!["a3", "a1"]);
        let top: Vec<&str> = r
            .most_utilized(10)
            .iter()
            .map(|a| a.account.as_str())
            .collect();
        assert_eq!(top, vec!["a3", "a1", "a0"], "error accounts are not ranked");
        // a3 ends in 3 days 16 hours, a1 in 27 days, a0 next year.
        let exp: Vec<(&str, Option<i64>)> = r
            .expiring_quotas(30)
            .iter()
            .map(|a| (a.account.as_str(), a.scan_quota_days_left))
            .collect();
        assert_eq!(exp, vec![("a3", Some(3)), ("a1", Some(27))]);
    }

    fn arb_info() -> impl Strategy<Value = ImageAuthorizedInfo> {
        let n = || proptest::option::of(-5i64..1000);
        (
            (n(), n(), n(), n(), n()),
            (n(), n(), proptest::option::of(any::<bool>())),
            proptest::option::of((n(), n())),
        )
            .prop_map(|((t, u, s, ns, d), (tr, p, can), q)| ImageAuthorizedInfo {
                total_authorized_cnt: t,
                used_authorized_cnt: u,
                scanned_image_cnt: s,
                not_scanned_image_cnt: ns,
                repeat_image_id_cnt: d,
                trial_authorized_cnt: tr,
                purchased_authorized_cnt: p,
                can_apply_free_image_authorize: can,
                image_scan_inquire_info: q.map(|(c, u)| ImageScanInquireInfo {
                    capcity: c,
                    useage: u,
                    ..ImageScanInquireInfo::default()
                }),
                ..ImageAuthorizedInfo::default()
            })
    }

    fn arb_result() -> impl Strategy<Value = QueryResult> {
        prop_oneof![
            3 => arb_info().prop_map(QueryResult::Ok),
            1 => Just(QueryResult::Failed { code: "InternalError".into(), message: "x".into() }),
            1 => Just(QueryResult::Cancelled),
        ]
    }

    /// Independent recomputation from the rows.
    fn weighted(
        rows: &[&AccountRow],
        f: impl Fn(&AccountRow) -> (Option<i64>, Option<i64>),
    ) -> Option<f64> {
        let (mut n, mut d) = (0f64, 0f64);
        for r in rows {
            if let (Some(a), Some(b)) = f(r) {
                n += a as f64;
                d += b as f64;
            }
        }
        (d != 0.0).then(|| n / d)
    }

    fn sum(rows: &[&AccountRow], f: impl Fn(&AccountRow) -> Option<i64>) -> Option<i64> {
        let known: Vec<i64> = rows.iter().filter_map(|r| f(r)).collect();
        (!known.is_empty()).then(|| known.iter().sum())
    }

    proptest! {
        #[test]
        fn totals_equal_recomputation_from_rows(
            results in proptest::collection::vec(proptest::collection::vec(arb_result(), 1..4), 0..12),
            region_scope in prop_oneof![Just(RegionScope::Account), Just(RegionScope::Region)],
        ) {
            let regions = ["r1", "r2", "r3"];
            let accounts: Vec<AccountInfo> = results
                .iter()
                .enumerate()
                .map(|(i, rs)| account(&format!("a{i}"), &regions[..rs.len()]))
                .collect();
            let outcomes: Vec<QueryOutcome> = results
                .iter()
                .enumerate()
                .flat_map(|(i, rs)| {
                    rs.iter().enumerate().map(move |(j, res)| QueryOutcome {
                        account_index: i,
                        region: regions[j].to_string(),
                        result: res.clone(),
                        attempts: 1,
                        throttled: 0,
                        latency_ms: 1,
                        request_id: None,
                        uin: None,
                        last_error: None,
                    })
                })
                .collect();
            let r = aggregate(&accounts, &outcomes, run_info(region_scope));
            let t = &r.totals;
            let live: Vec<&AccountRow> = r.accounts.iter().filter(|a| a.status != AccountStatus::Error).collect();
            prop_assert_eq!(t.accounts, accounts.len());
            prop_assert_eq!(t.accounts_ok + t.accounts_partial + t.accounts_error, t.accounts);
            prop_assert_eq!(t.accounts_error, r.accounts.len() - live.len());
            prop_assert_eq!(t.queries, outcomes.len());
            prop_assert_eq!(t.queries_ok + t.queries_failed + t.queries_cancelled, t.queries);
            prop_assert_eq!(r.regions.len(), outcomes.len());
            prop_assert_eq!(t.total_authorized, sum(&live, |a| a.total_authorized));
            prop_assert_eq!(t.used_authorized, sum(&live, |a| a.used_authorized));
            prop_assert_eq!(t.remaining_authorized, sum(&live, |a| a.remaining_authorized));
            prop_assert_eq!(t.scanned_images, sum(&live, |a| a.scanned_images));
            prop_assert_eq!(t.total_images, sum(&live, |a| a.total_images));
            prop_assert_eq!(t.duplicate_images, sum(&live, |a| a.duplicate_images));
            prop_assert_eq!(t.scan_quota_capacity, sum(&live, |a| a.scan_quota_capacity));
            prop_assert_eq!(t.utilization, weighted(&live, |a| (a.used_authorized, a.total_authorized)));
            prop_assert_eq!(t.scan_coverage, weighted(&live, |a| (a.scanned_images, a.total_images)));
            prop_assert_eq!(t.duplicate_ratio, weighted(&live, |a| (a.duplicate_images, a.total_images)));
            prop_assert_eq!(t.scan_quota_utilization, weighted(&live, |a| (a.scan_quota_used, a.scan_quota_capacity)));
            for (a, rs) in r.accounts.iter().zip(&results) {
                let answered = rs.iter().filter(|x| matches!(x, QueryResult::Ok(_))).count();
                prop_assert_eq!(a.regions_ok as usize, answered);
                prop_assert_eq!((a.regions_ok + a.regions_failed) as usize, rs.len());
                prop_assert_eq!(a.status == AccountStatus::Error, answered == 0);
                if a.status == AccountStatus::Error {
                    prop_assert_eq!(a.total_authorized, None);
                    prop_assert!(a.error_code.is_some());
                }
                if let (Some(t), Some(u)) = (a.total_authorized, a.used_authorized) {
                    prop_assert_eq!(a.remaining_authorized, Some(t - u));
                }
            }
        }
    }
}
