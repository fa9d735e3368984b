//! Every history migration, frozen: the tables, columns and indexes each
//! version created, as fixed lists that never change once released (a
//! database an earlier release created was made by exactly this text).
//! They do not refer to the live column lists of [`super`] (what a run
//! writes today): a new column is a new migration appended here
//! ([`super::Step::AddColumns`]), never an edit of an old one. The digest
//! test below fails when a released migration's SQL text changes.

use super::Lead;
use super::Step::{self, AddColumns, Same, Table};
use super::Ty::{Bool, Int, Real, Text};

/// Released in version 1: never change. `runs`: the run's facts, then
/// every key of the report's totals as they were in version 1.
const V1_RUNS: &[(&str, super::Ty)] = &[
    ("stem", Text),
    ("started_at", Text),
    ("finished_at", Text),
    ("generated_at", Text),
    ("recorded_at", Text),
    ("tool_version", Text),
    ("config_path", Text),
    ("config_digest", Text),
    ("complete", Bool),
    ("simulated", Bool),
    ("region_scope", Text),
    ("accounts", Int),
    ("accounts_ok", Int),
    ("accounts_partial", Int),
    ("accounts_error", Int),
    ("total_authorized", Int),
    ("used_authorized", Int),
    ("remaining_authorized", Int),
    ("utilization", Real),
    ("trial_authorized", Int),
    ("used_trial_authorized", Int),
    ("purchased_authorized", Int),
    ("used_purchased_authorized", Int),
    ("scanned_images", Int),
    ("not_scanned_images", Int),
    ("not_scanned_local_images", Int),
    ("total_images", Int),
    ("scan_coverage", Real),
    ("duplicate_images", Int),
    ("duplicate_ratio", Real),
    ("scan_quota_capacity", Int),
    ("scan_quota_used", Int),
    ("scan_quota_utilization", Real),
    ("queries", Int),
    ("queries_ok", Int),
    ("queries_failed", Int),
    ("queries_cancelled", Int),
    ("queries_with_warning", Int),
    ("attempts", Int),
    ("throttled", Int),
];

/// Released in version 1: never change. `account_snapshots`: the
/// accounts-CSV columns of version 1, then `tags`.
const V1_ACCOUNT_SNAPSHOTS: &[(&str, super::Ty)] = &[
    ("account", Text),
    ("uin", Text),
    ("status", Text),
    ("regions_ok", Int),
    ("regions_failed", Int),
    ("total_authorized", Int),
    ("used_authorized", Int),
    ("remaining_authorized", Int),
    ("utilization", Real),
    ("trial_authorized", Int),
    ("used_trial_authorized", Int),
    ("purchased_authorized", Int),
    ("used_purchased_authorized", Int),
    ("scanned_images", Int),
    ("not_scanned_images", Int),
    ("not_scanned_local_images", Int),
    ("total_images", Int),
    ("scan_coverage", Real),
    ("duplicate_images", Int),
    ("duplicate_ratio", Real),
    ("can_apply_free_authorize", Bool),
    ("scan_quota_capacity", Int),
    ("scan_quota_used", Int),
    ("scan_quota_utilization", Real),
    ("scan_quota_status", Text),
    ("scan_quota_start", Text),
    ("scan_quota_end", Text),
    ("scan_quota_days_left", Int),
    ("region_mismatch", Bool),
    ("error_code", Text),
    ("error_message", Text),
    ("request_id", Text),
    ("tags", Text),
];

/// Released in version 1: never change. `region_snapshots`: the
/// regions-CSV columns of version 1.
const V1_REGION_SNAPSHOTS: &[(&str, super::Ty)] = &[
    ("account", Text),
    ("uin", Text),
    ("region", Text),
    ("status", Text),
    ("attempts", Int),
    ("throttled", Int),
    ("latency_ms", Int),
    ("request_id", Text),
    ("error_code", Text),
    ("error_message", Text),
    ("total_authorized", Int),
    ("used_authorized", Int),
    ("trial_authorized", Int),
    ("used_trial_authorized", Int),
    ("purchased_authorized", Int),
    ("used_purchased_authorized", Int),
    ("scanned_images", Int),
    ("not_scanned_images", Int),
    ("not_scanned_local_images", Int),
    ("duplicate_images", Int),
    ("can_apply_free_authorize", Bool),
    ("scan_quota_key", Text),
    ("scan_quota_resource_id", Text),
    ("scan_quota_capacity", Int),
    ("scan_quota_used", Int),
    ("scan_quota_pay_num", Int),
    ("scan_quota_trial_num", Int),
    ("scan_quota_pay_usage", Int),
    ("scan_quota_status", Text),
    ("scan_quota_start", Text),
    ("scan_quota_end", Text),
    ("warning", Text),
];

