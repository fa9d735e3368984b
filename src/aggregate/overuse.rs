//! Over-use is a finding, not an error: an account that uses more image
//! licenses than it holds (`used_authorized > total_authorized`). Per
//! account its [`gap`] (licenses short or idle); over a set of accounts
//! (the run's totals, or any group of its rows) an [`OverUse`]: how many
//! accounts are over-licensed, the licenses short (the sum of
//! `max(0, used - total)`) and idle (the sum of `max(0, total - used)`),
//! beside the net `remaining_authorized`; and the over-licensed accounts,
//! the largest shortfall first. Read from the accounts columns by their
//! handles, so any row the totals read (`totals::Totalled`: the run's
//! account rows, a chargeback group's, the rows a run recorded in the
//! history) adds up the same way. Pure.

use super::totals::Totalled;
use super::warnings::CheckedSum;
use super::{AccountRow, AccountStatus, Aggregate, Totals};
use crate::columns::accounts::{TOTAL_AUTHORIZED, USED_AUTHORIZED};

/// An account's licenses against its use: `(short, idle)`, where `short`
/// is `max(0, used - total)` and `idle` is `max(0, total - used)`; `None`
/// when either number is unknown (or their difference is too large).
pub fn gap(a: &impl Totalled) -> Option<(i64, i64)> {
    let used = a.int(&USED_AUTHORIZED)?;
    let total = a.int(&TOTAL_AUTHORIZED)?;
    let over = used.checked_sub(total)?;
    Some((over.max(0), over.checked_neg()?.max(0)))
}

/// The licenses `a` lacks (`used - total`), when it uses more than it holds.
pub fn shortfall(a: &AccountRow) -> Option<i64> {
    gap(a).map(|(short, _)| short).filter(|&s| s > 0)
}

/// Over-use over a set of accounts (those that answered, each counted
/// once): add each with [`OverUse::add`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OverUse {
    accounts: usize,
    short: CheckedSum,
    idle: CheckedSum,
}

impl OverUse {
    /// Adds account `a` (an account that knows neither number adds nothing).
    pub fn add(&mut self, a: &impl Totalled) {
        if let Some((short, idle)) = gap(a) {
            self.accounts += usize::from(short > 0);
            self.short.add(Some(short));
            self.idle.add(Some(idle));
        }
    }

    /// How many accounts use more licenses than they hold.
    pub fn accounts_over_licensed(&self) -> usize {
        self.accounts
    }

    /// The sum of the shortfalls (empty when no account knew both numbers,
    /// or the sum is too large to hold).
    pub fn licenses_short(&self) -> Option<i64> {
        self.short.value()
    }

    /// The sum of the licenses held and not used.
    pub fn licenses_idle(&self) -> Option<i64> {
        self.idle.value()
    }

    /// Writes the three into the run's totals.
    pub(super) fn into_totals(self, t: &mut Totals) {
        t.accounts_over_licensed = self.accounts_over_licensed();
        t.licenses_short = self.licenses_short();
        t.licenses_idle = self.licenses_idle();
    }
}

impl Aggregate {
    /// The accounts that use more licenses than they hold (answered, each
    /// once), the largest shortfall first (ties by name): the accounts
    /// [`Totals::accounts_over_licensed`] counts.
    pub fn over_licensed(&self) -> Vec<&AccountRow> {
        let mut rows: Vec<(&AccountRow, i64)> = self
            .accounts
            .iter()
            .filter(|a| a.status != AccountStatus::Error && a.counted_in.is_none())
            .filter_map(|a| Some((a, shortfall(a)?)))
            .collect();
        rows.sort_by(|(a, sa), (b, sb)| sb.cmp(sa).then_with(|| a.account.cmp(&b.account)));
        rows.into_iter().map(|(a, _)| a).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::aggregate;
    use crate::model::RegionScope;
    use crate::test_support::{account, data, failed, ok, run_info};

    #[test]
    fn the_gap_of_an_account() {
        let r = crate::test_support::sample_report().aggregate;
        assert_eq!(gap(&r.accounts[0]), Some((0, 3)), "97 of 100");
        assert_eq!(gap(&r.accounts[1]), Some((5, 0)), "15 of 10");
        assert_eq!(gap(&r.accounts[2]), None, "an error: no numbers");
        assert_eq!(shortfall(&r.accounts[1]), Some(5));
        assert_eq!(shortfall(&r.accounts[0]), None);
    }

    /// A fleet with a known shortfall: 132 of 2,000 over-licensed would be
    /// the issue's; here 3 of 6, with an error and a twin left out.
    #[test]
    fn totals_count_the_shortfall_and_the_idle_licenses_exactly() {
        let names = ["a", "b", "c", "d", "e", "twin"];
        let mut infos: Vec<_> = names.iter().map(|n| account(n, &["r1"])).collect();
        for (i, a) in infos.iter_mut().enumerate() {
            a.uin = Some(format!("{}", 100 + i));
        }
        infos[5].uin = infos[0].uin.clone();
        let mut none_held = data(0, 7);
        none_held.trial_authorized_cnt = Some(0);
        none_held.used_trial_authorized_cnt = Some(0);
        none_held.purchased_authorized_cnt = Some(0);
        none_held.used_purchased_authorized_cnt = Some(7);
        let outcomes = vec![
            ok(0, "r1", data(100, 130)), // 30 short, far beyond its 5 trial licenses
            ok(1, "r1", data(50, 55)),   // 5 short
            ok(2, "r1", none_held),      // 7 short: no license at all
            ok(3, "r1", data(200, 20)),  // 180 idle
            failed(4, "r1", "InternalError"),
            ok(5, "r1", data(100, 130)), // a's twin: counted once
        ];
        let r = aggregate(&infos, &outcomes, run_info(RegionScope::Account));
        let t = &r.totals;
        assert_eq!(t.accounts_over_licensed, 3);
        assert_eq!(t.licenses_short, Some(42));
        assert_eq!(t.licenses_idle, Some(180));
        assert_eq!(
            t.of(&crate::columns::accounts::REMAINING_AUTHORIZED)
                .as_int(),
            Some(138)
        );
        assert_eq!(t.queries_with_warning, 1, "only the twin's shared UIN");
        let names: Vec<&str> = r
            .over_licensed()
            .iter()
            .map(|a| a.account.as_str())
            .collect();
        assert_eq!(names, ["a", "c", "b"]);
        // Nothing known: empty sums, no account over-licensed.
        let r = aggregate(
            &infos[4..5],
            &[failed(0, "r1", "X")],
            run_info(RegionScope::Account),
        );
        assert_eq!(
            (
                r.totals.accounts_over_licensed,
                r.totals.licenses_short,
                r.totals.licenses_idle
            ),
            (0, None, None)
        );
    }
}
