//! The fleet file: TOML round trip, error positions, validation, and the
//! deterministic generator with its edge cases.

use serde_json::Value;
use tcss_sim::fleet::{FleetError, EDGE_MIN_ACCOUNTS};
use tcss_sim::{sample_license_data, uin_for, FaultKind, Fleet, GenOptions};

const EXAMPLE: &str = r#"
[settings]
tcss_rate_limit = 20
sts_rate_limit = 600
regions = ["ap-guangzhou", "ap-shanghai"]
max_role_duration_secs = 43200

[[accounts]]
uin = "100000000001"
name = "org-mgmt"
keys = [{ secret_id = "AKIDexample0001", secret_key = "example-secret" }]

[accounts.data]
TotalAuthorizedCnt = 100
UsedAuthorizedCnt = 120
CanApplyFreeImageAuthorize = "$null"

[accounts.data.ImageScanInquireInfo]
Capcity = 1000
EndTime = "2026-12-01 00:00:00"

[accounts.region_data.ap-shanghai]
UsedAuthorizedCnt = 119

[accounts.faults]
latency_ms = 20
jitter_ms = 5
first_n = 2
first_kind = "http502"
clock_offset_secs = -30

[[accounts]]
uin = "200000000002"
regions = ["ap-guangzhou"]
roles = [{ name = "OrganizationAccessControlRole", trusted = ["100000000001"] }]
faults = { persistent_error = "InternalError.ErrRoleNotExist", persistent_regions = ["ap-guangzhou"], rate_limit = 5 }
"#;

#[test]
fn documented_example_parses() {
    let f = Fleet::from_toml_str(EXAMPLE).expect("parses");
    f.validate().expect("valid");
    let a = &f.accounts[0];
    assert_eq!(a.keys[0].secret_id, "AKIDexample0001");
    assert_eq!(
        a.data["CanApplyFreeImageAuthorize"],
        Value::Null,
        "$null is JSON null"
    );
    assert_eq!(a.data["ImageScanInquireInfo"]["Capcity"], 1000);
    assert_eq!(a.data_for_region("ap-shanghai")["UsedAuthorizedCnt"], 119);
    assert_eq!(a.data_for_region("ap-guangzhou")["UsedAuthorizedCnt"], 120);
    assert_eq!(a.faults.first_kind, Some(FaultKind::Http502));
    assert_eq!(a.faults.clock_offset_secs, -30);
    let b = &f.accounts[1];
    assert_eq!(b.roles[0].trusted, vec!["100000000001".to_owned()]);
    assert_eq!(b.faults.rate_limit, Some(5));
    // Secrets stay out of Debug output.
    let dbg = format!("{f:?}");
    assert!(!dbg.contains("example-secret"), "{dbg}");
}

/// The first ```toml block after `heading` in a Markdown file.
fn toml_block(markdown: &str, heading: &str) -> String {
    let start = markdown
        .find(heading)
        .unwrap_or_else(|| panic!("{heading} not found"));
    let rest = &markdown[start..];
    let open = rest.find("```toml\n").expect("toml block") + "```toml\n".len();
    let close = rest[open..].find("```").expect("closing fence");
    rest[open..open + close].to_owned()
}

#[test]
fn documented_examples_are_the_tested_example() {
    let expected = Fleet::from_toml_str(EXAMPLE).expect("parses");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, heading) in [
        (root.join("../../docs/simulator.md"), "### Example"),
        (root.join("README.md"), "## Fleet file"),
    ] {
        let text = std::fs::read_to_string(&file).expect("doc exists");
        let block = toml_block(&text, heading);
        let parsed =
            Fleet::from_toml_str(&block).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(
            parsed,
            expected,
            "{} example drifted from tests/fleet.rs",
            file.display()
        );
    }
}

#[test]
fn fault_kind_spellings() {
    for (text, kind) in [
        ("internal_error", FaultKind::InternalError),
        ("http502", FaultKind::Http502),
        ("http_502", FaultKind::Http502),
        ("malformed_json", FaultKind::MalformedJson),
        ("reset", FaultKind::Reset),
        ("hang", FaultKind::Hang),
    ] {
        let t = format!(
            "[[accounts]]\nuin = \"1\"\nfaults = {{ first_n = 1, first_kind = \"{text}\" }}\n"
        );
        let f = Fleet::from_toml_str(&t).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(f.accounts[0].faults.first_kind, Some(kind));
    }
    let e =
        Fleet::from_toml_str("[[accounts]]\nuin = \"1\"\nfaults = { first_kind = \"explode\" }\n")
            .expect_err("unknown kind");
    assert!(matches!(e, FleetError::Parse { line: 3, .. }), "{e}");
}

