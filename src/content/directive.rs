//! Directives: fenced blocks (```` ```chart ````, ```` ```table ````, ```` ```kpis ````)
//! whose TOML body places a chart, a table or KPI tiles on the page.
//!
//! Parsing turns the TOML into plain specs with the location of every name
//! that refers to a query or a column, so that a typo found after the queries
//! ran still points at the right line and column.

use crate::chart::ChartSpec;
use crate::content::expr::{self, Expr};
use crate::error::{Located, Location, SourceError, toml_error};
use crate::format::Format;
use crate::model::overlap::{Measure, Ranking};
use crate::model::{Cluster, Method, ModelSpec, Overlap};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

mod chart;

/// A table directive: rows of a query as an HTML table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// The query.
    pub query: Located<String>,
    /// The columns to show, in order (default: all).
    pub columns: Vec<Located<String>>,
    /// Header text per column (default: the column name).
    pub labels: BTreeMap<String, String>,
    /// Format per column.
    pub formats: BTreeMap<String, Format>,
    /// The caption shown above the table.
    pub title: String,
    /// At most this many rows (default: all).
    pub limit: Option<usize>,
    /// Cells that link to a generated page, by column.
    pub links: BTreeMap<String, LinkSpec>,
    /// Numeric columns drawn with a bar behind each number.
    pub bars: Vec<Located<String>>,
    /// Where the directive starts.
    pub defined_at: Location,
}

/// `links.COLUMN = { template = "recipe", key = "id", row = "id" }`: each
/// cell of `COLUMN` links to the page generated from `template` whose row's
/// `row` column holds this row's `key` column (no link when there is none).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSpec {
    /// The linked column, where it is named.
    pub column: Located<String>,
    /// The template (its file stem).
    pub template: Located<String>,
    /// This row's column that says which page.
    pub key: Located<String>,
    /// The generating row's column it must equal (default: `key`).
    pub row: String,
}

/// A list directive: one column of a query's rows as a bulleted (or
/// numbered) list.
#[derive(Debug, Clone, PartialEq)]
pub struct ListSpec {
    /// The query.
    pub query: Located<String>,
    /// The column whose values are the items.
    pub column: Located<String>,
    /// A heading above the list.
    pub title: String,
    /// A numbered list.
    pub ordered: bool,
    /// Where the directive starts.
    pub defined_at: Location,
}

/// One KPI tile.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// The label under the number.
    pub label: String,
    /// The value shown.
    pub value: Located<Expr>,
    /// An optional line of context.
    pub note: String,
}

/// A row of KPI tiles.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiSpec {
    /// The tiles, in order.
    pub tiles: Vec<Tile>,
    /// Where the directive starts.
    pub defined_at: Location,
}

/// A list of links to the pages generated from a template.
#[derive(Debug, Clone, PartialEq)]
pub struct PagesSpec {
    /// The template's name (its file stem, e.g. `tag` for `content/tag.md`).
    pub template: Located<String>,
    /// A heading above the list.
    pub title: String,
}

/// Any directive.
#[derive(Debug, Clone, PartialEq)]
pub enum Directive {
    /// A chart.
    Chart(Box<ChartSpec>),
    /// A table.
    Table(TableSpec),
    /// KPI tiles.
    Kpis(KpiSpec),
    /// Links to generated pages.
    Pages(PagesSpec),
    /// A list of values.
    List(ListSpec),
}

/// Whether ```` ```WORD ```` opens a directive.
pub fn is_directive(word: &str) -> bool {
    matches!(word, "chart" | "table" | "kpis" | "pages" | "list")
}

impl Directive {
    /// The queries this directive reads (KPI tiles name theirs in their values).
    pub fn queries(&self) -> Vec<&Located<String>> {
        match self {
            Directive::Chart(c) => vec![&c.query],
            Directive::Table(t) => vec![&t.query],
            Directive::List(l) => vec![&l.query],
            Directive::Kpis(_) | Directive::Pages(_) => Vec::new(),
        }
    }

