//! Bar layouts: vertical bars over categories, horizontal bars for long
//! labels, and touching bars over numeric bins (histograms).

use super::axis::{self, Scale, Tick, text_width};
use super::draw::{Align, Canvas};
use super::{Data, Role, RuleAxis, TICK};

const HEIGHT: f64 = 330.0;
const VALUE: f64 = 13.0;

/// The plot rectangle and value axis of a vertical chart.
pub(super) struct Frame {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
    pub scale: Scale,
    /// Where each series' legend entry goes (its name's start, its row).
    pub legend: Vec<(f64, f64)>,
}

/// Draws the value axis (grid lines and tick labels on the left) and returns
/// the plot frame. `min`/`max` are the data's range; `label_rows` rows of
/// labels go under the plot.
pub(super) fn value_axis(
    canvas: &mut Canvas,
    data: &Data<'_>,
    min: f64,
    max: f64,
    zero: bool,
    label_rows: usize,
) -> Frame {
    let spec = data.spec;
    // the rules' values are on the axis too
    let (min, max) = data.rules(RuleAxis::Y).fold((min, max), |(lo, hi), r| (lo.min(r.at), hi.max(r.at)));
    let ticks = axis::value_ticks(min, max, spec.log, zero, data.integer(), 5);
    let labels: Vec<Tick> = data.value_tick_labels(&ticks);
    let label_w = labels.iter().map(|t| text_width(&t.label, TICK)).fold(0.0, f64::max);
    let x0 = (label_w + 12.0).max(36.0);
    // a second axis on the right for the counts behind a line, then the rules' labels
    let rule_w = data.rules(RuleAxis::Y).map(|r| text_width(&data.rule_label(r), RULE) + 6.0).fold(0.0, f64::max);
    let x1 = data.width as f64 - if data.counts.is_some() { 52.0 } else { 14.0 } - rule_w;
    // each `x` rule's label on a row of its own above the plot
    let x_rules = data.rules(RuleAxis::X).count() as f64;
    let legend = data.y.len() > 1 || data.counts.is_some();
    let clear = if x_rules > 0.0 && legend { 6.0 } else { 0.0 };
    // the legend of several series: one row right of the axis label when it
    // fits there, else rows of its own above the plot
    let mut legend_at = Vec::new();
    let mut shift = 0.0;
    if data.y.len() > 1 {
        let widths: Vec<f64> = data.names.iter().map(|n| text_width(n, TICK)).collect();
        let room = x1 - 4.0 - spec.y_label.as_ref().map_or(0.0, |l| text_width(l, TICK) + 16.0);
        if widths.iter().map(|w| w + 28.0).sum::<f64>() - 12.0 <= room {
            let mut x = x1;
            for w in widths.iter().rev() {
                x -= w;
                legend_at.push((x, 12.0));
                x -= 28.0;
            }
            legend_at.reverse();
        } else {
            (legend_at, shift) = legend_rows(&data.names, 4.0, x1, 3.0);
        }
    }
    let y0 = if spec.y_label.is_some() { 34.0 } else { 14.0 } + RULE_ROW * x_rules + clear + shift;
    let below = LABEL_ROW * label_rows.saturating_sub(1) as f64;
    let y1 = canvas.height as f64 - below - if spec.x_label.is_some() { 50.0 } else { 30.0 };
    let scale = Scale { lo: ticks[0], hi: *ticks.last().unwrap_or(&1.0), from: y1, to: y0, log: spec.log };
    for t in &labels {
        let y = scale.map(t.value);
        canvas.line(vec![(x0, y), (x1, y)], Role::Grid, 1);
        canvas.text(x0 - 6.0, y, t.label.clone(), TICK, Role::Muted, Align::End);
    }
    if let Some(label) = &spec.y_label {
        canvas.text(4.0, 14.0 + shift, label.clone(), TICK, Role::Muted, Align::Start);
    }
    if let Some(label) = &spec.x_label {
        canvas.text((x0 + x1) / 2.0, canvas.height as f64 - 12.0, label.clone(), TICK, Role::Muted, Align::Middle);
    }
    Frame { x0, x1, y0, y1, scale, legend: legend_at }
}

/// Rule label size.
const RULE: f64 = 12.0;
/// The height of a row of `x` rule labels.
const RULE_ROW: f64 = 16.0;

