//! The Food.com reader on small files: quoting, lists, quarantine, the
//! limit, skipping unchanged inputs, split files, derived tables, dates.

use super::batch;
use super::file::batch_rows;
use super::layout::{DERIVED, FoodcomTable, RECIPE_ID, RECIPES_HEADER};
use super::rows::{Reason, days, int};
use std::path::Path;

use crate::ingest::{INTERACTIONS_FILE, IngestOptions, RECIPES_FILE, run};

const RECIPES_HEAD: &str =
    "name,id,minutes,contributor_id,submitted,tags,nutrition,n_steps,steps,description,ingredients,n_ingredients\n";

/// The two Food.com sources of the default report.
fn sources() -> Vec<crate::sources::Source> {
    let text = "[sources.recipes]\npath = \"RAW_recipes.csv\"\nreader = \"foodcom\"\n\n\
                [sources.interactions]\npath = \"RAW_interactions.csv\"\nreader = \"foodcom\"\n";
    crate::config::Config::parse(&format!("title = \"T\"\n{text}"), Path::new("content/site.toml")).unwrap().sources
}

fn opts(dir: &Path) -> IngestOptions {
    let mut o = IngestOptions::new(sources(), dir, dir.join("x.duckdb"));
    o.progress = false;
    o
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn loads_quoted_multiline_and_lists() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        RECIPES_FILE,
        &format!(
            "{RECIPES_HEAD}a  b,38,2147483647,1,2005-01-02,\"['x', \"\"it's\"\"]\",\"[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.5]\",1,['s'],\"two\nlines\",\"['salt, pepper']\",1\n\
             ,39,0,2,2006-01-02,[],\"[0.0, 0, 0, 0, 0, 0, 0]\",0,[],,[],0\n"
        ),
    );
    write(
        dir.path(),
        INTERACTIONS_FILE,
        "user_id,recipe_id,date,rating,review\n1,38,2008-03-01,0,\"a, \"\"b\"\"\nc\"\n2,999,2009-01-01,5,\n",
    );
    let out = run(&opts(dir.path())).unwrap();
    assert_eq!(out.read, ["recipes", "interactions"]);
    assert_eq!(out.datasets[0].rows_read, 2);
    assert_eq!(out.datasets[1].rows_kept, 2);
    assert_eq!(out.datasets[0].blake3.len(), 64);
    let conn = duckdb::Connection::open(dir.path().join("x.duckdb")).unwrap();
    let (name, tag, n, carbs): (String, String, i64, f64) = conn
        .query_row("select name, tags[2], len(ingredients), carbohydrates from recipes where id = 38", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!((name.as_str(), tag.as_str(), n, carbs), ("a  b", "it's", 1, 7.5));
    let empty: i64 = conn.query_row("select len(tags) from recipes where id = 39", [], |r| r.get(0)).unwrap();
    assert_eq!(empty, 0);
    let review: String = conn.query_row("select review from interactions where user_id = 1", [], |r| r.get(0)).unwrap();
    assert_eq!(review, "a, \"b\"\nc");
}

#[test]
fn quarantines_bad_rows_and_enforces_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
    write(
        dir.path(),
        INTERACTIONS_FILE,
        "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,9,x\n1,2,2008-01-01,5,x\n",
    );
    let mut o = opts(dir.path());
    let err = run(&o).unwrap_err().to_string();
    assert!(err.contains("too many rows quarantined in `RAW_interactions.csv`: 1 of 2"), "{err}");
    assert!(err.contains("rating_out_of_range (e.g. line 2: `rating` must be 0..5, found 9)"), "{err}");
    assert!(!o.db.exists());
    o.max_quarantine = 0.5;
    let out = run(&o).unwrap();
    assert_eq!(out.datasets[1].rows_quarantined, 1);
    assert_eq!(out.datasets[1].reasons["rating_out_of_range"], 1);
}

