//! Content: reads `content/*.md` into [`Page`]s: front matter, named SQL
//! blocks, directives and inline values, each with its location in the file.
//!
//! Loading needs no data: everything an author can get wrong in the syntax is
//! found here, before any query runs. References to queries and columns are
//! checked once the queries have run (see `site`).

pub mod directive;
pub mod expr;
pub mod front_matter;
pub mod generate;
pub mod markdown;

use crate::error::{Located, Location, SourceError};
use crate::query::QuerySpec;
use anyhow::Context;
use directive::Directive;
use expr::Expr;
pub use front_matter::FrontMatter;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A part of a page body, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Markdown copied as written.
    Markdown(String),
    /// An inline value.
    Value(Located<Expr>),
    /// A chart, table or KPI directive.
    Directive(Box<Directive>),
}

/// One page of the site, or a template of pages generated from data.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The source file, as messages name it (`content/index.md`).
    pub source: PathBuf,
    /// The front matter.
    pub meta: FrontMatter,
    /// The output name without `.html`.
    pub slug: String,
    /// The named SQL blocks of the page.
    pub queries: Vec<QuerySpec>,
    /// The models the page declares (`cluster NAME`, `overlap NAME`).
    pub models: Vec<crate::model::ModelSpec>,
    /// The body, split into pieces.
    pub pieces: Vec<Piece>,
    /// For a template: the row values each query takes as parameters, by
    /// query name, in the order of the `?` in its SQL.
    pub params: BTreeMap<String, Vec<Located<Expr>>>,
    /// For a template: every `{{ row.COLUMN }}` it holds, where it is
    /// written, so that an unknown column is found before any page is made.
    pub row_columns: Vec<Located<String>>,
    /// For a page generated from a template: the rows it takes from the
    /// template's shared queries (`sql NAME by COLUMN`).
    pub slices: Vec<Slice>,
    /// Every link of the body, as written, and where (to name the source
    /// of a broken link).
    pub links: Vec<Located<String>>,
}

/// The rows a generated page takes from a query its template shares with
/// all its pages: those whose `column` holds the page's own value.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    /// The page's name for these rows (`PAGE.NAME`).
    pub name: String,
    /// The shared query's name as it runs (`TEMPLATE:NAME`).
    pub whole: String,
    /// The column that says which page a row belongs to.
    pub column: String,
    /// This page's value of `column`, as its text (empty for NULL).
    pub value: String,
    /// Where the shared query is written.
    pub defined_at: Location,
}

impl Page {
    /// The output file name (`index.html`).
    pub fn file_name(&self) -> String {
        format!("{}.html", self.slug)
    }

    /// The name other pages use for this template (its file stem).
    pub fn template_name(&self) -> String {
        self.source.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    }

    /// Whether this page is a template of pages generated from data (`[generate]`).
    pub fn is_template(&self) -> bool {
        self.meta.generate.is_some()
    }

    /// A template's shared queries (`sql NAME by COLUMN`): they run once for
    /// all its pages, before the pages exist.
    pub fn shared(&self) -> impl Iterator<Item = &QuerySpec> {
        self.queries.iter().filter(|q| q.by.is_some())
    }

    /// Parses one page. `display` is how messages name the file. A template
    /// (`[generate]`) is parsed once, as written: its row values stay in
    /// place, to be filled in for each row ([`generate::expand`]).
    pub fn parse(text: &str, display: &Path) -> Result<Page, SourceError> {
        let split = front_matter::split(text, display)?;
        let meta = front_matter::parse(&split, text, display)?;
        let template = meta.generate.is_some();
        let scanned = markdown::scan(text, split.body_offset, display, template)?;
        let slug = match &meta.slug {
            Some(s) => s.clone(),
            None => display.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default(),
        };
        if !front_matter::is_valid_slug(&slug) {
            return Err(SourceError::new(
                Location::at(display, text, 0),
                format!("the file name gives the invalid slug `{slug}`: rename the file or set `slug`"),
            ));
        }
        let mut page = Page {
            source: display.to_path_buf(),
            meta,
            slug,
            queries: scanned.queries,
            models: scanned.models,
            pieces: scanned.pieces,
            params: scanned.params,
            row_columns: Vec::new(),
            slices: Vec::new(),
            links: scanned.links,
        };
        if let (true, Some(m)) = (template, page.models.first()) {
            return Err(SourceError::new(
                m.defined_at.clone(),
                format!(
                    "model `{}`: a page generated from data cannot declare a model (declare it on an ordinary page)",
                    m.name
                ),
            ));
        }
        if template {
            page.row_columns = generate::row_columns(&page, text, split.toml_offset)?;
        } else if let Some(q) = page.queries.iter().find(|q| q.by.is_some()) {
            return Err(SourceError::new(
                q.defined_at.clone(),
                format!(
                    "`by` is for the queries of a page generated from data (`[generate]`); `{}` is on an ordinary page",
                    q.name
                ),
            ));
        }
        Ok(page)
    }
}

