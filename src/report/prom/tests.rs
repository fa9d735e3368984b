use super::*;
use crate::model::RegionScope;
use crate::report::Report;
use crate::test_support::sample_report;
use crate::test_support::{account, data, failed, ok, report_of, run_info};

fn text(report: &Report, breaches: usize) -> String {
    render(
        report,
        &Inputs {
            breaches,
            ..Inputs::default()
        },
    )
    .unwrap()
}

/// The sample lines of `name` (exactly that metric, any labels).
fn samples<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .collect()
}

const FAMILIES: [&str; 31] = [
    "tcss_image_licenses",
    "tcss_image_license_utilization_ratio",
    "tcss_images",
    "tcss_image_scan_coverage_ratio",
    "tcss_scan_quota",
    "tcss_scan_quota_utilization_ratio",
    "tcss_scan_quota_end_timestamp_seconds",
    "tcss_core_licenses",
    "tcss_edition_end_timestamp_seconds",
    "tcss_account_up",
    "tcss_edition_auto_renew",
    "tcss_edition_info",
    "tcss_total_image_licenses",
    "tcss_total_over_licensed_accounts",
    "tcss_total_image_license_utilization_ratio",
    "tcss_total_images",
    "tcss_total_image_scan_coverage_ratio",
    "tcss_total_scan_quota",
    "tcss_total_scan_quota_utilization_ratio",
    "tcss_total_core_licenses",
    "tcss_report_last_run_timestamp_seconds",
    "tcss_report_run_duration_seconds",
    "tcss_report_success",
    "tcss_report_complete",
    "tcss_report_accounts",
    "tcss_report_queries",
    "tcss_report_organizations",
    "tcss_report_breaches",
    "tcss_report_log_lines_dropped",
    "tcss_report_scope_info",
    "tcss_report_build_info",
];

#[test]
fn every_family_has_help_and_a_gauge_type_in_order() {
    let t = text(&sample_report(), 0);
    let types: Vec<&str> = t
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .collect();
    let expected: Vec<String> = FAMILIES.iter().map(|f| format!("{f} gauge")).collect();
    assert_eq!(types, expected);
    let helps = t.lines().filter(|l| l.starts_with("# HELP tcss_")).count();
    assert_eq!(helps, FAMILIES.len(), "{t}");
    assert!(t.ends_with('\n'));
}

#[test]
fn account_values_are_the_reports() {
    let t = text(&sample_report(), 0);
    let id = r#"account="payments-prod",uin="100012345678901234""#;
    for line in [
        format!("tcss_image_licenses{{{id},kind=\"total\"}} 100"),
        format!("tcss_image_licenses{{{id},kind=\"used\"}} 97"),
        format!("tcss_image_license_utilization_ratio{{{id}}} 0.97"),
        format!("tcss_account_up{{{id}}} 1"),
        // 2026-03-01T00:00:00+08:00
        format!("tcss_scan_quota_end_timestamp_seconds{{{id}}} 1772294400"),
        r#"tcss_account_up{account="legacy",uin=""} 0"#.to_string(),
        r#"tcss_report_accounts{status="ok"} 2"#.to_string(),
        r#"tcss_report_accounts{status="partial"} 0"#.to_string(),
        r#"tcss_report_accounts{status="error"} 2"#.to_string(),
        r#"tcss_report_queries{status="failed"} 2"#.to_string(),
        r#"tcss_report_queries{status="cancelled"} 1"#.to_string(),
        "tcss_report_success 0".to_string(),
        "tcss_report_breaches 0".to_string(),
        "tcss_report_log_lines_dropped 0".to_string(),
    ] {
        assert!(t.lines().any(|l| l == line), "{line} missing from\n{t}");
    }
}

/// Over-use is a finding: the licenses short and idle are kinds of the
/// total licenses, and the over-licensed accounts a gauge of their own.
#[test]
fn the_over_use_totals_are_samples() {
    let t = text(&sample_report(), 0);
    assert_eq!(
        samples(&t, "tcss_total_image_licenses"),
        [
            r#"tcss_total_image_licenses{kind="total"} 110"#,
            r#"tcss_total_image_licenses{kind="used"} 112"#,
            r#"tcss_total_image_licenses{kind="trial"} 10"#,
            r#"tcss_total_image_licenses{kind="used_trial"} 2"#,
            r#"tcss_total_image_licenses{kind="purchased"} 100"#,
            r#"tcss_total_image_licenses{kind="used_purchased"} 110"#,
            r#"tcss_total_image_licenses{kind="short"} 5"#,
            r#"tcss_total_image_licenses{kind="idle"} 3"#,
        ]
    );
    assert_eq!(
        samples(&t, "tcss_total_over_licensed_accounts"),
        ["tcss_total_over_licensed_accounts 1"]
    );
}

