//! `[[notify]]`: where a run's summary is sent, checked here as written
//! (`kind`, `when`, the names of the variables holding the URLs and the
//! secrets, the email's `from`, `to` and `attach`, `timeout_secs`), each
//! problem located at its value. The variables themselves are read, and
//! the URLs in them checked, by `crate::notify` (by `validate`, and by
//! `run` before any call): a URL is a secret and is never in the file.

use std::ops::Range;
use std::str::FromStr;

use toml::Spanned;

use super::locate::Problems;
use super::raw::RawNotify;
use crate::formats::Format;

/// Bounds of `[[notify]] timeout_secs`: (default, min, max).
pub const NOTIFY_TIMEOUT_SECS: (i64, i64, i64) = (5, 1, 30);

/// Where a notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyKind {
    /// A WeCom (企业微信) group robot: `markdown` messages.
    Wecom,
    /// A DingTalk robot, signed with `secret_env` when set.
    Dingtalk,
    /// A Feishu/Lark bot, signed with `secret_env` when set.
    Feishu,
    /// A Slack incoming webhook: Block Kit.
    Slack,
    /// Any URL: the summary as JSON.
    Webhook,
    /// An email through SMTP, with reports attached.
    Email,
}

impl NotifyKind {
    /// Every kind, in the order the docs list them.
    pub const ALL: [NotifyKind; 6] = [
        NotifyKind::Wecom,
        NotifyKind::Dingtalk,
        NotifyKind::Feishu,
        NotifyKind::Slack,
        NotifyKind::Webhook,
        NotifyKind::Email,
    ];

    /// The name in the config and in JSON `run.notifications`.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyKind::Wecom => "wecom",
            NotifyKind::Dingtalk => "dingtalk",
            NotifyKind::Feishu => "feishu",
            NotifyKind::Slack => "slack",
            NotifyKind::Webhook => "webhook",
            NotifyKind::Email => "email",
        }
    }

    /// Whether its messages are signed with a secret (`secret_env`).
    pub fn signs(self) -> bool {
        matches!(self, NotifyKind::Dingtalk | NotifyKind::Feishu)
    }
}

impl FromStr for NotifyKind {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        NotifyKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

/// Which runs notify, by their exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyWhen {
    /// Every run.
    Always,
    /// Runs that did not exit 0: 1, 3, 4, 5, 130.
    Problem,
    /// Runs that breached a threshold (exit 4).
    Breach,
}

impl NotifyWhen {
    /// Every value, as the config writes them.
    pub const ALL: [NotifyWhen; 3] = [NotifyWhen::Always, NotifyWhen::Problem, NotifyWhen::Breach];

    /// The name in the config.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyWhen::Always => "always",
            NotifyWhen::Problem => "problem",
            NotifyWhen::Breach => "breach",
        }
    }

    /// Whether a run that exits with `exit_code` notifies.
    pub fn includes(self, exit_code: u8) -> bool {
        match self {
            NotifyWhen::Always => true,
            NotifyWhen::Problem => exit_code != 0,
            NotifyWhen::Breach => exit_code == 4,
        }
    }
}

/// The name of an environment variable, and where the file names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable's name.
    pub name: String,
    /// 1-based line and column of the name in the file.
    pub position: (usize, usize),
}

/// One `[[notify]]` table, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyEntry {
    /// Where it goes.
    pub kind: NotifyKind,
    /// Which runs notify.
    pub when: NotifyWhen,
    /// The variable holding the URL (every kind but `email`).
    pub url_env: Option<EnvVar>,
    /// The variable holding the signing secret (`dingtalk`, `feishu`).
    pub secret_env: Option<EnvVar>,
    /// The variable holding the SMTP server's URL (`email`).
    pub smtp_url_env: Option<EnvVar>,
    /// The sender (`email`), as written: `a@b.example` or `Name <a@b.example>`.
    pub from: Option<String>,
    /// The recipients (`email`), never empty for an email.
    pub to: Vec<String>,
    /// The report files attached (`email`), by format.
    pub attach: Vec<Format>,
    /// Each attempt's time limit.
    pub timeout_secs: u64,
    /// 1-based line and column of its `kind`.
    pub position: (usize, usize),
}

impl NotifyEntry {
    /// Its variables: the URL's, the SMTP URL's, the secret's.
    #[cfg(test)]
    pub fn env_vars(&self) -> impl Iterator<Item = &EnvVar> {
        [&self.url_env, &self.smtp_url_env, &self.secret_env]
            .into_iter()
            .flatten()
    }
}

