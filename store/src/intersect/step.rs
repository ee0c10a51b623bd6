//! The options of an intersection and its steps.

use arrow::array::RecordBatch;
use arrow::datatypes::DataType;

use crate::value::OrderedValue;
#[cfg(doc)]
use crate::{Intersections, Store};

/// Options of [`Store::iter_intersections`]: the range `[start, end_excl)`
/// of the ordered column (unbounded by default) and `n_prev`.
///
/// Bounds are given in any form [`OrderedValue`] converts from and are
/// converted once to the ordered column's stored form (so `0` or the epoch
/// is a real bound).
///
/// ```
/// use ordo::IntersectOptions;
/// let opts = IntersectOptions::new().start(10).end_excl(20).n_prev(5);
/// let per_key = IntersectOptions::new().start(10).n_prev_per_key([1, 0, 3]);
/// # let _ = (opts, per_key);
/// ```
#[derive(Debug, Clone, Default)]
pub struct IntersectOptions {
    pub(super) start: Option<OrderedValue>,
    pub(super) end_excl: Option<OrderedValue>,
    pub(super) n_prev: NPrev,
    pub(super) prefetch: Option<usize>,
}

#[derive(Debug, Clone)]
pub(super) enum NPrev {
    Each(usize),
    PerKey(Vec<usize>),
}

impl Default for NPrev {
    fn default() -> Self {
        Self::Each(0)
    }
}

impl IntersectOptions {
    /// No bounds, no previous rows.
    ///
    /// ```
    /// use ordo::IntersectOptions;
    /// let opts = IntersectOptions::new();
    /// assert!(format!("{opts:?}").contains("start: None"));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts at rows whose ordered value is `>= start`.
    ///
    /// ```
    /// use ordo::IntersectOptions;
    /// use ordo::chrono::{TimeZone, Utc};
    /// let from_int = IntersectOptions::new().start(0);
    /// let from_epoch = IntersectOptions::new().start(Utc.timestamp_opt(0, 0).unwrap());
    /// # let _ = (from_int, from_epoch);
    /// ```
    pub fn start(mut self, start: impl Into<OrderedValue>) -> Self {
        self.start = Some(start.into());
        self
    }

    /// Stops before rows whose ordered value is `>= end_excl`.
    ///
    /// ```
    /// use ordo::IntersectOptions;
    /// let opts = IntersectOptions::new().start(10).end_excl(20);
    /// # let _ = opts;
    /// ```
    pub fn end_excl(mut self, end_excl: impl Into<OrderedValue>) -> Self {
        self.end_excl = Some(end_excl.into());
        self
    }

    /// Prepends up to `n` rows from before `start` to each key's first
    /// chunk (see [`Intersections`]).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// # use ordo::{IntersectOptions, OrderedValue, RowGroupTarget, Store, TopLevel, WriteOptions};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    /// # let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    /// # for (key, ts) in [(&a, vec![1, 2, 5, 6]), (&b, vec![3, 4])] {
    /// #     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(ts))])?;
    /// #     store.get(key)?.write(&batch, &opts)?;
    /// # }
    /// // a: row groups [1, 2] [5, 6]; b: [3, 4]. Windows [1, 3) [3, 5) [5, ..).
    /// let steps: Vec<_> = store
    ///     .iter_intersections(&[a.clone()], IntersectOptions::new().start(5).n_prev(3))?
    ///     .collect::<Result<_, _>>()?;
    /// // The first chunk of `a` starts with its 2 rows before 5 (there are no more).
    /// assert_eq!(steps[0].get(&a).unwrap().num_rows(), 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn n_prev(mut self, n: usize) -> Self {
        self.n_prev = NPrev::Each(n);
        self
    }

    /// Like [`n_prev`](Self::n_prev), one number per key, in the order of
    /// the keys given to [`Store::iter_intersections`] (which must have as
    /// many).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// # use ordo::{IntersectOptions, OrderedValue, RowGroupTarget, Store, TopLevel, WriteOptions};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    /// # let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    /// # for (key, ts) in [(&a, vec![1, 2, 5, 6]), (&b, vec![3, 4])] {
    /// #     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(ts))])?;
    /// #     store.get(key)?.write(&batch, &opts)?;
    /// # }
    /// // a: row groups [1, 2] [5, 6]; b: [3, 4]. Windows [1, 3) [3, 5) [5, ..).
    /// let steps: Vec<_> = store
    ///     .iter_intersections(&[a.clone(), b.clone()], IntersectOptions::new().start(4).n_prev_per_key([1, 0]))?
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(steps[0].get(&b).unwrap().num_rows(), 1); // 4 only
    /// assert_eq!(steps[1].get(&a).unwrap().num_rows(), 3); // 2, then 5 and 6
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn n_prev_per_key(mut self, n: impl IntoIterator<Item = usize>) -> Self {
        self.n_prev = NPrev::PerKey(n.into_iter().collect());
        self
    }

    /// Decodes up to `n` row groups ahead of those the current step needs,
    /// in the background on rayon's thread pool, so that decoding overlaps
    /// the caller's work and uses several cores. Each one adds a decoded
    /// row group to the memory held. The default is the number of rayon
    /// threads, at most the number of keys (so memory stays within twice
    /// one row group per dataset); `0` decodes each row group when a step
    /// needs it. Prefetching pauses while the iterator is advanced from a
    /// rayon worker thread (which must not block on pool work).
    ///
    /// ```
    /// use ordo::IntersectOptions;
    /// let lean = IntersectOptions::new().prefetch(0); // one row group per dataset
    /// # let _ = lean;
    /// ```
    pub fn prefetch(mut self, n: usize) -> Self {
        self.prefetch = Some(n);
        self
    }
}

