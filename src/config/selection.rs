//! A run's selection: `--only` and `--exclude` (repeatable), applied to
//! every account of the run, the members discovery adds included. This
//! module owns the selectors' syntax, their canonical text (the same
//! selection written in another order is the same scope in the history),
//! what they match, and the decision for a configured account before
//! discovery, which may have to wait for the organization tags it gains
//! as a member (pure).
//!
//! Selectors: `NAME` or a glob (the account's name; as before, also any
//! tag's value), `name:GLOB` (the name only), `uin:DIGITS`,
//! `tag:KEY=VALUE` and `KEY=VALUE` (configured tags, member tags, `org`
//! and `org_node` alike), `org:NAME` (the `org` tag; `org=NAME` and
//! `tag:org=NAME` are the same selector).

use std::collections::BTreeMap;
use std::fmt;

/// One `--only` or `--exclude` selector.
#[derive(Debug, Clone)]
pub enum RunSelector {
    /// `NAME` or a glob: the account's name (exactly, or the glob), or
    /// the value of any of its tags (the form `--only` had before).
    Word(String, Option<glob::Pattern>),
    /// `name:GLOB`: the account's name only.
    Name(glob::Pattern),
    /// `uin:DIGITS`.
    Uin(String),
    /// `tag:KEY=VALUE` or `KEY=VALUE`.
    Tag(String, String),
    /// `org:NAME` (`org=NAME`, `tag:org=NAME`): the account's `org` tag.
    Org(String),
}

/// The forms a selector may take, for messages.
pub const FORMS: &str =
    "NAME or a glob, name:GLOB, uin:DIGITS, tag:KEY=VALUE (or KEY=VALUE), org:NAME";

/// The prefixes a selector may have.
const PREFIXES: &[&str] = &["name", "uin", "tag", "org"];

impl PartialEq for RunSelector {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl RunSelector {
    /// Parses one selector; the error says what is wrong and which forms
    /// there are.
    pub fn parse(text: &str) -> Result<RunSelector, String> {
        if text.trim().is_empty() {
            return Err(format!("an empty selector; use {FORMS}"));
        }
        if let Some((prefix, value)) = text.split_once(':') {
            if PREFIXES.contains(&prefix) && value.is_empty() {
                return Err(format!("`{text}` is empty after `{prefix}:`"));
            }
            match prefix {
                "name" => {
                    return glob::Pattern::new(value)
                        .map(RunSelector::Name)
                        .map_err(|e| format!("`{text}`: invalid glob: {}", e.msg))
                }
                "uin" if value.len() <= 20 && value.chars().all(|c| c.is_ascii_digit()) => {
                    return Ok(RunSelector::Uin(value.to_string()))
                }
                "uin" => return Err(format!("`{text}`: a UIN is digits only")),
                "tag" => {
                    return match value.split_once('=') {
                        Some((k, v)) if !k.is_empty() => Ok(RunSelector::tag(k, v)),
                        _ => Err(format!("`{text}`: write tag:KEY=VALUE")),
                    }
                }
                "org" => return Ok(RunSelector::Org(value.to_string())),
                _ => {}
            }
        }
        if let Some((k, v)) = text.split_once('=') {
            if !k.is_empty() {
                return Ok(RunSelector::tag(k, v));
            }
        }
        Ok(RunSelector::Word(
            text.to_string(),
            glob::Pattern::new(text).ok(),
        ))
    }

    fn tag(key: &str, value: &str) -> RunSelector {
        if key == "org" {
            RunSelector::Org(value.to_string())
        } else {
            RunSelector::Tag(key.to_string(), value.to_string())
        }
    }

    /// Whether an account known as `view` is matched.
    pub fn matches(&self, view: &View<'_>) -> bool {
        let named = |p: &glob::Pattern| view.names.iter().any(|n| p.matches(n));
        match self {
            RunSelector::Word(text, pattern) => {
                view.names.iter().any(|n| n == text)
                    || pattern.as_ref().is_some_and(named)
                    || view.tags.values().any(|v| v == text)
            }
            RunSelector::Name(p) => named(p),
            RunSelector::Uin(u) => view.uin == Some(u.as_str()),
            RunSelector::Tag(k, v) => view.tags.get(k) == Some(v),
            RunSelector::Org(o) => view.tags.get("org") == Some(o),
        }
    }

