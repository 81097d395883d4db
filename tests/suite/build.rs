//! Fixture sites built end to end.

use crate::common::{Site, edition_tree, main_of, snapshot_tree};
use mangetamain::publish::links;

#[test]
fn can_build_the_minimal_site() {
    let site = Site::fixture("minimal");
    let summary = site.build().unwrap();
    assert_eq!(summary.pages, 2);
    assert_eq!(summary.charts, 4);
    assert_eq!(summary.datasets[0].rows_kept, 4);
    assert_eq!(summary.datasets[1].rows_kept, 7);
    let tree: Vec<String> = snapshot_tree(&site.public()).into_iter().map(|(p, _)| p).collect();
    insta::assert_snapshot!("minimal_file_list", tree.join("\n"));
    let index = site.read("index.html");
    assert!(index.contains("There are 7 interactions; 42.9% give five stars"), "{}", main_of(&index));
    let about = site.read("about.html");
    assert!(about.contains("<code>{{ not.a_value }}</code>"));
}

#[test]
fn every_chart_is_an_accessible_inline_svg() {
    let site = Site::fixture("minimal");
    site.build().unwrap();
    let index = site.read("index.html");
    assert_eq!(index.matches("<figure class=\"chart\"").count(), 4);
    for svg in index.split("<svg ").skip(1) {
        let svg = svg.split("</svg>").next().unwrap();
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("viewBox=\"0 0 "));
        assert!(!svg.starts_with("width") && !svg.contains(" width=\"560\""), "no fixed width");
        assert!(svg.contains("<title id="));
        assert!(svg.contains("<desc id="));
        let xml = format!("<svg {svg}</svg>");
        roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("invalid SVG: {e}\n{xml}"));
    }
    assert!(index.contains("<details class=\"chart-data\">"));
    assert!(index.contains("href=\"data/ratings.csv\""));
}

#[test]
fn data_values_are_escaped_everywhere() {
    let site = Site::fixture("minimal");
    site.build().unwrap();
    let index = site.read("index.html");
    assert!(!index.contains("<script>"), "raw script tag in the page");
    assert!(
        index.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;")
            || index.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
}

#[test]
fn writes_csv_downloads_with_unrounded_values() {
    let site = Site::fixture("minimal");
    site.build().unwrap();
    assert_eq!(site.read("data/ratings.csv"), "rating,n\n0,1\n1,1\n2,0\n3,1\n4,1\n5,3\n");
    let totals = site.read("data/totals.csv");
    assert_eq!(totals, "n,mean_rating,last_date,share_5star\n7,3.8333333333333335,2008-03-02,0.42857142857142855\n");
    let recipes = site.read("data/recipes_by_name.csv");
    assert!(recipes.contains("40,pasta  bake,2147483647,1,\"grandma's 9\"\" pie crust\"\n"), "{recipes}");
    assert!(recipes.contains("38,<script>alert(1)</script>,40,2,\"salt, pepper\"\n"), "{recipes}");
}

#[test]
fn writes_the_site_files() {
    let site = Site::fixture("minimal");
    site.build().unwrap();
    let robots = site.read("robots.txt");
    assert!(robots.contains("Sitemap: https://example.org/report/sitemap.xml"));
    let sitemap = site.read("sitemap.xml");
    assert!(sitemap.contains("<loc>https://example.org/report/</loc><lastmod>2008-03-02</lastmod>"));
    assert!(sitemap.contains("<loc>https://example.org/report/about.html</loc>"));
    let status: serde_json::Value = serde_json::from_str(&site.read("status.json")).unwrap();
    assert_eq!(status["edition"], "2008-03-02");
    assert_eq!(status["inputs"][1]["rows_kept"], 7);
    assert_eq!(status["inputs"][0]["blake3"].as_str().unwrap().len(), 64);
    assert!(site.read("404.html").contains("Page not found"));
    let css: Vec<_> = std::fs::read_dir(site.public())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("style.") && n.ends_with(".css"))
        .collect();
    assert_eq!(css.len(), 1, "one hashed stylesheet: {css:?}");
    let gz = std::fs::read(site.public().join("index.html.gz")).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&gz[..]), &mut text).unwrap();
    assert_eq!(text, site.read("index.html"));
}

