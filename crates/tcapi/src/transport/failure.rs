//! Turning a transport failure (a `reqwest::Error` and its chain of causes)
//! into a typed [`Error`]: an untrusted certificate, a proxy refusing the
//! tunnel, an unknown host, a refused or reset connection, a timeout.
//!
//! The chain is walked with [`std::error::Error::source`], looking inside
//! `std::io::Error`s too (whose `source()` skips the error they wrap). What
//! is recognised: `rustls::Error` (certificate and handshake failures),
//! `std::io::ErrorKind`s, `hyper::Error` (connection closed mid-answer), and
//! two messages of hyper-util whose types are private: its connector's
//! `dns error` and its proxy tunnel's `tunnel error: ...`.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use rustls::{CertificateError, OtherError};

use crate::error::{CertificateProblem, Error};

/// The message of hyper-util's connector for a resolver failure.
const DNS_ERROR: &str = "dns error";
/// The message prefix of hyper-util's `CONNECT` tunnel errors.
const TUNNEL_ERROR: &str = "tunnel error: ";
/// The tunnel error for a `407` answer.
const TUNNEL_AUTH_REQUIRED: &str = "tunnel error: proxy authorization required";

/// Where the failed attempt went: the server and the proxy, if one was used.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    /// `scheme://host[:port]` of the server.
    pub(crate) url: &'a str,
    /// The proxy, `scheme://host[:port]`, without its credentials.
    pub(crate) proxy: Option<&'a str>,
    /// The per-attempt timeout, for a timeout's message.
    pub(crate) timeout: Duration,
}

/// The typed error for a failed exchange.
pub(crate) fn classify(error: &reqwest::Error, target: Target<'_>) -> Error {
    let url = target.url.to_string();
    let proxy = target.proxy.map(str::to_string);
    let mut timeout = error.is_timeout();
    let mut deepest = error.to_string();
    for cause in causes(error) {
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return tls_error(tls, url);
        }
        if cause
            .downcast_ref::<rustls::pki_types::InvalidDnsNameError>()
            .is_some()
        {
            return Error::InvalidEndpoint {
                url,
                reason: "the host is not a valid DNS name, so TLS cannot verify it".into(),
            };
        }
        let text = cause.to_string();
        if text == TUNNEL_AUTH_REQUIRED {
            return Error::ProxyAuthRequired {
                url,
                proxy: proxy.unwrap_or_else(|| "(unknown)".into()),
            };
        }
        // A failed connection to the proxy, or I/O in the tunnel, has its
        // cause below; any other tunnel error is about the proxy's answer.
        if text.starts_with(TUNNEL_ERROR) && cause.source().is_none() {
            return Error::ProxyRefused {
                url,
                proxy: proxy.unwrap_or_else(|| "(unknown)".into()),
            };
        }
        if text == DNS_ERROR {
            // The resolver's own words are at the bottom of the chain.
            let reason = match causes(cause).last() {
                Some(root) if root.to_string() != DNS_ERROR => root.to_string(),
                _ => "the resolver gave no reason".to_string(),
            };
            return Error::HostNotFound { url, proxy, reason };
        }
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            match io.kind() {
                io::ErrorKind::ConnectionRefused => {
                    return Error::ConnectionRefused { url, proxy };
                }
                io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof => return Error::ConnectionReset { url, proxy },
                io::ErrorKind::TimedOut => timeout = true,
                _ => {}
            }
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            if hyper.is_incomplete_message() {
                return Error::ConnectionReset { url, proxy };
            }
            timeout |= hyper.is_timeout();
        }
        deepest = text;
    }
    if timeout {
        return Error::Timeout {
            url,
            timeout: target.timeout,
        };
    }
    Error::Connection {
        url,
        proxy,
        message: deepest,
    }
}

/// The error and its causes, outermost first, looking inside I/O errors.
fn causes<'e>(error: &'e (dyn StdError + 'static)) -> Vec<&'e (dyn StdError + 'static)> {
    let mut out = Vec::with_capacity(8);
    let mut next = Some(error);
    while let Some(e) = next {
        out.push(e);
        // `io::Error::source()` is the wrapped error's source, not the
        // wrapped error itself: look at that one first.
        next = match e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => e.source(),
        };
        if out.len() > 32 {
            break;
        }
    }
    out
}

/// A rustls failure: the certificate's problem, or another handshake failure.
fn tls_error(error: &rustls::Error, url: String) -> Error {
    let reason = match error {
        rustls::Error::InvalidCertificate(cert) => {
            return Error::TlsCertificate {
                url,
                problem: certificate_problem(cert),
            }
        }
        rustls::Error::NoCertificatesPresented => "the server presented no certificate",
        rustls::Error::AlertReceived(_) => {
            "the server ended the handshake with an alert (it may require a client certificate, \
             or support no TLS version or cipher suite in common)"
        }
        rustls::Error::PeerIncompatible(_) => {
            "the server supports no TLS version or cipher suite in common"
        }
        rustls::Error::InvalidMessage(_)
        | rustls::Error::InappropriateMessage { .. }
        | rustls::Error::InappropriateHandshakeMessage { .. } => {
            "the server did not answer in TLS: check the endpoint's scheme and port"
        }
        _ => "the handshake was not completed",
    };
    Error::TlsHandshake { url, reason }
}

/// Why rustls (its webpki verifier) rejected a certificate.
fn certificate_problem(error: &CertificateError) -> CertificateProblem {
    match error {
        CertificateError::UnknownIssuer => CertificateProblem::UnknownIssuer,
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            CertificateProblem::NameMismatch
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            CertificateProblem::Expired
        }
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            CertificateProblem::NotYetValid
        }
        CertificateError::Revoked => CertificateProblem::Revoked,
        CertificateError::BadSignature => CertificateProblem::Other("bad signature"),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            CertificateProblem::Other("not valid for server authentication")
        }
        CertificateError::BadEncoding => CertificateProblem::Other("badly encoded"),
        CertificateError::Other(other) if is_ca_used_as_end_entity(other) => {
            CertificateProblem::CaUsedAsServerCertificate
        }
        _ => CertificateProblem::Other("rejected by the verifier"),
    }
}

/// Whether webpki said the server's certificate is a CA certificate.
fn is_ca_used_as_end_entity(other: &OtherError) -> bool {
    matches!(
        other.0.downcast_ref::<webpki::Error>(),
        Some(webpki::Error::CaUsedAsEndEntity)
    )
}
