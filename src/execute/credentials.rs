//! The credentials of a run: static keys resolved once per account when the
//! run is prepared, role credentials assumed once per role account (shared by
//! its regions, refreshed before expiry, dropped when the API rejects them),
//! and the account's UIN learned with `GetCallerIdentity` when the config
//! lacks it.
//!
//! A role account names a source account whose credentials sign its
//! `AssumeRole`; the source may itself be a role account (the config refuses
//! cycles). [`Executor::credentials`] reads an account's credentials;
//! on a cache miss [`Executor::assume`] first reads the source's (the one
//! place the chain recurses) and then calls STS. Every secret resolved or
//! issued is registered in the run's redactor before it is used.

use std::collections::HashMap;
use std::sync::OnceLock;

use futures::future::BoxFuture;
use tcapi::credentials::{CredentialError, Env, RoleCredentialsCache};
use tcapi::{sts, Credentials};

use super::pacing::{Action, KeyPacer, Tally};
use super::Executor;
use crate::config::{Account, CredentialSpec};
use crate::redact::Redactor;
use crate::sanitize;

/// A failure before or instead of the TCSS call (credentials, AssumeRole).
#[derive(Debug, Clone)]
pub(super) struct CredFailure {
    pub(super) code: String,
    pub(super) message: String,
}

impl CredFailure {
    /// How static credentials that could not be read are reported: the
    /// error, and where they were looked for (`source`) unless the error
    /// already names it (the default chain lists every place it looked, a
    /// file error names its file).
    fn from_static_error(e: &CredentialError, source: &str) -> CredFailure {
        let names_its_source = matches!(
            e,
            CredentialError::NoCredentials { .. }
                | CredentialError::ProfileNotFound { .. }
                | CredentialError::ProfileUnreadable { .. }
                | CredentialError::ProfileInvalid { .. }
                | CredentialError::IniFileNotFound { .. }
                | CredentialError::IniSectionNotFound { .. }
                | CredentialError::IniSyntax { .. }
        );
        CredFailure {
            code: "CredentialError".into(),
            message: if names_its_source {
                e.to_string()
            } else {
                format!("{e} ({source})")
            },
        }
    }

    /// How a failed role lookup is reported: an `AssumeRole` answer keeps
    /// the server's code; anything else is a `CredentialError`.
    fn from_role_error(e: &CredentialError) -> CredFailure {
        match e {
            // Its text already says `AssumeRole <role> failed: <code>: ...`.
            CredentialError::AssumeRole { code, .. } => CredFailure {
                code: code.clone(),
                message: e.to_string(),
            },
            other => CredFailure {
                code: "CredentialError".into(),
                message: other.to_string(),
            },
        }
    }
}

/// A failed `AssumeRole` of `role_arn`: the error's code, and its text
/// without that code in front (an API error's text starts with it; the
/// [`CredentialError::AssumeRole`] text puts it there once).
fn assume_role_error(role_arn: &str, error: &tcapi::Error) -> CredentialError {
    let code = error.code();
    let text = error.to_string();
    let message = text
        .strip_prefix(&code)
        .and_then(|t| t.strip_prefix(": "))
        .unwrap_or(&text)
        .to_string();
    CredentialError::AssumeRole {
        role_arn: role_arn.to_string(),
        code,
        message,
    }
}

/// A role account: its role, whose credentials sign the `AssumeRole`, and
/// what was learned so far.
#[derive(Debug)]
struct Role {
    arn: String,
    /// The account whose credentials sign the `AssumeRole`.
    source: usize,
    /// Single-flight: the regions of the account share one `AssumeRole`.
    cache: Box<RoleCredentialsCache>,
    /// A failed AssumeRole is not tried again for the account's other regions.
    failed: OnceLock<CredFailure>,
}

#[derive(Debug)]
enum AccountCreds {
    Static(Result<Credentials, CredFailure>),
    Role(Role),
}

/// One account's credentials and UIN, as far as the run knows them.
#[derive(Debug)]
pub(super) struct AccountState {
    creds: AccountCreds,
    uin: tokio::sync::OnceCell<Option<String>>,
    /// The config gives the UIN: `GetCallerIdentity` is not needed.
    pub(super) known_uin: bool,
}

