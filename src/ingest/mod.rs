//! Ingest: reads every source declared in `content/site.toml` into the
//! DuckDB file, and accounts for every row.
//!
//! Each source is read by its reader: the Food.com files by their own
//! ([`foodcom`]), everything else by DuckDB's ([`files`]: CSV, TSV,
//! Parquet, JSON; a DuckDB database is attached at query time, not
//! copied). For every file, `rows_read = rows_kept + rows_quarantined`: a
//! row that cannot be stored as typed goes to the `quarantine` table with
//! its file, line, column, reason and raw text, never silently away.
//!
//! Incremental, per source: each file's fingerprint (size and BLAKE3 hash;
//! the content decides, not the modification time) and each declaration
//! are stored with the data ([`database`]). A build re-reads only the
//! sources whose files or declaration changed, and keeps the others' tables;
//! when nothing changed, ingest is skipped.
//!
//! The database is written to a new file and renamed over the old one, so
//! a build that stops half-way never leaves a half-written database behind.
//!
//! Tables besides the sources': `quarantine(file, line, column_name, reason,
//! detail, raw)`, `ingest_files(source, file, table_name, rows_read,
//! rows_kept, rows_quarantined, bytes, mtime_ns, blake3)`,
//! `ingest_sources(name, reader, declaration)`, `ingest_meta(key, value)`.

pub mod database;
pub mod files;
pub mod foodcom;
pub mod inputs;
pub mod progress;

use crate::sources::{Format, Reader, Source};
use anyhow::Context;
use database::Stored;
pub use inputs::{Dataset, INTERACTIONS_FILE, RECIPES_FILE, SPLIT_FILES, SourceFiles, hash_file};
use std::path::{Path, PathBuf};

/// Changes whenever the tables change shape, so an older database is rebuilt.
pub const SCHEMA_VERSION: &str = "mangetamain-ingest-5";

/// The default share of a file's rows that may be quarantined (1%).
pub const DEFAULT_MAX_QUARANTINE: f64 = 0.01;
/// DuckDB's default memory limit.
pub const DEFAULT_MEMORY_LIMIT: &str = "512MB";

/// Settings of one ingest.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestOptions {
    /// What to read.
    pub sources: Vec<Source>,
    /// Where relative source paths start.
    pub data_dir: PathBuf,
    /// The DuckDB file to write.
    pub db: PathBuf,
    /// Re-read every source even when unchanged.
    pub force: bool,
    /// The largest share of quarantined rows (0..1) a file may have.
    pub max_quarantine: f64,
    /// DuckDB's memory limit (`512MB`, `1GB`).
    pub memory_limit: String,
    /// Show a progress bar (only on a terminal).
    pub progress: bool,
}

impl IngestOptions {
    /// Defaults: 1% quarantine at most, 512 MB for DuckDB, force off.
    pub fn new(sources: Vec<Source>, data_dir: impl Into<PathBuf>, db: impl Into<PathBuf>) -> IngestOptions {
        IngestOptions {
            sources,
            data_dir: data_dir.into(),
            db: db.into(),
            force: false,
            max_quarantine: DEFAULT_MAX_QUARANTINE,
            memory_limit: DEFAULT_MEMORY_LIMIT.into(),
            progress: true,
        }
    }
}

/// A DuckDB database a source names: attached read-only to every query
/// connection under the source's name.
#[derive(Debug, Clone, PartialEq)]
pub struct Attached {
    /// The source name: its tables are `NAME.TABLE`.
    pub name: String,
    /// The file.
    pub path: PathBuf,
}

/// The outcome of ingest.
#[derive(Debug, Clone, PartialEq)]
pub struct Ingested {
    /// One entry per input file, in the order the sources are declared.
    pub datasets: Vec<Dataset>,
    /// The sources' names that were read again (all of them on a new
    /// database); none when nothing changed and the database was kept.
    pub read: Vec<String>,
    /// The DuckDB databases to attach for the queries.
    pub attached: Vec<Attached>,
}

/// What a reader made of one source: its files' account, and the tables
/// and types it created (removed again when the source changes).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Made {
    /// The source's name.
    pub source: String,
    /// One entry per file.
    pub datasets: Vec<Dataset>,
    /// The tables created.
    pub tables: Vec<String>,
    /// The types created (the `ENUM`s of the Food.com derived tables).
    pub types: Vec<String>,
}

