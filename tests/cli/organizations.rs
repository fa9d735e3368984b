//! Organization discovery end to end: members listed by the management
//! account, passed through the selectors, merged with the configured
//! accounts by UIN, queried through their role; an organization whose list
//! cannot be read is an error while the configured accounts still run; a
//! list that changes while it is read is read again.

use std::collections::BTreeMap;

use serde_json::Value;
use tcss_sim::{Fleet, OrgFaults, OrgMember, Organization, Settings, SimAccount};

use crate::harness::*;

const TCSS: &str = "DescribeImageAuthorizedInfo";

fn org_member(uin: &str, name: &str, node: Option<&str>, tags: &[(&str, &str)]) -> OrgMember {
    OrgMember {
        uin: uin.into(),
        name: name.into(),
        node_id: 0,
        node_name: node.map(str::to_string),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        remark: None,
        create_time: None,
        null_fields: Vec::new(),
    }
}

fn fleet(accounts: Vec<SimAccount>, members: Vec<OrgMember>, faults: OrgFaults) -> Fleet {
    Fleet {
        settings: Settings {
            organizations: vec![Organization {
                name: "corp".into(),
                management_uin: MGMT_UIN.into(),
                members,
                faults,
            }],
            ..Settings::default()
        },
        accounts,
    }
}

/// The management account and the organization `corp`, listed on the
/// simulator at `url` (never the real host: these tests stay on loopback).
fn org_config(url: &str, extra: &str) -> String {
    format!(
        "{MGMT_ACCOUNT}\n[[organizations]]\nname = \"corp\"\nmanagement_account = \"mgmt\"\nrole_name = \"Audit\"\n\
         endpoint = \"{url}\"\n{extra}"
    )
}

#[test]
fn members_are_discovered_merged_by_uin_and_queried() {
    let accounts = vec![
        mgmt(data(100, 40, 30, 10)),
        member("200000000001", "a1", MGMT_UIN, data(10, 1, 1, 1)),
        member("200000000002", "a2", MGMT_UIN, data(20, 2, 2, 2)),
        member("200000000003", "a3", MGMT_UIN, data(30, 3, 3, 3)),
        member("200000000004", "a4", MGMT_UIN, data(40, 4, 4, 4)),
        // A member whose role does not trust the management account.
        member("200000000005", "a5", "999999999999", data(50, 5, 5, 5)),
    ];
    let members = vec![
        org_member(MGMT_UIN, "corp-management", None, &[]),
        org_member("200000000001", "web", Some("Web"), &[("env", "prod")]),
        org_member("200000000002", "web", Some("Web"), &[]),
        org_member("200000000003", "sandbox-1", None, &[]),
        org_member("200000000004", "payments team", None, &[]),
        org_member("200000000005", "no-role", None, &[]),
    ];
    let h = Harness::new(fleet(accounts, members, OrgFaults::default()));
    let cfg = h.config(
        "",
        &format!(
            "{}exclude = [\"name:sandbox-*\"]\n\
             [[accounts]]\nname = \"payments\"\nrole_arn = \"qcs::cam::uin/200000000004:roleName/Audit\"\nsource_account = \"mgmt\"\n",
            org_config(&h.url(), "")
        ),
    );
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "the member without the role fails: {}",
        stderr(&o)
    );
    let rows = h.csv(".accounts.csv");
    let names: Vec<&str> = rows.iter().map(|r| r["account"].as_str()).collect();
    assert_eq!(
        names,
        vec![
            "mgmt",
            "payments",
            "web (200000000001)",
            "web (200000000002)",
            "no-role"
        ],
        "configured first, then kept members in listing order"
    );
    assert_eq!(row(&rows, "mgmt")["uin"], MGMT_UIN);
    assert_eq!(
        row(&rows, "payments")["total_authorized"],
        "40",
        "the configured account wins"
    );
    let web = row(&rows, "web (200000000001)");
    assert_eq!(web["status"], "ok");
    assert_eq!(web["total_authorized"], "10");
    assert_eq!(web["tag:org"], "corp");
    assert_eq!(web["tag:org_node"], "Web");
    assert_eq!(web["tag:env"], "prod");
    let nr = row(&rows, "no-role");
    assert_eq!(nr["status"], "error");
    assert!(!nr["error_code"].is_empty(), "{nr:?}");
    let snap = h.snapshot();
    assert_eq!(
        snap.requests(MGMT_UIN, TCSS),
        1,
        "the management account is queried once"
    );
    assert_eq!(snap.requests("200000000003", TCSS), 0, "excluded");
    assert_eq!(
        snap.requests("200000000004", TCSS),
        1,
        "queried once, as `payments`"
    );
    let j = h.json();
    let orgs = j["run"]["organizations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1);
    let corp = &orgs[0];
    assert_eq!(corp["name"], "corp");
    assert_eq!(corp["status"], "ok");
    assert_eq!(corp["members_total"], 6);
    assert_eq!(corp["members_listed"], 6);
    assert_eq!(corp["members_kept"], 3);
    assert_eq!(corp["error_code"], Value::Null);
    assert_eq!(j["complete"], true);
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    assert!(md.contains("## Organizations"), "{md}");
}

