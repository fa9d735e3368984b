//! `tcss-report`: the runner's stages, one module each, so the binary
//! (`main.rs`) stays thin: it calls [`cli::main`], the only public item; the
//! integration tests run the binary.
//!
//! Data flows one way, no module importing one that stands after it:
//! `config` → `plan` → `execute` (with `discover` feeding it) →
//! `aggregate` → `compare` and `thresholds` → `report` (the writers, over
//! the composite `report::Report` that `cli::run` assembles) → `history`
//! and `metrics`. `columns` describes every report table once (the rows
//! and their columns) for every stage from `aggregate` on; `model` holds the
//! types passed between stages, `calls` the API calls as data; `sanitize`
//! and `redact` make server text safe to store and show; `simulate` wires
//! the in-process simulator for `run --simulate`.

pub(crate) mod aggregate;
pub(crate) mod calls;
pub mod cli;
pub(crate) mod columns;
pub(crate) mod compare;
pub(crate) mod config;
pub(crate) mod discover;
pub(crate) mod execute;
pub(crate) mod formats;
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
