//! Query: collects the named SQL blocks of all pages, checks that each name
//! means one query, and runs every query once against the DuckDB file,
//! returning owned [`Table`]s. Queries run on several connections at once
//! ([`run_jobs`]), so that one query's single-threaded phases do not leave a
//! core idle; the longest (the queries shared by generated pages) start
//! first. The connection is closed when this stage ends, so later stages
//! work on plain data.
//!
//! A result is reused from the last build ([`Cache`]) only while everything
//! it was computed from is unchanged: the data, its SQL, its parameters, and
//! the rows it reads from other queries (the generating query's, for a
//! shared query).

use crate::error::{Location, SourceError};
use crate::table::{Column, ColumnType, Table, Value, date_from_days};
use duckdb::types::{ToSqlOutput, ValueRef};
use std::collections::{BTreeMap, BTreeSet};

/// A named SQL query and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySpec {
    /// The query name; also the CSV download's file name.
    pub name: String,
    /// The SQL text.
    pub sql: String,
    /// Values bound to the `?` of `sql`, in order (a generated page's row values).
    pub params: Vec<Value>,
    /// The first line of the SQL in its page.
    pub defined_at: Location,
    /// For `sql NAME by COLUMN` in a template: the query runs once for all
    /// generated pages, and each page gets its rows.
    pub by: Option<By>,
}

/// `by COLUMN` (or `by COLUMN = ROW_COLUMN`): which page a row of a shared
/// query belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct By {
    /// The result's column that says it.
    pub column: String,
    /// The generating row's column it equals (the same name by default).
    pub row: String,
}

/// Deduplicates queries by name. The same name with the same SQL (ignoring
/// whitespace) is one query; with different SQL it is an error at the second
/// definition that names the first.
pub fn collect<'a>(specs: impl IntoIterator<Item = &'a QuerySpec>) -> Result<BTreeMap<String, QuerySpec>, SourceError> {
    let mut all: BTreeMap<String, QuerySpec> = BTreeMap::new();
    for spec in specs {
        match all.get(&spec.name) {
            Some(first) if normalize(&first.sql) != normalize(&spec.sql) || first.params != spec.params => {
                return Err(SourceError::new(
                    spec.defined_at.clone(),
                    format!("query `{}` is already defined with different SQL at {}", spec.name, first.defined_at),
                ));
            }
            Some(_) => {}
            None => {
                all.insert(spec.name.clone(), spec.clone());
            }
        }
    }
    Ok(all)
}

