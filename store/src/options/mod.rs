//! Options of handles, writes and maintenance, as builders with sensible
//! defaults.

pub(crate) mod open;
pub(crate) mod period;

use std::time::Duration;

use parquet::basic::{Compression, ZstdLevel};

use crate::error::{Error, Result};
use crate::options::period::Period;

/// The default row-group target: small enough that a merge in the middle
/// of a dataset rewrites little, large enough for fast scans.
pub const DEFAULT_ROW_GROUP_ROWS: usize = 100_000;

/// How large row groups should be: a row count, or a period of a
/// timestamp or date ordered column (see [`Period`]).
///
/// ```
/// use ordo_store::{Period, RowGroupTarget};
/// assert_eq!("250000".parse::<RowGroupTarget>()?, RowGroupTarget::Rows(250_000));
/// assert_eq!("1D".parse::<RowGroupTarget>()?, RowGroupTarget::Period("1D".parse::<Period>()?));
/// assert!("0".parse::<RowGroupTarget>().is_err());
/// assert!("1 fortnight".parse::<RowGroupTarget>().is_err());
/// # Ok::<(), ordo_store::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowGroupTarget {
    /// A row count. Merged rows are cut into groups of this many rows; a
    /// remainder under 20% of it joins the previous group, and a group
    /// grows past the target when one ordered value repeats (equal values
    /// never straddle row groups).
    Rows(usize),
    /// A period: a row group never spans two periods, and coalescing aims
    /// at one row group per period.
    Period(Period),
}

/// When small (off-target) row groups are merged. A group is off target
/// when it holds less than 80% of a row-count target, or shares its period
/// with a neighbour under a period target.
///
/// ```
/// use ordo_store::{Coalesce, WriteOptions};
/// let never = WriteOptions::new("ts").coalesce(Coalesce::Never);
/// let oups_like = WriteOptions::new("ts").max_n_off_target_rgs(2);
/// assert_eq!(Coalesce::default(), Coalesce::Auto);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Coalesce {
    /// Size-tiered merging of the off-target groups next to each write:
    /// bytes rewritten stay within a small factor (about
    /// `log_8(target / batch)`) of bytes appended, and few small groups
    /// remain.
    #[default]
    Auto,
    /// Never merge: each small write stays its own row group.
    Never,
    /// oups' rule: the run of off-target groups next to a write is merged
    /// when it holds more than this many groups or reaches the target.
    MaxOffTarget(usize),
}

impl Default for RowGroupTarget {
    fn default() -> Self {
        Self::Rows(DEFAULT_ROW_GROUP_ROWS)
    }
}

impl std::str::FromStr for RowGroupTarget {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let target = match s.trim().parse::<usize>() {
            Ok(rows) => Self::Rows(rows),
            Err(_) => Self::Period(s.parse()?),
        };
        target.check()?;
        Ok(target)
    }
}

impl RowGroupTarget {
    pub(crate) fn check(&self) -> Result<()> {
        match self {
            Self::Rows(0) => Err(Error::InvalidOption {
                option: "row_group_target_size",
                reason: "a row-count target must be at least 1".into(),
            }),
            Self::Rows(_) | Self::Period(_) => Ok(()),
        }
    }
}

/// Which rows count as duplicates of each other. Among duplicates the last
/// wins: new data beats existing data, and later rows beat earlier rows.
///
/// ```
/// use ordo_store::DuplicatesOn;
/// let d = DuplicatesOn::Columns(vec!["station".into()]);
/// assert_ne!(d, DuplicatesOn::None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DuplicatesOn {
    /// Keep every row.
    #[default]
    None,
    /// Rows equal in every column are duplicates.
    All,
    /// Rows equal in these columns (and the ordered column, always added)
    /// are duplicates.
    Columns(Vec<String>),
}

