//! The report's tables, each column described once: the row types
//! ([`accounts::AccountRow`], [`regions::RegionRow`], [`totals::Totals`])
//! and, beside each, its table of [`Column`]s, which every later stage
//! reads instead of spelling a column:
//!
//! - the writers print a table's columns in order (CSV, JSON, XLSX) or pick
//!   a few by handle (`accounts::UTILIZATION`), and the [`Kind`] decides how
//!   a value looks (a percentage, a time, guarded text);
//! - the thresholds' metrics are the columns with a [`Scopes`] role, the
//!   comparison's metrics those marked compared, the run's totals those
//!   with a [`Total`] rule, the history's columns those kept (their SQL type
//!   from the kind) and its trends those marked so, the metrics text the
//!   columns with a [`Sample`].
//!
//! Like ripgrep's one `Flag` definition driving parsing, help and
//! completions, a new column is one entry here plus the code computing it
//! (`aggregate`); `docs/architecture.md` ("Adding a report column") has the
//! steps. `run` holds the run's facts and its organizations as tables too,
//! and `families` the Prometheus families the columns become.
//!
//! The rows are filled by `aggregate`, which stands after this module: it
//! reads the table for the totals, as every later stage does. No I/O.

pub(crate) mod accounts;
mod cell;
pub(crate) mod families;
pub(crate) mod groups;
pub(crate) mod license;
pub(crate) mod regions;
pub(crate) mod run;
pub(crate) mod totals;

use std::fmt;

pub(crate) use cell::{rfc3339, thousands, Cell};
pub(crate) use families::Family;

use accounts::AccountRow;

/// What a column's values are; decides how every format shows them: the
/// XLSX number format and width, the Markdown text, the history's SQL type,
/// the threshold unit and the metric sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text (names, codes, messages, request ids, the API's words):
    /// guarded against formulas in CSV, escaped in Markdown.
    Text,
    /// A UIN: text, never a number (longer than a double holds exactly).
    Uin,
    /// A status word (`ok`, `partial`, `error`, ...); as a metric sample,
    /// 1 unless it is `error` (some region answered).
    Status,
    /// A whole number of things (licenses, images, regions, queries,
    /// attempts, milliseconds).
    Count,
    /// A ratio, 0..1 (above 1 for over-use): a percentage in the XLSX and
    /// the Markdown, its difference in percentage points.
    Ratio,
    /// Whole days (negative once past).
    Days,
    /// Any other decimal number (seconds).
    Decimal,
    /// A time, RFC 3339 with its offset: Beijing (`+08:00`) for the API's
    /// times, UTC (`Z`) for the run's.
    Time,
    /// A yes/no: `true`/`false`.
    Flag,
}

impl Kind {
    /// The SQL type the history stores it as.
    pub(crate) fn ty(self) -> Ty {
        match self {
            Kind::Text | Kind::Uin | Kind::Status | Kind::Time => Ty::Text,
            Kind::Count | Kind::Days => Ty::Int,
            Kind::Ratio | Kind::Decimal => Ty::Real,
            Kind::Flag => Ty::Bool,
        }
    }

    /// The XLSX column width (characters) of a column of this kind, unless
    /// the column says otherwise (the header, which wraps, may widen it).
    fn width(self) -> f64 {
        match self {
            Kind::Uin => 19.0,
            Kind::Status => 9.0,
            Kind::Time => 20.0,
            Kind::Count | Kind::Days | Kind::Flag | Kind::Ratio => 10.0,
            Kind::Text | Kind::Decimal => 12.0,
        }
    }
}

/// A column's type in the history database, spelt per dialect by
/// `history::schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// Text (names, UINs, RFC 3339 times).
    Text,
    /// A 64-bit integer.
    Int,
    /// A double.
    Real,
    /// A boolean (0/1 in SQLite).
    Bool,
}

/// Where a column is a `--fail-on` metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scopes {
    /// Per account only (`account.<key>`).
    Account,
    /// In the run's totals only (`total.<key>`).
    Total,
    /// Per account and in the totals.
    Both,
}

impl Scopes {
    /// Whether it is a metric per account.
    pub(crate) fn account(self) -> bool {
        matches!(self, Scopes::Account | Scopes::Both)
    }

    /// Whether it is a metric of the totals.
    pub(crate) fn total(self) -> bool {
        matches!(self, Scopes::Total | Scopes::Both)
    }
}

/// How the run's totals have an accounts column (over the accounts that
/// answered, each account once).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Total {
    /// Not in the totals.
    None,
    /// The sum of the accounts' values (a sum too large left empty).
    Sum,
    /// A weighted ratio: the sum of `num` over the sum of `den`, both over
    /// the accounts where both are known; also how `total.change.<key>`
    /// is computed.
    Weighted {
        /// The numerator column.
        num: &'static Column<AccountRow>,
        /// The denominator column.
        den: &'static Column<AccountRow>,
    },
}

