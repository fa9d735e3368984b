//! The whole license picture of an account: its Pro edition and term, its
//! core licenses and its automatic image authorization ([`License`], a
//! part of every [`AccountRow`], filled by `aggregate` from
//! `DescribePurchaseStateInfo` and `DescribeImageAutoAuthorizedRule`), its
//! columns in the contract's order ([`LICENSE`], after `request_id` in the
//! accounts table), the counts of editions in the run's totals
//! ([`EditionCounts`], [`EDITION_COUNTS`]), and the words the reports print
//! for the API's numbers: documented values by name, any other kept as
//! `unknown:<value>`, never guessed.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset};
use tcapi::tcss::{AutoRenewal, EditionState};

use super::accounts::AccountRow;
use super::families as f;
use super::totals::Totals;
use super::{Cell, Column, Kind, Sample, Scopes, Total};

/// `auto_authorize`: whether and how images are authorized automatically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoAuthorize {
    /// `IsEnabled` 0: no automatic authorization.
    Off,
    /// `RangeType` `ALL`: every new image.
    All,
    /// `RangeType` `MANUAL`: the images of the chosen hosts.
    Manual,
    /// Another `RangeType`, as sent.
    Other(String),
}

/// An account's edition, cores and automatic authorization; `None` is
/// empty (not collected, not answered, or not in the answer).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct License {
    /// `State`.
    pub edition: Option<EditionState>,
    /// `SubState` as sent (`None` when empty).
    pub edition_sub_state: Option<String>,
    /// `BeginTime` at `+08:00`.
    pub edition_start: Option<DateTime<FixedOffset>>,
    /// `ExpirationTime` at `+08:00`.
    pub edition_end: Option<DateTime<FixedOffset>>,
    /// Whole days from the run's start to `edition_end` (floored; negative once past).
    pub edition_days_left: Option<i64>,
    /// `AutomaticRenewal`.
    pub auto_renew: Option<AutoRenewal>,
    /// `edition_days_left` unless the edition renews automatically.
    pub days_to_lapse: Option<i64>,
    /// `AllCoresCnt`.
    pub cores_total: Option<i64>,
    /// `CoresCnt`.
    pub cores_protected: Option<i64>,
    /// `UndefendCoresCnt`.
    pub cores_unprotected: Option<i64>,
    /// `AuthorizedCoresCnt`.
    pub cores_purchased: Option<i64>,
    /// `GivenAuthorizedCoresCnt`.
    pub cores_trial: Option<i64>,
    /// `CurrentFlexibleCoresCnt`.
    pub cores_flexible: Option<i64>,
    /// `FlexibleCoresLimit`.
    pub cores_flexible_limit: Option<i64>,
    /// `cores_protected / cores_total`.
    pub core_coverage: Option<f64>,
    /// `GivenAuthorizedCnt`.
    pub image_licenses_given: Option<i64>,
    /// `IsEnabled` and `RangeType`.
    pub auto_authorize: Option<AutoAuthorize>,
    /// `MaxDailyCount` (0: no cap).
    pub auto_authorize_daily_cap: Option<i64>,
    /// `HostCount`.
    pub auto_authorize_hosts: Option<i64>,
}

/// The word of an edition's `State`: `trial_available`, `purchase_only`,
/// `trial`, `pro`, `pro_expired`, else `unknown:<n>`.
pub fn edition_word(state: EditionState) -> Cow<'static, str> {
    Cow::Borrowed(match state {
        EditionState::TrialAvailable => "trial_available",
        EditionState::PurchaseOnly => "purchase_only",
        EditionState::Trial => "trial",
        EditionState::Pro => "pro",
        EditionState::ProExpired => "pro_expired",
        EditionState::Other(n) => return Cow::Owned(format!("unknown:{n}")),
    })
}

/// The edition whose word ([`edition_word`]) is `word` (as the history
/// keeps it); `None` for any other text.
pub fn edition_of_word(word: &str) -> Option<EditionState> {
    Some(match word {
        "trial_available" => EditionState::TrialAvailable,
        "purchase_only" => EditionState::PurchaseOnly,
        "trial" => EditionState::Trial,
        "pro" => EditionState::Pro,
        "pro_expired" => EditionState::ProExpired,
        other => EditionState::Other(other.strip_prefix("unknown:")?.parse().ok()?),
    })
}

/// The word of `AutomaticRenewal`: `unset`, `on`, `off`, else `unknown:<n>`.
pub fn renewal_word(renewal: AutoRenewal) -> Cow<'static, str> {
    Cow::Borrowed(match renewal {
        AutoRenewal::Unset => "unset",
        AutoRenewal::On => "on",
        AutoRenewal::Off => "off",
        AutoRenewal::Other(n) => return Cow::Owned(format!("unknown:{n}")),
    })
}

