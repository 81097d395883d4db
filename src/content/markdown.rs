//! Markdown: finds the SQL blocks, directives and inline values of a page body
//! (with exact byte offsets, for `path:line:col` errors), and turns the final
//! Markdown into HTML. The only user of `pulldown-cmark`.

use super::Piece;
use super::directive::{self, Source};
use super::expr::{self, Expr};
use crate::error::{Located, Location, SourceError};
use crate::query::{By, QuerySpec};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use std::collections::BTreeMap;
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
/// so every location is relative to the file. In a `template` (a page
/// generated from data), `{{ row.COLUMN }}` is also found in code and raw
/// HTML (where it is shown as text), and in SQL blocks, where it becomes a
/// parameter of the query ([`Scanned::params`]).
pub fn scan(text: &str, body_offset: usize, path: &Path, template: bool) -> Result<Scanned, SourceError> {
    let body = &text[body_offset..];
    let mut specials: Vec<Special> = Vec::new();
    let mut protected: Vec<Range<usize>> = Vec::new();
    let mut current: Option<Special> = None;
    let mut in_other_code = false;
    let mut links = Vec::new();
    for (event, range) in Parser::new_ext(body, options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match &kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                let word = info.split_whitespace().next().unwrap_or("");
                let named = matches!(word, "sql" | "cluster" | "overlap") && info.split_whitespace().nth(1).is_some();
                if named || directive::is_directive(word) {
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
            Event::Start(Tag::Link { dest_url, .. }) if current.is_none() => {
                links.push(Located {
                    value: dest_url.to_string(),
                    location: Location::at(path, text, body_offset + range.start),
                });
            }
            _ => {}
        }
    }

    let mut out = Scanned { links, ..Scanned::default() };
    let mut cursor = 0;
    let ctx = Context { text, body_offset, path, template, protected: &protected };
    for special in specials {
        ctx.push_text(cursor..special.range.start, &mut out.pieces)?;
        cursor = special.range.end;
        let fence = body_offset + special.range.start;
        let mut words = special.fence_info.split_whitespace();
        let word = words.next().unwrap_or("");
        if word == "cluster" || word == "overlap" {
            let name = words.next().unwrap_or("");
            if !expr::is_identifier(name) {
                return Err(SourceError::new(
                    Location::at(path, text, fence),
                    format!("invalid model name `{name}`: use letters, digits and `_`, starting with a letter"),
                ));
            }
            if let Some(extra) = words.next() {
                return Err(SourceError::new(
                    Location::at(path, text, fence),
                    format!("unexpected `{extra}` after the model name `{name}`: options go inside the block"),
                ));
            }
            let src = Source { text, path, base: body_offset + special.content_offset, fence };
            out.models.push(directive::parse_model(word, name, &special.content, &src)?);
            out.pieces.push(Piece::Markdown("\n".to_string()));
        } else if word == "sql" {
            let name = words.next().unwrap_or("");
            if !expr::is_identifier(name) {
                return Err(SourceError::new(
                    Location::at(path, text, fence),
                    format!("invalid query name `{name}`: use letters, digits and `_`, starting with a letter"),
                ));
            }
            // `sql NAME by COLUMN [= ROW_COLUMN]`: one query for all pages of a template
            let rest: Vec<&str> = words.by_ref().collect();
            let by = match rest.as_slice() {
                [] => None,
                ["by", column] if expr::is_identifier(column) => {
                    Some(By { column: column.to_string(), row: column.to_string() })
                }
                ["by", column, "=", row] if expr::is_identifier(column) && expr::is_identifier(row) => {
                    Some(By { column: column.to_string(), row: row.to_string() })
                }
                ["by", ..] => {
                    return Err(SourceError::new(
                        Location::at(path, text, fence),
                        format!(
                            "expected one column name after `by` in `sql {name} by COLUMN` (or `by COLUMN = ROW_COLUMN`), found `{}`",
                            rest[1..].join(" ")
                        ),
                    ));
                }
                [extra, ..] => {
                    return Err(SourceError::new(
                        Location::at(path, text, fence),
                        format!("unexpected `{extra}` after the query name `{name}`"),
                    ));
                }
            };
            if special.content.trim().is_empty() {
                return Err(SourceError::new(Location::at(path, text, fence), format!("query `{name}` is empty")));
            }
            let defined_at = Location::at(path, text, body_offset + special.content_offset);
            let (sql, params) = if template {
                ctx.sql_params(&special.content, special.content_offset)?
            } else {
                (special.content.clone(), Vec::new())
            };
            if let (Some(By { column, .. }), Some(_)) = (&by, params.first()) {
                return Err(SourceError::new(
                    defined_at,
                    format!(
                        "query `{name}` (by {column}) runs once for all pages, so its SQL cannot depend on `{{{{ row.COLUMN }}}}`"
                    ),
                ));
            }
            if !params.is_empty() {
                out.params.insert(name.to_string(), params);
            }
            out.queries.push(QuerySpec { name: name.to_string(), sql, params: Vec::new(), defined_at, by });
            out.pieces.push(Piece::Markdown("\n".to_string()));
        } else {
            if let Some(extra) = words.next() {
                return Err(SourceError::new(
                    Location::at(path, text, fence),
                    format!("unexpected `{extra}` after `{word}`: directive options go inside the block"),
                ));
            }
            let src = Source { text, path, base: body_offset + special.content_offset, fence };
            out.pieces.push(Piece::Directive(Box::new(directive::parse(word, &special.content, &src)?)));
        }
    }
    ctx.push_text(cursor..body.len(), &mut out.pieces)?;
    Ok(out)
}

