//! Line layout: one or several series over a numeric or date x axis, with a
//! legend when there is more than one series.

use super::axis::{self, Scale, Tick, text_width};
use super::bar::{draw_rules, label_step, legend, value_axis};
use super::draw::{Align, Canvas};
use super::{Data, Role, TICK};
use crate::table::{ColumnType, Value};

const HEIGHT: u32 = 330;

fn x_number(v: &Value) -> Option<f64> {
    match v {
        Value::Date(d) => Some(axis::days(*d)),
        v => v.as_f64(),
    }
}

/// Draws the lines.
pub fn draw(data: &Data<'_>) -> Canvas {
    let mut c = Canvas::new(data.width, HEIGHT);
    let xs: Vec<Option<f64>> = data.x.iter().map(|v| x_number(v)).collect();
    let present: Vec<f64> = xs.iter().flatten().copied().collect();
    let (xmin, xmax) = present.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let all: Vec<f64> = data.y.iter().flatten().flatten().copied().collect();
    let (ymin, ymax) = all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let (ymin, ymax) = if all.is_empty() { (0.0, 1.0) } else { (ymin, ymax) };
    // counts start at zero; a measure that moves in a narrow band (a mean
    // rating between 4.2 and 4.6) gets an axis fitted to it
    let zero = ymin >= 0.0 && ymin <= ymax * 0.5;
    let f = value_axis(&mut c, data, ymin, ymax, zero, 1);

    let ticks: Vec<Tick> = if data.x_kind == ColumnType::Date {
        axis::date_ticks(xmin, xmax, 8)
    } else {
        let t = if present.iter().all(|x| x.fract() == 0.0) {
            axis::integer_ticks(xmin, xmax, 6)
        } else {
            axis::linear_ticks(xmin, xmax, 6)
        };
        axis::label_ticks(&t.into_iter().filter(|t| *t >= xmin && *t <= xmax).collect::<Vec<_>>(), false)
    };
    let ticks = axis::format_x_ticks(ticks, data.spec.x_format, data.x_kind == ColumnType::Date);
    let (lo, hi) = if xmax > xmin { (xmin, xmax) } else { (xmin - 1.0, xmin + 1.0) };
    let xscale = Scale { lo, hi, from: f.x0 + 6.0, to: f.x1 - 6.0, log: false };
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
    if data.y.len() > 1 {
        legend(&mut c, data, &f);
    }
    draw_rules(&mut c, data, &f, Some(&xscale));
    c
}
