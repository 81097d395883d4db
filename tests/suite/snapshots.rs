//! Snapshots: the SVG of each chart kind from a fixed table, and the `<main>`
//! of a rendered page. Review changes with `cargo insta review`.

use crate::common::{Site, main_of};
use chrono::NaiveDate;
use mangetamain::chart::{self, ChartKind, ChartSpec};
use mangetamain::error::Located;
use mangetamain::error::Location;
use mangetamain::format::Format;
use mangetamain::table::{Column, ColumnType, Table, Value};

fn at() -> Location {
    Location { path: "t.md".into(), line: 1, column: 1 }
}

fn named(s: &str) -> Located<String> {
    Located { value: s.into(), location: at() }
}

fn spec(kind: ChartKind, x: &str, y: &[&str]) -> ChartSpec {
    ChartSpec {
        kind,
        query: named("q"),
        x: named(x),
        y: y.iter().map(|s| named(s)).collect(),
        title: "A <title>".into(),
        caption: String::new(),
        x_label: Some("x axis".into()),
        y_label: Some("values".into()),
        log: false,
        x_format: None,
        y_format: Some(Format::Int),
        series: Vec::new(),
        value: None,
        rules: Vec::new(),
        color: None,
        stack: chart::Stack::Stacked,
        facet: None,
        facet_scales: chart::FacetScales::Shared,
        defined_at: at(),
    }
}

fn table() -> Table {
    let d = |m| Value::Date(NaiveDate::from_ymd_opt(2008, m, 1).unwrap());
    Table {
        columns: vec![
            Column { name: "label".into(), kind: ColumnType::Text },
            Column { name: "bin".into(), kind: ColumnType::Number },
            Column { name: "month".into(), kind: ColumnType::Date },
            Column { name: "a".into(), kind: ColumnType::Number },
            Column { name: "b".into(), kind: ColumnType::Number },
        ],
        rows: vec![
            vec![Value::Text("salt".into()), Value::Int(0), d(1), Value::Int(120), Value::Int(80)],
            vec![Value::Text("butter & eggs".into()), Value::Int(10), d(2), Value::Int(3400), Value::Int(900)],
            vec![
                Value::Text("a very long ingredient name that must be shortened".into()),
                Value::Int(20),
                d(3),
                Value::Int(15),
                Value::Null,
            ],
            vec![Value::Text("sugar".into()), Value::Int(30), d(4), Value::Int(780), Value::Int(400)],
            vec![Value::Text("onion".into()), Value::Int(40), d(5), Value::Int(2), Value::Int(1)],
        ],
    }
}

fn svg(spec: &ChartSpec) -> String {
    let chart = chart::render(spec, &table(), "c").unwrap();
    roxmltree::Document::parse(&chart.svg).unwrap_or_else(|e| panic!("invalid SVG: {e}"));
    chart.svg
}

#[test]
fn svg_bar() {
    insta::assert_snapshot!(svg(&spec(ChartKind::Bar, "label", &["a"])));
}

#[test]
fn svg_bar_log() {
    let mut s = spec(ChartKind::Bar, "label", &["a"]);
    s.log = true;
    insta::assert_snapshot!(svg(&s));
}

#[test]
fn svg_hbar() {
    insta::assert_snapshot!(svg(&spec(ChartKind::HBar, "label", &["a"])));
}

#[test]
fn svg_line_dates_two_series() {
    let mut s = spec(ChartKind::Line, "month", &["a", "b"]);
    s.series = vec!["first".into(), "second".into()];
    insta::assert_snapshot!(svg(&s));
}

#[test]
fn svg_histogram() {
    insta::assert_snapshot!(svg(&spec(ChartKind::Histogram, "bin", &["a"])));
}

