//! `tcss-report discover`: what a run would query, without querying it.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use tcapi::credentials::ProcessEnv;
use tokio::sync::watch;

use crate::redact::Redactor;

use super::{load_config, log_warnings, shutdown_signal, wire, Exit, Wired};

#[derive(Debug, Args)]
pub(super) struct DiscoverArgs {
    /// The accounts file (TOML).
    #[arg(long)]
    config: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiscoverFormat::Table)]
    format: DiscoverFormat,
    /// Discover against the built-in simulator (no cloud account needed).
    #[arg(long)]
    simulate: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum DiscoverFormat {
    /// A table for people.
    Table,
    /// `[[accounts]]` entries to paste into the config (freezes the list).
    Toml,
    /// One row per account or excluded member.
    Csv,
    /// Accounts, excluded members and organizations.
    Json,
}

/// `tcss-report discover`: the accounts a run would query, the members left
/// out and each organization's counts. Exit 3 when an organization could not
/// be listed; 130, printing nothing (a partial list is not what a run would
/// query), when SIGINT or SIGTERM stops it.
pub(super) async fn discover(args: DiscoverArgs, redactor: Arc<Redactor>) -> anyhow::Result<Exit> {
    // Before anything is read or called, so an early interrupt is not lost.
    let (cancel_tx, cancel) = watch::channel(false);
    let signalled = shutdown_signal();
    let signal_task = tokio::spawn(async move {
        signalled.await;
        tracing::warn!("interrupted: discovery stopped, nothing listed");
        let _ = cancel_tx.send(true);
    });
    let mut config = load_config(&args.config)?;
    log_warnings(&config.warnings, &args.config);
    let env = ProcessEnv;
    let Wired {
        executor,
        sim,
        org_endpoint,
    } = wire(&config, &env, args.simulate, redactor).await?;
    let configured = config.accounts.len();
    let found = crate::discover::discover(
        &executor,
        &config,
        &env,
        org_endpoint.as_ref(),
        &cancel,
        None,
    )
    .await;
    drop(executor);
    // Show the UINs learned for configured accounts too.
    for (a, uin) in config.accounts.iter_mut().zip(found.configured_uins) {
        a.uin = a.uin.take().or(uin);
    }
    config.accounts.extend(found.accounts);
    let found = found.organizations;
    if let Some(s) = sim {
        s.handle.shutdown().await;
    }
    signal_task.abort();
    if *cancel.borrow() {
        return Ok(Exit::Interrupted);
    }
    let style = match args.format {
        DiscoverFormat::Table => crate::discover::show::Style::Table,
        DiscoverFormat::Toml => crate::discover::show::Style::Toml,
        DiscoverFormat::Csv => crate::discover::show::Style::Csv,
        DiscoverFormat::Json => crate::discover::show::Style::Json,
    };
    let text = crate::discover::show::render(style, &config, configured, &found);
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if found.iter().any(|o| o.error.is_some()) {
        Exit::Failures
    } else {
        Exit::Ok
    })
}
