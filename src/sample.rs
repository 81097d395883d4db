//! Sample data: a deterministic, Food.com-shaped pair of CSV files of any
//! size, with the schema and the quirks of the real files (Python-list
//! columns in all three quoting styles, items with commas and apostrophes,
//! multi-line quoted text, HTML entities, empty names, absurd `minutes`,
//! rating 0, power-law activity and popularity, dates over the real ranges).
//!
//! The generator has its own small PRNG (SplitMix64) so the files depend on
//! the seed and sizes only, never on a crate's version.

use crate::ingest::foodcom::{INTERACTIONS_HEADER, RECIPES_HEADER, pylist};
use crate::ingest::{INTERACTIONS_FILE, RECIPES_FILE};
use anyhow::Context;
use chrono::{Datelike, NaiveDate};
use std::path::Path;

/// Sizes and seed of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleOptions {
    /// Number of recipes.
    pub recipes: usize,
    /// Number of interactions.
    pub interactions: usize,
    /// The seed: the same seed and sizes give the same bytes.
    pub seed: u64,
}

/// The real data set's sizes.
pub const REAL_RECIPES: usize = 231_637;
/// The real data set's sizes.
pub const REAL_INTERACTIONS: usize = 1_132_367;

/// SplitMix64: small, fast, and fully specified.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A skewed index in 0..n: small indices are much more likely (power law).
    fn skewed(&mut self, n: usize, power: f64) -> usize {
        ((self.unit().powf(power) * n as f64) as usize).min(n.saturating_sub(1))
    }

    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TAGS: &[&str] = &[
    "preparation",
    "time-to-make",
    "course",
    "main-ingredient",
    "dietary",
    "easy",
    "occasion",
    "cuisine",
    "low-in-something",
    "60-minutes-or-less",
    "main-dish",
    "equipment",
    "number-of-servings",
    "meat",
    "30-minutes-or-less",
    "vegetables",
    "taste-mood",
    "4-hours-or-less",
    "north-american",
    "3-steps-or-less",
    "15-minutes-or-less",
    "low-sodium",
    "desserts",
    "low-carb",
    "healthy",
    "dinner-party",
    "low-cholesterol",
    "low-calorie",
    "vegetarian",
    "beginner-cook",
    "5-ingredients-or-less",
    "holiday-event",
    "inexpensive",
    "fruit",
    "american",
    "eggs-dairy",
    "side-dishes",
    "pasta-rice-and-grains",
    "poultry",
    "kid-friendly",
    "comfort-food",
    "chicken",
    "european",
    "oven",
    "appetizers",
    "brunch",
    "one-dish-meal",
    "beef",
    "salads",
    "breakfast",
    "soups-stews",
    "italian",
    "mexican",
    "asian",
    "cookies-and-brownies",
    "beverages",
    "for-1-or-2",
    "crock-pot-slow-cooker",
    "gluten-free",
    "st-patrick's-day",
    "mother's-day",
    "valentines-day",
];

const INGREDIENTS: &[&str] = &[
    "salt",
    "butter",
    "sugar",
    "onion",
    "water",
    "eggs",
    "olive oil",
    "flour",
    "milk",
    "garlic cloves",
    "pepper",
    "brown sugar",
    "all-purpose flour",
    "baking powder",
    "egg",
    "salt and pepper",
    "parmesan cheese",
    "lemon juice",
    "baking soda",
    "vegetable oil",
    "vanilla",
    "black pepper",
    "cinnamon",
    "tomatoes",
    "sour cream",
    "garlic",
    "honey",
    "onions",
    "cream cheese",
    "garlic powder",
    "celery",
    "unsalted butter",
    "cheddar cheese",
    "boneless skinless chicken breasts",
    "carrots",
    "potatoes",
    "mayonnaise",
    "hellmann's mayonnaise",
    "campbell's cream of mushroom soup",
    "kosher salt",
    "fresh parsley",
    "worcestershire sauce",
    "ground beef",
    "soy sauce",
    "chicken broth",
    "heavy cream",
    "ground cinnamon",
    "salt, pepper",
    "boneless, skinless chicken thighs",
    "ground black pepper",
    "dijon mustard",
    "paprika",
    "red bell pepper",
    "green onions",
    "fresh ground black pepper",
    "nutmeg",
    "chili powder",
    "oregano",
    "ground cumin",
    "rice",
    "bacon",
    "lime juice",
    "fresh basil",
    "zucchini",
    "mushrooms",
    "shallots",
    "crème fraîche",
    "jalapeño",
    "piña colada mix",
    "grandma's 9\" pie crust",
    "2 9\" pie shells",
    "frank's red hot sauce",
    "m&m's",
    "half-and-half",
    "confectioners' sugar",
    "1/2 & 1/2 cream",
    "tomato sauce",
    "cornstarch",
    "white wine",
    "red wine vinegar",
    "balsamic vinegar",
    "maple syrup",
    "buttermilk",
    "yeast",
    "walnuts",
    "pecans",
    "raisins",
    "chocolate chips",
    "cocoa",
    "oats",
    "spinach",
    "broccoli",
    "cabbage",
    "cucumber",
    "avocado",
    "black beans",
    "kidney beans",
    "corn",
    "peas",
    "shrimp",
    "salmon fillets",
    "tuna",
    "pork chops",
    "ham",
    "sausage",
    "turkey",
    "lemon zest",
    "ginger",
    "cilantro",
    "thyme",
    "rosemary",
    "bay leaf",
    "dill",
    "mint",
    "coconut milk",
    "peanut butter",
    "apple",
    "banana",
    "strawberries",
    "blueberries",
    "orange juice",
    "pineapple",
    "coconut",
    "almonds",
];

