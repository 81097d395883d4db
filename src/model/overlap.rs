//! Overlap: for each item asked about, the other items whose sets of
//! members overlap its own the most (recipes that share ingredients,
//! recipes liked by the same users), in one pass over the `(item, member)`
//! pairs.
//!
//! Every set is the distinct members of an item (a pair given twice counts
//! once). For an item `A` and another item `B`: `shared = |A ∩ B|`,
//! `jaccard = shared / |A ∪ B|`, `cosine = shared / sqrt(|A| |B|)`, each
//! computed from the whole numbers in one division (and one square root),
//! as SQL would. The others are ranked by the measures asked for, each
//! highest first, then by key, lowest first; only others that share at
//! least `min_shared` members take part.
//!
//! Keys are integers whose order is the items' order (the text of text
//! keys is sorted before it is numbered).

use std::cmp::Ordering;
use std::collections::HashMap;

type Map<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// One side of an overlap's pairs: a key per pair.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Keys {
    /// The keys, one per pair.
    pub keys: Vec<i64>,
    /// `Some` when the values are text: key `k` stands for `names[k]`, and
    /// the names are sorted (so the keys' order is the text's).
    pub names: Option<Vec<String>>,
}

/// An overlap's `(item, member)` pairs, without those with a NULL.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Pairs {
    /// The items.
    pub items: Keys,
    /// Their members.
    pub members: Keys,
}

/// A measure the others are ranked by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// The number of shared members.
    Shared,
    /// Shared members over the members of either.
    Jaccard,
    /// Shared members over the square root of the product of the two sizes.
    Cosine,
}

impl Measure {
    /// The measure called `name` in a block.
    pub fn named(name: &str) -> Option<Measure> {
        match name {
            "shared" => Some(Measure::Shared),
            "jaccard" => Some(Measure::Jaccard),
            "cosine" => Some(Measure::Cosine),
            _ => None,
        }
    }

    /// Its value for an other `f` of an item with `size` members.
    pub fn of_found(self, f: &Found, size: u64) -> f64 {
        self.of(f.shared, size, f.other_size)
    }

    fn of(self, shared: u64, size: u64, other: u64) -> f64 {
        match self {
            Measure::Shared => shared as f64,
            Measure::Jaccard => shared as f64 / (size + other - shared) as f64,
            Measure::Cosine => shared as f64 / ((size * other) as f64).sqrt(),
        }
    }
}

/// How the others are chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranking {
    /// The measures, in order of precedence (each highest first); at most
    /// three are used.
    pub order: Vec<Measure>,
    /// How many others are kept per item.
    pub top: usize,
    /// The fewest shared members an other must have.
    pub min_shared: u64,
}

/// The measures of one other item, in the ranking's order (at most three:
/// the unused ones stay 0).
type Scores = [f64; 3];

impl Ranking {
    /// The fewest shared members an other of an item with `size` members
    /// needs for its first measure to reach `worst`: every measure is at most
    /// a function of the shared members alone (the other has at least as
    /// many members as it shares), and that bound must reach `worst`. A
    /// hair below, against rounding: the bar only passes items over, the
    /// ranking itself compares the measures.
    fn bar(&self, worst: f64, size: u64) -> u64 {
        let size = size as f64;
        let needed = match self.order.first() {
            Some(Measure::Shared) => worst,
            // shared / (size + other - shared) <= shared / size
            Some(Measure::Jaccard) => worst * size,
            // shared / sqrt(size * other) <= sqrt(shared / size)
            Some(Measure::Cosine) => worst * worst * size,
            None => 0.0,
        };
        // (relative too: a product of large sizes rounds in its last bits)
        let bar = (needed - needed.abs() * 1e-12 - 1e-9).ceil();
        if bar >= 1.0 { bar as u64 } else { 1 }
    }

    fn scores(&self, shared: u64, size: u64, other: u64) -> Scores {
        let mut s = [0.0; 3];
        for (slot, m) in s.iter_mut().zip(&self.order) {
            *slot = m.of(shared, size, other);
        }
        s
    }
}

/// One other item found for an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Its key.
    pub other: i64,
    /// Members it shares with the item.
    pub shared: u64,
    /// Its distinct members.
    pub other_size: u64,
}

/// What was found for one item asked about.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Nearest {
    /// The item's distinct members.
    pub size: u64,
    /// The others, best first.
    pub found: Vec<Found>,
}

