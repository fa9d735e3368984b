//! STS 2018-08-13: `AssumeRole` (RoleArn parsing, trust check, duration
//! bounds, temporary credentials) and `GetCallerIdentity`, plus the store of
//! issued temporary credentials that the verifier consults.

use std::collections::HashMap;

use rand::Rng;
use serde_json::{json, Map, Value};

use super::reply::ApiError;
use crate::fleet::Fleet;

/// The STS service name.
pub const SERVICE: &str = "sts";
/// The STS API version.
pub const VERSION: &str = "2018-08-13";
/// `AssumeRole`.
pub const ASSUME_ROLE: &str = "AssumeRole";
/// `GetCallerIdentity`.
pub const GET_CALLER_IDENTITY: &str = "GetCallerIdentity";

/// `DurationSeconds` when the request gives none.
pub const DEFAULT_DURATION_SECS: i64 = 7200;

/// One issued set of temporary credentials.
#[derive(Clone)]
pub(crate) struct TempCred {
    /// Index of the account the role belongs to (where the credentials act).
    pub account: usize,
    /// Index of the account that assumed the role.
    pub caller: usize,
    pub secret_key: String,
    pub token: String,
    /// Expiry on the simulator's clock (Unix seconds, shift included, account offsets excluded).
    pub expires_at: i64,
    pub role_name: String,
    pub session_name: String,
    /// Revoked before expiry ([`TempStore::revoke_all`]).
    pub revoked: bool,
}

impl std::fmt::Debug for TempCred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TempCred")
            .field("account", &self.account)
            .field("expires_at", &self.expires_at)
            .field("role_name", &self.role_name)
            .finish_non_exhaustive()
    }
}

/// Issued temporary credentials by `TmpSecretId`.
#[derive(Debug, Default)]
pub(crate) struct TempStore {
    by_id: HashMap<String, TempCred>,
}

impl TempStore {
    pub(crate) fn get(&self, secret_id: &str) -> Option<&TempCred> {
        self.by_id.get(secret_id)
    }

    /// Revokes every credential issued so far (as when a role's sessions
    /// are revoked in CAM): later use is answered `AuthFailure.TokenFailure`.
    /// Returns how many were revoked.
    pub(crate) fn revoke_all(&mut self) -> usize {
        let mut n = 0;
        for cred in self.by_id.values_mut().filter(|c| !c.revoked) {
            cred.revoked = true;
            n += 1;
        }
        n
    }

    /// Every SecretId, SecretKey and token issued and still stored.
    pub(crate) fn secrets(&self) -> Vec<String> {
        self.by_id
            .iter()
            .flat_map(|(id, c)| [id.clone(), c.secret_key.clone(), c.token.clone()])
            .collect()
    }

    /// Stores credentials, dropping long-expired ones once the store grows.
    pub(crate) fn insert(&mut self, id: String, cred: TempCred, now: i64) {
        if self.by_id.len() >= 50_000 {
            // Keep an hour of grace so "expired" is still answered as expired.
            self.by_id.retain(|_, c| c.expires_at + 3600 > now);
        }
        self.by_id.insert(id, cred);
    }
}

/// `qcs::cam::uin/<uin>:roleName/<name>` -> `(uin, name)`.
pub(crate) fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("qcs::cam::uin/")?;
    let (uin, role) = rest.split_once(':')?;
    let name = role.strip_prefix("roleName/")?;
    if uin.is_empty() || !uin.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    Some((uin, name))
}

/// A stable numeric role id, like Tencent's `4611686018...`.
pub(crate) fn role_id(uin: &str, role: &str) -> String {
    let h = tcapi::sign::sha256_hex(format!("{uin}:{role}").as_bytes());
    let n = u64::from_str_radix(h.get(..12).unwrap_or("0"), 16).unwrap_or(0) % 1_000_000_000;
    format!("{}", 4_611_686_018_000_000_000u64 + n)
}

