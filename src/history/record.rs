//! What one run writes into the history: its `runs` row, one
//! `account_snapshots` row per account, one `region_snapshots` row per
//! query and one `organizations` row per organization, as typed values in
//! the [`schema`](super::schema) column order. Pure: built from the
//! [`Aggregate`], from the same cells the report files print.

use chrono::{DateTime, Utc};

use super::schema::{Ty, ACCOUNT_COLUMNS, REGION_COLUMNS, RUN_TOTAL_COLUMNS};
use crate::aggregate::Aggregate;
use crate::report::{self, Cell};

/// One value bound to a column.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// SQL `NULL`: an empty cell.
    Null,
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A double.
    Real(f64),
    /// A boolean.
    Bool(bool),
}

impl Val {
    /// The text, if this is text.
    pub fn text(&self) -> Option<&str> {
        match self {
            Val::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is a whole number.
    pub fn int(&self) -> Option<i64> {
        match self {
            Val::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The number, if this is a number.
    pub fn real(&self) -> Option<f64> {
        match self {
            Val::Real(v) => Some(*v),
            Val::Int(v) => Some(*v as f64),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn bool(&self) -> Option<bool> {
        match self {
            Val::Bool(v) => Some(*v),
            _ => None,
        }
    }
}

/// A report cell as the value of a column of type `ty`. The schema's types
/// are those of the cells (a unit test checks every column of a sample
/// report), so the conversions below only widen.
pub(crate) fn cell_val(cell: Cell<'_>, ty: Ty) -> Val {
    match (cell, ty) {
        (Cell::Empty, _) => Val::Null,
        (Cell::Text(s), _) => Val::Text(s.into_owned()),
        (Cell::Int(v), Ty::Real) => Val::Real(v as f64),
        (Cell::Int(v), Ty::Text) => Val::Text(v.to_string()),
        (Cell::Int(v), _) => Val::Int(v),
        (Cell::Ratio(v) | Cell::Num(v), _) => Val::Real(v),
        (Cell::Bool(v), _) => Val::Bool(v),
    }
}

/// Whether `cell` is of the column type `ty` (or empty).
#[cfg(test)]
pub(crate) fn fits(cell: &Cell<'_>, ty: Ty) -> bool {
    matches!(
        (cell, ty),
        (Cell::Empty, _)
            | (Cell::Text(_), Ty::Text)
            | (Cell::Int(_), Ty::Int)
            | (Cell::Ratio(_) | Cell::Num(_), Ty::Real)
            | (Cell::Bool(_), Ty::Bool)
    )
}

/// Every row one run writes: the `runs` row, and the rows of the child
/// tables made one at a time as they are written (10,000 accounts never
/// sit in memory twice).
#[derive(Debug, Clone)]
pub struct RunRecord<'a> {
    /// The `runs` row, without `id`: [`super::schema::RUN_COLUMNS`] then
    /// [`RUN_TOTAL_COLUMNS`].
    pub run: Vec<Val>,
    report: &'a Aggregate,
}

/// Makes row `i` of a child table.
type RowFn<'a> = Box<dyn Fn(usize) -> Vec<Val> + Send + Sync + 'a>;

/// The rows of one child table of a run.
pub struct Children<'a> {
    /// The table.
    pub table: &'static str,
    /// Its own columns.
    pub cols: &'static [(&'static str, Ty)],
    /// The columns before them (`run_id`, and `position` for snapshots).
    pub lead: &'static [&'static str],
    /// How many rows.
    pub len: usize,
    /// Row `i`, without the lead columns.
    pub row: RowFn<'a>,
}

impl std::fmt::Debug for Children<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Children")
            .field("table", &self.table)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<'a> RunRecord<'a> {
    /// The snapshot and organization rows, table by table.
    pub fn children(&self) -> [Children<'a>; 3] {
        use super::schema::{ORGANIZATION_COLUMNS, ORGANIZATION_LEAD, SNAPSHOT_LEAD};
        let r = self.report;
        [
            Children {
                table: "account_snapshots",
                cols: ACCOUNT_COLUMNS,
                lead: SNAPSHOT_LEAD,
                len: r.accounts.len(),
                row: Box::new(move |i| account_row(&r.accounts[i])),
            },
            Children {
                table: "region_snapshots",
                cols: REGION_COLUMNS,
                lead: SNAPSHOT_LEAD,
                len: r.regions.len(),
                row: Box::new(move |i| region_row(&r.regions[i])),
            },
            Children {
                table: "organizations",
                cols: ORGANIZATION_COLUMNS,
                lead: ORGANIZATION_LEAD,
                len: r.run.organizations.len(),
                row: Box::new(move |i| organization_row(&r.run.organizations[i])),
            },
        ]
    }
}

fn text(s: &str) -> Val {
    Val::Text(s.to_string())
}

/// The rows of `report`, recorded at `recorded_at`.
pub fn from_report(report: &Aggregate, recorded_at: DateTime<Utc>) -> RunRecord<'_> {
    let r = &report.run;
    let mut run = vec![
        text(&r.stem),
        text(&report::rfc3339(&r.started_at)),
        text(&report::rfc3339(&r.finished_at)),
        text(&report::rfc3339(&report.generated_at)),
        text(&report::rfc3339(&recorded_at)),
        text(&r.version),
        text(&r.config_path),
        text(&r.config_digest),
        Val::Bool(r.complete),
        Val::Bool(r.simulated),
        text(r.region_scope.as_str()),
        text(&r.scope.history_key),
        text(&super::scope::selection_text(&r.scope.selection)),
    ];
    let totals = report::totals_fields(&report.totals);
    for (name, ty) in RUN_TOTAL_COLUMNS {
        let cell = totals
            .iter()
            .find(|f| f.key == *name)
            .map_or(Cell::Empty, |f| f.cell.clone());
        run.push(cell_val(cell, *ty));
    }
    RunRecord { run, report }
}

