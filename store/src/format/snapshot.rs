//! One version's state, decoded: schema, metadata and row groups, and how
//! a commit record turns the state of version `v - 1` into that of `v`.
//! Pure: no I/O (the dataset module finds and reads the files).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use arrow::datatypes::{DataType, SchemaRef};

use super::manifest::{self, Manifest, RowGroupEntry};
use super::record::Record;
use crate::value::OrderedValue;
use crate::value::stored::{cmp_values, typed};

/// Statistics of one row group, as recorded in the manifest, with the
/// ordered column's extremes in its type (see [`OrderedValue`]).
///
/// ```
/// # use std::sync::Arc;
/// # use ordo_store::arrow::array::{RecordBatch, TimestampSecondArray};
/// # use ordo_store::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
/// use ordo_store::{OrderedParquetDataset, WriteOptions};
/// let dir = tempfile::tempdir()?;
/// let ts = DataType::Timestamp(TimeUnit::Second, Some("Europe/Berlin".into()));
/// let schema = Arc::new(Schema::new(vec![Field::new("ts", ts, false)]));
/// let times = TimestampSecondArray::from(vec![1_704_067_200, 1_704_070_800])
///     .with_timezone("Europe/Berlin");
/// let batch = RecordBatch::try_new(schema, vec![Arc::new(times)])?;
/// let ds = OrderedParquetDataset::open(dir.path())?;
/// ds.write(&batch, &WriteOptions::new("ts"))?;
/// let stats = &ds.row_group_stats()[0];
/// assert_eq!(stats.min.to_string(), "2024-01-01T01:00:00+01:00");
/// assert!(stats.crc32c.is_some());
/// assert_eq!(stats.to_string(), format!("{}: 2 rows, 2024-01-01T01:00:00+01:00 .. 2024-01-01T02:00:00+01:00", stats.file));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RowGroupStats {
    /// The Parquet file holding the row group, relative to the dataset.
    pub file: String,
    /// Number of rows.
    pub num_rows: u64,
    /// Smallest ordered value.
    pub min: OrderedValue,
    /// Largest ordered value.
    pub max: OrderedValue,
    /// File size in bytes.
    pub size_bytes: u64,
    /// CRC-32C of the whole file; `None` for files of ordo versions that
    /// did not record it.
    pub crc32c: Option<u32>,
}

impl std::fmt::Display for RowGroupStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} rows, {} .. {}",
            self.file, self.num_rows, self.min, self.max
        )
    }
}

impl RowGroupStats {
    /// These statistics with the extremes in the type `dt` of the ordered
    /// column instead of their stored form.
    pub(crate) fn typed(&self, dt: &DataType) -> Self {
        Self {
            min: typed(&self.min, dt),
            max: typed(&self.max, dt),
            ..self.clone()
        }
    }

    /// Decodes an entry of a manifest or record for a column of type `dt`.
    pub(crate) fn from_entry(rg: &RowGroupEntry, dt: &DataType) -> Result<Self, String> {
        let stat = |v: &serde_json::Value| {
            manifest::stat_from_json(v, dt).ok_or_else(|| {
                format!(
                    "row group {} has a statistic {v} that is not a {dt} value",
                    rg.file
                )
            })
        };
        Ok(Self {
            file: rg.file.clone(),
            num_rows: rg.num_rows,
            min: stat(&rg.min)?,
            max: stat(&rg.max)?,
            size_bytes: rg.size,
            crc32c: rg.crc32c,
        })
    }
}

/// Where a state was rebuilt from: decides when the next checkpoint is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StateBase {
    /// The record of this version started the dataset.
    Start(u64),
    /// The checkpoint of this version.
    Checkpoint(u64),
    /// The format-1 manifest of this version (a dataset not yet upgraded).
    Format1(u64),
}

/// One committed version, decoded.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    pub version: u64,
    /// The commit id of the record of `version` (`None` for a format-1
    /// manifest): tells this version from another of the same number
    /// after the dataset was removed and written again.
    pub commit_id: Option<String>,
    pub created_at_ms: i64,
    pub ordered_on: String,
    pub schema: SchemaRef,
    /// The schema as stored (base64 Arrow IPC), copied into checkpoints.
    pub schema_text: Arc<str>,
    pub key_value_metadata: BTreeMap<String, String>,
    /// The row groups in order, extremes as stored.
    pub stats: Vec<RowGroupStats>,
    pub base: StateBase,
}

impl Snapshot {
    pub(crate) fn ordered_index(&self) -> usize {
        self.schema
            .index_of(&self.ordered_on)
            .expect("checked on decode")
    }

    pub(crate) fn ordered_type(&self) -> &DataType {
        self.schema.field(self.ordered_index()).data_type()
    }

