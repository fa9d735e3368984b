//! The command line: argument parsing (clap), logging and progress setup,
//! signal handling, and the mapping of every outcome to the documented exit
//! codes. The only place `anyhow` is used.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use tcapi::credentials::{Env, ProcessEnv};
use tcapi::{Client, ClientConfig, Endpoint};
use tokio::sync::watch;

use crate::compare::{self, Previous};
use crate::config::{self, Config, ConfigError, CredentialSpec};
use crate::execute::{ExecOptions, Executor, QueryFeed};
use crate::logging::{self, Style};
use crate::model::{AccountInfo, QueryOutcome, QueryResult, RunInfo};
use crate::redact::Redactor;
use crate::report::{self, Format};
use crate::{aggregate, limits, plan, simulate};

/// Exit codes (see the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every query succeeded.
    Ok = 0,
    /// Any other fatal error.
    Fatal = 1,
    /// Bad usage or invalid config; nothing was called.
    Usage = 2,
    /// The run finished but some queries failed.
    Failures = 3,
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
    /// Only warnings and errors on stderr (RUST_LOG overrides).
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

#[derive(Debug, Args)]
struct HistoryArgs {
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
    formats: Vec<crate::history::output::TrendFormat>,
}

#[derive(Debug, Args)]
struct DiscoverArgs {
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
enum DiscoverFormat {
    /// A table for people.
    Table,
    /// `[[accounts]]` entries to paste into the config (freezes the list).
    Toml,
    /// One row per account or excluded member.
    Csv,
    /// Accounts, excluded members and organizations.
    Json,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// The accounts file (TOML).
    #[arg(long)]
    config: PathBuf,
    /// Folder for the reports.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// Report formats, comma-separated: csv, xlsx, json, md, prom.
    #[arg(long, value_delimiter = ',', default_value = "csv,xlsx,json,md")]
    formats: Vec<Format>,
    /// Run against the built-in simulator (no cloud account needed).
    #[arg(long)]
    simulate: bool,
    /// Requests in flight, all accounts together (overrides the config).
    #[arg(long, value_parser = clap::value_parser!(u32).range(config::CONCURRENCY.min..=config::CONCURRENCY.max))]
    concurrency: Option<u32>,
    /// DescribeImageAuthorizedInfo requests per second per account (overrides the config).
    #[arg(long, value_parser = clap::value_parser!(u32).range(config::RATE_LIMIT.min..=config::RATE_LIMIT.max))]
    rate_limit: Option<u32>,
    /// Only accounts with this name or tag (`key=value` or a value); repeatable.
    #[arg(long, num_args = 1..)]
    only: Vec<String>,
    /// No progress bar even on a terminal.
    #[arg(long)]
    no_progress: bool,
    /// The history database the run is recorded in: a SQLite file or a
    /// postgres:// URL (default: the config's `[history] database`, else
    /// <out>/history.sqlite).
    #[arg(long, value_name = "DB", conflicts_with = "no_history")]
    history: Option<String>,
    /// Do not record the run in the history database.
    #[arg(long)]
    no_history: bool,
    /// Compare with an earlier run: `last` (the latest earlier complete run
    /// in the history database) or a snapshot `PREV.json` written by an
    /// earlier run (`./last` for a file named `last`).
    #[arg(long, value_name = "last|PREV.json", value_parser = parse_compare)]
    compare: Option<CompareWith>,
    /// Also write the metrics (Prometheus text format) to this fixed path,
    /// replaced atomically (for node_exporter's textfile collector).
    #[arg(long, value_name = "FILE")]
    metrics_file: Option<PathBuf>,
    /// Push the metrics to this Prometheus Pushgateway (job `tcss_report`);
    /// overrides `[defaults] pushgateway`. A failed push is only logged.
    #[arg(long, value_name = "URL")]
    pushgateway: Option<String>,
    /// Exit 4 when this threshold is breached, e.g. `utilization >= 90%` or
    /// `total.failed_queries > 0` (`[account.|total.]METRIC OP NUMBER`);
    /// repeatable, added to the config's `fail_on`.
    #[arg(long = "fail-on", value_name = "EXPR")]
    fail_on: Vec<String>,
}

/// What `run --compare` compares with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompareWith {
    /// The latest earlier complete run in the history database.
    Last,
    /// A JSON snapshot written by an earlier run.
    File(PathBuf),
}

fn parse_compare(s: &str) -> Result<CompareWith, String> {
    match s {
        "" => Err("expected `last` or the path of a snapshot (<stem>.json)".into()),
        "last" => Ok(CompareWith::Last),
        path => Ok(CompareWith::File(PathBuf::from(path))),
    }
}

