//! Layouts over a numeric or date x axis: lines (one or several series,
//! with a legend when there are several), stacked areas, scatter plots.

use super::axis::{self, Scale, Tick, text_width};
use super::bar::{Frame, draw_rules, label_step, legend, value_axis};
use super::draw::{Align, Canvas};
use super::{Data, Role, TICK};
use crate::table::ColumnType;

const HEIGHT: u32 = 330;

/// The most points a scatter plot draws one by one; beyond, they are counted
/// in cells of a grid (see [`scatter`]).
pub const MAX_POINTS: usize = 2_000;

/// The x axis of a numeric or date `x` under the frame `f`: ticks, labels
/// and the axis line. Returns where each `x` is drawn.
fn x_axis(c: &mut Canvas, data: &Data<'_>, f: &Frame, xmin: f64, xmax: f64, inset: f64) -> Scale {
    let present: Vec<f64> = data.x.iter().filter_map(|v| axis::x_number(v)).collect();
    let ticks: Vec<Tick> = if data.x_kind == ColumnType::Date {
        axis::date_ticks(xmin, xmax, 8)
    } else {
        let t = if present.iter().all(|x| x.fract() == 0.0) && xmin.fract() == 0.0 && xmax.fract() == 0.0 {
            axis::integer_ticks(xmin, xmax, 6)
        } else {
            axis::linear_ticks(xmin, xmax, 6)
        };
        axis::label_ticks(&t.into_iter().filter(|t| *t >= xmin && *t <= xmax).collect::<Vec<_>>(), false)
    };
    let ticks = axis::format_x_ticks(ticks, data.spec.x_format, data.x_kind == ColumnType::Date);
    let (lo, hi) = if xmax > xmin { (xmin, xmax) } else { (xmin - 1.0, xmin + 1.0) };
    let xscale = Scale { lo, hi, from: f.x0 + inset, to: f.x1 - inset, log: false };
    let widths: Vec<f64> = ticks.iter().map(|t| text_width(&t.label, TICK)).collect();
    let spacing = if ticks.len() > 1 { xscale.map(ticks[1].value) - xscale.map(ticks[0].value) } else { f.x1 - f.x0 };
    let step = label_step(&widths, spacing, 10.0);
    for (k, t) in ticks.iter().enumerate() {
        if k % step == 0 {
            let x = xscale.map(t.value);
            c.line(vec![(x, f.y1), (x, f.y1 + 4.0)], Role::Axis, 1);
            let at = axis::flush(x, &t.label, TICK, f.x0, c.width as f64);
            c.text(at, f.y1 + 14.0, t.label.clone(), TICK, Role::Muted, Align::Middle);
        }
    }
    c.line(vec![(f.x0, f.y1), (f.x1, f.y1)], Role::Axis, 1);
    xscale
}

/// The range of the numeric or date `x` values, widened to the panels'.
fn x_extent(data: &Data<'_>) -> (f64, f64) {
    let (lo, hi) = data.x_extent().unwrap_or((0.0, 1.0));
    data.x_range(lo, hi)
}

/// Both axes of a line chart or scatter plot: the value axis from zero for
/// counts, fitted to the values for a measure that moves in a narrow band
/// (a mean rating between 4.2 and 4.6); `x` over the values' range.
fn fitted_axes(c: &mut Canvas, data: &Data<'_>) -> (Frame, Scale) {
    let (xmin, xmax) = x_extent(data);
    let (ymin, ymax) = data.value_extent().unwrap_or((0.0, 1.0));
    let (ymin, ymax) = data.y_range(ymin, ymax);
    let zero = ymin >= 0.0 && ymin <= ymax * 0.5;
    let f = value_axis(c, data, ymin, ymax, zero, 1);
    let xscale = x_axis(c, data, &f, xmin, xmax, 6.0);
    (f, xscale)
}

/// Draws the lines.
pub fn draw(data: &Data<'_>) -> Canvas {
    let mut c = Canvas::new(data.width, HEIGHT);
    let xs: Vec<Option<f64>> = data.x.iter().map(|v| axis::x_number(v)).collect();
    let (f, xscale) = fitted_axes(&mut c, data);

    if let Some(counts) = &data.counts {
        // the count behind each point: light bars on their own axis, right
        let cmax = counts.iter().flatten().copied().fold(0.0, f64::max);
        let cticks = axis::integer_ticks(0.0, cmax.max(1.0), 4);
        let cscale = Scale { lo: 0.0, hi: *cticks.last().unwrap_or(&1.0), from: f.y1, to: f.y0, log: false };
        let spacing = (xscale.to - xscale.from) / (data.x.len().max(2) - 1) as f64;
        let half = (spacing * 0.3).clamp(0.5, 14.0);
        for (x, v) in xs.iter().zip(counts) {
            if let (Some(x), Some(v)) = (x, v) {
                let cx = xscale.map(*x);
                let top = cscale.map(*v);
                c.shade(cx - half, f.y1, cx + half, top, Role::Series(1), 0.3);
                // a solid outline gives each light bar a visible edge in both themes
                c.line(
                    vec![(cx - half, f.y1), (cx - half, top), (cx + half, top), (cx + half, f.y1)],
                    Role::Series(1),
                    1,
                );
            }
        }
        for t in axis::label_ticks(&cticks, false) {
            c.text(f.x1 + 6.0, cscale.map(t.value), t.label, TICK, Role::Muted, Align::Start);
        }
        let name = data.spec.value.as_ref().map(|v| v.value.replace('_', " ")).unwrap_or_default();
        let w = text_width(&name, TICK);
        let lx = data.width as f64 - 8.0 - w;
        c.text(lx, 12.0, name, TICK, Role::Text, Align::Start);
        c.shade(lx - 16.0, 6.0, lx - 6.0, 18.0, Role::Series(1), 0.3);
        c.line(
            vec![(lx - 16.0, 6.0), (lx - 6.0, 6.0), (lx - 6.0, 18.0), (lx - 16.0, 18.0), (lx - 16.0, 6.0)],
            Role::Series(1),
            1,
        );
    }

    let many = data.x.len() > 40;
    for (s, values) in data.y.iter().enumerate() {
        // a NULL breaks the line
        let mut run: Vec<(f64, f64)> = Vec::new();
        let mut runs = Vec::new();
        for (x, v) in xs.iter().zip(values) {
            match (x, v) {
                (Some(x), Some(v)) if !(data.spec.log && *v <= 0.0) => {
                    run.push((xscale.map(*x), f.scale.map(*v)));
                }
                _ => runs.push(std::mem::take(&mut run)),
            }
        }
        runs.push(run);
        for run in runs.into_iter().filter(|r| !r.is_empty()) {
            if !many {
                for &(x, y) in &run {
                    c.dot(x, y, 3.0, Role::Series(s));
                }
            }
            if run.len() > 1 {
                c.line(run, Role::Series(s), 2);
            }
        }
    }
    legend_and_rules(&mut c, data, &f, &xscale);
    c
}

