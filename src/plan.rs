//! The plan: every query of a run, in the order they are started. Each
//! account is asked the run's calls (`[defaults] collect`, `--collect`;
//! see [`crate::calls`]): a per-region call once
//! in every configured region, an account-wide call once, in the account's
//! first region. Regions are interleaved across accounts (all first
//! regions, then all second regions, ...) so one account's queries are
//! spread over the run instead of queueing on its rate limit. Accounts are
//! spread by the key their credentials are paced on: the members one
//! management account assumes roles in are spread evenly among the other
//! accounts, so its `AssumeRole` calls run at their limit from the first
//! second while the rest fill the other request slots (in file order they
//! would wait for every account listed before them).

use std::collections::HashMap;

use tcapi::Scope;

use crate::calls::Call;
use crate::config::{Account, CredentialSpec};

/// One planned query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Position in the plan (and in the outcome list).
    pub id: usize,
    /// Index into the config's accounts.
    pub account_index: usize,
    /// The call it makes.
    pub call: Call,
    /// Region to query (an account-wide call: the account's first region).
    pub region: String,
}

/// Plans `calls` (the run's `collect`) for every account: each per-region
/// call once in every configured region, each account-wide call once, in
/// the first region.
pub fn plan(accounts: &[Account], calls: &[Call]) -> Vec<Query> {
    let rounds = accounts.iter().map(|a| a.regions.len()).max().unwrap_or(0);
    // At its exact size (10,000 accounts: 50,000 queries).
    let size = accounts
        .iter()
        .map(|a| (0..a.regions.len()).map(|r| round_calls(calls, &a.regions, r).count()))
        .map(Iterator::sum::<usize>)
        .sum();
    let mut out = Vec::with_capacity(size);
    let order = spread(accounts);
    for round in 0..rounds {
        for &account_index in &order {
            for (call, region) in round_calls(calls, &accounts[account_index].regions, round) {
                out.push(Query {
                    id: out.len(),
                    account_index,
                    call,
                    region: region.clone(),
                });
            }
        }
    }
    out
}

/// An account's queries of round `round` (the plan's `round`th pass over
/// the accounts): its per-region calls in its `round`th region and, in the
/// first round, its account-wide calls, asked in its first region.
pub fn round_calls<'a>(
    calls: &'a [Call],
    regions: &'a [String],
    round: usize,
) -> impl Iterator<Item = (Call, &'a String)> + 'a {
    let here = regions.get(round);
    let first = if round == 0 { regions.first() } else { None };
    calls.iter().filter_map(move |&call| match call.scope() {
        Scope::PerRegion => here.map(|r| (call, r)),
        Scope::AccountWide => first.map(|r| (call, r)),
    })
}

/// The accounts in the order their queries start: each group of accounts
/// paced on one key (the role accounts of one source account; the accounts
/// with keys of their own) spread evenly over the run, keeping file order
/// within a group. Account `i` of a group of `n` goes to the fraction
/// `(i + 0.5) / n` of the run; ties keep file order.
pub fn spread(accounts: &[Account]) -> Vec<usize> {
    let group = |a: &Account| match &a.credentials {
        CredentialSpec::Role { source, .. } => Some(*source),
        _ => None,
    };
    let mut sizes: HashMap<Option<usize>, usize> = HashMap::new();
    for a in accounts {
        *sizes.entry(group(a)).or_default() += 1;
    }
    let mut seen: HashMap<Option<usize>, usize> = HashMap::new();
    let mut keyed: Vec<(f64, usize)> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let g = group(a);
            let rank = seen.entry(g).or_default();
            let at = (*rank as f64 + 0.5) / sizes[&g] as f64;
            *rank += 1;
            (at, i)
        })
        .collect();
    keyed.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    keyed.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::CredentialSpec;
    use tcapi::credentials::Source;

    fn account(name: &str, regions: &[&str]) -> Account {
        Account {
            name: name.into(),
            uin: None,
            credentials: CredentialSpec::Static(Source::DefaultChain),
            regions: regions.iter().map(|r| r.to_string()).collect(),
            tags: Default::default(),
            line: 1,
        }
    }

    #[test]
    fn every_pair_once_interleaved() {
        let accounts = vec![
            account("a", &["r1", "r2", "r3"]),
            account("b", &["r1"]),
            account("c", &["r2", "r1"]),
        ];
        let p = plan(&accounts, &[Call::ImageAuthorizedInfo]);
        let pairs: Vec<(usize, &str)> = p
            .iter()
            .map(|q| (q.account_index, q.region.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (0, "r1"),
                (1, "r1"),
                (2, "r2"),
                (0, "r2"),
                (2, "r1"),
                (0, "r3")
            ]
        );
        assert!(p.iter().enumerate().all(|(i, q)| q.id == i));
    }

    /// Account-wide calls are asked once per account, in its first region,
    /// in the first round; per-region calls in every region.
    #[test]
    fn account_wide_calls_once_in_the_first_region() {
        let accounts = vec![account("a", &["r1", "r2"]), account("b", &["r3"])];
        let calls = [Call::ImageAuthorizedInfo, Call::PurchaseStateInfo];
        let p = plan(&accounts, &calls);
        let got: Vec<(usize, Call, &str)> = p
            .iter()
            .map(|q| (q.account_index, q.call, q.region.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (0, Call::ImageAuthorizedInfo, "r1"),
                (0, Call::PurchaseStateInfo, "r1"),
                (1, Call::ImageAuthorizedInfo, "r3"),
                (1, Call::PurchaseStateInfo, "r3"),
                (0, Call::ImageAuthorizedInfo, "r2"),
            ]
        );
        assert!(p.iter().enumerate().all(|(i, q)| q.id == i));
        assert_eq!(
            plan(&accounts, &Call::ALL).len(),
            7,
            "two calls per account more"
        );
    }

    #[test]
    fn empty() {
        assert!(plan(&[], &Call::ALL).is_empty());
    }

    /// 500 accounts with keys listed first, then 1,500 members of the
    /// first: the members are spread evenly, three in every four places,
    /// from the start, and each group keeps its file order.
    #[test]
    fn members_of_one_management_account_are_spread_from_the_start() {
        let mut accounts: Vec<Account> = (0..500)
            .map(|i| account(&format!("k{i}"), &["r1"]))
            .collect();
        for i in 0..1500 {
            let mut a = account(&format!("m{i}"), &["r1"]);
            a.credentials = CredentialSpec::Role {
                arn: tcapi::credentials::RoleArn::parse(&format!(
                    "qcs::cam::uin/{}:roleName/Audit",
                    200_000_000_000u64 + i
                ))
                .unwrap(),
                source: 0,
            };
            accounts.push(a);
        }
        let order = spread(&accounts);
        assert_eq!(order.len(), 2000);
        for window in order.chunks(100) {
            let members = window.iter().filter(|&&i| i >= 500).count();
            assert_eq!(members, 75, "{window:?}");
        }
        let keyed: Vec<usize> = order.iter().copied().filter(|&i| i < 500).collect();
        assert!(keyed.windows(2).all(|w| w[0] < w[1]), "file order kept");
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..2000).collect::<Vec<_>>(), "every account once");
    }
}
