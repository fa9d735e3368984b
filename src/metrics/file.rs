//! `--metrics-file`: the metrics at one fixed path, replaced atomically, so
//! node_exporter's textfile collector (which reads `*.prom` files of its
//! folder at any moment) never sees half a file.
//!
//! The text goes to a temporary file in the same folder (a name starting
//! with `.` and not ending in `.prom`, so the collector skips it), is synced,
//! and is renamed over the path; then the folder is synced. The file is
//! readable as any file the tool writes (0o666 less the umask), so a
//! collector running as another user can read it.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::Builder;

/// The metrics file could not be written; the old one, if any, is intact.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the metrics file {}: {reason}; check --metrics-file and that its folder exists and is writable", path.display())]
#[non_exhaustive]
pub struct MetricsFileError {
    /// The path asked for.
    pub path: PathBuf,
    /// The kind of OS error.
    pub kind: io::ErrorKind,
    /// The OS error text.
    pub reason: String,
}

/// Replaces `path` with `text` atomically (see the module doc).
pub fn write_atomically(path: &Path, text: &str) -> Result<(), MetricsFileError> {
    let fail = |e: &io::Error| MetricsFileError {
        path: path.to_path_buf(),
        kind: e.kind(),
        reason: crate::report::publish::os_text(e),
    };
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
    let prefix = crate::report::publish::temp_prefix();
    let mut tmp = temp_builder(&prefix)
        .tempfile_in(folder)
        .map_err(|e| fail(&e))?;
    tmp.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
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
        assert_eq!(err.kind, io::ErrorKind::NotFound);
        let text = err.to_string();
        assert!(text.contains("no-such-folder/tcss.prom"), "{text}");
        assert_eq!(text.matches("os error").count(), 1, "{text}");
        assert!(names(dir.path()).is_empty());
    }
}
