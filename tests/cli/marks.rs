//! A subset and a simulated run say so in every format (issue 20, part 3):
//! `SUBSET` with its selectors and `SIMULATED` in the XLSX Summary sheet
//! (read back with calamine), the Markdown title and the JSON (`run.subset`,
//! `run.selection`, `run.simulated`); a full real run says neither.

use std::path::Path;

use calamine::{open_workbook, Data, Reader, Xlsx};
use serde_json::Value;
use tcss_sim::Fleet;

use crate::harness::*;

/// The Summary sheet's first column and second column, row by row.
fn summary(path: &Path) -> Vec<(String, String)> {
    let mut wb: Xlsx<_> = open_workbook(path).unwrap();
    let range = wb.worksheet_range("Summary").unwrap();
    range
        .rows()
        .map(|r| {
            let text = |c: Option<&Data>| c.map(|c| c.to_string()).unwrap_or_default();
            (text(r.first()), text(r.get(1)))
        })
        .collect()
}

/// The value beside `label` on the Summary sheet.
fn beside<'a>(rows: &'a [(String, String)], label: &str) -> &'a str {
    rows.iter()
        .find(|(l, _)| l == label)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no {label} row: {rows:?}"))
}

/// A run of `extra` into a folder of its own: the Summary rows, the
/// Markdown and the JSON.
fn ran(h: &Harness, cfg: &Path, extra: &[&str]) -> (Vec<(String, String)>, String, Value) {
    let out = tempfile::tempdir().unwrap();
    let mut c = bin();
    c.arg("run")
        .arg("--config")
        .arg(cfg)
        .arg("--out")
        .arg(out.path())
        .arg("--no-history")
        .args(extra)
        .envs(MGMT_ENV)
        .env("HOME", h.home());
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{extra:?}: {}", stderr(&o));
    let file = |ext: &str| {
        std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().ends_with(ext))
            .unwrap_or_else(|| panic!("no {ext}"))
    };
    let md = std::fs::read_to_string(file(".md")).unwrap();
    let json = serde_json::from_slice(&std::fs::read(file(".json")).unwrap()).unwrap();
    (summary(&file(".xlsx")), md, json)
}

#[test]
fn subset_and_simulated_runs_say_so_in_every_format() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![
            mgmt(data(100, 40, 30, 10)),
            member("200000000001", "m1", MGMT_UIN, data(50, 20, 10, 10)),
        ],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n[[accounts]]\nname = \"m1\"\n\
         role_arn = \"qcs::cam::uin/200000000001:roleName/Audit\"\nsource_account = \"mgmt\"\n"
    );
    let cfg = h.config("", &accounts);

    // A full, real run: neither mark.
    let (sheet, md, json) = ran(&h, &cfg, &[]);
    assert_eq!(sheet[0].0, "TCSS image-scan licenses", "{sheet:?}");
    assert_eq!(beside(&sheet, "Covers"), "every account of the config");
    assert_eq!(beside(&sheet, "Data from"), "Tencent Cloud");
    let title = md.lines().next().unwrap();
    assert!(
        !title.contains("SUBSET") && !title.contains("SIMULATED"),
        "{title}"
    );
    assert_eq!(json["run"]["subset"], false);
    assert_eq!(json["run"]["simulated"], false);
    assert_eq!(json["run"]["selection"], serde_json::json!([]));

    // A subset: SUBSET and its selectors.
    let (sheet, md, json) = ran(&h, &cfg, &["--only", "m1", "--exclude", "uin:100000000001"]);
    assert_eq!(sheet[0].0, "TCSS image-scan licenses: SUBSET", "{sheet:?}");
    assert_eq!(
        beside(&sheet, "Covers"),
        "SUBSET: --only m1, --exclude uin:100000000001"
    );
    let title = md.lines().next().unwrap();
    assert!(title.ends_with("(complete) · SUBSET"), "{title}");
    assert!(
        md.contains(
            "> **SUBSET:** only the accounts selected by `--only m1` `--exclude uin:100000000001`; the \
             totals are theirs, not the whole fleet's."
        ),
        "{md}"
    );
    assert_eq!(json["run"]["subset"], true);
    assert_eq!(
        json["run"]["selection"],
        serde_json::json!(["--only m1", "--exclude uin:100000000001"])
    );
    assert_eq!(json["totals"]["accounts"], 1);

    // A simulated run: SIMULATED.
    let (sheet, md, json) = ran(&h, &cfg, &["--simulate"]);
    assert_eq!(
        sheet[0].0, "TCSS image-scan licenses: SIMULATED",
        "{sheet:?}"
    );
    assert_eq!(
        beside(&sheet, "Data from"),
        "SIMULATED: the built-in simulator, not Tencent Cloud"
    );
    let title = md.lines().next().unwrap();
    assert!(title.ends_with("(complete) · SIMULATED"), "{title}");
    assert!(md.contains("> **SIMULATED:** the numbers come from the built-in simulator"));
    assert_eq!(json["run"]["simulated"], true);
    assert_eq!(json["run"]["subset"], false);

    // Both.
    let (sheet, md, _) = ran(&h, &cfg, &["--simulate", "--only", "mgmt"]);
    assert_eq!(sheet[0].0, "TCSS image-scan licenses: SIMULATED, SUBSET");
    assert!(
        md.lines().next().unwrap().ends_with("· SIMULATED · SUBSET"),
        "{md}"
    );
}