/// Draws the rules over the data: `y` rules across the plot, labelled in the
/// margin right of it; `x` rules (given `xscale`) up the plot, each labelled
/// on its own row above it. No label is drawn where data or tick labels are.
pub(super) fn draw_rules(c: &mut Canvas, data: &Data<'_>, f: &Frame, xscale: Option<&Scale>) {
    let counts = if data.counts.is_some() { 38.0 } else { 0.0 };
    // labels top to bottom, at least a line apart
    let mut ys: Vec<(f64, String)> = data.rules(RuleAxis::Y).map(|r| (f.scale.map(r.at), data.rule_label(r))).collect();
    ys.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut last = f64::NEG_INFINITY;
    for (y, label) in ys {
        c.line(vec![(f.x0, y), (f.x1, y)], Role::Text, 1);
        let at = y.max(last + RULE + 2.0);
        c.text(f.x1 + 6.0 + counts, at, label, RULE, Role::Text, Align::Start);
        last = at;
    }
    let Some(xscale) = xscale else { return };
    let first_row = f.y0 - RULE_ROW * data.rules(RuleAxis::X).count() as f64;
    for (k, r) in data.rules(RuleAxis::X).enumerate() {
        let x = xscale.map(r.at).clamp(f.x0, f.x1);
        let row_y = first_row + RULE_ROW * (k as f64 + 0.5);
        c.line(vec![(x, row_y + 6.0), (x, f.y1)], Role::Text, 1);
        let label = data.rule_label(r);
        c.text(axis::flush(x, &label, RULE, f.x0, c.width as f64), row_y, label, RULE, Role::Text, Align::Middle);
    }
}

/// Every `k`-th label, with `k` the smallest step at which labels of the given
/// widths, centred `spacing` px apart, keep `gap` px between them.
pub fn label_step(widths: &[f64], spacing: f64, gap: f64) -> usize {
    let widest = widths.iter().copied().fold(0.0, f64::max);
    if spacing <= 0.0 {
        return widths.len().max(1);
    }
    (((widest + gap) / spacing).ceil() as usize).max(1)
}

/// The height of a row of the legend.
const LEGEND_ROW: f64 = 18.0;

/// The legend of several series, where the frame placed it: a swatch and a
/// name each.
pub(super) fn legend(c: &mut Canvas, data: &Data<'_>, f: &Frame) {
    draw_legend(c, &data.names, &f.legend);
}

/// A swatch and a name for each series, at the given places.
/// A name too long for the canvas is shortened with `…` (the data table has
/// it whole).
fn draw_legend(c: &mut Canvas, names: &[String], at: &[(f64, f64)]) {
    let width = c.width as f64;
    for (s, (name, &(x, y))) in names.iter().zip(at).enumerate() {
        c.text(x, y, axis::fit_text(name, TICK, width - x - 8.0), TICK, Role::Text, Align::Start);
        c.rect(x - 16.0, y - 4.0, x - 6.0, y + 4.0, Role::Series(s));
    }
}

/// The canvas, value axis and category labels of a vertical bar chart of
/// `n` categories over values in `[min, max]`: the plot's width decides
/// whether the labels need a second row, and a second row makes the chart
/// taller.
pub(super) fn category_frame(data: &Data<'_>, n: usize, min: f64, max: f64) -> (Canvas, Frame, Vec<(String, usize)>) {
    let f = value_axis(&mut Canvas::new(data.width, HEIGHT as u32), data, min, max, true, 1);
    let ordinal = data.x_kind != crate::table::ColumnType::Text;
    let names: Vec<String> = (0..n).map(|i| data.x_label(i)).collect();
    let labels = category_labels(&names, (f.x1 - f.x0) / n as f64, ordinal);
    let rows = labels.iter().map(|(_, row)| row + 1).max().unwrap_or(1);
    let mut c = Canvas::new(data.width, (HEIGHT + LABEL_ROW * (rows - 1) as f64) as u32);
    let f = value_axis(&mut c, data, min, max, true, rows);
    (c, f, labels)
}

