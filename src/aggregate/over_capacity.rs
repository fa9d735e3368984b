//! Scan quotas used beyond their capacity (`scan_quota_used >
//! scan_quota_capacity`): the accounts the Markdown flags. Pure.

use super::{AccountRow, Aggregate};

/// Whether an account used more of its scan quota than it holds (`false`
/// when either number is unknown).
pub fn is_over_capacity(a: &AccountRow) -> bool {
    matches!((a.scan_quota_used, a.scan_quota_capacity), (Some(u), Some(c)) if u > c)
}

impl Aggregate {
    /// The accounts whose scan quota is used beyond its capacity, the most
    /// over-used first (by `scan_quota_utilization`, then name).
    pub fn quotas_over_capacity(&self) -> Vec<&AccountRow> {
        let mut rows: Vec<&AccountRow> = self
            .accounts
            .iter()
            .filter(|a| is_over_capacity(a) && a.counted_in.is_none())
            .collect();
        rows.sort_by(|a, b| {
            let ratio = |r: &AccountRow| r.scan_quota_utilization.unwrap_or(f64::INFINITY);
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
