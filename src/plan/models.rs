//! Queries and models together: a query that reads a model's tables runs
//! after the model, and a model after its data query. The order comes from
//! DuckDB's parse trees of the queries (the tables each names); a cycle is
//! an error at a model of it. Everything that does not wait on a model
//! runs at once, as before.
//!
//! A model's result is kept like a query's, under a fingerprint of its
//! declaration and of its data query's; a query that reads a model carries
//! the model's fingerprint in its own.

use crate::error::SourceError;
use crate::model::{self, Fitted, Method, ModelSpec};
use crate::query::{self, Cache, Gates, Job};
use crate::table::Table;
use std::collections::{BTreeMap, BTreeSet};

/// A model's tables in this build.
enum Fit {
    /// Carried over from the last build: still in the cache, read only if
    /// a query that reads them runs.
    Kept,
    /// Fitted in this build.
    Made(Fitted),
}

/// The models of a build and what waits on them.
pub struct Schedule {
    models: Vec<ModelSpec>,
    /// For each model, the index of its data query's job.
    data: Vec<usize>,
    /// For each job, the models it reads.
    needs: Vec<BTreeSet<usize>>,
    /// Each model's fingerprint.
    fingerprints: Vec<String>,
    /// Whether each model's result may be kept.
    kept: Vec<bool>,
    /// Each model's tables, once fitted or carried over.
    fitted: Vec<Option<Fit>>,
    /// Whether each model's tables are in the `models` catalog.
    loaded: Vec<bool>,
    /// The model of each table name (lowercase).
    tables: BTreeMap<String, usize>,
    /// The models in an order where each comes after those its data reads.
    order: Vec<usize>,
}

/// A model's table must not take a name the data already has: the data's
/// table would be read in its place (the database comes first in the
/// search path) and the pages would show its numbers as the model's. Asked
/// of DuckDB before any model's table exists, so whatever the name resolves
/// to is the data's. The answer depends on the data only, so it is noted
/// in `cache` and not asked again while the data and the names are the same.
pub fn check_unshadowed(conn: &duckdb::Connection, models: &[ModelSpec], cache: &mut Cache) -> anyhow::Result<()> {
    let names: Vec<String> = models.iter().flat_map(|m| m.tables()).collect();
    let names = names.join("\n");
    if models.is_empty() || cache.noted("unshadowed", &names) {
        return Ok(());
    }
    for spec in models {
        for table in spec.tables() {
            let quoted = format!("\"{}\"", table.replace('"', "\"\""));
            if conn.prepare(&format!("SELECT 1 FROM {quoted} LIMIT 0")).is_ok() {
                return Err(SourceError::new(
                    spec.defined_at.clone(),
                    format!(
                        "model `{}` makes a table `{table}`, a name the data already has (a source's table): give the model another name",
                        spec.name
                    ),
                )
                .into());
            }
        }
    }
    cache.note("unshadowed", &names)
}

/// The query that gives an overlap model's pairs.
pub fn pairs_query(spec: &ModelSpec) -> Option<query::QuerySpec> {
    let Method::Overlap(o) = &spec.method else { return None };
    Some(query::QuerySpec {
        name: format!("pairs of {}", spec.name),
        sql: o.pairs.value.clone(),
        params: Vec::new(),
        defined_at: o.pairs.location.clone(),
        by: None,
    })
}

