//! Members become accounts (pure): the `include`/`exclude` selectors, the
//! names (`Name (UIN)` when two share one), the tags (`org`, `org_node`),
//! the role they are reached through, and the rule that every account
//! appears once, keyed by UIN: a configured account with a member's UIN
//! wins over the member, and the management account listed among its own
//! members is queried once, with its own keys.

use std::collections::{BTreeMap, HashMap, HashSet};

use tcapi::credentials::RoleArn;

use crate::config::selector::{exclusion, MemberView};
use crate::config::{Account, CredentialSpec, Organization};

/// One member as the `organization` API listed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// `MemberUin`, as text.
    pub uin: String,
    /// `Name` (empty when the API gave none).
    pub name: String,
    /// `NodeName`: the member's department.
    pub node: Option<String>,
    /// `Tags[]` as a map.
    pub tags: BTreeMap<String, String>,
}

/// What happened to one listed member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fate {
    /// It becomes the account of this name.
    Kept(String),
    /// A selector left it out (the reason says which).
    Excluded(String),
    /// A configured account (this one) has its UIN and is queried instead.
    Configured(String),
}

/// The members of one organization turned into accounts.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    /// New accounts to query, in listing order.
    pub accounts: Vec<Account>,
    /// Every listed member with what became of it, in listing order.
    pub fates: Vec<(Member, Fate)>,
}

/// Turns `members` of `org` into accounts, given the accounts already
/// known (`existing`: the configured ones and the members of earlier
/// organizations) and their UINs (`uin_of`, the management account's
/// learned one included).
pub fn merge(
    org: &Organization,
    members: &[Member],
    existing: &[Account],
    uin_of: &dyn Fn(usize) -> Option<String>,
) -> Merged {
    let by_uin: HashMap<String, &str> = existing
        .iter()
        .enumerate()
        .filter_map(|(i, a)| uin_of(i).map(|u| (u, a.name.as_str())))
        .collect();
    let mut taken: HashSet<String> = existing.iter().map(|a| a.name.to_lowercase()).collect();
    let mut name_count: HashMap<&str, usize> = HashMap::new();
    for m in members {
        *name_count.entry(m.name.as_str()).or_default() += 1;
    }
    let mut out = Merged::default();
    let mut seen_uins = HashSet::new();
    for m in members {
        if !seen_uins.insert(m.uin.as_str()) {
            continue;
        }
        let fate = if let Some(name) = by_uin.get(&m.uin) {
            Fate::Configured((*name).to_string())
        } else if let Some(reason) = exclusion(&org.include, &org.exclude, &view(m)) {
            Fate::Excluded(reason)
        } else {
            let name = account_name(m, name_count[m.name.as_str()] > 1, &taken);
            taken.insert(name.to_lowercase());
            out.accounts.push(member_account(org, m, &name));
            Fate::Kept(name)
        };
        out.fates.push((m.clone(), fate));
    }
    out
}

fn view(m: &Member) -> MemberView<'_> {
    MemberView {
        uin: &m.uin,
        name: &m.name,
        node: m.node.as_deref(),
        tags: &m.tags,
    }
}

/// The member's `Name`, or `Name (UIN)` when another member or account
/// has that name (or it has none).
fn account_name(m: &Member, shared: bool, taken: &HashSet<String>) -> String {
    let name = m.name.trim();
    if name.is_empty() {
        return format!("member {}", m.uin);
    }
    if shared || taken.contains(&name.to_lowercase()) {
        format!("{name} ({})", m.uin)
    } else {
        name.to_string()
    }
}

fn member_account(org: &Organization, m: &Member, name: &str) -> Account {
    let mut tags = m.tags.clone();
    tags.insert("org".into(), org.name.clone());
    if let Some(node) = &m.node {
        tags.insert("org_node".into(), node.clone());
    }
    let arn = RoleArn {
        uin: m.uin.clone(),
        role_name: org.role_name.clone(),
        kind: tcapi::credentials::RoleArnKind::RoleName,
    };
    Account {
        name: name.to_string(),
        uin: Some(m.uin.clone()),
        credentials: CredentialSpec::Role {
            arn,
            source: org.management,
        },
        regions: org.regions.clone(),
        tags,
        line: org.line,
    }
}

#[cfg(test)]
mod tests;
