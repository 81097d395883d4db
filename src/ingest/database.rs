//! The database file ingest writes: opened through DuckDB's C API (the
//! Food.com reader streams Arrow batches into it, which needs the raw
//! handles), attached with the row-group size ingest wants, never synced
//! commit by commit; and the file's lifecycle around it: a new file beside
//! the database, renamed over it once complete, and what dead builds left
//! behind removed.

use anyhow::Context;
use duckdb::ffi;
use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};

/// A DuckDB database opened through the C API, closed when dropped. Every
/// connection made from it must be dropped first.
pub struct Database {
    raw: ffi::duckdb_database,
}

/// The name the database file is attached under while ingest writes it.
pub(crate) const STORE: &str = "store";

// DuckDB's database object is thread safe: connections are made from any thread.
unsafe impl Send for Database {}
unsafe impl Sync for Database {}

impl Database {
    /// Opens (creating) the database file with DuckDB's memory limit and
    /// threads; its tables are stored in row groups of `row_group_rows`
    /// rows (a multiple of 2048).
    ///
    /// DuckDB compresses a row group when it is full, on the thread that
    /// stores the table, and the last one when the table is committed. Small
    /// row groups spread that work over the load instead of leaving a long
    /// compression at the end, when nothing else runs beside it.
    ///
    /// Commits are not synced to disk: the caller syncs the file once it is
    /// complete, before using it.
    pub fn open(path: &Path, memory_limit: &str, threads: usize, row_group_rows: u64) -> anyhow::Result<Database> {
        let mut config: ffi::duckdb_config = std::ptr::null_mut();
        // SAFETY: `config` is created here, set with valid C strings and
        // destroyed once the database is open (DuckDB copies it).
        unsafe {
            if ffi::duckdb_create_config(&mut config) != ffi::DuckDBSuccess {
                ffi::duckdb_destroy_config(&mut config);
                anyhow::bail!("cannot configure DuckDB");
            }
            // spilled data goes beside the file, as for a database opened directly
            let temp = format!("{}.tmp", path.to_string_lossy());
            let settings = [
                ("max_memory", memory_limit.to_string()),
                ("threads", threads.max(1).to_string()),
                ("temp_directory", temp),
                // the file is new, and replaces the database only once
                // complete: syncing each commit to disk buys nothing, the
                // caller syncs the finished file once (`ingest::run`)
                ("fsync_mode", "none".to_string()),
            ];
            for (name, value) in settings {
                let (n, v) = (c_string(name)?, c_string(&value)?);
                if ffi::duckdb_set_config(config, n.as_ptr(), v.as_ptr()) != ffi::DuckDBSuccess {
                    ffi::duckdb_destroy_config(&mut config);
                    anyhow::bail!("invalid DuckDB setting {name} = `{value}`");
                }
            }
            let mut raw: ffi::duckdb_database = std::ptr::null_mut();
            let mut error: *mut std::os::raw::c_char = std::ptr::null_mut();
            // an in-memory instance that attaches the file: the row group
            // size is an option of ATTACH only
            let state = ffi::duckdb_open_ext(std::ptr::null(), &mut raw, config, &mut error);
            ffi::duckdb_destroy_config(&mut config);
            if state != ffi::DuckDBSuccess {
                let message = if error.is_null() {
                    "unknown error".to_string()
                } else {
                    let m = CStr::from_ptr(error).to_string_lossy().into_owned();
                    ffi::duckdb_free(error.cast());
                    m
                };
                anyhow::bail!("cannot open database `{}`: {message}", path.display());
            }
            let db = Database { raw };
            let attach = format!(
                "ATTACH '{}' AS \"{STORE}\" (ROW_GROUP_SIZE {row_group_rows})",
                path.to_string_lossy().replace('\'', "''")
            );
            // SAFETY: the database is open; the connection is dropped here
            let conn = duckdb::Connection::open_from_raw(db.raw).context("cannot connect to DuckDB")?;
            conn.execute_batch(&attach).with_context(|| format!("cannot open database `{}`", path.display()))?;
            drop(conn);
            Ok(db)
        }
    }

    /// The raw handle, for the C API calls of the readers that need it.
    pub(crate) fn raw(&self) -> ffi::duckdb_database {
        self.raw
    }

