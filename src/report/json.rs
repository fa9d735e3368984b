//! The machine-readable snapshot `<stem>.json`:
//!
//! ```json
//! {"schema_version": 1, "generated_at": "...", "complete": true,
//!  "run": {...}, "accounts": [...], "regions": [...],
//!  "account_queries": [...], "totals": {...}, "groups": [...],
//!  "breaches": [...]}
//! ```
//!
//! `groups` has one object per group of each `--group-by` key (the groups
//! CSV's columns as keys; the untagged group's `group` is `null`), `[]`
//! when the run is not grouped.
//!
//! Each `accounts` entry has exactly the accounts CSV column names as keys
//! plus `tags` (an object) instead of the `tag:<key>` columns; `regions`
//! entries have the regions CSV column names; `account_queries` has one
//! entry per account-wide query (`account, uin, action, region, status,
//! error_code, error_message, request_id, attempts, latency_ms`). Unknown values are `null`, the
//! UIN is a string, ratios are numbers 0..1. Streamed straight to the writer
//! (no intermediate document), so 10,000 accounts cost no extra memory.

use std::io;

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

use super::breaches::{breach_cells, BREACH_COLUMNS};
use super::Report;
use crate::aggregate::{AccountRow, RegionRow};
use crate::columns::accounts::ACCOUNTS;
use crate::columns::groups::GROUPS;
use crate::columns::regions::{ACCOUNT_QUERIES, REGIONS};
use crate::columns::run::{ORGANIZATIONS, RUN};
use crate::columns::totals::TOTALS;
use crate::columns::{rfc3339, Cell, Column};

mod changes;

pub use crate::compare::snapshot::SCHEMA_VERSION;

/// Writes the snapshot as one line of JSON followed by a newline.
pub fn write<W: io::Write>(report: &Report, mut out: W) -> serde_json::Result<()> {
    serde_json::to_writer(&mut out, &Snapshot(report))?;
    out.write_all(b"\n").map_err(serde_json::Error::io)
}

impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Empty => s.serialize_none(),
            Cell::Text(t) => s.serialize_str(t),
            Cell::Int(n) => s.serialize_i64(*n),
            // serde_json writes non-finite numbers as null.
            Cell::Ratio(x) | Cell::Num(x) => s.serialize_f64(*x),
            Cell::Bool(b) => s.serialize_bool(*b),
            Cell::Time(t) => s.serialize_str(&rfc3339(t)),
        }
    }
}

struct Snapshot<'a>(&'a Report);

impl Serialize for Snapshot<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut m = s.serialize_map(Some(9))?;
        m.serialize_entry("schema_version", &SCHEMA_VERSION)?;
        m.serialize_entry("generated_at", &rfc3339(&r.aggregate.generated_at))?;
        m.serialize_entry("complete", &r.aggregate.run.complete)?;
        m.serialize_entry("run", &Run(r))?;
        m.serialize_entry("accounts", &Accounts(&r.aggregate.accounts, r))?;
        m.serialize_entry("regions", &Regions(&r.aggregate.regions, &REGIONS))?;
        m.serialize_entry(
            "account_queries",
            &Regions(&r.aggregate.account_queries, &ACCOUNT_QUERIES),
        )?;
        let totals = &r.aggregate.totals;
        let totals = TOTALS.iter().map(|c| (c.key(), c.cell(totals))).collect();
        m.serialize_entry("totals", &Fields(totals))?;
        m.serialize_entry("groups", &Groups(&r.groups.rows))?;
        changes::top_entries(r, &mut m)?;
        m.serialize_entry("breaches", &Breaches(&r.breaches))?;
        m.end()
    }
}

/// The `run` object: its fields, its scope (`history_key`, `selection`),
/// what was collected (`collect`), then `organizations`.
struct Run<'a>(&'a Report);

