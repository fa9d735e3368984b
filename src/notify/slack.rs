//! Slack incoming webhook: `POST https://hooks.slack.com/services/T…/B…/…`
//! with Block Kit: a `header` block (plain text, at most [`HEADER_LIMIT`]
//! characters) and a `section` block whose `mrkdwn` text is at most
//! [`SECTION_LIMIT`] characters; `text` is the notification's fallback.
//! The answer is the plain text `ok`; anything else (`invalid_payload`,
//! `no_service`, `channel_is_archived`, ...) is a failure. In `mrkdwn`,
//! `&`, `<` and `>` are written as entities, everywhere.

use serde_json::json;

use super::message::{fit, markdown, Markup, Summary};

/// The most characters of a section block's text.
pub const SECTION_LIMIT: usize = 3000;
/// The most characters of a header block's text.
pub const HEADER_LIMIT: usize = 150;

/// `&`, `<`, `>` as Slack's `mrkdwn` asks.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// User text in a code span: backticks become quotes, then escaped.
fn code(text: &str) -> String {
    format!("`{}`", escape(&text.replace('`', "'")))
}

const MARKUP: Markup = Markup {
    heading: |h| format!("*{}*", escape(h)),
    code,
    text: escape,
    bullet: "• ",
    line_break: "\n",
};

/// The section's text, cut to [`SECTION_LIMIT`] characters.
pub fn section(s: &Summary) -> String {
    fit(
        SECTION_LIMIT,
        s.longest_list(),
        |t| t.chars().count(),
        |cap| markdown(s, cap, &MARKUP),
    )
}

/// The request body.
pub fn body(s: &Summary) -> Vec<u8> {
    let header: String = s.title.chars().take(HEADER_LIMIT).collect();
    json!({
        "text": s.title,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": true}},
            {"type": "section", "text": {"type": "mrkdwn", "text": section(s)}},
        ],
    })
    .to_string()
    .into_bytes()
}
