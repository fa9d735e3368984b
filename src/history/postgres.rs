//! The PostgreSQL store (tokio-postgres, TLS by rustls with the API's
//! trust): a session whose `statement_timeout`, `lock_timeout` and
//! `idle_in_transaction_session_timeout` are `[history] timeout_secs` (so
//! the server, too, gives up on what we gave up on), the schema it finds
//! judged before anything changes (another tool's is refused), migrations
//! under a transaction-scoped advisory lock (two runs migrating at once
//! take turns), and each run in one transaction with multi-row `INSERT`s
//! of as many rows as the protocol's 65,535 parameters allow. A read-only
//! session (`--compare last`, the `history` command) migrates nothing.

use std::error::Error as StdError;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use bytes::BytesMut;
use tokio_postgres::config::SslMode;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::{Client, GenericClient};

use super::record::{Children, RunRecord};
use super::schema::{self, Dialect, Found, Ty};
use super::HistoryError;
use crate::columns::{rfc3339, Cell};

/// The most bind parameters one statement may carry.
const MAX_PARAMS: usize = 65_535;
/// The advisory lock key the migrations take ("tcss" in ASCII).
const MIGRATION_LOCK: i64 = 0x7463_7373;

impl ToSql for Cell<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match self {
            Cell::Empty => Ok(IsNull::Yes),
            Cell::Text(s) => s.as_ref().to_sql(ty, out),
            Cell::Int(v) => v.to_sql(ty, out),
            Cell::Ratio(v) | Cell::Num(v) => v.to_sql(ty, out),
            Cell::Bool(v) => v.to_sql(ty, out),
            Cell::Time(t) => rfc3339(t).as_str().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// A connected PostgreSQL history.
#[derive(Debug)]
pub struct Postgres {
    client: Client,
    location: String,
}

/// Where the PostgreSQL password comes from.
#[derive(Debug, Clone, Copy)]
pub struct Connect<'a> {
    /// The URL, without a password.
    pub url: &'a str,
    /// The password, when one is set.
    pub password: Option<&'a str>,
    /// Connect timeout, and the session's statement, lock and idle
    /// transaction timeouts.
    pub timeout: Duration,
    /// Extra trusted roots (the config's `ca_file`).
    pub ca_files: &'a [PathBuf],
    /// Read-only transactions only (`default_transaction_read_only`).
    pub read_only: bool,
}

/// The session settings of a connection: the server gives up when we do.
fn session(timeout: Duration, read_only: bool) -> String {
    let ms = timeout.as_millis().max(1);
    let mut sql = format!(
        "SET statement_timeout = {ms}; SET lock_timeout = {ms}; \
         SET idle_in_transaction_session_timeout = {ms}"
    );
    if read_only {
        sql.push_str("; SET default_transaction_read_only = on");
    }
    sql
}

/// What is wrong with the server's certificate, when that is why the TLS
/// handshake failed, with the fix.
fn certificate_problem(e: &tokio_postgres::Error) -> Option<String> {
    use rustls::CertificateError as C;
    let mut source = e.source();
    while let Some(s) = source {
        let inner = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|i| i.downcast_ref::<rustls::Error>())
            .or_else(|| s.downcast_ref::<rustls::Error>());
        if let Some(rustls::Error::InvalidCertificate(c)) = inner {
            let what = match c {
                C::UnknownIssuer => "is signed by an issuer that is not trusted",
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    "is not valid for this host name"
                }
                C::Expired | C::ExpiredContext { .. } => "has expired",
                C::NotValidYet | C::NotValidYetContext { .. } => "is not valid yet",
                C::Revoked => "is revoked",
                _ => "was refused",
            };
            return Some(format!(
                "the server's TLS certificate {what}; add the CA that signed it to \
                 [defaults] ca_file (the same trust as the API)"
            ));
        }
        source = s.source();
    }
    None
}

/// The server's words when it gave some (`db error: ...` adds nothing).
fn reason(e: &tokio_postgres::Error) -> String {
    if let Some(problem) = certificate_problem(e) {
        return problem;
    }
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut text = e.to_string();
            if let Some(source) = e.source() {
                text = format!("{text}: {source}");
            }
            text
        }
    }
}

