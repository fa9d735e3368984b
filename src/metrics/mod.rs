//! Delivering the run's metrics (the [`crate::report::prom`] text) beyond the
//! report set, after every report is written: `--metrics-file` ([`mod@file`]:
//! one fixed path, replaced atomically, for node_exporter's textfile
//! collector) and `--pushgateway` ([`push`]: an HTTP `PUT` to a Prometheus
//! Pushgateway). A failed push is logged and never fails the run; a metrics
//! file that cannot be written is an error of its own.

pub mod file;
pub mod push;

use std::path::PathBuf;

pub use file::{write_atomically, MetricsFileError};
pub use push::Pushgateway;

use crate::report::prom::{self, EncodeError, Inputs};
use crate::report::Report;

/// Where the metrics go besides the report set.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// `--metrics-file`.
    pub file: Option<PathBuf>,
    /// `--pushgateway` or `[defaults] pushgateway`.
    pub push: Option<Pushgateway>,
}

impl Targets {
    /// Whether there is anything to deliver.
    pub fn is_empty(&self) -> bool {
        self.file.is_none() && self.push.is_none()
    }
}

/// Why the metrics did not reach every target that must not fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeliverError {
    /// The text could not be produced.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The metrics file could not be written.
    #[error(transparent)]
    File(#[from] MetricsFileError),
}

/// Writes the metrics file and pushes, each on its own: a failed push is
/// logged (its URL without credentials) and not returned; a failed metrics
/// file is returned after the push was tried. `rendered` is the text of
/// the run's `.prom` report when it wrote one (the same text; not rendered
/// twice).
pub async fn deliver(
    report: &Report,
    inputs: &Inputs,
    targets: &Targets,
    rendered: Option<String>,
) -> Result<(), DeliverError> {
    if targets.is_empty() {
        return Ok(());
    }
    let text = match rendered {
        Some(text) => text,
        None => prom::render(report, inputs)?,
    };
    let written = match &targets.file {
        Some(path) => write_atomically(path, &text).map(|()| {
            tracing::info!(path = %path.display(), "metrics file written");
        }),
        None => Ok(()),
    };
    if let Some(gateway) = &targets.push {
        match gateway.push(text).await {
            Ok(()) => tracing::info!(url = %gateway.shown_url(), "metrics pushed"),
            Err(e) => tracing::warn!("{e}; the run's exit code is not changed"),
        }
    }
    Ok(written?)
}