#[test]
fn invalid_utf8_costs_its_row_only() {
    // the pieces (61 bytes in tests) are checked whole; past an invalid
    // byte, records are checked field by field, and a piece may end
    // inside a character
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
    let mut file = b"user_id,recipe_id,date,rating,review\n".to_vec();
    let reviews = ["d\u{e9}j\u{e0} vu, cr\u{e8}me br\u{fb}l\u{e9}e", "\u{fc}ber \u{2014} \u{1f600}\u{1f600}\u{1f600}"];
    for (i, review) in reviews.iter().cycle().take(8).enumerate() {
        file.extend_from_slice(format!("{i},2,2008-01-01,5,\"{review} {}\"\n", "x".repeat(i * 7)).as_bytes());
        if i == 2 {
            file.extend_from_slice(b"9,2,2008-01-01,5,caf\xe9 au lait\n");
        }
    }
    std::fs::write(dir.path().join(INTERACTIONS_FILE), &file).unwrap();
    let mut o = opts(dir.path());
    o.max_quarantine = 50.0;
    let out = run(&o).unwrap();
    assert_eq!((out.datasets[1].rows_read, out.datasets[1].rows_kept), (9, 8));
    assert_eq!(out.datasets[1].reasons["invalid_utf8"], 1);
    let conn = duckdb::Connection::open(dir.path().join("x.duckdb")).unwrap();
    let line: i64 = conn.query_row("select line from quarantine", [], |r| r.get(0)).unwrap();
    assert_eq!(line, 5);
    for (i, review) in reviews.iter().cycle().take(8).enumerate() {
        let got: String =
            conn.query_row("select review from interactions where user_id = ?", [i as i64], |r| r.get(0)).unwrap();
        assert_eq!(got, format!("{review} {}", "x".repeat(i * 7)));
    }
}

#[test]
fn skips_unchanged_inputs_and_rereads_changed_ones() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
    write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,5,x\n");
    let mut o = opts(dir.path());
    assert_eq!(run(&o).unwrap().read, ["recipes", "interactions"]);
    let again = run(&o).unwrap();
    assert!(again.read.is_empty(), "nothing changed: {:?}", again.read);
    assert_eq!(again.datasets[1].rows_kept, 1);
    // same bytes, new modification time: still unchanged
    write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,5,x\n");
    assert!(run(&o).unwrap().read.is_empty());
    write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,4,x\n");
    assert_eq!(run(&o).unwrap().read, ["interactions"]);
    o.force = true;
    assert_eq!(run(&o).unwrap().read, ["recipes", "interactions"]);
}

#[test]
fn an_edit_in_place_is_seen_though_size_and_time_are_the_same() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
    let path = dir.path().join(INTERACTIONS_FILE);
    write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,5,x\n");
    let o = opts(dir.path());
    run(&o).unwrap();
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    // one rating changed, the size kept, the modification time put back
    write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,3,x\n");
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(mtime).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
    let out = run(&o).unwrap();
    assert_eq!(out.read, ["interactions"], "the content changed");
    let conn = duckdb::Connection::open(&o.db).unwrap();
    let rating: i64 = conn.query_row("select rating from interactions", [], |r| r.get(0)).unwrap();
    assert_eq!(rating, 3);
}

#[test]
fn the_majority_of_unambiguous_dates_decides_the_slash_order() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
    // one month/day date first, then ten day/month ones and two ambiguous
    let mut text = "user_id,recipe_id,date,rating,review\n1,2,03/25/2008,5,x\n".to_string();
    for day in 13..23 {
        text.push_str(&format!("2,2,{day}/03/2008,5,x\n"));
    }
    text.push_str("3,2,04/03/2008,5,x\n4,2,05/05/2008,5,x\n");
    write(dir.path(), INTERACTIONS_FILE, &text);
    let mut o = opts(dir.path());
    o.max_quarantine = 0.5;
    let out = run(&o).unwrap();
    assert_eq!((out.datasets[1].rows_kept, out.datasets[1].rows_quarantined), (12, 1));
    let conn = duckdb::Connection::open(&o.db).unwrap();
    let (line, detail): (i64, String) =
        conn.query_row("select line, detail from quarantine", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    assert_eq!(line, 2, "the minority date is the one set aside");
    assert!(detail.contains("contradicts"), "{detail}");
    let ambiguous: String = conn
        .query_row("select strftime(date, '%Y-%m-%d') from interactions where user_id = 3", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ambiguous, "2008-03-04", "read day first, as most dates are");
    // a tie: unambiguous dates read as they must, ambiguous ones are set aside
    write(
        dir.path(),
        INTERACTIONS_FILE,
        "user_id,recipe_id,date,rating,review\n1,2,03/25/2008,5,x\n2,2,25/03/2008,5,x\n3,2,04/03/2008,5,x\n",
    );
    o.max_quarantine = 1.0;
    let out = run(&o).unwrap();
    assert_eq!((out.datasets[1].rows_kept, out.datasets[1].rows_quarantined), (2, 1));
}

