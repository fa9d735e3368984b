//! The grouping stage against a fleet of tagged, untagged, failed, partial
//! and twice-configured accounts.

use super::*;
use crate::aggregate::Aggregate;
use crate::columns::accounts::{TOTAL_AUTHORIZED, UTILIZATION};
use crate::columns::groups::{GroupColumn, GROUPS};
use crate::columns::totals::TotalsColumn;
use crate::columns::{Cell, Kind};
use crate::model::RegionScope;
use crate::test_support::{account, data, failed, ok, report_of, run_info};

/// Six accounts: `a` and `b` of team `pay` (b partial), `c` of team `ops`,
/// `d` untagged, `e` of team `ops` failed (error), `f` an empty team and
/// `a2` the same UIN as `a` (counted in `a`'s row); cost centers on some.
pub(crate) fn fleet() -> Aggregate {
    let mut accounts = Vec::new();
    let mut add = |name: &str, regions: &[&str], tags: &[(&str, &str)], uin: Option<&str>| {
        let mut a = account(name, regions);
        a.uin = uin.map(str::to_string);
        for (k, v) in tags {
            a.tags.insert(k.to_string(), v.to_string());
        }
        accounts.push(a);
    };
    add("a", &["r1"], &[("team", "pay"), ("cc", "1")], Some("11"));
    add("b", &["r1", "r2"], &[("team", "pay")], None);
    add("c", &["r1"], &[("team", "ops"), ("cc", "2")], None);
    add("d", &["r1"], &[], None);
    add("e", &["r1"], &[("team", "ops"), ("cc", "1")], None);
    add("f", &["r1"], &[("team", " ")], None);
    add("a2", &["r1"], &[("team", "ops")], Some("11"));
    let outcomes = vec![
        ok(0, "r1", data(100, 90)),
        ok(1, "r1", data(50, 10)),
        failed(1, "r2", "InternalError"),
        ok(2, "r1", data(10, 15)),
        ok(3, "r1", data(40, 0)),
        failed(4, "r1", "AuthFailure"),
        ok(5, "r1", data(0, 0)),
        ok(6, "r1", data(100, 90)),
    ];
    report_of(&accounts, &outcomes, run_info(RegionScope::Account)).aggregate
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

/// Every count and every sum of a key's rows equals the totals'; every
/// ratio is the weighted ratio of its parts; the shares add up to 1.
#[test]
fn every_keys_groups_add_up_to_the_totals() {
    let agg = fleet();
    let groups = group(&agg.accounts, &keys(&["team", "cc", "nope"]));
    assert_eq!(groups.keys, ["team", "cc", "nope"]);
    assert_eq!(groups.unknown, ["nope"]);
    for (key, rows) in groups.by_key() {
        assert_eq!(
            rows.iter().filter(|g| g.group.is_none()).count(),
            1,
            "{key}: one untagged row"
        );
        for c in GROUPS {
            let GroupColumn::Total(t) = c else { continue };
            let total = t.cell(&agg.totals);
            match (c.kind(), t) {
                (Kind::Count, _) => {
                    let sum: i64 = rows.iter().filter_map(|g| c.cell(g).as_int()).sum();
                    assert_eq!(Some(sum), total.as_int(), "{key}: {}", c.key());
                }
                (Kind::Ratio, TotalsColumn::Of(col)) => {
                    let crate::columns::Total::Weighted { num, den } = col.total else {
                        panic!("{} is weighted", col.key)
                    };
                    for g in rows {
                        let (n, d) = (g.totals.int(num), g.totals.int(den));
                        let want = match (n, d) {
                            (Some(n), Some(d)) if d != 0 => Some(n as f64 / d as f64),
                            _ => None,
                        };
                        assert_eq!(c.cell(g).as_real(), want, "{key}/{:?}", g.group);
                    }
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        let shares: f64 = rows.iter().filter_map(|g| g.share_of_used).sum();
        assert!((shares - 1.0).abs() < 1e-12, "{key}: {shares}");
    }
}

#[test]
fn groups_follow_the_totals_rules() {
    let agg = fleet();
    let groups = group(&agg.accounts, &keys(&["team"]));
    let team = |v: Option<&str>| {
        groups
            .of("team")
            .iter()
            .find(|g| g.group.as_deref() == v)
            .unwrap_or_else(|| panic!("{v:?}"))
    };
    let pay = team(Some("pay"));
    assert_eq!(
        (
            pay.totals.accounts,
            pay.totals.accounts_ok,
            pay.totals.accounts_partial
        ),
        (2, 1, 1)
    );
    assert_eq!(pay.totals.int(&TOTAL_AUTHORIZED), Some(150));
    // Weighted: 100 of 150 used, not the mean of 90% and 20%.
    assert_eq!(pay.totals.ratio(&UTILIZATION), Some(100.0 / 150.0));
    // `ops`: `c` and the failed `e`; `a2` is counted in `a`'s row (pay).
    let ops = team(Some("ops"));
    assert_eq!((ops.totals.accounts, ops.totals.accounts_error), (2, 1));
    assert_eq!(ops.totals.int(&TOTAL_AUTHORIZED), Some(10));
    assert_eq!(ops.totals.ratio(&UTILIZATION), Some(1.5), "over-use kept");
    // Untagged: `d` and `f` (an empty value is no value).
    let none = team(None);
    assert_eq!(none.totals.accounts, 2);
    assert_eq!(none.totals.int(&TOTAL_AUTHORIZED), Some(40));
    assert_eq!(none.share_of_used, Some(0.0));
    assert_eq!(pay.share_of_used, Some(100.0 / 115.0));
    // Largest use first, the untagged row last of its use.
    let order: Vec<Option<&str>> = groups.rows.iter().map(|g| g.group.as_deref()).collect();
    assert_eq!(order, [Some("pay"), Some("ops"), None]);
}

#[test]
fn a_key_no_account_carries_is_one_untagged_group_and_said() {
    let agg = fleet();
    let groups = group(&agg.accounts, &keys(&["nope", "nope"]));
    assert_eq!(groups.keys, ["nope"], "asked once");
    assert_eq!(groups.unknown, ["nope"]);
    assert_eq!(groups.rows.len(), 1);
    assert_eq!(groups.rows[0].group, None);
    assert_eq!(groups.rows[0].totals.accounts, agg.totals.accounts);
    assert_eq!(groups.rows[0].totals.columns, agg.totals.columns);
    assert_eq!(groups.rows[0].share_of_used, Some(1.0));
    let none = group(&agg.accounts, &[]);
    assert!(none.keys.is_empty() && none.rows.is_empty());
}

/// The untagged bucket is kept when no account is untagged: zero accounts,
/// unknown sums (as the totals of no account).
#[test]
fn an_empty_untagged_bucket_is_kept() {
    let agg = fleet();
    let mut rows = agg.accounts.clone();
    for r in &mut rows {
        r.tags.insert("all".into(), "x".into());
    }
    let groups = group(&rows, &keys(&["all"]));
    assert_eq!(groups.rows.len(), 2);
    let none = &groups.rows[1];
    assert_eq!((none.group.as_deref(), none.totals.accounts), (None, 0));
    assert_eq!(none.totals.of(&TOTAL_AUTHORIZED), Cell::Empty);
    assert_eq!(none.share_of_used, None);
}
