//! The injectable environment ([`Env`], [`ProcessEnv`], [`MapEnv`]) and the two
//! environment-variable providers: variables the config names
//! ([`NamedEnvProvider`]) and the standard `TENCENTCLOUD_*` ones
//! ([`StandardEnvProvider`]).

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use super::{check_value, secret_from, CredentialError, Credentials, Probe, ProvideStatic};

/// The standard SecretId variable.
pub const ENV_SECRET_ID: &str = "TENCENTCLOUD_SECRET_ID";
/// The standard SecretKey variable.
pub const ENV_SECRET_KEY: &str = "TENCENTCLOUD_SECRET_KEY";
/// The standard session token variable (optional).
pub const ENV_TOKEN: &str = "TENCENTCLOUD_TOKEN";

/// What providers may see of the outside world: environment variables and the
/// home folder. Inject a [`MapEnv`] in tests; use [`ProcessEnv`] for real.
pub trait Env: Send + Sync {
    /// The variable's value, `None` when unset (or not valid Unicode).
    fn var(&self, name: &str) -> Option<String>;
    /// The user's home folder, `None` when unknown.
    fn home_dir(&self) -> Option<PathBuf>;
}

/// The real process environment; the home folder is `HOME`, else `USERPROFILE`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        ["HOME", "USERPROFILE"]
            .into_iter()
            .filter_map(std::env::var_os)
            .find(|v| !v.is_empty())
            .map(PathBuf::from)
    }
}

/// An environment held in a map, with an optional home folder: for tests, and
/// for callers that want to control exactly what providers see. Its `Debug`
/// shows variable names only, never values.
#[derive(Clone, Default)]
pub struct MapEnv {
    vars: HashMap<String, String>,
    home: Option<PathBuf>,
}

impl MapEnv {
    /// An empty environment with no home folder.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets a variable.
    pub fn with_var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }
    /// Sets the home folder.
    pub fn with_home(mut self, path: impl Into<PathBuf>) -> Self {
        self.home = Some(path.into());
        self
    }
}

impl fmt::Debug for MapEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<&str> = self.vars.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("MapEnv")
            .field("vars", &names)
            .field("home", &self.home)
            .finish()
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }

    fn home_dir(&self) -> Option<PathBuf> {
        self.home.clone()
    }
}

fn var_what(name: &str) -> impl FnOnce() -> String + '_ {
    move || format!("environment variable {name}")
}

/// A trimmed, checked SecretId from `name`.
fn required_id(env: &dyn Env, name: &str) -> Result<String, CredentialError> {
    let value = env.var(name).ok_or_else(|| CredentialError::MissingEnv {
        name: name.to_string(),
    })?;
    let trimmed = value.trim();
    check_value(trimmed, var_what(name))?;
    Ok(trimmed.to_string())
}

/// A trimmed, checked secret from `name`.
fn required_secret(env: &dyn Env, name: &str) -> Result<super::Secret, CredentialError> {
    let value = env.var(name).ok_or_else(|| CredentialError::MissingEnv {
        name: name.to_string(),
    })?;
    let secret = secret_from(value);
    check_value(secret.expose(), var_what(name))?;
    Ok(secret)
}

fn check_var_name(role: &str, name: &str) -> Result<(), CredentialError> {
    if name.trim().is_empty() {
        return Err(CredentialError::InvalidSource {
            reason: format!("the {role} variable name is empty"),
        });
    }
    if name.contains(['=', '\0']) {
        return Err(CredentialError::InvalidSource {
            reason: format!("the {role} variable name {name:?} contains '=' or NUL"),
        });
    }
    Ok(())
}

/// Long-term keys (and optionally a token) from environment variables whose
/// names the config gives. All named variables are required and must be
/// non-empty; values are trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedEnvProvider {
    /// Variable holding the SecretId.
    pub secret_id_env: String,
    /// Variable holding the SecretKey.
    pub secret_key_env: String,
    /// Variable holding a session token, if one is configured.
    pub token_env: Option<String>,
}

impl NamedEnvProvider {
    /// A provider for these variables.
    pub fn new(
        secret_id_env: impl Into<String>,
        secret_key_env: impl Into<String>,
        token_env: Option<String>,
    ) -> Self {
        NamedEnvProvider {
            secret_id_env: secret_id_env.into(),
            secret_key_env: secret_key_env.into(),
            token_env,
        }
    }

    /// Checks the variable names themselves (non-empty, no `=`), without
    /// reading the environment.
    pub fn validate(&self) -> Result<(), CredentialError> {
        check_var_name("secret id", &self.secret_id_env)?;
        check_var_name("secret key", &self.secret_key_env)?;
        if let Some(t) = &self.token_env {
            check_var_name("token", t)?;
        }
        Ok(())
    }
}

