//! The SQLite store (rusqlite, SQLite compiled in): one file, WAL so
//! readers never block the writer, and one `BEGIN IMMEDIATE` transaction
//! per migration step and per run. The file is never opened through a
//! symbolic link, and is looked at before anything in it changes: a
//! SQLite file of another tool is refused untouched. Waiting for another
//! writer never blocks the runtime: each SQLite call waits at most
//! [`SLICE`] for a lock, then the store sleeps on the runtime and tries
//! again (logging the wait after a second), so the run's interrupt and the
//! deadline of [`super::bounded`] are answered at once.

use std::cell::Cell as Flag;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::record::RunRecord;
use super::schema::{self, Dialect, Found, Ty};
use super::HistoryError;
use crate::columns::{rfc3339, Cell};

/// The longest one SQLite call waits for another connection's lock (its
/// busy timeout) before the store yields to the runtime and retries.
pub const SLICE: Duration = Duration::from_millis(100);
/// The pause on the runtime between two tries.
const PAUSE: Duration = Duration::from_millis(20);

impl rusqlite::ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Cell::Empty => ToSqlOutput::Owned(SqlValue::Null),
            Cell::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Cell::Int(v) => ToSqlOutput::Owned(SqlValue::Integer(*v)),
            Cell::Ratio(v) | Cell::Num(v) => ToSqlOutput::Owned(SqlValue::Real(*v)),
            Cell::Bool(v) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*v))),
            Cell::Time(t) => ToSqlOutput::Owned(SqlValue::Text(rfc3339(t))),
        })
    }
}

/// An open SQLite history file.
#[derive(Debug)]
pub struct Sqlite {
    conn: Connection,
    path: PathBuf,
    timeout: Duration,
    /// Whether the wait for a lock was logged (once per store).
    logged_wait: Flag<bool>,
}

/// Whether `e` is another connection's lock.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// What went wrong, in words: a locked file says so and names the wait.
fn classify(path: &Path, timeout: Duration, e: &rusqlite::Error, write: bool) -> HistoryError {
    let location = path.display().to_string();
    let open = |reason: String| HistoryError::Open {
        location: location.clone(),
        reason,
    };
    match e.sqlite_error_code() {
        _ if is_busy(e) => HistoryError::Locked {
            location,
            waited_secs: timeout.as_secs(),
        },
        Some(ErrorCode::DiskFull) => HistoryError::Write {
            location,
            reason: "the disk is full; free some space or record elsewhere with --history".into(),
        },
        Some(ErrorCode::NotADatabase) => open(
            "it is not a SQLite database; give another --history path (nothing in it was \
             changed)"
                .into(),
        ),
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
            open(e.to_string())
        }
        _ if write => HistoryError::Write {
            location,
            reason: e.to_string(),
        },
        _ => HistoryError::Read {
            location,
            reason: e.to_string(),
        },
    }
}

/// The path SQLite is given for `path`, checked first: `path` must not be
/// a symbolic link, a folder or a special file, nor its `-wal`, `-shm` or
/// `-journal` a link. Its folder is resolved (a folder reached through a
/// link is the user's choice); the file itself is then opened with
/// `SQLITE_OPEN_NOFOLLOW`. The second value: whether the file exists.
fn checked_path(path: &Path) -> Result<(PathBuf, bool), HistoryError> {
    let open_error = |reason: String| HistoryError::Open {
        location: path.display().to_string(),
        reason,
    };
    let exists = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(open_error(
                "it is a symbolic link; give the real path (a history file is never opened \
                 through a link)"
                    .into(),
            ))
        }
        Ok(m) if m.is_dir() => {
            return Err(open_error(
                "it is a folder, not a file; give a file path with --history".into(),
            ))
        }
        Ok(m) if !m.is_file() => {
            return Err(open_error(
                "it is not a regular file; give a file path with --history".into(),
            ))
        }
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Err(open_error(e.to_string())),
    };
    for side in ["-wal", "-shm", "-journal"] {
        let mut name = path.as_os_str().to_owned();
        name.push(side);
        if std::fs::symlink_metadata(&name).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(open_error(format!(
                "{} is a symbolic link; remove it (SQLite's side files are never opened \
                 through a link)",
                Path::new(&name).display()
            )));
        }
    }
    let Some(name) = path.file_name() else {
        return Err(open_error(
            "the path names no file; give a file path".into(),
        ));
    };
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let folder = std::fs::canonicalize(folder).map_err(|e| {
        open_error(format!(
            "its folder {} cannot be used: {e}",
            folder.display()
        ))
    })?;
    Ok((folder.join(name), exists))
}

