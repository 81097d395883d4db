//! Archive: the offline forms of an edition. Consumes the files of a site
//! (as a build rendered them, or read back from a published site) and
//! writes, per edition date, `mangetamain-DATE.tar.gz`, `mangetamain-DATE.zip`
//! and `mangetamain-DATE.html` (the whole report in one self-contained file)
//! into an archive directory; lists and prunes that directory for the site's
//! Editions page. The same files always give the same archive bytes: entries
//! are sorted and carry the edition date as their time.

use crate::error::SourceError;
use crate::render::{ArchivedPage, Download, EditionView, OutputFile, SingleFile, Templates};
use crate::status::Published;
use anyhow::{Context, bail};
use base64::Engine;
use flate2::{Compression, GzBuilder};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file name prefix of every archive.
pub const PREFIX: &str = "mangetamain-";

/// The three forms of an edition, by file name suffix.
pub const FORMS: [&str; 3] = [".tar.gz", ".zip", ".html"];

/// The page listing the editions.
pub const EDITIONS_PAGE: &str = "editions.html";

/// Where the published site links the archives (served beside the site).
pub const LINK_DIR: &str = "archive";

const LIST_START: &str = "<!-- editions -->";
const LIST_END: &str = "<!-- /editions -->";

/// One archived edition found in an archive directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edition {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// File name and size in bytes of each form present, in [`FORMS`] order.
    pub files: Vec<(String, u64)>,
}

/// The editions in `dir`, newest first; an absent directory has none.
pub fn list(dir: &Path) -> anyhow::Result<Vec<Edition>> {
    let mut by_date: BTreeMap<String, Vec<(String, u64)>> = BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read the archive directory `{}`", dir.display())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read the archive directory `{}`", dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(date) = edition_of(&name) else { continue };
        let size = entry.metadata().with_context(|| format!("cannot read `{}`", entry.path().display()))?.len();
        by_date.entry(date.to_string()).or_default().push((name, size));
    }
    Ok(by_date
        .into_iter()
        .rev()
        .map(|(date, mut files)| {
            files.sort_by_key(|(name, _)| FORMS.iter().position(|f| name.ends_with(f)));
            Edition { date, files }
        })
        .collect())
}

/// The date of an archive file name (`mangetamain-2018-12-20.zip`), if it is one.
fn edition_of(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(PREFIX)?;
    let form = FORMS.iter().find(|f| rest.ends_with(*f))?;
    let date = &rest[..rest.len() - form.len()];
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok().filter(|_| date.len() == 10).map(|_| date)
}

/// Removes all but `keep` editions of `dir` (at least one): the edition
/// `current` (the one just archived) and the most recently archived others,
/// whatever their dates; returns the dates removed.
pub fn prune(dir: &Path, keep: usize, current: &str) -> anyhow::Result<Vec<String>> {
    let mut editions = Vec::new();
    for edition in list(dir)? {
        let mut written = std::time::SystemTime::UNIX_EPOCH;
        for (name, _) in &edition.files {
            let path = dir.join(name);
            let modified = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .with_context(|| format!("cannot read `{}`", path.display()))?;
            written = written.max(modified);
        }
        editions.push((edition.date != current, std::cmp::Reverse(written), edition));
    }
    // the current edition first, then the most recently written (newer dates first on a tie)
    editions.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| b.2.date.cmp(&a.2.date)));
    let mut removed = Vec::new();
    for (_, _, edition) in editions.into_iter().skip(keep.max(1)) {
        for (name, _) in &edition.files {
            let path = dir.join(name);
            std::fs::remove_file(&path).with_context(|| format!("cannot remove `{}`", path.display()))?;
        }
        removed.push(edition.date);
    }
    removed.sort();
    Ok(removed)
}

/// The archive's view of a site: its files without the `.gz` twins, the
/// Editions page without the download list (the downloads are not inside an
/// archive), `status.json` without the facts of one run, and no `404.html`
/// (a server's page, linked from the server's root, where an archive has none).
pub fn offline_files(files: &[OutputFile]) -> anyhow::Result<Vec<OutputFile>> {
    let mut out = Vec::new();
    for f in files.iter().filter(|f| !f.rel_path.ends_with(".gz") && f.rel_path != "404.html") {
        let contents = match f.rel_path.as_str() {
            EDITIONS_PAGE => offline_editions_page(&String::from_utf8_lossy(&f.contents)).into_bytes(),
            "status.json" => edition_status(&f.contents)?,
            _ => f.contents.clone(),
        };
        out.push(OutputFile { rel_path: f.rel_path.clone(), contents });
    }
    out.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    Ok(out)
}

