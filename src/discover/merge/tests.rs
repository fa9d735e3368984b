use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::config::Config;

fn config() -> Config {
    let text = "[[accounts]]\nname = \"org-management\"\nsecret_id_env = \"M_ID\"\nsecret_key_env = \"M_KEY\"\n\
                [[accounts]]\nname = \"payments\"\nuin = \"200000000002\"\nsecret_id_env = \"P_ID\"\nsecret_key_env = \"P_KEY\"\n\
                [[organizations]]\nname = \"corp\"\nmanagement_account = \"org-management\"\n\
                exclude = [\"name:sandbox-*\"]\nregions = [\"ap-shanghai\"]\n";
    Config::parse(text, Path::new("t.toml")).unwrap()
}

fn member(uin: &str, name: &str, node: Option<&str>) -> Member {
    Member {
        uin: uin.into(),
        name: name.into(),
        node: node.map(str::to_string),
        tags: BTreeMap::from([("env".to_string(), "prod".to_string())]),
    }
}

/// The management account's UIN is 100000000001 (learned), payments' is configured.
fn uin_of(c: &Config) -> impl Fn(usize) -> Option<String> + '_ {
    move |i| match i {
        0 => Some("100000000001".into()),
        _ => c.accounts[i].uin.clone(),
    }
}

#[test]
fn members_become_role_accounts_with_org_tags() {
    let c = config();
    let m = merge(
        &c.organizations[0],
        &[member("200000000003", "web", Some("Web"))],
        &c.accounts,
        &uin_of(&c),
    );
    assert_eq!(m.accounts.len(), 1);
    let a = &m.accounts[0];
    assert_eq!(a.name, "web");
    assert_eq!(a.uin.as_deref(), Some("200000000003"));
    assert_eq!(a.regions, vec!["ap-shanghai"]);
    assert_eq!(a.tags["org"], "corp");
    assert_eq!(a.tags["org_node"], "Web");
    assert_eq!(a.tags["env"], "prod");
    match &a.credentials {
        CredentialSpec::Role { arn, source } => {
            assert_eq!(
                arn.to_string(),
                "qcs::cam::uin/200000000003:roleName/OrganizationAccessControlRole"
            );
            assert_eq!(*source, 0, "the management account's keys");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn configured_accounts_and_the_management_account_win_by_uin() {
    let c = config();
    let m = merge(
        &c.organizations[0],
        &[
            member("100000000001", "corp-management", None),
            member("200000000002", "Payments team", None),
            member("200000000003", "web", None),
        ],
        &c.accounts,
        &uin_of(&c),
    );
    assert_eq!(m.accounts.len(), 1, "only the new member");
    assert_eq!(m.fates[0].1, Fate::Configured("org-management".into()));
    assert_eq!(m.fates[1].1, Fate::Configured("payments".into()));
    assert_eq!(m.fates[2].1, Fate::Kept("web".into()));
}

#[test]
fn shared_names_get_the_uin_and_selectors_exclude() {
    let c = config();
    let m = merge(
        &c.organizations[0],
        &[
            member("200000000004", "web", None),
            member("200000000005", "web", None),
            member("200000000006", "payments", None),
            member("200000000007", "sandbox-1", None),
            member("200000000008", "", None),
            member("200000000004", "web", None),
        ],
        &c.accounts,
        &uin_of(&c),
    );
    let names: Vec<&str> = m.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "web (200000000004)",
            "web (200000000005)",
            "payments (200000000006)",
            "member 200000000008"
        ],
        "a name a configured account has gets the UIN too"
    );
    assert_eq!(
        m.fates[3].1,
        Fate::Excluded("excluded by `name:sandbox-*`".into())
    );
    assert_eq!(m.fates.len(), 5, "a member listed twice counts once");
}

#[test]
fn the_runs_selection_keeps_members_by_their_names_and_tags_and_knows_configured_ones() {
    let c = config();
    let selection = crate::config::Selection::parse(
        &["web".into(), "payments".into(), "org_node=Ops".into()],
        &["uin:200000000006".into()],
    )
    .unwrap();
    let uins = uin_of(&c);
    let mut merger =
        Merger::new(&c.organizations[0], &c.accounts, &uins).selecting(&selection, &c.accounts);
    for m in [
        member("200000000002", "Payments team", Some("Ops")),
        member("200000000004", "web", None),
        member("200000000005", "web", None),
        member("200000000007", "payments", None),
        member("200000000006", "ops-1", Some("Ops")),
        member("200000000008", "db", None),
    ] {
        merger.push(&m);
    }
    let m = merger.finish();
    let names: Vec<&str> = m.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["web (200000000004)", "web (200000000005)"],
        "both members named web; `payments` names the configured account"
    );
    let fates: Vec<&Fate> = m.fates.iter().map(|(_, f)| f).collect();
    assert_eq!(*fates[0], Fate::Configured("payments".into()));
    assert_eq!(
        *fates[3],
        Fate::Excluded("not selected: matches no --only selector".into())
    );
    assert_eq!(
        *fates[4],
        Fate::Excluded("not selected: --exclude uin:200000000006".into())
    );
    assert_eq!(m.known.len(), 1);
    assert_eq!(m.known[0].0, 1, "the configured account's index");
    let tags = org_tags(&c.organizations[0], &m.known[0].1);
    assert_eq!(tags["org"], "corp");
    assert_eq!(tags["org_node"], "Ops");
}
