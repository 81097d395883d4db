//! Sources of any kind: CSV (sniffed, typed, with options), TSV, a JSON
//! array, newline-delimited JSON, a glob of CSV files, Parquet, a DuckDB
//! database; every row accounted for; re-read per source; a site of only
//! `content/`.

use crate::common::Site;
use std::process::Command;

/// The `byod` fixture with the Parquet and DuckDB files it names written
/// beside its text files (from `penguins.csv`).
fn byod() -> Site {
    let site = Site::bare("byod");
    let data = site.root().join("data");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    let csv = data.join("penguins.csv").display().to_string();
    conn.execute_batch(&format!(
        "COPY (SELECT * FROM read_csv('{csv}', nullstr = 'NA')) TO '{}' (FORMAT parquet);\
         ATTACH '{}' AS old; CREATE TABLE old.flights AS SELECT range AS id FROM range(7);",
        data.join("penguins.parquet").display(),
        data.join("old.duckdb").display()
    ))
    .unwrap();
    drop(conn);
    site
}

fn built() -> Site {
    let site = byod();
    let mut opts = site.options();
    opts.max_quarantine = 0.5;
    mangetamain::build(&opts).unwrap_or_else(|e| panic!("{e:#}"));
    site
}

#[test]
fn every_format_reads_into_a_table_of_its_source() {
    let site = built();
    assert!(!site.root().join("templates").exists(), "a site of only content/ and data");
    // sniffed CSV (NA read as text there: the sniffer keeps the column VARCHAR only
    // when it must), TSV and JSON joined
    let by_species = site.read("data/by_species.csv");
    assert!(by_species.starts_with("species,n,mean_mass,with_mass,island_area,mean_flipper\n"), "{by_species}");
    assert_eq!(by_species.lines().count(), 4, "{by_species}");
    assert!(by_species.contains("\nAdelie,10,"), "{by_species}");
    // typed CSV with options: `;`, day/month/year dates, one row that cannot be cast
    assert_eq!(site.read("data/eu.csv"), "n,first,last,mass,date_type\n10,2009-02-02,2009-11-11,33165,DATE\n");
    let rejected = site.read("data/rejected.csv");
    assert_eq!(
        rejected,
        "file,line,column_name,reason,raw\npenguins_eu.csv,12,body_mass_g,cast,99;Adelie;heavy;01/02/2009\n"
    );
    // newline-delimited JSON with a declared type, a glob, Parquet, an attached database
    assert_eq!(site.read("data/seen.csv"), "n,first,penguins\n12,2010-01-01,12\n");
    assert_eq!(site.read("data/visits_per_month.csv"), "month,days,visits\n2024-01-01,4,100\n2024-02-01,6,210\n");
    assert!(site.read("data/parquet.csv").starts_with("n,mass\n30,"), "{}", site.read("data/parquet.csv"));
    assert_eq!(site.read("data/archived.csv"), "n\n7\n");
    // every file accounted for: read = kept + quarantined
    let files = site.read("data/files.csv");
    for line in files.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let n: Vec<u64> = f[2..5].iter().map(|x| x.parse().unwrap()).collect();
        assert_eq!(n[0], n[1] + n[2], "{line}");
    }
    assert!(files.contains("penguins_eu,penguins_eu.csv,11,10,1\n"), "{files}");
    assert!(files.contains("visits,logs/2024-01.csv,4,4,0\nvisits,logs/2024-02.csv,6,6,0\n"), "{files}");
    let status: serde_json::Value = serde_json::from_str(&site.read("status.json")).unwrap();
    let eu = status["inputs"].as_array().unwrap().iter().find(|d| d["source"] == "penguins_eu").unwrap();
    assert_eq!(eu["reasons"]["cast"], 1);
}

