//! Log output on stderr: the tracing subscriber (text or JSON, level from
//! `-q`/`-v` or `RUST_LOG`), the writer every log line passes through, and
//! the last line of a failed command.
//!
//! Whatever a log line carries (an error code from a server, a library's
//! message), [`SafeStderr`] writes it with every secret of the run
//! redacted and with no line break or control character inside the line,
//! so a server cannot forge a log line or leak a token into a cron log.
//!
//! The diagnostic channel never decides whether the data is written: a line
//! stderr does not take (a full disk under `2>>file`, `2>/dev/full`, a log
//! reader that went away: ENOSPC, EPIPE) is dropped and counted
//! ([`lines_dropped`], the metric `tcss_report_log_lines_dropped`), and the
//! run goes on. Nothing here returns a write error, so tracing-subscriber
//! never reports one with `eprintln!` (which panics on a broken stderr).

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
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

    /// Writes one line (or message) to stderr, redacted and escaped; a line
    /// stderr does not take is dropped and counted ([`lines_dropped`]).
    pub fn write_line(&self, line: &str) {
        let redacted = self.redactor.redact(line);
        let safe = escape_line(&redacted, self.ansi);
        write_or_drop(&mut io::stderr().lock(), safe.as_bytes(), &DROPPED);
    }
}

/// Log lines (or messages) stderr did not take since the process started.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// How many log lines could not be written to stderr so far (each dropped,
/// the run going on).
pub fn lines_dropped() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Writes `bytes` whole to `out`, or counts them in `dropped`: never an error.
fn write_or_drop(out: &mut impl Write, bytes: &[u8], dropped: &AtomicU64) {
    if out.write_all(bytes).is_err() {
        dropped.fetch_add(1, Ordering::Relaxed);
    }
}

/// Never fails: see the module doc.
impl Write for SafeStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_line(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // stderr is unbuffered: there is nothing to lose by not flushing.
        let _ = io::stderr().flush();
        Ok(())
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
        .with_writer(SafeStderr::new(redactor, ansi))
        // The writer never fails; and were it to, `eprintln!` would panic.
        .log_internal_errors(false);
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
        out.write_line(l);
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

    /// A writer that takes nothing, like stderr on a full disk.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from_raw_os_error(28))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::from_raw_os_error(28))
        }
    }

    #[test]
    fn a_line_stderr_does_not_take_is_counted_not_returned() {
        let dropped = AtomicU64::new(0);
        write_or_drop(&mut Full, b"one\n", &dropped);
        write_or_drop(&mut Full, b"two\n", &dropped);
        let mut taken = Vec::new();
        write_or_drop(&mut taken, b"three\n", &dropped);
        assert_eq!(dropped.load(Ordering::Relaxed), 2);
        assert_eq!(taken, b"three\n");
    }
}
