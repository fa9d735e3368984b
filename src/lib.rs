//! `tcss-report` as a library: the runner's stages, one module each, so the
//! binary (`main.rs`) stays thin and integration tests can reach every stage.
//!
//! Data flows one way: [`config`] → [`plan`] → [`execute`] → [`aggregate`] →
//! [`report`]. [`cli`] parses the command line and maps results to exit codes;
//! [`simulate`] wires the in-process simulator for `run --simulate`;
//! [`sanitize`] and [`redact`] make server text safe to store and show.

pub(crate) mod aggregate;
pub(crate) mod calls;
pub mod cli;
pub(crate) mod columns;
pub(crate) mod compare;
pub(crate) mod config;
pub(crate) mod discover;
pub(crate) mod execute;
pub(crate) mod groups;
pub(crate) mod history;
pub(crate) mod limits;
pub(crate) mod logging;
pub(crate) mod metrics;
pub(crate) mod model;
pub(crate) mod notify;
pub(crate) mod plan;
pub(crate) mod redact;
pub(crate) mod report;
pub(crate) mod sanitize;
pub(crate) mod simulate;
pub(crate) mod suggest;
mod sync;
#[cfg(test)]
mod test_support;
pub(crate) mod thresholds;
