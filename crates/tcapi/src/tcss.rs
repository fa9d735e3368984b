//! `tcss` (Tencent Container Security Service), version `2020-11-01`: its
//! actions and the answers we read (always built: the simulator serves
//! them), and the typed calls (feature `client`).

use serde::{Deserialize, Serialize};

use crate::action::{Action, Descriptor, Scope};
#[cfg(feature = "client")]
use crate::client::{Answer, Client, Endpoint, Failure, Pacer};
#[cfg(feature = "client")]
use crate::credentials::Credentials;

/// The service name.
pub const SERVICE: &str = "tcss";
/// The API version.
pub const VERSION: &str = "2020-11-01";

const fn tcss<A>(name: &'static str, scope: Scope) -> Action<A> {
    Action::new(Descriptor {
        service: SERVICE,
        version: VERSION,
        name,
        scope,
    })
}

/// `DescribeImageAuthorizedInfo` (no parameters): the image license counts
/// and the image-scan quota, per region.
pub const DESCRIBE_IMAGE_AUTHORIZED_INFO: Action<ImageAuthorizedInfo> =
    tcss("DescribeImageAuthorizedInfo", Scope::PerRegion);

/// `DescribePurchaseStateInfo` (no parameters): the Pro edition's state
/// and term, and the core licenses; account-wide.
pub const DESCRIBE_PURCHASE_STATE_INFO: Action<PurchaseStateInfo> =
    tcss("DescribePurchaseStateInfo", Scope::AccountWide);

/// `DescribeImageAutoAuthorizedRule` (no parameters): the rule that
/// authorizes images automatically (why image licenses are consumed);
/// account-wide.
pub const DESCRIBE_IMAGE_AUTO_AUTHORIZED_RULE: Action<ImageAutoAuthorizedRule> =
    tcss("DescribeImageAutoAuthorizedRule", Scope::AccountWide);

/// Every TCSS action this crate knows (the simulator serves each).
pub const ACTIONS: &[Descriptor] = &[
    *DESCRIBE_IMAGE_AUTHORIZED_INFO.descriptor(),
    *DESCRIBE_PURCHASE_STATE_INFO.descriptor(),
    *DESCRIBE_IMAGE_AUTO_AUTHORIZED_RULE.descriptor(),
];

/// Response of `DescribeImageAuthorizedInfo`. Every field is optional (missing
/// and `null` both become `None`); unknown fields are ignored. Field names are
/// the API's own spellings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageAuthorizedInfo {
    /// Total image licenses.
    pub total_authorized_cnt: Option<i64>,
    /// Licenses in use.
    pub used_authorized_cnt: Option<i64>,
    /// Images scanned.
    pub scanned_image_cnt: Option<i64>,
    /// Images not scanned.
    pub not_scanned_image_cnt: Option<i64>,
    /// Local images not scanned.
    pub not_scanned_local_image_cnt: Option<i64>,
    /// Trial licenses.
    pub trial_authorized_cnt: Option<i64>,
    /// Trial licenses in use.
    pub used_trial_authorized_cnt: Option<i64>,
    /// Purchased licenses.
    pub purchased_authorized_cnt: Option<i64>,
    /// Purchased licenses in use.
    pub used_purchased_authorized_cnt: Option<i64>,
    /// Whether a free trial authorization can still be applied for.
    pub can_apply_free_image_authorize: Option<bool>,
    /// Images present both locally and in a registry.
    pub repeat_image_id_cnt: Option<i64>,
    /// The image-scan quota.
    pub image_scan_inquire_info: Option<ImageScanInquireInfo>,
}

/// `ImageScanInquireInfo`: the image-scan quota (the API spells `Capcity` and `Useage`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageScanInquireInfo {
    /// Quota key.
    #[serde(rename = "InquireKey")]
    pub inquire_key: Option<String>,
    /// Quota capacity.
    #[serde(rename = "Capcity")]
    pub capcity: Option<i64>,
    /// Quota used.
    #[serde(rename = "Useage")]
    pub useage: Option<i64>,
    /// Start, Beijing time without a zone (`2024-01-01 00:00:00`).
    #[serde(rename = "StartTime")]
    pub start_time: Option<String>,
    /// End, Beijing time without a zone.
    #[serde(rename = "EndTime")]
    pub end_time: Option<String>,
    /// Purchase status, e.g. `Pending`, `Normal`, `Isolate`.
    #[serde(rename = "PurchaseStatus")]
    pub purchase_status: Option<String>,
    /// Resource ID.
    #[serde(rename = "ResourceID")]
    pub resource_id: Option<String>,
    /// Paid quantity.
    #[serde(rename = "PayNum")]
    pub pay_num: Option<i64>,
    /// Trial quantity.
    #[serde(rename = "TrialNum")]
    pub trial_num: Option<i64>,
    /// Paid usage.
    #[serde(rename = "PayUsage")]
    pub pay_usage: Option<i64>,
}

