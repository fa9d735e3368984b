//! The regions table (`<stem>.regions.csv`, JSON `regions`, the Regions
//! sheet, `region_snapshots`): [`RegionRow`], one per
//! `DescribeImageAuthorizedInfo` query, with the API's fields as answered,
//! and its columns ([`REGIONS`]). The account-wide queries are rows of the
//! same type without those fields (JSON `account_queries`,
//! [`ACCOUNT_QUERIES`]); the Errors sheet shows some columns of both
//! ([`ERRORS`]), with the action.

use std::fmt;

use chrono::{DateTime, FixedOffset};

use super::{Cell, Column, Kind};

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

/// One query: its outcome and, for a `DescribeImageAuthorizedInfo` query
/// (a row of the regions table), the raw API fields; an account-wide
/// query (JSON `account_queries`) has none of them.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionRow {
    /// Account name.
    pub account: String,
    /// The account's UIN (as in its [`AccountRow`](super::accounts::AccountRow)).
    pub uin: Option<String>,
    /// The API action (`DescribeImageAuthorizedInfo`, or an account-wide one).
    pub action: &'static str,
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
    /// The `DescribeImageAuthorizedInfo` fields of an answered query of
    /// the regions table (`None` otherwise: an account-wide query, or one
    /// that did not answer); read them with [`RegionRow::image`]. Boxed, so
    /// the 20,000 account-wide rows of a 10,000-account run and the failed
    /// ones do not carry them (a row is a third the size), and each answer's
    /// box is freed as its row's is made.
    pub image: Option<Box<ImageFields>>,
    /// What cannot all be true about the answer (negative counts, no
    /// fields at all, see `aggregate::warnings`; over-use is not one),
    /// about its account's numbers as a whole (`AccountRow::warnings`), or
    /// that its account is counted in another's row
    /// (`aggregate::shared_uin`); findings joined by `; `.
    pub warning: Option<String>,
}

/// The raw API fields of one `DescribeImageAuthorizedInfo` answer, as the
/// regions table prints them (every one `None` when the API left it out).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImageFields {
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
}

/// The fields of a row without an answer: every one unknown.
static NO_IMAGE: ImageFields = ImageFields {
    total_authorized: None,
    used_authorized: None,
    trial_authorized: None,
    used_trial_authorized: None,
    purchased_authorized: None,
    used_purchased_authorized: None,
    scanned_images: None,
    not_scanned_images: None,
    not_scanned_local_images: None,
    duplicate_images: None,
    can_apply_free_authorize: None,
    scan_quota_key: None,
    scan_quota_resource_id: None,
    scan_quota_capacity: None,
    scan_quota_used: None,
    scan_quota_pay_num: None,
    scan_quota_trial_num: None,
    scan_quota_pay_usage: None,
    scan_quota_status: None,
    scan_quota_start: None,
    scan_quota_end: None,
};

impl RegionRow {
    /// The answer's fields; every one `None` for a query without them.
    pub fn image(&self) -> &ImageFields {
        self.image.as_deref().unwrap_or(&NO_IMAGE)
    }
}

type Col = Column<RegionRow>;

/// Account name.
pub(crate) static ACCOUNT: Col =
    Col::new("account", "Account", Kind::Text, |r| Cell::str(&r.account)).width(24.0);
/// The account's UIN.
pub(crate) static UIN: Col = Col::new("uin", "UIN", Kind::Uin, |r| Cell::text(r.uin.as_deref()));
/// The API action.
pub(crate) static ACTION: Col =
    Col::new("action", "Action", Kind::Text, |r| Cell::str(r.action)).width(32.0);
/// The region queried.
pub(crate) static REGION: Col =
    Col::new("region", "Region", Kind::Text, |r| Cell::str(&r.region)).width(16.0);
