//! The history database's schema: the column types spelt per [`Dialect`],
//! the versioned migrations (data, in `released`: fixed lists and texts
//! that never change once released, spelt per dialect by [`Step::sql`]),
//! the columns a run writes today (the live lists the inserts use; a test
//! checks that the migrations create exactly these), what makes a database
//! ours, and the SQL text the store runs. Append-only: a migration adds
//! tables, columns or indexes, never drops; a new column is a new
//! migration ([`Step::AddColumns`]), never an edit of a released one.

mod released;

use std::sync::LazyLock;

use crate::columns::accounts::ACCOUNTS;
use crate::columns::regions::REGIONS;
use crate::columns::totals::TOTALS;

pub use crate::columns::Ty;

/// The SQL spelling of one database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3 (bundled).
    Sqlite,
    /// PostgreSQL 12 or later.
    Postgres,
}

impl Dialect {
    /// How a column of type `ty` is declared.
    pub fn ty(self, ty: Ty) -> &'static str {
        match (self, ty) {
            (_, Ty::Text) => "TEXT",
            (Dialect::Sqlite, Ty::Int) => "INTEGER",
            (Dialect::Postgres, Ty::Int) => "BIGINT",
            (Dialect::Sqlite, Ty::Real) => "REAL",
            (Dialect::Postgres, Ty::Real) => "DOUBLE PRECISION",
            (Dialect::Sqlite, Ty::Bool) => "INTEGER",
            (Dialect::Postgres, Ty::Bool) => "BOOLEAN",
        }
    }

    fn id(self) -> &'static str {
        match self {
            Dialect::Sqlite => "id INTEGER PRIMARY KEY AUTOINCREMENT",
            Dialect::Postgres => "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
        }
    }

    /// The `n`th (1-based) bind parameter.
    pub fn param(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }
}

use Ty::{Bool, Int, Text};

/// A list of columns with their types.
pub type Cols = &'static [(&'static str, Ty)];

// The live column lists: what a run writes today, in the order of its
// values (`record`): the columns the tables say are kept (`crate::columns`,
// the SQL type of each from its kind). Adding one needs a migration that
// creates it (docs/history.md, "Adding a column to the history"); the
// migrations never read these lists, and a test checks that the migrations
// create exactly them.

/// `runs`: one row per run. After `id`: the run's facts (its scope,
/// `history_key` and `selection`, since version 3), then every kept column
/// of the report's totals ([`RUN_TOTAL_COLUMNS`]), in that order.
pub const RUN_COLUMNS: &[(&str, Ty)] = &[
    ("stem", Text),
    ("started_at", Text),
    ("finished_at", Text),
    ("generated_at", Text),
    ("recorded_at", Text),
    ("tool_version", Text),
    ("config_path", Text),
    ("config_digest", Text),
    ("complete", Bool),
    ("simulated", Bool),
    ("region_scope", Text),
    ("history_key", Text),
    ("selection", Text),
];

/// A list of live columns, made once from a table.
pub type Live = LazyLock<Vec<(&'static str, Ty)>>;

/// The totals columns of `runs`: the totals' kept columns, in their order.
pub static RUN_TOTAL_COLUMNS: Live = LazyLock::new(|| {
    TOTALS
        .iter()
        .filter(|c| c.kept())
        .map(|c| (c.key(), c.kind().ty()))
        .collect()
});

/// `account_snapshots`: after `id`, `run_id` and `position` (the report's
/// order), every kept accounts column in the contract's order, then `tags`
/// (a JSON object).
pub static ACCOUNT_COLUMNS: Live = LazyLock::new(|| {
    ACCOUNTS
        .iter()
        .filter(|c| c.kept)
        .map(|c| (c.key, c.kind.ty()))
        .chain([(TAGS, Text)])
        .collect()
});

/// The `account_snapshots` column holding the account's tags.
pub const TAGS: &str = "tags";

/// `region_snapshots`: after `id`, `run_id` and `position`, every kept
/// regions column in its order.
pub static REGION_COLUMNS: Live = LazyLock::new(|| {
    REGIONS
        .iter()
        .filter(|c| c.kept)
        .map(|c| (c.key, c.kind.ty()))
        .collect()
});

/// `organizations` (schema version 2): after `id` and `run_id`, one row per
/// `[[organizations]]` table of the run (JSON `run.organizations`).
pub const ORGANIZATION_COLUMNS: &[(&str, Ty)] = &[
    ("name", Text),
    ("management_account", Text),
    ("status", Text),
    ("members_total", Int),
    ("members_listed", Int),
    ("members_kept", Int),
    ("error_code", Text),
    ("error_message", Text),
];

/// The columns a snapshot row starts with, before its own.
const RUN_ID: &str = "run_id";
const POSITION: &str = "position";

/// Every column of a `runs` row a run writes: [`RUN_COLUMNS`] then
/// [`RUN_TOTAL_COLUMNS`].
pub fn run_columns() -> Vec<(&'static str, Ty)> {
    let mut cols = RUN_COLUMNS.to_vec();
    cols.extend_from_slice(&RUN_TOTAL_COLUMNS);
    cols
}

/// What a table's rows start with, after `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lead {
    /// Nothing more: `runs`.
    None,
    /// `run_id`, referencing `runs`.
    Run,
    /// `run_id`, then `position` (the report's order).
    RunPosition,
}

