//! The CSV files: `<stem>.accounts.csv` (one row per account, the
//! contract's columns then one `tag:<key>` column per tag key),
//! `<stem>.regions.csv` (one row per query) and, when the run is grouped
//! (`--group-by`), `<stem>.groups.csv` (one row per group of each key, the
//! untagged group's `group` empty).
//!
//! UTF-8 starting with a byte-order mark (so Excel on Windows reads the
//! file as UTF-8; none with `[defaults] csv_bom = false`: [`writer`]), a
//! header row, `\n` line endings, fields
//! quoted only when needed. Numbers are plain numbers (negative stays `-5`),
//! ratios are decimals with full precision (`0.9803921568627451`), booleans
//! `true`/`false`, unknown values empty. Text cells beginning with `=`, `+`,
//! `-`, `@`, tab or carriage return get a leading `'`
//! ([`crate::sanitize::guard`]) so a spreadsheet opening the file does not
//! run them as formulas. Times are RFC 3339 with their offset. The columns
//! are the tables' (`crate::columns`), in order.

use std::fmt::Write as _;
use std::io;

use ::csv::{ByteRecord, Writer, WriterBuilder};

use super::{Layout, Report};
use crate::columns::accounts::{ACCOUNTS, TAG_COLUMN_PREFIX};
use crate::columns::groups::GROUPS;
use crate::columns::regions::REGIONS;
use crate::columns::{rfc3339, Cell};
use crate::sanitize::guard;

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A CSV writer on `out`, which first gets the byte-order mark when
/// `layout` asks for one (every CSV the tool writes starts so).
pub(crate) fn writer<W: io::Write>(mut out: W, layout: Layout) -> io::Result<Writer<W>> {
    if layout.csv_bom {
        out.write_all(BOM)?;
    }
    Ok(WriterBuilder::new().from_writer(out))
}

/// Appends one cell to `record`, formatted for CSV.
fn push(record: &mut ByteRecord, cell: &Cell<'_>, buf: &mut String) {
    buf.clear();
    match cell {
        Cell::Empty => {}
        Cell::Text(s) => buf.push_str(&guard(s)),
        Cell::Int(n) => {
            let _ = write!(buf, "{n}");
        }
        Cell::Ratio(x) | Cell::Num(x) => {
            if x.is_finite() {
                let _ = write!(buf, "{x}");
            }
        }
        Cell::Bool(b) => buf.push_str(if *b { "true" } else { "false" }),
        Cell::Time(t) => buf.push_str(&rfc3339(t)),
    }
    record.push_field(buf.as_bytes());
}

