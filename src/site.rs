//! The orchestrator: runs the stages in a fixed order (config, content,
//! templates, ingest, query, chart + render, publish), each timed, and checks
//! every reference an author made (query, column, row) against what the
//! queries returned; when the inputs are those of the published edition,
//! it keeps that edition after ingest ([`crate::kept`]). Tests drive
//! [`build`]; the binary only calls it.

use crate::archive;
use crate::config::Config;
use crate::content::expr::Source;
use crate::content::{self, markdown};
use crate::error::{Located, Location, SourceError};
use crate::ingest::{self, IngestOptions};
use crate::kept;
use crate::parallel;
use crate::plan;
use crate::publish;
use crate::render::{self, OutputFile, PageView, Templates};
use crate::resolve::{cell, check_links, render_page};
use crate::status::{Contents, Run, SiteFacts, Status};
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

/// The build, stage by stage: each is timed under its name for the log
/// and `status.json`.
fn run(opts: &BuildOptions) -> anyhow::Result<(BuildSummary, Vec<OutputFile>)> {
    let mut build = Build::start(opts)?;
    // one build per output at a time
    let _out_lock = publish::lock(&opts.out_dir)?;
    // a published edition may be kept only by a build that writes the
    // site as a plain build would, and that was not asked to read everything again
    let may_keep = opts.write && opts.archive.is_none() && !opts.force_ingest;
    let site_key = may_keep.then(|| kept::site_key(&opts.root, &opts.db, opts.source_date_epoch)).flatten();
    let (content, pages) = build.stage("content", || Content::load(opts))?;
    let templates = build.stage("templates", || Templates::load(&opts.root.join("templates"), &opts.root))?;
    // one build per database at a time too: another output may share it
    let _db_lock = publish::lock(&opts.db)?;
    let ingested = build.stage("ingest", || ingest(opts, &content.config))?;
    let key = site_key.map(|site| kept::key(&site, &data_key(&content.config, &ingested)));
    if let Some(made) = key.as_deref().and_then(|k| kept::published(&opts.out_dir, k)) {
        tracing::info!(
            edition = %made.edition,
            "inputs unchanged: the published site is kept (no query ran, no page was rendered)"
        );
        let run = opts.source_date_epoch.is_none().then(|| build.run(&ingested.read));
        build.stage("publish", || keep(opts, &content, &ingested.datasets, &made, run))?;
        let summary = BuildSummary {
            pages: made.contents.pages.len(),
            queries: made.contents.queries.len(),
            charts: made.charts,
            files: made.files.len() + 1 + made.files.iter().filter(|(p, _)| publish::compressible(p)).count(),
            datasets: ingested.datasets.clone(),
            written: true,
        };
        return Ok((summary, Vec::new()));
    }
    let planned = build.stage("query", || query(opts, &content, pages, &ingested))?;
    let mut site = build.stage("render", || Site::render(opts, &content, &templates, &planned, &ingested.datasets))?;
    if let (Some(dir), true) = (&opts.archive, opts.write) {
        build.stage("archive", || site.archive(dir))?;
    }
    if opts.write {
        let run = opts.source_date_epoch.is_none().then(|| build.run(&ingested.read));
        let edition = build.stage("publish", || site.publish(run))?;
        // what the next build with the same inputs may keep
        let made = key.filter(|_| planned.steady).map(|key| site.made(key, edition));
        if let Err(e) = kept::record(&opts.out_dir, made.as_ref()) {
            tracing::warn!("the next build will render every page again: {e:#}");
        }
    } else {
        // what the preview shows, as nginx would
        publish::precompress(&mut site.files)?;
    }
    Ok((site.summary(), site.files))
}

/// One build under way: when it started and how long each stage took.
struct Build {
    started_at: chrono::DateTime<chrono::Utc>,
    started: Instant,
    stages: Vec<(&'static str, std::time::Duration)>,
}

impl Build {
    fn start(opts: &BuildOptions) -> anyhow::Result<Build> {
        if !opts.root.join("content").is_dir() {
            anyhow::bail!(
                "`{}` has no `content/` directory: it is not a site (`mangetamain new DIR` starts one)",
                opts.root.display()
            );
        }
        Ok(Build { started_at: chrono::Utc::now(), started: Instant::now(), stages: Vec::new() })
    }

