//! `tcss-report`: see the README. Everything lives in the library; this only
//! hands over to the command line.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tcss_report::cli::main()
}
