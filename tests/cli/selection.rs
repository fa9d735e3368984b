//! `--only` and `--exclude` end to end (issue 20): applied to every
//! account after discovery, members included (by name, tag, department,
//! UIN, organization), the members not selected never queried; a role's
//! source account used for its keys but neither queried nor reported; a
//! configured account that is a member gains the member's `org` and
//! `org_node` tags (and is selected by them); the selection in the JSON;
//! `validate` counting the organizations.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::Output;

use serde_json::Value;
use tcss_sim::{Fleet, OrgFaults, OrgMember, Organization, Settings};

use crate::harness::*;

const TCSS: &str = "DescribeImageAuthorizedInfo";

fn org_member(uin: &str, name: &str, node: &str, tags: &[(&str, &str)]) -> OrgMember {
    OrgMember {
        uin: uin.into(),
        name: name.into(),
        node_id: 0,
        node_name: Some(node.to_string()),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        remark: None,
        create_time: None,
        null_fields: Vec::new(),
    }
}

/// The organization `acme`: the management account (listed in `Root`),
/// three members and `payments`, a member configured by hand (department
/// `billing`, like `mobile-backend` and `sandbox-1`).
fn harness() -> (Harness, PathBuf) {
    let accounts = vec![
        mgmt(data(100, 40, 30, 10)),
        member(
            "200000000001",
            "mobile-backend",
            MGMT_UIN,
            data(10, 1, 1, 1),
        ),
        member("200000000002", "web", MGMT_UIN, data(20, 2, 2, 2)),
        member("200000000003", "sandbox-1", MGMT_UIN, data(30, 3, 3, 3)),
        member("200000000004", "payments", MGMT_UIN, data(40, 4, 4, 4)),
    ];
    let members = vec![
        org_member(MGMT_UIN, "acme-management", "Root", &[]),
        org_member(
            "200000000001",
            "mobile-backend",
            "billing",
            &[("cost_center", "cc-56")],
        ),
        org_member("200000000002", "web", "Web", &[("cost_center", "cc-12")]),
        org_member("200000000003", "sandbox-1", "billing", &[]),
        org_member("200000000004", "payments-listed", "billing", &[]),
    ];
    let h = Harness::new(Fleet {
        settings: Settings {
            organizations: vec![Organization {
                name: "acme".into(),
                management_uin: MGMT_UIN.into(),
                members,
                faults: OrgFaults::default(),
            }],
            ..Settings::default()
        },
        accounts,
    });
    let cfg = h.config(
        "",
        &format!(
            "{MGMT_ACCOUNT}\n[[accounts]]\nname = \"payments\"\n\
             role_arn = \"qcs::cam::uin/200000000004:roleName/Audit\"\nsource_account = \"mgmt\"\n\
             [[organizations]]\nname = \"acme\"\nmanagement_account = \"mgmt\"\nrole_name = \"Audit\"\n\
             endpoint = \"{}\"\n",
            h.url()
        ),
    );
    (h, cfg)
}

/// One run into its own folder (no history): its output, the accounts
/// CSV rows, its JSON, and how many TCSS queries each UIN got.
struct Ran {
    out: Output,
    rows: Vec<HashMap<String, String>>,
    json: Value,
    queried: HashMap<&'static str, u64>,
}

const UINS: [&str; 5] = [
    MGMT_UIN,
    "200000000001",
    "200000000002",
    "200000000003",
    "200000000004",
];

