//! Organization discovery: the stage between the config and the plan.
//! Each `[[organizations]]` table yields its members, listed completely
//! with the management account's keys ([`list`]) or the organization is an
//! error; the members pass the selectors and become accounts, merged with
//! the configured ones by UIN ([`merge`]) and added to the run.

pub mod list;
pub mod merge;
pub mod show;

use tcapi::credentials::Env;
use tcapi::Endpoint;

use crate::config::Config;
use crate::execute::Executor;
use crate::model::OrganizationRun;
use merge::{Fate, Member};

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

/// Discovers the members of every organization of `config` and adds them
/// to `config.accounts` and to `exec`. `endpoint` overrides each
/// organization's own (the simulator). An interrupt (`cancel`) makes the
/// organizations not listed by then errors (`Cancelled`); those listed
/// before keep their members. Returns one summary per organization.
pub async fn discover(
    exec: &mut Executor,
    config: &mut Config,
    env: &dyn Env,
    endpoint: Option<&Endpoint>,
    cancel: &tokio::sync::watch::Receiver<bool>,
) -> Vec<OrgSummary> {
    if config.organizations.is_empty() {
        return Vec::new();
    }
    let mut stop = cancel.clone();
    let uins = tokio::select! {
        biased;
        _ = stop.wait_for(|c| *c) => config.accounts.iter().map(|a| a.uin.clone()).collect(),
        uins = known_uins(exec, config) => uins,
    };
    let mut out = Vec::new();
    for org in config.organizations.clone() {
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
                    out.push(failed(
                        &org.name,
                        management_account,
                        "InvalidEndpoint",
                        e.to_string(),
                    ));
                    continue;
                }
            },
        };
        let listing = match list::list(exec, org.management, endpoint, cancel).await {
            Ok(l) => l,
            Err(f) => {
                tracing::warn!(organization = %org.name, code = %f.code, "the member list could not be read: {}", f.message);
                out.push(failed(&org.name, management_account, &f.code, f.message));
                continue;
            }
        };
        let uin_of = |i: usize| uins.get(i).cloned().flatten();
        let merged = merge::merge(&org, &listing.members, &config.accounts, &uin_of);
        tracing::info!(
            organization = %org.name,
            total = listing.total,
            kept = merged.accounts.len(),
            "organization members listed"
        );
        exec.add_accounts(&merged.accounts, env);
        config.accounts.extend(merged.accounts.iter().cloned());
        out.push(OrgSummary {
            name: org.name.clone(),
            management_account,
            members_total: Some(listing.total),
            members_listed: listing.members.len(),
            members_kept: merged.accounts.len(),
            error: None,
            fates: merged.fates,
        });
    }
    out
}

fn failed(name: &str, management_account: String, code: &str, message: String) -> OrgSummary {
    OrgSummary {
        name: name.to_string(),
        management_account,
        members_total: None,
        members_listed: 0,
        members_kept: 0,
        error: Some((code.to_string(), message)),
        fates: Vec::new(),
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
