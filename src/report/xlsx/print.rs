//! How every sheet prints: landscape, scaled to one page wide (as many
//! pages high as it needs), its first row repeated at the top of every page.

use rust_xlsxwriter::{Worksheet, XlsxError};

/// Applies the print settings to a sheet whose header is its first row.
pub(super) fn setup(ws: &mut Worksheet) -> Result<(), XlsxError> {
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_repeat_rows(0, 0)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use crate::report::xlsx::save;
    use crate::test_support::compared_report;

    /// Every part of the zip whose name starts with `prefix`, as text.
    fn parts(path: &std::path::Path, prefix: &str) -> Vec<(String, String)> {
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
        out
    }

    #[test]
    fn every_sheet_prints_landscape_one_page_wide_with_its_header_repeated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xlsx");
        let report = compared_report();
        save(&report, &path).unwrap();
        let sheets = parts(&path, "xl/worksheets/sheet");
        assert_eq!(
            sheets.len(),
            6,
            "Summary, Accounts, Regions, Errors, Run, Changes"
        );
        for (name, xml) in &sheets {
            assert!(
                xml.contains("<pageSetUpPr fitToPage=\"1\"/>"),
                "{name}: fit to page"
            );
            let setup = &xml[xml.find("<pageSetup ").expect(name)..];
            let setup = &setup[..setup.find("/>").unwrap()];
            assert!(
                setup.contains("orientation=\"landscape\""),
                "{name}: {setup}"
            );
            assert!(setup.contains("fitToHeight=\"0\""), "{name}: {setup}");
            // fitToWidth defaults to 1 and is then left out.
            assert!(
                !setup.contains("fitToWidth") || setup.contains("fitToWidth=\"1\""),
                "{name}: {setup}"
            );
        }
        let (_, workbook) = parts(&path, "xl/workbook").pop().unwrap();
        for (i, sheet) in ["Summary", "Accounts", "Regions", "Errors", "Run", "Changes"]
            .iter()
            .enumerate()
        {
            let name = format!(
                "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"{i}\">{sheet}!$1:$1</definedName>"
            );
            assert!(workbook.contains(&name), "{name} in {workbook}");
        }
    }
}
