//! The `--out` check run before any API call: the folder exists or can be
//! created, is a folder, this process can create files in it, and its lock
//! file (`.tcss-report.lock`), if there is one, is a regular file. A bad
//! `--out` then costs a usage error, not a whole run.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::publish::{os_text, temp_prefix, LOCK_FILE};

/// Why `--out` cannot hold the reports. Each message names the path once and
/// carries the OS error text once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutDirError {
    /// The path exists and is something else (`a file`, `a character device`, ...).
    #[error("--out {} is {what}, not a folder", path.display())]
    NotAFolder {
        /// The `--out` path.
        path: PathBuf,
        /// What it is, with an article: `a file`, `a FIFO`, ...
        what: &'static str,
    },
    /// The folder is missing and could not be created.
    #[error("--out {} cannot be created: {reason}", path.display())]
    Create {
        /// The `--out` path.
        path: PathBuf,
        /// The kind of OS error.
        kind: io::ErrorKind,
        /// The OS error text.
        reason: String,
    },
    /// The folder exists but a file cannot be created in it.
    #[error("--out {} is not writable: {reason}", path.display())]
    NotWritable {
        /// The `--out` path.
        path: PathBuf,
        /// The kind of OS error.
        kind: io::ErrorKind,
        /// The OS error text.
        reason: String,
    },
    /// The folder's lock file is a FIFO, a folder, a symlink, a device...:
    /// no run could take the lock, so the run would be lost at the end.
    #[error(
        "{} is {what}, not a regular file (it is the folder's lock file): remove it \
         (the next run creates it again) and run again",
        path.display()
    )]
    BadLock {
        /// The lock file's path.
        path: PathBuf,
        /// What it is, with an article: `a FIFO`, `a folder`, `a symlink`, ...
        what: &'static str,
    },
}

/// Checks `out` before the run: creates it (and its parents) if missing,
/// refuses anything that is not a folder (a symlink to a folder is fine),
/// creates and removes a temporary file in it, and refuses a lock file
/// that is not a regular file (not following a symlink there).
pub fn check_out_dir(out: &Path) -> Result<(), OutDirError> {
    match fs::metadata(out) {
        Ok(meta) if meta.is_dir() => {}
        Ok(meta) => {
            return Err(OutDirError::NotAFolder {
                path: out.to_path_buf(),
                what: describe(&meta.file_type()),
            })
        }
        Err(_) => fs::create_dir_all(out).map_err(|e| OutDirError::Create {
            path: out.to_path_buf(),
            kind: e.kind(),
            reason: os_text(&e),
        })?,
    }
    // Removed again when dropped; a killed check leaves a name the next run
    // recognises and cleans.
    tempfile::Builder::new()
        .prefix(&temp_prefix())
        .tempfile_in(out)
        .map(drop)
        .map_err(|e| OutDirError::NotWritable {
            path: out.to_path_buf(),
            kind: e.kind(),
            reason: os_text(&e),
        })?;
    check_lock_file(&out.join(LOCK_FILE))
}

/// A missing lock file is fine (the run creates it); anything but a
/// regular file is refused.
fn check_lock_file(path: &Path) -> Result<(), OutDirError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => Err(OutDirError::BadLock {
            path: path.to_path_buf(),
            what: describe(&meta.file_type()),
        }),
        // Missing, a regular file, or unreadable metadata (the lock itself
        // then reports the OS error).
        _ => Ok(()),
    }
}

fn describe(t: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_symlink() {
        "a symlink"
    } else if t.is_dir() {
        "a folder"
    } else if t.is_file() {
        "a file"
    } else {
        "not a folder either"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_folder_is_created_and_left_empty() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a").join("reports");
        check_out_dir(&out).unwrap();
        assert!(out.is_dir());
        assert_eq!(fs::read_dir(&out).unwrap().count(), 0, "probe removed");
        check_out_dir(&out).unwrap();
    }

    #[test]
    fn a_file_or_device_is_refused_in_plain_words() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("reports.csv");
        fs::write(&file, b"x").unwrap();
        let err = check_out_dir(&file).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("--out {} is a file, not a folder", file.display())
        );
        let under = file.join("sub");
        let err = check_out_dir(&under).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("--out {} cannot be created: ", under.display())),
            "{text}"
        );
        assert_eq!(text.matches("os error").count(), 1, "{text}");
        #[cfg(unix)]
        assert_eq!(
            check_out_dir(Path::new("/dev/null"))
                .unwrap_err()
                .to_string(),
            "--out /dev/null is a character device, not a folder"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_file_that_is_not_a_regular_file_is_refused() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("reports");
        let lock = out.join(LOCK_FILE);
        type Plant = fn(&Path);
        let cases: [(&str, Plant); 3] = [
            ("a FIFO", |p| {
                let ok = std::process::Command::new("mkfifo").arg(p).status();
                assert!(ok.unwrap().success());
            }),
            ("a folder", |p| fs::create_dir(p).unwrap()),
            ("a symlink", |p| symlink("nowhere", p).unwrap()),
        ];
        for (what, plant) in cases {
            fs::create_dir_all(&out).unwrap();
            plant(&lock);
            let err = check_out_dir(&out).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "{} is {what}, not a regular file (it is the folder's lock file): remove it \
                     (the next run creates it again) and run again",
                    lock.display()
                )
            );
            fs::remove_dir_all(&out).unwrap();
        }
        fs::create_dir_all(&out).unwrap();
        fs::write(&lock, b"").unwrap();
        check_out_dir(&out).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_folder_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("ro");
        fs::create_dir(&out).unwrap();
        fs::set_permissions(&out, fs::Permissions::from_mode(0o555)).unwrap();
        if fs::write(out.join("probe"), b"x").is_ok() {
            eprintln!("skipped: this process writes into a 0o555 folder anyway (running as root?)");
            return;
        }
        let err = check_out_dir(&out).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "--out {} is not writable: Permission denied (os error 13)",
                out.display()
            )
        );
    }
}
