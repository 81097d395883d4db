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

    /// Hands the rows to `app` and starts a new batch (the tests' way to
    /// load rows; the build streams them with [`Batch::take`]).
    #[cfg(test)]
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
mod tests;
