//! Publish: the only stage that writes the site. It checks the files (every
//! internal link resolves), writes them with gzip twins into a staging
//! directory beside the output, and swaps the staging directory in with
//! renames, so the previous site stays whole until the new one is complete.

use crate::parallel;
use crate::render::OutputFile;
use anyhow::Context;
use flate2::{Compression, GzBuilder};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Extensions written with a precompressed `.gz` twin for nginx `gzip_static`.
/// `status.json` has none: it is rewritten by every run (see [`write()`]) and small.
pub const COMPRESSED: [&str; 6] = ["html", "css", "csv", "xml", "txt", "svg"];

/// The media type of a site file, by its extension (for the preview's
/// responses and the single-file archive's `data:` links).
pub fn media_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "xml" => "application/xml",
        "txt" => "text/plain; charset=utf-8",
        "gz" => "application/gzip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

/// Adds a `.gz` twin to every compressible file. The gzip header carries no
/// name and no time, so the bytes depend on the content only.
pub fn precompress(files: &mut Vec<OutputFile>) -> anyhow::Result<()> {
    let twins = twins(files)?;
    files.extend(twins);
    files.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    Ok(())
}

/// Whether `path` gets a `.gz` twin.
pub fn compressible(path: &str) -> bool {
    COMPRESSED.contains(&path.rsplit('.').next().unwrap_or(""))
}

/// Files larger than this are compressed at a fast level, the others at the best.
const LARGE: usize = 1024 * 1024;

/// The `.gz` twins of the compressible files, compressed on every core.
fn twins(files: &[OutputFile]) -> anyhow::Result<Vec<OutputFile>> {
    let todo: Vec<&OutputFile> = files.iter().filter(|f| compressible(&f.rel_path)).collect();
    parallel::map(&todo, parallel::cores(), |f| f.contents.len(), |f| twin(f)).into_iter().collect()
}

/// The `.gz` twin of a file.
fn twin(f: &OutputFile) -> anyhow::Result<OutputFile> {
    // the large downloads (per-user tables of megabytes) at a fast level:
    // the best takes them five times as long for 16% fewer bytes, level 3
    // twice as long for 9% fewer
    let level = if f.contents.len() > LARGE { Compression::new(2) } else { Compression::best() };
    let mut gz = GzBuilder::new().mtime(0).write(Vec::new(), level);
    gz.write_all(&f.contents).context("cannot compress")?;
    Ok(OutputFile { rel_path: format!("{}.gz", f.rel_path), contents: gz.finish().context("cannot compress")? })
}

/// Files written at once. Writing a file is mostly waiting for the disk
/// (each is synced before the site is switched in), and the waits of
/// several files overlap, and overlap the compression of others.
const WRITERS: usize = 8;

/// Writes `files` under `dir` with their `.gz` twins, synced, on
/// [`WRITERS`] threads. A file that the edition `previous` has with the
/// same bytes (and its twin) is linked from it instead: editions are never
/// changed in place, so they may share files, and an edition that differs
/// from the last by a page costs that page only. An error is that of the
/// first file, in the order given, that could not be written.
fn write_files(dir: &Path, files: &[&OutputFile], previous: Option<&Path>) -> anyhow::Result<()> {
    let dirs: BTreeSet<PathBuf> =
        files.iter().filter_map(|f| dir.join(&f.rel_path).parent().map(Path::to_path_buf)).collect();
    for d in &dirs {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create `{}`", d.display()))?;
    }
    let write = |f: &&OutputFile| -> anyhow::Result<()> {
        if let Some(previous) = previous
            && linked(&previous.join(&f.rel_path), &dir.join(&f.rel_path), &f.contents)
        {
            return Ok(());
        }
        write_file(&dir.join(&f.rel_path), &f.contents)?;
        if compressible(&f.rel_path) {
            let twin = twin(f)?;
            write_file(&dir.join(&twin.rel_path), &twin.contents)?;
        }
        Ok(())
    };
    parallel::map(files, WRITERS, |f| f.contents.len(), write).into_iter().collect()
}

/// Links `to` to the file `from` (and its `.gz` twin, if it gets one) when
/// `from` holds exactly `contents`: whether it did.
fn linked(from: &Path, to: &Path, contents: &[u8]) -> bool {
    let same = std::fs::metadata(from).is_ok_and(|m| m.is_file() && m.len() == contents.len() as u64)
        && std::fs::read(from).is_ok_and(|old| old == contents);
    if !same {
        return false;
    }
    let twin = |p: &Path| PathBuf::from(format!("{}.gz", p.display()));
    let needs_twin = compressible(&to.to_string_lossy());
    if needs_twin && !twin(from).is_file() {
        return false;
    }
    if std::fs::hard_link(from, to).is_err() {
        return false;
    }
    if needs_twin && std::fs::hard_link(twin(from), twin(to)).is_err() {
        let _ = std::fs::remove_file(to);
        return false;
    }
    true
}

