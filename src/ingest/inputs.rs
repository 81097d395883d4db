//! Inputs: the files each source names (paths and globs resolved against
//! the data directory), their fingerprints, and the per-file account of
//! what was read ([`Dataset`]).

use crate::error::{Located, SourceError};
use crate::sources::{Reader, Source, is_glob};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The Food.com recipes file name.
pub const RECIPES_FILE: &str = "RAW_recipes.csv";
/// The Food.com interactions file name.
pub const INTERACTIONS_FILE: &str = "RAW_interactions.csv";
/// The Kaggle split files, read (those present) in place of a missing
/// `RAW_interactions.csv` by the Food.com reader.
pub const SPLIT_FILES: [&str; 3] = ["interactions_train.csv", "interactions_validation.csv", "interactions_test.csv"];

/// What ingest read from one input file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dataset {
    /// The file, as the site names it: relative to the data directory when
    /// it is inside it (`RAW_recipes.csv`), else its full path.
    pub file: String,
    /// The source it belongs to.
    pub source: String,
    /// The table it fills.
    pub table: String,
    /// Data rows read (header and empty lines excluded).
    pub rows_read: u64,
    /// Rows stored in the table.
    pub rows_kept: u64,
    /// Rows stored in `quarantine` instead.
    pub rows_quarantined: u64,
    /// Quarantined rows per reason.
    pub reasons: BTreeMap<String, u64>,
    /// Size in bytes.
    pub bytes: u64,
    /// BLAKE3 hash of the content, hex.
    pub blake3: String,
}

/// One file of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct InputFile {
    /// Where it is.
    pub path: PathBuf,
    /// How the site names it ([`Dataset::file`]).
    pub file: String,
    /// Its size when resolved.
    pub bytes: u64,
    /// Its modification time, in nanoseconds since 1970 (kept for the record).
    pub mtime_ns: i64,
}

/// A source and its files.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFiles {
    /// The declaration.
    pub source: Source,
    /// Its files, in the order given (a glob's matches sorted).
    pub files: Vec<InputFile>,
}

/// Resolves every source's paths against `data_dir`: each path must name a
/// file and each glob match one at least, or it is an error at the path in
/// `site.toml`, naming the resolved path.
pub fn resolve(sources: &[Source], data_dir: &Path) -> Result<Vec<SourceFiles>, anyhow::Error> {
    if !sources.is_empty() {
        match std::fs::metadata(data_dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => anyhow::bail!("the data directory `{}` is not a directory", data_dir.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                anyhow::bail!("the data directory `{}` does not exist", data_dir.display())
            }
            Err(e) => anyhow::bail!("cannot read the data directory `{}`: {}", data_dir.display(), io_reason(&e)),
        }
    }
    let mut out = Vec::new();
    for source in sources {
        let mut files = Vec::new();
        for path in &source.paths {
            files.extend(resolve_path(source, path, data_dir)?);
        }
        let mut seen = std::collections::BTreeSet::new();
        files.retain(|f: &InputFile| seen.insert(f.path.clone()));
        out.push(SourceFiles { source: source.clone(), files });
    }
    Ok(out)
}

/// An I/O error's reason in words ("permission denied"), without the OS error number.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::NotFound => "not found".to_string(),
        _ => {
            let text = e.to_string();
            text.split(" (os error").next().unwrap_or(&text).to_lowercase()
        }
    }
}

