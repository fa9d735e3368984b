//! The HTML report `<stem>.html`: one self-contained page a manager opens,
//! prints or archives. `<!DOCTYPE html>` first, UTF-8, a Content-Security-
//! Policy that allows nothing but the page's own inline styles and `data:`
//! images, no script, nothing fetched from anywhere (CSS and charts inline,
//! the charts as SVG, `chart`); light and dark (`prefers-color-scheme`)
//! and printable (A4 landscape, table headers repeated, no row or chart cut
//! across pages).
//!
//! The page is an askama template (`templates/report.html`, checked when the
//! crate is built; every value HTML-escaped). Each section is a function
//! returning its data, or `None` when the report has nothing for it, and
//! the template shows a section only when it is there, in the order of
//! importance: the title with the run's state and exit code, the breaches
//! grouped by expression, the key figures, the most utilized accounts (a
//! bar chart), the distribution of utilization, the over-licensed accounts,
//! the Pro editions ending within 90 days (`editions`: the accounts by
//! edition, the lapsing ones marked, those ended apart), the scan quotas ending within `accounts::EXPIRY_WINDOW_DAYS` days (and,
//! apart, those already ended), the chargeback groups (`--group-by`), the changes
//! since the compared run, the trend of the scope's runs, the warnings
//! (answers whose numbers cannot all be true, apart), the failures,
//! every total, the organizations and the run's facts.
//!
//! Values are read through the column tables (`crate::columns`): a table
//! iterated (the totals, the run's facts, the organizations) or the few
//! columns a section shows taken by their handles
//! (`columns::accounts::UTILIZATION`), their labels the tables' and their
//! kind deciding how they read (`text`); nothing is computed but the
//! order and the cut of rows. Every
//! table shows at most [`MAX_TABLE_ROWS`] rows, the worst first, then "… and
//! K more", and every text is cut, so the page stays small at any fleet size.

mod accounts;
mod breaches;
mod changes;
pub(crate) mod chart;
mod editions;
mod groups;
mod head;
mod run;
pub(crate) mod text;
pub(crate) mod trend;

use std::io::{self, Write};

use askama::Template;

use crate::columns::{Cell, Column, Kind};
use crate::report::Report;

/// Rows shown in any table before "… and K more".
pub const MAX_TABLE_ROWS: usize = 50;

/// The page.
#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    head: head::Head,
    nav: Vec<(&'static str, &'static str)>,
    breaches: Option<breaches::Breaches>,
    figures: accounts::Figures,
    top: Option<accounts::Top>,
    distribution: Option<accounts::Distribution>,
    over_licensed: Option<accounts::OverLicensed>,
    editions: Option<editions::Editions>,
    quotas: Option<accounts::Quotas>,
    groups: Option<groups::Groups>,
    changes: Option<changes::Changes>,
    trend: Option<trend::Trend>,
    warnings: Option<run::Warnings>,
    failures: run::Failures,
    organizations: Option<Table>,
    facts: Table,
}

impl Page {
    fn of(report: &Report) -> Page {
        let mut page = Page {
            head: head::head(report),
            nav: Vec::new(),
            breaches: breaches::section(report),
            figures: accounts::figures(report),
            top: accounts::top(report),
            distribution: accounts::distribution(report),
            over_licensed: accounts::over_licensed(report),
            editions: editions::section(report),
            quotas: accounts::quotas(report),
            groups: groups::section(report),
            changes: changes::section(report),
            trend: trend::section(report),
            warnings: run::warnings(report),
            failures: run::failures(report),
            organizations: run::organizations(report),
            facts: run::facts(report),
        };
        page.nav = page.contents();
        page
    }

    /// The sections there are, as (anchor, name), for the page's contents.
    fn contents(&self) -> Vec<(&'static str, &'static str)> {
        let present = [
            ("breaches", "Breaches", self.breaches.is_some()),
            ("figures", "Key figures", true),
            ("top", "Most utilized", self.top.is_some()),
            ("distribution", "Distribution", self.distribution.is_some()),
            (
                "over-licensed",
                "Over-licensed",
                self.over_licensed.is_some(),
            ),
            ("editions", "Editions ending", self.editions.is_some()),
            ("quotas", "Scan quotas ending", self.quotas.is_some()),
            ("groups", "Chargeback groups", self.groups.is_some()),
            ("changes", "Changes", self.changes.is_some()),
            ("trend", "Trend", self.trend.is_some()),
            ("warnings", "Warnings", self.warnings.is_some()),
            ("failures", "Failures", true),
            ("totals", "All totals", true),
            (
                "organizations",
                "Organizations",
                self.organizations.is_some(),
            ),
            ("run", "Run", true),
        ];
        present
            .into_iter()
            .filter(|p| p.2)
            .map(|(id, name, _)| (id, name))
            .collect()
    }
}

