//! Interpreting one HTTP answer, pure functions of the status, headers and
//! body: an API error wins whatever the status, data is decoded from a 2xx
//! answer naming the field that did not decode, redirects keep their
//! `Location`, and the `Date` header gives the server's clock.

use http::header::{HeaderMap, LOCATION};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{body_excerpt, sanitize_location, Error};

#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "Response")]
    response: Option<ProbeInner>,
}

#[derive(Deserialize)]
struct ProbeInner {
    #[serde(rename = "Error")]
    error: Option<ApiErrorBody>,
    #[serde(rename = "RequestId")]
    request_id: Option<String>,
}

#[derive(Deserialize)]
struct ApiErrorBody {
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Message", default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    #[serde(rename = "Response")]
    response: T,
}

/// A JSON decoding error that remembers where in the document it happened.
type JsonError = serde_path_to_error::Error<serde_json::Error>;

/// Decodes `body` as `T`, keeping the path of the field that failed.
/// The plain decoder goes first: tracking the path allocates for every key
/// of every answer, and only a failure needs it, so a body that does not
/// decode is decoded again with the path tracked (the same decoder, so the
/// same outcome).
fn from_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, JsonError> {
    let mut plain = serde_json::Deserializer::from_slice(body);
    match T::deserialize(&mut plain) {
        Ok(v) => Ok(v),
        Err(_) => serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_slice(body)),
    }
}

/// The field path and what was wrong with it, e.g.
/// `Response.TotalAuthorizedCnt: invalid type: string "x", expected i64`
/// (the line and column are left out when the path says where).
fn field_error(e: &JsonError) -> String {
    let inner = e.inner();
    let path = e.path().to_string();
    if path.is_empty() || path == "." {
        return inner.to_string();
    }
    let text = inner.to_string();
    let position = format!(" at line {} column {}", inner.line(), inner.column());
    let text = text.strip_suffix(&position).unwrap_or(&text);
    format!("{path}: {text}")
}

/// Interprets one HTTP answer: an API error in `Response.Error` wins whatever
/// the status or content type; data is parsed only from a 2xx answer; other
/// statuses are [`Error::Http`], undecodable 2xx bodies [`Error::Malformed`]
/// (whose reason names the field that did not decode, e.g.
/// `Response.TotalAuthorizedCnt: invalid type: string "x", expected i64`).
/// Returns the data and `Response.RequestId`.
pub fn interpret_response<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
) -> Result<(T, String), Error> {
    let success = (200..300).contains(&status);
    let http = |request_id| Error::Http {
        status,
        body_excerpt: body_excerpt(body),
        request_id,
        location: None,
    };
    let malformed = |reason, request_id| Error::Malformed {
        reason,
        body_excerpt: body_excerpt(body),
        request_id,
    };
    let inner = match from_json::<Probe>(body) {
        Ok(Probe {
            response: Some(inner),
        }) => inner,
        _ if !success => return Err(http(None)),
        Ok(Probe { response: None }) => {
            return Err(malformed("no `Response` object".to_string(), None))
        }
        Err(e) if e.inner().is_syntax() || e.inner().is_eof() => {
            return Err(malformed(format!("not JSON: {}", e.inner()), None))
        }
        Err(e) => {
            return Err(malformed(
                format!("not an API answer: {}", field_error(&e)),
                None,
            ))
        }
    };
    if let Some(err) = inner.error {
        return Err(Error::Api {
            code: err.code,
            message: err.message.unwrap_or_default(),
            request_id: inner.request_id.unwrap_or_default(),
        });
    }
    if !success {
        return Err(http(inner.request_id));
    }
    match from_json::<Envelope<T>>(body) {
        Ok(env) => Ok((env.response, inner.request_id.unwrap_or_default())),
        Err(e) => Err(malformed(field_error(&e), inner.request_id)),
    }
}

/// Parses an HTTP `Date` header (IMF-fixdate, also RFC 2822) into Unix seconds.
pub fn parse_http_date(value: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .map(|d| d.timestamp())
}