/// No two texts of an SVG overlap, as the layout estimates their widths.
fn assert_no_overlap(svg: &str, what: &str) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let mut boxes = Vec::new();
    for t in doc.descendants().filter(|n| n.has_tag_name("text")) {
        let x: f64 = t.attribute("x").unwrap().parse().unwrap();
        let y: f64 = t.attribute("y").unwrap().parse().unwrap();
        let size: f64 = t.attribute("font-size").unwrap().parse().unwrap();
        let text = t.text().unwrap_or("").trim();
        let w = chart::axis::text_width(text, size);
        let x0 = match t.attribute("text-anchor") {
            Some("middle") => x - w / 2.0,
            Some("end") => x - w,
            _ => x,
        };
        boxes.push((x0, y - size / 2.0, x0 + w, y + size / 2.0, text.to_string()));
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let overlap = a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3;
            assert!(!overlap, "{what}: `{}` overlaps `{}`", a.4, b.4);
        }
    }
}

fn rule(axis: chart::RuleAxis, value: f64, date: bool, label: &str) -> chart::Rule {
    chart::Rule { axis, at: value, date, label: label.into(), defined_at: at() }
}

#[test]
fn chart_text_does_not_overlap() {
    // tick labels of every kind keep apart, as the layout estimates them,
    // and so do the labels of reference lines, however close their values
    for kind in [ChartKind::Bar, ChartKind::HBar, ChartKind::Line, ChartKind::Histogram] {
        let x = match kind {
            ChartKind::Line => "month",
            ChartKind::Histogram => "bin",
            _ => "label",
        };
        let mut with_rules = spec(kind, x, &["a"]);
        with_rules.rules =
            vec![rule(chart::RuleAxis::Y, 3000.0, false, "target"), rule(chart::RuleAxis::Y, 2950.0, false, "")];
        match kind {
            ChartKind::Line => {
                let day = |m| chart::axis::days(NaiveDate::from_ymd_opt(2008, m, 1).unwrap());
                with_rules.rules.push(rule(chart::RuleAxis::X, day(2), true, "a redesign"));
                with_rules.rules.push(rule(chart::RuleAxis::X, day(2) + 3.0, true, "a second event nearby"));
            }
            ChartKind::Histogram => with_rules.rules.push(rule(chart::RuleAxis::X, 25.0, false, "median")),
            _ => {}
        }
        for s in [spec(kind, x, &["a"]), with_rules] {
            let chart = chart::render(&s, &table(), "c").unwrap();
            for out in [&chart.svg, &chart.svg_narrow] {
                assert_no_overlap(out, &format!("{kind:?} with {} rules", s.rules.len()));
            }
        }
    }
}

#[test]
fn rules_are_drawn_labelled_and_described() {
    let mut s = spec(ChartKind::Line, "month", &["a", "b"]);
    let day = chart::axis::days(NaiveDate::from_ymd_opt(2008, 3, 1).unwrap());
    s.rules = vec![rule(chart::RuleAxis::Y, 1000.0, false, "target"), rule(chart::RuleAxis::X, day, true, "")];
    let chart = chart::render(&s, &table(), "r").unwrap();
    assert!(chart.svg.contains(">\ntarget\n<") && chart.svg.contains(">\n2008-03-01\n<"), "{}", chart.svg);
    assert!(chart.description.ends_with(" Reference lines: target at 1,000; at 2008-03-01."), "{}", chart.description);
    insta::assert_snapshot!("svg_line_with_rules", chart.svg);
    // a rule of the wrong kind for its chart is an error at the rule
    let mut bar = spec(ChartKind::Bar, "label", &["a"]);
    bar.rules = vec![rule(chart::RuleAxis::X, 1.0, false, "")];
    assert!(chart::render(&bar, &table(), "e").unwrap_err().message.contains("its rules are `y = VALUE`"));
    let mut line = spec(ChartKind::Line, "month", &["a"]);
    line.rules = vec![rule(chart::RuleAxis::X, 3.0, false, "")];
    assert!(chart::render(&line, &table(), "e").unwrap_err().message.contains("holds dates"));
}

