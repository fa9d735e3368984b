//! Unit tests of the error module: the classification table, codes,
//! classes and every message.

use super::*;
use ErrorClass::*;

#[test]
fn table_case_by_case() {
    let cases: &[(&str, ErrorClass)] = &[
        ("RequestLimitExceeded", Throttled),
        ("RequestLimitExceeded.UinLimitExceeded", Throttled),
        (
            "RequestLimitExceeded.GlobalRegionUinLimitExceeded",
            Throttled,
        ),
        ("RequestLimitExceeded.IPLimitExceeded", Throttled),
        ("RequestLimitExceededSomething", Final),
        ("InternalError", Transient),
        ("InternalError.DbError", Transient),
        ("InternalError.ErrRoleNotExist", Final),
        ("ServiceUnavailable", Transient),
        ("AuthFailure", Final),
        ("AuthFailure.SignatureFailure", Final),
        ("AuthFailure.SignatureExpire", Final),
        ("AuthFailure.SecretIdNotFound", Final),
        ("AuthFailure.TokenFailure", Final),
        ("AuthFailure.UnauthorizedOperation", Final),
        ("AuthFailure.InvalidAuthorization", Final),
        ("UnauthorizedOperation", Final),
        ("UnauthorizedOperation.NoPermission", Final),
        ("InvalidParameter", Final),
        ("InvalidParameter.RoleNotExist", Final),
        ("InvalidParameterValue", Final),
        ("InvalidParameterValue.Range", Final),
        ("MissingParameter", Final),
        ("UnsupportedRegion", Final),
        ("InvalidAction", Final),
        ("NoSuchVersion", Final),
        ("ResourceNotFound", Final),
        ("ResourceNotFound.Role", Final),
        ("UnsupportedOperation", Final),
        ("UnsupportedOperation.Foo", Final),
        ("LimitExceeded", Final),
        ("LimitExceeded.Quota", Final),
        ("SomethingNobodyKnows", Final),
        ("", Final),
        ("Timeout", Transient),
        ("ConnectionError", Transient),
        ("MalformedResponse", Transient),
        ("ResponseTooLarge", Final),
        ("CredentialError", Final),
        ("InvalidEndpoint", Final),
        ("HttpError.500", Transient),
        ("HttpError.502", Transient),
        ("HttpError.503", Transient),
        ("HttpError.504", Transient),
        ("HttpError.408", Transient),
        ("HttpError.429", Throttled),
        ("HttpError.404", Final),
        ("HttpError.403", Final),
        ("HttpError.abc", Final),
    ];
    for (code, class) in cases {
        assert_eq!(classify(code), *class, "classify({code:?})");
    }
}

#[test]
fn class_helpers() {
    assert!(Throttled.is_retryable());
    assert!(Transient.is_retryable());
    assert!(!Final.is_retryable());
}

fn api(code: &str) -> Error {
    Error::Api {
        code: code.into(),
        message: "m".into(),
        request_id: "rid".into(),
    }
}

