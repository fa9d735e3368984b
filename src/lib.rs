//! `tcss-report` as a library: the runner's stages, one module each, so the
//! binary (`main.rs`) stays thin and integration tests can reach every stage.
//!
//! Data flows one way: [`config`] → [`plan`] → [`execute`] → [`aggregate`] →
//! [`report`]. [`cli`] parses the command line and maps results to exit codes;
//! [`simulate`] wires the in-process simulator for `run --simulate`;
//! [`sanitize`] and [`redact`] make server text safe to store and show.

pub mod aggregate;
pub mod calls;
pub mod cli;
pub mod compare;
pub mod config;
pub mod discover;
pub mod execute;
pub mod history;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod plan;
pub mod redact;
pub mod report;
pub mod sanitize;
pub mod simulate;
pub mod suggest;
mod sync;
#[cfg(test)]
mod test_support;
pub mod thresholds;
