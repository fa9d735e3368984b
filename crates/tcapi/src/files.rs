//! Reading the small local files a run depends on (config, tccli profiles,
//! the SDK INI file, CA bundles) without ever blocking or growing without
//! bound: only regular files are read (a FIFO, a device such as `/dev/zero`
//! or a folder is refused before a byte is read), and never more than a cap.
//!
//! The file is opened with `O_NONBLOCK` and checked with `fstat` on the open
//! descriptor, so a FIFO swapped in after a check cannot hang the process.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The largest config file read: 64 MiB.
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024 * 1024;

/// The largest credentials, INI or CA file read: 1 MiB.
pub const MAX_SMALL_FILE_BYTES: u64 = 1024 * 1024;

/// Why a file could not be read. The messages name the file and say what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// There is no such file.
    #[error("{}: no such file", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The path is not a regular file (a folder, a FIFO, a device, a socket).
    #[error("{}: is {kind}, not a regular file", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is instead (`a folder`, `a FIFO (named pipe)`, ...).
        kind: &'static str,
    },
    /// The file is larger than the cap.
    #[error("{}: larger than {limit} bytes; is this the right file?", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The cap, in bytes.
        limit: u64,
    },
    /// Opening or reading failed.
    #[error("{}: cannot read ({reason})", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's words, once.
        reason: String,
        /// The error kind, for callers that branch on it.
        kind: io::ErrorKind,
    },
}

impl FileError {
    /// The file concerned.
    pub fn path(&self) -> &Path {
        match self {
            FileError::NotFound { path }
            | FileError::NotRegular { path, .. }
            | FileError::TooLarge { path, .. }
            | FileError::Io { path, .. } => path,
        }
    }
}

fn kind_of(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A FIFO opened for reading would wait for a writer: never wait.
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Reads a whole regular file of at most `limit` bytes.
pub fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let io_err = |e: io::Error| match e.kind() {
        io::ErrorKind::NotFound => FileError::NotFound {
            path: path.to_path_buf(),
        },
        kind => FileError::Io {
            path: path.to_path_buf(),
            reason: e.to_string(),
            kind,
        },
    };
    let file = open_nonblocking(path).map_err(io_err)?;
    let meta = file.metadata().map_err(io_err)?;
    if let Some(kind) = kind_of(&meta) {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind,
        });
    }
    if meta.len() > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow after the check: never read more than the cap.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.toml");
        std::fs::write(&p, b"hello").unwrap();
        assert_eq!(read_regular_file(&p, 10).unwrap(), b"hello");
    }

    #[test]
    fn refuses_folders_devices_and_big_files() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_regular_file(dir.path(), 10).unwrap_err();
        assert!(
            matches!(
                e,
                FileError::NotRegular {
                    kind: "a folder",
                    ..
                }
            ),
            "{e}"
        );
        let e = read_regular_file(&dir.path().join("missing"), 10).unwrap_err();
        assert!(matches!(e, FileError::NotFound { .. }), "{e}");
        assert!(e.to_string().contains("missing"), "{e}");
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 11]).unwrap();
        let e = read_regular_file(&big, 10).unwrap_err();
        assert!(matches!(e, FileError::TooLarge { limit: 10, .. }), "{e}");
        #[cfg(unix)]
        {
            let e = read_regular_file(Path::new("/dev/zero"), 10).unwrap_err();
            assert!(
                matches!(
                    e,
                    FileError::NotRegular {
                        kind: "a character device",
                        ..
                    }
                ),
                "{e}"
            );
        }
    }

    /// A FIFO with no writer: refused at once instead of waiting forever.
    #[cfg(unix)]
    #[test]
    fn refuses_a_fifo_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("profile.credential");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
        let e = read_regular_file(&fifo, 10).unwrap_err();
        assert!(
            matches!(
                e,
                FileError::NotRegular {
                    kind: "a FIFO (named pipe)",
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("FIFO"), "{e}");
    }
}
