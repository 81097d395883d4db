//! Located errors for mistakes in user files.
//!
//! Every stage that reads something an author wrote (front matter, SQL blocks,
//! directives, inline values, templates) reports problems as a [`SourceError`]
//! carrying `path:line:col`, so the message points at the exact character to
//! fix. Other failures (I/O, DuckDB) travel as `anyhow` errors with context;
//! [`report`] prints either kind with its chain of causes.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a user file: 1-based line and column (column counted in characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Location {
    /// The file, as the user would name it (relative to the site root when possible).
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` inside `text`, which is the content of `path`.
    pub fn at(path: &Path, text: &str, offset: usize) -> Location {
        let (line, column) = line_col(text, offset);
        Location { path: path.to_path_buf(), line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// A value with the place it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where the author wrote it.
    pub location: Location,
}

/// A mistake in a user file, with the place it was found.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{location}: {message}")]
pub struct SourceError {
    /// Where the mistake is.
    pub location: Location,
    /// What is wrong, lowercase, no trailing period, saying what was expected.
    pub message: String,
}

impl SourceError {
    /// A new error at `location`.
    pub fn new(location: Location, message: impl Into<String>) -> SourceError {
        SourceError { location, message: message.into() }
    }
}

/// Turns a TOML error into a located error. `base` is the byte offset of the
/// TOML text inside `file_text` (non-zero for front matter and directives).
pub fn toml_error(err: &toml::de::Error, file_text: &str, display: &Path, base: usize) -> SourceError {
    let offset = base + err.span().map_or(0, |s| s.start);
    // toml's message repeats the position and a source excerpt; keep the first line
    let message = err.message().lines().next().unwrap_or("invalid TOML").trim().to_string();
    SourceError::new(Location::at(display, file_text, offset), message)
}

/// The 1-based (line, column) of byte `offset` in `text`; the column counts characters.
///
/// An offset past the end (or inside a multi-byte character) is clamped to the
/// nearest character boundary before it.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Renders an error and its causes the way the command line prints them:
/// `error: message`, then one `  caused by: cause` line per source.
pub fn report(err: &anyhow::Error) -> String {
    let mut out = format!("error: {err}");
    for cause in err.chain().skip(1) {
        out.push_str(&format!("\n  caused by: {cause}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_chars() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 2), (1, 3));
        assert_eq!(line_col(text, 3), (2, 1));
        // `é` is two bytes: the column after it is 4, not 5
        assert_eq!(line_col(text, 7), (2, 4));
        assert_eq!(line_col(text, 8), (3, 1));
        assert_eq!(line_col(text, 9), (3, 2));
        assert_eq!(line_col(text, 100), (3, 2));
    }

    #[test]
    fn line_col_clamps_inside_a_character() {
        assert_eq!(line_col("é", 1), (1, 1));
    }

    #[test]
    fn location_displays_as_path_line_col() {
        let loc = Location::at(Path::new("content/a.md"), "x\ny", 2);
        assert_eq!(loc.to_string(), "content/a.md:2:1");
    }

    #[test]
    fn report_lists_causes() {
        let err = anyhow::anyhow!("inner").context("outer");
        assert_eq!(report(&err), "error: outer\n  caused by: inner");
    }
}
