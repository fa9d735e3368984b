//! The `history` command's numbers: totals per run, and per account per
//! run, read from the store for the runs of one scope (or of every scope,
//! each row labelled with its own) started since a date, with the
//! accounts whose latest utilization is highest picked for the chart.
//! Only reads; the files are `output`'s.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use chrono::{DateTime, Utc};

use super::schema::{self, Ty};
use super::scope::Scope;
use super::{HistoryError, Store};
use crate::columns::accounts::{ACCOUNT, ACCOUNTS, UIN, UTILIZATION};
use crate::columns::totals::TOTALS;
use crate::columns::{rfc3339, Cell, Kind};

/// A trend table's columns: each name (as in `runs` or `account_snapshots`;
/// `run_id` is the run's `id`) and the kind of its values.
pub type TrendColumns = LazyLock<Vec<(&'static str, Kind)>>;

/// The columns every trend row starts with: the run's.
pub(super) const RUN_LEAD: [(&str, Kind); 4] = [
    ("run_id", Kind::Count),
    ("stem", Kind::Text),
    // RFC 3339 UTC text in the database and the CSV; a date-time in the XLSX.
    ("started_at", Kind::Time),
    ("complete", Kind::Flag),
];

/// The `account_snapshots` column of the account's tags (JSON text), read
/// with the account trend rows into [`Trends::account_tags`].
const TAGS: (&str, Kind) = (super::schema::TAGS, Kind::Text);

/// The trend column computed from the run's scope, not read from a table:
/// the last of every trend row.
pub(super) const SCOPE: (&str, Kind) = ("scope", Kind::Text);

/// The columns of the per-run table: the run's, then the totals' columns
/// marked trend (`crate::columns`), then the run's scope.
pub static RUN_TREND_COLUMNS: TrendColumns = LazyLock::new(|| {
    let totals = TOTALS
        .iter()
        .filter(|c| c.trend())
        .map(|c| (c.key(), c.kind()));
    RUN_LEAD.into_iter().chain(totals).chain([SCOPE]).collect()
});

/// The columns of the per-account-per-run table: the run's, then the
/// accounts columns marked trend, then the run's scope.
pub static ACCOUNT_TREND_COLUMNS: TrendColumns = LazyLock::new(|| {
    let accounts = ACCOUNTS.iter().filter(|c| c.trend).map(|c| (c.key, c.kind));
    RUN_LEAD
        .into_iter()
        .chain(accounts)
        .chain([SCOPE])
        .collect()
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
    /// Only runs of this scope (its label); `None`: every scope.
    pub scope: Option<String>,
    /// Runs recorded (since `since`) of other scopes than this one.
    pub other_scopes: usize,
    /// One row per run, [`RUN_TREND_COLUMNS`].
    pub runs: Vec<Vec<Cell<'static>>>,
    /// One row per account per run, [`ACCOUNT_TREND_COLUMNS`], in run then report order.
    pub accounts: Vec<Vec<Cell<'static>>>,
    /// The tag keys the runs are grouped by (`--group-by`); none: no groups.
    pub group_by: Vec<String>,
    /// One row per group per run
    /// ([`GROUP_TREND_COLUMNS`](super::group_trends::GROUP_TREND_COLUMNS)),
    /// in run order, then each key's groups.
    pub groups: Vec<Vec<Cell<'static>>>,
    /// The tags of each of [`Trends::accounts`] (the XLSX's `tag:<key>` columns).
    pub account_tags: Vec<BTreeMap<String, String>>,
}

impl Trends {
    /// Where each run (by its id, the rows' first cell) stands in
    /// [`Trends::runs`].
    pub(super) fn run_positions(&self) -> HashMap<i64, usize> {
        self.runs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| Some((r[0].as_int()?, i)))
            .collect()
    }
}

impl Store {
    /// The trends of the runs of `scope` (every scope: `None`) started at
    /// or after `since` (all without it); each row ends with its run's
    /// scope label.
    pub async fn trends(
        &self,
        since: Option<DateTime<Utc>>,
        scope: Option<&Scope>,
    ) -> Result<Trends, HistoryError> {
        let labels = self.scope_labels(scope).await?;
        let from = Cell::Text(since.map_or(String::new(), |t| rfc3339(&t)).into());
        let runs = self
            .trend_rows(&RUN_TREND_COLUMNS, "runs r", "r.id", &from)
            .await?;
        let (runs, other_scopes) = labelled(runs, &labels);
        let (accounts, account_tags) = if runs.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let table = "account_snapshots a JOIN runs r ON r.id = a.run_id";
            // The tags are read last, after the trend columns.
            let mut cols = ACCOUNT_TREND_COLUMNS.to_vec();
            cols.push(TAGS);
            let rows = self.trend_rows(&cols, table, "r.id, a.position", &from);
            split_tags(labelled(rows.await?, &labels).0)
        };
        Ok(Trends {
            since,
            scope: scope.map(Scope::label),
            other_scopes,
            runs,
            accounts,
            group_by: Vec::new(),
            groups: Vec::new(),
            account_tags,
        })
    }

    /// Each recorded run's id: whether it is of `scope` (every run is of
    /// no scope), and its scope's label.
    async fn scope_labels(
        &self,
        scope: Option<&Scope>,
    ) -> Result<HashMap<i64, (bool, String)>, HistoryError> {
        Ok(self
            .recorded_scopes()
            .await?
            .iter()
            .map(|r| (r.id, (scope.is_none_or(|s| s.matches(r)), r.label())))
            .collect())
    }

    /// The rows ([`RUN_TREND_COLUMNS`]) of every run of `scope`, oldest
    /// first: the trend of a run's HTML report.
    pub async fn runs_of(&self, scope: &Scope) -> Result<Vec<Vec<Cell<'static>>>, HistoryError> {
        let labels = self.scope_labels(Some(scope)).await?;
        let all = Cell::Text(String::new().into());
        let rows = self
            .trend_rows(&RUN_TREND_COLUMNS, "runs r", "r.id", &all)
            .await?;
        Ok(labelled(rows, &labels).0)
    }

    /// The rows of `cols` (but the scope) from `table`, of the runs started
    /// at or after `from`, in start then `order` order.
    async fn trend_rows(
        &self,
        cols: &[(&str, Kind)],
        table: &str,
        order: &str,
        from: &Cell<'static>,
    ) -> Result<Vec<Vec<Cell<'static>>>, HistoryError> {
        let read: Vec<(&str, Kind)> = cols.iter().copied().filter(|c| c.0 != SCOPE.0).collect();
        let (prefix, name) = if table.starts_with("runs") {
            ("r.", "runs")
        } else {
            ("a.", "account_snapshots")
        };
        let (d, version) = (self.dialect(), self.version);
        // A database read as it is may predate some trend columns: NULL.
        let names: Vec<String> = read
            .iter()
            .map(|(n, kind)| match *n {
                "run_id" => "r.id".to_string(),
                "stem" | "started_at" | "complete" => format!("r.{n}"),
                other => schema::selected(d, version, name, prefix, other, kind.ty()),
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM {table} WHERE r.started_at >= {} ORDER BY r.started_at, {order}",
            names.join(", "),
            self.dialect().param(1)
        );
        let types: Vec<Ty> = read.iter().map(|c| c.1.ty()).collect();
        self.select(&sql, std::slice::from_ref(from), &types).await
    }
}

