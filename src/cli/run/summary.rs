//! The end of a run on stderr: the failures (the first
//! [`FAILURES_SHOWN`] failed queries and unlisted organizations, then the
//! count), the closing summary (accounts ok/partial/error, queries,
//! licenses used of total, over-licensed accounts, breaches, the editions
//! lapsing within 30 days without renewal) and the exit
//! line that says what the exit code means; and the exit code itself.
//!
//! [`summary`] reads the aggregated report's own fields and nothing else,
//! so every number here is one the reports print. The lines go through
//! the log writer (redacted, escaped, never failing on a broken stderr),
//! as JSON lines under `--log-format json`; `--quiet` keeps the failures
//! and the exit line.

use crate::aggregate::AccountStatus;
use crate::columns::accounts::{TOTAL_AUTHORIZED, USED_AUTHORIZED};
use crate::columns::license::LAPSING_DAYS;
use crate::logging::{self, Level, Style};
use crate::model::{AccountInfo, OrganizationRun, QueryOutcome, QueryResult};
use crate::redact::Redactor;
use crate::report::Report;

use super::Exit;
use std::sync::Arc;

/// How many failures are listed one by one; the rest are counted.
pub(super) const FAILURES_SHOWN: usize = 20;

/// The action that lists an organization's members.
const LIST_MEMBERS: &str = "DescribeOrganizationMembers";

/// One failed query, or an organization whose member list was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    /// The organization, for a member list not read.
    pub organization: Option<String>,
    /// The account (for an organization: its management account).
    pub account: String,
    /// The API action.
    pub action: &'static str,
    /// The region (empty for an organization).
    pub region: String,
    /// The error code.
    pub code: String,
    /// The message, without the code in front when it starts with it.
    pub message: String,
}

/// The failures of a run: the first [`FAILURES_SHOWN`] (organizations
/// first, then queries in the order of the plan) and how many in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Failures {
    pub shown: Vec<Failure>,
    pub total: usize,
}

/// The failures among `outcomes` (their accounts in `accounts`) and
/// `organizations`.
pub(super) fn failures(
    outcomes: &[QueryOutcome],
    accounts: &[AccountInfo],
    organizations: &[OrganizationRun],
) -> Failures {
    let orgs = organizations.iter().filter_map(|o| {
        let code = o.error_code.clone()?;
        let message = o.error_message.clone().unwrap_or_default();
        Some(Failure {
            organization: Some(o.name.clone()),
            account: o.management_account.clone(),
            action: LIST_MEMBERS,
            region: String::new(),
            message: without_code(&message, &code),
            code,
        })
    });
    let queries = outcomes.iter().filter_map(|o| match &o.result {
        QueryResult::Failed { code, message } => Some(Failure {
            organization: None,
            account: accounts
                .get(o.account_index)
                .map_or_else(String::new, |a| a.name.clone()),
            action: o.call.name(),
            region: o.region.clone(),
            code: code.clone(),
            message: without_code(message, code),
        }),
        _ => None,
    });
    let mut all = orgs.chain(queries);
    let shown: Vec<Failure> = all.by_ref().take(FAILURES_SHOWN).collect();
    let total = shown.len() + all.count();
    Failures { shown, total }
}

/// `message` without `code: ` in front (an API error's text starts with
/// its code, which the line gives on its own).
fn without_code(message: &str, code: &str) -> String {
    message
        .strip_prefix(code)
        .and_then(|m| m.strip_prefix(": "))
        .unwrap_or(message)
        .to_string()
}

/// One warning per failure shown, then the count of the rest.
pub(super) fn log_failures(failures: &Failures) {
    for f in &failures.shown {
        match &f.organization {
            Some(org) => tracing::warn!(
                organization = %org,
                account = %f.account,
                action = %f.action,
                code = %f.code,
                error = %f.message,
                "member list not read"
            ),
            None => tracing::warn!(
                account = %f.account,
                action = %f.action,
                region = %f.region,
                code = %f.code,
                error = %f.message,
                "query failed"
            ),
        }
    }
    if let Some(rest) = failures
        .total
        .checked_sub(failures.shown.len())
        .filter(|&n| n > 0)
    {
        tracing::warn!("and {rest} more failed queries (every report lists them all)");
    }
}