#[test]
fn an_organization_that_cannot_be_listed_is_an_error_and_the_configured_accounts_still_run() {
    let h = Harness::new(fleet(
        vec![
            mgmt(data(100, 40, 30, 10)),
            member("200000000001", "a1", MGMT_UIN, data(10, 1, 1, 1)),
        ],
        vec![org_member("200000000001", "web", None, &[])],
        OrgFaults {
            persistent_error: Some("UnauthorizedOperation".into()),
            ..OrgFaults::default()
        },
    ));
    let cfg = h.config("", &org_config(&h.url(), ""));
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let rows = h.csv(".accounts.csv");
    assert_eq!(rows.len(), 1);
    assert_eq!(row(&rows, "mgmt")["status"], "ok");
    let j = h.json();
    assert_eq!(j["complete"], false);
    let corp = &j["run"]["organizations"][0];
    assert_eq!(corp["status"], "error");
    assert_eq!(corp["error_code"], "UnauthorizedOperation");
    assert_eq!(corp["members_total"], Value::Null);
    let md = std::fs::read_to_string(h.report(".md")).unwrap();
    assert!(md.contains("UnauthorizedOperation"), "{md}");
    assert!(md.contains("INCOMPLETE"), "{md}");
    use calamine::{open_workbook, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(h.report(".xlsx")).unwrap();
    let errors = wb.worksheet_range("Errors").unwrap();
    assert_eq!(
        errors.get((1, 0)).map(|c| c.to_string()),
        Some("organization corp".to_string())
    );
    assert_eq!(
        errors.get((1, 2)).map(|c| c.to_string()),
        Some("DescribeOrganizationMembers".to_string())
    );
    assert_eq!(
        errors.get((1, 5)).map(|c| c.to_string()),
        Some("UnauthorizedOperation".to_string())
    );
}

#[test]
fn a_list_that_changes_while_it_is_read_is_read_again() {
    let mut accounts = vec![mgmt(data(100, 40, 30, 10))];
    let mut members = Vec::new();
    for i in 0..55u64 {
        let uin = format!("{}", 210_000_000_000u64 + i);
        accounts.push(member(&uin, &format!("a{i}"), MGMT_UIN, data(10, 1, 1, 1)));
        members.push(org_member(&uin, &format!("m{i:02}"), None, &[]));
    }
    let h = Harness::new(fleet(
        accounts,
        members,
        OrgFaults {
            join_between_pages: 3,
            ..OrgFaults::default()
        },
    ));
    let cfg = h.config("", &org_config(&h.url(), ""));
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j = h.json();
    let corp = &j["run"]["organizations"][0];
    assert_eq!(corp["members_total"], 55);
    assert_eq!(corp["members_listed"], 55);
    assert_eq!(corp["members_kept"], 55);
    assert_eq!(h.csv(".accounts.csv").len(), 56);
    assert_eq!(
        h.snapshot()
            .requests(MGMT_UIN, "DescribeOrganizationMembers"),
        4,
        "two pages, then two more after the list changed"
    );
}

/// `discover` against the simulator: what a run would query, what it
/// leaves out and why, the organization's counts, and TOML a user can paste.
#[test]
fn discover_lists_the_accounts_a_run_would_query() {
    let accounts = vec![
        mgmt(data(100, 40, 30, 10)),
        member("200000000001", "a1", MGMT_UIN, data(10, 1, 1, 1)),
        member("200000000003", "a3", MGMT_UIN, data(30, 3, 3, 3)),
    ];
    let members = vec![
        org_member(MGMT_UIN, "corp-management", None, &[]),
        org_member("200000000001", "web", Some("Web"), &[("env", "prod")]),
        org_member("200000000003", "sandbox-1", None, &[]),
    ];
    let h = Harness::new(fleet(accounts, members, OrgFaults::default()));
    let cfg = h.config(
        "",
        &format!(
            "{}exclude = [\"name:sandbox-*\"]\n",
            org_config(&h.url(), "")
        ),
    );
    let discover = |format: &str| {
        bin()
            .args(["discover", "--format", format, "--config"])
            .arg(&cfg)
            .envs(MGMT_ENV)
            .env("HOME", h.home())
            .output()
            .unwrap()
    };
    let o = discover("json");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    let names: Vec<&str> = j["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["mgmt", "web"]);
    assert_eq!(
        j["accounts"][0]["uin"], MGMT_UIN,
        "the configured account's UIN, learned with GetCallerIdentity"
    );
    assert_eq!(j["accounts"][1]["organization"], "corp");
    assert_eq!(j["accounts"][1]["department"], "Web");
    assert_eq!(j["accounts"][1]["uin"], "200000000001");
    assert_eq!(j["excluded"][0]["account"], "sandbox-1");
    assert_eq!(j["excluded"][0]["note"], "excluded by `name:sandbox-*`");
    assert_eq!(j["organizations"][0]["members_total"], 3);
    assert_eq!(j["organizations"][0]["members_kept"], 1);
    assert_eq!(
        h.snapshot().requests(MGMT_UIN, TCSS),
        0,
        "discover calls no TCSS"
    );

    let o = discover("toml");
    assert_eq!(o.status.code(), Some(0));
    let frozen: toml::Value = toml::from_str(&String::from_utf8_lossy(&o.stdout)).unwrap();
    let a = &frozen["accounts"][0];
    assert_eq!(a["name"].as_str(), Some("web"));
    assert_eq!(
        a["role_arn"].as_str(),
        Some("qcs::cam::uin/200000000001:roleName/Audit")
    );
    assert_eq!(a["source_account"].as_str(), Some("mgmt"));
    assert_eq!(a["tags"]["org"].as_str(), Some("corp"));

    let o = discover("csv");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(text.starts_with("account,uin,status,"), "{text}");
    assert!(text.contains("sandbox-1,200000000003,excluded"), "{text}");
    let o = discover("table");
    assert!(String::from_utf8_lossy(&o.stdout).contains("organization corp: ok"));
}

#[test]
fn discover_exits_3_when_an_organization_cannot_be_listed() {
    let h = Harness::new(fleet(
        vec![mgmt(data(100, 40, 30, 10))],
        vec![org_member(MGMT_UIN, "corp-management", None, &[])],
        OrgFaults {
            persistent_error: Some("UnauthorizedOperation".into()),
            ..OrgFaults::default()
        },
    ));
    let cfg = h.config("", &org_config(&h.url(), ""));
    let o = bin()
        .args(["discover", "--format", "json", "--config"])
        .arg(&cfg)
        .envs(MGMT_ENV)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["organizations"][0]["status"], "error");
    assert_eq!(j["organizations"][0]["error_code"], "UnauthorizedOperation");
}

/// SIGTERM while the member list hangs: exit 130, every report written, the
/// organization an error (`Cancelled`), and the configured accounts, queried
/// while the list was being read, in the report with their data.
#[cfg(unix)]
#[test]
fn an_interrupt_during_discovery_leaves_every_report() {
    let h = Harness::new(fleet(
        vec![mgmt(data(100, 40, 30, 10))],
        vec![org_member(MGMT_UIN, "corp-management", None, &[])],
        OrgFaults {
            first_n: 1000,
            first_kind: Some(tcss_sim::FaultKind::Hang),
            ..OrgFaults::default()
        },
    ));
    let cfg = h.config("timeout_secs = 60\n", &org_config(&h.url(), ""));
    let mut c = h.command(&cfg);
    c.envs(MGMT_ENV);
    let (child, _log) = h.spawn(c);
    wait_until(
        std::time::Duration::from_secs(20),
        "the member list to hang",
        || {
            h.snapshot()
                .requests(MGMT_UIN, "DescribeOrganizationMembers")
                >= 1
        },
    );
    sigterm(&child);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130));
    let j = h.json();
    assert_eq!(j["complete"], false);
    let corp = &j["run"]["organizations"][0];
    assert_eq!(corp["status"], "error");
    assert_eq!(corp["error_code"], "Cancelled");
    let rows = h.csv(".accounts.csv");
    assert_eq!(rows.len(), 1);
    assert_eq!(row(&rows, "mgmt")["status"], "ok");
    assert_eq!(row(&rows, "mgmt")["used_authorized"], "40");
}

