//! A generic webhook: `POST <url>` with the summary as JSON, for any
//! receiver (a workflow tool, a function of one's own):
//!
//! ```json
//! {"source": "tcss-report", "version": "…", "title": "…", "exit_code": 4,
//!  "exit_meaning": "…", "complete": true, "simulated": false, "selection": [],
//!  "stem": "…",
//!  "generated_at": "…", "totals": {…}, "breaches_total": 6, "breach_expressions": 2,
//!  "breaches": [{"expression": "…", "count": 5, "accounts": ["…"]}],
//!  "over_licensed_total": 5, "licenses_short": 15,
//!  "over_licensed": [{"account", "uin", "used", "total", "short"}],
//!  "lapsing_total": 0, "lapsing": [], "failures": 0, "organizations_failed": 0}
//! ```
//!
//! Lists are cut to keep the body within [`BODY_LIMIT`] bytes; the
//! `*_total` keys count every item. Any 2xx answer is a success.

use serde_json::{json, Value};

use super::message::{fit, Summary};

/// The most bytes of a webhook body.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The request body, cut to [`BODY_LIMIT`] bytes.
pub fn body(s: &Summary, version: &str) -> Vec<u8> {
    fit(BODY_LIMIT, s.longest_list(), str::len, |cap| {
        document(s, version, cap).to_string()
    })
    .into_bytes()
}

/// The document, each list at most `cap` items.
pub fn document(s: &Summary, version: &str, cap: usize) -> Value {
    let breaches: Vec<Value> = s
        .breaches
        .iter()
        .take(cap)
        .map(|g| json!({"expression": g.expression, "count": g.count, "accounts": g.names}))
        .collect();
    let over: Vec<Value> = s
        .over_licensed
        .iter()
        .take(cap)
        .map(|o| {
            json!({"account": o.account, "uin": o.uin, "used": o.used, "total": o.total,
                   "short": o.short})
        })
        .collect();
    let lapsing: Vec<Value> = s
        .lapsing
        .iter()
        .take(cap)
        .map(|l| json!({"account": l.account, "uin": l.uin, "days_to_lapse": l.days}))
        .collect();
    let totals: serde_json::Map<String, Value> = s
        .totals_table
        .iter()
        .map(|(k, c)| {
            (
                k.to_string(),
                serde_json::to_value(c).unwrap_or(Value::Null),
            )
        })
        .collect();
    json!({
        "source": "tcss-report",
        "version": version,
        "title": s.title,
        "exit_code": s.exit_code,
        "exit_meaning": s.exit_meaning,
        "complete": s.complete,
        "simulated": s.simulated,
        "selection": s.selection,
        "stem": s.stem,
        "generated_at": s.generated_at,
        "totals": totals,
        "breaches_total": s.breaches_total,
        "breach_expressions": s.breaches.len(),
        "breaches": breaches,
        "over_licensed_total": s.over_licensed.len(),
        "licenses_short": s.licenses_short,
        "over_licensed": over,
        "lapsing_total": s.lapsing.len(),
        "lapsing": lapsing,
        "failures": s.failures,
        "organizations_failed": s.organizations_failed,
    })
}
