//! The accounts table (`<stem>.accounts.csv`, JSON `accounts`, the
//! Accounts sheet, `account_snapshots`): [`AccountRow`], one per account,
//! and its columns in the contract's order ([`ACCOUNTS`]), each a `static`
//! that also serves as the column's handle (`UTILIZATION`). The `tag:<key>`
//! columns follow them in the files.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};

use super::families as f;
use super::license::{self as l, License};
use super::{Cell, Column, Kind, Sample, Scopes, Total};

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
    /// The edition, its term, the cores and the automatic authorization
    /// (`DescribePurchaseStateInfo`, `DescribeImageAutoAuthorizedRule`).
    pub license: License,
    /// Tags from the config.
    pub tags: BTreeMap<String, String>,
    /// Another account of the run with the same UIN, the one counted in
    /// the totals (`aggregate::shared_uin`): this row keeps its numbers and is left
    /// out of the totals. Not a column.
    pub counted_in: Option<String>,
    /// Findings about the row's numbers as a whole (a sum too large to
    /// hold), added to the `warning` of its answered region rows. Not a
    /// column.
    pub warnings: Vec<String>,
}

type Col = Column<AccountRow>;

/// Account name from the config.
pub(crate) static ACCOUNT: Col =
    Col::new("account", "Account", Kind::Text, |r| Cell::str(&r.account))
        .width(24.0)
        .trend();
/// Its UIN (config, role ARN or learned from the API).
pub(crate) static UIN: Col =
    Col::new("uin", "UIN", Kind::Uin, |r| Cell::text(r.uin.as_deref())).trend();
/// `ok`, `partial` or `error`; `tcss_account_up`.
pub(crate) static STATUS: Col = Col::new("status", "Status", Kind::Status, |r| {
    Cell::str(r.status.as_str())
})
.trend()
.sample(Sample::of(&f::UP, None));
/// Regions that answered.
pub(crate) static REGIONS_OK: Col = Col::new("regions_ok", "Regions answered", Kind::Count, |r| {
    Cell::count(r.regions_ok)
})
.threshold(Scopes::Account);
/// Regions that did not answer.
pub(crate) static REGIONS_FAILED: Col =
    Col::new("regions_failed", "Regions failed", Kind::Count, |r| {
        Cell::count(r.regions_failed)
    })
    .threshold(Scopes::Account);
/// `TotalAuthorizedCnt`.
pub(crate) static TOTAL_AUTHORIZED: Col =
    Col::new("total_authorized", "Licenses total", Kind::Count, |r| {
        Cell::int(r.total_authorized)
    })
    .threshold(Scopes::Both)
    .compared()
    .total(Total::Sum)
    .trend()
    .sample(licenses("total"));
/// `UsedAuthorizedCnt`.
pub(crate) static USED_AUTHORIZED: Col =
    Col::new("used_authorized", "Licenses used", Kind::Count, |r| {
        Cell::int(r.used_authorized)
    })
    .threshold(Scopes::Both)
    .compared()
    .total(Total::Sum)
    .trend()
    .sample(licenses("used"));
/// Licenses total minus used; negative means over-use.
pub(crate) static REMAINING_AUTHORIZED: Col = Col::new(
    "remaining_authorized",
    "Licenses remaining",
    Kind::Count,
    |r| Cell::int(r.remaining_authorized),
)
.threshold(Scopes::Both)
.compared()
.total(Total::Sum)
.trend();
/// Licenses used over licenses total.
pub(crate) static UTILIZATION: Col = Col::new("utilization", "Utilization", Kind::Ratio, |r| {
    Cell::ratio(r.utilization)
})
.threshold(Scopes::Both)
.compared()
.total(Total::Weighted {
    num: &USED_AUTHORIZED,
    den: &TOTAL_AUTHORIZED,
})
.trend()
.sample(Sample::of(&f::UTILIZATION, Some(&f::TOTAL_UTILIZATION)));
/// `TrialAuthorizedCnt`.
pub(crate) static TRIAL_AUTHORIZED: Col =
    Col::new("trial_authorized", "Trial licenses", Kind::Count, |r| {
        Cell::int(r.trial_authorized)
    })
    .threshold(Scopes::Both)
    .total(Total::Sum)
    .sample(licenses("trial"));
