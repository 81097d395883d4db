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
mod file;
mod layout;
mod priority;
pub mod pylist;
pub mod records;
mod rows;
pub mod stream;
#[cfg(test)]
mod tests;

use crate::error::SourceError;
use crate::ingest::Made;
use crate::ingest::database::Database;
use crate::ingest::files::identifier;
use crate::ingest::inputs::{Dataset, SourceFiles};
use crate::ingest::progress::Progress;
use anyhow::Context;
use file::{Destination, Reject, load, sniff};
use layout::{DERIVED, FoodcomTable, Input, Kind, RECIPE_ID};
pub use layout::{INTERACTIONS_HEADER, NUTRIENTS, RECIPES_HEADER, SPLIT_HEADER};
pub use rows::Reason;

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
            let slot = &mut tables[FoodcomTable::ALL.iter().position(|t| *t == table).unwrap_or_default()];
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
        let own: Vec<FoodcomTable> =
            inputs.iter().filter(|i| i.source == g.source.name).map(|i| i.kind.table()).collect();
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
    for (table, name) in FoodcomTable::ALL.iter().zip(&names) {
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
    for (table, name) in FoodcomTable::ALL.into_iter().zip(names) {
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
    let sink =
        |table: FoodcomTable| sinks[FoodcomTable::ALL.iter().position(|t| *t == table).unwrap_or_default()].clone();
    // the files one thread parses, in order, and where its batches go
    let groups: Vec<(Vec<&Input>, Destination)> = [
        (
            inputs.iter().filter(|i| i.kind == Kind::Recipes).collect::<Vec<_>>(),
            Destination {
                table: FoodcomTable::Recipes,
                sinks: std::iter::once(sink(FoodcomTable::Recipes)).chain(derived_tx).collect(),
            },
        ),
        (
            inputs.iter().filter(|i| i.kind != Kind::Recipes).collect(),
            Destination { table: FoodcomTable::Interactions, sinks: vec![sink(FoodcomTable::Interactions)] },
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
                        FoodcomTable::Recipes => priority::yields::STORE_RECIPES,
                        FoodcomTable::Interactions => priority::yields::STORE_INTERACTIONS,
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
