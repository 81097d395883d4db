//! The Food.com reader: reads the Food.com CSV files (sources with
//! `reader = "foodcom"`) into DuckDB tables with the column types of the
//! report's data contract, and accounts for every row.
//!
//! The files are parsed here, in Rust, not by DuckDB's CSV sniffer: the
//! Python-list columns need a real literal parser ([`pylist`]), dates come in
//! the layouts spreadsheets write ([`date`]), and every row that cannot be
//! stored as typed goes to the `quarantine` table with its file, line, raw
//! text and reason, never silently away. For every file,
//! `rows_read = rows_kept + rows_quarantined`. A source's files are told
//! apart by their header: a recipes file, `RAW_interactions.csv`, or the
//! Kaggle split files of the interactions.
//!
//! Each file is read 8 MiB at a time and hashed as it is read, so memory
//! does not grow with the inputs (a record that runs past a piece is read
//! again with the next, [`records::Splitter::piece`]).
//!
//! The recipes and the interactions are parsed on two threads at once, and
//! each table is stored by DuckDB while they are parsed ([`stream`]), in
//! small row groups so that their compression is spread over the load; the
//! parsing threads yield to the storing ones, and the interactions to the
//! recipes (`priority`), and batches get smaller as a file's end nears, so
//! that little is left to store at the end. The recipes' batches also go to
//! the loaders of the derived tables, which take their rows from them on
//! their own threads: the recipes' parser is the longest task of the load,
//! and does only what nothing else can.
//!
//! Tables (named after their sources, here `recipes` and `interactions`):
//! - `recipes(name, id, minutes, contributor_id, submitted DATE, tags VARCHAR[],
//!   calories, total_fat, sugar, sodium, protein, saturated_fat, carbohydrates DOUBLE,
//!   n_steps, steps VARCHAR[], description, ingredients VARCHAR[], n_ingredients)`
//! - `recipe_tags(recipe_id, tag tag_value)`, `recipe_ingredients(recipe_id,
//!   ingredient ingredient_value)`: one row per recipe and distinct item of its
//!   list, for analyses by tag or ingredient that count recipes. The item
//!   columns are `ENUM`s of every item in sorted order ([`batch::Coded`]),
//!   stored once all recipes are read
//! - `interactions(user_id, recipe_id, date DATE, rating INTEGER, review)`

pub mod batch;
pub mod date;
mod priority;
pub mod pylist;
pub mod records;
pub mod stream;

use crate::error::SourceError;
use crate::ingest::Made;
use crate::ingest::database::Database;
use crate::ingest::files::identifier;
use crate::ingest::inputs::{Dataset, SourceFiles};
use crate::ingest::progress::Progress;
use anyhow::Context;
use batch::Items;
use date::{Parsed, SlashOrder};
use records::{Damage, Span, Splitter};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The header of `RAW_recipes.csv`.
pub const RECIPES_HEADER: [&str; 12] = [
    "name",
    "id",
    "minutes",
    "contributor_id",
    "submitted",
    "tags",
    "nutrition",
    "n_steps",
    "steps",
    "description",
    "ingredients",
    "n_ingredients",
];
/// The header of `RAW_interactions.csv`.
pub const INTERACTIONS_HEADER: [&str; 5] = ["user_id", "recipe_id", "date", "rating", "review"];
/// The header of the Kaggle split files.
pub const SPLIT_HEADER: [&str; 6] = ["user_id", "recipe_id", "date", "rating", "u", "i"];

/// The most fields a record of any input has.
const MAX_FIELDS: usize = RECIPES_HEADER.len();
const _: () = assert!(INTERACTIONS_HEADER.len() <= MAX_FIELDS && SPLIT_HEADER.len() <= MAX_FIELDS);

/// The names of the seven `nutrition` values, in file order.
pub const NUTRIENTS: [&str; 7] =
    ["calories", "total_fat", "sugar", "sodium", "protein", "saturated_fat", "carbohydrates"];

/// The columns of the recipes table.
const RECIPES_COLUMNS: &str = "name VARCHAR, id BIGINT, minutes BIGINT, contributor_id BIGINT, submitted DATE, \
    tags VARCHAR[], calories DOUBLE, total_fat DOUBLE, sugar DOUBLE, sodium DOUBLE, protein DOUBLE, \
    saturated_fat DOUBLE, carbohydrates DOUBLE, n_steps BIGINT, steps VARCHAR[], description VARCHAR, \
    ingredients VARCHAR[], n_ingredients BIGINT";

/// The columns of the interactions table.
const INTERACTIONS_COLUMNS: &str = "user_id BIGINT, recipe_id BIGINT, date DATE, rating INTEGER, review VARCHAR";

/// The tables ingest fills from the files as it reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    Recipes,
    Interactions,
}

/// The tables derived from the recipes' `tags` and `ingredients` lists:
/// name, columns, the name of the `ENUM` type of the item column, and the
/// list column of `recipes` they come from. Their loaders take their rows
/// from the recipes' batches as they are parsed, and store them once all
/// recipes are read, when all their items are known ([`batch::Coded`]).
const DERIVED: [(&str, [&str; 3], usize); 2] = [
    ("recipe_tags", ["recipe_id", "tag", "tag_value"], 5),
    ("recipe_ingredients", ["recipe_id", "ingredient", "ingredient_value"], 16),
];

/// The column of `recipes` that holds the id.
const RECIPE_ID: usize = 1;

impl Table {
    const ALL: [Table; 2] = [Table::Recipes, Table::Interactions];

    /// What its files hold, for messages.
    fn what(self) -> &'static str {
        match self {
            Table::Recipes => "recipes",
            Table::Interactions => "interactions",
        }
    }

    fn columns_sql(self) -> &'static str {
        match self {
            Table::Recipes => RECIPES_COLUMNS,
            Table::Interactions => INTERACTIONS_COLUMNS,
        }
    }

    fn columns(self) -> &'static [batch::Col] {
        use batch::Col::*;
        match self {
            Table::Recipes => &[
                Text, BigInt, BigInt, BigInt, Date, List, Double, Double, Double, Double, Double, Double, Double,
                BigInt, List, Text, List, BigInt,
            ],
            Table::Interactions => &[BigInt, BigInt, Date, Int, Text],
        }
    }
}

/// Why a row was quarantined. The names are stable: they appear in the
/// `quarantine` table, the log and the data-quality page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    /// Not as many fields as the header.
    ColumnCount,
    /// A quoted field that never closes.
    UnterminatedQuote,
    /// Text right after a closing quote.
    StrayQuote,
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// An integer field that is not an integer.
    NotANumber,
    /// A rating outside 0..5.
    RatingOutOfRange,
    /// A date that cannot be read (or only guessed).
    UnreadableDate,
    /// A Python-list column that is not a list literal.
    BadList,
    /// A recipe id seen before in the file.
    DuplicateId,
}

