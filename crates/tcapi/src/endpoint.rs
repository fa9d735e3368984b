//! Where requests go: the validated [`Endpoint`] URL of one service, the
//! `Host` value it implies (the one that is signed), and whether it is a
//! loopback address (never reached through a proxy).

use std::fmt;
use std::net::IpAddr;

use url::Url;

use crate::error::Error;

/// Where requests for one service go: a validated `http(s)` URL and the
/// `Host` header value it implies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
    /// `url`, parsed once (not on every call); `None` only for an endpoint
    /// built from a service or region name that is not a valid host.
    parsed: Option<Url>,
    host: String,
    path: String,
    origin: String,
    loopback: bool,
}

impl Endpoint {
    /// The public endpoint `https://<service>.tencentcloudapi.com/`.
    pub fn default_for(service: &str) -> Endpoint {
        Self::https_host(format!("{service}.tencentcloudapi.com"))
    }

    /// The international endpoint `https://<service>.intl.tencentcloudapi.com/`.
    pub fn intl(service: &str) -> Endpoint {
        Self::https_host(format!("{service}.intl.tencentcloudapi.com"))
    }

    /// A regional endpoint `https://<service>.<region>.tencentcloudapi.com/`.
    pub fn regional(service: &str, region: &str) -> Endpoint {
        Self::https_host(format!("{service}.{region}.tencentcloudapi.com"))
    }

    fn https_host(host: String) -> Endpoint {
        let url = format!("https://{host}/");
        Endpoint {
            parsed: Url::parse(&url).ok(),
            url,
            origin: format!("https://{host}"),
            host,
            path: "/".to_string(),
            loopback: false,
        }
    }

    /// Parses a configured URL. `https` is always accepted; plain `http` only
    /// to loopback hosts (`127.0.0.0/8`, `::1`, `localhost`) unless
    /// `allow_insecure_http`. User info, query strings and fragments are
    /// rejected. A missing path means `/`.
    pub fn parse(url: &str, allow_insecure_http: bool) -> Result<Endpoint, Error> {
        let bad = |reason: &str| Error::InvalidEndpoint {
            url: redact_userinfo(url),
            reason: reason.to_string(),
        };
        let parsed = Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
        let loopback = parsed.host_str().is_some_and(is_loopback_host);
        match parsed.scheme() {
            "https" => {}
            "http" => {
                if !allow_insecure_http && !loopback {
                    return Err(bad(
                        "plain http is only allowed to loopback addresses (127.0.0.0/8, ::1, localhost); \
                         use https or set allow_insecure_http",
                    ));
                }
            }
            other => return Err(bad(&format!("unsupported scheme `{other}` (use https)"))),
        }
        let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
            return Err(bad("no host"));
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(bad("credentials in the URL are not allowed"));
        }
        if parsed.query().is_some() {
            return Err(bad("a query string is not allowed"));
        }
        if parsed.fragment().is_some() {
            return Err(bad("a fragment is not allowed"));
        }
        let host = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        Ok(Endpoint {
            url: parsed.as_str().to_string(),
            origin: format!("{}://{host}", parsed.scheme()),
            host,
            path: parsed.path().to_string(),
            loopback,
            parsed: Some(parsed),
        })
    }

    /// The full URL, e.g. `https://tcss.tencentcloudapi.com/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL as parsed once, for the transport (`None` when the endpoint
    /// was built from names that do not make a valid host).
    pub(crate) fn parsed(&self) -> Option<&Url> {
        self.parsed.as_ref()
    }

    /// `scheme://host[:port]`, without the path: how messages name the
    /// server, e.g. `https://tcss.tencentcloudapi.com`.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The `Host` header value (with `:port` when not the scheme's default).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The URL path (`/` for API 3.0).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether the host is a loopback address (`127.0.0.0/8`, `::1`,
    /// `localhost`). Requests to loopback hosts never go through a proxy.
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// Whether a host (as in a URL: IPv6 in brackets or not) is `localhost`, an
/// address in `127.0.0.0/8`, `::1`, or an IPv4-mapped loopback address.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

