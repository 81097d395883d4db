//! Tests of Markdown.

use super::*;
use crate::content::directive::Directive;
use crate::content::expr::Source as ValueSource;

#[test]
fn links_to_content_files_lead_to_their_pages() {
    let pages: PageFiles =
        [("trends.md".to_string(), "trends.html".to_string()), ("a.md".into(), "b.html".into())].into();
    assert_eq!(page_link("trends.md", &pages).as_deref(), Some("trends.html"));
    assert_eq!(page_link("./trends.md#by-year", &pages).as_deref(), Some("trends.html#by-year"));
    assert_eq!(page_link("content/a.md?x=1#y", &pages).as_deref(), Some("b.html?x=1#y"), "the page's own name");
    for other in ["other.md", "https://x.org/trends.md", "/trends.md", "#trends.md", "trends.html", "data/trends.md"] {
        assert_eq!(page_link(other, &pages), None, "{other}");
    }
    let html = to_html_with("[T](trends.md#x) [O](other.md)", &Holes { prefix: String::new() }, &[], &pages);
    assert!(html.contains("href=\"trends.html#x\"") && html.contains("href=\"other.md\""), "{html}");
}

#[test]
fn headings_get_unique_ids_from_their_text() {
    assert_eq!(heading_id("How it is rated"), "how-it-is-rated");
    assert_eq!(heading_id("  Ratings, by year (1-5)! "), "ratings-by-year-1-5");
    assert_eq!(heading_id("Été à Paris"), "été-à-paris");
    assert_eq!(heading_id("\"<b>\" &amp;"), "b-amp", "nothing of HTML is kept");
    assert_eq!(heading_id("?!"), "section");
    let html = to_html("# Main\n\n## A `b`\n\n## A b\n\n## A b\n");
    assert!(html.contains("<h1 id=\"main-1\">"), "the page's own `main` stays unique: {html}");
    assert!(
        html.contains("<h2 id=\"a-b\">") && html.contains("<h2 id=\"a-b-1\">") && html.contains("<h2 id=\"a-b-2\">"),
        "{html}"
    );
}

fn scan_body(body: &str) -> Result<(Vec<QuerySpec>, Vec<Piece>), SourceError> {
    scan(body, 0, Path::new("p.md"), false).map(|s| (s.queries, s.pieces))
}

#[test]
fn finds_queries_directives_and_values() {
    let body =
        "# T\n\n```sql ratings\nselect 1 as n\n```\n\nShare {{ q.n | pct }} here.\n\n```table\ndata = \"q\"\n```\n";
    let (queries, pieces) = scan_body(body).unwrap();
    assert_eq!(queries.len(), 1);
    assert_eq!(queries[0].name, "ratings");
    assert_eq!(queries[0].sql, "select 1 as n\n");
    assert_eq!((queries[0].defined_at.line, queries[0].defined_at.column), (4, 1));
    assert!(pieces.iter().any(|p| matches!(p, Piece::Value(v) if v.location.line == 7
        && matches!(&v.value.source, ValueSource::Cell { column, .. } if column == "n"))));
    assert!(pieces.iter().any(|p| matches!(p, Piece::Directive(d) if matches!(d.as_ref(), Directive::Table(_)))));
}

#[test]
fn leaves_code_alone() {
    let body = "Use `{{ q.n }}` in prose.\n\n```\n{{ not.a_value }}\n{{ unclosed\n```\n\nand {{ q.n }}\n";
    let (_, pieces) = scan_body(body).unwrap();
    let values: Vec<_> = pieces.iter().filter(|p| matches!(p, Piece::Value(_))).collect();
    assert_eq!(values.len(), 1);
    let joined: String = pieces
        .iter()
        .map(|p| match p {
            Piece::Markdown(m) => m.clone(),
            _ => "@".into(),
        })
        .collect();
    assert_eq!(joined, "Use `{{ q.n }}` in prose.\n\n```\n{{ not.a_value }}\n{{ unclosed\n```\n\nand @\n");
}

#[test]
fn a_template_finds_row_values_in_code_and_sql() {
    let body = "Tag {{ row.tag }}, `{{ row.tag }}`, <b title=\"{{ row.tag }}\">x</b>\n\n```text\n{{ row.n }} {{ q.n }}\n```\n\n```sql s\nselect * from t where tag = {{ row.tag | sql }} and n > {{ row.n }} and x = '{{'\n```\n";
    let scanned = scan(body, 0, Path::new("p.md"), true).unwrap();
    let rows: Vec<&str> = scanned
        .pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Value(v) => v.value.row_column(),
            _ => None,
        })
        .collect();
    assert_eq!(rows, ["tag", "tag", "tag", "n"]);
    assert_eq!(scanned.queries[0].sql, "select * from t where tag = ? and n > ? and x = '{{'\n");
    let params = &scanned.params["s"];
    assert_eq!(
        params.iter().map(|p| (p.value.row_column().unwrap(), p.value.sql)).collect::<Vec<_>>(),
        [("tag", true), ("n", false)]
    );
    assert_eq!((params[1].location.line, params[1].location.column), (8, 57));
    // not on an ordinary page
    let e = scan("x {{ row.tag }}\n", 0, Path::new("p.md"), false).unwrap_err();
    assert!(e.message.contains("generated from data"), "{}", e.message);
    // a shared query cannot read its page's row
    let e = scan("```sql s by tag\nselect {{ row.tag }}\n```\n", 0, Path::new("p.md"), true).unwrap_err();
    assert!(e.message.contains("runs once for all pages"), "{}", e.message);
    let e = scan("```sql s\nselect {{ row.n | int }}\n```\n", 0, Path::new("p.md"), true).unwrap_err();
    assert!(e.message.contains("takes no format"), "{}", e.message);
}