/// A string parameter (JSON string; GET query values are strings too).
fn str_param<'a>(params: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, ApiError> {
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ApiError::new(
            "InvalidParameter",
            format!("The parameter `{name}` must be a string."),
        )),
    }
}

/// An integer parameter (a JSON number, or a string of digits from a GET query).
fn int_param(params: &Map<String, Value>, name: &str) -> Result<Option<i64>, ApiError> {
    let wrong = || {
        ApiError::new(
            "InvalidParameterValue",
            format!("The parameter `{name}` must be an integer."),
        )
    };
    match params.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(wrong),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| wrong()),
        Some(_) => Err(wrong()),
    }
}

/// What a successful `AssumeRole` grants.
#[derive(Debug)]
pub(crate) struct Grant {
    pub target: usize,
    pub role_name: String,
    pub session_name: String,
    pub duration: i64,
}

/// Validates an `AssumeRole` request made by account `caller` (an index into `fleet.accounts`).
pub(crate) fn check_assume_role(
    fleet: &Fleet,
    caller: usize,
    params: &Map<String, Value>,
) -> Result<Grant, ApiError> {
    let arn = str_param(params, "RoleArn")?.ok_or_else(|| ApiError::missing("RoleArn"))?;
    let session = str_param(params, "RoleSessionName")?
        .ok_or_else(|| ApiError::missing("RoleSessionName"))?;
    let valid_session = (2..=128).contains(&session.len())
        && session
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if !valid_session {
        return Err(ApiError::new(
            "InvalidParameter",
            "RoleSessionName must be 2 to 128 characters of letters, digits and _+=,.@-",
        ));
    }
    let max = i64::from(fleet.settings.max_role_duration_secs);
    let duration = int_param(params, "DurationSeconds")?.unwrap_or(DEFAULT_DURATION_SECS.min(max));
    if !(1..=max).contains(&duration) {
        return Err(ApiError::new(
            "InvalidParameterValue",
            format!("DurationSeconds must be between 1 and {max}, got {duration}."),
        ));
    }
    let (uin, role_name) = parse_role_arn(arn).ok_or_else(|| {
        ApiError::new(
            "InvalidParameter",
            format!("RoleArn `{arn}` is not of the form qcs::cam::uin/<uin>:roleName/<name>."),
        )
    })?;
    let not_exist = || {
        ApiError::new(
            "InvalidParameter.RoleNotExist",
            format!("The role `{arn}` does not exist."),
        )
    };
    let target = fleet
        .accounts
        .iter()
        .position(|a| a.uin == uin)
        .ok_or_else(not_exist)?;
    let role = fleet.accounts[target]
        .roles
        .iter()
        .find(|r| r.name == role_name)
        .ok_or_else(not_exist)?;
    let caller_uin = &fleet.accounts[caller].uin;
    if !role.trusted.iter().any(|t| t == caller_uin) {
        return Err(ApiError::new(
            "UnauthorizedOperation",
            format!("Account {caller_uin} is not a trusted entity of role `{arn}`; the role's trust policy does not allow it to be assumed."),
        ));
    }
    Ok(Grant {
        target,
        role_name: role_name.to_owned(),
        session_name: session.to_owned(),
        duration,
    })
}

fn random(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(CHARS[rng.gen_range(0..CHARS.len())]))
        .collect()
}

/// Fresh `(TmpSecretId, TmpSecretKey, Token)`.
pub(crate) fn new_credentials() -> (String, String, String) {
    (format!("AKID{}", random(32)), random(32), random(160))
}