impl AccountState {
    /// Resolves an account's static credentials now (environment, files),
    /// or `override_creds` where given (the simulator's demo keys), and
    /// registers them with `redactor`. Role accounts start with an empty
    /// cache.
    pub(super) fn new(
        account: &Account,
        override_creds: Option<&Credentials>,
        env: &dyn Env,
        redactor: &Redactor,
    ) -> AccountState {
        let creds = match (&account.credentials, override_creds) {
            (CredentialSpec::Role { arn, source }, _) => AccountCreds::Role(Role {
                arn: arn.to_string(),
                source: *source,
                cache: Box::new(RoleCredentialsCache::new()),
                failed: OnceLock::new(),
            }),
            (_, Some(c)) => AccountCreds::Static(Ok(c.clone())),
            (
                CredentialSpec::Inline {
                    secret_id,
                    secret_key,
                },
                None,
            ) => AccountCreds::Static(Ok(Credentials::new(secret_id.clone(), secret_key.clone()))),
            (CredentialSpec::Static(source), None) => AccountCreds::Static(
                source
                    .resolve(env)
                    .map_err(|e| CredFailure::from_static_error(&e, &source.describe())),
            ),
        };
        if let AccountCreds::Static(Ok(c)) = &creds {
            redactor.add_credentials(c);
        }
        AccountState {
            creds,
            uin: tokio::sync::OnceCell::new(),
            known_uin: account.uin.is_some(),
        }
    }
}

/// Every account of a run, by config index.
pub(super) fn prepare(
    accounts: &[Account],
    env: &dyn Env,
    overrides: &HashMap<usize, Credentials>,
    redactor: &Redactor,
) -> boxcar::Vec<AccountState> {
    accounts
        .iter()
        .enumerate()
        .map(|(i, a)| AccountState::new(a, overrides.get(&i), env, redactor))
        .collect()
}

