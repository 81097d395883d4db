//! Models: a page declares one the way it declares a query, and later SQL
//! reads its result as tables.
//!
//! ````markdown
//! ```cluster segments
//! data = "user_features"      # a query: one row per item
//! id = "user_id"
//! features = ["log_reviews", "mean_rating", "share_unrated", "log_span"]
//! standardize = true          # z-scores over the rows
//! k = 4
//! seed = 42
//! ```
//! ````
//!
//! k-means ([`kmeans`]): k-means++ seeding from `seed`, Lloyd iterations
//! until no item changes segment (more than `max_iterations` is an error,
//! never a silent stop), the best of `runs` seedings (the lowest sum of
//! squared distances), segments numbered by size, largest first. Written
//! here rather than taken from a crate: the result is defined as a fixed
//! point (every item in the segment of its nearest centroid, every centroid
//! the mean of its items), which the crates' tolerance-based stops do not
//! promise, and it must be the same on any machine. So each run goes in a
//! fixed order: the items sorted by id, sums compensated (Neumaier) in that
//! order, ties broken by the lowest index, the random draws from ChaCha8
//! (`rand_chacha`), portable and seeded; the runs share the cores and the
//! best is chosen by (inertia, run order), whatever the number of threads.
//!
//! Its tables: `NAME(ID, segment, distance, ...)`, one row per item with
//! the data query's other columns after these, and
//! `NAME_centroids(segment, n, FEATURE...)`, the centroids in the space the
//! items were clustered in (standardized when `standardize`).

use crate::error::{Located, Location, SourceError};
use crate::table::{Column, ColumnType, Table, Value};
mod kmeans;

use kmeans::*;
pub use kmeans::{Clustering, kmeans};

/// A `cluster` block.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// The model's name: its tables are `NAME` and `NAME_centroids`.
    pub name: String,
    /// The query with one row per item.
    pub data: Located<String>,
    /// The column that names each item.
    pub id: Located<String>,
    /// The numeric columns the items are clustered on.
    pub features: Vec<Located<String>>,
    /// Whether each feature is standardized first (z-scores over the rows,
    /// with the population standard deviation).
    pub standardize: bool,
    /// How many segments.
    pub k: usize,
    /// The seed of the k-means++ seedings.
    pub seed: u64,
    /// How many seedings are tried; the best is kept.
    pub runs: usize,
    /// Lloyd iterations allowed before it is an error.
    pub max_iterations: usize,
    /// With fewer distinct items than `k` (or none), make as many segments
    /// as there are distinct items instead of failing (the log says so).
    pub allow_fewer: bool,
    /// Where the block starts.
    pub defined_at: Location,
}

impl ModelSpec {
    /// The names of its two tables.
    pub fn tables(&self) -> [String; 2] {
        [self.name.clone(), format!("{}_centroids", self.name)]
    }

    /// A text that changes whenever the model would give other results for the same data.
    pub fn fingerprint(&self) -> String {
        let features: Vec<&str> = self.features.iter().map(|f| f.value.as_str()).collect();
        format!(
            "kmeans data={} id={} features={features:?} standardize={} k={} seed={} runs={} max={} fewer={}",
            self.data.value,
            self.id.value,
            self.standardize,
            self.k,
            self.seed,
            self.runs,
            self.max_iterations,
            self.allow_fewer
        )
    }
}

/// A fitted model: its two tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// One row per item: id, segment, distance, the data's other columns.
    pub items: Table,
    /// One row per segment: segment, n, the centroid.
    pub centroids: Table,
}

