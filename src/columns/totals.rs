//! The run's totals (JSON `totals`, the Summary sheet, the Markdown totals,
//! the `runs` row of the history): [`Totals`] and its table [`TOTALS`]:
//! the account counts, then every accounts column with a `Total` rule
//! (its key, label and kind; the sum or weighted ratio in
//! [`Totals::columns`]), then the over-use counts (accounts over-licensed,
//! licenses short and idle: over-use is a finding, computed by
//! `aggregate::overuse`), then the query counts.

use std::sync::LazyLock;

use super::accounts::{self, AccountRow};
use super::families::{
    Family, REPORT_ACCOUNTS, REPORT_QUERIES, TOTAL_LICENSES, TOTAL_OVER_LICENSED,
};
use super::license::{EditionCounts, EDITION_COUNTS};
use super::{Cell, Column, Kind, Sample, Scopes};

/// Run-wide totals. The account columns' totals are over the accounts
/// whose status is not `error` (each account once): sums skip unknown
/// values (empty when no such account knows the value, or the sum is too
/// large), ratios are weighted (the sum of numerators over the sum of
/// denominators where both are known; empty when that is 0). Query
/// counters cover every query of the run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    /// Accounts in the run.
    pub accounts: usize,
    /// Accounts with status `ok`.
    pub accounts_ok: usize,
    /// Accounts with status `partial`.
    pub accounts_partial: usize,
    /// Accounts with status `error`.
    pub accounts_error: usize,
    /// The totals of [`accounts::totalled`], in that order: a whole number,
    /// a ratio or empty.
    pub(crate) columns: Vec<Cell<'static>>,
    /// Accounts using more image licenses than they hold
    /// (`used_authorized > total_authorized`).
    pub accounts_over_licensed: usize,
    /// The sum of `max(0, used_authorized - total_authorized)`: the
    /// licenses those accounts lack (empty when no account knows both
    /// numbers, or the sum is too large).
    pub licenses_short: Option<i64>,
    /// The sum of `max(0, total_authorized - used_authorized)`: the
    /// licenses held and not used.
    pub licenses_idle: Option<i64>,
    /// The accounts by edition, and the editions lapsing soon.
    pub editions: EditionCounts,
    /// Queries in the run (every call of every account).
    pub queries: usize,
    /// Queries the API answered.
    pub queries_ok: usize,
    /// Queries that failed.
    pub queries_failed: usize,
    /// Queries cancelled by an interrupt.
    pub queries_cancelled: usize,
    /// Answered queries whose numbers cannot all be true at once (a
    /// `warning`; over-use is not one).
    pub queries_with_warning: usize,
    /// Attempts over all queries.
    pub attempts: u64,
    /// Attempts answered with throttling.
    pub throttled: u64,
}

impl Totals {
    /// The total of the accounts column `column` (empty when it has none).
    pub(crate) fn of(&self, column: &Column<AccountRow>) -> Cell<'static> {
        accounts::totalled()
            .iter()
            .position(|c| c.key == column.key)
            .and_then(|i| self.columns.get(i))
            .cloned()
            .unwrap_or(Cell::Empty)
    }

    /// The total of `column` as a whole number.
    #[cfg(test)]
    pub(crate) fn int(&self, column: &Column<AccountRow>) -> Option<i64> {
        self.of(column).as_int()
    }

    /// The total of `column` as a ratio.
    #[cfg(test)]
    pub(crate) fn ratio(&self, column: &Column<AccountRow>) -> Option<f64> {
        match self.of(column) {
            Cell::Ratio(x) => Some(x),
            _ => None,
        }
    }
}

type Col = Column<Totals>;

/// A count of accounts or queries, a threshold metric of the totals.
const fn count(key: &'static str, label: &'static str, source: fn(&Totals) -> Cell<'_>) -> Col {
    Col::new(key, label, Kind::Count, source).threshold(Scopes::Total)
}

/// Accounts in the run.
pub(crate) static N_ACCOUNTS: Col =
    count("accounts", "Accounts", |t| Cell::count(t.accounts)).trend();