const DISHES: &[&str] = &[
    "casserole",
    "soup",
    "salad",
    "cookies",
    "bread",
    "pie",
    "cake",
    "stew",
    "chili",
    "pasta",
    "muffins",
    "dip",
    "sauce",
    "roast",
    "stir fry",
    "tacos",
    "smoothie",
    "pancakes",
    "bars",
    "curry",
    "pizza",
    "quiche",
];
const WORDS: &[&str] = &[
    "easy",
    "best",
    "quick",
    "grandma s",
    "spicy",
    "creamy",
    "baked",
    "chicken",
    "beef",
    "vegetable",
    "lemon",
    "chocolate",
    "cheesy",
    "garlic",
    "crock pot",
    "healthy",
    "mom s",
    "summer",
    "holiday",
    "low fat",
    "sweet",
    "tangy",
    "italian",
    "mexican",
    "country",
    "rustic",
    "hearty",
];
const STEPS: &[&str] = &[
    "preheat oven to 350 degrees",
    "in a large bowl, mix the flour, sugar and salt",
    "add the eggs one at a time, beating well after each",
    "don't overmix the batter",
    "pour into a greased 9\" pan",
    "bake for 25-30 minutes, or until golden",
    "let cool before serving",
    "saute the onion in butter until soft",
    "season with salt & pepper to taste",
    "stir in the cream, then simmer for 10 minutes",
    "chop the vegetables into 1/2\" pieces",
    "it's best served warm",
    "refrigerate overnight",
    "serve with rice, pasta or crusty bread",
    "bring to a boil, reduce heat and cover",
    "whisk together the dressing ingredients",
];
const REVIEW_BITS: &[&str] = &[
    "This was delicious!",
    "My family loved it, thanks for posting.",
    "I added a bit more garlic &amp; it was great.",
    "Made it for a potluck &#039;and&#039; got lots of compliments.",
    "Easy to make, will make again.",
    "A little bland for our taste, so I added \"extra\" spice.",
    "Followed the recipe exactly.<br/>Perfect!",
    "Didn't have cream, used milk instead, and it worked fine.",
    "Too salty for us.",
    "Yum!",
    "I cut the sugar in half; still sweet enough.",
    "Great recipe, 5 stars.",
];

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// Submission years weighted like the real file (most recipes 2001-2009).
const YEAR_WEIGHTS: [(i32, f64); 20] = [
    (1999, 1.0),
    (2000, 3.0),
    (2001, 8.0),
    (2002, 12.0),
    (2003, 11.0),
    (2004, 9.0),
    (2005, 10.0),
    (2006, 12.0),
    (2007, 13.0),
    (2008, 12.0),
    (2009, 6.0),
    (2010, 3.0),
    (2011, 2.0),
    (2012, 1.2),
    (2013, 0.8),
    (2014, 0.4),
    (2015, 0.2),
    (2016, 0.2),
    (2017, 0.1),
    (2018, 0.1),
];

fn submitted(rng: &mut Rng) -> NaiveDate {
    let total: f64 = YEAR_WEIGHTS.iter().map(|(_, w)| w).sum();
    let mut x = rng.unit() * total;
    let mut year = 2018;
    for (y, w) in YEAR_WEIGHTS {
        if x < w {
            year = y;
            break;
        }
        x -= w;
    }
    let (start, end) = match year {
        1999 => (day(1999, 8, 6), day(1999, 12, 31)),
        2018 => (day(2018, 1, 1), day(2018, 12, 4)),
        y => (day(y, 1, 1), day(y, 12, 31)),
    };
    let span = (end - start).num_days() as usize + 1;
    start + chrono::Duration::days(rng.below(span) as i64)
}

