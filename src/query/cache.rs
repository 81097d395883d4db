//! The result cache: what each query returned in the last build, kept in
//! `DB.queries.bin` beside the database and reused while everything it was
//! computed from is unchanged.

use super::Job;
use crate::table::Table;
use std::collections::BTreeMap;
use std::ops::Range;

/// Results of earlier builds, reused while the data (`key`: the inputs'
/// hashes and the generator version) and everything a query's result was
/// computed from ([`Job`]'s fingerprint) are unchanged, so a rebuild with
/// unchanged data runs no query at all. Kept beside the database in a
/// compact binary file (postcard: every float to the bit): an index, then
/// each result's bytes. Loading reads the index only; a result is decoded
/// when it is reused, and one that is not needed (a model's table when no
/// query that reads it runs) never is. Any problem reading the file just
/// means an empty cache.
#[derive(Debug, Default)]
pub struct Cache {
    key: String,
    /// The file as read: the results' bytes that `old` points into.
    bytes: Vec<u8>,
    old: BTreeMap<String, Entry>,
    new: BTreeMap<String, Entry>,
    /// Queries answered from the cache in this build.
    pub hits: usize,
    /// Queries run in this build.
    pub ran: usize,
    /// Whether `old` was read from the file, for this key.
    loaded: bool,
    /// Whether an entry was computed in this build (not reused).
    fresh: bool,
}

/// One kept result.
#[derive(Debug, Clone)]
struct Entry {
    fingerprint: String,
    table: Encoded,
}

/// A table's postcard bytes.
#[derive(Debug, Clone)]
enum Encoded {
    /// In the file read, at this range of [`Cache::bytes`].
    Read(Range<usize>),
    /// Computed in this build.
    Own(Vec<u8>),
}

/// The layout of the cache file: another one is read as an empty cache.
const CACHE_FORMAT: u32 = 2;

/// The start of the file: the entries' names, fingerprints and sizes, in
/// order; their bytes follow, one after the other, and hash to `body`.
#[derive(serde::Serialize, serde::Deserialize)]
struct Index<S> {
    format: u32,
    key: S,
    body: [u8; 32],
    entries: Vec<(S, S, u64)>,
}

impl Cache {
    /// The cache at `path` if it was written for `key`, else an empty one.
    pub fn load(path: &std::path::Path, key: &str) -> Cache {
        let cache = Cache { key: key.to_string(), ..Cache::default() };
        let Ok(bytes) = std::fs::read(path) else { return cache };
        let Ok((index, body)) = postcard::take_from_bytes::<Index<String>>(&bytes) else { return cache };
        if index.format != CACHE_FORMAT || index.key != key || *blake3::hash(body).as_bytes() != index.body {
            return cache;
        }
        let mut at = bytes.len() - body.len();
        let mut old = BTreeMap::new();
        for (name, fingerprint, len) in index.entries {
            let Some(end) = usize::try_from(len).ok().and_then(|len| at.checked_add(len)) else { return cache };
            if end > bytes.len() {
                return cache;
            }
            old.insert(name, Entry { fingerprint, table: Encoded::Read(at..end) });
            at = end;
        }
        if at != bytes.len() {
            return cache;
        }
        Cache { old, bytes, loaded: true, ..cache }
    }

    /// The bytes of an entry.
    fn bytes_of<'a>(&'a self, encoded: &'a Encoded) -> &'a [u8] {
        match encoded {
            Encoded::Read(range) => &self.bytes[range.clone()],
            Encoded::Own(bytes) => bytes,
        }
    }

    /// An entry's table, decoded.
    fn decode(&self, name: &str, encoded: &Encoded) -> anyhow::Result<Table> {
        postcard::from_bytes(self.bytes_of(encoded))
            .map_err(|e| anyhow::anyhow!("the kept result of `{name}` cannot be read ({e}): remove `*.queries.bin`"))
    }

    /// Whether `job`'s result would be taken from the cache.
    pub fn has(&self, job: &Job) -> bool {
        job.cacheable && self.old.get(job.name()).is_some_and(|e| e.fingerprint == job.fingerprint)
    }

    /// The result of `job` from the last build, if it is still valid.
    pub fn get(&self, job: &Job) -> anyhow::Result<Option<Table>> {
        match self.old.get(job.name()) {
            Some(entry) if self.has(job) => self.decode(job.name(), &entry.table).map(Some),
            _ => Ok(None),
        }
    }

