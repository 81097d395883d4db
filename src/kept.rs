//! A build whose inputs are exactly those of the edition published at its
//! output keeps that edition: no query runs, no model is fitted, no page is
//! rendered, and only the facts of the run in `status.json` are written.
//! This is what a scheduled rebuild does most of the time.
//!
//! The inputs are summed up in a key: the generator (its version and the
//! executable file itself), the site's `content/` and `templates/` files,
//! the data (each input file's hash, as ingest reads them), the database's
//! name (queries may name its catalog) and `SOURCE_DATE_EPOCH`. After a
//! build whose every result depends on the data alone ([`Planned::steady`]),
//! the key is written beside the output in `.NAME.made` with the edition it
//! made; a query that reads the clock, chance or a file outside the data
//! makes a site that is always built again. The files of the site are
//! checked to be all there, at their size, before the edition is kept.
//!
//! [`Planned::steady`]: crate::plan::Planned::steady

use crate::publish;
use crate::status::Contents;
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the published edition at an output was made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Made {
    /// The key of its inputs ([`key`]).
    pub key: String,
    /// The edition's name (its directory under `.NAME.editions/`).
    pub edition: String,
    /// The site's files but `status.json` (without their `.gz` twins), with their sizes.
    pub files: Vec<(String, u64)>,
    /// The edition date, if known.
    pub edition_date: Option<String>,
    /// What `status.json` says of its pages and queries.
    pub contents: Contents,
    /// Charts drawn.
    pub charts: usize,
}

/// The format of `.NAME.made`: another is not read.
const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    made: Made,
}

/// The first half of the key, taken when the build starts (before the
/// content is read, so that a file changed during the build makes the
/// next build run in full): the generator, the site's files, the
/// database's name and `SOURCE_DATE_EPOCH`. `None` when the executable
/// cannot be identified.
pub fn site_key(root: &Path, db: &Path, source_date_epoch: Option<i64>) -> Option<String> {
    let mut hasher = blake3::Hasher::new();
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    let generator = format!(
        "mangetamain {} {}\n{}\n{} {}\n",
        env!("CARGO_PKG_VERSION"),
        env!("MANGETAMAIN_REVISION"),
        exe.display(),
        meta.len(),
        modified.as_nanos()
    );
    hasher.update(generator.as_bytes());
    hasher.update(format!("db {}\nsource_date_epoch {source_date_epoch:?}\n", db.display()).as_bytes());
    for dir in ["content", "templates"] {
        for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
            let entry = match entry {
                Ok(entry) => entry,
                // no `templates/` is a site too
                Err(e) if e.io_error().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) => continue,
                Err(_) => return None,
            };
            // a link to a file is read as the file (`site.toml` is)
            if !entry.path().is_file() {
                continue;
            }
            let bytes = std::fs::read(entry.path()).ok()?;
            let name = entry.path().strip_prefix(root).unwrap_or(entry.path()).to_string_lossy().into_owned();
            hasher.update(&(name.len() as u64).to_le_bytes());
            hasher.update(name.as_bytes());
            hasher.update(blake3::hash(&bytes).as_bytes());
        }
    }
    Some(hasher.finalize().to_hex().to_string())
}

/// The whole key: `site` ([`site_key`]) and what the data is (the inputs'
/// hashes, as for the result cache).
pub fn key(site: &str, data_key: &str) -> String {
    blake3::hash(format!("{site}\n{data_key}").as_bytes()).to_hex().to_string()
}

/// Where the record of the published edition is kept: `.NAME.made` beside `out`.
fn record_path(out: &Path) -> PathBuf {
    publish::sibling_named(out, "made")
}

/// The published edition at `out`, if it was made from inputs of `key`
/// and every file of it is still there, at its size.
pub fn published(out: &Path, key: &str) -> Option<Made> {
    let bytes = std::fs::read(record_path(out)).ok()?;
    let file: File = serde_json::from_slice(&bytes).ok()?;
    let made = file.made;
    if file.format != FORMAT || made.key != key || publish::current_edition(out).as_deref() != Some(&made.edition) {
        return None;
    }
    let dir = publish::editions_dir(out).join(&made.edition);
    // only files inside the edition, named as the site names them
    let inside = |p: &str| Path::new(p).components().all(|c| matches!(c, std::path::Component::Normal(_)));
    if !inside(&made.edition) || !made.files.iter().all(|(path, _)| inside(path)) {
        return None;
    }
    made.files.iter().all(|(path, len)| publish::intact(&dir, path, *len)).then_some(made)
}

/// Records that the edition published at `out` was made as `made` says
/// (a new file renamed into place), or, with `None`, that the next build
/// must not keep it.
pub fn record(out: &Path, made: Option<&Made>) -> anyhow::Result<()> {
    let path = record_path(out);
    let Some(made) = made else {
        return match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove `{}`", path.display()))
            }
            _ => Ok(()),
        };
    };
    let text =
        serde_json::to_string(&File { format: FORMAT, made: made.clone() }).context("cannot record the edition")?;
    let tmp = publish::sibling_named(out, &format!("made-{}", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write `{}`", path.display()))
}