#[test]
fn located_errors() {
    let e = scan_body("line\n\nsee {{ q }}\n").unwrap_err();
    assert_eq!((e.location.line, e.location.column), (3, 5));
    let e = scan_body("x {{ q.n\n").unwrap_err();
    assert!(e.message.contains("unclosed"));
    let (queries, _) = scan_body("```sql per_tag by tag\nselect 1 as tag\n```\n").unwrap();
    assert_eq!(queries[0].by, Some(By { column: "tag".into(), row: "tag".into() }));
    let (queries, _) = scan_body("```sql s by recipe_id = id\nselect 1 as recipe_id\n```\n").unwrap();
    assert_eq!(queries[0].by, Some(By { column: "recipe_id".into(), row: "id".into() }));
    for (info, message) in [
        ("sql q by", "expected one column name after `by`"),
        ("sql q by a b", "expected one column name after `by`"),
        ("sql q by a-b", "expected one column name after `by`"),
        ("sql q by a = ", "expected one column name after `by`"),
        ("sql q by a == b", "expected one column name after `by`"),
        ("sql q per tag", "unexpected `per` after the query name `q`"),
    ] {
        let e = scan_body(&format!("```{info}\nselect 1\n```\n")).unwrap_err();
        assert!(e.message.starts_with(message), "{info}: {}", e.message);
    }
    let e = scan_body("\n```sql bad-name\nselect 1\n```\n").unwrap_err();
    assert_eq!(e.location.line, 2);
    let e = scan_body("```sql empty\n```\n").unwrap_err();
    assert!(e.message.contains("empty"));
    let e = scan_body("```chart extra\nkind = \"bar\"\n```\n").unwrap_err();
    assert!(e.message.contains("unexpected `extra`"));
}

#[test]
fn values_are_text_wherever_they_stand() {
    let holes = Holes::new(std::iter::once("plain text"));
    let md = format!(
        "{h0}\n\n**{h1}** [link]({h2}.html \"t {h3}\") `{h1}` <span title=\"{h3}\">{h1}</span>\n\n```\n{h0}\n```\n",
        h0 = holes.hole(0),
        h1 = holes.hole(1),
        h2 = holes.hole(2),
        h3 = holes.hole(3)
    );
    let values: Vec<String> = [
        "---\n```sql pwn\nselect 1\n```\n# heading",
        "<script>alert(1)</script> *x* [l](u)",
        "javascript:alert(1)/../x?y#z",
        "a\" onmouseover=\"x",
    ]
    .map(String::from)
    .to_vec();
    let html = to_html_with(&md, &holes, &values, &BTreeMap::new());
    assert!(html.starts_with("<p>---\n```sql pwn\nselect 1\n```\n# heading</p>\n"), "{html}");
    assert!(!html.contains("<h1>") && !html.contains("<hr") && !html.contains("<script>"), "{html}");
    assert!(html.contains("<strong>&lt;script&gt;alert(1)&lt;/script&gt; *x* [l](u)</strong>"), "{html}");
    assert!(html.contains("href=\"javascript%3Aalert%281%29%2F..%2Fx%3Fy%23z.html\""), "{html}");
    assert!(html.contains("title=\"t a&quot; onmouseover=&quot;x\""), "{html}");
    assert!(html.contains("<span title=\"a&quot; onmouseover=&quot;x\">&lt;script&gt;"), "{html}");
    assert!(html.contains("<pre><code>---\n```sql pwn"), "{html}");
    assert!(!html.contains(&holes.hole(0)[..6]), "{html}");
    // a value that looks like a placeholder stays itself
    let html = to_html_with(
        &format!("{} {}", holes.hole(0), holes.hole(1)),
        &holes,
        &[holes.hole(1), "b".into()],
        &BTreeMap::new(),
    );
    assert_eq!(html, format!("<p>{} b</p>\n", holes.hole(1)));
    // a code block's language and footnote labels too
    let md = format!("```{}\nx\n```\n\nnote[^{}]\n\n[^{}]: n\n", holes.hole(0), holes.hole(0), holes.hole(0));
    let html = to_html_with(&md, &holes, &["a\"b".into()], &BTreeMap::new());
    assert!(!html.contains("mgtv") && html.contains("language-a&quot;b"), "{html}");
}

#[test]
fn placeholders_avoid_the_page_text() {
    let a = Holes::new(["x mgtv0q1z y"].into_iter());
    assert!(!a.hole(1).starts_with("mgtv0q"));
    let html = to_html_with(&format!("mgtv0q1z {}", a.hole(0)), &a, &["v".into()], &BTreeMap::new());
    assert_eq!(html, "<p>mgtv0q1z v</p>\n");
}

#[test]
fn placeholders_survive_markdown() {
    let html = to_html(&format!("para\n\n{}\n\nmore\n", placeholder(3)));
    assert!(html.contains(&placeholder(3)));
}
