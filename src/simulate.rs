//! `run --simulate`: builds a simulator fleet that mirrors the config's
//! accounts (same names, UINs, roles and trust), seeded so the same config
//! gives the same data (image licenses, editions, cores, the automatic
//! authorization rule) on every run and machine, and starts it in-process
//! on a loopback port.

use std::collections::{BTreeMap, HashMap};

use sha2::{Digest, Sha256};
use tcapi::credentials::Env;
use tcapi::Credentials;
use tcss_sim::{Faults, Fleet, KeyPair, Role, SimAccount, SimHandle};

use crate::config::{Config, CredentialSpec};

/// The seed of every simulated run: data depends only on account names.
pub const SEED: u64 = 20_201_101;

/// A running in-process simulator and what the run needs to use it.
#[derive(Debug)]
pub struct Simulated {
    /// The server (its URL and counters).
    pub handle: SimHandle,
    /// Demo credentials for accounts whose credential source is not set up here.
    pub overrides: HashMap<usize, Credentials>,
    /// Names of the accounts using demo credentials.
    pub demo_accounts: Vec<String>,
}

/// Deterministic demo keys for an account name.
pub fn demo_credentials(name: &str) -> Credentials {
    let digest = hex::encode(Sha256::digest(
        format!("tcss-report demo {name}").as_bytes(),
    ));
    Credentials::new(
        format!("AKIDdemo{}", &digest[..28]),
        format!("demo{}", &digest[28..60]),
    )
}

/// What the simulated fleet knows of one configured account: its UIN and,
/// for an account with keys, the keys it signs with and whether they are
/// demo keys.
struct Identity {
    uin: String,
    keys: Option<(Credentials, bool)>,
}

/// The UIN and keys of every configured account. Static accounts whose
/// credentials resolve in `env` (without a token) keep them, the others get
/// demo keys; accounts whose sources are the same share their keys, and
/// accounts that sign with the same keys are one simulated account (one
/// UIN), as they would be for real (two key pairs of one account are
/// counted once by the run, not refused here). A UIN written in the config
/// wins; an account whose written UIN differs from the one its keys already
/// belong to gets demo keys of its own.
fn identities(config: &Config, env: &dyn Env) -> Vec<Identity> {
    let mut uin_of_key: HashMap<String, String> = HashMap::new();
    let mut demo_of_source: HashMap<String, Credentials> = HashMap::new();
    let mut out = Vec::with_capacity(config.accounts.len());
    for a in &config.accounts {
        let mut keys = match &a.credentials {
            CredentialSpec::Role { .. } => None,
            CredentialSpec::Inline {
                secret_id,
                secret_key,
            } => Some((
                Credentials::new(secret_id.clone(), secret_key.clone()),
                false,
            )),
            CredentialSpec::Static(source) => Some(match source.resolve(env) {
                Ok(c) if c.token.is_none() => (c, false),
                // Temporary credentials cannot be registered with the simulator.
                _ => {
                    let demo = demo_of_source
                        .entry(source.describe())
                        .or_insert_with(|| demo_credentials(&a.name));
                    (demo.clone(), true)
                }
            }),
        };
        let known = keys
            .as_ref()
            .and_then(|(c, _)| uin_of_key.get(&c.secret_id).cloned());
        let uin = a
            .uin
            .clone()
            .or_else(|| known.clone())
            .unwrap_or_else(|| tcss_sim::uin_for(SEED, &a.name));
        if known.is_some_and(|k| k != uin) {
            keys = Some((demo_credentials(&a.name), true));
        }
        if let Some((c, _)) = &keys {
            uin_of_key.insert(c.secret_id.clone(), uin.clone());
        }
        out.push(Identity { uin, keys });
    }
    out
}

