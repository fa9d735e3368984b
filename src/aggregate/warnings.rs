//! Numbers that cannot all be true at once, flagged (never corrected): a
//! negative count, or an answer with none of the expected fields
//! (`{"Response": {}}`). The exact numbers stay in the reports; the flag
//! goes into the region row's `warning` and the Errors sheet. Over-use
//! (more licenses used than held, within the trial licenses or beyond) is
//! not one: it happens, and is a finding (`super::overuse`), never a
//! warning. Pure.
//!
//! A sum (over regions, over accounts) or a difference too large for the
//! reports' numbers (`i64`) is never shown capped: it is left empty and the
//! flag says why ([`CheckedSum`], [`too_large`], [`total_too_large`]).

use tcapi::tcss::ImageAuthorizedInfo;

/// What is impossible about one answer, as one sentence per finding joined
/// by `; `, or `None` when nothing is.
pub fn answer_warning(d: &ImageAuthorizedInfo) -> Option<String> {
    if *d == ImageAuthorizedInfo::default() {
        return Some(
            "the answer has none of the expected fields (an empty Response): no numbers".into(),
        );
    }
    let mut found = Vec::new();
    let negative: Vec<String> = counts(d)
        .into_iter()
        .filter_map(|(name, v)| v.filter(|v| *v < 0).map(|v| format!("{name} = {v}")))
        .collect();
    if !negative.is_empty() {
        found.push(format!("negative count: {}", negative.join(", ")));
    }
    (!found.is_empty()).then(|| found.join("; "))
}

/// A sum that never saturates: once an addition goes past what an `i64`
/// holds, the sum is empty for good (a capped number is never shown as if
/// it were true).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckedSum {
    sum: Option<i64>,
    overflowed: bool,
}

impl CheckedSum {
    /// Adds `v` (unknown values are skipped); true when this very addition
    /// made the sum too large.
    pub fn add(&mut self, v: Option<i64>) -> bool {
        let Some(v) = v else {
            return false;
        };
        if self.overflowed {
            return false;
        }
        match self.sum.map_or(Some(v), |s| s.checked_add(v)) {
            Some(s) => {
                self.sum = Some(s);
                false
            }
            None => {
                self.overflowed = true;
                self.sum = None;
                true
            }
        }
    }

    /// The sum: `None` when nothing known was added, or it got too large.
    pub fn value(&self) -> Option<i64> {
        self.sum
    }
}

/// The flag of an account's value too large to hold: `what` says how it is
/// computed (`the sum of total_authorized over the answering regions`).
pub fn too_large(what: &str) -> String {
    format!(
        "{what} goes past the largest number the reports hold ({}): left empty",
        i64::MAX
    )
}

/// The flag of the account whose `value` of `column` made the run's total
/// of it too large to hold.
pub fn total_too_large(column: &str, value: i64) -> String {
    format!(
        "adding this account's {column} ({value}) to the run's total goes past the largest \
         number the reports hold ({}): the total {column} is left empty",
        i64::MAX
    )
}

/// Every count of an answer, by its API name.
fn counts(d: &ImageAuthorizedInfo) -> Vec<(&'static str, Option<i64>)> {
    let q = d.image_scan_inquire_info.as_ref();
    vec![
        ("TotalAuthorizedCnt", d.total_authorized_cnt),
        ("UsedAuthorizedCnt", d.used_authorized_cnt),
        ("ScannedImageCnt", d.scanned_image_cnt),
        ("NotScannedImageCnt", d.not_scanned_image_cnt),
        ("NotScannedLocalImageCnt", d.not_scanned_local_image_cnt),
        ("TrialAuthorizedCnt", d.trial_authorized_cnt),
        ("UsedTrialAuthorizedCnt", d.used_trial_authorized_cnt),
        ("PurchasedAuthorizedCnt", d.purchased_authorized_cnt),
        (
            "UsedPurchasedAuthorizedCnt",
            d.used_purchased_authorized_cnt,
        ),
        ("RepeatImageIdCnt", d.repeat_image_id_cnt),
        ("ImageScanInquireInfo.Capcity", q.and_then(|q| q.capcity)),
        ("ImageScanInquireInfo.Useage", q.and_then(|q| q.useage)),
        ("ImageScanInquireInfo.PayNum", q.and_then(|q| q.pay_num)),
        ("ImageScanInquireInfo.TrialNum", q.and_then(|q| q.trial_num)),
        ("ImageScanInquireInfo.PayUsage", q.and_then(|q| q.pay_usage)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(total: i64, used: i64, trial: Option<i64>) -> ImageAuthorizedInfo {
        ImageAuthorizedInfo {
            total_authorized_cnt: Some(total),
            used_authorized_cnt: Some(used),
            trial_authorized_cnt: trial,
            ..ImageAuthorizedInfo::default()
        }
    }

    #[test]
    fn plausible_answers_have_no_warning() {
        assert_eq!(answer_warning(&info(100, 40, Some(10))), None);
        // Over-use is real and reported as such (a finding, not a warning),
        // within the trial licenses or beyond them, even with none held.
        assert_eq!(answer_warning(&info(100, 110, Some(10))), None);
        assert_eq!(answer_warning(&info(100, 130, Some(10))), None);
        assert_eq!(answer_warning(&info(0, 7, None)), None);
        assert_eq!(answer_warning(&info(0, 0, None)), None);
    }

    #[test]
    fn a_checked_sum_is_empty_once_too_large_never_capped() {
        let mut s = CheckedSum::default();
        assert_eq!(s.value(), None);
        assert!(!s.add(None));
        assert!(!s.add(Some(i64::MAX - 1)));
        assert_eq!(s.value(), Some(i64::MAX - 1));
        assert!(s.add(Some(2)), "this addition went past i64::MAX");
        assert_eq!(s.value(), None);
        assert!(!s.add(Some(-5)), "flagged once");
        assert_eq!(s.value(), None, "never back in range");
        let mut low = CheckedSum::default();
        low.add(Some(i64::MIN));
        assert!(low.add(Some(-1)));
    }

    #[test]
    fn impossible_answers_are_flagged() {
        let w = answer_warning(&info(-5, 3, None)).unwrap();
        assert_eq!(w, "negative count: TotalAuthorizedCnt = -5");
        let mut d = info(10, 1, None);
        d.image_scan_inquire_info = Some(tcapi::tcss::ImageScanInquireInfo {
            useage: Some(-1),
            ..Default::default()
        });
        assert_eq!(
            answer_warning(&d).unwrap(),
            "negative count: ImageScanInquireInfo.Useage = -1"
        );
        let w = answer_warning(&ImageAuthorizedInfo::default()).unwrap();
        assert!(w.contains("empty Response"), "{w}");
    }
}