    /// A connection for ordinary statements. It must be dropped before the database.
    pub fn connection(&self) -> anyhow::Result<duckdb::Connection> {
        // SAFETY: `raw` is an open database, and it outlives the connection
        // (the caller drops connections first; see the type's contract).
        let conn = unsafe { duckdb::Connection::open_from_raw(self.raw) }.context("cannot connect to DuckDB")?;
        conn.execute_batch(&format!("USE \"{STORE}\"")).context("cannot use the database file")?;
        Ok(conn)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // SAFETY: opened in `open`, closed once here.
        unsafe { ffi::duckdb_close(&mut self.raw) }
    }
}

/// Runs `sql` on a raw connection, returning DuckDB's error message.
///
/// # Safety
/// `conn` must be an open connection.
pub(crate) unsafe fn query(conn: ffi::duckdb_connection, sql: &CStr) -> anyhow::Result<()> {
    // SAFETY: the result is zero-initialised as the C API expects and
    // destroyed on every path; the error string is copied before that.
    unsafe {
        let mut result: ffi::duckdb_result = std::mem::zeroed();
        let state = ffi::duckdb_query(conn, sql.as_ptr(), &mut result);
        let error = if state == ffi::DuckDBSuccess {
            None
        } else {
            let e = ffi::duckdb_result_error(&mut result);
            Some(if e.is_null() {
                "unknown error".to_string()
            } else {
                CStr::from_ptr(e).to_string_lossy().into_owned()
            })
        };
        ffi::duckdb_destroy_result(&mut result);
        match error {
            Some(e) => Err(anyhow::anyhow!(e)),
            None => Ok(()),
        }
    }
}

pub(crate) fn c_string(s: &str) -> anyhow::Result<CString> {
    CString::new(s).with_context(|| format!("`{s}` holds a NUL byte"))
}

/// Rows per row group of the stored tables (DuckDB's default is 122,880).
/// Smaller groups are compressed while the file is still being parsed
/// instead of all at the end (see [`Database::open`]); measured at the real
/// size, the Food.com load keeps both cores busy a tenth more of the time.
/// Queries read them as fast.
pub const ROW_GROUP_ROWS: u64 = 16 * 1024;

/// The tables every database has, whatever its sources.
pub const SCHEMA: &str = "
CREATE TABLE quarantine (file VARCHAR, line BIGINT, column_name VARCHAR, reason VARCHAR, detail VARCHAR, raw VARCHAR);
CREATE TABLE ingest_files (
    source VARCHAR, file VARCHAR, table_name VARCHAR, rows_read BIGINT, rows_kept BIGINT, rows_quarantined BIGINT,
    bytes BIGINT, mtime_ns BIGINT, blake3 VARCHAR
);
CREATE TABLE ingest_sources (name VARCHAR, reader VARCHAR, declaration VARCHAR, tables VARCHAR[], types VARCHAR[]);
CREATE TABLE ingest_meta (key VARCHAR, value VARCHAR);
";

/// The new database file written beside `db`: `NAME.tmp-PID`.
pub fn temp_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    db.with_file_name(name)
}

/// Removes a database file, its write-ahead log and its spill directory, ignoring absence.
pub fn remove_db(path: &Path) {
    let _ = std::fs::remove_file(path);
    let with = |suffix: &str| {
        let mut p = path.as_os_str().to_os_string();
        p.push(suffix);
        PathBuf::from(p)
    };
    let _ = std::fs::remove_file(with(".wal"));
    let _ = std::fs::remove_dir_all(with(".tmp"));
}

/// Removes what builds that died left beside `db` (`NAME.tmp-PID` files,
/// their logs and spill directories, `NAME.queries.tmp-PID`). The caller
/// holds the database's lock, so no other build is writing them.
pub fn remove_debris(db: &Path) {
    let dir = match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Some(name) = db.file_name().map(|n| n.to_string_lossy().into_owned()) else { return };
    let stem = db.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let ours = format!(".tmp-{}", std::process::id());
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let debris = file.starts_with(&format!("{name}.tmp-")) || file.starts_with(&format!("{stem}.queries.tmp-"));
        if !debris || file.contains(&ours) {
            continue;
        }
        let path = entry.path();
        let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        match removed {
            Ok(()) => tracing::info!(file = %path.display(), "removed what an interrupted build left"),
            Err(e) => tracing::warn!(file = %path.display(), "cannot remove what an interrupted build left: {e}"),
        }
    }
}