/// Checks that the pairs of each overlap model read the data only (not a
/// model's table, nor a query of the pages), and tells for each model
/// whether its pairs may be kept between builds (a query that reads the
/// clock or files outside the data may not).
pub fn check_pairs(
    conn: &duckdb::Connection,
    models: &[ModelSpec],
    queries: &BTreeSet<String>,
) -> Result<Vec<bool>, SourceError> {
    let specs: Vec<Option<query::QuerySpec>> = models.iter().map(pairs_query).collect();
    let mut jobs: Vec<Job> = specs.iter().flatten().map(Job::plain).collect();
    query::analyze(conn, &mut jobs);
    let made: BTreeSet<String> = models.iter().flat_map(|m| m.tables()).map(|t| t.to_ascii_lowercase()).collect();
    let queries: BTreeSet<String> = queries.iter().map(|q| q.to_ascii_lowercase()).collect();
    let mut jobs = jobs.into_iter();
    let mut steady = Vec::with_capacity(models.len());
    for (spec, q) in models.iter().zip(&specs) {
        let Some(q) = q else {
            steady.push(true);
            continue;
        };
        let Some(job) = jobs.next() else { break };
        if let Some(t) = job.reads().find(|t| made.contains(*t) || queries.contains(*t)) {
            let what = if made.contains(t) { "a model's table" } else { "a query of the pages" };
            return Err(SourceError::new(
                q.defined_at.clone(),
                format!("the pairs of `{}` read `{t}`, {what}: pairs are read from the data's own tables", spec.name),
            ));
        }
        steady.push(job.cacheable);
    }
    Ok(steady)
}

impl Schedule {
    /// Works out which job reads which model, checks the models' data
    /// queries and cycles, and folds each model's fingerprint into the jobs
    /// that read it.
    /// `steady` tells for each model whether what it reads besides its data
    /// query may be kept ([`check_pairs`]).
    pub fn new(models: Vec<ModelSpec>, jobs: &mut [Job], steady: &[bool]) -> Result<Schedule, SourceError> {
        let mut tables: BTreeMap<String, usize> = BTreeMap::new();
        for (m, spec) in models.iter().enumerate() {
            for t in spec.tables() {
                tables.insert(t.to_ascii_lowercase(), m);
            }
        }
        let mut data = Vec::with_capacity(models.len());
        for spec in &models {
            let j = jobs.iter().position(|j| j.name() == spec.data.value).ok_or_else(|| {
                SourceError::new(
                    spec.data.location.clone(),
                    format!("unknown query `{}` in `data` of model `{}`", spec.data.value, spec.name),
                )
            })?;
            data.push(j);
        }
        let needs: Vec<BTreeSet<usize>> =
            jobs.iter().map(|j| j.reads().filter_map(|t| tables.get(t).copied()).collect()).collect();
        // the models in an order where each comes after those its data reads
        let mut order = Vec::new();
        let mut placed = vec![false; models.len()];
        while order.len() < models.len() {
            let next = (0..models.len()).find(|&m| !placed[m] && needs[data[m]].iter().all(|&d| placed[d]));
            let Some(m) = next else {
                let m = (0..models.len()).find(|&m| !placed[m]).unwrap_or(0);
                return Err(SourceError::new(
                    models[m].defined_at.clone(),
                    format!(
                        "model `{}` reads its own result: its data query `{}` reads a model that waits on it",
                        models[m].name, models[m].data.value
                    ),
                ));
            };
            placed[m] = true;
            order.push(m);
        }
        let mut fingerprints = vec![String::new(); models.len()];
        // a model is kept only while its data query's result may be; a
        // query that reads a model that is not kept is not kept either
        let mut kept = vec![true; models.len()];
        for &m in &order {
            let j = data[m];
            for &d in &needs[j].clone() {
                jobs[j].depend_on(&fingerprints[d]);
                jobs[j].cacheable &= kept[d];
            }
            kept[m] = jobs[j].cacheable && steady.get(m).copied().unwrap_or(true);
            fingerprints[m] =
                blake3::hash(format!("{}\n{}", models[m].fingerprint(), jobs[j].fingerprint()).as_bytes())
                    .to_hex()
                    .to_string();
        }
        let data_jobs: BTreeSet<usize> = data.iter().copied().collect();
        for (j, job) in jobs.iter_mut().enumerate() {
            if data_jobs.contains(&j) {
                continue;
            }
            for &d in &needs[j] {
                job.depend_on(&fingerprints[d]);
                job.cacheable &= kept[d];
            }
        }
        let n = models.len();
        Ok(Schedule {
            models,
            data,
            needs,
            fingerprints,
            kept,
            fitted: (0..n).map(|_| None).collect(),
            loaded: vec![false; n],
            tables,
            order,
        })
    }