/// The word of the automatic authorization: `off`, `all`, `manual`, else
/// `unknown:<RangeType>`.
pub fn auto_authorize_word(a: &AutoAuthorize) -> Cow<'_, str> {
    Cow::Borrowed(match a {
        AutoAuthorize::Off => "off",
        AutoAuthorize::All => "all",
        AutoAuthorize::Manual => "manual",
        AutoAuthorize::Other(s) => return Cow::Owned(format!("unknown:{s}")),
    })
}

type Col = Column<AccountRow>;

/// `tcss_core_licenses{kind}` and, for the summed ones, its total.
const fn cores(kind: &'static str) -> Sample {
    Sample::labelled(&f::CORES, Some(&f::TOTAL_CORES), ("kind", kind))
}

/// The edition's state.
pub(crate) static EDITION: Col = Col::new("edition", "Edition", Kind::Text, |r| {
    r.license
        .edition
        .map_or(Cell::Empty, |s| Cell::Text(edition_word(s)))
})
.width(16.0);
/// `SubState`, as sent.
pub(crate) static EDITION_SUB_STATE: Col =
    Col::new("edition_sub_state", "Edition sub-state", Kind::Text, |r| {
        Cell::text(r.license.edition_sub_state.as_deref())
    })
    .width(16.0);
/// `BeginTime`, Beijing time.
pub(crate) static EDITION_START: Col =
    Col::new("edition_start", "Edition starts (UTC+8)", Kind::Time, |r| {
        Cell::time(r.license.edition_start.as_ref())
    });
/// `ExpirationTime`, Beijing time.
pub(crate) static EDITION_END: Col =
    Col::new("edition_end", "Edition ends (UTC+8)", Kind::Time, |r| {
        Cell::time(r.license.edition_end.as_ref())
    })
    .sample(Sample::of(&f::EDITION_END, None));
/// Whole days from the run's start to the edition's end.
pub(crate) static EDITION_DAYS_LEFT: Col =
    Col::new("edition_days_left", "Edition days left", Kind::Days, |r| {
        Cell::int(r.license.edition_days_left)
    })
    .threshold(Scopes::Account);
/// `AutomaticRenewal`.
pub(crate) static AUTO_RENEW: Col = Col::new("auto_renew", "Auto-renewal", Kind::Text, |r| {
    r.license
        .auto_renew
        .map_or(Cell::Empty, |a| Cell::Text(renewal_word(a)))
});
/// The days until the edition lapses for want of renewal.
pub(crate) static DAYS_TO_LAPSE: Col =
    Col::new("days_to_lapse", "Days to lapse", Kind::Days, |r| {
        Cell::int(r.license.days_to_lapse)
    })
    .threshold(Scopes::Account);
/// `AllCoresCnt`.
pub(crate) static CORES_TOTAL: Col = Col::new("cores_total", "Cores", Kind::Count, |r| {
    Cell::int(r.license.cores_total)
})
.threshold(Scopes::Both)
.compared()
.total(Total::Sum)
.trend()
.sample(cores("total"));
/// `CoresCnt`.
pub(crate) static CORES_PROTECTED: Col =
    Col::new("cores_protected", "Cores protected", Kind::Count, |r| {
        Cell::int(r.license.cores_protected)
    })
    .threshold(Scopes::Both)
    .compared()
    .total(Total::Sum)
    .sample(cores("protected"));
/// `UndefendCoresCnt`.
pub(crate) static CORES_UNPROTECTED: Col =
    Col::new("cores_unprotected", "Cores unprotected", Kind::Count, |r| {
        Cell::int(r.license.cores_unprotected)
    })
    .threshold(Scopes::Both)
    .compared()
    .total(Total::Sum)
    .trend()
    .sample(cores("unprotected"));
/// `AuthorizedCoresCnt`.
pub(crate) static CORES_PURCHASED: Col =
    Col::new("cores_purchased", "Cores purchased", Kind::Count, |r| {
        Cell::int(r.license.cores_purchased)
    })
    .threshold(Scopes::Both)
    .total(Total::Sum)
    .sample(cores("purchased"));
/// `GivenAuthorizedCoresCnt`.
pub(crate) static CORES_TRIAL: Col = Col::new("cores_trial", "Trial cores", Kind::Count, |r| {
    Cell::int(r.license.cores_trial)
})
.threshold(Scopes::Account)
.sample(cores("trial"));
/// `CurrentFlexibleCoresCnt`.
pub(crate) static CORES_FLEXIBLE: Col =
    Col::new("cores_flexible", "Flexible cores", Kind::Count, |r| {
        Cell::int(r.license.cores_flexible)
    })
    .threshold(Scopes::Account)
    .sample(cores("flexible"));
/// `FlexibleCoresLimit`.
pub(crate) static CORES_FLEXIBLE_LIMIT: Col = Col::new(
    "cores_flexible_limit",
    "Flexible cores limit",
    Kind::Count,
    |r| Cell::int(r.license.cores_flexible_limit),
)
.threshold(Scopes::Account);
/// Protected cores over all cores.
pub(crate) static CORE_COVERAGE: Col =
    Col::new("core_coverage", "Core coverage", Kind::Ratio, |r| {
        Cell::ratio(r.license.core_coverage)
    })
    .threshold(Scopes::Both)
    .total(Total::Weighted {
        num: &CORES_PROTECTED,
        den: &CORES_TOTAL,
    });
