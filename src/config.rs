//! Site configuration: `content/site.toml`, read once into a [`Config`].
//!
//! Unknown keys are errors (with the list of expected keys), so a typo cannot
//! silently change the site. TOML errors become [`SourceError`]s located in
//! the file.

use crate::error::{Location, SourceError, toml_error};
use crate::sources::{RawSources, Source};
use serde::Deserialize;
use std::path::Path;

/// The site-wide settings an author controls.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The site title, shown in the header and in every page title.
    pub title: String,
    /// One sentence on what the site is; used for the home page's meta description.
    pub description: String,
    /// The public address of the site (`https://example.org/report/`). When set,
    /// `sitemap.xml` is written and `robots.txt` points to it.
    pub base_url: Option<String>,
    /// The language of the pages (`lang` attribute; default: the locale).
    pub language: String,
    /// How numbers and dates are written (`en`, `fr`, ...; default `en`).
    pub locale: String,
    /// Where the edition date comes from: `query.column` of a query's first row
    /// (a date). `SOURCE_DATE_EPOCH`, when set, takes precedence. Without either,
    /// the site carries no edition date.
    pub edition: Option<String>,
    /// A line of text for the page footer.
    pub footer: String,
    /// Where the sources' relative paths start, relative to the site root
    /// (default: the site root); `--data` overrides it.
    pub data_dir: Option<String>,
    /// The data the site reads (`[sources.NAME]`), by name.
    pub sources: Vec<Source>,
}

/// `site.toml` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    base_url: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    locale: Option<String>,
    #[serde(default)]
    edition: Option<String>,
    #[serde(default)]
    footer: String,
    #[serde(default)]
    data_dir: Option<String>,
    #[serde(default)]
    sources: RawSources,
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
        let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&e, text, display, 0))?;
        let config = Config {
            sources: crate::sources::parse(&raw.sources, text, display)?,
            title: raw.title,
            description: raw.description,
            base_url: raw.base_url,
            language: raw.language.or_else(|| raw.locale.clone()).unwrap_or_else(|| "en".to_string()),
            locale: raw.locale.unwrap_or_else(|| "en".to_string()),
            edition: raw.edition,
            footer: raw.footer,
            data_dir: raw.data_dir,
        };
        if let Err(message) = crate::locale::check(&config.locale) {
            let offset = text.find("locale").unwrap_or(0);
            return Err(SourceError::new(Location::at(display, text, offset), message));
        }
        if let Some(url) = &config.base_url {
            let offset = text.find("base_url").unwrap_or(0);
            let problem = if !(url.starts_with("http://") || url.starts_with("https://")) {
                Some("must start with `http://` or `https://`")
            } else if url.chars().any(|c| c.is_whitespace() || c.is_control() || "\"'<>`\\".contains(c)) {
                Some("is not a URL: it holds a space, a quote, `<`, `>` or a backslash")
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(SourceError::new(
                    Location::at(display, text, offset),
                    format!("`base_url` {problem}, found `{url}`"),
                ));
            }
        }
        Ok(config)
    }

    /// The path of the site's root on its server, with a trailing slash: the
    /// path of `base_url` (`/report/` for `https://example.org/report`), or
    /// `/`. The 404 page links with it, as it is served at any depth.
    pub fn root_path(&self) -> String {
        let Some(url) = &self.base_url else { return "/".into() };
        let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
        let path = path.split(['?', '#']).next().unwrap_or("").trim_matches('/');
        if path.is_empty() { "/".into() } else { format!("/{path}/") }
    }

    /// `base_url` with exactly one trailing slash.
    pub fn base_url_slash(&self) -> Option<String> {
        self.base_url.as_ref().map(|u| format!("{}/", u.trim_end_matches('/')))
    }
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
        let err = Config::parse("title = \"T\"\nbase_url = 'https://x.org/\"><b>'\n", Path::new("s.toml")).unwrap_err();
        assert_eq!(err.location.line, 2);
        assert!(err.message.contains("a quote"), "{}", err.message);
    }

    #[test]
    fn the_root_path_is_the_path_of_the_base_url() {
        let root = |url: &str| {
            let text = if url.is_empty() {
                "title = \"T\"\n".to_string()
            } else {
                format!("title = \"T\"\nbase_url = \"{url}\"\n")
            };
            Config::parse(&text, Path::new("s.toml")).unwrap().root_path()
        };
        assert_eq!(root(""), "/");
        assert_eq!(root("https://x.org"), "/");
        assert_eq!(root("https://x.org/"), "/");
        assert_eq!(root("https://x.org/report"), "/report/");
        assert_eq!(root("http://x.org:8080/a/b/?q=1"), "/a/b/");
    }
}
