//! The comparison in the JSON snapshot. With `--compare` (and only then):
//!
//! - `comparison`: `{"previous_run", "previous_generated_at",
//!   "accounts_matched", "accounts_new", "accounts_vanished", "totals",
//!   "note"}`, where `totals` has, for every count key of `totals`,
//!   `{"previous", "current", "change"}` (`null` where unknown: a total the
//!   earlier run did not have); with nothing to compare with, every key but
//!   `note` is `null` and `note` says why;
//! - each `accounts` entry's `change`: the compared columns' differences
//!   (current minus previous, `null` where either side is empty; the
//!   difference of a ratio a ratio), or `null` for a new account (and for
//!   every account when there was nothing to compare with);
//! - `vanished_accounts`: the earlier run's accounts that are gone, each
//!   with `account`, `uin`, `status` and its previous values of the metrics.
//!
//! Without `--compare` none of these keys is written, so a consumer of the
//! plain snapshot sees no change.

use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

use crate::columns::accounts::compared;
use crate::columns::{rfc3339, Cell};
use crate::compare::Comparison;
use crate::compare::{Change, PreviousAccount, TotalChange};
use crate::report::Report;

/// Writes `comparison` and `vanished_accounts` into the top-level object
/// (nothing without `--compare`).
pub(super) fn top_entries<M: SerializeMap>(report: &Report, m: &mut M) -> Result<(), M::Error> {
    match &report.comparison {
        Comparison::NotAsked => Ok(()),
        Comparison::NoPrevious(note) => {
            m.serialize_entry(
                "comparison",
                &Header {
                    previous_run: None,
                    previous_generated_at: None,
                    accounts_matched: None,
                    accounts_new: None,
                    accounts_vanished: None,
                    totals: None,
                    note: Some(note),
                },
            )?;
            m.serialize_entry("vanished_accounts", &[(); 0])
        }
        Comparison::With(c) => {
            let new = c.new_count();
            m.serialize_entry(
                "comparison",
                &Header {
                    previous_run: Some(&c.previous_run),
                    previous_generated_at: Some(rfc3339(&c.previous_generated_at)),
                    accounts_matched: Some(c.changes.len() - new),
                    accounts_new: Some(new),
                    accounts_vanished: Some(c.vanished.len()),
                    totals: Some(TotalsObject(&c.totals)),
                    note: None,
                },
            )?;
            m.serialize_entry("vanished_accounts", &Vanished(&c.vanished))
        }
    }
}

/// The `change` of the account at `index`: `None` without `--compare` (no
/// key), `Some(None)` for `null`.
pub(super) fn account_change(report: &Report, index: usize) -> Option<Option<ChangeObject<'_>>> {
    match &report.comparison {
        Comparison::NotAsked => None,
        Comparison::NoPrevious(_) => Some(None),
        Comparison::With(c) => Some(
            c.changes
                .get(index)
                .and_then(Option::as_ref)
                .map(ChangeObject),
        ),
    }
}

#[derive(Serialize)]
struct Header<'a> {
    previous_run: Option<&'a str>,
    previous_generated_at: Option<String>,
    accounts_matched: Option<usize>,
    accounts_new: Option<usize>,
    accounts_vanished: Option<usize>,
    totals: Option<TotalsObject<'a>>,
    note: Option<&'a str>,
}

/// `comparison.totals`: each count of the totals, then and now.
struct TotalsObject<'a>(&'a [TotalChange]);

impl Serialize for TotalsObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for t in self.0 {
            m.serialize_entry(t.column.key(), &Sides(t))?;
        }
        m.end()
    }
}

/// `{"previous", "current", "change"}` of one total.
struct Sides<'a>(&'a TotalChange);

impl Serialize for Sides<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("previous", &self.0.previous)?;
        m.serialize_entry("current", &self.0.current)?;
        m.serialize_entry("change", &self.0.change)?;
        m.end()
    }
}

/// One account's `change` object.
pub(super) struct ChangeObject<'a>(&'a Change);

impl Serialize for ChangeObject<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(compared().len()))?;
        for &c in compared() {
            m.serialize_entry(c.key, &self.0.values.get(c))?;
        }
        m.end()
    }
}

struct Vanished<'a>(&'a [PreviousAccount]);

impl Serialize for Vanished<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for p in self.0 {
            seq.serialize_element(&VanishedAccount(p))?;
        }
        seq.end()
    }
}

