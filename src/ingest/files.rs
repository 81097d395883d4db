//! DuckDB's own readers for sources that are not Food.com files: CSV and
//! TSV (`read_csv`), Parquet (`read_parquet`), JSON (`read_json`), each into
//! a table named after its source; a DuckDB database is attached at query
//! time instead ([`crate::ingest::attach`]).
//!
//! Every declared option and type is checked against DuckDB itself before
//! anything is read: an option must be a named parameter of the reader and
//! its value of the parameter's kind, a type must be one DuckDB knows; each
//! mistake is an error at its place in `site.toml`. Values go into the SQL
//! as literals and names as quoted identifiers, never as text of their own.
//!
//! For CSV and TSV, DuckDB stores the rows it cannot read or cast in its
//! reject tables (`store_rejects`); each such row goes to `quarantine` with
//! its file, line, column, reason and raw line, and is counted, so that
//! `rows_read = rows_kept + rows_quarantined` per file. Parquet and JSON
//! files that cannot be read fail the build, naming the file and the reason.

use crate::error::SourceError;
use crate::ingest::Made;
use crate::ingest::inputs::{Dataset, SourceFiles, hash_file};
use crate::ingest::progress::Progress;
use crate::sources::{Format, OptionValue, Reader, Source};
use anyhow::Context;
use std::collections::BTreeMap;
use std::time::Instant;

/// A name as a quoted SQL identifier: `"a ""b"""`.
pub fn identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Text as an SQL string literal: `'it''s'`. A NUL byte cannot be in SQL text.
pub fn sql_string(text: &str) -> anyhow::Result<String> {
    anyhow::ensure!(!text.contains('\0'), "`{}` holds a NUL byte", text.replace('\0', "\\0"));
    Ok(format!("'{}'", text.replace('\'', "''")))
}

/// An option's value as an SQL literal.
fn literal(v: &OptionValue) -> anyhow::Result<String> {
    Ok(match v {
        OptionValue::Bool(b) => b.to_string(),
        OptionValue::Int(i) => i.to_string(),
        OptionValue::Float(f) if f.is_finite() => format!("{f:?}"),
        OptionValue::Float(f) => anyhow::bail!("{f} is not a number an option can take"),
        OptionValue::Text(s) => sql_string(s)?,
        OptionValue::List(items) => {
            format!("[{}]", items.iter().map(literal).collect::<anyhow::Result<Vec<_>>>()?.join(", "))
        }
        OptionValue::Table(t) => format!(
            "{{{}}}",
            t.iter()
                .map(|(k, v)| Ok(format!("{}: {}", sql_string(k)?, literal(v)?)))
                .collect::<anyhow::Result<Vec<_>>>()?
                .join(", ")
        ),
    })
}

/// Whether a value of TOML kind `v` fits a parameter of DuckDB type `ty`.
fn fits(v: &OptionValue, ty: &str) -> bool {
    let ty = ty.to_ascii_uppercase();
    match v {
        _ if ty == "ANY" => true,
        OptionValue::Bool(_) => ty == "BOOLEAN",
        OptionValue::Int(_) => {
            matches!(
                ty.as_str(),
                "BIGINT"
                    | "INTEGER"
                    | "SMALLINT"
                    | "TINYINT"
                    | "UBIGINT"
                    | "UINTEGER"
                    | "USMALLINT"
                    | "UTINYINT"
                    | "HUGEINT"
                    | "DOUBLE"
                    | "FLOAT"
                    | "DECIMAL"
            )
        }
        OptionValue::Float(_) => matches!(ty.as_str(), "DOUBLE" | "FLOAT" | "DECIMAL"),
        OptionValue::Text(_) => ty == "VARCHAR",
        OptionValue::List(items) => ty.ends_with("[]") && items.iter().all(|i| fits(i, ty.trim_end_matches("[]"))),
        OptionValue::Table(_) => ty.starts_with("STRUCT") || ty.starts_with("MAP"),
    }
}

/// The word for a DuckDB parameter type, for messages.
fn kind_of(ty: &str) -> &'static str {
    match ty.to_ascii_uppercase().as_str() {
        "BOOLEAN" => "a boolean",
        "VARCHAR" => "text",
        "DOUBLE" | "FLOAT" | "DECIMAL" => "a number",
        t if t.ends_with("[]") => "a list",
        t if t.starts_with("STRUCT") || t.starts_with("MAP") => "a table",
        _ => "an integer",
    }
}

