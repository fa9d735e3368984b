//! The editions in the workbook: the Accounts sheet's highlights
//! (`days_to_lapse` of 30 or less red, `edition_days_left` of 30 or less
//! amber, `cores_unprotected` above 0 amber) and the Summary's editions
//! block below the totals (the accounts on each edition, the editions
//! lapsing within 30, 60 and 90 days for want of renewal, the unprotected
//! cores). Reads the report's numbers; computes none.

use rust_xlsxwriter::utility::column_number_to_name;
use rust_xlsxwriter::{ConditionalFormatFormula, Format, Worksheet, XlsxError};

use super::{column_index, write_cell, Styles};
use crate::aggregate::AccountRow;
use crate::columns::license::{
    edition_word, CORES_UNPROTECTED, DAYS_TO_LAPSE, EDITION_DAYS_LEFT, LAPSING_DAYS,
};
use crate::columns::{Cell, Column};
use crate::report::Report;

/// The lapsing windows the Summary counts, in days.
pub const WINDOWS: [i64; 3] = [30, 60, 90];

/// Colours the Accounts sheet's rows 1 to `last` where an edition lapses
/// soon or cores are unprotected. Formula rules, so blank cells stay plain.
pub(super) fn highlights(ws: &mut Worksheet, last: u32, styles: &Styles) -> Result<(), XlsxError> {
    let days = LAPSING_DAYS;
    let rules: [(&Column<AccountRow>, String, &Format); 3] = [
        (&DAYS_TO_LAPSE, format!("<={days}"), &styles.red),
        (&EDITION_DAYS_LEFT, format!("<={days}"), &styles.amber),
        (&CORES_UNPROTECTED, ">0".to_string(), &styles.amber),
    ];
    for (column, test, format) in rules {
        let col = column_index(column)?;
        let cell = format!("{}2", column_number_to_name(col));
        ws.add_conditional_format(
            1,
            col,
            last,
            col,
            &ConditionalFormatFormula::new()
                .set_rule(format!("=AND(ISNUMBER({cell}),{cell}{test})").as_str())
                .set_format(format),
        )?;
    }
    Ok(())
}