impl Reason {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::ColumnCount => "column_count",
            Reason::UnterminatedQuote => "unterminated_quote",
            Reason::StrayQuote => "stray_quote",
            Reason::InvalidUtf8 => "invalid_utf8",
            Reason::NotANumber => "not_a_number",
            Reason::RatingOutOfRange => "rating_out_of_range",
            Reason::UnreadableDate => "unreadable_date",
            Reason::BadList => "bad_list",
            Reason::DuplicateId => "duplicate_id",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Recipes,
    Interactions,
    SplitInteractions,
}

impl Kind {
    fn header(self) -> &'static [&'static str] {
        match self {
            Kind::Recipes => &RECIPES_HEADER,
            Kind::Interactions => &INTERACTIONS_HEADER,
            Kind::SplitInteractions => &SPLIT_HEADER,
        }
    }

    fn table(self) -> Table {
        match self {
            Kind::Recipes => Table::Recipes,
            _ => Table::Interactions,
        }
    }

    /// The column holding the row's date.
    fn date_column(self) -> &'static str {
        match self {
            Kind::Recipes => "submitted",
            _ => "date",
        }
    }
}

struct Input {
    path: PathBuf,
    file: String,
    source: String,
    /// The table its rows go to.
    table: String,
    kind: Kind,
}

fn int(field: &str, name: &str) -> Result<i64, (Reason, String)> {
    // plain digits, the files' own form, without the general path's trimming
    // and splitting (18 digits cannot overflow)
    let b = field.as_bytes();
    if !b.is_empty() && b.len() <= 18 && b.iter().all(u8::is_ascii_digit) {
        return Ok(b.iter().fold(0, |n, &d| n * 10 + i64::from(d - b'0')));
    }
    let t = field.trim();
    // spreadsheets may re-save integers as `38.0`
    let t = match t.split_once('.') {
        Some((i, frac)) if !frac.is_empty() && frac.bytes().all(|b| b == b'0') => i,
        _ => t,
    };
    t.parse().map_err(|_| (Reason::NotANumber, format!("`{name}` must be an integer, found `{}`", clip(field))))
}

fn clip(s: &str) -> String {
    if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s.to_string() }
}

/// Parses a Python list of strings into `items`.
fn list_into(field: &str, name: &str, items: &mut Items) -> Result<(), (Reason, String)> {
    items.parse(field).map_err(|e| (Reason::BadList, format!("`{name}`: {e}")))
}

/// The parts of an ambiguous slash date: `a/b/year`.
type SlashParts = (u32, u32, i32);

fn days(d: chrono::NaiveDate) -> i32 {
    crate::table::days_from_1970(d)
}

/// Parses a date field into days since 1970; a slash date in a file whose
/// order is not decided yet gives `None` and its parts.
fn date_field(
    field: &str,
    name: &str,
    order: SlashOrder,
) -> Result<(Option<i32>, Option<SlashParts>), (Reason, String)> {
    match date::parse(field, order) {
        Ok(Parsed::Date(d)) => Ok((Some(days(d)), None)),
        Ok(Parsed::Slash(a, b, y)) => Ok((None, Some((a, b, y)))),
        Err(e) => Err((Reason::UnreadableDate, format!("`{name}`: {e}"))),
    }
}

/// One row of `RAW_recipes.csv`, parsed.
#[derive(Debug, Clone, Default)]
struct Recipe {
    name: String,
    id: i64,
    minutes: i64,
    contributor_id: i64,
    submitted: Option<i32>,
    tags: Items,
    nutrition: [f64; 7],
    n_steps: i64,
    steps: Items,
    description: String,
    ingredients: Items,
    n_ingredients: i64,
}

/// One row of an interactions file, parsed.
#[derive(Debug, Clone, Default)]
struct Interaction {
    user_id: i64,
    recipe_id: i64,
    date: Option<i32>,
    rating: i32,
    /// `None` in the split files, which have no review.
    review: Option<String>,
}

/// A parsed row; rows are parsed into one reused value of each kind.
#[derive(Debug, Clone)]
enum Row {
    Recipe(Box<Recipe>),
    Interaction(Interaction),
}

impl Row {
    fn set_date(&mut self, days: i32) {
        match self {
            Row::Recipe(r) => r.submitted = Some(days),
            Row::Interaction(i) => i.date = Some(days),
        }
    }
}

/// Where a record is: its line, and its raw bytes for the quarantine.
#[derive(Clone, Copy)]
struct At<'p> {
    line: u64,
    raw: &'p [u8],
}

impl<'p> At<'p> {
    /// The record of `span` in `piece`, its raw text cut at 4 KiB.
    fn of(span: Span, piece: &'p [u8]) -> At<'p> {
        At { line: span.line, raw: &piece[span.start..span.end.min(span.start + 4096)] }
    }
}

/// A quarantined row, sent to the thread that writes the `quarantine` table.
struct Reject {
    file: String,
    line: u64,
    reason: Reason,
    detail: String,
    raw: String,
}

/// Where a table's batches go: the channel read by its loading statement.
type Sink = std::sync::mpsc::SyncSender<duckdb::arrow::record_batch::RecordBatch>;

/// A table and where its batches go: its loader, and for the recipes, the
/// loaders of the tables derived from them.
type Sinks = (Table, Vec<Sink>);

/// The parsing side of a file's ingest: it decides what is kept and what is
/// quarantined, and sends both to the storing side, so parsing and storing
/// run at once.
struct Loader<'d> {
    file: &'d str,
    /// The file, read once more to decide its slash-date order when it has slash dates.
    input: &'d Input,
    rejects: std::sync::mpsc::SyncSender<Reject>,
    /// The file's table.
    batch: (Table, batch::Batch, Vec<Sink>),
    /// Rows per batch ([`Loader::size_batches`]).
    batch_rows: usize,
    order: SlashOrder,
    stats: Dataset,
}

