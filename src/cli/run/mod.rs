//! `tcss-report run`: its arguments and its stages: the config and what
//! is checked before any call, the queries (discovery feeding the executor),
//! the report set (with the history recorded under its stem and the
//! thresholds evaluated), the metrics, and the exit code.

mod compare_with;
mod gates;
mod notify;
mod outputs;
mod progress;
mod selection;
mod summary;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use tcapi::credentials::{Env, ProcessEnv};
use tokio::sync::watch;

use crate::compare::Previous;
use crate::config::{self, Config};
use crate::execute::QueryFeed;
use crate::logging::Style;
use crate::model::{QueryOutcome, QueryResult, RunInfo};
use crate::redact::Redactor;
use crate::report::{self, Format};
use crate::{aggregate, limits};

use super::{load_config, log_warnings, peak_rss_kib, shutdown_signal, usage, wire, Exit, Wired};
pub use compare_with::CompareWith;
use compare_with::{comparison, parse_compare, previous_run};
use gates::{group_by, log_breaches, log_unknown_keys, thresholds};
use notify::{notify_and_publish, notify_targets};
use outputs::{history_target, metrics_inputs, metrics_targets};
use progress::Progress;
pub(super) use summary::Closing;

#[derive(Debug, Args)]
pub(super) struct RunArgs {
    /// The accounts file (TOML).
    #[arg(long)]
    config: PathBuf,
    /// Folder for the reports.
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// Report formats, comma-separated: csv, xlsx, json, md, html, prom.
    #[arg(long, value_delimiter = ',', default_value = "csv,xlsx,json,md,html")]
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
    /// Only the accounts, discovered members included, this selects:
    /// `NAME` or a glob, `uin:DIGITS`, `tag:KEY=VALUE` (or `KEY=VALUE`),
    /// `org:NAME`, `name:GLOB`; repeatable (any of them). A run with a
    /// selection is a subset.
    #[arg(long, num_args = 1.., value_name = "SELECTOR")]
    only: Vec<String>,
    /// Leave out the accounts this selects (same forms as `--only`);
    /// repeatable.
    #[arg(long, num_args = 1.., value_name = "SELECTOR")]
    exclude: Vec<String>,
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
    /// Exit 4 when this threshold is breached, e.g. `utilization >= 90%`,
    /// `total.failed_queries > 0` or `group.utilization >= 90%`
    /// (`[account.|total.|group.]METRIC OP NUMBER`); repeatable, added to
    /// the config's `fail_on`.
    #[arg(long = "fail-on", value_name = "EXPR")]
    fail_on: Vec<String>,
    /// Roll the accounts up by this tag key (a configured or member tag,
    /// `org`, `org_node`): one row per value and one for the accounts
    /// without it, in every report; repeatable (up to 10 keys); replaces
    /// `[defaults] group_by`.
    #[arg(long = "group-by", value_name = "KEY")]
    group_by: Vec<String>,
    /// Stop the run after this many seconds, as if interrupted: requests in
    /// flight are cancelled, the reports are written (`complete: false`) and
    /// the run exits 130 (overrides `[defaults] run_timeout_secs`; 0: none).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(config::RUN_TIMEOUT_SECS.min as u64..=config::RUN_TIMEOUT_SECS.max as u64))]
    run_timeout: Option<u64>,
    /// Send no notification (`[[notify]]`), and read none of their variables.
    #[arg(long)]
    no_notify: bool,
    /// What each account is asked, comma-separated: images
    /// (DescribeImageAuthorizedInfo, per region), edition
    /// (DescribePurchaseStateInfo) and auto_authorize
    /// (DescribeImageAutoAuthorizedRule), both once per account; overrides
    /// `[defaults] collect` (default: all three).
    #[arg(long, value_delimiter = ',', value_name = "WHAT")]
    collect: Vec<String>,
}

