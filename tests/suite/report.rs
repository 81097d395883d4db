//! The default report against its definitions (REPORT.md): a small
//! hand-checkable data set with hand-computed numbers, then an independent
//! computation (`scripts/check_report.py`, Python's standard library only) of
//! all eighteen downloads, on that data set and on the bundled sample.

use crate::common::{Site, repo};
use std::process::Command;

fn build_with(data: &std::path::Path) -> Site {
    let site = Site::project();
    let mut opts = site.options();
    opts.data_dir = Some(data.to_path_buf());
    mangetamain::build(&opts).unwrap();
    site
}

fn independent_check(data: &std::path::Path, site: &Site) {
    let Some(python) = crate::common::python3() else { return };
    let out =
        Command::new(python).arg(repo().join("scripts/check_report.py")).arg(data).arg(site.public()).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn hand_checked_numbers() {
    let data = repo().join("tests/fixtures/data/report");
    let site = build_with(&data);
    assert_eq!(site.read("data/rating_distribution.csv"), "rating,n\n0,4\n1,1\n2,0\n3,1\n4,2\n5,4\n");
    // a three-way tie at 3 recipes, broken by the tag
    assert_eq!(site.read("data/top_tags.csv"), "tag,n_recipes\ndessert,3\neasy,3\nmain,3\n");
    assert!(site.read("data/top_ingredients.csv").starts_with(
        "ingredient,n_recipes\nflour,3\nsalt, pepper,3\n".replace("salt, pepper", "\"salt, pepper\"").as_str()
    ));
    // bucket edges: 0 and 15 in 0-15, 16 in 15-30, 241 and 2147483647 in 240+
    assert_eq!(
        site.read("data/minutes_buckets.csv"),
        "label,n\n0-15,2\n15-30,1\n30-60,1\n60-120,0\n120-240,0\n240+,2\n"
    );
    assert_eq!(
        site.read("data/calories_buckets.csv"),
        "label,n\n0-100,2\n100-200,1\n200-300,0\n300-400,1\n400-500,0\n500-600,0\n600-700,0\n700-800,1\n800-900,0\n900-1000,0\n1000+,1\n"
    );
    // all tied at two interactions: by id; a recipe rated only 0 has no mean;
    // interactions with unknown recipes are left out
    assert_eq!(
        site.read("data/top_recipes.csv"),
        "id,name,n_reviews,mean_rating\n10,apple pie,2,5\n20,beef stew,2,3.5\n30,carrot cake,2,4\n40,dal,2,3\n50,eggs  benedict,2,\n"
    );
    assert_eq!(site.read("data/user_activity.csv"), "lo,hi,users,label\n1,1,3,1\n2,3,4,2-3\n");
    assert_eq!(
        site.read("data/user_activity_summary.csv"),
        "share_one_review,n_users,max_reviews_per_user\n0.42857142857142855,7,3\n"
    );
    let kpis = site.read("data/kpis.csv");
    assert_eq!(
        kpis,
        "n_recipes,n_interactions,n_users,first_date,last_date,mean_rating,share_5star\n6,12,7,2001-06-01,2004-02-01,4,0.3333333333333333\n"
    );
    independent_check(&data, &site);
}

#[test]
fn the_bundled_sample_matches_an_independent_computation() {
    let data = repo().join("data/sample");
    let site = build_with(&data);
    independent_check(&data, &site);
}

#[test]
fn report_pages_main_snapshots() {
    let data = repo().join("tests/fixtures/data/report");
    let site = build_with(&data);
    for page in ["index", "trends", "recipes", "top-recipes", "quality", "about", "tag-easy"] {
        let html = site.read(&format!("{page}.html"));
        insta::assert_snapshot!(format!("report_{page}_main"), crate::common::main_of(&html));
    }
}
