//! Dates as the files hold them: ISO `YYYY-MM-DD` as Kaggle ships them, and
//! the layouts spreadsheet tools write when they re-save a file.
//!
//! Accepted: `YYYY-MM-DD`, `YYYY/MM/DD`, either followed by a time
//! (`2008-03-01 00:00:00`, `2008-03-01T00:00:00`); `DD.MM.YYYY`; and
//! `A/B/YYYY` (US month/day or European day/month). A slash date never guesses its
//! order: a file's order is decided by all its unambiguous slash dates (those
//! with a day above 12), the majority wins ([`decide`]), and a date that
//! contradicts it, or that stays ambiguous, is reported as unreadable rather
//! than read the wrong way.

use chrono::NaiveDate;

/// The order of a file's slash dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SlashOrder {
    /// Not decided yet: a slash date is given back as [`Parsed::Slash`].
    #[default]
    Unknown,
    /// Month first (`03/25/2008`).
    MonthFirst,
    /// Day first (`25/03/2008`).
    DayFirst,
    /// No majority (no unambiguous slash date, or as many of each order):
    /// an unambiguous date reads as it must, an ambiguous one is unreadable.
    Neither,
}

/// A parsed date, or a slash date of a file whose order is not decided yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// A date.
    Date(NaiveDate),
    /// `a/b/year`, in a file whose order is not decided yet.
    Slash(u32, u32, i32),
}

/// The order one slash date shows, if it shows one: `25/03/2008` is day
/// first, `03/25/2008` month first, `03/04/2008` neither.
pub fn vote(text: &str) -> Option<SlashOrder> {
    match parse(text, SlashOrder::Unknown) {
        Ok(Parsed::Slash(a, b, _)) if a > 12 && b <= 12 => Some(SlashOrder::DayFirst),
        Ok(Parsed::Slash(a, b, _)) if b > 12 && a <= 12 => Some(SlashOrder::MonthFirst),
        _ => None,
    }
}

/// A file's slash order from the votes of its unambiguous dates: the
/// majority, or [`SlashOrder::Neither`] on a tie.
pub fn decide(day_first: u64, month_first: u64) -> SlashOrder {
    match day_first.cmp(&month_first) {
        std::cmp::Ordering::Greater => SlashOrder::DayFirst,
        std::cmp::Ordering::Less => SlashOrder::MonthFirst,
        std::cmp::Ordering::Equal => SlashOrder::Neither,
    }
}

fn num<T: std::str::FromStr>(s: &str, digits: std::ops::RangeInclusive<usize>) -> Option<T> {
    if digits.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()) { s.parse().ok() } else { None }
}

fn ymd(y: i32, m: u32, d: u32) -> Result<NaiveDate, String> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("no such day {y:04}-{m:02}-{d:02}"))
}

/// `YYYY-MM-DD` exactly, the layout of the Kaggle files, read without the
/// general path's splitting (`None` for any other text).
fn iso(text: &[u8]) -> Option<(i32, u32, u32)> {
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *text else {
        return None;
    };
    let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |a: u8, b: u8| u32::from(a - b'0') * 10 + u32::from(b - b'0');
    Some(((n(y0, y1) * 100 + n(y2, y3)) as i32, n(m0, m1), n(d0, d1)))
}

/// Parses `text`; `order` is the file's slash order.
pub fn parse(text: &str, order: SlashOrder) -> Result<Parsed, String> {
    if let Some((y, m, d)) = iso(text.as_bytes()) {
        return ymd(y, m, d).map(Parsed::Date);
    }
    let t = text.trim();
    // a time after the date (spreadsheets add midnight) is dropped
    let date_part = t.split([' ', 'T']).next().unwrap_or("");
    let rest = &t[date_part.len()..];
    if !rest.is_empty() && !is_time(rest.trim_start_matches([' ', 'T'])) {
        return Err(format!("expected a date, found `{text}`"));
    }
    let bad = || format!("expected a date like `2008-03-25`, found `{text}`");
    let parts: Vec<&str> = date_part.split(['-', '/', '.']).collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    let sep = date_part.as_bytes()[parts[0].len()];
    if let Some(y) = num::<i32>(parts[0], 4..=4) {
        if sep == b'.' || date_part.as_bytes().get(parts[0].len() + parts[1].len() + 1) != Some(&sep) {
            return Err(bad());
        }
        let m = num(parts[1], 1..=2).ok_or_else(bad)?;
        let d = num(parts[2], 1..=2).ok_or_else(bad)?;
        return ymd(y, m, d).map(Parsed::Date);
    }
    let a: u32 = num(parts[0], 1..=2).ok_or_else(bad)?;
    let b: u32 = num(parts[1], 1..=2).ok_or_else(bad)?;
    let y: i32 = num(parts[2], 4..=4).ok_or_else(bad)?;
    match sep {
        b'.' => ymd(y, b, a).map(Parsed::Date),
        b'/' if order == SlashOrder::Unknown => Ok(Parsed::Slash(a, b, y)),
        b'/' => resolve(a, b, y, order).map(Parsed::Date),
        _ => Err(bad()),
    }
}