impl Loader<'_> {
    fn send_batch(&mut self, line: u64) -> anyhow::Result<()> {
        let (table, batch, sinks) = &mut self.batch;
        let taken = batch.take().with_context(|| format!("{}:{line}: cannot store the rows", self.file))?;
        if let Some(b) = taken {
            for sink in sinks.iter() {
                // the storing side stopped: its own error is the one reported
                // (a record batch's clone shares its buffers)
                sink.send(b.clone())
                    .map_err(|_| anyhow::anyhow!("{}: ingest stopped (`{}`)", self.file, table.what()))?;
            }
        }
        Ok(())
    }

    fn keep(&mut self, row: &Row, line: u64) -> anyhow::Result<()> {
        match row {
            Row::Recipe(r) => self.keep_recipe(r),
            Row::Interaction(i) => self.keep_interaction(i),
        }
        self.stats.rows_kept += 1;
        if self.batch.1.len() >= self.batch_rows {
            self.send_batch(line)?;
        }
        Ok(())
    }

    /// Sizes the next batches for the rest of the file: [`batch::ROWS`]
    /// rows, down to a quarter of the rows left as the end nears, so that
    /// the storing side is not left with a large batch when parsing ends.
    fn size_batches(&mut self, bytes_read: u64, bytes_left: u64) {
        self.batch_rows = batch_rows(self.stats.rows_read, bytes_read, bytes_left);
    }

    fn keep_recipe(&mut self, r: &Recipe) {
        let main = &mut self.batch.1;
        main.text(Some(&r.name))
            .big_int(Some(r.id))
            .big_int(Some(r.minutes))
            .big_int(Some(r.contributor_id))
            .date(r.submitted)
            .list(&r.tags);
        for v in r.nutrition {
            main.double(Some(v));
        }
        main.big_int(Some(r.n_steps))
            .list(&r.steps)
            .text(Some(&r.description))
            .list(&r.ingredients)
            .big_int(Some(r.n_ingredients))
            .end_row();
    }

    fn keep_interaction(&mut self, i: &Interaction) {
        let main = &mut self.batch.1;
        main.big_int(Some(i.user_id))
            .big_int(Some(i.recipe_id))
            .date(i.date)
            .int(Some(i.rating))
            .text(i.review.as_deref())
            .end_row();
    }

    fn reject(&mut self, at: At<'_>, reason: Reason, detail: &str) -> anyhow::Result<()> {
        let reject = Reject {
            file: self.file.to_string(),
            line: at.line,
            reason,
            detail: detail.to_string(),
            raw: String::from_utf8_lossy(at.raw).into_owned(),
        };
        self.rejects.send(reject).map_err(|_| anyhow::anyhow!("{}: ingest stopped (`quarantine`)", self.file))?;
        self.stats.rows_quarantined += 1;
        *self.stats.reasons.entry(reason.as_str().to_string()).or_default() += 1;
        Ok(())
    }

    /// Keeps a parsed row whose date is a slash date `parts` (`a/b/year`),
    /// once the file's order is decided: by all its unambiguous slash
    /// dates, read the first time one is met ([`slash_votes`]).
    fn accept(&mut self, row: &Row, at: At<'_>, slash: Option<SlashParts>) -> anyhow::Result<()> {
        let Some((a, b, y)) = slash else { return self.keep(row, at.line) };
        if self.order == SlashOrder::Unknown {
            let (day_first, month_first) = slash_votes(self.input)?;
            self.order = date::decide(day_first, month_first);
            tracing::debug!(file = self.file, day_first, month_first, order = ?self.order, "slash dates");
        }
        let mut row = row.clone();
        match date::resolve(a, b, y, self.order) {
            Ok(d) => row.set_date(days(d)),
            Err(e) => return self.reject(at, Reason::UnreadableDate, &e),
        }
        self.keep(&row, at.line)
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        self.send_batch(0)
    }
}

/// Reads the Food.com sources `groups` into their tables (and the tables
/// derived from the recipes): at most one source of recipes files and one
/// of interactions files, each file told apart by its header.
pub fn read(
    db: &Database,
    conn: &duckdb::Connection,
    groups: &[&SourceFiles],
    progress: &Progress,
) -> anyhow::Result<Vec<Made>> {
    let mut inputs = Vec::new();
    let mut tables: [Option<&SourceFiles>; 2] = [None, None];
    for g in groups {
        for f in &g.files {
            let kind = sniff(&f.path, &f.file)?;
            let table = kind.table();
            let slot = &mut tables[Table::ALL.iter().position(|t| *t == table).unwrap_or_default()];
            match slot {
                Some(other) if other.source.name != g.source.name => {
                    return Err(SourceError::new(
                        g.source.defined_at.clone(),
                        format!(
                            "sources `{}` and `{}` both hold Food.com {}: the reader fills one table of them",
                            other.source.name,
                            g.source.name,
                            table.what()
                        ),
                    )
                    .into());
                }
                _ => *slot = Some(g),
            }
            inputs.push(Input {
                path: f.path.clone(),
                file: f.file.clone(),
                source: g.source.name.clone(),
                table: g.source.name.clone(),
                kind,
            });
        }
    }
    for g in groups {
        let own: Vec<Table> = inputs.iter().filter(|i| i.source == g.source.name).map(|i| i.kind.table()).collect();
        if own.iter().any(|t| *t != own[0]) {
            return Err(SourceError::new(
                g.source.defined_at.clone(),
                format!(
                    "source `{}` mixes Food.com recipes and interactions files: give each its own source",
                    g.source.name
                ),
            )
            .into());
        }
    }
    let names = tables.map(|t| t.map(|g| g.source.name.clone()));
    let mut sql = String::new();
    for (table, name) in Table::ALL.iter().zip(&names) {
        if let Some(name) = name {
            sql.push_str(&format!("CREATE TABLE {} ({});\n", identifier(name), table.columns_sql()));
        }
    }
    conn.execute_batch(&sql).context("cannot create the tables")?;
    let datasets = load_all(db, conn, &inputs, &names, progress)?;
    let mut made = Vec::new();
    for g in groups {
        let datasets: Vec<Dataset> = datasets.iter().filter(|d| d.source == g.source.name).cloned().collect();
        let recipes = names[0].as_deref() == Some(g.source.name.as_str());
        let (tables, types) = if recipes {
            (
                std::iter::once(g.source.name.clone()).chain(DERIVED.iter().map(|d| d.0.to_string())).collect(),
                DERIVED.iter().map(|d| d.1[2].to_string()).collect(),
            )
        } else {
            (vec![g.source.name.clone()], Vec::new())
        };
        made.push(Made { source: g.source.name.clone(), datasets, tables, types });
    }
    Ok(made)
}

/// The kind of a Food.com file, by its header.
fn sniff(path: &Path, file: &str) -> anyhow::Result<Kind> {
    let cannot_read = || format!("cannot read input file `{}`", path.display());
    let mut pieces = Pieces::open(path).with_context(cannot_read)?;
    loop {
        pieces.fill().with_context(cannot_read)?;
        let mut splitter = Splitter::piece(pieces.unread(), pieces.line, pieces.at_end);
        let mut fields: Vec<Cow<'_, [u8]>> = Vec::new();
        let found: Vec<String> = match splitter.next_record(&mut fields) {
            Some(Ok(_)) => fields.iter().map(|f| String::from_utf8_lossy(f).trim().to_string()).collect(),
            Some(Err(_)) => anyhow::bail!("{}:1: cannot read the header line", path.display()),
            // a header longer than a piece: read on
            None if splitter.needs_more() && !pieces.at_end => continue,
            None => anyhow::bail!("input file `{}` is empty", path.display()),
        };
        for kind in [Kind::Recipes, Kind::Interactions, Kind::SplitInteractions] {
            if found == kind.header() {
                return Ok(kind);
            }
        }
        let expected =
            if file.to_ascii_lowercase().contains("recipe") { &RECIPES_HEADER[..] } else { &INTERACTIONS_HEADER[..] };
        anyhow::bail!(
            "{}:1: expected the header `{}`, found `{}` (a Food.com recipes file starts `{}`, an interactions file `{}` or `{}`)",
            path.display(),
            expected.join(","),
            found.join(","),
            RECIPES_HEADER.join(","),
            INTERACTIONS_HEADER.join(","),
            SPLIT_HEADER.join(",")
        );
    }
}

