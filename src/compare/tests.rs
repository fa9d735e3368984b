use chrono::TimeZone;

use super::*;
use crate::report::tests::sample_report;

fn previous_of(rows: &[AccountRow]) -> Previous {
    Previous {
        run: "tcss-authorizations-20261101T000000Z".into(),
        generated_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
        accounts: rows
            .iter()
            .map(|a| PreviousAccount {
                account: a.account.clone(),
                uin: a.uin.clone(),
                status: a.status.as_str().into(),
                total_authorized: a.total_authorized,
                used_authorized: a.used_authorized,
                remaining_authorized: a.remaining_authorized,
                utilization: a.utilization,
                scanned_images: a.scanned_images,
                duplicate_images: a.duplicate_images,
                scan_quota_used: a.scan_quota_used,
            })
            .collect(),
    }
}

#[test]
fn changes_are_current_minus_previous_and_empty_stays_empty() {
    let report = sample_report();
    let mut prev = previous_of(&report.accounts);
    let p = &mut prev.accounts[0];
    p.used_authorized = p.used_authorized.map(|v| v - 7);
    p.total_authorized = p.total_authorized.map(|v| v + 3);
    p.utilization = p.utilization.map(|u| u - 0.25);
    p.scanned_images = None;
    let c = compare(&report.accounts, &prev);
    let first = c.changes[0].as_ref().expect("matched by UIN");
    assert_eq!(first.used_authorized, Some(7));
    assert_eq!(first.total_authorized, Some(-3));
    assert!((first.utilization.unwrap() - 0.25).abs() < 1e-12);
    assert_eq!(first.scanned_images, None, "empty on one side stays empty");
    assert_eq!(first.get("used_authorized"), Some(7.0));
    assert_eq!(first.get("scanned_images"), None);
    assert_eq!(first.get("no_such_metric"), None);
    assert!(c.vanished.is_empty());
    assert_eq!(c.previous_run, prev.run);
}

#[test]
fn new_and_vanished_accounts_are_matched_by_uin_not_name() {
    let report = sample_report();
    let mut prev = previous_of(&report.accounts);
    // Same name, another UIN: the current account is new, the old one vanished.
    prev.accounts[0].uin = Some("999".into());
    let c = compare(&report.accounts, &prev);
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
