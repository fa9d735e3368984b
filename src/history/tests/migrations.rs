//! The migrations against what earlier releases left behind: the columns a
//! run writes are exactly those the migrations create (computed, and read
//! from a fresh SQLite and PostgreSQL database); a SQLite file an earlier
//! release wrote (`src/history/fixtures/`) and a PostgreSQL database made
//! with the frozen texts of each version are migrated, take a new run and
//! read back both; adding a column is one [`Step::AddColumns`]. The
//! fixtures are made by the ignored test [`make_fixture`].

use std::collections::HashMap;
use std::path::PathBuf;

use super::{count, options, postgres, report, scope, sqlite_file};
use crate::columns::accounts::USED_AUTHORIZED;
use crate::columns::Cell;
use crate::history::schema::{Step, LATEST};
use crate::history::*;
use crate::test_support::sample_report;

/// A table's columns after `id`: names and declared types.
type Columns = Vec<(String, String)>;

/// Every table a run writes and its columns (leads included), from the
/// inserts' own lists, spelt in `d`.
fn written(d: Dialect) -> Vec<(String, Columns)> {
    let spell = |cols: &mut dyn Iterator<Item = (&str, Ty)>| -> Columns {
        cols.map(|(n, ty)| (n.to_string(), d.ty(ty).to_string()))
            .collect()
    };
    let report = sample_report().aggregate;
    let rec = record::from_report(&report, Utc::now());
    let mut tables = vec![(
        "runs".to_string(),
        spell(&mut schema::run_columns().into_iter()),
    )];
    for c in rec.children() {
        let lead = c.lead.iter().map(|n| (*n, Ty::Int));
        let cols = c.cols.iter().copied();
        tables.push((c.table.to_string(), spell(&mut lead.chain(cols))));
    }
    tables
}

/// What the migrations up to `version` create, spelt in `d`.
fn created(d: Dialect, version: i64) -> Vec<(String, Columns)> {
    schema::tables_at(version)
        .into_iter()
        .map(|(t, cols)| {
            let cols = cols
                .iter()
                .map(|(n, ty)| (n.to_string(), d.ty(*ty).to_string()))
                .collect();
            (t.to_string(), cols)
        })
        .collect()
}

/// How what a run writes differs from what a database has (`have`, after
/// every migration): one line per difference, saying what to do.
fn differences(have: &[(String, Columns)], written: &[(String, Columns)]) -> Vec<String> {
    let next = LATEST + 1;
    let mut out = Vec::new();
    let find = |tables: &[(String, Columns)], t: &str| {
        tables
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(t))
            .map(|(_, c)| c.clone())
    };
    for (table, cols) in written {
        let Some(exists) = find(have, table) else {
            out.push(format!(
                "table {table} is written but no migration creates it: add migration {next} \
                 (a Step::Table in history/schema/released.rs, appended to MIGRATIONS)"
            ));
            continue;
        };
        for (col, ty) in cols {
            match exists.iter().find(|(n, _)| n == col) {
                None => out.push(format!(
                    "column {table}.{col} is written but no migration creates it: add \
                     migration {next} (Step::AddColumns {{ table: \"{table}\", cols: \
                     &[(\"{col}\", ...)] }} in history/schema/released.rs, appended to \
                     MIGRATIONS)"
                )),
                Some((_, t)) if !t.eq_ignore_ascii_case(ty) => out.push(format!(
                    "column {table}.{col} is written as {ty} but the migrations create it as {t}"
                )),
                Some(_) => {}
            }
        }
    }
    for (table, cols) in have {
        let theirs = find(written, table).unwrap_or_default();
        for (col, _) in cols.iter().filter(|(n, _)| n != "id") {
            if !theirs.iter().any(|(n, _)| n == col) {
                out.push(format!(
                    "column {table}.{col} is created by the migrations but a run does not \
                     write it: add it to the live column list in history/schema.rs (history \
                     columns are never dropped)"
                ));
            }
        }
    }
    out
}

