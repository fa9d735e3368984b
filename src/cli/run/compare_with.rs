//! `run --compare`: the earlier run (a snapshot file, or the latest earlier
//! run of the same scope in the history database that is complete and had
//! a query answered), read before any call, and the comparison (or the
//! note that there is nothing to compare with) put in the report.

use std::path::PathBuf;

use crate::aggregate;
use crate::compare::{self, Previous};

use super::super::{usage, Exit, ExitError};
use super::RunArgs;
use crate::compare::Comparison;

/// What `run --compare` compares with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompareWith {
    /// The latest earlier complete run of the same scope in the history
    /// database (in which a query answered).
    Last,
    /// A JSON snapshot written by an earlier run.
    File(PathBuf),
}

pub(super) fn parse_compare(s: &str) -> Result<CompareWith, String> {
    match s {
        "" => Err("expected `last` or the path of a snapshot (<stem>.json)".into()),
        "last" => Ok(CompareWith::Last),
        path => Ok(CompareWith::File(PathBuf::from(path))),
    }
}

/// Whether the run compares with an earlier one: `change.*` thresholds need it.
pub(super) fn comparison_asked(args: &RunArgs) -> bool {
    args.compare.is_some()
}

/// The earlier run `--compare` names, read before any call (a bad snapshot
/// is a usage error): `None` without `--compare`, `Some(None)` when there
/// is nothing to compare with.
pub(super) async fn previous_run(
    args: &RunArgs,
    history: Option<&crate::history::recorder::Target>,
    scope: &crate::history::scope::Scope,
) -> anyhow::Result<Option<Option<Previous>>> {
    match &args.compare {
        None => Ok(None),
        Some(CompareWith::Last) => previous_from_history(history, scope).await.map(Some),
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

/// `--compare last`: the latest run of `scope` in the history database
/// this run records into that is complete and had a query answered
/// (`history::Store::previous_complete_run`), `None` when there is none
/// (no database yet, or no such run). Read before any call, read-only,
/// within `[history] timeout_secs`: `--no-history` is bad usage, an
/// unreadable database fatal, an interrupt 130.
pub(super) async fn previous_from_history(
    history: Option<&crate::history::recorder::Target>,
    scope: &crate::history::scope::Scope,
) -> anyhow::Result<Option<Previous>> {
    let Some(target) = history else {
        return Err(usage(
            "`--compare last` needs the history database, and --no-history turns it off; \
             drop --no-history, or compare with an earlier run's snapshot: \
             `--compare reports/<stem>.json`",
        ));
    };
    // Read-only: nothing is created or migrated; bounded and interruptible.
    let previous = crate::history::recorder::previous(target, scope)
        .await
        .map_err(|e| match e {
            crate::history::HistoryError::Interrupted { .. } => ExitError {
                code: Exit::Interrupted,
                message: format!("`--compare last`: {e}; nothing was queried"),
            }
            .into(),
            e => anyhow::Error::new(e).context("`--compare last`: reading the history database"),
        })?;
    if let Some(p) = &previous {
        tracing::info!(
            previous_run = %p.run,
            accounts = p.accounts.len(),
            history = %target.location,
            scope = %scope.label(),
            "comparing with the latest complete run of this scope in the history"
        );
    }
    Ok(previous)
}

/// The comparison of the run's accounts with the earlier run (or, with
/// nothing to compare with, the note), said in the log.
pub(super) fn comparison(
    aggregate: &aggregate::Aggregate,
    previous: Option<Option<Previous>>,
) -> Comparison {
    match previous {
        None => Comparison::NotAsked,
        Some(None) => {
            tracing::info!("nothing to compare with: {}", compare::NO_PREVIOUS_RUN);
            Comparison::NoPrevious(compare::NO_PREVIOUS_RUN.to_string())
        }
        Some(Some(p)) => {
            let c = compare::compare(&aggregate.accounts, &aggregate.totals, &p);
            tracing::info!(
                previous_run = %c.previous_run,
                matched = c.changes.len() - c.new_count(),
                changed = c.movers().len(),
                new = c.new_count(),
                vanished = c.vanished.len(),
                "compared with the earlier run"
            );
            Comparison::With(c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

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
        let report = crate::test_support::sample_report();
        let agg = &report.aggregate;
        assert_eq!(comparison(agg, None), Comparison::NotAsked);
        assert_eq!(
            comparison(agg, Some(None)),
            Comparison::NoPrevious(compare::NO_PREVIOUS_RUN.into())
        );
        let previous = Previous {
            run: "earlier".into(),
            generated_at: agg.generated_at,
            accounts: Vec::new(),
            totals: Vec::new(),
        };
        let Comparison::With(c) = comparison(agg, Some(Some(previous))) else {
            panic!("compared")
        };
        assert_eq!(c.previous_run, "earlier");
        assert_eq!(c.new_count(), agg.accounts.len());
    }
}
