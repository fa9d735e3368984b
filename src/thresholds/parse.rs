//! Parsing one expression, `[account.|total.|group.]METRIC OP NUMBER`, into
//! a [`Threshold`], and the checks that `change.*` has a comparison and
//! `group.*` groups to read.
//! Every error carries the expression and the byte range of the fault, so
//! its message can show a caret under it, and the list of valid metrics.

use std::fmt;
use std::ops::Range;

use super::metrics::{self, valid_metrics_text};
use super::{Metric, Op, Origin, Scope, Threshold};
use crate::compare::CHANGE_METRICS;
use crate::suggest;

/// What is wrong with an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExprErrorKind {
    /// Nothing but whitespace.
    Empty,
    /// No metric name where one should start.
    MissingMetric,
    /// A name that is no metric.
    UnknownMetric(String),
    /// `change.<name>` where `<name>` is not compared.
    UnknownChangeMetric(String),
    /// `account.<name>` where `<name>` exists only in the totals.
    NotPerAccount(&'static str),
    /// `total.<name>` where `<name>` exists only per account.
    NotInTotals(&'static str),
    /// `group.<name>` where `<name>` is no number of a group.
    NotPerGroup(&'static str),
    /// `account.<name>` or `total.<name>` where `<name>` exists only per group.
    OnlyPerGroup(&'static str),
    /// `group.change.<name>`: changes are per account or in the totals.
    GroupChange,
    /// No operator after the metric.
    MissingOperator,
    /// Something that is not one of the six operators.
    UnknownOperator(String),
    /// No number after the operator.
    MissingNumber,
    /// Something that is not a number.
    BadNumber(String),
    /// Text after the number.
    TrailingText(String),
    /// `change.*` in a run that compares with nothing (no `--compare`).
    NeedsCompare,
    /// `group.*` in a run grouped by nothing (no `--group-by`).
    NeedsGroups,
}

impl fmt::Display for ExprErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ExprErrorKind as K;
        match self {
            K::Empty => f.write_str("the expression is empty"),
            K::MissingMetric => f.write_str("expected a metric name here"),
            K::UnknownMetric(m) => write!(
                f,
                "unknown metric `{m}`{}",
                suggest::hint(m, metrics::names())
            ),
            K::UnknownChangeMetric(m) => {
                let near = suggest::closest(m, CHANGE_METRICS.iter().copied());
                let hint = near.map_or_else(String::new, |n| format!(" (did you mean `change.{n}`?)"));
                write!(
                    f,
                    "`change.{m}` is not compared{hint}; the changes are of {}",
                    CHANGE_METRICS.join(", ")
                )
            }
            K::NotPerAccount(m) => write!(
                f,
                "`{m}` exists only in the totals: write `total.{m}` (or just `{m}`)"
            ),
            K::NotInTotals(m) => write!(
                f,
                "`{m}` exists only per account: write `account.{m}` (or just `{m}`)"
            ),
            K::NotPerGroup(m) => write!(
                f,
                "`{m}` is no number of a group: the group metrics are {}",
                metrics::group_names().join(", ")
            ),
            K::OnlyPerGroup(m) => {
                write!(f, "`{m}` exists only per group: write `group.{m}` (or just `{m}`)")
            }
            K::GroupChange => f.write_str(
                "changes since the compared run are per account or in the totals, not per group",
            ),
            K::MissingOperator => f.write_str("expected an operator (< <= > >= == !=) here"),
            K::UnknownOperator(o) => {
                write!(f, "unknown operator `{o}`: use one of < <= > >= == !=")
            }
            K::MissingNumber => f.write_str("expected a number here (90, 0.5, -3 or 90%)"),
            K::BadNumber(n) => write!(
                f,
                "`{n}` is not a number: write an integer, a decimal or a percentage (90, 0.5, -3, 90%)"
            ),
            K::TrailingText(t) => write!(f, "unexpected `{t}` after the number"),
            K::NeedsCompare => f.write_str(
                "a `change.*` threshold needs a comparison: add `--compare last` or `--compare PREV.json`, \
                 or drop the threshold",
            ),
            K::NeedsGroups => f.write_str(
                "a `group.*` threshold needs groups: add `--group-by KEY` or `[defaults] group_by`, \
                 or drop the threshold",
            ),
        }
    }
}

/// A `--fail-on` expression that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {}", self.detail())]
#[non_exhaustive]
pub struct ExprError {
    /// The expression (surrounding whitespace removed).
    pub expression: String,
    /// Byte range of the fault in `expression`.
    pub span: Range<usize>,
    /// What is wrong.
    pub kind: ExprErrorKind,
    /// Where the expression was written.
    pub origin: Origin,
}

impl ExprError {
    /// The message without its origin: what is wrong, the expression with a
    /// caret line under the fault, and (for a parse error) the grammar and
    /// the valid metrics.
    pub fn detail(&self) -> String {
        let before = self.expression[..self.span.start].chars().count();
        let width = self.expression[self.span.clone()].chars().count().max(1);
        let mut out = format!(
            "`{}`: {}\n  {}\n  {}{}",
            self.expression,
            self.kind,
            self.expression,
            " ".repeat(before),
            "^".repeat(width)
        );
        if !matches!(
            self.kind,
            ExprErrorKind::NeedsCompare | ExprErrorKind::NeedsGroups
        ) {
            out.push_str("\nexpected [account.|total.|group.]METRIC OP NUMBER\n");
            out.push_str(&valid_metrics_text());
        }
        out
    }
}

/// Parses one expression written at `origin`.
pub fn parse(text: &str, origin: Origin) -> Result<Threshold, ExprError> {
    let s = text.trim();
    let fail = |span: Range<usize>, kind| ExprError {
        expression: s.to_string(),
        span,
        kind,
        origin: origin.clone(),
    };
    if s.is_empty() {
        return Err(fail(0..0, ExprErrorKind::Empty));
    }
    let name_end = run_end(s, 0, |c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if name_end == 0 {
        let end = next_char_end(s, 0);
        return Err(fail(0..end, ExprErrorKind::MissingMetric));
    }
    let (scope, metric, metric_span) = metric(s, name_end).map_err(|(span, k)| fail(span, k))?;
    let op_start = skip_space(s, name_end);
    let op_end = run_end(s, op_start, |c| matches!(c, '<' | '>' | '=' | '!'));
    let op_text = &s[op_start..op_end];
    let op = if op_text.is_empty() {
        let end = next_char_end(s, op_start);
        let kind = if op_start == s.len() {
            ExprErrorKind::MissingOperator
        } else {
            ExprErrorKind::UnknownOperator(s[op_start..end].to_string())
        };
        return Err(fail(op_start..end, kind));
    } else {
        Op::ALL
            .into_iter()
            .find(|o| o.as_str() == op_text)
            .ok_or_else(|| {
                fail(
                    op_start..op_end,
                    ExprErrorKind::UnknownOperator(op_text.into()),
                )
            })?
    };
    let num_start = skip_space(s, op_end);
    if num_start == s.len() {
        return Err(fail(num_start..num_start, ExprErrorKind::MissingNumber));
    }
    let num_end = run_end(s, num_start, |c| !c.is_whitespace());
    let num_text = &s[num_start..num_end];
    let threshold = number(num_text).ok_or_else(|| {
        fail(
            num_start..num_end,
            ExprErrorKind::BadNumber(num_text.into()),
        )
    })?;
    let rest = skip_space(s, num_end);
    if rest < s.len() {
        return Err(fail(
            rest..s.len(),
            ExprErrorKind::TrailingText(s[rest..].into()),
        ));
    }
    Ok(Threshold {
        expression: s.to_string(),
        scope,
        metric,
        op,
        threshold,
        origin,
        metric_span,
    })
}

type Fault = (Range<usize>, ExprErrorKind);

/// The scope and metric of the name `s[..end]`, and the metric's span.
fn metric(s: &str, end: usize) -> Result<(Scope, Metric, Range<usize>), Fault> {
    let name = &s[..end];
    let (scope, start) = match name.split_once('.') {
        Some(("account", _)) => (Some(Scope::Account), "account.".len()),
        Some(("total", _)) => (Some(Scope::Total), "total.".len()),
        Some(("group", _)) => (Some(Scope::Group), "group.".len()),
        _ => (None, 0),
    };
    let rest = &name[start..];
    let span = start..end;
    if let Some(changed) = rest.strip_prefix("change.") {
        if scope == Some(Scope::Group) {
            return Err((span, ExprErrorKind::GroupChange));
        }
        let name_start = start + "change.".len();
        return match CHANGE_METRICS.iter().find(|m| **m == changed) {
            Some(m) => Ok((scope.unwrap_or(Scope::Account), Metric::Change(m), span)),
            None => Err((
                name_start..end,
                ExprErrorKind::UnknownChangeMetric(changed.into()),
            )),
        };
    }
    let Some(def) = metrics::find(rest) else {
        return Err((span, ExprErrorKind::UnknownMetric(rest.into())));
    };
    let scope = match scope {
        Some(Scope::Account | Scope::Total) if def.account.is_none() && def.total.is_none() => {
            return Err((span, ExprErrorKind::OnlyPerGroup(def.name)))
        }
        Some(Scope::Account) if def.account.is_none() => {
            return Err((span, ExprErrorKind::NotPerAccount(def.name)))
        }
        Some(Scope::Total) if def.total.is_none() => {
            return Err((span, ExprErrorKind::NotInTotals(def.name)))
        }
        Some(Scope::Group) if def.group.is_none() => {
            return Err((span, ExprErrorKind::NotPerGroup(def.name)))
        }
        Some(s) => s,
        None if def.account.is_some() => Scope::Account,
        None if def.total.is_some() => Scope::Total,
        None => Scope::Group,
    };
    Ok((scope, Metric::Plain(def.name), span))
}

/// An integer, a decimal (`0.5`, `-3.25`) or a percentage of one (`90%`,
/// `12.5%`, divided by 100 without rounding twice); no exponent, no `inf`.
fn number(text: &str) -> Option<f64> {
    let (digits, percent) = match text.strip_suffix('%') {
        Some(d) => (d, true),
        None => (text, false),
    };
    let unsigned = digits.strip_prefix(['-', '+']).unwrap_or(digits);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (unsigned, None),
    };
    let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|f| !all_digits(f)) {
        return None;
    }
    let value: f64 = if percent {
        format!("{digits}e-2").parse().ok()?
    } else {
        digits.parse().ok()?
    };
    value.is_finite().then_some(value)
}

