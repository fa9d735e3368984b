//! The history database at its edges, end to end: a PostgreSQL that
//! accepts and never answers, a real one with a table locked, and a locked
//! SQLite file all end within `[history] timeout_secs` (or at a SIGTERM:
//! 130) with every report written; a planted symbolic link and another
//! tool's SQLite file refused untouched; the read-only `history` command
//! and `--compare last` create nothing and are bounded too; a location that
//! may hold a password is refused without repeating it.

#![cfg(unix)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::harness::*;
use crate::history::{assert_history_failed, harness, history_command, runs_in};
use crate::pg_cluster;

/// How long past the deadline a bounded run may take (reports, exit).
const MARGIN: Duration = Duration::from_secs(10);

/// A server on 127.0.0.1 that accepts every connection and never answers
/// nor closes it (a hung PostgreSQL); returns its port and how many
/// connections it accepted. Its thread lives as long as the test process.
fn silent_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    (port, accepted)
}

fn silent_url(port: u16) -> String {
    format!("postgres://audit@127.0.0.1:{port}/tcss")
}

/// A config with `[history] timeout_secs = secs`.
fn config_with_timeout(h: &Harness, secs: u64) -> PathBuf {
    h.config(
        &format!("\n[history]\ntimeout_secs = {secs}\n"),
        MGMT_ACCOUNT,
    )
}

/// `run` in the background with the management keys; stderr in the file.
fn spawn_run(h: &Harness, cfg: &Path, extra: &[&str]) -> (std::process::Child, PathBuf) {
    let mut c = h.command(cfg);
    c.args(extra);
    for (k, v) in MGMT_ENV {
        c.env(k, v);
    }
    h.spawn(c)
}

/// Waits until the run logs that it waits for the history, sends SIGTERM
/// and returns its output and stderr, checking it ended well before its
/// own deadline (60 s).
fn interrupt_the_wait(
    child: std::process::Child,
    log: &Path,
    waiting_for: &str,
) -> (Output, String) {
    let read = || std::fs::read_to_string(log).unwrap_or_default();
    wait_until(Duration::from_secs(30), "the wait to be logged", || {
        read().contains(waiting_for)
    });
    let sent = Instant::now();
    sigterm(&child);
    let o = child.wait_with_output().unwrap();
    assert!(
        sent.elapsed() < MARGIN,
        "ended {:?} after SIGTERM",
        sent.elapsed()
    );
    (o, read())
}

/// The reports of an interrupted recording: every one written, the
/// interrupt in the JSON, the run itself complete.
fn assert_interrupted_with_reports(h: &Harness, o: &Output, log: &str) {
    assert_eq!(o.status.code(), Some(130), "{log}");
    let listed = String::from_utf8_lossy(&o.stdout);
    for ext in DEFAULT_SET {
        assert!(listed.contains(ext), "{ext}: {listed}");
        let _ = h.report(ext);
    }
    let j = h.json();
    let said = j["run"]["history"].as_str().unwrap();
    assert!(
        said.starts_with("not recorded: interrupted (SIGINT/SIGTERM) while waiting"),
        "{said}"
    );
    assert_eq!(j["accounts"][0]["status"], "ok");
}

#[test]
fn a_postgresql_that_never_answers_ends_at_the_deadline_with_the_reports() {
    let (h, _) = harness();
    let cfg = config_with_timeout(&h, 2);
    let (port, accepted) = silent_server();
    let started = Instant::now();
    let o = h.run(&cfg, &MGMT_ENV, &["--history", &silent_url(port)]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2) + MARGIN, "took {took:?}");
    assert_history_failed(&h, &o, "did not answer within 2 s ([history] timeout_secs)");
    assert!(accepted.load(Ordering::SeqCst) >= 1, "the run did connect");
    assert!(
        stderr(&o).contains("no answer after 1 s; giving up after 2 s"),
        "the wait is logged: {}",
        stderr(&o)
    );
}

#[test]
fn sigterm_while_postgresql_never_answers_exits_130_with_the_reports() {
    let (h, _) = harness();
    let cfg = config_with_timeout(&h, 60);
    let (port, _) = silent_server();
    let (child, log) = spawn_run(&h, &cfg, &["--history", &silent_url(port)]);
    let (o, log) = interrupt_the_wait(child, &log, "waiting for the history database");
    assert_interrupted_with_reports(&h, &o, &log);
}

