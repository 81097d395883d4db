//! The orchestrator: runs the stages in a fixed order (config, content,
//! templates, ingest, query, chart + render, publish), each timed, and checks
//! every reference an author made (query, column, row) against what the
//! queries returned. Tests drive [`build`]; the binary only calls it.

use crate::archive;
use crate::chart;
use crate::config::Config;
use crate::content::directive::Directive;
use crate::content::expr::{Expr, Source};
use crate::content::{self, Page, Piece, markdown};
use crate::error::{Located, Location, SourceError};
use crate::format::Format;
use crate::ingest::{self, Dataset, IngestOptions};
use crate::plan;
use crate::publish;
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
        let (view, n) = render_page(page, &tables, &templates, &generated, &page_files)?;
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
            None => vec![run_status(&files, started_at, started, &stages)?],
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

/// Looks up an inline value and formats it; a missing row or a NULL takes
/// the value's fallback (`or("...")`), and a missing row without one is an error.
fn value_of(expr: &Located<Expr>, tables: &BTreeMap<String, Table>) -> Result<String, SourceError> {
    let e = &expr.value;
    let v = match &e.source {
        Source::Const(v) => return Ok(content::generate::shown(e, v)),
        Source::Row { column } => {
            return Err(SourceError::new(expr.location.clone(), format!("`row.{column}` outside a generated page")));
        }
        Source::Cell { query, row, column } => {
            let table = tables
                .get(query)
                .ok_or_else(|| SourceError::new(expr.location.clone(), format!("unknown query `{query}`")))?;
            match cell(table, query, *row, column, &expr.location)? {
                Some(v) => v,
                None => match &e.fallback {
                    Some(fallback) => return Ok(fallback.clone()),
                    None => {
                        return Err(SourceError::new(
                            expr.location.clone(),
                            format!(
                                "query `{query}` returned {} rows; there is no row {row} (give a fallback for an empty result: `| or(\"...\")`)",
                                table.rows.len()
                            ),
                        ));
                    }
                },
            }
        }
    };
    match (&e.fallback, v) {
        (Some(fallback), v) if v.is_missing() => Ok(fallback.clone()),
        (_, v) => Ok(e.format.unwrap_or_else(|| Format::default_for(v)).apply(v)),
    }
}

/// The cell of `table` at `row`, `column`: `None` when there is no such row.
fn cell<'a>(
    table: &'a Table,
    query: &str,
    row: usize,
    column: &str,
    location: &Location,
) -> Result<Option<&'a Value>, SourceError> {
    let ci = table.column_index(column).ok_or_else(|| {
        SourceError::new(
            location.clone(),
            format!("unknown column `{column}` in query `{query}` (columns: {})", table.column_list()),
        )
    })?;
    Ok(table.rows.get(row).map(|r| &r[ci]))
}

/// Resolves a page's values and directives and renders its body.
/// Checks the links of the site ([`publish::check_links`]); a broken link
/// written in a page is reported where it is written.
fn check_links(
    files: &[OutputFile],
    beside: &std::collections::BTreeSet<String>,
    root: &str,
    pages: &[Page],
    page_files: &markdown::PageFiles,
) -> anyhow::Result<()> {
    let broken = publish::broken_links(files, beside, root);
    for broken in &broken {
        let written = pages.iter().filter(|p| p.file_name() == broken.file).find_map(|p| {
            p.links.iter().find(|l| {
                let as_built = markdown::page_link(&l.value, page_files).unwrap_or_else(|| l.value.clone());
                as_built == broken.link || publish::percent_decode(&as_built).as_deref() == Some(broken.link.as_str())
            })
        });
        if let Some(link) = written {
            let shown = match link.value == broken.link {
                true => format!("`{}`", broken.link),
                false => format!("`{}` (`{}` in the page)", link.value, broken.link),
            };
            return Err(
                SourceError::new(link.location.clone(), format!("broken link to {shown}: {}", broken.why)).into()
            );
        }
    }
    publish::links_error(&broken)
}

