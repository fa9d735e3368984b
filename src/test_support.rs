//! Fixtures shared by the tests of several modules: a run's facts, an
//! account, an answered describe call and one constructor of a query
//! outcome (with its three ends), a sample report, the same compared with
//! an earlier run and with two breaches, and an earlier run's account.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use tcapi::tcss::{AutoRenewal, EditionState, ImageAuthorizedInfo, ImageScanInquireInfo};

use crate::aggregate::{aggregate, AccountRow};
use crate::calls::{Answer, Call};
use crate::columns::accounts::{
    REMAINING_AUTHORIZED, TOTAL_AUTHORIZED, USED_AUTHORIZED, UTILIZATION,
};
use crate::columns::license::{AutoAuthorize, License};
use crate::columns::totals::count_columns;
use crate::columns::{Cell, Column};
use crate::compare::{compare, Comparison, Previous, PreviousAccount, Values};
use crate::model::{AccountInfo, QueryOutcome, QueryResult, RegionScope, RunInfo};
use crate::report::Report;
use crate::thresholds::{evaluate, parse, Origin};

/// A complete simulated run of 2026-02-01, 90 s long, in `scope`.
pub(crate) fn run_info(scope: RegionScope) -> RunInfo {
    RunInfo {
        started_at: Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap(),
        finished_at: Utc.with_ymd_and_hms(2026, 2, 1, 0, 1, 30).unwrap(),
        version: "0.1.0".into(),
        config_path: "accounts.toml".into(),
        config_digest: "ab".repeat(32),
        complete: true,
        region_scope: scope,
        simulated: true,
        stem: "tcss-authorizations-20260201T000000Z".into(),
        organizations: Vec::new(),
        history: crate::model::HistoryOutcome::Off,
        scope: Default::default(),
        notifications: Vec::new(),
        collect: vec![Call::ImageAuthorizedInfo],
    }
}

/// An account of the config with no UIN and no tags.
pub(crate) fn account(name: &str, regions: &[&str]) -> AccountInfo {
    AccountInfo {
        name: name.into(),
        uin: None,
        tags: BTreeMap::new(),
        regions: regions.iter().map(|r| r.to_string()).collect(),
    }
}

/// An answer of `total` licenses with `used` used (5 trial, 1 of them
/// used), 30 of 40 images scanned, 8 duplicates, a scan quota of 1000 with
/// 250 used from 2025-03-01 to 2026-03-01.
pub(crate) fn data(total: i64, used: i64) -> ImageAuthorizedInfo {
    ImageAuthorizedInfo {
        total_authorized_cnt: Some(total),
        used_authorized_cnt: Some(used),
        scanned_image_cnt: Some(30),
        not_scanned_image_cnt: Some(10),
        not_scanned_local_image_cnt: Some(4),
        trial_authorized_cnt: Some(5),
        used_trial_authorized_cnt: Some(1),
        purchased_authorized_cnt: Some(total - 5),
        used_purchased_authorized_cnt: Some(used - 1),
        can_apply_free_image_authorize: Some(false),
        repeat_image_id_cnt: Some(8),
        image_scan_inquire_info: Some(ImageScanInquireInfo {
            capcity: Some(1000),
            useage: Some(250),
            start_time: Some("2025-03-01 00:00:00".into()),
            end_time: Some("2026-03-01 00:00:00".into()),
            purchase_status: Some("Normal".into()),
            ..ImageScanInquireInfo::default()
        }),
    }
}

/// A license picture with every value known: the Pro edition from
/// 2025-03-01 to 2026-03-01 (28 days after the sample run's start), not
/// renewed automatically, 12 cores of which 10 protected (8 purchased, 2
/// flexible of up to 16), 50 image licenses given, every image authorized
/// automatically, at most 100 a day.
pub(crate) fn full_license() -> License {
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    License {
        edition: Some(EditionState::Pro),
        edition_sub_state: Some("NORMAL".into()),
        edition_start: beijing.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).single(),
        edition_end: beijing.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).single(),
        edition_days_left: Some(27),
        auto_renew: Some(AutoRenewal::Off),
        days_to_lapse: Some(27),
        cores_total: Some(12),
        cores_protected: Some(10),
        cores_unprotected: Some(2),
        cores_purchased: Some(8),
        cores_trial: Some(0),
        cores_flexible: Some(2),
        cores_flexible_limit: Some(16),
        core_coverage: Some(10.0 / 12.0),
        image_licenses_given: Some(50),
        auto_authorize: Some(AutoAuthorize::All),
        auto_authorize_daily_cap: Some(100),
        auto_authorize_hosts: Some(0),
    }
}