impl Postgres {
    /// Connects (TLS as the URL's `sslmode` says, verified like the API's).
    pub async fn connect(c: Connect<'_>) -> Result<Postgres, HistoryError> {
        let location = c.url.to_string();
        let connect_error = |reason: String| HistoryError::Connect {
            location: location.clone(),
            reason,
        };
        let mut config = tokio_postgres::Config::from_str(c.url)
            .map_err(|e| connect_error(format!("invalid URL: {e}")))?;
        config.connect_timeout(c.timeout);
        config.application_name("tcss-report");
        if let Some(p) = c.password {
            config.password(p);
        }
        let client = if config.get_ssl_mode() == SslMode::Disable {
            let (client, conn) = config
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| connect_error(reason(&e)))?;
            tokio::spawn(conn);
            client
        } else {
            let tls = tcapi::rustls_config(c.ca_files).map_err(|e| connect_error(e.to_string()))?;
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls);
            let (client, conn) = config
                .connect(tls)
                .await
                .map_err(|e| connect_error(reason(&e)))?;
            tokio::spawn(conn);
            client
        };
        client
            .batch_execute(&session(c.timeout, c.read_only))
            .await
            .map_err(|e| connect_error(reason(&e)))?;
        Ok(Postgres { client, location })
    }

    /// The schema version of a database read without migrating it: `None`
    /// when nothing was recorded there yet (an empty schema).
    pub async fn recorded_version(&self) -> Result<Option<i64>, HistoryError> {
        if survey(&self.location, &self.client).await? == Found::Empty {
            return Ok(None);
        }
        let version: i64 = self
            .client
            .query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
                &[],
            )
            .await
            .map_err(|e| HistoryError::Read {
                location: self.location.clone(),
                reason: reason(&e),
            })?
            .get(0);
        if version > schema::LATEST {
            return Err(HistoryError::TooNew {
                location: self.location.clone(),
                found: version,
                known: schema::LATEST,
            });
        }
        Ok((version > 0).then_some(version))
    }

    /// Applies the migrations this database lacks, up to `target`.
    pub async fn migrate(&mut self, target: i64) -> Result<i64, HistoryError> {
        let location = self.location.clone();
        let err = |e: tokio_postgres::Error| HistoryError::Write {
            location: location.clone(),
            reason: reason(&e),
        };
        let tx = self.client.transaction().await.map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(err)?;
        // Before anything changes: another tool's schema is left as it is.
        survey(&location, &tx).await?;
        tx.batch_execute(&schema::migrations_table(Dialect::Postgres))
            .await
            .map_err(err)?;
        let current: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
                &[],
            )
            .await
            .map_err(err)?
            .get(0);
        if current > schema::LATEST {
            return Err(HistoryError::TooNew {
                location,
                found: current,
                known: schema::LATEST,
            });
        }
        let now = crate::columns::rfc3339(&chrono::Utc::now());
        for version in current + 1..=target {
            for sql in schema::migration(Dialect::Postgres, version) {
                tx.batch_execute(&sql).await.map_err(err)?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[&version, &now],
            )
            .await
            .map_err(err)?;
        }
        tx.commit().await.map_err(err)?;
        Ok(current.max(target))
    }

    /// Writes one run in one transaction; returns its `runs.id`.
    pub async fn insert(&mut self, rec: &RunRecord<'_>) -> Result<i64, HistoryError> {
        let location = self.location.clone();
        let err = |e: tokio_postgres::Error| HistoryError::Write {
            location: location.clone(),
            reason: reason(&e),
        };
        let tx = self.client.transaction().await.map_err(err)?;
        let sql = format!(
            "{} RETURNING id",
            schema::insert(Dialect::Postgres, "runs", &schema::run_columns(), &[], 1)
        );
        let params: Vec<&(dyn ToSql + Sync)> =
            rec.run.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let run_id: i64 = tx.query_one(&sql, &params).await.map_err(err)?.get(0);
        for c in rec.children() {
            insert_rows(&tx, c, run_id).await.map_err(err)?;
        }
        tx.commit().await.map_err(err)?;
        Ok(run_id)
    }

    /// Runs a query; each row's values are read as `types`.
    pub async fn select(
        &self,
        sql: &str,
        params: &[Cell<'_>],
        types: &[Ty],
    ) -> Result<Vec<Vec<Cell<'static>>>, HistoryError> {
        let read_error = |e: tokio_postgres::Error| HistoryError::Read {
            location: self.location.clone(),
            reason: reason(&e),
        };
        let params: Vec<&(dyn ToSql + Sync)> =
            params.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
        let rows = self.client.query(sql, &params).await.map_err(read_error)?;
        rows.iter()
            .map(|row| {
                types
                    .iter()
                    .enumerate()
                    .map(|(i, ty)| read(row, i, *ty))
                    .collect::<Result<Vec<Cell<'static>>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(read_error)
    }
}

fn read(
    row: &tokio_postgres::Row,
    i: usize,
    ty: Ty,
) -> Result<Cell<'static>, tokio_postgres::Error> {
    Ok(match ty {
        Ty::Text => row
            .try_get::<_, Option<String>>(i)?
            .map_or(Cell::Empty, |s| Cell::Text(s.into())),
        Ty::Int => Cell::int(row.try_get::<_, Option<i64>>(i)?),
        Ty::Real => row
            .try_get::<_, Option<f64>>(i)?
            .map_or(Cell::Empty, Cell::Num),
        Ty::Bool => Cell::bool(row.try_get::<_, Option<bool>>(i)?),
    })
}

