//! The breaches grouped by expression, in the order first breached (the
//! order of the thresholds): what the Markdown, stderr and the
//! notifications show, so that 63 breaches of one expression never hide
//! another behind 50 lines of the first. The JSON and the XLSX keep every
//! breach. Pure.

use std::collections::HashMap;
use std::fmt;

use super::{show_number, Breach, Scope};

/// How many of a group's breaches a line names; the rest are counted.
pub const NAMES_SHOWN: usize = 3;

/// The breaches of one expression.
#[derive(Debug, Clone, PartialEq)]
pub struct Group<'a> {
    /// The expression as written.
    pub expression: &'a str,
    /// Its breaches, in report order (one for a total-scope expression).
    pub breaches: Vec<&'a Breach>,
}

impl Group<'_> {
    /// How many breaches.
    pub fn count(&self) -> usize {
        self.breaches.len()
    }

    /// `12 accounts`, `1 account`, `3 groups`, or `the totals`.
    pub fn count_words(&self) -> String {
        match (self.breaches.first().map(|b| b.scope), self.count()) {
            (Some(Scope::Total), _) => "the totals".to_string(),
            (Some(Scope::Group), 1) => "1 group".to_string(),
            (Some(Scope::Group), n) => format!("{n} groups"),
            (_, 1) => "1 account".to_string(),
            (_, n) => format!("{n} accounts"),
        }
    }
}

impl Breach {
    /// Who breached, and the value: `payments-prod (97%)`, a group's
    /// `team=payments (97%)`, or `the totals (3)`.
    pub fn who_and_value(&self) -> String {
        let who = match self.scope {
            Scope::Total => "the totals".to_string(),
            _ => self.subject(),
        };
        format!("{who} ({})", show_number(self.value, self.unit))
    }
}

/// The stderr line of a group: one breach as [`Breach`] shows it; several
/// as `threshold breached: `EXPR` by 25 accounts: a (95%), b (97%), c (91%)
/// and 22 more`.
impl fmt::Display for Group<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [one] = self.breaches.as_slice() {
            return write!(f, "{one}");
        }
        write!(
            f,
            "threshold breached: `{}` by {}: ",
            self.expression,
            self.count_words()
        )?;
        let names: Vec<String> = self
            .breaches
            .iter()
            .take(NAMES_SHOWN)
            .map(|b| b.who_and_value())
            .collect();
        f.write_str(&names.join(", "))?;
        match self.count().saturating_sub(NAMES_SHOWN) {
            0 => Ok(()),
            rest => write!(f, " and {rest} more"),
        }
    }
}

/// `breaches` grouped by expression, groups in the order first breached,
/// breaches in theirs.
pub fn by_expression(breaches: &[Breach]) -> Vec<Group<'_>> {
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for b in breaches {
        let i = *index.entry(b.expression.as_str()).or_insert_with(|| {
            groups.push(Group {
                expression: &b.expression,
                breaches: Vec::new(),
            });
            groups.len() - 1
        });
        groups[i].breaches.push(b);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thresholds::{Metric, Op, Unit};

    fn breach(expression: &str, account: Option<&str>, value: f64) -> Breach {
        Breach {
            scope: if account.is_some() {
                Scope::Account
            } else {
                Scope::Total
            },
            account: account.map(str::to_string),
            uin: account.map(|_| "1".to_string()),
            group_by: None,
            group: None,
            metric: Metric::Plain("utilization"),
            unit: Unit::Ratio,
            value,
            op: Op::Ge,
            threshold: 0.9,
            expression: expression.into(),
        }
    }

    /// The case: the breaches of a later expression are not lost
    /// behind those of the first.
    #[test]
    fn grouped_in_the_order_first_breached_with_a_count_each() {
        let mut all: Vec<Breach> = (0..50)
            .map(|i| breach("utilization >= 90%", Some(&format!("a{i:02}")), 0.95))
            .collect();
        all.extend(
            (0..63).map(|i| breach("change.used_authorized > 100", Some(&format!("b{i}")), 2.0)),
        );
        all.push(breach("total.utilization >= 90%", None, 0.925));
        let groups = by_expression(&all);
        let summary: Vec<(&str, String)> = groups
            .iter()
            .map(|g| (g.expression, g.count_words()))
            .collect();
        assert_eq!(
            summary,
            [
                ("utilization >= 90%", "50 accounts".to_string()),
                ("change.used_authorized > 100", "63 accounts".to_string()),
                ("total.utilization >= 90%", "the totals".to_string()),
            ]
        );
        assert_eq!(
            groups[0].to_string(),
            "threshold breached: `utilization >= 90%` by 50 accounts: a00 (95%), a01 (95%), \
             a02 (95%) and 47 more"
        );
        // One breach: the line of the breach itself.
        assert_eq!(groups[2].to_string(), all[113].to_string());
        assert_eq!(all[113].who_and_value(), "the totals (92.5%)");
    }

    /// A group's breaches are counted as groups and named `key=value`.
    #[test]
    fn group_breaches_are_counted_as_groups_and_named_by_key_and_value() {
        let of = |group: Option<&str>, value: f64| Breach {
            scope: Scope::Group,
            group_by: Some("team".into()),
            group: group.map(str::to_string),
            ..breach("group.utilization >= 90%", None, value)
        };
        let all = [of(None, 1.25), of(Some("ops"), 0.9)];
        let groups = by_expression(&all);
        assert_eq!(groups[0].count_words(), "2 groups");
        assert_eq!(
            groups[0].to_string(),
            "threshold breached: `group.utilization >= 90%` by 2 groups: \
             team=(untagged) (125%), team=ops (90%)"
        );
        assert_eq!(by_expression(&all[1..])[0].count_words(), "1 group");
    }
}
