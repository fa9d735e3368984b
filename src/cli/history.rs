//! `tcss-report history`: trends over the recorded runs.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use tcapi::credentials::ProcessEnv;
use tokio::sync::watch;

use crate::redact::Redactor;
use crate::report;

use super::{load_config, shutdown_signal, usage, Exit, ExitError};

#[derive(Debug, Args)]
pub(super) struct HistoryArgs {
    /// The accounts file (TOML): its `[history]` table and `ca_file`.
    #[arg(long)]
    config: PathBuf,
    /// The history database: a SQLite file or a postgres:// URL
    /// (default: the config's `[history] database`, else <out>/history.sqlite).
    #[arg(long, value_name = "DB")]
    history: Option<String>,
    /// Only the runs started in the last DAYS days.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    since: Option<u32>,
    /// Folder for the files (and of the default history file).
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// File formats, comma-separated: csv, xlsx, json.
    #[arg(long, value_delimiter = ',', default_value = "csv,xlsx,json")]
    formats: Vec<crate::report::trends::TrendFormat>,
}

/// `tcss-report history`: reads the recorded runs (read-only: never
/// creating or migrating the database; within `[history] timeout_secs`; an
/// interrupt ends the wait with 130) and writes the trend files.
pub(super) async fn history_command(
    args: HistoryArgs,
    redactor: &Redactor,
) -> anyhow::Result<Exit> {
    let config = load_config(&args.config)?;
    report::check_out_dir(&args.out).map_err(|e| usage(e.to_string()))?;
    let (signal_task, cancel) = interrupt_flag();
    let target = crate::history::recorder::target(
        args.history.as_deref(),
        &config.history,
        config.defaults.ca_file.as_deref(),
        &args.out,
        &ProcessEnv,
    )
    .map_err(|e| usage(e.to_string()))?
    .interruptible(&cancel);
    if let Some(p) = &target.options.password {
        redactor.add(p);
    }
    let now = chrono::Utc::now();
    let since = args
        .since
        .map(|d| now - chrono::Duration::days(i64::from(d)));
    let read = crate::history::recorder::trends(&target, since).await;
    signal_task.abort();
    let trends = match read {
        Ok(Some(trends)) => trends,
        Ok(None) => {
            return Err(usage(format!(
                "no history at {}: no run was recorded there yet; give --history, or record \
                 runs with `tcss-report run` first",
                target.location
            )))
        }
        Err(e @ crate::history::HistoryError::Interrupted { .. }) => {
            return Err(ExitError {
                code: Exit::Interrupted,
                message: format!("{e}; no file written"),
            }
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    let location = target.location.to_string();
    let about = crate::report::trends::About {
        history: &location,
        generated_at: now,
    };
    let paths = crate::report::trends::write(&trends, &about, &args.out, &args.formats)
        .with_context(|| format!("writing the history files into {}", args.out.display()))?;
    tracing::info!(
        runs = trends.runs.len(),
        account_rows = trends.accounts.len(),
        history = %location,
        "history written"
    );
    let mut stdout = std::io::stdout().lock();
    for p in &paths {
        let _ = writeln!(stdout, "{}", p.display());
    }
    Ok(Exit::Ok)
}

/// A flag SIGINT/SIGTERM turn true (logged), and the task listening.
fn interrupt_flag() -> (tokio::task::JoinHandle<()>, watch::Receiver<bool>) {
    let (tx, rx) = watch::channel(false);
    let signalled = shutdown_signal();
    let task = tokio::spawn(async move {
        signalled.await;
        tracing::warn!("interrupted: no longer waiting for the history database");
        let _ = tx.send(true);
    });
    (task, rx)
}
