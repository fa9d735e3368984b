//! Log output on stderr: the tracing subscriber (text or JSON, level from
//! `-q`/`-v` or `RUST_LOG`), the writer every log line passes through, and
//! the last line of a failed command.
//!
//! Whatever a log line carries (an error code from a server, a library's
//! message), [`SafeStderr`] writes it with every secret of the run
//! redacted and with no line break or control character inside the line,
//! so a server cannot forge a log line or leak a token into a cron log.
//!
//! While a progress bar is on the terminal ([`BarShown`]), each line is
//! written with the bar taken off the screen and drawn again under it, so
//! no stale copy of the bar stays between log lines.
//!
//! The diagnostic channel never decides whether the data is written: a line
//! stderr does not take (a full disk under `2>>file`, `2>/dev/full`, a log
//! reader that went away: ENOSPC, EPIPE) is dropped and counted
//! ([`lines_dropped`], the metric `tcss_report_log_lines_dropped`), and the
//! run goes on. Nothing here returns a write error, so tracing-subscriber
//! never reports one with `eprintln!` (which panics on a broken stderr).

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use indicatif::ProgressBar;

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
        let bar = BAR.lock().unwrap_or_else(PoisonError::into_inner).clone();
        write_under(bar.as_ref(), &mut io::stderr(), safe.as_bytes(), &DROPPED);
    }
}

/// The progress bar on the terminal, if one is shown: log lines go under it.
static BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// While this lives, log lines are written under `bar` (see the module
/// doc); dropping it (before the bar is cleared) ends that.
#[derive(Debug)]
pub struct BarShown(());

impl BarShown {
    /// Log lines go under `bar` until the returned value is dropped.
    pub fn new(bar: &ProgressBar) -> BarShown {
        *BAR.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar.clone());
        BarShown(())
    }
}

impl Drop for BarShown {
    fn drop(&mut self) {
        *BAR.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// Writes `bytes` to `out` (as [`write_or_drop`]), with `bar`, when there
/// is one, taken off the screen first and drawn again after.
fn write_under(bar: Option<&ProgressBar>, out: &mut impl Write, bytes: &[u8], dropped: &AtomicU64) {
    match bar {
        Some(bar) => bar.suspend(|| write_or_drop(out, bytes, dropped)),
        None => write_or_drop(out, bytes, dropped),
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

/// How important a line of the command's own is (the JSON `level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `INFO`.
    Info,
    /// `WARN`.
    Warn,
    /// `ERROR`.
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

/// A line of the command's own on stderr (the closing summary, the last
/// words of a failed command), whatever the log level: `text` as it is in
/// the text style (one line per line of it), or one JSON line like the
/// other log lines (`level`, `fields`: `message` then `fields`, the target
/// `tcss_report`). Redacted and escaped like every log line.
pub fn say(
    style: Style,
    level: Level,
    text: &str,
    fields: serde_json::Map<String, serde_json::Value>,
    redactor: Arc<Redactor>,
) {
    let out = SafeStderr::new(redactor, false);
    let line = match style {
        // Each line is escaped like any log line.
        Style::Text => text.lines().map(|l| format!("{l}\n")).collect(),
        Style::Json => {
            let mut all = serde_json::Map::new();
            all.insert("message".into(), text.into());
            all.extend(fields);
            let value = serde_json::json!({
                "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "level": level.as_str(),
                "fields": all,
                "target": "tcss_report",
            });
            format!("{value}\n")
        }
    };
    for l in line.split_inclusive('\n') {
        out.write_line(l);
    }
}

/// The last words of a failed command, in the log's style: `error: ...` as
/// text (a config error lists one problem a line), or one JSON line like
/// the other log lines (level `ERROR`, the message, the exit code).
pub fn fatal(style: Style, message: &str, exit_code: u8, redactor: Arc<Redactor>) {
    let text = match style {
        Style::Text => format!("error: {message}"),
        Style::Json => message.to_string(),
    };
    let mut fields = serde_json::Map::new();
    fields.insert("exit_code".into(), exit_code.into());
    say(style, Level::Error, &text, fields, redactor);
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

    /// A terminal and a stderr that share one record of what was done to
    /// the screen, in order.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<Vec<String>>>);

    impl Screen {
        fn push(&self, what: String) {
            self.0.lock().unwrap().push(what);
        }
        fn take(&self) -> Vec<String> {
            std::mem::take(&mut *self.0.lock().unwrap())
        }
    }

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            80
        }
        fn move_cursor_up(&self, n: usize) -> io::Result<()> {
            self.push(format!("up {n}"));
            Ok(())
        }
        fn move_cursor_down(&self, n: usize) -> io::Result<()> {
            self.push(format!("down {n}"));
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.push(format!("bar {s}"));
            Ok(())
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            if !s.is_empty() {
                self.push(format!("bar {s}"));
            }
            Ok(())
        }
        fn clear_line(&self) -> io::Result<()> {
            self.push("clear".into());
            Ok(())
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Write for Screen {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.push(format!("log {}", String::from_utf8_lossy(buf).trim_end()));
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_log_line_goes_under_the_bar_which_is_cleared_first_and_drawn_again() {
        let screen = Screen::default();
        let bar = ProgressBar::with_draw_target(
            Some(10),
            indicatif::ProgressDrawTarget::term_like(Box::new(screen.clone())),
        );
        bar.set_style(indicatif::ProgressStyle::with_template("{pos}/{len} queries").unwrap());
        bar.set_position(3);
        bar.tick();
        assert!(screen.take().contains(&"bar 3/10 queries".to_string()));
        let dropped = AtomicU64::new(0);
        write_under(
            Some(&bar),
            &mut screen.clone(),
            b"WARN something\n",
            &dropped,
        );
        let after = screen.take();
        let log = after.iter().position(|e| e == "log WARN something");
        let clear = after.iter().position(|e| e == "clear");
        let drawn = after.iter().rposition(|e| e == "bar 3/10 queries");
        assert!(
            matches!((clear, log, drawn), (Some(c), Some(l), Some(d)) if c < l && l < d),
            "the bar is cleared, the line written, the bar drawn again: {after:?}"
        );
        // Without a bar, the line alone.
        write_under(None, &mut screen.clone(), b"INFO plain\n", &dropped);
        assert_eq!(screen.take(), ["log INFO plain"]);
        assert_eq!(dropped.load(Ordering::Relaxed), 0);
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