/// Every `[[notify]]` table, checked, in file order.
pub(super) fn notify(problems: &mut Problems<'_>, raw: &[RawNotify]) -> Vec<NotifyEntry> {
    raw.iter().filter_map(|n| entry(problems, n)).collect()
}

fn entry(problems: &mut Problems<'_>, n: &RawNotify) -> Option<NotifyEntry> {
    let kind = match NotifyKind::from_str(n.kind.get_ref()) {
        Ok(k) => Some(k),
        Err(()) => {
            let names: Vec<&str> = NotifyKind::ALL.iter().map(|k| k.as_str()).collect();
            problems.error(
                n.kind.span(),
                format!(
                    "`[[notify]] kind` {:?} is not a kind of notification; use one of {}",
                    n.kind.get_ref(),
                    names.join(", ")
                ),
            );
            None
        }
    };
    let when = when(problems, &n.when);
    let timeout_secs = timeout(problems, &n.timeout_secs);
    let url_env = var(problems, &n.url_env, "url_env");
    let secret_env = var(problems, &n.secret_env, "secret_env");
    let smtp_url_env = var(problems, &n.smtp_url_env, "smtp_url_env");
    let kind = kind?;
    let position = problems.lines().line_col(n.kind.span().start);
    let mut out = NotifyEntry {
        kind,
        when,
        url_env,
        secret_env,
        smtp_url_env,
        from: None,
        to: Vec::new(),
        attach: Vec::new(),
        timeout_secs,
        position,
    };
    keys_of_kind(problems, n, kind);
    if kind == NotifyKind::Email {
        email(problems, n, &mut out);
    }
    Some(out)
}

/// The keys `kind` needs are there, and no key of another kind is.
fn keys_of_kind(problems: &mut Problems<'_>, n: &RawNotify, kind: NotifyKind) {
    let name = kind.as_str();
    let email = kind == NotifyKind::Email;
    if !email && n.url_env.is_none() {
        problems.error(
            n.kind.span(),
            format!(
                "`[[notify]]` of kind {name}: set `url_env` to the environment variable that \
                 holds the URL (the URL carries the key: it is a secret, never in the file)"
            ),
        );
    }
    if email && n.smtp_url_env.is_none() {
        problems.error(
            n.kind.span(),
            "`[[notify]]` of kind email: set `smtp_url_env` to the environment variable that \
             holds the SMTP server's URL (smtps://user:password@host:465 or \
             smtp://user:password@host:587)",
        );
    }
    let misplaced: [(&str, Option<Range<usize>>, bool); 6] = [
        ("url_env", n.url_env.as_ref().map(Spanned::span), email),
        (
            "secret_env",
            n.secret_env.as_ref().map(Spanned::span),
            !kind.signs(),
        ),
        (
            "smtp_url_env",
            n.smtp_url_env.as_ref().map(Spanned::span),
            !email,
        ),
        ("from", n.from.as_ref().map(Spanned::span), !email),
        ("to", n.to.as_ref().map(Spanned::span), !email),
        ("attach", n.attach.as_ref().map(Spanned::span), !email),
    ];
    for (key, span, wrong) in misplaced {
        let (Some(span), true) = (span, wrong) else {
            continue;
        };
        let why = match key {
            "secret_env" => "only dingtalk and feishu messages are signed".to_string(),
            "url_env" => "an email goes through `smtp_url_env`".to_string(),
            _ => "it is a key of kind email".to_string(),
        };
        problems.error(
            span,
            format!("`[[notify]] {key}` does not apply to kind {name}: {why}; remove it"),
        );
    }
}

