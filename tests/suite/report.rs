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

#[test]
fn recommendations_and_segments_by_hand() {
    let data = repo().join("tests/fixtures/data/ml");
    let site = build_with(&data);
    let similar = site.read("data/similar_recipes.csv");
    // pancakes {egg, flour, milk, sugar}: the same set again (a listed
    // duplicate counts once), 4/5, 3/5, then three at 1/2: custard shares 3,
    // sweet milk and egg flour 2 each, the lower id first; toast and salad
    // share nothing
    assert!(
        similar.starts_with(
            "recipe_id,rank,similar_id,similar_name,jaccard,shared,shared_ingredients\n\
             1,1,8,pancakes again,1,4,\"egg, flour, milk, sugar\"\n\
             1,2,3,waffles,0.8,4,\"egg, flour, milk, sugar\"\n\
             1,3,2,crepes,0.6,3,\"egg, flour, milk\"\n\
             1,4,9,custard,0.5,3,\"egg, milk, sugar\"\n\
             1,5,10,sweet milk,0.5,2,\"milk, sugar\"\n\
             2,1,"
        ),
        "{similar}"
    );
    assert!(!similar.lines().any(|l| l.starts_with("7,")), "the salad shares no ingredient: {similar}");
    // the likers of pancakes: users 1-4; crepes liked by 3 of them (user 1
    // twice, counted once), omelette and scones by 2 of 2 likers each
    // (cosine 2/sqrt(8), the lower id first), waffles by 2 of its 3; toast
    // by one (too few) and the unknown recipe 999 by two (not a recipe)
    let also = site.read("data/also_liked.csv");
    assert!(
        also.starts_with(
            "recipe_id,rank,other_id,other_name,co_likers,cosine\n\
             1,1,2,crepes,3,0.8660254037844387\n\
             1,2,4,omelette,2,0.7071067811865475\n\
             1,3,5,scones,2,0.7071067811865475\n\
             1,4,3,waffles,2,0.5773502691896258\n\
             2,1,1,"
        ),
        "{also}"
    );
    assert!(!also.contains(",999,"), "{also}");
    // five users with 5 interactions or more and a rating: users 4 and 6
    // alike, so four distinct points and four segments, the pair first, then
    // by reviews (z) descending; user 7 (no stars) and user 8 (4) left out
    let segments: Vec<String> = site
        .read("data/user_segments.csv")
        .lines()
        .map(|l| l.split(',').take(6).collect::<Vec<_>>().join(","))
        .collect();
    assert_eq!(
        segments,
        [
            "segment,n_users,mean_reviews,mean_rating,share_unrated,mean_span_days",
            "1,2,5,3,0,4",
            "2,1,7,4.428571428571429,0,120",
            "3,1,6,4,0.3333333333333333,366",
            "4,1,5,4.4,0,40",
        ]
    );
    // the pages: one per top recipe, linked both ways, a similar recipe with
    // a page of its own linked to it
    let top = site.read("top-recipes.html");
    assert!(top.contains(r#"<a href="recipe-1.html">pancakes</a>"#), "{top}");
    let page = site.read("recipe-1.html");
    assert!(page.contains(r#"href="top-recipes.html""#));
    assert!(page.contains(r#"<a href="recipe-8.html">pancakes again</a>"#), "{page}");
    let seg = site.read("segments.html");
    assert!(seg.contains("<strong>Segment 1</strong>, 2 users"), "{seg}");
    for page in ["recipe-1", "segments"] {
        let html = site.read(&format!("{page}.html"));
        insta::assert_snapshot!(format!("ml_{page}_main"), crate::common::main_of(&html));
    }
    independent_check(&data, &site);
}

const RECIPES_HEADER: &str =
    "name,id,minutes,contributor_id,submitted,tags,nutrition,n_steps,steps,description,ingredients,n_ingredients\n";

/// A line of `RAW_recipes.csv`: recipe `id`, called `name`, made of `items`.
fn recipe_row(name: &str, id: i64, items: &[String]) -> String {
    let list = items.iter().map(|i| format!("'{i}'")).collect::<Vec<_>>().join(", ");
    format!(
        "{name},{id},10,1,2009-01-01,['easy'],\"[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]\",1,\"['mix']\",,\"[{list}]\",{}\n",
        items.len()
    )
}

/// Recipes with long ingredient lists (the shared counts need counters of 8
/// bits, packed in two words for the twenty recipes) and the extreme ids of
/// a 64-bit integer, checked row by row against the independent computation.
#[test]
fn recommendations_with_long_lists_and_extreme_ids() {
    let data = tempfile::tempdir().unwrap();
    let mut state: u64 = 7;
    let mut next = move |n: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    let ids: Vec<i64> = (1..=28).chain([i64::MIN, i64::MAX]).collect();
    let mut recipes = String::from(RECIPES_HEADER);
    for (k, id) in ids.iter().enumerate() {
        // a common core of 150 ingredients (shared counts above 127) in half
        // of them, then a random part from a pool of 300
        let mut items: Vec<String> = Vec::new();
        if k % 2 == 0 {
            items.extend((0..150).map(|i| format!("core {i}")));
        }
        items.extend((0..20 + next(60)).map(|_| format!("item {}", next(300))));
        recipes.push_str(&recipe_row(&format!("recipe {k}"), *id, &items));
    }
    let mut interactions = String::from("user_id,recipe_id,date,rating,review\n");
    for user in 1..=40 {
        for _ in 0..8 {
            let id = ids[next(ids.len() as u64) as usize];
            interactions.push_str(&format!("{user},{id},2010-01-0{},{},ok\n", 1 + next(9), 3 + next(3)));
        }
    }
    std::fs::write(data.path().join("RAW_recipes.csv"), recipes).unwrap();
    std::fs::write(data.path().join("RAW_interactions.csv"), interactions).unwrap();
    let site = build_with(data.path());
    let similar = site.read("data/similar_recipes.csv");
    let shared_max = similar.lines().skip(1).filter_map(|l| l.split(',').nth(5)?.parse::<u64>().ok()).max();
    assert!(shared_max > Some(127), "{similar}");
    assert!(similar.contains(&i64::MIN.to_string()) && similar.contains(&i64::MAX.to_string()), "{similar}");
    let also = site.read("data/also_liked.csv");
    assert!(also.lines().count() > 40, "{also}");
    // the lowest id recommended: its order key is not negated in 64 bits
    assert!(also.contains(&format!(",{},", i64::MIN)), "{also}");
    independent_check(data.path(), &site);
}

/// Recipes whose most similar others share few ingredients: the first
/// guess at the fifth best similarity comes from the others that share half
/// a recipe's ingredients, and the best one shares fewer. Ties at the fifth
/// place too. Checked row by row against the independent computation.
#[test]
fn similar_recipes_found_below_the_first_guess_and_ties_at_the_cut() {
    let data = tempfile::tempdir().unwrap();
    let mut recipes = String::from(RECIPES_HEADER);
    let mut row =
        |id: usize, items: Vec<String>| recipes.push_str(&recipe_row(&format!("recipe {id}"), id as i64, &items));
    let mut interactions = String::from("user_id,recipe_id,date,rating,review\n");
    let mut other = 1000;
    for top in 1..=20 {
        // ten ingredients of its own, reviewed by 30 + top users
        let own = |j: usize| format!("t{top} {j}");
        row(top, (0..10).map(own).collect());
        for user in 1..=(30 + top) {
            interactions.push_str(&format!("{user},{top},2010-01-01,{},ok\n", 4 + user % 2));
        }
        // five that share half of it in 20 ingredients (0.2), two more that
        // share 2 of 10 (0.2 too, fewer shared), and one that shares 3 of
        // 10 (0.3): the best, below the first guess's bar of 5
        for _ in 0..5 {
            other += 1;
            row(other, (0..5).map(own).chain((0..15).map(|j| format!("o{other} {j}"))).collect());
        }
        for _ in 0..2 {
            other += 1;
            row(other, (0..2).map(own).collect());
        }
        other += 1;
        row(other, (3..6).map(own).collect());
    }
    std::fs::write(data.path().join("RAW_recipes.csv"), recipes).unwrap();
    std::fs::write(data.path().join("RAW_interactions.csv"), interactions).unwrap();
    let site = build_with(data.path());
    let similar = site.read("data/similar_recipes.csv");
    let of_20: Vec<&str> = similar.lines().filter(|l| l.starts_with("20,")).collect();
    assert_eq!(of_20.len(), 5, "{similar}");
    assert!(of_20[0].starts_with("20,1,1160,recipe 1160,0.3,3,"), "{similar}");
    // the five at 0.2 sharing 5 come before the two sharing 2, lowest ids first
    let ids: Vec<&str> = of_20[1..].iter().filter_map(|l| l.split(',').nth(2)).collect();
    assert_eq!(ids, ["1153", "1154", "1155", "1156"], "{similar}");
    assert!(of_20[1..].iter().all(|l| l.contains(",0.2,5,")), "{similar}");
    independent_check(data.path(), &site);
}

/// Other recipes tied at the fifth most co-likers, ranked by the cosine,
/// where the first guess at the fifth most is lower than the bar it sets.
/// Checked row by row against the independent computation.
#[test]
fn also_liked_breaks_ties_at_the_bar_by_the_cosine() {
    let data = tempfile::tempdir().unwrap();
    let mut recipes = String::from(RECIPES_HEADER);
    let mut interactions = String::from("user_id,recipe_id,date,rating,review\n");
    let mut like = |user: usize, recipe: usize, rating: u8| {
        interactions.push_str(&format!("{user},{recipe},2010-01-01,{rating},ok\n"));
    };
    let mut extra_user = 900_000;
    for top in 1..=20 {
        let fan = |i: usize| 1000 * top + i;
        for i in 1..=64 {
            like(fan(i), top, 5);
        }
        // seven others liked by the same 10 of its 64 likers, and by a few
        // people more each; an eighth by 9 of them
        for (j, extra) in [6, 0, 3, 9, 12, 1, 15].into_iter().enumerate() {
            let other = 100 + 10 * top + j + 1;
            for i in 1..=10 {
                like(fan(i), other, 5);
            }
            for _ in 0..extra {
                extra_user += 1;
                like(extra_user, other, 4);
            }
        }
        for i in 11..=19 {
            like(fan(i), 100 + 10 * top + 8, 5);
        }
        // five recipes the data does not know, liked by 30 of its likers
        // each: never recommended, and they must not raise the bar either
        for unknown in 0..5 {
            for i in 20..50 {
                like(fan(i), 990_000 + 10 * top + unknown, 5);
            }
        }
    }
    for id in (1..=20).chain((1..=20).flat_map(|top| (1..=8).map(move |j| 100 + 10 * top + j))) {
        recipes.push_str(&recipe_row(&format!("recipe {id}"), id as i64, &["salt".to_string()]));
    }
    std::fs::write(data.path().join("RAW_recipes.csv"), recipes).unwrap();
    std::fs::write(data.path().join("RAW_interactions.csv"), interactions).unwrap();
    let site = build_with(data.path());
    let also = site.read("data/also_liked.csv");
    let of_1: Vec<&str> = also.lines().filter(|l| l.starts_with("1,")).collect();
    let others: Vec<&str> = of_1.iter().filter_map(|l| l.split(',').nth(2)).collect();
    // ten co-likers each; the fewer other likers, the higher the cosine
    assert_eq!(others, ["112", "116", "113", "111", "114"], "{also}");
    let unknown = also.lines().skip(1).filter_map(|l| l.split(',').nth(2)?.parse::<u64>().ok()).any(|id| id >= 990_000);
    assert!(!unknown, "an unknown recipe is recommended: {also}");
    assert!(of_1.iter().all(|l| l.split(',').nth(4) == Some("10")), "{also}");
    independent_check(data.path(), &site);
}

#[test]
fn segments_are_the_same_whatever_the_threads() {
    let data = repo().join("data/sample");
    let build = |threads: usize| {
        let site = Site::project();
        let mut opts = site.options();
        opts.data_dir = Some(data.clone());
        opts.threads = threads;
        mangetamain::build(&opts).unwrap();
        ["data/user_segments.csv", "data/similar_recipes.csv", "data/also_liked.csv", "segments.html"]
            .map(|f| site.read(f))
    };
    let one = build(1);
    assert!(one[0].lines().count() == 5, "four segments: {}", one[0]);
    assert_eq!(build(2), one);
    assert_eq!(build(3), one);
}
