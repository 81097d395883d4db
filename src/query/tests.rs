//! Tests of the query stage on a real DuckDB database: jobs, the cache,
//! parse trees, parameters, errors.

use super::*;
use chrono::NaiveDate;
use std::path::PathBuf;

fn spec(name: &str, sql: &str, line: usize) -> QuerySpec {
    QuerySpec {
        name: name.into(),
        sql: sql.into(),
        params: Vec::new(),
        defined_at: Location { path: PathBuf::from("p.md"), line, column: 1 },
        by: None,
    }
}

fn plain(specs: &BTreeMap<String, QuerySpec>) -> Vec<Job> {
    specs.values().map(Job::plain).collect()
}

#[test]
fn many_queries_run_on_one_thread_each() {
    assert_eq!(duckdb_threads(27, 2), 1);
    assert_eq!(duckdb_threads(4, 2), 1);
    assert_eq!(duckdb_threads(3, 2), 2, "few queries: each may use every thread");
    assert_eq!(duckdb_threads(0, 2), 2);
    assert_eq!(duckdb_threads(50, 1), 1);
    assert_eq!(duckdb_threads(7, 4), 4);
    assert_eq!(duckdb_threads(8, 4), 1);
    assert_eq!(duckdb_threads(5, 0), 1, "at least one thread");
}

#[test]
fn only_queries_of_tables_are_kept() {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    for sql in [
        "select 1",
        "select count(*) from interactions where rating > 3",
        "with t as (select * from range(3)) select * from t, unnest([1, 2])",
        "select * from archive.main.flights",
    ] {
        assert!(parse_one(&conn, sql).steady, "{sql}");
    }
    for sql in [
        "select * from read_csv('x.csv')",
        "select count(*) from 'flights.parquet'",
        "select * from t where x in (select a from read_json('x.json'))",
        "select * from read_text('/etc/passwd')",
        "select now()",
        "select current_date",
        "select random()",
        "select getenv('HOME')",
        "select * from glob('*.csv')",
        "pragma version",
        "not sql at all",
    ] {
        assert!(!parse_one(&conn, sql).steady, "{sql}");
    }
    // all at once, in order, whatever fails to parse
    let many = ["select 1", "select now()", "not sql", "select * from t"];
    let steady = |sqls: &[&str]| parse(&conn, sqls).iter().map(|p| p.steady).collect::<Vec<_>>();
    assert_eq!(steady(&many), [true, false, false, true]);
    assert_eq!(steady(&["select 1", "select random()"]), [true, false]);
}

#[test]
fn model_tables_are_seen_by_every_connection_after_the_database_s_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.duckdb");
    {
        let c = duckdb::Connection::open(&path).unwrap();
        c.execute_batch("create table seen as select 1 as x").unwrap();
    }
    let conn = crate::ingest::open_for_queries(&path, "256MB", 1).unwrap();
    let t = Table {
        columns: vec![
            Column { name: "id".into(), kind: ColumnType::Number },
            Column { name: "z".into(), kind: ColumnType::Number },
            Column { name: "seen".into(), kind: ColumnType::Text },
        ],
        rows: vec![vec![Value::Int(1), Value::Float(0.5), Value::Text("a".into())]],
    };
    load_model_table(&conn, "segments", &t).unwrap();
    load_model_table(&conn, "seen", &t).unwrap();
    let other = conn.try_clone().unwrap();
    let path: String = conn.query_row("SELECT current_setting('search_path')", [], |r| r.get(0)).unwrap();
    other.execute_batch(&format!("SET search_path = '{path}'")).unwrap();
    let r = run(&other, &spec("q", "select id, z, seen from segments", 1)).unwrap();
    assert_eq!(r.rows, t.rows);
    // the database's own table comes first
    assert_eq!(run(&other, &spec("q", "select * from seen", 1)).unwrap().rows, vec![vec![Value::Int(1)]]);
    let named = parse(&conn, &["select * from a join models.main.B using (x)", "nope"]);
    assert_eq!(named[0].tables.as_ref().unwrap().iter().cloned().collect::<Vec<_>>(), ["a", "b"]);
    assert!(named[1].tables.is_none());
    // a temporary table made by a shared query is found too
    other.execute_batch("create temp table g as select 7 as k").unwrap();
    assert_eq!(run(&other, &spec("q", "select k from g", 1)).unwrap().rows, vec![vec![Value::Int(7)]]);
    // the file stays read-only
    assert!(other.execute_batch("create table t.main.x (a int)").is_err());
    assert!(other.execute_batch("insert into seen values (2)").is_err());
}

