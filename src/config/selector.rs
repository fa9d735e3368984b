//! The `include`/`exclude` selectors of an `[[organizations]]` table:
//! `name:GLOB`, `uin:DIGITS`, `tag:KEY=VALUE`, `node:NAME`, parsed once with
//! the config and matched against each member (pure).

use std::collections::BTreeMap;
use std::fmt;

/// One member selector.
#[derive(Debug, Clone)]
pub enum Selector {
    /// `name:GLOB`: the member's `Name` matches the glob (`*`, `?`, `[...]`).
    Name(glob::Pattern),
    /// `uin:DIGITS`: the member's UIN.
    Uin(String),
    /// `tag:KEY=VALUE`: the member carries this tag.
    Tag(String, String),
    /// `node:NAME`: the member's department (`NodeName`).
    Node(String),
}

impl PartialEq for Selector {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

/// What a selector sees of a member.
#[derive(Debug, Clone, Copy)]
pub struct MemberView<'a> {
    /// The member's UIN.
    pub uin: &'a str,
    /// Its `Name` (empty when the API gave none).
    pub name: &'a str,
    /// Its department (`NodeName`), if any.
    pub node: Option<&'a str>,
    /// Its tags.
    pub tags: &'a BTreeMap<String, String>,
}

/// The prefixes a selector may have, for messages.
pub const PREFIXES: &str = "name:, uin:, tag:, node:";

impl Selector {
    /// Parses `name:GLOB`, `uin:DIGITS`, `tag:KEY=VALUE` or `node:NAME`; the
    /// error says what is wrong and what a valid selector looks like.
    pub fn parse(text: &str) -> Result<Selector, String> {
        let Some((prefix, value)) = text.split_once(':') else {
            return Err(format!(
                "selector `{text}` has no prefix: use one of {PREFIXES} (e.g. `name:sandbox-*`)"
            ));
        };
        if value.is_empty() {
            return Err(format!("selector `{text}` is empty after `{prefix}:`"));
        }
        match prefix {
            "name" => glob::Pattern::new(value)
                .map(Selector::Name)
                .map_err(|e| format!("selector `{text}`: invalid glob: {}", e.msg)),
            "uin" if value.len() <= 20 && value.chars().all(|c| c.is_ascii_digit()) => {
                Ok(Selector::Uin(value.to_string()))
            }
            "uin" => Err(format!("selector `{text}`: a UIN is digits only")),
            "tag" => match value.split_once('=') {
                Some((k, v)) if !k.is_empty() => Ok(Selector::Tag(k.to_string(), v.to_string())),
                _ => Err(format!("selector `{text}`: write tag:KEY=VALUE")),
            },
            "node" => Ok(Selector::Node(value.to_string())),
            other => Err(format!(
                "selector `{text}`: unknown prefix `{other}:`; use one of {PREFIXES}"
            )),
        }
    }

    /// Whether `m` is selected.
    pub fn matches(&self, m: &MemberView<'_>) -> bool {
        match self {
            Selector::Name(p) => p.matches(m.name),
            Selector::Uin(u) => u == m.uin,
            Selector::Tag(k, v) => m.tags.get(k) == Some(v),
            Selector::Node(n) => m.node == Some(n.as_str()),
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Name(p) => write!(f, "name:{}", p.as_str()),
            Selector::Uin(u) => write!(f, "uin:{u}"),
            Selector::Tag(k, v) => write!(f, "tag:{k}={v}"),
            Selector::Node(n) => write!(f, "node:{n}"),
        }
    }
}

/// Why a member is left out: the `exclude` selector it matched, or that it
/// matched no `include`. `None`: kept.
pub fn exclusion(include: &[Selector], exclude: &[Selector], m: &MemberView<'_>) -> Option<String> {
    if !include.is_empty() && !include.iter().any(|s| s.matches(m)) {
        return Some("matches no include selector".to_string());
    }
    exclude
        .iter()
        .find(|s| s.matches(m))
        .map(|s| format!("excluded by `{s}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member<'a>(
        uin: &'a str,
        name: &'a str,
        node: Option<&'a str>,
        tags: &'a BTreeMap<String, String>,
    ) -> MemberView<'a> {
        MemberView {
            uin,
            name,
            node,
            tags,
        }
    }

    #[test]
    fn parses_every_prefix_and_refuses_the_rest() {
        assert_eq!(
            Selector::parse("name:sandbox-*").unwrap().to_string(),
            "name:sandbox-*"
        );
        assert_eq!(
            Selector::parse("uin:200000000009").unwrap(),
            Selector::Uin("200000000009".into())
        );
        assert_eq!(
            Selector::parse("tag:env=prod").unwrap(),
            Selector::Tag("env".into(), "prod".into())
        );
        assert_eq!(
            Selector::parse("node:Payments").unwrap(),
            Selector::Node("Payments".into())
        );
        for (bad, says) in [
            ("sandbox", "no prefix"),
            ("team:x", "unknown prefix `team:`"),
            ("name:[", "invalid glob"),
            ("uin:12ab", "digits only"),
            ("tag:env", "tag:KEY=VALUE"),
            ("node:", "empty"),
        ] {
            let e = Selector::parse(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn include_any_and_exclude_none() {
        let prod: BTreeMap<String, String> = [("env".to_string(), "prod".to_string())].into();
        let none = BTreeMap::new();
        let include = vec![
            Selector::parse("tag:env=prod").unwrap(),
            Selector::parse("node:Payments").unwrap(),
        ];
        let exclude = vec![
            Selector::parse("name:sandbox-*").unwrap(),
            Selector::parse("uin:9").unwrap(),
        ];
        assert_eq!(
            exclusion(&include, &exclude, &member("1", "web", None, &prod)),
            None
        );
        assert_eq!(
            exclusion(
                &include,
                &exclude,
                &member("2", "pay", Some("Payments"), &none)
            ),
            None
        );
        assert_eq!(
            exclusion(&include, &exclude, &member("3", "web", Some("Web"), &none)).as_deref(),
            Some("matches no include selector")
        );
        assert_eq!(
            exclusion(&include, &exclude, &member("4", "sandbox-1", None, &prod)).as_deref(),
            Some("excluded by `name:sandbox-*`")
        );
        assert_eq!(
            exclusion(&include, &exclude, &member("9", "web", None, &prod)).as_deref(),
            Some("excluded by `uin:9`")
        );
        assert_eq!(exclusion(&[], &[], &member("5", "any", None, &none)), None);
    }
}
