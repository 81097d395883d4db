//! Scheduling hints for the ingest threads.
//!
//! Storing a table (DuckDB converting and compressing its rows) must keep
//! pace with parsing: rows still waiting when the parsers finish are stored
//! by one thread alone at the end, while the other core idles. So the parsers
//! run at a lower priority than the storing threads, which take the CPU
//! whenever they have rows.
//!
//! The recipes come first: storing them is the longest task of the load
//! (three columns of lists, most of the text), and the derived tables can
//! only be stored once all recipes are read. The interactions, done halfway
//! through, and the derived tables' counting, which can happen any time
//! before the end, yield to them, and fill the gaps when the recipes' threads
//! wait on each other. Priorities only order the build's own threads (and
//! leave more to other programs); they never starve a thread.
//!
//! On Linux the nice value belongs to each thread; elsewhere this does
//! nothing, as lowering it would lower the whole process.

/// How much each ingest thread lowers its priority ([`lower_this_thread`]).
pub mod yields {
    /// Storing `recipes`: the longest task.
    pub const STORE_RECIPES: i32 = 0;
    /// Parsing the recipes file.
    pub const PARSE_RECIPES: i32 = 5;
    /// The derived tables' loaders, counting items as batches come.
    pub const DERIVED: i32 = 5;
    /// Storing `interactions`.
    pub const STORE_INTERACTIONS: i32 = 10;
    /// Parsing the interactions files.
    pub const PARSE_INTERACTIONS: i32 = 15;

    // the order the module's documentation gives
    const _: () = assert!(STORE_RECIPES < PARSE_RECIPES && PARSE_RECIPES < STORE_INTERACTIONS);
    const _: () = assert!(DERIVED > STORE_RECIPES && STORE_INTERACTIONS < PARSE_INTERACTIONS);
}

/// Raises this thread's nice value by `by` (lower priority). A failure
/// changes nothing and is ignored: the hint is only about speed.
pub fn lower_this_thread(by: i32) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `nice` takes an integer and changes only the calling
        // thread's nice value on Linux; it touches no memory of ours.
        let _ = unsafe { libc::nice(by) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = by;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn nice_of_this_thread() -> i32 {
        // SAFETY: reads the calling thread's nice value (who = 0).
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[test]
    fn lowers_the_calling_thread_only() {
        let before = nice_of_this_thread();
        let inside = std::thread::spawn(move || {
            let start = nice_of_this_thread();
            lower_this_thread(3);
            (start, nice_of_this_thread())
        })
        .join()
        .unwrap();
        assert_eq!(inside.1, (inside.0 + 3).min(19), "the thread's own nice value goes up");
        assert_eq!(nice_of_this_thread(), before, "other threads keep theirs");
    }
}
