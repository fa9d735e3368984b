//! The data that flows between the runner's stages: what was planned, what
//! each query returned, and facts about the run. No behaviour lives here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::calls::{Answer, Call};

/// How per-region answers combine into one account row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionScope {
    /// The license pool is account-wide: numbers come from the first configured
    /// region that answered; `region_mismatch` flags disagreeing regions.
    #[default]
    Account,
    /// Per-region counts are summed over answering regions.
    Region,
}

impl RegionScope {
    /// `account` or `region`, as the config and the reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            RegionScope::Account => "account",
            RegionScope::Region => "region",
        }
    }
}

/// One configured account, as the report needs it (no credentials).
#[derive(Debug, Clone, PartialEq)]
pub struct AccountInfo {
    /// Unique name from the config.
    pub name: String,
    /// UIN if known before the run (config or role ARN).
    pub uin: Option<String>,
    /// Tags from the config.
    pub tags: BTreeMap<String, String>,
    /// Regions in configured order.
    pub regions: Vec<String>,
}

/// The result of one query.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // most outcomes are `Ok`: boxing would cost an allocation each
pub enum QueryResult {
    /// The API answered: the call's typed answer.
    Ok(Answer),
    /// The query failed after `attempts` attempts (or before any, e.g. credentials).
    Failed {
        /// API error code (`AuthFailure.SignatureFailure`) or a local one
        /// (`Timeout`, `HttpError.502`, `MalformedResponse`, `CredentialError`, ...).
        code: String,
        /// Human-readable message, never containing secrets.
        message: String,
    },
    /// The run was interrupted before this query finished.
    Cancelled,
}

/// The error code the reports give a query (or a member list) the run was
/// interrupted before finishing.
pub const CANCELLED_CODE: &str = "Cancelled";

/// Exactly one per planned query.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutcome {
    /// Index into the accounts list.
    pub account_index: usize,
    /// The call the query made.
    pub call: Call,
    /// Region queried (an account-wide call: the region it was asked in).
    pub region: String,
    /// What happened.
    pub result: QueryResult,
    /// Attempts made (0 if none, e.g. cancelled before start or credentials failed).
    pub attempts: u32,
    /// How many attempts were answered with throttling.
    pub throttled: u32,
    /// Wall time from first attempt to outcome, milliseconds.
    pub latency_ms: u64,
    /// RequestId of the last answer, if any.
    pub request_id: Option<String>,
    /// UIN learned during the query (e.g. from GetCallerIdentity), if any.
    pub uin: Option<String>,
    /// The error of the latest failed attempt, kept for a query that was
    /// then cancelled (an interrupt during its retries), so the report says
    /// what it was struggling with. Boxed: rare, and every query has the field.
    pub last_error: Option<Box<AttemptError>>,
}

/// The error of one failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptError {
    /// Error code, as in [`QueryResult::Failed`].
    pub code: String,
    /// Message, as in [`QueryResult::Failed`].
    pub message: String,
}

/// Facts about the run, for the Run sheet, the JSON `run` object and the Markdown header.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// When the run started (also the reference for `scan_quota_days_left`).
    pub started_at: DateTime<Utc>,
    /// When querying finished.
    pub finished_at: DateTime<Utc>,
    /// `tcss-report` version.
    pub version: String,
    /// Path of the config file as given.
    pub config_path: String,
    /// Hex SHA-256 of the config file bytes.
    pub config_digest: String,
    /// False when interrupted: some queries are `Cancelled`.
    pub complete: bool,
    /// How regions combine.
    pub region_scope: RegionScope,
    /// Whether the run was against the built-in simulator.
    pub simulated: bool,
    /// The file stem, e.g. `tcss-authorizations-20261126T071900Z`.
    pub stem: String,
    /// What discovery found in each `[[organizations]]` table.
    pub organizations: Vec<OrganizationRun>,
    /// Where the run was recorded in the history database, or why not.
    pub history: HistoryOutcome,
    /// What the run covers, besides `config_path` and `simulated`: runs
    /// of the same scope are compared and trended together.
    pub scope: RunScope,
    /// What became of each `[[notify]]` entry (empty with `--no-notify`).
    pub notifications: Vec<NotificationOutcome>,
    /// What every account was asked (`[defaults] collect`, `--collect`),
    /// in [`Call::ALL`]'s order: the columns of the others are empty.
    pub collect: Vec<Call>,
}

impl RunInfo {
    /// Whether the run covers a selection of the accounts (`--only`,
    /// `--exclude`): a subset, whose totals are not the fleet's.
    pub fn is_subset(&self) -> bool {
        !self.scope.selection.is_empty()
    }

