//! The fleet: the simulated accounts (UINs, keys, roles, per-region response
//! data, faults) and the server-wide settings, with TOML load/save and
//! validation. The deterministic generator lives in [`generate`], the
//! organizations (`[[organizations]]`) in [`organization`].
//!
//! TOML has no `null`, so inside `data` and `region_data` the string `"$null"`
//! stands for a JSON `null` (see [`NULL_SENTINEL`]); it is converted on load
//! and written back on save, so a fleet round-trips exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub mod generate;
pub mod organization;

pub use generate::{
    sample_account_answers, sample_license_data, uin_for, GenOptions, EDGE_MIN_ACCOUNTS,
    MEMBER_ROLE, REFERENCE_DATE,
};
pub use organization::{OrgFaults, OrgMember, Organization, MEMBER_FIELDS};

/// The string that stands for JSON `null` in the `data` and `region_data`
/// tables of a fleet file (TOML cannot express `null`).
pub const NULL_SENTINEL: &str = "$null";

/// The regions the simulator supports unless the fleet's `settings.regions` says otherwise.
pub const DEFAULT_REGIONS: &[&str] = &[
    "ap-guangzhou",
    "ap-shanghai",
    "ap-beijing",
    "ap-chengdu",
    "ap-chongqing",
    "ap-nanjing",
    "ap-hongkong",
    "ap-singapore",
    "ap-bangkok",
    "ap-jakarta",
    "ap-seoul",
    "ap-tokyo",
    "ap-mumbai",
    "na-siliconvalley",
    "na-ashburn",
    "eu-frankfurt",
    "sa-saopaulo",
];

/// Errors loading, saving or validating a fleet.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// The fleet file could not be read.
    #[error("cannot read fleet file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The TOML is malformed or does not match the fleet schema (unknown keys included).
    #[error("{}:{line}:{column}: {message}", file.as_deref().map(|p| p.display().to_string()).unwrap_or_else(|| "<fleet>".to_owned()))]
    Parse {
        /// The file, if the fleet came from one.
        file: Option<PathBuf>,
        /// 1-based line (0 when the parser gave no position).
        line: usize,
        /// 1-based column, in characters (0 when the parser gave no position).
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// The fleet could not be written as TOML.
    #[error("cannot serialize fleet: {0}")]
    Serialize(String),
    /// The fleet parsed but is inconsistent (duplicate UIN, unknown region...).
    #[error("invalid fleet: {0}")]
    Invalid(String),
    /// Like [`FleetError::Invalid`], at a known place of the fleet file
    /// (organization errors found by [`Fleet::load`]).
    #[error("{}:{line}:{column}: invalid fleet: {message}", file.display())]
    InvalidAt {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

/// A whole simulated estate: server settings (organizations included) plus accounts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(from = "FleetFile", into = "FleetFile")]
pub struct Fleet {
    /// Server-wide settings, with the organizations.
    pub settings: Settings,
    /// The accounts.
    pub accounts: Vec<SimAccount>,
}

/// The fleet file's layout: `[settings]`, `[[accounts]]`, `[[organizations]]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FleetFile {
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    accounts: Vec<SimAccount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    organizations: Vec<Organization>,
}

impl From<FleetFile> for Fleet {
    fn from(f: FleetFile) -> Fleet {
        let mut settings = f.settings;
        settings.organizations = f.organizations;
        Fleet {
            settings,
            accounts: f.accounts,
        }
    }
}

impl From<Fleet> for FleetFile {
    fn from(f: Fleet) -> FleetFile {
        let mut settings = f.settings;
        let organizations = std::mem::take(&mut settings.organizations);
        FleetFile {
            settings,
            accounts: f.accounts,
            organizations,
        }
    }
}

/// Server-wide settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// `DescribeImageAuthorizedInfo` requests allowed per (account, any sliding second). Default 20.
    pub tcss_rate_limit: u32,
    /// `AssumeRole` requests allowed per (calling account, any sliding second). Default 600.
    pub sts_rate_limit: u32,
    /// Regions TCSS answers in; others get `UnsupportedRegion`. Default: [`DEFAULT_REGIONS`].
    pub regions: Vec<String>,
    /// Largest `DurationSeconds` accepted by `AssumeRole`. Default 43200.
    pub max_role_duration_secs: u32,
    /// `DescribeOrganizationMembers` requests allowed per (calling account, any sliding second). Default 20.
    pub organization_rate_limit: u32,
    /// The organizations. In the fleet file they are top-level
    /// `[[organizations]]` tables, not part of `[settings]`; they live here so
    /// that `Fleet { settings, accounts }` literals need no new field.
    #[serde(skip)]
    pub organizations: Vec<Organization>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            tcss_rate_limit: 20,
            sts_rate_limit: 600,
            regions: DEFAULT_REGIONS.iter().map(|r| (*r).to_owned()).collect(),
            max_role_duration_secs: 43_200,
            organization_rate_limit: 20,
            organizations: Vec::new(),
        }
    }
}

