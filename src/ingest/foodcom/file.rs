//! One Food.com file read: 8 MiB at a time, hashed as it is read, split
//! into records, each parsed ([`super::rows`]) and kept or quarantined, the
//! kept rows sent in batches to the storing side.

use super::batch;
use super::date::{self, SlashOrder};
use super::layout::{FoodcomTable, INTERACTIONS_HEADER, Input, Kind, MAX_FIELDS, RECIPES_HEADER, SPLIT_HEADER};
use super::records::{self, Damage, Span, Splitter};
use super::rows::{Interaction, Reason, Recipe, Row, SlashParts, days, interaction_row, recipe_row};
use crate::ingest::inputs::Dataset;
use crate::ingest::progress::Progress;
use anyhow::Context;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

/// Where a record is: its line, and its raw bytes for the quarantine.
#[derive(Clone, Copy)]
pub(super) struct At<'p> {
    pub(super) line: u64,
    pub(super) raw: &'p [u8],
}

impl<'p> At<'p> {
    /// The record of `span` in `piece`, its raw text cut at 4 KiB.
    pub(super) fn of(span: Span, piece: &'p [u8]) -> At<'p> {
        At { line: span.line, raw: &piece[span.start..span.end.min(span.start + 4096)] }
    }
}

/// A quarantined row, sent to the thread that writes the `quarantine` table.
pub(super) struct Reject {
    pub(super) file: String,
    pub(super) line: u64,
    pub(super) reason: Reason,
    pub(super) detail: String,
    pub(super) raw: String,
}

/// Where a table's batches go: the channel read by its loading statement.
pub(super) type Sink = std::sync::mpsc::SyncSender<duckdb::arrow::record_batch::RecordBatch>;

/// A table and where its batches go: its loader, and for the recipes, the
/// loaders of the tables derived from them.
pub(super) struct Destination {
    pub(super) table: FoodcomTable,
    pub(super) sinks: Vec<Sink>,
}

/// The parsing side of a file's ingest: it decides what is kept and what is
/// quarantined, and sends both to the storing side, so parsing and storing
/// run at once.
pub(super) struct Loader<'d> {
    pub(super) file: &'d str,
    /// The file, read once more to decide its slash-date order when it has slash dates.
    pub(super) input: &'d Input,
    pub(super) rejects: std::sync::mpsc::SyncSender<Reject>,
    /// The file's table.
    pub(super) table: FoodcomTable,
    /// The rows kept since the last batch was sent.
    pub(super) rows: batch::Batch,
    /// Where the batches go.
    pub(super) sinks: Vec<Sink>,
    /// Rows per batch ([`Loader::size_batches`]).
    pub(super) batch_rows: usize,
    pub(super) order: SlashOrder,
    pub(super) stats: Dataset,
}

