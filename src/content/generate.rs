//! Generated pages: a page with `[generate]` in its front matter is a
//! template, expanded into one page per row of a query (one page per top
//! tag, say).
//!
//! The template is parsed once, as written ([`Page::parse`]); each page is
//! then made by putting the row's values into the parsed pieces: a text
//! field (a title, a caption) gets the value as text, an inline value
//! becomes a constant shown as text, and in SQL each `{{ row.COLUMN }}` is a
//! bound parameter. A value is data wherever it lands: it is never parsed
//! again, so it cannot add, end or change a block, a directive, a key or a
//! query, whatever it holds.
//!
//! Everything a generated page owns is keyed by its slug, which is unique:
//! its queries are named `SLUG.NAME` (a `.` is in neither a slug nor a query
//! name, so no two names meet), and its CSV downloads are
//! `data/SLUG.NAME.csv`.

use super::expr::{self, Expr, Source};
use super::{Page, Piece, Slice};
use crate::error::{Located, Location, SourceError};
use crate::format::Format;
use crate::query::QuerySpec;
use crate::table::{Table, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The longest slug made from data, in bytes (file names stay far below
/// the 255 bytes file systems allow, with room for `.NAME.csv`).
pub const MAX_SLUG: usize = 64;

/// Page names that generated pages never take: `404.html`, and the
/// Editions page that `--archive` adds.
pub const RESERVED: [&str; 2] = ["404", "editions"];

/// Every `{{ row.COLUMN }}` of a template with where it is written, checking
/// that none stands where a name is expected. `text` is the file and
/// `toml_offset` where its front matter starts.
pub(super) fn row_columns(page: &Page, text: &str, toml_offset: usize) -> Result<Vec<Located<String>>, SourceError> {
    let path = page.source.as_path();
    let mut out = Vec::new();
    // text fields are data once parsed: each value is found back in the
    // file for its location
    let in_text = |field: &str, from: usize, out: &mut Vec<Located<String>>| {
        for (range, e) in expr::find_row_values(field) {
            let written = &field[range];
            let at = text[from..].find(written).map_or(from, |i| i + from);
            out.push(Located {
                value: e.row_column().unwrap_or_default().to_string(),
                location: Location::at(path, text, at),
            });
        }
    };
    let meta = &page.meta;
    let generate = meta.generate.as_ref();
    for field in [Some(&meta.title), Some(&meta.description), meta.nav_title.as_ref(), generate.map(|g| &g.slug)] {
        in_text(field.map_or("", String::as_str), toml_offset, &mut out);
    }
    if let Some(g) = generate
        && g.query.contains("{{")
    {
        let at = text[toml_offset..].find("query").map_or(toml_offset, |i| i + toml_offset);
        return Err(SourceError::new(
            Location::at(path, text, at),
            "`[generate]` `query` names a query: it cannot hold a row value",
        ));
    }
    for piece in &page.pieces {
        match piece {
            Piece::Markdown(_) => {}
            Piece::Value(v) => {
                if let Some(c) = v.value.row_column() {
                    out.push(Located { value: c.to_string(), location: v.location.clone() });
                }
            }
            Piece::Directive(d) => {
                if let Some(name) = d.names().into_iter().find(|n| n.value.contains("{{")) {
                    return Err(SourceError::new(
                        name.location.clone(),
                        format!(
                            "`{}` names a query or a column: a row value can go in a title, caption, label or note, not in a name",
                            name.value
                        ),
                    ));
                }
                let from = d.names().first().map_or(toml_offset, |n| offset_of(text, &n.location));
                let mut d = d.as_ref().clone();
                for field in d.texts_mut() {
                    in_text(field, from.min(text.len()), &mut out);
                }
                for v in d.values() {
                    if let Some(c) = v.value.row_column() {
                        out.push(Located { value: c.to_string(), location: v.location.clone() });
                    }
                }
            }
        }
    }
    for query in &page.queries {
        for p in page.params.get(&query.name).into_iter().flatten() {
            out.push(Located {
                value: p.value.row_column().unwrap_or_default().to_string(),
                location: p.location.clone(),
            });
        }
    }
    Ok(out)
}

/// The byte offset of the start of `location`'s line in `text` (a directive
/// starts near its first name).
fn offset_of(text: &str, location: &Location) -> usize {
    text.split_inclusive('\n').take(location.line.saturating_sub(1)).map(str::len).sum()
}

/// `text` with each `{{ row.COLUMN }}` (and `{{ row.COLUMN | FORMAT }}`)
/// replaced by the row's value, in one pass: a value is never searched for
/// more row values. Other `{{ ... }}` stay as written.
pub fn fill(text: &str, row: &dyn Fn(&str) -> Option<Value>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut cursor = 0;
    for (range, e) in expr::find_row_values(text) {
        out.push_str(&text[cursor..range.start]);
        let value = e.row_column().and_then(row).unwrap_or(Value::Null);
        out.push_str(&shown(&e, &value));
        cursor = range.end;
    }
    out.push_str(&text[cursor..]);
    out
}

/// A row value as text: as in the CSV downloads (empty for NULL) unless a
/// format or a fallback says otherwise.
pub fn shown(e: &Expr, value: &Value) -> String {
    match (value, &e.fallback, e.format) {
        (Value::Null, Some(fallback), _) => fallback.clone(),
        (v, _, Some(format)) => format.apply(v),
        (v, _, None) => v.to_csv_field(),
    }
}

/// A file name from any text: transliterated to ASCII (`é` as `e`, `ß` as
/// `ss`), lowercase letters, digits and `_`, other runs as `-`, at most
/// [`MAX_SLUG`] bytes; `page` when nothing is left.
pub fn slugify(text: &str) -> String {
    let ascii = deunicode::deunicode_with_tofu(text, "-");
    let mut out = String::new();
    for c in ascii.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut slug = out.trim_matches('-').to_string();
    if slug.len() > MAX_SLUG {
        slug.truncate(MAX_SLUG);
        slug = slug.trim_end_matches('-').to_string();
    }
    if slug.is_empty() { "page".to_string() } else { slug }
}

/// A short, stable hash of `text` for a slug suffix.
fn short_hash(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex()[..8].to_string()
}

/// One unique slug per text: [`slugify`] of each, and where several texts
/// (or a name in `taken`) give one slug, each of them but the one written
/// exactly as that slug gets `-HASH` (of its own text) added. Deterministic,
/// and independent of the row order but for rows with the very same text.
/// The slugs are added to `taken`.
pub fn unique_slugs(texts: &[String], taken: &mut BTreeSet<String>) -> Vec<String> {
    let bases: Vec<String> = texts.iter().map(|t| slugify(t)).collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for b in &bases {
        *count.entry(b.as_str()).or_default() += 1;
    }
    let mut out = Vec::with_capacity(texts.len());
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (text, base) in texts.iter().zip(&bases) {
        let alone = count[base.as_str()] == 1 && !taken.contains(base);
        let exact = text == base && !taken.contains(base) && !out.contains(base);
        let mut slug = if alone || exact {
            base.clone()
        } else {
            let n = seen.entry(text.as_str()).or_default();
            *n += 1;
            let key = if *n == 1 { text.clone() } else { format!("{text}\u{0}{n}") };
            let stem = &base[..base.len().min(MAX_SLUG - 9)];
            format!("{}-{}", stem.trim_end_matches('-'), short_hash(&key))
        };
        // a hash that meets another name (once in four billion): count on
        let mut k = 2;
        while taken.contains(&slug) || out.contains(&slug) {
            slug = format!("{}-{k}", slug.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-'));
            k += 1;
        }
        out.push(slug);
    }
    taken.extend(out.iter().cloned());
    out
}

/// Expands a template into one page per row of `rows` (the result of its
/// `[generate]` query). `taken` holds the names already in use (the
/// ordinary pages, [`RESERVED`], other templates' pages) and gets this
/// template's.
///
/// Titles, descriptions and directive texts are filled in the page's
/// locale (its own, else `site_locale`); slugs are the same in every locale.
pub fn expand(
    template: &Page,
    rows: &Table,
    taken: &mut BTreeSet<String>,
    site_locale: &str,
) -> Result<Vec<Page>, SourceError> {
    let Some(generate) = &template.meta.generate else { return Ok(Vec::new()) };
    let columns = || rows.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
    for c in &template.row_columns {
        if rows.column_index(&c.value).is_none() {
            return Err(SourceError::new(
                c.location.clone(),
                format!("unknown column `{}` in `row` (columns of `{}`: {})", c.value, generate.query, columns()),
            ));
        }
    }
    for q in template.shared() {
        let by = q.by.as_ref().map_or("", |b| b.row.as_str());
        if rows.column_index(by).is_none() {
            return Err(SourceError::new(
                q.defined_at.clone(),
                format!("`by {by}`: the rows of `{}` have no column `{by}` (columns: {})", generate.query, columns()),
            ));
        }
    }
    let name = template.template_name();
    let texts: Vec<String> = rows
        .rows
        .iter()
        .map(|row| fill(&generate.slug, &|c: &str| rows.column_index(c).map(|i| row[i].clone())))
        .collect();
    let slugs = unique_slugs(&texts, taken);
    let locale = template.meta.locale.as_deref().unwrap_or(site_locale);
    let mut pages = Vec::with_capacity(rows.rows.len());
    for (row, slug) in rows.rows.iter().zip(slugs) {
        let value = |c: &str| rows.column_index(c).map(|i| row[i].clone());
        let page = crate::locale::with(locale, || instance(template, &name, slug, &value))
            .map_err(|m| SourceError::new(Location { path: template.source.clone(), line: 1, column: 1 }, m))??;
        pages.push(page);
    }
    Ok(pages)
}

/// The page of one row.
fn instance(
    template: &Page,
    template_name: &str,
    slug: String,
    value: &dyn Fn(&str) -> Option<Value>,
) -> Result<Page, SourceError> {
    let mut page = template.clone();
    page.row_columns.clear();
    page.params.clear();
    let meta = &mut page.meta;
    meta.generate = None;
    meta.slug = Some(slug.clone());
    meta.title = fill(&meta.title, value);
    meta.description = fill(&meta.description, value);
    if let Some(nav) = &mut meta.nav_title {
        *nav = fill(nav, value);
    }
    page.slug = slug.clone();
    let renamed: BTreeMap<String, String> =
        template.queries.iter().map(|q| (q.name.clone(), format!("{slug}.{}", q.name))).collect();
    let constant = |e: &mut Expr| {
        if let Some(column) = e.row_column() {
            let v = value(column).unwrap_or(Value::Null);
            e.source = Source::Const(v);
            // a row value reads as in the CSV downloads unless formatted
            if e.format.is_none() {
                e.format = Some(Format::Text);
            }
        }
    };
    for piece in &mut page.pieces {
        match piece {
            Piece::Markdown(_) => {}
            Piece::Value(v) => {
                constant(&mut v.value);
                rename(v.value.query_mut(), &renamed);
            }
            Piece::Directive(d) => {
                for field in d.texts_mut() {
                    *field = fill(field, value);
                }
                for v in d.values_mut() {
                    constant(&mut v.value);
                }
                for name in d.queries_mut() {
                    rename(Some(name), &renamed);
                }
            }
        }
    }
    let mut queries = Vec::new();
    for q in &template.queries {
        let own = renamed[&q.name].clone();
        match &q.by {
            Some(by) => page.slices.push(Slice {
                name: own,
                whole: format!("{template_name}:{}", q.name),
                column: by.column.clone(),
                value: value(&by.row).map(|v| v.to_csv_field()).unwrap_or_default(),
                defined_at: q.defined_at.clone(),
            }),
            None => {
                let params = template
                    .params
                    .get(&q.name)
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        let v = p.value.row_column().and_then(value).unwrap_or(Value::Null);
                        // `| sql`: the value as a string, whatever its type
                        if p.value.sql && v != Value::Null { Value::Text(v.to_csv_field()) } else { v }
                    })
                    .collect();
                queries.push(QuerySpec { name: own, params, ..q.clone() });
            }
        }
    }
    page.queries = queries;
    Ok(page)
}

fn rename(name: Option<&mut String>, names: &BTreeMap<String, String>) {
    if let Some(name) = name
        && let Some(new) = names.get(name.as_str())
    {
        *name = new.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Column, ColumnType};
    use std::path::Path;

    fn tags(values: &[&str]) -> Table {
        Table {
            columns: vec![Column { name: "tag".into(), kind: ColumnType::Text }],
            rows: values.iter().map(|v| vec![Value::Text(v.to_string())]).collect(),
        }
    }

    #[test]
    fn fills_in_one_pass() {
        let v = |c: &str| (c == "tag").then(|| Value::Text("{{ row.tag }} st-patrick's-day".into()));
        assert_eq!(fill("a {{ row.tag }} b {{ q.n }}", &v), "a {{ row.tag }} st-patrick's-day b {{ q.n }}");
        let n = |_: &str| Some(Value::Int(1234));
        assert_eq!(fill("{{ row.n }} {{ row.n | int }}", &n), "1234 1,234");
    }

    #[test]
    fn slugs_for_any_text() {
        assert_eq!(slugify("tag-St Patrick's Day!"), "tag-st-patrick-s-day");
        assert_eq!(slugify("60-minutes-or-less"), "60-minutes-or-less");
        assert_eq!(slugify("tag-éasy"), "tag-easy");
        assert_eq!(slugify("tag-Straße"), "tag-strasse");
        assert_eq!(slugify("!!"), "page");
        assert_eq!(slugify(""), "page");
        assert_eq!(slugify(".."), "page");
        assert_eq!(slugify("tag-\u{0}\n../../etc/passwd"), "tag-etc-passwd");
        let long = slugify(&format!("tag-{}", "x".repeat(300)));
        assert_eq!(long.len(), MAX_SLUG);
    }

    #[test]
    fn colliding_slugs_get_stable_distinct_names() {
        let texts: Vec<String> = [
            "tag-main-dish",
            "tag-main dish",
            "tag-EASY",
            "tag-easy",
            "tag-日本",
            "tag-中文",
            "tag-",
            "tag-.",
            "tag-..",
        ]
        .map(String::from)
        .to_vec();
        let mut taken: BTreeSet<String> = RESERVED.iter().map(|s| s.to_string()).collect();
        let slugs = unique_slugs(&texts, &mut taken);
        assert_eq!(slugs[0], "tag-main-dish", "the text written as its slug keeps it");
        assert!(slugs[1].starts_with("tag-main-dish-") && slugs[1].len() == "tag-main-dish-".len() + 8, "{slugs:?}");
        assert_eq!(slugs[3], "tag-easy");
        assert!(slugs[2].starts_with("tag-easy-"));
        let unique: BTreeSet<&String> = slugs.iter().collect();
        assert_eq!(unique.len(), slugs.len(), "{slugs:?}");
        for s in &slugs {
            assert!(crate::content::front_matter::is_valid_slug(s), "{s}");
        }
        // the same text always gives the same name, whatever else is there
        let again = unique_slugs(&[texts[1].clone(), texts[0].clone()], &mut BTreeSet::new());
        assert_eq!(again, [slugs[1].clone(), slugs[0].clone()]);
        // names in use are not taken, the same text twice gets two names
        let mut taken: BTreeSet<String> = ["index".to_string()].into();
        let slugs = unique_slugs(&["index".into(), "index".into(), "404".into()], &mut taken);
        assert!(slugs[0] != "index" && slugs[1] != "index" && slugs[0] != slugs[1], "{slugs:?}");
        assert_eq!(slugs[2], "404");
    }

    #[test]
    fn expands_one_page_per_row_with_its_own_queries() {
        let text = "+++\ntitle = \"Tag {{ row.tag }}\"\n[generate]\nquery = \"top\"\nslug = \"tag-{{ row.tag }}\"\n+++\n\n```sql stats\nselect count(*) as n from recipes where list_contains(tags, {{ row.tag | sql }})\n```\n\n{{ stats.n }} recipes, {{ kpis.n }} in all, {{ row.tag }}.\n";
        let template = Page::parse(text, Path::new("content/tag.md")).unwrap();
        let mut taken = BTreeSet::new();
        let pages = expand(&template, &tags(&["easy", "mom's", "main dish", "main-dish"]), &mut taken, "en").unwrap();
        assert_eq!(pages.len(), 4);
        assert_eq!(pages[1].slug, "tag-mom-s");
        assert_eq!(pages[1].meta.title, "Tag mom's");
        assert_eq!(pages[1].queries[0].name, "tag-mom-s.stats");
        assert_eq!(pages[1].queries[0].sql.trim(), "select count(*) as n from recipes where list_contains(tags, ?)");
        assert_eq!(pages[1].queries[0].params, [Value::Text("mom's".into())]);
        assert_ne!(pages[2].queries[0].name, pages[3].queries[0].name);
        let names: Vec<Option<&str>> = pages[0]
            .pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Value(v) => Some(v.value.query()),
                _ => None,
            })
            .collect();
        assert_eq!(names, [Some("tag-easy.stats"), Some("kpis"), None]);
        assert!(
            pages[0]
                .pieces
                .iter()
                .any(|p| matches!(p, Piece::Value(v) if v.value.source == Source::Const(Value::Text("easy".into()))))
        );
    }

    #[test]
    fn titles_are_written_in_the_page_locale_and_slugs_in_none() {
        let rows = Table {
            columns: vec![Column { name: "n".into(), kind: ColumnType::Number }],
            rows: vec![vec![Value::Int(1234)]],
        };
        let text = "+++\ntitle = \"{{ row.n | int }} recipes\"\n[generate]\nquery = \"top\"\nslug = \"n-{{ row.n | int }}\"\n+++\n\n```chart\nkind = \"bar\"\ndata = \"q\"\nx = \"a\"\ny = \"b\"\ntitle = \"{{ row.n | int }} in all\"\n```\n";
        let template = Page::parse(text, Path::new("content/t.md")).unwrap();
        let fr = expand(&template, &rows, &mut BTreeSet::new(), "fr").unwrap();
        assert_eq!(fr[0].meta.title, "1\u{202f}234 recipes");
        assert_eq!(fr[0].slug, "n-1-234", "the slug is written as in English");
        let title = fr[0].pieces.iter().find_map(|p| match p {
            Piece::Directive(d) => match d.as_ref() {
                crate::content::directive::Directive::Chart(c) => Some(c.title.as_str()),
                _ => None,
            },
            _ => None,
        });
        assert_eq!(title, Some("1\u{202f}234 in all"));
        // the page's own locale comes first
        let de = text.replace("+++\ntitle", "+++\nlocale = \"de\"\ntitle");
        let de = expand(&Page::parse(&de, Path::new("content/t.md")).unwrap(), &rows, &mut BTreeSet::new(), "fr");
        assert_eq!(de.unwrap()[0].meta.title, "1.234 recipes");
        assert_eq!(expand(&template, &rows, &mut BTreeSet::new(), "en").unwrap()[0].meta.title, "1,234 recipes");
    }

    #[test]
    fn unknown_row_columns_are_located() {
        let text =
            "+++\ntitle = \"T\"\n[generate]\nquery = \"top\"\nslug = \"t-{{ row.tag }}\"\n+++\n\nx {{ row.nope }}\n";
        let template = Page::parse(text, Path::new("content/t.md")).unwrap();
        let e = expand(&template, &tags(&[]), &mut BTreeSet::new(), "en").unwrap_err();
        assert_eq!((e.location.line, e.location.column), (8, 3));
        assert!(e.message.starts_with("unknown column `nope` in `row`"), "{}", e.message);
        let text = "+++\ntitle = \"T {{ row.nope }}\"\n[generate]\nquery = \"top\"\nslug = \"t-{{ row.tag }}\"\n+++\n";
        let e =
            expand(&Page::parse(text, Path::new("content/t.md")).unwrap(), &tags(&["a"]), &mut BTreeSet::new(), "en")
                .unwrap_err();
        assert_eq!((e.location.line, e.location.column), (2, 12));
    }

    #[test]
    fn names_cannot_hold_row_values() {
        let text = "+++\ntitle = \"T\"\n[generate]\nquery = \"top\"\nslug = \"t\"\n+++\n\n```chart\nkind = \"bar\"\ndata = \"{{ row.tag }}\"\nx = \"a\"\ny = \"b\"\ntitle = \"t\"\n```\n";
        let e = Page::parse(text, Path::new("content/t.md")).unwrap_err();
        assert!(e.message.contains("not in a name"), "{}", e.message);
        assert_eq!(e.location.line, 10);
    }
}
