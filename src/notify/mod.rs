//! Notifications (`[[notify]]`): once the reports are written, the run
//! recorded and the metrics delivered, a short summary of the run goes to
//! every entry whose `when` includes the run's exit code: a WeCom group
//! robot, a DingTalk or Feishu bot (signed), a Slack incoming webhook, any
//! webhook (JSON), an email with the reports attached.
//!
//! This module owns the targets ([`target`]: variables read, URLs checked,
//! secrets listed for the redactor), the message ([`message`]: pure, from
//! the report's numbers, cut to each platform's limit), one module per
//! platform (its format, limit, signature and answer), and the sending
//! ([`send`]: best effort, a timeout, at most one retry on a transient
//! failure, no redirects). Every entry is sent at once; the outcome of
//! each is logged and returned for JSON `run.notifications`. Nothing here
//! chooses or changes the exit code: `cli` decides it first and passes it
//! in.

pub mod dingtalk;
pub mod email;
pub mod feishu;
pub mod message;
pub mod send;
pub mod slack;
pub mod target;
pub mod webhook;
pub mod wecom;

use std::path::PathBuf;

use tcapi::credentials::Env;

use crate::config::notify::{NotifyEntry, NotifyKind};
use crate::config::{Config, Problem};
use crate::model::{NotificationOutcome, NotificationStatus};
use crate::redact::Redactor;
use crate::report::Report;
pub use email::ReportFile;
use message::Summary;
use send::{with_retry, Failure};
pub use target::{Endpoint, ResolveError, Target};

/// The longest error kept for a notification, in characters.
pub const ERROR_CHARS: usize = 500;

/// A run's notification targets, resolved.
#[derive(Debug, Default)]
pub struct Targets(Vec<Target>);

impl Targets {
    /// Every entry of `entries` made ready (variables read from `env`,
    /// URLs checked), or every problem found.
    pub fn resolve(
        entries: &[NotifyEntry],
        env: &dyn Env,
        ca_files: &[PathBuf],
    ) -> Result<Targets, Vec<ResolveError>> {
        let mut targets = Vec::new();
        let mut problems = Vec::new();
        for entry in entries {
            match target::resolve(entry, env, ca_files) {
                Ok(t) => targets.push(t),
                Err(e) => problems.push(ResolveError {
                    message: format!("`[[notify]]` {}: {}", entry.kind.as_str(), e.message),
                    ..e
                }),
            }
        }
        if problems.is_empty() {
            Ok(Targets(targets))
        } else {
            Err(problems)
        }
    }

    /// Whether there is nowhere to send.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every secret of every target, for the run's redactor.
    pub fn secrets(&self) -> Vec<String> {
        self.0.iter().flat_map(Target::secrets).collect()
    }

    /// Each target's outcome before anything is sent: `unknown`.
    pub fn pending(&self) -> Vec<NotificationOutcome> {
        self.0
            .iter()
            .map(|t| outcome(t, NotificationStatus::Unknown, 0, None))
            .collect()
    }
}

/// The problems `validate` reports for the `[[notify]]` entries of
/// `config`: variables unset, URLs unusable; located in the file.
pub fn check(config: &Config, env: &dyn Env) -> Vec<Problem> {
    let ca_files: Vec<PathBuf> = config.defaults.ca_file.iter().cloned().collect();
    match Targets::resolve(&config.notify, env, &ca_files) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .into_iter()
            .map(|p| Problem {
                path: config.path.display().to_string(),
                position: Some(p.position),
                message: p.message,
            })
            .collect(),
    }
}

/// How the run ended, as the notifications tell it.
#[derive(Debug)]
pub struct RunEnd<'a> {
    /// The aggregated report, breaches included.
    pub report: &'a Report,
    /// The exit code the run ends with.
    pub exit_code: u8,
    /// What it means, in words.
    pub exit_meaning: &'a str,
    /// The files of the set, where they can be read now (for attachments).
    pub files: &'a [ReportFile],
}

