//! A run's scope in the history: which recorded runs `--compare last` and
//! the `history` command's trends put beside it. A scope is the config's
//! history key (`[defaults] history_key`, else its canonical path), the
//! selection (`--only`/`--exclude`, canonical) and whether the run was
//! simulated. Runs recorded before schema version 3 have no scope: such a
//! run is taken as a run of the config file it names (`config_path` as
//! recorded, resolved against the current folder when relative, or equal
//! to the history key) without a selection, simulated as recorded. Pure,
//! but for resolving those paths.

use std::path::Path;

use crate::columns::Cell;
use crate::model::RunInfo;

/// The scope runs are matched on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `[defaults] history_key`, else the config file's canonical path.
    pub history_key: String,
    /// The config file as given (matched against the `config_path` of runs
    /// recorded before scopes were).
    pub config_path: String,
    /// The canonical selection (`--only S`, `--exclude S`); empty: every
    /// account.
    pub selection: Vec<String>,
    /// Whether the runs are simulated ones.
    pub simulated: bool,
}

impl Scope {
    /// The scope of `run`.
    pub fn of(run: &RunInfo) -> Scope {
        Scope {
            history_key: run.scope.history_key.clone(),
            config_path: run.config_path.clone(),
            selection: run.scope.selection.clone(),
            simulated: run.simulated,
        }
    }

    /// Whether the recorded run `r` is of this scope.
    pub fn matches(&self, r: &Recorded) -> bool {
        if r.simulated != self.simulated {
            return false;
        }
        match (&r.history_key, &r.selection) {
            (Some(key), Some(selection)) => {
                *key == self.history_key && *selection == self.selection
            }
            (Some(_), None) => false,
            (None, _) => self.selection.is_empty() && self.names_config(&r.config_path),
        }
    }

    /// Whether `recorded` (the `config_path` of a run recorded before
    /// scopes were) names this scope's config file.
    fn names_config(&self, recorded: &str) -> bool {
        if recorded == self.config_path || recorded == self.history_key {
            return true;
        }
        match (
            std::fs::canonicalize(Path::new(recorded)),
            std::fs::canonicalize(Path::new(&self.config_path)),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }

    /// How the reports and the `history` files name it: the history key,
    /// the selectors, and `(simulated)`.
    pub fn label(&self) -> String {
        label(&self.history_key, &self.selection, self.simulated, false)
    }
}

fn label(key: &str, selection: &[String], simulated: bool, unrecorded: bool) -> String {
    let mut out = key.to_string();
    for s in selection {
        out.push(' ');
        out.push_str(s);
    }
    if simulated {
        out.push_str(" (simulated)");
    }
    if unrecorded {
        out.push_str(" (scope not recorded)");
    }
    out
}

/// What a recorded run says of its scope, and whether it can be compared
/// with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// `runs.id`.
    pub id: i64,
    /// Whether every answer was in.
    pub complete: bool,
    /// Queries answered (`None`: not recorded).
    pub queries_ok: Option<i64>,
    /// The config file as the run was given it.
    pub config_path: String,
    /// Whether it was simulated.
    pub simulated: bool,
    /// Its history key; `None`: recorded before schema version 3.
    pub history_key: Option<String>,
    /// Its canonical selection; `None`: not recorded (or unreadable).
    pub selection: Option<Vec<String>>,
}

/// The columns of `runs` [`Recorded::from_row`] reads, in order, at schema
/// `version` (the scope's own from version 3).
pub fn columns(version: i64) -> &'static str {
    if version >= 3 {
        "id, complete, queries_ok, config_path, simulated, history_key, selection"
    } else {
        "id, complete, queries_ok, config_path, simulated, NULL, NULL"
    }
}

/// The types of [`columns`].
pub const TYPES: [super::schema::Ty; 7] = {
    use super::schema::Ty::{Bool, Int, Text};
    [Int, Bool, Int, Text, Bool, Text, Text]
};