/// `from`, `to` and `attach` of an email.
fn email(problems: &mut Problems<'_>, n: &RawNotify, out: &mut NotifyEntry) {
    match &n.from {
        None => problems.error(
            n.kind.span(),
            "`[[notify]]` of kind email: set `from` to the sender's address",
        ),
        Some(from) => {
            if let Err(e) = lettre::message::Mailbox::from_str(from.get_ref()) {
                problems.error(
                    from.span(),
                    format!(
                        "`[[notify]] from` {:?} is not an email address ({e})",
                        from.get_ref()
                    ),
                );
            }
            out.from = Some(from.get_ref().clone());
        }
    }
    match &n.to {
        Some(to) if !to.get_ref().is_empty() => {
            for address in to.get_ref() {
                if let Err(e) = lettre::message::Mailbox::from_str(address) {
                    problems.error(
                        to.span(),
                        format!("`[[notify]] to`: {address:?} is not an email address ({e})"),
                    );
                }
            }
            out.to = to.get_ref().clone();
        }
        Some(to) => problems.error(
            to.span(),
            "`[[notify]] to` is empty: list at least one recipient",
        ),
        None => problems.error(
            n.kind.span(),
            "`[[notify]]` of kind email: set `to` to the recipients, like [\"finance@example.com\"]",
        ),
    }
    out.attach = match &n.attach {
        None => vec![Format::Xlsx],
        Some(list) => attach(problems, list),
    };
}

/// `attach`: report formats of this version, each once.
fn attach(problems: &mut Problems<'_>, list: &Spanned<Vec<String>>) -> Vec<Format> {
    let mut out = Vec::new();
    for name in list.get_ref() {
        match Format::from_str(name) {
            Ok(f) if !out.contains(&f) => out.push(f),
            Ok(_) => {}
            Err(_) => {
                let known: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
                problems.error(
                    list.span(),
                    format!(
                        "`[[notify]] attach`: {name:?} is not a report format of this version \
                         of tcss-report; attach any of {}",
                        known.join(", ")
                    ),
                );
            }
        }
    }
    out
}

fn when(problems: &mut Problems<'_>, raw: &Option<Spanned<String>>) -> NotifyWhen {
    let Some(w) = raw else {
        return NotifyWhen::Always;
    };
    match NotifyWhen::ALL
        .into_iter()
        .find(|v| v.as_str() == w.get_ref())
    {
        Some(v) => v,
        None => {
            problems.error(
                w.span(),
                format!(
                    "`[[notify]] when` {:?} is not one of always, problem (any exit but 0), \
                     breach (exit 4)",
                    w.get_ref()
                ),
            );
            NotifyWhen::Always
        }
    }
}

fn timeout(problems: &mut Problems<'_>, raw: &Option<Spanned<i64>>) -> u64 {
    let (default, min, max) = NOTIFY_TIMEOUT_SECS;
    match raw {
        None => default as u64,
        Some(t) if (min..=max).contains(t.get_ref()) => *t.get_ref() as u64,
        Some(t) => {
            problems.error(
                t.span(),
                format!(
                    "`[[notify]] timeout_secs` must be from {min} to {max}; got {}",
                    t.get_ref()
                ),
            );
            default as u64
        }
    }
}