struct VanishedAccount<'a>(&'a PreviousAccount);

impl Serialize for VanishedAccount<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = self.0;
        let mut m = s.serialize_map(Some(3 + compared().len()))?;
        m.serialize_entry("account", &p.account)?;
        m.serialize_entry("uin", &Cell::text(p.uin.as_deref()))?;
        m.serialize_entry("status", &p.status)?;
        for &c in compared() {
            m.serialize_entry(c.key, &p.values.get(c))?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::compare::Comparison;
    use crate::report::json::write;
    use crate::test_support::compared_report;
    use crate::test_support::sample_report;

    fn snapshot(report: &crate::report::Report) -> Value {
        let mut out = Vec::new();
        write(report, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn without_compare_no_key_is_written() {
        let v = snapshot(&sample_report());
        assert!(v.get("comparison").is_none());
        assert!(v.get("vanished_accounts").is_none());
        for a in v["accounts"].as_array().unwrap() {
            assert!(a.get("change").is_none(), "{a}");
        }
    }

    #[test]
    fn changes_vanished_and_the_header() {
        let v = snapshot(&compared_report());
        let mut header = v["comparison"].clone();
        let totals = header
            .as_object_mut()
            .unwrap()
            .remove("totals")
            .expect("comparison.totals");
        assert_eq!(
            header,
            json!({
                "previous_run": "tcss-authorizations-20260101T000000Z",
                "previous_generated_at": "2026-01-01T00:01:00Z",
                "accounts_matched": 3,
                "accounts_new": 1,
                "accounts_vanished": 1,
                "note": null
            })
        );
        // Every count of `totals`, no ratio; then, now and the change.
        let keys: Vec<&str> = totals
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let counts: Vec<&str> = v["totals"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, x)| x.is_i64() || x.is_u64() || x.is_null())
            .map(|(k, _)| k.as_str())
            .filter(|k| {
                !k.ends_with("utilization") && !k.ends_with("coverage") && !k.ends_with("ratio")
            })
            .collect();
        assert_eq!(keys, counts);
        assert_eq!(
            totals["total_authorized"],
            json!({"previous": 140, "current": 110, "change": -30})
        );
        assert_eq!(
            totals["used_authorized"],
            json!({"previous": 114, "current": 112, "change": -2})
        );
        assert_eq!(
            totals["licenses_short"],
            json!({"previous": null, "current": 5, "change": null}),
            "a total the earlier run did not have"
        );
        assert_eq!(
            totals["accounts"],
            json!({"previous": 4, "current": 4, "change": 0})
        );
        assert!(totals.get("utilization").is_none(), "a ratio");
        let pay = &v["accounts"][0]["change"];
        let keys: Vec<&str> = pay
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = crate::compare::CHANGE_METRICS.to_vec();
        expected.sort();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, expected);
        assert_eq!(pay["used_authorized"], json!(7));
        assert_eq!(pay["remaining_authorized"], json!(-7));
        assert_eq!(pay["total_authorized"], json!(0));
        assert!((pay["utilization"].as_f64().unwrap() - 0.07).abs() < 1e-12);
        // Matched, but an error now: every difference null.
        let legacy = &v["accounts"][2]["change"];
        assert!(
            legacy.as_object().unwrap().values().all(Value::is_null),
            "{legacy}"
        );
        // New.
        assert_eq!(v["accounts"][3]["change"], Value::Null);
        assert_eq!(
            v["vanished_accounts"],
            json!([{
                "account": "retired", "uin": "200000000009", "status": "ok",
                "total_authorized": 10, "used_authorized": 5, "remaining_authorized": 5,
                "utilization": 0.5, "scanned_images": null, "duplicate_images": null,
                "scan_quota_used": null, "cores_total": null, "cores_protected": null,
                "cores_unprotected": null
            }])
        );
    }

    #[test]
    fn nothing_to_compare_with_is_a_note() {
        let mut report = sample_report();
        report.comparison = Comparison::NoPrevious("no earlier complete run".into());
        let v = snapshot(&report);
        assert_eq!(v["comparison"]["previous_run"], Value::Null);
        assert_eq!(v["comparison"]["totals"], Value::Null);
        assert_eq!(v["comparison"]["note"], json!("no earlier complete run"));
        assert_eq!(v["vanished_accounts"], json!([]));
        for a in v["accounts"].as_array().unwrap() {
            assert_eq!(a.get("change"), Some(&Value::Null), "{a}");
        }
    }
}
