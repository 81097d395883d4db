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
//! promise, and it must be the same on any machine. So everything runs on
//! one thread in a fixed order: the items sorted by id, sums compensated
//! (Neumaier) in that order, ties broken by the lowest index, the random
//! draws from ChaCha8 (`rand_chacha`), portable and seeded.
//!
//! Its tables: `NAME(ID, segment, distance, ...)`, one row per item with
//! the data query's other columns after these, and
//! `NAME_centroids(segment, n, FEATURE...)`, the centroids in the space the
//! items were clustered in (standardized when `standardize`).

use crate::error::{Located, Location, SourceError};
use crate::table::{Column, ColumnType, Table, Value};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

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

/// A clustering of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Clustering {
    /// Each point's segment, `0..k`, numbered by size (largest first).
    pub segments: Vec<usize>,
    /// Each segment's centroid.
    pub centroids: Vec<Vec<f64>>,
    /// The sum of squared distances to the centroids.
    pub inertia: f64,
    /// The Lloyd iterations of the best run.
    pub iterations: usize,
}

/// Points side by side in one array, `dims` numbers each.
struct Points {
    dims: usize,
    n: usize,
    data: Vec<f64>,
}

impl Points {
    fn new(rows: &[Vec<f64>]) -> Points {
        let dims = rows.first().map_or(0, Vec::len);
        Points { dims, n: rows.len(), data: rows.iter().flatten().copied().collect() }
    }

    fn len(&self) -> usize {
        self.n
    }

    fn get(&self, i: usize) -> &[f64] {
        &self.data[i * self.dims..(i + 1) * self.dims]
    }

    fn iter(&self) -> impl Iterator<Item = &[f64]> {
        (0..self.n).map(|i| self.get(i))
    }
}

/// Compensated sums in a fixed order.
#[derive(Debug, Clone, Copy, Default)]
struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    fn value(self) -> f64 {
        self.sum + self.compensation
    }
}

/// The squared Euclidean distance, summed in coordinate order.
fn squared(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b) {
        s += (x - y) * (x - y);
    }
    s
}

/// A uniform draw in `[0, 1)`: the top 53 bits of the next number.
fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// k-means++ seeding: the first centroid uniformly at random, each next one
/// with a probability proportional to its squared distance to the nearest
/// chosen one.
fn seed_centroids(points: &Points, k: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    let n = points.len();
    let first = ((uniform(rng) * n as f64) as usize).min(n - 1);
    let mut centroids = vec![points.get(first).to_vec()];
    let mut d: Vec<f64> = points.iter().map(|p| squared(p, &centroids[0])).collect();
    while centroids.len() < k {
        let mut total = Sum::default();
        for x in &d {
            total.add(*x);
        }
        let target = uniform(rng) * total.value();
        let mut acc = Sum::default();
        // the last point with a distance if rounding runs past the end
        let mut chosen = d.iter().rposition(|x| *x > 0.0).unwrap_or(0);
        for (i, x) in d.iter().enumerate() {
            if *x <= 0.0 {
                continue;
            }
            acc.add(*x);
            if acc.value() > target {
                chosen = i;
                break;
            }
        }
        let c = points.get(chosen).to_vec();
        for (di, p) in d.iter_mut().zip(points.iter()) {
            *di = di.min(squared(p, &c));
        }
        centroids.push(c);
    }
    centroids
}

/// The nearest centroid (the lowest index on a tie), the distance to it and
/// to the second nearest.
fn nearest_two(p: &[f64], centroids: &[Vec<f64>]) -> (usize, f64, f64) {
    let mut best = (0, f64::INFINITY);
    let mut second = f64::INFINITY;
    for (i, c) in centroids.iter().enumerate() {
        let d = squared(p, c);
        if d < best.1 {
            second = best.1;
            best = (i, d);
        } else if d < second {
            second = d;
        }
    }
    (best.0, best.1.sqrt(), second.sqrt())
}