#[test]
fn too_many_rows_that_cannot_be_cast_fail_the_build() {
    let site = byod();
    let err = site.build().unwrap_err().to_string();
    assert!(err.contains("too many rows quarantined in `penguins_eu.csv`: 1 of 11"), "{err}");
    assert!(err.contains("cast (e.g. line 12"), "{err}");
}

fn build_log(site: &Site) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mangetamain"))
        .args(["build", "--max-quarantine", "50", "--root"])
        .arg(site.root())
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{log}");
    log
}

#[test]
fn only_the_sources_that_changed_are_read_again() {
    let site = byod();
    let first = build_log(&site);
    for source in ["penguins", "islands", "species", "visits", "measures", "archive"] {
        assert!(first.contains(&format!("source={source} ")), "{source} read first: {first}");
    }
    assert!(build_log(&site).contains("ingest skipped"));
    // a new file that the glob matches, and an edit to one file
    site.write("data/logs/2024-03.csv", "day,visits\n2024-03-01,5\n");
    site.write(
        "data/islands.tsv",
        "island\tarea_km2\tcountry\nTorgersen\t0.2\tAntarctica\nDream\t1.1\tAntarctica\nBiscoe\t9.9\tAntarctica\n",
    );
    let log = build_log(&site);
    assert!(log.contains("source=visits ") && log.contains("source=islands "), "{log}");
    for kept in ["penguins ", "penguins_eu ", "species ", "measures "] {
        assert!(!log.contains(&format!("source={kept}")), "{kept} read again: {log}");
    }
    assert!(site.read("data/visits_per_month.csv").ends_with("2024-03-01,1,5\n"));
    assert!(site.read("data/by_species.csv").contains(",9.9,"), "{}", site.read("data/by_species.csv"));
    // the kept tables are still there, with their numbers
    assert!(site.read("data/eu.csv").starts_with("n,first,last,mass,date_type\n10,"));
    assert_eq!(site.read("data/rejected.csv").lines().count(), 2, "the kept source's quarantine stays");
    // a source no longer declared is gone
    let toml = std::fs::read_to_string(site.root().join("content/site.toml")).unwrap();
    site.write("content/site.toml", &toml.replace("[sources.archive]\npath = \"old.duckdb\"", ""));
    let index = std::fs::read_to_string(site.root().join("content/index.md")).unwrap();
    site.write("content/index.md", &index.replace("select count(*) as n from archive.flights", "select 0 as n"));
    build_log(&site);
    let files = site.read("data/files.csv");
    assert!(!files.contains("archive"), "{files}");
}

#[test]
fn a_query_that_reads_a_file_itself_follows_the_file() {
    let site = Site::bare("byod");
    let extra = site.root().join("extra.csv");
    std::fs::write(&extra, "x\n1\n2\n").unwrap();
    site.write("content/site.toml", "title = \"Files\"\n");
    site.write(
        "content/index.md",
        &format!("+++\ntitle = \"Files\"\n+++\n\n```sql n\nselect count(*) as n from read_csv('{}')\n```\n\n{{{{ n.n }}}} rows.\n", extra.display()),
    );
    site.build().unwrap();
    assert_eq!(site.read("data/n.csv"), "n\n2\n");
    std::fs::write(&extra, "x\n1\n2\n3\n").unwrap();
    site.build().unwrap();
    assert_eq!(site.read("data/n.csv"), "n\n3\n", "not a stale result");
}

#[test]
fn a_site_of_only_content_builds_with_the_built_in_templates() {
    let site = Site::bare("byod");
    site.write("content/site.toml", "title = \"Nothing but content\"\n");
    site.write(
        "content/index.md",
        "+++\ntitle = \"Hello\"\n+++\n\n```sql one\nselect 42 as answer\n```\n\nThe answer is {{ one.answer }}.\n",
    );
    site.build().unwrap();
    let html = site.read("index.html");
    assert!(html.contains("The answer is 42."), "{html}");
    assert!(html.contains("stylesheet") && site.read("404.html").contains("<html"), "{html}");
}
