//! `tcss-report`: see the README. Everything lives in the library; this only
//! hands over to the command line.

fn main() -> std::process::ExitCode {
    tcss_report::cli::main()
}