/// The named parameters of DuckDB's table function `function`, lowercase, with their types.
fn parameters(conn: &duckdb::Connection, function: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut q = conn
        .prepare(
            "SELECT unnest(parameters) AS p, unnest(parameter_types) AS t FROM duckdb_functions() \
             WHERE function_name = ? AND function_type = 'table'",
        )
        .context("cannot list DuckDB's reader parameters")?;
    let rows = q
        .query_map([function], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .context("cannot list DuckDB's reader parameters")?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (p, t) = row?;
        out.insert(p.to_ascii_lowercase(), t);
    }
    Ok(out)
}

/// Checks a source's options and column types against DuckDB.
fn check(conn: &duckdb::Connection, source: &Source, format: Format) -> anyhow::Result<()> {
    let Some(function) = format.function() else { return Ok(()) };
    let known = parameters(conn, function)?;
    for (key, value) in &source.options {
        let Some(ty) = known.get(&key.value.to_ascii_lowercase()) else {
            let mut names: Vec<&str> = known.keys().map(String::as_str).filter(|n| !n.starts_with("col")).collect();
            names.sort_unstable();
            return Err(SourceError::new(
                key.location.clone(),
                format!(
                    "source `{}`: `{}` is not an option of DuckDB's `{function}` (its options: {})",
                    source.name,
                    key.value,
                    names.join(", ")
                ),
            )
            .into());
        };
        if !fits(&value.value, ty) {
            return Err(SourceError::new(
                value.location.clone(),
                format!(
                    "source `{}`: option `{}` takes {} ({ty}), found {}",
                    source.name,
                    key.value,
                    kind_of(ty),
                    value.value.kind()
                ),
            )
            .into());
        }
        literal(&value.value)
            .map_err(|e| SourceError::new(value.location.clone(), format!("option `{}`: {e}", key.value)))?;
    }
    for (column, ty) in &source.columns {
        // `ty` is made of words, numbers and balanced brackets only
        // (`sources::is_type_text`): inside the cast it can only be a type
        if let Err(e) = conn.execute_batch(&format!("SELECT CAST(NULL AS {})", ty.value)) {
            let message = e.to_string();
            return Err(SourceError::new(
                ty.location.clone(),
                format!(
                    "source `{}`: unknown type `{}` for column `{}` ({})",
                    source.name,
                    ty.value,
                    column.value,
                    message.lines().next().unwrap_or(&message)
                ),
            )
            .into());
        }
    }
    Ok(())
}

/// The rejects tables of one read.
const REJECT_SCANS: &str = "mangetamain_reject_scans";
const REJECT_ERRORS: &str = "mangetamain_reject_errors";