/// Writes the page.
pub fn write<W: Write>(report: &Report, mut w: W) -> io::Result<()> {
    Page::of(report)
        .write_into(&mut w)
        .map_err(|e| io::Error::other(format!("the HTML page could not be rendered: {e}")))
}

/// A table: its column heads, the rows shown and how many were left out.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    pub head: Vec<Head>,
    pub rows: Vec<Vec<Shown>>,
    /// Rows not shown (the XLSX and CSV have them).
    pub more: usize,
}

/// A column head.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Head {
    pub label: String,
    /// `num` for a column of numbers (right-aligned).
    pub class: &'static str,
}

/// A value as shown in a table cell (the first cell of a row is its
/// header, `<th scope="row">`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shown {
    pub text: String,
    /// `num` (a number), `num neg` (below zero), `id` (a UIN, never cut
    /// across lines), or empty.
    pub class: &'static str,
    /// A bar drawn in the cell (the text beside it says its number).
    pub meter: Option<chart::Meter>,
}

impl Shown {
    /// A cell, its text cut to `max` characters.
    pub fn cell(c: &Cell<'_>, max: usize) -> Shown {
        Shown {
            text: text::cell(c, max),
            class: class_of(c),
            meter: None,
        }
    }

    /// A UIN (empty when unknown): one word, never cut across lines.
    pub fn uin(uin: Option<&str>) -> Shown {
        let mut shown = Shown::cell(&Cell::text(uin), text::MAX_NAME_CHARS);
        shown.class = "id";
        shown
    }

    /// A plain text.
    pub fn text(text: String) -> Shown {
        Shown {
            text,
            class: "",
            meter: None,
        }
    }

    /// A bar, with no text.
    pub fn meter(meter: Option<chart::Meter>) -> Shown {
        Shown {
            text: String::new(),
            class: "meter",
            meter,
        }
    }
}

/// The class of a cell: numbers right-aligned, below zero flagged.
pub(crate) fn class_of(c: &Cell<'_>) -> &'static str {
    match (text::is_number(c), text::is_negative(c)) {
        (true, true) => "num neg",
        (true, false) => "num",
        _ => "",
    }
}

impl Table {
    /// A table of `heads` (label, whether numeric) and `rows`, of which
    /// there were `total`. The cells of a numeric column are aligned as
    /// numbers (an `n/a` too), those of another column as text.
    pub fn new(heads: &[(&str, bool)], mut rows: Vec<Vec<Shown>>, total: usize) -> Table {
        let more = total.saturating_sub(rows.len());
        for row in &mut rows {
            for (c, &(_, numeric)) in row.iter_mut().zip(heads) {
                c.class = match (numeric, c.class) {
                    (_, "meter") => "meter",
                    (true, "num neg") => "num neg",
                    (true, _) => "num",
                    (false, "id") => "id",
                    (false, _) => "",
                };
            }
        }
        Table {
            head: heads
                .iter()
                .map(|&(label, numeric)| Head {
                    label: label.to_string(),
                    class: if numeric { "num" } else { "" },
                })
                .collect(),
            rows,
            more,
        }
    }
}

/// Whether a column of `kind` holds numbers (right-aligned).
pub(crate) fn numeric(kind: Kind) -> bool {
    matches!(kind, Kind::Count | Kind::Ratio | Kind::Days | Kind::Decimal)
}

/// The heads of `columns`: their labels, and whether they are numbers.
pub(crate) fn heads<R>(columns: &[&Column<R>]) -> Vec<(&'static str, bool)> {
    columns.iter().map(|c| (c.label, numeric(c.kind))).collect()
}

/// The cells of `row` in `columns`, as shown, texts cut to `max` characters.
pub(crate) fn shown<R>(row: &R, columns: &[&Column<R>], max: usize) -> Vec<Shown> {
    columns
        .iter()
        .map(|c| {
            let cell = c.cell(row);
            match c.kind {
                Kind::Uin => Shown::uin(cell.as_text()),
                _ => Shown::cell(&cell, max),
            }
        })
        .collect()
}

/// A value read back from the history as its column's `kind` reads: a
/// ratio is stored as a plain number.
pub(crate) fn of_kind(cell: &Cell<'static>, kind: Kind) -> Cell<'static> {
    match cell {
        Cell::Num(x) if kind == Kind::Ratio => Cell::Ratio(*x),
        other => other.clone(),
    }
}

/// The ratio a cell holds.
pub(crate) fn ratio(c: &Cell<'_>) -> Option<f64> {
    match c {
        Cell::Ratio(r) => Some(*r),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
