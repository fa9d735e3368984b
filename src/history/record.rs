//! What one run writes into the history: its `runs` row, one
//! `account_snapshots` row per account, one `region_snapshots` row per
//! query and one `organizations` row per organization, as typed values in
//! the [`schema`](super::schema) column order. Pure: built from the
//! [`Report`], from the same cells the report files print.

use chrono::{DateTime, Utc};

use super::schema::{Ty, ACCOUNT_COLUMNS, REGION_COLUMNS, RUN_TOTAL_COLUMNS};
use crate::aggregate::Report;
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

/// Every row one run writes.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// The `runs` row, without `id`: [`super::schema::RUN_COLUMNS`] then
    /// [`RUN_TOTAL_COLUMNS`].
    pub run: Vec<Val>,
    /// `account_snapshots` rows, without `run_id` and `position`.
    pub accounts: Vec<Vec<Val>>,
    /// `region_snapshots` rows, without `run_id` and `position`.
    pub regions: Vec<Vec<Val>>,
    /// `organizations` rows, without `run_id`.
    pub organizations: Vec<Vec<Val>>,
}

/// The rows of one child table of a run.
#[derive(Debug, Clone, Copy)]
pub struct Children<'a> {
    /// The table.
    pub table: &'static str,
    /// Its own columns.
    pub cols: &'static [(&'static str, Ty)],
    /// The columns before them (`run_id`, and `position` for snapshots).
    pub lead: &'static [&'static str],
    /// The rows, without the lead columns.
    pub rows: &'a [Vec<Val>],
}

impl RunRecord {
    /// The snapshot and organization rows, table by table.
    pub fn children(&self) -> [Children<'_>; 3] {
        use super::schema::{ORGANIZATION_COLUMNS, ORGANIZATION_LEAD, SNAPSHOT_LEAD};
        [
            Children {
                table: "account_snapshots",
                cols: ACCOUNT_COLUMNS,
                lead: SNAPSHOT_LEAD,
                rows: &self.accounts,
            },
            Children {
                table: "region_snapshots",
                cols: REGION_COLUMNS,
                lead: SNAPSHOT_LEAD,
                rows: &self.regions,
            },
            Children {
                table: "organizations",
                cols: ORGANIZATION_COLUMNS,
                lead: ORGANIZATION_LEAD,
                rows: &self.organizations,
            },
        ]
    }
}

fn text(s: &str) -> Val {
    Val::Text(s.to_string())
}

/// The rows of `report`, recorded at `recorded_at`.
pub fn from_report(report: &Report, recorded_at: DateTime<Utc>) -> RunRecord {
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
        text(report::scope_str(r.region_scope)),
    ];
    let totals = report::totals_fields(&report.totals);
    for (name, ty) in RUN_TOTAL_COLUMNS {
        let cell = totals
            .iter()
            .find(|f| f.key == *name)
            .map_or(Cell::Empty, |f| f.cell.clone());
        run.push(cell_val(cell, *ty));
    }
    let accounts = report
        .accounts
        .iter()
        .map(|a| {
            let mut row: Vec<Val> = report::account_cells(a)
                .into_iter()
                .zip(ACCOUNT_COLUMNS)
                .map(|(c, (_, ty))| cell_val(c, *ty))
                .collect();
            row.push(Val::Text(
                serde_json::to_string(&a.tags).unwrap_or_else(|_| "{}".into()),
            ));
            row
        })
        .collect();
    let regions = report
        .regions
        .iter()
        .map(|g| {
            report::region_cells(g)
                .into_iter()
                .zip(REGION_COLUMNS)
                .map(|(c, (_, ty))| cell_val(c, *ty))
                .collect()
        })
        .collect();
    let organizations = r
        .organizations
        .iter()
        .map(|o| {
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
        })
        .collect();
    RunRecord {
        run,
        accounts,
        regions,
        organizations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::schema::RUN_COLUMNS;
    use crate::report::tests::sample_report;

    #[test]
    fn every_cell_of_a_report_fits_its_column_type() {
        let report = sample_report();
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
        let report = sample_report();
        let rec = from_report(&report, report.generated_at);
        assert_eq!(rec.run.len(), RUN_COLUMNS.len() + RUN_TOTAL_COLUMNS.len());
        assert_eq!(rec.accounts.len(), report.accounts.len());
        assert_eq!(rec.regions.len(), report.regions.len());
        assert_eq!(rec.organizations.len(), report.run.organizations.len());
        for row in &rec.accounts {
            assert_eq!(row.len(), ACCOUNT_COLUMNS.len());
        }
        // The UIN longer than a double's exact range stays text.
        assert!(rec
            .accounts
            .iter()
            .any(|r| r[1] == Val::Text("100012345678901234".into())));
        assert_eq!(rec.run[0], Val::Text(report.run.stem.clone()));
        assert_eq!(rec.run[8], Val::Bool(report.run.complete));
    }
}