/// Reads one source into its table.
pub fn read(conn: &duckdb::Connection, g: &SourceFiles, progress: &Progress) -> anyhow::Result<Made> {
    let source = &g.source;
    let Reader::DuckDb(format) = source.reader else {
        anyhow::bail!("source `{}` is not read by DuckDB", source.name);
    };
    let started = Instant::now();
    let mut datasets = Vec::new();
    if format == Format::DuckDb {
        // attached at query time; here only checked and accounted for
        let f = &g.files[0];
        let probe = crate::ingest::open(&f.path, true, "256MB", 1).map_err(|e| {
            SourceError::new(
                source.defined_at.clone(),
                format!("source `{}`: `{}` is not a DuckDB database: {}", source.name, f.path.display(), root(&e)),
            )
        })?;
        let rows: i64 = probe
            .query_row("SELECT coalesce(sum(estimated_size), 0)::BIGINT FROM duckdb_tables()", [], |r| r.get(0))
            .unwrap_or(0);
        drop(probe);
        datasets.push(dataset(source, f, rows.max(0) as u64, BTreeMap::new(), 0)?);
        progress.advance(f.bytes, 0);
        tracing::info!(source = %source.name, file = %f.file, rows, "attached (read at query time)");
        return Ok(Made { source: source.name.clone(), datasets, tables: Vec::new(), types: Vec::new() });
    }
    check(conn, source, format)?;
    let function = format.function().unwrap_or("read_csv");
    let csv = matches!(format, Format::Csv | Format::Tsv);
    let paths: Vec<String> =
        g.files.iter().map(|f| sql_string(&f.path.to_string_lossy())).collect::<anyhow::Result<_>>()?;
    let mut args = vec![format!("[{}]", paths.join(", "))];
    let set = |name: &str| source.options.iter().any(|(k, _)| k.value.eq_ignore_ascii_case(name));
    let several = g.files.len() > 1;
    let user_filename = set("filename");
    if several && !user_filename {
        args.push("filename = true".into());
    }
    if csv {
        conn.execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.{REJECT_ERRORS}; DROP TABLE IF EXISTS temp.{REJECT_SCANS};"
        ))
        .context("cannot prepare the reject tables")?;
        args.push(format!("store_rejects = true, rejects_scan = '{REJECT_SCANS}', rejects_table = '{REJECT_ERRORS}'"));
        if format == Format::Tsv && !set("delim") && !set("sep") {
            args.push("delim = '\\t'".into());
        }
        if !source.columns.is_empty() {
            let types: Vec<String> = source
                .columns
                .iter()
                .map(|(c, t)| Ok(format!("{}: {}", sql_string(&c.value)?, sql_string(&t.value)?)))
                .collect::<anyhow::Result<_>>()?;
            args.push(format!("types = {{{}}}", types.join(", ")));
        }
    }
    if format == Format::NdJson && !set("format") {
        args.push("format = 'newline_delimited'".into());
    }
    for (k, v) in &source.options {
        args.push(format!("{} = {}", identifier(&k.value.to_ascii_lowercase()), literal(&v.value)?));
    }
    // Parquet and JSON: the declared types by a cast, which fails on a value that does not fit
    let replace = if csv || source.columns.is_empty() {
        String::new()
    } else {
        let casts: Vec<String> = source
            .columns
            .iter()
            .map(|(c, t)| format!("CAST({} AS {}) AS {}", identifier(&c.value), t.value, identifier(&c.value)))
            .collect();
        format!(" REPLACE ({})", casts.join(", "))
    };
    let scan = format!("SELECT *{replace} FROM {function}({})", args.join(", "));
    let table = identifier(&source.name);
    let staged = format!("{}_staged", source.name);
    let fail = |e: duckdb::Error| {
        let message = e.to_string();
        let files: Vec<&str> = g.files.iter().map(|f| f.file.as_str()).collect();
        anyhow::Error::from(SourceError::new(
            source.defined_at.clone(),
            format!(
                "source `{}`: cannot read `{}`: {}",
                source.name,
                files.join("`, `"),
                message.lines().next().unwrap_or(&message)
            ),
        ))
    };
    if !source.columns.is_empty() {
        check_columns(conn, &scan, source)?;
    }
    let mut kept: BTreeMap<String, u64> = BTreeMap::new();
    if several {
        conn.execute_batch(&format!("CREATE TEMP TABLE {} AS {scan}", identifier(&staged))).map_err(fail)?;
        let exclude = if user_filename { String::new() } else { " EXCLUDE (filename)".to_string() };
        conn.execute_batch(&format!("CREATE TABLE {table} AS SELECT *{exclude} FROM temp.{}", identifier(&staged)))
            .map_err(fail)?;
        let mut q = conn
            .prepare(&format!("SELECT filename, count(*) FROM temp.{} GROUP BY filename", identifier(&staged)))
            .map_err(fail)?;
        let rows = q.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).map_err(fail)?;
        for row in rows {
            let (file, n) = row?;
            kept.insert(file, n.max(0) as u64);
        }
        drop(q);
        conn.execute_batch(&format!("DROP TABLE temp.{}", identifier(&staged))).map_err(fail)?;
    } else {
        conn.execute_batch(&format!("CREATE TABLE {table} AS {scan}")).map_err(fail)?;
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).map_err(fail)?;
        kept.insert(g.files[0].path.to_string_lossy().into_owned(), n.max(0) as u64);
    }
    let rejects = if csv { quarantine(conn, g)? } else { BTreeMap::new() };
    for f in &g.files {
        let path = f.path.to_string_lossy().into_owned();
        let rejected = rejects.get(&path).cloned().unwrap_or_default();
        let d = dataset(source, f, kept.get(&path).copied().unwrap_or(0), rejected.reasons, rejected.rows)?;
        if d.rows_read == 0 {
            tracing::warn!(file = %d.file, source = %source.name, "the file has no rows");
        }
        progress.advance(f.bytes, d.rows_read);
        datasets.push(d);
    }
    let rows: u64 = datasets.iter().map(|d| d.rows_kept).sum();
    let quarantined: u64 = datasets.iter().map(|d| d.rows_quarantined).sum();
    tracing::info!(
        source = %source.name,
        files = g.files.len(),
        rows,
        quarantined,
        seconds = format!("{:.2}", started.elapsed().as_secs_f64()),
        "ingested"
    );
    Ok(Made { source: source.name.clone(), datasets, tables: vec![source.name.clone()], types: Vec::new() })
}

