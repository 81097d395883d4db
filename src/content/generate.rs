//! Generated pages: a page with `[generate]` in its front matter is a
//! template, expanded into one page per row of a query (one page per top tag,
//! say). `{{ row.COLUMN }}` becomes the row's value as text and
//! `{{ row.COLUMN | sql }}` as an SQL string literal. The queries of each
//! generated page are renamed `NAME__SLUG`, so every page has its own results
//! and its own CSV downloads.

use super::directive::Directive;
use super::{Page, Piece, front_matter, markdown};
use crate::error::{Location, SourceError};
use crate::table::Table;
use std::collections::BTreeMap;
use std::path::Path;

/// Where a `{{ row.COLUMN }}` stands in a page, which decides how its value
/// is escaped so that it reads back as itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    /// Markdown text: Markdown's special characters become entities.
    Markdown,
    /// Front matter or a directive (TOML): escaped for a `"..."` string.
    Toml,
    /// An SQL block: only `| sql` is allowed, which quotes the value.
    Sql,
    /// Another fenced code block: shown as written.
    Code,
    /// Not in a page (a slug): the value as it is.
    Plain,
}

/// The context of every line of `text`, by the byte offset where it starts.
fn contexts(text: &str) -> Vec<(usize, Context)> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut front_matter = text.starts_with("+++");
    let mut fence: Option<(String, Context)> = None;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_end();
        let context = if front_matter {
            if i > 0 && trimmed == "+++" {
                front_matter = false;
            }
            Context::Toml
        } else if let Some((marker, context)) = &fence {
            let context = *context;
            if trimmed.trim_start().starts_with(marker.as_str())
                && trimmed.trim_start().trim_start_matches(marker.as_str()).is_empty()
            {
                fence = None;
                Context::Code
            } else {
                context
            }
        } else {
            let start = trimmed.trim_start();
            let marker: String = start.chars().take_while(|c| *c == '`' || *c == '~').collect();
            if marker.len() >= 3 && marker.chars().all(|c| c == marker.chars().next().unwrap_or('`')) {
                let info = start[marker.len()..].split_whitespace().next().unwrap_or("");
                let context = match info {
                    "sql" => Context::Sql,
                    "chart" | "table" | "kpis" | "pages" => Context::Toml,
                    _ => Context::Code,
                };
                fence = Some((marker, context));
                Context::Code
            } else {
                Context::Markdown
            }
        };
        out.push((offset, context));
        offset += line.len();
    }
    out
}

/// A number that SQL reads as one: digits, a sign, a point, an exponent.
fn is_number(value: &str) -> bool {
    value.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        && value.chars().any(|c| c.is_ascii_digit())
        && value.parse::<f64>().is_ok()
}

/// Escapes `value` for the inside of a TOML basic string (`"..."`).
fn toml_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// Replaces every `{{ row.COLUMN }}` / `{{ row.COLUMN | sql }}` of `text`;
/// `value` gives a column's text, `None` for an unknown column.
/// With `escape` (a page), each value is escaped for where it stands: in
/// Markdown text, in front matter or a directive (a TOML string), or in an
/// SQL block (where only `| sql` is allowed); without, it is left as it is.
pub fn substitute(
    text: &str,
    path: &Path,
    value: &dyn Fn(&str) -> Option<String>,
    escape: bool,
) -> Result<String, SourceError> {
    let lines = if escape { contexts(text) } else { Vec::new() };
    let context_at = |at: usize| match lines.partition_point(|(start, _)| *start <= at) {
        0 => Context::Plain,
        i => lines[i - 1].1,
    };
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    while let Some(start) = text[pos..].find("{{").map(|i| i + pos) {
        let Some(end) = text[start..].find("}}").map(|i| i + start + 2) else { break };
        let inner = text[start + 2..end - 2].trim();
        let Some(rest) = inner.strip_prefix("row.") else {
            out.push_str(&text[pos..end]);
            pos = end;
            continue;
        };
        let (column, filter) = match rest.split_once('|') {
            Some((c, f)) => (c.trim(), Some(f.trim())),
            None => (rest.trim(), None),
        };
        let at = || Location::at(path, text, start);
        let v = value(column).ok_or_else(|| SourceError::new(at(), format!("unknown column `{column}` in `row`")))?;
        out.push_str(&text[pos..start]);
        match (filter, context_at(start)) {
            (None, Context::Markdown) => out.push_str(&markdown::escape_inline(&v)),
            (None, Context::Toml) => out.push_str(&toml_escape(&v)),
            (None, Context::Sql) if v.is_empty() => out.push_str("NULL"),
            (None, Context::Sql) if is_number(&v) => out.push_str(&v),
            (None, Context::Sql) => {
                return Err(SourceError::new(
                    at(),
                    format!(
                        "`{v}` is not a number: in SQL, write `{{{{ row.{column} | sql }}}}` to have it as a quoted SQL string"
                    ),
                ));
            }
            (None, Context::Code | Context::Plain) => out.push_str(&v),
            (Some("sql"), _) => out.push_str(&format!("'{}'", v.replace('\'', "''"))),
            (Some(other), _) => {
                return Err(SourceError::new(
                    at(),
                    format!("unknown filter `{other}` for `row` (expected `sql` or none)"),
                ));
            }
        }
        pos = end;
    }
    out.push_str(&text[pos..]);
    Ok(out)
}

