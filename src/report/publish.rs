//! Publishing a run's report files as one set into `--out`.
//!
//! This module owns how files reach the folder. A set goes through three
//! steps:
//!
//! 1. `reserve` creates `out` and takes the folder lock
//!    (`<out>/.tcss-report.lock`, `lock`) for a moment: waits for it
//!    (logging the holder after a second, giving up after
//!    [`LOCK_WAIT_LIMIT`] or when the run is interrupted, and then going on
//!    without it); under the lock only, deals with what runs that ended
//!    left behind (`staging::clean_up`: a complete staging folder is
//!    rolled forward, anything else removed); then claims the first free
//!    stem by creating its private staging folder
//!    `.tcss-report-tmp-<pid>-<random>.<stem>` (a claim no other run takes,
//!    lock or not, see `staging::claim_stem`) and releases the lock.
//! 2. The caller does its slow work under the claimed stem, lock-free (the
//!    run records the history there).
//! 3. `write_reserved` writes every file under its final name in the
//!    staging folder, syncs it, marks the folder complete (`.complete`,
//!    synced), then publishes each file without ever replacing an existing
//!    one, the JSON snapshot last (a consumer waiting for the JSON finds the
//!    whole set), and removes the folder. If one file fails, only the JSON
//!    snapshot is published.
//!
//! A run killed at any point leaves either an incomplete staging folder
//! (nothing of it was published: removed by the next run) or a complete one
//! (the next run publishes the rest of it, JSON last). It does not know what
//! a file contains: the parent module's `write_part` writes each one.

mod held;
mod lock;
mod staging;

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::{Builder, NamedTempFile, TempDir, TempPath};

use super::{Format, Part, ReportError};
use crate::report::Report;

pub use held::HeldJson;
pub use lock::LOCK_WAIT_LIMIT;

/// Prefix of every temporary file or folder this tool creates in `--out`,
/// followed by `<pid>-` and random characters (and `.<stem>` for a staging
/// folder).
pub const TEMP_PREFIX: &str = ".tcss-report-tmp-";
/// The lock file serializing runs that write into one folder.
pub const LOCK_FILE: &str = ".tcss-report.lock";
/// Where the process id cannot be checked, temporary files older than this
/// are taken as left by a killed run.
pub const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// The file in a staging folder saying every file of the set is in it,
/// written and synced: the set may be published (rolled forward).
pub const COMPLETE_MARKER: &str = ".complete";
/// Random characters in a temporary name.
const RAND_CHARS: usize = 12;

/// Writes one part of the set into its temporary file; errors name `dest`,
/// the file's final path.
pub(crate) type PartWriter<'a> =
    dyn Fn(&Report, Part, &mut NamedTempFile, &Path) -> Result<(), ReportError> + Sync + 'a;

/// The names a set with a given stem would have: a stem is free when none
/// of them exists in the folder.
pub(crate) type StemNames<'a> = dyn Fn(&str) -> Vec<String> + 'a;

/// Whether the run was interrupted (SIGINT/SIGTERM): the lock is then no
/// longer waited for.
pub(crate) type Interrupted<'a> = dyn Fn() -> bool + 'a;

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

/// The file names of every report format for `stem`: what makes a run's
/// stem taken.
pub(crate) fn report_names(stem: &str) -> Vec<String> {
    Format::ALL
        .iter()
        .flat_map(|f| f.file_names(stem))
        .collect()
}

/// Writes and publishes the set (see [`super::write_all`]), with `writer`
/// producing each file. Sets `report.aggregate.run.stem` to the stem chosen.
#[cfg(test)]
pub(crate) fn write_set(
    report: &mut Report,
    out: &Path,
    formats: &[Format],
    writer: &PartWriter<'_>,
) -> Result<Vec<PathBuf>, ReportError> {
    let reservation = reserve(out, &report.aggregate.run.stem, &report_names, &|| false)?;
    write_reserved(report, out, formats, writer, reservation)
}

/// A stem claimed for one set: its staging folder exists (so no other run
/// takes the stem) until the set is published or given up. Dropping it
/// removes the folder and whatever is staged in it.
#[derive(Debug)]
pub struct Reservation {
    /// The stem no file of the folder has and no other run has claimed.
    pub stem: String,
    staging: TempDir,
}