impl Loader<'_> {
    pub(super) fn send_batch(&mut self, line: u64) -> anyhow::Result<()> {
        let taken = self.rows.take().with_context(|| format!("{}:{line}: cannot store the rows", self.file))?;
        if let Some(b) = taken {
            for sink in &self.sinks {
                // the storing side stopped: its own error is the one reported
                // (a record batch's clone shares its buffers)
                sink.send(b.clone())
                    .map_err(|_| anyhow::anyhow!("{}: ingest stopped (`{}`)", self.file, self.table.what()))?;
            }
        }
        Ok(())
    }

    pub(super) fn keep(&mut self, row: &Row, line: u64) -> anyhow::Result<()> {
        match row {
            Row::Recipe(r) => self.keep_recipe(r),
            Row::Interaction(i) => self.keep_interaction(i),
        }
        self.stats.rows_kept += 1;
        if self.rows.len() >= self.batch_rows {
            self.send_batch(line)?;
        }
        Ok(())
    }

    /// Sizes the next batches for the rest of the file: [`batch::ROWS`]
    /// rows, down to a quarter of the rows left as the end nears, so that
    /// the storing side is not left with a large batch when parsing ends.
    pub(super) fn size_batches(&mut self, bytes_read: u64, bytes_left: u64) {
        self.batch_rows = batch_rows(self.stats.rows_read, bytes_read, bytes_left);
    }

    pub(super) fn keep_recipe(&mut self, r: &Recipe) {
        let main = &mut self.rows;
        main.text(Some(&r.name))
            .big_int(Some(r.id))
            .big_int(Some(r.minutes))
            .big_int(Some(r.contributor_id))
            .date(r.submitted)
            .list(&r.tags);
        for v in r.nutrition {
            main.double(Some(v));
        }
        main.big_int(Some(r.n_steps))
            .list(&r.steps)
            .text(Some(&r.description))
            .list(&r.ingredients)
            .big_int(Some(r.n_ingredients))
            .end_row();
    }

    pub(super) fn keep_interaction(&mut self, i: &Interaction) {
        let main = &mut self.rows;
        main.big_int(Some(i.user_id))
            .big_int(Some(i.recipe_id))
            .date(i.date)
            .int(Some(i.rating))
            .text(i.review.as_deref())
            .end_row();
    }

    pub(super) fn reject(&mut self, at: At<'_>, reason: Reason, detail: &str) -> anyhow::Result<()> {
        let reject = Reject {
            file: self.file.to_string(),
            line: at.line,
            reason,
            detail: detail.to_string(),
            raw: String::from_utf8_lossy(at.raw).into_owned(),
        };
        self.rejects.send(reject).map_err(|_| anyhow::anyhow!("{}: ingest stopped (`quarantine`)", self.file))?;
        self.stats.rows_quarantined += 1;
        *self.stats.reasons.entry(reason.as_str().to_string()).or_default() += 1;
        Ok(())
    }

    /// Keeps a parsed row whose date is a slash date `parts` (`a/b/year`),
    /// once the file's order is decided: by all its unambiguous slash
    /// dates, read the first time one is met ([`slash_votes`]).
    pub(super) fn accept(&mut self, row: &Row, at: At<'_>, slash: Option<SlashParts>) -> anyhow::Result<()> {
        let Some((a, b, y)) = slash else { return self.keep(row, at.line) };
        if self.order == SlashOrder::Unknown {
            let (day_first, month_first) = slash_votes(self.input)?;
            self.order = date::decide(day_first, month_first);
            tracing::debug!(file = self.file, day_first, month_first, order = ?self.order, "slash dates");
        }
        let mut row = row.clone();
        match date::resolve(a, b, y, self.order) {
            Ok(d) => row.set_date(days(d)),
            Err(e) => return self.reject(at, Reason::UnreadableDate, &e),
        }
        self.keep(&row, at.line)
    }

    pub(super) fn finish(&mut self) -> anyhow::Result<()> {
        self.send_batch(0)
    }
}

/// The kind of a Food.com file, by its header.
pub(super) fn sniff(path: &Path, file: &str) -> anyhow::Result<Kind> {
    let cannot_read = || format!("cannot read input file `{}`", path.display());
    let mut pieces = PieceReader::open(path).with_context(cannot_read)?;
    loop {
        pieces.fill().with_context(cannot_read)?;
        let mut splitter = Splitter::piece(pieces.unread(), pieces.line, pieces.at_end);
        let mut fields: Vec<Cow<'_, [u8]>> = Vec::new();
        let found: Vec<String> = match splitter.next_record(&mut fields) {
            Some(Ok(_)) => fields.iter().map(|f| String::from_utf8_lossy(f).trim().to_string()).collect(),
            Some(Err(_)) => anyhow::bail!("{}:1: cannot read the header line", path.display()),
            // a header longer than a piece: read on
            None if splitter.needs_more() && !pieces.at_end => continue,
            None => anyhow::bail!("input file `{}` is empty", path.display()),
        };
        for kind in [Kind::Recipes, Kind::Interactions, Kind::SplitInteractions] {
            if found == kind.header() {
                return Ok(kind);
            }
        }
        let expected =
            if file.to_ascii_lowercase().contains("recipe") { &RECIPES_HEADER[..] } else { &INTERACTIONS_HEADER[..] };
        anyhow::bail!(
            "{}:1: expected the header `{}`, found `{}` (a Food.com recipes file starts `{}`, an interactions file `{}` or `{}`)",
            path.display(),
            expected.join(","),
            found.join(","),
            RECIPES_HEADER.join(","),
            INTERACTIONS_HEADER.join(","),
            SPLIT_HEADER.join(",")
        );
    }
}

