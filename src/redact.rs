//! The run's secrets, and their removal from any text that came from a
//! server or a library before it reaches a report or a log line.
//!
//! A gateway that copies the request headers into its error text would
//! otherwise put a session token or a SecretId into every report. Every
//! secret the run holds is registered here as soon as it is known (static
//! keys when they are resolved, temporary keys when `AssumeRole` returns
//! them, the simulator's demo keys) and [`Redactor::redact`] replaces each
//! occurrence with [`REDACTED`].
//!
//! Lookups are by the first eight bytes of each secret, so redacting a text
//! costs one hash lookup per byte whatever the number of secrets (a run of
//! 10,000 role accounts holds 40,000 of them), and adding one is O(1). The
//! map hashes with `foldhash` (seeded per process) rather than SipHash: one
//! lookup per byte of every server text, for keys that are our own secrets.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::RwLock;

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

/// Secrets shorter than this are not registered: real SecretIds, keys and
/// tokens are far longer, and a short string would redact ordinary words.
pub const MIN_SECRET_LEN: usize = 8;

/// The secrets of a run. Shared (`Arc`) by the executor, which registers
/// them, and the log writer and report stage, which redact with them.
#[derive(Default)]
pub struct Redactor {
    by_prefix: RwLock<HashMap<[u8; MIN_SECRET_LEN], Vec<Box<str>>, foldhash::fast::RandomState>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n: usize = read(&self.by_prefix).values().map(Vec::len).sum();
        write!(f, "Redactor({n} secrets)")
    }
}

fn read<T>(l: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn prefix(bytes: &[u8]) -> Option<[u8; MIN_SECRET_LEN]> {
    bytes.get(..MIN_SECRET_LEN)?.try_into().ok()
}

impl Redactor {
    /// An empty set.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Registers one secret (surrounding whitespace ignored; too short or
    /// already known: nothing happens).
    pub fn add(&self, secret: &str) {
        let secret = secret.trim();
        let Some(key) = prefix(secret.as_bytes()) else {
            return;
        };
        let mut map = self.by_prefix.write().unwrap_or_else(|e| e.into_inner());
        let list = map.entry(key).or_default();
        if !list.iter().any(|s| &**s == secret) {
            // Longest first, so a secret that extends another is replaced whole.
            list.push(secret.into());
            list.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// Registers the SecretId, SecretKey and token of `creds`.
    pub fn add_credentials(&self, creds: &tcapi::Credentials) {
        self.add(&creds.secret_id);
        self.add(creds.secret_key.expose());
        if let Some(token) = &creds.token {
            self.add(token.expose());
        }
    }

    /// `text` with every registered secret replaced by [`REDACTED`].
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let bytes = text.as_bytes();
        if bytes.len() < MIN_SECRET_LEN {
            return Cow::Borrowed(text);
        }
        let map = read(&self.by_prefix);
        if map.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out: Option<String> = None;
        let (mut i, mut copied) = (0, 0);
        while i + MIN_SECRET_LEN <= bytes.len() {
            let hit = prefix(&bytes[i..])
                .and_then(|k| map.get(&k))
                .and_then(|list| list.iter().find(|s| bytes[i..].starts_with(s.as_bytes())));
            match hit {
                Some(secret) => {
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                    // Secrets are whole UTF-8 strings, so both ends are char boundaries.
                    o.push_str(&text[copied..i]);
                    o.push_str(REDACTED);
                    i += secret.len();
                    copied = i;
                }
                None => i += 1,
            }
        }
        match out {
            None => Cow::Borrowed(text),
            Some(mut o) => {
                o.push_str(&text[copied..]);
                Cow::Owned(o)
            }
        }
    }

    /// Redacts `text` in place.
    pub fn redact_in_place(&self, text: &mut String) {
        if let Cow::Owned(clean) = self.redact(text) {
            *text = clean;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_every_registered_secret_and_nothing_else() {
        let r = Redactor::new();
        r.add("AKIDexample0000000000000000000000001");
        r.add("  token-abcdefghijklmnopqrstuvwxyz  ");
        r.add("short");
        let text = "authorization: TC3-HMAC-SHA256 Credential=AKIDexample0000000000000000000000001/2026-12-01/tcss/tc3_request, \
                    x-tc-token: token-abcdefghijklmnopqrstuvwxyz; short stays";
        let out = r.redact(text);
        assert!(!out.contains("AKIDexample"), "{out}");
        assert!(!out.contains("token-abc"), "{out}");
        assert!(out.contains("Credential=[REDACTED]/2026-12-01"), "{out}");
        assert!(out.contains("x-tc-token: [REDACTED]; short stays"), "{out}");
        assert!(matches!(r.redact("nothing secret here"), Cow::Borrowed(_)));
    }

    #[test]
    fn overlapping_and_repeated_secrets() {
        let r = Redactor::new();
        r.add("secret-key-0001");
        r.add("secret-key-0001-and-more");
        let out = r.redact("a secret-key-0001-and-more b secret-key-0001 c secret-key-0001");
        assert_eq!(out, "a [REDACTED] b [REDACTED] c [REDACTED]");
    }

    #[test]
    fn works_on_non_ascii_text() {
        let r = Redactor::new();
        r.add("геройский-секрет");
        assert_eq!(
            r.redact("ошибка: геройский-секрет — é"),
            "ошибка: [REDACTED] — é"
        );
        assert_eq!(r.redact("é"), "é");
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let r = Redactor::new();
        r.add("a-very-secret-value");
        let d = format!("{r:?}");
        assert_eq!(d, "Redactor(1 secrets)");
    }
}