#[test]
fn page_main_snapshot() {
    let site = Site::fixture("minimal");
    site.build().unwrap();
    let index = site.read("index.html");
    insta::assert_snapshot!("minimal_index_main", main_of(&index));
    let about = site.read("about.html");
    insta::assert_snapshot!("minimal_about_main", main_of(&about));
}

#[test]
fn svg_heatmap() {
    let table = Table {
        columns: vec![
            Column { name: "year".into(), kind: ColumnType::Number },
            Column { name: "rating".into(), kind: ColumnType::Number },
            Column { name: "share".into(), kind: ColumnType::Number },
        ],
        rows: [(2001, 1, 0.1), (2001, 2, 0.9), (2002, 1, 0.0), (2002, 2, 1.0)]
            .iter()
            .map(|&(y, r, s)| vec![Value::Int(y), Value::Int(r), Value::Float(s)])
            .collect(),
    };
    let mut s = spec(ChartKind::HeatMap, "year", &["rating"]);
    s.value = Some(named("share"));
    s.y_format = Some(Format::Pct(0));
    let chart = chart::render(&s, &table, "h").unwrap();
    roxmltree::Document::parse(&chart.svg).unwrap();
    assert!(chart.description.contains("Largest: 100% at year 2002, 2"), "{}", chart.description);
    insta::assert_snapshot!(chart.svg);
}

#[test]
fn svg_heatmap_with_values_below_zero() {
    // z-scores: the negative cells must show, in a colour of their own
    let table = Table {
        columns: vec![
            Column { name: "feature".into(), kind: ColumnType::Text },
            Column { name: "segment".into(), kind: ColumnType::Number },
            Column { name: "z".into(), kind: ColumnType::Number },
        ],
        rows: [("a", 1, -1.5), ("b", 1, 0.5), ("a", 2, 0.75), ("b", 2, -0.25)]
            .iter()
            .map(|&(f, g, z)| vec![Value::Text(f.into()), Value::Int(g), Value::Float(z)])
            .collect(),
    };
    let mut s = spec(ChartKind::HeatMap, "feature", &["segment"]);
    s.value = Some(named("z"));
    s.y_format = Some(Format::Dec(1));
    let chart = chart::render(&s, &table, "h").unwrap();
    let doc = roxmltree::Document::parse(&chart.svg).unwrap();
    let fill = |color: &'static str| {
        doc.descendants().filter(move |n| n.has_tag_name("rect") && n.attribute("fill") == Some(color))
    };
    // 2 cells and 5 legend shades each side; -1.5 is the darkest (no opacity)
    assert_eq!((fill("#006197").count(), fill("#954200").count()), (7, 7), "{}", chart.svg);
    assert_eq!(fill("#954200").find(|n| n.attribute("opacity").is_none()).and_then(|n| n.attribute("y")), Some("31"));
    assert!(chart.description.contains("Smallest: -1.5 at feature a, 1"), "{}", chart.description);
    insta::assert_snapshot!(chart.svg);
}

#[test]
fn svg_line_with_counts() {
    let mut s = spec(ChartKind::Line, "bin", &["b"]);
    s.value = Some(named("a"));
    insta::assert_snapshot!(svg(&s));
}

#[test]
fn value_must_exist_and_be_numeric() {
    let mut s = spec(ChartKind::Line, "bin", &["b"]);
    s.value = Some(named("label"));
    assert!(chart::render(&s, &table(), "c").unwrap_err().message.contains("not numeric"));
    s.value = Some(named("nope"));
    assert!(chart::render(&s, &table(), "c").unwrap_err().message.contains("unknown column `nope`"));
    let mut b = spec(ChartKind::Bar, "label", &["a"]);
    b.value = Some(named("b"));
    assert!(chart::render(&b, &table(), "c").unwrap_err().message.contains("`value` applies to"));
}