#[test]
fn the_migrations_create_exactly_the_columns_a_run_writes() {
    // PostgreSQL's spelling tells the four types apart.
    let d = Dialect::Postgres;
    let found = differences(&created(d, LATEST), &written(d));
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The columns of `table` in `tables`.
fn of<'a>(tables: &'a mut [(String, Columns)], table: &str) -> &'a mut Columns {
    &mut tables
        .iter_mut()
        .find(|(t, _)| t == table)
        .unwrap_or_else(|| panic!("no table {table}"))
        .1
}

#[test]
fn a_column_written_without_a_migration_is_named_with_the_fix() {
    let d = Dialect::Postgres;
    let mut more = written(d);
    of(&mut more, "account_snapshots").push(("new_metric".into(), "BIGINT".into()));
    of(&mut more, "runs")[0] = ("stem".into(), "BIGINT".into());
    more.push(("alerts".into(), vec![]));
    let found = differences(&created(d, LATEST), &more);
    let next = LATEST + 1;
    assert_eq!(found.len(), 3, "{found:?}");
    assert!(
        found[0].starts_with(
            "column runs.stem is written as BIGINT but the migrations create it as TEXT"
        ),
        "{found:?}"
    );
    assert!(
        found[1].starts_with(&format!(
            "column account_snapshots.new_metric is written but no migration creates it: add \
             migration {next}"
        )),
        "{found:?}"
    );
    assert!(
        found[2].starts_with(&format!(
            "table alerts is written but no migration creates it: add migration {next}"
        )),
        "{found:?}"
    );
    let mut created = created(d, LATEST);
    of(&mut created, "organizations").push(("old_metric".into(), "TEXT".into()));
    let found = differences(&created, &written(d));
    assert_eq!(
        found,
        [
            "column organizations.old_metric is created by the migrations but a run does not \
          write it: add it to the live column list in history/schema.rs (history columns are \
          never dropped)"
        ]
    );
}

/// The tables of the database behind `store` (but `schema_migrations`) and
/// their columns as the database declares them, `id` included.
async fn columns_of(store: &Store) -> Vec<(String, Columns)> {
    let sql = match store.dialect() {
        Dialect::Sqlite => {
            "SELECT m.name, p.name, p.type FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE m.type = 'table' \
             AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name <> 'schema_migrations' \
             ORDER BY m.rowid, p.cid"
        }
        Dialect::Postgres => {
            "SELECT table_name::text, column_name::text, data_type::text \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name <> 'schema_migrations' \
             ORDER BY table_name, ordinal_position"
        }
    };
    let rows = store
        .select(sql, &[], &[Ty::Text, Ty::Text, Ty::Text])
        .await
        .expect("the columns");
    let mut tables: Vec<(String, Columns)> = Vec::new();
    for row in rows {
        let [t, c, ty] = [0, 1, 2].map(|i| row[i].as_text().unwrap_or_default().to_string());
        match tables.iter_mut().find(|(name, _)| *name == t) {
            Some((_, cols)) => cols.push((c, ty)),
            None => tables.push((t, vec![(c, ty)])),
        }
    }
    tables
}

/// A fresh database, migrated: every column a run writes is there, of its
/// type, and nothing else but `id`.
async fn the_database_has_exactly_the_written_columns(location: Location) {
    let store = Store::open(&location, &options()).await.expect("open");
    let have = columns_of(&store).await;
    let found = differences(&have, &written(store.dialect()));
    assert!(found.is_empty(), "{}", found.join("\n"));
    let mut tables: Vec<String> = have.into_iter().map(|(t, _)| t).collect();
    let mut expected: Vec<String> = written(store.dialect())
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    tables.sort_unstable();
    expected.sort_unstable();
    assert_eq!(tables, expected, "the tables");
}

#[tokio::test]
async fn sqlite_a_fresh_database_has_exactly_the_columns_a_run_writes() {
    let (_dir, location) = sqlite_file();
    the_database_has_exactly_the_written_columns(location).await;
}