/// Fails when a declared column is not in the data, naming the ones that are.
fn check_columns(conn: &duckdb::Connection, scan: &str, source: &Source) -> anyhow::Result<()> {
    let mut q = match conn.prepare(&format!("DESCRIBE {scan}")) {
        Ok(q) => q,
        // the read itself reports it, naming the file
        Err(_) => return Ok(()),
    };
    let names: Vec<String> = match q.query_map([], |r| r.get::<_, String>(0)) {
        Ok(rows) => rows.filter_map(Result::ok).collect(),
        Err(_) => return Ok(()),
    };
    for (column, _) in &source.columns {
        if !names.iter().any(|n| n == &column.value) {
            return Err(SourceError::new(
                column.location.clone(),
                format!("source `{}` has no column `{}` (columns: {})", source.name, column.value, names.join(", ")),
            )
            .into());
        }
    }
    Ok(())
}

/// A file's rejected rows: how many, and how many per reason.
#[derive(Debug, Clone, Default)]
struct Rejected {
    reasons: BTreeMap<String, u64>,
    rows: u64,
}

/// One rejected line: the column and reason of its first error, every error's message, the line.
struct Line {
    column: Option<String>,
    reason: String,
    messages: Vec<String>,
    raw: Option<String>,
}

/// Moves DuckDB's rejected CSV rows into `quarantine`, one row per rejected
/// line, and counts them by file path.
fn quarantine(conn: &duckdb::Connection, g: &SourceFiles) -> anyhow::Result<BTreeMap<String, Rejected>> {
    let sql = format!(
        "SELECT s.file_path, e.line, e.column_name, e.error_type::VARCHAR, e.error_message, e.csv_line \
         FROM temp.{REJECT_ERRORS} AS e JOIN temp.{REJECT_SCANS} AS s ON s.scan_id = e.scan_id AND s.file_id = e.file_id \
         ORDER BY s.file_path, e.line, e.column_idx"
    );
    let mut q = conn.prepare(&sql).context("cannot read DuckDB's rejected rows")?;
    type Reject = (String, i64, Option<String>, String, String, Option<String>);
    let rows: Vec<Reject> = q
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))
        .context("cannot read DuckDB's rejected rows")?
        .collect::<Result<_, _>>()?;
    drop(q);
    // one quarantined row per line: its first error's reason, every message
    let mut lines: BTreeMap<(String, i64), Line> = BTreeMap::new();
    for (path, line, column, kind, message, raw) in rows {
        let entry = lines.entry((path, line)).or_insert_with(|| Line {
            column,
            reason: reason(&kind),
            messages: Vec::new(),
            raw,
        });
        entry.messages.push(message.lines().next().unwrap_or(&message).trim().to_string());
    }
    let mut out: BTreeMap<String, Rejected> = BTreeMap::new();
    let mut app = conn.appender("quarantine").context("cannot append to `quarantine`")?;
    for ((path, line), Line { column, reason, messages, raw }) in lines {
        let file =
            g.files.iter().find(|f| f.path.to_string_lossy() == path).map_or_else(|| path.clone(), |f| f.file.clone());
        let raw: Option<String> = raw.map(|r| r.chars().take(4096).collect());
        app.append_row(duckdb::params![file, line, column, reason, messages.join("; "), raw])
            .with_context(|| format!("cannot write the quarantine of `{file}`"))?;
        let e = out.entry(path).or_default();
        *e.reasons.entry(reason).or_default() += 1;
        e.rows += 1;
    }
    app.flush().context("cannot write the quarantine")?;
    Ok(out)
}

