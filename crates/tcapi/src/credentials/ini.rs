//! The Tencent Cloud SDK credentials file (`~/.tencentcloud/credentials`, or
//! the file `TENCENTCLOUD_CREDENTIALS_FILE` names): a tiny INI parser and the
//! [`IniFileProvider`] reading `secret_id` / `secret_key` (+ `token`) from one
//! section.
//!
//! The INI dialect is the SDK's: `[section]` headers, `key = value` lines,
//! whole-line comments starting with `#` or `;`, blank lines, whitespace
//! around names and values ignored. Values are taken verbatim (no inline
//! comments, no quotes), keys match case-insensitively, and a later duplicate
//! key wins. Any other line is a syntax error naming the line number (never
//! its text, which may hold a secret).

use std::path::{Path, PathBuf};

use super::{
    check_value, read_credentials_file, secret_from, CredentialError, Credentials, Env, FileRead,
    Probe, ProvideStatic,
};

/// The environment variable the SDKs read for another credentials file path.
pub const ENV_CREDENTIALS_FILE: &str = "TENCENTCLOUD_CREDENTIALS_FILE";
/// The section used when none is named.
pub const DEFAULT_INI_SECTION: &str = "default";

/// A parsed INI document borrowing from its text.
#[derive(Debug, Default)]
pub(crate) struct Ini<'a> {
    /// Sections in file order (a name may repeat); entries before the first
    /// header go to the section named `""`.
    sections: Vec<(&'a str, Vec<(&'a str, &'a str)>)>,
}

impl<'a> Ini<'a> {
    /// Parses `text`; on a bad line returns its 1-based number.
    pub(crate) fn parse(text: &'a str) -> Result<Self, usize> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut ini = Ini {
            sections: vec![("", Vec::new())],
        };
        for (index, raw) in text.split('\n').enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let name = rest
                    .strip_suffix(']')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .ok_or(index + 1)?;
                ini.sections.push((name, Vec::new()));
                continue;
            }
            let (key, value) = line.split_once('=').ok_or(index + 1)?;
            let key = key.trim();
            if key.is_empty() {
                return Err(index + 1);
            }
            if let Some((_, entries)) = ini.sections.last_mut() {
                entries.push((key, value.trim()));
            }
        }
        Ok(ini)
    }

    /// Whether a section of that name exists.
    pub(crate) fn has_section(&self, section: &str) -> bool {
        self.sections.iter().any(|(name, _)| *name == section)
    }

    /// The value of `key` in `section` (the last one when repeated).
    pub(crate) fn get(&self, section: &str, key: &str) -> Option<&'a str> {
        self.sections
            .iter()
            .filter(|(name, _)| *name == section)
            .flat_map(|(_, entries)| entries.iter())
            .filter(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| *v)
            .next_back()
    }
}

/// Credentials from one section of the SDK credentials file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IniFileProvider {
    /// The file; `None` means `$TENCENTCLOUD_CREDENTIALS_FILE` if set, else
    /// `~/.tencentcloud/credentials`. A leading `~/` is the home folder.
    pub path: Option<PathBuf>,
    /// The section, e.g. `default`.
    pub section: String,
}

impl IniFileProvider {
    /// A provider for `section` of `path` (see [`IniFileProvider::path`]).
    pub fn new(path: Option<PathBuf>, section: impl Into<String>) -> Self {
        IniFileProvider {
            path,
            section: section.into(),
        }
    }

    /// The file this provider reads, and whether the user chose it (an
    /// explicit path or the variable) rather than the default location.
    pub fn resolve_path(&self, env: &dyn Env) -> Result<(PathBuf, bool), CredentialError> {
        let home = |what: &str| {
            env.home_dir().ok_or_else(|| CredentialError::HomeNotFound {
                looking_for: format!("SDK credentials file {what}"),
            })
        };
        let chosen = match &self.path {
            Some(p) => Some(p.clone()),
            None => env
                .var(ENV_CREDENTIALS_FILE)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        };
        match chosen {
            Some(p) => match p.strip_prefix("~") {
                Ok(rest) => Ok((home(&p.display().to_string())?.join(rest), true)),
                Err(_) => Ok((p, true)),
            },
            None => Ok((
                home("~/.tencentcloud/credentials")?
                    .join(".tencentcloud")
                    .join("credentials"),
                false,
            )),
        }
    }

