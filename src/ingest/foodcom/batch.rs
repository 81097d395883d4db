//! Columnar batches: rows are written value by value straight into Arrow
//! builders (no row object in between) and go into DuckDB a batch at a time
//! through the appender's Arrow path, which is many times faster than
//! appending value by value. List columns are native `VARCHAR[]`; a parsed
//! list ([`Items`]) is already laid out as Arrow lays out a list's items, so
//! it is copied whole.

use duckdb::arrow::array::{
    Array, ArrayBuilder, ArrayRef, Date32Builder, Float64Builder, Int32Builder, Int64Array, Int64Builder, ListArray,
    StringArray, StringBuilder, builder::NullBufferBuilder,
};
use duckdb::arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use duckdb::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use std::sync::Arc;

/// Rows per batch at most.
pub const ROWS: usize = 32 * 1024;

/// Rows per batch at least, but for a file's last rows.
pub const MIN_ROWS: usize = 2048;

/// The type of a table column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    /// `VARCHAR`.
    Text,
    /// `BIGINT`.
    BigInt,
    /// `INTEGER`.
    Int,
    /// `DOUBLE`.
    Double,
    /// `DATE`.
    Date,
    /// `VARCHAR[]`.
    List,
}

/// The items of one list, in one buffer: item `i` is
/// `text[ends[i - 1]..ends[i]]` (from 0 for the first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Items {
    text: String,
    ends: Vec<usize>,
}

impl Items {
    /// Removes every item, keeping the buffers.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// Adds an item.
    pub fn push(&mut self, item: &str) {
        self.text.push_str(item);
        self.ends.push(self.text.len());
    }

    /// Parses a Python list of strings into the items (cleared first).
    pub fn parse(&mut self, src: &str) -> Result<(), String> {
        self.clear();
        let Items { text, ends } = self;
        super::pylist::append_strings(src, text, |end| ends.push(end)).map(|_| ())
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no item.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter()).map(|(s, &e)| &self.text[s..e])
    }
}

/// The items `item(0)` to `item(n - 1)` in order, each one only at its
/// first appearance, with its [`hash`].
fn distinct<'a>(n: usize, item: impl Fn(usize) -> &'a str + 'a) -> impl Iterator<Item = (&'a str, u64)> + 'a {
    // lists of up to SHORT items (all tags and ingredients lists of the real
    // files) compare each item's hash with the earlier ones', and the text
    // only when two hashes are equal: no allocation, no per-list set; longer
    // lists use a set
    const SHORT: usize = 64;
    let short = n <= SHORT;
    let mut hashes = [0u64; SHORT];
    let mut seen: std::collections::HashSet<&str, _> =
        std::collections::HashSet::with_capacity_and_hasher(if short { 0 } else { n }, HASHER);
    (0..n).filter_map(move |i| {
        let it = item(i);
        let h = hash(it);
        let first = if short {
            hashes[i] = h;
            !hashes[..i].contains(&h) || !(0..i).any(|j| hashes[j] == h && item(j) == it)
        } else {
            seen.insert(it)
        };
        first.then_some((it, h))
    })
}

/// The hasher of list items.
const HASHER: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x6d61_6e67_6574_616d);

/// The hash of a list item, as `distinct` gives it and [`Coded::push`] takes it.
pub fn hash(item: &str) -> u64 {
    std::hash::BuildHasher::hash_one(&HASHER, item)
}

/// The rows of a two-column table `(id, item)` whose items are held once
/// each and referred to by number, as DuckDB stores an `ENUM` column: many
/// rows, few distinct items. The items' order is known only at the end
/// ([`Coded::sorted`]), so the rows are held until then.
#[derive(Debug, Default)]
pub struct Coded {
    /// The distinct items, in order of first appearance.
    values: Vec<Box<str>>,
    /// Positions in `values`, found by the items' hashes.
    index: hashbrown::HashTable<u32>,
    ids: Vec<i64>,
    codes: Vec<u32>,
}