/// Vertical bars of several series (`color`): stacked (positive values up,
/// negative down, in series order) or grouped side by side in each category.
fn vertical_series(data: &Data<'_>) -> Canvas {
    let n = data.x.len();
    let grouped = data.spec.stack == super::Stack::Grouped;
    let (min, max) = data.value_extent().unwrap_or((0.0, 0.0));
    let (mut min, mut max) = data.y_range(min.min(0.0), max.max(0.0));
    if data.shares {
        // shares add up to one, give or take the last bit of a float
        (min, max) = (min.max(-1.0), max.min(1.0));
    }
    let (mut c, f, labels) = category_frame(data, n, min, max);
    let band = (f.x1 - f.x0) / n as f64;
    let base = f.scale.map(0.0);
    let m = data.y.len();
    for i in 0..n {
        let cx = f.x0 + band * (i as f64 + 0.5);
        let (mut up, mut down) = (0.0, 0.0);
        for (s, series) in data.y.iter().enumerate() {
            let Some(v) = series[i] else { continue };
            if grouped {
                let width = band * 0.8 / m as f64;
                let left = cx - band * 0.4 + width * s as f64;
                c.rect(left + 0.5, base, left + width - 0.5, f.scale.map(v), Role::Series(s));
            } else {
                let half = (band * 0.36).max(0.5);
                let (from, to) = stack_on(&mut up, &mut down, v);
                c.rect(cx - half, f.scale.map(from), cx + half, f.scale.map(to), Role::Series(s));
            }
        }
        let (label, row) = &labels[i];
        if !label.is_empty() {
            let at = axis::flush(cx, label, TICK, f.x0, c.width as f64);
            c.text(at, f.y1 + 14.0 + LABEL_ROW * *row as f64, label.clone(), TICK, Role::Muted, Align::Middle);
        }
    }
    c.line(vec![(f.x0, base), (f.x1, base)], Role::Axis, 1);
    legend(&mut c, data, &f);
    draw_rules(&mut c, data, &f, None);
    c
}

/// Vertical bars, one per row, in row order.
pub fn vertical(data: &Data<'_>) -> Canvas {
    if data.y.len() > 1 {
        return vertical_series(data);
    }
    let values = &data.y[0];
    let max = values.iter().flatten().copied().fold(0.0, f64::max);
    let min = values.iter().flatten().copied().fold(0.0, f64::min);
    let (min, max) = data.y_range(min, max);
    let n = values.len();
    let (mut c, f, labels) = category_frame(data, n, min, max);
    let band = (f.x1 - f.x0) / n as f64;
    let base = if data.spec.log { f.y1 } else { f.scale.map(0.0) };
    let value_labels: Vec<String> = values.iter().map(|v| v.map(|v| data.y_label(v)).unwrap_or_default()).collect();
    let show_values = n <= 24 && value_labels.iter().all(|l| text_width(l, VALUE) + 2.0 <= band) && !data.spec.log;
    for (i, v) in values.iter().enumerate() {
        let cx = f.x0 + band * (i as f64 + 0.5);
        if let Some(v) = v {
            let top = f.scale.map(*v);
            let half = (band * 0.36).max(0.5);
            c.rect(cx - half, base, cx + half, top, Role::Series(0));
            if show_values {
                let y = if *v >= 0.0 { top - 9.0 } else { top + 9.0 };
                c.text(cx, y, value_labels[i].clone(), VALUE, Role::Text, Align::Middle);
            }
        }
        let (label, row) = &labels[i];
        if !label.is_empty() {
            let at = axis::flush(cx, label, TICK, f.x0, c.width as f64);
            c.text(at, f.y1 + 14.0 + LABEL_ROW * *row as f64, label.clone(), TICK, Role::Muted, Align::Middle);
        }
    }
    c.line(vec![(f.x0, base), (f.x1, base)], Role::Axis, 1);
    draw_rules(&mut c, data, &f, None);
    c
}

/// The height of a row of category labels.
const LABEL_ROW: f64 = 16.0;
/// The space kept between two labels on one row.
const LABEL_GAP: f64 = 6.0;

/// The label of each category of a vertical bar chart, with its row (an
/// empty label is not drawn). All on one row when they fit their bands.
/// Else, for `ordinal` categories (numbers, dates: years, bins), every
/// `k`-th label, as on any numeric axis; for names, where every bar needs
/// its own, two staggered rows (each label then has two bands), and names
/// too long even then shortened with `…` (the data table has them whole).
pub fn category_labels(labels: &[String], band: f64, ordinal: bool) -> Vec<(String, usize)> {
    let fits = |room: f64| labels.iter().all(|l| text_width(l, TICK) + LABEL_GAP <= room);
    if fits(band) || labels.len() < 2 {
        return labels.iter().map(|l| (l.clone(), 0)).collect();
    }
    if ordinal {
        let widths: Vec<f64> = labels.iter().map(|l| text_width(l, TICK)).collect();
        let step = label_step(&widths, band, LABEL_GAP);
        return labels
            .iter()
            .enumerate()
            .map(|(i, l)| (if i % step == 0 { l.clone() } else { String::new() }, 0))
            .collect();
    }
    let room = 2.0 * band - LABEL_GAP;
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            // a shortened name keeps a little more room: widths are estimates
            let shown = if text_width(l, TICK) <= room { l.clone() } else { axis::fit_text(l, TICK, room - 4.0) };
            (shown, i % 2)
        })
        .collect()
}