/// The rows of the next batches, once `rows` rows of a file were read in
/// `bytes_read` bytes and `bytes_left` bytes are left: a quarter of the rows
/// left, estimated from the rows so far, between [`batch::MIN_ROWS`] and
/// [`batch::ROWS`].
pub(super) fn batch_rows(rows: u64, bytes_read: u64, bytes_left: u64) -> usize {
    let rows_left = bytes_left as u128 * rows.max(1) as u128 / bytes_read.max(1) as u128;
    usize::try_from(rows_left / 4).unwrap_or(usize::MAX).clamp(batch::MIN_ROWS, batch::ROWS)
}

/// Bytes read from an input file at a time.
#[cfg(not(test))]
pub(super) const PIECE: usize = 8 << 20;
/// Unit tests read their inputs in many small pieces, so that records and
/// headers run past pieces everywhere.
#[cfg(test)]
pub(super) const PIECE: usize = 61;

/// An input file read a piece at a time, so that memory does not grow with
/// the file: each read appends to what the last piece left unread (a
/// record that ran past it), and every byte is hashed as it is read.
pub(super) struct PieceReader {
    pub(super) file: std::fs::File,
    pub(super) buf: Vec<u8>,
    /// Where the unread part of `buf` starts.
    pub(super) start: usize,
    /// The line on which it starts.
    pub(super) line: u64,
    /// Bytes of the file before `buf`.
    pub(super) base: u64,
    pub(super) at_end: bool,
    pub(super) hasher: blake3::Hasher,
    /// The file's size when opened.
    pub(super) len: u64,
}

impl PieceReader {
    pub(super) fn open(path: &Path) -> std::io::Result<PieceReader> {
        let file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        let buf = Vec::with_capacity(PIECE);
        Ok(PieceReader { file, buf, start: 0, line: 1, base: 0, at_end: false, hasher: blake3::Hasher::new(), len })
    }

    /// Drops what was read, then reads up to [`PIECE`] more bytes.
    pub(super) fn fill(&mut self) -> std::io::Result<()> {
        use std::io::Read;
        self.base += self.start as u64;
        self.buf.drain(..self.start);
        self.start = 0;
        let old = self.buf.len();
        let n = (&mut self.file).take(PIECE as u64).read_to_end(&mut self.buf)?;
        self.hasher.update(&self.buf[old..]);
        if n < PIECE {
            self.at_end = true;
        }
        if self.base == 0 && old == 0 && self.buf.starts_with(records::BOM) {
            self.start = records::BOM.len();
        }
        Ok(())
    }