/// Reads every input into its tables: the recipes file and the
/// interactions files are parsed on two threads at once, and each table is
/// stored by its own statement while they parse (see [`stream`]); this
/// thread writes the quarantine. Datasets come back in input order.
fn load_all(
    db: &Database,
    conn: &duckdb::Connection,
    inputs: &[Input],
    names: &[Option<String>; 2],
    progress: &Progress,
) -> anyhow::Result<Vec<Dataset>> {
    let mut quarantine = conn.appender("quarantine").context("cannot append to `quarantine`")?;
    let (reject_tx, reject_rx) = std::sync::mpsc::sync_channel::<Reject>(256);
    let mut sinks = Vec::new();
    let mut sources = Vec::new();
    for (table, name) in Table::ALL.into_iter().zip(names) {
        let (tx, rx) = std::sync::mpsc::sync_channel(2);
        sinks.push(tx);
        if let Some(name) = name {
            sources.push((table, name.as_str(), rx));
        }
    }
    // the recipes' batches also go to the loaders of the derived tables,
    // which take their rows from them while the parser goes on
    let derive = names[0].is_some();
    let (derived_tx, derived_rx): (Vec<_>, Vec<_>) =
        DERIVED.iter().filter(|_| derive).map(|_| std::sync::mpsc::sync_channel(2)).unzip();
    let sink = |table: Table| sinks[Table::ALL.iter().position(|t| *t == table).unwrap_or_default()].clone();
    // the files one thread parses, in order, and where its batches go
    let groups: Vec<(Vec<&Input>, Sinks)> = [
        (
            inputs.iter().filter(|i| i.kind == Kind::Recipes).collect::<Vec<_>>(),
            (Table::Recipes, std::iter::once(sink(Table::Recipes)).chain(derived_tx).collect()),
        ),
        (
            inputs.iter().filter(|i| i.kind != Kind::Recipes).collect(),
            (Table::Interactions, vec![sink(Table::Interactions)]),
        ),
    ]
    .into_iter()
    .filter(|(files, _)| !files.is_empty())
    .collect();
    drop(sinks);
    let (parsed, loaded, quarantined) = std::thread::scope(|scope| {
        let mut loaders: Vec<_> = sources
            .into_iter()
            .map(|(table, name, rx)| {
                let schema = batch::Batch::new(table.columns()).schema();
                std::thread::Builder::new().name(format!("load {name}")).spawn_scoped(scope, move || {
                    priority::lower_this_thread(match table {
                        Table::Recipes => priority::yields::STORE_RECIPES,
                        Table::Interactions => priority::yields::STORE_INTERACTIONS,
                    });
                    db.load(name, schema, stream::from_channel(rx))?;
                    tracing::debug!(table = name, "table stored");
                    Ok(())
                })
            })
            .collect();
        for ((table, columns, list), rx) in DERIVED.iter().zip(derived_rx) {
            loaders.push(std::thread::Builder::new().name(format!("load {table}")).spawn_scoped(scope, move || {
                priority::lower_this_thread(priority::yields::DERIVED);
                // the items are known once all recipes are read
                let mut coded = batch::Coded::default();
                for b in rx {
                    coded
                        .add_lists(b.column(RECIPE_ID), b.column(*list))
                        .map_err(|e| anyhow::anyhow!("`{table}`: {e}"))?;
                }
                db.load_coded(table, *columns, &coded.sorted())?;
                tracing::debug!(table, "table stored");
                Ok(())
            }));
        }
        let parsers: Vec<_> = groups
            .into_iter()
            .map(|(files, sinks)| {
                let rejects = reject_tx.clone();
                let name = files.first().map_or_else(String::new, |i| format!("parse {}", i.file));
                // storing must keep pace with parsing, and the recipes come
                // first (see `priority`)
                let lower = if files.iter().any(|i| i.kind == Kind::Recipes) {
                    priority::yields::PARSE_RECIPES
                } else {
                    priority::yields::PARSE_INTERACTIONS
                };
                std::thread::Builder::new().name(name).spawn_scoped(scope, move || {
                    priority::lower_this_thread(lower);
                    files.into_iter().map(|input| load(input, &sinks, rejects.clone(), progress)).collect::<Vec<_>>()
                })
            })
            .collect();
        drop(reject_tx);
        let quarantined = (|| -> anyhow::Result<()> {
            for Reject { file, line, reason, detail, raw } in reject_rx {
                quarantine
                    .append_row(duckdb::params![file, line as i64, None::<String>, reason.as_str(), detail, raw])
                    .with_context(|| format!("cannot write the quarantine of `{file}`"))?;
            }
            quarantine.flush().context("cannot write the quarantine")
        })();
        let parsed: Vec<anyhow::Result<Dataset>> = parsers
            .into_iter()
            .flat_map(|p| match p {
                Ok(p) => p.join().unwrap_or_else(|_| vec![Err(anyhow::anyhow!("a parser stopped"))]),
                Err(e) => vec![Err(anyhow::anyhow!("cannot start a parser: {e}"))],
            })
            .collect();
        let loaded: anyhow::Result<Vec<()>> = loaders
            .into_iter()
            .map(|l| match l {
                Ok(l) => l.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a loader stopped"))),
                Err(e) => Err(anyhow::anyhow!("cannot start a loader: {e}")),
            })
            .collect();
        (parsed, loaded, quarantined)
    });
    loaded?;
    quarantined?;
    parsed.into_iter().collect()
}

/// The rows of the next batches, once `rows` rows of a file were read in
/// `bytes_read` bytes and `bytes_left` bytes are left: a quarter of the rows
/// left, estimated from the rows so far, between [`batch::MIN_ROWS`] and
/// [`batch::ROWS`].
fn batch_rows(rows: u64, bytes_read: u64, bytes_left: u64) -> usize {
    let rows_left = bytes_left as u128 * rows.max(1) as u128 / bytes_read.max(1) as u128;
    usize::try_from(rows_left / 4).unwrap_or(usize::MAX).clamp(batch::MIN_ROWS, batch::ROWS)
}

/// Bytes read from an input file at a time.
#[cfg(not(test))]
const PIECE: usize = 8 << 20;
/// Unit tests read their inputs in many small pieces, so that records and
/// headers run past pieces everywhere.
#[cfg(test)]
const PIECE: usize = 61;

/// An input file read a piece at a time, so that memory does not grow with
/// the file: each read appends to what the last piece left unread (a
/// record that ran past it), and every byte is hashed as it is read.
struct Pieces {
    file: std::fs::File,
    buf: Vec<u8>,
    /// Where the unread part of `buf` starts.
    start: usize,
    /// The line on which it starts.
    line: u64,
    /// Bytes of the file before `buf`.
    base: u64,
    at_end: bool,
    hasher: blake3::Hasher,
    /// The file's size when opened.
    len: u64,
}

impl Pieces {
    fn open(path: &Path) -> std::io::Result<Pieces> {
        let file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        let buf = Vec::with_capacity(PIECE);
        Ok(Pieces { file, buf, start: 0, line: 1, base: 0, at_end: false, hasher: blake3::Hasher::new(), len })
    }