/// Sends to every target whose `when` includes the run's exit code, all
/// at once; returns one outcome per target, in order, each logged. Error
/// texts are cleaned of every secret `redactor` knows.
pub async fn send_all(
    targets: &Targets,
    run: &RunEnd<'_>,
    redactor: &Redactor,
) -> Vec<NotificationOutcome> {
    let summary = Summary::of(run.report, run.exit_code, run.exit_meaning);
    let sends = targets.0.iter().map(|t| async {
        if !t.when.includes(run.exit_code) {
            tracing::info!(
                kind = t.kind.as_str(),
                host = %t.host,
                "notification skipped: `when = \"{}\"` and the run exits {}",
                t.when.as_str(),
                run.exit_code
            );
            return outcome(t, NotificationStatus::Skipped, 0, None);
        }
        let (attempts, result) = send_one(t, &summary, run).await;
        match result {
            Ok(()) => {
                tracing::info!(kind = t.kind.as_str(), host = %t.host, attempts, "notification sent");
                outcome(t, NotificationStatus::Sent, attempts, None)
            }
            Err(f) => {
                // Cleaned of secrets before it is cut: no part of one is left.
                let error = crate::sanitize::clean(&redactor.redact(&f.message), ERROR_CHARS)
                    .into_owned();
                tracing::warn!(
                    kind = t.kind.as_str(),
                    host = %t.host,
                    attempts,
                    "notification failed: {error}; the run's exit code is not changed"
                );
                outcome(t, NotificationStatus::Failed, attempts, Some(error))
            }
        }
    });
    futures::future::join_all(sends).await
}

fn outcome(
    t: &Target,
    status: NotificationStatus,
    attempts: u32,
    error: Option<String>,
) -> NotificationOutcome {
    NotificationOutcome {
        kind: t.kind.as_str().to_string(),
        host: t.host.clone(),
        when: t.when.as_str().to_string(),
        status,
        attempts,
        error,
    }
}

/// One target: its message, sent (and once more on a transient failure).
async fn send_one(t: &Target, s: &Summary, run: &RunEnd<'_>) -> (u32, Result<(), Failure>) {
    match &t.endpoint {
        Endpoint::Http { url, secret } => {
            let secret = secret.as_ref().map(|k| k.expose());
            send_http(t, url.expose(), secret, s).await
        }
        Endpoint::Email {
            smtp,
            from,
            to,
            attach,
        } => {
            let files = email::attachments(attach, &s.stem, run.files);
            for (name, why) in &files.left_out {
                tracing::warn!(host = %t.host, "email: {name} not attached: {why}");
            }
            let message = match email::message(s, from, to, files) {
                Ok(m) => m,
                Err(f) => return (0, Err(f)),
            };
            with_retry(|| email::send(smtp, &t.ca_files, t.timeout, &message)).await
        }
    }
}

/// A chat platform or a webhook: the request built (and signed) afresh
/// for each attempt, its answer checked as the platform writes it.
async fn send_http(
    t: &Target,
    url: &url::Url,
    secret: Option<&str>,
    s: &Summary,
) -> (u32, Result<(), Failure>) {
    let client = match tcapi::service_client(url, &t.ca_files, t.timeout) {
        Ok(c) => c,
        Err(e) => {
            let message = format!("cannot prepare the request: {e}");
            return (
                0,
                Err(Failure {
                    message,
                    transient: false,
                }),
            );
        }
    };
    let check = match t.kind {
        NotifyKind::Wecom | NotifyKind::Dingtalk => send::errcode_answer,
        NotifyKind::Feishu => send::feishu_answer,
        NotifyKind::Slack => send::slack_answer,
        NotifyKind::Webhook | NotifyKind::Email => send::any_2xx,
    };
    let client = &client;
    with_retry(|| {
        let (to, body) = request(t.kind, url, secret, s, chrono::Utc::now());
        async move { send::post_json(client, &to, body, t.timeout, check).await }
    })
    .await
}

