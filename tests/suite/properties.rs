//! Property tests for the parsers that touch raw bytes: the CSV record
//! splitter, dates and Python list literals. Run them alone with
//! `cargo test --release --test suite properties`; raise the number of cases
//! with `PROPTEST_CASES=100000`.

use mangetamain::ingest::foodcom::date::{self, SlashOrder};
use mangetamain::ingest::foodcom::pylist;
use mangetamain::ingest::foodcom::records::{BOM, Splitter};
use proptest::prelude::*;

/// Writes fields the way RFC 4180 writers do: quoted when needed.
fn write_record(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) || f.starts_with('"') || f.is_empty() {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

type Record = Result<(u64, Vec<Vec<u8>>), u64>;

/// Every record a splitter reads.
fn take(s: &mut Splitter<'_>, out: &mut Vec<Record>) {
    let mut fields = Vec::new();
    while let Some(r) = s.next_record(&mut fields) {
        out.push(match r {
            Ok(span) => Ok((span.line, fields.iter().map(|f| f.to_vec()).collect())),
            Err((span, _)) => Err(span.line),
        });
    }
}

/// Every record of `data` read as a whole file, or `step` bytes at a time
/// the way ingest reads (a piece grows while a record runs past it).
fn records(data: &[u8], step: Option<usize>) -> Vec<Record> {
    let mut out = Vec::new();
    let Some(step) = step else {
        take(&mut Splitter::new(data), &mut out);
        return out;
    };
    let (mut start, mut line, mut read) = (if data.starts_with(BOM) { BOM.len() } else { 0 }, 1, 0);
    loop {
        read = (read + step).max(start).min(data.len());
        let mut s = Splitter::piece(&data[start..read], line, read == data.len());
        take(&mut s, &mut out);
        start += s.consumed();
        line = s.line();
        if read == data.len() {
            return out;
        }
    }
}

#[test]
fn tricky_files_read_in_pieces_of_every_size_give_what_the_whole_file_gives() {
    let texts: [&[u8]; 8] = [
        b"a,b\n\"x, y\",\"say \"\"hi\"\"\"\n,\n",
        b"a,\"one\ntwo\nthree\"\nb,c\n",
        b"\xEF\xBB\xBFh1,h2\r\n1,\"2\"\r\n\r\n3,4",
        b"a,b\r\n\r\n",
        b"a 9\" pan,b\n",
        b"1,\"broken\n2,ok\n3,fine\n",
        b"1,\"broken\n2,ok\n3,\"quoted\"\n4,x\n",
        b"\"a\"\"\",\"\"\r\n\"x\"y,z\r\nlast,\"q\"",
    ];
    for text in texts {
        let whole = records(text, None);
        assert!(!whole.is_empty());
        for step in 1..=text.len() {
            assert_eq!(records(text, Some(step)), whole, "{:?} in pieces of {step}", String::from_utf8_lossy(text));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_file_read_in_pieces_gives_what_the_whole_file_gives(
        data in proptest::collection::vec(proptest::sample::select(b"ab,\"\n\r\xEF\xBB\xBF".to_vec()), 0..300),
        step in 1usize..64,
    ) {
        prop_assert_eq!(records(&data, Some(step)), records(&data, None));
    }

    #[test]
    fn splitter_never_panics_and_always_advances(data in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut s = Splitter::new(&data);
        let mut fields = Vec::new();
        let mut last_start = None;
        let mut count = 0;
        while let Some(r) = s.next_record(&mut fields) {
            let span = match r { Ok(span) => span, Err((span, _)) => span };
            prop_assert!(span.start <= span.end && span.end <= data.len());
            prop_assert!(last_start.is_none_or(|l| span.start > l));
            last_start = Some(span.start);
            count += 1;
            prop_assert!(count <= data.len() + 1);
        }
    }

    #[test]
    fn splitter_reads_back_what_a_writer_wrote(
        rows in proptest::collection::vec(proptest::collection::vec("[a-z,\"\n\r' é]{0,8}", 1..5), 1..8),
        crlf in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        // a row of one empty field would be an empty line, which the splitter skips
        let rows: Vec<Vec<String>> = rows.into_iter().filter(|r| !(r.len() == 1 && r[0].is_empty())).collect();
        let text: String = rows.iter().map(|r| write_record(r) + eol).collect();
        let mut s = Splitter::new(text.as_bytes());
        let mut fields = Vec::new();
        let mut got = Vec::new();
        while let Some(r) = s.next_record(&mut fields) {
            prop_assert!(r.is_ok());
            got.push(fields.iter().map(|f| String::from_utf8(f.to_vec()).unwrap()).collect::<Vec<_>>());
        }
        prop_assert_eq!(got, rows);
    }

    #[test]
    fn dates_never_panic(text in "\\PC{0,24}") {
        for order in [SlashOrder::Unknown, SlashOrder::DayFirst, SlashOrder::MonthFirst, SlashOrder::Neither] {
            let _ = date::parse(&text, order);
        }
    }

    #[test]
    fn iso_dates_round_trip(y in 1900i32..2100, m in 1u32..13, d in 1u32..29) {
        let text = format!("{y:04}-{m:02}-{d:02}");
        let parsed = date::parse(&text, SlashOrder::Unknown).unwrap();
        prop_assert_eq!(parsed, date::Parsed::Date(chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap()));
    }

    #[test]
    fn list_parser_never_panics(text in "\\PC{0,60}") {
        let _ = pylist::parse_strings(&text);
        let _ = pylist::parse_floats(&text);
    }

    #[test]
    fn repr_lists_round_trip(items in proptest::collection::vec("\\PC{0,12}", 0..6)) {
        let text = pylist::repr_list(&items);
        prop_assert_eq!(pylist::parse_strings(&text).unwrap(), items);
    }
}
