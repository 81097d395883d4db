//! The integration suite: one test binary, so DuckDB links once.

mod archive;
mod browser;
mod build;
mod cli;
mod common;
mod deploy;
mod errors;
mod hostile;
mod ingest;
mod new;
mod nginx;
mod properties;
mod publish;
mod pylist;
mod rebuild;
mod report;
mod serve;
mod snapshots;
mod sources;
