//! The plain data that flows between stages: query results as owned tables.
//!
//! `query` produces a [`Table`] per named query; `chart`, `render` and the CSV
//! downloads consume it. Nothing here knows about DuckDB, so chart and render
//! tests build tables by hand.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One cell of a query result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A boolean.
    Bool(bool),
    /// Any integer type that fits 64 bits.
    Int(i64),
    /// Floating-point and decimal values.
    Float(f64),
    /// Text.
    Text(String),
    /// A calendar date.
    Date(NaiveDate),
}

impl Value {
    /// The value as a number, when it is one (integers widen to `f64`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// Whether the value stands for nothing: NULL, or a float that is not a number.
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Null) || matches!(self, Value::Float(f) if f.is_nan())
    }

    /// The name of the value's type, for fingerprints and messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Text(_) => "text",
            Value::Date(_) => "date",
        }
    }

    /// The value as written in a CSV download: dates `YYYY-MM-DD`, numbers
    /// unrounded (shortest text that reads back as the same number), empty for NULL.
    pub fn to_csv_field(&self) -> String {
        let mut out = String::new();
        self.write_csv_field(&mut out);
        out
    }

    /// [`Value::to_csv_field`], appended to `out`.
    pub fn write_csv_field(&self, out: &mut String) {
        use std::fmt::Write;
        // writing to a String cannot fail
        let _ = match self {
            Value::Null => Ok(()),
            Value::Bool(b) => write!(out, "{b}"),
            Value::Int(i) => write!(out, "{i}"),
            Value::Float(f) => write_float(out, *f),
            Value::Text(s) => out.write_str(s),
            Value::Date(d) => write!(out, "{}", d.format("%Y-%m-%d")),
        };
    }
}

/// The number of days from 1970-01-01 to `d` (negative before).
pub fn days_from_1970(d: NaiveDate) -> i32 {
    use chrono::Datelike;
    /// 1970-01-01 in days from the first day of year 1.
    const EPOCH_FROM_CE: i32 = 719_163;
    d.num_days_from_ce() - EPOCH_FROM_CE
}

/// The date `days` after 1970-01-01.
pub fn date_from_days(days: i32) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_signed(chrono::Duration::days(days.into())))
        .ok_or_else(|| format!("date {days} days from 1970-01-01 is out of range"))
}

/// The shortest decimal text that reads back as `f`, without exponent notation.
pub fn float_text(f: f64) -> String {
    let mut out = String::new();
    let _ = write_float(&mut out, f);
    out
}

