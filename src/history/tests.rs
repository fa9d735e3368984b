//! The store on SQLite and on a real PostgreSQL server (a throwaway
//! cluster the tests start; skipped with a line saying why where none can
//! be started): records read back, the latest earlier complete run,
//! migrations from an empty database and from schema version 1, the
//! failures (a folder in the way, a locked file, a newer schema), and the
//! edges: a symbolic link or another tool's database refused untouched,
//! read-only opening that creates and migrates nothing, a lock wait that
//! an interrupt ends, and locations that may hold a password.

use std::time::Duration;

use super::*;
use crate::columns::accounts::{
    DUPLICATE_IMAGES, REMAINING_AUTHORIZED, SCANNED_IMAGES, SCAN_QUOTA_USED, TOTAL_AUTHORIZED,
    USED_AUTHORIZED, UTILIZATION,
};
use crate::model::{HistoryOutcome, OrganizationRun};
use crate::test_support::sample_report;

mod migrations;

#[path = "../../tests/cli/pg_cluster.rs"]
#[allow(dead_code)]
mod pg_cluster;

fn options() -> OpenOptions {
    OpenOptions {
        timeout: Duration::from_secs(5),
        ..OpenOptions::default()
    }
}

/// A report with its own stem, start time and completeness.
fn report(n: u32, complete: bool) -> Aggregate {
    let mut r = sample_report().aggregate;
    r.run.stem = format!("tcss-authorizations-2026020{n}T000000Z");
    r.run.started_at += chrono::Duration::days(i64::from(n));
    r.run.finished_at += chrono::Duration::days(i64::from(n));
    r.generated_at = r.run.finished_at;
    r.run.complete = complete;
    r.run.organizations = vec![OrganizationRun {
        name: "corp".into(),
        management_account: "mgmt".into(),
        members_total: Some(3),
        members_listed: 3,
        members_kept: 2,
        error_code: None,
        error_message: None,
    }];
    r
}

/// The scope of the runs of [`report`].
fn scope() -> scope::Scope {
    scope::Scope::of(&sample_report().aggregate.run)
}

async fn count(store: &Store, table: &str) -> i64 {
    let rows = store
        .select(&format!("SELECT COUNT(*) FROM {table}"), &[], &[Ty::Int])
        .await
        .expect("count");
    rows[0][0].as_int().expect("a count")
}