/// One simulated Tencent Cloud account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimAccount {
    /// The account UIN (digits).
    pub uin: String,
    /// A label, for humans only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Long-term API keys of this account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<KeyPair>,
    /// CAM roles in this account that other accounts may assume.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    /// Regions where TCSS answers for this account; `None` = every supported region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<String>>,
    /// The `DescribeImageAuthorizedInfo` Response fields, returned verbatim (plus `RequestId`).
    #[serde(default, with = "null_map")]
    pub data: Map<String, Value>,
    /// Per-region overrides, shallow-merged over `data` (top-level keys replace).
    #[serde(
        default,
        with = "null_region_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub region_data: BTreeMap<String, Map<String, Value>>,
    /// The `Response` fields of the account-wide TCSS actions
    /// (`DescribePurchaseStateInfo`, ...), by action name, returned verbatim
    /// (plus `RequestId`); an action without an entry gets the simulator's
    /// default answer.
    #[serde(
        default,
        with = "null_region_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub answers: BTreeMap<String, Map<String, Value>>,
    /// Faults injected for this account.
    #[serde(default, skip_serializing_if = "Faults::is_none")]
    pub faults: Faults,
}

/// A long-term API key pair.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPair {
    /// `AKID...`.
    pub secret_id: String,
    /// The secret key.
    pub secret_key: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// A CAM role that can be assumed with STS `AssumeRole`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Role name, as in `qcs::cam::uin/<uin>:roleName/<name>`.
    pub name: String,
    /// UINs of the source accounts allowed to assume it.
    #[serde(default)]
    pub trusted: Vec<String>,
}

/// Faults injected for one account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Base latency added to every answer (every action, STS included), in ms.
    pub latency_ms: u64,
    /// Uniform random extra latency `0..=jitter_ms`, in ms.
    pub jitter_ms: u64,
    /// How many first calls per (account, region, action) answer `first_kind`.
    pub first_n: u32,
    /// The transient fault of the first `first_n` calls.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_kind: Option<FaultKind>,
    /// An error code every TCSS call answers (`DescribeImageAuthorizedInfo`
    /// and the account-wide actions; see `persistent_actions`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent_error: Option<String>,
    /// The message of `persistent_error` (default: a fitting sentence).
    /// Any text, control characters included: hostile-server tests use it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent_message: Option<String>,
    /// Like a misconfigured gateway, every error answer of this account
    /// copies the request's headers (`Authorization`, `X-TC-Token`, ...) into
    /// its message: a client must not store or log them.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub echo_headers: bool,
    /// Restrict `persistent_error` to these regions (`None` = all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent_regions: Option<Vec<String>>,
    /// Restrict `persistent_error` to these TCSS actions (`None` = all).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent_actions: Option<Vec<String>>,
    /// A lower rate limit for this account's TCSS actions (each its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<u32>,
    /// This account's server clock is off by this many seconds (Date header and skew check).
    pub clock_offset_secs: i64,
}

