//! Tests of the aggregation: every ratio, status and total, and the
//! properties that totals always equal the rows they come from.

use super::*;
use proptest::prelude::*;
use tcapi::tcss::ImageScanInquireInfo;

use super::rows::parse_beijing_time;
use crate::columns::accounts::{
    DUPLICATE_IMAGES, DUPLICATE_RATIO, REMAINING_AUTHORIZED, SCANNED_IMAGES, SCAN_COVERAGE,
    SCAN_QUOTA_CAPACITY, SCAN_QUOTA_UTILIZATION, TOTAL_AUTHORIZED, TOTAL_IMAGES, USED_AUTHORIZED,
    UTILIZATION,
};
use crate::model::RegionScope;
use crate::test_support::{account, cancelled, data, failed, ok, outcome, run_info};

#[test]
fn status_ok_partial_error() {
    let accounts = vec![
        account("a", &["r1", "r2"]),
        account("b", &["r1", "r2"]),
        account("c", &["r1", "r2"]),
        account("d", &["r1", "r2"]),
    ];
    let outcomes = vec![
        ok(0, "r2", data(10, 5)),
        ok(0, "r1", data(10, 5)),
        failed(1, "r1", "AuthFailure.SecretIdNotFound"),
        ok(1, "r2", data(10, 5)),
        failed(2, "r2", "InternalError"),
        failed(2, "r1", "UnsupportedRegion"),
        ok(3, "r1", data(10, 5)),
        cancelled(3, "r2"),
    ];
    let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
    let a = &r.accounts;
    assert_eq!(a[0].status, AccountStatus::Ok);
    assert_eq!((a[0].regions_ok, a[0].regions_failed), (2, 0));
    assert_eq!(a[0].error_code, None);
    assert_eq!(a[0].request_id.as_deref(), Some("req-ok-0-r1"));

    assert_eq!(a[1].status, AccountStatus::Partial);
    assert_eq!((a[1].regions_ok, a[1].regions_failed), (1, 1));
    assert_eq!(
        a[1].error_code.as_deref(),
        Some("AuthFailure.SecretIdNotFound")
    );
    assert_eq!(a[1].request_id.as_deref(), Some("req-err-1-r1"));
    assert_eq!(a[1].total_authorized, Some(10));

    // Error: the first failure in configured order (r1), not arrival order.
    assert_eq!(a[2].status, AccountStatus::Error);
    assert_eq!((a[2].regions_ok, a[2].regions_failed), (0, 2));
    assert_eq!(a[2].error_code.as_deref(), Some("UnsupportedRegion"));
    assert_eq!(
        a[2].error_message.as_deref(),
        Some("UnsupportedRegion happened")
    );
    assert_eq!(a[2].request_id.as_deref(), Some("req-err-2-r1"));
    assert_eq!(a[2].total_authorized, None);
    assert_eq!(a[2].utilization, None);
    assert_eq!(a[2].scan_quota_days_left, None);

    // A cancelled region did not answer.
    assert_eq!(a[3].status, AccountStatus::Partial);
    assert_eq!((a[3].regions_failed, a[3].regions_cancelled), (1, 1));
    assert_eq!(a[3].error_code.as_deref(), Some(CANCELLED_CODE));

    assert_eq!(
        (
            r.totals.accounts_ok,
            r.totals.accounts_partial,
            r.totals.accounts_error
        ),
        (1, 2, 1)
    );
    assert_eq!(
        (
            r.totals.queries,
            r.totals.queries_ok,
            r.totals.queries_failed,
            r.totals.queries_cancelled
        ),
        (8, 4, 3, 1)
    );
    assert_eq!(r.totals.attempts, 4 + 3 * 3);
    assert_eq!(r.totals.throttled, 6);
    // Regions rows in account order, then configured region order.
    let order: Vec<(&str, &str)> = r
        .regions
        .iter()
        .map(|x| (x.account.as_str(), x.region.as_str()))
        .collect();
    assert_eq!(
        order,
        vec![
            ("a", "r1"),
            ("a", "r2"),
            ("b", "r1"),
            ("b", "r2"),
            ("c", "r1"),
            ("c", "r2"),
            ("d", "r1"),
            ("d", "r2")
        ]
    );
    assert_eq!(r.regions[7].status, RegionStatus::Cancelled);
    assert_eq!(r.failures().count(), 4);
    assert_eq!(r.failure_count(), 4);
}

