//! The "at a glance" lists the summaries show, each account once (a row
//! counted in another's is left out): the most utilized accounts, the scan
//! quotas ending soon and, apart, those already ended (most recently ended
//! first), and the scan quotas used beyond their capacity
//! (`scan_quota_used > scan_quota_capacity`, flagged by the Markdown). They
//! read the accounts columns by their handles (`crate::columns::accounts`).
//! The over-licensed accounts are `super::overuse`'s. Pure.

use super::{AccountRow, AccountStatus, Aggregate};
use crate::columns::accounts::{
    SCAN_QUOTA_CAPACITY, SCAN_QUOTA_DAYS_LEFT, SCAN_QUOTA_USED, SCAN_QUOTA_UTILIZATION,
    USED_AUTHORIZED, UTILIZATION,
};

/// Whole days from the run's start to the end of an account's scan quota.
fn days_left(a: &AccountRow) -> Option<i64> {
    SCAN_QUOTA_DAYS_LEFT.cell(a).as_int()
}

/// Whether an account used more of its scan quota than it holds (`false`
/// when either number is unknown).
pub fn is_over_capacity(a: &AccountRow) -> bool {
    let used = SCAN_QUOTA_USED.cell(a).as_int();
    let capacity = SCAN_QUOTA_CAPACITY.cell(a).as_int();
    matches!((used, capacity), (Some(u), Some(c)) if u > c)
}

impl Aggregate {
    /// The `n` non-error accounts with the highest known utilization, highest
    /// first (ties: more licenses used first, then by name).
    pub fn most_utilized(&self, n: usize) -> Vec<&AccountRow> {
        let ratio = |a: &AccountRow| UTILIZATION.number(a);
        let mut rows: Vec<&AccountRow> = self
            .accounts
            .iter()
            .filter(|a| a.status != AccountStatus::Error && ratio(a).is_some())
            .filter(|a| a.counted_in.is_none())
            .collect();
        rows.sort_by(|a, b| {
            let (ua, ub) = (ratio(a).unwrap_or(0.0), ratio(b).unwrap_or(0.0));
            let used = |r: &AccountRow| USED_AUTHORIZED.cell(r).as_int();
            ub.total_cmp(&ua)
                .then_with(|| used(b).cmp(&used(a)))
                .then_with(|| a.account.cmp(&b.account))
        });
        rows.truncate(n);
        rows
    }

    /// Accounts whose scan quota ends within `days` days of the run's start
    /// and has not ended yet (`0 <= scan_quota_days_left <= days`), soonest
    /// first.
    pub fn quotas_ending(&self, days: i64) -> Vec<&AccountRow> {
        let mut rows = self.quotas_where(|d| (0..=days).contains(&d));
        rows.sort_by(|a, b| {
            days_left(a)
                .cmp(&days_left(b))
                .then_with(|| a.account.cmp(&b.account))
        });
        rows
    }

    /// Accounts whose scan quota has already ended
    /// (`scan_quota_days_left < 0`), the most recently ended first.
    pub fn quotas_ended(&self) -> Vec<&AccountRow> {
        let mut rows = self.quotas_where(|d| d < 0);
        rows.sort_by(|a, b| {
            days_left(b)
                .cmp(&days_left(a))
                .then_with(|| a.account.cmp(&b.account))
        });
        rows
    }

    /// The accounts (each once) whose known days left satisfy `keep`.
    fn quotas_where(&self, keep: impl Fn(i64) -> bool) -> Vec<&AccountRow> {
        self.accounts
            .iter()
            .filter(|a| days_left(a).is_some_and(&keep))
            .filter(|a| a.counted_in.is_none())
            .collect()
    }

    /// The accounts whose scan quota is used beyond its capacity, the most
    /// over-used first (by its utilization, then name).
    pub fn quotas_over_capacity(&self) -> Vec<&AccountRow> {
        let ratio = |r: &AccountRow| SCAN_QUOTA_UTILIZATION.number(r).unwrap_or(f64::INFINITY);
        let mut rows: Vec<&AccountRow> = self
            .accounts
            .iter()
            .filter(|a| is_over_capacity(a) && a.counted_in.is_none())
            .collect();
        rows.sort_by(|a, b| {
            ratio(b)
                .total_cmp(&ratio(a))
                .then_with(|| a.account.cmp(&b.account))
        });
        rows
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::sample_report;

    /// The 769 rows of which the 50 shown had all ended a year
    /// ago: the quotas still running and those ended are two lists.
    #[test]
    fn quotas_ending_and_ended_are_apart() {
        let mut report = sample_report().aggregate;
        for (i, days) in [(0, Some(-400)), (1, Some(8)), (2, Some(-3)), (3, Some(0))] {
            report.accounts[i].scan_quota_days_left = days;
        }
        let names = |rows: Vec<&crate::aggregate::AccountRow>| -> Vec<String> {
            rows.iter().map(|a| a.account.clone()).collect()
        };
        assert_eq!(names(report.quotas_ending(30)), ["late", "-member-a"]);
        assert_eq!(names(report.quotas_ending(7)), ["late"]);
        assert_eq!(names(report.quotas_ended()), ["legacy", "payments-prod"]);
    }

    #[test]
    fn over_capacity_needs_both_numbers_and_sorts_worst_first() {
        let mut report = sample_report().aggregate;
        assert!(report.quotas_over_capacity().is_empty(), "250 of 1000");
        let set = |r: &mut crate::aggregate::Aggregate, i: usize, used, cap, ratio| {
            let a = &mut r.accounts[i];
            a.scan_quota_used = used;
            a.scan_quota_capacity = cap;
            a.scan_quota_utilization = ratio;
        };
        set(&mut report, 0, Some(1100), Some(1000), Some(1.1));
        set(&mut report, 1, Some(30), Some(10), Some(3.0));
        // Used equal to the capacity is not beyond it; unknown capacity neither.
        set(&mut report, 2, Some(10), Some(10), Some(1.0));
        set(&mut report, 3, Some(10), None, None);
        let names: Vec<&str> = report
            .quotas_over_capacity()
            .iter()
            .map(|a| a.account.as_str())
            .collect();
        assert_eq!(names, vec!["-member-a", "payments-prod"]);
    }
}
