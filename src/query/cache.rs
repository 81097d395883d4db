//! The result cache: what each query returned in the last build, kept in
//! `DB.queries.bin` beside the database and reused while everything it was
//! computed from is unchanged.

use super::Job;
use crate::table::Table;
use std::collections::BTreeMap;

/// Results of earlier builds, reused while the data (`key`: the inputs'
/// hashes and the generator version) and everything a query's result was
/// computed from ([`Job`]'s fingerprint) are unchanged, so a rebuild with
/// unchanged data runs no query at all. Kept beside the database in a
/// compact binary file (postcard: every float to the bit, read in a few
/// milliseconds whatever the results' size); any problem reading it just
/// means an empty cache.
#[derive(Debug, Default)]
pub struct Cache {
    key: String,
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

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Entry {
    fingerprint: String,
    table: Table,
}

/// The layout of the cache file: another one is read as an empty cache.
const CACHE_FORMAT: u32 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
struct CacheFile<K, E> {
    format: u32,
    key: K,
    entries: E,
}

impl Cache {
    /// The cache at `path` if it was written for `key`, else an empty one.
    pub fn load(path: &std::path::Path, key: &str) -> Cache {
        let mut cache = Cache { key: key.to_string(), ..Cache::default() };
        let Ok(bytes) = std::fs::read(path) else { return cache };
        match postcard::from_bytes::<CacheFile<String, BTreeMap<String, Entry>>>(&bytes) {
            Ok(file) if file.format == CACHE_FORMAT && file.key == key => {
                cache.old = file.entries;
                cache.loaded = true;
            }
            _ => {}
        }
        cache
    }

    /// The result of `job` from the last build, if it is still valid.
    pub fn get(&self, job: &Job) -> Option<&Table> {
        let entry = self.old.get(job.name())?;
        (job.cacheable && entry.fingerprint == job.fingerprint).then_some(&entry.table)
    }

    /// Whether `job`'s result would be taken from the cache.
    pub fn has(&self, job: &Job) -> bool {
        self.get(job).is_some()
    }

    /// The result of `job` from the last build, kept for the next one.
    pub(super) fn reuse(&mut self, job: &Job) -> Table {
        self.hits += 1;
        let Some(entry) = self.old.remove(job.name()) else { return Table::default() };
        let table = entry.table.clone();
        self.new.insert(job.name().to_string(), entry);
        table
    }

    pub(super) fn keep(&mut self, job: &Job, table: &Table) {
        if job.cacheable {
            self.fresh = true;
            self.new
                .insert(job.name().to_string(), Entry { fingerprint: job.fingerprint.clone(), table: table.clone() });
        }
    }

    /// A model's table `name` from the last build, if it was kept under `fingerprint`.
    pub fn model(&self, name: &str, fingerprint: &str) -> Option<&Table> {
        let entry = self.old.get(&format!("model:{name}"))?;
        (entry.fingerprint == fingerprint).then_some(&entry.table)
    }

    /// A model's table `name` from the last build (empty if it was not kept
    /// under `fingerprint`), kept for the next one.
    pub fn reuse_model(&mut self, name: &str, fingerprint: &str) -> Table {
        let key = format!("model:{name}");
        match self.old.remove(&key) {
            Some(entry) if entry.fingerprint == fingerprint => {
                let table = entry.table.clone();
                self.new.insert(key, entry);
                table
            }
            _ => Table::default(),
        }
    }

    /// Keeps a model's table `name` for the next build.
    pub fn keep_model(&mut self, name: &str, fingerprint: &str, table: &Table) {
        self.fresh = true;
        self.new.insert(format!("model:{name}"), Entry { fingerprint: fingerprint.to_string(), table: table.clone() });
    }

    /// Writes the entries used in this build (a new file, renamed into
    /// place), unless the file already holds exactly them: every entry was
    /// reused from it, and none is left over.
    pub fn save(&self, path: &std::path::Path) -> anyhow::Result<()> {
        use anyhow::Context;
        if self.loaded && !self.fresh && self.old.is_empty() {
            return Ok(());
        }
        let file = CacheFile { format: CACHE_FORMAT, key: &self.key, entries: &self.new };
        let bytes = postcard::to_stdvec(&file).context("cannot write the query cache")?;
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        std::fs::write(&tmp, bytes).with_context(|| format!("cannot write `{}`", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("cannot write `{}`", path.display()))
    }
}