/// Discovery overlaps querying: the list answers its first page of 50
/// members and then hangs; the members of that page are queried while it
/// hangs. SIGTERM then: exit 130, the 50 members and the management account
/// in the report with their data (two of one name settled as `Name (UIN)`),
/// the organization an error with the 50 it listed.
#[cfg(unix)]
#[test]
fn members_are_queried_while_the_list_is_still_being_read() {
    let uin = |i: usize| format!("{}", 200_000_000_000u64 + i as u64);
    let mut accounts = vec![mgmt(data(100, 40, 30, 10))];
    let mut members = vec![org_member(MGMT_UIN, "corp-management", None, &[])];
    for i in 1..60 {
        accounts.push(member(
            &uin(i),
            &format!("m{i}"),
            MGMT_UIN,
            data(10, i as i64 % 10, 1, 1),
        ));
        let name = if i <= 2 {
            "web".to_string()
        } else {
            format!("m{i}")
        };
        members.push(org_member(&uin(i), &name, None, &[]));
    }
    let h = Harness::new(fleet(
        accounts,
        members,
        OrgFaults {
            first_n: 1000,
            first_kind: Some(tcss_sim::FaultKind::Hang),
            fault_after_pages: 1,
            ..OrgFaults::default()
        },
    ));
    let cfg = h.config("timeout_secs = 60\n", &org_config(&h.url(), ""));
    let mut c = h.command(&cfg);
    c.envs(MGMT_ENV);
    let (child, _log) = h.spawn(c);
    // Member 49 is the last of the first page.
    wait_until(
        std::time::Duration::from_secs(20),
        "the first page's members to be queried while the list hangs",
        || h.snapshot().requests(&uin(49), TCSS) >= 1 && h.snapshot().requests(&uin(1), TCSS) >= 1,
    );
    assert!(
        h.snapshot()
            .requests(MGMT_UIN, "DescribeOrganizationMembers")
            >= 2,
        "the second page was asked for"
    );
    sigterm(&child);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let j = h.json();
    let corp = &j["run"]["organizations"][0];
    assert_eq!(corp["error_code"], "Cancelled");
    assert_eq!(corp["members_listed"], 50);
    assert_eq!(corp["members_kept"], 49);
    let rows = h.csv(".accounts.csv");
    assert_eq!(rows.len(), 50, "the management account and 49 members");
    assert_eq!(row(&rows, "mgmt")["status"], "ok");
    for i in [1, 2] {
        let r = row(&rows, &format!("web ({})", uin(i)));
        assert_eq!(r["status"], "ok");
        assert_eq!(r["tag:org"], "corp");
    }
    let m49 = row(&rows, "m49");
    assert_eq!(m49["status"], "ok");
    assert_eq!(m49["used_authorized"], "9");
    assert_eq!(m49["uin"], uin(49));
}

