//! Tests of the thresholds: parsing (every operator, scope, number form and
//! error, with its caret), the metrics table against the report's columns,
//! and evaluation (every operator and scope, empty values, `change.*`).

mod eval;
mod metrics;
mod parse;
