//! The typed [`Error`] of a Tencent Cloud API call and the retry
//! classification table ([`CLASSIFICATION`], [`classify`]).
//!
//! Every error has a stable [`Error::code`] for reports: the API's own code for
//! API errors (`AuthFailure.SignatureFailure`), a local one otherwise
//! (`Timeout`, `ConnectionRefused`, `TlsCertificate.UnknownIssuer`,
//! `ProxyAuthRequired`, `HttpError.502`, `MalformedResponse`,
//! `ResponseTooLarge`, `CredentialError`, `InvalidEndpoint`, ...). Whether an
//! error is retried is decided by looking that code up in one table, so API
//! and local errors follow the same rules. Messages never contain secrets
//! (a proxy is named without its credentials) nor a library's debug text;
//! transport failures name the server, the cause and the fix.

use std::path::PathBuf;
use std::time::Duration;

use crate::credentials::CredentialError;

/// How an error is treated by the retry loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// The server is throttling: retried after a backoff of at least `base`.
    Throttled,
    /// A passing failure (server hiccup, network, garbage body): retried.
    Transient,
    /// Retrying cannot help: reported at once.
    Final,
}

impl ErrorClass {
    /// Whether errors of this class are retried.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorClass::Throttled | ErrorClass::Transient)
    }
}

/// The classification table: `(pattern, class)`, first match wins.
///
/// A pattern ending in `*` is a code family: `X*` matches `X` itself and every
/// `X.<sub-code>` (so `InvalidParameter*` does not match
/// `InvalidParameterValue`, which has its own entry). Any other pattern
/// matches exactly. Codes matched by nothing are [`ErrorClass::Final`].
/// `HttpError.<status>` codes are classified by status, see [`classify`].
pub const CLASSIFICATION: &[(&str, ErrorClass)] = &[
    // TCSS is not authorised in the account: an InternalError that is final.
    ("InternalError.ErrRoleNotExist", ErrorClass::Final),
    // Throttling: RequestLimitExceeded, .UinLimitExceeded, .GlobalRegionUinLimitExceeded, .IPLimitExceeded, ...
    ("RequestLimitExceeded*", ErrorClass::Throttled),
    ("InternalError*", ErrorClass::Transient),
    ("ServiceUnavailable*", ErrorClass::Transient),
    // Local transient failures.
    ("Timeout", ErrorClass::Transient),
    ("ConnectionRefused", ErrorClass::Transient),
    ("ConnectionReset", ErrorClass::Transient),
    // A proxy refusing a tunnel with another status than 407: its status is
    // not reported (a proxy answers 502/503 while the target is unreachable).
    ("ProxyRefused", ErrorClass::Transient),
    ("ConnectionError", ErrorClass::Transient),
    ("MalformedResponse", ErrorClass::Transient),
    // Final transport failures: retrying cannot fix the configuration.
    ("TlsCertificate*", ErrorClass::Final),
    ("TlsHandshakeError", ErrorClass::Final),
    ("ProxyAuthRequired", ErrorClass::Final),
    ("HostNotFound", ErrorClass::Final),
    // Final API errors (listed for documentation; unknown codes are final too).
    ("AuthFailure*", ErrorClass::Final),
    ("UnauthorizedOperation*", ErrorClass::Final),
    ("InvalidParameter*", ErrorClass::Final),
    ("InvalidParameterValue*", ErrorClass::Final),
    ("MissingParameter*", ErrorClass::Final),
    ("UnknownParameter*", ErrorClass::Final),
    ("UnsupportedRegion*", ErrorClass::Final),
    ("InvalidAction", ErrorClass::Final),
    ("NoSuchVersion", ErrorClass::Final),
    ("ResourceNotFound*", ErrorClass::Final),
    ("UnsupportedOperation*", ErrorClass::Final),
    ("LimitExceeded*", ErrorClass::Final),
    ("RequestSizeLimitExceeded", ErrorClass::Final),
    // Final local failures.
    ("ResponseTooLarge", ErrorClass::Final),
    ("CredentialError", ErrorClass::Final),
    ("InvalidEndpoint", ErrorClass::Final),
    ("InvalidRequest", ErrorClass::Final),
    ("CaFileError", ErrorClass::Final),
    ("ClientBuildError", ErrorClass::Final),
];

fn pattern_matches(pattern: &str, code: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(family) => match code.strip_prefix(family) {
            Some(rest) => rest.is_empty() || rest.starts_with('.'),
            None => false,
        },
        None => pattern == code,
    }
}

/// The class of an HTTP status whose body carried no API error: 5xx, 408 are
/// transient, 429 is throttling, anything else final.
pub fn classify_http_status(status: u16) -> ErrorClass {
    match status {
        429 => ErrorClass::Throttled,
        408 | 500..=599 => ErrorClass::Transient,
        _ => ErrorClass::Final,
    }
}

