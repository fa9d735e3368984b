//! How the accounts spread over license utilization: how many fall in each
//! band (the HTML report's distribution chart). Pure; counted from each
//! account's licenses used and total, in whole numbers, so an account at
//! exactly 70% is in the 70–80% band however its ratio rounded.

use super::{AccountRow, AccountStatus, Aggregate};
use crate::columns::accounts::{TOTAL_AUTHORIZED, USED_AUTHORIZED, UTILIZATION};

/// One band of utilization and the accounts in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    /// How the band is named (`<10%`, `10–20%`, …, `90–100%`, `100%`, `>100%`).
    pub label: &'static str,
    /// Accounts in the band.
    pub accounts: usize,
}

/// The accounts of a run by utilization band.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// Ten bands of 10 points below 100% (each holds its lower bound),
    /// then exactly 100% (full), then above 100% (over-use).
    pub bands: [Band; 12],
    /// Accounts counted nowhere: no answer, or no licenses known.
    pub unknown: usize,
}

/// The bands' names, lowest first.
const LABELS: [&str; 12] = [
    "<10%",
    "10–20%",
    "20–30%",
    "30–40%",
    "40–50%",
    "50–60%",
    "60–70%",
    "70–80%",
    "80–90%",
    "90–100%",
    "100%",
    ">100%",
];

/// The band of an account (an index into [`LABELS`]): `None` when its
/// utilization is unknown (no licenses held, or either number missing).
fn band(a: &AccountRow) -> Option<usize> {
    let used = USED_AUTHORIZED.cell(a).as_int()?;
    let total = TOTAL_AUTHORIZED.cell(a).as_int()?;
    if total <= 0 || used < 0 || UTILIZATION.cell(a).as_real().is_none() {
        return None;
    }
    Some(match used.cmp(&total) {
        std::cmp::Ordering::Equal => 10,
        std::cmp::Ordering::Greater => 11,
        // used < total: floor(10 * used / total), in 128 bits (no overflow).
        std::cmp::Ordering::Less => (i128::from(used) * 10 / i128::from(total)) as usize,
    })
}

impl Aggregate {
    /// The accounts by utilization band: those [`Aggregate::most_utilized`]
    /// ranks (answered, not counted in another's row), each once.
    pub fn utilization_distribution(&self) -> Distribution {
        let mut counts = [0usize; 12];
        let mut unknown = 0;
        let counted = self.accounts.iter().filter(|a| a.counted_in.is_none());
        for a in counted {
            match band(a).filter(|_| a.status != AccountStatus::Error) {
                Some(i) => counts[i] += 1,
                None => unknown += 1,
            }
        }
        Distribution {
            bands: std::array::from_fn(|i| Band {
                label: LABELS[i],
                accounts: counts[i],
            }),
            unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::RegionScope;
    use crate::test_support::{account, data, failed, ok, report_of, run_info};

    #[test]
    fn accounts_fall_in_the_band_of_their_whole_numbers() {
        let cases = [
            (100, 0),
            (100, 9),
            (10, 7),
            (3, 2),
            (100, 90),
            (100, 99),
            (5, 5),
            (10, 15),
        ];
        let accounts: Vec<_> = (0..=cases.len())
            .map(|i| account(&format!("a{i}"), &["r1"]))
            .collect();
        let mut outcomes: Vec<_> = cases
            .iter()
            .enumerate()
            .map(|(i, &(total, used))| ok(i, "r1", data(total, used)))
            .collect();
        outcomes.push(failed(cases.len(), "r1", "InternalError"));
        let d = report_of(&accounts, &outcomes, run_info(RegionScope::Account))
            .aggregate
            .utilization_distribution();
        let counts: Vec<(&str, usize)> = d.bands.iter().map(|b| (b.label, b.accounts)).collect();
        assert_eq!(
            counts,
            [
                ("<10%", 2),
                ("10–20%", 0),
                ("20–30%", 0),
                ("30–40%", 0),
                ("40–50%", 0),
                ("50–60%", 0),
                ("60–70%", 1),
                ("70–80%", 1),
                ("80–90%", 0),
                ("90–100%", 2),
                ("100%", 1),
                (">100%", 1),
            ]
        );
        assert_eq!(d.unknown, 1, "the account that did not answer");
    }

    #[test]
    fn no_licenses_is_unknown_and_a_shared_uin_counts_once() {
        let mut a = account("a", &["r1"]);
        a.uin = Some("1".into());
        let mut b = account("b", &["r1"]);
        b.uin = Some("1".into());
        let c = account("c", &["r1"]);
        let outcomes = [
            ok(0, "r1", data(10, 5)),
            ok(1, "r1", data(10, 5)),
            ok(2, "r1", data(0, 0)),
        ];
        let d = report_of(&[a, b, c], &outcomes, run_info(RegionScope::Account))
            .aggregate
            .utilization_distribution();
        assert_eq!(d.bands[5].accounts, 1, "one account behind two rows");
        assert_eq!(d.bands.iter().map(|b| b.accounts).sum::<usize>(), 1);
        assert_eq!(d.unknown, 1, "no licenses held");
    }
}
