//! Notifications (issue 25), against real protocol partners on 127.0.0.1,
//! started and stopped here: a receiver per platform answering as the
//! platform does ([`receivers`]: format, size limit, signature, `errcode`
//! answers, a 5xx, a redirect, a hanging server) and a real SMTP server
//! (`aiosmtpd` from the CI venv, [`smtp`]) whose mail is parsed back. The
//! message cut to each platform's limit for a large run is checked by the
//! message builder's unit tests (`notify::tests`), on 10,000 accounts.

#![cfg(unix)]

mod receivers;
mod smtp;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use tcss_sim::{FaultKind, Faults, Fleet};

use crate::harness::*;
use receivers::{Answer, Receiver};

const WECOM_KEY: &str = "693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa";
const DING_TOKEN: &str = "dingtoken0123456789abcdef";
const DING_SECRET: &str = "SEC0123456789dingtalk-signing-secret";
const FEISHU_TOKEN: &str = "2f7c1e2a-feishu-hook-token-000001";
const FEISHU_SECRET: &str = "feishu-signing-secret-0001";
const SLACK_PATH: &str = "T0000ABCD/B0000EFGH/slackwebhooktoken000000";

/// Two accounts, the first over-licensed (120 used of 100), the second a
/// light user; `extra` accounts and `[[notify]]` tables follow.
fn fleet() -> Harness {
    Harness::new(two_accounts())
}

/// The accounts of [`fleet`].
fn two_accounts() -> Fleet {
    let light = keyed(
        "300000000001",
        "light",
        "AKIDlight000000000000000000001",
        "light-secret-key-000001",
        data(50, 10, 5, 5),
    );
    Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 120, 30, 10)), light],
    }
}

const ACCOUNTS: &str = "[[accounts]]\nname = \"light\"\nuin = \"300000000001\"\n\
                        secret_id_env = \"L_ID\"\nsecret_key_env = \"L_KEY\"\n";

fn env<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut env = MGMT_ENV.to_vec();
    env.extend([
        ("L_ID", "AKIDlight000000000000000000001"),
        ("L_KEY", "light-secret-key-000001"),
    ]);
    env.extend_from_slice(extra);
    env
}

/// A `[[notify]]` table of `kind` reading its URL from `var`.
fn table(kind: &str, var: &str, extra: &str) -> String {
    format!("[[notify]]\nkind = \"{kind}\"\nurl_env = \"{var}\"\n{extra}")
}

fn config(h: &Harness, defaults: &str, notify: &str) -> PathBuf {
    h.config(
        defaults,
        &format!("{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n{ACCOUNTS}{notify}"),
    )
}

