//! Render: Tera templates from `templates/` turn pages, charts and tables
//! into the site's files. No I/O beyond reading the templates: the result is
//! a list of [`OutputFile`]s that `publish` writes.
//!
//! Templates receive small view structs (never the internal models), and
//! everything from the data is escaped by Tera's autoescape; only markup the
//! build produced itself (page bodies, SVG) is inserted with `| safe`.

use crate::chart::{self, PALETTE};
use crate::config::Config;
use crate::content::directive::{KpiSpec, TableSpec};
use crate::error::{Location, SourceError};
use crate::format::Format;
use crate::table::{ColumnType, Table};
use anyhow::Context;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

mod offline;
pub use offline::{ArchivedPage, Download, EditionView, SingleFile};

/// A file of the built site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the site root, `/`-separated.
    pub rel_path: String,
    /// The bytes.
    pub contents: Vec<u8>,
}

/// Replaces, in every text file of the site (HTML, SVG, CSV, XML, text),
/// the characters HTML and XML forbid and spreadsheets choke on (NUL and
/// the other control characters but tab and line ends, and Unicode's
/// noncharacters) by U+FFFD `�`. The data keeps them in the database; what
/// is published is always valid text.
pub fn clean_text(files: &mut [OutputFile]) {
    for f in files {
        let ext = f.rel_path.rsplit('.').next().unwrap_or("");
        if !matches!(ext, "html" | "svg" | "csv" | "xml" | "txt") {
            continue;
        }
        let Ok(text) = std::str::from_utf8(&f.contents) else { continue };
        if let std::borrow::Cow::Owned(cleaned) = clean(text) {
            f.contents = cleaned.into_bytes();
        }
    }
}

/// `text` with the characters [`clean_text`] replaces replaced; borrowed
/// when it has none.
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    fn forbidden(c: char) -> bool {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            || ('\u{FDD0}'..='\u{FDEF}').contains(&c)
            || (c as u32 & 0xFFFE) == 0xFFFE
    }
    // most text is plain ASCII: checked a block at a time without
    // decoding, and only the other blocks char by char
    let plain = |b: u8| (0x20..0x7f).contains(&b) | (b == b'\t') | (b == b'\n') | (b == b'\r');
    let mut start = 0;
    let mut found = false;
    while start < text.len() && !found {
        let mut end = (start + 256).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        let block = &text[start..end];
        found = !block.bytes().fold(true, |ok, b| ok & plain(b)) && block.chars().any(forbidden);
        start = end;
    }
    if found {
        text.chars().map(|c| if forbidden(c) { '\u{FFFD}' } else { c }).collect::<String>().into()
    } else {
        text.into()
    }
}

/// The templates and stylesheet built into the binary: a site needs none of
/// its own (files in `templates/` replace them one by one).
pub const BUILT_IN: [(&str, &str); 12] = [
    ("base.html", include_str!("../templates/base.html")),
    ("page.html", include_str!("../templates/page.html")),
    ("404.html", include_str!("../templates/404.html")),
    ("archive.html", include_str!("../templates/archive.html")),
    ("partials/editions.html", include_str!("../templates/partials/editions.html")),
    ("partials/chart.html", include_str!("../templates/partials/chart.html")),
    ("partials/datatable.html", include_str!("../templates/partials/datatable.html")),
    ("partials/kpis.html", include_str!("../templates/partials/kpis.html")),
    ("partials/list.html", include_str!("../templates/partials/list.html")),
    ("partials/pages.html", include_str!("../templates/partials/pages.html")),
    ("partials/table.html", include_str!("../templates/partials/table.html")),
    ("style.css", include_str!("../templates/style.css")),
];

/// The templates every site needs.
pub const REQUIRED: [&str; 8] = [
    "base.html",
    "page.html",
    "404.html",
    "partials/chart.html",
    "partials/table.html",
    "partials/kpis.html",
    "partials/pages.html",
    "partials/list.html",
];

/// Loaded templates and the stylesheet.
pub struct Templates {
    tera: tera::Tera,
    sources: BTreeMap<String, (PathBuf, String)>,
    stylesheet: String,
}

