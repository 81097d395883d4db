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
//! fixed order: the items sorted by id, sums compensated (Neumaier's sums,
//! the rounding error found by Knuth's two-sum) in that order, ties broken
//! by the lowest index, the random draws from ChaCha8
//! (`rand_chacha`), portable and seeded; the runs share the cores and the
//! best is chosen by (inertia, run order), whatever the number of threads.
//!
//! Its tables: `NAME(ID, segment, distance, ...)`, one row per item with
//! the data query's other columns after these, and
//! `NAME_centroids(segment, n, FEATURE...)`, the centroids in the space the
//! items were clustered in (standardized when `standardize`).
//!
//! ````markdown
//! ```overlap ingredient_overlap
//! data = "top_recipes"        # a query: the items to find others for
//! id = "id"
//! pairs = "select recipe_id, ingredient from recipe_ingredients"
//! order = ["jaccard", "shared"]
//! top = 5
//! ```
//! ````
//!
//! An overlap ([`overlap`]): for each row of `data`, the `top` other items
//! whose sets of members (the distinct members of the `(item, member)`
//! pairs) overlap its own the most, ranked by the measures of `order`.
//! Its table: `NAME(item, rank, other, shared, jaccard, cosine, size,
//! other_size)`, in the data's order, best first.

use crate::error::{Located, Location, SourceError};
use crate::table::{Column, ColumnType, Table, Value};
mod kmeans;
pub mod overlap;

use kmeans::*;
pub use kmeans::{Clustering, kmeans};
pub use overlap::{Keys, Pairs};
use overlap::{Measure, Ranking};

/// A model block: `cluster NAME` or `overlap NAME`.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// The model's name: its tables are [`ModelSpec::tables`].
    pub name: String,
    /// The query with one row per item.
    pub data: Located<String>,
    /// The column that names each item.
    pub id: Located<String>,
    /// What is computed.
    pub method: Method,
    /// Where the block starts.
    pub defined_at: Location,
}

/// What a model computes.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// `cluster`: k-means segments.
    Cluster(Cluster),
    /// `overlap`: for each item, the others whose sets overlap its own most.
    Overlap(Overlap),
}

/// The settings of a `cluster` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
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
}

/// The settings of an `overlap` block.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlap {
    /// The SQL that gives the `(item, member)` pairs.
    pub pairs: Located<String>,
    /// How the others are chosen.
    pub ranking: Ranking,
}

impl ModelSpec {
    /// The names of its tables: `NAME` and `NAME_centroids` for a
    /// clustering, `NAME` for an overlap.
    pub fn tables(&self) -> Vec<String> {
        match &self.method {
            Method::Cluster(_) => vec![self.name.clone(), format!("{}_centroids", self.name)],
            Method::Overlap(_) => vec![self.name.clone()],
        }
    }

    /// A text that changes whenever the model would give other results for the same data.
    pub fn fingerprint(&self) -> String {
        match &self.method {
            Method::Cluster(c) => {
                let features: Vec<&str> = c.features.iter().map(|f| f.value.as_str()).collect();
                format!(
                    "kmeans data={} id={} features={features:?} standardize={} k={} seed={} runs={} max={} fewer={}",
                    self.data.value, self.id.value, c.standardize, c.k, c.seed, c.runs, c.max_iterations, c.allow_fewer
                )
            }
            Method::Overlap(o) => format!(
                "overlap data={} id={} pairs={:?} order={:?} top={} min={}",
                self.data.value, self.id.value, o.pairs.value, o.ranking.order, o.ranking.top, o.ranking.min_shared
            ),
        }
    }
}

/// A fitted model: its tables, in the order of [`ModelSpec::tables`].
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    /// The tables.
    pub tables: Vec<Table>,
}

/// Fits `spec` on `data` (the result of `spec.data`) and, for an overlap,
/// its pairs.
pub fn fit(spec: &ModelSpec, data: &Table, pairs: Option<&Pairs>) -> Result<Fitted, SourceError> {
    match (&spec.method, pairs) {
        (Method::Cluster(c), _) => cluster(spec, c, data),
        (Method::Overlap(o), Some(pairs)) => overlap_table(spec, o, data, pairs),
        (Method::Overlap(_), None) => {
            Err(SourceError::new(spec.defined_at.clone(), format!("overlap `{}` got no pairs", spec.name)))
        }
    }
}

/// The items of `data` in the order of their ids (whatever the query's
/// order), each id once.
fn items_by_id<'a>(spec: &ModelSpec, data: &'a Table, id: usize) -> Result<Vec<&'a Vec<Value>>, SourceError> {
    let mut rows: Vec<&Vec<Value>> = data.rows.iter().collect();
    rows.sort_by(|a, b| compare(&a[id], &b[id]));
    if let Some(w) = rows.windows(2).find(|w| compare(&w[0][id], &w[1][id]).is_eq()) {
        return Err(SourceError::new(
            spec.id.location.clone(),
            format!(
                "`{}` must name one item per row: `{}` is on two rows of `{}`",
                spec.id.value,
                w[0][id].to_csv_field(),
                spec.data.value
            ),
        ));
    }
    Ok(rows)
}