fn normalize(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A query as it runs: its spec (named as its result will be), the
/// statement that runs before it on the same connection, and the
/// fingerprint of everything its result depends on besides the data.
#[derive(Debug, Clone)]
pub struct Job {
    spec: QuerySpec,
    /// For a shared query: the generating query, whose rows are made a
    /// temporary table of its name first.
    setup: Option<QuerySpec>,
    fingerprint: String,
    /// Whether its result may be kept for the next build.
    pub cacheable: bool,
    /// The tables its SQL (and its generating query's) names, once
    /// [`analyze`]d; `None` when DuckDB cannot parse it.
    reads: Option<BTreeSet<String>>,
}

impl Job {
    /// A query that runs as written.
    pub fn plain(spec: &QuerySpec) -> Job {
        Job::new(spec.clone(), None)
    }

    /// A query shared by the pages generated from the rows of `source`,
    /// named `name` as it runs (`TEMPLATE:QUERY`): `source`'s rows are
    /// readable under `source`'s name.
    pub fn shared(spec: &QuerySpec, name: String, source: &QuerySpec) -> Job {
        Job::new(QuerySpec { name, by: None, ..spec.clone() }, Some(source.clone()))
    }

    fn new(spec: QuerySpec, setup: Option<QuerySpec>) -> Job {
        let mut h = blake3::Hasher::new();
        let mut part = |tag: &str, text: &str| {
            h.update(tag.as_bytes());
            h.update(&(text.len() as u64).to_le_bytes());
            h.update(text.as_bytes());
        };
        part("sql", &spec.sql);
        for p in &spec.params {
            part(p.kind_name(), &p.to_csv_field());
        }
        if let Some(source) = &setup {
            part("rows of", &source.name);
            part("sql", &source.sql);
            for p in &source.params {
                part(p.kind_name(), &p.to_csv_field());
            }
        }
        let fingerprint = h.finalize().to_hex().to_string();
        Job { spec, setup, fingerprint, cacheable: true, reads: Some(BTreeSet::new()) }
    }

    /// The name of its result.
    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// The fingerprint of everything its result depends on besides the data.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Makes its fingerprint depend on `other` too (a model it reads).
    pub fn depend_on(&mut self, other: &str) {
        self.fingerprint = blake3::hash(format!("{}\n{other}", self.fingerprint).as_bytes()).to_hex().to_string();
    }

    /// The SQL of the generating query a shared query runs after.
    pub fn setup_sql(&self) -> Option<&str> {
        self.setup.as_ref().map(|s| s.sql.as_str())
    }

    /// The query as it runs.
    pub fn spec(&self) -> &QuerySpec {
        &self.spec
    }

    /// The tables it names ([`analyze`]).
    pub fn reads(&self) -> impl Iterator<Item = &str> {
        self.reads.iter().flatten().map(String::as_str)
    }
}

/// Results of earlier builds, reused while the data (`key`: the inputs'
/// hashes and the generator version) and everything a query's result was
/// computed from ([`Job`]'s fingerprint) are unchanged, so a rebuild with
/// unchanged data runs no query at all. Kept beside the database in a
/// compact binary file (postcard: every float to the bit, read in a few
/// milliseconds whatever the results' size); any problem reading it just
/// means an empty cache.
#[derive(Debug, Default)]
pub struct Cache {
    key: String,
    old: BTreeMap<String, Entry>,
    new: BTreeMap<String, Entry>,
    /// Queries answered from the cache in this build.
    pub hits: usize,
    /// Queries run in this build.
    pub ran: usize,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Entry {
    fingerprint: String,
    table: Table,
}

/// The layout of the cache file: another one is read as an empty cache.
const CACHE_FORMAT: u32 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
struct CacheFile<K, E> {
    format: u32,
    key: K,
    entries: E,
}

impl Cache {
    /// The cache at `path` if it was written for `key`, else an empty one.
    pub fn load(path: &std::path::Path, key: &str) -> Cache {
        let mut cache = Cache { key: key.to_string(), ..Cache::default() };
        let Ok(bytes) = std::fs::read(path) else { return cache };
        match postcard::from_bytes::<CacheFile<String, BTreeMap<String, Entry>>>(&bytes) {
            Ok(file) if file.format == CACHE_FORMAT && file.key == key => cache.old = file.entries,
            _ => {}
        }
        cache
    }

    /// The result of `job` from the last build, if it is still valid.
    pub fn get(&self, job: &Job) -> Option<&Table> {
        let entry = self.old.get(job.name())?;
        (job.cacheable && entry.fingerprint == job.fingerprint).then_some(&entry.table)
    }

    /// Whether `job`'s result would be taken from the cache.
    pub fn has(&self, job: &Job) -> bool {
        self.get(job).is_some()
    }

    /// The result of `job` from the last build, kept for the next one.
    fn reuse(&mut self, job: &Job) -> Table {
        self.hits += 1;
        let Some(entry) = self.old.remove(job.name()) else { return Table::default() };
        let table = entry.table.clone();
        self.new.insert(job.name().to_string(), entry);
        table
    }

    fn keep(&mut self, job: &Job, table: &Table) {
        if job.cacheable {
            self.new
                .insert(job.name().to_string(), Entry { fingerprint: job.fingerprint.clone(), table: table.clone() });
        }
    }

    /// A model's table `name` from the last build, if it was kept under `fingerprint`.
    pub fn model(&self, name: &str, fingerprint: &str) -> Option<&Table> {
        let entry = self.old.get(&format!("model:{name}"))?;
        (entry.fingerprint == fingerprint).then_some(&entry.table)
    }

    /// A model's table `name` from the last build (empty if it was not kept
    /// under `fingerprint`), kept for the next one.
    pub fn reuse_model(&mut self, name: &str, fingerprint: &str) -> Table {
        let key = format!("model:{name}");
        match self.old.remove(&key) {
            Some(entry) if entry.fingerprint == fingerprint => {
                let table = entry.table.clone();
                self.new.insert(key, entry);
                table
            }
            _ => Table::default(),
        }
    }

    /// Keeps a model's table `name` for the next build.
    pub fn keep_model(&mut self, name: &str, fingerprint: &str, table: &Table) {
        self.new.insert(format!("model:{name}"), Entry { fingerprint: fingerprint.to_string(), table: table.clone() });
    }

    /// Writes the entries used in this build (a new file, renamed into place).
    pub fn save(&self, path: &std::path::Path) -> anyhow::Result<()> {
        use anyhow::Context;
        let file = CacheFile { format: CACHE_FORMAT, key: &self.key, entries: &self.new };
        let bytes = postcard::to_stdvec(&file).context("cannot write the query cache")?;
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        std::fs::write(&tmp, bytes).with_context(|| format!("cannot write `{}`", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write `{}`", path.display()))
    }
}

/// Table functions whose result is the same on every run (they read no
/// file and nothing that changes).
const STEADY_TABLE_FUNCTIONS: [&str; 10] = [
    "range",
    "generate_series",
    "unnest",
    "duckdb_functions",
    "duckdb_types",
    "duckdb_keywords",
    "pragma_table_info",
    "duckdb_tables",
    "duckdb_columns",
    "duckdb_views",
];

/// Functions whose value changes from one run to the next.
const UNSTEADY_FUNCTIONS: [&str; 14] = [
    "random",
    "setseed",
    "uuid",
    "gen_random_uuid",
    "now",
    "today",
    "current_date",
    "current_time",
    "current_timestamp",
    "get_current_time",
    "get_current_timestamp",
    "localtime",
    "localtimestamp",
    "getenv",
];

/// What a build needs to know of one SQL text, from DuckDB's own parse
/// tree (`json_serialize_sql`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Whether its result depends only on the database's tables (and so
    /// may be kept while the data is unchanged): a query that reads a file
    /// itself (`read_csv('...')`, `FROM 'x.parquet'`), the clock, the
    /// environment or chance is run every time, and so is what DuckDB
    /// cannot parse.
    pub steady: bool,
    /// The tables it names (lowercase, without catalog or schema:
    /// `models.main.segments` is `segments`); `None` when DuckDB cannot
    /// parse it.
    pub tables: Option<BTreeSet<String>>,
}

/// [`Parsed`] for each SQL of `sqls`, all parsed in one statement.
pub fn parse(conn: &duckdb::Connection, sqls: &[&str]) -> Vec<Parsed> {
    if sqls.is_empty() {
        return Vec::new();
    }
    let list: Vec<Value> = sqls.iter().map(|s| Value::Text(s.to_string())).collect();
    let trees: Vec<String> = (|| -> duckdb::Result<Vec<String>> {
        let mut q = conn
            .prepare("SELECT json_serialize_sql(s) FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(s, i) ORDER BY i")?;
        let rows = q.query_map([ListParam(&list)], |r| r.get::<_, String>(0))?;
        rows.collect()
    })()
    .unwrap_or_default();
    if trees.len() != sqls.len() {
        // one by one, as a statement DuckDB cannot serialize fails them all
        return sqls.iter().map(|sql| parse_one(conn, sql)).collect();
    }
    trees.iter().map(|t| parsed(t)).collect()
}

/// [`parse`] for one SQL text.
pub fn parse_one(conn: &duckdb::Connection, sql: &str) -> Parsed {
    match conn.query_row("SELECT json_serialize_sql(?)", [sql], |r| r.get::<_, String>(0)) {
        Ok(tree) => parsed(&tree),
        Err(_) => Parsed { steady: false, tables: None },
    }
}

/// What a parse tree of `json_serialize_sql` says.
fn parsed(tree: &str) -> Parsed {
    let unknown = Parsed { steady: false, tables: None };
    let Ok(tree) = serde_json::from_str::<serde_json::Value>(tree) else { return unknown };
    if tree["error"].as_bool() != Some(false) {
        return unknown;
    }
    let mut tables = BTreeSet::new();
    let steady = walk(&tree["statements"], &mut tables);
    Parsed { steady, tables: Some(tables) }
}

/// Collects the tables `v` names into `tables`; whether it reads nothing
/// but tables.
fn walk(v: &serde_json::Value, tables: &mut BTreeSet<String>) -> bool {
    match v {
        serde_json::Value::Object(map) => {
            let kind = map.get("type").and_then(|t| t.as_str()).unwrap_or("");
            let mut steady = true;
            if kind == "TABLE_FUNCTION" {
                let name = map["function"]["function_name"].as_str().unwrap_or("").to_ascii_lowercase();
                steady &= STEADY_TABLE_FUNCTIONS.contains(&name.as_str());
            }
            if kind == "BASE_TABLE"
                && let Some(name) = map.get("table_name").and_then(|t| t.as_str())
            {
                // a table's name with a dot, a slash or a glob is a file DuckDB reads itself
                steady &= !name.contains(['.', '/', '\\', '*', '?']);
                tables.insert(name.to_ascii_lowercase());
            }
            if let Some(name) = map.get("function_name").and_then(|n| n.as_str()) {
                steady &= !UNSTEADY_FUNCTIONS.contains(&name.to_ascii_lowercase().as_str());
            }
            // `current_date` and its kin are parsed as column names
            if kind == "COLUMN_REF"
                && let Some([name]) = map.get("column_names").and_then(|n| n.as_array()).map(Vec::as_slice)
            {
                steady &= !UNSTEADY_FUNCTIONS.contains(&name.as_str().unwrap_or("").to_ascii_lowercase().as_str());
            }
            map.values().fold(steady, |all, v| walk(v, tables) && all)
        }
        serde_json::Value::Array(items) => {
            // every item is walked, for its tables
            let mut steady = true;
            for v in items {
                steady &= walk(v, tables);
            }
            steady
        }
        _ => true,
    }
}

/// Stores `table` as `models.NAME` (replacing it), for the queries that read it.
pub fn load_model_table(conn: &duckdb::Connection, name: &str, table: &Table) -> anyhow::Result<()> {
    let columns: Vec<String> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let values = || table.rows.iter().map(|r| &r[i]).filter(|v| !matches!(v, Value::Null));
            let ty = match c.kind {
                ColumnType::Number if values().all(|v| matches!(v, Value::Int(_))) => "BIGINT",
                ColumnType::Number => "DOUBLE",
                ColumnType::Date => "DATE",
                ColumnType::Text if values().next().is_some() && values().all(|v| matches!(v, Value::Bool(_))) => {
                    "BOOLEAN"
                }
                ColumnType::Text => "VARCHAR",
            };
            format!("\"{}\" {ty}", c.name.replace('"', "\"\""))
        })
        .collect();
    let quoted = format!("\"{}\"", name.replace('"', "\"\""));
    conn.execute_batch(&format!("CREATE OR REPLACE TABLE models.main.{quoted} ({})", columns.join(", ")))
        .map_err(|e| anyhow::anyhow!("cannot store the table of model `{name}`: {e}"))?;
    let mut app = conn
        .appender_to_catalog_and_db(name, "models", "main")
        .map_err(|e| anyhow::anyhow!("cannot store the table of model `{name}`: {e}"))?;
    for row in &table.rows {
        app.append_row(duckdb::appender_params_from_iter(row.iter().map(Param)))
            .map_err(|e| anyhow::anyhow!("cannot store the table of model `{name}`: {e}"))?;
    }
    app.flush().map_err(|e| anyhow::anyhow!("cannot store the table of model `{name}`: {e}"))
}

/// A list of text values bound to one parameter.
struct ListParam<'a>(&'a [Value]);