/// [`float_text`], appended to `out`.
fn write_float(out: &mut String, f: f64) -> std::fmt::Result {
    use std::fmt::Write;
    if f.is_nan() {
        out.write_str("NaN")
    } else if f.is_infinite() {
        out.write_str(if f > 0.0 { "inf" } else { "-inf" })
    } else if may_tie(f) {
        write!(out, "{f}")
    } else {
        // the shortest digits that read back as `f`, the closest to it
        // (those of Rust's own `{f}`, five times faster), laid out without
        // an exponent
        let mut buffer = zmij::Buffer::new();
        let text = buffer.format_finite(f);
        let (sign, text) = match text.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", text),
        };
        out.write_str(sign)?;
        let (mantissa, exponent) = match text.split_once('e') {
            Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
            None => (text, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let frac = if frac.bytes().all(|b| b == b'0') { "" } else { frac };
        if exponent == 0 {
            out.write_str(int)?;
            if !frac.is_empty() {
                out.write_char('.')?;
                out.write_str(frac)?;
            }
            return Ok(());
        }
        // digits d1 d2 ... with the point after d1, times 10^exponent
        let digits: String = [int, frac].concat();
        let point = 1 + exponent as i64;
        if point <= 0 {
            out.write_str("0.")?;
            (0..-point).try_for_each(|_| out.write_char('0'))?;
            out.write_str(&digits)
        } else if point as usize >= digits.len() {
            out.write_str(&digits)?;
            (0..point as usize - digits.len()).try_for_each(|_| out.write_char('0'))
        } else {
            let (a, b) = digits.split_at(point as usize);
            out.write_str(a)?;
            out.write_char('.')?;
            out.write_str(b)
        }
    }
}

/// Whether two texts of the fewest digits may be equally close to `f`:
/// only when its exact decimal value has at most 18 significant digits
/// (one more than the most a shortest text needs). Rust's `{f}` then takes
/// the upper one and other algorithms the even one, so `f` is written by
/// Rust's own.
fn may_tie(f: f64) -> bool {
    let bits = f.to_bits();
    let (biased, fraction) = ((bits >> 52) & 0x7ff, bits & ((1 << 52) - 1));
    // f = m * 2^e with m odd (or zero)
    let (mut m, mut e) = if biased == 0 { (fraction, -1074i64) } else { (fraction | 1 << 52, biased as i64 - 1075) };
    if m == 0 {
        return true;
    }
    let zeros = m.trailing_zeros();
    m >>= zeros;
    e += i64::from(zeros);
    const LIMIT: u128 = 1_000_000_000_000_000_000;
    if e >= 0 {
        // an integer: its digits end in zeros only with a factor 5
        m % 5 == 0 || f.abs() < 1e18
    } else {
        // m * 5^-e / 10^-e, whose digits are those of m * 5^-e (odd)
        (0..-e).try_fold(u128::from(m), |v, _| v.checked_mul(5).filter(|v| *v < LIMIT)).is_some()
    }
}

/// The broad type of a column, from the first non-null value (or the SQL type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ColumnType {
    /// Integers and floats.
    Number,
    /// Text (and booleans).
    Text,
    /// Dates.
    Date,
}

/// A named, typed column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// The column name as the query returned it.
    pub name: String,
    /// Its broad type.
    pub kind: ColumnType,
}