#[test]
fn every_weekday_keeps_its_label_in_both_renditions() {
    let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    let table = Table {
        columns: vec![
            Column { name: "day".into(), kind: ColumnType::Text },
            Column { name: "n".into(), kind: ColumnType::Number },
        ],
        rows: days.iter().zip(1..).map(|(d, n)| vec![Value::Text((*d).into()), Value::Int(n * 1000)]).collect(),
    };
    let chart = chart::render(&spec(ChartKind::Bar, "day", &["n"]), &table, "w").unwrap();
    for svg in [&chart.svg, &chart.svg_narrow] {
        let doc = roxmltree::Document::parse(svg).unwrap();
        let texts: Vec<&str> =
            doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).map(str::trim).collect();
        for day in days {
            assert!(texts.contains(&day), "{day} missing: {texts:?}");
        }
        // the value axis follows y_format = "int"
        assert!(texts.contains(&"6,000"), "{texts:?}");
    }
    insta::assert_snapshot!("svg_bar_weekdays_narrow", chart.svg_narrow);
}

/// Long-format rows: a year, a rating and a count each, as SQL returns them.
fn long_table() -> Table {
    let mut rows = Vec::new();
    for (year, counts) in [(2006, [50, 30, 20]), (2007, [70, 20, 10]), (2008, [40, 40, 40]), (2009, [10, 5, 0])] {
        for (stars, n) in [5, 4, 3].into_iter().zip(counts) {
            rows.push(vec![Value::Int(year), Value::Text(format!("{stars} stars")), Value::Int(n)]);
        }
    }
    Table {
        columns: vec![
            Column { name: "year".into(), kind: ColumnType::Number },
            Column { name: "rating".into(), kind: ColumnType::Text },
            Column { name: "n".into(), kind: ColumnType::Number },
        ],
        rows,
    }
}

/// `n` per `year` of [`long_table`], one series per `rating`.
fn by_rating(kind: ChartKind, stack: chart::Stack) -> ChartSpec {
    let mut s = spec(kind, "year", &["n"]);
    s.color = Some(named("rating"));
    s.stack = stack;
    s.x_format = Some(Format::Text);
    s
}

#[test]
fn color_splits_rows_into_series_stacked_grouped_or_as_shares() {
    for (kind, stack, name) in [
        (ChartKind::Bar, chart::Stack::Stacked, "svg_bar_stacked"),
        (ChartKind::Bar, chart::Stack::Grouped, "svg_bar_grouped"),
        (ChartKind::Bar, chart::Stack::Percent, "svg_bar_percent"),
        (ChartKind::Line, chart::Stack::Stacked, "svg_line_by_color"),
    ] {
        let chart = chart::render(&by_rating(kind, stack), &long_table(), "c").unwrap();
        for out in [&chart.svg, &chart.svg_narrow] {
            assert_no_overlap(out, name);
            for series in ["5 stars", "4 stars", "3 stars"] {
                assert!(out.contains(&format!(">\n{series}\n<")), "{name}: no legend entry {series}");
            }
        }
        let doc = roxmltree::Document::parse(&chart.svg).unwrap();
        let rects = doc.descendants().filter(|n| n.has_tag_name("rect")).count();
        if kind == ChartKind::Bar {
            // 4 years x 3 ratings, less the zero, plus 3 legend swatches
            assert_eq!(rects, 12 + 3, "{name}");
        }
        insta::assert_snapshot!(name, chart.svg);
    }
    // percent: each year's bars fill the axis to 100%
    let mut s = spec(ChartKind::Bar, "year", &["n"]);
    s.color = Some(named("rating"));
    s.stack = chart::Stack::Percent;
    let chart = chart::render(&s, &long_table(), "p").unwrap();
    assert!(chart.svg.contains(">\n100%\n<") && !chart.svg.contains(">\n125%\n<"), "{}", chart.svg);
    // shares of 1, 6, 3 and 3 add up to a little more than one in floats: still 100% at most
    let mut thirds = long_table();
    thirds.rows = [1, 6, 3, 3]
        .iter()
        .enumerate()
        .map(|(k, n)| vec![Value::Int(2006), Value::Text(format!("{k}")), Value::Int(*n)])
        .collect();
    let chart = chart::render(&s, &thirds, "t").unwrap();
    assert!(!chart.svg.contains("125%") && !chart.svg.contains("120%"), "{}", chart.svg);
}