/// The end of the run of characters from `start` that satisfy `keep`.
fn run_end(s: &str, start: usize, keep: impl Fn(char) -> bool) -> usize {
    s[start..]
        .char_indices()
        .find(|&(_, c)| !keep(c))
        .map_or(s.len(), |(i, _)| start + i)
}

fn skip_space(s: &str, start: usize) -> usize {
    run_end(s, start, char::is_whitespace)
}

fn next_char_end(s: &str, start: usize) -> usize {
    s[start..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8())
}

/// Refuses a `change.*` threshold when the run compares with nothing:
/// `comparison_asked` is whether `--compare` was given. The first such
/// threshold is the error, its caret under the metric.
pub fn check_compare(thresholds: &[Threshold], comparison_asked: bool) -> Result<(), ExprError> {
    if comparison_asked {
        return Ok(());
    }
    match thresholds
        .iter()
        .find(|t| matches!(t.metric, Metric::Change(_)))
    {
        None => Ok(()),
        Some(t) => Err(ExprError {
            expression: t.expression.clone(),
            span: t.metric_span.clone(),
            kind: ExprErrorKind::NeedsCompare,
            origin: t.origin.clone(),
        }),
    }
}

/// Refuses a `group.*` threshold when the run is grouped by nothing:
/// `grouped` is whether it has `--group-by` or `[defaults] group_by` keys.
/// The first such threshold is the error, its caret under the metric.
pub fn check_groups(thresholds: &[Threshold], grouped: bool) -> Result<(), ExprError> {
    match thresholds.iter().find(|t| t.scope == Scope::Group) {
        Some(t) if !grouped => Err(ExprError {
            expression: t.expression.clone(),
            span: t.metric_span.clone(),
            kind: ExprErrorKind::NeedsGroups,
            origin: t.origin.clone(),
        }),
        _ => Ok(()),
    }
}