#[test]
fn sigterm_while_a_sqlite_history_is_locked_exits_130_with_the_reports() {
    let (h, _) = harness();
    let cfg = config_with_timeout(&h, 60);
    let db = cfg.parent().unwrap().join("locked.sqlite");
    let o = h.run(&cfg, &MGMT_ENV, &["--history", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::remove_dir_all(h.out()).unwrap();
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (child, log) = spawn_run(&h, &cfg, &["--history", db.to_str().unwrap()]);
    let (o, log) = interrupt_the_wait(
        child,
        &log,
        &format!(
            "waiting for the history database {}: locked by another writer; giving up after 60 s",
            db.display()
        ),
    );
    assert_interrupted_with_reports(&h, &o, &log);
    holder.execute_batch("ROLLBACK").unwrap();
    assert_eq!(
        runs_in(&db).len(),
        1,
        "the interrupted recording left nothing"
    );
}

#[test]
fn a_locked_postgresql_table_ends_at_the_deadline_with_the_reports() {
    let test = "cli_pg_locked";
    let url = match pg_cluster::database(test) {
        Ok(u) => u,
        Err(why) => return pg_cluster::skip(test, &why),
    };
    let (h, _) = harness();
    let cfg = config_with_timeout(&h, 2);
    let o = h.run(&cfg, &MGMT_ENV, &["--history", &url]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::remove_dir_all(h.out()).unwrap();
    // Another session holds the runs table, as a migration or VACUUM FULL would.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let holder = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .batch_execute("BEGIN; LOCK TABLE runs IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();
        client
    });
    let started = Instant::now();
    let o = h.run(&cfg, &MGMT_ENV, &["--history", &url]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2) + MARGIN, "took {took:?}");
    // Our deadline, or the session's lock_timeout just after it.
    let err = stderr(&o);
    let what = if err.contains("lock timeout") {
        "lock timeout"
    } else {
        "did not answer within 2 s"
    };
    assert_history_failed(&h, &o, what);
    let count: i64 = rt.block_on(async {
        holder.batch_execute("COMMIT").await.unwrap();
        holder
            .query_one("SELECT COUNT(*) FROM runs", &[])
            .await
            .unwrap()
            .get(0)
    });
    assert_eq!(count, 1, "nothing of the timed-out run was recorded");
}

/// `out/history.sqlite` as a link to `target`; the run fails to record,
/// writes its reports, exits 1.
fn run_with_planted_link(target: &Path) {
    let (h, cfg) = harness();
    std::fs::create_dir_all(h.out()).unwrap();
    std::os::unix::fs::symlink(target, h.out().join("history.sqlite")).unwrap();
    let o = h.run(&cfg, &MGMT_ENV, &[]);
    assert_history_failed(&h, &o, "is a symbolic link; give the real path");
}

#[test]
fn a_planted_history_link_is_refused_and_its_target_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    // An empty file: a history tcss-report would create its tables in.
    let victim = dir.path().join("victim.db");
    std::fs::write(&victim, b"").unwrap();
    run_with_planted_link(&victim);
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        b"",
        "the target was written"
    );
    let missing = dir.path().join("created-through-a-link.db");
    run_with_planted_link(&missing);
    assert!(!missing.exists(), "the dangling link's target was created");
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "no side file next to the target: {names:?}");
}

/// The bytes of `path` and which of SQLite's side files exist beside it.
fn file_state(path: &Path) -> (Vec<u8>, Vec<bool>) {
    let sides = ["-wal", "-shm", "-journal"]
        .iter()
        .map(|s| {
            let mut p = path.as_os_str().to_owned();
            p.push(s);
            Path::new(&p).exists()
        })
        .collect();
    (std::fs::read(path).unwrap(), sides)
}

