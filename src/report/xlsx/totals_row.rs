//! The totals row under a table sheet (Accounts, Regions, Changes, and any
//! other table that wants one): `Total` in the first column, then for each
//! column what its [`Rule`] says, as a formula over the rows above it, so
//! that it follows the autofilter: `SUBTOTAL(109, ...)` sums only the rows
//! the filter shows, and a ratio is the ratio of two of the row's sums
//! (weighted, never a sum of ratios). Each formula carries its value for
//! the whole table as its cached result, so a viewer without a formula
//! engine (a previewer, a library such as calamine) shows the right
//! number. The row stands below the autofilter's range, so sorting and
//! filtering never move it.
//!
//! A sheet makes a [`TotalsRow`] with one rule per column, hands it every
//! cell it writes ([`TotalsRow::add`]) and writes it after the last row
//! ([`TotalsRow::write`]).

use rust_xlsxwriter::utility::column_number_to_name;
use rust_xlsxwriter::{Format, Formula, Worksheet, XlsxError};

use super::styles::Styles;
use super::{as_col, as_row};
use crate::columns::{Cell, Kind};

/// What the totals row shows in one column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Rule {
    /// Nothing.
    Blank,
    /// The sum of the rows shown: `SUBTOTAL(109, ...)`.
    Sum,
    /// The total of the `num` column over that of the `den` column (sheet
    /// columns of this row, both [`Rule::Sum`]); blank when it is 0.
    Ratio {
        /// The numerator's sheet column.
        num: usize,
        /// The denominator's sheet column.
        den: usize,
    },
    /// The difference in percentage points between two such ratios:
    /// `now` minus `then`, each (numerator, denominator).
    Points {
        /// The current ratio's columns.
        now: (usize, usize),
        /// The earlier ratio's columns.
        then: (usize, usize),
    },
}

/// A table's totals row being gathered: each column's rule and format
/// (bold, ruled above, its number format: `Styles::total`) and the sum of
/// its numbers so far.
#[derive(Debug, Clone)]
pub(crate) struct TotalsRow {
    rules: Vec<(Rule, Format)>,
    sums: Vec<f64>,
}

/// The label in the first column.
pub(crate) const TOTAL_LABEL: &str = "Total";

impl TotalsRow {
    /// A totals row of these (rule, format) columns, in sheet order (the
    /// first column's rule is ignored: it holds the label).
    pub(crate) fn new(rules: Vec<(Rule, Format)>) -> TotalsRow {
        let sums = vec![0.0; rules.len()];
        TotalsRow { rules, sums }
    }

    /// Counts the cell written in sheet column `col`.
    pub(crate) fn add(&mut self, col: usize, cell: &Cell<'_>) {
        if let (Some(sum), Some(x)) = (self.sums.get_mut(col), cell.as_real()) {
            if x.is_finite() {
                *sum += x;
            }
        }
    }

    /// The cached value of column `col` (what the formula computes over
    /// every row): `None` for a blank.
    pub(crate) fn value(&self, col: usize) -> Option<f64> {
        let ratio = |(num, den): (usize, usize)| {
            let den = *self.sums.get(den)?;
            (den != 0.0).then(|| self.sums.get(num).map(|n| n / den))?
        };
        match self.rules.get(col)?.0 {
            Rule::Blank => None,
            Rule::Sum => self.sums.get(col).copied(),
            Rule::Ratio { num, den } => ratio((num, den)),
            Rule::Points { now, then } => Some((ratio(now)? - ratio(then)?) * 100.0),
        }
    }

    /// Writes the row below a table whose data rows are `first..first + rows`
    /// (nothing when there are none: the formulas would refer to the header).
    pub(crate) fn write(
        &self,
        ws: &mut Worksheet,
        first: u32,
        rows: usize,
        styles: &Styles,
    ) -> Result<(), XlsxError> {
        if rows == 0 {
            return Ok(());
        }
        let last = first + as_row(rows)? - 1;
        let at = last + 1;
        // Excel's A1 rows count from 1.
        let range = |c: usize| -> Result<String, XlsxError> {
            let name = column_number_to_name(as_col(c)?);
            Ok(format!("{name}{}:{name}{}", first + 1, last + 1))
        };
        let cell = |c: usize| -> Result<String, XlsxError> {
            Ok(format!("{}{}", column_number_to_name(as_col(c)?), at + 1))
        };
        for (c, (rule, format)) in self.rules.iter().enumerate() {
            let col = as_col(c)?;
            if c == 0 {
                ws.write_string_with_format(at, col, TOTAL_LABEL, styles.total(Kind::Text))?;
                continue;
            }
            let formula = match *rule {
                Rule::Blank => None,
                Rule::Sum => Some(format!("SUBTOTAL(109,{})", range(c)?)),
                Rule::Ratio { num, den } => Some(format!(
                    "IF({d}=0,\"\",{n}/{d})",
                    n = cell(num)?,
                    d = cell(den)?
                )),
                Rule::Points { now, then } => Some(format!(
                    "IFERROR(({}/{}-{}/{})*100,\"\")",
                    cell(now.0)?,
                    cell(now.1)?,
                    cell(then.0)?,
                    cell(then.1)?
                )),
            };
            match formula {
                None => {
                    ws.write_blank(at, col, format)?;
                }
                Some(f) => {
                    let result = self.value(c).map_or(String::new(), |v| v.to_string());
                    ws.write_formula_with_format(
                        at,
                        col,
                        Formula::new(f).set_result(result),
                        format,
                    )?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_ratios_and_points_are_of_the_sums() {
        let mut t = TotalsRow::new(vec![
            (Rule::Blank, Format::new()),
            (Rule::Sum, Format::new()),
            (Rule::Sum, Format::new()),
            (Rule::Ratio { num: 2, den: 1 }, Format::new()),
            (
                Rule::Points {
                    now: (2, 1),
                    then: (2, 5),
                },
                Format::new(),
            ),
            (Rule::Sum, Format::new()),
        ]);
        for (total, used, then) in [(2, 1, 4), (100, 99, 0)] {
            t.add(1, &Cell::Int(total));
            t.add(2, &Cell::Int(used));
            t.add(3, &Cell::Ratio(0.5));
            t.add(5, &Cell::Int(then));
        }
        t.add(1, &Cell::Empty);
        assert_eq!(t.value(0), None);
        assert_eq!(t.value(1), Some(102.0));
        assert_eq!(t.value(3), Some(100.0 / 102.0), "weighted, not 0.5 + 0.5");
        let points = t.value(4).unwrap();
        assert!((points - (100.0 / 102.0 - 100.0 / 4.0) * 100.0).abs() < 1e-9);
        let empty = TotalsRow::new(vec![
            (Rule::Blank, Format::new()),
            (Rule::Sum, Format::new()),
            (Rule::Ratio { num: 1, den: 1 }, Format::new()),
        ]);
        assert_eq!(empty.value(1), Some(0.0));
        assert_eq!(empty.value(2), None, "no ratio over nothing");
    }
}