impl Faults {
    /// True when no fault is configured (used to keep saved fleets short).
    pub fn is_none(&self) -> bool {
        *self == Faults::default()
    }
}

/// A transient fault answered by the first `first_n` calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// HTTP 200 with error code `InternalError`.
    InternalError,
    /// HTTP 502 with an HTML body (spelled `http502`; `http_502` is accepted too).
    #[serde(alias = "http_502")]
    Http502,
    /// HTTP 200 `application/json` whose body is truncated JSON.
    MalformedJson,
    /// The TCP connection is reset without any response.
    Reset,
    /// No answer until the server shuts down or the client gives up.
    Hang,
}

impl FaultKind {
    /// The pseudo error code counted for this fault (for non-API faults).
    pub fn counter_code(self) -> &'static str {
        match self {
            FaultKind::InternalError => "InternalError",
            FaultKind::Http502 => "Http502",
            FaultKind::MalformedJson => "MalformedJson",
            FaultKind::Reset => "Reset",
            FaultKind::Hang => "Hang",
        }
    }
}

impl Fleet {
    /// Parses a fleet from TOML (no file name in errors; see [`Fleet::load`]).
    pub fn from_toml_str(s: &str) -> Result<Fleet, FleetError> {
        parse(s, None)
    }

    /// Loads and validates a fleet file. Errors name the file, line and column.
    pub fn load(path: &Path) -> Result<Fleet, FleetError> {
        let text = std::fs::read_to_string(path).map_err(|source| FleetError::Io {
            path: path.to_owned(),
            source,
        })?;
        let fleet = parse(&text, Some(path))?;
        fleet.validate_accounts()?;
        organization::validate(&fleet).map_err(|p| {
            let site = organization::spans::locate(&text, p.site).or_else(|| {
                let org = match p.site {
                    organization::Site::Name(i)
                    | organization::Site::Management(i)
                    | organization::Site::Faults(i)
                    | organization::Site::MemberUin(i, _)
                    | organization::Site::MemberNulls(i, _) => i,
                };
                organization::spans::locate(&text, organization::Site::Name(org))
            });
            match site {
                Some(span) => {
                    let (line, column) = line_col(&text, span.start);
                    FleetError::InvalidAt {
                        file: path.to_owned(),
                        line,
                        column,
                        message: p.message,
                    }
                }
                None => FleetError::Invalid(p.message),
            }
        })?;
        Ok(fleet)
    }

    /// Writes the fleet as TOML (JSON `null` becomes `"$null"`).
    pub fn to_toml_string(&self) -> Result<String, FleetError> {
        toml::to_string_pretty(self).map_err(|e| FleetError::Serialize(e.to_string()))
    }

    /// Checks the fleet is consistent: UINs are digits and unique, secret ids
    /// unique and non-empty, rate limits positive, account regions supported,
    /// role names unique per account, persistent error codes non-empty, and
    /// the organizations (see [`Organization`]) consistent with the accounts.
    pub fn validate(&self) -> Result<(), FleetError> {
        self.validate_accounts()?;
        organization::validate(self).map_err(|p| FleetError::Invalid(p.message))
    }

    /// The organizations (top-level `[[organizations]]` in the fleet file).
    pub fn organizations(&self) -> &[Organization] {
        &self.settings.organizations
    }