    /// Drops what was read, then reads up to [`PIECE`] more bytes.
    fn fill(&mut self) -> std::io::Result<()> {
        use std::io::Read;
        self.base += self.start as u64;
        self.buf.drain(..self.start);
        self.start = 0;
        let old = self.buf.len();
        let n = (&mut self.file).take(PIECE as u64).read_to_end(&mut self.buf)?;
        self.hasher.update(&self.buf[old..]);
        if n < PIECE {
            self.at_end = true;
        }
        if self.base == 0 && old == 0 && self.buf.starts_with(records::BOM) {
            self.start = records::BOM.len();
        }
        Ok(())
    }

    /// The unread part.
    fn unread(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

/// Reads one file and sends its rows and rejects to the storing side.
fn load(
    input: &Input,
    sinks: &Sinks,
    rejects: std::sync::mpsc::SyncSender<Reject>,
    progress: &Progress,
) -> anyhow::Result<Dataset> {
    let started = Instant::now();
    let path = &input.path;
    let cannot_read = || format!("cannot read input file `{}`", path.display());
    let mut pieces = Pieces::open(path).with_context(cannot_read)?;
    let mut loader = Loader {
        file: &input.file,
        input,
        rejects,
        batch: (sinks.0, batch::Batch::new(sinks.0.columns()), sinks.1.clone()),
        batch_rows: batch::ROWS,
        order: SlashOrder::Unknown,
        stats: Dataset {
            file: input.file.clone(),
            source: input.source.clone(),
            table: input.table.clone(),
            rows_read: 0,
            rows_kept: 0,
            rows_quarantined: 0,
            reasons: BTreeMap::new(),
            bytes: 0,
            blake3: String::new(),
        },
    };
    let mut state = FileState::new(input.kind);
    let mut header_read = false;
    loop {
        pieces.fill().with_context(cannot_read)?;
        let piece = pieces.unread();
        let mut splitter = Splitter::piece(piece, pieces.line, pieces.at_end);
        if !header_read {
            let mut fields: Vec<Cow<'_, [u8]>> = Vec::new();
            let found: Vec<String> = match splitter.next_record(&mut fields) {
                Some(Ok(_)) => fields.iter().map(|f| String::from_utf8_lossy(f).trim().to_string()).collect(),
                Some(Err(_)) => anyhow::bail!("{}:1: cannot read the header line", path.display()),
                None if splitter.needs_more() => continue,
                None => anyhow::bail!("input file `{}` is empty", path.display()),
            };
            let expected = input.kind.header();
            if found != expected {
                anyhow::bail!(
                    "{}:1: expected the header `{}`, found `{}`",
                    path.display(),
                    expected.join(","),
                    found.join(",")
                );
            }
            header_read = true;
        }
        let at = pieces.base + pieces.start as u64;
        loader.size_batches(at, pieces.len.saturating_sub(at));
        parse(&mut loader, &mut state, &mut splitter, piece, at, progress)?;
        let (consumed, line) = (splitter.consumed(), splitter.line());
        pieces.start += consumed;
        pieces.line = line;
        if pieces.at_end {
            break;
        }
    }
    loader.finish()?;
    loader.stats.bytes = pieces.base + pieces.buf.len() as u64;
    progress.advance(loader.stats.bytes - state.reported, loader.stats.rows_read % FileState::STEP);
    let mut stats = loader.stats;
    stats.blake3 = pieces.hasher.finalize().to_hex().to_string();
    if stats.rows_read == 0 {
        tracing::warn!(file = %stats.file, "the file has a header and no rows: its table is empty");
    }
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(
        file = %stats.file,
        rows = stats.rows_kept,
        quarantined = stats.rows_quarantined,
        seconds = format!("{secs:.2}"),
        mb_per_s = format!("{:.0}", stats.bytes as f64 / 1e6 / secs.max(1e-9)),
        "ingested"
    );
    Ok(stats)
}

/// The votes of a file's unambiguous slash dates, read in one pass over the
/// file: (day first, month first). Only the date column is looked at.
fn slash_votes(input: &Input) -> anyhow::Result<(u64, u64)> {
    let path = &input.path;
    let cannot_read = || format!("cannot read input file `{}`", path.display());
    let column = input.kind.header().iter().position(|h| *h == input.kind.date_column()).unwrap_or(0);
    let width = input.kind.header().len();
    let mut pieces = Pieces::open(path).with_context(cannot_read)?;
    let (mut day_first, mut month_first) = (0, 0);
    let mut header = true;
    loop {
        pieces.fill().with_context(cannot_read)?;
        let (consumed, line) = {
            let mut fields: Vec<Cow<'_, [u8]>> = Vec::new();
            let mut splitter = Splitter::piece(pieces.unread(), pieces.line, pieces.at_end);
            while let Some(record) = splitter.next_record(&mut fields) {
                if std::mem::take(&mut header) || record.is_err() || fields.len() != width {
                    continue;
                }
                match std::str::from_utf8(&fields[column]).ok().and_then(date::vote) {
                    Some(SlashOrder::DayFirst) => day_first += 1,
                    Some(SlashOrder::MonthFirst) => month_first += 1,
                    _ => {}
                }
            }
            (splitter.consumed(), splitter.line())
        };
        pieces.start += consumed;
        pieces.line = line;
        if pieces.at_end {
            return Ok((day_first, month_first));
        }
    }
}

/// What parsing a file keeps from one piece to the next.
struct FileState {
    kind: Kind,
    /// Recipe ids already kept, with their line.
    seen_ids: foldhash::HashMap<i64, u64>,
    /// The row being parsed (its buffers are reused).
    row: Row,
    /// Bytes already counted in the progress bar.
    reported: u64,
}

impl FileState {
    /// Rows between two updates of the progress bar.
    const STEP: u64 = 8192;

    fn new(kind: Kind) -> FileState {
        let row = match kind {
            Kind::Recipes => Row::Recipe(Box::default()),
            _ => Row::Interaction(Interaction::default()),
        };
        FileState { kind, seen_ids: foldhash::HashMap::default(), row, reported: 0 }
    }
}

/// The parsing side: reads the records of one piece of a file (`piece`,
/// which starts `base` bytes into the file).
fn parse<'p>(
    loader: &mut Loader<'_>,
    state: &mut FileState,
    splitter: &mut Splitter<'p>,
    piece: &'p [u8],
    base: u64,
    progress: &Progress,
) -> anyhow::Result<()> {
    let kind = state.kind;
    let expected = kind.header();
    let mut fields: Vec<Cow<'p, [u8]>> = Vec::new();
    // UTF-8 is checked for the whole piece at once (a piece may end inside
    // a character: that record is read again with the next piece); only the
    // records after an invalid byte are checked field by field
    let valid = std::str::from_utf8(piece).map_or_else(|e| e.valid_up_to(), |_| piece.len());
    while let Some(record) = splitter.next_record(&mut fields) {
        loader.stats.rows_read += 1;
        if loader.stats.rows_read.is_multiple_of(FileState::STEP) {
            let at = base + record.map_or_else(|(s, _)| s.end, |s| s.end) as u64;
            progress.advance(at - state.reported, FileState::STEP);
            state.reported = at;
        }
        let span = match record {
            Ok(span) => span,
            Err((span, damage)) => {
                let (reason, detail) = match damage {
                    Damage::UnterminatedQuote => (Reason::UnterminatedQuote, "a quoted field is never closed"),
                    Damage::StrayQuote => (Reason::StrayQuote, "text follows a closing quote"),
                };
                loader.reject(At::of(span, piece), reason, detail)?;
                continue;
            }
        };
        let at = At::of(span, piece);
        if fields.len() != expected.len() {
            let detail = format!("expected {} fields, found {}", expected.len(), fields.len());
            loader.reject(at, Reason::ColumnCount, &detail)?;
            continue;
        }
        let mut text = [""; MAX_FIELDS];
        let mut utf8_error = None;
        let checked = if span.end <= valid {
            for (t, f) in text.iter_mut().zip(fields.iter()) {
                // SAFETY: the record lies in the valid prefix of the piece,
                // and its fields are cut out of it at ASCII bytes (`,`, `"`,
                // line ends), which are character boundaries; a field
                // unescaped from `""` is the same text without some `"` bytes
                *t = unsafe { std::str::from_utf8_unchecked(f) };
            }
            fields.len()
        } else {
            0
        };
        for (i, f) in fields.iter().enumerate().skip(checked) {
            match std::str::from_utf8(f) {
                Ok(s) => text[i] = s,
                Err(e) => {
                    utf8_error = Some(format!("`{}` is not valid UTF-8 (byte {})", expected[i], e.valid_up_to()));
                    break;
                }
            }
        }
        if let Some(detail) = utf8_error {
            loader.reject(at, Reason::InvalidUtf8, &detail)?;
            continue;
        }
        let text = &text[..fields.len()];
        let parsed = match &mut state.row {
            Row::Recipe(r) => recipe_row(text, loader.order, r),
            Row::Interaction(i) => interaction_row(text, loader.order, kind, i),
        };
        match parsed {
            Ok(ambiguous) => {
                if let Row::Recipe(r) = &state.row {
                    if let Some(first) = state.seen_ids.get(&r.id) {
                        let detail = format!("recipe id {} is already on line {first}", r.id);
                        loader.reject(at, Reason::DuplicateId, &detail)?;
                        continue;
                    }
                    state.seen_ids.insert(r.id, span.line);
                }
                loader.accept(&state.row, at, ambiguous)?;
            }
            Err((reason, detail)) => loader.reject(at, reason, &detail)?,
        }
    }
    Ok(())
}

/// Parses the fields of a recipes row into `out`; gives the parts of an
/// ambiguous `submitted` date.
fn recipe_row(r: &[&str], order: SlashOrder, out: &mut Recipe) -> Result<Option<SlashParts>, (Reason, String)> {
    let nutrition = pylist::parse_floats(r[6]).map_err(|e| (Reason::BadList, format!("`nutrition`: {e}")))?;
    out.nutrition = nutrition
        .try_into()
        .map_err(|v: Vec<f64>| (Reason::BadList, format!("`nutrition` must hold 7 numbers, found {}", v.len())))?;
    let (submitted, ambiguous) = date_field(r[4], "submitted", order)?;
    out.submitted = submitted;
    out.id = int(r[1], "id")?;
    out.minutes = int(r[2], "minutes")?;
    out.contributor_id = int(r[3], "contributor_id")?;
    list_into(r[5], "tags", &mut out.tags)?;
    out.n_steps = int(r[7], "n_steps")?;
    list_into(r[8], "steps", &mut out.steps)?;
    list_into(r[10], "ingredients", &mut out.ingredients)?;
    out.n_ingredients = int(r[11], "n_ingredients")?;
    out.name.clear();
    out.name.push_str(r[0]);
    out.description.clear();
    out.description.push_str(r[9]);
    Ok(ambiguous)
}

/// Parses the fields of an interactions row into `out`; gives the parts of
/// an ambiguous date.
fn interaction_row(
    r: &[&str],
    order: SlashOrder,
    kind: Kind,
    out: &mut Interaction,
) -> Result<Option<SlashParts>, (Reason, String)> {
    let rating = int(r[3], "rating")?;
    if !(0..=5).contains(&rating) {
        return Err((Reason::RatingOutOfRange, format!("`rating` must be 0..5, found {rating}")));
    }
    let (date, ambiguous) = date_field(r[2], "date", order)?;
    out.user_id = int(r[0], "user_id")?;
    out.recipe_id = int(r[1], "recipe_id")?;
    out.date = date;
    out.rating = rating as i32;
    if kind == Kind::Interactions {
        let review = out.review.get_or_insert_with(String::new);
        review.clear();
        review.push_str(r[4]);
    } else {
        out.review = None;
    }
    Ok(ambiguous)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::ingest::{INTERACTIONS_FILE, IngestOptions, RECIPES_FILE, run};

    const RECIPES_HEAD: &str =
        "name,id,minutes,contributor_id,submitted,tags,nutrition,n_steps,steps,description,ingredients,n_ingredients\n";

    /// The two Food.com sources of the default report.
    fn sources() -> Vec<crate::sources::Source> {
        let text = "[sources.recipes]\npath = \"RAW_recipes.csv\"\nreader = \"foodcom\"\n\n\
                    [sources.interactions]\npath = \"RAW_interactions.csv\"\nreader = \"foodcom\"\n";
        crate::config::Config::parse(&format!("title = \"T\"\n{text}"), Path::new("content/site.toml")).unwrap().sources
    }

    fn opts(dir: &Path) -> IngestOptions {
        let mut o = IngestOptions::new(sources(), dir, dir.join("x.duckdb"));
        o.progress = false;
        o
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn loads_quoted_multiline_and_lists() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            RECIPES_FILE,
            &format!(
                "{RECIPES_HEAD}a  b,38,2147483647,1,2005-01-02,\"['x', \"\"it's\"\"]\",\"[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.5]\",1,['s'],\"two\nlines\",\"['salt, pepper']\",1\n\
                 ,39,0,2,2006-01-02,[],\"[0.0, 0, 0, 0, 0, 0, 0]\",0,[],,[],0\n"
            ),
        );
        write(
            dir.path(),
            INTERACTIONS_FILE,
            "user_id,recipe_id,date,rating,review\n1,38,2008-03-01,0,\"a, \"\"b\"\"\nc\"\n2,999,2009-01-01,5,\n",
        );
        let out = run(&opts(dir.path())).unwrap();
        assert!(!out.skipped);
        assert_eq!(out.datasets[0].rows_read, 2);
        assert_eq!(out.datasets[1].rows_kept, 2);
        assert_eq!(out.datasets[0].blake3.len(), 64);
        let conn = duckdb::Connection::open(dir.path().join("x.duckdb")).unwrap();
        let (name, tag, n, carbs): (String, String, i64, f64) = conn
            .query_row("select name, tags[2], len(ingredients), carbohydrates from recipes where id = 38", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!((name.as_str(), tag.as_str(), n, carbs), ("a  b", "it's", 1, 7.5));
        let empty: i64 = conn.query_row("select len(tags) from recipes where id = 39", [], |r| r.get(0)).unwrap();
        assert_eq!(empty, 0);
        let review: String =
            conn.query_row("select review from interactions where user_id = 1", [], |r| r.get(0)).unwrap();
        assert_eq!(review, "a, \"b\"\nc");
    }

    #[test]
    fn quarantines_bad_rows_and_enforces_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
        write(
            dir.path(),
            INTERACTIONS_FILE,
            "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,9,x\n1,2,2008-01-01,5,x\n",
        );
        let mut o = opts(dir.path());
        let err = run(&o).unwrap_err().to_string();
        assert!(err.contains("too many rows quarantined in `RAW_interactions.csv`: 1 of 2"), "{err}");
        assert!(err.contains("rating_out_of_range (e.g. line 2: `rating` must be 0..5, found 9)"), "{err}");
        assert!(!o.db.exists());
        o.max_quarantine = 0.5;
        let out = run(&o).unwrap();
        assert_eq!(out.datasets[1].rows_quarantined, 1);
        assert_eq!(out.datasets[1].reasons["rating_out_of_range"], 1);
    }

