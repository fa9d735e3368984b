//! A set published but for its JSON snapshot: the run's notifications go
//! out between the two (an email attaches the published files), and their
//! outcomes belong in the snapshot (`run.notifications`).
//!
//! Every file but the JSON is published as usual; the JSON stays in the
//! staging folder, already marked complete, with the snapshot as it was
//! first written (each notification's outcome `unknown`). [`HeldJson::publish`]
//! writes the snapshot again from the report (into a temporary file of
//! `out`, renamed over the staged one: one or the other is there, whole),
//! publishes it and removes the folder. So the guarantees of the set hold:
//! the JSON is published last, and a run that dies meanwhile left a
//! complete staging folder holding the JSON, which the next run rolls
//! forward (its notifications said `unknown`). Dropping a [`HeldJson`]
//! that was not published publishes the staged snapshot as it is.

use std::path::{Path, PathBuf};

use tempfile::TempPath;

use super::{io_error, sync_folder, temp_builder, temp_prefix, Reservation, RAND_CHARS};
use crate::report::Report;
use crate::report::{Part, ReportError};

/// The JSON snapshot of a set otherwise published, waiting in the set's
/// complete staging folder.
#[derive(Debug)]
pub struct HeldJson {
    out: PathBuf,
    dest: PathBuf,
    staged: Option<TempPath>,
    reservation: Option<Reservation>,
}

impl HeldJson {
    pub(super) fn new(
        out: &Path,
        dest: PathBuf,
        staged: TempPath,
        reservation: Reservation,
    ) -> HeldJson {
        HeldJson {
            out: out.to_path_buf(),
            dest,
            staged: Some(staged),
            reservation: Some(reservation),
        }
    }

    /// Where the snapshot will be published.
    pub fn dest(&self) -> &Path {
        &self.dest
    }

    /// The staged snapshot, as first written.
    pub fn staged(&self) -> &Path {
        self.staged.as_deref().unwrap_or(&self.dest)
    }

    /// Writes the snapshot again from `report` and publishes it, never
    /// replacing a file; returns its path. When it cannot be written
    /// again, the staged one is published as it is (and that is logged).
    pub fn publish(mut self, report: &Report) -> Result<PathBuf, ReportError> {
        if let Err(e) = self.rewrite(report) {
            tracing::warn!(
                "{e}; publishing the JSON snapshot as first written (its notifications say \
                 `unknown`)"
            );
        }
        self.publish_staged()
    }

    /// The staged snapshot replaced by one written from `report`.
    fn rewrite(&self, report: &Report) -> Result<(), ReportError> {
        let Some(staged) = self.staged.as_deref() else {
            return Ok(());
        };
        // In `out`, not in the staging folder: a temporary file there
        // would be taken for a file of the set by a roll-forward; one in
        // `out` is removed by the next run's clean-up.
        let mut tmp = temp_builder(&temp_prefix(), "", RAND_CHARS, 0o666)
            .tempfile_in(&self.out)
            .map_err(|e| io_error(&self.dest, &e))?;
        super::super::write_part(report, Part::Json, &mut tmp, &self.dest)?;
        tmp.as_file()
            .sync_all()
            .map_err(|e| io_error(&self.dest, &e))?;
        tmp.persist(staged)
            .map(drop)
            .map_err(|e| io_error(&self.dest, &e.error))
    }

    /// Publishes the staged snapshot and removes the staging folder.
    fn publish_staged(&mut self) -> Result<PathBuf, ReportError> {
        let Some(staged) = self.staged.take() else {
            return Ok(self.dest.clone());
        };
        let result = staged.persist_noclobber(&self.dest);
        sync_folder(&self.out);
        match result {
            Ok(()) => {
                self.reservation.take();
                Ok(self.dest.clone())
            }
            Err(e) => {
                // Kept, with its complete folder, for the next run to roll
                // forward: no complete file of a set is ever deleted.
                let _ = e.path.keep();
                if let Some(r) = self.reservation.take() {
                    let _ = r.staging.keep();
                }
                Err(io_error(&self.dest, &e.error))
            }
        }
    }
}

