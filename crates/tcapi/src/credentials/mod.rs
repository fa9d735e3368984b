//! Credentials: the redacted [`Secret`], the [`Credentials`] a request is signed
//! with, the typed [`CredentialError`], and the providers that find them.
//!
//! Providers read an injected [`Env`] (environment variables and the home
//! folder), never the process globals directly, so tests and callers decide
//! what they see:
//!
//! - [`NamedEnvProvider`]: keys in environment variables the config names;
//! - [`StandardEnvProvider`]: `TENCENTCLOUD_SECRET_ID` / `TENCENTCLOUD_SECRET_KEY`
//!   (+ `TENCENTCLOUD_TOKEN`);
//! - [`TccliProfileProvider`]: `~/.tccli/<profile>.credential` (JSON);
//! - [`IniFileProvider`]: the SDK file `~/.tencentcloud/credentials` (INI);
//! - [`DefaultChainProvider`]: standard env, then tccli `default`, then the SDK
//!   file `[default]`.
//!
//! Every provider trims the SecretId, SecretKey and token it finds and checks
//! them with [`check_secret_value`] (a value with whitespace or a control
//! character inside is [`CredentialError::InvalidValue`], naming the variable
//! or file and key, never the value). Files are read with
//! [`crate::files::read_regular_file`]: a FIFO, a device or a folder is
//! refused at once, never waited on.
//!
//! [`Source`] is the configuration-level choice among them. For roles,
//! [`RoleArn`], [`validate_session_name`] and [`validate_duration`] check the
//! `AssumeRole` inputs before any call, and [`RoleCredentialsCache`] keeps the
//! temporary keys of one role, refreshing them (single flight) before expiry.
//!
//! ```
//! use tcapi::credentials::{CredentialError, MapEnv, ProcessEnv, Source};
//!
//! // Tests and callers inject the environment; `ProcessEnv` is the real one.
//! let env = MapEnv::new()
//!     .with_var("PAYMENTS_SECRET_ID", "AKIDexample")
//!     .with_var("PAYMENTS_SECRET_KEY", "example-key");
//! let source = Source::NamedEnv {
//!     secret_id_env: "PAYMENTS_SECRET_ID".into(),
//!     secret_key_env: "PAYMENTS_SECRET_KEY".into(),
//!     token_env: None,
//! };
//! assert_eq!(source.describe(), "env PAYMENTS_SECRET_ID/PAYMENTS_SECRET_KEY");
//! let creds = source.resolve(&env)?;
//! assert_eq!(creds.secret_id, "AKIDexample");
//! assert!(!format!("{creds:?}").contains("example-key"));
//! # let _ = ProcessEnv;
//! # Ok::<(), CredentialError>(())
//! ```

use std::fmt;
use std::path::PathBuf;
use zeroize::Zeroizing;

use crate::files::{read_regular_file, FileError, MAX_SMALL_FILE_BYTES};

mod cache;
mod chain;
mod env;
mod ini;
mod profile;
mod role;

pub use cache::RoleCredentialsCache;
pub use chain::{DefaultChainProvider, Source};
pub use env::{
    Env, MapEnv, NamedEnvProvider, ProcessEnv, StandardEnvProvider, ENV_SECRET_ID, ENV_SECRET_KEY,
    ENV_TOKEN,
};
pub use ini::{IniFileProvider, DEFAULT_INI_SECTION, ENV_CREDENTIALS_FILE};
pub use profile::{validate_profile_name, TccliProfileProvider, DEFAULT_TCCLI_PROFILE};
pub use role::{
    validate_duration, validate_session_name, RoleArn, RoleArnKind, DEFAULT_ROLE_DURATION_SECS,
    MAX_ROLE_DURATION_SECS, REFRESH_BEFORE_EXPIRY_SECS,
};

/// A secret string (secret key, session token). `Debug` and `Display` never
/// show it; the memory is zeroed on drop. Read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }
    /// The secret itself: only for signing.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"** redacted **\")")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

/// A key pair, with a session token and expiry for temporary credentials.
#[derive(Clone)]
pub struct Credentials {
    /// The SecretId (not secret: it appears in every Authorization header).
    pub secret_id: String,
    /// The SecretKey.
    pub secret_key: Secret,
    /// The session token of temporary credentials, sent as `X-TC-Token`.
    pub token: Option<Secret>,
    /// When temporary credentials expire (Unix seconds).
    pub expires_at: Option<i64>,
}

