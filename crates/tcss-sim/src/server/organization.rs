//! The `organization` service (version `2021-03-31`): `DescribeOrganizationMembers`
//! over the fleet's organizations, with the real paging rules.
//!
//! After the common checks of the handler (signature with service
//! `organization`, the 20-per-second limit per caller, the caller's own
//! first-N faults), in this order:
//! 1. the caller must manage an organization: a member that does not gets
//!    `UnauthorizedOperation`, an account in no organization
//!    `ResourceNotFound.OrganizationNotExist`;
//! 2. the organization's first-N fault (`first_kind`, default `InternalError`;
//!    from the first call, or once `fault_after_pages` pages were answered),
//!    then its persistent error;
//! 3. parameters: `Offset` an integer ≥ 0 (default 0, else
//!    `InvalidParameterValue`), `Limit` an integer in 1..=50 (default 10, else
//!    `InvalidParameterValue.LimitExceeded`); `SearchKey` keeps members whose
//!    Name or UIN contains it, `Tags[]` those with every `TagKey`(=`TagValue`),
//!    `NodeId` those of that department; `Lang` and the rest are accepted and ignored;
//! 4. the page: `Items` (members `Offset..Offset+Limit` of the filtered list,
//!    empty past the end) and `Total` (the filtered count). With
//!    `join_between_pages = N`, the last N members are missing until the first
//!    successful page has been answered. With `repeat_first_page`, every
//!    page is the first (`Offset` ignored); with `total_extra = N`, `Total`
//!    says N more members than there are.
//!
//! Member items are rendered once, when the simulator starts.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use serde_json::{json, Map, Value};

use super::reply::ApiError;
use crate::fleet::{FaultKind, Fleet, OrgFaults, OrgMember, Organization};

/// The service name (credential scope, host prefix).
pub const SERVICE: &str = "organization";
/// The API version.
pub const VERSION: &str = "2021-03-31";
/// The member listing action.
pub const DESCRIBE_ORGANIZATION_MEMBERS: &str = "DescribeOrganizationMembers";
/// Largest `Limit`.
pub const MAX_LIMIT: u64 = 50;
/// `Limit` when the request has none (the API documentation's default).
pub const DEFAULT_LIMIT: u64 = 10;
/// `NodeName` of a member whose fleet entry gives none.
pub const ROOT_NODE: &str = "Root";
/// `CreateTime` of a member whose fleet entry gives none.
pub const DEFAULT_CREATE_TIME: &str = "2024-01-15 10:00:00";

/// What the listing answers, before latency.
pub(crate) enum Answer {
    /// The inside of the `Response` object (`"Items":[...],"Total":N`).
    Page(String),
    /// A transient fault.
    Fault(FaultKind),
}

/// One member, as filtered and answered.
#[derive(Debug)]
struct Row {
    uin: String,
    name: String,
    node_id: i64,
    tags: BTreeMap<String, String>,
    /// The rendered JSON object.
    json: String,
}

#[derive(Debug)]
struct OrgState {
    rows: Vec<Row>,
    faults: OrgFaults,
    /// The first `first_n` calls seen so far.
    first_calls: AtomicU32,
    /// Whether the `join_between_pages` members have joined.
    joined: AtomicBool,
    /// Pages answered so far (for `fault_after_pages`).
    pages: AtomicU32,
}

/// Every organization of the fleet, ready to answer.
#[derive(Debug, Default)]
pub(crate) struct Orgs {
    orgs: Vec<OrgState>,
    by_manager: HashMap<String, usize>,
    members: HashMap<String, usize>,
}

impl Orgs {
    pub(crate) fn new(fleet: &Fleet) -> Orgs {
        let mut out = Orgs::default();
        for (i, org) in fleet.organizations().iter().enumerate() {
            out.by_manager.insert(org.management_uin.clone(), i);
            let rows = org
                .members
                .iter()
                .map(|m| {
                    out.members.insert(m.uin.clone(), i);
                    Row {
                        uin: m.uin.clone(),
                        name: m.name.clone(),
                        node_id: m.node_id,
                        tags: m.tags.clone(),
                        json: member_item(fleet, org, m).to_string(),
                    }
                })
                .collect();
            out.orgs.push(OrgState {
                rows,
                faults: org.faults.clone(),
                first_calls: AtomicU32::new(0),
                joined: AtomicBool::new(false),
                pages: AtomicU32::new(0),
            });
        }
        out
    }

