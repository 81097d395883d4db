//! Sources: the data a site reads, declared in `content/site.toml`, one
//! `[sources.NAME]` table each; the source's name is its table's name in SQL.
//!
//! ```toml
//! data_dir = "data"                    # where relative paths start (`--data` overrides it)
//!
//! [sources.flights]
//! path = "flights/*.csv"               # a file, a glob, or a list of them
//! format = "csv"                       # csv, tsv, parquet, json, duckdb (default: from the extension)
//! columns = { dep_delay = "INTEGER" }  # types instead of the sniffed ones
//! options = { nullstr = "NA" }         # DuckDB's own reader parameters
//!
//! [sources.recipes]
//! path = "RAW_recipes.csv"
//! reader = "foodcom"                   # the Food.com files' own reader
//! ```
//!
//! This module turns the declarations into checked [`Source`]s, each name,
//! path, type and option located in the file, so that a mistake is a
//! `content/site.toml:LINE:COL` error. What only DuckDB can tell (whether an
//! option exists for a reader, whether a type is known) is checked by
//! `ingest` against DuckDB itself, with these locations.

use crate::error::{Located, Location, SourceError};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

/// Tables every database has besides the sources': a source may not take their names.
pub const BUILT_IN: [&str; 4] = ["quarantine", "ingest_files", "ingest_sources", "ingest_meta"];

/// The tables the Food.com reader derives from its recipes source.
pub const FOODCOM_DERIVED: [&str; 2] = ["recipe_tags", "recipe_ingredients"];

/// A file format read by DuckDB's own readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// Comma-separated values (`read_csv`), delimiter sniffed.
    Csv,
    /// Tab-separated values (`read_csv` with a tab delimiter).
    Tsv,
    /// Apache Parquet (`read_parquet`).
    Parquet,
    /// JSON: an array of objects, or one object per line (`read_json`).
    Json,
    /// Newline-delimited JSON (`read_json`, one object per line).
    NdJson,
    /// A DuckDB database, attached read-only: its tables are `NAME.TABLE`.
    DuckDb,
}

impl Format {
    /// The names `format` accepts.
    pub const NAMES: &'static str = "csv, tsv, parquet, json, ndjson, duckdb";

    fn from_name(name: &str) -> Option<Format> {
        Some(match name {
            "csv" => Format::Csv,
            "tsv" => Format::Tsv,
            "parquet" => Format::Parquet,
            "json" => Format::Json,
            "ndjson" | "jsonl" => Format::NdJson,
            "duckdb" => Format::DuckDb,
            _ => return None,
        })
    }

    /// The format a file name says (`.csv`, `.tsv`, `.parquet`, `.json`,
    /// `.ndjson`, `.jsonl`, `.duckdb`, also compressed: `.csv.gz`).
    pub fn from_path(path: &str) -> Option<Format> {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path).to_ascii_lowercase();
        let name = name.strip_suffix(".gz").or_else(|| name.strip_suffix(".zst")).unwrap_or(&name);
        let ext = name.rsplit_once('.')?.1;
        Some(match ext {
            "csv" => Format::Csv,
            "tsv" | "tab" => Format::Tsv,
            "parquet" | "pq" => Format::Parquet,
            "json" => Format::Json,
            "ndjson" | "jsonl" => Format::NdJson,
            "duckdb" | "ddb" | "db" => Format::DuckDb,
            _ => return None,
        })
    }

    /// DuckDB's table function that reads it (none for an attached database).
    pub fn function(self) -> Option<&'static str> {
        match self {
            Format::Csv | Format::Tsv => Some("read_csv"),
            Format::Parquet => Some("read_parquet"),
            Format::Json | Format::NdJson => Some("read_json"),
            Format::DuckDb => None,
        }
    }

    /// The word for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Tsv => "tsv",
            Format::Parquet => "parquet",
            Format::Json => "json",
            Format::NdJson => "ndjson",
            Format::DuckDb => "duckdb",
        }
    }
}