impl Serialize for Run<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let run = &self.0.aggregate.run;
        let mut m = s.serialize_map(Some(RUN.len() + 5))?;
        for c in RUN {
            m.serialize_entry(c.key, &c.cell(run))?;
        }
        m.serialize_entry("history_key", &run.scope.history_key)?;
        m.serialize_entry("selection", &run.scope.selection)?;
        let collect: Vec<&str> = run.collect.iter().map(|c| c.collects()).collect();
        m.serialize_entry("collect", &collect)?;
        let orgs: Vec<Fields<'_>> = run
            .organizations
            .iter()
            .map(|o| Fields(ORGANIZATIONS.iter().map(|c| (c.key, c.cell(o))).collect()))
            .collect();
        m.serialize_entry("organizations", &orgs)?;
        let notifications: Vec<Notification<'_>> = self
            .0
            .aggregate
            .run
            .notifications
            .iter()
            .map(Notification)
            .collect();
        m.serialize_entry("notifications", &notifications)?;
        m.end()
    }
}

/// One `run.notifications` entry: kind, host (never the URL's path or
/// query), when, status, attempts, error.
struct Notification<'a>(&'a crate::model::NotificationOutcome);

impl Serialize for Notification<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.0;
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("kind", &n.kind)?;
        m.serialize_entry("host", &n.host)?;
        m.serialize_entry("when", &n.when)?;
        m.serialize_entry("status", n.status.as_str())?;
        m.serialize_entry("attempts", &n.attempts)?;
        m.serialize_entry("error", &n.error)?;
        m.end()
    }
}

/// An object of `(key, value)` fields, in order.
struct Fields<'a>(Vec<(&'static str, Cell<'a>)>);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (key, cell) in &self.0 {
            m.serialize_entry(key, cell)?;
        }
        m.end()
    }
}

/// The accounts, and the report for their `change` (`--compare`).
struct Accounts<'a>(&'a [AccountRow], &'a Report);

impl Serialize for Accounts<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (i, row) in self.0.iter().enumerate() {
            seq.serialize_element(&Account(row, changes::account_change(self.1, i)))?;
        }
        seq.end()
    }
}

/// An account, and its `change` when the run compares (`Some`).
struct Account<'a>(&'a AccountRow, Option<Option<changes::ChangeObject<'a>>>);

impl Serialize for Account<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(ACCOUNTS.len() + 1))?;
        for c in ACCOUNTS {
            m.serialize_entry(c.key, &c.cell(self.0))?;
        }
        m.serialize_entry("tags", &self.0.tags)?;
        if let Some(change) = &self.1 {
            m.serialize_entry("change", change)?;
        }
        m.end()
    }
}

/// `breaches`: one object per breached threshold ([`BREACH_COLUMNS`]), `[]` when none.
struct Breaches<'a>(&'a [crate::thresholds::Breach]);

impl Serialize for Breaches<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for b in self.0 {
            let fields = BREACH_COLUMNS.into_iter().zip(breach_cells(b)).collect();
            seq.serialize_element(&Fields(fields))?;
        }
        seq.end()
    }
}

/// `groups`: one object per group ([`GROUPS`]' keys), `[]` when none.
struct Groups<'a>(&'a [crate::groups::GroupRow]);

impl Serialize for Groups<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for g in self.0 {
            let fields = GROUPS.iter().map(|c| (c.key(), c.cell(g))).collect();
            seq.serialize_element(&Fields(fields))?;
        }
        seq.end()
    }
}

/// Query rows, each an object of `columns`: the regions (`regions`) or
/// the account-wide queries (`account_queries`).
struct Regions<'a>(&'a [RegionRow], &'a [&'static Column<RegionRow>]);

impl Serialize for Regions<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for row in self.0 {
            seq.serialize_element(&Region(row, self.1))?;
        }
        seq.end()
    }
}

struct Region<'a>(&'a RegionRow, &'a [&'static Column<RegionRow>]);

