//! Publishing at the edges, with the real binary: a folder lock another
//! process holds (the wait logged with the holder, SIGTERM ending it), a
//! lock file that is not a regular file (refused before any call), SIGTERM
//! and `kill -9` while publishing (`TCSS_TEST_PAUSE_BEFORE_PUBLISH_MS`, a
//! debug-build hook, holds the run before each file), and a dead run's
//! half-published set completed by the next run.

#![cfg(unix)]

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use tcss_sim::Fleet;

use crate::harness::*;

const LOCK_FILE: &str = ".tcss-report.lock";
const TEMP_PREFIX: &str = ".tcss-report-tmp-";
/// A process id no process has (above any pid_max).
const DEAD: u32 = 4_294_967_294;
const EXTS: [&str; 6] = [
    ".accounts.csv",
    ".regions.csv",
    ".xlsx",
    ".json",
    ".md",
    ".html",
];

fn harness() -> (Harness, PathBuf) {
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts: vec![mgmt(data(100, 40, 30, 10))],
    });
    let cfg = h.config("", MGMT_ACCOUNT);
    (h, cfg)
}

/// `run` into `out` (not the harness's folder, so one test can use several).
fn run_into(h: &Harness, cfg: &Path, out: &Path) -> Command {
    let mut c = bin();
    c.args(["run", "--config"])
        .arg(cfg)
        .arg("--out")
        .arg(out)
        .envs(MGMT_ENV)
        .env("HOME", h.home());
    c
}

/// A child killed when the test ends early, so no run outlives a failure.
struct Running(Option<Child>);

