//! The text exposition format (version 0.0.4) of the metric families, by
//! `prometheus-client`: its encoder writes the `# HELP` and `# TYPE` lines
//! and escapes label values (backslash, double quote, line feed) and help
//! text. The families are handed to it as a [`Collector`], so samples come
//! out in the report's order and an empty value simply has no sample.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{prometheus_text, DescriptorEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::{families, Family, Inputs, Value};
use crate::report::Report;

/// The metric families of one run, as the encoder collects them.
#[derive(Debug)]
struct Exposition(Vec<Family>);

impl Collector for Exposition {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for family in &self.0 {
            let mut metric =
                encoder.encode_descriptor(family.name, family.help, None, MetricType::Gauge)?;
            for (labels, value) in &family.samples {
                let mut sample = metric.encode_family(labels)?;
                match value {
                    Value::Int(v) => sample.encode_gauge(v)?,
                    Value::Float(v) => sample.encode_gauge(v)?,
                }
            }
        }
        Ok(())
    }
}

/// The encoder refused the metrics (it writes into memory, so this means a
/// bug in this module or in the crate).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the Prometheus text encoder refused the metrics; please report this as a bug")]
#[non_exhaustive]
pub struct EncodeError;

/// The exposition of `report`: every family with its `# HELP` and `# TYPE`
/// lines, one line per sample.
pub fn render(report: &Report, inputs: &Inputs) -> Result<String, EncodeError> {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Exposition(families(report, inputs))));
    let mut text = String::new();
    prometheus_text::encode(&mut text, &registry).map_err(|_| EncodeError)?;
    Ok(text)
}