    fn check_section(&self) -> Result<(), CredentialError> {
        if self.section.trim().is_empty() {
            return Err(CredentialError::InvalidSource {
                reason: "the SDK credentials file section name is empty".into(),
            });
        }
        Ok(())
    }

    /// As part of a chain: absent when the home folder is unknown, the default
    /// file does not exist, or it has no such section; an error when the file
    /// is unreadable or invalid, or a file the user chose is missing.
    pub(crate) fn probe(&self, env: &dyn Env) -> Result<Probe, CredentialError> {
        self.check_section()?;
        let (path, chosen) = match self.resolve_path(env) {
            Ok(p) => p,
            Err(CredentialError::HomeNotFound { .. }) => {
                return Ok(Probe::Absent(format!(
                    "{} (home folder unknown)",
                    self.describe()
                )))
            }
            Err(e) => return Err(e),
        };
        let origin = format!("SDK credentials file {} [{}]", path.display(), self.section);
        match read_credentials_file(&path)? {
            FileRead::NotFound if chosen => Err(CredentialError::IniFileNotFound { path }),
            FileRead::NotFound => Ok(Probe::Absent(format!("{origin} (no such file)"))),
            FileRead::Text(text) => match read_section(&path, &text, &self.section) {
                Ok(c) => Ok(Probe::Found(c, origin)),
                Err(CredentialError::IniSectionNotFound { .. }) => {
                    Ok(Probe::Absent(format!("{origin} (no such section)")))
                }
                Err(e) => Err(e),
            },
        }
    }
}

impl ProvideStatic for IniFileProvider {
    fn provide(&self, env: &dyn Env) -> Result<Credentials, CredentialError> {
        self.check_section()?;
        let (path, _) = self.resolve_path(env)?;
        match read_credentials_file(&path)? {
            FileRead::NotFound => Err(CredentialError::IniFileNotFound { path }),
            FileRead::Text(text) => read_section(&path, &text, &self.section),
        }
    }

    fn describe(&self) -> String {
        let path = match &self.path {
            Some(p) => p.display().to_string(),
            None => "~/.tencentcloud/credentials".to_string(),
        };
        format!("SDK credentials file {path} [{}]", self.section)
    }
}