impl Serialize for Region<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.1.len()))?;
        for c in self.1 {
            m.serialize_entry(c.key, &c.cell(self.0))?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::csv::write_accounts;
    use crate::test_support::sample_report;
    use serde_json::{json, Value};

    fn snapshot() -> Value {
        let mut out = Vec::new();
        write(&sample_report(), &mut out).unwrap();
        assert!(out.ends_with(b"\n"));
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn top_level_shape() {
        let v = snapshot();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = vec![
            "schema_version",
            "generated_at",
            "complete",
            "run",
            "accounts",
            "regions",
            "account_queries",
            "totals",
            "groups",
            "breaches",
        ];
        expected.sort();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, expected);
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["complete"], true);
        assert_eq!(v["generated_at"], "2026-02-01T00:01:30Z");
        assert_eq!(v["run"]["started_at"], "2026-02-01T00:00:00Z");
        assert_eq!(v["run"]["duration_secs"], 90.0);
        assert_eq!(v["run"]["region_scope"], "account");
        assert_eq!(v["run"]["simulated"], true);
        assert_eq!(v["run"]["subset"], false);
        assert_eq!(v["run"]["selection"], json!([]));
        assert_eq!(v["regions"].as_array().unwrap().len(), 6);
        assert_eq!(v["regions"][5]["status"], "cancelled");
        assert_eq!(v["regions"][0]["latency_ms"], 42);
        assert_eq!(v["groups"], json!([]), "not grouped");
    }

    #[test]
    fn groups_are_objects_of_the_groups_columns_with_null_for_untagged() {
        let mut out = Vec::new();
        write(&crate::test_support::grouped_report(), &mut out).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        let groups = v["groups"].as_array().unwrap();
        assert_eq!(groups.len(), 5);
        let keys: Vec<&str> = groups[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected: Vec<&str> = GROUPS.iter().map(|c| c.key()).collect();
        expected.sort_unstable();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, expected);
        assert_eq!(groups[0]["group_by"], json!("team"));
        assert_eq!(groups[0]["group"], json!("payments"));
        assert_eq!(groups[0]["utilization"], json!(0.97));
        assert_eq!(groups[2]["group"], Value::Null, "untagged");
        assert_eq!(groups[2]["accounts"], json!(2));
        assert_eq!(groups[2]["total_authorized"], Value::Null);
        assert_eq!(
            groups[3]["group"],
            json!("=HYPERLINK(\"x\")"),
            "no CSV guard"
        );
        let sum: i64 = groups[..3]
            .iter()
            .map(|g| g["accounts"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, v["totals"]["accounts"].as_i64().unwrap());
    }

    #[test]
    fn account_keys_equal_the_csv_header() {
        let report = sample_report();
        let mut csv = Vec::new();
        write_accounts(&report, &mut csv).unwrap();
        let mut reader = ::csv::Reader::from_reader(csv.as_slice());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .filter(|h| !h.starts_with("tag:"))
            .map(String::from)
            .chain(["tags".to_string()])
            .collect();
        let v = snapshot();
        for account in v["accounts"].as_array().unwrap() {
            let keys: Vec<String> = account.as_object().unwrap().keys().cloned().collect();
            let (mut a, mut b) = (keys.clone(), header.clone());
            a.sort();
            b.sort();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn values_are_typed() {
        let v = snapshot();
        let pay = &v["accounts"][0];
        assert_eq!(pay["uin"], json!("100012345678901234"));
        assert_eq!(pay["total_authorized"], json!(100));
        assert_eq!(pay["utilization"], json!(0.97));
        assert_eq!(pay["region_mismatch"], json!(false));
        assert_eq!(
            pay["tags"],
            json!({"team": "payments", "cost_center": "=HYPERLINK(\"x\")"})
        );
        assert_eq!(pay["scan_quota_start"], json!("2025-03-01T00:00:00+08:00"));
        // No CSV guard in JSON: text is data here.
        assert_eq!(v["accounts"][1]["account"], json!("-member-a"));
        assert_eq!(v["accounts"][1]["remaining_authorized"], json!(-5));
        let legacy = &v["accounts"][2];
        assert_eq!(legacy["status"], json!("error"));
        assert_eq!(legacy["total_authorized"], Value::Null);
        assert_eq!(legacy["utilization"], Value::Null);
        assert_eq!(legacy["uin"], Value::Null);
        assert_eq!(legacy["error_code"], json!("AuthFailure.SignatureFailure"));

        let t = &v["totals"];
        for key in ["accounts_ok", "accounts_partial", "accounts_error"] {
            assert!(t[key].is_u64(), "{key}");
        }
        assert_eq!(t["accounts"], json!(4));
        assert_eq!(t["total_authorized"], json!(110));
        assert_eq!(t["used_authorized"], json!(112));
        assert_eq!(t["remaining_authorized"], json!(-2));
        assert_eq!(t["utilization"], json!(112.0 / 110.0));
        assert_eq!(t["queries_cancelled"], json!(1));
    }
}
