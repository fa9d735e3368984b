//! The history store: every run recorded in a database (SQLite by default,
//! at `<out>/history.sqlite`, or a team's PostgreSQL), read back for
//! `--compare last` and the `history` command's trends.
//!
//! This module owns where the history is ([`Location`]), its typed errors
//! ([`HistoryError`]) and the [`Store`] API: open (creating and migrating
//! the schema), [`Store::record`] a run in one transaction,
//! [`Store::previous_complete_run`] and the trend queries. `schema` holds
//! the tables and migrations, `record` the rows a run writes, `sqlite` and
//! `postgres` the two databases, `trends` and `output` the `history`
//! command's numbers and files.

pub mod output;
pub mod postgres;
pub mod record;
pub mod recorder;
pub mod schema;
pub mod sqlite;
pub mod trends;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::aggregate::Report;
use crate::compare::{Previous, PreviousAccount};
use record::Val;
use schema::{Dialect, Ty};

/// The default history file in `--out`.
pub const DEFAULT_FILE: &str = "history.sqlite";

/// Where the history is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL (`postgres://user@host:port/db?sslmode=...`),
    /// without a password.
    Postgres(String),
}

impl Location {
    /// `postgres://...` / `postgresql://...`, or a file path resolved
    /// against `base` (the config file's folder; empty for the command line).
    pub fn parse(text: &str, base: &Path) -> Result<Location, HistoryError> {
        let invalid = |reason: &str| HistoryError::InvalidLocation {
            value: text.to_string(),
            reason: reason.to_string(),
        };
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            let config = tokio_postgres::Config::from_str(text).map_err(|e| {
                HistoryError::InvalidLocation {
                    value: redact_url(text),
                    reason: format!("not a valid PostgreSQL URL: {e}"),
                }
            })?;
            if config.get_password().is_some() {
                return Err(HistoryError::InvalidLocation {
                    value: redact_url(text),
                    reason: "the URL holds a password: put it in PGPASSWORD or in the \
                             variable named by [history] password_env instead"
                        .into(),
                });
            }
            if config.get_user().is_none() {
                return Err(invalid("name the user: postgres://USER@HOST:PORT/DATABASE"));
            }
            return Ok(Location::Postgres(text.to_string()));
        }
        if text.contains("://") {
            return Err(invalid(
                "only postgres:// URLs and SQLite file paths are supported",
            ));
        }
        if text.is_empty() {
            return Err(invalid("empty; give a file path or a postgres:// URL"));
        }
        Ok(Location::Sqlite(base.join(text)))
    }
}

/// `postgres://user:secret@host` with the password cut, for messages.
fn redact_url(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("REDACTED"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(an unparsable postgres:// URL)".into(),
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => f.write_str(url),
        }
    }
}

/// Why the history could not be opened, written or read. Every message
/// names the database and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// `--history` or `[history] database` is not a usable value.
    #[error("history database {value:?}: {reason}")]
    InvalidLocation {
        /// The value as given (a password cut).
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The file could not be opened or created.
    #[error("cannot open the history database {location}: {reason}")]
    Open {
        /// The file.
        location: String,
        /// The cause.
        reason: String,
    },
    /// Another writer held the file for longer than the timeout.
    #[error(
        "the history database {location} stayed locked by another writer for {waited_secs} s; \
         run again later, or raise [history] timeout_secs"
    )]
    Locked {
        /// The file.
        location: String,
        /// How long we waited.
        waited_secs: u64,
    },
    /// The PostgreSQL server could not be reached or refused us.
    #[error(
        "cannot connect to the history database {location}: {reason}; check that the server \
         is up and the user, password (PGPASSWORD or [history] password_env) and sslmode"
    )]
    Connect {
        /// The URL (no password).
        location: String,
        /// The cause.
        reason: String,
    },
    /// Writing the run failed; nothing of it was recorded.
    #[error("cannot record the run in the history database {location}: {reason}")]
    Write {
        /// The database.
        location: String,
        /// The cause.
        reason: String,
    },
    /// Reading failed.
    #[error("cannot read the history database {location}: {reason}")]
    Read {
        /// The database.
        location: String,
        /// The cause.
        reason: String,
    },
    /// The database was migrated by a newer tcss-report.
    #[error(
        "the history database {location} has schema version {found}, newer than this \
         tcss-report knows ({known}); upgrade tcss-report"
    )]
    TooNew {
        /// The database.
        location: String,
        /// Its version.
        found: i64,
        /// Ours.
        known: i64,
    },
}

/// How to open a history.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The PostgreSQL password (from `PGPASSWORD` or `[history] password_env`).
    pub password: Option<String>,
    /// Busy timeout (SQLite) or connect timeout (PostgreSQL).
    pub timeout: Duration,
    /// Extra trusted roots for PostgreSQL's TLS (the config's `ca_file`).
    pub ca_files: Vec<PathBuf>,
    /// Create the database (SQLite) and migrate it; else it must exist.
    pub create: bool,
}

