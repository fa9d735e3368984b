//! The deterministic fleet generator: realistic accounts, license data and
//! edge cases from a seed. The same seed gives the same fleet on every
//! machine: randomness comes from `ChaCha8Rng` seeded with
//! SHA-256(`"tcss-sim"`, seed, key), never from std's `DefaultHasher`.

use chrono::{Duration, NaiveDate};
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::{
    FaultKind, Faults, Fleet, KeyPair, OrgFaults, OrgMember, Organization, Role, Settings,
    SimAccount,
};

mod edition;

pub use edition::sample_account_answers;

/// The reference day for quota end dates ("expiring soon" is relative to it).
pub const REFERENCE_DATE: (i32, u32, u32) = (2026, 11, 26);

/// The role name the generator gives member accounts (Tencent Organization's default).
pub const MEMBER_ROLE: &str = "OrganizationAccessControlRole";

/// Options of [`Fleet::generate`].
#[derive(Debug, Clone, PartialEq)]
pub struct GenOptions {
    /// Seed; the same options always give the same fleet.
    pub seed: u64,
    /// Number of accounts.
    pub accounts: usize,
    /// Regions the accounts answer in (and where per-region disagreement is placed).
    pub regions: Vec<String>,
    /// Share of accounts that are members reached by `AssumeRole` from a
    /// management account (the rest have long-term keys). Default 0.75.
    pub role_fraction: f64,
    /// Base latency of every account, ms.
    pub latency_ms: u64,
    /// Jitter of every account, ms.
    pub jitter_ms: u64,
    /// Share of accounts given random transient first-N faults
    /// (internal_error, http502, malformed_json or reset; never hang). Default 0.
    pub fault_fraction: f64,
    /// How many of the accounts with keys manage members: members trust the
    /// first `k` of them in turn (`Some(1)`: one management account assumes
    /// a role in every member, the usual organization). `None`: all of them.
    pub management_accounts: Option<usize>,
    /// Put every account into one organization of this name, managed by the
    /// first account with keys (implies `management_accounts = Some(1)`; the
    /// other key accounts get the member role too). Member Names, departments
    /// (`NodeName`), tags, one shared Name and some `null` fields are seeded
    /// from the seed and the organization's name. Default `None`.
    pub organization: Option<String>,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            seed: 1,
            accounts: 20,
            regions: vec!["ap-guangzhou".to_owned()],
            role_fraction: 0.75,
            latency_ms: 0,
            jitter_ms: 0,
            fault_fraction: 0.0,
            management_accounts: None,
            organization: None,
        }
    }
}

/// The kinds of license data the generator produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    Normal,
    TrialOnly,
    NoLicenses,
    FullyUsed,
    OverUsed,
    MissingInquire,
    NullFields,
    ExtraFields,
}

/// Edge cases every generated fleet of at least [`EDGE_MIN_ACCOUNTS`] accounts contains.
const FORCED: &[Profile] = &[
    Profile::NoLicenses,
    Profile::FullyUsed,
    Profile::OverUsed,
    Profile::MissingInquire,
    Profile::NullFields,
    Profile::ExtraFields,
];

/// Fleets at least this large are guaranteed to contain every edge case
/// (no licenses, fully used, over-used, missing `ImageScanInquireInfo`, null
/// fields, unknown fields and, with two or more regions, disagreeing regions).
pub const EDGE_MIN_ACCOUNTS: usize = 12;

const TEAMS: &[&str] = &[
    "payments",
    "search",
    "ads",
    "data",
    "ml",
    "web",
    "mobile",
    "infra",
    "security",
    "billing",
    "crm",
    "logistics",
    "games",
    "media",
    "iot",
    "risk",
];
const ENVS: &[&str] = &["prod", "staging", "dev", "test"];
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A ChaCha8 generator for `(seed, key)`, identical on every platform.
pub(crate) fn rng_for(seed: u64, key: &str) -> ChaCha8Rng {
    let mut h = Sha256::new();
    h.update(b"tcss-sim\0");
    h.update(seed.to_le_bytes());
    h.update(key.as_bytes());
    ChaCha8Rng::from_seed(h.finalize().into())
}