fn resolve_path(source: &Source, path: &Located<String>, data_dir: &Path) -> Result<Vec<InputFile>, anyhow::Error> {
    let written = Path::new(&path.value);
    let full = if written.is_absolute() { written.to_path_buf() } else { data_dir.join(written) };
    let error = |message: String| anyhow::Error::from(SourceError::new(path.location.clone(), message));
    let paths: Vec<PathBuf> = if is_glob(&path.value) {
        let pattern = full.to_string_lossy().into_owned();
        let matches = glob::glob(&pattern).map_err(|e| error(format!("invalid glob `{}`: {e}", path.value)))?;
        let mut found = Vec::new();
        for m in matches {
            let m = m.map_err(|e| error(format!("cannot read `{}`: {}", e.path().display(), io_reason(e.error()))))?;
            if m.is_file() {
                found.push(m);
            }
        }
        found.sort();
        if found.is_empty() {
            return Err(error(format!("source `{}`: no file matches `{}`", source.name, pattern)));
        }
        found
    } else {
        match std::fs::metadata(&full) {
            Ok(_) => vec![full.clone()],
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // the Food.com reader reads the Kaggle split files in place
                // of a missing `RAW_interactions.csv`
                let split: Vec<PathBuf> = match (source.reader, full.parent()) {
                    (Reader::FoodCom, Some(dir)) if written.file_name().is_some_and(|n| n == INTERACTIONS_FILE) => {
                        SPLIT_FILES.iter().map(|f| dir.join(f)).filter(|p| p.is_file()).collect()
                    }
                    _ => Vec::new(),
                };
                if split.is_empty() {
                    let also = if source.reader == Reader::FoodCom && written.ends_with(INTERACTIONS_FILE) {
                        format!(" (nor the Kaggle split files {})", SPLIT_FILES.join(", "))
                    } else {
                        String::new()
                    };
                    return Err(error(format!(
                        "source `{}`: input file `{}` not found{also}",
                        source.name,
                        full.display()
                    )));
                }
                split
            }
            Err(e) => {
                return Err(error(format!(
                    "source `{}`: cannot read input file `{}`: {}",
                    source.name,
                    full.display(),
                    io_reason(&e)
                )));
            }
        }
    };
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(&p)
            .map_err(|e| error(format!("cannot read input file `{}`: {}", p.display(), io_reason(&e))))?;
        if !meta.is_file() {
            return Err(error(format!("input file `{}` is not a file", p.display())));
        }
        if meta.len() == 0 {
            return Err(error(format!("input file `{}` is empty", p.display())));
        }
        // files are opened now, so that one that cannot be read is named before anything runs
        std::fs::File::open(&p)
            .map_err(|e| error(format!("cannot read input file `{}`: {}", p.display(), io_reason(&e))))?;
        let file = p.strip_prefix(data_dir).map_or_else(|_| p.display().to_string(), |r| r.display().to_string());
        files.push(InputFile { file, bytes: meta.len(), mtime_ns: mtime_ns(&meta), path: p });
    }
    Ok(files)
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The BLAKE3 hash of a file, hex: read 8 MiB at a time, each piece hashed
/// on every core (about 0.1 s for the 330 MB of the full-size inputs), so
/// that memory stays small whatever the file's size.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    const PIECE: usize = 8 << 20;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; PIECE];
    loop {
        // fill the piece whole: BLAKE3 hashes whole pieces on all cores
        let mut len = 0;
        while len < PIECE {
            match file.read(&mut buf[len..])? {
                0 => break,
                n => len += n,
            }
        }
        hasher.update_rayon(&buf[..len]);
        if len < PIECE {
            return Ok(hasher.finalize().to_hex().to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;
    use crate::sources::Format;

    fn source(name: &str, reader: Reader, paths: &[&str]) -> Source {
        let at = Location { path: PathBuf::from("content/site.toml"), line: 3, column: 9 };
        Source {
            name: name.into(),
            reader,
            paths: paths.iter().map(|p| Located { value: p.to_string(), location: at.clone() }).collect(),
            columns: Vec::new(),
            options: Vec::new(),
            defined_at: at,
        }
    }

    #[test]
    fn paths_and_globs_resolve_to_files() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["logs/b.csv", "logs/a.csv", "one.csv"] {
            std::fs::create_dir_all(dir.path().join(f).parent().unwrap()).unwrap();
            std::fs::write(dir.path().join(f), "x\n1\n").unwrap();
        }
        let csv = Reader::DuckDb(Format::Csv);
        let got = resolve(&[source("s", csv, &["logs/*.csv", "one.csv"])], dir.path()).unwrap();
        let names: Vec<&str> = got[0].files.iter().map(|f| f.file.as_str()).collect();
        assert_eq!(names, ["logs/a.csv", "logs/b.csv", "one.csv"]);
        let e = resolve(&[source("s", csv, &["nope/*.csv"])], dir.path()).unwrap_err();
        let e = e.downcast_ref::<SourceError>().unwrap();
        assert!(e.message.contains("no file matches") && e.message.contains("nope/*.csv"), "{e}");
        assert_eq!(e.location.line, 3);
        let e = resolve(&[source("s", csv, &["missing.csv"])], dir.path()).unwrap_err().to_string();
        assert!(e.contains(&dir.path().join("missing.csv").display().to_string()), "{e}");
        // an absolute path is taken as it is
        let abs = dir.path().join("one.csv").display().to_string();
        let got = resolve(&[source("s", csv, &[&abs])], Path::new("/nonexistent-elsewhere")).err();
        assert!(got.is_some(), "the data directory must exist");
    }

    #[test]
    fn the_kaggle_split_files_stand_in_for_the_interactions() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("interactions_test.csv"), "h\n").unwrap();
        let got = resolve(&[source("interactions", Reader::FoodCom, &[INTERACTIONS_FILE])], dir.path()).unwrap();
        assert_eq!(got[0].files[0].file, "interactions_test.csv");
        std::fs::remove_file(dir.path().join("interactions_test.csv")).unwrap();
        let e = resolve(&[source("interactions", Reader::FoodCom, &[INTERACTIONS_FILE])], dir.path()).unwrap_err();
        assert!(e.to_string().contains("nor the Kaggle split files"), "{e}");
    }

    #[test]
    fn io_errors_say_what_went_wrong() {
        // (tests may run as root, who reads anything: the reason is checked on its own)
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(io_reason(&denied), "permission denied");
        assert_eq!(io_reason(&std::io::Error::from(std::io::ErrorKind::NotFound)), "not found");
        assert_eq!(io_reason(&std::io::Error::from_raw_os_error(21)), "is a directory");
    }
}
