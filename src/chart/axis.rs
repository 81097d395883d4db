//! Axis arithmetic: ranges, "nice" tick positions and tick labels, for linear,
//! logarithmic and date axes. Pure functions, so they are tested without
//! drawing anything.

use chrono::{Datelike, NaiveDate};

/// A tick: its position in data units and its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// Position in data units (days since 1970-01-01 for dates).
    pub value: f64,
    /// The text under or beside the tick.
    pub label: String,
}

/// Rounds `x` to a "nice" number: 1, 2, 2.5 or 5 times a power of ten, at
/// least `x` (`ceil`) or nearest (`!ceil`).
fn nice_step(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 1.0;
    }
    let exp = x.log10().floor();
    let base = 10f64.powf(exp);
    let fraction = x / base;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 2.5 {
        2.5
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * base
}

/// Nice ticks covering `[min, max]` with about `target` intervals. The first
/// tick is at or below `min`, the last at or above `max`; an empty or
/// single-valued range is widened so there are always at least two ticks.
pub fn linear_ticks(min: f64, max: f64, target: usize) -> Vec<f64> {
    let (mut lo, mut hi) = if min <= max { (min, max) } else { (max, min) };
    if !lo.is_finite() || !hi.is_finite() {
        return vec![0.0, 1.0];
    }
    if hi - lo < f64::EPSILON * hi.abs().max(1.0) {
        // one value: show a range around it that includes it
        if lo == 0.0 {
            hi = 1.0;
        } else if lo > 0.0 {
            lo = 0.0;
        } else {
            hi = 0.0;
        }
    }
    let step = nice_step((hi - lo) / target.max(1) as f64);
    let first = (lo / step).floor();
    let last = (hi / step).ceil();
    let count = (last - first) as i64;
    (0..=count).map(|i| clean((first + i as f64) * step)).collect()
}

/// Integer ticks for counts or years: like [`linear_ticks`], but never a
/// fractional step.
pub fn integer_ticks(min: f64, max: f64, target: usize) -> Vec<f64> {
    let ticks = linear_ticks(min, max, target);
    if ticks.len() >= 2 && ticks[1] - ticks[0] >= 1.0 {
        return ticks;
    }
    let lo = min.min(max).floor();
    let hi = max.max(min).ceil().max(lo + 1.0);
    (lo as i64..=hi as i64).map(|v| v as f64).collect()
}

/// Powers of ten covering `[min, max]` (both > 0) for a log axis.
pub fn log_ticks(min: f64, max: f64) -> Vec<f64> {
    let lo = if min > 0.0 { min.log10().floor() as i32 } else { 0 };
    let hi = if max > 0.0 { max.log10().ceil() as i32 } else { 1 };
    let hi = hi.max(lo + 1);
    (lo..=hi).map(|e| 10f64.powi(e)).collect()
}

/// Removes floating noise (0.30000000000000004 -> 0.3).
fn clean(v: f64) -> f64 {
    let r = (v * 1e9).round() / 1e9;
    if r == 0.0 { 0.0 } else { r }
}

/// A short label for an axis value: `950`, `2005`, `12k`, `1.5M`, `0.25`.
/// Numbers below 10,000 print in full without separators, so years read as years.
pub fn compact(v: f64) -> String {
    let (text, suffix) = compact_parts(v);
    format!("{}{suffix}", crate::format::decimal_text(&text))
}

/// A compact number as ASCII digits and its unit suffix (`2.5`, `k`).
fn compact_parts(v: f64) -> (String, &'static str) {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "B")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let mut text = format!("{:.2}", scaled);
    while text.contains('.') && (text.ends_with('0') || text.ends_with('.')) {
        text.pop();
    }
    if text == "-0" {
        text = "0".into();
    }
    (text, suffix)
}

/// Labels for the ticks of one axis: compact numbers sharing one unit (`5k`,
/// `10k`, `15k`, never `5000` beside `10k`), percentages when `percent`.
pub fn label_ticks(values: &[f64], percent: bool) -> Vec<Tick> {
    label_axis(values, percent, false)
}

