//! The progress of a run: a bar on a terminal, periodic log lines otherwise.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::model::{QueryOutcome, QueryResult};

/// A progress bar on a terminal; periodic log lines otherwise.
pub(super) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// Queries so far: it grows while discovery adds members.
    total: Arc<AtomicUsize>,
    done: usize,
    failed: usize,
    last_log: Instant,
}

impl Progress {
    pub(super) fn new(total: Arc<AtomicUsize>, terminal: bool) -> Progress {
        let bar = terminal.then(|| {
            let bar = indicatif::ProgressBar::new(total.load(Ordering::Acquire) as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:40.cyan/blue} {pos}/{len} queries ({per_sec}, eta {eta}) {msg}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            total,
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
        match &self.bar {
            Some(bar) => {
                bar.set_length(total as u64);
                bar.inc(1);
                if self.failed > 0 {
                    bar.set_message(format!("{} failed", self.failed));
                }
            }
            None if self.last_log.elapsed() >= Duration::from_secs(10) => {
                self.last_log = Instant::now();
                tracing::info!(done = self.done, total, failed = self.failed, "progress");
            }
            None => {}
        }
    }

    pub(super) fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