/// An owned query result: columns and rows in the query's `ORDER BY` order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Table {
    /// The columns, in select-list order.
    pub columns: Vec<Column>,
    /// The rows; each has one value per column.
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// The index of column `name`, if present.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The index of the column a user file names, or the error that says
    /// which columns query `query` has, at the place it is named.
    pub fn column_named(
        &self,
        query: &str,
        name: &crate::error::Located<String>,
    ) -> Result<usize, crate::error::SourceError> {
        self.column_at(query, &name.value, &name.location)
    }

    /// The index of column `name`, or the error that says which columns
    /// query `query` has, at `location`.
    pub fn column_at(
        &self,
        query: &str,
        name: &str,
        location: &crate::error::Location,
    ) -> Result<usize, crate::error::SourceError> {
        self.column_index(name).ok_or_else(|| {
            crate::error::SourceError::new(
                location.clone(),
                format!("unknown column `{name}` in query `{query}` (columns: {})", self.column_list()),
            )
        })
    }

    /// The column names joined for an error message: `a, b, c`.
    pub fn column_list(&self) -> String {
        self.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// The table as a CSV file: header row, comma separated, RFC 4180 quoting,
    /// `\n` line ends, values unrounded ([`Value::to_csv_field`]). A text
    /// cell that a spreadsheet would read as a formula (it starts with `=`,
    /// `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as
    /// OWASP advises; numbers, dates and other text are written as they are.
    pub fn to_csv(&self) -> String {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
        // writing to memory cannot fail
        let _ = w.write_record(self.columns.iter().map(|c| neutralize(&c.name).into_owned()));
        // one text per column, written anew for each row
        let mut fields = vec![String::new(); self.columns.len()];
        for row in &self.rows {
            for (field, v) in fields.iter_mut().zip(row) {
                field.clear();
                match v {
                    Value::Text(s) => field.push_str(&neutralize(s)),
                    v => v.write_csv_field(field),
                }
            }
            let _ = w.write_record(&fields[..row.len().min(fields.len())]);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// A text cell as written in a CSV download: with a leading `'` when a
/// spreadsheet would take it for a formula.
pub fn neutralize(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        let table = Table {
            columns: vec![
                Column { name: "name".into(), kind: ColumnType::Text },
                Column { name: "n".into(), kind: ColumnType::Number },
                Column { name: "d".into(), kind: ColumnType::Date },
            ],
            rows: vec![
                vec![Value::Text("a, \"b\"".into()), Value::Int(3), Value::Null],
                vec![
                    Value::Text("plain".into()),
                    Value::Float(0.1 + 0.2),
                    Value::Date(NaiveDate::from_ymd_opt(2008, 3, 1).unwrap()),
                ],
            ],
        };
        assert_eq!(
            table.to_csv(),
            "name,n,d\n\"a, \"\"b\"\"\",3,\n plain,0.30000000000000004,2008-03-01\n".replace("\n plain", "\nplain")
        );
    }

    #[test]
    fn formulas_are_neutralized_numbers_are_not() {
        let table = Table {
            columns: vec![
                Column { name: "name".into(), kind: ColumnType::Text },
                Column { name: "n".into(), kind: ColumnType::Number },
            ],
            rows: ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "a=b", "'q"]
                .iter()
                .map(|t| vec![Value::Text(t.to_string()), Value::Int(-5)])
                .collect(),
        };
        assert_eq!(
            table.to_csv(),
            "name,n\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-5\n'+1,-5\n'-2,-5\n'@SUM(A1),-5\n'\tx,-5\n\"'\rx\",-5\na=b,-5\n'q,-5\n"
        );
        let neg = Table { rows: vec![vec![Value::Text("x".into()), Value::Float(-0.5)]], ..table };
        assert!(neg.to_csv().ends_with("x,-0.5\n"));
    }

    #[test]
    fn floats_are_unrounded_without_exponent() {
        assert_eq!(float_text(1e21), "1000000000000000000000");
        assert_eq!(float_text(4.5), "4.5");
        assert_eq!(float_text(2.0), "2");
    }

    #[test]
    fn floats_are_written_as_rust_writes_them() {
        use rand_chacha::ChaCha8Rng;
        use rand_chacha::rand_core::{Rng, SeedableRng};
        let mut values = vec![0.0, -0.0, 1.0, -1.0, 0.1, 1e-7, 2.5e-10, 1e15, 1e16, 1e17, 1e22, 1e23, 5e-324, 1e-323];
        values.extend([f64::MAX, f64::MIN, f64::MIN_POSITIVE, f64::EPSILON, 123456789012345680.0, 0.1 + 0.2]);
        values.extend((-330..=310).map(|e| 10f64.powi(e)));
        values.extend((-1074..1024).map(|e| 2f64.powi(e)));
        values.extend((0..10_000).map(|i| i as f64 / 100.0));
        values.extend((0..2000).map(|i| (i as f64).ln() * 1e5));
        // few bits: the exact values of few digits, where ties are
        values.extend((1..3000u32).flat_map(|i| (0..90).map(move |k| f64::from(i) / 2f64.powi(k))));
        values.extend((1..3000u32).flat_map(|i| (0..90).map(move |k| f64::from(i) * 2f64.powi(k))));
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        // any bits, and every exponent as often as every other
        values.extend((0..300_000).map(|_| f64::from_bits(rng.next_u64())).filter(|f| f.is_finite()));
        values.extend((0..300_000).map(|_| rng.next_u64() as f64 / (1u64 << (rng.next_u64() % 64)) as f64));
        for f in values {
            assert_eq!(float_text(f), format!("{f}"), "{:#x}", f.to_bits());
            assert_eq!(float_text(-f), format!("{}", -f), "{:#x}", (-f).to_bits());
        }
        assert_eq!(float_text(f64::NAN), "NaN");
        assert_eq!(float_text(f64::NEG_INFINITY), "-inf");
    }
}
