//! Charts: a [`ChartSpec`] and the [`Table`] it names become an accessible,
//! theme-aware inline SVG.
//!
//! Layout (ticks, label spacing, bar geometry) is computed here and in the
//! kind modules as plain shapes; [`draw`] turns them into SVG with plotters.
//! Colours are drawn as the light theme's palette; the stylesheet maps each
//! palette colour to a CSS custom property, so the same SVG follows
//! `prefers-color-scheme` without a second copy.

pub mod axis;
pub mod bar;
pub mod boxplot;
pub mod draw;
pub mod heatmap;
pub mod line;

use crate::error::{Located, Location, SourceError};
use crate::format::Format;
use crate::table::{ColumnType, Table, Value};
use plotters::style::RGBColor;

/// The kinds of chart a directive may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Vertical bars, one per row, in row order.
    Bar,
    /// Horizontal bars, one per row, top to bottom in row order.
    HBar,
    /// Lines over a numeric or date `x`, one per `y` column.
    Line,
    /// Stacked areas over a numeric or date `x`, one band per series.
    Area,
    /// One dot per row: numeric (or date) `x` and `y`.
    Scatter,
    /// The five-number summary of `y`'s raw values per category of `x`.
    Box,
    /// Touching bars over numeric bins (`x` is each bin's lower edge).
    Histogram,
    /// A grid of cells: `x` across, `y` down, `value` as the shade.
    HeatMap,
}

impl ChartKind {
    /// The word used in descriptions for screen readers.
    pub fn noun(self) -> &'static str {
        match self {
            ChartKind::Bar => "bar chart",
            ChartKind::HBar => "horizontal bar chart",
            ChartKind::Line => "line chart",
            ChartKind::Area => "area chart",
            ChartKind::Scatter => "scatter plot",
            ChartKind::Box => "box plot",
            ChartKind::Histogram => "histogram",
            ChartKind::HeatMap => "heat map",
        }
    }
}

/// A chart as the author asked for it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    /// The kind of chart.
    pub kind: ChartKind,
    /// The query whose rows are drawn.
    pub query: Located<String>,
    /// The column along the category or x axis.
    pub x: Located<String>,
    /// The value columns (several only for lines).
    pub y: Vec<Located<String>>,
    /// The chart title (caption and SVG `<title>`).
    pub title: String,
    /// A sentence under the title.
    pub caption: String,
    /// A label for the x axis.
    pub x_label: Option<String>,
    /// A label for the value axis.
    pub y_label: Option<String>,
    /// A logarithmic value axis.
    pub log: bool,
    /// How x values are shown.
    pub x_format: Option<Format>,
    /// How values are shown.
    pub y_format: Option<Format>,
    /// Legend names for the series (default: the `y` column names).
    pub series: Vec<String>,
    /// A heat map's cell value column; for a line chart, a count drawn as
    /// light bars on a second axis (the number behind each point).
    pub value: Option<Located<String>>,
    /// Reference lines (`rules`), drawn over the data.
    pub rules: Vec<Rule>,
    /// A column whose values split the rows into series (`color`).
    pub color: Option<Located<String>>,
    /// How a bar chart's series sit in each category.
    pub stack: Stack,
    /// A column whose values split the rows into small multiples (`facet`).
    pub facet: Option<Located<String>>,
    /// Whether the panels of `facet` share their axes.
    pub facet_scales: FacetScales,
    /// Where the directive starts.
    pub defined_at: Location,
}

/// Whether the small multiples of `facet` share their axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FacetScales {
    /// One scale for every panel, so that panels compare (the default).
    #[default]
    Shared,
    /// Each panel fitted to its own data (`facet_scales = "free"`).
    Free,
}

/// The most panels `facet` may make.
pub const MAX_FACETS: usize = 24;

/// How the series of a bar chart with `color` sit in each category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stack {
    /// On top of each other (`stack = true`, the default).
    #[default]
    Stacked,
    /// Side by side (`stack = false`).
    Grouped,
    /// On top of each other, each category as 100% (`stack = "percent"`).
    Percent,
}

/// The most series `color` may make: the palette's series colours.
pub const MAX_SERIES: usize = 5;

/// Which axis a reference line marks a value of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAxis {
    /// A value of `x` (a line chart's or histogram's): a vertical line.
    X,
    /// A value on the value axis: a line across the plot.
    Y,
}

/// A reference line: `{ y = 4.5, label = "target" }` or `{ x =
/// "2011-01-01", label = "site redesign" }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The axis it marks.
    pub axis: RuleAxis,
    /// Where: a number, or a date as days since 1970 (`date` is then set).
    pub at: f64,
    /// The value was written as a date.
    pub date: bool,
    /// The text beside it (default: its value).
    pub label: String,
    /// Where the rule is written.
    pub defined_at: Location,
}

/// A drawn chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// The complete `<svg>` element, laid out for a wide screen.
    pub svg: String,
    /// The same chart laid out for a phone ([`NARROW`] wide), so its text stays
    /// readable; the stylesheet shows one or the other.
    pub svg_narrow: String,
    /// A sentence describing the data, for the SVG's `<desc>`.
    pub description: String,
    /// What the data table shows instead of the query's rows (a box plot's
    /// five-number summaries).
    pub summary: Option<Table>,
    /// Small multiples (`facet`): one chart per panel, and then `svg` and
    /// `svg_narrow` are empty.
    pub panels: Vec<Panel>,
}

