//! Scheduling hints for the ingest threads.
//!
//! Storing a table (DuckDB converting and compressing its rows) must keep
//! pace with parsing: rows still waiting when the parsers finish are stored
//! by one thread alone at the end, while the other core idles. So the parsers
//! run at a lower priority than the storing threads, which take the CPU
//! whenever they have rows. Priorities only order the build's own threads
//! (and leave more to other programs); they never starve a thread.
//!
//! On Linux the nice value belongs to each thread; elsewhere this does
//! nothing, as lowering it would lower the whole process.

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