#[test]
fn two_builds_are_byte_identical() {
    let a = Site::fixture("minimal");
    let b = Site::fixture("minimal");
    a.build().unwrap();
    b.build().unwrap();
    // everything but the facts of the run (build times) in status.json
    assert_eq!(edition_tree(&a.public()), edition_tree(&b.public()));
    // and rebuilding in place gives the same bytes again, in the same edition
    let before = edition_tree(&a.public());
    let edition = std::fs::read_link(a.public()).unwrap();
    a.build().unwrap();
    assert_eq!(before, edition_tree(&a.public()));
    assert_eq!(std::fs::read_link(a.public()).unwrap(), edition);
}

#[test]
fn with_source_date_epoch_even_status_json_is_identical() {
    let a = Site::fixture("minimal");
    let b = Site::fixture("minimal");
    for site in [&a, &b] {
        let mut opts = site.options();
        opts.source_date_epoch = Some(1_700_000_000);
        mangetamain::build(&opts).unwrap();
    }
    assert_eq!(snapshot_tree(&a.public()), snapshot_tree(&b.public()));
    let status: serde_json::Value = serde_json::from_str(&a.read("status.json")).unwrap();
    assert_eq!(status["built_at"], "2023-11-14T22:13:20+00:00");
    assert!(status.get("run").is_none());
}

