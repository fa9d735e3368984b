//! Sending, best effort: one attempt bounded by the entry's timeout, and
//! one more after [`RETRY_PAUSE`] only when the first failed transiently
//! (a timeout, a refused or reset connection, HTTP 5xx, an SMTP 4xx); no
//! redirect followed; the platform's answer read (at most [`BODY_READ`]
//! bytes) and checked: an error in it (`errcode` != 0, Slack's text other
//! than `ok`) is a failure. Failures are words, never a library's debug
//! text, and never the URL (its path and query carry the key); what a
//! server said is kept whole (on one line), to be cleaned of secrets
//! before it is cut (by the caller).

use std::future::Future;
use std::time::Duration;

use url::Url;

/// The pause before the one retry.
pub const RETRY_PAUSE: Duration = Duration::from_millis(500);
/// At most this much of an answer is read (bytes).
pub const BODY_READ: usize = 16 * 1024;

/// Why one attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What happened, in words.
    pub message: String,
    /// Whether trying again may help.
    pub transient: bool,
}

/// How a platform answers: `Ok` when it took the message, else what it said.
pub type Check = fn(status: u16, body: &[u8]) -> Result<(), String>;

/// Runs `attempt`, and once more after [`RETRY_PAUSE`] when it failed
/// transiently. Returns the attempts made and the last failure.
pub async fn with_retry<F, Fut>(mut attempt: F) -> (u32, Result<(), Failure>)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
{
    match attempt().await {
        Err(f) if f.transient => {
            tokio::time::sleep(RETRY_PAUSE).await;
            (2, attempt().await)
        }
        other => (1, other),
    }
}

/// `POST`s `body` as JSON to `url` with `client` (no redirects), the
/// request and the answer together bounded by `timeout`, and checks the
/// answer.
pub async fn post_json(
    client: &reqwest::Client,
    url: &Url,
    body: Vec<u8>,
    timeout: Duration,
    check: Check,
) -> Result<(), Failure> {
    let exchange = async {
        let answer = client
            .post(url.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| transport_failure(e, timeout))?;
        let status = answer.status().as_u16();
        Ok::<_, Failure>((status, start_of_body(answer, BODY_READ).await))
    };
    let (status, body) = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| timed_out(timeout))??;
    match status {
        300..=399 => Err(Failure {
            message: format!(
                "the server answered HTTP {status} (a redirect); notifications never follow \
                 redirects: put the final URL in the variable"
            ),
            transient: false,
        }),
        500..=599 => Err(Failure {
            message: format!("the server answered HTTP {status}: {}", shown(&body)),
            transient: true,
        }),
        _ => check(status, &body).map_err(|message| Failure {
            message,
            transient: false,
        }),
    }
}

fn timed_out(timeout: Duration) -> Failure {
    Failure {
        message: format!("no answer within {} s", timeout.as_secs()),
        transient: true,
    }
}

/// A request that got no answer, in words (never the URL).
fn transport_failure(e: reqwest::Error, timeout: Duration) -> Failure {
    if e.is_timeout() {
        return timed_out(timeout);
    }
    let connect = e.is_connect();
    let chain = tcapi::error::error_chain(&e.without_url());
    let message = if connect {
        format!("could not connect: {chain}")
    } else {
        format!("the request failed: {chain}")
    };
    Failure {
        message,
        // Refused, reset, or cut off: worth one more try. A certificate
        // that is not trusted stays so.
        transient: !chain.contains("certificate"),
    }
}

