//! Text that came from a server (error codes and messages, request ids,
//! fields such as `PurchaseStatus`) made safe to store and show: control
//! characters (ANSI escape sequences, line breaks that could forge a log
//! line, bidirectional overrides) are removed, and lengths are capped, saying
//! so, so one hostile answer cannot make a 200 KB report. Pure functions.
//!
//! Markdown escaping is the Markdown writer's business; secrets are removed
//! by [`crate::redact`]. [`clean_outcome`] applies both to a query outcome.
//! [`guard`] keeps a spreadsheet from running a CSV cell as a formula (every
//! CSV file the tool writes: the reports, the history's, `discover`'s).

use std::borrow::Cow;

use crate::model::{QueryOutcome, QueryResult};
use crate::redact::Redactor;

/// Characters that make a spreadsheet treat a cell as a formula.
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Formula-injection guard for a text cell: prefixes `'` when the text begins
/// with `=`, `+`, `-`, `@`, tab or carriage return; otherwise returns it unchanged.
pub fn guard(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_TRIGGERS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The longest error code kept, in characters.
pub const MAX_CODE_CHARS: usize = 64;
/// The longest error message kept, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1000;
/// The longest other server field kept (request ids, `PurchaseStatus`, times, keys).
pub const MAX_FIELD_CHARS: usize = 200;

/// Characters that change how text is displayed rather than what it says:
/// the C0 and C1 controls, DEL, and the Unicode bidirectional overrides,
/// isolates and marks ("Trojan Source").
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` on one line without control characters (an escape sequence's
/// `ESC` is dropped; line breaks and tabs become one space), at most `max`
/// characters: a longer text is cut and ends with
/// `… (cut: N characters in all)`.
pub fn clean(text: &str, max: usize) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= max && !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(max * 4 + 64));
    let mut kept = 0;
    let mut last_space = false;
    for c in text.chars() {
        if kept == max {
            break;
        }
        let c = match c {
            '\n' | '\r' | '\t' => ' ',
            c if is_unsafe(c) => continue,
            c => c,
        };
        if c == ' ' && last_space {
            continue;
        }
        last_space = c == ' ';
        out.push(c);
        kept += 1;
    }
    if count > max {
        out.push_str(&format!("… (cut: {count} characters in all)"));
    }
    Cow::Owned(out)
}

/// Cleans and redacts one owned text in place.
fn fix(text: &mut String, max: usize, redactor: &Redactor) {
    redactor.redact_in_place(text);
    if let Cow::Owned(c) = clean(text, max) {
        *text = c;
    }
}

fn fix_opt(text: &mut Option<String>, max: usize, redactor: &Redactor) {
    if let Some(t) = text {
        fix(t, max, redactor);
    }
}

/// Every server-provided text of `o` cleaned ([`clean`]) and redacted: the
/// error code and message, the last error of a cancelled query, the request
/// id, and the text fields of an answer. Secrets are removed first, so a
/// secret cut in two by the length cap cannot survive in halves.
pub fn clean_outcome(o: &mut QueryOutcome, redactor: &Redactor) {
    match &mut o.result {
        QueryResult::Failed { code, message } => {
            fix(code, MAX_CODE_CHARS, redactor);
            fix(message, MAX_MESSAGE_CHARS, redactor);
        }
        QueryResult::Ok(answer) => answer.for_each_text(|t| fix(t, MAX_FIELD_CHARS, redactor)),
        QueryResult::Cancelled => {}
    }
    if let Some(e) = o.last_error.as_mut() {
        fix(&mut e.code, MAX_CODE_CHARS, redactor);
        fix(&mut e.message, MAX_MESSAGE_CHARS, redactor);
    }
    fix_opt(&mut o.request_id, MAX_FIELD_CHARS, redactor);
    fix_opt(&mut o.uin, MAX_FIELD_CHARS, redactor);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn removes_escape_sequences_and_line_breaks() {
        assert_eq!(
            clean("\u{1b}[31mRED\u{1b}[0m\nINFO forged line\r\n\tx", 100),
            "[31mRED[0m INFO forged line x"
        );
        assert_eq!(clean("a\u{7f}b\u{9b}c\u{202e}d\u{2066}e", 100), "abcde");
        assert!(matches!(clean("plain text", 100), Cow::Borrowed(_)));
    }

    #[test]
    fn caps_and_says_so() {
        let long = "é".repeat(2000);
        let out = clean(&long, MAX_MESSAGE_CHARS);
        assert!(out.starts_with(&"é".repeat(1000)), "{out}");
        assert!(out.ends_with("… (cut: 2000 characters in all)"), "{out}");
        assert_eq!(clean(&"x".repeat(64), MAX_CODE_CHARS).len(), 64);
    }

    #[test]
    fn outcome_fields_are_cleaned_and_redacted() {
        let r = Redactor::new();
        r.add("AKIDsecretsecretsecret");
        let result = QueryResult::Failed {
            code: format!("Bad\u{1b}[2J{}", "C".repeat(500)),
            message: "echo: Credential=AKIDsecretsecretsecret/2026\n[fake] log".into(),
        };
        let mut o = crate::test_support::outcome(0, "ap-guangzhou", result, 1);
        o.request_id = Some("rid\r\nINJECTED".into());
        clean_outcome(&mut o, &r);
        let QueryResult::Failed { code, message } = &o.result else {
            unreachable!()
        };
        assert!(code.starts_with("Bad[2JCCC"), "{code}");
        assert!(code.contains("(cut: 507 characters in all)"), "{code}");
        assert_eq!(message, "echo: Credential=[REDACTED]/2026 [fake] log");
        assert_eq!(o.request_id.as_deref(), Some("rid INJECTED"));
    }

    #[test]
    fn guard_examples() {
        assert_eq!(guard("=1+1"), "'=1+1");
        assert_eq!(guard("+86"), "'+86");
        assert_eq!(guard("-x"), "'-x");
        assert_eq!(guard("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guard("\tx"), "'\tx");
        assert_eq!(guard("\rx"), "'\rx");
        assert_eq!(guard("payments"), "payments");
        assert_eq!(guard(""), "");
        assert_eq!(guard("a=b"), "a=b");
    }

    proptest! {
        #[test]
        fn guarded_text_never_starts_with_a_trigger(s in any::<String>()) {
            let g = guard(&s);
            prop_assert!(!g.starts_with(FORMULA_TRIGGERS));
            if s.starts_with(FORMULA_TRIGGERS) {
                prop_assert_eq!(g.as_ref(), format!("'{s}"));
            } else {
                prop_assert_eq!(g.as_ref(), s.as_str());
            }
        }

        #[test]
        fn trigger_prefixed_text_is_guarded(
            c in proptest::sample::select(FORMULA_TRIGGERS.to_vec()),
            rest in ".*",
        ) {
            let s = format!("{c}{rest}");
            let g = guard(&s);
            prop_assert!(g.starts_with('\''));
            prop_assert_eq!(&g[1..], s.as_str());
        }
    }
}
