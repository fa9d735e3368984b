//! Feishu/Lark (飞书) custom bot: `POST <webhook>/open-apis/bot/v2/hook/<token>`
//! with an interactive card (a header with the title in the run's color,
//! one `markdown` element), the body at most [`BODY_LIMIT`] bytes. With a
//! signing secret ("签名校验"), the body carries `timestamp` (seconds, a
//! string) and `sign` = Base64(HMAC-SHA256(key = `timestamp + "\n" +
//! secret`, message = empty)): not DingTalk's scheme. The answer is
//! `{"code": 0, ...}` (older bots: `{"StatusCode": 0, ...}`), any other
//! code a failure.

use base64::prelude::{Engine, BASE64_STANDARD};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::message::{fit, inert, markdown, Markup, Severity, Summary};

/// The most bytes of a request body Feishu takes (20 KB).
pub const BODY_LIMIT: usize = 20_000;

const MARKUP: Markup = Markup {
    heading: |h| format!("**{h}**"),
    code: inert,
    text: |t| t.to_string(),
    bullet: "- ",
    line_break: "\n",
};

/// The request body, signed at `timestamp_s` with `secret` when given, cut
/// to [`BODY_LIMIT`] bytes.
pub fn body(s: &Summary, signature: Option<(&str, i64)>) -> Vec<u8> {
    let template = match s.severity {
        Severity::Ok => "green",
        Severity::Warning => "orange",
        Severity::Problem => "red",
    };
    let render = |cap: usize| {
        let mut body = json!({
            "msg_type": "interactive",
            "card": {
                "config": {"wide_screen_mode": true},
                "header": {
                    "template": template,
                    "title": {"tag": "plain_text", "content": s.title},
                },
                "elements": [{"tag": "markdown", "content": markdown(s, cap, &MARKUP)}],
            },
        });
        if let (Some((secret, ts)), Value::Object(map)) = (signature, &mut body) {
            map.insert("timestamp".into(), Value::String(ts.to_string()));
            map.insert("sign".into(), Value::String(sign(secret, ts)));
        }
        body.to_string()
    };
    fit(BODY_LIMIT, s.longest_list(), str::len, render).into_bytes()
}

/// `sign` for `timestamp_s`: Base64(HMAC-SHA256 keyed with
/// `timestamp + "\n" + secret` over nothing).
pub fn sign(secret: &str, timestamp_s: i64) -> String {
    let key = format!("{timestamp_s}\n{secret}");
    let mac =
        Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    BASE64_STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_feishus() {
        // Python: base64.b64encode(hmac.new(b"1700000000\nSECxyz", b"",
        // hashlib.sha256).digest())
        assert_eq!(
            sign("SECxyz", 1_700_000_000),
            "GnU9dobz1WousiKlH0LX6FYP8yrWNCgoJOvRhpMc8HY="
        );
    }
}
