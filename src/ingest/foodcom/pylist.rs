//! Python list literals, as the Food.com files store `tags`, `steps`,
//! `ingredients` (lists of strings) and `nutrition` (a list of floats).
//!
//! The value of an item is what Python's `ast.literal_eval` gives: items are
//! quoted with `'` or `"`, escapes (`\'`, `\\`, `\n`, `\xhh`, `\uXXXX`, ...)
//! are decoded, and commas inside quotes belong to the item. Splitting on
//! `", "` is wrong, which is why this parser exists.

/// Parses a list of string literals: `['a', "b's", 'c\'d']`.
pub fn parse_strings(src: &str) -> Result<Vec<String>, String> {
    let mut text = String::new();
    let mut ends = Vec::new();
    append_strings(src, &mut text, |end| ends.push(end))?;
    let starts = std::iter::once(0).chain(ends.iter().copied());
    Ok(starts.zip(&ends).map(|(s, &e)| text[s..e].to_string()).collect())
}

/// Parses a list of string literals, appending each item's value to `out`
/// and calling `end` with `out`'s length after each one: the items land in
/// one buffer, copied once. Returns the count. On an error, `out` may hold
/// part of the items.
pub fn append_strings(src: &str, out: &mut String, mut end: impl FnMut(usize)) -> Result<usize, String> {
    let counts = parse_list(src, |p| {
        p.string_into(out)?;
        // adjacent literals concatenate, as in Python
        loop {
            p.skip_ws();
            match p.peek() {
                Some(b'\'' | b'"') => p.string_into(out)?,
                _ => break,
            }
        }
        end(out.len());
        Ok(())
    })?;
    Ok(counts.len())
}

/// Parses a list of numbers: `[51.5, 0.0, 13.0]`, exactly as
/// `[float(x) for x in ast.literal_eval(src)]` would when every item is an
/// `int` or a `float`: Python's number literals (`1_000`, `0x10`, `0o17`,
/// `0b101`, `.5`, `5.`, `1e-05`; a float literal too large is infinite),
/// one optional sign, parentheses around an item. What `literal_eval`
/// rejects is an error (`nan`, `inf` are names, not literals; `01`, `1__0`),
/// and so is what it accepts but is not a real number (`True`, `1j`,
/// `None`, a string) or an integer too large for a float.
pub fn parse_floats(src: &str) -> Result<Vec<f64>, String> {
    parse_list(src, |p| {
        let start = p.i;
        let v = p.signed_number()?;
        if v.is_nan() {
            return Err(format!("expected a number at byte {start}"));
        }
        Ok(v)
    })
}