/// One panel of small multiples.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// The `facet` value it shows.
    pub label: String,
    /// Its `<svg>`, laid out [`PANEL`] wide.
    pub svg: String,
    /// Its `<svg>` for a phone, [`NARROW`] wide.
    pub svg_narrow: String,
}

/// What a colour is for. Each role has a light and a dark colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Titles and value labels.
    Text,
    /// Tick labels.
    Muted,
    /// Grid lines.
    Grid,
    /// Axis lines.
    Axis,
    /// The n-th data series (wraps around the palette).
    Series(usize),
}

/// A palette colour: its CSS custom property name and its light and dark values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swatch {
    /// The custom property, without `--`.
    pub name: &'static str,
    /// The colour on a light background (also the colour written in the SVG).
    pub light: (u8, u8, u8),
    /// The colour on a dark background.
    pub dark: (u8, u8, u8),
}

/// The chart palette; the stylesheet is generated from it. Light colours are
/// distinct, so each maps back to one role.
pub const PALETTE: [Swatch; 9] = [
    Swatch { name: "chart-text", light: (0x1f, 0x29, 0x33), dark: (0xe4, 0xe7, 0xeb) },
    Swatch { name: "chart-muted", light: (0x4a, 0x55, 0x63), dark: (0xb6, 0xbf, 0xc9) },
    Swatch { name: "chart-grid", light: (0xdc, 0xe2, 0xe8), dark: (0x33, 0x3d, 0x48) },
    Swatch { name: "chart-axis", light: (0x7b, 0x87, 0x94), dark: (0x8a, 0x96, 0xa3) },
    // the series: Okabe and Ito's colour-blind-safe hues, lightened or
    // darkened for 3:1 contrast with the page in each theme (see the test)
    Swatch { name: "series-1", light: (0x00, 0x61, 0x97), dark: (0x5f, 0xc6, 0xff) },
    Swatch { name: "series-2", light: (0x95, 0x42, 0x00), dark: (0xff, 0xbf, 0x00) },
    Swatch { name: "series-3", light: (0x00, 0x9e, 0x73), dark: (0x00, 0x9e, 0x73) },
    Swatch { name: "series-4", light: (0x7e, 0x4b, 0x68), dark: (0xe0, 0x85, 0xb8) },
    Swatch { name: "series-5", light: (0xc4, 0x87, 0x00), dark: (0xff, 0xff, 0x56) },
];

impl Role {
    /// The palette entry of this role.
    pub fn swatch(self) -> Swatch {
        match self {
            Role::Text => PALETTE[0],
            Role::Muted => PALETTE[1],
            Role::Grid => PALETTE[2],
            Role::Axis => PALETTE[3],
            Role::Series(i) => PALETTE[4 + i % 5],
        }
    }

    fn color(self) -> RGBColor {
        let (r, g, b) = self.swatch().light;
        RGBColor(r, g, b)
    }
}

/// `#rrggbb` of a colour.
pub fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02X}{g:02X}{b:02X}")
}

/// Width of every chart's viewBox.
pub const WIDTH: u32 = 560;
/// Width of the phone layout's viewBox.
pub const NARROW: u32 = 360;
/// Width of a panel of small multiples (a grid of them fills the page).
pub const PANEL: u32 = 320;
/// Tick label size.
pub const TICK: f64 = 14.0;

/// The data of a chart, checked against its spec.
pub struct Data<'a> {
    /// The spec.
    pub spec: &'a ChartSpec,
    /// x values, one per row.
    pub x: Vec<&'a Value>,
    /// x column type.
    pub x_kind: ColumnType,
    /// One vector per `y` column; `None` for NULL.
    pub y: Vec<Vec<Option<f64>>>,
    /// Legend names.
    pub names: Vec<String>,
    /// The count behind each point (a line chart's `value`), drawn as bars.
    pub counts: Option<Vec<Option<f64>>>,
    /// The viewBox width to lay out for.
    pub width: u32,
    /// The values are shares of their category (`stack = "percent"`).
    pub shares: bool,
    /// The extents shared with other panels (small multiples).
    pub domain: &'a Domain,
}

