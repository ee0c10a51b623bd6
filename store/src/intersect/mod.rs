//! [`Store::iter_intersections`]: several datasets walked in lock-step, one
//! window of the ordered column at a time. The semantics are documented on
//! [`Intersections`].

mod cursor;
mod step;

use std::fmt;

use arrow::array::RecordBatch;
use arrow::datatypes::DataType;
use rayon::prelude::*;

use self::cursor::{Cursor, read_part};
use self::step::NPrev;
pub use self::step::{IntersectOptions, Step};
use crate::dataset::OrderedParquetDataset;
use crate::error::{Error, Result};
use crate::keys::TopLevel;
use crate::store::Store;
use crate::value::OrderedValue;
use crate::value::stored::{bound_to_stored, cmp_values, typed};

/// The iterator of [`Store::iter_intersections`]: yields
/// `Result<`[`Step`]`>`; the first error ends it.
///
/// # Windows
///
/// The window bounds are the starts of every row group of the datasets,
/// clipped to `[start, end_excl)`: a row group that intersects the range
/// contributes `max(min, start)`. Sorted and deduplicated, they give the
/// windows `[b_k, b_{k+1})`, the last one ending at `end_excl` (or
/// unbounded). A step holds, per key, that dataset's rows whose ordered
/// value lies in its window; a key without rows there is absent from the
/// step, and windows without any row are skipped. Since every row-group
/// start is a bound, a window never spans two row groups of one dataset:
/// each step decodes at most one new row group per dataset, and the
/// iterator holds one decoded row group per dataset (plus the `n_prev`
/// rows, and the row groups decoding ahead: see
/// [`IntersectOptions::prefetch`]). Row groups decode on rayon's pool, in
/// parallel.
///
/// # `n_prev`
///
/// With a `start`, up to `n_prev` rows of a dataset from just before
/// `start` (the last ones with an ordered value `< start`) are prepended to
/// that key's first chunk, i.e. in the first step where the key appears; so
/// that chunk may hold rows before [`Step::start`]. Fewer rows are
/// prepended when fewer exist. A key with no row in `[start, end_excl)`
/// never appears, and gets no previous rows either: `n_prev` never adds a
/// step nor a key to a step. Without a `start` there is nothing before it
/// and `n_prev` has no effect.
///
/// # Versions
///
/// Each dataset is opened once, when the iterator is created, and every
/// row is read from that version: commits made during the iteration are
/// not seen. Old versions stay readable as long as the writers' retention
/// rule keeps them (see [`Retention`](crate::Retention)); a dataset removed
/// during the iteration loses its files, and the next read of it fails
/// with [`Error::MissingRowGroupFile`].
///
/// # Example
///
/// A running sum over two datasets, warmed up with the last row before
/// the start:
///
/// ```
/// use std::sync::Arc;
/// use ordo::arrow::array::{AsArray, Int64Array, RecordBatch};
/// use ordo::arrow::datatypes::{DataType, Field, Int64Type, Schema};
/// use ordo::{IntersectOptions, RowGroupTarget, Store, TopLevel, WriteOptions};
///
/// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
/// struct Key { name: String }
///
/// let dir = tempfile::tempdir()?;
/// let store = Store::<Key>::open(dir.path())?;
/// let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
/// let keys = [Key { name: "a".into() }, Key { name: "b".into() }];
/// let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(3));
/// for (key, start) in keys.iter().zip([0, 1]) {
///     let ts = Int64Array::from_iter_values((start..20).step_by(2));
///     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(ts)])?;
///     store.get(key)?.write(&batch, &opts)?;
/// }
/// let mut sum = 0;
/// let steps = store.iter_intersections(&keys, IntersectOptions::new().start(5).n_prev(1))?;
/// for step in steps {
///     for (_key, rows) in step?.iter() {
///         sum += rows.column(0).as_primitive::<Int64Type>().values().iter().sum::<i64>();
///     }
/// }
/// assert_eq!(sum, (5..20).sum::<i64>() + 4 + 3); // plus a's 4 and b's 3
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Intersections<K> {
    cursors: Vec<Cursor<K>>,
    /// The window bounds, sorted, not yet used.
    bounds: std::iter::Peekable<std::vec::IntoIter<OrderedValue>>,
    end_excl: Option<OrderedValue>,
    /// The ordered column's type, in which steps give their bounds.
    ordered_type: DataType,
    /// The cursor of every row-group load, in the order steps need them.
    schedule: Vec<usize>,
    /// Loads started (ahead) and loads installed, counted in `schedule`.
    issued: usize,
    consumed: usize,
    prefetch: usize,
    done: bool,
}

