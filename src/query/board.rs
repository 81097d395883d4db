//! Which job a connection runs next ([`super::run_jobs`]): the jobs in
//! their order, each once what it waits for is there, and the generating
//! queries, each run once for all the connections.
//!
//! A job can wait for two things, and while it waits the connection takes
//! the next job that does not:
//! - **The rows of its generating query**, made by the first job that needs
//!   them into `models.generating` (an in-memory catalog every connection
//!   sees); each connection copies them to a temporary table of the
//!   generating query's name. Made once, the shared queries and the
//!   generating query's own result read the very same rows (two runs of a
//!   query whose `order by` ties at its `limit` may keep different ones).
//! - **Gates** ([`Gates`]): a model's tables, say, there once the model is
//!   fitted on the result of its data query. A gate is opened (or fails)
//!   when the job that opens it is done; it fails when that job fails or
//!   does not run, and the jobs behind it do not run.
//!
//! After a job fails, no job after it starts; those before it still run,
//! so the error reported (the first failed job in order) does not depend on
//! timing.

use super::{Job, QuerySpec};
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};

/// The schema, in the in-memory `models` catalog, of the generating queries' rows.
pub const SCHEMA: &str = "models.generating";

/// What jobs wait for besides their generating query's rows: gates, each
/// opened by the outcome of one job.
#[derive(Debug, Clone, Default)]
pub struct Gates {
    /// For each job (in the order of the jobs given), the gates it waits for.
    pub of_job: Vec<Vec<usize>>,
    /// For each gate, the job (by name) whose outcome opens it; `None` for
    /// a gate open from the start.
    pub opened_by: Vec<Option<String>>,
}

impl Gates {
    /// No gates: every job can start at once.
    pub fn none() -> Gates {
        Gates::default()
    }
}

/// The jobs still to start and the state of what they wait for.
pub struct Board<'a> {
    jobs: &'a [&'a Job],
    /// The generating query each job needs the rows of (its own, for a
    /// generating query's own job), by index of `jobs`.
    needs: Vec<Option<&'a QuerySpec>>,
    /// The gates each job waits for.
    waits: Vec<Vec<usize>>,
    /// For each gate, the index of the job that opens it.
    opener: Vec<Option<usize>>,
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    /// Indices of `jobs` not yet started, in order.
    pending: Vec<usize>,
    /// The generating queries' rows: being made, made, or failed (the message).
    rows: BTreeMap<String, Rows>,
    gates: Vec<Gate>,
    /// The first job in order that failed.
    failed: Option<usize>,
}

#[derive(Clone)]
enum Rows {
    Making,
    Made,
    Failed(String),
}

#[derive(Clone, Copy, PartialEq)]
enum Gate {
    Shut,
    Open,
    Failed,
}

/// What a connection is to do next.
pub struct Next<'a> {
    /// The index of the job in the board's jobs.
    pub index: usize,
    /// The generating query whose rows the job reads.
    pub source: Option<&'a QuerySpec>,
    /// Whether this connection makes those rows (the first to need them).
    pub make: bool,
    /// Whether the job is the generating query itself: its result is its rows.
    pub is_source: bool,
}