    /// Whether a configured account can be told matched or not before
    /// discovery: `None` when it depends on what discovery learns (its
    /// UIN, or the `org`/`org_node` tags it gains as a member of one of
    /// `may_join`).
    fn matches_before(&self, view: &View<'_>, may_join: &[&str]) -> Option<bool> {
        if self.matches(view) {
            return Some(true);
        }
        let may_gain = |key: &str| !may_join.is_empty() && !view.tags.contains_key(key);
        let later = match self {
            RunSelector::Uin(_) => view.uin.is_none(),
            RunSelector::Tag(k, _) => k == "org_node" && may_gain("org_node"),
            RunSelector::Org(o) => may_gain("org") && may_join.contains(&o.as_str()),
            RunSelector::Word(text, _) => {
                may_gain("org_node") || (may_gain("org") && may_join.contains(&text.as_str()))
            }
            RunSelector::Name(_) => false,
        };
        (!later).then_some(false)
    }

    /// Whether this selector may match a member of the organization
    /// `org`, given the configured accounts' names (a bare name that is
    /// a configured account's names that account: names are unique in a
    /// run, a member of that name is `Name (UIN)`).
    fn may_match_member_of(&self, org: &str, configured: &[&str]) -> bool {
        match self {
            RunSelector::Org(o) => o == org,
            RunSelector::Word(text, _) => !configured.contains(&text.as_str()),
            _ => true,
        }
    }
}

impl fmt::Display for RunSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunSelector::Word(text, _) => write!(f, "{text}"),
            RunSelector::Name(p) => write!(f, "name:{}", p.as_str()),
            RunSelector::Uin(u) => write!(f, "uin:{u}"),
            RunSelector::Tag(k, v) => write!(f, "tag:{k}={v}"),
            RunSelector::Org(o) => write!(f, "org:{o}"),
        }
    }
}

/// What a selector sees of an account.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    /// The names it is known by (a member: its name in the run, its
    /// listed `Name`, and `Name (UIN)`).
    pub names: &'a [&'a str],
    /// Its UIN, when known.
    pub uin: Option<&'a str>,
    /// Its tags (configured, or the member's with `org` and `org_node`).
    pub tags: &'a BTreeMap<String, String>,
}

/// A configured account's place in the run, decided before discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Picked {
    /// Selected: queried and reported.
    Yes,
    /// Not selected: its credentials may still serve others (a role's
    /// source, an organization's management account), but it is neither
    /// queried nor reported.
    No,
    /// Decided once discovery has learned its UIN or the organization
    /// tags it gains as a member.
    Later,
}

/// `--only` and `--exclude`: an account is selected when it matches any
/// `only` selector (or there is none) and no `exclude` selector.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    /// `--only`, in the order given.
    pub only: Vec<RunSelector>,
    /// `--exclude`, in the order given.
    pub exclude: Vec<RunSelector>,
}

impl Selection {
    /// Parses `--only` and `--exclude`; the error names the option.
    pub fn parse(only: &[String], exclude: &[String]) -> Result<Selection, String> {
        let parse = |flag: &str, list: &[String]| -> Result<Vec<RunSelector>, String> {
            list.iter()
                .map(|s| RunSelector::parse(s).map_err(|e| format!("--{flag} {s}: {e}")))
                .collect()
        };
        Ok(Selection {
            only: parse("only", only)?,
            exclude: parse("exclude", exclude)?,
        })
    }

    /// No selector: every account.
    pub fn is_empty(&self) -> bool {
        self.only.is_empty() && self.exclude.is_empty()
    }

    /// Whether `view` is selected.
    pub fn selects(&self, view: &View<'_>) -> bool {
        (self.only.is_empty() || self.only.iter().any(|s| s.matches(view)))
            && !self.exclude.iter().any(|s| s.matches(view))
    }

