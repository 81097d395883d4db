//! mangetamain: a static-site generator for analytics reports.
//!
//! A build reads raw CSV files into DuckDB (`ingest`), runs every named SQL
//! query of the pages once (`query`), draws charts to SVG (`chart`), renders
//! the Markdown pages through Tera templates (`content`, `render`) and writes
//! a complete static site (`publish`), with dated offline archives
//! (`archive`); `serve` previews it while an author edits. `site` runs the stages in order; the
//! binary only parses the command line and calls it.

#![warn(missing_docs)]

pub mod archive;
pub mod chart;
pub mod cli;
pub mod config;
pub mod content;
pub mod error;
pub mod format;
pub mod ingest;
pub mod kept;
pub mod locale;
pub mod logging;
pub mod model;
pub mod new;
pub mod parallel;
pub mod plan;
pub mod publish;
pub mod query;
pub mod render;
pub mod resolve;
pub mod sample;
pub mod serve;
pub mod site;
pub mod sources;
pub mod status;
pub mod table;

pub use site::{BuildOptions, BuildSummary, build};
