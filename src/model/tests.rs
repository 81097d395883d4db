//! Tests of the models on hand-checkable points.

use super::*;
use crate::model::overlap::{Measure, Ranking};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;

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
        assert_eq!(nearest(p, &c.centroids).0, s, "every point in the segment of its nearest centroid");
    }
    for (s, centroid) in c.centroids.iter().enumerate() {
        let mine: Vec<&Vec<f64>> = points.iter().zip(&c.segments).filter(|(_, x)| **x == s).map(|(p, _)| p).collect();
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
    assert_eq!(nearest(&[0.0], &[vec![-1.0], vec![1.0]]).0, 0);
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
        assert_eq!(nearest(p, &centroids).0, s);
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
        method: Method::Cluster(Cluster {
            features: features.iter().map(|f| located(f)).collect(),
            standardize: true,
            k,
            seed: 42,
            runs: 4,
            max_iterations: 100,
            allow_fewer: false,
        }),
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
    let f = fit(&spec(&["a", "b"], 2), &table(&rows), None).unwrap();
    let ids: Vec<String> = f.tables[0].rows.iter().map(|r| r[0].to_csv_field()).collect();
    assert_eq!(ids, ["1", "2", "3", "4"]);
    assert_eq!(f.tables[0].column_list(), "id, segment, distance, a, b, label");
    assert_eq!(f.tables[1].column_list(), "segment, n, a, b");
    // z-scores: a has mean 5.5 and population sd sqrt(25.25)
    let za = |x: f64| (x - 5.5) / 25.25f64.sqrt();
    let first = &f.tables[1].rows[0];
    let second = &f.tables[1].rows[1];
    let near = |v: &Value, x: f64| (v.as_f64().unwrap() - x).abs() < 1e-12;
    assert!(near(&first[2], (za(10.0) + za(11.0)) / 2.0) || near(&second[2], (za(10.0) + za(11.0)) / 2.0));
    // the same data in another order: the same tables
    let mut shuffled = rows;
    shuffled.reverse();
    assert_eq!(fit(&spec(&["a", "b"], 2), &table(&shuffled), None).unwrap(), f);
}

#[test]
fn mistakes_are_located() {
    let t = table(&[(1, 0.0, 0.0, "a"), (2, 1.0, 1.0, "b")]);
    let e = fit(&spec(&["a", "nope"], 2), &t, None).unwrap_err();
    assert!(e.message.starts_with("unknown column `nope` in query `q`"), "{}", e.message);
    let e = fit(&spec(&["label"], 2), &t, None).unwrap_err();
    assert!(e.message.contains("not numeric"), "{}", e.message);
    let e = fit(&spec(&["a"], 3), &t, None).unwrap_err();
    assert!(e.message.contains("2 distinct points"), "{}", e.message);
    let dup = table(&[(1, 0.0, 0.0, "a"), (1, 1.0, 1.0, "b")]);
    assert!(fit(&spec(&["a"], 1), &dup, None).unwrap_err().message.contains("one item per row"));
    // unless fewer are allowed: then one segment per distinct point, or none
    let mut fewer = spec(&["a"], 3);
    if let Method::Cluster(c) = &mut fewer.method {
        c.allow_fewer = true;
    }
    assert_eq!(fit(&fewer, &t, None).unwrap().tables[1].rows.len(), 2);
    let empty = Table { rows: Vec::new(), ..t.clone() };
    let none = fit(&fewer, &empty, None).unwrap();
    assert!(none.tables[0].rows.is_empty() && none.tables[1].rows.is_empty());
    assert_eq!(none.tables[1].column_list(), "segment, n, a");
    assert!(fit(&spec(&["a"], 3), &empty, None).unwrap_err().message.contains("no rows to cluster"));
    let mut null = t.clone();
    null.rows[1][1] = Value::Null;
    assert!(fit(&spec(&["a"], 1), &null, None).unwrap_err().message.contains("has no number for `a`"));
}

