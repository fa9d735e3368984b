//! STS `AssumeRole` inputs, checked before any call: the role ARN
//! ([`RoleArn`]), the session name ([`validate_session_name`]) and the session
//! duration ([`validate_duration`]), plus the timing constants of temporary
//! credentials.

use std::fmt;
use std::str::FromStr;

use super::CredentialError;

/// The longest role session STS grants, in seconds (12 hours).
pub const MAX_ROLE_DURATION_SECS: u32 = 43_200;
/// The session duration STS uses when none is asked for, in seconds.
pub const DEFAULT_ROLE_DURATION_SECS: u32 = 7_200;
/// Temporary credentials are refreshed at least this long before they expire.
pub const REFRESH_BEFORE_EXPIRY_SECS: i64 = 300;

const ARN_PREFIX: &str = "qcs::cam::uin/";
const ROLE_NAME_MAX: usize = 128;
const SESSION_NAME_MIN: usize = 2;
const SESSION_NAME_MAX: usize = 128;

/// How an ARN designates its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RoleArnKind {
    /// `qcs::cam::uin/<uin>:roleName/<name>` (what the CAM console shows).
    RoleName,
    /// `qcs::cam::uin/<uin>:role/<role id>` (the numeric role id).
    RoleId,
}

/// A CAM role ARN, `qcs::cam::uin/<uin>:roleName/<name>` or
/// `qcs::cam::uin/<uin>:role/<role id>`. `Display` gives the ARN back.
/// Service-role ARNs (with a path after `role/`) are not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleArn {
    /// The UIN of the account that owns the role (5 to 20 digits).
    pub uin: String,
    /// The role name (`[A-Za-z0-9+=,.@_-]{1,128}`), or the numeric role id
    /// for [`RoleArnKind::RoleId`].
    pub role_name: String,
    /// Which form the ARN has.
    pub kind: RoleArnKind,
}

impl RoleArn {
    /// Parses and validates an ARN (surrounding whitespace ignored). Errors
    /// name the part that is wrong.
    pub fn parse(s: &str) -> Result<Self, CredentialError> {
        let arn = s.trim();
        let bad = |reason: String| CredentialError::InvalidRoleArn {
            arn: arn.to_string(),
            reason,
        };
        let rest = arn
            .strip_prefix(ARN_PREFIX)
            .ok_or_else(|| bad(format!("it must start with `{ARN_PREFIX}`")))?;
        let (uin, role) = rest
            .split_once(':')
            .ok_or_else(|| bad("`:roleName/<name>` is missing after the UIN".into()))?;
        if !(5..=20).contains(&uin.len()) || !uin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!("the UIN `{uin}` must be 5 to 20 digits")));
        }
        if let Some(name) = role.strip_prefix("roleName/") {
            if name.is_empty() {
                return Err(bad("the role name is empty".into()));
            }
            if name.len() > ROLE_NAME_MAX {
                return Err(bad(format!(
                    "the role name is longer than {ROLE_NAME_MAX} characters"
                )));
            }
            if let Some(c) = name.chars().find(|c| !is_role_name_char(*c)) {
                return Err(bad(format!(
                    "the role name `{name}` contains `{c}` (allowed: letters, digits and +=,.@_-)"
                )));
            }
            return Ok(RoleArn {
                uin: uin.to_string(),
                role_name: name.to_string(),
                kind: RoleArnKind::RoleName,
            });
        }
        if let Some(id) = role.strip_prefix("role/") {
            if id.contains('/') {
                return Err(bad("service-role ARNs (`role/<path>/<name>`) are not supported; use `roleName/<name>`".into()));
            }
            if id.is_empty() || id.len() > 20 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(format!("the role id `{id}` must be 1 to 20 digits")));
            }
            return Ok(RoleArn {
                uin: uin.to_string(),
                role_name: id.to_string(),
                kind: RoleArnKind::RoleId,
            });
        }
        Err(bad(format!(
            "expected `roleName/<name>` after the UIN, found `{role}`"
        )))
    }
}

impl FromStr for RoleArn {
    type Err = CredentialError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RoleArn::parse(s)
    }
}

impl fmt::Display for RoleArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            RoleArnKind::RoleName => {
                write!(f, "{ARN_PREFIX}{}:roleName/{}", self.uin, self.role_name)
            }
            RoleArnKind::RoleId => write!(f, "{ARN_PREFIX}{}:role/{}", self.uin, self.role_name),
        }
    }
}

fn is_role_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+=,.@_-".contains(c)
}

/// Checks a role session name: 2 to 128 characters of `[A-Za-z0-9_+=,.@-]`.
pub fn validate_session_name(s: &str) -> Result<(), CredentialError> {
    let bad = |reason: String| CredentialError::InvalidSessionName {
        name: s.to_string(),
        reason,
    };
    let len = s.chars().count();
    if !(SESSION_NAME_MIN..=SESSION_NAME_MAX).contains(&len) {
        return Err(bad(format!(
            "it has {len} characters; {SESSION_NAME_MIN} to {SESSION_NAME_MAX} are allowed"
        )));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c)))
    {
        return Err(bad(format!(
            "it contains {c:?} (allowed: letters, digits and _+=,.@-)"
        )));
    }
    Ok(())
}

