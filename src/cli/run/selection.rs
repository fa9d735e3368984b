//! `run --only`/`--exclude` through the run, and the run's scope: the
//! plan of the configured accounts selected before any call; those whose
//! choice waited for discovery (their UIN, the `org`/`org_node` tags they
//! gain as members), decided and queried once it is done; the accounts
//! the reports show (the selected ones: a role's source or a management
//! account kept only for its credentials is neither queried nor
//! reported); and the scope the history matches runs on.

use tokio::sync::watch;

use crate::config::Config;
use crate::execute::{Executor, QueryFeed};
use crate::model::{AccountInfo, QueryOutcome};
use crate::plan;

use super::RunArgs;
use crate::config::selection::{RunSelector, View};
use crate::config::Picked;
use crate::discover::Discovered;
use crate::history::scope::Scope;
use crate::model::RunScope;

/// The plan of the configured accounts selected before discovery.
pub(super) fn initial_plan(config: &Config) -> Vec<plan::Query> {
    let mut planned = plan::plan(&config.accounts, &config.defaults.collect);
    planned.retain(|q| config.picked.get(q.account_index) == Some(&Picked::Yes));
    for (id, q) in planned.iter_mut().enumerate() {
        q.id = id;
    }
    planned
}

/// Once discovery is done: decides each configured account whose choice
/// waited ([`Picked::Later`]) with its UIN (as configured, learned by
/// discovery, or asked with `GetCallerIdentity` when a `uin:` selector
/// needs it, unless the run was interrupted) and the tags it gained as a
/// member, and feeds the queries of those selected. Returns the decisions
/// (account index, selected).
pub(super) async fn settle(
    exec: &Executor,
    config: &Config,
    found: &Discovered,
    feed: &QueryFeed,
    cancel: &watch::Receiver<bool>,
) -> Vec<(usize, bool)> {
    let by_uin = !*cancel.borrow()
        && config
            .selection
            .only
            .iter()
            .chain(&config.selection.exclude)
            .any(|s| matches!(s, RunSelector::Uin(_)));
    let mut decided = Vec::new();
    for (i, picked) in config.picked.iter().enumerate() {
        if *picked != Picked::Later {
            continue;
        }
        let a = &config.accounts[i];
        let mut uin = a
            .uin
            .clone()
            .or_else(|| found.configured_uins.get(i).cloned().flatten());
        if uin.is_none() && by_uin && !*cancel.borrow() {
            uin = exec.account_uin(i, None).await;
        }
        let mut tags = a.tags.clone();
        for (_, member) in found.member_tags.iter().filter(|(k, _)| *k == i) {
            for (k, v) in member {
                tags.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        let view = View {
            names: &[a.name.as_str()],
            uin: uin.as_deref(),
            tags: &tags,
        };
        let selected = config.selection.selects(&view);
        if selected {
            feed.add(&[(i, a.regions.as_slice())]);
        }
        decided.push((i, selected));
    }
    decided
}

/// Records the decisions [`settle`] made; one not made (an interrupt
/// came first) leaves the account out.
pub(super) fn apply(config: &mut Config, decided: &[(usize, bool)]) {
    for p in config.picked.iter_mut().filter(|p| **p == Picked::Later) {
        *p = Picked::No;
    }
    for (i, selected) in decided {
        if let Some(p) = config.picked.get_mut(*i) {
            *p = if *selected { Picked::Yes } else { Picked::No };
        }
    }
}

/// The accounts the reports show (the selected configured accounts and
/// every discovered member, in the run's order) and the outcomes, their
/// account indexes into that list.
pub(super) fn reported(
    config: &Config,
    outcomes: Vec<QueryOutcome>,
) -> (Vec<AccountInfo>, Vec<QueryOutcome>) {
    let shown = |i: usize| config.picked.get(i).is_none_or(|p| *p == Picked::Yes);
    let mut index = vec![None; config.accounts.len()];
    let mut accounts = Vec::with_capacity(config.accounts.len());
    for (i, a) in config.accounts.iter().enumerate() {
        if shown(i) {
            index[i] = Some(accounts.len());
            accounts.push(a.info());
        }
    }
    let outcomes = outcomes
        .into_iter()
        .filter_map(|mut o| {
            o.account_index = index.get(o.account_index).copied().flatten()?;
            Some(o)
        })
        .collect();
    (accounts, outcomes)
}

/// What the run covers, for the reports and the history.
pub(super) fn run_scope(config: &Config) -> RunScope {
    RunScope {
        history_key: config.history_key(),
        selection: config.selection.canonical(),
    }
}

/// The scope `--compare last` looks for.
pub(super) fn scope(args: &RunArgs, config: &Config) -> Scope {
    let run = run_scope(config);
    Scope {
        history_key: run.history_key,
        config_path: args.config.display().to_string(),
        selection: run.selection,
        simulated: args.simulate,
    }
}
