//! The store on SQLite and on a real PostgreSQL server (a throwaway
//! cluster the tests start; skipped with a line saying why where none can
//! be started): records read back, the latest earlier complete run,
//! migrations from an empty database and from schema version 1, and the
//! failures (a folder in the way, a locked file, a newer schema).

use std::time::Duration;

use super::*;
use crate::model::{HistoryOutcome, OrganizationRun};
use crate::report::tests::sample_report;

#[path = "../../tests/cli/pg_cluster.rs"]
#[allow(dead_code)]
mod pg_cluster;

fn options() -> OpenOptions {
    OpenOptions {
        timeout: Duration::from_secs(5),
        create: true,
        ..OpenOptions::default()
    }
}

/// A report with its own stem, start time and completeness.
fn report(n: u32, complete: bool) -> Report {
    let mut r = sample_report();
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

async fn count(store: &Store, table: &str) -> i64 {
    let rows = store
        .select(&format!("SELECT COUNT(*) FROM {table}"), &[], &[Ty::Int])
        .await
        .expect("count");
    rows[0][0].int().expect("a count")
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
    let sample = sample_report();
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
        .previous_complete_run(third)
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
        assert_eq!(p.total_authorized, a.total_authorized);
        assert_eq!(p.used_authorized, a.used_authorized);
        assert_eq!(p.remaining_authorized, a.remaining_authorized);
        assert_eq!(p.utilization, a.utilization);
        assert_eq!(p.scanned_images, a.scanned_images);
        assert_eq!(p.duplicate_images, a.duplicate_images);
        assert_eq!(p.scan_quota_used, a.scan_quota_used);
    }
    let latest = store.previous_complete_run(i64::MAX).await.expect("read");
    assert_eq!(
        latest.map(|p| p.run),
        Some("tcss-authorizations-20260203T000000Z".to_string())
    );
    assert_eq!(
        store.previous_complete_run(first).await.expect("read"),
        None
    );

    // Tags and every column survive: the tags JSON of the first account.
    let tags = store
        .select(
            &format!(
                "SELECT tags FROM account_snapshots WHERE run_id = {} ORDER BY position",
                store.dialect().param(1)
            ),
            &[Val::Int(first)],
            &[Ty::Text],
        )
        .await
        .expect("tags");
    let t: serde_json::Value =
        serde_json::from_str(tags[0][0].text().expect("tags text")).expect("JSON");
    assert_eq!(t["cost_center"], "=HYPERLINK(\"x\")");

    // The trends: three runs, the incomplete one marked.
    let trends = store.trends(None).await.expect("trends");
    assert_eq!(trends.runs.len(), 3);
    assert_eq!(trends.runs[1][3], Val::Bool(false));
    assert_eq!(trends.accounts.len(), 3 * sample.accounts.len());
    let since = report(2, true).run.started_at;
    assert_eq!(
        store.trends(Some(since)).await.expect("since").runs.len(),
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
    let mut cols = schema::RUN_COLUMNS.to_vec();
    cols.extend_from_slice(schema::RUN_TOTAL_COLUMNS);
    let first = report(1, true);
    let old = record::from_report(&first, Utc::now());
    let sql = schema::insert(store.dialect(), "runs", &cols, &[], 1);
    store.select_unit(&sql, &old.run).await.expect("a v1 run");
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
    assert_eq!(versions, vec![vec![Val::Int(1)], vec![Val::Int(2)]]);
    let id = store.record(&report(2, true)).await.expect("recorded");
    let prev = store.previous_complete_run(id).await.expect("read");
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
    let opts = OpenOptions {
        create: false,
        ..options()
    };
    let e = Store::open(&location, &opts).await.expect_err("missing");
    assert!(
        e.to_string().contains("no run was recorded there yet"),
        "{e}"
    );
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
        vec![vec![Val::Bool(true)]],
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

fn big_report(accounts: usize, regions: usize) -> Report {
    use crate::aggregate::tests::{account, data, ok, run_info};
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