/// The rows whose run (their first value) is of the scope asked, each
/// with its run's scope label appended; and how many rows were of other
/// scopes.
fn labelled(
    rows: Vec<Vec<Cell<'static>>>,
    labels: &HashMap<i64, (bool, String)>,
) -> (Vec<Vec<Cell<'static>>>, usize) {
    let mut others = 0;
    let kept = rows
        .into_iter()
        .filter_map(|mut row| {
            let (matches, label) = row[0].as_int().and_then(|id| labels.get(&id))?;
            if !matches {
                others += 1;
                return None;
            }
            row.push(Cell::Text(label.clone().into()));
            Some(row)
        })
        .collect();
    (kept, others)
}

/// Account trend rows read with their tags before the scope label: the
/// rows without them, and the tags (an unreadable tags text is no tags).
fn split_tags(
    rows: Vec<Vec<Cell<'static>>>,
) -> (Vec<Vec<Cell<'static>>>, Vec<BTreeMap<String, String>>) {
    rows.into_iter()
        .map(|mut row| {
            let scope = row.pop().unwrap_or(Cell::Empty);
            let tags = row.pop().unwrap_or(Cell::Empty);
            row.push(scope);
            let tags = tags
                .as_text()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default();
            (row, tags)
        })
        .unzip()
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
    let run_index = t.run_positions();
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
            scope: None,
            other_scopes: 0,
            runs,
            account_tags: Vec::new(),
            accounts: vec![
                account_row(1, "a", Some("1"), Some(0.9)),
                account_row(1, "b", Some("2"), Some(0.1)),
                account_row(2, "a-renamed", Some("1"), Some(0.2)),
                account_row(2, "b", Some("2"), Some(0.5)),
                account_row(2, "c", None, Some(0.3)),
                account_row(2, "d", Some("4"), None),
            ],
            group_by: Vec::new(),
            groups: Vec::new(),
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