/// Reads the changed sources into the database, or reuses it when nothing changed.
pub fn run(opts: &IngestOptions) -> anyhow::Result<Ingested> {
    let groups = inputs::resolve(&opts.sources, &opts.data_dir)?;
    if let Some(dir) = opts.db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    database::remove_debris(&opts.db);
    let attached: Vec<Attached> = groups
        .iter()
        .filter(|g| g.source.reader == Reader::DuckDb(Format::DuckDb))
        .filter_map(|g| g.files.first().map(|f| Attached { name: g.source.name.clone(), path: f.path.clone() }))
        .collect();
    let stored = if opts.force { None } else { database::stored(&opts.db, SCHEMA_VERSION) };
    let unchanged = unchanged_sources(&groups, stored.as_ref())?;
    let changed: Vec<&SourceFiles> = groups.iter().filter(|g| !unchanged.contains(&g.source.name)).collect();
    // sources no longer declared: their tables go
    let removed: Vec<String> = stored
        .as_ref()
        .map(|s| s.names().into_iter().filter(|n| !groups.iter().any(|g| &g.source.name == n)).collect())
        .unwrap_or_default();
    if let Some(stored) = &stored
        && changed.is_empty()
        && removed.is_empty()
    {
        tracing::info!(db = %opts.db.display(), "inputs unchanged: ingest skipped (use --force-ingest to re-read)");
        let datasets = groups.iter().flat_map(|g| stored.datasets(&g.source.name)).collect();
        return Ok(Ingested { datasets, read: Vec::new(), attached });
    }
    let tmp = database::temp_path(&opts.db);
    database::remove_db(&tmp);
    // unchanged sources are kept: the new file starts as a copy of the old
    let reuse = stored.is_some() && !unchanged.is_empty();
    if reuse {
        std::fs::copy(&opts.db, &tmp)
            .with_context(|| format!("cannot copy `{}` to `{}`", opts.db.display(), tmp.display()))?;
    }
    let kept = stored.as_ref().filter(|_| reuse).map(|s| (s, removed.as_slice()));
    let result = ingest_into(&tmp, &changed, kept, opts).and_then(|new| {
        // written without syncing (see `database::Database::open`): synced
        // once, whole, before it replaces the database
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot write `{}`", tmp.display()))?;
        Ok(new)
    });
    match result {
        Ok(mut new) => {
            database::remove_db(&opts.db);
            std::fs::rename(&tmp, &opts.db)
                .with_context(|| format!("cannot move `{}` to `{}`", tmp.display(), opts.db.display()))?;
            let mut datasets = Vec::new();
            for g in &groups {
                match (unchanged.contains(&g.source.name), &stored) {
                    (true, Some(stored)) => datasets.extend(stored.datasets(&g.source.name)),
                    _ => datasets.extend(new.iter().filter(|d| d.source == g.source.name).cloned()),
                }
            }
            new.clear();
            let read = changed.iter().map(|g| g.source.name.clone()).collect();
            Ok(Ingested { datasets, read, attached })
        }
        Err(e) => {
            database::remove_db(&tmp);
            Err(e)
        }
    }
}

/// The sources whose declaration and files are what `stored` holds: same
/// files, sizes and content hashes (hashed at once, the files that could be).
fn unchanged_sources(groups: &[SourceFiles], stored: Option<&Stored>) -> anyhow::Result<Vec<String>> {
    let Some(stored) = stored else { return Ok(Vec::new()) };
    let candidates: Vec<&SourceFiles> = groups.iter().filter(|g| stored.same_declaration_and_sizes(g)).collect();
    let paths: Vec<&Path> = candidates.iter().flat_map(|g| g.files.iter().map(|f| f.path.as_path())).collect();
    let hashes: Vec<std::io::Result<String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = paths.iter().map(|p| scope.spawn(move || hash_file(p))).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(std::io::Error::other("hashing stopped"))))
            .collect()
    });
    let mut hashes = paths.iter().zip(hashes);
    let mut same = Vec::new();
    for g in candidates {
        let mut all = true;
        for f in &g.files {
            let Some((path, hash)) = hashes.next() else { break };
            let hash = hash.with_context(|| format!("cannot read input file `{}`", path.display()))?;
            all &= stored.hash_of(&g.source.name, &f.file) == Some(hash.as_str());
        }
        if all {
            same.push(g.source.name.clone());
        }
    }
    Ok(same)
}

/// DuckDB's settings for every connection: the memory limit, the threads,
/// and no extension ever installed or loaded from elsewhere.
fn config(memory_limit: &str, threads: usize) -> anyhow::Result<duckdb::Config> {
    duckdb::Config::default()
        .max_memory(memory_limit)
        .with_context(|| format!("invalid memory limit `{memory_limit}`"))?
        .threads(threads.max(1) as i64)
        .context("cannot set DuckDB threads")?
        .with("autoinstall_known_extensions", "false")
        .context("cannot configure DuckDB")?
        .with("autoload_known_extensions", "false")
        .context("cannot configure DuckDB")
}

/// Opens a DuckDB file with the configured memory limit and threads. The
/// extensions compiled in (Parquet, JSON) are loaded; none is ever
/// installed or loaded from elsewhere: the build never reaches the network.
pub fn open(path: &Path, read_only: bool, memory_limit: &str, threads: usize) -> anyhow::Result<duckdb::Connection> {
    let mut config = config(memory_limit, threads)?;
    if read_only {
        config = config.access_mode(duckdb::AccessMode::ReadOnly).context("cannot configure DuckDB")?;
    }
    duckdb::Connection::open_with_flags(path, config)
        .with_context(|| format!("cannot open database `{}`", path.display()))
}

