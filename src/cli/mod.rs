//! The command line: argument parsing (clap), logging setup, signal
//! handling, and the mapping of every outcome to the documented exit codes.
//! The only place `anyhow` is used. Each command has its own room: `run`
//! (and its stages), `discover`, `history`, `sim`; `wire` builds what a run
//! or `discover` talks to the API with.

mod discover;
mod history;
mod run;
mod sim;
mod wire;

use discover::{discover, DiscoverArgs};
use history::{history_command, HistoryArgs};
pub use run::CompareWith;
use run::{run, RunArgs};
use sim::{sim, SimArgs};
use wire::{wire, Wired};

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use tcapi::credentials::ProcessEnv;

use crate::config::{Config, ConfigError, CredentialSpec};
use crate::logging::{self, Style};
use crate::redact::Redactor;

/// Exit codes (see the README). Precedence when several apply: 130, 1,
/// 5, 4, 3, 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every query succeeded.
    Ok = 0,
    /// Any other fatal error.
    Fatal = 1,
    /// Bad usage or invalid config; nothing was called.
    Usage = 2,
    /// The run finished but some queries failed (or an organization's
    /// member list could not be read).
    Failures = 3,
    /// The run finished but no query answered (every one failed).
    NothingAnswered = 5,
    /// Interrupted by SIGINT/SIGTERM; reports are marked incomplete.
    Interrupted = 130,
    /// A `--fail-on` threshold was breached; every report lists the breaches.
    Breached = 4,
}

/// An error that already knows its exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ExitError {
    code: Exit,
    message: String,
}

fn usage(message: impl Into<String>) -> anyhow::Error {
    ExitError {
        code: Exit::Usage,
        message: message.into(),
    }
    .into()
}

/// Audit Tencent Cloud Container Security (TCSS) image-scan licenses across many accounts.
#[derive(Debug, Parser)]
#[command(name = "tcss-report", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log format on stderr.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    /// Only warnings and errors on stderr (RUST_LOG overrides); a run ends
    /// with its exit line only, without the summary.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Debug logs (RUST_LOG overrides).
    #[arg(short, long, global = true, conflicts_with = "quiet")]
    verbose: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Query every configured account and region, and write the reports.
    Run(RunArgs),
    /// Check the config and credential sources without calling the API.
    Validate {
        /// The accounts file (TOML).
        #[arg(long)]
        config: PathBuf,
    },
    /// List the organization members a run would query (and those left out),
    /// without calling TCSS.
    Discover(DiscoverArgs),
    /// Run the local TCSS/STS/organization simulator.
    Sim(SimArgs),
    /// Trends over the recorded runs: totals per run and per account per
    /// run, as CSV, JSON and an XLSX with charts.
    History(HistoryArgs),
}

/// Entry point: parses arguments, runs, returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let style = match cli.log_format {
        LogFormat::Json => Style::Json,
        LogFormat::Text => Style::Text,
    };
    let level = if cli.quiet {
        "warn"
    } else if cli.verbose {
        "debug"
    } else {
        "info"
    };
    // Every secret the run learns is registered here; every log line and
    // the final error message are redacted with it.
    let redactor = Arc::new(Redactor::new());
    logging::init(style, level, redactor.clone());
    // The runner drives every request from one task: one thread does it with
    // 20-30% less CPU than waking workers for each answer (docs/benchmarks.md).
    // The standalone simulator serves many connections: all cores.
    let mut builder = match cli.command {
        Command::Sim(_) => tokio::runtime::Builder::new_multi_thread(),
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let message = format!("cannot start the async runtime: {e}");
            logging::fatal(style, &message, Exit::Fatal as u8, redactor);
            return ExitCode::from(Exit::Fatal as u8);
        }
    };
    let result = runtime.block_on(dispatch(cli, style, redactor.clone()));
    // Do not wait for abandoned in-flight requests (e.g. after an interrupt).
    runtime.shutdown_timeout(Duration::from_millis(100));
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            let code = error_exit(&e);
            logging::fatal(style, &format!("{e:#}"), code as u8, redactor);
            ExitCode::from(code as u8)
        }
    }
}

async fn dispatch(cli: Cli, style: Style, redactor: Arc<Redactor>) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Run(args) => {
            let closing = run::Closing {
                style,
                quiet: cli.quiet,
                redactor,
            };
            run(args, closing).await
        }
        Command::Validate { config } => validate(&config),
        Command::Discover(args) => discover(args, redactor).await,
        Command::Sim(args) => sim(args).await,
        Command::History(args) => history_command(args, &redactor).await,
    }
}