    #[test]
    fn invalid_utf8_costs_its_row_only() {
        // the pieces (61 bytes in tests) are checked whole; past an invalid
        // byte, records are checked field by field, and a piece may end
        // inside a character
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
        let mut file = b"user_id,recipe_id,date,rating,review\n".to_vec();
        let reviews =
            ["d\u{e9}j\u{e0} vu, cr\u{e8}me br\u{fb}l\u{e9}e", "\u{fc}ber \u{2014} \u{1f600}\u{1f600}\u{1f600}"];
        for (i, review) in reviews.iter().cycle().take(8).enumerate() {
            file.extend_from_slice(format!("{i},2,2008-01-01,5,\"{review} {}\"\n", "x".repeat(i * 7)).as_bytes());
            if i == 2 {
                file.extend_from_slice(b"9,2,2008-01-01,5,caf\xe9 au lait\n");
            }
        }
        std::fs::write(dir.path().join(INTERACTIONS_FILE), &file).unwrap();
        let mut o = opts(dir.path());
        o.max_quarantine = 50.0;
        let out = run(&o).unwrap();
        assert_eq!((out.datasets[1].rows_read, out.datasets[1].rows_kept), (9, 8));
        assert_eq!(out.datasets[1].reasons["invalid_utf8"], 1);
        let conn = duckdb::Connection::open(dir.path().join("x.duckdb")).unwrap();
        let line: i64 = conn.query_row("select line from quarantine", [], |r| r.get(0)).unwrap();
        assert_eq!(line, 5);
        for (i, review) in reviews.iter().cycle().take(8).enumerate() {
            let got: String =
                conn.query_row("select review from interactions where user_id = ?", [i as i64], |r| r.get(0)).unwrap();
            assert_eq!(got, format!("{review} {}", "x".repeat(i * 7)));
        }
    }

