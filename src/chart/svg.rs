//! Accessible SVG: the drawn shapes wrapped in a responsive root with a
//! `viewBox`, `role="img"`, `<title>` and `<desc>`, markup kept small and stable.

use super::*;

/// Turns the two laid-out canvases into accessible SVGs.
pub(super) fn finish(
    spec: &ChartSpec,
    wide: &draw::Canvas,
    narrow: &draw::Canvas,
    id: &str,
    description: String,
    summary: Option<Table>,
) -> Result<Chart, SourceError> {
    let svg = |canvas: &draw::Canvas, id: &str| -> Result<String, SourceError> {
        let inner = canvas.to_svg().map_err(|e| {
            SourceError::new(spec.defined_at.clone(), format!("cannot draw chart `{}`: {e}", spec.title))
        })?;
        Ok(wrap(&inner, canvas.width, canvas.height, id, &spec.title, &description))
    };
    Ok(Chart {
        svg: svg(wide, id)?,
        svg_narrow: svg(narrow, &format!("{id}-narrow"))?,
        description,
        summary,
        panels: Vec::new(),
    })
}

/// Replaces plotters' `<svg>` root by an accessible, responsive one: a
/// `viewBox` without fixed size, `role="img"`, `<title>` and `<desc>`.
pub(super) fn wrap(inner: &str, width: u32, height: u32, id: &str, title: &str, description: &str) -> String {
    let body_start = inner.find('>').map_or(0, |i| i + 1);
    let body_end = inner.rfind("</svg>").unwrap_or(inner.len());
    let body = tidy(&inner[body_start..body_end]);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\" class=\"chart-svg\">\n<title id=\"{id}-title\">{}</title>\n<desc id=\"{id}-desc\">{}</desc>\n{}</svg>",
        escape(title),
        escape(description),
        body.trim_start()
    )
}

/// Drops attributes that carry no information (`opacity="1"`) and rounds
/// font sizes, so the markup is small and stable.
pub(super) fn tidy(svg: &str) -> String {
    let mut out = svg.replace(" opacity=\"1\"", "");
    let mut pos = 0;
    while let Some(i) = out[pos..].find("font-size=\"").map(|i| i + pos + 11) {
        let Some(end) = out[i..].find('"').map(|e| e + i) else { break };
        if let Ok(v) = out[i..end].parse::<f64>() {
            let rounded = format!("{}", (v * 10.0).round() / 10.0);
            out.replace_range(i..end, &rounded);
            pos = i + rounded.len();
        } else {
            pos = end;
        }
    }
    out
}

/// Escapes text for XML content and attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