/// The first `cap` bytes of `answer`'s body; the rest is never read.
async fn start_of_body(mut answer: reqwest::Response, cap: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < cap {
        match answer.chunk().await {
            Ok(Some(data)) => {
                let room = cap - body.len();
                body.extend_from_slice(&data[..data.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    body
}

/// An answer (as much as was read) on one line, not cut: a secret it
/// echoes is removed before the caller cuts it.
pub fn shown(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return "(no body)".into();
    }
    one_line(text)
}

/// `text` on one line, without control characters, whole.
fn one_line(text: &str) -> String {
    crate::sanitize::clean(text, BODY_READ).into_owned()
}

/// WeCom's and DingTalk's answer: 2xx and `{"errcode": 0, ...}`.
pub fn errcode_answer(status: u16, body: &[u8]) -> Result<(), String> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| format!("HTTP {status}, an answer that is not JSON: {}", shown(body)))?;
    match value.get("errcode").and_then(serde_json::Value::as_i64) {
        Some(0) if (200..300).contains(&status) => Ok(()),
        Some(code) => Err(format!(
            "errcode {code}: {}",
            one_line(value.get("errmsg").and_then(|m| m.as_str()).unwrap_or(""))
        )),
        None => Err(format!(
            "HTTP {status}, an answer without errcode: {}",
            shown(body)
        )),
    }
}

/// Feishu's answer: `{"code": 0, ...}` (or the older `{"StatusCode": 0, ...}`).
pub fn feishu_answer(status: u16, body: &[u8]) -> Result<(), String> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| format!("HTTP {status}, an answer that is not JSON: {}", shown(body)))?;
    let code = ["code", "StatusCode"]
        .iter()
        .find_map(|k| value.get(*k).and_then(serde_json::Value::as_i64));
    let msg = ["msg", "StatusMessage"]
        .iter()
        .find_map(|k| value.get(*k).and_then(|m| m.as_str()))
        .unwrap_or("");
    match code {
        Some(0) if (200..300).contains(&status) => Ok(()),
        Some(code) => Err(format!("code {code}: {}", one_line(msg))),
        None => Err(format!(
            "HTTP {status}, an answer without code: {}",
            shown(body)
        )),
    }
}

/// Slack's answer: 200 and the text `ok`.
pub fn slack_answer(status: u16, body: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(body);
    if status == 200 && text.trim() == "ok" {
        return Ok(());
    }
    Err(format!("HTTP {status}: {}", shown(body)))
}

/// A webhook's answer: any 2xx.
pub fn any_2xx(status: u16, body: &[u8]) -> Result<(), String> {
    if (200..300).contains(&status) {
        return Ok(());
    }
    Err(format!("HTTP {status}: {}", shown(body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_answers_are_read_as_the_platforms_write_them() {
        assert_eq!(
            errcode_answer(200, br#"{"errcode":0,"errmsg":"ok"}"#),
            Ok(())
        );
        let e = errcode_answer(
            200,
            br#"{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}"#,
        )
        .unwrap_err();
        assert_eq!(e, "errcode 40058: markdown.content exceed max length 4096");
        assert!(errcode_answer(200, b"<html>")
            .unwrap_err()
            .contains("not JSON"));
        assert_eq!(
            feishu_answer(200, br#"{"code":0,"msg":"success","data":{}}"#),
            Ok(())
        );
        assert_eq!(
            feishu_answer(200, br#"{"StatusCode":0,"StatusMessage":"success"}"#),
            Ok(())
        );
        assert_eq!(
            feishu_answer(200, br#"{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}"#).unwrap_err(),
            "code 19021: sign match fail or timestamp is not within one hour from current time"
        );
        assert_eq!(slack_answer(200, b"ok"), Ok(()));
        assert_eq!(
            slack_answer(400, b"invalid_payload").unwrap_err(),
            "HTTP 400: invalid_payload"
        );
        assert_eq!(any_2xx(204, b""), Ok(()));
        assert_eq!(any_2xx(404, b"").unwrap_err(), "HTTP 404: (no body)");
    }

    #[tokio::test]
    async fn only_a_transient_failure_is_tried_again() {
        let mut calls = 0;
        let (attempts, result) = with_retry(|| {
            calls += 1;
            async {
                Err(Failure {
                    message: "HTTP 502".into(),
                    transient: true,
                })
            }
        })
        .await;
        assert_eq!((attempts, calls), (2, 2));
        assert!(result.is_err());
        let (attempts, _) = with_retry(|| async {
            Err(Failure {
                message: "errcode 93000".into(),
                transient: false,
            })
        })
        .await;
        assert_eq!(attempts, 1);
    }
}
