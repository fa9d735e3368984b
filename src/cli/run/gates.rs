//! `run --fail-on` and `[defaults] fail_on`: the thresholds parsed and
//! checked before any call, and the breaches logged, grouped by expression
//! (capped).

use crate::config::Config;

use super::super::usage;
use super::compare_with::comparison_asked;
use super::RunArgs;

/// The thresholds of a run: the config's `fail_on`, then `--fail-on`'s,
/// each parsed, and `change.*` refused without a comparison; before any call.
pub(super) fn thresholds(args: &RunArgs, config: &mut Config) -> anyhow::Result<()> {
    for expr in &args.fail_on {
        let t = crate::thresholds::parse(expr, crate::thresholds::Origin::CommandLine)
            .map_err(|e| usage(e.to_string()))?;
        config.defaults.fail_on.push(t);
    }
    crate::thresholds::check_compare(&config.defaults.fail_on, comparison_asked(args))
        .map_err(|e| usage(e.to_string()))
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