/// The sums of each segment's points, added in point order.
fn segment_sums(points: &Points, segments: &[usize], k: usize) -> (Vec<Vec<Sum>>, Vec<usize>) {
    let mut sums = vec![vec![Sum::default(); points.dims]; k];
    let mut counts = vec![0usize; k];
    for (p, &s) in points.iter().zip(segments) {
        counts[s] += 1;
        for (acc, x) in sums[s].iter_mut().zip(p) {
            acc.add(*x);
        }
    }
    (sums, counts)
}

/// The state of one run: each point's segment and the bounds on its
/// distances (Hamerly's: `upper` to its centroid, `lower` to any other).
struct Run<'a> {
    points: &'a Points,
    centroids: Vec<Vec<f64>>,
    segments: Vec<usize>,
    upper: Vec<f64>,
    lower: Vec<f64>,
    sums: Vec<Vec<Sum>>,
    counts: Vec<usize>,
}

impl Run<'_> {
    /// Every point to its nearest centroid, the distances computed: whether
    /// any point changed segment. The sums are added afresh.
    fn assign_all(&mut self) -> bool {
        let mut changed = false;
        for (i, p) in self.points.iter().enumerate() {
            let (s, d1, d2) = nearest_two(p, &self.centroids);
            changed |= s != self.segments[i];
            self.segments[i] = s;
            self.upper[i] = d1;
            self.lower[i] = d2;
        }
        (self.sums, self.counts) = segment_sums(self.points, &self.segments, self.centroids.len());
        changed
    }

    /// Each centroid the mean of its points; an empty segment takes the
    /// point farthest from its centroid: whether one did (the bounds and
    /// sums are then stale).
    fn update_centroids(&mut self) -> bool {
        let k = self.centroids.len();
        for s in 0..k {
            if self.counts[s] > 0 {
                self.centroids[s] = self.sums[s].iter().map(|acc| acc.value() / self.counts[s] as f64).collect();
            }
        }
        let mut refilled = false;
        for s in 0..k {
            if self.counts[s] == 0 {
                let mut far = (0, -1.0);
                for (i, p) in self.points.iter().enumerate() {
                    let d = squared(p, &self.centroids[self.segments[i]]);
                    if self.counts[self.segments[i]] > 1 && d > far.1 {
                        far = (i, d);
                    }
                }
                let (i, _) = far;
                self.counts[self.segments[i]] -= 1;
                self.segments[i] = s;
                self.counts[s] = 1;
                self.centroids[s] = self.points.get(i).to_vec();
                refilled = true;
            }
        }
        refilled
    }

    /// Moves the points whose nearest centroid changed from `previous` to
    /// the current centroids, computing a distance only where the bounds
    /// cannot tell: how many moved. The sums follow the moves.
    fn assign_bounded(&mut self, previous: &[Vec<f64>]) -> usize {
        let k = self.centroids.len();
        let drift: Vec<f64> = previous.iter().zip(&self.centroids).map(|(a, b)| squared(a, b).sqrt()).collect();
        let (mut most, mut first, mut second) = (0, 0.0, 0.0);
        for (j, &d) in drift.iter().enumerate() {
            if d > first {
                (most, first, second) = (j, d, first);
            } else if d > second {
                second = d;
            }
        }
        // half the distance from each centroid to the nearest other one
        let half: Vec<f64> = (0..k)
            .map(|j| {
                (0..k)
                    .filter(|&o| o != j)
                    .map(|o| squared(&self.centroids[j], &self.centroids[o]).sqrt())
                    .fold(f64::INFINITY, f64::min)
                    / 2.0
            })
            .collect();
        let mut moved = 0;
        for (i, p) in self.points.iter().enumerate() {
            let a = self.segments[i];
            self.upper[i] += drift[a];
            self.lower[i] -= if a == most { second } else { first };
            let bound = half[a].max(self.lower[i]);
            if self.upper[i] < bound {
                continue;
            }
            self.upper[i] = squared(p, &self.centroids[a]).sqrt();
            if self.upper[i] < bound {
                continue;
            }
            let (b, d1, d2) = nearest_two(p, &self.centroids);
            self.upper[i] = d1;
            self.lower[i] = d2;
            if b != a {
                for (d, &x) in p.iter().enumerate() {
                    self.sums[a][d].add(-x);
                    self.sums[b][d].add(x);
                }
                self.counts[a] -= 1;
                self.counts[b] += 1;
                self.segments[i] = b;
                moved += 1;
            }
        }
        moved
    }
}

