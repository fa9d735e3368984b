//! The accounts file and the validated [`Config`] the rest of the runner
//! uses: this module owns the public types and the order of the stages;
//! `raw` holds the file as written, `keys` rejects unknown keys,
//! `validate` checks each value and `locate` turns spans into positions.
//!
//! Nothing here calls the API. Credential *sources* are described here; they
//! are resolved (environment, files) by `execute` at run time or checked by
//! [`Config::check_credentials`] for `tcss-report validate`.

mod fail_on;
pub mod history;
mod keys;
mod locate;
pub mod location;
pub mod notify;
mod organizations;
pub mod pushgateway;
mod raw;
pub mod selection;
pub mod selector;
#[cfg(test)]
mod tests;
mod validate;
pub use validate::group_keys;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tcapi::credentials::{Env, RoleArn, Source};

use crate::calls::Call;
use crate::model::{AccountInfo, RegionScope};
use locate::{LineIndex, Problems};
use raw::RawConfig;
pub use selection::{Picked, Selection};
pub use validate::collect;

/// Default TCSS endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://tcss.tencentcloudapi.com";
/// Default STS endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.tencentcloudapi.com";
/// Default region list.
pub const DEFAULT_REGION: &str = "ap-guangzhou";
/// Default endpoint of the `organization` API.
pub const DEFAULT_ORGANIZATION_ENDPOINT: &str = "https://organization.tencentcloudapi.com";
/// Default role a member is reached through.
pub const DEFAULT_ORGANIZATION_ROLE: &str = "OrganizationAccessControlRole";
/// Default session name used for `AssumeRole`.
pub const DEFAULT_SESSION_NAME: &str = "tcss-report";

/// Regions where Tencent Cloud offers its API (a region outside this list
/// only warns: new regions appear).
pub const KNOWN_REGIONS: &[&str] = &[
    "ap-guangzhou",
    "ap-shanghai",
    "ap-beijing",
    "ap-chengdu",
    "ap-chongqing",
    "ap-nanjing",
    "ap-shanghai-fsi",
    "ap-shenzhen-fsi",
    "ap-beijing-fsi",
    "ap-hongkong",
    "ap-singapore",
    "ap-bangkok",
    "ap-jakarta",
    "ap-seoul",
    "ap-tokyo",
    "ap-mumbai",
    "na-siliconvalley",
    "na-ashburn",
    "na-toronto",
    "eu-frankfurt",
    "eu-moscow",
    "sa-saopaulo",
];

/// A configuration problem, located in the file where possible.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read: missing, not a regular file (a FIFO, a
    /// device such as `/dev/zero`, a folder), too large, or an OS error. The
    /// message names the file and gives the OS's words once.
    #[error(transparent)]
    Read(tcapi::files::FileError),
    /// One or more problems, each located.
    #[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Problem>),
}