/// Looks a code up in [`CLASSIFICATION`]; `HttpError.<status>` goes by
/// [`classify_http_status`]. Unknown codes are [`ErrorClass::Final`].
pub fn classify(code: &str) -> ErrorClass {
    if let Some(status) = code.strip_prefix("HttpError.") {
        return status
            .parse::<u16>()
            .map_or(ErrorClass::Final, classify_http_status);
    }
    CLASSIFICATION
        .iter()
        .find(|(pattern, _)| pattern_matches(pattern, code))
        .map_or(ErrorClass::Final, |&(_, class)| class)
}

/// The longest body excerpt kept in an error, in characters.
pub const EXCERPT_CHARS: usize = 200;

/// `error: cause: cause ...` of a library error, each cause once (a cause
/// whose text the message already contains is skipped): for messages that
/// name what happened without the library's `{:?}`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// A printable excerpt of at most [`EXCERPT_CHARS`] characters of a body
/// (cut on a character boundary; invalid UTF-8 replaced; control characters
/// and runs of whitespace shown as one space).
pub fn body_excerpt(body: &[u8]) -> String {
    // 4 bytes per char at most: no need to decode more than that.
    let head = &body[..body.len().min(EXCERPT_CHARS * 4)];
    let text = String::from_utf8_lossy(head);
    let mut out = String::with_capacity(text.len().min(EXCERPT_CHARS * 4));
    let mut count = 0;
    let mut last_space = false;
    for c in text.trim().chars() {
        if count == EXCERPT_CHARS {
            break;
        }
        let c = if c.is_whitespace() || c.is_control() {
            ' '
        } else {
            c
        };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        out.push(c);
        count += 1;
    }
    out
}

/// The longest `Location` kept in an [`Error::Http`], in characters.
pub const LOCATION_CHARS: usize = 200;

/// A `Location` header value made safe to print: invalid UTF-8 replaced,
/// control characters removed, any `user:password@` replaced by `***@`, and
/// at most [`LOCATION_CHARS`] characters (the last one `…` when cut).
pub fn sanitize_location(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let clean: String = text.trim().chars().filter(|c| !c.is_control()).collect();
    let clean = crate::endpoint::redact_userinfo(&clean);
    if clean.chars().count() <= LOCATION_CHARS {
        return clean;
    }
    let mut cut: String = clean.chars().take(LOCATION_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The text of [`Error::Http`].
fn http_message(status: u16, body_excerpt: &str, location: Option<&str>) -> String {
    let Some(location) = location else {
        return format!("HTTP {status}: {body_excerpt}");
    };
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .map_or_else(String::new, |r| format!(" {r}"));
    format!(
        "HTTP {status}{reason}, redirected to {location} (redirects are not followed: \
         set the endpoint to the new URL if it is trusted)"
    )
}

/// Why a server's TLS certificate was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// Not signed by a trusted CA (a TLS-inspecting proxy's CA is missing,
    /// or the certificate is self-signed).
    UnknownIssuer,
    /// Issued for another host name than the endpoint's.
    NameMismatch,
    /// Past its validity period.
    Expired,
    /// Not yet in its validity period (or the local clock is behind).
    NotYetValid,
    /// A CA certificate presented as the server's own certificate.
    CaUsedAsServerCertificate,
    /// Revoked by its issuer.
    Revoked,
    /// Another reason, described in words (never a library's debug text).
    Other(&'static str),
}

impl CertificateProblem {
    /// The stable code, `TlsCertificate.<problem>`.
    pub fn code(self) -> &'static str {
        match self {
            CertificateProblem::UnknownIssuer => "TlsCertificate.UnknownIssuer",
            CertificateProblem::NameMismatch => "TlsCertificate.NameMismatch",
            CertificateProblem::Expired => "TlsCertificate.Expired",
            CertificateProblem::NotYetValid => "TlsCertificate.NotYetValid",
            CertificateProblem::CaUsedAsServerCertificate => {
                "TlsCertificate.CaUsedAsServerCertificate"
            }
            CertificateProblem::Revoked => "TlsCertificate.Revoked",
            CertificateProblem::Other(_) => "TlsCertificate.Other",
        }
    }

    /// What to do about it.
    fn fix(self) -> &'static str {
        match self {
            CertificateProblem::UnknownIssuer | CertificateProblem::Other(_) => {
                "add its CA to ca_file or to the system trust store"
            }
            CertificateProblem::NameMismatch => {
                "check the endpoint's host name; a TLS-inspecting proxy must issue certificates for it"
            }
            CertificateProblem::Expired | CertificateProblem::Revoked => {
                "the server (or the TLS-inspecting proxy) must present a valid certificate"
            }
            CertificateProblem::NotYetValid => {
                "check the system clock, or the server must present a valid certificate"
            }
            CertificateProblem::CaUsedAsServerCertificate => {
                "configure the server with a certificate issued by that CA, not the CA's own"
            }
        }
    }
}

