//! The orchestrator: runs the stages in a fixed order (config, content,
//! templates, ingest, query, chart + render, publish), each timed, and checks
//! every reference an author made (query, column, row) against what the
//! queries returned. Tests drive [`build`]; the binary only calls it.

use crate::archive;
use crate::chart;
use crate::config::Config;
use crate::content::directive::{Directive, Located};
use crate::content::expr::Expr;
use crate::content::{self, Page, Piece, markdown};
use crate::error::{Location, SourceError};
use crate::format::Format;
use crate::ingest::{self, Dataset, IngestOptions};
use crate::publish;
use crate::query::{self, QuerySpec};
use crate::render::{self, OutputFile, PageView, Templates};
use crate::table::{Table, Value};
use anyhow::Context;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Validated options for one build.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildOptions {
    /// Holds `content/` and `templates/`.
    pub root: PathBuf,
    /// Holds `RAW_recipes.csv` and `RAW_interactions.csv`.
    pub data_dir: PathBuf,
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
    /// Options with the default layout under `root`: data from
    /// `root/data/sample`, output to `root/public`, database `root/data/mangetamain.duckdb`.
    pub fn with_root(root: impl Into<PathBuf>) -> BuildOptions {
        let root = root.into();
        BuildOptions {
            data_dir: root.join("data/sample"),
            out_dir: root.join("public"),
            db: root.join("data/mangetamain.duckdb"),
            root,
            write: true,
            source_date_epoch: None,
            force_ingest: false,
            max_quarantine: 0.01,
            memory_limit: "512MB".into(),
            threads: 2,
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
    pub datasets: Vec<Dataset>,
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
    // one build per output at a time (it also guards the database)
    let _lock = publish::lock(&opts.out_dir)?;
    let t = Instant::now();
    let config_path = opts.root.join("content/site.toml");
    let config = Config::from_file(&config_path, &display(&config_path, &opts.root))?;
    let pages = stages.timed("content", t, content::load_all(&opts.root.join("content"), &opts.root)?);
    let t = Instant::now();
    let templates = stages.timed("templates", t, Templates::load(&opts.root.join("templates"), &opts.root)?);
    let queries = query::collect(pages.iter().flat_map(|p| p.queries.iter()))?;
    check_query_names(&pages, &queries, &config, &config_path, &opts.root)?;
    tracing::info!(pages = pages.len(), queries = queries.len(), "content loaded");

    let t = Instant::now();
    tracing::info!(data = %opts.data_dir.display(), "ingesting");
    let ingested = ingest::run(&IngestOptions {
        data_dir: opts.data_dir.clone(),
        db: opts.db.clone(),
        force: opts.force_ingest,
        max_quarantine: opts.max_quarantine,
        memory_limit: opts.memory_limit.clone(),
        progress: true,
    })?;
    let datasets = ingested.datasets;
    stages.timed("ingest", t, ());

    let t = Instant::now();
    // results of the last build are reused while data and SQL are unchanged
    let cache_path = opts.db.with_extension("queries.json");
    let mut key = format!("{} {}\n", env!("CARGO_PKG_VERSION"), ingest::SCHEMA_VERSION);
    for d in &datasets {
        key.push_str(&format!("{} {}\n", d.file, d.blake3));
    }
    let mut cache = query::Cache::load(&cache_path, &key);
    let ahead = shared_ahead(&pages, &queries);
    let to_run = queries.values().chain(ahead.iter().map(query::SharedRun::spec)).filter(|q| !cache.has(q)).count();
    let threads = query::duckdb_threads(to_run, opts.threads);
    tracing::debug!(queries = to_run, connections = opts.threads, duckdb_threads = threads, "running queries");
    let conn = ingest::open(&opts.db, true, &opts.memory_limit, threads)?;
    let (mut tables, ran_ahead) = query::run_first(&conn, &queries, &ahead, &mut cache, opts.threads)?;
    // pages generated from data: expanded once their query has run, then
    // their own queries run
    let mut pages = pages;
    let mut generated: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut instances = Vec::new();
    for template in pages.iter().filter(|p| p.template.is_some()) {
        let Some(generate) = &template.meta.generate else { continue };
        let rows = tables.get(&generate.query).ok_or_else(|| {
            SourceError::new(
                Location { path: template.source.clone(), line: 1, column: 1 },
                format!(
                    "unknown query `{}` in `[generate]` (known: {})",
                    generate.query,
                    queries.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        let expanded = content::generate::expand(template, rows)?;
        generated.insert(
            template.template_name(),
            expanded
                .iter()
                .map(|p| (p.slug.clone(), p.meta.nav_title.clone().unwrap_or_else(|| p.meta.title.clone())))
                .collect(),
        );
        instances.extend(expanded);
    }
    if !instances.is_empty() {
        let more = query::collect(instances.iter().flat_map(|p| p.queries.iter()))?;
        for (name, spec) in &more {
            if let Some(first) = queries.get(name) {
                return Err(SourceError::new(
                    spec.defined_at.clone(),
                    format!("generated query `{name}` is also defined at {}", first.defined_at),
                )
                .into());
            }
        }
        let mut known = queries.clone();
        known.extend(more.clone());
        check_query_names(&instances, &known, &config, &config_path, &opts.root)?;
        let (shared, plain): (BTreeMap<_, _>, BTreeMap<_, _>) = more.into_iter().partition(|(_, q)| q.by.is_some());
        tables.extend(query::run_all(&conn, &plain, &mut cache, opts.threads)?);
        tables.extend(query::run_shared(&conn, &shared, &queries, ran_ahead, &mut cache, opts.threads)?);
        let generated_queries = plain.len() + shared.len();
        tracing::info!(pages = instances.len(), queries = generated_queries, "generated pages");
    }
    drop(conn);
    if let Err(e) = cache.save(&cache_path) {
        tracing::warn!("cannot keep query results for the next build: {e:#}");
    }
    if cache.hits > 0 {
        tracing::info!(reused = cache.hits, "query results reused (data and SQL unchanged)");
    }
    pages.retain(|p| p.template.is_none());
    let mut slugs: BTreeMap<&str, &Path> = BTreeMap::new();
    for page in pages.iter().chain(&instances) {
        if let Some(other) = slugs.insert(&page.slug, &page.source) {
            return Err(SourceError::new(
                Location { path: page.source.clone(), line: 1, column: 1 },
                format!("page name `{}` is also produced by `{}`", page.slug, other.display()),
            )
            .into());
        }
    }
    pages.extend(instances);
    if opts.archive.is_some() && pages.iter().any(|p| format!("{}.html", p.slug) == archive::EDITIONS_PAGE) {
        let page =
            pages.iter().find(|p| format!("{}.html", p.slug) == archive::EDITIONS_PAGE).map(|p| p.source.clone());
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
    tracing::info!(queries = tables.len(), "queries ran");

    let t = Instant::now();
    let mut views: Vec<PageView> = Vec::new();
    let mut charts = 0;
    for page in &pages {
        let (view, n) = render_page(page, &tables, &templates, &generated)?;
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
        files.push(status_json(&edition, version, &datasets, views, &tables, opts.source_date_epoch)?);
        Ok(files)
    };
    let mut files = render_all(&views)?;
    publish::check_links(&files, &Default::default())?;
    stages.timed("render", t, ());
    tracing::info!(pages = views.len(), charts, files = files.len(), "rendered");

    if let (Some(dir), true) = (&opts.archive, opts.write) {
        // the archives hold the site; the Editions page then lists them
        let t = Instant::now();
        let written = archive::write(dir, &archive::offline_files(&files)?)?;
        for path in &written {
            tracing::info!(archive = %path.display(), "archived");
        }
        if let Some(keep) = opts.keep {
            for date in archive::prune(dir, keep)? {
                tracing::info!(edition = %date, keep, "removed an old archived edition");
            }
        }
        let editions = archive::list(dir)?;
        if let Some(view) = views.last_mut() {
            *view = editions_view(&editions);
        }
        files = render_all(&views)?;
        publish::check_links(&files, &archive::link_targets(&editions))?;
        stages.timed("archive", t, ());
    }
    publish::precompress(&mut files)?;

    if opts.write {
        let t = Instant::now();
        // the facts of this run go into the published status.json only
        let run = match opts.source_date_epoch {
            Some(_) => Vec::new(),
            None => vec![run_status(&files, started_at, started, &stages)?],
        };
        publish::write(&opts.out_dir, &files, &run)?;
        stages.timed("publish", t, ());
        tracing::info!(out = %opts.out_dir.display(), "published");
    }
    let summary = BuildSummary {
        pages: views.len(),
        queries: tables.len(),
        charts,
        files: files.len(),
        datasets,
        written: opts.write,
    };
    Ok((summary, files))
}

fn display(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

fn unknown_query(name: &Located<String>, queries: &BTreeMap<String, QuerySpec>) -> SourceError {
    let known: Vec<&str> = queries.keys().map(String::as_str).collect();
    SourceError::new(
        name.location.clone(),
        format!(
            "unknown query `{}` (known: {})",
            name.value,
            if known.is_empty() { "none".into() } else { known.join(", ") }
        ),
    )
}

/// The shared queries of generated pages that do not depend on the page,
/// to run with the other queries rather than after them. Two templates
/// with one shared name and different SQL are left out: that is an error,
/// reported once the pages are generated.
fn shared_ahead(pages: &[Page], queries: &BTreeMap<String, QuerySpec>) -> Vec<query::SharedRun> {
    let mut ahead: BTreeMap<String, Option<query::SharedRun>> = BTreeMap::new();
    for template in pages {
        let Some(source) = template.meta.generate.as_ref().and_then(|g| queries.get(&g.query)) else { continue };
        for spec in &template.shared {
            let Some(by) = &spec.by else { continue };
            let run = query::SharedRun::new(spec, &by.name, source);
            ahead
                .entry(format!("{}:{}", source.name, by.name))
                .and_modify(|seen| {
                    if seen.as_ref().is_some_and(|s| !s.same_sql(&run)) {
                        *seen = None;
                    }
                })
                .or_insert(Some(run));
        }
    }
    ahead.into_values().flatten().collect()
}

/// Every query a page or the configuration names must exist, before any data is read.
fn check_query_names(
    pages: &[Page],
    queries: &BTreeMap<String, QuerySpec>,
    config: &Config,
    config_path: &Path,
    root: &Path,
) -> Result<(), SourceError> {
    let check = |name: &Located<String>| {
        if queries.contains_key(&name.value) { Ok(()) } else { Err(unknown_query(name, queries)) }
    };
    for page in pages {
        for piece in &page.pieces {
            match piece {
                Piece::Value(v) => check(&Located { value: v.value.query.clone(), location: v.location.clone() })?,
                Piece::Directive(d) => {
                    if let Directive::Kpis(k) = d.as_ref() {
                        for t in &k.tiles {
                            check(&Located { value: t.value.value.query.clone(), location: t.value.location.clone() })?;
                        }
                    }
                    for q in d.queries() {
                        check(q)?;
                    }
                }
                Piece::Markdown(_) => {}
            }
        }
    }
    if let Some(edition) = &config.edition {
        let location = Location { path: display(config_path, root), line: 1, column: 1 };
        let expr = crate::content::expr::parse(edition)
            .map_err(|m| SourceError::new(location.clone(), format!("`edition`: {m}")))?;
        check(&Located { value: expr.query, location })?;
    }
    Ok(())
}

/// Looks up an inline value and formats it.
fn value_of(expr: &Located<Expr>, tables: &BTreeMap<String, Table>) -> Result<String, SourceError> {
    let e = &expr.value;
    let table = tables
        .get(&e.query)
        .ok_or_else(|| SourceError::new(expr.location.clone(), format!("unknown query `{}`", e.query)))?;
    let v = cell(table, e, &expr.location)?;
    Ok(e.format.unwrap_or_else(|| Format::default_for(v)).apply(v))
}

fn cell<'a>(table: &'a Table, e: &Expr, location: &Location) -> Result<&'a Value, SourceError> {
    let ci = table.column_index(&e.column).ok_or_else(|| {
        SourceError::new(
            location.clone(),
            format!("unknown column `{}` in query `{}` (columns: {})", e.column, e.query, table.column_list()),
        )
    })?;
    let row = table.rows.get(e.row).ok_or_else(|| {
        SourceError::new(
            location.clone(),
            format!("query `{}` returned {} rows; there is no row {}", e.query, table.rows.len(), e.row),
        )
    })?;
    Ok(&row[ci])
}

/// Resolves a page's values and directives and renders its body.
fn render_page(
    page: &Page,
    tables: &BTreeMap<String, Table>,
    templates: &Templates,
    generated: &BTreeMap<String, Vec<(String, String)>>,
) -> Result<(PageView, usize), SourceError> {
    let mut md = String::new();
    let mut blocks = Vec::new();
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut charts = 0;
    let mut unique_id = |base: &str| {
        let n = ids.entry(base.to_string()).or_insert(0);
        *n += 1;
        if *n == 1 { base.to_string() } else { format!("{base}-{n}") }
    };
    for piece in &page.pieces {
        match piece {
            Piece::Markdown(m) => md.push_str(m),
            Piece::Value(v) => md.push_str(&markdown::escape_inline(&value_of(v, tables)?)),
            Piece::Directive(d) => {
                let html = match d.as_ref() {
                    Directive::Chart(spec) => {
                        let table = &tables[&spec.query.value];
                        let id = unique_id(&format!("chart-{}", spec.query.value));
                        let drawn = chart::render(spec, table, &id)?;
                        charts += 1;
                        templates.chart(&id, spec, &drawn, table)?
                    }
                    Directive::Table(spec) => {
                        let table = &tables[&spec.query.value];
                        let columns = if spec.columns.is_empty() {
                            (0..table.columns.len()).collect::<Vec<_>>()
                        } else {
                            let mut idx = Vec::new();
                            for c in &spec.columns {
                                idx.push(table.column_index(&c.value).ok_or_else(|| {
                                    SourceError::new(
                                        c.location.clone(),
                                        format!(
                                            "unknown column `{}` in query `{}` (columns: {})",
                                            c.value,
                                            spec.query.value,
                                            table.column_list()
                                        ),
                                    )
                                })?);
                            }
                            idx
                        };
                        for name in spec.formats.keys().chain(spec.labels.keys()) {
                            if table.column_index(name).is_none() {
                                return Err(SourceError::new(
                                    spec.defined_at.clone(),
                                    format!(
                                        "unknown column `{name}` in query `{}` (columns: {})",
                                        spec.query.value,
                                        table.column_list()
                                    ),
                                ));
                            }
                        }
                        let id = unique_id(&format!("table-{}", spec.query.value));
                        templates.table(&id, spec, &columns, table)?
                    }
                    Directive::Pages(spec) => {
                        let links = generated.get(&spec.template.value).ok_or_else(|| {
                            SourceError::new(
                                spec.template.location.clone(),
                                format!(
                                    "no pages are generated from `{}` (templates: {})",
                                    spec.template.value,
                                    generated.keys().cloned().collect::<Vec<_>>().join(", ")
                                ),
                            )
                        })?;
                        templates.pages(&spec.title, links)?
                    }
                    Directive::Kpis(spec) => {
                        let values =
                            spec.tiles.iter().map(|t| value_of(&t.value, tables)).collect::<Result<Vec<_>, _>>()?;
                        templates.kpis(spec, &values)?
                    }
                };
                md.push('\n');
                md.push_str(&markdown::placeholder(blocks.len()));
                md.push('\n');
                blocks.push(html);
            }
        }
    }
    let mut body = markdown::to_html(&md);
    for (i, html) in blocks.iter().enumerate() {
        body = body.replacen(&markdown::placeholder(i), html, 1);
    }
    let meta = &page.meta;
    Ok((
        PageView {
            slug: page.slug.clone(),
            title: meta.title.clone(),
            nav_title: meta.nav_title.clone().unwrap_or_else(|| meta.title.clone()),
            in_nav: meta.in_nav,
            description: meta.description.clone(),
            body,
        },
        charts,
    ))
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
    let table = tables
        .get(&expr.query)
        .ok_or_else(|| SourceError::new(location.clone(), format!("unknown query `{}`", expr.query)))?;
    Ok(match cell(table, &expr, &location)? {
        Value::Null => None,
        v => Some(v.to_csv_field()),
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
    }
}

/// `status.json` with the facts of this run added under `run`: when it
/// started and ended, and how long each stage took. Health checks read
/// `run.finished_at` to tell a stale site.
fn run_status(
    files: &[OutputFile],
    started_at: chrono::DateTime<chrono::Utc>,
    started: Instant,
    stages: &Stages,
) -> anyhow::Result<OutputFile> {
    let status = files.iter().find(|f| f.rel_path == "status.json").context("no status.json was rendered")?;
    let mut status: serde_json::Value = serde_json::from_slice(&status.contents).context("cannot read status.json")?;
    let seconds = |d: std::time::Duration| (d.as_secs_f64() * 1000.0).round() / 1000.0;
    let finished_at = started_at + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
    let mut by_stage = serde_json::Map::new();
    for (stage, took) in &stages.done {
        by_stage.insert((*stage).to_string(), serde_json::json!(seconds(*took)));
    }
    if let Some(map) = status.as_object_mut() {
        map.insert(
            "run".into(),
            serde_json::json!({
                "started_at": started_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "finished_at": finished_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "seconds": seconds(started.elapsed()),
                "stages": by_stage,
            }),
        );
    }
    let mut text = serde_json::to_string_pretty(&status).context("cannot write status.json")?;
    text.push('\n');
    Ok(OutputFile { rel_path: "status.json".into(), contents: text.into_bytes() })
}

/// `status.json`: what this edition is made of, for health checks and archives.
fn status_json(
    edition: &Option<String>,
    version: &str,
    datasets: &[Dataset],
    pages: &[PageView],
    tables: &BTreeMap<String, Table>,
    source_date_epoch: Option<i64>,
) -> anyhow::Result<OutputFile> {
    let status = serde_json::json!({
        "generator": { "name": "mangetamain", "version": version, "revision": env!("MANGETAMAIN_REVISION") },
        "edition": edition,
        "built_at": source_date_epoch.and_then(|s| chrono::DateTime::from_timestamp(s, 0)).map(|d| d.to_rfc3339()),
        "pages": pages.iter().map(|p| format!("{}.html", p.slug)).collect::<Vec<_>>(),
        "queries": tables.iter().map(|(n, t)| (n.clone(), t.rows.len())).collect::<BTreeMap<_, _>>(),
        "inputs": datasets,
    });
    let mut text = serde_json::to_string_pretty(&status).context("cannot write status.json")?;
    text.push('\n');
    Ok(OutputFile { rel_path: "status.json".into(), contents: text.into_bytes() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(file: &str, shared_sql: &str) -> Page {
        let text = format!(
            "+++\ntitle = \"T {{{{ row.k }}}}\"\n[generate]\nquery = \"g\"\nslug = \"{file}-{{{{ row.k }}}}\"\n+++\n\n```sql s by k\n{shared_sql}\n```\n"
        );
        Page::parse(&text, Path::new(&format!("content/{file}.md"))).unwrap()
    }

    #[test]
    fn shared_queries_run_ahead_once_unless_templates_disagree() {
        let mut queries = BTreeMap::new();
        let g = QuerySpec {
            name: "g".into(),
            sql: "select 1 as k".into(),
            defined_at: Location { path: PathBuf::from("content/a.md"), line: 1, column: 1 },
            by: None,
        };
        queries.insert("g".to_string(), g);
        let same = [template("a", "select k from g"), template("b", "select   k\nfrom g")];
        let ahead = shared_ahead(&same, &queries);
        assert_eq!(ahead.iter().map(|r| r.spec().name.as_str()).collect::<Vec<_>>(), ["g:s"]);
        // the same name with other SQL: left to the error once pages exist
        let differ = [template("a", "select k from g"), template("b", "select k, 2 as x from g")];
        assert!(shared_ahead(&differ, &queries).is_empty());
        // a generating query that does not exist: nothing runs ahead
        assert!(shared_ahead(&same, &BTreeMap::new()).is_empty());
    }
}
