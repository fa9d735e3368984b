//! Fuzz target: the accounts-file loader. Any UTF-8 text goes through
//! `Config::parse`, which must return (a config or located errors) and never
//! panic. Seed it with `accounts.example.toml` (see docs/testing.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcss_report::config::Config;

fuzz_target!(|text: &str| {
    if let Err(e) = Config::parse(text, std::path::Path::new("fuzz/accounts.toml")) {
        let _ = e.to_string();
    }
});