/// Labels for value-axis ticks; on a log axis each decade gets its own unit
/// (`1`, `10`, `100`, `1000`, `10k`).
pub fn label_axis(values: &[f64], percent: bool, log: bool) -> Vec<Tick> {
    if log && !percent {
        return values.iter().map(|&v| Tick { value: v, label: compact(v) }).collect();
    }
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let (divisor, suffix) = if percent {
        (0.01, "%")
    } else if largest >= 1e9 {
        (1e9, "B")
    } else if largest >= 1e6 {
        (1e6, "M")
    } else if largest >= 1e4 {
        (1e3, "k")
    } else {
        (1.0, "")
    };
    values
        .iter()
        .map(|&v| {
            let label = match (v == 0.0, percent) {
                (true, _) => "0".to_string(),
                // a share in the page's locale: `25%`, `25 %`
                (false, true) => crate::format::percent_text(&compact_parts(v / divisor).0),
                (false, false) => format!("{}{suffix}", compact(v / divisor)),
            };
            Tick { value: v, label }
        })
        .collect()
}

/// Labels for ticks by the chart's format when it has one (`int` gives
/// `3,000`, `dec(1)` gives `2.5`, `year` gives `2008`); without one, or
/// with `pct`, as [`label_axis`] makes them.
pub fn format_ticks(values: &[f64], format: Option<crate::format::Format>, log: bool) -> Vec<Tick> {
    use crate::format::Format;
    match format {
        None | Some(Format::Auto) => label_axis(values, false, log),
        Some(Format::Pct(_)) => label_axis(values, true, log),
        // no more decimals than the ticks need (`3.5`, not `3.50`), never more than the format's
        Some(Format::Dec(n)) => {
            let needed =
                (0..n).find(|d| values.iter().all(|v| (v * 10f64.powi(*d as i32)).fract().abs() < 1e-9)).unwrap_or(n);
            let f = Format::Dec(needed);
            values.iter().map(|&v| Tick { value: v, label: f.apply(&crate::table::Value::Float(v)) }).collect()
        }
        Some(f) => values.iter().map(|&v| Tick { value: v, label: f.apply(&crate::table::Value::Float(v)) }).collect(),
    }
}

/// Tick labels of an x axis by the chart's `x_format`, when it has one:
/// dates through it as dates (`month` gives `March 2008`), numbers as
/// numbers; a label equal to the one before it is left empty (monthly ticks
/// with `year` would repeat it).
pub fn format_x_ticks(ticks: Vec<Tick>, format: Option<crate::format::Format>, dates: bool) -> Vec<Tick> {
    let Some(format) = format else { return ticks };
    let mut out: Vec<Tick> = Vec::with_capacity(ticks.len());
    let mut last = String::new();
    for t in ticks {
        let label = match (dates, from_days(t.value)) {
            (true, Some(d)) => format.apply(&crate::table::Value::Date(d)),
            (true, None) => t.label,
            (false, _) => format.apply(&crate::table::Value::Float(t.value)),
        };
        let shown = if label == last { String::new() } else { label.clone() };
        last = label;
        out.push(Tick { value: t.value, label: shown });
    }
    out
}

/// `YYYY-MM-DD` of days since 1970.
pub fn date_label(days: f64) -> String {
    from_days(days).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// Where a value sits on a numeric or date axis: a number, or a date's
/// days since 1970-01-01.
pub fn x_number(v: &crate::table::Value) -> Option<f64> {
    match v {
        crate::table::Value::Date(d) => Some(days(*d)),
        v => v.as_f64(),
    }
}

/// Days since 1970-01-01 of a date.
pub fn days(d: NaiveDate) -> f64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (d - epoch).num_days() as f64
}

fn from_days(v: f64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::days(v.round() as i64))
}

