//! Ingest: reads the Food.com CSV files into DuckDB tables with the column
//! types of the report's data contract.
//!
//! The files are parsed here, in Rust, not by DuckDB's CSV sniffer: the
//! Python-list columns need a real literal parser (see [`pylist`]), and every
//! row that cannot be read must be named by file and line. Rows go into the
//! database through DuckDB's appender. The database is written to a new file
//! and renamed over the old one, so a build that stops half-way never leaves
//! a half-written database behind.
//!
//! Tables:
//! - `recipes(name, id, minutes, contributor_id, submitted DATE, tags VARCHAR[],
//!   calories, total_fat, sugar, sodium, protein, saturated_fat, carbohydrates DOUBLE,
//!   n_steps, steps VARCHAR[], description, ingredients VARCHAR[], n_ingredients)`
//! - `interactions(user_id, recipe_id, date DATE, rating INTEGER, review)`

pub mod pylist;

use anyhow::Context;
use chrono::NaiveDate;
use duckdb::types::Value as Db;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The recipes file name.
pub const RECIPES_FILE: &str = "RAW_recipes.csv";
/// The interactions file name.
pub const INTERACTIONS_FILE: &str = "RAW_interactions.csv";

/// The header of `RAW_recipes.csv`.
pub const RECIPES_HEADER: [&str; 12] = [
    "name",
    "id",
    "minutes",
    "contributor_id",
    "submitted",
    "tags",
    "nutrition",
    "n_steps",
    "steps",
    "description",
    "ingredients",
    "n_ingredients",
];
/// The header of `RAW_interactions.csv`.
pub const INTERACTIONS_HEADER: [&str; 5] = ["user_id", "recipe_id", "date", "rating", "review"];

/// The names of the seven `nutrition` values, in file order.
pub const NUTRIENTS: [&str; 7] =
    ["calories", "total_fat", "sugar", "sodium", "protein", "saturated_fat", "carbohydrates"];

const SCHEMA: &str = "
CREATE TABLE recipes (
    name VARCHAR, id BIGINT, minutes BIGINT, contributor_id BIGINT, submitted DATE,
    tags VARCHAR[],
    calories DOUBLE, total_fat DOUBLE, sugar DOUBLE, sodium DOUBLE, protein DOUBLE,
    saturated_fat DOUBLE, carbohydrates DOUBLE,
    n_steps BIGINT, steps VARCHAR[], description VARCHAR, ingredients VARCHAR[], n_ingredients BIGINT
);
CREATE TABLE interactions (
    user_id BIGINT, recipe_id BIGINT, date DATE, rating INTEGER, review VARCHAR
);
";

/// What ingest read from one input file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dataset {
    /// The file name (`RAW_recipes.csv`).
    pub file: String,
    /// The table it fills.
    pub table: String,
    /// Data rows read (header excluded).
    pub rows_read: u64,
    /// Rows stored in the table.
    pub rows_kept: u64,
    /// Size in bytes.
    pub bytes: u64,
    /// BLAKE3 hash of the content, hex.
    pub blake3: String,
}

/// Reads both files of `data_dir` into a new DuckDB file at `db`.
pub fn run(data_dir: &Path, db: &Path) -> anyhow::Result<Vec<Dataset>> {
    let recipes = data_dir.join(RECIPES_FILE);
    let interactions = data_dir.join(INTERACTIONS_FILE);
    for file in [&recipes, &interactions] {
        let meta = std::fs::metadata(file).with_context(|| format!("cannot read input file `{}`", file.display()))?;
        if meta.len() == 0 {
            anyhow::bail!("input file `{}` is empty", file.display());
        }
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    let tmp = temp_path(db);
    remove_db(&tmp);
    let result = (|| {
        let conn =
            duckdb::Connection::open(&tmp).with_context(|| format!("cannot create database `{}`", tmp.display()))?;
        conn.execute_batch(SCHEMA).context("cannot create the tables")?;
        let a = load_recipes(&conn, &recipes)?;
        let b = load_interactions(&conn, &interactions)?;
        conn.execute_batch("CHECKPOINT").context("cannot write the database")?;
        drop(conn);
        Ok(vec![a, b])
    })();
    match result {
        Ok(datasets) => {
            remove_db(db);
            std::fs::rename(&tmp, db)
                .with_context(|| format!("cannot move `{}` to `{}`", tmp.display(), db.display()))?;
            Ok(datasets)
        }
        Err(e) => {
            remove_db(&tmp);
            Err(e)
        }
    }
}

fn temp_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp-{}", std::process::id()));
    db.with_file_name(name)
}