/// `status.json` without its `run` entry (build times and durations).
fn edition_status(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut status: serde_json::Value = serde_json::from_slice(bytes).context("`status.json` is not valid JSON")?;
    if let Some(map) = status.as_object_mut() {
        map.remove("run");
    }
    let mut text = serde_json::to_string_pretty(&status).context("cannot write status.json")?;
    text.push('\n');
    Ok(text.into_bytes())
}

fn offline_editions_page(html: &str) -> String {
    let (Some(start), Some(end)) = (html.find(LIST_START), html.find(LIST_END)) else { return html.to_string() };
    if end < start {
        return html.to_string();
    }
    format!(
        "{}{LIST_START}\n<p>This copy is an archived edition. The list of every edition, with its downloads, is on the published site.</p>\n{}",
        &html[..start],
        &html[end..]
    )
}

/// The body of the Editions page (`partials/editions.html`): a table of
/// `editions` linking each form under `archive/`, between markers that
/// [`offline_files`] replaces.
pub fn editions_body(templates: &Templates, editions: &[Edition]) -> Result<String, SourceError> {
    let views: Vec<EditionView> = editions
        .iter()
        .map(|e| EditionView {
            date: e.date.clone(),
            downloads: FORMS
                .iter()
                .map(|form| {
                    let (name, size) = e.files.iter().find(|(n, _)| n.ends_with(form))?;
                    Some(Download { href: format!("{LINK_DIR}/{name}"), size: human_size(*size) })
                })
                .collect(),
        })
        .collect();
    templates.editions(&views)
}

/// The links of the Editions page, relative to the site, for the link check.
pub fn link_targets(editions: &[Edition]) -> BTreeSet<String> {
    editions.iter().flat_map(|e| e.files.iter().map(|(n, _)| format!("{LINK_DIR}/{n}"))).collect()
}

/// `1234567` as `1.2 MB`.
pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b < 1000 => format!("{b} B"),
        b if b < 1_000_000 => format!("{:.1} kB", b as f64 / 1e3),
        b => format!("{:.1} MB", b as f64 / 1e6),
    }
}

/// The edition date of a site, from its `status.json`.
pub fn edition_date(files: &[OutputFile]) -> anyhow::Result<String> {
    let edition = Published::of(files)?.edition.unwrap_or_default();
    let date = edition.get(..10).unwrap_or("");
    if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
        bail!(
            "an archive is named by its edition date, and this site has none (`edition` in `status.json` is `{edition}`): set `edition` in `site.toml` or `SOURCE_DATE_EPOCH`"
        );
    }
    Ok(date.to_string())
}

/// Writes the three forms of the edition made of `files` (the site as
/// [`offline_files`] gives it) into `dir`; returns their paths. Each file is
/// written beside its final name and renamed, so a reader never sees half of one.
pub fn write(dir: &Path, files: &[OutputFile], templates: &Templates) -> anyhow::Result<Vec<PathBuf>> {
    let date = edition_date(files)?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let name = format!("{PREFIX}{date}");
    let forms = [
        (format!("{name}.tar.gz"), tar_gz(&name, &date, files)?),
        (format!("{name}.zip"), zip(&name, &date, files)?),
        (format!("{name}.html"), single_html(files, templates)?.into_bytes()),
    ];
    let mut written = Vec::new();
    for (file, bytes) in forms {
        let path = dir.join(&file);
        let tmp = dir.join(format!(".{file}.tmp-{}", std::process::id()));
        let result = std::fs::File::create(&tmp)
            .and_then(|mut f| f.write_all(&bytes).and_then(|_| f.sync_data()))
            .and_then(|_| std::fs::rename(&tmp, &path));
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot write `{}`", path.display()));
        }
        written.push(path);
    }
    Ok(written)
}

/// Archives the site published at `out` (what a build wrote there) into
/// `dir`, then keeps the newest `keep` editions; returns the files written.
/// The archives are the same bytes `build --archive` writes for that site,
/// when `root` (whose `templates/` are used) is the site's root.
pub fn archive_published(root: &Path, out: &Path, dir: &Path, keep: Option<usize>) -> anyhow::Result<Vec<PathBuf>> {
    let templates = Templates::load(&root.join("templates"), root)?;
    let _lock = crate::publish::lock(out)?;
    // read one edition even if a later build switches the site meanwhile
    let site = std::fs::canonicalize(out).with_context(|| format!("no published site at `{}`", out.display()))?;
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(&site).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot read the site `{}`", out.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(&site).unwrap_or(entry.path());
        let rel_path = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        let contents =
            std::fs::read(entry.path()).with_context(|| format!("cannot read `{}`", entry.path().display()))?;
        files.push(OutputFile { rel_path, contents });
    }
    if !files.iter().any(|f| f.rel_path == "status.json") {
        bail!("`{}` is not a site built by mangetamain (it has no `status.json`)", out.display());
    }
    let offline = offline_files(&files)?;
    let written = write(dir, &offline, &templates)?;
    if let Some(keep) = keep {
        for date in prune(dir, keep, &edition_date(&offline)?)? {
            tracing::info!(edition = %date, keep, "removed an old archived edition");
        }
    }
    Ok(written)
}