#[derive(Debug)]
enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// An open, migrated history database.
#[derive(Debug)]
pub struct Store {
    backend: Backend,
    location: Location,
    version: i64,
}

impl Store {
    /// Opens the history at `location` and brings its schema to the latest
    /// version.
    pub async fn open(location: &Location, opts: &OpenOptions) -> Result<Store, HistoryError> {
        Store::open_at_version(location, opts, schema::LATEST).await
    }

    /// Opens and migrates up to `version` only (tests: an older schema).
    pub async fn open_at_version(
        location: &Location,
        opts: &OpenOptions,
        version: i64,
    ) -> Result<Store, HistoryError> {
        let (backend, version) = match location {
            Location::Sqlite(path) => {
                let mut db = sqlite::Sqlite::open(path, opts.timeout, opts.create)?;
                let v = db.migrate(version)?;
                (Backend::Sqlite(db), v)
            }
            Location::Postgres(url) => {
                let mut db = postgres::Postgres::connect(postgres::Connect {
                    url,
                    password: opts.password.as_deref(),
                    timeout: opts.timeout,
                    ca_files: &opts.ca_files,
                })
                .await?;
                let v = db.migrate(version).await?;
                (Backend::Postgres(db), v)
            }
        };
        Ok(Store {
            backend,
            location: location.clone(),
            version,
        })
    }

    /// Where this history is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> i64 {
        self.version
    }

    fn dialect(&self) -> Dialect {
        match self.backend {
            Backend::Sqlite(_) => Dialect::Sqlite,
            Backend::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Records `report` in one transaction; returns the run's id.
    pub async fn record(&mut self, report: &Report) -> Result<i64, HistoryError> {
        let rec = record::from_report(report, Utc::now());
        match &mut self.backend {
            Backend::Sqlite(db) => db.insert(&rec),
            Backend::Postgres(db) => db.insert(&rec).await,
        }
    }

    async fn select(
        &self,
        sql: &str,
        params: &[Val],
        types: &[Ty],
    ) -> Result<Vec<Vec<Val>>, HistoryError> {
        match &self.backend {
            Backend::Sqlite(db) => db.select(sql, params, types),
            Backend::Postgres(db) => db.select(sql, params, types).await,
        }
    }

    /// The latest complete run recorded before run `before_run_id`
    /// (`i64::MAX`: the latest of all), with its accounts in report order.
    pub async fn previous_complete_run(
        &self,
        before_run_id: i64,
    ) -> Result<Option<Previous>, HistoryError> {
        let d = self.dialect();
        let sql = format!(
            "SELECT id, stem, generated_at FROM runs WHERE complete AND id < {} \
             ORDER BY started_at DESC, id DESC LIMIT 1",
            d.param(1)
        );
        let runs = self
            .select(
                &sql,
                &[Val::Int(before_run_id)],
                &[Ty::Int, Ty::Text, Ty::Text],
            )
            .await?;
        let Some(run) = runs.into_iter().next() else {
            return Ok(None);
        };
        let generated_at = parse_time(run[2].text(), &self.location)?;
        let sql = format!(
            "SELECT account, uin, status, total_authorized, used_authorized, \
             remaining_authorized, utilization, scanned_images, duplicate_images, \
             scan_quota_used FROM account_snapshots WHERE run_id = {} ORDER BY position",
            d.param(1)
        );
        use Ty::{Int, Real, Text};
        let types = [Text, Text, Text, Int, Int, Int, Real, Int, Int, Int];
        let rows = self.select(&sql, &run[..1], &types).await?;
        let accounts = rows
            .iter()
            .map(|r| PreviousAccount {
                account: r[0].text().unwrap_or_default().to_string(),
                uin: r[1].text().map(str::to_string),
                status: r[2].text().unwrap_or_default().to_string(),
                total_authorized: r[3].int(),
                used_authorized: r[4].int(),
                remaining_authorized: r[5].int(),
                utilization: r[6].real(),
                scanned_images: r[7].int(),
                duplicate_images: r[8].int(),
                scan_quota_used: r[9].int(),
            })
            .collect();
        Ok(Some(Previous {
            run: run[1].text().unwrap_or_default().to_string(),
            generated_at,
            accounts,
        }))
    }
}

/// A recorded RFC 3339 time.
fn parse_time(text: Option<&str>, location: &Location) -> Result<DateTime<Utc>, HistoryError> {
    let text = text.unwrap_or_default();
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| HistoryError::Read {
            location: location.to_string(),
            reason: format!("a recorded time {text:?} is not RFC 3339: {e}"),
        })
}

#[cfg(test)]
impl Store {
    /// For tests: runs a statement that returns no row.
    async fn select_unit(&self, sql: &str, params: &[Val]) -> Result<(), HistoryError> {
        self.select(sql, params, &[]).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests;