/// Response of `DescribePurchaseStateInfo`. Every field is optional
/// (missing and `null` both become `None`); unknown fields are ignored;
/// enum values outside the documented ones are kept as sent. Times are
/// Beijing time without a zone (`2026-12-01 00:00:00`), possibly empty.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PurchaseStateInfo {
    /// The edition's state.
    pub state: Option<EditionState>,
    /// All cores: protected plus unprotected.
    pub all_cores_cnt: Option<u64>,
    /// Protected cores: purchased, given with the trial and flexible.
    pub cores_cnt: Option<u64>,
    /// Unprotected cores.
    pub undefend_cores_cnt: Option<u64>,
    /// Purchased cores.
    pub authorized_cores_cnt: Option<u64>,
    /// Pro-edition cores given with the trial.
    pub given_authorized_cores_cnt: Option<i64>,
    /// Cores billed flexibly now.
    pub current_flexible_cores_cnt: Option<u64>,
    /// The most cores billed flexibly.
    pub flexible_cores_limit: Option<u64>,
    /// When the edition ends.
    pub expiration_time: Option<String>,
    /// When the edition began.
    pub begin_time: Option<String>,
    /// Automatic renewal.
    pub automatic_renewal: Option<AutoRenewal>,
    /// The sub-state, as sent (with `State` 4: `ISOLATE`, `DESTROED`).
    pub sub_state: Option<String>,
    /// Image licenses given with the trial (they may expire).
    pub given_authorized_cnt: Option<u64>,
}

/// `State` of `DescribePurchaseStateInfo`; any other number is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
pub enum EditionState {
    /// 0: a trial may be applied for, or the edition bought.
    TrialAvailable,
    /// 1: the edition may only be bought (the trial was refused or is over).
    PurchaseOnly,
    /// 2: the trial is in effect.
    Trial,
    /// 3: the Pro edition is in effect.
    Pro,
    /// 4: the Pro edition has expired.
    ProExpired,
    /// Any other value, as sent.
    Other(i64),
}

impl From<i64> for EditionState {
    fn from(n: i64) -> EditionState {
        match n {
            0 => EditionState::TrialAvailable,
            1 => EditionState::PurchaseOnly,
            2 => EditionState::Trial,
            3 => EditionState::Pro,
            4 => EditionState::ProExpired,
            n => EditionState::Other(n),
        }
    }
}

impl From<EditionState> for i64 {
    fn from(s: EditionState) -> i64 {
        match s {
            EditionState::TrialAvailable => 0,
            EditionState::PurchaseOnly => 1,
            EditionState::Trial => 2,
            EditionState::Pro => 3,
            EditionState::ProExpired => 4,
            EditionState::Other(n) => n,
        }
    }
}

/// `AutomaticRenewal` of `DescribePurchaseStateInfo`; any other number is
/// kept (the official CLI's example answers 194).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
pub enum AutoRenewal {
    /// 0: never set (the initial state).
    Unset,
    /// 1: renewed automatically.
    On,
    /// 2: explicitly not renewed.
    Off,
    /// Any other value, as sent.
    Other(i64),
}

impl From<i64> for AutoRenewal {
    fn from(n: i64) -> AutoRenewal {
        match n {
            0 => AutoRenewal::Unset,
            1 => AutoRenewal::On,
            2 => AutoRenewal::Off,
            n => AutoRenewal::Other(n),
        }
    }
}

impl From<AutoRenewal> for i64 {
    fn from(r: AutoRenewal) -> i64 {
        match r {
            AutoRenewal::Unset => 0,
            AutoRenewal::On => 1,
            AutoRenewal::Off => 2,
            AutoRenewal::Other(n) => n,
        }
    }
}

/// Response of `DescribeImageAutoAuthorizedRule`. Every field is optional;
/// unknown fields are ignored; an unknown `RangeType` is kept as sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ImageAutoAuthorizedRule {
    /// 1: the rule is in effect, 0: not.
    pub is_enabled: Option<i64>,
    /// Which images it authorizes.
    pub range_type: Option<AutoAuthorizeRange>,
    /// With `MANUAL`: how many hosts were chosen.
    pub host_count: Option<i64>,
    /// The most images authorized per day; 0: no limit.
    pub max_daily_count: Option<i64>,
    /// The rule's id; 0 when none was set.
    pub rule_id: Option<i64>,
}

