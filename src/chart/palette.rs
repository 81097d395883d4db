//! The chart palette: what each colour is for, its light and dark values
//! (the stylesheet maps each light value to a CSS custom property), and the
//! test that keeps the series colours apart for colour-blind readers.

use plotters::style::RGBColor;

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

    pub(super) fn color(self) -> RGBColor {
        let (r, g, b) = self.swatch().light;
        RGBColor(r, g, b)
    }
}

/// `#rrggbb` of a colour.
pub fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02X}{g:02X}{b:02X}")
}

#[cfg(test)]
mod tests {
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