impl std::fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CertificateProblem::UnknownIssuer => "unknown issuer",
            CertificateProblem::NameMismatch => "issued for another name",
            CertificateProblem::Expired => "expired",
            CertificateProblem::NotYetValid => "not valid yet",
            CertificateProblem::CaUsedAsServerCertificate => {
                "a CA certificate used as a server certificate"
            }
            CertificateProblem::Revoked => "revoked",
            CertificateProblem::Other(reason) => reason,
        })
    }
}

/// ` through the proxy <proxy>`, or nothing.
fn via(proxy: &Option<String>) -> String {
    proxy
        .as_deref()
        .map_or_else(String::new, |p| format!(" through the proxy {p}"))
}

/// Why an API call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with `Response.Error`.
    #[error("{code}: {message} (RequestId {request_id})")]
    Api {
        /// The API error code, e.g. `AuthFailure.SignatureFailure`.
        code: String,
        /// The API's message.
        message: String,
        /// The request id of the answer.
        request_id: String,
    },
    /// `AuthFailure.SignatureExpire` even after re-signing with the clock
    /// corrected from the server's `Date` header.
    #[error(
        "{code}: {message} (RequestId {request_id}); the local clock differs from the server's by {skew_secs} s \
         (server minus local): fix the system clock (NTP)"
    )]
    SignatureExpired {
        /// The API error code (`AuthFailure.SignatureExpire`).
        code: String,
        /// The API's message.
        message: String,
        /// The request id of the answer.
        request_id: String,
        /// The measured clock offset, server minus local, in seconds.
        skew_secs: i64,
    },
    /// A non-success HTTP status whose body was not an API answer. A
    /// redirect (3xx) is not followed: the message names its `Location`.
    #[error("{}", http_message(*status, body_excerpt, location.as_deref()))]
    Http {
        /// The HTTP status code.
        status: u16,
        /// At most 200 characters of the body.
        body_excerpt: String,
        /// A request id, if the body had one.
        request_id: Option<String>,
        /// The `Location` header of a redirect, made printable with
        /// [`sanitize_location`].
        location: Option<String>,
    },
    /// A success status whose body was not a valid API answer.
    #[error("malformed response: {reason}; body: {body_excerpt}")]
    Malformed {
        /// What was wrong.
        reason: String,
        /// At most 200 characters of the body.
        body_excerpt: String,
        /// A request id, if one could be read.
        request_id: Option<String>,
    },
    /// The attempt did not finish (connect, send and read the body) in time.
    #[error(
        "no complete answer from {url} within {}.{:03} s: the server or the network is slow \
         or unreachable (if it is only slow, raise `[defaults] timeout_secs`, the timeout of \
         each attempt)",
        timeout.as_secs(),
        timeout.subsec_millis()
    )]
    Timeout {
        /// The server, `scheme://host[:port]`.
        url: String,
        /// The per-attempt timeout.
        timeout: Duration,
    },
    /// The server's TLS certificate was not accepted: nothing was sent.
    #[error("the certificate of {url} is not trusted ({problem}): {}", problem.fix())]
    TlsCertificate {
        /// The server, `scheme://host[:port]`.
        url: String,
        /// Why.
        problem: CertificateProblem,
    },
    /// The TLS handshake failed for another reason than the certificate.
    #[error("the TLS handshake with {url} failed: {reason}")]
    TlsHandshake {
        /// The server, `scheme://host[:port]`.
        url: String,
        /// What went wrong and what to check.
        reason: &'static str,
    },
    /// The proxy answered `407 Proxy Authentication Required` to `CONNECT`.
    #[error(
        "the proxy {proxy} refused the credentials for a tunnel to {url} (HTTP 407): \
         check the user and password in HTTPS_PROXY / ALL_PROXY"
    )]
    ProxyAuthRequired {
        /// The server, `scheme://host[:port]`.
        url: String,
        /// The proxy, `scheme://host[:port]` (never its credentials).
        proxy: String,
    },
    /// The proxy refused to open a tunnel (another status than 200 or 407,
    /// or no valid answer).
    #[error(
        "the proxy {proxy} refused to open a tunnel to {url}: check that the proxy allows \
         this host, or exclude the host with NO_PROXY"
    )]
    ProxyRefused {
        /// The server, `scheme://host[:port]`.
        url: String,
        /// The proxy, `scheme://host[:port]` (never its credentials).
        proxy: String,
    },
    /// The host name (of the server, or of the proxy) could not be resolved.
    #[error(
        "the host name of {url}{} was not found ({reason}): check the endpoint, \
         the proxy settings and DNS",
        via(proxy)
    )]
    HostNotFound {
        /// The server, `scheme://host[:port]`.
        url: String,
        /// The proxy the connection went through, if any.
        proxy: Option<String>,
        /// The resolver's reason.
        reason: String,
    },
    /// Nothing accepted the TCP connection.
    #[error(
        "the connection to {url}{} was refused: check the host and port (is the server, \
         or the proxy, running?)",
        via(proxy)
    )]
    ConnectionRefused {
        /// The server, `scheme://host[:port]`.
        url: String,
        /// The proxy the connection went through, if any.
        proxy: Option<String>,
    },
    /// The connection was reset or closed before a complete answer.
    #[error(
        "the connection to {url}{} was closed before a complete answer: the server or a \
         network device dropped it",
        via(proxy)
    )]
    ConnectionReset {
        /// The server, `scheme://host[:port]`.
        url: String,
        /// The proxy the connection went through, if any.
        proxy: Option<String>,
    },
    /// Connecting, sending or reading failed in another way.
    #[error("connection error with {url}{}: {message}", via(proxy))]
    Connection {
        /// The server, `scheme://host[:port]`.
        url: String,
        /// The proxy the connection went through, if any.
        proxy: Option<String>,
        /// What the transport reported (its message, not its debug text).
        message: String,
    },
    /// The response body exceeded the configured cap.
    #[error("response larger than the {limit}-byte limit")]
    ResponseTooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// An endpoint URL was rejected.
    #[error("invalid endpoint `{url}`: {reason}")]
    InvalidEndpoint {
        /// The URL as given.
        url: String,
        /// Why.
        reason: String,
    },
    /// A request could not be built (e.g. a header value with control characters).
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// Why (names the header, never its value).
        reason: String,
    },
    /// An extra root CA file could not be read or holds no certificate.
    #[error("CA file {}: {reason}", path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {reason}")]
    ClientBuild {
        /// Why.
        reason: String,
    },
    /// Credentials could not be obtained. The message includes the
    /// credential error's, so it is not also given as `source()` (a chain
    /// printer such as anyhow's `{:#}` would print it twice).
    #[error("credentials: {0}")]
    Credentials(CredentialError),
}