impl Templates {
    /// The built-in templates and stylesheet, each replaced by the file of
    /// the same name under `dir` when there is one (`templates/page.html`,
    /// `templates/style.css`, ...); `dir` may also add templates of its own.
    /// `root` is stripped from paths in messages.
    pub fn load(dir: &Path, root: &Path) -> anyhow::Result<Templates> {
        let mut sources: BTreeMap<String, (PathBuf, String)> = BUILT_IN
            .iter()
            .filter(|(name, _)| name.ends_with(".html"))
            .map(|(name, text)| (name.to_string(), (PathBuf::from(format!("templates/{name}")), text.to_string())))
            .collect();
        let mut stylesheet =
            BUILT_IN.iter().find(|(n, _)| *n == "style.css").map(|(_, t)| t.to_string()).unwrap_or_default();
        if dir.is_dir() {
            for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
                let entry = entry.with_context(|| format!("cannot list templates in `{}`", dir.display()))?;
                let path = entry.path();
                if !entry.file_type().is_file() {
                    continue;
                }
                let name = path
                    .strip_prefix(dir)
                    .unwrap_or(path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let is_html = path.extension().is_some_and(|e| e == "html");
                if !is_html && name != "style.css" {
                    continue;
                }
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read template `{}`", path.display()))?;
                if is_html {
                    let display = path.strip_prefix(root).unwrap_or(path).to_path_buf();
                    sources.insert(name, (display, text));
                } else {
                    stylesheet = text;
                }
            }
        }
        Templates::from_sources(sources, stylesheet)
    }

    /// Builds templates from (name → (display path, text)).
    pub fn from_sources(sources: BTreeMap<String, (PathBuf, String)>, stylesheet: String) -> anyhow::Result<Templates> {
        for required in REQUIRED {
            if !sources.contains_key(required) {
                anyhow::bail!("missing template `{required}` (every site needs: {})", REQUIRED.join(", "));
            }
        }
        let mut tera = tera::Tera::default();
        tera.autoescape_on(vec![".html"]);
        let raw: Vec<(&str, &str)> = sources.iter().map(|(n, (_, t))| (n.as_str(), t.as_str())).collect();
        if let Err(e) = tera.add_raw_templates(raw) {
            return Err(template_error(&e, &sources).into());
        }
        Ok(Templates { tera, sources, stylesheet })
    }

    fn render(&self, name: &str, context: &tera::Context) -> Result<String, SourceError> {
        self.tera.render(name, context).map_err(|e| template_error(&e, &self.sources))
    }
}

/// A Tera error as a located error: the template named in the message, and
/// the line from the parser, or else the first line that mentions the
/// offending variable or filter.
fn template_error(err: &tera::Error, sources: &BTreeMap<String, (PathBuf, String)>) -> SourceError {
    let mut messages = vec![err.to_string()];
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        messages.push(s.to_string());
        source = s.source();
    }
    let all = messages.join("\n");
    let name = sources.keys().filter(|n| all.contains(&format!("'{n}'"))).max_by_key(|n| all.rfind(&format!("'{n}'")));
    let (path, text) = match name.and_then(|n| sources.get(n)) {
        Some((p, t)) => (p.clone(), t.as_str()),
        None => (PathBuf::from("templates"), ""),
    };
    let mut line_col = (1, 1);
    if let Some(pos) = all.find("--> ") {
        let rest = &all[pos + 4..];
        let mut nums = rest.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty());
        if let (Some(l), Some(c)) = (nums.next(), nums.next()) {
            line_col = (l.parse().unwrap_or(1), c.parse().unwrap_or(1));
        }
    } else {
        // the first name the message quotes (a variable, a filter, a test,
        // a macro) that the template holds, template names aside
        let quoted = |q: char| all.split(q).skip(1).step_by(2).map(str::to_string).collect::<Vec<_>>();
        let words = quoted('`').into_iter().chain(quoted('\''));
        let offset = words
            .filter(|w| !w.is_empty() && !sources.contains_key(w.as_str()))
            .find_map(|w| text.find(&format!("| {w}")).or_else(|| text.find(&w)));
        if let Some(offset) = offset {
            line_col = crate::error::line_col(text, offset);
        }
    }
    // keep the informative lines of Tera's message, without its excerpt
    let detail: Vec<&str> = messages
        .iter()
        .flat_map(|m| m.lines())
        .map(str::trim)
        // the parser's reason comes after `= `
        .map(|l| l.strip_prefix("= ").unwrap_or(l))
        .filter(|l| !l.is_empty() && !l.starts_with("-->") && !l.starts_with('|'))
        .filter(|l| !l.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect();
    SourceError::new(
        Location { path, line: line_col.0, column: line_col.1 },
        format!("template error: {}", detail.join(": ")),
    )
}

