//! Hostile data: values that look like Markdown, SQL, TOML, HTML, formulas
//! or file names, colliding and pathological slugs, empty results. Data is
//! never code: every build publishes, every page shows its own numbers, no
//! file is written outside the output and no query runs that the content
//! did not define.

use crate::common::{Site, repo, snapshot_tree};
use mangetamain::publish::decode_entities;
use std::collections::BTreeMap;
use std::path::Path;

/// The hostile tags of `tests/fixtures/data/hostile`, each on a number of
/// recipes of its own (see the fixture's generator in this file's history).
fn hostile_tags() -> Vec<(String, i64)> {
    let long = format!("long-{}", "x".repeat(300));
    let payload = "evil\n```\n\n```sql pwn\ncopy (select 42 as x) to 'PWNED.csv'\n```\n\n```sql pwn2\nselect * from read_text('/etc/passwd')\n```\n";
    [
        ("main-dish", 20),
        ("main_dish", 19),
        ("main dish", 18),
        ("EASY", 17),
        ("easy", 16),
        ("éasy", 15),
        (".", 14),
        ("..", 13),
        ("", 12),
        (long.as_str(), 11),
        ("日本", 10),
        ("中文", 9),
        ("nul\u{0}tag", 8),
        ("=HYPERLINK(\"http://example.org\",\"click\")", 7),
        (payload, 6),
        ("{{ row.tag }}", 5),
        ("<script>alert(1)</script>", 4),
        ("-1", 3),
        ("@sum(a1)", 2),
        ("index", 1),
    ]
    .iter()
    .map(|(t, n)| (t.to_string(), *n))
    .collect()
}

/// What a published page shows of a value: control characters as U+FFFD.
fn shown(value: &str) -> String {
    let forbidden = |c: char| {
        (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
            || ('\u{FDD0}'..='\u{FDEF}').contains(&c)
            || (c as u32 & 0xFFFE) == 0xFFFE
    };
    value.chars().map(|c| if forbidden(c) { '\u{FFFD}' } else { c }).collect()
}

fn build_with(data: &str) -> Site {
    let site = Site::project();
    let mut opts = site.options();
    opts.data_dir = Some(repo().join("tests/fixtures/data").join(data));
    mangetamain::build(&opts).unwrap_or_else(|e| panic!("{data}: {e:#}"));
    site
}

/// Every file under `dir` named `name`.
fn files_named(dir: &Path, name: &str) -> Vec<std::path::PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy() == name)
        .map(|e| e.into_path())
        .collect()
}

/// The query names of `status.json`, each generated page's as `PAGE.NAME`
/// with its page replaced by `*`.
fn query_shapes(site: &Site) -> BTreeMap<String, usize> {
    let status: serde_json::Value = serde_json::from_str(&site.read("status.json")).unwrap();
    let mut shapes = BTreeMap::new();
    for name in status["queries"].as_object().unwrap().keys() {
        let shape = match name.split_once('.') {
            Some((_, q)) => format!("*.{q}"),
            None => name.clone(),
        };
        *shapes.entry(shape).or_default() += 1;
    }
    shapes
}

