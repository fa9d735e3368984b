//! `tcapi`: a small, dependable client for Tencent Cloud API 3.0.
//!
//! It knows Tencent Cloud and nothing about accounts files or reports:
//!
//! - [`sign`]: TC3-HMAC-SHA256, a pure function of its inputs (time included).
//! - [`credentials`]: the redacted [`credentials::Secret`], [`credentials::Credentials`]
//!   and the providers (environment, tccli profiles, SDK INI file, STS AssumeRole cache),
//!   which check every value they find.
//! - [`error`]: the typed [`Error`] (messages printed once in an error chain,
//!   parse errors naming the field, redirects naming their `Location`) and the
//!   retry classification table.
//! - [`retry`]: full-jitter exponential backoff with injectable jitter.
//! - [`client`]: the HTTP transport (one pooled rustls client), retries, clock-skew correction.
//! - [`tcss`] and [`sts`]: typed requests and responses for the actions we call.
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
//! use tcapi::client::NoPacer;
//! use tcapi::{tcss, Client, ClientConfig, Credentials, Endpoint};
//!
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

pub mod client;
pub mod credentials;
pub mod error;
pub mod files;
pub mod retry;
pub mod sign;
pub mod sts;
pub mod tcss;
mod transport;

pub use client::{
    Answer, ApiRequest, AttemptOutcome, Client, ClientConfig, Endpoint, Failure, NoPacer, Pacer,
};
pub use credentials::{Credentials, Secret};
pub use error::{Error, ErrorClass};
pub use retry::{Backoff, Jitter};