/// Whether the edition directory `dir` has the file `rel_path` at `len`
/// bytes, and its `.gz` twin if it gets one.
pub fn intact(dir: &Path, rel_path: &str, len: u64) -> bool {
    let size = |p: &Path| std::fs::metadata(p).ok().filter(|m| m.is_file()).map(|m| m.len());
    size(&dir.join(rel_path)) == Some(len)
        && (!compressible(rel_path) || size(&dir.join(format!("{rel_path}.gz"))).is_some())
}

/// The `href` and `src` values of an HTML document.
pub fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut pos = 0;
        while let Some(i) = html[pos..].find(attr) {
            let start = pos + i + attr.len();
            let Some(len) = html[start..].find('"') else { break };
            out.push(decode_entities(&html[start..start + len]));
            pos = start + len;
        }
    }
    out
}

/// Decodes the character references an attribute value may hold (`&amp;`,
/// `&#x2F;`, `&#47;`, ...), as a browser does before following a link.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => {
                u32::from_str_radix(&e[2..], 16).ok().and_then(char::from_u32)
            }
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A link of the site that leads nowhere.
#[derive(Debug, Clone, PartialEq)]
pub struct Broken {
    /// The file that holds it (`about.html`).
    pub file: String,
    /// The link, as the file has it.
    pub link: String,
    /// What is wrong, in words (after "links to `LINK`: ").
    pub why: String,
}

/// Checks that every internal link and resource of the HTML files resolves
/// to a file of the site (or to one of `beside`, files served next to it),
/// that a `#fragment` names an `id` of its page, and that no page loads a
/// resource from another site. `root` is the site's path on its server
/// (`/` or `/report/`): a link from there (the 404 page's) names a file too.
pub fn check_links(files: &[OutputFile], beside: &BTreeSet<String>, root: &str) -> anyhow::Result<()> {
    links_error(&broken_links(files, beside, root))
}

/// `Ok` when nothing is broken, else the error listing every broken link.
pub fn links_error(broken: &[Broken]) -> anyhow::Result<()> {
    if broken.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = broken.iter().map(|b| format!("`{}` links to `{}`: {}", b.file, b.link, b.why)).collect();
    anyhow::bail!("broken links:\n  {}", lines.join("\n  "))
}

/// The links [`check_links`] finds broken, in file order.
pub fn broken_links(files: &[OutputFile], beside: &BTreeSet<String>, root: &str) -> Vec<Broken> {
    let by_name: BTreeMap<&str, &OutputFile> = files.iter().map(|f| (f.rel_path.as_str(), f)).collect();
    let mut ids: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut broken = Vec::new();
    for f in files.iter().filter(|f| f.rel_path.ends_with(".html")) {
        let html = String::from_utf8_lossy(&f.contents);
        let mut report = |link: &str, why: String| {
            broken.push(Broken { file: f.rel_path.clone(), link: link.to_string(), why });
        };
        for link in links(&html) {
            if link.starts_with("mailto:") {
                continue;
            }
            if link.starts_with("http://") || link.starts_with("https://") || link.starts_with("//") {
                // a link to another site is fine; a resource from one is not
                if html.contains(&format!("src=\"{link}\""))
                    || html.contains(&format!("<link rel=\"stylesheet\" href=\"{link}\""))
                {
                    report(
                        &link,
                        "it loads a resource from another site, and a page loads nothing from elsewhere".into(),
                    );
                }
                continue;
            }
            let (target, fragment) = match link.split_once('#') {
                Some((t, f)) => (t, Some(f)),
                None => (link.as_str(), None),
            };
            let target = target.split('?').next().unwrap_or("");
            let resolved = if target.is_empty() {
                Some(f.rel_path.clone())
            } else {
                // a path from the server's root (the 404 page's) names a file under the site's
                let (dir, target) = match target.strip_prefix(root).filter(|_| root.starts_with('/')) {
                    Some(rest) => ("", rest),
                    None => (f.rel_path.rsplit_once('/').map_or("", |(d, _)| d), target),
                };
                normalize(dir, target)
            };
            let Some(resolved) = resolved.filter(|r| by_name.contains_key(r.as_str()) || beside.contains(r)) else {
                let why = if target.ends_with(".md") {
                    "no page of `content/` has that file name (a page generated from data has no file of its own)"
                } else {
                    "the site has no such file"
                };
                report(&link, why.into());
                continue;
            };
            let Some(fragment) = fragment.filter(|f| !f.is_empty()) else { continue };
            let Some(page) = by_name.get(resolved.as_str()).filter(|p| p.rel_path.ends_with(".html")) else {
                continue;
            };
            let known =
                ids.entry(page.rel_path.as_str()).or_insert_with(|| ids_of(&String::from_utf8_lossy(&page.contents)));
            if !known.contains(&percent_decode(fragment).unwrap_or_else(|| fragment.to_string())) {
                report(
                    &link,
                    format!(
                        "`{resolved}` has no element with the id `{fragment}` (a heading's id is its text in lower case, `-` for spaces)"
                    ),
                );
            }
        }
    }
    broken
}

