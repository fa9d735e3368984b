use chrono::TimeZone;

use super::*;
use crate::columns::accounts::{
    DUPLICATE_IMAGES, REMAINING_AUTHORIZED, SCANNED_IMAGES, SCAN_QUOTA_USED, TOTAL_AUTHORIZED,
    USED_AUTHORIZED, UTILIZATION,
};
use crate::columns::license::{CORES_PROTECTED, CORES_TOTAL, CORES_UNPROTECTED};
use crate::test_support::{previous_account, sample_report, values};

fn previous_of(rows: &[AccountRow]) -> Previous {
    Previous {
        run: "tcss-authorizations-20261101T000000Z".into(),
        generated_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        accounts: rows.iter().map(previous_account).collect(),
        totals: Vec::new(),
    }
}

#[test]
fn changes_are_current_minus_previous_and_empty_stays_empty() {
    let report = sample_report().aggregate;
    let mut prev = previous_of(&report.accounts);
    let p = &mut prev.accounts[0];
    let v = &mut p.values;
    v.set(
        &USED_AUTHORIZED,
        Cell::int(v.int(&USED_AUTHORIZED).map(|v| v - 7)),
    );
    v.set(
        &TOTAL_AUTHORIZED,
        Cell::int(v.int(&TOTAL_AUTHORIZED).map(|v| v + 3)),
    );
    let u = v.number(&UTILIZATION).map(|u| u - 0.25);
    v.set(&UTILIZATION, Cell::ratio(u));
    v.set(&SCANNED_IMAGES, Cell::Empty);
    let c = compare(&report.accounts, &report.totals, &prev);
    let first = c.changes[0].as_ref().expect("matched by UIN");
    assert_eq!(first.values.int(&USED_AUTHORIZED), Some(7));
    assert_eq!(first.values.int(&TOTAL_AUTHORIZED), Some(-3));
    assert!((first.values.number(&UTILIZATION).unwrap() - 0.25).abs() < 1e-12);
    assert_eq!(
        first.values.int(&SCANNED_IMAGES),
        None,
        "empty on one side stays empty"
    );
    assert_eq!(first.get("used_authorized"), Some(7.0));
    assert_eq!(first.get("scanned_images"), None);
    assert_eq!(first.get("no_such_metric"), None);
    assert!(c.vanished.is_empty());
    assert_eq!(c.previous_run, prev.run);
}

#[test]
fn new_and_vanished_accounts_are_matched_by_uin_not_name() {
    let report = sample_report().aggregate;
    let mut prev = previous_of(&report.accounts);
    // Same name, another UIN: the current account is new, the old one vanished.
    prev.accounts[0].uin = Some("999".into());
    let c = compare(&report.accounts, &report.totals, &prev);
    assert!(c.changes[0].is_none());
    assert_eq!(c.vanished.len(), 1);
    assert_eq!(c.vanished[0].uin.as_deref(), Some("999"));
    // Accounts without a UIN on either side are never matched.
    for (row, ch) in report.accounts.iter().zip(&c.changes) {
        if row.uin.is_none() {
            assert!(ch.is_none());
        }
    }
    assert_eq!(
        c.new_count(),
        c.changes.iter().filter(|x| x.is_none()).count()
    );
}

#[test]
fn every_metric_is_current_minus_previous() {
    let mut report = sample_report().aggregate;
    let l = &mut report.accounts[0].license;
    (l.cores_total, l.cores_protected, l.cores_unprotected) = (Some(12), Some(10), Some(2));
    let mut prev = previous_of(&report.accounts);
    let p = &mut prev.accounts[0];
    *p = PreviousAccount {
        account: "renamed".into(),
        uin: p.uin.clone(),
        status: "partial".into(),
        values: values(&[
            (&TOTAL_AUTHORIZED, Cell::Int(90)),
            (&USED_AUTHORIZED, Cell::Int(100)),
            (&REMAINING_AUTHORIZED, Cell::Int(-10)),
            (&UTILIZATION, Cell::Ratio(100.0 / 90.0)),
            (&SCANNED_IMAGES, Cell::Int(40)),
            (&DUPLICATE_IMAGES, Cell::Int(1)),
            (&SCAN_QUOTA_USED, Cell::Int(300)),
            (&CORES_TOTAL, Cell::Int(8)),
            (&CORES_PROTECTED, Cell::Int(8)),
            (&CORES_UNPROTECTED, Cell::Int(0)),
        ]),
    };
    let c = compare(&report.accounts, &report.totals, &prev);
    let a = &report.accounts[0];
    let ch = c.changes[0].as_ref().unwrap();
    let d = &ch.values;
    assert_eq!(
        d.int(&TOTAL_AUTHORIZED),
        Some(a.total_authorized.unwrap() - 90)
    );
    assert_eq!(
        d.int(&USED_AUTHORIZED),
        Some(a.used_authorized.unwrap() - 100)
    );
    assert_eq!(
        d.int(&REMAINING_AUTHORIZED),
        Some(a.remaining_authorized.unwrap() + 10)
    );
    assert_eq!(d.int(&SCANNED_IMAGES), Some(a.scanned_images.unwrap() - 40));
    assert_eq!(
        d.int(&DUPLICATE_IMAGES),
        Some(a.duplicate_images.unwrap() - 1)
    );
    assert_eq!(
        d.int(&SCAN_QUOTA_USED),
        Some(a.scan_quota_used.unwrap() - 300)
    );
    assert_eq!(
        [&CORES_TOTAL, &CORES_PROTECTED, &CORES_UNPROTECTED].map(|c| d.int(c)),
        [Some(4), Some(2), Some(2)]
    );
    let du = a.utilization.unwrap() - 100.0 / 90.0;
    assert!((d.number(&UTILIZATION).unwrap() - du).abs() < 1e-12);
    let points = ch.shown(&UTILIZATION).as_real().unwrap();
    assert!((points - du * 100.0).abs() < 1e-9);
    for m in CHANGE_METRICS.iter() {
        assert!(ch.get(m).is_some(), "{m}");
    }
    // The matched earlier account is kept beside its change (renamed: matched by UIN).
    assert_eq!(c.previous[0].as_ref().unwrap().account, "renamed");
    assert_eq!(c.previous.len(), c.changes.len());
    assert!(ch.moved());
}