/// Released in version 2: never change. `organizations`: one row per
/// `[[organizations]]` table of a run.
const V2_ORGANIZATIONS: &[(&str, super::Ty)] = &[
    ("name", Text),
    ("management_account", Text),
    ("status", Text),
    ("members_total", Int),
    ("members_listed", Int),
    ("members_kept", Int),
    ("error_code", Text),
    ("error_message", Text),
];

/// Version 1 (released): the three tables of a run. Never change.
pub const V1: &[Step] = &[
    Table {
        name: "runs",
        lead: Lead::None,
        cols: V1_RUNS,
    },
    Table {
        name: "account_snapshots",
        lead: Lead::RunPosition,
        cols: V1_ACCOUNT_SNAPSHOTS,
    },
    Table {
        name: "region_snapshots",
        lead: Lead::RunPosition,
        cols: V1_REGION_SNAPSHOTS,
    },
];

/// Version 2 (released): the organizations of a run, and the indexes for
/// "this UIN over time" and "the latest complete run". Never change.
pub const V2: &[Step] = &[
    Table {
        name: "organizations",
        lead: Lead::Run,
        cols: V2_ORGANIZATIONS,
    },
    Same("CREATE INDEX account_snapshots_uin ON account_snapshots (uin, run_id)"),
    Same("CREATE INDEX account_snapshots_run ON account_snapshots (run_id, position)"),
    Same("CREATE INDEX region_snapshots_run ON region_snapshots (run_id, position)"),
    Same("CREATE INDEX organizations_run ON organizations (run_id)"),
    Same("CREATE INDEX runs_complete_started ON runs (complete, started_at)"),
    Same("CREATE INDEX runs_started ON runs (started_at)"),
];

/// Released in version 3: never change. `runs`: the run's scope (the
/// config's history key, the canonical `--only`/`--exclude` as a JSON
/// array); runs recorded before hold `NULL` there.
const V3_RUNS: &[(&str, super::Ty)] = &[("history_key", Text), ("selection", Text)];

/// Version 3 (released): the scope of a run, and the index for "the
/// latest runs of this scope". Never change.
pub const V3: &[Step] = &[
    AddColumns {
        table: "runs",
        cols: V3_RUNS,
    },
    Same("CREATE INDEX runs_scope ON runs (history_key, started_at)"),
];

/// Released in version 4: never change. `runs`: the over-use totals
/// (accounts over-licensed, licenses short, licenses idle); runs recorded
/// before hold `NULL` there.
const V4_RUNS: &[(&str, super::Ty)] = &[
    ("accounts_over_licensed", Int),
    ("licenses_short", Int),
    ("licenses_idle", Int),
];

/// Version 4 (released): the over-use totals of a run. Never change.
pub const V4: &[Step] = &[AddColumns {
    table: "runs",
    cols: V4_RUNS,
}];

/// Released in version 5: never change. `account_snapshots`: the
/// account's edition, its term, its cores and its automatic image
/// authorization (issue 21); rows recorded before hold `NULL` there.
const V5_ACCOUNT_SNAPSHOTS: &[(&str, super::Ty)] = &[
    ("edition", Text),
    ("edition_sub_state", Text),
    ("edition_start", Text),
    ("edition_end", Text),
    ("edition_days_left", Int),
    ("auto_renew", Text),
    ("days_to_lapse", Int),
    ("cores_total", Int),
    ("cores_protected", Int),
    ("cores_unprotected", Int),
    ("cores_purchased", Int),
    ("cores_trial", Int),
    ("cores_flexible", Int),
    ("cores_flexible_limit", Int),
    ("core_coverage", Real),
    ("image_licenses_given", Int),
    ("auto_authorize", Text),
    ("auto_authorize_daily_cap", Int),
    ("auto_authorize_hosts", Int),
];