    /// Runs every job, each after the models it reads, and every model after
    /// its data query: the results by job name. Everything runs at once: a
    /// model is fitted on the connection that ran its data query as soon
    /// as that query is done, while the other connections go on with other
    /// queries, and the queries that read the model start once it is
    /// fitted and its tables are stored.
    pub fn run(
        &mut self,
        conn: &duckdb::Connection,
        jobs: &[Job],
        cache: &mut Cache,
        workers: usize,
    ) -> anyhow::Result<BTreeMap<String, Table>> {
        // the models kept from the last build are not fitted again
        for m in 0..self.models.len() {
            let names = self.models[m].tables();
            let fp = &self.fingerprints[m];
            if self.kept[m] && names.iter().all(|t| cache.has_model(t, fp)) {
                for t in &names {
                    cache.carry_model(t, fp);
                }
                self.fitted[m] = Some(Fit::Kept);
                cache.hits += 1;
            }
        }
        // a model whose data query's result is kept is fitted first (in an
        // order where each comes after the models its data reads, as those
        // results are kept too)
        for m in self.order.clone() {
            if self.fitted[m].is_none()
                && let Some(table) = cache.get(&jobs[self.data[m]])?
            {
                let fitted = self.fit(m, conn, &table)?;
                self.keep(cache, m, &fitted)?;
                self.fitted[m] = Some(Fit::Made(fitted));
            }
        }
        // the fitted models' tables, for the queries to run that read them
        for (j, job) in jobs.iter().enumerate() {
            if !cache.has(job) {
                let fitted = self.needs[j].iter().copied().filter(|&m| self.fitted[m].is_some()).collect();
                self.load(conn, cache, &fitted)?;
            }
        }
        let data_of: Vec<&str> = self.data.iter().map(|&j| jobs[j].name()).collect();
        // the data queries of the models to fit go first, the rest in their order
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by_key(|&j| !(0..self.models.len()).any(|m| self.fitted[m].is_none() && self.data[m] == j));
        let jobs: Vec<Job> = order.iter().map(|&j| jobs[j].clone()).collect();
        let jobs = &jobs;
        let gates = Gates {
            of_job: order.iter().map(|&j| self.needs[j].iter().copied().collect()).collect(),
            opened_by: (0..self.models.len())
                .map(|m| self.fitted[m].is_none().then(|| data_of[m].to_string()))
                .collect(),
        };
        // the models fitted on the queries' threads, each with its outcome
        let fits: Vec<std::sync::Mutex<Option<anyhow::Result<Fitted>>>> =
            (0..self.models.len()).map(|_| std::sync::Mutex::new(None)).collect();
        let this = &*self;
        let on_done = |conn: &duckdb::Connection, name: &str, table: &Table| -> Vec<(usize, bool)> {
            let mut opened = Vec::new();
            for m in (0..this.models.len()).filter(|&m| this.fitted[m].is_none() && data_of[m] == name) {
                let fitted = this.fit(m, conn, table).and_then(|f| this.store(conn, m, &f).map(|()| f));
                opened.push((m, fitted.is_ok()));
                *fits[m].lock().unwrap_or_else(|p| p.into_inner()) = Some(fitted);
            }
            opened
        };
        let tables = query::run_jobs_then(conn, jobs, cache, workers, &gates, &on_done)?;
        // the first error in the models' order, whatever the timing
        for (m, fit) in fits.into_iter().enumerate() {
            match fit.into_inner().unwrap_or_else(|p| p.into_inner()) {
                Some(Ok(f)) => {
                    self.keep(cache, m, &f)?;
                    self.fitted[m] = Some(Fit::Made(f));
                    self.loaded[m] = true;
                }
                Some(Err(e)) => return Err(e),
                None => {}
            }
        }
        if let Some(m) = (0..self.models.len()).find(|&m| self.fitted[m].is_none()) {
            anyhow::bail!("model `{}` got no data", self.models[m].name);
        }
        if let Some(job) = jobs.iter().find(|j| !tables.contains_key(j.name())) {
            anyhow::bail!("query `{}` waited on a model that was not fitted", job.name());
        }
        Ok(tables)
    }