impl Executor {
    /// Credentials for an account: static ones as resolved, role ones from
    /// the cache (assumed with the source account's credentials when missing
    /// or within five minutes of expiry). A role that could not be assumed
    /// fails the same way for every later caller.
    ///
    /// Boxed because a role's source may be a role account too: this is
    /// where the chain recurses (through [`Executor::assume`]).
    pub(super) fn credentials<'a>(
        &'a self,
        account: usize,
        tally: &'a Tally,
    ) -> BoxFuture<'a, Result<Credentials, CredFailure>> {
        Box::pin(async move {
            let role = match &self.accounts[account].creds {
                AccountCreds::Static(r) => return r.clone(),
                AccountCreds::Role(role) => role,
            };
            if let Some(f) = role.failed.get() {
                return Err(f.clone());
            }
            let now = self.opts.client.server_now();
            let result = role.cache.get(now, || self.assume(role, tally)).await;
            result.map_err(|e| {
                let f = CredFailure::from_role_error(&e);
                let _ = role.failed.set(f.clone());
                f
            })
        })
    }

    /// Assumes `role` (the cache missed): reads the source account's
    /// credentials, calls `AssumeRole` paced on the source account's STS
    /// key, and registers the temporary keys with the redactor before anyone
    /// can use them.
    async fn assume(&self, role: &Role, tally: &Tally) -> Result<Credentials, CredentialError> {
        let source_creds = self.credentials(role.source, tally).await.map_err(|f| {
            CredentialError::AssumeRole {
                role_arn: role.arn.clone(),
                code: f.code,
                message: format!(
                    "source account `{}` has no credentials: {}",
                    self.names[role.source], f.message
                ),
            }
        })?;
        let req = sts::AssumeRoleRequest {
            role_arn: role.arn.clone(),
            role_session_name: self.opts.role_session_name.clone(),
            duration_seconds: Some(self.opts.role_duration_secs),
            policy: None,
        };
        let pacer = KeyPacer {
            limits: &self.limits,
            key: (role.source, Action::Sts),
            tally,
        };
        let answer = sts::assume_role(
            &self.opts.client,
            &self.opts.sts_endpoint,
            &self.opts.sts_region,
            &source_creds,
            &req,
            &pacer,
        )
        .await;
        match answer {
            Ok(a) => {
                let creds = a.data.into_credentials();
                self.opts.redactor.add_credentials(&creds);
                Ok(creds)
            }
            Err(f) => Err(assume_role_error(&role.arn, &f.error)),
        }
    }

    /// The role ARN of a role account (empty for others), for messages.
    pub(super) fn role_arn(&self, account: usize) -> String {
        match &self.accounts[account].creds {
            AccountCreds::Role(role) => role.arn.clone(),
            AccountCreds::Static(_) => String::new(),
        }
    }

    /// After the API rejected the temporary keys `rejected` of a role
    /// account: drops them from the cache unless a replacement is already
    /// there (all of them when `rejected` is `None`), so the next use
    /// assumes the role again. False for accounts with static keys (nothing
    /// to refresh).
    pub(super) async fn forget_role_credentials(
        &self,
        account: usize,
        rejected: Option<&str>,
    ) -> bool {
        let AccountCreds::Role(role) = &self.accounts[account].creds else {
            return false;
        };
        let dropped = match rejected {
            Some(id) => role.cache.invalidate_if_current(id).await,
            None => {
                role.cache.invalidate().await;
                true
            }
        };
        tracing::debug!(
            account = %self.names[account],
            dropped,
            "temporary credentials rejected: using new ones"
        );
        true
    }

    /// The account's UIN from `GetCallerIdentity`, asked once per account
    /// when the config does not give it. Failures only cost the column.
    pub(super) async fn uin(&self, account: usize, creds: &Credentials) -> Option<String> {
        let state = &self.accounts[account];
        if state.known_uin || !self.opts.discover_uin {
            return None;
        }
        state
            .uin
            .get_or_init(|| self.caller_identity(account, creds))
            .await
            .clone()
    }

    /// One `GetCallerIdentity`, paced on the account's STS key.
    async fn caller_identity(&self, account: usize, creds: &Credentials) -> Option<String> {
        let tally = Tally::default();
        let pacer = KeyPacer {
            limits: &self.limits,
            key: (account, Action::Sts),
            tally: &tally,
        };
        let answer = sts::get_caller_identity(
            &self.opts.client,
            &self.opts.sts_endpoint,
            &self.opts.sts_region,
            creds,
            &pacer,
        )
        .await;
        self.limits.backoff_ended(&tally);
        match answer {
            Ok(a) => a.data.account_id,
            Err(f) => {
                let code = f.error.code();
                let code = sanitize::clean(&code, sanitize::MAX_CODE_CHARS);
                tracing::warn!(
                    account = %self.names[account],
                    code = %self.opts.redactor.redact(&code),
                    "GetCallerIdentity failed; the uin column stays empty"
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "qcs::cam::uin/200000000009:roleName/Audit";

    #[test]
    fn a_refused_assume_role_says_so_once_with_its_code_once() {
        let api = tcapi::Error::Api {
            code: "AuthFailure.UnauthorizedOperation".into(),
            message: "the role does not trust 100000000001".into(),
            request_id: "req-1".into(),
        };
        let f = CredFailure::from_role_error(&assume_role_error(ARN, &api));
        assert_eq!(f.code, "AuthFailure.UnauthorizedOperation");
        assert_eq!(
            f.message,
            "AssumeRole qcs::cam::uin/200000000009:roleName/Audit failed: \
             AuthFailure.UnauthorizedOperation: the role does not trust 100000000001 \
             (RequestId req-1)"
        );
        // A transport error has no code in its text: the code goes in front.
        let refused = tcapi::Error::ConnectionRefused {
            url: "https://sts.example".into(),
            proxy: None,
        };
        let f = CredFailure::from_role_error(&assume_role_error(ARN, &refused));
        assert_eq!(f.code, "ConnectionRefused");
        assert!(
            f.message.starts_with(
                "AssumeRole qcs::cam::uin/200000000009:roleName/Audit failed: ConnectionRefused: \
                 the connection to https://sts.example was refused"
            ),
            "{}",
            f.message
        );
        assert_eq!(f.message.matches("AssumeRole").count(), 1, "{}", f.message);
    }

    #[test]
    fn missing_static_credentials_name_each_place_once() {
        let chain = tcapi::credentials::Source::DefaultChain;
        let home = tempfile::tempdir().unwrap();
        let env = tcapi::credentials::MapEnv::new().with_home(home.path());
        let e = chain.resolve(&env).unwrap_err();
        let f = CredFailure::from_static_error(&e, &chain.describe());
        assert_eq!(f.code, "CredentialError");
        assert!(
            f.message.starts_with("no credentials found; looked in: "),
            "{}",
            f.message
        );
        assert_eq!(
            f.message.matches("TENCENTCLOUD_SECRET_ID").count(),
            1,
            "{}",
            f.message
        );
        // A missing variable: the pair it belongs to is added.
        let e = CredentialError::MissingEnv {
            name: "LEGACY_ID".into(),
        };
        let f = CredFailure::from_static_error(&e, "env LEGACY_ID/LEGACY_KEY");
        assert_eq!(
            f.message,
            "environment variable LEGACY_ID is not set or empty (env LEGACY_ID/LEGACY_KEY)"
        );
    }
}