/// The sanitised `Location` of a redirect (3xx) answer.
pub(crate) fn redirect_location(status: u16, headers: &HeaderMap) -> Option<String> {
    if !(300..400).contains(&status) {
        return None;
    }
    headers
        .get(LOCATION)
        .map(|v| sanitize_location(v.as_bytes()))
        .filter(|l| !l.is_empty())
}

/// Puts a redirect's `Location` into the [`Error::Http`] it caused.
pub(crate) fn with_location(mut error: Error, found: Option<String>) -> Error {
    if let Error::Http { location, .. } = &mut error {
        *location = found;
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tcss::ImageAuthorizedInfo;

    #[test]
    fn interpret_success_error_and_garbage() {
        let (d, rid): (ImageAuthorizedInfo, _) = interpret_response(
            200,
            br#"{"Response":{"TotalAuthorizedCnt":5,"Extra":1,"RequestId":"r1"}}"#,
        )
        .unwrap();
        assert_eq!((d.total_authorized_cnt, rid.as_str()), (Some(5), "r1"));

        let e = interpret_response::<ImageAuthorizedInfo>(
            400,
            br#"{"Response":{"Error":{"Code":"InvalidParameter","Message":"bad"},"RequestId":"r2"}}"#,
        )
        .unwrap_err();
        assert!(matches!(&e, Error::Api { code, message, request_id }
            if code == "InvalidParameter" && message == "bad" && request_id == "r2"));

        let e = interpret_response::<ImageAuthorizedInfo>(502, b"<html>Bad Gateway</html>")
            .unwrap_err();
        assert!(
            matches!(&e, Error::Http { status: 502, body_excerpt, .. } if body_excerpt == "<html>Bad Gateway</html>")
        );
        assert!(e.is_retryable());

        let e =
            interpret_response::<ImageAuthorizedInfo>(503, br#"{"Response":{"RequestId":"r3"}}"#)
                .unwrap_err();
        assert!(matches!(&e, Error::Http { status: 503, request_id: Some(r), .. } if r == "r3"));

        let e = interpret_response::<ImageAuthorizedInfo>(200, b"{\"Response\": {").unwrap_err();
        assert!(
            matches!(&e, Error::Malformed { reason, .. } if reason.starts_with("not JSON")),
            "{e}"
        );
        assert!(e.is_retryable());

        let e = interpret_response::<ImageAuthorizedInfo>(200, b"{\"Other\": 1}").unwrap_err();
        assert!(
            matches!(&e, Error::Malformed { reason, .. } if reason.contains("Response")),
            "{e}"
        );

        let e = interpret_response::<ImageAuthorizedInfo>(
            200,
            br#"{"Response":{"TotalAuthorizedCnt":"x","RequestId":"r4"}}"#,
        )
        .unwrap_err();
        assert!(
            matches!(&e, Error::Malformed { request_id: Some(r), .. } if r == "r4"),
            "{e}"
        );
        assert!(
            e.to_string().starts_with(
                r#"malformed response: Response.TotalAuthorizedCnt: invalid type: string "x", expected i64;"#
            ),
            "{e}"
        );
        let e = interpret_response::<ImageAuthorizedInfo>(
            200,
            br#"{"Response":{"ImageScanInquireInfo":{"Capcity":true},"RequestId":"r5"}}"#,
        )
        .unwrap_err();
        assert!(
            e.to_string().contains(
                "Response.ImageScanInquireInfo.Capcity: invalid type: boolean `true`, expected i64"
            ),
            "{e}"
        );
        // A wrongly typed envelope field is named too.
        let e = interpret_response::<ImageAuthorizedInfo>(200, br#"{"Response":{"RequestId":5}}"#)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("Response.RequestId: invalid type: integer `5`"),
            "{e}"
        );

        let e = interpret_response::<ImageAuthorizedInfo>(200, b"").unwrap_err();
        assert_eq!(e.code(), "MalformedResponse");
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Tue, 14 Nov 2023 22:13:20 GMT"),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse_http_date("Tue, 14 Nov 2023 22:13:20 +0000"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }
}
