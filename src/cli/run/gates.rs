//! `run --fail-on` and `[defaults] fail_on`: the thresholds parsed and
//! checked before any call, and the breaches logged, grouped by expression
//! (capped).

use crate::config::Config;

use super::super::usage;
use super::compare_with::comparison_asked;
use super::RunArgs;

/// The thresholds of a run: the config's `fail_on`, then `--fail-on`'s,
/// each parsed, `change.*` refused without a comparison and `group.*`
/// without groups (so after [`group_by`]); before any call.
pub(super) fn thresholds(args: &RunArgs, config: &mut Config) -> anyhow::Result<()> {
    for expr in &args.fail_on {
        let t = crate::thresholds::parse(expr, crate::thresholds::Origin::CommandLine)
            .map_err(|e| usage(e.to_string()))?;
        config.defaults.fail_on.push(t);
    }
    crate::thresholds::check_compare(&config.defaults.fail_on, comparison_asked(args))
        .map_err(|e| usage(e.to_string()))?;
    let grouped = !config.defaults.group_by.is_empty();
    crate::thresholds::check_groups(&config.defaults.fail_on, grouped)
        .map_err(|e| usage(e.to_string()))
}

/// The keys the run groups by: `--group-by`'s when given (each checked,
/// each once, at most [`crate::groups::MAX_KEYS`]), else the config's.
pub(super) fn group_by(args: &RunArgs, config: &mut Config) -> anyhow::Result<()> {
    if args.group_by.is_empty() {
        return Ok(());
    }
    let keys =
        crate::config::group_keys(&args.group_by).map_err(|e| usage(format!("--group-by: {e}")))?;
    config.defaults.group_by = keys;
    Ok(())
}

/// A warning for each key the run groups by that no account carries: all
/// its accounts are in its `(untagged)` group (not an error: the tag may
/// come with members discovered another day).
pub(super) fn log_unknown_keys(groups: &crate::groups::Groups, tag_keys: &[String]) {
    for key in &groups.unknown {
        tracing::warn!(
            "group by `{key}`: no account of the run has the tag `{key}`{}; all its accounts \
             are in its {} group",
            crate::suggest::hint(key, tag_keys.iter().map(String::as_str)),
            crate::columns::groups::UNTAGGED,
        );
    }
}

/// How many expressions' breaches are logged one line each; the rest are
/// counted.
pub(super) const BREACHES_SHOWN: usize = 20;

/// One warning per breached expression (its one breach, or its count and
/// the first few accounts: `crate::thresholds::group`), the first
/// [`BREACHES_SHOWN`], then the count of the rest.
pub(super) fn log_breaches(breaches: &[crate::thresholds::Breach]) {
    let groups = crate::thresholds::by_expression(breaches);
    for g in groups.iter().take(BREACHES_SHOWN) {
        tracing::warn!("{g}");
    }
    let rest: usize = groups.iter().skip(BREACHES_SHOWN).map(|g| g.count()).sum();
    if rest > 0 {
        let expressions = groups.len() - BREACHES_SHOWN;
        tracing::warn!(
            "and {rest} more breaches of {expressions} more expressions (every report lists \
             them all)"
        );
    }
}