/// Where the legend of several series goes on a row (or rows) of its own
/// from `top`, between `x0` and `x1`: each name's start and row; and the
/// height the rows take.
pub(super) fn legend_rows(names: &[String], x0: f64, x1: f64, top: f64) -> (Vec<(f64, f64)>, f64) {
    let (mut x, mut y) = (x0 + 16.0, top + LEGEND_ROW / 2.0);
    let mut at = Vec::new();
    for name in names {
        let w = text_width(name, TICK);
        if x + w > x1 && x > x0 + 16.0 {
            (x, y) = (x0 + 16.0, y + LEGEND_ROW);
        }
        at.push((x, y));
        x += w + 28.0;
    }
    (at, y + LEGEND_ROW / 2.0 - top)
}

/// Horizontal bars, one row per category, top to bottom; labels on the
/// left, values at the bar ends. Several series (`color`) are stacked along
/// the row (or, `stack = false`, drawn as thinner bars one under another in
/// it), with a legend above.
pub fn horizontal(data: &Data<'_>) -> Canvas {
    let n = data.x.len();
    let m = data.y.len();
    let grouped = m > 1 && data.spec.stack == super::Stack::Grouped;
    const SUB: f64 = 15.0;
    let row_h = if grouped { (SUB * m as f64 + 8.0).max(24.0) } else { 24.0 };
    let labels: Vec<String> = (0..n).map(|i| data.x_label(i)).collect();
    let max_label = data.width as f64 * 0.4;
    let label_w = labels.iter().map(|l| text_width(l, TICK)).fold(0.0, f64::max).min(max_label);
    // value labels: every bar's when alone or side by side, each stack's total
    // when stacked (none for shares: every row is 100%)
    let totals: Vec<Option<f64>> = (0..n)
        .map(|i| {
            let values: Vec<f64> = data.y.iter().filter_map(|s| s[i]).collect();
            (!values.is_empty()).then(|| values.iter().sum())
        })
        .collect();
    let value_text = |v: Option<f64>| v.map(|v| data.y_label(v)).unwrap_or_default();
    let value_labels: Vec<Vec<String>> = if grouped || m == 1 {
        data.y.iter().map(|s| s.iter().map(|v| value_text(*v)).collect()).collect()
    } else if data.shares {
        Vec::new()
    } else {
        vec![totals.iter().map(|v| value_text(*v)).collect()]
    };
    let value_w = value_labels.iter().flatten().map(|l| text_width(l, VALUE)).fold(0.0, f64::max);
    let x0 = label_w + 14.0;
    // room right of the plot for the values, or at least for half the last tick label
    let x1 = data.width as f64 - (value_w + 12.0).max(24.0);
    // each rule's label on a row of its own above the bars, the legend above them
    let rules = data.rules(RuleAxis::Y).count() as f64;
    let first = if data.spec.y_label.is_some() { 26.0 } else { 6.0 };
    let (legend_at, legend_h) =
        if m > 1 { legend_rows(&data.names, 0.0, data.width as f64 - 8.0, first) } else { (Vec::new(), 4.0) };
    let top = first + legend_h + RULE_ROW * rules;
    let bottom = if data.spec.x_label.is_some() { 50.0 } else { 30.0 };
    let height = top + row_h * n as f64 + bottom;
    let mut c = Canvas::new(data.width, height.round() as u32);
    let (y0, y1) = (top, top + row_h * n as f64);
    let (min, max) = data.value_extent().unwrap_or((0.0, 0.0));
    let (min, max) = data.rules(RuleAxis::Y).fold((min, max), |(lo, hi), r| (lo.min(r.at), hi.max(r.at)));
    let (min, max) = data.y_range(min.min(0.0), max.max(0.0));
    let max = if data.shares { max.min(1.0) } else { max };
    let ticks = axis::value_ticks(min, max, data.spec.log, true, data.integer(), 4);
    let scale = Scale { lo: ticks[0], hi: *ticks.last().unwrap_or(&1.0), from: x0, to: x1, log: data.spec.log };
    let tick_labels = data.value_tick_labels(&ticks);
    let widths: Vec<f64> = tick_labels.iter().map(|t| text_width(&t.label, TICK)).collect();
    let spacing = if ticks.len() > 1 { (x1 - x0) / (ticks.len() - 1) as f64 } else { x1 - x0 };
    let step = label_step(&widths, spacing, 8.0);
    for (k, t) in tick_labels.iter().enumerate() {
        let x = scale.map(t.value);
        c.line(vec![(x, y0), (x, y1)], Role::Grid, 1);
        if k % step == 0 {
            c.text(
                axis::flush(x, &t.label, TICK, x0 - 8.0, c.width as f64),
                y1 + 14.0,
                t.label.clone(),
                TICK,
                Role::Muted,
                Align::Middle,
            );
        }
    }
    let base = if data.spec.log { x0 } else { scale.map(0.0) };
    for i in 0..n {
        let cy = y0 + row_h * (i as f64 + 0.5);
        c.text(x0 - 8.0, cy, axis::fit_text(&labels[i], TICK, max_label), TICK, Role::Text, Align::End);
        let (mut up, mut down) = (0.0, 0.0);
        let mut end = base;
        for (s, series) in data.y.iter().enumerate() {
            let Some(v) = series[i] else { continue };
            if grouped {
                let mid = cy - row_h / 2.0 + 4.0 + SUB * (s as f64 + 0.5);
                let tip = scale.map(v);
                c.rect(base, mid - SUB * 0.4, tip, mid + SUB * 0.4, Role::Series(s));
                let label = value_labels[s][i].clone();
                if v >= 0.0 {
                    c.text(tip + 5.0, mid, label, VALUE - 1.0, Role::Text, Align::Start);
                } else {
                    c.text(tip - 5.0, mid, label, VALUE - 1.0, Role::Text, Align::End);
                }
            } else {
                let (from, to) = stack_on(&mut up, &mut down, v);
                c.rect(scale.map(from), cy - 24.0 * 0.34, scale.map(to), cy + 24.0 * 0.34, Role::Series(s));
                end = end.max(scale.map(to)).max(scale.map(from));
            }
        }
        if !grouped && let Some(label) = value_labels.first().map(|l| l[i].clone()) {
            c.text(end + 5.0, cy, label, VALUE, Role::Text, Align::Start);
        }
    }
    c.line(vec![(base, y0), (base, y1)], Role::Axis, 1);
    if let Some(label) = &data.spec.y_label {
        c.text(4.0, 14.0, label.clone(), TICK, Role::Muted, Align::Start);
    }
    if let Some(label) = &data.spec.x_label {
        c.text((x0 + x1) / 2.0, height - 12.0, label.clone(), TICK, Role::Muted, Align::Middle);
    }
    draw_legend(&mut c, &data.names, &legend_at);
    for (k, r) in data.rules(RuleAxis::Y).enumerate() {
        let x = scale.map(r.at);
        let row_y = y0 - RULE_ROW * (rules - k as f64 - 0.5);
        c.line(vec![(x, row_y + 6.0), (x, y1)], Role::Text, 1);
        let label = data.rule_label(r);
        c.text(axis::flush(x, &label, RULE, x0, c.width as f64), row_y, label, RULE, Role::Text, Align::Middle);
    }
    c
}