/// The `id` values of an HTML document.
fn ids_of(html: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut pos = 0;
    while let Some(i) = html[pos..].find(" id=\"") {
        let start = pos + i + 5;
        let Some(len) = html[start..].find('"') else { break };
        out.insert(decode_entities(&html[start..start + len]));
        pos = start + len;
    }
    out
}

/// `%20` and the like decoded; `None` when the result is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Resolves `target` relative to directory `dir` (both `/`-separated);
/// `None` when it leaves the site.
fn normalize(dir: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// Another build holds the lock on the same output.
#[derive(Debug, thiserror::Error)]
#[error("another build is running for `{out}` ({holder}); lock file `{lock}`")]
pub struct Locked {
    /// The output directory.
    pub out: String,
    /// Who holds it, as it wrote itself into the lock file.
    pub holder: String,
    /// The lock file.
    pub lock: String,
}

/// Holds the output's lock until dropped; the operating system releases it
/// when the process ends in any way, so a crashed build leaves no stale lock.
#[derive(Debug)]
pub struct Lock {
    _file: std::fs::File,
}

/// Takes the lock of output `out` (the file `.NAME.lock` beside it), or fails
/// with [`Locked`] naming the process that holds it.
pub fn lock(out: &Path) -> anyhow::Result<Lock> {
    use std::io::{Read, Seek};
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    let path = sibling_named(out, "lock");
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open the lock file `{}`", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder =
                if holder.trim().is_empty() { "process unknown".to_string() } else { holder.trim().to_string() };
            return Err(Locked { out: out.display().to_string(), holder, lock: path.display().to_string() }.into());
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("cannot lock `{}`", path.display()));
        }
    }
    file.set_len(0).and_then(|_| file.rewind()).with_context(|| format!("cannot write `{}`", path.display()))?;
    writeln!(file, "process {}", std::process::id()).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(Lock { _file: file })
}

/// The file `.NAME.TAG` beside output `out`.
pub fn sibling_named(out: &Path, tag: &str) -> PathBuf {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "public".into());
    out.with_file_name(format!(".{name}.{tag}"))
}

/// The directory holding the editions of output `out`: `.NAME.editions` beside it.
pub fn editions_dir(out: &Path) -> PathBuf {
    sibling_named(out, "editions")
}