impl<K: TopLevel + Ord + Clone> Store<K> {
    /// Walks the datasets of `keys` in lock-step over windows of their
    /// ordered column, as described in [`Intersections`]:
    /// bounds at every row-group start, memory near one row group per
    /// dataset, versions pinned at creation.
    ///
    /// Errors (at creation): [`Error::KeysNotFound`] listing every key
    /// without a dataset, [`Error::OrderedColumnMismatch`] when the
    /// datasets differ in ordered column name or type,
    /// [`Error::IncompatibleValue`] for a bound of the wrong type,
    /// [`Error::InvalidOption`] for a key given twice or an `n_prev` list
    /// of the wrong length, and the errors of [`Store::get`] (invalid key,
    /// link or file on its path); while iterating, the read errors of
    /// [`OrderedParquetDataset::read_with`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ordo::arrow::array::{Int64Array, RecordBatch};
    /// use ordo::arrow::datatypes::{DataType, Field, Schema};
    /// use ordo::{IntersectOptions, OrderedValue, RowGroupTarget, Store, TopLevel, WriteOptions};
    ///
    /// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, TopLevel)]
    /// struct Key { name: String }
    ///
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::<Key>::open(dir.path())?;
    /// let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
    /// let (a, b) = (Key { name: "a".into() }, Key { name: "b".into() });
    /// let opts = WriteOptions::new("ts").row_group_target_size(RowGroupTarget::Rows(2));
    /// for (key, ts) in [(&a, vec![1, 2, 5, 6]), (&b, vec![3, 4])] {
    ///     let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(ts))])?;
    ///     store.get(key)?.write(&batch, &opts)?;
    /// }
    /// // Row groups: a [1, 2] [5, 6], b [3, 4]: bounds 1, 3, 5.
    /// let steps = store
    ///     .iter_intersections(&[a.clone(), b.clone()], IntersectOptions::new().start(2))?
    ///     .collect::<Result<Vec<_>, _>>()?;
    /// assert_eq!(steps.len(), 3);
    /// assert_eq!(steps[0].start(), &OrderedValue::Int(2)); // clipped to start
    /// assert_eq!(steps[0].end_excl(), Some(&OrderedValue::Int(3)));
    /// assert_eq!(steps[0].get(&a).unwrap().num_rows(), 1); // ts 2
    /// assert!(steps[0].get(&b).is_none());
    /// assert_eq!(steps[1].get(&b).unwrap().num_rows(), 2); // ts 3, 4
    /// assert_eq!(steps[2].end_excl(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn iter_intersections(
        &self,
        keys: &[K],
        options: IntersectOptions,
    ) -> Result<Intersections<K>> {
        let n_prev = match options.n_prev {
            NPrev::Each(n) => vec![n; keys.len()],
            NPrev::PerKey(v) if v.len() == keys.len() => v,
            NPrev::PerKey(v) => {
                return Err(Error::InvalidOption {
                    option: "n_prev_per_key",
                    reason: format!("{} numbers for {} keys", v.len(), keys.len()),
                });
            }
        };
        let datasets = self.open_all(keys)?;
        if keys.is_empty() {
            return Ok(Intersections::new(Vec::new(), None, 0, DataType::Null));
        }
        let (column, dt) = same_ordered_column(keys, &datasets)?;
        let to_stored = |b: &Option<OrderedValue>| {
            b.as_ref()
                .map(|b| bound_to_stored(b, &dt, &column))
                .transpose()
        };
        let (lo, hi) = (to_stored(&options.start)?, to_stored(&options.end_excl)?);
        // A start above every storable value selects nothing; an end above
        // every storable value is no end.
        let empty = matches!(lo, Some(None));
        let (lo, hi) = (lo.flatten(), hi.flatten());
        let empty = empty
            || lo
                .as_ref()
                .zip(hi.as_ref())
                .is_some_and(|(l, h)| cmp_values(l, h).is_ge());
        let prefetch = options
            .prefetch
            .unwrap_or_else(|| rayon::current_num_threads().min(keys.len()));
        let cursors = keys
            .iter()
            .cloned()
            .zip(datasets)
            .zip(n_prev)
            .map(|((key, ds), n)| Cursor::new(key, ds, lo.clone(), hi.clone(), n, empty))
            .collect();
        Ok(Intersections::new(cursors, hi, prefetch, dt))
    }

    /// Opens the dataset of every key, all or an error naming every
    /// missing one.
    fn open_all(&self, keys: &[K]) -> Result<Vec<OrderedParquetDataset>> {
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].contains(key) {
                return Err(Error::InvalidOption {
                    option: "keys",
                    reason: format!("key {} is given twice", key_name(key)),
                });
            }
        }
        let mut datasets = Vec::with_capacity(keys.len());
        let mut missing = Vec::new();
        for key in keys {
            let ds = OrderedParquetDataset::open_with(self.dataset_dir(key)?, self.options())?;
            if ds.version().is_none() {
                missing.push(key_name(key));
            }
            datasets.push(ds);
        }
        if !missing.is_empty() {
            return Err(Error::KeysNotFound {
                root: self.root().to_path_buf(),
                keys: missing,
            });
        }
        Ok(datasets)
    }
}

