//! Streams Arrow record batches into DuckDB tables through DuckDB's own
//! Arrow scan, the fastest way in: the batches a parser sends on a channel
//! are read by an `INSERT INTO table SELECT * FROM stream` that runs while
//! the parser is still reading, and DuckDB converts and stores them on its
//! own threads. Several tables load at once, each on its own connection.
//!
//! This is the one place that talks to DuckDB's C API directly: the Arrow
//! scan needs the raw handles, which the safe wrapper does not give out.

use super::batch::Sorted;
use crate::ingest::database::{Database, STORE, c_string, query};
use anyhow::Context;
use duckdb::arrow::datatypes::SchemaRef;
use duckdb::arrow::error::ArrowError;
use duckdb::arrow::ffi_stream::FFI_ArrowArrayStream;
use duckdb::arrow::record_batch::{RecordBatch, RecordBatchReader};
use duckdb::ffi;
use std::ffi::CStr;
use std::sync::Arc;
use std::sync::mpsc::Receiver;

impl Database {
    /// Appends every batch of `batches` to `table`, until it ends (a channel
    /// that closes, for one: it is read on DuckDB's side, as DuckDB asks for
    /// rows); returns when all of them are stored. Batches must have
    /// `schema`, whose columns match the table's in order and type; an
    /// error in place of a batch stops the load with that error.
    pub fn load(&self, table: &str, schema: SchemaRef, batches: Batches) -> anyhow::Result<()> {
        let sql = format!("INSERT INTO \"{STORE}\".main.\"{table}\" SELECT * FROM {{stream}}");
        self.with_stream(table, schema, batches, &sql).with_context(|| format!("cannot store the rows of `{table}`"))
    }

