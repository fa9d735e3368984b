//! `[history]`: where runs are recorded (`database`: a SQLite file, relative
//! to the config file's folder, or a `postgres://` URL), where the
//! PostgreSQL password comes from (`password_env`) and how long to wait for
//! the database (`timeout_secs`). Checked here; opened by `crate::history`.

use std::path::Path;

use toml::Spanned;

use super::locate::Problems;
use super::location::Location;
use super::raw::RawHistory;

/// Bounds of `[history] timeout_secs`.
pub const HISTORY_TIMEOUT_SECS: (i64, i64, i64) = (10, 1, 600);

/// `[history]`, checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistorySettings {
    /// The configured database, resolved against the config's folder.
    pub database: Option<Location>,
    /// The variable holding the PostgreSQL password (else `PGPASSWORD`).
    pub password_env: Option<String>,
    /// How long to wait for a locked SQLite file or a PostgreSQL server.
    pub timeout_secs: u64,
}

/// Checks `[history]`; relative SQLite paths are resolved against `base_dir`.
pub(super) fn history(
    problems: &mut Problems<'_>,
    raw: &RawHistory,
    base_dir: &Path,
) -> HistorySettings {
    let (default, min, max) = HISTORY_TIMEOUT_SECS;
    let mut out = HistorySettings {
        timeout_secs: default as u64,
        ..HistorySettings::default()
    };
    if let Some(db) = &raw.database {
        match Location::parse(db.get_ref(), base_dir) {
            Ok(l) => out.database = Some(l),
            Err(e) => problems.error(db.span(), format!("`[history] database`: {e}")),
        }
    }
    if let Some(var) = &raw.password_env {
        check_var(problems, var);
        out.password_env = Some(var.get_ref().clone());
    }
    if let Some(t) = &raw.timeout_secs {
        let v = *t.get_ref();
        if (min..=max).contains(&v) {
            out.timeout_secs = v as u64;
        } else {
            problems.error(
                t.span(),
                format!("`[history] timeout_secs` must be from {min} to {max}; got {v}"),
            );
        }
    }
    out
}

fn check_var(problems: &mut Problems<'_>, var: &Spanned<String>) {
    let name = var.get_ref();
    let valid = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if !valid {
        problems.error(
            var.span(),
            format!(
                "`[history] password_env` must name an environment variable \
                 (letters, digits, `_`); got {name:?}"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::location::Location;
    use crate::config::{Config, ConfigError};

    fn parse(history: &str) -> Result<Config, ConfigError> {
        let text = format!("[[accounts]]\nname = \"a\"\n\n[history]\n{history}");
        Config::parse(&text, Path::new("/etc/tcss/accounts.toml"))
    }

    fn errors(history: &str) -> String {
        match parse(history) {
            Err(ConfigError::Invalid(problems)) => problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
            other => panic!("expected an invalid config: {other:?}"),
        }
    }

    #[test]
    fn history_settings_are_read_and_resolved_against_the_config_folder() {
        let c = parse("database = \"h/runs.sqlite\"\ntimeout_secs = 3\n").expect("valid");
        assert_eq!(
            c.history.database,
            Some(Location::Sqlite("/etc/tcss/h/runs.sqlite".into()))
        );
        assert_eq!(c.history.timeout_secs, 3);
        let c = parse("database = \"postgres://audit@db/tcss\"\npassword_env = \"PG_PW\"\n")
            .expect("valid");
        assert_eq!(
            c.history.database,
            Some(Location::Postgres("postgres://audit@db/tcss".into()))
        );
        assert_eq!(c.history.password_env.as_deref(), Some("PG_PW"));
        let c = parse("").expect("an empty table");
        assert_eq!(c.history.database, None);
        assert_eq!(c.history.timeout_secs, 10);
    }

    #[test]
    fn bad_history_settings_are_located_errors() {
        let e = errors("timeout_secs = 0\n");
        assert!(
            e.contains("accounts.toml:5:") && e.contains("from 1 to 600"),
            "{e}"
        );
        let e = errors("password_env = \"PG PW\"\n");
        assert!(
            e.contains(":5:") && e.contains("environment variable"),
            "{e}"
        );
        let e = errors("database = \"postgres://audit:s3cret@db/tcss\"\n");
        assert!(e.contains(":5:") && e.contains("PGPASSWORD"), "{e}");
        assert!(!e.contains("s3cret"), "the password is not repeated: {e}");
        let e = errors("database = \"postgres://audit@db/tcss?password=s3cret\"\n");
        assert!(e.contains(":5:") && e.contains("PGPASSWORD"), "{e}");
        assert!(!e.contains("s3cret"), "the password is not repeated: {e}");
        let e = errors("database = \"host=db user=audit password=s3cret\"\n");
        assert!(
            e.contains(":5:") && e.contains("postgres://USER@HOST:PORT/DATABASE"),
            "{e}"
        );
        assert!(
            !e.contains("s3cret") && !e.contains("host=db"),
            "not repeated: {e}"
        );
        let e = errors("databas = \"x\"\n");
        assert!(
            e.contains(":5:1") && e.contains("did you mean `database`"),
            "{e}"
        );
    }
}