/// One run of Lloyd's iterations from `centroids` until no point changes
/// segment (its segments not yet numbered by size). Each iteration is
/// Lloyd's, made cheaper by Hamerly's bounds (a point is only measured
/// against every centroid when its bounds cannot tell that it stays); when
/// no point moves, the means are summed afresh and every point measured
/// again, so that the result is a fixed point by exact computation, not by
/// the bounds. Should that last pass move a point, the iterations go on
/// without bounds.
fn lloyd(points: &Points, centroids: Vec<Vec<f64>>, max_iterations: usize) -> Result<Clustering, String> {
    let n = points.len();
    let mut run = Run {
        points,
        centroids,
        segments: vec![0; n],
        upper: vec![0.0; n],
        lower: vec![0.0; n],
        sums: Vec::new(),
        counts: Vec::new(),
    };
    run.assign_all();
    let mut bounded = true;
    for iteration in 1..=max_iterations {
        let previous = run.centroids.clone();
        let refilled = run.update_centroids();
        let moved = if refilled || !bounded {
            usize::from(run.assign_all() || refilled)
        } else {
            run.assign_bounded(&previous)
        };
        if moved > 0 {
            continue;
        }
        // settled by the bounds: check it exactly
        (run.sums, run.counts) = segment_sums(points, &run.segments, run.centroids.len());
        run.update_centroids();
        if run.assign_all() {
            bounded = false;
            continue;
        }
        let mut inertia = Sum::default();
        for (p, &s) in points.iter().zip(&run.segments) {
            inertia.add(squared(p, &run.centroids[s]));
        }
        return Ok(Clustering {
            segments: run.segments,
            centroids: run.centroids,
            inertia: inertia.value(),
            iterations: iteration,
        });
    }
    Err(format!("k-means did not settle within {max_iterations} iterations (raise `max_iterations`)"))
}

/// k-means of `points` into `k` segments: the best of `runs` k-means++
/// seedings from `seed`, each iterated to a fixed point; segments numbered
/// by size, largest first, ties by the centroid's first coordinate (larger
/// first), then by the order they were found.
pub fn kmeans(
    points: &[Vec<f64>],
    k: usize,
    seed: u64,
    runs: usize,
    max_iterations: usize,
) -> Result<Clustering, String> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    kmeans_on(threads, points, k, seed, runs, max_iterations)
}

/// [`kmeans`] with its runs shared by `threads` threads.
fn kmeans_on(
    threads: usize,
    points: &[Vec<f64>],
    k: usize,
    seed: u64,
    runs: usize,
    max_iterations: usize,
) -> Result<Clustering, String> {
    if k == 0 {
        return Err("`k` must be at least 1".into());
    }
    let mut distinct: Vec<&Vec<f64>> = points.iter().collect();
    distinct.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    distinct.dedup();
    if distinct.len() < k {
        return Err(format!(
            "`k` is {k} but the data has {} distinct points: ask for fewer segments, or set `allow_fewer = true`",
            distinct.len()
        ));
    }
    // the runs share the cores; each is the same whichever thread runs it,
    // and the best is chosen in run order
    let runs = runs.max(1);
    let flat = &Points::new(points);
    let threads = threads.clamp(1, runs);
    let results: Vec<Result<Clustering, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (t..runs)
                        .step_by(threads)
                        .map(|run| {
                            let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_add(run as u64));
                            let start = seed_centroids(flat, k, &mut rng);
                            (run, lloyd(flat, start, max_iterations))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<(usize, Result<Clustering, String>)> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| vec![(usize::MAX, Err("a k-means run stopped".to_string()))]))
            .collect();
        all.sort_by_key(|(run, _)| *run);
        all.into_iter().map(|(_, r)| r).collect()
    });
    let mut best: Option<Clustering> = None;
    for this in results {
        let this = this?;
        if best.as_ref().is_none_or(|b| this.inertia < b.inertia) {
            best = Some(this);
        }
    }
    let Clustering { segments, centroids, inertia, iterations } = best.ok_or("no run")?;
    let mut sizes = vec![0usize; k];
    for &s in &segments {
        sizes[s] += 1;
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| {
        sizes[b]
            .cmp(&sizes[a])
            .then(centroids[b][0].partial_cmp(&centroids[a][0]).unwrap_or(std::cmp::Ordering::Equal))
            .then(a.cmp(&b))
    });
    let mut rank = vec![0; k];
    for (new, &old) in order.iter().enumerate() {
        rank[old] = new;
    }
    Ok(Clustering {
        segments: segments.iter().map(|&s| rank[s]).collect(),
        centroids: order.iter().map(|&old| centroids[old].clone()).collect(),
        inertia,
        iterations,
    })
}

