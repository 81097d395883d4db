//! CSV records, RFC 4180, straight from the file's bytes.
//!
//! The splitter is strict where strictness finds damage and lenient where the
//! real files need it: a quote opens a quoted field only at the start of a
//! field (a `"` inside an unquoted field is data), `""` inside quotes is one
//! quote, quoted fields span lines, `\r\n` and `\n` both end a record, empty
//! lines are skipped. A quoted field that never closes, or text right after a
//! closing quote, makes the record starting at that line bad; the splitter
//! then resumes at the next physical line, so one broken quote costs one row
//! and never swallows the rest of the file.
//!
//! A file can be read a piece at a time ([`Splitter::piece`]): a record that
//! runs past the end of a piece is left for the next one, which starts with it.

use memchr::{memchr, memchr2};
use std::borrow::Cow;

/// Why the splitter could not read a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    /// A quoted field runs to the end of the file.
    UnterminatedQuote,
    /// Text follows a closing quote (`"ab"c`).
    StrayQuote,
}

/// Where a record (good or bad) lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// 1-based line where the record starts.
    pub line: u64,
    /// Byte offset of its first byte.
    pub start: usize,
    /// Byte offset just past it (its line end excluded).
    pub end: usize,
}

/// Splits a file, or a piece of it, into records.
pub struct Splitter<'a> {
    data: &'a [u8],
    pos: usize,
    line: u64,
    /// Whether the file ends where `data` does.
    at_end: bool,
    /// Set when the next record runs past the end of a piece.
    short: bool,
    /// Buffers of unescaped fields (`""` read as `"`) given back by earlier
    /// records, reused so that their capacity is kept.
    spare: Vec<Vec<u8>>,
}