/// `[`, items separated by `,` (a trailing comma allowed), `]`, nothing after.
fn parse_list<T>(src: &str, mut item: impl FnMut(&mut Parser<'_>) -> Result<T, String>) -> Result<Vec<T>, String> {
    let mut p = Parser { s: src.as_bytes(), src, i: 0 };
    p.open()?;
    let mut items = Vec::new();
    loop {
        p.skip_ws();
        if p.eat(b']') {
            break;
        }
        items.push(item(&mut p)?);
        p.skip_ws();
        if p.eat(b',') {
            continue;
        }
        if p.eat(b']') {
            break;
        }
        return Err(p.unexpected("`,` or `]`"));
    }
    p.end()?;
    Ok(items)
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Skips what Python's tokenizer skips inside brackets: spaces, tabs,
    /// form feeds, line breaks, comments and backslash line continuations.
    fn skip_ws(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') => self.i += 1,
                Some(b'#') => {
                    while self.peek().is_some_and(|b| b != b'\n' && b != b'\r') {
                        self.i += 1;
                    }
                }
                Some(b'\\') if matches!(self.s.get(self.i + 1), Some(b'\n' | b'\r')) => self.i += 2,
                _ => return,
            }
        }
    }

    /// An item of a list of numbers: parentheses, at most one sign (Python
    /// parses `--1` but `literal_eval` rejects a sign on a signed number),
    /// then a number literal.
    fn signed_number(&mut self) -> Result<f64, String> {
        let mut sign = None;
        let mut depth = 0;
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'(') => {
                    self.i += 1;
                    depth += 1;
                }
                Some(c @ (b'-' | b'+')) if sign.is_none() => {
                    self.i += 1;
                    sign = Some(c);
                }
                _ => break,
            }
        }
        let (v, integer) = self.number()?;
        for _ in 0..depth {
            self.skip_ws();
            if !self.eat(b')') {
                return Err(self.unexpected("`)`"));
            }
        }
        // an integer is negated as an integer: `-0` is 0, not -0.0
        Ok(if sign == Some(b'-') && !(integer && v == 0.0) { -v } else { v })
    }

    /// A number literal as Python's tokenizer reads it, as a float, and
    /// whether it is an integer literal.
    fn number(&mut self) -> Result<(f64, bool), String> {
        let start = self.i;
        let rest = &self.s[self.i..];
        // the token: letters, digits, `_` and `.` (and a sign right after
        // an exponent), as far as they go
        let mut end = 0;
        while end < rest.len() {
            let b = rest[end];
            let exponent_sign = matches!(b, b'+' | b'-')
                && end > 0
                && matches!(rest[end - 1], b'e' | b'E')
                && !rest[..end].starts_with(b"0x")
                && !rest[..end].starts_with(b"0X");
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
                end += 1;
            } else {
                break;
            }
        }
        let token = &self.src[start..start + end];
        let bad = || {
            if token.is_empty() {
                self.unexpected("a number")
            } else {
                format!("expected a number at byte {start}, found `{token}`")
            }
        };
        let value = python_number(token).ok_or_else(bad)?;
        self.i = start + end;
        Ok(value)
    }

    fn open(&mut self) -> Result<(), String> {
        self.skip_ws();
        if self.eat(b'[') { Ok(()) } else { Err(self.unexpected("`[`")) }
    }

    fn end(&mut self) -> Result<(), String> {
        self.skip_ws();
        if self.i == self.s.len() { Ok(()) } else { Err(self.unexpected("the end of the list")) }
    }

    fn unexpected(&self, expected: &str) -> String {
        match self.src[self.i.min(self.src.len())..].chars().next() {
            Some(c) => format!("expected {expected} at byte {}, found `{c}`", self.i),
            None => format!("expected {expected}, found the end of the text"),
        }
    }

    /// One quoted string literal (with an optional `u`/`r` prefix is not
    /// supported: the files never hold them, and `literal_eval` of `repr` never
    /// produces them).
    /// Appends the value of one quoted string literal to `out`.
    fn string_into(&mut self, out: &mut String) -> Result<(), String> {
        let quote = match self.peek() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return Err(self.unexpected("a quoted string")),
        };
        let start = self.i;
        self.i += 1;
        loop {
            let Some(b) = self.peek() else {
                return Err(format!("unterminated string starting at byte {start}"));
            };
            if b == quote {
                self.i += 1;
                return Ok(());
            }
            if b == b'\n' {
                return Err(format!("line break inside the string starting at byte {start}"));
            }
            if b == b'\\' {
                self.i += 1;
                self.escape(out, start)?;
                continue;
            }
            // copy the plain run up to the next quote, backslash or line break
            // (all ASCII, so the cut is on a character boundary)
            let run = memchr::memchr3(quote, b'\\', b'\n', &self.s[self.i..]).map_or(self.s.len(), |k| k + self.i);
            out.push_str(&self.src[self.i..run]);
            self.i = run;
        }
    }

    fn hex(&mut self, digits: usize, start: usize) -> Result<u32, String> {
        let text = self
            .src
            .get(self.i..self.i + digits)
            .ok_or_else(|| format!("truncated escape in the string starting at byte {start}"))?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("invalid escape `{text}` in the string starting at byte {start}"));
        }
        self.i += digits;
        u32::from_str_radix(text, 16).map_err(|e| e.to_string())
    }

    fn escape(&mut self, out: &mut String, start: usize) -> Result<(), String> {
        let Some(b) = self.peek() else {
            return Err(format!("unterminated string starting at byte {start}"));
        };
        self.i += 1;
        let ch = match b {
            b'\n' => return Ok(()),
            b'\\' => '\\',
            b'\'' => '\'',
            b'"' => '"',
            b'a' => '\x07',
            b'b' => '\x08',
            b'f' => '\x0c',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'v' => '\x0b',
            b'0'..=b'7' => {
                let mut v = u32::from(b - b'0');
                for _ in 0..2 {
                    match self.peek() {
                        Some(d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            self.i += 1;
                        }
                        _ => break,
                    }
                }
                char::from_u32(v)
                    .ok_or_else(|| format!("invalid octal escape in the string starting at byte {start}"))?
            }
            b'x' | b'u' | b'U' => {
                let digits = match b {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let v = self.hex(digits, start)?;
                char::from_u32(v).ok_or_else(|| {
                    format!("escape U+{v:X} is not a character, in the string starting at byte {start}")
                })?
            }
            b'N' => {
                // `\N{NAME}` needs Unicode's name table; `repr` never writes it
                return Err(format!("named escape `\\N` in the string starting at byte {start} is not supported"));
            }
            _ => {
                // Python keeps unknown escapes as written
                out.push('\\');
                self.i -= 1;
                return Ok(());
            }
        };
        out.push(ch);
        Ok(())
    }
}