/// The ordered column's name and type, the same for every dataset, or an
/// error naming the first one and one that differs.
fn same_ordered_column<K: TopLevel>(
    keys: &[K],
    datasets: &[OrderedParquetDataset],
) -> Result<(String, DataType)> {
    let (column, dt) = ordered_column(&datasets[0]);
    for (key, ds) in keys.iter().zip(datasets).skip(1) {
        let (c, t) = ordered_column(ds);
        if c != column || t != dt {
            return Err(Error::OrderedColumnMismatch {
                first_key: key_name(&keys[0]),
                first: format!("`{column}` ({dt})"),
                key: key_name(key),
                other: format!("`{c}` ({t})"),
            });
        }
    }
    Ok((column, dt))
}

/// The ordered column's name and type of a dataset with a version.
fn ordered_column(ds: &OrderedParquetDataset) -> (String, DataType) {
    let column = ds.ordered_on().expect("a dataset with a version");
    let schema = ds.schema().expect("a dataset with a version");
    let dt = schema
        .field_with_name(&column)
        .expect("the ordered column is in the schema")
        .data_type()
        .clone();
    (column, dt)
}

/// A key in its `Display` form (through the trait, which every key
/// implements).
fn key_name<K: TopLevel>(key: &K) -> String {
    struct Shown<'a, K>(&'a K);
    impl<K: TopLevel> fmt::Display for Shown<'_, K> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.fmt_fields(K::SEP, f)
        }
    }
    Shown(key).to_string()
}

impl<K> Intersections<K> {
    /// The iterator over `cursors`, windows ending at `end_excl` at last,
    /// decoding up to `prefetch` row groups ahead.
    fn new(
        cursors: Vec<Cursor<K>>,
        end_excl: Option<OrderedValue>,
        prefetch: usize,
        ordered_type: DataType,
    ) -> Self {
        // Each row group loads in the window starting at its clipped start:
        // sorting the starts gives both the bounds and the load order
        // (cursors in key order within one window, as `step` loads them).
        let mut loads: Vec<(OrderedValue, usize)> = cursors
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.groups().map(move |j| (c.clip_start(j).clone(), i)))
            .collect();
        loads.sort_by(|a, b| cmp_values(&a.0, &b.0).then(a.1.cmp(&b.1)));
        let schedule = loads.iter().map(|l| l.1).collect();
        let mut bounds: Vec<OrderedValue> = loads.into_iter().map(|l| l.0).collect();
        bounds.dedup_by(|a, b| cmp_values(a, b).is_eq());
        Self {
            cursors,
            bounds: bounds.into_iter().peekable(),
            end_excl,
            ordered_type,
            schedule,
            issued: 0,
            consumed: 0,
            prefetch,
            done: false,
        }
    }

    /// Starts the loads of `schedule` up to `upto` in the background.
    fn issue(&mut self, upto: usize) {
        let upto = upto.min(self.schedule.len());
        while self.issued < upto {
            self.cursors[self.schedule[self.issued]].spawn_ahead();
            self.issued += 1;
        }
    }

    /// Installs the next row group of each of the `wanted` cursors: those
    /// decoded ahead are waited for, the others decoded now, in parallel.
    fn load(&mut self, wanted: &[usize]) -> Result<()> {
        for (k, &i) in wanted.iter().enumerate() {
            debug_assert_eq!(
                self.schedule[self.consumed + k],
                i,
                "loads follow the schedule"
            );
            // The used-up row group goes before the next one decodes.
            self.cursors[i].release();
        }
        // A rayon worker must not wait for pool work it queued itself.
        if self.prefetch > 0 && rayon::current_thread_index().is_none() {
            self.issue(self.consumed + wanted.len() + self.prefetch);
        }
        let mut now = Vec::new();
        for &i in wanted {
            match self.cursors[i].take_ahead() {
                Some(batch) => self.cursors[i].install(batch?),
                None => now.push(i),
            }
        }
        let jobs: Vec<_> = now.iter().map(|&i| self.cursors[i].next_job()).collect();
        let read = |(ds, lo, hi, keep): cursor::Job<'_>| read_part(ds, lo, hi, keep);
        let batches: Vec<Result<cursor::Part>> = if jobs.len() > 1 {
            jobs.into_par_iter().map(read).collect()
        } else {
            jobs.into_iter().map(read).collect()
        };
        for (i, batch) in now.into_iter().zip(batches) {
            self.cursors[i].install(batch?);
        }
        self.consumed += wanted.len();
        self.issued = self.issued.max(self.consumed);
        Ok(())
    }
}