/// The numbers of the closing summary, all read from the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Summary {
    pub accounts: usize,
    pub accounts_ok: usize,
    pub accounts_partial: usize,
    pub accounts_error: usize,
    pub queries: usize,
    pub queries_ok: usize,
    pub queries_failed: usize,
    pub queries_cancelled: usize,
    /// Organizations whose member list could not be read.
    pub organizations_failed: usize,
    pub licenses_used: Option<i64>,
    pub licenses_total: Option<i64>,
    /// Accounts that use more licenses than they hold (each counted once).
    pub accounts_over_licensed: usize,
    pub breaches: usize,
    /// Editions lapsing within 30 days without renewal: the first
    /// [`LAPSING_SHOWN`] (name, days to lapse), soonest first.
    pub lapsing: Vec<(String, i64)>,
    /// How many editions lapse within 30 days without renewal.
    pub lapsing_total: usize,
}

/// How many lapsing editions the closing summary names.
pub(super) const LAPSING_SHOWN: usize = 5;

impl Summary {
    /// Failed queries and organizations not listed.
    pub fn failures(&self) -> usize {
        self.queries_failed + self.organizations_failed
    }

    /// Nothing answered and something failed (a run with nothing to ask
    /// and nothing failed answered all it had to).
    pub fn nothing_answered(&self) -> bool {
        self.queries_ok == 0 && self.failures() > 0
    }
}

/// The summary of `report`.
pub(super) fn summary(report: &Report) -> Summary {
    let t = &report.aggregate.totals;
    let lapsing: Vec<_> = report
        .aggregate
        .lapsing_editions(LAPSING_DAYS)
        .into_iter()
        .filter(|a| a.status != AccountStatus::Error)
        .collect();
    Summary {
        accounts: t.accounts,
        accounts_ok: t.accounts_ok,
        accounts_partial: t.accounts_partial,
        accounts_error: t.accounts_error,
        queries: t.queries,
        queries_ok: t.queries_ok,
        queries_failed: t.queries_failed,
        queries_cancelled: t.queries_cancelled,
        organizations_failed: report
            .aggregate
            .run
            .organizations
            .iter()
            .filter(|o| o.error_code.is_some())
            .count(),
        licenses_used: t.of(&USED_AUTHORIZED).as_int(),
        licenses_total: t.of(&TOTAL_AUTHORIZED).as_int(),
        accounts_over_licensed: t.accounts_over_licensed,
        breaches: report.breaches.len(),
        lapsing: lapsing
            .iter()
            .take(LAPSING_SHOWN)
            .map(|a| {
                (
                    a.account.clone(),
                    a.license.days_to_lapse.unwrap_or_default(),
                )
            })
            .collect(),
        lapsing_total: lapsing.len(),
    }
}

/// The exit code of a run whose reports were written (a run that could not
/// write them ends with an error: 1). Precedence: interrupted 130, the run
/// not recorded in the history 1, no query answered 5, a breached threshold
/// 4, failed queries or organizations 3, else 0.
pub(super) fn run_exit(interrupted: bool, history_failed: bool, s: &Summary) -> Exit {
    if interrupted {
        Exit::Interrupted
    } else if history_failed {
        Exit::Fatal
    } else if s.nothing_answered() {
        Exit::NothingAnswered
    } else if s.breaches > 0 {
        Exit::Breached
    } else if s.failures() > 0 {
        Exit::Failures
    } else {
        Exit::Ok
    }
}

