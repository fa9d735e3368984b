//! Log output on stderr: the tracing subscriber (text or JSON, level from
//! `-q`/`-v` or `RUST_LOG`), the writer every log line passes through, and
//! the last line of a failed command.
//!
//! Whatever a log line carries (an error code from a server, a library's
//! message), [`SafeStderr`] writes it with every secret of the run
//! redacted and with no line break or control character inside the line,
//! so a server cannot forge a log line or leak a token into a cron log.

use std::io::{self, Write};
use std::sync::Arc;

use crate::redact::Redactor;

/// Escapes what could break a log line: line breaks and other control
/// characters inside `line` become `\n`, `\r`, `\t` or `\u{..}`; a final
/// `\n` stays. With `keep_escapes`, `ESC` is kept (the text format's own
/// colours on a terminal; tracing-subscriber escapes `ESC` in fields itself).
pub fn escape_line(line: &str, keep_escapes: bool) -> std::borrow::Cow<'_, str> {
    let body = line.strip_suffix('\n').unwrap_or(line);
    let bad = |c: char| c.is_control() && !(keep_escapes && c == '\u{1b}');
    if !body.chars().any(bad) {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 16);
    for c in body.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if bad(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    if body.len() < line.len() {
        out.push('\n');
    }
    std::borrow::Cow::Owned(out)
}

/// stderr, with secrets redacted and control characters escaped in each
/// line (tracing's formatter writes one event per `write_all`).
#[derive(Debug, Clone)]
pub struct SafeStderr {
    redactor: Arc<Redactor>,
    ansi: bool,
}

impl SafeStderr {
    /// A writer redacting with `redactor`; `ansi` keeps colour escapes.
    pub fn new(redactor: Arc<Redactor>, ansi: bool) -> SafeStderr {
        SafeStderr { redactor, ansi }
    }

    /// Writes one line (or message) to stderr, redacted and escaped.
    pub fn write_line(&self, line: &str) -> io::Result<()> {
        let redacted = self.redactor.redact(line);
        let safe = escape_line(&redacted, self.ansi);
        io::stderr().lock().write_all(safe.as_bytes())
    }
}

impl Write for SafeStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_line(&String::from_utf8_lossy(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for SafeStderr {
    type Writer = SafeStderr;

    fn make_writer(&'a self) -> SafeStderr {
        self.clone()
    }
}

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Human-readable lines (colours on a terminal).
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the subscriber: `default_level` unless `RUST_LOG` says otherwise.
pub fn init(style: Style, default_level: &str, redactor: Arc<Redactor>) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let ansi = style == Style::Text && io::stderr().is_terminal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(SafeStderr::new(redactor, ansi));
    let _ = match style {
        Style::Json => builder.json().try_init(),
        Style::Text => builder.with_ansi(ansi).with_target(false).try_init(),
    };
}

/// The last words of a failed command, in the log's style: `error: ...` as
/// text, or one JSON line like the other log lines (level `ERROR`, the
/// message, the exit code), redacted and escaped like every log line.
pub fn fatal(style: Style, message: &str, exit_code: u8, redactor: Arc<Redactor>) {
    let out = SafeStderr::new(redactor, false);
    let line = match style {
        // One line per line of the message (a config error lists one
        // problem a line); each is escaped like any log line.
        Style::Text => format!("error: {message}")
            .lines()
            .map(|l| format!("{l}\n"))
            .collect(),
        Style::Json => {
            let value = serde_json::json!({
                "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "level": "ERROR",
                "fields": { "message": message, "exit_code": exit_code },
                "target": "tcss_report",
            });
            format!("{value}\n")
        }
    };
    for l in line.split_inclusive('\n') {
        let _ = out.write_line(l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_cannot_forge_a_log_line() {
        let line = "WARN failed code=X\nINFO forged: all good\r\u{7}\n";
        assert_eq!(
            escape_line(line, false),
            "WARN failed code=X\\nINFO forged: all good\\r\\u{7}\n"
        );
        assert_eq!(escape_line("\u{1b}[1mbold\n", false), "\\u{1b}[1mbold\n");
        assert_eq!(escape_line("\u{1b}[1mbold\n", true), "\u{1b}[1mbold\n");
        assert!(matches!(
            escape_line("plain line\n", false),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