/// Loads every `*.md` directly under `content_dir`, sorted by weight then file
/// name. `root` is stripped from paths in messages. Two pages with one slug
/// are an error.
pub fn load_all(content_dir: &Path, root: &Path) -> anyhow::Result<Vec<Page>> {
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in walkdir::WalkDir::new(content_dir).min_depth(1).max_depth(1).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot list `{}`", content_dir.display()))?;
        if entry.file_type().is_file() && entry.path().extension().is_some_and(|e| e == "md") {
            files.push(entry.into_path());
        }
    }
    if files.is_empty() {
        anyhow::bail!("no pages: `{}` holds no `*.md` file", content_dir.display());
    }
    let mut pages = Vec::new();
    for file in files {
        let display = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
        let text =
            std::fs::read_to_string(&file).with_context(|| format!("cannot read page `{}`", display.display()))?;
        pages.push(Page::parse(&text, &display)?);
    }
    pages.sort_by(|a, b| (a.meta.weight, &a.source).cmp(&(b.meta.weight, &b.source)));
    let mut seen: std::collections::BTreeMap<&str, &Path> = std::collections::BTreeMap::new();
    for page in &pages {
        if let Some(other) = seen.insert(&page.slug, &page.source) {
            return Err(SourceError::new(
                crate::error::Location { path: page.source.clone(), line: 1, column: 1 },
                format!("page slug `{}` is also used by `{}`", page.slug, other.display()),
            )
            .into());
        }
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_defaults_to_file_stem() {
        let p = Page::parse("+++\ntitle = \"T\"\n+++\nhi\n", Path::new("content/Trends.md")).unwrap();
        assert_eq!(p.slug, "trends");
        assert_eq!(p.file_name(), "trends.html");
    }

    #[test]
    fn a_template_is_parsed_once_as_written() {
        let text = "+++\ntitle = \"T {{ row.tag }}\"\n[generate]\nquery = \"g\"\nslug = \"t-{{ row.tag }}\"\n+++\n\n\
                    ```sql whole by tag\nselect tag, count(*) as n from g group by tag\n```\n\n\
                    ```sql mine\nselect tag from g where tag = {{ row.tag | sql }}\n```\n\n\
                    ```sql own\nselect 1 as x\n```\n";
        let p = Page::parse(text, Path::new("content/tag.md")).unwrap();
        let names: Vec<&str> = p.shared().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["whole"]);
        assert_eq!(p.queries[1].sql.trim(), "select tag from g where tag = ?");
        assert_eq!(p.params["mine"].len(), 1);
        assert_eq!(p.meta.title, "T {{ row.tag }}", "front matter is parsed once, values filled in later");
        let columns: Vec<&str> = p.row_columns.iter().map(|c| c.value.as_str()).collect();
        assert_eq!(columns, ["tag", "tag", "tag"]);
        let plain =
            Page::parse("+++\ntitle = \"T\"\n+++\n```sql q\nselect 1\n```\n", Path::new("content/p.md")).unwrap();
        assert_eq!(plain.shared().count(), 0);
    }

    #[test]
    fn invalid_stem_needs_a_slug() {
        let e = Page::parse("+++\ntitle = \"T\"\n+++\n", Path::new("content/my page.md")).unwrap_err();
        assert!(e.message.contains("slug"));
        let p = Page::parse("+++\ntitle = \"T\"\nslug = \"mine\"\n+++\n", Path::new("content/my page.md")).unwrap();
        assert_eq!(p.slug, "mine");
    }
}
