//! Evaluation: every threshold against the aggregated report, giving one
//! [`Breach`] per account (account scope), for the run (total scope) or
//! per group of every `--group-by` key (group scope) whose value satisfies
//! the expression. An empty value never breaches. Pure: the report is only
//! read.

use super::metrics;
use super::{Breach, Metric, Scope, Threshold};
use crate::aggregate::{AccountRow, Aggregate};
use crate::columns::accounts::ACCOUNTS;
use crate::columns::{find, Column, Total};
use crate::compare::{Change, Comparison};
use crate::groups::{GroupRow, Groups};

/// What the thresholds read: the run's numbers and its comparison.
#[derive(Clone, Copy)]
struct Run<'a> {
    aggregate: &'a Aggregate,
    comparison: &'a Comparison,
}

/// The breaches of `thresholds` in the run's numbers (`aggregate`), its
/// `comparison` (the `change.*` metrics) and its `groups`: in the order of
/// the thresholds, and for each in the order of the accounts (or groups).
pub fn evaluate(
    aggregate: &Aggregate,
    comparison: &Comparison,
    groups: &Groups,
    thresholds: &[Threshold],
) -> Vec<Breach> {
    let report = Run {
        aggregate,
        comparison,
    };
    let mut out = Vec::new();
    for t in thresholds {
        let unit = t.metric.unit();
        let breach = |value: f64, row: Option<&AccountRow>, group: Option<&GroupRow>| Breach {
            scope: t.scope,
            account: row.map(|a| a.account.clone()),
            uin: row.and_then(|a| a.uin.clone()),
            group_by: group.map(|g| g.group_by.clone()),
            group: group.and_then(|g| g.group.clone()),
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
                    Metric::Plain(name) => metrics::find(name),
                    Metric::Change(_) => None,
                };
                for (i, row) in aggregate.accounts.iter().enumerate() {
                    if let Some(v) = account_value(report, i, row, t.metric, read) {
                        if t.op.holds(v, t.threshold, unit) {
                            out.push(breach(v, Some(row), None));
                        }
                    }
                }
            }
            Scope::Total => {
                if let Some(v) = total_value(report, t.metric) {
                    if t.op.holds(v, t.threshold, unit) {
                        out.push(breach(v, None, None));
                    }
                }
            }
            Scope::Group => {
                let read = match t.metric {
                    Metric::Plain(name) => metrics::find(name),
                    Metric::Change(_) => None,
                };
                for g in &groups.rows {
                    if let Some(v) = read.and_then(|m| m.group_value(g)) {
                        if t.op.holds(v, t.threshold, unit) {
                            out.push(breach(v, None, Some(g)));
                        }
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
    read: Option<&metrics::MetricDef>,
) -> Option<f64> {
    match metric {
        Metric::Plain(_) => read?.account_value(row),
        Metric::Change(name) => change_of(report, i)?.get(name),
    }
}

/// The change of account `i`, when the run was compared and it was matched.
fn change_of(report: Run<'_>, i: usize) -> Option<&Change> {
    report.comparison.compared()?.changes.get(i)?.as_ref()
}

/// The value of `metric` for the run; `None` when empty. The change of a
/// weighted ratio (`total.change.utilization`) is [`weighted_change`]; the
/// change of anything else, the sum of the accounts' known changes.
fn total_value(report: Run<'_>, metric: Metric) -> Option<f64> {
    match metric {
        Metric::Plain(name) => metrics::find(name)?.total_value(report.aggregate),
        Metric::Change(name) => {
            let column = find(&ACCOUNTS, name)?;
            if let Total::Weighted { num, den } = column.total {
                return weighted_change(report, num, den);
            }
            let known: Vec<f64> = (0..report.aggregate.accounts.len())
                .filter_map(|i| change_of(report, i)?.get(name))
                .collect();
            (!known.is_empty()).then(|| known.iter().sum())
        }
    }
}

/// The change of the weighted ratio `num / den` in the totals: that ratio
/// over the accounts matched in both runs (with both known on both sides),
/// now minus then. Empty when no such account has a denominator.
fn weighted_change(
    report: Run<'_>,
    num: &Column<AccountRow>,
    den: &Column<AccountRow>,
) -> Option<f64> {
    let (mut n, mut d, mut n_then, mut d_then) = (0i64, 0i64, 0i64, 0i64);
    for (i, row) in report.aggregate.accounts.iter().enumerate() {
        let Some(c) = change_of(report, i) else {
            continue;
        };
        let values = (
            num.cell(row).as_int(),
            den.cell(row).as_int(),
            c.values.int(num),
            c.values.int(den),
        );
        let (Some(u), Some(t), Some(du), Some(dt)) = values else {
            continue;
        };
        n = n.saturating_add(u);
        d = d.saturating_add(t);
        n_then = n_then.saturating_add(u.saturating_sub(du));
        d_then = d_then.saturating_add(t.saturating_sub(dt));
    }
    if d <= 0 || d_then <= 0 {
        return None;
    }
    Some(n as f64 / d as f64 - n_then as f64 / d_then as f64)
}