impl Data<'_> {
    /// The label of category `i` (bars), by `x_format` or the value's type.
    pub fn x_label(&self, i: usize) -> String {
        let v = self.x[i];
        match (self.spec.x_format, v) {
            (Some(f), v) => f.apply(v),
            (None, Value::Int(i)) => i.to_string(),
            (None, v) => Format::default_for(v).apply(v),
        }
    }

    /// A value label by `y_format` (default: grouped number).
    pub fn y_label(&self, v: f64) -> String {
        self.value_format().unwrap_or(Format::Auto).apply(&Value::Float(v))
    }

    /// Whether value axis labels are percentages.
    pub fn percent(&self) -> bool {
        self.shares || matches!(self.spec.y_format, Some(Format::Pct(_)))
    }

    /// The format of values: `pct(0)` for shares, else `y_format`.
    pub fn value_format(&self) -> Option<Format> {
        if self.shares { Some(Format::Pct(0)) } else { self.spec.y_format }
    }

    /// Whether the value axis counts whole things: every value is a whole
    /// number (or the format says `int`), so no tick falls between two.
    pub fn integer(&self) -> bool {
        match self.value_format() {
            Some(Format::Int) => true,
            Some(Format::Dec(_) | Format::Pct(_)) => false,
            _ => self.y.iter().flatten().flatten().all(|v| v.fract() == 0.0),
        }
    }

    /// The lowest and highest value the value axis must show: the sums of
    /// stacked series (each sign apart), else every value; `None` without
    /// values.
    pub fn value_extent(&self) -> Option<(f64, f64)> {
        let stacked = matches!(self.spec.kind, ChartKind::Area)
            || (matches!(self.spec.kind, ChartKind::Bar | ChartKind::HBar)
                && self.y.len() > 1
                && self.spec.stack != Stack::Grouped);
        let mut extent: Option<(f64, f64)> = None;
        let mut widen = |v: f64| extent = Some(extent.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
        if stacked {
            for i in 0..self.x.len() {
                let values = self.y.iter().filter_map(|s| s.get(i).copied().flatten());
                let (up, down) = values.fold((0.0, 0.0), |(u, d), v| if v >= 0.0 { (u + v, d) } else { (u, d + v) });
                widen(up);
                widen(down);
            }
        } else {
            self.y.iter().flatten().flatten().for_each(|v| widen(*v));
        }
        extent
    }

    /// The lowest and highest `x` of a numeric or date axis (a histogram's
    /// last bin included).
    pub fn x_extent(&self) -> Option<(f64, f64)> {
        if self.spec.kind == ChartKind::Histogram {
            return bar::bins(self).map(|(_, _, lo, hi)| (lo, hi));
        }
        if !matches!(self.spec.kind, ChartKind::Line | ChartKind::Area | ChartKind::Scatter) {
            return None;
        }
        let xs = self.x.iter().filter_map(|v| axis::x_number(v));
        xs.fold(None, |e: Option<(f64, f64)>, v| Some(e.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v)))))
    }

    /// `lo..hi` widened to the extent shared with other panels.
    pub fn y_range(&self, lo: f64, hi: f64) -> (f64, f64) {
        self.domain.y.map_or((lo, hi), |(a, b)| (lo.min(a), hi.max(b)))
    }

    /// `lo..hi` of `x` widened to the extent shared with other panels.
    pub fn x_range(&self, lo: f64, hi: f64) -> (f64, f64) {
        self.domain.x.map_or((lo, hi), |(a, b)| (lo.min(a), hi.max(b)))
    }

    /// Value-axis tick labels, by the chart's `y_format`.
    pub fn value_tick_labels(&self, ticks: &[f64]) -> Vec<axis::Tick> {
        axis::format_ticks(ticks, self.value_format(), self.spec.log)
    }
}

pub(crate) fn column(table: &Table, query: &str, name: &Located<String>) -> Result<usize, SourceError> {
    table.column_named(query, name)
}

/// Checks the spec against the table and draws the chart. `id` must be unique
/// in the page (it names the SVG's title and description elements).
pub fn render(spec: &ChartSpec, table: &Table, id: &str) -> Result<Chart, SourceError> {
    check(spec, table)?;
    match &spec.facet {
        None => single(spec, table, id, &Domain::default(), WIDTH),
        Some(facet) => facets(spec, table, id, facet),
    }
}

/// The columns a spec names exist and hold what its kind draws.
fn check(spec: &ChartSpec, table: &Table) -> Result<(), SourceError> {
    let query = &spec.query.value;
    let xi = column(table, query, &spec.x)?;
    let x_kind = table.columns[xi].kind;
    let continuous = matches!(spec.kind, ChartKind::Line | ChartKind::Histogram | ChartKind::Area | ChartKind::Scatter);
    if continuous && x_kind == ColumnType::Text {
        return Err(SourceError::new(
            spec.x.location.clone(),
            format!(
                "column `{}` of query `{query}` holds text; a {} needs numbers or dates on `x` (use `bar` for categories)",
                spec.x.value,
                spec.kind.noun()
            ),
        ));
    }
    if spec.kind == ChartKind::Histogram && x_kind == ColumnType::Date {
        return Err(SourceError::new(spec.x.location.clone(), "a histogram needs numeric bins on `x`"));
    }
    for rule in &spec.rules {
        check_rule(spec, rule, x_kind)?;
    }
    if spec.kind != ChartKind::HeatMap {
        for name in &spec.y {
            let yi = column(table, query, name)?;
            if table.columns[yi].kind != ColumnType::Number {
                return Err(SourceError::new(
                    name.location.clone(),
                    format!("column `{}` of query `{query}` is not numeric; a chart's `y` must be numbers", name.value),
                ));
            }
        }
    }
    for name in spec.color.iter().chain(&spec.facet) {
        column(table, query, name)?;
    }
    if let Some(v) = &spec.value
        && !matches!(spec.kind, ChartKind::HeatMap | ChartKind::Line)
    {
        return Err(SourceError::new(v.location.clone(), "`value` applies to `heatmap` and `line` charts only"));
    }
    Ok(())
}