/// One window of an intersection: per key, that dataset's rows in
/// `[start(), end_excl())` (a key's first chunk may also hold its `n_prev`
/// rows from before the iteration's start). Keys appear in the order they
/// were given; keys without rows in the window are absent.
///
/// See [`Store::iter_intersections`] for an example.
#[derive(Debug, Clone)]
pub struct Step<K> {
    pub(super) start: OrderedValue,
    pub(super) end_excl: Option<OrderedValue>,
    pub(super) chunks: Vec<(K, RecordBatch)>,
    /// The ordered column's type, which says how its values are shown.
    pub(super) ordered_type: DataType,
}

impl<K: PartialEq> Step<K> {
    /// The window's first ordered value, in the column's type (timestamps
    /// as instants in the column's zone, dates as dates: see
    /// [`OrderedValue`]).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// # use ordo::{IntersectOptions, OrderedValue, RowGroupTarget, Store, TopLevel, WriteOptions};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    /// # let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    /// # for (key, ts) in [(&a, vec![1, 2, 5, 6]), (&b, vec![3, 4])] {
    /// #     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(ts))])?;
    /// #     store.get(key)?.write(&batch, &opts)?;
    /// # }
    /// // a: row groups [1, 2] [5, 6]; b: [3, 4]. Windows [1, 3) [3, 5) [5, ..).
    /// let mut steps = store.iter_intersections(&[a.clone(), b.clone()], IntersectOptions::new())?;
    /// let step = steps.next().unwrap()?; // window [1, 3)
    /// assert_eq!(step.start(), &OrderedValue::Int(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn start(&self) -> &OrderedValue {
        &self.start
    }

    /// The window's end (excluded), in the column's type; `None` for the last
    /// window of an iteration without `end_excl`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// # use ordo::{IntersectOptions, OrderedValue, RowGroupTarget, Store, TopLevel, WriteOptions};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    /// # let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    /// # for (key, ts) in [(&a, vec![1, 2, 5, 6]), (&b, vec![3, 4])] {
    /// #     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(ts))])?;
    /// #     store.get(key)?.write(&batch, &opts)?;
    /// # }
    /// // a: row groups [1, 2] [5, 6]; b: [3, 4]. Windows [1, 3) [3, 5) [5, ..).
    /// let mut steps = store.iter_intersections(&[a.clone(), b.clone()], IntersectOptions::new())?;
    /// let step = steps.next().unwrap()?; // window [1, 3)
    /// assert_eq!(step.end_excl(), Some(&OrderedValue::Int(3)));
    /// let last = steps.last().unwrap()?;
    /// assert_eq!(last.end_excl(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn end_excl(&self) -> Option<&OrderedValue> {
        self.end_excl.as_ref()
    }

    /// The rows of `key` in this window, if it has any.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// # use ordo::{IntersectOptions, OrderedValue, RowGroupTarget, Store, TopLevel, WriteOptions};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    /// # let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    /// # for (key, ts) in [(&a, vec![1, 2, 5, 6]), (&b, vec![3, 4])] {
    /// #     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(ts))])?;
    /// #     store.get(key)?.write(&batch, &opts)?;
    /// # }
    /// // a: row groups [1, 2] [5, 6]; b: [3, 4]. Windows [1, 3) [3, 5) [5, ..).
    /// let mut steps = store.iter_intersections(&[a.clone(), b.clone()], IntersectOptions::new())?;
    /// let step = steps.next().unwrap()?; // window [1, 3)
    /// assert_eq!(step.get(&a).map(|rows| rows.num_rows()), Some(2));
    /// assert!(step.get(&b).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get(&self, key: &K) -> Option<&RecordBatch> {
        self.chunks.iter().find(|(k, _)| k == key).map(|(_, b)| b)
    }

    /// The keys with rows and their rows, in the order the keys were given.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// # use ordo::{IntersectOptions, OrderedValue, RowGroupTarget, Store, TopLevel, WriteOptions};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    /// # let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    /// # for (key, ts) in [(&a, vec![1, 2, 5, 6]), (&b, vec![3, 4])] {
    /// #     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(ts))])?;
    /// #     store.get(key)?.write(&batch, &opts)?;
    /// # }
    /// // a: row groups [1, 2] [5, 6]; b: [3, 4]. Windows [1, 3) [3, 5) [5, ..).
    /// let mut steps = store.iter_intersections(&[a.clone(), b.clone()], IntersectOptions::new())?;
    /// let step = steps.next().unwrap()?; // window [1, 3)
    /// for (key, rows) in step.iter() {
    ///     assert_eq!((key, rows.num_rows()), (&a, 2));
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (&K, &RecordBatch)> {
        self.chunks.iter().map(|(k, b)| (k, b))
    }

    /// The number of keys with rows in this window.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// # use ordo::{IntersectOptions, OrderedValue, RowGroupTarget, Store, TopLevel, WriteOptions};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    /// # let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    /// # for (key, ts) in [(&a, vec![1, 2, 5, 6]), (&b, vec![3, 4])] {
    /// #     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(ts))])?;
    /// #     store.get(key)?.write(&batch, &opts)?;
    /// # }
    /// // a: row groups [1, 2] [5, 6]; b: [3, 4]. Windows [1, 3) [3, 5) [5, ..).
    /// let mut steps = store.iter_intersections(&[a.clone(), b.clone()], IntersectOptions::new())?;
    /// let step = steps.next().unwrap()?; // window [1, 3)
    /// assert_eq!(step.len(), 1);
    /// assert_eq!(steps.next().unwrap()?.len(), 1); // [3, 5): only b
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn len(&self) -> usize {
        self.chunks.len()
    }

    /// Whether no key has rows (never true for a yielded step).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// # use ordo::{IntersectOptions, OrderedValue, RowGroupTarget, Store, TopLevel, WriteOptions};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    /// # let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    /// # for (key, ts) in [(&a, vec![1, 2, 5, 6]), (&b, vec![3, 4])] {
    /// #     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(ts))])?;
    /// #     store.get(key)?.write(&batch, &opts)?;
    /// # }
    /// // a: row groups [1, 2] [5, 6]; b: [3, 4]. Windows [1, 3) [3, 5) [5, ..).
    /// let mut steps = store.iter_intersections(&[a.clone(), b.clone()], IntersectOptions::new())?;
    /// let step = steps.next().unwrap()?; // window [1, 3)
    /// assert!(!step.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
    }

    /// The keys and their rows, by value.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use ordo::arrow::array::{Int64Array, RecordBatch};
    /// # use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// # use ordo::{IntersectOptions, OrderedValue, RowGroupTarget, Store, TopLevel, WriteOptions};
    /// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// # struct Key { name: String }
    /// # let dir = tempfile::tempdir()?;
    /// # let store = Store::<Key>::open(dir.path())?;
    /// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// # let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    /// # let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    /// # for (key, ts) in [(&a, vec![1, 2, 5, 6]), (&b, vec![3, 4])] {
    /// #     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(ts))])?;
    /// #     store.get(key)?.write(&batch, &opts)?;
    /// # }
    /// // a: row groups [1, 2] [5, 6]; b: [3, 4]. Windows [1, 3) [3, 5) [5, ..).
    /// let mut steps = store.iter_intersections(&[a.clone(), b.clone()], IntersectOptions::new())?;
    /// let step = steps.next().unwrap()?; // window [1, 3)
    /// let chunks = step.into_chunks();
    /// assert_eq!(chunks[0].0, a);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn into_chunks(self) -> Vec<(K, RecordBatch)> {
        self.chunks
    }
}