impl Drop for HeldJson {
    fn drop(&mut self) {
        if self.staged.is_some() {
            match self.publish_staged() {
                Ok(path) => tracing::warn!(
                    "published the JSON snapshot {} as first written (its notifications say \
                     `unknown`)",
                    path.display()
                ),
                Err(e) => tracing::warn!("{e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::TEMP_PREFIX;
    use super::*;
    use crate::model::{NotificationOutcome, NotificationStatus};
    use crate::report::{default_formats, prom, write_all, write_reserved_holding_json, Format};
    use crate::test_support::sample_report;

    fn names(out: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != super::super::LOCK_FILE)
            .collect();
        names.sort();
        names
    }

    fn outcome(status: NotificationStatus) -> NotificationOutcome {
        NotificationOutcome {
            kind: "wecom".into(),
            host: "qyapi.weixin.qq.com".into(),
            when: "always".into(),
            status,
            attempts: u32::from(status != NotificationStatus::Unknown),
            error: None,
        }
    }

    fn statuses(path: &Path) -> Vec<String> {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        v["run"]["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["status"].as_str().unwrap().to_string())
            .collect()
    }

    /// A report whose one notification is not sent yet, its set written
    /// with the JSON held.
    fn held_set(out: &Path) -> (Report, HeldJson) {
        let mut report = sample_report();
        report.aggregate.run.notifications = vec![outcome(NotificationStatus::Unknown)];
        let reservation =
            crate::report::reserve(out, &report.aggregate.run.stem, &|| false).unwrap();
        let (paths, held) = write_reserved_holding_json(
            &mut report,
            out,
            &default_formats(),
            &prom::Inputs::default(),
            reservation,
            &std::sync::OnceLock::new(),
        )
        .unwrap();
        assert_eq!(paths.len(), 6, "the whole set's paths");
        (report, held.expect("the JSON is held"))
    }

    #[test]
    fn the_held_json_is_published_last_with_the_notifications_outcomes() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let (mut report, held) = held_set(out);
        let stem = report.aggregate.run.stem.clone();
        let listed = names(out);
        assert!(!listed.contains(&format!("{stem}.json")), "{listed:?}");
        assert_eq!(listed.iter().filter(|n| n.starts_with(&stem)).count(), 5);
        assert_eq!(
            statuses(held.staged()),
            ["unknown"],
            "staged as first written"
        );
        report.aggregate.run.notifications[0] = outcome(NotificationStatus::Sent);
        let json = held.publish(&report).unwrap();
        assert_eq!(json, out.join(format!("{stem}.json")));
        assert_eq!(statuses(&json), ["sent"]);
        let listed = names(out);
        assert_eq!(listed.len(), 6, "the set, no temporary file: {listed:?}");
    }

    #[test]
    fn a_held_json_dropped_unpublished_is_published_as_first_written() {
        let dir = tempfile::tempdir().unwrap();
        let (report, held) = held_set(dir.path());
        drop(held);
        let json = dir
            .path()
            .join(format!("{}.json", report.aggregate.run.stem));
        assert_eq!(statuses(&json), ["unknown"]);
        assert_eq!(names(dir.path()).len(), 6);
    }

    #[test]
    fn a_run_that_dies_while_notifying_has_its_json_rolled_forward() {
        if !(cfg!(target_os = "linux") && Path::new("/proc/self").exists()) {
            eprintln!("skipped: no /proc here; stale staging folders are found by age");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let (report, mut held) = held_set(out);
        // Dies: nothing of the held JSON is touched again.
        held.staged.take().unwrap().keep().unwrap();
        let ours = held.reservation.take().unwrap().staging.keep();
        drop(held);
        let name = ours.file_name().unwrap().to_string_lossy().into_owned();
        let dead = name.replacen(&std::process::id().to_string(), "4294967294", 1);
        std::fs::rename(&ours, out.join(dead)).unwrap();
        let mut next = sample_report();
        write_all(&mut next, out, &[Format::Markdown]).unwrap();
        let json = out.join(format!("{}.json", report.aggregate.run.stem));
        assert_eq!(statuses(&json), ["unknown"], "rolled forward");
        assert!(names(out).iter().all(|n| !n.starts_with(TEMP_PREFIX)));
        assert_eq!(names(out).len(), 7, "the set and the next run's Markdown");
    }

    #[test]
    fn a_file_taken_while_publishing_a_held_set_keeps_the_json_alone() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let report = sample_report();
        let stem = report.aggregate.run.stem.clone();
        let reservation = crate::report::reserve(out, &stem, &|| false).unwrap();
        let parts = [Part::AccountsCsv, Part::Json, Part::Markdown];
        let writer = &crate::report::write_part;
        let staged =
            super::super::stage_all(&report, out, reservation.staging(), &parts, writer).unwrap();
        let md = out.join(format!("{stem}.md"));
        std::fs::write(&md, b"theirs").unwrap();
        let err = super::super::publish_some(out, reservation, staged, true).unwrap_err();
        assert!(
            matches!(
                &err,
                ReportError::NotPublished {
                    kept_json: Some(_),
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            names(out),
            [format!("{stem}.json"), format!("{stem}.md")],
            "the JSON alone, their Markdown untouched"
        );
    }
}
