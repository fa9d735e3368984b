//! Prints a generated fleet file on stdout.
//!
//! `cargo run -p tcss-sim --example gen_fleet -- [--seed N] [--accounts N]
//!  [--regions a,b] [--role-fraction F] [--latency-ms N] [--jitter-ms N] [--fault-fraction F]`

use tcss_sim::{Fleet, GenOptions};

fn main() {
    let mut opts = GenOptions::default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let [flag, value] = pair else {
            fail(&format!("missing value after {}", pair[0]));
        };
        match flag.as_str() {
            "--seed" => opts.seed = num(flag, value),
            "--accounts" => opts.accounts = num(flag, value),
            "--regions" => opts.regions = value.split(',').map(str::to_owned).collect(),
            "--role-fraction" => opts.role_fraction = num(flag, value),
            "--latency-ms" => opts.latency_ms = num(flag, value),
            "--jitter-ms" => opts.jitter_ms = num(flag, value),
            "--fault-fraction" => opts.fault_fraction = num(flag, value),
            other => fail(&format!("unknown option {other}")),
        }
    }
    match Fleet::generate(&opts).to_toml_string() {
        Ok(text) => print!("{text}"),
        Err(e) => fail(&e.to_string()),
    }
}

fn num<T: std::str::FromStr>(flag: &str, value: &str) -> T {
    value
        .parse()
        .unwrap_or_else(|_| fail(&format!("invalid value for {flag}: {value}")))
}

fn fail(msg: &str) -> ! {
    eprintln!("gen_fleet: {msg}");
    std::process::exit(2);
}