#[test]
fn color_errors_name_the_column() {
    let mut s = spec(ChartKind::Bar, "year", &["n"]);
    s.color = Some(named("ratings"));
    assert!(chart::render(&s, &long_table(), "e").unwrap_err().message.contains("unknown column `ratings`"));
    // one row per x and colour
    let mut twice = long_table();
    twice.rows.push(twice.rows[0].clone());
    s.color = Some(named("rating"));
    let err = chart::render(&s, &twice, "e").unwrap_err().message;
    assert!(err.contains("two rows with `year` = 2006 and `rating` = 5 stars"), "{err}");
    // at most as many series as the palette tells apart
    let mut many = long_table();
    for k in 0..4 {
        many.rows.push(vec![Value::Int(2006), Value::Text(format!("other {k}")), Value::Int(1)]);
    }
    let err = chart::render(&s, &many, "e").unwrap_err().message;
    assert!(err.contains("more than 5 values"), "{err}");
}

#[test]
fn hbar_area_and_scatter_split_by_color() {
    use chart::Stack::{Grouped, Percent, Stacked};
    for (kind, stack, name) in [
        (ChartKind::HBar, Stacked, "svg_hbar_stacked"),
        (ChartKind::HBar, Grouped, "svg_hbar_grouped"),
        (ChartKind::HBar, Percent, "svg_hbar_percent"),
        (ChartKind::Area, Stacked, "svg_area_by_color"),
        (ChartKind::Area, Percent, "svg_area_percent"),
        (ChartKind::Scatter, Stacked, "svg_scatter_by_color"),
    ] {
        let chart = chart::render(&by_rating(kind, stack), &long_table(), "c").unwrap();
        for out in [&chart.svg, &chart.svg_narrow] {
            roxmltree::Document::parse(out).unwrap_or_else(|e| panic!("{name}: invalid SVG: {e}"));
            assert_no_overlap(out, name);
            for series in ["5 stars", "4 stars", "3 stars"] {
                assert!(out.contains(&format!(">\n{series}\n<")), "{name}: no legend entry {series}");
            }
        }
        let doc = roxmltree::Document::parse(&chart.svg).unwrap();
        let count = |tag: &str| doc.descendants().filter(|n| n.has_tag_name(tag)).count();
        match kind {
            // one band per series
            ChartKind::Area => assert_eq!(count("polygon"), 3, "{name}"),
            // one dot per row
            ChartKind::Scatter => assert_eq!(count("circle"), 12, "{name}"),
            _ => assert!(count("rect") >= 11 + 3, "{name}"),
        }
        if stack == Percent {
            assert!(chart.svg.contains(">\n100%\n<") && !chart.svg.contains("125%"), "{name}: {}", chart.svg);
        }
        insta::assert_snapshot!(name, chart.svg);
        insta::assert_snapshot!(format!("{name}_narrow"), chart.svg_narrow);
    }
    // grouped horizontal bars: every value labelled at its bar
    let mut s = spec(ChartKind::HBar, "year", &["n"]);
    s.color = Some(named("rating"));
    s.stack = Grouped;
    let chart = chart::render(&s, &long_table(), "g").unwrap();
    for n in ["50", "30", "70", "40"] {
        assert!(chart.svg.contains(&format!(">\n{n}\n<")), "{n}: {}", chart.svg);
    }
    // stacked areas add up: the 2007 total (100) is on the axis' range
    let mut s = spec(ChartKind::Area, "year", &["n"]);
    s.color = Some(named("rating"));
    let chart = chart::render(&s, &long_table(), "a").unwrap();
    assert!(chart.svg.contains(">\n100\n<"), "{}", chart.svg);
    // areas stack amounts: a negative one is an error at `y`
    let mut negative = long_table();
    negative.rows[0][2] = Value::Int(-1);
    assert!(chart::render(&s, &negative, "a").unwrap_err().message.contains("negative values"));
}