/// One chart (or one panel of small multiples, `wide` px wide) of `table`.
fn single(spec: &ChartSpec, table: &Table, id: &str, domain: &Domain, wide: u32) -> Result<Chart, SourceError> {
    match spec.kind {
        ChartKind::HeatMap => {
            let (w, description) = heatmap::layout(spec, table, wide)?;
            let (narrow, _) = heatmap::layout(spec, table, NARROW)?;
            finish(spec, &w, &narrow, id, description, None)
        }
        ChartKind::Box => {
            let summary = boxplot::summarize(spec, table)?;
            let w = boxplot::layout(spec, &summary, wide, domain);
            let narrow = boxplot::layout(spec, &summary, NARROW, domain);
            let description = boxplot::describe(spec, &summary);
            finish(spec, &w, &narrow, id, description, Some(boxplot::table(spec, &summary)))
        }
        _ => {
            let mut data = prepare(spec, table, domain)?;
            data.width = wide;
            let w = lay_out(&data, table.rows.is_empty());
            data.width = NARROW;
            let narrow = lay_out(&data, table.rows.is_empty());
            finish(spec, &w, &narrow, id, describe(&data), None)
        }
    }
}

/// The extents every panel of a faceted chart is drawn on (`None`: its own).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Domain {
    /// The value axis: lowest and highest value (stacked, when stacked).
    pub y: Option<(f64, f64)>,
    /// A numeric or date `x`: lowest and highest.
    pub x: Option<(f64, f64)>,
    /// The categories of a bar, hbar or box chart, in order.
    pub categories: Option<Vec<Value>>,
}

/// Small multiples: one panel per value of `facet`, in the order the values
/// first appear, on shared axes unless `facet_scales = "free"`.
fn facets(spec: &ChartSpec, table: &Table, id: &str, facet: &Located<String>) -> Result<Chart, SourceError> {
    let query = &spec.query.value;
    let fi = column(table, query, facet)?;
    let mut groups: Vec<(String, Table)> = Vec::new();
    let mut seen = FirstSeen::default();
    for row in &table.rows {
        let (k, new) = seen.number(&row[fi]);
        if new {
            if k == MAX_FACETS {
                return Err(SourceError::new(
                    facet.location.clone(),
                    format!(
                        "column `{}` of query `{query}` has more than {MAX_FACETS} values; `facet` draws at most {MAX_FACETS} panels (keep the largest in SQL)",
                        facet.value
                    ),
                ));
            }
            groups.push((series_name(&row[fi]), Table { columns: table.columns.clone(), rows: Vec::new() }));
        }
        groups[k].1.rows.push(row.clone());
    }
    let domain = match spec.facet_scales {
        FacetScales::Free => Domain::default(),
        FacetScales::Shared => shared_domain(spec, table, &groups)?,
    };
    let mut panels = Vec::new();
    let mut summaries: Vec<(String, Table)> = Vec::new();
    for (k, (label, rows)) in groups.iter().enumerate() {
        let mut panel_spec = spec.clone();
        panel_spec.title = format!("{}: {label}", spec.title);
        let chart = single(&panel_spec, rows, &format!("{id}-{}", k + 1), &domain, PANEL)?;
        if let Some(summary) = chart.summary {
            summaries.push((label.clone(), summary));
        }
        panels.push(Panel { label: label.clone(), svg: chart.svg, svg_narrow: chart.svg_narrow });
    }
    let names: Vec<&str> = groups.iter().map(|(l, _)| l.as_str()).collect();
    let description = format!(
        "{} panels of {}s of {} by {}, one per {}: {}. {}",
        groups.len(),
        spec.kind.noun(),
        spec.y.iter().map(|y| y.value.as_str()).collect::<Vec<_>>().join(", "),
        spec.x.value,
        facet.value,
        names.join(", "),
        if spec.facet_scales == FacetScales::Shared {
            "The panels share their axes."
        } else {
            "Each panel has axes of its own."
        }
    );
    let summary = (!summaries.is_empty()).then(|| {
        let mut columns = vec![crate::table::Column { name: facet.value.clone(), kind: ColumnType::Text }];
        columns.extend(summaries[0].1.columns.iter().cloned());
        let rows = summaries
            .iter()
            .flat_map(|(label, t)| {
                t.rows
                    .iter()
                    .map(move |r| std::iter::once(Value::Text(label.clone())).chain(r.iter().cloned()).collect())
            })
            .collect();
        Table { columns, rows }
    });
    Ok(Chart { svg: String::new(), svg_narrow: String::new(), description, summary, panels })
}