#[test]
fn collect_dedupes_and_detects_conflicts() {
    let a = spec("q", "select 1", 1);
    let b = spec("q", "select\n  1\n", 9);
    assert_eq!(collect([&a, &b]).unwrap().len(), 1);
    let c = spec("q", "select 2", 12);
    let e = collect([&a, &c]).unwrap_err();
    assert_eq!(e.location.line, 12);
    assert!(e.message.contains("p.md:1:1"), "{}", e.message);
}

#[test]
fn cached_results_are_exact_and_keyed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.json");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let sql = "select 0.1 + 0.2 as f, 'a\"b' as t, date '2008-03-01' as d, null as n, 2147483648 as i, true as b";
    let queries: BTreeMap<String, QuerySpec> = [("q".to_string(), spec("q", sql, 1))].into();
    let mut cache = Cache::load(&path, "k1");
    let first = run_jobs(&conn, &plain(&queries), &mut cache, 2).unwrap();
    assert_eq!((cache.hits, cache.ran), (0, 1));
    cache.save(&path).unwrap();
    let mut again = Cache::load(&path, "k1");
    assert_eq!(run_jobs(&conn, &plain(&queries), &mut again, 2).unwrap(), first);
    assert_eq!((again.hits, again.ran), (1, 0));
    // everything reused: the file already holds it and is not written again
    // (it is gone here, and stays so)
    let kept = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    again.save(&path).unwrap();
    assert!(!path.exists());
    std::fs::write(&path, &kept).unwrap();
    // an entry left over (a query removed), or one computed: written
    let mut fewer = Cache::load(&path, "k1");
    run_jobs(&conn, &[], &mut fewer, 1).unwrap();
    std::fs::remove_file(&path).unwrap();
    fewer.save(&path).unwrap();
    assert!(path.exists());
    let mut none = Cache::load(&path, "k1");
    run_jobs(&conn, &plain(&queries), &mut none, 1).unwrap();
    assert_eq!((none.hits, none.ran), (0, 1));
    std::fs::remove_file(&path).unwrap();
    none.save(&path).unwrap();
    assert!(path.exists());
    std::fs::write(&path, &kept).unwrap();
    // other data, or other SQL, or other parameters: run again
    let mut other = Cache::load(&path, "k2");
    run_jobs(&conn, &plain(&queries), &mut other, 2).unwrap();
    assert_eq!(other.hits, 0);
    let changed: BTreeMap<String, QuerySpec> = [("q".to_string(), spec("q", "select 1 as f", 1))].into();
    let mut stale = Cache::load(&path, "k1");
    assert_eq!(run_jobs(&conn, &plain(&changed), &mut stale, 2).unwrap()["q"].rows[0][0], Value::Int(1));
    assert_eq!(stale.hits, 0);
    let with = |v: i64| {
        let mut q = spec("p", "select ?::bigint * 2 as x", 1);
        q.params = vec![Value::Int(v)];
        vec![Job::plain(&q)]
    };
    let mut cache = Cache::load(&path, "k3");
    run_jobs(&conn, &with(1), &mut cache, 1).unwrap();
    cache.save(&path).unwrap();
    let mut cache = Cache::load(&path, "k3");
    assert_eq!(run_jobs(&conn, &with(21), &mut cache, 1).unwrap()["p"].rows[0][0], Value::Int(42));
    assert_eq!(cache.hits, 0);
    // a job that may not be kept is run every time
    let mut cache = Cache::load(&path, "k1");
    let mut jobs = plain(&queries);
    jobs[0].cacheable = false;
    run_jobs(&conn, &jobs, &mut cache, 1).unwrap();
    assert_eq!((cache.hits, cache.ran), (0, 1));
}

