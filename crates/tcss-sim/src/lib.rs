//! `tcss-sim`: a loopback simulator of Tencent Cloud TCSS
//! (`DescribeImageAuthorizedInfo`, `DescribePurchaseStateInfo`,
//! `DescribeImageAutoAuthorizedRule`, 2020-11-01), STS (`AssumeRole`,
//! `GetCallerIdentity`, 2018-08-13) and Organization
//! (`DescribeOrganizationMembers`, 2021-03-31) that behaves like the real
//! service, failures included.
//!
//! - [`fleet`]: the simulated accounts (keys, roles, per-region data, faults),
//!   the organizations, TOML load/save and the deterministic generator.
//! - [`server`]: TC3-HMAC-SHA256 verification from the received bytes, routing,
//!   the actions as rows (each its region rule, rate limit, faults and
//!   answer), sliding-second rate limits, STS, injected faults and latency.
//! - [`counters`]: what the simulator saw, as a serializable snapshot.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use tcss_sim::{Fleet, GenOptions};
//! let sim = tcss_sim::spawn(Fleet::generate(&GenOptions::default()), "127.0.0.1:0").await?;
//! println!("endpoint {}", sim.url());
//! let seen = sim.counters().snapshot();
//! println!("{}", seen.total);
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! It uses `tcapi` only for the signing primitives and the TCSS action
//! descriptors (the STS and `organization` names are its own, in
//! [`server::sts`] and [`server::organization`]).

pub mod counters;
pub mod fleet;
pub mod server;
mod sync;

pub use counters::{CountRow, Counters, CountersSnapshot, RateRow};
pub use fleet::{
    sample_account_answers, sample_license_data, uin_for, FaultKind, Faults, Fleet, FleetError,
    GenOptions, KeyPair, OrgFaults, OrgMember, Organization, Role, Settings, SimAccount,
};
pub use server::{serve, spawn, SimHandle};
