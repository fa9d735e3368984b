//! Where the history is: `--history` or `[history] database` read as a
//! SQLite file path or a `postgres://` URL, and refused when it is neither
//! ([`LocationError`]). A value that may hold a password (a URL's
//! `user:password@` or `?password=`, a libpq `key=value` connection string)
//! is refused without repeating it: the password comes from `PGPASSWORD` or
//! `password_env`. Here, beside the config that names it, so both the
//! config and the history store (`crate::history`) read it.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A `--history` or `[history] database` value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocationError {
    /// Not a usable value.
    #[error("history database {value:?}: {reason}")]
    Invalid {
        /// The value as given (a password cut).
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A libpq `key=value` connection string (never repeated: it may hold
    /// a password).
    #[error(
        "history database: a libpq key=value connection string is not accepted (not repeated \
         here: it may hold a password); give a URL: postgres://USER@HOST:PORT/DATABASE \
         (?sslmode=require as needed), with the password in PGPASSWORD or in the variable \
         [history] password_env names"
    )]
    ConnInfo,
}

/// Where the history is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://user@host:port/db?sslmode=...`),
    /// without a password.
    Postgres(String),
}

/// The keywords of a libpq connection string (`host=db user=x ...`):
/// a value starting with one of them followed by `=` is one.
const CONNINFO_KEYWORDS: &[&str] = &[
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "sslmode",
    "sslcert",
    "sslkey",
    "sslrootcert",
    "sslpassword",
    "service",
    "options",
    "application_name",
    "connect_timeout",
    "target_session_attrs",
    "channel_binding",
    "gssencmode",
    "requiressl",
    "keepalives",
];

/// Whether `text` reads as libpq `key=value` pairs rather than a path:
/// its first `=` follows a libpq keyword, or a `password=` pair is in it.
fn looks_like_conninfo(text: &str) -> bool {
    let first_key = text
        .split_once('=')
        .map(|(key, _)| key.trim().to_ascii_lowercase());
    let keyword = first_key.is_some_and(|k| CONNINFO_KEYWORDS.contains(&k.as_str()));
    let password_pair = text.split_whitespace().any(|token| {
        let token = token.to_ascii_lowercase();
        token.starts_with("password=") || token == "password"
    });
    keyword || (password_pair && text.contains('='))
}

impl Location {
    /// `postgres://...` / `postgresql://...`, or a file path resolved
    /// against `base` (the config file's folder; empty for the command line).
    pub fn parse(text: &str, base: &Path) -> Result<Location, LocationError> {
        let invalid = |reason: &str| LocationError::Invalid {
            value: text.to_string(),
            reason: reason.to_string(),
        };
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return postgres_url(text);
        }
        if looks_like_conninfo(text) {
            return Err(LocationError::ConnInfo);
        }
        if text.contains("://") {
            return Err(LocationError::Invalid {
                value: redact_url(text),
                reason: "only postgres:// URLs and SQLite file paths are supported".into(),
            });
        }
        if text.is_empty() {
            return Err(invalid("empty; give a file path or a postgres:// URL"));
        }
        Ok(Location::Sqlite(base.join(text)))
    }
}

/// A `postgres://` URL, checked: parsable, a user, no password.
fn postgres_url(text: &str) -> Result<Location, LocationError> {
    let invalid = |reason: String| LocationError::Invalid {
        value: redact_url(text),
        reason,
    };
    let config = tokio_postgres::Config::from_str(text)
        .map_err(|e| invalid(format!("not a valid PostgreSQL URL: {e}")))?;
    if config.get_password().is_some() {
        return Err(invalid(
            "the URL holds a password: put it in PGPASSWORD or in the variable named by \
             [history] password_env instead"
                .into(),
        ));
    }
    if config.get_user().is_none() {
        return Err(invalid(
            "name the user: postgres://USER@HOST:PORT/DATABASE".into(),
        ));
    }
    Ok(Location::Postgres(text.to_string()))
}

/// A URL with its password cut (`user:REDACTED@`, `?password=REDACTED`),
/// for messages; an unparsable one is not repeated at all.
pub(crate) fn redact_url(text: &str) -> String {
    const CUT: &str = "REDACTED";
    let Ok(mut u) = url::Url::parse(text) else {
        return "(an unparsable URL, not repeated: it may hold a password)".into();
    };
    if u.password().is_some() {
        let _ = u.set_password(Some(CUT));
    }
    if u.query().is_some() {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let secret = k.to_ascii_lowercase().contains("password");
                (
                    k.into_owned(),
                    if secret { CUT.into() } else { v.into_owned() },
                )
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => f.write_str(url),
        }
    }
}