/// Clusters the rows of `data` (the result of `spec.data`) as `spec` says.
pub fn fit(spec: &ModelSpec, data: &Table) -> Result<Fitted, SourceError> {
    let query = &spec.data.value;
    let column = |name: &Located<String>| data.column_named(query, name);
    let id = column(&spec.id)?;
    let mut features = Vec::new();
    for f in &spec.features {
        let i = column(f)?;
        if data.columns[i].kind != ColumnType::Number && !data.rows.is_empty() {
            return Err(SourceError::new(
                f.location.clone(),
                format!("column `{}` of query `{query}` is not numeric: a feature must be a number", f.value),
            ));
        }
        features.push(i);
    }
    // the items in the order of their ids, whatever the query's order
    let mut rows: Vec<&Vec<Value>> = data.rows.iter().collect();
    rows.sort_by(|a, b| compare(&a[id], &b[id]));
    if let Some(w) = rows.windows(2).find(|w| compare(&w[0][id], &w[1][id]).is_eq()) {
        return Err(SourceError::new(
            spec.id.location.clone(),
            format!(
                "`{}` must name one item per row: `{}` is on two rows of `{query}`",
                spec.id.value,
                w[0][id].to_csv_field()
            ),
        ));
    }
    let mut points = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut p = Vec::with_capacity(features.len());
        for (f, &i) in spec.features.iter().zip(&features) {
            match r[i].as_f64().filter(|v| v.is_finite()) {
                Some(v) => p.push(v),
                None => {
                    return Err(SourceError::new(
                        f.location.clone(),
                        format!(
                            "the item `{}` of `{query}` has no number for `{}` ({}): leave such rows out in the query",
                            r[id].to_csv_field(),
                            f.value,
                            r[i].to_csv_field()
                        ),
                    ));
                }
            }
        }
        points.push(p);
    }
    let mut k = spec.k;
    if spec.allow_fewer {
        let mut distinct: Vec<&Vec<f64>> = points.iter().collect();
        distinct.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        distinct.dedup();
        if distinct.len() < k {
            tracing::warn!(
                model = %spec.name,
                k,
                distinct = distinct.len(),
                "fewer distinct items than segments asked for: one segment per distinct item"
            );
            k = distinct.len();
        }
    } else if points.is_empty() {
        return Err(SourceError::new(
            spec.data.location.clone(),
            format!("query `{query}` has no rows to cluster (`allow_fewer = true` makes no segment instead)"),
        ));
    }
    if spec.standardize {
        for d in 0..features.len() {
            let n = points.len() as f64;
            let mut sum = Sum::default();
            for p in &points {
                sum.add(p[d]);
            }
            let mean = sum.value() / n;
            let mut ss = Sum::default();
            for p in &points {
                ss.add((p[d] - mean) * (p[d] - mean));
            }
            let sd = (ss.value() / n).sqrt();
            for p in &mut points {
                p[d] = if sd > 0.0 { (p[d] - mean) / sd } else { 0.0 };
            }
        }
    }
    let clustering = if k == 0 {
        Clustering { segments: Vec::new(), centroids: Vec::new(), inertia: 0.0, iterations: 0 }
    } else {
        kmeans(&points, k, spec.seed, spec.runs, spec.max_iterations)
            .map_err(|m| SourceError::new(spec.defined_at.clone(), format!("cluster `{}`: {m}", spec.name)))?
    };
    tracing::debug!(
        model = %spec.name,
        items = points.len(),
        iterations = clustering.iterations,
        inertia = clustering.inertia,
        "model fitted"
    );
    // the tables
    let mut columns = vec![
        data.columns[id].clone(),
        Column { name: "segment".into(), kind: ColumnType::Number },
        Column { name: "distance".into(), kind: ColumnType::Number },
    ];
    let others: Vec<usize> = (0..data.columns.len()).filter(|&i| i != id).collect();
    columns.extend(others.iter().map(|&i| data.columns[i].clone()));
    let items = rows
        .iter()
        .zip(&points)
        .zip(&clustering.segments)
        .map(|((r, p), &s)| {
            let mut row = vec![
                r[id].clone(),
                Value::Int(s as i64 + 1),
                Value::Float(squared(p, &clustering.centroids[s]).sqrt()),
            ];
            row.extend(others.iter().map(|&i| r[i].clone()));
            row
        })
        .collect();
    let mut centroid_columns = vec![
        Column { name: "segment".into(), kind: ColumnType::Number },
        Column { name: "n".into(), kind: ColumnType::Number },
    ];
    centroid_columns.extend(spec.features.iter().map(|f| Column { name: f.value.clone(), kind: ColumnType::Number }));
    let centroids = clustering
        .centroids
        .iter()
        .enumerate()
        .map(|(s, c)| {
            let n = clustering.segments.iter().filter(|&&x| x == s).count();
            let mut row = vec![Value::Int(s as i64 + 1), Value::Int(n as i64)];
            row.extend(c.iter().map(|x| Value::Float(*x)));
            row
        })
        .collect();
    Ok(Fitted {
        items: Table { columns, rows: items },
        centroids: Table { columns: centroid_columns, rows: centroids },
    })
}

/// Orders ids: numbers by value, then text, dates, the rest by their text.
fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
        _ => a.to_csv_field().cmp(&b.to_csv_field()),
    }
}

#[cfg(test)]
mod tests;