/// The extents of every panel together.
fn shared_domain(spec: &ChartSpec, table: &Table, groups: &[(String, Table)]) -> Result<Domain, SourceError> {
    let xi = column(table, &spec.query.value, &spec.x)?;
    let mut domain = Domain::default();
    if matches!(spec.kind, ChartKind::Bar | ChartKind::HBar | ChartKind::Box) {
        let mut seen = std::collections::BTreeSet::new();
        let keys = table.rows.iter().map(|r| &r[xi]).filter(|v| seen.insert(v.to_csv_field())).cloned().collect();
        domain.categories = Some(keys);
    }
    let union = |a: Option<(f64, f64)>, b: (f64, f64)| Some(a.map_or(b, |(lo, hi)| (lo.min(b.0), hi.max(b.1))));
    for (_, rows) in groups {
        if spec.kind == ChartKind::Box {
            let summary = boxplot::summarize(spec, rows)?;
            if let Some(extent) = boxplot::extent(&summary) {
                domain.y = union(domain.y, extent);
            }
            continue;
        }
        let own = Domain::default();
        let data = prepare(spec, rows, &own)?;
        if let Some(extent) = data.value_extent() {
            domain.y = union(domain.y, extent);
        }
        if let Some(extent) = data.x_extent() {
            domain.x = union(domain.x, extent);
        }
    }
    Ok(domain)
}

/// The rows of a (non heat map, non box) chart as series over `x`.
fn prepare<'a>(spec: &'a ChartSpec, table: &'a Table, domain: &'a Domain) -> Result<Data<'a>, SourceError> {
    let query = &spec.query.value;
    let xi = column(table, query, &spec.x)?;
    let x_kind = table.columns[xi].kind;
    let mut y = Vec::new();
    for name in &spec.y {
        let yi = column(table, query, name)?;
        y.push(table.rows.iter().map(|r| r[yi].as_f64()).collect::<Vec<_>>());
    }
    if spec.log && y.iter().flatten().flatten().any(|v| *v < 0.0) {
        return Err(SourceError::new(
            spec.defined_at.clone(),
            format!("`log = true` but query `{query}` has negative values"),
        ));
    }
    if spec.kind == ChartKind::Area && y.iter().flatten().flatten().any(|v| *v < 0.0) {
        return Err(SourceError::new(
            spec.y[0].location.clone(),
            format!(
                "query `{query}` has negative values; an `area` chart stacks amounts (use `line` for values below zero)"
            ),
        ));
    }
    let counts = match &spec.value {
        Some(v) if spec.kind == ChartKind::Line => {
            let vi = column(table, query, v)?;
            if table.columns[vi].kind != ColumnType::Number {
                return Err(SourceError::new(
                    v.location.clone(),
                    format!("column `{}` of query `{query}` is not numeric", v.value),
                ));
            }
            Some(table.rows.iter().map(|r| r[vi].as_f64()).collect::<Vec<_>>())
        }
        _ => None,
    };
    let names =
        if spec.series.is_empty() { spec.y.iter().map(|n| n.value.clone()).collect() } else { spec.series.clone() };
    let mut data = Data {
        spec,
        x: table.rows.iter().map(|r| &r[xi]).collect(),
        x_kind,
        y,
        names,
        counts,
        width: WIDTH,
        shares: false,
        domain,
    };
    let yi = column(table, query, &spec.y[0])?;
    match (&spec.color, spec.kind) {
        (Some(color), ChartKind::Scatter) => {
            let ci = column(table, query, color)?;
            let series = scatter_series(spec, table, xi, yi, ci)?;
            (data.x, data.y, data.names) = (series.x, series.y, series.names);
        }
        (Some(color), _) => {
            let ci = column(table, query, color)?;
            let series = by_color(spec, table, xi, yi, ci)?;
            (data.x, data.y, data.names) = (series.x, series.y, series.names);
        }
        (None, ChartKind::Area) => {
            // areas are drawn left to right: the rows by `x`
            let mut order: Vec<usize> = (0..data.x.len()).filter(|&i| axis::x_number(data.x[i]).is_some()).collect();
            order.sort_by(|&a, &b| {
                axis::x_number(data.x[a]).unwrap_or(0.0).total_cmp(&axis::x_number(data.x[b]).unwrap_or(0.0))
            });
            data.x = order.iter().map(|&i| data.x[i]).collect();
            data.y = data.y.iter().map(|s| order.iter().map(|&i| s[i]).collect()).collect();
        }
        (None, _) => {}
    }
    if spec.stack == Stack::Percent && (spec.color.is_some() || data.y.len() > 1) {
        data.shares = true;
        for i in 0..data.x.len() {
            let total: f64 = data.y.iter().filter_map(|s| s[i]).map(f64::abs).sum();
            for series in &mut data.y {
                series[i] = series[i].map(|v| if total > 0.0 { v / total } else { 0.0 });
            }
        }
    }
    if let Some(keys) = &domain.categories {
        align(&mut data, keys);
    }
    Ok(data)
}

/// Puts a panel's categories in the order of every panel's, with a gap
/// where it has none of a category.
fn align<'a>(data: &mut Data<'a>, keys: &'a [Value]) {
    let at: std::collections::BTreeMap<String, usize> =
        data.x.iter().enumerate().map(|(i, v)| (v.to_csv_field(), i)).collect();
    let mut x = Vec::with_capacity(keys.len());
    let mut y = vec![Vec::with_capacity(keys.len()); data.y.len()];
    for key in keys {
        match at.get(&key.to_csv_field()) {
            Some(&i) => {
                x.push(data.x[i]);
                for (s, series) in data.y.iter().enumerate() {
                    y[s].push(series[i]);
                }
            }
            None => {
                // a category of another panel: its label, no bar
                x.push(key);
                for series in &mut y {
                    series.push(None);
                }
            }
        }
    }
    data.x = x;
    data.y = y;
}

