//! Number and date formatting for readers: the one place that decides how a
//! value looks on a page (inline values, KPI tiles, table cells, axis labels).
//!
//! CSV downloads do not use this module: they carry unrounded values
//! (see [`crate::table::Value::to_csv_field`]).

use crate::table::Value;
use chrono::Datelike;
use std::fmt;

/// How a value is shown on a page. Parsed from the filter syntax of inline
/// values and directives: `int`, `dec`, `dec(2)`, `pct`, `pct(0)`, `date`, `month`, `year`, `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// As it comes: integers with separators, floats with up to 2 decimals, text as is.
    Auto,
    /// Rounded to an integer, with thousands separators: `1,132,367`.
    Int,
    /// Fixed decimals with thousands separators: `4.41`.
    Dec(usize),
    /// A share (0..1) as a percentage with fixed decimals: `72.1%`.
    Pct(usize),
    /// A date as `2008-03-01`.
    Date,
    /// A date as `March 2008`.
    Month,
    /// A date or number as a year: `2008`.
    Year,
    /// Text as is (numbers without separators).
    Text,
}

impl Format {
    /// Parses a filter such as `pct(1)`; the error says which filters exist.
    pub fn parse(spec: &str) -> Result<Format, String> {
        let spec = spec.trim();
        let (name, arg) = match spec.find('(') {
            Some(open) => {
                let Some(inner) = spec[open + 1..].strip_suffix(')') else {
                    return Err(format!("unclosed `(` in format `{spec}`"));
                };
                let digits: usize = inner
                    .trim()
                    .parse()
                    .map_err(|_| format!("expected a number of decimals in `{spec}`, found `{}`", inner.trim()))?;
                if digits > 12 {
                    return Err(format!("at most 12 decimals, found {digits} in `{spec}`"));
                }
                (spec[..open].trim(), Some(digits))
            }
            None => (spec, None),
        };
        let format = match (name, arg) {
            ("auto", None) => Format::Auto,
            ("int", None) => Format::Int,
            ("dec", d) => Format::Dec(d.unwrap_or(1)),
            ("pct", d) => Format::Pct(d.unwrap_or(1)),
            ("date", None) => Format::Date,
            ("month", None) => Format::Month,
            ("year", None) => Format::Year,
            ("text", None) => Format::Text,
            ("auto" | "int" | "date" | "month" | "year" | "text", Some(_)) => {
                return Err(format!("format `{name}` takes no argument"));
            }
            _ => {
                return Err(format!(
                    "unknown format `{name}` (expected one of: auto, int, dec(n), pct(n), date, month, year, text)"
                ));
            }
        };
        Ok(format)
    }

    /// Whether this format right-aligns in a table (numbers do).
    pub fn is_numeric(self) -> bool {
        matches!(self, Format::Int | Format::Dec(_) | Format::Pct(_))
    }

    /// Formats `value`; a value of the wrong kind (text under `int`) is shown as text.
    pub fn apply(self, value: &Value) -> String {
        match (self, value) {
            (_, v) if v.is_missing() => "–".to_string(),
            (Format::Int, v) if v.as_f64().is_some() => {
                group_thousands(&format!("{:.0}", v.as_f64().unwrap_or_default()))
            }
            (Format::Dec(d), v) if v.as_f64().is_some() => {
                group_thousands(&format!("{:.*}", d, v.as_f64().unwrap_or_default()))
            }
            (Format::Pct(d), v) if v.as_f64().is_some() => {
                let text = format!("{:.*}", d, v.as_f64().unwrap_or_default() * 100.0);
                match crate::locale::current() {
                    Some(_) => percent_text(&text),
                    None => format!("{}%", group_thousands(&text)),
                }
            }
            (Format::Date, Value::Date(d)) => d.format("%Y-%m-%d").to_string(),
            (Format::Month, Value::Date(d)) => match crate::locale::current() {
                Some(locale) => locale.month(d.year(), d.month() as u8),
                None => d.format("%B %Y").to_string(),
            },
            (Format::Year, Value::Date(d)) => d.format("%Y").to_string(),
            (Format::Year, Value::Int(i)) => i.to_string(),
            (Format::Auto, Value::Int(i)) => group_thousands(&i.to_string()),
            (Format::Auto, Value::Float(f)) => auto_float(*f),
            (_, v) => v.to_csv_field(),
        }
    }

    /// The format a column gets when the author names none.
    pub fn default_for(value: &Value) -> Format {
        match value {
            Value::Date(_) => Format::Date,
            _ => Format::Auto,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Auto => write!(f, "auto"),
            Format::Int => write!(f, "int"),
            Format::Dec(d) => write!(f, "dec({d})"),
            Format::Pct(d) => write!(f, "pct({d})"),
            Format::Date => write!(f, "date"),
            Format::Month => write!(f, "month"),
            Format::Year => write!(f, "year"),
            Format::Text => write!(f, "text"),
        }
    }
}

/// A float with at most two decimals, trailing zeros removed, thousands grouped.
fn auto_float(f: f64) -> String {
    let mut text = format!("{f:.2}");
    if text.contains('.') {
        while text.ends_with('0') {
            text.pop();
        }
        if text.ends_with('.') {
            text.pop();
        }
    }
    if text == "-0" {
        text = "0".to_string();
    }
    group_thousands(&text)
}