impl duckdb::ToSql for ListParam<'_> {
    fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
        let items = self.0.iter().map(|v| match v {
            Value::Text(s) => duckdb::types::Value::Text(s.clone()),
            _ => duckdb::types::Value::Null,
        });
        Ok(ToSqlOutput::Owned(duckdb::types::Value::List(items.collect())))
    }
}

/// Parses every job's SQL and its generating query's ([`parse`], in one
/// statement): marks those whose results may not be kept, and notes the
/// tables each reads.
pub fn analyze(conn: &duckdb::Connection, jobs: &mut [Job]) {
    let mut sqls: Vec<&str> = Vec::new();
    for job in jobs.iter() {
        sqls.push(&job.spec.sql);
        sqls.push(job.setup.as_ref().map_or("select 1", |s| s.sql.as_str()));
    }
    let answers = parse(conn, &sqls);
    for (job, pair) in jobs.iter_mut().zip(answers.chunks(2)) {
        job.cacheable &= pair.iter().all(|p| p.steady);
        job.reads = pair[0].tables.clone().zip(pair[1].tables.clone()).map(|(mut a, b)| {
            a.extend(b);
            a
        });
    }
}

/// DuckDB's threads for running `queries` queries on `workers` connections
/// at once ([`run_jobs`]). With many more queries than connections, one
/// thread each: the connections keep the cores busy, and a query on one
/// thread does not pay for splitting its work and merging the parts (about
/// a tenth of the queries' CPU time on the default report). With few, each
/// query may use `workers` threads.
pub fn duckdb_threads(queries: usize, workers: usize) -> usize {
    if workers > 1 && queries >= 2 * workers { 1 } else { workers.max(1) }
}