fn run(h: &Harness, cfg: &PathBuf, args: &[&str]) -> Ran {
    let before = h.snapshot();
    let dir = tempfile::tempdir().unwrap();
    let mut c = bin();
    c.arg("run")
        .arg("--config")
        .arg(cfg)
        .arg("--out")
        .arg(dir.path())
        .arg("--no-history")
        .args(args)
        .envs(MGMT_ENV)
        .env("HOME", h.home());
    let out = c.output().unwrap();
    let after = h.snapshot();
    let queried = UINS
        .iter()
        .map(|u| (*u, after.requests(u, TCSS) - before.requests(u, TCSS)))
        .collect();
    let listed = |suffix: &str| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find(|l| l.ends_with(suffix))
            .map(PathBuf::from)
    };
    let (rows, json) = match (listed(".accounts.csv"), listed(".json")) {
        (Some(csv_path), Some(json_path)) => {
            let mut r = csv::Reader::from_path(csv_path).unwrap();
            let headers = r.headers().unwrap().clone();
            let rows = r
                .records()
                .map(|rec| {
                    let rec = rec.unwrap();
                    headers
                        .iter()
                        .zip(rec.iter())
                        .map(|(h, v)| (h.to_string(), v.to_string()))
                        .collect()
                })
                .collect();
            let json = serde_json::from_slice(&std::fs::read(json_path).unwrap()).unwrap();
            (rows, json)
        }
        _ => (Vec::new(), Value::Null),
    };
    Ran {
        out,
        rows,
        json,
        queried,
    }
}

impl Ran {
    fn names(&self) -> Vec<&str> {
        self.rows.iter().map(|r| r["account"].as_str()).collect()
    }

    /// The UINs queried (each once).
    fn queried(&self) -> Vec<&'static str> {
        let mut q: Vec<&'static str> = UINS
            .iter()
            .copied()
            .filter(|u| self.queried[u] > 0)
            .collect();
        for u in &q {
            assert_eq!(self.queried[u], 1, "{u} queried once");
        }
        q.sort_unstable();
        q
    }
}

#[test]
fn only_and_exclude_select_members_by_name_tag_department_and_uin() {
    let (h, cfg) = harness();
    let cases: &[(&[&str], &[&str])] = &[
        // A member's name, as it is a row of the report.
        (&["--only", "mobile-backend"], &["mobile-backend"]),
        // A glob over members' names.
        (
            &["--only", "mobile-*", "--only", "web"],
            &["mobile-backend", "web"],
        ),
        // A member tag, both spellings.
        (&["--only", "cost_center=cc-56"], &["mobile-backend"]),
        (&["--only", "tag:cost_center=cc-12"], &["web"]),
        // The department: members and the configured member.
        (
            &["--only", "org_node=billing"],
            &["payments", "mobile-backend", "sandbox-1"],
        ),
        (
            &["--only", "tag:org_node=billing", "--exclude", "sandbox-*"],
            &["payments", "mobile-backend"],
        ),
        (&["--exclude", "org_node=billing"], &["mgmt", "web"]),
        (&["--only", "uin:200000000003"], &["sandbox-1"]),
        // A configured account's UIN, learned during the run.
        (&["--only", "uin:100000000001"], &["mgmt"]),
        (
            &[
                "--only",
                "org:acme",
                "--exclude",
                "uin:200000000002",
                "--exclude",
                "Root",
            ],
            &["payments", "mobile-backend", "sandbox-1"],
        ),
    ];
    for (args, expected) in cases {
        let r = run(&h, &cfg, args);
        assert_eq!(r.out.status.code(), Some(0), "{args:?}: {}", stderr(&r.out));
        assert_eq!(r.names(), *expected, "{args:?}");
        let uin_of = |name: &str| match name {
            "mgmt" => MGMT_UIN,
            "mobile-backend" => "200000000001",
            "web" => "200000000002",
            "sandbox-1" => "200000000003",
            "payments" => "200000000004",
            other => panic!("{other}"),
        };
        let mut uins: Vec<&str> = expected.iter().map(|n| uin_of(n)).collect();
        uins.sort_unstable();
        assert_eq!(r.queried(), uins, "{args:?}: the others are never queried");
        assert_eq!(
            r.json["totals"]["accounts"],
            expected.len(),
            "{args:?}: the totals are the subset's"
        );
        assert!(
            !r.json["run"]["selection"].as_array().unwrap().is_empty(),
            "{args:?}"
        );
    }
}

