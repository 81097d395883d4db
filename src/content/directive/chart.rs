//! The `chart` directive: its TOML keys, checked against each other (which
//! kinds take `color`, `stack`, several `y`, `value`, `facet`), into a
//! [`ChartSpec`] whose every name is located.

use super::Source;
use crate::chart::{ChartKind, ChartSpec, FacetScales, MAX_FACETS, Rule, RuleAxis, Stack};
use crate::error::{Location, SourceError, toml_error};
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChart {
    kind: Spanned<String>,
    data: Spanned<String>,
    x: Spanned<String>,
    y: Spanned<toml::Value>,
    title: String,
    #[serde(default)]
    caption: String,
    #[serde(default)]
    x_label: Option<String>,
    #[serde(default)]
    y_label: Option<String>,
    #[serde(default)]
    log: bool,
    #[serde(default)]
    x_format: Option<Spanned<String>>,
    #[serde(default)]
    y_format: Option<Spanned<String>>,
    #[serde(default)]
    series: Vec<String>,
    #[serde(default)]
    value: Option<Spanned<String>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    color: Option<Spanned<String>>,
    #[serde(default)]
    stack: Option<Spanned<toml::Value>>,
    #[serde(default)]
    facet: Option<Spanned<String>>,
    #[serde(default)]
    facet_scales: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    x: Option<Spanned<toml::Value>>,
    #[serde(default)]
    y: Option<Spanned<toml::Value>>,
    #[serde(default)]
    label: String,
}

/// The kinds as written, in the order the error message lists them.
const KINDS: [(&str, ChartKind); 8] = [
    ("bar", ChartKind::Bar),
    ("hbar", ChartKind::HBar),
    ("line", ChartKind::Line),
    ("area", ChartKind::Area),
    ("scatter", ChartKind::Scatter),
    ("histogram", ChartKind::Histogram),
    ("box", ChartKind::Box),
    ("heatmap", ChartKind::HeatMap),
];

/// Parses a `chart` block's TOML `body`.
pub(super) fn parse(body: &str, src: &Source<'_>) -> Result<ChartSpec, SourceError> {
    let raw: RawChart = toml::from_str(body).map_err(|e| toml_error(&e, src.text, src.path, src.base))?;
    let defined_at = Location::at(src.path, src.text, src.fence);
    let word = raw.kind.get_ref().as_str();
    let Some(&(_, kind)) = KINDS.iter().find(|(w, _)| *w == word) else {
        let names: Vec<&str> = KINDS.iter().map(|(w, _)| *w).collect();
        return Err(src.error(
            raw.kind.span().start + 1,
            format!("unknown chart kind `{word}` (expected one of: {})", names.join(", ")),
        ));
    };
    let y = src.names(&raw.y, "y")?;
    if y.is_empty() {
        return Err(SourceError::new(defined_at, "`y` must name at least one column"));
    }
    if kind == ChartKind::HeatMap && raw.value.is_none() {
        return Err(SourceError::new(defined_at, "a `heatmap` needs `value`, the column that shades each cell"));
    }
    if !matches!(kind, ChartKind::Line | ChartKind::Area) && y.len() > 1 {
        return Err(SourceError::new(
            y[1].location.clone(),
            format!("a `{word}` chart shows one `y` column; `line` and `area` charts take several series"),
        ));
    }
    if !raw.series.is_empty() && raw.series.len() != y.len() {
        return Err(SourceError::new(
            defined_at,
            format!("`series` names {} series but `y` has {} columns", raw.series.len(), y.len()),
        ));
    }
    let x_format = raw.x_format.as_ref().map(|f| src.format(f)).transpose()?;
    let y_format = raw.y_format.as_ref().map(|f| src.format(f)).transpose()?;
    let rules = raw.rules.into_iter().map(|r| rule(r, src)).collect::<Result<Vec<_>, _>>()?;
    if let Some(color) = &raw.color {
        if !matches!(kind, ChartKind::Line | ChartKind::Bar | ChartKind::HBar | ChartKind::Area | ChartKind::Scatter) {
            return Err(src.error(
                color.span().start,
                format!(
                    "`color` splits `line`, `bar`, `hbar`, `area` and `scatter` charts into series, not a `{word}`"
                ),
            ));
        }
        if y.len() > 1 {
            return Err(
                src.error(color.span().start, "with `color`, `y` names one column: the series come from `color`")
            );
        }
    }
    if let Some(value) = &raw.value
        && !matches!(kind, ChartKind::HeatMap | ChartKind::Line)
    {
        return Err(src.error(value.span().start, "`value` applies to `heatmap` and `line` charts only"));
    }
    let stack = match &raw.stack {
        None => Stack::Stacked,
        Some(v) => stack(v, kind, word, raw.color.is_some() || y.len() > 1, src)?,
    };
    if kind == ChartKind::Box && raw.log {
        return Err(SourceError::new(defined_at, "a `box` chart has no `log` axis: its quartiles are on a linear one"));
    }
    let facet_scales = match &raw.facet_scales {
        None => FacetScales::Shared,
        Some(v) if raw.facet.is_none() => {
            return Err(
                src.error(v.span().start, "`facet_scales` says how the panels of `facet` share axes: set `facet` too")
            );
        }
        Some(v) => match v.get_ref().as_str() {
            "shared" => FacetScales::Shared,
            "free" => FacetScales::Free,
            other => {
                return Err(
                    src.error(v.span().start + 1, format!("`facet_scales` is \"shared\" or \"free\", not `{other}`"))
                );
            }
        },
    };
    if let Some(facet) = &raw.facet
        && kind == ChartKind::HeatMap
    {
        return Err(src.error(
            facet.span().start,
            format!("a `heatmap` is already a grid; `facet` draws small multiples of the other kinds (at most {MAX_FACETS} panels)"),
        ));
    }
    Ok(ChartSpec {
        kind,
        query: src.located(raw.data),
        x: src.located(raw.x),
        y,
        title: raw.title,
        caption: raw.caption,
        x_label: raw.x_label,
        y_label: raw.y_label,
        log: raw.log,
        x_format,
        y_format,
        series: raw.series,
        value: raw.value.map(|v| src.located(v)),
        rules,
        color: raw.color.map(|c| src.located(c)),
        stack,
        facet: raw.facet.map(|f| src.located(f)),
        facet_scales,
        defined_at,
    })
}

