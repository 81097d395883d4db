//! Tests of archives.

use super::*;

fn file(path: &str, body: &str) -> OutputFile {
    OutputFile { rel_path: path.into(), contents: body.as_bytes().to_vec() }
}

/// The built-in templates.
fn templates() -> Templates {
    Templates::load(Path::new("no-templates-here"), Path::new(".")).unwrap()
}

const SITE: &str = "\"site\": {\"language\": \"fr\", \"title\": \"Report\"}";

fn site() -> Vec<OutputFile> {
    let page = |title: &str, body: &str| {
        format!(
            "<!DOCTYPE html>\n<html lang=\"fr\">\n<head><link rel=\"stylesheet\" href=\"style.1.css\"></head><body><a class=\"brand\" href=\"index.html\">Report</a><main id=\"main\" class=\"wrap\"><h1>{title}</h1>{body}</main></body></html>"
        )
    };
    vec![
        file("index.html", &page("Overview", "<a href=\"about.html\">About</a> <a href=\"about.html#who\">who</a>")),
        file("about.html", &page("About", "<p id=\"who\">x</p><a href=\"data/q.csv\" download>csv</a>")),
        file("about.html.gz", "zz"),
        file("style.1.css", "body{}"),
        file("data/q.csv", "a,b\n1,2\n"),
        file(
            "status.json",
            &format!(
                "{{\"edition\": \"2018-12-20\", \"page_titles\": {{\"index.html\": \"Overview\", \"about.html\": \"About\"}}, \"pages\": [\"index.html\", \"about.html\"], \"run\": {{\"seconds\": 1}}, {SITE}}}"
            ),
        ),
    ]
}

#[test]
fn names_and_sizes() {
    assert_eq!(edition_of("mangetamain-2018-12-20.tar.gz"), Some("2018-12-20"));
    assert_eq!(edition_of("mangetamain-2018-12-20.html"), Some("2018-12-20"));
    assert_eq!(edition_of("mangetamain-2018-13-20.zip"), None);
    assert_eq!(edition_of("mangetamain-2018-12-20.tar"), None);
    assert_eq!(edition_of("other-2018-12-20.zip"), None);
    assert_eq!(human_size(999), "999 B");
    assert_eq!(human_size(1500), "1.5 kB");
    assert_eq!(human_size(2_345_678), "2.3 MB");
}

#[test]
fn offline_files_drop_twins_run_facts_and_downloads() {
    let mut files = site();
    files.push(file(EDITIONS_PAGE, &format!("<h1>Editions</h1>{}", editions_body(&templates(), &[]).unwrap())));
    let offline = offline_files(&files).unwrap();
    assert!(offline.iter().all(|f| !f.rel_path.ends_with(".gz")));
    let status = offline.iter().find(|f| f.rel_path == "status.json").unwrap();
    assert!(!String::from_utf8_lossy(&status.contents).contains("run"));
    let editions = offline.iter().find(|f| f.rel_path == EDITIONS_PAGE).unwrap();
    let text = String::from_utf8_lossy(&editions.contents);
    assert!(text.contains("archived edition") && !text.contains("No edition"), "{text}");
}

#[test]
fn single_html_stands_alone() {
    let html = single_html(&offline_files(&site()).unwrap(), &templates()).unwrap();
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("<style>\nbody{}</style>"));
    assert!(html.contains("<section class=\"archived-page\" id=\"page-about\">"));
    assert!(html.contains("<a href=\"#page-about\">About</a> <a href=\"#about--who\">who</a>"));
    assert!(html.contains("<p id=\"about--who\">"), "ids carry their page: {html}");
    assert!(html.contains("href=\"data:text/csv;charset=utf-8;base64,YSxiCjEsMgo=\" download=\"q.csv\""));
    assert!(html.contains("<title>Report · 2018-12-20</title>"));
    assert!(html.contains("<li><a href=\"#page-index\">Overview</a></li>"), "{html}");
    let mut broken = site();
    broken[0] =
        file("index.html", &String::from_utf8_lossy(&broken[0].contents).replace("about.html#who", "gone.html"));
    assert!(single_html(&broken, &templates()).unwrap_err().to_string().contains("`gone.html`"));
}