pub(super) async fn run(args: RunArgs, closing: Closing) -> anyhow::Result<Exit> {
    let redactor = closing.redactor.clone();
    let json_logs = closing.style == Style::Json;
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    // Before any file is read: an interrupt while reading the config or the
    // credentials ends the run cleanly instead of killing it.
    let (signal_task, cancel, stop) = interrupt_on_signal();
    let mut config = run_config(&args)?;
    let _deadline = run_deadline(&config, stop, started);
    let metrics_targets = metrics_targets(&args, &config, &redactor)?;
    let env: Arc<dyn Env> = Arc::new(ProcessEnv);
    let notify_targets = notify_targets(&args, &config, env.as_ref(), &redactor)?;
    // The history's waits end on an interrupt too (until the reports are
    // written): a hung database never holds the run.
    let history =
        history_target(&args, &config, env.as_ref(), &redactor)?.map(|t| t.interruptible(&cancel));
    let scope = selection::scope(&args, &config);
    let previous = previous_run(&args, history.as_ref(), &scope).await?;
    let wired = wire(&config, env.as_ref(), args.simulate, Arc::clone(&redactor)).await?;
    let terminal = !args.no_progress && !json_logs && std::io::stderr().is_terminal();
    let (outcomes, organizations) =
        query(&mut config, env.as_ref(), wired, &cancel, terminal).await;
    // Whether every answer is in: what the reports say (`complete`).
    let cut_short = *cancel.borrow();
    let mut run_info = run_info(&args, &config, started_at, cut_short, organizations);
    run_info.notifications = notify_targets.pending();
    let Written {
        history_failed,
        report,
        prom_text,
        paths,
        held_json,
    } = write_reports(
        &args,
        &config,
        outcomes,
        run_info,
        started,
        history.as_ref(),
        previous,
        &cancel,
    )
    .await?;
    let inputs = metrics_inputs(&report);
    let delivered = crate::metrics::deliver(&report, &inputs, &metrics_targets, prom_text).await;
    // Still heard while the reports were written (in full) and delivered:
    // an interrupt at any point of the run exits 130.
    signal_task.abort();
    let interrupted = *cancel.borrow();
    let dropped = crate::logging::lines_dropped();
    if dropped > 0 {
        // Seen if stderr took writes again (space freed); else in the metrics.
        tracing::warn!(
            lines = dropped,
            "log lines could not be written to stderr and were dropped"
        );
    }
    let summary = summary::summary(&report);
    // A run that could not be recorded (or whose metrics file could not be
    // written) is fatal (1), whatever breached; 130 still wins.
    let exit = if delivered.is_err() && !interrupted {
        Exit::Fatal
    } else {
        summary::run_exit(interrupted, history_failed, &summary)
    };
    // After the reports, the history and the metrics; never changes `exit`.
    notify_and_publish(&notify_targets, report, held_json, &paths, exit, &redactor).await?;
    if let Err(e) = delivered {
        tracing::error!("{e:#}");
    }
    summary::close(&closing, exit, &summary);
    Ok(exit)
}

/// The sender of a run's interrupt flag, shared by the signal task and
/// the run's deadline.
type Stop = Arc<watch::Sender<bool>>;

/// SIGINT/SIGTERM turn the returned flag true (and are logged once); the
/// sender is returned for the run's deadline.
fn interrupt_on_signal() -> (tokio::task::JoinHandle<()>, watch::Receiver<bool>, Stop) {
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let stop = Arc::new(cancel_tx);
    let signalled = shutdown_signal();
    let sender = Arc::clone(&stop);
    let task = tokio::spawn(async move {
        signalled.await;
        tracing::warn!(
            "interrupted: stopping new work, cancelling requests in flight, writing what we have"
        );
        sender.send_replace(true);
    });
    (task, cancel_rx, stop)
}