#[test]
fn error_codes_and_classes() {
    let e = api("RequestLimitExceeded.UinLimitExceeded");
    assert_eq!(e.code(), "RequestLimitExceeded.UinLimitExceeded");
    assert!(e.is_retryable() && e.is_throttling());
    assert_eq!(e.request_id(), Some("rid"));

    let e = api("InternalError.ErrRoleNotExist");
    assert!(!e.is_retryable() && !e.is_throttling());

    let e = api("InternalError");
    assert!(e.is_retryable() && !e.is_throttling());

    let e = Error::Http {
        status: 502,
        body_excerpt: "<html>".into(),
        request_id: None,
        location: None,
    };
    assert_eq!(e.code(), "HttpError.502");
    assert_eq!(e.class(), Transient);
    assert_eq!(e.request_id(), None);

    let e = Error::Http {
        status: 404,
        body_excerpt: String::new(),
        request_id: None,
        location: None,
    };
    assert_eq!(e.class(), Final);

    let locals: Vec<(Error, &str, ErrorClass)> = vec![
        (
            Error::Timeout {
                url: "https://h".into(),
                timeout: Duration::from_millis(200),
            },
            "Timeout",
            Transient,
        ),
        (
            Error::Connection {
                url: "https://h".into(),
                proxy: None,
                message: "m".into(),
            },
            "ConnectionError",
            Transient,
        ),
        (
            Error::ConnectionRefused {
                url: "https://h".into(),
                proxy: None,
            },
            "ConnectionRefused",
            Transient,
        ),
        (
            Error::ConnectionReset {
                url: "https://h".into(),
                proxy: None,
            },
            "ConnectionReset",
            Transient,
        ),
        (
            Error::ProxyRefused {
                url: "https://h".into(),
                proxy: "http://p:3128".into(),
            },
            "ProxyRefused",
            Transient,
        ),
        (
            Error::ProxyAuthRequired {
                url: "https://h".into(),
                proxy: "http://p:3128".into(),
            },
            "ProxyAuthRequired",
            Final,
        ),
        (
            Error::HostNotFound {
                url: "https://h".into(),
                proxy: None,
                reason: "r".into(),
            },
            "HostNotFound",
            Final,
        ),
        (
            Error::TlsHandshake {
                url: "https://h".into(),
                reason: "r",
            },
            "TlsHandshakeError",
            Final,
        ),
        (
            Error::Malformed {
                reason: "x".into(),
                body_excerpt: String::new(),
                request_id: None,
            },
            "MalformedResponse",
            Transient,
        ),
        (
            Error::ResponseTooLarge { limit: 10 },
            "ResponseTooLarge",
            Final,
        ),
        (
            Error::InvalidEndpoint {
                url: "u".into(),
                reason: "r".into(),
            },
            "InvalidEndpoint",
            Final,
        ),
        (
            Error::InvalidRequest { reason: "r".into() },
            "InvalidRequest",
            Final,
        ),
        (
            Error::CaFile {
                path: "/x".into(),
                reason: "r".into(),
            },
            "CaFileError",
            Final,
        ),
        (
            Error::ClientBuild { reason: "r".into() },
            "ClientBuildError",
            Final,
        ),
        (
            Error::Credentials(CredentialError::MissingEnv { name: "X".into() }),
            "CredentialError",
            Final,
        ),
        (
            Error::SignatureExpired {
                code: "AuthFailure.SignatureExpire".into(),
                message: "m".into(),
                request_id: "r".into(),
                skew_secs: 600,
            },
            "AuthFailure.SignatureExpire",
            Final,
        ),
    ];
    for (problem, code) in [
        (
            CertificateProblem::UnknownIssuer,
            "TlsCertificate.UnknownIssuer",
        ),
        (
            CertificateProblem::NameMismatch,
            "TlsCertificate.NameMismatch",
        ),
        (CertificateProblem::Expired, "TlsCertificate.Expired"),
        (
            CertificateProblem::NotYetValid,
            "TlsCertificate.NotYetValid",
        ),
        (
            CertificateProblem::CaUsedAsServerCertificate,
            "TlsCertificate.CaUsedAsServerCertificate",
        ),
        (CertificateProblem::Revoked, "TlsCertificate.Revoked"),
        (CertificateProblem::Other("x"), "TlsCertificate.Other"),
    ] {
        let e = Error::TlsCertificate {
            url: "https://h".into(),
            problem,
        };
        assert_eq!((e.code().as_str(), e.class()), (code, Final), "{e}");
    }
    for (e, code, class) in locals {
        assert_eq!(e.code(), code, "{e:?}");
        assert_eq!(e.class(), class, "{e:?}");
        assert_eq!(classify(code), class, "table entry for {code}");
    }
}

#[test]
fn messages() {
    let e = Error::SignatureExpired {
        code: "AuthFailure.SignatureExpire".into(),
        message: "expired".into(),
        request_id: "r1".into(),
        skew_secs: -612,
    };
    let s = e.to_string();
    assert!(s.contains("-612 s"), "{s}");
    assert!(
        s.contains("AuthFailure.SignatureExpire") && s.contains("r1"),
        "{s}"
    );
    let e = Error::Timeout {
        url: "https://tcss.corp.example".into(),
        timeout: Duration::from_millis(1500),
    };
    assert_eq!(
        e.to_string(),
        "no complete answer from https://tcss.corp.example within 1.500 s: the server or \
         the network is slow or unreachable (if it is only slow, raise \
         `[defaults] timeout_secs`, the timeout of each attempt)"
    );
    let e = Error::CaFile {
        path: "/etc/corp.pem".into(),
        reason: "not found".into(),
    };
    assert!(e.to_string().contains("/etc/corp.pem"));
}