/// Stacked areas: each series a band on top of the ones before it, left to
/// right in `x` order (a missing value counts as zero in the stack).
pub fn area(data: &Data<'_>) -> Canvas {
    let mut c = Canvas::new(data.width, HEIGHT);
    let (xmin, xmax) = x_extent(data);
    let (_, ymax) = data.value_extent().unwrap_or((0.0, 1.0));
    let (_, ymax) = data.y_range(0.0, ymax);
    let ymax = if data.shares { ymax.min(1.0) } else { ymax };
    let f = value_axis(&mut c, data, 0.0, ymax, true, 1);
    let xscale = x_axis(&mut c, data, &f, xmin, xmax, 6.0);
    let xs: Vec<f64> = data.x.iter().map(|v| xscale.map(axis::x_number(v).unwrap_or(0.0))).collect();
    let mut below = vec![0.0; xs.len()];
    for (s, values) in data.y.iter().enumerate() {
        let above: Vec<f64> = below.iter().zip(values).map(|(b, v)| b + v.unwrap_or(0.0)).collect();
        let top: Vec<(f64, f64)> = xs.iter().zip(&above).map(|(&x, &v)| (x, f.scale.map(v))).collect();
        let mut band = top.clone();
        band.extend(xs.iter().zip(&below).rev().map(|(&x, &v)| (x, f.scale.map(v))));
        c.area(band, Role::Series(s), 0.78);
        if top.len() > 1 {
            c.line(top, Role::Series(s), 2);
        }
        below = above;
    }
    legend_and_rules(&mut c, data, &f, &xscale);
    c
}

/// A dot per row. Up to [`MAX_POINTS`] rows each get a translucent dot
/// (crowds look darker); beyond, the plot is cut into square cells and
/// each cell that holds points is shaded by how many it holds (per series),
/// so the SVG stays small and no row is left out.
pub fn scatter(data: &Data<'_>) -> Canvas {
    let mut c = Canvas::new(data.width, HEIGHT);
    let (f, xscale) = fitted_axes(&mut c, data);
    let points = data.y.iter().flatten().flatten().count();
    let xs: Vec<Option<f64>> = data.x.iter().map(|v| axis::x_number(v).map(|x| xscale.map(x))).collect();
    if points <= MAX_POINTS {
        let r = if points > 500 { 2.0 } else { 3.0 };
        for (s, values) in data.y.iter().enumerate() {
            for (x, v) in xs.iter().zip(values) {
                if let (Some(x), Some(v)) = (x, v) {
                    c.point(*x, f.scale.map(*v), r, Role::Series(s), 0.6);
                }
            }
        }
    } else {
        const CELL: f64 = 10.0;
        for (s, values) in data.y.iter().enumerate() {
            let mut cells: std::collections::BTreeMap<(i64, i64), u32> = Default::default();
            for (x, v) in xs.iter().zip(values) {
                if let (Some(x), Some(v)) = (x, v) {
                    let key = (((x - f.x0) / CELL).floor() as i64, ((f.scale.map(*v) - f.y0) / CELL).floor() as i64);
                    *cells.entry(key).or_default() += 1;
                }
            }
            let most = cells.values().copied().max().unwrap_or(1) as f64;
            for ((i, j), n) in cells {
                let (x, y) = (f.x0 + i as f64 * CELL, f.y0 + j as f64 * CELL);
                // a lone point stays visible; the fullest cell is solid
                let alpha = 0.25 + 0.75 * (n as f64).ln_1p() / most.ln_1p();
                c.shade(x, y, x + CELL, y + CELL, Role::Series(s), alpha);
            }
        }
    }
    legend_and_rules(&mut c, data, &f, &xscale);
    c
}

/// The legend of several series, then the rules over the data.
fn legend_and_rules(c: &mut Canvas, data: &Data<'_>, f: &Frame, xscale: &Scale) {
    if data.y.len() > 1 {
        legend(c, data, f);
    }
    draw_rules(c, data, f, Some(xscale));
}
