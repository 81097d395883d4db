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

mod board;
mod cache;
mod pairs;
mod parse;

use board::Board;
pub use board::Gates;
pub use cache::Cache;
pub use pairs::read_pairs;
pub use parse::{Parsed, parse, parse_one};

use crate::error::{Location, SourceError};
use crate::ingest::files::identifier;
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

/// Stores `table` as `models.NAME` (replacing it), for the queries that read it.
pub fn load_model_table(conn: &duckdb::Connection, name: &str, table: &Table) -> anyhow::Result<()> {
    let fail = |e: duckdb::Error| anyhow::anyhow!("cannot store the table of model `{name}`: {e}");
    let types: Vec<&str> = table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let values = || table.rows.iter().map(|r| &r[i]).filter(|v| !matches!(v, Value::Null));
            match c.kind {
                ColumnType::Number if values().all(|v| matches!(v, Value::Int(_))) => "BIGINT",
                ColumnType::Number => "DOUBLE",
                ColumnType::Date => "DATE",
                ColumnType::Text if values().next().is_some() && values().all(|v| matches!(v, Value::Bool(_))) => {
                    "BOOLEAN"
                }
                ColumnType::Text => "VARCHAR",
            }
        })
        .collect();
    let columns: Vec<String> =
        table.columns.iter().zip(&types).map(|(c, ty)| format!("{} {ty}", identifier(&c.name))).collect();
    let quoted = identifier(name);
    conn.execute_batch(&format!("CREATE OR REPLACE TABLE models.main.{quoted} ({})", columns.join(", ")))
        .map_err(fail)?;
    let mut app = conn.appender_to_catalog_and_db(name, "models", "main").map_err(fail)?;
    // as Arrow columns when every value is of its column's type (thousands
    // of rows, for a clustering's items), else row by row, DuckDB casting
    match arrow_columns(table, &types) {
        Some(batch) if !table.rows.is_empty() => app.append_record_batch(batch).map_err(fail)?,
        _ => {
            for row in &table.rows {
                app.append_row(duckdb::appender_params_from_iter(row.iter().map(Param))).map_err(fail)?;
            }
        }
    }
    app.flush().map_err(fail)
}

/// `table` as one Arrow batch of the SQL `types`, if every value is of its
/// column's type (or NULL; whole numbers in a `DOUBLE` column too).
fn arrow_columns(table: &Table, types: &[&str]) -> Option<duckdb::arrow::record_batch::RecordBatch> {
    use duckdb::arrow::array::{BooleanArray, Date32Array, Float64Array, Int64Array, StringArray};
    use duckdb::arrow::datatypes::{DataType, Field, Schema};
    let mut arrays = Vec::with_capacity(types.len());
    let mut fields = Vec::with_capacity(types.len());
    for (i, ty) in types.iter().enumerate() {
        let (array, data_type) = match *ty {
            "BIGINT" => (
                arrow_column::<Int64Array, _>(table, i, |v| if let Value::Int(n) = v { Some(*n) } else { None })?,
                DataType::Int64,
            ),
            "DOUBLE" => (arrow_column::<Float64Array, _>(table, i, Value::as_f64)?, DataType::Float64),
            "DATE" => (
                arrow_column::<Date32Array, _>(table, i, |v| match v {
                    Value::Date(d) => Some(crate::table::days_from_1970(*d)),
                    _ => None,
                })?,
                DataType::Date32,
            ),
            "BOOLEAN" => (
                arrow_column::<BooleanArray, _>(table, i, |v| if let Value::Bool(b) = v { Some(*b) } else { None })?,
                DataType::Boolean,
            ),
            _ => {
                (
                    arrow_column::<StringArray, _>(table, i, |v| {
                        if let Value::Text(s) = v { Some(s.as_str()) } else { None }
                    })?,
                    DataType::Utf8,
                )
            }
        };
        arrays.push(array);
        fields.push(Field::new(format!("c{i}"), data_type, true));
    }
    duckdb::arrow::record_batch::RecordBatch::try_new(std::sync::Arc::new(Schema::new(fields)), arrays).ok()
}

/// Column `i` of `table` as an Arrow array: `pick` gives each value that
/// is not NULL, or `None` when it is not of the array's type.
fn arrow_column<'t, A, T>(
    table: &'t Table,
    i: usize,
    pick: impl Fn(&'t Value) -> Option<T>,
) -> Option<duckdb::arrow::array::ArrayRef>
where
    A: FromIterator<Option<T>> + duckdb::arrow::array::Array + 'static,
{
    let array: A = table
        .rows
        .iter()
        .map(|r| match &r[i] {
            Value::Null => Some(None),
            v => pick(v).map(Some),
        })
        .collect::<Option<A>>()?;
    Some(std::sync::Arc::new(array))
}