#[test]
fn account_without_outcomes_is_not_queried_error() {
    let r = aggregate(
        &[account("a", &["r1"])],
        &[],
        run_info(RegionScope::Account),
    );
    assert_eq!(r.accounts[0].status, AccountStatus::Error);
    assert_eq!(r.accounts[0].error_code.as_deref(), Some(NOT_QUERIED_CODE));
    assert!(r.regions.is_empty());
}

#[test]
fn account_scope_uses_first_configured_region_and_flags_mismatch() {
    let accounts = vec![
        account("a", &["r1", "r2", "r3"]),
        account("b", &["r1", "r2"]),
    ];
    let outcomes = vec![
        ok(0, "r3", data(100, 70)),
        ok(0, "r2", data(100, 60)),
        failed(0, "r1", "InternalError"),
        ok(1, "r2", data(100, 60)),
        ok(1, "r1", data(100, 60)),
    ];
    let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
    // r1 failed, so r2 (the first configured region that answered) wins.
    assert_eq!(r.accounts[0].used_authorized, Some(60));
    assert_eq!(r.accounts[0].total_authorized, Some(100));
    assert!(r.accounts[0].region_mismatch);
    assert_eq!(r.accounts[0].status, AccountStatus::Partial);
    assert_eq!(r.accounts[1].used_authorized, Some(60));
    assert!(!r.accounts[1].region_mismatch);
    // Counted once: totals are not multiplied by regions.
    assert_eq!(r.totals.int(&TOTAL_AUTHORIZED), Some(200));
}

#[test]
fn region_scope_sums_answering_regions() {
    let accounts = vec![account("a", &["r1", "r2", "r3"])];
    let mut d2 = data(50, 20);
    d2.trial_authorized_cnt = None;
    d2.can_apply_free_image_authorize = Some(true);
    if let Some(q) = d2.image_scan_inquire_info.as_mut() {
        q.end_time = Some("2026-02-10 12:00:00".into());
        q.start_time = Some("2025-06-01 00:00:00".into());
        q.purchase_status = Some("Isolate".into());
    }
    let mut d1 = data(100, 70);
    d1.not_scanned_local_image_cnt = None;
    let outcomes = vec![
        ok(0, "r2", d2),
        ok(0, "r1", d1),
        failed(0, "r3", "UnsupportedRegion"),
    ];
    let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Region));
    let a = &r.accounts[0];
    assert_eq!(a.total_authorized, Some(150));
    assert_eq!(a.used_authorized, Some(90));
    assert_eq!(a.remaining_authorized, Some(60));
    assert_eq!(a.utilization, Some(90.0 / 150.0));
    assert_eq!(a.trial_authorized, Some(5)); // None in one region: sum of the known
    assert_eq!(a.not_scanned_local_images, Some(4));
    assert_eq!(a.total_images, Some(80));
    assert_eq!(a.scan_coverage, Some(60.0 / 80.0));
    assert_eq!(a.duplicate_ratio, Some(16.0 / 80.0));
    assert_eq!(a.can_apply_free_authorize, Some(true));
    assert_eq!(a.scan_quota_capacity, Some(2000));
    assert_eq!(a.scan_quota_used, Some(500));
    assert_eq!(a.scan_quota_utilization, Some(0.25));
    // Earliest start and the soonest end; status from the first answering region.
    assert_eq!(
        a.scan_quota_start.map(|t| t.to_rfc3339()).as_deref(),
        Some("2025-03-01T00:00:00+08:00")
    );
    assert_eq!(
        a.scan_quota_end.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-02-10T12:00:00+08:00")
    );
    assert_eq!(a.scan_quota_status.as_deref(), Some("Normal"));
    assert!(!a.region_mismatch);
    assert_eq!(a.status, AccountStatus::Partial);
}

