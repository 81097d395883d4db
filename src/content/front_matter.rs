//! Splits a page into its TOML front matter and Markdown body, and parses the
//! front matter into [`FrontMatter`].
//!
//! The front matter sits between two `+++` lines at the very top of the file.
//! Offsets are kept so that every error points at the right line of the file,
//! not of the block.

use crate::error::{Location, SourceError, toml_error};
use serde::Deserialize;
use std::path::Path;

/// What an author sets at the top of a page.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    /// The page title (`<h1>` and `<title>`).
    pub title: String,
    /// One sentence for the meta description and the page's lead.
    #[serde(default)]
    pub description: String,
    /// Position in the navigation: lower comes first; ties sort by file name.
    #[serde(default)]
    pub weight: i64,
    /// The output file name without `.html`; defaults to the file stem.
    #[serde(default)]
    pub slug: Option<String>,
    /// Whether the page appears in the navigation (default true).
    #[serde(default = "yes")]
    pub in_nav: bool,
    /// A shorter title for the navigation.
    #[serde(default)]
    pub nav_title: Option<String>,
    /// Makes this page a template: one page per row of a query.
    #[serde(default)]
    pub generate: Option<Generate>,
    /// The locale of this page's numbers and dates (default: the site's).
    #[serde(default)]
    pub locale: Option<String>,
}

/// `[generate]`: one page per row of `query`; the page's text may use
/// `{{ row.COLUMN }}` (the value as text) and `{{ row.COLUMN | sql }}` (the
/// value as an SQL literal).
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Generate {
    /// The query with one row per page.
    pub query: String,
    /// The output name of each page, e.g. `tag-{{ row.tag }}`; made a valid slug.
    pub slug: String,
}

fn yes() -> bool {
    true
}

/// A page split into its parts, with the byte offset of each part in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Split<'a> {
    /// The TOML text between the `+++` lines.
    pub toml: &'a str,
    /// Byte offset of `toml` in the file.
    pub toml_offset: usize,
    /// The Markdown after the closing `+++` line.
    pub body: &'a str,
    /// Byte offset of `body` in the file.
    pub body_offset: usize,
}

/// Splits `text` at its `+++` fences. A UTF-8 byte-order mark before the first
/// fence is skipped; `\r\n` line ends are accepted.
pub fn split<'a>(text: &'a str, path: &Path) -> Result<Split<'a>, SourceError> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[start..];
    let first_line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
    if rest[..first_line_end].trim_end() != "+++" {
        return Err(SourceError::new(
            Location::at(path, text, start),
            "expected front matter: the page must start with a `+++` line, then TOML, then a closing `+++` line",
        ));
    }
    let toml_offset = start + first_line_end;
    let mut offset = toml_offset;
    for line in text[toml_offset..].split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Ok(Split {
                toml: &text[toml_offset..offset],
                toml_offset,
                body: &text[offset + line.len()..],
                body_offset: offset + line.len(),
            });
        }
        offset += line.len();
    }
    Err(SourceError::new(Location::at(path, text, start), "unclosed front matter: no closing `+++` line"))
}

/// Parses the TOML of a split page.
pub fn parse(split: &Split<'_>, text: &str, path: &Path) -> Result<FrontMatter, SourceError> {
    let meta: FrontMatter = toml::from_str(split.toml).map_err(|e| toml_error(&e, text, path, split.toml_offset))?;
    if meta.title.trim().is_empty() {
        return Err(SourceError::new(Location::at(path, text, split.toml_offset), "`title` must not be empty"));
    }
    if let Some(slug) = &meta.slug
        && !is_valid_slug(slug)
    {
        {
            let offset = split.toml_offset + split.toml.find("slug").unwrap_or(0);
            return Err(SourceError::new(
                Location::at(path, text, offset),
                format!("invalid `slug` `{slug}`: use lowercase letters, digits, `-` and `_`"),
            ));
        }
    }
    if let Some(locale) = &meta.locale
        && let Err(message) = crate::locale::check(locale)
    {
        let offset = split.toml_offset + split.toml.find("locale").unwrap_or(0);
        return Err(SourceError::new(Location::at(path, text, offset), message));
    }
    Ok(meta)
}

/// A slug is a file name made of `[a-z0-9_-]`, not empty.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty() && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_keeps_offsets() {
        let text = "+++\ntitle = \"A\"\n+++\nbody\n";
        let s = split(text, Path::new("a.md")).unwrap();
        assert_eq!(s.toml, "title = \"A\"\n");
        assert_eq!(s.body, "body\n");
        assert_eq!(&text[s.body_offset..], "body\n");
        assert_eq!(parse(&s, text, Path::new("a.md")).unwrap().title, "A");
    }

    #[test]
    fn accepts_bom_and_crlf() {
        let text = "\u{feff}+++\r\ntitle = \"A\"\r\n+++\r\nbody";
        let s = split(text, Path::new("a.md")).unwrap();
        assert_eq!(s.body, "body");
    }

    #[test]
    fn errors_without_front_matter() {
        let e = split("# hi\n", Path::new("a.md")).unwrap_err();
        assert_eq!((e.location.line, e.location.column), (1, 1));
        assert!(e.message.contains("`+++`"));
        let e = split("+++\ntitle = \"x\"\n", Path::new("a.md")).unwrap_err();
        assert!(e.message.contains("unclosed"));
    }

    #[test]
    fn unknown_key_is_located_in_the_file() {
        let text = "+++\ntitle = \"A\"\nwieght = 3\n+++\n";
        let s = split(text, Path::new("a.md")).unwrap();
        let e = parse(&s, text, Path::new("a.md")).unwrap_err();
        assert_eq!((e.location.line, e.location.column), (3, 1));
        assert!(e.message.contains("unknown field `wieght`"), "{}", e.message);
    }

    #[test]
    fn bad_slug_and_empty_title() {
        let text = "+++\ntitle = \"A\"\nslug = \"A B\"\n+++\n";
        let s = split(text, Path::new("a.md")).unwrap();
        let e = parse(&s, text, Path::new("a.md")).unwrap_err();
        assert_eq!(e.location.line, 3);
        let text = "+++\ntitle = \" \"\n+++\n";
        let s = split(text, Path::new("a.md")).unwrap();
        assert!(parse(&s, text, Path::new("a.md")).unwrap_err().message.contains("title"));
    }
}