/// A variable's name, checked (letters, digits, `_`, not starting with a digit).
fn var(problems: &mut Problems<'_>, raw: &Option<Spanned<String>>, key: &str) -> Option<EnvVar> {
    let v = raw.as_ref()?;
    let name = v.get_ref();
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        problems.error(
            v.span(),
            format!(
                "`[[notify]] {key}` must name an environment variable (letters, digits, `_`); \
                 got {name:?}"
            ),
        );
    }
    Some(EnvVar {
        name: name.clone(),
        position: problems.lines().line_col(v.span().start),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::{Config, ConfigError};

    fn parse(notify: &str) -> Result<Config, ConfigError> {
        let text = format!("[[accounts]]\nname = \"a\"\n\n{notify}");
        Config::parse(&text, Path::new("/etc/tcss/accounts.toml"))
    }

    fn errors(notify: &str) -> String {
        match parse(notify) {
            Err(ConfigError::Invalid(problems)) => problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            other => panic!("expected an invalid config: {other:?}"),
        }
    }

    #[test]
    fn every_kind_is_read_with_its_keys() {
        let c = parse(
            "[[notify]]\nkind = \"wecom\"\nurl_env = \"WECOM_URL\"\nwhen = \"problem\"\n\
             [[notify]]\nkind = \"dingtalk\"\nurl_env = \"DT\"\nsecret_env = \"DT_SECRET\"\n\
             [[notify]]\nkind = \"email\"\nsmtp_url_env = \"SMTP\"\nfrom = \"Audit <a@x.example>\"\n\
             to = [\"f@x.example\"]\nattach = [\"xlsx\", \"md\", \"xlsx\", \"html\"]\ntimeout_secs = 2\n\
             [[notify]]\nkind = \"slack\"\nurl_env = \"SLACK\"\nwhen = \"breach\"\n",
        )
        .expect("valid");
        let n = &c.notify;
        assert_eq!(n.len(), 4);
        assert_eq!(n[0].kind, NotifyKind::Wecom);
        assert_eq!(n[0].when, NotifyWhen::Problem);
        assert_eq!(n[0].url_env.as_ref().unwrap().name, "WECOM_URL");
        assert_eq!(n[0].url_env.as_ref().unwrap().position, (6, 11));
        assert_eq!(n[0].position, (5, 8));
        assert_eq!(n[0].timeout_secs, 5);
        assert_eq!(n[1].secret_env.as_ref().unwrap().name, "DT_SECRET");
        assert_eq!(n[1].when, NotifyWhen::Always, "the default");
        assert_eq!(n[2].attach, [Format::Xlsx, Format::Markdown, Format::Html]);
        assert_eq!(n[2].to, ["f@x.example"]);
        assert_eq!(n[2].timeout_secs, 2);
        assert_eq!(n[3].when, NotifyWhen::Breach);
        let names: Vec<&str> = n[1].env_vars().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["DT", "DT_SECRET"]);
        let c = parse("[[notify]]\nkind = \"email\"\nsmtp_url_env = \"S\"\nfrom = \"a@x.example\"\nto = [\"b@x.example\"]\n")
            .expect("valid");
        assert_eq!(c.notify[0].attach, [Format::Xlsx], "the default attachment");
    }

    #[test]
    fn when_follows_the_exit_code() {
        for code in [0, 1, 3, 4, 5, 130] {
            assert!(NotifyWhen::Always.includes(code));
            assert_eq!(NotifyWhen::Problem.includes(code), code != 0, "{code}");
            assert_eq!(NotifyWhen::Breach.includes(code), code == 4, "{code}");
        }
    }

    #[test]
    fn bad_entries_are_located_errors() {
        let e = errors("[[notify]]\nkind = \"teams\"\nurl_env = \"X\"\n");
        assert!(
            e.contains("accounts.toml:5:8:") && e.contains("\"teams\" is not a kind"),
            "{e}"
        );
        assert!(
            e.contains("wecom, dingtalk, feishu, slack, webhook, email"),
            "{e}"
        );
        let e = errors("[[notify]]\nkind = \"wecom\"\n");
        assert!(e.contains(":5:8:") && e.contains("set `url_env`"), "{e}");
        let e = errors("[[notify]]\nkind = \"wecom\"\nurl_env = \"W\"\nsecret_env = \"S\"\n");
        assert!(
            e.contains(":7:14:") && e.contains("only dingtalk and feishu messages are signed"),
            "{e}"
        );
        let e =
            errors("[[notify]]\nkind = \"slack\"\nurl_env = \"my url\"\nwhen = \"sometimes\"\n");
        assert!(
            e.contains(":6:11:") && e.contains("environment variable"),
            "{e}"
        );
        assert!(e.contains(":7:8:") && e.contains("\"sometimes\""), "{e}");
        let e = errors(
            "[[notify]]\nkind = \"email\"\nsmtp_url_env = \"S\"\nfrom = \"a@x.example\"\nto = []\n",
        );
        assert!(e.contains(":8:6:") && e.contains("to` is empty"), "{e}");
        let e = errors("[[notify]]\nkind = \"email\"\nsmtp_url_env = \"S\"\nfrom = \"not an address\"\nto = [\"b@x.example\"]\nurl_env = \"U\"\n");
        assert!(
            e.contains(":7:8:") && e.contains("not an email address"),
            "{e}"
        );
        assert!(e.contains(":9:11:") && e.contains("smtp_url_env"), "{e}");
        let e = errors("[[notify]]\nkind = \"email\"\nsmtp_url_env = \"S\"\nfrom = \"a@x.example\"\nto = [\"b@x.example\"]\nattach = [\"xlsx\", \"pdf\"]\n");
        assert!(
            e.contains(":9:10:") && e.contains("\"pdf\" is not a report format of this version"),
            "{e}"
        );
        let e = errors("[[notify]]\nkind = \"webhook\"\nurl_env = \"U\"\ntimeout_secs = 90\n");
        assert!(e.contains(":7:16:") && e.contains("from 1 to 30"), "{e}");
        let e = errors("[[notify]]\nkind = \"webhook\"\nurl = \"https://x\"\n");
        assert!(
            e.contains(":6:1:") && e.contains("unknown key `url` in [[notify]]"),
            "{e}"
        );
    }
}
