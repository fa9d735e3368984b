//! Simulated Tencent Cloud organizations: a management account, its members
//! (real accounts of the fleet, with the Name, department and tags the
//! `organization` API answers), and faults of the member listing. Validation
//! names the offending item so [`super::Fleet::load`] can give its line and column.
//!
//! In the fleet file they are top-level `[[organizations]]` tables; in Rust
//! they live in [`super::Settings::organizations`] so that existing
//! `Fleet { settings, accounts }` literals stay valid.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use super::{FaultKind, Fleet};

/// The member fields of `DescribeOrganizationMembers` that `null_fields` may name.
pub const MEMBER_FIELDS: &[&str] = &[
    "MemberUin",
    "Name",
    "MemberType",
    "OrgPolicyType",
    "OrgPolicyName",
    "OrgPermission",
    "NodeId",
    "NodeName",
    "Remark",
    "CreateTime",
    "UpdateTime",
    "IsAllowQuit",
    "PayUin",
    "PayName",
    "OrgIdentity",
    "BindStatus",
    "PermissionStatus",
    "Tags",
    "NickName",
];

/// One organization.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// Unique among the fleet's organizations (for humans and error messages).
    pub name: String,
    /// UIN of the management account: a fleet account with keys. Only it may list the members.
    pub management_uin: String,
    /// The members in listing order (the management account usually among them,
    /// as the real API lists it).
    #[serde(default)]
    pub members: Vec<OrgMember>,
    /// Faults of the member listing.
    #[serde(default, skip_serializing_if = "OrgFaults::is_none")]
    pub faults: OrgFaults,
}

/// One member of an organization, as `DescribeOrganizationMembers` lists it.
///
/// Whether the member "has the role" is not said here: it is whether the
/// account's `roles` trust the management UIN, as for any `AssumeRole`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgMember {
    /// UIN of a fleet account (digits, answered as a JSON integer).
    pub uin: String,
    /// `Name` as the API answers it; may differ from the account's name, and
    /// two members may share one.
    pub name: String,
    /// `NodeId`: the department's id.
    #[serde(default)]
    pub node_id: i64,
    /// `NodeName`: the department (default `"Root"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    /// `Tags[]` as `TagKey`/`TagValue`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// `Remark` (default empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// `CreateTime`, `YYYY-MM-DD hh:mm:ss` (default a fixed date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<String>,
    /// Member fields (names from [`MEMBER_FIELDS`]) answered as JSON `null`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub null_fields: Vec<String>,
}

/// Faults of one organization's member listing (the management account's own
/// faults, latency included, still apply to its calls).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrgFaults {
    /// How many first `DescribeOrganizationMembers` calls of the management
    /// account answer `first_kind`.
    pub first_n: u32,
    /// The fault of the first `first_n` calls (default `internal_error`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_kind: Option<FaultKind>,
    /// An error code every listing answers (`UnauthorizedOperation`: a
    /// management account without the permission).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent_error: Option<String>,
    /// The message of `persistent_error` (default: a fitting sentence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent_message: Option<String>,
    /// The last this-many `members` join after the first page is served: the
    /// first successful answer counts (and lists) the others only, every later
    /// answer all of them, so `Total` changes between pages.
    pub join_between_pages: u32,
    /// The first-N fault starts once this many pages have been answered
    /// (0: at once): with `first_kind = "hang"`, the list stops after that
    /// many pages while the members already listed are queried.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fault_after_pages: u32,
    /// `Total` says this many more members than the listing has (a lying
    /// `Total`): past the last member the pages are empty, yet `Total`
    /// claims more.
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub total_extra: u64,
    /// Every page is the first one: `Offset` is ignored (a server that
    /// keeps answering the same page).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub repeat_first_page: bool,
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl OrgFaults {
    /// True when no fault is configured (used to keep saved fleets short).
    pub fn is_none(&self) -> bool {
        *self == OrgFaults::default()
    }
}

impl Organization {
    /// The member with this UIN.
    pub fn member(&self, uin: &str) -> Option<&OrgMember> {
        self.members.iter().find(|m| m.uin == uin)
    }
}

/// Which part of the fleet file an organization error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// `organizations[i].name`.
    Name(usize),
    /// `organizations[i].management_uin`.
    Management(usize),
    /// `organizations[i].members[j].uin`.
    MemberUin(usize, usize),
    /// `organizations[i].members[j].null_fields`.
    MemberNulls(usize, usize),
    /// `organizations[i].faults`.
    Faults(usize),
}

/// An inconsistent organization: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OrgProblem {
    pub site: Site,
    pub message: String,
}

