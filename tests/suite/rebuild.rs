//! A rebuild with the inputs of the published edition keeps it: no query,
//! no rendering, only the run's facts in `status.json`; any change of the
//! inputs, or a damaged edition, makes a build in full.

use crate::common::{Site, edition_tree};
use std::process::Command;

/// The stages the last run took, from the published `status.json`.
fn stages(site: &Site) -> Vec<String> {
    let status: serde_json::Value = serde_json::from_str(&site.read("status.json")).unwrap();
    status["run"]["stages"].as_object().unwrap().keys().cloned().collect()
}

/// Whether the last run kept the edition (the run's facts are taken
/// before it is published: `publish` is never among them).
fn kept(site: &Site) -> bool {
    let stages = stages(site);
    assert!(stages.contains(&"ingest".to_string()), "{stages:?}");
    let rendered = stages.contains(&"render".to_string());
    assert_eq!(rendered, stages.contains(&"query".to_string()), "{stages:?}");
    !rendered
}

fn bin(site: &Site) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mangetamain"));
    c.env_remove("MANGETAMAIN_LOG").env_remove("SOURCE_DATE_EPOCH").args(["build", "--root"]).arg(site.root());
    c
}

#[test]
fn the_same_inputs_keep_the_published_site_as_it_is() {
    let site = Site::fixture("minimal");
    let first = site.build().unwrap();
    assert!(!kept(&site));
    let before = edition_tree(&site.public());
    let edition = std::fs::read_link(site.public()).unwrap();
    let again = site.build().unwrap();
    assert!(kept(&site), "{:?}", stages(&site));
    assert_eq!(again, first, "the same summary");
    assert_eq!(edition_tree(&site.public()), before, "the same files, status.json but its run");
    assert_eq!(std::fs::read_link(site.public()).unwrap(), edition);
    let status: serde_json::Value = serde_json::from_str(&site.read("status.json")).unwrap();
    assert_eq!(status["run"]["sources_read"], serde_json::json!([]));
    assert_eq!(status["edition"], "2008-03-02");
    assert_eq!(status["queries"]["ratings"], 6, "what the edition is, as before");

    // the binary says so
    let out = bin(&site).output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    // the binary is another generator than this test's: it builds in full once
    assert!(!log.contains("published site is kept"), "{log}");
    let out = bin(&site).output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("inputs unchanged: the published site is kept"), "{log}");
    assert!(log.contains("site built pages=2"), "{log}");
    assert_eq!(edition_tree(&site.public()), before);
}

#[test]
fn any_changed_input_builds_in_full() {
    let site = Site::fixture("minimal");
    site.build().unwrap();
    site.build().unwrap();
    assert!(kept(&site));

    // each change: one build in full that shows it, then the next keeps it
    let edit = |rel: &str, from: &str, to: &str| {
        let text = std::fs::read_to_string(site.root().join(rel)).unwrap();
        assert!(text.contains(from), "{rel}");
        site.write(rel, &text.replacen(from, to, 1));
    };
    let rebuilt = |page: &str, shows: &str| {
        site.build().unwrap();
        assert!(!kept(&site), "{page}");
        assert!(site.read(page).contains(shows), "{page}: {}", site.read(page));
        site.build().unwrap();
        assert!(kept(&site), "{page}");
    };
    edit("content/about.md", "stays code", "stays code, always");
    rebuilt("about.html", "stays code, always");
    edit("templates/base.html", "</body>", "<!-- changed --></body>");
    rebuilt("index.html", "<!-- changed -->");
    edit("data/sample/RAW_interactions.csv", "\n", "\n9,38,2008-03-03,5,one more\n");
    rebuilt("data/ratings.csv", "\n5,4\n");

    // another edition date
    for epoch in [1_700_000_000, 1_700_000_000, 1_800_000_000] {
        let mut opts = site.options();
        opts.source_date_epoch = Some(epoch);
        mangetamain::build(&opts).unwrap();
    }
    let status: serde_json::Value = serde_json::from_str(&site.read("status.json")).unwrap();
    assert_eq!(status["built_at"], "2027-01-15T08:00:00+00:00", "built for the last date");

    // asked to read everything again, or to archive: in full
    site.build().unwrap();
    site.build().unwrap();
    assert!(kept(&site));
    let mut opts = site.options();
    opts.force_ingest = true;
    mangetamain::build(&opts).unwrap();
    assert!(!kept(&site));
    let mut opts = site.options();
    opts.archive = Some(site.root().join("archive"));
    mangetamain::build(&opts).unwrap();
    assert!(!kept(&site));
    assert!(site.public().join("editions.html").exists());
    // the edition with its Editions page is not the plain site's
    site.build().unwrap();
    assert!(!kept(&site));
    assert!(!site.public().join("editions.html").exists());
}

