//! Work spread over the machine's cores, for the stages that have many
//! independent pieces (parsing files and their pieces, lowering clauses).

/// Runs `f` on every job, spread over the machine's cores; the results in
/// the order of the jobs.
pub fn map<J: Sync, R: Send>(jobs: &[J], f: impl Fn(&J) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(jobs.len());
    if workers <= 1 {
        return jobs.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { return done };
            done.push((i, f(job)));
        }
    };
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let helpers: Vec<_> = (1..workers)
            .filter_map(|_| std::thread::Builder::new().stack_size(crate::THREAD_STACK).spawn_scoped(s, work).ok())
            .collect();
        let mut done = work();
        for h in helpers {
            // A helper that panicked leaves its jobs undone: they are done below.
            done.extend(h.join().unwrap_or_default());
        }
        done
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    let mut results = Vec::with_capacity(jobs.len());
    let mut done = done.into_iter().peekable();
    for (i, job) in jobs.iter().enumerate() {
        match done.next_if(|(d, _)| *d == i) {
            Some((_, r)) => results.push(r),
            None => results.push(f(job)),
        }
    }
    results
}