    /// Runs the stage `name` and records how long it took.
    fn stage<T>(&mut self, name: &'static str, stage: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
        let t = Instant::now();
        let value = stage()?;
        let took = t.elapsed();
        tracing::debug!(stage = name, ms = took.as_millis() as u64, "stage done");
        self.stages.push((name, took));
        Ok(value)
    }

    /// The facts of this run so far; `read`: the sources read again.
    fn run(&self, read: &[String]) -> Run {
        Run::since(self.started_at, self.started, &self.stages, read)
    }
}

/// What the author wrote, beside the pages: the configuration, and which
/// page each content file is.
struct Content {
    config: Config,
    /// `content/site.toml`, relative to the site root (for errors).
    config_file: PathBuf,
    /// Links to content files lead to their pages: each file name and its page's.
    page_files: markdown::PageFiles,
}

impl Content {
    /// The configuration and the pages, as parsed.
    fn load(opts: &BuildOptions) -> anyhow::Result<(Content, Vec<content::Page>)> {
        let path = opts.root.join("content/site.toml");
        let config_file = display(&path, &opts.root);
        let config = Config::from_file(&path, &config_file)?;
        let pages = content::load_all(&opts.root.join("content"), &opts.root)?;
        let page_files = pages
            .iter()
            .filter(|p| !p.is_template())
            .filter_map(|p| Some((p.source.file_name()?.to_string_lossy().into_owned(), p.file_name())))
            .collect();
        Ok((Content { config, config_file, page_files }, pages))
    }

    /// The first line of `site.toml`, where errors about it as a whole point.
    fn config_location(&self) -> Location {
        Location { path: self.config_file.clone(), line: 1, column: 1 }
    }
}

/// What the data is, for the result cache and the edition kept: the
/// generator version and the inputs' hashes.
fn data_key(config: &Config, ingested: &ingest::Ingested) -> String {
    let mut data_key = format!("{} {}\n", env!("CARGO_PKG_VERSION"), ingest::SCHEMA_VERSION);
    for d in &ingested.datasets {
        data_key.push_str(&format!("{} {} {}\n", d.source, d.file, d.blake3));
    }
    for s in &config.sources {
        data_key.push_str(&format!("{} {}\n", s.name, s.fingerprint()));
    }
    data_key
}

/// Keeps the published edition `made` as it is: only the facts of this
/// `run`, if any, are written into its `status.json`.
fn keep(
    opts: &BuildOptions,
    content: &Content,
    datasets: &[ingest::Dataset],
    made: &kept::Made,
    run: Option<Run>,
) -> anyhow::Result<()> {
    if let Some(run) = run {
        let config = &content.config;
        let site = SiteFacts { language: config.language.clone(), title: config.title.clone() };
        let status = Status::of(site, &made.edition_date, datasets, made.contents.clone(), opts.source_date_epoch);
        publish::refresh(&opts.out_dir, &made.edition, &[Status { run: Some(run), ..status }.file()?])?;
    }
    tracing::info!(out = %opts.out_dir.display(), "published");
    Ok(())
}

/// Reads the sources into the database (or keeps it, when they are unchanged).
fn ingest(opts: &BuildOptions, config: &Config) -> anyhow::Result<ingest::Ingested> {
    let data_dir = match (&opts.data_dir, &config.data_dir) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => opts.root.join(dir),
        (None, None) => opts.root.clone(),
    };
    tracing::info!(data = %data_dir.display(), sources = config.sources.len(), "ingesting");
    ingest::run(&IngestOptions {
        sources: config.sources.clone(),
        data_dir,
        db: opts.db.clone(),
        force: opts.force_ingest,
        max_quarantine: opts.max_quarantine,
        memory_limit: opts.memory_limit.clone(),
        progress: true,
    })
}

