//! Where a run's results go besides the report set, checked before any
//! call: the history database (`--history`, `--no-history`) and the
//! metrics (`--metrics-file`, `--pushgateway`).

use std::time::Duration;

use tcapi::credentials::Env;

use crate::config::Config;
use crate::redact::Redactor;
use crate::report;

use super::super::usage;
use super::RunArgs;

/// Where the metrics go besides the report set (`--metrics-file`,
/// `--pushgateway` or `[defaults] pushgateway`), checked before any call.
/// The Pushgateway URL's user and password join the secrets never logged.
pub(super) fn metrics_targets(
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
        // A device, a FIFO, a socket...: never replaced (`/dev/null` as root).
        crate::metrics::file::check_target(file).map_err(|e| usage(e.to_string()))?;
    }
    let gateway = match &args.pushgateway {
        Some(text) => Some(
            crate::config::pushgateway::parse_url(text)
                .map_err(|e| usage(format!("--pushgateway: {e}")))?,
        ),
        None => config.defaults.pushgateway.clone(),
    };
    let push = gateway.map(|url| {
        // A simulated run and a subset each have a group of their own.
        let group = crate::metrics::push::Group {
            config: args
                .config
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            simulated: args.simulate,
            selection: config.selection.canonical(),
        };
        let gateway = crate::metrics::Pushgateway::new(
            &url,
            &group,
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

/// What the metrics need beyond the report: the thresholds breached and
/// the log lines stderr did not take so far.
pub(super) fn metrics_inputs(report: &report::Report) -> report::prom::Inputs {
    report::prom::Inputs {
        breaches: report.breaches.len(),
        log_lines_dropped: crate::logging::lines_dropped(),
    }
}

/// Where the run is recorded (`None` with `--no-history`); a bad
/// `--history` or an unset `password_env` variable is bad usage. The
/// PostgreSQL password joins the redacted secrets.
pub(super) fn history_target(
    args: &RunArgs,
    config: &Config,
    env: &dyn Env,
    redactor: &Redactor,
) -> anyhow::Result<Option<crate::history::recorder::Target>> {
    if args.no_history {
        return Ok(None);
    }
    let target = crate::history::recorder::target(
        args.history.as_deref(),
        &config.history,
        config.defaults.ca_file.as_deref(),
        &args.out,
        env,
    )
    .map_err(|e| usage(e.to_string()))?;
    if let Some(p) = &target.options.password {
        redactor.add(p);
    }
    Ok(Some(target))
}
