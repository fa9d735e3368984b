//! The actions the simulator serves, as rows ([`ACTIONS`]): each names its
//! service and version, how it treats `X-TC-Region`, which rate limit and
//! which faults apply, and the function that answers it. A request that
//! passed authentication (steps 1 to 7, in `handler`) is served here, in
//! order:
//!
//! 8. region: required and checked for a per-region TCSS action, checked
//!    when present for an account-wide one, ignored elsewhere
//!    (`MissingParameter`, `UnsupportedRegion`);
//! 9. the row's rate limit per (account, action), every arrival counted
//!    (`RequestLimitExceeded`);
//! 10. the account's first-N fault (every action), then its persistent error
//!     (TCSS actions, those named by `persistent_actions`);
//! 11. the parameters (a JSON object, or GET form parameters) and the row's
//!     answer (`AssumeRole` parameter checks, etc.; `DescribeOrganizationMembers`
//!     in the `organization` module, with its own order of checks).
//!
//! Adding an action: its row here and the function that answers it.

use std::collections::HashMap;

use serde_json::{Map, Value};
use tcapi::tcss;
use tcapi::{Descriptor, Scope};

use super::handler::{Decision, Identity, State};
use super::organization::{self, Answer};
use super::rate::limit_message;
use super::reply::{self, ApiError};
use super::sts::{self, TempCred};
use super::verify::Received;
use crate::fleet::{Fleet, SimAccount};
use crate::sync::lock;

/// How an action treats `X-TC-Region`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RegionRule {
    /// Required, and answered only where the account answers.
    PerRegion,
    /// Optional; when present, answered only where the account answers.
    AccountWide,
    /// Not looked at (STS, the organization API).
    Ignored,
}

/// Which rate limit counts an action's arrivals, per (account, action).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Limit {
    /// The account's `faults.rate_limit`, else `settings.tcss_rate_limit`.
    Tcss,
    /// `settings.sts_rate_limit`, per calling account.
    Sts,
    /// `settings.organization_rate_limit`, per calling account.
    Organization,
    /// None.
    Unlimited,
}