/// Seconds since 1970 at midnight UTC of `date`.
fn midnight(date: &str) -> anyhow::Result<i64> {
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").with_context(|| format!("not a date: `{date}`"))?;
    Ok(day.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(0))
}

/// The directories that hold `files`, parents first.
fn directories(files: &[OutputFile]) -> BTreeSet<String> {
    let mut dirs = BTreeSet::new();
    for f in files {
        let mut path = f.rel_path.as_str();
        while let Some((dir, _)) = path.rsplit_once('/') {
            dirs.insert(format!("{dir}/"));
            path = dir;
        }
    }
    dirs
}

fn tar_gz(name: &str, date: &str, files: &[OutputFile]) -> anyhow::Result<Vec<u8>> {
    let mtime = u64::try_from(midnight(date)?).unwrap_or(0);
    let gz = GzBuilder::new().mtime(0).write(Vec::new(), Compression::best());
    let mut tar = tar::Builder::new(gz);
    let header = |kind: tar::EntryType, size: u64, mode: u32| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(mode);
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        h
    };
    let mut h = header(tar::EntryType::Directory, 0, 0o755);
    tar.append_data(&mut h, format!("{name}/"), std::io::empty()).context("cannot write the tar archive")?;
    for dir in directories(files) {
        let mut h = header(tar::EntryType::Directory, 0, 0o755);
        tar.append_data(&mut h, format!("{name}/{dir}"), std::io::empty()).context("cannot write the tar archive")?;
    }
    for f in files {
        let mut h = header(tar::EntryType::Regular, f.contents.len() as u64, 0o644);
        tar.append_data(&mut h, format!("{name}/{}", f.rel_path), &f.contents[..])
            .context("cannot write the tar archive")?;
    }
    let gz = tar.into_inner().context("cannot write the tar archive")?;
    gz.finish().context("cannot compress the tar archive")
}

fn zip(name: &str, date: &str, files: &[OutputFile]) -> anyhow::Result<Vec<u8>> {
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").with_context(|| format!("not a date: `{date}`"))?;
    use chrono::Datelike;
    // zip times start in 1980
    let time = zip::DateTime::from_date_and_time(
        u16::try_from(day.year().clamp(1980, 2107)).unwrap_or(1980),
        day.month() as u8,
        day.day() as u8,
        0,
        0,
        0,
    )
    .unwrap_or_default();
    let file_options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let dir_options = file_options.unix_permissions(0o755);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.add_directory(format!("{name}/"), dir_options).context("cannot write the zip archive")?;
    for dir in directories(files) {
        zip.add_directory(format!("{name}/{dir}"), dir_options).context("cannot write the zip archive")?;
    }
    for f in files {
        zip.start_file(format!("{name}/{}", f.rel_path), file_options).context("cannot write the zip archive")?;
        zip.write_all(&f.contents).context("cannot write the zip archive")?;
    }
    Ok(zip.finish().context("cannot write the zip archive")?.into_inner())
}

/// The text between the end of the first `<open ...>` tag and `close`.
fn inner<'a>(html: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = html.find(open)?;
    let body = start + html[start..].find('>')? + 1;
    let end = body + html[body..].find(close)?;
    Some(&html[body..end])
}

