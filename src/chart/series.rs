//! The rows of a chart as series over `x`: one per `y` column, or one per
//! value of `color` (long-format rows, as SQL returns them), as shares
//! when stacked to 100%, aligned to the categories of other panels.

use super::*;
use facet::align;

/// The rows of a (non heat map, non box) chart as series over `x`.
pub(super) fn prepare<'a>(spec: &'a ChartSpec, table: &'a Table, domain: &'a Domain) -> Result<Data<'a>, SourceError> {
    let query = &spec.query.value;
    let xi = column(table, query, &spec.x)?;
    let x_kind = table.columns[xi].kind;
    let mut y = Vec::new();
    for name in &spec.y {
        let yi = column(table, query, name)?;
        y.push(table.rows.iter().map(|r| r[yi].as_f64()).collect::<Vec<_>>());
    }
    if spec.log && y.iter().flatten().flatten().any(|v| *v < 0.0) {
        return Err(SourceError::new(
            spec.defined_at.clone(),
            format!("`log = true` but query `{query}` has negative values"),
        ));
    }
    if spec.kind == ChartKind::Area && y.iter().flatten().flatten().any(|v| *v < 0.0) {
        return Err(SourceError::new(
            spec.y[0].location.clone(),
            format!(
                "query `{query}` has negative values; an `area` chart stacks amounts (use `line` for values below zero)"
            ),
        ));
    }
    let counts = match &spec.value {
        Some(v) if spec.kind == ChartKind::Line => {
            let vi = column(table, query, v)?;
            if table.columns[vi].kind != ColumnType::Number {
                return Err(SourceError::new(
                    v.location.clone(),
                    format!("column `{}` of query `{query}` is not numeric", v.value),
                ));
            }
            Some(table.rows.iter().map(|r| r[vi].as_f64()).collect::<Vec<_>>())
        }
        _ => None,
    };
    let names =
        if spec.series.is_empty() { spec.y.iter().map(|n| n.value.clone()).collect() } else { spec.series.clone() };
    let mut data = Data {
        spec,
        x: table.rows.iter().map(|r| &r[xi]).collect(),
        x_kind,
        y,
        names,
        counts,
        width: WIDTH,
        shares: false,
        domain,
    };
    let yi = column(table, query, &spec.y[0])?;
    match (&spec.color, spec.kind) {
        (Some(color), ChartKind::Scatter) => {
            let ci = column(table, query, color)?;
            let series = scatter_series(spec, table, xi, yi, ci)?;
            (data.x, data.y, data.names) = (series.x, series.y, series.names);
        }
        (Some(color), _) => {
            let ci = column(table, query, color)?;
            let series = by_color(spec, table, xi, yi, ci)?;
            (data.x, data.y, data.names) = (series.x, series.y, series.names);
        }
        (None, ChartKind::Area) => {
            // areas are drawn left to right: the rows by `x`
            let mut order: Vec<usize> = (0..data.x.len()).filter(|&i| axis::x_number(data.x[i]).is_some()).collect();
            order.sort_by(|&a, &b| {
                axis::x_number(data.x[a]).unwrap_or(0.0).total_cmp(&axis::x_number(data.x[b]).unwrap_or(0.0))
            });
            data.x = order.iter().map(|&i| data.x[i]).collect();
            data.y = data.y.iter().map(|s| order.iter().map(|&i| s[i]).collect()).collect();
        }
        (None, _) => {}
    }
    if spec.stack == Stack::Percent && (spec.color.is_some() || data.y.len() > 1) {
        data.shares = true;
        for i in 0..data.x.len() {
            let total: f64 = data.y.iter().filter_map(|s| s[i]).map(f64::abs).sum();
            for series in &mut data.y {
                series[i] = series[i].map(|v| if total > 0.0 { v / total } else { 0.0 });
            }
        }
    }
    if let Some(keys) = &domain.categories {
        align(&mut data, keys);
    }
    Ok(data)
}

/// The series of a scatter plot with `color`: every row a point, in the
/// series of its `color` value (at most [`MAX_SERIES`], in the order they
/// first appear).
pub(super) fn scatter_series<'a>(
    spec: &ChartSpec,
    table: &'a Table,
    xi: usize,
    yi: usize,
    ci: usize,
) -> Result<Series<'a>, SourceError> {
    let (of_row, names) = series_of_rows(spec, table, ci)?;
    let y = (0..names.len())
        .map(|s| table.rows.iter().zip(&of_row).map(|(r, &k)| if k == s { r[yi].as_f64() } else { None }).collect())
        .collect();
    Ok(Series { x: table.rows.iter().map(|r| &r[xi]).collect(), y, names })
}