#[test]
fn the_selection_is_in_the_json_canonical_and_a_full_run_has_none() {
    let (h, cfg) = harness();
    let r = run(
        &h,
        &cfg,
        &[
            "--only",
            "org_node=billing",
            "--exclude",
            "sandbox-*",
            "--only",
            "web",
        ],
    );
    assert_eq!(r.out.status.code(), Some(0), "{}", stderr(&r.out));
    assert_eq!(
        r.json["run"]["selection"],
        serde_json::json!([
            "--only tag:org_node=billing",
            "--only web",
            "--exclude sandbox-*"
        ])
    );
    let key = std::fs::canonicalize(&cfg).unwrap();
    assert_eq!(r.json["run"]["history_key"], key.display().to_string());
    let full = run(&h, &cfg, &[]);
    assert_eq!(full.out.status.code(), Some(0), "{}", stderr(&full.out));
    assert_eq!(full.json["run"]["selection"], serde_json::json!([]));
    assert_eq!(full.names().len(), 5, "{:?}", full.names());
}

#[test]
fn a_configured_member_gains_its_org_tags() {
    let (h, cfg) = harness();
    let r = run(&h, &cfg, &[]);
    assert_eq!(r.out.status.code(), Some(0), "{}", stderr(&r.out));
    let payments = row(&r.rows, "payments");
    assert_eq!(payments["tag:org"], "acme");
    assert_eq!(payments["tag:org_node"], "billing");
    let m = row(&r.rows, "mgmt");
    assert_eq!(m["tag:org"], "acme", "listed among its own members");
    assert_eq!(m["tag:org_node"], "Root");
    let web = row(&r.rows, "web");
    assert_eq!(web["tag:org_node"], "Web");
}

#[test]
fn a_role_accounts_source_lends_its_keys_but_is_not_reported() {
    let (h, cfg) = harness();
    let r = run(&h, &cfg, &["--only", "payments"]);
    assert_eq!(r.out.status.code(), Some(0), "{}", stderr(&r.out));
    assert_eq!(r.names(), ["payments"]);
    assert_eq!(r.queried(), ["200000000004"], "mgmt only lends its keys");
    assert_eq!(
        r.json["run"]["organizations"],
        serde_json::json!([]),
        "a configured account's name lists no organization"
    );
}

#[test]
fn bad_or_unmatched_selectors_exit_2_before_any_call() {
    let (h, cfg) = harness();
    for (args, says) in [
        (
            &["--only", "uin:12ab"][..],
            "--only uin:12ab: `uin:12ab`: a UIN is digits only",
        ),
        (
            &["--exclude", "tag:env"],
            "--exclude tag:env: `tag:env`: write tag:KEY=VALUE",
        ),
        (
            &["--only", "org:nope"],
            "--only org:nope: no account or organization",
        ),
    ] {
        let r = run(&h, &cfg, args);
        assert_eq!(r.out.status.code(), Some(2), "{args:?}: {}", stderr(&r.out));
        assert!(
            stderr(&r.out).contains(says),
            "{args:?}: {}",
            stderr(&r.out)
        );
        assert!(r.queried().is_empty());
    }
    assert_eq!(h.snapshot().total, 0, "nothing was called");
}

#[test]
fn validate_counts_the_organizations() {
    let (h, cfg) = harness();
    let o = bin()
        .args(["validate", "--config"])
        .arg(&cfg)
        .envs(MGMT_ENV)
        .env("HOME", h.home())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let line = String::from_utf8_lossy(&o.stdout);
    assert!(
        line.contains(
            ": OK: 2 accounts (1 by AssumeRole) + members of organization acme, discovered at \
             run time, 2 queries per run for the configured accounts, 0 warnings"
        ),
        "{line}"
    );
}
