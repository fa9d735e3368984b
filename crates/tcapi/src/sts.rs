//! `sts` (Security Token Service), version `2018-08-13`: `AssumeRole` and
//! `GetCallerIdentity`, typed.
//!
//! The temporary keys in an `AssumeRole` answer are [`Secret`]s: `Debug`
//! redacts them, and error excerpts of undecodable STS answers are dropped so
//! a half-parsed key never reaches a log or report.

use serde::{Deserialize, Deserializer, Serialize};

use crate::action::{Action, Descriptor, Scope};
use crate::client::{Answer, Client, Endpoint, Failure, Pacer};
use crate::credentials::{Credentials, Secret};
use crate::error::Error;

/// The service name.
pub const SERVICE: &str = "sts";
/// The API version.
pub const VERSION: &str = "2018-08-13";

const fn sts<A>(name: &'static str) -> Action<A> {
    Action::new(Descriptor {
        service: SERVICE,
        version: VERSION,
        name,
        scope: Scope::AccountWide,
    })
}

/// Assume a role in another account.
pub const ASSUME_ROLE: Action<AssumeRoleResponse> = sts("AssumeRole");
/// Who am I.
pub const GET_CALLER_IDENTITY: Action<CallerIdentity> = sts("GetCallerIdentity");

/// `AssumeRole` parameters (serialized with the API's PascalCase names;
/// `None`s are left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssumeRoleRequest {
    /// `qcs::cam::uin/<uin>:roleName/<name>`.
    pub role_arn: String,
    /// Session name (2..=128 chars of `[\w+=,.@-]`).
    pub role_session_name: String,
    /// Lifetime of the temporary credentials in seconds (API default 7200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u32>,
    /// An inline policy narrowing the role's permissions (JSON, URL-encoded as the API expects).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
}

/// The temporary keys of an `AssumeRole` answer. `Debug` shows only the id.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TempCredentials {
    /// Session token, sent as `X-TC-Token`.
    #[serde(deserialize_with = "de_secret")]
    pub token: Secret,
    /// Temporary SecretId.
    pub tmp_secret_id: String,
    /// Temporary SecretKey.
    #[serde(deserialize_with = "de_secret")]
    pub tmp_secret_key: Secret,
}

/// `AssumeRole` answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AssumeRoleResponse {
    /// The temporary keys.
    pub credentials: TempCredentials,
    /// When they expire, Unix seconds.
    pub expired_time: i64,
    /// When they expire, ISO 8601 (informational).
    #[serde(default)]
    pub expiration: Option<String>,
}

impl AssumeRoleResponse {
    /// The temporary keys as signing [`Credentials`] (token and expiry set).
    pub fn into_credentials(self) -> Credentials {
        let c = self.credentials;
        Credentials::new(c.tmp_secret_id, c.tmp_secret_key)
            .with_token(c.token)
            .with_expiry(self.expired_time)
    }
}

/// `GetCallerIdentity` answer. Every field is optional; numbers are accepted
/// where strings are expected.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CallerIdentity {
    /// The caller's ARN.
    #[serde(deserialize_with = "de_opt_string")]
    pub arn: Option<String>,
    /// The account's UIN (the main account).
    #[serde(deserialize_with = "de_opt_string")]
    pub account_id: Option<String>,
    /// The caller's user id.
    #[serde(deserialize_with = "de_opt_string")]
    pub user_id: Option<String>,
    /// The principal id.
    #[serde(deserialize_with = "de_opt_string")]
    pub principal_id: Option<String>,
    /// `RootAccount`, `SubAccount`, `AssumedRole`, ...
    #[serde(deserialize_with = "de_opt_string")]
    pub r#type: Option<String>,
}

fn de_secret<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::new)
}

