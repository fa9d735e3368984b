//! The run's metrics for Prometheus: format `prom` (`<stem>.prom`), the
//! `--metrics-file` and the Pushgateway push all carry this one text.
//!
//! The column tables say which family and label each column's value
//! becomes (`crate::columns`, its `families`); this module makes the
//! samples of every row and of the totals from them, owns the run's own
//! families (when, how long, how it went, organizations, breaches, the
//! version), and [`render`] turns them into the text exposition format
//! (version 0.0.4) with the `prometheus-client` crate.
//! Like the other writers it computes nothing: every value is a field of the
//! report, converted to Prometheus' units (seconds, ratios 0..1). An empty
//! value is no sample, never 0; an account's labels are `account` (its name)
//! and `uin` (empty when unknown), a chargeback group's `group_by` (the tag
//! key) and `group` (the tag's value, empty for the untagged accounts).
//!
//! Every metric is a gauge: each run replaces the whole exposition.

mod edition;
mod encode;

use crate::aggregate::{AccountRow, AccountStatus, Totals};
use crate::columns::accounts::ACCOUNTS;
use crate::columns::families;
use crate::columns::groups::GROUPS;
use crate::columns::totals::TOTALS;
use crate::columns::{Cell, Column, Kind, Sample as Mapping};
use crate::groups::GroupRow;
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

/// A sample's labels, in order.
pub(crate) type Labels = Vec<(&'static str, String)>;

/// One sample: its labels and its value.
pub(crate) type Sample = (Labels, Value);

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

fn float(v: Option<f64>) -> Option<Value> {
    v.filter(|x| x.is_finite()).map(Value::Float)
}

fn count(n: usize) -> Option<Value> {
    Some(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

/// Every family, in the order written: per account, totals, per group
/// (when grouped), the run.
pub(crate) fn families(report: &Report, inputs: &Inputs) -> Vec<Family> {
    let mut out = account_families(&report.aggregate.accounts);
    out.extend(edition::families(&report.aggregate.accounts));
    out.extend(total_families(&families::TOTALS, &report.aggregate.totals));
    if !report.groups.keys.is_empty() {
        out.extend(group_families(&report.groups.rows));
    }
    out.extend(run_families(report, inputs));
    out
}

/// A value as a sample: counts and days as they are, ratios and seconds as
/// decimals, a time as Unix seconds, a flag as 0 or 1, a status as 1
/// unless `error` (its kind `Status`); empty, text and non-finite values
/// are no sample.
fn sample_value(cell: &Cell<'_>, kind: Kind) -> Option<Value> {
    match cell {
        Cell::Int(n) => Some(Value::Int(*n)),
        Cell::Ratio(x) | Cell::Num(x) => float(Some(*x)),
        Cell::Time(t) => Some(Value::Int(t.timestamp())),
        Cell::Bool(b) => Some(Value::Int(i64::from(*b))),
        Cell::Text(s) if kind == Kind::Status => {
            Some(Value::Int(i64::from(s != AccountStatus::Error.as_str())))
        }
        Cell::Text(_) | Cell::Empty => None,
    }
}

/// `labels` and, when there is one, the column's own label.
fn with(labels: &[(&'static str, String)], own: Option<(&'static str, &'static str)>) -> Labels {
    let mut labels = labels.to_vec();
    if let Some((key, value)) = own {
        labels.push((key, value.to_string()));
    }
    labels
}

/// The families with one sample (or more) per account: each account's
/// columns mapped to the family (their `Sample`), labelled `account`
/// and `uin`.
fn account_families(accounts: &[AccountRow]) -> Vec<Family> {
    let mut out: Vec<Family> = families::PER_ACCOUNT
        .iter()
        .map(|f| Family::new(f.name, f.help))
        .collect();
    let mapped: Vec<(usize, &Column<AccountRow>, Mapping)> = ACCOUNTS
        .iter()
        .filter_map(|c| {
            let s = c.sample?;
            let family = families::PER_ACCOUNT
                .iter()
                .position(|f| std::ptr::eq(*f, s.family))?;
            Some((family, *c, s))
        })
        .collect();
    for a in accounts {
        let id = vec![
            ("account", a.account.clone()),
            ("uin", a.uin.clone().unwrap_or_default()),
        ];
        for (family, column, sample) in &mapped {
            let value = sample_value(&column.cell(a), column.kind);
            out[*family].push(with(&id, sample.label), value);
        }
    }
    out
}

/// The families of `list` with the samples of the totals' columns mapped
/// to them: the organization-wide totals (over the accounts that are not
/// `error`, [`families::TOTALS`]) and the run's counts by status
/// ([`families::RUN_COUNTS`]).
fn total_families(list: &[&'static families::Family], t: &Totals) -> Vec<Family> {
    let mut out: Vec<Family> = list.iter().map(|f| Family::new(f.name, f.help)).collect();
    for c in TOTALS.iter() {
        let Some((family, label)) = c.sample() else {
            continue;
        };
        if let Some(i) = list.iter().position(|f| std::ptr::eq(*f, family)) {
            out[i].push(with(&[], label), sample_value(&c.cell(t), c.kind()));
        }
    }
    out
}

/// The families with one sample (or more) per group: the groups columns
/// mapped to a per-group family ([`families::PER_GROUP`]), labelled
/// `group_by` and `group`.
fn group_families(groups: &[GroupRow]) -> Vec<Family> {
    let mut out: Vec<Family> = families::PER_GROUP
        .iter()
        .map(|f| Family::new(f.name, f.help))
        .collect();
    let mapped: Vec<_> = GROUPS
        .iter()
        .filter_map(|c| {
            let (family, label) = c.sample()?;
            let i = families::PER_GROUP
                .iter()
                .position(|f| std::ptr::eq(*f, family))?;
            Some((i, *c, label))
        })
        .collect();
    for g in groups {
        let id = vec![
            ("group_by", g.group_by.clone()),
            ("group", g.group.clone().unwrap_or_default()),
        ];
        for (family, column, label) in &mapped {
            out[*family].push(
                with(&id, *label),
                sample_value(&column.cell(g), column.kind()),
            );
        }
    }
    out
}

/// A family with one unlabelled sample.
fn one(name: &'static str, help: &'static str, value: Option<Value>) -> Family {
    let mut f = Family::new(name, help);
    f.push(Vec::new(), value);
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
/// breaches; what the run covered (simulated, a subset and its
/// selectors); and the version.
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
    let mut scope = Family::new(
        "tcss_report_scope_info",
        "Always 1; what the run covered: simulated (true for a --simulate run), subset (true when --only or --exclude selected the accounts) and selection (the selectors; empty for every account).",
    );
    scope.push(
        vec![
            ("simulated", run.simulated.to_string()),
            ("subset", run.is_subset().to_string()),
            (
                "selection",
                crate::model::selection_label(&run.scope.selection),
            ),
        ],
        Some(Value::Int(1)),
    );
    let mut organizations = Family::new(
        "tcss_report_organizations",
        "Organizations whose members were listed (ok) or not (error).",
    );
    for (status, n) in [
        ("ok", run.organizations.len() - orgs_failed),
        ("error", orgs_failed),
    ] {
        organizations.push(vec![("status", status.to_string())], count(n));
    }
    let mut out = total_families(&families::RUN_COUNTS, t);
    out.extend([
        organizations,
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
        scope,
        info,
    ]);
    out
}

#[cfg(test)]
mod tests;
