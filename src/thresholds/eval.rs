//! Evaluation: every threshold against the aggregated report, giving one
//! [`Breach`] per account (account scope) or for the run (total scope)
//! whose value satisfies the expression. An empty value never breaches.
//! Pure: the report is only read.

use super::metrics;
use super::{Breach, Metric, Scope, Threshold};
use crate::aggregate::{AccountRow, Aggregate};
use crate::compare::{Change, Comparison};

/// What the thresholds read: the run's numbers and its comparison.
#[derive(Clone, Copy)]
struct Run<'a> {
    aggregate: &'a Aggregate,
    comparison: &'a Comparison,
}

/// The breaches of `thresholds` in the run's numbers (`aggregate`) and its
/// `comparison` (the `change.*` metrics): in the order of the thresholds,
/// and for each in the order of the accounts.
pub fn evaluate(
    aggregate: &Aggregate,
    comparison: &Comparison,
    thresholds: &[Threshold],
) -> Vec<Breach> {
    let report = Run {
        aggregate,
        comparison,
    };
    let mut out = Vec::new();
    for t in thresholds {
        let unit = t.metric.unit();
        let breach = |value: f64, row: Option<&AccountRow>| Breach {
            scope: t.scope,
            account: row.map(|a| a.account.clone()),
            uin: row.and_then(|a| a.uin.clone()),
            metric: t.metric,
            unit,
            value,
            op: t.op,
            threshold: t.threshold,
            expression: t.expression.clone(),
        };
        match t.scope {
            Scope::Account => {
                // Looked up once per threshold, not once per account.
                let read = match t.metric {
                    Metric::Plain(name) => metrics::find(name).and_then(|m| m.account),
                    Metric::Change(_) => None,
                };
                for (i, row) in aggregate.accounts.iter().enumerate() {
                    if let Some(v) = account_value(report, i, row, t.metric, read) {
                        if t.op.holds(v, t.threshold, unit) {
                            out.push(breach(v, Some(row)));
                        }
                    }
                }
            }
            Scope::Total => {
                if let Some(v) = total_value(report, t.metric) {
                    if t.op.holds(v, t.threshold, unit) {
                        out.push(breach(v, None));
                    }
                }
            }
        }
    }
    out
}

/// The value of `metric` for account `i` (`row`), read with `read` for a
/// plain metric; `None` when empty.
fn account_value(
    report: Run<'_>,
    i: usize,
    row: &AccountRow,
    metric: Metric,
    read: Option<metrics::AccountValue>,
) -> Option<f64> {
    match metric {
        Metric::Plain(_) => read?(row),
        Metric::Change(name) => change_of(report, i)?.get(name),
    }
}

/// The change of account `i`, when the run was compared and it was matched.
fn change_of(report: Run<'_>, i: usize) -> Option<&Change> {
    report.comparison.compared()?.changes.get(i)?.as_ref()
}

/// The value of `metric` for the run; `None` when empty.
fn total_value(report: Run<'_>, metric: Metric) -> Option<f64> {
    match metric {
        Metric::Plain(name) => (metrics::find(name)?.total?)(report.aggregate),
        Metric::Change("utilization") => utilization_change(report),
        Metric::Change(name) => {
            let known: Vec<f64> = (0..report.aggregate.accounts.len())
                .filter_map(|i| change_of(report, i)?.get(name))
                .collect();
            (!known.is_empty()).then(|| known.iter().sum())
        }
    }
}

/// `total.change.utilization`: the weighted utilization of the accounts
/// matched in both runs (with licenses used and total known on both
/// sides), now minus then. Empty when no such account has licenses.
fn utilization_change(report: Run<'_>) -> Option<f64> {
    let (mut used, mut total, mut used_then, mut total_then) = (0i64, 0i64, 0i64, 0i64);
    for (i, row) in report.aggregate.accounts.iter().enumerate() {
        let Some(c) = change_of(report, i) else {
            continue;
        };
        let (Some(u), Some(t), Some(du), Some(dt)) = (
            row.used_authorized,
            row.total_authorized,
            c.used_authorized,
            c.total_authorized,
        ) else {
            continue;
        };
        used = used.saturating_add(u);
        total = total.saturating_add(t);
        used_then = used_then.saturating_add(u.saturating_sub(du));
        total_then = total_then.saturating_add(t.saturating_sub(dt));
    }
    if total <= 0 || total_then <= 0 {
        return None;
    }
    Some(used as f64 / total as f64 - used_then as f64 / total_then as f64)
}
