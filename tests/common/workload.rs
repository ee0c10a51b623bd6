//! Deterministic workloads for the kill and multi-process tests.
//!
//! Operation `i` (from 1) of a workload depends on `i` alone, so the state
//! after any number of operations is rebuilt by replaying a simple model:
//! a process that was killed, or that reads concurrently, can be checked
//! against "the state after exactly k operations".

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ordo::arrow::array::{AsArray, Int64Array, RecordBatch};
use ordo::arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use ordo::fields::{ElementType, FieldArray, FieldSpec};
use ordo::ndarray::{Array as NdArray, ArrayD, IxDyn};
use ordo::{
    CompactOptions, DuplicatesOn, Error, OpenOptions, OrderedParquetDataset, Retention,
    RowGroupTarget, WriteOptions,
};

/// A well-mixed number from `i` (splitmix64).
pub fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A small random generator for test schedules.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(1);
        mix(self.0)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

pub fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("ts", DataType::Int64, false),
        Field::new("commit", DataType::Int64, false),
        Field::new("j", DataType::Int64, false),
    ]))
}

/// The ordered values commit `i` writes: mostly an append, every fourth an
/// overlapping write back into the last few commits' range. `offset` and
/// `stride` let two writers share a dataset without sharing values.
pub fn commit_ts(i: u64, offset: i64, stride: i64) -> Vec<i64> {
    let n = 1 + (mix(i) % 24) as i64;
    let start = if i.is_multiple_of(4) {
        (i as i64 - 3) * 10 - 5
    } else {
        i as i64 * 10
    };
    (start..start + n).map(|t| t * stride + offset).collect()
}

/// The rows of commit `i`: payload `commit = i` and `j` = position.
pub fn commit_batch(i: u64, offset: i64, stride: i64) -> RecordBatch {
    let ts = commit_ts(i, offset, stride);
    let n = ts.len() as i64;
    RecordBatch::try_new(
        schema(),
        vec![
            Arc::new(Int64Array::from(ts)),
            Arc::new(Int64Array::from(vec![i as i64; n as usize])),
            Arc::new(Int64Array::from_iter_values(0..n)),
        ],
    )
    .unwrap()
}

/// Metadata changes of commit `i`: `commit` always, `parity` set or unset.
pub fn commit_metadata(i: u64) -> Vec<(String, Option<String>)> {
    vec![
        ("commit".into(), Some(i.to_string())),
        (
            "parity".into(),
            (!i.is_multiple_of(3)).then(|| (i % 2).to_string()),
        ),
    ]
}

/// The retention of the kill test: the last 3 versions, whatever their
/// age, so that garbage collection deletes something at every run.
pub fn short_retention() -> Retention {
    Retention::default()
        .keep_versions(3)
        .keep_younger_than(Duration::ZERO)
}

/// The options of a handle of the workload: the collection after its
/// commits keeps what `retention` says.
pub fn open_options(retention: Retention) -> OpenOptions {
    OpenOptions::new().retention(retention)
}

/// The options of every commit: dedup on `ts` (last wins) or none, small
/// row groups so that merges and coalescing happen.
pub fn write_options(dedup: bool) -> WriteOptions {
    WriteOptions::new("ts")
        .duplicates_on(if dedup {
            DuplicatesOn::Columns(vec!["ts".into()])
        } else {
            DuplicatesOn::None
        })
        .row_group_target_size(RowGroupTarget::Rows(40))
}

/// The state of a dataset after `k` commits of the workload.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DatasetModel {
    pub k: u64,
    /// ts -> (commit, j)
    pub rows: BTreeMap<i64, (i64, i64)>,
    pub meta: BTreeMap<String, String>,
}

impl DatasetModel {
    pub fn apply(&mut self, i: u64) {
        assert_eq!(i, self.k + 1);
        for (j, t) in commit_ts(i, 0, 1).into_iter().enumerate() {
            self.rows.insert(t, (i as i64, j as i64));
        }
        for (key, value) in commit_metadata(i) {
            match value {
                Some(v) => self.meta.insert(key, v),
                None => self.meta.remove(&key),
            };
        }
        self.k = i;
    }