    /// The result of `job` from the last build, kept for the next one.
    pub(super) fn reuse(&mut self, job: &Job) -> anyhow::Result<Table> {
        self.hits += 1;
        let Some(entry) = self.old.remove(job.name()) else { anyhow::bail!("no kept result of `{}`", job.name()) };
        let table = self.decode(job.name(), &entry.table)?;
        self.new.insert(job.name().to_string(), entry);
        Ok(table)
    }

    pub(super) fn keep(&mut self, job: &Job, table: &Table) -> anyhow::Result<()> {
        if job.cacheable {
            self.put(job.name().to_string(), &job.fingerprint, table)?;
        }
        Ok(())
    }

    fn put(&mut self, name: String, fingerprint: &str, table: &Table) -> anyhow::Result<()> {
        use anyhow::Context;
        self.fresh = true;
        let bytes = postcard::to_stdvec(table).with_context(|| format!("cannot keep the result of `{name}`"))?;
        self.new.insert(name, Entry { fingerprint: fingerprint.to_string(), table: Encoded::Own(bytes) });
        Ok(())
    }

    /// Whether a model's table `name` was kept under `fingerprint`.
    pub fn has_model(&self, name: &str, fingerprint: &str) -> bool {
        self.old.get(&format!("model:{name}")).is_some_and(|e| e.fingerprint == fingerprint)
    }

    /// Keeps a model's table `name` from the last build (kept under
    /// `fingerprint`) for the next one, without reading it: whether it was there.
    pub fn carry_model(&mut self, name: &str, fingerprint: &str) -> bool {
        self.carry(format!("model:{name}"), fingerprint)
    }

    /// Moves the entry `key` of the last build into this one's, unread, if
    /// it was kept under `fingerprint`: whether it was.
    fn carry(&mut self, key: String, fingerprint: &str) -> bool {
        match self.old.get(&key) {
            Some(entry) if entry.fingerprint == fingerprint => {
                if let Some(entry) = self.old.remove(&key) {
                    self.new.insert(key, entry);
                }
                true
            }
            _ => false,
        }
    }

    /// A model's table `name` kept in this build (computed, or carried over
    /// under `fingerprint`), decoded.
    pub fn model_table(&self, name: &str, fingerprint: &str) -> anyhow::Result<Table> {
        let key = format!("model:{name}");
        match self.new.get(&key) {
            Some(entry) if entry.fingerprint == fingerprint => self.decode(&key, &entry.table),
            _ => anyhow::bail!("model table `{name}` was not kept"),
        }
    }

    /// Keeps a model's table `name` for the next build.
    pub fn keep_model(&mut self, name: &str, fingerprint: &str, table: &Table) -> anyhow::Result<()> {
        self.put(format!("model:{name}"), fingerprint, table)
    }

    /// Whether the fact `name` was noted for the same data under `fingerprint`
    /// (a check passed for this data, say), noted again for the next build.
    pub fn noted(&mut self, name: &str, fingerprint: &str) -> bool {
        self.carry(format!("fact:{name}"), fingerprint)
    }

    /// Notes the fact `name` under `fingerprint`, for the next build on the same data.
    pub fn note(&mut self, name: &str, fingerprint: &str) -> anyhow::Result<()> {
        self.put(format!("fact:{name}"), fingerprint, &Table::default())
    }

    /// Writes the entries used in this build (a new file, renamed into
    /// place), unless the file already holds exactly them: every entry was
    /// reused from it, and none is left over.
    pub fn save(&self, path: &std::path::Path) -> anyhow::Result<()> {
        use anyhow::Context;
        if self.loaded && !self.fresh && self.old.is_empty() {
            return Ok(());
        }
        let mut body = Vec::new();
        let mut entries = Vec::with_capacity(self.new.len());
        for (name, entry) in &self.new {
            let bytes = self.bytes_of(&entry.table);
            body.extend_from_slice(bytes);
            entries.push((name.as_str(), entry.fingerprint.as_str(), bytes.len() as u64));
        }
        let index =
            Index { format: CACHE_FORMAT, key: self.key.as_str(), body: *blake3::hash(&body).as_bytes(), entries };
        let mut bytes = postcard::to_stdvec(&index).context("cannot write the query cache")?;
        bytes.extend_from_slice(&body);
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        std::fs::write(&tmp, bytes).with_context(|| format!("cannot write `{}`", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write `{}`", path.display()))
    }
}
