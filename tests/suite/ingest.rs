//! Ingest on damaged files: every defect quarantined with its reason and
//! line, every row accounted for, and the limit on quarantined rows enforced.

use crate::common::Site;
use std::process::Command;

#[test]
fn every_defect_is_quarantined_and_accounted_for() {
    let site = Site::fixture("corrupted");
    let mut opts = site.options();
    opts.max_quarantine = 1.0;
    let summary = mangetamain::build(&opts).unwrap();
    for d in &summary.datasets {
        assert_eq!(d.rows_read, d.rows_kept + d.rows_quarantined, "{}", d.file);
        assert_eq!(d.rows_quarantined, d.reasons.values().sum::<u64>(), "{}", d.file);
    }
    let recipes = &summary.datasets[0];
    assert_eq!((recipes.rows_read, recipes.rows_kept, recipes.rows_quarantined), (11, 4, 7));
    let interactions = &summary.datasets[1];
    assert_eq!((interactions.rows_read, interactions.rows_kept, interactions.rows_quarantined), (10, 4, 6));
    assert_eq!(
        site.read("data/data_quality.csv"),
        "file,rows_read,rows_kept,rows_quarantined\nRAW_interactions.csv,10,4,6\nRAW_recipes.csv,11,4,7\n"
    );
    assert_eq!(
        site.read("data/quarantine_reasons.csv"),
        "file,reason,n,first_line\n\
         RAW_interactions.csv,column_count,1,8\n\
         RAW_interactions.csv,not_a_number,1,6\n\
         RAW_interactions.csv,rating_out_of_range,1,5\n\
         RAW_interactions.csv,stray_quote,1,9\n\
         RAW_interactions.csv,unreadable_date,2,3\n\
         RAW_recipes.csv,bad_list,1,10\n\
         RAW_recipes.csv,column_count,1,5\n\
         RAW_recipes.csv,duplicate_id,1,9\n\
         RAW_recipes.csv,invalid_utf8,1,8\n\
         RAW_recipes.csv,not_a_number,1,6\n\
         RAW_recipes.csv,unreadable_date,1,7\n\
         RAW_recipes.csv,unterminated_quote,1,13\n"
    );
    // the data-quality page shows the counts
    let page = site.read("index.html");
    assert!(
        page.contains(
            "<td>RAW_recipes.csv</td><td class=\"num\">11</td><td class=\"num\">4</td><td class=\"num\">7</td>"
        ),
        "{page}"
    );
}

#[test]
fn kept_rows_hold_the_right_values() {
    let site = Site::fixture("corrupted");
    site.write(
        "content/values.md",
        "+++\ntitle = \"Values\"\n+++\n\n```sql recipe_rows\nselect id, minutes, submitted, n_steps, description from recipes order by id\n```\n\n```sql interaction_rows\nselect user_id, recipe_id, date, rating, review from interactions order by user_id\n```\n",
    );
    let mut opts = site.options();
    opts.max_quarantine = 1.0;
    mangetamain::build(&opts).unwrap();
    assert_eq!(
        site.read("data/recipe_rows.csv"),
        "id,minutes,submitted,n_steps,description\n38,30,2005-03-01,1,fine\n40,45,2006-07-15,1,\"two\r\nlines\"\n44,20,2007-01-02,1,ok\n45,20,2007-12-31,1,ok\n"
    );
    assert_eq!(
        site.read("data/interaction_rows.csv"),
        // one month/day and one day/month date: no majority, so each reads
        // the only way it can, and the ambiguous `03/04/2008` is set aside
        "user_id,recipe_id,date,rating,review\n1,38,2008-01-05,5,great\n3,40,2008-03-25,0,\"no stars, \"\"really\"\"\"\n9,999,2008-02-02,3,unknown recipe\n10,44,2008-03-25,5,contradicts\n"
    );
}

#[test]
fn too_many_quarantined_rows_fail_the_build_and_keep_the_site() {
    let site = Site::fixture("minimal");
    site.build().unwrap();
    let before = crate::common::snapshot_tree(&site.public());
    let corrupted = crate::common::repo().join("tests/fixtures/sites/corrupted/data/sample");
    let out = Command::new(env!("CARGO_BIN_EXE_mangetamain"))
        .args(["build", "--root"])
        .arg(site.root())
        .arg("--data")
        .arg(&corrupted)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("too many rows quarantined in `RAW_recipes.csv`: 7 of 11"), "{stderr}");
    assert!(stderr.contains("(e.g. line "), "{stderr}");
    assert_eq!(before, crate::common::snapshot_tree(&site.public()));
}

#[test]
fn unchanged_inputs_skip_ingest() {
    let site = Site::fixture("minimal");
    let first =
        Command::new(env!("CARGO_BIN_EXE_mangetamain")).args(["build", "--root"]).arg(site.root()).output().unwrap();
    assert!(first.status.success());
    let second =
        Command::new(env!("CARGO_BIN_EXE_mangetamain")).args(["build", "--root"]).arg(site.root()).output().unwrap();
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stderr).contains("ingest skipped"));
    let forced = Command::new(env!("CARGO_BIN_EXE_mangetamain"))
        .args(["build", "--force-ingest", "--root"])
        .arg(site.root())
        .output()
        .unwrap();
    assert!(forced.status.success());
    assert!(!String::from_utf8_lossy(&forced.stderr).contains("ingest skipped"));
}
