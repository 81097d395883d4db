//! Logging: `tracing` events to stderr, human-readable and coloured only on a
//! terminal, or one JSON object per line for log collectors
//! (`--log-format json`); optionally also to a log file rotated daily with a
//! bounded number of old files (`--log-file PATH`). `MANGETAMAIN_LOG` (an
//! `EnvFilter` directive) overrides the level chosen with `-v`/`-q`.
//! Standard output stays empty.

use std::io::IsTerminal;
use std::path::Path;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Old log files kept beside the current one.
pub const KEEP_LOG_FILES: usize = 14;

/// Keeps the log file writer alive; drop it last (it flushes on drop).
pub struct Guard {
    _worker: Option<tracing_appender::non_blocking::WorkerGuard>,
}

fn filter(verbose: u8, quiet: bool) -> EnvFilter {
    let level = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    EnvFilter::try_from_env("MANGETAMAIN_LOG").unwrap_or_else(|_| EnvFilter::new(level))
}

/// Installs the global subscriber. `verbose` counts `-v`; `quiet` keeps
/// warnings only; `file` adds a daily-rotated log file (always JSON when the
/// format is JSON, else plain text without colours).
pub fn init(verbose: u8, quiet: bool, format: LogFormat, file: Option<&Path>) -> anyhow::Result<Guard> {
    let (file_writer, guard) = match file {
        Some(path) => {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
            let name = path
                .file_name()
                .ok_or_else(|| anyhow::anyhow!("`--log-file` needs a file name, found `{}`", path.display()))?;
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot create the log directory `{}`: {e}", dir.display()))?;
            let appender = tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix(name.to_string_lossy())
                .max_log_files(KEEP_LOG_FILES)
                .build(dir)
                .map_err(|e| anyhow::anyhow!("cannot open the log file `{}`: {e}", path.display()))?;
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (Some(writer), Some(guard))
        }
        None => (None, None),
    };
    let ansi = std::io::stderr().is_terminal() && format == LogFormat::Text;
    let registry = tracing_subscriber::registry().with(filter(verbose, quiet));
    let result = match format {
        LogFormat::Text => {
            let stderr = tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(ansi)
                .without_time()
                .with_target(false);
            let file = file_writer
                .map(|w| tracing_subscriber::fmt::layer().with_writer(w).with_ansi(false).with_target(false));
            registry.with(stderr).with(file).try_init()
        }
        LogFormat::Json => {
            let stderr = tracing_subscriber::fmt::layer().json().with_writer(std::io::stderr).with_target(false);
            let file = file_writer.map(|w| tracing_subscriber::fmt::layer().json().with_writer(w).with_target(false));
            registry.with(stderr).with(file).try_init()
        }
    };
    // a second initialisation (tests) keeps the first subscriber
    let _ = result;
    Ok(Guard { _worker: guard })
}
