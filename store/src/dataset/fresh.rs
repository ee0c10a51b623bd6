//! Row groups this handle wrote lately, kept decoded for the merges that
//! follow: coalescing rewrites recent small groups a few commits after
//! writing them, and reading them back costs a read (a request on an
//! object store) and a decode. Files are immutable and uniquely named, so
//! a kept batch is the file's content for as long as the file exists.

use std::collections::VecDeque;
use std::sync::Mutex;

use arrow::array::RecordBatch;

/// Memory the kept batches may use, in all.
const BUDGET: usize = 64 << 20;
/// Batches larger than this are not kept (a big write's groups are on
/// target and rarely merged again; they may also be slices pinning a
/// larger input).
const LARGEST: usize = 8 << 20;

/// The kept batches, oldest first, within [`BUDGET`].
#[derive(Debug, Default)]
pub(crate) struct FreshGroups {
    inner: Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    batches: VecDeque<(String, RecordBatch, usize)>,
    bytes: usize,
}

impl FreshGroups {
    /// Keeps `batch`, the content of the new file `file`, unless too big;
    /// the oldest batches go to stay within the budget.
    pub(crate) fn keep(&self, file: &str, batch: &RecordBatch) {
        let size = batch.get_array_memory_size();
        if size > LARGEST {
            return;
        }
        let mut kept = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        kept.batches
            .push_back((file.to_owned(), batch.clone(), size));
        kept.bytes += size;
        while kept.bytes > BUDGET {
            let Some((_, _, s)) = kept.batches.pop_front() else {
                break;
            };
            kept.bytes -= s;
        }
    }

    /// The content of `file`, if kept.
    pub(crate) fn get(&self, file: &str) -> Option<RecordBatch> {
        let kept = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        kept.batches
            .iter()
            .find(|(f, _, _)| f == file)
            .map(|(_, b, _)| b.clone())
    }

    /// Drops the batches of `files` (removed by a commit).
    pub(crate) fn forget(&self, files: &[String]) {
        if files.is_empty() {
            return;
        }
        let mut kept = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let before = std::mem::take(&mut kept.batches);
        kept.bytes = 0;
        for (f, b, s) in before {
            if !files.contains(&f) {
                kept.bytes += s;
                kept.batches.push_back((f, b, s));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::Int64Array;

    use super::*;

    fn batch(rows: usize) -> RecordBatch {
        RecordBatch::try_from_iter([(
            "ts",
            Arc::new(Int64Array::from_iter_values(0..rows as i64)) as _,
        )])
        .unwrap()
    }

    #[test]
    fn keeps_within_the_budget_and_forgets_removed_files() {
        let fresh = FreshGroups::default();
        fresh.keep("a", &batch(10));
        fresh.keep("b", &batch(20));
        assert_eq!(fresh.get("a").unwrap().num_rows(), 10);
        fresh.forget(&["a".to_owned()]);
        assert!(fresh.get("a").is_none());
        assert_eq!(fresh.get("b").unwrap().num_rows(), 20);
        // Too big to keep.
        fresh.keep("huge", &batch(LARGEST / 8 + 1));
        assert!(fresh.get("huge").is_none());
        // The oldest go first past the budget.
        let each = batch(LARGEST / 8 - 1024);
        for i in 0..(BUDGET / each.get_array_memory_size() + 1) {
            fresh.keep(&i.to_string(), &each);
        }
        assert!(fresh.get("b").is_none() && fresh.get("0").is_none());
        assert!(fresh.inner.lock().unwrap().bytes <= BUDGET);
    }
}
