//! Drawing: a list of plain shapes, laid out by the chart kinds, turned into
//! SVG by `plotters` (SVG backend, no system fonts). The only user of
//! `plotters`.
//!
//! Keeping shapes as data lets tests check geometry (label overlap, sizes)
//! without parsing SVG, and keeps the output deterministic.

use super::Role;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Horizontal text alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text starts at x.
    Start,
    /// Text is centred on x.
    Middle,
    /// Text ends at x.
    End,
}

/// One thing to draw, in viewBox pixels.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// A filled rectangle.
    Rect {
        /// Left edge.
        x0: f64,
        /// Top edge.
        y0: f64,
        /// Right edge.
        x1: f64,
        /// Bottom edge.
        y1: f64,
        /// Its colour.
        role: Role,
    },
    /// A filled rectangle drawn with an opacity: heat map cells, count bars.
    Shade {
        /// Left edge.
        x0: f64,
        /// Top edge.
        y0: f64,
        /// Right edge.
        x1: f64,
        /// Bottom edge.
        y1: f64,
        /// Its colour.
        role: Role,
        /// Opacity, 0..1.
        alpha: f64,
    },
    /// A polyline.
    Line {
        /// The points, in order.
        points: Vec<(f64, f64)>,
        /// Its colour.
        role: Role,
        /// Stroke width.
        width: u32,
    },
    /// A filled circle.
    Dot {
        /// Centre, horizontally.
        x: f64,
        /// Centre, vertically.
        y: f64,
        /// Radius.
        r: f64,
        /// Its colour.
        role: Role,
    },
    /// A filled polygon drawn with an opacity: the bands of an area chart.
    Area {
        /// The corners, in order (the polygon closes itself).
        points: Vec<(f64, f64)>,
        /// Its colour.
        role: Role,
        /// Opacity, 0..1.
        alpha: f64,
    },
    /// A translucent dot: a scatter plot's point, so that crowds show.
    Point {
        /// Centre, horizontally.
        x: f64,
        /// Centre, vertically.
        y: f64,
        /// Radius.
        r: f64,
        /// Its colour.
        role: Role,
        /// Opacity, 0..1.
        alpha: f64,
    },
    /// Text.
    Text {
        /// Anchor point, horizontally (see `align`).
        x: f64,
        /// The vertical centre of the line.
        y: f64,
        /// The text, unescaped.
        text: String,
        /// Font size.
        size: f64,
        /// Its colour.
        role: Role,
        /// Where `x` is on the line.
        align: Align,
        /// Bold weight.
        bold: bool,
    },
}

/// The shapes of one chart and its size.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Canvas {
    /// Width of the viewBox.
    pub width: u32,
    /// Height of the viewBox.
    pub height: u32,
    /// What to draw, in order (later shapes on top).
    pub shapes: Vec<Shape>,
}

impl Canvas {
    /// An empty canvas.
    pub fn new(width: u32, height: u32) -> Canvas {
        Canvas { width, height, shapes: Vec::new() }
    }

    /// Adds a rectangle (corners in any order).
    pub fn rect(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, role: Role) {
        self.shapes.push(Shape::Rect { x0: x0.min(x1), y0: y0.min(y1), x1: x0.max(x1), y1: y0.max(y1), role });
    }

    /// Adds a translucent rectangle (opacity `alpha`, rounded to 1/100).
    pub fn shade(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, role: Role, alpha: f64) {
        let alpha = rounded(alpha);
        self.shapes.push(Shape::Shade { x0: x0.min(x1), y0: y0.min(y1), x1: x0.max(x1), y1: y0.max(y1), role, alpha });
    }

    /// Adds a line through `points`.
    pub fn line(&mut self, points: Vec<(f64, f64)>, role: Role, width: u32) {
        self.shapes.push(Shape::Line { points, role, width });
    }

    /// Adds a dot.
    pub fn dot(&mut self, x: f64, y: f64, r: f64, role: Role) {
        self.shapes.push(Shape::Dot { x, y, r, role });
    }

    /// Adds a translucent filled polygon.
    pub fn area(&mut self, points: Vec<(f64, f64)>, role: Role, alpha: f64) {
        self.shapes.push(Shape::Area { points, role, alpha: rounded(alpha) });
    }

