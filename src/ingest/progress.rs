//! The progress of ingest: a bar of bytes read, with rows per second, on a
//! terminal only; reading threads share it.

use std::io::IsTerminal;
use std::time::Instant;

/// The progress bar of the whole ingest (only on a terminal): bytes, and
/// rows per second in its message. Parsing threads share it.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    rows: std::sync::atomic::AtomicU64,
    started: Instant,
}

impl Progress {
    /// A bar of `len` bytes, shown when `enabled` and stderr is a terminal.
    pub fn new(enabled: bool, len: u64) -> Progress {
        let bar = (enabled && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(len);
            let style = indicatif::ProgressStyle::with_template(
                "ingest [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}, {msg} eta {eta}",
            )
            .map(|s| s.progress_chars("=> "))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress { bar, rows: std::sync::atomic::AtomicU64::new(0), started: Instant::now() }
    }

    /// Reports `bytes` more read and `rows` more parsed.
    pub fn advance(&self, bytes: u64, rows: u64) {
        use std::sync::atomic::Ordering;
        let Some(bar) = &self.bar else { return };
        let total = self.rows.fetch_add(rows, Ordering::Relaxed) + rows;
        bar.inc(bytes);
        let per_s = total as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        bar.set_message(format!("{total} rows, {per_s:.0} rows/s"));
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
