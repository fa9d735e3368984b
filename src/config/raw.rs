//! The accounts file as written: the serde `Raw*` structs `toml` fills in,
//! with spans kept on every value a message may point at. Nothing here is
//! checked; [`super::validate`] turns these into the validated types.
//!
//! `deny_unknown_fields` stays on as a safety net: [`super::keys`] reports
//! every unknown key first, from the field lists of these same structs.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::model::RegionScope;

use super::keys::field_names;

/// A table of the file whose keys are checked, by its key in [`RawConfig`].
#[derive(Debug)]
pub(super) struct TableKeys {
    /// The field of [`RawConfig`].
    pub name: &'static str,
    /// How messages show it: `[defaults]`, `[[accounts]]`.
    pub header: &'static str,
    /// The keys it accepts: the fields of its raw struct.
    pub fields: fn() -> &'static [&'static str],
}

/// Every table of [`RawConfig`]; a new table is one line here (a unit test
/// fails when a field of `RawConfig` is missing).
pub(super) const TABLES: &[TableKeys] = &[
    TableKeys::new("defaults", "[defaults]", field_names::<RawDefaults>),
    TableKeys::new("accounts", "[[accounts]]", field_names::<RawAccount>),
    TableKeys::new(
        "organizations",
        "[[organizations]]",
        field_names::<RawOrganization>,
    ),
    TableKeys::new("history", "[history]", field_names::<RawHistory>),
    TableKeys::new("notify", "[[notify]]", field_names::<RawNotify>),
];

impl TableKeys {
    const fn new(
        name: &'static str,
        header: &'static str,
        fields: fn() -> &'static [&'static str],
    ) -> Self {
        TableKeys {
            name,
            header,
            fields,
        }
    }
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub defaults: RawDefaults,
    #[serde(default)]
    pub accounts: Vec<RawAccount>,
    #[serde(default)]
    pub organizations: Vec<RawOrganization>,
    #[serde(default)]
    pub history: RawHistory,
    #[serde(default)]
    pub notify: Vec<RawNotify>,
}

/// `[defaults]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [defaults] table")]
pub(super) struct RawDefaults {
    pub endpoint: Option<Spanned<String>>,
    pub sts_endpoint: Option<Spanned<String>>,
    pub sts_region: Option<Spanned<String>>,
    pub ca_file: Option<Spanned<String>>,
    pub allow_insecure_http: Option<bool>,
    pub regions: Option<Spanned<Vec<String>>>,
    pub concurrency: Option<Spanned<i64>>,
    pub rate_limit: Option<Spanned<i64>>,
    pub sts_rate_limit: Option<Spanned<i64>>,
    pub timeout_secs: Option<Spanned<i64>>,
    pub max_attempts: Option<Spanned<i64>>,
    pub run_timeout_secs: Option<Spanned<i64>>,
    pub region_scope: Option<RegionScope>,
    pub group_by: Option<Vec<Spanned<String>>>,
    pub role_session_name: Option<Spanned<String>>,
    pub role_duration_secs: Option<Spanned<i64>>,
    pub language: Option<Spanned<String>>,
    pub pushgateway: Option<Spanned<String>>,
    pub fail_on: Option<Vec<Spanned<String>>>,
    pub history_key: Option<Spanned<String>>,
    pub collect: Option<Spanned<Vec<String>>>,
    pub csv_bom: Option<bool>,
}

/// One `[[accounts]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [[accounts]] table")]
pub(super) struct RawAccount {
    pub name: Spanned<String>,
    pub uin: Option<Spanned<String>>,
    pub secret_id_env: Option<Spanned<String>>,
    pub secret_key_env: Option<Spanned<String>>,
    pub token_env: Option<Spanned<String>>,
    pub secret_id: Option<Spanned<String>>,
    pub secret_key: Option<Spanned<String>>,
    pub profile: Option<Spanned<String>>,
    pub role_arn: Option<Spanned<String>>,
    pub source_account: Option<Spanned<String>>,
    pub regions: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// One `[[organizations]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "an [[organizations]] table")]
pub(super) struct RawOrganization {
    pub name: Spanned<String>,
    pub management_account: Option<Spanned<String>>,
    pub role_name: Option<Spanned<String>>,
    pub endpoint: Option<Spanned<String>>,
    pub include: Option<Spanned<Vec<String>>>,
    pub exclude: Option<Spanned<Vec<String>>>,
    pub regions: Option<Spanned<Vec<String>>>,
}

/// `[history]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [history] table")]
pub(super) struct RawHistory {
    pub database: Option<Spanned<String>>,
    pub password_env: Option<Spanned<String>>,
    pub timeout_secs: Option<Spanned<i64>>,
}

/// One `[[notify]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[notify]] table")]
pub(super) struct RawNotify {
    pub kind: Spanned<String>,
    pub url_env: Option<Spanned<String>>,
    pub when: Option<Spanned<String>>,
    pub secret_env: Option<Spanned<String>>,
    pub smtp_url_env: Option<Spanned<String>>,
    pub from: Option<Spanned<String>>,
    pub to: Option<Spanned<Vec<String>>>,
    pub attach: Option<Spanned<Vec<String>>>,
    pub timeout_secs: Option<Spanned<i64>>,
}
