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

use crate::error::SourceError;
use crate::query::QuerySpec;
use anyhow::Context;
use directive::{Directive, Located};
use expr::Expr;
pub use front_matter::FrontMatter;
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

/// One page of the site.
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
    /// The body, split into pieces.
    pub pieces: Vec<Piece>,
    /// For a page with `[generate]`: its whole text, expanded once per row.
    pub template: Option<String>,
    /// For a page generated from a template: the template's name (its file stem).
    pub generated_from: Option<String>,
    /// For a page with `[generate]`: its shared queries (`sql NAME by
    /// COLUMN`) whose SQL does not depend on the row, as every generated page
    /// will have them. They can run before the pages are generated.
    pub shared: Vec<QuerySpec>,
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

    /// Parses one page. `display` is how messages name the file. A template
    /// (`[generate]`) is checked with placeholder values and kept as text.
    pub fn parse(text: &str, display: &Path) -> Result<Page, SourceError> {
        let split = front_matter::split(text, display)?;
        let meta = front_matter::parse(&split, text, display)?;
        if meta.generate.is_some() {
            let probe = generate::substitute(text, display, &|_| Some("1".to_string()), true)?;
            let mut page = Page::parse_body(&probe, display, meta.clone())?;
            page.template = Some(text.to_string());
            // a shared query whose SQL is the same whatever the row holds
            let other = generate::substitute(text, display, &|_| Some("2".to_string()), true)
                .and_then(|other| Page::parse_body(&other, display, meta.clone()));
            let again = other.map(|p| p.queries).unwrap_or_default();
            page.shared = std::mem::take(&mut page.queries)
                .into_iter()
                .filter(|q| q.by.is_some() && again.iter().any(|a| a.name == q.name && a.sql == q.sql))
                .collect();
            page.pieces.clear();
            return Ok(page);
        }
        let page = Page::parse_body(text, display, meta)?;
        if let Some(q) = page.queries.iter().find(|q| q.by.is_some()) {
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

    fn parse_body(text: &str, display: &Path, meta: FrontMatter) -> Result<Page, SourceError> {
        let split = front_matter::split(text, display)?;
        let (queries, pieces) = markdown::scan(text, split.body_offset, display)?;
        let slug = match &meta.slug {
            Some(s) => s.clone(),
            None => display.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default(),
        };
        if !front_matter::is_valid_slug(&slug) {
            return Err(SourceError::new(
                crate::error::Location::at(display, text, 0),
                format!("the file name gives the invalid slug `{slug}`: rename the file or set `slug`"),
            ));
        }
        Ok(Page {
            source: display.to_path_buf(),
            meta,
            slug,
            queries,
            pieces,
            template: None,
            generated_from: None,
            shared: Vec::new(),
        })
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
    fn a_template_keeps_the_shared_queries_that_do_not_depend_on_the_row() {
        let text = "+++\ntitle = \"T {{ row.tag }}\"\n[generate]\nquery = \"g\"\nslug = \"t-{{ row.tag }}\"\n+++\n\n\
                    ```sql whole by tag\nselect tag, count(*) as n from g group by tag\n```\n\n\
                    ```sql mine by tag\nselect tag from g where tag = {{ row.tag | sql }}\n```\n\n\
                    ```sql own\nselect 1 as x\n```\n";
        let p = Page::parse(text, Path::new("content/tag.md")).unwrap();
        let names: Vec<&str> = p.shared.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["whole"]);
        assert_eq!(p.shared[0].sql.trim(), "select tag, count(*) as n from g group by tag");
        assert!(p.queries.is_empty(), "a template's queries run once it is expanded");
        let plain =
            Page::parse("+++\ntitle = \"T\"\n+++\n```sql q\nselect 1\n```\n", Path::new("content/p.md")).unwrap();
        assert!(plain.shared.is_empty());
    }

    #[test]
    fn invalid_stem_needs_a_slug() {
        let e = Page::parse("+++\ntitle = \"T\"\n+++\n", Path::new("content/my page.md")).unwrap_err();
        assert!(e.message.contains("slug"));
        let p = Page::parse("+++\ntitle = \"T\"\nslug = \"mine\"\n+++\n", Path::new("content/my page.md")).unwrap();
        assert_eq!(p.slug, "mine");
    }
}
