//! Chargeback: the accounts rolled up by the value of a tag (`--group-by
//! KEY`, `[defaults] group_by`): for each key, one [`GroupRow`] per value
//! and one for the accounts without the tag (the untagged bucket, never
//! dropped), so that every key's rows add up to the totals exactly.
//!
//! A stage beside aggregation, fed by the same account rows: a group's
//! numbers are the totals' accumulator (`aggregate::totals::AccountTotals`)
//! over the group's rows: the same accounts counted (a row counted in
//! another's is left out, an `error` row is counted but not summed), the
//! same sums, the same weighted ratios (the sum of numerators over the sum
//! of denominators where both are known, never an average of ratios), the
//! same counts of editions (`editions_lapsing_30d`). `share_of_used` is the group's `used_authorized` over the run's. A tag
//! whose value is empty counts as untagged. Pure: no I/O, no formatting;
//! the same function groups the rows a run recorded in the history
//! (`history --group-by`).

use std::collections::HashMap;

use crate::aggregate::totals::{AccountTotals, Totalled};
use crate::columns::accounts::{AccountRow, USED_AUTHORIZED};

pub use crate::columns::groups::GroupRow;

/// The most tag keys one run groups by (each is a table of the Markdown).
pub const MAX_KEYS: usize = 10;

/// An account as the grouping reads it: its totals' view and its tags.
pub(crate) trait Tagged: Totalled {
    /// The value of its tag `key`, if it has one.
    fn tag(&self, key: &str) -> Option<&str>;
}

impl Tagged for AccountRow {
    fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }
}

/// The run's groups: for each key asked, in order, its rows (largest
/// `used_authorized` first, unknown last, ties by value, the untagged row
/// after the tagged ones of its use).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Groups {
    /// The keys, in the order asked (each once).
    pub keys: Vec<String>,
    /// Every key's rows, the keys' in turn.
    pub rows: Vec<GroupRow>,
    /// The keys no account of the run carries (all its accounts untagged).
    pub unknown: Vec<String>,
}

impl Groups {
    /// Each key and its rows, in order.
    pub fn by_key(&self) -> impl Iterator<Item = (&str, &[GroupRow])> + '_ {
        self.keys.iter().map(move |k| (k.as_str(), self.of(k)))
    }

    /// The rows of `key` (contiguous).
    pub fn of(&self, key: &str) -> &[GroupRow] {
        let start = self.rows.iter().position(|g| g.group_by == key);
        let Some(start) = start else {
            return &[];
        };
        let len = self.rows[start..]
            .iter()
            .take_while(|g| g.group_by == key)
            .count();
        &self.rows[start..start + len]
    }
}

/// The rows of one key a capped table shows: the first `max` (largest use
/// first), the untagged row taking the last place when it is not among
/// them, so it is always shown.
pub(crate) fn shown(rows: &[GroupRow], max: usize) -> Vec<&GroupRow> {
    if rows.len() <= max {
        return rows.iter().collect();
    }
    let untagged = rows.iter().position(|g| g.group.is_none());
    match untagged {
        Some(i) if i >= max && max > 0 => rows[..max - 1].iter().chain([&rows[i]]).collect(),
        _ => rows[..max].iter().collect(),
    }
}

/// The groups of `rows` by each of `keys` (duplicates asked once).
pub(crate) fn group<R: Tagged>(rows: &[R], keys: &[String]) -> Groups {
    let mut all = AccountTotals::default();
    for r in rows {
        all.add(r, |_| {});
    }
    let run_used = all.totals().of(&USED_AUTHORIZED).as_int();
    let mut out = Groups::default();
    for key in keys {
        if out.keys.contains(key) {
            continue;
        }
        out.keys.push(key.clone());
        let (mut groups, carried) = by_value(rows, key, run_used);
        if !carried {
            out.unknown.push(key.clone());
        }
        groups.sort_by(|a, b| {
            let used = |g: &GroupRow| g.totals.of(&USED_AUTHORIZED).as_int();
            used(b)
                .cmp(&used(a))
                .then_with(|| a.group.is_none().cmp(&b.group.is_none()))
                .then_with(|| a.group.cmp(&b.group))
        });
        out.rows.extend(groups);
    }
    out
}

/// One key's groups (unsorted, the untagged one last), and whether any row
/// carries the key.
fn by_value<R: Tagged>(rows: &[R], key: &str, run_used: Option<i64>) -> (Vec<GroupRow>, bool) {
    let mut tagged: HashMap<&str, AccountTotals> = HashMap::new();
    let mut untagged = AccountTotals::default();
    for r in rows {
        match r.tag(key).filter(|v| !v.trim().is_empty()) {
            Some(v) => tagged.entry(v).or_default().add(r, |_| {}),
            None => untagged.add(r, |_| {}),
        }
    }
    let carried = !tagged.is_empty();
    let row = |group: Option<&str>, t: &AccountTotals| {
        let totals = t.totals();
        let used = totals.of(&USED_AUTHORIZED).as_int();
        let share_of_used = match (used, run_used) {
            (Some(u), Some(all)) if all != 0 => Some(u as f64 / all as f64),
            _ => None,
        };
        GroupRow {
            group_by: key.to_string(),
            group: group.map(str::to_string),
            totals,
            share_of_used,
        }
    };
    let mut out: Vec<GroupRow> = tagged.iter().map(|(v, t)| row(Some(v), t)).collect();
    out.push(row(None, &untagged));
    (out, carried)
}

#[cfg(test)]
pub(crate) mod tests;