/// A metrics file of a subset or a simulated run says so in its labels.
#[test]
fn the_scope_info_tells_a_subset_and_a_simulated_run() {
    let mut report = sample_report();
    let t = text(&report, 0);
    assert_eq!(
        samples(&t, "tcss_report_scope_info"),
        [r#"tcss_report_scope_info{simulated="true",subset="false",selection=""} 1"#]
    );
    report.aggregate.run.simulated = false;
    report.aggregate.run.scope.selection = vec!["--only tag:cost_center=cc-56".into()];
    let t = text(&report, 0);
    assert_eq!(
        samples(&t, "tcss_report_scope_info"),
        [
            r#"tcss_report_scope_info{simulated="false",subset="true",selection="--only tag:cost_center=cc-56"} 1"#
        ]
    );
}

#[test]
fn the_breach_count_and_the_dropped_log_lines_are_inputs() {
    let t = text(&sample_report(), 7);
    assert_eq!(
        samples(&t, "tcss_report_breaches"),
        ["tcss_report_breaches 7"]
    );
    let inputs = Inputs {
        breaches: 0,
        log_lines_dropped: 12,
    };
    let t = render(&sample_report(), &inputs).unwrap();
    assert_eq!(
        samples(&t, "tcss_report_log_lines_dropped"),
        ["tcss_report_log_lines_dropped 12"]
    );
}

#[test]
fn an_empty_value_is_no_sample_never_zero() {
    let mut d = data(0, 0);
    d.scanned_image_cnt = None;
    d.image_scan_inquire_info = None;
    let accounts = [
        account("empty", &["ap-guangzhou"]),
        account("down", &["ap-guangzhou"]),
    ];
    let outcomes = [
        ok(0, "ap-guangzhou", d),
        failed(1, "ap-guangzhou", "AuthFailure"),
    ];
    let report = report_of(&accounts, &outcomes, run_info(RegionScope::Account));
    let t = text(&report, 0);
    // Total 0: the ratio is undefined, so no sample; the zero counts are real.
    assert!(
        samples(&t, "tcss_image_license_utilization_ratio").is_empty(),
        "{t}"
    );
    assert!(t.contains(r#"tcss_image_licenses{account="empty",uin="",kind="total"} 0"#));
    assert!(!t.contains(r#"state="scanned""#), "{t}");
    assert!(samples(&t, "tcss_scan_quota").is_empty(), "{t}");
    assert!(samples(&t, "tcss_scan_quota_end_timestamp_seconds").is_empty());
    assert!(samples(&t, "tcss_total_scan_quota_utilization_ratio").is_empty());
    // The failed account has no value at all, only `up`.
    let down: Vec<&str> = t.lines().filter(|l| l.contains(r#""down""#)).collect();
    assert_eq!(down, [r#"tcss_account_up{account="down",uin=""} 0"#], "{t}");
}

#[test]
fn label_values_are_escaped() {
    let accounts = [account(
        "a \"quoted\" \\ name\nsecond line",
        &["ap-guangzhou"],
    )];
    let outcomes = [ok(0, "ap-guangzhou", data(10, 5))];
    let report = report_of(&accounts, &outcomes, run_info(RegionScope::Account));
    let t = text(&report, 0);
    let expected = r#"tcss_account_up{account="a \"quoted\" \\ name\nsecond line",uin=""} 1"#;
    assert!(t.lines().any(|l| l == expected), "{t}");
    assert!(!t.lines().any(|l| l.starts_with("second line")), "{t}");
}

#[test]
fn the_run_facts_are_seconds() {
    let mut report = sample_report();
    report.aggregate.run.finished_at =
        report.aggregate.run.started_at + chrono::Duration::milliseconds(2_500);
    let t = text(&report, 0);
    assert_eq!(
        samples(&t, "tcss_report_run_duration_seconds"),
        ["tcss_report_run_duration_seconds 2.5"]
    );
    let last = samples(&t, "tcss_report_last_run_timestamp_seconds");
    let value: f64 = last[0].rsplit(' ').next().unwrap().parse().unwrap();
    assert_eq!(
        value,
        report.aggregate.run.finished_at.timestamp_millis() as f64 / 1000.0
    );
    assert_eq!(
        samples(&t, "tcss_report_build_info"),
        [format!(
            "tcss_report_build_info{{version=\"{}\"}} 1",
            report.aggregate.run.version
        )]
    );
}

/// Prints the time to render the metrics of 10,000 accounts and its ratio to
/// the 2 s report-writing target (a figure, not an assertion: this machine
/// is noisy). `cargo test --release -p tcss-report --lib -- --ignored --nocapture metrics_figure`
#[test]
#[ignore = "a figure to read; run in release with --nocapture"]
fn ten_thousand_accounts_metrics_figure() {
    let accounts: Vec<_> = (0..10_000)
        .map(|i| {
            let mut a = account(&format!("account-{i:05}"), &["ap-guangzhou"]);
            a.uin = Some(format!("{}", 100_000_000_000u64 + i as u64));
            a
        })
        .collect();
    let outcomes: Vec<_> = (0..10_000)
        .map(|i| ok(i, "ap-guangzhou", data(100 + i as i64 % 50, i as i64 % 160)))
        .collect();
    let report = report_of(&accounts, &outcomes, run_info(RegionScope::Account));
    let started = std::time::Instant::now();
    let t = text(&report, 0);
    let took = started.elapsed();
    assert_eq!(samples(&t, "tcss_account_up").len(), 10_000);
    eprintln!(
        "metrics of 10,000 accounts: {took:?}, {} bytes, {} lines = {:.3} x the 2 s target{}",
        t.len(),
        t.lines().count(),
        took.as_secs_f64() / 2.0,
        if cfg!(debug_assertions) {
            " (debug build: not representative)"
        } else {
            ""
        }
    );
}

#[test]
fn prom_is_a_format_of_the_set_but_not_a_default() {
    use crate::report::{default_formats, parse_formats, write_all_with, Format};
    assert_eq!("prom".parse::<Format>(), Ok(Format::Prom));
    assert_eq!("Prometheus".parse::<Format>(), Ok(Format::Prom));
    assert_eq!(Format::Prom.to_string(), "prom");
    assert!(!default_formats().contains(&Format::Prom));
    assert_eq!(
        parse_formats("json,prom"),
        Ok(vec![Format::Json, Format::Prom])
    );
    let mut report = sample_report();
    let dir = tempfile::tempdir().unwrap();
    let inputs = Inputs {
        breaches: 3,
        ..Inputs::default()
    };
    let paths = write_all_with(&mut report, dir.path(), &[Format::Prom], &inputs).unwrap();
    assert_eq!(
        paths,
        [dir.path()
            .join(format!("{}.prom", report.aggregate.run.stem))]
    );
    let written = std::fs::read_to_string(&paths[0]).unwrap();
    assert_eq!(written, text(&report, 3));
}

#[path = "../../../tests/cli/prom_tools.rs"]
#[allow(dead_code)]
mod prom_tools;

/// Account names with quotes, backslashes and line feeds (which only the
/// library can give: the config refuses control characters) survive
/// promtool and Python's `prometheus_client` parser (moved here from
/// `tests/cli/metrics.rs`: the integration tests use the binary).
#[cfg(unix)]
#[test]
fn quotes_backslashes_and_line_feeds_in_names_survive_real_parsers() {
    use prom_tools::{promtool, promtool_accepts, python, python_parse, value_of};
    let names = [
        "a \"quoted\" name",
        "back\\slash\\",
        "two\nlines",
        "all \"\\\n",
    ];
    let accounts: Vec<_> = names
        .iter()
        .map(|n| {
            let mut a = account(n, &["ap-guangzhou"]);
            a.uin = Some("100000000009".into());
            a
        })
        .collect();
    let outcomes: Vec<_> = (0..names.len())
        .map(|i| {
            let answer = tcapi::tcss::ImageAuthorizedInfo {
                total_authorized_cnt: Some(10),
                used_authorized_cnt: Some(i as i64),
                ..Default::default()
            };
            ok(i, "ap-guangzhou", answer)
        })
        .collect();
    let report = report_of(&accounts, &outcomes, run_info(RegionScope::Account));
    let text = render(&report, &Default::default()).unwrap();
    if let Some(promtool) = promtool() {
        promtool_accepts(&promtool, &text);
    }
    let Some(python) = python() else { return };
    let families = python_parse(&python, &text);
    for (i, name) in names.iter().enumerate() {
        let labels = [("account", *name), ("kind", "used")];
        assert_eq!(
            value_of(&families, "tcss_image_licenses", &labels),
            Some(i as f64),
            "{name:?}"
        );
    }
}

/// The edition's metrics: the cores by kind (and their totals), the end
/// as Unix time, the renewal as 1 or 0 and the info sample; an empty value
/// is no sample.
#[test]
fn the_edition_and_the_cores_are_metrics() {
    use crate::calls::Call;
    use crate::test_support::wide_ok;
    use tcapi::tcss::{AutoRenewal, EditionState, PurchaseStateInfo};
    let mut pay = account("payments-prod", &["ap-guangzhou"]);
    pay.uin = Some("100012345678901234".into());
    let accounts = [pay, account("-member-a", &["ap-guangzhou"])];
    let edition = PurchaseStateInfo {
        state: Some(EditionState::Pro),
        all_cores_cnt: Some(12),
        cores_cnt: Some(10),
        undefend_cores_cnt: Some(2),
        authorized_cores_cnt: Some(8),
        given_authorized_cores_cnt: Some(0),
        current_flexible_cores_cnt: Some(2),
        expiration_time: Some("2026-03-01 00:00:00".into()),
        automatic_renewal: Some(AutoRenewal::Off),
        ..PurchaseStateInfo::default()
    };
    let other = PurchaseStateInfo {
        state: Some(EditionState::Other(9)),
        all_cores_cnt: Some(4),
        automatic_renewal: Some(AutoRenewal::On),
        ..PurchaseStateInfo::default()
    };
    let outcomes = [
        ok(0, "ap-guangzhou", data(10, 5)),
        wide_ok(0, "ap-guangzhou", edition.into()),
        ok(1, "ap-guangzhou", data(10, 5)),
        wide_ok(1, "ap-guangzhou", other.into()),
    ];
    let mut run = run_info(RegionScope::Account);
    run.collect = vec![Call::ImageAuthorizedInfo, Call::PurchaseStateInfo];
    let report = report_of(&accounts, &outcomes, run);
    let t = text(&report, 0);
    let pay = r#"account="payments-prod",uin="100012345678901234""#;
    let member = r#"account="-member-a",uin="""#;
    assert_eq!(
        samples(&t, "tcss_core_licenses"),
        [
            format!(r#"tcss_core_licenses{{{pay},kind="total"}} 12"#),
            format!(r#"tcss_core_licenses{{{pay},kind="protected"}} 10"#),
            format!(r#"tcss_core_licenses{{{pay},kind="unprotected"}} 2"#),
            format!(r#"tcss_core_licenses{{{pay},kind="purchased"}} 8"#),
            format!(r#"tcss_core_licenses{{{pay},kind="trial"}} 0"#),
            format!(r#"tcss_core_licenses{{{pay},kind="flexible"}} 2"#),
            format!(r#"tcss_core_licenses{{{member},kind="total"}} 4"#),
        ]
    );
    // 2026-03-01T00:00:00+08:00.
    assert_eq!(
        samples(&t, "tcss_edition_end_timestamp_seconds"),
        [format!(
            "tcss_edition_end_timestamp_seconds{{{pay}}} 1772294400"
        )]
    );
    assert_eq!(
        samples(&t, "tcss_edition_auto_renew"),
        [
            format!("tcss_edition_auto_renew{{{pay}}} 0"),
            format!("tcss_edition_auto_renew{{{member}}} 1"),
        ]
    );
    assert_eq!(
        samples(&t, "tcss_edition_info"),
        [
            format!(r#"tcss_edition_info{{{pay},edition="pro",auto_renew="off"}} 1"#),
            format!(r#"tcss_edition_info{{{member},edition="unknown:9",auto_renew="on"}} 1"#),
        ]
    );
    assert_eq!(
        samples(&t, "tcss_total_core_licenses"),
        [
            r#"tcss_total_core_licenses{kind="total"} 16"#,
            r#"tcss_total_core_licenses{kind="protected"} 10"#,
            r#"tcss_total_core_licenses{kind="unprotected"} 2"#,
            r#"tcss_total_core_licenses{kind="purchased"} 8"#,
        ]
    );
    if let Some(promtool) = prom_tools::promtool() {
        prom_tools::promtool_accepts(&promtool, &t);
    }
}

/// Grouped: `tcss_group_image_licenses{group_by, group, kind}` after the
/// totals, per group of each key, the untagged group `group=""`; an empty
/// value is no sample. Not grouped: no such family.
#[test]
fn group_licenses_per_group_of_each_key() {
    let t = text(&crate::test_support::grouped_report(), 0);
    let types: Vec<&str> = t
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .collect();
    let at = types
        .iter()
        .position(|l| *l == "tcss_group_image_licenses gauge")
        .expect(&t);
    // After the totals' families, the cores' the last of them (issue 21).
    assert_eq!(types[at - 1], "tcss_total_core_licenses gauge");
    assert_eq!(
        samples(&t, "tcss_group_image_licenses"),
        [
            r#"tcss_group_image_licenses{group_by="team",group="payments",kind="total"} 100"#,
            r#"tcss_group_image_licenses{group_by="team",group="payments",kind="used"} 97"#,
            r#"tcss_group_image_licenses{group_by="team",group="payments",kind="short"} 0"#,
            r#"tcss_group_image_licenses{group_by="team",group="payments",kind="idle"} 3"#,
            r#"tcss_group_image_licenses{group_by="team",group="@ops",kind="total"} 10"#,
            r#"tcss_group_image_licenses{group_by="team",group="@ops",kind="used"} 15"#,
            r#"tcss_group_image_licenses{group_by="team",group="@ops",kind="short"} 5"#,
            r#"tcss_group_image_licenses{group_by="team",group="@ops",kind="idle"} 0"#,
            r#"tcss_group_image_licenses{group_by="cost_center",group="=HYPERLINK(\"x\")",kind="total"} 100"#,
            r#"tcss_group_image_licenses{group_by="cost_center",group="=HYPERLINK(\"x\")",kind="used"} 97"#,
            r#"tcss_group_image_licenses{group_by="cost_center",group="=HYPERLINK(\"x\")",kind="short"} 0"#,
            r#"tcss_group_image_licenses{group_by="cost_center",group="=HYPERLINK(\"x\")",kind="idle"} 3"#,
            r#"tcss_group_image_licenses{group_by="cost_center",group="",kind="total"} 10"#,
            r#"tcss_group_image_licenses{group_by="cost_center",group="",kind="used"} 15"#,
            r#"tcss_group_image_licenses{group_by="cost_center",group="",kind="short"} 5"#,
            r#"tcss_group_image_licenses{group_by="cost_center",group="",kind="idle"} 0"#,
        ],
        "the untagged team group knows no number: no sample"
    );
    assert!(!text(&sample_report(), 0).contains("tcss_group_"));
}

/// Tag keys and values with quotes, backslashes and line feeds (member tags
/// and department names come from the API) survive promtool and Python's
/// `prometheus_client` parser.
#[cfg(unix)]
#[test]
fn hostile_group_labels_survive_real_parsers() {
    use prom_tools::{promtool, promtool_accepts, python, python_parse, value_of};
    let values = ["a \"quoted\" dept", "back\\slash\\", "two\nlines"];
    let accounts: Vec<_> = values
        .iter()
        .map(|v| {
            let mut a = account(&format!("acct {v}"), &["ap-guangzhou"]);
            a.tags.insert("org_node".into(), v.to_string());
            a
        })
        .collect();
    let outcomes: Vec<_> = (0..values.len())
        .map(|i| ok(i, "ap-guangzhou", data(10, i as i64)))
        .collect();
    let mut report = report_of(&accounts, &outcomes, run_info(RegionScope::Account));
    report.groups = crate::groups::group(&report.aggregate.accounts, &["org_node".to_string()]);
    let text = render(&report, &Default::default()).unwrap();
    assert!(
        text.contains(r#"{group_by="org_node",group="two\nlines",kind="used"} 2"#),
        "{text}"
    );
    if let Some(promtool) = promtool() {
        promtool_accepts(&promtool, &text);
    }
    let Some(python) = python() else { return };
    let families = python_parse(&python, &text);
    for (i, v) in values.iter().enumerate() {
        let labels = [("group_by", "org_node"), ("group", *v), ("kind", "used")];
        assert_eq!(
            value_of(&families, "tcss_group_image_licenses", &labels),
            Some(i as f64),
            "{v:?}"
        );
    }
}