impl Lead {
    /// The lead columns' names, in order.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Lead::None => &[],
            Lead::Run => ORGANIZATION_LEAD,
            Lead::RunPosition => SNAPSHOT_LEAD,
        }
    }
}

/// One step of a migration: data, spelt per dialect by [`Step::sql`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `CREATE TABLE name`: `id`, the lead columns, then `cols`.
    Table {
        /// The table.
        name: &'static str,
        /// Its columns after `id` and before `cols`.
        lead: Lead,
        /// Its own columns.
        cols: Cols,
    },
    /// `ALTER TABLE table ADD COLUMN ...`, one statement per column (both
    /// databases): how a new column arrives, in a new migration. Rows
    /// recorded before it hold `NULL` there.
    AddColumns {
        /// The table.
        table: &'static str,
        /// The new columns.
        cols: Cols,
    },
    /// A statement spelt the same in both databases (an index).
    Same(&'static str),
}

impl Step {
    /// The SQL statements of this step in dialect `d`.
    pub fn sql(self, d: Dialect) -> Vec<String> {
        match self {
            Step::Table { name, lead, cols } => vec![create_table(d, name, lead, cols)],
            Step::AddColumns { table, cols } => cols
                .iter()
                .map(|(name, ty)| format!("ALTER TABLE {table} ADD COLUMN {name} {}", d.ty(*ty)))
                .collect(),
            Step::Same(sql) => vec![sql.to_string()],
        }
    }
}

fn create_table(d: Dialect, name: &str, lead: Lead, cols: Cols) -> String {
    let int = d.ty(Int);
    let lead = match lead {
        Lead::None => String::new(),
        Lead::Run => format!(",\n  {RUN_ID} {int} NOT NULL REFERENCES runs(id)"),
        Lead::RunPosition => format!(
            ",\n  {RUN_ID} {int} NOT NULL REFERENCES runs(id),\n  {POSITION} {int} NOT NULL"
        ),
    };
    let cols: String = cols
        .iter()
        .map(|(name, ty)| format!(",\n  {name} {}", d.ty(*ty)))
        .collect();
    format!("CREATE TABLE {name} (\n  {}{lead}{cols}\n)", d.id())
}

/// Every migration, in order: version `i + 1` is `MIGRATIONS[i]`. Each is
/// frozen once released (`released`'s digest test); a new one is appended.
pub const MIGRATIONS: &[&[Step]] = &[
    released::V1,
    released::V2,
    released::V3,
    released::V4,
    released::V5,
];

/// The schema version this build writes.
pub const LATEST: i64 = MIGRATIONS.len() as i64;

/// The SQL statements of migration `version` (1 to [`LATEST`]) in `d`.
pub fn migration(d: Dialect, version: i64) -> Vec<String> {
    MIGRATIONS[(version - 1) as usize]
        .iter()
        .flat_map(|step| step.sql(d))
        .collect()
}

/// Whether `table` has the column `column` at schema `version` (a
/// database of an older version lacks the columns added since: a read
/// asks for them as `NULL`).
pub fn has_column(version: i64, table: &str, column: &str) -> bool {
    let upto = usize::try_from(version).unwrap_or(0).min(MIGRATIONS.len());
    MIGRATIONS[..upto]
        .iter()
        .flat_map(|m| m.iter())
        .any(|step| match *step {
            Step::Table { name, lead, cols } => {
                name == table
                    && (lead.names().contains(&column) || cols.iter().any(|c| c.0 == column))
            }
            Step::AddColumns { table: t, cols } => t == table && cols.iter().any(|c| c.0 == column),
            Step::Same(_) => false,
        })
}

/// What a query selects for `column` of `table` (its name, prefixed with
/// `prefix`) in a database at `version`: the column, or a `NULL` of its
/// type when that version lacks it.
pub fn selected(
    d: Dialect,
    version: i64,
    table: &str,
    prefix: &str,
    column: &str,
    ty: Ty,
) -> String {
    if has_column(version, table, column) {
        format!("{prefix}{column}")
    } else {
        format!("CAST(NULL AS {})", d.ty(ty))
    }
}

/// The columns each table has at schema `version`, after `id` (the lead
/// columns as [`Ty::Int`]), tables in the order they were created.
#[cfg(test)]
pub fn tables_at(version: i64) -> Vec<(&'static str, Vec<(&'static str, Ty)>)> {
    let mut tables: Vec<(&'static str, Vec<(&'static str, Ty)>)> = Vec::new();
    for step in &MIGRATIONS[..version as usize] {
        for step in *step {
            match *step {
                Step::Table { name, lead, cols } => {
                    let mut all: Vec<_> = lead.names().iter().map(|n| (*n, Int)).collect();
                    all.extend_from_slice(cols);
                    tables.push((name, all));
                }
                Step::AddColumns { table, cols } => {
                    if let Some((_, all)) = tables.iter_mut().find(|(name, _)| *name == table) {
                        all.extend_from_slice(cols);
                    }
                }
                Step::Same(_) => {}
            }
        }
    }
    tables
}

