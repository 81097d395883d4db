//! The orchestrator: runs the stages in a fixed order (config, content,
//! templates, ingest, query, chart + render, publish), each timed, and checks
//! every reference an author made (query, column, row) against what the
//! queries returned. Tests drive [`build`]; the binary only calls it.

use crate::archive;
use crate::config::Config;
use crate::content::expr::Source;
use crate::content::{self, markdown};
use crate::error::{Located, Location, SourceError};
use crate::ingest::{self, IngestOptions};
use crate::plan;
use crate::publish;
use crate::render::{self, OutputFile, PageView, Templates};
use crate::resolve::{cell, check_links, render_page};
use crate::status::{Run, Status};
use crate::table::{Table, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Validated options for one build.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildOptions {
    /// Holds `content/` and `templates/`.
    pub root: PathBuf,
    /// Where the sources' relative paths start (`--data`); `None`: the
    /// configuration's `data_dir`, else the site root.
    pub data_dir: Option<PathBuf>,
    /// The site is published here.
    pub out_dir: PathBuf,
    /// The DuckDB file.
    pub db: PathBuf,
    /// `false` for `check`: everything but writing the site.
    pub write: bool,
    /// Seconds since 1970 for the edition date (`SOURCE_DATE_EPOCH`), read by the CLI.
    pub source_date_epoch: Option<i64>,
    /// Re-read the inputs even when their fingerprints are unchanged.
    pub force_ingest: bool,
    /// The largest share (0..1) of quarantined rows a file may have.
    pub max_quarantine: f64,
    /// DuckDB's memory limit (`512MB`).
    pub memory_limit: String,
    /// DuckDB's worker threads for the queries.
    pub threads: usize,
    /// Write the edition's archives here (`--archive`) and list them on an Editions page.
    pub archive: Option<PathBuf>,
    /// Keep only this many archived editions (`--keep`); all when `None`.
    pub keep: Option<usize>,
}

impl BuildOptions {
    /// Options with the default layout under `root`: data where
    /// `content/site.toml` says, output to `root/public`, database
    /// `root/data/mangetamain.duckdb`.
    pub fn with_root(root: impl Into<PathBuf>) -> BuildOptions {
        let root = root.into();
        BuildOptions {
            data_dir: None,
            out_dir: root.join("public"),
            db: root.join("data/mangetamain.duckdb"),
            root,
            write: true,
            source_date_epoch: None,
            force_ingest: false,
            max_quarantine: ingest::DEFAULT_MAX_QUARANTINE,
            memory_limit: ingest::DEFAULT_MEMORY_LIMIT.into(),
            threads: usize::from(DEFAULT_THREADS),
            archive: None,
            keep: None,
        }
    }
}

/// What a build did.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildSummary {
    /// Pages rendered.
    pub pages: usize,
    /// Queries run.
    pub queries: usize,
    /// Charts drawn.
    pub charts: usize,
    /// Files in the site (gzip twins included).
    pub files: usize,
    /// The inputs read.
    pub datasets: Vec<ingest::Dataset>,
    /// Whether the site was written.
    pub written: bool,
}

