//! Inline values: `{{ query.column }}`, `{{ query[2].column | pct(1) }}`,
//! `{{ top_recipes[0].name | or("no recipe yet") }}`, and in a page
//! generated from data, `{{ row.column }}`.
//!
//! An inline value prints one cell of a query result inside the prose, so the
//! narrative stays true when the data changes. This module only parses; the
//! lookup happens once the queries have run.
//!
//! The empty-result rule: a value whose row the result does not have (an
//! empty result, or `q[5]` of a three-row one) fails the build unless it
//! has a fallback, `or("text")`; a NULL value shows as `–`, or as its
//! fallback when it has one.

use crate::format::Format;
use crate::table::Value;

/// Where an inline value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A cell of a query result: `query[row].column`.
    Cell {
        /// The query whose result holds the value.
        query: String,
        /// The row (0-based; default the first).
        row: usize,
        /// The column name.
        column: String,
    },
    /// A column of the row a generated page is made from: `row.column`.
    Row {
        /// The column of the generating query.
        column: String,
    },
    /// A value known before any query runs (a generated page's row value,
    /// once the page exists).
    Const(Value),
}

/// A parsed inline value.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// Where the value comes from.
    pub source: Source,
    /// How to show it (default: by the value's type).
    pub format: Option<Format>,
    /// What to show when the row is missing or the value is NULL.
    pub fallback: Option<String>,
    /// `| sql`: in a generated page's SQL block, the row value as an SQL string.
    pub sql: bool,
}

impl Expr {
    /// The query this value reads, if it reads one.
    pub fn query(&self) -> Option<&str> {
        match &self.source {
            Source::Cell { query, .. } => Some(query),
            _ => None,
        }
    }

    /// The query this value reads, to rename it.
    pub fn query_mut(&mut self) -> Option<&mut String> {
        match &mut self.source {
            Source::Cell { query, .. } => Some(query),
            _ => None,
        }
    }

    /// The column of the generating row this value reads, if it reads one.
    pub fn row_column(&self) -> Option<&str> {
        match &self.source {
            Source::Row { column } => Some(column),
            _ => None,
        }
    }
}

/// Parses the inside of `{{ ... }}`.
pub fn parse(src: &str) -> Result<Expr, String> {
    let mut parts = split_filters(src)?.into_iter();
    let path = parts.next().unwrap_or_default();
    let path = path.trim();
    let Some((head, column)) = path.split_once('.') else {
        return Err(format!("expected `query.column`, found `{path}`"));
    };
    let (query, row) = match head.split_once('[') {
        Some((q, rest)) => {
            let Some(index) = rest.strip_suffix(']') else {
                return Err(format!("expected `]` after the row number in `{head}`"));
            };
            let row: usize =
                index.trim().parse().map_err(|_| format!("expected a row number in `{head}`, found `{index}`"))?;
            (q.trim(), Some(row))
        }
        None => (head.trim(), None),
    };
    let column = column.trim();
    for (what, name) in [("query", query), ("column", column)] {
        if !is_identifier(name) {
            return Err(format!("invalid {what} name `{name}`: use letters, digits and `_`"));
        }
    }
    let source = if query == "row" {
        if row.is_some() {
            return Err(format!("`row` is the one row of a generated page: write `row.{column}`"));
        }
        Source::Row { column: column.to_string() }
    } else {
        Source::Cell { query: query.to_string(), row: row.unwrap_or(0), column: column.to_string() }
    };
    let mut expr = Expr { source, format: None, fallback: None, sql: false };
    for filter in parts {
        let filter = filter.trim();
        if let Some(arg) = filter.strip_prefix("or").map(str::trim_start).filter(|a| a.starts_with('(')) {
            if expr.fallback.is_some() {
                return Err("at most one `or(...)` per value".into());
            }
            expr.fallback = Some(fallback(arg)?);
        } else if filter == "sql" {
            if !matches!(expr.source, Source::Row { .. }) {
                return Err("`| sql` is for `{{ row.COLUMN | sql }}` in a generated page's SQL".into());
            }
            expr.sql = true;
        } else {
            if expr.format.is_some() {
                return Err(format!("at most one format per value, found a second one, `{filter}`"));
            }
            expr.format = Some(Format::parse(filter).map_err(|m| format!("{m}, or `or(\"text\")`"))?);
        }
    }
    Ok(expr)
}

/// Splits `a.b | f | or("x | y")` at the `|` outside quotes.
fn split_filters(src: &str) -> Result<Vec<String>, String> {
    let mut parts = vec![String::new()];
    let mut quote: Option<char> = None;
    let mut chars = src.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                let last = parts.last_mut().expect("parts is never empty");
                last.push(c);
                if let Some(next) = chars.next() {
                    last.push(next);
                }
            }
            (Some(q), c) if c == q => {
                quote = None;
                parts.last_mut().expect("parts is never empty").push(c);
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                parts.last_mut().expect("parts is never empty").push(c);
            }
            (None, '|') => parts.push(String::new()),
            (_, c) => parts.last_mut().expect("parts is never empty").push(c),
        }
    }
    if quote.is_some() {
        return Err(format!("unclosed quote in `{}`", src.trim()));
    }
    Ok(parts)
}