/// A [`Coded`] table once complete: the distinct items in sorted (byte)
/// order, and each row's id and the position of its item among them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sorted {
    /// The distinct items, sorted.
    pub values: Vec<Box<str>>,
    /// The first column of each row.
    pub ids: Vec<i64>,
    /// Each row's item, as a position in `values`.
    pub codes: Vec<u32>,
}

impl Coded {
    /// Adds the row `(id, item)`; `hash` is the item's [`hash`].
    pub fn push(&mut self, id: i64, item: &str, hash: u64) {
        let Coded { values, index, ids, codes } = self;
        let code = match index.find(hash, |&c| &*values[c as usize] == item) {
            Some(&c) => c,
            None => {
                // more distinct items than u32 can count do not fit in memory
                let c = u32::try_from(values.len()).unwrap_or(u32::MAX);
                values.push(item.into());
                index.insert_unique(hash, c, |&c| self::hash(&values[c as usize]));
                c
            }
        };
        ids.push(id);
        codes.push(code);
    }

    /// Adds, for each row of a batch, the rows `(id, item)` for each
    /// distinct item of its list: `ids` is the batch's `BIGINT` column and
    /// `lists` its `VARCHAR[]` column (NULL ids and lists add nothing).
    pub fn add_lists(&mut self, ids: &dyn Array, lists: &dyn Array) -> Result<(), String> {
        let ids = ids.as_any().downcast_ref::<Int64Array>().ok_or("the id column is not BIGINT")?;
        let lists = lists.as_any().downcast_ref::<ListArray>().ok_or("the list column is not a list")?;
        let items = lists.values().as_any().downcast_ref::<StringArray>().ok_or("the list items are not text")?;
        let offsets = lists.value_offsets();
        for row in 0..lists.len().min(ids.len()) {
            if ids.is_null(row) || lists.is_null(row) {
                continue;
            }
            let (id, start) = (ids.value(row), offsets[row] as usize);
            for (item, hash) in distinct(offsets[row + 1] as usize - start, |i| items.value(start + i)) {
                self.push(id, item, hash);
            }
        }
        Ok(())
    }

    /// The rows, their items numbered in sorted order.
    pub fn sorted(self) -> Sorted {
        let Coded { values, ids, mut codes, .. } = self;
        let mut order: Vec<u32> = (0..values.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| values[a as usize].cmp(&values[b as usize]));
        let mut rank = vec![0u32; values.len()];
        for (new, &old) in order.iter().enumerate() {
            rank[old as usize] = new as u32;
        }
        for c in &mut codes {
            *c = rank[*c as usize];
        }
        let mut values: Vec<Option<Box<str>>> = values.into_iter().map(Some).collect();
        let values = order.iter().filter_map(|&old| values[old as usize].take()).collect();
        Sorted { values, ids, codes }
    }
}

enum Builder {
    Text(StringBuilder),
    BigInt(Int64Builder),
    Int(Int32Builder),
    Double(Float64Builder),
    Date(Date32Builder),
    List(Lists),
}

/// A `VARCHAR[]` column being filled. [`Items`] already hold a list's items
/// the way Arrow does (the text in one buffer, and where each item ends), so
/// a list is copied in two bulk copies instead of item by item.
struct Lists {
    /// The items' text, one after the other: only ever whole `&str`s, so
    /// valid UTF-8, and every offset is at a character boundary.
    text: Vec<u8>,
    /// Where each item starts and ends in `text` (from 0).
    item_offsets: Vec<i32>,
    /// Where each list starts and ends in `item_offsets` (from 0).
    list_offsets: Vec<i32>,
    nulls: NullBufferBuilder,
    /// Set when the text outgrew Arrow's 32-bit offsets (2 GiB in a batch).
    overflow: bool,
}

impl Lists {
    fn with_capacity(lists: usize, items: usize, bytes: usize) -> Lists {
        let mut item_offsets = Vec::with_capacity(items + 1);
        item_offsets.push(0);
        let mut list_offsets = Vec::with_capacity(lists + 1);
        list_offsets.push(0);
        Lists {
            text: Vec::with_capacity(bytes),
            item_offsets,
            list_offsets,
            nulls: NullBufferBuilder::new(lists),
            overflow: false,
        }
    }