    fn validate_accounts(&self) -> Result<(), FleetError> {
        let s = &self.settings;
        let invalid = |m: String| Err(FleetError::Invalid(m));
        if s.tcss_rate_limit == 0 || s.sts_rate_limit == 0 || s.organization_rate_limit == 0 {
            return invalid("settings: rate limits must be at least 1".into());
        }
        if s.regions.is_empty() {
            return invalid("settings.regions must not be empty".into());
        }
        if s.max_role_duration_secs == 0 {
            return invalid("settings.max_role_duration_secs must be at least 1".into());
        }
        let supported: BTreeSet<&str> = s.regions.iter().map(String::as_str).collect();
        let mut uins = BTreeSet::new();
        let mut ids = BTreeSet::new();
        for (i, a) in self.accounts.iter().enumerate() {
            let who = format!("accounts[{i}] (uin {:?})", a.uin);
            if a.uin.is_empty() || !a.uin.bytes().all(|b| b.is_ascii_digit()) || a.uin.len() > 20 {
                return invalid(format!("{who}: uin must be 1 to 20 digits"));
            }
            if !uins.insert(a.uin.as_str()) {
                return invalid(format!("{who}: duplicate uin"));
            }
            for k in &a.keys {
                if k.secret_id.is_empty() || k.secret_key.is_empty() {
                    return invalid(format!("{who}: empty secret_id or secret_key"));
                }
                if k.secret_id.contains(['/', ',', ' ']) {
                    return invalid(format!(
                        "{who}: secret_id {:?} contains '/', ',' or a space",
                        k.secret_id
                    ));
                }
                if !ids.insert(k.secret_id.as_str()) {
                    return invalid(format!("{who}: secret_id {:?} is used twice", k.secret_id));
                }
            }
            let mut role_names = BTreeSet::new();
            for r in &a.roles {
                if r.name.is_empty() || !role_names.insert(r.name.as_str()) {
                    return invalid(format!(
                        "{who}: role name {:?} is empty or duplicated",
                        r.name
                    ));
                }
            }
            let account_regions: Vec<&str> = match &a.regions {
                Some(list) => {
                    for r in list {
                        if !supported.contains(r.as_str()) {
                            return invalid(format!(
                                "{who}: region {r:?} is not in settings.regions"
                            ));
                        }
                    }
                    list.iter().map(String::as_str).collect()
                }
                None => s.regions.iter().map(String::as_str).collect(),
            };
            for r in a.region_data.keys() {
                if !account_regions.contains(&r.as_str()) {
                    return invalid(format!(
                        "{who}: region_data for {r:?}, where the account does not answer"
                    ));
                }
            }
            let f = &a.faults;
            if f.rate_limit == Some(0) {
                return invalid(format!("{who}: faults.rate_limit must be at least 1"));
            }
            if f.first_n > 0 && f.first_kind.is_none() {
                return invalid(format!(
                    "{who}: faults.first_n is set but faults.first_kind is not"
                ));
            }
            if let Some(code) = &f.persistent_error {
                if code.trim().is_empty() {
                    return invalid(format!("{who}: faults.persistent_error is empty"));
                }
            }
            if f.persistent_regions.is_some() && f.persistent_error.is_none() {
                return invalid(format!(
                    "{who}: faults.persistent_regions without faults.persistent_error"
                ));
            }
            validate_actions(a).map_err(|m| FleetError::Invalid(format!("{who}: {m}")))?;
        }
        Ok(())
    }

    /// The account with this UIN.
    pub fn account(&self, uin: &str) -> Option<&SimAccount> {
        self.accounts.iter().find(|a| a.uin == uin)
    }
}

/// `answers` names account-wide TCSS actions; `persistent_actions` names
/// TCSS actions, with `persistent_error` set.
fn validate_actions(a: &SimAccount) -> Result<(), String> {
    let account_wide = || {
        tcapi::tcss::ACTIONS
            .iter()
            .filter(|d| d.scope == tcapi::Scope::AccountWide)
            .map(|d| d.name)
    };
    for name in a.answers.keys() {
        if !account_wide().any(|n| n == name) {
            let known: Vec<&str> = account_wide().collect();
            return Err(format!(
                "answers.{name}: not an account-wide TCSS action (those are: {})",
                known.join(", ")
            ));
        }
    }
    let Some(names) = &a.faults.persistent_actions else {
        return Ok(());
    };
    if a.faults.persistent_error.is_none() {
        return Err("faults.persistent_actions without faults.persistent_error".into());
    }
    match names
        .iter()
        .find(|n| !tcapi::tcss::ACTIONS.iter().any(|d| d.name == n.as_str()))
    {
        Some(n) => Err(format!(
            "faults.persistent_actions: {n:?} is not a TCSS action"
        )),
        None => Ok(()),
    }
}