/// `UsedTrialAuthorizedCnt`.
pub(crate) static USED_TRIAL_AUTHORIZED: Col = Col::new(
    "used_trial_authorized",
    "Trial licenses used",
    Kind::Count,
    |r| Cell::int(r.used_trial_authorized),
)
.threshold(Scopes::Both)
.total(Total::Sum)
.sample(licenses("used_trial"));
/// `PurchasedAuthorizedCnt`.
pub(crate) static PURCHASED_AUTHORIZED: Col = Col::new(
    "purchased_authorized",
    "Purchased licenses",
    Kind::Count,
    |r| Cell::int(r.purchased_authorized),
)
.threshold(Scopes::Both)
.total(Total::Sum)
.sample(licenses("purchased"));
/// `UsedPurchasedAuthorizedCnt`.
pub(crate) static USED_PURCHASED_AUTHORIZED: Col = Col::new(
    "used_purchased_authorized",
    "Purchased licenses used",
    Kind::Count,
    |r| Cell::int(r.used_purchased_authorized),
)
.threshold(Scopes::Both)
.total(Total::Sum)
.sample(licenses("used_purchased"));
/// `ScannedImageCnt`.
pub(crate) static SCANNED_IMAGES: Col =
    Col::new("scanned_images", "Scanned images", Kind::Count, |r| {
        Cell::int(r.scanned_images)
    })
    .threshold(Scopes::Both)
    .compared()
    .total(Total::Sum)
    .trend()
    .sample(images("scanned"));
/// `NotScannedImageCnt`.
pub(crate) static NOT_SCANNED_IMAGES: Col = Col::new(
    "not_scanned_images",
    "Images not scanned",
    Kind::Count,
    |r| Cell::int(r.not_scanned_images),
)
.threshold(Scopes::Both)
.total(Total::Sum)
.sample(images("not_scanned"));
/// `NotScannedLocalImageCnt`.
pub(crate) static NOT_SCANNED_LOCAL_IMAGES: Col = Col::new(
    "not_scanned_local_images",
    "Local images not scanned",
    Kind::Count,
    |r| Cell::int(r.not_scanned_local_images),
)
.threshold(Scopes::Both)
.total(Total::Sum)
.sample(images("not_scanned_local"));
/// Scanned plus not scanned images.
pub(crate) static TOTAL_IMAGES: Col = Col::new("total_images", "Total images", Kind::Count, |r| {
    Cell::int(r.total_images)
})
.threshold(Scopes::Both)
.total(Total::Sum);
/// Scanned images over all images.
pub(crate) static SCAN_COVERAGE: Col =
    Col::new("scan_coverage", "Scan coverage", Kind::Ratio, |r| {
        Cell::ratio(r.scan_coverage)
    })
    .threshold(Scopes::Both)
    .total(Total::Weighted {
        num: &SCANNED_IMAGES,
        den: &TOTAL_IMAGES,
    })
    .sample(Sample::of(&f::COVERAGE, Some(&f::TOTAL_COVERAGE)));
/// `RepeatImageIdCnt`: images both local and in a registry.
pub(crate) static DUPLICATE_IMAGES: Col =
    Col::new("duplicate_images", "Duplicate images", Kind::Count, |r| {
        Cell::int(r.duplicate_images)
    })
    .threshold(Scopes::Both)
    .compared()
    .total(Total::Sum)
    .trend()
    .sample(images("duplicate"));
/// Duplicate images over all images.
pub(crate) static DUPLICATE_RATIO: Col =
    Col::new("duplicate_ratio", "Duplicate ratio", Kind::Ratio, |r| {
        Cell::ratio(r.duplicate_ratio)
    })
    .threshold(Scopes::Both)
    .total(Total::Weighted {
        num: &DUPLICATE_IMAGES,
        den: &TOTAL_IMAGES,
    });