/// Checks every organization against the fleet's accounts: unique non-empty
/// names, a management account that exists and has keys and manages one
/// organization, member UINs that exist, fit an integer and appear once (in
/// one organization), known `null_fields`, consistent faults.
pub(crate) fn validate(fleet: &Fleet) -> Result<(), OrgProblem> {
    let accounts: HashMap<&str, usize> = fleet
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.uin.as_str(), i))
        .collect();
    let mut names = BTreeSet::new();
    let mut managers = BTreeSet::new();
    let mut member_of: HashMap<&str, &str> = HashMap::new();
    for (i, org) in fleet.settings.organizations.iter().enumerate() {
        let who = format!("organizations[{i}] ({:?})", org.name);
        let fail = |site: Site, message: String| Err(OrgProblem { site, message });
        if org.name.trim().is_empty() || !names.insert(org.name.as_str()) {
            return fail(Site::Name(i), format!("{who}: name is empty or duplicated"));
        }
        let Some(&m) = accounts.get(org.management_uin.as_str()) else {
            return fail(
                Site::Management(i),
                format!(
                    "{who}: management_uin {:?} is not an account of the fleet",
                    org.management_uin
                ),
            );
        };
        if fleet.accounts[m].keys.is_empty() {
            return fail(
                Site::Management(i),
                format!(
                    "{who}: management account {:?} has no keys",
                    org.management_uin
                ),
            );
        }
        if !managers.insert(org.management_uin.as_str()) {
            return fail(
                Site::Management(i),
                format!(
                    "{who}: account {:?} already manages another organization",
                    org.management_uin
                ),
            );
        }
        for (j, member) in org.members.iter().enumerate() {
            let at = format!("{who}: members[{j}] (uin {:?})", member.uin);
            if !accounts.contains_key(member.uin.as_str()) {
                return fail(
                    Site::MemberUin(i, j),
                    format!("{at}: not an account of the fleet"),
                );
            }
            if member.uin.parse::<u64>().is_err() {
                return fail(
                    Site::MemberUin(i, j),
                    format!("{at}: MemberUin is answered as an integer and must fit in 64 bits"),
                );
            }
            if let Some(other) = member_of.insert(member.uin.as_str(), org.name.as_str()) {
                let message = if other == org.name {
                    format!("{at}: duplicate member uin")
                } else {
                    format!("{at}: already a member of organization {other:?}")
                };
                return fail(Site::MemberUin(i, j), message);
            }
            if let Some(bad) = member
                .null_fields
                .iter()
                .find(|f| !MEMBER_FIELDS.contains(&f.as_str()))
            {
                return fail(
                    Site::MemberNulls(i, j),
                    format!("{at}: null_fields names {bad:?}, not a member field"),
                );
            }
        }
        let f = &org.faults;
        if f.persistent_error
            .as_deref()
            .is_some_and(|c| c.trim().is_empty())
        {
            return fail(
                Site::Faults(i),
                format!("{who}: faults.persistent_error is empty"),
            );
        }
        if f.join_between_pages as usize > org.members.len() {
            return fail(
                Site::Faults(i),
                format!(
                    "{who}: faults.join_between_pages ({}) exceeds the {} members",
                    f.join_between_pages,
                    org.members.len()
                ),
            );
        }
    }
    Ok(())
}

/// Where the organization parts of a fleet file are, for error positions.
pub(crate) mod spans {
    use std::ops::Range;

    use serde::Deserialize;
    use toml::Spanned;

    use super::Site;

    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        organizations: Vec<Org>,
    }

    #[derive(Deserialize)]
    struct Org {
        name: Option<Spanned<toml::Value>>,
        management_uin: Option<Spanned<toml::Value>>,
        #[serde(default)]
        members: Vec<Member>,
        faults: Option<Spanned<toml::Value>>,
    }

    #[derive(Deserialize)]
    struct Member {
        uin: Option<Spanned<toml::Value>>,
        null_fields: Option<Spanned<toml::Value>>,
    }

    /// The byte range of `site` in `text`, if the file says where it is.
    pub(crate) fn locate(text: &str, site: Site) -> Option<Range<usize>> {
        let file: File = toml::from_str(text).ok()?;
        let org = |i: usize| file.organizations.get(i);
        let member = |i: usize, j: usize| org(i).and_then(|o| o.members.get(j));
        let span = match site {
            Site::Name(i) => org(i)?.name.as_ref()?.span(),
            Site::Management(i) => org(i)?.management_uin.as_ref()?.span(),
            Site::MemberUin(i, j) => member(i, j)?.uin.as_ref()?.span(),
            Site::MemberNulls(i, j) => member(i, j)?.null_fields.as_ref()?.span(),
            Site::Faults(i) => org(i)?.faults.as_ref()?.span(),
        };
        Some(span)
    }
}