#[test]
fn a_damaged_edition_is_built_again() {
    let site = Site::fixture("minimal");
    site.build().unwrap();
    let before = edition_tree(&site.public());
    let damages =
        [("remove", "about.html"), ("truncate", "data/ratings.csv"), ("remove", "index.html.gz"), ("remove", "data")];
    for (damage, file) in damages {
        let path = site.public().join(file);
        match damage {
            "remove" if path.is_dir() => std::fs::remove_dir_all(&path).unwrap(),
            "remove" => std::fs::remove_file(&path).unwrap(),
            _ => std::fs::write(&path, "").unwrap(),
        }
        site.build().unwrap();
        assert!(!kept(&site), "{damage} {file}");
        assert!(edition_tree(&site.public()) == before, "{damage} {file}: not whole again");
    }
    // a record that does not parse, or of another edition: in full
    let record = site.root().join(".public.made");
    std::fs::write(&record, "{ not json").unwrap();
    site.build().unwrap();
    assert!(!kept(&site));
    site.build().unwrap();
    assert!(kept(&site));
    // a record naming a file outside the edition, even one that is there at its size
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&record).unwrap()).unwrap();
    let outside = std::fs::metadata(site.root().join("content/about.md")).unwrap().len();
    json["made"]["files"].as_array_mut().unwrap().push(serde_json::json!(["../../content/about.md", outside]));
    std::fs::write(&record, json.to_string()).unwrap();
    site.build().unwrap();
    assert!(!kept(&site));
    // a record that cannot be written: the build succeeds, the next is in full
    std::fs::remove_file(&record).unwrap();
    std::fs::create_dir_all(record.join("in the way")).unwrap();
    site.build().unwrap();
    site.build().unwrap();
    assert!(!kept(&site));
}

#[test]
fn a_site_that_reads_the_clock_is_always_built() {
    let site = Site::fixture("minimal");
    let about = std::fs::read_to_string(site.root().join("content/about.md")).unwrap();
    site.write(
        "content/about.md",
        &format!("{about}\n```sql stamp\nselect random() < 2 as yes, count(*) as n from interactions\n```\n\n{{{{ stamp.n }}}}\n"),
    );
    site.build().unwrap();
    site.build().unwrap();
    assert!(!kept(&site), "{:?}", stages(&site));
    assert!(!site.root().join(".public.made").exists(), "nothing recorded");
}

#[cfg(unix)]
#[test]
fn a_linked_configuration_is_read_through_its_link() {
    let site = Site::fixture("minimal");
    let config = site.root().join("content/site.toml");
    let elsewhere = site.root().join("site.toml");
    std::fs::rename(&config, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &config).unwrap();
    site.build().unwrap();
    site.build().unwrap();
    assert!(kept(&site));
    let text = std::fs::read_to_string(&elsewhere).unwrap();
    let title = text.lines().find(|l| l.starts_with("title")).unwrap();
    std::fs::write(&elsewhere, text.replace(title, "title = \"Another title\"")).unwrap();
    site.build().unwrap();
    assert!(!kept(&site));
    assert!(site.read("index.html").contains("Another title"));
}