/// One located problem (error or warning).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// File path as given.
    pub path: String,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, col)) => write!(f, "{}:{line}:{col}: {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// Run-wide settings (`[defaults]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Defaults {
    /// TCSS endpoint URL.
    pub endpoint: String,
    /// STS endpoint URL.
    pub sts_endpoint: String,
    /// Region sent with STS calls.
    pub sts_region: String,
    /// Extra trusted root certificates (PEM), resolved against the config's folder.
    pub ca_file: Option<PathBuf>,
    /// Allow plain `http` to non-loopback hosts.
    pub allow_insecure_http: bool,
    /// Regions queried for accounts without their own list.
    pub regions: Vec<String>,
    /// Requests in flight, all accounts together.
    pub concurrency: usize,
    /// `DescribeImageAuthorizedInfo` requests per second per account.
    pub rate_limit: u32,
    /// `AssumeRole` requests per second per calling account.
    pub sts_rate_limit: u32,
    /// Per-attempt timeout, seconds.
    pub timeout_secs: u64,
    /// Attempts per query, first try included.
    pub max_attempts: u32,
    /// The whole run's deadline in seconds (0: none): when it passes, the
    /// run stops as if interrupted and writes what it has.
    pub run_timeout_secs: u64,
    /// How region answers combine.
    pub region_scope: RegionScope,
    /// `group_by`: the tag keys the accounts are rolled up by (chargeback
    /// groups), replaced by `--group-by`'s when given.
    pub group_by: Vec<String>,
    /// `RoleSessionName` for AssumeRole.
    pub role_session_name: String,
    /// `DurationSeconds` for AssumeRole.
    pub role_duration_secs: u32,
    /// `X-TC-Language`.
    pub language: String,
    /// Prometheus Pushgateway base URL the run's metrics are pushed to.
    pub pushgateway: Option<pushgateway::GatewayUrl>,
    /// `fail_on`: thresholds that make a run exit 4 (with `--fail-on`'s).
    pub fail_on: Vec<crate::thresholds::Threshold>,
    /// `history_key`: the name of the config's runs in the history (else
    /// its canonical path), so a moved file can keep its history.
    pub history_key: Option<String>,
    /// `collect`: the calls every account is asked, in [`Call::ALL`]'s
    /// order (`images`, `edition`, `auto_authorize`; default all three).
    pub collect: Vec<Call>,
    /// `csv_bom`: whether the CSV files start with a UTF-8 byte-order mark
    /// (default true: Excel on Windows then reads them as UTF-8).
    pub csv_bom: bool,
}

/// A numeric setting of `[defaults]`: its name, its default and the range
/// it may take (inclusive). The one table both [`Defaults::default`] and the
/// validation read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumericSetting {
    /// The key in `[defaults]`.
    pub name: &'static str,
    /// Used when the key is absent.
    pub default: i64,
    /// Smallest allowed value.
    pub min: i64,
    /// Largest allowed value.
    pub max: i64,
}

const fn setting(name: &'static str, default: i64, min: i64, max: i64) -> NumericSetting {
    NumericSetting {
        name,
        default,
        min,
        max,
    }
}

/// `concurrency`: requests in flight, all accounts together.
pub const CONCURRENCY: NumericSetting = setting("concurrency", 64, 1, 4096);
/// `rate_limit`: `DescribeImageAuthorizedInfo` per second per account.
pub const RATE_LIMIT: NumericSetting = setting("rate_limit", 20, 1, 10_000);
/// `sts_rate_limit`: `AssumeRole` per second per calling account.
pub const STS_RATE_LIMIT: NumericSetting = setting("sts_rate_limit", 600, 1, 100_000);
/// `timeout_secs`: per attempt.
pub const TIMEOUT_SECS: NumericSetting = setting("timeout_secs", 10, 1, 600);
/// `max_attempts`: per query, the first included.
pub const MAX_ATTEMPTS: NumericSetting = setting("max_attempts", 5, 1, 20);
/// `run_timeout_secs`: the whole run's deadline (0: none; at most a week).
pub const RUN_TIMEOUT_SECS: NumericSetting = setting("run_timeout_secs", 0, 0, 7 * 86_400);
/// `role_duration_secs`: `DurationSeconds` of `AssumeRole`.
pub const ROLE_DURATION_SECS: NumericSetting = setting(
    "role_duration_secs",
    3600,
    900,
    tcapi::credentials::MAX_ROLE_DURATION_SECS as i64,
);

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            endpoint: DEFAULT_ENDPOINT.to_string(),
            sts_endpoint: DEFAULT_STS_ENDPOINT.to_string(),
            sts_region: DEFAULT_REGION.to_string(),
            ca_file: None,
            allow_insecure_http: false,
            regions: vec![DEFAULT_REGION.to_string()],
            concurrency: CONCURRENCY.default as usize,
            rate_limit: RATE_LIMIT.default as u32,
            sts_rate_limit: STS_RATE_LIMIT.default as u32,
            timeout_secs: TIMEOUT_SECS.default as u64,
            max_attempts: MAX_ATTEMPTS.default as u32,
            run_timeout_secs: RUN_TIMEOUT_SECS.default as u64,
            region_scope: RegionScope::Account,
            group_by: Vec::new(),
            role_session_name: DEFAULT_SESSION_NAME.to_string(),
            role_duration_secs: ROLE_DURATION_SECS.default as u32,
            language: "en-US".to_string(),
            pushgateway: None,
            fail_on: Vec::new(),
            history_key: None,
            collect: Call::ALL.to_vec(),
            csv_bom: true,
        }
    }
}