    fn len(&self) -> usize {
        self.list_offsets.len() - 1
    }

    fn push(&mut self, items: &Items) {
        let base = self.text.len();
        self.text.extend_from_slice(items.text.as_bytes());
        self.item_offsets.extend(items.ends.iter().map(|&end| (base + end) as i32));
        // the last offsets are the largest: when they fit, all do
        if i32::try_from(self.text.len()).is_err() || i32::try_from(self.item_offsets.len()).is_err() {
            self.overflow = true;
        }
        self.list_offsets.push(self.item_offsets.len() as i32 - 1);
        self.nulls.append_non_null();
    }

    fn push_null(&mut self) {
        self.list_offsets.push(self.item_offsets.len() as i32 - 1);
        self.nulls.append_null();
    }

    fn finish(self) -> Result<ListArray, String> {
        if self.overflow {
            return Err("more than 2 GiB of list items in one batch".into());
        }
        let Lists { text, item_offsets, list_offsets, mut nulls, .. } = self;
        // offsets only grow: each is the end of the text or of the items so far
        let item_offsets = OffsetBuffer::new(ScalarBuffer::from(item_offsets));
        // SAFETY: `text` holds whole `&str`s one after the other, so it is
        // valid UTF-8, and each offset is where one of them ends (or 0), so
        // on a character boundary; the offsets grow and stay within `text`
        // (checked against overflow above).
        let items = unsafe { StringArray::new_unchecked(item_offsets, Buffer::from_vec(text), None) };
        ListArray::try_new(
            list_field(),
            OffsetBuffer::new(ScalarBuffer::from(list_offsets)),
            Arc::new(items),
            nulls.finish(),
        )
        .map_err(|e| e.to_string())
    }
}

/// The Arrow field of a list column's items.
fn list_field() -> FieldRef {
    Arc::new(Field::new("item", DataType::Utf8, true))
}

/// A method writing the next column's value, or NULL for `None`.
macro_rules! push {
    ($name:ident, $t:ty, $variant:ident, $kind:literal, $doc:literal) => {
        #[doc = $doc]
        pub fn $name(&mut self, v: Option<$t>) -> &mut Batch {
            match (self.next(), v) {
                (Builder::$variant(b), Some(v)) => b.append_value(v),
                (b, _) => null(b, $kind),
            }
            self
        }
    };
}

/// A batch being filled. Values are written column by column in table
/// order for one row, then [`Batch::end_row`]; a value of the wrong type
/// for its column is a programming error (a debug assertion; NULL in release).
pub struct Batch {
    schema: Arc<Schema>,
    builders: Vec<Builder>,
    col: usize,
    rows: usize,
}

