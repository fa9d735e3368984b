//! DingTalk (钉钉) robot: `POST <webhook>?access_token=...` with
//! `{"msgtype": "markdown", "markdown": {"title", "text"}}`, the body at most
//! [`BODY_LIMIT`] bytes. With a signing secret ("加签"), the URL also
//! carries `timestamp` (milliseconds) and `sign` = Base64(HMAC-SHA256(key =
//! secret, message = `timestamp + "\n" + secret`)), URL-encoded; the robot
//! refuses a timestamp more than an hour off. The answer is
//! `{"errcode": 0, "errmsg": "ok"}`, any other errcode a failure.

use base64::prelude::{Engine, BASE64_STANDARD};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use url::Url;

use super::message::{fit, inert, markdown, Markup, Summary};

/// The most bytes of a request body DingTalk takes.
pub const BODY_LIMIT: usize = 20_000;

const MARKUP: Markup = Markup {
    heading: |h| format!("**{h}**"),
    code: inert,
    text: |t| t.to_string(),
    bullet: "- ",
    // DingTalk's Markdown joins lines unless a blank line parts them.
    line_break: "\n\n",
};

/// The request body, cut to [`BODY_LIMIT`] bytes.
pub fn body(s: &Summary) -> Vec<u8> {
    let render = |cap: usize| {
        json!({
            "msgtype": "markdown",
            "markdown": {
                "title": s.title,
                "text": format!("#### {}\n\n{}", s.title, markdown(s, cap, &MARKUP)),
            },
        })
        .to_string()
    };
    fit(BODY_LIMIT, s.longest_list(), str::len, render).into_bytes()
}

/// `sign` for `timestamp_ms`: Base64(HMAC-SHA256(secret, `timestamp + "\n" + secret`)).
pub fn sign(secret: &str, timestamp_ms: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    BASE64_STANDARD.encode(mac.finalize().into_bytes())
}

/// `url` with `timestamp` and `sign` added to its query (URL-encoded).
pub fn signed_url(url: &Url, secret: &str, timestamp_ms: i64) -> Url {
    let mut signed = url.clone();
    signed
        .query_pairs_mut()
        .append_pair("timestamp", &timestamp_ms.to_string())
        .append_pair("sign", &sign(secret, timestamp_ms));
    signed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_dingtalks() {
        // Python: base64.b64encode(hmac.new(b"SECxyz", b"1700000000000\nSECxyz",
        // hashlib.sha256).digest())
        assert_eq!(
            sign("SECxyz", 1_700_000_000_000),
            "0PUR1j8g85Xg3vlFV/UrEcxXfF5HpCAGzcjrNfyJoyg="
        );
        let url = Url::parse("https://oapi.dingtalk.com/robot/send?access_token=t0k").unwrap();
        let signed = signed_url(&url, "SECxyz", 1_700_000_000_000);
        assert_eq!(
            signed.as_str(),
            "https://oapi.dingtalk.com/robot/send?access_token=t0k&timestamp=1700000000000\
             &sign=0PUR1j8g85Xg3vlFV%2FUrEcxXfF5HpCAGzcjrNfyJoyg%3D"
        );
    }
}