/// A query's outcome: `result` after `attempts` attempts, with the usual
/// other facts (latency, request id) for such an end.
pub(crate) fn outcome(
    account_index: usize,
    region: &str,
    result: QueryResult,
    attempts: u32,
) -> QueryOutcome {
    let (throttled, latency_ms, request_id) = match &result {
        QueryResult::Ok(_) => (0, 42, Some(format!("req-ok-{account_index}-{region}"))),
        QueryResult::Failed { .. } => (2, 900, Some(format!("req-err-{account_index}-{region}"))),
        QueryResult::Cancelled => (0, 0, None),
    };
    QueryOutcome {
        account_index,
        call: Call::ImageAuthorizedInfo,
        region: region.into(),
        result,
        attempts,
        throttled,
        latency_ms,
        request_id,
        uin: None,
        last_error: None,
    }
}

/// The account-wide call of `answer`'s kind, of account `account_index`
/// asked in `region`, answered with `answer`.
pub(crate) fn wide_ok(account_index: usize, region: &str, answer: Answer) -> QueryOutcome {
    let call = match &answer {
        Answer::ImageAuthorizedInfo(_) => Call::ImageAuthorizedInfo,
        Answer::PurchaseStateInfo(_) => Call::PurchaseStateInfo,
        Answer::ImageAutoAuthorizedRule(_) => Call::ImageAutoAuthorizedRule,
    };
    let mut o = outcome(account_index, region, QueryResult::Ok(answer), 1);
    o.call = call;
    o.request_id = Some(format!("req-ok-{account_index}-{}", call.collects()));
    o
}

/// The account-wide `call` of account `account_index`, failed with `code`
/// after three attempts.
pub(crate) fn wide_failed(
    account_index: usize,
    region: &str,
    call: Call,
    code: &str,
) -> QueryOutcome {
    let mut o = failed(account_index, region, code);
    o.call = call;
    o.request_id = Some(format!("req-err-{account_index}-{}", call.collects()));
    o
}

/// The describe call of account `account_index` in `region`, answered with `d`.
pub(crate) fn ok(account_index: usize, region: &str, d: ImageAuthorizedInfo) -> QueryOutcome {
    outcome(account_index, region, QueryResult::Ok(d.into()), 1)
}

/// The describe call failed with `code` after three attempts.
pub(crate) fn failed(account_index: usize, region: &str, code: &str) -> QueryOutcome {
    let result = QueryResult::Failed {
        code: code.into(),
        message: format!("{code} happened"),
    };
    outcome(account_index, region, result, 3)
}

/// The describe call cancelled before its first attempt.
pub(crate) fn cancelled(account_index: usize, region: &str) -> QueryOutcome {
    outcome(account_index, region, QueryResult::Cancelled, 0)
}

/// The report of `outcomes` of `accounts` (no comparison, no breach).
pub(crate) fn report_of(
    accounts: &[AccountInfo],
    outcomes: &[QueryOutcome],
    run: RunInfo,
) -> Report {
    Report::new(aggregate(accounts, outcomes, run))
}

/// A small report exercising every kind of row: ok, partial (over-use,
/// formula-like names and tags), error, cancelled, a UIN longer than a
/// double's exact range.
pub(crate) fn sample_report() -> Report {
    let mut a = account("payments-prod", &["ap-guangzhou", "ap-shanghai"]);
    a.uin = Some("100012345678901234".into());
    a.tags.insert("team".into(), "payments".into());
    a.tags
        .insert("cost_center".into(), "=HYPERLINK(\"x\")".into());
    let mut b = account("-member-a", &["ap-guangzhou"]);
    b.tags.insert("team".into(), "@ops".into());
    let c = account("legacy", &["ap-guangzhou", "ap-beijing"]);
    let d = account("late", &["ap-guangzhou"]);
    let mut broken = failed(2, "ap-guangzhou", "AuthFailure.SignatureFailure");
    broken.result = QueryResult::Failed {
        code: "AuthFailure.SignatureFailure".into(),
        message: "bad | signature\nsecond line".into(),
    };
    let mut over = data(10, 15);
    if let Some(q) = over.image_scan_inquire_info.as_mut() {
        q.end_time = Some("2026-02-10 00:00:00".into());
    }
    let outcomes = vec![
        ok(0, "ap-guangzhou", data(100, 97)),
        ok(0, "ap-shanghai", data(100, 97)),
        ok(1, "ap-guangzhou", over),
        broken,
        failed(2, "ap-beijing", "UnsupportedRegion"),
        cancelled(3, "ap-guangzhou"),
    ];
    report_of(&[a, b, c, d], &outcomes, run_info(RegionScope::Account))
}