    /// Fits model `m` on `table` (and, for an overlap, the pairs it reads
    /// on `conn`), timed.
    fn fit(&self, m: usize, conn: &duckdb::Connection, table: &Table) -> anyhow::Result<Fitted> {
        let started = std::time::Instant::now();
        let pairs = match pairs_query(&self.models[m]) {
            Some(q) => Some(query::read_pairs(conn, &q)?),
            None => None,
        };
        let fitted = model::fit(&self.models[m], table, pairs.as_ref())?;
        let ms = started.elapsed().as_millis() as u64;
        tracing::debug!(model = %self.models[m].name, ms, "model fitted");
        Ok(fitted)
    }

    /// Keeps model `m`'s tables for the next build, when its result may be kept.
    fn keep(&self, cache: &mut Cache, m: usize, fitted: &Fitted) -> anyhow::Result<()> {
        if self.kept[m] {
            for (name, table) in self.models[m].tables().iter().zip(&fitted.tables) {
                cache.keep_model(name, &self.fingerprints[m], table)?;
            }
        }
        Ok(())
    }

    /// Puts the tables of `models` into the `models` catalog (once each),
    /// those carried over from the last build read from `cache`.
    fn load(&mut self, conn: &duckdb::Connection, cache: &Cache, models: &BTreeSet<usize>) -> anyhow::Result<()> {
        for &m in models {
            if self.loaded[m] {
                continue;
            }
            match &self.fitted[m] {
                Some(Fit::Made(f)) => self.store(conn, m, f)?,
                Some(Fit::Kept) => {
                    let tables = self.models[m]
                        .tables()
                        .iter()
                        .map(|t| cache.model_table(t, &self.fingerprints[m]))
                        .collect::<anyhow::Result<Vec<Table>>>()?;
                    self.store(conn, m, &Fitted { tables })?;
                }
                None => anyhow::bail!("model `{}` is not fitted yet", self.models[m].name),
            }
            self.loaded[m] = true;
        }
        Ok(())
    }

    /// Stores model `m`'s tables in the `models` catalog.
    fn store(&self, conn: &duckdb::Connection, m: usize, fitted: &Fitted) -> anyhow::Result<()> {
        for (name, table) in self.models[m].tables().iter().zip(&fitted.tables) {
            query::load_model_table(conn, name, table)?;
        }
        Ok(())
    }

    /// Whether every model's result may be kept between builds.
    pub fn all_kept(&self) -> bool {
        self.kept.iter().all(|k| *k)
    }

    /// Readies more jobs, run once every model is fitted (the generated
    /// pages' own queries): each reads the models' tables it names, and
    /// carries their fingerprints.
    pub fn prepare(&mut self, conn: &duckdb::Connection, jobs: &mut [Job], cache: &Cache) -> anyhow::Result<()> {
        if self.models.is_empty() || jobs.is_empty() {
            return Ok(());
        }
        for job in jobs.iter_mut() {
            let needs: BTreeSet<usize> = job.reads().filter_map(|t| self.tables.get(t).copied()).collect();
            for &m in &needs {
                job.depend_on(&self.fingerprints[m]);
                job.cacheable &= self.kept[m];
            }
            if !cache.has(job) {
                self.load(conn, cache, &needs)?;
            }
        }
        Ok(())
    }
}