/// How a source is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reader {
    /// By DuckDB's reader for the format.
    DuckDb(Format),
    /// By the Food.com files' own reader (`reader = "foodcom"`): the
    /// recipes or the interactions, told apart by their header.
    FoodCom,
}

/// A value of a reader option, as written in TOML.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// Text.
    Text(String),
    /// An array.
    List(Vec<OptionValue>),
    /// A table (a DuckDB struct).
    Table(BTreeMap<String, OptionValue>),
}

impl OptionValue {
    fn from_toml(v: &toml::Value) -> Option<OptionValue> {
        Some(match v {
            toml::Value::Boolean(b) => OptionValue::Bool(*b),
            toml::Value::Integer(i) => OptionValue::Int(*i),
            toml::Value::Float(f) => OptionValue::Float(*f),
            toml::Value::String(s) => OptionValue::Text(s.clone()),
            toml::Value::Array(a) => OptionValue::List(a.iter().map(OptionValue::from_toml).collect::<Option<_>>()?),
            toml::Value::Table(t) => OptionValue::Table(
                t.iter().map(|(k, v)| Some((k.clone(), OptionValue::from_toml(v)?))).collect::<Option<_>>()?,
            ),
            toml::Value::Datetime(_) => return None,
        })
    }

    /// The kind of value, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            OptionValue::Bool(_) => "a boolean",
            OptionValue::Int(_) => "an integer",
            OptionValue::Float(_) => "a number",
            OptionValue::Text(_) => "text",
            OptionValue::List(_) => "a list",
            OptionValue::Table(_) => "a table",
        }
    }
}

/// One declared source, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// Its name: the table it fills.
    pub name: String,
    /// How it is read.
    pub reader: Reader,
    /// Its files as written: paths or globs, relative to the data directory or absolute.
    pub paths: Vec<Located<String>>,
    /// Column types instead of the sniffed ones: (column, DuckDB type).
    pub columns: Vec<(Located<String>, Located<String>)>,
    /// DuckDB reader parameters: (name, value).
    pub options: Vec<(Located<String>, Located<OptionValue>)>,
    /// Where `[sources.NAME]` is written.
    pub defined_at: Location,
}

impl Source {
    /// A text that changes whenever the declaration changes in a way that
    /// changes what is read (not the locations).
    pub fn fingerprint(&self) -> String {
        let paths: Vec<&str> = self.paths.iter().map(|p| p.value.as_str()).collect();
        let columns: Vec<(&str, &str)> =
            self.columns.iter().map(|(c, t)| (c.value.as_str(), t.value.as_str())).collect();
        let options: Vec<(&str, String)> =
            self.options.iter().map(|(k, v)| (k.value.as_str(), format!("{:?}", v.value))).collect();
        format!("{:?} {paths:?} {columns:?} {options:?}", self.reader)
    }
}

/// `path`: one path or a list of them.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
enum PathSpec {
    One(String),
    Many(Vec<String>),
}

/// One `[sources.NAME]` table as written.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    path: Spanned<PathSpec>,
    #[serde(default)]
    format: Option<Spanned<String>>,
    #[serde(default)]
    reader: Option<Spanned<String>>,
    #[serde(default)]
    columns: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    options: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// The `[sources]` tables of `site.toml`, as deserialized.
pub type RawSources = BTreeMap<Spanned<String>, RawSource>;

/// Options `mangetamain` sets itself, with what to do instead.
const OWN_OPTIONS: [(&str, &str); 9] = [
    ("store_rejects", "every row that cannot be read goes to the `quarantine` table"),
    ("ignore_errors", "every row that cannot be read goes to the `quarantine` table"),
    ("rejects_table", "every row that cannot be read goes to the `quarantine` table"),
    ("rejects_scan", "every row that cannot be read goes to the `quarantine` table"),
    ("rejects_limit", "every row that cannot be read goes to the `quarantine` table"),
    ("types", "give types in `columns`"),
    ("dtypes", "give types in `columns`"),
    ("column_types", "give types in `columns`"),
    ("columns", "give types in the source's `columns`"),
];

