//! Serve: the authors' preview. Builds the site in memory, serves it on
//! 127.0.0.1, and rebuilds when a file under `content/` or `templates/`, or
//! an input CSV, changes. Pages it serves carry a small script that reloads
//! them after each rebuild; the published site never does (the script is
//! added here, in the response, and nowhere else). While the last build
//! failed, every page shows its error instead of stale content. The HTTP
//! side (`http`) takes GET and HEAD only, with bounded connections and
//! timeouts.

mod http;

use crate::publish::percent_decode;
use crate::site::{self, BuildOptions};
use anyhow::anyhow;
use http::Reply;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

/// The path the reload script polls for the build number.
pub const BUILD_PATH: &str = "/__mangetamain/build";

/// Options of `serve`.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// What to build (nothing is published).
    pub build: BuildOptions,
    /// The port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// How often the files are checked for changes.
    pub poll: Duration,
}

/// The last build, as served.
#[derive(Debug, Default)]
struct State {
    /// Counts builds, failed ones included; the reload script watches it.
    number: u64,
    /// The site's files by path, from the last build that succeeded.
    files: BTreeMap<String, Vec<u8>>,
    /// The error of the last build, if it failed.
    error: Option<String>,
}

/// Builds, serves and rebuilds until the process is stopped.
pub fn serve(opts: &ServeOptions) -> anyhow::Result<()> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port))
        .map_err(|e| anyhow!("cannot listen on 127.0.0.1:{}: {e}; choose another port with `--port`", opts.port))?;
    let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    let state = Arc::new(RwLock::new(State::default()));
    let watched = Watched::new(&opts.build);
    let mut seen = watched.fingerprint();
    rebuild(&opts.build, &state);
    tracing::info!(url = %format!("http://{address}/"), "serving a preview; it rebuilds when content, templates or data change (Ctrl-C stops)");

    let build = opts.build.clone();
    let poll = opts.poll;
    let watcher_state = Arc::clone(&state);
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(poll);
            let now = watched.fingerprint();
            if now == seen {
                continue;
            }
            // let an editor finish writing before building
            let mut settled = now;
            loop {
                std::thread::sleep(poll);
                let again = watched.fingerprint();
                if again == settled {
                    break;
                }
                settled = again;
            }
            seen = settled;
            tracing::info!("a file changed: rebuilding");
            rebuild(&build, &watcher_state);
        }
    });

    http::run(listener, http::Limits::default(), move |target| respond(target, &state));
    Ok(())
}

fn rebuild(opts: &BuildOptions, state: &RwLock<State>) {
    let result = site::preview(opts);
    let mut state = match state.write() {
        Ok(state) => state,
        Err(poisoned) => poisoned.into_inner(),
    };
    state.number += 1;
    match result {
        Ok((summary, files)) => {
            tracing::info!(pages = summary.pages, charts = summary.charts, build = state.number, "preview built");
            state.files = files.into_iter().map(|f| (f.rel_path, f.contents)).collect();
            state.error = None;
        }
        Err(e) => {
            let message = crate::error::report(&e);
            tracing::error!("{}", message.trim_start_matches("error: "));
            state.error = Some(message);
        }
    }
}

/// Answers a request for `url` from the last build.
fn respond(url: &str, state: &RwLock<State>) -> Reply {
    let state = match state.read() {
        Ok(state) => state,
        Err(poisoned) => poisoned.into_inner(),
    };
    let path = url.split(['?', '#']).next().unwrap_or("/");
    if path == BUILD_PATH {
        return Reply { status: 200, content_type: "text/plain; charset=utf-8", body: state.number.to_string().into() };
    }
    if let Some(error) = &state.error {
        return Reply { status: 500, content_type: "text/html; charset=utf-8", body: error_page(error, state.number) };
    }
    let Some(path) = percent_decode(path.trim_start_matches('/')) else {
        return not_found(&state);
    };
    let candidates = if path.is_empty() || path.ends_with('/') {
        vec![format!("{path}index.html")]
    } else {
        vec![path.clone(), format!("{path}.html")]
    };
    for candidate in candidates {
        if candidate.split('/').any(|part| part == ".." || part.starts_with('.')) {
            break;
        }
        if let Some(body) = state.files.get(&candidate) {
            let content_type = crate::publish::media_type(&candidate);
            let body = if candidate.ends_with(".html") { with_reload(body, state.number) } else { body.clone() };
            return Reply { status: 200, content_type, body };
        }
    }
    not_found(&state)
}

fn not_found(state: &State) -> Reply {
    let body = match state.files.get("404.html") {
        Some(page) => with_reload(page, state.number),
        None => b"not found\n".to_vec(),
    };
    Reply { status: 404, content_type: "text/html; charset=utf-8", body }
}

/// The script that reloads the page once the build number changes.
fn reload_script(number: u64) -> String {
    format!(
        "<script>/* mangetamain preview: reloads after each rebuild; never in the published site */\n(function () {{ var built = \"{number}\"; setInterval(function () {{ fetch(\"{BUILD_PATH}\").then(function (r) {{ return r.text(); }}).then(function (n) {{ if (n !== built) location.reload(); }}).catch(function () {{}}); }}, 700); }})();\n</script>\n"
    )
}

fn with_reload(page: &[u8], number: u64) -> Vec<u8> {
    let html = String::from_utf8_lossy(page);
    let script = reload_script(number);
    match html.rfind("</body>") {
        Some(i) => format!("{}{script}{}", &html[..i], &html[i..]).into_bytes(),
        None => format!("{html}{script}").into_bytes(),
    }
}