/// Accounts with status `ok`.
pub(crate) static ACCOUNTS_OK: Col =
    count("accounts_ok", "Accounts ok", |t| Cell::count(t.accounts_ok)).sample(Sample::labelled(
        &REPORT_ACCOUNTS,
        None,
        ("status", "ok"),
    ));
/// Accounts with status `partial`.
pub(crate) static ACCOUNTS_PARTIAL: Col = count("accounts_partial", "Accounts partial", |t| {
    Cell::count(t.accounts_partial)
})
.sample(Sample::labelled(
    &REPORT_ACCOUNTS,
    None,
    ("status", "partial"),
));
/// Accounts with status `error`.
pub(crate) static ACCOUNTS_ERROR: Col = count("accounts_error", "Accounts error", |t| {
    Cell::count(t.accounts_error)
})
.trend()
.sample(Sample::labelled(
    &REPORT_ACCOUNTS,
    None,
    ("status", "error"),
));
/// Accounts using more image licenses than they hold.
pub(crate) static ACCOUNTS_OVER_LICENSED: Col =
    count("accounts_over_licensed", "Over-licensed accounts", |t| {
        Cell::count(t.accounts_over_licensed)
    })
    .sample(Sample::of(&TOTAL_OVER_LICENSED, None));
/// The licenses the over-licensed accounts lack.
pub(crate) static LICENSES_SHORT: Col = count("licenses_short", "Licenses short", |t| {
    Cell::int(t.licenses_short)
})
.sample(Sample::labelled(&TOTAL_LICENSES, None, ("kind", "short")));
/// The licenses held and not used.
pub(crate) static LICENSES_IDLE: Col = count("licenses_idle", "Licenses idle", |t| {
    Cell::int(t.licenses_idle)
})
.sample(Sample::labelled(&TOTAL_LICENSES, None, ("kind", "idle")));
/// Queries in the run.
pub(crate) static N_QUERIES: Col = count("queries", "Queries", |t| Cell::count(t.queries));
/// Queries answered.
pub(crate) static QUERIES_OK: Col =
    count("queries_ok", "Queries ok", |t| Cell::count(t.queries_ok)).sample(Sample::labelled(
        &REPORT_QUERIES,
        None,
        ("status", "ok"),
    ));
/// Queries failed.
pub(crate) static QUERIES_FAILED: Col = count("queries_failed", "Queries failed", |t| {
    Cell::count(t.queries_failed)
})
.sample(Sample::labelled(
    &REPORT_QUERIES,
    None,
    ("status", "failed"),
));
/// Queries cancelled.
pub(crate) static QUERIES_CANCELLED: Col = count("queries_cancelled", "Queries cancelled", |t| {
    Cell::count(t.queries_cancelled)
})
.sample(Sample::labelled(
    &REPORT_QUERIES,
    None,
    ("status", "cancelled"),
));
/// Answered queries with impossible numbers.
pub(crate) static QUERIES_WITH_WARNING: Col = count(
    "queries_with_warning",
    "Queries with impossible numbers",
    |t| Cell::count(t.queries_with_warning),
);
/// Attempts over all queries.
pub(crate) static ATTEMPTS: Col = count("attempts", "Attempts", |t| Cell::count(t.attempts));
/// Attempts answered with throttling.
pub(crate) static THROTTLED: Col = count("throttled", "Throttled attempts", |t| {
    Cell::count(t.throttled)
});

/// The counts before the accounts columns' totals.
static BEFORE: [&Col; 4] = [
    &N_ACCOUNTS,
    &ACCOUNTS_OK,
    &ACCOUNTS_PARTIAL,
    &ACCOUNTS_ERROR,
];
/// The over-use counts, after the accounts columns' totals (beside the
/// net `remaining_authorized`).
static OVERUSE: [&Col; 3] = [&ACCOUNTS_OVER_LICENSED, &LICENSES_SHORT, &LICENSES_IDLE];
/// The counts after them.
static AFTER: [&Col; 7] = [
    &N_QUERIES,
    &QUERIES_OK,
    &QUERIES_FAILED,
    &QUERIES_CANCELLED,
    &QUERIES_WITH_WARNING,
    &ATTEMPTS,
    &THROTTLED,
];