/// Three runs, the middle one interrupted: each lands whole, and the run
/// before the third is the first (the interrupted one is skipped).
async fn records_and_finds_the_previous_complete_run(location: Location) {
    let mut store = Store::open(&location, &options()).await.expect("open");
    assert_eq!(store.schema_version(), schema::LATEST);
    let first = store.record(&report(1, true)).await.expect("first");
    let second = store.record(&report(2, false)).await.expect("second");
    let third = store.record(&report(3, true)).await.expect("third");
    assert!(first < second && second < third);
    let sample = sample_report().aggregate;
    assert_eq!(count(&store, "runs").await, 3);
    assert_eq!(
        count(&store, "account_snapshots").await,
        3 * sample.accounts.len() as i64
    );
    assert_eq!(
        count(&store, "region_snapshots").await,
        3 * sample.regions.len() as i64
    );
    assert_eq!(count(&store, "organizations").await, 3);

    let prev = store
        .previous_complete_run(third, &scope())
        .await
        .expect("read")
        .expect("a previous run");
    assert_eq!(prev.run, "tcss-authorizations-20260201T000000Z");
    assert_eq!(prev.generated_at, report(1, true).generated_at);
    assert_eq!(prev.accounts.len(), sample.accounts.len());
    for (p, a) in prev.accounts.iter().zip(&sample.accounts) {
        assert_eq!(p.account, a.account);
        assert_eq!(p.uin, a.uin, "UINs are text, exactly");
        assert_eq!(p.status, a.status.as_str());
        assert_eq!(p.values.int(&TOTAL_AUTHORIZED), a.total_authorized);
        assert_eq!(p.values.int(&USED_AUTHORIZED), a.used_authorized);
        assert_eq!(p.values.int(&REMAINING_AUTHORIZED), a.remaining_authorized);
        assert_eq!(p.values.number(&UTILIZATION), a.utilization);
        assert_eq!(p.values.int(&SCANNED_IMAGES), a.scanned_images);
        assert_eq!(p.values.int(&DUPLICATE_IMAGES), a.duplicate_images);
        assert_eq!(p.values.int(&SCAN_QUOTA_USED), a.scan_quota_used);
    }
    let latest = store
        .previous_complete_run(i64::MAX, &scope())
        .await
        .expect("read");
    assert_eq!(
        latest.map(|p| p.run),
        Some("tcss-authorizations-20260203T000000Z".to_string())
    );
    assert_eq!(
        store
            .previous_complete_run(first, &scope())
            .await
            .expect("read"),
        None
    );

    // Tags and every column survive: the tags JSON of the first account.
    let tags = store
        .select(
            &format!(
                "SELECT tags FROM account_snapshots WHERE run_id = {} ORDER BY position",
                store.dialect().param(1)
            ),
            &[Cell::Int(first)],
            &[Ty::Text],
        )
        .await
        .expect("tags");
    let t: serde_json::Value =
        serde_json::from_str(tags[0][0].as_text().expect("tags text")).expect("JSON");
    assert_eq!(t["cost_center"], "=HYPERLINK(\"x\")");

    // The trends: three runs, the incomplete one marked.
    let trends = store.trends(None, None).await.expect("trends");
    assert_eq!(trends.runs.len(), 3);
    assert_eq!(trends.runs[1][3], Cell::Bool(false));
    assert_eq!(trends.accounts.len(), 3 * sample.accounts.len());
    let since = report(2, true).run.started_at;
    assert_eq!(
        store
            .trends(Some(since), None)
            .await
            .expect("since")
            .runs
            .len(),
        2
    );
}

/// A database left at version 1 (a run in it) is migrated to the latest
/// version, keeps its run and takes new ones.
async fn migrates_from_version_one(location: Location) {
    let store = Store::open_at_version(&location, &options(), 1)
        .await
        .expect("v1");
    assert_eq!(store.schema_version(), 1);
    // Written as version 1 did: its columns, not today's.
    migrations::insert_as_released(&store, 1, &report(1, true)).await;
    assert!(
        store
            .select("SELECT COUNT(*) FROM organizations", &[], &[Ty::Int])
            .await
            .is_err(),
        "version 1 has no organizations table"
    );
    drop(store);
    let mut store = Store::open(&location, &options()).await.expect("latest");
    assert_eq!(store.schema_version(), schema::LATEST);
    let versions = store
        .select(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
            &[Ty::Int],
        )
        .await
        .expect("versions");
    let every: Vec<Vec<Cell<'static>>> = (1..=schema::LATEST).map(|v| vec![Cell::Int(v)]).collect();
    assert_eq!(versions, every);
    let id = store.record(&report(2, true)).await.expect("recorded");
    let prev = store
        .previous_complete_run(id, &scope())
        .await
        .expect("read");
    assert_eq!(
        prev.map(|p| p.run),
        Some("tcss-authorizations-20260201T000000Z".into())
    );
    assert_eq!(count(&store, "organizations").await, 1);
}

/// A database migrated by a newer tool is refused, not written.
async fn refuses_a_newer_schema(location: Location) {
    let store = Store::open(&location, &options()).await.expect("open");
    store
        .select_unit(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (99, 'later')",
            &[],
        )
        .await
        .expect("insert");
    drop(store);
    let e = Store::open(&location, &options())
        .await
        .expect_err("too new");
    assert!(matches!(e, HistoryError::TooNew { found: 99, .. }), "{e}");
    assert!(e.to_string().contains("upgrade tcss-report"), "{e}");
}

fn sqlite_file() -> (tempfile::TempDir, Location) {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = Location::Sqlite(dir.path().join(DEFAULT_FILE));
    (dir, location)
}

#[tokio::test]
async fn sqlite_records_runs_and_finds_the_previous_complete_one() {
    let (_dir, location) = sqlite_file();
    records_and_finds_the_previous_complete_run(location).await;
}

