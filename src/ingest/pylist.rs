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

/// Parses a list of numbers: `[51.5, 0.0, 13.0]`.
pub fn parse_floats(src: &str) -> Result<Vec<f64>, String> {
    parse_list(src, |p| {
        let start = p.i;
        while p.peek().is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'_')) {
            p.i += 1;
        }
        let text = &p.src[start..p.i];
        text.replace('_', "").parse().map_err(|_| {
            format!(
                "expected a number at byte {start}, found `{}`",
                if text.is_empty() { &p.src[start..] } else { text }
            )
        })
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

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
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
    fn repr_round_trips() {
        for s in ["plain", "it's", "say \"hi\"", "both ' and \"", "back\\slash", "new\nline", "é"] {
            let r = repr(s);
            assert_eq!(parse_strings(&format!("[{r}]")).unwrap(), [s], "{r}");
        }
        assert_eq!(repr("it's"), "\"it's\"");
        assert_eq!(repr("both ' and \""), r#"'both \' and "'"#);
    }
}