#[test]
fn over_use_is_negative_and_utilization_above_one() {
    let r = aggregate(
        &[account("a", &["r1"])],
        &[ok(0, "r1", data(10, 15))],
        run_info(RegionScope::Account),
    );
    assert_eq!(r.accounts[0].remaining_authorized, Some(-5));
    assert_eq!(r.accounts[0].utilization, Some(1.5));
    assert_eq!(r.totals.int(&REMAINING_AUTHORIZED), Some(-5));
}

#[test]
fn missing_fields_are_none_not_zero() {
    let sparse = ImageAuthorizedInfo {
        total_authorized_cnt: Some(0),
        scanned_image_cnt: Some(3),
        ..ImageAuthorizedInfo::default()
    };
    let r = aggregate(
        &[account("a", &["r1"])],
        &[ok(0, "r1", sparse)],
        run_info(RegionScope::Account),
    );
    let a = &r.accounts[0];
    assert_eq!(a.status, AccountStatus::Ok);
    assert_eq!(a.total_authorized, Some(0));
    assert_eq!(a.used_authorized, None);
    assert_eq!(a.remaining_authorized, None);
    assert_eq!(a.utilization, None); // total 0 and used unknown
    assert_eq!(a.total_images, None);
    assert_eq!(a.scan_coverage, None);
    assert_eq!(a.duplicate_images, None);
    assert_eq!(a.can_apply_free_authorize, None);
    assert_eq!(a.scan_quota_capacity, None);
    assert_eq!(a.scan_quota_utilization, None);
    assert_eq!(a.scan_quota_end, None);
    assert_eq!(a.scan_quota_days_left, None);
    assert_eq!(r.totals.int(&USED_AUTHORIZED), None);
    assert_eq!(r.totals.int(&TOTAL_AUTHORIZED), Some(0));
    assert_eq!(r.totals.ratio(&UTILIZATION), None);
    assert_eq!(r.totals.int(&SCANNED_IMAGES), Some(3));

    // Total 0 with used known: utilization undefined, not infinite.
    let zero = ImageAuthorizedInfo {
        total_authorized_cnt: Some(0),
        used_authorized_cnt: Some(0),
        ..ImageAuthorizedInfo::default()
    };
    let r = aggregate(
        &[account("a", &["r1"])],
        &[ok(0, "r1", zero)],
        run_info(RegionScope::Account),
    );
    assert_eq!(r.accounts[0].utilization, None);
    assert_eq!(r.accounts[0].remaining_authorized, Some(0));
}

#[test]
fn totals_ratios_are_weighted_not_averaged() {
    let accounts = vec![account("a", &["r1"]), account("b", &["r1"])];
    let outcomes = vec![ok(0, "r1", data(2, 1)), ok(1, "r1", data(100, 99))];
    let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
    assert_eq!(r.totals.ratio(&UTILIZATION), Some(100.0 / 102.0));
    assert_ne!(r.totals.ratio(&UTILIZATION), Some((0.5 + 0.99) / 2.0));
    assert_eq!(r.totals.int(&TOTAL_AUTHORIZED), Some(102));
    assert_eq!(r.totals.int(&USED_AUTHORIZED), Some(100));
    assert_eq!(r.totals.int(&REMAINING_AUTHORIZED), Some(2));
}

#[test]
fn error_accounts_are_excluded_from_totals() {
    let mut a = account("a", &["r1"]);
    a.uin = Some("100000000001".into());
    let accounts = vec![a, account("b", &["r1"])];
    let outcomes = vec![ok(0, "r1", data(10, 4)), failed(1, "r1", "AuthFailure")];
    let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
    assert_eq!(r.totals.int(&TOTAL_AUTHORIZED), Some(10));
    assert_eq!(r.totals.accounts, 2);
    assert_eq!(r.totals.accounts_error, 1);
    assert_eq!(r.totals.ratio(&UTILIZATION), Some(0.4));
    assert_eq!(r.totals.int(&SCAN_QUOTA_CAPACITY), Some(1000));
}