impl Batch {
    /// An empty batch for columns of these types.
    pub fn new(columns: &[Col]) -> Batch {
        let fields: Vec<Field> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let t = match c {
                    Col::Text => DataType::Utf8,
                    Col::BigInt => DataType::Int64,
                    Col::Int => DataType::Int32,
                    Col::Double => DataType::Float64,
                    Col::Date => DataType::Date32,
                    Col::List => DataType::List(list_field()),
                };
                Field::new(format!("c{i}"), t, true)
            })
            .collect();
        let builders = columns.iter().map(|c| builder(*c)).collect();
        Batch { schema: Arc::new(Schema::new(fields)), builders, col: 0, rows: 0 }
    }

    /// The Arrow schema of the batches.
    pub fn schema(&self) -> Arc<Schema> {
        self.schema.clone()
    }

    /// Rows complete.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no row is complete.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    fn next(&mut self) -> &mut Builder {
        let i = self.col;
        self.col += 1;
        &mut self.builders[i]
    }

    push!(text, &str, Text, "text", "The next column's value: text.");
    push!(big_int, i64, BigInt, "bigint", "The next column's value: a `BIGINT`.");
    push!(int, i32, Int, "int", "The next column's value: an `INTEGER`.");
    push!(double, f64, Double, "double", "The next column's value: a `DOUBLE`.");
    push!(date, i32, Date, "date", "The next column's value: a `DATE`, in days since 1970-01-01.");

    /// The next column's value: a `VARCHAR[]`.
    pub fn list(&mut self, items: &Items) -> &mut Batch {
        match self.next() {
            Builder::List(b) => b.push(items),
            b => null(b, "list"),
        }
        self
    }

    /// Completes the row.
    pub fn end_row(&mut self) {
        debug_assert_eq!(self.col, self.builders.len(), "a row must give every column");
        self.col = 0;
        self.rows += 1;
    }

    /// Hands the rows to `app` and starts a new batch.
    pub fn flush(&mut self, app: &mut duckdb::Appender<'_>) -> duckdb::Result<()> {
        match self.take()? {
            Some(batch) => app.append_record_batch(batch),
            None => Ok(()),
        }
    }

    /// The rows as a record batch (none when empty); starts a new batch.
    pub fn take(&mut self) -> duckdb::Result<Option<RecordBatch>> {
        if self.rows == 0 {
            return Ok(None);
        }
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| -> Result<ArrayRef, String> {
                // the next batch starts at this one's size: growing a
                // builder from empty copies its buffers again and again
                let b = std::mem::replace(b, b.sized_like());
                Ok(match b {
                    Builder::Text(mut b) => Arc::new(b.finish()),
                    Builder::BigInt(mut b) => Arc::new(b.finish()),
                    Builder::Int(mut b) => Arc::new(b.finish()),
                    Builder::Double(mut b) => Arc::new(b.finish()),
                    Builder::Date(mut b) => Arc::new(b.finish()),
                    Builder::List(b) => Arc::new(b.finish()?),
                })
            })
            .collect::<Result<_, String>>()
            .map_err(|e| duckdb::Error::ToSqlConversionFailure(e.into()))?;
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays)
            .map(Some)
            .map_err(|e| duckdb::Error::ToSqlConversionFailure(Box::new(e)))
    }
}

/// Appends NULL; `wanted` is what the caller gave, which must match the column.
fn null(b: &mut Builder, wanted: &str) {
    let matches = matches!(
        (&*b, wanted),
        (Builder::Text(_), "text")
            | (Builder::BigInt(_), "bigint")
            | (Builder::Int(_), "int")
            | (Builder::Double(_), "double")
            | (Builder::Date(_), "date")
    );
    debug_assert!(matches, "a {wanted} value for a column of another type");
    match b {
        Builder::Text(b) => b.append_null(),
        Builder::BigInt(b) => b.append_null(),
        Builder::Int(b) => b.append_null(),
        Builder::Double(b) => b.append_null(),
        Builder::Date(b) => b.append_null(),
        Builder::List(b) => b.push_null(),
    }
}

impl Builder {
    /// An empty builder of the same type, with room for what this one holds
    /// and an eighth more.
    fn sized_like(&self) -> Builder {
        fn more(n: usize) -> usize {
            n + n / 8
        }
        match self {
            Builder::Text(b) => {
                Builder::Text(StringBuilder::with_capacity(more(b.len()), more(b.values_slice().len())))
            }
            Builder::BigInt(b) => Builder::BigInt(Int64Builder::with_capacity(more(b.len()))),
            Builder::Int(b) => Builder::Int(Int32Builder::with_capacity(more(b.len()))),
            Builder::Double(b) => Builder::Double(Float64Builder::with_capacity(more(b.len()))),
            Builder::Date(b) => Builder::Date(Date32Builder::with_capacity(more(b.len()))),
            Builder::List(b) => {
                Builder::List(Lists::with_capacity(more(b.len()), more(b.item_offsets.len()), more(b.text.len())))
            }
        }
    }
}