#[test]
fn hostile_tags_publish_each_with_its_own_numbers() {
    let site = build_with("hostile");
    let status: serde_json::Value = serde_json::from_str(&site.read("status.json")).unwrap();
    let pages: Vec<String> =
        status["pages"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
    let mut seen = Vec::new();
    for page in pages.iter().filter(|p| p.starts_with("tag-")) {
        let slug = page.trim_end_matches(".html");
        assert!(
            slug.len() <= 64
                && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'),
            "{slug}"
        );
        let html = site.read(page);
        assert!(!html.contains('\0'), "{page} holds a NUL byte");
        assert!(!html.contains("<script>alert"), "{page} runs a script");
        let text = decode_entities(&html);
        let title = text.split("<h1>").nth(1).and_then(|t| t.split("</h1>").next()).unwrap();
        let (tag, n) = hostile_tags()
            .into_iter()
            .find(|(t, _)| title == format!("Tag: {}", shown(t)))
            .unwrap_or_else(|| panic!("{page}: no tag has the title {title:?}"));
        // the page's own count, as its first KPI tile and in its CSV
        let kpi = html.split("class=\"kpi-value\">").nth(1).and_then(|t| t.split('<').next()).unwrap();
        assert_eq!(kpi, n.to_string(), "{page} ({tag:?}) shows another tag's numbers");
        let summary = site.read(&format!("data/{slug}.tag_summary.csv"));
        assert!(summary.starts_with(&format!("n_recipes,n_interactions,mean_rating,all_recipes\n{n},")), "{summary}");
        seen.push(tag);
    }
    seen.sort();
    let mut all: Vec<String> = hostile_tags().into_iter().map(|(t, _)| t).collect();
    all.sort();
    assert_eq!(seen, all, "one page per tag");
    // nothing written outside the site, nothing read that the content did not ask for
    assert!(files_named(site.root(), "PWNED.csv").is_empty());
    assert!(!std::path::Path::new("PWNED.csv").exists());
    let sample = build_with("../../../data/sample");
    assert_eq!(query_shapes(&site), query_shapes(&sample), "the queries run are those of plain tags");
    for (_, bytes) in snapshot_tree(&site.public()) {
        assert!(!String::from_utf8_lossy(&bytes).contains("root:x:0:0"), "a system file was published");
    }
}

#[test]
fn csv_downloads_neutralize_formulas_and_control_characters() {
    let site = build_with("hostile");
    let tags = site.read("data/top_tags.csv");
    assert!(tags.contains("\"'=HYPERLINK(\"\"http://example.org\"\",\"\"click\"\")\",7\n"), "{tags}");
    assert!(tags.contains("\n'-1,3\n") && tags.contains("\n'@sum(a1),2\n"), "{tags}");
    assert!(tags.contains("nul\u{FFFD}tag,8"), "{tags}");
    assert!(!tags.contains('\0'));
    let recipes = site.read("data/top_recipes.csv");
    for formula in ["'=cmd|\"\" /C calc\"\"!A0", "'+tasty", "'-minus", "'@at"] {
        assert!(recipes.contains(formula), "{formula} in {recipes}");
    }
    // numbers stay numbers, negative ones too
    let ratings = site.read("data/rating_distribution.csv");
    assert!(!ratings.contains('\''), "{ratings}");
}

#[test]
fn the_report_publishes_when_no_interaction_matches_a_recipe_or_there_are_none() {
    for data in ["unmatched", "empty"] {
        let site = build_with(data);
        let top = site.read("top-recipes.html");
        assert!(top.contains("none yet: no review matches a recipe"), "{data}: {top}");
        assert_eq!(site.read("data/top_recipes.csv"), "id,name,n_reviews,mean_rating\n", "{data}");
    }
    let empty = build_with("empty");
    assert!(empty.read("trends.html").contains("none: there are no interactions yet"));
    assert!(empty.read("index.html").contains("No data") || empty.read("index.html").contains("–"));
    // and ingest says what it found
    let site = Site::project();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mangetamain"))
        .args(["build", "--root"])
        .arg(site.root())
        .arg("--data")
        .arg(repo().join("tests/fixtures/data/empty"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("has a header and no rows"), "{log}");
}

#[test]
fn a_changed_generating_query_is_not_served_stale_results() {
    let site = Site::project();
    site.build().unwrap();
    let recipes = std::fs::read_to_string(site.root().join("content/recipes.md")).unwrap();
    let changed = recipes.replace("order by n_recipes desc, tag\nlimit 20", "order by n_recipes asc, tag\nlimit 20");
    assert_ne!(changed, recipes);
    site.write("content/recipes.md", &changed);
    let mut opts = site.options();
    opts.source_date_epoch = Some(1_700_000_000);
    mangetamain::build(&opts).unwrap();
    let cached = snapshot_tree(&site.public());
    // the same site built with no result kept from before
    let fresh = Site::project();
    fresh.write("content/recipes.md", &changed);
    let mut opts = fresh.options();
    opts.source_date_epoch = Some(1_700_000_000);
    mangetamain::build(&opts).unwrap();
    let names = |t: &[(String, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    let fresh = snapshot_tree(&fresh.public());
    assert_eq!(names(&cached), names(&fresh));
    for ((path, a), (_, b)) in cached.iter().zip(fresh.iter()) {
        assert!(a == b, "{path} differs from a build without cached results");
    }
}

/// A template with a row value at every place a value can stand.
const EVERYWHERE: &str = "+++\ntitle = \"Value {{ row.v }}\"\ndescription = \"About {{ row.v }}\"\nnav_title = \"V {{ row.v }}\"\nin_nav = false\n[generate]\nquery = \"values\"\nslug = \"v-{{ row.v }}\"\n+++\n\n\
```sql echo\nselect {{ row.v | sql }} as v, {{ row.n }} as n, (select count(*) from interactions) as total\n```\n\n\
The value is {{ row.v }}. SQL gives back {{ echo.v }}; `{{ row.v }}` in code.\n\n\
<span title=\"{{ row.v }}\">{{ row.v }}</span>\n\n\
```text\n{{ row.v }}\n```\n\n\
```table\ndata = \"echo\"\ntitle = \"Table of {{ row.v }}\"\nlabels = { v = \"the {{ row.v }}\" }\n```\n\n\
```kpis\n[[tile]]\nlabel = \"label {{ row.v }}\"\nvalue = \"echo.total | int\"\nnote = \"note {{ row.v }}\"\n```\n\n\
```chart\nkind = \"bar\"\ndata = \"echo\"\nx = \"v\"\ny = \"n\"\ntitle = \"Chart of {{ row.v }}\"\ncaption = \"caption {{ row.v }}\"\n```\n";

/// Builds the minimal fixture with `EVERYWHERE` generated from one row per value.
fn build_values(values: &[String]) -> (Site, anyhow::Result<mangetamain::BuildSummary>) {
    let site = Site::fixture("minimal");
    let rows: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let hex: String = v.bytes().map(|b| format!("{b:02x}")).collect();
            format!("select decode(from_hex('{hex}')) as v, {i} as n")
        })
        .collect();
    site.write(
        "content/values.md",
        &format!("+++\ntitle = \"Values\"\n+++\n\n```sql values\n{} order by n\n```\n\n```pages\ntemplate = \"value\"\n```\n", rows.join(" union all ")),
    );
    site.write("content/value.md", EVERYWHERE);
    let built = site.build();
    (site, built)
}

/// Checks one built value page: the value shown as text everywhere, and
/// the queries of a plain value.
fn check_value_page(site: &Site, value: &str) {
    let status: serde_json::Value = serde_json::from_str(&site.read("status.json")).unwrap();
    let pages: Vec<&str> = status["pages"].as_array().unwrap().iter().filter_map(|p| p.as_str()).collect();
    let shown = shown(value);
    let page = pages
        .iter()
        .filter(|p| !["values.html", "index.html", "about.html"].contains(p))
        .find(|p| decode_entities(&site.read(p)).contains(&format!("<h1>Value {shown}</h1>")))
        .unwrap_or_else(|| {
            let titles: Vec<String> = pages
                .iter()
                .map(|p| decode_entities(&site.read(p)).split("<h1>").nth(1).unwrap_or("").chars().take(80).collect())
                .collect();
            panic!("no page for {value:?} among {pages:?}: {titles:?}")
        });
    let html = site.read(page);
    let text = decode_entities(&html);
    for expected in [
        format!("About {shown}"),
        format!("The value is {shown}. SQL gives back {shown};"),
        format!("<code>{shown}</code> in code"),
        format!("<span title=\"{shown}\">{shown}</span>"),
        format!("Table of {shown}"),
        format!("the {shown}"),
        format!("label {shown}"),
        format!("note {shown}"),
        format!("Chart of {shown}"),
        format!("caption {shown}"),
    ] {
        assert!(text.contains(&expected), "{value:?}: {expected:?} not in {page}:\n{html}");
    }
    let slug = page.trim_end_matches(".html");
    let own: Vec<&String> =
        status["queries"].as_object().unwrap().keys().filter(|k| k.starts_with(&format!("{slug}."))).collect();
    assert_eq!(own, [&format!("{slug}.echo")], "{value:?}: the queries of a plain value");
    let csv = site.read(&format!("data/{slug}.echo.csv"));
    assert!(csv.starts_with("v,n,total\n"), "{csv}");
}

#[test]
fn a_value_changes_no_structure_wherever_it_lands() {
    let values: Vec<String> = [
        "plain",
        "x\n```\n\n```sql pwn\ncopy (select 42 as x) to 'PWNED.csv'\n```\n",
        "\"\"\"\ntitle = \"pwned\"\n[generate]\n",
        "+++\ntitle = \"pwned\"\n+++",
        "'); drop table interactions; --",
        "{{ totals.n }} {% raw %} {{ row.v }}",
        "</span><script>alert(1)</script><span>",
        "# heading\n\n- list\n\n---",
        "a\u{0}b\u{7}c",
        "<!--mangetamain-directive:0-->",
        "mgtv0q0z",
        "",
    ]
    .map(String::from)
    .to_vec();
    let (site, built) = build_values(&values);
    built.unwrap();
    for v in &values {
        check_value_page(&site, v);
    }
    assert!(files_named(site.root(), "PWNED.csv").is_empty());
    let count: String = site.read("data/totals.csv");
    assert!(count.lines().count() == 2, "interactions are still there: {count}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]

    #[test]
    fn any_value_is_shown_as_text_and_runs_no_query_of_its_own(value in proptest::prelude::any::<String>()) {
        let (site, built) = build_values(&["plain".to_string(), value.clone()]);
        built.unwrap();
        check_value_page(&site, &value);
        check_value_page(&site, "plain");
    }
}