impl Sqlite {
    /// Opens `path` for recording: refused untouched when it is not
    /// tcss-report's or its schema is newer than this build's, else
    /// created (when missing) and put in WAL mode. Waits for a writer
    /// holding it ([`SLICE`] at a time) up to `timeout`.
    pub async fn open(path: &Path, timeout: Duration) -> Result<Sqlite, HistoryError> {
        let (real, _) = checked_path(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NOFOLLOW
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let db = Sqlite::connect(path, &real, flags, timeout)?;
        db.survey().await?;
        // Only now, the file being ours (or new), is anything changed.
        // WAL: readers and the writer do not block each other; NORMAL sync
        // is durable across a process crash in WAL mode.
        db.patiently(|c| c.pragma_update(None, "journal_mode", "WAL"))
            .await
            .map_err(|e| db.error(&e, true))?;
        for (pragma, value) in [("synchronous", "NORMAL"), ("foreign_keys", "ON")] {
            db.conn
                .pragma_update(None, pragma, value)
                .map_err(|e| db.error(&e, true))?;
        }
        Ok(db)
    }

    /// Opens `path` read-only (nothing created, no WAL switch): `None`
    /// when there is no such file or nothing recorded in it, else the
    /// store and its schema version.
    pub async fn open_read_only(
        path: &Path,
        timeout: Duration,
    ) -> Result<Option<(Sqlite, i64)>, HistoryError> {
        let (real, exists) = checked_path(path)?;
        if !exists {
            return Ok(None);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NOFOLLOW
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let db = Sqlite::connect(path, &real, flags, timeout)?;
        Ok(match db.survey().await? {
            Some(v) if v > 0 => Some((db, v)),
            _ => None,
        })
    }

    fn connect(
        path: &Path,
        real: &Path,
        flags: OpenFlags,
        timeout: Duration,
    ) -> Result<Sqlite, HistoryError> {
        let conn = Connection::open_with_flags(real, flags)
            .map_err(|e| classify(path, timeout, &e, false))?;
        let db = Sqlite {
            conn,
            path: path.to_path_buf(),
            timeout,
            logged_wait: Flag::new(false),
        };
        db.conn
            .busy_timeout(SLICE)
            .map_err(|e| db.error(&e, false))?;
        Ok(db)
    }

    fn error(&self, e: &rusqlite::Error, write: bool) -> HistoryError {
        classify(&self.path, self.timeout, e, write)
    }

    /// Runs `step` until no other connection's lock stops it: each try
    /// waits at most [`SLICE`] inside SQLite, then the store sleeps on the
    /// runtime (where an interrupt or a deadline can end it) and tries
    /// again; after a second the wait is logged, once. Gives up (the busy
    /// error) after `timeout`, should no deadline end it first.
    async fn patiently<T>(
        &self,
        mut step: impl FnMut(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        let started = Instant::now();
        loop {
            match step(&self.conn) {
                Err(e) if is_busy(&e) && started.elapsed() < self.timeout => {
                    if started.elapsed() >= super::bound::NOTICE && !self.logged_wait.replace(true)
                    {
                        tracing::warn!(
                            "waiting for the history database {}: locked by another writer; \
                             giving up after {} s ([history] timeout_secs)",
                            self.path.display(),
                            self.timeout.as_secs()
                        );
                    }
                    tokio::time::sleep(PAUSE).await;
                }
                done => return done,
            }
        }
    }

    /// What the file holds, before anything in it changes: `None` when it
    /// is empty (new), else its schema version; refused when it is not
    /// tcss-report's or newer than this build.
    async fn survey(&self) -> Result<Option<i64>, HistoryError> {
        let look = |c: &Connection| -> rusqlite::Result<(Vec<String>, i64)> {
            let mut stmt =
                c.prepare("SELECT name FROM pragma_table_info('schema_migrations') ORDER BY cid")?;
            let columns = stmt
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let others = c.query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type IN ('table', 'view') \
                 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_migrations'",
                [],
                |r| r.get(0),
            )?;
            Ok((columns, others))
        };
        let (columns, others) = self
            .patiently(look)
            .await
            .map_err(|e| self.error(&e, false))?;
        match schema::judge("it", &columns, others) {
            Found::Empty => Ok(None),
            Found::Foreign(reason) => Err(HistoryError::Foreign {
                location: self.path.display().to_string(),
                reason,
            }),
            Found::Ours => {
                let version = self
                    .patiently(|c| {
                        c.query_row(
                            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                            [],
                            |r| r.get(0),
                        )
                    })
                    .await
                    .map_err(|e| self.error(&e, false))?;
                self.not_newer(version)?;
                Ok(Some(version))
            }
        }
    }

    fn not_newer(&self, version: i64) -> Result<(), HistoryError> {
        if version > schema::LATEST {
            return Err(HistoryError::TooNew {
                location: self.path.display().to_string(),
                found: version,
                known: schema::LATEST,
            });
        }
        Ok(())
    }

    /// Runs `work` in one `BEGIN IMMEDIATE` transaction (waiting for the
    /// write lock [`Sqlite::patiently`]), committed when it succeeds.
    /// Nothing awaits between `BEGIN` and `COMMIT`: a dropped wait never
    /// leaves a transaction open.
    async fn write<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, HistoryError>,
    ) -> Result<T, HistoryError> {
        self.patiently(|c| c.execute_batch("BEGIN IMMEDIATE"))
            .await
            .map_err(|e| self.error(&e, true))?;
        let done = work(&self.conn).and_then(|v| {
            self.conn
                .execute_batch("COMMIT")
                .map_err(|e| self.error(&e, true))?;
            Ok(v)
        });
        if done.is_err() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        done
    }

    /// Applies the migrations this file lacks, up to `target`; returns the
    /// version it is at.
    pub async fn migrate(&mut self, target: i64) -> Result<i64, HistoryError> {
        self.write(|c| {
            let err = |e: rusqlite::Error| self.error(&e, true);
            c.execute(&schema::migrations_table(Dialect::Sqlite), [])
                .map_err(err)?;
            let current: i64 = c
                .query_row(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                    [],
                    |r| r.get(0),
                )
                .map_err(err)?;
            self.not_newer(current)?;
            let now = crate::columns::rfc3339(&chrono::Utc::now());
            for version in current + 1..=target {
                for sql in schema::migration(Dialect::Sqlite, version) {
                    c.execute(&sql, []).map_err(err)?;
                }
                c.execute(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                    rusqlite::params![version, now],
                )
                .map_err(err)?;
            }
            Ok(current.max(target))
        })
        .await
    }

    /// Writes one run in one transaction; returns its `runs.id`.
    pub async fn insert(&mut self, rec: &RunRecord<'_>) -> Result<i64, HistoryError> {
        self.write(|c| insert_rows(c, rec).map_err(|e| self.error(&e, true)))
            .await
    }

    /// Runs a query; each row's values are read as `types`.
    pub async fn select(
        &self,
        sql: &str,
        params: &[Cell<'_>],
        types: &[Ty],
    ) -> Result<Vec<Vec<Cell<'static>>>, HistoryError> {
        let query = |c: &Connection| -> rusqlite::Result<Vec<Vec<Cell<'static>>>> {
            let mut stmt = c.prepare(sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(params.iter()), |row| {
                types
                    .iter()
                    .enumerate()
                    .map(|(i, ty)| read(row, i, *ty))
                    .collect::<rusqlite::Result<Vec<Cell<'static>>>>()
            })?;
            rows.collect()
        };
        self.patiently(query)
            .await
            .map_err(|e| self.error(&e, false))
    }
}

