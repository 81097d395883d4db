//! The real binary: exit codes, output streams, help.

use crate::common::Site;
use std::process::Command;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mangetamain"));
    c.env_remove("MANGETAMAIN_LOG").env_remove("SOURCE_DATE_EPOCH");
    c
}

#[test]
fn build_exits_zero_and_keeps_stdout_empty() {
    let site = Site::fixture("minimal");
    let out = bin().args(["build", "--root"]).arg(site.root()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("published"));
    assert!(site.public().join("index.html").is_file());
}

#[test]
fn check_validates_without_writing() {
    let site = Site::fixture("minimal");
    let out = bin().args(["check", "--root"]).arg(site.root()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!site.public().exists());
}

#[test]
fn content_error_exits_one_with_location() {
    let site = Site::fixture("minimal");
    site.write("content/about.md", "+++\ntitle = \"A\"\nbad = 1\n+++\n");
    let out = bin().args(["build", "--root"]).arg(site.root()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: content/about.md:3:1: unknown field `bad`"), "{stderr}");
    assert!(!site.public().exists());
}

#[test]
fn usage_error_exits_two() {
    let out = bin().args(["build", "--no-such-flag"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = bin().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_describes_every_command() {
    for cmd in ["build", "check", "sample"] {
        let out = bin().args([cmd, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(help.contains("Usage: mangetamain"), "{help}");
    }
    let out = bin().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("Build the site") && help.contains("Exit codes"), "{help}");
}

#[test]
fn sample_writes_deterministic_files_that_build() {
    let site = Site::fixture("minimal");
    let data = site.root().join("generated");
    let out = bin()
        .args(["sample", "--recipes", "500", "--interactions", "3000", "--seed", "3", "--out"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = bin().args(["build", "--root"]).arg(site.root()).arg("--data").arg(&data).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let totals = site.read("data/totals.csv");
    assert!(totals.starts_with("n,mean_rating,last_date,share_5star\n3000,"), "{totals}");
}

#[test]
fn a_second_build_on_the_same_output_exits_75() {
    let site = Site::fixture("minimal");
    let held = mangetamain::publish::lock(&site.public()).unwrap();
    let out = bin().args(["build", "--root"]).arg(site.root()).output().unwrap();
    assert_eq!(out.status.code(), Some(75));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("another build is running") && stderr.contains(&format!("process {}", std::process::id())),
        "{stderr}"
    );
    assert!(!site.public().exists());
    drop(held);
    let out = bin().args(["build", "--root"]).arg(site.root()).output().unwrap();
    assert!(out.status.success());
}

#[test]
fn a_second_build_on_the_same_database_exits_75() {
    let site = Site::fixture("minimal");
    let db = site.root().join("data/mangetamain.duckdb");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let held = mangetamain::publish::lock(&db).unwrap();
    // another output, the same database
    let other = site.root().join("elsewhere");
    let out = bin().args(["build", "--root"]).arg(site.root()).arg("--out").arg(&other).output().unwrap();
    assert_eq!(out.status.code(), Some(75), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another build is running"));
    assert!(!other.exists() && !db.exists());
    drop(held);
    let out = bin().args(["build", "--root"]).arg(site.root()).arg("--out").arg(&other).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn what_killed_builds_left_beside_the_database_is_removed() {
    let site = Site::fixture("minimal");
    let data = site.root().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let debris = [
        "mangetamain.duckdb.tmp-4000001",
        "mangetamain.duckdb.tmp-4000001.wal",
        "mangetamain.duckdb.tmp-4000002",
        "mangetamain.queries.tmp-4000003",
    ];
    for name in debris {
        std::fs::write(data.join(name), "left by a killed build").unwrap();
    }
    std::fs::create_dir_all(data.join("mangetamain.duckdb.tmp-4000002.tmp")).unwrap();
    std::fs::write(data.join("notes.txt"), "not ours").unwrap();
    // --force-ingest too: the clean-up does not depend on whether ingest runs
    for extra in [&[][..], &["--force-ingest"][..]] {
        let out = bin().args(["build", "--root"]).arg(site.root()).args(extra).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut left: Vec<String> =
            std::fs::read_dir(&data).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        left.sort();
        assert_eq!(
            left,
            [".mangetamain.duckdb.lock", "mangetamain.duckdb", "mangetamain.queries.bin", "notes.txt", "sample"]
        );
        for name in debris {
            std::fs::write(data.join(name), "left again").unwrap();
        }
    }
}

#[test]
fn logs_json_lines_and_to_a_file() {
    let site = Site::fixture("minimal");
    let log = site.root().join("logs/build.log");
    let out = bin()
        .args(["build", "--log-format", "json", "--root"])
        .arg(site.root())
        .arg("--log-file")
        .arg(&log)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in stderr.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
        // the fields operating.md lists, no more
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["fields", "level", "timestamp"], "{line}");
        assert!(v["fields"]["message"].is_string(), "{line}");
    }
    assert!(stderr.contains("\"published\""), "{stderr}");
    let files: Vec<_> = std::fs::read_dir(site.root().join("logs")).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "one dated log file");
    let written = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(written.lines().any(|l| l.contains("\"published\"")), "{written}");
}
