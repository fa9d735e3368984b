//! How a run ends (issue 20, part 1): a total outage exits 5, not 3 (no
//! credentials in the environment, as under cron; an endpoint that is
//! down); whenever queries failed, stderr lists the first 20 (account,
//! action, region, code, message) and the count; every run ends with a
//! summary and an exit line saying what the code means (`--quiet`: only
//! the failures and the exit line; JSON lines under `--log-format json`);
//! and the README's exit codes and cron/CI idioms tell 5 from 3.

use std::path::Path;
use std::process::Output;

use serde_json::Value;
use tcss_sim::Fleet;

use crate::harness::*;

/// The lines of stderr that start with `prefix`.
fn lines_starting<'a>(err: &'a str, prefix: &str) -> Vec<&'a str> {
    err.lines().filter(|l| l.starts_with(prefix)).collect()
}

/// stderr's `query failed` log lines.
fn failed_lines(err: &str) -> Vec<&str> {
    err.lines()
        .filter(|l| l.contains(" query failed "))
        .collect()
}

/// The last line of stderr.
fn last_line(o: &Output) -> String {
    stderr(o).lines().last().unwrap_or_default().to_string()
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn no_credentials_in_the_environment_exits_5_with_every_report_and_says_what_to_check() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    // The classic cron pitfall: the keys were exported in a login shell
    // only. One account reads the standard chain, one names variables,
    // and the management account of an organization has none either.
    let accounts = format!(
        "[[accounts]]\nname = \"payments-prod\"\n\
         [[accounts]]\nname = \"legacy\"\nsecret_id_env = \"LEGACY_ID\"\nsecret_key_env = \"LEGACY_KEY\"\n\
         [[organizations]]\nname = \"corp\"\nmanagement_account = \"payments-prod\"\nendpoint = \"{}\"\n",
        h.url()
    );
    let cfg = h.config("", &accounts);
    let o = h.run(&cfg, &[], &["--fail-on", "failed_queries > 0"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(5), "5 wins over 4: {err}");
    assert_eq!(h.snapshot().total, 0, "nothing could be sent");
    // Every report is written and lists every failure.
    let j = h.json();
    assert_eq!(j["totals"]["queries_ok"], 0);
    // Each account's three queries (images, edition, auto-authorization).
    assert_eq!(j["totals"]["queries_failed"], 6);
    assert_eq!(j["run"]["organizations"][0]["status"], "error");
    for ext in [".accounts.csv", ".regions.csv", ".xlsx", ".md"] {
        assert!(h.report(ext).is_file());
    }
    // The failures: the organization first, then each query of each action.
    let failed = failed_lines(&err);
    assert_eq!(failed.len(), 6, "{err}");
    for action in [
        "DescribePurchaseStateInfo",
        "DescribeImageAutoAuthorizedRule",
    ] {
        assert!(
            failed
                .iter()
                .any(|l| l.contains("account=legacy") && l.contains(&format!("action={action}"))),
            "{action}: {err}"
        );
    }
    let legacy = failed
        .iter()
        .find(|l| l.contains("account=legacy"))
        .unwrap();
    for part in [
        "action=DescribeImageAuthorizedInfo",
        "region=ap-guangzhou",
        "code=CredentialError",
        "error=environment variable LEGACY_ID is not set or empty (env LEGACY_ID/LEGACY_KEY)",
    ] {
        assert!(legacy.contains(part), "{part} in {legacy}");
    }
    let chain = failed
        .iter()
        .find(|l| l.contains("account=payments-prod"))
        .unwrap();
    assert_eq!(
        chain.matches("TENCENTCLOUD_SECRET_ID").count(),
        1,
        "each place named once: {chain}"
    );
    let org = err
        .lines()
        .find(|l| l.contains(" member list not read "))
        .unwrap_or_else(|| panic!("no organization failure in {err}"));
    for part in [
        "organization=corp",
        "account=payments-prod",
        "action=DescribeOrganizationMembers",
        "code=CredentialError",
    ] {
        assert!(org.contains(part), "{part} in {org}");
    }
    // The summary, then the exit line, last.
    let summary = lines_starting(&err, "summary: ");
    assert_eq!(
        summary,
        [
            "summary: 2 accounts (0 ok, 0 partial, 2 error), 6 queries (0 answered, 6 failed), \
             1 organization not listed",
            "summary: licenses unknown (no account answered), 0 over-licensed accounts (using \
             more than they hold), 1 breach",
        ],
        "{err}"
    );
    let exit = last_line(&o);
    assert!(
        exit.starts_with(
            "exit 5: no query answered: check the credentials (TENCENTCLOUD_SECRET_ID"
        ),
        "{exit}"
    );
}

#[test]
fn an_endpoint_that_is_down_exits_5_and_the_summary_is_json_under_json_logs() {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    let cfg = h.config("max_attempts = 2\n", MGMT_ACCOUNT);
    let down = format!("http://127.0.0.1:{}", closed_port());
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace(&h.url(), &down);
    std::fs::write(&cfg, text).unwrap();
    let o = h.run(&cfg, &MGMT_ENV, &["--log-format", "json"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert_eq!(h.json()["totals"]["queries_failed"], 3);
    let lines: Vec<Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let failure = lines
        .iter()
        .find(|l| l["fields"]["message"] == "query failed")
        .unwrap_or_else(|| panic!("no failure in {err}"));
    assert_eq!(failure["level"], "WARN");
    assert_eq!(failure["fields"]["account"], "mgmt");
    assert_eq!(failure["fields"]["action"], "DescribeImageAuthorizedInfo");
    assert_eq!(failure["fields"]["region"], "ap-guangzhou");
    assert_eq!(failure["fields"]["code"], "ConnectionRefused");
    let summary = lines
        .iter()
        .find(|l| l["fields"]["message"] == "run summary")
        .unwrap_or_else(|| panic!("no summary in {err}"));
    let s = &summary["fields"];
    assert_eq!(s["accounts"], 1);
    assert_eq!(s["accounts_error"], 1);
    assert_eq!(s["queries_failed"], 3);
    assert_eq!(s["queries_ok"], 0);
    assert_eq!(s["licenses_used"], Value::Null);
    assert_eq!(s["breaches"], 0);
    let exit = lines.last().unwrap();
    assert_eq!(exit["level"], "ERROR");
    assert_eq!(exit["fields"]["exit_code"], 5);
    assert!(
        exit["fields"]["message"]
            .as_str()
            .unwrap()
            .starts_with("exit 5: no query answered"),
        "{exit}"
    );
}

/// mgmt (100 held, 40 used), `over` (50 held, 60 used) and `down`, whose
/// every query fails: exit 3.
fn mixed() -> (
    Harness,
    std::path::PathBuf,
    Vec<(&'static str, &'static str)>,
) {
    let over = keyed(
        "300000000001",
        "over",
        "AKIDover000000000000000001",
        "over-secret-key-1",
        data(50, 60, 1, 1),
    );
    let mut down = keyed(
        "300000000002",
        "down",
        "AKIDdown000000000000000002",
        "down-secret-key-2",
        data(1, 1, 1, 1),
    );
    down.faults.persistent_error = Some("AuthFailure.UnauthorizedOperation".into());
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10)), over, down],
    });
    let accounts = format!(
        "{MGMT_ACCOUNT}\
         [[accounts]]\nname = \"over\"\nsecret_id_env = \"O_ID\"\nsecret_key_env = \"O_KEY\"\n\
         [[accounts]]\nname = \"down\"\nsecret_id_env = \"D_ID\"\nsecret_key_env = \"D_KEY\"\n"
    );
    let cfg = h.config("", &accounts);
    let mut env = MGMT_ENV.to_vec();
    env.extend([
        ("O_ID", "AKIDover000000000000000001"),
        ("O_KEY", "over-secret-key-1"),
        ("D_ID", "AKIDdown000000000000000002"),
        ("D_KEY", "down-secret-key-2"),
    ]);
    (h, cfg, env)
}