/// Answers a request for one action: `params` are the request's
/// parameters (step 11).
type Answerer = fn(&State, &Served<'_>, &Map<String, Value>) -> Result<Decision, ApiError>;

/// One action the simulator serves.
#[derive(Debug)]
pub(super) struct ActionRow {
    /// `X-TC-Action`.
    pub(super) name: &'static str,
    /// The credential scope's service.
    pub(super) service: &'static str,
    /// `X-TC-Version`.
    pub(super) version: &'static str,
    /// Step 8.
    pub(super) region: RegionRule,
    /// Step 9.
    pub(super) limit: Limit,
    /// Step 10: whether the account's `persistent_error` applies.
    pub(super) persistent: bool,
    /// Answered from the account's `answers` table, this object's inside
    /// when it has none (an account-wide TCSS action); `None`: `answer` says.
    pub(super) fleet_default: Option<&'static str>,
    /// Step 11.
    answer: Answerer,
}

/// A TCSS action of `tcapi`, answered by `answer`.
const fn tcss_row(action: Descriptor, answer: Answerer) -> ActionRow {
    ActionRow {
        name: action.name,
        service: action.service,
        version: action.version,
        region: match action.scope {
            Scope::PerRegion => RegionRule::PerRegion,
            Scope::AccountWide => RegionRule::AccountWide,
        },
        limit: Limit::Tcss,
        persistent: true,
        fleet_default: None,
        answer,
    }
}

/// An account-wide TCSS action answered from the fleet (`default` when the
/// account's `answers` table has none).
const fn fleet_row(action: Descriptor, default: &'static str) -> ActionRow {
    let mut row = tcss_row(action, from_fleet);
    row.fleet_default = Some(default);
    row
}

/// `DescribePurchaseStateInfo` of an account without an `answers` entry: it
/// never bought the Pro edition and may apply for a trial.
pub(super) const DEFAULT_PURCHASE_STATE: &str = r#""State":0,"AllCoresCnt":0,"CoresCnt":0,"UndefendCoresCnt":0,"AuthorizedCoresCnt":0,"GivenAuthorizedCoresCnt":0,"CurrentFlexibleCoresCnt":0,"ImageCnt":0,"AuthorizedImageCnt":0,"ExpirationTime":"","PurchasedAuthorizedCnt":0,"AutomaticRenewal":0,"GivenAuthorizedCnt":0,"BeginTime":"","SubState":"","InquireKey":"","DefendPolicy":"","FlexibleCoresLimit":0,"DefendClusterCoresCnt":0,"DefendHostCoresCnt":0,"TrialCoresCnt":0,"NoContainerCoresCnt":0"#;

/// `DescribeImageAutoAuthorizedRule` of an account without an `answers`
/// entry: no rule set.
pub(super) const DEFAULT_AUTO_AUTHORIZED_RULE: &str = r#""IsEnabled":0,"RangeType":"MANUAL","HostCount":0,"MaxDailyCount":0,"RuleId":0,"AutoScanEnabled":0,"ScanType":[]"#;

/// Every action the simulator serves.
pub(super) const ACTIONS: &[ActionRow] = &[
    tcss_row(
        *tcss::DESCRIBE_IMAGE_AUTHORIZED_INFO.descriptor(),
        image_authorized_info,
    ),
    fleet_row(
        *tcss::DESCRIBE_PURCHASE_STATE_INFO.descriptor(),
        DEFAULT_PURCHASE_STATE,
    ),
    fleet_row(
        *tcss::DESCRIBE_IMAGE_AUTO_AUTHORIZED_RULE.descriptor(),
        DEFAULT_AUTO_AUTHORIZED_RULE,
    ),
    ActionRow {
        name: sts::ASSUME_ROLE,
        service: sts::SERVICE,
        version: sts::VERSION,
        region: RegionRule::Ignored,
        limit: Limit::Sts,
        persistent: false,
        fleet_default: None,
        answer: assume_role,
    },
    ActionRow {
        name: sts::GET_CALLER_IDENTITY,
        service: sts::SERVICE,
        version: sts::VERSION,
        region: RegionRule::Ignored,
        limit: Limit::Unlimited,
        persistent: false,
        fleet_default: None,
        answer: caller_identity,
    },
    ActionRow {
        name: organization::DESCRIBE_ORGANIZATION_MEMBERS,
        service: organization::SERVICE,
        version: organization::VERSION,
        region: RegionRule::Ignored,
        limit: Limit::Organization,
        persistent: false,
        fleet_default: None,
        answer: organization_members,
    },
];

/// The row of the action named `name`.
pub(super) fn find(name: &str) -> Option<&'static ActionRow> {
    ACTIONS.iter().find(|a| a.name == name)
}

/// A request that passed authentication, as the action sees it.
pub(super) struct Served<'a> {
    pub(super) action: &'static ActionRow,
    /// `X-TC-Region` (`""` when absent).
    pub(super) region: &'a str,
    pub(super) identity: &'a Identity,
    pub(super) received: &'a Received<'a>,
    /// The simulator's clock (no account offset).
    pub(super) now: i64,
}

/// The answers that do not change while the simulator runs, rendered once:
/// each account's `DescribeImageAuthorizedInfo` (per region where it
/// differs) and its account-wide answers.
#[derive(Debug)]
pub(super) struct Fragments {
    default: String,
    by_region: HashMap<String, String>,
    /// By action name, from the account's `answers`.
    account_wide: HashMap<String, String>,
}

impl Fragments {
    pub(super) fn of(a: &SimAccount) -> Fragments {
        Fragments {
            default: reply::fragment(&a.data),
            by_region: a
                .region_data
                .keys()
                .map(|r| (r.clone(), reply::fragment(&a.data_for_region(r))))
                .collect(),
            account_wide: a
                .answers
                .iter()
                .map(|(action, fields)| (action.clone(), reply::fragment(fields)))
                .collect(),
        }
    }
}

impl ActionRow {
    /// Steps 8 to 11 for a known account.
    pub(super) fn serve(
        &'static self,
        state: &State,
        rq: &Served<'_>,
    ) -> Result<Decision, ApiError> {
        let account = &state.fleet.accounts[rq.identity.account];
        self.check_region(&state.fleet, rq.region, account)?;
        self.check_rate(state, account)?;
        if let Some(fault) = self.injected_fault(state, rq)? {
            return Ok(fault);
        }
        let params = params(rq.received)?;
        (self.answer)(state, rq, &params)
    }

