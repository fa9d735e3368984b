//! The workbook read back: sheets, labels, types and number formats, the
//! totals rows, the chart, the print settings, and the labels' table in
//! `docs/reports.md`.

use std::io::Read;

use calamine::{open_workbook, Data, Range, Reader, Xlsx};

use super::*;
use crate::columns::regions::REGIONS;
use crate::test_support::{compared_report, sample_report};

/// The first row of a sheet, as text.
pub(crate) fn header_row(sheet: &Range<Data>) -> Vec<String> {
    sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect()
}

fn written_of(report: &Report) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.xlsx");
    save(report, &path).unwrap();
    (dir, path)
}

fn written() -> (tempfile::TempDir, std::path::PathBuf) {
    written_of(&sample_report())
}

/// Every part of the zip whose name starts with `prefix`, as text.
pub(crate) fn parts(path: &std::path::Path, prefix: &str) -> Vec<(String, String)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        if name.starts_with(prefix) && name.ends_with(".xml") {
            let mut text = String::new();
            f.read_to_string(&mut text).unwrap();
            out.push((name, text));
        }
    }
    out.sort();
    out
}

/// The Excel serial of 2026-03-01 00:00: 2025-10-13 is 45943, 139 days before.
const MARCH_1_2026: f64 = 46_082.0;