/// Ticks for a date axis between two day numbers: on January 1st of every
/// 1, 2, 5, 10... years for long ranges, else on the first of every 1, 2, 3 or
/// 6 months, else on days. At most about `target` ticks, all inside the range.
pub fn date_ticks(min: f64, max: f64, target: usize) -> Vec<Tick> {
    let (Some(start), Some(end)) = (from_days(min.min(max)), from_days(max.max(min))) else {
        return Vec::new();
    };
    let target = target.max(2) as i32;
    let months = (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32;
    let mut ticks = Vec::new();
    if months >= 24 {
        let years = end.year() - start.year();
        let step = [1, 2, 5, 10, 20, 50, 100].into_iter().find(|s| years / s < target).unwrap_or(100);
        let mut y = start.year() + if start.month() == 1 && start.day() == 1 { 0 } else { 1 };
        y = (y + step - 1) / step * step;
        while let Some(d) = NaiveDate::from_ymd_opt(y, 1, 1) {
            if d > end {
                break;
            }
            ticks.push(Tick { value: days(d), label: y.to_string() });
            y += step;
        }
    } else if months >= 2 {
        let step = [1, 2, 3, 6, 12].into_iter().find(|s| months / s < target).unwrap_or(12);
        let mut m0 = start.year() * 12 + start.month0() as i32 + if start.day() == 1 { 0 } else { 1 };
        m0 = (m0 + step - 1) / step * step;
        while let Some(d) = NaiveDate::from_ymd_opt(m0.div_euclid(12), m0.rem_euclid(12) as u32 + 1, 1) {
            if d > end {
                break;
            }
            ticks.push(Tick { value: days(d), label: d.format("%b %Y").to_string() });
            m0 += step;
        }
    } else {
        let span = ((max - min).abs() as i64).max(1);
        let step = [1, 2, 7, 14].into_iter().find(|s| span / s < target as i64).unwrap_or(14);
        let mut d = start;
        while d <= end {
            ticks.push(Tick { value: days(d), label: d.format("%Y-%m-%d").to_string() });
            d = match d.checked_add_signed(chrono::Duration::days(step)) {
                Some(next) => next,
                None => break,
            };
        }
    }
    ticks
}

/// The estimated width of `text` at `size` px in a sans-serif font. Browsers
/// differ; the estimate errs wide so labels placed apart by it do not touch.
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | '\'' | '|' | '!' | ':' | ';' | ' ' => 0.3,
            'f' | 't' | 'r' | 'I' | '(' | ')' | '-' => 0.4,
            'm' | 'w' | 'M' | 'W' => 0.9,
            c if c.is_ascii_uppercase() => 0.7,
            c if c.is_ascii_digit() => 0.58,
            _ => 0.58,
        })
        .sum::<f64>()
        * size
}

/// The centre for a label of `text` meant to sit centred at `x`, moved as
/// little as needed to stay within `lo..hi`: the first and last tick labels
/// of an x axis stay clear of the y axis labels and of the canvas edge.
pub fn flush(x: f64, text: &str, size: f64, lo: f64, hi: f64) -> f64 {
    let half = text_width(text, size) / 2.0;
    if x - half < lo {
        lo + half
    } else if x + half > hi {
        (hi - half).max(lo + half)
    } else {
        x
    }
}

