//! `--pushgateway URL` and `[defaults] pushgateway`: the metrics sent with
//! HTTP `PUT` to `<URL>/metrics/job/tcss_report/config/<config>`, where
//! `<config>` is the config file's name without its extension (URL-escaped):
//! each config's push replaces only its own group. A simulated run's group
//! adds `simulated="true"` and a subset's `selection="<its selectors>"`
//! (base64url in the path, as the Pushgateway reads a value that may hold a
//! `/`), so neither replaces the full run's metrics ([`Group`]). The request trusts what
//! the API client trusts (system roots, `ca_file`), goes through the
//! environment's proxies unless the gateway is on loopback, and is bounded
//! by the run's `timeout_secs`. Messages never show the URL's user or
//! password.
//!
//! A URL's user and password are sent as basic authentication, the header
//! built here ([`Pushgateway::authorization`]), so the exact strings a
//! gateway could echo back (the password, `base64(user:password)`, the
//! whole header value) are the ones registered as secrets
//! ([`Pushgateway::secrets`]). A refusal's body is read up to
//! [`BODY_READ`] bytes only (a gateway or proxy answering an endless error
//! page costs nothing), cleaned of those secrets before it is cut, and
//! shown up to 300 characters.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;
use url::Url;

use crate::config::pushgateway::{shown, GatewayUrl};

/// The Pushgateway job every run pushes to.
pub const JOB: &str = "tcss_report";
/// The grouping label naming the config the run read.
pub const CONFIG_LABEL: &str = "config";
/// The grouping label of a simulated run (`true`).
pub const SIMULATED_LABEL: &str = "simulated";
/// The grouping label of a subset: its selectors
/// ([`crate::model::selection_label`]).
pub const SELECTION_LABEL: &str = "selection";

/// The Pushgateway group a run's push replaces: its config's name, and
/// whether it is simulated or a subset (each its own group, so a subset
/// run never replaces the full run's metrics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The config file's name without its extension.
    pub config: String,
    /// A `--simulate` run.
    pub simulated: bool,
    /// The canonical selection (`--only`, `--exclude`); empty: every account.
    pub selection: Vec<String>,
}

impl Group {
    /// The group of a full, real run of the config named `config`.
    #[cfg(test)]
    pub fn config(config: &str) -> Group {
        Group {
            config: config.to_string(),
            simulated: false,
            selection: Vec::new(),
        }
    }

    /// The path segments after `/metrics`: `job/tcss_report/config/<config>`,
    /// then `simulated/true` for a simulated run and
    /// `selection@base64/<base64url>` for a subset.
    fn segments(&self) -> Vec<String> {
        use base64::prelude::{Engine, BASE64_URL_SAFE_NO_PAD};
        let mut out: Vec<String> = ["job", JOB, CONFIG_LABEL, &self.config]
            .map(str::to_string)
            .to_vec();
        if self.simulated {
            out.extend([SIMULATED_LABEL.to_string(), "true".to_string()]);
        }
        if !self.selection.is_empty() {
            let text = crate::model::selection_label(&self.selection);
            out.push(format!("{SELECTION_LABEL}@base64"));
            out.push(BASE64_URL_SAFE_NO_PAD.encode(text));
        }
        out
    }
}
/// At most this much of a refusal's body is shown (characters).
const BODY_SHOWN: usize = 300;
/// At most this much of a refusal's body is read (bytes); the rest is
/// never received (the connection is dropped).
pub const BODY_READ: usize = 16 * 1024;

/// The push could not be done; the run goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The HTTP client could not be built (e.g. an unreadable `ca_file`).
    #[error("cannot push the metrics: {reason}")]
    Client {
        /// Why.
        reason: String,
    },
    /// The request did not get an answer (refused, timed out, TLS, proxy).
    #[error("cannot push the metrics to {url}: {reason}; check the Pushgateway URL and that it is reachable from here")]
    Send {
        /// The push URL, without credentials.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The Pushgateway answered with an error.
    #[error("the Pushgateway at {url} refused the metrics: HTTP {status}: {body}")]
    Refused {
        /// The push URL, without credentials.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of its answer, cleaned.
        body: String,
    },
}

/// Where and how to push.
#[derive(Clone)]
pub struct Pushgateway {
    push_url: Url,
    timeout: Duration,
    ca_files: Vec<PathBuf>,
}

