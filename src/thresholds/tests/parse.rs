use crate::thresholds::{
    check_compare, check_groups, parse, ExprError, ExprErrorKind, Metric, Op, Origin, Scope,
    Threshold,
};

fn ok(text: &str) -> Threshold {
    parse(text, Origin::CommandLine).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str) -> ExprError {
    match parse(text, Origin::CommandLine) {
        Ok(t) => panic!("{text} parsed: {t:?}"),
        Err(e) => e,
    }
}

/// The caret line of an error's message, without its indent.
fn caret_line(e: &ExprError) -> String {
    let detail = e.detail();
    let lines: Vec<&str> = detail.lines().collect();
    assert_eq!(lines[1], format!("  {}", e.expression), "{detail}");
    lines[2].strip_prefix("  ").unwrap_or(lines[2]).to_string()
}

#[test]
fn every_operator_with_and_without_spaces() {
    for (text, op) in [
        ("<", Op::Lt),
        ("<=", Op::Le),
        (">", Op::Gt),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("!=", Op::Ne),
    ] {
        for expr in [
            format!("utilization{text}0.5"),
            format!("utilization {text} 0.5"),
            format!("  utilization\t{text}  0.5 "),
        ] {
            let t = ok(&expr);
            assert_eq!(t.op, op, "{expr}");
            assert_eq!(t.threshold, 0.5);
            assert_eq!(t.metric, Metric::Plain("utilization"));
            assert_eq!(t.expression, expr.trim());
        }
        assert_eq!(op.as_str(), text);
    }
}

#[test]
fn scopes_default_to_account_and_totals_only_metrics_to_total() {
    let cases = [
        (
            "utilization > 1",
            Scope::Account,
            Metric::Plain("utilization"),
        ),
        (
            "account.utilization > 1",
            Scope::Account,
            Metric::Plain("utilization"),
        ),
        (
            "total.utilization > 1",
            Scope::Total,
            Metric::Plain("utilization"),
        ),
        (
            "scan_quota_days_left < 30",
            Scope::Account,
            Metric::Plain("scan_quota_days_left"),
        ),
        (
            "failed_queries > 0",
            Scope::Total,
            Metric::Plain("failed_queries"),
        ),
        (
            "total.failed_accounts > 0",
            Scope::Total,
            Metric::Plain("failed_accounts"),
        ),
        (
            "accounts_error > 0",
            Scope::Total,
            Metric::Plain("accounts_error"),
        ),
        (
            "change.used_authorized > 10",
            Scope::Account,
            Metric::Change("used_authorized"),
        ),
        (
            "account.change.utilization >= 5%",
            Scope::Account,
            Metric::Change("utilization"),
        ),
        (
            "total.change.used_authorized > 100",
            Scope::Total,
            Metric::Change("used_authorized"),
        ),
    ];
    for (text, scope, metric) in cases {
        let t = ok(text);
        assert_eq!((t.scope, t.metric), (scope, metric), "{text}");
    }
    let t = ok("total.change.used_authorized > 100");
    assert_eq!(
        &t.expression[t.metric_span.clone()],
        "change.used_authorized"
    );
}

#[test]
fn numbers_integers_decimals_signs_and_percentages() {
    for (text, value) in [
        ("90%", 0.9),
        ("12.5%", 0.125),
        ("0.57", 0.57),
        ("57%", 0.57),
        ("100%", 1.0),
        ("-5%", -0.05),
        ("+3", 3.0),
        ("-3", -3.0),
        ("0", 0.0),
        ("1000000", 1_000_000.0),
        ("90.55%", 0.9055),
    ] {
        assert_eq!(
            ok(&format!("utilization >= {text}")).threshold,
            value,
            "{text}"
        );
    }
}

#[test]
fn each_error_has_its_caret_under_the_fault() {
    use ExprErrorKind as K;
    let cases: [(&str, ExprErrorKind, &str); 17] = [
        ("   ", K::Empty, "^"),
        (">= 3", K::MissingMetric, "^"),
        (
            "utilisation >= 90%",
            K::UnknownMetric("utilisation".into()),
            "^^^^^^^^^^^",
        ),
        (
            "total.utilisation > 1",
            K::UnknownMetric("utilisation".into()),
            "      ^^^^^^^^^^^",
        ),
        (
            "acount.utilization > 1",
            K::UnknownMetric("acount.utilization".into()),
            "^^^^^^^^^^^^^^^^^^",
        ),
        (
            "change.regions_ok > 1",
            K::UnknownChangeMetric("regions_ok".into()),
            "       ^^^^^^^^^^",
        ),
        (
            "account.failed_accounts > 0",
            K::NotPerAccount("failed_accounts"),
            "        ^^^^^^^^^^^^^^^",
        ),
        (
            "total.scan_quota_days_left < 30",
            K::NotInTotals("scan_quota_days_left"),
            "      ^^^^^^^^^^^^^^^^^^^^",
        ),
        ("utilization", K::MissingOperator, "           ^"),
        (
            "utilization => 90%",
            K::UnknownOperator("=>".into()),
            "            ^^",
        ),
        (
            "utilization = 90%",
            K::UnknownOperator("=".into()),
            "            ^",
        ),
        (
            "utilization ~ 1",
            K::UnknownOperator("~".into()),
            "            ^",
        ),
        ("utilization >=", K::MissingNumber, "              ^"),
        (
            "utilization >= ninety",
            K::BadNumber("ninety".into()),
            "               ^^^^^^",
        ),
        (
            "utilization >= 1e3",
            K::BadNumber("1e3".into()),
            "               ^^^",
        ),
        (
            "utilization >= 90 %",
            K::TrailingText("%".into()),
            "                  ^",
        ),
        (
            "utilization >= 9 or 1",
            K::TrailingText("or 1".into()),
            "                 ^^^^",
        ),
    ];
    for (text, kind, caret) in cases {
        let e = err(text);
        assert_eq!(e.kind, kind, "{text}");
        assert_eq!(caret_line(&e), caret, "{text}");
    }
    for bad in [
        "inf", "NaN", "90%%", ".5", "5.", "--1", "0x10", "1_000", "%",
    ] {
        let e = err(&format!("utilization > {bad}"));
        assert_eq!(e.kind, K::BadNumber(bad.into()), "{bad}");
    }
}