/// `RangeType` of `DescribeImageAutoAuthorizedRule`; any other text is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum AutoAuthorizeRange {
    /// `ALL`: every image.
    All,
    /// `MANUAL`: the images of chosen hosts.
    Manual,
    /// Any other value, as sent.
    Other(String),
}

impl From<String> for AutoAuthorizeRange {
    fn from(s: String) -> AutoAuthorizeRange {
        match s.as_str() {
            "ALL" => AutoAuthorizeRange::All,
            "MANUAL" => AutoAuthorizeRange::Manual,
            _ => AutoAuthorizeRange::Other(s),
        }
    }
}

impl From<AutoAuthorizeRange> for String {
    fn from(r: AutoAuthorizeRange) -> String {
        match r {
            AutoAuthorizeRange::All => "ALL".to_owned(),
            AutoAuthorizeRange::Manual => "MANUAL".to_owned(),
            AutoAuthorizeRange::Other(s) => s,
        }
    }
}

/// `DescribeImageAuthorizedInfo` in `region` (body `{}`): the account's image
/// license counts and image-scan quota.
#[cfg(feature = "client")]
pub async fn describe_image_authorized_info<P: Pacer>(
    client: &Client,
    endpoint: &Endpoint,
    region: &str,
    creds: &Credentials,
    pacer: &P,
) -> Result<Answer<ImageAuthorizedInfo>, Failure> {
    DESCRIBE_IMAGE_AUTHORIZED_INFO
        .call(client, endpoint, Some(region), b"{}", creds, pacer)
        .await
}

/// `DescribePurchaseStateInfo` (body `{}`), asked in `region` (`None`: no
/// `X-TC-Region`): the edition and the core licenses.
#[cfg(feature = "client")]
pub async fn describe_purchase_state_info<P: Pacer>(
    client: &Client,
    endpoint: &Endpoint,
    region: Option<&str>,
    creds: &Credentials,
    pacer: &P,
) -> Result<Answer<PurchaseStateInfo>, Failure> {
    DESCRIBE_PURCHASE_STATE_INFO
        .call(client, endpoint, region, b"{}", creds, pacer)
        .await
}

/// `DescribeImageAutoAuthorizedRule` (body `{}`), asked in `region`
/// (`None`: no `X-TC-Region`): the automatic image authorization rule.
#[cfg(feature = "client")]
pub async fn describe_image_auto_authorized_rule<P: Pacer>(
    client: &Client,
    endpoint: &Endpoint,
    region: Option<&str>,
    creds: &Credentials,
    pacer: &P,
) -> Result<Answer<ImageAutoAuthorizedRule>, Failure> {
    DESCRIBE_IMAGE_AUTO_AUTHORIZED_RULE
        .call(client, endpoint, region, b"{}", creds, pacer)
        .await
}

#[cfg(all(test, feature = "client"))]
mod tests {
    use super::*;
    use crate::client::interpret_response;

