use super::*;
use crate::test_support::sample_report;

/// The page of `report`, as text.
pub(crate) fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn the_page_starts_with_the_doctype() {
    let html = render(&sample_report());
    assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..100]);
}

#[test]
#[ignore]
fn scratch_dump() {
    use crate::model::{ExitStatus, RunPoint};
    use chrono::TimeZone;
    let mut r = crate::test_support::breached_report();
    let c = crate::test_support::compared_report();
    r.comparison = c.comparison;
    r.exit = Some(ExitStatus { code: 4, meaning: "--fail-on thresholds were breached (2 breaches): every report lists them".into() });
    r.aggregate.accounts[0].account = "<img src=x onerror=alert(1)> 支付-生产".into();
    r.trend = (0..6).map(|i| RunPoint {
        stem: format!("tcss-authorizations-2026010{i}T000000Z"),
        started_at: chrono::Utc.with_ymd_and_hms(2026, 1, 1 + i as u32 * 5, 0, 0, 0).unwrap(),
        complete: i != 3,
        licenses_total: Some(100 + 10 * i),
        licenses_used: if i == 2 { None } else { Some(60 + 15 * i) },
        utilization: Some(0.6),
    }).collect();
    std::fs::write(std::env::var("DUMP").unwrap(), render(&r)).unwrap();
}