    /// `DescribeOrganizationMembers` for the account `caller` (steps 1 to 4 above).
    pub(crate) fn describe_members(
        &self,
        caller: &str,
        params: &Map<String, Value>,
    ) -> Result<Answer, ApiError> {
        let Some(org) = self.by_manager.get(caller).and_then(|&i| self.orgs.get(i)) else {
            return Err(if self.members.contains_key(caller) {
                ApiError::new(
                    "UnauthorizedOperation",
                    "Only the management account of the organization may list its members.",
                )
            } else {
                ApiError::new(
                    "ResourceNotFound.OrganizationNotExist",
                    "The organization does not exist: this account belongs to none.",
                )
            });
        };
        let f = &org.faults;
        if f.first_n > 0 && org.pages.load(Ordering::Relaxed) >= f.fault_after_pages {
            let taken = org
                .first_calls
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    (n < f.first_n).then_some(n + 1)
                });
            if taken.is_ok() {
                return Ok(Answer::Fault(
                    f.first_kind.unwrap_or(FaultKind::InternalError),
                ));
            }
        }
        if let Some(code) = &f.persistent_error {
            let message = f
                .persistent_message
                .clone()
                .unwrap_or_else(|| persistent_message(code));
            return Err(ApiError::new(code.clone(), message));
        }
        let q = Query::parse(params)?;
        let visible = if org.joined.load(Ordering::Relaxed) {
            org.rows.len()
        } else {
            org.rows.len().saturating_sub(f.join_between_pages as usize)
        };
        let kept: Vec<&Row> = org.rows[..visible].iter().filter(|r| q.keeps(r)).collect();
        let offset = if f.repeat_first_page { 0 } else { q.offset };
        let page: Vec<&str> = kept
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(q.limit as usize)
            .map(|r| r.json.as_str())
            .collect();
        if f.join_between_pages > 0 {
            org.joined.store(true, Ordering::Relaxed);
        }
        org.pages.fetch_add(1, Ordering::Relaxed);
        Ok(Answer::Page(format!(
            "\"Items\":[{}],\"Total\":{}",
            page.join(","),
            (kept.len() as u64).saturating_add(f.total_extra)
        )))
    }
}

/// The request parameters that shape the answer.
#[derive(Debug)]
struct Query {
    offset: u64,
    limit: u64,
    search: Option<String>,
    tags: Vec<(String, Option<String>)>,
    node_id: Option<i64>,
}

impl Query {
    fn parse(p: &Map<String, Value>) -> Result<Query, ApiError> {
        let offset = match integer(p, "Offset")? {
            None => 0,
            Some(n) => u64::try_from(n).map_err(|_| {
                ApiError::new(
                    "InvalidParameterValue",
                    format!("The parameter `Offset` must be at least 0, not {n}."),
                )
            })?,
        };
        let limit = match integer(p, "Limit")? {
            None => DEFAULT_LIMIT,
            Some(n) => match u64::try_from(n) {
                Ok(n @ 1..=MAX_LIMIT) => n,
                _ => {
                    return Err(ApiError::new(
                        "InvalidParameterValue.LimitExceeded",
                        format!(
                            "The parameter `Limit` must be between 1 and {MAX_LIMIT}, not {n}."
                        ),
                    ))
                }
            },
        };
        let search = match p.get("SearchKey") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(invalid("SearchKey", "a string")),
        };
        let tags = match p.get("Tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(list)) => list
                .iter()
                .map(|t| {
                    let key = t.get("TagKey").and_then(Value::as_str);
                    let value = t.get("TagValue").and_then(Value::as_str);
                    match key {
                        Some(k) => Ok((k.to_owned(), value.map(str::to_owned))),
                        None => Err(invalid("Tags", "an array of {TagKey, TagValue}")),
                    }
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(invalid("Tags", "an array of {TagKey, TagValue}")),
        };
        Ok(Query {
            offset,
            limit,
            search,
            tags,
            node_id: integer(p, "NodeId")?,
        })
    }

    fn keeps(&self, r: &Row) -> bool {
        self.search
            .as_deref()
            .is_none_or(|s| r.name.contains(s) || r.uin.contains(s))
            && self.node_id.is_none_or(|n| r.node_id == n)
            && self.tags.iter().all(|(k, v)| match (r.tags.get(k), v) {
                (Some(have), Some(want)) => have == want,
                (Some(_), None) => true,
                (None, _) => false,
            })
    }
}

fn invalid(name: &str, what: &str) -> ApiError {
    ApiError::new(
        "InvalidParameter",
        format!("The parameter `{name}` must be {what}."),
    )
}

/// An optional integer parameter: a JSON integer, or digits (GET parameters are strings).
fn integer(p: &Map<String, Value>, name: &str) -> Result<Option<i64>, ApiError> {
    match p.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| invalid(name, "an integer")),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| invalid(name, "an integer")),
        Some(_) => Err(invalid(name, "an integer")),
    }
}