/// `n thing` or `n things`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The summary's text lines.
pub(super) fn summary_lines(s: &Summary) -> Vec<String> {
    let mut first = format!(
        "summary: {} ({} ok, {} partial, {} error), {} ({} answered, {} failed",
        count(s.accounts, "account", "accounts"),
        s.accounts_ok,
        s.accounts_partial,
        s.accounts_error,
        count(s.queries, "query", "queries"),
        s.queries_ok,
        s.queries_failed,
    );
    if s.queries_cancelled > 0 {
        first.push_str(&format!(", {} cancelled", s.queries_cancelled));
    }
    first.push(')');
    if s.organizations_failed > 0 {
        let orgs = count(s.organizations_failed, "organization", "organizations");
        first.push_str(&format!(", {orgs} not listed"));
    }
    let licenses = match (s.licenses_used, s.licenses_total) {
        (Some(used), Some(total)) => format!("licenses {used} used of {total}"),
        (Some(used), None) => format!("licenses {used} used"),
        _ => "licenses unknown (no account answered)".to_string(),
    };
    let second = format!(
        "summary: {licenses}, {} (using more than they hold), {}",
        count(
            s.accounts_over_licensed,
            "over-licensed account",
            "over-licensed accounts"
        ),
        count(s.breaches, "breach", "breaches"),
    );
    let mut lines = vec![first, second];
    if s.lapsing_total > 0 {
        let named: Vec<String> = s
            .lapsing
            .iter()
            .map(|(name, days)| format!("{name} ({})", count(*days as usize, "day", "days")))
            .collect();
        let mut third = format!(
            "summary: {} within {LAPSING_DAYS} days (no auto-renewal): {}",
            count(s.lapsing_total, "edition lapsing", "editions lapsing"),
            named.join(", ")
        );
        if s.lapsing_total > s.lapsing.len() {
            third.push_str(&format!(" and {} more", s.lapsing_total - s.lapsing.len()));
        }
        lines.push(third);
    }
    lines
}

/// The exit line: the code and what it means.
pub(super) fn exit_line(exit: Exit, s: &Summary) -> String {
    format!("exit {}: {}", exit as u8, exit_meaning(exit, s))
}

/// What an exit code means for the run summed up in `s`.
pub(super) fn exit_meaning(exit: Exit, s: &Summary) -> String {
    match exit {
        Exit::Ok if s.queries == 0 => "nothing failed (there was nothing to query)".to_string(),
        Exit::Ok => "every query answered".to_string(),
        Exit::Failures => {
            let mut m = format!("{} of {} queries failed", s.queries_failed, s.queries);
            if s.organizations_failed > 0 {
                m.push_str(&format!(
                    " and {} could not be listed",
                    count(s.organizations_failed, "organization", "organizations")
                ));
            }
            m.push_str(": the reports are written and list every failure");
            m
        }
        Exit::Breached => format!(
            "--fail-on thresholds were breached ({}): every report lists them",
            count(s.breaches, "breach", "breaches")
        ),
        Exit::NothingAnswered => "no query answered: check the credentials \
             (TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY or the accounts' secret_id_env \
             variables: are they set under cron?), the endpoint and the network (a proxy, a \
             firewall); the reports are written and list every failure"
            .to_string(),
        Exit::Fatal => "the run could not be recorded in the history database, or its metrics \
             file could not be written (see the error above); the reports are written"
            .to_string(),
        Exit::Interrupted => {
            "interrupted: the reports are written and say they are incomplete".to_string()
        }
        Exit::Usage => "bad usage".to_string(),
    }
}

/// Where the closing lines go: the log's style, `--quiet`, the redactor.
#[derive(Debug, Clone)]
pub(in crate::cli) struct Closing {
    pub(in crate::cli) style: Style,
    pub(in crate::cli) quiet: bool,
    pub(in crate::cli) redactor: Arc<Redactor>,
}

/// Prints the summary (unless `--quiet`) and the exit line.
pub(super) fn close(c: &Closing, exit: Exit, s: &Summary) {
    if !c.quiet {
        let text = match c.style {
            Style::Text => summary_lines(s).join("\n"),
            Style::Json => "run summary".to_string(),
        };
        logging::say(
            c.style,
            Level::Info,
            &text,
            summary_fields(s),
            c.redactor.clone(),
        );
    }
    let level = match exit {
        Exit::Ok => Level::Info,
        Exit::Failures | Exit::Breached | Exit::Interrupted => Level::Warn,
        Exit::Fatal | Exit::Usage | Exit::NothingAnswered => Level::Error,
    };
    let mut fields = serde_json::Map::new();
    fields.insert("exit_code".into(), (exit as u8).into());
    logging::say(
        c.style,
        level,
        &exit_line(exit, s),
        fields,
        c.redactor.clone(),
    );
}