/// Where an account's credentials come from.
#[derive(Debug, Clone, PartialEq)]
pub enum CredentialSpec {
    /// Long-term keys (or a token) from the environment, a profile, inline, or the default chain.
    Static(Source),
    /// Keys written in the config file itself (warned about).
    Inline {
        /// SecretId.
        secret_id: String,
        /// SecretKey.
        secret_key: tcapi::Secret,
    },
    /// STS AssumeRole with the credentials of another account.
    Role {
        /// The role.
        arn: RoleArn,
        /// Index of the source account.
        source: usize,
    },
}

/// One validated account.
#[derive(Debug, Clone)]
pub struct Account {
    /// Unique name.
    pub name: String,
    /// UIN if known (config or role ARN).
    pub uin: Option<String>,
    /// Credential source.
    pub credentials: CredentialSpec,
    /// Regions in configured order (never empty).
    pub regions: Vec<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// 1-based line of the account's `name` in the file.
    pub line: usize,
}

impl Account {
    /// The report's view of the account.
    pub fn info(&self) -> AccountInfo {
        AccountInfo {
            name: self.name.clone(),
            uin: self.uin.clone(),
            tags: self.tags.clone(),
            regions: self.regions.clone(),
        }
    }
}

/// One validated `[[organizations]]` table: whose members to discover and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    /// Unique name, shown in reports (the `org` tag of its members).
    pub name: String,
    /// Index of the management account in [`Config::accounts`].
    pub management: usize,
    /// The role a member is reached through: `qcs::cam::uin/<MemberUin>:roleName/<role_name>`.
    pub role_name: String,
    /// The `organization` API endpoint.
    pub endpoint: String,
    /// A member is kept when it matches any of these (or there are none)...
    pub include: Vec<selector::Selector>,
    /// ...and none of these.
    pub exclude: Vec<selector::Selector>,
    /// Regions queried for its members.
    pub regions: Vec<String>,
    /// 1-based line of its `name` in the file.
    pub line: usize,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file as given.
    pub path: PathBuf,
    /// Hex SHA-256 of the file's bytes.
    pub digest: String,
    /// Run-wide settings.
    pub defaults: Defaults,
    /// Accounts in file order.
    pub accounts: Vec<Account>,
    /// Organizations whose members are discovered, in file order.
    pub organizations: Vec<Organization>,
    /// Things worth a warning (unknown regions, inline secrets).
    pub warnings: Vec<Problem>,
    /// `[history]`: where runs are recorded.
    pub history: history::HistorySettings,
    /// `--only` and `--exclude` (empty: every account).
    pub selection: selection::Selection,
    /// Each configured account's place in the run ([`Config::accounts`]'
    /// order): all [`Picked::Yes`] without a selection.
    pub picked: Vec<Picked>,
    /// `[[notify]]`: where the run's summary is sent, in file order.
    pub notify: Vec<notify::NotifyEntry>,
}

impl Config {
    /// The settings of a command given no config file (`history --history
    /// DB`): every default, no account, no organization.
    pub fn without_file() -> Config {
        Config {
            path: PathBuf::new(),
            digest: String::new(),
            defaults: Defaults::default(),
            accounts: Vec::new(),
            organizations: Vec::new(),
            warnings: Vec::new(),
            history: history::HistorySettings {
                timeout_secs: history::HISTORY_TIMEOUT_SECS.0 as u64,
                ..history::HistorySettings::default()
            },
            selection: Selection::default(),
            picked: Vec::new(),
            notify: Vec::new(),
        }
    }