/// Released in version 5: never change. `runs`: the totals of the cores
/// and the counts of editions.
const V5_RUNS: &[(&str, super::Ty)] = &[
    ("cores_total", Int),
    ("cores_protected", Int),
    ("cores_unprotected", Int),
    ("cores_purchased", Int),
    ("core_coverage", Real),
    ("accounts_pro", Int),
    ("accounts_trial", Int),
    ("accounts_pro_expired", Int),
    ("editions_lapsing_30d", Int),
];

/// Version 5: the license picture (edition, term, cores, automatic
/// authorization) of every account and its totals. Never change once
/// released.
pub const V5: &[Step] = &[
    AddColumns {
        table: "account_snapshots",
        cols: V5_ACCOUNT_SNAPSHOTS,
    },
    AddColumns {
        table: "runs",
        cols: V5_RUNS,
    },
];

#[cfg(test)]
mod tests {
    use super::super::{migration, Dialect, MIGRATIONS};

    /// The SHA-256 of every released migration's SQL text (its statements
    /// joined by `;\n`), per dialect, in version order. Append-only: a new
    /// migration's digests are added here (the failure prints them); a
    /// digest already here never changes.
    const RELEASED: &[(i64, Dialect, &str)] = &[
        (
            1,
            Dialect::Sqlite,
            "c167c28604735a9ed2f3ccb6d82e3f4dae3fa21ff2738e038d560784b8009f94",
        ),
        (
            1,
            Dialect::Postgres,
            "b048988cd41190d986b867397400e2364697761ee81c853398793fe81d7026c1",
        ),
        (
            2,
            Dialect::Sqlite,
            "10663d7796209101a891a9fee028550d6de6abf3df7f3e9a8143a3c17642a1e6",
        ),
        (
            2,
            Dialect::Postgres,
            "4c0cd1dad0515cc89566e0f120bcbc902cdfbe73f74d0717acacc1883ae84338",
        ),
        (
            3,
            Dialect::Sqlite,
            "cc8f2b294c5ac2b1518cc8dbb4d88e28149b965e0d642118e7436c429a739658",
        ),
        (
            3,
            Dialect::Postgres,
            "cc8f2b294c5ac2b1518cc8dbb4d88e28149b965e0d642118e7436c429a739658",
        ),
        (
            4,
            Dialect::Sqlite,
            "b6c332243fdb95774a69e67c329169b2b3b02cdb8fde0aa6073522375504d191",
        ),
        (
            4,
            Dialect::Postgres,
            "5a1792fb768b49fd9321d164b5a62010b2bd71c9e972a938e66c62402e7abae2",
        ),
        (
            5,
            Dialect::Sqlite,
            "0a95f4bc5c33bb0cd2e5e02956b661e515140999d1b968a46d02ccad4383484d",
        ),
        (
            5,
            Dialect::Postgres,
            "82ffc6b5fb50a2882a4694472242743c8f49b0feb4fbf10c57518c389aaf32a7",
        ),
    ];

    fn digest(d: Dialect, version: i64) -> String {
        use sha2::Digest;
        let text = migration(d, version).join(";\n");
        hex::encode(sha2::Sha256::digest(text.as_bytes()))
    }

    #[test]
    fn released_migrations_never_change() {
        for (version, d, released) in RELEASED {
            let now = digest(*d, *version);
            assert_eq!(
                now, *released,
                "history migration {version} ({d:?}) changed: its SQL text's SHA-256 is now \
                 {now}, released as {released}. Released history migrations never change (a \
                 database an earlier release created was made by exactly that text); undo the \
                 change and add a new migration instead (history/schema/released.rs, appended \
                 to MIGRATIONS; a new column is a Step::AddColumns)"
            );
        }
    }

    #[test]
    fn every_migration_has_its_digest() {
        for version in 1..=MIGRATIONS.len() as i64 {
            for d in [Dialect::Sqlite, Dialect::Postgres] {
                assert!(
                    RELEASED.iter().any(|(v, e, _)| *v == version && *e == d),
                    "history migration {version} ({d:?}) has no digest: add \
                     ({version}, Dialect::{d:?}, \"{}\") to RELEASED in \
                     history/schema/released.rs; from then on it never changes",
                    digest(d, version)
                );
            }
        }
        assert!(
            RELEASED
                .iter()
                .all(|(v, _, _)| *v >= 1 && *v <= MIGRATIONS.len() as i64),
            "a digest of a migration that is no longer in MIGRATIONS: released migrations \
             are never removed"
        );
    }
}