/// The series of a scatter plot with `color`: every row a point, in the
/// series of its `color` value (at most [`MAX_SERIES`], in the order they
/// first appear).
fn scatter_series<'a>(
    spec: &ChartSpec,
    table: &'a Table,
    xi: usize,
    yi: usize,
    ci: usize,
) -> Result<Series<'a>, SourceError> {
    let mut names: Vec<String> = Vec::new();
    let mut seen = FirstSeen::default();
    let mut of_row = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let (s, new) = seen.number(&row[ci]);
        if new {
            if s == MAX_SERIES {
                return Err(too_many_series(spec));
            }
            names.push(series_name(&row[ci]));
        }
        of_row.push(s);
    }
    let y = (0..names.len())
        .map(|s| table.rows.iter().zip(&of_row).map(|(r, &k)| if k == s { r[yi].as_f64() } else { None }).collect())
        .collect();
    Ok(Series { x: table.rows.iter().map(|r| &r[xi]).collect(), y, names })
}

fn too_many_series(spec: &ChartSpec) -> SourceError {
    let color = spec.color.as_ref().map_or(&spec.x, |c| c);
    SourceError::new(
        color.location.clone(),
        format!(
            "column `{}` of query `{}` has more than {MAX_SERIES} values; a chart keeps at most {MAX_SERIES} colours apart (keep the largest in SQL, or group the rest as \"other\")",
            color.value, spec.query.value
        ),
    )
}

/// Values numbered in the order they first appear (equal when their CSV
/// text is): series, panels, categories.
#[derive(Debug, Default)]
pub(crate) struct FirstSeen {
    index: std::collections::BTreeMap<String, usize>,
}

impl FirstSeen {
    /// The number of `v`, and whether this is its first time.
    pub(crate) fn number(&mut self, v: &Value) -> (usize, bool) {
        let next = self.index.len();
        match self.index.entry(v.to_csv_field()) {
            std::collections::btree_map::Entry::Vacant(e) => (*e.insert(next), true),
            std::collections::btree_map::Entry::Occupied(e) => (*e.get(), false),
        }
    }
}

/// A series' legend name (or a panel's title): its value as it reads.
fn series_name(v: &Value) -> String {
    match v {
        Value::Null => "–".to_string(),
        v => Format::default_for(v).apply(v),
    }
}

/// Long-format rows (one per `x` and `color` value, as SQL returns them) as
/// one series per `color` value, in the order the values first appear; the
/// categories in row order (bars) or by value (lines).
fn by_color<'a>(
    spec: &ChartSpec,
    table: &'a Table,
    xi: usize,
    yi: usize,
    ci: usize,
) -> Result<Series<'a>, SourceError> {
    let Some(color) = &spec.color else { return Ok(Series { x: Vec::new(), y: Vec::new(), names: Vec::new() }) };
    let query = &spec.query.value;
    let key = |v: &Value| v.to_csv_field();
    let mut categories: Vec<&Value> = Vec::new();
    let mut category_of: std::collections::BTreeMap<String, usize> = Default::default();
    let mut series: Vec<String> = Vec::new();
    let mut series_of: std::collections::BTreeMap<String, usize> = Default::default();
    for row in &table.rows {
        let x = &row[xi];
        if let std::collections::btree_map::Entry::Vacant(e) = category_of.entry(key(x)) {
            e.insert(categories.len());
            categories.push(x);
        }
        let c = &row[ci];
        if let std::collections::btree_map::Entry::Vacant(e) = series_of.entry(key(c)) {
            if series.len() == MAX_SERIES {
                return Err(too_many_series(spec));
            }
            e.insert(series.len());
            series.push(series_name(c));
        }
    }
    if matches!(spec.kind, ChartKind::Line | ChartKind::Area) {
        let number = axis::x_number;
        categories.retain(|v| number(v).is_some());
        categories.sort_by(|a, b| number(a).unwrap_or(0.0).total_cmp(&number(b).unwrap_or(0.0)));
        category_of = categories.iter().enumerate().map(|(i, v)| (key(v), i)).collect();
    }
    let mut y = vec![vec![None; categories.len()]; series.len()];
    let mut seen = vec![vec![false; categories.len()]; series.len()];
    for row in &table.rows {
        let Some(&i) = category_of.get(&key(&row[xi])) else { continue };
        let s = series_of[&key(&row[ci])];
        if seen[s][i] {
            return Err(SourceError::new(
                color.location.clone(),
                format!(
                    "query `{query}` has two rows with `{}` = {} and `{}` = {}: `color` takes one row per `x` and colour (group them in SQL)",
                    spec.x.value,
                    key(&row[xi]),
                    color.value,
                    key(&row[ci])
                ),
            ));
        }
        seen[s][i] = true;
        y[s][i] = row[yi].as_f64();
    }
    Ok(Series { x: categories, y, names: series })
}

/// The series a `color` column makes: the categories, each series' value
/// per category, and the series' names.
struct Series<'a> {
    x: Vec<&'a Value>,
    y: Vec<Vec<Option<f64>>>,
    names: Vec<String>,
}

