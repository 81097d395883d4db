//! Box plots: the five-number summary of `y`'s raw values in each category
//! of `x`, computed here from the query's rows.
//!
//! Quartiles are DuckDB's `quantile_cont` (linear interpolation between the
//! sorted values: the `p`-quantile of `n` values is at position `p * (n - 1)`,
//! counting from 0, Hyndman and Fan's definition 7). The whiskers reach the
//! most extreme values within 1.5 times the interquartile range of the box;
//! values beyond are outliers, drawn one by one.

use super::axis;
use super::bar::{category_frame, draw_rules};
use super::draw::{Align, Canvas};
use super::{ChartSpec, Data, Domain, Role, TICK, column};
use crate::error::SourceError;
use crate::format::Format;
use crate::table::{Column, ColumnType, Table, Value};

/// One category's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Five {
    /// How many values (NULLs left out).
    pub n: usize,
    /// The lowest value.
    pub min: f64,
    /// The first quartile.
    pub q1: f64,
    /// The median.
    pub median: f64,
    /// The third quartile.
    pub q3: f64,
    /// The highest value.
    pub max: f64,
    /// Where the lower whisker ends: the lowest value within 1.5 IQR below `q1`.
    pub low: f64,
    /// Where the upper whisker ends: the highest value within 1.5 IQR above `q3`.
    pub high: f64,
    /// The values beyond the whiskers, in order.
    pub outliers: Vec<f64>,
}

/// The summaries of every category, in the order they first appear.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The categories.
    pub categories: Vec<Value>,
    /// Each category's summary (`None`: no value but NULLs).
    pub boxes: Vec<Option<Five>>,
}

/// The `p`-quantile of sorted values, as `quantile_cont`.
pub fn quantile(sorted: &[f64], p: f64) -> f64 {
    let at = p * (sorted.len() - 1) as f64;
    let (lo, frac) = (at.floor() as usize, at.fract());
    match sorted.get(lo + 1) {
        Some(next) if frac > 0.0 => sorted[lo] + (next - sorted[lo]) * frac,
        _ => sorted[lo],
    }
}

/// The summary of some values (`None` when there are none).
pub fn five(mut values: Vec<f64>) -> Option<Five> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let (q1, median, q3) = (quantile(&values, 0.25), quantile(&values, 0.5), quantile(&values, 0.75));
    let reach = 1.5 * (q3 - q1);
    let inside = |v: &&f64| **v >= q1 - reach && **v <= q3 + reach;
    let low = values.iter().find(inside).copied().unwrap_or(q1);
    let high = values.iter().rev().find(inside).copied().unwrap_or(q3);
    let outliers = values.iter().copied().filter(|v| *v < low || *v > high).collect();
    Some(Five { n: values.len(), min: values[0], q1, median, q3, max: values[values.len() - 1], low, high, outliers })
}

/// Groups `y`'s values by `x`.
pub fn summarize(spec: &ChartSpec, table: &Table) -> Result<Summary, SourceError> {
    let query = &spec.query.value;
    let xi = column(table, query, &spec.x)?;
    let yi = column(table, query, &spec.y[0])?;
    let mut categories: Vec<Value> = Vec::new();
    let mut values: Vec<Vec<f64>> = Vec::new();
    let mut seen = super::FirstSeen::default();
    for row in &table.rows {
        let (k, new) = seen.number(&row[xi]);
        if new {
            categories.push(row[xi].clone());
            values.push(Vec::new());
        }
        if let Some(v) = row[yi].as_f64() {
            values[k].push(v);
        }
    }
    Ok(Summary { categories, boxes: values.into_iter().map(five).collect() })
}

/// The lowest and highest value of every category.
pub fn extent(summary: &Summary) -> Option<(f64, f64)> {
    summary
        .boxes
        .iter()
        .flatten()
        .fold(None, |e, b| Some(e.map_or((b.min, b.max), |(lo, hi)| (b.min.min(lo), b.max.max(hi)))))
}