#[test]
fn reads_the_kaggle_split_files() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
    write(
        dir.path(),
        "interactions_train.csv",
        "user_id,recipe_id,date,rating,u,i\n1,2,2008-01-01,5,0,0\n3,4,2009-01-01,4,1,1\n",
    );
    write(dir.path(), "interactions_test.csv", "user_id,recipe_id,date,rating,u,i\n5,6,2010-01-01,3,2,2\n");
    let out = run(&opts(dir.path())).unwrap();
    let files: Vec<&str> = out.datasets.iter().map(|d| d.file.as_str()).collect();
    assert_eq!(files, [RECIPES_FILE, "interactions_train.csv", "interactions_test.csv"]);
    let conn = duckdb::Connection::open(dir.path().join("x.duckdb")).unwrap();
    let n: i64 = conn.query_row("select count(*) from interactions where review is null", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 3);
}

#[test]
fn errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
    let err = run(&opts(dir.path())).unwrap_err().to_string();
    assert!(err.contains("RAW_interactions.csv") && err.contains("not found"), "{err}");
    write(dir.path(), INTERACTIONS_FILE, "");
    let err = run(&opts(dir.path())).unwrap_err().to_string();
    assert!(err.contains("RAW_interactions.csv") && err.contains("empty"), "{err}");
    write(dir.path(), INTERACTIONS_FILE, "user,recipe\n");
    let err = run(&opts(dir.path())).unwrap_err().to_string();
    assert!(err.contains("RAW_interactions.csv:1: expected the header"), "{err}");
}

#[test]
fn derived_tables_read_the_id_and_list_columns_of_recipes() {
    let columns = FoodcomTable::Recipes.columns();
    assert_eq!(columns[RECIPE_ID], batch::Col::BigInt);
    for (table, _, column) in DERIVED {
        assert_eq!(columns[column], batch::Col::List, "{table}");
    }
    // the header names the lists: `nutrition` holds seven columns
    let list = |name| RECIPES_HEADER.iter().position(|h| *h == name).map(|i| if i > 6 { i + 6 } else { i });
    assert_eq!([list("tags"), list("ingredients")], DERIVED.map(|(_, _, c)| Some(c)));
    assert_eq!(list("id"), Some(RECIPE_ID));
}

#[test]
fn batches_shrink_as_the_end_of_the_file_nears() {
    // nothing read yet, or much left: full batches
    assert_eq!(batch_rows(0, 0, 300 << 20), batch::ROWS);
    assert_eq!(batch_rows(100_000, 100 << 20, 200 << 20), batch::ROWS);
    // 40,000 rows left: a quarter of them
    assert_eq!(batch_rows(100_000, 100 << 20, 40 << 20), 10_000);
    // the last rows: small batches, never empty ones
    assert_eq!(batch_rows(100_000, 100 << 20, 1 << 20), batch::MIN_ROWS);
    assert_eq!(batch_rows(100_000, 100 << 20, 0), batch::MIN_ROWS);
    assert_eq!(batch_rows(u64::MAX, 1, u64::MAX), batch::ROWS);
}

