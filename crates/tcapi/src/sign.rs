//! TC3-HMAC-SHA256 request signing, exactly as the official SDKs do it.
//!
//! Everything here is a pure function: the timestamp is a parameter and the
//! payload bytes hashed are the bytes the caller sends. Each stage is exposed
//! on its own so tests (and the simulator's verifier) can check them one by one.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The algorithm name that starts every string to sign and Authorization header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// The headers the official SDKs sign.
pub const SIGNED_HEADERS: &str = "content-type;host";
/// Value of `X-TC-Content-SHA256` for the unsigned-payload variant.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// What is hashed as the request payload.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    /// The exact body bytes sent (empty for GET).
    Bytes(&'a [u8]),
    /// The `UNSIGNED-PAYLOAD` variant: the literal string is hashed instead of the body.
    Unsigned,
}

/// The request parts that enter the signature.
#[derive(Debug, Clone, Copy)]
pub struct SignRequest<'a> {
    /// `POST` or `GET`.
    pub method: &'a str,
    /// The `Host` header value, e.g. `tcss.tencentcloudapi.com` (with `:port` if not default).
    pub host: &'a str,
    /// The URL path, `/` for API 3.0.
    pub path: &'a str,
    /// The query string exactly as sent (without `?`), empty for POST.
    pub canonical_query: &'a str,
    /// The `Content-Type` header value exactly as sent.
    pub content_type: &'a str,
    /// The payload.
    pub payload: Payload<'a>,
    /// The service name, e.g. `tcss`.
    pub service: &'a str,
    /// Unix seconds, the value of `X-TC-Timestamp`.
    pub timestamp: i64,
}

/// Every intermediate value of one signature.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    /// Hex SHA-256 of the payload.
    pub hashed_payload: String,
    /// The canonical request.
    pub canonical_request: String,
    /// Hex SHA-256 of the canonical request.
    pub hashed_canonical_request: String,
    /// `YYYY-MM-DD` (UTC date of the timestamp).
    pub date: String,
    /// `<date>/<service>/tc3_request`.
    pub credential_scope: String,
    /// The string to sign.
    pub string_to_sign: String,
    /// HMAC("TC3" + key, date).
    pub k_date: [u8; 32],
    /// HMAC(k_date, service).
    pub k_service: [u8; 32],
    /// HMAC(k_service, "tc3_request").
    pub k_signing: [u8; 32],
    /// Hex HMAC(k_signing, string_to_sign).
    pub signature: String,
    /// The full `Authorization` header value.
    pub authorization: String,
}

impl std::fmt::Debug for Signature {
    // Derived keys are secret material: keep them out of Debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signature")
            .field("canonical_request", &self.canonical_request)
            .field("string_to_sign", &self.string_to_sign)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// Hex-encoded SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// HMAC-SHA256.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The UTC date (`YYYY-MM-DD`) of a Unix timestamp, as used in the credential scope.
pub fn utc_date(timestamp: i64) -> String {
    // Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
    // `civil_from_days`): the signer runs on every attempt, and this is a
    // tenth of the cost of formatting through chrono.
    let z = timestamp.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Hash of the payload as it enters the canonical request.
pub fn hashed_payload(payload: Payload<'_>) -> String {
    match payload {
        Payload::Bytes(b) => sha256_hex(b),
        Payload::Unsigned => sha256_hex(UNSIGNED_PAYLOAD.as_bytes()),
    }
}

/// The canonical request over an explicit list of `(lowercase name, value)`
/// headers, in the order given. Values are trimmed and lowercased, as Tencent
/// does. Used by the signer (with `content-type;host`) and by verifiers that
/// rebuild the canonical request from whatever `SignedHeaders` a client chose.
pub fn canonical_request_with_headers(
    method: &str,
    path: &str,
    canonical_query: &str,
    headers: &[(&str, &str)],
    hashed_payload: &str,
) -> String {
    let mut canonical_headers = String::new();
    let mut signed = Vec::with_capacity(headers.len());
    for (name, value) in headers {
        let name = name.trim().to_ascii_lowercase();
        canonical_headers.push_str(&name);
        canonical_headers.push(':');
        canonical_headers.push_str(&value.trim().to_ascii_lowercase());
        canonical_headers.push('\n');
        signed.push(name);
    }
    format!(
        "{method}\n{path}\n{canonical_query}\n{canonical_headers}\n{}\n{hashed_payload}",
        signed.join(";")
    )
}

/// The canonical request for the `content-type;host` headers the SDKs sign.
pub fn canonical_request(req: &SignRequest<'_>, hashed_payload: &str) -> String {
    canonical_request_with_headers(
        req.method,
        req.path,
        req.canonical_query,
        &[("content-type", req.content_type), ("host", req.host)],
        hashed_payload,
    )
}

/// `<date>/<service>/tc3_request`.
pub fn credential_scope(date: &str, service: &str) -> String {
    format!("{date}/{service}/tc3_request")
}

/// The string to sign.
pub fn string_to_sign(
    timestamp: i64,
    credential_scope: &str,
    hashed_canonical_request: &str,
) -> String {
    format!("{ALGORITHM}\n{timestamp}\n{credential_scope}\n{hashed_canonical_request}")
}

/// The derived key chain: `(k_date, k_service, k_signing)`.
pub fn derive_keys(secret_key: &str, date: &str, service: &str) -> ([u8; 32], [u8; 32], [u8; 32]) {
    let mut seed = Vec::with_capacity(3 + secret_key.len());
    seed.extend_from_slice(b"TC3");
    seed.extend_from_slice(secret_key.as_bytes());
    let k_date = hmac_sha256(&seed, date.as_bytes());
    zeroize::Zeroize::zeroize(&mut seed);
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    let k_signing = hmac_sha256(&k_service, b"tc3_request");
    (k_date, k_service, k_signing)
}

/// Hex signature of a string to sign with a signing key.
pub fn signature_hex(k_signing: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(k_signing, string_to_sign.as_bytes()))
}

/// The `Authorization` header value.
pub fn authorization(
    secret_id: &str,
    credential_scope: &str,
    signed_headers: &str,
    signature: &str,
) -> String {
    format!("{ALGORITHM} Credential={secret_id}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}")
}

/// Signs a request, returning every intermediate value.
pub fn sign(req: &SignRequest<'_>, secret_id: &str, secret_key: &str) -> Signature {
    let hashed_payload = hashed_payload(req.payload);
    let canonical_request = canonical_request(req, &hashed_payload);
    let hashed_canonical_request = sha256_hex(canonical_request.as_bytes());
    let date = utc_date(req.timestamp);
    let credential_scope = credential_scope(&date, req.service);
    let string_to_sign =
        string_to_sign(req.timestamp, &credential_scope, &hashed_canonical_request);
    let (k_date, k_service, k_signing) = derive_keys(secret_key, &date, req.service);
    let signature = signature_hex(&k_signing, &string_to_sign);
    let authorization = authorization(secret_id, &credential_scope, SIGNED_HEADERS, &signature);
    Signature {
        hashed_payload,
        canonical_request,
        hashed_canonical_request,
        date,
        credential_scope,
        string_to_sign,
        k_date,
        k_service,
        k_signing,
        signature,
        authorization,
    }
}
