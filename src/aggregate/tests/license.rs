//! The license picture: an account's status over every query, the
//! account-wide queries' rows, and every edition, core and
//! auto-authorization column exactly, with nulls, empty times and values
//! no documentation names.

use tcapi::tcss::{
    AutoAuthorizeRange, AutoRenewal, EditionState, ImageAutoAuthorizedRule, PurchaseStateInfo,
};

use super::*;
use crate::columns::license::{AutoAuthorize, EditionCounts, License};
use crate::model::RegionScope;
use crate::test_support::{account, data, failed, ok, run_info, wide_failed, wide_ok};

/// A run of 2026-02-01T00:00:00Z (08:00 in Beijing) that collects every call.
fn run_all() -> RunInfo {
    RunInfo {
        collect: Call::ALL.to_vec(),
        ..run_info(RegionScope::Account)
    }
}

/// An edition in `state`, ending at `end` (Beijing time), renewed as `renewal`.
fn edition(state: i64, end: &str, renewal: i64) -> PurchaseStateInfo {
    PurchaseStateInfo {
        state: Some(state.into()),
        all_cores_cnt: Some(12),
        cores_cnt: Some(10),
        undefend_cores_cnt: Some(2),
        authorized_cores_cnt: Some(8),
        given_authorized_cores_cnt: Some(0),
        current_flexible_cores_cnt: Some(2),
        flexible_cores_limit: Some(16),
        expiration_time: Some(end.into()),
        begin_time: Some("2025-03-01 00:00:00".into()),
        automatic_renewal: Some(renewal.into()),
        sub_state: Some("NORMAL".into()),
        given_authorized_cnt: Some(0),
    }
}

fn rule(enabled: Option<i64>, range: Option<&str>) -> ImageAutoAuthorizedRule {
    ImageAutoAuthorizedRule {
        is_enabled: enabled,
        range_type: range.map(|r| AutoAuthorizeRange::from(r.to_string())),
        host_count: Some(3),
        max_daily_count: Some(0),
        rule_id: Some(7),
    }
}

/// The aggregate of one account per `(purchase, rule)` pair, each asked
/// both (and its images) in `r1`.
fn of(answers: Vec<(PurchaseStateInfo, ImageAutoAuthorizedRule)>) -> Aggregate {
    let mut accounts = Vec::new();
    let mut outcomes = Vec::new();
    for (i, (p, r)) in answers.into_iter().enumerate() {
        accounts.push(account(&format!("a{i}"), &["r1"]));
        outcomes.push(ok(i, "r1", data(10, 5)));
        outcomes.push(wide_ok(i, "r1", p.into()));
        outcomes.push(wide_ok(i, "r1", r.into()));
    }
    aggregate(&accounts, &outcomes, run_all())
}

