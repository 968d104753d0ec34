//! Spreading independent work (page bodies, templates, file writes) over
//! the machine's cores, keeping the input order so that the output and the
//! order of diagnostics do not depend on scheduling.
//!
//! Deliberately tiny: scoped threads, no pool. Work is handed out in small
//! batches from a shared counter, since pages differ in cost (a section
//! listing thousands of pages is slower than a page).

use std::sync::atomic::{AtomicUsize, Ordering};

/// `items.iter().map(f).collect()`, on every available core.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    // Small enough to even out the end, large enough to keep the counter cold.
    let batch = (items.len() / (threads * 64)).max(1);
    let next = AtomicUsize::new(0);
    let (f, next) = (&f, &next);
    let mut batches: Vec<(usize, Vec<R>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let start = next.fetch_add(batch, Ordering::Relaxed);
                        if start >= items.len() {
                            return done;
                        }
                        let end = (start + batch).min(items.len());
                        done.push((start, items[start..end].iter().map(f).collect()));
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for handle in handles {
            match handle.join() {
                Ok(done) => all.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    });
    batches.sort_unstable_by_key(|(start, _)| *start);
    batches.into_iter().flat_map(|(_, part)| part).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order_of_the_input() {
        let items: Vec<u32> = (0..1001).collect();
        let doubled = super::map(&items, |n| n * 2);
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        assert!(super::map(&[] as &[u32], |n| *n).is_empty());
    }

    #[test]
    fn keeps_the_order_of_the_input_at_every_length() {
        for len in [0, 1, 2, 3, 7, 1000, 1001] {
            let items: Vec<String> = (0..len).map(|n| n.to_string()).collect();
            let lengths = super::map(&items, |s| s.len());
            assert_eq!(lengths, items.iter().map(String::len).collect::<Vec<_>>());
        }
    }
}
