//! Publishing a run's report files as one set into `--out`.
//!
//! This module owns how files reach the folder: the folder lock
//! (`<out>/.tcss-report.lock`), the choice of a stem no other run has taken,
//! the private staging folder the files are written in first
//! (`.tcss-report-tmp-<pid>-<random>`), publishing them without ever replacing
//! an existing file, the JSON-kept rule when one file fails, and cleaning up
//! the staging folders of runs that were killed. It does not know what a
//! file contains: the parent module's `write_part` writes each one.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use tempfile::{Builder, NamedTempFile, TempDir};

use super::{Format, Part, ReportError};
use crate::aggregate::Report;

/// Prefix of every temporary file or folder this tool creates in `--out`,
/// followed by `<pid>-` and random characters.
pub const TEMP_PREFIX: &str = ".tcss-report-tmp-";
/// The lock file serializing runs that write into one folder.
pub const LOCK_FILE: &str = ".tcss-report.lock";
/// Where the process id cannot be checked, temporary files older than this
/// are taken as left by a killed run.
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// Random characters in a temporary name.
const RAND_CHARS: usize = 12;
/// Stems tried (`base`, `base-2`, ...) before giving up.
const MAX_STEM_TRIES: usize = 10_000;

/// Writes one part of the set into its temporary file; errors name `dest`,
/// the file's final path.
pub(crate) type PartWriter<'a> =
    dyn Fn(&Report, Part, &mut NamedTempFile, &Path) -> Result<(), ReportError> + Sync + 'a;

/// The `.tcss-report-tmp-<pid>-` prefix of this process.
pub(crate) fn temp_prefix() -> String {
    format!("{TEMP_PREFIX}{}-", std::process::id())
}

pub(crate) fn io_error(path: &Path, e: &io::Error) -> ReportError {
    ReportError::Io {
        path: path.to_path_buf(),
        kind: e.kind(),
        reason: os_text(e),
    }
}

/// The OS error text, once: `tempfile` appends ` at path "<temporary
/// name>"`, which says nothing useful and is cut here.
pub(crate) fn os_text(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" at path \"") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

/// Writes and publishes the set (see [`super::write_all`]), with `writer`
/// producing each file. Sets `report.run.stem` to the stem chosen.
pub(crate) fn write_set(
    report: &mut Report,
    out: &Path,
    formats: &[Format],
    writer: &PartWriter<'_>,
) -> Result<Vec<PathBuf>, ReportError> {
    let reservation = reserve(out, &report.run.stem)?;
    write_reserved(report, out, formats, writer, reservation)
}

/// The folder held for one set: its lock, and the stem chosen under it.
/// Dropping it releases the folder.
#[derive(Debug)]
pub struct Reservation {
    _lock: File,
    /// The stem no file of the folder has.
    pub stem: String,
}

/// Creates `out`, takes its lock, removes stale temporary files and picks
/// the first free stem from `base` (see [`super::write_all`]): the first
/// half of [`write_set`], for a caller with work to do between choosing
/// the stem and publishing (the history store records the run there).
pub(crate) fn reserve(out: &Path, base: &str) -> Result<Reservation, ReportError> {
    fs::create_dir_all(out).map_err(|e| io_error(out, &e))?;
    let lock = lock_folder(out)?;
    remove_stale_temps(out);
    let stem = choose_stem(out, base)?;
    Ok(Reservation { _lock: lock, stem })
}

