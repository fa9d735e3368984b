//! The HTTP transport under [`Client`](crate::Client), on `reqwest`:
//! HTTP/1.1 only with a keep-alive pool, TLS by rustls (the `ring`
//! provider; roots in the `tls` module), redirects off (the caller reports
//! a 3xx with its `Location`), no retries of its own (the client's loop
//! re-signs each attempt), no decompression, no cookies.
//!
//! Proxies come from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY`
//! (upper or lower case) as reqwest reads them, but loopback endpoints
//! (`127.0.0.0/8`, `::1`, `localhost`: a local simulator) are never
//! proxied: they go through a second `reqwest::Client` built without
//! proxies. Each endpoint only ever uses one of the two pools.
//!
//! Failures become typed errors in the `failure` module.

mod failure;
mod tls;

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use http::header::HeaderMap;
use http::{Method, Uri};
use hyper_util::client::proxy::matcher::Matcher;
use url::Url;

use crate::endpoint::Endpoint;
use crate::error::{error_chain, Error};
use crate::request::DEFAULT_REQUEST_CLIENT;

pub(crate) use tls::load_ca_file;
pub use tls::rustls_config;

/// The two pooled clients (see the module doc) and the proxy rules.
pub(crate) struct Transport {
    /// For remote endpoints: proxies from the environment.
    proxied: reqwest::Client,
    /// For loopback endpoints: never a proxy.
    direct: reqwest::Client,
    /// The rules reqwest applies (read from the environment at the same
    /// time), only to name the proxy in messages.
    proxies: Matcher,
    /// The per-attempt timeout, for messages.
    timeout: Duration,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not the matcher: a proxy URL may hold a password.
        f.debug_struct("Transport")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// What the per-connection settings are.
#[derive(Debug, Clone)]
pub(crate) struct TransportConfig<'a> {
    /// Extra trusted root CA PEM files.
    pub(crate) ca_files: &'a [PathBuf],
    /// Per-attempt timeout: also the connect timeout.
    pub(crate) timeout: Duration,
    /// Idle pooled connections kept per host.
    pub(crate) pool_max_idle_per_host: usize,
}

impl Transport {
    /// Loads the CA files and builds both clients, with proxies from the
    /// environment as it is now.
    pub(crate) fn new(config: &TransportConfig<'_>) -> Result<Transport, Error> {
        let mut extra = Vec::new();
        for path in config.ca_files {
            extra.extend(load_ca_file(path)?);
        }
        let tls = tls::tls_config(extra)?;
        let builder = || {
            reqwest::Client::builder()
                .tls_backend_preconfigured(tls.clone())
                .http1_only()
                .redirect(reqwest::redirect::Policy::none())
                .retry(reqwest::retry::never())
                .connect_timeout(config.timeout)
                .pool_max_idle_per_host(config.pool_max_idle_per_host)
                .user_agent(DEFAULT_REQUEST_CLIENT)
        };
        let built = |b: reqwest::ClientBuilder| {
            b.build().map_err(|e| Error::ClientBuild {
                reason: error_chain(&e),
            })
        };
        Ok(Transport {
            proxied: built(builder())?,
            direct: built(builder().no_proxy())?,
            proxies: Matcher::from_system(),
            timeout: config.timeout,
        })
    }

    /// Sends one `POST` and returns the answer's head (the body is read
    /// with [`Transport::read_body`]).
    pub(crate) async fn send(
        &self,
        endpoint: &Endpoint,
        url: &Url,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<reqwest::Response, Error> {
        let client = if endpoint.is_loopback() {
            &self.direct
        } else {
            &self.proxied
        };
        let mut request = reqwest::Request::new(Method::POST, url.clone());
        *request.headers_mut() = headers;
        *request.body_mut() = Some(body.into());
        client
            .execute(request)
            .await
            .map_err(|e| self.failure(&e, endpoint))
    }

    /// Reads a body, failing as soon as it exceeds `limit` bytes (never
    /// buffering more, and not at all when `Content-Length` already says
    /// it is larger).
    pub(crate) async fn read_body(
        &self,
        endpoint: &Endpoint,
        mut response: reqwest::Response,
        limit: usize,
    ) -> Result<Vec<u8>, Error> {
        let declared = response.content_length();
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(Error::ResponseTooLarge { limit });
        }
        let capacity = declared.map_or(8 * 1024, |len| len as usize).min(limit);
        let mut buf = Vec::with_capacity(capacity);
        while let Some(data) = response
            .chunk()
            .await
            .map_err(|e| self.failure(&e, endpoint))?
        {
            if buf.len() + data.len() > limit {
                return Err(Error::ResponseTooLarge { limit });
            }
            buf.extend_from_slice(&data);
        }
        Ok(buf)
    }

    /// The typed error of a failed exchange with `endpoint`.
    fn failure(&self, error: &reqwest::Error, endpoint: &Endpoint) -> Error {
        let proxy = self.proxy_for(endpoint);
        failure::classify(
            error,
            failure::Target {
                url: endpoint.origin(),
                proxy: proxy.as_deref(),
                timeout: self.timeout,
            },
        )
    }

    /// The proxy requests to `endpoint` go through, without credentials.
    fn proxy_for(&self, endpoint: &Endpoint) -> Option<String> {
        if endpoint.is_loopback() {
            return None;
        }
        let uri: Uri = endpoint.url().parse().ok()?;
        self.proxies.intercept(&uri).map(|i| redact(i.uri()))
    }
}

/// A `reqwest::Client` for another HTTP service the caller talks to (a
/// Prometheus Pushgateway), trusting what the API client trusts: the system
/// roots (Mozilla's as fallback) plus `ca_files`, through the environment's
/// proxies unless `url` is a loopback address. HTTP/1.1, no redirects, no
/// retries; `timeout` bounds the connection and the whole request.
pub fn service_client(
    url: &Url,
    ca_files: &[PathBuf],
    timeout: Duration,
) -> Result<reqwest::Client, Error> {
    let mut extra = Vec::new();
    for path in ca_files {
        extra.extend(load_ca_file(path)?);
    }
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls::tls_config(extra)?)
        .http1_only()
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(DEFAULT_REQUEST_CLIENT);
    if url
        .host_str()
        .is_some_and(crate::endpoint::is_loopback_host)
    {
        builder = builder.no_proxy();
    }
    builder.build().map_err(|e| Error::ClientBuild {
        reason: error_chain(&e),
    })
}

/// A proxy URI without credentials, for messages.
fn redact(uri: &Uri) -> String {
    match uri.authority() {
        Some(a) => {
            let hostport = a.as_str().rsplit('@').next().unwrap_or_default();
            format!("{}://{hostport}", uri.scheme_str().unwrap_or("http"))
        }
        None => "(no host)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_credentials_never_reach_messages() {
        let uri: Uri = "http://user:secret@proxy.example:3128".parse().unwrap();
        assert_eq!(redact(&uri), "http://proxy.example:3128");
    }
}
