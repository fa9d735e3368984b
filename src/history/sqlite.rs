//! The SQLite store (rusqlite, SQLite compiled in): one file, WAL so
//! readers never block the writer, a busy timeout so two runs writing one
//! file at once wait for each other instead of failing, and one
//! `BEGIN IMMEDIATE` transaction per migration step and per run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use super::record::{RunRecord, Val};
use super::schema::{self, Dialect, Ty};
use super::HistoryError;

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Owned(SqlValue::Null),
            Val::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Val::Int(v) => ToSqlOutput::Owned(SqlValue::Integer(*v)),
            Val::Real(v) => ToSqlOutput::Owned(SqlValue::Real(*v)),
            Val::Bool(v) => ToSqlOutput::Owned(SqlValue::Integer(i64::from(*v))),
        })
    }
}

/// An open SQLite history file.
#[derive(Debug)]
pub struct Sqlite {
    conn: Connection,
    path: PathBuf,
    timeout: Duration,
}

/// What went wrong, in words: a locked file says so and names the wait.
fn classify(path: &Path, timeout: Duration, e: &rusqlite::Error, write: bool) -> HistoryError {
    let location = path.display().to_string();
    let code = e.sqlite_error_code();
    match code {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => HistoryError::Locked {
            location,
            waited_secs: timeout.as_secs(),
        },
        Some(ErrorCode::DiskFull) => HistoryError::Write {
            location,
            reason: "the disk is full; free some space or record elsewhere with --history".into(),
        },
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
            HistoryError::Open {
                location,
                reason: e.to_string(),
            }
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

impl Sqlite {
    /// Opens (with `create`, creating) the file at `path`, waiting up to
    /// `timeout` for a writer holding it.
    pub fn open(path: &Path, timeout: Duration, create: bool) -> Result<Sqlite, HistoryError> {
        let location = path.display().to_string();
        let open_error = |reason: String| HistoryError::Open {
            location: location.clone(),
            reason,
        };
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                return Err(open_error(
                    "it is a folder, not a file; give a file path with --history".into(),
                ))
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => {
                return Err(open_error(
                    "no such file: no run was recorded there yet (or give --history)".into(),
                ))
            }
            Err(_) => {}
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn =
            Connection::open_with_flags(path, flags).map_err(|e| open_error(e.to_string()))?;
        let db = Sqlite {
            conn,
            path: path.to_path_buf(),
            timeout,
        };
        db.conn
            .busy_timeout(timeout)
            .map_err(|e| db.error(&e, false))?;
        // WAL: readers and the writer do not block each other; NORMAL sync
        // is durable across a process crash in WAL mode.
        db.conn
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| db.error(&e, true))?;
        db.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| db.error(&e, true))?;
        db.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| db.error(&e, true))?;
        Ok(db)
    }

    fn error(&self, e: &rusqlite::Error, write: bool) -> HistoryError {
        classify(&self.path, self.timeout, e, write)
    }

    /// Applies the migrations this file lacks, up to `target`; returns the
    /// version it is at.
    pub fn migrate(&mut self, target: i64) -> Result<i64, HistoryError> {
        let (path, timeout) = (self.path.clone(), self.timeout);
        let err = |e: rusqlite::Error| classify(&path, timeout, &e, true);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        tx.execute(&schema::migrations_table(Dialect::Sqlite), [])
            .map_err(err)?;
        let current: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        if current > schema::LATEST {
            return Err(HistoryError::TooNew {
                location: path.display().to_string(),
                found: current,
                known: schema::LATEST,
            });
        }
        let now = crate::report::rfc3339(&chrono::Utc::now());
        for version in current + 1..=target {
            for sql in schema::MIGRATIONS[(version - 1) as usize](Dialect::Sqlite) {
                tx.execute(&sql, []).map_err(err)?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                rusqlite::params![version, now],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(current.max(target))
    }

    /// Writes one run in one transaction; returns its `runs.id`.
    pub fn insert(&mut self, rec: &RunRecord<'_>) -> Result<i64, HistoryError> {
        let (path, timeout) = (self.path.clone(), self.timeout);
        let err = |e: rusqlite::Error| classify(&path, timeout, &e, true);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let run_id = {
            let mut cols = schema::RUN_COLUMNS.to_vec();
            cols.extend_from_slice(schema::RUN_TOTAL_COLUMNS);
            let sql = schema::insert(Dialect::Sqlite, "runs", &cols, &[], 1);
            tx.execute(&sql, rusqlite::params_from_iter(rec.run.iter()))
                .map_err(err)?;
            tx.last_insert_rowid()
        };
        for c in rec.children() {
            let sql = schema::insert(Dialect::Sqlite, c.table, c.cols, c.lead, 1);
            let mut stmt = tx.prepare_cached(&sql).map_err(err)?;
            let run = Val::Int(run_id);
            for position in 0..c.len {
                let row = (c.row)(position);
                let position = Val::Int(position as i64);
                let lead = [&run, &position];
                let lead = &lead[..c.lead.len()];
                stmt.execute(rusqlite::params_from_iter(
                    lead.iter().copied().chain(row.iter()),
                ))
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(run_id)
    }

    /// Runs a query; each row's values are read as `types`.
    pub fn select(
        &self,
        sql: &str,
        params: &[Val],
        types: &[Ty],
    ) -> Result<Vec<Vec<Val>>, HistoryError> {
        let err = |e: rusqlite::Error| self.error(&e, false);
        let mut stmt = self.conn.prepare(sql).map_err(err)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params.iter()), |row| {
                types
                    .iter()
                    .enumerate()
                    .map(|(i, ty)| read(row, i, *ty))
                    .collect::<rusqlite::Result<Vec<Val>>>()
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(err)
    }
}

fn read(row: &rusqlite::Row<'_>, i: usize, ty: Ty) -> rusqlite::Result<Val> {
    Ok(match ty {
        Ty::Text => row
            .get::<_, Option<String>>(i)?
            .map_or(Val::Null, Val::Text),
        Ty::Int => row.get::<_, Option<i64>>(i)?.map_or(Val::Null, Val::Int),
        Ty::Real => row.get::<_, Option<f64>>(i)?.map_or(Val::Null, Val::Real),
        Ty::Bool => row.get::<_, Option<bool>>(i)?.map_or(Val::Null, Val::Bool),
    })
}
