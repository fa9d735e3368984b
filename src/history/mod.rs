//! The history store: every run recorded in a database (SQLite by default,
//! at `<out>/history.sqlite`, or a team's PostgreSQL), read back for
//! `--compare last` and the `history` command's trends.
//!
//! This module owns its typed errors ([`HistoryError`]) and the [`Store`]
//! API: open for recording (refusing a database that is not ours, creating
//! and migrating the schema) or read-only (nothing created or migrated),
//! [`Store::record`] a run in one transaction,
//! [`Store::previous_complete_run`] and the trend queries, of one scope
//! (`scope`: which runs are compared and trended together). Where the
//! history is, [`Location`], is the config's (`config::location`); `bound`
//! bounds every operation by one deadline and the run's interrupt,
//! `schema` holds the tables and migrations (the live columns from the
//! column tables, `crate::columns`), `record` the rows a run writes,
//! `sqlite` and `postgres` the two databases, `recorder` a run's use of
//! it (and the trend its HTML report draws), `trends` and `group_trends`
//! (`--group-by`) the `history` command's numbers (its files are
//! `report::trends`'s).

pub mod bound;
pub mod group_trends;
pub mod postgres;
pub mod record;
pub mod recorder;
pub mod schema;
pub mod scope;
pub mod sqlite;
pub mod trends;

use std::path::PathBuf;
use std::time::Duration;

pub use crate::config::location::{Location, LocationError};
pub use bound::bounded;

use chrono::{DateTime, Utc};

use crate::aggregate::Aggregate;
use crate::columns::accounts::{compared, ACCOUNT, STATUS, UIN};
use crate::columns::totals::count_columns;
use crate::columns::Cell;
use crate::compare::{Previous, PreviousAccount, Values};
use schema::{Dialect, Ty};

/// The default history file in `--out`.
pub const DEFAULT_FILE: &str = "history.sqlite";

/// Why the history could not be opened, written or read. Every message
/// names the database and says what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// `--history` or `[history] database` is not a usable value.
    #[error(transparent)]
    Location(#[from] LocationError),
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
    /// The database holds what tcss-report did not create; nothing in it
    /// was changed.
    #[error(
        "the history database {location} is not tcss-report's: {reason}; nothing in it was \
         changed; give another --history path or [history] database (a new file, an empty \
         database, or one tcss-report created)"
    )]
    Foreign {
        /// The database.
        location: String,
        /// What was found.
        reason: String,
    },
    /// SIGINT or SIGTERM came while waiting for the database.
    #[error("interrupted (SIGINT/SIGTERM) while waiting for the history database {location}")]
    Interrupted {
        /// The database.
        location: String,
    },
    /// The PostgreSQL server did not finish within `[history] timeout_secs`
    /// (connect, TLS, login, migrations and the transaction together).
    #[error(
        "the history database {location} did not answer within {secs} s ([history] \
         timeout_secs); check that the server is up and answering and that no session holds \
         a lock on its tables (pg_locks), or raise [history] timeout_secs"
    )]
    TimedOut {
        /// The URL (no password).
        location: String,
        /// The deadline.
        secs: u64,
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
    /// The deadline of one operation ([`bounded`]): everything it waits
    /// for (a SQLite lock; PostgreSQL's connect, TLS, login, migrations and
    /// transaction), and PostgreSQL's `statement_timeout`, `lock_timeout`
    /// and `idle_in_transaction_session_timeout`.
    pub timeout: Duration,
    /// Extra trusted roots for PostgreSQL's TLS (the config's `ca_file`).
    pub ca_files: Vec<PathBuf>,
    /// Turns true on SIGINT/SIGTERM: an operation waiting then ends
    /// ([`HistoryError::Interrupted`]). `None`: not interruptible.
    pub cancel: Option<tokio::sync::watch::Receiver<bool>>,
}