fn render_page(
    page: &Page,
    tables: &BTreeMap<String, Table>,
    templates: &Templates,
    generated: &BTreeMap<String, plan::Generated>,
    page_files: &markdown::PageFiles,
) -> Result<(PageView, usize), SourceError> {
    let holes = markdown::Holes::new(page.pieces.iter().filter_map(|p| match p {
        Piece::Markdown(m) => Some(m.as_str()),
        _ => None,
    }));
    let mut md = String::new();
    let mut values = Vec::new();
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
            Piece::Value(v) => {
                md.push_str(&holes.hole(values.len()));
                values.push(value_of(v, tables)?);
            }
            Piece::Directive(d) => {
                let html = match d.as_ref() {
                    Directive::Chart(spec) => {
                        let table = &tables[&spec.query.value];
                        let id = unique_id(&format!("chart-{}", local_name(&spec.query.value)));
                        let drawn = chart::render(spec, table, &id)?;
                        charts += 1;
                        templates.chart(&id, spec, &drawn, table)?
                    }
                    Directive::Table(spec) => {
                        let table = &tables[&spec.query.value];
                        let columns = if spec.columns.is_empty() {
                            (0..table.columns.len()).collect::<Vec<_>>()
                        } else {
                            let query = local_name(&spec.query.value);
                            spec.columns.iter().map(|c| table.column_named(query, c)).collect::<Result<Vec<_>, _>>()?
                        };
                        for name in spec.formats.keys().chain(spec.labels.keys()) {
                            let named = Located { value: name.clone(), location: spec.defined_at.clone() };
                            table.column_named(local_name(&spec.query.value), &named)?;
                        }
                        // data bars: numbers only
                        let mut bars = Vec::new();
                        for bar in &spec.bars {
                            let column = table.column_named(local_name(&spec.query.value), bar)?;
                            if table.columns[column].kind != crate::table::ColumnType::Number {
                                return Err(SourceError::new(
                                    bar.location.clone(),
                                    format!(
                                        "column `{}` of query `{}` is not numeric; `bars` draws numbers",
                                        bar.value,
                                        local_name(&spec.query.value)
                                    ),
                                ));
                            }
                            if !columns.contains(&column) {
                                return Err(SourceError::new(
                                    bar.location.clone(),
                                    format!("column `{}` has bars but is not one of the table's `columns`", bar.value),
                                ));
                            }
                            bars.push(column);
                        }
                        let mut links = BTreeMap::new();
                        for link in spec.links.values() {
                            let column = table.column_named(local_name(&spec.query.value), &link.column)?;
                            let key = table.column_named(local_name(&spec.query.value), &link.key)?;
                            let pages = generated
                                .get(&link.template.value)
                                .ok_or_else(|| no_template(&link.template, generated))?;
                            if pages.rows.column_index(&link.row).is_none() {
                                return Err(SourceError::new(
                                    link.key.location.clone(),
                                    format!(
                                        "the rows that `{}` is generated from have no column `{}` (columns: {}): set `row`",
                                        link.template.value,
                                        link.row,
                                        pages.rows.column_list()
                                    ),
                                ));
                            }
                            let hrefs = table
                                .rows
                                .iter()
                                .map(|r| pages.page_for(&link.row, &r[key].to_csv_field()).map(|s| format!("{s}.html")))
                                .collect();
                            links.insert(column, hrefs);
                        }
                        let id = unique_id(&format!("table-{}", local_name(&spec.query.value)));
                        templates.table(&id, spec, &columns, table, &links, &bars)?
                    }
                    Directive::List(spec) => {
                        let table = &tables[&spec.query.value];
                        let column = table.column_named(local_name(&spec.query.value), &spec.column)?;
                        let items: Vec<String> =
                            table.rows.iter().map(|r| Format::default_for(&r[column]).apply(&r[column])).collect();
                        templates.list(&spec.title, spec.ordered, &items)?
                    }
                    Directive::Pages(spec) => {
                        let made = generated
                            .get(&spec.template.value)
                            .ok_or_else(|| no_template(&spec.template, generated))?;
                        templates.pages(&spec.title, &made.pages)?
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
    let mut body = markdown::to_html_with(&md, &holes, &values, page_files);
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

/// The error for a `template` that generates no pages.
fn no_template(template: &Located<String>, generated: &BTreeMap<String, plan::Generated>) -> SourceError {
    SourceError::new(
        template.location.clone(),
        format!(
            "no pages are generated from `{}` (templates: {})",
            template.value,
            generated.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    )
}

/// A query's name within its page: a generated page's `SLUG.NAME` is `NAME` there.
fn local_name(query: &str) -> &str {
    query.rsplit('.').next().unwrap_or(query)
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