/// Builds the fleet for `config`: one simulated account per UIN
/// (`identities`), with the keys the run signs with (the demo ones are
/// returned as overrides) and the roles the config assumes.
pub fn fleet_for(
    config: &Config,
    env: &dyn Env,
) -> (Fleet, HashMap<usize, Credentials>, Vec<String>) {
    let mut fleet = Fleet {
        settings: Default::default(),
        accounts: Vec::new(),
    };
    let mut by_uin: HashMap<String, usize> = HashMap::new();
    let mut overrides = HashMap::new();
    let mut demo = Vec::new();
    let ids = identities(config, env);
    for (i, (a, id)) in config.accounts.iter().zip(&ids).enumerate() {
        let slot = *by_uin.entry(id.uin.clone()).or_insert_with(|| {
            fleet.accounts.push(SimAccount {
                uin: id.uin.clone(),
                name: Some(a.name.clone()),
                keys: Vec::new(),
                roles: Vec::new(),
                regions: None,
                data: tcss_sim::sample_license_data(SEED, &a.name),
                region_data: BTreeMap::new(),
                answers: tcss_sim::sample_account_answers(SEED, &a.name),
                faults: Faults {
                    latency_ms: 20,
                    jitter_ms: 10,
                    ..Faults::default()
                },
            });
            fleet.accounts.len() - 1
        });
        let sim = &mut fleet.accounts[slot];
        if let CredentialSpec::Role { arn, source } = &a.credentials {
            let trusted = ids[*source].uin.clone();
            match sim.roles.iter_mut().find(|r| r.name == arn.role_name) {
                Some(r) if !r.trusted.contains(&trusted) => r.trusted.push(trusted),
                Some(_) => {}
                None => sim.roles.push(Role {
                    name: arn.role_name.clone(),
                    trusted: vec![trusted],
                }),
            }
        }
        if let Some((creds, is_demo)) = &id.keys {
            if *is_demo {
                demo.push(a.name.clone());
                overrides.insert(i, creds.clone());
            }
            if !sim.keys.iter().any(|k| k.secret_id == creds.secret_id) {
                sim.keys.push(KeyPair {
                    secret_id: creds.secret_id.clone(),
                    secret_key: creds.secret_key.expose().to_string(),
                });
            }
        }
    }
    let uins: Vec<String> = ids.into_iter().map(|id| id.uin).collect();
    add_organizations(&mut fleet, config, &uins);
    (fleet, overrides, demo)
}

/// The config of an organization fleet: each management account with its
/// keys and one `[[organizations]]` table; every member is discovered.
fn organization_config(
    fleet: &Fleet,
    endpoint: &str,
    name_of: &dyn Fn(&SimAccount) -> String,
) -> String {
    let mut out = String::new();
    for org in fleet.organizations() {
        let Some(m) = fleet.account(&org.management_uin) else {
            continue;
        };
        out.push_str("\n[[accounts]]\n");
        out.push_str(&format!("name = {}\n", toml_string(&name_of(m))));
        if let Some(k) = m.keys.first() {
            out.push_str(&format!(
                "secret_id = {}\nsecret_key = {}\n",
                toml_string(&k.secret_id),
                toml_string(&k.secret_key)
            ));
        }
        out.push_str("\n[[organizations]]\n");
        out.push_str(&format!(
            "name = {}\nmanagement_account = {}\nendpoint = {}\n",
            toml_string(&org.name),
            toml_string(&name_of(m)),
            toml_string(endpoint)
        ));
    }
    out
}

/// Seeded member names and departments of a simulated organization.
const MEMBER_NAMES: &[(&str, &str)] = &[
    ("web-shop", "Web"),
    ("ml-training", "Data"),
    ("mobile-backend", "Web"),
    ("billing-core", "Payments"),
    ("security-tools", "Security"),
    ("search", "Web"),
    ("iot-edge", "Devices"),
];

/// Each `[[organizations]]` of the config becomes an organization of the
/// fleet: its management account and the configured role accounts it
/// assumes roles in, listed among its members as the real API lists them,
/// four to seven more members seeded from the organization's name (the
/// same members on every machine) and a sandbox, each with the role the config names
/// trusting the management account.
fn add_organizations(fleet: &mut Fleet, config: &Config, uins: &[String]) {
    for org in &config.organizations {
        let management_uin = uins[org.management].clone();
        let digest = Sha256::digest(format!("tcss-report org {}", org.name).as_bytes());
        let count = 4 + usize::from(digest[0] % 4);
        let mut members = vec![org_member(
            &management_uin,
            &config.accounts[org.management].name,
            None,
            "prod",
        )];
        for (i, a) in config.accounts.iter().enumerate() {
            if matches!(&a.credentials, CredentialSpec::Role { source, .. } if *source == org.management)
            {
                members.push(org_member(&uins[i], &a.name, None, "prod"));
            }
        }
        // A sandbox in every organization, for `exclude` selectors to leave out.
        let seeded = MEMBER_NAMES
            .iter()
            .cycle()
            .skip(usize::from(digest[1]) % MEMBER_NAMES.len())
            .take(count)
            .chain(std::iter::once(&("sandbox-dev", "Sandbox")));
        for (i, (name, node)) in seeded.enumerate() {
            let uin = tcss_sim::uin_for(SEED, &format!("{}/{name}/{i}", org.name));
            let env = if name.contains("dev") { "dev" } else { "prod" };
            members.push(org_member(&uin, name, Some(node), env));
            fleet.accounts.push(SimAccount {
                uin,
                name: Some(format!("{}-{name}", org.name)),
                keys: Vec::new(),
                roles: vec![Role {
                    name: org.role_name.clone(),
                    trusted: vec![management_uin.clone()],
                }],
                regions: None,
                data: tcss_sim::sample_license_data(SEED, &format!("{}/{name}", org.name)),
                region_data: BTreeMap::new(),
                answers: tcss_sim::sample_account_answers(SEED, &format!("{}/{name}", org.name)),
                faults: Faults {
                    latency_ms: 20,
                    jitter_ms: 10,
                    ..Faults::default()
                },
            });
        }
        fleet.settings.organizations.push(tcss_sim::Organization {
            name: org.name.clone(),
            management_uin,
            members,
            faults: tcss_sim::OrgFaults::default(),
        });
    }
}

