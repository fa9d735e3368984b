//! The run's metrics for Prometheus: format `prom` (`<stem>.prom`), the
//! `--metrics-file` and the Pushgateway push all carry this one text.
//!
//! This module owns the metric names, their help, their labels and which
//! sample each [`Report`] value becomes; [`render`] turns them into the text
//! exposition format (version 0.0.4) with the `prometheus-client` crate.
//! Like the other writers it computes nothing: every value is a field of the
//! report, converted to Prometheus' units (seconds, ratios 0..1). An empty
//! value is no sample, never 0; an account's labels are `account` (its name)
//! and `uin` (empty when unknown).
//!
//! Every metric is a gauge: each run replaces the whole exposition.

mod encode;

use crate::aggregate::{AccountRow, AccountStatus, Totals};
use crate::report::Report;

pub use encode::{render, EncodeError};

/// What the metrics need beyond the [`Report`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inputs {
    /// Threshold breaches of the run (`--fail-on`): `tcss_report_breaches`.
    pub breaches: usize,
    /// Log lines stderr did not take so far: `tcss_report_log_lines_dropped`.
    pub log_lines_dropped: u64,
}

/// A sample's value: a count, or a ratio, seconds or a timestamp.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value {
    Int(i64),
    Float(f64),
}

/// One sample: its labels, in order, and its value.
pub(crate) type Sample = (Vec<(&'static str, String)>, Value);

/// One metric family: a name, its help and its samples (maybe none).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Family {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    pub(crate) samples: Vec<Sample>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            samples: Vec::new(),
        }
    }

    /// Adds a sample when `value` is known.
    fn push(&mut self, labels: Vec<(&'static str, String)>, value: Option<Value>) {
        if let Some(v) = value {
            self.samples.push((labels, v));
        }
    }
}

fn int(v: Option<i64>) -> Option<Value> {
    v.map(Value::Int)
}

fn float(v: Option<f64>) -> Option<Value> {
    v.filter(|x| x.is_finite()).map(Value::Float)
}