#[test]
fn beijing_times_and_days_left() {
    let t = parse_beijing_time("2026-03-01 00:00:00").unwrap();
    assert_eq!(t.to_rfc3339(), "2026-03-01T00:00:00+08:00");
    assert_eq!(
        t.with_timezone(&Utc).to_rfc3339(),
        "2026-02-28T16:00:00+00:00"
    );
    assert_eq!(
        parse_beijing_time("2026-03-01T02:00:00Z").map(|t| t.to_rfc3339()),
        Some("2026-03-01T10:00:00+08:00".to_string())
    );
    assert_eq!(
        parse_beijing_time("2026-03-01").map(|t| t.to_rfc3339()),
        Some("2026-03-01T00:00:00+08:00".to_string())
    );
    assert_eq!(parse_beijing_time(""), None);
    assert_eq!(parse_beijing_time("0000-00-00 00:00:00"), None);
    assert_eq!(parse_beijing_time("soon"), None);

    // Run starts 2026-02-01T00:00:00Z = 08:00 Beijing.
    let cases = [
        ("2026-03-01 00:00:00", Some(27)), // 27 days 16 hours
        ("2026-02-01 08:00:00", Some(0)),  // exactly now
        ("2026-02-01 07:59:59", Some(-1)), // just expired
        ("2026-01-01 00:00:00", Some(-32)),
        ("not a time", None),
        ("", None),
    ];
    for (end, want) in cases {
        let mut d = data(10, 1);
        if let Some(q) = d.image_scan_inquire_info.as_mut() {
            q.end_time = Some(end.into());
        }
        let r = aggregate(
            &[account("a", &["r1"])],
            &[ok(0, "r1", d)],
            run_info(RegionScope::Account),
        );
        assert_eq!(r.accounts[0].scan_quota_days_left, want, "end {end:?}");
        assert_eq!(r.accounts[0].status, AccountStatus::Ok);
    }
}

#[test]
fn uin_from_config_else_outcome() {
    let mut a = account("a", &["r1", "r2"]);
    a.uin = Some("100000000001".into());
    let accounts = vec![a, account("b", &["r1", "r2"]), account("c", &["r1"])];
    let mut o1 = ok(0, "r1", data(1, 1));
    o1.uin = Some("999".into());
    let mut o2 = failed(1, "r2", "InternalError");
    o2.uin = Some("200000000002".into());
    let outcomes = vec![o1, ok(1, "r1", data(1, 1)), o2, ok(2, "r1", data(1, 1))];
    let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
    assert_eq!(r.accounts[0].uin.as_deref(), Some("100000000001"));
    assert_eq!(r.accounts[1].uin.as_deref(), Some("200000000002"));
    assert_eq!(r.accounts[2].uin, None);
    // Region rows carry the account's uin.
    assert_eq!(r.regions[2].uin.as_deref(), Some("200000000002"));
}