/// The Prometheus sample a column's value becomes: in `family` (per
/// account: with the labels `account` and `uin`), and for an accounts
/// column in the totals, in `total`; `label` tells it from the family's
/// other columns (`kind="used"`). An empty value is no sample.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    /// The family of the row's value.
    pub(crate) family: &'static Family,
    /// The family of its total, if any.
    pub(crate) total: Option<&'static Family>,
    /// The label telling it from the family's other samples.
    pub(crate) label: Option<(&'static str, &'static str)>,
}

impl Sample {
    /// A sample alone in its family (and its total's).
    pub(crate) const fn of(family: &'static Family, total: Option<&'static Family>) -> Sample {
        Sample {
            family,
            total,
            label: None,
        }
    }

    /// One of the family's samples, told apart by `label`.
    pub(crate) const fn labelled(
        family: &'static Family,
        total: Option<&'static Family>,
        label: (&'static str, &'static str),
    ) -> Sample {
        Sample {
            family,
            total,
            label: Some(label),
        }
    }
}

/// One column of a table of rows `R`: everything the writers and the later
/// stages need to know about it. Made with [`Column::new`] and the roles it
/// plays (`const` builders, so each table is a list of `static`s).
pub(crate) struct Column<R: 'static> {
    /// The CSV header and JSON key, and the history's column name.
    pub(crate) key: &'static str,
    /// Human words (the XLSX and Markdown labels): "Licenses used".
    pub(crate) label: &'static str,
    /// What its values are.
    pub(crate) kind: Kind,
    /// The value of a row: the one place a writer-visible value is read.
    source: for<'a> fn(&'a R) -> Cell<'a>,
    /// Where it is a `--fail-on` metric.
    pub(crate) threshold: Option<Scopes>,
    /// Whether `--compare` shows its difference (`change.<key>`).
    pub(crate) compared: bool,
    /// Whether the history keeps it (a column of its table, of the SQL type
    /// of its kind; a new one needs a migration).
    pub(crate) kept: bool,
    /// Whether the `history` command's trend tables show it.
    pub(crate) trend: bool,
    /// How the run's totals have it (accounts columns).
    pub(crate) total: Total,
    /// The Prometheus sample it becomes.
    pub(crate) sample: Option<Sample>,
    /// The XLSX column width, when not its kind's.
    width: Option<f64>,
}

impl<R> Clone for Column<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for Column<R> {}

impl<R> fmt::Debug for Column<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Column")
            .field("key", &self.key)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl<R> Column<R> {
    /// A column `key` ("Licenses used": `label`) of `kind` whose value in a
    /// row is `source`'s; kept in the history, no other role.
    pub(crate) const fn new(
        key: &'static str,
        label: &'static str,
        kind: Kind,
        source: for<'a> fn(&'a R) -> Cell<'a>,
    ) -> Column<R> {
        Column {
            key,
            label,
            kind,
            source,
            threshold: None,
            compared: false,
            kept: true,
            trend: false,
            total: Total::None,
            sample: None,
            width: None,
        }
    }

    /// A `--fail-on` metric in `scopes`.
    pub(crate) const fn threshold(mut self, scopes: Scopes) -> Column<R> {
        self.threshold = Some(scopes);
        self
    }

    /// Compared with an earlier run (`--compare`, `change.<key>`).
    pub(crate) const fn compared(mut self) -> Column<R> {
        self.compared = true;
        self
    }

    /// Not kept in the history.
    pub(crate) const fn not_kept(mut self) -> Column<R> {
        self.kept = false;
        self
    }

    /// Shown in the `history` command's trend tables.
    pub(crate) const fn trend(mut self) -> Column<R> {
        self.trend = true;
        self
    }

    /// In the run's totals, by `total`.
    pub(crate) const fn total(mut self, total: Total) -> Column<R> {
        self.total = total;
        self
    }

    /// A Prometheus sample.
    pub(crate) const fn sample(mut self, sample: Sample) -> Column<R> {
        self.sample = Some(sample);
        self
    }

    /// An XLSX column `width` characters wide.
    pub(crate) const fn width(mut self, width: f64) -> Column<R> {
        self.width = Some(width);
        self
    }

    /// Its value in `row`.
    pub(crate) fn cell<'a>(&self, row: &'a R) -> Cell<'a> {
        (self.source)(row)
    }

    /// Its value in `row` as a number (`None` when empty or not a number).
    pub(crate) fn number(&self, row: &R) -> Option<f64> {
        self.cell(row).as_real()
    }

    /// Its XLSX width.
    pub(crate) fn xlsx_width(&self) -> f64 {
        self.width.unwrap_or(self.kind.width())
    }
}

/// The column called `key` in `table`.
pub(crate) fn find<R>(table: &[&'static Column<R>], key: &str) -> Option<&'static Column<R>> {
    table.iter().copied().find(|c| c.key == key)
}

#[cfg(test)]
mod tests;