/// The duration of each stage of one run, for the log and `status.json`.
#[derive(Debug, Default)]
struct Stages {
    done: Vec<(&'static str, std::time::Duration)>,
}

impl Stages {
    fn timed<T>(&mut self, stage: &'static str, started: Instant, value: T) -> T {
        let took = started.elapsed();
        tracing::debug!(stage, ms = took.as_millis() as u64, "stage done");
        self.done.push((stage, took));
        value
    }
}

/// How many queries run at once by default (`--threads`).
pub const DEFAULT_THREADS: u16 = 2;

/// Builds the site described by `opts`.
pub fn build(opts: &BuildOptions) -> anyhow::Result<BuildSummary> {
    run(opts).map(|(summary, _)| summary)
}

/// Builds the site described by `opts` in memory and returns its files,
/// `.gz` twins included: what `serve` shows. Nothing is written but the
/// database; `opts.write` and `opts.archive` are not used.
pub fn preview(opts: &BuildOptions) -> anyhow::Result<(BuildSummary, Vec<OutputFile>)> {
    run(&BuildOptions { write: false, archive: None, ..opts.clone() })
}

fn run(opts: &BuildOptions) -> anyhow::Result<(BuildSummary, Vec<OutputFile>)> {
    let started_at = chrono::Utc::now();
    let started = Instant::now();
    let mut stages = Stages::default();
    if !opts.root.join("content").is_dir() {
        anyhow::bail!(
            "`{}` has no `content/` directory: it is not a site (`mangetamain new DIR` starts one)",
            opts.root.display()
        );
    }
    // one build per output at a time
    let _lock = publish::lock(&opts.out_dir)?;
    let t = Instant::now();
    let config_path = opts.root.join("content/site.toml");
    let config = Config::from_file(&config_path, &display(&config_path, &opts.root))?;
    let pages = stages.timed("content", t, content::load_all(&opts.root.join("content"), &opts.root)?);
    let t = Instant::now();
    let templates = stages.timed("templates", t, Templates::load(&opts.root.join("templates"), &opts.root)?);

    // one build per database at a time too: another output may share it
    let _db_lock = publish::lock(&opts.db)?;
    let t = Instant::now();
    let data_dir = match (&opts.data_dir, &config.data_dir) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => opts.root.join(dir),
        (None, None) => opts.root.clone(),
    };
    tracing::info!(data = %data_dir.display(), sources = config.sources.len(), "ingesting");
    let ingested = ingest::run(&IngestOptions {
        sources: config.sources.clone(),
        data_dir,
        db: opts.db.clone(),
        force: opts.force_ingest,
        max_quarantine: opts.max_quarantine,
        memory_limit: opts.memory_limit.clone(),
        progress: true,
    })?;
    let (datasets, attached) = (ingested.datasets, ingested.attached);
    stages.timed("ingest", t, ());

    let t = Instant::now();
    // results of the last build are reused while data and SQL are unchanged
    let mut data_key = format!("{} {}\n", env!("CARGO_PKG_VERSION"), ingest::SCHEMA_VERSION);
    for d in &datasets {
        data_key.push_str(&format!("{} {} {}\n", d.source, d.file, d.blake3));
    }
    for s in &config.sources {
        data_key.push_str(&format!("{} {}\n", s.name, s.fingerprint()));
    }
    let edition_ref = config.edition.as_ref().map(|e| Located {
        value: e.clone(),
        location: Location { path: display(&config_path, &opts.root), line: 1, column: 1 },
    });
    let query_opts = plan::QueryOptions {
        db: opts.db.clone(),
        memory_limit: opts.memory_limit.clone(),
        threads: opts.threads,
        data_key,
        attached,
    };
    // links to content files lead to their pages
    let page_files: markdown::PageFiles = pages
        .iter()
        .filter(|p| !p.is_template())
        .filter_map(|p| Some((p.source.file_name()?.to_string_lossy().into_owned(), p.file_name())))
        .collect();
    let planned = plan::run(pages, edition_ref, &query_opts)?;
    let (ran, reused) = (planned.ran, planned.reused);
    let (pages, tables, generated) = (planned.pages, planned.tables, planned.generated);
    if opts.archive.is_some() && pages.iter().any(|p| p.file_name() == archive::EDITIONS_PAGE) {
        let page = pages.iter().find(|p| p.file_name() == archive::EDITIONS_PAGE).map(|p| p.source.clone());
        return Err(SourceError::new(
            Location { path: page.unwrap_or_default(), line: 1, column: 1 },
            format!(
                "with `--archive`, `{}` is the list of editions; give this page another name",
                archive::EDITIONS_PAGE
            ),
        )
        .into());
    }
    stages.timed("query", t, ());
    if ran > 0 {
        tracing::info!(queries = ran, reused, "queries ran");
    } else {
        tracing::info!(reused, "no query ran: every result was reused");
    }