/// The text of `("...")` or `('...')`, with `\"`, `\'` and `\\` unescaped.
fn fallback(arg: &str) -> Result<String, String> {
    let bad = || format!("expected `or(\"text\")`, found `or{arg}`");
    let inner = arg.strip_prefix('(').and_then(|a| a.strip_suffix(')')).ok_or_else(bad)?.trim();
    let quote = inner.chars().next().filter(|c| matches!(c, '"' | '\'')).ok_or_else(bad)?;
    let body = inner[1..].strip_suffix(quote).ok_or_else(bad)?;
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().ok_or_else(bad)?),
            c if c == quote => return Err(bad()),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// An identifier: a letter or `_`, then letters, digits or `_`.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Finds every `{{ ... }}` in `text`: (byte range of the whole expression, inner text).
/// An opening `{{` without a closing `}}` on the same line is an error at its offset.
pub fn find_all(text: &str) -> Result<Vec<(std::ops::Range<usize>, &str)>, usize> {
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(start) = text[pos..].find("{{").map(|i| i + pos) {
        let line_end = text[start..].find('\n').map_or(text.len(), |i| i + start);
        match text[start + 2..line_end].find("}}") {
            Some(close) => {
                let end = start + 2 + close + 2;
                found.push((start..end, &text[start + 2..end - 2]));
                pos = end;
            }
            None => return Err(start),
        }
    }
    Ok(found)
}

/// Every `{{ row.COLUMN ... }}` of `text` that parses: (byte range, value).
/// Other `{{ ... }}` are left alone, and nothing is an error: this looks
/// for row values in text shown as written (code, raw HTML, directive text).
pub fn find_row_values(text: &str) -> Vec<(std::ops::Range<usize>, Expr)> {
    let mut found = Vec::new();
    let mut pos = 0;
    while let Some(start) = text[pos..].find("{{").map(|i| i + pos) {
        let line_end = text[start..].find('\n').map_or(text.len(), |i| i + start);
        let Some(close) = text[start + 2..line_end].find("}}") else {
            pos = start + 2;
            continue;
        };
        let end = start + 2 + close + 2;
        match parse(&text[start + 2..end - 2]) {
            Ok(e) if e.row_column().is_some() => {
                found.push((start..end, e));
                pos = end;
            }
            _ => pos = start + 2,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(query: &str, row: usize, column: &str) -> Source {
        Source::Cell { query: query.into(), row, column: column.into() }
    }

    #[test]
    fn parses_the_forms() {
        assert_eq!(
            parse(" kpis.share_5star | pct(1) ").unwrap(),
            Expr { source: cell("kpis", 0, "share_5star"), format: Some(Format::Pct(1)), fallback: None, sql: false }
        );
        assert_eq!(parse("top_tags[3].tag").unwrap().source, cell("top_tags", 3, "tag"));
        assert_eq!(parse("a.b").unwrap().format, None);
        assert_eq!(parse("row.tag").unwrap().source, Source::Row { column: "tag".into() });
        assert!(parse("row.tag | sql").unwrap().sql);
    }

    #[test]
    fn parses_fallbacks() {
        let e = parse(r#"top_recipes[0].name | or("no recipe | yet")"#).unwrap();
        assert_eq!(e.fallback.as_deref(), Some("no recipe | yet"));
        assert_eq!(e.format, None);
        let e = parse(r#"kpis.mean_rating | dec(2) | or('none, "really"')"#).unwrap();
        assert_eq!((e.format, e.fallback.as_deref()), (Some(Format::Dec(2)), Some("none, \"really\"")));
        assert_eq!(parse(r#"a.b | or("say \"hi\" \\ o")"#).unwrap().fallback.as_deref(), Some("say \"hi\" \\ o"));
        assert_eq!(parse(r#"a.b | or("")"#).unwrap().fallback.as_deref(), Some(""));
        for bad in [r#"a.b | or(x)"#, r#"a.b | or("x"#, r#"a.b | or("x") | or("y")"#, r#"a.b | or("x" "y")"#] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_bad_forms() {
        assert!(parse("kpis").unwrap_err().contains("query.column"));
        assert!(parse("a[x].b").unwrap_err().contains("row number"));
        assert!(parse("a[1.b").unwrap_err().contains("`]`"));
        assert!(parse("a.b c").unwrap_err().contains("invalid column"));
        assert!(parse("a.b | nope").unwrap_err().contains("unknown format"));
        assert!(parse("a.b | int | dec").unwrap_err().contains("at most one format"));
        assert!(parse("a.b | sql").unwrap_err().contains("row.COLUMN | sql"));
        assert!(parse("row[1].tag").unwrap_err().contains("row.tag"));
    }

    #[test]
    fn finds_expressions_and_unclosed_ones() {
        let text = "a {{ x.y }} b {{z.w|int}}\n";
        let found = find_all(text).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(&text[found[0].0.clone()], "{{ x.y }}");
        assert_eq!(found[1].1, "z.w|int");
        assert_eq!(find_all("ok {{ x.y\n}}"), Err(3));
    }

    #[test]
    fn finds_row_values_only() {
        let text = "{{ a.b }} {{ row.tag }} {{ unclosed\n{{ row.n | int }} {{ row..x }}";
        let found = find_row_values(text);
        assert_eq!(found.len(), 2);
        assert_eq!(&text[found[0].0.clone()], "{{ row.tag }}");
        assert_eq!(found[1].1.format, Some(Format::Int));
    }
}