/// Checks the `[sources]` of `site.toml` (`text`, named `path` in messages).
pub fn parse(raw: &RawSources, text: &str, path: &Path) -> Result<Vec<Source>, SourceError> {
    let at = |offset: usize| Location::at(path, text, offset);
    let located = |s: &Spanned<String>| Located { value: s.get_ref().clone(), location: at(s.span().start + 1) };
    let mut out = Vec::new();
    for (name, raw) in raw {
        let name_at = at(name.span().start);
        let name_text = name.get_ref().as_str();
        if !crate::content::expr::is_identifier(name_text) {
            return Err(SourceError::new(
                name_at,
                format!("invalid source name `{name_text}`: use letters, digits and `_`, starting with a letter"),
            ));
        }
        if BUILT_IN.contains(&name_text) {
            return Err(SourceError::new(
                name_at,
                format!(
                    "source name `{name_text}` is taken by a built-in table ({}): choose another",
                    BUILT_IN.join(", ")
                ),
            ));
        }
        let paths: Vec<Located<String>> = match raw.path.get_ref() {
            PathSpec::One(p) => vec![Located { value: p.clone(), location: at(raw.path.span().start + 1) }],
            PathSpec::Many(ps) => ps
                .iter()
                .map(|p| {
                    let offset = text[raw.path.span()].find(p.as_str()).map_or(0, |i| i) + raw.path.span().start;
                    Located { value: p.clone(), location: at(offset) }
                })
                .collect(),
        };
        if let Some(empty) = paths.iter().find(|p| p.value.trim().is_empty()) {
            return Err(SourceError::new(empty.location.clone(), format!("source `{name_text}`: empty `path`")));
        }
        let Some(first) = paths.first() else {
            return Err(SourceError::new(at(raw.path.span().start), format!("source `{name_text}`: `path` is empty")));
        };
        let reader = match (&raw.reader, &raw.format) {
            (Some(r), _) if r.get_ref() == "foodcom" => {
                if let Some(f) = raw.format.as_ref().filter(|f| f.get_ref() != "csv") {
                    return Err(SourceError::new(
                        at(f.span().start + 1),
                        format!("the `foodcom` reader reads CSV files, not `{}`", f.get_ref()),
                    ));
                }
                if let Some((c, _)) = raw.columns.iter().next() {
                    return Err(SourceError::new(
                        at(c.span().start),
                        "the `foodcom` reader types its columns itself: `columns` does not apply",
                    ));
                }
                if let Some((o, _)) = raw.options.iter().next() {
                    return Err(SourceError::new(
                        at(o.span().start),
                        "the `foodcom` reader takes no DuckDB options: `options` does not apply",
                    ));
                }
                Reader::FoodCom
            }
            (Some(r), _) => {
                return Err(SourceError::new(
                    at(r.span().start + 1),
                    format!("unknown reader `{}` (expected `foodcom`, or none for DuckDB's readers)", r.get_ref()),
                ));
            }
            (None, Some(f)) => Reader::DuckDb(Format::from_name(f.get_ref()).ok_or_else(|| {
                SourceError::new(
                    at(f.span().start + 1),
                    format!("unknown format `{}` (expected one of: {})", f.get_ref(), Format::NAMES),
                )
            })?),
            (None, None) => Reader::DuckDb(Format::from_path(&first.value).ok_or_else(|| {
                SourceError::new(
                    first.location.clone(),
                    format!(
                        "cannot tell the format of `{}` from its name: set `format` ({})",
                        first.value,
                        Format::NAMES
                    ),
                )
            })?),
        };
        let mut columns = Vec::new();
        for (column, ty) in &raw.columns {
            let ty = located(ty);
            if !is_type_text(&ty.value) {
                return Err(SourceError::new(
                    ty.location,
                    format!("`{}` is not a DuckDB type (such as INTEGER, DOUBLE, DATE, TIMESTAMP, VARCHAR)", ty.value),
                ));
            }
            columns.push((Located { value: column.get_ref().clone(), location: at(column.span().start) }, ty));
        }
        let mut options = Vec::new();
        for (key, value) in &raw.options {
            let key_at = at(key.span().start);
            let lower = key.get_ref().to_ascii_lowercase();
            if let Some((_, instead)) = OWN_OPTIONS.iter().find(|(o, _)| *o == lower) {
                return Err(SourceError::new(
                    key_at,
                    format!("source `{name_text}`: option `{}` is set by mangetamain: {instead}", key.get_ref()),
                ));
            }
            let v = OptionValue::from_toml(value.get_ref()).ok_or_else(|| {
                SourceError::new(
                    at(value.span().start),
                    format!("option `{}`: a date is not a reader option", key.get_ref()),
                )
            })?;
            options.push((
                Located { value: key.get_ref().clone(), location: key_at },
                Located { value: v, location: at(value.span().start) },
            ));
        }
        if reader == Reader::DuckDb(Format::DuckDb) {
            if let Some((c, _)) = columns.first() {
                return Err(SourceError::new(
                    c.location.clone(),
                    "an attached DuckDB database keeps its own types: `columns` does not apply",
                ));
            }
            if let Some((o, _)) = options.first() {
                return Err(SourceError::new(
                    o.location.clone(),
                    "an attached DuckDB database takes no reader options",
                ));
            }
            if paths.len() > 1 || is_glob(&first.value) {
                return Err(SourceError::new(
                    first.location.clone(),
                    "a DuckDB database source is one file, not a list or a glob",
                ));
            }
        }
        out.push(Source { name: name_text.to_string(), reader, paths, columns, options, defined_at: name_at });
    }
    // in the order they are written
    out.sort_by_key(|s| (s.defined_at.line, s.defined_at.column));
    let foodcom = out.iter().any(|s| s.reader == Reader::FoodCom);
    if foodcom && let Some(s) = out.iter().find(|s| FOODCOM_DERIVED.contains(&s.name.as_str())) {
        return Err(SourceError::new(
            s.defined_at.clone(),
            format!("source name `{}` is taken by a table the `foodcom` reader derives: choose another", s.name),
        ));
    }
    Ok(out)
}

