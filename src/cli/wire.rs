//! What a run (or `discover`) talks to the API with: the endpoints (the
//! built-in simulator's with `--simulate`), the shared HTTP client and the
//! executor.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tcapi::credentials::Env;
use tcapi::{Client, ClientConfig, Endpoint};

use crate::config::Config;
use crate::execute::{ExecOptions, Executor};
use crate::redact::Redactor;
use crate::simulate;

use super::usage;

/// What a run (or `discover`) talks to the API with.
pub(super) struct Wired {
    pub(super) executor: Executor,
    pub(super) sim: Option<simulate::Simulated>,
    /// The organization API endpoint when it is not each organization's own
    /// (the simulator's).
    pub(super) org_endpoint: Option<Endpoint>,
}

/// The endpoints (the built-in simulator's with `simulate`), the shared HTTP
/// client and the executor of a run.
pub(super) async fn wire(
    config: &Config,
    env: &dyn Env,
    simulate: bool,
    redactor: Arc<Redactor>,
) -> anyhow::Result<Wired> {
    let d = &config.defaults;

    let mut overrides = HashMap::new();
    let mut sim = None;
    let (endpoint, sts_endpoint) = if simulate {
        let s = simulate::start(config, env)
            .await
            .context("starting the built-in simulator")?;
        if !s.demo_accounts.is_empty() {
            let mut names = s
                .demo_accounts
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if s.demo_accounts.len() > 10 {
                names.push_str(", ...");
            }
            tracing::info!(
                "simulator: {} of {} accounts have no credentials in this environment ({names}); \
                 using demo credentials for them",
                s.demo_accounts.len(),
                config.accounts.len()
            );
        }
        tracing::info!(url = %s.handle.url(), "simulator: serving the config's accounts on loopback");
        let url = s.handle.url();
        overrides = s.overrides.clone();
        sim = Some(s);
        (Endpoint::parse(&url, false)?, Endpoint::parse(&url, false)?)
    } else {
        (
            Endpoint::parse(&d.endpoint, d.allow_insecure_http)
                .map_err(|e| usage(format!("endpoint: {e}")))?,
            Endpoint::parse(&d.sts_endpoint, d.allow_insecure_http)
                .map_err(|e| usage(format!("sts_endpoint: {e}")))?,
        )
    };

    let client = Client::new(ClientConfig {
        timeout: Duration::from_secs(d.timeout_secs),
        max_attempts: d.max_attempts,
        language: d.language.clone(),
        request_client: format!("tcss-report/{}", env!("CARGO_PKG_VERSION")),
        ca_files: d.ca_file.iter().cloned().collect(),
        pool_max_idle_per_host: d.concurrency,
        ..ClientConfig::default()
    })
    .map_err(|e| usage(format!("HTTP client: {e}")))?;

    let org_endpoint = simulate.then(|| endpoint.clone());
    let executor = Executor::new(
        config,
        env,
        &overrides,
        ExecOptions {
            client,
            endpoint,
            sts_endpoint,
            sts_region: d.sts_region.clone(),
            concurrency: d.concurrency,
            rate_limit: d.rate_limit,
            sts_rate_limit: d.sts_rate_limit,
            role_session_name: d.role_session_name.clone(),
            role_duration_secs: d.role_duration_secs,
            discover_uin: true,
            redactor,
        },
    );
    Ok(Wired {
        executor,
        sim,
        org_endpoint,
    })
}