#[test]
fn an_empty_current_value_stays_empty() {
    let report = sample_report().aggregate;
    // The error account has no numbers; give it a UIN and previous numbers.
    let mut accounts = report.accounts.clone();
    let legacy = accounts.iter_mut().find(|a| a.account == "legacy").unwrap();
    legacy.uin = Some("300".into());
    let mut prev = previous_of(&accounts);
    let p = prev
        .accounts
        .iter_mut()
        .find(|p| p.account == "legacy")
        .unwrap();
    p.values.set(&USED_AUTHORIZED, Cell::Int(10));
    p.values.set(&TOTAL_AUTHORIZED, Cell::Int(20));
    p.values.set(&UTILIZATION, Cell::Ratio(0.5));
    let c = compare(&accounts, &Totals::default(), &prev);
    let i = accounts.iter().position(|a| a.account == "legacy").unwrap();
    let ch = c.changes[i].as_ref().expect("matched");
    assert_eq!(ch, &Change::default(), "every difference empty");
    assert!(!ch.moved());
    assert_eq!(ch.magnitude(), (0, 0));
    assert_eq!(ch.shown(&UTILIZATION), Cell::Empty);
}

#[test]
fn overflowing_differences_are_empty_not_wrapped() {
    let report = sample_report().aggregate;
    let mut prev = previous_of(&report.accounts);
    prev.accounts[0]
        .values
        .set(&USED_AUTHORIZED, Cell::Int(i64::MIN));
    let c = compare(&report.accounts, &report.totals, &prev);
    let ch = c.changes[0].as_ref().unwrap();
    assert_eq!(ch.values.int(&USED_AUTHORIZED), None);
}

#[test]
fn movers_are_ranked_by_magnitude_then_any_move() {
    let report = sample_report().aggregate;
    let mut accounts = report.accounts.clone();
    for (i, a) in accounts.iter_mut().enumerate() {
        a.uin = Some(format!("{}", 1000 + i));
    }
    let mut prev = previous_of(&accounts);
    // 0: used +2; 1: unchanged; 2: only scanned images moved; 3: used -9.
    let before = accounts[0].used_authorized.map(|v| v - 2);
    prev.accounts[0]
        .values
        .set(&USED_AUTHORIZED, Cell::int(before));
    prev.accounts[2].values.set(&SCANNED_IMAGES, Cell::Int(1));
    accounts[2].scanned_images = Some(5);
    accounts[3].used_authorized = Some(1);
    prev.accounts[3].values.set(&USED_AUTHORIZED, Cell::Int(10));
    // A vanished account, and a new one (a UIN the earlier run did not have).
    prev.accounts.push(PreviousAccount {
        account: "gone".into(),
        uin: Some("42".into()),
        status: "ok".into(),
        values: values(&[(&USED_AUTHORIZED, Cell::Int(7))]),
    });
    prev.accounts[1].uin = Some("not-any-more".into());
    let c = compare(&accounts, &Totals::default(), &prev);
    assert_eq!(c.ranked(), vec![3, 0, 2]);
    assert_eq!(c.movers(), vec![3, 0, 2]);
    assert_eq!(c.new_accounts(), vec![1]);
    assert_eq!(c.new_count(), 1);
    let vanished: Vec<&str> = c.vanished.iter().map(|v| v.account.as_str()).collect();
    assert_eq!(vanished, vec!["-member-a", "gone"]);
    assert_eq!(c.vanished[1].values.int(&USED_AUTHORIZED), Some(7));
    assert!(c.previous[1].is_none());
    // An unchanged matched account is ranked but is no mover.
    prev.accounts[1].uin = accounts[1].uin.clone();
    let c = compare(&accounts, &Totals::default(), &prev);
    assert_eq!(c.ranked(), vec![3, 0, 2, 1]);
    assert_eq!(c.movers(), vec![3, 0, 2]);
}
