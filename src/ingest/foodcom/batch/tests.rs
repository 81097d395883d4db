//! Tests of columnar batches.

use super::*;

fn distinct_of(list: &Items) -> std::vec::IntoIter<(&str, u64)> {
    let items: Vec<&str> = list.iter().collect();
    distinct(items.len(), move |i| items[i]).collect::<Vec<_>>().into_iter()
}

fn items(list: &[&str]) -> Items {
    let mut out = Items::default();
    for s in list {
        out.push(s);
    }
    out
}

#[test]
fn batches_reach_the_table() {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (a VARCHAR, b BIGINT, c INTEGER, d DOUBLE, e DATE, f VARCHAR[])").unwrap();
    let mut app = conn.appender("t").unwrap();
    let mut batch = Batch::new(&[Col::Text, Col::BigInt, Col::Int, Col::Double, Col::Date, Col::List]);
    batch
        .text(Some("x"))
        .big_int(Some(2147483648))
        .int(Some(5))
        .double(Some(1.5))
        .date(Some(1))
        .list(&items(&["a, b", "it's", ""]))
        .end_row();
    batch.text(None).big_int(None).int(None).double(None).date(None).list(&Items::default()).end_row();
    assert_eq!(batch.len(), 2);
    batch.flush(&mut app).unwrap();
    assert!(batch.is_empty());
    app.flush().unwrap();
    drop(app);
    let (b, e, n, f2, f3): (i64, String, i64, String, String) = conn
        .query_row("select b, e::varchar, len(f), f[2], f[3] from t where a = 'x'", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap();
    assert_eq!((b, e.as_str(), n, f2.as_str(), f3.as_str()), (2147483648, "1970-01-02", 3, "it's", ""));
    let (empty, nulls): (i64, i64) = conn
        .query_row(
            "select len(f), (b is null)::int + (d is null)::int + (e is null)::int from t where a is null",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((empty, nulls), (0, 3));
}

#[test]
fn lists_are_copied_whole_and_batch_after_batch() {
    let lists = [vec!["crème brûlée", "", "a, b"], vec![], vec!["it's", "日本"], vec![""]];
    let mut batch = Batch::new(&[Col::List]);
    // the second batch starts with buffers sized like the first's
    for round in 0..2 {
        for l in &lists {
            batch.list(&items(l)).end_row();
        }
        let b = batch.take().unwrap().unwrap();
        let col = b.column(0).as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(col.null_count(), 0, "round {round}");
        let back: Vec<Vec<String>> = (0..col.len())
            .map(|i| {
                let v = col.value(i);
                let v = v.as_any().downcast_ref::<StringArray>().unwrap();
                (0..v.len()).map(|j| v.value(j).to_string()).collect()
            })
            .collect();
        assert_eq!(back, lists, "round {round}");
    }
    // a NULL list (only a column given a value of another type writes one)
    let mut l = Lists::with_capacity(0, 0, 0);
    l.push(&items(&["x"]));
    l.push_null();
    l.push(&items(&["y", "z"]));
    let a = l.finish().unwrap();
    assert_eq!((a.len(), a.is_null(1), a.value_length(2)), (3, true, 2));
    // text beyond Arrow's 32-bit offsets is an error, not a wrapped offset
    let mut l = Lists::with_capacity(0, 0, 0);
    l.push(&items(&["x"]));
    l.overflow = true;
    assert!(l.finish().unwrap_err().contains("2 GiB"));
}

#[test]
fn items_keep_order_and_find_distinct_ones() {
    let list = items(&["b", "a", "b", "", "a", ""]);
    assert_eq!(list.len(), 6);
    assert_eq!(list.iter().collect::<Vec<_>>(), ["b", "a", "b", "", "a", ""]);
    assert_eq!(distinct_of(&list).map(|(s, _)| s).collect::<Vec<_>>(), ["b", "a", ""]);
    assert!(distinct_of(&list).all(|(s, h)| h == hash(s)), "each item comes with its hash");
    // below and above the length where a set takes over
    for n in [40, 64, 65, 200] {
        let long: Vec<String> = (0..n).map(|i| format!("t{}", i % 13)).collect();
        let long = items(&long.iter().map(String::as_str).collect::<Vec<_>>());
        let expected: Vec<String> = (0..13).map(|i| format!("t{i}")).collect();
        assert_eq!(distinct_of(&long).map(|(s, _)| s).collect::<Vec<_>>(), expected, "{n} items");
        assert!(distinct_of(&long).all(|(s, h)| h == hash(s)), "{n} items");
    }
    let mut list = list;
    list.clear();
    assert!(list.is_empty());
    assert_eq!(distinct_of(&list).count(), 0);
}

#[test]
fn coded_rows_number_their_items_in_sorted_order() {
    let mut coded = Coded::default();
    let rows = [(1, "salt"), (1, "Éclair"), (2, "salt"), (2, "apple"), (3, "Zest"), (3, ""), (4, "apple")];
    for (id, item) in rows {
        coded.push(id, item, hash(item));
    }
    let sorted = coded.sorted();
    assert_eq!(sorted.ids.len(), rows.len());
    // byte order, as DuckDB orders text: upper case, then lower case, then other scripts
    let values: Vec<&str> = sorted.values.iter().map(|v| &**v).collect();
    assert_eq!(values, ["", "Zest", "apple", "salt", "Éclair"]);
    let back: Vec<(i64, &str)> =
        sorted.ids.iter().zip(&sorted.codes).map(|(&id, &c)| (id, values[c as usize])).collect();
    assert_eq!(back, rows, "every row keeps its id and item, in order");
    assert_eq!(Coded::default().sorted(), Sorted::default());
}

#[test]
fn coded_rows_hold_many_distinct_items() {
    // more items than the index first has room for, pushed twice
    let mut coded = Coded::default();
    for round in 0..2 {
        for i in (0..5000).rev() {
            let item = format!("item {i}");
            coded.push(round, &item, hash(&item));
        }
    }
    let sorted = coded.sorted();
    assert_eq!(sorted.values.len(), 5000);
    assert!(sorted.values.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(&*sorted.values[sorted.codes[0] as usize], "item 4999");
    assert_eq!(sorted.codes[..5000], sorted.codes[5000..], "the same item has the same number");
}

#[test]
fn coded_rows_come_from_a_batch_of_lists() {
    let mut batch = Batch::new(&[Col::BigInt, Col::List]);
    batch.big_int(Some(7)).list(&items(&["b", "a", "b"])).end_row();
    batch.big_int(Some(8)).list(&Items::default()).end_row();
    batch.big_int(None).list(&items(&["skipped"])).end_row();
    batch.big_int(Some(9)).list(&items(&["a"])).end_row();
    let b = batch.take().unwrap().unwrap();
    let mut coded = Coded::default();
    coded.add_lists(b.column(0), b.column(1)).unwrap();
    let sorted = coded.sorted();
    let rows: Vec<(i64, &str)> =
        sorted.ids.iter().zip(&sorted.codes).map(|(&id, &c)| (id, &*sorted.values[c as usize])).collect();
    assert_eq!(rows, [(7, "b"), (7, "a"), (9, "a")]);
    // columns of other types are an error, not a guess
    let err = Coded::default().add_lists(b.column(1), b.column(1)).unwrap_err();
    assert!(err.contains("BIGINT"), "{err}");
    let err = Coded::default().add_lists(b.column(0), b.column(0)).unwrap_err();
    assert!(err.contains("list"), "{err}");
}
