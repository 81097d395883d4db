//! `status.json`: what an edition is made of (the generator, the edition
//! date, its pages, each query's row count, every input file), for health
//! checks and archives; and, in the published copy only, the facts of the
//! run that made it (`run`: when, how long, each stage).

use crate::ingest::Dataset;
use crate::render::{OutputFile, PageView};
use crate::table::Table;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The contents of `status.json`; its keys in alphabetical order, as they
/// have always been written.
#[derive(Debug, Serialize)]
pub struct Status<'a> {
    /// When it was built, from `SOURCE_DATE_EPOCH` (RFC 3339), if set.
    pub built_at: Option<String>,
    /// The edition date (`YYYY-MM-DD`), if known.
    pub edition: Option<String>,
    /// What made it.
    pub generator: Generator,
    /// Every input file and what became of its rows.
    pub inputs: &'a [Dataset],
    /// Each page's title, by file name.
    pub page_titles: BTreeMap<String, String>,
    /// The pages' file names, in the site's order.
    pub pages: Vec<String>,
    /// Each query's number of rows.
    pub queries: BTreeMap<String, usize>,
    /// This run's facts; absent from the edition (archives, reproducible
    /// builds), present in the published copy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<Run>,
    /// Which site it is.
    pub site: SiteFacts,
}

/// The site an edition belongs to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SiteFacts {
    /// The site's language (`language` in `site.toml`).
    pub language: String,
    /// The site's title.
    pub title: String,
}

/// What the archives read of a site's `status.json`: the same keys, typed.
#[derive(Debug, Deserialize)]
pub struct Published {
    /// The edition date, if known.
    pub edition: Option<String>,
    /// Each page's title, by file name.
    #[serde(default)]
    pub page_titles: BTreeMap<String, String>,
    /// The pages' file names, in the site's order.
    #[serde(default)]
    pub pages: Vec<String>,
    /// Which site it is; absent from sites built before it was written.
    pub site: Option<SiteFacts>,
}

impl Published {
    /// Reads the `status.json` of `files`.
    pub fn of(files: &[OutputFile]) -> anyhow::Result<Published> {
        let status = files.iter().find(|f| f.rel_path == "status.json").context("the site has no `status.json`")?;
        serde_json::from_slice(&status.contents)
            .context("`status.json` is not valid: is this a site built by mangetamain?")
    }
}

/// The generator of an edition.
#[derive(Debug, Serialize)]
pub struct Generator {
    /// Always `mangetamain`.
    pub name: &'static str,
    /// The revision it was built from.
    pub revision: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// When a run started and finished, and how long each stage took.
#[derive(Debug, Serialize)]
pub struct Run {
    /// RFC 3339, to the millisecond, UTC.
    pub finished_at: String,
    /// The whole run, in seconds (to the millisecond).
    pub seconds: f64,
    /// The sources read again; empty when the database was kept as it was.
    pub sources_read: Vec<String>,
    /// Each stage's seconds, by name.
    pub stages: BTreeMap<String, f64>,
    /// RFC 3339, to the millisecond, UTC.
    pub started_at: String,
}

/// What an edition's pages and queries are, as `status.json` tells them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contents {
    /// Each page's title, by file name.
    pub page_titles: BTreeMap<String, String>,
    /// The pages' file names, in the site's order.
    pub pages: Vec<String>,
    /// Each query's number of rows.
    pub queries: BTreeMap<String, usize>,
}

impl Contents {
    /// The contents of an edition made of `pages` and `tables`.
    pub fn of(pages: &[PageView], tables: &BTreeMap<String, Table>) -> Contents {
        Contents {
            page_titles: pages.iter().map(|p| (format!("{}.html", p.slug), p.title.clone())).collect(),
            pages: pages.iter().map(|p| format!("{}.html", p.slug)).collect(),
            queries: tables.iter().map(|(n, t)| (n.clone(), t.rows.len())).collect(),
        }
    }
}

impl<'a> Status<'a> {
    /// The status of an edition of `site` made of `pages` and `tables` from `inputs`.
    pub fn new(
        site: SiteFacts,
        edition: &Option<String>,
        inputs: &'a [Dataset],
        pages: &[PageView],
        tables: &BTreeMap<String, Table>,
        source_date_epoch: Option<i64>,
    ) -> Status<'a> {
        Status::of(site, edition, inputs, Contents::of(pages, tables), source_date_epoch)
    }

    /// The status of an edition of `site` with `contents`, from `inputs`.
    pub fn of(
        site: SiteFacts,
        edition: &Option<String>,
        inputs: &'a [Dataset],
        contents: Contents,
        source_date_epoch: Option<i64>,
    ) -> Status<'a> {
        let Contents { page_titles, pages, queries } = contents;
        Status {
            generator: Generator {
                name: "mangetamain",
                version: env!("CARGO_PKG_VERSION"),
                revision: env!("MANGETAMAIN_REVISION"),
            },
            edition: edition.clone(),
            built_at: source_date_epoch.and_then(|s| chrono::DateTime::from_timestamp(s, 0)).map(|d| d.to_rfc3339()),
            page_titles,
            pages,
            queries,
            inputs,
            run: None,
            site,
        }
    }

    /// The file `status.json`, pretty-printed.
    pub fn file(&self) -> anyhow::Result<OutputFile> {
        let mut text = serde_json::to_string_pretty(self).context("cannot write status.json")?;
        text.push('\n');
        Ok(OutputFile { rel_path: "status.json".into(), contents: text.into_bytes() })
    }
}

impl Run {
    /// A run that started at `started_at` (wall clock) and `started`
    /// (monotonic), with the time of each stage done and the sources read
    /// again.
    pub fn since(
        started_at: chrono::DateTime<chrono::Utc>,
        started: std::time::Instant,
        stages: &[(&'static str, std::time::Duration)],
        sources_read: &[String],
    ) -> Run {
        let seconds = |d: std::time::Duration| (d.as_secs_f64() * 1000.0).round() / 1000.0;
        let finished_at = started_at + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
        let stamp = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        Run {
            started_at: stamp(started_at),
            finished_at: stamp(finished_at),
            seconds: seconds(started.elapsed()),
            sources_read: sources_read.to_vec(),
            stages: stages.iter().map(|(s, took)| ((*s).to_string(), seconds(*took))).collect(),
        }
    }
}