impl SimAccount {
    /// The response fields for one region: `data` with that region's overrides applied.
    pub fn data_for_region(&self, region: &str) -> Map<String, Value> {
        let mut out = self.data.clone();
        if let Some(over) = self.region_data.get(region) {
            for (k, v) in over {
                out.insert(k.clone(), v.clone());
            }
        }
        out
    }

    /// Whether TCSS answers for this account in `region` (given the supported list).
    pub fn answers_in(&self, region: &str, settings: &Settings) -> bool {
        settings.regions.iter().any(|r| r == region)
            && self
                .regions
                .as_ref()
                .is_none_or(|list| list.iter().any(|r| r == region))
    }
}

fn parse(text: &str, file: Option<&Path>) -> Result<Fleet, FleetError> {
    toml::from_str::<Fleet>(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|sp| line_col(text, sp.start))
            .unwrap_or((0, 0));
        FleetError::Parse {
            file: file.map(Path::to_owned),
            line,
            column,
            // The parser gives no message for some errors (a lone `\r`).
            message: match e.message().trim() {
                "" => "invalid TOML syntax".to_owned(),
                m => m.to_owned(),
            },
        }
    })
}

/// 1-based (line, column in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

fn to_sentinel(v: &Value) -> Value {
    match v {
        Value::Null => Value::String(NULL_SENTINEL.to_owned()),
        Value::Array(a) => Value::Array(a.iter().map(to_sentinel).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), to_sentinel(v))).collect())
        }
        other => other.clone(),
    }
}

fn from_sentinel(v: Value) -> Value {
    match v {
        Value::String(s) if s == NULL_SENTINEL => Value::Null,
        Value::Array(a) => Value::Array(a.into_iter().map(from_sentinel).collect()),
        Value::Object(m) => {
            Value::Object(m.into_iter().map(|(k, v)| (k, from_sentinel(v))).collect())
        }
        other => other,
    }
}

fn map_to_sentinel(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter().map(|(k, v)| (k.clone(), to_sentinel(v))).collect()
}

fn map_from_sentinel(m: Map<String, Value>) -> Map<String, Value> {
    m.into_iter().map(|(k, v)| (k, from_sentinel(v))).collect()
}

mod null_map {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::{Map, Value};

    pub fn serialize<S: Serializer>(m: &Map<String, Value>, s: S) -> Result<S::Ok, S::Error> {
        super::map_to_sentinel(m).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
        Map::<String, Value>::deserialize(d).map(super::map_from_sentinel)
    }
}

mod null_region_map {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::{Map, Value};

    pub fn serialize<S: Serializer>(
        m: &BTreeMap<String, Map<String, Value>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        m.iter()
            .map(|(k, v)| (k.clone(), super::map_to_sentinel(v)))
            .collect::<BTreeMap<_, _>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Map<String, Value>>, D::Error> {
        BTreeMap::<String, Map<String, Value>>::deserialize(d).map(|m| {
            m.into_iter()
                .map(|(k, v)| (k, super::map_from_sentinel(v)))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_chars() {
        let t = "a = 1\nbé = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(line_col(t, 9), (2, 3));
    }

    #[test]
    fn sentinel_round_trips_nested_nulls() {
        let v = serde_json::json!({"a": null, "b": {"c": null, "d": 1}, "e": [null, "x"]});
        let Value::Object(m) = v.clone() else {
            unreachable!()
        };
        let back = map_from_sentinel(map_to_sentinel(&m));
        assert_eq!(Value::Object(back), v);
        assert_eq!(
            map_to_sentinel(&m)["a"],
            Value::String(NULL_SENTINEL.into())
        );
    }
}