fn org_member(uin: &str, name: &str, node: Option<&str>, env: &str) -> tcss_sim::OrgMember {
    tcss_sim::OrgMember {
        uin: uin.to_string(),
        name: name.to_string(),
        node_id: 0,
        node_name: node.map(str::to_string),
        tags: BTreeMap::from([("env".to_string(), env.to_string())]),
        remark: None,
        create_time: None,
        null_fields: Vec::new(),
    }
}

/// Builds the fleet and starts the simulator on `127.0.0.1:0`.
pub async fn start(config: &Config, env: &dyn Env) -> std::io::Result<Simulated> {
    let (fleet, overrides, demo_accounts) = fleet_for(config, env);
    let handle = tcss_sim::spawn(fleet, "127.0.0.1:0").await?;
    Ok(Simulated {
        handle,
        overrides,
        demo_accounts,
    })
}

fn toml_string(s: &str) -> String {
    // serde's TOML string encoding (quotes and escapes).
    toml::Value::String(s.to_string()).to_string()
}

/// An accounts config matching a (generated) fleet: accounts with keys use
/// them inline (benchmark and demo fleets only: these keys exist nowhere
/// else), role accounts assume their first role from the first trusted
/// account that has keys. With `omit_key_uins`, accounts with keys have no
/// `uin` (as in most real configs), so a run learns it with `GetCallerIdentity`.
pub fn config_for_fleet(
    fleet: &Fleet,
    endpoint: &str,
    regions: &[String],
    omit_key_uins: bool,
) -> String {
    let mut out = String::new();
    out.push_str("# Generated by `tcss-report sim --generate`: matches the generated fleet.\n");
    out.push_str("[defaults]\n");
    out.push_str(&format!(
        "endpoint = {}\nsts_endpoint = {}\n",
        toml_string(endpoint),
        toml_string(endpoint)
    ));
    let list: Vec<String> = regions.iter().map(|r| toml_string(r)).collect();
    out.push_str(&format!("regions = [{}]\n", list.join(", ")));
    let name_of = |a: &SimAccount| a.name.clone().unwrap_or_else(|| format!("uin-{}", a.uin));
    if !fleet.organizations().is_empty() {
        out.push_str(&organization_config(fleet, endpoint, &name_of));
        return out;
    }
    let keyed: HashMap<&str, String> = fleet
        .accounts
        .iter()
        .filter(|a| !a.keys.is_empty())
        .map(|a| (a.uin.as_str(), name_of(a)))
        .collect();
    for a in &fleet.accounts {
        out.push_str("\n[[accounts]]\n");
        out.push_str(&format!("name = {}\n", toml_string(&name_of(a))));
        // Accounts with keys learn their UIN with GetCallerIdentity when it is left out.
        if !omit_key_uins || a.keys.is_empty() {
            out.push_str(&format!("uin = {}\n", toml_string(&a.uin)));
        }
        if let Some(k) = a.keys.first() {
            out.push_str(&format!(
                "secret_id = {}\nsecret_key = {}\n",
                toml_string(&k.secret_id),
                toml_string(&k.secret_key)
            ));
        } else if let Some((role, source)) = a.roles.iter().find_map(|r| {
            r.trusted
                .iter()
                .find_map(|t| keyed.get(t.as_str()))
                .map(|s| (r, s))
        }) {
            out.push_str(&format!(
                "role_arn = {}\nsource_account = {}\n",
                toml_string(&format!("qcs::cam::uin/{}:roleName/{}", a.uin, role.name)),
                toml_string(source)
            ));
        }
    }
    out
}