#[test]
fn ids_repeated_across_pages_stay_unique() {
    let html =
        "<figure id=\"chart-q\"><svg aria-labelledby=\"chart-q-title chart-q-desc\"><title id=\"chart-q-title\">";
    assert_eq!(
        prefix_ids(html, "trends--"),
        "<figure id=\"trends--chart-q\"><svg aria-labelledby=\"trends--chart-q-title trends--chart-q-desc\"><title id=\"trends--chart-q-title\">"
    );
    let files: BTreeMap<&str, &[u8]> = BTreeMap::new();
    let ids: BTreeMap<&str, String> = [("a.html", "page-a".to_string())].into();
    assert_eq!(rewrite_links("<a href=\"#x\">", "b.html", &ids, &files).unwrap(), "<a href=\"#b--x\">");
}

#[test]
fn archives_are_reproducible_and_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let files = offline_files(&site()).unwrap();
    let written = write(dir.path(), &files, &templates()).unwrap();
    assert_eq!(written.len(), 3);
    let first: Vec<Vec<u8>> = written.iter().map(|p| std::fs::read(p).unwrap()).collect();
    write(dir.path(), &files, &templates()).unwrap();
    let second: Vec<Vec<u8>> = written.iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert_eq!(first, second);
    let mut older = files.clone();
    let status = older.iter_mut().find(|f| f.rel_path == "status.json").unwrap();
    status.contents =
        format!("{{\"edition\": \"2017-01-02\", \"pages\": [\"index.html\", \"about.html\"], {SITE}}}").into_bytes();
    write(dir.path(), &older, &templates()).unwrap();
    let editions = list(dir.path()).unwrap();
    assert_eq!(editions.iter().map(|e| e.date.as_str()).collect::<Vec<_>>(), ["2018-12-20", "2017-01-02"]);
    assert!(editions[0].files[0].0.ends_with(".tar.gz") && editions[0].files[2].0.ends_with(".html"));
    let body = editions_body(&templates(), &editions).unwrap();
    assert!(body.contains("href=\"archive/mangetamain-2017-01-02.zip\""));
    assert_eq!(link_targets(&editions).len(), 6);
    // the edition just archived stays, whatever its date; then the most recently written
    let mut newer = older.clone();
    newer.iter_mut().find(|f| f.rel_path == "status.json").unwrap().contents =
        format!("{{\"edition\": \"2025-06-01\", {SITE}}}").into_bytes();
    write(dir.path(), &newer, &templates()).unwrap();
    let touch = |date: &str, secs: u64| {
        for form in FORMS {
            let f = std::fs::File::options().append(true).open(dir.path().join(format!("{PREFIX}{date}{form}")));
            f.unwrap().set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)).unwrap();
        }
    };
    touch("2025-06-01", 3_000);
    touch("2017-01-02", 2_000);
    touch("2018-12-20", 1_000);
    assert_eq!(prune(dir.path(), 2, "2018-12-20").unwrap(), ["2017-01-02"]);
    assert_eq!(prune(dir.path(), 1, "2018-12-20").unwrap(), ["2025-06-01"]);
    assert_eq!(list(dir.path()).unwrap()[0].date, "2018-12-20");
    assert_eq!(list(dir.path()).unwrap().len(), 1);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3, "no temporary files left");
}

#[test]
fn a_site_without_an_edition_date_cannot_be_archived() {
    let files = [file("status.json", "{\"edition\": null}")];
    assert!(edition_date(&files).unwrap_err().to_string().contains("SOURCE_DATE_EPOCH"));
}

#[test]
fn the_single_file_escapes_the_title_and_needs_to_know_its_site() {
    let mut files = site();
    let status = files.iter_mut().find(|f| f.rel_path == "status.json").unwrap();
    status.contents = br#"{"edition": "2018-12-20", "page_titles": {"index.html": "<b>x</b>\u0000"}, "pages": ["index.html"], "site": {"language": "en", "title": "</title><script>x()</script> & \"q\""}}"#.to_vec();
    let html = single_html(&files, &templates()).unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains(
            "<span class=\"brand\">&lt;&#x2F;title&gt;&lt;script&gt;x()&lt;&#x2F;script&gt; &amp; &quot;q&quot;</span>"
        ),
        "{html}"
    );
    assert_eq!(html.matches("<section class=\"archived-page\"").count(), 1);
    assert!(html.contains("<li><a href=\"#page-index\">&lt;b&gt;x&lt;&#x2F;b&gt;\u{FFFD}</a></li>"), "{html}");
    assert!(!html.contains('\0'), "no NUL in the file");

    let status = files.iter_mut().find(|f| f.rel_path == "status.json").unwrap();
    status.contents = br#"{"edition": "2018-12-20", "pages": ["index.html"]}"#.to_vec();
    let err = single_html(&files, &templates()).unwrap_err().to_string();
    assert!(err.contains("older mangetamain"), "{err}");
}
