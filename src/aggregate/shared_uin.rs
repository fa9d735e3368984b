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
    let keys = rows.iter().map(|r| (r.uin.as_deref(), r.status));
    for (i, counted) in counted_in(keys) {
        rows[i].counted_in = Some(rows[counted].account.clone());
    }
}

/// Of rows given as (UIN, status) in report order, each row counted in
/// another's and that row: `(row, counted row)`. The one rule, for the
/// run's rows ([`mark`]) and for the rows a run recorded in the history
/// (which keeps no `counted_in`).
pub(crate) fn counted_in<'a>(
    rows: impl IntoIterator<Item = (Option<&'a str>, AccountStatus)>,
) -> Vec<(usize, usize)> {
    let mut by_uin: BTreeMap<&str, Vec<(usize, AccountStatus)>> = BTreeMap::new();
    for (i, (uin, status)) in rows.into_iter().enumerate() {
        if let Some(uin) = uin {
            by_uin.entry(uin).or_default().push((i, status));
        }
    }
    by_uin
        .into_values()
        .filter(|rows| rows.len() > 1)
        .flat_map(|group| {
            let counted = group
                .iter()
                .min_by_key(|&&(i, status)| (rank(status), i))
                .map_or(group[0].0, |&(i, _)| i);
            group
                .into_iter()
                .filter(move |&(i, _)| i != counted)
                .map(move |(i, _)| (i, counted))
        })
        .collect()
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