impl From<CredentialError> for Error {
    fn from(e: CredentialError) -> Self {
        Error::Credentials(e)
    }
}

impl Error {
    /// The stable code used in reports: the API code for API errors, a local
    /// code otherwise.
    pub fn code(&self) -> String {
        match self {
            Error::Api { code, .. } | Error::SignatureExpired { code, .. } => code.clone(),
            Error::Http { status, .. } => format!("HttpError.{status}"),
            other => other.static_code().unwrap_or("Unknown").to_string(),
        }
    }

    fn static_code(&self) -> Option<&'static str> {
        Some(match self {
            Error::Malformed { .. } => "MalformedResponse",
            Error::Timeout { .. } => "Timeout",
            Error::TlsCertificate { problem, .. } => problem.code(),
            Error::TlsHandshake { .. } => "TlsHandshakeError",
            Error::ProxyAuthRequired { .. } => "ProxyAuthRequired",
            Error::ProxyRefused { .. } => "ProxyRefused",
            Error::HostNotFound { .. } => "HostNotFound",
            Error::ConnectionRefused { .. } => "ConnectionRefused",
            Error::ConnectionReset { .. } => "ConnectionReset",
            Error::Connection { .. } => "ConnectionError",
            Error::ResponseTooLarge { .. } => "ResponseTooLarge",
            Error::InvalidEndpoint { .. } => "InvalidEndpoint",
            Error::InvalidRequest { .. } => "InvalidRequest",
            Error::CaFile { .. } => "CaFileError",
            Error::ClientBuild { .. } => "ClientBuildError",
            Error::Credentials(_) => "CredentialError",
            Error::Api { .. } | Error::SignatureExpired { .. } | Error::Http { .. } => return None,
        })
    }

    /// How the retry loop treats this error (the [`CLASSIFICATION`] of its code).
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Api { code, .. } | Error::SignatureExpired { code, .. } => classify(code),
            Error::Http { status, .. } => classify_http_status(*status),
            other => other.static_code().map_or(ErrorClass::Final, classify),
        }
    }

    /// Whether another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        self.class().is_retryable()
    }

    /// Whether the server was throttling.
    pub fn is_throttling(&self) -> bool {
        self.class() == ErrorClass::Throttled
    }

    /// The request id of the answer, when there was one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. } | Error::SignatureExpired { request_id, .. } => {
                Some(request_id)
            }
            Error::Http { request_id, .. } | Error::Malformed { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
