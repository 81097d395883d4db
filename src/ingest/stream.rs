//! Streams Arrow record batches into DuckDB tables through DuckDB's own
//! Arrow scan, the fastest way in: the batches a parser sends on a channel
//! are read by an `INSERT INTO table SELECT * FROM stream` that runs while
//! the parser is still reading, and DuckDB converts and stores them on its
//! own threads. Several tables load at once, each on its own connection.
//!
//! This is the one place that talks to DuckDB's C API directly: the Arrow
//! scan needs the raw handles, which the safe wrapper does not give out.

use anyhow::Context;
use duckdb::arrow::datatypes::SchemaRef;
use duckdb::arrow::error::ArrowError;
use duckdb::arrow::ffi_stream::FFI_ArrowArrayStream;
use duckdb::arrow::record_batch::{RecordBatch, RecordBatchReader};
use duckdb::ffi;
use std::ffi::{CStr, CString};
use std::path::Path;
use std::sync::mpsc::Receiver;

/// A DuckDB database opened through the C API, closed when dropped. Every
/// connection made from it must be dropped first.
pub struct Database {
    raw: ffi::duckdb_database,
}

/// The name the database file is attached under while ingest writes it.
const STORE: &str = "store";

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

    /// A connection for ordinary statements. It must be dropped before the database.
    pub fn connection(&self) -> anyhow::Result<duckdb::Connection> {
        // SAFETY: `raw` is an open database, and it outlives the connection
        // (the caller drops connections first; see the type's contract).
        let conn = unsafe { duckdb::Connection::open_from_raw(self.raw) }.context("cannot connect to DuckDB")?;
        conn.execute_batch(&format!("USE \"{STORE}\"")).context("cannot use the database file")?;
        Ok(conn)
    }

    /// Appends every batch received on `batches` to `table`, until the
    /// channel closes; returns when all of them are stored. Batches must have
    /// `schema`, whose columns match the table's in order and type.
    pub fn load(&self, table: &str, schema: SchemaRef, batches: Receiver<RecordBatch>) -> anyhow::Result<()> {
        let mut stream = FFI_ArrowArrayStream::new(Box::new(ChannelReader { schema, batches }));
        // the stream's view is made in a scratch in-memory catalog: a view
        // over a stream cannot be written to the database file
        let scratch = format!("{table}__stream");
        let view = c_string(&format!("{table}__arrow_stream"))?;
        let setup = c_string(&format!("ATTACH ':memory:' AS \"{scratch}\"; USE \"{scratch}\""))?;
        let sql = c_string(&format!(
            "INSERT INTO \"{STORE}\".main.{table} SELECT * FROM \"{scratch}\".main.{table}__arrow_stream; USE \"{STORE}\"; DETACH \"{scratch}\"",
        ))?;
        let mut conn: ffi::duckdb_connection = std::ptr::null_mut();
        // SAFETY: the connection is made from an open database and
        // disconnected before returning; the stream lives on this stack frame
        // until the statement that reads it has finished, and is released by
        // its `Drop`; the result is destroyed on every path.
        unsafe {
            if ffi::duckdb_connect(self.raw, &mut conn) != ffi::DuckDBSuccess {
                anyhow::bail!("cannot connect to DuckDB to load `{table}`");
            }
            let outcome = (|| {
                query(conn, &setup).with_context(|| format!("cannot prepare to load `{table}`"))?;
                let stream_ptr = (&mut stream as *mut FFI_ArrowArrayStream).cast();
                if ffi::duckdb_arrow_scan(conn, view.as_ptr(), stream_ptr) != ffi::DuckDBSuccess {
                    anyhow::bail!("cannot read the rows of `{table}`");
                }
                query(conn, &sql).with_context(|| format!("cannot store the rows of `{table}`"))
            })();
            ffi::duckdb_disconnect(&mut conn);
            outcome
        }
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
unsafe fn query(conn: ffi::duckdb_connection, sql: &CStr) -> anyhow::Result<()> {
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

fn c_string(s: &str) -> anyhow::Result<CString> {
    CString::new(s).with_context(|| format!("`{s}` holds a NUL byte"))
}

/// The batches of a channel as an Arrow stream: it ends when the channel closes.
struct ChannelReader {
    schema: SchemaRef,
    batches: Receiver<RecordBatch>,
}

impl Iterator for ChannelReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.batches.recv().ok().map(Ok)
    }
}

impl RecordBatchReader for ChannelReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::batch::{Batch, Col, Items};

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
            let t = s.spawn(|| db.load("t", schema.clone(), rx));
            let u = s.spawn(|| {
                let mut b = Batch::new(&[Col::BigInt, Col::Text]);
                b.big_int(Some(7)).text(None).end_row();
                db.load("u", b.take().unwrap().unwrap().schema(), rx2)
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
        let err = db.load("t", batch.schema(), rx).unwrap_err().to_string();
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
}
