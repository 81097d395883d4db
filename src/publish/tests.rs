//! Tests of publishing.

use super::*;

fn file(path: &str, body: &str) -> OutputFile {
    OutputFile { rel_path: path.into(), contents: body.as_bytes().to_vec() }
}

#[test]
fn finds_broken_links() {
    let ok = [
        file(
            "index.html",
            "<h1 id=\"top\">T</h1><a href=\"a.html#x\">a</a><a href=\"#top\">t</a><a href=\"https://kaggle.com\">k</a>",
        ),
        file("a.html", "<h2 id=\"x\">x</h2><a href=\"data/q.csv\">q</a><a href=\"/a.html#x\">from the root</a>"),
        file("data/q.csv", ""),
    ];
    check_links(&ok, &BTreeSet::new(), "/").unwrap();
    let bad = [file("index.html", "<a href=\"nope.html\">x</a><img src=\"../up.png\">")];
    let err = check_links(&bad, &BTreeSet::new(), "/").unwrap_err().to_string();
    assert!(err.contains("`nope.html`") && err.contains("`../up.png`"), "{err}");
    let ext = [file("index.html", "<img src=\"https://cdn.example/x.png\">")];
    assert!(check_links(&ext, &BTreeSet::new(), "/").unwrap_err().to_string().contains("another site"));
    // fragments name an id of their page
    let fragments = [
        file(
            "index.html",
            "<h2 id=\"ok\">o</h2><a href=\"#gone\">g</a><a href=\"a.html#ok\">o</a><a href=\"a.html#a%20b\">s</a>",
        ),
        file("a.html", "<p id=\"a b\">"),
    ];
    let broken = broken_links(&fragments, &BTreeSet::new(), "/");
    assert_eq!(broken.iter().map(|b| b.link.as_str()).collect::<Vec<_>>(), ["#gone", "a.html#ok"]);
    assert!(broken[0].why.contains("`index.html` has no element with the id `gone`"), "{broken:?}");
    // from the root of a sub-path
    let sub =
        [file("404.html", "<a href=\"/report/index.html\">i</a><a href=\"/index.html\">r</a>"), file("index.html", "")];
    let broken = broken_links(&sub, &BTreeSet::new(), "/report/");
    assert_eq!(broken.iter().map(|b| b.link.as_str()).collect::<Vec<_>>(), ["/index.html"]);
}

#[test]
fn links_are_decoded() {
    assert_eq!(links("<a href=\"data&#x2F;q.csv?a=1&amp;b=2\">"), ["data/q.csv?a=1&b=2"]);
    assert_eq!(decode_entities("a&b &#47; &nope; &#xZZ;"), "a&b / &nope; &#xZZ;");
}

#[test]
fn precompresses_deterministically() {
    let mut a = vec![file("index.html", "hello hello hello"), file("x.png", "bin")];
    let mut b = a.clone();
    precompress(&mut a).unwrap();
    precompress(&mut b).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.iter().map(|f| f.rel_path.as_str()).collect::<Vec<_>>(), ["index.html", "index.html.gz", "x.png"]);
}

#[test]
fn a_large_download_is_compressed_fast_and_reads_back_whole() {
    use std::io::Read;
    // rows of numbers, as a per-user table: above the size of the fast level
    let csv: String = (0..120_000u64).map(|i| format!("{i},{},{}\n", i * 7919 % 1000, i % 13)).collect();
    assert!(csv.len() > LARGE);
    let mut files = vec![file("data/big.csv", &csv), file("index.html", &csv[..LARGE / 2])];
    precompress(&mut files).unwrap();
    let twin = |name: &str| files.iter().find(|f| f.rel_path == name).unwrap().contents.clone();
    let mut back = String::new();
    flate2::read::GzDecoder::new(&twin("data/big.csv.gz")[..]).read_to_string(&mut back).unwrap();
    assert_eq!(back, csv);
    let best = |text: &str| {
        let mut gz = GzBuilder::new().mtime(0).write(Vec::new(), Compression::best());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap()
    };
    assert_ne!(twin("data/big.csv.gz"), best(&csv), "the large file at the fast level");
    assert_eq!(twin("index.html.gz"), best(&csv[..LARGE / 2]), "the others at the best");
}

#[test]
fn one_lock_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let first = lock(&out).unwrap();
    let err = lock(&out).unwrap_err();
    let locked = err.downcast_ref::<Locked>().expect("a Locked error");
    assert_eq!(locked.holder, format!("process {}", std::process::id()));
    drop(first);
    lock(&out).unwrap();
}

