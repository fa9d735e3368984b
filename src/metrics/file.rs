//! `--metrics-file`: the metrics at one fixed path, replaced atomically, so
//! node_exporter's textfile collector (which reads `*.prom` files of its
//! folder at any moment) never sees half a file.
//!
//! The text goes to a temporary file in the same folder (a name starting
//! with `.` and not ending in `.prom`, so the collector skips it), is synced,
//! and is renamed over the path; then the folder is synced. The file is
//! readable as any file the tool writes (0o666 less the umask), so a
//! collector running as another user can read it.
//!
//! Only a regular file (or nothing) is ever replaced: a path that is a
//! device (`/dev/null` as root would become a regular file), a FIFO, a
//! socket, a folder or a symbolic link (the rename would replace the link,
//! not the file it points to) is refused by [`check_target`], before the
//! run calls anything and again just before the rename.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::Builder;

/// The metrics file could not be written; what was at the path is intact.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsFileError {
    /// Creating, writing or renaming the file failed.
    #[error("cannot write the metrics file {}: {reason}; check --metrics-file and that its folder exists and is writable", path.display())]
    Io {
        /// The path asked for.
        path: PathBuf,
        /// The kind of OS error.
        kind: io::ErrorKind,
        /// The OS error text.
        reason: String,
    },
    /// Something other than a regular file is at the path: never replaced.
    #[error("--metrics-file {} is {what}, not a regular file; give the path of a regular file to replace (or of none yet)", path.display())]
    NotRegular {
        /// The path asked for.
        path: PathBuf,
        /// What is there, with an article: `a character device`, `a FIFO`, ...
        what: &'static str,
    },
}

/// Refuses a path at which something other than a regular file exists
/// (see the module doc); nothing there, or a regular file, is fine. A path
/// that cannot be looked at (a folder on the way that cannot be searched)
/// is refused with the OS error.
pub fn check_target(path: &Path) -> Result<(), MetricsFileError> {
    match fs::symlink_metadata(path) {
        Ok(meta) => match kind_of(&meta.file_type()) {
            None => Ok(()),
            Some(what) => Err(MetricsFileError::NotRegular {
                path: path.to_path_buf(),
                what,
            }),
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error(path, &e)),
    }
}

/// What a file type is, with an article; `None` for a regular file.
fn kind_of(t: &fs::FileType) -> Option<&'static str> {
    if t.is_file() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let unix = [
            (t.is_char_device(), "a character device"),
            (t.is_block_device(), "a block device"),
            (t.is_fifo(), "a FIFO (named pipe)"),
            (t.is_socket(), "a socket"),
        ];
        if let Some((_, what)) = unix.into_iter().find(|(is, _)| *is) {
            return Some(what);
        }
    }
    Some(if t.is_dir() {
        "a folder"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "something else"
    })
}

fn io_error(path: &Path, e: &io::Error) -> MetricsFileError {
    MetricsFileError::Io {
        path: path.to_path_buf(),
        kind: e.kind(),
        reason: crate::report::publish::os_text(e),
    }
}

/// Replaces `path` with `text` atomically (see the module doc).
pub fn write_atomically(path: &Path, text: &str) -> Result<(), MetricsFileError> {
    let fail = |e: &io::Error| io_error(path, e);
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if path.file_name().is_none() {
        return Err(fail(&io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path names no file",
        )));
    }
    check_target(path)?;
    let prefix = crate::report::publish::temp_prefix();
    let mut tmp = temp_builder(&prefix)
        .tempfile_in(folder)
        .map_err(|e| fail(&e))?;
    tmp.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
    // Again: the run may have lasted long enough for the path to change.
    check_target(path)?;
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    #[cfg(unix)]
    if let Err(e) = fs::File::open(folder).and_then(|d| d.sync_all()) {
        tracing::warn!("could not sync the folder {}: {e}", folder.display());
    }
    Ok(())
}

/// `<prefix><random>.tmp` (the prefix is `.tcss-report-tmp-<pid>-`, so a
/// file left by a killed run in a report folder is cleaned up like the
/// others), 0o666 less the umask on Unix.
fn temp_builder(prefix: &str) -> Builder<'_, 'static> {
    let mut builder = Builder::new();
    builder.prefix(prefix).suffix(".tmp").rand_bytes(12);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    builder
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn the_file_is_replaced_whole_and_no_temporary_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tcss.prom");
        write_atomically(&path, "a 1\n").unwrap();
        write_atomically(&path, "a 2\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "a 2\n");
        assert_eq!(names(dir.path()), ["tcss.prom"]);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_readable_by_others() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tcss.prom");
        write_atomically(&path, "a 1\n").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o044, 0o044 & !umask_of(dir.path()), "{mode:o}");
    }

    /// The umask, from a file created with 0o666.
    #[cfg(unix)]
    fn umask_of(dir: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        let probe = temp_builder(".probe-").tempfile_in(dir).unwrap();
        !probe.as_file().metadata().unwrap().permissions().mode() & 0o666
    }

    #[test]
    fn a_missing_folder_names_the_path_and_keeps_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no-such-folder").join("tcss.prom");
        let err = write_atomically(&path, "a 1\n").unwrap_err();
        assert!(
            matches!(
                err,
                MetricsFileError::Io {
                    kind: io::ErrorKind::NotFound,
                    ..
                }
            ),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.contains("no-such-folder/tcss.prom"), "{text}");
        assert_eq!(text.matches("os error").count(), 1, "{text}");
        assert!(names(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn only_a_regular_file_is_ever_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("socket.prom");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let folder = dir.path().join("folder.prom");
        fs::create_dir(&folder).unwrap();
        let regular = dir.path().join("regular.prom");
        fs::write(&regular, "old\n").unwrap();
        let link = dir.path().join("link.prom");
        std::os::unix::fs::symlink(&regular, &link).unwrap();
        for (path, what) in [
            (&socket, "a socket"),
            (&folder, "a folder"),
            (&link, "a symbolic link"),
        ] {
            let err = write_atomically(path, "a 1\n").unwrap_err();
            assert!(
                matches!(err, MetricsFileError::NotRegular { what: w, .. } if w == what),
                "{path:?}: {err:?}"
            );
            let text = err.to_string();
            assert!(
                text.contains(&format!("{} is {what}, not a regular file", path.display())),
                "{text}"
            );
        }
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::symlink_metadata(&socket)
            .unwrap()
            .file_type()
            .is_socket());
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&regular).unwrap(), "old\n");
        assert_eq!(names(dir.path()).len(), 4, "no temporary left");
        check_target(&regular).unwrap();
        check_target(&dir.path().join("none-yet.prom")).unwrap();
    }
}