/// What [`scan`] finds in a page body.
#[derive(Debug, Default)]
pub struct Scanned {
    /// The named SQL blocks.
    pub queries: Vec<QuerySpec>,
    /// The models (`cluster NAME` and `overlap NAME` blocks).
    pub models: Vec<crate::model::ModelSpec>,
    /// The body, split into pieces.
    pub pieces: Vec<Piece>,
    /// In a template: for each query that reads its row, the row values it
    /// takes, in the order of the `?` that replaced them in its SQL.
    pub params: BTreeMap<String, Vec<Located<Expr>>>,
    /// Every link of the body, as written, and where.
    pub links: Vec<Located<String>>,
}

/// The page being scanned.
struct Context<'a> {
    text: &'a str,
    body_offset: usize,
    path: &'a Path,
    template: bool,
    /// Code and raw HTML (body-relative ranges): no inline values there.
    protected: &'a [Range<usize>],
}

impl Context<'_> {
    fn at(&self, body_pos: usize) -> Location {
        Location::at(self.path, self.text, self.body_offset + body_pos)
    }

    /// Pushes the Markdown of `range` (body-relative), splitting out inline
    /// values outside code spans, code blocks and raw HTML (and, in a
    /// template, row values everywhere).
    fn push_text(&self, range: Range<usize>, pieces: &mut Vec<Piece>) -> Result<(), SourceError> {
        let body = &self.text[self.body_offset..];
        // the stretches of `range`, each in code (or raw HTML) or not
        let mut stretches = Vec::new();
        let mut pos = range.start;
        for p in self.protected.iter().filter(|p| p.end > range.start && p.start < range.end) {
            if p.start > pos {
                stretches.push((pos..p.start, false));
            }
            let start = p.start.max(pos);
            let end = p.end.min(range.end);
            if end > start {
                stretches.push((start..end, true));
            }
            pos = pos.max(p.end);
        }
        if pos < range.end {
            stretches.push((pos..range.end, false));
        }
        let mut cursor = range.start;
        for (stretch, code) in stretches {
            let found: Vec<(Range<usize>, Located<Expr>)> = if code {
                if !self.template {
                    continue;
                }
                expr::find_row_values(&body[stretch.clone()])
                    .into_iter()
                    .map(|(r, e)| {
                        let at = self.at(stretch.start + r.start);
                        (r, Located { value: e, location: at })
                    })
                    .collect()
            } else {
                let all = expr::find_all(&body[stretch.clone()]).map_err(|at| {
                    SourceError::new(
                        self.at(stretch.start + at),
                        "unclosed inline value: `{{` without `}}` on the same line",
                    )
                })?;
                let mut found = Vec::new();
                for (r, inner) in all {
                    let location = self.at(stretch.start + r.start);
                    let value = expr::parse(inner).map_err(|m| SourceError::new(location.clone(), m))?;
                    self.check_row(&value, &location)?;
                    if value.sql {
                        return Err(SourceError::new(
                            location,
                            "`| sql` is for SQL blocks; in text, write `{{ row.COLUMN }}`",
                        ));
                    }
                    found.push((r, Located { value, location }));
                }
                found
            };
            for (r, value) in found {
                let start = stretch.start + r.start;
                pieces.push(Piece::Markdown(body[cursor..start].to_string()));
                pieces.push(Piece::Value(value));
                cursor = stretch.start + r.end;
            }
        }
        if cursor < range.end {
            pieces.push(Piece::Markdown(body[cursor..range.end].to_string()));
        }
        Ok(())
    }

    /// `{{ row.COLUMN }}` only in a template.
    fn check_row(&self, value: &Expr, location: &Location) -> Result<(), SourceError> {
        match value.row_column() {
            Some(column) if !self.template => Err(SourceError::new(
                location.clone(),
                format!(
                    "`row.{column}` is the row of a page generated from data: only a page with `[generate]` has one"
                ),
            )),
            _ => Ok(()),
        }
    }

    /// A template's SQL with each `{{ row.COLUMN }}` (or `| sql`) replaced
    /// by a `?` parameter, and the row values to bind, in order.
    fn sql_params(&self, sql: &str, content_offset: usize) -> Result<(String, Vec<Located<Expr>>), SourceError> {
        let mut out = String::with_capacity(sql.len());
        let mut params = Vec::new();
        let mut cursor = 0;
        for (r, value) in expr::find_row_values(sql) {
            let location = self.at(content_offset + r.start);
            if value.format.is_some() || value.fallback.is_some() {
                return Err(SourceError::new(
                    location,
                    "in SQL, a row value takes no format: write `{{ row.COLUMN }}` or `{{ row.COLUMN | sql }}`",
                ));
            }
            out.push_str(&sql[cursor..r.start]);
            out.push('?');
            cursor = r.end;
            params.push(Located { value, location });
        }
        out.push_str(&sql[cursor..]);
        Ok((out, params))
    }
}