#[tokio::test]
async fn postgres_a_fresh_database_has_exactly_the_columns_a_run_writes() {
    if let Some(l) = postgres("postgres_written_columns") {
        the_database_has_exactly_the_written_columns(l).await;
    }
}

/// Inserts `report` into a database at schema `version` the way that
/// version's tcss-report did: into the tables and columns its migrations
/// created, each value the one a run writes into the column of that name.
/// Returns the run's id.
pub(super) async fn insert_as_released(store: &Store, version: i64, report: &Aggregate) -> i64 {
    let d = store.dialect();
    let rec = record::from_report(report, Utc::now());
    let tables = schema::tables_at(version);
    let cols_of = |table: &str| tables.iter().find(|(t, _)| *t == table).map(|(_, c)| c);
    let pick =
        |table: &str, values: &mut HashMap<&str, Cell<'static>>, cols: &[(&'static str, Ty)]| {
            cols.iter()
                .map(|(n, _)| {
                    values.remove(*n).unwrap_or_else(|| {
                        panic!("{table}.{n} (version {version}) is no longer written")
                    })
                })
                .collect::<Vec<Cell<'static>>>()
        };
    let cols = cols_of("runs").expect("runs");
    let mut values: HashMap<&str, Cell<'static>> = schema::run_columns()
        .iter()
        .map(|c| c.0)
        .zip(rec.run.iter().map(|c| c.clone().into_owned()))
        .collect();
    let params = pick("runs", &mut values, cols);
    let sql = format!("{} RETURNING id", schema::insert(d, "runs", cols, &[], 1));
    let ids = store.select(&sql, &params, &[Ty::Int]).await.expect("run");
    let run_id = ids[0][0].as_int().expect("an id");
    for c in rec.children() {
        let Some(cols) = cols_of(c.table) else {
            continue; // Not in this version.
        };
        let sql = schema::insert(d, c.table, cols, &[], 1);
        for i in 0..c.len {
            let mut values: HashMap<&str, Cell<'static>> = c
                .cols
                .iter()
                .map(|c| c.0)
                .zip((c.row)(i).into_iter().map(Cell::into_owned))
                .collect();
            values.insert("run_id", Cell::Int(run_id));
            values.insert("position", Cell::Int(i as i64));
            let params = pick(c.table, &mut values, cols);
            store.select_unit(&sql, &params).await.expect("a row");
        }
    }
    run_id
}

/// A database made by the frozen migrations up to `version` holding two
/// runs written as that version did (the second interrupted) is migrated,
/// takes a new run, and reads back the old runs and the new one.
async fn released_then_migrated(location: Location, version: i64) {
    let store = Store::open_at_version(&location, &options(), version)
        .await
        .expect("the released migrations");
    assert_eq!(store.schema_version(), version);
    let first = report(1, true);
    insert_as_released(&store, version, &first).await;
    insert_as_released(&store, version, &report(2, false)).await;
    drop(store);
    let mut store = Store::open(&location, &options()).await.expect("migrated");
    assert_eq!(store.schema_version(), LATEST);
    let id = store.record(&report(3, true)).await.expect("recorded");
    let prev = store
        .previous_complete_run(id, &scope())
        .await
        .expect("read")
        .expect("the old complete run");
    assert_eq!(prev.run, first.run.stem);
    let accounts: Vec<(&str, Option<&str>)> = prev
        .accounts
        .iter()
        .map(|a| (a.account.as_str(), a.uin.as_deref()))
        .collect();
    let expected: Vec<(&str, Option<&str>)> = first
        .accounts
        .iter()
        .map(|a| (a.account.as_str(), a.uin.as_deref()))
        .collect();
    assert_eq!(accounts, expected, "version {version}");
    let used = crate::columns::totals::count_columns()
        .iter()
        .position(|c| c.key() == "used_authorized")
        .unwrap();
    assert_eq!(prev.totals[used], Cell::Int(112), "version {version}");
    let trends = store.trends(None, Some(&scope())).await.expect("trends");
    let stems: Vec<&str> = trends.runs.iter().filter_map(|r| r[1].as_text()).collect();
    assert_eq!(
        stems,
        [1, 2, 3].map(|n| report(n, true).run.stem),
        "version {version}"
    );
    assert_eq!(trends.runs[1][3], Cell::Bool(false));
    let orgs = if version >= 2 { 3 } else { 1 };
    assert_eq!(count(&store, "organizations").await, orgs);
}

