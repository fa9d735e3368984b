//! `tcapi`: a small, dependable client for Tencent Cloud API 3.0.
//!
//! It knows Tencent Cloud and nothing about accounts files or reports:
//!
//! - [`sign`]: TC3-HMAC-SHA256, a pure function of its inputs (time included).
//! - [`action`]: actions as data: a [`action::Descriptor`] (service, version,
//!   name, per region or account-wide) and an [`action::Action`] (a
//!   descriptor with its typed answer), which every typed call goes through.
//! - [`tcss`]: the service's actions and answer types (and, with `client`,
//!   the typed calls).
//!
//! With the `client` feature (on by default; the simulator builds without
//! it, so it links no HTTP client):
//!
//! - [`sts`]: typed `AssumeRole` and `GetCallerIdentity`.
//! - [`organization`]: typed `DescribeOrganizationMembers` (members discovered
//!   with the management account's keys).
//! - [`credentials`]: the redacted [`credentials::Secret`], [`credentials::Credentials`]
//!   and the providers (environment, tccli profiles, SDK INI file, STS AssumeRole cache),
//!   which check every value they find.
//! - [`error`]: the typed [`Error`] (messages printed once in an error chain,
//!   parse errors naming the field, redirects naming their `Location`,
//!   transport failures naming the server, the cause and the fix) and the
//!   retry classification table.
//! - [`retry`]: full-jitter exponential backoff with injectable jitter.
//! - [`client`]: the shared [`Client`], its configuration and the retry loop
//!   with clock-skew correction; it re-exports the pure pieces beside it:
//!   [`endpoint`] ([`Endpoint`]), [`request`] (building and signing one
//!   attempt), [`response`] (interpreting one answer), [`pacer`] (the
//!   [`Pacer`] hook) and [`clock`] (the injectable [`client::Clock`]).
//! - the internal `transport` module: `reqwest` (HTTP/1.1 keep-alive pool,
//!   rustls with `ring`, the system trust store plus `ca_files`, redirects
//!   off; proxies from the environment, with a second, proxy-less client for
//!   loopback endpoints) and the typing of its failures.
//! - [`files`]: reading small local files (regular files only, capped).
//!
//! # One call, end to end
//!
//! Build one [`Client`] for the whole program, then call a typed action with
//! an [`Endpoint`], a region, [`Credentials`] and a [`client::Pacer`] (here
//! [`client::NoPacer`]; a real caller passes one holding a concurrency slot
//! and a rate limiter). Transient failures are retried inside the call;
//! what comes back is either the typed answer or a [`client::Failure`] whose
//! [`Error::code`] goes into reports.
//!
//! ```no_run
//! # #[cfg(feature = "client")]
//! use tcapi::client::NoPacer;
//! # #[cfg(feature = "client")]
//! use tcapi::{tcss, Client, ClientConfig, Credentials, Endpoint};
//!
//! # #[cfg(feature = "client")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(ClientConfig::default())?;
//! let endpoint = Endpoint::default_for(tcss::SERVICE); // https://tcss.tencentcloudapi.com/
//! let creds = Credentials::new("AKID...", "secret key");
//!
//! match tcss::describe_image_authorized_info(&client, &endpoint, "ap-guangzhou", &creds, &NoPacer).await {
//!     Ok(answer) => println!(
//!         "{:?} of {:?} licenses used (RequestId {}, {} attempt(s))",
//!         answer.data.used_authorized_cnt, answer.data.total_authorized_cnt, answer.request_id, answer.attempts
//!     ),
//!     Err(failure) => eprintln!(
//!         "{} (code {}, retryable: {})",
//!         failure,
//!         failure.error.code(),
//!         failure.error.is_retryable()
//!     ),
//! }
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod action;
pub mod sign;
pub mod tcss;

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod clock;
#[cfg(feature = "client")]
pub mod credentials;
#[cfg(feature = "client")]
pub mod endpoint;
#[cfg(feature = "client")]
pub mod error;
#[cfg(feature = "client")]
pub mod files;
#[cfg(feature = "client")]
pub mod organization;
#[cfg(feature = "client")]
pub mod pacer;
#[cfg(feature = "client")]
pub mod request;
#[cfg(feature = "client")]
pub mod response;
#[cfg(feature = "client")]
pub mod retry;
#[cfg(feature = "client")]
pub mod sts;
#[cfg(feature = "client")]
mod transport;

pub use action::{Action, Descriptor, Scope};
#[cfg(feature = "client")]
pub use client::{
    Answer, ApiRequest, AttemptOutcome, Client, ClientConfig, Decoder, Endpoint, Failure, NoPacer,
    Pacer,
};
#[cfg(feature = "client")]
pub use credentials::{Credentials, Secret};
#[cfg(feature = "client")]
pub use error::{CertificateProblem, Error, ErrorClass};
#[cfg(feature = "client")]
pub use retry::{Backoff, Jitter};
/// TLS settings with the API's trust (system roots plus CA files), for other protocols.
#[cfg(feature = "client")]
pub use transport::rustls_config;
#[cfg(feature = "client")]
pub use transport::service_client;