fn sentence(rng: &mut Rng) -> String {
    let mut s = rng.pick(STEPS).to_string();
    if rng.chance(0.3) {
        s.push_str(", ");
        s.push_str(rng.pick(STEPS));
    }
    s
}

/// Distinct items drawn with a power-law preference for the first ones.
fn distinct(rng: &mut Rng, vocab: &[&str], n: usize, power: f64) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(n);
    let mut tries = 0;
    while out.len() < n.min(vocab.len()) && tries < n * 20 {
        tries += 1;
        let item = vocab[rng.skewed(vocab.len(), power)];
        if !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    }
    out
}

fn lognormal(rng: &mut Rng, mu: f64, sigma: f64) -> f64 {
    (mu + sigma * rng.normal()).exp()
}

/// One recipe's fields, in file order.
fn recipe(rng: &mut Rng, index: usize, id: u64, contributors: usize) -> (Vec<String>, NaiveDate) {
    let mut name = format!("{} {} {}", rng.pick(WORDS), rng.pick(WORDS), rng.pick(DISHES));
    if rng.chance(0.05) {
        name = name.replacen(' ', "  ", 1);
    }
    if index == 3 || rng.chance(0.0002) {
        name.clear();
    }
    let minutes: u64 = if index == 7 {
        2_147_483_647
    } else if rng.chance(0.01) {
        0
    } else if rng.chance(0.001) {
        [1_051_200, 288_000, 43_200, 10_080][rng.below(4)]
    } else {
        lognormal(rng, 3.6, 0.8).round().max(1.0) as u64
    };
    let contributor = 1_500 + (rng.skewed(contributors, 2.0) as u64) * 2_000_000_000 / contributors.max(1) as u64;
    let date = submitted(rng);
    let n_tags = if index == 11 || rng.chance(0.0005) { 0 } else { 3 + rng.below(12) + rng.skewed(20, 3.0) };
    let mut tags = if n_tags == 0 { Vec::new() } else { distinct(rng, TAGS, n_tags, 1.8) };
    if rng.chance(0.002) {
        tags.push("grandma's \"secret\" recipes".to_string());
    }
    let calories = (lognormal(rng, 5.7, 0.75) * 10.0).round() / 10.0;
    let mut nutrition = vec![calories];
    for share in [0.12, 0.15, 0.02, 0.07, 0.15, 0.03] {
        let v = (calories * share * (0.3 + 1.4 * rng.unit())).round();
        nutrition.push(v);
    }
    let n_steps = (lognormal(rng, 2.1, 0.55).round() as usize).clamp(1, 110);
    let steps: Vec<String> = (0..n_steps).map(|_| sentence(rng)).collect();
    let n_ing = (lognormal(rng, 2.15, 0.4).round() as usize).clamp(1, 43);
    let ingredients = distinct(rng, INGREDIENTS, n_ing, 1.6);
    // a few counts that disagree with their lists, as in the real file
    let mismatch = index == 13 || rng.chance(0.0001);
    let description = match rng.below(10) {
        0 => String::new(),
        1 => format!("a family favourite.\nserve it with a salad, \"if you like\".\n\n{}", rng.pick(STEPS)),
        2 => "this is &quot;the&quot; one &amp; only, don't change it!\r\nenjoy".to_string(),
        _ => format!("{} - {}", rng.pick(REVIEW_BITS).to_lowercase(), rng.pick(STEPS)),
    };
    let fields = vec![
        name,
        id.to_string(),
        minutes.to_string(),
        contributor.to_string(),
        date.format("%Y-%m-%d").to_string(),
        pylist::repr_list(&tags),
        format!("[{}]", nutrition.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ")),
        (steps.len() + usize::from(mismatch)).to_string(),
        pylist::repr_list(&steps),
        description,
        pylist::repr_list(&ingredients),
        ingredients.len().to_string(),
    ];
    (fields, date)
}

fn rating(rng: &mut Rng, year: i32) -> u8 {
    // later years have more reviews without a rating and fewer five stars
    let late = f64::from((year - 2008).max(0)) * 0.006;
    let x = rng.unit();
    let cuts = [0.045 + late, 0.057 + late, 0.070 + late, 0.106 + late * 1.5, 0.27 + late * 2.0];
    cuts.iter().position(|c| x < *c).map_or(5, |i| i as u8)
}

fn review(rng: &mut Rng, index: usize) -> String {
    if index == 5 || rng.chance(0.005) {
        return String::new();
    }
    let mut r = rng.pick(REVIEW_BITS).to_string();
    for _ in 0..rng.below(3) {
        r.push(if rng.chance(0.15) { '\n' } else { ' ' });
        r.push_str(rng.pick(REVIEW_BITS));
    }
    r
}

/// Writes `RAW_recipes.csv` and `RAW_interactions.csv` into `out`.
pub fn write(out: &Path, opts: SampleOptions) -> anyhow::Result<()> {
    if opts.recipes == 0 {
        anyhow::bail!("`--recipes` must be at least 1");
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create `{}`", out.display()))?;
    let mut rng = Rng(opts.seed ^ 0x6d61_6e67_6574_616d);
    let recipes_path = out.join(RECIPES_FILE);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(std::io::BufWriter::with_capacity(1 << 20, create(&recipes_path)?));
    w.write_record(RECIPES_HEADER).with_context(|| format!("cannot write `{}`", recipes_path.display()))?;
    let contributors = (opts.recipes / 8).max(1);
    let mut ids = Vec::with_capacity(opts.recipes);
    let mut dates = Vec::with_capacity(opts.recipes);
    let mut id = 38u64;
    for i in 0..opts.recipes {
        let (fields, date) = recipe(&mut rng, i, id, contributors);
        w.write_record(&fields).with_context(|| format!("cannot write `{}`", recipes_path.display()))?;
        ids.push(id);
        dates.push(date);
        id += 1 + rng.below(3) as u64;
    }
    w.flush().with_context(|| format!("cannot write `{}`", recipes_path.display()))?;

    // popularity: a shuffled order of recipes, drawn with a power law
    let mut order: Vec<usize> = (0..opts.recipes).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    // activity: each user's number of reviews follows a power law
    // (P(n >= k) = k^-1.2, most users review once, a few review thousands of
    // times); the reviews are then dealt out in a random order
    let cap = (opts.interactions / 150).max(1);
    let mut by_user: Vec<u32> = Vec::with_capacity(opts.interactions);
    let mut users = 0u32;
    while by_user.len() < opts.interactions {
        let n = (rng.unit().max(1e-12).powf(-1.0 / 1.2) as usize).clamp(1, cap);
        let n = n.min(opts.interactions - by_user.len());
        by_user.extend(std::iter::repeat_n(users, n));
        users += 1;
    }
    for i in (1..by_user.len()).rev() {
        by_user.swap(i, rng.below(i + 1));
    }
    let stride = 2_000_000_000 / u64::from(users.max(1));
    let first = day(2000, 1, 25);
    let last = day(2018, 12, 20);
    let inter_path = out.join(INTERACTIONS_FILE);
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(std::io::BufWriter::with_capacity(1 << 20, create(&inter_path)?));
    w.write_record(INTERACTIONS_HEADER).with_context(|| format!("cannot write `{}`", inter_path.display()))?;
    for (i, &user) in by_user.iter().enumerate() {
        let r = order[rng.skewed(opts.recipes, 1.6)];
        let user_id = 1_533 + u64::from(user) * stride;
        let delay = (-rng.unit().max(1e-12).ln() * 900.0) as i64;
        let mut date = dates[r] + chrono::Duration::days(delay);
        if date > last {
            // past the end of the data: any day between submission and the end
            let span = (last - dates[r]).num_days().max(0) as usize + 1;
            date = dates[r] + chrono::Duration::days(rng.below(span) as i64);
        }
        let date = date.clamp(first, last);
        // a few interactions point at recipes that do not exist
        let recipe_id = if i == 9 || rng.chance(0.0005) { id + 1_000_000 + i as u64 } else { ids[r] };
        let rating = rating(&mut rng, date.year());
        let fields = [
            user_id.to_string(),
            recipe_id.to_string(),
            date.format("%Y-%m-%d").to_string(),
            rating.to_string(),
            review(&mut rng, i),
        ];
        w.write_record(&fields).with_context(|| format!("cannot write `{}`", inter_path.display()))?;
    }
    w.flush().with_context(|| format!("cannot write `{}`", inter_path.display()))?;
    Ok(())
}

fn create(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::File::create(path).with_context(|| format!("cannot create `{}`", path.display()))
}

#[cfg(test)]
mod tests;