/// The URL with any `user:password@` part replaced by `***@`, for messages.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..start], &rest[at..]),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let e = Endpoint::default_for("tcss");
        assert_eq!(e.url(), "https://tcss.tencentcloudapi.com/");
        assert_eq!(e.host(), "tcss.tencentcloudapi.com");
        assert_eq!(e.origin(), "https://tcss.tencentcloudapi.com");
        assert_eq!(e.path(), "/");
        let e = Endpoint::intl("sts");
        assert_eq!(e.url(), "https://sts.intl.tencentcloudapi.com/");
        assert_eq!(e.host(), "sts.intl.tencentcloudapi.com");
        let e = Endpoint::regional("tcss", "ap-singapore");
        assert_eq!(e.host(), "tcss.ap-singapore.tencentcloudapi.com");
        assert_eq!(
            Endpoint::parse("https://tcss.tencentcloudapi.com", false).unwrap(),
            Endpoint::default_for("tcss")
        );
        assert_eq!(
            e.to_string(),
            "https://tcss.ap-singapore.tencentcloudapi.com/"
        );
    }

    #[test]
    fn endpoint_parse_ports_and_hosts() {
        let e = Endpoint::parse("https://example.com:8443/", false).unwrap();
        assert_eq!(e.host(), "example.com:8443");
        assert_eq!(e.origin(), "https://example.com:8443");
        let e = Endpoint::parse("https://example.com:443/", false).unwrap();
        assert_eq!(e.host(), "example.com");
        let e = Endpoint::parse("http://127.0.0.1:9000", false).unwrap();
        assert_eq!(
            (e.url(), e.host()),
            ("http://127.0.0.1:9000/", "127.0.0.1:9000")
        );
        let e = Endpoint::parse("http://127.8.9.10/", false).unwrap();
        assert_eq!(e.host(), "127.8.9.10");
        let e = Endpoint::parse("http://LOCALHOST:80/", false).unwrap();
        assert_eq!(e.host(), "localhost");
        let e = Endpoint::parse("http://[::1]:9000", false).unwrap();
        assert_eq!(e.host(), "[::1]:9000");
        assert!(e.is_loopback());
        assert!(Endpoint::parse("https://localhost/", false)
            .unwrap()
            .is_loopback());
        assert!(!Endpoint::parse("https://example.com/", false)
            .unwrap()
            .is_loopback());
        assert!(!Endpoint::default_for("tcss").is_loopback());
        let e = Endpoint::parse("  https://Proxy.Example.com/tc/  ", false).unwrap();
        assert_eq!((e.host(), e.path()), ("proxy.example.com", "/tc/"));
        assert_eq!(e.origin(), "https://proxy.example.com");
    }

    #[test]
    fn endpoint_parse_rejections() {
        for (url, allow, needle) in [
            ("http://example.com/", false, "loopback"),
            ("http://10.0.0.1:8080/", false, "loopback"),
            ("http://[::2]/", false, "loopback"),
            ("http://localhost.example.com/", false, "loopback"),
            ("ftp://example.com/", true, "scheme"),
            ("not a url", true, ""),
            ("tcss.tencentcloudapi.com", true, ""),
            ("https://user:pw@example.com/", false, "credentials"),
            ("https://example.com/?a=b", false, "query"),
            ("https://example.com/#x", false, "fragment"),
            ("http://", true, ""),
        ] {
            match Endpoint::parse(url, allow) {
                Err(e @ Error::InvalidEndpoint { .. }) => {
                    assert_eq!(e.code(), "InvalidEndpoint");
                    assert!(e.to_string().contains(needle), "{url}: {e}");
                    assert!(!e.to_string().contains("pw"), "{e}");
                }
                other => panic!("{url}: expected InvalidEndpoint, got {other:?}"),
            }
        }
        assert!(Endpoint::parse("http://example.com/", true).is_ok());
        assert_eq!(
            redact_userinfo("https://u:secret@h.com:1/p@x"),
            "https://***@h.com:1/p@x"
        );
        assert_eq!(redact_userinfo("https://h.com/p@x"), "https://h.com/p@x");
        assert_eq!(redact_userinfo("no scheme@x"), "no scheme@x");
    }

    #[test]
    fn loopback_hosts() {
        for (url, expected) in [
            ("http://127.0.0.1:8080/", true),
            ("http://127.9.9.9/", true),
            ("http://[::1]:80/", true),
            ("http://[::ffff:127.0.0.1]:80/", true),
            ("http://LOCALHOST:1/", true),
            ("https://tcss.tencentcloudapi.com/", false),
            ("http://10.0.0.1/", false),
        ] {
            let e = Endpoint::parse(url, true).unwrap();
            assert_eq!(e.is_loopback(), expected, "{url}");
        }
    }
}
