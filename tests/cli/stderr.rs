//! A broken diagnostic channel never decides whether the data is written
//! (issue 18): with stderr on a full device (`2>/dev/full`), on a full file
//! system (the README's cron line `>> /var/log/tcss-report.log 2>&1` on a
//! full disk: a small tmpfs, where mounting one is permitted) or on a pipe
//! whose reader went away (`| head`), every report of the set and the
//! history are written and the run exits as it would have; the lines
//! stderr did not take are counted in `tcss_report_log_lines_dropped`.
//! stdout (the report paths) broken the same way does not matter either.

#![cfg(unix)]

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use tcss_sim::Fleet;

use crate::harness::*;

const FORMATS: &str = "csv,xlsx,json,md,prom";

/// The files a run with [`FORMATS`] publishes, besides the history.
const SET: [&str; 6] = [
    ".accounts.csv",
    ".regions.csv",
    ".xlsx",
    ".json",
    ".md",
    ".prom",
];

/// mgmt answers; with `failing`, a second account's every query fails.
fn fleet(failing: bool) -> (Harness, PathBuf, Vec<(&'static str, &'static str)>) {
    let mut accounts = vec![mgmt(data(100, 40, 30, 10))];
    let mut config = format!(
        "{MGMT_ACCOUNT}uin = \"{MGMT_UIN}\"\nregions = [\"ap-guangzhou\", \"ap-shanghai\"]\n"
    );
    let mut env = MGMT_ENV.to_vec();
    if failing {
        let mut down = keyed(
            "300000000002",
            "down",
            "AKIDdown0000000000000000000002",
            "down-secret-key-000002",
            data(1, 1, 1, 1),
        );
        down.faults.persistent_error = Some("InternalError.ErrRoleNotExist".into());
        accounts.push(down);
        config.push_str(
            "[[accounts]]\nname = \"down\"\nuin = \"300000000002\"\nsecret_id_env = \"D_ID\"\nsecret_key_env = \"D_KEY\"\n",
        );
        env.extend([
            ("D_ID", "AKIDdown0000000000000000000002"),
            ("D_KEY", "down-secret-key-000002"),
        ]);
    }
    let h = Harness::new(Fleet {
        settings: Default::default(),
        accounts,
    });
    let cfg = h.config("", &config);
    (h, cfg, env)
}

/// `/dev/full` opened for writing, if this system has it.
fn dev_full() -> Option<File> {
    let f = OpenOptions::new().write(true).open("/dev/full").ok();
    if f.is_none() {
        println!("skipped: no /dev/full here");
    }
    f
}

/// The run's command with the formats of [`SET`] and `extra` arguments.
fn command(h: &Harness, cfg: &Path, env: &[(&str, &str)], extra: &[&str]) -> Command {
    let mut c = h.command(cfg);
    c.args(["--formats", FORMATS])
        .args(extra)
        .envs(env.iter().copied());
    c
}

/// Every file of the set is in `out` (one each, no temporary left), and
/// the history holds `runs` runs. Returns the `.prom` text.
fn everything_written(h: &Harness, runs: usize) -> String {
    let names: Vec<String> = std::fs::read_dir(h.out())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("tcss-authorizations-"))
        .collect();
    for ext in SET {
        let n = names.iter().filter(|n| n.ends_with(ext)).count();
        assert_eq!(n, runs, "{ext} files in {names:?}");
    }
    assert_eq!(names.len(), SET.len() * runs, "nothing else: {names:?}");
    let db = rusqlite::Connection::open(h.out().join("history.sqlite")).unwrap();
    let recorded: i64 = db
        .query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
        .unwrap();
    assert_eq!(recorded, runs as i64, "every run is in the history");
    let mut prom: Vec<PathBuf> = std::fs::read_dir(h.out())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "prom"))
        .collect();
    prom.sort();
    std::fs::read_to_string(prom.last().unwrap()).unwrap()
}

/// The value of `tcss_report_log_lines_dropped` in a `.prom` text.
fn dropped(prom: &str) -> u64 {
    prom.lines()
        .find_map(|l| l.strip_prefix("tcss_report_log_lines_dropped "))
        .unwrap_or_else(|| panic!("no tcss_report_log_lines_dropped in\n{prom}"))
        .parse()
        .unwrap()
}

fn code(status: ExitStatus) -> Option<i32> {
    status.code()
}