    /// The inline values of KPI tiles.
    pub fn values_mut(&mut self) -> Vec<&mut Located<Expr>> {
        match self {
            Directive::Kpis(k) => k.tiles.iter_mut().map(|t| &mut t.value).collect(),
            _ => Vec::new(),
        }
    }

    /// The inline values of KPI tiles.
    pub fn values(&self) -> Vec<&Located<Expr>> {
        match self {
            Directive::Kpis(k) => k.tiles.iter().map(|t| &t.value).collect(),
            _ => Vec::new(),
        }
    }

    /// The query names this directive reads, KPI tiles' included, to rename them.
    pub fn queries_mut(&mut self) -> Vec<&mut String> {
        match self {
            Directive::Chart(c) => vec![&mut c.query.value],
            Directive::Table(t) => vec![&mut t.query.value],
            Directive::List(l) => vec![&mut l.query.value],
            Directive::Kpis(k) => k.tiles.iter_mut().filter_map(|t| t.value.value.query_mut()).collect(),
            Directive::Pages(_) => Vec::new(),
        }
    }

    /// The names (of queries, columns, templates) the directive refers to:
    /// structure, where a page generated from data may not put a row value.
    pub fn names(&self) -> Vec<&Located<String>> {
        match self {
            Directive::Chart(c) => {
                let mut names = vec![&c.query, &c.x];
                names.extend(&c.y);
                names.extend(&c.value);
                names
            }
            Directive::Table(t) => std::iter::once(&t.query)
                .chain(&t.columns)
                .chain(t.links.values().flat_map(|l| [&l.column, &l.template, &l.key]))
                .collect(),
            Directive::List(l) => vec![&l.query, &l.column],
            Directive::Kpis(_) => Vec::new(),
            Directive::Pages(p) => vec![&p.template],
        }
    }

