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
mod facet;
pub mod heatmap;
pub mod line;
mod palette;
mod series;
mod svg;

use crate::error::{Located, Location, SourceError};
use crate::format::Format;
use crate::table::{ColumnType, Table, Value};
pub use facet::Domain;
use facet::facets;
pub use palette::{PALETTE, Role, Swatch, hex};
pub(crate) use series::FirstSeen;
use series::prepare;
pub use svg::escape;
use svg::finish;

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
