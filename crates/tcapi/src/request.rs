//! Building one attempt, a pure function of its inputs: the [`ApiRequest`]
//! to make, the credentials and the timestamp go in; the signed headers
//! ([`PreparedRequest`]) come out. No I/O, no clock.

use http::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};

use crate::action::Descriptor;
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::sign::{self, Payload, SignRequest};

/// The `Content-Type` of every request (and the one that is signed).
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// The default `X-TC-RequestClient`: this tool and its version.
pub const DEFAULT_REQUEST_CLIENT: &str = concat!("tcss-report/", env!("CARGO_PKG_VERSION"));

static X_TC_ACTION: HeaderName = HeaderName::from_static("x-tc-action");
static X_TC_TIMESTAMP: HeaderName = HeaderName::from_static("x-tc-timestamp");
static X_TC_VERSION: HeaderName = HeaderName::from_static("x-tc-version");
static X_TC_REGION: HeaderName = HeaderName::from_static("x-tc-region");
static X_TC_TOKEN: HeaderName = HeaderName::from_static("x-tc-token");
static X_TC_LANGUAGE: HeaderName = HeaderName::from_static("x-tc-language");
static X_TC_REQUEST_CLIENT: HeaderName = HeaderName::from_static("x-tc-requestclient");

/// One API call to make.
#[derive(Debug, Clone, Copy)]
pub struct ApiRequest<'a> {
    /// Where to send it.
    pub endpoint: &'a Endpoint,
    /// Service name (`tcss`, `sts`): enters the credential scope.
    pub service: &'a str,
    /// API version, `X-TC-Version`.
    pub version: &'a str,
    /// Action, `X-TC-Action`.
    pub action: &'a str,
    /// Region, `X-TC-Region` (not sent when `None` or empty).
    pub region: Option<&'a str>,
    /// The JSON body: these exact bytes are hashed and sent.
    pub body: &'a [u8],
}

impl<'a> ApiRequest<'a> {
    /// The request of `action` (its service, version and name) to
    /// `endpoint`, in `region`, with the JSON `body`.
    pub fn new(
        endpoint: &'a Endpoint,
        action: &'a Descriptor,
        region: Option<&'a str>,
        body: &'a [u8],
    ) -> ApiRequest<'a> {
        ApiRequest {
            endpoint,
            service: action.service,
            version: action.version,
            action: action.name,
            region,
            body,
        }
    }
}

/// Everything one attempt sends, built by [`build_request_parts`].
#[derive(Debug)]
pub struct PreparedRequest<'a> {
    /// `POST`.
    pub method: &'static str,
    /// The URL.
    pub url: &'a str,
    /// The `Host` header value that was signed (the transport derives the
    /// same value from the URL).
    pub host: &'a str,
    /// Every other header, in the order sent. `X-TC-Token` and
    /// `Authorization` are marked sensitive.
    pub headers: HeaderMap,
    /// The body bytes, exactly the bytes hashed.
    pub body: &'a [u8],
}

impl PreparedRequest<'_> {
    /// All headers including `Host`, as `(lowercase name, value)` pairs.
    pub fn header_pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::with_capacity(self.headers.len() + 1);
        out.push(("host".to_string(), self.host.to_string()));
        for (name, value) in &self.headers {
            out.push((
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ));
        }
        out
    }
}

pub(crate) fn header_value(name: &str, value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value).map_err(|_| Error::InvalidRequest {
        reason: format!("the {name} header value has invalid characters"),
    })
}

/// Builds and signs one attempt: the pure function the transport uses, with
/// the timestamp (Unix seconds, `X-TC-Timestamp`) as a parameter. Empty
/// `language` / `request_client` / region are not sent. Fails only when a
/// value cannot be a header (the error names the header, not the value).
pub fn build_request_parts<'a>(
    req: &ApiRequest<'a>,
    creds: &Credentials,
    timestamp: i64,
    language: &str,
    request_client: &str,
) -> Result<PreparedRequest<'a>, Error> {
    let signature = sign::sign(
        &SignRequest {
            method: "POST",
            host: req.endpoint.host(),
            path: req.endpoint.path(),
            canonical_query: "",
            content_type: JSON_CONTENT_TYPE,
            payload: Payload::Bytes(req.body),
            service: req.service,
            timestamp,
        },
        &creds.secret_id,
        creds.secret_key.expose(),
    );
    let mut headers = HeaderMap::with_capacity(10);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    headers.insert(
        X_TC_ACTION.clone(),
        header_value("X-TC-Action", req.action)?,
    );
    if !request_client.is_empty() {
        headers.insert(
            X_TC_REQUEST_CLIENT.clone(),
            header_value("X-TC-RequestClient", request_client)?,
        );
    }
    headers.insert(X_TC_TIMESTAMP.clone(), HeaderValue::from(timestamp));
    headers.insert(
        X_TC_VERSION.clone(),
        header_value("X-TC-Version", req.version)?,
    );
    if let Some(region) = req.region.filter(|r| !r.is_empty()) {
        headers.insert(X_TC_REGION.clone(), header_value("X-TC-Region", region)?);
    }
    if let Some(token) = &creds.token {
        let mut v = header_value("X-TC-Token", token.expose())?;
        v.set_sensitive(true);
        headers.insert(X_TC_TOKEN.clone(), v);
    }
    if !language.is_empty() {
        headers.insert(
            X_TC_LANGUAGE.clone(),
            header_value("X-TC-Language", language)?,
        );
    }
    let mut auth = header_value("Authorization", &signature.authorization)?;
    auth.set_sensitive(true);
    headers.insert(AUTHORIZATION, auth);
    Ok(PreparedRequest {
        method: "POST",
        url: req.endpoint.url(),
        host: req.endpoint.host(),
        headers,
        body: req.body,
    })
}