    /// The text the directive shows (titles, captions, labels, notes): where
    /// a page generated from data may put `{{ row.COLUMN }}`.
    pub fn texts_mut(&mut self) -> Vec<&mut String> {
        match self {
            Directive::Chart(c) => {
                let mut texts = vec![&mut c.title, &mut c.caption];
                texts.extend(c.x_label.as_mut());
                texts.extend(c.y_label.as_mut());
                texts.extend(c.series.iter_mut());
                texts
            }
            Directive::Table(t) => std::iter::once(&mut t.title).chain(t.labels.values_mut()).collect(),
            Directive::Kpis(k) => k.tiles.iter_mut().flat_map(|t| [&mut t.label, &mut t.note]).collect(),
            Directive::Pages(p) => vec![&mut p.title],
            Directive::List(l) => vec![&mut l.title],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    data: Spanned<String>,
    #[serde(default)]
    columns: Vec<Spanned<String>>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    formats: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    links: BTreeMap<Spanned<String>, RawLink>,
    #[serde(default)]
    bars: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLink {
    template: Spanned<String>,
    key: Spanned<String>,
    #[serde(default)]
    row: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    data: Spanned<String>,
    column: Spanned<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    ordered: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTile {
    label: String,
    value: Spanned<String>,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPages {
    template: Spanned<String>,
    #[serde(default)]
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKpis {
    tile: Vec<RawTile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    data: Spanned<String>,
    id: Spanned<String>,
    features: Spanned<toml::Value>,
    #[serde(default)]
    standardize: bool,
    k: Spanned<i64>,
    #[serde(default)]
    seed: u64,
    #[serde(default = "ten")]
    runs: Spanned<i64>,
    #[serde(default = "five_hundred")]
    max_iterations: Spanned<i64>,
    #[serde(default)]
    allow_fewer: bool,
}

fn ten() -> Spanned<i64> {
    Spanned::new(0..0, 10)
}

fn five_hundred() -> Spanned<i64> {
    Spanned::new(0..0, 500)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOverlap {
    data: Spanned<String>,
    id: Spanned<String>,
    pairs: Spanned<String>,
    order: Spanned<toml::Value>,
    #[serde(default = "five")]
    top: Spanned<i64>,
    #[serde(default = "one")]
    min_shared: Spanned<i64>,
}

fn five() -> Spanned<i64> {
    Spanned::new(0..0, 5)
}

fn one() -> Spanned<i64> {
    Spanned::new(0..0, 1)
}

/// Parses a model block (`cluster NAME` or `overlap NAME`, as `kind` says)
/// from its TOML `body`.
pub fn parse_model(kind: &str, name: &str, body: &str, src: &Source<'_>) -> Result<ModelSpec, SourceError> {
    let toml_err = |e: toml::de::Error| toml_error(&e, src.text, src.path, src.base);
    let defined_at = Location::at(src.path, src.text, src.fence);
    let positive = |v: &Spanned<i64>, key: &str| -> Result<usize, SourceError> {
        usize::try_from(*v.get_ref()).ok().filter(|n| *n >= 1).ok_or_else(|| {
            SourceError::new(
                src.at(v.span().start),
                format!("`{key}` must be a whole number of at least 1, found {}", v.get_ref()),
            )
        })
    };
    if kind == "overlap" {
        let raw: RawOverlap = toml::from_str(body).map_err(toml_err)?;
        let mut order = Vec::new();
        for m in src.names(&raw.order, "order")? {
            let Some(measure) = Measure::named(&m.value) else {
                return Err(SourceError::new(
                    m.location,
                    format!("unknown measure `{}` in `order`: use `shared`, `jaccard` or `cosine`", m.value),
                ));
            };
            if order.contains(&measure) {
                return Err(SourceError::new(m.location, format!("`{}` is twice in `order`", m.value)));
            }
            order.push(measure);
        }
        if order.is_empty() {
            return Err(SourceError::new(defined_at, "`order` must name at least one measure"));
        }
        let ranking = Ranking {
            order,
            top: positive(&raw.top, "top")?,
            min_shared: positive(&raw.min_shared, "min_shared")? as u64,
        };
        return Ok(ModelSpec {
            name: name.to_string(),
            data: src.located(raw.data),
            id: src.located(raw.id),
            method: Method::Overlap(Overlap { pairs: src.sql(raw.pairs), ranking }),
            defined_at,
        });
    }
    let raw: RawModel = toml::from_str(body).map_err(toml_err)?;
    let features = src.names(&raw.features, "features")?;
    if features.is_empty() {
        return Err(SourceError::new(defined_at, "`features` must name at least one column"));
    }
    Ok(ModelSpec {
        name: name.to_string(),
        data: src.located(raw.data),
        id: src.located(raw.id),
        method: Method::Cluster(Cluster {
            k: positive(&raw.k, "k")?,
            runs: positive(&raw.runs, "runs")?,
            max_iterations: positive(&raw.max_iterations, "max_iterations")?,
            features,
            standardize: raw.standardize,
            seed: raw.seed,
            allow_fewer: raw.allow_fewer,
        }),
        defined_at,
    })
}

/// Context for locating errors: the whole file, its display path, and the
/// byte offset of the directive's TOML body in the file.
pub struct Source<'a> {
    /// The whole file.
    pub text: &'a str,
    /// How messages name the file.
    pub path: &'a Path,
    /// Offset of the directive's body.
    pub base: usize,
    /// Offset of the directive's opening fence.
    pub fence: usize,
}

impl Source<'_> {
    fn at(&self, span_start: usize) -> Location {
        Location::at(self.path, self.text, self.base + span_start)
    }

    fn located(&self, s: Spanned<String>) -> Located<String> {
        // the span covers the quotes; point at the first character of the value
        let location = self.at(s.span().start + 1);
        Located { value: s.into_inner(), location }
    }

    /// A string of SQL, located at its first character (past the quotes and,
    /// for a multi-line string, the line break that follows them), so that
    /// DuckDB's line numbers count from there.
    fn sql(&self, s: Spanned<String>) -> Located<String> {
        let start = s.span().start;
        let rest = self.text.get(self.base + start..).unwrap_or("");
        let skip = if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
            3 + if rest[3..].starts_with("\r\n") { 2 } else { usize::from(rest[3..].starts_with('\n')) }
        } else {
            1
        };
        Located { value: s.into_inner(), location: self.at(start + skip) }
    }

    /// A string or an array of strings, each located. (Spans of array items
    /// are not kept by serde, so each item is found in the array's text.)
    fn names(&self, v: &Spanned<toml::Value>, key: &str) -> Result<Vec<Located<String>>, SourceError> {
        let span = v.span();
        match v.get_ref() {
            toml::Value::String(s) => Ok(vec![Located { value: s.clone(), location: self.at(span.start + 1) }]),
            toml::Value::Array(items) => {
                let text = self.text.get(self.base + span.start..self.base + span.end).unwrap_or("");
                let mut pos = 0;
                let mut out = Vec::new();
                for item in items {
                    let toml::Value::String(s) = item else {
                        return Err(
                            self.error(span.start, format!("`{key}` must be a column name or a list of column names"))
                        );
                    };
                    let found = text[pos..].find(s.as_str()).map_or(pos, |i| i + pos);
                    pos = found + s.len();
                    out.push(Located { value: s.clone(), location: self.at(span.start + found) });
                }
                Ok(out)
            }
            _ => Err(self.error(span.start, format!("`{key}` must be a column name or a list of column names"))),
        }
    }

    fn error(&self, span_start: usize, message: impl Into<String>) -> SourceError {
        SourceError::new(self.at(span_start), message)
    }

    fn format(&self, s: &Spanned<String>) -> Result<Format, SourceError> {
        Format::parse(s.get_ref()).map_err(|m| self.error(s.span().start + 1, m))
    }
}

/// Parses a directive of kind `name` (`chart`, `table`, `kpis`) from its TOML `body`.
pub fn parse(name: &str, body: &str, src: &Source<'_>) -> Result<Directive, SourceError> {
    let toml_err = |e: toml::de::Error| toml_error(&e, src.text, src.path, src.base);
    let defined_at = Location::at(src.path, src.text, src.fence);
    match name {
        "chart" => Ok(Directive::Chart(Box::new(chart::parse(body, src)?))),
        "table" => {
            let raw: RawTable = toml::from_str(body).map_err(toml_err)?;
            let mut formats = BTreeMap::new();
            for (column, f) in &raw.formats {
                formats.insert(column.clone(), src.format(f)?);
            }
            Ok(Directive::Table(TableSpec {
                query: src.located(raw.data),
                columns: raw.columns.into_iter().map(|s| src.located(s)).collect(),
                labels: raw.labels,
                formats,
                title: raw.title,
                limit: raw.limit,
                bars: raw.bars.into_iter().map(|b| src.located(b)).collect(),
                links: raw
                    .links
                    .into_iter()
                    .map(|(column, l)| {
                        let column = Located { value: column.get_ref().clone(), location: src.at(column.span().start) };
                        let key = src.located(l.key);
                        let row = l.row.unwrap_or_else(|| key.value.clone());
                        (column.value.clone(), LinkSpec { column, template: src.located(l.template), key, row })
                    })
                    .collect(),
                defined_at,
            }))
        }
        "list" => {
            let raw: RawList = toml::from_str(body).map_err(toml_err)?;
            Ok(Directive::List(ListSpec {
                query: src.located(raw.data),
                column: src.located(raw.column),
                title: raw.title,
                ordered: raw.ordered,
                defined_at,
            }))
        }
        "kpis" => {
            let raw: RawKpis = toml::from_str(body).map_err(toml_err)?;
            let mut tiles = Vec::new();
            for t in raw.tile {
                let start = t.value.span().start + 1;
                let value = expr::parse(t.value.get_ref()).map_err(|m| src.error(start, m))?;
                tiles.push(Tile { label: t.label, value: Located { value, location: src.at(start) }, note: t.note });
            }
            if tiles.is_empty() {
                return Err(SourceError::new(defined_at, "`kpis` needs at least one `[[tile]]`"));
            }
            Ok(Directive::Kpis(KpiSpec { tiles, defined_at }))
        }
        "pages" => {
            let raw: RawPages = toml::from_str(body).map_err(toml_err)?;
            Ok(Directive::Pages(PagesSpec { template: src.located(raw.template), title: raw.title }))
        }
        other => Err(SourceError::new(defined_at, format!("unknown directive `{other}`"))),
    }
}

#[cfg(test)]
mod tests;
