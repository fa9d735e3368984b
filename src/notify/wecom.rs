//! WeCom (企业微信) group robot: `POST <webhook>?key=...` with
//! `{"msgtype": "markdown", "markdown": {"content": ...}}`. The content is at
//! most [`CONTENT_LIMIT`] bytes (longer is refused with errcode 40058); the
//! answer is `{"errcode": 0, "errmsg": "ok"}`, any other errcode a failure.
//! A robot takes 20 messages a minute; a run sends one. The `key` in the
//! URL is the credential.

use serde_json::json;

use super::message::{fit, inert, markdown, Markup, Severity, Summary};

/// The most bytes of `markdown.content` WeCom takes.
pub const CONTENT_LIMIT: usize = 4096;

const MARKUP: Markup = Markup {
    heading: |h| format!("**{h}**"),
    code: inert,
    text: |t| t.to_string(),
    bullet: "- ",
    line_break: "\n",
};

/// The request body.
pub fn body(s: &Summary) -> Vec<u8> {
    let content = content(s);
    json!({"msgtype": "markdown", "markdown": {"content": content}})
        .to_string()
        .into_bytes()
}

/// The message: the title in the run's color, then the body, cut to
/// [`CONTENT_LIMIT`] bytes.
pub fn content(s: &Summary) -> String {
    // WeCom's colors: info green, warning orange, comment grey.
    let color = match s.severity {
        Severity::Ok => "info",
        Severity::Warning | Severity::Problem => "warning",
    };
    fit(CONTENT_LIMIT, s.longest_list(), str::len, |cap| {
        format!(
            "<font color=\"{color}\">**{}**</font>\n{}",
            s.title,
            markdown(s, cap, &MARKUP)
        )
    })
}
