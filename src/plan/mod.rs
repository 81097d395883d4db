//! The plan of a build's queries: which run, in what order, for which
//! pages. It takes the pages as parsed and gives back every page the site
//! will have (those generated from data included) and every query result.
//!
//! 1. The ordinary pages' queries and the templates' shared queries
//!    (`sql NAME by COLUMN`) run first, the shared ones ahead of the rest
//!    (each covers every page of its template, so they are the longest).
//! 2. Each template is expanded into one page per row of its `[generate]`
//!    query ([`generate::expand`]).
//! 3. The generated pages' own queries run (with their row values bound as
//!    parameters), and each page takes its rows of the shared results.
//!
//! The DuckDB connection lives here and is closed when this stage ends.

mod models;

use crate::content::{Page, Piece, generate};
use crate::error::{Located, Location, SourceError};
use crate::ingest;
use crate::query::{self, Cache, Job, QuerySpec};
use crate::table::Table;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// How the queries run.
#[derive(Debug, Clone)]
pub struct QueryOptions {
    /// The DuckDB file.
    pub db: PathBuf,
    /// DuckDB's memory limit.
    pub memory_limit: String,
    /// Queries run at once.
    pub threads: usize,
    /// What the data is (the inputs' hashes): results are reused only for the same data.
    pub data_key: String,
    /// The DuckDB databases that sources name, attached to every connection.
    pub attached: Vec<ingest::Attached>,
    /// The site's locale: generated pages' titles are written in it (or in their own).
    pub locale: String,
}

/// The pages of the site and the results of every query.
#[derive(Debug)]
pub struct Planned {
    /// Every page to render, generated ones included (templates are not pages).
    pub pages: Vec<Page>,
    /// Every query result, by the name pages use.
    pub tables: BTreeMap<String, Table>,
    /// The pages generated from each template.
    pub generated: BTreeMap<String, Generated>,
    /// Queries run in this build, and answered from the last one's results.
    pub ran: usize,
    /// Queries answered from the last build's results.
    pub reused: usize,
    /// Whether every result depends on the data alone (no query reads the
    /// clock, chance or a file outside the data, and every model is kept):
    /// the same data and content then make the same site.
    pub steady: bool,
}

/// The pages generated from one template.
#[derive(Debug, Clone, PartialEq)]
pub struct Generated {
    /// Each page: (slug, navigation title), one per row of `rows`, in order.
    pub pages: Vec<(String, String)>,
    /// The rows they were generated from.
    pub rows: Table,
}

impl Generated {
    /// The page generated from the row whose `column` holds `value` (as CSV text).
    pub fn page_for(&self, column: &str, value: &str) -> Option<&str> {
        let i = self.rows.column_index(column)?;
        let row = self.rows.rows.iter().position(|r| r[i].to_csv_field() == value)?;
        self.pages.get(row).map(|(slug, _)| slug.as_str())
    }
}

