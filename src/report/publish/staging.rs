//! The staging folders in `--out`, `.tcss-report-tmp-<pid>-<random>.<stem>`:
//! a run's claim on `<stem>` (the stem choice, [`claim_stem`]), the
//! `.complete` marker, and what becomes of the folders of runs that ended
//! ([`clean_up`]: a complete one is rolled forward, anything else removed).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use tempfile::{TempDir, TempPath};

use super::{
    io_error, sync_folder, temp_builder, temp_prefix, ReportError, StemNames, COMPLETE_MARKER,
    STALE_AFTER, TEMP_PREFIX,
};

/// Stems tried (`base`, `base-2`, ...) before giving up.
const MAX_STEM_TRIES: usize = 10_000;

/// A `.tcss-report-tmp-<pid>-<random>[.<stem>]` name, parsed.
struct TempName<'a> {
    pid: u32,
    /// The stem a staging folder claims (none for a temporary file, or a
    /// staging folder of an older version).
    stem: Option<&'a str>,
}

fn parse(name: &str) -> Option<TempName<'_>> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (pid, tail) = rest.split_once('-')?;
    let pid = pid.parse().ok()?;
    // The random part is alphanumeric: the first dot starts the stem.
    let stem = tail
        .split_once('.')
        .map(|(_, s)| s)
        .filter(|s| !s.is_empty());
    Some(TempName { pid, stem })
}

/// The process id in a `.tcss-report-tmp-<pid>-...` name.
#[cfg(test)]
pub(super) fn temp_pid(name: &str) -> Option<u32> {
    parse(name).map(|t| t.pid)
}

/// Claims the first stem of `base`, `base-2`, `base-3`, ... that no name
/// of `names` has in `out` (a dangling symlink counts as a file) and no
/// other staging folder claims, by creating this run's staging folder for
/// it. Safe with or without the folder lock: a claim is created before the
/// folder is searched for rival claims and for the stem's files, and given
/// up when either is there. Of two runs claiming one stem at once, at least
/// one therefore sees the other (both may step aside; never both keep it),
/// and a run that published the stem and removed its claim published first.
pub(super) fn claim_stem(
    out: &Path,
    base: &str,
    names: &StemNames<'_>,
) -> Result<(String, TempDir), ReportError> {
    for n in 1..=MAX_STEM_TRIES {
        let stem = if n == 1 {
            base.to_string()
        } else {
            format!("{base}-{n}")
        };
        if published(out, &stem, names) || claimed(out, &stem, None) {
            continue;
        }
        let staging = staging_dir(out, &stem)?;
        if claimed(out, &stem, Some(staging.path())) || published(out, &stem, names) {
            // Dropping the folder gives the claim up.
            continue;
        }
        return Ok((stem, staging));
    }
    Err(ReportError::Io {
        path: out.join(format!("{base}-{MAX_STEM_TRIES}")),
        kind: io::ErrorKind::AlreadyExists,
        reason: format!(
            "{MAX_STEM_TRIES} report sets with this stem already exist; move old reports out of the folder"
        ),
    })
}

/// Whether a file of `stem` (any of `names`) exists in `out`.
fn published(out: &Path, stem: &str, names: &StemNames<'_>) -> bool {
    names(stem).iter().any(|name| {
        !matches!(fs::symlink_metadata(out.join(name)),
                  Err(e) if e.kind() == io::ErrorKind::NotFound)
    })
}

/// Whether a staging folder other than `mine` claims `stem`: a real folder
/// (never a symlink) of any process, live or not (a dead run's complete
/// folder is a set still to publish).
fn claimed(out: &Path, stem: &str, mine: Option<&Path>) -> bool {
    let Ok(entries) = fs::read_dir(out) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let name = entry.file_name();
        let claims = name
            .to_str()
            .and_then(parse)
            .is_some_and(|t| t.stem == Some(stem));
        // By name: `mine` is absolute (tempfile resolves a relative
        // `out`), the entries of a relative `out` are not.
        claims
            && entry.file_type().is_ok_and(|t| t.is_dir())
            && mine.and_then(Path::file_name) != Some(name.as_os_str())
    })
}

/// A fresh folder only this user can enter, claiming `stem` and holding the
/// set's files while they are written: nothing planted in `out` can be
/// followed while writing.
fn staging_dir(out: &Path, stem: &str) -> Result<TempDir, ReportError> {
    let suffix = format!(".{stem}");
    temp_builder(&temp_prefix(), &suffix, super::RAND_CHARS, 0o700)
        .tempdir_in(out)
        .map_err(|e| io_error(out, &e))
}

