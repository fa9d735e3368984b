//! The per-field checks: every value of [`RawDefaults`] and [`RawAccount`]
//! is checked here and turned into [`Defaults`] and [`Account`], each
//! problem located at the value it is about. The checks `run` relies on
//! (CA file, secret text, language, regions) are the same ones, so
//! `validate` passes exactly what `run` accepts.

use std::collections::HashMap;
use std::path::Path;

use tcapi::credentials::{RoleArn, Source};
use toml::Spanned;

use super::locate::Problems;
use super::raw::{RawAccount, RawDefaults};
use super::{
    Account, CredentialSpec, Defaults, NumericSetting, CONCURRENCY, KNOWN_REGIONS, MAX_ATTEMPTS,
    RATE_LIMIT, ROLE_DURATION_SECS, RUN_TIMEOUT_SECS, STS_RATE_LIMIT, TIMEOUT_SECS,
};
use crate::calls::Call;

/// The values of `X-TC-Language` the API accepts.
const LANGUAGES: &[&str] = &["en-US", "zh-CN"];

/// The value of a numeric setting if it is within its range, else an
/// error and its default; its default when absent.
fn in_range(problems: &mut Problems<'_>, v: &Option<Spanned<i64>>, setting: NumericSetting) -> i64 {
    let NumericSetting {
        name,
        default,
        min,
        max,
    } = setting;
    match v {
        None => default,
        Some(s) if (min..=max).contains(s.get_ref()) => *s.get_ref(),
        Some(s) => {
            problems.error(
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

pub(super) fn check_regions(
    problems: &mut Problems<'_>,
    regions: &Spanned<Vec<String>>,
) -> Vec<String> {
    let list = regions.get_ref();
    if list.is_empty() {
        problems.error(regions.span(), "`regions` must not be empty");
    }
    let mut seen = Vec::new();
    for r in list {
        if !region_name_ok(r) {
            problems.error(
                regions.span(),
                format!("`{r}` is not a region name (like ap-guangzhou)"),
            );
        } else if !KNOWN_REGIONS.contains(&r.as_str()) {
            problems.warn(
                regions.span(),
                format!(
                    "region `{r}` is not one this version knows{}; it will be queried anyway",
                    crate::suggest::hint(r, KNOWN_REGIONS.iter().copied())
                ),
            );
        }
        if seen.contains(r) {
            problems.error(regions.span(), format!("region `{r}` is listed twice"));
        } else {
            seen.push(r.clone());
        }
    }
    seen
}

/// Letters, digits and `-`, not empty: the shape of every region name.
fn region_name_ok(r: &str) -> bool {
    !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// `sts_region`: shaped like a region name; one this version does not know only warns.
fn check_sts_region(problems: &mut Problems<'_>, r: &Spanned<String>) {
    let v = r.get_ref();
    if !region_name_ok(v) {
        problems.error(
            r.span(),
            format!("`sts_region` {v:?} is not a region name (like ap-guangzhou)"),
        );
    } else if !KNOWN_REGIONS.contains(&v.as_str()) {
        problems.warn(
            r.span(),
            format!(
                "`sts_region` `{v}` is not a region this version knows{}; it will be used anyway",
                crate::suggest::hint(v, KNOWN_REGIONS.iter().copied())
            ),
        );
    }
}

/// `ca_file` (resolved to `path`) loads as `run` will load it: a regular
/// file of at most 1 MiB with at least one PEM certificate.
fn check_ca_file(problems: &mut Problems<'_>, ca: &Spanned<String>, path: &Path) {
    let reason = match tcapi::client::check_ca_file(path) {
        Ok(_) => return,
        Err(tcapi::Error::CaFile { reason, .. }) => reason,
        Err(other) => other.to_string(),
    };
    problems.error(
        ca.span(),
        format!(
            "`ca_file` {}: {reason}; give a PEM file with the root certificates to trust",
            path.display()
        ),
    );
}

pub(super) fn check_url(
    problems: &mut Problems<'_>,
    s: &Spanned<String>,
    name: &str,
    allow_insecure_http: bool,
) {
    if let Err(e) = tcapi::Endpoint::parse(s.get_ref(), allow_insecure_http) {
        problems.error(s.span(), format!("`{name}`: {e}"));
    }
}

/// `pushgateway`: an http(s) base URL.
fn check_pushgateway(
    problems: &mut Problems<'_>,
    s: &Spanned<String>,
) -> Option<super::pushgateway::GatewayUrl> {
    match super::pushgateway::parse_url(s.get_ref()) {
        Ok(url) => Some(url),
        Err(e) => {
            problems.error(s.span(), format!("`pushgateway`: {e}"));
            None
        }
    }
}

fn env_name_ok(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `[defaults]`, checked; relative paths are resolved against `base_dir`.
pub(super) fn defaults(problems: &mut Problems<'_>, d: &RawDefaults, base_dir: &Path) -> Defaults {
    let mut out = Defaults {
        allow_insecure_http: d.allow_insecure_http.unwrap_or(false),
        csv_bom: d.csv_bom.unwrap_or(true),
        ..Defaults::default()
    };
    if let Some(e) = &d.endpoint {
        check_url(problems, e, "endpoint", out.allow_insecure_http);
        out.endpoint = e.get_ref().clone();
    }
    if let Some(e) = &d.sts_endpoint {
        check_url(problems, e, "sts_endpoint", out.allow_insecure_http);
        out.sts_endpoint = e.get_ref().clone();
    }
    if let Some(r) = &d.sts_region {
        check_sts_region(problems, r);
        out.sts_region = r.get_ref().clone();
    }
    if let Some(ca) = &d.ca_file {
        let p = base_dir.join(ca.get_ref());
        check_ca_file(problems, ca, &p);
        out.ca_file = Some(p);
    }
    if let Some(r) = &d.regions {
        out.regions = check_regions(problems, r);
    }
    limits(problems, d, &mut out);
    if let Some(scope) = d.region_scope {
        out.region_scope = scope;
    }
    if let Some(list) = &d.group_by {
        out.group_by = group_by(problems, list);
    }
    if let Some(lang) = &d.language {
        if !LANGUAGES.contains(&lang.get_ref().as_str()) {
            problems.error(
                lang.span(),
                format!(
                    "`language` must be one the API accepts: {}; got {:?}",
                    LANGUAGES.join(" or "),
                    lang.get_ref()
                ),
            );
        }
        out.language = lang.get_ref().clone();
    }
    if let Some(p) = &d.pushgateway {
        out.pushgateway = check_pushgateway(problems, p);
    }
    if let Some(s) = &d.role_session_name {
        if let Err(e) = tcapi::credentials::validate_session_name(s.get_ref()) {
            problems.error(s.span(), format!("`role_session_name`: {e}"));
        }
        out.role_session_name = s.get_ref().clone();
    }
    if let Some(list) = &d.fail_on {
        out.fail_on = super::fail_on::thresholds(problems, list);
    }
    if let Some(key) = &d.history_key {
        out.history_key = check_history_key(problems, key);
    }
    if let Some(list) = &d.collect {
        match collect(list.get_ref()) {
            Ok(calls) => out.collect = calls,
            Err(e) => problems.error(list.span(), format!("`collect`: {e}")),
        }
    }
    out
}

/// `collect` / `--collect`: the calls named (`images`, `edition`,
/// `auto_authorize`), in [`Call::ALL`]'s order, each once; at least one.
pub fn collect(words: &[String]) -> Result<Vec<Call>, String> {
    let valid = || Call::ALL.iter().map(|c| c.collects());
    let mut out = Vec::new();
    for w in words {
        match Call::collecting(w.trim()) {
            Some(c) => out.push(c),
            None => {
                return Err(format!(
                    "`{w}` is not something a run collects{}; valid: {}",
                    crate::suggest::hint(w, valid()),
                    valid().collect::<Vec<_>>().join(", ")
                ))
            }
        }
    }
    if out.is_empty() {
        return Err(format!(
            "name at least one of {}",
            valid().collect::<Vec<_>>().join(", ")
        ));
    }
    out.sort_by_key(|c| c.index());
    out.dedup();
    Ok(out)
}

/// `group_by`: each key a usable tag key ([`check_group_key`]), each
/// once, at most [`crate::groups::MAX_KEYS`].
fn group_by(problems: &mut Problems<'_>, list: &[Spanned<String>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for item in list {
        let key = item.get_ref();
        let fault = check_group_key(key).err().or_else(|| {
            if out.contains(key) {
                Some(format!("`{key}` is listed twice"))
            } else if out.len() == crate::groups::MAX_KEYS {
                Some(format!(
                    "at most {} keys: a run is grouped by each, one table each",
                    crate::groups::MAX_KEYS
                ))
            } else {
                None
            }
        });
        match fault {
            Some(f) => problems.error(item.span(), format!("`group_by`: {f}")),
            None => out.push(key.clone()),
        }
    }
    out
}

/// A tag key to group by (`group_by`, `--group-by`): not empty, no control
/// characters, no surrounding whitespace; any key, configured or not (one
/// that no account carries is a warning of the run).
pub fn check_group_key(key: &str) -> Result<(), String> {
    if key.trim().is_empty() {
        Err("a tag key must not be empty".into())
    } else if key.chars().any(char::is_control) {
        Err(format!("the tag key {key:?} holds control characters"))
    } else if key.trim() != key {
        Err(format!(
            "the tag key {key:?} starts or ends with whitespace"
        ))
    } else {
        Ok(())
    }
}

/// The keys of a `--group-by` list: each a usable tag key
/// ([`check_group_key`]), each once (a repeat is dropped), at most
/// [`crate::groups::MAX_KEYS`].
pub fn group_keys(given: &[String]) -> Result<Vec<String>, String> {
    let mut keys: Vec<String> = Vec::with_capacity(given.len());
    for key in given {
        check_group_key(key)?;
        if !keys.contains(key) {
            keys.push(key.clone());
        }
    }
    if keys.len() > crate::groups::MAX_KEYS {
        return Err(format!(
            "at most {} keys (got {}): the reports have one table per key",
            crate::groups::MAX_KEYS,
            keys.len()
        ));
    }
    Ok(keys)
}

/// The longest `history_key`.
const HISTORY_KEY_MAX: usize = 200;

/// `history_key`: not empty, no control characters, no surrounding
/// whitespace, at most [`HISTORY_KEY_MAX`] characters.
fn check_history_key(problems: &mut Problems<'_>, key: &Spanned<String>) -> Option<String> {
    let v = key.get_ref();
    let fault = if v.trim().is_empty() {
        Some("must not be empty".to_string())
    } else if v.chars().any(char::is_control) {
        Some("must not hold control characters".to_string())
    } else if v.trim() != v {
        Some("must not start or end with whitespace".to_string())
    } else if v.chars().count() > HISTORY_KEY_MAX {
        Some(format!("must be at most {HISTORY_KEY_MAX} characters"))
    } else {
        None
    };
    match fault {
        Some(f) => {
            problems.error(key.span(), format!("`history_key` {f}"));
            None
        }
        None => Some(v.clone()),
    }
}

/// The numeric settings of `[defaults]`, each within its range.
fn limits(problems: &mut Problems<'_>, d: &RawDefaults, out: &mut Defaults) {
    out.concurrency = in_range(problems, &d.concurrency, CONCURRENCY) as usize;
    out.rate_limit = in_range(problems, &d.rate_limit, RATE_LIMIT) as u32;
    out.sts_rate_limit = in_range(problems, &d.sts_rate_limit, STS_RATE_LIMIT) as u32;
    out.timeout_secs = in_range(problems, &d.timeout_secs, TIMEOUT_SECS) as u64;
    out.max_attempts = in_range(problems, &d.max_attempts, MAX_ATTEMPTS) as u32;
    out.run_timeout_secs = in_range(problems, &d.run_timeout_secs, RUN_TIMEOUT_SECS) as u64;
    out.role_duration_secs = in_range(problems, &d.role_duration_secs, ROLE_DURATION_SECS) as u32;
}

/// Every `[[accounts]]` table, checked, in file order.
pub(super) fn accounts(
    problems: &mut Problems<'_>,
    raw: &[RawAccount],
    defaults: &Defaults,
) -> Vec<Account> {
    if raw.is_empty() {
        let p = problems.unlocated("no accounts: add at least one [[accounts]] table");
        problems.errors.push(p);
    }
    // Names first, so role sources can refer to accounts later in the file.
    let index = names(problems, raw);
    let accounts: Vec<Account> = raw
        .iter()
        .map(|a| account(problems, a, &index, defaults))
        .collect();
    role_cycles(problems, raw, &accounts);
    shared_uins(problems, raw, &accounts);
    accounts
}

/// No two accounts with the same explicit UIN (`uin`, or a role ARN's): one
/// account configured twice would be queried and counted twice. The later
/// one is the error, naming the first's place.
fn shared_uins(problems: &mut Problems<'_>, raw: &[RawAccount], accounts: &[Account]) {
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (i, a) in accounts.iter().enumerate() {
        let Some(uin) = a.uin.as_deref() else {
            continue;
        };
        let Some(&f) = first.get(uin) else {
            first.insert(uin, i);
            continue;
        };
        let place = |r: &RawAccount| {
            r.uin
                .as_ref()
                .map(|u| u.span())
                .or_else(|| r.role_arn.as_ref().map(|u| u.span()))
                .unwrap_or_else(|| r.name.span())
        };
        let there = problems.place(place(&raw[f]));
        problems.error(
            place(&raw[i]),
            format!(
                "account `{}`: UIN {uin} is also the UIN of account `{}` ({there}): one account \
                 configured twice would be counted twice; keep one of them (for two key pairs \
                 of one account, keep one pair)",
                a.name, accounts[f].name
            ),
        );
    }
}

/// Each account name's index. Names must be non-empty, without control
/// characters or surrounding whitespace, and unique even ignoring case.
fn names<'r>(problems: &mut Problems<'_>, raw: &'r [RawAccount]) -> HashMap<&'r str, usize> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut folded: HashMap<String, usize> = HashMap::new();
    for (i, a) in raw.iter().enumerate() {
        let name = a.name.get_ref();
        if name.trim().is_empty() {
            problems.error(a.name.span(), "account `name` must not be empty");
            continue;
        }
        check_name_text(problems, &a.name);
        let first_line = |problems: &Problems<'_>, first: usize| {
            problems.lines().line(raw[first].name.span().start)
        };
        if let Some(&first) = index.get(name.as_str()) {
            let line = first_line(problems, first);
            problems.error(
                a.name.span(),
                format!("duplicate account name `{name}` (first defined on line {line})"),
            );
        } else if let Some(&first) = folded.get(&name.to_lowercase()) {
            let line = first_line(problems, first);
            problems.error(
                a.name.span(),
                format!(
                    "account name `{name}` differs only in case from `{}` (line {line}); \
                     names must differ by more than case",
                    raw[first].name.get_ref()
                ),
            );
        } else {
            index.insert(name.as_str(), i);
            folded.insert(name.to_lowercase(), i);
        }
    }
    index
}

/// No control character (tab, newline, ESC, ...) and no leading or
/// trailing whitespace in an account name. Messages show the name escaped.
fn check_name_text(problems: &mut Problems<'_>, name: &Spanned<String>) {
    let v = name.get_ref();
    if let Some(c) = v.chars().find(|c| c.is_control()) {
        problems.error(
            name.span(),
            format!(
                "account name \"{}\" contains a control character (U+{:04X}); remove it",
                v.escape_debug(),
                u32::from(c)
            ),
        );
    } else if v.trim() != v {
        problems.error(
            name.span(),
            format!("account name {v:?} starts or ends with whitespace; remove it"),
        );
    }
}

/// One account, checked.
fn account(
    problems: &mut Problems<'_>,
    a: &RawAccount,
    index: &HashMap<&str, usize>,
    defaults: &Defaults,
) -> Account {
    let name = a.name.get_ref().clone();
    let line = problems.lines().line(a.name.span().start);
    let regions = match &a.regions {
        Some(r) => check_regions(problems, r),
        None => defaults.regions.clone(),
    };
    let mut uin = None;
    if let Some(u) = &a.uin {
        let v = u.get_ref();
        if v.is_empty() || v.len() > 20 || !v.chars().all(|c| c.is_ascii_digit()) {
            problems.error(
                u.span(),
                format!("account `{name}`: `uin` must be digits, got `{v}`"),
            );
        }
        uin = Some(v.clone());
    }
    let credentials = credentials(problems, a, index, &mut uin);
    if a.tags.keys().any(|k| k.trim().is_empty()) {
        problems.error(a.name.span(), format!("account `{name}`: empty tag key"));
    }
    Account {
        name,
        uin,
        credentials: credentials.unwrap_or(CredentialSpec::Static(Source::DefaultChain)),
        regions,
        tags: a.tags.clone(),
        line,
    }
}

/// The account's one credential source; `uin` is set from a role ARN.
fn credentials(
    problems: &mut Problems<'_>,
    a: &RawAccount,
    index: &HashMap<&str, usize>,
    uin: &mut Option<String>,
) -> Option<CredentialSpec> {
    let name = a.name.get_ref();
    let kinds = [
        a.secret_id_env.is_some() || a.secret_key_env.is_some() || a.token_env.is_some(),
        a.secret_id.is_some() || a.secret_key.is_some(),
        a.profile.is_some(),
        a.role_arn.is_some() || a.source_account.is_some(),
    ];
    if kinds.iter().filter(|k| **k).count() > 1 {
        problems.error(
            a.name.span(),
            format!(
                "account `{name}`: choose one credential source: secret_id_env/secret_key_env, \
                 secret_id/secret_key, profile, or role_arn/source_account"
            ),
        );
        None
    } else if kinds[0] {
        env_credentials(problems, a)
    } else if kinds[1] {
        inline_credentials(problems, a)
    } else if let Some(p) = &a.profile {
        let v = p.get_ref();
        if v.is_empty() || v.contains(['/', '\\']) || v.contains("..") {
            problems.error(
                p.span(),
                format!("account `{name}`: `{v}` is not a profile name"),
            );
        }
        Some(CredentialSpec::Static(Source::TccliProfile(v.clone())))
    } else if kinds[3] {
        role_credentials(problems, a, index, uin)
    } else {
        Some(CredentialSpec::Static(Source::DefaultChain))
    }
}

/// `secret_id_env` + `secret_key_env` (+ `token_env`).
fn env_credentials(problems: &mut Problems<'_>, a: &RawAccount) -> Option<CredentialSpec> {
    let (Some(id), Some(key)) = (&a.secret_id_env, &a.secret_key_env) else {
        problems.error(
            a.name.span(),
            format!(
                "account `{}`: set both secret_id_env and secret_key_env",
                a.name.get_ref()
            ),
        );
        return None;
    };
    for v in [Some(id), Some(key), a.token_env.as_ref()]
        .into_iter()
        .flatten()
    {
        if !env_name_ok(v.get_ref()) {
            problems.error(
                v.span(),
                format!("`{}` is not an environment variable name", v.get_ref()),
            );
        }
    }
    Some(CredentialSpec::Static(Source::NamedEnv {
        secret_id_env: id.get_ref().clone(),
        secret_key_env: key.get_ref().clone(),
        token_env: a.token_env.as_ref().map(|t| t.get_ref().clone()),
    }))
}

/// `secret_id` + `secret_key` written in the file (a warning).
fn inline_credentials(problems: &mut Problems<'_>, a: &RawAccount) -> Option<CredentialSpec> {
    let name = a.name.get_ref();
    let (Some(id), Some(key)) = (&a.secret_id, &a.secret_key) else {
        problems.error(
            a.name.span(),
            format!("account `{name}`: set both secret_id and secret_key"),
        );
        return None;
    };
    for (key_name, value) in [("secret_id", id), ("secret_key", key)] {
        // The reason never contains the value.
        if let Err(reason) = tcapi::credentials::check_secret_value(value.get_ref()) {
            problems.error(
                value.span(),
                format!(
                    "account `{name}`: `{key_name}` cannot be sent: {reason}; \
                     copy the key again without spaces or line breaks"
                ),
            );
        }
    }
    problems.warn(
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

/// `role_arn` + `source_account`; the ARN's UIN must agree with `uin`.
fn role_credentials(
    problems: &mut Problems<'_>,
    a: &RawAccount,
    index: &HashMap<&str, usize>,
    uin: &mut Option<String>,
) -> Option<CredentialSpec> {
    let name = a.name.get_ref();
    let (arn, src) = match (&a.role_arn, &a.source_account) {
        (Some(arn), Some(src)) => (arn, src),
        (Some(_), None) => {
            problems.error(
                a.name.span(),
                format!("account `{name}`: role_arn needs source_account"),
            );
            return None;
        }
        _ => {
            problems.error(
                a.name.span(),
                format!("account `{name}`: source_account needs role_arn"),
            );
            return None;
        }
    };
    let source = index.get(src.get_ref().as_str()).copied();
    if source.is_none() {
        problems.error(
            src.span(),
            format!(
                "account `{name}`: source_account `{}` is not a configured account",
                src.get_ref()
            ),
        );
    }
    let arn_parsed = match RoleArn::parse(arn.get_ref()) {
        Ok(parsed) => parsed,
        Err(e) => {
            problems.error(arn.span(), format!("account `{name}`: {e}"));
            return None;
        }
    };
    if let Some(u) = uin.as_ref().filter(|u| **u != arn_parsed.uin) {
        problems.error(
            a.name.span(),
            format!(
                "account `{name}`: uin {u} differs from the role ARN's uin {}",
                arn_parsed.uin
            ),
        );
    }
    *uin = Some(arn_parsed.uin.clone());
    source.map(|source| CredentialSpec::Role {
        arn: arn_parsed,
        source,
    })
}

/// Role chains must end at an account with keys.
fn role_cycles(problems: &mut Problems<'_>, raw: &[RawAccount], accounts: &[Account]) {
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
                problems.error(
                    raw[i].name.span(),
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
}