#[test]
fn every_query_counts_in_the_status_and_account_wide_ones_are_their_own_rows() {
    let accounts = vec![
        account("all", &["r1", "r2"]),
        account("no-edition", &["r1"]),
        account("no-images", &["r1"]),
        account("nothing", &["r1"]),
        account("never-asked", &["r1"]),
    ];
    let p = || Answer::from(edition(3, "2026-03-01 00:00:00", 1));
    let r = || Answer::from(rule(Some(1), Some("ALL")));
    let outcomes = vec![
        ok(0, "r1", data(10, 5)),
        wide_ok(0, "r1", p()),
        wide_ok(0, "r1", r()),
        ok(0, "r2", data(10, 5)),
        ok(1, "r1", data(10, 5)),
        wide_failed(1, "r1", Call::PurchaseStateInfo, "InternalError.MainDBFail"),
        wide_ok(1, "r1", r()),
        failed(2, "r1", "UnsupportedRegion"),
        wide_ok(2, "r1", p()),
        wide_ok(2, "r1", r()),
        failed(3, "r1", "AuthFailure"),
        wide_failed(3, "r1", Call::PurchaseStateInfo, "AuthFailure"),
        wide_failed(3, "r1", Call::ImageAutoAuthorizedRule, "AuthFailure"),
        ok(4, "r1", data(10, 5)),
    ];
    let agg = aggregate(&accounts, &outcomes, run_all());
    let status: Vec<AccountStatus> = agg.accounts.iter().map(|a| a.status).collect();
    use AccountStatus::{Error, Ok, Partial};
    assert_eq!(status, [Ok, Partial, Partial, Error, Partial]);
    let a = &agg.accounts;
    // The regions are the images' only.
    assert_eq!((a[1].regions_ok, a[1].regions_failed), (1, 0));
    assert_eq!((a[2].regions_ok, a[2].regions_failed), (0, 1));
    // A failed account-wide call is the account's error when no region failed.
    assert_eq!(a[1].error_code.as_deref(), Some("InternalError.MainDBFail"));
    assert_eq!(a[1].request_id.as_deref(), Some("req-err-1-edition"));
    assert_eq!(a[1].license.edition, None, "not answered: empty");
    assert_eq!(a[1].license.auto_authorize, Some(AutoAuthorize::All));
    // A region's failure comes first.
    assert_eq!(a[2].error_code.as_deref(), Some("UnsupportedRegion"));
    assert_eq!(a[2].total_authorized, None);
    assert_eq!(a[2].license.edition, Some(EditionState::Pro));
    // Account-wide calls never made are not queried.
    assert_eq!(a[4].error_code.as_deref(), Some(NOT_QUERIED_CODE));
    assert_eq!(a[0].request_id.as_deref(), Some("req-ok-0-r1"));
    // The regions table keeps the images' queries; the account-wide ones
    // are rows of their own, with their action.
    assert_eq!(agg.regions.len(), 6);
    assert!(agg
        .regions
        .iter()
        .all(|r| r.action == "DescribeImageAuthorizedInfo"));
    let wide: Vec<(&str, &str, &str, RegionStatus)> = agg
        .account_queries
        .iter()
        .map(|q| (q.account.as_str(), q.action, q.region.as_str(), q.status))
        .collect();
    assert_eq!(
        wide,
        [
            ("all", "DescribePurchaseStateInfo", "r1", RegionStatus::Ok),
            (
                "all",
                "DescribeImageAutoAuthorizedRule",
                "r1",
                RegionStatus::Ok
            ),
            (
                "no-edition",
                "DescribePurchaseStateInfo",
                "r1",
                RegionStatus::Error
            ),
            (
                "no-edition",
                "DescribeImageAutoAuthorizedRule",
                "r1",
                RegionStatus::Ok
            ),
            (
                "no-images",
                "DescribePurchaseStateInfo",
                "r1",
                RegionStatus::Ok
            ),
            (
                "no-images",
                "DescribeImageAutoAuthorizedRule",
                "r1",
                RegionStatus::Ok
            ),
            (
                "nothing",
                "DescribePurchaseStateInfo",
                "r1",
                RegionStatus::Error
            ),
            (
                "nothing",
                "DescribeImageAutoAuthorizedRule",
                "r1",
                RegionStatus::Error
            ),
        ]
    );
    assert!(agg.account_queries.iter().all(|q| q.image.is_none()));
    // Every failure of any action, with its action.
    let failures: Vec<(&str, &str)> = agg
        .failures()
        .map(|f| (f.account.as_str(), f.action))
        .collect();
    assert_eq!(
        failures,
        [
            ("no-images", "DescribeImageAuthorizedInfo"),
            ("nothing", "DescribeImageAuthorizedInfo"),
            ("no-edition", "DescribePurchaseStateInfo"),
            ("nothing", "DescribePurchaseStateInfo"),
            ("nothing", "DescribeImageAutoAuthorizedRule"),
        ]
    );
    assert_eq!(agg.failure_count(), 5);
    assert_eq!(
        (
            agg.totals.queries,
            agg.totals.queries_ok,
            agg.totals.queries_failed
        ),
        (14, 9, 5)
    );
}

