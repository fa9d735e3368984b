//! `[defaults] pushgateway` and `--pushgateway`: a Pushgateway base URL,
//! checked here (http or https, a host, no query or fragment) so the config
//! holds only a usable one; pushing to it is `crate::metrics::push`'s.
//! Its `Debug` and [`shown`] never show its user or password.

use std::fmt;

use url::Url;

/// A `pushgateway` URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}; give the Pushgateway's base URL, like http://pushgateway:9091")]
#[non_exhaustive]
pub struct PushgatewayUrlError {
    /// What is wrong with it.
    pub reason: String,
}

/// A checked Pushgateway base URL. Its `Debug` shows no user or password.
#[derive(Clone, PartialEq, Eq)]
pub struct GatewayUrl(Url);

impl GatewayUrl {
    /// The URL (credentials included: never show it; see [`shown`]).
    pub fn url(&self) -> &Url {
        &self.0
    }
}

impl fmt::Debug for GatewayUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("GatewayUrl").field(&shown(&self.0)).finish()
    }
}

/// Checks a Pushgateway base URL: http or https, a host, no query or fragment.
pub fn parse_url(text: &str) -> Result<GatewayUrl, PushgatewayUrlError> {
    let bad = |reason: String| PushgatewayUrlError { reason };
    let url = Url::parse(text.trim()).map_err(|e| bad(format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad(format!(
            "the scheme must be http or https, not {:?}",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("the URL has no host".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("the URL must not have a query or a fragment".into()));
    }
    Ok(GatewayUrl(url))
}

/// `url` without user, password, query or fragment, for messages.
pub fn shown(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    u.set_query(None);
    u.set_fragment(None);
    u.to_string()
}