/// Two key pairs of one account (UINs learned equal): counted once, in the
/// first row with the best status; the other keeps its numbers, names the
/// counted one and is flagged on every region row; the totals and the
/// at-a-glance lists leave it out.
#[test]
fn accounts_sharing_a_uin_are_counted_once_and_flagged() {
    let accounts = vec![
        account("pair-1", &["r1", "r2"]),
        account("pair-2", &["r1"]),
        account("other", &["r1"]),
        account("pair-3", &["r1"]),
    ];
    let with_uin = |mut o: QueryOutcome, uin: &str| {
        o.uin = Some(uin.into());
        o
    };
    let outcomes = vec![
        // pair-1 is partial, pair-2 ok: pair-2 is counted.
        with_uin(ok(0, "r1", data(100, 95)), "7"),
        failed(0, "r2", "InternalError"),
        with_uin(ok(1, "r1", data(100, 95)), "7"),
        with_uin(ok(2, "r1", data(10, 1)), "8"),
        with_uin(ok(3, "r1", data(100, 95)), "7"),
    ];
    let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
    let a = &r.accounts;
    assert_eq!(a[1].counted_in, None, "ok beats partial");
    assert_eq!(a[0].counted_in.as_deref(), Some("pair-2"));
    assert_eq!(a[3].counted_in.as_deref(), Some("pair-2"));
    assert_eq!(a[2].counted_in, None);
    assert_eq!(a[0].total_authorized, Some(100), "its numbers are kept");
    let t = &r.totals;
    assert_eq!(t.accounts, 2);
    assert_eq!(
        (t.accounts_ok, t.accounts_partial, t.accounts_error),
        (2, 0, 0)
    );
    assert_eq!(t.int(&TOTAL_AUTHORIZED), Some(110));
    assert_eq!(t.int(&USED_AUTHORIZED), Some(96));
    assert_eq!(t.ratio(&UTILIZATION), Some(96.0 / 110.0));
    // pair-1's two rows (the failed one too) and pair-3's are flagged.
    let flagged: Vec<(&str, &str)> = r
        .regions
        .iter()
        .filter_map(|x| Some((x.account.as_str(), x.warning.as_deref()?)))
        .collect();
    assert_eq!(flagged.len(), 3, "{flagged:?}");
    assert!(flagged.iter().all(|(a, _)| *a != "pair-2" && *a != "other"));
    assert!(
        flagged[0]
            .1
            .starts_with("the same UIN 7 as account `pair-2`"),
        "{flagged:?}"
    );
    // Of the three, two are answers: a failed query is counted as a
    // failure, not twice (the Errors sheet lists it once).
    assert_eq!(t.queries_with_warning, 2);
    assert_eq!(r.problems().count(), r.problem_count());
    let top: Vec<&str> = r
        .most_utilized(10)
        .iter()
        .map(|a| a.account.as_str())
        .collect();
    assert_eq!(top, vec!["pair-2", "other"]);
    assert_eq!(
        r.quotas_ending(100)
            .iter()
            .map(|a| a.account.as_str())
            .collect::<Vec<_>>(),
        vec!["other", "pair-2"]
    );
}

/// Sums too large for an i64 are left empty and flagged, never capped: over
/// regions, a derived column, and the run's totals (on the row whose value
/// made the total too large; later rows do not bring it back).
#[test]
fn sums_too_large_are_empty_and_flagged_never_capped() {
    let huge = || {
        let mut d = data(i64::MAX, 1);
        d.scanned_image_cnt = Some(i64::MAX);
        d
    };
    let accounts = vec![
        account("one", &["r1"]),
        account("two", &["r1"]),
        account("three", &["r1"]),
        account("regions", &["r1", "r2"]),
    ];
    let outcomes = vec![
        ok(0, "r1", huge()),
        ok(1, "r1", data(5, 1)),
        ok(2, "r1", data(5, 1)),
        ok(3, "r1", data(5, 1)),
        ok(3, "r2", huge()),
    ];
    let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Region));
    let one = &r.accounts[0];
    assert_eq!(
        one.total_authorized,
        Some(i64::MAX),
        "one answer is kept exactly"
    );
    assert_eq!(one.total_images, None, "scanned + not scanned is too large");
    assert!(
        one.warnings[0].starts_with("total_images = scanned_images + not_scanned_images goes past")
    );
    let regions = &r.accounts[3];
    assert_eq!(regions.total_authorized, None);
    assert_eq!(regions.scanned_images, None);
    assert_eq!(regions.used_authorized, Some(2));
    assert!(
        regions
            .warnings
            .iter()
            .any(|w| w
                .starts_with("the sum of total_authorized over the answering regions goes past")),
        "{:?}",
        regions.warnings
    );
    let t = &r.totals;
    assert_eq!(
        t.int(&TOTAL_AUTHORIZED),
        None,
        "too large: empty, not {}",
        i64::MAX
    );
    assert_eq!(t.int(&USED_AUTHORIZED), Some(5));
    let two = r.regions.iter().find(|x| x.account == "two").unwrap();
    let w = two.warning.as_deref().unwrap_or_default();
    assert!(
        w.starts_with("adding this account's total_authorized (5) to the run's total goes past"),
        "{w}"
    );
    let three = r.regions.iter().find(|x| x.account == "three").unwrap();
    assert_eq!(three.warning, None, "flagged once");
}