/// One `OrgMember` object with the real API's field names and types.
fn member_item(fleet: &Fleet, org: &Organization, m: &OrgMember) -> Value {
    let account = fleet.account(&m.uin);
    let manager = org.member(&org.management_uin).map_or_else(
        || {
            fleet
                .account(&org.management_uin)
                .and_then(|a| a.name.clone())
                .unwrap_or_else(|| org.management_uin.clone())
        },
        |mm| mm.name.clone(),
    );
    let is_manager = m.uin == org.management_uin;
    let created = account.is_some_and(|a| a.keys.is_empty());
    let tags: Vec<Value> = m
        .tags
        .iter()
        .map(|(k, v)| json!({"TagKey": k, "TagValue": v}))
        .collect();
    let time = m.create_time.as_deref().unwrap_or(DEFAULT_CREATE_TIME);
    let mut item = json!({
        "MemberUin": m.uin.parse::<u64>().unwrap_or_default(),
        "Name": m.name,
        "MemberType": if created { "Create" } else { "Invite" },
        "OrgPolicyType": "Financial",
        "OrgPolicyName": "Finance management",
        "OrgPermission": [
            {"Id": 1, "Name": "View bills"},
            {"Id": 2, "Name": "Check balance"},
        ],
        "NodeId": m.node_id,
        "NodeName": m.node_name.as_deref().unwrap_or(ROOT_NODE),
        "Remark": m.remark.as_deref().unwrap_or(""),
        "CreateTime": time,
        "UpdateTime": time,
        "IsAllowQuit": if is_manager { "Denied" } else { "Allow" },
        "PayUin": if is_manager { String::new() } else { org.management_uin.clone() },
        "PayName": if is_manager { String::new() } else { manager },
        "OrgIdentity": [{"IdentityId": 1, "IdentityAliasName": "Admin"}],
        "BindStatus": "Success",
        "PermissionStatus": "Confirmed",
        "Tags": tags,
        "NickName": m.name,
    });
    if let Value::Object(fields) = &mut item {
        for f in &m.null_fields {
            fields.insert(f.clone(), Value::Null);
        }
    }
    item
}

fn persistent_message(code: &str) -> String {
    match code {
        "UnauthorizedOperation" => "You are not authorized to perform this operation: the CAM policy of the caller does not allow organization:DescribeOrganizationMembers.".to_owned(),
        "ResourceNotFound.OrganizationNotExist" => "The organization does not exist.".to_owned(),
        other => format!("Simulated persistent error {other}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn query_defaults_and_limits() {
        let q = Query::parse(&Map::new()).expect("defaults");
        assert_eq!((q.offset, q.limit), (0, DEFAULT_LIMIT));
        let q = Query::parse(&params(json!({"Offset": "7", "Limit": "50"}))).expect("strings");
        assert_eq!((q.offset, q.limit), (7, 50));
        for bad in [json!(0), json!(51), json!(-1)] {
            let e = Query::parse(&params(json!({ "Limit": bad }))).expect_err("limit");
            assert_eq!(e.code, "InvalidParameterValue.LimitExceeded");
        }
        let e = Query::parse(&params(json!({"Offset": -1}))).expect_err("offset");
        assert_eq!(e.code, "InvalidParameterValue");
        let e = Query::parse(&params(json!({"Limit": 1.5}))).expect_err("float");
        assert_eq!(e.code, "InvalidParameter");
    }

    #[test]
    fn filters() {
        let row = Row {
            uin: "200000000001".into(),
            name: "payments-prod".into(),
            node_id: 7,
            tags: [("env".to_owned(), "prod".to_owned())].into(),
            json: String::new(),
        };
        let keeps = |v: Value| Query::parse(&params(v)).expect("query").keeps(&row);
        assert!(keeps(json!({})));
        assert!(keeps(json!({"SearchKey": "pay"})));
        assert!(keeps(json!({"SearchKey": "0001"})));
        assert!(!keeps(json!({"SearchKey": "ads"})));
        assert!(keeps(json!({"NodeId": 7})));
        assert!(!keeps(json!({"NodeId": 8})));
        assert!(keeps(
            json!({"Tags": [{"TagKey": "env", "TagValue": "prod"}]})
        ));
        assert!(keeps(json!({"Tags": [{"TagKey": "env"}]})));
        assert!(!keeps(
            json!({"Tags": [{"TagKey": "env", "TagValue": "dev"}]})
        ));
        assert!(!keeps(json!({"Tags": [{"TagKey": "team"}]})));
    }
}