    /// The state a format-1 manifest (not a tombstone) describes.
    pub(crate) fn from_manifest(m: Manifest) -> Self {
        let schema = m.schema();
        let dt = schema
            .field_with_name(&m.ordered_on)
            .expect("checked on decode")
            .data_type()
            .clone();
        let stats = m
            .row_groups
            .iter()
            .map(|rg| RowGroupStats::from_entry(rg, &dt).expect("checked on decode"))
            .collect();
        Self {
            version: m.version,
            commit_id: None,
            created_at_ms: m.created_at_ms,
            ordered_on: m.ordered_on,
            schema,
            schema_text: m.schema.into(),
            key_value_metadata: m.key_value_metadata,
            stats,
            base: StateBase::Format1(m.version),
        }
    }

    /// Checks the invariants of the row groups: non-empty, `min <= max`,
    /// strictly increasing (`max[i] < min[i + 1]`), data file names.
    pub(crate) fn check(&self) -> Result<(), String> {
        check_run(&self.stats)
    }
}

fn check_run(stats: &[RowGroupStats]) -> Result<(), String> {
    for (i, rg) in stats.iter().enumerate() {
        if !manifest::is_data_file_name(&rg.file) {
            return Err(format!(
                "row group {i} has an invalid file name {:?}",
                rg.file
            ));
        }
        if rg.num_rows == 0 {
            return Err(format!("row group {i} ({}) has no rows", rg.file));
        }
        if cmp_values(&rg.min, &rg.max).is_gt() {
            return Err(format!(
                "row group {} has min {} > max {}",
                rg.file, rg.min, rg.max
            ));
        }
        if i > 0 && cmp_values(&stats[i - 1].max, &rg.min).is_ge() {
            return Err(format!(
                "row group {} starts at {}, not after the previous max {}",
                rg.file,
                rg.min,
                stats[i - 1].max
            ));
        }
    }
    Ok(())
}

/// Applies `record` (version `v`) to `state`, the state of version
/// `v - 1` (`None`: nothing, or removed), in place when no one else holds
/// the state. An error says why the record does not fit the state.
pub(crate) fn apply(state: &mut Option<Arc<Snapshot>>, record: &Record) -> Result<(), String> {
    if record.removed {
        *state = None;
        return Ok(());
    }
    if let Some(text) = &record.schema {
        if let Some(s) = state {
            return Err(format!(
                "it starts the dataset, but version {} holds {} row groups",
                s.version,
                s.stats.len()
            ));
        }
        let schema = manifest::check_schema(text, &record.ordered_on)?;
        *state = Some(Arc::new(Snapshot {
            version: record.version,
            commit_id: None,
            created_at_ms: record.created_at_ms,
            ordered_on: record.ordered_on.clone(),
            schema,
            schema_text: text.as_str().into(),
            key_value_metadata: BTreeMap::new(),
            stats: Vec::new(),
            base: StateBase::Start(record.version),
        }));
    }
    let Some(arc) = state else {
        return Err("it changes a dataset that has no version before it".into());
    };
    if arc.ordered_on != record.ordered_on {
        return Err(format!(
            "it is ordered on {:?}, the dataset on {:?}",
            record.ordered_on, arc.ordered_on
        ));
    }
    let s = Arc::make_mut(arc);
    s.version = record.version;
    s.commit_id = Some(record.commit_id.clone());
    s.created_at_ms = record.created_at_ms;
    for k in &record.metadata_unset {
        s.key_value_metadata.remove(k);
    }
    for (k, v) in &record.metadata_set {
        s.key_value_metadata.insert(k.clone(), v.clone());
    }
    let dt = s.ordered_type().clone();
    let adds = record
        .add
        .iter()
        .map(|e| RowGroupStats::from_entry(e, &dt))
        .collect::<Result<Vec<_>, _>>()?;
    check_run(&adds)?;
    let removed = positions(&s.stats, &record.remove)?;
    splice(&mut s.stats, &removed, adds)
}

/// The positions of `names` in `stats`, ascending. Rewrites are mostly at
/// the end (coalescing the newest groups), so the search starts there.
fn positions(stats: &[RowGroupStats], names: &[String]) -> Result<Vec<usize>, String> {
    let mut wanted: HashSet<&str> = names.iter().map(String::as_str).collect();
    if wanted.len() != names.len() {
        return Err("it removes a file twice".into());
    }
    let mut found = Vec::with_capacity(names.len());
    for (i, rg) in stats.iter().enumerate().rev() {
        if wanted.is_empty() {
            break;
        }
        if wanted.remove(rg.file.as_str()) {
            found.push(i);
        }
    }
    if let Some(missing) = wanted.into_iter().next() {
        return Err(format!(
            "it removes {missing:?}, which the previous version does not hold"
        ));
    }
    found.reverse();
    Ok(found)
}