/// The summary's numbers as JSON fields (numbers, `null` when unknown).
fn summary_fields(s: &Summary) -> serde_json::Map<String, serde_json::Value> {
    let value = serde_json::json!({
        "accounts": s.accounts,
        "accounts_ok": s.accounts_ok,
        "accounts_partial": s.accounts_partial,
        "accounts_error": s.accounts_error,
        "queries": s.queries,
        "queries_ok": s.queries_ok,
        "queries_failed": s.queries_failed,
        "queries_cancelled": s.queries_cancelled,
        "organizations_failed": s.organizations_failed,
        "licenses_used": s.licenses_used,
        "licenses_total": s.licenses_total,
        "accounts_over_licensed": s.accounts_over_licensed,
        "breaches": s.breaches,
        "editions_lapsing_30d": s.lapsing_total,
    });
    match value {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calls::Call;

    /// A run of `ok` answered and `failed` failed queries, `orgs_failed`
    /// organizations not listed and `breaches` breaches.
    fn run(ok: usize, failed: usize, orgs_failed: usize, breaches: usize) -> Summary {
        Summary {
            queries: ok + failed,
            queries_ok: ok,
            queries_failed: failed,
            organizations_failed: orgs_failed,
            breaches,
            ..Summary::default()
        }
    }

    /// A third line names the editions lapsing within 30 days, the rest
    /// counted; none: no line.
    #[test]
    fn the_lapsing_editions_have_their_line() {
        let mut s = run(3, 0, 0, 0);
        assert_eq!(summary_lines(&s).len(), 2);
        s.lapsing = vec![("a".into(), 1), ("b".into(), 12)];
        s.lapsing_total = 2;
        assert_eq!(
            summary_lines(&s)[2],
            "summary: 2 editions lapsing within 30 days (no auto-renewal): a (1 day), b (12 days)"
        );
        s.lapsing_total = 9;
        assert!(summary_lines(&s)[2].ends_with("b (12 days) and 7 more"));
        assert_eq!(summary_fields(&s)["editions_lapsing_30d"], 9);
    }

    #[test]
    fn exit_codes_in_their_order_130_1_5_4_3_0() {
        let exit =
            |interrupted, history_failed, s: Summary| run_exit(interrupted, history_failed, &s);
        assert_eq!(exit(false, false, run(3, 0, 0, 0)), Exit::Ok);
        assert_eq!(exit(false, false, run(2, 1, 0, 0)), Exit::Failures);
        assert_eq!(
            exit(false, false, run(3, 0, 1, 0)),
            Exit::Failures,
            "an org not listed"
        );
        assert_eq!(exit(false, false, run(3, 0, 0, 1)), Exit::Breached);
        assert_eq!(
            exit(false, false, run(2, 1, 0, 1)),
            Exit::Breached,
            "4 wins over 3"
        );
        assert_eq!(exit(false, false, run(0, 3, 0, 0)), Exit::NothingAnswered);
        assert_eq!(
            exit(false, false, run(0, 3, 0, 2)),
            Exit::NothingAnswered,
            "5 wins over 4"
        );
        assert_eq!(
            exit(false, true, run(0, 3, 0, 2)),
            Exit::Fatal,
            "1 wins over 5"
        );
        assert_eq!(
            exit(true, true, run(0, 3, 0, 2)),
            Exit::Interrupted,
            "130 wins over 1"
        );
        assert_eq!(
            exit(true, false, run(0, 0, 0, 0)),
            Exit::Interrupted,
            "cancelled only"
        );
        // No query at all: nothing answered if an organization failed to
        // list (the only source of accounts), else nothing failed.
        assert_eq!(exit(false, false, run(0, 0, 1, 0)), Exit::NothingAnswered);
        assert_eq!(exit(false, false, run(0, 0, 0, 0)), Exit::Ok);
        assert_eq!(Exit::NothingAnswered as u8, 5);
        assert_eq!(Exit::Breached as u8, 4);
    }

    fn outcome(account_index: usize, region: &str, code: &str, message: &str) -> QueryOutcome {
        QueryOutcome {
            account_index,
            call: Call::ImageAuthorizedInfo,
            region: region.into(),
            result: QueryResult::Failed {
                code: code.into(),
                message: message.into(),
            },
            attempts: 1,
            throttled: 0,
            latency_ms: 1,
            request_id: None,
            uin: None,
            last_error: None,
        }
    }

    fn account(name: &str) -> AccountInfo {
        AccountInfo {
            name: name.into(),
            uin: None,
            tags: Default::default(),
            regions: vec!["ap-guangzhou".into()],
        }
    }

    #[test]
    fn failures_organizations_first_then_queries_the_first_20_and_the_count() {
        let accounts: Vec<AccountInfo> = (0..30).map(|i| account(&format!("a{i:02}"))).collect();
        let mut outcomes: Vec<QueryOutcome> = (0..25)
            .map(|i| {
                outcome(
                    i,
                    "ap-guangzhou",
                    "AuthFailure.SecretIdNotFound",
                    "AuthFailure.SecretIdNotFound: not found (RequestId r)",
                )
            })
            .collect();
        let mut answered = outcome(29, "ap-shanghai", "", "");
        answered.result = QueryResult::Cancelled;
        outcomes.push(answered);
        let org = OrganizationRun {
            name: "corp".into(),
            management_account: "mgmt".into(),
            members_total: None,
            members_listed: 0,
            members_kept: 0,
            error_code: Some("AuthFailure.UnauthorizedOperation".into()),
            error_message: Some("not allowed".into()),
        };
        let f = failures(&outcomes, &accounts, &[org]);
        assert_eq!(f.total, 26);
        assert_eq!(f.shown.len(), FAILURES_SHOWN);
        assert_eq!(f.shown[0].organization.as_deref(), Some("corp"));
        assert_eq!(f.shown[0].account, "mgmt");
        assert_eq!(f.shown[0].action, "DescribeOrganizationMembers");
        assert_eq!(
            f.shown[1],
            Failure {
                organization: None,
                account: "a00".into(),
                action: "DescribeImageAuthorizedInfo",
                region: "ap-guangzhou".into(),
                code: "AuthFailure.SecretIdNotFound".into(),
                message: "not found (RequestId r)".into(),
            },
            "the code said once"
        );
        assert_eq!(f.shown[19].account, "a18");
    }

    #[test]
    fn the_summary_and_exit_lines() {
        let s = Summary {
            accounts: 7,
            accounts_ok: 5,
            accounts_partial: 1,
            accounts_error: 1,
            queries: 12,
            queries_ok: 9,
            queries_failed: 3,
            queries_cancelled: 0,
            organizations_failed: 1,
            licenses_used: Some(1_200),
            licenses_total: Some(2_000),
            accounts_over_licensed: 1,
            breaches: 0,
            lapsing: Vec::new(),
            lapsing_total: 0,
        };
        assert_eq!(
            summary_lines(&s),
            [
                "summary: 7 accounts (5 ok, 1 partial, 1 error), 12 queries (9 answered, 3 failed), \
                 1 organization not listed",
                "summary: licenses 1200 used of 2000, 1 over-licensed account (using more than they \
                 hold), 0 breaches",
            ]
        );
        assert_eq!(
            exit_line(Exit::Failures, &s),
            "exit 3: 3 of 12 queries failed and 1 organization could not be listed: the reports \
             are written and list every failure"
        );
        let none = run(0, 4, 0, 0);
        assert_eq!(
            summary_lines(&none)[1],
            "summary: licenses unknown (no account answered), 0 over-licensed accounts (using more \
             than they hold), 0 breaches"
        );
        let five = exit_line(Exit::NothingAnswered, &none);
        assert!(
            five.starts_with(
                "exit 5: no query answered: check the credentials (TENCENTCLOUD_SECRET_ID"
            ),
            "{five}"
        );
        assert_eq!(
            exit_line(Exit::Ok, &run(2, 0, 0, 0)),
            "exit 0: every query answered"
        );
        assert_eq!(
            exit_line(Exit::Breached, &run(2, 0, 0, 1)),
            "exit 4: --fail-on thresholds were breached (1 breach): every report lists them"
        );
    }
}