impl Reservation {
    /// The private staging folder: files are written here under their
    /// final names, then published with `publish_staged`.
    pub fn staging(&self) -> &Path {
        self.staging.path()
    }
}

/// Creates `out`, takes its lock for a moment (see the module doc), and
/// claims the first free stem from `base`: `base`, `base-2`, ... for which
/// no name of `names` exists and no other run holds a claim. The first
/// half of `write_set`, for a caller with work to do between choosing
/// the stem and publishing (the history store records the run there); the
/// lock is not held meanwhile.
pub(crate) fn reserve(
    out: &Path,
    base: &str,
    names: &StemNames<'_>,
    interrupted: &Interrupted<'_>,
) -> Result<Reservation, ReportError> {
    fs::create_dir_all(out).map_err(|e| io_error(out, &e))?;
    let lock = lock::FolderLock::acquire(out, LOCK_WAIT_LIMIT, interrupted)?;
    if lock.is_some() {
        // Never without the lock: two runs would roll one set forward twice.
        staging::clean_up(out);
    }
    let (stem, staging) = staging::claim_stem(out, base, names)?;
    drop(lock);
    Ok(Reservation { stem, staging })
}

/// The second half of `write_set`: writes and publishes the set under
/// `reservation` (its stem goes into `report.aggregate.run.stem`).
pub(crate) fn write_reserved(
    report: &mut Report,
    out: &Path,
    formats: &[Format],
    writer: &PartWriter<'_>,
    reservation: Reservation,
) -> Result<Vec<PathBuf>, ReportError> {
    write_reserved_held(report, out, formats, writer, reservation, false).map(|(paths, _)| paths)
}

/// [`write_reserved`]; with `hold_json`, the JSON snapshot (when the set
/// has one) is left staged and returned as a [`HeldJson`] instead of being
/// published (see [`held`]). The paths are those of the whole set.
pub(crate) fn write_reserved_held(
    report: &mut Report,
    out: &Path,
    formats: &[Format],
    writer: &PartWriter<'_>,
    reservation: Reservation,
    hold_json: bool,
) -> Result<(Vec<PathBuf>, Option<HeldJson>), ReportError> {
    report.aggregate.run.stem.clone_from(&reservation.stem);
    let mut parts: Vec<Part> = Vec::new();
    for &format in formats {
        for &part in Part::of(format) {
            if part.wanted(report) && !parts.contains(&part) {
                parts.push(part);
            }
        }
    }
    let staged = stage_all(report, out, reservation.staging(), &parts, writer)?;
    let (_, held) = publish_some(out, reservation, staged, hold_json)?;
    let paths = parts
        .iter()
        .map(|p| out.join(p.file_name(&report.aggregate.run.stem)))
        .collect();
    Ok((paths, held))
}

/// A `<prefix><random><suffix>` name created exclusively, with `mode`
/// (less the umask) on Unix.
fn temp_builder<'a, 'b>(
    prefix: &'a str,
    suffix: &'b str,
    rand: usize,
    mode: u32,
) -> Builder<'a, 'b> {
    let mut builder = Builder::new();
    builder.prefix(prefix).suffix(suffix).rand_bytes(rand);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = mode;
    builder
}

/// A file written and synced under its final name in the staging folder,
/// with the path it is published at.
pub(crate) type Staged = (PathBuf, TempPath);