/// One column of the totals: one of its own counts, or the total of an
/// accounts column.
#[derive(Debug, Clone, Copy)]
pub(crate) enum TotalsColumn {
    /// A count of the run (accounts, queries, attempts).
    Own(&'static Column<Totals>),
    /// The total of an accounts column.
    Of(&'static Column<AccountRow>),
}

/// Two totals' columns are the same when their keys are.
impl PartialEq for TotalsColumn {
    fn eq(&self, other: &TotalsColumn) -> bool {
        self.key() == other.key()
    }
}

impl TotalsColumn {
    /// Its key (the accounts column's for a total of one).
    pub(crate) fn key(self) -> &'static str {
        match self {
            TotalsColumn::Own(c) => c.key,
            TotalsColumn::Of(c) => c.key,
        }
    }

    /// Its label.
    pub(crate) fn label(self) -> &'static str {
        match self {
            TotalsColumn::Own(c) => c.label,
            TotalsColumn::Of(c) => c.label,
        }
    }

    /// Its kind.
    pub(crate) fn kind(self) -> Kind {
        match self {
            TotalsColumn::Own(c) => c.kind,
            TotalsColumn::Of(c) => c.kind,
        }
    }

    /// Its value in `t`.
    pub(crate) fn cell(self, t: &Totals) -> Cell<'_> {
        match self {
            TotalsColumn::Own(c) => c.cell(t),
            TotalsColumn::Of(c) => t.of(c),
        }
    }

    /// Whether it is a `total.` threshold metric.
    pub(crate) fn threshold(self) -> bool {
        match self {
            TotalsColumn::Own(c) => c.threshold.is_some_and(Scopes::total),
            TotalsColumn::Of(c) => c.threshold.is_some_and(Scopes::total),
        }
    }

    /// Whether the history keeps it (a column of `runs`).
    pub(crate) fn kept(self) -> bool {
        match self {
            TotalsColumn::Own(c) => c.kept,
            TotalsColumn::Of(c) => c.kept,
        }
    }

    /// Whether the `history` command's per-run table shows it.
    pub(crate) fn trend(self) -> bool {
        match self {
            TotalsColumn::Own(c) => c.trend,
            TotalsColumn::Of(c) => c.trend,
        }
    }

    /// The Prometheus family and label its value becomes.
    pub(crate) fn sample(self) -> Option<(&'static Family, Option<(&'static str, &'static str)>)> {
        match self {
            TotalsColumn::Own(c) => c.sample.map(|s| (s.family, s.label)),
            TotalsColumn::Of(c) => c.sample.and_then(|s| Some((s.total?, s.label))),
        }
    }
}

/// The totals' columns, in JSON key order: the account counts, the totals
/// of the accounts columns (in their order), the over-use counts, the
/// counts of editions, the query counts.
pub(crate) static TOTALS: LazyLock<Vec<TotalsColumn>> = LazyLock::new(|| {
    BEFORE
        .iter()
        .map(|c| TotalsColumn::Own(c))
        .chain(accounts::totalled().iter().map(|c| TotalsColumn::Of(c)))
        .chain(OVERUSE.iter().map(|c| TotalsColumn::Own(c)))
        .chain(EDITION_COUNTS.iter().map(|c| TotalsColumn::Own(c)))
        .chain(AFTER.iter().map(|c| TotalsColumn::Own(c)))
        .collect()
});

/// The totals' counts of accounts and queries (the Run sheet lists them).
pub(crate) fn counts() -> impl Iterator<Item = &'static Column<Totals>> {
    BEFORE.iter().chain(AFTER.iter()).copied()
}

/// The totals' columns whose values are whole numbers (`--compare`'s
/// `comparison.totals`: the previous value, the current one and the
/// change of each), in [`TOTALS`] order.
pub(crate) fn count_columns() -> &'static [TotalsColumn] {
    static COUNTS: LazyLock<Vec<TotalsColumn>> = LazyLock::new(|| {
        TOTALS
            .iter()
            .copied()
            .filter(|c| c.kind() == Kind::Count)
            .collect()
    });
    &COUNTS
}