/// The whole report in one HTML file (`archive.html`): the stylesheet
/// inline, every page of `status.json`'s list as a section (the content of
/// its `<main>`), links between pages turned into in-file anchors and every
/// other file of the site (the CSV downloads) embedded as a `data:` URI. It
/// loads nothing from anywhere. It is made of the site's files, so a
/// published copy gives the same file as the build that wrote it.
pub fn single_html(files: &[OutputFile], templates: &Templates) -> anyhow::Result<String> {
    let by_path: BTreeMap<&str, &[u8]> = files.iter().map(|f| (f.rel_path.as_str(), f.contents.as_slice())).collect();
    let text = |path: &str| -> anyhow::Result<String> {
        let bytes = by_path.get(path).with_context(|| format!("the site has no `{path}`"))?;
        Ok(String::from_utf8_lossy(bytes).into_owned())
    };
    let status = Published::of(files)?;
    let site = status.site.context(
        "`status.json` does not say which site it is (`site`): it was built by an older mangetamain; build it again",
    )?;
    let stylesheets: Vec<&str> =
        by_path.keys().copied().filter(|p| p.starts_with("style.") && p.ends_with(".css")).collect();
    let [css_name] = stylesheets[..] else {
        bail!("the site has {} stylesheets (`style.*.css`) where it should have one", stylesheets.len());
    };
    let css = text(css_name)?;
    let page_ids: BTreeMap<&str, String> =
        status.pages.iter().map(|p| (p.as_str(), format!("page-{}", p.trim_end_matches(".html")))).collect();
    let mut pages = Vec::new();
    for page in &status.pages {
        let html = text(page)?;
        let main = inner(&html, "<main", "</main>").with_context(|| format!("`{page}` has no `<main>`"))?;
        let title = status.page_titles.get(page).cloned().unwrap_or_else(|| page.clone());
        let body = prefix_ids(&rewrite_links(main, page, &page_ids, &by_path)?, &id_prefix(page));
        pages.push(ArchivedPage { id: page_ids[page.as_str()].clone(), title, body: body.trim().to_string() });
    }
    let file = SingleFile {
        title: &site.title,
        lang: &site.language,
        css: &css,
        edition: status.edition.as_deref().filter(|e| !e.is_empty()),
        pages,
    };
    Ok(templates.single_file(&file)?)
}

/// The prefix given to the ids of page `page` in the single file, so that
/// ids repeated across pages (a chart of one query on two pages) stay unique.
fn id_prefix(page: &str) -> String {
    format!("{}--", page.trim_end_matches(".html"))
}

/// Prefixes every `id` of `html` and every reference to one inside it
/// (`aria-labelledby`, `aria-describedby`, `for`, `headers`) with `prefix`.
/// Links (`href="#..."`) were prefixed by [`rewrite_links`].
fn prefix_ids(html: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    loop {
        let next = [" id=\"", " aria-labelledby=\"", " aria-describedby=\"", " for=\"", " headers=\""]
            .iter()
            .filter_map(|a| rest.find(a).map(|i| (i, a.len())))
            .min();
        let Some((i, len)) = next else { break };
        let start = i + len;
        let Some(end) = rest[start..].find('"').map(|e| start + e) else { break };
        out.push_str(&rest[..start]);
        let ids: Vec<String> = rest[start..end].split_whitespace().map(|id| format!("{prefix}{id}")).collect();
        out.push_str(&ids.join(" "));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Rewrites every `href` and `src` of `html` (a part of page `page`) to
/// point inside the single file.
fn rewrite_links(
    html: &str,
    page: &str,
    page_ids: &BTreeMap<&str, String>,
    files: &BTreeMap<&str, &[u8]>,
) -> anyhow::Result<String> {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    loop {
        let next = [" href=\"", " src=\""].iter().filter_map(|a| rest.find(a).map(|i| (i, a.len()))).min();
        let Some((i, len)) = next else { break };
        let start = i + len;
        let Some(end) = rest[start..].find('"').map(|e| start + e) else { break };
        out.push_str(&rest[..start]);
        let link = crate::publish::decode_entities(&rest[start..end]);
        let (target, fragment) = match link.split_once('#') {
            Some((t, f)) => (t, Some(f)),
            None => (link.as_str(), None),
        };
        let mut after = &rest[end..];
        if link.starts_with("http://") || link.starts_with("https://") || link.starts_with("mailto:") {
            out.push_str(&rest[start..end]);
        } else if target.is_empty() {
            // an anchor on the same page: its id gets the page's prefix
            out.push('#');
            out.push_str(&id_prefix(page));
            out.push_str(fragment.unwrap_or(""));
        } else if let Some(id) = page_ids.get(target) {
            out.push('#');
            match fragment.filter(|f| !f.is_empty()) {
                Some(f) => out.push_str(&format!("{}{f}", id_prefix(target))),
                None => out.push_str(id),
            }
        } else if let Some(bytes) = files.get(target) {
            out.push_str(&format!(
                "data:{};base64,{}",
                crate::publish::media_type(target).replace("; ", ";"),
                base64::engine::general_purpose::STANDARD.encode(bytes)
            ));
            // name the download after the file, not the URI
            if let Some(tail) = after.strip_prefix("\" download>") {
                let name = target.rsplit('/').next().unwrap_or(target);
                out.push_str(&format!("\" download=\"{name}\">"));
                after = tail;
            }
        } else {
            bail!("`{page}` links to `{link}`, which is not part of the report");
        }
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests;