/// What the session's schema (`current_schema()`, where the tables
/// are created) holds, before anything changes: tcss-report's tables,
/// nothing, or another tool's (refused).
async fn survey(location: &str, c: &impl GenericClient) -> Result<Found, HistoryError> {
    let read_error = |e: tokio_postgres::Error| HistoryError::Read {
        location: location.to_string(),
        reason: reason(&e),
    };
    let current: Option<String> = c
        .query_one("SELECT current_schema()::text", &[])
        .await
        .map_err(read_error)?
        .get(0);
    let Some(current) = current else {
        return Err(HistoryError::Open {
            location: location.to_string(),
            reason: "the user's search_path names no schema that exists, so there is \
                     nowhere to create the tables; create one, or set search_path"
                .into(),
        });
    };
    let row = c
        .query_one(
            "SELECT ARRAY(SELECT a.attname::text FROM pg_attribute a \
               WHERE a.attrelid = to_regclass(format('%I.schema_migrations', $1::text)) \
               AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum), \
             (SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
               WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') \
               AND c.relname <> 'schema_migrations')",
            &[&current],
        )
        .await
        .map_err(read_error)?;
    let columns: Vec<String> = row.get(0);
    let others: i64 = row.get(1);
    let place = format!("its schema `{current}`");
    Ok(match schema::judge(&place, &columns, others) {
        Found::Foreign(reason) => {
            return Err(HistoryError::Foreign {
                location: location.to_string(),
                reason,
            })
        }
        found => found,
    })
}

/// Inserts the rows of `c` (after `run_id` and, for snapshots, their
/// index) in statements of as many rows as the parameter limit allows.
async fn insert_rows(
    tx: &impl GenericClient,
    c: Children<'_>,
    run_id: i64,
) -> Result<(), tokio_postgres::Error> {
    let width = c.lead.len() + c.cols.len();
    let per_statement = MAX_PARAMS / width;
    let run = Cell::Int(run_id);
    let mut full_batch: Option<tokio_postgres::Statement> = None;
    let mut start = 0;
    while start < c.len {
        let end = (start + per_statement).min(c.len);
        let n = end - start;
        let stmt = match &full_batch {
            Some(s) if n == per_statement => s.clone(),
            _ => {
                let sql = schema::insert(Dialect::Postgres, c.table, c.cols, c.lead, n);
                let s = tx.prepare(&sql).await?;
                if n == per_statement {
                    full_batch = Some(s.clone());
                }
                s
            }
        };
        // One statement's rows at a time.
        let rows: Vec<(Cell<'_>, Vec<Cell<'_>>)> = (start..end)
            .map(|i| (Cell::Int(i as i64), (c.row)(i)))
            .collect();
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(n * width);
        for (position, row) in &rows {
            params.push(&run);
            if c.lead.len() == 2 {
                params.push(position);
            }
            params.extend(row.iter().map(|v| v as &(dyn ToSql + Sync)));
        }
        tx.execute(&stmt, &params).await?;
        start = end;
    }
    Ok(())
}