fn error_page(error: &str, number: u64) -> Vec<u8> {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Build failed · mangetamain preview</title>\n<style>body{{font:16px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1f2328;background:#fff}}pre{{white-space:pre-wrap;background:#fff5f5;border:1px solid #d1242f;border-radius:6px;padding:1rem;font-size:0.95rem}}</style>\n</head>\n<body>\n<h1>The build failed</h1>\n<p>Nothing is shown until it builds again. This page reloads by itself once the error is fixed.</p>\n<pre>{}</pre>\n{}</body>\n</html>\n",
        crate::chart::escape(error),
        reload_script(number)
    )
    .into_bytes()
}

/// The files whose changes start a rebuild: `content/` and `templates/`,
/// and the files of the sources `content/site.toml` declares (found again
/// at every look, so that a new file a glob matches is seen too).
#[derive(Debug)]
struct Watched {
    /// Watched with everything below them.
    trees: Vec<PathBuf>,
    root: PathBuf,
    data_dir: Option<PathBuf>,
}

impl Watched {
    fn new(opts: &BuildOptions) -> Watched {
        Watched {
            trees: vec![opts.root.join("content"), opts.root.join("templates")],
            root: opts.root.clone(),
            data_dir: opts.data_dir.clone(),
        }
    }

    /// The sources' files, as the configuration says now (none while it has a mistake).
    fn data_files(&self) -> Vec<PathBuf> {
        let path = self.root.join("content/site.toml");
        let Ok(config) = crate::config::Config::from_file(&path, &path) else { return Vec::new() };
        let dir = match (&self.data_dir, &config.data_dir) {
            (Some(d), _) => d.clone(),
            (None, Some(d)) => self.root.join(d),
            (None, None) => self.root.clone(),
        };
        match crate::ingest::inputs::resolve(&config.sources, &dir) {
            Ok(groups) => groups.into_iter().flat_map(|g| g.files.into_iter().map(|f| f.path)).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Path, size and modification time of every watched file, sorted.
    fn fingerprint(&self) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
        let mut files = Vec::new();
        for tree in &self.trees {
            collect(tree, &mut files);
        }
        for path in self.data_files() {
            if let Ok(meta) = std::fs::metadata(&path) {
                files.push((path, meta.len(), meta.modified().ok()));
            }
        }
        files.sort();
        files
    }
}

fn collect(dir: &Path, files: &mut Vec<(PathBuf, u64, Option<SystemTime>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            collect(&path, files);
        } else {
            files.push((path, meta.len(), meta.modified().ok()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(files: &[(&str, &str)], error: Option<&str>) -> RwLock<State> {
        RwLock::new(State {
            number: 3,
            files: files.iter().map(|(p, b)| (p.to_string(), b.as_bytes().to_vec())).collect(),
            error: error.map(str::to_owned),
        })
    }

    #[test]
    fn serves_pages_with_pretty_urls_and_the_reload_script() {
        let s = state(
            &[
                ("index.html", "<body>home</body>"),
                ("about.html", "<body>about</body>"),
                ("data/q.csv", "a\n"),
                ("404.html", "<body>lost</body>"),
            ],
            None,
        );
        let home = respond("/", &s);
        assert_eq!(home.status, 200);
        let text = String::from_utf8(home.body).unwrap();
        assert!(text.starts_with("<body>home<script>") && text.ends_with("</script>\n</body>"), "{text}");
        assert!(text.contains("var built = \"3\"") && text.contains(BUILD_PATH));
        assert_eq!(respond("/about", &s).status, 200);
        assert_eq!(respond("/about.html?x=1", &s).status, 200);
        let csv = respond("/data/q.csv", &s);
        assert_eq!(
            (csv.status, csv.content_type, csv.body.as_slice()),
            (200, "text/csv; charset=utf-8", b"a\n".as_slice())
        );
        let lost = respond("/nope", &s);
        assert_eq!(lost.status, 404);
        assert!(String::from_utf8(lost.body).unwrap().contains("lost"));
        assert_eq!(respond("/../etc/passwd", &s).status, 404);
        assert_eq!(respond("/%2e%2e/x", &s).status, 404);
        assert_eq!(respond(BUILD_PATH, &s).body, b"3");
    }

    #[test]
    fn a_failed_build_shows_its_error_everywhere() {
        let s = state(&[("index.html", "<body>old</body>")], Some("error: content/a.md:3:1: unknown field `<x>`"));
        let page = respond("/", &s);
        assert_eq!(page.status, 500);
        let text = String::from_utf8(page.body).unwrap();
        assert!(text.contains("content/a.md:3:1: unknown field `&lt;x&gt;`"), "{text}");
        assert!(!text.contains("old") && text.contains(BUILD_PATH));
        assert_eq!(respond(BUILD_PATH, &s).status, 200);
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%20b%2Fc").as_deref(), Some("a b/c"));
        assert_eq!(percent_decode("100%").as_deref(), Some("100%"));
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn fingerprints_change_with_watched_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let opts = BuildOptions::with_root(dir.path());
        for d in ["content/sub", "templates", "data"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(dir.path().join("content/sub/a.md"), "a").unwrap();
        std::fs::write(
            dir.path().join("content/site.toml"),
            "title = \"T\"\ndata_dir = \"data\"\n[sources.r]\npath = \"*.csv\"\n",
        )
        .unwrap();
        let watched = Watched::new(&opts);
        let before = watched.fingerprint();
        std::fs::write(dir.path().join("data/mangetamain.duckdb"), "db").unwrap();
        assert_eq!(watched.fingerprint(), before, "the database is not watched");
        std::fs::write(dir.path().join("data/RAW_recipes.csv"), "x").unwrap();
        let with_csv = watched.fingerprint();
        assert_ne!(with_csv, before);
        std::fs::write(dir.path().join("content/sub/a.md"), "ab").unwrap();
        assert_ne!(watched.fingerprint(), with_csv);
    }
}