impl fmt::Debug for Pushgateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the URL itself: it may hold a password.
        f.debug_struct("Pushgateway")
            .field("url", &shown(&self.push_url))
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl Pushgateway {
    /// Pushes to the gateway at `base` (checked by the config) into
    /// `group`.
    pub fn new(
        base: &GatewayUrl,
        group: &Group,
        timeout: Duration,
        ca_files: Vec<PathBuf>,
    ) -> Pushgateway {
        let mut push_url = base.url().clone();
        if let Ok(mut segments) = push_url.path_segments_mut() {
            segments
                .pop_if_empty()
                .push("metrics")
                .extend(group.segments());
        }
        Pushgateway {
            push_url,
            timeout,
            ca_files,
        }
    }

    /// The URL pushed to (credentials included: never show it; see
    /// [`Pushgateway::shown_url`]).
    #[cfg(test)]
    pub fn push_url(&self) -> &Url {
        &self.push_url
    }

    /// The push URL without credentials.
    pub fn shown_url(&self) -> String {
        shown(&self.push_url)
    }

    /// The URL's user and password (decoded), `base64(user:password)` and
    /// the `Authorization` header value sent: the secrets to register.
    pub fn secrets(&self) -> Vec<String> {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let mut out = Vec::new();
        if !self.push_url.username().is_empty() {
            out.push(decode(self.push_url.username()));
        }
        if let Some(p) = self.push_url.password() {
            out.push(decode(p));
        }
        if let Some(header) = self.authorization() {
            if let Some(encoded) = header.strip_prefix(BASIC) {
                out.push(encoded.to_string());
            }
            out.push(header);
        }
        out
    }

    /// The `Authorization` header value for the URL's user and password
    /// (RFC 7617: `Basic ` and the base64 of the decoded bytes of
    /// `user:password`), when the URL has either.
    pub fn authorization(&self) -> Option<String> {
        use base64::prelude::{Engine, BASE64_STANDARD};
        let url = &self.push_url;
        if url.username().is_empty() && url.password().is_none() {
            return None;
        }
        let mut raw: Vec<u8> = percent_encoding::percent_decode_str(url.username()).collect();
        raw.push(b':');
        raw.extend(percent_encoding::percent_decode_str(
            url.password().unwrap_or(""),
        ));
        Some(format!("{BASIC}{}", BASE64_STANDARD.encode(raw)))
    }

    /// `PUT`s `text`, replacing the group's metrics.
    pub async fn push(&self, text: String) -> Result<(), PushError> {
        let client =
            tcapi::service_client(&self.push_url, &self.ca_files, self.timeout).map_err(|e| {
                PushError::Client {
                    reason: e.to_string(),
                }
            })?;
        let url = self.shown_url();
        let mut request = client
            .put(without_credentials(&self.push_url))
            .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
            .body(text);
        if let Some(value) = self.authorization() {
            if let Ok(mut value) = reqwest::header::HeaderValue::from_str(&value) {
                value.set_sensitive(true);
                request = request.header(reqwest::header::AUTHORIZATION, value);
            }
        }
        let answer = request.send().await.map_err(|e| PushError::Send {
            url: url.clone(),
            reason: tcapi::error::error_chain(&e.without_url()),
        })?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        let body = start_of_body(answer, BODY_READ).await;
        Err(PushError::Refused {
            url,
            status: status.as_u16(),
            body: self.shown_body(&body),
        })
    }

    /// A refusal's body as shown: the gateway's own secrets removed (before
    /// the cut, so no part of one is left), cleaned and cut.
    fn shown_body(&self, raw: &[u8]) -> String {
        let own = crate::redact::Redactor::new();
        for secret in self.secrets() {
            own.add(&secret);
        }
        let text = String::from_utf8_lossy(raw);
        let text = own.redact(&text);
        crate::sanitize::clean(text.trim(), BODY_SHOWN).into_owned()
    }
}

const BASIC: &str = "Basic ";

/// `url` without its user and password (they go in the header instead).
fn without_credentials(url: &Url) -> Url {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u
}

