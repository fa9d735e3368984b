//! Accounts that turn out to share a UIN: one account configured twice
//! (two key pairs of one account, each its own `[[accounts]]` entry; their
//! UINs learned with `GetCallerIdentity`). It is one account, so it is
//! counted once: of the rows with that UIN, the first with the best status
//! (`ok`, then `partial`, then `error`) is counted; every other row keeps
//! its numbers, names the counted one in `counted_in`, is flagged with a
//! warning on its region rows, and is left out of the totals and of the
//! "at a glance" lists. Explicit UINs written twice never get here: the
//! config refuses them. Pure.

use std::collections::BTreeMap;

use super::{AccountRow, AccountStatus};

/// Marks every row whose UIN an earlier-counted row has (`counted_in`).
pub(super) fn mark(rows: &mut [AccountRow]) {
    let mut by_uin: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(uin) = r.uin.as_deref() {
            by_uin.entry(uin).or_default().push(i);
        }
    }
    let counted_in: Vec<(usize, usize)> = by_uin
        .into_values()
        .filter(|rows| rows.len() > 1)
        .flat_map(|group| {
            let counted = group
                .iter()
                .copied()
                .min_by_key(|&i| (rank(rows[i].status), i))
                .unwrap_or(group[0]);
            group
                .into_iter()
                .filter(move |&i| i != counted)
                .map(move |i| (i, counted))
        })
        .collect();
    for (i, counted) in counted_in {
        rows[i].counted_in = Some(rows[counted].account.clone());
    }
}

/// Better statuses first.
fn rank(s: AccountStatus) -> u8 {
    match s {
        AccountStatus::Ok => 0,
        AccountStatus::Partial => 1,
        AccountStatus::Error => 2,
    }
}

/// The warning of a row counted in `counted`'s row instead.
pub fn warning(uin: &str, counted: &str) -> String {
    format!(
        "the same UIN {uin} as account `{counted}`: one account configured twice (two key \
         pairs of one account?); counted once, in `{counted}`'s row: this row's numbers are \
         left out of the totals"
    )
}
