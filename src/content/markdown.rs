//! Markdown: finds the SQL blocks, directives and inline values of a page body
//! (with exact byte offsets, for `path:line:col` errors), and turns the final
//! Markdown into HTML. The only user of `pulldown-cmark`.

use super::Piece;
use super::directive::{self, Located, Source};
use super::expr;
use crate::error::{Location, SourceError};
use crate::query::QuerySpec;
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;
use std::path::Path;

/// The Markdown extensions pages may use.
fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_FOOTNOTES
}

/// A fenced block the pipeline consumes (a named SQL block or a directive).
struct Special {
    range: Range<usize>,
    fence_info: String,
    content: String,
    content_offset: usize,
}

/// Splits a page body into pieces and named queries.
///
/// `text` is the whole file and `body_offset` the position of the body in it,
/// so every location is relative to the file.
pub fn scan(text: &str, body_offset: usize, path: &Path) -> Result<(Vec<QuerySpec>, Vec<Piece>), SourceError> {
    let body = &text[body_offset..];
    let mut specials: Vec<Special> = Vec::new();
    let mut protected: Vec<Range<usize>> = Vec::new();
    let mut current: Option<Special> = None;
    let mut in_other_code = false;
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match &kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let word = info.split_whitespace().next().unwrap_or("");
                let named_sql = word == "sql" && info.split_whitespace().nth(1).is_some();
                if named_sql || matches!(word, "chart" | "table" | "kpis" | "pages") {
                    let first_line = body[range.clone()].find('\n').map_or(range.end, |i| range.start + i + 1);
                    current = Some(Special {
                        range: range.clone(),
                        fence_info: info,
                        content: String::new(),
                        content_offset: first_line,
                    });
                } else {
                    in_other_code = true;
                    protected.push(range);
                }
            }
            Event::Text(t) if current.is_some() => {
                if let Some(special) = current.as_mut() {
                    if special.content.is_empty() {
                        special.content_offset = range.start;
                    }
                    special.content.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(special) = current.take() {
                    specials.push(special);
                }
                in_other_code = false;
            }
            Event::Code(_) | Event::Html(_) | Event::InlineHtml(_) if !in_other_code => protected.push(range),
            _ => {}
        }
    }

    let mut queries = Vec::new();
    let mut pieces = Vec::new();
    let mut cursor = 0;
    for special in specials {
        push_text(text, body_offset, cursor..special.range.start, &protected, path, &mut pieces)?;
        cursor = special.range.end;
        let fence = body_offset + special.range.start;
        let mut words = special.fence_info.split_whitespace();
        let word = words.next().unwrap_or("");
        if word == "sql" {
            let name = words.next().unwrap_or("");
            if !expr::is_identifier(name) {
                return Err(SourceError::new(
                    Location::at(path, text, fence),
                    format!("invalid query name `{name}`: use letters, digits and `_`, starting with a letter"),
                ));
            }
            // `sql NAME by COLUMN`: one query for all pages of a template
            let by = match (words.next(), words.next(), words.next()) {
                (None, _, _) => None,
                (Some("by"), Some(column), None) if expr::is_identifier(column) => Some(column.to_string()),
                (Some("by"), column, _) => {
                    return Err(SourceError::new(
                        Location::at(path, text, fence),
                        format!(
                            "expected one column name after `by` in `sql {name} by COLUMN`, found `{}`",
                            column.unwrap_or("")
                        ),
                    ));
                }
                (Some(extra), _, _) => {
                    return Err(SourceError::new(
                        Location::at(path, text, fence),
                        format!("unexpected `{extra}` after the query name `{name}`"),
                    ));
                }
            };
            if special.content.trim().is_empty() {
                return Err(SourceError::new(Location::at(path, text, fence), format!("query `{name}` is empty")));
            }
            queries.push(QuerySpec {
                name: name.to_string(),
                sql: special.content.clone(),
                defined_at: Location::at(path, text, body_offset + special.content_offset),
                by: by.map(|column| crate::query::Shared {
                    name: name.to_string(),
                    column,
                    value: String::new(),
                    rows_from: String::new(),
                }),
            });
            pieces.push(Piece::Markdown("\n".to_string()));
        } else {
            if let Some(extra) = words.next() {
                return Err(SourceError::new(
                    Location::at(path, text, fence),
                    format!("unexpected `{extra}` after `{word}`: directive options go inside the block"),
                ));
            }
            let src = Source { text, path, base: body_offset + special.content_offset, fence };
            pieces.push(Piece::Directive(Box::new(directive::parse(word, &special.content, &src)?)));
        }
    }
    push_text(text, body_offset, cursor..body.len(), &protected, path, &mut pieces)?;
    Ok((queries, pieces))
}

/// Pushes the Markdown of `range` (body-relative), splitting out inline values
/// outside code spans, code blocks and raw HTML.
fn push_text(
    text: &str,
    body_offset: usize,
    range: Range<usize>,
    protected: &[Range<usize>],
    path: &Path,
    pieces: &mut Vec<Piece>,
) -> Result<(), SourceError> {
    let body = &text[body_offset..];
    // the stretches of `range` outside code and raw HTML
    let mut gaps = Vec::new();
    let mut pos = range.start;
    for p in protected.iter().filter(|p| p.end > range.start && p.start < range.end) {
        if p.start > pos {
            gaps.push(pos..p.start);
        }
        pos = pos.max(p.end);
    }
    if pos < range.end {
        gaps.push(pos..range.end);
    }
    let mut cursor = range.start;
    for gap in gaps {
        let found = expr::find_all(&body[gap.clone()]).map_err(|at| {
            SourceError::new(
                Location::at(path, text, body_offset + gap.start + at),
                "unclosed inline value: `{{` without `}}` on the same line",
            )
        })?;
        for (r, inner) in found {
            let start = gap.start + r.start;
            let location = Location::at(path, text, body_offset + start);
            let value = expr::parse(inner).map_err(|m| SourceError::new(location.clone(), m))?;
            pieces.push(Piece::Markdown(body[cursor..start].to_string()));
            pieces.push(Piece::Value(Located { value, location }));
            cursor = gap.start + r.end;
        }
    }
    if cursor < range.end {
        pieces.push(Piece::Markdown(body[cursor..range.end].to_string()));
    }
    Ok(())
}

