//! The numbers of each row, from the API's answers: an answer's numbers
//! ([`Numbers`]) combined over an account's answering regions (the first,
//! or the sum in region scope), the account row's derived values
//! (remaining licenses, ratios, total images, days left), and the region
//! row of each query with its warning. Every accounts column's value is
//! computed here (the column table reads them, `crate::columns`). Pure.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use tcapi::tcss::ImageAuthorizedInfo;

use super::{cancelled_message, shared_uin, warnings, CANCELLED_CODE};
use super::{AccountRow, AccountStatus, RegionRow, RegionStatus};
use crate::calls::Call;
use crate::columns::license::License;
use crate::columns::regions::ImageFields;
use crate::model::{QueryOutcome, QueryResult, RegionScope, RunInfo};

/// Seconds east of UTC of Beijing time, the zone of the API's `StartTime`/`EndTime`.
const BEIJING_OFFSET_SECS: i32 = 8 * 3600;
const SECS_PER_DAY: i64 = 86_400;

/// Whole days from the run's start to `end`, rounded down (negative once past).
pub(super) fn days_left(end: &DateTime<FixedOffset>, run: &RunInfo) -> i64 {
    end.timestamp()
        .saturating_sub(run.started_at.timestamp())
        .div_euclid(SECS_PER_DAY)
}

/// Parses an API time (`YYYY-MM-DD HH:MM:SS`, Beijing time without a zone)
/// into a time at `+08:00`. Also accepts RFC 3339 (converted to `+08:00`) and
/// a bare date (midnight). Empty or unparseable text gives `None`.
pub(super) fn parse_beijing_time(text: &str) -> Option<DateTime<FixedOffset>> {
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

/// The numbers an account row is built from, after combining regions.
#[derive(Debug, Default)]
pub(super) struct Numbers {
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
    pub(super) fn from_info(info: &ImageAuthorizedInfo) -> Numbers {
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

/// The account's numbers from its answering regions (the first, or the sum
/// in region scope), whether regions disagree, and the request id the
/// numbers came from.
pub(super) fn combine(
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
pub(super) fn numbers_row(n: Numbers, run: &RunInfo) -> AccountRow {
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
    let scan_quota_days_left = n.quota_end.map(|end| days_left(&end, run));
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
        license: License::default(),
        tags: BTreeMap::new(),
        counted_in: None,
        warnings: found,
    }
}

/// The row of one query. Takes the outcome's strings and its answer (what
/// is left of `o` is its numbers and its call), so the answer's memory goes
/// back as the row is built.
pub(super) fn region_row(account: &AccountRow, o: &mut QueryOutcome) -> RegionRow {
    let result = std::mem::replace(&mut o.result, QueryResult::Cancelled);
    let (status, error_code, error_message, data) = match result {
        QueryResult::Ok(answer) => (
            RegionStatus::Ok,
            None,
            None,
            answer.into_image_authorized_info(),
        ),
        QueryResult::Failed { code, message } => {
            (RegionStatus::Error, Some(code), Some(message), None)
        }
        QueryResult::Cancelled => (
            RegionStatus::Cancelled,
            Some(CANCELLED_CODE.to_string()),
            Some(cancelled_message(o)),
            None,
        ),
    };
    // An account-wide query's answer has no image data to check.
    let warning = match o.call {
        Call::ImageAuthorizedInfo => region_warning(account, data.as_deref()),
        _ => None,
    };
    RegionRow {
        account: account.account.clone(),
        uin: account.uin.clone(),
        action: o.call.name(),
        region: std::mem::take(&mut o.region),
        status,
        attempts: o.attempts,
        throttled: o.throttled,
        latency_ms: o.latency_ms,
        request_id: o.request_id.take(),
        error_code,
        error_message,
        image: data.map(image_fields),
        warning,
    }
}

/// The regions table's fields of an answer. Its strings move; the answer's
/// box is freed before the fields' one is made, so the allocator hands the
/// same memory back (both are the same size class).
fn image_fields(data: Box<ImageAuthorizedInfo>) -> Box<ImageFields> {
    let d = *data;
    let mut quota = d.image_scan_inquire_info.unwrap_or_default();
    let time = |t: &Option<String>| t.as_deref().and_then(parse_beijing_time);
    let fields = ImageFields {
        total_authorized: d.total_authorized_cnt,
        used_authorized: d.used_authorized_cnt,
        trial_authorized: d.trial_authorized_cnt,
        used_trial_authorized: d.used_trial_authorized_cnt,
        purchased_authorized: d.purchased_authorized_cnt,
        used_purchased_authorized: d.used_purchased_authorized_cnt,
        scanned_images: d.scanned_image_cnt,
        not_scanned_images: d.not_scanned_image_cnt,
        not_scanned_local_images: d.not_scanned_local_image_cnt,
        duplicate_images: d.repeat_image_id_cnt,
        can_apply_free_authorize: d.can_apply_free_image_authorize,
        scan_quota_start: time(&quota.start_time),
        scan_quota_end: time(&quota.end_time),
        scan_quota_key: quota.inquire_key.take(),
        scan_quota_resource_id: quota.resource_id.take(),
        scan_quota_capacity: quota.capcity,
        scan_quota_used: quota.useage,
        scan_quota_pay_num: quota.pay_num,
        scan_quota_trial_num: quota.trial_num,
        scan_quota_pay_usage: quota.pay_usage,
        scan_quota_status: quota.purchase_status.take(),
    };
    drop(quota);
    Box::new(fields)
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