    /// Why `view` is not selected (`None`: it is).
    pub fn rejection(&self, view: &View<'_>) -> Option<String> {
        if !self.only.is_empty() && !self.only.iter().any(|s| s.matches(view)) {
            return Some("not selected: matches no --only selector".into());
        }
        self.exclude
            .iter()
            .find(|s| s.matches(view))
            .map(|s| format!("not selected: --exclude {s}"))
    }

    /// A configured account's decision before discovery; `may_join`: the
    /// organizations it may be listed in (and gain the `org` and
    /// `org_node` tags of).
    pub fn pick(&self, view: &View<'_>, may_join: &[&str]) -> Picked {
        let any = |list: &[RunSelector]| -> Option<bool> {
            let mut unknown = false;
            for s in list {
                match s.matches_before(view, may_join) {
                    Some(true) => return Some(true),
                    Some(false) => {}
                    None => unknown = true,
                }
            }
            (!unknown).then_some(false)
        };
        let only = if self.only.is_empty() {
            Some(true)
        } else {
            any(&self.only)
        };
        let excluded = any(&self.exclude);
        match (only, excluded) {
            (Some(false), _) | (_, Some(true)) => Picked::No,
            (Some(true), Some(false)) => Picked::Yes,
            _ => Picked::Later,
        }
    }

    /// Whether discovery of organization `org` may add a selected
    /// member: some `--only` selector may match one of its members, and
    /// no `--exclude org:NAME` leaves them all out.
    pub fn may_select_members_of(&self, org: &str, configured: &[&str]) -> bool {
        let excluded = self
            .exclude
            .iter()
            .any(|s| matches!(s, RunSelector::Org(o) if o == org));
        let included = self.only.is_empty()
            || self
                .only
                .iter()
                .any(|s| s.may_match_member_of(org, configured));
        included && !excluded
    }

