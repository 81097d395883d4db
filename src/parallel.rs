//! Work shared by threads, with the results of doing it on one: each item
//! of a list handled by whichever thread is free, the results in the
//! list's order.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `each` of `items` on up to `workers` threads, the heaviest items (by
/// `weight`) taken first so that the threads finish together; the results
/// in the order of `items`. A panic in `each` is a panic here.
pub fn map<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    weight: impl Fn(&T) -> usize,
    each: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(weight(&items[i])));
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
            done.push((i, each(&items[i])));
        }
        done
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..workers.clamp(1, items.len().max(1))).map(|_| scope.spawn(work)).collect();
        let mut done = work();
        for h in handles {
            done.extend(h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)));
        }
        done
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_the_items_order_whatever_the_threads() {
        let items: Vec<u64> = (0..200).collect();
        let square = |x: &u64| x * x;
        let one = map(&items, 1, |x| (*x % 7) as usize, square);
        for workers in [2, 3, 8, 500] {
            assert_eq!(map(&items, workers, |x| (*x % 7) as usize, square), one);
        }
        assert_eq!(one[13], 169);
        assert!(map(&[] as &[u64], 4, |_| 0, square).is_empty());
    }

    #[test]
    fn every_item_is_done_once() {
        let items: Vec<usize> = (0..100).collect();
        let calls = AtomicUsize::new(0);
        let out = map(
            &items,
            4,
            |_| 1,
            |x| {
                calls.fetch_add(1, Ordering::Relaxed);
                *x
            },
        );
        assert_eq!(out, items);
        assert_eq!(calls.load(Ordering::Relaxed), 100);
    }
}
