//! The integration suite: one test binary, so DuckDB links once.

mod build;
mod cli;
mod common;
mod errors;
mod ingest;
mod nginx;
mod properties;
mod publish;
mod pylist;
mod report;
mod snapshots;
