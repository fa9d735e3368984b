//! tccli profiles: `~/.tccli/<profile>.credential`, a JSON object with
//! `secretId`, `secretKey` and an optional `token` (other keys tccli writes are
//! ignored). Profile names are checked to be safe file names first.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{
    check_value, read_credentials_file, secret_from, CredentialError, Credentials, Env, FileRead,
    Probe, ProvideStatic,
};

/// The profile tccli uses when none is named.
pub const DEFAULT_TCCLI_PROFILE: &str = "default";

/// Checks that a tccli profile name is a safe file name: not empty, no path
/// separators (`/`, `\`), no `..`, not `.`, no control characters.
pub fn validate_profile_name(profile: &str) -> Result<(), CredentialError> {
    let bad = |reason| {
        Err(CredentialError::InvalidProfileName {
            profile: profile.to_string(),
            reason,
        })
    };
    if profile.trim().is_empty() {
        return bad("it is empty");
    }
    if profile.contains(['/', '\\']) {
        return bad("it contains a path separator ('/' or '\\')");
    }
    if profile.contains("..") || profile == "." {
        return bad("it contains '..' or is '.'");
    }
    if profile.chars().any(char::is_control) {
        return bad("it contains a control character");
    }
    Ok(())
}

/// Credentials from the tccli profile file `~/.tccli/<profile>.credential`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TccliProfileProvider {
    /// The profile name (the file name without `.credential`).
    pub profile: String,
}

impl TccliProfileProvider {
    /// A provider for this profile (the name is checked when used).
    pub fn new(profile: impl Into<String>) -> Self {
        TccliProfileProvider {
            profile: profile.into(),
        }
    }

    /// The file this profile lives in, under `env`'s home folder.
    pub fn path(&self, env: &dyn Env) -> Result<PathBuf, CredentialError> {
        validate_profile_name(&self.profile)?;
        let home = env
            .home_dir()
            .ok_or_else(|| CredentialError::HomeNotFound {
                looking_for: format!("tccli profile {}", self.profile),
            })?;
        Ok(home
            .join(".tccli")
            .join(format!("{}.credential", self.profile)))
    }

    /// As part of a chain: absent when the home folder is unknown or the file
    /// does not exist; an error when it exists but is unreadable or invalid.
    pub(crate) fn probe(&self, env: &dyn Env) -> Result<Probe, CredentialError> {
        let path = match self.path(env) {
            Ok(p) => p,
            Err(CredentialError::HomeNotFound { .. }) => {
                return Ok(Probe::Absent(format!(
                    "{} (home folder unknown)",
                    self.describe()
                )))
            }
            Err(e) => return Err(e),
        };
        match read_credentials_file(&path)? {
            FileRead::NotFound => Ok(Probe::Absent(format!(
                "tccli profile {} (no such file)",
                path.display()
            ))),
            FileRead::Text(text) => parse_tccli(&path, &text)
                .map(|c| Probe::Found(c, format!("tccli profile {}", path.display()))),
        }
    }
}

impl ProvideStatic for TccliProfileProvider {
    fn provide(&self, env: &dyn Env) -> Result<Credentials, CredentialError> {
        let path = self.path(env)?;
        match read_credentials_file(&path)? {
            FileRead::NotFound => Err(CredentialError::ProfileNotFound {
                profile: self.profile.clone(),
                path,
            }),
            FileRead::Text(text) => parse_tccli(&path, &text),
        }
    }

    fn describe(&self) -> String {
        format!("tccli profile ~/.tccli/{}.credential", self.profile)
    }
}