/// Runs every job, or takes its result from `cache`, on `conn` and up to
/// `workers - 1` more connections to the same database, each taking the
/// next job as it finishes one (so the jobs given first start first).
/// After a failure no new job starts, and the error returned is the failed
/// job that comes first in `jobs` (all those before it have run), so the
/// outcome does not depend on timing. Results are named as their jobs.
pub fn run_jobs(
    conn: &duckdb::Connection,
    jobs: &[Job],
    cache: &mut Cache,
    workers: usize,
) -> anyhow::Result<BTreeMap<String, Table>> {
    run_jobs_then(conn, jobs, cache, workers, &|_, _| {})
}

/// [`run_jobs`], handing each result that was computed (not taken from the
/// cache) to `on_done` as soon as its query has run, on the thread that ran
/// it: a model can be fitted on its data while the other queries run.
pub fn run_jobs_then(
    conn: &duckdb::Connection,
    jobs: &[Job],
    cache: &mut Cache,
    workers: usize,
    on_done: &(dyn Fn(&str, &Table) + Sync),
) -> anyhow::Result<BTreeMap<String, Table>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let todo: Vec<&Job> = jobs.iter().filter(|j| !cache.has(j)).collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = |conn: &duckdb::Connection| {
        let mut done: Vec<(usize, anyhow::Result<Table>)> = Vec::new();
        let mut prepared: Option<&str> = None;
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = todo.get(i) else { break };
            let result = (|| -> anyhow::Result<Table> {
                if let Some(source) = &job.setup
                    && prepared != Some(source.name.as_str())
                {
                    let sql = format!("CREATE OR REPLACE TEMP TABLE \"{}\" AS {}", source.name, source.sql);
                    conn.execute(&sql, duckdb::params_from_iter(source.params.iter().map(Param)))
                        .map_err(|e| sql_error(source, &e.to_string()))?;
                    prepared = Some(source.name.as_str());
                }
                let started = std::time::Instant::now();
                let table = run(conn, &job.spec)?;
                let ms = started.elapsed().as_millis() as u64;
                tracing::debug!(query = %job.spec.name, rows = table.rows.len(), ms, "query ran");
                on_done(&job.spec.name, &table);
                Ok(table)
            })();
            if result.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            done.push((i, result));
        }
        done
    };
    let extra = workers.clamp(1, todo.len().max(1)) - 1;
    // a clone starts with the default search path: it gets this one's
    let search_path: String = if extra > 0 {
        conn.query_row("SELECT current_setting('search_path')", [], |r| r.get(0)).unwrap_or_default()
    } else {
        String::new()
    };
    let mut done = std::thread::scope(|scope| -> anyhow::Result<Vec<(usize, anyhow::Result<Table>)>> {
        let mut handles = Vec::with_capacity(extra);
        for _ in 0..extra {
            let other = conn.try_clone().map_err(|e| anyhow::anyhow!("cannot open another connection: {e}"))?;
            if !search_path.is_empty() {
                other
                    .execute_batch(&format!("SET search_path = '{}'", search_path.replace('\'', "''")))
                    .map_err(|e| anyhow::anyhow!("cannot set DuckDB's search path: {e}"))?;
            }
            handles.push(scope.spawn(move || work(&other)));
        }
        let mut done = work(conn);
        for h in handles {
            done.extend(h.join().map_err(|_| anyhow::anyhow!("a query runner stopped"))?);
        }
        Ok(done)
    })?;
    done.sort_by_key(|(i, _)| *i);
    let mut ran = BTreeMap::new();
    for (i, result) in done {
        ran.insert(todo[i].spec.name.clone(), result?);
    }
    cache.ran += ran.len();
    let mut tables = BTreeMap::new();
    for job in jobs {
        let table = match ran.remove(job.name()) {
            Some(table) => {
                cache.keep(job, &table);
                table
            }
            None => cache.reuse(job),
        };
        tables.insert(job.name().to_string(), table);
    }
    Ok(tables)
}

