//! One invalid fixture per user error: each must fail with `path:line:col`,
//! exit the build with an error, and leave the published site untouched.

use crate::common::{Site, copy_dir, repo, snapshot_tree};
use mangetamain::error::SourceError;

fn cases() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("tests/fixtures/invalid"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_invalid_fixture_fails_with_its_location_and_keeps_the_site() {
    let cases = cases();
    assert!(cases.len() >= 14, "{cases:?}");
    let mut failures: Vec<String> = Vec::new();
    for case in cases {
        let site = Site::fixture("minimal");
        site.build().unwrap();
        let before = snapshot_tree(&site.public());
        let dir = repo().join("tests/fixtures/invalid").join(&case);
        copy_dir(&dir, site.root());
        let expected = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
        let Err(err) = site.build() else {
            failures.push(format!("{case}: the build succeeded"));
            continue;
        };
        let Some(source) = err.downcast_ref::<SourceError>() else {
            failures.push(format!("{case}: not a located error: {err:#}"));
            continue;
        };
        let message = source.to_string();
        if !message.starts_with(expected.trim()) {
            failures.push(format!("{case}:\n  expected: {}\n  got:      {message}", expected.trim()));
        }
        if before != snapshot_tree(&site.public()) {
            failures.push(format!("{case}: the published site changed"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_on_missing_input_file() {
    let site = Site::fixture("minimal");
    std::fs::remove_file(site.root().join("data/sample/RAW_interactions.csv")).unwrap();
    let err = format!("{:#}", site.build().unwrap_err());
    assert!(err.contains("RAW_interactions.csv"), "{err}");
}

#[test]
fn a_missing_template_is_the_built_in_one() {
    let site = Site::fixture("minimal");
    std::fs::remove_file(site.root().join("templates/404.html")).unwrap();
    site.write(
        "templates/page.html",
        &std::fs::read_to_string(repo().join("templates/page.html")).unwrap().replace("<h1>", "<h1 class=\"mine\">"),
    );
    site.build().unwrap();
    assert!(site.read("404.html").contains("<html"), "the built-in 404 page");
    assert!(site.read("index.html").contains("<h1 class=\"mine\">"), "the site's own page template");
}
