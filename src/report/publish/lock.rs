//! The folder lock, an advisory `flock` on `<out>/.tcss-report.lock`, held
//! only while a run cleans up after runs that ended and claims its stem
//! (milliseconds). Waiting for it is polled with `try_lock`: logged after a
//! second with the holder the lock file names (`pid=<pid> since=<UTC>`,
//! written by the holder once it has the lock), given up when the run is
//! interrupted or after [`LOCK_WAIT_LIMIT`] (the run then goes on without
//! it: its stem claim does not need it, only the clean-up waits for a later
//! run). The file is opened without following a symlink and refused unless
//! it is a regular file.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use super::{io_error, Interrupted, ReportError, LOCK_FILE};

/// How long a run waits for another run's folder lock before going on
/// without it. The lock is held for milliseconds; a wait this long means a
/// hung process or an older version that held it while writing.
pub const LOCK_WAIT_LIMIT: Duration = Duration::from_secs(60);
/// A wait longer than this is logged, naming the holder.
const LOG_AFTER: Duration = Duration::from_secs(1);
/// How often the lock is tried while another run holds it.
const POLL: Duration = Duration::from_millis(20);

/// The folder lock, held until dropped. Its file then no longer names us.
#[derive(Debug)]
pub(super) struct FolderLock {
    file: File,
    named: bool,
}

impl FolderLock {
    /// Takes the lock on `<out>/.tcss-report.lock` (see the module doc), or
    /// `None` when the run was interrupted or `limit` passed first.
    pub(super) fn acquire(
        out: &Path,
        limit: Duration,
        interrupted: &Interrupted<'_>,
    ) -> Result<Option<FolderLock>, ReportError> {
        let path = out.join(LOCK_FILE);
        let (file, writable) = open(&path)?;
        let started = Instant::now();
        let mut logged = false;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    let named = writable && name_holder(&file).is_ok();
                    return Ok(Some(FolderLock { file, named }));
                }
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(io_error(&path, &e)),
            }
            let waited = started.elapsed();
            let given_up = if interrupted() {
                Some("the run was interrupted".to_string())
            } else if waited >= limit {
                Some(format!("waited {} s", limit.as_secs()))
            } else {
                None
            };
            if let Some(why) = given_up {
                tracing::warn!(
                    "{why}: going on without the folder lock {} ({}); the stem is still \
                     claimed safely, and files left by runs that ended wait for the next run",
                    path.display(),
                    holder(&file)
                );
                return Ok(None);
            }
            if !logged && waited >= LOG_AFTER {
                logged = true;
                tracing::warn!(
                    "waiting for the folder lock {}: {}; going on without it after {} s \
                     or when interrupted",
                    path.display(),
                    holder(&file),
                    limit.as_secs()
                );
            }
            std::thread::sleep(POLL);
        }
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        if self.named {
            let _ = self.file.set_len(0);
        }
    }
}

/// Opens (creating it if missing) the lock file, never through a symlink
/// and never waiting (a FIFO), and checks it is a regular file. Also says
/// whether it may be written: opened for writing, and its only name (a
/// hard link planted there would have us write into another file).
fn open(path: &Path) -> Result<(File, bool), ReportError> {
    let options = |write: bool| {
        let mut o = OpenOptions::new();
        o.read(true).write(write).create(write);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        o
    };
    let opened = match options(true).open(path) {
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            options(false).open(path).map(|f| (f, false))
        }
        other => other.map(|f| (f, true)),
    };
    let refused = || ReportError::Io {
        path: path.to_path_buf(),
        kind: io::ErrorKind::InvalidInput,
        reason: "the lock file is not a regular file; remove it and run again".into(),
    };
    let (file, writable) = opened.map_err(|e| match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => refused(),
        _ => io_error(path, &e),
    })?;
    let meta = file.metadata().map_err(|e| io_error(path, &e))?;
    if !meta.is_file() {
        return Err(refused());
    }
    Ok((file, writable && single_link(&meta)))
}

fn single_link(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.nlink() == 1
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        true
    }
}