#[test]
fn round_trip_through_toml_is_exact() {
    let f = Fleet::from_toml_str(EXAMPLE).expect("parses");
    let text = f.to_toml_string().expect("serializes");
    assert_eq!(Fleet::from_toml_str(&text).expect("re-parses"), f);

    let g = Fleet::generate(&GenOptions {
        seed: 9,
        accounts: 60,
        regions: vec!["ap-guangzhou".into(), "ap-shanghai".into()],
        latency_ms: 3,
        fault_fraction: 0.3,
        ..GenOptions::default()
    });
    let text = g.to_toml_string().expect("serializes");
    assert!(
        text.contains("\"$null\""),
        "nulls are written as the sentinel"
    );
    let back = Fleet::from_toml_str(&text).expect("re-parses");
    assert_eq!(back, g);
    back.validate().expect("still valid");
}

#[test]
fn unknown_key_is_an_error_with_line_and_column() {
    let text =
        "[settings]\ntcss_rate_limit = 20\n\n[[accounts]]\nuin = \"1\"\n  colour = \"red\"\n";
    let e = Fleet::from_toml_str(text).expect_err("unknown key");
    match &e {
        FleetError::Parse {
            line,
            column,
            message,
            ..
        } => {
            assert_eq!((*line, *column), (6, 3), "{e}");
            assert!(message.contains("colour"), "{message}");
        }
        other => panic!("wrong error {other:?}"),
    }
    assert!(e.to_string().starts_with("<fleet>:6:3:"), "{e}");

    // Load names the file too.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fleet.toml");
    std::fs::write(&path, "[settings]\nbogus = 1\n").expect("write");
    let e = Fleet::load(&path).expect_err("unknown key");
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("{}:2:1:", path.display())),
        "{shown}"
    );
    // Missing file.
    let e = Fleet::load(&dir.path().join("nope.toml")).expect_err("missing");
    assert!(matches!(e, FleetError::Io { .. }));
    // A valid file loads.
    std::fs::write(&path, EXAMPLE).expect("write");
    assert_eq!(Fleet::load(&path).expect("loads").accounts.len(), 2);
}

#[test]
fn validation_catches_inconsistencies() {
    let base = Fleet::from_toml_str(EXAMPLE).expect("parses");
    type Mutation = Box<dyn Fn(&mut Fleet)>;
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "duplicate uin",
            Box::new(|f| f.accounts[1].uin = f.accounts[0].uin.clone()),
        ),
        ("digits", Box::new(|f| f.accounts[0].uin = "12a".into())),
        (
            "used twice",
            Box::new(|f| {
                let k = f.accounts[0].keys[0].clone();
                f.accounts[1].keys.push(k);
            }),
        ),
        (
            "not in settings.regions",
            Box::new(|f| f.accounts[1].regions = Some(vec!["ap-tokyo".into()])),
        ),
        (
            "region_data",
            Box::new(|f| f.accounts[0].regions = Some(vec!["ap-guangzhou".into()])),
        ),
        (
            "rate_limit",
            Box::new(|f| f.accounts[1].faults.rate_limit = Some(0)),
        ),
        (
            "first_kind",
            Box::new(|f| f.accounts[0].faults.first_kind = None),
        ),
        ("rate limits", Box::new(|f| f.settings.tcss_rate_limit = 0)),
        (
            "duplicated",
            Box::new(|f| {
                let r = f.accounts[1].roles[0].clone();
                f.accounts[1].roles.push(r);
            }),
        ),
    ];
    for (needle, mutate) in cases {
        let mut f = base.clone();
        mutate(&mut f);
        let e = f.validate().expect_err(needle);
        assert!(matches!(e, FleetError::Invalid(_)));
        assert!(e.to_string().contains(needle), "{needle}: {e}");
    }
}

#[test]
fn generator_is_deterministic() {
    let opts = GenOptions {
        seed: 2026,
        accounts: 40,
        regions: vec!["ap-guangzhou".into(), "ap-singapore".into()],
        fault_fraction: 0.2,
        ..GenOptions::default()
    };
    let a = Fleet::generate(&opts);
    let b = Fleet::generate(&opts);
    assert_eq!(a, b);
    assert_eq!(
        a.to_toml_string().expect("toml"),
        b.to_toml_string().expect("toml")
    );
    let c = Fleet::generate(&GenOptions {
        seed: 2027,
        ..opts.clone()
    });
    assert_ne!(a, c);
    assert_ne!(a.accounts[0].uin, c.accounts[0].uin);
    // Pinned values: the same on every machine (ChaCha8 + SHA-256, no std hasher).
    assert_eq!(uin_for(1, "payments-prod"), uin_for(1, "payments-prod"));
    assert_eq!(sample_license_data(5, "x"), sample_license_data(5, "x"));
    assert_eq!(uin_for(0, "a"), PINNED_UIN);
}

