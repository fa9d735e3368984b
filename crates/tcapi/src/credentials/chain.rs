//! The default chain ([`DefaultChainProvider`]) and [`Source`], the
//! configuration-level choice of where an account's long-term credentials
//! come from.

use std::path::PathBuf;

use super::{
    CredentialError, Credentials, Env, IniFileProvider, NamedEnvProvider, Probe, ProvideStatic,
    StandardEnvProvider, TccliProfileProvider, DEFAULT_INI_SECTION, DEFAULT_TCCLI_PROFILE,
};

/// The chain for accounts with no credential keys: `TENCENTCLOUD_SECRET_ID` /
/// `TENCENTCLOUD_SECRET_KEY` (+ `TENCENTCLOUD_TOKEN`), then the tccli
/// `default` profile, then `[default]` of the SDK credentials file.
///
/// A place where nothing is configured (variables unset, file or section
/// missing, home folder unknown) is skipped; a place that is configured but
/// broken (one variable of the pair missing, a file that does not parse, an
/// empty key) stops the chain with its own error rather than silently using
/// another identity. When every place is empty the error is
/// [`CredentialError::NoCredentials`] listing each one and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DefaultChainProvider;

impl DefaultChainProvider {
    /// Like [`ProvideStatic::provide`], also saying which concrete place (with
    /// the real file path) the credentials came from.
    pub fn provide_with_origin(
        &self,
        env: &dyn Env,
    ) -> Result<(Credentials, String), CredentialError> {
        let mut tried = Vec::with_capacity(3);
        let probes: [&dyn Fn() -> Result<Probe, CredentialError>; 3] = [
            &|| StandardEnvProvider.probe(env),
            &|| TccliProfileProvider::new(DEFAULT_TCCLI_PROFILE).probe(env),
            &|| IniFileProvider::new(None, DEFAULT_INI_SECTION).probe(env),
        ];
        for probe in probes {
            match probe()? {
                Probe::Found(creds, origin) => return Ok((creds, origin)),
                Probe::Absent(place) => tried.push(place),
            }
        }
        Err(CredentialError::NoCredentials { tried })
    }
}

impl ProvideStatic for DefaultChainProvider {
    fn provide(&self, env: &dyn Env) -> Result<Credentials, CredentialError> {
        self.provide_with_origin(env).map(|(c, _)| c)
    }

    fn describe(&self) -> String {
        format!(
            "default chain ({}, then {}, then {})",
            StandardEnvProvider.describe(),
            TccliProfileProvider::new(DEFAULT_TCCLI_PROFILE).describe(),
            IniFileProvider::new(None, DEFAULT_INI_SECTION).describe()
        )
    }
}

/// Where an account's long-term credentials come from (one per account in the
/// config). Resolve it with [`Source::resolve`]; [`Source::describe`] names it
/// for humans without looking anything up.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// Environment variables the config names (`secret_id_env`, `secret_key_env`, `token_env`).
    NamedEnv {
        /// Variable holding the SecretId.
        secret_id_env: String,
        /// Variable holding the SecretKey.
        secret_key_env: String,
        /// Variable holding a session token, if configured.
        token_env: Option<String>,
    },
    /// `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY` (+ `TENCENTCLOUD_TOKEN`).
    StandardEnv,
    /// The tccli profile `~/.tccli/<name>.credential`.
    TccliProfile(String),
    /// A section of the SDK credentials file (default path when `None`).
    IniFile {
        /// The file; `None` for `$TENCENTCLOUD_CREDENTIALS_FILE` or `~/.tencentcloud/credentials`.
        path: Option<PathBuf>,
        /// The section.
        section: String,
    },
    /// [`DefaultChainProvider`].
    DefaultChain,
}