/// [`sample_report`] grouped by `team` (`payments`, `@ops`, two untagged)
/// and `cost_center` (one formula-like value, three untagged).
pub(crate) fn grouped_report() -> Report {
    let mut report = sample_report();
    let keys = ["team".to_string(), "cost_center".to_string()];
    report.groups = crate::groups::group(&report.aggregate.accounts, &keys);
    report
}

/// [`sample_report`] compared with an earlier run: `payments-prod` used 7
/// more licenses (90 → 97, +7.0 pp), `-member-a` is unchanged, `legacy`
/// (an error now) has no known difference, `late` is new, and `retired`
/// vanished; the earlier totals held 140 licenses (-30 now), 114 used
/// (-2), and no `licenses_short`.
pub(crate) fn compared_report() -> Report {
    let mut report = sample_report();
    for (a, uin) in report.aggregate.accounts[1..].iter_mut().zip([
        "200000000001",
        "200000000002",
        "200000000003",
    ]) {
        a.uin = Some(uin.into());
    }
    let same = previous_account;
    let mut pay = same(&report.aggregate.accounts[0]);
    pay.values.set(&USED_AUTHORIZED, Cell::Int(90));
    pay.values.set(&REMAINING_AUTHORIZED, Cell::Int(10));
    pay.values.set(&UTILIZATION, Cell::Ratio(0.90));
    let mut legacy = same(&report.aggregate.accounts[2]);
    legacy.status = "ok".into();
    legacy.values.set(&TOTAL_AUTHORIZED, Cell::Int(20));
    legacy.values.set(&USED_AUTHORIZED, Cell::Int(4));
    let retired = PreviousAccount {
        account: "retired".into(),
        uin: Some("200000000009".into()),
        status: "ok".into(),
        values: values(&[
            (&TOTAL_AUTHORIZED, Cell::Int(10)),
            (&USED_AUTHORIZED, Cell::Int(5)),
            (&REMAINING_AUTHORIZED, Cell::Int(5)),
            (&UTILIZATION, Cell::Ratio(0.5)),
        ]),
    };
    // The earlier totals: 140 licenses of which 114 used (30 and 2 more
    // than now), no licenses_short yet (a run of an older version).
    let totals = count_columns()
        .iter()
        .map(|c| match c.key() {
            "total_authorized" => Cell::Int(140),
            "used_authorized" => Cell::Int(114),
            "licenses_short" => Cell::Empty,
            _ => c.cell(&report.aggregate.totals).into_owned(),
        })
        .collect();
    let previous = Previous {
        run: "tcss-authorizations-20260101T000000Z".into(),
        generated_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 1, 0).unwrap(),
        accounts: vec![pay, same(&report.aggregate.accounts[1]), legacy, retired],
        totals,
    };
    report.comparison = Comparison::With(compare(
        &report.aggregate.accounts,
        &report.aggregate.totals,
        &previous,
    ));
    report
}

/// The sample report with two breaches: `payments-prod` (UIN
/// 100012345678901234) at 97% utilization, and the totals' failed queries.
pub(crate) fn breached_report() -> Report {
    let mut r = sample_report();
    let ts: Vec<_> = ["utilization >= 90%", "total.failed_queries > 2.5"]
        .iter()
        .map(|e| parse(e, Origin::CommandLine).expect("valid"))
        .collect();
    r.breaches = evaluate(&r.aggregate, &r.comparison, &r.groups, &ts);
    r.breaches
        .retain(|b| b.account.as_deref() != Some("-member-a"));
    assert_eq!(r.breaches.len(), 2, "{:?}", r.breaches);
    r
}

/// `a` as an earlier run's snapshot would give it back.
pub(crate) fn previous_account(a: &AccountRow) -> PreviousAccount {
    PreviousAccount {
        account: a.account.clone(),
        uin: a.uin.clone(),
        status: a.status.as_str().into(),
        values: Values::of(a),
    }
}

/// Compared values: `cells` of their columns, every other one empty.
pub(crate) fn values(cells: &[(&Column<AccountRow>, Cell<'static>)]) -> Values {
    let mut values = Values::default();
    for (column, cell) in cells {
        values.set(column, cell.clone());
    }
    values
}
