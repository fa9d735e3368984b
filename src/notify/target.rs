//! A `[[notify]]` entry made ready to send: its variables read, the URL in
//! them checked (https, or http to this machine; for email `smtps://`,
//! `smtp://` with STARTTLS, or plain `smtp://` to a loopback address), and
//! every secret in them listed for the run's redactor ([`Target::secrets`]).
//! The types holding a URL or a secret show only the host in `Debug`.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use lettre::message::Mailbox;
use tcapi::credentials::Env;
use tcapi::Secret;
use url::Url;

use crate::config::notify::{EnvVar, NotifyEntry, NotifyKind, NotifyWhen};
use crate::report::Format;

/// Why an entry cannot be sent: a variable unset, or its URL unusable.
/// The message never shows the variable's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
#[non_exhaustive]
pub struct ResolveError {
    /// 1-based line and column of the variable's name (or the entry) in the file.
    pub position: (usize, usize),
    /// What is wrong and what to do.
    pub message: String,
}

/// A URL that carries a key: `Debug` shows its host only.
#[derive(Clone)]
pub struct SecretUrl(Url);

impl SecretUrl {
    /// The URL itself: only to send to.
    pub fn expose(&self) -> &Url {
        &self.0
    }
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.0.host_str().unwrap_or_default())
    }
}

/// How an email reaches its SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtps://`: TLS from the first byte.
    Tls,
    /// `smtp://`: STARTTLS, required.
    StartTls,
    /// `smtp://` to a loopback address: no TLS (a relay on this machine).
    Plain,
}

/// An SMTP server, its user and password.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// The server's host name or address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// TLS, STARTTLS or plain.
    pub security: Security,
    /// The user to log in as, when the URL has one.
    pub user: Option<String>,
    /// The password (decoded).
    pub password: Option<Secret>,
}

/// Where one entry sends.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// A chat platform or a webhook: a URL, and the signing secret.
    Http {
        /// The URL (with its key).
        url: SecretUrl,
        /// The signing secret (`dingtalk`, `feishu`).
        secret: Option<Secret>,
    },
    /// An email.
    Email {
        /// The server.
        smtp: Smtp,
        /// The sender.
        from: Mailbox,
        /// The recipients.
        to: Vec<Mailbox>,
        /// The report files attached, by format.
        attach: Vec<Format>,
    },
}

/// One entry, ready to send.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its kind.
    pub kind: NotifyKind,
    /// Which runs it notifies.
    pub when: NotifyWhen,
    /// The host sent to (what the logs and the JSON show).
    pub host: String,
    /// Each attempt's time limit.
    pub timeout: Duration,
    /// Extra trusted roots (`[defaults] ca_file`).
    pub ca_files: Vec<PathBuf>,
    /// Where and how.
    pub endpoint: Endpoint,
}

/// Reads the variables of `entry` from `env` and checks what they hold.
pub fn resolve(
    entry: &NotifyEntry,
    env: &dyn Env,
    ca_files: &[PathBuf],
) -> Result<Target, ResolveError> {
    let timeout = Duration::from_secs(entry.timeout_secs);
    let (host, endpoint) = match entry.kind {
        NotifyKind::Email => email(entry, env)?,
        _ => http(entry, env)?,
    };
    Ok(Target {
        kind: entry.kind,
        when: entry.when,
        host,
        timeout,
        ca_files: ca_files.to_vec(),
        endpoint,
    })
}

/// The value of `var`, trimmed; unset or empty is an error naming it.
fn value(var: &EnvVar, env: &dyn Env, what: &str) -> Result<String, ResolveError> {
    match env.var(&var.name).map(|v| v.trim().to_string()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(ResolveError {
            position: var.position,
            message: format!(
                "the environment variable {} ({what}) is not set; set it, or run with \
                 --no-notify",
                var.name
            ),
        }),
    }
}

fn http(entry: &NotifyEntry, env: &dyn Env) -> Result<(String, Endpoint), ResolveError> {
    let kind = entry.kind.as_str();
    let var = entry.url_env.as_ref().ok_or_else(|| ResolveError {
        position: entry.position,
        message: format!("a {kind} notification needs `url_env`"),
    })?;
    let text = value(var, env, &format!("the {kind} URL"))?;
    let bad = |why: String| ResolveError {
        position: var.position,
        message: format!("the {kind} URL in {}: {why}", var.name),
    };
    // Not the parser's message: it may quote the URL.
    let url = Url::parse(&text).map_err(|_| bad("not a URL".into()))?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("the URL has no host".into()))?
        .to_string();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => {
            return Err(bad(format!(
                "plain http to {host} would send the key unencrypted; use https (http only \
                 to this machine)"
            )))
        }
        other => return Err(bad(format!("the scheme must be https, not {other:?}"))),
    }
    let secret = match &entry.secret_env {
        Some(v) => Some(Secret::new(value(
            v,
            env,
            &format!("the {kind} signing secret"),
        )?)),
        None => None,
    };
    Ok((
        host,
        Endpoint::Http {
            url: SecretUrl(url),
            secret,
        },
    ))
}