/// Lloyd's iterations as defined, one point at a time: every distance
/// computed by itself, each segment's sums added point by point.
fn plain_lloyd(points: &[Vec<f64>], mut centroids: Vec<Vec<f64>>) -> (Vec<usize>, Vec<Vec<f64>>) {
    let k = centroids.len();
    let assign = |c: &[Vec<f64>]| points.iter().map(|p| nearest(p, c).0).collect::<Vec<_>>();
    let mut segments = assign(&centroids);
    loop {
        let mut sums = vec![vec![Sum::default(); points[0].len()]; k];
        let mut counts = vec![0usize; k];
        for (p, &s) in points.iter().zip(&segments) {
            counts[s] += 1;
            for (acc, &x) in sums[s].iter_mut().zip(p) {
                acc.add(x);
            }
        }
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

/// Neumaier's compensated addition, as written in the papers: the larger
/// magnitude decides how the rounding error is found.
fn neumaier(sum: &mut f64, compensation: &mut f64, x: f64) {
    let t = *sum + x;
    if sum.abs() >= x.abs() {
        *compensation += (*sum - t) + x;
    } else {
        *compensation += (x - t) + *sum;
    }
    *sum = t;
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn the_fast_passes_are_plain_lloyd(
        raw in proptest::collection::vec((0u8..40, 0u8..40, 0u8..8), 8..120),
        k in proptest::sample::select(vec![2usize, 3, 4, 5, 8, 9, 11]),
        seed in 0u64..1000,
        dims in proptest::sample::select(vec![1usize, 2, 3, 4, 8, 9]),
    ) {
        // coarse coordinates: many ties and duplicates; each number of
        // features and of segments up to 8 has code of its own, more take
        // the general code
        let points: Vec<Vec<f64>> = raw
            .iter()
            .map(|&(x, y, z)| {
                let base = [x as f64 / 4.0, y as f64 / 3.0, z as f64];
                (0..dims).map(|j| base[j % 3] * (1 + j / 3) as f64 + j as f64 / 7.0).collect()
            })
            .collect();
        // (fewer distinct points than segments is an error before Lloyd)
        let mut distinct = points.clone();
        distinct.sort_by(|a, b| a.partial_cmp(b).unwrap());
        distinct.dedup();
        proptest::prop_assume!(distinct.len() >= k);
        let flat = Points::new(&points);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let start = seed_centroids(&flat, k, &mut rng);
        let fast = lloyd(&flat, start.clone(), 10_000).unwrap();
        // where plain Lloyd leaves no segment empty, the two agree exactly
        let (segments, centroids) = plain_lloyd(&points, start);
        let sizes: Vec<usize> = (0..k).map(|s| segments.iter().filter(|&&x| x == s).count()).collect();
        if sizes.iter().all(|&n| n > 0) {
            proptest::prop_assert_eq!(&fast.segments, &segments);
            proptest::prop_assert_eq!(&fast.centroids, &centroids);
        }
        // and it is always a fixed point
        for (p, &s) in points.iter().zip(&fast.segments) {
            proptest::prop_assert_eq!(nearest(p, &fast.centroids).0, s);
        }
    }

    #[test]
    fn the_compensation_is_neumaiers(
        values in proptest::collection::vec(
            proptest::prop_oneof![
                -1e3f64..1e3,
                -1e-12f64..1e-12,
                (-1e16f64..1e16),
                proptest::num::f64::NORMAL,
                proptest::num::f64::SUBNORMAL,
                proptest::num::f64::ZERO,
            ],
            0..60,
        ),
    ) {
        let (mut sum, mut compensation) = (0.0, 0.0);
        let mut ours = Sum::default();
        for &x in &values {
            neumaier(&mut sum, &mut compensation, x);
            ours.add(x);
            // the same bits, or both not a number (an overflow)
            let (a, b) = (ours.value(), sum + compensation);
            proptest::prop_assert!(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()), "{a} {b}");
        }
    }
}

fn overlap_spec(order: &[Measure], top: usize) -> ModelSpec {
    ModelSpec {
        name: "near".into(),
        data: located("q"),
        id: located("id"),
        method: Method::Overlap(Overlap {
            pairs: located("select ..."),
            ranking: Ranking { order: order.to_vec(), top, min_shared: 1 },
        }),
        defined_at: Location { path: "content/s.md".into(), line: 1, column: 1 },
    }
}

#[test]
fn an_overlap_table_has_a_row_per_other_found_in_the_datas_order() {
    // items named by text: b = {1 2 3}, a = {1 2}, c = {3 9}, d = {7}
    let names: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
    let pairs = Pairs {
        items: Keys { keys: vec![1, 1, 1, 0, 0, 2, 2, 3], names: Some(names) },
        members: Keys { keys: vec![1, 2, 3, 1, 2, 3, 9, 7], names: None },
    };
    let data = Table {
        columns: vec![Column { name: "id".into(), kind: ColumnType::Text }],
        rows: ["b", "zz", "d", "a"].iter().map(|s| vec![Value::Text(s.to_string())]).collect(),
    };
    let f = fit(&overlap_spec(&[Measure::Jaccard, Measure::Shared], 5), &data, Some(&pairs)).unwrap();
    assert_eq!(f.tables.len(), 1);
    let t = &f.tables[0];
    assert_eq!(t.column_list(), "item, rank, other, shared, jaccard, cosine, size, other_size");
    let rows: Vec<String> =
        t.rows.iter().map(|r| r.iter().map(Value::to_csv_field).collect::<Vec<_>>().join(" ")).collect();
    let cos = |s: f64, a: f64, b: f64| s / (a * b).sqrt();
    assert_eq!(
        rows,
        [
            format!("b 1 a 2 {} {} 3 2", 2.0 / 3.0, cos(2.0, 3.0, 2.0)),
            format!("b 2 c 1 {} {} 3 2", 1.0 / 4.0, cos(1.0, 3.0, 2.0)),
            format!("a 1 b 2 {} {} 2 3", 2.0 / 3.0, cos(2.0, 2.0, 3.0)),
        ]
        .map(|r| r.replace("0.6666666666666666", &Value::Float(2.0 / 3.0).to_csv_field()))
    );
    // numbers against text, or no id: located errors
    let numbers = Table {
        columns: vec![Column { name: "id".into(), kind: ColumnType::Number }],
        rows: vec![vec![Value::Int(1)]],
    };
    let e = fit(&overlap_spec(&[Measure::Shared], 5), &numbers, Some(&pairs)).unwrap_err();
    assert!(e.message.contains("is a number (`1`) but the items of the pairs are text"), "{}", e.message);
    let null = Table { rows: vec![vec![Value::Null]], ..numbers.clone() };
    let e = fit(&overlap_spec(&[Measure::Shared], 5), &null, Some(&pairs)).unwrap_err();
    assert!(e.message.contains("has no `id`"), "{}", e.message);
    let twice = Table { rows: vec![vec![Value::Int(1)], vec![Value::Int(1)]], ..numbers };
    let e = fit(&overlap_spec(&[Measure::Shared], 5), &twice, Some(&Pairs::default())).unwrap_err();
    assert!(e.message.contains("one item per row"), "{}", e.message);
}