/// Where a value stands in the rendered Markdown, which decides how it is
/// written so that it reads as itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Text (also code): the HTML writer escapes it.
    Text,
    /// Raw HTML the author wrote: escaped here.
    Html,
    /// A link or image destination: one percent-encoded path segment.
    Url,
}

/// The placeholders of inline values in a page's Markdown: ASCII letters
/// and digits only, so that Markdown keeps them whole wherever they stand,
/// with a prefix the page's own text does not contain.
#[derive(Debug, Clone)]
pub struct Holes {
    prefix: String,
}

impl Holes {
    /// Placeholders that do not occur in `texts`.
    pub fn new<'a>(texts: impl Iterator<Item = &'a str> + Clone) -> Holes {
        let mut n = 0u32;
        loop {
            let prefix = format!("mgtv{n}q");
            if !texts.clone().any(|t| t.contains(&prefix)) {
                return Holes { prefix };
            }
            n += 1;
        }
    }

    /// The placeholder of value `i`.
    pub fn hole(&self, i: usize) -> String {
        format!("{}{i}z", self.prefix)
    }

    /// `text` with each placeholder replaced by its value, written for `slot`.
    /// One pass: a value is never searched for placeholders.
    fn fill<'t>(&self, text: &'t str, values: &[String], slot: Slot) -> std::borrow::Cow<'t, str> {
        if values.is_empty() || !text.contains(&self.prefix) {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(i) = rest.find(&self.prefix) {
            let after = &rest[i + self.prefix.len()..];
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            let index = after[..digits].parse::<usize>().ok().filter(|_| after[digits..].starts_with('z'));
            match index.and_then(|k| values.get(k)) {
                Some(value) => {
                    out.push_str(&rest[..i]);
                    match slot {
                        Slot::Text => out.push_str(value),
                        Slot::Html => out.push_str(&crate::chart::escape(value)),
                        Slot::Url => out.push_str(&percent_encode(value)),
                    }
                    rest = &after[digits + 1..];
                }
                None => {
                    out.push_str(&rest[..i + self.prefix.len()]);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        std::borrow::Cow::Owned(out)
    }
}

/// Every byte but ASCII letters, digits and `-._~` percent-encoded: a value
/// in a link is one path segment, never a scheme, a host or a query.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
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
    to_html_with(markdown, &Holes { prefix: String::new() }, &[], &BTreeMap::new())
}

/// The output name of each page by its source file name (`trends.md` ->
/// `trends.html`): links to `content/*.md` files are links to their pages.
pub type PageFiles = BTreeMap<String, String>;

/// A link to a content file (`trends.md#x`, `./trends.md`) as a link to its
/// page (`trends.html#x`); `None` for any other link, left as written.
pub fn page_link(dest: &str, pages: &PageFiles) -> Option<String> {
    if dest.contains("://") || dest.starts_with(['/', '#']) || dest.starts_with("mailto:") {
        return None;
    }
    let cut = dest.find(['#', '?']).unwrap_or(dest.len());
    let (path, rest) = dest.split_at(cut);
    let file = path.strip_prefix("./").unwrap_or(path);
    let file = file.strip_prefix("content/").unwrap_or(file);
    let page = pages.get(file)?;
    Some(format!("{page}{rest}"))
}

/// The id a heading gets from its text, as GitHub and mdBook make them:
/// lower case, spaces as `-`, other punctuation dropped.
pub fn heading_id(text: &str) -> String {
    let mut id = String::new();
    for c in text.trim().chars() {
        if c.is_alphanumeric() {
            id.extend(c.to_lowercase());
        } else if c == ' ' || c == '-' {
            id.push('-');
        } else if c == '_' {
            id.push('_');
        }
    }
    if id.is_empty() { "section".into() } else { id }
}

/// Renders Markdown to HTML, the inline values in place of their
/// placeholders ([`Holes`]): each value goes into the parsed document as
/// text (or, in raw HTML, escaped; in a link, percent-encoded), so no value
/// can add, end or change any Markdown or HTML structure. Links to content
/// files become links to their pages (`pages`); each heading gets an id
/// from its text (`heading_id`, made unique in the page with `-1`, `-2`...).
pub fn to_html_with(markdown: &str, holes: &Holes, values: &[String], pages: &PageFiles) -> String {
    use pulldown_cmark::TextMergeStream;
    let events = TextMergeStream::new(Parser::new_ext(markdown, options())).map(|event| match event {
        Event::Text(t) => Event::Text(holes.fill(&t, values, Slot::Text).into_owned().into()),
        Event::Code(t) => Event::Code(holes.fill(&t, values, Slot::Text).into_owned().into()),
        Event::Html(t) => Event::Html(holes.fill(&t, values, Slot::Html).into_owned().into()),
        Event::InlineHtml(t) => Event::InlineHtml(holes.fill(&t, values, Slot::Html).into_owned().into()),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            let dest = holes.fill(&dest_url, values, Slot::Url);
            let dest = page_link(&dest, pages).unwrap_or_else(|| dest.into_owned());
            Event::Start(Tag::Link {
                link_type,
                dest_url: dest.into(),
                title: holes.fill(&title, values, Slot::Text).into_owned().into(),
                id,
            })
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) => Event::Start(Tag::Image {
            link_type,
            dest_url: holes.fill(&dest_url, values, Slot::Url).into_owned().into(),
            title: holes.fill(&title, values, Slot::Text).into_owned().into(),
            id,
        }),
        Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => Event::Start(Tag::CodeBlock(
            CodeBlockKind::Fenced(holes.fill(&info, values, Slot::Text).into_owned().into()),
        )),
        Event::Start(Tag::FootnoteDefinition(label)) => {
            Event::Start(Tag::FootnoteDefinition(holes.fill(&label, values, Slot::Text).into_owned().into()))
        }
        Event::FootnoteReference(label) => {
            Event::FootnoteReference(holes.fill(&label, values, Slot::Text).into_owned().into())
        }
        other => other,
    });
    // every event that can hold text written in the page is filled above, in
    // one pass: a value is never searched for placeholders
    let mut events: Vec<Event<'_>> = events.collect();
    // `main` is the page's own (the skip link's target)
    let mut taken: BTreeMap<String, usize> = [("main".to_string(), 1)].into();
    for i in 0..events.len() {
        if !matches!(events[i], Event::Start(Tag::Heading { id: None, .. })) {
            continue;
        }
        let mut text = String::new();
        for e in &events[i + 1..] {
            match e {
                Event::End(TagEnd::Heading(_)) => break,
                Event::Text(t) | Event::Code(t) => text.push_str(t),
                _ => {}
            }
        }
        let base = heading_id(&text);
        let n = taken.entry(base.clone()).or_insert(0);
        let unique = if *n == 0 { base } else { format!("{base}-{n}") };
        *n += 1;
        if let Event::Start(Tag::Heading { id, .. }) = &mut events[i] {
            *id = Some(unique.into());
        }
    }
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    html
}

#[cfg(test)]
mod tests;