#[test]
fn status_json_tells_when_and_how_long() {
    let site = Site::fixture("minimal");
    let before = chrono::Utc::now();
    site.build().unwrap();
    let status: serde_json::Value = serde_json::from_str(&site.read("status.json")).unwrap();
    let run = &status["run"];
    let time = |key: &str| chrono::DateTime::parse_from_rfc3339(run[key].as_str().unwrap()).unwrap();
    let (started, finished) = (time("started_at"), time("finished_at"));
    assert!(started <= finished && started >= before - chrono::Duration::seconds(1), "{run}");
    for stage in ["content", "templates", "ingest", "query", "render"] {
        assert!(run["stages"][stage].as_f64().unwrap() >= 0.0, "{stage} missing: {run}");
    }
    assert!(run["seconds"].as_f64().unwrap() >= 0.0);
    let revision = status["generator"]["revision"].as_str().unwrap();
    assert!(!revision.is_empty());
    assert_eq!(status["generator"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["inputs"][1]["rows_quarantined"], 0);
    assert_eq!(run["sources_read"], serde_json::json!(["recipes", "interactions"]));
    // the next run rewrites the run facts
    site.build().unwrap();
    let again: serde_json::Value = serde_json::from_str(&site.read("status.json")).unwrap();
    assert_eq!(again["run"]["sources_read"], serde_json::json!([]), "the data did not change");
    assert!(
        time("started_at")
            <= chrono::DateTime::parse_from_rfc3339(again["run"]["started_at"].as_str().unwrap()).unwrap()
    );
    assert!(!site.public().join("status.json.gz").exists(), "status.json has no stale twin");
}

#[test]
fn every_relative_link_resolves_and_nothing_is_external() {
    let site = Site::fixture("minimal");
    site.build().unwrap();
    for (path, bytes) in snapshot_tree(&site.public()).into_iter().filter(|(p, _)| p.ends_with(".html")) {
        let html = String::from_utf8(bytes).unwrap();
        for link in links(&html) {
            // the 404 page is served at any depth: it links from the site's
            // root on its server, the path of `base_url`
            let link = match (path.as_str(), link.strip_prefix("/report/")) {
                ("404.html", Some(rest)) => rest.to_string(),
                _ => link,
            };
            assert!(!link.starts_with('/'), "{path}: absolute link {link}");
            if link.starts_with("http") {
                continue;
            }
            let target = link.split('#').next().unwrap();
            if !target.is_empty() {
                assert!(site.public().join(target).is_file(), "{path}: broken link {link}");
            }
        }
        assert!(!html.contains("src=\"http"), "{path}: external resource");
        assert!(!html.contains("<script"), "{path}: script");
    }
}

#[test]
fn check_writes_nothing() {
    let site = Site::fixture("minimal");
    let mut opts = site.options();
    opts.write = false;
    let summary = mangetamain::build(&opts).unwrap();
    assert!(!summary.written);
    assert!(!site.public().exists());
}

#[test]
fn can_build_the_project_site() {
    let site = Site::project();
    let summary = site.build().unwrap();
    assert!(summary.pages >= 3);
    let index = site.read("index.html");
    for csv in [
        "kpis",
        "rating_distribution",
        "user_activity",
        "user_activity_summary",
        "interactions_per_month",
        "rating_per_year",
        "recipes_per_year",
    ] {
        assert!(site.public().join(format!("data/{csv}.csv")).is_file(), "{csv}.csv");
    }
    let ratings = site.read("data/rating_distribution.csv");
    assert_eq!(ratings.lines().count(), 7, "all six ratings: {ratings}");
    assert!(index.contains("Five-star reviews are"));
    // one page per top-20 tag, linked from the recipes page
    let top_tags = site.read("data/top_tags.csv");
    let recipes = site.read("recipes.html");
    assert_eq!(top_tags.lines().count(), 21);
    for line in top_tags.lines().skip(1) {
        let tag = line.split(',').next().unwrap();
        let page = format!("tag-{tag}.html");
        assert!(site.public().join(&page).is_file(), "{page}");
        assert!(recipes.contains(&format!("href=\"{page}\"")), "{page} not linked");
    }
}

#[test]
fn generates_one_page_per_row() {
    let site = Site::fixture("minimal");
    site.write(
        "content/rating.md",
        "+++\ntitle = \"Rating {{ row.rating }}\"\nin_nav = false\n[generate]\nquery = \"ratings\"\nslug = \"rating-{{ row.rating }}\"\n+++\n\n```sql count\nselect count(*) as n from interactions where rating = {{ row.rating }}\n```\n\n{{ count.n | int }} reviews have {{ row.rating }} stars.\n",
    );
    site.write(
        "content/list.md",
        "+++\ntitle = \"List\"\n+++\n\n```pages\ntemplate = \"rating\"\ntitle = \"By rating\"\n```\n",
    );
    site.build().unwrap();
    for r in 0..6 {
        assert!(site.public().join(format!("rating-{r}.html")).is_file(), "rating-{r}.html");
    }
    assert!(site.read("rating-5.html").contains("3 reviews have 5 stars."));
    assert_eq!(site.read("data/rating-5.count.csv"), "n\n3\n");
    let list = site.read("list.html");
    assert!(list.contains("<a href=\"rating-0.html\">Rating 0</a>"), "{list}");
    assert!(!site.read("index.html").contains("rating-0.html"), "generated pages stay out of the navigation");
}

#[test]
fn generated_pages_show_any_value_as_written() {
    let site = Site::fixture("minimal");
    let odd = r#"grandma's 9" pie & <crust> *x* \ y (z)"#;
    site.write(
        "content/odd.md",
        &format!(
            "+++\ntitle = \"Odd names\"\n+++\n\n```sql odd_names\nselect 1 as id, '{}' as name union all select 2, '<script>alert(1)</script>' order by id\n```\n\n```pages\ntemplate = \"recipe\"\n```\n",
            odd.replace('\'', "''")
        ),
    );
    site.write(
        "content/recipe.md",
        "+++\ntitle = \"Recipe {{ row.name }}\"\ndescription = \"All about {{ row.name }}\"\nin_nav = false\n[generate]\nquery = \"odd_names\"\nslug = \"recipe-{{ row.id }}\"\n+++\n\n```sql echo\nselect {{ row.id }} as id, {{ row.name | sql }} as name\n```\n\nThe name is {{ row.name }}; from SQL: {{ echo.name }}.\n\n```table\ndata = \"echo\"\ntitle = \"About {{ row.name }}\"\n```\n",
    );
    site.build().unwrap();
    for (id, name) in [(1, odd), (2, "<script>alert(1)</script>")] {
        let html = site.read(&format!("recipe-{id}.html"));
        let text = mangetamain::publish::decode_entities(&html);
        assert!(text.contains(&format!("<h1>Recipe {name}</h1>")), "the title: {html}");
        assert!(text.contains(&format!("All about {name}")), "the lead: {html}");
        assert!(text.contains(&format!("The name is {name}; from SQL: {name}.")), "the text: {html}");
        assert!(text.contains(&format!("About {name}")), "the table title: {html}");
        assert!(!html.contains("&amp;#") && !html.contains("<script>"), "escaped once, never twice: {html}");
        let field = if name.contains('"') { format!("\"{}\"", name.replace('"', "\"\"")) } else { name.to_string() };
        assert_eq!(site.read(&format!("data/recipe-{id}.echo.csv")), format!("id,name\n{id},{field}\n"));
    }
}

#[test]
fn the_sample_site_keeps_its_budgets() {
    let site = Site::project();
    site.build().unwrap();
    let tree = snapshot_tree(&site.public());
    let total: usize = tree.iter().map(|(_, b)| b.len()).sum();
    assert!(total < 5 * 1024 * 1024, "the whole site is {total} bytes");
    for (path, bytes) in tree.iter().filter(|(p, _)| p.ends_with(".html")) {
        assert!(bytes.len() <= 250 * 1024, "{path} is {} bytes of HTML", bytes.len());
        let html = String::from_utf8_lossy(bytes);
        for attr in ["src=\"http", "src=\"//", "href=\"//", "url(http", "@import"] {
            assert!(!html.contains(attr), "{path} loads something from elsewhere ({attr})");
        }
    }
    // a chart of more rows than its data table shows says so; the CSV has them all
    let segments = site.read("segments.html");
    let users = site.read("data/segment_spread.csv").lines().count() - 1;
    assert!(users > 500, "{users}");
    assert!(segments.contains(&format!("The first 500 of {users} rows; the CSV download has them all.")), "{segments}");
    let css = tree.iter().find(|(p, _)| p.starts_with("style.") && p.ends_with(".css")).unwrap();
    let css = String::from_utf8_lossy(&css.1);
    assert!(!css.contains("url(") && !css.contains("@import"), "the stylesheet loads nothing");
}

#[test]
fn a_query_by_column_runs_once_and_gives_each_generated_page_its_rows() {
    let site = Site::fixture("minimal");
    // the same numbers two ways: one query per page, and one query for all
    // pages (`by rating`) that reads the generating rows as the table `ratings`
    site.write(
        "content/rating.md",
        "+++\ntitle = \"Rating {{ row.rating }}\"\nin_nav = false\n[generate]\nquery = \"ratings\"\nslug = \"rating-{{ row.rating }}\"\n+++\n\n\
         ```sql each\nselect user_id, count(*) as n from interactions where rating = {{ row.rating }} group by user_id order by n desc, user_id limit 3\n```\n\n\
         ```sql shared by rating\nselect rating, user_id, count(*) as n from interactions\nwhere rating in (select rating from ratings)\ngroup by rating, user_id\n\
         qualify row_number() over (partition by rating order by count(*) desc, user_id) <= 3\norder by rating, n desc, user_id\n```\n\n\
         ```table\ndata = \"shared\"\n```\n",
    );
    site.build().unwrap();
    let ratings = site.read("data/ratings.csv");
    let mut pages = 0;
    for line in ratings.lines().skip(1) {
        let rating = line.split(',').next().unwrap();
        let each = site.read(&format!("data/rating-{rating}.each.csv"));
        let shared = site.read(&format!("data/rating-{rating}.shared.csv"));
        assert!(shared.starts_with("user_id,n\n"), "the key column is left out: {shared}");
        assert_eq!(each, shared, "rating {rating}");
        pages += 1;
    }
    assert_eq!(pages, 6);
    // a page whose key has no row gets an empty table with the columns
    let source = std::fs::read_to_string(site.root().join("content/rating.md")).unwrap();
    site.write("content/rating.md", &source.replace("where rating in", "where rating > 4 and rating in"));
    site.build().unwrap();
    assert_eq!(site.read("data/rating-0.shared.csv"), "user_id,n\n");
    assert!(site.read("data/rating-5.shared.csv").lines().count() > 1);
}

#[test]
fn links_to_content_files_lead_to_their_pages_and_headings_have_ids() {
    let site = Site::fixture("minimal");
    site.write(
        "content/about.md",
        "+++\ntitle = \"About\"\nslug = \"colophon\"\n+++\n\n## Where it comes from\n\n\
         Back [home](index.md), [here](about.md#where-it-comes-from), [up](#where-it-comes-from).\n",
    );
    site.build().unwrap();
    let page = site.read("colophon.html");
    assert!(page.contains("<h2 id=\"where-it-comes-from\">Where it comes from</h2>"), "{page}");
    assert!(page.contains("<a href=\"index.html\">home</a>"), "{page}");
    assert!(page.contains("<a href=\"colophon.html#where-it-comes-from\">here</a>"), "a page's own name: {page}");
    assert!(page.contains("<a href=\"#where-it-comes-from\">up</a>"), "{page}");
}

#[test]
fn numbers_and_dates_follow_the_locale_and_downloads_do_not() {
    let site = Site::fixture("minimal");
    let config = std::fs::read_to_string(site.root().join("content/site.toml")).unwrap().replacen(
        "title = ",
        "locale = \"fr\"\ntitle = ",
        1,
    );
    site.write("content/site.toml", &config);
    let body = |front: &str| {
        format!(
            "+++\ntitle = \"Locale\"\n{front}+++\n\n\
             ```sql facts\nselect 1132367 as n, 4.41 as mean, 0.721 as share, date '2018-12-01' as day, -0.0001 as tiny\n```\n\n\
             {{{{ facts.n | int }}}} · {{{{ facts.mean | dec(2) }}}} · {{{{ facts.share | pct(1) }}}} · \
             {{{{ facts.day | month }}}} · {{{{ facts.tiny | dec(1) }}}}\n\n\
             ```table\ndata = \"facts\"\nformats = {{ n = \"int\", share = \"pct(1)\" }}\n```\n\n\
             ```chart\nkind = \"bar\"\ndata = \"facts\"\nx = \"day\"\ny = \"n\"\ntitle = \"N\"\n```\n"
        )
    };
    site.write("content/fr.md", &body(""));
    site.write("content/de.md", &body("slug = \"de\"\nlocale = \"de\"\n"));
    site.build().unwrap();
    let fr = site.read("fr.html");
    assert!(fr.contains("<html lang=\"fr\">"), "{fr}");
    let nnbsp = '\u{202f}';
    for text in [
        format!("1{nnbsp}132{nnbsp}367 · 4,41 · 72,1\u{a0}% · décembre 2018 · 0,0"),
        format!("<td class=\"num\">1{nnbsp}132{nnbsp}367</td>"),
        "<td class=\"num\">72,1\u{a0}%</td>".to_string(),
    ] {
        assert!(fr.contains(&text), "no `{text}` in {fr}");
    }
    // the chart's value label, in the SVG
    assert!(fr.contains(&format!("\n1{nnbsp}132{nnbsp}367\n")), "{fr}");
    // a page of its own locale
    let de = site.read("de.html");
    assert!(de.contains("<html lang=\"de\">") && de.contains("1.132.367 · 4,41 · 72,1\u{a0}% · Dezember 2018"), "{de}");
    // the other pages of the site are French too, and downloads are as SQL returns them
    assert!(site.read("index.html").contains("<html lang=\"fr\">"));
    assert_eq!(site.read("data/facts.csv"), "n,mean,share,day,tiny\n1132367,4.41,0.721,2018-12-01,-0.0001\n");
}