impl<'a> Board<'a> {
    /// The board for `jobs` (those of `all` that run), all pending;
    /// `gates` are given for `all`.
    pub fn new(jobs: &'a [&'a Job], all: &[Job], gates: &Gates) -> Board<'a> {
        let sources: BTreeMap<&str, &QuerySpec> =
            jobs.iter().filter_map(|j| j.setup.as_ref()).map(|s| (s.name.as_str(), s)).collect();
        let needs = jobs
            .iter()
            .map(|j| {
                j.setup.as_ref().or_else(|| {
                    sources
                        .get(j.spec.name.as_str())
                        .copied()
                        .filter(|s| s.sql == j.spec.sql && s.params == j.spec.params)
                })
            })
            .collect();
        let of_job: BTreeMap<&str, &Vec<usize>> =
            all.iter().zip(&gates.of_job).map(|(j, g)| (j.spec.name.as_str(), g)).collect();
        let waits = jobs.iter().map(|j| of_job.get(j.spec.name.as_str()).map_or(Vec::new(), |g| g.to_vec())).collect();
        let opener: Vec<Option<usize>> = gates
            .opened_by
            .iter()
            .map(|name| name.as_ref().and_then(|n| jobs.iter().position(|j| &j.spec.name == n)))
            .collect();
        // a gate with no job to open it is open from the start; one whose
        // job does not run here never opens
        let gates: Vec<Gate> = gates
            .opened_by
            .iter()
            .zip(&opener)
            .map(|(name, at)| match (name, at) {
                (None, _) => Gate::Open,
                (Some(_), Some(_)) => Gate::Shut,
                (Some(_), None) => Gate::Failed,
            })
            .collect();
        let state = State { pending: (0..jobs.len()).collect(), rows: BTreeMap::new(), gates, failed: None };
        Board { jobs, needs, waits, opener, state: Mutex::new(state), changed: Condvar::new() }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // a worker that panicked holding the lock has left the state whole
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The next job for a connection, once one can start; `None` when
    /// there is none left to start.
    pub fn take(&self) -> Option<Next<'a>> {
        let mut state = self.lock();
        loop {
            let bound = state.failed.unwrap_or(usize::MAX);
            let dropped: Vec<usize> = state
                .pending
                .iter()
                .copied()
                .filter(|&i| i >= bound || self.waits[i].iter().any(|&g| state.gates[g] == Gate::Failed))
                .collect();
            if !dropped.is_empty() {
                state.pending.retain(|i| !dropped.contains(i));
                // what they would have opened stays shut
                for &i in &dropped {
                    self.fail_gates_of(&mut state, i);
                }
                self.changed.notify_all();
                continue;
            }
            if state.pending.is_empty() {
                return None;
            }
            let startable = state.pending.iter().position(|&i| {
                self.waits[i].iter().all(|&g| state.gates[g] == Gate::Open)
                    && self.needs[i].is_none_or(|s| !matches!(state.rows.get(&s.name), Some(Rows::Making)))
            });
            if let Some(at) = startable {
                let index = state.pending.remove(at);
                let source = self.needs[index];
                let make = source.is_some_and(|s| !state.rows.contains_key(&s.name));
                if let Some(s) = source.filter(|_| make) {
                    state.rows.insert(s.name.clone(), Rows::Making);
                }
                let is_source = source.is_some() && self.jobs[index].setup.is_none();
                return Some(Next { index, source, make, is_source });
            }
            state = self.changed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    fn fail_gates_of(&self, state: &mut State, job: usize) {
        for (g, opener) in self.opener.iter().enumerate() {
            if *opener == Some(job) && state.gates[g] == Gate::Shut {
                state.gates[g] = Gate::Failed;
            }
        }
    }

    /// Records that the rows of `source` are made (`Ok`) or could not be.
    pub fn made(&self, source: &str, result: Result<(), String>) {
        let rows = match result {
            Ok(()) => Rows::Made,
            Err(message) => Rows::Failed(message),
        };
        self.lock().rows.insert(source.to_string(), rows);
        self.changed.notify_all();
    }

    /// Why the rows of `source` could not be made, if they could not.
    pub fn failure(&self, source: &str) -> Option<String> {
        match self.lock().rows.get(source) {
            Some(Rows::Failed(message)) => Some(message.clone()),
            _ => None,
        }
    }

    /// Records that job `index` is done, whether it failed, and the gates
    /// its outcome opened (`true`) or failed (`false`). A gate it should
    /// have opened and did not fails.
    pub fn done(&self, index: usize, failed: bool, gates: &[(usize, bool)]) {
        let mut state = self.lock();
        if failed {
            state.failed = Some(state.failed.map_or(index, |f| f.min(index)));
        }
        for &(g, open) in gates {
            if state.gates[g] == Gate::Shut {
                state.gates[g] = if open { Gate::Open } else { Gate::Failed };
            }
        }
        self.fail_gates_of(&mut state, index);
        drop(state);
        self.changed.notify_all();
    }
}

/// Marks the rows of a generating query failed unless they were recorded:
/// a connection that stops while making them must not leave the others
/// waiting.
pub struct Making<'b, 'a> {
    board: &'b Board<'a>,
    source: &'b str,
    recorded: bool,
}

impl<'b, 'a> Making<'b, 'a> {
    /// The rows of `source` are being made for `board`.
    pub fn new(board: &'b Board<'a>, source: &'b str) -> Self {
        Making { board, source, recorded: false }
    }

    /// Records the outcome.
    pub fn finish(mut self, result: Result<(), String>) {
        self.recorded = true;
        self.board.made(self.source, result);
    }
}

impl Drop for Making<'_, '_> {
    fn drop(&mut self) {
        if !self.recorded {
            self.board.made(self.source, Err("the query runner making these rows stopped".into()));
        }
    }
}