/// A histogram's bins: each row's lower edge, the bins' width (the smallest
/// gap between consecutive edges, 1 for a single bin), and the range from
/// the lowest edge to the end of the last bin; `None` without rows.
pub(super) fn bins(data: &Data<'_>) -> Option<(Vec<f64>, f64, f64, f64)> {
    let xs: Vec<f64> = data.x.iter().map(|v| v.as_f64().unwrap_or(0.0)).collect();
    let mut sorted = xs.clone();
    sorted.sort_by(f64::total_cmp);
    let width = sorted.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 0.0).fold(f64::INFINITY, f64::min);
    let width = if width.is_finite() { width } else { 1.0 };
    let (lo, hi) = (*sorted.first()?, sorted.last()? + width);
    Some((xs, width, lo, hi))
}

/// Touching bars over numeric bins; `x` is each bin's lower edge and bins are
/// as wide as the smallest gap between consecutive edges.
pub fn histogram(data: &Data<'_>) -> Canvas {
    let mut c = Canvas::new(data.width, HEIGHT as u32);
    let values = &data.y[0];
    let Some((xs, width, lo, hi)) = bins(data) else { return c };
    let (lo, hi) = data.x_range(lo, hi);
    let max = values.iter().flatten().copied().fold(0.0, f64::max);
    let (_, max) = data.y_range(0.0, max);
    let f = value_axis(&mut c, data, 0.0, max, true, 1);
    let xscale = Scale { lo, hi, from: f.x0, to: f.x1, log: false };
    let all_int = xs.iter().all(|x| x.fract() == 0.0) && width.fract() == 0.0;
    let ticks = if all_int { axis::integer_ticks(lo, hi, 8) } else { axis::linear_ticks(lo, hi, 8) };
    let ticks: Vec<f64> = ticks.into_iter().filter(|t| *t >= lo && *t <= hi).collect();
    let tick_labels = axis::format_x_ticks(axis::label_ticks(&ticks, false), data.spec.x_format, false);
    let widths: Vec<f64> = tick_labels.iter().map(|t| text_width(&t.label, TICK)).collect();
    let spacing = if ticks.len() > 1 { xscale.map(ticks[1]) - xscale.map(ticks[0]) } else { f.x1 - f.x0 };
    let step = label_step(&widths, spacing, 8.0);
    let base = if data.spec.log { f.y1 } else { f.scale.map(0.0) };
    for (x, v) in xs.iter().zip(values) {
        if let Some(v) = v {
            let (a, b) = (xscale.map(*x), xscale.map(x + width));
            c.rect(a + 0.5, base, (b - 0.5).max(a + 1.0), f.scale.map(*v), Role::Series(0));
        }
    }
    for (k, t) in tick_labels.iter().enumerate() {
        if k % step == 0 {
            let x = xscale.map(t.value);
            c.line(vec![(x, f.y1), (x, f.y1 + 4.0)], Role::Axis, 1);
            let at = axis::flush(x, &t.label, TICK, f.x0, c.width as f64);
            c.text(at, f.y1 + 14.0, t.label.clone(), TICK, Role::Muted, Align::Middle);
        }
    }
    c.line(vec![(f.x0, base), (f.x1, base)], Role::Axis, 1);
    draw_rules(&mut c, data, &f, Some(&xscale));
    c
}