/// UIN derived deterministically from a name (12 digits, starting with 1..9).
pub fn uin_for(seed: u64, name: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"tcss-sim-uin\0");
    h.update(seed.to_le_bytes());
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    let n = u64::from_le_bytes(b) % 900_000_000_000 + 100_000_000_000;
    n.to_string()
}

/// Deterministic realistic license data for one account: the same `(seed, key)`
/// gives the same data on every machine. About 5% have no licenses at all;
/// some are fully used or over-used, miss `ImageScanInquireInfo`, carry null
/// or unknown extra fields.
pub fn sample_license_data(seed: u64, key: &str) -> Map<String, Value> {
    let mut rng = rng_for(seed, key);
    let profile = pick_profile(&mut rng);
    license_data(&mut rng, profile)
}

fn pick_profile(rng: &mut ChaCha8Rng) -> Profile {
    match rng.gen_range(0u32..100) {
        0..=4 => Profile::NoLicenses,
        5..=10 => Profile::FullyUsed,
        11..=16 => Profile::OverUsed,
        17..=26 => Profile::MissingInquire,
        27..=31 => Profile::NullFields,
        32..=39 => Profile::ExtraFields,
        40..=47 => Profile::TrialOnly,
        _ => Profile::Normal,
    }
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    // u32 index: the same sequence on 32- and 64-bit targets.
    let len = u32::try_from(items.len()).unwrap_or(u32::MAX).max(1);
    let i = rng.gen_range(0..len) as usize;
    &items[i.min(items.len().saturating_sub(1))]
}

fn random_string(rng: &mut ChaCha8Rng, charset: &[u8], len: usize) -> String {
    (0..len).map(|_| char::from(*pick(rng, charset))).collect()
}

fn license_data(rng: &mut ChaCha8Rng, profile: Profile) -> Map<String, Value> {
    let (trial, purchased): (i64, i64) = match profile {
        Profile::NoLicenses => (0, 0),
        Profile::TrialOnly => (*pick(rng, &[10, 20, 50, 100]), 0),
        _ => {
            let trial = *pick(rng, &[0, 0, 0, 10, 50, 100]);
            let purchased = rng.gen_range(1i64..=490) * 10;
            (trial, purchased)
        }
    };
    let total = trial + purchased;
    let used = match profile {
        Profile::NoLicenses => 0,
        Profile::FullyUsed => total,
        Profile::OverUsed => total + rng.gen_range(1..=(total / 5).max(1)),
        _ => rng.gen_range(0..=total),
    };
    let used_trial = used.min(trial);
    let used_purchased = used - used_trial;
    let (scanned, not_scanned) = if profile == Profile::NoLicenses {
        (0, rng.gen_range(0i64..=40))
    } else {
        (rng.gen_range(0..=used + 50), rng.gen_range(0i64..=400))
    };
    let not_scanned_local = rng.gen_range(0..=not_scanned);
    let repeat = rng.gen_range(0..=scanned / 8);
    let can_apply_free = profile == Profile::NoLicenses || (trial == 0 && rng.gen_bool(0.4));

    let mut m = Map::new();
    m.insert("TotalAuthorizedCnt".into(), json!(total));
    m.insert("UsedAuthorizedCnt".into(), json!(used));
    m.insert("ScannedImageCnt".into(), json!(scanned));
    m.insert("NotScannedImageCnt".into(), json!(not_scanned));
    m.insert("NotScannedLocalImageCnt".into(), json!(not_scanned_local));
    m.insert("TrialAuthorizedCnt".into(), json!(trial));
    m.insert("UsedTrialAuthorizedCnt".into(), json!(used_trial));
    m.insert("PurchasedAuthorizedCnt".into(), json!(purchased));
    m.insert("UsedPurchasedAuthorizedCnt".into(), json!(used_purchased));
    m.insert("CanApplyFreeImageAuthorize".into(), json!(can_apply_free));
    m.insert("RepeatImageIdCnt".into(), json!(repeat));
    if !matches!(profile, Profile::MissingInquire | Profile::NoLicenses) {
        m.insert(
            "ImageScanInquireInfo".into(),
            inquire_info(rng, trial, purchased),
        );
    }
    match profile {
        Profile::NullFields => {
            let candidates = [
                "NotScannedLocalImageCnt",
                "RepeatImageIdCnt",
                "CanApplyFreeImageAuthorize",
                "UsedTrialAuthorizedCnt",
                "ImageScanInquireInfo.EndTime",
                "ImageScanInquireInfo.Useage",
                "ImageScanInquireInfo.PurchaseStatus",
            ];
            let n = rng.gen_range(1u32..=3);
            for _ in 0..n {
                let field = *pick::<&str>(rng, &candidates);
                set_null(&mut m, field);
            }
            // Always at least one top-level null, so the case is visible to every reader.
            m.insert("RepeatImageIdCnt".into(), Value::Null);
        }
        Profile::ExtraFields => {
            m.insert("RiskImageCnt".into(), json!(rng.gen_range(0i64..=200)));
            m.insert(
                "ScanStatus".into(),
                json!(*pick(rng, &["Normal", "Scanning", "Stopped"])),
            );
            m.insert(
                "AuthorizedDetail".into(),
                json!({"Edition": *pick(rng, &["Professional", "Flagship"]), "AutoRenew": rng.gen_bool(0.5)}),
            );
            if let Some(Value::Object(q)) = m.get_mut("ImageScanInquireInfo") {
                q.insert("IsAutoRenew".into(), json!(rng.gen_bool(0.5)));
            }
        }
        _ => {}
    }
    m
}