/// The summaries in the order of `domain`'s categories (other panels'
/// categories as empty places), else their own.
fn aligned<'a>(summary: &'a Summary, domain: &'a Domain) -> (Vec<&'a Value>, Vec<Option<&'a Five>>) {
    match &domain.categories {
        None => (summary.categories.iter().collect(), summary.boxes.iter().map(Option::as_ref).collect()),
        Some(keys) => {
            let at: std::collections::BTreeMap<String, usize> =
                summary.categories.iter().enumerate().map(|(i, v)| (v.to_csv_field(), i)).collect();
            let boxes =
                keys.iter().map(|k| at.get(&k.to_csv_field()).and_then(|&i| summary.boxes[i].as_ref())).collect();
            (keys.iter().collect(), boxes)
        }
    }
}

/// Draws the boxes at `width`.
pub fn layout(spec: &ChartSpec, summary: &Summary, width: u32, domain: &Domain) -> Canvas {
    let (x, boxes) = aligned(summary, domain);
    if boxes.iter().all(Option::is_none) {
        let mut c = Canvas::new(width, 120);
        c.text(width as f64 / 2.0, 60.0, "No data", 15.0, Role::Muted, Align::Middle);
        return c;
    }
    let (lo, hi) = extent(summary).unwrap_or((0.0, 1.0));
    let (lo, hi) = domain.y.map_or((lo, hi), |(a, b)| (lo.min(a), hi.max(b)));
    // the frame is that of a bar chart of the categories; whole-number data
    // gets whole-number ticks
    let values: Vec<Option<f64>> = summary.boxes.iter().flatten().flat_map(|b| [b.min, b.max]).map(Some).collect();
    let whole =
        summary.boxes.iter().flatten().all(|b| [b.min, b.q1, b.median, b.q3, b.max].iter().all(|v| v.fract() == 0.0));
    let data = Data {
        spec,
        x: x.clone(),
        x_kind: if x.iter().all(|v| matches!(v, Value::Text(_) | Value::Null)) {
            ColumnType::Text
        } else {
            ColumnType::Number
        },
        y: vec![if whole { values } else { vec![Some(0.5)] }],
        names: vec![spec.y[0].value.clone()],
        counts: None,
        width,
        shares: false,
        domain,
    };
    let zero = lo >= 0.0 && lo <= hi * 0.5;
    let (mut c, f, labels) = category_frame(&data, x.len(), if zero { lo.min(0.0) } else { lo }, hi);
    let band = (f.x1 - f.x0) / x.len() as f64;
    for (i, b) in boxes.iter().enumerate() {
        let cx = f.x0 + band * (i as f64 + 0.5);
        if let Some(b) = b {
            let half = (band * 0.3).clamp(2.0, 40.0);
            let (top, bottom) = (f.scale.map(b.q3), f.scale.map(b.q1));
            // whiskers and their caps, then the box over them, then the median
            for (from, to) in [(b.q3, b.high), (b.q1, b.low)] {
                let end = f.scale.map(to);
                c.line(vec![(cx, f.scale.map(from)), (cx, end)], Role::Text, 1);
                c.line(vec![(cx - half * 0.5, end), (cx + half * 0.5, end)], Role::Text, 1);
            }
            c.shade(cx - half, top, cx + half, bottom, Role::Series(0), 0.35);
            let outline =
                vec![(cx - half, top), (cx + half, top), (cx + half, bottom), (cx - half, bottom), (cx - half, top)];
            c.line(outline, Role::Series(0), 1);
            let m = f.scale.map(b.median);
            c.line(vec![(cx - half, m), (cx + half, m)], Role::Text, 2);
            // one dot per place: outliers that fall on the same pixel are one dot
            let mut drawn = std::collections::BTreeSet::new();
            for v in &b.outliers {
                let y = f.scale.map(*v);
                if drawn.insert(y.round() as i64) {
                    c.point(cx, y, 2.5, Role::Series(0), 0.6);
                }
            }
        }
        let (label, row) = &labels[i];
        if !label.is_empty() {
            let at = axis::flush(cx, label, TICK, f.x0, c.width as f64);
            c.text(at, f.y1 + 14.0 + 16.0 * *row as f64, label.clone(), TICK, Role::Muted, Align::Middle);
        }
    }
    c.line(vec![(f.x0, f.y1), (f.x1, f.y1)], Role::Axis, 1);
    draw_rules(&mut c, &data, &f, None);
    c
}