/// Writes `pid=<pid> since=<UTC>` into the lock file we hold.
fn name_holder(mut file: &File) -> io::Result<()> {
    let line = format!(
        "pid={} since={}\n",
        std::process::id(),
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(line.as_bytes())
}

/// Who holds the lock, as its file says: `process 4242 holds it (since
/// ...)`, or a sentence saying it does not say.
fn holder(mut file: &File) -> String {
    let mut text = String::new();
    let read = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.take(256).read_to_string(&mut text));
    let field = |key: &str| {
        text.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .map(str::to_string)
    };
    match (read, field("pid=")) {
        (Ok(_), Some(pid)) if plain(&pid, "") => match field("since=") {
            Some(since) if plain(&since, "-:+.TZ") => {
                format!("process {pid} holds it (since {since})")
            }
            _ => format!("process {pid} holds it"),
        },
        _ => "another process holds it (an older tcss-report, or a program that does not \
              say which)"
            .to_string(),
    }
}

/// Digits and `also`, at most 40: what a holder line may put in our log.
fn plain(text: &str, also: &str) -> bool {
    !text.is_empty()
        && text.len() <= 40
        && text.chars().all(|c| c.is_ascii_digit() || also.contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Holds the lock of `out` as another run would, naming `pid=4242`.
    fn held_by_4242(out: &Path) -> File {
        let file = File::create(out.join(LOCK_FILE)).unwrap();
        (&file)
            .write_all(b"pid=4242 since=2026-01-02T03:04:05Z\n")
            .unwrap();
        file.lock().unwrap();
        file
    }

    #[test]
    fn a_held_lock_is_given_up_at_the_limit_or_at_once_when_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let theirs = held_by_4242(dir.path());
        let started = Instant::now();
        let limit = Duration::from_millis(300);
        let got = FolderLock::acquire(dir.path(), limit, &|| false).unwrap();
        assert!(got.is_none());
        assert!(started.elapsed() >= limit, "{:?}", started.elapsed());
        let started = Instant::now();
        let got = FolderLock::acquire(dir.path(), LOCK_WAIT_LIMIT, &|| true).unwrap();
        assert!(got.is_none());
        assert!(started.elapsed() < LOCK_WAIT_LIMIT);
        let (file, _) = open(&dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(
            holder(&file),
            "process 4242 holds it (since 2026-01-02T03:04:05Z)"
        );
        // Their line is left as it was.
        drop(theirs);
        let lock = FolderLock::acquire(dir.path(), limit, &|| false).unwrap();
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert!(
            text.starts_with(&format!("pid={} since=", std::process::id())),
            "{text}"
        );
        assert!(lock.is_some());
        drop(lock);
        assert_eq!(
            std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap(),
            ""
        );
    }

    #[test]
    fn a_holder_line_that_is_not_ours_is_not_repeated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        for text in ["", "pid=12x since=now", "pid=1 since=\u{1b}[31m", "garbage"] {
            std::fs::write(&path, text).unwrap();
            let (file, _) = open(&path).unwrap();
            let said = holder(&file);
            assert!(!said.contains('\u{1b}') && !said.contains("12x"), "{said}");
        }
        std::fs::write(&path, "pid=1 since=\u{1b}[31m").unwrap();
        let (file, _) = open(&path).unwrap();
        assert_eq!(holder(&file), "process 1 holds it");
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_or_hard_link_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        let precious = dir.path().join("precious");
        std::fs::write(&precious, b"keep me").unwrap();
        std::os::unix::fs::symlink(&precious, out.join(LOCK_FILE)).unwrap();
        let err = FolderLock::acquire(&out, LOCK_WAIT_LIMIT, &|| false).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        std::fs::remove_file(out.join(LOCK_FILE)).unwrap();
        std::fs::hard_link(&precious, out.join(LOCK_FILE)).unwrap();
        let lock = FolderLock::acquire(&out, LOCK_WAIT_LIMIT, &|| false).unwrap();
        assert!(lock.is_some());
        drop(lock);
        assert_eq!(std::fs::read(&precious).unwrap(), b"keep me");
    }
}
