//! Dates as the files hold them: ISO `YYYY-MM-DD` as Kaggle ships them, and
//! the layouts spreadsheet tools write when they re-save a file.
//!
//! Accepted: `YYYY-MM-DD`, `YYYY/MM/DD`, either followed by a time
//! (`2008-03-01 00:00:00`, `2008-03-01T00:00:00`); `DD.MM.YYYY`; and
//! `A/B/YYYY` (US month/day or European day/month). A slash date never guesses its
//! order: a file's order is learned from its first date whose day is above 12,
//! and a date that is ambiguous before that, or that contradicts it, is
//! reported as unreadable rather than read the wrong way.

use chrono::NaiveDate;

/// The order of a file's slash dates, once learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SlashOrder {
    /// Not seen an unambiguous slash date yet.
    #[default]
    Unknown,
    /// Month first (`03/25/2008`).
    MonthFirst,
    /// Day first (`25/03/2008`).
    DayFirst,
}

/// A parsed date, or a slash date whose order is not known yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// A date.
    Date(NaiveDate),
    /// `a/b/year` with both `a` and `b` at most 12 and different, in a file
    /// whose order is not known yet.
    Ambiguous(u32, u32, i32),
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

/// Parses `text`; `order` is the file's slash order and learns from this date.
pub fn parse(text: &str, order: &mut SlashOrder) -> Result<Parsed, String> {
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
        b'/' => {
            let seen = if a > 12 && b <= 12 {
                SlashOrder::DayFirst
            } else if b > 12 && a <= 12 {
                SlashOrder::MonthFirst
            } else {
                SlashOrder::Unknown
            };
            match (*order, seen) {
                (SlashOrder::Unknown, SlashOrder::Unknown) if a == b => ymd(y, a, b).map(Parsed::Date),
                (SlashOrder::Unknown, SlashOrder::Unknown) if a <= 12 && b <= 12 => Ok(Parsed::Ambiguous(a, b, y)),
                (SlashOrder::Unknown, SlashOrder::Unknown) => ymd(y, a, b).map(Parsed::Date),
                (SlashOrder::Unknown, s) => {
                    *order = s;
                    resolve(a, b, y, s).map(Parsed::Date)
                }
                (known, SlashOrder::Unknown) => resolve(a, b, y, known).map(Parsed::Date),
                (known, s) if known == s => resolve(a, b, y, known).map(Parsed::Date),
                (known, _) => Err(format!(
                    "`{text}` contradicts the file's {} dates",
                    if known == SlashOrder::MonthFirst { "month/day/year" } else { "day/month/year" }
                )),
            }
        }
        _ => Err(bad()),
    }
}

/// The date of `a/b/year` in a known order.
pub fn resolve(a: u32, b: u32, y: i32, order: SlashOrder) -> Result<NaiveDate, String> {
    match order {
        SlashOrder::DayFirst => ymd(y, b, a),
        _ => ymd(y, a, b),
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
        parse(s, &mut SlashOrder::Unknown)
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
        assert_eq!(date("03/04/2008"), Ok(Parsed::Ambiguous(3, 4, 2008)));
        let mut order = SlashOrder::Unknown;
        assert_eq!(parse("25/03/2008", &mut order), Ok(d(2008, 3, 25)));
        assert_eq!(order, SlashOrder::DayFirst);
        assert_eq!(parse("03/04/2008", &mut order), Ok(d(2008, 4, 3)));
        assert!(parse("03/25/2008", &mut order).unwrap_err().contains("contradicts"));
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