/// Writes a decimal number text (`-1234.5`) as the page's locale does:
/// in English, `,` every three digits of the integer part (`-1,234.5`).
/// A zero rounded from a negative number (`-0`, `-0.0`) reads as zero.
pub fn group_thousands(number: &str) -> String {
    let number = without_negative_zero(number);
    if let Some(locale) = crate::locale::current() {
        return locale.number(&number);
    }
    let (sign, rest) = match number.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", number.as_str()),
    };
    let (int_part, frac) = match rest.find('.') {
        Some(dot) => (&rest[..dot], &rest[dot..]),
        None => (rest, ""),
    };
    if !int_part.bytes().all(|b| b.is_ascii_digit()) {
        return number.to_string();
    }
    let mut grouped = String::with_capacity(int_part.len() + int_part.len() / 3);
    for (i, ch) in int_part.chars().enumerate() {
        if i > 0 && (int_part.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{sign}{grouped}{frac}")
}

/// A number text without the sign of a zero (`-0.0` is `0.0`).
fn without_negative_zero(number: &str) -> String {
    match number.strip_prefix('-') {
        Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_string(),
        _ => number.to_string(),
    }
}

/// A percentage written in ASCII (`72.1`) with the page's sign: `72.1%`,
/// `72,1 %`.
pub fn percent_text(number: &str) -> String {
    match crate::locale::current() {
        Some(locale) => locale.percent(&without_negative_zero(number)),
        None => format!("{number}%"),
    }
}

/// A short number text (an axis label's `2.5` of `2.5k`) with the page's
/// decimal separator, ungrouped in English.
pub fn decimal_text(number: &str) -> String {
    match crate::locale::current() {
        Some(locale) => locale.ungrouped(&without_negative_zero(number)),
        None => number.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn parses_every_filter() {
        assert_eq!(Format::parse("int"), Ok(Format::Int));
        assert_eq!(Format::parse(" pct(2) "), Ok(Format::Pct(2)));
        assert_eq!(Format::parse("pct"), Ok(Format::Pct(1)));
        assert_eq!(Format::parse("dec"), Ok(Format::Dec(1)));
        assert_eq!(Format::parse("month"), Ok(Format::Month));
        assert!(Format::parse("percent").unwrap_err().contains("unknown format `percent`"));
        assert!(Format::parse("pct(x)").unwrap_err().contains("number of decimals"));
        assert!(Format::parse("int(2)").unwrap_err().contains("takes no argument"));
        assert!(Format::parse("dec(2").unwrap_err().contains("unclosed"));
        assert!(Format::parse("dec(99)").unwrap_err().contains("at most 12"));
    }

    #[test]
    fn formats_numbers_for_readers() {
        assert_eq!(Format::Int.apply(&Value::Int(1132367)), "1,132,367");
        assert_eq!(Format::Int.apply(&Value::Float(999.6)), "1,000");
        assert_eq!(Format::Int.apply(&Value::Int(-1234)), "-1,234");
        assert_eq!(Format::Dec(2).apply(&Value::Float(4.41102)), "4.41");
        assert_eq!(Format::Dec(1).apply(&Value::Float(12345.67)), "12,345.7");
        assert_eq!(Format::Pct(1).apply(&Value::Float(0.72138)), "72.1%");
        assert_eq!(Format::Pct(0).apply(&Value::Int(1)), "100%");
        assert_eq!(Format::Pct(1).apply(&Value::Float(-0.00001)), "0.0%");
        assert_eq!(Format::Auto.apply(&Value::Float(2.5)), "2.5");
        assert_eq!(Format::Auto.apply(&Value::Float(3.0)), "3");
        assert_eq!(Format::Auto.apply(&Value::Float(1234.567)), "1,234.57");
        assert_eq!(Format::Auto.apply(&Value::Int(2147483647)), "2,147,483,647");
        assert_eq!(Format::Auto.apply(&Value::Null), "–");
        assert_eq!(Format::Text.apply(&Value::Int(2008)), "2008");
    }

    #[test]
    fn formats_dates() {
        let d = Value::Date(NaiveDate::from_ymd_opt(2008, 3, 1).unwrap());
        assert_eq!(Format::Date.apply(&d), "2008-03-01");
        assert_eq!(Format::Month.apply(&d), "March 2008");
        assert_eq!(Format::Year.apply(&d), "2008");
        assert_eq!(Format::default_for(&d), Format::Date);
    }

    #[test]
    fn wrong_kind_falls_back_to_text() {
        assert_eq!(Format::Int.apply(&Value::Text("<b>".into())), "<b>");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(group_thousands("0"), "0");
        assert_eq!(group_thousands("999"), "999");
        assert_eq!(group_thousands("1000"), "1,000");
        assert_eq!(group_thousands("-1234567.891"), "-1,234,567.891");
        assert_eq!(group_thousands("-0.0"), "0.0");
        assert_eq!(group_thousands("NaN"), "NaN");
    }
}