/// `run` into `out` (not the harness's folder).
fn run_into(cfg: &Path, env: &[(&str, &str)], extra: &[&str], out: &Path) -> Output {
    bin()
        .args(["run", "--config"])
        .arg(cfg)
        .arg("--out")
        .arg(out)
        .args(extra)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// The JSON snapshot in `out`.
fn json_in(out: &Path) -> Value {
    let path = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension() == Some("json".as_ref()))
        .unwrap();
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// 1-based line and column of the first `needle` in `file`.
fn position(file: &Path, needle: &str) -> (usize, usize) {
    let text = std::fs::read_to_string(file).unwrap();
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// JSON `run.notifications`.
fn outcomes(h: &Harness) -> Vec<Value> {
    h.json()["run"]["notifications"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn outcome<'a>(all: &'a [Value], kind: &str) -> &'a Value {
    all.iter()
        .find(|n| n["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {all:?}"))
}

/// The files of the runs here (the default formats and `html`), sorted as
/// [`kinds_of_files`] lists them.
const WITH_HTML: [&str; 6] = [
    ".accounts.csv",
    ".html",
    ".json",
    ".md",
    ".regions.csv",
    ".xlsx",
];

/// The file names of a report folder with the stem cut off (`.json`, `.xlsx`, ...).
fn kinds_of_files(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tcss-authorizations-"))
        .map(|n| n[n.find('.').unwrap()..].to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn every_kind_sends_its_platforms_message_signed_and_within_its_limit() {
    let h = fleet();
    let (wecom, ding) = (
        Receiver::start(receivers::wecom(WECOM_KEY)),
        Receiver::start(receivers::dingtalk(DING_TOKEN, DING_SECRET)),
    );
    let (feishu, slack, hook) = (
        Receiver::start(receivers::feishu(FEISHU_TOKEN, FEISHU_SECRET)),
        Receiver::start(receivers::slack(SLACK_PATH)),
        Receiver::start(receivers::webhook()),
    );
    let urls = [
        format!("{}/cgi-bin/webhook/send?key={WECOM_KEY}", wecom.base()),
        format!("{}/robot/send?access_token={DING_TOKEN}", ding.base()),
        format!("{}/open-apis/bot/v2/hook/{FEISHU_TOKEN}", feishu.base()),
        format!("{}/services/{SLACK_PATH}", slack.base()),
        format!("{}/tcss/hook", hook.base()),
    ];
    let notify = [
        table("wecom", "WECOM_URL", "when = \"problem\"\n"),
        table("dingtalk", "DING_URL", "secret_env = \"DING_SECRET\"\n"),
        table(
            "feishu",
            "FEISHU_URL",
            "secret_env = \"FEISHU_SECRET\"\nwhen = \"breach\"\n",
        ),
        table("slack", "SLACK_URL", ""),
        table("webhook", "HOOK_URL", ""),
    ]
    .concat();
    let cfg = config(&h, "", &notify);
    let o = h.run(
        &cfg,
        &env(&[
            ("WECOM_URL", &urls[0]),
            ("DING_URL", &urls[1]),
            ("DING_SECRET", DING_SECRET),
            ("FEISHU_URL", &urls[2]),
            ("FEISHU_SECRET", FEISHU_SECRET),
            ("SLACK_URL", &urls[3]),
            ("HOOK_URL", &urls[4]),
        ]),
        &["--fail-on", "utilization > 100%"],
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));

    // Each platform got one request, took it (its checks passed), and the
    // JSON says so: the host only, never the path or the key.
    let all = outcomes(&h);
    assert_eq!(all.len(), 5, "{all:?}");
    for (receiver, kind) in [
        (&wecom, "wecom"),
        (&ding, "dingtalk"),
        (&feishu, "feishu"),
        (&slack, "slack"),
        (&hook, "webhook"),
    ] {
        assert_eq!(receiver.requests().len(), 1, "{kind}");
        let n = outcome(&all, kind);
        assert_eq!(n["status"], "sent", "{kind}: {n}");
        assert_eq!(n["host"], "127.0.0.1", "{kind}");
        assert_eq!(n["attempts"], 1, "{kind}");
        assert!(n["error"].is_null(), "{kind}");
    }
    let stem = h.json()["run"]["stem"].as_str().unwrap().to_string();

    // What they say: the state and the exit code, the breach by its
    // expression, the over-licensed account, the stem.
    let content = wecom.requests()[0].json()["markdown"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        content.contains("a threshold was breached (exit 4)"),
        "{content}"
    );
    assert!(
        content.contains("`utilization > 100%`: 1 breach: `mgmt`"),
        "{content}"
    );
    assert!(
        content.contains("Over-licensed accounts (1, 20 licenses short)"),
        "{content}"
    );
    assert!(content.contains(&format!("`{stem}.*`")), "{content}");
    let ding_text = ding.requests()[0].json()["markdown"]["text"].to_string();
    assert!(
        ding_text.contains("exit 4") && ding_text.contains("mgmt"),
        "{ding_text}"
    );
    let card = feishu.requests()[0].json();
    assert!(card["card"]["header"]["title"]["content"]
        .as_str()
        .unwrap()
        .contains("exit 4"));
    let blocks = slack.requests()[0].json();
    let section = blocks["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(section.contains("`utilization &gt; 100%`"), "{section}");
    let summary = hook.requests()[0].json();
    assert_eq!(summary["exit_code"], 4);
    assert_eq!(summary["stem"], stem.as_str());
    assert_eq!(summary["complete"], true);
    assert_eq!(summary["breaches_total"], 1);
    assert_eq!(summary["breaches"][0]["expression"], "utilization > 100%");
    assert_eq!(summary["over_licensed"][0]["account"], "mgmt");
    assert_eq!(summary["over_licensed"][0]["short"], 20);
    assert_eq!(summary["totals"]["accounts"], 2);
    let totals = &h.json()["totals"];
    for key in [
        "used_authorized",
        "total_authorized",
        "accounts_ok",
        "queries_failed",
    ] {
        assert_eq!(summary["totals"][key], totals[key], "{key}");
    }
    assert_eq!(
        hook.requests()[0].header("content-type"),
        Some("application/json; charset=utf-8")
    );

    // The JSON snapshot is published last, after the notifications: stdout
    // lists it last.
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.trim_end().ends_with(".json"), "{stdout}");
    assert_eq!(kinds_of_files(&h.out()), WITH_HTML);
}

#[test]
fn refusing_failing_and_hanging_receivers_change_nothing_but_the_outcomes() {
    let h = fleet();
    // WeCom refuses the key; DingTalk the signature (another secret);
    // Feishu redirects; Slack fails with 503 twice; the webhook hangs.
    let wecom = Receiver::start(receivers::wecom("another-key-0000000000"));
    let ding = Receiver::start(receivers::dingtalk(DING_TOKEN, "SECanother-secret-000000"));
    let feishu = Receiver::start(|_: &receivers::Request| Answer::Reply(302, String::new()));
    let slack =
        Receiver::start(|_: &receivers::Request| Answer::Reply(503, "service unavailable".into()));
    let hook = Receiver::start(|_: &receivers::Request| Answer::Hang);
    let urls = [
        format!("{}/cgi-bin/webhook/send?key={WECOM_KEY}", wecom.base()),
        format!("{}/robot/send?access_token={DING_TOKEN}", ding.base()),
        format!("{}/open-apis/bot/v2/hook/{FEISHU_TOKEN}", feishu.base()),
        format!("{}/services/{SLACK_PATH}", slack.base()),
        format!("{}/tcss/hook", hook.base()),
    ];
    let notify = [
        table("wecom", "WECOM_URL", ""),
        table("dingtalk", "DING_URL", "secret_env = \"DING_SECRET\"\n"),
        table("feishu", "FEISHU_URL", ""),
        table("slack", "SLACK_URL", ""),
        table("webhook", "HOOK_URL", "timeout_secs = 1\n"),
    ]
    .concat();
    let cfg = config(&h, "", &notify);
    let started = Instant::now();
    let o = h.run(
        &cfg,
        &env(&[
            ("WECOM_URL", &urls[0]),
            ("DING_URL", &urls[1]),
            ("DING_SECRET", DING_SECRET),
            ("FEISHU_URL", &urls[2]),
            ("SLACK_URL", &urls[3]),
            ("HOOK_URL", &urls[4]),
        ]),
        &["--fail-on", "utilization > 100%"],
    );
    let took = started.elapsed();
    assert_eq!(
        o.status.code(),
        Some(4),
        "the exit code is the run's: {}",
        stderr(&o)
    );
    // Two attempts of 1 s and the pause, well within a generous bound.
    assert!(took < Duration::from_secs(20), "{took:?}");
    let all = outcomes(&h);
    for kind in ["wecom", "dingtalk", "feishu", "slack", "webhook"] {
        assert_eq!(outcome(&all, kind)["status"], "failed", "{kind}: {all:?}");
    }
    let error = |kind: &str| outcome(&all, kind)["error"].as_str().unwrap().to_string();
    assert!(
        error("wecom").contains("errcode 93000"),
        "{}",
        error("wecom")
    );
    assert!(
        error("dingtalk").contains("errcode 310000: sign not match"),
        "{}",
        error("dingtalk")
    );
    assert!(
        error("feishu").contains("never follow redirects"),
        "{}",
        error("feishu")
    );
    assert!(error("slack").contains("HTTP 503"), "{}", error("slack"));
    assert!(
        error("webhook").contains("no answer within 1 s"),
        "{}",
        error("webhook")
    );
    // Only the transient failures are tried again, once.
    let attempts = |kind: &str| outcome(&all, kind)["attempts"].as_u64().unwrap();
    assert_eq!(
        [
            attempts("wecom"),
            attempts("dingtalk"),
            attempts("feishu"),
            attempts("slack"),
            attempts("webhook")
        ],
        [1, 1, 1, 2, 2]
    );
    assert_eq!(slack.requests().len(), 2);
    assert_eq!(hook.requests().len(), 2);
    assert_eq!(feishu.requests().len(), 1, "the redirect is not followed");
    let logs = stderr(&o);
    assert!(
        logs.contains("notification failed") && logs.contains("exit code is not changed"),
        "{logs}"
    );

    // The same run without notifications writes the same files.
    let quiet = h.out().with_file_name("quiet");
    let o = run_into(
        &cfg,
        &env(&[]),
        &["--fail-on", "utilization > 100%", "--no-notify"],
        &quiet,
    );
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert_eq!(kinds_of_files(&h.out()), kinds_of_files(&quiet));
}

#[test]
fn when_decides_which_runs_notify_and_no_notify_sends_nothing() {
    let h = fleet();
    let hook = Receiver::start(receivers::webhook());
    let url = format!("{}/hook", hook.base());
    let notify = [
        table("webhook", "HOOK_URL", "when = \"breach\"\n"),
        table("webhook", "HOOK_URL", "when = \"problem\"\n"),
        table("webhook", "HOOK_URL", "when = \"always\"\n"),
    ]
    .concat();
    let cfg = config(&h, "", &notify);
    // Exit 0: only `always`.
    let o = h.run(&cfg, &env(&[("HOOK_URL", &url)]), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let statuses: Vec<Value> = outcomes(&h).iter().map(|n| n["status"].clone()).collect();
    assert_eq!(statuses, ["skipped", "skipped", "sent"]);
    assert_eq!(hook.requests().len(), 1);
    assert!(stderr(&o).contains("notification skipped: `when = \"breach\"` and the run exits 0"));

    // Exit 3 (an account without keys): `problem` and `always`.
    let failing = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n{ACCOUNTS}[[accounts]]\nname = \"nokeys\"\n\
         secret_id_env = \"UNSET_ID\"\nsecret_key_env = \"UNSET_KEY\"\n{notify}"
    );
    let cfg = h.config("", &failing);
    let out3 = h.out().with_file_name("out3");
    let o = run_into(&cfg, &env(&[("HOOK_URL", &url)]), &[], &out3);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let j = json_in(&out3);
    let statuses: Vec<&Value> = j["run"]["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["status"])
        .collect();
    assert_eq!(statuses, ["skipped", "sent", "sent"]);
    let last = hook.requests().last().unwrap().json();
    assert_eq!(last["exit_code"], 3);
    // The account without keys: its three queries (images, edition,
    // auto-authorization) failed.
    assert_eq!(last["failures"], 3);

    // --no-notify: nothing sent, the variable not even read.
    let before = hook.requests().len();
    let out4 = h.out().with_file_name("out4");
    let o = run_into(&cfg, &env(&[]), &["--no-notify"], &out4);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(hook.requests().len(), before);
    assert_eq!(
        json_in(&out4)["run"]["notifications"],
        serde_json::json!([])
    );
}

#[test]
fn unusable_entries_are_named_at_validate_and_stop_run_before_any_call() {
    let h = fleet();
    let notify = [
        table("wecom", "WECOM_URL", ""),
        table("slack", "SLACK_URL", ""),
        "[[notify]]\nkind = \"email\"\nsmtp_url_env = \"SMTP_URL\"\nfrom = \"a@x.example\"\nto = [\"b@x.example\"]\n".to_string(),
    ]
    .concat();
    let cfg = config(&h, "", &notify);
    let secret_url = "http://hooks.example/services/T000/B000/planted-slack-token-0001";
    let vars = env(&[("SLACK_URL", secret_url)]);
    let validate = bin()
        .args(["validate", "--config"])
        .arg(&cfg)
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    assert_eq!(validate.status.code(), Some(2));
    let said = stderr(&validate);
    let name = cfg.display().to_string();
    let at = |needle: &str| {
        let (line, col) = position(&cfg, needle);
        format!("{name}:{line}:{col}: ")
    };
    assert!(
        said.contains("notifications ([[notify]]) not ready"),
        "{said}"
    );
    let wecom = format!(
        "{}`[[notify]]` wecom: the environment variable WECOM_URL",
        at("\"WECOM_URL\"")
    );
    assert!(said.contains(&wecom), "{wecom}\n{said}");
    let slack = format!(
        "{}`[[notify]]` slack: the slack URL in SLACK_URL: plain http",
        at("\"SLACK_URL\"")
    );
    assert!(said.contains(&slack), "{slack}\n{said}");
    let email = format!(
        "{}`[[notify]]` email: the environment variable SMTP_URL",
        at("\"SMTP_URL\"")
    );
    assert!(said.contains(&email), "{email}\n{said}");
    assert!(
        !said.contains("planted-slack-token"),
        "never quoted: {said}"
    );

    let o = h.run(&cfg, &vars, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("WECOM_URL"), "{}", stderr(&o));
    assert_eq!(h.snapshot().total, 0, "nothing was called");
    assert!(
        !h.out().exists() || std::fs::read_dir(h.out()).unwrap().next().is_none(),
        "nothing was written"
    );
    // --no-notify runs without them.
    let o = h.run(&cfg, &vars, &["--no-notify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn an_interrupted_run_notifies_when_problems_are_asked() {
    let mut slow = mgmt(data(1, 1, 1, 1));
    slow.faults = Faults {
        first_n: 1000,
        first_kind: Some(FaultKind::Hang),
        ..Faults::default()
    };
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![slow],
    });
    let hook = Receiver::start(receivers::webhook());
    let cfg = h.config(
        "timeout_secs = 60\n",
        &format!(
            "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\n{}",
            table("webhook", "HOOK_URL", "when = \"problem\"\n")
        ),
    );
    let mut c = h.command(&cfg);
    c.envs(MGMT_ENV)
        .env("HOOK_URL", format!("{}/hook", hook.base()));
    let (child, _log) = h.spawn(c);
    wait_until(Duration::from_secs(20), "the query to hang", || {
        h.snapshot().total >= 1
    });
    sigterm(&child);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130));
    let got = hook.requests();
    assert_eq!(got.len(), 1);
    let summary = got[0].json();
    assert_eq!(summary["exit_code"], 130);
    assert_eq!(summary["complete"], false);
    assert!(summary["title"].as_str().unwrap().contains("[INCOMPLETE]"));
    assert_eq!(outcomes(&h)[0]["status"], "sent");
}

#[test]
fn an_interrupt_while_notifying_abandons_the_sending_not_the_snapshot() {
    let h = fleet();
    let hook = Receiver::start(|_: &receivers::Request| Answer::Hang);
    let cfg = config(&h, "", &table("webhook", "HOOK_URL", "timeout_secs = 30\n"));
    let mut c = h.command(&cfg);
    let url = format!("{}/hook", hook.base());
    c.envs(env(&[("HOOK_URL", &url)]));
    let (child, log) = h.spawn(c);
    wait_until(Duration::from_secs(30), "the notification to hang", || {
        !hook.requests().is_empty()
    });
    let signalled = Instant::now();
    sigterm(&child);
    let o = child.wait_with_output().unwrap();
    let logs = std::fs::read_to_string(&log).unwrap();
    assert_eq!(o.status.code(), Some(0), "the reports are complete: {logs}");
    // Far sooner than the 30 s the hanging server would take.
    assert!(
        signalled.elapsed() < Duration::from_secs(15),
        "{:?}",
        signalled.elapsed()
    );
    assert!(
        logs.contains("notifications still being sent are abandoned"),
        "{logs}"
    );
    assert_eq!(outcomes(&h)[0]["status"], "unknown");
    assert_eq!(kinds_of_files(&h.out()), WITH_HTML);
}

#[test]
fn no_secret_reaches_any_output() {
    let h = fleet();
    // Receivers that echo the request back in their error (the worst a
    // platform could do): the key, the token, the whole URL.
    let echo = |r: &receivers::Request| {
        let text = format!("{} {:?}", r.target, r.headers);
        Answer::Reply(
            200,
            serde_json::json!({"errcode": 40001, "errmsg": text, "code": 1, "msg": text})
                .to_string(),
        )
    };
    let (wecom, ding, feishu) = (
        Receiver::start(echo),
        Receiver::start(echo),
        Receiver::start(echo),
    );
    // Slack's echo puts the token across the point where errors are cut
    // (500 characters): what is cut must be cleaned first.
    let slack = Receiver::start(|r: &receivers::Request| {
        Answer::Reply(400, format!("{}{}", "x".repeat(440), r.target))
    });
    let hook = Receiver::start(|r: &receivers::Request| {
        Answer::Reply(418, format!("{} {:?}", r.target, r.headers))
    });
    let hook_secret = "hooktoken-path-0000000001";
    let hook_query = "hook-query-secret-0000000002";
    let hook_password = "hook-basic-password-0003";
    let smtp_password = "smtp-password-planted-0004";
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp_port = closed.local_addr().unwrap().port();
    drop(closed);
    let urls = [
        format!("{}/cgi-bin/webhook/send?key={WECOM_KEY}", wecom.base()),
        format!("{}/robot/send?access_token={DING_TOKEN}", ding.base()),
        format!("{}/open-apis/bot/v2/hook/{FEISHU_TOKEN}", feishu.base()),
        format!("{}/services/{SLACK_PATH}", slack.base()),
        format!(
            "http://audit:{hook_password}@{}/hooks/{hook_secret}?token={hook_query}",
            hook.base().trim_start_matches("http://")
        ),
        format!("smtp://mailer:{smtp_password}@127.0.0.1:{smtp_port}"),
    ];
    let notify = [
        table("wecom", "WECOM_URL", ""),
        table("dingtalk", "DING_URL", "secret_env = \"DING_SECRET\"\n"),
        table("feishu", "FEISHU_URL", "secret_env = \"FEISHU_SECRET\"\n"),
        table("slack", "SLACK_URL", ""),
        table("webhook", "HOOK_URL", ""),
        "[[notify]]\nkind = \"email\"\nsmtp_url_env = \"SMTP_URL\"\nfrom = \"a@x.example\"\n\
         to = [\"b@x.example\"]\ntimeout_secs = 1\n"
            .to_string(),
    ]
    .concat();
    let cfg = config(&h, "", &notify);
    let mut c = h.command(&cfg);
    // Every log line the tool can write, as text and as JSON.
    c.args(["--verbose", "--formats", "csv,xlsx,json,md,prom"]);
    for (k, v) in env(&[
        ("WECOM_URL", &urls[0]),
        ("DING_URL", &urls[1]),
        ("DING_SECRET", DING_SECRET),
        ("FEISHU_URL", &urls[2]),
        ("FEISHU_SECRET", FEISHU_SECRET),
        ("SLACK_URL", &urls[3]),
        ("HOOK_URL", &urls[4]),
        ("SMTP_URL", &urls[5]),
    ]) {
        c.env(k, v);
    }
    let text_run: Output = c.output().unwrap();
    assert_eq!(text_run.status.code(), Some(0), "{}", stderr(&text_run));
    let all = outcomes(&h);
    assert_eq!(all.len(), 6);
    assert!(all.iter().all(|n| n["status"] == "failed"), "{all:?}");
    assert!(
        outcome(&all, "wecom")["error"]
            .as_str()
            .unwrap()
            .contains("[REDACTED]"),
        "the echoed key is redacted: {all:?}"
    );
    let planted = [
        WECOM_KEY,
        DING_TOKEN,
        DING_SECRET,
        FEISHU_TOKEN,
        FEISHU_SECRET,
        "slackwebhooktoken000000",
        "T0000ABCD",
        hook_secret,
        hook_query,
        hook_password,
        smtp_password,
    ];
    let mut outputs: Vec<(String, Vec<u8>)> = vec![
        ("stdout".into(), text_run.stdout.clone()),
        ("stderr".into(), text_run.stderr.clone()),
    ];
    for entry in walk(&h.out()) {
        outputs.push((entry.display().to_string(), std::fs::read(&entry).unwrap()));
    }
    assert!(
        outputs.len() > 7,
        "the reports and the history: {:?}",
        outputs.iter().map(|o| &o.0).collect::<Vec<_>>()
    );
    for (name, bytes) in &outputs {
        for secret in planted {
            // Its first 12 characters: no part of one either.
            let part = &secret[..secret.len().min(12)];
            assert!(
                !contains(bytes, part.as_bytes()),
                "{part} ({secret}) in {name}"
            );
        }
    }
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The editions lapsing within 30 days for want of renewal reach the
/// message (issue 21 filled the hook issue 25 left): an edition ending in
/// 10 days without automatic renewal is listed with its days, one that
/// renews automatically is not.
#[test]
fn the_message_lists_the_editions_lapsing_within_30_days() {
    use chrono::{Duration, FixedOffset, Utc};
    let beijing = FixedOffset::east_opt(8 * 3600).unwrap();
    let end = (Utc::now() + Duration::days(10) + Duration::hours(12))
        .with_timezone(&beijing)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let edition = |renewal: i64| {
        let v = serde_json::json!({
            "State": 3, "SubState": "NORMAL", "ExpirationTime": end,
            "AutomaticRenewal": renewal, "AllCoresCnt": 8, "CoresCnt": 8,
            "UndefendCoresCnt": 0, "AuthorizedCoresCnt": 8,
        });
        v.as_object().unwrap().clone()
    };
    let mut fleet = two_accounts();
    // mgmt: not renewing; light: renewing automatically.
    for (account, renewal) in fleet.accounts.iter_mut().zip([2, 1]) {
        account
            .answers
            .insert("DescribePurchaseStateInfo".into(), edition(renewal));
    }
    let h = Harness::new(fleet);
    let (wecom, hook) = (
        Receiver::start(receivers::wecom(WECOM_KEY)),
        Receiver::start(receivers::webhook()),
    );
    let urls = [
        format!("{}/cgi-bin/webhook/send?key={WECOM_KEY}", wecom.base()),
        format!("{}/tcss/hook", hook.base()),
    ];
    let notify = [
        table("wecom", "WECOM_URL", "when = \"always\"\n"),
        table("webhook", "HOOK_URL", "when = \"always\"\n"),
    ]
    .concat();
    let cfg = config(&h, "", &notify);
    let o = h.run(
        &cfg,
        &env(&[("WECOM_URL", &urls[0]), ("HOOK_URL", &urls[1])]),
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(h.json()["totals"]["editions_lapsing_30d"], 1);
    let summary = hook.requests()[0].json();
    assert_eq!(summary["lapsing_total"], 1, "{summary}");
    assert_eq!(summary["lapsing"][0]["account"], "mgmt", "{summary}");
    assert_eq!(summary["lapsing"][0]["days_to_lapse"], 10, "{summary}");
    let content = wecom.requests()[0].json()["markdown"]["content"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        content.contains("Editions lapsing within 30 days (1)"),
        "{content}"
    );
    assert!(content.contains("10 days"), "{content}");
    assert!(!content.contains("`light`"), "{content}");
}
