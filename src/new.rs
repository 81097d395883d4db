//! `mangetamain new DIR [--from FILE]...`: writes a new site that builds at
//! once: `content/site.toml` with a source per file, an `index.md`, a
//! `.gitignore`, and for each file a profile page written as ordinary
//! Markdown and SQL for its author to edit: the number of rows; per column
//! its type, share of NULLs, number of distinct values, smallest and
//! largest value (numbers, dates) or most frequent values (text); a
//! histogram per numeric column; rows per month per date column.
//!
//! Names from the files (columns, tables) are data: they reach the pages as
//! SQL identifiers and string literals, TOML strings written by the TOML
//! serializer, and Markdown text with every punctuation mark escaped; the
//! directives name only the profile queries' own columns.

use crate::ingest::files::{self, Column};
use crate::sources::Format;
use anyhow::Context;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Charts per profile page at most: columns past it are in the table only.
pub const MAX_CHARTS: usize = 40;

/// What `new` is asked to do.
#[derive(Debug, Clone)]
pub struct NewOptions {
    /// The directory of the new site (created; must be empty if it exists).
    pub dir: PathBuf,
    /// Data files, each a source with a profile page.
    pub from: Vec<PathBuf>,
}

/// One file to become a source.
struct Planned {
    name: String,
    path: String,
    format: Format,
    /// Missing-value markers found in the file (`NA`), read as NULL.
    nulls: Vec<String>,
    tables: Vec<(String, Vec<Column>)>,
}

/// Writes the new site; returns the files written, relative to `dir`.
pub fn create(opts: &NewOptions) -> anyhow::Result<Vec<PathBuf>> {
    let dir = &opts.dir;
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).with_context(|| format!("cannot read `{}`", dir.display()))?;
        if entries.next().is_some() {
            anyhow::bail!(
                "`{}` is not empty: `new` writes a new site into a new or empty directory, and changes nothing else",
                dir.display()
            );
        }
    }
    let mut planned: Vec<Planned> = Vec::new();
    for file in &opts.from {
        let meta = std::fs::metadata(file).with_context(|| format!("cannot read `{}`", file.display()))?;
        anyhow::ensure!(meta.is_file(), "`{}` is not a file", file.display());
        let text = file.to_string_lossy();
        let format = Format::from_path(&text).ok_or_else(|| {
            anyhow::anyhow!(
                "cannot tell the format of `{}` from its name (expected .csv, .tsv, .parquet, .json, .ndjson, .jsonl or .duckdb)",
                file.display()
            )
        })?;
        let nulls = files::null_markers(file, format)?;
        let tables = files::describe_with(file, format, &nulls)?;
        let stem = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let stem = stem.split('.').next().unwrap_or("data");
        let mut name = source_name(stem);
        let mut k = 2;
        // a source's profile page is `content/NAME.md`: not the home page
        let taken = |n: &str| crate::sources::BUILT_IN.contains(&n) || ["index", "editions"].contains(&n);
        while planned.iter().any(|p| p.name == name) || taken(&name) {
            name = format!("{}_{k}", source_name(stem));
            k += 1;
        }
        planned.push(Planned { name, path: relative_to(dir, file)?, format, nulls, tables });
    }
    std::fs::create_dir_all(dir.join("content")).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let title = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "Report".into());
    let mut written = Vec::new();
    let mut write = |rel: &str, text: String| -> anyhow::Result<()> {
        let path = dir.join(rel);
        std::fs::write(&path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
        written.push(PathBuf::from(rel));
        Ok(())
    };
    write("content/site.toml", site_toml(&title, &planned)?)?;
    write("content/index.md", index_page(&title, &planned)?)?;
    for p in &planned {
        write(&format!("content/{}.md", p.name), profile_page(p)?)?;
    }
    write(
        ".gitignore",
        "# what a build writes\n/public\n/.public.*\n/data/*.duckdb*\n/data/*.queries.bin\n/data/.*.lock\n".into(),
    )?;
    Ok(written)
}