#[test]
fn what_was_not_collected_is_empty_and_not_counted() {
    let accounts = vec![account("a", &["r1", "r2"])];
    // Images only: the account-wide calls are not missing.
    let images = aggregate(
        &accounts,
        &[ok(0, "r1", data(10, 5)), ok(0, "r2", data(10, 5))],
        run_info(RegionScope::Account),
    );
    assert_eq!(images.accounts[0].status, AccountStatus::Ok);
    assert_eq!(images.accounts[0].license, License::default());
    assert_eq!(images.totals.editions, EditionCounts::default());
    // The edition only: no region is missing, the images' columns are empty.
    let run = RunInfo {
        collect: vec![Call::PurchaseStateInfo],
        ..run_info(RegionScope::Account)
    };
    let p = edition(2, "2026-02-15 00:00:00", 0);
    let only = aggregate(&accounts, &[wide_ok(0, "r1", p.into())], run);
    let a = &only.accounts[0];
    assert_eq!(a.status, AccountStatus::Ok);
    assert_eq!((a.regions_ok, a.regions_failed), (0, 0));
    assert_eq!(a.total_authorized, None);
    assert_eq!(a.request_id.as_deref(), Some("req-ok-0-edition"));
    assert_eq!(a.license.edition, Some(EditionState::Trial));
    assert_eq!(a.license.auto_authorize, None);
    assert!(only.regions.is_empty());
}

#[test]
fn edition_states_renewals_and_days_exactly() {
    // The run started at 2026-02-01 08:00 in Beijing.
    let agg = of(vec![
        (edition(0, "", 0), rule(Some(0), Some("MANUAL"))),
        (edition(1, "", 2), rule(Some(1), Some("ALL"))),
        (
            edition(2, "2026-03-03 08:00:00", 0),
            rule(Some(1), Some("MANUAL")),
        ),
        (
            edition(3, "2026-03-03 08:00:01", 1),
            rule(Some(1), Some("CLUSTER")),
        ),
        (
            edition(3, "2026-03-04 08:00:00", 2),
            rule(Some(2), Some("ALL")),
        ),
        (
            edition(4, "2026-02-01 07:59:59", 194),
            rule(None, Some("ALL")),
        ),
        (edition(9, "2026-02-01 08:00:00", -1), rule(Some(1), None)),
    ]);
    let l: Vec<&License> = agg.accounts.iter().map(|a| &a.license).collect();
    let words = |i: usize| {
        let row = &agg.accounts[i];
        [
            &crate::columns::license::EDITION,
            &crate::columns::license::AUTO_RENEW,
            &crate::columns::license::AUTO_AUTHORIZE,
        ]
        .map(|c| c.cell(row).as_text().map(str::to_string))
    };
    let w = |a: &str, b: &str, c: Option<&str>| {
        [
            Some(a.to_string()),
            Some(b.to_string()),
            c.map(str::to_string),
        ]
    };
    assert_eq!(words(0), w("trial_available", "unset", Some("off")));
    assert_eq!(words(1), w("purchase_only", "off", Some("all")));
    assert_eq!(words(2), w("trial", "unset", Some("manual")));
    assert_eq!(words(3), w("pro", "on", Some("unknown:CLUSTER")));
    assert_eq!(words(4), w("pro", "off", Some("all")));
    assert_eq!(words(5), w("pro_expired", "unknown:194", None));
    assert_eq!(words(6), w("unknown:9", "unknown:-1", None));
    // Empty times are empty; days from the run's start, rounded down.
    assert_eq!(
        (l[0].edition_end, l[0].edition_days_left, l[0].days_to_lapse),
        (None, None, None)
    );
    assert_eq!(
        (l[2].edition_days_left, l[2].days_to_lapse),
        (Some(30), Some(30))
    );
    assert_eq!(
        l[2].edition_end
            .map(|t| crate::columns::rfc3339(&t))
            .as_deref(),
        Some("2026-03-03T08:00:00+08:00")
    );
    // Renewed automatically: it does not lapse.
    assert_eq!(
        (l[3].edition_days_left, l[3].days_to_lapse),
        (Some(30), None)
    );
    assert_eq!(
        (l[4].edition_days_left, l[4].days_to_lapse),
        (Some(31), Some(31))
    );
    assert_eq!(
        (l[5].edition_days_left, l[5].days_to_lapse),
        (Some(-1), Some(-1))
    );
    assert_eq!(
        (l[6].edition_days_left, l[6].days_to_lapse),
        (Some(0), Some(0))
    );
    assert_eq!(l[0].edition_sub_state.as_deref(), Some("NORMAL"));
    assert_eq!(
        l[0].edition_start
            .map(|t| crate::columns::rfc3339(&t))
            .as_deref(),
        Some("2025-03-01T00:00:00+08:00")
    );
    // The cores as sent, the coverage their ratio, the rule's numbers.
    assert_eq!(
        (
            l[0].cores_total,
            l[0].cores_protected,
            l[0].cores_unprotected,
            l[0].cores_purchased
        ),
        (Some(12), Some(10), Some(2), Some(8))
    );
    assert_eq!(
        (
            l[0].cores_trial,
            l[0].cores_flexible,
            l[0].cores_flexible_limit
        ),
        (Some(0), Some(2), Some(16))
    );
    assert_eq!(l[0].core_coverage, Some(10.0 / 12.0));
    assert_eq!(l[0].image_licenses_given, Some(0));
    assert_eq!(
        (l[0].auto_authorize_daily_cap, l[0].auto_authorize_hosts),
        (Some(0), Some(3))
    );
    assert_eq!(
        agg.totals.editions,
        EditionCounts {
            pro: Some(2),
            trial: Some(1),
            pro_expired: Some(1),
            // 30 days left (trial) and 0 days left (unknown state); not the
            // renewing one, not 31, not the lapsed one.
            lapsing_30d: Some(2),
        }
    );
    let total = |c| agg.totals.int(c);
    use crate::columns::license::{
        CORES_PROTECTED, CORES_PURCHASED, CORES_TOTAL, CORES_UNPROTECTED,
    };
    assert_eq!(
        [
            &CORES_TOTAL,
            &CORES_PROTECTED,
            &CORES_UNPROTECTED,
            &CORES_PURCHASED
        ]
        .map(total),
        [Some(84), Some(70), Some(14), Some(56)]
    );
    assert_eq!(
        agg.totals.ratio(&crate::columns::license::CORE_COVERAGE),
        Some(70.0 / 84.0)
    );
}

