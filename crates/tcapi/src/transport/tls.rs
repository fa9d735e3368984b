//! The TLS settings of the transport: rustls with the `ring` crypto
//! provider, HTTP/1.1 by ALPN, and the roots it trusts: the system trust
//! store (where enterprises install their TLS-inspecting proxy's CA; it
//! honours `SSL_CERT_FILE` and `SSL_CERT_DIR`) plus the configured CA files.
//! When the system store is empty or unreadable (a container without
//! `ca-certificates`), Mozilla's roots (webpki-roots) stand in for it.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use tracing::{debug, warn};

use crate::error::Error;
use crate::files::{self, FileError};

/// Reads the extra root certificates of one PEM file: a regular file of at
/// most [`files::MAX_SMALL_FILE_BYTES`] holding at least one certificate.
pub(crate) fn load_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let ca_error = |reason: String| Error::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let pem = files::read_regular_file(path, files::MAX_SMALL_FILE_BYTES).map_err(|e| match e {
        // The message already names the file.
        FileError::NotFound { .. } => ca_error("no such file".into()),
        FileError::NotRegular { kind, .. } => ca_error(format!("is {kind}, not a regular file")),
        FileError::TooLarge { limit, .. } => {
            ca_error(format!("larger than {limit} bytes; is this a PEM file?"))
        }
        FileError::Io { reason, .. } => ca_error(format!("cannot read: {reason}")),
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ca_error(format!("invalid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(ca_error("no PEM certificate in the file".into()));
    }
    Ok(certs)
}

/// The system trust store, or Mozilla's roots when it holds no usable
/// certificate.
fn system_roots() -> RootCertStore {
    let found = rustls_native_certs::load_native_certs();
    if !found.errors.is_empty() {
        // A store with an unreadable file is common and not fatal.
        debug!(
            problems = found.errors.len(),
            "some system trust store files could not be read"
        );
    }
    usable_or_mozilla(found.certs)
}

/// A store of the parsable `certs`, or of Mozilla's roots (webpki-roots)
/// when none is.
fn usable_or_mozilla(certs: Vec<CertificateDer<'static>>) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    let (added, ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        warn!(
            ignored,
            "the system trust store is empty or unreadable: trusting Mozilla's roots instead \
             (install ca-certificates, or set SSL_CERT_FILE)"
        );
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    } else {
        debug!(added, ignored, "system trust store loaded");
    }
    roots
}

/// The TLS settings: system roots plus the `extra` ones, ring as the crypto
/// provider, TLS 1.2 and 1.3, HTTP/1.1 by ALPN.
pub(crate) fn tls_config(
    extra: Vec<CertificateDer<'static>>,
) -> Result<rustls::ClientConfig, Error> {
    let build_error = |reason: String| Error::ClientBuild { reason };
    let mut roots = system_roots();
    for cert in extra {
        roots
            .add(cert)
            .map_err(|e| build_error(format!("a CA certificate was rejected: {e}")))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| build_error(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The same trust as the API's, for another protocol (the history store's
/// PostgreSQL connection): the system roots plus every certificate of the
/// `ca_files`, ring, TLS 1.2 and 1.3, no ALPN.
pub fn rustls_config(ca_files: &[std::path::PathBuf]) -> Result<rustls::ClientConfig, Error> {
    let mut extra = Vec::new();
    for path in ca_files {
        extra.extend(load_ca_file(path)?);
    }
    let mut config = tls_config(extra)?;
    config.alpn_protocols.clear();
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rustls_config_trusts_the_ca_files_and_names_a_missing_one() {
        let ca = std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/test-ca.pem"
        ));
        let config = rustls_config(std::slice::from_ref(&ca)).expect("config");
        assert!(config.alpn_protocols.is_empty());
        let missing = std::path::PathBuf::from("/nonexistent/ca.pem");
        let e = rustls_config(&[missing]).expect_err("missing CA file");
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    }

    #[test]
    fn tls_config_builds_with_and_without_extra_roots() {
        assert!(tls_config(Vec::new()).is_ok());
        assert!(!system_roots().is_empty());
    }

    #[test]
    fn an_empty_or_unparsable_system_store_falls_back_to_mozillas_roots() {
        let mozilla = webpki_roots::TLS_SERVER_ROOTS.len();
        assert_eq!(usable_or_mozilla(Vec::new()).len(), mozilla);
        let garbage = vec![CertificateDer::from(vec![1u8, 2, 3])];
        assert_eq!(usable_or_mozilla(garbage).len(), mozilla);
        let pem = include_bytes!("../../tests/fixtures/test-ca.pem");
        let ca = CertificateDer::pem_slice_iter(pem)
            .next()
            .expect("a certificate")
            .expect("PEM");
        assert_eq!(usable_or_mozilla(vec![ca]).len(), 1);
    }
}