/// The columns of tcss-report's `schema_migrations`, in order: a table of
/// that name with other columns is another tool's.
pub const MIGRATIONS_COLUMNS: &[&str] = &["version", "applied_at"];

/// What a database holds, looked at before anything in it is changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// No table at all: ours to create.
    Empty,
    /// tcss-report's `schema_migrations`: ours.
    Ours,
    /// Tables that are not ours: why, in words.
    Foreign(String),
}

/// Judges a database (`place`: "it", or "its schema `public`") from the
/// columns of its `schema_migrations` table (empty: no such table) and how
/// many other tables and views it holds.
pub fn judge(place: &str, migration_columns: &[String], other_tables: i64) -> Found {
    if migration_columns.is_empty() {
        return if other_tables == 0 {
            Found::Empty
        } else {
            Found::Foreign(format!(
                "{place} holds {other_tables} tables or views and no tcss-report \
                 schema_migrations table"
            ))
        };
    }
    if migration_columns
        .iter()
        .map(String::as_str)
        .eq(MIGRATIONS_COLUMNS.iter().copied())
    {
        Found::Ours
    } else {
        Found::Foreign(format!(
            "{place} has a schema_migrations table with the columns ({}), not tcss-report's \
             ({}): another tool's",
            migration_columns.join(", "),
            MIGRATIONS_COLUMNS.join(", ")
        ))
    }
}

/// The table recording which migrations were applied.
pub fn migrations_table(d: Dialect) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS schema_migrations ({} {} PRIMARY KEY, {} TEXT NOT NULL)",
        MIGRATIONS_COLUMNS[0],
        d.ty(Int),
        MIGRATIONS_COLUMNS[1]
    )
}

/// `INSERT INTO table (run_id[, position], cols...) VALUES (...), ...` for
/// `rows` rows, with `RETURNING id` when asked.
pub fn insert(d: Dialect, table: &str, cols: &[(&str, Ty)], lead: &[&str], rows: usize) -> String {
    let names: Vec<&str> = lead
        .iter()
        .copied()
        .chain(cols.iter().map(|(n, _)| *n))
        .collect();
    let width = names.len();
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let params: Vec<String> = (1..=width).map(|c| d.param(r * width + c)).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        names.join(", "),
        values.join(", ")
    )
}

/// The leading columns of a snapshot row.
pub const SNAPSHOT_LEAD: &[&str] = &[RUN_ID, POSITION];
/// The leading column of an organization row.
pub const ORGANIZATION_LEAD: &[&str] = &[RUN_ID];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_columns_are_the_reports_columns_in_order() {
        let accounts: Vec<&str> = ACCOUNT_COLUMNS.iter().map(|c| c.0).collect();
        let keys: Vec<&str> = ACCOUNTS.iter().map(|c| c.key).collect();
        assert_eq!(&accounts[..keys.len()], &keys[..]);
        assert_eq!(accounts[keys.len()..], ["tags"]);
        let regions: Vec<&str> = REGION_COLUMNS.iter().map(|c| c.0).collect();
        let keys: Vec<&str> = REGIONS.iter().map(|c| c.key).collect();
        assert_eq!(&regions[..], &keys[..]);
    }

    #[test]
    fn a_column_exists_from_the_version_that_added_it() {
        assert!(has_column(1, "runs", "used_authorized"));
        assert!(!has_column(2, "runs", "history_key"));
        assert!(has_column(3, "runs", "history_key"));
        assert!(!has_column(3, "runs", "licenses_short"));
        assert!(has_column(LATEST, "runs", "licenses_short"));
        assert!(!has_column(LATEST, "account_snapshots", "licenses_short"));
    }

    #[test]
    fn a_database_is_ours_empty_or_foreign() {
        let cols = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(judge("it", &[], 0), Found::Empty);
        assert_eq!(
            judge("it", &cols(&["version", "applied_at"]), 3),
            Found::Ours
        );
        let Found::Foreign(why) = judge("it", &[], 1) else {
            panic!("a table of another tool")
        };
        assert!(why.contains("holds 1 tables"), "{why}");
        // Rails's and golang-migrate's tables of the same name.
        for other in [&["version"][..], &["version", "dirty"]] {
            let Found::Foreign(why) = judge("its schema `public`", &cols(other), 0) else {
                panic!("{other:?} is not ours")
            };
            assert!(
                why.starts_with("its schema `public` has a schema_migrations"),
                "{why}"
            );
        }
    }

    #[test]
    fn the_insert_text_numbers_every_parameter_once() {
        let sql = insert(
            Dialect::Postgres,
            "t",
            &[("a", Int), ("b", Text)],
            &["run_id"],
            2,
        );
        assert_eq!(
            sql,
            "INSERT INTO t (run_id, a, b) VALUES ($1, $2, $3), ($4, $5, $6)"
        );
        let sql = insert(Dialect::Sqlite, "t", &[("a", Int)], &[], 1);
        assert_eq!(sql, "INSERT INTO t (a) VALUES (?1)");
    }
}
