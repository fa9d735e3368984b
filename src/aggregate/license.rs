//! The license picture of one account ([`License`]) from its account-wide
//! answers (`DescribePurchaseStateInfo`, `DescribeImageAutoAuthorizedRule`),
//! and the counts of editions over any accounts ([`EditionCounter`]). The contract's
//! rules: every field may be missing or `null` (its column is then empty),
//! unknown enum values are kept, times are Beijing time written at
//! `+08:00`, days are whole days from the run's start (rounded down), and
//! `days_to_lapse` is empty when the edition renews automatically. Pure.

use tcapi::tcss::{
    AutoAuthorizeRange, AutoRenewal, EditionState, ImageAutoAuthorizedRule, PurchaseStateInfo,
};

use super::rows::{days_left, parse_beijing_time};
use super::{AccountRow, Aggregate};
use crate::columns::license::{AutoAuthorize, EditionCounts, License, LAPSING_DAYS};
use crate::model::RunInfo;

/// A count the API sends unsigned, as the reports hold it (`None` beyond
/// `i64::MAX`, which no count reaches).
fn signed(n: Option<u64>) -> Option<i64> {
    n.and_then(|n| i64::try_from(n).ok())
}

/// `num / den` when both are known and `den` is not 0.
fn ratio(num: Option<i64>, den: Option<i64>) -> Option<f64> {
    match (num, den) {
        (Some(n), Some(d)) if d != 0 => Some(n as f64 / d as f64),
        _ => None,
    }
}

/// The account's license picture: the edition from `purchase`, the
/// automatic authorization from `rule` (either `None` when not collected
/// or not answered: its columns empty).
pub(super) fn license(
    purchase: Option<&PurchaseStateInfo>,
    rule: Option<&ImageAutoAuthorizedRule>,
    run: &RunInfo,
) -> License {
    let mut l = match purchase {
        Some(p) => edition(p, run),
        None => License::default(),
    };
    if let Some(r) = rule {
        l.auto_authorize = auto_authorize(r);
        l.auto_authorize_daily_cap = r.max_daily_count;
        l.auto_authorize_hosts = r.host_count;
    }
    l
}

/// The edition, its term and the cores of a `DescribePurchaseStateInfo` answer.
fn edition(p: &PurchaseStateInfo, run: &RunInfo) -> License {
    let time = |t: &Option<String>| t.as_deref().and_then(parse_beijing_time);
    let edition_end = time(&p.expiration_time);
    let edition_days_left = edition_end.map(|end| days_left(&end, run));
    let days_to_lapse = match p.automatic_renewal {
        Some(AutoRenewal::On) => None,
        _ => edition_days_left,
    };
    let cores_total = signed(p.all_cores_cnt);
    let cores_protected = signed(p.cores_cnt);
    License {
        edition: p.state,
        edition_sub_state: p.sub_state.clone().filter(|s| !s.is_empty()),
        edition_start: time(&p.begin_time),
        edition_end,
        edition_days_left,
        auto_renew: p.automatic_renewal,
        days_to_lapse,
        cores_total,
        cores_protected,
        cores_unprotected: signed(p.undefend_cores_cnt),
        cores_purchased: signed(p.authorized_cores_cnt),
        cores_trial: p.given_authorized_cores_cnt,
        cores_flexible: signed(p.current_flexible_cores_cnt),
        cores_flexible_limit: signed(p.flexible_cores_limit),
        core_coverage: ratio(cores_protected, cores_total),
        image_licenses_given: signed(p.given_authorized_cnt),
        ..License::default()
    }
}

/// `off` when `IsEnabled` is 0, else the range (`None` when either is
/// unknown: never guessed).
fn auto_authorize(r: &ImageAutoAuthorizedRule) -> Option<AutoAuthorize> {
    match (r.is_enabled?, &r.range_type) {
        (0, _) => Some(AutoAuthorize::Off),
        (_, Some(AutoAuthorizeRange::All)) => Some(AutoAuthorize::All),
        (_, Some(AutoAuthorizeRange::Manual)) => Some(AutoAuthorize::Manual),
        (_, Some(AutoAuthorizeRange::Other(s))) => Some(AutoAuthorize::Other(s.clone())),
        (_, None) => None,
    }
}

/// The running counts of editions ([`EditionCounts`]) over the rows the
/// totals count (not `error`, not counted in another row: the caller's
/// rule, `totals::AccountTotals`), by their edition and `days_to_lapse`;
/// every count empty when no row's edition is known. The same counter for
/// any set of accounts: the run's totals, or a group's.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct EditionCounter {
    known: usize,
    pro: usize,
    trial: usize,
    pro_expired: usize,
    lapsing: usize,
}