#[tokio::test]
async fn sqlite_the_frozen_migrations_of_every_version_migrate_and_take_new_runs() {
    for version in 1..=LATEST {
        let (_dir, location) = sqlite_file();
        released_then_migrated(location, version).await;
    }
}

#[tokio::test]
async fn postgres_the_frozen_migrations_of_every_version_migrate_and_take_new_runs() {
    for version in 1..=LATEST {
        let Some(location) = postgres(&format!("postgres_released_v{version}")) else {
            return;
        };
        released_then_migrated(location, version).await;
    }
}

/// `--compare last` against a database an earlier release wrote, read
/// as found (read-only, not migrated): the totals it recorded are the
/// previous ones, a total added since (the over-use counts, schema 4) is
/// empty, and asking for it is no error.
async fn an_older_database_gives_the_totals_it_recorded(location: Location) {
    let version = 3;
    let store = Store::open_at_version(&location, &options(), version)
        .await
        .expect("the released migrations");
    let first = report(1, true);
    insert_as_released(&store, version, &first).await;
    drop(store);
    let store = Store::open_read_only(&location, &options())
        .await
        .expect("opened")
        .expect("a history");
    assert_eq!(store.schema_version(), version, "not migrated");
    let prev = store
        .previous_complete_run(i64::MAX, &scope())
        .await
        .expect("read")
        .expect("the run");
    let counts = crate::columns::totals::count_columns();
    assert_eq!(prev.totals.len(), counts.len());
    for (c, then) in counts.iter().zip(&prev.totals) {
        let want = if schema::has_column(version, "runs", c.key()) {
            c.cell(&first.totals).into_owned()
        } else {
            Cell::Empty
        };
        assert_eq!(*then, want, "{}", c.key());
    }
    let short = counts
        .iter()
        .position(|c| c.key() == "licenses_short")
        .unwrap();
    assert_eq!(prev.totals[short], Cell::Empty);
    let used = counts
        .iter()
        .position(|c| c.key() == "used_authorized")
        .unwrap();
    assert_eq!(prev.totals[used], Cell::Int(112));
}

#[tokio::test]
async fn sqlite_an_older_database_gives_the_totals_it_recorded() {
    let (_dir, location) = sqlite_file();
    an_older_database_gives_the_totals_it_recorded(location).await;
}

#[tokio::test]
async fn postgres_an_older_database_gives_the_totals_it_recorded() {
    if let Some(location) = postgres("postgres_older_totals") {
        an_older_database_gives_the_totals_it_recorded(location).await;
    }
}

/// The folder of the SQLite files earlier releases wrote.
fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/history/fixtures")
}

/// A SQLite file an earlier release wrote. One per release that changed
/// the schema; never regenerated.
struct Fixture {
    /// Its file in [`fixtures`].
    file: &'static str,
    /// The schema version the release wrote it at.
    version: i64,
    /// Its runs, oldest first: stem, complete.
    runs: &'static [(&'static str, bool)],
}

const FIXTURES: &[Fixture] = &[Fixture {
    file: "history-v2.sqlite",
    version: 2,
    runs: &[
        ("tcss-authorizations-20260201T000000Z", true),
        ("tcss-authorizations-20260202T000000Z", false),
    ],
}];

/// An account as read straight from a fixture: name, UIN, licenses used.
type OldAccount = (String, Option<String>, Option<i64>);