impl Recorded {
    /// A row of [`columns`].
    pub fn from_row(row: &[Cell<'_>]) -> Recorded {
        Recorded {
            id: row[0].as_int().unwrap_or_default(),
            complete: row[1].as_bool() == Some(true),
            queries_ok: row[2].as_int(),
            config_path: row[3].as_text().unwrap_or_default().to_string(),
            simulated: row[4].as_bool() == Some(true),
            history_key: row[5].as_text().map(str::to_string),
            selection: row[6]
                .as_text()
                .and_then(|t| serde_json::from_str::<Vec<String>>(t).ok()),
        }
    }

    /// Whether `--compare last` may compare with it: complete, and at
    /// least one query answered.
    pub fn comparable(&self) -> bool {
        self.complete && self.queries_ok.is_some_and(|n| n > 0)
    }

    /// Its scope's label ([`Scope::label`]); a run recorded before scopes
    /// were: its config path, `(scope not recorded)`.
    pub fn label(&self) -> String {
        match (&self.history_key, &self.selection) {
            (Some(key), Some(selection)) => label(key, selection, self.simulated, false),
            (Some(key), None) => label(key, &[], self.simulated, true),
            (None, _) => label(&self.config_path, &[], self.simulated, true),
        }
    }
}

/// The text the history keeps of a selection (`runs.selection`): a JSON
/// array of its canonical selectors.
pub fn selection_text(selection: &[String]) -> String {
    serde_json::to_string(selection).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(selection: &[&str], simulated: bool) -> Scope {
        Scope {
            history_key: "/srv/tcss/accounts.toml".into(),
            config_path: "accounts.toml".into(),
            selection: selection.iter().map(|s| s.to_string()).collect(),
            simulated,
        }
    }

    fn recorded(key: Option<&str>, selection: Option<&[&str]>, simulated: bool) -> Recorded {
        Recorded {
            id: 1,
            complete: true,
            queries_ok: Some(3),
            config_path: "accounts.toml".into(),
            simulated,
            history_key: key.map(str::to_string),
            selection: selection.map(|s| s.iter().map(|x| x.to_string()).collect()),
        }
    }

    #[test]
    fn a_run_matches_on_key_selection_and_simulation() {
        let key = Some("/srv/tcss/accounts.toml");
        let full = scope(&[], false);
        assert!(full.matches(&recorded(key, Some(&[]), false)));
        assert!(!full.matches(&recorded(key, Some(&[]), true)), "simulated");
        assert!(
            !full.matches(&recorded(key, Some(&["--only a"]), false)),
            "subset"
        );
        assert!(!full.matches(&recorded(Some("/other.toml"), Some(&[]), false)));
        let subset = scope(&["--only a"], false);
        assert!(subset.matches(&recorded(key, Some(&["--only a"]), false)));
        assert!(!subset.matches(&recorded(key, Some(&[]), false)));
    }

    #[test]
    fn a_run_recorded_before_scopes_is_a_full_run_of_the_file_it_names() {
        let old = recorded(None, None, false);
        assert!(scope(&[], false).matches(&old));
        assert!(!scope(&[], true).matches(&old));
        assert!(!scope(&["--only a"], false).matches(&old));
        let mut elsewhere = old.clone();
        elsewhere.config_path = "/nowhere/else.toml".into();
        assert!(!scope(&[], false).matches(&elsewhere));
        let mut keyed = elsewhere.clone();
        keyed.config_path = "/srv/tcss/accounts.toml".into();
        assert!(scope(&[], false).matches(&keyed), "the history key");
    }

    #[test]
    fn labels_say_the_key_the_selectors_and_the_simulation() {
        assert_eq!(
            scope(&["--only org:acme", "--exclude uin:1"], true).label(),
            "/srv/tcss/accounts.toml --only org:acme --exclude uin:1 (simulated)"
        );
        assert_eq!(
            recorded(None, None, false).label(),
            "accounts.toml (scope not recorded)"
        );
        let row = [
            Cell::Int(4),
            Cell::Bool(true),
            Cell::Int(0),
            Cell::Text("a.toml".into()),
            Cell::Bool(false),
            Cell::Text("k".into()),
            Cell::Text(selection_text(&["--only x".into()]).into()),
        ];
        let r = Recorded::from_row(&row);
        assert_eq!(r.selection, Some(vec!["--only x".to_string()]));
        assert!(!r.comparable(), "no query answered");
        assert_eq!(r.label(), "k --only x");
    }
}