#[test]
fn scatter_points_beyond_the_limit_are_counted_in_cells() {
    let rows: Vec<Vec<Value>> = (0..5000)
        .map(|i| vec![Value::Float((i % 97) as f64 + (i / 97) as f64 * 0.01), Value::Float(((i * 37) % 101) as f64)])
        .collect();
    let table = Table {
        columns: vec![
            Column { name: "x".into(), kind: ColumnType::Number },
            Column { name: "y".into(), kind: ColumnType::Number },
        ],
        rows,
    };
    let mut s = spec(ChartKind::Scatter, "x", &["y"]);
    s.y_format = None;
    let chart = chart::render(&s, &table, "s").unwrap();
    let doc = roxmltree::Document::parse(&chart.svg).unwrap();
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("circle")).count(), 0);
    let cells = doc.descendants().filter(|n| n.has_tag_name("rect")).count();
    assert!(cells > 100, "{cells} cells");
    // the SVG stays small: well under a dot per row
    assert!(chart.svg.len() < 5000 * 60, "{} bytes", chart.svg.len());
    assert!(chart.description.contains("5000 points, drawn as cells"), "{}", chart.description);
    // below the limit, a dot per row
    let mut few = table.clone();
    few.rows.truncate(chart::line::MAX_POINTS);
    let chart = chart::render(&s, &few, "s").unwrap();
    let doc = roxmltree::Document::parse(&chart.svg).unwrap();
    assert_eq!(doc.descendants().filter(|n| n.has_tag_name("circle")).count(), chart::line::MAX_POINTS);
}

/// Raw values per category, for box plots: ratings' counts by year, and
/// one far value.
fn raw_table() -> Table {
    let mut t = long_table();
    t.rows.push(vec![Value::Int(2010), Value::Text("5 stars".into()), Value::Int(400)]);
    t
}

#[test]
fn box_plots_summarize_each_category() {
    let mut s = spec(ChartKind::Box, "rating", &["n"]);
    s.rules = vec![rule(chart::RuleAxis::Y, 45.0, false, "target")];
    let chart = chart::render(&s, &raw_table(), "b").unwrap();
    for out in [&chart.svg, &chart.svg_narrow] {
        roxmltree::Document::parse(out).unwrap();
        assert_no_overlap(out, "box");
    }
    // 5 stars: 10 40 50 70 400, quartiles 40 and 70 (IQR 30): 400 is out
    let summary = chart.summary.as_ref().unwrap();
    let five = &summary.rows[0];
    assert_eq!(five[0], Value::Text("5 stars".into()));
    assert_eq!(
        &five[1..],
        [5, 10, 40, 50, 70, 400, 1].map(|v| if v == 5 || v == 1 { Value::Int(v) } else { Value::Float(v as f64) })
    );
    // 3 stars: 0 10 20 40, quartiles 7.5 and 25 (quantile_cont)
    assert_eq!(&summary.rows[2][3..6], [Value::Float(7.5), Value::Float(15.0), Value::Float(25.0)]);
    assert!(
        chart.description.contains("5 stars: median 50, quartiles 40 to 70, 5 values, 1 outliers."),
        "{}",
        chart.description
    );
    insta::assert_snapshot!("svg_box", chart.svg);
    insta::assert_snapshot!("svg_box_narrow", chart.svg_narrow);
}