/// Where to `POST` and what, for `kind`, signed at `now` with `secret`
/// when the platform signs.
fn request(
    kind: NotifyKind,
    url: &url::Url,
    secret: Option<&str>,
    s: &Summary,
    now: chrono::DateTime<chrono::Utc>,
) -> (url::Url, Vec<u8>) {
    match kind {
        NotifyKind::Wecom => (url.clone(), wecom::body(s)),
        NotifyKind::Dingtalk => {
            let to = match secret {
                Some(k) => dingtalk::signed_url(url, k, now.timestamp_millis()),
                None => url.clone(),
            };
            (to, dingtalk::body(s))
        }
        NotifyKind::Feishu => (
            url.clone(),
            feishu::body(s, secret.map(|k| (k, now.timestamp()))),
        ),
        NotifyKind::Slack => (url.clone(), slack::body(s)),
        NotifyKind::Webhook | NotifyKind::Email => {
            (url.clone(), webhook::body(s, env!("CARGO_PKG_VERSION")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::message::tests::big_report;
    use super::*;

    /// The 10,000-account run with 500 breaches (and 500 over-licensed
    /// accounts): every platform's message fits its limit, says how many
    /// items it left out, and shows no markup from a hostile name.
    #[test]
    fn a_large_run_is_cut_to_each_platforms_limit() {
        let report = big_report(10_000, 500);
        assert_eq!(report.breaches.len(), 501);
        let s = Summary::of(&report, 4, "a threshold was breached");
        assert_eq!(s.over_licensed.len(), 500);

        let wecom = wecom::content(&s);
        assert!(wecom.len() <= wecom::CONTENT_LIMIT, "{}", wecom.len());
        assert!(wecom.len() > wecom::CONTENT_LIMIT - 200, "as much as fits");
        assert_and_more(&wecom, 500);

        for (name, body, limit) in [
            ("dingtalk", dingtalk::body(&s), dingtalk::BODY_LIMIT),
            (
                "feishu",
                feishu::body(&s, Some(("SECxyz", 1_700_000_000))),
                feishu::BODY_LIMIT,
            ),
            ("webhook", webhook::body(&s, "0.1.0"), webhook::BODY_LIMIT),
        ] {
            assert!(body.len() <= limit, "{name}: {}", body.len());
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            let text = v.to_string();
            if name != "webhook" {
                assert_and_more(&text, 500);
            }
        }
        let webhook: serde_json::Value =
            serde_json::from_slice(&webhook::body(&s, "0.1.0")).unwrap();
        assert_eq!(webhook["over_licensed_total"], 500);
        assert_eq!(webhook["breaches_total"], 501);
        let shown = webhook["over_licensed"].as_array().unwrap().len();
        assert_eq!(shown, 500, "64 KiB hold them all");
        // Ten times as many do not fit: cut, and counted.
        let more = Summary::of(&big_report(10_000, 5_000), 4, "a threshold was breached");
        let body = webhook::body(&more, "0.1.0");
        assert!(body.len() <= webhook::BODY_LIMIT && body.len() > webhook::BODY_LIMIT - 200);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["over_licensed_total"], 5_000);
        let shown = v["over_licensed"].as_array().unwrap().len();
        assert!(shown < 5_000 && shown > 100, "{shown}");

        let section = slack::section(&s);
        assert!(section.chars().count() <= slack::SECTION_LIMIT);
        assert_and_more(&section, 500);
        assert!(!section.contains('<'), "escaped: {section}");
    }

    /// The over-licensed list of `total` items ends with its count of the rest.
    fn assert_and_more(text: &str, total: usize) {
        // Each item ends `N short`; the heading says `licenses short`.
        let shown = text.matches(" short").count() - 1;
        let more = format!(
            "… and {} more",
            crate::columns::thousands((total - shown) as i64)
        );
        assert!(
            shown > 0 && text.contains(&more),
            "{shown} shown, no {more:?}: {text}"
        );
    }

    #[test]
    fn a_hostile_name_formats_nothing_anywhere() {
        let report = big_report(3, 3);
        let s = Summary::of(&report, 4, "a threshold was breached");
        for text in [
            wecom::content(&s),
            String::from_utf8(dingtalk::body(&s)).unwrap(),
        ] {
            assert!(
                text.contains("`‹@all> *bold* [x](https://evil.example) 'tick' &amp;`"),
                "{text}"
            );
            assert!(text.contains("`remaining_authorized < 0`"), "{text}");
        }
        let slack = slack::section(&s);
        assert!(
            slack.contains("`&lt;@all&gt; *bold* [x](https://evil.example) 'tick' &amp;amp;`"),
            "{slack}"
        );
        assert!(!slack.contains("&amp;lt;"), "escaped once: {slack}");
    }
}