/// `CanApplyFreeImageAuthorize`.
pub(crate) static CAN_APPLY_FREE_AUTHORIZE: Col = Col::new(
    "can_apply_free_authorize",
    "Can apply for free licenses",
    Kind::Flag,
    |r| Cell::bool(r.can_apply_free_authorize),
);
/// `ImageScanInquireInfo.Capcity`.
pub(crate) static SCAN_QUOTA_CAPACITY: Col = Col::new(
    "scan_quota_capacity",
    "Scan quota capacity",
    Kind::Count,
    |r| Cell::int(r.scan_quota_capacity),
)
.threshold(Scopes::Both)
.total(Total::Sum)
.trend()
.sample(quota("capacity"));
/// `ImageScanInquireInfo.Useage`.
pub(crate) static SCAN_QUOTA_USED: Col =
    Col::new("scan_quota_used", "Scan quota used", Kind::Count, |r| {
        Cell::int(r.scan_quota_used)
    })
    .threshold(Scopes::Both)
    .compared()
    .total(Total::Sum)
    .trend()
    .sample(quota("used"));
/// Scan quota used over its capacity.
pub(crate) static SCAN_QUOTA_UTILIZATION: Col = Col::new(
    "scan_quota_utilization",
    "Scan quota utilization",
    Kind::Ratio,
    |r| Cell::ratio(r.scan_quota_utilization),
)
.threshold(Scopes::Both)
.total(Total::Weighted {
    num: &SCAN_QUOTA_USED,
    den: &SCAN_QUOTA_CAPACITY,
})
.trend()
.sample(Sample::of(&f::QUOTA_RATIO, Some(&f::TOTAL_QUOTA_RATIO)));
/// `ImageScanInquireInfo.PurchaseStatus`.
pub(crate) static SCAN_QUOTA_STATUS: Col =
    Col::new("scan_quota_status", "Scan quota status", Kind::Text, |r| {
        Cell::text(r.scan_quota_status.as_deref())
    })
    .width(18.0);
/// `ImageScanInquireInfo.StartTime`, Beijing time.
pub(crate) static SCAN_QUOTA_START: Col = Col::new(
    "scan_quota_start",
    "Scan quota starts (UTC+8)",
    Kind::Time,
    |r| Cell::time(r.scan_quota_start.as_ref()),
);
/// `ImageScanInquireInfo.EndTime`, Beijing time.
pub(crate) static SCAN_QUOTA_END: Col = Col::new(
    "scan_quota_end",
    "Scan quota ends (UTC+8)",
    Kind::Time,
    |r| Cell::time(r.scan_quota_end.as_ref()),
)
.sample(Sample::of(&f::QUOTA_END, None));
/// Whole days from the run's start to the quota's end.
pub(crate) static SCAN_QUOTA_DAYS_LEFT: Col = Col::new(
    "scan_quota_days_left",
    "Scan quota days left",
    Kind::Days,
    |r| Cell::int(r.scan_quota_days_left),
)
.threshold(Scopes::Account);
/// Account scope only: answering regions returned different data.
pub(crate) static REGION_MISMATCH: Col =
    Col::new("region_mismatch", "Regions disagree", Kind::Flag, |r| {
        Cell::Bool(r.region_mismatch)
    });
/// The first failed region's error code.
pub(crate) static ERROR_CODE: Col = Col::new("error_code", "Error code", Kind::Text, |r| {
    Cell::text(r.error_code.as_deref())
})
.width(32.0);
/// The first failed region's error message.
pub(crate) static ERROR_MESSAGE: Col =
    Col::new("error_message", "Error message", Kind::Text, |r| {
        Cell::text(r.error_message.as_deref())
    })
    .width(60.0);
/// The request id of the failure, or of the answer the numbers came from.
pub(crate) static REQUEST_ID: Col = Col::new("request_id", "Request ID", Kind::Text, |r| {
    Cell::text(r.request_id.as_deref())
})
.width(38.0);