fn count(n: usize) -> Option<Value> {
    Some(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// Every family, in the order written: per account, totals, the run.
pub(crate) fn families(report: &Report, inputs: &Inputs) -> Vec<Family> {
    let mut out = account_families(&report.aggregate.accounts);
    out.extend(total_families(&report.aggregate.totals));
    out.extend(run_families(report, inputs));
    out
}

/// The license kinds of `tcss_image_licenses` and `tcss_total_image_licenses`.
fn license_kinds(
    total: Option<i64>,
    used: Option<i64>,
    trial: Option<i64>,
    used_trial: Option<i64>,
    purchased: Option<i64>,
    used_purchased: Option<i64>,
) -> [(&'static str, Option<i64>); 6] {
    [
        ("total", total),
        ("used", used),
        ("trial", trial),
        ("used_trial", used_trial),
        ("purchased", purchased),
        ("used_purchased", used_purchased),
    ]
}

/// The image states of `tcss_images` and `tcss_total_images`.
fn image_states(
    scanned: Option<i64>,
    not_scanned: Option<i64>,
    not_scanned_local: Option<i64>,
    duplicate: Option<i64>,
) -> [(&'static str, Option<i64>); 4] {
    [
        ("scanned", scanned),
        ("not_scanned", not_scanned),
        ("not_scanned_local", not_scanned_local),
        ("duplicate", duplicate),
    ]
}

/// The families with one sample (or more) per account.
fn account_families(accounts: &[AccountRow]) -> Vec<Family> {
    let mut families = PerAccount::new();
    for a in accounts {
        families.add(a);
    }
    families.into_vec()
}

/// The per-account families, filled one account at a time.
struct PerAccount {
    licenses: Family,
    utilization: Family,
    images: Family,
    coverage: Family,
    quota: Family,
    quota_ratio: Family,
    quota_end: Family,
    up: Family,
}

impl PerAccount {
    fn new() -> PerAccount {
        PerAccount {
            licenses: Family::new(
                "tcss_image_licenses",
                "Image-scan licenses of the account, by kind (total, used, trial, used_trial, purchased, used_purchased).",
            ),
            utilization: Family::new(
                "tcss_image_license_utilization_ratio",
                "Licenses used over licenses total (0..1, above 1 when over-used).",
            ),
            images: Family::new(
                "tcss_images",
                "Images of the account, by state (scanned, not_scanned, not_scanned_local, duplicate).",
            ),
            coverage: Family::new(
                "tcss_image_scan_coverage_ratio",
                "Scanned images over all images (0..1).",
            ),
            quota: Family::new(
                "tcss_scan_quota",
                "The account's image scan quota, by kind (capacity, used).",
            ),
            quota_ratio: Family::new(
                "tcss_scan_quota_utilization_ratio",
                "Scan quota used over its capacity (0..1).",
            ),
            quota_end: Family::new(
                "tcss_scan_quota_end_timestamp_seconds",
                "When the account's scan quota ends, Unix time.",
            ),
            up: Family::new(
                "tcss_account_up",
                "1 when some or all of the account's regions answered (ok or partial), 0 when none did (error).",
            ),
        }
    }

    /// The samples of one account (labels `account`, `uin`, and the kind or state).
    fn add(&mut self, a: &AccountRow) {
        let id = vec![
            ("account", a.account.clone()),
            ("uin", a.uin.clone().unwrap_or_default()),
        ];
        let with = |key: &'static str, value: &str| {
            let mut labels = id.clone();
            labels.push((key, value.to_string()));
            labels
        };
        for (kind, v) in license_kinds(
            a.total_authorized,
            a.used_authorized,
            a.trial_authorized,
            a.used_trial_authorized,
            a.purchased_authorized,
            a.used_purchased_authorized,
        ) {
            self.licenses.push(with("kind", kind), int(v));
        }
        self.utilization.push(id.clone(), float(a.utilization));
        for (state, v) in image_states(
            a.scanned_images,
            a.not_scanned_images,
            a.not_scanned_local_images,
            a.duplicate_images,
        ) {
            self.images.push(with("state", state), int(v));
        }
        self.coverage.push(id.clone(), float(a.scan_coverage));
        self.quota
            .push(with("kind", "capacity"), int(a.scan_quota_capacity));
        self.quota
            .push(with("kind", "used"), int(a.scan_quota_used));
        self.quota_ratio
            .push(id.clone(), float(a.scan_quota_utilization));
        let end = a.scan_quota_end.map(|t| t.timestamp());
        self.quota_end.push(id.clone(), int(end));
        let is_up = i64::from(a.status != AccountStatus::Error);
        self.up.push(id, Some(Value::Int(is_up)));
    }

    fn into_vec(self) -> Vec<Family> {
        vec![
            self.licenses,
            self.utilization,
            self.images,
            self.coverage,
            self.quota,
            self.quota_ratio,
            self.quota_end,
            self.up,
        ]
    }
}

/// The organization-wide totals (over the accounts that are not `error`).
fn total_families(t: &Totals) -> Vec<Family> {
    let mut licenses = Family::new(
        "tcss_total_image_licenses",
        "Image-scan licenses of every account that answered, by kind.",
    );
    for (kind, v) in license_kinds(
        t.total_authorized,
        t.used_authorized,
        t.trial_authorized,
        t.used_trial_authorized,
        t.purchased_authorized,
        t.used_purchased_authorized,
    ) {
        licenses.push(vec![("kind", kind.to_string())], int(v));
    }
    let mut images = Family::new(
        "tcss_total_images",
        "Images of every account that answered, by state.",
    );
    for (state, v) in image_states(
        t.scanned_images,
        t.not_scanned_images,
        t.not_scanned_local_images,
        t.duplicate_images,
    ) {
        images.push(vec![("state", state.to_string())], int(v));
    }
    let mut quota = Family::new(
        "tcss_total_scan_quota",
        "Scan quota of every account that answered, by kind (capacity, used).",
    );
    quota.push(
        vec![("kind", "capacity".into())],
        int(t.scan_quota_capacity),
    );
    quota.push(vec![("kind", "used".into())], int(t.scan_quota_used));
    vec![
        licenses,
        one(
            "tcss_total_image_license_utilization_ratio",
            "Licenses used over licenses total, over every account that answered (weighted).",
            float(t.utilization),
        ),
        images,
        one(
            "tcss_total_image_scan_coverage_ratio",
            "Scanned images over all images, over every account that answered (weighted).",
            float(t.scan_coverage),
        ),
        quota,
        one(
            "tcss_total_scan_quota_utilization_ratio",
            "Scan quota used over capacity, over every account that answered (weighted).",
            float(t.scan_quota_utilization),
        ),
    ]
}

/// A family with one unlabelled sample.
fn one(name: &'static str, help: &'static str, value: Option<Value>) -> Family {
    let mut f = Family::new(name, help);
    f.push(Vec::new(), value);
    f
}

/// A family with one sample per `status` label value.
fn by_status(name: &'static str, help: &'static str, counts: &[(&str, usize)]) -> Family {
    let mut f = Family::new(name, help);
    for (status, n) in counts {
        f.push(vec![("status", status.to_string())], count(*n));
    }
    f
}

/// Facts about the run itself: when, how long, how it went, then its counts.
fn run_families(report: &Report, inputs: &Inputs) -> Vec<Family> {
    let run = &report.aggregate.run;
    let t = &report.aggregate.totals;
    let finished = run.finished_at.timestamp_millis() as f64 / 1000.0;
    let duration = (run.finished_at - run.started_at).num_milliseconds() as f64 / 1000.0;
    let success = run.complete && t.queries_failed == 0 && t.queries_cancelled == 0;
    let mut out = vec![
        one(
            "tcss_report_last_run_timestamp_seconds",
            "When the run that wrote these metrics finished, Unix time.",
            Some(Value::Float(finished)),
        ),
        one(
            "tcss_report_run_duration_seconds",
            "How long the run took, from start to the end of the queries.",
            Some(Value::Float(duration)),
        ),
        one(
            "tcss_report_success",
            "1 when the run was complete and every query succeeded (exit 0 or 4), else 0.",
            Some(Value::Int(i64::from(success))),
        ),
        one(
            "tcss_report_complete",
            "1 when the run was not interrupted and every organization's member list was read, else 0.",
            Some(Value::Int(i64::from(run.complete))),
        ),
    ];
    out.extend(run_counts(report, inputs));
    out
}

/// The run's counts: accounts, queries and organizations by status,
/// breaches, and the version.
fn run_counts(report: &Report, inputs: &Inputs) -> Vec<Family> {
    let (run, t) = (&report.aggregate.run, &report.aggregate.totals);
    let orgs_failed = run
        .organizations
        .iter()
        .filter(|o| o.error_code.is_some())
        .count();
    let mut info = Family::new(
        "tcss_report_build_info",
        "Always 1; the version of tcss-report that wrote these metrics.",
    );
    info.push(vec![("version", run.version.clone())], Some(Value::Int(1)));
    vec![
        by_status(
            "tcss_report_accounts",
            "Accounts of the run, by status (ok, partial, error).",
            &[
                ("ok", t.accounts_ok),
                ("partial", t.accounts_partial),
                ("error", t.accounts_error),
            ],
        ),
        by_status(
            "tcss_report_queries",
            "Queries (one per account and region) of the run, by status (ok, failed, cancelled).",
            &[
                ("ok", t.queries_ok),
                ("failed", t.queries_failed),
                ("cancelled", t.queries_cancelled),
            ],
        ),
        by_status(
            "tcss_report_organizations",
            "Organizations whose members were listed (ok) or not (error).",
            &[
                ("ok", run.organizations.len() - orgs_failed),
                ("error", orgs_failed),
            ],
        ),
        one(
            "tcss_report_breaches",
            "Threshold breaches (--fail-on) of the run.",
            count(inputs.breaches),
        ),
        one(
            "tcss_report_log_lines_dropped",
            "Log lines the run could not write to stderr (a full disk, a closed pipe) and dropped, up to when these metrics were written.",
            Some(Value::Int(i64::try_from(inputs.log_lines_dropped).unwrap_or(i64::MAX))),
        ),
        info,
    ]
}

#[cfg(test)]
mod tests;