/// Where a value goes on a stack: from the top of the positive values
/// upward, or from the bottom of the negative ones downward (`up` and
/// `down` then move by it).
fn stack_on(up: &mut f64, down: &mut f64, v: f64) -> (f64, f64) {
    let end = if v >= 0.0 { up } else { down };
    *end += v;
    (*end - v, *end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_keeps_its_name() {
        let days: Vec<String> =
            ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"].map(String::from).to_vec();
        // wide: one row; narrower: two staggered rows, nothing dropped
        assert!(category_labels(&days, 100.0, false).iter().all(|(_, row)| *row == 0));
        let staggered = category_labels(&days, 45.0, false);
        assert_eq!(
            staggered.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(),
            days.iter().map(String::as_str).collect::<Vec<_>>()
        );
        assert_eq!(staggered.iter().map(|(_, r)| *r).collect::<Vec<_>>(), [0, 1, 0, 1, 0, 1, 0]);
        // very narrow: shortened, never left out
        let short = category_labels(&days, 20.0, false);
        assert_eq!(short.len(), 7);
        assert!(
            short.iter().all(|(l, _)| l.ends_with('…') && text_width(l, TICK) <= 40.0 - LABEL_GAP - 4.0),
            "{short:?}"
        );
        // years: every k-th, on one row
        let years: Vec<String> = (2000..2019).map(|y| y.to_string()).collect();
        let thinned = category_labels(&years, 15.0, true);
        assert!(thinned.iter().all(|(_, row)| *row == 0));
        let shown: Vec<&str> = thinned.iter().map(|(l, _)| l.as_str()).filter(|l| !l.is_empty()).collect();
        assert_eq!(shown, ["2000", "2003", "2006", "2009", "2012", "2015", "2018"]);
    }

    #[test]
    fn label_step_spaces_labels() {
        assert_eq!(label_step(&[20.0, 20.0], 40.0, 6.0), 1);
        assert_eq!(label_step(&[30.0, 30.0], 20.0, 6.0), 2);
        assert_eq!(label_step(&[30.0], 0.0, 6.0), 1);
    }
}
