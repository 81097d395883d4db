//! Inline values: `{{ query.column }}`, `{{ query[2].column | pct(1) }}`.
//!
//! An inline value prints one cell of a query result inside the prose, so the
//! narrative stays true when the data changes. This module only parses; the
//! lookup happens once the queries have run.

use crate::format::Format;

/// A parsed inline value.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The query whose result holds the value.
    pub query: String,
    /// The row (0-based; default the first).
    pub row: usize,
    /// The column name.
    pub column: String,
    /// How to show it (default: by the value's type).
    pub format: Option<Format>,
}

/// Parses the inside of `{{ ... }}`.
pub fn parse(src: &str) -> Result<Expr, String> {
    let (path, filter) = match src.split_once('|') {
        Some((p, f)) => (p.trim(), Some(f.trim())),
        None => (src.trim(), None),
    };
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
            (q.trim(), row)
        }
        None => (head.trim(), 0),
    };
    let column = column.trim();
    for (what, name) in [("query", query), ("column", column)] {
        if !is_identifier(name) {
            return Err(format!("invalid {what} name `{name}`: use letters, digits and `_`"));
        }
    }
    let format = match filter {
        Some(f) => Some(Format::parse(f)?),
        None => None,
    };
    Ok(Expr { query: query.to_string(), row, column: column.to_string(), format })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms() {
        assert_eq!(
            parse(" kpis.share_5star | pct(1) ").unwrap(),
            Expr { query: "kpis".into(), row: 0, column: "share_5star".into(), format: Some(Format::Pct(1)) }
        );
        assert_eq!(parse("top_tags[3].tag").unwrap().row, 3);
        assert_eq!(parse("a.b").unwrap().format, None);
    }

    #[test]
    fn rejects_bad_forms() {
        assert!(parse("kpis").unwrap_err().contains("query.column"));
        assert!(parse("a[x].b").unwrap_err().contains("row number"));
        assert!(parse("a[1.b").unwrap_err().contains("`]`"));
        assert!(parse("a.b c").unwrap_err().contains("invalid column"));
        assert!(parse("a.b | nope").unwrap_err().contains("unknown format"));
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
}