/// The second half of [`write_set`]: writes and publishes the set under
/// `reservation` (its stem goes into `report.run.stem`).
pub(crate) fn write_reserved(
    report: &mut Report,
    out: &Path,
    formats: &[Format],
    writer: &PartWriter<'_>,
    reservation: Reservation,
) -> Result<Vec<PathBuf>, ReportError> {
    let _held = &reservation;
    report.run.stem.clone_from(&reservation.stem);
    let mut parts: Vec<Part> = Vec::new();
    for &format in formats {
        for &part in Part::of(format) {
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
    }
    let staging = staging_dir(out)?;
    let written = stage_all(report, out, staging.path(), &parts, writer)?;
    let published = publish_all(out, written)?;
    sync_folder(out);
    Ok(parts
        .iter()
        .map(|p| {
            published
                .iter()
                .find(|(q, _)| q == p)
                .map(|(_, path)| path.clone())
                .unwrap_or_else(|| out.join(p.file_name(&report.run.stem)))
        })
        .collect())
}

/// Takes the exclusive lock on `<out>/.tcss-report.lock`, waiting for a
/// run holding it; released when the file is dropped.
fn lock_folder(out: &Path) -> Result<File, ReportError> {
    let path = out.join(LOCK_FILE);
    // create_new never follows a planted symlink; an existing lock file is
    // then only opened for reading, so a symlink there changes nothing.
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io_error(&path, &e)),
    }
    let meta = fs::symlink_metadata(&path).map_err(|e| io_error(&path, &e))?;
    if !meta.is_file() {
        return Err(ReportError::Io {
            path,
            kind: io::ErrorKind::InvalidInput,
            reason: "the lock file is not a regular file; remove it and run again".into(),
        });
    }
    let file = File::open(&path).map_err(|e| io_error(&path, &e))?;
    file.lock().map_err(|e| io_error(&path, &e))?;
    Ok(file)
}

/// The first of `base`, `base-2`, `base-3`, ... for which no file of any
/// format exists in `out` (a dangling symlink counts as a file).
pub(crate) fn choose_stem(out: &Path, base: &str) -> Result<String, ReportError> {
    for n in 1..=MAX_STEM_TRIES {
        let stem = if n == 1 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        };
        let taken = Format::ALL
            .iter()
            .flat_map(|f| f.file_names(&stem))
            .any(|name| {
                !matches!(fs::symlink_metadata(out.join(name)),
                          Err(e) if e.kind() == io::ErrorKind::NotFound)
            });
        if !taken {
            return Ok(stem);
        }
    }
    Err(ReportError::Io {
        path: out.join(format!("{base}-{MAX_STEM_TRIES}")),
        kind: io::ErrorKind::AlreadyExists,
        reason: format!(
            "{MAX_STEM_TRIES} report sets with this stem already exist; move old reports out of the folder"
        ),
    })
}

/// A fresh folder only this user can enter, holding the set's temporary
/// files: nothing planted in `out` can be followed while writing.
pub(crate) fn staging_dir(out: &Path) -> Result<TempDir, ReportError> {
    temp_builder(&temp_prefix(), 0o700)
        .tempdir_in(out)
        .map_err(|e| io_error(out, &e))
}

/// A random `<prefix>...` name created exclusively, with `mode` (less the
/// umask) on Unix.
fn temp_builder(prefix: &str, mode: u32) -> Builder<'_, 'static> {
    let mut builder = Builder::new();
    builder.prefix(prefix).rand_bytes(RAND_CHARS);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder
}

/// A part written and synced, not yet published.
type Staged = (Part, NamedTempFile, PathBuf);

