//! The pages of the offline forms: the Editions page's list of archives
//! (`partials/editions.html`) and the single-file archive (`archive.html`),
//! rendered through templates like every other page.

use super::Templates;
use crate::error::SourceError;
use serde::Serialize;

/// One archived edition on the Editions page.
#[derive(Debug, Serialize)]
pub struct EditionView {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Each form (`.tar.gz`, `.zip`, `.html`), in that order: its link, or none.
    pub downloads: Vec<Option<Download>>,
}

/// A link to one archive file.
#[derive(Debug, Serialize)]
pub struct Download {
    /// Relative to the site.
    pub href: String,
    /// Its size for people (`1.2 MB`).
    pub size: String,
}

/// The whole report in one file.
#[derive(Debug, Serialize)]
pub struct SingleFile<'a> {
    /// The site's title.
    pub title: &'a str,
    /// The site's language (`lang`).
    pub lang: &'a str,
    /// The stylesheet, inlined.
    pub css: &'a str,
    /// The edition date.
    pub edition: Option<&'a str>,
    /// The pages, in the site's order.
    pub pages: Vec<ArchivedPage>,
}

/// One page of the single file.
#[derive(Debug, Serialize)]
pub struct ArchivedPage {
    /// The id of its section.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its content, as HTML, its links pointing inside the file.
    pub body: String,
}

impl Templates {
    /// The list of archived editions (`partials/editions.html`).
    pub fn editions(&self, editions: &[EditionView]) -> Result<String, SourceError> {
        let mut ctx = tera::Context::new();
        ctx.insert("editions", editions);
        self.render("partials/editions.html", &ctx)
    }

    /// The single-file archive (`archive.html`), its text cleaned as the
    /// site's files are ([`super::clean_text`]).
    pub fn single_file(&self, file: &SingleFile<'_>) -> Result<String, SourceError> {
        let ctx = tera::Context::from_serialize(file).map_err(|e| super::template_error(&e, &self.sources))?;
        Ok(super::clean(&self.render("archive.html", &ctx)?).into_owned())
    }
}