/// Runs every query once (or reuses the last build's results) and
/// generates the pages that come from data.
fn query(
    opts: &BuildOptions,
    content: &Content,
    pages: Vec<content::Page>,
    ingested: &ingest::Ingested,
) -> anyhow::Result<plan::Planned> {
    let config = &content.config;
    // results of the last build are reused while data and SQL are unchanged
    let data_key = data_key(config, ingested);
    let edition = config.edition.as_ref().map(|e| Located { value: e.clone(), location: content.config_location() });
    let query_opts = plan::QueryOptions {
        db: opts.db.clone(),
        memory_limit: opts.memory_limit.clone(),
        threads: opts.threads,
        data_key,
        attached: ingested.attached.clone(),
        locale: config.locale.clone(),
    };
    let planned = plan::run(pages, edition, &query_opts)?;
    if let (Some(_), Some(page)) =
        (&opts.archive, planned.pages.iter().find(|p| p.file_name() == archive::EDITIONS_PAGE))
    {
        return Err(SourceError::new(
            Location { path: page.source.clone(), line: 1, column: 1 },
            format!(
                "with `--archive`, `{}` is the list of editions; give this page another name",
                archive::EDITIONS_PAGE
            ),
        )
        .into());
    }
    if planned.ran > 0 {
        tracing::info!(queries = planned.ran, reused = planned.reused, "queries ran");
    } else {
        tracing::info!(reused = planned.reused, "no query ran: every result was reused");
    }
    Ok(planned)
}

/// The rendered site: its pages and files, and what made them.
struct Site<'a> {
    opts: &'a BuildOptions,
    content: &'a Content,
    templates: &'a Templates,
    planned: &'a plan::Planned,
    datasets: &'a [ingest::Dataset],
    /// The edition date (`YYYY-MM-DD`), if known.
    edition: Option<String>,
    /// Every page, the Editions page last when there is one.
    views: Vec<PageView>,
    /// Charts drawn.
    charts: usize,
    /// The site's files, without their `.gz` twins.
    files: Vec<OutputFile>,
}