#[test]
fn kept_models_and_facts_are_carried_unread_and_a_damaged_file_is_no_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.bin");
    let table = Table {
        columns: vec![Column { name: "x".into(), kind: ColumnType::Number }],
        rows: (0..1000).map(|i| vec![Value::Float(f64::from(i) / 7.0)]).collect(),
    };
    let mut cache = Cache::load(&path, "k");
    assert!(!cache.has_model("m", "fp") && !cache.noted("checked", "a"));
    cache.keep_model("m", "fp", &table).unwrap();
    cache.note("checked", "a").unwrap();
    cache.save(&path).unwrap();
    let written = std::fs::read(&path).unwrap();

    // carried over without being read: the file is left as it is
    let mut again = Cache::load(&path, "k");
    assert!(again.has_model("m", "fp") && !again.has_model("m", "other"));
    assert!(!again.carry_model("m", "other"), "another fingerprint is not carried");
    assert!(again.carry_model("m", "fp"));
    assert!(again.noted("checked", "a"));
    assert_eq!(again.model_table("m", "fp").unwrap(), table);
    std::fs::remove_file(&path).unwrap();
    again.save(&path).unwrap();
    assert!(!path.exists(), "nothing new: not written again");
    std::fs::write(&path, &written).unwrap();

    // a fact noted for other names, or other data, is not known
    assert!(!Cache::load(&path, "k").noted("checked", "b"));
    assert!(!Cache::load(&path, "other data").noted("checked", "a"));
    // carried into a file written anew (with an entry computed), the same bytes
    let mut mixed = Cache::load(&path, "k");
    assert!(mixed.carry_model("m", "fp"));
    mixed.keep_model("n", "fp2", &Table::default()).unwrap();
    mixed.save(&path).unwrap();
    let mixed = Cache::load(&path, "k");
    assert!(mixed.model_table("m", "fp").is_err(), "only what this build kept or carried is read");
    let mut mixed = mixed;
    assert!(mixed.carry_model("m", "fp") && mixed.carry_model("n", "fp2"));
    assert_eq!(mixed.model_table("m", "fp").unwrap(), table);
    assert!(!mixed.noted("checked", "a"), "not noted in the last build: gone");

    // any byte changed, or the file cut short: an empty cache
    for at in [written.len() - 1, written.len() / 2, 3] {
        let mut damaged = written.clone();
        damaged[at] ^= 0x55;
        std::fs::write(&path, &damaged).unwrap();
        assert!(!Cache::load(&path, "k").has_model("m", "fp"), "byte {at} changed");
    }
    std::fs::write(&path, &written[..written.len() - 10]).unwrap();
    assert!(!Cache::load(&path, "k").has_model("m", "fp"));
}

#[test]
fn cached_floats_keep_every_bit() {
    // shares like 36 / 2590 need the last digit of their shortest form
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.json");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let sql = "select i::double / 2590 as share, 1 / (i::double * 7) as inv from range(1, 3000) t(i)";
    let queries: BTreeMap<String, QuerySpec> = [("q".to_string(), spec("q", sql, 1))].into();
    let mut cache = Cache::load(&path, "k");
    let fresh = run_jobs(&conn, &plain(&queries), &mut cache, 2).unwrap();
    cache.save(&path).unwrap();
    let mut again = Cache::load(&path, "k");
    let cached = run_jobs(&conn, &plain(&queries), &mut again, 2).unwrap();
    assert_eq!(again.hits, 1);
    for (a, b) in fresh["q"].rows.iter().zip(&cached["q"].rows) {
        for (x, y) in a.iter().zip(b) {
            let (Value::Float(x), Value::Float(y)) = (x, y) else { panic!("not floats: {x:?} {y:?}") };
            assert_eq!(x.to_bits(), y.to_bits(), "{x} came back as {y}");
        }
    }
}

