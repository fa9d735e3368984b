//! The wire shape of answers: `{"Response": {..., "RequestId"}}` bodies, the
//! `Response.Error` shape, the HTTP 502 page, truncated JSON, and the
//! RFC 7231 `Date` header.

use std::borrow::Cow;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE, DATE};
use hyper::{Response, StatusCode};

/// An API error: `Response.Error.{Code, Message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub code: Cow<'static, str>,
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> ApiError {
        ApiError {
            code: code.into(),
            message: message.into(),
        }
    }

    pub(crate) fn missing(param: &str) -> ApiError {
        ApiError::new(
            "MissingParameter",
            format!("The request is missing a required parameter `{param}`."),
        )
    }

    pub(crate) fn internal() -> ApiError {
        ApiError::new(
            "InternalError",
            "An internal error has occurred. Retry your request, but if the problem persists, contact us.",
        )
    }
}

/// A fresh request id (UUID v4).
pub(crate) fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// RFC 7231 IMF-fixdate of a Unix time, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

fn with_headers(
    status: StatusCode,
    content_type: &'static str,
    date_unix: i64,
    body: String,
) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&http_date(date_unix)) {
        h.insert(DATE, v);
    }
    r
}

/// HTTP 200 JSON.
pub(crate) fn json(body: String, date_unix: i64) -> Response<Full<Bytes>> {
    with_headers(StatusCode::OK, "application/json", date_unix, body)
}

/// `{"Response":{<fragment>,"RequestId":"..."}}` where `fragment` is the inside of a JSON object (may be empty).
pub(crate) fn success_body(fragment: &str, request_id: &str) -> String {
    if fragment.is_empty() {
        format!("{{\"Response\":{{\"RequestId\":\"{request_id}\"}}}}")
    } else {
        format!("{{\"Response\":{{{fragment},\"RequestId\":\"{request_id}\"}}}}")
    }
}

/// The error shape.
pub(crate) fn error_body(e: &ApiError, request_id: &str) -> String {
    serde_json::json!({
        "Response": {
            "Error": {"Code": e.code.as_ref(), "Message": e.message},
            "RequestId": request_id,
        }
    })
    .to_string()
}

/// A gateway's HTTP 502 page.
pub(crate) fn bad_gateway(date_unix: i64) -> Response<Full<Bytes>> {
    with_headers(
        StatusCode::BAD_GATEWAY,
        "text/html",
        date_unix,
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>stgw</center>\r\n</body>\r\n</html>\r\n"
            .to_owned(),
    )
}

/// HTTP 200 `application/json` whose body stops in the middle.
pub(crate) fn malformed_json(request_id: &str, date_unix: i64) -> Response<Full<Bytes>> {
    json(
        format!("{{\"Response\":{{\"TotalAuthorizedCnt\":12,\"RequestId\":\"{request_id}\""),
        date_unix,
    )
}

/// The inside of a JSON object (`"a":1,"b":2`), for [`success_body`].
pub(crate) fn fragment(map: &serde_json::Map<String, serde_json::Value>) -> String {
    let mut m = map.clone();
    m.remove("RequestId");
    let s = serde_json::Value::Object(m).to_string();
    s.get(1..s.len().saturating_sub(1))
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_json() {
        let m = serde_json::json!({"A": 1, "B": {"C": null}, "RequestId": "x"});
        let serde_json::Value::Object(m) = m else {
            unreachable!()
        };
        let v: serde_json::Value =
            serde_json::from_str(&success_body(&fragment(&m), "rid")).expect("json");
        assert_eq!(v["Response"]["A"], 1);
        assert_eq!(v["Response"]["RequestId"], "rid");
        let empty: serde_json::Value =
            serde_json::from_str(&success_body(&fragment(&serde_json::Map::new()), "r"))
                .expect("json");
        assert_eq!(empty["Response"]["RequestId"], "r");
        let e: serde_json::Value =
            serde_json::from_str(&error_body(&ApiError::new("X.Y", "quote \" ok"), "r"))
                .expect("json");
        assert_eq!(e["Response"]["Error"]["Message"], "quote \" ok");
    }

    #[test]
    fn date_is_imf_fixdate() {
        assert_eq!(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
    }
}