/// Removes leftovers of interrupted runs (`.NAME.link-*`, `.NAME.old-*`,
/// `.NAME.made-*`, unfinished editions) and every edition but `keep`.
fn remove_debris(out: &Path, keep: &[&str]) {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Some(name) = out.file_name().map(|n| n.to_string_lossy().into_owned()) else { return };
    if let Ok(entries) = std::fs::read_dir(parent) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.starts_with(&format!(".{name}.link-")) || file.starts_with(&format!(".{name}.made-")) {
                let _ = std::fs::remove_file(entry.path());
            } else if file.starts_with(&format!(".{name}.old-")) || file.starts_with(&format!(".{name}.staging-")) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir(editions_dir(out)) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if !keep.contains(&file.as_str()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// The edition `out` points to now, if it is a link into the editions.
pub fn current_edition(out: &Path) -> Option<String> {
    let target = std::fs::read_link(out).ok()?;
    target.file_name().map(|n| n.to_string_lossy().into_owned())
}

/// Publishes `files` as the site at `out`.
///
/// The site is written complete into a new directory under
/// `.NAME.editions/`, named by a hash of its content, then `out` (a symbolic
/// link) is switched to it with one `rename`: a reader, nginx included, sees
/// the old site or the new one, never a mix, and a build that dies at any
/// moment leaves the old site in place. The previous edition is kept for
/// readers still on it; older ones are removed. An `out` that is still a
/// plain directory (from an older version) is replaced once.
///
/// `files` come without their `.gz` twins: the twins are made only when the
/// edition is new (an unchanged site is not compressed again).
///
/// `run` holds files that describe this run rather than the site (the
/// `status.json` with build times): they take the place of the same-named
/// files of `files` but are left out of the edition's name, so an unchanged
/// site keeps its edition and only those files are replaced, each by a rename.
///
/// Returns the edition's name.
pub fn write(out: &Path, files: &[OutputFile], run: &[OutputFile]) -> anyhow::Result<String> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "public".into());
    let editions = editions_dir(out);
    std::fs::create_dir_all(&editions).with_context(|| format!("cannot create `{}`", editions.display()))?;
    let previous = current_edition(out);
    remove_debris(out, &previous.iter().map(String::as_str).collect::<Vec<_>>());

    let mut hasher = blake3::Hasher::new();
    for f in files {
        hasher.update(f.rel_path.as_bytes());
        hasher.update(&[0]);
        hasher.update(&(f.contents.len() as u64).to_le_bytes());
        hasher.update(&f.contents);
    }
    let edition = hasher.finalize().to_hex()[..16].to_string();
    let target = editions.join(&edition);
    if !target.is_dir() {
        let staging = editions.join(format!("{edition}.tmp-{}", std::process::id()));
        let result = (|| -> anyhow::Result<()> {
            std::fs::create_dir_all(&staging).with_context(|| format!("cannot create `{}`", staging.display()))?;
            let all: Vec<&OutputFile> =
                files.iter().map(|f| run.iter().find(|r| r.rel_path == f.rel_path).unwrap_or(f)).collect();
            // files the published edition has as they are now are linked from it
            let from = previous.as_ref().map(|p| editions.join(p)).filter(|p| p.is_dir());
            write_files(&staging, &all, from.as_deref())?;
            std::fs::rename(&staging, &target)
                .with_context(|| format!("cannot move `{}` to `{}`", staging.display(), target.display()))
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    } else {
        // the same site: only the run's files, and whatever of the edition
        // was lost (removed or cut short by hand) is written again
        let mut lost = Vec::new();
        for f in files.iter().filter(|f| !run.iter().any(|r| r.rel_path == f.rel_path)) {
            if !intact(&target, &f.rel_path, f.contents.len() as u64) {
                if compressible(&f.rel_path) {
                    lost.push(twin(f)?);
                }
                lost.push(f.clone());
            }
        }
        if !lost.is_empty() {
            tracing::warn!(files = lost.len(), edition = %edition, "files of the published edition were missing: written again");
            replace_in(&target, &lost)?;
        }
        replace_in(&target, run)?;
    }

    // switch the link: a new link, renamed over the old one
    let link = parent.join(format!(".{name}.link-{}", std::process::id()));
    let _ = std::fs::remove_file(&link);
    let relative = PathBuf::from(format!(".{name}.editions")).join(&edition);
    symlink(&relative, &link).with_context(|| format!("cannot create the link `{}`", link.display()))?;
    let is_plain_dir = std::fs::symlink_metadata(out).map(|m| m.is_dir()).unwrap_or(false);
    if is_plain_dir {
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(out, &old)
            .with_context(|| format!("cannot move the previous site `{}` aside", out.display()))?;
        if let Err(e) = std::fs::rename(&link, out) {
            let _ = std::fs::rename(&old, out);
            return Err(e).with_context(|| format!("cannot publish into `{}`", out.display()));
        }
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(&link, out).with_context(|| format!("cannot publish into `{}`", out.display()))?;
    }
    let mut keep = vec![edition.as_str()];
    if let Some(p) = &previous {
        keep.push(p);
    }
    remove_debris(out, &keep);
    Ok(edition)
}

/// Replaces the files `run` of the edition `edition` of `out` (the one
/// published), each by a rename: what a run that keeps the site writes.
pub fn refresh(out: &Path, edition: &str, run: &[OutputFile]) -> anyhow::Result<()> {
    replace_in(&editions_dir(out).join(edition), run)
}

/// Replaces files of the edition directory `target`, each by a rename.
fn replace_in(target: &Path, run: &[OutputFile]) -> anyhow::Result<()> {
    for f in run {
        let path = target.join(&f.rel_path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        }
        let tmp = target.join(format!("{}.tmp-{}", f.rel_path, std::process::id()));
        let result = write_file(&tmp, &f.contents)
            .and_then(|_| std::fs::rename(&tmp, &path).with_context(|| format!("cannot replace `{}`", path.display())));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    }
    Ok(())
}

/// Writes a file and makes sure its bytes reached the disk before the site
/// is switched to it.
fn write_file(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut f = std::fs::File::create(path).with_context(|| format!("cannot write `{}`", path.display()))?;
    f.write_all(contents).with_context(|| format!("cannot write `{}`", path.display()))?;
    f.sync_data().with_context(|| format!("cannot write `{}`", path.display()))
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, _link: &Path) -> std::io::Result<()> {
    Err(std::io::Error::other("publishing needs symbolic links (a Unix system)"))
}

#[cfg(test)]
mod tests;