/// Checks every reference of `pages` to a query, then runs the queries
/// and generates the pages from data. `edition` is the configuration's
/// `edition` value (`query.column`), located, which must name a query too.
pub fn run(pages: Vec<Page>, edition: Option<Located<String>>, opts: &QueryOptions) -> anyhow::Result<Planned> {
    let (templates, mut pages): (Vec<Page>, Vec<Page>) = pages.into_iter().partition(Page::is_template);
    let queries = query::collect(pages.iter().flat_map(|p| p.queries.iter()))?;
    // a shared query's whole result is a query of the site too, under its name
    let mut shared_names: BTreeMap<String, &QuerySpec> = BTreeMap::new();
    for q in templates.iter().flat_map(Page::shared) {
        if let Some(first) = queries.get(&q.name).or_else(|| shared_names.get(&q.name).copied()) {
            return Err(SourceError::new(
                q.defined_at.clone(),
                format!("query `{}` is already defined at {}", q.name, first.defined_at),
            )
            .into());
        }
        shared_names.insert(q.name.clone(), q);
    }
    let mut known: BTreeMap<String, QuerySpec> = queries.clone();
    known.extend(shared_names.iter().map(|(n, q)| (n.clone(), (*q).clone())));
    check_names(&pages, &templates, &known, &queries, edition.as_ref())?;
    tracing::info!(pages = pages.len(), templates = templates.len(), queries = queries.len(), "content loaded");

    // the templates' shared queries first, then the others
    let mut jobs = Vec::new();
    let mut shared: BTreeMap<String, String> = BTreeMap::new();
    for t in &templates {
        let Some(generate) = &t.meta.generate else { continue };
        let source = &queries[&generate.query];
        for q in t.shared() {
            let whole = format!("{}:{}", t.template_name(), q.name);
            shared.insert(whole.clone(), q.name.clone());
            jobs.push(Job::shared(q, whole, source));
        }
    }
    jobs.extend(queries.values().map(Job::plain));
    let cache_path = cache_path(&opts.db);
    let mut cache = Cache::load(&cache_path, &opts.data_key);
    // DuckDB's threads are set when the database opens (set later, they
    // cost the queries a tenth more time): counted before the queries that
    // read files are known, which are few
    let to_run = jobs.iter().filter(|j| !cache.has(j)).count();
    let threads = query::duckdb_threads(to_run, opts.threads);
    tracing::debug!(
        not_cached = to_run,
        connections = opts.threads,
        duckdb_threads = threads,
        "opening the database for the queries"
    );
    let conn = ingest::open_for_queries(&opts.db, &opts.memory_limit, threads)?;
    ingest::attach(&conn, &opts.attached)?;
    query::analyze(&conn, &mut jobs);
    let declared = collect_models(&pages, &queries)?;
    models::check_unshadowed(&conn, &declared, &mut cache)?;
    let steady = models::check_pairs(&conn, &declared, &queries.keys().cloned().collect())?;
    let mut schedule = models::Schedule::new(declared, &mut jobs, &steady)?;
    let mut tables = schedule.run(&conn, &jobs, &mut cache, opts.threads)?;

    // the pages generated from data, and their own queries
    let mut taken: BTreeSet<String> = pages.iter().map(|p| p.slug.clone()).collect();
    taken.extend(generate::RESERVED.iter().map(|s| s.to_string()));
    let mut generated = BTreeMap::new();
    let mut instances = Vec::new();
    for t in &templates {
        let Some(g) = &t.meta.generate else { continue };
        let made = generate::expand(t, &tables[&g.query], &mut taken, &opts.locale)?;
        let pages = made
            .iter()
            .map(|p| (p.slug.clone(), p.meta.nav_title.clone().unwrap_or_else(|| p.meta.title.clone())))
            .collect::<Vec<_>>();
        generated.insert(t.template_name(), Generated { pages, rows: tables[&g.query].clone() });
        instances.extend(made);
    }
    let mut own: Vec<Job> = instances.iter().flat_map(|p| p.queries.iter()).map(Job::plain).collect();
    query::analyze(&conn, &mut own);
    schedule.prepare(&conn, &mut own, &cache)?;
    if !instances.is_empty() {
        tracing::info!(pages = instances.len(), queries = own.len(), "generated pages");
    }
    tables.extend(query::run_jobs(&conn, &own, &mut cache, opts.threads)?);
    drop(conn);
    for page in &instances {
        for slice in &page.slices {
            let table = slice_of(&tables[&slice.whole], slice)?;
            tables.insert(slice.name.clone(), table);
        }
    }
    for (whole, name) in &shared {
        if let Some(table) = tables.remove(whole) {
            tables.insert(name.clone(), table);
        }
    }
    match cache.save(&cache_path) {
        // the JSON file of earlier versions, now unread
        Ok(()) => _ = std::fs::remove_file(opts.db.with_extension("queries.json")),
        Err(e) => tracing::warn!("cannot keep query results for the next build: {e:#}"),
    }
    pages.extend(instances);
    let steady = jobs.iter().chain(&own).all(|j| j.cacheable) && schedule.all_kept();
    Ok(Planned { pages, tables, generated, ran: cache.ran, reused: cache.hits, steady })
}

/// The models of the pages, each name once.
fn collect_models(
    pages: &[Page],
    queries: &BTreeMap<String, QuerySpec>,
) -> Result<Vec<crate::model::ModelSpec>, SourceError> {
    let mut out: Vec<crate::model::ModelSpec> = Vec::new();
    for m in pages.iter().flat_map(|p| p.models.iter()) {
        if let Some(first) = out.iter().find(|o| o.name == m.name) {
            return Err(SourceError::new(
                m.defined_at.clone(),
                format!("model `{}` is already declared at {}", m.name, first.defined_at),
            ));
        }
        if !queries.contains_key(&m.data.value) {
            let known: Vec<&str> = queries.keys().map(String::as_str).collect();
            return Err(unknown_query(&m.data, &known, &format!(" in `data` of model `{}`", m.name)));
        }
        out.push(m.clone());
    }
    Ok(out)
}