/// Loads and validates the config at `path`; what is wrong with it is a
/// usage error.
///
/// Parsed on a thread of its own: the TOML parser's scratch memory (about
/// 20 times the file: 30 MB for 10,000 accounts) then goes back as one
/// instead of staying in pages among the config's strings for the whole run
/// (peak RSS at 10,000 x 3: 6 to 8 MB less, docs/benchmarks.md).
fn load_config(path: &std::path::Path) -> anyhow::Result<Config> {
    let owned = path.to_path_buf();
    let loaded = match std::thread::spawn(move || Config::load(&owned)).join() {
        Ok(loaded) => loaded,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    loaded.map_err(|e| match e {
        ConfigError::Invalid(_) => usage(format!("invalid config:\n{e}")),
        other => usage(other.to_string()),
    })
}

fn validate(path: &std::path::Path) -> anyhow::Result<Exit> {
    let config = load_config(path)?;
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let problems = config.check_credentials(&ProcessEnv);
    let notify = crate::notify::check(&config, &ProcessEnv);
    let mut sections = Vec::new();
    for (what, list) in [
        ("credential sources not available", problems),
        ("notifications ([[notify]]) not ready", notify),
    ] {
        if !list.is_empty() {
            let list: Vec<String> = list.iter().map(|p| p.to_string()).collect();
            sections.push(format!("{what}:\n{}", list.join("\n")));
        }
    }
    if !sections.is_empty() {
        return Err(usage(sections.join("\n")));
    }
    let roles = config
        .accounts
        .iter()
        .filter(|a| matches!(a.credentials, CredentialSpec::Role { .. }))
        .count();
    let queries: usize = config.accounts.iter().map(|a| a.regions.len()).sum();
    // Not `println!`: it panics when stdout is closed (`| head`) or full.
    let _ = writeln!(
        std::io::stdout(),
        "{}: OK: {} accounts ({} by AssumeRole){}, {} queries per run{}, {} warnings",
        path.display(),
        config.accounts.len(),
        roles,
        members_line(&config),
        queries,
        if config.organizations.is_empty() {
            ""
        } else {
            " for the configured accounts"
        },
        config.warnings.len()
    );
    Ok(Exit::Ok)
}

/// What `validate` says of the organizations: ` + members of organization
/// acme, discovered at run time` (`organizations a and b`), or nothing.
fn members_line(config: &Config) -> String {
    let names: Vec<&str> = config
        .organizations
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => format!(" + members of organization {one}, discovered at run time"),
        [init @ .., last] => format!(
            " + members of organizations {} and {last}, discovered at run time",
            init.join(", ")
        ),
    }
}

/// The process's peak resident memory (`VmHWM`), in KiB, where the system
/// tells it (Linux). Logged at the end of a run: `getrusage`'s `ru_maxrss`
/// would also count the parent's memory at the time it forked us.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// How many config warnings `run` logs one by one; `validate` lists them all.
const RUN_WARNINGS_SHOWN: usize = 10;

/// Logs the config's warnings for `run`: the first [`RUN_WARNINGS_SHOWN`],
/// then one line with the count of the rest (a generated 10,000-account file
/// would otherwise print thousands of lines before the run starts).
fn log_warnings(warnings: &[crate::config::Problem], path: &std::path::Path) {
    for w in warnings.iter().take(RUN_WARNINGS_SHOWN) {
        tracing::warn!("{w}");
    }
    if let Some(rest) = warnings
        .len()
        .checked_sub(RUN_WARNINGS_SHOWN)
        .filter(|&n| n > 0)
    {
        tracing::warn!(
            "{rest} more config warnings not shown; `tcss-report validate --config {}` lists them all",
            path.display()
        );
    }
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled, so a signal that arrives
/// right after (say, after the simulator printed its address) is not lost.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let streams =
            signal(SignalKind::terminate()).and_then(|t| Ok((t, signal(SignalKind::interrupt())?)));
        async move {
            match streams {
                Ok((mut term, mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = int.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The exit code of an error: its own when it has one, else 1 (fatal).
fn error_exit(e: &anyhow::Error) -> Exit {
    e.downcast_ref::<ExitError>()
        .map_or(Exit::Fatal, |x| x.code)
}