    /// 8. Region.
    fn check_region(
        &self,
        fleet: &Fleet,
        region: &str,
        account: &SimAccount,
    ) -> Result<(), ApiError> {
        let checked = match self.region {
            RegionRule::PerRegion if region.is_empty() => {
                return Err(ApiError::missing("X-TC-Region"))
            }
            RegionRule::PerRegion => true,
            RegionRule::AccountWide => !region.is_empty(),
            RegionRule::Ignored => false,
        };
        if checked && !account.answers_in(region, &fleet.settings) {
            return Err(ApiError::new(
                "UnsupportedRegion",
                format!(
                    "The `{region}` region is not supported by action {}.",
                    self.name
                ),
            ));
        }
        Ok(())
    }

    /// 9. Rate limit per (account, action); every arrival counts.
    fn check_rate(&self, state: &State, account: &SimAccount) -> Result<(), ApiError> {
        let settings = &state.fleet.settings;
        let limit = match self.limit {
            Limit::Tcss => account
                .faults
                .rate_limit
                .unwrap_or(settings.tcss_rate_limit),
            Limit::Sts => settings.sts_rate_limit,
            Limit::Organization => settings.organization_rate_limit,
            Limit::Unlimited => return Ok(()),
        };
        let arrivals =
            lock(&state.windows).arrive(&account.uin, self.name, tokio::time::Instant::now());
        state
            .counters
            .record_rate(&account.uin, self.name, arrivals);
        if arrivals > limit {
            return Err(ApiError::new(
                "RequestLimitExceeded",
                limit_message(arrivals, limit),
            ));
        }
        Ok(())
    }

    /// 10. Injected faults: the first N calls, then a persistent error code.
    fn injected_fault(&self, state: &State, rq: &Served<'_>) -> Result<Option<Decision>, ApiError> {
        let account = rq.identity.account;
        let faults = &state.fleet.accounts[account].faults;
        if let (n @ 1.., Some(kind)) = (faults.first_n, faults.first_kind) {
            let mut calls = lock(&state.first_calls);
            let seen = calls
                .entry((account, rq.region.to_owned(), self.name))
                .or_insert(0);
            if *seen < n {
                *seen += 1;
                return Ok(Some(Decision::Fault(kind)));
            }
        }
        let Some(code) = faults.persistent_error.as_ref().filter(|_| self.persistent) else {
            return Ok(None);
        };
        let region_applies = faults
            .persistent_regions
            .as_ref()
            .is_none_or(|rs| rs.iter().any(|r| r == rq.region));
        let action_applies = faults
            .persistent_actions
            .as_ref()
            .is_none_or(|names| names.iter().any(|n| n == self.name));
        if region_applies && action_applies {
            let message = faults
                .persistent_message
                .clone()
                .unwrap_or_else(|| persistent_message(code));
            return Err(ApiError::new(code.clone(), message));
        }
        Ok(None)
    }
}

/// `DescribeImageAuthorizedInfo`: the account's `data`, with the region's
/// overrides.
fn image_authorized_info(
    state: &State,
    rq: &Served<'_>,
    _: &Map<String, Value>,
) -> Result<Decision, ApiError> {
    let f = &state.fragments[rq.identity.account];
    Ok(Decision::Ok(
        f.by_region.get(rq.region).unwrap_or(&f.default).clone(),
    ))
}

/// An account-wide TCSS action: the account's `answers` table for it, or
/// the row's default.
fn from_fleet(
    state: &State,
    rq: &Served<'_>,
    _: &Map<String, Value>,
) -> Result<Decision, ApiError> {
    let f = &state.fragments[rq.identity.account];
    Ok(Decision::Ok(match f.account_wide.get(rq.action.name) {
        Some(fragment) => fragment.clone(),
        None => rq.action.fleet_default.unwrap_or_default().to_owned(),
    }))
}

/// `AssumeRole`: checks the parameters and the trust, then issues
/// temporary credentials acting in the role's account.
fn assume_role(
    state: &State,
    rq: &Served<'_>,
    params: &Map<String, Value>,
) -> Result<Decision, ApiError> {
    let caller = rq.identity.account;
    let grant = sts::check_assume_role(&state.fleet, caller, params)?;
    let (tmp_id, tmp_key, token) = sts::new_credentials();
    let expires_at = rq.now.saturating_add(grant.duration);
    let offset = state.fleet.accounts[caller].faults.clock_offset_secs;
    let fields =
        sts::assume_role_fields(&tmp_id, &tmp_key, &token, expires_at.saturating_add(offset));
    let cred = TempCred {
        account: grant.target,
        caller,
        secret_key: tmp_key,
        token,
        expires_at,
        role_name: grant.role_name,
        session_name: grant.session_name,
        revoked: false,
    };
    lock(&state.temp).insert(tmp_id, cred, rq.now);
    Ok(Decision::Ok(reply::fragment(&fields)))
}

