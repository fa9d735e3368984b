//! The plan: every (account, region) query of a run, in the order they are
//! started. Regions are interleaved across accounts (all first regions, then
//! all second regions, ...) so one account's queries are spread over the run
//! instead of queueing on its rate limit.

use crate::config::Account;

/// One planned query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Position in the plan (and in the outcome list).
    pub id: usize,
    /// Index into the config's accounts.
    pub account_index: usize,
    /// Region to query.
    pub region: String,
}

/// Plans every (account, region) query exactly once.
pub fn plan(accounts: &[Account]) -> Vec<Query> {
    let rounds = accounts.iter().map(|a| a.regions.len()).max().unwrap_or(0);
    let mut out = Vec::with_capacity(accounts.iter().map(|a| a.regions.len()).sum());
    for round in 0..rounds {
        for (account_index, a) in accounts.iter().enumerate() {
            if let Some(region) = a.regions.get(round) {
                out.push(Query {
                    id: out.len(),
                    account_index,
                    region: region.clone(),
                });
            }
        }
    }
    out
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
        let p = plan(&accounts);
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

    #[test]
    fn empty() {
        assert!(plan(&[]).is_empty());
    }
}