/// Marks `staging` complete: every file in it is written and synced. The
/// names are synced first, then the marker, then the folder again, so a
/// marker that survives a crash vouches for every file.
pub(super) fn mark_complete(staging: &Path) -> io::Result<()> {
    sync_dir(staging)?;
    let marker = fs::File::create_new(staging.join(COMPLETE_MARKER))?;
    marker.sync_all()?;
    sync_dir(staging)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The order files are published in: the JSON snapshot last, so a
/// consumer waiting for it finds the whole set; the rest by name.
pub(super) fn publish_order(path: &Path) -> (bool, PathBuf) {
    (
        path.extension() == Some("json".as_ref()),
        path.to_path_buf(),
    )
}

/// Deals with the temporary files and folders left in `out` by runs that
/// no longer exist (see [`is_stale`]): a complete staging folder is rolled
/// forward (see [`roll_forward`]), anything else removed. Best effort; call
/// it under the lock only.
pub(super) fn clean_up(out: &Path) {
    let Ok(entries) = fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(temp) = name.to_str().and_then(parse) else {
            continue;
        };
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !is_stale(temp.pid, meta.modified().ok()) {
            continue;
        }
        let complete = meta.is_dir()
            && fs::symlink_metadata(path.join(COMPLETE_MARKER)).is_ok_and(|m| m.is_file());
        if let (true, Some(stem)) = (complete, temp.stem) {
            roll_forward(out, &path, stem, temp.pid);
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

/// Publishes what a run that ended while publishing left in its complete
/// staging folder `dir`: each file of `stem` to its final name in `out`,
/// never replacing a file, the JSON last; then removes the folder. A file
/// that cannot be published keeps the folder (and is said in the log), so
/// no complete file of a set is ever deleted.
fn roll_forward(out: &Path, dir: &Path, stem: &str, pid: u32) {
    let mut files: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .filter(|e| e.file_name() != COMPLETE_MARKER)
            .map(|e| e.path())
            .collect(),
        Err(e) => {
            tracing::warn!("could not read {}: {e}", dir.display());
            return;
        }
    };
    files.sort_by_key(|p| publish_order(p));
    let mut published: Vec<String> = Vec::new();
    let mut kept = false;
    for src in &files {
        match publish_left(out, src, stem) {
            Ok(Some(name)) => published.push(name),
            Ok(None) => {}
            Err(reason) => {
                kept = true;
                tracing::warn!("kept {}: {reason}", src.display());
            }
        }
    }
    sync_folder(out);
    if kept {
        tracing::warn!(
            "kept {}, left by run {pid} that ended while publishing the set {stem}: \
             move the files named above out of the way and the next run publishes them",
            dir.display()
        );
        return;
    }
    if let Err(e) = fs::remove_dir_all(dir) {
        tracing::warn!("could not remove {}: {e}", dir.display());
    }
    tracing::warn!(
        "rolled forward the set {stem} of run {pid}, which ended while publishing it: \
         published {}",
        if published.is_empty() {
            "nothing (all of it was there)".to_string()
        } else {
            published.join(", ")
        }
    );
}

/// Publishes one staged file `src` of `stem` to `out`: its name when
/// published, `None` when it already was (a hard link left beside it), or
/// why it stays.
fn publish_left(out: &Path, src: &Path, stem: &str) -> Result<Option<String>, String> {
    let name = src.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let is_file = fs::symlink_metadata(src).is_ok_and(|m| m.is_file());
    if !is_file || !name.starts_with(&format!("{stem}.")) {
        return Err(format!("not a file of the set {stem}"));
    }
    let dest = out.join(name);
    let mut path = TempPath::try_from_path(src).map_err(|e| super::os_text(&e))?;
    // Never removed here, whatever happens.
    path.disable_cleanup(true);
    match path.persist_noclobber(&dest) {
        Ok(()) => Ok(Some(name.to_string())),
        Err(_) if same_file(src, &dest) => {
            let _ = fs::remove_file(src);
            Ok(None)
        }
        Err(e) => Err(format!(
            "cannot publish it as {}: {}",
            dest.display(),
            super::os_text(&e.error)
        )),
    }
}

/// Whether `a` and `b` are one file (two hard links).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (fs::symlink_metadata(a), fs::symlink_metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (a, b);
        false
    }
}