    /// Adds a translucent dot.
    pub fn point(&mut self, x: f64, y: f64, r: f64, role: Role, alpha: f64) {
        self.shapes.push(Shape::Point { x, y, r, role, alpha: rounded(alpha) });
    }

    /// Adds text whose vertical centre is at `y`.
    pub fn text(&mut self, x: f64, y: f64, text: impl Into<String>, size: f64, role: Role, align: Align) {
        self.shapes.push(Shape::Text { x, y, text: text.into(), size, role, align, bold: false });
    }

    /// Renders the shapes to an SVG document (with plotters' own `<svg>` root).
    pub fn to_svg(&self) -> Result<String, DrawingAreaErrorKind<std::io::Error>> {
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, (self.width, self.height)).into_drawing_area();
            for shape in &self.shapes {
                match shape {
                    Shape::Rect { x0, y0, x1, y1, role } => {
                        let (a, b) = ((px(*x0), px(*y0)), (px(*x1), px(*y1)));
                        root.draw(&Rectangle::new([a, b], role.color().filled()))?;
                    }
                    Shape::Shade { x0, y0, x1, y1, role, alpha } => {
                        let (a, b) = ((px(*x0), px(*y0)), (px(*x1), px(*y1)));
                        root.draw(&Rectangle::new([a, b], role.color().mix(*alpha).filled()))?;
                    }
                    Shape::Line { points, role, width } => {
                        let pts: Vec<(i32, i32)> = points.iter().map(|&(x, y)| (px(x), px(y))).collect();
                        root.draw(&PathElement::new(pts, role.color().stroke_width(*width)))?;
                    }
                    Shape::Dot { x, y, r, role } => {
                        root.draw(&Circle::new((px(*x), px(*y)), px(*r), role.color().filled()))?;
                    }
                    Shape::Area { points, role, alpha } => {
                        let pts: Vec<(i32, i32)> = points.iter().map(|&(x, y)| (px(x), px(y))).collect();
                        root.draw(&Polygon::new(pts, role.color().mix(*alpha).filled()))?;
                    }
                    Shape::Point { x, y, r, role, alpha } => {
                        root.draw(&Circle::new((px(*x), px(*y)), px(*r), role.color().mix(*alpha).filled()))?;
                    }
                    Shape::Text { x, y, text, size, role, align, bold } => {
                        let h = match align {
                            Align::Start => HPos::Left,
                            Align::Middle => HPos::Center,
                            Align::End => HPos::Right,
                        };
                        // plotters writes `font-size` as size / 1.24
                        let mut font = ("sans-serif", size * 1.24).into_font();
                        if *bold {
                            font = font.style(FontStyle::Bold);
                        }
                        let color = role.color();
                        let style = TextStyle::from(font).color(&color).pos(Pos::new(h, VPos::Center));
                        root.draw(&Text::new(text.as_str(), (px(*x), px(*y)), style))?;
                    }
                }
            }
            root.present()?;
        }
        Ok(out)
    }
}

/// An opacity in 0..1, to the hundredth (stable markup).
fn rounded(alpha: f64) -> f64 {
    (alpha.clamp(0.0, 1.0) * 100.0).round() / 100.0
}

fn px(v: f64) -> i32 {
    v.round() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_shape() {
        let mut c = Canvas::new(100, 50);
        c.rect(10.0, 40.0, 20.0, 10.0, Role::Series(0));
        c.line(vec![(0.0, 0.0), (10.0, 10.0)], Role::Axis, 1);
        c.dot(5.0, 5.0, 2.0, Role::Series(1));
        c.text(50.0, 25.0, "a < b", 13.0, Role::Text, Align::Middle);
        c.area(vec![(0.0, 50.0), (10.0, 20.0), (20.0, 50.0)], Role::Series(2), 0.8);
        c.point(30.0, 30.0, 2.5, Role::Series(3), 0.55);
        let svg = c.to_svg().unwrap();
        assert!(svg.contains("<polygon"), "{svg}");
        assert!(svg.contains("opacity=\"0.55\""), "{svg}");
        assert!(svg.contains("<rect"), "{svg}");
        assert!(svg.contains("<polyline"), "{svg}");
        assert!(svg.contains("<circle"), "{svg}");
        assert!(svg.contains("a &lt; b"), "{svg}");
        assert!(svg.contains("text-anchor=\"middle\""), "{svg}");
    }
}