/// A source name from a file name: lowercase letters, digits and `_`,
/// starting with a letter.
fn source_name(stem: &str) -> String {
    let mut name: String = deunicode::deunicode(stem)
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    while name.contains("__") {
        name = name.replace("__", "_");
    }
    let name = name.trim_matches('_').to_string();
    match name.chars().next() {
        Some(c) if c.is_ascii_alphabetic() => name,
        Some(_) => format!("data_{name}"),
        None => "data".into(),
    }
}

/// `file` as a path relative to the site directory `dir` when both are on one
/// tree, else absolute.
fn relative_to(dir: &Path, file: &Path) -> anyhow::Result<String> {
    let file = file.canonicalize().with_context(|| format!("cannot read `{}`", file.display()))?;
    let base = match dir.canonicalize() {
        Ok(d) => d,
        Err(_) => {
            let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
            parent
                .canonicalize()
                .context("cannot find the new site's directory")?
                .join(dir.file_name().unwrap_or_default())
        }
    };
    let (a, b): (Vec<_>, Vec<_>) = (base.components().collect(), file.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    // beside or below the site: relative, so the site moves with its data; else absolute
    if common == 0 || a.len() - common > 2 {
        return Ok(file.display().to_string());
    }
    let mut rel = PathBuf::new();
    for _ in common..a.len() {
        rel.push("..");
    }
    for c in &b[common..] {
        rel.push(c);
    }
    Ok(rel.to_string_lossy().replace('\\', "/"))
}

#[derive(Serialize)]
struct SiteToml<'a> {
    title: &'a str,
    description: String,
    sources: std::collections::BTreeMap<&'a str, SourceToml<'a>>,
}

#[derive(Serialize)]
struct SourceToml<'a> {
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<Options<'a>>,
}

#[derive(Serialize)]
struct Options<'a> {
    nullstr: &'a [String],
}

fn site_toml(title: &str, planned: &[Planned]) -> anyhow::Result<String> {
    let site = SiteToml {
        title,
        description: "A first look at the data, to edit into a report.".into(),
        sources: planned
            .iter()
            .map(|p| {
                let options = (!p.nulls.is_empty()).then_some(Options { nullstr: &p.nulls });
                (p.name.as_str(), SourceToml { path: &p.path, options })
            })
            .collect(),
    };
    let mut text = String::from(
        "# The site: its title, and its data. Each source is a table named after it;\n\
         # paths are relative to the site (or set `data_dir`). A source also takes\n\
         # `format`, `columns = { name = \"TYPE\" }` and DuckDB's reader options,\n\
         # `options = { nullstr = \"NA\", delim = \";\" }`: see docs/guide/your-own-data.md.\n\n",
    );
    text.push_str(&toml::to_string(&site).context("cannot write site.toml")?);
    Ok(text)
}

/// Front matter, written by the TOML serializer.
fn front_matter(title: &str, description: &str, weight: i64) -> anyhow::Result<String> {
    #[derive(Serialize)]
    struct Front<'a> {
        title: &'a str,
        description: &'a str,
        weight: i64,
    }
    Ok(format!("+++\n{}+++\n", toml::to_string(&Front { title, description, weight }).context("cannot write a page")?))
}

/// Text shown as itself in the middle of a Markdown sentence: every mark
/// that Markdown, HTML or an inline value could read as syntax
/// backslash-escaped (CommonMark allows it for any punctuation), line
/// breaks as spaces.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '#' | '+' | '!' | '|' | '~' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn index_page(title: &str, planned: &[Planned]) -> anyhow::Result<String> {
    let mut md = front_matter(title, "What this site reads, and a first look at each file.", 0)?;
    md.push_str(
        "\nThis site was started by `mangetamain new`. Edit the pages in `content/`, then run `mangetamain build`.\n\n",
    );
    if planned.is_empty() {
        md.push_str("Declare your data in `content/site.toml` (`[sources.NAME]` with a `path`), and query it here:\n\n```sql hello\nselect 'hello' as greeting\n```\n\nThe first query says {{ hello.greeting }}.\n");
        return Ok(md);
    }
    md.push_str("## The data\n\n");
    for p in planned {
        let _ = writeln!(md, "- [{}]({}.html), from {}", markdown_text(&p.name), p.name, markdown_text(&p.path));
    }
    Ok(md)
}