#[test]
fn runs_queries_into_tables() {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let t = run(
        &conn,
        &spec(
            "q",
            "select 1::tinyint as a, sum(x) as s, avg(x) as m, 1.5::decimal(4,2) as d, 'x' as t, date '2008-03-01' as day, null::date as nd \
             from (values (2147483647), (2147483647)) v(x)",
            1,
        ),
    )
    .unwrap();
    assert_eq!(
        t.rows[0],
        vec![
            Value::Int(1),
            Value::Int(4294967294),
            Value::Float(2147483647.0),
            Value::Float(1.5),
            Value::Text("x".into()),
            Value::Date(NaiveDate::from_ymd_opt(2008, 3, 1).unwrap()),
            Value::Null
        ]
    );
    assert_eq!(t.columns[5].name, "day");
    assert_eq!(t.columns[6].kind, ColumnType::Date);
    // ENUM values (as in `recipe_tags.tag`) read as their text
    let e = run(&conn, &spec("e", "select unnest(['b', 'a', null])::ENUM('a', 'b') as tag order by tag", 1)).unwrap();
    assert_eq!(e.rows, vec![vec![Value::Text("a".into())], vec![Value::Text("b".into())], vec![Value::Null]]);
    assert_eq!(e.columns[0].kind, ColumnType::Text);
}

#[test]
fn parameters_are_values_never_sql() {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch("create table t as select * from (values ('a', 1), ('x''); drop table t; --', 2)) v(k, n)")
        .unwrap();
    let mut q = spec("q", "select n from t where k = ?", 1);
    for (value, rows) in [("a", 1), ("x'); drop table t; --", 1), ("nope' or '1'='1", 0), ("a\u{0}b", 0)] {
        q.params = vec![Value::Text(value.into())];
        assert_eq!(run(&conn, &q).unwrap().rows.len(), rows, "{value}");
    }
    let n: i64 = conn.query_row("select count(*) from t", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 2);
    let mut d = spec("d", "select ? + 1 as next, ? as none", 1);
    d.params = vec![Value::Date(NaiveDate::from_ymd_opt(2008, 2, 29).unwrap()), Value::Null];
    let t = run(&conn, &d).unwrap();
    assert_eq!(t.rows[0][0], Value::Date(NaiveDate::from_ymd_opt(2008, 3, 1).unwrap()));
    assert_eq!(t.rows[0][1], Value::Null);
}

#[test]
fn empty_results_keep_their_columns() {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let t = run(&conn, &spec("q", "select 1 as n, 'a' as s where false", 1)).unwrap();
    assert!(t.rows.is_empty());
    assert_eq!(t.column_list(), "n, s");
    assert_eq!(t.columns[0].kind, ColumnType::Number);
}

#[test]
fn a_missing_extension_is_named_and_never_fetched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.duckdb");
    drop(duckdb::Connection::open(&path).unwrap());
    let conn = crate::ingest::open(&path, true, "256MB", 1).unwrap();
    let e = run(&conn, &spec("q", "select * from read_csv('https://example.org/x.csv')", 1)).unwrap_err();
    assert!(e.message.contains("httpfs") && e.message.contains("never installs"), "{}", e.message);
    // the readers built in are there
    let ok = run(&conn, &spec("j", "select json_extract('{\"a\": 1}', '$.a') as a", 1)).unwrap();
    assert_eq!(ok.rows.len(), 1);
}

#[test]
fn sql_errors_are_located() {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let e = run(&conn, &spec("q", "select 1\nfrom nowhere", 5)).unwrap_err();
    assert!(e.message.starts_with("query `q` failed:"), "{}", e.message);
    assert_eq!(e.location.line, 6, "{}", e.message);
}