/// A rule must suit its chart: a value axis to cross, an `x` of its kind.
fn check_rule(spec: &ChartSpec, rule: &Rule, x_kind: ColumnType) -> Result<(), SourceError> {
    let error = |m: String| Err(SourceError::new(rule.defined_at.clone(), m));
    match (spec.kind, rule.axis) {
        (ChartKind::HeatMap, _) => error("a `heatmap` has no rules; rules go on the other kinds of chart".into()),
        (ChartKind::Bar | ChartKind::HBar | ChartKind::Box, RuleAxis::X) => {
            error(format!("a `{}` chart's `x` holds categories; its rules are `y = VALUE`", spec.kind_word()))
        }
        (_, RuleAxis::X) if rule.date != (x_kind == ColumnType::Date) => error(format!(
            "this rule's `x` is {}, but column `{}` holds {}",
            if rule.date { "a date" } else { "a number" },
            spec.x.value,
            if x_kind == ColumnType::Date { "dates: write `x = \"YYYY-MM-DD\"`" } else { "numbers" }
        )),
        (_, RuleAxis::Y) if spec.log && rule.at <= 0.0 => error("`log = true`: a rule's `y` must be above zero".into()),
        _ => Ok(()),
    }
}

impl ChartSpec {
    /// The `kind` as written.
    pub fn kind_word(&self) -> &'static str {
        match self.kind {
            ChartKind::Bar => "bar",
            ChartKind::HBar => "hbar",
            ChartKind::Line => "line",
            ChartKind::Area => "area",
            ChartKind::Scatter => "scatter",
            ChartKind::Box => "box",
            ChartKind::Histogram => "histogram",
            ChartKind::HeatMap => "heatmap",
        }
    }
}

impl Data<'_> {
    /// The text beside a rule: its label, else its value.
    pub fn rule_label(&self, rule: &Rule) -> String {
        if rule.label.is_empty() { self.rule_value(rule) } else { rule.label.clone() }
    }

    /// Where a rule is, as the chart shows values of its axis.
    pub fn rule_value(&self, rule: &Rule) -> String {
        match (rule.axis, rule.date) {
            (RuleAxis::X, true) => axis::date_label(rule.at),
            (RuleAxis::X, false) => Format::Auto.apply(&Value::Float(rule.at)),
            (RuleAxis::Y, _) => self.y_label(rule.at),
        }
    }

    /// The rules on `axis`.
    pub fn rules(&self, axis: RuleAxis) -> impl Iterator<Item = &Rule> {
        self.spec.rules.iter().filter(move |r| r.axis == axis)
    }
}

/// The shapes of a (non heat map) chart at `data.width`.
fn lay_out(data: &Data<'_>, empty: bool) -> draw::Canvas {
    if empty {
        let mut c = draw::Canvas::new(data.width, 120);
        c.text(data.width as f64 / 2.0, 60.0, "No data", 15.0, Role::Muted, draw::Align::Middle);
        return c;
    }
    match data.spec.kind {
        ChartKind::Bar => bar::vertical(data),
        ChartKind::HBar => bar::horizontal(data),
        ChartKind::Histogram => bar::histogram(data),
        ChartKind::Area => line::area(data),
        ChartKind::Scatter => line::scatter(data),
        // heat maps and box plots are laid out from their tables, without `Data`
        ChartKind::Line | ChartKind::HeatMap | ChartKind::Box => line::draw(data),
    }
}

/// Turns the two laid-out canvases into accessible SVGs.
fn finish(
    spec: &ChartSpec,
    wide: &draw::Canvas,
    narrow: &draw::Canvas,
    id: &str,
    description: String,
    summary: Option<Table>,
) -> Result<Chart, SourceError> {
    let svg = |canvas: &draw::Canvas, id: &str| -> Result<String, SourceError> {
        let inner = canvas.to_svg().map_err(|e| {
            SourceError::new(spec.defined_at.clone(), format!("cannot draw chart `{}`: {e}", spec.title))
        })?;
        Ok(wrap(&inner, canvas.width, canvas.height, id, &spec.title, &description))
    };
    Ok(Chart {
        svg: svg(wide, id)?,
        svg_narrow: svg(narrow, &format!("{id}-narrow"))?,
        description,
        summary,
        panels: Vec::new(),
    })
}