    #[test]
    fn skips_unchanged_inputs_and_rereads_changed_ones() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
        write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,5,x\n");
        let mut o = opts(dir.path());
        assert!(!run(&o).unwrap().skipped);
        let again = run(&o).unwrap();
        assert!(again.skipped);
        assert_eq!(again.datasets[1].rows_kept, 1);
        // same bytes, new modification time: still unchanged
        write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,5,x\n");
        assert!(run(&o).unwrap().skipped);
        write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,4,x\n");
        assert!(!run(&o).unwrap().skipped);
        o.force = true;
        assert!(!run(&o).unwrap().skipped);
    }

    #[test]
    fn an_edit_in_place_is_seen_though_size_and_time_are_the_same() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
        let path = dir.path().join(INTERACTIONS_FILE);
        write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,5,x\n");
        let o = opts(dir.path());
        run(&o).unwrap();
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        // one rating changed, the size kept, the modification time put back
        write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,2,2008-01-01,3,x\n");
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(mtime).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime);
        let out = run(&o).unwrap();
        assert!(!out.skipped, "the content changed");
        let conn = duckdb::Connection::open(&o.db).unwrap();
        let rating: i64 = conn.query_row("select rating from interactions", [], |r| r.get(0)).unwrap();
        assert_eq!(rating, 3);
    }

    #[test]
    fn the_majority_of_unambiguous_dates_decides_the_slash_order() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
        // one month/day date first, then ten day/month ones and two ambiguous
        let mut text = "user_id,recipe_id,date,rating,review\n1,2,03/25/2008,5,x\n".to_string();
        for day in 13..23 {
            text.push_str(&format!("2,2,{day}/03/2008,5,x\n"));
        }
        text.push_str("3,2,04/03/2008,5,x\n4,2,05/05/2008,5,x\n");
        write(dir.path(), INTERACTIONS_FILE, &text);
        let mut o = opts(dir.path());
        o.max_quarantine = 0.5;
        let out = run(&o).unwrap();
        assert_eq!((out.datasets[1].rows_kept, out.datasets[1].rows_quarantined), (12, 1));
        let conn = duckdb::Connection::open(&o.db).unwrap();
        let (line, detail): (i64, String) =
            conn.query_row("select line, detail from quarantine", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!(line, 2, "the minority date is the one set aside");
        assert!(detail.contains("contradicts"), "{detail}");
        let ambiguous: String = conn
            .query_row("select strftime(date, '%Y-%m-%d') from interactions where user_id = 3", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ambiguous, "2008-03-04", "read day first, as most dates are");
        // a tie: unambiguous dates read as they must, ambiguous ones are set aside
        write(
            dir.path(),
            INTERACTIONS_FILE,
            "user_id,recipe_id,date,rating,review\n1,2,03/25/2008,5,x\n2,2,25/03/2008,5,x\n3,2,04/03/2008,5,x\n",
        );
        o.max_quarantine = 1.0;
        let out = run(&o).unwrap();
        assert_eq!((out.datasets[1].rows_kept, out.datasets[1].rows_quarantined), (2, 1));
    }

    #[test]
    fn reads_the_kaggle_split_files() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
        write(
            dir.path(),
            "interactions_train.csv",
            "user_id,recipe_id,date,rating,u,i\n1,2,2008-01-01,5,0,0\n3,4,2009-01-01,4,1,1\n",
        );
        write(dir.path(), "interactions_test.csv", "user_id,recipe_id,date,rating,u,i\n5,6,2010-01-01,3,2,2\n");
        let out = run(&opts(dir.path())).unwrap();
        let files: Vec<&str> = out.datasets.iter().map(|d| d.file.as_str()).collect();
        assert_eq!(files, [RECIPES_FILE, "interactions_train.csv", "interactions_test.csv"]);
        let conn = duckdb::Connection::open(dir.path().join("x.duckdb")).unwrap();
        let n: i64 =
            conn.query_row("select count(*) from interactions where review is null", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 3);
    }

    #[test]
    fn errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), RECIPES_FILE, RECIPES_HEAD);
        let err = run(&opts(dir.path())).unwrap_err().to_string();
        assert!(err.contains("RAW_interactions.csv") && err.contains("not found"), "{err}");
        write(dir.path(), INTERACTIONS_FILE, "");
        let err = run(&opts(dir.path())).unwrap_err().to_string();
        assert!(err.contains("RAW_interactions.csv") && err.contains("empty"), "{err}");
        write(dir.path(), INTERACTIONS_FILE, "user,recipe\n");
        let err = run(&opts(dir.path())).unwrap_err().to_string();
        assert!(err.contains("RAW_interactions.csv:1: expected the header"), "{err}");
    }

    #[test]
    fn derived_tables_read_the_id_and_list_columns_of_recipes() {
        let columns = Table::Recipes.columns();
        assert_eq!(columns[RECIPE_ID], batch::Col::BigInt);
        for (table, _, column) in DERIVED {
            assert_eq!(columns[column], batch::Col::List, "{table}");
        }
        // the header names the lists: `nutrition` holds seven columns
        let list = |name| RECIPES_HEADER.iter().position(|h| *h == name).map(|i| if i > 6 { i + 6 } else { i });
        assert_eq!([list("tags"), list("ingredients")], DERIVED.map(|(_, _, c)| Some(c)));
        assert_eq!(list("id"), Some(RECIPE_ID));
    }

    #[test]
    fn batches_shrink_as_the_end_of_the_file_nears() {
        // nothing read yet, or much left: full batches
        assert_eq!(batch_rows(0, 0, 300 << 20), batch::ROWS);
        assert_eq!(batch_rows(100_000, 100 << 20, 200 << 20), batch::ROWS);
        // 40,000 rows left: a quarter of them
        assert_eq!(batch_rows(100_000, 100 << 20, 40 << 20), 10_000);
        // the last rows: small batches, never empty ones
        assert_eq!(batch_rows(100_000, 100 << 20, 1 << 20), batch::MIN_ROWS);
        assert_eq!(batch_rows(100_000, 100 << 20, 0), batch::MIN_ROWS);
        assert_eq!(batch_rows(u64::MAX, 1, u64::MAX), batch::ROWS);
    }

    #[test]
    fn derived_tables_take_their_rows_from_every_batch() {
        // enough recipes for many batches of the recipes table
        let dir = tempfile::tempdir().unwrap();
        let mut text = RECIPES_HEAD.to_string();
        for id in 0..5000 {
            let (a, b) = (id % 7, id % 11);
            text.push_str(&format!(
                "r{id},{id},1,1,2005-01-02,\"['t{a}', 'u{b}', 't{a}']\",\"[1, 2, 3, 4, 5, 6, 7]\",1,[],,\"['i{b}']\",1\n"
            ));
        }
        write(dir.path(), RECIPES_FILE, &text);
        write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,38,2008-03-01,5,x\n");
        run(&opts(dir.path())).unwrap();
        let conn = duckdb::Connection::open(dir.path().join("x.duckdb")).unwrap();
        let counts = |sql: &str| -> (i64, i64, i64) {
            conn.query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap()
        };
        assert_eq!(
            counts("select count(*), count(distinct tag), sum(recipe_id) from recipe_tags"),
            (10_000, 18, 2 * 12_497_500)
        );
        assert_eq!(
            counts("select count(*), count(distinct ingredient), sum(recipe_id) from recipe_ingredients"),
            (5000, 11, 12_497_500)
        );
        let mismatched: i64 = conn
            .query_row(
                "select count(*) from recipe_tags t join recipes r on r.id = t.recipe_id \
                 where t.tag not in ('t' || r.id % 7, 'u' || r.id % 11)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(mismatched, 0, "each row has its own recipe's items");
    }

    #[test]
    fn derived_tables_hold_each_distinct_item_once() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            RECIPES_FILE,
            &format!(
                "{RECIPES_HEAD}a,38,1,1,2005-01-02,\"['x', 'y', 'x', '']\",\"[1, 2, 3, 4, 5, 6, 7]\",1,[],,\"['salt', 'salt']\",2\n\
                 b,39,1,1,2005-01-02,[],\"[1, 2, 3, 4, 5, 6, 7]\",1,[],,[],0\n"
            ),
        );
        write(dir.path(), INTERACTIONS_FILE, "user_id,recipe_id,date,rating,review\n1,38,2008-03-01,5,x\n");
        run(&opts(dir.path())).unwrap();
        let conn = duckdb::Connection::open(dir.path().join("x.duckdb")).unwrap();
        let tags: String = conn
            .query_row("select string_agg(recipe_id || ':' || tag, ' ' order by tag) from recipe_tags", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(tags, "38: 38:x 38:y");
        let ingredients: String = conn
            .query_row("select string_agg(recipe_id || ':' || ingredient, ' ') from recipe_ingredients", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(ingredients, "38:salt");
        let (n, kept): (i64, i64) = conn
            .query_row("select len(tags), len(ingredients) from recipes where id = 38", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((n, kept), (4, 2), "the lists themselves keep every item");
        let types: String = conn
            .query_row(
                "select string_agg(table_name || '.' || column_name || ' ' || data_type, ', ' order by table_name) \
                 from information_schema.columns where column_name in ('tag', 'ingredient')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(types, "recipe_ingredients.ingredient ENUM('salt'), recipe_tags.tag ENUM('', 'x', 'y')");
    }

    #[test]
    fn dates_count_days_from_1970() {
        let d = |y, m, dd| days(chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap());
        assert_eq!(d(1970, 1, 1), 0);
        assert_eq!(d(1969, 12, 31), -1);
        assert_eq!(d(2008, 3, 25), 13_963);
        assert_eq!(d(1, 1, 1), -719_162);
        for n in [-719_162, -1, 0, 13_963, 20_000] {
            assert_eq!(days(crate::table::date_from_days(n).unwrap()), n);
        }
    }

    #[test]
    fn integers_accept_spreadsheet_forms_only() {
        assert_eq!(int(" 38 ", "id"), Ok(38));
        assert_eq!(int("38.0", "id"), Ok(38));
        assert_eq!(int("38.5", "id").unwrap_err().0, Reason::NotANumber);
        assert_eq!(int("x", "id").unwrap_err().0, Reason::NotANumber);
        // the plain-digits path and the general one agree at their edges
        assert_eq!(int("0", "id"), Ok(0));
        assert_eq!(int("007", "id"), Ok(7));
        assert_eq!(int("999999999999999999", "id"), Ok(999_999_999_999_999_999));
        assert_eq!(int("9223372036854775807", "id"), Ok(i64::MAX));
        assert_eq!(int("9223372036854775808", "id").unwrap_err().0, Reason::NotANumber);
        assert_eq!(int("-5", "id"), Ok(-5));
        assert_eq!(int("", "id").unwrap_err().0, Reason::NotANumber);
        assert_eq!(int("3４", "id").unwrap_err().0, Reason::NotANumber);
    }
}
