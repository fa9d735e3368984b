//! `[[notify]]` and `--no-notify` in a run: the targets, resolved before
//! any call (an unset variable or an unusable URL is bad usage, as for
//! `validate`) with their secrets registered; and, once the exit code is
//! decided, the notifications sent and the JSON snapshot (held back while
//! they are sent) published with their outcomes.

use super::*;
use crate::notify::{ReportFile, RunEnd, Targets};
use crate::report::publish::HeldJson;

/// The run's notification targets (none with `--no-notify`), resolved
/// before any call; their secrets join the redactor.
pub(super) fn notify_targets(
    args: &RunArgs,
    config: &Config,
    env: &dyn Env,
    redactor: &Redactor,
) -> anyhow::Result<Targets> {
    if args.no_notify || config.notify.is_empty() {
        return Ok(Targets::default());
    }
    let ca_files: Vec<PathBuf> = config.defaults.ca_file.iter().cloned().collect();
    let targets = Targets::resolve(&config.notify, env, &ca_files).map_err(|problems| {
        let path = config.path.display();
        let lines: Vec<String> = problems
            .iter()
            .map(|p| format!("{path}:{}:{}: {}", p.position.0, p.position.1, p.message))
            .collect();
        usage(format!("invalid config:\n{}", lines.join("\n")))
    })?;
    for secret in targets.secrets() {
        redactor.add(&secret);
    }
    Ok(targets)
}

/// Sends the notifications of a run that ends with `exit` (reading the
/// report files for email attachments: the held JSON snapshot from its
/// staging folder), then writes the snapshot again with their outcomes and
/// publishes it, listing it on stdout. An interrupt meanwhile abandons the
/// sending, not the snapshot. Never changes the exit code: an error here
/// is only a snapshot that could not be published.
pub(super) async fn notify_and_publish(
    targets: &Targets,
    mut report: report::Report,
    held: Option<HeldJson>,
    paths: &[PathBuf],
    exit: Exit,
    redactor: &Redactor,
) -> anyhow::Result<()> {
    if targets.is_empty() {
        return Ok(());
    }
    let files: Vec<ReportFile> = paths
        .iter()
        .map(|p| ReportFile {
            name: p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: match &held {
                Some(h) if h.dest() == p => h.staged().to_path_buf(),
                _ => p.clone(),
            },
        })
        .collect();
    let end = RunEnd {
        report: &report,
        exit_code: exit as u8,
        exit_meaning: exit_meaning(exit),
        files: &files,
    };
    // Bounded by the entries' timeouts; SIGINT/SIGTERM abandons them (the
    // reports are complete: the exit code stays).
    report.aggregate.run.notifications = tokio::select! {
        outcomes = crate::notify::send_all(targets, &end, redactor) => outcomes,
        () = shutdown_signal() => {
            tracing::warn!(
                "interrupted: the notifications still being sent are abandoned \
                 (their outcome is `unknown`)"
            );
            targets.pending()
        }
    };
    let Some(held) = held else {
        return Ok(());
    };
    let json = blocking(move || held.publish(&report))
        .await
        .context("publishing the JSON snapshot after the notifications")?;
    let _ = writeln!(std::io::stdout().lock(), "{}", json.display());
    Ok(())
}

/// What an exit code means, as a notification's title says it.
fn exit_meaning(exit: Exit) -> &'static str {
    match exit {
        Exit::Ok => "every query answered",
        Exit::Fatal => "the run failed",
        Exit::Usage => "bad usage",
        Exit::Failures => "some queries failed",
        Exit::NothingAnswered => "no query answered",
        Exit::Breached => "a threshold was breached",
        Exit::Interrupted => "interrupted, the reports are incomplete",
    }
}