/// A table as the templates see it: formatted cells with alignment.
#[derive(Debug, Serialize)]
pub struct TableView {
    /// Column headers.
    pub headers: Vec<Cell>,
    /// Rows of formatted cells.
    pub rows: Vec<Vec<Cell>>,
}

/// A formatted cell.
#[derive(Debug, Serialize)]
pub struct Cell {
    /// The text.
    pub text: String,
    /// Right-aligned.
    pub numeric: bool,
    /// A page it links to (`tag-easy.html`).
    pub href: Option<String>,
    /// A data bar behind the number: its length in percent of the
    /// column's largest magnitude (`42.1`), and whether the value is below zero.
    pub bar: Option<String>,
    /// The value is below zero (its bar has the second colour).
    pub negative: bool,
}

/// Formats `columns` (indices) of `table`, with optional labels and formats by name.
pub fn table_view(
    table: &Table,
    columns: &[usize],
    labels: &BTreeMap<String, String>,
    formats: &BTreeMap<String, Format>,
    limit: Option<usize>,
) -> TableView {
    let headers = columns
        .iter()
        .map(|&i| {
            let c = &table.columns[i];
            Cell {
                text: labels.get(&c.name).cloned().unwrap_or_else(|| c.name.clone()),
                numeric: c.kind == ColumnType::Number,
                href: None,
                bar: None,
                negative: false,
            }
        })
        .collect::<Vec<_>>();
    let rows = table
        .rows
        .iter()
        .take(limit.unwrap_or(usize::MAX))
        .map(|row| {
            columns
                .iter()
                .map(|&i| {
                    let c = &table.columns[i];
                    let v = &row[i];
                    let format = formats.get(&c.name).copied().unwrap_or_else(|| match (c.kind, v) {
                        // years and ids read better without separators
                        (ColumnType::Number, crate::table::Value::Int(n))
                            if (1000..=2999).contains(n) && c.name.contains("year") =>
                        {
                            Format::Text
                        }
                        (ColumnType::Number, crate::table::Value::Int(_))
                            if c.name == "id" || c.name.ends_with("_id") =>
                        {
                            Format::Text
                        }
                        _ => Format::default_for(v),
                    });
                    Cell {
                        text: format.apply(v),
                        numeric: c.kind == ColumnType::Number,
                        href: None,
                        bar: None,
                        negative: false,
                    }
                })
                .collect()
        })
        .collect();
    TableView { headers, rows }
}

/// The length of each value's data bar, in percent of the largest
/// magnitude (one decimal), and whether it is below zero; `None` for NULL
/// (and for every value when all are zero: no bar says nothing).
pub fn bar_lengths(values: impl Iterator<Item = Option<f64>> + Clone) -> Vec<Option<(String, bool)>> {
    let largest = values.clone().flatten().filter(|v| v.is_finite()).fold(0.0, |m: f64, v| m.max(v.abs()));
    values
        .map(|v| {
            let v = v.filter(|v| v.is_finite() && largest > 0.0)?;
            Some((format!("{:.1}", v.abs() / largest * 100.0), v < 0.0))
        })
        .collect()
}

/// The most rows a chart's data table shows (a scatter plot may have many
/// more points); the rest are in its CSV download, and the table says so.
pub const CHART_TABLE_ROWS: usize = 500;