/// Escapes a data value so Markdown shows it as plain text: every ASCII
/// punctuation character that Markdown or HTML could read as syntax becomes a
/// numeric character reference.
pub fn escape_inline(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        if ch.is_ascii_punctuation() && !matches!(ch, '.' | ',' | '%' | '-' | '\'' | ':' | ';' | '/' | '?') {
            out.push_str(&format!("&#{};", ch as u32));
        } else if ch == '\n' || ch == '\r' {
            out.push(' ');
        } else {
            out.push(ch);
        }
    }
    out
}

/// The placeholder a directive takes in the Markdown until its HTML is spliced in.
pub fn placeholder(index: usize) -> String {
    format!("<!--mangetamain-directive:{index}-->")
}

/// Renders Markdown to HTML.
pub fn to_html(markdown: &str) -> String {
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, Parser::new_ext(markdown, options()));
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::directive::Directive;

    fn scan_body(body: &str) -> Result<(Vec<QuerySpec>, Vec<Piece>), SourceError> {
        scan(body, 0, Path::new("p.md"))
    }

    #[test]
    fn finds_queries_directives_and_values() {
        let body =
            "# T\n\n```sql ratings\nselect 1 as n\n```\n\nShare {{ q.n | pct }} here.\n\n```table\ndata = \"q\"\n```\n";
        let (queries, pieces) = scan_body(body).unwrap();
        assert_eq!(queries.len(), 1);
        assert_eq!(queries[0].name, "ratings");
        assert_eq!(queries[0].sql, "select 1 as n\n");
        assert_eq!((queries[0].defined_at.line, queries[0].defined_at.column), (4, 1));
        assert!(pieces.iter().any(|p| matches!(p, Piece::Value(v) if v.value.column == "n" && v.location.line == 7)));
        assert!(pieces.iter().any(|p| matches!(p, Piece::Directive(d) if matches!(d.as_ref(), Directive::Table(_)))));
    }

    #[test]
    fn leaves_code_alone() {
        let body = "Use `{{ q.n }}` in prose.\n\n```\n{{ not.a_value }}\n{{ unclosed\n```\n\nand {{ q.n }}\n";
        let (_, pieces) = scan_body(body).unwrap();
        let values: Vec<_> = pieces.iter().filter(|p| matches!(p, Piece::Value(_))).collect();
        assert_eq!(values.len(), 1);
        let joined: String = pieces
            .iter()
            .map(|p| match p {
                Piece::Markdown(m) => m.clone(),
                _ => "@".into(),
            })
            .collect();
        assert_eq!(joined, "Use `{{ q.n }}` in prose.\n\n```\n{{ not.a_value }}\n{{ unclosed\n```\n\nand @\n");
    }

    #[test]
    fn located_errors() {
        let e = scan_body("line\n\nsee {{ q }}\n").unwrap_err();
        assert_eq!((e.location.line, e.location.column), (3, 5));
        let e = scan_body("x {{ q.n\n").unwrap_err();
        assert!(e.message.contains("unclosed"));
        let (queries, _) = scan_body("```sql per_tag by tag\nselect 1 as tag\n```\n").unwrap();
        let by = queries[0].by.as_ref().unwrap();
        assert_eq!((by.name.as_str(), by.column.as_str()), ("per_tag", "tag"));
        for (info, message) in [
            ("sql q by", "expected one column name after `by`"),
            ("sql q by a b", "expected one column name after `by`"),
            ("sql q by a-b", "expected one column name after `by`"),
            ("sql q per tag", "unexpected `per` after the query name `q`"),
        ] {
            let e = scan_body(&format!("```{info}\nselect 1\n```\n")).unwrap_err();
            assert!(e.message.starts_with(message), "{info}: {}", e.message);
        }
        let e = scan_body("\n```sql bad-name\nselect 1\n```\n").unwrap_err();
        assert_eq!(e.location.line, 2);
        let e = scan_body("```sql empty\n```\n").unwrap_err();
        assert!(e.message.contains("empty"));
        let e = scan_body("```chart extra\nkind = \"bar\"\n```\n").unwrap_err();
        assert!(e.message.contains("unexpected `extra`"));
    }

    #[test]
    fn escapes_values_for_markdown() {
        let html = to_html(&format!("a {} b", escape_inline("<script>alert(1)</script> *x* [l](u)")));
        assert_eq!(
            html,
            "<p>a &lt;script&gt;alert&#40;1&#41;&lt;/script&gt; *x* [l](u) b</p>\n"
                .replace("&#40;", "(")
                .replace("&#41;", ")")
        );
    }

    #[test]
    fn placeholders_survive_markdown() {
        let html = to_html(&format!("para\n\n{}\n\nmore\n", placeholder(3)));
        assert!(html.contains(&placeholder(3)));
    }
}
