//! Organization discovery: the stage between the config and the plan.
//! Each `[[organizations]]` table yields its members, listed completely
//! with the management account's keys ([`list`]) or the organization is an
//! error; the members pass the selectors (the organization's, then the
//! run's `--only`/`--exclude`) and become accounts, merged with the
//! configured ones by UIN ([`merge`]) and added to the run; a configured
//! account listed as a member gains its `org` and `org_node` tags.

pub mod list;
pub mod merge;
pub mod show;

use std::collections::BTreeMap;

use tcapi::credentials::Env;
use tcapi::Endpoint;

use crate::config::Config;
use crate::execute::{Executor, PageFailure, QueryFeed};
use crate::model::OrganizationRun;
use merge::{Fate, Member, Merged, Merger};

/// What discovery found in one organization (JSON `run.organizations`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgSummary {
    /// The organization's name.
    pub name: String,
    /// The management account's name.
    pub management_account: String,
    /// The API's `Total` (empty when the list could not be read).
    pub members_total: Option<u64>,
    /// Members read.
    pub members_listed: usize,
    /// Members that became accounts of this run.
    pub members_kept: usize,
    /// Why the list could not be read: code and message.
    pub error: Option<(String, String)>,
    /// Every member read and what became of it.
    pub fates: Vec<(Member, Fate)>,
}

impl OrgSummary {
    /// The report's view of it.
    pub fn run(&self) -> OrganizationRun {
        OrganizationRun {
            name: self.name.clone(),
            management_account: self.management_account.clone(),
            members_total: self.members_total,
            members_listed: self.members_listed,
            members_kept: self.members_kept,
            error_code: self.error.as_ref().map(|e| e.0.clone()),
            error_message: self.error.as_ref().map(|e| e.1.clone()),
        }
    }
}

/// What discovery adds to a run.
#[derive(Debug, Clone, Default)]
pub struct Discovered {
    /// The members that became accounts, in the order they were added to
    /// the executor (their indexes follow the configured accounts'), names
    /// settled.
    pub accounts: Vec<crate::config::Account>,
    /// One summary per organization, in config order.
    pub organizations: Vec<OrgSummary>,
    /// The UIN of each configured account, as given or learned with
    /// `GetCallerIdentity` (empty without organizations).
    pub configured_uins: Vec<Option<String>>,
    /// The configured accounts listed as members: the index in the
    /// config's accounts and the tags membership gives it (`org`,
    /// `org_node`), from the first organization that lists it.
    pub member_tags: Vec<(usize, BTreeMap<String, String>)>,
}

impl Discovered {
    /// Gives each configured account listed as a member its `org` and
    /// `org_node` tags; a tag the config sets itself is kept.
    pub fn tag_configured(&self, accounts: &mut [crate::config::Account]) {
        for (i, tags) in &self.member_tags {
            if let Some(a) = accounts.get_mut(*i) {
                for (k, v) in tags {
                    a.tags.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
    }
}

/// Discovers the members of every organization of `config`: each kept
/// member joins `exec` as its page arrives and, with a `feed`, its queries
/// start at once while the rest is read. `endpoint` overrides each
/// organization's own (the simulator). An interrupt (`cancel`) makes the
/// organizations not listed by then errors (`Cancelled`); the members read
/// before stay in the run. The caller appends [`Discovered::accounts`] to
/// the config's accounts once this returns.
pub async fn discover(
    exec: &Executor,
    config: &Config,
    env: &dyn Env,
    endpoint: Option<&Endpoint>,
    cancel: &tokio::sync::watch::Receiver<bool>,
    feed: Option<&QueryFeed>,
) -> Discovered {
    let mut found = Discovered::default();
    if config.organizations.is_empty() {
        return found;
    }
    let mut stop = cancel.clone();
    let mut uins = tokio::select! {
        biased;
        _ = stop.wait_for(|c| *c) => config.accounts.iter().map(|a| a.uin.clone()).collect(),
        uins = known_uins(exec, config) => uins,
    };
    for org in &config.organizations {
        let management_account = config.accounts[org.management].name.clone();
        let own;
        let endpoint = match endpoint {
            Some(e) => e,
            None => match Endpoint::parse(&org.endpoint, config.defaults.allow_insecure_http) {
                Ok(e) => {
                    own = e;
                    &own
                }
                Err(e) => {
                    let f = PageFailure {
                        code: "InvalidEndpoint".into(),
                        message: e.to_string(),
                    };
                    let summary = summary(org, management_account, Err(f), Merged::default());
                    found.organizations.push(summary);
                    continue;
                }
            },
        };
        let existing: Vec<_> = config
            .accounts
            .iter()
            .chain(&found.accounts)
            .cloned()
            .collect();
        let uin_of = |i: usize| uins.get(i).cloned().flatten();
        let mut merger =
            Merger::new(org, &existing, &uin_of).selecting(&config.selection, &config.accounts);
        let first = found.accounts.len();
        let mut on_page = |members: &[Member]| {
            let mut added = Vec::new();
            for m in members {
                if let Some(account) = merger.push(m) {
                    let index = exec.add_account(account, env);
                    added.push((index, account.regions.clone()));
                }
            }
            if let Some(feed) = feed {
                let batch: Vec<(usize, &[String])> =
                    added.iter().map(|(i, r)| (*i, r.as_slice())).collect();
                feed.add(&batch);
            }
        };
        let listing = list::list(exec, org.management, endpoint, cancel, &mut on_page).await;
        let merged = merger.finish();
        debug_assert_eq!(
            config.accounts.len() + first,
            exec.account_count() - merged.accounts.len()
        );
        uins.extend(merged.accounts.iter().map(|a| a.uin.clone()));
        for (i, m) in &merged.known {
            let configured = *i < config.accounts.len();
            if configured && !found.member_tags.iter().any(|(k, _)| k == i) {
                found.member_tags.push((*i, merge::org_tags(org, m)));
            }
        }
        found.accounts.extend(merged.accounts.iter().cloned());
        found
            .organizations
            .push(summary(org, management_account, listing, merged));
    }
    uins.truncate(config.accounts.len());
    found.configured_uins = uins;
    found
}

/// An organization's summary: its counts (also those read before a
/// failure) and its error, logged.
fn summary(
    org: &crate::config::Organization,
    management_account: String,
    listing: Result<list::Listing, PageFailure>,
    merged: Merged,
) -> OrgSummary {
    let (members_total, error) = match listing {
        Ok(l) => {
            tracing::info!(
                organization = %org.name,
                total = l.total,
                kept = merged.accounts.len(),
                "organization members listed"
            );
            (Some(l.total), None)
        }
        Err(f) => {
            tracing::warn!(organization = %org.name, code = %f.code, "the member list could not be read: {}", f.message);
            (None, Some((f.code, f.message)))
        }
    };
    OrgSummary {
        name: org.name.clone(),
        management_account,
        members_total,
        members_listed: merged.fates.len(),
        members_kept: merged.accounts.len(),
        error,
        fates: merged.fates,
    }
}

/// The UIN of every configured account: from the config or a role ARN, or
/// learned with `GetCallerIdentity` (which the run would ask anyway), so
/// that configured accounts and members meet on the UIN.
async fn known_uins(exec: &Executor, config: &Config) -> Vec<Option<String>> {
    let lookups = config
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| exec.account_uin(i, a.uin.as_deref()));
    futures::future::join_all(lookups).await
}