    /// Creates `table` with the columns `id BIGINT, column TYPE`, where
    /// `TYPE` is a new `ENUM` type of `coded.values` (in their order) named
    /// `type_name`, and stores the rows of `coded` into it. Its items are
    /// given as positions in `coded.values`, so they are stored without
    /// being read as text again.
    pub fn load_coded(&self, table: &str, [id, column, type_name]: [&str; 3], coded: &Sorted) -> anyhow::Result<()> {
        use duckdb::arrow::array::{ArrayRef, StringArray};
        use duckdb::arrow::datatypes::{DataType, Field, Schema};
        let values: ArrayRef = Arc::new(StringArray::from_iter_values(coded.values.iter()));
        let schema = Arc::new(Schema::new(vec![Field::new("value", DataType::Utf8, false)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![values])?;
        let sql = format!(
            "CREATE TYPE \"{STORE}\".main.{type_name} AS ENUM (SELECT value FROM {{stream}}); \
             CREATE TABLE \"{STORE}\".main.{table} ({id} BIGINT, {column} \"{STORE}\".main.{type_name})"
        );
        self.with_stream(&format!("{table}_values"), schema, Box::new(std::iter::once(Ok(batch))), &sql)
            .with_context(|| format!("cannot create `{table}`"))?;
        self.append_coded(table, coded).with_context(|| format!("cannot store the rows of `{table}`"))
    }

    /// Appends the rows of `coded` to `table (BIGINT, ENUM)` through
    /// DuckDB's appender, writing the `ENUM` column's numbers directly.
    fn append_coded(&self, table: &str, coded: &Sorted) -> anyhow::Result<()> {
        let (catalog, schema, name) = (c_string(STORE)?, c_string("main")?, c_string(table)?);
        // SAFETY: the connection, appender, logical types and data chunk are
        // created here and destroyed on every path (the appender before the
        // connection). Each chunk holds `duckdb_vector_size()` rows at most,
        // and its vectors are written within that length, with the width
        // DuckDB gives for the column (`BIGINT`, and the `ENUM`'s internal
        // type), after each reset.
        unsafe {
            let mut conn: ffi::duckdb_connection = std::ptr::null_mut();
            if ffi::duckdb_connect(self.raw(), &mut conn) != ffi::DuckDBSuccess {
                anyhow::bail!("cannot connect to DuckDB");
            }
            let mut app: ffi::duckdb_appender = std::ptr::null_mut();
            let outcome = (|| -> anyhow::Result<()> {
                if ffi::duckdb_appender_create_ext(conn, catalog.as_ptr(), schema.as_ptr(), name.as_ptr(), &mut app)
                    != ffi::DuckDBSuccess
                {
                    anyhow::bail!("{}", appender_error(app));
                }
                let mut types = [
                    ffi::duckdb_create_logical_type(ffi::DUCKDB_TYPE_DUCKDB_TYPE_BIGINT),
                    ffi::duckdb_appender_column_type(app, 1),
                ];
                let width = match ffi::duckdb_enum_internal_type(types[1]) {
                    ffi::DUCKDB_TYPE_DUCKDB_TYPE_UTINYINT => 1,
                    ffi::DUCKDB_TYPE_DUCKDB_TYPE_USMALLINT => 2,
                    ffi::DUCKDB_TYPE_DUCKDB_TYPE_UINTEGER => 4,
                    _ => 0,
                };
                let mut chunk = ffi::duckdb_create_data_chunk(types.as_mut_ptr(), 2);
                for t in &mut types {
                    ffi::duckdb_destroy_logical_type(t);
                }
                let appended = (|| -> anyhow::Result<()> {
                    anyhow::ensure!(width > 0, "the second column of `{table}` is not an ENUM");
                    let rows = ffi::duckdb_vector_size() as usize;
                    for (ids, codes) in coded.ids.chunks(rows).zip(coded.codes.chunks(rows)) {
                        ffi::duckdb_data_chunk_reset(chunk);
                        let data = |col| ffi::duckdb_vector_get_data(ffi::duckdb_data_chunk_get_vector(chunk, col));
                        std::ptr::copy_nonoverlapping(ids.as_ptr(), data(0).cast::<i64>(), ids.len());
                        let out = data(1);
                        for (i, &c) in codes.iter().enumerate() {
                            debug_assert!((c as usize) < coded.values.len(), "an item outside the ENUM");
                            match width {
                                1 => *out.cast::<u8>().add(i) = c as u8,
                                2 => *out.cast::<u16>().add(i) = c as u16,
                                _ => *out.cast::<u32>().add(i) = c,
                            }
                        }
                        ffi::duckdb_data_chunk_set_size(chunk, ids.len() as ffi::idx_t);
                        if ffi::duckdb_append_data_chunk(app, chunk) != ffi::DuckDBSuccess {
                            anyhow::bail!("{}", appender_error(app));
                        }
                    }
                    if ffi::duckdb_appender_close(app) != ffi::DuckDBSuccess {
                        anyhow::bail!("{}", appender_error(app));
                    }
                    Ok(())
                })();
                ffi::duckdb_destroy_data_chunk(&mut chunk);
                appended
            })();
            if !app.is_null() {
                ffi::duckdb_appender_destroy(&mut app);
            }
            ffi::duckdb_disconnect(&mut conn);
            outcome
        }
    }

    /// Runs `sql` with `{stream}` standing for a table of `batches` (named
    /// after `name`).
    fn with_stream(&self, name: &str, schema: SchemaRef, batches: Batches, sql: &str) -> anyhow::Result<()> {
        let mut stream = FFI_ArrowArrayStream::new(Box::new(Reader { schema, batches }));
        // the stream's view is made in a scratch in-memory catalog: a view
        // over a stream cannot be written to the database file
        let scratch = format!("{name}__stream");
        let view = c_string(&format!("{name}__arrow_stream"))?;
        let setup = c_string(&format!("ATTACH ':memory:' AS \"{scratch}\"; USE \"{scratch}\""))?;
        let sql = sql.replace("{stream}", &format!("\"{scratch}\".main.{name}__arrow_stream"));
        let sql = c_string(&format!("{sql}; USE \"{STORE}\"; DETACH \"{scratch}\""))?;
        let mut conn: ffi::duckdb_connection = std::ptr::null_mut();
        // SAFETY: the connection is made from an open database and
        // disconnected before returning; the stream lives on this stack frame
        // until the statement that reads it has finished, and is released by
        // its `Drop`; the result is destroyed on every path.
        unsafe {
            if ffi::duckdb_connect(self.raw(), &mut conn) != ffi::DuckDBSuccess {
                anyhow::bail!("cannot connect to DuckDB");
            }
            let outcome = (|| {
                query(conn, &setup).context("cannot prepare a scratch catalog")?;
                let stream_ptr = (&mut stream as *mut FFI_ArrowArrayStream).cast();
                if ffi::duckdb_arrow_scan(conn, view.as_ptr(), stream_ptr) != ffi::DuckDBSuccess {
                    anyhow::bail!("cannot read the rows");
                }
                query(conn, &sql)
            })();
            ffi::duckdb_disconnect(&mut conn);
            outcome
        }
    }
}

/// The appender's last error.
///
/// # Safety
/// `app` must be null or an appender not yet destroyed.
unsafe fn appender_error(app: ffi::duckdb_appender) -> String {
    if app.is_null() {
        return "cannot create an appender".to_string();
    }
    // SAFETY: the appender is live; its error string is copied at once
    unsafe {
        let e = ffi::duckdb_appender_error(app);
        if e.is_null() { "unknown error".to_string() } else { CStr::from_ptr(e).to_string_lossy().into_owned() }
    }
}

/// Record batches for [`Database::load`], read as DuckDB asks for them.
pub type Batches = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

/// The batches of a channel, until it closes.
pub fn from_channel(batches: Receiver<RecordBatch>) -> Batches {
    Box::new(batches.into_iter().map(Ok))
}

/// Batches as an Arrow stream.
struct Reader {
    schema: SchemaRef,
    batches: Batches,
}

impl Iterator for Reader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.batches.next()
    }
}