/// For each key of `asked`, the others that overlap it the most, among the
/// items of the pairs (`items[i]` has member `members[i]`).
pub fn nearest(asked: &[i64], items: &[i64], members: &[i64], ranking: &Ranking) -> Vec<Nearest> {
    let items = Dense::new(items);
    let mut sets = Sets::of(&items.rows, items.keys.len(), Dense::new(members));
    let asked_at: Vec<Option<usize>> = asked.iter().map(|&k| items.index(k)).collect();
    let mut slots: Vec<usize> = asked_at.iter().flatten().copied().collect();
    slots.sort_unstable();
    slots.dedup();
    sets.count_only_members_of(&slots);
    let largest = slots.iter().map(|&a| sets.size(a)).max().unwrap_or(0);
    let bits = (u64::BITS - largest.leading_zeros()).max(1) as usize;
    let per_word = per_word(bits);
    let mut best: Vec<Vec<(Scores, Found)>> = vec![Vec::with_capacity(ranking.top + 1); slots.len()];
    // as many words at once as the items asked about need, up to four: the
    // pass over every item's members is then made once for them all
    let mut done = 0;
    while done < slots.len() {
        let words = (slots.len() - done).div_ceil(per_word);
        let count = match words {
            1 => count_shared::<1>(&sets, &slots[done..], bits, &items.keys, ranking, &mut best[done..]),
            2 => count_shared::<2>(&sets, &slots[done..], bits, &items.keys, ranking, &mut best[done..]),
            3 => count_shared::<3>(&sets, &slots[done..], bits, &items.keys, ranking, &mut best[done..]),
            _ => count_shared::<4>(&sets, &slots[done..], bits, &items.keys, ranking, &mut best[done..]),
        };
        done += count;
    }
    asked_at
        .iter()
        .map(|at| {
            let Some(a) = *at else { return Nearest::default() };
            let Ok(s) = slots.binary_search(&a) else { return Nearest::default() };
            Nearest { size: sets.size(a), found: best[s].iter().map(|(_, f)| f.clone()).collect() }
        })
        .collect()
}

/// Each item's distinct members: those of item `i` are
/// `lists[start[i]..end[i]]`.
struct Sets {
    start: Vec<usize>,
    end: Vec<usize>,
    lists: Vec<u32>,
    /// How many members there are (each numbered below it).
    members: usize,
}