/// Writes every part, all at once. On a failure, publishes the JSON snapshot
/// if it was written and returns the (first) error; the rest is removed with
/// the staging folder.
fn stage_all(
    report: &Report,
    out: &Path,
    staging: &Path,
    parts: &[Part],
    writer: &PartWriter<'_>,
) -> Result<Vec<Staged>, ReportError> {
    // Every part at once, each on its own thread (the XLSX takes longest;
    // the others and the syncs overlap it).
    let results: Vec<(Part, PathBuf, Result<NamedTempFile, ReportError>)> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = parts
                .iter()
                .map(|&part| {
                    let dest = out.join(part.file_name(&report.run.stem));
                    scope.spawn(move || {
                        let staged = stage_one(report, part, staging, &dest, writer);
                        (part, dest, staged)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
    let mut staged: Vec<Staged> = Vec::new();
    let mut failure = None;
    for (part, dest, result) in results {
        match result {
            Ok(tmp) => staged.push((part, tmp, dest)),
            // The first failure in the order of `parts`.
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    let Some(failure) = failure else {
        return Ok(staged);
    };
    let kept_json = match staged.into_iter().find(|(p, ..)| *p == Part::Json) {
        Some((_, tmp, json)) => tmp.persist_noclobber(&json).ok().map(|_| json),
        None => None,
    };
    if kept_json.is_some() {
        sync_folder(out);
    }
    Err(ReportError::NotPublished {
        failure: Box::new(failure),
        kept_json,
    })
}

/// Creates a temporary file in `staging`, has `writer` fill it, syncs it.
fn stage_one(
    report: &Report,
    part: Part,
    staging: &Path,
    dest: &Path,
    writer: &PartWriter<'_>,
) -> Result<NamedTempFile, ReportError> {
    // 0o666 less the umask, as for any file the tool writes.
    let mut tmp = temp_builder(&temp_prefix(), 0o666)
        .tempfile_in(staging)
        .map_err(|e| io_error(dest, &e))?;
    writer(report, part, &mut tmp, dest)?;
    tmp.as_file().sync_all().map_err(|e| io_error(dest, &e))?;
    Ok(tmp)
}

/// Publishes every staged file without replacing an existing one. If one
/// cannot be published, the files this call published are removed again,
/// except the JSON snapshot.
fn publish_all(out: &Path, staged: Vec<Staged>) -> Result<Vec<(Part, PathBuf)>, ReportError> {
    let mut published: Vec<(Part, PathBuf)> = Vec::new();
    for (part, tmp, dest) in staged {
        if let Err(e) = tmp.persist_noclobber(&dest) {
            let failure = io_error(&dest, &e.error);
            let mut kept_json = None;
            for (p, path) in published {
                if p == Part::Json {
                    kept_json = Some(path);
                } else {
                    // Ours: created by this call, never another run's.
                    let _ = fs::remove_file(&path);
                }
            }
            sync_folder(out);
            return Err(ReportError::NotPublished {
                failure: Box::new(failure),
                kept_json,
            });
        }
        published.push((part, dest));
    }
    Ok(published)
}

/// Makes the new names durable. The files are in place either way, so a
/// failure is only logged.
pub(crate) fn sync_folder(out: &Path) {
    #[cfg(unix)]
    if let Err(e) = File::open(out).and_then(|d| d.sync_all()) {
        tracing::warn!("could not sync the folder {}: {e}", out.display());
    }
    #[cfg(not(unix))]
    let _ = out;
}

/// Removes temporary files and folders left in `out` by runs that no
/// longer exist (see [`is_stale`]). Best effort: call it under the lock.
pub(crate) fn remove_stale_temps(out: &Path) {
    let Ok(entries) = fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_pid) else {
            continue;
        };
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !is_stale(pid, meta.modified().ok()) {
            continue;
        }
        let removed = if meta.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        match removed {
            Ok(()) => tracing::info!("removed {}, left by a run that ended", path.display()),
            Err(e) => tracing::warn!("could not remove {}: {e}", path.display()),
        }
    }
}

/// The process id in a `.tcss-report-tmp-<pid>-...` name.
fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (pid, _) = rest.split_once('-')?;
    pid.parse().ok()
}

/// Whether a temporary entry of process `pid` was left by a run that ended:
/// on Linux, that `/proc/<pid>` does not exist; elsewhere (or without
/// `/proc`), that it is older than [`STALE_AFTER`]. Our own are never stale.
fn is_stale(pid: u32, modified: Option<SystemTime>) -> bool {
    if pid == std::process::id() {
        return false;
    }
    if cfg!(target_os = "linux") && Path::new("/proc/self").exists() {
        return !Path::new("/proc").join(pid.to_string()).exists();
    }
    modified
        .and_then(|m| m.elapsed().ok())
        .is_some_and(|age| age > STALE_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample_report;
    use crate::report::{default_formats, write_all};

    /// The names in `dir`, sorted, without the lock file.
    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != LOCK_FILE)
            .collect();
        names.sort();
        names
    }

    fn all_names(stem: &str) -> Vec<String> {
        let mut names: Vec<String> = default_formats()
            .iter()
            .flat_map(|f| f.file_names(stem))
            .collect();
        names.sort();
        names
    }

    fn json_stem(path: &Path) -> String {
        let v: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        v["run"]["stem"].as_str().unwrap().to_string()
    }

    #[test]
    fn two_runs_into_one_folder_at_once_get_two_stems() {
        let report = sample_report();
        let base = report.run.stem.clone();
        let dir = tempfile::tempdir().unwrap();
        let barrier = std::sync::Barrier::new(2);
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let mut mine = report.clone();
                    let (out, barrier) = (dir.path(), &barrier);
                    s.spawn(move || {
                        barrier.wait();
                        let paths = write_all(&mut mine, out, &default_formats()).unwrap();
                        (mine.run.stem, paths)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut stems: Vec<&str> = results.iter().map(|(s, _)| s.as_str()).collect();
        stems.sort();
        assert_eq!(stems, vec![base.clone(), format!("{base}-2")]);
        let mut expected = all_names(&base);
        expected.extend(all_names(&format!("{base}-2")));
        expected.sort();
        assert_eq!(listing(dir.path()), expected, "10 files, no temporary one");
        for (stem, paths) in &results {
            assert_eq!(paths.len(), 5);
            let json = paths
                .iter()
                .find(|p| p.extension() == Some("json".as_ref()));
            assert_eq!(&json_stem(json.unwrap()), stem);
        }
    }

    #[test]
    fn a_foreign_file_of_any_format_moves_the_run_to_the_next_stem() {
        let mut report = sample_report();
        let base = report.run.stem.clone();
        let dir = tempfile::tempdir().unwrap();
        let foreign = dir.path().join(format!("{base}.md"));
        fs::write(&foreign, b"someone else's").unwrap();
        let paths = write_all(&mut report, dir.path(), &[Format::Json]).unwrap();
        assert_eq!(report.run.stem, format!("{base}-2"));
        assert_eq!(paths, vec![dir.path().join(format!("{base}-2.json"))]);
        assert_eq!(json_stem(&paths[0]), format!("{base}-2"));
        assert_eq!(fs::read(&foreign).unwrap(), b"someone else's");
    }

    #[cfg(unix)]
    #[test]
    fn planted_symlinks_are_never_followed() {
        use std::os::unix::fs::symlink;
        let mut report = sample_report();
        let base = report.run.stem.clone();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        let target = dir.path().join("precious");
        fs::write(&target, b"keep me").unwrap();
        // The old predictable temporary names, names with our own prefix
        // (kept: this process is alive), and the final name of one file.
        let pid = std::process::id();
        let mut planted: Vec<String> = all_names(&base)
            .iter()
            .map(|n| format!(".{n}.tmp-{pid}"))
            .collect();
        planted.push(format!("{TEMP_PREFIX}{pid}-aaaaaaaaaaaa"));
        planted.push(format!("{TEMP_PREFIX}{pid}-.json"));
        planted.push(format!("{base}.xlsx"));
        for name in &planted {
            symlink(&target, out.join(name)).unwrap();
        }
        let paths = write_all(&mut report, &out, &default_formats()).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"keep me");
        assert_eq!(report.run.stem, format!("{base}-2"));
        for p in &paths {
            let meta = fs::symlink_metadata(p).unwrap();
            assert!(meta.is_file() && meta.len() > 0, "{}", p.display());
        }
        let mut expected = planted.clone();
        expected.extend(all_names(&report.run.stem));
        expected.sort();
        assert_eq!(listing(&out), expected);
    }

    #[test]
    fn temporaries_of_ended_runs_are_removed_and_live_ones_kept() {
        let mut report = sample_report();
        let dir = tempfile::tempdir().unwrap();
        // No process has this id (above any pid_max).
        let dead = format!("{TEMP_PREFIX}4294967294-abcdef");
        let dead_dir = format!("{TEMP_PREFIX}4294967294-ghijkl");
        let live = format!("{TEMP_PREFIX}{}-mnopqr", std::process::id());
        let unrelated = ".tcss-report-tmp-notapid".to_string();
        for name in [&dead, &live, &unrelated] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        fs::create_dir(dir.path().join(&dead_dir)).unwrap();
        fs::write(dir.path().join(&dead_dir).join("half.xlsx"), b"x").unwrap();
        // Where process ids cannot be checked, only age counts.
        if !(cfg!(target_os = "linux") && Path::new("/proc/self").exists()) {
            eprintln!("skipped: no /proc here; stale temporary files are found by age");
            return;
        }
        write_all(&mut report, dir.path(), &[Format::Markdown]).unwrap();
        let mut expected = vec![live, unrelated, format!("{}.md", report.run.stem)];
        expected.sort();
        assert_eq!(listing(dir.path()), expected);
        assert!(is_stale(4_294_967_294, None));
        assert!(!is_stale(std::process::id(), None));
        assert_eq!(temp_pid(&temp_prefix()), Some(std::process::id()));
        assert_eq!(temp_pid(".tcss-report-tmp-12x-y"), None);
    }

    /// The real writer, except that `fail` fails with "No space left on device".
    fn failing(
        fail: Part,
    ) -> impl Fn(&Report, Part, &mut NamedTempFile, &Path) -> Result<(), ReportError> + Sync {
        move |report, part, tmp, dest| {
            if part == fail {
                use std::io::Write;
                let _ = tmp.write_all(b"half a file");
                return Err(io_error(dest, &io::Error::from_raw_os_error(28)));
            }
            super::super::write_part(report, part, tmp, dest)
        }
    }

    #[test]
    fn a_failed_file_publishes_nothing_but_the_json_snapshot() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let mut report = sample_report();
        let stem = report.run.stem.clone();
        let err =
            write_set(&mut report, out, &default_formats(), &failing(Part::Xlsx)).unwrap_err();
        let json = out.join(format!("{stem}.json"));
        let xlsx = out.join(format!("{stem}.xlsx"));
        assert_eq!(
            err.to_string(),
            format!(
                "cannot write {}: No space left on device (os error 28); no other report file \
                 was published; the JSON snapshot was kept at {}",
                xlsx.display(),
                json.display()
            )
        );
        let chained = format!("{:#}", anyhow::Error::new(err).context("writing reports"));
        assert_eq!(chained.matches("os error").count(), 1, "{chained}");
        assert_eq!(listing(out), vec![format!("{stem}.json")]);
        assert_eq!(json_stem(&json), stem);

        // Without JSON: nothing at all. The next stem is used, since the
        // kept snapshot took this one.
        let mut report = sample_report();
        let err = write_set(
            &mut report,
            out,
            &[Format::Csv, Format::Xlsx],
            &failing(Part::Xlsx),
        )
        .unwrap_err();
        assert!(
            err.to_string().ends_with("; no report file was published"),
            "{err}"
        );
        assert!(matches!(
            &err,
            ReportError::NotPublished {
                kept_json: None,
                ..
            }
        ));
        assert_eq!(listing(out), vec![format!("{stem}.json")]);

        // The JSON snapshot itself failing.
        let err = write_set(
            &mut sample_report(),
            out,
            &default_formats(),
            &failing(Part::Json),
        )
        .unwrap_err();
        assert!(
            err.to_string().ends_with("; no report file was published"),
            "{err}"
        );
        assert_eq!(listing(out), vec![format!("{stem}.json")]);
    }

    #[test]
    fn a_file_taken_while_publishing_unpublishes_the_rest_but_the_json() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let report = sample_report();
        let stem = report.run.stem.clone();
        let staging = staging_dir(out).unwrap();
        let parts = [Part::AccountsCsv, Part::Json, Part::Markdown];
        let staged = stage_all(
            &report,
            out,
            staging.path(),
            &parts,
            &super::super::write_part,
        )
        .unwrap();
        // Another writer, ignoring the lock, takes the Markdown name.
        let md = out.join(format!("{stem}.md"));
        fs::write(&md, b"theirs").unwrap();
        let err = publish_all(out, staged).unwrap_err();
        match &err {
            ReportError::NotPublished { failure, kept_json } => {
                assert!(matches!(
                    **failure,
                    ReportError::Io {
                        kind: io::ErrorKind::AlreadyExists,
                        ..
                    }
                ));
                assert_eq!(
                    kept_json.as_deref(),
                    Some(out.join(format!("{stem}.json")).as_path())
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(fs::read(&md).unwrap(), b"theirs");
        drop(staging);
        assert_eq!(
            listing(out),
            vec![format!("{stem}.json"), format!("{stem}.md")]
        );
    }
}
