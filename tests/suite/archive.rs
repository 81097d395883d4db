//! Offline archives on the real binary: the three forms of an edition,
//! byte-identical across runs and between `build --archive` and `archive`,
//! extracted with other tools (`tar`, Python's `zipfile`) and checked to
//! open from `file://` with every link resolving; the single HTML file
//! refers to nothing outside itself; `--keep` prunes; the Editions page.

use crate::common::{Site, snapshot_tree};
use mangetamain::publish::links;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const NAME: &str = "mangetamain-2008-03-02";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mangetamain"));
    c.env_remove("MANGETAMAIN_LOG").env_remove("SOURCE_DATE_EPOCH");
    c
}

fn run(c: &mut Command) -> String {
    let out = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    stderr
}

fn build_archived(site: &Site, dir: &Path, extra: &[&str]) -> String {
    build_archived_with(site, dir, &mut bin(), extra)
}

fn build_archived_with(site: &Site, dir: &Path, c: &mut Command, extra: &[&str]) -> String {
    run(c.args(["build", "--root"]).arg(site.root()).arg("--archive").arg(dir).args(extra))
}

fn forms(dir: &Path) -> Vec<PathBuf> {
    [".tar.gz", ".zip", ".html"].iter().map(|f| dir.join(format!("{NAME}{f}"))).collect()
}

/// Every relative link of every HTML file under `root` names a file there.
fn assert_links_resolve(root: &Path) {
    let mut pages = 0;
    for (path, bytes) in snapshot_tree(root).into_iter().filter(|(p, _)| p.ends_with(".html")) {
        pages += 1;
        let html = String::from_utf8(bytes).unwrap();
        let dir = root.join(&path).parent().unwrap().to_path_buf();
        for link in links(&html) {
            if link.starts_with("https://") || link.starts_with('#') {
                continue;
            }
            let target = link.split('#').next().unwrap();
            assert!(dir.join(target).is_file(), "{path}: `{link}` does not resolve in the archive");
        }
    }
    assert!(pages >= 3, "only {pages} pages in {}", root.display());
}

#[test]
fn build_writes_three_reproducible_archives_that_open_offline() {
    let site = Site::fixture("minimal");
    let dir = site.root().join("archive");
    let log = build_archived(&site, &dir, &[]);
    assert!(log.contains(&format!("{NAME}.tar.gz")), "{log}");
    let first: Vec<Vec<u8>> = forms(&dir).iter().map(|p| std::fs::read(p).unwrap()).collect();

    // a second build of the same inputs, and `archive` of the published
    // site, give the same bytes
    build_archived(&site, &dir, &[]);
    let again: Vec<Vec<u8>> = forms(&dir).iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(first == again, "a rebuild changed the archives");
    let other = site.root().join("other");
    run(bin().args(["archive", "--root"]).arg(site.root()).arg("--archive").arg(&other));
    let from_site: Vec<Vec<u8>> = forms(&other).iter().map(|p| std::fs::read(p).unwrap()).collect();
    assert!(first == from_site, "`archive` and `build --archive` disagree");

    // extracted by tar and by Python's zipfile: the same site, links resolve
    let from_tar = site.root().join("x-tar");
    let from_zip = site.root().join("x-zip");
    std::fs::create_dir_all(&from_tar).unwrap();
    if !crate::common::tool("tar", &["--version"], "apt-get install tar") {
        return;
    }
    run(Command::new("tar").arg("-xzf").arg(&forms(&dir)[0]).arg("-C").arg(&from_tar));
    let tar_tree = snapshot_tree(&from_tar.join(NAME));
    if let Some(python) = crate::common::python3() {
        run(Command::new(python).args(["-m", "zipfile", "-e"]).arg(&forms(&dir)[1]).arg(&from_zip));
        assert_eq!(tar_tree, snapshot_tree(&from_zip.join(NAME)));
    }
    assert!(tar_tree.iter().all(|(p, _)| !p.ends_with(".gz")), "no gzip twins in an archive");
    assert_links_resolve(&from_tar.join(NAME));
    let editions = std::fs::read_to_string(from_tar.join(NAME).join("editions.html")).unwrap();
    assert!(editions.contains("archived edition") && !editions.contains("href=\"archive/"), "{editions}");
    let status = std::fs::read_to_string(from_tar.join(NAME).join("status.json")).unwrap();
    assert!(!status.contains("\"run\""), "the archive holds no build times: {status}");
}