/// Removes a database file and its write-ahead log, ignoring absence.
fn remove_db(path: &Path) {
    let _ = std::fs::remove_file(path);
    let mut wal = path.as_os_str().to_os_string();
    wal.push(".wal");
    let _ = std::fs::remove_file(PathBuf::from(wal));
}

/// A reader that hashes and counts what passes through it.
struct Hashing<R> {
    inner: R,
    hasher: blake3::Hasher,
    bytes: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// An error in an input file at a line.
fn at(path: &Path, line: u64, message: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{}:{line}: {message}", path.display())
}

/// Opens a CSV file, checks its header and calls `row` for each record with
/// its line number. Returns (rows read, bytes, hash).
fn read_csv(
    path: &Path,
    header: &[&str],
    mut row: impl FnMut(&csv::StringRecord, u64) -> anyhow::Result<()>,
) -> anyhow::Result<(u64, u64, String)> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot read input file `{}`", path.display()))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(Hashing {
        inner: std::io::BufReader::with_capacity(1 << 20, file),
        hasher: blake3::Hasher::new(),
        bytes: 0,
    });
    let found = reader.headers().map_err(|e| at(path, 1, e))?.clone();
    let found: Vec<&str> = found.iter().map(|h| h.trim_start_matches('\u{feff}')).collect();
    if found != header {
        return Err(at(path, 1, format!("expected the header `{}`, found `{}`", header.join(","), found.join(","))));
    }
    let mut record = csv::StringRecord::new();
    let mut rows = 0u64;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                rows += 1;
                let line = record.position().map_or(0, |p| p.line());
                row(&record, line)?;
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(at(path, line, e));
            }
        }
    }
    let hashing = reader.into_inner();
    // read to the end so the hash covers the whole file
    let mut rest = Vec::new();
    let mut hashing = hashing;
    hashing.read_to_end(&mut rest).with_context(|| format!("cannot read `{}`", path.display()))?;
    Ok((rows, hashing.bytes, hashing.hasher.finalize().to_hex().to_string()))
}

fn int(field: &str, name: &str) -> Result<i64, String> {
    field.trim().parse().map_err(|_| format!("`{name}` must be an integer, found `{field}`"))
}

/// Parses a `YYYY-MM-DD` date into days since 1970-01-01.
pub fn date_days(field: &str, name: &str) -> Result<i32, String> {
    let d = NaiveDate::parse_from_str(field.trim(), "%Y-%m-%d")
        .map_err(|_| format!("`{name}` must be a date `YYYY-MM-DD`, found `{field}`"))?;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    Ok((d - epoch).num_days() as i32)
}

fn list(items: Vec<String>) -> Db {
    if items.is_empty() { Db::Null } else { Db::List(items.into_iter().map(Db::Text).collect()) }
}

fn text(s: &str) -> Db {
    Db::Text(s.to_string())
}

fn load_recipes(conn: &duckdb::Connection, path: &Path) -> anyhow::Result<Dataset> {
    let mut app = conn.appender("recipes").context("cannot append to `recipes`")?;
    let mut kept = 0u64;
    let (rows, bytes, hash) = read_csv(path, &RECIPES_HEADER, |r, line| {
        let parsed = (|| -> Result<Vec<Db>, String> {
            let nutrition = pylist::parse_floats(&r[6]).map_err(|e| format!("`nutrition`: {e}"))?;
            if nutrition.len() != 7 {
                return Err(format!("`nutrition` must hold 7 numbers, found {}", nutrition.len()));
            }
            let mut v = vec![
                text(&r[0]),
                Db::BigInt(int(&r[1], "id")?),
                Db::BigInt(int(&r[2], "minutes")?),
                Db::BigInt(int(&r[3], "contributor_id")?),
                Db::Date32(date_days(&r[4], "submitted")?),
                list(pylist::parse_strings(&r[5]).map_err(|e| format!("`tags`: {e}"))?),
            ];
            v.extend(nutrition.into_iter().map(Db::Double));
            v.push(Db::BigInt(int(&r[7], "n_steps")?));
            v.push(list(pylist::parse_strings(&r[8]).map_err(|e| format!("`steps`: {e}"))?));
            v.push(text(&r[9]));
            v.push(list(pylist::parse_strings(&r[10]).map_err(|e| format!("`ingredients`: {e}"))?));
            v.push(Db::BigInt(int(&r[11], "n_ingredients")?));
            Ok(v)
        })()
        .map_err(|m| at(path, line, m))?;
        app.append_row(duckdb::appender_params_from_iter(parsed)).map_err(|e| at(path, line, e))?;
        kept += 1;
        Ok(())
    })?;
    app.flush().context("cannot write `recipes`")?;
    drop(app);
    conn.execute_batch(
        "UPDATE recipes SET tags = coalesce(tags, []), steps = coalesce(steps, []), ingredients = coalesce(ingredients, [])",
    )
    .context("cannot complete `recipes`")?;
    Ok(Dataset {
        file: RECIPES_FILE.into(),
        table: "recipes".into(),
        rows_read: rows,
        rows_kept: kept,
        bytes,
        blake3: hash,
    })
}

