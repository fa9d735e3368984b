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
    let exit = if found.iter().any(|o| o.error.is_some()) {
        Exit::Failures
    } else {
        Exit::Ok
    };
    print_or_quit(&mut std::io::stdout().lock(), &text)?;
    Ok(exit)
}

/// Writes `text` to `out`; a reader that went away (`discover | head`)
/// ends the command quietly, as it would have ended: not an error.
fn print_or_quit(out: &mut impl Write, text: &str) -> anyhow::Result<()> {
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipe whose reader went away.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A full disk.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from_raw_os_error(28))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_not_an_error_a_full_disk_is() {
        assert!(print_or_quit(&mut Closed, "a,b\n").is_ok());
        assert!(print_or_quit(&mut Full, "a,b\n").is_err());
        let mut taken = Vec::new();
        print_or_quit(&mut taken, "a,b\n").unwrap();
        assert_eq!(taken, b"a,b\n");
    }
}
