//! Site configuration: `content/site.toml`, read once into a [`Config`].
//!
//! Unknown keys are errors (with the list of expected keys), so a typo cannot
//! silently change the site. TOML errors become [`SourceError`]s located in
//! the file.

use crate::error::{Location, SourceError};
use serde::Deserialize;
use std::path::Path;

/// The site-wide settings an author controls.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The site title, shown in the header and in every page title.
    pub title: String,
    /// One sentence on what the site is; used for the home page's meta description.
    #[serde(default)]
    pub description: String,
    /// The public address of the site (`https://example.org/report/`). When set,
    /// `sitemap.xml` is written and `robots.txt` points to it.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The language of the pages (`lang` attribute).
    #[serde(default = "default_language")]
    pub language: String,
    /// Where the edition date comes from: `query.column` of a query's first row
    /// (a date). `SOURCE_DATE_EPOCH`, when set, takes precedence. Without either,
    /// the site carries no edition date.
    #[serde(default)]
    pub edition: Option<String>,
    /// A line of text for the page footer.
    #[serde(default)]
    pub footer: String,
}

fn default_language() -> String {
    "en".to_string()
}

impl Config {
    /// Reads and validates `path` (normally `content/site.toml`); `display` is how
    /// error messages name the file.
    pub fn from_file(path: &Path, display: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read site configuration `{}`: {e}", display.display()))?;
        Ok(Config::parse(&text, display)?)
    }

    /// Parses the text of a `site.toml`.
    pub fn parse(text: &str, display: &Path) -> Result<Config, SourceError> {
        let config: Config = toml::from_str(text).map_err(|e| toml_error(&e, text, display, 0))?;
        if let Some(url) = &config.base_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            {
                let offset = text.find("base_url").unwrap_or(0);
                return Err(SourceError::new(
                    Location::at(display, text, offset),
                    format!("`base_url` must start with `http://` or `https://`, found `{url}`"),
                ));
            }
        }
        Ok(config)
    }

    /// `base_url` with exactly one trailing slash.
    pub fn base_url_slash(&self) -> Option<String> {
        self.base_url.as_ref().map(|u| format!("{}/", u.trim_end_matches('/')))
    }
}

/// Turns a TOML error into a located error. `base` is the byte offset of the
/// TOML text inside `file_text` (non-zero for front matter).
pub fn toml_error(err: &toml::de::Error, file_text: &str, display: &Path, base: usize) -> SourceError {
    let offset = base + err.span().map_or(0, |s| s.start);
    // toml's message repeats the position and a source excerpt; keep the first line
    let message = err.message().lines().next().unwrap_or("invalid TOML").trim().to_string();
    SourceError::new(Location::at(display, file_text, offset), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let c = Config::parse(
            "title = \"T\"\nbase_url = \"https://x.org/r\"\nedition = \"kpis.last_date\"\n",
            Path::new("site.toml"),
        )
        .unwrap();
        assert_eq!(c.title, "T");
        assert_eq!(c.language, "en");
        assert_eq!(c.base_url_slash().as_deref(), Some("https://x.org/r/"));
    }

    #[test]
    fn errors_on_unknown_key_with_location() {
        let err = Config::parse("title = \"T\"\ntitel = \"x\"\n", Path::new("site.toml")).unwrap_err();
        assert_eq!(err.location.line, 2);
        assert_eq!(err.location.column, 1);
        assert!(err.message.contains("unknown field `titel`"), "{}", err.message);
        assert!(err.message.contains("title"), "{}", err.message);
    }

    #[test]
    fn errors_on_bad_base_url() {
        let err = Config::parse("title = \"T\"\nbase_url = \"x.org\"\n", Path::new("s.toml")).unwrap_err();
        assert_eq!(err.location.line, 2);
        assert!(err.message.contains("http"));
    }
}