impl EditionCounter {
    /// Counts a row on `edition` (nothing when unknown) lapsing in
    /// `days_to_lapse` days.
    pub(crate) fn add(&mut self, edition: Option<EditionState>, days_to_lapse: Option<i64>) {
        let Some(edition) = edition else {
            return;
        };
        self.known += 1;
        match edition {
            EditionState::Pro => self.pro += 1,
            EditionState::Trial => self.trial += 1,
            EditionState::ProExpired => self.pro_expired += 1,
            _ => {}
        }
        self.lapsing += usize::from(lapses_within(days_to_lapse, LAPSING_DAYS));
    }

    /// The counts, each empty when no edition is known.
    pub(crate) fn counts(&self) -> EditionCounts {
        let some = |n: usize| (self.known > 0).then_some(n);
        EditionCounts {
            pro: some(self.pro),
            trial: some(self.trial),
            pro_expired: some(self.pro_expired),
            lapsing_30d: some(self.lapsing),
        }
    }
}

/// Whether `0 <= days_to_lapse <= days`.
fn lapses_within(days_to_lapse: Option<i64>, days: i64) -> bool {
    days_to_lapse.is_some_and(|d| (0..=days).contains(&d))
}

/// The editions at a glance, for the summaries (each account once: a row
/// counted in another's is left out).
impl Aggregate {
    /// How many accounts are on each edition, in the documented states'
    /// order then the unknown ones (by value); editions no account is on
    /// are left out.
    pub fn accounts_by_edition(&self) -> Vec<(EditionState, usize)> {
        let mut counts: Vec<(EditionState, usize)> = Vec::new();
        for l in self.once().filter_map(|a| a.license.edition) {
            match counts.iter_mut().find(|(s, _)| *s == l) {
                Some((_, n)) => *n += 1,
                None => counts.push((l, 1)),
            }
        }
        counts.sort_by_key(|(s, _)| match *s {
            EditionState::Other(n) => (1, n),
            known => (0, i64::from(known)),
        });
        counts
    }

    /// The accounts whose edition lapses for want of renewal within `days`
    /// days (`0 <= days_to_lapse <= days`), soonest first (then by name).
    pub fn lapsing_editions(&self, days: i64) -> Vec<&AccountRow> {
        let left = |a: &AccountRow| a.license.days_to_lapse;
        let rows: Vec<&AccountRow> = self
            .once()
            .filter(|a| lapses_within(left(a), days))
            .collect();
        soonest_first(rows, left)
    }

    /// The accounts whose edition ends within `days` days
    /// (`0 <= edition_days_left <= days`), renewing automatically or not,
    /// soonest first (then by name); an edition already `pro_expired` is
    /// not among them (it is in [`Aggregate::editions_ended`]).
    pub fn editions_ending(&self, days: i64) -> Vec<&AccountRow> {
        let left = |a: &AccountRow| a.license.edition_days_left;
        let rows: Vec<&AccountRow> = self
            .once()
            .filter(|a| a.license.edition != Some(EditionState::ProExpired))
            .filter(|a| left(a).is_some_and(|d| (0..=days).contains(&d)))
            .collect();
        soonest_first(rows, left)
    }

    /// The accounts whose edition has ended: `pro_expired`, or an end
    /// already past (`edition_days_left < 0`); the most recently ended
    /// first (an unknown end last), then by name.
    pub fn editions_ended(&self) -> Vec<&AccountRow> {
        let left = |a: &AccountRow| a.license.edition_days_left;
        let mut rows: Vec<&AccountRow> = self
            .once()
            .filter(|a| {
                a.license.edition == Some(EditionState::ProExpired)
                    || left(a).is_some_and(|d| d < 0)
            })
            .collect();
        rows.sort_by(|a, b| {
            left(a)
                .is_none()
                .cmp(&left(b).is_none())
                .then_with(|| left(b).cmp(&left(a)))
                .then_with(|| a.account.cmp(&b.account))
        });
        rows
    }

    /// The accounts with unprotected cores (`cores_unprotected > 0`), the
    /// most first (then by name).
    pub fn unprotected_cores(&self) -> Vec<&AccountRow> {
        let n = |a: &AccountRow| a.license.cores_unprotected.unwrap_or(0);
        let mut rows: Vec<&AccountRow> = self.once().filter(|a| n(a) > 0).collect();
        rows.sort_by(|a, b| n(b).cmp(&n(a)).then_with(|| a.account.cmp(&b.account)));
        rows
    }

    /// Every account once (not those counted in another's row).
    fn once(&self) -> impl Iterator<Item = &AccountRow> + '_ {
        self.accounts.iter().filter(|a| a.counted_in.is_none())
    }
}

/// `rows` by `days` left, soonest first, then by account name.
fn soonest_first(
    mut rows: Vec<&AccountRow>,
    days: impl Fn(&AccountRow) -> Option<i64>,
) -> Vec<&AccountRow> {
    rows.sort_by(|a, b| {
        days(a)
            .cmp(&days(b))
            .then_with(|| a.account.cmp(&b.account))
    });
    rows
}