fn email(entry: &NotifyEntry, env: &dyn Env) -> Result<(String, Endpoint), ResolveError> {
    let var = entry.smtp_url_env.as_ref().ok_or_else(|| ResolveError {
        position: entry.position,
        message: "an email notification needs `smtp_url_env`".into(),
    })?;
    let text = value(var, env, "the SMTP server's URL")?;
    let smtp = smtp(&text).map_err(|why| ResolveError {
        position: var.position,
        message: format!("the SMTP URL in {}: {why}", var.name),
    })?;
    // Checked by `validate` already; a bad address here is a config error.
    let mailbox = |text: &str| {
        Mailbox::from_str(text).map_err(|e| ResolveError {
            position: entry.position,
            message: format!("{text:?} is not an email address ({e})"),
        })
    };
    let from = mailbox(entry.from.as_deref().unwrap_or_default())?;
    let to = entry
        .to
        .iter()
        .map(|t| mailbox(t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        smtp.host.clone(),
        Endpoint::Email {
            smtp,
            from,
            to,
            attach: entry.attach.clone(),
        },
    ))
}

/// `smtps://[user:password@]host[:465]`, `smtp://[user:password@]host[:587]`
/// (STARTTLS required), or `smtp://` to a loopback address (plain).
fn smtp(text: &str) -> Result<Smtp, String> {
    let url = Url::parse(text).map_err(|_| "not a URL".to_string())?;
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("the URL has no host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let (security, default_port) = match url.scheme() {
        "smtps" => (Security::Tls, 465),
        // A name (even `localhost`) could be pointed elsewhere: only an
        // address of this machine goes without TLS.
        "smtp" if is_loopback_address(&host) => (Security::Plain, 25),
        "smtp" => (Security::StartTls, 587),
        other => {
            return Err(format!(
                "the scheme must be smtps (TLS) or smtp (STARTTLS), not {other:?}"
            ))
        }
    };
    if !matches!(url.path(), "" | "/") || url.query().is_some() {
        return Err(
            "give only smtps:// or smtp://, the user, the password, the host and the port".into(),
        );
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let user = Some(decode(url.username())).filter(|u| !u.is_empty());
    let password = url.password().map(|p| Secret::new(decode(p)));
    if user.is_some() != password.is_some() {
        return Err("give both the user and the password (user:password@host), or neither".into());
    }
    Ok(Smtp {
        host,
        port: url.port().unwrap_or(default_port),
        security,
        user,
        password,
    })
}

/// A loopback address, or `localhost`: where plain http is allowed (as
/// for the API's endpoints).
fn is_loopback(host: &str) -> bool {
    is_loopback_address(host) || host.eq_ignore_ascii_case("localhost")
}

/// A loopback IP address (127.0.0.0/8, ::1).
fn is_loopback_address(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v| v.is_loopback()),
    })
}

impl Target {
    /// Every secret the entry holds, for the run's redactor: the URL as
    /// given and as sent, its path, query, key-like path segments and
    /// query values, a user's password and its basic-auth forms, the
    /// signing secret; for email the SMTP password and the `AUTH` forms
    /// of it.
    pub fn secrets(&self) -> Vec<String> {
        use base64::prelude::{Engine, BASE64_STANDARD};
        let mut out = Vec::new();
        match &self.endpoint {
            Endpoint::Http { url, secret } => {
                out.extend(url_secrets(url.expose()));
                if let Some(s) = secret {
                    out.push(s.expose().to_string());
                }
            }
            Endpoint::Email { smtp, .. } => {
                if let Some(p) = &smtp.password {
                    let (user, pass) = (smtp.user.as_deref().unwrap_or(""), p.expose());
                    out.push(pass.to_string());
                    out.push(BASE64_STANDARD.encode(pass));
                    out.push(BASE64_STANDARD.encode(format!("\0{user}\0{pass}")));
                }
            }
        }
        out.retain(|s| !s.trim().is_empty());
        out
    }
}

/// The secret parts of a URL (see [`Target::secrets`]).
fn url_secrets(url: &Url) -> Vec<String> {
    use base64::prelude::{Engine, BASE64_STANDARD};
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let mut out = vec![url.as_str().to_string()];
    if url.path().len() > 1 {
        out.push(url.path().to_string());
    }
    if let Some(q) = url.query() {
        out.push(q.to_string());
        for (_, v) in url.query_pairs() {
            out.push(v.into_owned());
        }
    }
    for segment in url.path_segments().into_iter().flatten() {
        if key_like(segment) {
            out.push(segment.to_string());
            out.push(decode(segment));
        }
    }
    if let Some(p) = url.password() {
        let user = decode(url.username());
        out.push(decode(p));
        out.push(BASE64_STANDARD.encode(format!("{user}:{}", decode(p))));
    }
    out
}