fn account_row(a: &crate::aggregate::AccountRow) -> Vec<Val> {
    let mut row: Vec<Val> = report::account_cells(a)
        .into_iter()
        .zip(ACCOUNT_COLUMNS)
        .map(|(c, (_, ty))| cell_val(c, *ty))
        .collect();
    row.push(Val::Text(
        serde_json::to_string(&a.tags).unwrap_or_else(|_| "{}".into()),
    ));
    row
}

fn region_row(g: &crate::aggregate::RegionRow) -> Vec<Val> {
    report::region_cells(g)
        .into_iter()
        .zip(REGION_COLUMNS)
        .map(|(c, (_, ty))| cell_val(c, *ty))
        .collect()
}

fn organization_row(o: &crate::model::OrganizationRun) -> Vec<Val> {
    vec![
        text(&o.name),
        text(&o.management_account),
        text(o.status()),
        o.members_total
            .and_then(|v| i64::try_from(v).ok())
            .map_or(Val::Null, Val::Int),
        Val::Int(o.members_listed as i64),
        Val::Int(o.members_kept as i64),
        o.error_code.as_deref().map_or(Val::Null, text),
        o.error_message.as_deref().map_or(Val::Null, text),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::schema::RUN_COLUMNS;
    use crate::test_support::sample_report;

    #[test]
    fn every_cell_of_a_report_fits_its_column_type() {
        let report = sample_report().aggregate;
        for a in &report.accounts {
            for (cell, (name, ty)) in report::account_cells(a).iter().zip(ACCOUNT_COLUMNS) {
                assert!(fits(cell, *ty), "account column {name}: {cell:?}");
            }
        }
        for g in &report.regions {
            for (cell, (name, ty)) in report::region_cells(g).iter().zip(REGION_COLUMNS) {
                assert!(fits(cell, *ty), "region column {name}: {cell:?}");
            }
        }
        let totals = report::totals_fields(&report.totals);
        let keys: Vec<&str> = totals.iter().map(|f| f.key).collect();
        let columns: Vec<&str> = RUN_TOTAL_COLUMNS.iter().map(|c| c.0).collect();
        assert_eq!(keys, columns, "runs has one column per totals key");
        for (f, (_, ty)) in totals.iter().zip(RUN_TOTAL_COLUMNS) {
            assert!(fits(&f.cell, *ty), "totals {}: {:?}", f.key, f.cell);
        }
    }

    #[test]
    fn a_record_has_one_row_per_account_query_and_organization() {
        let report = sample_report().aggregate;
        let rec = from_report(&report, report.generated_at);
        assert_eq!(rec.run.len(), RUN_COLUMNS.len() + RUN_TOTAL_COLUMNS.len());
        let [accounts, regions, organizations] = rec.children();
        assert_eq!(accounts.len, report.accounts.len());
        assert_eq!(regions.len, report.regions.len());
        assert_eq!(organizations.len, report.run.organizations.len());
        let rows: Vec<Vec<Val>> = (0..accounts.len).map(|i| (accounts.row)(i)).collect();
        for row in &rows {
            assert_eq!(row.len(), ACCOUNT_COLUMNS.len());
        }
        for i in 0..regions.len {
            assert_eq!((regions.row)(i).len(), REGION_COLUMNS.len());
        }
        // The UIN longer than a double's exact range stays text.
        assert!(rows
            .iter()
            .any(|r| r[1] == Val::Text("100012345678901234".into())));
        assert_eq!(rec.run[0], Val::Text(report.run.stem.clone()));
        assert_eq!(rec.run[8], Val::Bool(report.run.complete));
    }
}