fn set_null(m: &mut Map<String, Value>, path: &str) {
    match path.split_once('.') {
        None => {
            m.insert(path.to_owned(), Value::Null);
        }
        Some((outer, inner)) => match m.get_mut(outer) {
            Some(Value::Object(o)) => {
                o.insert(inner.to_owned(), Value::Null);
            }
            // No such object (missing ImageScanInquireInfo): null the whole field.
            _ => {
                m.insert(outer.to_owned(), Value::Null);
            }
        },
    }
}

fn inquire_info(rng: &mut ChaCha8Rng, trial: i64, purchased: i64) -> Value {
    let (y, mo, d) = REFERENCE_DATE;
    let reference = NaiveDate::from_ymd_opt(y, mo, d).unwrap_or_default();
    // Expiring within 30 days, far in the future, or already past.
    let bucket = rng.gen_range(0u32..100);
    let offset_days: i64 = match bucket {
        0..=24 => rng.gen_range(1..=30),
        25..=79 => rng.gen_range(60..=900),
        _ => -rng.gen_range(1..=400),
    };
    let end = reference + Duration::days(offset_days);
    let term_days = *pick(rng, &[30i64, 90, 180, 365, 365, 730]);
    let start = end - Duration::days(term_days);
    let clock = *pick(rng, &["00:00:00", "23:59:59", "10:30:00"]);
    let capacity: i64 = if purchased == 0 {
        trial * 10
    } else {
        *pick(rng, &[1_000, 5_000, 10_000, 50_000, 100_000])
    };
    let usage = rng.gen_range(0..=capacity + capacity / 5);
    let pay_usage = usage.min(capacity - trial * 10).max(0);
    let status = if offset_days < 0 {
        *pick(rng, &["Isolate", "Expired"])
    } else if purchased == 0 {
        "Pending"
    } else {
        "Normal"
    };
    json!({
        "InquireKey": random_string(rng, b"0123456789abcdef", 32),
        "Capcity": capacity,
        "Useage": usage,
        "StartTime": format!("{} {clock}", start.format("%Y-%m-%d")),
        "EndTime": format!("{} {clock}", end.format("%Y-%m-%d")),
        "PurchaseStatus": status,
        "ResourceID": format!("tcss-{}", random_string(rng, b"abcdefghijklmnopqrstuvwxyz0123456789", 8)),
        "PayNum": purchased,
        "TrialNum": trial,
        "PayUsage": pay_usage,
    })
}

/// Overrides that make one region disagree with the account-wide data.
fn disagreeing(rng: &mut ChaCha8Rng, base: &Map<String, Value>) -> Map<String, Value> {
    let get = |k: &str| base.get(k).and_then(Value::as_i64).unwrap_or(0);
    let mut over = Map::new();
    over.insert(
        "UsedAuthorizedCnt".into(),
        json!(get("UsedAuthorizedCnt") + rng.gen_range(1i64..=25)),
    );
    over.insert(
        "ScannedImageCnt".into(),
        json!(get("ScannedImageCnt") + rng.gen_range(1i64..=40)),
    );
    over
}