impl<K: Clone> Intersections<K> {
    /// Reads the rows before the start of every key still to yield its
    /// first chunk, in parallel (on the first step: each is a decode of the
    /// end of a row group).
    fn read_prev(&mut self) -> Result<()> {
        let jobs: Vec<_> = (self.cursors.iter().enumerate())
            .filter_map(|(i, c)| Some((i, c.prev_job()?)))
            .collect();
        if jobs.is_empty() {
            return Ok(());
        }
        let read: Vec<(usize, Result<Vec<RecordBatch>>)> = jobs
            .into_par_iter()
            .map(|(i, job)| (i, cursor::prev_rows(job)))
            .collect();
        for (i, parts) in read {
            self.cursors[i].set_prev(parts?);
        }
        Ok(())
    }

    /// The next window's step, or `None` when its window holds no row.
    fn step(&mut self, start: OrderedValue) -> Result<Option<Step<K>>> {
        let end = self.bounds.peek().or(self.end_excl.as_ref()).cloned();
        let wanted: Vec<usize> = (0..self.cursors.len())
            .filter(|&i| self.cursors[i].needs_load(end.as_ref()))
            .collect();
        self.load(&wanted)?;
        self.read_prev()?;
        let mut chunks = Vec::new();
        for c in &mut self.cursors {
            if let Some(chunk) = c.take(end.as_ref()) {
                chunks.push((c.key.clone(), c.with_prev(chunk)?));
            }
        }
        Ok((!chunks.is_empty()).then(|| Step {
            start: typed(&start, &self.ordered_type),
            end_excl: end.map(|e| typed(&e, &self.ordered_type)),
            chunks,
            ordered_type: self.ordered_type.clone(),
        }))
    }

    /// The version each key is read at (pinned when the iterator was
    /// created), in the order the keys were given.
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
    /// let steps = store.iter_intersections(&[b.clone(), a.clone()], IntersectOptions::new())?;
    /// let versions: Vec<(&Key, u64)> = steps.versions().collect();
    /// assert_eq!(versions, vec![(&b, 1), (&a, 1)]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn versions(&self) -> impl Iterator<Item = (&K, u64)> {
        self.cursors
            .iter()
            .map(|c| (&c.key, c.ds.version().expect("a dataset with a version")))
    }
}

impl<K: Clone> Iterator for Intersections<K> {
    type Item = Result<Step<K>>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let Some(start) = self.bounds.next() else {
                self.done = true;
                break;
            };
            match self.step(start) {
                Ok(Some(step)) => return Some(Ok(step)),
                Ok(None) => {}
                Err(e) => {
                    self.done = true;
                    self.cursors.clear();
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

impl<K: Clone> std::iter::FusedIterator for Intersections<K> {}

impl<K: fmt::Debug> fmt::Debug for Intersections<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Intersections")
            .field(
                "keys",
                &self.cursors.iter().map(|c| &c.key).collect::<Vec<_>>(),
            )
            .field("windows_left", &self.bounds.len())
            .field("end_excl", &self.end_excl)
            .finish()
    }
}
