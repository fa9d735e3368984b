//! The chargeback groups table (`<stem>.groups.csv`, JSON `groups`, the
//! Groups sheet, the Markdown's "Groups by" tables, `group.` thresholds,
//! `tcss_group_*` metrics, the `history --group-by` trends): [`GroupRow`],
//! one per value of a tag key and one for the accounts without it, and its
//! columns in the contract's order ([`GROUPS`]).
//!
//! A group's numbers are a [`Totals`] over the group's accounts, computed
//! by the totals' own rules (`crate::groups`): so a column of this table is
//! either the group's own (`group_by`, `group`, `share_of_used`) or a
//! column of the totals ([`GroupColumn::Total`]): an account count, or the
//! total of an accounts column (its sum or weighted ratio). A new group
//! column that the totals already have is one entry here, e.g.
//! `of(&accounts::CORES_TOTAL)` or `count(&totals::LICENSES_SHORT)`.

use super::accounts::{self, AccountRow};
use super::families::{self, Family};
use super::license;
use super::totals::{self, Totals, TotalsColumn};
use super::{Cell, Column, Kind};

/// What `(untagged)` stands for: the accounts without the key's tag (or
/// with an empty value). JSON `group: null`, CSV an empty cell.
pub(crate) const UNTAGGED: &str = "(untagged)";

/// One group: the accounts whose tag `group_by` is `group` (`None`: the
/// accounts without that tag), and their numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    /// The tag key the run is grouped by.
    pub group_by: String,
    /// The tag's value; `None` for the accounts without it.
    pub group: Option<String>,
    /// The group's account counts and totals of the accounts columns, by
    /// the totals' rules (the query counts are not the group's: zero).
    pub totals: Totals,
    /// The group's `used_authorized` over the run's (empty when either is
    /// unknown or the run's is 0).
    pub share_of_used: Option<f64>,
}

type Col = Column<GroupRow>;

/// The tag key.
pub(crate) static GROUP_BY: Col = Col::new("group_by", "Grouped by", Kind::Text, |g| {
    Cell::str(&g.group_by)
})
.not_kept()
.width(16.0);
/// The tag's value, empty for the untagged accounts.
pub(crate) static GROUP: Col = Col::new("group", "Group", Kind::Text, |g| {
    Cell::text(g.group.as_deref())
})
.not_kept()
.width(24.0);
/// The group's part of the run's licenses used.
pub(crate) static SHARE_OF_USED: Col = Col::new(
    "share_of_used",
    "Share of licenses used",
    Kind::Ratio,
    |g| Cell::ratio(g.share_of_used),
)
.not_kept();

/// One column of the groups table.
#[derive(Debug, Clone, Copy)]
pub(crate) enum GroupColumn {
    /// The group's own (`group_by`, `group`, `share_of_used`).
    Own(&'static Column<GroupRow>),
    /// A column of the totals, over the group's accounts.
    Total(TotalsColumn),
}

/// The group's total of the accounts column `c`, by its `Total` rule.
pub(crate) const fn of(c: &'static Column<AccountRow>) -> GroupColumn {
    GroupColumn::Total(TotalsColumn::Of(c))
}

/// One of the totals' own counts (the accounts by status), over the group.
pub(crate) const fn count(c: &'static Column<Totals>) -> GroupColumn {
    GroupColumn::Total(TotalsColumn::Own(c))
}

impl GroupColumn {
    /// Its key (CSV header, JSON key, metric name).
    pub(crate) fn key(self) -> &'static str {
        match self {
            GroupColumn::Own(c) => c.key,
            GroupColumn::Total(c) => c.key(),
        }
    }