/// The UTF-8 byte-order mark, skipped at the start of a file.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<'a> Splitter<'a> {
    /// A splitter over a whole file; a UTF-8 byte-order mark at the start is skipped.
    pub fn new(data: &'a [u8]) -> Splitter<'a> {
        let pos = if data.starts_with(BOM) { BOM.len() } else { 0 };
        Splitter { data, pos, line: 1, at_end: true, short: false, spare: Vec::new() }
    }

    /// A splitter over a piece of a file that starts at a record boundary,
    /// on line `line`; `at_end` says whether the file ends with the piece.
    /// Records are read up to the last one the piece holds whole: then
    /// [`Splitter::next_record`] returns `None` and [`Splitter::needs_more`]
    /// is true, and the next piece must start at [`Splitter::consumed`].
    pub fn piece(data: &'a [u8], line: u64, at_end: bool) -> Splitter<'a> {
        Splitter { data, pos: 0, line, at_end, short: false, spare: Vec::new() }
    }

    /// Whether reading stopped at a record that runs past the piece.
    pub fn needs_more(&self) -> bool {
        self.short
    }

    /// The bytes of the piece read so far (where the next record starts).
    pub fn consumed(&self) -> usize {
        self.pos
    }

    /// The line where the next record starts.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The end of a piece that is not the end of the file: the record
    /// being read is left for the next piece.
    fn short<T>(&mut self) -> Option<T> {
        self.short = true;
        None
    }

    /// Reads the next record's fields into `fields` (cleared first). Returns
    /// `None` at the end, `Some(Ok(span))` for a record, `Some(Err((span,
    /// damage)))` for a damaged one (its span covers its first line).
    pub fn next_record(&mut self, fields: &mut Vec<Cow<'a, [u8]>>) -> Option<Result<Span, (Span, Damage)>> {
        let data = self.data;
        if self.short {
            return None;
        }
        // skip empty lines
        loop {
            match data.get(self.pos..) {
                None | Some([]) if !self.at_end => return self.short(),
                Some([b'\r']) if !self.at_end => return self.short(),
                None | Some([]) => return None,
                Some([b'\n', ..]) => {
                    self.pos += 1;
                    self.line += 1;
                }
                Some([b'\r', b'\n', ..]) => {
                    self.pos += 2;
                    self.line += 1;
                }
                Some(_) => break,
            }
        }
        for field in fields.drain(..) {
            if let Cow::Owned(mut buf) = field {
                buf.clear();
                self.spare.push(buf);
            }
        }
        let start = self.pos;
        let start_line = self.line;
        let mut pos = self.pos;
        let mut line = self.line;
        loop {
            if data.get(pos) == Some(&b'"') {
                // quoted field
                let mut value: Option<Vec<u8>> = None;
                let mut seg = pos + 1;
                // the next quote, counting the line ends on the way (one pass)
                let mut from = seg;
                loop {
                    let Some(q) = memchr2(b'"', b'\n', &data[from..]).map(|i| i + from) else {
                        if !self.at_end {
                            return self.short();
                        }
                        return Some(Err(self.damaged(start, start_line, Damage::UnterminatedQuote)));
                    };
                    if data[q] == b'\n' {
                        line += 1;
                        from = q + 1;
                        continue;
                    }
                    if data.get(q + 1) == Some(&b'"') {
                        value
                            .get_or_insert_with(|| self.spare.pop().unwrap_or_default())
                            .extend_from_slice(&data[seg..=q]);
                        seg = q + 2;
                        from = seg;
                        continue;
                    }
                    let field = match value.take() {
                        Some(mut v) => {
                            v.extend_from_slice(&data[seg..q]);
                            Cow::Owned(v)
                        }
                        None => Cow::Borrowed(&data[pos + 1..q]),
                    };
                    fields.push(field);
                    pos = q + 1;
                    break;
                }
                // at the end of a piece: `""` or `\r\n` may be split between two
                if !self.at_end && (pos == data.len() || (data[pos] == b'\r' && pos + 1 == data.len())) {
                    return self.short();
                }
                match data.get(pos) {
                    Some(b',') => pos += 1,
                    Some(b'\n') => return Some(Ok(self.finish(start, start_line, pos, pos + 1, line + 1))),
                    Some(b'\r') if data.get(pos + 1) == Some(&b'\n') => {
                        return Some(Ok(self.finish(start, start_line, pos, pos + 2, line + 1)));
                    }
                    None => return Some(Ok(self.finish(start, start_line, pos, pos, line))),
                    Some(_) => {
                        if !self.at_end && memchr(b'\n', &data[start..]).is_none() {
                            // the damaged line continues in the next piece
                            return self.short();
                        }
                        return Some(Err(self.damaged(start, start_line, Damage::StrayQuote)));
                    }
                }
            } else {
                match memchr2(b',', b'\n', &data[pos..]).map(|i| i + pos) {
                    Some(i) if data[i] == b',' => {
                        fields.push(Cow::Borrowed(&data[pos..i]));
                        pos = i + 1;
                    }
                    Some(i) => {
                        let end = if i > pos && data[i - 1] == b'\r' { i - 1 } else { i };
                        fields.push(Cow::Borrowed(&data[pos..end]));
                        return Some(Ok(self.finish(start, start_line, end, i + 1, line + 1)));
                    }
                    None if !self.at_end => return self.short(),
                    None => {
                        let mut end = data.len();
                        if end > pos && data[end - 1] == b'\r' {
                            end -= 1;
                        }
                        fields.push(Cow::Borrowed(&data[pos..end]));
                        return Some(Ok(self.finish(start, start_line, end, data.len(), line)));
                    }
                }
            }
        }
    }

    fn finish(&mut self, start: usize, line: u64, end: usize, next: usize, next_line: u64) -> Span {
        self.pos = next;
        self.line = next_line;
        Span { line, start, end }
    }

    /// Marks the record at `start` damaged and resumes at the next line.
    fn damaged(&mut self, start: usize, line: u64, damage: Damage) -> (Span, Damage) {
        let eol = memchr(b'\n', &self.data[start..]).map_or(self.data.len(), |i| i + start);
        let end = if eol > start && self.data[eol - 1] == b'\r' { eol - 1 } else { eol };
        self.pos = (eol + 1).min(self.data.len());
        self.line = line + 1;
        (Span { line, start, end }, damage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Got = Vec<Result<(u64, Vec<String>), (u64, Damage)>>;

    fn split(text: &[u8]) -> Got {
        let mut s = Splitter::new(text);
        let mut fields = Vec::new();
        let mut out = Vec::new();
        while let Some(r) = s.next_record(&mut fields) {
            out.push(match r {
                Ok(span) => Ok((span.line, fields.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect())),
                Err((span, d)) => Err((span.line, d)),
            });
        }
        out
    }

    fn row(line: u64, fields: &[&str]) -> Result<(u64, Vec<String>), (u64, Damage)> {
        Ok((line, fields.iter().map(|s| s.to_string()).collect()))
    }

    #[test]
    fn splits_plain_and_quoted_fields() {
        assert_eq!(
            split(b"a,b\n\"x, y\",\"say \"\"hi\"\"\"\n,\n"),
            vec![row(1, &["a", "b"]), row(2, &["x, y", "say \"hi\""]), row(3, &["", ""])]
        );
    }

    #[test]
    fn quoted_fields_span_lines_and_lines_are_counted() {
        assert_eq!(
            split(b"a,\"one\ntwo\nthree\"\nb,c\n"),
            vec![row(1, &["a", "one\ntwo\nthree"]), row(4, &["b", "c"])]
        );
    }

    #[test]
    fn crlf_bom_blank_and_missing_final_newline() {
        assert_eq!(
            split(b"\xEF\xBB\xBFh1,h2\r\n1,\"2\"\r\n\r\n3,4"),
            vec![row(1, &["h1", "h2"]), row(2, &["1", "2"]), row(4, &["3", "4"])]
        );
        assert_eq!(split(b"a,b\r\n\r\n"), vec![row(1, &["a", "b"])]);
        assert_eq!(split(b""), vec![]);
    }

    #[test]
    fn quotes_inside_unquoted_fields_are_data() {
        assert_eq!(split(b"a 9\" pan,b\n"), vec![row(1, &["a 9\" pan", "b"])]);
    }

    #[test]
    fn an_unterminated_quote_costs_one_row() {
        assert_eq!(
            split(b"1,\"broken\n2,ok\n3,fine\n"),
            vec![Err((1, Damage::UnterminatedQuote)), row(2, &["2", "ok"]), row(3, &["3", "fine"])]
        );
        assert_eq!(
            split(b"1,\"broken\n2,ok\n3,\"quoted\"\n4,x\n"),
            vec![Err((1, Damage::StrayQuote)), row(2, &["2", "ok"]), row(3, &["3", "quoted"]), row(4, &["4", "x"])]
        );
    }
}