impl Running {
    fn wait(mut self) -> Output {
        self.0.take().unwrap().wait_with_output().unwrap()
    }
    fn id(&self) -> u32 {
        self.0.as_ref().unwrap().id()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn spawn(h: &Harness, c: Command) -> (Running, PathBuf) {
    let (child, log) = h.spawn(c);
    (Running(Some(child)), log)
}

fn signal(pid: u32, sig: &str) {
    let status = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

fn read(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_default()
}

/// The names in `out` starting with `prefix`, sorted.
fn names(out: &Path, prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    names.sort();
    names
}

fn reports(out: &Path) -> Vec<String> {
    names(out, "tcss-authorizations-")
}

/// The stems of the report files in `out`, each with how many files it has.
fn stems(out: &Path) -> Vec<(String, usize)> {
    let mut stems: Vec<(String, usize)> = Vec::new();
    for name in reports(out) {
        let stem = name.split('.').next().unwrap().to_string();
        match stems.iter_mut().find(|(s, _)| *s == stem) {
            Some((_, n)) => *n += 1,
            None => stems.push((stem, 1)),
        }
    }
    stems
}

/// Every file of the set `stem` is in `out`, and its JSON names it.
fn assert_full_set(out: &Path, stem: &str) {
    for ext in EXTS {
        let path = out.join(format!("{stem}{ext}"));
        let meta = std::fs::metadata(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        assert!(meta.len() > 0, "{path:?} is empty");
    }
    let json: Value =
        serde_json::from_slice(&std::fs::read(out.join(format!("{stem}.json"))).unwrap()).unwrap();
    assert_eq!(json["run"]["stem"], stem);
}

/// The only set in `out`, checked complete; its stem.
fn only_set(out: &Path) -> String {
    let stems = stems(out);
    assert_eq!(stems.len(), 1, "{stems:?}");
    assert_full_set(out, &stems[0].0);
    stems[0].0.clone()
}

#[test]
fn a_run_waiting_for_the_folder_lock_names_the_holder_and_sigterm_still_writes_the_set() {
    let (h, cfg) = harness();
    let out = h.out();
    std::fs::create_dir_all(&out).unwrap();
    // Another process holds the lock, as a run does, naming itself.
    let mut theirs = File::create(out.join(LOCK_FILE)).unwrap();
    theirs
        .write_all(b"pid=4242 since=2026-01-02T03:04:05Z\n")
        .unwrap();
    theirs.lock().unwrap();
    let started = Instant::now();
    let (child, log) = spawn(&h, run_into(&h, &cfg, &out));
    wait_until(Duration::from_secs(30), "the wait to be logged", || {
        read(&log).contains("waiting for the folder lock")
    });
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "logged after a second"
    );
    let logs = read(&log);
    assert!(
        logs.contains("process 4242 holds it (since 2026-01-02T03:04:05Z)"),
        "{logs}"
    );
    assert!(logs.contains(&out.join(LOCK_FILE).display().to_string()));
    signal(child.id(), "TERM");
    let signalled = Instant::now();
    let o = child.wait();
    let logs = read(&log);
    assert_eq!(o.status.code(), Some(130), "{logs}");
    // Not at the end of the wait's bound (60 s): the interrupt ended it.
    assert!(signalled.elapsed() < Duration::from_secs(30), "{logs}");
    assert!(
        logs.contains("the run was interrupted: going on without the folder lock"),
        "{logs}"
    );
    let stem = only_set(&out);
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 6);
    // Every query had answered before the interrupt: the data is complete.
    assert_eq!(h.json()["complete"], true);
    assert_eq!(names(&out, TEMP_PREFIX), Vec::<String>::new());
    // The lock was never ours: its file is as the holder wrote it.
    assert_eq!(
        std::fs::read_to_string(out.join(LOCK_FILE)).unwrap(),
        "pid=4242 since=2026-01-02T03:04:05Z\n"
    );
    drop(theirs);
    // The next run takes the lock at once and the next stem.
    let o = run_into(&h, &cfg, &out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("waiting for the folder lock"));
    assert_eq!(stems(&out).len(), 2, "{:?} after {stem}", stems(&out));
}

#[test]
fn a_lock_file_that_is_not_a_regular_file_exits_2_before_any_call() {
    let (h, cfg) = harness();
    let out = h.out();
    let lock = out.join(LOCK_FILE);
    type Plant = fn(&Path);
    let cases: [(&str, Plant); 3] = [
        ("a FIFO", |p| {
            let made = Command::new("mkfifo").arg(p).status().unwrap();
            assert!(made.success());
        }),
        ("a folder", |p| std::fs::create_dir(p).unwrap()),
        ("a symlink", |p| {
            std::os::unix::fs::symlink("nowhere", p).unwrap()
        }),
    ];
    for (what, plant) in cases {
        std::fs::create_dir_all(&out).unwrap();
        plant(&lock);
        let o = run_into(&h, &cfg, &out).output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{what}: {err}");
        assert!(
            err.contains(&format!(
                "{} is {what}, not a regular file (it is the folder's lock file): remove it",
                lock.display()
            )),
            "{err}"
        );
        assert_eq!(h.snapshot().total, 0, "{what}: no request was served");
        assert_eq!(reports(&out), Vec::<String>::new());
        std::fs::remove_dir_all(&out).unwrap();
    }
}

#[test]
fn sigterm_while_publishing_still_publishes_the_whole_set_and_exits_130() {
    if !cfg!(debug_assertions) {
        eprintln!("skipped: the pause before publishing is a debug-build hook");
        return;
    }
    let (h, cfg) = harness();
    let mut c = run_into(&h, &cfg, &h.out());
    c.env("TCSS_TEST_PAUSE_BEFORE_PUBLISH_MS", "300");
    let (child, log) = spawn(&h, c);
    wait_until(Duration::from_secs(30), "the first file's pause", || {
        read(&log).contains("test pause")
    });
    signal(child.id(), "TERM");
    let o = child.wait();
    let logs = read(&log);
    assert_eq!(o.status.code(), Some(130), "{logs}");
    assert_eq!(logs.matches("test pause").count(), 6, "{logs}");
    only_set(&h.out());
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 6);
    assert_eq!(names(&h.out(), TEMP_PREFIX), Vec::<String>::new());
}

#[test]
fn kill_9_while_publishing_and_the_next_run_completes_the_set() {
    if !cfg!(debug_assertions) {
        eprintln!("skipped: the pause before publishing is a debug-build hook");
        return;
    }
    let (h, cfg) = harness();
    for published in [0, 2, 4] {
        let out = h.out().join(format!("after-{published}"));
        let mut c = run_into(&h, &cfg, &out);
        c.env(
            "TCSS_TEST_PAUSE_BEFORE_PUBLISH_MS",
            format!("60000@{published}"),
        );
        let (child, log) = spawn(&h, c);
        wait_until(Duration::from_secs(30), "the pause after k files", || {
            read(&log).contains("test pause")
        });
        let mid = reports(&out);
        assert_eq!(mid.len(), published, "{mid:?}");
        assert!(
            mid.iter().all(|n| !n.ends_with(".json")),
            "JSON last: {mid:?}"
        );
        signal(child.id(), "KILL");
        let o = child.wait();
        assert_eq!(o.status.code(), None, "killed");
        let staging = names(&out, TEMP_PREFIX);
        assert_eq!(staging.len(), 1, "{staging:?}");
        // `.tcss-report-tmp-<pid>-<random>.<stem>`: the killed run's stem.
        let (_, first) = staging[0]
            .split_once('.')
            .unwrap()
            .1
            .split_once('.')
            .unwrap();
        let first = first.to_string();
        // The next run into the folder.
        let o = run_into(&h, &cfg, &out).output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(0), "{err}");
        let stems = stems(&out);
        assert_eq!(stems.len(), 2, "{stems:?}");
        for (stem, _) in &stems {
            assert_full_set(&out, stem);
        }
        let rolled = err
            .lines()
            .find(|l| l.contains(&format!("rolled forward the set {first}")))
            .unwrap_or_else(|| panic!("{err}"));
        assert!(
            rolled.trim_end().ends_with(&format!("{first}.json")),
            "the JSON last: {rolled}"
        );
        assert_eq!(names(&out, TEMP_PREFIX), Vec::<String>::new());
    }
}