/// A stable reason name for one of DuckDB's CSV error types.
fn reason(kind: &str) -> String {
    match kind.to_ascii_uppercase().as_str() {
        "CAST" => "cast".into(),
        "MISSING COLUMNS" => "missing_columns".into(),
        "TOO MANY COLUMNS" => "too_many_columns".into(),
        "UNQUOTED VALUE" => "unquoted_value".into(),
        "LINE SIZE OVER MAXIMUM" => "line_too_long".into(),
        "INVALID UNICODE" => "invalid_utf8".into(),
        other => other.to_ascii_lowercase().replace(' ', "_"),
    }
}

fn dataset(
    source: &Source,
    f: &crate::ingest::inputs::InputFile,
    kept: u64,
    reasons: BTreeMap<String, u64>,
    quarantined: u64,
) -> anyhow::Result<Dataset> {
    Ok(Dataset {
        file: f.file.clone(),
        source: source.name.clone(),
        table: source.name.clone(),
        rows_read: kept + quarantined,
        rows_kept: kept,
        rows_quarantined: quarantined,
        reasons,
        bytes: f.bytes,
        blake3: hash_file(&f.path).with_context(|| format!("cannot read input file `{}`", f.path.display()))?,
    })
}

/// A column of a file as DuckDB's reader sees it: name and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// Its DuckDB type (`BIGINT`, `VARCHAR`, `DATE`, ...).
    pub ty: String,
}

/// Text that marks a missing value in CSV files people write.
pub const NULL_MARKERS: [&str; 8] = ["NA", "N/A", "n/a", "NaN", "null", "NULL", "None", "-"];

/// The missing-value markers of a CSV or TSV file: those of
/// [`NULL_MARKERS`] that stand in a column that is all numbers or dates
/// but for them (and so turned the whole column into text).
pub fn null_markers(path: &std::path::Path, format: Format) -> anyhow::Result<Vec<String>> {
    if !matches!(format, Format::Csv | Format::Tsv) {
        return Ok(Vec::new());
    }
    let conn = duckdb::Connection::open_in_memory().context("cannot start DuckDB")?;
    let delim = if format == Format::Tsv { ", delim = '\\t'" } else { "" };
    let scan = format!("read_csv({}{delim})", sql_string(&path.to_string_lossy())?);
    let columns = describe(path, format)?.into_iter().next().map(|(_, c)| c).unwrap_or_default();
    let markers: Vec<String> = NULL_MARKERS.iter().map(|m| sql_string(m)).collect::<anyhow::Result<_>>()?;
    let mut found = std::collections::BTreeSet::new();
    for c in columns.iter().filter(|c| c.ty.eq_ignore_ascii_case("VARCHAR")) {
        let col = identifier(&c.name);
        let sql = format!(
            "SELECT DISTINCT {col} FROM {scan} WHERE {col} IS NOT NULL \
             AND try_cast({col} AS DOUBLE) IS NULL AND try_cast({col} AS DATE) IS NULL LIMIT {}",
            NULL_MARKERS.len() + 1
        );
        let odd: Vec<String> = match conn.prepare(&sql) {
            Ok(mut q) => q.query_map([], |r| r.get::<_, String>(0))?.filter_map(Result::ok).collect(),
            Err(_) => continue,
        };
        let typed: i64 = conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM {scan} WHERE {col} IS NOT NULL AND {col} NOT IN ({})",
                    markers.join(", ")
                ),
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        if !odd.is_empty() && typed > 0 && odd.iter().all(|v| NULL_MARKERS.contains(&v.as_str())) {
            found.extend(odd);
        }
    }
    Ok(found.into_iter().collect())
}

/// What DuckDB's reader sees in `path`: for a data file, one table (named
/// `""`) and its columns; for a DuckDB database, each of its tables.
/// `nulls` are the file's missing-value markers (CSV and TSV).
pub fn describe_with(
    path: &std::path::Path,
    format: Format,
    nulls: &[String],
) -> anyhow::Result<Vec<(String, Vec<Column>)>> {
    if nulls.is_empty() {
        return describe(path, format);
    }
    let conn = duckdb::Connection::open_in_memory().context("cannot start DuckDB")?;
    let delim = if format == Format::Tsv { ", delim = '\\t'" } else { "" };
    let list: Vec<String> = nulls.iter().map(|m| sql_string(m)).collect::<anyhow::Result<_>>()?;
    let scan = format!("read_csv({}{delim}, nullstr = [{}])", sql_string(&path.to_string_lossy())?, list.join(", "));
    let mut q = conn.prepare(&format!("DESCRIBE SELECT * FROM {scan}"))?;
    let rows = q.query_map([], |r| Ok(Column { name: r.get(0)?, ty: r.get(1)? }))?;
    Ok(vec![(String::new(), rows.collect::<Result<_, _>>()?)])
}