/// The rows of one run, inside the caller's transaction; returns its id.
fn insert_rows(c: &Connection, rec: &RunRecord<'_>) -> rusqlite::Result<i64> {
    let sql = schema::insert(Dialect::Sqlite, "runs", &schema::run_columns(), &[], 1);
    c.execute(&sql, rusqlite::params_from_iter(rec.run.iter()))?;
    let run_id = c.last_insert_rowid();
    for child in rec.children() {
        let sql = schema::insert(Dialect::Sqlite, child.table, child.cols, child.lead, 1);
        let mut stmt = c.prepare_cached(&sql)?;
        let run = Cell::Int(run_id);
        for position in 0..child.len {
            let row = (child.row)(position);
            let position = Cell::Int(position as i64);
            let lead = [&run, &position];
            let lead = &lead[..child.lead.len()];
            stmt.execute(rusqlite::params_from_iter(
                lead.iter().copied().chain(row.iter()),
            ))?;
        }
    }
    Ok(run_id)
}

fn read(row: &rusqlite::Row<'_>, i: usize, ty: Ty) -> rusqlite::Result<Cell<'static>> {
    Ok(match ty {
        Ty::Text => row
            .get::<_, Option<String>>(i)?
            .map_or(Cell::Empty, |s| Cell::Text(s.into())),
        Ty::Int => Cell::int(row.get::<_, Option<i64>>(i)?),
        Ty::Real => row.get::<_, Option<f64>>(i)?.map_or(Cell::Empty, Cell::Num),
        Ty::Bool => Cell::bool(row.get::<_, Option<bool>>(i)?),
    })
}