/// What a fixture holds, read with a plain connection before the store
/// touches it.
struct Held {
    /// Its schema version.
    version: i64,
    /// The statements that made its tables and indexes, in order.
    sql: Vec<String>,
    /// The accounts of its latest complete run, in report order.
    accounts: Vec<OldAccount>,
    /// Its account snapshots, all runs.
    snapshots: i64,
}

fn read_fixture(path: &std::path::Path) -> Held {
    let c = rusqlite::Connection::open(path).expect("the fixture");
    let one = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let version = one("SELECT MAX(version) FROM schema_migrations");
    let snapshots = one("SELECT COUNT(*) FROM account_snapshots");
    let mut stmt = c
        .prepare(
            "SELECT sql FROM sqlite_master WHERE type IN ('table', 'index') AND sql IS NOT NULL \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'schema_migrations' \
             ORDER BY rowid",
        )
        .expect("schema");
    let sql = stmt
        .query_map([], |r| r.get(0))
        .and_then(Iterator::collect)
        .expect("schema");
    let mut stmt = c
        .prepare(
            "SELECT account, uin, used_authorized FROM account_snapshots WHERE run_id = \
             (SELECT id FROM runs WHERE complete ORDER BY started_at DESC, id DESC LIMIT 1) \
             ORDER BY position",
        )
        .expect("accounts");
    let accounts = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(Iterator::collect)
        .expect("accounts");
    Held {
        version,
        sql,
        accounts,
        snapshots,
    }
}

