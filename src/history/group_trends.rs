//! `history --group-by KEY`: the chargeback groups of every run shown,
//! from the tags the history already keeps per account (`account_snapshots`
//! `tags`, a JSON object), so no table of their own: each run's account
//! rows are read (one run at a time, so one run's rows are in memory at
//! once) and grouped by the run's own rules (`crate::groups`: the totals'
//! accumulator; the rows that share a UIN counted once, as the run counted
//! them). Only reads.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use tcapi::tcss::EditionState;

use super::trends::{TrendColumns, RUN_LEAD, SCOPE};
use super::{HistoryError, Store};
use crate::aggregate::shared_uin;
use crate::aggregate::totals::Totalled;
use crate::aggregate::AccountStatus;
use crate::columns::accounts::{self, AccountRow, STATUS, UIN};
use crate::columns::groups::GROUPS;
use crate::columns::license::{edition_of_word, DAYS_TO_LAPSE, EDITION};
use crate::columns::{Cell, Column, Total, Ty};
use crate::groups::{group, Tagged};

/// The columns of the per-group-per-run table: the run's, then the groups
/// table's (`crate::columns::groups`), then the run's scope.
pub static GROUP_TREND_COLUMNS: TrendColumns = LazyLock::new(|| {
    let groups = GROUPS.iter().map(|c| (c.key(), c.kind()));
    RUN_LEAD.into_iter().chain(groups).chain([SCOPE]).collect()
});

/// The accounts columns the totals read (each totalled column, or the two
/// of a weighted ratio), each once, in table order: what is read back per
/// account.
fn read_columns() -> Vec<&'static Column<AccountRow>> {
    let mut out: Vec<&'static Column<AccountRow>> = Vec::new();
    for c in accounts::totalled() {
        let parts = match c.total {
            Total::Weighted { num, den } => vec![num, den],
            _ => vec![*c],
        };
        for p in parts {
            if !out.iter().any(|o| std::ptr::eq(*o, p)) {
                out.push(p);
            }
        }
    }
    out
}

/// An account as a run recorded it, as the grouping reads it.
struct Recorded<'c> {
    status: AccountStatus,
    counted: bool,
    tags: BTreeMap<String, String>,
    edition: Option<EditionState>,
    days_to_lapse: Option<i64>,
    values: Vec<Option<i64>>,
    columns: &'c [&'static Column<AccountRow>],
}

impl Totalled for Recorded<'_> {
    fn status(&self) -> AccountStatus {
        self.status
    }

    fn counted(&self) -> bool {
        self.counted
    }

    fn int(&self, column: &Column<AccountRow>) -> Option<i64> {
        let i = self.columns.iter().position(|c| c.key == column.key)?;
        self.values[i]
    }

    fn edition(&self) -> Option<EditionState> {
        self.edition
    }

    fn days_to_lapse(&self) -> Option<i64> {
        self.days_to_lapse
    }
}

impl Tagged for Recorded<'_> {
    fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }
}

/// A recorded status word.
fn status(cell: &Cell<'_>) -> AccountStatus {
    match cell.as_text() {
        Some("ok") => AccountStatus::Ok,
        Some("partial") => AccountStatus::Partial,
        _ => AccountStatus::Error,
    }
}

impl Store {
    /// The groups by `keys` of each run of `runs` (rows of the per-run
    /// trend table: its run's lead first, its scope label last), one row
    /// per group, in run order then the keys' and the groups' order.
    pub async fn group_trends(
        &self,
        runs: &[Vec<Cell<'static>>],
        keys: &[String],
    ) -> Result<Vec<Vec<Cell<'static>>>, HistoryError> {
        let columns = read_columns();
        let lead = [UIN.key, STATUS.key, super::schema::TAGS, EDITION.key];
        let names: Vec<&str> = lead
            .into_iter()
            .chain([DAYS_TO_LAPSE.key])
            .chain(columns.iter().map(|c| c.key))
            .collect();
        let types: Vec<Ty> = [Ty::Text; 4]
            .into_iter()
            .chain([Ty::Int])
            .chain(columns.iter().map(|_| Ty::Int))
            .collect();
        let sql = format!(
            "SELECT {} FROM account_snapshots WHERE run_id = {} ORDER BY position",
            names.join(", "),
            self.dialect().param(1)
        );
        let mut out = Vec::new();
        for run in runs {
            let rows = self.select(&sql, &run[..1], &types).await?;
            let recorded = recorded(rows, &columns, &self.location)?;
            for g in group(&recorded, keys).rows {
                let mut row: Vec<Cell<'static>> = run[..RUN_LEAD.len()].to_vec();
                row.extend(GROUPS.iter().map(|c| c.cell(&g).into_owned()));
                row.push(run.last().cloned().unwrap_or(Cell::Empty));
                out.push(row);
            }
        }
        Ok(out)
    }
}