#[test]
fn queries_run_at_once_give_what_one_by_one_gives() {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t AS SELECT range AS x FROM range(20000)").unwrap();
    let mut queries = BTreeMap::new();
    for i in 0..12 {
        let q = spec(
            &format!("q{i:02}"),
            &format!("select x % {} as k, count(*) as n from t group by k order by k", i + 2),
            1,
        );
        queries.insert(q.name.clone(), q);
    }
    let one = run_jobs(&conn, &plain(&queries), &mut Cache::default(), 1).unwrap();
    for workers in [2, 3, 40] {
        assert_eq!(
            run_jobs(&conn, &plain(&queries), &mut Cache::default(), workers).unwrap(),
            one,
            "{workers} workers"
        );
    }
    // with two failures, the first in order is the one reported,
    // whichever runs first
    queries.insert("b_bad".into(), spec("b_bad", "select * from missing_b", 3));
    queries.insert("p_bad".into(), spec("p_bad", "select * from missing_p", 4));
    for _ in 0..10 {
        let err = run_jobs(&conn, &plain(&queries), &mut Cache::default(), 2).unwrap_err().to_string();
        assert!(err.contains("query `b_bad` failed"), "{err}");
    }
}

#[test]
fn shared_queries_read_the_generating_rows_and_follow_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("q.json");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let source = spec("g", "select * from (values ('a', 1), ('b', 2), ('b', 3)) v(k, x)", 1);
    let whole = spec("s", "select k, sum(x) as total from g group by k order by k", 5);
    for workers in [1, 2] {
        let jobs = [Job::shared(&whole, "tag:s".into(), &source), Job::plain(&spec("o", "select 1 as n", 2))];
        let tables = run_jobs(&conn, &jobs, &mut Cache::default(), workers).unwrap();
        assert_eq!(
            tables["tag:s"].rows,
            vec![vec![Value::Text("a".into()), Value::Int(1)], vec![Value::Text("b".into()), Value::Int(5)]]
        );
    }
    let mut cache = Cache::load(&path, "k");
    run_jobs(&conn, &[Job::shared(&whole, "tag:s".into(), &source)], &mut cache, 1).unwrap();
    cache.save(&path).unwrap();
    // the generating query changed, the shared one did not: it runs again
    let changed = spec("g", "select * from (values ('c', 7)) v(k, x)", 1);
    let mut cache = Cache::load(&path, "k");
    let tables = run_jobs(&conn, &[Job::shared(&whole, "tag:s".into(), &changed)], &mut cache, 1).unwrap();
    assert_eq!(cache.hits, 0);
    assert_eq!(tables["tag:s"].rows, vec![vec![Value::Text("c".into()), Value::Int(7)]]);
}

#[test]
fn a_failing_shared_query_is_reported_first() {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let g = spec("g", "select 1 as k", 2);
    let jobs = [
        Job::shared(&spec("s", "select * from nowhere_s", 9), "t:s".into(), &g),
        Job::plain(&spec("a_bad", "select * from nowhere_a", 1)),
    ];
    for workers in [1, 2] {
        let err = run_jobs(&conn, &jobs, &mut Cache::default(), workers).unwrap_err().to_string();
        assert!(err.contains("p.md:9:1") && err.contains("nowhere_s"), "{workers} workers: {err}");
    }
}

#[test]
fn a_generating_query_runs_once_and_every_reader_sees_its_rows() {
    // each run of the generating query draws new numbers: the pages made
    // from its result and the shared queries must see the same ones
    let source = spec("g", "select nextval('models.main.n') as k, random() as r from range(3)", 1);
    let readers = [spec("s1", "select k, r from g order by k", 2), spec("s2", "select k, r from g order by k", 3)];
    for workers in [1, 2, 3] {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch("ATTACH ':memory:' AS models; CREATE SEQUENCE models.main.n START 1").unwrap();
        let mut jobs: Vec<Job> = readers.iter().map(|r| Job::shared(r, format!("t:{}", r.name), &source)).collect();
        jobs.push(Job::plain(&source));
        let tables = run_jobs(&conn, &jobs, &mut Cache::default(), workers).unwrap();
        let made = &tables["g"].rows;
        assert_eq!(made.iter().map(|r| r[0].clone()).collect::<Vec<_>>(), [1, 2, 3].map(Value::Int), "run once");
        assert_eq!(&tables["t:s1"].rows, made, "{workers} workers");
        assert_eq!(&tables["t:s2"].rows, made, "{workers} workers");
    }
}

