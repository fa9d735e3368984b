//! `tcss-report history`: trends over the recorded runs.

use super::*;

#[derive(Debug, Args)]
pub(super) struct HistoryArgs {
    /// The accounts file (TOML): its `[history]` table and `ca_file`.
    #[arg(long)]
    config: PathBuf,
    /// The history database: a SQLite file or a postgres:// URL
    /// (default: the config's `[history] database`, else <out>/history.sqlite).
    #[arg(long, value_name = "DB")]
    history: Option<String>,
    /// Only the runs started in the last DAYS days.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    since: Option<u32>,
    /// Folder for the files (and of the default history file).
    #[arg(long, default_value = "reports")]
    out: PathBuf,
    /// File formats, comma-separated: csv, xlsx, json.
    #[arg(long, value_delimiter = ',', default_value = "csv,xlsx,json")]
    formats: Vec<crate::history::output::TrendFormat>,
}

/// `tcss-report history`: reads the recorded runs (never creating the
/// database) and writes the trend files.
pub(super) async fn history_command(
    args: HistoryArgs,
    redactor: &Redactor,
) -> anyhow::Result<Exit> {
    let config = load_config(&args.config)?;
    report::check_out_dir(&args.out).map_err(|e| usage(e.to_string()))?;
    let mut target =
        crate::history::recorder::target(args.history.as_deref(), &config, &args.out, &ProcessEnv)
            .map_err(|e| usage(e.to_string()))?;
    target.options.create = false;
    if let Some(p) = &target.options.password {
        redactor.add(p);
    }
    if let crate::history::Location::Sqlite(p) = &target.location {
        if !p.exists() {
            return Err(usage(format!(
                "no history at {}: no run was recorded there yet; give --history, or record \
                 runs with `tcss-report run` first",
                p.display()
            )));
        }
    }
    let store = crate::history::Store::open(&target.location, &target.options).await?;
    let now = chrono::Utc::now();
    let since = args
        .since
        .map(|d| now - chrono::Duration::days(i64::from(d)));
    let trends = store.trends(since).await?;
    let location = target.location.to_string();
    let about = crate::history::output::About {
        history: &location,
        generated_at: now,
    };
    let paths = crate::history::output::write(&trends, &about, &args.out, &args.formats)
        .with_context(|| format!("writing the history files into {}", args.out.display()))?;
    tracing::info!(
        runs = trends.runs.len(),
        account_rows = trends.accounts.len(),
        history = %location,
        "history written"
    );
    let mut stdout = std::io::stdout().lock();
    for p in &paths {
        let _ = writeln!(stdout, "{}", p.display());
    }
    Ok(Exit::Ok)
}
