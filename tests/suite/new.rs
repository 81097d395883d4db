//! `mangetamain new`: a new site that builds at once, from nothing or from
//! data files, whatever their column names hold.

use crate::common::repo;
use std::process::Command;

fn mangetamain(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mangetamain")).args(args).output().unwrap()
}

#[test]
fn a_site_from_a_csv_with_nulls_and_dates_builds_and_links() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("penguins.csv");
    std::fs::copy(repo().join("tests/fixtures/sites/byod/data/penguins.csv"), &csv).unwrap();
    let site = dir.path().join("site");
    let out = mangetamain(&["new".as_ref(), site.as_os_str(), "--from".as_ref(), csv.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for file in ["content/site.toml", "content/index.md", "content/penguins.md", ".gitignore"] {
        assert!(site.join(file).is_file(), "{file}");
    }
    let toml = std::fs::read_to_string(site.join("content/site.toml")).unwrap();
    assert!(toml.contains("path = \"../penguins.csv\"") && toml.contains("nullstr = [\"NA\"]"), "{toml}");
    let out = mangetamain(&["build".as_ref(), "--root".as_ref(), site.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = std::fs::read_to_string(site.join("public/penguins.html")).unwrap();
    // the profile: rows, each column's type and NULL share, charts by kind
    assert!(page.contains("It has 30 rows and 6 columns."), "{page}");
    for cell in ["<td>body_mass_g</td><td>BIGINT</td><td class=\"num\">10.0%</td>", "<td>observed</td><td>DATE</td>"] {
        assert!(page.contains(cell), "{cell}: {page}");
    }
    assert!(page.contains("body_mass_g: distribution") && page.contains("observed: rows per month"));
    assert!(page.contains("species: the most frequent values"));
    let index = std::fs::read_to_string(site.join("public/index.html")).unwrap();
    assert!(index.contains("href=\"penguins.html\""), "{index}");
    // into a directory that is not empty: refused, nothing changed
    let before = std::fs::read_to_string(site.join("content/index.md")).unwrap();
    let out = mangetamain(&["new".as_ref(), site.as_os_str()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not empty"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(std::fs::read_to_string(site.join("content/index.md")).unwrap(), before);
}

#[test]
fn column_names_are_data_in_every_file_new_writes() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("odd names.csv");
    let names = ["{{ kpis.n }}", "a`b", "x\"y", "*em* [l](u)", "<script>", "# h", "'; drop table x; --"];
    let header: Vec<String> = names.iter().map(|n| format!("\"{}\"", n.replace('"', "\"\""))).collect();
    std::fs::write(&csv, format!("{}\n1,2,3,4,5,6,7\n8,9,10,11,12,13,14\n", header.join(","))).unwrap();
    let site = dir.path().join("site");
    let out = mangetamain(&["new".as_ref(), site.as_os_str(), "--from".as_ref(), csv.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = mangetamain(&["build".as_ref(), "--root".as_ref(), site.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(site.join("public/odd_names.html")).unwrap();
    let text = mangetamain::publish::decode_entities(&html);
    for name in names {
        assert!(text.contains(&format!("<td>{name}</td>")), "{name} in the table: {html}");
        assert!(text.contains(&format!("Column {name}")), "{name} as a heading: {html}");
    }
    assert!(!html.contains("<script>") && !html.contains("<em>em</em>"), "{html}");
}

#[test]
fn a_site_from_nothing_builds() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("empty site");
    let out = mangetamain(&["new".as_ref(), site.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = mangetamain(&["build".as_ref(), "--root".as_ref(), site.as_os_str()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(site.join("public/index.html")).unwrap().contains("The first query says hello."));
}