#[test]
fn a_job_behind_a_gate_starts_once_the_gate_opens_and_never_when_it_fails() {
    // `b` comes first but reads what `a`'s outcome makes
    let jobs = [
        Job::plain(&spec("b", "select v from models.main.made", 1)),
        Job::plain(&spec("a", "select 41 as v", 2)),
        Job::plain(&spec("c", "select 1 as n", 3)),
    ];
    let gates = Gates { of_job: vec![vec![0], vec![], vec![]], opened_by: vec![Some("a".into())] };
    let open = |opens: bool| {
        move |conn: &duckdb::Connection, name: &str, table: &Table| -> Vec<(usize, bool)> {
            if name != "a" {
                return Vec::new();
            }
            let Value::Int(v) = table.rows[0][0] else { panic!("{table:?}") };
            conn.execute_batch(&format!("create or replace table models.main.made as select {} as v", v + 1)).unwrap();
            vec![(0, opens)]
        }
    };
    for workers in [1, 2, 3] {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch("ATTACH ':memory:' AS models").unwrap();
        let tables = run_jobs_then(&conn, &jobs, &mut Cache::default(), workers, &gates, &open(true)).unwrap();
        assert_eq!(tables["b"].rows, vec![vec![Value::Int(42)]], "{workers} workers");
        // a gate that fails: what waits on it does not run, the rest does
        let mut cache = Cache::default();
        let tables = run_jobs_then(&conn, &jobs, &mut cache, workers, &gates, &open(false)).unwrap();
        assert!(!tables.contains_key("b"), "{workers} workers");
        assert_eq!(tables["c"].rows, vec![vec![Value::Int(1)]]);
        assert_eq!(cache.ran, 2);
    }
    // the job that opens it fails: that is the error, and nothing behind it runs
    let failing = [jobs[0].clone(), Job::plain(&spec("a", "select * from nowhere_a", 2))];
    for workers in [1, 2] {
        let conn = duckdb::Connection::open_in_memory().unwrap();
        conn.execute_batch("ATTACH ':memory:' AS models").unwrap();
        let err = run_jobs_then(&conn, &failing, &mut Cache::default(), workers, &gates, &open(true)).unwrap_err();
        assert!(err.to_string().contains("query `a` failed"), "{err}");
    }
}