fn csv_link(query: &str) -> (String, String) {
    (format!("data/{query}.csv"), format!("{query}.csv"))
}

impl Templates {
    /// The `<figure>` of a chart.
    pub fn chart(
        &self,
        id: &str,
        spec: &chart::ChartSpec,
        drawn: &chart::Chart,
        table: &Table,
    ) -> Result<String, SourceError> {
        let mut formats = BTreeMap::new();
        let mut labels: BTreeMap<String, String> = BTreeMap::new();
        if let Some(label) = &spec.x_label {
            labels.insert(spec.x.value.clone(), label.clone());
        }
        let view = match &drawn.summary {
            // a box plot's table is its summary: every column, the five numbers by `y_format`
            Some(summary) => {
                if let Some(f) = spec.y_format {
                    for name in &chart::boxplot::SUMMARY_COLUMNS[1..6] {
                        formats.insert(name.to_string(), f);
                    }
                }
                for name in [chart::boxplot::SUMMARY_COLUMNS[0], chart::boxplot::SUMMARY_COLUMNS[6]] {
                    formats.insert(name.to_string(), crate::format::Format::Int);
                }
                table_view(summary, &(0..summary.columns.len()).collect::<Vec<_>>(), &labels, &formats, None)
            }
            None => {
                let mut columns = vec![table.column_index(&spec.x.value).unwrap_or(0)];
                columns.extend(spec.facet.iter().filter_map(|c| table.column_index(&c.value)));
                columns.extend(spec.color.iter().filter_map(|c| table.column_index(&c.value)));
                columns.extend(spec.y.iter().filter_map(|y| table.column_index(&y.value)));
                columns.extend(spec.value.iter().filter_map(|v| table.column_index(&v.value)));
                if let Some(f) = spec.x_format {
                    formats.insert(spec.x.value.clone(), f);
                }
                if let Some(f) = spec.y_format {
                    for y in &spec.y {
                        formats.insert(y.value.clone(), f);
                    }
                }
                // the table's headers say what the axes say: the axis labels, the series' names
                labels.extend(spec.y.iter().zip(&spec.series).map(|(y, name)| (y.value.clone(), name.clone())));
                if let (Some(label), [y]) = (&spec.y_label, spec.y.as_slice()) {
                    labels.entry(y.value.clone()).or_insert_with(|| label.clone());
                }
                table_view(table, &columns, &labels, &formats, Some(CHART_TABLE_ROWS))
            }
        };
        let shown = drawn.summary.as_ref().unwrap_or(table).rows.len();
        let note = (shown > CHART_TABLE_ROWS).then(|| {
            let n = |v: usize| crate::format::Format::Int.apply(&crate::table::Value::Int(v as i64));
            format!("The first {} of {} rows; the CSV download has them all.", n(CHART_TABLE_ROWS), n(shown))
        });
        let (csv, csv_name) = csv_link(&spec.query.value);
        let mut ctx = tera::Context::new();
        ctx.insert("note", &note);
        ctx.insert("id", id);
        ctx.insert("title", &spec.title);
        ctx.insert("caption", &spec.caption);
        ctx.insert("svg", &drawn.svg);
        ctx.insert("svg_narrow", &drawn.svg_narrow);
        ctx.insert("panels", &drawn.panels.iter().map(|p| (&p.label, &p.svg, &p.svg_narrow)).collect::<Vec<_>>());
        ctx.insert("csv", &csv);
        ctx.insert("csv_name", &csv_name);
        ctx.insert("table", &view);
        self.render("partials/chart.html", &ctx)
    }