impl Credentials {
    /// Long-term credentials.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<Secret>) -> Self {
        Credentials {
            secret_id: secret_id.into(),
            secret_key: secret_key.into(),
            token: None,
            expires_at: None,
        }
    }
    /// Adds a session token.
    pub fn with_token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }
    /// Adds an expiry (Unix seconds).
    pub fn with_expiry(mut self, expires_at: i64) -> Self {
        self.expires_at = Some(expires_at);
        self
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("secret_id", &self.secret_id)
            .field("secret_key", &self.secret_key)
            .field("token", &self.token.as_ref().map(|_| "** redacted **"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Why credentials could not be found or obtained. Messages name the source
/// (variable, file, profile, role) and never contain secret values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// A required environment variable is not set.
    #[error("environment variable {name} is not set or empty")]
    MissingEnv {
        /// Variable name.
        name: String,
    },
    /// A credential value is present but empty (or only whitespace).
    #[error("{what} is empty")]
    EmptyValue {
        /// What is empty, e.g. `environment variable PAYMENTS_SECRET_KEY` or
        /// `secretKey in /home/u/.tccli/legacy.credential`.
        what: String,
    },
    /// A credential value that cannot be sent as it is: whitespace, a line
    /// break or a control character inside (surrounding whitespace is
    /// trimmed). The value itself is never shown.
    #[error("{what} cannot be used: {reason}; fix the value (it is not shown here)")]
    InvalidValue {
        /// Where the value is, e.g. `environment variable PAYMENTS_SECRET_KEY`
        /// or `secretKey in /home/u/.tccli/legacy.credential`.
        what: String,
        /// What is wrong with it (from [`check_secret_value`]).
        reason: &'static str,
    },
    /// The home folder is unknown (neither `HOME` nor `USERPROFILE` is set).
    #[error("cannot locate {looking_for}: the home folder is unknown (neither HOME nor USERPROFILE is set)")]
    HomeNotFound {
        /// What needed the home folder, e.g. `tccli profile legacy`.
        looking_for: String,
    },
    /// A tccli profile name that is not a safe file name.
    #[error("invalid tccli profile name {profile:?}: {reason}")]
    InvalidProfileName {
        /// The name as configured.
        profile: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The tccli profile file does not exist.
    #[error("tccli profile {profile:?} not found: no file {}", path.display())]
    ProfileNotFound {
        /// Profile name.
        profile: String,
        /// The file looked for.
        path: PathBuf,
    },
    /// A credentials file exists but could not be read.
    #[error("cannot read credentials file {}: {reason}", path.display())]
    ProfileUnreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
    /// A credentials file was read but its content is not what it should be.
    #[error("invalid credentials file {}: {reason}", path.display())]
    ProfileInvalid {
        /// The file.
        path: PathBuf,
        /// What is wrong (never quotes secret values).
        reason: String,
    },
    /// The SDK credentials (INI) file does not exist.
    #[error("SDK credentials file {} not found", path.display())]
    IniFileNotFound {
        /// The file looked for.
        path: PathBuf,
    },
    /// The SDK credentials (INI) file has no such section.
    #[error("SDK credentials file {} has no [{section}] section", path.display())]
    IniSectionNotFound {
        /// The file.
        path: PathBuf,
        /// The section looked for.
        section: String,
    },
    /// A line of the SDK credentials (INI) file is not a comment, a
    /// `[section]` or a `key = value` line. The line itself is not quoted: it
    /// may hold a secret.
    #[error("SDK credentials file {} line {line}: expected `[section]`, `key = value` or a `#`/`;` comment", path.display())]
    IniSyntax {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
    /// The default chain found nothing. Each entry names a place looked in and
    /// why it did not give credentials.
    #[error("no credentials found; looked in: {}", tried.join("; "))]
    NoCredentials {
        /// Every place looked in, in order.
        tried: Vec<String>,
    },
    /// A credential source that is wrong in itself (e.g. an empty variable
    /// name), found before looking anything up.
    #[error("invalid credential source: {reason}")]
    InvalidSource {
        /// What is wrong.
        reason: String,
    },
    /// A role ARN that is not `qcs::cam::uin/<uin>:roleName/<name>` (or
    /// `qcs::cam::uin/<uin>:role/<role id>`).
    #[error("invalid role ARN {arn:?}: {reason}")]
    InvalidRoleArn {
        /// The ARN as given.
        arn: String,
        /// Which part is wrong and why.
        reason: String,
    },
    /// A role session name outside `[\w+=,.@-]{2,128}`.
    #[error("invalid role session name {name:?}: {reason}")]
    InvalidSessionName {
        /// The name as given.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A role session duration outside `1..=43200` seconds.
    #[error("invalid role session duration {secs} s: must be 1 to {max} seconds", max = MAX_ROLE_DURATION_SECS)]
    InvalidDuration {
        /// The duration asked for.
        secs: u32,
    },
    /// `AssumeRole` failed (built by the caller from the STS error; put the
    /// request id in `message` when there is one).
    #[error("AssumeRole {role_arn} failed: {code}: {message}")]
    AssumeRole {
        /// The role.
        role_arn: String,
        /// The API (or local) error code.
        code: String,
        /// The error message.
        message: String,
    },
    /// Temporary credentials that were already expired when they arrived
    /// (usually a local clock far off the server's).
    #[error("temporary credentials had already expired on arrival (expires_at {expires_at}, now {now}): check the local clock")]
    ExpiredOnArrival {
        /// Their expiry (Unix seconds).
        expires_at: i64,
        /// The time they were checked at (Unix seconds).
        now: i64,
    },
}

/// A synchronous credential provider: looks credentials up in the injected
/// environment and files.
pub trait ProvideStatic: Send + Sync + fmt::Debug {
    /// Finds the credentials.
    fn provide(&self, env: &dyn Env) -> Result<Credentials, CredentialError>;
    /// Where this provider looks, for humans (e.g. `env PAYMENTS_SECRET_ID/PAYMENTS_SECRET_KEY`
    /// or `tccli profile ~/.tccli/legacy.credential`). Never contains secrets.
    fn describe(&self) -> String;
}

/// What a provider found when probed as part of a chain.
#[derive(Debug)]
pub(crate) enum Probe {
    /// Credentials, and the concrete place they came from.
    Found(Credentials, String),
    /// Nothing configured there: the place and why (e.g. `... (no such file)`).
    Absent(String),
}

/// Trims a secret value, zeroizing the untrimmed original.
pub(crate) fn secret_from(raw: String) -> Secret {
    let raw = Zeroizing::new(raw);
    Secret::new(raw.trim())
}

/// Checks the text of a SecretId, SecretKey or session token as it will be
/// sent: not empty, and no whitespace, line break or other control character
/// inside (surrounding whitespace is trimmed by the providers before this).
/// The reason never contains the value.
pub fn check_secret_value(value: &str) -> Result<(), &'static str> {
    if value.is_empty() {
        return Err("it is empty");
    }
    if value.chars().any(char::is_whitespace) {
        return Err("it contains whitespace or a line break");
    }
    if value.chars().any(char::is_control) {
        return Err("it contains a control character");
    }
    Ok(())
}

/// Checks a trimmed SecretId, SecretKey or token with [`check_secret_value`]:
/// an empty value is [`CredentialError::EmptyValue`], one with whitespace or
/// control characters inside [`CredentialError::InvalidValue`]; `what` names
/// where the value came from (never the value).
pub(crate) fn check_value(
    value: &str,
    what: impl FnOnce() -> String,
) -> Result<(), CredentialError> {
    match check_secret_value(value) {
        Ok(()) => Ok(()),
        Err(_) if value.is_empty() => Err(CredentialError::EmptyValue { what: what() }),
        Err(reason) => Err(CredentialError::InvalidValue {
            what: what(),
            reason,
        }),
    }
}

/// Outcome of reading a small credentials file.
pub(crate) enum FileRead {
    /// The text (zeroized on drop), BOM stripped.
    Text(Zeroizing<String>),
    /// No such file.
    NotFound,
}

/// Reads a credentials file as UTF-8 text: a regular file of at most
/// [`MAX_SMALL_FILE_BYTES`] (a FIFO, a device or a folder is refused at once,
/// never waited on). The bytes are zeroized on drop; a BOM is stripped.
pub(crate) fn read_credentials_file(path: &std::path::Path) -> Result<FileRead, CredentialError> {
    let bytes = match read_regular_file(path, MAX_SMALL_FILE_BYTES) {
        Ok(bytes) => Zeroizing::new(bytes),
        Err(FileError::NotFound { .. }) => return Ok(FileRead::NotFound),
        Err(e) => return Err(file_error(path, e)),
    };
    let invalid_utf8 = || CredentialError::ProfileInvalid {
        path: path.to_path_buf(),
        reason: "not UTF-8 text".into(),
    };
    let mut text = Zeroizing::new(
        std::str::from_utf8(&bytes)
            .map_err(|_| invalid_utf8())?
            .to_owned(),
    );
    if text.starts_with('\u{feff}') {
        text.replace_range(..'\u{feff}'.len_utf8(), "");
    }
    Ok(FileRead::Text(text))
}

/// The credential error for a file that could not be read (not "not found").
fn file_error(path: &std::path::Path, e: FileError) -> CredentialError {
    let path = path.to_path_buf();
    match e {
        FileError::TooLarge { limit, .. } => CredentialError::ProfileInvalid {
            path,
            reason: format!("larger than {limit} bytes; is this the right file?"),
        },
        FileError::NotRegular { kind, .. } => CredentialError::ProfileUnreadable {
            path,
            reason: format!("is {kind}, not a regular file"),
        },
        FileError::Io { reason, .. } => CredentialError::ProfileUnreadable { path, reason },
        // Handled by the caller; kept so the reason never repeats the path.
        FileError::NotFound { .. } => CredentialError::ProfileUnreadable {
            path,
            reason: "no such file".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_and_credentials_debug_are_redacted() {
        let s = Secret::new("sk-VERY-SECRET");
        assert!(!format!("{s:?}").contains("VERY-SECRET"));
        assert!(!format!("{s:#?}").contains("VERY-SECRET"));
        let c = Credentials::new("AKIDpublic", "sk-VERY-SECRET")
            .with_token("tok-ALSO-SECRET")
            .with_expiry(42);
        for out in [format!("{c:?}"), format!("{c:#?}")] {
            assert!(!out.contains("VERY-SECRET"), "{out}");
            assert!(!out.contains("ALSO-SECRET"), "{out}");
            assert!(
                out.contains("AKIDpublic"),
                "the SecretId is not secret: {out}"
            );
            assert!(out.contains("42"), "{out}");
        }
        assert_eq!(c.secret_key.expose(), "sk-VERY-SECRET");
    }

    #[test]
    fn secret_from_trims() {
        assert_eq!(secret_from("  abc \n".to_string()).expose(), "abc");
        assert!(secret_from(" \t ".to_string()).is_empty());
    }

    #[test]
    fn read_credentials_file_handles_missing_bom_binary_and_huge() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        assert!(matches!(
            read_credentials_file(&missing),
            Ok(FileRead::NotFound)
        ));

        let bom = dir.path().join("bom");
        std::fs::write(&bom, "\u{feff}hello").unwrap();
        match read_credentials_file(&bom) {
            Ok(FileRead::Text(t)) => assert_eq!(t.as_str(), "hello"),
            _ => panic!("expected text"),
        }

        let bin = dir.path().join("bin");
        std::fs::write(&bin, [0xff, 0xfe, 0x00, 0x80]).unwrap();
        assert!(matches!(
            read_credentials_file(&bin),
            Err(CredentialError::ProfileInvalid { .. })
        ));

        let huge = dir.path().join("huge");
        std::fs::write(&huge, vec![b'a'; (MAX_SMALL_FILE_BYTES + 1) as usize]).unwrap();
        match read_credentials_file(&huge) {
            Err(CredentialError::ProfileInvalid { reason, .. }) => {
                assert!(reason.contains("larger"))
            }
            _ => panic!("expected too large"),
        }

        // A folder is not a file: unreadable, not "not found".
        assert!(matches!(
            read_credentials_file(dir.path()),
            Err(CredentialError::ProfileUnreadable { .. })
        ));
    }

    #[test]
    fn assume_role_error_message_names_role_and_code() {
        let e = CredentialError::AssumeRole {
            role_arn: "qcs::cam::uin/12345:roleName/r".into(),
            code: "AuthFailure.SecretIdNotFound".into(),
            message: "no such id (request id req-1)".into(),
        };
        assert_eq!(
            e.to_string(),
            "AssumeRole qcs::cam::uin/12345:roleName/r failed: AuthFailure.SecretIdNotFound: no such id (request id req-1)"
        );
    }
}
