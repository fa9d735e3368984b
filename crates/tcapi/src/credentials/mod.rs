//! Credentials: the redacted [`Secret`], the [`Credentials`] a request is signed
//! with, and the providers that find them.

use std::fmt;
use zeroize::Zeroizing;

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
        Credentials { secret_id: secret_id.into(), secret_key: secret_key.into(), token: None, expires_at: None }
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
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// A required environment variable is not set or empty.
    #[error("environment variable {name} is not set or empty")]
    MissingEnv {
        /// Variable name.
        name: String,
    },
}