/// Shortens `text` with an ellipsis so it fits `width` px at `size`.
pub fn fit_text(text: &str, size: f64, width: f64) -> String {
    if text_width(text, size) <= width {
        return text.to_string();
    }
    let mut out: String = text.to_string();
    while !out.is_empty() && text_width(&format!("{out}…"), size) > width {
        out.pop();
    }
    format!("{}…", out.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flush_keeps_labels_inside() {
        let w = text_width("2000", 14.0) / 2.0;
        assert_eq!(flush(100.0, "2000", 14.0, 40.0, 500.0), 100.0);
        assert_eq!(flush(42.0, "2000", 14.0, 40.0, 500.0), 40.0 + w);
        assert_eq!(flush(499.0, "2000", 14.0, 40.0, 500.0), 500.0 - w);
    }

    #[test]
    fn linear_ticks_cover_the_data_with_nice_steps() {
        assert_eq!(linear_ticks(0.0, 10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(linear_ticks(0.0, 7.3, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(linear_ticks(3.2, 4.9, 4), vec![3.0, 3.5, 4.0, 4.5, 5.0]);
        assert_eq!(linear_ticks(0.0, 0.3, 3), vec![0.0, 0.1, 0.2, 0.3]);
        let t = linear_ticks(-7.0, 12.0, 5);
        assert!(t[0] <= -7.0 && *t.last().unwrap() >= 12.0);
    }

    #[test]
    fn degenerate_ranges_still_give_two_ticks() {
        assert!(linear_ticks(5.0, 5.0, 5).len() >= 2);
        assert_eq!(linear_ticks(0.0, 0.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert!(linear_ticks(-3.0, -3.0, 5).contains(&0.0));
        assert_eq!(linear_ticks(f64::NAN, 1.0, 5), vec![0.0, 1.0]);
    }

    #[test]
    fn ticks_always_contain_the_range() {
        for (lo, hi) in [(0.0, 1.0), (1.0, 1e9), (0.001, 0.002), (-5.0, 5.0), (17.0, 4093.0), (2000.0, 2018.0)] {
            for target in 2..9 {
                let t = linear_ticks(lo, hi, target);
                assert!(t[0] <= lo && *t.last().unwrap() >= hi, "{lo}..{hi} with {target}: {t:?}");
                assert!(t.len() <= 2 * target + 2, "{lo}..{hi}: too many ticks {t:?}");
            }
        }
    }

    #[test]
    fn integer_ticks_never_split_units() {
        assert_eq!(integer_ticks(0.0, 3.0, 10), vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(integer_ticks(2000.0, 2018.0, 5), vec![2000.0, 2005.0, 2010.0, 2015.0, 2020.0]);
    }

    #[test]
    fn log_ticks_are_decades() {
        assert_eq!(log_ticks(3.0, 4500.0), vec![1.0, 10.0, 100.0, 1000.0, 10000.0]);
        assert_eq!(log_ticks(1.0, 1.0), vec![1.0, 10.0]);
    }

    #[test]
    fn compact_labels() {
        assert_eq!(compact(0.0), "0");
        assert_eq!(compact(2005.0), "2005");
        assert_eq!(compact(12000.0), "12k");
        assert_eq!(compact(1_500_000.0), "1.5M");
        assert_eq!(compact(0.25), "0.25");
        assert_eq!(compact(-2.5e9), "-2.5B");
        assert_eq!(label_ticks(&[0.5], true)[0].label, "50%");
        let labels: Vec<String> =
            label_ticks(&[0.0, 5000.0, 10000.0, 15000.0], false).into_iter().map(|t| t.label).collect();
        assert_eq!(labels, ["0", "5k", "10k", "15k"]);
        let labels: Vec<String> = label_ticks(&[2000.0, 2010.0], false).into_iter().map(|t| t.label).collect();
        assert_eq!(labels, ["2000", "2010"]);
        let labels: Vec<String> =
            label_axis(&[1.0, 10.0, 100.0, 10000.0], false, true).into_iter().map(|t| t.label).collect();
        assert_eq!(labels, ["1", "10", "100", "10k"]);
    }

    #[test]
    fn date_ticks_pick_years_months_or_days() {
        let d = |y, m, dd| days(NaiveDate::from_ymd_opt(y, m, dd).unwrap());
        let years = date_ticks(d(2000, 1, 25), d(2018, 12, 20), 8);
        assert_eq!(years.iter().map(|t| t.label.as_str()).collect::<Vec<_>>(), ["2005", "2010", "2015"]);
        let y2 = date_ticks(d(2000, 1, 1), d(2006, 6, 1), 8);
        assert_eq!(y2[0].label, "2000");
        let months = date_ticks(d(2008, 1, 15), d(2008, 7, 1), 8);
        assert_eq!(months[0].label, "Feb 2008");
        assert!(months.iter().all(|t| t.value >= d(2008, 1, 15) && t.value <= d(2008, 7, 1)));
        let days_ = date_ticks(d(2008, 1, 1), d(2008, 1, 5), 8);
        assert_eq!(days_.len(), 5);
    }

    #[test]
    fn text_fits() {
        assert_eq!(fit_text("short", 13.0, 200.0), "short");
        let long = fit_text("a very long ingredient name indeed", 13.0, 80.0);
        assert!(long.ends_with('…'));
        assert!(text_width(&long, 13.0) <= 80.0);
    }
}

/// Maps data values to pixels along one axis, linearly or by log10.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    /// The data value at pixel `from`.
    pub lo: f64,
    /// The data value at pixel `to`.
    pub hi: f64,
    /// Pixel of `lo`.
    pub from: f64,
    /// Pixel of `hi`.
    pub to: f64,
    /// Logarithmic (values must be > 0).
    pub log: bool,
}

impl Scale {
    /// The pixel of `v`; on a log scale, values at or below zero map to `from`.
    pub fn map(&self, v: f64) -> f64 {
        let t = if self.log {
            if v <= 0.0 {
                return self.from;
            }
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else if self.hi == self.lo {
            0.0
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        self.from + t * (self.to - self.from)
    }
}

/// The value-axis ticks for values in `[min, max]`: powers of ten on a log
/// scale, else nice linear ticks (including zero when `zero`), whole numbers
/// only when `integer` (counts: no `0.5` of a review).
pub fn value_ticks(min: f64, max: f64, log: bool, zero: bool, integer: bool, target: usize) -> Vec<f64> {
    let (lo, hi) = if zero { (min.min(0.0), max.max(0.0)) } else { (min, max) };
    if log {
        let positive_min = if min > 0.0 { min } else { 1.0 };
        log_ticks(positive_min, max.max(positive_min))
    } else if integer {
        integer_ticks(lo, hi, target)
    } else {
        linear_ticks(lo, hi, target)
    }
}

#[cfg(test)]
mod scale_tests {
    use super::*;

    #[test]
    fn maps_linear_and_log() {
        let s = Scale { lo: 0.0, hi: 10.0, from: 100.0, to: 0.0, log: false };
        assert_eq!(s.map(5.0), 50.0);
        let l = Scale { lo: 1.0, hi: 1000.0, from: 0.0, to: 300.0, log: true };
        assert!((l.map(100.0) - 200.0).abs() < 1e-9);
        assert_eq!(l.map(0.0), 0.0);
        assert_eq!(value_ticks(3.0, 700.0, true, true, false, 5), vec![1.0, 10.0, 100.0, 1000.0]);
        assert_eq!(value_ticks(3.0, 7.0, false, true, false, 5)[0], 0.0);
        // counts: whole numbers only
        assert_eq!(value_ticks(0.0, 2.0, false, true, false, 5), vec![0.0, 0.5, 1.0, 1.5, 2.0]);
        assert_eq!(value_ticks(0.0, 2.0, false, true, true, 5), vec![0.0, 1.0, 2.0]);
        assert_eq!(value_ticks(0.0, 3000.0, false, true, true, 5), vec![0.0, 1000.0, 2000.0, 3000.0]);
    }

    #[test]
    fn ticks_follow_the_charts_format() {
        use crate::format::Format;
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        let labels =
            |f| format_ticks(&[0.0, 1500.0, 3000.0], f, false).into_iter().map(|t| t.label).collect::<Vec<_>>();
        assert_eq!(labels(None), ["0", "1500", "3000"]);
        assert_eq!(labels(Some(Format::Int)), ["0", "1,500", "3,000"]);
        assert_eq!(labels(Some(Format::Dec(1))), ["0", "1,500", "3,000"], "no decimals the ticks do not need");
        let halves = format_ticks(&[3.0, 3.5, 4.0], Some(Format::Dec(2)), false);
        assert_eq!(halves.iter().map(|t| t.label.as_str()).collect::<Vec<_>>(), ["3.0", "3.5", "4.0"]);
        let years = format_x_ticks(date_ticks(days(d(2008, 1, 1)), days(d(2008, 6, 1)), 8), Some(Format::Year), true);
        assert_eq!(
            years.iter().filter(|t| !t.label.is_empty()).map(|t| t.label.as_str()).collect::<Vec<_>>(),
            ["2008"]
        );
        let months = format_x_ticks(date_ticks(days(d(2008, 1, 1)), days(d(2008, 3, 1)), 8), Some(Format::Month), true);
        assert_eq!(months[0].label, "January 2008", "{months:?}");
        let shares = format_ticks(&[0.0, 0.25, 0.5], Some(Format::Pct(1)), false);
        assert_eq!(shares.iter().map(|t| t.label.as_str()).collect::<Vec<_>>(), ["0", "25%", "50%"]);
    }
}