/// `ok`, `error` or `cancelled`.
pub(crate) static STATUS: Col = Col::new("status", "Status", Kind::Status, |r| {
    Cell::str(r.status.as_str())
});
/// Attempts made.
pub(crate) static ATTEMPTS: Col = Col::new("attempts", "Attempts", Kind::Count, |r| {
    Cell::count(r.attempts)
});
/// Attempts answered with throttling.
pub(crate) static THROTTLED: Col = Col::new("throttled", "Throttled attempts", Kind::Count, |r| {
    Cell::count(r.throttled)
});
/// Wall time from the first attempt to the outcome.
pub(crate) static LATENCY_MS: Col = Col::new("latency_ms", "Latency (ms)", Kind::Count, |r| {
    Cell::count(r.latency_ms)
});
/// The request id of the last answer.
pub(crate) static REQUEST_ID: Col = Col::new("request_id", "Request ID", Kind::Text, |r| {
    Cell::text(r.request_id.as_deref())
})
.width(38.0);
/// The error code (`Cancelled` for cancelled queries).
pub(crate) static ERROR_CODE: Col = Col::new("error_code", "Error code", Kind::Text, |r| {
    Cell::text(r.error_code.as_deref())
})
.width(32.0);
/// The error message.
pub(crate) static ERROR_MESSAGE: Col =
    Col::new("error_message", "Error message", Kind::Text, |r| {
        Cell::text(r.error_message.as_deref())
    })
    .width(60.0);
/// `TotalAuthorizedCnt`.
static TOTAL_AUTHORIZED: Col = Col::new("total_authorized", "Licenses total", Kind::Count, |r| {
    Cell::int(r.image().total_authorized)
});
/// `UsedAuthorizedCnt`.
static USED_AUTHORIZED: Col = Col::new("used_authorized", "Licenses used", Kind::Count, |r| {
    Cell::int(r.image().used_authorized)
});
/// `TrialAuthorizedCnt`.
static TRIAL_AUTHORIZED: Col = Col::new("trial_authorized", "Trial licenses", Kind::Count, |r| {
    Cell::int(r.image().trial_authorized)
});
/// `UsedTrialAuthorizedCnt`.
static USED_TRIAL_AUTHORIZED: Col = Col::new(
    "used_trial_authorized",
    "Trial licenses used",
    Kind::Count,
    |r| Cell::int(r.image().used_trial_authorized),
);
/// `PurchasedAuthorizedCnt`.
static PURCHASED_AUTHORIZED: Col = Col::new(
    "purchased_authorized",
    "Purchased licenses",
    Kind::Count,
    |r| Cell::int(r.image().purchased_authorized),
);
/// `UsedPurchasedAuthorizedCnt`.
static USED_PURCHASED_AUTHORIZED: Col = Col::new(
    "used_purchased_authorized",
    "Purchased licenses used",
    Kind::Count,
    |r| Cell::int(r.image().used_purchased_authorized),
);
/// `ScannedImageCnt`.
static SCANNED_IMAGES: Col = Col::new("scanned_images", "Scanned images", Kind::Count, |r| {
    Cell::int(r.image().scanned_images)
});
/// `NotScannedImageCnt`.
static NOT_SCANNED_IMAGES: Col = Col::new(
    "not_scanned_images",
    "Images not scanned",
    Kind::Count,
    |r| Cell::int(r.image().not_scanned_images),
);
/// `NotScannedLocalImageCnt`.
static NOT_SCANNED_LOCAL_IMAGES: Col = Col::new(
    "not_scanned_local_images",
    "Local images not scanned",
    Kind::Count,
    |r| Cell::int(r.image().not_scanned_local_images),
);
/// `RepeatImageIdCnt`.
static DUPLICATE_IMAGES: Col = Col::new("duplicate_images", "Duplicate images", Kind::Count, |r| {
    Cell::int(r.image().duplicate_images)
});
/// `CanApplyFreeImageAuthorize`.
static CAN_APPLY_FREE_AUTHORIZE: Col = Col::new(
    "can_apply_free_authorize",
    "Can apply for free licenses",
    Kind::Flag,
    |r| Cell::bool(r.image().can_apply_free_authorize),
);
/// `ImageScanInquireInfo.InquireKey`.
static SCAN_QUOTA_KEY: Col = Col::new("scan_quota_key", "Scan quota key", Kind::Text, |r| {
    Cell::text(r.image().scan_quota_key.as_deref())
})
.width(34.0);
/// `ImageScanInquireInfo.ResourceID`.
static SCAN_QUOTA_RESOURCE_ID: Col = Col::new(
    "scan_quota_resource_id",
    "Scan quota resource ID",
    Kind::Text,
    |r| Cell::text(r.image().scan_quota_resource_id.as_deref()),
)
.width(26.0);
/// `ImageScanInquireInfo.Capcity`.
static SCAN_QUOTA_CAPACITY: Col = Col::new(
    "scan_quota_capacity",
    "Scan quota capacity",
    Kind::Count,
    |r| Cell::int(r.image().scan_quota_capacity),
);
/// `ImageScanInquireInfo.Useage`.
static SCAN_QUOTA_USED: Col = Col::new("scan_quota_used", "Scan quota used", Kind::Count, |r| {
    Cell::int(r.image().scan_quota_used)
});
/// `ImageScanInquireInfo.PayNum`.
static SCAN_QUOTA_PAY_NUM: Col =
    Col::new("scan_quota_pay_num", "Paid scan quota", Kind::Count, |r| {
        Cell::int(r.image().scan_quota_pay_num)
    });