/// `tcss_image_licenses{kind}` and its total.
const fn licenses(kind: &'static str) -> Sample {
    Sample::labelled(&f::LICENSES, Some(&f::TOTAL_LICENSES), ("kind", kind))
}

/// `tcss_images{state}` and its total.
const fn images(state: &'static str) -> Sample {
    Sample::labelled(&f::IMAGES, Some(&f::TOTAL_IMAGES), ("state", state))
}

/// `tcss_scan_quota{kind}` and its total.
const fn quota(kind: &'static str) -> Sample {
    Sample::labelled(&f::QUOTA, Some(&f::TOTAL_QUOTA), ("kind", kind))
}

/// The accounts table's columns, in the contract's order (tag columns
/// follow): the image licenses, then the license picture
/// (`super::license::LICENSE`, in its order).
pub(crate) static ACCOUNTS: [&Col; 51] = [
    &ACCOUNT,
    &UIN,
    &STATUS,
    &REGIONS_OK,
    &REGIONS_FAILED,
    &TOTAL_AUTHORIZED,
    &USED_AUTHORIZED,
    &REMAINING_AUTHORIZED,
    &UTILIZATION,
    &TRIAL_AUTHORIZED,
    &USED_TRIAL_AUTHORIZED,
    &PURCHASED_AUTHORIZED,
    &USED_PURCHASED_AUTHORIZED,
    &SCANNED_IMAGES,
    &NOT_SCANNED_IMAGES,
    &NOT_SCANNED_LOCAL_IMAGES,
    &TOTAL_IMAGES,
    &SCAN_COVERAGE,
    &DUPLICATE_IMAGES,
    &DUPLICATE_RATIO,
    &CAN_APPLY_FREE_AUTHORIZE,
    &SCAN_QUOTA_CAPACITY,
    &SCAN_QUOTA_USED,
    &SCAN_QUOTA_UTILIZATION,
    &SCAN_QUOTA_STATUS,
    &SCAN_QUOTA_START,
    &SCAN_QUOTA_END,
    &SCAN_QUOTA_DAYS_LEFT,
    &REGION_MISMATCH,
    &ERROR_CODE,
    &ERROR_MESSAGE,
    &REQUEST_ID,
    &l::EDITION,
    &l::EDITION_SUB_STATE,
    &l::EDITION_START,
    &l::EDITION_END,
    &l::EDITION_DAYS_LEFT,
    &l::AUTO_RENEW,
    &l::DAYS_TO_LAPSE,
    &l::CORES_TOTAL,
    &l::CORES_PROTECTED,
    &l::CORES_UNPROTECTED,
    &l::CORES_PURCHASED,
    &l::CORES_TRIAL,
    &l::CORES_FLEXIBLE,
    &l::CORES_FLEXIBLE_LIMIT,
    &l::CORE_COVERAGE,
    &l::IMAGE_LICENSES_GIVEN,
    &l::AUTO_AUTHORIZE,
    &l::AUTO_AUTHORIZE_DAILY_CAP,
    &l::AUTO_AUTHORIZE_HOSTS,
];

/// Prefix of the per-tag columns of the accounts CSV and sheet (`tag:<key>`).
pub(crate) const TAG_COLUMN_PREFIX: &str = "tag:";

/// The columns `--compare` reports the difference of, in table order.
pub(crate) fn compared() -> &'static [&'static Col] {
    static COMPARED: LazyLock<Vec<&'static Col>> =
        LazyLock::new(|| ACCOUNTS.iter().copied().filter(|c| c.compared).collect());
    &COMPARED
}

/// The columns the run's totals have, in table order (`Totals` holds
/// their totals in this order).
pub(crate) fn totalled() -> &'static [&'static Col] {
    static TOTALLED: LazyLock<Vec<&'static Col>> = LazyLock::new(|| {
        ACCOUNTS
            .iter()
            .copied()
            .filter(|c| !matches!(c.total, Total::None))
            .collect()
    });
    &TOTALLED
}
