//! Thresholds (`--fail-on`, `[defaults] fail_on`): expressions such as
//! `utilization >= 90%` or `total.failed_queries > 0`, parsed and checked
//! before any call ([`parse`], [`check_compare`]), and evaluated on the
//! aggregated report before it is written ([`evaluate`]), giving the
//! [`Breach`]es every report lists and that make the run exit 4.
//!
//! Grammar: `[account.|total.|group.]METRIC OP NUMBER`, whitespace optional
//! around `OP`; `METRIC` is one of [`metrics::METRICS`] or `change.<m>` with `<m>`
//! one of [`crate::compare::CHANGE_METRICS`]; `OP` one of `< <= > >= == !=`;
//! `NUMBER` an integer, a decimal or a percentage (`90%` is 0.9). Pure: no
//! I/O, no formatting of report cells.

mod eval;
pub mod group;
pub mod metrics;
mod parse;
#[cfg(test)]
mod tests;

use std::fmt;

pub use eval::evaluate;
pub use group::by_expression;
pub use metrics::Unit;
pub use parse::{check_compare, check_groups, parse};
#[cfg(test)]
pub use parse::{ExprError, ExprErrorKind};

/// Where an expression breaches: per account, on the run's totals, or per
/// chargeback group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Each account separately (`account.`, the default).
    Account,
    /// The run's totals (`total.`).
    Total,
    /// Each group of every `--group-by` key separately (`group.`).
    Group,
}

impl Scope {
    /// `account`, `total` or `group`, as expressions and reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Account => "account",
            Scope::Total => "total",
            Scope::Group => "group",
        }
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
}

impl Op {
    /// Every operator, longest spellings first (the parser tries them in order).
    pub const ALL: [Op; 6] = [Op::Le, Op::Ge, Op::Eq, Op::Ne, Op::Lt, Op::Gt];

    /// How it is written.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    /// Whether `value OP threshold` holds; ratios equal within
    /// [`metrics::RATIO_EPSILON`] are equal.
    pub fn holds(self, value: f64, threshold: f64, unit: Unit) -> bool {
        let equal = match unit {
            Unit::Ratio => (value - threshold).abs() <= metrics::RATIO_EPSILON,
            Unit::Count => value == threshold,
        };
        match self {
            Op::Lt => value < threshold && !equal,
            Op::Le => value < threshold || equal,
            Op::Gt => value > threshold && !equal,
            Op::Ge => value > threshold || equal,
            Op::Eq => equal,
            Op::Ne => !equal,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an expression measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// A metric of [`metrics::METRICS`], by name.
    Plain(&'static str),
    /// `change.<name>`: the difference since the compared run, one of
    /// [`crate::compare::CHANGE_METRICS`].
    Change(&'static str),
}

impl Metric {
    /// Count or ratio.
    pub fn unit(self) -> Unit {
        match self {
            Metric::Plain(name) => metrics::find(name).map_or(Unit::Count, |m| m.unit),
            Metric::Change(name) => metrics::change_unit(name),
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Plain(name) => f.write_str(name),
            Metric::Change(name) => write!(f, "change.{name}"),
        }
    }
}

/// Where an expression was written, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A `--fail-on` argument.
    CommandLine,
    /// `[defaults] fail_on` of the config file, at this position.
    Config {
        /// The file as given.
        path: String,
        /// 1-based line of the expression's string.
        line: usize,
        /// 1-based column of the expression's string.
        column: usize,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::CommandLine => f.write_str("--fail-on"),
            Origin::Config { path, line, column } => {
                write!(f, "{path}:{line}:{column}: [defaults] fail_on")
            }
        }
    }
}

/// One parsed threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Threshold {
    /// The expression as written (surrounding whitespace removed).
    pub expression: String,
    /// Per account or on the totals.
    pub scope: Scope,
    /// What is measured.
    pub metric: Metric,
    /// How it is compared.
    pub op: Op,
    /// The number it is compared with (a percentage already divided by 100).
    pub threshold: f64,
    /// Where it was written.
    pub origin: Origin,
    /// Byte range of the metric's name in [`Threshold::expression`].
    pub metric_span: std::ops::Range<usize>,
}

/// One threshold breached: by one account, by the totals, or by a group.
#[derive(Debug, Clone, PartialEq)]
pub struct Breach {
    /// Per account, on the totals or per group.
    pub scope: Scope,
    /// The account's name; `None` at total and group scope.
    pub account: Option<String>,
    /// The account's UIN, when known; `None` at total and group scope.
    pub uin: Option<String>,
    /// The group's tag key; `None` unless at group scope.
    pub group_by: Option<String>,
    /// The group's tag value; `None` for the untagged accounts, and unless
    /// at group scope.
    pub group: Option<String>,
    /// What was measured (`utilization`, `change.used_authorized`).
    pub metric: Metric,
    /// Count or ratio (a ratio is shown as a percentage).
    pub unit: Unit,
    /// The value measured.
    pub value: f64,
    /// The operator of the expression.
    pub op: Op,
    /// The number of the expression.
    pub threshold: f64,
    /// The expression as written.
    pub expression: String,
}

impl fmt::Display for Breach {
    /// The stderr line: `threshold breached: utilization >= 90% (account
    /// payments-prod, UIN 100..., value 97%)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "threshold breached: `{}` ", self.expression)?;
        match (&self.account, &self.uin, &self.group_by) {
            (Some(a), Some(u), _) => write!(f, "by account {a} (UIN {u})")?,
            (Some(a), None, _) => write!(f, "by account {a}")?,
            (None, _, Some(key)) => write!(f, "by the group {}", self.group_name(key))?,
            _ => f.write_str("by the totals")?,
        }
        write!(
            f,
            ": {} is {}",
            self.metric,
            show_number(self.value, self.unit)
        )
    }
}

impl Breach {
    /// What breached, in a few words: the account's name, the group
    /// (`team=payments`, `team=(untagged)`), or `total`.
    pub fn subject(&self) -> String {
        match (&self.account, &self.group_by) {
            (Some(a), _) => a.clone(),
            (None, Some(key)) => self.group_name(key),
            (None, None) => "total".to_string(),
        }
    }

    /// `key=value` of the group, `key=(untagged)` for the untagged accounts.
    fn group_name(&self, key: &str) -> String {
        let value = self
            .group
            .as_deref()
            .unwrap_or(crate::columns::groups::UNTAGGED);
        format!("{key}={value}")
    }
}

/// A number as messages show it: a ratio as a percentage (`97.5%`), a
/// count as written (`12`, `-3`, `0.5`).
pub fn show_number(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => {
            let pct = format!("{:.2}", value * 100.0);
            let pct = pct.trim_end_matches('0').trim_end_matches('.');
            format!("{pct}%")
        }
        Unit::Count => format!("{value}"),
    }
}