impl ProvideStatic for NamedEnvProvider {
    fn provide(&self, env: &dyn Env) -> Result<Credentials, CredentialError> {
        self.validate()?;
        let secret_id = required_id(env, &self.secret_id_env)?;
        let secret_key = required_secret(env, &self.secret_key_env)?;
        let mut creds = Credentials::new(secret_id, secret_key);
        if let Some(token_env) = &self.token_env {
            creds.token = Some(required_secret(env, token_env)?);
        }
        Ok(creds)
    }

    fn describe(&self) -> String {
        match &self.token_env {
            Some(t) => format!(
                "env {}/{} (+ token {t})",
                self.secret_id_env, self.secret_key_env
            ),
            None => format!("env {}/{}", self.secret_id_env, self.secret_key_env),
        }
    }
}

/// The standard variables `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY`,
/// plus `TENCENTCLOUD_TOKEN` when set and non-empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StandardEnvProvider;

impl StandardEnvProvider {
    /// As part of a chain: absent when neither key variable is set to a
    /// non-blank value; an error when only one is (a half-configured
    /// environment is a mistake, not a reason to use some other identity).
    pub(crate) fn probe(&self, env: &dyn Env) -> Result<Probe, CredentialError> {
        let set = |name: &str| env.var(name).is_some_and(|v| !v.trim().is_empty());
        if !set(ENV_SECRET_ID) && !set(ENV_SECRET_KEY) {
            return Ok(Probe::Absent(format!("{} (not set)", self.describe())));
        }
        self.provide(env).map(|c| Probe::Found(c, self.describe()))
    }
}

impl ProvideStatic for StandardEnvProvider {
    fn provide(&self, env: &dyn Env) -> Result<Credentials, CredentialError> {
        let secret_id = required_id(env, ENV_SECRET_ID)?;
        let secret_key = required_secret(env, ENV_SECRET_KEY)?;
        let mut creds = Credentials::new(secret_id, secret_key);
        if let Some(token) = env.var(ENV_TOKEN) {
            let token = secret_from(token);
            if !token.is_empty() {
                check_value(token.expose(), var_what(ENV_TOKEN))?;
                creds.token = Some(token);
            }
        }
        Ok(creds)
    }