#[test]
fn the_single_html_file_refers_to_nothing_outside_itself() {
    let site = Site::fixture("minimal");
    let dir = site.root().join("archive");
    build_archived(&site, &dir, &[]);
    let html = std::fs::read_to_string(&forms(&dir)[2]).unwrap();
    let mut ids = BTreeSet::new();
    for part in html.split(" id=\"").skip(1) {
        let id = part.split('"').next().unwrap();
        assert!(ids.insert(id.to_string()), "duplicate id `{id}`");
    }
    for link in links(&html) {
        if let Some(id) = link.strip_prefix('#') {
            assert!(ids.contains(id), "`{link}` names no element");
        } else {
            assert!(
                link.starts_with("data:") || (link.starts_with("https://") && !html.contains(&format!("src=\"{link}"))),
                "`{link}` leaves the file"
            );
        }
    }
    assert!(!html.contains("<link") && !html.contains("<script") && !html.contains("url("), "external resources");
    for page in ["page-index", "page-about", "page-editions"] {
        assert!(ids.contains(page), "no section {page}");
    }
    // the CSV downloads are embedded and decode to the published files
    let csv = html.split("href=\"data:text/csv;charset=utf-8;base64,").nth(1).unwrap().split('"').next().unwrap();
    use base64::Engine;
    let decoded = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(csv).unwrap()).unwrap();
    let published: Vec<String> = std::fs::read_dir(site.public().join("data"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".csv"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(published.contains(&decoded), "{decoded}");
}

#[test]
fn the_editions_page_lists_the_archives_and_keep_prunes() {
    let site = Site::fixture("minimal");
    let dir = site.root().join("archive");
    std::fs::create_dir_all(&dir).unwrap();
    for (date, form) in [("2001-01-01", ".zip"), ("2005-06-07", ".tar.gz"), ("2005-06-07", ".html")] {
        std::fs::write(dir.join(format!("mangetamain-{date}{form}")), "old").unwrap();
    }
    std::fs::write(dir.join("notes.txt"), "not an edition").unwrap();
    build_archived(&site, &dir, &["--keep", "2"]);
    let mut left: Vec<String> =
        std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    assert_eq!(
        left,
        [
            "mangetamain-2005-06-07.html",
            "mangetamain-2005-06-07.tar.gz",
            &format!("{NAME}.html"),
            &format!("{NAME}.tar.gz"),
            &format!("{NAME}.zip"),
            "notes.txt"
        ]
    );
    let page = site.read("editions.html");
    let newest = page.find("2008-03-02").unwrap();
    let older = page.find("2005-06-07").unwrap();
    assert!(newest < older, "newest first");
    assert!(page.contains("href=\"archive/mangetamain-2005-06-07.tar.gz\">3 B</a>"), "{page}");
    assert!(!page.contains("2001-01-01"));
    assert!(site.read("index.html").contains("<a href=\"editions.html\">Editions</a>"));
    // without --archive there is no Editions page
    run(bin().args(["build", "--root"]).arg(site.root()));
    assert!(!site.public().join("editions.html").exists());
    assert!(!site.read("index.html").contains("editions.html"));
}

#[test]
fn keep_keeps_the_edition_just_built_whatever_its_date() {
    let site = Site::fixture("minimal");
    let dir = site.root().join("archive");
    // two builds of later dates (SOURCE_DATE_EPOCH 2023 and 2025), then the data's own
    for epoch in ["1700000000", "1740000000"] {
        let mut c = bin();
        c.env("SOURCE_DATE_EPOCH", epoch);
        build_archived_with(&site, &dir, &mut c, &["--keep", "5"]);
    }
    let log = build_archived(&site, &dir, &["--keep", "2"]);
    let mut left: Vec<String> =
        std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    left.sort();
    let mut expected: Vec<String> =
        forms(&dir).iter().map(|p| p.file_name().unwrap().to_string_lossy().into()).collect();
    expected.extend([".tar.gz", ".zip", ".html"].map(|f| format!("mangetamain-2025-02-19{f}")));
    expected.sort();
    assert_eq!(left, expected, "the current edition and the most recently built other");
    assert!(log.contains("removed an old archived edition") && log.contains("2023-11-14"), "{log}");
    let page = site.read("editions.html");
    assert!(page.contains("2008-03-02") && page.contains("2025-02-19") && !page.contains("2023-11-14"), "{page}");
    build_archived(&site, &dir, &["--keep", "1"]);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
    assert!(forms(&dir).iter().all(|p| p.exists()));
}

#[test]
fn a_site_without_an_edition_date_is_not_archived() {
    let site = Site::fixture("minimal");
    let config = std::fs::read_to_string(site.root().join("content/site.toml")).unwrap();
    site.write("content/site.toml", &config.replace("edition = \"totals.last_date\"\n", ""));
    let dir = site.root().join("archive");
    let out = bin().args(["build", "--root"]).arg(site.root()).arg("--archive").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("edition date") && stderr.contains("SOURCE_DATE_EPOCH"), "{stderr}");
    assert!(!site.public().exists(), "nothing published");
    // with SOURCE_DATE_EPOCH the edition is dated by it
    let out = bin()
        .args(["build", "--root"])
        .arg(site.root())
        .arg("--archive")
        .arg(&dir)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.join("mangetamain-2023-11-14.zip").is_file());
}

#[test]
fn archive_needs_a_built_site() {
    let site = Site::fixture("minimal");
    let out = bin().args(["archive", "--root"]).arg(site.root()).args(["--archive", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no published site at"), "{stderr}");
    let plain = site.root().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    std::fs::write(plain.join("index.html"), "<p>hi</p>").unwrap();
    let out = bin().arg("archive").arg("--out").arg(&plain).args(["--archive", "x"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a site built by mangetamain"));
}