/// The run's deadline (`--run-timeout`, `[defaults] run_timeout_secs`),
/// counted from `started`: when it passes, the run stops as a signal would
/// stop it (exit 130, the reports written). The task ends with the run.
fn run_deadline(config: &Config, stop: Stop, started: Instant) -> Option<AbortOnDrop> {
    let secs = config.defaults.run_timeout_secs;
    if secs == 0 {
        return None;
    }
    let at = tokio::time::Instant::from_std(started) + Duration::from_secs(secs);
    Some(AbortOnDrop(tokio::spawn(async move {
        tokio::time::sleep_until(at).await;
        if !*stop.borrow() {
            tracing::warn!(
                run_timeout_secs = secs,
                "the run's deadline passed: stopping new work, cancelling requests in flight, \
                 writing what we have"
            );
            stop.send_replace(true);
        }
    })))
}

/// A task aborted when this is dropped (the end of the run).
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Every query of the run: the configured accounts' at once, the members'
/// as discovery feeds them (their accounts join `config`). Returns one
/// outcome per query and each organization's summary; the executor (and
/// its pooled connections) and the built-in simulator are gone by then.
async fn query(
    config: &mut Config,
    env: &dyn Env,
    wired: Wired,
    cancel: &watch::Receiver<bool>,
    terminal: bool,
) -> (Vec<QueryOutcome>, Vec<crate::model::OrganizationRun>) {
    let Wired {
        executor,
        sim,
        org_endpoint,
    } = wired;
    let plan = selection::initial_plan(config);
    tracing::info!(
        accounts = config.accounts.len(),
        organizations = config.organizations.len(),
        queries = plan.len(),
        concurrency = config.defaults.concurrency,
        rate_limit = config.defaults.rate_limit,
        "starting run"
    );
    // Discovery feeds the members' queries to the run as their pages
    // arrive; the run ends when both are done.
    let (feed, queries) = QueryFeed::new(plan, &config.defaults.collect);
    // Until every member list is read, the number of queries is not known.
    let listing = Arc::new(std::sync::atomic::AtomicBool::new(
        !config.organizations.is_empty(),
    ));
    let mut progress = Progress::new(feed.planned(), listing.clone(), terminal);
    let discovery = {
        let (exec, config, endpoint) = (&executor, &*config, org_endpoint.as_ref());
        async move {
            let found =
                crate::discover::discover(exec, config, env, endpoint, cancel, Some(&feed)).await;
            let decided = selection::settle(exec, config, &found, &feed, cancel).await;
            drop(feed);
            listing.store(false, Ordering::Release);
            (found, decided)
        }
    };
    let (outcomes, (found, decided)) = tokio::join!(
        executor.run_stream(queries, cancel.clone(), |o| progress.tick(o)),
        discovery
    );
    progress.finish();
    found.tag_configured(&mut config.accounts);
    selection::apply(config, &decided);
    config.accounts.extend(found.accounts);
    // Close every pooled connection before the reports need descriptors.
    drop(executor);
    tokio::task::yield_now().await;
    if let Some(s) = sim {
        let snap = s.handle.counters().snapshot();
        tracing::info!(
            requests = snap.total,
            throttled = snap.throttled,
            signature_failures = snap.signature_failures,
            "simulator: served"
        );
        s.handle.shutdown().await;
    }
    let organizations = found.organizations.iter().map(|o| o.run()).collect();
    (outcomes, organizations)
}

