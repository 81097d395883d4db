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
    /// Adds `x`, keeping the rounding error of the addition apart. The
    /// error is found without comparing magnitudes (Knuth's two-sum): it is
    /// the same number Neumaier's comparison finds, without a branch that
    /// the data decides.
    pub(super) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        let back = t - self.sum;
        self.compensation += (self.sum - (t - back)) + (x - back);
        self.sum = t;
    }

    pub(super) fn value(self) -> f64 {
        self.sum + self.compensation
    }
}

/// The squared Euclidean distance, summed in coordinate order.
pub(super) fn squared(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for (x, y) in a.iter().zip(b) {
        s += (x - y) * (x - y);
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

/// The nearest centroid (the lowest index on a tie) and the squared
/// distance to it, one distance at a time.
#[cfg(test)]
pub(super) fn nearest(p: &[f64], centroids: &[Vec<f64>]) -> (usize, f64) {
    let mut best = (0, f64::INFINITY);
    for (j, c) in centroids.iter().enumerate() {
        let d = squared(p, c);
        if d < best.1 {
            best = (j, d);
        }
    }
    best
}

/// Centroids coordinate by coordinate: `data[d * k + j]` is coordinate `d`
/// of centroid `j`, so the `k` centroids' coordinate `d` lie side by side.
struct Columns {
    k: usize,
    data: Vec<f64>,
}

impl Columns {
    fn new(centroids: &[Vec<f64>], dims: usize) -> Columns {
        let data = (0..dims).flat_map(|d| centroids.iter().map(move |c| c[d])).collect();
        Columns { k: centroids.len(), data }
    }

    /// The squared distances from `p` to the `K` centroids (`K` = `k`),
    /// each summed in coordinate order as [`squared`] sums it (so the same
    /// bits), the `K` sums advancing side by side in registers.
    #[inline(always)]
    fn distances<const K: usize>(&self, p: &[f64]) -> [f64; K] {
        debug_assert_eq!(K, self.k);
        let mut acc = [0.0f64; K];
        for (&x, column) in p.iter().zip(self.data.chunks_exact(K)) {
            for j in 0..K {
                let t = x - column[j];
                acc[j] += t * t;
            }
        }
        acc
    }

    /// The nearest centroid to `p` (the lowest index on a tie), the
    /// distance to it and to the second nearest, chosen without branches
    /// when the number of centroids is known (`K` = `k`; `0`: any).
    #[inline(always)]
    fn nearest_two<const K: usize>(&self, p: &[f64]) -> (usize, f64, f64) {
        let (mut best, mut first, mut second) = (0, f64::INFINITY, f64::INFINITY);
        // (as selects: the distances are never NaN, the features being
        // finite numbers)
        let mut take = |j: usize, d: f64| {
            let closer = d < first;
            let passed = if closer { first } else { d };
            second = if passed < second { passed } else { second };
            first = if closer { d } else { first };
            best = if closer { j } else { best };
        };
        if K > 0 {
            for (j, d) in self.distances::<K>(p).into_iter().enumerate() {
                take(j, d);
            }
        } else {
            for j in 0..self.k {
                let mut s = 0.0;
                for (d, &x) in p.iter().enumerate() {
                    let t = x - self.data[d * self.k + j];
                    s += t * t;
                }
                take(j, s);
            }
        }
        (best, first.sqrt(), second.sqrt())
    }
}

/// The state of one run: each point's segment and the bounds on its
/// distances (Hamerly's: `upper` to its centroid, `lower` to any other),
/// each segment's sums and size.
struct Run<'a> {
    points: &'a Points,
    centroids: Vec<Vec<f64>>,
    segments: Vec<usize>,
    upper: Vec<f64>,
    lower: Vec<f64>,
    sums: Vec<Vec<Sum>>,
    counts: Vec<usize>,
    /// The points the bounds could not keep in their segment.
    unsure: Vec<usize>,
}

impl Run<'_> {
    /// Every point to its nearest centroid, every distance computed:
    /// whether any point changed segment. The sums are added afresh.
    fn assign_all<const K: usize>(&mut self) -> bool {
        let columns = Columns::new(&self.centroids, self.points.dims);
        let mut changed = false;
        for (i, p) in self.points.iter().enumerate() {
            let (s, d1, d2) = columns.nearest_two::<K>(p);
            changed |= s != self.segments[i];
            self.segments[i] = s;
            self.upper[i] = d1;
            self.lower[i] = d2;
        }
        (self.sums, self.counts) = segment_sums(self.points, &self.segments, self.centroids.len());
        changed
    }

    /// Each centroid the mean of its points; an empty segment takes the
    /// point farthest from its centroid: whether one did (the point is then
    /// moved to it; the sums and bounds are stale).
    fn update_centroids(&mut self) -> bool {
        let Run { points, centroids, segments, sums, counts, .. } = self;
        let k = centroids.len();
        for s in 0..k {
            if counts[s] > 0 {
                centroids[s] = sums[s].iter().map(|acc| acc.value() / counts[s] as f64).collect();
            }
        }
        let mut refilled = false;
        for s in 0..k {
            if counts[s] == 0 {
                let mut far = (0, -1.0);
                for (i, p) in points.iter().enumerate() {
                    let d = squared(p, &centroids[segments[i]]);
                    if counts[segments[i]] > 1 && d > far.1 {
                        far = (i, d);
                    }
                }
                let (i, _) = far;
                counts[segments[i]] -= 1;
                segments[i] = s;
                counts[s] = 1;
                centroids[s] = points.get(i).to_vec();
                refilled = true;
            }
        }
        refilled
    }

    /// Moves the points whose nearest centroid changed from `previous` to
    /// the current centroids: how many moved. The sums follow the moves.
    /// A first pass, without branches, moves every point's bounds by how
    /// far the centroids moved and lists the points whose bounds no longer
    /// prove that they stay; only those are measured against every
    /// centroid.
    fn assign_bounded<const K: usize>(&mut self, previous: &[Vec<f64>]) -> usize {
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
        // what each segment's points lose from their lower bound
        let shrink: Vec<f64> = (0..k).map(|j| if j == most { second } else { first }).collect();
        let Run { points, centroids, segments, upper, lower, sums, counts, unsure } = self;
        unsure.resize(points.len(), 0);
        let mut m = 0;
        for i in 0..points.len() {
            let a = segments[i];
            let u = upper[i] + drift[a];
            let l = lower[i] - shrink[a];
            (upper[i], lower[i]) = (u, l);
            unsure[m] = i;
            let bound = if l > half[a] { l } else { half[a] };
            // (the distances are never NaN)
            m += usize::from(u >= bound);
        }
        let columns = Columns::new(centroids, points.dims);
        let mut moved = 0;
        for &i in &unsure[..m] {
            let p = points.get(i);
            let (b, d1, d2) = columns.nearest_two::<K>(p);
            (upper[i], lower[i]) = (d1, d2);
            let a = segments[i];
            if b != a {
                for (d, &x) in p.iter().enumerate() {
                    sums[a][d].add(-x);
                    sums[b][d].add(x);
                }
                counts[a] -= 1;
                counts[b] += 1;
                segments[i] = b;
                moved += 1;
            }
        }
        moved
    }
}

