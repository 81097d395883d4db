//! The fields of one Food.com row, as text, into typed values: integers in
//! the forms spreadsheets write, Python lists, dates; what cannot be read
//! is a [`Reason`] with a detail, for the quarantine.

use super::batch::Items;
use super::date::{self, Parsed, SlashOrder};
use super::layout::Kind;
use super::pylist;

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

pub(super) fn int(field: &str, name: &str) -> Result<i64, (Reason, String)> {
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

pub(super) fn clip(s: &str) -> String {
    if s.chars().count() > 60 { format!("{}…", s.chars().take(60).collect::<String>()) } else { s.to_string() }
}

/// Parses a Python list of strings into `items`.
pub(super) fn list_into(field: &str, name: &str, items: &mut Items) -> Result<(), (Reason, String)> {
    items.parse(field).map_err(|e| (Reason::BadList, format!("`{name}`: {e}")))
}

/// The parts of an ambiguous slash date: `a/b/year`.
pub(super) type SlashParts = (u32, u32, i32);

pub(super) fn days(d: chrono::NaiveDate) -> i32 {
    crate::table::days_from_1970(d)
}

/// Parses a date field into days since 1970; a slash date in a file whose
/// order is not decided yet gives `None` and its parts.
pub(super) fn date_field(
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
pub(super) struct Recipe {
    pub(super) name: String,
    pub(super) id: i64,
    pub(super) minutes: i64,
    pub(super) contributor_id: i64,
    pub(super) submitted: Option<i32>,
    pub(super) tags: Items,
    pub(super) nutrition: [f64; 7],
    pub(super) n_steps: i64,
    pub(super) steps: Items,
    pub(super) description: String,
    pub(super) ingredients: Items,
    pub(super) n_ingredients: i64,
}

/// One row of an interactions file, parsed.
#[derive(Debug, Clone, Default)]
pub(super) struct Interaction {
    pub(super) user_id: i64,
    pub(super) recipe_id: i64,
    pub(super) date: Option<i32>,
    pub(super) rating: i32,
    /// `None` in the split files, which have no review.
    pub(super) review: Option<String>,
}

/// A parsed row; rows are parsed into one reused value of each kind.
#[derive(Debug, Clone)]
pub(super) enum Row {
    Recipe(Box<Recipe>),
    Interaction(Interaction),
}

impl Row {
    pub(super) fn set_date(&mut self, days: i32) {
        match self {
            Row::Recipe(r) => r.submitted = Some(days),
            Row::Interaction(i) => i.date = Some(days),
        }
    }
}

/// Parses the fields of a recipes row into `out`; gives the parts of an
/// ambiguous `submitted` date.
pub(super) fn recipe_row(
    r: &[&str],
    order: SlashOrder,
    out: &mut Recipe,
) -> Result<Option<SlashParts>, (Reason, String)> {
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
pub(super) fn interaction_row(
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