fn builder(c: Col) -> Builder {
    match c {
        Col::Text => Builder::Text(StringBuilder::new()),
        Col::BigInt => Builder::BigInt(Int64Builder::new()),
        Col::Int => Builder::Int(Int32Builder::new()),
        Col::Double => Builder::Double(Float64Builder::new()),
        Col::Date => Builder::Date(Date32Builder::new()),
        Col::List => Builder::List(Lists::with_capacity(0, 0, 0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distinct_of(list: &Items) -> std::vec::IntoIter<(&str, u64)> {
        let items: Vec<&str> = list.iter().collect();
        distinct(items.len(), move |i| items[i]).collect::<Vec<_>>().into_iter()
    }

    fn items(list: &[&str]) -> Items {
        let mut out = Items::default();
        for s in list {
            out.push(s);
        }
        out
    }

    #[test]
    fn batches_reach_the_table() {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a VARCHAR, b BIGINT, c INTEGER, d DOUBLE, e DATE, f VARCHAR[])").unwrap();
        let mut app = conn.appender("t").unwrap();
        let mut batch = Batch::new(&[Col::Text, Col::BigInt, Col::Int, Col::Double, Col::Date, Col::List]);
        batch
            .text(Some("x"))
            .big_int(Some(2147483648))
            .int(Some(5))
            .double(Some(1.5))
            .date(Some(1))
            .list(&items(&["a, b", "it's", ""]))
            .end_row();
        batch.text(None).big_int(None).int(None).double(None).date(None).list(&Items::default()).end_row();
        assert_eq!(batch.len(), 2);
        batch.flush(&mut app).unwrap();
        assert!(batch.is_empty());
        app.flush().unwrap();
        drop(app);
        let (b, e, n, f2, f3): (i64, String, i64, String, String) = conn
            .query_row("select b, e::varchar, len(f), f[2], f[3] from t where a = 'x'", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .unwrap();
        assert_eq!((b, e.as_str(), n, f2.as_str(), f3.as_str()), (2147483648, "1970-01-02", 3, "it's", ""));
        let (empty, nulls): (i64, i64) = conn
            .query_row(
                "select len(f), (b is null)::int + (d is null)::int + (e is null)::int from t where a is null",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((empty, nulls), (0, 3));
    }

    #[test]
    fn lists_are_copied_whole_and_batch_after_batch() {
        let lists = [vec!["crème brûlée", "", "a, b"], vec![], vec!["it's", "日本"], vec![""]];
        let mut batch = Batch::new(&[Col::List]);
        // the second batch starts with buffers sized like the first's
        for round in 0..2 {
            for l in &lists {
                batch.list(&items(l)).end_row();
            }
            let b = batch.take().unwrap().unwrap();
            let col = b.column(0).as_any().downcast_ref::<ListArray>().unwrap();
            assert_eq!(col.null_count(), 0, "round {round}");
            let back: Vec<Vec<String>> = (0..col.len())
                .map(|i| {
                    let v = col.value(i);
                    let v = v.as_any().downcast_ref::<StringArray>().unwrap();
                    (0..v.len()).map(|j| v.value(j).to_string()).collect()
                })
                .collect();
            assert_eq!(back, lists, "round {round}");
        }
        // a NULL list (only a column given a value of another type writes one)
        let mut l = Lists::with_capacity(0, 0, 0);
        l.push(&items(&["x"]));
        l.push_null();
        l.push(&items(&["y", "z"]));
        let a = l.finish().unwrap();
        assert_eq!((a.len(), a.is_null(1), a.value_length(2)), (3, true, 2));
        // text beyond Arrow's 32-bit offsets is an error, not a wrapped offset
        let mut l = Lists::with_capacity(0, 0, 0);
        l.push(&items(&["x"]));
        l.overflow = true;
        assert!(l.finish().unwrap_err().contains("2 GiB"));
    }

    #[test]
    fn items_keep_order_and_find_distinct_ones() {
        let list = items(&["b", "a", "b", "", "a", ""]);
        assert_eq!(list.len(), 6);
        assert_eq!(list.iter().collect::<Vec<_>>(), ["b", "a", "b", "", "a", ""]);
        assert_eq!(distinct_of(&list).map(|(s, _)| s).collect::<Vec<_>>(), ["b", "a", ""]);
        assert!(distinct_of(&list).all(|(s, h)| h == hash(s)), "each item comes with its hash");
        // below and above the length where a set takes over
        for n in [40, 64, 65, 200] {
            let long: Vec<String> = (0..n).map(|i| format!("t{}", i % 13)).collect();
            let long = items(&long.iter().map(String::as_str).collect::<Vec<_>>());
            let expected: Vec<String> = (0..13).map(|i| format!("t{i}")).collect();
            assert_eq!(distinct_of(&long).map(|(s, _)| s).collect::<Vec<_>>(), expected, "{n} items");
            assert!(distinct_of(&long).all(|(s, h)| h == hash(s)), "{n} items");
        }
        let mut list = list;
        list.clear();
        assert!(list.is_empty());
        assert_eq!(distinct_of(&list).count(), 0);
    }

    #[test]
    fn coded_rows_number_their_items_in_sorted_order() {
        let mut coded = Coded::default();
        let rows = [(1, "salt"), (1, "Éclair"), (2, "salt"), (2, "apple"), (3, "Zest"), (3, ""), (4, "apple")];
        for (id, item) in rows {
            coded.push(id, item, hash(item));
        }
        let sorted = coded.sorted();
        assert_eq!(sorted.ids.len(), rows.len());
        // byte order, as DuckDB orders text: upper case, then lower case, then other scripts
        let values: Vec<&str> = sorted.values.iter().map(|v| &**v).collect();
        assert_eq!(values, ["", "Zest", "apple", "salt", "Éclair"]);
        let back: Vec<(i64, &str)> =
            sorted.ids.iter().zip(&sorted.codes).map(|(&id, &c)| (id, values[c as usize])).collect();
        assert_eq!(back, rows, "every row keeps its id and item, in order");
        assert_eq!(Coded::default().sorted(), Sorted::default());
    }

    #[test]
    fn coded_rows_hold_many_distinct_items() {
        // more items than the index first has room for, pushed twice
        let mut coded = Coded::default();
        for round in 0..2 {
            for i in (0..5000).rev() {
                let item = format!("item {i}");
                coded.push(round, &item, hash(&item));
            }
        }
        let sorted = coded.sorted();
        assert_eq!(sorted.values.len(), 5000);
        assert!(sorted.values.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(&*sorted.values[sorted.codes[0] as usize], "item 4999");
        assert_eq!(sorted.codes[..5000], sorted.codes[5000..], "the same item has the same number");
    }

    #[test]
    fn coded_rows_come_from_a_batch_of_lists() {
        let mut batch = Batch::new(&[Col::BigInt, Col::List]);
        batch.big_int(Some(7)).list(&items(&["b", "a", "b"])).end_row();
        batch.big_int(Some(8)).list(&Items::default()).end_row();
        batch.big_int(None).list(&items(&["skipped"])).end_row();
        batch.big_int(Some(9)).list(&items(&["a"])).end_row();
        let b = batch.take().unwrap().unwrap();
        let mut coded = Coded::default();
        coded.add_lists(b.column(0), b.column(1)).unwrap();
        let sorted = coded.sorted();
        let rows: Vec<(i64, &str)> =
            sorted.ids.iter().zip(&sorted.codes).map(|(&id, &c)| (id, &*sorted.values[c as usize])).collect();
        assert_eq!(rows, [(7, "b"), (7, "a"), (9, "a")]);
        // columns of other types are an error, not a guess
        let err = Coded::default().add_lists(b.column(1), b.column(1)).unwrap_err();
        assert!(err.contains("BIGINT"), "{err}");
        let err = Coded::default().add_lists(b.column(0), b.column(0)).unwrap_err();
        assert!(err.contains("list"), "{err}");
    }
}
