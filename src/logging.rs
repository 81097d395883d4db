//! Logging: `tracing` events to stderr, human-readable, coloured only on a
//! terminal. `MANGETAMAIN_LOG` (an `EnvFilter` directive) overrides the level
//! chosen with `-v`/`-q`. Standard output stays empty.

use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `verbose` counts `-v`; `quiet` keeps warnings only.
pub fn init(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter = EnvFilter::try_from_env("MANGETAMAIN_LOG").unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .with_target(false)
        .try_init();
}