/// Clusters the rows of `data` (the result of `spec.data`) as `spec` says.
pub fn fit(spec: &ModelSpec, data: &Table) -> Result<Fitted, SourceError> {
    let query = &spec.data.value;
    let column = |name: &Located<String>| {
        data.column_index(&name.value).ok_or_else(|| {
            SourceError::new(
                name.location.clone(),
                format!("unknown column `{}` in query `{query}` (columns: {})", name.value, data.column_list()),
            )
        })
    };
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
mod tests {
    use super::*;

    fn pts(list: &[(f64, f64)]) -> Vec<Vec<f64>> {
        list.iter().map(|&(x, y)| vec![x, y]).collect()
    }

    #[test]
    fn two_clear_groups_numbered_by_size() {
        let points = pts(&[(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (10.0, 10.0), (10.0, 11.0)]);
        let c = kmeans(&points, 2, 42, 5, 100).unwrap();
        assert_eq!(c.segments, [0, 0, 0, 1, 1]);
        assert_eq!(c.centroids[0], [1.0 / 3.0, 1.0 / 3.0]);
        assert_eq!(c.centroids[1], [10.0, 10.5]);
        // by hand: 2/9 + 5/9 + 5/9 for the first, 1/4 + 1/4 for the second
        assert!((c.inertia - (4.0 / 3.0 + 0.5)).abs() < 1e-12, "{}", c.inertia);
    }

    #[test]
    fn the_result_is_a_fixed_point() {
        // a spread of points where seeding matters
        let points: Vec<Vec<f64>> =
            (0..200).map(|i| vec![((i * 37) % 101) as f64 / 10.0, ((i * 53) % 97) as f64 / 10.0]).collect();
        let c = kmeans(&points, 4, 7, 10, 500).unwrap();
        for (p, &s) in points.iter().zip(&c.segments) {
            assert_eq!(nearest_two(p, &c.centroids).0, s, "every point in the segment of its nearest centroid");
        }
        for (s, centroid) in c.centroids.iter().enumerate() {
            let mine: Vec<&Vec<f64>> =
                points.iter().zip(&c.segments).filter(|(_, x)| **x == s).map(|(p, _)| p).collect();
            for d in 0..2 {
                let mean = mine.iter().map(|p| p[d]).sum::<f64>() / mine.len() as f64;
                assert!((mean - centroid[d]).abs() < 1e-12, "each centroid the mean of its points");
            }
        }
        let sizes: Vec<usize> = (0..4).map(|s| c.segments.iter().filter(|&&x| x == s).count()).collect();
        assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "numbered by size: {sizes:?}");
        // the same inputs, the same result, on any number of threads
        assert_eq!(kmeans(&points, 4, 7, 10, 500).unwrap(), c);
        for threads in [1, 2, 3, 16] {
            assert_eq!(kmeans_on(threads, &points, 4, 7, 10, 500).unwrap(), c, "{threads} threads");
        }
        // more runs never do worse
        let one = kmeans(&points, 4, 7, 1, 500).unwrap();
        assert!(c.inertia <= one.inertia);
    }

    #[test]
    fn ties_duplicates_and_too_many_segments() {
        // duplicate points: three distinct, k = 3
        let points = pts(&[(1.0, 1.0), (1.0, 1.0), (5.0, 5.0), (5.0, 5.0), (9.0, 9.0)]);
        let c = kmeans(&points, 3, 1, 3, 100).unwrap();
        assert_eq!(c.segments[0], c.segments[1]);
        assert_eq!(c.segments[2], c.segments[3]);
        assert_eq!(c.inertia, 0.0);
        // equal sizes: the larger first coordinate comes first
        assert_eq!(c.centroids[0], [5.0, 5.0]);
        assert_eq!(c.centroids[1], [1.0, 1.0]);
        assert_eq!(c.centroids[2], [9.0, 9.0]);
        let e = kmeans(&points, 4, 1, 3, 100).unwrap_err();
        assert!(e.contains("3 distinct points"), "{e}");
        assert!(kmeans(&points, 0, 1, 3, 100).is_err());
        // a point halfway between two centroids goes to the first
        assert_eq!(nearest_two(&[0.0], &[vec![-1.0], vec![1.0]]).0, 0);
    }

    #[test]
    fn an_empty_segment_takes_the_farthest_point() {
        // three far points and one seeding that puts two centroids together
        let points = pts(&[(0.0, 0.0), (0.0, 0.1), (50.0, 50.0), (100.0, 0.0)]);
        let Clustering { segments, centroids, .. } =
            lloyd(&Points::new(&points), vec![vec![0.0, 0.0], vec![0.0, 0.0], vec![200.0, 200.0]], 100).unwrap();
        assert_eq!(centroids.len(), 3);
        let mut used: Vec<usize> = segments.clone();
        used.sort_unstable();
        used.dedup();
        assert_eq!(used.len(), 3, "no segment left empty: {segments:?}");
        for (p, &s) in points.iter().zip(&segments) {
            assert_eq!(nearest_two(p, &centroids).0, s);
        }
    }

    #[test]
    fn a_cap_on_iterations_is_an_error_not_a_silent_stop() {
        let points: Vec<Vec<f64>> = (0..100).map(|i| vec![(i % 10) as f64, (i / 10) as f64]).collect();
        let e = kmeans(&points, 7, 3, 1, 1).unwrap_err();
        assert!(e.contains("did not settle within 1 iterations"), "{e}");
    }

    fn located(s: &str) -> Located<String> {
        Located { value: s.into(), location: Location { path: "content/s.md".into(), line: 3, column: 8 } }
    }

    fn spec(features: &[&str], k: usize) -> ModelSpec {
        ModelSpec {
            name: "seg".into(),
            data: located("q"),
            id: located("id"),
            features: features.iter().map(|f| located(f)).collect(),
            standardize: true,
            k,
            seed: 42,
            runs: 4,
            max_iterations: 100,
            allow_fewer: false,
            defined_at: Location { path: "content/s.md".into(), line: 1, column: 1 },
        }
    }

    fn table(rows: &[(i64, f64, f64, &str)]) -> Table {
        Table {
            columns: vec![
                Column { name: "id".into(), kind: ColumnType::Number },
                Column { name: "a".into(), kind: ColumnType::Number },
                Column { name: "b".into(), kind: ColumnType::Number },
                Column { name: "label".into(), kind: ColumnType::Text },
            ],
            rows: rows
                .iter()
                .map(|&(i, a, b, l)| vec![Value::Int(i), Value::Float(a), Value::Float(b), Value::Text(l.into())])
                .collect(),
        }
    }

    #[test]
    fn fits_standardized_features_in_id_order() {
        let rows = [(3, 10.0, 100.0, "c"), (1, 0.0, 0.0, "a"), (2, 1.0, 10.0, "b"), (4, 11.0, 110.0, "d")];
        let f = fit(&spec(&["a", "b"], 2), &table(&rows)).unwrap();
        let ids: Vec<String> = f.items.rows.iter().map(|r| r[0].to_csv_field()).collect();
        assert_eq!(ids, ["1", "2", "3", "4"]);
        assert_eq!(f.items.column_list(), "id, segment, distance, a, b, label");
        assert_eq!(f.centroids.column_list(), "segment, n, a, b");
        // z-scores: a has mean 5.5 and population sd sqrt(25.25)
        let za = |x: f64| (x - 5.5) / 25.25f64.sqrt();
        let first = &f.centroids.rows[0];
        let second = &f.centroids.rows[1];
        let near = |v: &Value, x: f64| (v.as_f64().unwrap() - x).abs() < 1e-12;
        assert!(near(&first[2], (za(10.0) + za(11.0)) / 2.0) || near(&second[2], (za(10.0) + za(11.0)) / 2.0));
        // the same data in another order: the same tables
        let mut shuffled = rows;
        shuffled.reverse();
        assert_eq!(fit(&spec(&["a", "b"], 2), &table(&shuffled)).unwrap(), f);
    }

    #[test]
    fn mistakes_are_located() {
        let t = table(&[(1, 0.0, 0.0, "a"), (2, 1.0, 1.0, "b")]);
        let e = fit(&spec(&["a", "nope"], 2), &t).unwrap_err();
        assert!(e.message.starts_with("unknown column `nope` in query `q`"), "{}", e.message);
        let e = fit(&spec(&["label"], 2), &t).unwrap_err();
        assert!(e.message.contains("not numeric"), "{}", e.message);
        let e = fit(&spec(&["a"], 3), &t).unwrap_err();
        assert!(e.message.contains("2 distinct points"), "{}", e.message);
        let dup = table(&[(1, 0.0, 0.0, "a"), (1, 1.0, 1.0, "b")]);
        assert!(fit(&spec(&["a"], 1), &dup).unwrap_err().message.contains("one item per row"));
        // unless fewer are allowed: then one segment per distinct point, or none
        let mut fewer = spec(&["a"], 3);
        fewer.allow_fewer = true;
        assert_eq!(fit(&fewer, &t).unwrap().centroids.rows.len(), 2);
        let empty = Table { rows: Vec::new(), ..t.clone() };
        let none = fit(&fewer, &empty).unwrap();
        assert!(none.items.rows.is_empty() && none.centroids.rows.is_empty());
        assert_eq!(none.centroids.column_list(), "segment, n, a");
        assert!(fit(&spec(&["a"], 3), &empty).unwrap_err().message.contains("no rows to cluster"));
        let mut null = t.clone();
        null.rows[1][1] = Value::Null;
        assert!(fit(&spec(&["a"], 1), &null).unwrap_err().message.contains("has no number for `a`"));
    }

    /// Lloyd's iterations as defined, every distance computed: what the
    /// bounds must give.
    fn plain_lloyd(points: &[Vec<f64>], mut centroids: Vec<Vec<f64>>) -> (Vec<usize>, Vec<Vec<f64>>) {
        let k = centroids.len();
        let assign = |c: &[Vec<f64>]| points.iter().map(|p| nearest_two(p, c).0).collect::<Vec<_>>();
        let mut segments = assign(&centroids);
        loop {
            let (sums, counts) = segment_sums(&Points::new(points), &segments, k);
            for s in 0..k {
                if counts[s] > 0 {
                    centroids[s] = sums[s].iter().map(|a| a.value() / counts[s] as f64).collect();
                }
            }
            let next = assign(&centroids);
            if next == segments {
                return (segments, centroids);
            }
            segments = next;
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn the_bounds_change_nothing(
            raw in proptest::collection::vec((0u8..40, 0u8..40, 0u8..8), 8..120),
            k in 2usize..6,
            seed in 0u64..1000,
        ) {
            // coarse coordinates: many ties and duplicates
            let points: Vec<Vec<f64>> =
                raw.iter().map(|&(x, y, z)| vec![x as f64 / 4.0, y as f64 / 3.0, z as f64]).collect();
            let flat = Points::new(&points);
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let start = seed_centroids(&flat, k, &mut rng);
            let bounded = lloyd(&flat, start.clone(), 10_000).unwrap();
            // where plain Lloyd leaves no segment empty, the two agree exactly
            let (segments, centroids) = plain_lloyd(&points, start);
            let sizes: Vec<usize> = (0..k).map(|s| segments.iter().filter(|&&x| x == s).count()).collect();
            if sizes.iter().all(|&n| n > 0) {
                proptest::prop_assert_eq!(&bounded.segments, &segments);
                proptest::prop_assert_eq!(&bounded.centroids, &centroids);
            }
            // and it is always a fixed point
            for (p, &s) in points.iter().zip(&bounded.segments) {
                proptest::prop_assert_eq!(nearest_two(p, &bounded.centroids).0, s);
            }
        }
    }
}