/// The name of a category as the chart shows it.
fn label(spec: &ChartSpec, v: &Value) -> String {
    match (spec.x_format, v) {
        (Some(f), v) => f.apply(v),
        (None, Value::Int(i)) => i.to_string(),
        (None, v) => Format::default_for(v).apply(v),
    }
}

/// What a screen reader hears: the categories' medians and quartiles.
pub fn describe(spec: &ChartSpec, summary: &Summary) -> String {
    let value = |v: f64| spec.y_format.unwrap_or(Format::Auto).apply(&Value::Float(v));
    let mut text = format!(
        "Box plot of {} by {}, {} {}.",
        spec.y[0].value,
        spec.x.value,
        summary.categories.len(),
        if summary.categories.len() == 1 { "category" } else { "categories" }
    );
    for (c, b) in summary.categories.iter().zip(&summary.boxes).take(12) {
        match b {
            Some(b) => text.push_str(&format!(
                " {}: median {}, quartiles {} to {}, {} values, {} outliers.",
                label(spec, c),
                value(b.median),
                value(b.q1),
                value(b.q3),
                b.n,
                b.outliers.len()
            )),
            None => text.push_str(&format!(" {}: no values.", label(spec, c))),
        }
    }
    if summary.categories.len() > 12 {
        text.push_str(" The data table has every category.");
    }
    text
}

/// The data table of the chart: one row per category and its summary.
pub fn table(spec: &ChartSpec, summary: &Summary) -> Table {
    let number = |name: &str| Column { name: name.to_string(), kind: ColumnType::Number };
    let mut columns = vec![Column { name: spec.x.value.clone(), kind: ColumnType::Text }];
    columns.extend(SUMMARY_COLUMNS.iter().map(|n| number(n)));
    let rows = summary
        .categories
        .iter()
        .zip(&summary.boxes)
        .map(|(c, b)| {
            let mut row = vec![Value::Text(label(spec, c))];
            match b {
                Some(b) => {
                    row.push(Value::Int(b.n as i64));
                    row.extend([b.min, b.q1, b.median, b.q3, b.max].map(Value::Float));
                    row.push(Value::Int(b.outliers.len() as i64));
                }
                None => {
                    row.push(Value::Int(0));
                    row.extend(std::iter::repeat_n(Value::Null, 6));
                }
            }
            row
        })
        .collect();
    Table { columns, rows }
}

/// The summary's columns after the category: the count, the five numbers
/// (shown with `y_format`) and the number of outliers.
pub const SUMMARY_COLUMNS: [&str; 7] =
    ["values", "lowest", "lower quartile", "median", "upper quartile", "highest", "outliers"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quartiles_interpolate_like_quantile_cont() {
        // quantile_cont([1, 2, 3, 4], 0.25) = 1.75 in DuckDB
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.25), 1.75);
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert_eq!(quantile(&[7.0], 0.75), 7.0);
        let b = five(vec![10.0, 1.0, 2.0, 3.0, 4.0, 5.0, -20.0]).unwrap();
        // sorted -20 1 2 3 4 5 10: q1 1.5, median 3, q3 4.5, IQR 3, reach 4.5
        assert_eq!((b.q1, b.median, b.q3), (1.5, 3.0, 4.5));
        assert_eq!((b.low, b.high), (1.0, 5.0));
        assert_eq!(b.outliers, [-20.0, 10.0]);
        assert_eq!((b.min, b.max, b.n), (-20.0, 10.0, 7));
        assert_eq!(five(Vec::new()), None);
        // all equal: no whisker, no outlier
        let flat = five(vec![2.0; 5]).unwrap();
        assert_eq!((flat.low, flat.high, flat.outliers.len()), (2.0, 2.0, 0));
    }
}
