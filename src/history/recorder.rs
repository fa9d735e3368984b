//! A run and its history: which database it is recorded in (`--no-history`,
//! `--history`, `[history] database`, else `<out>/history.sqlite`), the
//! PostgreSQL password (the variable `[history] password_env` names, else
//! `PGPASSWORD`), recording a report into it with the outcome the reports
//! show, and the read-only lookups of one scope (`--compare last`, the
//! `history` command's trends). Decided before any call, recorded before publishing;
//! each operation bounded by `[history] timeout_secs` and the interrupt.

use std::path::Path;
use std::time::Duration;

use tcapi::credentials::Env;

use chrono::{DateTime, Utc};

use super::scope::Scope;
use super::trends::Trends;
use super::{bounded, HistoryError, Location, LocationError, OpenOptions, Store, DEFAULT_FILE};
use crate::aggregate::Aggregate;
use crate::columns::Cell;
use crate::compare::Previous;
use crate::config::history::HistorySettings;
use crate::model::HistoryOutcome;

/// The variable libpq and psql read the password from.
pub const PGPASSWORD: &str = "PGPASSWORD";

/// Where a run (or the `history` command) finds its history, and how to open it.
#[derive(Debug, Clone)]
pub struct Target {
    /// The database.
    pub location: Location,
    /// How to open it.
    pub options: OpenOptions,
}

/// The history of a command: `arg` (`--history`, relative to the current
/// folder) wins over the config's `[history] database` (in `settings`),
/// which wins over `<out>/history.sqlite`; PostgreSQL's TLS also trusts
/// `ca_file` (`[defaults] ca_file`). Fails when `password_env` names an
/// unset variable.
pub fn target(
    arg: Option<&str>,
    settings: &HistorySettings,
    ca_file: Option<&Path>,
    out: &Path,
    env: &dyn Env,
) -> Result<Target, HistoryError> {
    let location = match arg {
        Some(a) => Location::parse(a, Path::new(""))?,
        None => match &settings.database {
            Some(l) => l.clone(),
            None => Location::Sqlite(out.join(DEFAULT_FILE)),
        },
    };
    let password = match (&location, &settings.password_env) {
        (Location::Sqlite(_), _) => None,
        (Location::Postgres(_), Some(var)) => {
            Some(env.var(var).ok_or_else(|| LocationError::Invalid {
                value: location.to_string(),
                reason: format!(
                    "[history] password_env names `{var}`, which is not set; set it, or remove \
                     password_env to use PGPASSWORD"
                ),
            })?)
        }
        (Location::Postgres(_), None) => env.var(PGPASSWORD),
    };
    Ok(Target {
        location,
        options: OpenOptions {
            password,
            timeout: Duration::from_secs(settings.timeout_secs),
            ca_files: ca_file.iter().map(|p| p.to_path_buf()).collect(),
            cancel: None,
        },
    })
}

impl Target {
    /// This target, its operations ended by `cancel` turning true.
    pub fn interruptible(mut self, cancel: &tokio::sync::watch::Receiver<bool>) -> Target {
        self.options.cancel = Some(cancel.clone());
        self
    }
}

/// Records `report` at `target`, within its deadline and until an
/// interrupt; a failure (an interrupt included) is logged and returned as
/// the outcome, never raised: the reports are written either way.
#[cfg(test)]
pub async fn record(target: &Target, report: &Aggregate) -> HistoryOutcome {
    record_with_trend(target, report, None).await.0
}

/// [`record`], then, with `trend_of`, the runs of that scope read back
/// through the same connection, oldest first, the run just recorded last
/// (rows of `trends::RUN_TREND_COLUMNS`): the trend of the HTML report. The reading has a deadline of its own, so it can never
/// turn a recorded run into a failed one; its failure is logged and leaves
/// the trend empty.
pub async fn record_with_trend(
    target: &Target,
    report: &Aggregate,
    trend_of: Option<&Scope>,
) -> (HistoryOutcome, Vec<Vec<Cell<'static>>>) {
    let location = target.location.to_string();
    let result = bounded(&target.location, &target.options, async {
        let mut store = Store::open(&target.location, &target.options).await?;
        let run_id = store.record(report).await?;
        Ok((store, run_id))
    })
    .await;
    match result {
        Ok((store, run_id)) => {
            tracing::info!(history = %location, run_id, "run recorded in the history");
            let trend = match trend_of {
                Some(scope) => trend(target, &store, scope).await,
                None => Vec::new(),
            };
            (HistoryOutcome::Recorded { location, run_id }, trend)
        }
        Err(e) => {
            tracing::error!("{e}; the reports are written, the run is not in the history");
            let failed = HistoryOutcome::Failed {
                location,
                error: e.to_string(),
            };
            (failed, Vec::new())
        }
    }
}

/// The runs of `scope` in `store`, oldest first, as the HTML report's
/// trend draws them, within the deadline and until an interrupt; a
/// failure is logged and gives no trend.
async fn trend(target: &Target, store: &Store, scope: &Scope) -> Vec<Vec<Cell<'static>>> {
    match bounded(&target.location, &target.options, store.runs_of(scope)).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!("{e}; the HTML report shows no trend");
            Vec::new()
        }
    }
}

/// The latest run of `scope` at `target` that `--compare last` may
/// compare with (complete, a query answered), read only, within its
/// deadline and until an interrupt: `None` when there is none (or nothing
/// was recorded there yet).
pub async fn previous(target: &Target, scope: &Scope) -> Result<Option<Previous>, HistoryError> {
    bounded(&target.location, &target.options, async {
        match Store::open_read_only(&target.location, &target.options).await? {
            Some(store) => store.previous_complete_run(i64::MAX, scope).await,
            None => Ok(None),
        }
    })
    .await
}

/// The trends of the runs of `scope` (every scope: `None`) at `target`
/// started since `since` (the `history` command), with each run's groups
/// by `group_by` when given, read only, within its deadline and until an
/// interrupt: `None` when nothing was recorded there yet.
pub async fn trends(
    target: &Target,
    since: Option<DateTime<Utc>>,
    scope: Option<&Scope>,
    group_by: &[String],
) -> Result<Option<Trends>, HistoryError> {
    bounded(&target.location, &target.options, async {
        let Some(store) = Store::open_read_only(&target.location, &target.options).await? else {
            return Ok(None);
        };
        let mut trends = store.trends(since, scope).await?;
        if !group_by.is_empty() {
            trends.groups = store.group_trends(&trends.runs, group_by).await?;
            trends.group_by = group_by.to_vec();
        }
        Ok(Some(trends))
    })
    .await
}