/// Parses a tccli `.credential` file. Error reasons never quote values.
fn parse_tccli(path: &Path, text: &str) -> Result<Credentials, CredentialError> {
    let invalid = |reason: String| CredentialError::ProfileInvalid {
        path: path.to_path_buf(),
        reason,
    };
    // serde_json's own messages can quote values; report only where it failed.
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Eof => "unexpected end of file",
            _ => "syntax error",
        };
        invalid(format!(
            "not valid JSON ({what} at line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(mut map) = value else {
        return Err(invalid(
            "expected a JSON object with secretId and secretKey".into(),
        ));
    };
    let mut take_string = |key: &str, required: bool| -> Result<Option<String>, CredentialError> {
        match map.remove(key) {
            Some(Value::String(s)) => Ok(Some(s)),
            None | Some(Value::Null) if !required => Ok(None),
            None | Some(Value::Null) => Err(invalid(format!("no {key}"))),
            Some(_) => Err(invalid(format!("{key} is not a string"))),
        }
    };
    let what = |key: &'static str| move || format!("{key} in {}", path.display());

    let secret_id = take_string("secretId", true)?.unwrap_or_default();
    let secret_id = secret_id.trim();
    check_value(secret_id, what("secretId"))?;
    let secret_key = secret_from(take_string("secretKey", true)?.unwrap_or_default());
    check_value(secret_key.expose(), what("secretKey"))?;
    let token = take_string("token", false)?
        .map(secret_from)
        .filter(|t| !t.is_empty());
    if let Some(token) = &token {
        check_value(token.expose(), what("token"))?;
    }
    let mut creds = Credentials::new(secret_id, secret_key);
    creds.token = token;
    Ok(creds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::MapEnv;

    fn write_profile(home: &Path, name: &str, content: &str) -> PathBuf {
        let dir = home.join(".tccli");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.credential"));
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn profile_names_must_be_safe() {
        for ok in ["default", "legacy", "prod-1", "a.b", "with space", "中文"] {
            assert!(validate_profile_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "  ",
            "a/b",
            "/etc/passwd",
            "a\\b",
            "..",
            "../x",
            "x..y",
            ".",
            "a\nb",
            "a\0b",
        ] {
            let e = validate_profile_name(bad).unwrap_err();
            assert!(
                matches!(e, CredentialError::InvalidProfileName { ref profile, .. } if profile == bad),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn reads_profile_ignoring_extra_keys_and_trimming() {
        let home = tempfile::tempdir().unwrap();
        write_profile(
            home.path(),
            "legacy",
            r#"{"secretId": " AKIDlegacy ", "secretKey": "  sk-legacy\n", "type": "secret", "region": "ap-guangzhou", "nested": {"x": 1}}"#,
        );
        let env = MapEnv::new().with_home(home.path());
        let p = TccliProfileProvider::new("legacy");
        let c = p.provide(&env).unwrap();
        assert_eq!(c.secret_id, "AKIDlegacy");
        assert_eq!(c.secret_key.expose(), "sk-legacy");
        assert!(c.token.is_none());
        assert_eq!(p.describe(), "tccli profile ~/.tccli/legacy.credential");
        assert_eq!(
            p.path(&env).unwrap(),
            home.path().join(".tccli").join("legacy.credential")
        );
    }

    #[test]
    fn reads_token_and_treats_empty_or_null_token_as_none() {
        let home = tempfile::tempdir().unwrap();
        let env = MapEnv::new().with_home(home.path());
        write_profile(
            home.path(),
            "t",
            r#"{"secretId":"A","secretKey":"K","token":"TOK"}"#,
        );
        let c = TccliProfileProvider::new("t").provide(&env).unwrap();
        assert_eq!(c.token.as_ref().map(|t| t.expose()), Some("TOK"));
        write_profile(
            home.path(),
            "t",
            r#"{"secretId":"A","secretKey":"K","token":"  "}"#,
        );
        assert!(TccliProfileProvider::new("t")
            .provide(&env)
            .unwrap()
            .token
            .is_none());
        write_profile(
            home.path(),
            "t",
            r#"{"secretId":"A","secretKey":"K","token":null}"#,
        );
        assert!(TccliProfileProvider::new("t")
            .provide(&env)
            .unwrap()
            .token
            .is_none());
    }

    #[test]
    fn errors_name_the_file_and_never_the_secret() {
        let home = tempfile::tempdir().unwrap();
        let env = MapEnv::new().with_home(home.path());
        let p = TccliProfileProvider::new("x");

        // Missing file.
        let e = p.provide(&env).unwrap_err();
        let path = home.path().join(".tccli").join("x.credential");
        assert_eq!(
            e,
            CredentialError::ProfileNotFound {
                profile: "x".into(),
                path: path.clone()
            }
        );
        assert!(e.to_string().contains(&path.display().to_string()));

        let cases: &[(&str, &str)] = &[
            (
                r#"{"secretId": "A", "secretKey": "sk-SECRET-1""#,
                "not valid JSON",
            ),
            (
                r#"{"secretId": "A", "secretKey": "sk-SECRET-1"} trailing-SECRET"#,
                "not valid JSON",
            ),
            (r#"["sk-SECRET-1"]"#, "expected a JSON object"),
            (r#"{"secretKey": "sk-SECRET-1"}"#, "no secretId"),
            (r#"{"secretId": "A"}"#, "no secretKey"),
            (
                r#"{"secretId": "A", "secretKey": 12345}"#,
                "secretKey is not a string",
            ),
            (
                r#"{"secretId": "A", "secretKey": "sk-SECRET-1", "token": 7}"#,
                "token is not a string",
            ),
        ];
        for (content, want) in cases {
            write_profile(home.path(), "x", content);
            let e = p.provide(&env).unwrap_err();
            let msg = e.to_string();
            assert!(
                matches!(e, CredentialError::ProfileInvalid { .. }),
                "{content}: {e:?}"
            );
            assert!(msg.contains(want), "{content}: {msg}");
            assert!(msg.contains(&path.display().to_string()), "{msg}");
            assert!(
                !msg.contains("SECRET") && !msg.contains("12345"),
                "leaks a value: {msg}"
            );
            assert!(!format!("{e:?}").contains("SECRET"), "{e:?}");
        }

        write_profile(home.path(), "x", r#"{"secretId": "A", "secretKey": "   "}"#);
        assert!(
            matches!(p.provide(&env).unwrap_err(), CredentialError::EmptyValue { ref what } if what.contains("secretKey"))
        );
        write_profile(home.path(), "x", r#"{"secretId": "", "secretKey": "k"}"#);
        assert!(
            matches!(p.provide(&env).unwrap_err(), CredentialError::EmptyValue { ref what } if what.contains("secretId"))
        );
    }

    #[test]
    fn unsafe_name_and_unknown_home_are_errors() {
        let env = MapEnv::new();
        assert!(matches!(
            TccliProfileProvider::new("../../etc/x").provide(&env),
            Err(CredentialError::InvalidProfileName { .. })
        ));
        let e = TccliProfileProvider::new("default")
            .provide(&env)
            .unwrap_err();
        assert!(
            matches!(e, CredentialError::HomeNotFound { ref looking_for } if looking_for.contains("default"))
        );
    }

    #[test]
    fn probe_absent_found_and_broken() {
        let home = tempfile::tempdir().unwrap();
        let env = MapEnv::new().with_home(home.path());
        let p = TccliProfileProvider::new(DEFAULT_TCCLI_PROFILE);
        assert!(
            matches!(p.probe(&MapEnv::new()), Ok(Probe::Absent(ref s)) if s.contains("home folder unknown"))
        );
        assert!(matches!(p.probe(&env), Ok(Probe::Absent(ref s)) if s.contains("no such file")));
        let path = write_profile(home.path(), "default", "not json");
        assert!(matches!(
            p.probe(&env),
            Err(CredentialError::ProfileInvalid { .. })
        ));
        write_profile(
            home.path(),
            "default",
            r#"{"secretId":"A","secretKey":"K"}"#,
        );
        match p.probe(&env) {
            Ok(Probe::Found(c, origin)) => {
                assert_eq!(c.secret_id, "A");
                assert!(origin.contains(&path.display().to_string()), "{origin}");
            }
            other => panic!("{other:?}"),
        }
    }
}