/// A path segment that holds a key rather than a word of the API
/// (`services`, `open-apis`, `hook`): long, or with a digit.
fn key_like(segment: &str) -> bool {
    segment.len() >= 16 || (segment.len() >= 8 && segment.chars().any(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Vars(HashMap<&'static str, &'static str>);

    impl Env for Vars {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| v.to_string())
        }
        fn home_dir(&self) -> Option<PathBuf> {
            None
        }
    }

    fn entry(kind: NotifyKind, url_env: &str) -> NotifyEntry {
        let var = |name: &str| EnvVar {
            name: name.into(),
            position: (7, 11),
        };
        NotifyEntry {
            kind,
            when: NotifyWhen::Always,
            url_env: (kind != NotifyKind::Email).then(|| var(url_env)),
            secret_env: kind.signs().then(|| var("SECRET")),
            smtp_url_env: (kind == NotifyKind::Email).then(|| var(url_env)),
            from: Some("a@x.example".into()),
            to: vec!["b@x.example".into()],
            attach: vec![Format::Xlsx],
            timeout_secs: 5,
            position: (5, 8),
        }
    }

    fn resolved(kind: NotifyKind, value: &'static str) -> Result<Target, ResolveError> {
        let env = Vars(HashMap::from([
            ("URL", value),
            ("SECRET", "SEC-dingtalk-0001"),
        ]));
        resolve(&entry(kind, "URL"), &env, &[])
    }

    #[test]
    fn the_secrets_of_each_kind_of_url_are_listed() {
        let t = resolved(
            NotifyKind::Wecom,
            " https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa\n",
        )
        .unwrap();
        assert_eq!(t.host, "qyapi.weixin.qq.com");
        let s = t.secrets();
        assert!(
            s.contains(&"693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa".to_string()),
            "{s:?}"
        );
        assert!(s.iter().any(|x| x.starts_with("https://qyapi")), "{s:?}");
        assert!(!s.contains(&"cgi-bin".to_string()) && !s.contains(&"webhook".to_string()));
        let t = resolved(
            NotifyKind::Slack,
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        )
        .unwrap();
        let s = t.secrets();
        for part in ["T00000000", "B00000000", "XXXXXXXXXXXXXXXXXXXXXXXX"] {
            assert!(s.contains(&part.to_string()), "{part}: {s:?}");
        }
        assert!(!s.contains(&"services".to_string()));
        let t = resolved(
            NotifyKind::Dingtalk,
            "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789",
        )
        .unwrap();
        let s = t.secrets();
        assert!(
            s.contains(&"abcdef0123456789".to_string())
                && s.contains(&"SEC-dingtalk-0001".to_string())
        );
        let debug = format!("{t:?}");
        assert!(
            !debug.contains("abcdef") && !debug.contains("SEC-"),
            "{debug}"
        );
    }

    #[test]
    fn unusable_urls_and_unset_variables_are_located_and_never_quoted() {
        let e = resolve(
            &entry(NotifyKind::Wecom, "UNSET"),
            &Vars(HashMap::new()),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.position, (7, 11));
        assert!(
            e.message.contains("UNSET") && e.message.contains("--no-notify"),
            "{e}"
        );
        let e = resolved(
            NotifyKind::Slack,
            "http://hooks.example/services/T000/B000/secret-xyz",
        )
        .unwrap_err();
        assert!(
            e.message.contains("plain http") && !e.message.contains("secret-xyz"),
            "{e}"
        );
        assert!(resolved(NotifyKind::Webhook, "http://127.0.0.1:9/x").is_ok());
        assert!(resolved(NotifyKind::Webhook, "http://localhost:9/x").is_ok());
        let e = resolved(NotifyKind::Webhook, "not a url secret-xyz").unwrap_err();
        assert!(
            e.message.contains("not a URL") && !e.message.contains("secret-xyz"),
            "{e}"
        );
        let e = resolved(NotifyKind::Webhook, "ftp://x.example/secret").unwrap_err();
        assert!(e.message.contains("https"), "{e}");
    }

    #[test]
    fn smtp_urls_choose_tls_starttls_or_plain() {
        let s = smtp("smtps://bob:p%40ss-word-1@mail.example").unwrap();
        assert_eq!(
            (s.security, s.port, s.host.as_str()),
            (Security::Tls, 465, "mail.example")
        );
        assert_eq!(s.user.as_deref(), Some("bob"));
        assert_eq!(s.password.unwrap().expose(), "p@ss-word-1");
        let s = smtp("smtp://bob:pw@mail.example").unwrap();
        assert_eq!((s.security, s.port), (Security::StartTls, 587));
        let s = smtp("smtp://127.0.0.1:2525").unwrap();
        assert_eq!((s.security, s.port), (Security::Plain, 2525));
        assert_eq!(smtp("smtp://[::1]").unwrap().security, Security::Plain);
        assert_eq!(
            smtp("smtp://localhost:25").unwrap().security,
            Security::StartTls
        );
        assert!(smtp("smtp://bob@mail.example")
            .unwrap_err()
            .contains("both"));
        assert!(smtp("imap://mail.example").unwrap_err().contains("scheme"));
        assert!(smtp("smtp://mail.example/x").is_err());
        let t = resolved(
            NotifyKind::Email,
            "smtps://bob:hunter2-password@mail.example:465",
        )
        .unwrap();
        let s = t.secrets();
        assert!(s.contains(&"hunter2-password".to_string()), "{s:?}");
        assert_eq!(t.host, "mail.example");
        let debug = format!("{t:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}
