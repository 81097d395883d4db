//! Query: collects the named SQL blocks of all pages, checks that each name
//! means one query, and runs every query once against the DuckDB file,
//! returning owned [`Table`]s. Queries run on several connections at once
//! ([`run_all`]), so that one query's single-threaded phases do not leave a
//! core idle; the queries shared by generated pages run with them, first
//! ([`run_first`]). The connection is closed when this stage ends,
//! so later stages work on plain data.

use crate::error::{Location, SourceError};
use crate::table::{Column, ColumnType, Table, Value};
use chrono::NaiveDate;
use duckdb::types::ValueRef;
use std::collections::BTreeMap;

/// A named SQL query and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySpec {
    /// The query name; also the CSV download's file name.
    pub name: String,
    /// The SQL text.
    pub sql: String,
    /// The first line of the SQL in its page.
    pub defined_at: Location,
    /// For `sql NAME by COLUMN` in a template: the query runs once for all
    /// generated pages, and each page gets its rows.
    pub by: Option<Shared>,
}

/// A query shared by the pages generated from one template
/// (`sql NAME by COLUMN`): it runs once, and each page receives the rows
/// whose `column` holds its own row's value, without that column.
#[derive(Debug, Clone, PartialEq)]
pub struct Shared {
    /// The query's name in the template (pages see it renamed `NAME__SLUG`).
    pub name: String,
    /// The column that says which page a row belongs to; the generating
    /// query's rows have a column of the same name.
    pub column: String,
    /// This page's value of `column` (set when the page is generated).
    pub value: String,
    /// The query whose rows generate the pages (set when the page is generated).
    pub rows_from: String,
}

