//! The progress of a run: a bar on a terminal, periodic log lines otherwise.
//!
//! While organizations' member lists are still being read the number of
//! queries is not known (it grows page by page), so the bar says "listing
//! members" with no length and no ETA; once every list is read it shows
//! the real total. The rate has one decimal; the failed count is always
//! shown. Log lines printed meanwhile go under the bar
//! ([`crate::logging::BarShown`]).

use std::sync::atomic::AtomicBool;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::model::{QueryOutcome, QueryResult};

/// The bar while member lists are read: no length, no ETA.
const LISTING: &str =
    "{spinner} [{elapsed_precise}] {pos} queries done ({rate}), listing members... {msg}";
/// The bar once the number of queries is known.
const COUNTING: &str =
    "{spinner} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} queries ({rate}, eta {eta}) {msg}";

/// A progress bar on a terminal; periodic log lines otherwise.
pub(super) struct Progress {
    bar: Option<(ProgressBar, crate::logging::BarShown)>,
    /// Queries so far: it grows while discovery adds members.
    total: Arc<AtomicUsize>,
    /// True while organizations' member lists are still being read.
    listing: Arc<AtomicBool>,
    /// What the bar shows now (listing or counting).
    shows_listing: bool,
    done: usize,
    failed: usize,
    last_log: Instant,
}

impl Progress {
    /// Progress over `total` queries (growing while `listing`), on stderr
    /// when it is a `terminal`.
    pub(super) fn new(
        total: Arc<AtomicUsize>,
        listing: Arc<AtomicBool>,
        terminal: bool,
    ) -> Progress {
        let target = terminal.then(ProgressDrawTarget::stderr);
        Progress::with_target(total, listing, target)
    }

    /// As [`Progress::new`], the bar drawn on `target` (none: log lines).
    fn with_target(
        total: Arc<AtomicUsize>,
        listing: Arc<AtomicBool>,
        target: Option<ProgressDrawTarget>,
    ) -> Progress {
        let shows_listing = listing.load(Ordering::Acquire);
        let bar = target.map(|target| {
            let bar = ProgressBar::with_draw_target(None, target);
            bar.set_style(style(shows_listing));
            if !shows_listing {
                bar.set_length(total.load(Ordering::Acquire) as u64);
            }
            bar.set_message(failed_text(0));
            let shown = crate::logging::BarShown::new(&bar);
            (bar, shown)
        });
        Progress {
            bar,
            total,
            listing,
            shows_listing,
            done: 0,
            failed: 0,
            last_log: Instant::now(),
        }
    }

    pub(super) fn tick(&mut self, o: &QueryOutcome) {
        self.done += 1;
        if matches!(o.result, QueryResult::Failed { .. }) {
            self.failed += 1;
        }
        let total = self.total.load(Ordering::Acquire);
        let listing = self.listing.load(Ordering::Acquire);
        match &self.bar {
            Some((bar, _)) => {
                if self.shows_listing && !listing {
                    self.shows_listing = false;
                    bar.set_style(style(false));
                }
                if !self.shows_listing {
                    bar.set_length(total as u64);
                }
                bar.set_message(failed_text(self.failed));
                bar.inc(1);
            }
            None if self.last_log.elapsed() >= Duration::from_secs(10) => {
                self.last_log = Instant::now();
                tracing::info!(
                    done = self.done,
                    total,
                    failed = self.failed,
                    listing_members = listing,
                    "progress"
                );
            }
            None => {}
        }
    }

    pub(super) fn finish(&mut self) {
        if let Some((bar, shown)) = self.bar.take() {
            // Log lines stop going through the bar before it goes.
            drop(shown);
            bar.finish_and_clear();
        }
    }
}

/// The bar's look while listing members, or once the total is known.
fn style(listing: bool) -> ProgressStyle {
    let template = if listing { LISTING } else { COUNTING };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&rate_text(s.per_sec()));
        })
}

/// Queries per second, with one decimal.
fn rate_text(per_sec: f64) -> String {
    let rate = if per_sec.is_finite() { per_sec } else { 0.0 };
    format!("{rate:.1}/s")
}

