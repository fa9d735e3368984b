//! The accounts file: parsing (unknown keys rejected with file, line and
//! column), validation (duplicate names, role sources and cycles, ARNs,
//! limits) and the validated [`Config`] the rest of the runner uses.
//!
//! Nothing here calls the API. Credential *sources* are described here; they
//! are resolved (environment, files) by `execute` at run time or checked by
//! [`Config::check_credentials`] for `tcss-report validate`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use tcapi::credentials::{Env, RoleArn, Source};
use toml::Spanned;

use crate::model::{AccountInfo, RegionScope};

/// Default TCSS endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://tcss.tencentcloudapi.com";
/// Default STS endpoint.
pub const DEFAULT_STS_ENDPOINT: &str = "https://sts.tencentcloudapi.com";
/// Default region list.
pub const DEFAULT_REGION: &str = "ap-guangzhou";
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
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    accounts: Vec<RawAccount>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    endpoint: Option<Spanned<String>>,
    sts_endpoint: Option<Spanned<String>>,
    sts_region: Option<String>,
    ca_file: Option<Spanned<String>>,
    allow_insecure_http: Option<bool>,
    regions: Option<Spanned<Vec<String>>>,
    concurrency: Option<Spanned<i64>>,
    rate_limit: Option<Spanned<i64>>,
    sts_rate_limit: Option<Spanned<i64>>,
    timeout_secs: Option<Spanned<i64>>,
    max_attempts: Option<Spanned<i64>>,
    region_scope: Option<RegionScope>,
    role_session_name: Option<Spanned<String>>,
    role_duration_secs: Option<Spanned<i64>>,
    language: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    name: Spanned<String>,
    uin: Option<Spanned<String>>,
    secret_id_env: Option<Spanned<String>>,
    secret_key_env: Option<Spanned<String>>,
    token_env: Option<Spanned<String>>,
    secret_id: Option<Spanned<String>>,
    secret_key: Option<Spanned<String>>,
    profile: Option<Spanned<String>>,
    role_arn: Option<Spanned<String>>,
    source_account: Option<Spanned<String>>,
    regions: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
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
    /// How region answers combine.
    pub region_scope: RegionScope,
    /// `RoleSessionName` for AssumeRole.
    pub role_session_name: String,
    /// `DurationSeconds` for AssumeRole.
    pub role_duration_secs: u32,
    /// `X-TC-Language`.
    pub language: String,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            endpoint: DEFAULT_ENDPOINT.to_string(),
            sts_endpoint: DEFAULT_STS_ENDPOINT.to_string(),
            sts_region: DEFAULT_REGION.to_string(),
            ca_file: None,
            allow_insecure_http: false,
            regions: vec![DEFAULT_REGION.to_string()],
            concurrency: 64,
            rate_limit: 20,
            sts_rate_limit: 600,
            timeout_secs: 10,
            max_attempts: 5,
            region_scope: RegionScope::Account,
            role_session_name: DEFAULT_SESSION_NAME.to_string(),
            role_duration_secs: 3600,
            language: "en-US".to_string(),
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
    /// Things worth a warning (unknown regions, inline secrets).
    pub warnings: Vec<Problem>,
}

/// Byte offsets where each line starts, so positions are found in
/// O(log lines) (a 10,000-account file asks once per account).
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// 1-based (line, column in characters) of a byte offset.
    fn line_col(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        (line, self.text[start..offset].chars().count() + 1)
    }
}

struct Located<'a> {
    path: &'a str,
    lines: &'a LineIndex<'a>,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl Located<'_> {
    fn at(&self, span: Range<usize>, message: impl Into<String>) -> Problem {
        Problem {
            path: self.path.to_string(),
            position: Some(self.lines.line_col(span.start)),
            message: message.into(),
        }
    }
    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        let p = self.at(span, message);
        self.errors.push(p);
    }
    fn warn(&mut self, span: Range<usize>, message: impl Into<String>) {
        let p = self.at(span, message);
        self.warnings.push(p);
    }
    fn positive(
        &mut self,
        v: &Option<Spanned<i64>>,
        name: &str,
        min: i64,
        max: i64,
        default: i64,
    ) -> i64 {
        match v {
            None => default,
            Some(s) if (min..=max).contains(s.get_ref()) => *s.get_ref(),
            Some(s) => {
                self.error(
                    s.span(),
                    format!(
                        "`{name}` must be between {min} and {max}, got {}",
                        s.get_ref()
                    ),
                );
                default
            }
        }
    }
}