/// How long old versions and their files are kept: a version is collected
/// only when it is neither among the last `keep_versions` nor replaced less
/// than `keep_younger_than` ago (its age counts from the creation of the
/// next version; the latest version is never collected).
///
/// The default keeps the last 5 versions and every version replaced less
/// than 60 s ago. A reader that opened the latest version can so read it
/// for at least 60 s, however fast writers commit, and for as long as
/// fewer than 5 newer versions exist; an ingestion loop keeps at most
/// 5 versions plus those of its last minute. Readers pinned to a version
/// kept by this rule never lose a file.
///
/// On storage without an exclusive lock (object stores), writers run
/// while collections do: another writer's new files exist before its
/// commit record does, and it may be about to commit on a version found a
/// while ago. So the collection there also spares unreferenced files
/// modified, and versions replaced, less than the `grace_period` ago
/// (default 1 hour, whatever `keep_younger_than` says), and a writer gives
/// up before publishing a commit whose base it found more than half a
/// grace period ago ([`Error::GracePeriodExceeded`](crate::Error::GracePeriodExceeded)).
/// Processes sharing a bucket should use the same grace period. On local
/// storage the writer lock proves that no writer is running while the
/// collection does, and the grace period is not used.
///
/// ```
/// use std::time::Duration;
/// use ordo_store::Retention;
/// assert_eq!(Retention::default().versions(), 5);
/// assert_eq!(Retention::default().younger_than(), Duration::from_secs(60));
/// assert_eq!(Retention::default().grace(), Duration::from_secs(3600));
/// let r = Retention::default().keep_versions(3).keep_younger_than(Duration::ZERO);
/// assert_eq!(r.versions(), 3);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    versions: usize,
    younger_than: Duration,
    grace: Duration,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            versions: 5,
            younger_than: Duration::from_secs(60),
            grace: Duration::from_secs(3600),
        }
    }
}

impl Retention {
    /// Keeps the last `n` versions (at least 1: the current one).
    pub fn keep_versions(mut self, n: usize) -> Self {
        self.versions = n.max(1);
        self
    }

    /// Keeps every version replaced less than `age` ago.
    pub fn keep_younger_than(mut self, age: Duration) -> Self {
        self.younger_than = age;
        self
    }

    /// Spares unreferenced files younger than `grace` on storage without an
    /// exclusive lock (see the type's docs).
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The grace period of unreferenced files on shared storage.
    pub fn grace(&self) -> Duration {
        self.grace
    }

    /// How many recent versions are kept.
    pub fn versions(&self) -> usize {
        self.versions
    }

    /// The time since their replacement below which versions are kept.
    pub fn younger_than(&self) -> Duration {
        self.younger_than
    }
}

/// Options of [`OrderedParquetDataset::write`](crate::OrderedParquetDataset::write).
/// How long the write waits for the lock, how durable it is and what the
/// collection after it keeps are the handle's [`OpenOptions`].
///
/// ```
/// use ordo_store::{DuplicatesOn, RowGroupTarget, WriteOptions};
/// let opts = WriteOptions::new("timestamp")
///     .row_group_target_size(RowGroupTarget::Rows(500_000))
///     .duplicates_on(DuplicatesOn::All)
///     .key_value_metadata([("source", Some("station")), ("stale", None)]);
/// assert_eq!(opts.ordered_on(), "timestamp");
/// ```
#[derive(Debug, Clone)]
pub struct WriteOptions {
    pub(crate) ordered_on: String,
    pub(crate) target: RowGroupTarget,
    pub(crate) coalesce: Coalesce,
    pub(crate) duplicates_on: DuplicatesOn,
    pub(crate) key_value_metadata: Vec<(String, Option<String>)>,
    pub(crate) compression: Compression,
    pub(crate) chunk_bytes: usize,
}

/// The input a streaming write gathers before merging it, by default.
pub const DEFAULT_CHUNK_BYTES: usize = 64 << 20;

impl WriteOptions {
    /// Options for a dataset ordered on `ordered_on`, with defaults: row
    /// groups of [`DEFAULT_ROW_GROUP_ROWS`] rows, automatic coalescing, no
    /// deduplication, zstd(1).
    pub fn new(ordered_on: impl Into<String>) -> Self {
        Self {
            ordered_on: ordered_on.into(),
            target: RowGroupTarget::default(),
            coalesce: Coalesce::Auto,
            duplicates_on: DuplicatesOn::None,
            key_value_metadata: Vec::new(),
            compression: default_compression(),
            chunk_bytes: DEFAULT_CHUNK_BYTES,
        }
    }