/// Writes the editions block from `row` (columns A:B) when some account's
/// edition is known; returns the next free row.
pub(super) fn section(
    ws: &mut Worksheet,
    row: u32,
    report: &Report,
    styles: &Styles,
) -> Result<u32, XlsxError> {
    let agg = &report.aggregate;
    let by_edition = agg.accounts_by_edition();
    if by_edition.is_empty() {
        return Ok(row);
    }
    ws.write_string_with_format(row, 0, "Editions", &styles.header)?;
    ws.write_string_with_format(row, 1, "Accounts", &styles.header)?;
    let editions = by_edition
        .iter()
        .map(|(state, n)| (format!("Edition {}", edition_word(*state)), Cell::count(*n)));
    let lapsing = WINDOWS.map(|days| {
        let label = format!("Lapsing within {days} days (no auto-renewal)");
        (label, Cell::count(agg.lapsing_editions(days).len()))
    });
    let unprotected = agg.unprotected_cores();
    let cores = [
        (
            "Accounts with unprotected cores".to_string(),
            Cell::count(unprotected.len()),
        ),
        (
            "Unprotected cores".to_string(),
            agg.totals.of(&CORES_UNPROTECTED),
        ),
    ];
    let mut next = row + 1;
    for (label, cell) in editions.chain(lapsing).chain(cores) {
        ws.write_string(next, 0, label)?;
        write_cell(ws, next, 1, &cell, styles)?;
        next += 1;
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use calamine::{open_workbook, Data, Reader, Xlsx};

    use super::*;
    use crate::columns::accounts::UTILIZATION;
    use crate::report::xlsx::save;
    use crate::test_support::{full_license, sample_report};

    /// The sheet XML of the Accounts sheet of `report`, and its Summary.
    fn written(report: &Report) -> (String, calamine::Range<Data>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        save(report, &path).unwrap();
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet2.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        (xml, wb.worksheet_range("Summary").unwrap())
    }

    /// The `dxfId` and formula of the formula rule on `column`'s cells.
    fn rule(xml: &str, column: &Column<AccountRow>) -> (String, String) {
        let letter = column_number_to_name(column_index(column).unwrap());
        let at = xml
            .find(&format!("<conditionalFormatting sqref=\"{letter}2:"))
            .unwrap_or_else(|| panic!("no rule on {}", column.key));
        let block = &xml[at..at + xml[at..].find("</conditionalFormatting>").unwrap()];
        let dxf = block.split("dxfId=\"").nth(1).unwrap();
        let formula = block.split("<formula>").nth(1).unwrap();
        (
            dxf[..dxf.find('"').unwrap()].to_string(),
            formula[..formula.find("</formula>").unwrap()].to_string(),
        )
    }

    /// The dxf of the utilization's red (first) and amber (second) rules.
    fn red_and_amber(xml: &str) -> (String, String) {
        let letter = column_number_to_name(column_index(&UTILIZATION).unwrap());
        let at = xml
            .find(&format!("<conditionalFormatting sqref=\"{letter}2:"))
            .unwrap();
        let block = &xml[at..at + xml[at..].find("</conditionalFormatting>").unwrap()];
        let ids: Vec<&str> = block
            .split("dxfId=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .collect();
        (ids[0].to_string(), ids[1].to_string())
    }

    #[test]
    fn lapsing_editions_red_ending_editions_and_unprotected_cores_amber() {
        let mut report = sample_report();
        report.aggregate.accounts[0].license = full_license();
        let (xml, _) = written(&report);
        let (red, amber) = red_and_amber(&xml);
        let at = |c: &Column<AccountRow>| {
            format!("{}2", column_number_to_name(column_index(c).unwrap()))
        };
        let (d, lapse) = (at(&DAYS_TO_LAPSE), at(&EDITION_DAYS_LEFT));
        let cores = at(&CORES_UNPROTECTED);
        assert_eq!(
            rule(&xml, &DAYS_TO_LAPSE),
            (red.clone(), format!("AND(ISNUMBER({d}),{d}&lt;=30)"))
        );
        assert_eq!(
            rule(&xml, &EDITION_DAYS_LEFT),
            (
                amber.clone(),
                format!("AND(ISNUMBER({lapse}),{lapse}&lt;=30)")
            )
        );
        assert_eq!(
            rule(&xml, &CORES_UNPROTECTED),
            (amber, format!("AND(ISNUMBER({cores}),{cores}&gt;0)"))
        );
    }

    #[test]
    fn the_summary_counts_editions_lapsing_and_unprotected_cores() {
        let mut report = sample_report();
        let (_, summary) = written(&report);
        let labels: Vec<String> = summary.rows().map(|r| r[0].to_string()).collect();
        assert!(
            !labels.contains(&"Editions".to_string()),
            "no edition known: no block"
        );
        report.aggregate.accounts[0].license = full_license();
        let mut trial = full_license();
        trial.edition = Some(tcapi::tcss::EditionState::Trial);
        trial.days_to_lapse = Some(45);
        trial.cores_unprotected = Some(0);
        report.aggregate.accounts[1].license = trial;
        let (_, summary) = written(&report);
        let value = |label: &str| {
            summary
                .rows()
                .find(|r| r[0] == Data::String(label.into()))
                .map(|r| r[1].clone())
                .unwrap_or_else(|| panic!("no {label}"))
        };
        assert_eq!(value("Editions"), Data::String("Accounts".into()));
        assert_eq!(value("Edition trial"), Data::Float(1.0));
        assert_eq!(value("Edition pro"), Data::Float(1.0));
        assert_eq!(
            value("Lapsing within 30 days (no auto-renewal)"),
            Data::Float(1.0)
        );
        assert_eq!(
            value("Lapsing within 60 days (no auto-renewal)"),
            Data::Float(2.0)
        );
        assert_eq!(
            value("Lapsing within 90 days (no auto-renewal)"),
            Data::Float(2.0)
        );
        assert_eq!(value("Accounts with unprotected cores"), Data::Float(1.0));
        let rows: Vec<String> = summary.rows().map(|r| r[0].to_string()).collect();
        let trial_at = rows.iter().position(|r| r == "Edition trial").unwrap();
        let pro_at = rows.iter().position(|r| r == "Edition pro").unwrap();
        assert!(trial_at < pro_at, "in the states' order");
    }
}
