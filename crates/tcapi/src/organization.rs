//! `organization` (Tencent Cloud Organization), version `2021-03-31`: the
//! member listing a run uses to discover every account of an organization.
//!
//! Every member field is optional and `null` is accepted anywhere (the API
//! leaves fields out or sends `null` depending on the member); the types are
//! the API's own: `MemberUin` and `NodeId` are integers, `PayUin` is text.

use serde::{Deserialize, Deserializer, Serialize};

use crate::action::{Action, Descriptor, Scope};
use crate::client::{Answer, Client, Failure, Pacer};
use crate::credentials::Credentials;
use crate::endpoint::Endpoint;

/// The service name.
pub const SERVICE: &str = "organization";
/// The API version.
pub const VERSION: &str = "2021-03-31";
/// The member listing (the API has no region).
pub const DESCRIBE_ORGANIZATION_MEMBERS: Action<MembersPage> = Action::new(Descriptor {
    service: SERVICE,
    version: VERSION,
    name: "DescribeOrganizationMembers",
    scope: Scope::AccountWide,
});
/// The largest `Limit` the API accepts.
pub const MAX_LIMIT: u32 = 50;
/// The documented limit of the listing, per calling account.
pub const RATE_LIMIT: u32 = 20;
/// The default endpoint (the international site is
/// `organization.intl.tencentcloudapi.com`).
pub const DEFAULT_ENDPOINT: &str = "https://organization.tencentcloudapi.com";

/// `null` or absent: the default.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A `Tags[]` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Tag {
    /// `TagKey`.
    pub tag_key: Option<String>,
    /// `TagValue`.
    pub tag_value: Option<String>,
}

/// An `OrgPermission[]` or `OrgIdentity[]` entry (`Id`/`Name`, or
/// `IdentityId`/`IdentityAliasName`): kept as given.
pub type Entry = serde_json::Map<String, serde_json::Value>;

/// One member of `DescribeOrganizationMembers`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct OrgMember {
    /// The member's UIN.
    pub member_uin: Option<i64>,
    /// The member's name.
    pub name: Option<String>,
    /// `Invite` or `Create`.
    pub member_type: Option<String>,
    /// The department's id.
    pub node_id: Option<i64>,
    /// The department's name.
    pub node_name: Option<String>,
    /// Remark.
    pub remark: Option<String>,
    /// When the member joined.
    pub create_time: Option<String>,
    /// The paying account's UIN (text).
    pub pay_uin: Option<String>,
    /// The paying account's name.
    pub pay_name: Option<String>,
    /// Permissions of the management account over the member.
    #[serde(deserialize_with = "nullable")]
    pub org_permission: Vec<Entry>,
    /// Identities the management account can use in the member.
    #[serde(deserialize_with = "nullable")]
    pub org_identity: Vec<Entry>,
    /// The member's tags.
    #[serde(deserialize_with = "nullable")]
    pub tags: Vec<Tag>,
}

/// One page of members.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MembersPage {
    /// The members of this page.
    #[serde(deserialize_with = "nullable")]
    pub items: Vec<OrgMember>,
    /// How many members the organization has (all pages).
    pub total: Option<u64>,
}

/// `DescribeOrganizationMembers` request: one page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MembersRequest {
    /// Members to skip.
    pub offset: u64,
    /// Page size, 1 to [`MAX_LIMIT`].
    pub limit: u32,
}

/// One page of the organization's members, listed with the management
/// account's `creds`. The organization API has no region.
pub async fn describe_organization_members<P: Pacer>(
    client: &Client,
    endpoint: &Endpoint,
    creds: &Credentials,
    req: &MembersRequest,
    pacer: &P,
) -> Result<Answer<MembersPage>, Failure> {
    let body = Failure::encode_body(DESCRIBE_ORGANIZATION_MEMBERS.name, req)?;
    DESCRIBE_ORGANIZATION_MEMBERS
        .call(client, endpoint, None, &body, creds, pacer)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_parse_with_nulls_and_the_api_types() {
        let page: MembersPage = serde_json::from_str(
            r#"{"Items": [
                {"MemberUin": 200000000001, "Name": "web", "NodeId": 1002, "NodeName": "Web",
                 "PayUin": "100000000001", "Tags": [{"TagKey": "env", "TagValue": "prod"}],
                 "OrgPermission": [{"Id": 1, "Name": "Finance"}], "OrgIdentity": null,
                 "SomethingNew": true},
                {"MemberUin": 200000000002, "Name": null, "Tags": null, "NodeId": null}
            ], "Total": 2}"#,
        )
        .unwrap();
        assert_eq!(page.total, Some(2));
        let a = &page.items[0];
        assert_eq!(a.member_uin, Some(200000000001));
        assert_eq!(a.node_id, Some(1002));
        assert_eq!(a.pay_uin.as_deref(), Some("100000000001"));
        assert_eq!(a.tags[0].tag_key.as_deref(), Some("env"));
        assert!(a.org_identity.is_empty());
        let b = &page.items[1];
        assert_eq!(b.name, None);
        assert!(b.tags.is_empty());
        let empty: MembersPage = serde_json::from_str(r#"{"Items": null, "Total": 7}"#).unwrap();
        assert!(empty.items.is_empty());
        assert_eq!(
            serde_json::to_string(&MembersRequest {
                offset: 50,
                limit: 50
            })
            .unwrap(),
            r#"{"Offset":50,"Limit":50}"#
        );
    }
}
