//! `[[organizations]]`: each table checked (a unique name, a management
//! account that is one of the `[[accounts]]`, a role name, the endpoint, the
//! selectors, the regions) into an [`Organization`], with located errors.

use std::collections::HashMap;

use tcapi::credentials::RoleArn;
use toml::Spanned;

use super::locate::Problems;
use super::raw::RawOrganization;
use super::selector::Selector;
use super::validate::{check_regions, check_url};
use super::{
    Account, Defaults, Organization, DEFAULT_ORGANIZATION_ENDPOINT, DEFAULT_ORGANIZATION_ROLE,
};

/// Every `[[organizations]]` table, checked, in file order.
pub(super) fn organizations(
    problems: &mut Problems<'_>,
    raw: &[RawOrganization],
    accounts: &[Account],
    defaults: &Defaults,
) -> Vec<Organization> {
    let index: HashMap<&str, usize> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.as_str(), i))
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(raw.len());
    for o in raw {
        let name = o.name.get_ref();
        let line = problems.lines().line(o.name.span().start);
        if name.trim().is_empty() || name.chars().any(char::is_control) {
            problems.error(
                o.name.span(),
                "organization `name` must not be empty or hold control characters",
            );
        } else if let Some(first) = seen.get(&name.to_lowercase()) {
            problems.error(
                o.name.span(),
                format!("duplicate organization name `{name}` (first defined on line {first})"),
            );
        } else {
            seen.insert(name.to_lowercase(), line);
        }
        if let Some(org) = organization(problems, o, &index, defaults, line) {
            out.push(org);
        }
    }
    out
}

fn organization(
    problems: &mut Problems<'_>,
    o: &RawOrganization,
    index: &HashMap<&str, usize>,
    defaults: &Defaults,
    line: usize,
) -> Option<Organization> {
    let name = o.name.get_ref().clone();
    let management = management(problems, o, index);
    let role_name = role_name(problems, o);
    let endpoint = match &o.endpoint {
        Some(e) => {
            check_url(problems, e, "endpoint", defaults.allow_insecure_http);
            e.get_ref().clone()
        }
        None => DEFAULT_ORGANIZATION_ENDPOINT.to_string(),
    };
    let include = selectors(problems, &o.include, &name, "include");
    let exclude = selectors(problems, &o.exclude, &name, "exclude");
    let regions = match &o.regions {
        Some(r) => check_regions(problems, r),
        None => defaults.regions.clone(),
    };
    Some(Organization {
        name,
        management: management?,
        role_name,
        endpoint,
        include,
        exclude,
        regions,
        line,
    })
}

/// The index of the management account, which must be an `[[accounts]]` entry.
fn management(
    problems: &mut Problems<'_>,
    o: &RawOrganization,
    index: &HashMap<&str, usize>,
) -> Option<usize> {
    let name = o.name.get_ref();
    let Some(m) = &o.management_account else {
        problems.error(
            o.name.span(),
            format!(
                "organization `{name}`: set `management_account` to the [[accounts]] entry \
                 whose keys list the members and assume their roles"
            ),
        );
        return None;
    };
    let found = index.get(m.get_ref().as_str()).copied();
    if found.is_none() {
        problems.error(
            m.span(),
            format!(
                "organization `{name}`: management_account `{}` is not a configured account; \
                 add it as an [[accounts]] entry with its keys",
                m.get_ref()
            ),
        );
    }
    found
}

/// `role_name`: the default, or a CAM role name (the rules of a role ARN's name).
fn role_name(problems: &mut Problems<'_>, o: &RawOrganization) -> String {
    let Some(r) = &o.role_name else {
        return DEFAULT_ORGANIZATION_ROLE.to_string();
    };
    let v = r.get_ref();
    if let Err(e) = RoleArn::parse(&format!("qcs::cam::uin/100000:roleName/{v}")) {
        let reason = match e {
            tcapi::credentials::CredentialError::InvalidRoleArn { reason, .. } => reason,
            other => other.to_string(),
        };
        problems.error(
            r.span(),
            format!(
                "organization `{}`: `role_name` must be a CAM role name, got {v:?}: {reason}",
                o.name.get_ref()
            ),
        );
    }
    v.clone()
}

fn selectors(
    problems: &mut Problems<'_>,
    list: &Option<Spanned<Vec<String>>>,
    org: &str,
    key: &str,
) -> Vec<Selector> {
    let Some(list) = list else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for text in list.get_ref() {
        match Selector::parse(text) {
            Ok(s) => out.push(s),
            Err(e) => problems.error(list.span(), format!("organization `{org}`: `{key}`: {e}")),
        }
    }
    out
}