    fn describe(&self) -> String {
        format!("env {ENV_SECRET_ID}/{ENV_SECRET_KEY}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_env_debug_hides_values() {
        let env = MapEnv::new()
            .with_var("A_SECRET", "hunter2-value")
            .with_home("/h");
        let out = format!("{env:?}");
        assert!(out.contains("A_SECRET"), "{out}");
        assert!(!out.contains("hunter2"), "{out}");
        assert_eq!(env.var("A_SECRET").as_deref(), Some("hunter2-value"));
        assert_eq!(env.var("B"), None);
        assert_eq!(env.home_dir(), Some(PathBuf::from("/h")));
        assert_eq!(MapEnv::new().home_dir(), None);
    }

    #[test]
    fn process_env_reads_real_variables() {
        // Read-only: PATH is set in any sane test environment; nothing is modified.
        assert_eq!(ProcessEnv.var("PATH"), std::env::var("PATH").ok());
        assert_eq!(ProcessEnv.var("TCAPI_SURELY_NOT_SET_4f1c2a"), None);
    }

    #[test]
    fn named_env_reads_and_trims() {
        let env = MapEnv::new()
            .with_var("P_ID", "  AKID1 \n")
            .with_var("P_KEY", "\tkey1  ")
            .with_var("P_TOK", " tok ");
        let p = NamedEnvProvider::new("P_ID", "P_KEY", None);
        let c = p.provide(&env).unwrap();
        assert_eq!(c.secret_id, "AKID1");
        assert_eq!(c.secret_key.expose(), "key1");
        assert!(c.token.is_none());
        assert!(c.expires_at.is_none());

        let p = NamedEnvProvider::new("P_ID", "P_KEY", Some("P_TOK".into()));
        let c = p.provide(&env).unwrap();
        assert_eq!(c.token.as_ref().map(|t| t.expose()), Some("tok"));
        assert_eq!(p.describe(), "env P_ID/P_KEY (+ token P_TOK)");
        assert_eq!(
            NamedEnvProvider::new("P_ID", "P_KEY", None).describe(),
            "env P_ID/P_KEY"
        );
    }

    #[test]
    fn named_env_errors_name_the_variable_and_never_the_value() {
        let env = MapEnv::new()
            .with_var("P_ID", "AKID1")
            .with_var("P_KEY", "   ")
            .with_var("P_TOK", "");
        let e = NamedEnvProvider::new("P_ID", "MISSING_KEY", None)
            .provide(&env)
            .unwrap_err();
        assert_eq!(
            e,
            CredentialError::MissingEnv {
                name: "MISSING_KEY".into()
            }
        );
        assert!(e.to_string().contains("MISSING_KEY"));

        let e = NamedEnvProvider::new("P_ID", "P_KEY", None)
            .provide(&env)
            .unwrap_err();
        assert_eq!(
            e,
            CredentialError::EmptyValue {
                what: "environment variable P_KEY".into()
            }
        );

        let e = NamedEnvProvider::new("NO_ID", "P_KEY", None)
            .provide(&env)
            .unwrap_err();
        assert_eq!(
            e,
            CredentialError::MissingEnv {
                name: "NO_ID".into()
            }
        );

        // A configured token variable is required too.
        let env2 = MapEnv::new()
            .with_var("P_ID", "AKID1")
            .with_var("P_KEY", "k");
        let e = NamedEnvProvider::new("P_ID", "P_KEY", Some("P_TOK".into()))
            .provide(&env2)
            .unwrap_err();
        assert_eq!(
            e,
            CredentialError::MissingEnv {
                name: "P_TOK".into()
            }
        );
        let env3 = env2.clone().with_var("P_TOK", " ");
        let e = NamedEnvProvider::new("P_ID", "P_KEY", Some("P_TOK".into()))
            .provide(&env3)
            .unwrap_err();
        assert!(matches!(e, CredentialError::EmptyValue { ref what } if what.contains("P_TOK")));
    }

    #[test]
    fn named_env_rejects_bad_variable_names() {
        let env = MapEnv::new();
        for p in [
            NamedEnvProvider::new("", "K", None),
            NamedEnvProvider::new("I", "  ", None),
            NamedEnvProvider::new("I", "K=V", None),
            NamedEnvProvider::new("I", "K", Some(String::new())),
        ] {
            assert!(
                matches!(p.validate(), Err(CredentialError::InvalidSource { .. })),
                "{p:?}"
            );
            assert!(
                matches!(p.provide(&env), Err(CredentialError::InvalidSource { .. })),
                "{p:?}"
            );
        }
    }

    #[test]
    fn standard_env_with_and_without_token() {
        let base = MapEnv::new()
            .with_var(ENV_SECRET_ID, "AKIDstd")
            .with_var(ENV_SECRET_KEY, "kstd");
        let c = StandardEnvProvider.provide(&base).unwrap();
        assert_eq!(
            (c.secret_id.as_str(), c.secret_key.expose()),
            ("AKIDstd", "kstd")
        );
        assert!(c.token.is_none());

        let c = StandardEnvProvider
            .provide(&base.clone().with_var(ENV_TOKEN, " t0k "))
            .unwrap();
        assert_eq!(c.token.as_ref().map(|t| t.expose()), Some("t0k"));
        // An empty token variable means "no token".
        let c = StandardEnvProvider
            .provide(&base.clone().with_var(ENV_TOKEN, "  "))
            .unwrap();
        assert!(c.token.is_none());
        assert_eq!(
            StandardEnvProvider.describe(),
            "env TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY"
        );
    }

    #[test]
    fn standard_env_probe_absent_vs_half_configured() {
        let empty = MapEnv::new();
        assert!(matches!(
            StandardEnvProvider.probe(&empty),
            Ok(Probe::Absent(_))
        ));
        let blank = MapEnv::new()
            .with_var(ENV_SECRET_ID, " ")
            .with_var(ENV_SECRET_KEY, "");
        assert!(matches!(
            StandardEnvProvider.probe(&blank),
            Ok(Probe::Absent(_))
        ));

        let half = MapEnv::new().with_var(ENV_SECRET_ID, "AKID");
        assert_eq!(
            StandardEnvProvider.probe(&half).unwrap_err(),
            CredentialError::MissingEnv {
                name: ENV_SECRET_KEY.into()
            }
        );
        let half = MapEnv::new().with_var(ENV_SECRET_KEY, "k");
        assert_eq!(
            StandardEnvProvider.probe(&half).unwrap_err(),
            CredentialError::MissingEnv {
                name: ENV_SECRET_ID.into()
            }
        );

        let full = MapEnv::new()
            .with_var(ENV_SECRET_ID, "AKID")
            .with_var(ENV_SECRET_KEY, "k");
        match StandardEnvProvider.probe(&full) {
            Ok(Probe::Found(c, origin)) => {
                assert_eq!(c.secret_id, "AKID");
                assert!(origin.contains(ENV_SECRET_ID));
            }
            other => panic!("expected found, got {other:?}"),
        }
    }
}