/// Checks a role session duration: 1 to [`MAX_ROLE_DURATION_SECS`] seconds.
pub fn validate_duration(secs: u32) -> Result<(), CredentialError> {
    if (1..=MAX_ROLE_DURATION_SECS).contains(&secs) {
        Ok(())
    } else {
        Err(CredentialError::InvalidDuration { secs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(s: &str) -> String {
        match RoleArn::parse(s) {
            Err(CredentialError::InvalidRoleArn { arn, reason }) => {
                assert_eq!(arn, s.trim());
                reason
            }
            other => panic!("{s:?} should be invalid, got {other:?}"),
        }
    }

    #[test]
    fn parses_role_name_form_and_round_trips() {
        let arn =
            RoleArn::parse("qcs::cam::uin/200000000001:roleName/OrganizationAccessControlRole")
                .unwrap();
        assert_eq!(arn.uin, "200000000001");
        assert_eq!(arn.role_name, "OrganizationAccessControlRole");
        assert_eq!(arn.kind, RoleArnKind::RoleName);
        assert_eq!(
            arn.to_string(),
            "qcs::cam::uin/200000000001:roleName/OrganizationAccessControlRole"
        );

        let arn: RoleArn = "  qcs::cam::uin/12345:roleName/a+=,.@_-Z9 "
            .parse()
            .unwrap();
        assert_eq!(arn.role_name, "a+=,.@_-Z9");
        assert_eq!(RoleArn::parse(&arn.to_string()).unwrap(), arn);

        let long = format!("qcs::cam::uin/12345:roleName/{}", "r".repeat(128));
        assert_eq!(RoleArn::parse(&long).unwrap().role_name.len(), 128);
        let uin20 = format!("qcs::cam::uin/{}:roleName/r", "9".repeat(20));
        assert!(RoleArn::parse(&uin20).is_ok());
    }

    #[test]
    fn parses_role_id_form() {
        let arn = RoleArn::parse("qcs::cam::uin/12345678:role/4611686018427397919").unwrap();
        assert_eq!(
            (arn.uin.as_str(), arn.role_name.as_str(), arn.kind),
            ("12345678", "4611686018427397919", RoleArnKind::RoleId)
        );
        assert_eq!(
            arn.to_string(),
            "qcs::cam::uin/12345678:role/4611686018427397919"
        );
    }

    #[test]
    fn errors_name_the_bad_part() {
        assert!(reason("").contains("qcs::cam::uin/"));
        assert!(reason("qcs:cam::uin/12345:roleName/r").contains("must start with"));
        assert!(reason("arn:aws:iam::123456789012:role/r").contains("must start with"));
        assert!(reason("qcs::cam::uin/12345").contains(":roleName/"));
        assert!(reason("qcs::cam::uin/1234:roleName/r").contains("UIN `1234`"));
        assert!(
            reason(&format!("qcs::cam::uin/{}:roleName/r", "1".repeat(21)))
                .contains("5 to 20 digits")
        );
        assert!(reason("qcs::cam::uin/12a45:roleName/r").contains("UIN `12a45`"));
        assert!(reason("qcs::cam::uin/:roleName/r").contains("UIN ``"));
        assert!(reason("qcs::cam::uin/12345:roleName/").contains("role name is empty"));
        assert!(reason("qcs::cam::uin/12345:roleName/bad name").contains("` `"));
        assert!(reason("qcs::cam::uin/12345:roleName/a/b").contains("`/`"));
        assert!(reason("qcs::cam::uin/12345:roleName/é").contains("`é`"));
        assert!(
            reason(&format!("qcs::cam::uin/12345:roleName/{}", "r".repeat(129)))
                .contains("longer than 128")
        );
        assert!(reason("qcs::cam::uin/12345:rolename/r").contains("expected `roleName/<name>`"));
        assert!(reason("qcs::cam::uin/12345:root").contains("found `root`"));
        assert!(reason("qcs::cam::uin/12345:role/abc").contains("role id `abc`"));
        assert!(reason("qcs::cam::uin/12345:role/").contains("role id ``"));
        assert!(
            reason("qcs::cam::uin/12345:role/tencentcloudServiceRole/46116860")
                .contains("service-role")
        );
        let e = RoleArn::parse("qcs::cam::uin/1:roleName/x").unwrap_err();
        assert!(e.to_string().contains("qcs::cam::uin/1:roleName/x"), "{e}");
    }

    #[test]
    fn session_names() {
        for ok in ["ab", "tcss-report", "a_b+c=d,e.f@g-h", &"x".repeat(128)] {
            assert!(validate_session_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            &"x".repeat(129),
            "has space",
            "slash/",
            "colon:",
            "ünï",
        ] {
            let e = validate_session_name(bad).unwrap_err();
            assert!(
                matches!(e, CredentialError::InvalidSessionName { ref name, .. } if name == bad),
                "{bad}"
            );
        }
        let e = validate_session_name("a b").unwrap_err();
        assert!(e.to_string().contains("' '"), "{e}");
    }

    #[test]
    fn durations() {
        assert!(validate_duration(1).is_ok());
        assert!(validate_duration(DEFAULT_ROLE_DURATION_SECS).is_ok());
        assert!(validate_duration(MAX_ROLE_DURATION_SECS).is_ok());
        assert_eq!(
            validate_duration(0),
            Err(CredentialError::InvalidDuration { secs: 0 })
        );
        assert_eq!(
            validate_duration(43_201),
            Err(CredentialError::InvalidDuration { secs: 43_201 })
        );
        assert!(validate_duration(43_201)
            .unwrap_err()
            .to_string()
            .contains("43200"));
    }
}
