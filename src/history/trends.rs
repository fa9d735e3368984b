//! The `history` command's numbers: totals per run, and per account per
//! run, read from the store for the runs started since a date, with the
//! accounts whose latest utilization is highest picked for the chart.
//! Only reads; the files are `output`'s.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use super::schema::Ty;
use super::{HistoryError, Store};
use crate::columns::accounts::{ACCOUNT, ACCOUNTS, UIN, UTILIZATION};
use crate::columns::totals::TOTALS;
use crate::columns::{rfc3339, Cell, Kind};

/// A trend table's columns: each name (as in `runs` or `account_snapshots`;
/// `run_id` is the run's `id`) and the kind of its values.
pub type TrendColumns = LazyLock<Vec<(&'static str, Kind)>>;

/// The columns every trend row starts with: the run's.
const RUN_LEAD: [(&str, Kind); 4] = [
    ("run_id", Kind::Count),
    ("stem", Kind::Text),
    ("started_at", Kind::Text),
    ("complete", Kind::Flag),
];

/// The columns of the per-run table: the run's, then the totals' columns
/// marked trend (`crate::columns`).
pub static RUN_TREND_COLUMNS: TrendColumns = LazyLock::new(|| {
    let totals = TOTALS
        .iter()
        .filter(|c| c.trend())
        .map(|c| (c.key(), c.kind()));
    RUN_LEAD.into_iter().chain(totals).collect()
});

/// The columns of the per-account-per-run table: the run's, then the
/// accounts columns marked trend.
pub static ACCOUNT_TREND_COLUMNS: TrendColumns = LazyLock::new(|| {
    let accounts = ACCOUNTS.iter().filter(|c| c.trend).map(|c| (c.key, c.kind));
    RUN_LEAD.into_iter().chain(accounts).collect()
});

/// How many accounts the utilization chart follows.
pub const TOP_ACCOUNTS: usize = 5;

/// Index of a column in [`RUN_TREND_COLUMNS`] / [`ACCOUNT_TREND_COLUMNS`].
pub fn col(cols: &[(&str, Kind)], name: &str) -> usize {
    cols.iter()
        .position(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no trend column {name}"))
}

/// The recorded runs, oldest first, and their accounts.
#[derive(Debug, Clone, PartialEq)]
pub struct Trends {
    /// Only runs started at or after this (`--since`).
    pub since: Option<DateTime<Utc>>,
    /// One row per run, [`RUN_TREND_COLUMNS`].
    pub runs: Vec<Vec<Cell<'static>>>,
    /// One row per account per run, [`ACCOUNT_TREND_COLUMNS`], in run then report order.
    pub accounts: Vec<Vec<Cell<'static>>>,
}

impl Store {
    /// The trends of the runs started at or after `since` (all without it).
    pub async fn trends(&self, since: Option<DateTime<Utc>>) -> Result<Trends, HistoryError> {
        let d = self.dialect();
        let from = Cell::Text(since.map_or(String::new(), |t| rfc3339(&t)).into());
        let names = |cols: &[(&str, Kind)], prefix: &str| -> String {
            cols.iter()
                .map(|(n, _)| match *n {
                    "run_id" => "r.id".to_string(),
                    "stem" | "started_at" | "complete" => format!("r.{n}"),
                    other => format!("{prefix}{other}"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let types = |cols: &[(&str, Kind)]| cols.iter().map(|c| c.1.ty()).collect::<Vec<Ty>>();
        let sql = format!(
            "SELECT {} FROM runs r WHERE r.started_at >= {} ORDER BY r.started_at, r.id",
            names(&RUN_TREND_COLUMNS, "r."),
            d.param(1)
        );
        let runs = self
            .select(
                &sql,
                std::slice::from_ref(&from),
                &types(&RUN_TREND_COLUMNS),
            )
            .await?;
        let sql = format!(
            "SELECT {} FROM account_snapshots a JOIN runs r ON r.id = a.run_id \
             WHERE r.started_at >= {} ORDER BY r.started_at, r.id, a.position",
            names(&ACCOUNT_TREND_COLUMNS, "a."),
            d.param(1)
        );
        let accounts = self
            .select(&sql, &[from], &types(&ACCOUNT_TREND_COLUMNS))
            .await?;
        Ok(Trends {
            since,
            runs,
            accounts,
        })
    }
}

/// An account's identity across runs: its UIN, else its name.
fn key(row: &[Cell<'_>]) -> String {
    let c = &ACCOUNT_TREND_COLUMNS;
    match row[col(c, UIN.key)].as_text() {
        Some(uin) => format!("uin:{uin}"),
        None => format!(
            "name:{}",
            row[col(c, ACCOUNT.key)].as_text().unwrap_or_default()
        ),
    }
}

/// The chart's accounts: the `n` with the highest utilization in the latest
/// run they appear in (ties: the name), each with its utilization per run
/// (`None` where it was not recorded or empty), in [`Trends::runs`] order.
pub fn top_accounts(t: &Trends, n: usize) -> Vec<(String, Vec<Option<f64>>)> {
    let c = &ACCOUNT_TREND_COLUMNS;
    let (util, name, run) = (
        col(c, UTILIZATION.key),
        col(c, ACCOUNT.key),
        col(c, RUN_LEAD[0].0),
    );
    // Rows are in run order, so the last one of a key is its latest.
    let mut latest: HashMap<String, (String, f64)> = HashMap::new();
    for row in &t.accounts {
        let label = row[name].as_text().unwrap_or_default().to_string();
        match row[util].as_real() {
            Some(u) => {
                latest.insert(key(row), (label, u));
            }
            None => {
                latest.remove(&key(row));
            }
        }
    }
    let mut ranked: Vec<(String, String, f64)> =
        latest.into_iter().map(|(k, (l, u))| (k, l, u)).collect();
    ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
    ranked.truncate(n);
    let run_index: HashMap<i64, usize> = t
        .runs
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((r[0].as_int()?, i)))
        .collect();
    ranked
        .into_iter()
        .map(|(k, label, _)| {
            let mut series = vec![None; t.runs.len()];
            for row in t.accounts.iter().filter(|r| key(r) == k) {
                if let Some(&i) = row[run].as_int().and_then(|id| run_index.get(&id)) {
                    series[i] = row[util].as_real();
                }
            }
            (label, series)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account_row(
        run: i64,
        name: &str,
        uin: Option<&str>,
        util: Option<f64>,
    ) -> Vec<Cell<'static>> {
        let mut row = vec![Cell::Empty; ACCOUNT_TREND_COLUMNS.len()];
        row[0] = Cell::Int(run);
        row[4] = Cell::Text(name.to_string().into());
        row[5] = uin.map_or(Cell::Empty, |u| Cell::Text(u.to_string().into()));
        row[10] = util.map_or(Cell::Empty, Cell::Num);
        row
    }

    #[test]
    fn the_top_accounts_are_ranked_by_their_latest_utilization() {
        let runs = (1..=2)
            .map(|id| {
                let mut r = vec![Cell::Empty; RUN_TREND_COLUMNS.len()];
                r[0] = Cell::Int(id);
                r
            })
            .collect();
        let t = Trends {
            since: None,
            runs,
            accounts: vec![
                account_row(1, "a", Some("1"), Some(0.9)),
                account_row(1, "b", Some("2"), Some(0.1)),
                account_row(2, "a-renamed", Some("1"), Some(0.2)),
                account_row(2, "b", Some("2"), Some(0.5)),
                account_row(2, "c", None, Some(0.3)),
                account_row(2, "d", Some("4"), None),
            ],
        };
        let top = top_accounts(&t, 2);
        assert_eq!(top.len(), 2);
        assert_eq!(top[0], ("b".to_string(), vec![Some(0.1), Some(0.5)]));
        assert_eq!(top[1], ("c".to_string(), vec![None, Some(0.3)]));
        let all = top_accounts(&t, 10);
        assert_eq!(all.len(), 3, "d has no utilization");
        assert_eq!(
            all[2].1,
            vec![Some(0.9), Some(0.2)],
            "matched by UIN across a rename"
        );
    }
}