    /// The `<figure>` of a table directive (columns already checked);
    /// `links` gives, for a shown column, each row's link (or none); the
    /// numeric columns `bars` get a data bar behind each number.
    pub fn table(
        &self,
        id: &str,
        spec: &TableSpec,
        columns: &[usize],
        table: &Table,
        links: &BTreeMap<usize, Vec<Option<String>>>,
        bars: &[usize],
    ) -> Result<String, SourceError> {
        let (csv, csv_name) = csv_link(&spec.query.value);
        let mut view = table_view(table, columns, &spec.labels, &spec.formats, spec.limit);
        for (position, &column) in columns.iter().enumerate().filter(|(_, c)| bars.contains(c)) {
            let shown = table.rows.iter().take(view.rows.len()).map(|r| r[column].as_f64());
            for (row, length) in view.rows.iter_mut().zip(bar_lengths(shown)) {
                if let Some((length, negative)) = length {
                    row[position].bar = Some(length);
                    row[position].negative = negative;
                }
            }
        }
        for (position, &column) in columns.iter().enumerate() {
            if let Some(hrefs) = links.get(&column) {
                for (row, href) in view.rows.iter_mut().zip(hrefs) {
                    row[position].href = href.clone();
                }
            }
        }
        let mut ctx = tera::Context::new();
        ctx.insert("id", id);
        ctx.insert("title", &spec.title);
        ctx.insert("csv", &csv);
        ctx.insert("csv_name", &csv_name);
        ctx.insert("table", &view);
        self.render("partials/table.html", &ctx)
    }

    /// A list of values (already formatted).
    pub fn list(&self, title: &str, ordered: bool, items: &[String]) -> Result<String, SourceError> {
        let mut ctx = tera::Context::new();
        ctx.insert("title", title);
        ctx.insert("tag", if ordered { "ol" } else { "ul" });
        ctx.insert("items", items);
        self.render("partials/list.html", &ctx)
    }

    /// Links to generated pages: (slug, title) pairs.
    pub fn pages(&self, title: &str, links: &[(String, String)]) -> Result<String, SourceError> {
        #[derive(Serialize)]
        struct Link<'a> {
            href: String,
            title: &'a str,
        }
        let links: Vec<Link<'_>> =
            links.iter().map(|(slug, t)| Link { href: format!("{slug}.html"), title: t }).collect();
        let mut ctx = tera::Context::new();
        ctx.insert("title", title);
        ctx.insert("links", &links);
        self.render("partials/pages.html", &ctx)
    }

    /// KPI tiles; `values` holds each tile's formatted value.
    pub fn kpis(&self, spec: &KpiSpec, values: &[String]) -> Result<String, SourceError> {
        #[derive(Serialize)]
        struct TileView<'a> {
            label: &'a str,
            value: &'a str,
            note: &'a str,
        }
        let tiles: Vec<TileView<'_>> =
            spec.tiles.iter().zip(values).map(|(t, v)| TileView { label: &t.label, value: v, note: &t.note }).collect();
        let mut ctx = tera::Context::new();
        ctx.insert("tiles", &tiles);
        self.render("partials/kpis.html", &ctx)
    }
}

/// A page ready for the layout.
#[derive(Debug, Clone, Serialize)]
pub struct PageView {
    /// Output name without `.html`.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Navigation title.
    pub nav_title: String,
    /// Shown in the navigation.
    pub in_nav: bool,
    /// Meta description and lead.
    pub description: String,
    /// The body HTML.
    pub body: String,
    /// Its `lang` attribute.
    pub lang: String,
}

#[derive(Serialize)]
struct NavItem<'a> {
    href: String,
    title: &'a str,
    current: bool,
}

#[derive(Serialize)]
struct SiteView<'a> {
    title: &'a str,
    description: &'a str,
    language: &'a str,
    footer: &'a str,
}

/// The stylesheet with the chart palette appended: custom properties for
/// both themes, and rules mapping each colour the SVGs are drawn with to its
/// property.
pub fn stylesheet(base: &str) -> String {
    let mut css = base.trim_end().to_string();
    css.push_str("\n\n/* chart palette (generated) */\n:root {\n");
    for s in PALETTE {
        css.push_str(&format!("  --{}: {};\n", s.name, chart::hex(s.light)));
    }
    css.push_str("}\n@media (prefers-color-scheme: dark) {\n  :root {\n");
    for s in PALETTE {
        css.push_str(&format!("    --{}: {};\n", s.name, chart::hex(s.dark)));
    }
    css.push_str("  }\n}\n@media print {\n  :root {\n");
    for s in PALETTE {
        css.push_str(&format!("    --{}: {};\n", s.name, chart::hex(s.light)));
    }
    css.push_str("  }\n}\n");
    for s in PALETTE {
        let h = chart::hex(s.light);
        css.push_str(&format!(".chart-svg [fill=\"{h}\"] {{ fill: var(--{}); }}\n", s.name));
        css.push_str(&format!(".chart-svg [stroke=\"{h}\"] {{ stroke: var(--{}); }}\n", s.name));
    }
    css
}