#[test]
fn transport_messages_name_the_server_the_cause_and_the_fix() {
    let url = || "https://tcss.corp.example".to_string();
    let proxy = || "http://proxy.corp:3128".to_string();
    let cert = |problem| Error::TlsCertificate {
        url: url(),
        problem,
    };
    let cases = [
        (
            cert(CertificateProblem::UnknownIssuer),
            "the certificate of https://tcss.corp.example is not trusted (unknown issuer): \
             add its CA to ca_file or to the system trust store",
        ),
        (
            cert(CertificateProblem::NameMismatch),
            "the certificate of https://tcss.corp.example is not trusted (issued for another \
             name): check the endpoint's host name; a TLS-inspecting proxy must issue \
             certificates for it",
        ),
        (
            cert(CertificateProblem::Expired),
            "the certificate of https://tcss.corp.example is not trusted (expired): the server \
             (or the TLS-inspecting proxy) must present a valid certificate",
        ),
        (
            cert(CertificateProblem::NotYetValid),
            "the certificate of https://tcss.corp.example is not trusted (not valid yet): \
             check the system clock, or the server must present a valid certificate",
        ),
        (
            cert(CertificateProblem::CaUsedAsServerCertificate),
            "the certificate of https://tcss.corp.example is not trusted (a CA certificate \
             used as a server certificate): configure the server with a certificate issued \
             by that CA, not the CA's own",
        ),
        (
            cert(CertificateProblem::Revoked),
            "the certificate of https://tcss.corp.example is not trusted (revoked): the server \
             (or the TLS-inspecting proxy) must present a valid certificate",
        ),
        (
            cert(CertificateProblem::Other("bad signature")),
            "the certificate of https://tcss.corp.example is not trusted (bad signature): add \
             its CA to ca_file or to the system trust store",
        ),
        (
            Error::TlsHandshake {
                url: url(),
                reason: "the server did not answer in TLS",
            },
            "the TLS handshake with https://tcss.corp.example failed: the server did not \
             answer in TLS",
        ),
        (
            Error::ProxyAuthRequired {
                url: url(),
                proxy: proxy(),
            },
            "the proxy http://proxy.corp:3128 refused the credentials for a tunnel to \
             https://tcss.corp.example (HTTP 407): check the user and password in \
             HTTPS_PROXY / ALL_PROXY",
        ),
        (
            Error::ProxyRefused {
                url: url(),
                proxy: proxy(),
            },
            "the proxy http://proxy.corp:3128 refused to open a tunnel to \
             https://tcss.corp.example: check that the proxy allows this host, or exclude \
             the host with NO_PROXY",
        ),
        (
            Error::HostNotFound {
                url: url(),
                proxy: None,
                reason: "Name or service not known".into(),
            },
            "the host name of https://tcss.corp.example was not found (Name or service not \
             known): check the endpoint, the proxy settings and DNS",
        ),
        (
            Error::HostNotFound {
                url: url(),
                proxy: Some(proxy()),
                reason: "r".into(),
            },
            "the host name of https://tcss.corp.example through the proxy \
             http://proxy.corp:3128 was not found (r): check the endpoint, the proxy \
             settings and DNS",
        ),
        (
            Error::ConnectionRefused {
                url: url(),
                proxy: None,
            },
            "the connection to https://tcss.corp.example was refused: check the host and \
             port (is the server, or the proxy, running?)",
        ),
        (
            Error::ConnectionReset {
                url: url(),
                proxy: Some(proxy()),
            },
            "the connection to https://tcss.corp.example through the proxy \
             http://proxy.corp:3128 was closed before a complete answer: the server or a \
             network device dropped it",
        ),
        (
            Error::Connection {
                url: url(),
                proxy: None,
                message: "something odd".into(),
            },
            "connection error with https://tcss.corp.example: something odd",
        ),
    ];
    for (e, text) in cases {
        assert_eq!(e.to_string(), text);
    }
}

#[test]
fn locations_are_printable_short_and_without_credentials() {
    assert_eq!(
        sanitize_location(b" https://new.example/\x1b[31mred\r\n "),
        "https://new.example/[31mred"
    );
    assert_eq!(
        sanitize_location(b"https://user:pw@new.example/p"),
        "https://***@new.example/p"
    );
    assert_eq!(sanitize_location(b"/rel\xff"), "/rel\u{FFFD}");
    let long = format!("https://h/{}", "é".repeat(300));
    let cut = sanitize_location(long.as_bytes());
    assert_eq!(cut.chars().count(), LOCATION_CHARS);
    assert!(cut.ends_with('…'), "{cut}");
    let e = Error::Http {
        status: 308,
        body_excerpt: "x".into(),
        request_id: None,
        location: Some("https://n/".into()),
    };
    assert_eq!(
        e.to_string(),
        "HTTP 308 Permanent Redirect, redirected to https://n/ (redirects are not followed: \
         set the endpoint to the new URL if it is trusted)"
    );
    assert_eq!(e.class(), Final);
}

#[test]
fn excerpt_is_short_and_on_char_boundaries() {
    assert_eq!(
        body_excerpt(b"  <html>\r\n<body>Bad   Gateway</body>\n</html>  "),
        "<html> <body>Bad Gateway</body> </html>"
    );
    let long = "é".repeat(500);
    let ex = body_excerpt(long.as_bytes());
    assert_eq!(ex.chars().count(), 200);
    assert!(ex.chars().all(|c| c == 'é'));
    // Cut inside a multi-byte character and invalid bytes: still valid text.
    let mut bytes = "ab€".as_bytes().to_vec();
    bytes.truncate(4);
    assert_eq!(body_excerpt(&bytes), "ab\u{FFFD}");
    assert_eq!(body_excerpt(b""), "");
    let ascii = "x".repeat(1000);
    assert_eq!(body_excerpt(ascii.as_bytes()).len(), 200);
}