fn load_interactions(conn: &duckdb::Connection, path: &Path) -> anyhow::Result<Dataset> {
    let mut app = conn.appender("interactions").context("cannot append to `interactions`")?;
    let mut kept = 0u64;
    let (rows, bytes, hash) = read_csv(path, &INTERACTIONS_HEADER, |r, line| {
        let parsed = (|| -> Result<[Db; 5], String> {
            let rating = int(&r[3], "rating")?;
            if !(0..=5).contains(&rating) {
                return Err(format!("`rating` must be 0..5, found {rating}"));
            }
            Ok([
                Db::BigInt(int(&r[0], "user_id")?),
                Db::BigInt(int(&r[1], "recipe_id")?),
                Db::Date32(date_days(&r[2], "date")?),
                Db::Int(rating as i32),
                text(&r[4]),
            ])
        })()
        .map_err(|m| at(path, line, m))?;
        app.append_row(duckdb::appender_params_from_iter(parsed)).map_err(|e| at(path, line, e))?;
        kept += 1;
        Ok(())
    })?;
    app.flush().context("cannot write `interactions`")?;
    Ok(Dataset {
        file: INTERACTIONS_FILE.into(),
        table: "interactions".into(),
        rows_read: rows,
        rows_kept: kept,
        bytes,
        blake3: hash,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_dates() {
        assert_eq!(date_days("1970-01-02", "d"), Ok(1));
        assert!(date_days("02/01/1970", "date").unwrap_err().contains("`date` must be a date"));
    }

    #[test]
    fn loads_quoted_multiline_and_lists() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(RECIPES_FILE),
            "name,id,minutes,contributor_id,submitted,tags,nutrition,n_steps,steps,description,ingredients,n_ingredients\n\
             a  b,38,2147483647,1,2005-01-02,\"['x', \"\"it's\"\"]\",\"[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.5]\",1,['s'],\"two\nlines\",\"['salt, pepper']\",1\n\
             ,39,0,2,2006-01-02,[],\"[0.0, 0, 0, 0, 0, 0, 0]\",0,[],,[],0\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join(INTERACTIONS_FILE),
            "user_id,recipe_id,date,rating,review\n1,38,2008-03-01,0,\"a, \"\"b\"\"\nc\"\n2,999,2009-01-01,5,\n",
        )
        .unwrap();
        let db = dir.path().join("x.duckdb");
        let sets = run(dir.path(), &db).unwrap();
        assert_eq!(sets[0].rows_read, 2);
        assert_eq!(sets[1].rows_kept, 2);
        assert_eq!(sets[0].blake3.len(), 64);
        let conn = duckdb::Connection::open(&db).unwrap();
        let (name, tags, n, sugar): (String, String, i64, f64) = conn
            .query_row("select name, tags[2], len(ingredients), carbohydrates from recipes where id = 38", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!((name.as_str(), tags.as_str(), n, sugar), ("a  b", "it's", 1, 7.5));
        let empty: i64 = conn.query_row("select len(tags) from recipes where id = 39", [], |r| r.get(0)).unwrap();
        assert_eq!(empty, 0);
        let review: String =
            conn.query_row("select review from interactions where user_id = 1", [], |r| r.get(0)).unwrap();
        assert_eq!(review, "a, \"b\"\nc");
    }

    #[test]
    fn errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(RECIPES_FILE),
            "name,id,minutes,contributor_id,submitted,tags,nutrition,n_steps,steps,description,ingredients,n_ingredients\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join(INTERACTIONS_FILE),
            "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,9,x\n",
        )
        .unwrap();
        let err = run(dir.path(), &dir.path().join("x.duckdb")).unwrap_err().to_string();
        assert!(err.contains("RAW_interactions.csv:2: `rating` must be 0..5, found 9"), "{err}");
        assert!(!dir.path().join("x.duckdb").exists());
        std::fs::remove_file(dir.path().join(RECIPES_FILE)).unwrap();
        let err = run(dir.path(), &dir.path().join("x.duckdb")).unwrap_err().to_string();
        assert!(err.contains("RAW_recipes.csv"), "{err}");
    }
}