/// A value bound to a query parameter.
struct Param<'a>(&'a Value);

impl duckdb::ToSql for Param<'_> {
    fn to_sql(&self) -> duckdb::Result<ToSqlOutput<'_>> {
        use duckdb::types::Value as D;
        Ok(ToSqlOutput::Owned(match self.0 {
            Value::Null => D::Null,
            Value::Bool(b) => D::Boolean(*b),
            Value::Int(i) => D::BigInt(*i),
            Value::Float(f) => D::Double(*f),
            Value::Text(s) => D::Text(s.clone()),
            Value::Date(d) => D::Date32(crate::table::days_from_1970(*d)),
        }))
    }
}

/// Runs one query on an open connection.
pub fn run(conn: &duckdb::Connection, spec: &QuerySpec) -> Result<Table, SourceError> {
    let fail = |e: duckdb::Error| sql_error(spec, &e.to_string());
    let mut stmt = conn.prepare(&spec.sql).map_err(fail)?;
    let mut rows = stmt.query(duckdb::params_from_iter(spec.params.iter().map(Param))).map_err(fail)?;
    let mut out: Vec<Vec<Value>> = Vec::new();
    let mut width = None;
    // columns of SQL type NULL (`select null as x`) hold nothing to read
    let mut null_columns: Option<Vec<bool>> = None;
    while let Some(row) = rows.next().map_err(fail)? {
        let n = *width.get_or_insert_with(|| row.as_ref().column_count());
        let nulls = null_columns.get_or_insert_with(|| {
            (0..n).map(|i| row.as_ref().column_type(i) == duckdb::arrow::datatypes::DataType::Null).collect()
        });
        let mut values = Vec::with_capacity(n);
        for (i, &null) in nulls.iter().enumerate() {
            if null {
                values.push(Value::Null);
                continue;
            }
            let v = row.get_ref(i).map_err(fail)?;
            values.push(to_value(v).map_err(|m| sql_error(spec, &m))?);
        }
        out.push(values);
    }
    let stmt = rows.as_ref().ok_or_else(|| sql_error(spec, "the statement returned no result"))?;
    let names = stmt.column_names();
    let columns = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let kind = out
                .iter()
                .find_map(|r| match &r[i] {
                    Value::Null => None,
                    Value::Int(_) | Value::Float(_) => Some(ColumnType::Number),
                    Value::Date(_) => Some(ColumnType::Date),
                    Value::Text(_) | Value::Bool(_) => Some(ColumnType::Text),
                })
                .unwrap_or_else(|| kind_of_type(&stmt.column_type(i)));
            Column { name: name.clone(), kind }
        })
        .collect();
    drop(rows);
    Ok(Table { columns, rows: out })
}

fn kind_of_type(t: &duckdb::arrow::datatypes::DataType) -> ColumnType {
    use duckdb::arrow::datatypes::DataType as T;
    match t {
        T::Date32 | T::Date64 | T::Timestamp(..) => ColumnType::Date,
        t if t.is_numeric() => ColumnType::Number,
        _ => ColumnType::Text,
    }
}

/// A DuckDB error as a located error; DuckDB's `LINE n:` moves the line.
fn sql_error(spec: &QuerySpec, message: &str) -> SourceError {
    let mut location = spec.defined_at.clone();
    if let Some(rest) = message.split("LINE ").nth(1)
        && let Some(n) = rest.split(':').next().and_then(|n| n.trim().parse::<usize>().ok())
    {
        {
            location.line += n.saturating_sub(1);
            location.column = 1;
        }
    }
    let first = message.lines().next().unwrap_or(message).trim();
    // no extension is ever installed or loaded from elsewhere
    let hint = if first.contains("xtension") {
        " (mangetamain has DuckDB's CSV, Parquet and JSON readers built in and never installs an extension)"
    } else {
        ""
    };
    SourceError::new(location, format!("query `{}` failed: {first}{hint}", spec.name))
}

