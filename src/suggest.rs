//! "Did you mean ...?": the valid name nearest to a misspelt one (config
//! keys, region names, `--fail-on` metrics), by edit distance.

/// The name of `valid` nearest to `given`, when it is a likely misspelling:
/// at most a third of `given`'s characters apart (one to three edits). On
/// a tie, the first in `valid`.
pub fn closest<'a>(given: &str, valid: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (given.chars().count() / 3).clamp(1, 3);
    valid
        .into_iter()
        .map(|v| (edit_distance(given, v), v))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

/// ` (did you mean `NAME`?)` for the name of `valid` nearest to `given`, or
/// nothing.
pub fn hint<'a>(given: &str, valid: impl IntoIterator<Item = &'a str>) -> String {
    closest(given, valid).map_or_else(String::new, |v| format!(" (did you mean `{v}`?)"))
}

/// Levenshtein distance in characters (names are short).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("concurency", "concurrency"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("profle", "profile"), 1);
        assert_eq!(edit_distance("utilisation", "utilization"), 1);
    }

    #[test]
    fn the_nearest_name_within_a_third_of_the_length() {
        let valid = ["regions", "region_scope", "rate_limit"];
        assert_eq!(closest("regoins", valid), Some("regions"));
        assert_eq!(closest("colour", valid), None);
        assert_eq!(hint("regoins", valid), " (did you mean `regions`?)");
        assert_eq!(hint("colour", valid), "");
        // Short names: one edit at most.
        assert_eq!(closest("ab", ["ax", "xy"]), Some("ax"));
        assert_eq!(closest("ab", ["xy"]), None);
    }
}
