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
    /// Where the directive starts.
    pub defined_at: Location,
}

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
    let query = &spec.query.value;
    let xi = column(table, query, &spec.x)?;
    let x_kind = table.columns[xi].kind;
    if matches!(spec.kind, ChartKind::Line | ChartKind::Histogram) && x_kind == ColumnType::Text {
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
    if spec.kind == ChartKind::HeatMap {
        let (wide, description) = heatmap::layout(spec, table, WIDTH)?;
        let (narrow, _) = heatmap::layout(spec, table, NARROW)?;
        return finish(spec, &wide, &narrow, id, description);
    }
    let mut y = Vec::new();
    for name in &spec.y {
        let yi = column(table, query, name)?;
        if table.columns[yi].kind != ColumnType::Number {
            return Err(SourceError::new(
                name.location.clone(),
                format!("column `{}` of query `{query}` is not numeric; a chart's `y` must be numbers", name.value),
            ));
        }
        y.push(table.rows.iter().map(|r| r[yi].as_f64()).collect::<Vec<_>>());
    }
    if spec.log && y.iter().flatten().flatten().any(|v| *v < 0.0) {
        return Err(SourceError::new(
            spec.defined_at.clone(),
            format!("`log = true` but query `{query}` has negative values"),
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
        Some(v) => {
            return Err(SourceError::new(v.location.clone(), "`value` applies to `heatmap` and `line` charts only"));
        }
        None => None,
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
    };
    if let Some(color) = &spec.color {
        let ci = column(table, query, color)?;
        let yi = column(table, query, &spec.y[0])?;
        let series = by_color(spec, table, xi, yi, ci)?;
        (data.x, data.y, data.names) = (series.x, series.y, series.names);
        if spec.stack == Stack::Percent {
            data.shares = true;
            for i in 0..data.x.len() {
                let total: f64 = data.y.iter().filter_map(|s| s[i]).map(f64::abs).sum();
                for series in &mut data.y {
                    series[i] = series[i].map(|v| if total > 0.0 { v / total } else { 0.0 });
                }
            }
        }
    }
    let wide = lay_out(&data, table.rows.is_empty());
    data.width = NARROW;
    let narrow = lay_out(&data, table.rows.is_empty());
    let description = describe(&data);
    finish(spec, &wide, &narrow, id, description)
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
                return Err(SourceError::new(
                    color.location.clone(),
                    format!(
                        "column `{}` of query `{query}` has more than {MAX_SERIES} values; a chart keeps at most {MAX_SERIES} colours apart (keep the largest in SQL, or group the rest as \"other\")",
                        color.value
                    ),
                ));
            }
            e.insert(series.len());
            series.push(match c {
                Value::Null => "–".to_string(),
                v => Format::default_for(v).apply(v),
            });
        }
    }
    if spec.kind == ChartKind::Line {
        let number = |v: &Value| match v {
            Value::Date(d) => Some(axis::days(*d)),
            v => v.as_f64(),
        };
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
        (ChartKind::HeatMap, _) => {
            error("a `heatmap` has no rules; rules go on bar, hbar, line and histogram charts".into())
        }
        (ChartKind::Bar | ChartKind::HBar, RuleAxis::X) => {
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
        // heat maps are laid out by `heatmap::layout` before `Data` exists
        ChartKind::Line | ChartKind::HeatMap => line::draw(data),
    }
}

/// Turns the two laid-out canvases into accessible SVGs.
fn finish(
    spec: &ChartSpec,
    wide: &draw::Canvas,
    narrow: &draw::Canvas,
    id: &str,
    description: String,
) -> Result<Chart, SourceError> {
    let svg = |canvas: &draw::Canvas, id: &str| -> Result<String, SourceError> {
        let inner = canvas.to_svg().map_err(|e| {
            SourceError::new(spec.defined_at.clone(), format!("cannot draw chart `{}`: {e}", spec.title))
        })?;
        Ok(wrap(&inner, canvas.width, canvas.height, id, &spec.title, &description))
    };
    Ok(Chart { svg: svg(wide, id)?, svg_narrow: svg(narrow, &format!("{id}-narrow"))?, description })
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