/// Everything the layout needs besides the pages.
pub struct SiteInput<'a> {
    /// Site configuration.
    pub config: &'a Config,
    /// The edition date (`YYYY-MM-DD`), if known.
    pub edition: Option<String>,
    /// The generator version.
    pub version: &'a str,
    /// The site has an Editions page (`editions.html`), linked from the footer.
    pub editions: bool,
}

/// Renders all pages, `404.html`, the stylesheet, `robots.txt` and (with a
/// `base_url`) `sitemap.xml`.
pub fn site(templates: &Templates, input: &SiteInput<'_>, pages: &[PageView]) -> Result<Vec<OutputFile>, SourceError> {
    let css = stylesheet(&templates.stylesheet);
    let hash = blake3::hash(css.as_bytes()).to_hex();
    let css_name = format!("style.{}.css", &hash[..10]);
    let mut files = vec![OutputFile { rel_path: css_name.clone(), contents: css.into_bytes() }];
    let config = input.config;
    let site_view = SiteView {
        title: &config.title,
        description: &config.description,
        language: &config.language,
        footer: &config.footer,
    };
    let nav_for = |current: Option<&str>| -> Vec<NavItem<'_>> {
        pages
            .iter()
            .filter(|p| p.in_nav)
            .map(|p| NavItem {
                href: format!("{}.html", p.slug),
                title: &p.nav_title,
                current: current == Some(p.slug.as_str()),
            })
            .collect()
    };
    // pages link relative to themselves; the 404 page, served at any depth, from the root
    let root_path = config.root_path();
    let base_context = |current: Option<&str>, description: &str, root: &str| {
        let mut ctx = tera::Context::new();
        ctx.insert("root", root);
        ctx.insert("site", &site_view);
        ctx.insert("nav", &nav_for(current));
        ctx.insert("stylesheet", &css_name);
        ctx.insert("edition", &input.edition);
        ctx.insert("version", input.version);
        ctx.insert("editions", &input.editions);
        ctx.insert("description", description);
        ctx
    };
    for page in pages {
        let description =
            if page.description.is_empty() && page.slug == "index" { &config.description } else { &page.description };
        let mut ctx = base_context(Some(&page.slug), description, "");
        ctx.insert("page", page);
        let html = templates.render("page.html", &ctx)?;
        files.push(OutputFile { rel_path: format!("{}.html", page.slug), contents: html.into_bytes() });
    }
    let html = templates.render("404.html", &base_context(None, "", &root_path))?;
    files.push(OutputFile { rel_path: "404.html".into(), contents: html.into_bytes() });

    let mut robots = String::from("User-agent: *\nAllow: /\n");
    if let Some(base) = config.base_url_slash() {
        robots.push_str(&format!("Sitemap: {base}sitemap.xml\n"));
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
        );
        for page in pages {
            let loc = if page.slug == "index" { base.clone() } else { format!("{base}{}.html", page.slug) };
            xml.push_str(&format!("  <url><loc>{}</loc>", chart::escape(&loc)));
            if let Some(date) = &input.edition {
                xml.push_str(&format!("<lastmod>{date}</lastmod>"));
            }
            xml.push_str("</url>\n");
        }
        xml.push_str("</urlset>\n");
        files.push(OutputFile { rel_path: "sitemap.xml".into(), contents: xml.into_bytes() });
    }
    files.push(OutputFile { rel_path: "robots.txt".into(), contents: robots.into_bytes() });
    Ok(files)
}

#[cfg(test)]
mod tests;
