//! What the terminal shows (issue 20, part 6): log lines printed while the
//! progress bar is up leave no stale copy of it (under a pseudo-terminal,
//! via `script`); numbers in JSON logs are numbers; "did you mean" for a
//! misspelt region and `--fail-on` metric; `history --history DB` without
//! `--config`; `discover` into a closed pipe ends quietly; a timeout names
//! `timeout_secs`; a refused `AssumeRole` says so once.

use std::process::{Command, Stdio};

use serde_json::Value;
use tcss_sim::{FaultKind, Faults, Fleet};

use crate::harness::*;

fn one_account() -> (Harness, std::path::PathBuf) {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    let cfg = h.config("", MGMT_ACCOUNT);
    (h, cfg)
}

/// Shell-quotes `s` for `script -c`.
fn quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn log_lines_under_the_progress_bar_leave_no_stale_copy_of_it() {
    if Command::new("script").arg("--version").output().is_err() {
        println!("skipped: no `script` command here to give the run a terminal");
        return;
    }
    let regions = region_names(10);
    let mut a = mgmt(data(10, 1, 1, 1));
    a.faults.rate_limit = Some(1000);
    let h = Harness::new(Fleet {
        settings: tcss_sim::Settings {
            regions: regions.clone(),
            ..Default::default()
        },
        accounts: vec![a],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\nregions = {}\n",
        toml_list(&regions)
    );
    // Slow enough that the bar is up while the answers are logged (-v).
    let cfg = h.config("rate_limit = 5\n", &accounts);
    // A terminal of 200 columns (a pseudo-terminal has none until told).
    let run = format!(
        "stty cols {COLUMNS} rows 50; exec {} -v run --no-history --config {} --out {}",
        quoted(env!("CARGO_BIN_EXE_tcss-report")),
        quoted(&cfg.display().to_string()),
        quoted(&h.out().display().to_string()),
    );
    // `script` gives the run a terminal for stdout and stderr alike.
    let o = Command::new("script")
        .args(["-qec", &run, "/dev/null"])
        .env_remove("RUST_LOG")
        .env("TERM", "xterm")
        .envs(MGMT_ENV)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let raw = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(0), "{raw}");
    // Ten regions and the two account-wide actions.
    assert!(raw.contains("/12 queries ("), "the bar was drawn: {raw}");
    // What is left on the terminal at the end: every answer's log line, and
    // no copy of the bar (it is cleared when the run ends).
    let screen = terminal_screen(&raw);
    let shown = screen.join("\n");
    let bars = screen
        .iter()
        .filter(|l| l.contains("/12 queries ("))
        .count();
    assert_eq!(bars, 0, "a stale copy of the bar:\n{shown}");
    let answered = screen
        .iter()
        .filter(|l| l.contains(" DEBUG ") && l.contains("answered"))
        .count();
    assert_eq!(answered, 12, "every answer's log line stays:\n{shown}");
}

/// The width of the test's terminal.
const COLUMNS: usize = 200;