/// The date of `a/b/year` in a file of slash order `order`.
pub fn resolve(a: u32, b: u32, y: i32, order: SlashOrder) -> Result<NaiveDate, String> {
    let text = format!("{a:02}/{b:02}/{y:04}");
    let contradicts = |o: &str| format!("`{text}` contradicts the {o} order of most of the file's slash dates");
    match order {
        _ if a == b => ymd(y, a, b),
        SlashOrder::DayFirst if b > 12 && a <= 12 => Err(contradicts("day/month/year")),
        SlashOrder::DayFirst => ymd(y, b, a),
        SlashOrder::MonthFirst if a > 12 && b <= 12 => Err(contradicts("month/day/year")),
        SlashOrder::MonthFirst => ymd(y, a, b),
        _ if a > 12 && b <= 12 => ymd(y, b, a),
        _ if b > 12 && a <= 12 => ymd(y, a, b),
        _ if a > 12 => Err(format!("expected a date like `2008-03-25`, found `{text}`")),
        _ => Err(format!(
            "ambiguous date `{text}`: the file's slash dates do not tell whether it is day/month or month/day"
        )),
    }
}

fn is_time(s: &str) -> bool {
    let s = s.trim_end_matches('Z');
    let hms: Vec<&str> = s.split(':').collect();
    (2..=3).contains(&hms.len())
        && hms.iter().all(|p| {
            !p.is_empty() && p.split('.').next().is_some_and(|i| i.len() <= 2 && i.bytes().all(|b| b.is_ascii_digit()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Result<Parsed, String> {
        match parse(s, SlashOrder::Unknown)? {
            Parsed::Slash(a, b, y) => resolve(a, b, y, SlashOrder::Neither).map(Parsed::Date),
            p => Ok(p),
        }
    }

    fn d(y: i32, m: u32, dd: u32) -> Parsed {
        Parsed::Date(NaiveDate::from_ymd_opt(y, m, dd).unwrap())
    }

    #[test]
    fn reads_iso_and_spreadsheet_layouts() {
        assert_eq!(date("2008-03-25"), Ok(d(2008, 3, 25)));
        assert_eq!(date("1999-12-31"), Ok(d(1999, 12, 31)));
        assert_eq!(date("2000-02-29"), Ok(d(2000, 2, 29)));
        assert_eq!(date(" 2008-3-5 "), Ok(d(2008, 3, 5)));
        assert_eq!(date("2008/03/25"), Ok(d(2008, 3, 25)));
        assert_eq!(date("2008-03-25 00:00:00"), Ok(d(2008, 3, 25)));
        assert_eq!(date("2008-03-25T00:00"), Ok(d(2008, 3, 25)));
        assert_eq!(date("25.03.2008"), Ok(d(2008, 3, 25)));
        assert_eq!(date("03/25/2008"), Ok(d(2008, 3, 25)));
        assert_eq!(date("25/03/2008"), Ok(d(2008, 3, 25)));
        assert_eq!(date("5/5/2008"), Ok(d(2008, 5, 5)));
    }

    #[test]
    fn never_guesses() {
        assert_eq!(parse("03/04/2008", SlashOrder::Unknown), Ok(Parsed::Slash(3, 4, 2008)));
        assert!(date("03/04/2008").unwrap_err().contains("ambiguous"));
        assert_eq!(parse("03/04/2008", SlashOrder::DayFirst), Ok(d(2008, 4, 3)));
        assert_eq!(parse("03/04/2008", SlashOrder::MonthFirst), Ok(d(2008, 3, 4)));
        assert!(parse("03/25/2008", SlashOrder::DayFirst).unwrap_err().contains("contradicts"));
        assert!(parse("25/03/2008", SlashOrder::MonthFirst).unwrap_err().contains("contradicts"));
        assert!(parse("13/25/2008", SlashOrder::Neither).is_err());
    }

    #[test]
    fn the_majority_decides() {
        assert_eq!(vote("25/03/2008"), Some(SlashOrder::DayFirst));
        assert_eq!(vote("03/25/2008"), Some(SlashOrder::MonthFirst));
        assert_eq!(vote("03/04/2008"), None);
        assert_eq!(vote("2008-03-25"), None);
        assert_eq!(decide(10, 1), SlashOrder::DayFirst);
        assert_eq!(decide(1, 10), SlashOrder::MonthFirst);
        assert_eq!(decide(3, 3), SlashOrder::Neither);
        assert_eq!(decide(0, 0), SlashOrder::Neither);
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for bad in [
            "",
            "2008",
            "2008-13-01",
            "2008-02-30",
            "39508",
            "March 3, 2008",
            "2008-03-25 noon",
            "2008-03/25",
            "1.2.3",
            "2008.03.25",
            "2008-00-10",
            "2008-01-00",
            "1900-02-29",
            "2008-0a-25",
            "2008-03-2５",
        ] {
            assert!(date(bad).is_err(), "{bad}");
        }
    }
}