    /// Reads, parses and validates a config file. Only a regular file of at
    /// most [`tcapi::files::MAX_CONFIG_BYTES`] is read: a FIFO or a device is
    /// refused at once, never waited on.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let bytes = tcapi::files::read_regular_file(path, tcapi::files::MAX_CONFIG_BYTES)
            .map_err(ConfigError::Read)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            ConfigError::Invalid(vec![Problem {
                path: path.display().to_string(),
                position: None,
                message: format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
            }])
        })?;
        Config::parse(&text, path)
    }

    /// Parses and validates config text; `path` names it in messages and anchors relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let display = path.display().to_string();
        let lines = LineIndex::new(text);
        let mut problems = Problems::new(&display, &lines);
        // Every unknown key at once; the typed parse below stops at the first.
        if let Ok(shape) = toml::from_str::<keys::Shape>(text) {
            let unknown = keys::unknown(&problems, &shape);
            if !unknown.is_empty() {
                return Err(ConfigError::Invalid(unknown));
            }
        }
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            ConfigError::Invalid(vec![Problem {
                position: e.span().map(|s| lines.line_col(s.start)),
                // The parser gives no message for some errors (a lone `\r`).
                ..problems.unlocated(match e.message().trim() {
                    "" => "invalid TOML syntax",
                    m => m,
                })
            }])
        })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let defaults = validate::defaults(&mut problems, &raw.defaults, &base_dir);
        let accounts = validate::accounts(&mut problems, &raw.accounts, &defaults);
        let organizations =
            organizations::organizations(&mut problems, &raw.organizations, &accounts, &defaults);
        let history = history::history(&mut problems, &raw.history, &base_dir);
        let notify = notify::notify(&mut problems, &raw.notify);
        let warnings = problems.finish()?;
        Ok(Config {
            path: path.to_path_buf(),
            digest: hex::encode(Sha256::digest(text.as_bytes())),
            defaults,
            picked: vec![Picked::Yes; accounts.len()],
            accounts,
            organizations,
            warnings,
            history,
            selection: Selection::default(),
            notify,
        })
    }

    /// Checks that every static credential source resolves now (environment
    /// variables set, profile files readable), without calling the API.
    /// Returns one problem per account that fails, naming the account and line.
    pub fn check_credentials(&self, env: &dyn Env) -> Vec<Problem> {
        let mut out = Vec::new();
        for a in &self.accounts {
            if let CredentialSpec::Static(source) = &a.credentials {
                if let Err(e) = source.resolve(env) {
                    out.push(Problem {
                        path: self.path.display().to_string(),
                        position: Some((a.line, 1)),
                        message: format!("account `{}`: {e}", a.name),
                    });
                }
            }
        }
        out
    }

    /// The name of this config's runs in the history: `[defaults]
    /// history_key`, else the file's canonical path (as given when it
    /// cannot be resolved).
    pub fn history_key(&self) -> String {
        match &self.defaults.history_key {
            Some(key) => key.clone(),
            None => std::fs::canonicalize(&self.path)
                .unwrap_or_else(|_| self.path.clone())
                .display()
                .to_string(),
        }
    }

    /// `--only` alone: [`Config::select_with`] without `--exclude`.
    #[cfg(test)]
    pub fn select(&mut self, only: &[String]) -> Result<(), String> {
        self.select_with(only, &[])
    }

    /// Applies `--only` and `--exclude` ([`selection`]) before any call:
    /// keeps the organizations whose members a selector may pick, decides
    /// each configured account ([`Config::picked`]: selected, not, or once
    /// discovery has learned its UIN and organization tags), and keeps
    /// only the accounts the run may need: those not left out, the source
    /// accounts their roles need and the kept organizations' management
    /// accounts (these two for their credentials; they are reported only
    /// if selected). A selector that can match nothing is an error naming
    /// it.
    pub fn select_with(&mut self, only: &[String], exclude: &[String]) -> Result<(), String> {
        let selection = Selection::parse(only, exclude)?;
        if selection.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = self.accounts.iter().map(|a| a.name.as_str()).collect();
        let kept_orgs: Vec<bool> = self
            .organizations
            .iter()
            .map(|o| selection.may_select_members_of(&o.name, &names))
            .collect();
        let picked: Vec<Picked> = (0..self.accounts.len())
            .map(|i| self.pick(&selection, i, &kept_orgs))
            .collect();
        self.unmatched(&selection)?;
        let mut keep: Vec<bool> = picked.iter().map(|p| *p != Picked::No).collect();
        for (o, kept) in self.organizations.iter().zip(&kept_orgs) {
            keep[o.management] |= *kept;
        }
        for i in 0..keep.len() {
            if !keep[i] {
                continue;
            }
            let mut cur = i;
            while let CredentialSpec::Role { source, .. } = &self.accounts[cur].credentials {
                keep[*source] = true;
                cur = *source;
            }
        }
        let mut kept = kept_orgs.iter();
        self.organizations
            .retain(|_| *kept.next().unwrap_or(&false));
        self.retain_accounts(&keep);
        self.picked = picked
            .into_iter()
            .zip(&keep)
            .filter_map(|(p, k)| k.then_some(p))
            .collect();
        self.selection = selection;
        Ok(())
    }

    /// Configured account `i`'s decision; `kept_orgs`: the organizations
    /// discovery will list.
    fn pick(&self, selection: &Selection, i: usize, kept_orgs: &[bool]) -> Picked {
        let a = &self.accounts[i];
        let kept = self
            .organizations
            .iter()
            .zip(kept_orgs)
            .filter_map(|(o, k)| k.then_some(o));
        // An account belongs to one organization at most; the management
        // account to the one it manages, which lists it among its members:
        // its `org` tag is known now.
        let own = self.organizations.iter().find(|o| o.management == i);
        let may_join: Vec<&str> = match own {
            Some(own) => kept
                .filter(|o| o.name == own.name)
                .map(|o| o.name.as_str())
                .collect(),
            None => kept.map(|o| o.name.as_str()).collect(),
        };
        let mut tags = a.tags.clone();
        if let Some(own) = own {
            tags.entry("org".into()).or_insert_with(|| own.name.clone());
        }
        let view = selection::View {
            names: &[a.name.as_str()],
            uin: a.uin.as_deref(),
            tags: &tags,
        };
        selection.pick(&view, &may_join)
    }

    /// The error naming every selector that can match neither a configured
    /// account nor a member of a configured organization.
    fn unmatched(&self, selection: &Selection) -> Result<(), String> {
        let org_names: Vec<&str> = self.organizations.iter().map(|o| o.name.as_str()).collect();
        let names: Vec<&str> = self.accounts.iter().map(|a| a.name.as_str()).collect();
        let can_match = |s: &selection::RunSelector| {
            let one = Selection {
                only: vec![s.clone()],
                exclude: Vec::new(),
            };
            let configured = (0..self.accounts.len()).any(|i| {
                let a = &self.accounts[i];
                let view = selection::View {
                    names: &[a.name.as_str()],
                    uin: a.uin.as_deref(),
                    tags: &a.tags,
                };
                one.pick(&view, &org_names) != Picked::No
            });
            configured
                || org_names
                    .iter()
                    .any(|o| one.may_select_members_of(o, &names))
        };
        let mut missing: Vec<String> = Vec::new();
        for (flag, list) in [("only", &selection.only), ("exclude", &selection.exclude)] {
            let bad: Vec<String> = list
                .iter()
                .filter(|s| !can_match(s))
                .map(|s| s.to_string())
                .collect();
            if !bad.is_empty() {
                missing.push(format!("--{flag} {}", bad.join(", ")));
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{}: no account or organization has that name or tag",
            missing.join("; ")
        ))
    }

    /// Keeps the accounts `keep` marks, the role sources and management
    /// indexes renumbered.
    fn retain_accounts(&mut self, keep: &[bool]) {
        let mut new_index = vec![usize::MAX; self.accounts.len()];
        let mut accounts = Vec::new();
        for (i, a) in self.accounts.iter().enumerate() {
            if keep[i] {
                new_index[i] = accounts.len();
                accounts.push(a.clone());
            }
        }
        for a in &mut accounts {
            if let CredentialSpec::Role { source, .. } = &mut a.credentials {
                *source = new_index[*source];
            }
        }
        for o in &mut self.organizations {
            o.management = new_index[o.management];
        }
        self.accounts = accounts;
    }
}
