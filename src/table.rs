//! The plain data that flows between stages: query results as owned tables.
//!
//! `query` produces a [`Table`] per named query; `chart`, `render` and the CSV
//! downloads consume it. Nothing here knows about DuckDB, so chart and render
//! tests build tables by hand.

use chrono::NaiveDate;
use serde::Serialize;

/// One cell of a query result.
#[derive(Debug, Clone, PartialEq)]
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

    /// The value as written in a CSV download: dates `YYYY-MM-DD`, numbers
    /// unrounded (shortest text that reads back as the same number), empty for NULL.
    pub fn to_csv_field(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => float_text(*f),
            Value::Text(s) => s.clone(),
            Value::Date(d) => d.format("%Y-%m-%d").to_string(),
        }
    }
}

/// The shortest decimal text that reads back as `f`, without exponent notation.
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        "NaN".to_string()
    } else if f.is_infinite() {
        if f > 0.0 { "inf".to_string() } else { "-inf".to_string() }
    } else {
        format!("{f}")
    }
}

/// The broad type of a column, from the first non-null value (or the SQL type).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ColumnType {
    /// Integers and floats.
    Number,
    /// Text (and booleans).
    Text,
    /// Dates.
    Date,
}

/// A named, typed column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Column {
    /// The column name as the query returned it.
    pub name: String,
    /// Its broad type.
    pub kind: ColumnType,
}

/// An owned query result: columns and rows in the query's `ORDER BY` order.
#[derive(Debug, Clone, PartialEq, Default)]
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

    /// The column names joined for an error message: `a, b, c`.
    pub fn column_list(&self) -> String {
        self.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// The table as a CSV file: header row, comma separated, RFC 4180 quoting,
    /// `\n` line ends.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let header: Vec<String> = self.columns.iter().map(|c| c.name.clone()).collect();
        push_csv_record(&mut out, &header);
        for row in &self.rows {
            let fields: Vec<String> = row.iter().map(Value::to_csv_field).collect();
            push_csv_record(&mut out, &fields);
        }
        out
    }
}

fn push_csv_record(out: &mut String, fields: &[String]) {
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if field.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push('\n');
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
    fn floats_are_unrounded_without_exponent() {
        assert_eq!(float_text(1e21), "1000000000000000000000");
        assert_eq!(float_text(4.5), "4.5");
        assert_eq!(float_text(2.0), "2");
    }
}