#[test]
fn another_tools_sqlite_file_is_refused_untouched_by_run_compare_and_history() {
    let (h, cfg) = harness();
    let foreign = cfg.parent().unwrap().join("notes.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('keep me')")
        .unwrap();
    let before = file_state(&foreign);
    assert_eq!(before.1, [false, false, false]);
    let path = foreign.to_str().unwrap();
    let refused = "is not tcss-report's: it holds 1 tables or views";
    let o = h.run(&cfg, &MGMT_ENV, &["--history", path]);
    assert_history_failed(&h, &o, refused);
    assert_eq!(file_state(&foreign), before, "the run changed it");
    // Read-only lookups: refused too, before any call.
    let calls = h.snapshot().total;
    let o = h.run(&cfg, &MGMT_ENV, &["--history", path, "--compare", "last"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(refused), "{}", stderr(&o));
    assert_eq!(h.snapshot().total, calls, "no call was made");
    let o = history_command(&h, &cfg, &["--history", path]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains(refused), "{}", stderr(&o));
    assert_eq!(file_state(&foreign), before, "a lookup changed it");
}

#[test]
fn the_history_command_creates_nothing_where_nothing_is_recorded() {
    let (h, cfg) = harness();
    let empty = cfg.parent().unwrap().join("empty.sqlite");
    std::fs::write(&empty, b"").unwrap();
    let o = history_command(&h, &cfg, &["--history", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no run was recorded there yet"),
        "{}",
        stderr(&o)
    );
    assert_eq!(file_state(&empty), (Vec::new(), vec![false, false, false]));
    let test = "cli_history_empty_pg";
    let url = match pg_cluster::database(test) {
        Ok(u) => u,
        Err(why) => return pg_cluster::skip(test, &why),
    };
    let o = history_command(&h, &cfg, &["--history", &url]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no run was recorded there yet"),
        "{}",
        stderr(&o)
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tables: i64 = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .query_one(
                "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'public'",
                &[],
            )
            .await
            .unwrap()
            .get(0)
    });
    assert_eq!(tables, 0, "the history command created tables");
}

#[test]
fn lookups_against_a_postgresql_that_never_answers_are_bounded_and_interruptible() {
    let (h, _) = harness();
    let cfg = config_with_timeout(&h, 2);
    let (port, _) = silent_server();
    let url = silent_url(port);
    let started = Instant::now();
    let o = h.run(&cfg, &MGMT_ENV, &["--history", &url, "--compare", "last"]);
    assert!(started.elapsed() < Duration::from_secs(2) + MARGIN);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("did not answer within 2 s"),
        "{}",
        stderr(&o)
    );
    assert_eq!(h.snapshot().total, 0, "no call before the lookup ended");
    // The history command, interrupted while it waits: 130.
    let cfg = config_with_timeout(&h, 60);
    let mut c = bin();
    c.args(["history", "--history", &url, "--config"])
        .arg(&cfg)
        .arg("--out")
        .arg(h.out());
    let (child, log) = h.spawn(c);
    let (o, log) = interrupt_the_wait(child, &log, "waiting for the history database");
    assert_eq!(o.status.code(), Some(130), "{log}");
    assert!(
        log.contains("interrupted (SIGINT/SIGTERM) while waiting"),
        "{log}"
    );
    assert!(o.stdout.is_empty(), "no file written");
}

#[test]
fn locations_that_may_hold_a_password_are_refused_without_repeating_it() {
    const SECRET: &str = "pw-Zq81xK";
    let (h, _) = harness();
    let conninfo = format!("host=127.0.0.1 user=audit password={SECRET} dbname=tcss");
    let url = format!("postgres://audit@127.0.0.1/tcss?sslmode=disable&password={SECRET}");
    let cwd = tempfile::tempdir().unwrap();
    let check = |o: &Output, what: &str| {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(2), "{what}: {all}");
        assert!(
            !all.contains(SECRET),
            "{what}: the password is repeated: {all}"
        );
        for folder in [cwd.path(), h.out().parent().unwrap()] {
            let named: Vec<_> = std::fs::read_dir(folder)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains(SECRET) || n.starts_with("host="))
                .collect();
            assert!(named.is_empty(), "{what}: a file named after it: {named:?}");
        }
    };
    for value in [&conninfo, &url] {
        let cfg = h.config("", MGMT_ACCOUNT);
        let mut c = h.command(&cfg);
        c.args(["--history", value]).current_dir(cwd.path());
        for (k, v) in MGMT_ENV {
            c.env(k, v);
        }
        check(&c.output().unwrap(), "--history");
        let quoted = value.replace('"', "\\\"");
        let cfg = h.config(
            &format!("\n[history]\ndatabase = \"{quoted}\"\n"),
            MGMT_ACCOUNT,
        );
        let o = h.run(&cfg, &MGMT_ENV, &[]);
        check(&o, "[history] database");
        let o = history_command(&h, &cfg, &[]);
        check(&o, "history --config");
    }
    let cfg = h.config("", MGMT_ACCOUNT);
    let mut c = h.command(&cfg);
    c.args(["--history", &conninfo]).current_dir(cwd.path());
    let o = c.output().unwrap();
    assert!(
        stderr(&o).contains("postgres://USER@HOST:PORT/DATABASE"),
        "the right syntax is given: {}",
        stderr(&o)
    );
    assert_eq!(h.snapshot().total, 0, "refused before any call");
}
