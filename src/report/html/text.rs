//! How a value reads on the page: counts with thousands separators,
//! ratios as percentages with one decimal, unknown values as `n/a`, texts
//! cleaned of control and bidirectional characters and cut
//! ([`crate::sanitize::clean`]). Escaping is the templates' (askama escapes
//! every value), so nothing here produces markup.

use crate::columns::{rfc3339, thousands, Cell};
use crate::sanitize;

/// Longest name, UIN, region, status or request id shown, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest message shown, in characters (the CSV, JSON and XLSX keep it whole).
pub const MAX_MESSAGE_CHARS: usize = 300;

/// What an unknown value reads as.
pub const UNKNOWN: &str = "n/a";

/// `n` with a comma between thousands: `-1,234,567` (as the Markdown
/// prints it too).
pub fn count(n: i64) -> String {
    thousands(n)
}

/// A ratio as a percentage with one decimal: `0.975` is `97.5%`.
pub fn pct(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// A text as shown: on one line, without control or bidirectional
/// characters, at most `max` characters.
pub fn clean(text: &str, max: usize) -> String {
    sanitize::clean(text, max).into_owned()
}

/// A name (account, organization, UIN, region) as shown.
pub fn name(text: &str) -> String {
    clean(text, MAX_NAME_CHARS)
}

/// How a cell reads: text cleaned and cut to `max` characters.
pub fn cell(c: &Cell<'_>, max: usize) -> String {
    match c {
        Cell::Empty => UNKNOWN.to_string(),
        Cell::Text(t) => clean(t, max),
        Cell::Int(n) => count(*n),
        Cell::Ratio(r) => pct(*r),
        Cell::Num(x) => format!("{x:.1}"),
        Cell::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Cell::Time(t) => rfc3339(t),
    }
}

/// Whether a cell is a number (shown right-aligned, in tabular figures).
pub fn is_number(c: &Cell<'_>) -> bool {
    matches!(c, Cell::Int(_) | Cell::Ratio(_) | Cell::Num(_))
}

/// Whether a cell holds a number below zero (shown as a warning:
/// remaining licenses below zero are over-use).
pub fn is_negative(c: &Cell<'_>) -> bool {
    match c {
        Cell::Int(n) => *n < 0,
        Cell::Num(x) | Cell::Ratio(x) => *x < 0.0,
        _ => false,
    }
}

/// A signed difference: `+7`, `-3`, `0`.
pub fn signed(c: &Cell<'_>) -> String {
    match c {
        Cell::Int(n) if *n > 0 => format!("+{}", count(*n)),
        Cell::Num(x) => format!("{x:+.1}"),
        other => cell(other, MAX_NAME_CHARS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_with_separators_and_percentages() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(-1_234_567), "-1,234,567");
        assert_eq!(count(i64::MIN), "-9,223,372,036,854,775,808");
        assert_eq!(pct(0.975), "97.5%");
        assert_eq!(pct(1.5), "150.0%");
        assert_eq!(cell(&Cell::Empty, 10), "n/a");
        assert_eq!(cell(&Cell::Bool(true), 10), "yes");
        assert_eq!(signed(&Cell::Int(7)), "+7");
        assert_eq!(signed(&Cell::Int(-7)), "-7");
        assert_eq!(signed(&Cell::Num(7.0)), "+7.0");
    }

    #[test]
    fn texts_lose_control_and_bidi_characters_and_are_cut() {
        assert_eq!(name("a\u{202e}b\u{1b}[31m\nc"), "ab[31m c");
        let long = "é".repeat(MAX_NAME_CHARS + 5);
        assert!(name(&long).starts_with(&"é".repeat(MAX_NAME_CHARS)));
        assert!(name(&long).contains("cut:"), "the cut is said");
    }
}