#[tokio::test]
async fn sqlite_migrates_from_an_empty_file_and_from_version_one() {
    let (_dir, location) = sqlite_file();
    migrates_from_version_one(location).await;
}

#[tokio::test]
async fn sqlite_refuses_a_newer_schema() {
    let (_dir, location) = sqlite_file();
    refuses_a_newer_schema(location).await;
}

#[tokio::test]
async fn sqlite_a_folder_where_the_file_should_be_is_an_open_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let e = Store::open(&Location::Sqlite(dir.path().to_path_buf()), &options())
        .await
        .expect_err("a folder");
    assert!(matches!(e, HistoryError::Open { .. }), "{e}");
    assert!(e.to_string().contains("is a folder"), "{e}");
}

#[tokio::test]
async fn sqlite_a_file_locked_past_the_timeout_is_a_locked_error() {
    let (dir, location) = sqlite_file();
    Store::open(&location, &options()).await.expect("created");
    let holder = rusqlite::Connection::open(dir.path().join(DEFAULT_FILE)).expect("open");
    holder.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let opts = OpenOptions {
        timeout: Duration::from_millis(300),
        ..options()
    };
    let target = recorder::Target {
        location: location.clone(),
        options: opts,
    };
    let outcome = recorder::record(&target, &report(1, true)).await;
    match outcome {
        HistoryOutcome::Failed { error, .. } => {
            assert!(error.contains("stayed locked"), "{error}")
        }
        other => panic!("recorded while locked: {other:?}"),
    }
    holder.execute_batch("ROLLBACK").expect("unlock");
    let outcome = recorder::record(&target, &report(1, true)).await;
    assert!(
        matches!(outcome, HistoryOutcome::Recorded { run_id: 1, .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn sqlite_reading_a_missing_file_does_not_create_it() {
    let (dir, location) = sqlite_file();
    let found = Store::open_read_only(&location, &options())
        .await
        .expect("nothing recorded is no error");
    assert!(found.is_none(), "nothing recorded there yet");
    assert!(!dir.path().join(DEFAULT_FILE).exists());
}

#[test]
fn locations_parse_and_refuse_passwords_in_urls() {
    let base = std::path::Path::new("/etc/tcss");
    assert_eq!(
        Location::parse("h.sqlite", base).expect("file"),
        Location::Sqlite("/etc/tcss/h.sqlite".into())
    );
    assert_eq!(
        Location::parse("/var/h.sqlite", base).expect("file"),
        Location::Sqlite("/var/h.sqlite".into())
    );
    let url = "postgres://audit@db.example:5432/tcss?sslmode=require";
    assert_eq!(
        Location::parse(url, base).expect("url"),
        Location::Postgres(url.into())
    );
    let e = Location::parse("postgres://audit:hunter2@db/tcss", base).expect_err("password");
    assert!(!e.to_string().contains("hunter2"), "{e}");
    assert!(e.to_string().contains("PGPASSWORD"), "{e}");
    assert!(
        Location::parse("postgres://db.example/tcss", base).is_err(),
        "no user"
    );
    assert!(Location::parse("mysql://x@y/z", base).is_err());
    assert!(Location::parse("", base).is_err());
}

#[test]
fn locations_that_may_hold_a_password_are_refused_without_repeating_it() {
    let base = std::path::Path::new("/etc/tcss");
    for conninfo in [
        "host=db.example user=audit password=hunter2 dbname=tcss",
        "dbname = tcss password=hunter2",
        "user=audit sslmode=require",
        "sslmode=disable host=db password = hunter2",
    ] {
        let e = Location::parse(conninfo, base).expect_err(conninfo);
        assert!(matches!(e, LocationError::ConnInfo), "{conninfo}: {e}");
        let text = e.to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("db.example"),
            "{text}"
        );
        assert!(
            text.contains("postgres://USER@HOST:PORT/DATABASE"),
            "{text}"
        );
    }
    for (url, named) in [
        ("postgres://audit@db/tcss?password=hunter2", true),
        (
            "postgresql://audit@db/tcss?sslmode=require&password=hunter2",
            true,
        ),
        ("mysql://audit:hunter2@db/tcss?password=hunter2", true),
        // Unparsable: not repeated at all.
        ("postgres://audit:hunter2@db:notaport/tcss", false),
    ] {
        let e = Location::parse(url, base).expect_err(url);
        let text = e.to_string();
        assert!(!text.contains("hunter2"), "{text}");
        assert_eq!(text.contains("@db/tcss"), named, "{text}");
    }
    // Paths with `=` that are no connection strings stay paths.
    assert_eq!(
        Location::parse("runs/a=b.sqlite", base).expect("a path"),
        Location::Sqlite("/etc/tcss/runs/a=b.sqlite".into())
    );
}

/// The bytes of a file, and whether SQLite's side files exist next to it.
fn snapshot(path: &std::path::Path) -> (Option<Vec<u8>>, [bool; 3]) {
    let side = |s: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(s);
        std::path::Path::new(&p).exists()
    };
    (
        std::fs::read(path).ok(),
        [side("-wal"), side("-shm"), side("-journal")],
    )
}

#[cfg(unix)]
#[tokio::test]
async fn sqlite_a_symbolic_link_is_refused_and_its_target_left_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("elsewhere.db");
    // Empty: a file the store would create its tables in.
    std::fs::write(&target, b"").expect("target");
    let link = dir.path().join(DEFAULT_FILE);
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let before = snapshot(&target);
    let location = Location::Sqlite(link.clone());
    let e = Store::open(&location, &options())
        .await
        .expect_err("a link");
    assert!(matches!(e, HistoryError::Open { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("is a symbolic link; give the real path"),
        "{e}"
    );
    let e = Store::open_read_only(&location, &options())
        .await
        .expect_err("a link, read-only");
    assert!(e.to_string().contains("symbolic link"), "{e}");
    assert_eq!(snapshot(&target), before, "the target is untouched");
    // A dangling link: its target is not created.
    let missing = dir.path().join("missing.db");
    std::fs::remove_file(&link).expect("unlink");
    std::os::unix::fs::symlink(&missing, &link).expect("dangling symlink");
    let e = Store::open(&location, &options())
        .await
        .expect_err("dangling");
    assert!(e.to_string().contains("symbolic link"), "{e}");
    assert!(!missing.exists(), "the link's target was created");
    // A planted side file: refused before SQLite could follow it.
    std::fs::remove_file(&link).expect("unlink");
    let real = Location::Sqlite(link.clone());
    Store::open(&real, &options()).await.expect("a real file");
    let mut wal = link.as_os_str().to_owned();
    wal.push("-wal");
    let _ = std::fs::remove_file(&wal);
    std::os::unix::fs::symlink(&target, &wal).expect("planted -wal");
    let e = Store::open(&real, &options())
        .await
        .expect_err("a linked -wal");
    assert!(e.to_string().contains("-wal is a symbolic link"), "{e}");
    assert_eq!(snapshot(&target), before, "the target is untouched");
}

#[tokio::test]
async fn sqlite_another_tools_file_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let notes = dir.path().join("notes.db");
    rusqlite::Connection::open(&notes)
        .and_then(|c| {
            c.execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('x')")
        })
        .expect("a file of another tool");
    let migrate = dir.path().join("migrate.db");
    rusqlite::Connection::open(&migrate)
        .and_then(|c| {
            c.execute_batch("CREATE TABLE schema_migrations (version INTEGER, dirty INTEGER)")
        })
        .expect("golang-migrate's table");
    let text = dir.path().join("text.db");
    std::fs::write(
        &text,
        "just some text, long enough to be more than a header ".repeat(4),
    )
    .expect("a text file");
    for (path, what) in [
        (
            &notes,
            "holds 1 tables or views and no tcss-report schema_migrations",
        ),
        (&migrate, "columns (version, dirty), not tcss-report's"),
        (&text, "not a SQLite database"),
    ] {
        let before = snapshot(path);
        let location = Location::Sqlite(path.clone());
        let e = Store::open(&location, &options()).await.expect_err(what);
        assert!(e.to_string().contains(what), "{e}");
        assert!(e.to_string().contains("--history"), "says what to do: {e}");
        let e = Store::open_read_only(&location, &options())
            .await
            .expect_err(what);
        assert!(e.to_string().contains(what), "{e}");
        assert_eq!(snapshot(path), before, "{} changed", path.display());
    }
}

#[tokio::test]
async fn sqlite_read_only_creates_and_migrates_nothing() {
    let (dir, location) = sqlite_file();
    let path = dir.path().join(DEFAULT_FILE);
    std::fs::write(&path, b"").expect("an empty file");
    let found = Store::open_read_only(&location, &options())
        .await
        .expect("empty");
    assert!(found.is_none(), "an empty file holds no run");
    assert_eq!(snapshot(&path), (Some(Vec::new()), [false; 3]));
    std::fs::remove_file(&path).expect("remove");
    let mut v1 = Store::open_at_version(&location, &options(), 1)
        .await
        .expect("v1");
    v1.record(&report(1, true))
        .await
        .expect_err("v1 has no organizations table");
    drop(v1);
    let store = Store::open_read_only(&location, &options())
        .await
        .expect("read v1")
        .expect("a v1 database");
    assert_eq!(store.schema_version(), 1, "read as it is");
    assert_eq!(
        store
            .previous_complete_run(i64::MAX, &scope())
            .await
            .expect("read"),
        None
    );
    assert!(
        store.select_unit("CREATE TABLE x (y)", &[]).await.is_err(),
        "opened read-only"
    );
    drop(store);
    let versions = Store::open_read_only(&location, &options())
        .await
        .expect("again")
        .expect("v1")
        .schema_version();
    assert_eq!(versions, 1, "not migrated");
}

#[tokio::test]
async fn sqlite_a_lock_wait_yields_to_an_interrupt() {
    let (dir, location) = sqlite_file();
    Store::open(&location, &options()).await.expect("created");
    let holder = rusqlite::Connection::open(dir.path().join(DEFAULT_FILE)).expect("open");
    holder.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let (tx, rx) = tokio::sync::watch::channel(false);
    let target = recorder::Target {
        location,
        options: OpenOptions {
            timeout: Duration::from_secs(5),
            cancel: Some(rx),
            ..options()
        },
    };
    let started = std::time::Instant::now();
    let interrupt = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        tx.send(true).expect("send");
    };
    // On this test's one thread: the wait must give the runtime its turn.
    let run = report(1, true);
    let (outcome, ()) = tokio::join!(recorder::record(&target, &run), interrupt);
    let waited = started.elapsed();
    match outcome {
        HistoryOutcome::Failed { error, .. } => assert!(error.contains("interrupted"), "{error}"),
        other => panic!("not interrupted: {other:?}"),
    }
    assert!(waited < Duration::from_secs(3), "answered after {waited:?}");
    holder.execute_batch("ROLLBACK").expect("unlock");
}

/// The PostgreSQL location of a fresh database, or `None` (skipped, said why).
fn postgres(test: &str) -> Option<Location> {
    match pg_cluster::database(test) {
        Ok(url) => Some(Location::Postgres(url)),
        Err(why) => {
            pg_cluster::skip(test, &why);
            None
        }
    }
}

#[tokio::test]
async fn postgres_records_runs_and_finds_the_previous_complete_one() {
    if let Some(l) = postgres("postgres_records_runs") {
        records_and_finds_the_previous_complete_run(l).await;
    }
}

#[tokio::test]
async fn postgres_migrates_from_an_empty_database_and_from_version_one() {
    if let Some(l) = postgres("postgres_migrates") {
        migrates_from_version_one(l).await;
    }
}

#[tokio::test]
async fn postgres_refuses_a_newer_schema() {
    if let Some(l) = postgres("postgres_too_new") {
        refuses_a_newer_schema(l).await;
    }
}

/// A plain connection to the test database at `location`.
async fn raw_client(location: &Location) -> tokio_postgres::Client {
    let Location::Postgres(url) = location else {
        panic!("not PostgreSQL")
    };
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
}

/// The tables and views of the session's schema.
async fn tables_of(client: &tokio_postgres::Client) -> Vec<String> {
    client
        .query(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v') ORDER BY 1",
            &[],
        )
        .await
        .expect("tables")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn postgres_read_only_creates_nothing_and_sessions_give_up_with_us() {
    let Some(location) = postgres("postgres_read_only") else {
        return;
    };
    let found = Store::open_read_only(&location, &options())
        .await
        .expect("an empty database");
    assert!(found.is_none(), "nothing recorded there yet");
    let client = raw_client(&location).await;
    assert_eq!(
        tables_of(&client).await,
        Vec::<String>::new(),
        "nothing created"
    );
    drop(
        Store::open_at_version(&location, &options(), 1)
            .await
            .expect("v1"),
    );
    let store = Store::open_read_only(&location, &options())
        .await
        .expect("read")
        .expect("a v1 database");
    assert_eq!(store.schema_version(), 1, "read as it is, not migrated");
    let settings = store
        .select(
            "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'), \
             current_setting('default_transaction_read_only')",
            &[],
            &[Ty::Text, Ty::Text, Ty::Text],
        )
        .await
        .expect("settings");
    let text = |v: &Cell<'static>| v.as_text().unwrap_or_default().to_string();
    assert_eq!(
        settings[0].iter().map(text).collect::<Vec<_>>(),
        ["5s", "5s", "on"]
    );
    assert!(
        store
            .select_unit("CREATE TABLE x (y int)", &[])
            .await
            .is_err(),
        "a read-only session"
    );
    assert!(!tables_of(&client)
        .await
        .contains(&"organizations".to_string()));
}

#[tokio::test]
async fn postgres_another_tools_schema_is_refused_untouched() {
    for (test, setup, what) in [
        (
            "postgres_foreign_tables",
            "CREATE TABLE notes (t text)",
            "its schema `public` holds 1 tables or views",
        ),
        (
            "postgres_foreign_migrations",
            "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, dirty boolean)",
            "columns (version, dirty), not tcss-report's",
        ),
    ] {
        let Some(location) = postgres(test) else {
            return;
        };
        let client = raw_client(&location).await;
        client
            .batch_execute(setup)
            .await
            .expect("another tool's table");
        let before = tables_of(&client).await;
        let e = Store::open(&location, &options()).await.expect_err(what);
        assert!(matches!(e, HistoryError::Foreign { .. }), "{e}");
        assert!(e.to_string().contains(what), "{e}");
        let e = Store::open_read_only(&location, &options())
            .await
            .expect_err(what);
        assert!(e.to_string().contains(what), "{e}");
        assert_eq!(tables_of(&client).await, before, "nothing created");
        // A schema of its own in the same database (docs/history.md).
        client
            .batch_execute("CREATE SCHEMA tcss")
            .await
            .expect("schema");
        let Location::Postgres(url) = &location else {
            unreachable!()
        };
        let own = Location::parse(
            &format!("{url}&options=-c%20search_path%3Dtcss"),
            std::path::Path::new(""),
        )
        .expect("a URL with options");
        let mut store = Store::open(&own, &options()).await.expect("its own schema");
        store.record(&report(1, true)).await.expect("recorded");
        assert_eq!(tables_of(&client).await, before, "public left as it was");
    }
}

#[tokio::test]
async fn postgres_over_tls_trusts_the_ca_file_and_refuses_an_unknown_issuer() {
    let test = "postgres_over_tls";
    let (url, ca) = match pg_cluster::tls_database(test) {
        Ok(x) => x,
        Err(why) => return pg_cluster::skip(test, &why),
    };
    let location = Location::Postgres(url);
    let e = Store::open(&location, &options())
        .await
        .expect_err("the test CA is not in the system store");
    assert!(matches!(e, HistoryError::Connect { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("certificate is signed by an issuer that is not trusted; add the CA"),
        "{e}"
    );
    let trusted = OpenOptions {
        ca_files: vec![ca],
        ..options()
    };
    let mut store = Store::open(&location, &trusted)
        .await
        .expect("TLS with ca_file");
    store
        .record(&report(1, true))
        .await
        .expect("recorded over TLS");
    let used = store
        .select(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
            &[Ty::Bool],
        )
        .await
        .expect("pg_stat_ssl");
    assert_eq!(
        used,
        vec![vec![Cell::Bool(true)]],
        "the connection is encrypted"
    );
}

#[tokio::test]
async fn postgres_down_is_a_connect_error_naming_the_server() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let url = format!("postgres://audit@127.0.0.1:{port}/tcss?sslmode=disable");
    let e = Store::open(&Location::Postgres(url.clone()), &options())
        .await
        .expect_err("nothing listens");
    assert!(matches!(e, HistoryError::Connect { .. }), "{e}");
    assert!(e.to_string().contains(&url), "{e}");
}

/// Ten thousand accounts of three regions, recorded: the bound is
/// 1 s and 30 MB (SQLite) and 3 s (PostgreSQL), asserted in a release build. `cargo test --release --lib
/// history_cost -- --ignored --nocapture` prints the figures.
#[tokio::test]
#[ignore]
async fn history_cost_of_ten_thousand_accounts_times_three_regions() {
    let report = big_report(10_000, 3);
    let (_dir, sqlite) = sqlite_file();
    let mut targets = vec![("SQLite", sqlite, 1.0)];
    if let Some(pg) = postgres("history_cost") {
        targets.push(("PostgreSQL", pg, 3.0));
    }
    for (name, location, bound) in targets {
        // Resets the peak (VmHWM) to the current size: the figure below is
        // what recording adds, not the report's own memory.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let rss_before = peak_rss_kib();
        let started = std::time::Instant::now();
        let mut store = Store::open(&location, &options()).await.expect("open");
        store.record(&report).await.expect("recorded");
        let secs = started.elapsed().as_secs_f64();
        let rss_after = peak_rss_kib();
        println!(
            "history cost, {name}: {secs:.3} s for 10,000 x 3 ({:.0}% of the {bound} s bound); \
             peak RSS grew {:.1} MB (SQLite bound 30 MB)",
            100.0 * secs / bound,
            (rss_after.saturating_sub(rss_before)) as f64 / 1024.0
        );
        // The bound is for the release build (the bench); a debug build
        // prints its figure only.
        if !cfg!(debug_assertions) {
            assert!(secs <= bound, "{name}: {secs:.3} s > {bound} s");
        }
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn big_report(accounts: usize, regions: usize) -> Aggregate {
    use crate::test_support::{account, data, ok, run_info};
    let names: Vec<String> = (0..regions).map(|i| format!("region-{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut infos = Vec::with_capacity(accounts);
    let mut outcomes = Vec::with_capacity(accounts * regions);
    for i in 0..accounts {
        let mut a = account(&format!("account-{i:05}"), &refs);
        a.uin = Some(format!("{}", 200_000_000_000u64 + i as u64));
        a.tags.insert("team".into(), format!("team-{}", i % 50));
        infos.push(a);
        for r in &refs {
            outcomes.push(ok(i, r, data(1000, (i % 1000) as i64)));
        }
    }
    crate::aggregate::aggregate(
        &infos,
        &outcomes,
        run_info(crate::model::RegionScope::Account),
    )
}

/// A database at schema version 2 read as it is (no scope columns): its
/// runs are full runs of the config they name, simulated as recorded.
async fn an_older_database_is_read_by_scope(location: Location) {
    let store = Store::open_at_version(&location, &options(), 2)
        .await
        .expect("v2");
    migrations::insert_as_released(&store, 2, &report(1, true)).await;
    drop(store);
    let store = Store::open_read_only(&location, &options())
        .await
        .expect("read")
        .expect("a v2 database");
    assert_eq!(store.schema_version(), 2, "read as it is");
    let prev = store
        .previous_complete_run(i64::MAX, &scope())
        .await
        .expect("read");
    assert_eq!(prev.map(|p| p.run), Some(report(1, true).run.stem));
    for other in [
        scope::Scope {
            selection: vec!["--only a".into()],
            ..scope()
        },
        scope::Scope {
            simulated: false,
            ..scope()
        },
        scope::Scope {
            config_path: "/elsewhere/accounts.toml".into(),
            ..scope()
        },
    ] {
        let none = store.previous_complete_run(i64::MAX, &other).await;
        assert_eq!(none.expect("read"), None, "{other:?}");
    }
    let trends = store.trends(None, Some(&scope())).await.expect("trends");
    assert_eq!(trends.runs.len(), 1);
    assert_eq!(
        trends.runs[0].last(),
        Some(&Cell::Text(
            "accounts.toml (simulated) (scope not recorded)".into()
        ))
    );
}

#[tokio::test]
async fn sqlite_an_older_database_is_read_by_scope() {
    let (_dir, location) = sqlite_file();
    an_older_database_is_read_by_scope(location).await;
}

#[tokio::test]
async fn postgres_an_older_database_is_read_by_scope() {
    if let Some(l) = postgres("postgres_older_by_scope") {
        an_older_database_is_read_by_scope(l).await;
    }
}

/// `history --group-by`: the groups the history rebuilds from each run's
/// recorded accounts and tags are the run's own, cell for cell (the rows
/// sharing a UIN counted once, the failed accounts counted not summed, an
/// empty tag untagged), each run's in turn with its lead and scope; the
/// chart's top groups follow a group across runs.
async fn group_trends_are_the_runs_own_groups(location: Location) {
    use crate::columns::groups::GROUPS;
    let mut store = Store::open(&location, &options()).await.expect("open");
    let mut runs = Vec::new();
    for n in 1..=2 {
        let mut agg = crate::groups::tests::fleet();
        agg.run.stem = format!("tcss-authorizations-2026020{n}T000000Z");
        agg.run.started_at += chrono::Duration::days(n);
        if n == 2 {
            // Team `ops` grows in the second run.
            agg.accounts[2].used_authorized = Some(30);
        }
        store.record(&agg).await.expect("record");
        runs.push(agg);
    }
    let keys = vec!["team".to_string(), "cc".to_string()];
    let trends = store.trends(None, None).await.expect("trends");
    let rows = store
        .group_trends(&trends.runs, &keys)
        .await
        .expect("groups");
    let mut expected = Vec::new();
    for (agg, run) in runs.iter().zip(&trends.runs) {
        for g in crate::groups::group(&agg.accounts, &keys).rows {
            let mut row: Vec<Cell<'static>> = run[..4].to_vec();
            row.extend(GROUPS.iter().map(|c| c.cell(&g).into_owned()));
            row.push(run.last().unwrap().clone());
            expected.push(row);
        }
    }
    // A ratio read back is a REAL: compare numbers as numbers.
    let plain = |rows: &[Vec<Cell<'static>>]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| {
                r.iter()
                    .map(|c| match c.as_real() {
                        Some(x) => format!("{x:.12}"),
                        None => format!("{c:?}"),
                    })
                    .collect()
            })
            .collect()
    };
    assert_eq!(plain(&rows), plain(&expected));
    assert_eq!(rows.len(), 2 * (3 + 3));
    let t = trends::Trends {
        group_by: keys,
        groups: rows,
        ..trends
    };
    let top = group_trends::top_groups(&t, "team", 2);
    assert_eq!(top.len(), 2);
    assert_eq!(top[0], ("pay".to_string(), vec![Some(100.0), Some(100.0)]));
    assert_eq!(top[1], ("ops".to_string(), vec![Some(15.0), Some(30.0)]));
    let all = group_trends::top_groups(&t, "team", 5);
    assert_eq!(all[2].0, "(untagged)");
    assert!(group_trends::top_groups(&t, "nope", 5).is_empty());
}

#[tokio::test]
async fn sqlite_group_trends_are_the_runs_own_groups() {
    let (_dir, location) = sqlite_file();
    group_trends_are_the_runs_own_groups(location).await;
}

#[tokio::test]
async fn postgres_group_trends_are_the_runs_own_groups() {
    if let Some(l) = postgres("postgres_group_trends") {
        group_trends_are_the_runs_own_groups(l).await;
    }
}
