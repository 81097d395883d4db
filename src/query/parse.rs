//! What a query reads, from DuckDB's own parse tree: the tables it names
//! (so that a query reading a model runs after it) and whether its result
//! depends on the tables alone (so that it may be cached).

use super::ListParam;
use crate::table::Value;
use std::collections::BTreeSet;

/// Table functions whose result is the same on every run (they read no
/// file and nothing that changes).
const STEADY_TABLE_FUNCTIONS: [&str; 10] = [
    "range",
    "generate_series",
    "unnest",
    "duckdb_functions",
    "duckdb_types",
    "duckdb_keywords",
    "pragma_table_info",
    "duckdb_tables",
    "duckdb_columns",
    "duckdb_views",
];

/// Functions whose value changes from one run to the next.
const UNSTEADY_FUNCTIONS: [&str; 14] = [
    "random",
    "setseed",
    "uuid",
    "gen_random_uuid",
    "now",
    "today",
    "current_date",
    "current_time",
    "current_timestamp",
    "get_current_time",
    "get_current_timestamp",
    "localtime",
    "localtimestamp",
    "getenv",
];

/// What a build needs to know of one SQL text, from DuckDB's own parse
/// tree (`json_serialize_sql`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// Whether its result depends only on the database's tables (and so
    /// may be kept while the data is unchanged): a query that reads a file
    /// itself (`read_csv('...')`, `FROM 'x.parquet'`), the clock, the
    /// environment or chance is run every time, and so is what DuckDB
    /// cannot parse.
    pub steady: bool,
    /// The tables it names (lowercase, without catalog or schema:
    /// `models.main.segments` is `segments`); `None` when DuckDB cannot
    /// parse it.
    pub tables: Option<BTreeSet<String>>,
}

/// [`Parsed`] for each SQL of `sqls`, all parsed in one statement.
pub fn parse(conn: &duckdb::Connection, sqls: &[&str]) -> Vec<Parsed> {
    if sqls.is_empty() {
        return Vec::new();
    }
    let list: Vec<Value> = sqls.iter().map(|s| Value::Text(s.to_string())).collect();
    let trees: Vec<String> = (|| -> duckdb::Result<Vec<String>> {
        let mut q = conn
            .prepare("SELECT json_serialize_sql(s) FROM unnest(?::VARCHAR[]) WITH ORDINALITY AS t(s, i) ORDER BY i")?;
        let rows = q.query_map([ListParam(&list)], |r| r.get::<_, String>(0))?;
        rows.collect()
    })()
    .unwrap_or_default();
    if trees.len() != sqls.len() {
        // one by one, as a statement DuckDB cannot serialize fails them all
        return sqls.iter().map(|sql| parse_one(conn, sql)).collect();
    }
    trees.iter().map(|t| parsed(t)).collect()
}

/// [`parse`] for one SQL text.
pub fn parse_one(conn: &duckdb::Connection, sql: &str) -> Parsed {
    match conn.query_row("SELECT json_serialize_sql(?)", [sql], |r| r.get::<_, String>(0)) {
        Ok(tree) => parsed(&tree),
        Err(_) => Parsed { steady: false, tables: None },
    }
}

/// What a parse tree of `json_serialize_sql` says.
fn parsed(tree: &str) -> Parsed {
    let unknown = Parsed { steady: false, tables: None };
    let Ok(tree) = serde_json::from_str::<serde_json::Value>(tree) else { return unknown };
    if tree["error"].as_bool() != Some(false) {
        return unknown;
    }
    let mut tables = BTreeSet::new();
    let steady = walk(&tree["statements"], &mut tables);
    Parsed { steady, tables: Some(tables) }
}

/// Collects the tables `v` names into `tables`; whether it reads nothing
/// but tables.
fn walk(v: &serde_json::Value, tables: &mut BTreeSet<String>) -> bool {
    match v {
        serde_json::Value::Object(map) => {
            let kind = map.get("type").and_then(|t| t.as_str()).unwrap_or("");
            let mut steady = true;
            if kind == "TABLE_FUNCTION" {
                let name = map["function"]["function_name"].as_str().unwrap_or("").to_ascii_lowercase();
                steady &= STEADY_TABLE_FUNCTIONS.contains(&name.as_str());
            }
            if kind == "BASE_TABLE"
                && let Some(name) = map.get("table_name").and_then(|t| t.as_str())
            {
                // a table's name with a dot, a slash or a glob is a file DuckDB reads itself
                steady &= !name.contains(['.', '/', '\\', '*', '?']);
                tables.insert(name.to_ascii_lowercase());
            }
            if let Some(name) = map.get("function_name").and_then(|n| n.as_str()) {
                steady &= !UNSTEADY_FUNCTIONS.contains(&name.to_ascii_lowercase().as_str());
            }
            // `current_date` and its kin are parsed as column names
            if kind == "COLUMN_REF"
                && let Some([name]) = map.get("column_names").and_then(|n| n.as_array()).map(Vec::as_slice)
            {
                steady &= !UNSTEADY_FUNCTIONS.contains(&name.as_str().unwrap_or("").to_ascii_lowercase().as_str());
            }
            map.values().fold(steady, |all, v| walk(v, tables) && all)
        }
        serde_json::Value::Array(items) => {
            // every item is walked, for its tables
            let mut steady = true;
            for v in items {
                steady &= walk(v, tables);
            }
            steady
        }
        _ => true,
    }
}
