//! The report formats a run can write, by name: what `--formats`, the
//! config (`[[notify]] attach`) and the writers agree on. Only the names;
//! which files each format writes is `report`'s.

use std::fmt;
use std::str::FromStr;

/// A report file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `<stem>.accounts.csv` and `<stem>.regions.csv` (and
    /// `<stem>.groups.csv` with `--group-by`).
    Csv,
    /// `<stem>.xlsx`.
    Xlsx,
    /// `<stem>.json`.
    Json,
    /// `<stem>.md`.
    Markdown,
    /// `<stem>.prom`: metrics in the Prometheus text format (not a default).
    Prom,
    /// `<stem>.html`: one self-contained page for people.
    Html,
}

impl Format {
    /// Every format. A new format must be added here: the stem choice checks
    /// the file names of all of them.
    pub const ALL: [Format; 6] = [
        Format::Csv,
        Format::Xlsx,
        Format::Json,
        Format::Markdown,
        Format::Prom,
        Format::Html,
    ];

    /// The name used on the command line (`csv`, `xlsx`, `json`, `md`, `prom`,
    /// `html`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Json => "json",
            Format::Markdown => "md",
            Format::Prom => "prom",
            Format::Html => "html",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown format name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report format {0:?} (expected csv, xlsx, json, md, prom or html)")]
pub struct ParseFormatError(pub String);

impl FromStr for Format {
    type Err = ParseFormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            "json" => Ok(Format::Json),
            "md" | "markdown" => Ok(Format::Markdown),
            "prom" | "prometheus" => Ok(Format::Prom),
            "html" => Ok(Format::Html),
            _ => Err(ParseFormatError(s.to_string())),
        }
    }
}