fn de_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StrOrNum {
        Str(String),
        Int(i64),
        UInt(u64),
    }
    Ok(match Option::<StrOrNum>::deserialize(d)? {
        None => None,
        Some(StrOrNum::Str(s)) => Some(s),
        Some(StrOrNum::Int(n)) => Some(n.to_string()),
        Some(StrOrNum::UInt(n)) => Some(n.to_string()),
    })
}

/// An undecodable AssumeRole answer may hold keys: keep its excerpt out of
/// the error, and the quoted values out of its reason (the field path stays).
fn redact_failure(mut f: Failure) -> Failure {
    if let Error::Malformed {
        body_excerpt,
        reason,
        ..
    } = &mut f.error
    {
        if !body_excerpt.is_empty() {
            *body_excerpt = "(not shown: STS answers may contain credentials)".to_string();
        }
        *reason = redact_quoted(reason);
    }
    f
}

/// `text` with the inside of every `"..."` (escapes included) shown as `…`.
fn redact_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '"' {
            continue;
        }
        out.push('…');
        while let Some(q) = chars.next() {
            match q {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    out.push('"');
                    break;
                }
                _ => {}
            }
        }
    }
    out
}

/// `AssumeRole` with `creds` (the source account's keys). `region` is sent
/// as `X-TC-Region` (e.g. `ap-guangzhou`; empty: not sent).
pub async fn assume_role<P: Pacer>(
    client: &Client,
    endpoint: &Endpoint,
    region: &str,
    creds: &Credentials,
    req: &AssumeRoleRequest,
    pacer: &P,
) -> Result<Answer<AssumeRoleResponse>, Failure> {
    let body = Failure::encode_body(ASSUME_ROLE.name, req)?;
    ASSUME_ROLE
        .call(client, endpoint, Some(region), &body, creds, pacer)
        .await
        .map_err(redact_failure)
}