/// A list of text values bound to one parameter.
pub(crate) struct ListParam<'a>(pub(crate) &'a [Value]);

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
/// next job as it finishes one (so the jobs given first start first; a
/// job waiting for its generating query's rows lets the next go ahead, see
/// `query/board.rs`). Each generating query runs once. After a failure no job
/// after it starts, and the error returned is the failed job that comes
/// first in `jobs` (all those before it have run), so the outcome does not
/// depend on timing. Results are named as their jobs.
pub fn run_jobs(
    conn: &duckdb::Connection,
    jobs: &[Job],
    cache: &mut Cache,
    workers: usize,
) -> anyhow::Result<BTreeMap<String, Table>> {
    run_jobs_then(conn, jobs, cache, workers, &Gates::none(), &|_, _, _| Vec::new())
}

/// What [`run_jobs_then`] calls with each result computed (not taken from
/// the cache), on the connection that ran it: the gates its outcome opens
/// (`true`) or fails (`false`).
pub type OnDone<'a> = dyn Fn(&duckdb::Connection, &str, &Table) -> Vec<(usize, bool)> + Sync + 'a;

/// [`run_jobs`], with jobs that wait for `gates`, handing each result that
/// was computed to `on_done` as soon as its query has run, on the
/// connection that ran it: a model is fitted on its data while the other
/// queries run, and the queries that read it start once it is. A job
/// behind a gate that failed does not run and has no result.
pub fn run_jobs_then(
    conn: &duckdb::Connection,
    jobs: &[Job],
    cache: &mut Cache,
    workers: usize,
    gates: &Gates,
    on_done: &OnDone<'_>,
) -> anyhow::Result<BTreeMap<String, Table>> {
    let todo: Vec<&Job> = jobs.iter().filter(|j| !cache.has(j)).collect();
    if todo.iter().any(|j| j.setup.is_some()) {
        conn.execute_batch(&format!(
            "ATTACH IF NOT EXISTS ':memory:' AS models; CREATE SCHEMA IF NOT EXISTS {}",
            board::SCHEMA
        ))
        .map_err(|e| anyhow::anyhow!("cannot make room for the generating queries' rows: {e}"))?;
    }
    let board = Board::new(&todo, jobs, gates);
    let work = |conn: &duckdb::Connection| {
        let mut done: Vec<(usize, anyhow::Result<Table>)> = Vec::new();
        let mut copied: Option<&str> = None;
        while let Some(next) = board.take() {
            let job = todo[next.index];
            let result = (|| -> anyhow::Result<Table> {
                let mut spec = std::borrow::Cow::Borrowed(&job.spec);
                if let Some(source) = next.source {
                    let rows = format!("{}.{}", board::SCHEMA, identifier(&source.name));
                    if next.make {
                        let making = board::Making::new(&board, &source.name);
                        let sql = format!("CREATE OR REPLACE TABLE {rows} AS {}", source.sql);
                        let made = conn
                            .execute(&sql, duckdb::params_from_iter(source.params.iter().map(Param)))
                            .map(|_| ())
                            .map_err(|e| e.to_string());
                        making.finish(made.clone());
                        made.map_err(|m| sql_error(source, &m))?;
                    } else if let Some(message) = board.failure(&source.name) {
                        return Err(sql_error(source, &message).into());
                    }
                    if next.is_source {
                        // its result is the rows made, in their order
                        spec = std::borrow::Cow::Owned(QuerySpec {
                            sql: format!("SELECT * FROM {rows}"),
                            params: Vec::new(),
                            ..job.spec.clone()
                        });
                    } else if copied != Some(source.name.as_str()) {
                        let sql = format!(
                            "CREATE OR REPLACE TEMP TABLE {} AS SELECT * FROM {rows}",
                            identifier(&source.name)
                        );
                        conn.execute_batch(&sql).map_err(|e| sql_error(source, &e.to_string()))?;
                        copied = Some(source.name.as_str());
                    }
                }
                let started = std::time::Instant::now();
                let table = run(conn, &spec)?;
                let ms = started.elapsed().as_millis() as u64;
                tracing::debug!(query = %job.spec.name, rows = table.rows.len(), ms, "query ran");
                Ok(table)
            })();
            let opened = match &result {
                Ok(table) => on_done(conn, &job.spec.name, table),
                Err(_) => Vec::new(),
            };
            board.done(next.index, result.is_err(), &opened);
            done.push((next.index, result));
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
                cache.keep(job, &table)?;
                table
            }
            None if cache.has(job) => cache.reuse(job)?,
            // behind a gate that failed
            None => continue,
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
mod tests;
