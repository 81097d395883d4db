//! Small multiples (`facet`): the rows split by a column's values, one
//! panel each, on the extents they share.

use super::*;
use series::series_name;

/// The extents every panel of a faceted chart is drawn on (`None`: its own).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Domain {
    /// The value axis: lowest and highest value (stacked, when stacked).
    pub y: Option<(f64, f64)>,
    /// A numeric or date `x`: lowest and highest.
    pub x: Option<(f64, f64)>,
    /// The categories of a bar, hbar or box chart, in order.
    pub categories: Option<Vec<Value>>,
}

/// Small multiples: one panel per value of `facet`, in the order the values
/// first appear, on shared axes unless `facet_scales = "free"`.
pub(super) fn facets(spec: &ChartSpec, table: &Table, id: &str, facet: &Located<String>) -> Result<Chart, SourceError> {
    let query = &spec.query.value;
    let fi = column(table, query, facet)?;
    let mut groups: Vec<(String, Table)> = Vec::new();
    let mut seen = FirstSeen::default();
    for row in &table.rows {
        let (k, new) = seen.number(&row[fi]);
        if new {
            if k == MAX_FACETS {
                return Err(SourceError::new(
                    facet.location.clone(),
                    format!(
                        "column `{}` of query `{query}` has more than {MAX_FACETS} values; `facet` draws at most {MAX_FACETS} panels (keep the largest in SQL)",
                        facet.value
                    ),
                ));
            }
            groups.push((series_name(&row[fi]), Table { columns: table.columns.clone(), rows: Vec::new() }));
        }
        groups[k].1.rows.push(row.clone());
    }
    let domain = match spec.facet_scales {
        FacetScales::Free => Domain::default(),
        FacetScales::Shared => shared_domain(spec, table, &groups)?,
    };
    let mut panels = Vec::new();
    let mut summaries: Vec<(String, Table)> = Vec::new();
    for (k, (label, rows)) in groups.iter().enumerate() {
        let mut panel_spec = spec.clone();
        panel_spec.title = format!("{}: {label}", spec.title);
        let chart = single(&panel_spec, rows, &format!("{id}-{}", k + 1), &domain, PANEL)?;
        if let Some(summary) = chart.summary {
            summaries.push((label.clone(), summary));
        }
        panels.push(Panel { label: label.clone(), svg: chart.svg, svg_narrow: chart.svg_narrow });
    }
    let names: Vec<&str> = groups.iter().map(|(l, _)| l.as_str()).collect();
    let description = format!(
        "{} panels of {}s of {} by {}, one per {}: {}. {}",
        groups.len(),
        spec.kind.noun(),
        spec.y.iter().map(|y| y.value.as_str()).collect::<Vec<_>>().join(", "),
        spec.x.value,
        facet.value,
        names.join(", "),
        if spec.facet_scales == FacetScales::Shared {
            "The panels share their axes."
        } else {
            "Each panel has axes of its own."
        }
    );
    let summary = (!summaries.is_empty()).then(|| {
        let mut columns = vec![crate::table::Column { name: facet.value.clone(), kind: ColumnType::Text }];
        columns.extend(summaries[0].1.columns.iter().cloned());
        let rows = summaries
            .iter()
            .flat_map(|(label, t)| {
                t.rows
                    .iter()
                    .map(move |r| std::iter::once(Value::Text(label.clone())).chain(r.iter().cloned()).collect())
            })
            .collect();
        Table { columns, rows }
    });
    Ok(Chart { svg: String::new(), svg_narrow: String::new(), description, summary, panels })
}

/// The extents of every panel together.
pub(super) fn shared_domain(
    spec: &ChartSpec,
    table: &Table,
    groups: &[(String, Table)],
) -> Result<Domain, SourceError> {
    let xi = column(table, &spec.query.value, &spec.x)?;
    let mut domain = Domain::default();
    if matches!(spec.kind, ChartKind::Bar | ChartKind::HBar | ChartKind::Box) {
        let mut seen = FirstSeen::default();
        let keys = table.rows.iter().map(|r| &r[xi]).filter(|v| seen.number(v).1).cloned().collect();
        domain.categories = Some(keys);
    }
    let union = |a: Option<(f64, f64)>, b: (f64, f64)| Some(a.map_or(b, |(lo, hi)| (lo.min(b.0), hi.max(b.1))));
    for (_, rows) in groups {
        if spec.kind == ChartKind::Box {
            let summary = boxplot::summarize(spec, rows)?;
            if let Some(extent) = boxplot::extent(&summary) {
                domain.y = union(domain.y, extent);
            }
            continue;
        }
        let own = Domain::default();
        let data = prepare(spec, rows, &own)?;
        if let Some(extent) = data.value_extent() {
            domain.y = union(domain.y, extent);
        }
        if let Some(extent) = data.x_extent() {
            domain.x = union(domain.x, extent);
        }
    }
    Ok(domain)
}

/// Puts a panel's categories in the order of every panel's, with a gap
/// where it has none of a category.
pub(super) fn align<'a>(data: &mut Data<'a>, keys: &'a [Value]) {
    let at: std::collections::BTreeMap<String, usize> =
        data.x.iter().enumerate().map(|(i, v)| (v.to_csv_field(), i)).collect();
    let mut x = Vec::with_capacity(keys.len());
    let mut y = vec![Vec::with_capacity(keys.len()); data.y.len()];
    for key in keys {
        match at.get(&key.to_csv_field()) {
            Some(&i) => {
                x.push(data.x[i]);
                for (s, series) in data.y.iter().enumerate() {
                    y[s].push(series[i]);
                }
            }
            None => {
                // a category of another panel: its label, no bar
                x.push(key);
                for series in &mut y {
                    series.push(None);
                }
            }
        }
    }
    data.x = x;
    data.y = y;
}