/// Writes the accounts table (header, then one row per account).
pub fn write_accounts<W: io::Write>(report: &Report, out: W) -> Result<(), ::csv::Error> {
    let mut w = writer(out, report.layout)?;
    let mut record = ByteRecord::new();
    for c in ACCOUNTS {
        record.push_field(c.key.as_bytes());
    }
    for key in &report.aggregate.tag_keys {
        record.push_field(format!("{TAG_COLUMN_PREFIX}{key}").as_bytes());
    }
    w.write_byte_record(&record)?;
    let mut buf = String::new();
    for row in &report.aggregate.accounts {
        record.clear();
        for c in ACCOUNTS {
            push(&mut record, &c.cell(row), &mut buf);
        }
        for key in &report.aggregate.tag_keys {
            push(
                &mut record,
                &Cell::text(row.tags.get(key).map(String::as_str)),
                &mut buf,
            );
        }
        w.write_byte_record(&record)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes the regions table (header, then one row per query).
pub fn write_regions<W: io::Write>(report: &Report, out: W) -> Result<(), ::csv::Error> {
    let mut w = writer(out, report.layout)?;
    w.write_record(REGIONS.iter().map(|c| c.key))?;
    let mut record = ByteRecord::new();
    let mut buf = String::new();
    for row in &report.aggregate.regions {
        record.clear();
        for c in REGIONS {
            push(&mut record, &c.cell(row), &mut buf);
        }
        w.write_byte_record(&record)?;
    }
    w.flush()?;
    Ok(())
}

/// Writes the groups table (header, then each key's groups in turn).
pub fn write_groups<W: io::Write>(report: &Report, out: W) -> Result<(), ::csv::Error> {
    let mut w = writer(out, report.layout)?;
    w.write_record(GROUPS.iter().map(|c| c.key()))?;
    let mut record = ByteRecord::new();
    let mut buf = String::new();
    for g in &report.groups.rows {
        record.clear();
        for c in GROUPS {
            push(&mut record, &c.cell(g), &mut buf);
        }
        w.write_byte_record(&record)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{grouped_report, sample_report};
    use std::collections::HashMap;

    /// The contract's accounts columns, written out independently of the code.
    const CONTRACT_ACCOUNT_COLUMNS: &str =
        "account, uin, status, regions_ok, regions_failed, total_authorized,
        used_authorized, remaining_authorized, utilization, trial_authorized,
        used_trial_authorized, purchased_authorized, used_purchased_authorized,
        scanned_images, not_scanned_images, not_scanned_local_images, total_images,
        scan_coverage, duplicate_images, duplicate_ratio, can_apply_free_authorize,
        scan_quota_capacity, scan_quota_used, scan_quota_utilization,
        scan_quota_status, scan_quota_start, scan_quota_end, scan_quota_days_left,
        region_mismatch, error_code, error_message, request_id, edition,
        edition_sub_state, edition_start, edition_end, edition_days_left, auto_renew,
        days_to_lapse, cores_total, cores_protected, cores_unprotected, cores_purchased,
        cores_trial, cores_flexible, cores_flexible_limit, core_coverage,
        image_licenses_given, auto_authorize, auto_authorize_daily_cap,
        auto_authorize_hosts";

    fn parse(bytes: &[u8]) -> (Vec<String>, Vec<HashMap<String, String>>) {
        let mut r = ::csv::Reader::from_reader(bytes);
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        let rows = r
            .records()
            .map(|rec| {
                let rec = rec.unwrap();
                header
                    .iter()
                    .cloned()
                    .zip(rec.iter().map(String::from))
                    .collect()
            })
            .collect();
        (header, rows)
    }

    #[test]
    fn accounts_header_is_the_contract_then_tags() {
        let report = sample_report();
        let mut out = Vec::new();
        write_accounts(&report, &mut out).unwrap();
        // A byte-order mark by default (there was none before `csv_bom`).
        assert!(out.starts_with(BOM), "a BOM");
        assert!(out[BOM.len()..].starts_with(b"account,uin,"));
        let (header, rows) = parse(&out);
        let mut expected: Vec<String> = CONTRACT_ACCOUNT_COLUMNS
            .split(',')
            .map(|c| c.trim().to_string())
            .collect();
        expected.push("tag:cost_center".into());
        expected.push("tag:team".into());
        assert_eq!(header, expected);
        assert_eq!(rows.len(), report.aggregate.accounts.len());

        let pay = &rows[0];
        assert_eq!(pay["account"], "payments-prod");
        assert_eq!(pay["uin"], "100012345678901234"); // full precision, as text
        assert_eq!(pay["status"], "ok");
        assert_eq!(pay["regions_ok"], "2");
        assert_eq!(pay["total_authorized"], "100");
        assert_eq!(pay["utilization"], "0.97");
        assert_eq!(pay["scan_coverage"], "0.75");
        assert_eq!(pay["can_apply_free_authorize"], "false");
        assert_eq!(pay["region_mismatch"], "false");
        assert_eq!(pay["scan_quota_end"], "2026-03-01T00:00:00+08:00");
        assert_eq!(pay["scan_quota_days_left"], "27");
        assert_eq!(pay["error_code"], "");
        assert_eq!(pay["request_id"], "req-ok-0-ap-guangzhou");
        assert_eq!(pay["tag:team"], "payments");
        assert_eq!(pay["tag:cost_center"], "'=HYPERLINK(\"x\")");

        // Formula guard on text, never on numbers.
        let member = &rows[1];
        assert_eq!(member["account"], "'-member-a");
        assert_eq!(member["tag:team"], "'@ops");
        assert_eq!(member["tag:cost_center"], "");
        assert_eq!(member["remaining_authorized"], "-5");
        assert_eq!(member["utilization"], "1.5");
        assert_eq!(member["scan_quota_days_left"], "8");

        // Error account: numbers empty, never zero; message kept whole.
        let legacy = &rows[2];
        assert_eq!(legacy["status"], "error");
        assert_eq!(legacy["total_authorized"], "");
        assert_eq!(legacy["utilization"], "");
        assert_eq!(legacy["error_code"], "AuthFailure.SignatureFailure");
        assert_eq!(legacy["error_message"], "bad | signature\nsecond line");
        assert_eq!(rows[3]["error_code"], "Cancelled");
    }

    /// The contract's groups columns, written out independently of the code.
    const CONTRACT_GROUP_COLUMNS: &str = "group_by, group, accounts, accounts_ok,
        accounts_partial, accounts_error, total_authorized, used_authorized,
        remaining_authorized, utilization, share_of_used, licenses_short,
        licenses_idle, scanned_images, not_scanned_images, total_images,
        scan_coverage, duplicate_images, cores_total, cores_unprotected,
        editions_lapsing_30d";

    #[test]
    fn groups_are_the_contracts_columns_with_the_untagged_group_empty() {
        let report = grouped_report();
        let mut out = Vec::new();
        write_groups(&report, &mut out).unwrap();
        let (header, rows) = parse(&out);
        let expected: Vec<String> = CONTRACT_GROUP_COLUMNS
            .split(',')
            .map(|c| c.trim().to_string())
            .collect();
        assert_eq!(header, expected);
        let got: Vec<(&str, &str, &str)> = rows
            .iter()
            .map(|r| {
                (
                    r["group_by"].as_str(),
                    r["group"].as_str(),
                    r["accounts"].as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("team", "payments", "1"),
                ("team", "'@ops", "1"),
                ("team", "", "2"),
                ("cost_center", "'=HYPERLINK(\"x\")", "1"),
                ("cost_center", "", "3"),
            ],
            "largest use first, formulas guarded, the untagged group empty"
        );
        let untagged = &rows[2];
        assert_eq!(untagged["accounts_error"], "2");
        assert_eq!(untagged["total_authorized"], "", "no account knows it");
        assert_eq!(untagged["share_of_used"], "");
        assert_eq!(rows[0]["utilization"], "0.97");
        assert_eq!(rows[4]["share_of_used"], (15.0f64 / 112.0).to_string());
    }

    #[test]
    fn no_byte_order_mark_with_csv_bom_false() {
        let mut report = sample_report();
        report.layout.csv_bom = false;
        let mut out = Vec::new();
        write_accounts(&report, &mut out).unwrap();
        assert!(out.starts_with(b"account,uin,"), "no BOM");
        let mut out = Vec::new();
        write_regions(&report, &mut out).unwrap();
        assert!(out.starts_with(b"account,uin,"), "no BOM");
        report.layout.csv_bom = true;
        let mut out = Vec::new();
        write_regions(&report, &mut out).unwrap();
        assert!(out.starts_with(BOM), "a BOM");
    }

    #[test]
    fn regions_rows_parse_back() {
        let report = sample_report();
        let mut out = Vec::new();
        write_regions(&report, &mut out).unwrap();
        let (header, rows) = parse(&out);
        assert_eq!(header, REGIONS.iter().map(|c| c.key).collect::<Vec<_>>());
        assert_eq!(rows.len(), 6);
        assert_eq!(rows[0]["region"], "ap-guangzhou");
        assert_eq!(rows[0]["status"], "ok");
        assert_eq!(rows[0]["latency_ms"], "42");
        assert_eq!(rows[0]["scan_quota_capacity"], "1000");
        assert_eq!(rows[0]["scan_quota_start"], "2025-03-01T00:00:00+08:00");
        assert_eq!(rows[3]["status"], "error");
        assert_eq!(rows[3]["attempts"], "3");
        assert_eq!(rows[3]["total_authorized"], "");
        assert_eq!(rows[5]["status"], "cancelled");
        assert_eq!(rows[5]["error_code"], "Cancelled");
    }
}