#[test]
fn sheets_headers_values_and_types() {
    let (_dir, path) = written();
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(wb.sheet_names(), SHEETS.to_vec());

    let accounts = wb.worksheet_range("Accounts").unwrap();
    let header = header_row(&accounts);
    // Headers are the labels, in words (they were the CSV's names, which
    // the CSV and the JSON keep).
    let mut expected: Vec<String> = ACCOUNTS.iter().map(|c| c.label.to_string()).collect();
    expected.extend(["tag:cost_center".to_string(), "tag:team".to_string()]);
    assert_eq!(header, expected);
    for label in [
        "Account",
        "UIN",
        "Licenses used",
        "Utilization",
        "Scan quota ends (UTC+8)",
    ] {
        assert!(header.iter().any(|h| h == label), "{label} in {header:?}");
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(
        accounts.get((1, col("Account"))),
        Some(&Data::String("payments-prod".into()))
    );
    // The UIN is text, kept whole.
    assert_eq!(
        accounts.get((1, col("UIN"))),
        Some(&Data::String("100012345678901234".into()))
    );
    assert_eq!(
        accounts.get((1, col("Licenses total"))),
        Some(&Data::Float(100.0))
    );
    assert_eq!(
        accounts.get((1, col("Utilization"))),
        Some(&Data::Float(0.97))
    );
    // Yes/No, not TRUE/FALSE.
    assert_eq!(
        accounts.get((1, col("Regions disagree"))),
        Some(&Data::String("No".into()))
    );
    assert_eq!(
        accounts.get((1, col("Can apply for free licenses"))),
        Some(&Data::String("No".into()))
    );
    // A date-time of its Beijing wall-clock time (2026-03-01T00:00:00+08:00).
    match accounts.get((1, col("Scan quota ends (UTC+8)"))) {
        Some(Data::DateTime(t)) => assert_eq!(t.as_f64(), MARCH_1_2026),
        other => panic!("a date-time: {other:?}"),
    }
    assert_eq!(
        accounts.get((1, col("Scan quota days left"))),
        Some(&Data::Float(27.0))
    );
    // No CSV guard in XLSX: text is text.
    assert_eq!(
        accounts.get((2, col("Account"))),
        Some(&Data::String("-member-a".into()))
    );
    assert_eq!(
        accounts.get((2, col("Licenses remaining"))),
        Some(&Data::Float(-5.0))
    );
    assert_eq!(
        accounts.get((2, col("tag:team"))),
        Some(&Data::String("@ops".into()))
    );
    // Unknown values are blank.
    let legacy_total = accounts.get((3, col("Licenses total")));
    assert!(
        matches!(legacy_total, None | Some(Data::Empty)),
        "{legacy_total:?}"
    );

    let regions = wb.worksheet_range("Regions").unwrap();
    assert_eq!(regions.height(), 1 + 6 + 1, "header, rows, totals");
    assert_eq!(regions.get((0, 0)), Some(&Data::String("Account".into())));

    let errors = wb.worksheet_range("Errors").unwrap();
    assert_eq!(errors.height(), 1 + 3);
    // Account, UIN, Action, Region, Status, Error code, ...
    assert_eq!(
        errors.get((1, 2)),
        Some(&Data::String("DescribeImageAuthorizedInfo".into()))
    );
    assert_eq!(
        errors.get((1, 5)),
        Some(&Data::String("AuthFailure.SignatureFailure".into()))
    );
    assert_eq!(errors.get((3, 4)), Some(&Data::String("cancelled".into())));

    let summary = wb.worksheet_range("Summary").unwrap();
    let find = |label: &str| {
        summary
            .rows()
            .find(|r| r.first() == Some(&Data::String(label.into())))
            .map(|r| r[1].clone())
    };
    assert_eq!(find("Licenses total"), Some(Data::Float(110.0)));
    assert_eq!(find("Accounts error"), Some(Data::Float(2.0)));
    assert_eq!(find("Complete"), Some(Data::String("Yes".into())));
    assert!(
        matches!(find("Generated (UTC)"), Some(Data::DateTime(_))),
        "{:?}",
        find("Generated (UTC)")
    );
    // The top accounts' table beside the totals, below the run's facts.
    assert_eq!(summary.get((8, 3)), Some(&Data::String("-member-a".into())));

    let run = wb.worksheet_range("Run").unwrap();
    let run_rows: Vec<String> = run.rows().map(|r| r[0].to_string()).collect();
    for label in [
        "Started (UTC)",
        "Finished (UTC)",
        "Duration (seconds)",
        "Config SHA-256",
        "Queries failed",
    ] {
        assert!(run_rows.iter().any(|r| r == label), "{label}");
    }
    let value = |label: &str| {
        run.rows()
            .find(|r| r[0] == Data::String(label.into()))
            .map(|r| r[1].clone())
    };
    assert_eq!(value("Complete"), Some(Data::String("Yes".into())));
    assert!(matches!(value("Started (UTC)"), Some(Data::DateTime(_))));
}

/// Each table column carries its kind's number format: counts `#,##0`,
/// ratios `0.0%`, days whole, times date-times, UINs text.
#[test]
fn every_column_has_its_kinds_number_format() {
    // The first account with every license column known (issue 21's
    // columns are empty in the sample report).
    let mut report = sample_report();
    report.aggregate.accounts[0].license = crate::test_support::full_license();
    let (_dir, path) = written_of(&report);
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let styles = wb.worksheet_style("Accounts").unwrap();
    let format_at = |col: usize| {
        styles
            .get((1, col as u32))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
    };
    let expected = |kind: Kind| match kind {
        Kind::Count => Some("#,##0"),
        Kind::Ratio => Some("0.0%"),
        Kind::Days => Some("0"),
        Kind::Time => Some("yyyy-mm-dd hh:mm:ss"),
        Kind::Uin => Some("@"),
        _ => None,
    };
    let mut seen = Vec::new();
    for (i, c) in ACCOUNTS.iter().enumerate() {
        if let Some(code) = expected(c.kind) {
            assert_eq!(format_at(i).as_deref(), Some(code), "{}", c.key);
            seen.push(c.kind);
        }
    }
    for kind in [Kind::Count, Kind::Ratio, Kind::Days, Kind::Time, Kind::Uin] {
        assert!(seen.contains(&kind), "{kind:?}");
    }
    // The Summary's totals too.
    let styles = wb.worksheet_style("Summary").unwrap();
    let summary = wb.worksheet_range("Summary").unwrap();
    let row = |label: &str| {
        summary
            .rows()
            .position(|r| r.first() == Some(&Data::String(label.into())))
            .unwrap() as u32
    };
    let code = |r: u32| {
        styles
            .get((r, 1))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
    };
    assert_eq!(code(row("Licenses total")).as_deref(), Some("#,##0"));
    assert_eq!(code(row("Utilization")).as_deref(), Some("0.0%"));
}

/// Table cells are written without a cell format, so every column that
/// can hold a ratio must be a ratio column (it carries the percent format).
#[test]
fn every_ratio_column_is_a_percent_column() {
    let report = sample_report();
    for a in &report.aggregate.accounts {
        for c in ACCOUNTS {
            if matches!(c.cell(a), Cell::Ratio(_)) {
                assert_eq!(Heading::of(c).kind, Kind::Ratio, "{} holds ratios", c.key);
            }
        }
    }
    for r in &report.aggregate.regions {
        for c in REGIONS {
            if matches!(c.cell(r), Cell::Ratio(_)) {
                assert_eq!(Heading::of(c).kind, Kind::Ratio, "{} holds ratios", c.key);
            }
        }
    }
}

/// The totals row under Accounts and Regions: `SUBTOTAL(109, ...)` of the
/// rows above (so it follows the filter), ratios over the row's sums,
/// each with its value cached for readers without a formula engine, and
/// outside the autofilter's range.
#[test]
fn the_totals_rows_follow_the_filter_and_cache_their_values() {
    let (_dir, path) = written();
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let accounts = wb.worksheet_range("Accounts").unwrap();
    let formulas = wb.worksheet_formula("Accounts").unwrap();
    let header = header_row(&accounts);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let last = accounts.height() - 1;
    assert_eq!(last, 5, "header, four accounts, totals");
    assert_eq!(accounts.get((last, 0)), Some(&Data::String("Total".into())));
    let name = |c: usize| rust_xlsxwriter::utility::column_number_to_name(c as u16);
    let (total, used) = (col("Licenses total"), col("Licenses used"));
    let formula = |c: usize| formulas.get_value((last as u32, c as u32)).cloned();
    assert_eq!(
        formula(total),
        Some(format!("SUBTOTAL(109,{0}2:{0}5)", name(total)))
    );
    // 100 + 10; the error and the cancelled accounts have no numbers.
    assert_eq!(accounts.get((last, total)), Some(&Data::Float(110.0)));
    assert_eq!(accounts.get((last, used)), Some(&Data::Float(112.0)));
    // A weighted ratio of the row's sums, not a sum of ratios.
    let util = col("Utilization");
    assert_eq!(
        formula(util),
        Some(format!(
            "IF({t}6=0,\"\",{u}6/{t}6)",
            t = name(total),
            u = name(used)
        ))
    );
    match accounts.get((last, util)) {
        Some(Data::Float(x)) => assert!((x - 112.0 / 110.0).abs() < 1e-12, "{x}"),
        other => panic!("{other:?}"),
    }
    // No total of days left, or of a tag.
    assert!(matches!(
        accounts.get((last, col("Scan quota days left"))),
        None | Some(Data::Empty)
    ));
    let styles = wb.worksheet_style("Accounts").unwrap();
    let code = styles
        .get((last as u32, util as u32))
        .and_then(|s| s.number_format.as_ref())
        .map(|f| f.format_code.clone());
    assert_eq!(code.as_deref(), Some(PERCENT_FORMAT));

    // Regions (account scope): attempts summed, the API's counts not (each
    // region repeats its account's).
    let regions = wb.worksheet_range("Regions").unwrap();
    let header = header_row(&regions);
    let rcol = |name: &str| header.iter().position(|h| h == name).unwrap();
    let last = regions.height() - 1;
    assert_eq!(regions.get((last, 0)), Some(&Data::String("Total".into())));
    assert_eq!(
        regions.get((last, rcol("Attempts"))),
        Some(&Data::Float(1.0 + 1.0 + 1.0 + 3.0 + 3.0))
    );
    assert!(matches!(
        regions.get((last, rcol("Licenses total"))),
        None | Some(Data::Empty)
    ));

    // The filter covers the table, not its totals row.
    let sheets = parts(&path, "xl/worksheets/sheet");
    let accounts_xml = &sheets[1].1;
    let last_col = name(header_row(&accounts).len() - 1);
    assert!(
        accounts_xml.contains(&format!("<autoFilter ref=\"A1:{last_col}5\"/>")),
        "{accounts_xml}"
    );
}

/// In region scope each region has its own numbers: the Regions totals
/// row sums them.
#[test]
fn in_region_scope_the_regions_totals_sum_the_counts() {
    let mut report = sample_report();
    report.aggregate.run.region_scope = crate::model::RegionScope::Region;
    let (_dir, path) = written_of(&report);
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let regions = wb.worksheet_range("Regions").unwrap();
    let header = header_row(&regions);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let last = regions.height() - 1;
    // 100 + 100 + 10: the three answers.
    assert_eq!(
        regions.get((last, col("Licenses total"))),
        Some(&Data::Float(210.0))
    );
    assert!(matches!(
        regions.get((last, col("Latency (ms)"))),
        None | Some(Data::Empty)
    ));
}

/// The Summary's chart: columns from zero, a 100% line, every account named.
#[test]
fn the_summary_chart_starts_at_zero_with_a_full_use_line() {
    let (_dir, path) = written();
    let charts = parts(&path, "xl/charts/chart");
    assert_eq!(charts.len(), 1);
    let xml = &charts[0].1;
    assert!(xml.contains("<c:barChart>"), "{xml}");
    assert!(xml.contains("<c:lineChart>"), "the 100% line: {xml}");
    assert!(xml.contains("<c:min val=\"0\"/>"), "from zero: {xml}");
    // Slanted, so that every account's name has room (no label skipped).
    assert!(
        xml.contains("<a:bodyPr rot=\"-2700000\""),
        "slanted labels: {xml}"
    );
    assert!(!xml.contains("tickLblSkip"), "no label skipped: {xml}");
    assert!(xml.contains("100%: every license used"), "{xml}");
    // The line's values: 100% for each account of the table.
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let summary = wb.worksheet_range("Summary").unwrap();
    let full: Vec<Data> = summary
        .rows()
        .filter_map(|r| r.get(usize::from(FULL_USE_COL)).cloned())
        .filter(|d| *d != Data::Empty)
        .collect();
    assert_eq!(full, vec![Data::Float(1.0); 2], "one per account charted");
}

/// The widths of a sheet's columns (0-based) as its `<cols>` says.
fn column_widths(xml: &str) -> Vec<(u16, f64)> {
    let attr = |el: &str, name: &str| -> String {
        let at = el.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
        el[at..at + el[at..].find('"').unwrap()].to_string()
    };
    let mut widths = Vec::new();
    for el in xml.split("<col ").skip(1) {
        let el = &format!(" {}", &el[..el.find("/>").unwrap()]);
        let (min, max): (u16, u16) = (
            attr(el, "min").parse().unwrap(),
            attr(el, "max").parse().unwrap(),
        );
        let width: f64 = attr(el, "width").parse().unwrap();
        widths.extend((min..=max).map(|c| (c - 1, width)));
    }
    widths
}

/// The headers of the Summary's most utilized accounts fit their columns
/// ("Utilization Licenses used Licenses total" ran into each other).
#[test]
fn the_summary_top_accounts_headers_fit_their_columns() {
    let (_dir, path) = written();
    let (_, xml) = parts(&path, "xl/worksheets/sheet").remove(0);
    let widths = column_widths(&xml);
    for (col, column) in (4u16..).zip(&TOP_COLUMNS[1..]) {
        let width = widths.iter().find(|(c, _)| *c == col).map(|w| w.1);
        let need = column.label.chars().count() as f64;
        assert!(
            width.is_some_and(|w| w >= need),
            "{}: {width:?}",
            column.label
        );
    }
}

/// Every sheet prints on A4 landscape with a footer (stem, sheet, page N
/// of M); table sheets repeat their header; the Accounts sheet prints the
/// columns finance reads one page wide; wider tables print at 85% with
/// the account column repeated. Nothing prints fitted to one page wide
/// whatever its width any more (37 columns came out at 4 pt).
#[test]
fn every_sheet_prints_readably_with_a_footer() {
    let (_dir, path) = written_of(&compared_report());
    let sheets = parts(&path, "xl/worksheets/sheet");
    let names = ["Summary", "Accounts", "Regions", "Errors", "Run", "Changes"];
    assert_eq!(sheets.len(), names.len());
    for ((part, xml), name) in sheets.iter().zip(names) {
        let setup = &xml[xml.find("<pageSetup ").expect(part)..];
        let setup = &setup[..setup.find("/>").unwrap()];
        assert!(setup.contains("paperSize=\"9\""), "{name}: {setup}");
        assert!(
            setup.contains("orientation=\"landscape\""),
            "{name}: {setup}"
        );
        assert!(
            xml.contains("<oddFooter>&amp;Ltcss-authorizations-20260201T000000Z&amp;C&amp;A&amp;RPage &amp;P of &amp;N</oddFooter>"),
            "{name}: {xml}"
        );
        let fitted = xml.contains("<pageSetUpPr fitToPage=\"1\"/>");
        match name {
            "Regions" | "Errors" | "Changes" => {
                assert!(!fitted, "{name}");
                assert!(setup.contains("scale=\"85\""), "{name}: {setup}");
                assert!(
                    setup.contains("pageOrder=\"overThenDown\""),
                    "{name}: {setup}"
                );
            }
            _ => {
                assert!(fitted, "{name}");
                assert!(
                    setup.contains("fitToHeight=\"0\"") || name == "Summary",
                    "{name}"
                );
            }
        }
    }
    let (_, workbook) = parts(&path, "xl/workbook").pop().unwrap();
    // The Changes sheet's table starts below its totals (Excel's rows
    // count from 1): its header row repeats.
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let changes = wb.worksheet_range("Changes").unwrap();
    let every = changes
        .rows()
        .position(|r| r.first() == Some(&Data::String("Every account".into())))
        .unwrap();
    let changes_header = every + 2;
    let printed =
        rust_xlsxwriter::utility::column_number_to_name(column_index(PRINTED_ACCOUNTS).unwrap());
    for expected in [
        format!("<definedName name=\"_xlnm.Print_Area\" localSheetId=\"1\">Accounts!$A:${printed}</definedName>"),
        "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"1\">Accounts!$1:$1</definedName>".to_string(),
        "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"2\">Regions!$A:$A,Regions!$1:$1</definedName>".to_string(),
        format!("<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"5\">Changes!$A:$A,Changes!${changes_header}:${changes_header}</definedName>"),
    ] {
        assert!(workbook.contains(&expected), "{expected} in {workbook}");
    }
}

/// The Accounts sheet's printed columns fit one A4 landscape page at 85%
/// or more (laid out as Excel does in Calibri 11: 9.35 pt text or larger).
#[test]
fn the_printed_accounts_columns_fit_one_page() {
    let printed = usize::from(column_index(PRINTED_ACCOUNTS).unwrap()) + 1;
    let widths: Vec<f64> = ACCOUNTS[..printed]
        .iter()
        .map(|c| Heading::of(c).width)
        .collect();
    assert!(print::fits_one_page(&widths), "{widths:?}");
    let all: Vec<f64> = ACCOUNTS.iter().map(|c| Heading::of(c).width).collect();
    assert!(!print::fits_one_page(&all), "the whole table does not");
}

/// Headers wrap into three lines at most.
#[test]
fn headers_wrap_into_three_lines_at_most() {
    let all = ACCOUNTS
        .iter()
        .map(|c| Heading::of(c))
        .chain(REGIONS.iter().map(|c| Heading::of(c)));
    for h in all {
        assert!(h.lines() <= HEADER_LINES, "{} in {}", h.name, h.width);
    }
    assert_eq!(
        Heading::new("Purchased licenses used", 11.0, Kind::Count).lines(),
        3
    );
}

#[test]
fn document_properties() {
    let (_dir, path) = written();
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    let props = wb.workbook_properties().unwrap();
    let text = format!("{props:?}");
    assert!(text.contains("tcss-report"), "{text}");
}

#[test]
fn empty_report_is_still_a_valid_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.xlsx");
    let report = crate::test_support::report_of(
        &[],
        &[],
        crate::test_support::run_info(crate::model::RegionScope::Account),
    );
    save(&report, &path).unwrap();
    let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(wb.sheet_names(), SHEETS.to_vec());
    // No totals row under no rows (its formulas would sum the header).
    assert_eq!(wb.worksheet_range("Accounts").unwrap().height(), 1);
}