/// Where the query results are kept between builds: beside the database.
pub fn cache_path(db: &Path) -> PathBuf {
    db.with_extension("queries.bin")
}

/// The rows of a shared result that belong to one page, without the
/// column that says so.
fn slice_of(whole: &Table, slice: &crate::content::Slice) -> Result<Table, SourceError> {
    let name = slice.whole.split_once(':').map_or(slice.whole.as_str(), |(_, n)| n);
    let key = whole.column_index(&slice.column).ok_or_else(|| {
        SourceError::new(
            slice.defined_at.clone(),
            format!(
                "query `{name}` has no column `{}` to give each page its rows (columns: {})",
                slice.column,
                whole.column_list()
            ),
        )
    })?;
    let mut columns = whole.columns.clone();
    columns.remove(key);
    let rows = whole
        .rows
        .iter()
        // the same text `{{ row.COLUMN }}` gives the page (empty for NULL)
        .filter(|r| r[key].to_csv_field() == slice.value)
        .map(|r| r.iter().enumerate().filter(|(i, _)| *i != key).map(|(_, v)| v.clone()).collect())
        .collect();
    Ok(Table { columns, rows })
}

/// The located error for a query name that does not exist.
pub fn unknown_query(name: &Located<String>, known: &[&str], what: &str) -> SourceError {
    SourceError::new(
        name.location.clone(),
        format!(
            "unknown query `{}`{what} (known: {})",
            name.value,
            if known.is_empty() { "none".into() } else { known.join(", ") }
        ),
    )
}

/// Every query a page, a template or the configuration names must exist,
/// before any data is read. A template's own queries are known in it.
fn check_names(
    pages: &[Page],
    templates: &[Page],
    queries: &BTreeMap<String, QuerySpec>,
    generating: &BTreeMap<String, QuerySpec>,
    edition: Option<&Located<String>>,
) -> Result<(), SourceError> {
    let global: Vec<&str> = queries.keys().map(String::as_str).collect();
    for page in pages.iter().chain(templates) {
        let own: Vec<&str> =
            if page.is_template() { page.queries.iter().map(|q| q.name.as_str()).collect() } else { Vec::new() };
        let mut known: Vec<&str> = global.iter().chain(&own).copied().collect();
        known.sort_unstable();
        known.dedup();
        let check = |name: &Located<String>| {
            if known.contains(&name.value.as_str()) { Ok(()) } else { Err(unknown_query(name, &known, "")) }
        };
        for piece in &page.pieces {
            match piece {
                Piece::Value(v) => {
                    if let Some(q) = v.value.query() {
                        check(&Located { value: q.to_string(), location: v.location.clone() })?;
                    }
                }
                Piece::Directive(d) => {
                    for v in d.values() {
                        if let Some(q) = v.value.query() {
                            check(&Located { value: q.to_string(), location: v.location.clone() })?;
                        }
                    }
                    for q in d.queries() {
                        check(q)?;
                    }
                }
                Piece::Markdown(_) => {}
            }
        }
        // pages are generated from the site's own queries (a shared query
        // runs with the generating rows, after them)
        if let Some(g) = &page.meta.generate
            && !generating.contains_key(&g.query)
        {
            let names: Vec<&str> = generating.keys().map(String::as_str).collect();
            let at = Located {
                value: g.query.clone(),
                location: Location { path: page.source.clone(), line: 1, column: 1 },
            };
            return Err(unknown_query(&at, &names, " in `[generate]`"));
        }
    }
    if let Some(edition) = edition {
        let expr = crate::content::expr::parse(&edition.value)
            .map_err(|m| SourceError::new(edition.location.clone(), format!("`edition`: {m}")))?;
        let Some(q) = expr.query() else {
            return Err(SourceError::new(edition.location.clone(), "`edition` must name `query.column`"));
        };
        if !queries.contains_key(q) {
            return Err(unknown_query(
                &Located { value: q.to_string(), location: edition.location.clone() },
                &global,
                "",
            ));
        }
    }
    Ok(())
}
