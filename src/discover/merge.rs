//! Members become accounts (pure): the `include`/`exclude` selectors, the
//! run's selection (`--only`, `--exclude`), the names (`Name (UIN)` when
//! two share one), the tags (`org`, `org_node`), the role they are reached
//! through, and the rule that every account appears once, keyed by UIN: a
//! configured account with a member's UIN wins over the member (and gains
//! its `org` and `org_node` tags), and the management account listed among
//! its own members is queried once, with its own keys.

use std::collections::{BTreeMap, HashMap, HashSet};

use tcapi::credentials::RoleArn;

use crate::config::selection::{Selection, View};
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
    /// A selector left it out (the reason says which): the organization's
    /// `include`/`exclude`, or the run's `--only`/`--exclude`.
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
    /// The members that are accounts already known: the index of that
    /// account (in `existing`) and the member, in listing order.
    pub known: Vec<(usize, Member)>,
}

/// Turns `members` of `org` into accounts, given the accounts already
/// known (`existing`: the configured ones and the members of earlier
/// organizations) and their UINs (`uin_of`, the management account's
/// learned one included). (The run merges one member at a time as they
/// arrive, with `Merger`; this is the same over a whole list, for the tests.)
#[cfg(test)]
pub fn merge(
    org: &Organization,
    members: &[Member],
    existing: &[Account],
    uin_of: &dyn Fn(usize) -> Option<String>,
) -> Merged {
    let mut merger = Merger::new(org, existing, uin_of);
    for m in members {
        merger.push(m);
    }
    merger.finish()
}

/// `merge` one member at a time, as pages arrive: each kept member's
/// account is known at once (to be queried while the list is still being
/// read) under a provisional name; [`finish`](Merger::finish) settles the
/// names once every member is known (two members of one name become
/// `Name (UIN)`, the first one too).
#[derive(Debug)]
pub struct Merger<'a> {
    org: &'a Organization,
    by_uin: HashMap<String, (usize, String)>,
    taken: HashSet<String>,
    seen: HashSet<String>,
    selection: Option<(&'a Selection, HashSet<String>)>,
    out: Merged,
}

impl<'a> Merger<'a> {
    /// A merger for `org`, given the accounts already known and their UINs.
    pub fn new(
        org: &'a Organization,
        existing: &[Account],
        uin_of: &dyn Fn(usize) -> Option<String>,
    ) -> Merger<'a> {
        Merger {
            org,
            by_uin: existing
                .iter()
                .enumerate()
                .filter_map(|(i, a)| uin_of(i).map(|u| (u, (i, a.name.clone()))))
                .collect(),
            taken: existing.iter().map(|a| a.name.to_lowercase()).collect(),
            seen: HashSet::new(),
            selection: None,
            out: Merged::default(),
        }
    }

    /// Keeps only the members `selection` selects (`--only`, `--exclude`);
    /// `configured`: the configured accounts' names (a member's listed
    /// `Name` that is one of them does not select it: that name is the
    /// configured account's).
    pub fn selecting(mut self, selection: &'a Selection, configured: &[Account]) -> Merger<'a> {
        if !selection.is_empty() {
            let names = configured.iter().map(|a| a.name.to_lowercase()).collect();
            self.selection = Some((selection, names));
        }
        self
    }

    /// Why the run's selection leaves `account` (member `m`) out.
    fn rejection(&self, m: &Member, account: &Account) -> Option<String> {
        let (selection, configured) = self.selection.as_ref()?;
        let listed = m.name.trim();
        let with_uin = format!("{listed} ({})", m.uin);
        let mut names = vec![account.name.as_str(), with_uin.as_str()];
        if !configured.contains(&listed.to_lowercase()) {
            names.push(listed);
        }
        selection.rejection(&View {
            names: &names,
            uin: Some(&m.uin),
            tags: &account.tags,
        })
    }

    /// Decides one member (a member listed again is ignored). Returns the
    /// account it becomes when it is kept.
    pub fn push(&mut self, m: &Member) -> Option<&Account> {
        if !self.seen.insert(m.uin.clone()) {
            return None;
        }
        let org = self.org;
        let fate = if let Some((index, name)) = self.by_uin.get(&m.uin) {
            self.out.known.push((*index, m.clone()));
            Fate::Configured(name.clone())
        } else if let Some(reason) = exclusion(&org.include, &org.exclude, &view(m)) {
            Fate::Excluded(reason)
        } else {
            // Its name is taken, selected or not: a subset names the
            // accounts as the whole run does.
            let name = account_name(m, false, &self.taken);
            self.taken.insert(name.to_lowercase());
            let account = member_account(org, m, &name);
            match self.rejection(m, &account) {
                Some(reason) => Fate::Excluded(reason),
                None => {
                    self.out.accounts.push(account);
                    Fate::Kept(name)
                }
            }
        };
        let kept = matches!(fate, Fate::Kept(_));
        self.out.fates.push((m.clone(), fate));
        kept.then(|| self.out.accounts.last()).flatten()
    }

    /// The members so far and what became of them, names settled: a kept
    /// member whose `Name` another listed member shares is `Name (UIN)`.
    /// The accounts keep the order (and so the indexes) they were pushed in.
    pub fn finish(mut self) -> Merged {
        let mut name_count: HashMap<String, usize> = HashMap::new();
        for (m, _) in &self.out.fates {
            *name_count.entry(m.name.clone()).or_default() += 1;
        }
        let mut kept = self.out.accounts.iter_mut();
        for (m, fate) in &mut self.out.fates {
            let Fate::Kept(name) = fate else { continue };
            let account = kept.next().expect("one account per kept member");
            if name_count[&m.name] > 1 {
                let settled = account_name(m, true, &self.taken);
                account.name.clone_from(&settled);
                *name = settled;
            }
        }
        self.out
    }
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

/// The tags membership gives an account: `org` (the organization's
/// name) and `org_node` (the member's department, when it has one).
pub fn org_tags(org: &Organization, m: &Member) -> BTreeMap<String, String> {
    let mut tags = BTreeMap::from([("org".to_string(), org.name.clone())]);
    if let Some(node) = &m.node {
        tags.insert("org_node".into(), node.clone());
    }
    tags
}

fn member_account(org: &Organization, m: &Member, name: &str) -> Account {
    let mut tags = m.tags.clone();
    tags.extend(org_tags(org, m));
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