/// Deduplicates queries by name. The same name with the same SQL (ignoring
/// whitespace) is one query; with different SQL it is an error at the second
/// definition that names the first.
pub fn collect<'a>(specs: impl IntoIterator<Item = &'a QuerySpec>) -> Result<BTreeMap<String, QuerySpec>, SourceError> {
    let mut all: BTreeMap<String, QuerySpec> = BTreeMap::new();
    for spec in specs {
        match all.get(&spec.name) {
            Some(first) if normalize(&first.sql) != normalize(&spec.sql) => {
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

/// Results of earlier builds, reused while the data (`key`: the inputs'
/// hashes and the generator version) and a query's exact SQL are unchanged,
/// so a rebuild with unchanged data runs no query at all. Kept in a JSON file
/// beside the database; any problem reading it just means an empty cache.
#[derive(Debug, Default)]
pub struct Cache {
    key: String,
    old: BTreeMap<String, (String, Table)>,
    new: BTreeMap<String, (String, Table)>,
    /// Queries answered from the cache in this build.
    pub hits: usize,
}

impl Cache {
    /// The cache at `path` if it was written for `key`, else an empty one.
    pub fn load(path: &std::path::Path, key: &str) -> Cache {
        let mut cache = Cache { key: key.to_string(), ..Cache::default() };
        let Ok(text) = std::fs::read_to_string(path) else { return cache };
        let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else { return cache };
        if json["key"].as_str() != Some(key) {
            return cache;
        }
        if let Some(entries) = json["entries"].as_object() {
            for (name, e) in entries {
                if let (Some(sql), Some(table)) = (e["sql"].as_str(), table_from_json(&e["table"])) {
                    cache.old.insert(name.clone(), (sql.to_string(), table));
                }
            }
        }
        cache
    }

    /// Whether the result of `spec` is cached (same name, same SQL).
    pub fn has(&self, spec: &QuerySpec) -> bool {
        self.old.get(&spec.name).is_some_and(|(sql, _)| *sql == spec.sql)
    }

    /// Writes the entries used in this build (a new file, renamed into place).
    pub fn save(&self, path: &std::path::Path) -> anyhow::Result<()> {
        use anyhow::Context;
        let entries: serde_json::Map<String, serde_json::Value> = self
            .new
            .iter()
            .filter_map(|(n, (sql, t))| {
                table_to_json(t).map(|t| (n.clone(), serde_json::json!({ "sql": sql, "table": t })))
            })
            .collect();
        let text = serde_json::json!({ "key": self.key, "entries": entries }).to_string();
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        std::fs::write(&tmp, text).with_context(|| format!("cannot write `{}`", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write `{}`", path.display()))
    }
}

fn table_to_json(t: &Table) -> Option<serde_json::Value> {
    use serde_json::json;
    let columns: Vec<serde_json::Value> = t
        .columns
        .iter()
        .map(|c| {
            let kind = match c.kind {
                ColumnType::Number => "n",
                ColumnType::Text => "t",
                ColumnType::Date => "d",
            };
            json!([c.name, kind])
        })
        .collect();
    let mut rows = Vec::with_capacity(t.rows.len());
    for r in &t.rows {
        let mut cells = Vec::with_capacity(r.len());
        for v in r {
            cells.push(match v {
                Value::Null => json!(null),
                Value::Bool(b) => json!({ "b": b }),
                Value::Int(i) => json!({ "i": i }),
                // JSON has no NaN or infinity: such a table is not cached
                Value::Float(f) if !f.is_finite() => return None,
                Value::Float(f) => json!({ "f": f }),
                Value::Text(s) => json!({ "t": s }),
                Value::Date(d) => json!({ "d": d.format("%Y-%m-%d").to_string() }),
            });
        }
        rows.push(serde_json::Value::Array(cells));
    }
    Some(json!({ "columns": columns, "rows": rows }))
}

fn table_from_json(v: &serde_json::Value) -> Option<Table> {
    let columns = v["columns"]
        .as_array()?
        .iter()
        .map(|c| {
            let kind = match c[1].as_str()? {
                "n" => ColumnType::Number,
                "d" => ColumnType::Date,
                _ => ColumnType::Text,
            };
            Some(Column { name: c[0].as_str()?.to_string(), kind })
        })
        .collect::<Option<Vec<_>>>()?;
    let rows = v["rows"]
        .as_array()?
        .iter()
        .map(|r| {
            r.as_array()?
                .iter()
                .map(|c| {
                    if c.is_null() {
                        return Some(Value::Null);
                    }
                    let (k, x) = c.as_object()?.iter().next()?;
                    Some(match k.as_str() {
                        "b" => Value::Bool(x.as_bool()?),
                        "i" => Value::Int(x.as_i64()?),
                        "f" => Value::Float(x.as_f64()?),
                        "t" => Value::Text(x.as_str()?.to_string()),
                        "d" => Value::Date(NaiveDate::parse_from_str(x.as_str()?, "%Y-%m-%d").ok()?),
                        _ => return None,
                    })
                })
                .collect::<Option<Vec<_>>>()
        })
        .collect::<Option<Vec<_>>>()?;
    Some(Table { columns, rows })
}

/// DuckDB's threads for running `queries` queries on `workers` connections
/// at once ([`run_all`]). With many more queries than connections, one
/// thread each: the connections keep the cores busy, and a query on one
/// thread does not pay for splitting its work and merging the parts (about
/// a tenth of the queries' CPU time on the default report). With few, each
/// query may use `workers` threads.
pub fn duckdb_threads(queries: usize, workers: usize) -> usize {
    if workers > 1 && queries >= 2 * workers { 1 } else { workers.max(1) }
}

/// Runs every query, or takes its result from `cache`. Queries run on up to
/// `workers` connections to the database at once (each also uses DuckDB's
/// own threads); if some fail, the error reported is the first in name
/// order, as if they had run one after the other.
pub fn run_all(
    conn: &duckdb::Connection,
    queries: &BTreeMap<String, QuerySpec>,
    cache: &mut Cache,
    workers: usize,
) -> anyhow::Result<BTreeMap<String, Table>> {
    Ok(run_first(conn, queries, &[], cache, workers)?.0)
}

/// A query shared by the pages generated from one template, as it runs:
/// once, named `ROWS_FROM:NAME`, on a connection where the generating
/// query's rows were made a temporary table of its name.
#[derive(Debug, Clone)]
pub struct SharedRun {
    whole: QuerySpec,
    setup: String,
    source: QuerySpec,
}

impl SharedRun {
    /// The run of `spec` (named `name` in its template), shared by the pages
    /// generated from the rows of `source`.
    pub fn new(spec: &QuerySpec, name: &str, source: &QuerySpec) -> SharedRun {
        SharedRun {
            whole: QuerySpec { name: format!("{}:{name}", source.name), by: None, ..spec.clone() },
            setup: format!("CREATE OR REPLACE TEMP TABLE \"{}\" AS {}", source.name, source.sql),
            source: source.clone(),
        }
    }

    /// The query as it runs, named `ROWS_FROM:NAME`.
    pub fn spec(&self) -> &QuerySpec {
        &self.whole
    }

    /// Whether both run the same SQL (ignoring whitespace).
    pub fn same_sql(&self, other: &SharedRun) -> bool {
        normalize(&self.whole.sql) == normalize(&other.whole.sql) && self.setup == other.setup
    }

    fn job(&self) -> Job<'_> {
        Job { spec: &self.whole, setup: Some((self.setup.clone(), &self.source)) }
    }
}

/// Results of shared queries run before their pages were generated
/// ([`run_first`]), by name, with the SQL they ran.
#[derive(Debug, Default)]
pub struct Ahead(BTreeMap<String, (String, Table)>);

impl Ahead {
    /// The result of `whole` if it ran ahead with the same SQL.
    fn take(&mut self, whole: &QuerySpec) -> Option<Table> {
        match self.0.remove(&whole.name) {
            Some((sql, table)) if normalize(&sql) == normalize(&whole.sql) => Some(table),
            _ => None,
        }
    }
}

/// Runs every query as [`run_all`] does, together with the shared queries
/// of generated pages whose SQL is known before the pages are (`ahead`),
/// for [`run_shared`]. These start first: each covers every page of its
/// template, so they are usually the longest, and a long query started last
/// would leave the other connections idle while it ends. A failure is
/// reported as if they ran first, then the others in name order.
pub fn run_first(
    conn: &duckdb::Connection,
    queries: &BTreeMap<String, QuerySpec>,
    ahead: &[SharedRun],
    cache: &mut Cache,
    workers: usize,
) -> anyhow::Result<(BTreeMap<String, Table>, Ahead)> {
    let mut jobs: Vec<Job<'_>> = ahead.iter().filter(|s| !cache.has(&s.whole)).map(SharedRun::job).collect();
    jobs.extend(queries.values().filter(|spec| !cache.has(spec)).map(|spec| Job { spec, setup: None }));
    let mut ran = run_jobs(conn, &jobs, workers)?;
    let mut shared = Ahead::default();
    for s in ahead {
        if let Some(table) = ran.remove(&s.whole.name) {
            shared.0.insert(s.whole.name.clone(), (s.whole.sql.clone(), table));
        }
    }
    let mut tables = BTreeMap::new();
    for (name, spec) in queries {
        let table = match ran.remove(name) {
            Some(table) => table,
            None => {
                cache.hits += 1;
                cache.old.get(name).map(|(_, t)| t.clone()).unwrap_or_default()
            }
        };
        cache.new.insert(name.clone(), (spec.sql.clone(), table.clone()));
        tables.insert(name.clone(), table);
    }
    Ok((tables, shared))
}

/// A query to run, and the statement that must have run before it on the
/// same connection (a generating query's rows made a temporary table).
struct Job<'q> {
    spec: &'q QuerySpec,
    setup: Option<(String, &'q QuerySpec)>,
}

/// Runs `jobs` on `conn` and up to `workers - 1` more connections to the
/// same database, each taking the next job as it finishes one. After a
/// failure no new job starts, and the error returned is the failed job that
/// comes first in `jobs` (all those before it have run), so the outcome does
/// not depend on timing.
fn run_jobs(conn: &duckdb::Connection, jobs: &[Job<'_>], workers: usize) -> anyhow::Result<BTreeMap<String, Table>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = |conn: &duckdb::Connection| {
        let mut done: Vec<(usize, anyhow::Result<Table>)> = Vec::new();
        let mut prepared: Option<&str> = None;
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            let result = (|| -> anyhow::Result<Table> {
                if let Some((sql, source)) = &job.setup
                    && prepared != Some(sql.as_str())
                {
                    conn.execute_batch(sql).map_err(|e| sql_error(source, &e.to_string()))?;
                    prepared = Some(sql.as_str());
                }
                let started = std::time::Instant::now();
                let table = run(conn, job.spec)?;
                let ms = started.elapsed().as_millis() as u64;
                tracing::debug!(query = %job.spec.name, rows = table.rows.len(), ms, "query ran");
                Ok(table)
            })();
            if result.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            done.push((i, result));
        }
        done
    };
    let extra = workers.clamp(1, jobs.len().max(1)) - 1;
    let mut done = std::thread::scope(|scope| -> anyhow::Result<Vec<(usize, anyhow::Result<Table>)>> {
        let mut handles = Vec::with_capacity(extra);
        for _ in 0..extra {
            let other = conn.try_clone().map_err(|e| anyhow::anyhow!("cannot open another connection: {e}"))?;
            handles.push(scope.spawn(move || work(&other)));
        }
        let mut done = work(conn);
        for h in handles {
            done.extend(h.join().map_err(|_| anyhow::anyhow!("a query runner stopped"))?);
        }
        Ok(done)
    })?;
    done.sort_by_key(|(i, _)| *i);
    let mut tables = BTreeMap::new();
    for (i, result) in done {
        tables.insert(jobs[i].spec.name.clone(), result?);
    }
    Ok(tables)
}

/// Runs the queries shared by generated pages (`sql NAME by COLUMN`): each
/// once, with the generating query's rows readable as a table of its name,
/// then hands each page the rows whose `COLUMN` holds its value, without
/// that column. `specs` are the pages' renamed queries; `sources` holds the
/// generating queries; `ahead` holds those that already ran ([`run_first`]).
pub fn run_shared(
    conn: &duckdb::Connection,
    specs: &BTreeMap<String, QuerySpec>,
    sources: &BTreeMap<String, QuerySpec>,
    mut ahead: Ahead,
    cache: &mut Cache,
    workers: usize,
) -> anyhow::Result<BTreeMap<String, Table>> {
    let mut groups: BTreeMap<(&str, &str), Vec<&QuerySpec>> = BTreeMap::new();
    for spec in specs.values() {
        if let Some(shared) = &spec.by {
            groups.entry((shared.rows_from.as_str(), shared.name.as_str())).or_default().push(spec);
        }
    }
    // each group's query, run once for all its pages
    let mut wholes = Vec::new();
    for ((rows_from, name), pages) in &groups {
        let Some(first) = pages.first() else { continue };
        let Some(shared) = &first.by else { continue };
        if let Some(other) = pages.iter().find(|p| normalize(&p.sql) != normalize(&first.sql)) {
            return Err(SourceError::new(
                other.defined_at.clone(),
                format!(
                    "query `{name}` (by {}) runs once for all pages, so its SQL cannot depend on `{{{{ row.COLUMN }}}}`",
                    shared.column
                ),
            )
            .into());
        }
        let source = sources.get(*rows_from).ok_or_else(|| anyhow::anyhow!("unknown query `{rows_from}`"))?;
        let run = SharedRun::new(first, name, source);
        let done = ahead.take(&run.whole);
        wholes.push((run, done, shared, pages));
    }
    let jobs: Vec<Job<'_>> = wholes
        .iter()
        .filter(|(run, done, ..)| done.is_none() && !cache.has(&run.whole))
        .map(|(run, ..)| run.job())
        .collect();
    let mut ran = run_jobs(conn, &jobs, workers)?;
    let mut tables = BTreeMap::new();
    for (run, done, shared, pages) in wholes {
        let whole = &run.whole;
        let result = match done.or_else(|| ran.remove(&whole.name)) {
            Some(table) => table,
            None => {
                cache.hits += 1;
                cache.old.get(&whole.name).map(|(_, t)| t.clone()).unwrap_or_default()
            }
        };
        cache.new.insert(whole.name.clone(), (whole.sql.clone(), result.clone()));
        let key = result.column_index(&shared.column).ok_or_else(|| {
            SourceError::new(
                whole.defined_at.clone(),
                format!(
                    "query `{}` has no column `{}` to give each page its rows (columns: {})",
                    shared.name,
                    shared.column,
                    result.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        for page in pages.iter() {
            let value = page.by.as_ref().map_or("", |b| b.value.as_str());
            let mut columns = result.columns.clone();
            columns.remove(key);
            let rows = result
                .rows
                .iter()
                // the same text `{{ row.COLUMN }}` gives the page (empty for NULL)
                .filter(|r| r[key].to_csv_field() == value)
                .map(|r| r.iter().enumerate().filter(|(i, _)| *i != key).map(|(_, v)| v.clone()).collect())
                .collect();
            tables.insert(page.name.clone(), Table { columns, rows });
        }
    }
    Ok(tables)
}

/// Runs one query on an open connection.
pub fn run(conn: &duckdb::Connection, spec: &QuerySpec) -> Result<Table, SourceError> {
    let fail = |e: duckdb::Error| sql_error(spec, &e.to_string());
    let mut stmt = conn.prepare(&spec.sql).map_err(fail)?;
    let mut rows = stmt.query([]).map_err(fail)?;
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
    SourceError::new(location, format!("query `{}` failed: {first}", spec.name))
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

/// The date `days` after 1970-01-01.
pub fn date_from_days(days: i32) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::days(days.into())))
        .ok_or_else(|| format!("date {days} days from 1970-01-01 is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn spec(name: &str, sql: &str, line: usize) -> QuerySpec {
        QuerySpec {
            name: name.into(),
            sql: sql.into(),
            defined_at: Location { path: PathBuf::from("p.md"), line, column: 1 },
            by: None,
        }
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
        let first = run_all(&conn, &queries, &mut cache, 2).unwrap();
        assert_eq!(cache.hits, 0);
        cache.save(&path).unwrap();
        let mut again = Cache::load(&path, "k1");
        assert_eq!(run_all(&conn, &queries, &mut again, 2).unwrap(), first);
        assert_eq!(again.hits, 1);
        // other data, or other SQL: run again
        let mut other = Cache::load(&path, "k2");
        run_all(&conn, &queries, &mut other, 2).unwrap();
        assert_eq!(other.hits, 0);
        let changed: BTreeMap<String, QuerySpec> = [("q".to_string(), spec("q", "select 1 as f", 1))].into();
        let mut stale = Cache::load(&path, "k1");
        assert_eq!(run_all(&conn, &changed, &mut stale, 2).unwrap()["q"].rows[0][0], Value::Int(1));
        assert_eq!(stale.hits, 0);
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
        let fresh = run_all(&conn, &queries, &mut cache, 2).unwrap();
        cache.save(&path).unwrap();
        let mut again = Cache::load(&path, "k");
        let cached = run_all(&conn, &queries, &mut again, 2).unwrap();
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
    fn empty_results_keep_their_columns() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let t = run(&conn, &spec("q", "select 1 as n, 'a' as s where false", 1)).unwrap();
        assert!(t.rows.is_empty());
        assert_eq!(t.column_list(), "n, s");
        assert_eq!(t.columns[0].kind, ColumnType::Number);
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
        let one = run_all(&conn, &queries, &mut Cache::default(), 1).unwrap();
        for workers in [2, 3, 40] {
            assert_eq!(run_all(&conn, &queries, &mut Cache::default(), workers).unwrap(), one, "{workers} workers");
        }
        // with two failures, the first in name order is the one reported,
        // whichever runs first
        queries.insert("b_bad".into(), spec("b_bad", "select * from missing_b", 3));
        queries.insert("p_bad".into(), spec("p_bad", "select * from missing_p", 4));
        for _ in 0..10 {
            let err = run_all(&conn, &queries, &mut Cache::default(), 2).unwrap_err().to_string();
            assert!(err.contains("query `b_bad` failed"), "{err}");
        }
    }

    #[test]
    fn shared_queries_run_at_once_each_read_the_generating_rows() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let mut sources = BTreeMap::new();
        sources.insert("g".to_string(), spec("g", "select * from (values ('a', 1), ('b', 2), ('b', 3)) v(k, x)", 1));
        let mut specs = BTreeMap::new();
        for (shared, sql) in
            [("s", "select k, sum(x) as total from g group by k"), ("u", "select k, count(*) as n from g group by k")]
        {
            for value in ["a", "b"] {
                let mut q = spec(&format!("{shared}__{value}"), sql, 5);
                q.by = Some(Shared {
                    name: shared.into(),
                    column: "k".into(),
                    value: value.into(),
                    rows_from: "g".into(),
                });
                specs.insert(q.name.clone(), q);
            }
        }
        for workers in [1, 2] {
            let tables = run_shared(&conn, &specs, &sources, Ahead::default(), &mut Cache::default(), workers).unwrap();
            let rows = |name: &str| tables[name].rows.clone();
            assert_eq!(rows("s__a"), vec![vec![Value::Int(1)]], "{workers} workers");
            assert_eq!(rows("s__b"), vec![vec![Value::Int(5)]], "{workers} workers");
            assert_eq!(rows("u__b"), vec![vec![Value::Int(2)]], "{workers} workers");
        }
    }

    #[test]
    fn shared_queries_run_ahead_are_not_run_again() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch("create table t as select * from (values ('a', 1), ('b', 2)) v(k, x)").unwrap();
        let mut queries = BTreeMap::new();
        queries.insert("g".to_string(), spec("g", "select distinct k from t", 1));
        queries.insert("other".to_string(), spec("other", "select count(*) as n from t", 2));
        let shared_sql = "select g.k, sum(t.x) as total from g join t using (k) group by g.k";
        let mut specs = BTreeMap::new();
        for value in ["a", "b"] {
            let mut q = spec(&format!("s__{value}"), shared_sql, 5);
            q.by = Some(Shared { name: "s".into(), column: "k".into(), value: value.into(), rows_from: "g".into() });
            specs.insert(q.name.clone(), q);
        }
        let run = SharedRun::new(&spec("s", shared_sql, 5), "s", &queries["g"]);
        for workers in [1, 2] {
            let mut cache = Cache::default();
            let (tables, ahead) = run_first(&conn, &queries, std::slice::from_ref(&run), &mut cache, workers).unwrap();
            assert_eq!(tables.keys().collect::<Vec<_>>(), ["g", "other"], "the shared query is not a page's");
            // had it run again, it would see this row
            conn.execute_batch("insert into t values ('a', 100)").unwrap();
            let shared = run_shared(&conn, &specs, &queries, ahead, &mut cache, workers).unwrap();
            assert_eq!(shared["s__a"].rows, vec![vec![Value::Int(1)]], "{workers} workers");
            assert_eq!(shared["s__b"].rows, vec![vec![Value::Int(2)]], "{workers} workers");
            assert!(cache.new.contains_key("g:s"), "its result is kept for the next build");
            // without the result ahead, it runs
            let again = run_shared(&conn, &specs, &queries, Ahead::default(), &mut Cache::default(), workers).unwrap();
            assert_eq!(again["s__a"].rows, vec![vec![Value::Int(101)]], "{workers} workers");
            conn.execute_batch("delete from t where x = 100").unwrap();
        }
        // a result ahead for other SQL is not used
        let (_, ahead) = run_first(&conn, &queries, &[run], &mut Cache::default(), 1).unwrap();
        let mut changed = specs.clone();
        for q in changed.values_mut() {
            q.sql = format!("{shared_sql} having sum(t.x) > 1");
        }
        let tables = run_shared(&conn, &changed, &queries, ahead, &mut Cache::default(), 1).unwrap();
        assert!(tables["s__a"].rows.is_empty());
    }

    #[test]
    fn a_failing_shared_query_run_ahead_is_reported_first() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        let mut queries = BTreeMap::new();
        queries.insert("a_bad".to_string(), spec("a_bad", "select * from nowhere_a", 1));
        queries.insert("g".to_string(), spec("g", "select 1 as k", 2));
        let run = SharedRun::new(&spec("s", "select * from nowhere_s", 9), "s", &queries["g"]);
        for workers in [1, 2] {
            let err = run_first(&conn, &queries, std::slice::from_ref(&run), &mut Cache::default(), workers)
                .unwrap_err()
                .to_string();
            assert!(err.contains("p.md:9:1") && err.contains("nowhere_s"), "{workers} workers: {err}");
        }
    }
}
