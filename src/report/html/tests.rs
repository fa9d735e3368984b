use chrono::TimeZone;
use scraper::{Html, Selector};

use super::*;
use crate::columns::accounts::{TOTAL_AUTHORIZED, USED_AUTHORIZED, UTILIZATION};
use crate::compare::Comparison;
use crate::history::trends::RUN_TREND_COLUMNS;
use crate::model::{QueryResult, RegionScope};
use crate::report::ExitStatus;
use crate::test_support::{
    account, breached_report, cancelled, compared_report, data, failed, ok, report_of, run_info,
    sample_report,
};

/// The page of `report`, as text.
pub(crate) fn render(report: &Report) -> String {
    let mut out = Vec::new();
    write(report, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

/// The ids of the page's sections, in order.
fn sections(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    select(&doc, "main > section")
        .iter()
        .filter_map(|s| s.value().attr("id").map(str::to_string))
        .collect()
}

/// `n` runs of the scope, a day apart, ending with this one: rows of the
/// history's `RUN_TREND_COLUMNS`.
fn runs(n: u32) -> Vec<trend::RunRow> {
    (0..n)
        .map(|i| {
            let started = chrono::Utc
                .with_ymd_and_hms(2026, 1, 1 + i, 0, 0, 0)
                .unwrap();
            RUN_TREND_COLUMNS
                .iter()
                .map(|(key, _)| match *key {
                    "stem" => Cell::Text(format!("run-{i}").into()),
                    "started_at" => Cell::Text(crate::columns::rfc3339(&started).into()),
                    "complete" => Cell::Bool(i != 1),
                    k if k == TOTAL_AUTHORIZED.key => Cell::Int(100 + i64::from(i)),
                    k if k == USED_AUTHORIZED.key => Cell::Int(50 + 10 * i64::from(i)),
                    k if k == UTILIZATION.key => Cell::Num(0.5),
                    _ => Cell::Empty,
                })
                .collect()
        })
        .collect()
}

/// Everything the page can show: breaches, a comparison, a trend, an
/// exit code, a selection, failures.
fn full_report() -> Report {
    let mut r = breached_report();
    r.comparison = compared_report().comparison;
    r.trend = runs(4);
    r.exit = Some(ExitStatus {
        code: 4,
        meaning: "--fail-on thresholds were breached (2 breaches): every report lists them".into(),
    });
    r.aggregate.run.scope.selection = vec!["--only team=payments".into()];
    r
}

/// The structure every page has: the doctype first, UTF-8, a language,
/// the CSP, a title, no script, no URL out, headings in order, every
/// header cell scoped.
pub(crate) fn check_structure(html: &str) {
    assert!(html.starts_with("<!DOCTYPE html>\n"), "{}", &html[..60]);
    let doc = Html::parse_document(html);
    assert!(select(&doc, "meta[charset=utf-8]").len() == 1);
    assert!(select(&doc, "html[lang=en]").len() == 1);
    let csp = select(&doc, "meta[http-equiv=Content-Security-Policy]");
    assert_eq!(
        csp[0].value().attr("content"),
        Some("default-src 'none'; style-src 'unsafe-inline'; img-src data:")
    );
    assert!(!select(&doc, "title")[0]
        .text()
        .collect::<String>()
        .is_empty());
    assert!(select(&doc, "script, iframe, object, embed, link, img, form").is_empty());
    for e in select(&doc, "*") {
        for (name, value) in e.value().attrs() {
            let v = value.to_ascii_lowercase();
            assert!(
                !v.contains("http:") && !v.contains("https:") && !v.contains("//"),
                "{name}={value}"
            );
            assert!(!name.starts_with("on"), "{name}");
            if name == "href" {
                assert!(value.starts_with('#'), "an in-page link only: {value}");
            }
        }
    }
    let mut level = 0;
    for h in select(&doc, "h1, h2, h3, h4, h5, h6") {
        let n: usize = h.value().name()[1..].parse().unwrap();
        assert!(n <= level + 1, "heading h{n} after h{level}");
        level = n;
    }
    for th in select(&doc, "th") {
        let scope = th.value().attr("scope");
        assert!(matches!(scope, Some("col" | "row")), "{}", th.html());
    }
    for svg in select(&doc, "svg") {
        let labelled = svg.value().attr("aria-labelledby").is_some();
        assert!(
            labelled || svg.value().attr("aria-hidden") == Some("true"),
            "{}",
            svg.html()
        );
    }
}

#[test]
fn every_section_of_a_full_page_is_well_formed() {
    let html = render(&full_report());
    check_structure(&html);
    assert_eq!(
        sections(&html),
        [
            "breaches",
            "figures",
            "top",
            "distribution",
            "over-licensed",
            "quotas",
            "changes",
            "trend",
            "failures",
            "totals",
            "run"
        ]
    );
    // The contents list exactly the sections there are.
    let doc = Html::parse_document(&html);
    let links: Vec<String> = select(&doc, "nav a")
        .iter()
        .map(|a| a.value().attr("href").unwrap_or_default()[1..].to_string())
        .collect();
    assert_eq!(links, sections(&html));
}

#[test]
fn a_section_is_absent_without_its_data() {
    let html = render(&sample_report());
    check_structure(&html);
    let present = sections(&html);
    for absent in ["breaches", "changes", "trend", "organizations"] {
        assert!(
            !present.iter().any(|s| s == absent),
            "{absent} in {present:?}"
        );
    }
    for shown in ["figures", "top", "failures", "run"] {
        assert!(
            present.iter().any(|s| s == shown),
            "{shown} not in {present:?}"
        );
    }
    assert!(!html.contains("Exit code"), "no exit code outside a run");
    // Two earlier runs make a trend; one does not.
    let mut r = sample_report();
    r.trend = runs(2);
    assert!(!sections(&render(&r)).contains(&"trend".to_string()));
    r.trend = runs(3);
    let html = render(&r);
    assert!(sections(&html).contains(&"trend".to_string()));
    let doc = Html::parse_document(&html);
    assert_eq!(
        select(&doc, "#trend circle").len(),
        6,
        "used and held, 3 runs"
    );
    assert_eq!(
        select(&doc, "#trend circle.hollow").len(),
        2,
        "the incomplete run"
    );
    assert_eq!(select(&doc, "#trend tbody tr").len(), 3);
    // Nothing to compare with: the note.
    let mut r = sample_report();
    r.comparison = Comparison::NoPrevious("no earlier complete run".into());
    let html = render(&r);
    assert!(html.contains("No earlier run to compare with: no earlier complete run."));
}

#[test]
fn the_title_says_the_state_and_the_exit_code() {
    let html = render(&full_report());
    let doc = Html::parse_document(&html);
    let title: String = select(&doc, "title")[0].text().collect();
    assert_eq!(
        title,
        "TCSS licenses 2026-02-01 00:00 UTC (complete, SIMULATED, SUBSET)"
    );
    let exit: String = select(&doc, ".exit")[0].text().collect();
    assert!(
        exit.starts_with("Exit code 4 when this report was written: --fail-on thresholds"),
        "{exit}"
    );
    let states: Vec<String> = select(&doc, ".state b")
        .iter()
        .map(|b| b.text().collect())
        .collect();
    assert_eq!(states, ["complete", "SIMULATED", "SUBSET"]);
    let banner: String = select(&doc, ".banner")[0].text().collect();
    assert!(
        banner.starts_with("SUBSET: only the accounts selected by --only team=payments;"),
        "{banner}"
    );
    // Interrupted: INCOMPLETE, with the cancelled queries counted.
    let mut run = run_info(RegionScope::Account);
    run.complete = false;
    run.simulated = false;
    let r = report_of(&[account("a", &["r1"])], &[cancelled(0, "r1")], run);
    let html = render(&r);
    assert!(
        html.contains("<title>TCSS licenses 2026-02-01 00:00 UTC (INCOMPLETE)</title>"),
        "{html}"
    );
    assert!(html.contains("the run was interrupted: 1 queries were cancelled"));
    // Interrupted after every query had answered: still interrupted.
    let mut run = run_info(RegionScope::Account);
    run.complete = false;
    let r = report_of(&[account("a", &["r1"])], &[ok(0, "r1", data(10, 5))], run);
    assert!(render(&r).contains("the run was interrupted: 0 queries were cancelled"));
    // An organization not listed: INCOMPLETE, saying so.
    let mut run = run_info(RegionScope::Account);
    run.complete = false;
    run.organizations = vec![crate::model::OrganizationRun {
        name: "corp".into(),
        management_account: "a".into(),
        members_total: None,
        members_listed: 0,
        members_kept: 0,
        error_code: Some("UnauthorizedOperation".into()),
        error_message: Some("no".into()),
    }];
    let r = report_of(&[account("a", &["r1"])], &[ok(0, "r1", data(10, 5))], run);
    let html = render(&r);
    let states: String = select(&Html::parse_document(&html), ".states")[0]
        .text()
        .collect();
    assert!(
        states.contains("an organization's members could not be listed"),
        "{states}"
    );
    assert!(sections(&html).contains(&"organizations".to_string()));
}

#[test]
fn breaches_are_grouped_by_expression_worst_first() {
    let mut r = breached_report();
    let mut worse = r.breaches[0].clone();
    worse.account = Some("worse".into());
    worse.value = 0.99;
    r.breaches.push(worse);
    let html = render(&r);
    let doc = Html::parse_document(&html);
    let groups: Vec<String> = select(&doc, "#breaches h3")
        .iter()
        .map(|h| h.text().collect())
        .collect();
    assert_eq!(
        groups,
        [
            "utilization >= 90%: 2 breaches",
            "total.failed_queries > 2.5: 1 breach"
        ]
    );
    let first: Vec<String> = select(&doc, "#breaches tbody tr")
        .iter()
        .map(|tr| tr.text().collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(
        first,
        [
            "worse|100012345678901234|utilization|99.0%|90.0%",
            "payments-prod|100012345678901234|utilization|97.0%|90.0%",
            "the totals|n/a|failed_queries|3|2.5"
        ]
    );
}

#[test]
fn the_most_utilized_accounts_are_bars_beside_their_numbers() {
    let html = render(&sample_report());
    let doc = Html::parse_document(&html);
    let rows = select(&doc, "#top tbody tr");
    assert_eq!(rows.len(), 2, "the accounts with a utilization");
    let first: Vec<&str> = rows[0]
        .text()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(first, ["-member-a", "n/a", "15", "10", "-5", "150.0%"]);
    assert_eq!(select(&doc, "#top tbody svg.meter").len(), 2);
    // A UIN is one word, never cut across lines (the row's second cell).
    let uins = select(&doc, "#top tbody td.id");
    assert_eq!(uins.len(), 2, "{html}");
    assert!(html.contains(".id { white-space: nowrap;"));
    assert_eq!(
        select(&doc, "#top tbody rect.bar.over").len(),
        1,
        "over-use in red"
    );
    let axis: Vec<String> = select(&doc, "#top .axis span")
        .iter()
        .map(|s| s.text().collect())
        .collect();
    assert_eq!(axis, ["0%", "50%", "100%", "150%"], "from 0, 100% marked");
    assert_eq!(select(&doc, "#top line.mark").len(), 2);
    // Over-use is listed apart, the largest shortfall first.
    let over: Vec<String> = select(&doc, "#over-licensed tbody tr")
        .iter()
        .map(|tr| tr.text().collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(over, ["-member-a|n/a|15|10|5"]);
    // The distribution's numbers are its text alternative.
    let desc: String = select(&doc, "#distribution desc")[0].text().collect();
    assert!(desc.contains("90–100%: 1; 100%: 0; >100%: 1"), "{desc}");
}

/// Every text a user or a server gives, hostile.
const HOSTILE: &str = "<img src=x onerror=alert(1)><script>alert(2)</script>\"'&";

#[test]
fn hostile_text_is_shown_as_text_everywhere() {
    let mut a = account(HOSTILE, &["r1", "r2"]);
    a.uin = Some(HOSTILE.into());
    a.tags.insert("team".into(), HOSTILE.into());
    let mut d = data(100, 99);
    if let Some(q) = d.image_scan_inquire_info.as_mut() {
        q.end_time = Some("2026-02-05 00:00:00".into());
        q.purchase_status = Some(HOSTILE.into());
    }
    let mut bad = failed(0, "r2", "X");
    bad.result = QueryResult::Failed {
        code: HOSTILE.into(),
        message: HOSTILE.into(),
    };
    bad.request_id = Some(HOSTILE.into());
    let mut r = report_of(&[a], &[ok(0, "r1", d), bad], run_info(RegionScope::Account));
    r.breaches = breached_report().breaches;
    r.breaches[0].account = Some(HOSTILE.into());
    r.breaches[0].expression = HOSTILE.into();
    r.aggregate.run.stem = HOSTILE.into();
    r.aggregate.run.config_path = HOSTILE.into();
    let html = render(&r);
    check_structure(&html);
    assert!(
        !html.contains("<img") && !html.contains("<script"),
        "{html}"
    );
    let doc = Html::parse_document(&html);
    let text: String = doc.root_element().text().collect();
    let shown = text.matches(HOSTILE).count();
    // Name (top, quotas, failures, breach), UIN (top, quotas), status,
    // code, message, request id, expression, stem (facts, head, footer), config.
    assert!(shown >= 12, "{shown} times in {text}");
}

#[test]
fn tables_are_capped_the_worst_first() {
    let n = 250;
    let accounts: Vec<_> = (0..n)
        .map(|i| account(&format!("acct-{i}"), &["r1"]))
        .collect();
    // 63 failures; 187 answered accounts over their 100 licenses by i % 80.
    let outcomes: Vec<_> = (0..n)
        .map(|i| match i % 4 {
            0 => failed(i, "r1", "InternalError"),
            _ => ok(i, "r1", data(100, 100 + (i % 80) as i64)),
        })
        .collect();
    let html = render(&report_of(
        &accounts,
        &outcomes,
        run_info(RegionScope::Account),
    ));
    let doc = Html::parse_document(&html);
    let text = |css: &str| -> String { select(&doc, css)[0].text().collect() };
    assert_eq!(select(&doc, "#failures tbody tr").len(), MAX_TABLE_ROWS);
    assert!(text("#failures").contains("… and 13 more, see the XLSX or CSV."));
    assert_eq!(select(&doc, "#top tbody tr").len(), accounts::TOP_ACCOUNTS);
    let over = select(&doc, "#over-licensed tbody tr");
    assert_eq!(over.len(), MAX_TABLE_ROWS);
    let first: Vec<String> = over[0].text().map(str::to_string).collect();
    assert_eq!(
        first,
        ["acct-159", "n/a", "179", "100", "79"],
        "the largest shortfall first"
    );
    assert!(text("#over-licensed").contains("… and 137 more, see the XLSX or CSV."));
    assert!(text("#over-licensed h2").contains("(187, "));
}

/// The page of `n` accounts with long hostile names and messages, every
/// table full, a comparison and breaches.
fn big_page(n: usize) -> String {
    let long = "<支付>&\"".repeat(40);
    let accounts: Vec<_> = (0..n)
        .map(|i| account(&format!("{i:05}{long}"), &["r1", "r2"]))
        .collect();
    let mut outcomes = Vec::with_capacity(2 * n);
    for i in 0..n {
        let [answered, f] = crate::report::markdown::tests::long_text_outcomes(i, &long);
        outcomes.push(answered);
        outcomes.push(if i % 10 == 0 { cancelled(i, "r2") } else { f });
    }
    let mut r = report_of(&accounts, &outcomes, run_info(RegionScope::Account));
    // Every edition ending within 90 days or ended (isolated, long hostile
    // sub-states): the editions' tables full too.
    for (i, a) in r.aggregate.accounts.iter_mut().enumerate() {
        let days = (i % 120) as i64 - 20;
        let l = &mut a.license;
        *l = crate::test_support::full_license();
        l.edition_days_left = Some(days);
        if i % 3 == 0 {
            l.auto_renew = Some(tcapi::tcss::AutoRenewal::On);
            l.days_to_lapse = None;
        } else {
            l.days_to_lapse = Some(days);
        }
        if days < 0 {
            l.edition = Some(tcapi::tcss::EditionState::ProExpired);
            l.edition_sub_state = Some(format!("ISOLATE{long}"));
        }
    }
    let mut editions = crate::aggregate::license::EditionCounter::default();
    for a in &r.aggregate.accounts {
        editions.add(a.license.edition, a.license.days_to_lapse);
    }
    r.aggregate.totals.editions = editions.counts();
    let ts = [crate::thresholds::parse(
        "used_authorized >= 0",
        crate::thresholds::Origin::CommandLine,
    )
    .unwrap()];
    r.breaches = crate::thresholds::evaluate(&r.aggregate, &r.comparison, &r.groups, &ts);
    r.trend = runs(30);
    render(&r)
}

/// 10,000 accounts stay under 1.5 MB and 50,000 under 2 MB (every table
/// capped): the figures and their ratio to the bound are printed.
#[test]
fn ten_and_fifty_thousand_accounts_stay_small() {
    for (n, bound) in [(10_000, 1_500_000), (50_000, 2_000_000)] {
        let html = big_page(n);
        assert!(html.len() < bound, "{n} accounts: {} bytes", html.len());
        assert!(
            html.contains("<section id=\"editions\">"),
            "the editions too"
        );
        assert!(html.contains(&format!(
            "… and {} more, see the XLSX or CSV.",
            n - MAX_TABLE_ROWS
        )));
        eprintln!(
            "{n} accounts: {} bytes of HTML = {:.3} x the {} MB bound",
            html.len(),
            html.len() as f64 / bound as f64,
            bound as f64 / 1e6
        );
    }
}

/// The rows of the table under the heading `h3` of `section`, each row's
/// cells joined by `|`.
fn rows_under(html: &str, section: &str, h3: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let heading = select(&doc, &format!("#{section} h3"))
        .into_iter()
        .find(|h| h.text().collect::<String>() == h3)
        .unwrap_or_else(|| panic!("no {h3:?} in #{section}: {html}"));
    let table = heading
        .next_siblings()
        .filter_map(scraper::ElementRef::wrap)
        .find(|e| e.value().name() == "table")
        .expect("a table after the heading");
    table
        .select(&Selector::parse("tbody tr").unwrap())
        .map(|tr| {
            tr.text()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

/// The comparison's totals then and now, and the licenses bought or
/// released listed apart from the usage movers, biggest change first.
#[test]
fn the_changes_show_the_totals_then_and_now_and_the_purchases() {
    let mut report = compared_report();
    let html = render(&report);
    let totals = rows_under(&html, "changes", "Totals, then and now");
    assert!(
        totals.contains(&"Licenses total|140|110|-30".to_string()),
        "{totals:?}"
    );
    assert!(
        totals.contains(&"Licenses short|n/a|5|n/a".to_string()),
        "{totals:?}"
    );
    assert!(html.contains("Licenses bought or released (0)"), "{html}");
    let c = match &mut report.comparison {
        Comparison::With(c) => c,
        _ => unreachable!(),
    };
    let total = &crate::columns::accounts::TOTAL_AUTHORIZED;
    for (i, then, change) in [(1, -39_990, 40_000), (0, 160, -60)] {
        c.previous[i]
            .as_mut()
            .unwrap()
            .values
            .set(total, Cell::Int(then));
        c.changes[i]
            .as_mut()
            .unwrap()
            .values
            .set(total, Cell::Int(change));
    }
    let html = render(&report);
    let bought = rows_under(&html, "changes", "Licenses bought or released (2)");
    assert_eq!(
        bought,
        [
            "-member-a|200000000001|-39,990|10|+40,000",
            "payments-prod|100012345678901234|160|100|-60"
        ]
    );
}

/// Over-use is a finding (a card, the table with each shortfall); the
/// answers with impossible numbers are listed apart as warnings, and the
/// failures section says so; quotas already ended are apart from those
/// ending; a subset's and a simulated run's banners say what the numbers
/// cover.
#[test]
fn over_use_warnings_ended_quotas_and_the_scope_banners() {
    let mut r = sample_report();
    r.aggregate.accounts[0].scan_quota_days_left = Some(-400);
    r.aggregate.accounts[2].scan_quota_days_left = Some(-3);
    r.aggregate.run.simulated = false;
    let html = render(&r);
    let doc = Html::parse_document(&html);
    let card: String = select(&doc, ".card")
        .iter()
        .map(|c| c.text().collect::<String>())
        .find(|t| t.starts_with("Over-licensed accounts"))
        .expect(&html);
    assert_eq!(card, "Over-licensed accounts15 licenses short · 3 idle");
    assert!(
        html.contains("Over-licensed accounts (1, 5 licenses short)"),
        "{html}"
    );
    let ended = rows_under(&html, "quotas", "Scan quotas already ended (2)");
    assert_eq!(ended.len(), 2, "{ended:?}");
    assert!(
        ended[0].starts_with("legacy|"),
        "the most recently ended first: {ended:?}"
    );
    assert!(ended[1].contains("-400 (ended)"), "{ended:?}");
    assert!(
        select(&doc, ".banner").is_empty(),
        "the whole fleet, real numbers"
    );
    assert!(!sections(&html).contains(&"warnings".to_string()));

    let mut negative = data(100, 40);
    negative.scanned_image_cnt = Some(-3);
    let mut run = run_info(RegionScope::Account);
    run.scope.selection = vec!["--only team=payments".into()];
    run.simulated = true;
    let r = report_of(
        &[account("odd", &["r1"]), account("fine", &["r1"])],
        &[ok(0, "r1", negative), ok(1, "r1", data(10, 1))],
        run,
    );
    let html = render(&r);
    check_structure(&html);
    let doc = Html::parse_document(&html);
    let banners: Vec<String> = select(&doc, ".banner")
        .iter()
        .map(|b| b.text().collect())
        .collect();
    assert_eq!(
        banners,
        [
            "SUBSET: only the accounts selected by --only team=payments; the totals are theirs, not the whole fleet's.",
            "SIMULATED: the numbers come from the built-in simulator, not from Tencent Cloud."
        ]
    );
    assert!(sections(&html).contains(&"warnings".to_string()), "{html}");
    let warned: Vec<String> = select(&doc, "#warnings tbody tr")
        .iter()
        .map(|tr| tr.text().collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(warned, ["odd|r1|negative count: ScannedImageCnt = -3"]);
    let failures: String = select(&doc, "#failures p")[0].text().collect();
    assert_eq!(
        failures,
        "Every query answered, but 1 answer holds numbers that cannot all be true (see Warnings above)."
    );
}

/// Chargeback groups (issue 22): a table per key, largest use first, the
/// untagged group shown and named, hostile values as text; no section for
/// a run not grouped.
#[test]
fn chargeback_groups_a_table_per_key_with_the_untagged_group() {
    let report = crate::test_support::grouped_report();
    let html = render(&report);
    check_structure(&html);
    let present = sections(&html);
    let at = |id: &str| present.iter().position(|s| s == id);
    assert!(at("groups") > at("figures"), "{present:?}");
    assert!(at("groups") < at("failures"), "{present:?}");
    let team = rows_under(&html, "groups", "Grouped by team");
    assert_eq!(
        team,
        [
            "payments|1|97|100|97.0%|86.6%|0",
            "@ops|1|15|10|150.0%|13.4%|5",
            "(untagged)|2|n/a|n/a|n/a|n/a|n/a"
        ]
    );
    let cc = rows_under(&html, "groups", "Grouped by cost_center");
    assert_eq!(cc[0], "=HYPERLINK(\"x\")|1|97|100|97.0%|86.6%|0");
    assert!(!sections(&render(&sample_report())).contains(&"groups".to_string()));
    // A group's breach names its group: `team=@ops`.
    let mut r = crate::test_support::grouped_report();
    let ts = [crate::thresholds::parse(
        "group.utilization >= 100%",
        crate::thresholds::Origin::CommandLine,
    )
    .unwrap()];
    r.breaches = crate::thresholds::evaluate(&r.aggregate, &r.comparison, &r.groups, &ts);
    let html = render(&r);
    let rows = rows_under(&html, "breaches", "group.utilization >= 100%: 2 breaches");
    assert_eq!(
        rows,
        [
            "team=@ops|n/a|utilization|150.0%|100.0%",
            "cost_center=(untagged)|n/a|utilization|150.0%|100.0%"
        ]
    );
    assert!(
        html.contains("<th scope=\"col\" class=\"\">Group</th>"),
        "{html}"
    );
}

/// An edition answer: `state`, ending at `end` (Beijing time), renewed as
/// `renewal`, in `sub` state, with `unprotected` of its cores unprotected.
fn edition(
    state: i64,
    end: &str,
    renewal: i64,
    sub: &str,
    unprotected: u64,
) -> tcapi::tcss::PurchaseStateInfo {
    tcapi::tcss::PurchaseStateInfo {
        state: Some(state.into()),
        all_cores_cnt: Some(10 + unprotected),
        cores_cnt: Some(10),
        undefend_cores_cnt: Some(unprotected),
        expiration_time: Some(end.into()),
        automatic_renewal: Some(renewal.into()),
        sub_state: Some(sub.into()),
        ..Default::default()
    }
}

/// A run (started 2026-02-01 08:00 in Beijing) of accounts with editions:
/// one lapsing in 3 days with 2 unprotected cores, one renewing by itself
/// in 8, a trial lapsing in 27, one isolated after it expired, one ending
/// in 7 months, and a hostile name lapsing in 60 days with 3 unprotected
/// cores.
fn licensed_report() -> Report {
    let rows = [
        (
            "lapses-soon",
            edition(3, "2026-02-05 00:00:00", 2, "NORMAL", 2),
        ),
        ("renews", edition(3, "2026-02-10 00:00:00", 1, "NORMAL", 0)),
        ("trial-ends", edition(2, "2026-03-01 00:00:00", 0, "", 0)),
        (
            "isolated",
            edition(4, "2026-01-20 00:00:00", 2, "ISOLATE", 0),
        ),
        ("far", edition(3, "2026-09-01 00:00:00", 2, "NORMAL", 0)),
        (HOSTILE, edition(3, "2026-04-02 00:00:00", 2, HOSTILE, 3)),
    ];
    let accounts: Vec<_> = rows.iter().map(|(n, _)| account(n, &["r1"])).collect();
    let outcomes: Vec<_> = rows
        .into_iter()
        .enumerate()
        .flat_map(|(i, (_, p))| {
            [
                ok(i, "r1", data(10, 5)),
                crate::test_support::wide_ok(i, "r1", p.into()),
            ]
        })
        .collect();
    let mut run = run_info(RegionScope::Account);
    run.collect = vec![
        crate::calls::Call::ImageAuthorizedInfo,
        crate::calls::Call::PurchaseStateInfo,
    ];
    report_of(&accounts, &outcomes, run)
}

/// The text of each card, by its label.
fn card(html: &str, label: &str) -> Option<(String, String)> {
    let doc = Html::parse_document(html);
    select(&doc, ".card")
        .iter()
        .find(|c| select_in(c, ".label") == label)
        .map(|c| {
            let value = Selector::parse(".value").unwrap();
            let v = c.select(&value).next().unwrap();
            (
                v.text().collect(),
                format!(
                    "{} | {}",
                    v.value().attr("class").unwrap_or_default(),
                    select_in(c, ".small")
                ),
            )
        })
}

fn select_in(e: &scraper::ElementRef<'_>, css: &str) -> String {
    e.select(&Selector::parse(css).unwrap())
        .next()
        .map(|x| x.text().collect())
        .unwrap_or_default()
}

/// The license picture (issue 21): the unprotected cores (amber) and the
/// lapsing editions (red) as cards; the editions ending within 90 days,
/// soonest first, auto-renewal shown and the lapsing ones marked; the
/// ended ones in words; the accounts by edition; none of it for a run
/// that knows no edition.
#[test]
fn the_license_picture_cards_and_the_editions_ending() {
    let html = render(&licensed_report());
    check_structure(&html);
    assert_eq!(
        card(&html, "Unprotected cores"),
        Some((
            "5".into(),
            "value warn | in 2 accounts · core coverage 92.3%".into()
        ))
    );
    assert_eq!(
        card(&html, "Lapsing editions"),
        Some((
            "2".into(),
            "value neg | within 30 days, no auto-renewal · 1 Pro expired".into()
        ))
    );
    let present = sections(&html);
    let at = |id: &str| present.iter().position(|s| s == id);
    assert!(
        at("editions") > at("over-licensed").or(at("distribution")),
        "{present:?}"
    );
    assert!(at("editions") < at("failures"), "{present:?}");
    let doc = Html::parse_document(&html);
    let h2: String = select(&doc, "#editions h2")[0].text().collect();
    assert_eq!(h2, "Editions ending within 90 days (4, 3 lapsing)");
    let ending: Vec<String> = select(&doc, "#editions table")[0]
        .select(&Selector::parse("tbody tr").unwrap())
        .map(|tr| tr.text().collect::<Vec<_>>().join("|"))
        .collect();
    assert_eq!(
        ending,
        [
            "lapses-soon|n/a|pro|2026-02-05T00:00:00+08:00|3|off|lapses unless renewed (no auto-renewal)",
            "renews|n/a|pro|2026-02-10T00:00:00+08:00|8|on|renews automatically",
            "trial-ends|n/a|trial|2026-03-01T00:00:00+08:00|27|unset|the trial ends unless Pro is bought (no auto-renewal)",
            &format!("{HOSTILE}|n/a|pro|2026-04-02T00:00:00+08:00|59|off|lapses unless renewed (no auto-renewal)"),
        ]
    );
    // The lapsing ones are marked in red, the renewing one is not.
    let marked: Vec<usize> = select(&doc, "#editions table")[0]
        .select(&Selector::parse("tbody tr").unwrap())
        .map(|tr| tr.select(&Selector::parse("td.neg").unwrap()).count())
        .collect();
    assert_eq!(marked, [2, 0, 2, 2]);
    let ended = rows_under(&html, "editions", "Editions already ended (1)");
    assert_eq!(
        ended,
        ["isolated|n/a|pro_expired|ISOLATE|2026-01-20T00:00:00+08:00|-13|isolated: service stopped, data kept; renewing restores it"]
    );
    let by = rows_under(&html, "editions", "Accounts by edition");
    assert_eq!(
        by,
        [
            "trial|1|on the Pro trial",
            "pro|4|Pro edition in effect",
            "pro_expired|1|Pro expired: protection has stopped"
        ]
    );
    // A run that knows no edition: no section, no cards.
    let html = render(&sample_report());
    assert!(!sections(&html).contains(&"editions".to_string()));
    assert_eq!(card(&html, "Unprotected cores"), None);
    assert_eq!(card(&html, "Lapsing editions"), None);
}

/// The editions ending are capped like every table, and an edition
/// expired (not yet isolated) is said in words.
#[test]
fn the_editions_ending_are_capped_and_expired_said_in_words() {
    let mut r = licensed_report();
    let template = r.aggregate.accounts[0].clone();
    for i in 0..120 {
        let mut a = template.clone();
        a.account = format!("more-{i:03}");
        a.license.edition_days_left = Some(10 + i % 50);
        a.license.days_to_lapse = a.license.edition_days_left;
        r.aggregate.accounts.push(a);
    }
    r.aggregate.accounts[3].license.edition_sub_state = None;
    // Pro past its end: within the grace period, and beyond it.
    r.aggregate.accounts[4].license.edition_days_left = Some(-2);
    r.aggregate.accounts[1].license.edition_days_left = Some(-20);
    let html = render(&r);
    let doc = Html::parse_document(&html);
    let ending = select(&doc, "#editions table")[0]
        .select(&Selector::parse("tbody tr").unwrap())
        .count();
    assert_eq!(ending, MAX_TABLE_ROWS);
    let text: String = select(&doc, "#editions")[0].text().collect();
    assert!(
        text.contains("… and 73 more, see the XLSX or CSV."),
        "{text}"
    );
    let ended = rows_under(&html, "editions", "Editions already ended (3)");
    let words: Vec<&str> = ended
        .iter()
        .map(|r| r.rsplit('|').next().unwrap())
        .collect();
    assert_eq!(
        words,
        [
            "ended: in the 5-day grace period, isolated unless renewed",
            "expired: protection stopped; isolated after the grace period",
            "ended, past the 5-day grace period"
        ],
        "the most recently ended first: {ended:?}"
    );
}

/// The trend draws the cores and the unprotected cores when the history
/// has them, and shows them in its table; runs before the license
/// picture draw the licenses alone.
#[test]
fn the_trend_draws_the_unprotected_cores_when_the_history_has_them() {
    let mut r = sample_report();
    r.trend = runs(3);
    let html = render(&r);
    let doc = Html::parse_document(&html);
    assert!(select(&doc, "#trend polyline.unprotected").is_empty());
    let trend_heads = |doc: &Html| -> Vec<String> {
        select(doc, "#trend thead th")
            .iter()
            .map(|t| t.text().collect())
            .collect()
    };
    assert!(
        !trend_heads(&doc).contains(&"Cores unprotected".to_string()),
        "no column without cores"
    );
    let unprotected = crate::history::trends::col(&RUN_TREND_COLUMNS, "cores_unprotected");
    let total = crate::history::trends::col(&RUN_TREND_COLUMNS, "cores_total");
    for (i, run) in r.trend.iter_mut().enumerate() {
        run[unprotected] = Cell::Int(7 - 2 * i as i64);
        run[total] = Cell::Int(40);
    }
    let html = render(&r);
    check_structure(&html);
    let doc = Html::parse_document(&html);
    assert_eq!(select(&doc, "#trend polyline.unprotected").len(), 1);
    assert_eq!(select(&doc, "#trend circle.unprotected").len(), 3);
    let desc: String = select(&doc, "#trend #cores-d")[0].text().collect();
    assert_eq!(
        desc,
        "Unprotected cores 7 in the first run, 3 in the latest."
    );
    let heads = trend_heads(&doc);
    assert!(
        heads.contains(&"Cores unprotected".to_string()),
        "{heads:?}"
    );
    let latest: String = select(&doc, "#trend tbody tr")[0]
        .text()
        .collect::<Vec<_>>()
        .join("|");
    assert!(latest.contains("|3|n/a"), "{latest}");
}
