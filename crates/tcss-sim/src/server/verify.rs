//! TC3-HMAC-SHA256 verification from the received bytes: parsing the
//! `Authorization` header and rebuilding the canonical request from the
//! method, path, query, the headers the client listed in `SignedHeaders` and
//! the body hash (or `UNSIGNED-PAYLOAD`). Only the signing primitives come
//! from `tcapi::sign`; everything the signature covers is taken from the wire.

use hyper::HeaderMap;
use tcapi::sign::{
    canonical_request_with_headers, credential_scope, sha256_hex, signature_hex, string_to_sign,
    ALGORITHM, UNSIGNED_PAYLOAD,
};

use super::reply::ApiError;

/// The parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Authorization<'a> {
    pub secret_id: &'a str,
    pub date: &'a str,
    pub service: &'a str,
    pub signed_headers: Vec<String>,
    pub signature: &'a str,
}

/// Parses `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=a;b, Signature=<hex>`.
pub(crate) fn parse_authorization(value: &str) -> Result<Authorization<'_>, ApiError> {
    let bad = |why: &str| {
        ApiError::new(
            "AuthFailure.InvalidAuthorization",
            format!("The Authorization header is malformed: {why}."),
        )
    };
    let rest = value
        .trim()
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or_else(|| bad("it must start with `TC3-HMAC-SHA256 `"))?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| bad("expected `Key=Value` parts"))?;
        let slot = match k.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed,
            "Signature" => &mut signature,
            _ => return Err(bad("unknown part")),
        };
        if slot.replace(v.trim()).is_some() {
            return Err(bad("a part is repeated"));
        }
    }
    let credential = credential.ok_or_else(|| bad("Credential is missing"))?;
    let signed = signed.ok_or_else(|| bad("SignedHeaders is missing"))?;
    let signature = signature.ok_or_else(|| bad("Signature is missing"))?;
    let mut it = credential.split('/');
    let (Some(secret_id), Some(date), Some(service), Some("tc3_request"), None) =
        (it.next(), it.next(), it.next(), it.next(), it.next())
    else {
        return Err(bad(
            "Credential must be `<SecretId>/<date>/<service>/tc3_request`",
        ));
    };
    if secret_id.is_empty() || date.is_empty() || service.is_empty() {
        return Err(bad("Credential has an empty field"));
    }
    if signature.is_empty() || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("Signature must be hex"));
    }
    let signed_headers: Vec<String> = signed
        .split(';')
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    if signed_headers.iter().any(String::is_empty) {
        return Err(bad("SignedHeaders has an empty name"));
    }
    for required in ["content-type", "host"] {
        if !signed_headers.iter().any(|h| h == required) {
            return Err(bad("SignedHeaders must include content-type and host"));
        }
    }
    Ok(Authorization {
        secret_id,
        date,
        service,
        signed_headers,
        signature,
    })
}

/// The parts of the received request the signature covers.
#[derive(Debug)]
pub(crate) struct Received<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub timestamp: i64,
}

/// The signature the client should have sent, rebuilt from the wire, with the given signing key.
pub(crate) fn expected_signature(
    rx: &Received<'_>,
    auth: &Authorization<'_>,
    k_signing: &[u8; 32],
) -> Result<String, ApiError> {
    let unsigned = rx
        .headers
        .get("x-tc-content-sha256")
        .is_some_and(|v| v.as_bytes() == UNSIGNED_PAYLOAD.as_bytes());
    let hashed_payload = if unsigned {
        sha256_hex(UNSIGNED_PAYLOAD.as_bytes())
    } else {
        sha256_hex(rx.body)
    };
    let mut values: Vec<(&str, String)> = Vec::with_capacity(auth.signed_headers.len());
    for name in &auth.signed_headers {
        let Some(v) = rx.headers.get(name.as_str()) else {
            return Err(ApiError::new(
                "AuthFailure.SignatureFailure",
                format!("The signed header `{name}` is not in the request."),
            ));
        };
        values.push((
            name.as_str(),
            String::from_utf8_lossy(v.as_bytes()).into_owned(),
        ));
    }
    let pairs: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let canonical =
        canonical_request_with_headers(rx.method, rx.path, rx.query, &pairs, &hashed_payload);
    let scope = credential_scope(auth.date, auth.service);
    let sts = string_to_sign(rx.timestamp, &scope, &sha256_hex(canonical.as_bytes()));
    Ok(signature_hex(k_signing, &sts))
}

/// Constant-time comparison of two hex signatures (case-insensitive; `expected` is lowercase).
pub(crate) fn signatures_match(expected: &str, got: &str) -> bool {
    expected.len() == got.len()
        && expected
            .bytes()
            .zip(got.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b.to_ascii_lowercase()))
            == 0
}

/// Constant-time, case-sensitive comparison (tokens).
pub(crate) fn secrets_equal(expected: &str, got: &str) -> bool {
    expected.len() == got.len()
        && expected
            .bytes()
            .zip(got.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_sdk_format() {
        let a = parse_authorization(
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=be4f67d323c78ab9acb7395e43c0dbcf822a9cfac32fea2449a7bc7726b770a3",
        )
        .expect("valid");
        assert_eq!(a.secret_id, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE");
        assert_eq!(a.date, "2019-02-25");
        assert_eq!(a.service, "cvm");
        assert_eq!(a.signed_headers, vec!["content-type", "host"]);
    }

    #[test]
    fn rejects_malformed_headers() {
        for bad in [
            "",
            "Bearer x",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, Signature=ab",
            "TC3-HMAC-SHA256 Credential=a/b/c, SignedHeaders=content-type;host, Signature=ab",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request/x, SignedHeaders=content-type;host, Signature=ab",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, SignedHeaders=host, Signature=ab",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, SignedHeaders=content-type;host, Signature=zz",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, SignedHeaders=content-type;host, Signature=ab, Signature=ab",
        ] {
            let e = parse_authorization(bad).expect_err(bad);
            assert_eq!(e.code, "AuthFailure.InvalidAuthorization", "{bad}");
        }
    }

    #[test]
    fn comparison() {
        assert!(signatures_match("ab12", "AB12"));
        assert!(!signatures_match("ab12", "ab13"));
        assert!(!signatures_match("ab12", "ab1"));
        assert!(secrets_equal("AbC", "AbC"));
        assert!(!secrets_equal("AbC", "abc"));
    }
}