#[test]
fn a_partial_failure_exits_3_with_the_failure_the_summary_and_the_over_licensed_count() {
    let (h, cfg, env) = mixed();
    let o = h.run(&cfg, &env, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    let failed = failed_lines(&err);
    // `down`'s three queries, each with its action.
    assert_eq!(failed.len(), 3, "{err}");
    for (line, action) in failed.iter().zip([
        "DescribeImageAuthorizedInfo",
        "DescribePurchaseStateInfo",
        "DescribeImageAutoAuthorizedRule",
    ]) {
        assert!(
            line.contains(&format!("account=down action={action} ")),
            "{line}"
        );
    }
    assert!(
        failed[0].contains(
            "account=down action=DescribeImageAuthorizedInfo region=ap-guangzhou \
             code=AuthFailure.UnauthorizedOperation error="
        ),
        "{}",
        failed[0]
    );
    assert!(
        !failed[0].contains("error=AuthFailure.UnauthorizedOperation"),
        "the code once: {}",
        failed[0]
    );
    assert_eq!(
        lines_starting(&err, "summary: "),
        [
            "summary: 3 accounts (2 ok, 0 partial, 1 error), 9 queries (6 answered, 3 failed)",
            "summary: licenses 100 used of 150, 1 over-licensed account (using more than they \
             hold), 0 breaches",
        ],
        "{err}"
    );
    assert_eq!(
        last_line(&o),
        "exit 3: 3 of 9 queries failed: the reports are written and list every failure"
    );
}

#[test]
fn quiet_keeps_only_the_failures_and_the_exit_line() {
    let (h, cfg, env) = mixed();
    let o = h.run(&cfg, &env, &["--quiet"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    // `down`'s three failed queries, then the exit line.
    assert_eq!(lines.len(), 4, "{err}");
    assert!(
        lines[..3]
            .iter()
            .all(|l| l.contains(" query failed ") && l.contains("account=down")),
        "{err}"
    );
    assert!(lines[3].starts_with("exit 3: "), "{err}");
    // A clean run under -q: the exit line alone.
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    let cfg = h.config("", MGMT_ACCOUNT);
    let o = h.run(&cfg, &MGMT_ENV, &["-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "exit 0: every query answered\n");
}

#[test]
fn twenty_failures_are_listed_then_the_count() {
    // 25 accounts whose keys are not set, and mgmt, which answers: exit 3.
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    let mut accounts = MGMT_ACCOUNT.to_string();
    for i in 0..25 {
        accounts.push_str(&format!(
            "[[accounts]]\nname = \"unset-{i:02}\"\nsecret_id_env = \"UNSET_ID_{i}\"\nsecret_key_env = \"UNSET_KEY_{i}\"\n"
        ));
    }
    let cfg = h.config("", &accounts);
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert_eq!(failed_lines(&err).len(), 20, "{err}");
    // Three queries per account: 75 failed.
    assert!(
        err.contains("and 55 more failed queries (every report lists them all)"),
        "{err}"
    );
    assert_eq!(h.json()["totals"]["queries_failed"], 75);
}

/// What the README's shell idiom `line` does when `tcss-report` exits
/// `code`: whether it alerts (a non-zero status, as CI sees it, or any
/// output, which cron mails). `tcss-report` and `cd` are stand-ins; logs go
/// to a temporary folder.
fn alerts(line: &str, code: i32, logs: &Path) -> bool {
    let line = line.replace("/var/log/", &format!("{}/", logs.display()));
    let script = format!("tcss-report() {{ return {code}; }}\ncd() {{ :; }}\n{line}\n");
    let o = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    !o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty()
}

/// The README's shell lines that check `$?`: cron lines without their
/// schedule, YAML `run:` lines without the key, inline code as it is.
fn readme_idioms(readme: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    for line in readme.lines() {
        if let Some(lang) = line.trim_start().strip_prefix("```") {
            block = match block {
                None => Some(lang.to_string()),
                Some(_) => None,
            };
            continue;
        }
        match block.as_deref() {
            Some("cron") if line.contains("$?") => {
                let command: Vec<&str> = line.split_whitespace().skip(5).collect();
                out.push(command.join(" "));
            }
            Some("yaml") if line.contains("$?") => {
                let command = line.trim_start().trim_start_matches("- ").trim_start();
                out.push(command.trim_start_matches("run:").trim().to_string());
            }
            Some(_) => {}
            None => out.extend(
                line.split('`')
                    .skip(1)
                    .step_by(2)
                    .filter(|code| code.contains("$?") && code.contains("tcss-report"))
                    .map(str::to_string),
            ),
        }
    }
    out
}

#[test]
fn the_readme_lists_exit_5_and_its_idioms_alert_on_it() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("| 5 |"), "exit 5 in the table");
    assert!(
        readme.contains("Precedence: 130, 1, 5, 4, 3, 0"),
        "the precedence"
    );
    assert!(
        readme.contains("Prowler"),
        "how our codes differ from Prowler's"
    );
    let idioms = readme_idioms(&readme);
    assert!(
        idioms.len() >= 3,
        "the cron line, the CI step and the thresholds' cron idiom: {idioms:?}"
    );
    let logs = tempfile::tempdir().unwrap();
    for idiom in &idioms {
        for code in [0, 3] {
            assert!(
                !alerts(idiom, code, logs.path()),
                "{idiom}: exit {code} alerted"
            );
        }
        for code in [1, 2, 4, 5, 130] {
            assert!(
                alerts(idiom, code, logs.path()),
                "{idiom}: exit {code} is silent"
            );
        }
    }
}