/// Issue 18: a listing whose `Total` lies. `repeat_first_page` with a
/// `Total` a billion too large would page forever (each page the same
/// members); `total_extra` alone ends with empty pages short of `Total`.
/// Either way the run ends promptly, the organization is an error with
/// `MemberListInconsistent` and a message saying what the pages did, the
/// configured accounts are still reported, and the exit code is 3.
#[cfg(unix)]
#[test]
fn a_listing_whose_total_lies_ends_and_fails_the_organization() {
    for (faults, pages_at_most, says) in [
        (
            OrgFaults {
                total_extra: 1_000_000_000,
                repeat_first_page: true,
                ..OrgFaults::default()
            },
            2,
            "added no member not listed before",
        ),
        (
            OrgFaults {
                total_extra: 7,
                ..OrgFaults::default()
            },
            4,
            "Total said 10 members, but the pages ended after 3",
        ),
    ] {
        let h = Harness::new(fleet(
            vec![
                mgmt(data(100, 40, 30, 10)),
                member("200000000001", "a1", MGMT_UIN, data(10, 1, 1, 1)),
                member("200000000002", "a2", MGMT_UIN, data(20, 2, 2, 2)),
            ],
            vec![
                org_member(MGMT_UIN, "corp-management", None, &[]),
                org_member("200000000001", "web", None, &[]),
                org_member("200000000002", "api", None, &[]),
            ],
            faults,
        ));
        let cfg = h.config("", &org_config(&h.url(), ""));
        let started = std::time::Instant::now();
        let mut c = h.command(&cfg);
        c.envs(MGMT_ENV);
        let o = crate::edges::output_within(c, std::time::Duration::from_secs(60));
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
        let pages = h
            .snapshot()
            .requests(MGMT_UIN, "DescribeOrganizationMembers");
        assert!(pages <= pages_at_most, "{pages} pages");
        let j = h.json();
        assert_eq!(j["complete"], false);
        let corp = &j["run"]["organizations"][0];
        assert_eq!(corp["status"], "error", "{corp}");
        assert_eq!(corp["error_code"], "MemberListInconsistent", "{corp}");
        let message = corp["error_message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
        assert_eq!(corp["members_listed"], 3);
        let rows = h.csv(".accounts.csv");
        assert_eq!(row(&rows, "mgmt")["status"], "ok");
        assert_eq!(row(&rows, "mgmt")["used_authorized"], "40");
    }
}

/// Sends SIGINT (Ctrl-C) to a child process.
#[cfg(unix)]
fn sigint(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// Issue 18: Ctrl-C while the member list hangs stops `discover` (exit
/// 130, nothing printed: a partial list is not what a run would query) and
/// `run` (exit 130, reports written), each within the deadline although
/// every page would wait 60 seconds.
#[cfg(unix)]
#[test]
fn ctrl_c_during_discovery_exits_130_from_discover_and_run() {
    let h = Harness::new(fleet(
        vec![mgmt(data(100, 40, 30, 10))],
        vec![org_member(MGMT_UIN, "corp-management", None, &[])],
        OrgFaults {
            first_n: 1000,
            first_kind: Some(tcss_sim::FaultKind::Hang),
            ..OrgFaults::default()
        },
    ));
    let cfg = h.config("timeout_secs = 60\n", &org_config(&h.url(), ""));
    let mut discover = bin();
    discover
        .args(["discover", "--format", "json", "--config"])
        .arg(&cfg)
        .envs(MGMT_ENV);
    let mut run = h.command(&cfg);
    run.envs(MGMT_ENV);
    for (i, c) in [discover, run].into_iter().enumerate() {
        let (child, log) = h.spawn(c);
        wait_until(
            std::time::Duration::from_secs(20),
            "the member list to hang",
            || {
                h.snapshot()
                    .requests(MGMT_UIN, "DescribeOrganizationMembers")
                    > i as u64
            },
        );
        sigint(&child);
        let started = std::time::Instant::now();
        let o = child.wait_with_output().unwrap();
        let logs = std::fs::read_to_string(&log).unwrap();
        assert_eq!(o.status.code(), Some(130), "{logs}");
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
        if i == 0 {
            assert!(
                o.stdout.is_empty(),
                "{}",
                String::from_utf8_lossy(&o.stdout)
            );
            assert!(logs.contains("interrupted"), "{logs}");
        }
    }
    let corp = &h.json()["run"]["organizations"][0];
    assert_eq!(corp["error_code"], "Cancelled");
}