fn check_regions(loc: &mut Located<'_>, regions: &Spanned<Vec<String>>) -> Vec<String> {
    let list = regions.get_ref();
    if list.is_empty() {
        loc.error(regions.span(), "`regions` must not be empty");
    }
    let mut seen = Vec::new();
    for r in list {
        if r.trim().is_empty() || !r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            loc.error(
                regions.span(),
                format!("`{r}` is not a region name (like ap-guangzhou)"),
            );
        } else if !KNOWN_REGIONS.contains(&r.as_str()) {
            loc.warn(
                regions.span(),
                format!("region `{r}` is not one this version knows; it will be queried anyway"),
            );
        }
        if seen.contains(r) {
            loc.error(regions.span(), format!("region `{r}` is listed twice"));
        } else {
            seen.push(r.clone());
        }
    }
    seen
}

fn check_url(loc: &mut Located<'_>, s: &Spanned<String>, name: &str, allow_insecure_http: bool) {
    if let Err(e) = tcapi::Endpoint::parse(s.get_ref(), allow_insecure_http) {
        loc.error(s.span(), format!("`{name}`: {e}"));
    }
}

fn env_name_ok(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Config {
    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
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
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let position = e.span().map(|s| LineIndex::new(text).line_col(s.start));
            ConfigError::Invalid(vec![Problem {
                path: display.clone(),
                position,
                // The parser gives no message for some errors (a lone `\r`).
                message: match e.message().trim() {
                    "" => "invalid TOML syntax".to_string(),
                    m => m.to_string(),
                },
            }])
        })?;
        let lines = LineIndex::new(text);
        let mut loc = Located {
            path: &display,
            lines: &lines,
            errors: Vec::new(),
            warnings: Vec::new(),
        };
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();

        let d = &raw.defaults;
        let mut defaults = Defaults {
            allow_insecure_http: d.allow_insecure_http.unwrap_or(false),
            ..Defaults::default()
        };
        if let Some(e) = &d.endpoint {
            check_url(&mut loc, e, "endpoint", defaults.allow_insecure_http);
            defaults.endpoint = e.get_ref().clone();
        }
        if let Some(e) = &d.sts_endpoint {
            check_url(&mut loc, e, "sts_endpoint", defaults.allow_insecure_http);
            defaults.sts_endpoint = e.get_ref().clone();
        }
        if let Some(r) = &d.sts_region {
            defaults.sts_region = r.clone();
        }
        if let Some(ca) = &d.ca_file {
            let p = base_dir.join(ca.get_ref());
            if !p.is_file() {
                loc.error(
                    ca.span(),
                    format!("`ca_file` {} does not exist or is not a file", p.display()),
                );
            }
            defaults.ca_file = Some(p);
        }
        if let Some(r) = &d.regions {
            defaults.regions = check_regions(&mut loc, r);
        }
        defaults.concurrency = loc.positive(&d.concurrency, "concurrency", 1, 4096, 64) as usize;
        defaults.rate_limit = loc.positive(&d.rate_limit, "rate_limit", 1, 10_000, 20) as u32;
        defaults.sts_rate_limit =
            loc.positive(&d.sts_rate_limit, "sts_rate_limit", 1, 100_000, 600) as u32;
        defaults.timeout_secs = loc.positive(&d.timeout_secs, "timeout_secs", 1, 600, 10) as u64;
        defaults.max_attempts = loc.positive(&d.max_attempts, "max_attempts", 1, 20, 5) as u32;
        defaults.role_duration_secs = loc.positive(
            &d.role_duration_secs,
            "role_duration_secs",
            900,
            i64::from(tcapi::credentials::MAX_ROLE_DURATION_SECS),
            3600,
        ) as u32;
        if let Some(scope) = d.region_scope {
            defaults.region_scope = scope;
        }
        if let Some(lang) = &d.language {
            defaults.language = lang.clone();
        }
        if let Some(s) = &d.role_session_name {
            if let Err(e) = tcapi::credentials::validate_session_name(s.get_ref()) {
                loc.error(s.span(), format!("`role_session_name`: {e}"));
            }
            defaults.role_session_name = s.get_ref().clone();
        }

        if raw.accounts.is_empty() {
            loc.errors.push(Problem {
                path: display.clone(),
                position: None,
                message: "no accounts: add at least one [[accounts]] table".into(),
            });
        }

        // Names first, so role sources can refer to accounts later in the file.
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, a) in raw.accounts.iter().enumerate() {
            let name = a.name.get_ref();
            if name.trim().is_empty() {
                loc.error(a.name.span(), "account `name` must not be empty");
            } else if let Some(&first) = index.get(name.as_str()) {
                let first_line = lines.line_col(raw.accounts[first].name.span().start).0;
                loc.error(
                    a.name.span(),
                    format!("duplicate account name `{name}` (first defined on line {first_line})"),
                );
            } else {
                index.insert(name.as_str(), i);
            }
        }

        let mut accounts = Vec::with_capacity(raw.accounts.len());
        for a in &raw.accounts {
            let name = a.name.get_ref().clone();
            let line = lines.line_col(a.name.span().start).0;
            let regions = match &a.regions {
                Some(r) => check_regions(&mut loc, r),
                None => defaults.regions.clone(),
            };
            let mut uin = None;
            if let Some(u) = &a.uin {
                let v = u.get_ref();
                if v.is_empty() || v.len() > 20 || !v.chars().all(|c| c.is_ascii_digit()) {
                    loc.error(
                        u.span(),
                        format!("account `{name}`: `uin` must be digits, got `{v}`"),
                    );
                }
                uin = Some(v.clone());
            }
            let kinds = [
                a.secret_id_env.is_some() || a.secret_key_env.is_some() || a.token_env.is_some(),
                a.secret_id.is_some() || a.secret_key.is_some(),
                a.profile.is_some(),
                a.role_arn.is_some() || a.source_account.is_some(),
            ];
            let credentials = if kinds.iter().filter(|k| **k).count() > 1 {
                loc.error(
                    a.name.span(),
                    format!(
                        "account `{name}`: choose one credential source: secret_id_env/secret_key_env, \
                         secret_id/secret_key, profile, or role_arn/source_account"
                    ),
                );
                None
            } else if kinds[0] {
                match (&a.secret_id_env, &a.secret_key_env) {
                    (Some(id), Some(key)) => {
                        for v in [Some(id), Some(key), a.token_env.as_ref()]
                            .into_iter()
                            .flatten()
                        {
                            if !env_name_ok(v.get_ref()) {
                                loc.error(
                                    v.span(),
                                    format!(
                                        "`{}` is not an environment variable name",
                                        v.get_ref()
                                    ),
                                );
                            }
                        }
                        Some(CredentialSpec::Static(Source::NamedEnv {
                            secret_id_env: id.get_ref().clone(),
                            secret_key_env: key.get_ref().clone(),
                            token_env: a.token_env.as_ref().map(|t| t.get_ref().clone()),
                        }))
                    }
                    _ => {
                        loc.error(
                            a.name.span(),
                            format!("account `{name}`: set both secret_id_env and secret_key_env"),
                        );
                        None
                    }
                }
            } else if kinds[1] {
                match (&a.secret_id, &a.secret_key) {
                    (Some(id), Some(key)) => {
                        loc.warn(
                            key.span(),
                            format!(
                                "account `{name}`: secret_key is written in the config file; \
                                 prefer secret_id_env/secret_key_env or a profile"
                            ),
                        );
                        Some(CredentialSpec::Inline {
                            secret_id: id.get_ref().clone(),
                            secret_key: tcapi::Secret::new(key.get_ref().clone()),
                        })
                    }
                    _ => {
                        loc.error(
                            a.name.span(),
                            format!("account `{name}`: set both secret_id and secret_key"),
                        );
                        None
                    }
                }
            } else if let Some(p) = &a.profile {
                let v = p.get_ref();
                if v.is_empty() || v.contains(['/', '\\']) || v.contains("..") {
                    loc.error(
                        p.span(),
                        format!("account `{name}`: `{v}` is not a profile name"),
                    );
                }
                Some(CredentialSpec::Static(Source::TccliProfile(v.clone())))
            } else if kinds[3] {
                match (&a.role_arn, &a.source_account) {
                    (Some(arn), Some(src)) => {
                        let parsed = RoleArn::parse(arn.get_ref());
                        let source = index.get(src.get_ref().as_str()).copied();
                        if source.is_none() {
                            loc.error(
                                src.span(),
                                format!("account `{name}`: source_account `{}` is not a configured account", src.get_ref()),
                            );
                        }
                        match parsed {
                            Err(e) => {
                                loc.error(arn.span(), format!("account `{name}`: {e}"));
                                None
                            }
                            Ok(arn_parsed) => {
                                if let Some(u) = &uin {
                                    if *u != arn_parsed.uin {
                                        loc.error(
                                            a.name.span(),
                                            format!(
                                                "account `{name}`: uin {u} differs from the role ARN's uin {}",
                                                arn_parsed.uin
                                            ),
                                        );
                                    }
                                }
                                uin = Some(arn_parsed.uin.clone());
                                source.map(|source| CredentialSpec::Role {
                                    arn: arn_parsed,
                                    source,
                                })
                            }
                        }
                    }
                    (Some(_), None) => {
                        loc.error(
                            a.name.span(),
                            format!("account `{name}`: role_arn needs source_account"),
                        );
                        None
                    }
                    _ => {
                        loc.error(
                            a.name.span(),
                            format!("account `{name}`: source_account needs role_arn"),
                        );
                        None
                    }
                }
            } else {
                Some(CredentialSpec::Static(Source::DefaultChain))
            };
            for (k, v) in &a.tags {
                if k.trim().is_empty() {
                    loc.error(a.name.span(), format!("account `{name}`: empty tag key"));
                }
                let _ = v;
            }
            accounts.push(Account {
                name,
                uin,
                credentials: credentials.unwrap_or(CredentialSpec::Static(Source::DefaultChain)),
                regions,
                tags: a.tags.clone(),
                line,
            });
        }

        // Role chains must end at an account with keys.
        for (i, a) in accounts.iter().enumerate() {
            let mut seen = vec![i];
            let mut cur = i;
            while let CredentialSpec::Role { source, .. } = &accounts[cur].credentials {
                if seen.contains(source) {
                    let chain: Vec<&str> = seen
                        .iter()
                        .chain([source])
                        .map(|&k| accounts[k].name.as_str())
                        .collect();
                    loc.error(
                        raw.accounts[i].name.span(),
                        format!(
                            "account `{}`: role sources form a cycle: {}",
                            a.name,
                            chain.join(" -> ")
                        ),
                    );
                    break;
                }
                seen.push(*source);
                cur = *source;
            }
        }

        if !loc.errors.is_empty() {
            return Err(ConfigError::Invalid(loc.errors));
        }
        Ok(Config {
            path: path.to_path_buf(),
            digest: hex::encode(Sha256::digest(text.as_bytes())),
            defaults,
            accounts,
            warnings: loc.warnings,
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

    /// Keeps only the accounts whose name or a tag (`key=value`, or a value) matches
    /// one of `filters`, plus the source accounts their roles need. Unknown
    /// filters are an error naming them.
    pub fn select(&mut self, filters: &[String]) -> Result<(), String> {
        if filters.is_empty() {
            return Ok(());
        }
        let matches = |a: &Account, f: &str| {
            a.name == f
                || a.tags.iter().any(|(k, v)| match f.split_once('=') {
                    Some((fk, fv)) => fk == k && fv == v,
                    None => v == f,
                })
        };
        let unmatched: Vec<&String> = filters
            .iter()
            .filter(|f| !self.accounts.iter().any(|a| matches(a, f)))
            .collect();
        if !unmatched.is_empty() {
            let list: Vec<&str> = unmatched.iter().map(|s| s.as_str()).collect();
            return Err(format!(
                "--only {}: no account has that name or tag",
                list.join(", ")
            ));
        }
        let selected: Vec<bool> = self
            .accounts
            .iter()
            .map(|a| filters.iter().any(|f| matches(a, f)))
            .collect();
        let mut keep = selected.clone();
        for (i, sel) in selected.iter().enumerate() {
            if *sel {
                let mut cur = i;
                while let CredentialSpec::Role { source, .. } = &self.accounts[cur].credentials {
                    keep[*source] = true;
                    cur = *source;
                }
            }
        }
        // Accounts kept only as role sources are still queried: their credentials are in use anyway.
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
        self.accounts = accounts;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    const GOOD: &str = r#"
[defaults]
regions = ["ap-guangzhou"]
concurrency = 8

[[accounts]]
name = "mgmt"
secret_id_env = "MGMT_ID"
secret_key_env = "MGMT_KEY"
regions = ["ap-guangzhou", "ap-shanghai"]
tags = { team = "platform" }

[[accounts]]
name = "member"
role_arn = "qcs::cam::uin/200000000001:roleName/Audit"
source_account = "mgmt"

[[accounts]]
name = "legacy"
profile = "legacy"
"#;

    #[test]
    fn parses_a_good_config() {
        let c = parse(GOOD).unwrap();
        assert_eq!(c.accounts.len(), 3);
        assert_eq!(c.defaults.concurrency, 8);
        assert_eq!(c.defaults.rate_limit, 20);
        assert_eq!(c.accounts[0].regions, vec!["ap-guangzhou", "ap-shanghai"]);
        assert_eq!(c.accounts[1].regions, vec!["ap-guangzhou"]);
        assert_eq!(c.accounts[1].uin.as_deref(), Some("200000000001"));
        assert!(matches!(
            c.accounts[1].credentials,
            CredentialSpec::Role { source: 0, .. }
        ));
        assert_eq!(
            c.accounts[2].credentials,
            CredentialSpec::Static(Source::TccliProfile("legacy".into()))
        );
        assert_eq!(c.accounts[0].line, 7);
        assert_eq!(c.digest.len(), 64);
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let e = err("[defaults]\nregions = [\"ap-guangzhou\"]\nconcurency = 3\n[[accounts]]\nname = \"a\"\n");
        assert!(e.starts_with("test.toml:3:1:"), "{e}");
        assert!(e.contains("concurency"), "{e}");
        let e = err("[[accounts]]\nname = \"a\"\nsecret_id_env = \"A\"\nsecret_key_env = \"B\"\n  colour = \"red\"\n");
        assert!(e.starts_with("test.toml:5:3:"), "{e}");
    }

    #[test]
    fn syntax_error_is_located() {
        let e = err("[[accounts]]\nname = \"a\nx\n");
        assert!(e.starts_with("test.toml:2:"), "{e}");
    }

    #[test]
    fn line_index_positions() {
        let idx = LineIndex::new("ab\nçd\n\nx");
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(2), (1, 3));
        assert_eq!(idx.line_col(3), (2, 1));
        assert_eq!(idx.line_col(5), (2, 2), "columns count characters");
        assert_eq!(idx.line_col(4), (2, 1), "inside a character: its start");
        assert_eq!(idx.line_col(7), (3, 1));
        assert_eq!(idx.line_col(8), (4, 1));
        assert_eq!(idx.line_col(99), (4, 2), "past the end: the end");
    }

    #[test]
    fn duplicate_names_are_rejected() {
        let e = err("[[accounts]]\nname = \"a\"\n[[accounts]]\nname = \"a\"\n");
        assert!(
            e.contains("test.toml:4:8: duplicate account name `a` (first defined on line 2)"),
            "{e}"
        );
    }

    #[test]
    fn role_source_must_exist_and_not_cycle() {
        let e = err(
            "[[accounts]]\nname = \"a\"\nrole_arn = \"qcs::cam::uin/100001:roleName/R\"\nsource_account = \"zzz\"\n",
        );
        assert!(
            e.contains(
                "test.toml:4:18: account `a`: source_account `zzz` is not a configured account"
            ),
            "{e}"
        );
        let e = err(
            "[[accounts]]\nname = \"a\"\nrole_arn = \"qcs::cam::uin/100001:roleName/R\"\nsource_account = \"b\"\n\
             [[accounts]]\nname = \"b\"\nrole_arn = \"qcs::cam::uin/100002:roleName/R\"\nsource_account = \"a\"\n",
        );
        assert!(e.contains("role sources form a cycle: a -> b -> a"), "{e}");
    }

    #[test]
    fn malformed_arn_is_rejected() {
        let e = err("[[accounts]]\nname = \"a\"\nrole_arn = \"arn:aws:iam::1:role/x\"\nsource_account = \"a\"\n");
        assert!(e.contains("test.toml:3:12: account `a`:"), "{e}");
    }

    #[test]
    fn bad_limits_and_regions() {
        let e = err("[defaults]\nconcurrency = 0\nregions = []\n[[accounts]]\nname = \"a\"\n");
        assert!(
            e.contains("test.toml:2:15: `concurrency` must be between 1 and 4096, got 0"),
            "{e}"
        );
        assert!(e.contains("`regions` must not be empty"), "{e}");
        let c = parse("[defaults]\nregions = [\"mars-north-1\"]\n[[accounts]]\nname = \"a\"\n")
            .unwrap();
        assert_eq!(c.warnings.len(), 1);
        assert!(c.warnings[0].to_string().contains("mars-north-1"));
    }

    #[test]
    fn http_endpoint_only_for_loopback() {
        let e =
            err("[defaults]\nendpoint = \"http://tcss.example.com\"\n[[accounts]]\nname = \"a\"\n");
        assert!(e.contains("test.toml:2:12: `endpoint`"), "{e}");
        parse("[defaults]\nendpoint = \"http://127.0.0.1:9000\"\n[[accounts]]\nname = \"a\"\n")
            .unwrap();
        parse("[defaults]\nallow_insecure_http = true\nendpoint = \"http://tcss.example.com\"\n[[accounts]]\nname = \"a\"\n")
            .unwrap();
    }

    #[test]
    fn inline_secrets_warn_and_never_print() {
        let c = parse(
            "[[accounts]]\nname = \"a\"\nsecret_id = \"AKIDx\"\nsecret_key = \"TOPSECRET\"\n",
        )
        .unwrap();
        assert_eq!(c.warnings.len(), 1);
        assert!(!format!("{c:?}").contains("TOPSECRET"));
        assert!(!c.warnings[0].to_string().contains("TOPSECRET"));
    }

    #[test]
    fn two_credential_sources_is_an_error() {
        let e = err("[[accounts]]\nname = \"a\"\nprofile = \"p\"\nsecret_id_env = \"A\"\nsecret_key_env = \"B\"\n");
        assert!(e.contains("choose one credential source"), "{e}");
    }

    #[test]
    fn check_credentials_names_missing_variables() {
        let c = parse(GOOD).unwrap();
        let env = tcapi::credentials::MapEnv::new().with_var("MGMT_ID", "AKID1");
        let problems = c.check_credentials(&env);
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("test.toml:7:1: account `mgmt`") && t.contains("MGMT_KEY")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("account `legacy`")),
            "{text:?}"
        );
    }

    #[test]
    fn select_keeps_role_sources() {
        let mut c = parse(GOOD).unwrap();
        c.select(&["member".into()]).unwrap();
        let names: Vec<&str> = c.accounts.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, vec!["mgmt", "member"]);
        assert!(matches!(
            c.accounts[1].credentials,
            CredentialSpec::Role { source: 0, .. }
        ));
        let mut c = parse(GOOD).unwrap();
        c.select(&["team=platform".into()]).unwrap();
        assert_eq!(c.accounts.len(), 1);
        let mut c = parse(GOOD).unwrap();
        assert!(c.select(&["nobody".into()]).unwrap_err().contains("nobody"));
    }

    // Property tests: whatever the text, `Config::parse` returns (never
    // panics), every error names the file and, when it has a position, that
    // position is inside the text; a config that parses is consistent.
    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Pieces of TOML, valid and not: real keys with good and bad values,
        /// table headers, unknown keys, broken syntax, multi-byte text.
        const FRAGMENTS: &[&str] = &[
            "[defaults]\n",
            "[[accounts]]\n",
            "[accounts]\n",
            "[defaults.x]\n",
            "name = \"a\"\n",
            "name = \"b\"\n",
            "name = \"\"\n",
            "name = 1\n",
            "regions = [\"ap-guangzhou\"]\n",
            "regions = [\"ap-guangzhou\", \"ap-guangzhou\"]\n",
            "regions = []\n",
            "regions = [\"mars-1\", \"bad region\"]\n",
            "concurrency = 0\n",
            "concurrency = 8\n",
            "rate_limit = -1\n",
            "rate_limit = 99999999999\n",
            "timeout_secs = 1\n",
            "max_attempts = 21\n",
            "role_duration_secs = 10\n",
            "region_scope = \"region\"\n",
            "region_scope = \"planet\"\n",
            "endpoint = \"http://tcss.example.com\"\n",
            "endpoint = \"http://127.0.0.1:1\"\n",
            "endpoint = \"nota url\"\n",
            "sts_endpoint = \"https://sts.tencentcloudapi.com\"\n",
            "ca_file = \"does-not-exist.pem\"\n",
            "allow_insecure_http = true\n",
            "role_session_name = \"bad name!\"\n",
            "uin = \"12x\"\n",
            "uin = \"100000000001\"\n",
            "secret_id_env = \"A_ID\"\n",
            "secret_key_env = \"A KEY\"\n",
            "token_env = \"T\"\n",
            "secret_id = \"AKIDx\"\n",
            "secret_key = \"k\"\n",
            "profile = \"../etc\"\n",
            "profile = \"p\"\n",
            "role_arn = \"qcs::cam::uin/200000000001:roleName/R\"\n",
            "role_arn = \"arn:aws:iam::1:role/x\"\n",
            "source_account = \"a\"\n",
            "source_account = \"b\"\n",
            "source_account = \"nobody\"\n",
            "tags = { team = \"=x\", \"\" = \"y\" }\n",
            "unknown_key = 1\n",
            "é = \"ü\"\n",
            "name = \"日本\"\n",
            "name = \"unterminated\n",
            "= = =\n",
            "[[\n",
            "\u{feff}",
            "\"\"\"\nmulti\n\"\"\"\n",
            "# comment ✓\n",
            "\n",
            "\t",
            "\r\n",
        ];

        fn toml_ish() -> impl Strategy<Value = String> {
            prop::collection::vec(
                prop_oneof![
                    4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string),
                    1 => ".{0,12}",
                ],
                0..24,
            )
            .prop_map(|parts| parts.concat())
        }

        /// Checks the result of parsing `text` as `dir/accounts.toml`.
        fn check(text: &str) -> Result<(), TestCaseError> {
            let path = Path::new("dir/accounts.toml");
            match Config::parse(text, path) {
                Ok(c) => {
                    prop_assert!(!c.accounts.is_empty());
                    let mut names: Vec<&str> = c.accounts.iter().map(|a| a.name.as_str()).collect();
                    names.sort_unstable();
                    names.dedup();
                    prop_assert_eq!(names.len(), c.accounts.len(), "names are unique");
                    for a in &c.accounts {
                        prop_assert!(!a.regions.is_empty());
                        if let CredentialSpec::Role { source, .. } = &a.credentials {
                            prop_assert!(*source < c.accounts.len());
                        }
                    }
                    let d = &c.defaults;
                    prop_assert!((1..=4096).contains(&d.concurrency));
                    prop_assert!((1..=10_000).contains(&d.rate_limit));
                    prop_assert!((1..=20).contains(&d.max_attempts));
                    prop_assert!(d.role_duration_secs >= 900);
                }
                Err(ConfigError::Invalid(problems)) => {
                    prop_assert!(!problems.is_empty());
                    let lines: Vec<&str> = text.split('\n').collect();
                    for p in &problems {
                        prop_assert_eq!(p.path.as_str(), "dir/accounts.toml");
                        prop_assert!(!p.message.trim().is_empty(), "{:?}", p);
                        prop_assert!(p.to_string().starts_with("dir/accounts.toml:"));
                        if let Some((line, col)) = p.position {
                            prop_assert!(line >= 1 && line <= lines.len(), "{:?} in {:?}", p, text);
                            let width = lines[line - 1].chars().count();
                            prop_assert!(col >= 1 && col <= width + 1, "{:?} in {:?}", p, text);
                        }
                    }
                }
                Err(other) => prop_assert!(false, "parse only reports Invalid: {other}"),
            }
            Ok(())
        }

        /// Keys of `[defaults]` with good and bad values.
        const DEFAULT_KEYS: &[(&str, &[&str])] = &[
            (
                "regions",
                &[
                    "[\"ap-guangzhou\"]",
                    "[\"ap-guangzhou\", \"mars-1\"]",
                    "[]",
                    "[\"a b\"]",
                ],
            ),
            ("concurrency", &["8", "0", "5000"]),
            ("rate_limit", &["20", "0"]),
            ("max_attempts", &["3", "21"]),
            ("timeout_secs", &["1", "-3"]),
            ("role_duration_secs", &["900", "10"]),
            ("region_scope", &["\"region\"", "\"planet\""]),
            (
                "endpoint",
                &[
                    "\"http://127.0.0.1:1\"",
                    "\"http://tcss.example.com\"",
                    "\"nota url\"",
                ],
            ),
            ("role_session_name", &["\"ok-name\"", "\"bad name!\""]),
            ("colour", &["\"red\""]),
        ];

        /// Keys of an account with good and bad values (UINs, regions, tags,
        /// credential keys that clash with the account's credential source).
        const ACCOUNT_KEYS: &[(&str, &[&str])] = &[
            ("uin", &["\"100000000001\"", "\"12x\""]),
            ("regions", &["[\"ap-shanghai\"]", "[]"]),
            ("tags", &["{ team = \"=x\" }", "{ \"\" = \"y\" }"]),
            ("secret_id_env", &["\"A_ID\"", "\"A ID\""]),
            ("profile", &["\"p\"", "\"../etc\""]),
            ("source_account", &["\"b\"", "\"nobody\""]),
            ("profle", &["\"typo\""]),
        ];

        /// Credential sources of an account, valid ones first.
        const CREDENTIALS: &[&str] = &[
            "",
            "secret_id_env = \"A_ID\"\nsecret_key_env = \"A_KEY\"\n",
            "profile = \"p\"\n",
            "role_arn = \"qcs::cam::uin/200000000001:roleName/R\"\nsource_account = \"a\"\n",
            "role_arn = \"qcs::cam::uin/200000000002:roleName/R\"\nsource_account = \"b\"\n",
            "secret_id_env = \"A_ID\"\n",
            "role_arn = \"arn:aws:iam::1:role/x\"\nsource_account = \"a\"\n",
        ];

        /// Some of `keys` (each with a probability of one in four), each with
        /// one of its values (the first, valid one, half of the time).
        fn table(
            keys: &'static [(&'static str, &'static [&'static str])],
        ) -> impl Strategy<Value = String> {
            prop::collection::vec(
                (0u8..4, any::<bool>(), any::<prop::sample::Index>()),
                keys.len(),
            )
            .prop_map(move |picks| {
                keys.iter()
                    .zip(picks)
                    .filter(|(_, (on, _, _))| *on == 0)
                    .map(|((k, values), (_, first, i))| {
                        let v = if first {
                            values[0]
                        } else {
                            values[i.index(values.len())]
                        };
                        format!("{k} = {v}\n")
                    })
                    .collect()
            })
        }

        /// A structured config (defaults, accounts with names, a credential
        /// source and other keys), sometimes with a random fragment inserted
        /// at a random line.
        fn config_like() -> impl Strategy<Value = String> {
            let account = (
                prop::sample::select(&["a", "b", "c", "a", "日本"][..]),
                prop_oneof![
                    3 => prop::sample::select(&CREDENTIALS[..4]),
                    1 => prop::sample::select(CREDENTIALS),
                ],
                table(ACCOUNT_KEYS),
            )
                .prop_map(|(name, cred, keys)| {
                    format!("[[accounts]]\nname = \"{name}\"\n{cred}{keys}")
                });
            (
                proptest::option::of(table(DEFAULT_KEYS)),
                prop::collection::vec(account, 0..4),
                prop_oneof![
                    2 => Just(None),
                    1 => (any::<prop::sample::Index>(), prop::sample::select(FRAGMENTS)).prop_map(Some),
                ],
            )
                .prop_map(|(defaults, accounts, noise)| {
                    let mut text = defaults.map(|d| format!("[defaults]\n{d}")).unwrap_or_default();
                    text.push_str(&accounts.concat());
                    if let Some((at, fragment)) = noise {
                        let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
                        lines.insert(at.index(lines.len() + 1), fragment);
                        text = lines.concat();
                    }
                    text
                })
        }

        /// Found by the properties below: the TOML parser gives no message
        /// for a lone carriage return.
        #[test]
        fn a_lone_carriage_return_is_located_with_a_message() {
            let e = Config::parse("\r", Path::new("dir/accounts.toml")).unwrap_err();
            assert_eq!(e.to_string(), "dir/accounts.toml:1:1: invalid TOML syntax");
        }

        proptest! {
            #[test]
            fn config_like_text_never_panics_and_errors_are_located(text in config_like()) {
                check(&text)?;
            }

            #[test]
            fn arbitrary_text_never_panics_and_errors_are_located(text in ".{0,200}") {
                check(&text)?;
            }

            #[test]
            fn toml_ish_text_never_panics_and_errors_are_located(text in toml_ish()) {
                check(&text)?;
            }
        }
    }
}