/// The lines a terminal [`COLUMNS`] wide shows after `raw` is written to
/// it: text (wrapped), line feeds and carriage returns, cursor up and down
/// (`ESC[nA`, `ESC[nB`), line clearing (`ESC[2K`, `ESC[K`); other escapes
/// (colours) ignored.
fn terminal_screen(raw: &str) -> Vec<String> {
    let mut lines: Vec<Vec<char>> = vec![Vec::new()];
    let (mut row, mut col) = (0usize, 0usize);
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                row += 1;
                col = 0;
            }
            '\r' => col = 0,
            '\u{1b}' if chars.peek() == Some(&'[') => {
                chars.next();
                let mut param = String::new();
                let mut last = ' ';
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() || d == '~' {
                        last = d;
                        break;
                    }
                    param.push(d);
                }
                let n = param.parse::<usize>().unwrap_or(1);
                match last {
                    'A' => row = row.saturating_sub(n),
                    'B' => row += n,
                    'K' if param == "2" => lines.get_mut(row).map_or((), Vec::clear),
                    'K' => lines.get_mut(row).map_or((), |l| l.truncate(col)),
                    _ => {}
                }
            }
            c if c.is_control() => {}
            c => {
                if col == COLUMNS {
                    row += 1;
                    col = 0;
                }
                while lines.len() <= row {
                    lines.push(Vec::new());
                }
                let line = &mut lines[row];
                line.resize(line.len().max(col), ' ');
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
    }
    lines
        .into_iter()
        .map(|l| l.into_iter().collect::<String>().trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn numbers_in_json_logs_are_numbers() {
    let (h, cfg) = one_account();
    let o = h.run(&cfg, &MGMT_ENV, &["--log-format", "json", "-v"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let lines: Vec<Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let finished = lines
        .iter()
        .find(|l| l["fields"]["message"] == "run finished")
        .unwrap_or_else(|| panic!("no `run finished` in {err}"));
    assert!(finished["fields"]["seconds"].is_f64(), "{finished}");
    assert!(finished["fields"]["queries"].is_u64(), "{finished}");
    // No field of any line holds a number as a string.
    for line in &lines {
        let Some(fields) = line["fields"].as_object() else {
            continue;
        };
        for (key, value) in fields {
            if let Some(text) = value.as_str() {
                assert!(
                    text.parse::<f64>().is_err(),
                    "`{key}` is a number in a string: {line}"
                );
            }
        }
    }
}

#[test]
fn a_misspelt_region_or_metric_gets_a_did_you_mean() {
    let (h, _) = one_account();
    let cfg = h.config("", &format!("{MGMT_ACCOUNT}regions = [\"ap-guangzou\"]\n"));
    let o = bin()
        .args(["validate", "--config"])
        .arg(&cfg)
        .envs(MGMT_ENV)
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "still a warning: {err}");
    assert!(
        err.contains(
            "region `ap-guangzou` is not one this version knows (did you mean `ap-guangzhou`?)"
        ),
        "{err}"
    );
    let cfg = h.config("", MGMT_ACCOUNT);
    let o = h.run(&cfg, &MGMT_ENV, &["--fail-on", "utilisation >= 90%"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("unknown metric `utilisation` (did you mean `utilization`?)"),
        "{err}"
    );
    assert_eq!(h.snapshot().total, 0);
}

#[test]
fn history_reads_a_database_without_a_config() {
    let (h, cfg) = one_account();
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let trends = h.out().with_file_name("trends");
    let o = bin()
        .args(["history", "--formats", "json", "--history"])
        .arg(h.out().join("history.sqlite"))
        .arg("--out")
        .arg(&trends)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let file = std::fs::read_dir(&trends)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .expect("a JSON trend file");
    let j: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    assert_eq!(j["runs"].as_array().map(Vec::len), Some(1), "{j}");
}

#[test]
fn discover_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("accounts.example.toml");
    let mut child = bin()
        .env("HOME", dir.path())
        .args(["discover", "--simulate", "--format", "csv", "--config"])
        .arg(&example)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -0`: the reader goes away before anything is written (the
    // command reads its config and lists the members first).
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        !err.contains("error") && !err.contains("Broken pipe"),
        "{err}"
    );
}

#[test]
fn a_timeout_names_timeout_secs_and_a_refused_role_says_so_once() {
    let mut slow = mgmt(data(1, 1, 1, 1));
    slow.faults = Faults {
        first_n: 1000,
        first_kind: Some(FaultKind::Hang),
        ..Faults::default()
    };
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![
            slow,
            // Trusts someone else: the management account cannot assume it.
            member(
                "200000000009",
                "untrusting",
                "999999999999",
                data(1, 1, 1, 1),
            ),
        ],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}[[accounts]]\nname = \"untrusting\"\n\
         role_arn = \"qcs::cam::uin/200000000009:roleName/Audit\"\nsource_account = \"mgmt\"\n"
    );
    let cfg = h.config("timeout_secs = 1\nmax_attempts = 1\n", &accounts);
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    let rows = h.csv(".regions.csv");
    let timeout = row(&rows, "mgmt");
    assert_eq!(timeout["error_code"], "Timeout");
    assert!(
        timeout["error_message"].contains("raise `[defaults] timeout_secs`"),
        "{timeout:?}"
    );
    let refused = row(&rows, "untrusting");
    let message = &refused["error_message"];
    assert!(
        message.starts_with("AssumeRole qcs::cam::uin/200000000009:roleName/Audit failed: "),
        "{message}"
    );
    assert_eq!(message.matches("AssumeRole").count(), 1, "{message}");
    assert_eq!(message.matches("failed").count(), 1, "{message}");
    let code = &refused["error_code"];
    assert_eq!(
        message.matches(code.as_str()).count(),
        1,
        "{code}: {message}"
    );
}