#[test]
fn tag_keys_are_sorted_union() {
    let mut a = account("a", &["r1"]);
    a.tags.insert("team".into(), "pay".into());
    a.tags.insert("cost_center".into(), "cc-1".into());
    let mut b = account("b", &["r1"]);
    b.tags.insert("env".into(), "prod".into());
    b.tags.insert("team".into(), "ops".into());
    let r = aggregate(&[a, b], &[], run_info(RegionScope::Account));
    assert_eq!(r.tag_keys, vec!["cost_center", "env", "team"]);
}

#[test]
fn top_utilized_and_expiring() {
    let accounts: Vec<AccountInfo> = (0..4).map(|i| account(&format!("a{i}"), &["r1"])).collect();
    let mut d3 = data(10, 9);
    if let Some(q) = d3.image_scan_inquire_info.as_mut() {
        q.end_time = Some("2026-02-05 00:00:00".into());
    }
    let mut d0 = data(10, 2);
    if let Some(q) = d0.image_scan_inquire_info.as_mut() {
        q.end_time = Some("2027-01-01 00:00:00".into());
    }
    let outcomes = vec![
        ok(0, "r1", d0),
        ok(1, "r1", data(10, 8)),
        failed(2, "r1", "AuthFailure"),
        ok(3, "r1", d3),
    ];
    let r = aggregate(&accounts, &outcomes, run_info(RegionScope::Account));
    let top: Vec<&str> = r
        .most_utilized(2)
        .iter()
        .map(|a| a.account.as_str())
        .collect();
    assert_eq!(top, vec!["a3", "a1"]);
    let top: Vec<&str> = r
        .most_utilized(10)
        .iter()
        .map(|a| a.account.as_str())
        .collect();
    assert_eq!(top, vec!["a3", "a1", "a0"], "error accounts are not ranked");
    // a3 ends in 3 days 16 hours, a1 in 27 days, a0 next year.
    let exp: Vec<(&str, Option<i64>)> = r
        .quotas_ending(30)
        .iter()
        .map(|a| (a.account.as_str(), a.scan_quota_days_left))
        .collect();
    assert_eq!(exp, vec![("a3", Some(3)), ("a1", Some(27))]);
}

fn arb_info() -> impl Strategy<Value = ImageAuthorizedInfo> {
    let n = || proptest::option::of(-5i64..1000);
    (
        (n(), n(), n(), n(), n()),
        (n(), n(), proptest::option::of(any::<bool>())),
        proptest::option::of((n(), n())),
    )
        .prop_map(|((t, u, s, ns, d), (tr, p, can), q)| ImageAuthorizedInfo {
            total_authorized_cnt: t,
            used_authorized_cnt: u,
            scanned_image_cnt: s,
            not_scanned_image_cnt: ns,
            repeat_image_id_cnt: d,
            trial_authorized_cnt: tr,
            purchased_authorized_cnt: p,
            can_apply_free_image_authorize: can,
            image_scan_inquire_info: q.map(|(c, u)| ImageScanInquireInfo {
                capcity: c,
                useage: u,
                ..ImageScanInquireInfo::default()
            }),
            ..ImageAuthorizedInfo::default()
        })
}

fn arb_result() -> impl Strategy<Value = QueryResult> {
    prop_oneof![
        3 => arb_info().prop_map(|d| QueryResult::Ok(d.into())),
        1 => Just(QueryResult::Failed { code: "InternalError".into(), message: "x".into() }),
        1 => Just(QueryResult::Cancelled),
    ]
}

/// Independent recomputation from the rows.
fn weighted(
    rows: &[&AccountRow],
    f: impl Fn(&AccountRow) -> (Option<i64>, Option<i64>),
) -> Option<f64> {
    let (mut n, mut d) = (0f64, 0f64);
    for r in rows {
        if let (Some(a), Some(b)) = f(r) {
            n += a as f64;
            d += b as f64;
        }
    }
    (d != 0.0).then(|| n / d)
}