/// The facts of a run the reports print; `complete` unless interrupted or
/// an organization could not be listed.
fn run_info(
    args: &RunArgs,
    config: &Config,
    started_at: chrono::DateTime<chrono::Utc>,
    interrupted: bool,
    organizations: Vec<crate::model::OrganizationRun>,
) -> RunInfo {
    let org_failed = organizations.iter().any(|o| o.error_code.is_some());
    RunInfo {
        started_at,
        finished_at: chrono::Utc::now(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        config_path: args.config.display().to_string(),
        config_digest: config.digest.clone(),
        complete: !interrupted && !org_failed,
        region_scope: config.defaults.region_scope,
        simulated: args.simulate,
        stem: format!(
            "tcss-authorizations-{}",
            started_at.format("%Y%m%dT%H%M%SZ")
        ),
        organizations,
        history: crate::model::HistoryOutcome::Off,
        scope: selection::run_scope(config),
        notifications: Vec::new(),
        collect: config.defaults.collect.clone(),
    }
}

/// The config of a run: loaded, narrowed by `--only` and `--exclude`, with the command
/// line's overrides and the concurrency that fits the open-file limit; and
/// `--out` checked, all before any call.
pub(super) fn run_config(args: &RunArgs) -> anyhow::Result<Config> {
    let mut config = load_config(&args.config)?;
    group_by(args, &mut config)?;
    thresholds(args, &mut config)?;
    config
        .select_with(&args.only, &args.exclude)
        .map_err(usage)?;
    if let Some(c) = args.concurrency {
        config.defaults.concurrency = c as usize;
    }
    config.defaults.concurrency =
        limits::concurrency_for_limit(config.defaults.concurrency, args.simulate);
    if let Some(r) = args.rate_limit {
        config.defaults.rate_limit = r;
    }
    if let Some(t) = args.run_timeout {
        config.defaults.run_timeout_secs = t;
    }
    if !args.collect.is_empty() {
        config.defaults.collect =
            config::collect(&args.collect).map_err(|e| usage(format!("--collect: {e}")))?;
    }
    log_warnings(&config.warnings, &args.config);
    report::check_out_dir(&args.out).map_err(|e| usage(e.to_string()))?;
    Ok(config)
}

/// What writing the reports left for the rest of the run.
pub(super) struct Written {
    /// Whether recording the run in the history failed.
    history_failed: bool,
    /// The report, for the metrics.
    report: report::Report,
    /// The text of the `.prom` report, when the formats have `prom`.
    prom_text: Option<String>,
    /// The files of the set.
    paths: Vec<PathBuf>,
    /// The JSON snapshot, held back while the notifications are sent
    /// (when the run has any).
    held_json: Option<crate::report::publish::HeldJson>,
}

/// Aggregates the outcomes, records the run in the history (once its stem
/// is claimed, so the Run sheet can say where; within `[history]
/// timeout_secs` and until an interrupt, so it never costs the reports; no
/// folder lock is held meanwhile), writes every report, logs `run finished`
/// and lists the files on stdout. Evaluates the thresholds on the report and
/// its comparison first, so every report lists the breaches (logged even when
/// writing fails). The folder work runs on the blocking pool, so `cancel`
/// (SIGINT, SIGTERM) is still heard: it ends a wait for the folder lock,
/// never the writing of the set. Returns how many queries failed, whether
/// recording failed, and the report.
#[allow(clippy::too_many_arguments)]
pub(super) async fn write_reports(
    args: &RunArgs,
    config: &Config,
    outcomes: Vec<QueryOutcome>,
    run_info: RunInfo,
    started: Instant,
    history: Option<&crate::history::recorder::Target>,
    previous: Option<Option<Previous>>,
    cancel: &watch::Receiver<bool>,
) -> anyhow::Result<Written> {
    let (accounts, outcomes) = selection::reported(config, outcomes);
    let queries = outcomes.len();
    let failed = outcomes
        .iter()
        .filter(|o| matches!(o.result, QueryResult::Failed { .. }))
        .count();
    let cancelled = outcomes
        .iter()
        .filter(|o| matches!(o.result, QueryResult::Cancelled))
        .count();
    let failures = summary::failures(&outcomes, &accounts, &run_info.organizations);
    // The rows take the outcomes' strings and free their answers as they
    // are built: the outcomes' memory goes back before the history and the
    // report parts need theirs.
    let aggregate = aggregate::aggregate_outcomes(&accounts, outcomes, run_info);
    let groups = crate::groups::group(&aggregate.accounts, &config.defaults.group_by);
    log_unknown_keys(&groups, &aggregate.tag_keys);
    summary::log_failures(&failures);
    let mut report = assemble(aggregate, groups, previous, config);
    let write_started = Instant::now();
    let context = || format!("writing reports into {}", args.out.display());
    let (out, base, interrupt) = (
        args.out.clone(),
        report.aggregate.run.stem.clone(),
        cancel.clone(),
    );
    let reservation = blocking(move || report::reserve(&out, &base, &|| *interrupt.borrow()))
        .await
        .with_context(context);
    let reservation = reservation.inspect_err(|_| log_breaches(&report.breaches))?;
    report.aggregate.run.stem.clone_from(&reservation.stem);
    let history_started = Instant::now();
    if let Some(target) = history {
        // The HTML's trend: the scope's runs, this one included, read back
        // through the same connection.
        let scope = crate::history::scope::Scope::of(&report.aggregate.run);
        let trend_of = args.formats.contains(&Format::Html).then_some(&scope);
        let recorder = crate::history::recorder::record_with_trend;
        (report.aggregate.run.history, report.trend) =
            recorder(target, &report.aggregate, trend_of).await;
    }
    let history_ms = history_started.elapsed().as_millis() as u64;
    let history_failed = matches!(
        report.aggregate.run.history,
        crate::model::HistoryOutcome::Failed { .. }
    );
    // The exit code as it stands now: only an interrupt or a failure after
    // the reports are written (130, 1) can change it.
    let closing = summary::summary(&report);
    let exit = summary::run_exit(*cancel.borrow(), history_failed, &closing);
    report.exit = Some(report::ExitStatus {
        code: exit as u8,
        meaning: summary::exit_meaning(exit, &closing),
    });
    let metrics = metrics_inputs(&report);
    let (out, formats) = (args.out.clone(), args.formats.clone());
    // With notifications to send, the JSON snapshot waits for their outcomes.
    let hold_json = !report.aggregate.run.notifications.is_empty();
    let (report, written, rendered) = blocking(move || {
        let rendered = std::sync::OnceLock::new();
        let (r, f, m) = (&mut report, &formats, &metrics);
        let written = if hold_json {
            report::write_reserved_holding_json(r, &out, f, m, reservation, &rendered)
        } else {
            report::write_reserved(r, &out, f, m, reservation, &rendered).map(|p| (p, None))
        };
        (report, written, rendered)
    })
    .await;
    let written = written.with_context(context);
    log_breaches(&report.breaches);
    let (paths, held_json) = written?;
    tracing::info!(
        queries,
        failed,
        cancelled,
        seconds = (started.elapsed().as_secs_f64() * 100.0).round() / 100.0,
        report_ms = write_started.elapsed().as_millis() as u64,
        history_ms,
        peak_rss_kib = peak_rss_kib().unwrap_or(0),
        "run finished"
    );
    let mut stdout = std::io::stdout().lock();
    let held = held_json.as_ref().map(|h| h.dest());
    for p in paths.iter().filter(|p| Some(p.as_path()) != held) {
        let _ = writeln!(stdout, "{}", p.display());
    }
    Ok(Written {
        history_failed,
        report,
        prom_text: rendered.into_inner(),
        paths,
        held_json,
    })
}

/// What every report prints, assembled from the stages' results: the
/// run's numbers, their comparison with the earlier run, and the
/// thresholds breached (on both, so every report lists them).
fn assemble(
    aggregate: aggregate::Aggregate,
    groups: crate::groups::Groups,
    previous: Option<Option<Previous>>,
    config: &Config,
) -> report::Report {
    let comparison = comparison(&aggregate, previous);
    // On the numbers, their groups and their comparison, so every report
    // lists them.
    let breaches =
        crate::thresholds::evaluate(&aggregate, &comparison, &groups, &config.defaults.fail_on);
    report::Report {
        aggregate,
        groups,
        comparison,
        breaches,
        trend: Vec::new(),
        exit: None,
        layout: report::Layout {
            csv_bom: config.defaults.csv_bom,
        },
    }
}

/// Runs `f` on tokio's blocking pool, so the runtime's one thread keeps
/// hearing signals meanwhile; a panic in `f` goes on here.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{error_exit, Cli, Command};
    use clap::Parser;

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