fn to_value(v: ValueRef<'_>) -> Result<Value, String> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Boolean(b) => Value::Bool(b),
        ValueRef::TinyInt(i) => Value::Int(i.into()),
        ValueRef::SmallInt(i) => Value::Int(i.into()),
        ValueRef::Int(i) => Value::Int(i.into()),
        ValueRef::BigInt(i) => Value::Int(i),
        ValueRef::UTinyInt(i) => Value::Int(i.into()),
        ValueRef::USmallInt(i) => Value::Int(i.into()),
        ValueRef::UInt(i) => Value::Int(i.into()),
        ValueRef::UBigInt(i) => Value::Int(i64::try_from(i).map_err(|_| format!("integer {i} does not fit 64 bits"))?),
        ValueRef::HugeInt(i) => Value::Int(i64::try_from(i).map_err(|_| format!("integer {i} does not fit 64 bits"))?),
        ValueRef::UHugeInt(i) => Value::Int(i64::try_from(i).map_err(|_| format!("integer {i} does not fit 64 bits"))?),
        ValueRef::Float(f) => Value::Float(f.into()),
        ValueRef::Double(f) => Value::Float(f),
        ValueRef::Decimal(d) => {
            Value::Float(d.to_string().parse().map_err(|_| format!("cannot read decimal `{d}` as a number"))?)
        }
        ValueRef::Text(bytes) => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
        // an ENUM (such as `recipe_tags.tag`) reads as its text
        ValueRef::Enum(..) => {
            Value::Text(v.as_str().map_err(|e| format!("cannot read an ENUM value: {e}"))?.to_string())
        }
        ValueRef::Date32(days) => Value::Date(date_from_days(days)?),
        ValueRef::Timestamp(unit, t) => {
            let micros = unit.to_micros(t);
            let days = micros.div_euclid(86_400_000_000);
            Value::Date(date_from_days(i32::try_from(days).map_err(|_| "timestamp out of range".to_string())?)?)
        }
        other => {
            return Err(format!(
                "unsupported column type {:?}: cast it to a number, text or date in the query",
                other.data_type()
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use std::path::PathBuf;

    fn spec(name: &str, sql: &str, line: usize) -> QuerySpec {
        QuerySpec {
            name: name.into(),
            sql: sql.into(),
            params: Vec::new(),
            defined_at: Location { path: PathBuf::from("p.md"), line, column: 1 },
            by: None,
        }
    }

    fn plain(specs: &BTreeMap<String, QuerySpec>) -> Vec<Job> {
        specs.values().map(Job::plain).collect()
    }

    #[test]
    fn many_queries_run_on_one_thread_each() {
        assert_eq!(duckdb_threads(27, 2), 1);
        assert_eq!(duckdb_threads(4, 2), 1);
        assert_eq!(duckdb_threads(3, 2), 2, "few queries: each may use every thread");
        assert_eq!(duckdb_threads(0, 2), 2);
        assert_eq!(duckdb_threads(50, 1), 1);
        assert_eq!(duckdb_threads(7, 4), 4);
        assert_eq!(duckdb_threads(8, 4), 1);
        assert_eq!(duckdb_threads(5, 0), 1, "at least one thread");
    }

    #[test]
    fn only_queries_of_tables_are_kept() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        for sql in [
            "select 1",
            "select count(*) from interactions where rating > 3",
            "with t as (select * from range(3)) select * from t, unnest([1, 2])",
            "select * from archive.main.flights",
        ] {
            assert!(parse_one(&conn, sql).steady, "{sql}");
        }
        for sql in [
            "select * from read_csv('x.csv')",
            "select count(*) from 'flights.parquet'",
            "select * from t where x in (select a from read_json('x.json'))",
            "select * from read_text('/etc/passwd')",
            "select now()",
            "select current_date",
            "select random()",
            "select getenv('HOME')",
            "select * from glob('*.csv')",
            "pragma version",
            "not sql at all",
        ] {
            assert!(!parse_one(&conn, sql).steady, "{sql}");
        }
        // all at once, in order, whatever fails to parse
        let many = ["select 1", "select now()", "not sql", "select * from t"];
        let steady = |sqls: &[&str]| parse(&conn, sqls).iter().map(|p| p.steady).collect::<Vec<_>>();
        assert_eq!(steady(&many), [true, false, false, true]);
        assert_eq!(steady(&["select 1", "select random()"]), [true, false]);
    }

    #[test]
    fn model_tables_are_seen_by_every_connection_after_the_database_s_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.duckdb");
        {
            let c = duckdb::Connection::open(&path).unwrap();
            c.execute_batch("create table seen as select 1 as x").unwrap();
        }
        let conn = crate::ingest::open_for_queries(&path, "256MB", 1).unwrap();
        let t = Table {
            columns: vec![
                Column { name: "id".into(), kind: ColumnType::Number },
                Column { name: "z".into(), kind: ColumnType::Number },
                Column { name: "seen".into(), kind: ColumnType::Text },
            ],
            rows: vec![vec![Value::Int(1), Value::Float(0.5), Value::Text("a".into())]],
        };
        load_model_table(&conn, "segments", &t).unwrap();
        load_model_table(&conn, "seen", &t).unwrap();
        let other = conn.try_clone().unwrap();
        let path: String = conn.query_row("SELECT current_setting('search_path')", [], |r| r.get(0)).unwrap();
        other.execute_batch(&format!("SET search_path = '{path}'")).unwrap();
        let r = run(&other, &spec("q", "select id, z, seen from segments", 1)).unwrap();
        assert_eq!(r.rows, t.rows);
        // the database's own table comes first
        assert_eq!(run(&other, &spec("q", "select * from seen", 1)).unwrap().rows, vec![vec![Value::Int(1)]]);
        let named = parse(&conn, &["select * from a join models.main.B using (x)", "nope"]);
        assert_eq!(named[0].tables.as_ref().unwrap().iter().cloned().collect::<Vec<_>>(), ["a", "b"]);
        assert!(named[1].tables.is_none());
        // a temporary table made by a shared query is found too
        other.execute_batch("create temp table g as select 7 as k").unwrap();
        assert_eq!(run(&other, &spec("q", "select k from g", 1)).unwrap().rows, vec![vec![Value::Int(7)]]);
        // the file stays read-only
        assert!(other.execute_batch("create table t.main.x (a int)").is_err());
        assert!(other.execute_batch("insert into seen values (2)").is_err());
    }

    #[test]
    fn collect_dedupes_and_detects_conflicts() {
        let a = spec("q", "select 1", 1);
        let b = spec("q", "select\n  1\n", 9);
        assert_eq!(collect([&a, &b]).unwrap().len(), 1);
        let c = spec("q", "select 2", 12);
        let e = collect([&a, &c]).unwrap_err();
        assert_eq!(e.location.line, 12);
        assert!(e.message.contains("p.md:1:1"), "{}", e.message);
    }

    #[test]
    fn cached_results_are_exact_and_keyed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.json");
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let sql = "select 0.1 + 0.2 as f, 'a\"b' as t, date '2008-03-01' as d, null as n, 2147483648 as i, true as b";
        let queries: BTreeMap<String, QuerySpec> = [("q".to_string(), spec("q", sql, 1))].into();
        let mut cache = Cache::load(&path, "k1");
        let first = run_jobs(&conn, &plain(&queries), &mut cache, 2).unwrap();
        assert_eq!((cache.hits, cache.ran), (0, 1));
        cache.save(&path).unwrap();
        let mut again = Cache::load(&path, "k1");
        assert_eq!(run_jobs(&conn, &plain(&queries), &mut again, 2).unwrap(), first);
        assert_eq!((again.hits, again.ran), (1, 0));
        // other data, or other SQL, or other parameters: run again
        let mut other = Cache::load(&path, "k2");
        run_jobs(&conn, &plain(&queries), &mut other, 2).unwrap();
        assert_eq!(other.hits, 0);
        let changed: BTreeMap<String, QuerySpec> = [("q".to_string(), spec("q", "select 1 as f", 1))].into();
        let mut stale = Cache::load(&path, "k1");
        assert_eq!(run_jobs(&conn, &plain(&changed), &mut stale, 2).unwrap()["q"].rows[0][0], Value::Int(1));
        assert_eq!(stale.hits, 0);
        let with = |v: i64| {
            let mut q = spec("p", "select ?::bigint * 2 as x", 1);
            q.params = vec![Value::Int(v)];
            vec![Job::plain(&q)]
        };
        let mut cache = Cache::load(&path, "k3");
        run_jobs(&conn, &with(1), &mut cache, 1).unwrap();
        cache.save(&path).unwrap();
        let mut cache = Cache::load(&path, "k3");
        assert_eq!(run_jobs(&conn, &with(21), &mut cache, 1).unwrap()["p"].rows[0][0], Value::Int(42));
        assert_eq!(cache.hits, 0);
        // a job that may not be kept is run every time
        let mut cache = Cache::load(&path, "k1");
        let mut jobs = plain(&queries);
        jobs[0].cacheable = false;
        run_jobs(&conn, &jobs, &mut cache, 1).unwrap();
        assert_eq!((cache.hits, cache.ran), (0, 1));
    }

    #[test]
    fn cached_floats_keep_every_bit() {
        // shares like 36 / 2590 need the last digit of their shortest form
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.json");
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let sql = "select i::double / 2590 as share, 1 / (i::double * 7) as inv from range(1, 3000) t(i)";
        let queries: BTreeMap<String, QuerySpec> = [("q".to_string(), spec("q", sql, 1))].into();
        let mut cache = Cache::load(&path, "k");
        let fresh = run_jobs(&conn, &plain(&queries), &mut cache, 2).unwrap();
        cache.save(&path).unwrap();
        let mut again = Cache::load(&path, "k");
        let cached = run_jobs(&conn, &plain(&queries), &mut again, 2).unwrap();
        assert_eq!(again.hits, 1);
        for (a, b) in fresh["q"].rows.iter().zip(&cached["q"].rows) {
            for (x, y) in a.iter().zip(b) {
                let (Value::Float(x), Value::Float(y)) = (x, y) else { panic!("not floats: {x:?} {y:?}") };
                assert_eq!(x.to_bits(), y.to_bits(), "{x} came back as {y}");
            }
        }
    }

    #[test]
    fn runs_queries_into_tables() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let t = run(
            &conn,
            &spec(
                "q",
                "select 1::tinyint as a, sum(x) as s, avg(x) as m, 1.5::decimal(4,2) as d, 'x' as t, date '2008-03-01' as day, null::date as nd \
                 from (values (2147483647), (2147483647)) v(x)",
                1,
            ),
        )
        .unwrap();
        assert_eq!(
            t.rows[0],
            vec![
                Value::Int(1),
                Value::Int(4294967294),
                Value::Float(2147483647.0),
                Value::Float(1.5),
                Value::Text("x".into()),
                Value::Date(NaiveDate::from_ymd_opt(2008, 3, 1).unwrap()),
                Value::Null
            ]
        );
        assert_eq!(t.columns[5].name, "day");
        assert_eq!(t.columns[6].kind, ColumnType::Date);
        // ENUM values (as in `recipe_tags.tag`) read as their text
        let e =
            run(&conn, &spec("e", "select unnest(['b', 'a', null])::ENUM('a', 'b') as tag order by tag", 1)).unwrap();
        assert_eq!(e.rows, vec![vec![Value::Text("a".into())], vec![Value::Text("b".into())], vec![Value::Null]]);
        assert_eq!(e.columns[0].kind, ColumnType::Text);
    }

    #[test]
    fn parameters_are_values_never_sql() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch("create table t as select * from (values ('a', 1), ('x''); drop table t; --', 2)) v(k, n)")
            .unwrap();
        let mut q = spec("q", "select n from t where k = ?", 1);
        for (value, rows) in [("a", 1), ("x'); drop table t; --", 1), ("nope' or '1'='1", 0), ("a\u{0}b", 0)] {
            q.params = vec![Value::Text(value.into())];
            assert_eq!(run(&conn, &q).unwrap().rows.len(), rows, "{value}");
        }
        let n: i64 = conn.query_row("select count(*) from t", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2);
        let mut d = spec("d", "select ? + 1 as next, ? as none", 1);
        d.params = vec![Value::Date(NaiveDate::from_ymd_opt(2008, 2, 29).unwrap()), Value::Null];
        let t = run(&conn, &d).unwrap();
        assert_eq!(t.rows[0][0], Value::Date(NaiveDate::from_ymd_opt(2008, 3, 1).unwrap()));
        assert_eq!(t.rows[0][1], Value::Null);
    }

    #[test]
    fn empty_results_keep_their_columns() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let t = run(&conn, &spec("q", "select 1 as n, 'a' as s where false", 1)).unwrap();
        assert!(t.rows.is_empty());
        assert_eq!(t.column_list(), "n, s");
        assert_eq!(t.columns[0].kind, ColumnType::Number);
    }

    #[test]
    fn a_missing_extension_is_named_and_never_fetched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.duckdb");
        drop(duckdb::Connection::open(&path).unwrap());
        let conn = crate::ingest::open(&path, true, "256MB", 1).unwrap();
        let e = run(&conn, &spec("q", "select * from read_csv('https://example.org/x.csv')", 1)).unwrap_err();
        assert!(e.message.contains("httpfs") && e.message.contains("never installs"), "{}", e.message);
        // the readers built in are there
        let ok = run(&conn, &spec("j", "select json_extract('{\"a\": 1}', '$.a') as a", 1)).unwrap();
        assert_eq!(ok.rows.len(), 1);
    }

    #[test]
    fn sql_errors_are_located() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let e = run(&conn, &spec("q", "select 1\nfrom nowhere", 5)).unwrap_err();
        assert!(e.message.starts_with("query `q` failed:"), "{}", e.message);
        assert_eq!(e.location.line, 6, "{}", e.message);
    }

    #[test]
    fn queries_run_at_once_give_what_one_by_one_gives() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t AS SELECT range AS x FROM range(20000)").unwrap();
        let mut queries = BTreeMap::new();
        for i in 0..12 {
            let q = spec(
                &format!("q{i:02}"),
                &format!("select x % {} as k, count(*) as n from t group by k order by k", i + 2),
                1,
            );
            queries.insert(q.name.clone(), q);
        }
        let one = run_jobs(&conn, &plain(&queries), &mut Cache::default(), 1).unwrap();
        for workers in [2, 3, 40] {
            assert_eq!(
                run_jobs(&conn, &plain(&queries), &mut Cache::default(), workers).unwrap(),
                one,
                "{workers} workers"
            );
        }
        // with two failures, the first in order is the one reported,
        // whichever runs first
        queries.insert("b_bad".into(), spec("b_bad", "select * from missing_b", 3));
        queries.insert("p_bad".into(), spec("p_bad", "select * from missing_p", 4));
        for _ in 0..10 {
            let err = run_jobs(&conn, &plain(&queries), &mut Cache::default(), 2).unwrap_err().to_string();
            assert!(err.contains("query `b_bad` failed"), "{err}");
        }
    }

    #[test]
    fn shared_queries_read_the_generating_rows_and_follow_them() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.json");
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let source = spec("g", "select * from (values ('a', 1), ('b', 2), ('b', 3)) v(k, x)", 1);
        let whole = spec("s", "select k, sum(x) as total from g group by k order by k", 5);
        for workers in [1, 2] {
            let jobs = [Job::shared(&whole, "tag:s".into(), &source), Job::plain(&spec("o", "select 1 as n", 2))];
            let tables = run_jobs(&conn, &jobs, &mut Cache::default(), workers).unwrap();
            assert_eq!(
                tables["tag:s"].rows,
                vec![vec![Value::Text("a".into()), Value::Int(1)], vec![Value::Text("b".into()), Value::Int(5)]]
            );
        }
        let mut cache = Cache::load(&path, "k");
        run_jobs(&conn, &[Job::shared(&whole, "tag:s".into(), &source)], &mut cache, 1).unwrap();
        cache.save(&path).unwrap();
        // the generating query changed, the shared one did not: it runs again
        let changed = spec("g", "select * from (values ('c', 7)) v(k, x)", 1);
        let mut cache = Cache::load(&path, "k");
        let tables = run_jobs(&conn, &[Job::shared(&whole, "tag:s".into(), &changed)], &mut cache, 1).unwrap();
        assert_eq!(cache.hits, 0);
        assert_eq!(tables["tag:s"].rows, vec![vec![Value::Text("c".into()), Value::Int(7)]]);
    }

    #[test]
    fn a_failing_shared_query_is_reported_first() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let g = spec("g", "select 1 as k", 2);
        let jobs = [
            Job::shared(&spec("s", "select * from nowhere_s", 9), "t:s".into(), &g),
            Job::plain(&spec("a_bad", "select * from nowhere_a", 1)),
        ];
        for workers in [1, 2] {
            let err = run_jobs(&conn, &jobs, &mut Cache::default(), workers).unwrap_err().to_string();
            assert!(err.contains("p.md:9:1") && err.contains("nowhere_s"), "{workers} workers: {err}");
        }
    }
}
