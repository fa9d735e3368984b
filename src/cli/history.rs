//! `tcss-report history`: trends over the recorded runs of one scope (the
//! config's full real runs by default; `--only`, `--exclude`, `--simulated`
//! choose another), or of every scope with `--all-scopes`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use tcapi::credentials::ProcessEnv;
use tokio::sync::watch;

use crate::config::Config;
use crate::history::scope::Scope;
use crate::redact::Redactor;
use crate::report;

use super::{load_config, shutdown_signal, usage, Exit, ExitError};

#[derive(Debug, Args)]
pub(super) struct HistoryArgs {
    /// The accounts file (TOML): its `[history]` table, `ca_file` and the
    /// scope of its runs (`[defaults] history_key`, else its path); not
    /// needed with --history (the defaults apply, and every scope is shown).
    #[arg(long)]
    config: Option<PathBuf>,
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
    /// File formats, comma-separated: csv, xlsx, json, html.
    #[arg(long, value_delimiter = ',', default_value = "csv,xlsx,json,html")]
    formats: Vec<crate::report::trends::TrendFormat>,
    /// The runs of every scope, each row labelled with its scope (default:
    /// only the runs of this config's scope).
    #[arg(long, conflicts_with_all = ["only", "exclude", "simulated"])]
    all_scopes: bool,
    /// The scope of the runs made with these `--only` selectors.
    #[arg(long, num_args = 1.., value_name = "SELECTOR")]
    only: Vec<String>,
    /// The scope of the runs made with these `--exclude` selectors.
    #[arg(long, num_args = 1.., value_name = "SELECTOR")]
    exclude: Vec<String>,
    /// The scope of the `run --simulate` runs.
    #[arg(long)]
    simulated: bool,
    /// Also the trend per chargeback group: each run's accounts rolled up
    /// by this tag key (as `run --group-by`), from the tags the history
    /// keeps; repeatable (up to 10 keys).
    #[arg(long = "group-by", value_name = "KEY")]
    group_by: Vec<String>,
}

/// The keys of `--group-by`, each checked, each once.
fn group_by(args: &HistoryArgs) -> anyhow::Result<Vec<String>> {
    crate::config::group_keys(&args.group_by).map_err(|e| usage(format!("--group-by: {e}")))
}

/// The scope `history` shows (`None`: every scope).
fn scope(args: &HistoryArgs, config: &Config) -> anyhow::Result<Option<Scope>> {
    let Some(path) = args.config.as_ref().filter(|_| !args.all_scopes) else {
        // Without a config there is no scope of its own: every scope, labelled.
        if !args.all_scopes && (args.simulated || !args.only.is_empty() || !args.exclude.is_empty())
        {
            return Err(usage(
                "--only, --exclude and --simulated choose a scope of a config: give --config",
            ));
        }
        return Ok(None);
    };
    let selection = crate::config::Selection::parse(&args.only, &args.exclude).map_err(usage)?;
    Ok(Some(Scope {
        history_key: config.history_key(),
        config_path: path.display().to_string(),
        selection: selection.canonical(),
        simulated: args.simulated,
    }))
}

/// `tcss-report history`: reads the recorded runs (read-only: never
/// creating or migrating the database; within `[history] timeout_secs`; an
/// interrupt ends the wait with 130) and writes the trend files.
pub(super) async fn history_command(
    args: HistoryArgs,
    redactor: &Redactor,
) -> anyhow::Result<Exit> {
    let config = match &args.config {
        Some(path) => load_config(path)?,
        None => Config::without_file(),
    };
    let scope = scope(&args, &config)?;
    let keys = group_by(&args)?;
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
    let read = crate::history::recorder::trends(&target, since, scope.as_ref(), &keys).await;
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
    if let (Some(label), true) = (&trends.scope, trends.runs.is_empty()) {
        tracing::warn!(
            "no run of the scope {label} in {}{}",
            target.location,
            match trends.other_scopes {
                0 => String::new(),
                n => format!(
                    "; {n} runs of other scopes are there: --all-scopes shows them, \
                     --simulated, --only and --exclude choose a scope"
                ),
            }
        );
    } else if let Some(label) = &trends.scope {
        tracing::info!(scope = %label, other_scopes = trends.other_scopes, "the runs of one scope");
    }
    warn_untagged(&trends);
    let location = target.location.to_string();
    let about = crate::report::trends::About {
        history: &location,
        generated_at: now,
    };
    let layout = report::Layout {
        csv_bom: config.defaults.csv_bom,
    };
    let paths = crate::report::trends::write(&trends, &about, &args.out, &args.formats, layout)
        .with_context(|| format!("writing the history files into {}", args.out.display()))?;
    tracing::info!(
        runs = trends.runs.len(),
        account_rows = trends.accounts.len(),
        group_rows = trends.groups.len(),
        history = %location,
        "history written"
    );
    let mut stdout = std::io::stdout().lock();
    for p in &paths {
        let _ = writeln!(stdout, "{}", p.display());
    }
    Ok(Exit::Ok)
}

/// A warning for each `--group-by` key that no account of the runs shown
/// carries (every group of it untagged).
fn warn_untagged(trends: &crate::history::trends::Trends) {
    use crate::columns::groups::{GROUP, GROUP_BY};
    use crate::history::group_trends::GROUP_TREND_COLUMNS;
    use crate::history::trends::col;
    let (by, name) = (
        col(&GROUP_TREND_COLUMNS, GROUP_BY.key),
        col(&GROUP_TREND_COLUMNS, GROUP.key),
    );
    for key in &trends.group_by {
        let carried = trends
            .groups
            .iter()
            .any(|r| r[by].as_text() == Some(key) && r[name].as_text().is_some());
        if !carried && !trends.runs.is_empty() {
            tracing::warn!(
                "group by `{key}`: no account of these runs has the tag `{key}`; all their \
                 accounts are in its {} group",
                crate::columns::groups::UNTAGGED
            );
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn without_a_config_the_history_settings_are_the_defaults() {
        let text = "[[accounts]]\nname = \"a\"\nprofile = \"a\"\n";
        let parsed = Config::parse(text, std::path::Path::new("a.toml")).expect("valid");
        let none = Config::without_file();
        assert_eq!(none.history, parsed.history);
        assert_eq!(none.defaults, parsed.defaults);
        assert!(none.accounts.is_empty() && none.organizations.is_empty());
    }

    #[test]
    fn history_needs_no_config() {
        let cli = Cli::try_parse_from(["tcss-report", "history", "--history", "h.sqlite"]);
        match cli {
            Ok(Cli {
                command: Command::History(args),
                ..
            }) => {
                assert!(args.config.is_none());
                assert_eq!(args.history.as_deref(), Some("h.sqlite"));
            }
            other => panic!("unexpected parse result: {other:?}"),
        }
    }
}