    pub fn advance_to(&mut self, k: u64) {
        while self.k < k {
            self.apply(self.k + 1);
        }
    }

    pub fn at(k: u64) -> Self {
        let mut m = Self::default();
        m.advance_to(k);
        m
    }

    /// Whether `batch` (the dataset's rows in order) is exactly this state.
    pub fn matches(&self, batch: &RecordBatch) -> Result<(), String> {
        let got = rows_of(batch);
        let want: Vec<(i64, i64, i64)> = self.rows.iter().map(|(&t, &(c, j))| (t, c, j)).collect();
        if got == want {
            Ok(())
        } else {
            Err(format!(
                "after {} commits: {} rows expected, {} read; first difference at {:?}",
                self.k,
                want.len(),
                got.len(),
                got.iter().zip(&want).position(|(a, b)| a != b)
            ))
        }
    }
}

/// `(ts, commit, j)` of every row.
pub fn rows_of(batch: &RecordBatch) -> Vec<(i64, i64, i64)> {
    let col = |name: &str| {
        batch
            .column_by_name(name)
            .unwrap_or_else(|| panic!("column {name}"))
            .as_primitive::<Int64Type>()
            .clone()
    };
    let (ts, c, j) = (col("ts"), col("commit"), col("j"));
    (0..batch.num_rows())
        .map(|r| (ts.value(r), c.value(r), j.value(r)))
        .collect()
}

/// The number of commits a dataset of the workload has seen: its
/// `commit` metadata (0 when it has no version yet).
pub fn commits_of(ds: &OrderedParquetDataset) -> u64 {
    ds.key_value_metadata()
        .get("commit")
        .map_or(0, |v| v.parse().expect("a commit number"))
}

/// The largest `commit` value among rows: with last-wins dedup the latest
/// commit's rows always survive, so this is the number of commits of the
/// version the rows were read from.
pub fn max_commit(batch: &RecordBatch) -> u64 {
    let c = batch
        .column_by_name("commit")
        .unwrap()
        .as_primitive::<Int64Type>();
    ordo::arrow::compute::max(c).map_or(0, |m| m as u64)
}

/// Operation `i` on a dataset (opened with [`open_options`] of
/// `retention`): commit `i`; every 10th also runs a GC and every 25th a
/// compaction (neither changes the contents).
pub fn dataset_op(ds: &OrderedParquetDataset, i: u64, retention: &Retention) -> Result<(), Error> {
    let options = write_options(true).key_value_metadata(commit_metadata(i));
    ds.write(&commit_batch(i, 0, 1), &options)?;
    if i.is_multiple_of(10) {
        ds.gc(retention)?;
    }
    if i.is_multiple_of(25) {
        ds.compact(&CompactOptions::new().row_group_target_size(RowGroupTarget::Rows(40)))?;
    }
    Ok(())
}

/// The spec of the field workload: 4 x 4 frames, either one chunk per
/// frame (the default layout, whose appends write whole new chunks) or
/// 2 x 2 chunks and time chunks of 2 frames, so that appends and
/// truncations rewrite straddling chunks.
pub fn field_spec(one_chunk_per_frame: bool) -> FieldSpec {
    let spec = FieldSpec::new(ElementType::F32, [4, 4]);
    if one_chunk_per_frame {
        spec
    } else {
        spec.chunk_shape([2, 2]).time_chunk(2)
    }
}

/// Frame contents: every pixel of a frame written by operation `op` as its
/// `n`th frame carries `op * 100 + n` (plus the pixel index).
pub fn frame_value(op: u64, n: u64, pixel: usize) -> f32 {
    (op * 100 + n) as f32 + pixel as f32 / 100.0
}