#[tokio::test]
async fn sqlite_a_history_an_earlier_release_wrote_is_migrated_and_takes_new_runs() {
    let mut files: Vec<String> = std::fs::read_dir(fixtures())
        .expect("the fixtures folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let listed: Vec<&str> = FIXTURES.iter().map(|f| f.file).collect();
    assert_eq!(files, listed, "every fixture file is listed in FIXTURES");
    for fixture in FIXTURES {
        a_fixture_is_migrated_and_takes_a_new_run(fixture).await;
    }
}

/// A copy of `f` is opened by the store (migrated to [`LATEST`]), takes a
/// run, and reads back its old runs and the new one.
async fn a_fixture_is_migrated_and_takes_a_new_run(f: &Fixture) {
    let file = f.file;
    let (dir, location) = sqlite_file();
    let path = dir.path().join(DEFAULT_FILE);
    std::fs::copy(fixtures().join(file), &path).expect("copy");
    let held = read_fixture(&path);
    assert_eq!(held.version, f.version, "{file}");
    let texts: Vec<String> = (1..=f.version)
        .flat_map(|v| schema::migration(Dialect::Sqlite, v))
        .collect();
    assert_eq!(
        held.sql, texts,
        "{file}: the released migrations' text changed since it was written (released \
         history migrations never change; add a new migration instead)"
    );
    let mut store = Store::open(&location, &options()).await.expect(file);
    assert_eq!(store.schema_version(), LATEST, "{file}");
    let new = report(9, true);
    let id = store.record(&new).await.expect(file);
    let prev = store
        .previous_complete_run(id, &scope())
        .await
        .expect("read")
        .expect("the old complete run");
    let last_complete = f.runs.iter().rev().find(|r| r.1).expect("a complete run");
    assert_eq!(prev.run, last_complete.0, "{file}");
    let accounts: Vec<OldAccount> = prev
        .accounts
        .iter()
        .map(|a| {
            (
                a.account.clone(),
                a.uin.clone(),
                a.values.int(&USED_AUTHORIZED),
            )
        })
        .collect();
    assert!(!held.accounts.is_empty(), "{file}");
    assert_eq!(accounts, held.accounts, "{file}");
    let trends = store.trends(None, Some(&scope())).await.expect("trends");
    let got: Vec<(&str, Cell<'static>)> = trends
        .runs
        .iter()
        .map(|r| (r[1].as_text().unwrap_or_default(), r[3].clone()))
        .collect();
    let mut expected: Vec<(&str, Cell<'static>)> =
        f.runs.iter().map(|(s, c)| (*s, Cell::Bool(*c))).collect();
    expected.push((&new.run.stem, Cell::Bool(true)));
    assert_eq!(got, expected, "{file}");
    assert_eq!(
        count(&store, "account_snapshots").await,
        held.snapshots + new.accounts.len() as i64,
        "{file}"
    );
}

/// Adding a column is one step: an `ALTER TABLE` per column that both
/// databases take, old rows holding `NULL` there.
async fn adding_a_column_is_one_step(location: Location) {
    let mut store = Store::open(&location, &options()).await.expect("open");
    let id = store.record(&report(1, true)).await.expect("recorded");
    let step = Step::AddColumns {
        table: "account_snapshots",
        cols: &[("new_metric", Ty::Int), ("new_note", Ty::Text)],
    };
    let d = store.dialect();
    let spelt = step.sql(d);
    let int = d.ty(Ty::Int);
    assert_eq!(
        spelt,
        [
            format!("ALTER TABLE account_snapshots ADD COLUMN new_metric {int}"),
            "ALTER TABLE account_snapshots ADD COLUMN new_note TEXT".to_string(),
        ]
    );
    for sql in &spelt {
        store.select_unit(sql, &[]).await.expect(sql);
    }
    let have = columns_of(&store).await;
    let (_, cols) = have
        .iter()
        .find(|(t, _)| t == "account_snapshots")
        .expect("account_snapshots");
    let last: Vec<(String, String)> = cols[cols.len() - 2..].to_vec();
    assert_eq!(
        last,
        [
            ("new_metric".to_string(), int.to_lowercase()),
            ("new_note".to_string(), "text".to_string())
        ]
        .map(|(n, t)| (
            n,
            if d == Dialect::Sqlite {
                t.to_uppercase()
            } else {
                t
            }
        ))
    );
    let nulls = store
        .select(
            &format!(
                "SELECT COUNT(*) FROM account_snapshots WHERE run_id = {} AND new_metric IS NULL",
                d.param(1)
            ),
            &[Cell::Int(id)],
            &[Ty::Int],
        )
        .await
        .expect("count");
    assert_eq!(
        nulls[0][0],
        Cell::Int(sample_report().aggregate.accounts.len() as i64),
        "old rows hold NULL"
    );
}

#[tokio::test]
async fn sqlite_adding_a_column_is_one_step() {
    let (_dir, location) = sqlite_file();
    adding_a_column_is_one_step(location).await;
}

#[tokio::test]
async fn postgres_adding_a_column_is_one_step() {
    if let Some(l) = postgres("postgres_adding_a_column") {
        adding_a_column_is_one_step(l).await;
    }
}

/// Writes `src/history/fixtures/history-v<LATEST>.sqlite`: this release's
/// migrations and two runs (the second interrupted), journal mode DELETE
/// (no `-wal`), 1 KiB pages and vacuumed (small). Made once per release
/// that changes the schema, committed, added to [`FIXTURES`], never
/// regenerated (it stands for what that release wrote):
/// `cargo test --lib make_fixture -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn make_fixture() {
    let target = fixtures().join(format!("history-v{LATEST}.sqlite"));
    assert!(
        !target.exists(),
        "{} exists: a fixture stands for what its release wrote and is never regenerated",
        target.display()
    );
    let (dir, location) = sqlite_file();
    let mut store = Store::open(&location, &options()).await.expect("open");
    store.record(&report(1, true)).await.expect("first");
    store.record(&report(2, false)).await.expect("second");
    drop(store);
    let path = dir.path().join(DEFAULT_FILE);
    let c = rusqlite::Connection::open(&path).expect("open");
    c.execute_batch("PRAGMA journal_mode = DELETE; PRAGMA page_size = 1024; VACUUM;")
        .expect("compact");
    drop(c);
    std::fs::create_dir_all(fixtures()).expect("folder");
    std::fs::copy(&path, &target).expect("copy");
    println!(
        "wrote {} ({} bytes)",
        target.display(),
        std::fs::metadata(&target).expect("size").len()
    );
}