/// A sentence on the data for screen readers: what is drawn, how many points,
/// and where the extremes are.
fn describe(data: &Data<'_>) -> String {
    let spec = data.spec;
    let n = data.x.len();
    let mut text = format!(
        "{} of {} by {}, {} {}.",
        capitalize(spec.kind.noun()),
        data.names.join(", "),
        spec.x.value,
        n,
        if n == 1 { "point" } else { "points" }
    );
    for (s, values) in data.y.iter().enumerate() {
        let points = values.iter().enumerate().filter_map(|(i, v)| v.map(|v| (i, v)));
        let max = points.clone().fold(None, |m: Option<(usize, f64)>, (i, v)| match m {
            Some((_, mv)) if mv >= v => m,
            _ => Some((i, v)),
        });
        let min = points.fold(None, |m: Option<(usize, f64)>, (i, v)| match m {
            Some((_, mv)) if mv <= v => m,
            _ => Some((i, v)),
        });
        if let (Some((hi, hv)), Some((lo, lv))) = (max, min) {
            text.push_str(&format!(
                " {}: highest {} at {}, lowest {} at {}.",
                data.names[s],
                data.y_label(hv),
                data.x_label(hi),
                data.y_label(lv),
                data.x_label(lo)
            ));
        }
    }
    let points = data.y.iter().flatten().flatten().count();
    if spec.kind == ChartKind::Scatter && points > line::MAX_POINTS {
        text.push_str(&format!(
            " {points} points, drawn as cells shaded by how many points each holds (more than {} would make one dot each).",
            line::MAX_POINTS
        ));
    }
    let rules: Vec<String> = spec
        .rules
        .iter()
        .map(|r| {
            let at = data.rule_value(r);
            if r.label.is_empty() { format!("at {at}") } else { format!("{} at {at}", r.label) }
        })
        .collect();
    if !rules.is_empty() {
        text.push_str(&format!(" Reference lines: {}.", rules.join("; ")));
    }
    text
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

/// Replaces plotters' `<svg>` root by an accessible, responsive one: a
/// `viewBox` without fixed size, `role="img"`, `<title>` and `<desc>`.
fn wrap(inner: &str, width: u32, height: u32, id: &str, title: &str, description: &str) -> String {
    let body_start = inner.find('>').map_or(0, |i| i + 1);
    let body_end = inner.rfind("</svg>").unwrap_or(inner.len());
    let body = tidy(&inner[body_start..body_end]);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" class=\"chart-svg\">\n<title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>\n{}</svg>",
        escape(title),
        escape(description),
        body.trim_start()
    )
}

/// Drops attributes that carry no information (`opacity="1"`) and rounds
/// font sizes, so the markup is small and stable.
fn tidy(svg: &str) -> String {
    let mut out = svg.replace(" opacity=\"1\"", "");
    let mut pos = 0;
    while let Some(i) = out[pos..].find("font-size=\"").map(|i| i + pos + 11) {
        let Some(end) = out[i..].find('"').map(|e| e + i) else { break };
        if let Ok(v) = out[i..end].parse::<f64>() {
            let rounded = format!("{}", (v * 10.0).round() / 10.0);
            out.replace_range(i..end, &rounded);
            pos = i + rounded.len();
        } else {
            pos = end;
        }
    }
    out
}

/// Escapes text for XML content and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod palette_tests {
    use super::*;

    fn linear(c: u8) -> f64 {
        let c = c as f64 / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    }

    fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
        0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)
    }

    /// CIELAB of linear RGB (D65).
    fn lab([r, g, b]: [f64; 3]) -> [f64; 3] {
        let (x, y, z) = (
            (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
            0.2126 * r + 0.7152 * g + 0.0722 * b,
            (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
        );
        let f = |t: f64| if t > 0.008856 { t.cbrt() } else { 7.787 * t + 16.0 / 116.0 };
        [116.0 * f(y) - 16.0, 500.0 * (f(x) - f(y)), 200.0 * (f(y) - f(z))]
    }

    /// The series colours stay apart for the common colour vision
    /// deficiencies (Machado, Oliveira and Fernandes 2009, full severity:
    /// every pair at least 15 apart in CIELAB, ΔE76) and stand out from the
    /// page (3:1, WCAG's figure for graphics) in both themes.
    #[test]
    fn series_colours_stay_apart_for_colour_blind_readers() {
        let matrices: [(&str, [[f64; 3]; 3]); 4] = [
            ("normal", [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
            (
                "protanopia",
                [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
            ),
            (
                "deuteranopia",
                [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
            ),
            (
                "tritanopia",
                [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
            ),
        ];
        let series: Vec<Swatch> = (0..5).map(|i| Role::Series(i).swatch()).collect();
        for (theme, background, pick) in [
            ("light", (0xff, 0xff, 0xff), (|s: &Swatch| s.light) as fn(&Swatch) -> (u8, u8, u8)),
            ("dark", (0x11, 0x18, 0x20), |s: &Swatch| s.dark),
        ] {
            for s in &series {
                let (a, b) = (luminance(pick(s)), luminance(background));
                let ratio = (a.max(b) + 0.05) / (a.min(b) + 0.05);
                assert!(ratio >= 3.0, "{theme}: {} has contrast {ratio:.2}", s.name);
            }
            for (vision, m) in &matrices {
                let seen: Vec<[f64; 3]> = series
                    .iter()
                    .map(|s| {
                        let (r, g, b) = pick(s);
                        let c = [linear(r), linear(g), linear(b)];
                        let sim = |row: [f64; 3]| (row[0] * c[0] + row[1] * c[1] + row[2] * c[2]).clamp(0.0, 1.0);
                        lab([sim(m[0]), sim(m[1]), sim(m[2])])
                    })
                    .collect();
                for i in 0..seen.len() {
                    for j in i + 1..seen.len() {
                        let d = seen[i].iter().zip(&seen[j]).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
                        assert!(d >= 15.0, "{theme}, {vision}: series {} and {} are {d:.1} apart", i + 1, j + 1);
                    }
                }
            }
        }
    }
}
