//! Splitting a pass over many rows across the machine's cores: the passes that settle the EMR rows no
//! cross-reference matched read the whole PM index, and each part of it can be scanned on its own; so can the
//! findings when their messages are redacted.

use std::ops::Range;
use std::sync::{Mutex, PoisonError};

/// At most this many parts: the passes are bound by reading memory, which more threads than this do not speed up.
const MAX_PARTS: usize = 8;

/// Runs `scan` over `0..rows` in contiguous parts, one per core, and returns each part's result in row order, so a
/// caller that merges them first to last sees what one pass in row order would have seen. Where a thread cannot be
/// started, its part runs on the calling thread.
pub fn in_row_order<T: Send>(rows: u32, scan: impl Fn(Range<u32>) -> T + Sync) -> Vec<T> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_PARTS);
    in_parts(rows, cores, scan)
}

fn in_parts<T: Send>(rows: u32, parts: usize, scan: impl Fn(Range<u32>) -> T + Sync) -> Vec<T> {
    let step = rows.div_ceil(parts.max(1) as u32).max(1);
    let ranges: Vec<Range<u32>> =
        (0..rows).step_by(step as usize).map(|s| s..s.saturating_add(step).min(rows)).collect();
    let Some((first, rest)) = ranges.split_first() else { return vec![scan(0..0)] };
    let scan = &scan;
    std::thread::scope(|scope| {
        let started: Vec<_> = rest
            .iter()
            .map(|range| {
                let part = range.clone();
                (
                    range,
                    std::thread::Builder::new().name("reconcile-scan".into()).spawn_scoped(scope, move || scan(part)),
                )
            })
            .collect();
        let mut results = vec![scan(first.clone())];
        for (range, thread) in started {
            results.push(match thread {
                Ok(thread) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                Err(_) => scan(range.clone()),
            });
        }
        results
    })
}

/// Runs `work` on `items` in contiguous parts, one per core, each changed in place on a thread of its own.
pub fn in_parts_mut<T: Send>(items: &mut [T], work: impl Fn(&mut [T]) + Sync) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()).min(MAX_PARTS);
    let size = items.len().div_ceil(cores).max(1);
    let parts: Vec<Mutex<Option<&mut [T]>>> = items.chunks_mut(size).map(|part| Mutex::new(Some(part))).collect();
    let work = &work;
    std::thread::scope(|scope| {
        for part in parts.iter().skip(1) {
            // A part whose thread cannot be started is left for this one.
            let _ = std::thread::Builder::new().spawn_scoped(scope, move || take(part).map(work));
        }
        parts.iter().filter_map(take).for_each(work);
    });
}

/// The part in `slot`, unless a thread has taken it.
fn take<'a, T>(slot: &Mutex<Option<&'a mut [T]>>) -> Option<&'a mut [T]> {
    slot.lock().unwrap_or_else(PoisonError::into_inner).take()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_every_row_once_in_order() {
        for (rows, parts) in [(0, 2), (1, 2), (7, 2), (10, 3), (10, 16), (1_000, 8)] {
            let seen: Vec<u32> = in_parts(rows, parts, |range| range.collect::<Vec<_>>()).concat();
            assert_eq!(seen, (0..rows).collect::<Vec<_>>(), "{rows} rows in {parts} parts");
        }
    }

    #[test]
    fn no_rows_is_one_empty_part() {
        assert_eq!(in_parts(0, 4, |range| range.len()), vec![0]);
        assert_eq!(in_parts(10, 3, |range| range.len()), vec![4, 4, 2]);
    }

    #[test]
    fn every_part_is_worked_on_once() {
        for n in [0, 1, 7, 1000] {
            let mut items = vec![0u32; n];
            in_parts_mut(&mut items, |part| part.iter_mut().for_each(|i| *i += 1));
            assert_eq!(items, vec![1; n]);
        }
    }
}