/// `ImageScanInquireInfo.TrialNum`.
static SCAN_QUOTA_TRIAL_NUM: Col = Col::new(
    "scan_quota_trial_num",
    "Trial scan quota",
    Kind::Count,
    |r| Cell::int(r.image().scan_quota_trial_num),
);
/// `ImageScanInquireInfo.PayUsage`.
static SCAN_QUOTA_PAY_USAGE: Col = Col::new(
    "scan_quota_pay_usage",
    "Paid scan quota used",
    Kind::Count,
    |r| Cell::int(r.image().scan_quota_pay_usage),
);
/// `ImageScanInquireInfo.PurchaseStatus`.
static SCAN_QUOTA_STATUS: Col =
    Col::new("scan_quota_status", "Scan quota status", Kind::Text, |r| {
        Cell::text(r.image().scan_quota_status.as_deref())
    })
    .width(18.0);
/// `ImageScanInquireInfo.StartTime`, Beijing time.
static SCAN_QUOTA_START: Col = Col::new(
    "scan_quota_start",
    "Scan quota starts (UTC+8)",
    Kind::Time,
    |r| Cell::time(r.image().scan_quota_start.as_ref()),
);
/// `ImageScanInquireInfo.EndTime`, Beijing time.
static SCAN_QUOTA_END: Col = Col::new(
    "scan_quota_end",
    "Scan quota ends (UTC+8)",
    Kind::Time,
    |r| Cell::time(r.image().scan_quota_end.as_ref()),
);
/// What is impossible about the answer, or about its account.
pub(crate) static WARNING: Col = Col::new("warning", "Warning", Kind::Text, |r| {
    Cell::text(r.warning.as_deref())
});

/// The regions table's columns.
pub(crate) static REGIONS: [&Col; 32] = [
    &ACCOUNT,
    &UIN,
    &REGION,
    &STATUS,
    &ATTEMPTS,
    &THROTTLED,
    &LATENCY_MS,
    &REQUEST_ID,
    &ERROR_CODE,
    &ERROR_MESSAGE,
    &TOTAL_AUTHORIZED,
    &USED_AUTHORIZED,
    &TRIAL_AUTHORIZED,
    &USED_TRIAL_AUTHORIZED,
    &PURCHASED_AUTHORIZED,
    &USED_PURCHASED_AUTHORIZED,
    &SCANNED_IMAGES,
    &NOT_SCANNED_IMAGES,
    &NOT_SCANNED_LOCAL_IMAGES,
    &DUPLICATE_IMAGES,
    &CAN_APPLY_FREE_AUTHORIZE,
    &SCAN_QUOTA_KEY,
    &SCAN_QUOTA_RESOURCE_ID,
    &SCAN_QUOTA_CAPACITY,
    &SCAN_QUOTA_USED,
    &SCAN_QUOTA_PAY_NUM,
    &SCAN_QUOTA_TRIAL_NUM,
    &SCAN_QUOTA_PAY_USAGE,
    &SCAN_QUOTA_STATUS,
    &SCAN_QUOTA_START,
    &SCAN_QUOTA_END,
    &WARNING,
];

/// JSON `account_queries`: one object per account-wide query (asked once
/// per account, in its first region).
pub(crate) static ACCOUNT_QUERIES: [&Col; 10] = [
    &ACCOUNT,
    &UIN,
    &ACTION,
    &REGION,
    &STATUS,
    &ERROR_CODE,
    &ERROR_MESSAGE,
    &REQUEST_ID,
    &ATTEMPTS,
    &LATENCY_MS,
];

/// The columns of the XLSX's Errors sheet: every query of any action that
/// did not answer or answered with a warning.
pub(crate) static ERRORS: [&Col; 12] = [
    &ACCOUNT,
    &UIN,
    &ACTION,
    &REGION,
    &STATUS,
    &ERROR_CODE,
    &ERROR_MESSAGE,
    &REQUEST_ID,
    &ATTEMPTS,
    &THROTTLED,
    &LATENCY_MS,
    &WARNING,
];