/// The bar's message: the failed count, always shown.
fn failed_text(failed: usize) -> String {
    format!("{failed} failed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::Mutex;

    /// A terminal that keeps what was drawn on it.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<Vec<String>>>);

    impl Screen {
        /// The bar as it is now: drawn again (drawing is rate-limited),
        /// its last line, without the padding.
        fn now(&self, p: &Progress) -> String {
            if let Some((bar, _)) = &p.bar {
                bar.suspend(|| ());
            }
            let all = std::mem::take(&mut *self.0.lock().unwrap()).join("");
            let last = all.lines().rev().find(|l| !l.trim().is_empty());
            last.unwrap_or_default().trim_end().to_string()
        }
    }

    impl indicatif::TermLike for Screen {
        fn width(&self) -> u16 {
            200
        }
        fn move_cursor_up(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_down(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_right(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn move_cursor_left(&self, _: usize) -> io::Result<()> {
            Ok(())
        }
        fn write_line(&self, s: &str) -> io::Result<()> {
            self.0.lock().unwrap().push(format!("{s}\n"));
            Ok(())
        }
        fn write_str(&self, s: &str) -> io::Result<()> {
            self.0.lock().unwrap().push(s.to_string());
            Ok(())
        }
        fn clear_line(&self) -> io::Result<()> {
            self.0.lock().unwrap().push("\n".into());
            Ok(())
        }
        fn flush(&self) -> io::Result<()> {
            Ok(())
        }
    }

    fn outcome(failed: bool) -> QueryOutcome {
        QueryOutcome {
            account_index: 0,
            call: crate::calls::Call::ImageAuthorizedInfo,
            region: "ap-guangzhou".into(),
            result: if failed {
                QueryResult::Failed {
                    code: "Timeout".into(),
                    message: "slow".into(),
                }
            } else {
                QueryResult::Cancelled
            },
            attempts: 1,
            throttled: 0,
            latency_ms: 1,
            request_id: None,
            uin: None,
            last_error: None,
        }
    }

    #[test]
    fn listing_members_without_a_total_then_the_real_total_and_the_failed_count() {
        let screen = Screen::default();
        let total = Arc::new(AtomicUsize::new(1));
        let listing = Arc::new(AtomicBool::new(true));
        let target = ProgressDrawTarget::term_like(Box::new(screen.clone()));
        let mut p = Progress::with_target(total.clone(), listing.clone(), Some(target));
        // Pages arrive: the total grows, the bar says it is still listing.
        total.store(150, Ordering::Release);
        p.tick(&outcome(false));
        total.store(1_950, Ordering::Release);
        p.tick(&outcome(true));
        let drawn = screen.now(&p);
        assert!(drawn.contains("2 queries done"), "{drawn}");
        assert!(drawn.ends_with("listing members... 1 failed"), "{drawn}");
        assert!(
            !drawn.contains("eta") && !drawn.contains("/150") && !drawn.contains("/1950"),
            "{drawn}"
        );
        // Every list read: the real total, an ETA, the failed count.
        listing.store(false, Ordering::Release);
        p.tick(&outcome(false));
        let drawn = screen.now(&p);
        assert!(drawn.contains("3/1950 queries ("), "{drawn}");
        assert!(
            drawn.contains(", eta ") && drawn.ends_with("1 failed"),
            "{drawn}"
        );
        assert!(!drawn.contains("listing"), "{drawn}");
        let rate = drawn
            .split("queries (")
            .nth(1)
            .and_then(|r| r.split("/s").next());
        let decimals = rate.and_then(|r| r.split_once('.')).map(|(_, d)| d.len());
        assert_eq!(decimals, Some(1), "one decimal: {drawn}");
        p.finish();
    }

    #[test]
    fn without_organizations_the_total_is_shown_from_the_start() {
        let screen = Screen::default();
        let total = Arc::new(AtomicUsize::new(4));
        let listing = Arc::new(AtomicBool::new(false));
        let target = ProgressDrawTarget::term_like(Box::new(screen.clone()));
        let mut p = Progress::with_target(total, listing, Some(target));
        p.tick(&outcome(false));
        let drawn = screen.now(&p);
        assert!(
            drawn.contains("1/4 queries (") && drawn.ends_with("0 failed"),
            "{drawn}"
        );
        p.finish();
    }

    #[test]
    fn the_rate_has_one_decimal() {
        assert_eq!(rate_text(12.345_678), "12.3/s");
        assert_eq!(rate_text(0.0), "0.0/s");
        assert_eq!(rate_text(f64::INFINITY), "0.0/s");
        assert_eq!(rate_text(f64::NAN), "0.0/s");
        assert_eq!(rate_text(1_999.96), "2000.0/s");
    }
}
