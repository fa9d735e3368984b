//! Helpers of the metrics tests: the real parsers of the Prometheus text
//! format (`promtool check metrics`, Python's `prometheus_client` from
//! `TCSS_SDK_PYTHON`), each skipped with a line saying so where it is not
//! installed. Shared by `tests/cli/metrics.rs` and the library's unit test
//! of label escaping (`src/report/prom/tests.rs`, which includes this file).

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// A program from `PATH` (or the Debian location), if installed.
pub(crate) fn program(name: &str) -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    from_path.or_else(|| Some(Path::new("/usr/bin").join(name)).filter(|p| p.is_file()))
}

pub(crate) fn promtool() -> Option<PathBuf> {
    let found = program("promtool");
    if found.is_none() {
        println!("skipped: promtool not found (Debian package `prometheus`)");
    }
    found
}

pub(crate) fn python() -> Option<OsString> {
    let found = std::env::var_os("TCSS_SDK_PYTHON").filter(|p| !p.is_empty());
    if found.is_none() {
        println!("skipped: TCSS_SDK_PYTHON not set (the prometheus_client parser check)");
    }
    found
}

/// Runs `program` with `args` and `text` on its standard input.
fn fed(program: impl AsRef<std::ffi::OsStr>, args: &[&str], text: &str) -> std::process::Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `promtool check metrics` on `text`: exit 0 and no complaint.
pub(crate) fn promtool_accepts(promtool: &Path, text: &str) {
    let o = fed(promtool, &["check", "metrics"], text);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.status.success() && said.trim().is_empty(),
        "{said}\n{text}"
    );
}

const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "help": f.documentation,
                "samples": [{"name": s.name, "labels": s.labels, "value": s.value}
                            for s in f.samples]})
print(json.dumps(out))
"#;

/// The families as `prometheus_client` parses `text`.
pub(crate) fn python_parse(python: &OsString, text: &str) -> Vec<Value> {
    let o = fed(python, &["-c", PARSE], text);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The value of the sample of `family` whose labels include `labels`.
pub(crate) fn value_of(families: &[Value], family: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let f = families.iter().find(|f| f["name"] == family)?;
    f["samples"]
        .as_array()?
        .iter()
        .find(|s| labels.iter().all(|(k, v)| s["labels"][*k] == *v))
        .and_then(|s| s["value"].as_f64())
}