#[test]
fn messages_name_the_origin_and_list_the_valid_metrics() {
    let e = err("utilisation >= 90%");
    let text = e.to_string();
    assert!(
        text.starts_with(
            "--fail-on: `utilisation >= 90%`: unknown metric `utilisation` \
             (did you mean `utilization`?)\n"
        ),
        "{text}"
    );
    for m in [
        "utilization",
        "scan_quota_days_left",
        "failed_accounts",
        "failed_queries",
        "change.used_authorized",
    ] {
        assert!(text.contains(m), "{m} missing from {text}");
    }
    assert!(
        text.contains("expected [account.|total.|group.]METRIC OP NUMBER"),
        "{text}"
    );
    let origin = Origin::Config {
        path: "accounts.toml".into(),
        line: 4,
        column: 12,
    };
    let e = parse("utilization >", origin).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("accounts.toml:4:12: [defaults] fail_on: `utilization >`"),
        "{e}"
    );
}

#[test]
fn a_misspelt_metric_gets_the_nearest_valid_one() {
    let text = err("account.remaining_authorised < 0").kind.to_string();
    assert_eq!(
        text,
        "unknown metric `remaining_authorised` (did you mean `remaining_authorized`?)"
    );
    let text = err("failed_querys > 0").kind.to_string();
    assert!(text.ends_with("(did you mean `failed_queries`?)"), "{text}");
    let text = err("change.utilisation > 0.1").kind.to_string();
    assert!(
        text.starts_with(
            "`change.utilisation` is not compared (did you mean `change.utilization`?);"
        ),
        "{text}"
    );
    // Nothing near: no guess.
    assert_eq!(
        err("colour > 1").kind.to_string(),
        "unknown metric `colour`"
    );
}

#[test]
fn change_needs_a_comparison() {
    let plain = [ok("utilization >= 90%"), ok("failed_queries > 0")];
    assert_eq!(check_compare(&plain, false), Ok(()));
    let with_change = [
        ok("utilization >= 90%"),
        ok("total.change.used_authorized > 10"),
    ];
    assert_eq!(check_compare(&with_change, true), Ok(()));
    let e = check_compare(&with_change, false).unwrap_err();
    assert_eq!(e.kind, ExprErrorKind::NeedsCompare);
    assert_eq!(caret_line(&e), "      ^^^^^^^^^^^^^^^^^^^^^^");
    let text = e.to_string();
    assert!(text.contains("--compare"), "{text}");
    assert!(!text.contains("valid metrics"), "{text}");
}

/// `group.` names a number of the groups table; `share_of_used`, a group's
/// alone, needs no scope; the rest is refused with what to write.
#[test]
fn group_metrics_are_the_numbers_of_a_group() {
    for (text, metric) in [
        ("group.utilization >= 90%", "utilization"),
        ("group.accounts_error > 0", "accounts_error"),
        ("group.share_of_used > 50%", "share_of_used"),
        ("share_of_used > 50%", "share_of_used"),
    ] {
        let t = ok(text);
        assert_eq!(
            (t.scope, t.metric),
            (Scope::Group, Metric::Plain(metric)),
            "{text}"
        );
    }
    assert_eq!(ok("utilization >= 90%").scope, Scope::Account, "unchanged");
    assert_eq!(ok("accounts > 3").scope, Scope::Total, "unchanged");
    let e = err("group.trial_authorized > 1");
    assert_eq!(e.kind, ExprErrorKind::NotPerGroup("trial_authorized"));
    assert!(
        e.to_string()
            .contains("the group metrics are accounts, accounts_ok, "),
        "{e}"
    );
    assert_eq!(
        err("group.change.used_authorized > 1").kind,
        ExprErrorKind::GroupChange
    );
    for text in ["total.share_of_used > 1", "account.share_of_used > 1"] {
        let e = err(text);
        assert_eq!(
            e.kind,
            ExprErrorKind::OnlyPerGroup("share_of_used"),
            "{text}"
        );
        assert!(e.to_string().contains("write `group.share_of_used`"), "{e}");
    }
    let e = err("group.utilisation > 1");
    assert!(e.to_string().contains("did you mean `utilization`"), "{e}");
    assert!(
        e.to_string()
            .contains("per group (`group.`, needs --group-by): accounts"),
        "{e}"
    );
}

#[test]
fn a_group_threshold_needs_groups() {
    let ts = vec![ok("utilization > 1"), ok("group.utilization >= 90%")];
    assert!(check_groups(&ts, true).is_ok());
    assert!(check_groups(&ts[..1], false).is_ok());
    let e = check_groups(&ts, false).unwrap_err();
    assert_eq!(e.kind, ExprErrorKind::NeedsGroups);
    assert_eq!(caret_line(&e), "      ^^^^^^^^^^^");
    assert!(e.to_string().contains("add `--group-by KEY`"), "{e}");
    assert!(!e.to_string().contains("valid metrics"), "{e}");
}