impl<'a> Site<'a> {
    /// Renders every page (charts included) and the site's files, and
    /// checks every link between them.
    fn render(
        opts: &'a BuildOptions,
        content: &'a Content,
        templates: &'a Templates,
        planned: &'a plan::Planned,
        datasets: &'a [ingest::Dataset],
    ) -> anyhow::Result<Site<'a>> {
        let config = &content.config;
        // the pages on every core, the first error in page order
        let rendered = parallel::map(
            &planned.pages,
            parallel::cores(),
            |p| p.pieces.len(),
            |page| {
                // every number and date of the page in its locale
                let locale = page.meta.locale.as_deref().unwrap_or(&config.locale);
                let rendered = crate::locale::with(locale, || {
                    render_page(page, &planned.tables, templates, &planned.generated, &content.page_files)
                });
                let (mut view, n) = rendered.map_err(|m| anyhow::anyhow!("{}: {m}", page.source.display()))??;
                view.lang = page.meta.locale.clone().unwrap_or_else(|| config.language.clone());
                anyhow::Ok((view, n))
            },
        );
        let mut views = Vec::with_capacity(rendered.len());
        let mut charts = 0;
        for r in rendered {
            let (view, n) = r?;
            charts += n;
            views.push(view);
        }
        if opts.archive.is_some() {
            views.push(editions_view(templates, &[])?);
        }
        let edition = edition(opts, content, &planned.tables)?;
        let mut site = Site { opts, content, templates, planned, datasets, edition, views, charts, files: Vec::new() };
        site.files = site.files(&[])?;
        tracing::info!(pages = site.views.len(), charts, files = site.files.len(), "rendered");
        Ok(site)
    }

    /// The site's files for its pages, links checked; `editions` are the
    /// archived editions the Editions page links.
    fn files(&self, editions: &[archive::Edition]) -> anyhow::Result<Vec<OutputFile>> {
        let config = &self.content.config;
        let version = env!("CARGO_PKG_VERSION");
        let input =
            render::SiteInput { config, edition: self.edition.clone(), version, editions: self.opts.archive.is_some() };
        let mut files = render::site(self.templates, &input, &self.views)?;
        let tables: Vec<(&String, &Table)> = self.planned.tables.iter().collect();
        let weight = |(_, t): &(&String, &Table)| t.rows.len() * t.columns.len();
        files.extend(parallel::map(&tables, parallel::cores(), weight, |(name, table)| OutputFile {
            rel_path: format!("data/{name}.csv"),
            contents: table.to_csv().into_bytes(),
        }));
        files.push(self.status().file()?);
        render::clean_text(&mut files);
        let beside = archive::link_targets(editions);
        check_links(&files, &beside, &config.root_path(), &self.planned.pages, &self.content.page_files)?;
        Ok(files)
    }

    /// Writes the edition's archives, prunes old ones (`--keep`) and
    /// renders the site again with its Editions page listing them.
    fn archive(&mut self, dir: &Path) -> anyhow::Result<()> {
        let offline = archive::offline_files(&self.files)?;
        for path in archive::write(dir, &offline, self.templates)? {
            tracing::info!(archive = %path.display(), "archived");
        }
        if let Some(keep) = self.opts.keep {
            for date in archive::prune(dir, keep, &archive::edition_date(&offline)?)? {
                tracing::info!(edition = %date, keep, "removed an old archived edition");
            }
        }
        let editions = archive::list(dir)?;
        if let Some(view) = self.views.last_mut() {
            *view = editions_view(self.templates, &editions)?;
        }
        self.files = self.files(&editions)?;
        Ok(())
    }

    /// Publishes the site; `run`, the facts of this run, goes into the
    /// published `status.json` only.
    fn publish(&self, run: Option<Run>) -> anyhow::Result<String> {
        let run = match run {
            Some(run) => vec![Status { run: Some(run), ..self.status() }.file()?],
            None => Vec::new(),
        };
        let edition = publish::write(&self.opts.out_dir, &self.files, &run)?;
        tracing::info!(out = %self.opts.out_dir.display(), "published");
        Ok(edition)
    }

    /// What the edition `edition` of this site was made from, for the next
    /// build to keep it: `key` ([`kept::key`]).
    fn made(&self, key: String, edition: String) -> kept::Made {
        kept::Made {
            key,
            edition,
            files: self
                .files
                .iter()
                .filter(|f| f.rel_path != "status.json")
                .map(|f| (f.rel_path.clone(), f.contents.len() as u64))
                .collect(),
            edition_date: self.edition.clone(),
            contents: Contents::of(&self.views, &self.planned.tables),
            charts: self.charts,
        }
    }

    /// The edition's `status.json`, without the facts of a run.
    fn status(&self) -> Status<'_> {
        let config = &self.content.config;
        let site = SiteFacts { language: config.language.clone(), title: config.title.clone() };
        Status::new(site, &self.edition, self.datasets, &self.views, &self.planned.tables, self.opts.source_date_epoch)
    }

    fn summary(&self) -> BuildSummary {
        let twins = self.files.iter().filter(|f| publish::compressible(&f.rel_path)).count();
        BuildSummary {
            pages: self.views.len(),
            queries: self.planned.tables.len(),
            charts: self.charts,
            files: if self.opts.write { self.files.len() + twins } else { self.files.len() },
            datasets: self.datasets.to_vec(),
            written: self.opts.write,
        }
    }
}

/// The edition date: `SOURCE_DATE_EPOCH` when set, else the configured `query.column`.
fn edition(
    opts: &BuildOptions,
    content: &Content,
    tables: &BTreeMap<String, Table>,
) -> Result<Option<String>, SourceError> {
    if let Some(secs) = opts.source_date_epoch {
        let date = chrono::DateTime::from_timestamp(secs, 0).map(|d| d.date_naive().format("%Y-%m-%d").to_string());
        return Ok(date);
    }
    let Some(edition) = &content.config.edition else { return Ok(None) };
    let location = content.config_location();
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

fn display(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// The Editions page: every archived edition with its downloads.
fn editions_view(templates: &Templates, editions: &[archive::Edition]) -> Result<PageView, SourceError> {
    Ok(PageView {
        slug: archive::EDITIONS_PAGE.trim_end_matches(".html").to_string(),
        title: "Editions".into(),
        nav_title: "Editions".into(),
        in_nav: false,
        description: "Past editions of this report, to download and read offline.".into(),
        body: archive::editions_body(templates, editions)?,
        lang: String::new(),
    })
}
