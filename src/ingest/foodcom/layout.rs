//! The layout of the Food.com files: their headers, what each kind of file
//! fills, and the columns of the tables.

use super::batch;
use std::path::PathBuf;

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
pub(super) const MAX_FIELDS: usize = RECIPES_HEADER.len();
const _: () = assert!(INTERACTIONS_HEADER.len() <= MAX_FIELDS && SPLIT_HEADER.len() <= MAX_FIELDS);

/// The names of the seven `nutrition` values, in file order.
pub const NUTRIENTS: [&str; 7] =
    ["calories", "total_fat", "sugar", "sodium", "protein", "saturated_fat", "carbohydrates"];

/// The columns of the recipes table.
pub(super) const RECIPES_COLUMNS: &str = "name VARCHAR, id BIGINT, minutes BIGINT, contributor_id BIGINT, submitted DATE, \
    tags VARCHAR[], calories DOUBLE, total_fat DOUBLE, sugar DOUBLE, sodium DOUBLE, protein DOUBLE, \
    saturated_fat DOUBLE, carbohydrates DOUBLE, n_steps BIGINT, steps VARCHAR[], description VARCHAR, \
    ingredients VARCHAR[], n_ingredients BIGINT";

/// The columns of the interactions table.
pub(super) const INTERACTIONS_COLUMNS: &str =
    "user_id BIGINT, recipe_id BIGINT, date DATE, rating INTEGER, review VARCHAR";

/// The tables ingest fills from the files as it reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FoodcomTable {
    Recipes,
    Interactions,
}

/// The tables derived from the recipes' `tags` and `ingredients` lists:
/// name, columns, the name of the `ENUM` type of the item column, and the
/// list column of `recipes` they come from. Their loaders take their rows
/// from the recipes' batches as they are parsed, and store them once all
/// recipes are read, when all their items are known ([`batch::Coded`]).
pub(super) const DERIVED: [(&str, [&str; 3], usize); 2] = [
    ("recipe_tags", ["recipe_id", "tag", "tag_value"], 5),
    ("recipe_ingredients", ["recipe_id", "ingredient", "ingredient_value"], 16),
];

/// The column of `recipes` that holds the id.
pub(super) const RECIPE_ID: usize = 1;

impl FoodcomTable {
    pub(super) const ALL: [FoodcomTable; 2] = [FoodcomTable::Recipes, FoodcomTable::Interactions];

    /// What its files hold, for messages.
    pub(super) fn what(self) -> &'static str {
        match self {
            FoodcomTable::Recipes => "recipes",
            FoodcomTable::Interactions => "interactions",
        }
    }

    pub(super) fn columns_sql(self) -> &'static str {
        match self {
            FoodcomTable::Recipes => RECIPES_COLUMNS,
            FoodcomTable::Interactions => INTERACTIONS_COLUMNS,
        }
    }

    pub(super) fn columns(self) -> &'static [batch::Col] {
        use batch::Col::*;
        match self {
            FoodcomTable::Recipes => &[
                Text, BigInt, BigInt, BigInt, Date, List, Double, Double, Double, Double, Double, Double, Double,
                BigInt, List, Text, List, BigInt,
            ],
            FoodcomTable::Interactions => &[BigInt, BigInt, Date, Int, Text],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Recipes,
    Interactions,
    SplitInteractions,
}

impl Kind {
    pub(super) fn header(self) -> &'static [&'static str] {
        match self {
            Kind::Recipes => &RECIPES_HEADER,
            Kind::Interactions => &INTERACTIONS_HEADER,
            Kind::SplitInteractions => &SPLIT_HEADER,
        }
    }

    pub(super) fn table(self) -> FoodcomTable {
        match self {
            Kind::Recipes => FoodcomTable::Recipes,
            _ => FoodcomTable::Interactions,
        }
    }

    /// The column holding the row's date.
    pub(super) fn date_column(self) -> &'static str {
        match self {
            Kind::Recipes => "submitted",
            _ => "date",
        }
    }
}

pub(super) struct Input {
    pub(super) path: PathBuf,
    pub(super) file: String,
    pub(super) source: String,
    /// The table its rows go to.
    pub(super) table: String,
    pub(super) kind: Kind,
}