/// `GivenAuthorizedCnt`: image licenses given with the trial.
pub(crate) static IMAGE_LICENSES_GIVEN: Col = Col::new(
    "image_licenses_given",
    "Image licenses given",
    Kind::Count,
    |r| Cell::int(r.license.image_licenses_given),
)
.threshold(Scopes::Account);
/// The automatic image authorization: `off`, `all` or `manual`.
pub(crate) static AUTO_AUTHORIZE: Col =
    Col::new("auto_authorize", "Auto-authorization", Kind::Text, |r| {
        r.license
            .auto_authorize
            .as_ref()
            .map_or(Cell::Empty, |a| Cell::Text(auto_authorize_word(a)))
    })
    .width(16.0);
/// `MaxDailyCount` (0: no cap).
pub(crate) static AUTO_AUTHORIZE_DAILY_CAP: Col = Col::new(
    "auto_authorize_daily_cap",
    "Auto-authorization daily cap",
    Kind::Count,
    |r| Cell::int(r.license.auto_authorize_daily_cap),
)
.threshold(Scopes::Account);
/// `HostCount`.
pub(crate) static AUTO_AUTHORIZE_HOSTS: Col = Col::new(
    "auto_authorize_hosts",
    "Auto-authorization hosts",
    Kind::Count,
    |r| Cell::int(r.license.auto_authorize_hosts),
)
.threshold(Scopes::Account);

/// The license columns, in the contract's order (after `request_id`).
#[cfg(test)]
pub(crate) static LICENSE: [&Col; 19] = [
    &EDITION,
    &EDITION_SUB_STATE,
    &EDITION_START,
    &EDITION_END,
    &EDITION_DAYS_LEFT,
    &AUTO_RENEW,
    &DAYS_TO_LAPSE,
    &CORES_TOTAL,
    &CORES_PROTECTED,
    &CORES_UNPROTECTED,
    &CORES_PURCHASED,
    &CORES_TRIAL,
    &CORES_FLEXIBLE,
    &CORES_FLEXIBLE_LIMIT,
    &CORE_COVERAGE,
    &IMAGE_LICENSES_GIVEN,
    &AUTO_AUTHORIZE,
    &AUTO_AUTHORIZE_DAILY_CAP,
    &AUTO_AUTHORIZE_HOSTS,
];

/// Editions lapsing within this many days are counted
/// (`editions_lapsing_30d`).
pub const LAPSING_DAYS: i64 = 30;

/// The run's editions, over the accounts counted in the totals whose
/// edition is known; each `None` (empty) when no such account knows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EditionCounts {
    /// Accounts whose edition is `pro`.
    pub pro: Option<usize>,
    /// Accounts whose edition is `trial`.
    pub trial: Option<usize>,
    /// Accounts whose edition is `pro_expired`.
    pub pro_expired: Option<usize>,
    /// Accounts with `0 <= days_to_lapse <= 30`.
    pub lapsing_30d: Option<usize>,
}

type Count = Column<Totals>;

/// A count of editions, a threshold metric of the totals.
const fn count(key: &'static str, label: &'static str, source: fn(&Totals) -> Cell<'_>) -> Count {
    Count::new(key, label, Kind::Count, source).threshold(Scopes::Total)
}

/// Accounts with the Pro edition in effect.
pub(crate) static ACCOUNTS_PRO: Count = count("accounts_pro", "Accounts on Pro", |t| {
    t.editions.pro.map_or(Cell::Empty, Cell::count)
});
/// Accounts on the Pro trial.
pub(crate) static ACCOUNTS_TRIAL: Count = count("accounts_trial", "Accounts on trial", |t| {
    t.editions.trial.map_or(Cell::Empty, Cell::count)
});
/// Accounts whose Pro edition expired.
pub(crate) static ACCOUNTS_PRO_EXPIRED: Count =
    count("accounts_pro_expired", "Accounts with Pro expired", |t| {
        t.editions.pro_expired.map_or(Cell::Empty, Cell::count)
    });
/// Editions lapsing within 30 days for want of renewal.
pub(crate) static EDITIONS_LAPSING_30D: Count = count(
    "editions_lapsing_30d",
    "Editions lapsing within 30 days",
    |t| t.editions.lapsing_30d.map_or(Cell::Empty, Cell::count),
)
.trend();

/// The totals' counts of editions, in JSON key order (after the accounts
/// columns' totals).
pub(crate) static EDITION_COUNTS: [&Count; 4] = [
    &ACCOUNTS_PRO,
    &ACCOUNTS_TRIAL,
    &ACCOUNTS_PRO_EXPIRED,
    &EDITIONS_LAPSING_30D,
];