#[test]
fn derived_tables_take_their_rows_from_every_batch() {
    // enough recipes for many batches of the recipes table
    let dir = tempfile::tempdir().unwrap();
    let mut text = RECIPES_HEAD.to_string();
    for id in 0..5000 {
        let (a, b) = (id % 7, id % 11);
        text.push_str(&format!(
            "r{id},{id},1,1,2005-01-02,\"['t{a}', 'u{b}', 't{a}']\",\"[1, 2, 3, 4, 5, 6, 7]\",1,[],,\"['i{b}']\",1\n"
        ));
    }
    write(dir.path(), RECIPES_FILE, &text);
    write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,38,2008-03-01,5,x\n");
    run(&opts(dir.path())).unwrap();
    let conn = duckdb::Connection::open(dir.path().join("x.duckdb")).unwrap();
    let counts =
        |sql: &str| -> (i64, i64, i64) { conn.query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap() };
    assert_eq!(
        counts("select count(*), count(distinct tag), sum(recipe_id) from recipe_tags"),
        (10_000, 18, 2 * 12_497_500)
    );
    assert_eq!(
        counts("select count(*), count(distinct ingredient), sum(recipe_id) from recipe_ingredients"),
        (5000, 11, 12_497_500)
    );
    let mismatched: i64 = conn
        .query_row(
            "select count(*) from recipe_tags t join recipes r on r.id = t.recipe_id \
             where t.tag not in ('t' || r.id % 7, 'u' || r.id % 11)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(mismatched, 0, "each row has its own recipe's items");
}

#[test]
fn derived_tables_hold_each_distinct_item_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        RECIPES_FILE,
        &format!(
            "{RECIPES_HEAD}a,38,1,1,2005-01-02,\"['x', 'y', 'x', '']\",\"[1, 2, 3, 4, 5, 6, 7]\",1,[],,\"['salt', 'salt']\",2\n\
             b,39,1,1,2005-01-02,[],\"[1, 2, 3, 4, 5, 6, 7]\",1,[],,[],0\n"
        ),
    );
    write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,38,2008-03-01,5,x\n");
    run(&opts(dir.path())).unwrap();
    let conn = duckdb::Connection::open(dir.path().join("x.duckdb")).unwrap();
    let tags: String = conn
        .query_row("select string_agg(recipe_id || ':' || tag, ' ' order by tag) from recipe_tags", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tags, "38: 38:x 38:y");
    let ingredients: String = conn
        .query_row("select string_agg(recipe_id || ':' || ingredient, ' ') from recipe_ingredients", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ingredients, "38:salt");
    let (n, kept): (i64, i64) = conn
        .query_row("select len(tags), len(ingredients) from recipes where id = 38", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((n, kept), (4, 2), "the lists themselves keep every item");
    let types: String = conn
        .query_row(
            "select string_agg(table_name || '.' || column_name || ' ' || data_type, ', ' order by table_name) \
             from information_schema.columns where column_name in ('tag', 'ingredient')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(types, "recipe_ingredients.ingredient ENUM('salt'), recipe_tags.tag ENUM('', 'x', 'y')");
}

#[test]
fn dates_count_days_from_1970() {
    let d = |y, m, dd| days(chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap());
    assert_eq!(d(1970, 1, 1), 0);
    assert_eq!(d(1969, 12, 31), -1);
    assert_eq!(d(2008, 3, 25), 13_963);
    assert_eq!(d(1, 1, 1), -719_162);
    for n in [-719_162, -1, 0, 13_963, 20_000] {
        assert_eq!(days(crate::table::date_from_days(n).unwrap()), n);
    }
}

#[test]
fn integers_accept_spreadsheet_forms_only() {
    assert_eq!(int(" 38 ", "id"), Ok(38));
    assert_eq!(int("38.0", "id"), Ok(38));
    assert_eq!(int("38.5", "id").unwrap_err().0, Reason::NotANumber);
    assert_eq!(int("x", "id").unwrap_err().0, Reason::NotANumber);
    // the plain-digits path and the general one agree at their edges
    assert_eq!(int("0", "id"), Ok(0));
    assert_eq!(int("007", "id"), Ok(7));
    assert_eq!(int("999999999999999999", "id"), Ok(999_999_999_999_999_999));
    assert_eq!(int("9223372036854775807", "id"), Ok(i64::MAX));
    assert_eq!(int("9223372036854775808", "id").unwrap_err().0, Reason::NotANumber);
    assert_eq!(int("-5", "id"), Ok(-5));
    assert_eq!(int("", "id").unwrap_err().0, Reason::NotANumber);
    assert_eq!(int("3４", "id").unwrap_err().0, Reason::NotANumber);
}