/// A connection for the queries: an in-memory DuckDB instance (memory limit,
/// threads, no extension ever fetched) with the database file attached
/// read-only under its stem, and an in-memory catalog `models` for the
/// models' tables; names are looked up in the file first, then in `models`
/// (a connection cloned from it sees both; `query::run_jobs` gives the
/// clones the same search path).
pub fn open_for_queries(path: &Path, memory_limit: &str, threads: usize) -> anyhow::Result<duckdb::Connection> {
    let conn =
        duckdb::Connection::open_in_memory_with_flags(config(memory_limit, threads)?).context("cannot start DuckDB")?;
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "data".into());
    let name = if name == "models" || name == "memory" || name == "temp" { format!("{name}_data") } else { name };
    conn.execute_batch(&format!(
        "ATTACH {} AS {} (READ_ONLY); ATTACH ':memory:' AS models; SET search_path = {}",
        files::sql_string(&path.to_string_lossy())?,
        files::identifier(&name),
        files::sql_string(&format!("{}.main,models.main", files::identifier(&name)))?
    ))
    .with_context(|| format!("cannot open database `{}`", path.display()))?;
    Ok(conn)
}

/// Attaches the DuckDB databases of `attached` (read-only) to `conn` and
/// every connection cloned from it.
pub fn attach(conn: &duckdb::Connection, attached: &[Attached]) -> anyhow::Result<()> {
    for a in attached {
        let sql = format!(
            "ATTACH {} AS {} (READ_ONLY)",
            files::sql_string(&a.path.to_string_lossy())?,
            files::identifier(&a.name)
        );
        conn.execute_batch(&sql).with_context(|| format!("cannot attach `{}` as `{}`", a.path.display(), a.name))?;
    }
    Ok(())
}

fn ingest_into(
    tmp: &Path,
    changed: &[&SourceFiles],
    kept: Option<(&Stored, &[String])>,
    opts: &IngestOptions,
) -> anyhow::Result<Vec<Dataset>> {
    let db = database::Database::open(tmp, &opts.memory_limit, 1, database::ROW_GROUP_ROWS)?;
    let conn = db.connection()?;
    match kept {
        Some((stored, removed)) => {
            for name in changed.iter().map(|g| &g.source.name).chain(removed) {
                stored.forget(&conn, name)?;
            }
        }
        None => conn.execute_batch(database::SCHEMA).context("cannot create the tables")?,
    }
    let bytes = changed.iter().flat_map(|g| &g.files).map(|f| f.bytes).sum();
    let progress = progress::Progress::new(opts.progress, bytes);
    let mut made: Vec<Made> = Vec::new();
    // DuckDB's readers use every core; the Food.com reader tunes its own
    let others: Vec<&SourceFiles> = changed.iter().copied().filter(|g| g.source.reader != Reader::FoodCom).collect();
    if !others.is_empty() {
        conn.execute_batch(&format!("SET threads = {}", std::thread::available_parallelism().map_or(2, |n| n.get())))
            .context("cannot set DuckDB threads")?;
        for g in others {
            made.push(files::read(&conn, g, &progress)?);
        }
        conn.execute_batch("SET threads = 1").context("cannot set DuckDB threads")?;
    }
    let foodcom: Vec<&SourceFiles> = changed.iter().copied().filter(|g| g.source.reader == Reader::FoodCom).collect();
    if !foodcom.is_empty() {
        made.extend(foodcom::read(&db, &conn, &foodcom, &progress)?);
    }
    progress.finish();
    tracing::debug!("sources read");
    let datasets: Vec<Dataset> = made.iter().flat_map(|m| m.datasets.iter().cloned()).collect();
    check_quarantine(&conn, &datasets, opts.max_quarantine)?;
    database::record(&conn, changed, &made, SCHEMA_VERSION)?;
    conn.execute_batch("CHECKPOINT").context("cannot write the database")?;
    drop(conn);
    drop(db);
    tracing::debug!("database written");
    Ok(datasets)
}

/// Fails when a file has more quarantined rows than allowed, naming the
/// commonest reasons with an example line each.
fn check_quarantine(conn: &duckdb::Connection, datasets: &[Dataset], max: f64) -> anyhow::Result<()> {
    for d in datasets {
        if d.rows_read == 0 || (d.rows_quarantined as f64) <= max * d.rows_read as f64 {
            continue;
        }
        let mut reasons: Vec<(&String, &u64)> = d.reasons.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut parts = Vec::new();
        for (reason, n) in reasons.iter().take(3) {
            let example: Option<(i64, String)> = conn
                .query_row(
                    "SELECT line, detail FROM quarantine WHERE file = ? AND reason = ? ORDER BY line LIMIT 1",
                    [d.file.as_str(), reason.as_str()],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .ok();
            match example {
                Some((line, detail)) => parts.push(format!("{n} {reason} (e.g. line {line}: {detail})")),
                None => parts.push(format!("{n} {reason}")),
            }
        }
        anyhow::bail!(
            "too many rows quarantined in `{}`: {} of {} ({:.2}%, the limit is {}%): {}; raise `--max-quarantine` to accept them",
            d.file,
            d.rows_quarantined,
            d.rows_read,
            100.0 * d.rows_quarantined as f64 / d.rows_read as f64,
            max * 100.0,
            parts.join(", ")
        );
    }
    Ok(())
}