impl RecordBatchReader for Reader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::super::batch::{Batch, Col, Items};
    use super::*;

    #[test]
    fn streams_batches_into_tables_while_they_are_made() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&dir.path().join("t.duckdb"), "256MB", 2, 2048).unwrap();
        let conn = db.connection().unwrap();
        conn.execute_batch("CREATE TABLE t (a VARCHAR, b BIGINT, l VARCHAR[]); CREATE TABLE u (x BIGINT, y VARCHAR)")
            .unwrap();
        let mut proto = Batch::new(&[Col::Text, Col::BigInt, Col::List]);
        let mut list = Items::default();
        list.push("a, b");
        list.push("");
        proto.text(Some("first")).big_int(Some(1)).list(&list).end_row();
        let schema = proto.take().unwrap().unwrap().schema();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let (tx2, rx2) = std::sync::mpsc::sync_channel(1);
        std::thread::scope(|s| {
            let t = s.spawn(|| db.load("t", schema.clone(), from_channel(rx)));
            let u = s.spawn(|| {
                let mut b = Batch::new(&[Col::BigInt, Col::Text]);
                b.big_int(Some(7)).text(None).end_row();
                db.load("u", b.take().unwrap().unwrap().schema(), from_channel(rx2))
            });
            for i in 0..5000 {
                let mut b = Batch::new(&[Col::Text, Col::BigInt, Col::List]);
                b.text(Some(&format!("row {i}"))).big_int(Some(i)).list(&list).end_row();
                tx.send(b.take().unwrap().unwrap()).unwrap();
            }
            let mut b = Batch::new(&[Col::BigInt, Col::Text]);
            b.big_int(Some(7)).text(None).end_row();
            tx2.send(b.take().unwrap().unwrap()).unwrap();
            drop((tx, tx2));
            t.join().unwrap().unwrap();
            u.join().unwrap().unwrap();
        });
        let (n, sum, item): (i64, i64, String) = conn
            .query_row("select count(*), sum(b), max(l[1]) from t", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap();
        assert_eq!((n, sum, item.as_str()), (5000, 5000 * 4999 / 2, "a, b"));
        let y: Option<String> = conn.query_row("select y from u", [], |r| r.get(0)).unwrap();
        assert_eq!(y, None);
        // stored in row groups of the size asked for (5,000 rows: 3 groups of at most 2,048)
        conn.execute_batch("CHECKPOINT").unwrap();
        let groups: i64 = conn
            .query_row("select count(distinct row_group_id) from pragma_storage_info('t')", [], |r| r.get(0))
            .unwrap();
        assert_eq!(groups, 3);
        // spilled data would go beside the file, not into the working directory
        let temp: String = conn.query_row("select current_setting('temp_directory')", [], |r| r.get(0)).unwrap();
        assert_eq!(temp, format!("{}.tmp", dir.path().join("t.duckdb").display()));
        let fsync: String = conn.query_row("select current_setting('fsync_mode')", [], |r| r.get(0)).unwrap();
        assert_eq!(fsync.to_lowercase(), "none");
        drop(conn);
    }

    #[test]
    fn a_batch_that_does_not_fit_the_table_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&dir.path().join("t.duckdb"), "256MB", 1, 2048).unwrap();
        let conn = db.connection().unwrap();
        conn.execute_batch("CREATE TABLE t (a BIGINT, b BIGINT)").unwrap();
        let mut b = Batch::new(&[Col::BigInt]);
        b.big_int(Some(1)).end_row();
        let batch = b.take().unwrap().unwrap();
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        tx.send(batch.clone()).unwrap();
        drop(tx);
        let err = db.load("t", batch.schema(), from_channel(rx)).unwrap_err().to_string();
        assert!(err.contains("cannot store the rows of `t`"), "{err}");
        drop(conn);
    }

    #[test]
    fn a_file_that_cannot_be_created_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("t.duckdb");
        let err = Database::open(&path, "256MB", 1, 2048).err().unwrap();
        assert!(format!("{err:#}").contains(&format!("cannot open database `{}`", path.display())), "{err:#}");
    }

    #[test]
    fn a_bad_setting_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Database::open(&dir.path().join("t.duckdb"), "lots", 1, 2048).err().unwrap().to_string();
        assert!(err.contains("max_memory"), "{err}");
    }

    /// A table of `(id, item)` rows with `n` distinct items, `item 0` to `item n-1`.
    fn coded(n: usize) -> Sorted {
        let mut coded = super::super::batch::Coded::default();
        for i in 0..n {
            for id in 0..3 {
                let item = format!("item {i:05}");
                coded.push(id, &item, super::super::batch::hash(&item));
            }
        }
        coded.sorted()
    }

    #[test]
    fn coded_rows_become_an_enum_column() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&dir.path().join("t.duckdb"), "256MB", 1, 2048).unwrap();
        // the three widths DuckDB stores an ENUM's numbers in, and no item at all
        for (n, table) in [(3, "small"), (300, "wide"), (70_000, "wider"), (0, "none")] {
            db.load_coded(table, ["recipe_id", "item", &format!("{table}_value")], &coded(n)).unwrap();
        }
        let conn = db.connection().unwrap();
        conn.execute_batch("CHECKPOINT").unwrap();
        for (n, table) in [(3i64, "small"), (300, "wide"), (70_000, "wider"), (0, "none")] {
            let sql = format!(
                "select count(*), count(distinct item), coalesce(sum(recipe_id), 0), min(item)::varchar, \
                 max(item)::varchar, count(*) filter (where item = 'item 00002'), \
                 (select count(*) from (select list(recipe_id order by recipe_id) as ids from {table} group by item) \
                  where ids <> [0, 1, 2]) \
                 from {table}"
            );
            type Got = (i64, i64, i64, Option<String>, Option<String>, i64, i64);
            let got: Got = conn
                .query_row(&sql, [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
                })
                .unwrap_or_else(|e| panic!("{table}: {e}"));
            let (first, last) =
                if n == 0 { (None, None) } else { (Some("item 00000".into()), Some(format!("item {:05}", n - 1))) };
            assert_eq!(got, (3 * n, n, 3 * n, first, last, if n > 2 { 3 } else { 0 }, 0), "{table}");
            let kind: String = conn
                .query_row(&format!("select data_type from information_schema.columns where table_name = '{table}' and column_name = 'item'"), [], |r| r.get(0))
                .unwrap();
            assert!(kind.starts_with("ENUM("), "{table}: {kind}");
        }
        // ordered as the text is, and equal to text outside the ENUM's values
        let (ordered, outside): (bool, i64) = conn
            .query_row(
                "select list(item order by item) = list(item::varchar order by item::varchar), \
                 count(*) filter (where item = 'no such item' or item < 'item 00001') from wide",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((ordered, outside), (true, 3));
        drop(conn);
    }

    #[test]
    fn coded_rows_for_a_table_that_exists_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::open(&dir.path().join("t.duckdb"), "256MB", 1, 2048).unwrap();
        db.load_coded("t", ["id", "item", "t_value"], &coded(2)).unwrap();
        let err = db.load_coded("t", ["id", "item", "u_value"], &coded(2)).unwrap_err();
        assert!(format!("{err:#}").contains("cannot create `t`"), "{err:#}");
    }
}