/// The first `cap` bytes of `answer`'s body (fewer when it ends, or fails,
/// sooner); the rest is never read: dropping `answer` drops the connection.
async fn start_of_body(mut answer: reqwest::Response, cap: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < cap {
        match answer.chunk().await {
            Ok(Some(data)) => {
                let room = cap - body.len();
                body.extend_from_slice(&data[..data.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::pushgateway::parse_url;

    #[test]
    fn the_push_url_names_the_job_and_the_config() {
        let base = parse_url("http://user:p%40ss@gw.example:9091/").unwrap();
        let g = Pushgateway::new(
            &base,
            &Group::config("team a (prod)"),
            Duration::from_secs(5),
            vec![],
        );
        assert_eq!(
            g.push_url().as_str(),
            "http://user:p%40ss@gw.example:9091/metrics/job/tcss_report/config/team%20a%20(prod)"
        );
        assert_eq!(
            g.shown_url(),
            "http://gw.example:9091/metrics/job/tcss_report/config/team%20a%20(prod)"
        );
        // base64("user:p@ss"), as RFC 7617 and every client has it.
        assert_eq!(
            g.secrets(),
            ["user", "p@ss", "dXNlcjpwQHNz", "Basic dXNlcjpwQHNz"]
        );
        assert_eq!(g.authorization().as_deref(), Some("Basic dXNlcjpwQHNz"));
        let debug = format!("{g:?}");
        assert!(
            !debug.contains("p%40ss") && !debug.contains("user"),
            "{debug}"
        );
        // A path prefix (a gateway behind a reverse proxy) is kept.
        let behind = parse_url("https://proxy.example/pushgateway").unwrap();
        let g = Pushgateway::new(
            &behind,
            &Group::config("accounts"),
            Duration::from_secs(5),
            vec![],
        );
        assert_eq!(
            g.push_url().as_str(),
            "https://proxy.example/pushgateway/metrics/job/tcss_report/config/accounts"
        );
    }

    /// A subset or a simulated run pushes into a group of its own: it
    /// never replaces the full run's metrics.
    #[test]
    fn simulated_runs_and_subsets_have_groups_of_their_own() {
        let base = parse_url("http://gw.example:9091").unwrap();
        let url = |group: &Group| {
            Pushgateway::new(&base, group, Duration::from_secs(5), vec![])
                .push_url()
                .to_string()
        };
        let full = Group::config("accounts");
        assert_eq!(
            url(&full),
            "http://gw.example:9091/metrics/job/tcss_report/config/accounts"
        );
        let simulated = Group {
            simulated: true,
            ..full.clone()
        };
        assert_eq!(
            url(&simulated),
            "http://gw.example:9091/metrics/job/tcss_report/config/accounts/simulated/true"
        );
        let subset = Group {
            selection: vec!["--only org:acme/prod".into(), "--exclude uin:1".into()],
            ..full.clone()
        };
        // base64url of "--only org:acme/prod --exclude uin:1" (the `/` is
        // why: a plain segment could not hold it).
        assert_eq!(
            url(&subset),
            "http://gw.example:9091/metrics/job/tcss_report/config/accounts/selection@base64/\
             LS1vbmx5IG9yZzphY21lL3Byb2QgLS1leGNsdWRlIHVpbjox"
        );
    }

    #[test]
    fn bad_urls_say_why() {
        for (text, why) in [
            ("gw:9091", "scheme"),
            ("not a url", "not a URL"),
            ("ftp://gw/", "scheme"),
            ("http://gw:9091/?job=x", "query"),
            ("http://gw:9091/#x", "fragment"),
        ] {
            let e = parse_url(text).unwrap_err().to_string();
            assert!(e.contains(why), "{text}: {e}");
            assert!(e.ends_with("like http://pushgateway:9091"), "{e}");
        }
        assert!(parse_url("https://gw.example").is_ok());
    }

    #[tokio::test]
    async fn nothing_listening_is_a_send_error_without_credentials() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = free.local_addr().unwrap().port();
        drop(free);
        let base = parse_url(&format!("http://bob:hunter2secret@127.0.0.1:{port}")).unwrap();
        let g = Pushgateway::new(
            &base,
            &Group::config("accounts"),
            Duration::from_secs(2),
            vec![],
        );
        let e = g.push("a 1\n".into()).await.unwrap_err();
        assert!(matches!(e, PushError::Send { .. }), "{e:?}");
        let text = e.to_string();
        assert!(
            text.contains(&format!("127.0.0.1:{port}/metrics/job/tcss_report")),
            "{text}"
        );
        assert!(!text.contains("hunter2") && !text.contains("bob"), "{text}");
    }
}