/// One run's account rows as recorded: status, whether counted (the first
/// of a UIN's rows with the best status, as the run counted them), tags,
/// edition and days to lapse (empty in runs recorded before migration 5).
fn recorded<'c>(
    rows: Vec<Vec<Cell<'static>>>,
    columns: &'c [&'static Column<AccountRow>],
    location: &super::Location,
) -> Result<Vec<Recorded<'c>>, HistoryError> {
    let statuses: Vec<AccountStatus> = rows.iter().map(|r| status(&r[1])).collect();
    let mut counted = vec![true; rows.len()];
    let uins = rows
        .iter()
        .zip(&statuses)
        .map(|(r, s)| (r[0].as_text(), *s));
    for (i, _) in shared_uin::counted_in(uins) {
        counted[i] = false;
    }
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let tags = match row[2].as_text() {
            None | Some("") => BTreeMap::new(),
            Some(text) => serde_json::from_str(text).map_err(|e| HistoryError::Read {
                location: location.to_string(),
                reason: format!("an account's recorded tags are not a JSON object of text: {e}"),
            })?,
        };
        out.push(Recorded {
            status: statuses[i],
            counted: counted[i],
            tags,
            edition: row[3].as_text().and_then(edition_of_word),
            days_to_lapse: row[4].as_int(),
            values: row[5..].iter().map(Cell::as_int).collect(),
            columns,
        });
    }
    Ok(out)
}

/// How many groups of a key the XLSX chart follows.
pub const TOP_GROUPS: usize = 5;

/// The chart's groups of `key`: the `n` using the most licenses in the
/// latest run that has groups of `key` (ties: the name; the untagged group
/// shown `(untagged)`), each with its licenses used per run (`None` where
/// the run has no such group or it is empty), in [`Trends::runs`] order.
///
/// [`Trends::runs`]: super::trends::Trends::runs
pub fn top_groups(
    t: &super::trends::Trends,
    key: &str,
    n: usize,
) -> Vec<(String, Vec<Option<f64>>)> {
    use super::trends::col;
    let c = &GROUP_TREND_COLUMNS;
    let (run, by, name, used) = (
        col(c, RUN_LEAD[0].0),
        col(c, crate::columns::groups::GROUP_BY.key),
        col(c, crate::columns::groups::GROUP.key),
        col(c, accounts::USED_AUTHORIZED.key),
    );
    let of_key: Vec<&Vec<Cell<'static>>> = t
        .groups
        .iter()
        .filter(|r| r[by].as_text() == Some(key))
        .collect();
    let Some(latest) = of_key.last().map(|r| r[run].clone()) else {
        return Vec::new();
    };
    let mut ranked: Vec<(Option<String>, Option<i64>)> = of_key
        .iter()
        .filter(|r| r[run] == latest)
        .map(|r| (r[name].as_text().map(str::to_string), r[used].as_int()))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    ranked.truncate(n);
    let index = t.run_positions();
    ranked
        .into_iter()
        .map(|(group, _)| {
            let mut series = vec![None; t.runs.len()];
            for r in of_key
                .iter()
                .filter(|r| r[name].as_text() == group.as_deref())
            {
                if let Some(&i) = r[run].as_int().and_then(|id| index.get(&id)) {
                    series[i] = r[used].as_real();
                }
            }
            let label = group.unwrap_or_else(|| crate::columns::groups::UNTAGGED.to_string());
            (label, series)
        })
        .collect()
}