/// What DuckDB's reader sees in `path`: for a data file, one table (named
/// `""`) and its columns; for a DuckDB database, each of its tables.
pub fn describe(path: &std::path::Path, format: Format) -> anyhow::Result<Vec<(String, Vec<Column>)>> {
    let conn = duckdb::Connection::open_in_memory().context("cannot start DuckDB")?;
    conn.execute_batch("SET autoinstall_known_extensions = false; SET autoload_known_extensions = false")
        .context("cannot configure DuckDB")?;
    let file = sql_string(&path.to_string_lossy())?;
    let columns = |relation: &str| -> anyhow::Result<Vec<Column>> {
        let mut q = conn.prepare(&format!("DESCRIBE SELECT * FROM {relation}"))?;
        let rows = q.query_map([], |r| Ok(Column { name: r.get(0)?, ty: r.get(1)? }))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let read = |e: anyhow::Error| anyhow::anyhow!("cannot read `{}`: {}", path.display(), root(&e));
    match format {
        Format::DuckDb => {
            conn.execute_batch(&format!("ATTACH {file} AS source (READ_ONLY)")).map_err(|e| read(e.into()))?;
            let mut q = conn.prepare(
                "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'source' ORDER BY schema_name, table_name",
            )?;
            let tables: Vec<(String, String)> =
                q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
            let mut out = Vec::new();
            for (schema, table) in tables {
                let relation = format!("source.{}.{}", identifier(&schema), identifier(&table));
                let name = if schema == "main" { table } else { format!("{schema}.{table}") };
                out.push((name, columns(&relation).map_err(read)?));
            }
            Ok(out)
        }
        f => {
            let function = f.function().unwrap_or("read_csv");
            let extra = match f {
                Format::Tsv => ", delim = '\\t'",
                Format::NdJson => ", format = 'newline_delimited'",
                _ => "",
            };
            Ok(vec![(String::new(), columns(&format!("{function}({file}{extra})")).map_err(read)?)])
        }
    }
}

/// The innermost cause of an error, as text.
fn root(e: &anyhow::Error) -> String {
    e.chain().last().map(|c| c.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values_are_quoted() {
        assert_eq!(identifier("a \"b\""), "\"a \"\"b\"\"\"");
        assert_eq!(sql_string("it's").unwrap(), "'it''s'");
        assert!(sql_string("a\0b").is_err());
        let t = OptionValue::Table([("a".to_string(), OptionValue::Text("x'); DROP TABLE t; --".into()))].into());
        assert_eq!(literal(&t).unwrap(), "{'a': 'x''); DROP TABLE t; --'}");
        assert_eq!(
            literal(&OptionValue::List(vec![OptionValue::Int(1), OptionValue::Bool(true)])).unwrap(),
            "[1, true]"
        );
        assert_eq!(literal(&OptionValue::Float(0.5)).unwrap(), "0.5");
    }

    #[test]
    fn option_kinds_fit_parameter_types() {
        assert!(fits(&OptionValue::Bool(true), "BOOLEAN"));
        assert!(!fits(&OptionValue::Text("true".into()), "BOOLEAN"));
        assert!(fits(&OptionValue::Int(3), "BIGINT"));
        assert!(fits(&OptionValue::Int(3), "DOUBLE"));
        assert!(!fits(&OptionValue::Float(3.5), "BIGINT"));
        assert!(fits(&OptionValue::List(vec![OptionValue::Text("NA".into())]), "VARCHAR[]"));
        assert!(fits(&OptionValue::Text("x".into()), "ANY"));
        assert_eq!(reason("CAST"), "cast");
        assert_eq!(reason("TOO MANY COLUMNS"), "too_many_columns");
    }
}