/// What the last build stored: each source's declaration, tables and files.
#[derive(Debug, Clone, Default)]
pub struct Stored {
    sources: Vec<StoredSource>,
}

#[derive(Debug, Clone)]
struct StoredSource {
    name: String,
    declaration: String,
    tables: Vec<String>,
    types: Vec<String>,
    files: Vec<(crate::ingest::Dataset, i64)>,
}

/// The stored account of a database written by ingest with `schema`, or
/// `None` (no file, another schema, anything unreadable: read it all again).
pub fn stored(db: &Path, schema: &str) -> Option<Stored> {
    if !db.is_file() {
        return None;
    }
    let conn = crate::ingest::open(db, true, "256MB", 1).ok()?;
    let version: String =
        conn.query_row("SELECT value FROM ingest_meta WHERE key = 'schema'", [], |r| r.get(0)).ok()?;
    if version != schema {
        return None;
    }
    let mut out = Stored::default();
    let mut q = conn.prepare("SELECT name, declaration, tables, types FROM ingest_sources ORDER BY name").ok()?;
    let rows = q
        .query_map([], |r| {
            let list = |v: duckdb::types::Value| match v {
                duckdb::types::Value::List(items) => items
                    .into_iter()
                    .filter_map(|i| match i {
                        duckdb::types::Value::Text(t) => Some(t),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, list(r.get(2)?), list(r.get(3)?)))
        })
        .ok()?;
    for row in rows {
        let (name, declaration, tables, types) = row.ok()?;
        out.sources.push(StoredSource { name, declaration, tables, types, files: Vec::new() });
    }
    let mut q = conn
        .prepare(
            "SELECT source, file, table_name, rows_read, rows_kept, rows_quarantined, bytes, mtime_ns, blake3 \
             FROM ingest_files ORDER BY rowid",
        )
        .ok()?;
    let files = q
        .query_map([], |r| {
            Ok((
                crate::ingest::Dataset {
                    source: r.get(0)?,
                    file: r.get(1)?,
                    table: r.get(2)?,
                    rows_read: r.get::<_, i64>(3)? as u64,
                    rows_kept: r.get::<_, i64>(4)? as u64,
                    rows_quarantined: r.get::<_, i64>(5)? as u64,
                    reasons: std::collections::BTreeMap::new(),
                    bytes: r.get::<_, i64>(6)? as u64,
                    blake3: r.get(8)?,
                },
                r.get::<_, i64>(7)?,
            ))
        })
        .ok()?;
    let mut reasons = conn.prepare("SELECT reason, count(*) FROM quarantine WHERE file = ? GROUP BY reason").ok()?;
    for f in files {
        let (mut d, mtime) = f.ok()?;
        let counts: Vec<(String, i64)> =
            reasons.query_map([&d.file], |r| Ok((r.get(0)?, r.get(1)?))).ok()?.collect::<Result<_, _>>().ok()?;
        d.reasons = counts.into_iter().map(|(k, v)| (k, v as u64)).collect();
        let source = out.sources.iter_mut().find(|s| s.name == d.source)?;
        source.files.push((d, mtime));
    }
    Some(out)
}

impl Stored {
    /// The sources it holds.
    pub fn names(&self) -> Vec<String> {
        self.sources.iter().map(|s| s.name.clone()).collect()
    }

    fn source(&self, name: &str) -> Option<&StoredSource> {
        self.sources.iter().find(|s| s.name == name)
    }

    /// The stored account of `source`'s files.
    pub fn datasets(&self, source: &str) -> Vec<crate::ingest::Dataset> {
        self.source(source).map(|s| s.files.iter().map(|(d, _)| d.clone()).collect()).unwrap_or_default()
    }

    /// Whether `g` is declared as it was and names the same files with the
    /// same sizes (its content is compared next, by hash).
    pub fn same_declaration_and_sizes(&self, g: &crate::ingest::SourceFiles) -> bool {
        let Some(s) = self.source(&g.source.name) else { return false };
        s.declaration == g.source.fingerprint()
            && s.files.len() == g.files.len()
            && s.files.iter().zip(&g.files).all(|((d, _), f)| d.file == f.file && d.bytes == f.bytes)
    }

    /// The stored content hash of `file` of `source`.
    pub fn hash_of(&self, source: &str, file: &str) -> Option<&str> {
        self.source(source)?.files.iter().find(|(d, _)| d.file == file).map(|(d, _)| d.blake3.as_str())
    }

    /// Removes from a copy of the database everything `source` put there:
    /// its tables and types, its files' account and quarantined rows.
    pub fn forget(&self, conn: &duckdb::Connection, source: &str) -> anyhow::Result<()> {
        let Some(s) = self.source(source) else { return Ok(()) };
        let mut sql = String::new();
        for t in &s.tables {
            sql.push_str(&format!("DROP TABLE IF EXISTS {};\n", crate::ingest::files::identifier(t)));
        }
        for t in &s.types {
            sql.push_str(&format!("DROP TYPE IF EXISTS {};\n", crate::ingest::files::identifier(t)));
        }
        conn.execute_batch(&sql).with_context(|| format!("cannot remove the old tables of source `{source}`"))?;
        for (d, _) in &s.files {
            conn.execute("DELETE FROM quarantine WHERE file = ?", [&d.file])
                .with_context(|| format!("cannot remove the old quarantine of `{}`", d.file))?;
        }
        conn.execute("DELETE FROM ingest_files WHERE source = ?", [source]).context("cannot update `ingest_files`")?;
        conn.execute("DELETE FROM ingest_sources WHERE name = ?", [source])
            .context("cannot update `ingest_sources`")?;
        Ok(())
    }
}

/// Records what was read: each file's account and fingerprint, each
/// source's declaration and the tables and types it made, the schema.
pub fn record(
    conn: &duckdb::Connection,
    read: &[&crate::ingest::SourceFiles],
    made: &[crate::ingest::Made],
    schema: &str,
) -> anyhow::Result<()> {
    let datasets: Vec<&crate::ingest::Dataset> = made.iter().flat_map(|m| &m.datasets).collect();
    let mut files = conn.appender("ingest_files").context("cannot write `ingest_files`")?;
    for g in read {
        for f in &g.files {
            for d in datasets.iter().filter(|d| d.source == g.source.name && d.file == f.file) {
                files.append_row(duckdb::params![
                    d.source,
                    d.file,
                    d.table,
                    d.rows_read as i64,
                    d.rows_kept as i64,
                    d.rows_quarantined as i64,
                    d.bytes as i64,
                    f.mtime_ns,
                    d.blake3
                ])?;
            }
        }
    }
    files.flush().context("cannot write `ingest_files`")?;
    drop(files);
    for g in read {
        let (tables, types) = made
            .iter()
            .find(|m| m.source == g.source.name)
            .map_or((Vec::new(), Vec::new()), |m| (m.tables.clone(), m.types.clone()));
        let list = |items: &[String]| -> anyhow::Result<String> {
            let quoted: Vec<String> =
                items.iter().map(|t| crate::ingest::files::sql_string(t)).collect::<anyhow::Result<_>>()?;
            Ok(format!("[{}]::VARCHAR[]", quoted.join(", ")))
        };
        let sql = format!(
            "INSERT INTO ingest_sources VALUES ({}, {}, {}, {}, {})",
            crate::ingest::files::sql_string(&g.source.name)?,
            crate::ingest::files::sql_string(&format!("{:?}", g.source.reader))?,
            crate::ingest::files::sql_string(&g.source.fingerprint())?,
            list(&tables)?,
            list(&types)?
        );
        conn.execute_batch(&sql).context("cannot write `ingest_sources`")?;
    }
    conn.execute_batch("DELETE FROM ingest_meta WHERE key = 'schema'").context("cannot write `ingest_meta`")?;
    conn.execute("INSERT INTO ingest_meta VALUES ('schema', ?)", [schema]).context("cannot write `ingest_meta`")?;
    Ok(())
}