/// The value of a Python number literal as a float, and whether it is an
/// integer; `None` when the text is not one, or not a real number (`1j`),
/// or an integer too large for a float (Python's `float()` fails on it).
fn python_number(token: &str) -> Option<(f64, bool)> {
    let b = token.as_bytes();
    // the files' own forms, `51.5` and `0`, read straight away
    let dots = b.iter().filter(|&&c| c == b'.').count();
    if !b.is_empty() && dots <= 1 && b.iter().all(|&c| c.is_ascii_digit() || c == b'.') {
        if dots == 1 {
            return if b.len() > 1 { token.parse().ok().map(|v| (v, false)) } else { None };
        }
        if b.len() > 1 && b[0] == b'0' && b.iter().any(|&c| c != b'0') {
            return None;
        }
        return token.parse::<f64>().ok().filter(|v| v.is_finite()).map(|v| (v, true));
    }
    let digits_ok = |part: &str, radix: u32| {
        // digits with single `_` between them (one may lead after a prefix)
        !part.is_empty()
            && !part.ends_with('_')
            && !part.contains("__")
            && part.chars().all(|c| c == '_' || c.is_digit(radix))
    };
    if b.len() > 1 && b[0] == b'0' && matches!(b[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B') {
        let radix = match b[1] {
            b'x' | b'X' => 16,
            b'o' | b'O' => 8,
            _ => 2,
        };
        let digits = &token[2..];
        if !digits_ok(digits.strip_prefix('_').unwrap_or(digits), radix) || digits.starts_with("__") {
            return None;
        }
        return integer_to_f64(&digits.replace('_', ""), radix).map(|v| (v, true));
    }
    if token.ends_with(['j', 'J']) {
        return None;
    }
    // a decimal part: digits with single `_` between them, never leading
    let part_ok = |part: &str| digits_ok(part, 10) && !part.starts_with('_');
    let (mantissa, exponent) = match token.find(['e', 'E']) {
        Some(i) => (&token[..i], Some(&token[i + 1..])),
        None => (token, None),
    };
    if let Some(e) = exponent {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        if !part_ok(e) {
            return None;
        }
    }
    match mantissa.split_once('.') {
        Some((int, frac)) => {
            if (int.is_empty() && frac.is_empty())
                || (!int.is_empty() && !part_ok(int))
                || (!frac.is_empty() && !part_ok(frac))
            {
                return None;
            }
        }
        None => {
            if !part_ok(mantissa) {
                return None;
            }
            // a decimal integer: no leading zero unless all zeros
            if exponent.is_none() {
                let digits = mantissa.replace('_', "");
                if digits.len() > 1 && digits.starts_with('0') && digits.bytes().any(|d| d != b'0') {
                    return None;
                }
                return integer_to_f64(&digits, 10).map(|v| (v, true));
            }
        }
    }
    let mut text = token.replace('_', "");
    // Rust reads `5.` and `.5` but not `5.e3`
    if let Some(i) = text.find(".e").or_else(|| text.find(".E")) {
        text.insert(i + 1, '0');
    }
    text.parse::<f64>().ok().map(|v| (v, false))
}

/// An integer's digits in `radix` as the nearest float; `None` when it is
/// too large for one (as Python's `float(int)` raises).
fn integer_to_f64(digits: &str, radix: u32) -> Option<f64> {
    let decimal = if radix == 10 {
        digits.to_string()
    } else {
        // digits in base 10^9, least significant first
        let mut limbs: Vec<u64> = vec![0];
        for c in digits.chars() {
            let mut carry = u64::from(c.to_digit(radix)?);
            for limb in &mut limbs {
                let v = *limb * u64::from(radix) + carry;
                *limb = v % 1_000_000_000;
                carry = v / 1_000_000_000;
            }
            while carry > 0 {
                limbs.push(carry % 1_000_000_000);
                carry /= 1_000_000_000;
            }
        }
        let mut text = limbs.last().map_or_else(String::new, u64::to_string);
        for limb in limbs.iter().rev().skip(1) {
            text.push_str(&format!("{limb:09}"));
        }
        text
    };
    let v: f64 = decimal.parse().ok()?;
    v.is_finite().then_some(v)
}

/// The Python `repr` of a string: what the Food.com files hold for each item.
/// Single quotes unless the text has a `'` and no `"`.
pub fn repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// The Python `repr` of a list of strings.
pub fn repr_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| repr(s)).collect::<Vec<_>>().join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_three_quoting_styles() {
        let items = parse_strings(
            r#"['60-minutes-or-less', "hellmann's mayonnaise", 'grandma\'s 9" pie crust', 'salt, pepper']"#,
        )
        .unwrap();
        assert_eq!(items, ["60-minutes-or-less", "hellmann's mayonnaise", "grandma's 9\" pie crust", "salt, pepper"]);
    }

    #[test]
    fn parses_escapes_and_unicode() {
        let items = parse_strings(r"['a\\b', 'tab\there', 'caf\xe9', 'é ñ', '\u00e9', 'x\qy']").unwrap();
        assert_eq!(items, ["a\\b", "tab\there", "café", "é ñ", "é", "x\\qy"]);
    }

    #[test]
    fn parses_empty_and_spacing() {
        assert!(parse_strings("[]").unwrap().is_empty());
        assert_eq!(parse_strings(" [ 'a' ,'b', ] ").unwrap(), ["a", "b"]);
        assert_eq!(parse_strings("['a' 'b']").unwrap(), ["ab"]);
    }

    #[test]
    fn rejects_malformed_lists() {
        assert!(parse_strings("['a'").unwrap_err().contains("`,` or `]`"));
        assert!(parse_strings("['a").unwrap_err().contains("unterminated"));
        assert!(parse_strings("a, b").unwrap_err().contains("`[`"));
        assert!(parse_strings("['a'] x").unwrap_err().contains("end of the list"));
        assert!(parse_strings("[a]").unwrap_err().contains("quoted string"));
        assert!(parse_strings(r"['\x4']").unwrap_err().contains("invalid escape"));
    }

    #[test]
    fn parses_floats() {
        assert_eq!(parse_floats("[51.5, 0.0, 13.0, 1e-05, -2]").unwrap(), [51.5, 0.0, 13.0, 1e-05, -2.0]);
        assert!(parse_floats("[1.0, x]").unwrap_err().contains("number"));
        assert!(parse_floats("[1.0").unwrap_err().contains("`,` or `]`"));
    }

    #[test]
    fn numbers_are_python_literals() {
        let ok = |s: &str| parse_floats(&format!("[{s}]")).unwrap_or_else(|e| panic!("{s}: {e}"))[0];
        assert_eq!(ok("0x10"), 16.0);
        assert_eq!(ok("0X_f"), 15.0);
        assert_eq!(ok("0o17"), 15.0);
        assert_eq!(ok("0b101"), 5.0);
        assert_eq!(ok("1_000"), 1000.0);
        assert_eq!(ok("1_0.5_0"), 10.5);
        assert_eq!(ok(".5"), 0.5);
        assert_eq!(ok("5."), 5.0);
        assert_eq!(ok("5.e1"), 50.0);
        assert_eq!(ok("1E+2"), 100.0);
        assert_eq!(ok("00"), 0.0);
        assert_eq!(ok("007.5"), 7.5);
        assert_eq!(ok("- 3"), -3.0);
        assert_eq!(ok("+(2)"), 2.0);
        assert_eq!(ok("(-(2))"), -2.0);
        assert_eq!(ok("1e999"), f64::INFINITY);
        assert_eq!(ok("-1e999"), f64::NEG_INFINITY);
        assert_eq!(ok("0xffffffffffffffffffffffffffffffffffff"), 2f64.powi(144));
        assert_eq!(parse_floats("[1, # a comment\n 2,\\\n 3]").unwrap(), [1.0, 2.0, 3.0]);
        for bad in [
            "nan", "NaN", "inf", "-inf", "Infinity", "01", "1__0", "1_", "_1", "0x", "0x__1", "1j", "1+2j", "1.5j",
            "True", "None", "'1'", "--1", "-+1", "1e", "1e+", "1.2.3", "0b2", "0o8", "1e5x", ".", "1 2", "(1", "1)",
            "(1,)", "1 + 2",
        ] {
            assert!(parse_floats(&format!("[{bad}]")).is_err(), "{bad} must be rejected");
        }
        // an integer too large for a float: `float()` fails in Python too
        assert!(parse_floats(&format!("[1{}]", "0".repeat(400))).is_err());
    }

    #[test]
    fn repr_round_trips() {
        for s in ["plain", "it's", "say \"hi\"", "both ' and \"", "back\\slash", "new\nline", "é"] {
            let r = repr(s);
            assert_eq!(parse_strings(&format!("[{r}]")).unwrap(), [s], "{r}");
        }
        assert_eq!(repr("it's"), "\"it's\"");
        assert_eq!(repr("both ' and \""), r#"'both \' and "'"#);
    }
}