/// The `AssumeRole` response fields (inside `Response`), `expired_time` in the answering server's clock.
pub(crate) fn assume_role_fields(
    id: &str,
    key: &str,
    token: &str,
    expired_time: i64,
) -> Map<String, Value> {
    let expiration = chrono::DateTime::from_timestamp(expired_time, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let v = json!({
        "Credentials": {"Token": token, "TmpSecretId": id, "TmpSecretKey": key},
        "ExpiredTime": expired_time,
        "Expiration": expiration,
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The `GetCallerIdentity` response fields for a long-term key of `uin`, or for assumed-role credentials.
pub(crate) fn caller_identity_fields(
    uin: &str,
    assumed: Option<(&str, &str, &str)>,
) -> Map<String, Value> {
    let v = match assumed {
        None => json!({
            "Arn": format!("qcs::cam::uin/{uin}:uin/{uin}"),
            "AccountId": uin,
            "UserId": uin,
            "PrincipalId": uin,
            "Type": "RootAccount",
        }),
        Some((role, session, caller_uin)) => {
            let id = role_id(uin, role);
            json!({
                "Arn": format!("qcs::sts:{uin}:assumed-role/{id}/{session}"),
                "AccountId": uin,
                "UserId": format!("{id}:{session}"),
                "PrincipalId": caller_uin,
                "Type": "CAMRole",
            })
        }
    };
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{Role, SimAccount};

    #[test]
    fn role_arns() {
        assert_eq!(
            parse_role_arn("qcs::cam::uin/200000000001:roleName/OrgRole"),
            Some(("200000000001", "OrgRole"))
        );
        for bad in [
            "",
            "qcs::cam::uin/abc:roleName/x",
            "qcs::cam::uin/1:role/x",
            "qcs::cam::uin/1:roleName/",
            "arn:aws:iam::1:role/x",
        ] {
            assert_eq!(parse_role_arn(bad), None, "{bad}");
        }
    }

    fn fleet() -> Fleet {
        Fleet {
            accounts: vec![
                SimAccount {
                    uin: "100".into(),
                    ..Default::default()
                },
                SimAccount {
                    uin: "200".into(),
                    roles: vec![Role {
                        name: "R".into(),
                        trusted: vec!["100".into()],
                    }],
                    ..Default::default()
                },
                SimAccount {
                    uin: "300".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    fn params(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn assume_role_checks() {
        let f = fleet();
        let ok =
            params(json!({"RoleArn": "qcs::cam::uin/200:roleName/R", "RoleSessionName": "s1"}));
        let g = check_assume_role(&f, 0, &ok).expect("trusted");
        assert_eq!((g.target, g.duration), (1, DEFAULT_DURATION_SECS));
        let code = |caller, p: Value| {
            check_assume_role(&f, caller, &params(p))
                .expect_err("rejected")
                .code
        };
        assert_eq!(code(2, Value::Object(ok.clone())), "UnauthorizedOperation");
        assert_eq!(
            code(0, json!({"RoleSessionName": "s1"})),
            "MissingParameter"
        );
        assert_eq!(
            code(0, json!({"RoleArn": "qcs::cam::uin/200:roleName/R"})),
            "MissingParameter"
        );
        assert_eq!(
            code(
                0,
                json!({"RoleArn": "qcs::cam::uin/200:roleName/Nope", "RoleSessionName": "s1"})
            ),
            "InvalidParameter.RoleNotExist"
        );
        assert_eq!(
            code(
                0,
                json!({"RoleArn": "qcs::cam::uin/999:roleName/R", "RoleSessionName": "s1"})
            ),
            "InvalidParameter.RoleNotExist"
        );
        assert_eq!(
            code(0, json!({"RoleArn": "bogus", "RoleSessionName": "s1"})),
            "InvalidParameter"
        );
        for d in [json!(0), json!(43_201), json!("x"), json!(1.5)] {
            let p = json!({"RoleArn": "qcs::cam::uin/200:roleName/R", "RoleSessionName": "s1", "DurationSeconds": d});
            assert_eq!(code(0, p), "InvalidParameterValue");
        }
        let p = json!({"RoleArn": "qcs::cam::uin/200:roleName/R", "RoleSessionName": "s1", "DurationSeconds": "43200"});
        assert_eq!(
            check_assume_role(&f, 0, &params(p))
                .expect("string digits from GET")
                .duration,
            43_200
        );
        assert_eq!(
            code(
                0,
                json!({"RoleArn": "qcs::cam::uin/200:roleName/R", "RoleSessionName": "bad name!"})
            ),
            "InvalidParameter"
        );
    }
}