    /// The ordered column.
    pub fn ordered_on(&self) -> &str {
        &self.ordered_on
    }

    /// Sets the row-group target.
    pub fn row_group_target_size(mut self, target: RowGroupTarget) -> Self {
        self.target = target;
        self
    }

    /// Sets when small row groups are merged.
    pub fn coalesce(mut self, coalesce: Coalesce) -> Self {
        self.coalesce = coalesce;
        self
    }

    /// oups' option: merge the run of off-target row groups next to a
    /// write when it holds more than `m` groups (`Coalesce::MaxOffTarget`).
    pub fn max_n_off_target_rgs(self, m: usize) -> Self {
        self.coalesce(Coalesce::MaxOffTarget(m))
    }

    /// Sets which rows are duplicates.
    pub fn duplicates_on(mut self, duplicates_on: DuplicatesOn) -> Self {
        self.duplicates_on = duplicates_on;
        self
    }

    /// Key-value metadata changes: `Some` adds or updates, `None` removes.
    /// Committed atomically with the data.
    pub fn key_value_metadata<K, V>(
        mut self,
        changes: impl IntoIterator<Item = (K, Option<V>)>,
    ) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.key_value_metadata.extend(
            changes
                .into_iter()
                .map(|(k, v)| (k.into(), v.map(Into::into))),
        );
        self
    }

    /// The Parquet compression of new row-group files (zstd(1) by default).
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// The input a streaming write
    /// ([`write_batches`](crate::OrderedParquetDataset::write_batches))
    /// gathers before merging and writing it ([`DEFAULT_CHUNK_BYTES`] by
    /// default, measured as Arrow memory): its memory is about twice this,
    /// plus a row group. Larger chunks mean fewer, larger merges.
    ///
    /// ```
    /// use ordo_store::WriteOptions;
    /// let opts = WriteOptions::new("ts").stream_chunk_bytes(16 << 20);
    /// ```
    pub fn stream_chunk_bytes(mut self, bytes: usize) -> Self {
        self.chunk_bytes = bytes;
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.ordered_on.is_empty() {
            return Err(Error::InvalidOption {
                option: "ordered_on",
                reason: "the ordered column name is empty".into(),
            });
        }
        self.target.check()?;
        if let DuplicatesOn::Columns(cols) = &self.duplicates_on
            && let Some(c) = cols.iter().find(|c| c.is_empty())
        {
            return Err(Error::InvalidOption {
                option: "duplicates_on",
                reason: format!("column name {c:?} is empty"),
            });
        }
        Ok(())
    }
}

/// zstd level 1: fast to write, and small.
pub(crate) fn default_compression() -> Compression {
    Compression::ZSTD(ZstdLevel::try_new(1).expect("level 1 is valid"))
}

/// Options of [`OrderedParquetDataset::compact`](crate::OrderedParquetDataset::compact):
/// the row-group target to re-cut to and the compression of the new files.
///
/// ```
/// use ordo_store::{CompactOptions, RowGroupTarget};
/// let opts = CompactOptions::new().row_group_target_size(RowGroupTarget::Rows(250_000));
/// assert_eq!(CompactOptions::default().target(), &RowGroupTarget::default());
/// assert_eq!(opts.target(), &RowGroupTarget::Rows(250_000));
/// ```
#[derive(Debug, Clone)]
pub struct CompactOptions {
    pub(crate) target: RowGroupTarget,
    pub(crate) compression: Compression,
}

impl Default for CompactOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl CompactOptions {
    /// Row groups of [`DEFAULT_ROW_GROUP_ROWS`] rows, zstd(1).
    pub fn new() -> Self {
        Self {
            target: RowGroupTarget::default(),
            compression: default_compression(),
        }
    }

    /// Sets the row-group target.
    pub fn row_group_target_size(mut self, target: RowGroupTarget) -> Self {
        self.target = target;
        self
    }

    /// Sets the Parquet compression of the new row-group files.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// The row-group target.
    pub fn target(&self) -> &RowGroupTarget {
        &self.target
    }
}