/// `GetCallerIdentity`: who `creds` belong to (body `{}`).
pub async fn get_caller_identity<P: Pacer>(
    client: &Client,
    endpoint: &Endpoint,
    region: &str,
    creds: &Credentials,
    pacer: &P,
) -> Result<Answer<CallerIdentity>, Failure> {
    GET_CALLER_IDENTITY
        .call(client, endpoint, Some(region), b"{}", creds, pacer)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::interpret_response;

    #[test]
    fn assume_role_request_serializes_pascal_case_without_nones() {
        let mut r = AssumeRoleRequest {
            role_arn: "qcs::cam::uin/100:roleName/R".into(),
            role_session_name: "tcss-report".into(),
            duration_seconds: None,
            policy: None,
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"RoleArn":"qcs::cam::uin/100:roleName/R","RoleSessionName":"tcss-report"}"#
        );
        r.duration_seconds = Some(3600);
        r.policy = Some("{}".into());
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"RoleArn":"qcs::cam::uin/100:roleName/R","RoleSessionName":"tcss-report","DurationSeconds":3600,"Policy":"{}"}"#
        );
    }

    const ASSUME_BODY: &[u8] = br#"{"Response":{"Credentials":{"Token":"TOKEN-sekrit-1","TmpSecretId":"AKIDtmp","TmpSecretKey":"KEY-sekrit-2"},"ExpiredTime":1700007200,"Expiration":"2023-11-15T00:13:20Z","RequestId":"r-1"}}"#;

    #[test]
    fn assume_role_response_parses_redacts_and_converts() {
        let (resp, rid): (AssumeRoleResponse, String) =
            interpret_response(200, ASSUME_BODY).unwrap();
        assert_eq!(rid, "r-1");
        assert_eq!(resp.expired_time, 1_700_007_200);
        assert_eq!(resp.expiration.as_deref(), Some("2023-11-15T00:13:20Z"));
        let dbg = format!("{resp:?}");
        assert!(!dbg.contains("sekrit"), "{dbg}");
        assert!(dbg.contains("AKIDtmp"), "{dbg}");
        let creds = resp.into_credentials();
        assert_eq!(creds.secret_id, "AKIDtmp");
        assert_eq!(creds.secret_key.expose(), "KEY-sekrit-2");
        assert_eq!(
            creds.token.as_ref().map(Secret::expose),
            Some("TOKEN-sekrit-1")
        );
        assert_eq!(creds.expires_at, Some(1_700_007_200));
        assert!(!format!("{creds:?}").contains("sekrit"));
    }

    #[test]
    fn malformed_assume_role_excerpt_is_redacted() {
        // ExpiredTime missing: the typed decode fails on a body holding keys.
        let body = br#"{"Response":{"Credentials":{"Token":"TOKEN-sekrit-1","TmpSecretId":"AKIDtmp","TmpSecretKey":"KEY-sekrit-2"},"RequestId":"r-1"}}"#;
        let error = interpret_response::<AssumeRoleResponse>(200, body).unwrap_err();
        assert!(
            error.to_string().contains("sekrit"),
            "precondition: the raw excerpt holds the key"
        );
        let f = redact_failure(Failure {
            error,
            attempts: 1,
            throttled: 0,
        });
        let text = format!("{f} {f:?}");
        assert!(!text.contains("sekrit"), "{text}");
        assert_eq!(f.error.code(), "MalformedResponse");
        assert_eq!(f.error.request_id(), Some("r-1"));
    }

    #[test]
    fn a_wrongly_typed_assume_role_field_is_named_and_its_value_not_shown() {
        let body = br#"{"Response":{"Credentials":{"Token":"TOKEN-sekrit-1","TmpSecretId":"AKIDtmp","TmpSecretKey":"KEY-sekrit-2"},"ExpiredTime":"sekrit-3 \" x","RequestId":"r-1"}}"#;
        let error = interpret_response::<AssumeRoleResponse>(200, body).unwrap_err();
        let Error::Malformed { reason, .. } = &error else {
            panic!("{error:?}");
        };
        assert!(
            reason.starts_with("Response.ExpiredTime: invalid type: string"),
            "{reason}"
        );
        let f = redact_failure(Failure {
            error,
            attempts: 1,
            throttled: 0,
        });
        let text = f.to_string();
        assert!(
            text.contains(r#"malformed response: Response.ExpiredTime: invalid type: string "…", expected i64"#),
            "{text}"
        );
        assert!(!text.contains("sekrit"), "{text}");

        let body = br#"{"Response":{"Credentials":{"Token":"t","TmpSecretId":7,"TmpSecretKey":"k"},"ExpiredTime":1,"RequestId":"r-1"}}"#;
        let error = interpret_response::<AssumeRoleResponse>(200, body).unwrap_err();
        assert!(
            error.to_string().contains(
                "Response.Credentials.TmpSecretId: invalid type: integer `7`, expected a string"
            ),
            "{error}"
        );
    }

    #[test]
    fn redact_quoted_hides_every_quoted_value() {
        assert_eq!(redact_quoted(r#"a "x\"y" b "z" c"#), r#"a "…" b "…" c"#);
        assert_eq!(redact_quoted("no quotes"), "no quotes");
        assert_eq!(redact_quoted(r#"open "abc"#), r#"open "…"#);
    }

    #[test]
    fn caller_identity_parses_strings_numbers_and_missing() {
        let body = br#"{"Response":{"Arn":"qcs::cam::uin/100:uin/100","AccountId":"100","UserId":100,"PrincipalId":"100","Type":"RootAccount","RequestId":"r"}}"#;
        let (id, _): (CallerIdentity, String) = interpret_response(200, body).unwrap();
        assert_eq!(id.account_id.as_deref(), Some("100"));
        assert_eq!(id.user_id.as_deref(), Some("100"));
        assert_eq!(id.r#type.as_deref(), Some("RootAccount"));
        let (id, _): (CallerIdentity, String) =
            interpret_response(200, br#"{"Response":{"AccountId":null,"RequestId":"r"}}"#).unwrap();
        assert_eq!(id, CallerIdentity::default());
    }
}