/// Whether a path has glob characters (`*`, `?`, `[`).
pub fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// Whether `text` can only be a type in `CAST(x AS text)`: words, numbers,
/// spaces, commas, `[]`, and parentheses that never close more than they
/// opened (so it stays inside the cast whatever it says).
pub fn is_type_text(text: &str) -> bool {
    let mut depth = 0i32;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | ' ' | ',' | '[' | ']') => {}
            _ => return false,
        }
    }
    depth == 0 && text.chars().any(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(text: &str) -> Result<Vec<Source>, SourceError> {
        #[derive(Deserialize)]
        struct Only {
            sources: RawSources,
        }
        let only: Only =
            toml::from_str(text).map_err(|e| crate::error::toml_error(&e, text, Path::new("content/site.toml"), 0))?;
        parse(&only.sources, text, Path::new("content/site.toml"))
    }

    #[test]
    fn formats_follow_the_extension() {
        assert_eq!(Format::from_path("a/b/flights.csv"), Some(Format::Csv));
        assert_eq!(Format::from_path("x.CSV.gz"), Some(Format::Csv));
        assert_eq!(Format::from_path("x.tsv"), Some(Format::Tsv));
        assert_eq!(Format::from_path("logs/*.parquet"), Some(Format::Parquet));
        assert_eq!(Format::from_path("x.jsonl"), Some(Format::NdJson));
        assert_eq!(Format::from_path("old.duckdb"), Some(Format::DuckDb));
        assert_eq!(Format::from_path("x.dat"), None);
        assert_eq!(Format::from_path("README"), None);
    }

    #[test]
    fn parses_every_kind_of_source() {
        let s = sources(
            "[sources.flights]\npath = \"logs/*.csv\"\ncolumns = { dep_delay = \"INTEGER\", t = \"DECIMAL(10, 2)\" }\noptions = { delim = \";\", header = true, skip = 1 }\n\n\
             [sources.recipes]\npath = \"RAW_recipes.csv\"\nreader = \"foodcom\"\n\n\
             [sources.old]\npath = \"old.duckdb\"\n\n[sources.many]\npath = [\"a.json\", \"b.json\"]\nformat = \"ndjson\"\n",
        )
        .unwrap();
        let names: Vec<&str> = s.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["flights", "recipes", "old", "many"], "in the order written");
        assert_eq!(s[0].reader, Reader::DuckDb(Format::Csv));
        assert_eq!(s[0].columns[0].0.value, "dep_delay");
        assert_eq!(s[0].options.len(), 3);
        assert_eq!((s[0].defined_at.line, s[0].defined_at.column), (1, 10));
        assert_eq!(s[3].paths.len(), 2);
        assert_eq!(s[3].reader, Reader::DuckDb(Format::NdJson));
        assert_eq!(s[2].reader, Reader::DuckDb(Format::DuckDb));
        assert_eq!(s[1].reader, Reader::FoodCom);
    }

    #[test]
    fn every_mistake_is_located() {
        let cases = [
            ("[sources.x]\npath = \"a.csv\"\nformat = \"xlsx\"\n", (3, 11), "unknown format `xlsx`"),
            ("[sources.x]\npath = \"a.dat\"\n", (2, 9), "cannot tell the format"),
            ("[sources.quarantine]\npath = \"a.csv\"\n", (1, 10), "taken by a built-in table"),
            ("[sources.\"my table\"]\npath = \"a.csv\"\n", (1, 10), "invalid source name"),
            (
                "[sources.x]\npath = \"a.csv\"\ncolumns = { a = \"INT); DROP TABLE t; --\" }\n",
                (3, 18),
                "is not a DuckDB type",
            ),
            ("[sources.x]\npath = \"a.csv\"\noptions = { store_rejects = false }\n", (3, 13), "set by mangetamain"),
            ("[sources.x]\npath = \"a.csv\"\nreader = \"pandas\"\n", (3, 11), "unknown reader `pandas`"),
            (
                "[sources.x]\npath = \"a.csv\"\nreader = \"foodcom\"\noptions = { delim = \",\" }\n",
                (4, 13),
                "takes no DuckDB options",
            ),
            ("[sources.x]\npath = \"a.duckdb\"\noptions = { delim = \",\" }\n", (3, 13), "takes no reader options"),
            ("[sources.x]\npath = \"\"\n", (2, 9), "empty `path`"),
            ("[sources.x]\npath = \"a.csv\"\nfromat = \"csv\"\n", (3, 1), "unknown field `fromat`"),
            (
                "[sources.recipe_tags]\npath = \"a.csv\"\n[sources.r]\npath = \"b.csv\"\nreader = \"foodcom\"\n",
                (1, 10),
                "derives",
            ),
        ];
        for (text, (line, column), message) in cases {
            let e = sources(text).unwrap_err();
            assert!(e.message.contains(message), "{text}: {}", e.message);
            assert_eq!((e.location.line, e.location.column), (line, column), "{text}: {}", e.message);
        }
    }

    #[test]
    fn type_text_stays_inside_a_cast() {
        for ok in ["INTEGER", "DECIMAL(10,2)", "VARCHAR[]", "STRUCT(a INTEGER, b VARCHAR)", "TIMESTAMP WITH TIME ZONE"]
        {
            assert!(is_type_text(ok), "{ok}");
        }
        for bad in ["", "INT)", "INT) UNION SELECT (1", "INT; DROP", "INT -- x", "'x'", "\"x\"", "INT(", "(("] {
            assert!(!is_type_text(bad), "{bad}");
        }
    }
}
