//! The run's facts (JSON `run`, the Run sheet) and its organizations (JSON
//! `run.organizations`, the history's `organizations`) as tables.

use std::borrow::Cow;

use super::{Cell, Column, Kind};
use crate::model::{OrganizationRun, RunInfo};

type Fact = Column<RunInfo>;

/// The run's facts, in JSON key order (`subset`: a selection was given,
/// `run.selection` lists it). The history's `runs` row has its own columns
/// (`history::schema::RUN_COLUMNS`).
pub(crate) static RUN: [&Fact; 12] = [
    &Fact::new("started_at", "Started (UTC)", Kind::Time, |r| {
        Cell::time(Some(&r.started_at))
    })
    .not_kept(),
    &Fact::new("finished_at", "Finished (UTC)", Kind::Time, |r| {
        Cell::time(Some(&r.finished_at))
    })
    .not_kept(),
    &Fact::new("duration_secs", "Duration (seconds)", Kind::Decimal, |r| {
        Cell::Num((r.finished_at - r.started_at).num_milliseconds() as f64 / 1000.0)
    })
    .not_kept(),
    &Fact::new("version", "tcss-report version", Kind::Text, |r| {
        Cell::str(&r.version)
    })
    .not_kept(),
    &Fact::new("config_path", "Config file", Kind::Text, |r| {
        Cell::str(&r.config_path)
    })
    .not_kept(),
    &Fact::new("config_digest", "Config SHA-256", Kind::Text, |r| {
        Cell::str(&r.config_digest)
    })
    .not_kept(),
    &Fact::new("complete", "Complete", Kind::Flag, |r| {
        Cell::Bool(r.complete)
    })
    .not_kept(),
    &Fact::new("simulated", "Simulated", Kind::Flag, |r| {
        Cell::Bool(r.simulated)
    })
    .not_kept(),
    &Fact::new("subset", "Subset (--only, --exclude)", Kind::Flag, |r| {
        Cell::Bool(r.is_subset())
    })
    .not_kept(),
    &Fact::new("region_scope", "Region scope", Kind::Text, |r| {
        Cell::str(r.region_scope.as_str())
    })
    .not_kept(),
    &Fact::new("stem", "File stem", Kind::Text, |r| Cell::str(&r.stem)).not_kept(),
    &Fact::new("history", "History", Kind::Text, |r| {
        Cell::Text(Cow::Owned(r.history.describe()))
    })
    .not_kept(),
];

type Org = Column<OrganizationRun>;

/// One organization of the run, in JSON key order.
pub(crate) static ORGANIZATIONS: [&Org; 8] = [
    &Org::new("name", "Organization", Kind::Text, |o| Cell::str(&o.name)),
    &Org::new("status", "Status", Kind::Status, |o| Cell::str(o.status())),
    &Org::new(
        "management_account",
        "Management account",
        Kind::Text,
        |o| Cell::str(&o.management_account),
    ),
    &Org::new("members_total", "Members in total", Kind::Count, |o| {
        Cell::int(
            o.members_total
                .map(|n| i64::try_from(n).unwrap_or(i64::MAX)),
        )
    }),
    &Org::new("members_listed", "Members listed", Kind::Count, |o| {
        Cell::count(o.members_listed)
    }),
    &Org::new("members_kept", "Members kept", Kind::Count, |o| {
        Cell::count(o.members_kept)
    }),
    &Org::new("error_code", "Error code", Kind::Text, |o| {
        Cell::text(o.error_code.as_deref())
    }),
    &Org::new("error_message", "Error message", Kind::Text, |o| {
        Cell::text(o.error_message.as_deref())
    }),
];