#[test]
fn clip_respects_the_cell_limit() {
    let long = "é".repeat(MAX_CELL_TEXT + 10);
    assert_eq!(clip(&long).chars().count(), MAX_CELL_TEXT);
    let emoji = "😀".repeat(MAX_CELL_TEXT);
    assert_eq!(
        clip(&emoji).chars().map(char::len_utf16).sum::<usize>(),
        MAX_CELL_TEXT - 1
    );
    assert_eq!(clip("short"), "short");
}

#[test]
fn times_are_their_wall_clock_serials() {
    let beijing = chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00+08:00").unwrap();
    assert_eq!(serial(&beijing), Some(MARCH_1_2026));
    let utc = chrono::DateTime::parse_from_rfc3339("2026-03-01T18:00:00Z").unwrap();
    assert_eq!(serial(&utc), Some(MARCH_1_2026 + 0.75));
    let early = chrono::DateTime::parse_from_rfc3339("1900-01-01T00:00:00Z").unwrap();
    assert_eq!(
        serial(&early),
        None,
        "text before Excel's calendar is right"
    );
}

/// The table of `docs/reports.md` mapping each XLSX label to its CSV and
/// JSON name, from the column tables.
fn labels_table() -> String {
    let mut out =
        String::from("| XLSX label | CSV column and JSON key | in |\n| --- | --- | --- |\n");
    let mut rows: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    let mut add = |label: &'static str, key: &'static str, table: &'static str| match rows
        .iter_mut()
        .find(|r| r.0 == label && r.1 == key)
    {
        Some(r) => r.2.push(table),
        None => rows.push((label, key, vec![table])),
    };
    for c in ACCOUNTS {
        add(c.label, c.key, "accounts");
    }
    for c in REGIONS {
        add(c.label, c.key, "regions");
    }
    for c in TOTALS.iter() {
        add(c.label(), c.key(), "totals");
    }
    for c in crate::columns::groups::GROUPS {
        add(c.label(), c.key(), "groups");
    }
    for c in RUN {
        add(c.label, c.key, "run");
    }
    for (label, key, tables) in rows {
        out.push_str(&format!("| {label} | `{key}` | {} |\n", tables.join(", ")));
    }
    out
}

/// `docs/reports.md` maps every label to its name, as the tables have them.
#[test]
fn the_docs_map_every_label_to_its_name() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reports.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let table = labels_table();
    assert!(
        doc.contains(&table),
        "{} has not the labels' table; put this in (section \"Labels\"):\n\n{table}",
        path.display()
    );
}