#[test]
fn pairs_are_read_as_numbers_and_sorted_text() {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "create type fruit as enum ('pear', 'apple', 'fig');
         create table t as select * from (values
           (30, 'zed', 'fig'::fruit), (10, 'amy', 'pear'::fruit), (20, null, 'apple'::fruit),
           (null, 'bob', 'fig'::fruit), (10, 'zed', null)) as v(n, who, f);",
    )
    .unwrap();
    // whole numbers stay numbers; a pair with a NULL is left out
    let p = read_pairs(&conn, &spec("p", "select n, who from t", 1)).unwrap();
    assert_eq!(p.items.keys, [30, 10, 10]);
    assert_eq!(p.items.names, None);
    // text is numbered in sorted order, so the numbers' order is the text's
    let names = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(p.members.names, names(&["amy", "bob", "zed"]));
    assert_eq!(p.members.keys, [2, 0, 2]);
    // an ENUM is read as its text; many batches of it, one numbering
    let p = read_pairs(&conn, &spec("p", "select f, n from t", 1)).unwrap();
    assert_eq!(p.items.names, names(&["apple", "fig", "pear"]));
    assert_eq!(p.items.keys, [1, 2, 0]);
    let many = "select (i % 3)::varchar::fruit, i from range(5000) as r(i)";
    let p = read_pairs(&conn, &spec("p", &many.replace("(i % 3)::varchar", "['pear','apple','fig'][i % 3 + 1]"), 1))
        .unwrap();
    assert_eq!(p.items.keys.len(), 5000);
    assert_eq!(&p.items.keys[..4], [2, 0, 1, 2]);
    // what cannot be keys, or is not two columns: located errors
    let e = read_pairs(&conn, &spec("p", "select n, n * 0.5 from t", 4)).unwrap_err();
    assert!(e.message.contains("the members are Decimal") || e.message.contains("the members are Float64"), "{e}");
    assert_eq!(e.location.line, 4);
    let e = read_pairs(&conn, &spec("p", "select 18446744073709551615::ubigint, 1", 1)).unwrap_err();
    assert!(e.message.contains("too large"), "{e}");
    let e = read_pairs(&conn, &spec("p", "select n from t", 1)).unwrap_err();
    assert!(e.message.contains("two columns (item, member), the query gives 1"), "{e}");
    let e = read_pairs(&conn, &spec("p", "select * from nowhere", 1)).unwrap_err();
    assert!(e.message.starts_with("query `p` failed: Catalog Error"), "{e}");
    // no rows: no pairs
    assert_eq!(read_pairs(&conn, &spec("p", "select n, who from t where false", 1)).unwrap(), Default::default());
}

#[test]
fn model_tables_are_stored_as_they_are_whatever_their_values() {
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch("ATTACH ':memory:' AS models").unwrap();
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let columns = |kinds: &[(&str, ColumnType)]| -> Vec<Column> {
        kinds.iter().map(|(n, k)| Column { name: n.to_string(), kind: *k }).collect()
    };
    let typed = Table {
        columns: columns(&[
            ("n", ColumnType::Number),
            ("x", ColumnType::Number),
            ("d", ColumnType::Date),
            ("b", ColumnType::Text),
            ("t", ColumnType::Text),
        ]),
        rows: vec![
            vec![Value::Int(1), Value::Float(0.1), Value::Date(day), Value::Bool(true), Value::Text("a'\"".into())],
            vec![Value::Null, Value::Int(3), Value::Null, Value::Null, Value::Null],
        ],
    };
    // the same column of another kind's value (whole numbers in a text
    // column): row by row, as DuckDB casts them
    let mixed = Table {
        columns: columns(&[("t", ColumnType::Text)]),
        rows: vec![vec![Value::Text("x".into())], vec![Value::Int(7)]],
    };
    load_model_table(&conn, "typed", &typed).unwrap();
    load_model_table(&conn, "mixed", &mixed).unwrap();
    load_model_table(&conn, "empty", &Table { rows: Vec::new(), ..typed.clone() }).unwrap();
    let read = |sql: &str| run(&conn, &spec("q", sql, 1)).unwrap().rows;
    assert_eq!(
        read("select n, x, d, b, t, typeof(n), typeof(x), typeof(b) from models.typed order by n nulls last"),
        [
            vec![
                Value::Int(1),
                Value::Float(0.1),
                Value::Date(day),
                Value::Bool(true),
                Value::Text("a'\"".into()),
                Value::Text("BIGINT".into()),
                Value::Text("DOUBLE".into()),
                Value::Text("BOOLEAN".into()),
            ],
            vec![
                Value::Null,
                Value::Float(3.0),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Text("BIGINT".into()),
                Value::Text("DOUBLE".into()),
                Value::Text("BOOLEAN".into()),
            ],
        ]
    );
    assert_eq!(
        read("select t from models.mixed order by t"),
        [vec![Value::Text("7".into())], vec![Value::Text("x".into())]]
    );
    assert_eq!(read("select count(*) from models.empty"), [vec![Value::Int(0)]]);
}
