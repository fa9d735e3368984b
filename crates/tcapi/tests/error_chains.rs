//! No error text, in particular no operating system error, is printed twice
//! when an error chain is shown the way anyhow's `{:#}` shows it: each
//! error's message, then each `source()`'s, joined with ": ".
#![cfg(feature = "client")]

use std::error::Error as StdError;
use std::path::Path;

use tcapi::client::{check_ca_file, NoPacer};
use tcapi::credentials::{MapEnv, Source};
use tcapi::{tcss, Client, ClientConfig, Credentials, Endpoint, Error, Failure};

/// `error: source: source ...`, as anyhow's `{:#}` prints it.
fn chain(e: &dyn StdError) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn assert_os_error_at_most_once(what: &str, e: &dyn StdError) {
    let text = chain(e);
    assert!(
        text.matches("os error").count() <= 1,
        "{what}: an OS error must not appear twice: {text}"
    );
}

fn assert_os_error_once(what: &str, e: &dyn StdError) {
    let text = chain(e);
    assert_eq!(
        text.matches("os error").count(),
        1,
        "{what}: the OS error must appear exactly once: {text}"
    );
}

fn failure(error: Error) -> Failure {
    Failure {
        error,
        attempts: 2,
        throttled: 0,
    }
}

/// A regular file used as a folder: opening anything "inside" it fails with
/// ENOTDIR, even for root (unlike a permission error).
fn not_a_folder(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("plain-file");
    std::fs::write(&file, "x").unwrap();
    file
}

#[test]
fn a_credentials_file_error_shows_the_os_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let home = not_a_folder(dir.path());
    let env = MapEnv::new().with_home(&home);
    let sources = [
        Source::TccliProfile("default".into()),
        Source::IniFile {
            path: None,
            section: "default".into(),
        },
    ];
    for source in sources {
        let e = source.resolve(&env).unwrap_err();
        assert!(e.to_string().contains("Not a directory"), "{e}");
        assert_os_error_once("CredentialError", &e);
        let e = Error::from(e);
        assert_os_error_once("Error::Credentials", &e);
        assert_os_error_once("Failure", &failure(e));
    }
}

#[test]
fn a_ca_file_error_shows_the_os_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let ca = not_a_folder(dir.path()).join("corp-ca.pem");
    let e = check_ca_file(&ca).unwrap_err();
    assert!(e.to_string().contains(&ca.display().to_string()), "{e}");
    assert_os_error_once("check_ca_file", &e);
    let e = Client::new(ClientConfig {
        ca_files: vec![ca],
        ..ClientConfig::default()
    })
    .unwrap_err();
    assert_os_error_once("Client::new", &e);
    assert_os_error_once("Failure", &failure(e));
}

#[tokio::test]
async fn a_connection_error_shows_the_os_error_at_most_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let endpoint = Endpoint::parse(&format!("http://{addr}"), false).unwrap();
    let client = Client::new(ClientConfig {
        max_attempts: 1,
        ..ClientConfig::default()
    })
    .unwrap();
    let creds = Credentials::new("AKIDx", "key");
    let f =
        tcss::describe_image_authorized_info(&client, &endpoint, "ap-guangzhou", &creds, &NoPacer)
            .await
            .unwrap_err();
    assert_eq!(f.error.code(), "ConnectionRefused", "{f}");
    assert!(f.to_string().contains("was refused"), "{f}");
    assert_os_error_at_most_once("connection Failure", &f);
}
