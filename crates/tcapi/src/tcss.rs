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

/// Every TCSS action this crate knows (the simulator serves each).
pub const ACTIONS: &[Descriptor] = &[*DESCRIBE_IMAGE_AUTHORIZED_INFO.descriptor()];

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