#[derive(Debug, Args)]
struct SimArgs {
    /// The fleet file (TOML, see docs/simulator.md).
    #[arg(long, required_unless_present = "generate")]
    fleet: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Instead of serving: generate a fleet of N accounts and write it (with
    /// a matching accounts config) for benchmarks and demos.
    #[arg(long, value_name = "N")]
    generate: Option<usize>,
    /// Seed for --generate.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Regions for --generate, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "ap-guangzhou")]
    regions: Vec<String>,
    /// Latency in ms for --generate.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of accounts (0..1) given 1 to 3 transient faults per (region,
    /// action) before answering, for --generate (soak tests).
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    fault_fraction: f64,
    /// For --generate: how many accounts with keys manage the members (1:
    /// one management account assumes a role in every member). Default: all.
    #[arg(long, requires = "generate", value_parser = clap::value_parser!(u32).range(1..))]
    management_accounts: Option<u32>,
    /// For --generate: put every account into one organization of this
    /// name, managed by the first account; the written config lists only the
    /// management account and an `[[organizations]]` table.
    #[arg(long, requires = "generate")]
    organization: Option<String>,
    /// For --generate: leave the `uin` out of the accounts with keys in the
    /// written config, so a run learns it with GetCallerIdentity.
    #[arg(long, requires = "generate")]
    omit_key_uins: bool,
    /// Where --generate writes the fleet.
    #[arg(long, requires = "generate")]
    write_fleet: Option<PathBuf>,
    /// Where --generate writes the matching accounts config.
    #[arg(long, requires = "generate")]
    write_config: Option<PathBuf>,
    /// Endpoint URL the generated config points at.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    endpoint: String,
}

fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a number from 0 to 1")),
    }
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
    let result = runtime.block_on(dispatch(cli, redactor.clone()));
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

async fn dispatch(cli: Cli, redactor: Arc<Redactor>) -> anyhow::Result<Exit> {
    let json_logs = matches!(cli.log_format, LogFormat::Json);
    match cli.command {
        Command::Run(args) => run(args, json_logs, redactor).await,
        Command::Validate { config } => validate(&config),
        Command::Discover(args) => discover(args, redactor).await,
        Command::Sim(args) => sim(args).await,
        Command::History(args) => history_command(args, &redactor).await,
    }
}