/// `stack`: how several series sit; for bars `true`, `false` or
/// `"percent"`, for areas `true` or `"percent"`.
fn stack(
    v: &Spanned<toml::Value>,
    kind: ChartKind,
    word: &str,
    series: bool,
    src: &Source<'_>,
) -> Result<Stack, SourceError> {
    let at = v.span().start;
    if !matches!(kind, ChartKind::Bar | ChartKind::HBar | ChartKind::Area) {
        return Err(src.error(at, format!("`stack` applies to `bar`, `hbar` and `area` charts, not a `{word}`")));
    }
    if !series {
        return Err(src.error(at, "`stack` says how the series of `color` sit: set `color` too"));
    }
    match v.get_ref() {
        toml::Value::Boolean(true) => Ok(Stack::Stacked),
        toml::Value::Boolean(false) if kind == ChartKind::Area => {
            Err(src.error(at, "areas are always stacked; for series that overlap, use `kind = \"line\"`"))
        }
        toml::Value::Boolean(false) => Ok(Stack::Grouped),
        toml::Value::String(t) if t == "percent" => Ok(Stack::Percent),
        other => Err(src.error(at, format!("`stack` is `true`, `false` or `\"percent\"`, not `{other}`"))),
    }
}

/// A chart's reference line: exactly one of `x` and `y`; `y` a number, `x`
/// a number or a date (`"2011-01-01"` or a TOML date).
fn rule(raw: Spanned<RawRule>, src: &Source<'_>) -> Result<Rule, SourceError> {
    let at = src.at(raw.span().start);
    let raw = raw.into_inner();
    let (axis, value) = match (raw.x, raw.y) {
        (Some(x), None) => (RuleAxis::X, x),
        (None, Some(y)) => (RuleAxis::Y, y),
        _ => return Err(SourceError::new(at, "a rule has either `x` or `y`: `{ y = 4.5, label = \"target\" }`")),
    };
    let place = src.at(value.span().start);
    let date = |text: &str| chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d").ok();
    let (number, is_date) = match (value.get_ref(), axis) {
        (toml::Value::Integer(i), _) => (*i as f64, false),
        (toml::Value::Float(f), _) if f.is_finite() => (*f, false),
        (toml::Value::String(t), RuleAxis::X) => match date(t) {
            Some(d) => (crate::chart::axis::days(d), true),
            None => return Err(SourceError::new(place, format!("`{t}` is not a date (`YYYY-MM-DD`) nor a number"))),
        },
        (toml::Value::Datetime(t), RuleAxis::X) => match date(&t.to_string()) {
            Some(d) => (crate::chart::axis::days(d), true),
            None => return Err(SourceError::new(place, format!("`{t}` is not a date"))),
        },
        (other, RuleAxis::Y) => {
            return Err(SourceError::new(place, format!("a rule's `y` is a number on the value axis, not `{other}`")));
        }
        (other, RuleAxis::X) => {
            return Err(SourceError::new(place, format!("a rule's `x` is a number or a date, not `{other}`")));
        }
    };
    Ok(Rule { axis, at: number, date: is_date, label: raw.label, defined_at: at })
}