#[test]
fn a_dead_runs_half_published_set_is_rolled_forward_and_other_leftovers_sorted_out() {
    let (h, cfg) = harness();
    let out = h.out();
    let o = run_into(&h, &cfg, &out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let stem = only_set(&out);
    let originals: Vec<(String, Vec<u8>)> = EXTS
        .iter()
        .map(|ext| {
            let name = format!("{stem}{ext}");
            let bytes = std::fs::read(out.join(&name)).unwrap();
            (name, bytes)
        })
        .collect();
    // A run that died while publishing: two files out, three still staged
    // in its complete staging folder.
    let dead = out.join(format!("{TEMP_PREFIX}{DEAD}-abcdefghijkl.{stem}"));
    std::fs::create_dir(&dead).unwrap();
    for ext in [".regions.csv", ".xlsx", ".json"] {
        let name = format!("{stem}{ext}");
        std::fs::rename(out.join(&name), dead.join(&name)).unwrap();
    }
    std::fs::write(dead.join(".complete"), b"").unwrap();
    // One that died while staging (nothing published), and a live one.
    let (half_stem, live_stem) = (
        "tcss-authorizations-20000101T000000Z",
        "tcss-authorizations-20000101T000001Z",
    );
    let half = out.join(format!("{TEMP_PREFIX}{DEAD}-mnopqrstuvwx.{half_stem}"));
    std::fs::create_dir(&half).unwrap();
    std::fs::write(half.join(format!("{half_stem}.xlsx")), b"half").unwrap();
    let live = out.join(format!(
        "{TEMP_PREFIX}{}-zyxwvutsrqpo.{live_stem}",
        std::process::id()
    ));
    std::fs::create_dir(&live).unwrap();
    std::fs::write(live.join(format!("{live_stem}.json")), b"{}").unwrap();
    std::fs::write(live.join(".complete"), b"").unwrap();

    let o = run_into(&h, &cfg, &out).output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    for (name, bytes) in &originals {
        assert_eq!(&std::fs::read(out.join(name)).unwrap(), bytes, "{name}");
    }
    assert!(
        err.contains(&format!(
            "rolled forward the set {stem} of run {DEAD}, which ended while publishing it: \
             published {stem}.regions.csv, {stem}.xlsx, {stem}.json"
        )),
        "{err}"
    );
    assert!(!dead.exists() && !half.exists());
    assert!(live.join(format!("{live_stem}.json")).exists(), "live kept");
    assert_eq!(
        names(&out, TEMP_PREFIX),
        vec![live.file_name().unwrap().to_string_lossy().into_owned()]
    );
    let stems = stems(&out);
    assert_eq!(stems.len(), 2, "{stems:?}");
    assert!(stems.iter().all(|(s, n)| *n == 6 && s != half_stem));
}