/// `uin_for(0, "a")`; changing it changes every generated fleet.
const PINNED_UIN: &str = "783687073541";

fn edge_cases(f: &Fleet) -> Vec<&'static str> {
    let mut seen = Vec::new();
    let i = |m: &serde_json::Map<String, Value>, k: &str| m.get(k).and_then(Value::as_i64);
    for a in &f.accounts {
        let d = &a.data;
        if i(d, "TotalAuthorizedCnt") == Some(0) {
            seen.push("no licenses");
        }
        if let (Some(t), Some(u)) = (i(d, "TotalAuthorizedCnt"), i(d, "UsedAuthorizedCnt")) {
            if t > 0 && u == t {
                seen.push("fully used");
            }
            if u > t {
                seen.push("over-used");
            }
        }
        if !d.contains_key("ImageScanInquireInfo") {
            seen.push("missing ImageScanInquireInfo");
        }
        if d.values().any(Value::is_null) {
            seen.push("null field");
        }
        let known = [
            "TotalAuthorizedCnt",
            "UsedAuthorizedCnt",
            "ScannedImageCnt",
            "NotScannedImageCnt",
            "NotScannedLocalImageCnt",
            "TrialAuthorizedCnt",
            "UsedTrialAuthorizedCnt",
            "PurchasedAuthorizedCnt",
            "UsedPurchasedAuthorizedCnt",
            "CanApplyFreeImageAuthorize",
            "RepeatImageIdCnt",
            "ImageScanInquireInfo",
        ];
        if d.keys().any(|k| !known.contains(&k.as_str())) {
            seen.push("unknown field");
        }
        if !a.region_data.is_empty() {
            seen.push("regions disagree");
        }
        if let Some(Value::Object(q)) = d.get("ImageScanInquireInfo") {
            if let Some(end) = q.get("EndTime").and_then(Value::as_str) {
                let day = chrono::NaiveDateTime::parse_from_str(end, "%Y-%m-%d %H:%M:%S")
                    .expect("Beijing-time format")
                    .date();
                let reference = chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
                let days = (day - reference).num_days();
                seen.push(match days {
                    ..=-1 => "quota past",
                    0..=30 => "quota expiring soon",
                    _ => "quota far",
                });
            }
        }
    }
    seen.sort_unstable();
    seen.dedup();
    seen
}

#[test]
fn generated_fleets_contain_the_edge_cases() {
    for seed in [1, 2, 3] {
        let f = Fleet::generate(&GenOptions {
            seed,
            accounts: EDGE_MIN_ACCOUNTS,
            regions: vec!["ap-guangzhou".into(), "ap-shanghai".into()],
            ..GenOptions::default()
        });
        f.validate().expect("valid");
        let seen = edge_cases(&f);
        for want in [
            "no licenses",
            "fully used",
            "over-used",
            "missing ImageScanInquireInfo",
            "null field",
            "unknown field",
            "regions disagree",
        ] {
            assert!(
                seen.contains(&want),
                "seed {seed}: {want} missing from {seen:?}"
            );
        }
    }
    // A large fleet has realistic proportions and every quota-date bucket.
    let big = Fleet::generate(&GenOptions {
        seed: 77,
        accounts: 1000,
        ..GenOptions::default()
    });
    let seen = edge_cases(&big);
    for want in ["quota past", "quota expiring soon", "quota far"] {
        assert!(seen.contains(&want), "{want}");
    }
    let none = big
        .accounts
        .iter()
        .filter(|a| a.data.get("TotalAuthorizedCnt").and_then(Value::as_i64) == Some(0))
        .count();
    assert!(
        (20..=90).contains(&none),
        "about 5% without licenses, got {none}"
    );
    let members = big.accounts.iter().filter(|a| a.keys.is_empty()).count();
    assert_eq!(members, 750, "role_fraction 0.75");
    let totals: Vec<i64> = big
        .accounts
        .iter()
        .filter_map(|a| a.data.get("TotalAuthorizedCnt").and_then(Value::as_i64))
        .collect();
    assert!(totals.iter().all(|t| (0..=5000).contains(t)));
    assert!(totals.iter().any(|t| *t > 2500));
}