#[test]
fn facets_draw_one_panel_per_value_on_shared_axes() {
    let mut s = spec(ChartKind::Bar, "year", &["n"]);
    s.facet = Some(named("rating"));
    s.x_format = Some(Format::Text);
    let chart = chart::render(&s, &long_table(), "f").unwrap();
    assert!(chart.svg.is_empty() && chart.panels.len() == 3);
    assert_eq!(chart.panels.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(), ["5 stars", "4 stars", "3 stars"]);
    let ticks = |svg: &str| {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|t| t.text())
            .map(|t| t.trim().to_string())
            .filter(|t| t.parse::<f64>().is_ok())
            .collect::<Vec<_>>()
    };
    for p in &chart.panels {
        for out in [&p.svg, &p.svg_narrow] {
            assert_no_overlap(out, &p.label);
        }
        assert!(p.svg.contains("<title id=\"f-") && p.svg.contains(&format!("A &lt;title&gt;: {}", p.label)));
    }
    // shared: the 3-star panel (at most 40) has the 5-star panel's axis (to 70)
    assert!(
        ticks(&chart.panels[2].svg).iter().any(|t| t == "60" || t == "70" || t == "80"),
        "{:?}",
        ticks(&chart.panels[2].svg)
    );
    insta::assert_snapshot!("svg_facet_bar_panel", chart.panels[2].svg);
    insta::assert_snapshot!("svg_facet_bar_panel_narrow", chart.panels[2].svg_narrow);
    s.facet_scales = chart::FacetScales::Free;
    let free = chart::render(&s, &long_table(), "f").unwrap();
    assert!(!ticks(&free.panels[2].svg).iter().any(|t| t == "60" || t == "70"), "{:?}", ticks(&free.panels[2].svg));
    // every kind but the heat map can be faceted
    for (kind, x) in [
        (ChartKind::Line, "year"),
        (ChartKind::Area, "year"),
        (ChartKind::Scatter, "year"),
        (ChartKind::HBar, "year"),
        (ChartKind::Box, "year"),
        (ChartKind::Histogram, "year"),
    ] {
        let mut s = spec(kind, x, &["n"]);
        s.facet = Some(named("rating"));
        let chart = chart::render(&s, &long_table(), "k").unwrap_or_else(|e| panic!("{kind:?}: {}", e.message));
        assert_eq!(chart.panels.len(), 3, "{kind:?}");
        for p in &chart.panels {
            roxmltree::Document::parse(&p.svg).unwrap();
            assert_no_overlap(&p.svg, &format!("{kind:?} {}", p.label));
        }
    }
    // at most MAX_FACETS panels
    let mut many = long_table();
    for k in 0..chart::MAX_FACETS {
        many.rows.push(vec![Value::Int(2006), Value::Text(format!("other {k}")), Value::Int(1)]);
    }
    let err = chart::render(&s, &many, "e").unwrap_err().message;
    assert!(err.contains(&format!("more than {} values", chart::MAX_FACETS)), "{err}");
}

#[test]
fn a_long_series_name_is_shortened_within_the_chart() {
    let mut t = long_table();
    for row in t.rows.iter_mut().filter(|r| r[1] == Value::Text("3 stars".into())) {
        row[1] = Value::Text("é".repeat(300));
    }
    for kind in [ChartKind::Scatter, ChartKind::Bar, ChartKind::HBar] {
        let mut s = spec(kind, "year", &["n"]);
        s.color = Some(named("rating"));
        let chart = chart::render(&s, &t, "l").unwrap();
        for (out, width) in [(&chart.svg, chart::WIDTH), (&chart.svg_narrow, chart::NARROW)] {
            let doc = roxmltree::Document::parse(out).unwrap();
            for text in doc
                .descendants()
                .filter(|n| n.has_tag_name("text") && !matches!(n.attribute("text-anchor"), Some("middle" | "end")))
            {
                let x: f64 = text.attribute("x").unwrap().parse().unwrap();
                let size: f64 = text.attribute("font-size").unwrap().parse().unwrap();
                let end = x + chart::axis::text_width(text.text().unwrap_or("").trim(), size);
                assert!(end <= width as f64, "{kind:?}: a text ends at {end} of {width}");
            }
            assert!(out.contains('…'), "{kind:?}: the long name is shortened");
        }
    }
}
