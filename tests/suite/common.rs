//! Helpers: copy a fixture site (plus the project's templates when the
//! fixture has none) into a temporary directory and build it there.

use mangetamain::{BuildOptions, BuildSummary};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies `from` into `to`, recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// A site in a temporary directory.
pub struct Site {
    pub dir: TempDir,
}

impl Site {
    /// The fixture `tests/fixtures/sites/<name>`, with the project's templates.
    pub fn fixture(name: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo().join("tests/fixtures/sites").join(name), dir.path());
        if !dir.path().join("templates").exists() {
            copy_dir(&repo().join("templates"), &dir.path().join("templates"));
        }
        Site { dir }
    }

    /// The fixture `tests/fixtures/sites/<name>` as it is: no templates
    /// added, the built-in ones serve.
    pub fn bare(name: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo().join("tests/fixtures/sites").join(name), dir.path());
        Site { dir }
    }

    /// The project's own site (content, templates, bundled sample).
    pub fn project() -> Site {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["content", "templates", "data/sample"] {
            copy_dir(&repo().join(sub), &dir.path().join(sub));
        }
        Site { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn public(&self) -> PathBuf {
        self.root().join("public")
    }

    pub fn options(&self) -> BuildOptions {
        BuildOptions::with_root(self.root())
    }

    pub fn build(&self) -> anyhow::Result<BuildSummary> {
        mangetamain::build(&self.options())
    }

    /// Writes `text` to `rel` under the site root.
    pub fn write(&self, rel: &str, text: &str) {
        let path = self.root().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.public().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }
}

/// Every file under `dir` with its bytes, sorted by relative path.
pub fn snapshot_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (e.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/"), std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// [`snapshot_tree`] with the facts of one run (the `run` entry of
/// `status.json`: build times) left out: what identical inputs must
/// reproduce byte for byte.
pub fn edition_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = snapshot_tree(dir);
    for (path, bytes) in files.iter_mut().filter(|(p, _)| p == "status.json") {
        let mut status: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        assert!(status.as_object_mut().unwrap().remove("run").is_some(), "{path} has no run facts");
        *bytes = serde_json::to_vec_pretty(&status).unwrap();
    }
    files
}

/// Whether the external program `name` runs (`name probe...` exits 0). When
/// it does not: a failure under `CI` (CI installs it), else `false` and a
/// message saying what to install, so the calling test can skip.
pub fn tool(name: &str, probe: &[&str], install: &str) -> bool {
    let runs = std::process::Command::new(name).args(probe).output().is_ok_and(|o| o.status.success());
    if !runs {
        assert!(std::env::var_os("CI").is_none(), "`{name}` is required in CI ({install})");
        eprintln!("skipped: `{name}` not found ({install})");
    }
    runs
}

/// `python3`, when it runs (see [`tool`]).
pub fn python3() -> Option<&'static str> {
    tool("python3", &["-c", "pass"], "apt-get install python3").then_some("python3")
}

/// The `<main>` element of a page.
pub fn main_of(html: &str) -> &str {
    let start = html.find("<main").expect("no <main>");
    let end = html.find("</main>").expect("no </main>") + "</main>".len();
    &html[start..end]
}