#[test]
fn stderr_on_a_full_device_loses_log_lines_not_the_run() {
    let Some(full) = dev_full() else { return };
    // A clean run (0), one that logs a lot (-v), one with stdout full too
    // (the report paths), each counting one more run in the history.
    let (h, cfg, env) = fleet(false);
    for (i, extra) in [&[][..], &["-v"][..], &["--log-format", "json"][..]]
        .into_iter()
        .enumerate()
    {
        let mut c = command(&h, &cfg, &env, extra);
        c.stderr(full.try_clone().unwrap());
        if i == 2 {
            c.stdout(full.try_clone().unwrap());
        } else {
            c.stdout(Stdio::null());
        }
        let status = c.status().unwrap();
        assert_eq!(code(status), Some(0), "{extra:?}: {status}");
        let prom = everything_written(&h, i + 1);
        assert!(dropped(&prom) > 0, "{extra:?}: the drops are counted");
    }
    // A failing run still exits 3, with every report.
    let (h, cfg, env) = fleet(true);
    let status = command(&h, &cfg, &env, &["-v"])
        .stderr(full.try_clone().unwrap())
        .stdout(full.try_clone().unwrap())
        .status()
        .unwrap();
    assert_eq!(code(status), Some(3), "{status}");
    let prom = everything_written(&h, 1);
    assert!(
        !prom.contains("tcss_report_queries{status=\"failed\"} 0"),
        "{prom}"
    );
    // What other commands print on stdout, to a full stdout: no panic.
    let mut validate = bin();
    validate
        .args(["validate", "--config"])
        .arg(&cfg)
        .envs(env.iter().copied())
        .stdout(full.try_clone().unwrap());
    assert_eq!(code(validate.status().unwrap()), Some(0), "validate");
    let fleet_file = h.out().with_file_name("generated-fleet.toml");
    let mut generate = bin();
    generate
        .args(["sim", "--generate", "2", "--write-fleet"])
        .arg(&fleet_file)
        .stdout(full.try_clone().unwrap());
    assert_eq!(code(generate.status().unwrap()), Some(0), "sim --generate");
    assert!(fleet_file.is_file());
    // A usage error still exits 2 (its last words dropped too).
    let mut c = bin();
    c.args(["run", "--config", "/nonexistent/accounts.toml"])
        .stderr(full.try_clone().unwrap());
    assert_eq!(code(c.status().unwrap()), Some(2));
}

#[test]
fn stderr_and_stdout_on_pipes_nobody_reads_lose_nothing_else() {
    let (h, cfg, env) = fleet(false);
    for (i, extra) in [&[][..], &["-v"][..]].into_iter().enumerate() {
        let mut child = command(&h, &cfg, &env, extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The readers go away (most likely before the run logs anything:
        // it reads its config first); every write after that gets EPIPE.
        drop(child.stderr.take());
        drop(child.stdout.take());
        let status = child.wait().unwrap();
        assert_eq!(code(status), Some(0), "{extra:?}: {status}");
        everything_written(&h, i + 1);
    }
    // A failing run: 3.
    let (h, cfg, env) = fleet(true);
    let mut child = command(&h, &cfg, &env, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    drop(child.stdout.take());
    assert_eq!(code(child.wait().unwrap()), Some(3));
    everything_written(&h, 1);
}

/// A tmpfs of 64 KiB mounted on a temporary folder, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k", "tcss-report-test"])
            .arg(dir.path())
            .output();
        match o {
            Ok(o) if o.status.success() => Some(SmallDisk { dir }),
            Ok(o) => {
                println!(
                    "skipped: cannot mount a small tmpfs here ({})",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                println!("skipped: no mount command here ({e})");
                None
            }
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
fn the_readme_cron_line_on_a_full_disk_writes_every_report() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    // The log file fills the disk, as an old cron log would.
    let log = disk.dir.path().join("tcss-report.log");
    let mut f = File::create(&log).unwrap();
    let chunk = vec![b'x'; 4096];
    while f.write_all(&chunk).is_ok() {}
    while f.write_all(b"x").is_ok() {}
    drop(f);
    let size = std::fs::metadata(&log).unwrap().len();
    let appending = || OpenOptions::new().append(true).open(&log).unwrap();
    let (h, cfg, env) = fleet(false);
    // `>> /var/log/tcss-report.log 2>&1`
    let status = command(&h, &cfg, &env, &["--log-format", "json"])
        .stdout(appending())
        .stderr(appending())
        .status()
        .unwrap();
    assert_eq!(code(status), Some(0), "{status}");
    let prom = everything_written(&h, 1);
    assert!(dropped(&prom) > 0);
    assert!(std::fs::metadata(&log).unwrap().len() <= size + 4096);
}