#[derive(Debug)]
enum Backend {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// An open history database: migrated (for recording), or as found
/// (read-only).
#[derive(Debug)]
pub struct Store {
    backend: Backend,
    location: Location,
    /// The schema version it is at: what its tables hold.
    version: i64,
}

impl Store {
    /// Opens the history at `location` for recording: refused untouched
    /// when it is not tcss-report's ([`HistoryError::Foreign`]), else
    /// created and brought to the latest schema version. Waits for locks
    /// and servers without end: callers bound it ([`bounded`]).
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
                let mut db = sqlite::Sqlite::open(path, opts.timeout).await?;
                let v = db.migrate(version).await?;
                (Backend::Sqlite(db), v)
            }
            Location::Postgres(url) => {
                let mut db = postgres::Postgres::connect(connect(url, opts, false)).await?;
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

    /// Opens the history at `location` to read it: nothing is created,
    /// migrated or written (SQLite opened read-only, a PostgreSQL session
    /// in read-only transactions). `None` when nothing was recorded there
    /// yet (no file, an empty database); a database that is not
    /// tcss-report's is refused. Callers bound it ([`bounded`]).
    pub async fn open_read_only(
        location: &Location,
        opts: &OpenOptions,
    ) -> Result<Option<Store>, HistoryError> {
        let (backend, version) = match location {
            Location::Sqlite(path) => {
                match sqlite::Sqlite::open_read_only(path, opts.timeout).await? {
                    Some((db, v)) => (Backend::Sqlite(db), v),
                    None => return Ok(None),
                }
            }
            Location::Postgres(url) => {
                let db = postgres::Postgres::connect(connect(url, opts, true)).await?;
                match db.recorded_version().await? {
                    Some(v) => (Backend::Postgres(db), v),
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(Store {
            backend,
            location: location.clone(),
            version,
        }))
    }

    /// The schema version the database is at.
    #[cfg(test)]
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
    pub async fn record(&mut self, report: &Aggregate) -> Result<i64, HistoryError> {
        let rec = record::from_report(report, Utc::now());
        match &mut self.backend {
            Backend::Sqlite(db) => db.insert(&rec).await,
            Backend::Postgres(db) => db.insert(&rec).await,
        }
    }

    async fn select(
        &self,
        sql: &str,
        params: &[Cell<'_>],
        types: &[Ty],
    ) -> Result<Vec<Vec<Cell<'static>>>, HistoryError> {
        match &self.backend {
            Backend::Sqlite(db) => db.select(sql, params, types).await,
            Backend::Postgres(db) => db.select(sql, params, types).await,
        }
    }

    /// What every recorded run says of its scope, oldest first (by start,
    /// then id).
    pub async fn recorded_scopes(&self) -> Result<Vec<scope::Recorded>, HistoryError> {
        let sql = format!(
            "SELECT {} FROM runs ORDER BY started_at, id",
            scope::columns(self.version)
        );
        let rows = self.select(&sql, &[], &scope::TYPES).await?;
        Ok(rows.iter().map(|r| scope::Recorded::from_row(r)).collect())
    }

    /// The latest run of `scope` recorded before run `before_run_id`
    /// (`i64::MAX`: the latest of all) that is complete and in which a
    /// query answered, with its accounts in report order (their name, UIN,
    /// status and compared columns, `columns::accounts::compared`) and its
    /// totals' counts (`columns::totals::count_columns`).
    pub async fn previous_complete_run(
        &self,
        before_run_id: i64,
        scope: &scope::Scope,
    ) -> Result<Option<Previous>, HistoryError> {
        let d = self.dialect();
        let Some(id) = self
            .recorded_scopes()
            .await?
            .iter()
            .rev()
            .find(|r| r.id < before_run_id && r.comparable() && scope.matches(r))
            .map(|r| r.id)
        else {
            return Ok(None);
        };
        // The totals' counts recorded then: NULL for a column its schema
        // version did not have yet, or a total the history does not keep.
        let counts: Vec<String> = count_columns()
            .iter()
            .map(|c| {
                let recorded = c.kept() && schema::has_column(self.version, "runs", c.key());
                if recorded {
                    c.key().to_string()
                } else {
                    format!("CAST(NULL AS {})", d.ty(Ty::Int))
                }
            })
            .collect();
        let sql = format!(
            "SELECT id, stem, generated_at, {} FROM runs WHERE id = {}",
            counts.join(", "),
            d.param(1)
        );
        let types: Vec<Ty> = [Ty::Int, Ty::Text, Ty::Text]
            .into_iter()
            .chain(counts.iter().map(|_| Ty::Int))
            .collect();
        let runs = self.select(&sql, &[Cell::Int(id)], &types).await?;
        let Some(mut run) = runs.into_iter().next() else {
            return Ok(None);
        };
        let totals = run.split_off(3);
        let generated_at = parse_time(run[2].as_text(), &self.location)?;
        let identity = [ACCOUNT.key, UIN.key, STATUS.key].map(str::to_string);
        let compared = compared();
        // A database read as it is may predate some compared columns.
        let names: Vec<String> = identity
            .into_iter()
            .chain(compared.iter().map(|c| {
                let table = "account_snapshots";
                schema::selected(d, self.version, table, "", c.key, c.kind.ty())
            }))
            .collect();
        let sql = format!(
            "SELECT {} FROM account_snapshots WHERE run_id = {} ORDER BY position",
            names.join(", "),
            d.param(1)
        );
        let types: Vec<Ty> = [Ty::Text; 3]
            .into_iter()
            .chain(compared.iter().map(|c| c.kind.ty()))
            .collect();
        let rows = self.select(&sql, &run[..1], &types).await?;
        let accounts = rows.into_iter().map(previous_account).collect();
        Ok(Some(Previous {
            run: run[1].as_text().unwrap_or_default().to_string(),
            generated_at,
            accounts,
            totals,
        }))
    }
}

/// An account of an earlier run from its recorded name, UIN, status and
/// compared values (a `REAL` read back is the ratio it was recorded from).
fn previous_account(row: Vec<Cell<'static>>) -> PreviousAccount {
    let mut cells = row.into_iter();
    let mut text = || cells.next().and_then(|c| c.as_text().map(str::to_string));
    let (account, uin, status) = (text(), text(), text());
    let values = cells
        .zip(compared())
        .map(|(cell, c)| match cell {
            Cell::Num(x) if c.kind == crate::columns::Kind::Ratio => Cell::Ratio(x),
            other => other,
        })
        .collect();
    PreviousAccount {
        account: account.unwrap_or_default(),
        uin,
        status: status.unwrap_or_default(),
        values: Values::from_cells(values),
    }
}

/// How to connect to the PostgreSQL history at `url`.
fn connect<'a>(url: &'a str, opts: &'a OpenOptions, read_only: bool) -> postgres::Connect<'a> {
    postgres::Connect {
        url,
        password: opts.password.as_deref(),
        timeout: opts.timeout,
        ca_files: &opts.ca_files,
        read_only,
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
    async fn select_unit(&self, sql: &str, params: &[Cell<'_>]) -> Result<(), HistoryError> {
        self.select(sql, params, &[]).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests;