/// An overlap's table: for each row of `data`, in its order, the others
/// found, best first.
fn overlap_table(spec: &ModelSpec, o: &Overlap, data: &Table, pairs: &Pairs) -> Result<Fitted, SourceError> {
    let query = &spec.data.value;
    let id = data.column_named(query, &spec.id)?;
    // one row per id, as for a clustering
    items_by_id(spec, data, id)?;
    let items = &pairs.items;
    let key_of = |v: &Value| -> Result<Option<i64>, SourceError> {
        let wrong = |what: &str| {
            SourceError::new(
                spec.id.location.clone(),
                format!(
                    "`{}` of `{query}` is {what} (`{}`) but the items of the pairs are {}: both must be whole numbers, or both text",
                    spec.id.value,
                    v.to_csv_field(),
                    if items.names.is_some() { "text" } else { "whole numbers" }
                ),
            )
        };
        match (v, &items.names) {
            (Value::Int(i), None) => Ok(Some(*i)),
            (Value::Text(s), Some(names)) => Ok(names.binary_search_by(|n| n.as_str().cmp(s)).ok().map(|k| k as i64)),
            (Value::Null, _) => Err(SourceError::new(
                spec.id.location.clone(),
                format!("a row of `{query}` has no `{}`: leave such rows out in the query", spec.id.value),
            )),
            (Value::Int(_), Some(_)) => Err(wrong("a number")),
            (Value::Text(_), None) => Err(wrong("text")),
            _ => Err(wrong("neither a whole number nor text")),
        }
    };
    let keys: Vec<Option<i64>> = data.rows.iter().map(|r| key_of(&r[id])).collect::<Result<_, _>>()?;
    let asked: Vec<i64> = keys.iter().flatten().copied().collect();
    let mut found = overlap::nearest(&asked, &items.keys, &pairs.members.keys, &o.ranking).into_iter();
    let value = |k: i64| match &items.names {
        Some(names) => Value::Text(names[k as usize].clone()),
        None => Value::Int(k),
    };
    let mut rows = Vec::new();
    for (row, key) in data.rows.iter().zip(&keys) {
        let Some(_) = key else { continue };
        let nearest = found.next().unwrap_or_default();
        for (rank, f) in nearest.found.iter().enumerate() {
            let measure = |m: Measure| Value::Float(m.of_found(f, nearest.size));
            rows.push(vec![
                row[id].clone(),
                Value::Int(rank as i64 + 1),
                value(f.other),
                Value::Int(f.shared as i64),
                measure(Measure::Jaccard),
                measure(Measure::Cosine),
                Value::Int(nearest.size as i64),
                Value::Int(f.other_size as i64),
            ]);
        }
    }
    let kind = if items.names.is_some() { ColumnType::Text } else { ColumnType::Number };
    let column = |name: &str, kind| Column { name: name.into(), kind };
    let columns = vec![
        column("item", kind),
        column("rank", ColumnType::Number),
        column("other", kind),
        column("shared", ColumnType::Number),
        column("jaccard", ColumnType::Number),
        column("cosine", ColumnType::Number),
        column("size", ColumnType::Number),
        column("other_size", ColumnType::Number),
    ];
    tracing::debug!(model = %spec.name, pairs = items.keys.len(), asked = asked.len(), "overlap found");
    Ok(Fitted { tables: vec![Table { columns, rows }] })
}

/// Clusters the rows of `data` (the result of `spec.data`) as `c` says.
fn cluster(spec: &ModelSpec, c: &Cluster, data: &Table) -> Result<Fitted, SourceError> {
    let query = &spec.data.value;
    let column = |name: &Located<String>| data.column_named(query, name);
    let id = column(&spec.id)?;
    let mut features = Vec::new();
    for f in &c.features {
        let i = column(f)?;
        if data.columns[i].kind != ColumnType::Number && !data.rows.is_empty() {
            return Err(SourceError::new(
                f.location.clone(),
                format!("column `{}` of query `{query}` is not numeric: a feature must be a number", f.value),
            ));
        }
        features.push(i);
    }
    let rows = items_by_id(spec, data, id)?;
    let mut points = Vec::with_capacity(rows.len());
    for r in &rows {
        let mut p = Vec::with_capacity(features.len());
        for (f, &i) in c.features.iter().zip(&features) {
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
    let mut k = c.k;
    if c.allow_fewer {
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
    if c.standardize {
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
        kmeans(&points, k, c.seed, c.runs, c.max_iterations)
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
    centroid_columns.extend(c.features.iter().map(|f| Column { name: f.value.clone(), kind: ColumnType::Number }));
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
    Ok(Fitted { tables: vec![Table { columns, rows: items }, Table { columns: centroid_columns, rows: centroids }] })
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
