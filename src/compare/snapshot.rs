//! Reading a [`Previous`] from a JSON snapshot written by this tool
//! (`<stem>.json`, see `report::json`), for `run --compare PREV.json`.
//!
//! Only a regular file is read, and never more than [`MAX_SNAPSHOT_BYTES`]
//! (`tcapi::files`). The file is parsed twice: first only for its syntax and
//! its `schema_version` (so a file of another version is named as such, not
//! by the first field it disagrees on), then into the few fields a
//! comparison needs (the accounts' compared values, and the counts of
//! `totals`); every other key (`regions`, tags, ...) is skipped without
//! being stored. A UIN written as a JSON number is accepted
//! as its digits. Every error names the file, says what is wrong and where
//! (field path, line and column), and what to do.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer};
use serde::Deserialize;
use tcapi::files::{read_regular_file, FileError};

use super::{Previous, PreviousAccount, Values};
use crate::columns::accounts::compared;
use crate::columns::totals::count_columns;
use crate::columns::{Cell, Kind};

/// The snapshot's `schema_version`: what this build writes (`report::json`)
/// and reads here; bumped only on incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

/// The largest snapshot read: 512 MiB (a 10,000-account, 3-region snapshot
/// is about 25 MB).
pub const MAX_SNAPSHOT_BYTES: u64 = 512 * 1024 * 1024;

/// What to do when the file is not a snapshot.
const HINT: &str = "pass a <stem>.json snapshot written by `tcss-report run`";

/// Why a snapshot could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The file could not be read (missing, not a regular file, too large).
    #[error("cannot read the snapshot to compare with: {0}")]
    File(FileError),
    /// The file is not JSON.
    #[error("{}: not valid JSON: {reason} at line {line} column {column}; {HINT}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// What the parser found.
        reason: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The file is JSON but not a snapshot: a required key is missing.
    #[error("{}: not a tcss-report snapshot: {what} is missing; {HINT}", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
        /// The key, e.g. `accounts` or `run.stem`.
        what: &'static str,
    },
    /// The snapshot is of a version this build does not read.
    #[error(
        "{}: schema_version {found} is not one this tcss-report reads ({SCHEMA_VERSION}); \
         compare with a snapshot written by this version, or use a tcss-report that reads it",
        path.display()
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// The value found, as JSON text.
        found: String,
    },
    /// A field has the wrong type or an impossible value.
    #[error("{}: {field}: {reason} (line {line}, column {column}); {HINT}", path.display())]
    Field {
        /// The file.
        path: PathBuf,
        /// The field's path, e.g. `accounts[3].total_authorized`.
        field: String,
        /// What is wrong with it.
        reason: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
}

/// A snapshot read back.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviousSnapshot {
    /// What the comparison needs.
    pub previous: Previous,
    /// The snapshot's `complete`: false when that run was interrupted or an
    /// organization could not be listed (its missing accounts show as vanished).
    pub complete: bool,
}

/// Reads the snapshot at `path`.
pub fn read(path: &Path) -> Result<PreviousSnapshot, SnapshotError> {
    let bytes = read_regular_file(path, MAX_SNAPSHOT_BYTES).map_err(SnapshotError::File)?;
    check_version(path, &bytes)?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let file: File = serde_path_to_error::deserialize(&mut de).map_err(|e| field_error(path, e))?;
    de.end().map_err(|e| syntax_error(path, &e))?;
    let missing = |what| SnapshotError::Missing {
        path: path.to_path_buf(),
        what,
    };
    let generated = file.generated_at.ok_or_else(|| missing("generated_at"))?;
    let generated_at = DateTime::parse_from_rfc3339(&generated)
        .map_err(|e| SnapshotError::Field {
            path: path.to_path_buf(),
            field: "generated_at".into(),
            reason: format!("{generated:?} is not an RFC 3339 time ({e})"),
            line: 1,
            column: 1,
        })?
        .with_timezone(&Utc);
    let run = file
        .run
        .and_then(|r| r.stem)
        .ok_or_else(|| missing("run.stem"))?;
    let accounts = file.accounts.ok_or_else(|| missing("accounts"))?;
    Ok(PreviousSnapshot {
        previous: Previous {
            run,
            generated_at,
            accounts: accounts.into_iter().map(Account::into_previous).collect(),
            // A snapshot without `totals` (or a count added since) compares
            // its totals with nothing: `previous` and `change` are null.
            totals: file.totals.map(|t| t.0).unwrap_or_default(),
        },
        complete: file.complete.unwrap_or(true),
    })
}

/// The first pass: JSON syntax, an object, and the schema version.
fn check_version(path: &Path, bytes: &[u8]) -> Result<(), SnapshotError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(SnapshotError::Syntax {
            path: path.to_path_buf(),
            reason: "the file is empty".into(),
            line: 1,
            column: 1,
        });
    }
    let head: Head = serde_json::from_slice(bytes).map_err(|e| syntax_error(path, &e))?;
    match head.0 {
        None => Err(SnapshotError::Missing {
            path: path.to_path_buf(),
            what: "schema_version",
        }),
        Some(v) if v.as_u64() == Some(u64::from(SCHEMA_VERSION)) => Ok(()),
        Some(v) => Err(SnapshotError::Version {
            path: path.to_path_buf(),
            found: v.to_string(),
        }),
    }
}

/// A snapshot's `schema_version`, from an object only (a derived struct
/// would also accept an array).
struct Head(Option<serde_json::Value>);