/// Writes every part, all at once, into `staging` under its final name. On
/// a failure, publishes the JSON snapshot if it was written and returns the
/// (first) error; the rest is removed with the staging folder.
fn stage_all(
    report: &Report,
    out: &Path,
    staging: &Path,
    parts: &[Part],
    writer: &PartWriter<'_>,
) -> Result<Vec<Staged>, ReportError> {
    // Every part at once, each on its own thread (the XLSX takes longest;
    // the others and the syncs overlap it).
    let results: Vec<(PathBuf, Result<NamedTempFile, ReportError>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .iter()
            .map(|&part| {
                let dest = out.join(part.file_name(&report.aggregate.run.stem));
                scope.spawn(move || {
                    let staged = stage_one(report, part, staging, &dest, writer);
                    (dest, staged)
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
    for (dest, result) in results {
        match result {
            Ok(tmp) => staged.push((dest, tmp.into_temp_path())),
            // The first failure in the order of `parts`.
            Err(e) => failure = failure.or(Some(e)),
        }
    }
    match failure {
        None => Ok(staged),
        Some(failure) => Err(give_up(out, failure, Vec::new(), staged)),
    }
}

/// Creates `<staging>/<final name>` exclusively, has `writer` fill it,
/// syncs it.
fn stage_one(
    report: &Report,
    part: Part,
    staging: &Path,
    dest: &Path,
    writer: &PartWriter<'_>,
) -> Result<NamedTempFile, ReportError> {
    let name = part.file_name(&report.aggregate.run.stem);
    // 0o666 less the umask, as for any file the tool writes.
    let mut tmp = temp_builder(&name, "", 0, 0o666)
        .tempfile_in(staging)
        .map_err(|e| io_error(dest, &e))?;
    writer(report, part, &mut tmp, dest)?;
    tmp.as_file().sync_all().map_err(|e| io_error(dest, &e))?;
    Ok(tmp)
}

/// Publishes the files staged in `reservation`'s folder: marks the folder
/// complete, then publishes each without replacing an existing file, the
/// JSON snapshot last, syncs `out` and removes the folder. If one cannot
/// be published, the files this call published are removed again and the
/// JSON snapshot is published alone.
pub(crate) fn publish_staged(
    out: &Path,
    reservation: Reservation,
    staged: Vec<Staged>,
) -> Result<Vec<PathBuf>, ReportError> {
    publish_some(out, reservation, staged, false).map(|(published, _)| published)
}

/// [`publish_staged`]; with `hold_json`, the JSON snapshot (published
/// last) stays staged in the complete folder and is returned, with the
/// reservation, as a [`HeldJson`]. A failure gives up as
/// [`publish_staged`] does, the held JSON published alone.
fn publish_some(
    out: &Path,
    reservation: Reservation,
    mut staged: Vec<Staged>,
    hold_json: bool,
) -> Result<(Vec<PathBuf>, Option<HeldJson>), ReportError> {
    if let Err(e) = staging::mark_complete(reservation.staging()) {
        let marker = reservation.staging().join(COMPLETE_MARKER);
        return Err(give_up(out, io_error(&marker, &e), Vec::new(), staged));
    }
    staged.sort_by_key(|(dest, _)| staging::publish_order(dest));
    let held = staged.pop_if(|(dest, _)| hold_json && dest.extension() == Some("json".as_ref()));
    let mut published: Vec<PathBuf> = Vec::new();
    let mut rest = staged.into_iter();
    while let Some((dest, tmp)) = rest.next() {
        test_pause(&dest, published.len());
        if let Err(e) = tmp.persist_noclobber(&dest) {
            let failure = io_error(&dest, &e.error);
            let left = rest.chain(held).collect();
            return Err(give_up(out, failure, published, left));
        }
        published.push(dest);
    }
    sync_folder(out);
    match held {
        None => {
            drop(reservation);
            Ok((published, None))
        }
        Some((dest, tmp)) => Ok((published, Some(HeldJson::new(out, dest, tmp, reservation)))),
    }
}

/// The error of a set that is not published: removes the files of it
/// already published (ours: created by this run, never another's) and
/// publishes the JSON snapshot from `staged` if it is there.
fn give_up(
    out: &Path,
    failure: ReportError,
    published: Vec<PathBuf>,
    staged: Vec<Staged>,
) -> ReportError {
    for path in &published {
        let _ = fs::remove_file(path);
    }
    let json = staged
        .into_iter()
        .find(|(dest, _)| dest.extension() == Some("json".as_ref()));
    let kept_json = json.and_then(|(dest, tmp)| tmp.persist_noclobber(&dest).ok().map(|()| dest));
    if kept_json.is_some() || !published.is_empty() {
        sync_folder(out);
    }
    ReportError::NotPublished {
        failure: Box::new(failure),
        kept_json,
    }
}

/// A pause before a file is published, for the tests that interrupt or
/// kill a run there: `TCSS_TEST_PAUSE_BEFORE_PUBLISH_MS=<ms>` before every
/// file, `<ms>@<k>` only before the file after `k` published, in debug
/// builds only (docs/testing.md). Release builds have no such hook.
#[cfg(debug_assertions)]
fn test_pause(dest: &Path, published: usize) {
    let Ok(value) = std::env::var("TCSS_TEST_PAUSE_BEFORE_PUBLISH_MS") else {
        return;
    };
    let (ms, at) = match value.split_once('@') {
        Some((ms, at)) => (ms, at.parse::<usize>().ok()),
        None => (value.as_str(), None),
    };
    let Ok(ms) = ms.parse::<u64>() else {
        return;
    };
    if at.is_none_or(|k| k == published) {
        tracing::warn!("test pause: {ms} ms before publishing {}", dest.display());
        std::thread::sleep(Duration::from_millis(ms));
    }
}

#[cfg(not(debug_assertions))]
fn test_pause(_: &Path, _: usize) {}

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

#[cfg(test)]
mod tests {
    use super::staging::{is_stale, temp_pid};
    use super::*;
    use crate::report::{default_formats, write_all};
    use crate::test_support::sample_report;

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

    /// The files of the default formats for `stem`, of a run not grouped
    /// (no `<stem>.groups.csv`: `Part::wanted`).
    fn all_names(stem: &str) -> Vec<String> {
        let mut names: Vec<String> = default_formats()
            .iter()
            .flat_map(|f| f.file_names(stem))
            .filter(|n| !n.ends_with(".groups.csv"))
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
        let base = report.aggregate.run.stem.clone();
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
                        (mine.aggregate.run.stem, paths)
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
        assert_eq!(listing(dir.path()), expected, "12 files, no temporary one");
        for (stem, paths) in &results {
            assert_eq!(paths.len(), 6);
            let json = paths
                .iter()
                .find(|p| p.extension() == Some("json".as_ref()));
            assert_eq!(&json_stem(json.unwrap()), stem);
        }
    }

    #[test]
    fn a_foreign_file_of_any_format_moves_the_run_to_the_next_stem() {
        let mut report = sample_report();
        let base = report.aggregate.run.stem.clone();
        let dir = tempfile::tempdir().unwrap();
        let foreign = dir.path().join(format!("{base}.md"));
        fs::write(&foreign, b"someone else's").unwrap();
        let paths = write_all(&mut report, dir.path(), &[Format::Json]).unwrap();
        assert_eq!(report.aggregate.run.stem, format!("{base}-2"));
        assert_eq!(paths, vec![dir.path().join(format!("{base}-2.json"))]);
        assert_eq!(json_stem(&paths[0]), format!("{base}-2"));
        assert_eq!(fs::read(&foreign).unwrap(), b"someone else's");
    }

    #[cfg(unix)]
    #[test]
    fn planted_symlinks_are_never_followed() {
        use std::os::unix::fs::symlink;
        let mut report = sample_report();
        let base = report.aggregate.run.stem.clone();
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
        assert_eq!(report.aggregate.run.stem, format!("{base}-2"));
        for p in &paths {
            let meta = fs::symlink_metadata(p).unwrap();
            assert!(meta.is_file() && meta.len() > 0, "{}", p.display());
        }
        let mut expected = planted.clone();
        expected.extend(all_names(&report.aggregate.run.stem));
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
        let mut expected = vec![live, unrelated, format!("{}.md", report.aggregate.run.stem)];
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
        let stem = report.aggregate.run.stem.clone();
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
        let stem = report.aggregate.run.stem.clone();
        let reservation = reserve(out, &stem, &report_names, &|| false).unwrap();
        let parts = [Part::AccountsCsv, Part::Json, Part::Markdown];
        let staged = stage_all(
            &report,
            out,
            reservation.staging(),
            &parts,
            &super::super::write_part,
        )
        .unwrap();
        // Another writer, ignoring the lock, takes the Markdown name.
        let md = out.join(format!("{stem}.md"));
        fs::write(&md, b"theirs").unwrap();
        let err = publish_staged(out, reservation, staged).unwrap_err();
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
        assert_eq!(
            listing(out),
            vec![format!("{stem}.json"), format!("{stem}.md")]
        );
    }
}
