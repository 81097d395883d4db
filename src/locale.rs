//! Numbers and dates in the reader's language: `locale = "fr"` in
//! `site.toml` (or a page's front matter) formats every number and month a
//! page shows with the Unicode CLDR's data, through ICU4X (`icu_decimal`,
//! the percent formatter of `icu_experimental`, `icu_datetime`). The only
//! user of those crates.
//!
//! The formatting of values (`format.rs`) asks [`current`] which locale the page being
//! rendered is in ([`with`] sets it for the duration of a page, on the
//! rendering thread), so that every value on the page, from inline values
//! to axis ticks, is formatted the same way. English (`en`, the default)
//! uses the built-in formatting, which gives CLDR's English results.
//! CSV downloads never depend on the locale.

use fixed_decimal::Decimal;
use icu_datetime::fieldsets::YM;
use icu_datetime::{DateTimeFormatter, input::Date};
use icu_decimal::DecimalFormatter;
use icu_experimental::dimension::percent::formatter::PercentFormatter;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::str::FromStr;

/// The locales a site may ask for.
pub const LOCALES: [&str; 7] = ["en", "de", "es", "fr", "it", "nl", "pt"];

/// Checks a locale tag: one of [`LOCALES`].
pub fn check(tag: &str) -> Result<(), String> {
    if LOCALES.contains(&tag) {
        Ok(())
    } else {
        Err(format!("unknown locale `{tag}` (expected one of: {})", LOCALES.join(", ")))
    }
}

/// The formatters of one locale.
pub struct Locale {
    /// The decimal separator, as the locale writes `1.5`'s.
    separator: String,
    decimal: DecimalFormatter,
    percent: PercentFormatter<DecimalFormatter>,
    month: DateTimeFormatter<YM>,
}

impl Locale {
    fn new(tag: &str) -> Result<Locale, String> {
        check(tag)?;
        let locale: icu_locale_core::Locale = tag.parse().map_err(|e| format!("locale `{tag}`: {e}"))?;
        let missing = |e: &dyn std::fmt::Display| format!("no data for locale `{tag}`: {e}");
        let decimal = DecimalFormatter::try_new(locale.clone().into(), Default::default()).map_err(|e| missing(&e))?;
        let one_and_a_half = Decimal::from_str("1.5").map(|d| decimal.format(&d).to_string()).unwrap_or_default();
        Ok(Locale {
            separator: one_and_a_half.trim_start_matches('1').trim_end_matches('5').to_string(),
            decimal,
            percent: PercentFormatter::try_new(locale.clone().into(), Default::default()).map_err(|e| missing(&e))?,
            month: DateTimeFormatter::try_new(locale.into(), YM::long()).map_err(|e| missing(&e))?,
        })
    }

    /// A decimal number written in ASCII (`-1234.50`) as the locale writes
    /// it (`-1 234,50`); text that is not such a number comes back as is.
    pub fn number(&self, ascii: &str) -> String {
        match Decimal::from_str(ascii) {
            Ok(d) => self.decimal.format(&d).to_string(),
            Err(_) => ascii.to_string(),
        }
    }

    /// A short number written in ASCII (`2005`, `2.5`) with the locale's
    /// decimal separator and no grouping: axis labels, where years must
    /// read as years.
    pub fn ungrouped(&self, ascii: &str) -> String {
        ascii.replace('.', &self.separator)
    }

    /// A percentage written in ASCII (`72.1` for 72.1%) with the locale's
    /// sign and spacing (`72,1 %`).
    pub fn percent(&self, ascii: &str) -> String {
        match Decimal::from_str(ascii) {
            Ok(d) => self.percent.format(&d).to_string(),
            Err(_) => format!("{ascii}%"),
        }
    }

    /// A month and its year (`décembre 2018`).
    pub fn month(&self, year: i32, month: u8) -> String {
        match Date::try_new_iso(year, month, 1) {
            Ok(date) => self.month.format(&date).to_string(),
            Err(_) => format!("{year}-{month:02}"),
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Locale>>> = const { RefCell::new(None) };
    static MADE: RefCell<BTreeMap<String, Rc<Locale>>> = const { RefCell::new(BTreeMap::new()) };
}

/// Runs `f` with `tag` as the current locale on this thread (`en`: the
/// built-in English), then restores the one before.
pub fn with<R>(tag: &str, f: impl FnOnce() -> R) -> Result<R, String> {
    let locale = if tag == "en" {
        None
    } else {
        let made = MADE.with(|m| m.borrow().get(tag).cloned());
        Some(match made {
            Some(l) => l,
            None => {
                let l = Rc::new(Locale::new(tag)?);
                MADE.with(|m| m.borrow_mut().insert(tag.to_string(), l.clone()));
                l
            }
        })
    };
    let before = CURRENT.with(|c| c.replace(locale));
    struct Restore(Option<Option<Rc<Locale>>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take().flatten();
            CURRENT.with(|c| *c.borrow_mut() = before);
        }
    }
    let _restore = Restore(Some(before));
    Ok(f())
}

/// The locale of the page being rendered on this thread (`None`: English).
pub fn current() -> Option<Rc<Locale>> {
    CURRENT.with(|c| c.borrow().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_each_language_does() {
        let fr = Locale::new("fr").unwrap();
        assert_eq!(fr.number("1132367"), "1\u{202f}132\u{202f}367");
        assert_eq!(fr.number("4.41"), "4,41");
        assert_eq!(fr.number("-0.5"), "-0,5");
        assert_eq!(fr.percent("72.1"), "72,1\u{a0}%");
        assert_eq!(fr.month(2018, 12), "décembre 2018");
        let de = Locale::new("de").unwrap();
        assert_eq!((de.number("1132367"), de.number("4.41")), ("1.132.367".into(), "4,41".into()));
        assert_eq!(de.month(2018, 12), "Dezember 2018");
        let es = Locale::new("es").unwrap();
        assert_eq!(es.month(2018, 12), "diciembre de 2018");
        assert_eq!(fr.number("not a number"), "not a number");
        assert_eq!((fr.ungrouped("2005"), fr.ungrouped("2.5")), ("2005".into(), "2,5".into()));
        assert!(check("xx").unwrap_err().contains("unknown locale `xx` (expected one of: en, de"));
    }

    #[test]
    fn the_locale_holds_for_the_call_and_is_restored() {
        assert!(current().is_none());
        let inner = with("fr", || {
            let fr = current().map(|l| l.number("1.5"));
            let de = with("de", || current().map(|l| l.number("1000"))).unwrap();
            (fr, de, current().map(|l| l.number("1.5")))
        })
        .unwrap();
        assert_eq!(inner, (Some("1,5".into()), Some("1.000".into()), Some("1,5".into())));
        assert!(current().is_none());
        assert!(with("xx", || ()).is_err());
    }
}