    /// The unread part.
    pub(super) fn unread(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

/// Reads one file and sends its rows and rejects to the storing side.
pub(super) fn load(
    input: &Input,
    destination: &Destination,
    rejects: std::sync::mpsc::SyncSender<Reject>,
    progress: &Progress,
) -> anyhow::Result<Dataset> {
    let started = Instant::now();
    let path = &input.path;
    let cannot_read = || format!("cannot read input file `{}`", path.display());
    let mut pieces = PieceReader::open(path).with_context(cannot_read)?;
    let mut loader = Loader {
        file: &input.file,
        input,
        rejects,
        table: destination.table,
        rows: batch::Batch::new(destination.table.columns()),
        sinks: destination.sinks.clone(),
        batch_rows: batch::ROWS,
        order: SlashOrder::Unknown,
        stats: Dataset {
            file: input.file.clone(),
            source: input.source.clone(),
            table: input.table.clone(),
            rows_read: 0,
            rows_kept: 0,
            rows_quarantined: 0,
            reasons: BTreeMap::new(),
            bytes: 0,
            blake3: String::new(),
        },
    };
    let mut state = FileState::new(input.kind);
    let mut header_read = false;
    loop {
        pieces.fill().with_context(cannot_read)?;
        let piece = pieces.unread();
        let mut splitter = Splitter::piece(piece, pieces.line, pieces.at_end);
        if !header_read {
            let mut fields: Vec<Cow<'_, [u8]>> = Vec::new();
            let found: Vec<String> = match splitter.next_record(&mut fields) {
                Some(Ok(_)) => fields.iter().map(|f| String::from_utf8_lossy(f).trim().to_string()).collect(),
                Some(Err(_)) => anyhow::bail!("{}:1: cannot read the header line", path.display()),
                None if splitter.needs_more() => continue,
                None => anyhow::bail!("input file `{}` is empty", path.display()),
            };
            let expected = input.kind.header();
            if found != expected {
                anyhow::bail!(
                    "{}:1: expected the header `{}`, found `{}`",
                    path.display(),
                    expected.join(","),
                    found.join(",")
                );
            }
            header_read = true;
        }
        let at = pieces.base + pieces.start as u64;
        loader.size_batches(at, pieces.len.saturating_sub(at));
        parse(&mut loader, &mut state, &mut splitter, piece, at, progress)?;
        let (consumed, line) = (splitter.consumed(), splitter.line());
        pieces.start += consumed;
        pieces.line = line;
        if pieces.at_end {
            break;
        }
    }
    loader.finish()?;
    loader.stats.bytes = pieces.base + pieces.buf.len() as u64;
    progress.advance(loader.stats.bytes - state.reported, loader.stats.rows_read % FileState::STEP);
    let mut stats = loader.stats;
    stats.blake3 = pieces.hasher.finalize().to_hex().to_string();
    if stats.rows_read == 0 {
        tracing::warn!(file = %stats.file, "the file has a header and no rows: its table is empty");
    }
    let secs = started.elapsed().as_secs_f64();
    tracing::info!(
        file = %stats.file,
        rows = stats.rows_kept,
        quarantined = stats.rows_quarantined,
        seconds = format!("{secs:.2}"),
        mb_per_s = format!("{:.0}", stats.bytes as f64 / 1e6 / secs.max(1e-9)),
        "ingested"
    );
    Ok(stats)
}

/// The votes of a file's unambiguous slash dates, read in one pass over the
/// file: (day first, month first). Only the date column is looked at.
pub(super) fn slash_votes(input: &Input) -> anyhow::Result<(u64, u64)> {
    let path = &input.path;
    let cannot_read = || format!("cannot read input file `{}`", path.display());
    let column = input.kind.header().iter().position(|h| *h == input.kind.date_column()).unwrap_or(0);
    let width = input.kind.header().len();
    let mut pieces = PieceReader::open(path).with_context(cannot_read)?;
    let (mut day_first, mut month_first) = (0, 0);
    let mut header = true;
    loop {
        pieces.fill().with_context(cannot_read)?;
        let (consumed, line) = {
            let mut fields: Vec<Cow<'_, [u8]>> = Vec::new();
            let mut splitter = Splitter::piece(pieces.unread(), pieces.line, pieces.at_end);
            while let Some(record) = splitter.next_record(&mut fields) {
                if std::mem::take(&mut header) || record.is_err() || fields.len() != width {
                    continue;
                }
                match std::str::from_utf8(&fields[column]).ok().and_then(date::vote) {
                    Some(SlashOrder::DayFirst) => day_first += 1,
                    Some(SlashOrder::MonthFirst) => month_first += 1,
                    _ => {}
                }
            }
            (splitter.consumed(), splitter.line())
        };
        pieces.start += consumed;
        pieces.line = line;
        if pieces.at_end {
            return Ok((day_first, month_first));
        }
    }
}

/// What parsing a file keeps from one piece to the next.
pub(super) struct FileState {
    pub(super) kind: Kind,
    /// Recipe ids already kept, with their line.
    pub(super) seen_ids: foldhash::HashMap<i64, u64>,
    /// The row being parsed (its buffers are reused).
    pub(super) row: Row,
    /// Bytes already counted in the progress bar.
    pub(super) reported: u64,
}

impl FileState {
    /// Rows between two updates of the progress bar.
    const STEP: u64 = 8192;

    pub(super) fn new(kind: Kind) -> FileState {
        let row = match kind {
            Kind::Recipes => Row::Recipe(Box::default()),
            _ => Row::Interaction(Interaction::default()),
        };
        FileState { kind, seen_ids: foldhash::HashMap::default(), row, reported: 0 }
    }
}

/// The parsing side: reads the records of one piece of a file (`piece`,
/// which starts `base` bytes into the file).
pub(super) fn parse<'p>(
    loader: &mut Loader<'_>,
    state: &mut FileState,
    splitter: &mut Splitter<'p>,
    piece: &'p [u8],
    base: u64,
    progress: &Progress,
) -> anyhow::Result<()> {
    let kind = state.kind;
    let expected = kind.header();
    let mut fields: Vec<Cow<'p, [u8]>> = Vec::new();
    // UTF-8 is checked for the whole piece at once (a piece may end inside
    // a character: that record is read again with the next piece); only the
    // records after an invalid byte are checked field by field
    let valid = std::str::from_utf8(piece).map_or_else(|e| e.valid_up_to(), |_| piece.len());
    while let Some(record) = splitter.next_record(&mut fields) {
        loader.stats.rows_read += 1;
        if loader.stats.rows_read.is_multiple_of(FileState::STEP) {
            let at = base + record.map_or_else(|(s, _)| s.end, |s| s.end) as u64;
            progress.advance(at - state.reported, FileState::STEP);
            state.reported = at;
        }
        let span = match record {
            Ok(span) => span,
            Err((span, damage)) => {
                let (reason, detail) = match damage {
                    Damage::UnterminatedQuote => (Reason::UnterminatedQuote, "a quoted field is never closed"),
                    Damage::StrayQuote => (Reason::StrayQuote, "text follows a closing quote"),
                };
                loader.reject(At::of(span, piece), reason, detail)?;
                continue;
            }
        };
        let at = At::of(span, piece);
        if fields.len() != expected.len() {
            let detail = format!("expected {} fields, found {}", expected.len(), fields.len());
            loader.reject(at, Reason::ColumnCount, &detail)?;
            continue;
        }
        let mut text = [""; MAX_FIELDS];
        let mut utf8_error = None;
        let checked = if span.end <= valid {
            for (t, f) in text.iter_mut().zip(fields.iter()) {
                // SAFETY: the record lies in the valid prefix of the piece,
                // and its fields are cut out of it at ASCII bytes (`,`, `"`,
                // line ends), which are character boundaries; a field
                // unescaped from `""` is the same text without some `"` bytes
                *t = unsafe { std::str::from_utf8_unchecked(f) };
            }
            fields.len()
        } else {
            0
        };
        for (i, f) in fields.iter().enumerate().skip(checked) {
            match std::str::from_utf8(f) {
                Ok(s) => text[i] = s,
                Err(e) => {
                    utf8_error = Some(format!("`{}` is not valid UTF-8 (byte {})", expected[i], e.valid_up_to()));
                    break;
                }
            }
        }
        if let Some(detail) = utf8_error {
            loader.reject(at, Reason::InvalidUtf8, &detail)?;
            continue;
        }
        let text = &text[..fields.len()];
        let parsed = match &mut state.row {
            Row::Recipe(r) => recipe_row(text, loader.order, r),
            Row::Interaction(i) => interaction_row(text, loader.order, kind, i),
        };
        match parsed {
            Ok(ambiguous) => {
                if let Row::Recipe(r) = &state.row {
                    if let Some(first) = state.seen_ids.get(&r.id) {
                        let detail = format!("recipe id {} is already on line {first}", r.id);
                        loader.reject(at, Reason::DuplicateId, &detail)?;
                        continue;
                    }
                    state.seen_ids.insert(r.id, span.line);
                }
                loader.accept(&state.row, at, ambiguous)?;
            }
            Err((reason, detail)) => loader.reject(at, reason, &detail)?,
        }
    }
    Ok(())
}