    let t = Instant::now();
    let mut views: Vec<PageView> = Vec::new();
    let mut charts = 0;
    for page in &pages {
        // every number and date of the page in its locale
        let locale = page.meta.locale.as_deref().unwrap_or(&config.locale);
        let lang = page.meta.locale.clone().unwrap_or_else(|| config.language.clone());
        let (mut view, n) =
            crate::locale::with(locale, || render_page(page, &tables, &templates, &generated, &page_files))
                .map_err(|m| anyhow::anyhow!("{}: {m}", page.source.display()))??;
        view.lang = lang;
        charts += n;
        views.push(view);
    }
    let edition = edition(opts, &config, &tables, &config_path)?;
    let version = env!("CARGO_PKG_VERSION");
    if opts.archive.is_some() {
        views.push(editions_view(&[]));
    }
    let input =
        render::SiteInput { config: &config, edition: edition.clone(), version, editions: opts.archive.is_some() };
    let render_all = |views: &[PageView]| -> anyhow::Result<Vec<OutputFile>> {
        let mut files = render::site(&templates, &input, views)?;
        for (name, table) in &tables {
            files.push(OutputFile { rel_path: format!("data/{name}.csv"), contents: table.to_csv().into_bytes() });
        }
        files.push(Status::new(&edition, &datasets, views, &tables, opts.source_date_epoch).file()?);
        Ok(files)
    };
    let mut files = render_all(&views)?;
    render::clean_text(&mut files);
    check_links(&files, &Default::default(), &config.root_path(), &pages, &page_files)?;
    stages.timed("render", t, ());
    tracing::info!(pages = views.len(), charts, files = files.len(), "rendered");

    if let (Some(dir), true) = (&opts.archive, opts.write) {
        // the archives hold the site; the Editions page then lists them
        let t = Instant::now();
        let offline = archive::offline_files(&files)?;
        let written = archive::write(dir, &offline)?;
        for path in &written {
            tracing::info!(archive = %path.display(), "archived");
        }
        if let Some(keep) = opts.keep {
            for date in archive::prune(dir, keep, &archive::edition_date(&offline)?)? {
                tracing::info!(edition = %date, keep, "removed an old archived edition");
            }
        }
        let editions = archive::list(dir)?;
        if let Some(view) = views.last_mut() {
            *view = editions_view(&editions);
        }
        files = render_all(&views)?;
        render::clean_text(&mut files);
        check_links(&files, &archive::link_targets(&editions), &config.root_path(), &pages, &page_files)?;
        stages.timed("archive", t, ());
    }
    let twins = files.iter().filter(|f| publish::compressible(&f.rel_path)).count();
    if opts.write {
        let t = Instant::now();
        // the facts of this run go into the published status.json only
        let run = match opts.source_date_epoch {
            Some(_) => Vec::new(),
            None => {
                let mut status = Status::new(&edition, &datasets, &views, &tables, opts.source_date_epoch);
                status.run = Some(Run::since(started_at, started, &stages.done));
                vec![status.file()?]
            }
        };
        publish::write(&opts.out_dir, &files, &run)?;
        stages.timed("publish", t, ());
        tracing::info!(out = %opts.out_dir.display(), "published");
    } else {
        // what the preview shows, as nginx would
        publish::precompress(&mut files)?;
    }
    let summary = BuildSummary {
        pages: views.len(),
        queries: tables.len(),
        charts,
        files: if opts.write { files.len() + twins } else { files.len() },
        datasets,
        written: opts.write,
    };
    Ok((summary, files))
}

fn display(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// The edition date: `SOURCE_DATE_EPOCH` when set, else the configured `query.column`.
fn edition(
    opts: &BuildOptions,
    config: &Config,
    tables: &BTreeMap<String, Table>,
    config_path: &Path,
) -> Result<Option<String>, SourceError> {
    if let Some(secs) = opts.source_date_epoch {
        let date = chrono::DateTime::from_timestamp(secs, 0).map(|d| d.date_naive().format("%Y-%m-%d").to_string());
        return Ok(date);
    }
    let Some(edition) = &config.edition else { return Ok(None) };
    let location = Location { path: display(config_path, &opts.root), line: 1, column: 1 };
    let expr = crate::content::expr::parse(edition).map_err(|m| SourceError::new(location.clone(), m))?;
    let Source::Cell { query, row, column } = &expr.source else {
        return Err(SourceError::new(location, "`edition` must name `query.column`"));
    };
    let table =
        tables.get(query).ok_or_else(|| SourceError::new(location.clone(), format!("unknown query `{query}`")))?;
    // no row, or NULL (no data yet): no edition date
    Ok(match cell(table, query, *row, column, &location)? {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.to_csv_field()),
    })
}

/// The Editions page: every archived edition with its downloads.
fn editions_view(editions: &[archive::Edition]) -> PageView {
    PageView {
        slug: archive::EDITIONS_PAGE.trim_end_matches(".html").to_string(),
        title: "Editions".into(),
        nav_title: "Editions".into(),
        in_nav: false,
        description: "Past editions of this report, to download and read offline.".into(),
        body: archive::editions_body(editions),
        lang: String::new(),
    }
}