/// The sums of each segment's points, added in point order, and the
/// segments' sizes. The points are first listed segment by segment (in
/// their order), so that each segment's sums are added in registers: a sum
/// chosen point by point would be a store that the next point's load waits
/// for.
pub(super) fn segment_sums(points: &Points, segments: &[usize], k: usize) -> (Vec<Vec<Sum>>, Vec<usize>) {
    let mut counts = vec![0usize; k];
    for &s in segments {
        counts[s] += 1;
    }
    let mut fill: Vec<usize> = counts
        .iter()
        .scan(0, |at, &c| {
            *at += c;
            Some(*at - c)
        })
        .collect();
    let mut order = vec![0usize; segments.len()];
    for (i, &s) in segments.iter().enumerate() {
        order[fill[s]] = i;
        fill[s] += 1;
    }
    let mut sums = Vec::with_capacity(k);
    let mut at = 0;
    for &c in &counts {
        let mine = &order[at..at + c];
        at += c;
        sums.push(match points.dims {
            1 => sum_of::<1>(points, mine),
            2 => sum_of::<2>(points, mine),
            3 => sum_of::<3>(points, mine),
            4 => sum_of::<4>(points, mine),
            5 => sum_of::<5>(points, mine),
            6 => sum_of::<6>(points, mine),
            7 => sum_of::<7>(points, mine),
            8 => sum_of::<8>(points, mine),
            _ => sum_into(vec![Sum::default(); points.dims], points, mine),
        });
    }
    (sums, counts)
}

/// The sums of the points `mine`, of `D` coordinates, in that order (the
/// `D` sums in registers).
fn sum_of<const D: usize>(points: &Points, mine: &[usize]) -> Vec<Sum> {
    sum_into([Sum::default(); D], points, mine).to_vec()
}

/// Adds the points `mine` to the sums `acc`, in that order.
#[inline(always)]
fn sum_into<A: AsMut<[Sum]>>(mut acc: A, points: &Points, mine: &[usize]) -> A {
    for &i in mine {
        for (a, &x) in acc.as_mut().iter_mut().zip(points.get(i)) {
            a.add(x);
        }
    }
    acc
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
    // the few segments a model usually has, each its own unrolled code
    match centroids.len() {
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

/// [`lloyd`] for `K` segments (`0`: any number).
fn lloyd_in<const K: usize>(
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
        unsure: Vec::new(),
    };
    run.assign_all::<K>();
    let mut bounded = true;
    for iteration in 1..=max_iterations {
        let previous = run.centroids.clone();
        let refilled = run.update_centroids();
        let moved = if refilled || !bounded {
            usize::from(run.assign_all::<K>() || refilled)
        } else {
            run.assign_bounded::<K>(&previous)
        };
        if moved > 0 {
            continue;
        }
        // settled by the bounds: check it exactly
        (run.sums, run.counts) = segment_sums(points, &run.segments, run.centroids.len());
        run.update_centroids();
        if run.assign_all::<K>() {
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