    fn read<T: serde::de::DeserializeOwned>(response: &str) -> Result<T, crate::Error> {
        let body = format!(r#"{{"Response":{{{response},"RequestId":"r"}}}}"#);
        interpret_response::<T>(200, body.as_bytes()).map(|(t, _)| t)
    }

    /// The official CLI's example answer, with its undocumented
    /// `AutomaticRenewal` and `SubState` values, kept as sent.
    #[test]
    fn purchase_state_keeps_unknown_values() {
        let p: PurchaseStateInfo = read(
            r#""State":3,"AllCoresCnt":12,"CoresCnt":10,"UndefendCoresCnt":2,"AuthorizedCoresCnt":8,
               "GivenAuthorizedCoresCnt":2,"CurrentFlexibleCoresCnt":0,"FlexibleCoresLimit":100,
               "ImageCnt":5,"ExpirationTime":"2026-12-01 00:00:00","BeginTime":"2025-12-01 00:00:00",
               "AutomaticRenewal":194,"SubState":"NORMAL","GivenAuthorizedCnt":50,"SomethingNew":[1]"#,
        )
        .unwrap();
        assert_eq!(p.state, Some(EditionState::Pro));
        assert_eq!(p.automatic_renewal, Some(AutoRenewal::Other(194)));
        assert_eq!(p.sub_state.as_deref(), Some("NORMAL"));
        assert_eq!(
            (p.all_cores_cnt, p.cores_cnt, p.undefend_cores_cnt),
            (Some(12), Some(10), Some(2))
        );
        assert_eq!(
            (p.authorized_cores_cnt, p.given_authorized_cores_cnt),
            (Some(8), Some(2))
        );
        assert_eq!(
            (p.current_flexible_cores_cnt, p.flexible_cores_limit),
            (Some(0), Some(100))
        );
        assert_eq!(p.expiration_time.as_deref(), Some("2026-12-01 00:00:00"));
        assert_eq!(p.begin_time.as_deref(), Some("2025-12-01 00:00:00"));
        assert_eq!(p.given_authorized_cnt, Some(50));
        let other: PurchaseStateInfo = read(r#""State":9,"AutomaticRenewal":2"#).unwrap();
        assert_eq!(other.state, Some(EditionState::Other(9)));
        assert_eq!(other.automatic_renewal, Some(AutoRenewal::Off));
        // Kept as sent, written back as sent.
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(
            (json["State"].clone(), json["AutomaticRenewal"].clone()),
            (3.into(), 194.into())
        );
    }

    #[test]
    fn purchase_state_nulls_and_missing_fields_are_none() {
        let p: PurchaseStateInfo = read(
            r#""State":null,"AllCoresCnt":null,"AutomaticRenewal":null,"SubState":null,"ExpirationTime":"""#,
        )
        .unwrap();
        assert_eq!(
            p,
            PurchaseStateInfo {
                expiration_time: Some(String::new()),
                ..PurchaseStateInfo::default()
            }
        );
        assert_eq!(
            read::<PurchaseStateInfo>(r#""X":1"#).unwrap(),
            PurchaseStateInfo::default()
        );
        for (n, state) in [
            (0, EditionState::TrialAvailable),
            (1, EditionState::PurchaseOnly),
            (2, EditionState::Trial),
            (4, EditionState::ProExpired),
        ] {
            let p: PurchaseStateInfo =
                read(&format!(r#""State":{n},"AutomaticRenewal":{}"#, n % 2)).unwrap();
            assert_eq!(p.state, Some(state));
            assert_eq!(i64::from(state), n);
        }
    }

    #[test]
    fn a_mistyped_field_is_named() {
        let e = read::<PurchaseStateInfo>(r#""AllCoresCnt":-3"#).unwrap_err();
        assert!(e.to_string().contains("Response.AllCoresCnt"), "{e}");
        let e = read::<ImageAutoAuthorizedRule>(r#""RangeType":1"#).unwrap_err();
        assert!(e.to_string().contains("Response.RangeType"), "{e}");
    }

    #[test]
    fn auto_authorized_rule_reads_known_unknown_and_null_values() {
        let r: ImageAutoAuthorizedRule = read(
            r#""IsEnabled":1,"RangeType":"MANUAL","HostCount":3,"MaxDailyCount":0,"RuleId":77,"AutoScanEnabled":1"#,
        )
        .unwrap();
        assert_eq!(
            r,
            ImageAutoAuthorizedRule {
                is_enabled: Some(1),
                range_type: Some(AutoAuthorizeRange::Manual),
                host_count: Some(3),
                max_daily_count: Some(0),
                rule_id: Some(77),
            }
        );
        let all: ImageAutoAuthorizedRule = read(r#""RangeType":"ALL""#).unwrap();
        assert_eq!(all.range_type, Some(AutoAuthorizeRange::All));
        let new: ImageAutoAuthorizedRule =
            read(r#""RangeType":"CLUSTER","IsEnabled":null"#).unwrap();
        assert_eq!(
            new.range_type,
            Some(AutoAuthorizeRange::Other("CLUSTER".into()))
        );
        assert_eq!(new.is_enabled, None);
        assert_eq!(
            serde_json::to_value(&new).unwrap()["RangeType"],
            serde_json::json!("CLUSTER")
        );
    }

    #[test]
    fn the_account_wide_actions_are_described() {
        for (d, name) in [
            (
                DESCRIBE_PURCHASE_STATE_INFO.descriptor(),
                "DescribePurchaseStateInfo",
            ),
            (
                DESCRIBE_IMAGE_AUTO_AUTHORIZED_RULE.descriptor(),
                "DescribeImageAutoAuthorizedRule",
            ),
        ] {
            assert_eq!(
                (d.service, d.version, d.name, d.scope),
                ("tcss", "2020-11-01", name, Scope::AccountWide)
            );
            assert!(ACTIONS.contains(d));
        }
    }
}