/// What operation `i` does to a field of length `len`: truncate by one or
/// two frames (every fifth operation, when there are enough) or append one
/// to three frames. Every operation changes the state.
pub enum FieldOp {
    Truncate(u64),
    Append(u64),
}

pub fn field_op_kind(i: u64, len: u64) -> FieldOp {
    if i.is_multiple_of(5) && len >= 3 {
        FieldOp::Truncate(len - 1 - mix(i) % 2)
    } else {
        FieldOp::Append(1 + mix(i) % 3)
    }
}

/// The state of a field after `k` operations: `(time, op, n)` per frame.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FieldModel {
    pub k: u64,
    pub frames: Vec<(i64, u64, u64)>,
}

impl FieldModel {
    pub fn apply(&mut self, i: u64) {
        assert_eq!(i, self.k + 1);
        match field_op_kind(i, self.frames.len() as u64) {
            FieldOp::Truncate(n) => self.frames.truncate(n as usize),
            FieldOp::Append(m) => {
                let next = self.frames.last().map_or(0, |f| f.0 + 1);
                for n in 0..m {
                    self.frames.push((next + n as i64 * 3, i, n));
                }
            }
        }
        self.k = i;
    }

    pub fn at(k: u64) -> Self {
        let mut m = Self::default();
        while m.k < k {
            m.apply(m.k + 1);
        }
        m
    }

    /// Whether the field holds exactly this state.
    pub fn matches(&self, field: &FieldArray) -> Result<(), String> {
        let len = field.len().map_err(|e| e.to_string())?;
        let times = field.times().map_err(|e| e.to_string())?;
        let want_times: Vec<i64> = self.frames.iter().map(|f| f.0).collect();
        if len != self.frames.len() as u64 || times != want_times {
            return Err(format!(
                "after {} ops: {} frames at {want_times:?} expected, {len} at {times:?}",
                self.k,
                self.frames.len()
            ));
        }
        if len > 0 {
            let all: ArrayD<f32> = field.frames(0..len).map_err(|e| e.to_string())?;
            for (f, &(_, op, n)) in self.frames.iter().enumerate() {
                let frame = all.index_axis(ordo::ndarray::Axis(0), f);
                for (pixel, &v) in frame.iter().enumerate() {
                    if v != frame_value(op, n, pixel) {
                        return Err(format!(
                            "after {} ops: frame {f} pixel {pixel} is {v}, expected {}",
                            self.k,
                            frame_value(op, n, pixel)
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// Operation `i` on a field whose state is `before` (after `i - 1` ops).
pub fn field_op(field: &FieldArray, before: &FieldModel, i: u64) -> Result<(), Error> {
    match field_op_kind(i, before.frames.len() as u64) {
        FieldOp::Truncate(n) => field.truncate(n),
        FieldOp::Append(m) => {
            let next = before.frames.last().map_or(0, |f| f.0 + 1);
            let times: Vec<i64> = (0..m).map(|n| next + n as i64 * 3).collect();
            let frames = NdArray::from_shape_fn(IxDyn(&[m as usize, 4, 4]), |ix| {
                frame_value(i, ix[0] as u64, ix[1] * 4 + ix[2])
            });
            field.append(&times, frames.view())
        }
    }
}

/// Opens the field of the workload, creating it on first use.
pub fn open_or_create_field(dir: &Path, one_chunk_per_frame: bool) -> Result<FieldArray, Error> {
    match FieldArray::open(dir, "frames") {
        Ok(f) => Ok(f),
        Err(Error::FieldNotFound { .. }) => {
            FieldArray::create(dir, "frames", &field_spec(one_chunk_per_frame))
        }
        Err(e) => Err(e),
    }
}

/// The values of a column as i64 (for quick checks).
pub fn column_i64(batch: &RecordBatch, name: &str) -> Vec<i64> {
    let a = batch.column_by_name(name).unwrap();
    let a = a.as_primitive::<Int64Type>();
    (0..a.len()).map(|i| a.value(i)).collect()
}
