//! `[defaults] fail_on = ["utilization >= 90%", ...]`: each expression
//! parsed by [`crate::thresholds::parse`]; an expression that cannot be used
//! is an error at its line and column, with the caret message of the parser.

use toml::Spanned;

use super::locate::Problems;
use crate::thresholds::{parse, Origin, Threshold};

/// The thresholds of `fail_on`, in file order; each bad one is an error.
pub(super) fn thresholds(problems: &mut Problems<'_>, list: &[Spanned<String>]) -> Vec<Threshold> {
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let here = problems.at(item.span(), "");
        let (line, column) = here.position.unwrap_or((1, 1));
        let origin = Origin::Config {
            path: here.path,
            line,
            column,
        };
        match parse(item.get_ref(), origin) {
            Ok(t) => out.push(t),
            Err(e) => problems.error(item.span(), format!("`fail_on`: {}", e.detail())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::{Config, ConfigError};
    use crate::thresholds::{Metric, Origin, Scope};

    fn parse(defaults: &str) -> Result<Config, ConfigError> {
        let text =
            format!("[defaults]\n{defaults}\n\n[[accounts]]\nname = \"a\"\nprofile = \"a\"\n");
        Config::parse(&text, Path::new("accounts.toml"))
    }

    #[test]
    fn fail_on_is_parsed_with_its_position() {
        let c = parse("regions = [\"ap-guangzhou\"]\nfail_on = [\n  \"utilization >= 90%\",\n  \"total.failed_queries > 0\",\n]").unwrap();
        let t = &c.defaults.fail_on;
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t[0].scope, t[0].metric),
            (Scope::Account, Metric::Plain("utilization"))
        );
        assert_eq!(t[0].threshold, 0.9);
        assert_eq!(
            t[1].origin,
            Origin::Config {
                path: "accounts.toml".into(),
                line: 5,
                column: 3
            }
        );
        assert!(
            parse("").unwrap().defaults.fail_on.is_empty(),
            "none by default"
        );
    }

    #[test]
    fn a_bad_expression_names_the_file_and_line_with_a_caret() {
        let e = parse("fail_on = [\"utilization >= 90%\", \"utilisation > 1\"]")
            .unwrap_err()
            .to_string();
        let lines: Vec<&str> = e.lines().collect();
        assert_eq!(
            lines[0],
            "accounts.toml:2:34: `fail_on`: `utilisation > 1`: unknown metric `utilisation` \
             (did you mean `utilization`?)",
            "{e}"
        );
        assert_eq!(lines[1], "  utilisation > 1");
        assert_eq!(lines[2], "  ^^^^^^^^^^^");
        assert!(e.contains("valid metrics"), "{e}");
    }

    #[test]
    fn fail_on_must_be_a_list_of_strings() {
        let e = parse("fail_on = \"utilization >= 90%\"")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("accounts.toml:2:"), "{e}");
        let e = parse("fail_on = [90]").unwrap_err().to_string();
        assert!(e.starts_with("accounts.toml:2:"), "{e}");
        let e = parse("fail_ons = []").unwrap_err().to_string();
        assert!(e.contains("fail_on"), "the close match is offered: {e}");
    }
}