impl Sets {
    /// The sets of the `n` items of the pairs `items[i]`, `members.rows[i]`
    /// (each item numbered below `n`): a counting sort
    /// by item (unless the pairs come item by item already, as a table's
    /// rows often do), then each item's members kept once (a member is
    /// stamped with the last item that kept it).
    fn of(items: &[u32], n: usize, members: Dense) -> Sets {
        let member_count = members.keys.len();
        let mut start = vec![0usize; n + 1];
        for &i in items {
            start[i as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let grouped = items.windows(2).all(|w| w[0] <= w[1]);
        let mut lists = if grouped {
            members.rows
        } else {
            let mut fill = start.clone();
            let mut lists = vec![0u32; items.len()];
            for (&i, &m) in items.iter().zip(&members.rows) {
                lists[fill[i as usize]] = m;
                fill[i as usize] += 1;
            }
            lists
        };
        let mut end = vec![0usize; n];
        let mut stamp = vec![u32::MAX; member_count];
        for i in 0..n {
            let mut kept = start[i];
            for j in start[i]..start[i + 1] {
                let m = lists[j];
                if stamp[m as usize] != i as u32 {
                    stamp[m as usize] = i as u32;
                    lists[kept] = m;
                    kept += 1;
                }
            }
            end[i] = kept;
        }
        Sets { start, end, lists, members: member_count }
    }

    /// Only the members of the items `slots` count. When they are few among
    /// all, they are numbered 1, 2, ... and the others 0 (which counts for
    /// nothing): the counters are then few enough to stay in the cache,
    /// where one per member would be read from memory at random.
    fn count_only_members_of(&mut self, slots: &[usize]) {
        let mut relevant = vec![0u32; self.members];
        let mut numbered = 0;
        for &a in slots {
            for &m in self.members(a) {
                if relevant[m as usize] == 0 {
                    numbered += 1;
                    relevant[m as usize] = numbered;
                }
            }
        }
        if (numbered as usize) < self.members / 4 {
            for m in &mut self.lists {
                *m = relevant[*m as usize];
            }
            self.members = numbered as usize + 1;
        }
    }

    fn members(&self, i: usize) -> &[u32] {
        &self.lists[self.start[i]..self.end[i]]
    }

    fn size(&self, i: usize) -> u64 {
        (self.end[i] - self.start[i]) as u64
    }
}

/// How many counters of `bits` bits (and a top bit) a 128-bit word holds.
fn per_word(bits: usize) -> usize {
    128 / (bits + 1)
}

/// Counts how many members every item (of key `keys[i]`) shares with each
/// of the first items asked about (`slots`, up to `W` words of them),
/// keeping the best others of each in `best`: how many items asked about
/// it counted for.
///
/// The counts are made in one pass over the items' members: each item
/// asked about gets a counter of `bits` bits (enough for all its members)
/// plus a top bit that stays 0, in one of `W` 128-bit words; each member,
/// the words of ones of the items asked about that have it; and the sum of
/// an item's members' words holds all its counts at once, none overflowing
/// into the next.
fn count_shared<const W: usize>(
    sets: &Sets,
    slots: &[usize],
    bits: usize,
    keys: &[i64],
    ranking: &Ranking,
    best: &mut [Vec<(Scores, Found)>],
) -> usize {
    let width = bits + 1;
    let per_word = per_word(bits);
    let mask = (1u128 << bits) - 1;
    let group = &slots[..slots.len().min(per_word * W)];
    let word_of = |s: usize| (s / per_word, s % per_word * width);
    let mut ones = vec![[0u128; W]; sets.members];
    for (s, &a) in group.iter().enumerate() {
        let (w, shift) = word_of(s);
        for &m in sets.members(a) {
            ones[m as usize][w] += 1 << shift;
        }
    }
    // Whether a word holds a count at or above its bar is one addition:
    // `count + 2^bits - bar` sets the count's top bit exactly when
    // `count >= bar`, and cannot carry into the next. A bar is the fewest
    // shared members that can still rank among the best found so far, so
    // most items are passed over at once.
    let mut bars: Vec<u64> = vec![ranking.min_shared.max(1); group.len()];
    let mut tops = [0u128; W];
    for s in 0..group.len() {
        let (w, shift) = word_of(s);
        tops[w] |= 1u128 << (shift + bits);
    }
    let plus_of = |bars: &[u64]| -> [u128; W] {
        let mut plus = [0u128; W];
        for (s, &b) in bars.iter().enumerate() {
            let (w, shift) = word_of(s);
            plus[w] += ((1u128 << bits) - u128::from(b.min(1 << bits))) << shift;
        }
        plus
    };
    let mut plus = plus_of(&bars);
    for (o, &other) in keys.iter().enumerate() {
        let mut packed = [0u128; W];
        for &m in sets.members(o) {
            let word = &ones[m as usize];
            for w in 0..W {
                packed[w] = packed[w].wrapping_add(word[w]);
            }
        }
        for w in 0..W {
            let mut hits = packed[w].wrapping_add(plus[w]) & tops[w];
            while hits != 0 {
                let s = w * per_word + hits.trailing_zeros() as usize / width;
                hits &= hits - 1;
                let a = group[s];
                if o == a {
                    continue;
                }
                let shared = ((packed[w] >> word_of(s).1) & mask) as u64;
                let (mine, theirs) = (sets.size(a), sets.size(o));
                let scores = ranking.scores(shared, mine, theirs);
                let found = Found { other, shared, other_size: theirs };
                let best = &mut best[s];
                let better = |(s, f): &(Scores, Found)| before((&scores, found.other), (s, f.other));
                if best.len() == ranking.top && !best.last().is_some_and(better) {
                    continue;
                }
                let at = best.iter().position(better).unwrap_or(best.len());
                best.insert(at, (scores, found));
                best.truncate(ranking.top);
                if best.len() == ranking.top
                    && let Some((worst, _)) = best.last()
                {
                    bars[s] = ranking.bar(worst[0], mine).max(bars[s]);
                    plus = plus_of(&bars);
                }
            }
        }
    }
    group.len()
}

/// Whether `a` ranks before `b`: higher scores, then the lower key.
fn before(a: (&[f64], i64), b: (&[f64], i64)) -> bool {
    for (x, y) in a.0.iter().zip(b.0) {
        match x.total_cmp(y) {
            Ordering::Greater => return true,
            Ordering::Less => return false,
            Ordering::Equal => {}
        }
    }
    a.1 < b.1
}

/// Keys numbered 0, 1, ...: by their offset from the lowest when they lie
/// close together (row ids, codes), else in order of first appearance.
struct Dense {
    /// Each key's number.
    rows: Vec<u32>,
    /// The key of each number.
    keys: Vec<i64>,
    /// The lowest key, when numbers are offsets from it.
    offset: Option<i64>,
    /// The numbers, when they are not offsets.
    numbers: Map<i64, u32>,
}

impl Dense {
    fn new(keys: &[i64]) -> Dense {
        let (lo, hi) = keys.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &k| (lo.min(k), hi.max(k)));
        let span = i128::from(hi) - i128::from(lo) + 1;
        if keys.is_empty() || span <= 2 * keys.len() as i128 + 1024 {
            let lo = if keys.is_empty() { 0 } else { lo };
            let span = if keys.is_empty() { 0 } else { span as i64 };
            return Dense {
                rows: keys.iter().map(|&k| (k - lo) as u32).collect(),
                keys: (0..span).map(|i| lo + i).collect(),
                offset: Some(lo),
                numbers: Map::default(),
            };
        }
        let mut numbers: Map<i64, u32> = Map::default();
        let mut distinct = Vec::new();
        let rows = keys
            .iter()
            .map(|&k| {
                *numbers.entry(k).or_insert_with(|| {
                    distinct.push(k);
                    distinct.len() as u32 - 1
                })
            })
            .collect();
        Dense { rows, keys: distinct, offset: None, numbers }
    }

    /// The number of key `k`, if it is among the keys' range.
    fn index(&self, k: i64) -> Option<usize> {
        match self.offset {
            Some(lo) => usize::try_from(i128::from(k) - i128::from(lo)).ok().filter(|&i| i < self.keys.len()),
            None => self.numbers.get(&k).map(|&i| i as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranking(order: &[Measure], top: usize, min_shared: u64) -> Ranking {
        Ranking { order: order.to_vec(), top, min_shared }
    }

    /// The same by definition: every pair of sets compared, all sorted.
    fn plain(asked: &[i64], items: &[i64], members: &[i64], r: &Ranking) -> Vec<Nearest> {
        let mut sets: std::collections::BTreeMap<i64, std::collections::BTreeSet<i64>> = Default::default();
        for (&i, &m) in items.iter().zip(members) {
            sets.entry(i).or_default().insert(m);
        }
        asked
            .iter()
            .map(|a| {
                let Some(mine) = sets.get(a) else { return Nearest::default() };
                let size = mine.len() as u64;
                let mut all: Vec<(Scores, Found)> = sets
                    .iter()
                    .filter(|(o, _)| *o != a)
                    .map(|(&o, theirs)| (o, mine.intersection(theirs).count() as u64, theirs.len() as u64))
                    .filter(|&(_, shared, _)| shared >= r.min_shared.max(1))
                    .map(|(other, shared, other_size)| {
                        (r.scores(shared, size, other_size), Found { other, shared, other_size })
                    })
                    .collect();
                all.sort_by(|x, y| {
                    if before((&x.0, x.1.other), (&y.0, y.1.other)) { Ordering::Less } else { Ordering::Greater }
                });
                all.truncate(r.top);
                Nearest { size, found: all.into_iter().map(|(_, f)| f).collect() }
            })
            .collect()
    }

    #[test]
    fn ranks_by_jaccard_then_shared_then_key() {
        // 1 = {a b c d}; 2 = {a b} (2/4); 3 = {a b c d e f} (4/6); 4 = {a b c x} (3/5);
        // 5 = {b c} (2/4, as 2); 6 = {z} (shares nothing)
        let pairs = [
            (1, 'a'),
            (1, 'b'),
            (1, 'c'),
            (1, 'd'),
            (2, 'a'),
            (2, 'b'),
            (3, 'a'),
            (3, 'b'),
            (3, 'c'),
            (3, 'd'),
            (3, 'e'),
            (3, 'f'),
            (4, 'a'),
            (4, 'b'),
            (4, 'c'),
            (4, 'x'),
            (5, 'b'),
            (5, 'c'),
            (6, 'z'),
            // given twice: counts once
            (2, 'a'),
        ];
        let items: Vec<i64> = pairs.iter().map(|p| p.0).collect();
        let members: Vec<i64> = pairs.iter().map(|p| p.1 as i64).collect();
        let got = nearest(&[1, 6, 9], &items, &members, &ranking(&[Measure::Jaccard, Measure::Shared], 3, 1));
        let others: Vec<(i64, u64)> = got[0].found.iter().map(|f| (f.other, f.shared)).collect();
        assert_eq!(others, [(3, 4), (4, 3), (2, 2)]);
        assert_eq!(got[0].size, 4);
        assert_eq!(got[0].found[2].other_size, 2);
        // nothing shared, or not among the pairs: nothing found
        assert!(got[1].found.is_empty() && got[1].size == 1);
        assert_eq!(got[2], Nearest::default());
        // by shared members first, at least 3
        let got = nearest(&[1], &items, &members, &ranking(&[Measure::Shared, Measure::Cosine], 5, 3));
        let others: Vec<i64> = got[0].found.iter().map(|f| f.other).collect();
        assert_eq!(others, [3, 4]);
    }

    #[test]
    fn measures_are_the_sql_divisions() {
        assert_eq!(Measure::Jaccard.of(2, 4, 3), 2.0 / 5.0);
        assert_eq!(Measure::Cosine.of(2, 4, 3), 2.0 / 12f64.sqrt());
        assert_eq!(Measure::Shared.of(7, 9, 8), 7.0);
    }

    #[test]
    fn sparse_keys_and_dense_keys_give_the_same() {
        let items = [5, 7, 5, 7, 9];
        let members = [1, 1, 2, 2, 2];
        let r = ranking(&[Measure::Shared], 5, 1);
        let far: Vec<i64> = items.iter().map(|i| i * 1_000_000_007).collect();
        let near = nearest(&[5], &items, &members, &r);
        let sparse = nearest(&[5 * 1_000_000_007], &far, &members, &r);
        assert_eq!(near[0].found.len(), 2);
        assert_eq!(sparse[0].found.iter().map(|f| f.other / 1_000_000_007).collect::<Vec<_>>(), [7, 9]);
        assert_eq!(near[0].found.iter().map(|f| f.other).collect::<Vec<_>>(), [7, 9]);
        assert_eq!(Dense::new(&[i64::MIN, i64::MAX, i64::MIN]).rows, [0, 1, 0]);
        let near = Dense::new(&[7, 3, 7]);
        assert_eq!(
            (near.rows.clone(), near.index(3), near.index(9), near.index(i64::MIN)),
            (vec![4, 0, 4], Some(0), None, None)
        );
    }

    proptest::proptest! {
        #[test]
        fn a_bar_never_passes_over_an_other_that_reaches_it(
            size in 1u64..20_000_000,
            shared_share in 0.0f64..1.0,
            extra in proptest::prop_oneof![0u64..3, 0u64..20_000_000],
        ) {
            // an other sharing `shared` members with an item of `size`
            // scores each measure; the bar for that score is at most `shared`
            let shared = 1 + ((size - 1) as f64 * shared_share) as u64;
            let other = shared + extra;
            for m in [Measure::Shared, Measure::Jaccard, Measure::Cosine] {
                let r = ranking(&[m], 5, 1);
                proptest::prop_assert!(r.bar(m.of(shared, size, other), size) <= shared);
            }
        }

        #[test]
        fn the_same_with_few_asked_among_many_members_or_many_words(
            pairs in proptest::collection::vec((0i64..120, 0i64..600), 0..1500),
            few in proptest::bool::ANY,
            asked in proptest::collection::vec(0i64..120, 1..100),
            sorted in proptest::bool::ANY,
        ) {
            // one or two items asked about among hundreds of members: only
            // theirs are numbered; or up to a hundred asked about: five
            // words of counters, four in one pass and one in another; the
            // pairs item by item or not
            let mut pairs = pairs;
            if sorted {
                pairs.sort_unstable();
            }
            let asked: Vec<i64> = if few { asked.into_iter().take(2).collect() } else { asked };
            let items: Vec<i64> = pairs.iter().map(|p| p.0).collect();
            let members: Vec<i64> = pairs.iter().map(|p| p.1).collect();
            let r = ranking(&[Measure::Jaccard, Measure::Shared], 4, 1);
            proptest::prop_assert_eq!(nearest(&asked, &items, &members, &r), plain(&asked, &items, &members, &r));
        }

        #[test]
        fn the_same_as_comparing_every_pair(
            pairs in proptest::collection::vec((0i64..40, 0i64..12), 0..300),
            more in proptest::collection::vec((0i64..40, 12i64..80), 0..300),
            asked in proptest::collection::vec(0i64..45, 0..40),
            order in proptest::sample::select(vec![
                vec![Measure::Jaccard, Measure::Shared],
                vec![Measure::Shared, Measure::Cosine],
                vec![Measure::Cosine],
                vec![],
            ]),
            top in 1usize..6,
            min_shared in 0u64..4,
        ) {
            // many items asked about, some with many members: counts of
            // up to 7 bits, and several words of them
            let pairs: Vec<(i64, i64)> = pairs.into_iter().chain(more).collect();
            let items: Vec<i64> = pairs.iter().map(|p| p.0).collect();
            let members: Vec<i64> = pairs.iter().map(|p| p.1).collect();
            let r = ranking(&order, top, min_shared);
            proptest::prop_assert_eq!(nearest(&asked, &items, &members, &r), plain(&asked, &items, &members, &r));
        }
    }
}