/// Whether a temporary entry of process `pid` was left by a run that ended:
/// on Linux, that `/proc/<pid>` does not exist; elsewhere (or without
/// `/proc`), that it is older than [`STALE_AFTER`]. Our own are never stale.
pub(super) fn is_stale(pid: u32, modified: Option<SystemTime>) -> bool {
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
    use super::super::{report_names, reserve, stage_all, Staged};
    use super::*;
    use crate::report::{write_all, Format, Part};
    use crate::test_support::sample_report;

    /// A process id no process has (above any pid_max).
    const DEAD: u32 = 4_294_967_294;

    fn proc_here() -> bool {
        let here = cfg!(target_os = "linux") && Path::new("/proc/self").exists();
        if !here {
            eprintln!("skipped: no /proc here; stale staging folders are found by age");
        }
        here
    }

    /// The report names in `out` (no lock file, no temporary one).
    fn sets(out: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        names
    }

    fn temporaries(out: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(TEMP_PREFIX))
            .collect();
        names.sort();
        names
    }

    /// A set of `stem` staged and marked complete as a run does, with the
    /// first `published` files (in publishing order) published, left as a
    /// run that died then leaves it. Returns each file's bytes by name.
    fn died_while_publishing(out: &Path, stem: &str, published: usize) -> Vec<(String, Vec<u8>)> {
        let mut report = sample_report();
        report.aggregate.run.stem = stem.to_string();
        let reservation = reserve(out, stem, &report_names, &|| false).unwrap();
        assert_eq!(reservation.stem, stem);
        let parts = [
            Part::AccountsCsv,
            Part::RegionsCsv,
            Part::Xlsx,
            Part::Json,
            Part::Markdown,
        ];
        let writer = &crate::report::write_part;
        let mut staged: Vec<Staged> =
            stage_all(&report, out, reservation.staging(), &parts, writer).unwrap();
        mark_complete(reservation.staging()).unwrap();
        staged.sort_by_key(|(dest, _)| publish_order(dest));
        let mut files = Vec::new();
        for (i, (dest, tmp)) in staged.into_iter().enumerate() {
            let name = dest.file_name().unwrap().to_string_lossy().into_owned();
            files.push((name, fs::read(&tmp).unwrap()));
            if i < published {
                tmp.persist_noclobber(&dest).unwrap();
            } else {
                tmp.keep().unwrap();
            }
        }
        let ours = reservation.staging.keep();
        let name = ours.file_name().unwrap().to_string_lossy();
        let dead = name.replacen(&std::process::id().to_string(), &DEAD.to_string(), 1);
        fs::rename(&ours, out.join(dead)).unwrap();
        files
    }

    #[test]
    fn every_crash_point_while_publishing_ends_with_the_full_set() {
        if !proc_here() {
            return;
        }
        let stem = sample_report().aggregate.run.stem;
        for published in 0..=5 {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path();
            let files = died_while_publishing(out, &stem, published);
            assert_eq!(files.last().unwrap().0, format!("{stem}.json"), "JSON last");
            // The next run into the folder.
            let mut next = sample_report();
            write_all(&mut next, out, &[Format::Json]).unwrap();
            assert_eq!(
                next.aggregate.run.stem,
                format!("{stem}-2"),
                "after {published}"
            );
            for (name, bytes) in &files {
                assert_eq!(&fs::read(out.join(name)).unwrap(), bytes, "{name}");
            }
            assert_eq!(sets(out).len(), 6, "after {published}: {:?}", sets(out));
            assert_eq!(temporaries(out), Vec::<String>::new());
        }
    }

    #[test]
    fn a_set_that_died_while_staging_is_removed_and_a_live_one_kept() {
        if !proc_here() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let stem = sample_report().aggregate.run.stem;
        // Died while staging: no marker, nothing published.
        let half = format!("{TEMP_PREFIX}{DEAD}-abcdefghijkl.{stem}");
        fs::create_dir(out.join(&half)).unwrap();
        fs::write(out.join(&half).join(format!("{stem}.xlsx")), b"half").unwrap();
        // A live run's complete folder, still publishing.
        let live_stem = format!("{stem}-2");
        let live = format!("{}abcdefghijkl.{live_stem}", temp_prefix());
        fs::create_dir(out.join(&live)).unwrap();
        fs::write(out.join(&live).join(format!("{live_stem}.json")), b"{}").unwrap();
        fs::write(out.join(&live).join(COMPLETE_MARKER), b"").unwrap();
        let mut next = sample_report();
        write_all(&mut next, out, &[Format::Markdown]).unwrap();
        // The dead claim is gone, so the stem is free again; the live
        // claim still holds its stem.
        assert_eq!(next.aggregate.run.stem, stem);
        assert_eq!(sets(out), vec![format!("{stem}.md")]);
        assert_eq!(temporaries(out), vec![live]);
    }

    #[test]
    fn rolling_forward_never_replaces_a_file_nor_deletes_a_staged_one() {
        if !proc_here() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let stem = sample_report().aggregate.run.stem;
        let files = died_while_publishing(out, &stem, 0);
        // Someone else's file took one of the set's names meanwhile.
        let md = out.join(format!("{stem}.md"));
        fs::write(&md, b"someone's notes").unwrap();
        let mut next = sample_report();
        write_all(&mut next, out, &[Format::Json]).unwrap();
        assert_eq!(fs::read(&md).unwrap(), b"someone's notes");
        // The rest is published (the JSON too: the run's data is kept), and
        // the staged Markdown stays in the kept folder.
        for (name, bytes) in files.iter().filter(|(n, _)| !n.ends_with(".md")) {
            assert_eq!(&fs::read(out.join(name)).unwrap(), bytes, "{name}");
        }
        let kept = temporaries(out);
        assert_eq!(kept.len(), 1, "{kept:?}");
        let staged_md = out.join(&kept[0]).join(format!("{stem}.md"));
        assert_eq!(
            fs::read(staged_md).unwrap(),
            files.iter().find(|(n, _)| n.ends_with(".md")).unwrap().1
        );
    }

    #[test]
    fn a_stem_claimed_by_a_staging_folder_stays_taken_without_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let base = "tcss-authorizations-20260101T000000Z";
        let first = reserve(out, base, &report_names, &|| false).unwrap();
        // The lock is released, nothing is published yet: the claim alone
        // keeps the stem, with the lock or without it.
        let held = fs::File::open(out.join(super::super::LOCK_FILE)).unwrap();
        held.lock().unwrap();
        let second = reserve(out, base, &report_names, &|| true).unwrap();
        drop(held);
        let third = reserve(out, base, &report_names, &|| false).unwrap();
        assert_eq!(first.stem, base);
        assert_eq!(second.stem, format!("{base}-2"));
        assert_eq!(third.stem, format!("{base}-3"));
        let names = temporaries(out);
        assert_eq!(names.len(), 3, "{names:?}");
        for r in [&first, &second, &third] {
            let name = r.staging().file_name().unwrap().to_string_lossy();
            assert!(names.contains(&name.to_string()), "{name} {names:?}");
            assert!(
                name.starts_with(&temp_prefix()) && name.ends_with(&format!(".{}", r.stem)),
                "{name}"
            );
        }
        drop((first, second, third));
        assert_eq!(temporaries(out), Vec::<String>::new());
    }

    #[test]
    fn a_relative_out_folder_claims_its_first_stem() {
        // Relative to the test's folder (the package's), as `--out reports`
        // is to a run's.
        std::fs::create_dir_all("target").unwrap();
        let dir = tempfile::tempdir_in("target").unwrap();
        let name = dir.path().file_name().unwrap();
        let out = Path::new("target").join(name).join("reports");
        let base = "tcss-authorizations-20260101T000000Z";
        let first = reserve(&out, base, &report_names, &|| false).unwrap();
        assert_eq!(first.stem, base, "its own claim is not a rival's");
        let second = reserve(&out, base, &report_names, &|| false).unwrap();
        assert_eq!(second.stem, format!("{base}-2"));
    }

    #[test]
    fn temporary_names_parse_and_only_folders_claim() {
        let t = parse(".tcss-report-tmp-42-abcDEF123456.tcss-authorizations-X-2").unwrap();
        assert_eq!((t.pid, t.stem), (42, Some("tcss-authorizations-X-2")));
        let t = parse(".tcss-report-tmp-42-abcDEF123456").unwrap();
        assert_eq!((t.pid, t.stem), (42, None));
        assert!(parse(".tcss-report-tmp-4x-abc.s").is_none());
        let dir = tempfile::tempdir().unwrap();
        // A file (the metrics' temporary file, say) claims nothing.
        fs::write(dir.path().join(".tcss-report-tmp-42-abc.s"), b"").unwrap();
        assert!(!claimed(dir.path(), "s", None));
        fs::create_dir(dir.path().join(".tcss-report-tmp-43-abc.s")).unwrap();
        assert!(claimed(dir.path(), "s", None));
        assert!(!claimed(dir.path(), "t", None));
    }
}