/// The window and the rows of each key in it: `[start, end): key (n rows), ...`
/// (`[start, ..)` for a last window without end), values as the ordered
/// column's values are shown (see [`OrderedValue::shown_in`]).
///
/// ```
/// # use std::sync::Arc;
/// # use ordo::arrow::array::{Int64Array, RecordBatch};
/// # use ordo::arrow::datatypes::{DataType, Field, Schema};
/// # use ordo::{IntersectOptions, RowGroupTarget, Store, TopLevel, WriteOptions};
/// # #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
/// # struct Key { name: String }
/// # let dir = tempfile::tempdir()?;
/// # let store = Store::<Key>::open(dir.path())?;
/// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
/// # let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
/// # let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
/// # for (key, ts) in [(&a, vec![1, 2, 5, 6]), (&b, vec![3, 4])] {
/// #     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(ts))])?;
/// #     store.get(key)?.write(&batch, &opts)?;
/// # }
/// let steps: Vec<_> = store.iter_intersections(&[a, b], IntersectOptions::new())?.collect::<Result<_, _>>()?;
/// assert_eq!(steps[0].to_string(), "[1, 3): a (2 rows)");
/// assert_eq!(steps[2].to_string(), "[5, ..): a (2 rows)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl<K: std::fmt::Display> std::fmt::Display for Step<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let start = self.start.shown_in(&self.ordered_type);
        match &self.end_excl {
            Some(end) => write!(f, "[{start}, {}):", end.shown_in(&self.ordered_type))?,
            None => write!(f, "[{start}, ..):")?,
        }
        for (i, (key, rows)) in self.chunks.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            let n = rows.num_rows();
            write!(
                f,
                "{sep}{key} ({n} {})",
                if n == 1 { "row" } else { "rows" }
            )?;
        }
        Ok(())
    }
}