    /// What every report's title says of what the run is: `SIMULATED` (a
    /// `--simulate` run), `SUBSET` (a run with a selection), in that order.
    pub fn marks(&self) -> Vec<&'static str> {
        let mut marks = Vec::new();
        if self.simulated {
            marks.push(SIMULATED);
        }
        if self.is_subset() {
            marks.push(SUBSET);
        }
        marks
    }

    /// What the run covers, in words: `SUBSET: --only x, --exclude y`, or
    /// `every account of the config`.
    pub fn coverage(&self) -> String {
        if self.is_subset() {
            format!("{SUBSET}: {}", self.scope.selection.join(", "))
        } else {
            "every account of the config".to_string()
        }
    }

    /// Where the numbers come from, in words.
    pub fn source(&self) -> &'static str {
        if self.simulated {
            "SIMULATED: the built-in simulator, not Tencent Cloud"
        } else {
            "Tencent Cloud"
        }
    }
}

/// A selection as one label value (the metrics' `selection` label, the
/// Pushgateway's grouping label): the canonical selectors joined by spaces
/// (`--only org:acme --exclude uin:1`); empty: every account.
pub fn selection_label(selection: &[String]) -> String {
    selection.join(" ")
}

/// The mark of a `--simulate` run.
pub const SIMULATED: &str = "SIMULATED";
/// The mark of a run with a selection (`--only`, `--exclude`).
pub const SUBSET: &str = "SUBSET";

/// What a run covers (with [`RunInfo::simulated`]): runs of one scope are
/// those `--compare last` and the history's trends put side by side.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunScope {
    /// `[defaults] history_key`, else the config file's canonical path
    /// (JSON `run.history_key`).
    pub history_key: String,
    /// `--only` and `--exclude`, canonical: `--only S` then `--exclude S`,
    /// each sorted, without repeats; empty: every account (JSON
    /// `run.selection`; a run with a selection is a subset).
    pub selection: Vec<String>,
}

/// What became of one `[[notify]]` entry (JSON `run.notifications`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationOutcome {
    /// The entry's `kind` (`wecom`, `email`, ...).
    pub kind: String,
    /// The host it was sent to: never the URL's path or query (they carry keys).
    pub host: String,
    /// The entry's `when`.
    pub when: String,
    /// Sent, failed, skipped, or not known.
    pub status: NotificationStatus,
    /// Attempts made (0 when skipped).
    pub attempts: u32,
    /// Why it failed, with no secret in it.
    pub error: Option<String>,
}

/// The outcome of one notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationStatus {
    /// The platform took the message.
    Sent,
    /// It did not (refused, timed out, an error in its answer).
    Failed,
    /// Its `when` did not include the run's exit code: nothing was sent.
    Skipped,
    /// The run ended before the outcome was recorded: what a snapshot
    /// published by the next run (rolled forward) says.
    Unknown,
}

impl NotificationStatus {
    /// The word JSON `run.notifications` uses.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Sent => "sent",
            NotificationStatus::Failed => "failed",
            NotificationStatus::Skipped => "skipped",
            NotificationStatus::Unknown => "unknown",
        }
    }
}

/// Where a run was recorded in the history database (JSON `run.history`,
/// the Run sheet), or why it was not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum HistoryOutcome {
    /// `--no-history`.
    #[default]
    Off,
    /// Recorded as run `run_id` of the database at `location`.
    Recorded {
        /// The file or the URL (never a password).
        location: String,
        /// The run's `runs.id`.
        run_id: i64,
    },
    /// Recording failed: nothing of the run is in the history.
    Failed {
        /// The file or the URL (never a password).
        location: String,
        /// What went wrong, and what to do.
        error: String,
    },
}

impl HistoryOutcome {
    /// One line for the reports: `off`, `recorded in <db> (run N)`, `not recorded: <error>`.
    pub fn describe(&self) -> String {
        match self {
            HistoryOutcome::Off => "off (--no-history)".into(),
            HistoryOutcome::Recorded { location, run_id } => {
                format!("recorded in {location} (run {run_id})")
            }
            HistoryOutcome::Failed { error, .. } => format!("not recorded: {error}"),
        }
    }
}

/// One organization of a run (JSON `run.organizations`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRun {
    /// Its name in the config.
    pub name: String,
    /// The management account's name.
    pub management_account: String,
    /// The API's `Total` (empty when the list could not be read).
    pub members_total: Option<u64>,
    /// Members read.
    pub members_listed: usize,
    /// Members that became accounts of the run.
    pub members_kept: usize,
    /// Why the member list could not be read.
    pub error_code: Option<String>,
    /// The message that goes with `error_code`.
    pub error_message: Option<String>,
}

impl OrganizationRun {
    /// `ok`, or `error` when the member list could not be read.
    pub fn status(&self) -> &'static str {
        if self.error_code.is_some() {
            "error"
        } else {
            "ok"
        }
    }
}
