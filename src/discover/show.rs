//! `tcss-report discover`: what a run would query, as a table, CSV, JSON or
//! `[[accounts]]` TOML a user can paste to freeze the list. Formatting only.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::merge::Fate;
use super::OrgSummary;
use crate::config::{Account, Config, CredentialSpec};

/// The output formats of `discover`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A table for people.
    Table,
    /// `[[accounts]]` entries for the discovered members.
    Toml,
    /// One row per account or excluded member.
    Csv,
    /// Accounts, excluded members and organizations.
    Json,
}

/// One line of the listing.
struct Row<'a> {
    account: String,
    uin: Option<&'a str>,
    reached: String,
    organization: &'a str,
    department: Option<&'a str>,
    status: &'static str,
    note: String,
    tags: &'a BTreeMap<String, String>,
}

fn reached(a: &Account, accounts: &[Account]) -> String {
    match &a.credentials {
        CredentialSpec::Role { arn, source } => {
            format!("role {} via {}", arn.role_name, accounts[*source].name)
        }
        CredentialSpec::Static(source) => source.describe(),
        CredentialSpec::Inline { .. } => "keys in the config".into(),
    }
}

fn rows<'a>(config: &'a Config, configured: usize, orgs: &'a [OrgSummary]) -> Vec<Row<'a>> {
    let accounts = &config.accounts;
    let by_name: BTreeMap<&str, &Account> = accounts.iter().map(|a| (a.name.as_str(), a)).collect();
    let mut out: Vec<Row<'a>> = accounts[..configured]
        .iter()
        .map(|a| Row {
            account: a.name.clone(),
            uin: a.uin.as_deref(),
            reached: reached(a, accounts),
            organization: "",
            department: None,
            status: "configured",
            note: String::new(),
            tags: &a.tags,
        })
        .collect();
    for o in orgs {
        for (m, fate) in &o.fates {
            let (status, account, note, tags, reach) = match fate {
                Fate::Kept(name) => {
                    let a = by_name[name.as_str()];
                    (
                        "kept",
                        name.clone(),
                        String::new(),
                        &a.tags,
                        reached(a, accounts),
                    )
                }
                Fate::Configured(name) => (
                    "configured",
                    name.clone(),
                    format!("listed as {:?}; queried as the configured account", m.name),
                    &m.tags,
                    String::new(),
                ),
                Fate::Excluded(reason) => (
                    "excluded",
                    m.name.clone(),
                    reason.clone(),
                    &m.tags,
                    String::new(),
                ),
            };
            if status == "configured" {
                continue; // already listed above, once
            }
            out.push(Row {
                account,
                uin: Some(&m.uin),
                reached: reach,
                organization: &o.name,
                department: m.node.as_deref(),
                status,
                note,
                tags,
            });
        }
    }
    out
}

fn tag_text(tags: &BTreeMap<String, String>) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";")
}

/// Renders the listing in `style`.
pub fn render(style: Style, config: &Config, configured: usize, orgs: &[OrgSummary]) -> String {
    let rows = rows(config, configured, orgs);
    match style {
        Style::Table => table(&rows, orgs),
        Style::Csv => csv_text(&rows),
        Style::Json => json_text(&rows, orgs),
        Style::Toml => toml_text(config, configured),
    }
}

fn table(rows: &[Row<'_>], orgs: &[OrgSummary]) -> String {
    let mut out = String::new();
    let header = [
        "account",
        "uin",
        "status",
        "reached by",
        "organization",
        "department",
        "note",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.account.clone(),
                r.uin.unwrap_or("").to_string(),
                r.status.to_string(),
                r.reached.clone(),
                r.organization.to_string(),
                r.department.unwrap_or("").to_string(),
                r.note.clone(),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..7)
        .map(|i| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |c: &[&str]| {
        let parts: Vec<String> = c
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect();
        parts.join("  ").trim_end().to_string() + "\n"
    };
    out.push_str(&line(&header));
    for c in &cells {
        out.push_str(&line(&c.iter().map(String::as_str).collect::<Vec<_>>()));
    }
    for o in orgs {
        let r = o.run();
        out.push_str(&format!(
            "\norganization {}: {}, members_total {}, listed {}, kept {}{}\n",
            r.name,
            r.status(),
            r.members_total.map_or("n/a".into(), |n| n.to_string()),
            r.members_listed,
            r.members_kept,
            match (&r.error_code, &r.error_message) {
                (Some(c), Some(m)) => format!(": {c}: {m}"),
                _ => String::new(),
            }
        ));
    }
    out
}

fn csv_text(rows: &[Row<'_>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "account",
        "uin",
        "status",
        "reached_by",
        "organization",
        "department",
        "note",
        "tags",
    ]);
    for r in rows {
        let _ = w.write_record([
            crate::sanitize::guard(&r.account).as_ref(),
            r.uin.unwrap_or(""),
            r.status,
            &r.reached,
            crate::sanitize::guard(r.organization).as_ref(),
            crate::sanitize::guard(r.department.unwrap_or("")).as_ref(),
            crate::sanitize::guard(&r.note).as_ref(),
            crate::sanitize::guard(&tag_text(r.tags)).as_ref(),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn json_text(rows: &[Row<'_>], orgs: &[OrgSummary]) -> String {
    let row = |r: &Row<'_>| {
        json!({"account": r.account, "uin": r.uin, "status": r.status, "reached_by": r.reached,
               "organization": r.organization, "department": r.department, "note": r.note, "tags": r.tags})
    };
    let orgs: Vec<Value> = orgs
        .iter()
        .map(|o| {
            let r = o.run();
            json!({"name": r.name, "status": r.status(), "management_account": r.management_account,
                   "members_total": r.members_total, "members_listed": r.members_listed,
                   "members_kept": r.members_kept, "error_code": r.error_code, "error_message": r.error_message})
        })
        .collect();
    let v = json!({
        "accounts": rows.iter().filter(|r| r.status != "excluded").map(row).collect::<Vec<_>>(),
        "excluded": rows.iter().filter(|r| r.status == "excluded").map(row).collect::<Vec<_>>(),
        "organizations": orgs,
    });
    format!("{v}\n")
}

/// `[[accounts]]` entries for the discovered accounts, to paste into the
/// config and freeze the list (the `[[organizations]]` table then goes).
fn toml_text(config: &Config, configured: usize) -> String {
    let q = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut out =
        String::from("# Discovered by `tcss-report discover`: paste to freeze the member list.\n");
    for a in &config.accounts[configured..] {
        out.push_str("\n[[accounts]]\n");
        out.push_str(&format!("name = {}\n", q(&a.name)));
        if let CredentialSpec::Role { arn, source } = &a.credentials {
            out.push_str(&format!("role_arn = {}\n", q(&arn.to_string())));
            out.push_str(&format!(
                "source_account = {}\n",
                q(&config.accounts[*source].name)
            ));
        }
        let regions: Vec<String> = a.regions.iter().map(|r| q(r)).collect();
        out.push_str(&format!("regions = [{}]\n", regions.join(", ")));
        let tags: Vec<String> = a
            .tags
            .iter()
            .map(|(k, v)| format!("{} = {}", q(k), q(v)))
            .collect();
        out.push_str(&format!("tags = {{ {} }}\n", tags.join(", ")));
    }
    out
}