impl Source {
    /// The provider this source stands for.
    pub fn provider(&self) -> Box<dyn ProvideStatic> {
        match self {
            Source::NamedEnv {
                secret_id_env,
                secret_key_env,
                token_env,
            } => Box::new(NamedEnvProvider::new(
                secret_id_env.clone(),
                secret_key_env.clone(),
                token_env.clone(),
            )),
            Source::StandardEnv => Box::new(StandardEnvProvider),
            Source::TccliProfile(profile) => Box::new(TccliProfileProvider::new(profile.clone())),
            Source::IniFile { path, section } => {
                Box::new(IniFileProvider::new(path.clone(), section.clone()))
            }
            Source::DefaultChain => Box::new(DefaultChainProvider),
        }
    }

    /// Finds the credentials.
    pub fn resolve(&self, env: &dyn Env) -> Result<Credentials, CredentialError> {
        self.provider().provide(env)
    }

    /// Finds the credentials and says where they came from: the same as
    /// [`describe`](Self::describe), except that the default chain names the
    /// place that answered, with its real path.
    pub fn resolve_with_origin(
        &self,
        env: &dyn Env,
    ) -> Result<(Credentials, String), CredentialError> {
        match self {
            Source::DefaultChain => DefaultChainProvider.provide_with_origin(env),
            other => other.resolve(env).map(|c| (c, other.describe())),
        }
    }

    /// Checks what can be checked without reading the environment or files:
    /// variable names, the profile name, the section name.
    pub fn validate(&self) -> Result<(), CredentialError> {
        match self {
            Source::NamedEnv {
                secret_id_env,
                secret_key_env,
                token_env,
            } => NamedEnvProvider::new(
                secret_id_env.clone(),
                secret_key_env.clone(),
                token_env.clone(),
            )
            .validate(),
            Source::TccliProfile(profile) => super::validate_profile_name(profile),
            Source::IniFile { section, .. } if section.trim().is_empty() => {
                Err(CredentialError::InvalidSource {
                    reason: "the SDK credentials file section name is empty".into(),
                })
            }
            Source::IniFile { .. } | Source::StandardEnv | Source::DefaultChain => Ok(()),
        }
    }

    /// Where this source looks, for humans (never contains secrets), e.g.
    /// `env PAYMENTS_SECRET_ID/PAYMENTS_SECRET_KEY` or
    /// `tccli profile ~/.tccli/legacy.credential`.
    pub fn describe(&self) -> String {
        self.provider().describe()
    }
}

impl ProvideStatic for Source {
    fn provide(&self, env: &dyn Env) -> Result<Credentials, CredentialError> {
        self.resolve(env)
    }

