//! `tcapi`: a small, dependable client for Tencent Cloud API 3.0.
//!
//! It knows Tencent Cloud and nothing about accounts files or reports:
//!
//! - [`sign`]: TC3-HMAC-SHA256, a pure function of its inputs (time included).
//! - [`credentials`]: the redacted [`credentials::Secret`], [`credentials::Credentials`]
//!   and the providers (environment, tccli profiles, SDK INI file, STS AssumeRole cache).
//! - [`error`]: the typed [`Error`] and the retry classification table.
//! - [`retry`]: full-jitter exponential backoff with injectable jitter.
//! - [`client`]: the HTTP transport (one pooled rustls client), retries, clock-skew correction.
//! - [`tcss`] and [`sts`]: typed requests and responses for the actions we call.
#![warn(missing_docs)]

pub mod client;
pub mod credentials;
pub mod error;
pub mod retry;
pub mod sign;
pub mod sts;
pub mod tcss;

pub use client::{Client, ClientConfig, Endpoint};
pub use credentials::{Credentials, Secret};
pub use error::Error;