impl<'de> Deserialize<'de> for Head {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Head, D::Error> {
        struct Object;
        impl<'de> de::Visitor<'de> for Object {
            type Value = Head;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Head, A::Error> {
                let mut version = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "schema_version" {
                        version = Some(map.next_value()?);
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                Ok(Head(version))
            }
        }
        d.deserialize_map(Object)
    }
}

/// The parser's message without its own ` at line L column C` suffix.
fn reason_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

fn syntax_error(path: &Path, e: &serde_json::Error) -> SnapshotError {
    if e.is_syntax() || e.is_eof() {
        SnapshotError::Syntax {
            path: path.to_path_buf(),
            reason: reason_of(e),
            line: e.line(),
            column: e.column(),
        }
    } else {
        // Valid JSON, but not an object (an array, a number, ...).
        SnapshotError::Field {
            path: path.to_path_buf(),
            field: "(the document)".into(),
            reason: format!("{}: a snapshot is a JSON object", reason_of(e)),
            line: e.line(),
            column: e.column(),
        }
    }
}

fn field_error(path: &Path, e: serde_path_to_error::Error<serde_json::Error>) -> SnapshotError {
    let field = e.path().to_string();
    let inner = e.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return syntax_error(path, &inner);
    }
    SnapshotError::Field {
        path: path.to_path_buf(),
        field: if field == "." {
            "(the document)".into()
        } else {
            field
        },
        reason: reason_of(&inner),
        line: inner.line(),
        column: inner.column(),
    }
}

/// The snapshot, as much of it as a comparison needs; other keys are skipped.
#[derive(Deserialize)]
struct File {
    generated_at: Option<String>,
    complete: Option<bool>,
    run: Option<Run>,
    accounts: Option<Vec<Account>>,
    totals: Option<TotalCounts>,
}

/// The counts of a snapshot's `totals`, in the order of
/// `columns::totals::count_columns` (read by their keys; a missing or
/// `null` one is empty); its ratios and any other key are skipped.
struct TotalCounts(Vec<Cell<'static>>);

impl<'de> Deserialize<'de> for TotalCounts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TotalCounts, D::Error> {
        struct Visitor;
        impl<'de> de::Visitor<'de> for Visitor {
            type Value = TotalCounts;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the totals object")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<TotalCounts, A::Error> {
                let counts = count_columns();
                let mut values = vec![Cell::Empty; counts.len()];
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match counts.iter().position(|c| c.key() == key.as_ref()) {
                        Some(i) => values[i] = Cell::int(map.next_value::<Option<i64>>()?),
                        None => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(TotalCounts(values))
            }
        }
        d.deserialize_map(Visitor)
    }
}

#[derive(Deserialize)]
struct Run {
    stem: Option<String>,
}

/// One account of the snapshot: its name, UIN and status, and the compared
/// columns' values (`columns::accounts::compared`, read by their keys and
/// kinds); other keys are skipped.
struct Account {
    account: String,
    uin: Option<String>,
    status: String,
    values: Vec<Cell<'static>>,
}

impl Account {
    fn into_previous(self) -> PreviousAccount {
        PreviousAccount {
            account: self.account,
            uin: self.uin,
            status: self.status,
            values: Values::from_cells(self.values),
        }
    }
}

impl<'de> Deserialize<'de> for Account {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Account, D::Error> {
        d.deserialize_map(AccountVisitor)
    }
}

struct AccountVisitor;

impl<'de> de::Visitor<'de> for AccountVisitor {
    type Value = Account;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an account object")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Account, A::Error> {
        let compared = compared();
        let (mut account, mut uin, mut status) = (None, None, None);
        let mut values = vec![Cell::Empty; compared.len()];
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "account" => account = Some(map.next_value()?),
                "uin" => uin = Some(map.next_value::<Uin>()?.0),
                "status" => status = Some(map.next_value()?),
                other => match compared.iter().position(|c| c.key == other) {
                    Some(i) => values[i] = value(&mut map, compared[i].kind)?,
                    None => {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                },
            }
        }
        Ok(Account {
            account: account.ok_or_else(|| de::Error::missing_field("account"))?,
            uin: uin.flatten(),
            status: status.ok_or_else(|| de::Error::missing_field("status"))?,
            values,
        })
    }
}

/// A compared value of `kind`: a whole number, or a ratio; `null` is empty.
fn value<'de, A: de::MapAccess<'de>>(map: &mut A, kind: Kind) -> Result<Cell<'static>, A::Error> {
    Ok(match kind {
        Kind::Ratio => Cell::ratio(map.next_value::<Option<f64>>()?),
        Kind::Decimal => map
            .next_value::<Option<f64>>()?
            .map_or(Cell::Empty, Cell::Num),
        _ => Cell::int(map.next_value::<Option<i64>>()?),
    })
}

/// A UIN, as [`uin_text`] reads it.
struct Uin(Option<String>);

impl<'de> Deserialize<'de> for Uin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Uin, D::Error> {
        uin_text(d).map(Uin)
    }
}

/// A UIN: text, or a whole non-negative JSON number taken as its digits
/// (a spreadsheet round trip may have turned it into one); `null` is none.
fn uin_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Uin;
    impl<'de> de::Visitor<'de> for Uin {
        type Value = Option<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a UIN as text (or as a whole number), or null")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Err(E::custom(format!("the UIN {v} is negative")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Err(E::custom(format!(
                "the UIN {v} is not a whole number that fits 64 bits exactly; write it as text"
            )))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(Uin)
}

#[cfg(test)]
mod tests;
