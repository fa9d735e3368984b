//! The organization calls of a run: one page of an organization's members,
//! listed with the management account's credentials and paced on its own
//! key (management account, `DescribeOrganizationMembers`) at the API's 20
//! requests per second; the UIN of a configured account, learned once; and
//! the discovered members joining the run's accounts.

use tcapi::credentials::Env;
use tcapi::organization::{self, MembersPage, MembersRequest};
use tcapi::Endpoint;

use super::credentials::AccountState;
use super::pacing::{Action, KeyPacer, Tally};
use super::Executor;
use crate::config::Account;
use crate::sanitize;

/// Why a page could not be read: the error code and message, cleaned and
/// redacted like any server text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageFailure {
    /// Error code (`UnauthorizedOperation`, `CredentialError`, ...).
    pub code: String,
    /// Message.
    pub message: String,
}

impl Executor {
    /// One page (`offset`, at most `limit` members) of the organization
    /// managed by `account`, retried like any call.
    pub async fn members_page(
        &self,
        account: usize,
        endpoint: &Endpoint,
        offset: u64,
        limit: u32,
    ) -> Result<MembersPage, PageFailure> {
        let tally = Tally::default();
        let creds = self
            .credentials(account, &tally)
            .await
            .map_err(|f| self.page_failure(f.code, f.message))?;
        let pacer = KeyPacer {
            limits: &self.limits,
            key: (account, Action::Organization),
            tally: &tally,
        };
        let req = MembersRequest { offset, limit };
        let answer = organization::describe_organization_members(
            &self.opts.client,
            endpoint,
            &creds,
            &req,
            &pacer,
        )
        .await;
        self.limits.backoff_ended(&tally);
        answer
            .map(|a| a.data)
            .map_err(|f| self.page_failure(f.error.code(), f.error.to_string()))
    }

    fn page_failure(&self, code: String, message: String) -> PageFailure {
        let redactor = &self.opts.redactor;
        PageFailure {
            code: sanitize::clean(&redactor.redact(&code), sanitize::MAX_CODE_CHARS).into_owned(),
            message: sanitize::clean(&redactor.redact(&message), sanitize::MAX_MESSAGE_CHARS)
                .into_owned(),
        }
    }

    /// The UIN of account `account`: `known` (from the config or a role
    /// ARN), else learned with `GetCallerIdentity` (once: the run reuses
    /// it). `None` when its credentials or the call fail.
    pub async fn account_uin(&self, account: usize, known: Option<&str>) -> Option<String> {
        if let Some(u) = known {
            return Some(u.to_string());
        }
        let tally = Tally::default();
        let creds = self.credentials(account, &tally).await.ok()?;
        self.uin(account, &creds).await
    }

    /// Adds a discovered account after those already known (its role
    /// source is one of them), while the run goes on: queries of it may be
    /// started as soon as this returns. Returns its index.
    pub fn add_account(&self, account: &Account, env: &dyn Env) -> usize {
        let state = AccountState::new(account, None, env, &self.opts.redactor);
        // One writer (discovery) adds accounts: the two indexes agree.
        let i = self.accounts.push(state);
        let n = self.names.push(account.name.clone());
        debug_assert_eq!(i, n);
        i
    }

    /// How many accounts the run knows (configured and discovered so far).
    pub fn account_count(&self) -> usize {
        self.accounts.count()
    }
}
