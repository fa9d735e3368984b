//! The summary's chargeback tables (with `--group-by`), after the totals:
//! "Groups by `KEY`", one per key (at most [`MAX_GROUP_TABLES`], the others
//! counted), largest use first, at most [`MAX_GROUP_ROWS`] rows with the
//! untagged row always shown (last, when it is not among the largest), then
//! "… and K more". The XLSX, CSV and JSON have every group.

use std::io::{self, Write};

use super::{cell, code, more, value};
use crate::columns::groups::{SUMMARY as SHOWN, UNTAGGED};
use crate::groups::shown;
use crate::report::Report;

/// Rows shown per key, the untagged row included.
pub const MAX_GROUP_ROWS: usize = 20;
/// Keys with a table; a run grouped by more lists the others by name.
pub const MAX_GROUP_TABLES: usize = 5;
/// Longest group value shown, in characters (the other files keep it whole).
pub const MAX_GROUP_CHARS: usize = 40;

/// Writes one table per key the run is grouped by; nothing when none.
pub(super) fn section<W: Write>(report: &Report, w: &mut W) -> io::Result<()> {
    let groups = &report.groups;
    for (key, rows) in groups.by_key().take(MAX_GROUP_TABLES) {
        writeln!(w, "## Groups by `{}`\n", code(key))?;
        if groups.unknown.iter().any(|k| k == key) {
            writeln!(
                w,
                "No account has the tag `{}`: every account is in the {UNTAGGED} group.\n",
                code(key)
            )?;
        }
        write!(w, "| Group |")?;
        for c in SHOWN {
            write!(w, " {} |", c.label())?;
        }
        writeln!(w, "\n|---|{}", "---:|".repeat(SHOWN.len()))?;
        let list = shown(rows, MAX_GROUP_ROWS);
        for g in &list {
            let name = match &g.group {
                Some(v) => cell(v, MAX_GROUP_CHARS),
                None => format!("_{UNTAGGED}_"),
            };
            write!(w, "| {name} |")?;
            for c in SHOWN {
                write!(w, " {} |", value(&c.cell(g)))?;
            }
            writeln!(w)?;
        }
        more(w, rows.len(), list.len())?;
        writeln!(w)?;
    }
    let rest: Vec<String> = groups
        .keys
        .iter()
        .skip(MAX_GROUP_TABLES)
        .map(|k| format!("`{}`", code(k)))
        .collect();
    if !rest.is_empty() {
        writeln!(
            w,
            "Also grouped by {} (see the XLSX or CSV).\n",
            rest.join(", ")
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::markdown::tests::render;
    use crate::test_support::{grouped_report, sample_report};

    #[test]
    fn a_table_per_key_largest_use_first_with_the_untagged_row() {
        let md = render(&grouped_report());
        let team = md.find("## Groups by `team`").expect("a team table");
        let cc = md
            .find("## Groups by `cost_center`")
            .expect("a cost_center table");
        assert!(md.find("## Totals").unwrap() < team && team < cc, "{md}");
        assert!(
            md.contains(
                "| Group | Accounts | Licenses used | Licenses total | Utilization | Share of licenses used |"
            ),
            "{md}"
        );
        let pay = md
            .find("| payments | 1 | 97 | 100 | 97.0% | 86.6% |")
            .expect(&md);
        let ops = md
            .find("| @ops | 1 | 15 | 10 | 150.0% | 13.4% |")
            .expect(&md);
        let none = md
            .find("| _(untagged)_ | 2 | n/a | n/a | n/a | n/a |")
            .expect(&md);
        assert!(team < pay && pay < ops && ops < none && none < cc, "{md}");
        assert!(md.contains("| =HYPERLINK(\"x\") | 1 | 97 |"), "{md}");
        assert!(!render(&sample_report()).contains("Groups by"));
    }

    /// 30 values: 20 rows shown, the untagged one (least used) among them.
    #[test]
    fn long_tables_are_capped_and_keep_the_untagged_row() {
        let mut r = sample_report();
        let mut rows = Vec::new();
        for i in 0..30 {
            let mut a = r.aggregate.accounts[0].clone();
            a.uin = None;
            a.tags.insert("team".into(), format!("t{i:02}"));
            a.used_authorized = Some(100 + i);
            rows.push(a);
        }
        let mut untagged = r.aggregate.accounts[0].clone();
        untagged.tags.clear();
        untagged.used_authorized = Some(1);
        rows.push(untagged);
        r.groups = crate::groups::group(&rows, &["team".to_string()]);
        let md = render(&r);
        let table = &md[md.find("## Groups by").unwrap()..];
        assert_eq!(
            table.matches("\n| t").count(),
            MAX_GROUP_ROWS - 1,
            "{table}"
        );
        assert!(table.contains("\n| t29 |"), "largest first");
        assert!(!table.contains("\n| t10 |"));
        assert!(table.contains("\n| _(untagged)_ | 1 | 1 |"), "{table}");
        assert!(
            table.contains("… and 11 more, see the XLSX or CSV"),
            "{table}"
        );
    }

    /// Ten keys of hostile, long values, every account its own group: the
    /// tables stay within their share of the bound (5 × 20 rows under
    /// 0.35 KB each, and their titles), the summary under the bound.
    #[test]
    fn hostile_long_values_stay_within_the_bound() {
        use crate::model::RegionScope;
        use crate::report::markdown::tests::long_text_outcomes;
        use crate::report::markdown::MAX_SUMMARY_BYTES;
        use crate::test_support::{account, report_of, run_info};
        let n = 5_000;
        let long = "<|>*_[]!`#~$\\".repeat(20);
        let keys: Vec<String> = (0..10).map(|k| format!("{long}{k}")).collect();
        let accounts: Vec<_> = (0..n)
            .map(|i| {
                let mut a = account(&format!("{i:05}{long}"), &["r1", "r2"]);
                for k in &keys {
                    a.tags.insert(k.clone(), format!("{long}{i}"));
                }
                a
            })
            .collect();
        let outcomes: Vec<_> = (0..n).flat_map(|i| long_text_outcomes(i, &long)).collect();
        let mut r = report_of(&accounts, &outcomes, run_info(RegionScope::Account));
        r.groups = crate::groups::group(&r.aggregate.accounts, &keys);
        let md = render(&r);
        let start = md.find("## Groups by").unwrap();
        let end = start + md[start..].find("## Most utilized").unwrap();
        let section = &md[start..end];
        eprintln!(
            "groups: {} bytes; summary {} bytes",
            section.len(),
            md.len()
        );
        assert!(
            section.len() < 5 * (20 * 350 + 1200),
            "{} bytes",
            section.len()
        );
        assert_eq!(section.matches("\n| _(untagged)_ |").count(), 5);
        assert!(md.len() < MAX_SUMMARY_BYTES);
    }

    #[test]
    fn a_key_no_account_carries_says_so_and_extra_keys_are_named() {
        let mut r = sample_report();
        let keys: Vec<String> = ["nope", "k1", "k2", "k3", "k4", "k5", "k6"]
            .iter()
            .map(|k| k.to_string())
            .collect();
        r.groups = crate::groups::group(&r.aggregate.accounts, &keys);
        let md = render(&r);
        assert!(
            md.contains("No account has the tag `nope`: every account is in the (untagged) group."),
            "{md}"
        );
        assert_eq!(md.matches("## Groups by").count(), MAX_GROUP_TABLES);
        assert!(
            md.contains("Also grouped by `k5`, `k6` (see the XLSX or CSV)."),
            "{md}"
        );
    }
}