fn sum(rows: &[&AccountRow], f: impl Fn(&AccountRow) -> Option<i64>) -> Option<i64> {
    let known: Vec<i64> = rows.iter().filter_map(|r| f(r)).collect();
    (!known.is_empty()).then(|| known.iter().sum())
}

proptest! {
    #[test]
    fn totals_equal_recomputation_from_rows(
        results in proptest::collection::vec(proptest::collection::vec(arb_result(), 1..4), 0..12),
        region_scope in prop_oneof![Just(RegionScope::Account), Just(RegionScope::Region)],
    ) {
        let regions = ["r1", "r2", "r3"];
        let accounts: Vec<AccountInfo> = results
            .iter()
            .enumerate()
            .map(|(i, rs)| account(&format!("a{i}"), &regions[..rs.len()]))
            .collect();
        let outcomes: Vec<QueryOutcome> = results
            .iter()
            .enumerate()
            .flat_map(|(i, rs)| {
                rs.iter()
                    .enumerate()
                    .map(move |(j, res)| outcome(i, regions[j], res.clone(), 1))
            })
            .collect();
        let r = aggregate(&accounts, &outcomes, run_info(region_scope));
        let t = &r.totals;
        let live: Vec<&AccountRow> = r.accounts.iter().filter(|a| a.status != AccountStatus::Error).collect();
        prop_assert_eq!(t.accounts, accounts.len());
        prop_assert_eq!(t.accounts_ok + t.accounts_partial + t.accounts_error, t.accounts);
        prop_assert_eq!(t.accounts_error, r.accounts.len() - live.len());
        prop_assert_eq!(t.queries, outcomes.len());
        prop_assert_eq!(t.queries_ok + t.queries_failed + t.queries_cancelled, t.queries);
        prop_assert_eq!(r.regions.len(), outcomes.len());
        prop_assert_eq!(t.int(&TOTAL_AUTHORIZED), sum(&live, |a| a.total_authorized));
        prop_assert_eq!(t.int(&USED_AUTHORIZED), sum(&live, |a| a.used_authorized));
        prop_assert_eq!(t.int(&REMAINING_AUTHORIZED), sum(&live, |a| a.remaining_authorized));
        prop_assert_eq!(t.int(&SCANNED_IMAGES), sum(&live, |a| a.scanned_images));
        prop_assert_eq!(t.int(&TOTAL_IMAGES), sum(&live, |a| a.total_images));
        prop_assert_eq!(t.int(&DUPLICATE_IMAGES), sum(&live, |a| a.duplicate_images));
        prop_assert_eq!(t.int(&SCAN_QUOTA_CAPACITY), sum(&live, |a| a.scan_quota_capacity));
        prop_assert_eq!(t.ratio(&UTILIZATION), weighted(&live, |a| (a.used_authorized, a.total_authorized)));
        prop_assert_eq!(t.ratio(&SCAN_COVERAGE), weighted(&live, |a| (a.scanned_images, a.total_images)));
        prop_assert_eq!(t.ratio(&DUPLICATE_RATIO), weighted(&live, |a| (a.duplicate_images, a.total_images)));
        prop_assert_eq!(t.ratio(&SCAN_QUOTA_UTILIZATION), weighted(&live, |a| (a.scan_quota_used, a.scan_quota_capacity)));
        for (a, rs) in r.accounts.iter().zip(&results) {
            let answered = rs.iter().filter(|x| matches!(x, QueryResult::Ok(_))).count();
            prop_assert_eq!(a.regions_ok as usize, answered);
            prop_assert_eq!((a.regions_ok + a.regions_failed) as usize, rs.len());
            prop_assert_eq!(a.status == AccountStatus::Error, answered == 0);
            if a.status == AccountStatus::Error {
                prop_assert_eq!(a.total_authorized, None);
                prop_assert!(a.error_code.is_some());
            }
            if let (Some(t), Some(u)) = (a.total_authorized, a.used_authorized) {
                prop_assert_eq!(a.remaining_authorized, Some(t - u));
            }
        }
    }
}

mod license;