/// `GetCallerIdentity`: the account, and the role session of temporary
/// credentials.
fn caller_identity(
    state: &State,
    rq: &Served<'_>,
    _: &Map<String, Value>,
) -> Result<Decision, ApiError> {
    let accounts = &state.fleet.accounts;
    let uin = &accounts[rq.identity.account].uin;
    let fields = match &rq.identity.temp {
        None => sts::caller_identity_fields(uin, None),
        Some(t) => {
            let caller = accounts.get(t.caller).map_or("", |a| a.uin.as_str());
            sts::caller_identity_fields(uin, Some((&t.role_name, &t.session_name, caller)))
        }
    };
    Ok(Decision::Ok(reply::fragment(&fields)))
}

/// `DescribeOrganizationMembers`: see the `organization` module.
fn organization_members(
    state: &State,
    rq: &Served<'_>,
    params: &Map<String, Value>,
) -> Result<Decision, ApiError> {
    let uin = &state.fleet.accounts[rq.identity.account].uin;
    Ok(match state.orgs.describe_members(uin, params)? {
        Answer::Page(fragment) => Decision::Ok(fragment),
        Answer::Fault(kind) => Decision::Fault(kind),
    })
}

/// Percent-decodes a form-urlencoded component (`+` is a space).
fn form_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// GET parameters as a JSON object of strings.
fn query_params(query: &str) -> Map<String, Value> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), Value::String(form_decode(v)))
        })
        .collect()
}

/// The request's parameters: the query string of a GET, else the JSON body
/// (empty: none).
fn params(rx: &Received<'_>) -> Result<Map<String, Value>, ApiError> {
    Ok(if rx.method == "GET" {
        query_params(rx.query)
    } else if rx.body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(rx.body) {
            Ok(Value::Object(m)) => m,
            _ => {
                return Err(ApiError::new(
                    "InvalidParameter",
                    "The request body is not a JSON object.",
                ))
            }
        }
    })
}

fn persistent_message(code: &str) -> String {
    match code {
        "InternalError.ErrRoleNotExist" => {
            "The TCSS service role does not exist in this account: the service has not been authorized.".to_owned()
        }
        "InternalError.MainDBFail" => "An internal database error occurred.".to_owned(),
        "AuthFailure.UnauthorizedOperation" | "UnauthorizedOperation" => {
            "The request is not authorized: the CAM policy does not allow this action.".to_owned()
        }
        "ResourceUnavailable" | "ServiceUnavailable" => "The service is temporarily unavailable.".to_owned(),
        other => format!("Simulated persistent error {other}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a%2Fb+c%3A"), "a/b c:");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%zz"), "%zz");
        let p =
            query_params("RoleArn=qcs%3A%3Acam%3A%3Auin%2F1%3AroleName%2FR&DurationSeconds=60&x");
        assert_eq!(p["RoleArn"], "qcs::cam::uin/1:roleName/R");
        assert_eq!(p["DurationSeconds"], "60");
        assert_eq!(p["x"], "");
    }

    /// Every TCSS action `tcapi` knows is served, with its version and
    /// scope; no two rows share a name.
    #[test]
    fn every_tcss_action_of_tcapi_has_a_row() {
        for d in tcss::ACTIONS {
            let row = find(d.name).unwrap_or_else(|| panic!("no row for {}", d.name));
            assert_eq!((row.service, row.version), (d.service, d.version));
            let region = match d.scope {
                Scope::PerRegion => RegionRule::PerRegion,
                Scope::AccountWide => RegionRule::AccountWide,
            };
            assert_eq!(row.region, region, "{}", d.name);
            if let Some(default) = row.fleet_default {
                let v: Value = serde_json::from_str(&format!("{{{default}}}")).unwrap();
                assert!(v.is_object(), "{}", d.name);
            }
        }
        for (i, a) in ACTIONS.iter().enumerate() {
            assert!(ACTIONS[..i].iter().all(|b| b.name != a.name), "{}", a.name);
        }
    }
}