/// An account's faults: the latency of every account, and for
/// `fault_fraction` of them (drawn from `main`) 1 to 3 first calls of a
/// transient fault.
fn account_faults(opts: &GenOptions, main: &mut ChaCha8Rng) -> Faults {
    let mut faults = Faults {
        latency_ms: opts.latency_ms,
        jitter_ms: opts.jitter_ms,
        ..Faults::default()
    };
    if opts.fault_fraction > 0.0 && main.gen_bool(opts.fault_fraction.clamp(0.0, 1.0)) {
        faults.first_n = main.gen_range(1u32..=3);
        faults.first_kind = Some(*pick(
            main,
            &[
                FaultKind::InternalError,
                FaultKind::Http502,
                FaultKind::MalformedJson,
                FaultKind::Reset,
            ],
        ));
    }
    faults
}

fn key_pair(rng: &mut ChaCha8Rng) -> KeyPair {
    KeyPair {
        secret_id: format!("AKID{}", random_string(rng, ALNUM, 32)),
        secret_key: random_string(rng, ALNUM, 32),
    }
}

impl Fleet {
    /// A realistic fleet: management accounts with long-term keys and member
    /// accounts reachable only through `AssumeRole` of [`MEMBER_ROLE`] trusted
    /// by one management account. Fleets of at least [`EDGE_MIN_ACCOUNTS`]
    /// contain every edge case. Deterministic in `opts`.
    pub fn generate(opts: &GenOptions) -> Fleet {
        let seed = opts.seed;
        let n = opts.accounts;
        let mut main = rng_for(seed, "\0fleet");
        let fraction = if opts.role_fraction.is_finite() {
            opts.role_fraction.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let mut members = ((n as f64) * fraction).round() as usize;
        if n > 0 && members >= n {
            members = n - 1;
        }
        let managers = n - members;

        let mut settings = Settings::default();
        for r in &opts.regions {
            if !settings.regions.contains(r) {
                settings.regions.push(r.clone());
            }
        }

        // Profiles: drawn per account, then the edge cases are forced onto
        // distinct random accounts so every large-enough fleet has them all.
        let names: Vec<String> = (0..n)
            .map(|i| {
                if i < managers {
                    format!("org-mgmt-{:02}", i + 1)
                } else {
                    let team = TEAMS[(i - managers) % TEAMS.len()];
                    let env = ENVS[((i - managers) / TEAMS.len()) % ENVS.len()];
                    format!("{team}-{env}-{:03}", i - managers + 1)
                }
            })
            .collect();
        let mut forced: Vec<Option<Profile>> = vec![None; n];
        let mut disagree = vec![false; n];
        if n >= EDGE_MIN_ACCOUNTS {
            let mut order: Vec<usize> = (0..n).collect();
            // Fisher-Yates with u64 ranges (platform independent).
            for i in (1..n).rev() {
                let j = main.gen_range(0..=i as u64) as usize;
                order.swap(i, j);
            }
            for (slot, p) in order.iter().zip(FORCED) {
                forced[*slot] = Some(*p);
            }
            if opts.regions.len() >= 2 {
                disagree[order[FORCED.len()]] = true;
            }
        }
        if opts.regions.len() >= 2 {
            for d in disagree.iter_mut() {
                if main.gen_bool(0.1) {
                    *d = true;
                }
            }
        }

        let mut used_uins = std::collections::BTreeSet::new();
        let mut accounts: Vec<SimAccount> = Vec::with_capacity(n);
        for (i, name) in names.iter().enumerate() {
            let mut rng = rng_for(seed, name);
            let profile = match forced[i] {
                Some(p) => p,
                None => pick_profile(&mut rng),
            };
            let data = license_data(&mut rng, profile);
            let mut uin = uin_for(seed, name);
            let mut salt = 0u32;
            while !used_uins.insert(uin.clone()) {
                salt += 1;
                uin = uin_for(seed, &format!("{name}#{salt}"));
            }
            let mut region_data = std::collections::BTreeMap::new();
            if disagree[i] && opts.regions.len() >= 2 {
                let region = pick(&mut rng, &opts.regions[1..]).clone();
                region_data.insert(region, disagreeing(&mut rng, &data));
            }
            let faults = account_faults(opts, &mut main);
            let (keys, roles) = if i < managers {
                (vec![key_pair(&mut rng)], Vec::new())
            } else {
                let management = match opts.organization {
                    Some(_) => Some(1),
                    None => opts.management_accounts,
                };
                let trusted = management.map_or(managers, |k| k.clamp(1, managers.max(1)));
                let manager = &accounts[(i - managers) % trusted.max(1)];
                (
                    Vec::new(),
                    vec![Role {
                        name: MEMBER_ROLE.to_owned(),
                        trusted: vec![manager.uin.clone()],
                    }],
                )
            };
            accounts.push(SimAccount {
                uin,
                name: Some(name.clone()),
                keys,
                roles,
                regions: None,
                data,
                region_data,
                answers: sample_account_answers(seed, name),
                faults,
            });
        }
        if let Some(org) = &opts.organization {
            join_organization(seed, org, &mut accounts, &mut settings);
        }
        Fleet { settings, accounts }
    }
}

/// Every account joins organization `name`, managed by the first account;
/// the key accounts get the member role too.
fn join_organization(seed: u64, name: &str, accounts: &mut [SimAccount], settings: &mut Settings) {
    let Some(management) = accounts.first().map(|a| a.uin.clone()) else {
        return;
    };
    for a in accounts.iter_mut().skip(1).filter(|a| a.roles.is_empty()) {
        a.roles.push(Role {
            name: MEMBER_ROLE.to_owned(),
            trusted: vec![management.clone()],
        });
    }
    settings
        .organizations
        .push(organization_of(seed, name, accounts));
}

/// One organization of every account, managed by the first (see [`GenOptions::organization`]).
fn organization_of(seed: u64, name: &str, accounts: &[SimAccount]) -> Organization {
    let mut rng = rng_for(seed, &format!("\0organization\0{name}"));
    let node_base = rng.gen_range(10_000i64..90_000) * 10;
    let cost_centers: Vec<u32> = TEAMS.iter().map(|_| rng.gen_range(10..100)).collect();
    let (y, mo, d) = REFERENCE_DATE;
    let reference = NaiveDate::from_ymd_opt(y, mo, d).unwrap_or_default();
    let mut members: Vec<OrgMember> = accounts
        .iter()
        .map(|a| {
            let label = a.name.clone().unwrap_or_else(|| a.uin.clone());
            let mut parts = label.splitn(3, '-');
            let team = parts.next().unwrap_or_default();
            let env = parts.next().unwrap_or_default();
            let days = rng.gen_range(30i64..=1500);
            let mut m = OrgMember {
                uin: a.uin.clone(),
                name: label.clone(),
                create_time: Some(format!(
                    "{} 10:00:00",
                    (reference - Duration::days(days)).format("%Y-%m-%d")
                )),
                ..OrgMember::default()
            };
            if let Some(t) = TEAMS.iter().position(|t| *t == team) {
                m.node_id = node_base + t as i64 + 1;
                m.node_name = Some(team.to_owned());
                m.tags.insert("env".into(), env.to_owned());
                m.tags
                    .insert("cost_center".into(), format!("cc-{}", cost_centers[t]));
            } else {
                m.node_id = node_base;
            }
            if rng.gen_bool(0.05) {
                m.null_fields = vec!["Remark".into(), "PayName".into()];
            }
            m
        })
        .collect();
    // Edge cases of larger organizations: two members with one Name, a
    // member with null OrgIdentity and Tags.
    if members.len() >= EDGE_MIN_ACCOUNTS {
        let last = members.len() - 1;
        let a = rng.gen_range(1..last as u64) as usize;
        members[a + 1].name = members[a].name.clone();
        let c = rng.gen_range(1..=last as u64) as usize;
        members[c].null_fields = vec!["OrgIdentity".into(), "Tags".into(), "Remark".into()];
    }
    Organization {
        name: name.to_owned(),
        management_uin: accounts.first().map(|a| a.uin.clone()).unwrap_or_default(),
        members,
        faults: OrgFaults::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uin_is_twelve_digits_and_stable() {
        let u = uin_for(7, "payments-prod");
        assert_eq!(u.len(), 12);
        assert!(u.bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(u.as_bytes()[0], b'0');
        assert_eq!(u, uin_for(7, "payments-prod"));
        assert_ne!(u, uin_for(8, "payments-prod"));
        assert_ne!(u, uin_for(7, "payments-dev"));
    }

    #[test]
    fn sample_is_deterministic_and_key_dependent() {
        assert_eq!(sample_license_data(3, "a"), sample_license_data(3, "a"));
        let distinct: std::collections::BTreeSet<String> = (0..20)
            .map(|i| Value::Object(sample_license_data(3, &format!("k{i}"))).to_string())
            .collect();
        assert!(distinct.len() > 15);
    }

    #[test]
    fn used_splits_into_trial_and_purchased() {
        for i in 0..200 {
            let m = sample_license_data(11, &format!("acct{i}"));
            let g = |k: &str| m.get(k).and_then(Value::as_i64);
            if let (Some(t), Some(p), Some(tot)) = (
                g("TrialAuthorizedCnt"),
                g("PurchasedAuthorizedCnt"),
                g("TotalAuthorizedCnt"),
            ) {
                assert_eq!(t + p, tot);
            }
            if let (Some(u), Some(ut), Some(up)) = (
                g("UsedAuthorizedCnt"),
                g("UsedTrialAuthorizedCnt"),
                g("UsedPurchasedAuthorizedCnt"),
            ) {
                assert_eq!(ut + up, u);
            }
        }
    }

    #[test]
    fn generated_members_trust_a_manager() {
        let f = Fleet::generate(&GenOptions {
            accounts: 8,
            ..GenOptions::default()
        });
        assert_eq!(f.accounts.len(), 8);
        let managers: Vec<&SimAccount> = f.accounts.iter().filter(|a| !a.keys.is_empty()).collect();
        assert_eq!(managers.len(), 2);
        for a in f.accounts.iter().filter(|a| a.keys.is_empty()) {
            assert_eq!(a.roles.len(), 1);
            assert!(managers
                .iter()
                .any(|m| a.roles[0].trusted == vec![m.uin.clone()]));
        }
        f.validate().expect("generated fleet is valid");
    }

    #[test]
    fn an_organization_of_every_account() {
        let opts = GenOptions {
            accounts: 40,
            organization: Some("corp".into()),
            ..GenOptions::default()
        };
        let f = Fleet::generate(&opts);
        f.validate().expect("generated fleet is valid");
        assert_eq!(f, Fleet::generate(&opts), "deterministic");
        let [org] = f.organizations() else {
            panic!("one organization")
        };
        assert_eq!(org.name, "corp");
        assert_eq!(org.management_uin, f.accounts[0].uin);
        assert!(!f.accounts[0].keys.is_empty());
        let uins: Vec<&str> = org.members.iter().map(|m| m.uin.as_str()).collect();
        let all: Vec<&str> = f.accounts.iter().map(|a| a.uin.as_str()).collect();
        assert_eq!(uins, all, "every account, the management account first");
        for a in &f.accounts[1..] {
            assert_eq!(a.roles[0].trusted, vec![org.management_uin.clone()]);
        }
        let names: std::collections::BTreeSet<&str> =
            org.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names.len(), org.members.len() - 1, "one shared Name");
        assert!(org.members.iter().any(|m| !m.null_fields.is_empty()));
        let payments = org
            .members
            .iter()
            .find(|m| m.name.starts_with("payments-"))
            .expect("a payments member");
        assert_eq!(payments.node_name.as_deref(), Some("payments"));
        assert!(payments.tags.contains_key("env"));
        let other = Fleet::generate(&GenOptions {
            organization: Some("other".into()),
            ..opts
        });
        assert_ne!(
            other.organizations()[0].members[1].node_id,
            org.members[1].node_id,
            "seeded from the organization's name"
        );
    }

    #[test]
    fn one_management_account_manages_every_member() {
        let f = Fleet::generate(&GenOptions {
            accounts: 40,
            management_accounts: Some(1),
            ..GenOptions::default()
        });
        let keyed: Vec<&SimAccount> = f.accounts.iter().filter(|a| !a.keys.is_empty()).collect();
        assert_eq!(keyed.len(), 10, "key accounts are still a quarter");
        let members: Vec<&SimAccount> = f.accounts.iter().filter(|a| a.keys.is_empty()).collect();
        assert_eq!(members.len(), 30);
        for m in members {
            assert_eq!(m.roles[0].trusted, vec![keyed[0].uin.clone()]);
        }
        f.validate().expect("generated fleet is valid");
    }
}