/// Removes the groups at `removed` (ascending) and inserts `adds` (sorted)
/// where they belong, then checks the order where it changed.
fn splice(
    stats: &mut Vec<RowGroupStats>,
    removed: &[usize],
    adds: Vec<RowGroupStats>,
) -> Result<(), String> {
    let contiguous = removed.windows(2).all(|w| w[1] == w[0] + 1);
    if !contiguous {
        let doomed: HashSet<usize> = removed.iter().copied().collect();
        let mut i = 0;
        stats.retain(|_| {
            i += 1;
            !doomed.contains(&(i - 1))
        });
    }
    let hole = match (contiguous, removed.first(), removed.last()) {
        (true, Some(&a), Some(&b)) => a..b + 1,
        _ => {
            let at = adds.first().map_or(0, |first| {
                stats.partition_point(|g| cmp_values(&g.max, &first.min).is_lt())
            });
            at..at
        }
    };
    let n = adds.len();
    let start = hole.start;
    stats.splice(hole, adds);
    // Only the seams changed: the new groups and their neighbours.
    let around = start.saturating_sub(1)..(start + n + 1).min(stats.len());
    if check_run(&stats[around]).is_ok() {
        return Ok(());
    }
    // The new groups do not sit in one place: they interleave with kept
    // ones. Valid only if the whole run sorts without overlaps.
    stats.sort_by(|a, b| cmp_values(&a.min, &b.min));
    check_run(stats).map_err(|e| format!("after it, {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::manifest::FORMAT_NAME;
    use crate::format::record::{Operation, RECORD_FORMAT_VERSION};
    use arrow::datatypes::{Field, Schema};

    fn entry(file: &str, min: i64, max: i64) -> RowGroupEntry {
        RowGroupEntry {
            file: format!("{file}.parquet"),
            num_rows: 1,
            min: min.into(),
            max: max.into(),
            size: 1,
            crc32c: None,
        }
    }

    fn record(version: u64, add: Vec<RowGroupEntry>, remove: &[&str]) -> Record {
        let schema = Schema::new(vec![Field::new("ts", DataType::Int64, false)]);
        Record {
            format: FORMAT_NAME.into(),
            format_version: RECORD_FORMAT_VERSION,
            version,
            commit_id: "0".repeat(32),
            created_at_ms: 0,
            operation: Operation::Write,
            ordered_on: "ts".into(),
            schema: (version == 1).then(|| manifest::encode_schema(&schema)),
            add,
            remove: remove.iter().map(|f| format!("{f}.parquet")).collect(),
            metadata_set: BTreeMap::new(),
            metadata_unset: Vec::new(),
            removed: false,
        }
    }

    fn files(state: &Option<Arc<Snapshot>>) -> Vec<String> {
        let s = state.as_ref().unwrap();
        s.stats
            .iter()
            .map(|g| g.file.trim_end_matches(".parquet").to_owned())
            .collect()
    }

    #[test]
    fn records_splice_where_they_belong() {
        let mut st = None;
        apply(
            &mut st,
            &record(1, vec![entry("a", 0, 9), entry("b", 10, 19)], &[]),
        )
        .unwrap();
        apply(&mut st, &record(2, vec![entry("d", 30, 39)], &[])).unwrap();
        apply(&mut st, &record(3, vec![entry("c", 20, 29)], &[])).unwrap(); // in the middle
        assert_eq!(files(&st), ["a", "b", "c", "d"]);
        apply(&mut st, &record(4, vec![entry("bc", 10, 29)], &["b", "c"])).unwrap();
        assert_eq!(files(&st), ["a", "bc", "d"]);
        // Non-contiguous removal with two separate additions.
        apply(
            &mut st,
            &record(5, vec![entry("a2", 0, 8), entry("d2", 31, 39)], &["a", "d"]),
        )
        .unwrap();
        assert_eq!(files(&st), ["a2", "bc", "d2"]);
        apply(&mut st, &record(6, vec![], &["bc"])).unwrap();
        assert_eq!(files(&st), ["a2", "d2"]);
        assert_eq!(st.as_ref().unwrap().version, 6);
        st.as_ref().unwrap().check().unwrap();
    }

    #[test]
    fn records_that_do_not_fit_are_errors() {
        let mut st = None;
        let err = apply(&mut st, &record(2, vec![entry("x", 0, 1)], &[])).unwrap_err();
        assert!(err.contains("no version before it"), "{err}");
        apply(&mut st, &record(1, vec![entry("a", 0, 9)], &[])).unwrap();
        let before = st.clone();
        let err = apply(&mut st.clone(), &record(2, vec![entry("x", 5, 12)], &[])).unwrap_err();
        assert!(err.contains("not after the previous max"), "{err}");
        let err = apply(&mut st.clone(), &record(2, vec![], &["zz"])).unwrap_err();
        assert!(err.contains("\"zz.parquet\""), "{err}");
        let err = apply(&mut st.clone(), &record(1, vec![], &[])).unwrap_err();
        assert!(err.contains("starts the dataset"), "{err}");
        let mut wrong = record(2, vec![], &[]);
        wrong.ordered_on = "other".into();
        assert!(apply(&mut st, &wrong).unwrap_err().contains("ordered on"));
        assert_eq!(files(&st), files(&before));
    }

    #[test]
    fn a_shared_state_is_copied_not_changed() {
        let mut st = None;
        apply(&mut st, &record(1, vec![entry("a", 0, 9)], &[])).unwrap();
        let held = st.clone().unwrap();
        apply(&mut st, &record(2, vec![entry("b", 10, 19)], &[])).unwrap();
        assert_eq!(held.stats.len(), 1);
        assert_eq!(files(&st), ["a", "b"]);
    }
}
