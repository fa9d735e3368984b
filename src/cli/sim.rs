//! `tcss-report sim`: the simulator served on its own, and `--generate`.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;

use super::{shutdown_signal, usage, Exit};

#[derive(Debug, Args)]
pub(super) struct SimArgs {
    /// The fleet file (TOML, see docs/simulator.md).
    #[arg(long, required_unless_present = "generate")]
    fleet: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Instead of serving: generate a fleet of N accounts and write it (with
    /// a matching accounts config) for benchmarks and demos.
    #[arg(long, value_name = "N")]
    generate: Option<usize>,
    /// Seed for --generate.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Regions for --generate, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "ap-guangzhou")]
    regions: Vec<String>,
    /// Latency in ms for --generate.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share of accounts (0..1) given 1 to 3 transient faults per (region,
    /// action) before answering, for --generate (soak tests).
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    fault_fraction: f64,
    /// For --generate: how many accounts with keys manage the members (1:
    /// one management account assumes a role in every member). Default: all.
    #[arg(long, requires = "generate", value_parser = clap::value_parser!(u32).range(1..))]
    management_accounts: Option<u32>,
    /// For --generate: put every account into one organization of this
    /// name, managed by the first account; the written config lists only the
    /// management account and an `[[organizations]]` table.
    #[arg(long, requires = "generate")]
    organization: Option<String>,
    /// For --generate: leave the `uin` out of the accounts with keys in the
    /// written config, so a run learns it with GetCallerIdentity.
    #[arg(long, requires = "generate")]
    omit_key_uins: bool,
    /// Where --generate writes the fleet.
    #[arg(long, requires = "generate")]
    write_fleet: Option<PathBuf>,
    /// Where --generate writes the matching accounts config.
    #[arg(long, requires = "generate")]
    write_config: Option<PathBuf>,
    /// Endpoint URL the generated config points at.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    endpoint: String,
}

pub(super) fn fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
        _ => Err(format!("`{s}` is not a number from 0 to 1")),
    }
}

pub(super) async fn sim(args: SimArgs) -> anyhow::Result<Exit> {
    if let Some(n) = args.generate {
        return generate(&args, n);
    }
    let path = args
        .fleet
        .as_ref()
        .ok_or_else(|| usage("--fleet is required"))?;
    let fleet = tcss_sim::Fleet::load(path).map_err(|e| usage(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| usage(format!("cannot listen on {}: {e}", args.listen)))?;
    let addr = listener.local_addr()?;
    let counters = Arc::new(tcss_sim::Counters::default());
    let stop = shutdown_signal();
    // Not `println!`, which panics when stdout is closed: the simulator
    // serves on whether anyone reads its address or not.
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "tcss-sim listening on http://{addr} ({} accounts)",
        fleet.accounts.len()
    );
    let _ = stdout.flush();
    tcss_sim::serve(listener, fleet, counters.clone(), stop).await?;
    let snapshot = counters.snapshot();
    let _ = writeln!(std::io::stdout(), "{}", serde_json::to_string(&snapshot)?);
    Ok(Exit::Ok)
}

pub(super) fn generate(args: &SimArgs, n: usize) -> anyhow::Result<Exit> {
    let fleet = tcss_sim::Fleet::generate(&tcss_sim::GenOptions {
        seed: args.seed,
        accounts: n,
        regions: args.regions.clone(),
        latency_ms: args.latency_ms,
        fault_fraction: args.fault_fraction,
        management_accounts: args.management_accounts.map(|k| k as usize),
        organization: args.organization.clone(),
        ..tcss_sim::GenOptions::default()
    });
    let fleet_path = args
        .write_fleet
        .clone()
        .unwrap_or_else(|| PathBuf::from("fleet.toml"));
    std::fs::write(&fleet_path, fleet.to_toml_string()?)
        .with_context(|| format!("writing {}", fleet_path.display()))?;
    let _ = writeln!(std::io::stdout(), "{}", fleet_path.display());
    if let Some(config_path) = &args.write_config {
        std::fs::write(
            config_path,
            crate::simulate::config_for_fleet(
                &fleet,
                &args.endpoint,
                &args.regions,
                args.omit_key_uins,
            ),
        )
        .with_context(|| format!("writing {}", config_path.display()))?;
        let _ = writeln!(std::io::stdout(), "{}", config_path.display());
    }
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::config::Config;
    use clap::Parser;

    fn sim_args(argv: &[&str]) -> SimArgs {
        let mut full = vec!["tcss-report", "sim"];
        full.extend_from_slice(argv);
        match Cli::try_parse_from(full) {
            Ok(Cli {
                command: Command::Sim(args),
                ..
            }) => args,
            other => panic!("unexpected parse result: {other:?}"),
        }
    }

    #[test]
    fn fault_fraction_must_be_a_share() {
        assert_eq!(fraction("0.25"), Ok(0.25));
        assert_eq!(fraction("1"), Ok(1.0));
        assert!(fraction("1.5").is_err());
        assert!(fraction("-0.1").is_err());
        assert!(fraction("NaN").is_err());
        assert!(Cli::try_parse_from([
            "tcss-report",
            "sim",
            "--generate",
            "5",
            "--fault-fraction",
            "2"
        ])
        .is_err());
        assert_eq!(sim_args(&["--generate", "5"]).fault_fraction, 0.0);
    }

    #[test]
    fn generate_writes_the_requested_faults() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fleet_path = dir.path().join("fleet.toml");
        let faults = |fraction: &str| {
            let args = sim_args(&[
                "--generate",
                "40",
                "--fault-fraction",
                fraction,
                "--write-fleet",
                fleet_path.to_str().expect("utf-8 path"),
            ]);
            generate(&args, 40).expect("generated");
            let fleet = tcss_sim::Fleet::load(&fleet_path).expect("valid fleet");
            assert_eq!(fleet.accounts.len(), 40);
            fleet
                .accounts
                .iter()
                .filter(|a| a.faults.first_n > 0)
                .count()
        };
        assert_eq!(faults("0"), 0);
        assert_eq!(faults("1"), 40);
    }

    #[test]
    fn generate_writes_an_organization_and_its_config() {
        let dir = tempfile::tempdir().expect("temp dir");
        let fleet_path = dir.path().join("fleet.toml");
        let config_path = dir.path().join("accounts.toml");
        let args = sim_args(&[
            "--generate",
            "30",
            "--organization",
            "corp",
            "--write-fleet",
            fleet_path.to_str().expect("utf-8 path"),
            "--write-config",
            config_path.to_str().expect("utf-8 path"),
        ]);
        generate(&args, 30).expect("generated");
        let fleet = tcss_sim::Fleet::load(&fleet_path).expect("valid fleet");
        assert_eq!(fleet.organizations()[0].members.len(), 30);
        let config = Config::load(&config_path).expect("valid config");
        assert_eq!(config.accounts.len(), 1, "only the management account");
        assert_eq!(config.organizations.len(), 1);
        assert_eq!(config.organizations[0].name, "corp");
        assert_eq!(
            config.accounts[0].uin, None,
            "the management account's UIN is learned"
        );
    }
}