    /// The selection's canonical text, the same whatever the order and
    /// spelling of equal selectors: `--only S` for each `--only` selector,
    /// then `--exclude S`, each list sorted and without repeats (JSON
    /// `run.selection`, the history's `selection`; empty: every account).
    pub fn canonical(&self) -> Vec<String> {
        let list = |flag: &str, l: &[RunSelector]| {
            let mut v: Vec<String> = l.iter().map(|s| format!("--{flag} {s}")).collect();
            v.sort();
            v.dedup();
            v
        };
        let mut out = list("only", &self.only);
        out.extend(list("exclude", &self.exclude));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sel(only: &[&str], exclude: &[&str]) -> Selection {
        let s = |l: &[&str]| l.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        Selection::parse(&s(only), &s(exclude)).expect("valid")
    }

    #[test]
    fn every_form_parses_to_its_canonical_text() {
        for (text, canonical) in [
            ("mobile-backend", "mobile-backend"),
            ("web-*", "web-*"),
            ("name:web-*", "name:web-*"),
            ("uin:200000000001", "uin:200000000001"),
            ("tag:cost_center=cc-56", "tag:cost_center=cc-56"),
            ("cost_center=cc-56", "tag:cost_center=cc-56"),
            ("org_node=billing", "tag:org_node=billing"),
            ("org:acme", "org:acme"),
            ("org=acme", "org:acme"),
            ("tag:org=acme", "org:acme"),
            ("team:x", "team:x"),
        ] {
            let s = RunSelector::parse(text).expect(text);
            assert_eq!(s.to_string(), canonical, "{text}");
        }
        for (bad, says) in [
            ("", "empty selector"),
            ("uin:12ab", "digits only"),
            ("tag:env", "tag:KEY=VALUE"),
            ("org:", "empty after `org:`"),
            ("name:[", "invalid glob"),
        ] {
            let e = RunSelector::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        let e = Selection::parse(&[], &["uin:x".into()]).unwrap_err();
        assert!(e.starts_with("--exclude uin:x: "), "{e}");
    }

    #[test]
    fn the_same_selection_in_another_order_or_spelling_is_the_same_text() {
        let a = sel(&["b", "org=acme", "cost_center=cc-56"], &["uin:1"]);
        let b = sel(&["tag:cost_center=cc-56", "org:acme", "b", "b"], &["uin:1"]);
        assert_eq!(a.canonical(), b.canonical());
        assert_eq!(
            a.canonical(),
            [
                "--only b",
                "--only org:acme",
                "--only tag:cost_center=cc-56",
                "--exclude uin:1"
            ]
        );
        assert!(Selection::default().canonical().is_empty());
        assert_ne!(sel(&["a"], &[]).canonical(), sel(&[], &["a"]).canonical());
    }

    #[test]
    fn selectors_match_names_globs_uins_tags_and_organizations() {
        let t = tags(&[("org", "acme"), ("org_node", "billing"), ("env", "prod")]);
        let v = View {
            names: &["mobile-backend", "mobile-backend (200000000007)"],
            uin: Some("200000000007"),
            tags: &t,
        };
        for (yes, text) in [
            (true, "mobile-backend"),
            (true, "mobile-*"),
            (true, "mobile-backend (200000000007)"),
            (true, "name:mobile-?ackend"),
            (true, "uin:200000000007"),
            (true, "tag:org_node=billing"),
            (true, "org_node=billing"),
            (true, "org:acme"),
            (true, "prod"),
            (false, "name:prod"),
            (false, "uin:200000000008"),
            (false, "org:other"),
            (false, "env=test"),
            (false, "web"),
        ] {
            assert_eq!(RunSelector::parse(text).unwrap().matches(&v), yes, "{text}");
        }
        assert!(sel(&["web", "org:acme"], &[]).selects(&v));
        assert!(!sel(&["org:acme"], &["env=prod"]).selects(&v));
        assert_eq!(
            sel(&["org:acme"], &["env=prod"]).rejection(&v).as_deref(),
            Some("not selected: --exclude tag:env=prod")
        );
        assert_eq!(
            sel(&["web"], &[]).rejection(&v).as_deref(),
            Some("not selected: matches no --only selector")
        );
        assert!(sel(&[], &[]).selects(&v));
    }

    #[test]
    fn a_configured_account_waits_only_for_what_discovery_can_change() {
        let none = tags(&[]);
        let mine = tags(&[("org_node", "ops")]);
        let view = |uin, tags| View {
            names: &["payments"],
            uin,
            tags,
        };
        let v = view(Some("1"), &none);
        let acme = ["acme"];
        for (only, exclude, may_join, picked) in [
            (&["payments"][..], &[][..], &acme[..], Picked::Yes),
            (&["tag:env=prod"], &[], &acme, Picked::No),
            (&["org:acme"], &[], &acme, Picked::Later),
            (&["org:acme"], &[], &[], Picked::No),
            (&["org:lab"], &[], &acme, Picked::No),
            (&["org_node=billing"], &[], &acme, Picked::Later),
            (&["billing"], &[], &acme, Picked::Later),
            (&["billing"], &[], &[], Picked::No),
            (&[], &["org_node=billing"], &acme, Picked::Later),
            (&[], &["payments"], &acme, Picked::No),
            (&["payments"], &["org:acme"], &acme, Picked::Later),
            (&["uin:1"], &[], &[], Picked::Yes),
        ] {
            let s = sel(only, exclude);
            assert_eq!(
                s.pick(&v, may_join),
                picked,
                "{only:?} {exclude:?} {may_join:?}"
            );
        }
        // A UIN learned at run time; a configured org_node is not replaced.
        assert_eq!(
            sel(&["uin:1"], &[]).pick(&view(None, &none), &[]),
            Picked::Later
        );
        let s = sel(&["org_node=billing"], &[]);
        assert_eq!(s.pick(&view(Some("1"), &mine), &acme), Picked::No);
    }

    #[test]
    fn an_organization_is_listed_when_a_selector_may_pick_its_members() {
        let configured = ["mgmt", "other"];
        let acme = |only: &[&str], exclude: &[&str]| {
            sel(only, exclude).may_select_members_of("acme", &configured)
        };
        assert!(acme(&[], &[]));
        assert!(acme(&["org:acme"], &[]));
        assert!(!acme(&["org:lab"], &[]));
        assert!(!acme(&["other"], &[]), "a configured account's name");
        assert!(acme(&["mobile-backend"], &[]));
        assert!(acme(&["org_node=billing"], &[]));
        assert!(!acme(&[], &["org:acme"]));
        assert!(acme(&[], &["org:lab"]));
    }
}