fn load_config(path: &std::path::Path) -> anyhow::Result<Config> {
    Config::load(path).map_err(|e| match e {
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
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        return Err(usage(format!(
            "credential sources not available:\n{}",
            list.join("\n")
        )));
    }
    let roles = config
        .accounts
        .iter()
        .filter(|a| matches!(a.credentials, CredentialSpec::Role { .. }))
        .count();
    let queries: usize = config.accounts.iter().map(|a| a.regions.len()).sum();
    println!(
        "{}: OK: {} accounts ({} by AssumeRole), {} queries per run, {} warnings",
        path.display(),
        config.accounts.len(),
        roles,
        queries,
        config.warnings.len()
    );
    Ok(Exit::Ok)
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

async fn run(args: RunArgs, json_logs: bool, redactor: Arc<Redactor>) -> anyhow::Result<Exit> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    // Before any file is read: an interrupt while reading the config or the
    // credentials ends the run cleanly instead of killing it.
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let signalled = shutdown_signal();
    let signal_task = tokio::spawn(async move {
        signalled.await;
        tracing::warn!(
            "interrupted: stopping new work, cancelling requests in flight, writing what we have"
        );
        let _ = cancel_tx.send(true);
    });
    let mut config = run_config(&args)?;
    let metrics_targets = metrics_targets(&args, &config, &redactor)?;
    let env: Arc<dyn Env> = Arc::new(ProcessEnv);
    let history = history_target(&args, &config, env.as_ref(), &redactor)?;
    let previous = previous_run(&args, history.as_ref()).await?;
    let d = config.defaults.clone();
    let Wired {
        executor,
        mut sim,
        org_endpoint,
    } = wire(&config, env.as_ref(), args.simulate, redactor).await?;
    let plan = plan::plan(&config.accounts);
    tracing::info!(
        accounts = config.accounts.len(),
        organizations = config.organizations.len(),
        queries = plan.len(),
        concurrency = d.concurrency,
        rate_limit = d.rate_limit,
        "starting run"
    );
    // Discovery feeds the members' queries to the run as their pages
    // arrive; the run ends when both are done.
    let (feed, queries) = QueryFeed::new(plan);
    let mut progress = Progress::new(
        feed.planned(),
        !args.no_progress && !json_logs && std::io::stderr().is_terminal(),
    );
    let discovery = {
        let (exec, config, env, endpoint) =
            (&executor, &config, env.as_ref(), org_endpoint.as_ref());
        let cancel = cancel_rx.clone();
        async move {
            let found =
                crate::discover::discover(exec, config, env, endpoint, &cancel, Some(&feed)).await;
            drop(feed);
            found
        }
    };
    let (outcomes, found) = tokio::join!(
        executor.run_stream(queries, cancel_rx.clone(), |o| progress.tick(o)),
        discovery
    );
    config.accounts.extend(found.accounts);
    let organizations: Vec<crate::model::OrganizationRun> =
        found.organizations.iter().map(|o| o.run()).collect();
    progress.finish();
    signal_task.abort();
    // Close every pooled connection before the reports need descriptors.
    drop(executor);
    tokio::task::yield_now().await;
    let interrupted = *cancel_rx.borrow();
    let finished_at = chrono::Utc::now();
    if let Some(s) = sim.take() {
        let snap = s.handle.counters().snapshot();
        tracing::info!(
            requests = snap.total,
            throttled = snap.throttled,
            signature_failures = snap.signature_failures,
            "simulator: served"
        );
        s.handle.shutdown().await;
    }

    let org_failures = organizations
        .iter()
        .filter(|o| o.error_code.is_some())
        .count();
    let run_info = RunInfo {
        started_at,
        finished_at,
        version: env!("CARGO_PKG_VERSION").to_string(),
        config_path: args.config.display().to_string(),
        config_digest: config.digest.clone(),
        complete: !interrupted && org_failures == 0,
        region_scope: d.region_scope,
        simulated: args.simulate,
        stem: format!(
            "tcss-authorizations-{}",
            started_at.format("%Y%m%dT%H%M%SZ")
        ),
        organizations,
        history: crate::model::HistoryOutcome::Off,
    };
    let Written {
        failed,
        history_failed,
        report,
    } = write_reports(
        &args,
        &config,
        &outcomes,
        run_info,
        started,
        history.as_ref(),
        previous,
    )
    .await?;
    crate::metrics::deliver(&report, &metrics_inputs(&report), &metrics_targets).await?;
    // A run that could not be recorded is fatal (1), whatever breached.
    if history_failed && !interrupted {
        return Ok(Exit::Fatal);
    }
    Ok(run_exit(
        interrupted,
        report.breaches.len(),
        failed + org_failures,
    ))
}
/// The exit code of an error: its own when it has one, else 1 (fatal).
fn error_exit(e: &anyhow::Error) -> Exit {
    e.downcast_ref::<ExitError>()
        .map_or(Exit::Fatal, |x| x.code)
}

/// The exit code of a run whose reports were written (a run that could not
/// write them ends with an error: 1): interrupted 130, else a breached
/// threshold 4, else failed queries or organizations 3, else 0.
fn run_exit(interrupted: bool, breaches: usize, failures: usize) -> Exit {
    if interrupted {
        Exit::Interrupted
    } else if breaches > 0 {
        Exit::Breached
    } else if failures > 0 {
        Exit::Failures
    } else {
        Exit::Ok
    }
}

/// Whether the run compares with an earlier one: `change.*` thresholds need it.
fn comparison_asked(args: &RunArgs) -> bool {
    args.compare.is_some()
}

/// The thresholds of a run: the config's `fail_on`, then `--fail-on`'s,
/// each parsed, and `change.*` refused without a comparison; before any call.
fn thresholds(args: &RunArgs, config: &mut Config) -> anyhow::Result<()> {
    for expr in &args.fail_on {
        let t = crate::thresholds::parse(expr, crate::thresholds::Origin::CommandLine)
            .map_err(|e| usage(e.to_string()))?;
        config.defaults.fail_on.push(t);
    }
    crate::thresholds::check_compare(&config.defaults.fail_on, comparison_asked(args))
        .map_err(|e| usage(e.to_string()))
}

/// How many breaches are logged one by one; the rest are counted.
const BREACHES_SHOWN: usize = 20;

/// One warning per breach, the first [`BREACHES_SHOWN`], then the count of the rest.
fn log_breaches(breaches: &[crate::thresholds::Breach]) {
    for b in breaches.iter().take(BREACHES_SHOWN) {
        tracing::warn!("{b}");
    }
    if let Some(rest) = breaches
        .len()
        .checked_sub(BREACHES_SHOWN)
        .filter(|&n| n > 0)
    {
        tracing::warn!("and {rest} more breaches (every report lists them all)");
    }
}

/// The config of a run: loaded, narrowed by `--only`, with the command
/// line's overrides and the concurrency that fits the open-file limit; and
/// `--out` checked, all before any call.
fn run_config(args: &RunArgs) -> anyhow::Result<Config> {
    let mut config = load_config(&args.config)?;
    thresholds(args, &mut config)?;
    config.select(&args.only).map_err(usage)?;
    if let Some(c) = args.concurrency {
        config.defaults.concurrency = c as usize;
    }
    config.defaults.concurrency =
        limits::concurrency_for_limit(config.defaults.concurrency, args.simulate);
    if let Some(r) = args.rate_limit {
        config.defaults.rate_limit = r;
    }
    log_warnings(&config.warnings, &args.config);
    report::check_out_dir(&args.out).map_err(|e| usage(e.to_string()))?;
    Ok(config)
}

/// Where the metrics go besides the report set (`--metrics-file`,
/// `--pushgateway` or `[defaults] pushgateway`), checked before any call.
/// The Pushgateway URL's user and password join the secrets never logged.
fn metrics_targets(
    args: &RunArgs,
    config: &Config,
    redactor: &Redactor,
) -> anyhow::Result<crate::metrics::Targets> {
    if let Some(file) = &args.metrics_file {
        let folder = file.parent().filter(|p| !p.as_os_str().is_empty());
        if file.file_name().is_none() || folder.is_some_and(|f| !f.is_dir()) {
            return Err(usage(format!(
                "--metrics-file {}: the folder does not exist or the path names no file",
                file.display()
            )));
        }
    }
    let gateway = match &args.pushgateway {
        Some(text) => Some(
            crate::metrics::push::parse_url(text)
                .map_err(|e| usage(format!("--pushgateway: {e}")))?,
        ),
        None => config.defaults.pushgateway.clone(),
    };
    let push = gateway.map(|url| {
        let name = args
            .config
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy();
        let gateway = crate::metrics::Pushgateway::new(
            &url,
            &name,
            Duration::from_secs(config.defaults.timeout_secs),
            config.defaults.ca_file.iter().cloned().collect(),
        );
        for secret in gateway.secrets() {
            redactor.add(&secret);
        }
        gateway
    });
    Ok(crate::metrics::Targets {
        file: args.metrics_file.clone(),
        push,
    })
}

/// What the metrics need beyond the report: the thresholds breached.
fn metrics_inputs(report: &aggregate::Report) -> report::prom::Inputs {
    report::prom::Inputs {
        breaches: report.breaches.len(),
    }
}

/// What writing the reports left for the rest of the run.
struct Written {
    /// Queries that failed.
    failed: usize,
    /// Whether recording the run in the history failed.
    history_failed: bool,
    /// The report, for the metrics.
    report: aggregate::Report,
}

/// Where the run is recorded (`None` with `--no-history`); a bad
/// `--history` or an unset `password_env` variable is bad usage. The
/// PostgreSQL password joins the redacted secrets.
fn history_target(
    args: &RunArgs,
    config: &Config,
    env: &dyn Env,
    redactor: &Redactor,
) -> anyhow::Result<Option<crate::history::recorder::Target>> {
    if args.no_history {
        return Ok(None);
    }
    let target = crate::history::recorder::target(args.history.as_deref(), config, &args.out, env)
        .map_err(|e| usage(e.to_string()))?;
    if let Some(p) = &target.options.password {
        redactor.add(p);
    }
    Ok(Some(target))
}

/// Aggregates the outcomes, records the run in the history (under the
/// folder lock, once its stem is chosen, so the Run sheet can say where),
/// writes every report, logs `run finished` and lists the files on stdout.
/// Evaluates the thresholds on the report and its comparison first, so
/// every report lists the breaches (logged even when writing fails).
/// Returns how many queries failed, whether recording failed, and the report.
async fn write_reports(
    args: &RunArgs,
    config: &Config,
    outcomes: &[QueryOutcome],
    run_info: RunInfo,
    started: Instant,
    history: Option<&crate::history::recorder::Target>,
    previous: Option<Option<Previous>>,
) -> anyhow::Result<Written> {
    let accounts: Vec<AccountInfo> = config.accounts.iter().map(|a| a.info()).collect();
    let mut report = aggregate::aggregate(&accounts, outcomes, run_info);
    attach_comparison(&mut report, previous);
    // On the aggregated report and its comparison, so every report lists them.
    report.breaches = crate::thresholds::evaluate(&report, &config.defaults.fail_on);
    let write_started = Instant::now();
    let context = || format!("writing reports into {}", args.out.display());
    let reservation = report::reserve(&args.out, &report.run.stem).with_context(context);
    let reservation = reservation.inspect_err(|_| log_breaches(&report.breaches))?;
    report.run.stem.clone_from(&reservation.stem);
    let history_started = Instant::now();
    if let Some(target) = history {
        report.run.history = crate::history::recorder::record(target, &report).await;
    }
    let history_ms = history_started.elapsed().as_millis() as u64;
    let history_failed = matches!(
        report.run.history,
        crate::model::HistoryOutcome::Failed { .. }
    );
    let metrics = metrics_inputs(&report);
    let written =
        report::write_reserved(&mut report, &args.out, &args.formats, &metrics, reservation)
            .with_context(context);
    log_breaches(&report.breaches);
    let paths = written?;
    let failed = outcomes
        .iter()
        .filter(|o| matches!(o.result, QueryResult::Failed { .. }))
        .count();
    let cancelled = outcomes
        .iter()
        .filter(|o| matches!(o.result, QueryResult::Cancelled))
        .count();
    tracing::info!(
        queries = outcomes.len(),
        failed,
        cancelled,
        seconds = format!("{:.2}", started.elapsed().as_secs_f64()),
        report_ms = write_started.elapsed().as_millis() as u64,
        history_ms,
        peak_rss_kib = peak_rss_kib().unwrap_or(0),
        "run finished"
    );
    let mut stdout = std::io::stdout().lock();
    for p in &paths {
        let _ = writeln!(stdout, "{}", p.display());
    }
    Ok(Written {
        failed,
        history_failed,
        report,
    })
}

/// `tcss-report history`: reads the recorded runs (never creating the
/// database) and writes the trend files.
async fn history_command(args: HistoryArgs, redactor: &Redactor) -> anyhow::Result<Exit> {
    let config = load_config(&args.config)?;
    report::check_out_dir(&args.out).map_err(|e| usage(e.to_string()))?;
    let mut target =
        crate::history::recorder::target(args.history.as_deref(), &config, &args.out, &ProcessEnv)
            .map_err(|e| usage(e.to_string()))?;
    target.options.create = false;
    if let Some(p) = &target.options.password {
        redactor.add(p);
    }
    if let crate::history::Location::Sqlite(p) = &target.location {
        if !p.exists() {
            return Err(usage(format!(
                "no history at {}: no run was recorded there yet; give --history, or record \
                 runs with `tcss-report run` first",
                p.display()
            )));
        }
    }
    let store = crate::history::Store::open(&target.location, &target.options).await?;
    let now = chrono::Utc::now();
    let since = args
        .since
        .map(|d| now - chrono::Duration::days(i64::from(d)));
    let trends = store.trends(since).await?;
    let location = target.location.to_string();
    let about = crate::history::output::About {
        history: &location,
        generated_at: now,
    };
    let paths = crate::history::output::write(&trends, &about, &args.out, &args.formats)
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

/// The earlier run `--compare` names, read before any call (a bad snapshot
/// is a usage error): `None` without `--compare`, `Some(None)` when there
/// is nothing to compare with.
async fn previous_run(
    args: &RunArgs,
    history: Option<&crate::history::recorder::Target>,
) -> anyhow::Result<Option<Option<Previous>>> {
    match &args.compare {
        None => Ok(None),
        Some(CompareWith::Last) => previous_from_history(history).await.map(Some),
        Some(CompareWith::File(path)) => {
            let s = compare::snapshot::read(path).map_err(|e| usage(e.to_string()))?;
            if !s.complete {
                tracing::warn!(
                    "{} is the snapshot of an incomplete run: accounts it lacks show as new",
                    path.display()
                );
            }
            tracing::info!(
                previous_run = %s.previous.run,
                accounts = s.previous.accounts.len(),
                "comparing with {}",
                path.display()
            );
            Ok(Some(Some(s.previous)))
        }
    }
}

/// `--compare last`: the latest complete run in the history database this
/// run records into (`history::Store::previous_complete_run`), `None` when
/// there is none (no database yet, or only incomplete runs). Read before
/// any call: `--no-history` is bad usage, an unreadable database fatal.
async fn previous_from_history(
    history: Option<&crate::history::recorder::Target>,
) -> anyhow::Result<Option<Previous>> {
    let Some(target) = history else {
        return Err(usage(
            "`--compare last` needs the history database, and --no-history turns it off; \
             drop --no-history, or compare with an earlier run's snapshot: \
             `--compare reports/<stem>.json`",
        ));
    };
    if let crate::history::Location::Sqlite(p) = &target.location {
        if !p.exists() {
            return Ok(None);
        }
    }
    let store = crate::history::Store::open(&target.location, &target.options)
        .await
        .context("`--compare last`: reading the history database")?;
    let previous = store
        .previous_complete_run(i64::MAX)
        .await
        .context("`--compare last`: reading the history database")?;
    if let Some(p) = &previous {
        tracing::info!(
            previous_run = %p.run,
            accounts = p.accounts.len(),
            history = %target.location,
            "comparing with the latest complete run in the history"
        );
    }
    Ok(previous)
}

/// Puts the comparison (or, with nothing to compare with, the note) into
/// the report, and says so in the log.
fn attach_comparison(report: &mut aggregate::Report, previous: Option<Option<Previous>>) {
    match previous {
        None => {}
        Some(None) => {
            tracing::info!("nothing to compare with: {}", compare::NO_PREVIOUS_RUN);
            report.comparison_note = Some(compare::NO_PREVIOUS_RUN.to_string());
        }
        Some(Some(p)) => {
            let c = compare::compare(&report.accounts, &p);
            tracing::info!(
                previous_run = %c.previous_run,
                matched = c.changes.len() - c.new_count(),
                changed = c.movers().len(),
                new = c.new_count(),
                vanished = c.vanished.len(),
                "compared with the earlier run"
            );
            report.comparison = Some(c);
        }
    }
}

/// `tcss-report discover`: the accounts a run would query, the members left
/// out and each organization's counts. Exit 3 when an organization could not
/// be listed.
async fn discover(args: DiscoverArgs, redactor: Arc<Redactor>) -> anyhow::Result<Exit> {
    let mut config = load_config(&args.config)?;
    log_warnings(&config.warnings, &args.config);
    let env = ProcessEnv;
    let Wired {
        executor,
        sim,
        org_endpoint,
    } = wire(&config, &env, args.simulate, redactor).await?;
    let configured = config.accounts.len();
    let (_never, cancel) = watch::channel(false);
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

/// What a run (or `discover`) talks to the API with.
struct Wired {
    executor: Executor,
    sim: Option<simulate::Simulated>,
    /// The organization API endpoint when it is not each organization's own
    /// (the simulator's).
    org_endpoint: Option<Endpoint>,
}

/// The endpoints (the built-in simulator's with `simulate`), the shared HTTP
/// client and the executor of a run.
async fn wire(
    config: &Config,
    env: &dyn Env,
    simulate: bool,
    redactor: Arc<Redactor>,
) -> anyhow::Result<Wired> {
    let d = &config.defaults;

    let mut overrides = HashMap::new();
    let mut sim = None;
    let (endpoint, sts_endpoint) = if simulate {
        let s = simulate::start(config, env)
            .await
            .context("starting the built-in simulator")?;
        if !s.demo_accounts.is_empty() {
            let mut names = s
                .demo_accounts
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if s.demo_accounts.len() > 10 {
                names.push_str(", ...");
            }
            tracing::info!(
                "simulator: {} of {} accounts have no credentials in this environment ({names}); \
                 using demo credentials for them",
                s.demo_accounts.len(),
                config.accounts.len()
            );
        }
        tracing::info!(url = %s.handle.url(), "simulator: serving the config's accounts on loopback");
        let url = s.handle.url();
        overrides = s.overrides.clone();
        sim = Some(s);
        (Endpoint::parse(&url, false)?, Endpoint::parse(&url, false)?)
    } else {
        (
            Endpoint::parse(&d.endpoint, d.allow_insecure_http)
                .map_err(|e| usage(format!("endpoint: {e}")))?,
            Endpoint::parse(&d.sts_endpoint, d.allow_insecure_http)
                .map_err(|e| usage(format!("sts_endpoint: {e}")))?,
        )
    };

    let client = Client::new(ClientConfig {
        timeout: Duration::from_secs(d.timeout_secs),
        max_attempts: d.max_attempts,
        language: d.language.clone(),
        request_client: format!("tcss-report/{}", env!("CARGO_PKG_VERSION")),
        ca_files: d.ca_file.iter().cloned().collect(),
        pool_max_idle_per_host: d.concurrency,
        ..ClientConfig::default()
    })
    .map_err(|e| usage(format!("HTTP client: {e}")))?;

    let org_endpoint = simulate.then(|| endpoint.clone());
    let executor = Executor::new(
        config,
        env,
        &overrides,
        ExecOptions {
            client,
            endpoint,
            sts_endpoint,
            sts_region: d.sts_region.clone(),
            concurrency: d.concurrency,
            rate_limit: d.rate_limit,
            sts_rate_limit: d.sts_rate_limit,
            role_session_name: d.role_session_name.clone(),
            role_duration_secs: d.role_duration_secs,
            discover_uin: true,
            redactor,
        },
    );
    Ok(Wired {
        executor,
        sim,
        org_endpoint,
    })
}

/// A progress bar on a terminal; periodic log lines otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// Queries so far: it grows while discovery adds members.
    total: Arc<AtomicUsize>,
    done: usize,
    failed: usize,
    last_log: Instant,
}

impl Progress {
    fn new(total: Arc<AtomicUsize>, terminal: bool) -> Progress {
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

    fn tick(&mut self, o: &QueryOutcome) {
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

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

async fn sim(args: SimArgs) -> anyhow::Result<Exit> {
    if let Some(n) = args.generate {
        return generate(&args, n);
    }
    let path = args
        .fleet
        .as_ref()
        .ok_or_else(|| usage("--fleet is required"))?;
    let fleet = tcss_sim::Fleet::load(path).map_err(|e| usage(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| usage(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr()?;
    let counters = Arc::new(tcss_sim::Counters::default());
    let stop = shutdown_signal();
    println!(
        "tcss-sim listening on http://{addr} ({} accounts)",
        fleet.accounts.len()
    );
    std::io::stdout().flush()?;
    tcss_sim::serve(listener, fleet, counters.clone(), stop).await?;
    let snapshot = counters.snapshot();
    println!("{}", serde_json::to_string(&snapshot)?);
    Ok(Exit::Ok)
}

fn generate(args: &SimArgs, n: usize) -> anyhow::Result<Exit> {
    let fleet = tcss_sim::Fleet::generate(&tcss_sim::GenOptions {
        seed: args.seed,
        accounts: n,
        regions: args.regions.clone(),
        latency_ms: args.latency_ms,
        fault_fraction: args.fault_fraction,
        management_accounts: args.management_accounts.map(|k| k as usize),
        organization: args.organization.clone(),
        ..tcss_sim::GenOptions::default()
    });
    let fleet_path = args
        .write_fleet
        .clone()
        .unwrap_or_else(|| PathBuf::from("fleet.toml"));
    std::fs::write(&fleet_path, fleet.to_toml_string()?)
        .with_context(|| format!("writing {}", fleet_path.display()))?;
    println!("{}", fleet_path.display());
    if let Some(config_path) = &args.write_config {
        std::fs::write(
            config_path,
            crate::simulate::config_for_fleet(
                &fleet,
                &args.endpoint,
                &args.regions,
                args.omit_key_uins,
            ),
        )
        .with_context(|| format!("writing {}", config_path.display()))?;
        println!("{}", config_path.display());
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sim_args(argv: &[&str]) -> SimArgs {
        let mut full = vec!["tcss-report", "sim"];
        full.extend_from_slice(argv);
        match Cli::try_parse_from(full) {
            Ok(Cli {
                command: Command::Sim(args),
                ..
            }) => args,
            other => panic!("unexpected parse result: {other:?}"),
        }
    }

    fn run_args(argv: &[&str]) -> Result<RunArgs, clap::Error> {
        let mut full = vec!["tcss-report", "run", "--config", "a.toml"];
        full.extend_from_slice(argv);
        Cli::try_parse_from(full).map(|cli| match cli.command {
            Command::Run(args) => args,
            other => panic!("unexpected command: {other:?}"),
        })
    }

    #[test]
    fn compare_takes_last_or_a_snapshot_path() {
        assert_eq!(run_args(&[]).unwrap().compare, None);
        assert_eq!(
            run_args(&["--compare", "last"]).unwrap().compare,
            Some(CompareWith::Last)
        );
        assert_eq!(
            run_args(&["--compare", "reports/x.json"]).unwrap().compare,
            Some(CompareWith::File("reports/x.json".into()))
        );
        assert_eq!(
            run_args(&["--compare", "./last"]).unwrap().compare,
            Some(CompareWith::File("./last".into()))
        );
        let e = run_args(&["--compare", ""]).unwrap_err().to_string();
        assert!(
            e.contains("expected `last` or the path of a snapshot"),
            "{e}"
        );
        assert!(run_args(&["--compare"]).is_err());
    }

    #[test]
    fn the_comparison_or_its_note_is_attached() {
        let mut report = crate::report::tests::sample_report();
        attach_comparison(&mut report, None);
        assert_eq!(
            (&report.comparison, &report.comparison_note),
            (&None, &None)
        );
        attach_comparison(&mut report, Some(None));
        assert_eq!(report.comparison, None);
        assert_eq!(
            report.comparison_note.as_deref(),
            Some(compare::NO_PREVIOUS_RUN)
        );
        let mut report = crate::report::tests::sample_report();
        let previous = Previous {
            run: "earlier".into(),
            generated_at: report.generated_at,
            accounts: Vec::new(),
        };
        attach_comparison(&mut report, Some(Some(previous)));
        let c = report.comparison.expect("compared");
        assert_eq!(c.previous_run, "earlier");
        assert_eq!(c.new_count(), report.accounts.len());
        assert_eq!(report.comparison_note, None);
    }

    #[test]
    fn fault_fraction_must_be_a_share() {
        assert_eq!(fraction("0.25"), Ok(0.25));
        assert_eq!(fraction("1"), Ok(1.0));
        assert!(fraction("1.5").is_err());
        assert!(fraction("-0.1").is_err());
        assert!(fraction("NaN").is_err());
        assert!(Cli::try_parse_from([
            "tcss-report",
            "sim",
            "--generate",
            "5",
            "--fault-fraction",
            "2"
        ])
        .is_err());
        assert_eq!(sim_args(&["--generate", "5"]).fault_fraction, 0.0);
    }

    #[test]
    fn generate_writes_the_requested_faults() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fleet_path = dir.path().join("fleet.toml");
        let faults = |fraction: &str| {
            let args = sim_args(&[
                "--generate",
                "40",
                "--fault-fraction",
                fraction,
                "--write-fleet",
                fleet_path.to_str().expect("utf-8 path"),
            ]);
            generate(&args, 40).expect("generated");
            let fleet = tcss_sim::Fleet::load(&fleet_path).expect("valid fleet");
            assert_eq!(fleet.accounts.len(), 40);
            fleet
                .accounts
                .iter()
                .filter(|a| a.faults.first_n > 0)
                .count()
        };
        assert_eq!(faults("0"), 0);
        assert_eq!(faults("1"), 40);
    }

    #[test]
    fn generate_writes_an_organization_and_its_config() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fleet_path = dir.path().join("fleet.toml");
        let config_path = dir.path().join("accounts.toml");
        let args = sim_args(&[
            "--generate",
            "30",
            "--organization",
            "corp",
            "--write-fleet",
            fleet_path.to_str().expect("utf-8 path"),
            "--write-config",
            config_path.to_str().expect("utf-8 path"),
        ]);
        generate(&args, 30).expect("generated");
        let fleet = tcss_sim::Fleet::load(&fleet_path).expect("valid fleet");
        assert_eq!(fleet.organizations()[0].members.len(), 30);
        let config = Config::load(&config_path).expect("valid config");
        assert_eq!(config.accounts.len(), 1, "only the management account");
        assert_eq!(config.organizations.len(), 1);
        assert_eq!(config.organizations[0].name, "corp");
        assert_eq!(
            config.accounts[0].uin, None,
            "the management account's UIN is learned"
        );
    }

    fn parsed_run(argv: &[&str]) -> RunArgs {
        let mut full = vec!["tcss-report", "run", "--config", "accounts.toml"];
        full.extend_from_slice(argv);
        match Cli::try_parse_from(full) {
            Ok(Cli {
                command: Command::Run(args),
                ..
            }) => args,
            other => panic!("unexpected parse result: {other:?}"),
        }
    }

    #[test]
    fn exit_codes_breach_wins_over_failures_interrupt_over_breach() {
        assert_eq!(run_exit(false, 0, 0), Exit::Ok);
        assert_eq!(run_exit(false, 0, 2), Exit::Failures);
        assert_eq!(run_exit(false, 1, 0), Exit::Breached);
        assert_eq!(run_exit(false, 3, 2), Exit::Breached, "4 wins over 3");
        assert_eq!(run_exit(true, 3, 2), Exit::Interrupted, "130 wins over 4");
        assert_eq!(run_exit(true, 0, 0), Exit::Interrupted);
        assert_eq!(Exit::Breached as u8, 4);
    }

    #[test]
    fn a_report_that_cannot_be_written_is_fatal_whatever_breached() {
        // What `run` returns when writing fails: the `?` leaves before
        // `run_exit`, so no breach can turn it into 4.
        let err = anyhow::Error::new(crate::report::ReportError::Io {
            path: "out/x.json".into(),
            kind: std::io::ErrorKind::Other,
            reason: "disk full".into(),
        })
        .context("writing reports into out");
        assert_eq!(error_exit(&err), Exit::Fatal);
        assert_eq!(error_exit(&usage("bad")), Exit::Usage);
    }

    #[test]
    fn fail_on_is_repeatable_and_joins_the_config_list() {
        let args = parsed_run(&[
            "--fail-on",
            "utilization >= 90%",
            "--fail-on=failed_queries>0",
        ]);
        assert_eq!(args.fail_on, ["utilization >= 90%", "failed_queries>0"]);
        let text = "[defaults]\nfail_on = [\"total.utilization > 95%\"]\n[[accounts]]\nname = \"a\"\nprofile = \"a\"\n";
        let mut config = Config::parse(text, std::path::Path::new("accounts.toml")).expect("valid");
        thresholds(&args, &mut config).expect("valid thresholds");
        let exprs: Vec<&str> = config
            .defaults
            .fail_on
            .iter()
            .map(|t| t.expression.as_str())
            .collect();
        assert_eq!(
            exprs,
            [
                "total.utilization > 95%",
                "utilization >= 90%",
                "failed_queries>0"
            ]
        );
    }

    #[test]
    fn a_bad_or_uncompared_threshold_is_a_usage_error() {
        let text = "[[accounts]]\nname = \"a\"\nprofile = \"a\"\n";
        let config = Config::parse(text, std::path::Path::new("accounts.toml")).expect("valid");
        let bad = thresholds(
            &parsed_run(&["--fail-on", "utilization >== 1"]),
            &mut config.clone(),
        )
        .expect_err("bad operator");
        assert_eq!(error_exit(&bad), Exit::Usage);
        assert!(bad.to_string().contains("unknown operator `>==`"), "{bad}");
        let change = thresholds(
            &parsed_run(&["--fail-on", "change.used_authorized > 5"]),
            &mut config.clone(),
        )
        .expect_err("no --compare");
        assert_eq!(error_exit(&change), Exit::Usage);
        assert!(
            change.to_string().contains("needs a comparison"),
            "{change}"
        );
    }
}
