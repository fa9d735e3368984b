//! What one run writes into the history: its `runs` row, one
//! `account_snapshots` row per account, one `region_snapshots` row per
//! query and one `organizations` row per organization, as typed cells in
//! the [`schema`](super::schema) column order. Pure: built from the
//! [`Aggregate`], from the same cells the report files print (the kept
//! columns of the tables, `crate::columns`), borrowing its text.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::schema::{Ty, ACCOUNT_COLUMNS, REGION_COLUMNS, RUN_TOTAL_COLUMNS};
use crate::aggregate::{AccountRow, Aggregate, RegionRow};
use crate::columns::accounts::ACCOUNTS;
use crate::columns::regions::REGIONS;
use crate::columns::totals::TOTALS;
use crate::columns::{rfc3339, Cell};
use crate::model::OrganizationRun;

/// A report cell as the value of a column of type `ty`. The schema's types
/// are those of the columns' kinds (a unit test checks every column of a
/// sample report), so the conversions below only widen: a whole number
/// bound to a `REAL` column, a time to a `TEXT` one.
pub(crate) fn for_column(cell: Cell<'_>, ty: Ty) -> Cell<'_> {
    match (cell, ty) {
        (Cell::Int(v), Ty::Real) => Cell::Num(v as f64),
        (Cell::Int(v), Ty::Text) => Cell::Text(Cow::Owned(v.to_string())),
        (Cell::Time(t), _) => Cell::Text(Cow::Owned(rfc3339(&t))),
        (cell, _) => cell,
    }
}

/// Whether `cell` is of the column type `ty` (or empty).
#[cfg(test)]
pub(crate) fn fits(cell: &Cell<'_>, ty: Ty) -> bool {
    matches!(
        (cell, ty),
        (Cell::Empty, _)
            | (Cell::Text(_) | Cell::Time(_), Ty::Text)
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
    pub run: Vec<Cell<'a>>,
    report: &'a Aggregate,
}

/// Makes row `i` of a child table.
type RowFn<'a> = Box<dyn Fn(usize) -> Vec<Cell<'a>> + Send + Sync + 'a>;

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
                cols: &ACCOUNT_COLUMNS,
                lead: SNAPSHOT_LEAD,
                len: r.accounts.len(),
                row: Box::new(move |i| account_row(&r.accounts[i])),
            },
            Children {
                table: "region_snapshots",
                cols: &REGION_COLUMNS,
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

fn text(s: &str) -> Cell<'_> {
    Cell::str(s)
}

/// The rows of `report`, recorded at `recorded_at`.
pub fn from_report(report: &Aggregate, recorded_at: DateTime<Utc>) -> RunRecord<'_> {
    let r = &report.run;
    let time = |t: &DateTime<Utc>| Cell::Text(Cow::Owned(rfc3339(t)));
    let mut run = vec![
        text(&r.stem),
        time(&r.started_at),
        time(&r.finished_at),
        time(&report.generated_at),
        time(&recorded_at),
        text(&r.version),
        text(&r.config_path),
        text(&r.config_digest),
        Cell::Bool(r.complete),
        Cell::Bool(r.simulated),
        text(r.region_scope.as_str()),
        text(&r.scope.history_key),
        Cell::Text(Cow::Owned(super::scope::selection_text(&r.scope.selection))),
    ];
    let kept = TOTALS.iter().filter(|c| c.kept());
    for (c, (_, ty)) in kept.zip(RUN_TOTAL_COLUMNS.iter()) {
        run.push(for_column(c.cell(&report.totals), *ty));
    }
    RunRecord { run, report }
}

fn account_row(a: &AccountRow) -> Vec<Cell<'_>> {
    let kept = ACCOUNTS.iter().filter(|c| c.kept);
    let mut row: Vec<Cell<'_>> = kept
        .zip(ACCOUNT_COLUMNS.iter())
        .map(|(c, (_, ty))| for_column(c.cell(a), *ty))
        .collect();
    row.push(Cell::Text(Cow::Owned(
        serde_json::to_string(&a.tags).unwrap_or_else(|_| "{}".into()),
    )));
    row
}

fn region_row(g: &RegionRow) -> Vec<Cell<'_>> {
    let kept = REGIONS.iter().filter(|c| c.kept);
    kept.zip(REGION_COLUMNS.iter())
        .map(|(c, (_, ty))| for_column(c.cell(g), *ty))
        .collect()
}

fn organization_row(o: &OrganizationRun) -> Vec<Cell<'_>> {
    vec![
        text(&o.name),
        text(&o.management_account),
        text(o.status()),
        Cell::int(o.members_total.and_then(|v| i64::try_from(v).ok())),
        Cell::count(o.members_listed),
        Cell::count(o.members_kept),
        Cell::text(o.error_code.as_deref()),
        Cell::text(o.error_message.as_deref()),
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
            for (c, (name, ty)) in ACCOUNTS.iter().zip(ACCOUNT_COLUMNS.iter()) {
                let cell = c.cell(a);
                assert!(fits(&cell, *ty), "account column {name}: {cell:?}");
            }
        }
        for g in &report.regions {
            for (c, (name, ty)) in REGIONS.iter().zip(REGION_COLUMNS.iter()) {
                let cell = c.cell(g);
                assert!(fits(&cell, *ty), "region column {name}: {cell:?}");
            }
        }
        let keys: Vec<&str> = TOTALS.iter().map(|c| c.key()).collect();
        let columns: Vec<&str> = RUN_TOTAL_COLUMNS.iter().map(|c| c.0).collect();
        assert_eq!(keys, columns, "runs has one column per totals key");
        for (c, (_, ty)) in TOTALS.iter().zip(RUN_TOTAL_COLUMNS.iter()) {
            let cell = c.cell(&report.totals);
            assert!(fits(&cell, *ty), "totals {}: {cell:?}", c.key());
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
        let rows: Vec<Vec<Cell<'_>>> = (0..accounts.len).map(|i| (accounts.row)(i)).collect();
        for row in &rows {
            assert_eq!(row.len(), ACCOUNT_COLUMNS.len());
        }
        for i in 0..regions.len {
            assert_eq!((regions.row)(i).len(), REGION_COLUMNS.len());
        }
        // The UIN longer than a double's exact range stays text.
        assert!(rows.iter().any(|r| r[1] == Cell::str("100012345678901234")));
        assert_eq!(rec.run[0], Cell::str(&report.run.stem));
        assert_eq!(rec.run[8], Cell::Bool(report.run.complete));
    }
}