#[test]
fn write_replaces_the_site_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    write(&out, &[file("index.html", "one"), file("old.html", "x")], &[]).unwrap();
    write(&out, &[file("index.html", "two"), file("data/q.csv", "a\n")], &[]).unwrap();
    assert_eq!(std::fs::read_to_string(out.join("index.html")).unwrap(), "two");
    assert!(!out.join("old.html").exists());
    assert!(out.join("data/q.csv").exists());
    let mut leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    leftovers.sort();
    assert_eq!(leftovers, [".public.editions", "public"]);
    assert!(std::fs::symlink_metadata(&out).unwrap().file_type().is_symlink());
    // the previous edition stays for readers still on it, no more
    write(&out, &[file("index.html", "three")], &[]).unwrap();
    assert_eq!(std::fs::read_dir(editions_dir(&out)).unwrap().count(), 2);
}

#[test]
fn run_files_replace_theirs_without_a_new_edition() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let site = [file("index.html", "one"), file("status.json", "{}")];
    write(&out, &site, &[file("status.json", "{\"run\": 1}")]).unwrap();
    assert_eq!(std::fs::read_to_string(out.join("status.json")).unwrap(), "{\"run\": 1}");
    let edition = std::fs::read_link(&out).unwrap();
    write(&out, &site, &[file("status.json", "{\"run\": 2}")]).unwrap();
    assert_eq!(std::fs::read_link(&out).unwrap(), edition, "same site, same edition");
    assert_eq!(std::fs::read_to_string(out.join("status.json")).unwrap(), "{\"run\": 2}");
    assert!(out.join("index.html.gz").is_file(), "the twins are written with the edition");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 3, "no temporary file left");
}

#[cfg(unix)]
#[test]
fn an_edition_shares_the_unchanged_files_of_the_last_and_repairs_its_own() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let big = "x,1\n".repeat(5000);
    let site = |page: &str| [file("index.html", page), file("data/q.csv", &big), file("status.json", "{}")];
    let run = |n: u32| [file("status.json", &format!("{{\"run\": {n}}}"))];
    write(&out, &site("one"), &run(1)).unwrap();
    let first = std::fs::read_link(&out).unwrap();
    let inode = |p: &str| std::fs::metadata(out.join(p)).unwrap().ino();
    let (csv, twin, page) = (inode("data/q.csv"), inode("data/q.csv.gz"), inode("index.html"));
    write(&out, &site("two"), &run(2)).unwrap();
    assert_ne!(std::fs::read_link(&out).unwrap(), first, "another edition");
    assert_eq!((inode("data/q.csv"), inode("data/q.csv.gz")), (csv, twin), "the same bytes: shared");
    assert_ne!(inode("index.html"), page, "the changed page: its own");
    assert_eq!(std::fs::read_to_string(out.join("index.html")).unwrap(), "two");
    assert_eq!(std::fs::read_to_string(out.join("status.json")).unwrap(), "{\"run\": 2}");
    // the older edition goes; the shared files stay whole in the newer
    write(&out, &site("three"), &run(3)).unwrap();
    write(&out, &site("four"), &run(4)).unwrap();
    assert!(!editions_dir(&out).join(&first).exists());
    assert_eq!(std::fs::read_to_string(out.join("data/q.csv")).unwrap(), big);
    let mut gz = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(out.join("data/q.csv.gz")).unwrap()),
        &mut gz,
    )
    .unwrap();
    assert_eq!(gz, big);
    // files are replaced by a rename, never written in place: a copy shared
    // with another edition keeps its bytes
    let shared = dir.path().join("shared.json");
    std::fs::hard_link(out.join("status.json"), &shared).unwrap();
    write(&out, &site("four"), &run(5)).unwrap();
    assert_eq!(std::fs::read_to_string(&shared).unwrap(), "{\"run\": 4}");
    assert_eq!(std::fs::read_to_string(out.join("status.json")).unwrap(), "{\"run\": 5}");
    // a file lost from the published edition is written again by the same site
    std::fs::remove_file(out.join("data/q.csv.gz")).unwrap();
    std::fs::write(out.join("index.html"), "").unwrap();
    write(&out, &site("four"), &run(6)).unwrap();
    assert!(out.join("data/q.csv.gz").is_file());
    assert_eq!(std::fs::read_to_string(out.join("index.html")).unwrap(), "four");
}