/// Reads the keys of `section` from the text of the file at `path`.
fn read_section(path: &Path, text: &str, section: &str) -> Result<Credentials, CredentialError> {
    let ini = Ini::parse(text).map_err(|line| CredentialError::IniSyntax {
        path: path.to_path_buf(),
        line,
    })?;
    if !ini.has_section(section) {
        return Err(CredentialError::IniSectionNotFound {
            path: path.to_path_buf(),
            section: section.to_string(),
        });
    }
    let missing = |key: &str| CredentialError::ProfileInvalid {
        path: path.to_path_buf(),
        reason: format!("section [{section}] has no {key}"),
    };
    let what = |key: &'static str| move || format!("{key} in [{section}] of {}", path.display());

    let secret_id = ini
        .get(section, "secret_id")
        .ok_or_else(|| missing("secret_id"))?;
    check_value(secret_id, what("secret_id"))?;
    let secret_key = ini
        .get(section, "secret_key")
        .ok_or_else(|| missing("secret_key"))?;
    check_value(secret_key, what("secret_key"))?;
    let mut creds = Credentials::new(secret_id, secret_from(secret_key.to_string()));
    creds.token = ini
        .get(section, "token")
        .filter(|t| !t.is_empty())
        .map(|t| secret_from(t.to_string()));
    if let Some(token) = &creds.token {
        check_value(token.expose(), what("token"))?;
    }
    Ok(creds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::MapEnv;

    #[test]
    fn parses_sections_comments_whitespace_and_crlf() {
        let text = "\u{feff}# top comment\r\n; another\r\nglobal = 1\r\n\r\n  [default]  \r\n secret_id =  AKID = x  \r\nSECRET_KEY=k\r\n\t[ other ]\nsecret_id = o\n[default]\nsecret_id = AKID2\nempty =\n";
        let ini = Ini::parse(text).unwrap();
        assert!(ini.has_section("default") && ini.has_section("other") && ini.has_section(""));
        assert!(
            !ini.has_section("Default"),
            "section names are case-sensitive"
        );
        assert_eq!(ini.get("", "global"), Some("1"));
        // Later duplicate wins, across repeated sections; only the first '=' splits.
        assert_eq!(ini.get("default", "secret_id"), Some("AKID2"));
        assert_eq!(
            ini.get("default", "secret_key"),
            Some("k"),
            "keys match case-insensitively"
        );
        assert_eq!(ini.get("other", "secret_id"), Some("o"));
        assert_eq!(ini.get("default", "empty"), Some(""));
        assert_eq!(ini.get("default", "nope"), None);
        assert_eq!(ini.get("missing", "secret_id"), None);

        let ini = Ini::parse("[a]\nk = v1 = v2 # not a comment\n").unwrap();
        assert_eq!(ini.get("a", "k"), Some("v1 = v2 # not a comment"));
    }

    #[test]
    fn syntax_errors_give_the_line_number() {
        assert_eq!(
            Ini::parse("[default]\nsecret_id = a\njust words\n").unwrap_err(),
            3
        );
        assert_eq!(Ini::parse("[default\n").unwrap_err(), 1);
        assert_eq!(Ini::parse("# c\n[]\n").unwrap_err(), 2);
        assert_eq!(Ini::parse("[a]\n = value\n").unwrap_err(), 2);
        assert!(Ini::parse("").is_ok());
    }

    fn write(home: &Path, content: &str) -> PathBuf {
        let dir = home.join(".tencentcloud");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("credentials");
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn reads_default_and_named_sections() {
        let home = tempfile::tempdir().unwrap();
        write(
            home.path(),
            "[default]\nsecret_id = AKIDdef\nsecret_key = kdef\n\n[prod]\nsecret_id=AKIDprod\nsecret_key=kprod\ntoken = tprod\nrole_arn = ignored\n",
        );
        let env = MapEnv::new().with_home(home.path());
        let c = IniFileProvider::new(None, "default").provide(&env).unwrap();
        assert_eq!(
            (c.secret_id.as_str(), c.secret_key.expose()),
            ("AKIDdef", "kdef")
        );
        assert!(c.token.is_none());
        let c = IniFileProvider::new(None, "prod").provide(&env).unwrap();
        assert_eq!(
            (c.secret_id.as_str(), c.secret_key.expose()),
            ("AKIDprod", "kprod")
        );
        assert_eq!(c.token.as_ref().map(|t| t.expose()), Some("tprod"));
        assert_eq!(
            IniFileProvider::new(None, "prod").describe(),
            "SDK credentials file ~/.tencentcloud/credentials [prod]"
        );
    }

    #[test]
    fn path_resolution_explicit_env_tilde_and_default() {
        let env = MapEnv::new().with_home("/home/u");
        let (p, chosen) = IniFileProvider::new(None, "default")
            .resolve_path(&env)
            .unwrap();
        assert_eq!(
            (p, chosen),
            (PathBuf::from("/home/u/.tencentcloud/credentials"), false)
        );
        let env2 = env
            .clone()
            .with_var(ENV_CREDENTIALS_FILE, " /etc/tc/creds ");
        assert_eq!(
            IniFileProvider::new(None, "default")
                .resolve_path(&env2)
                .unwrap(),
            (PathBuf::from("/etc/tc/creds"), true)
        );
        let p = IniFileProvider::new(Some("~/x/creds".into()), "default");
        assert_eq!(
            p.resolve_path(&env2).unwrap(),
            (PathBuf::from("/home/u/x/creds"), true)
        );
        let p = IniFileProvider::new(Some("/abs/creds".into()), "default");
        assert_eq!(
            p.resolve_path(&MapEnv::new()).unwrap(),
            (PathBuf::from("/abs/creds"), true)
        );
        assert!(matches!(
            IniFileProvider::new(None, "default").resolve_path(&MapEnv::new()),
            Err(CredentialError::HomeNotFound { .. })
        ));
    }

    #[test]
    fn explicit_path_via_env_variable_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("elsewhere.ini");
        std::fs::write(&path, "[default]\nsecret_id = AKIDenv\nsecret_key = kenv\n").unwrap();
        let env = MapEnv::new().with_var(ENV_CREDENTIALS_FILE, path.display().to_string());
        let c = IniFileProvider::new(None, "default").provide(&env).unwrap();
        assert_eq!(c.secret_id, "AKIDenv");
    }

    #[test]
    fn errors_name_file_section_line_and_never_the_secret() {
        let home = tempfile::tempdir().unwrap();
        let env = MapEnv::new().with_home(home.path());
        let p = IniFileProvider::new(None, "default");
        let path = home.path().join(".tencentcloud").join("credentials");

        assert_eq!(
            p.provide(&env).unwrap_err(),
            CredentialError::IniFileNotFound { path: path.clone() }
        );

        write(home.path(), "[default]\nsecret_id = AKID\nsk-SECRET-LINE\n");
        let e = p.provide(&env).unwrap_err();
        assert_eq!(
            e,
            CredentialError::IniSyntax {
                path: path.clone(),
                line: 3
            }
        );
        let msg = e.to_string();
        assert!(
            msg.contains("line 3") && msg.contains(&path.display().to_string()),
            "{msg}"
        );
        assert!(!msg.contains("SECRET"), "{msg}");

        write(home.path(), "[other]\nsecret_id = AKID\nsecret_key = k\n");
        assert_eq!(
            p.provide(&env).unwrap_err(),
            CredentialError::IniSectionNotFound {
                path: path.clone(),
                section: "default".into()
            }
        );

        write(home.path(), "[default]\nsecret_id = AKID\n");
        let e = p.provide(&env).unwrap_err();
        assert!(
            matches!(e, CredentialError::ProfileInvalid { ref reason, .. } if reason.contains("secret_key")),
            "{e:?}"
        );

        write(
            home.path(),
            "[default]\nsecret_id = AKID\nsecret_key =   \n",
        );
        let e = p.provide(&env).unwrap_err();
        assert!(
            matches!(e, CredentialError::EmptyValue { ref what } if what.contains("secret_key") && what.contains("[default]")),
            "{e:?}"
        );

        let e = IniFileProvider::new(None, " ").provide(&env).unwrap_err();
        assert!(matches!(e, CredentialError::InvalidSource { .. }));
    }

    #[test]
    fn probe_absent_found_and_broken() {
        let home = tempfile::tempdir().unwrap();
        let env = MapEnv::new().with_home(home.path());
        let p = IniFileProvider::new(None, DEFAULT_INI_SECTION);
        assert!(
            matches!(p.probe(&MapEnv::new()), Ok(Probe::Absent(ref s)) if s.contains("home folder unknown"))
        );
        assert!(matches!(p.probe(&env), Ok(Probe::Absent(ref s)) if s.contains("no such file")));
        write(home.path(), "[prod]\nsecret_id = a\nsecret_key = b\n");
        assert!(matches!(p.probe(&env), Ok(Probe::Absent(ref s)) if s.contains("no such section")));
        write(home.path(), "garbage\n");
        assert!(matches!(
            p.probe(&env),
            Err(CredentialError::IniSyntax { line: 1, .. })
        ));
        write(home.path(), "[default]\nsecret_id = a\nsecret_key = b\n");
        assert!(matches!(p.probe(&env), Ok(Probe::Found(ref c, _)) if c.secret_id == "a"));

        // A file the user pointed at that does not exist is an error, not "absent".
        let env2 = env.clone().with_var(
            ENV_CREDENTIALS_FILE,
            home.path().join("nope").display().to_string(),
        );
        assert!(matches!(
            p.probe(&env2),
            Err(CredentialError::IniFileNotFound { .. })
        ));
    }
}