#[test]
fn nulls_and_missing_fields_stay_empty() {
    let bare = PurchaseStateInfo {
        expiration_time: Some("   ".into()),
        sub_state: Some(String::new()),
        automatic_renewal: Some(AutoRenewal::On),
        ..PurchaseStateInfo::default()
    };
    let agg = of(vec![
        (bare, ImageAutoAuthorizedRule::default()),
        (
            PurchaseStateInfo {
                all_cores_cnt: Some(0),
                cores_cnt: Some(0),
                state: Some(EditionState::Pro),
                ..PurchaseStateInfo::default()
            },
            rule(Some(0), None),
        ),
    ]);
    let l = &agg.accounts[0].license;
    assert_eq!(
        *l,
        License {
            auto_renew: Some(AutoRenewal::On),
            ..License::default()
        },
        "every unknown value empty, never zero"
    );
    let z = &agg.accounts[1].license;
    assert_eq!(
        (z.cores_total, z.core_coverage),
        (Some(0), None),
        "0 of 0 is no ratio"
    );
    assert_eq!(
        z.auto_authorize,
        Some(AutoAuthorize::Off),
        "off whatever the range"
    );
    assert_eq!((z.days_to_lapse, z.edition_days_left), (None, None));
    // An error account is not counted; an account that knows no edition
    // is not counted either.
    assert_eq!(agg.totals.editions.pro, Some(1));
    assert_eq!(agg.totals.editions.lapsing_30d, Some(0));
}

/// The editions ending within a window, auto-renewing or not, soonest
/// first; those ended (`pro_expired`, or an end past) apart, the most
/// recently ended first, an unknown end last.
#[test]
fn editions_ending_and_ended_are_apart() {
    // The run started at 2026-02-01 08:00 in Beijing.
    let on = |state, end| (edition(state, end, 1), rule(Some(0), None));
    let agg = of(vec![
        on(3, "2026-03-01 08:00:00"),
        on(3, "2026-02-05 08:00:00"),
        on(2, "2026-02-05 08:00:00"),
        on(3, "2026-09-01 08:00:00"),
        on(4, "2026-01-20 08:00:00"),
        on(4, ""),
        on(3, "2026-01-30 08:00:00"),
        on(4, "2026-02-10 08:00:00"),
    ]);
    let names = |rows: Vec<&AccountRow>| -> Vec<String> {
        rows.iter().map(|a| a.account.clone()).collect()
    };
    assert_eq!(names(agg.editions_ending(90)), ["a1", "a2", "a0"]);
    assert_eq!(names(agg.editions_ending(4)), ["a1", "a2"]);
    assert!(agg.editions_ending(3).is_empty());
    assert_eq!(names(agg.editions_ended()), ["a7", "a6", "a4", "a5"]);
}
