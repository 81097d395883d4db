//! Heat map layout: a grid of cells, `x` across and `y` down (each in order
//! of first appearance in the rows), shaded by `value` relative to the
//! largest value. One colour at varying opacity, so it follows the theme;
//! when some values are below zero, a second colour for those, both shaded
//! by their distance from zero (a diverging scale centred on zero).

use super::axis::text_width;
use super::bar::label_step;
use super::draw::{Align, Canvas};
use super::{ChartSpec, Role, TICK, column, draw};
use crate::error::SourceError;
use crate::format::Format;
use crate::table::{ColumnType, Table, Value};

const ROW: f64 = 26.0;

fn label(v: &Value, format: Option<Format>) -> String {
    match (format, v) {
        (Some(f), v) => f.apply(v),
        (None, Value::Int(i)) => i.to_string(),
        (None, v) => Format::default_for(v).apply(v),
    }
}

/// Checks the columns and draws the heat map.
pub fn layout(spec: &ChartSpec, table: &Table, width: u32) -> Result<(draw::Canvas, String), SourceError> {
    let query = &spec.query.value;
    let xi = column(table, query, &spec.x)?;
    let yi = column(table, query, &spec.y[0])?;
    let value =
        spec.value.as_ref().ok_or_else(|| SourceError::new(spec.defined_at.clone(), "a `heatmap` needs `value`"))?;
    let vi = column(table, query, value)?;
    if table.columns[vi].kind != ColumnType::Number {
        return Err(SourceError::new(
            value.location.clone(),
            format!("column `{}` of query `{query}` is not numeric; a heat map's `value` must be numbers", value.value),
        ));
    }
    let mut xs: Vec<String> = Vec::new();
    let mut ys: Vec<String> = Vec::new();
    let mut cells = Vec::new();
    for row in &table.rows {
        let x = label(&row[xi], spec.x_format);
        let y = label(&row[yi], None);
        let cx = xs.iter().position(|v| *v == x).unwrap_or_else(|| {
            xs.push(x.clone());
            xs.len() - 1
        });
        let cy = ys.iter().position(|v| *v == y).unwrap_or_else(|| {
            ys.push(y.clone());
            ys.len() - 1
        });
        cells.push((cx, cy, row[vi].as_f64()));
    }
    let max = cells.iter().filter_map(|c| c.2).map(f64::abs).fold(0.0, f64::max);
    let signed = cells.iter().any(|c| c.2.is_some_and(|v| v < 0.0));
    let role = |v: f64| if v < 0.0 { Role::Series(1) } else { Role::Series(0) };
    let value_label = |v: f64| spec.y_format.unwrap_or(Format::Auto).apply(&Value::Float(v));

    let top = if spec.y_label.is_some() { 30.0 } else { 10.0 };
    let y_w = ys.iter().map(|l| text_width(l, TICK)).fold(0.0, f64::max);
    let x0 = y_w + 16.0;
    let x1 = width as f64 - 10.0;
    let y1 = top + ROW * ys.len() as f64;
    let height = y1 + 30.0 + if spec.x_label.is_some() { 20.0 } else { 0.0 } + 30.0;
    let mut c = Canvas::new(width, height.round() as u32);
    let band = (x1 - x0) / xs.len().max(1) as f64;
    c.rect(x0, top, x1, y1, Role::Grid);
    for &(cx, cy, v) in &cells {
        if let Some(v) = v
            && max > 0.0
        {
            let (a, b) = (x0 + band * cx as f64, top + ROW * cy as f64);
            c.shade(a + 1.0, b + 1.0, a + band - 1.0, b + ROW - 1.0, role(v), v.abs() / max);
        }
    }
    for (k, y) in ys.iter().enumerate() {
        c.text(x0 - 8.0, top + ROW * (k as f64 + 0.5), y.clone(), TICK, Role::Text, Align::End);
    }
    let widths: Vec<f64> = xs.iter().map(|l| text_width(l, TICK)).collect();
    let step = label_step(&widths, band, 6.0);
    for (k, x) in xs.iter().enumerate() {
        if k % step == 0 {
            c.text(x0 + band * (k as f64 + 0.5), y1 + 14.0, x.clone(), TICK, Role::Muted, Align::Middle);
        }
    }
    if let Some(l) = &spec.y_label {
        c.text(4.0, 14.0, l.clone(), TICK, Role::Muted, Align::Start);
    }
    let mut legend_y = y1 + 34.0;
    if let Some(l) = &spec.x_label {
        c.text((x0 + x1) / 2.0, y1 + 34.0, l.clone(), TICK, Role::Muted, Align::Middle);
        legend_y += 20.0;
    }
    // legend: five shades from light to the largest value (from the most
    // negative one through zero when there are such)
    let mut lx = x0;
    if signed {
        let low = value_label(-max);
        c.text(lx, legend_y, low.clone(), TICK, Role::Muted, Align::Start);
        lx += text_width(&low, TICK) + 6.0;
        for k in (1..=5).rev() {
            c.shade(lx, legend_y - 7.0, lx + 18.0, legend_y + 7.0, Role::Series(1), k as f64 / 5.0);
            lx += 20.0;
        }
        lx += 4.0;
    }
    let zero = value_label(0.0);
    c.text(lx, legend_y, zero.clone(), TICK, Role::Muted, Align::Start);
    lx += text_width(&zero, TICK) + 6.0;
    for k in 1..=5 {
        c.shade(lx, legend_y - 7.0, lx + 18.0, legend_y + 7.0, Role::Series(0), k as f64 / 5.0);
        lx += 20.0;
    }
    c.text(lx + 4.0, legend_y, value_label(max), TICK, Role::Muted, Align::Start);

    let biggest =
        cells.iter().filter_map(|&(x, y, v)| v.map(|v| (x, y, v))).fold(None, |m: Option<(usize, usize, f64)>, c| {
            match m {
                Some(b) if b.2 >= c.2 => m,
                _ => Some(c),
            }
        });
    let shading = if signed {
        "cells above zero in one colour and below zero in another, darker the farther from zero"
    } else {
        "darker cells hold larger values"
    };
    let mut description = format!(
        "Heat map of {} by {} and {}, {} by {} cells; {shading}.",
        value.value,
        spec.x.value,
        spec.y[0].value,
        xs.len(),
        ys.len()
    );
    if let Some((x, y, v)) = biggest {
        description.push_str(&format!(" Largest: {} at {} {}, {}.", value_label(v), spec.x.value, xs[x], ys[y]));
    }
    let smallest =
        cells.iter().filter_map(|&(x, y, v)| v.map(|v| (x, y, v))).fold(None, |m: Option<(usize, usize, f64)>, c| {
            match m {
                Some(b) if b.2 <= c.2 => m,
                _ => Some(c),
            }
        });
    if let Some((x, y, v)) = smallest.filter(|_| signed) {
        description.push_str(&format!(" Smallest: {} at {} {}, {}.", value_label(v), spec.x.value, xs[x], ys[y]));
    }
    Ok((c, description))
}