/// A file name from any text: lowercase letters and digits, other runs as `-`.
pub fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// Expands a template page into one page per row of `rows`.
pub fn expand(template: &Page, rows: &Table) -> Result<Vec<Page>, SourceError> {
    let (Some(text), Some(generate)) = (&template.template, &template.meta.generate) else {
        return Ok(Vec::new());
    };
    let path = template.source.as_path();
    let mut pages = Vec::new();
    let mut slugs: BTreeMap<String, usize> = BTreeMap::new();
    for (i, row) in rows.rows.iter().enumerate() {
        let value = |column: &str| rows.column_index(column).map(|c| row[c].to_csv_field());
        let expanded = substitute(text, path, &value, true)?;
        let slug = slugify(&substitute(&generate.slug, path, &value, false)?);
        if !front_matter::is_valid_slug(&slug) {
            return Err(SourceError::new(
                Location::at(path, text, text.find("slug").unwrap_or(0)),
                format!("row {} of `{}` gives an empty page name", i + 1, generate.query),
            ));
        }
        if let Some(first) = slugs.insert(slug.clone(), i) {
            return Err(SourceError::new(
                Location::at(path, text, text.find("slug").unwrap_or(0)),
                format!("rows {} and {} of `{}` give the same page name `{slug}`", first + 1, i + 1, generate.query),
            ));
        }
        let split = front_matter::split(&expanded, path)?;
        let mut meta = front_matter::parse(&split, &expanded, path)?;
        meta.generate = None;
        let mut page = Page::parse_body(&expanded, path, meta)?;
        page.slug = slug.clone();
        page.generated_from = Some(template.template_name());
        for q in &mut page.queries {
            if let Some(shared) = &mut q.by {
                shared.value = value(&shared.column).ok_or_else(|| {
                    SourceError::new(
                        q.defined_at.clone(),
                        format!(
                            "`by {}`: the rows of `{}` have no column `{}` (columns: {})",
                            shared.column,
                            generate.query,
                            shared.column,
                            rows.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    )
                })?;
                shared.rows_from = generate.query.clone();
            }
        }
        let suffix = slug.replace('-', "_");
        let renamed: BTreeMap<String, String> =
            page.queries.iter().map(|q| (q.name.clone(), format!("{}__{suffix}", q.name))).collect();
        for q in &mut page.queries {
            q.name = renamed[&q.name].clone();
        }
        for piece in &mut page.pieces {
            rename(piece, &renamed);
        }
        pages.push(page);
    }
    Ok(pages)
}

fn rename(piece: &mut Piece, names: &BTreeMap<String, String>) {
    let apply = |name: &mut String| {
        if let Some(new) = names.get(name.as_str()) {
            *name = new.clone();
        }
    };
    match piece {
        Piece::Markdown(_) => {}
        Piece::Value(v) => apply(&mut v.value.query),
        Piece::Directive(d) => match d.as_mut() {
            Directive::Chart(c) => apply(&mut c.query.value),
            Directive::Table(t) => apply(&mut t.query.value),
            Directive::Kpis(k) => {
                for t in &mut k.tiles {
                    apply(&mut t.value.value.query);
                }
            }
            Directive::Pages(_) => {}
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Column, ColumnType, Value};

    #[test]
    fn substitutes_text_and_sql() {
        let v = |c: &str| (c == "tag").then(|| "st-patrick's-day".to_string());
        let out = substitute("a {{ row.tag }} b {{row.tag|sql}} {{ q.n }}", Path::new("t.md"), &v, true).unwrap();
        assert_eq!(out, "a st-patrick's-day b 'st-patrick''s-day' {{ q.n }}");
        let e = substitute("x\n {{ row.nope }}", Path::new("t.md"), &v, true).unwrap_err();
        assert_eq!((e.location.line, e.location.column), (2, 2));
        assert!(
            substitute("{{ row.tag | int }}", Path::new("t.md"), &v, true)
                .unwrap_err()
                .message
                .contains("unknown filter")
        );
    }

    #[test]
    fn values_are_escaped_for_where_they_stand() {
        let v = |_: &str| Some(r#"a "b" \ c & (d) *e*"#.to_string());
        let text = "+++\ntitle = \"T {{ row.x }}\"\n+++\n\nText {{ row.x }}.\n\n```chart\ntitle = \"C {{ row.x }}\"\n```\n\n```text\n{{ row.x }}\n```\n";
        let out = substitute(text, Path::new("t.md"), &v, true).unwrap();
        // front matter and directives: TOML strings that read back as the value
        let title: toml::Value = toml::from_str(out.lines().nth(1).unwrap()).unwrap();
        assert_eq!(title["title"].as_str(), Some(r#"T a "b" \ c & (d) *e*"#));
        let chart = out.lines().find(|l| l.starts_with("title = \"C")).unwrap();
        let chart: toml::Value = toml::from_str(chart).unwrap();
        assert_eq!(chart["title"].as_str(), Some(r#"C a "b" \ c & (d) *e*"#));
        // Markdown: entities; other code blocks: as written
        assert!(out.contains("Text a &#34;b&#34; &#92; c &#38; &#40;d&#41; &#42;e&#42;."), "{out}");
        assert!(out.contains("```text\na \"b\" \\ c & (d) *e*\n```"), "{out}");
        // SQL takes the value only as a quoted string
        let sql = "+++\ntitle = \"x\"\n+++\n```sql q\nselect {{ row.x }}\n```\n";
        let e = substitute(sql, Path::new("t.md"), &v, true).unwrap_err();
        assert!(e.message.contains("is not a number") && e.message.contains("| sql"), "{}", e.message);
        assert_eq!((e.location.line, e.location.column), (5, 8));
        // numbers (and NULL) go in as they are
        for (value, sql) in [("5", "select 5"), ("-2.5e3", "select -2.5e3"), ("", "select NULL")] {
            let n = |_: &str| Some(value.to_string());
            assert!(
                substitute("```sql q\nselect {{ row.x }}\n```\n", Path::new("t.md"), &n, true).unwrap().contains(sql)
            );
        }
        assert!(!is_number("1; drop table recipes") && !is_number("inf") && !is_number("-") && is_number("42"));
    }

    #[test]
    fn slugs() {
        assert_eq!(slugify("tag-St Patrick's Day!"), "tag-st-patrick-s-day");
        assert_eq!(slugify("60-minutes-or-less"), "60-minutes-or-less");
        assert_eq!(slugify("!!"), "");
    }

    #[test]
    fn expands_one_page_per_row_with_renamed_queries() {
        let text = "+++\ntitle = \"Tag {{ row.tag }}\"\n[generate]\nquery = \"top\"\nslug = \"tag-{{ row.tag }}\"\n+++\n\n```sql stats\nselect count(*) as n from recipes where list_contains(tags, {{ row.tag | sql }})\n```\n\n{{ stats.n }} recipes, {{ kpis.n }} in all.\n";
        let template = Page::parse(text, Path::new("content/tag.md")).unwrap();
        assert!(template.template.is_some());
        let rows = Table {
            columns: vec![Column { name: "tag".into(), kind: ColumnType::Text }],
            rows: vec![vec![Value::Text("easy".into())], vec![Value::Text("mom's".into())]],
        };
        let pages = expand(&template, &rows).unwrap();
        assert_eq!(pages.len(), 2);
        assert_eq!(pages[1].slug, "tag-mom-s");
        assert_eq!(pages[1].meta.title, "Tag mom's");
        assert_eq!(pages[1].queries[0].name, "stats__tag_mom_s");
        assert!(pages[1].queries[0].sql.contains("'mom''s'"));
        let queries: Vec<&str> = pages[0]
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Value(v) => Some(v.value.query.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(queries, ["stats__tag_easy", "kpis"]);
        let dup = Table { rows: vec![vec![Value::Text("a b".into())], vec![Value::Text("a-b".into())]], ..rows };
        assert!(expand(&template, &dup).unwrap_err().message.contains("same page name"));
    }
}