    fn describe(&self) -> String {
        Source::describe(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::{
        MapEnv, ENV_CREDENTIALS_FILE, ENV_SECRET_ID, ENV_SECRET_KEY, ENV_TOKEN,
    };
    use std::path::Path;

    fn tccli(home: &Path, name: &str, content: &str) {
        std::fs::create_dir_all(home.join(".tccli")).unwrap();
        std::fs::write(
            home.join(".tccli").join(format!("{name}.credential")),
            content,
        )
        .unwrap();
    }

    fn sdk_ini(home: &Path, content: &str) {
        std::fs::create_dir_all(home.join(".tencentcloud")).unwrap();
        std::fs::write(home.join(".tencentcloud").join("credentials"), content).unwrap();
    }

    #[test]
    fn chain_prefers_env_then_tccli_then_ini() {
        let home = tempfile::tempdir().unwrap();
        tccli(
            home.path(),
            "default",
            r#"{"secretId":"AKIDtccli","secretKey":"ktccli"}"#,
        );
        sdk_ini(
            home.path(),
            "[default]\nsecret_id = AKIDini\nsecret_key = kini\n",
        );
        let env = MapEnv::new()
            .with_home(home.path())
            .with_var(ENV_SECRET_ID, "AKIDenv")
            .with_var(ENV_SECRET_KEY, "kenv")
            .with_var(ENV_TOKEN, "tenv");

        let (c, origin) = DefaultChainProvider.provide_with_origin(&env).unwrap();
        assert_eq!(
            (c.secret_id.as_str(), c.secret_key.expose()),
            ("AKIDenv", "kenv")
        );
        assert_eq!(c.token.as_ref().map(|t| t.expose()), Some("tenv"));
        assert!(origin.contains(ENV_SECRET_ID));

        let no_env = MapEnv::new().with_home(home.path());
        let (c, origin) = DefaultChainProvider.provide_with_origin(&no_env).unwrap();
        assert_eq!(c.secret_id, "AKIDtccli");
        assert!(origin.contains("default.credential"), "{origin}");

        std::fs::remove_file(home.path().join(".tccli").join("default.credential")).unwrap();
        let (c, origin) = DefaultChainProvider.provide_with_origin(&no_env).unwrap();
        assert_eq!(c.secret_id, "AKIDini");
        assert!(origin.contains("[default]"), "{origin}");
        assert_eq!(
            Source::DefaultChain.resolve(&no_env).unwrap().secret_id,
            "AKIDini"
        );
        assert_eq!(
            Source::DefaultChain.resolve_with_origin(&no_env).unwrap().1,
            origin
        );
    }

    #[test]
    fn chain_error_lists_every_place_it_looked() {
        let home = tempfile::tempdir().unwrap();
        let env = MapEnv::new().with_home(home.path());
        let e = DefaultChainProvider.provide(&env).unwrap_err();
        let CredentialError::NoCredentials { tried } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(tried.len(), 3, "{tried:?}");
        assert!(
            tried[0].contains(ENV_SECRET_ID) && tried[0].contains("not set"),
            "{tried:?}"
        );
        let tccli_path = home.path().join(".tccli").join("default.credential");
        assert!(
            tried[1].contains(&tccli_path.display().to_string())
                && tried[1].contains("no such file")
        );
        let ini_path = home.path().join(".tencentcloud").join("credentials");
        assert!(
            tried[2].contains(&ini_path.display().to_string()) && tried[2].contains("no such file")
        );
        let msg = e.to_string();
        for t in tried {
            assert!(msg.contains(t.as_str()), "{msg}");
        }

        // No home folder: still lists all three, saying why.
        let e = DefaultChainProvider.provide(&MapEnv::new()).unwrap_err();
        let CredentialError::NoCredentials { tried } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(tried.len(), 3);
        assert!(
            tried[1].contains("home folder unknown") && tried[2].contains("home folder unknown"),
            "{tried:?}"
        );

        // An INI file without [default] is "absent" too.
        sdk_ini(home.path(), "[prod]\nsecret_id = a\nsecret_key = b\n");
        let e = DefaultChainProvider.provide(&env).unwrap_err();
        assert!(
            matches!(e, CredentialError::NoCredentials { ref tried } if tried[2].contains("no such section"))
        );
    }

    #[test]
    fn chain_stops_at_a_broken_place_instead_of_falling_through() {
        let home = tempfile::tempdir().unwrap();
        sdk_ini(
            home.path(),
            "[default]\nsecret_id = AKIDini\nsecret_key = kini\n",
        );
        let env = MapEnv::new()
            .with_home(home.path())
            .with_var(ENV_SECRET_ID, "AKIDhalf");
        assert_eq!(
            DefaultChainProvider.provide(&env).unwrap_err(),
            CredentialError::MissingEnv {
                name: ENV_SECRET_KEY.into()
            }
        );

        let env = MapEnv::new().with_home(home.path());
        tccli(home.path(), "default", "{ broken");
        assert!(matches!(
            DefaultChainProvider.provide(&env),
            Err(CredentialError::ProfileInvalid { .. })
        ));

        std::fs::remove_file(home.path().join(".tccli").join("default.credential")).unwrap();
        let env = env.with_var(
            ENV_CREDENTIALS_FILE,
            home.path().join("missing.ini").display().to_string(),
        );
        assert!(matches!(
            DefaultChainProvider.provide(&env),
            Err(CredentialError::IniFileNotFound { .. })
        ));
    }

    #[test]
    fn sources_resolve_to_their_provider() {
        let home = tempfile::tempdir().unwrap();
        tccli(
            home.path(),
            "legacy",
            r#"{"secretId":"AKIDlegacy","secretKey":"klegacy","token":"tlegacy"}"#,
        );
        sdk_ini(
            home.path(),
            "[prod]\nsecret_id = AKIDprod\nsecret_key = kprod\n",
        );
        let custom = home.path().join("custom.ini");
        std::fs::write(
            &custom,
            "[x]\nsecret_id = AKIDcustom\nsecret_key = kcustom\n",
        )
        .unwrap();
        let env = MapEnv::new()
            .with_home(home.path())
            .with_var("PAYMENTS_SECRET_ID", "AKIDpay")
            .with_var("PAYMENTS_SECRET_KEY", "kpay")
            .with_var(ENV_SECRET_ID, "AKIDstd")
            .with_var(ENV_SECRET_KEY, "kstd");

        let named = Source::NamedEnv {
            secret_id_env: "PAYMENTS_SECRET_ID".into(),
            secret_key_env: "PAYMENTS_SECRET_KEY".into(),
            token_env: None,
        };
        let cases = [
            (named, "AKIDpay", "env PAYMENTS_SECRET_ID/PAYMENTS_SECRET_KEY"),
            (Source::StandardEnv, "AKIDstd", "env TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY"),
            (Source::TccliProfile("legacy".into()), "AKIDlegacy", "tccli profile ~/.tccli/legacy.credential"),
            (
                Source::IniFile { path: None, section: "prod".into() },
                "AKIDprod",
                "SDK credentials file ~/.tencentcloud/credentials [prod]",
            ),
            (Source::IniFile { path: Some(custom.clone()), section: "x".into() }, "AKIDcustom", "custom.ini [x]"),
            (Source::DefaultChain, "AKIDstd", "default chain (env TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY, then tccli profile ~/.tccli/default.credential, then SDK credentials file ~/.tencentcloud/credentials [default])"),
        ];
        for (source, id, describe) in cases {
            assert!(source.validate().is_ok(), "{source:?}");
            let c = source
                .resolve(&env)
                .unwrap_or_else(|e| panic!("{source:?}: {e}"));
            assert_eq!(c.secret_id, id, "{source:?}");
            assert!(
                source.describe().contains(describe),
                "{} vs {describe}",
                source.describe()
            );
            assert_eq!(ProvideStatic::describe(&source), source.describe());
            let (c2, origin) = source.resolve_with_origin(&env).unwrap();
            assert_eq!(c2.secret_id, id);
            assert!(!origin.is_empty());
        }
        let c = Source::TccliProfile("legacy".into()).resolve(&env).unwrap();
        assert_eq!(c.token.as_ref().map(|t| t.expose()), Some("tlegacy"));
    }

    #[test]
    fn validate_catches_static_mistakes_without_lookups() {
        assert!(matches!(
            Source::TccliProfile("../x".into()).validate(),
            Err(CredentialError::InvalidProfileName { .. })
        ));
        assert!(matches!(
            Source::TccliProfile(String::new()).validate(),
            Err(CredentialError::InvalidProfileName { .. })
        ));
        assert!(matches!(
            Source::NamedEnv {
                secret_id_env: String::new(),
                secret_key_env: "K".into(),
                token_env: None
            }
            .validate(),
            Err(CredentialError::InvalidSource { .. })
        ));
        assert!(matches!(
            Source::IniFile {
                path: None,
                section: String::new()
            }
            .validate(),
            Err(CredentialError::InvalidSource { .. })
        ));
        assert!(Source::StandardEnv.validate().is_ok());
        assert!(Source::DefaultChain.validate().is_ok());
    }
}
