//! k-means: k-means++ seeding, Lloyd iterations with Hamerly's bounds and
//! an exact pass at the end, segments numbered by size. Deterministic: each
//! run on one thread in a fixed order (points sorted by id, compensated sums,
//! ties to the lowest index, ChaCha8 draws from the seed), the runs shared by
//! the cores and the best chosen by (inertia, run order), so the result is
//! the same on any machine and any number of threads.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};

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
pub(super) struct Points {
    dims: usize,
    n: usize,
    data: Vec<f64>,
}

impl Points {
    pub(super) fn new(rows: &[Vec<f64>]) -> Points {
        let dims = rows.first().map_or(0, Vec::len);
        Points { dims, n: rows.len(), data: rows.iter().flatten().copied().collect() }
    }

    pub(super) fn len(&self) -> usize {
        self.n
    }

    pub(super) fn get(&self, i: usize) -> &[f64] {
        &self.data[i * self.dims..(i + 1) * self.dims]
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &[f64]> {
        (0..self.n).map(|i| self.get(i))
    }
}

/// Compensated sums in a fixed order.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    pub(super) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    pub(super) fn value(self) -> f64 {
        self.sum + self.compensation
    }
}

/// The squared Euclidean distance, summed in coordinate order.
pub(super) fn squared(a: &[f64], b: &[f64]) -> f64 {
    squared_in::<0>(a, b)
}

/// [`squared`] for points of `D` coordinates (`0`: as many as they have).
/// Knowing `D`, the compiler unrolls the sum; it is the same sum, in the
/// same order, so the same bits.
#[inline(always)]
fn squared_in<const D: usize>(a: &[f64], b: &[f64]) -> f64 {
    let n = if D == 0 { a.len().min(b.len()) } else { D };
    let (a, b) = (&a[..n], &b[..n]);
    let mut s = 0.0;
    for i in 0..n {
        s += (a[i] - b[i]) * (a[i] - b[i]);
    }
    s
}

/// A uniform draw in `[0, 1)`: the top 53 bits of the next number.
pub(super) fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// k-means++ seeding: the first centroid uniformly at random, each next one
/// with a probability proportional to its squared distance to the nearest
/// chosen one.
pub(super) fn seed_centroids(points: &Points, k: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
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
#[cfg(test)]
pub(super) fn nearest_two(p: &[f64], centroids: &[Vec<f64>]) -> (usize, f64, f64) {
    let flat: Vec<f64> = centroids.iter().flatten().copied().collect();
    nearest_two_in::<0>(p, &flat, p.len(), centroids.len())
}

/// The nearest of `k` centroids side by side in `centroids`, `dims`
/// numbers each (the lowest index on a tie), the distance to it and to the
/// second nearest.
#[inline(always)]
fn nearest_two_in<const D: usize>(p: &[f64], centroids: &[f64], dims: usize, k: usize) -> (usize, f64, f64) {
    let mut best = (0, f64::INFINITY);
    let mut second = f64::INFINITY;
    for i in 0..k {
        let d = squared_in::<D>(p, &centroids[i * dims..(i + 1) * dims]);
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
pub(super) fn segment_sums(points: &Points, segments: &[usize], k: usize) -> (Vec<Vec<Sum>>, Vec<usize>) {
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
pub(super) struct Run<'a> {
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
    fn assign_all<const D: usize>(&mut self) -> bool {
        let mut changed = false;
        let flat: Vec<f64> = self.centroids.iter().flatten().copied().collect();
        for (i, p) in self.points.iter().enumerate() {
            let (s, d1, d2) = nearest_two_in::<D>(p, &flat, self.points.dims, self.centroids.len());
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
    fn update_centroids<const D: usize>(&mut self) -> bool {
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
                    let d = squared_in::<D>(p, &self.centroids[self.segments[i]]);
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
    fn assign_bounded<const D: usize>(&mut self, previous: &[Vec<f64>]) -> usize {
        let k = self.centroids.len();
        let drift: Vec<f64> = previous.iter().zip(&self.centroids).map(|(a, b)| squared_in::<D>(a, b).sqrt()).collect();
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
                    .map(|o| squared_in::<D>(&self.centroids[j], &self.centroids[o]).sqrt())
                    .fold(f64::INFINITY, f64::min)
                    / 2.0
            })
            .collect();
        // what each segment's points lose from their lower bound
        let shrink: Vec<f64> = (0..k).map(|j| if j == most { second } else { first }).collect();
        let mut moved = 0;
        let Run { points, centroids, segments, upper, lower, sums, counts } = self;
        // the centroids side by side, as the points are
        let dims = points.dims;
        let flat: Vec<f64> = centroids.iter().flatten().copied().collect();
        let centroid = |j: usize| &flat[j * dims..(j + 1) * dims];
        for (i, p) in points.iter().enumerate() {
            let a = segments[i];
            let u = upper[i] + drift[a];
            let l = lower[i] - shrink[a];
            let bound = half[a].max(l);
            if u < bound {
                (upper[i], lower[i]) = (u, l);
                continue;
            }
            let u = squared_in::<D>(p, centroid(a)).sqrt();
            if u < bound {
                (upper[i], lower[i]) = (u, l);
                continue;
            }
            let (b, d1, d2) = nearest_two_in::<D>(p, &flat, dims, k);
            (upper[i], lower[i]) = (d1, d2);
            let segment = &mut segments[i];
            if b != a {
                for (d, &x) in p.iter().enumerate() {
                    sums[a][d].add(-x);
                    sums[b][d].add(x);
                }
                counts[a] -= 1;
                counts[b] += 1;
                *segment = b;
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
pub(super) fn lloyd(points: &Points, centroids: Vec<Vec<f64>>, max_iterations: usize) -> Result<Clustering, String> {
    // the few features a model usually has, each its own unrolled code
    match points.dims {
        1 => lloyd_in::<1>(points, centroids, max_iterations),
        2 => lloyd_in::<2>(points, centroids, max_iterations),
        3 => lloyd_in::<3>(points, centroids, max_iterations),
        4 => lloyd_in::<4>(points, centroids, max_iterations),
        5 => lloyd_in::<5>(points, centroids, max_iterations),
        6 => lloyd_in::<6>(points, centroids, max_iterations),
        7 => lloyd_in::<7>(points, centroids, max_iterations),
        8 => lloyd_in::<8>(points, centroids, max_iterations),
        _ => lloyd_in::<0>(points, centroids, max_iterations),
    }
}

/// [`lloyd`] for points of `D` coordinates (`0`: any number).
fn lloyd_in<const D: usize>(
    points: &Points,
    centroids: Vec<Vec<f64>>,
    max_iterations: usize,
) -> Result<Clustering, String> {
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
    run.assign_all::<D>();
    let mut bounded = true;
    for iteration in 1..=max_iterations {
        let previous = run.centroids.clone();
        let refilled = run.update_centroids::<D>();
        let moved = if refilled || !bounded {
            usize::from(run.assign_all::<D>() || refilled)
        } else {
            run.assign_bounded::<D>(&previous)
        };
        if moved > 0 {
            continue;
        }
        // settled by the bounds: check it exactly
        (run.sums, run.counts) = segment_sums(points, &run.segments, run.centroids.len());
        run.update_centroids::<D>();
        if run.assign_all::<D>() {
            bounded = false;
            continue;
        }
        let mut inertia = Sum::default();
        for (p, &s) in points.iter().zip(&run.segments) {
            inertia.add(squared_in::<D>(p, &run.centroids[s]));
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
pub(super) fn kmeans_on(
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
