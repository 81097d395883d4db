//! An overlap model's `(item, member)` pairs, read column by column (the
//! pairs can be millions: read as rows of values they would cost more than
//! the overlap itself). Whole numbers stay numbers; text (and `ENUM`s) is
//! numbered in sorted order.

use super::{QuerySpec, sql_error};
use crate::error::SourceError;
use crate::model::{Keys, Pairs};
use duckdb::arrow::array::{Array, ArrayRef, AsArray};
use duckdb::arrow::datatypes::{self as types, DataType};
use std::collections::HashMap;

/// Runs `spec` (two columns: item, member) and reads its rows as pairs,
/// leaving out those with a NULL.
pub fn read_pairs(conn: &duckdb::Connection, spec: &QuerySpec) -> Result<Pairs, SourceError> {
    let fail = |e: duckdb::Error| sql_error(spec, &e.to_string());
    let mut stmt = conn.prepare(&spec.sql).map_err(fail)?;
    // run to the end first: the keys are then allocated once, at their
    // size (grown as they come, they would be copied and their fresh
    // memory touched twice over)
    stmt.execute([]).map_err(fail)?;
    let rows = stmt.row_count();
    let (mut items, mut members) = (Column::default(), Column::default());
    let (mut item_keys, mut member_keys) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    let (mut ka, mut kb) = (Vec::new(), Vec::new());
    while let Some(array) = stmt.step().map_err(fail)? {
        let batch = duckdb::arrow::record_batch::RecordBatch::from(&array);
        if batch.num_columns() != 2 {
            return Err(sql_error(
                spec,
                &format!("the pairs must be two columns (item, member), the query gives {}", batch.num_columns()),
            ));
        }
        let (a, b) = (batch.column(0), batch.column(1));
        let of_items = |m: String| sql_error(spec, &format!("the items {m}"));
        let of_members = |m: String| sql_error(spec, &format!("the members {m}"));
        if a.null_count() == 0 && b.null_count() == 0 {
            // straight into place: the pairs can be millions
            items.keys(a.as_ref(), &mut item_keys).map_err(of_items)?;
            members.keys(b.as_ref(), &mut member_keys).map_err(of_members)?;
            continue;
        }
        ka.clear();
        kb.clear();
        items.keys(a.as_ref(), &mut ka).map_err(of_items)?;
        members.keys(b.as_ref(), &mut kb).map_err(of_members)?;
        for (i, (&x, &y)) in ka.iter().zip(&kb).enumerate() {
            if a.is_valid(i) && b.is_valid(i) {
                item_keys.push(x);
                member_keys.push(y);
            }
        }
    }
    Ok(Pairs { items: items.finish(item_keys), members: members.finish(member_keys) })
}

/// One column of the pairs as it is read.
#[derive(Default)]
struct Column {
    /// Whether it holds text (known from its first batch).
    text: Option<bool>,
    /// The text's numbers, in order of first appearance.
    numbers: HashMap<String, i64>,
    /// The values of the last dictionary read, and their numbers.
    dictionary: Option<(ArrayRef, Vec<i64>)>,
}

impl Column {
    /// Appends a key for each value of `array` to `out` (any key for a NULL).
    fn keys(&mut self, array: &dyn Array, out: &mut Vec<i64>) -> Result<(), String> {
        let text = !array.data_type().is_integer();
        if *self.text.get_or_insert(text) != text {
            return Err(format!("change type between rows (now {})", array.data_type()));
        }
        macro_rules! ints {
            ($t:ty) => {
                out.extend(array.as_primitive::<$t>().values().iter().map(|&v| i64::from(v)))
            };
        }
        match array.data_type() {
            DataType::Int8 => ints!(types::Int8Type),
            DataType::Int16 => ints!(types::Int16Type),
            DataType::Int32 => ints!(types::Int32Type),
            DataType::Int64 => ints!(types::Int64Type),
            DataType::UInt8 => ints!(types::UInt8Type),
            DataType::UInt16 => ints!(types::UInt16Type),
            DataType::UInt32 => ints!(types::UInt32Type),
            DataType::UInt64 => {
                let a = array.as_primitive::<types::UInt64Type>();
                for (i, &v) in a.values().iter().enumerate() {
                    match i64::try_from(v) {
                        Ok(k) => out.push(k),
                        Err(_) if a.is_null(i) => out.push(0),
                        Err(_) => return Err(format!("hold {v}, too large a number")),
                    }
                }
            }
            DataType::Dictionary(_, _) => {
                // an ENUM: its values numbered once (each batch brings them
                // again, mostly the same)
                let d = array.as_any_dictionary();
                if self.dictionary.as_ref().is_none_or(|(values, _)| values.to_data() != d.values().to_data()) {
                    let mut numbers = Vec::new();
                    self.keys(d.values().as_ref(), &mut numbers)?;
                    self.dictionary = Some((d.values().clone(), numbers));
                }
                let numbers = self.dictionary.as_ref().map(|(_, n)| n.as_slice()).unwrap_or_default();
                out.extend(d.normalized_keys().into_iter().map(|k| numbers.get(k).copied().unwrap_or(0)));
            }
            _ => {
                let strings: Vec<Option<&str>> = match array.data_type() {
                    DataType::Utf8 => array.as_string::<i32>().iter().collect(),
                    DataType::LargeUtf8 => array.as_string::<i64>().iter().collect(),
                    DataType::Utf8View => array.as_string_view().iter().collect(),
                    other => return Err(format!("are {other}: they must be whole numbers or text")),
                };
                for s in strings {
                    let k = s.map_or(0, |s| self.number(s));
                    out.push(k);
                }
            }
        }
        Ok(())
    }

    /// The number of text `s`, given at its first appearance.
    fn number(&mut self, s: &str) -> i64 {
        if let Some(&n) = self.numbers.get(s) {
            return n;
        }
        let n = self.numbers.len() as i64;
        self.numbers.insert(s.to_string(), n);
        n
    }

    /// The keys read, with text renumbered in sorted order.
    fn finish(self, keys: Vec<i64>) -> Keys {
        if self.text != Some(true) {
            return Keys { keys, names: None };
        }
        let mut names: Vec<(String, i64)> = self.numbers.into_iter().collect();
        names.sort();
        let mut renumber = vec![0i64; names.len()];
        for (sorted, (_, first)) in names.iter().enumerate() {
            renumber[*first as usize] = sorted as i64;
        }
        Keys {
            keys: keys.into_iter().map(|k| renumber[k as usize]).collect(),
            names: Some(names.into_iter().map(|(s, _)| s).collect()),
        }
    }
}