fn sql_string(s: &str) -> anyhow::Result<String> {
    files::sql_string(s)
}

fn is_number(ty: &str) -> bool {
    let t = ty.to_ascii_uppercase();
    ["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"]
        .contains(&t.as_str())
        || t == "FLOAT"
        || t == "DOUBLE"
        || t.starts_with("DECIMAL")
}

fn is_date(ty: &str) -> bool {
    let t = ty.to_ascii_uppercase();
    t == "DATE" || t.starts_with("TIMESTAMP")
}

fn is_text(ty: &str) -> bool {
    ty.eq_ignore_ascii_case("VARCHAR")
}

/// A chart or table directive body, written by the TOML serializer.
#[derive(Serialize)]
struct Chart<'a> {
    kind: &'a str,
    data: String,
    x: &'a str,
    y: &'a str,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    y_format: Option<&'a str>,
}

fn profile_page(p: &Planned) -> anyhow::Result<String> {
    let mut md = front_matter(
        &format!("Profile: {}", p.name),
        &format!("A first look at {}: its rows, its columns and their values.", p.path),
        10,
    )?;
    let _ = writeln!(
        md,
        "\nThe source {} reads {} ({}). Every number below is computed by the SQL beside it: edit it, or start a report of your own from it.\n",
        markdown_text(&p.name),
        markdown_text(&p.path),
        p.format.name()
    );
    let q = &p.name;
    for (t, (table, columns)) in p.tables.iter().enumerate() {
        let relation = if table.is_empty() {
            files::identifier(&p.name)
        } else {
            let mut parts = table.splitn(2, '.');
            let (a, b) = (parts.next().unwrap_or(""), parts.next());
            match b {
                Some(b) => format!("{}.{}.{}", files::identifier(&p.name), files::identifier(a), files::identifier(b)),
                None => format!("{}.{}", files::identifier(&p.name), files::identifier(a)),
            }
        };
        let prefix = if p.tables.len() > 1 { format!("t{}_", t + 1) } else { String::new() };
        if !table.is_empty() {
            let _ = writeln!(md, "## Table {}\n", markdown_text(table));
        }
        let _ = writeln!(md, "```sql {q}_{prefix}rows\nselect count(*) as n_rows from {relation}\n```\n");
        let _ = writeln!(md, "It has {{{{ {q}_{prefix}rows.n_rows | int }}}} rows and {} columns.\n", columns.len());
        if columns.is_empty() {
            continue;
        }
        // one row per column
        let mut parts = Vec::new();
        for (i, c) in columns.iter().enumerate() {
            let col = files::identifier(&c.name);
            let nested = c.ty.contains('[') || c.ty.contains('(') && !c.ty.to_ascii_uppercase().starts_with("DECIMAL");
            let (min, max) = if is_number(&c.ty) || is_date(&c.ty) {
                (format!("min({col})::VARCHAR"), format!("max({col})::VARCHAR"))
            } else {
                ("NULL::VARCHAR".into(), "NULL::VARCHAR".into())
            };
            let distinct = if nested { "NULL::BIGINT".to_string() } else { format!("count(DISTINCT {col})") };
            parts.push(format!(
                "select {} as ord, {} as column_name, {} as type, 1 - count({col})::DOUBLE / nullif(count(*), 0) as null_share, {distinct} as distinct_values, {min} as min, {max} as max from {relation}",
                i + 1,
                sql_string(&c.name)?,
                sql_string(&c.ty)?
            ));
        }
        let _ = writeln!(
            md,
            "## Columns\n\n```sql {q}_{prefix}columns\n{}\norder by ord\n```\n",
            parts.join("\nunion all\n")
        );
        #[derive(Serialize)]
        struct Table<'a> {
            data: String,
            title: &'a str,
            columns: [&'a str; 6],
            labels: std::collections::BTreeMap<&'a str, &'a str>,
            formats: std::collections::BTreeMap<&'a str, &'a str>,
        }
        let table_directive = Table {
            data: format!("{q}_{prefix}columns"),
            title: "One row per column",
            columns: ["column_name", "type", "null_share", "distinct_values", "min", "max"],
            labels: [
                ("column_name", "column"),
                ("null_share", "NULL"),
                ("distinct_values", "distinct values"),
                ("min", "smallest"),
                ("max", "largest"),
            ]
            .into_iter()
            .collect(),
            formats: [("null_share", "pct(1)"), ("distinct_values", "int")].into_iter().collect(),
        };
        let _ = writeln!(md, "```table\n{}```\n", toml::to_string(&table_directive).context("cannot write a page")?);
        // a chart per column, as far as they go
        for (i, c) in columns.iter().enumerate().take(MAX_CHARTS) {
            let col = files::identifier(&c.name);
            let id = format!("{q}_{prefix}c{}", i + 1);
            let chart = if is_number(&c.ty) {
                let sql = format!(
                    "with bounds as (select min({col})::DOUBLE as lo, max({col})::DOUBLE as hi from {relation}),\n\
                     binned as (\n    select coalesce(least(floor(({col}::DOUBLE - b.lo) / nullif((b.hi - b.lo) / 20, 0)), 19), 0) as k\n    from {relation}, bounds as b where {col} is not null\n)\n\
                     select b.lo + k * coalesce((b.hi - b.lo) / 20, 0) as bin, count(*) as n\nfrom binned, bounds as b\ngroup by k, b.lo, b.hi\norder by k"
                );
                Some((
                    sql,
                    Chart {
                        kind: "histogram",
                        data: id.clone(),
                        x: "bin",
                        y: "n",
                        title: format!("{}: distribution", c.name),
                        y_format: Some("int"),
                    },
                ))
            } else if is_date(&c.ty) {
                let sql = format!(
                    "select date_trunc('month', {col})::DATE as month, count(*) as n\nfrom {relation}\nwhere {col} is not null\ngroup by 1\norder by 1"
                );
                Some((
                    sql,
                    Chart {
                        kind: "line",
                        data: id.clone(),
                        x: "month",
                        y: "n",
                        title: format!("{}: rows per month", c.name),
                        y_format: Some("int"),
                    },
                ))
            } else if is_text(&c.ty) {
                let sql = format!(
                    "select {col} as value, count(*) as n\nfrom {relation}\ngroup by 1\norder by n desc, value nulls last\nlimit 10"
                );
                Some((
                    sql,
                    Chart {
                        kind: "hbar",
                        data: id.clone(),
                        x: "value",
                        y: "n",
                        title: format!("{}: the most frequent values", c.name),
                        y_format: Some("int"),
                    },
                ))
            } else {
                None
            };
            if let Some((sql, chart)) = chart {
                let _ = writeln!(md, "### Column {}\n", markdown_text(&c.name));
                let _ = writeln!(md, "```sql {id}\n{sql}\n```\n");
                let _ = writeln!(md, "```chart\n{}```\n", toml::to_string(&chart).context("cannot write a page")?);
            }
        }
        if columns.len() > MAX_CHARTS {
            let _ = writeln!(
                md,
                "The {} columns after the first {MAX_CHARTS} are in the table above only.\n",
                columns.len() - MAX_CHARTS
            );
        }
    }
    Ok(md)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_for_any_file() {
        assert_eq!(source_name("Flights 2013"), "flights_2013");
        assert_eq!(source_name("2013-flights"), "data_2013_flights");
        assert_eq!(source_name("Données"), "donnees");
        assert_eq!(source_name("!!"), "data");
    }

    #[test]
    fn markdown_text_is_inert() {
        let hostile = "*x* [l](u) <b> {{ q.n }} `c` # h\n- i";
        let escaped = markdown_text(hostile);
        assert!(!escaped.contains("{{") && !escaped.contains('\n'), "{escaped}");
        let html = crate::content::markdown::to_html(&escaped);
        assert_eq!(html, "<p>*x* [l](u) &lt;b&gt; {{ q.n }} `c` # h - i</p>\n");
    }
}
