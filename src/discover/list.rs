//! Reading an organization's member list completely: every page, with the
//! management account's keys; the list is read again once when the pages
//! disagree on `Total` or the members read do not add up to it (members
//! joined or left while paging), and is an error if it still does not.
//! Each page's members are handed on as soon as it arrives (their queries
//! start while the rest is read); a member read twice is handed on once.
//!
//! `Total` is not trusted to end the reading: a page that adds no member
//! not listed before (a server answering the same page whatever the
//! `Offset`) ends it, and so does reaching the pages the first `Total`
//! allows, plus one; either makes the list an error
//! ([`INCONSISTENT_CODE`]), as does a `Total` the pages fall short of in
//! both readings. So a lying `Total` costs a few pages, never an endless
//! listing.

use std::collections::{BTreeMap, HashSet};

use tcapi::organization::{OrgMember, MAX_LIMIT};
use tcapi::Endpoint;

use super::merge::Member;
use crate::execute::{Executor, PageFailure};
use crate::sanitize;

/// A complete member list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// Every member once, in listing order.
    pub members: Vec<Member>,
    /// The API's `Total`.
    pub total: u64,
}

/// The code of a list that changed under the reader twice.
pub const CHANGED_CODE: &str = "MemberListChanged";

/// The code of a list whose pages do not add up to their `Total`: a page
/// with no new member, more pages than `Total` allows, or fewer members
/// than `Total` in both readings.
pub const INCONSISTENT_CODE: &str = "MemberListInconsistent";

/// The code of a list whose reading an interrupt stopped.
pub use crate::model::CANCELLED_CODE;

/// Reads the whole list of the organization managed by `management`; an
/// interrupt (`cancel` turning true) stops it between or during pages.
/// `arrived` sees the members of each page as it arrives, each member once
/// over both readings (so also those read before a failure).
pub async fn list(
    exec: &Executor,
    management: usize,
    endpoint: &Endpoint,
    cancel: &tokio::sync::watch::Receiver<bool>,
    arrived: &mut dyn FnMut(&[Member]),
) -> Result<Listing, PageFailure> {
    let mut last = None;
    let mut handed = HashSet::new();
    let mut hand_on = |page: &[Member]| {
        let new: Vec<Member> = page
            .iter()
            .filter(|m| handed.insert(m.uin.clone()))
            .cloned()
            .collect();
        if !new.is_empty() {
            arrived(&new);
        }
    };
    for _ in 0..2 {
        match read_once(exec, management, endpoint, cancel, &mut hand_on).await? {
            Read::Complete(l) => return Ok(l),
            Read::Changed { listed, totals } => last = Some((listed, totals)),
        }
    }
    let (listed, totals) = last.unwrap_or_default();
    if let [total] = totals[..] {
        // The same `Total` on every page of the second reading, and fewer
        // (or more) members than it says: the `Total` is wrong.
        return Err(inconsistent(format!(
            "Total said {total} members, but the pages ended after {listed}, in two readings: \
             the organization API's Total does not match its pages"
        )));
    }
    Err(PageFailure {
        code: CHANGED_CODE.into(),
        message: format!(
            "the member list changed while it was read, twice (pages said Total {}, {listed} \
             members were listed): members joined or left meanwhile; run again",
            totals
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", then ")
        ),
    })
}

enum Read {
    Complete(Listing),
    Changed { listed: usize, totals: Vec<u64> },
}

async fn read_once(
    exec: &Executor,
    management: usize,
    endpoint: &Endpoint,
    cancel: &tokio::sync::watch::Receiver<bool>,
    arrived: &mut dyn FnMut(&[Member]),
) -> Result<Read, PageFailure> {
    let mut members = Vec::new();
    let mut seen = HashSet::new();
    let mut totals: Vec<u64> = Vec::new();
    let mut offset = 0u64;
    let mut pages = 0u64;
    loop {
        let mut stop = cancel.clone();
        let page = tokio::select! {
            biased;
            _ = stop.wait_for(|c| *c) => return Err(PageFailure {
                code: CANCELLED_CODE.into(),
                message: "the run was interrupted before the member list was read".into(),
            }),
            page = exec.members_page(management, endpoint, offset, MAX_LIMIT) => page?,
        };
        let total = page.total.ok_or_else(|| PageFailure {
            code: "MalformedResponse".into(),
            message: "a DescribeOrganizationMembers answer has no Total".into(),
        })?;
        if totals.last() != Some(&total) {
            totals.push(total);
        }
        pages += 1;
        let n = page.items.len() as u64;
        let before = members.len();
        for item in page.items {
            let m = member(item)?;
            if seen.insert(m.uin.clone()) {
                members.push(m);
            }
        }
        arrived(&members[before..]);
        offset += n;
        if n == 0 || offset >= total {
            break;
        }
        check_progress(
            n,
            members.len() - before,
            pages,
            totals[0],
            &members,
            offset,
        )?;
    }
    let total = totals.last().copied().unwrap_or(0);
    if totals.len() == 1 && members.len() as u64 == total {
        Ok(Read::Complete(Listing { members, total }))
    } else {
        Ok(Read::Changed {
            listed: members.len(),
            totals,
        })
    }
}

/// After a page of `n` members, `new` of them not listed before, that did
/// not end the list: an error when the page added nothing (the server
/// answers the same page whatever the `Offset`), or when `pages` pages
/// already reached what the first `Total` allows plus one (pages of
/// [`MAX_LIMIT`]).
fn check_progress(
    n: u64,
    new: usize,
    pages: u64,
    first_total: u64,
    members: &[Member],
    offset: u64,
) -> Result<(), PageFailure> {
    let listed = members.len();
    if new == 0 {
        return Err(inconsistent(format!(
            "the page at Offset {} added no member not listed before (its {n} members were all \
             listed already): the organization API answers the same page again; stopped after \
             {pages} pages with {listed} members, Total said {first_total}",
            offset - n
        )));
    }
    let allowed = first_total.div_ceil(u64::from(MAX_LIMIT)) + 1;
    if pages >= allowed {
        return Err(inconsistent(format!(
            "the pages go on past what Total allows: {pages} pages of at most {MAX_LIMIT} \
             listed {listed} members, and the first Total said {first_total}; stopped"
        )));
    }
    Ok(())
}

fn inconsistent(what: String) -> PageFailure {
    PageFailure {
        code: INCONSISTENT_CODE.into(),
        message: format!(
            "{what}. The members listed so far are queried; run again, and if it repeats, \
             the organization API is at fault (tell Tencent Cloud support)"
        ),
    }
}

fn member(item: OrgMember) -> Result<Member, PageFailure> {
    let uin = item.member_uin.ok_or_else(|| PageFailure {
        code: "MalformedResponse".into(),
        message: format!(
            "a member without MemberUin (Name {:?}): it cannot be reached",
            item.name.as_deref().unwrap_or("")
        ),
    })?;
    // Names and tags become account names and tags: text from a server,
    // cleaned like any.
    let clean = |t: &str| {
        sanitize::clean(t, sanitize::MAX_FIELD_CHARS)
            .trim()
            .to_string()
    };
    let tags: BTreeMap<String, String> = item
        .tags
        .into_iter()
        .filter_map(|t| Some((clean(&t.tag_key?), clean(&t.tag_value.unwrap_or_default()))))
        .filter(|(k, _)| !k.is_empty())
        .collect();
    Ok(Member {
        uin: uin.to_string(),
        name: clean(item.name.as_deref().unwrap_or_default()),
        node: item
            .node_name
            .as_deref()
            .map(clean)
            .filter(|n| !n.is_empty()),
        tags,
    })
}
