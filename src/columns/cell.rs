//! One typed value of a table: what a column's source gives, what the
//! writers print (each deciding only how it looks in its format) and what
//! the history binds and reads back.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone};

/// One typed table cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    /// Unknown / not applicable: an empty CSV cell, a blank XLSX cell, JSON
    /// `null`, SQL `NULL`.
    Empty,
    /// Text (user- or API-provided): guarded in CSV, a string in XLSX and JSON.
    Text(Cow<'a, str>),
    /// A whole number.
    Int(i64),
    /// A ratio (0..1, above 1 for over-use): a percentage in XLSX.
    Ratio(f64),
    /// Any other decimal number (e.g. seconds; a `REAL` read back).
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// A time, printed as RFC 3339 with its offset ([`rfc3339`]).
    Time(DateTime<FixedOffset>),
}

impl<'a> Cell<'a> {
    /// Text, empty when unknown.
    pub(crate) fn text(value: Option<&'a str>) -> Cell<'a> {
        value.map_or(Cell::Empty, |s| Cell::Text(Cow::Borrowed(s)))
    }

    /// Text.
    pub(crate) fn str(value: &'a str) -> Cell<'a> {
        Cell::Text(Cow::Borrowed(value))
    }

    /// A whole number, empty when unknown.
    pub(crate) fn int(value: Option<i64>) -> Cell<'a> {
        value.map_or(Cell::Empty, Cell::Int)
    }

    /// A count (capped at `i64::MAX`, which no count reaches).
    pub(crate) fn count(value: impl TryInto<i64>) -> Cell<'a> {
        Cell::Int(value.try_into().unwrap_or(i64::MAX))
    }

    /// A ratio, empty when unknown.
    pub(crate) fn ratio(value: Option<f64>) -> Cell<'a> {
        value.map_or(Cell::Empty, Cell::Ratio)
    }

    /// A boolean, empty when unknown.
    pub(crate) fn bool(value: Option<bool>) -> Cell<'a> {
        value.map_or(Cell::Empty, Cell::Bool)
    }

    /// A time, empty when unknown.
    pub(crate) fn time<Tz: TimeZone>(value: Option<&DateTime<Tz>>) -> Cell<'a> {
        value.map_or(Cell::Empty, |t| Cell::Time(t.fixed_offset()))
    }

    /// The text, if this is text.
    pub(crate) fn as_text(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The number, if this is a whole number.
    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Cell::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The number, if this is a number (a whole number widened).
    pub(crate) fn as_real(&self) -> Option<f64> {
        match self {
            Cell::Ratio(v) | Cell::Num(v) => Some(*v),
            Cell::Int(v) => Some(*v as f64),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Cell::Bool(v) => Some(*v),
            _ => None,
        }
    }

    /// The same value, owning its text.
    pub(crate) fn into_owned(self) -> Cell<'static> {
        match self {
            Cell::Empty => Cell::Empty,
            Cell::Text(s) => Cell::Text(Cow::Owned(s.into_owned())),
            Cell::Int(v) => Cell::Int(v),
            Cell::Ratio(v) => Cell::Ratio(v),
            Cell::Num(v) => Cell::Num(v),
            Cell::Bool(v) => Cell::Bool(v),
            Cell::Time(t) => Cell::Time(t),
        }
    }
}

/// `n` with a comma between thousands: `-1,234,567`.
pub(crate) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// RFC 3339 with whole seconds: `2026-03-01T00:00:00+08:00`, or `...Z` for UTC.
pub(crate) fn rfc3339<Tz: TimeZone>(t: &DateTime<Tz>) -> String
where
    Tz::Offset: fmt::Display,
{
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