/// Each row's series (its `ci` value, numbered in the order the values
/// first appear) and the series' names: at most [`MAX_SERIES`].
fn series_of_rows(spec: &ChartSpec, table: &Table, ci: usize) -> Result<(Vec<usize>, Vec<String>), SourceError> {
    let mut names: Vec<String> = Vec::new();
    let mut seen = FirstSeen::default();
    let mut of_row = Vec::with_capacity(table.rows.len());
    for row in &table.rows {
        let (s, new) = seen.number(&row[ci]);
        if new {
            if s == MAX_SERIES {
                return Err(too_many_series(spec));
            }
            names.push(series_name(&row[ci]));
        }
        of_row.push(s);
    }
    Ok((of_row, names))
}

pub(super) fn too_many_series(spec: &ChartSpec) -> SourceError {
    let color = spec.color.as_ref().map_or(&spec.x, |c| c);
    SourceError::new(
        color.location.clone(),
        format!(
            "column `{}` of query `{}` has more than {MAX_SERIES} values; a chart keeps at most {MAX_SERIES} colours apart (keep the largest in SQL, or group the rest as \"other\")",
            color.value, spec.query.value
        ),
    )
}

/// Values numbered in the order they first appear (equal when their CSV
/// text is): series, panels, categories.
#[derive(Debug, Default)]
pub(crate) struct FirstSeen {
    index: std::collections::BTreeMap<String, usize>,
}

impl FirstSeen {
    /// The number of `v`, and whether this is its first time.
    pub(crate) fn number(&mut self, v: &Value) -> (usize, bool) {
        let next = self.index.len();
        match self.index.entry(v.to_csv_field()) {
            std::collections::btree_map::Entry::Vacant(e) => (*e.insert(next), true),
            std::collections::btree_map::Entry::Occupied(e) => (*e.get(), false),
        }
    }
}

/// A series' legend name (or a panel's title): its value as it reads.
pub(super) fn series_name(v: &Value) -> String {
    match v {
        Value::Null => "–".to_string(),
        v => Format::default_for(v).apply(v),
    }
}

/// Long-format rows (one per `x` and `color` value, as SQL returns them) as
/// one series per `color` value, in the order the values first appear; the
/// categories in row order (bars) or by value (lines).
pub(super) fn by_color<'a>(
    spec: &ChartSpec,
    table: &'a Table,
    xi: usize,
    yi: usize,
    ci: usize,
) -> Result<Series<'a>, SourceError> {
    let Some(color) = &spec.color else { return Ok(Series { x: Vec::new(), y: Vec::new(), names: Vec::new() }) };
    let query = &spec.query.value;
    let key = |v: &Value| v.to_csv_field();
    let mut categories: Vec<&Value> = Vec::new();
    let mut category_of: std::collections::BTreeMap<String, usize> = Default::default();
    for row in &table.rows {
        let x = &row[xi];
        if let std::collections::btree_map::Entry::Vacant(e) = category_of.entry(key(x)) {
            e.insert(categories.len());
            categories.push(x);
        }
    }
    let (series_of_row, series) = series_of_rows(spec, table, ci)?;
    if matches!(spec.kind, ChartKind::Line | ChartKind::Area) {
        let number = axis::x_number;
        categories.retain(|v| number(v).is_some());
        categories.sort_by(|a, b| number(a).unwrap_or(0.0).total_cmp(&number(b).unwrap_or(0.0)));
        category_of = categories.iter().enumerate().map(|(i, v)| (key(v), i)).collect();
    }
    let mut y = vec![vec![None; categories.len()]; series.len()];
    let mut seen = vec![vec![false; categories.len()]; series.len()];
    for (row, &s) in table.rows.iter().zip(&series_of_row) {
        let Some(&i) = category_of.get(&key(&row[xi])) else { continue };
        if seen[s][i] {
            return Err(SourceError::new(
                color.location.clone(),
                format!(
                    "query `{query}` has two rows with `{}` = {} and `{}` = {}: `color` takes one row per `x` and colour (group them in SQL)",
                    spec.x.value,
                    key(&row[xi]),
                    color.value,
                    key(&row[ci])
                ),
            ));
        }
        seen[s][i] = true;
        y[s][i] = row[yi].as_f64();
    }
    Ok(Series { x: categories, y, names: series })
}

/// The series a `color` column makes: the categories, each series' value
/// per category, and the series' names.
pub(super) struct Series<'a> {
    pub(super) x: Vec<&'a Value>,
    pub(super) y: Vec<Vec<Option<f64>>>,
    pub(super) names: Vec<String>,
}