    /// Its label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            GroupColumn::Own(c) => c.label,
            GroupColumn::Total(c) => c.label(),
        }
    }

    /// Its kind.
    pub(crate) fn kind(self) -> Kind {
        match self {
            GroupColumn::Own(c) => c.kind,
            GroupColumn::Total(c) => c.kind(),
        }
    }

    /// Its value in `g`.
    pub(crate) fn cell(self, g: &GroupRow) -> Cell<'_> {
        match self {
            GroupColumn::Own(c) => c.cell(g),
            GroupColumn::Total(c) => c.cell(&g.totals),
        }
    }

    /// Whether it is a `group.` threshold metric: every number of a group.
    pub(crate) fn threshold(self) -> bool {
        matches!(self.kind(), Kind::Count | Kind::Ratio)
    }

    /// Its XLSX width.
    pub(crate) fn xlsx_width(self) -> f64 {
        match self {
            GroupColumn::Own(c) => c.xlsx_width(),
            GroupColumn::Total(TotalsColumn::Of(c)) => c.xlsx_width(),
            GroupColumn::Total(TotalsColumn::Own(c)) => c.xlsx_width(),
        }
    }

    /// The Prometheus family and label its value becomes: the per-group
    /// family of its accounts or totals column's family
    /// ([`families::grouped`]), with the same label (`kind="used"`,
    /// `kind="short"`).
    pub(crate) fn sample(self) -> Option<(&'static Family, Option<(&'static str, &'static str)>)> {
        let s = match self {
            GroupColumn::Own(_) => return None,
            GroupColumn::Total(TotalsColumn::Of(c)) => c.sample?,
            GroupColumn::Total(TotalsColumn::Own(c)) => c.sample?,
        };
        Some((families::grouped(s.family)?, s.label))
    }

    /// Whether it is the accounts column `c`'s total.
    pub(crate) fn is(self, c: &Column<AccountRow>) -> bool {
        matches!(self, GroupColumn::Total(TotalsColumn::Of(x)) if std::ptr::eq(x, c))
    }
}

/// The groups table's columns, in the contract's order. A new one is one
/// entry, as the totals have it (`of(..)` for an accounts column's total,
/// `count(..)` for a count of the totals'): the grouping, every format, the
/// `group.` thresholds, the metrics (if sampled) and `history --group-by`
/// follow.
pub(crate) static GROUPS: [GroupColumn; 21] = [
    GroupColumn::Own(&GROUP_BY),
    GroupColumn::Own(&GROUP),
    count(&totals::N_ACCOUNTS),
    count(&totals::ACCOUNTS_OK),
    count(&totals::ACCOUNTS_PARTIAL),
    count(&totals::ACCOUNTS_ERROR),
    of(&accounts::TOTAL_AUTHORIZED),
    of(&accounts::USED_AUTHORIZED),
    of(&accounts::REMAINING_AUTHORIZED),
    of(&accounts::UTILIZATION),
    GroupColumn::Own(&SHARE_OF_USED),
    count(&totals::LICENSES_SHORT),
    count(&totals::LICENSES_IDLE),
    of(&accounts::SCANNED_IMAGES),
    of(&accounts::NOT_SCANNED_IMAGES),
    of(&accounts::TOTAL_IMAGES),
    of(&accounts::SCAN_COVERAGE),
    of(&accounts::DUPLICATE_IMAGES),
    of(&license::CORES_TOTAL),
    of(&license::CORES_UNPROTECTED),
    count(&license::EDITIONS_LAPSING_30D),
];

/// The columns a summary shows per group, after the group's name (the
/// Markdown's and the HTML's group tables): its accounts, licenses used and
/// total, utilization, share of the run's use and licenses short.
pub(crate) static SUMMARY: [GroupColumn; 6] = [
    count(&totals::N_ACCOUNTS),
    of(&accounts::USED_AUTHORIZED),
    of(&accounts::TOTAL_AUTHORIZED),
    of(&accounts::UTILIZATION),
    GroupColumn::Own(&SHARE_OF_USED),
    count(&totals::LICENSES_SHORT),
];

/// The column called `key`.
pub(crate) fn find(key: &str) -> Option<GroupColumn> {
    GROUPS.iter().copied().find(|c| c.key() == key)
}
