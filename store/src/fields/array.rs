//! [`FieldArray`]: create, open and read a field array. Writes live in
//! `write.rs`.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow::datatypes::TimeUnit;
use ndarray::ArrayD;
use serde_json::{Map, json};
use zarrs::array::{Array, ArrayBuilder, ArraySubset, codec};
use zarrs::group::{Group, GroupBuilder};

use super::FIELDS_DIR;
use super::element::{ElementType, FieldElement};
use super::spec::{FieldCodec, FieldSpec, fill_value, unit_name};
use super::zarr::{TIME_CHUNK, TIME_FILL, lock, truncations, zarr_err};
use super::zarr_store::ZarrStore;
use crate::error::{Error, Result};
use crate::options::open::OpenOptions;
use crate::storage::{PathKind, Storage, join};

/// How many times a read is retried while truncations keep overlapping it.
const READ_ATTEMPTS: usize = 16;

/// One field array of a dataset directory: frames over time.
///
/// ```
/// use ordo_store::ndarray::{Array, IxDyn};
/// use ordo_store::fields::{ElementType, FieldArray, FieldSpec};
/// let dir = tempfile::tempdir()?;
/// let field = FieldArray::create(dir.path(), "image", &FieldSpec::new(ElementType::U16, [4, 3]))?;
/// let frames = Array::from_shape_fn(IxDyn(&[2, 4, 3]), |i| (i[0] * 100 + i[1] * 3 + i[2]) as u16);
/// field.append(&[10, 20], frames.view())?;
/// assert_eq!(field.len()?, 2);
/// assert_eq!(field.times()?, vec![10, 20]);
/// assert_eq!(field.frame::<u16>(1)?[[0, 2]], 102);
/// assert!(field.frame::<u16>(2).is_err()); // past the end: an error, not fill values
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct FieldArray {
    pub(crate) root: PathBuf,
    pub(crate) name: String,
    pub(crate) store: Arc<ZarrStore>,
    pub(crate) element: ElementType,
    pub(crate) frame_shape: Vec<u64>,
    pub(crate) time_unit: TimeUnit,
    /// How long writes wait for the field's lock.
    pub(crate) lock_timeout: std::time::Duration,
    /// The `data` array an earlier read opened (see `data_for_reading`).
    pub(crate) read_cache: Arc<Mutex<Option<Arc<Array<ZarrStore>>>>>,
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && !name.starts_with(['_', '.'])
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidOption {
            option: "field name",
            reason: format!("{name:?}: use letters, digits, '-' and '_', not first '_'"),
        })
    }
}

/// The `.zarr` directory of field `name` of `dataset_dir` under `options`:
/// its storage and prefix in it.
fn locate(dataset_dir: &Path, name: &str, options: &OpenOptions) -> Result<ZarrStore> {
    let (storage, dataset) = options.locate(dataset_dir)?;
    let prefix = join(&dataset, &format!("{FIELDS_DIR}/{name}.zarr"));
    Ok(ZarrStore::new(storage, prefix))
}

/// Makes [`Error::Io`]s naming `path` of `storage`.
fn io_error(storage: &dyn Storage, path: &str) -> impl Fn(std::io::Error) -> Error + use<> {
    let path = storage.display_path(path);
    move |source| Error::Io {
        path: path.clone(),
        source,
    }
}

/// What the group document `zarr.json` of the field in `store` is.
fn group_document(store: &ZarrStore) -> Result<PathKind> {
    let path = store.path("zarr.json");
    let storage = store.storage();
    storage.kind(&path).map_err(io_error(storage, &path))
}

impl FieldArray {
    /// The `.zarr` directory of field `name` of `dataset_dir`.
    pub fn zarr_path(dataset_dir: &Path, name: &str) -> PathBuf {
        dataset_dir.join(FIELDS_DIR).join(format!("{name}.zarr"))
    }

    /// Creates field `name` in `dataset_dir` (an error if it exists), with
    /// the default [`OpenOptions`].
    pub fn create(dataset_dir: impl AsRef<Path>, name: &str, spec: &FieldSpec) -> Result<Self> {
        Self::create_with(dataset_dir, name, spec, &OpenOptions::new())
    }

    /// Creates field `name` in `dataset_dir` with `options` (its lock
    /// timeout, durability and storage: with a
    /// [`storage`](OpenOptions::storage), `dataset_dir` is a prefix inside
    /// it, as for datasets).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use ordo_store::OpenOptions;
    /// use ordo_store::fields::{ElementType, FieldArray, FieldSpec};
    /// use ordo_store::storage::MemoryStorage;
    /// let dir = tempfile::tempdir()?;
    /// let opts = OpenOptions::new().lock_timeout(Duration::from_secs(2));
    /// let spec = FieldSpec::new(ElementType::F32, [8]);
    /// FieldArray::create_with(dir.path(), "trace", &spec, &opts)?;
    /// let field = FieldArray::open_with(dir.path(), "trace", &opts)?;
    /// assert_eq!(field.frame_shape(), &[8]);
    ///
    /// let in_memory = OpenOptions::new().storage(Arc::new(MemoryStorage::new()));
    /// let field = FieldArray::create_with("runs/7", "trace", &spec, &in_memory)?;
    /// assert_eq!(field.path().to_str(), Some("memory://runs/7/_fields/trace.zarr"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_with(
        dataset_dir: impl AsRef<Path>,
        name: &str,
        spec: &FieldSpec,
        options: &OpenOptions,
    ) -> Result<Self> {
        check_name(name)?;
        spec.check()?;
        let store = Arc::new(locate(dataset_dir.as_ref(), name, options)?);
        let root = store.display_path("");
        let _guard = lock(&store, options.lock_timeout)?;
        if group_document(&store)? != PathKind::Missing {
            return Err(Error::FieldExists { path: root });
        }
        let err = zarr_err(&root);
        // An interrupted creation may have left temporary files; what it
        // published (array metadata without the group) is overwritten
        // below.
        store
            .clean_up_all()
            .map_err(io_error(store.storage(), store.prefix()))?;

        let mut frame_names =
            spec.dimension_names
                .clone()
                .unwrap_or_else(|| match spec.frame_shape.len() {
                    2 => vec!["y".into(), "x".into()],
                    n => (1..=n).map(|i| format!("dim_{i}")).collect(),
                });
        let mut dims = vec!["time".to_string()];
        dims.append(&mut frame_names);
        let mut shape = vec![0];
        shape.extend(&spec.frame_shape);
        let mut chunk = vec![spec.time_chunk];
        chunk.extend(spec.chunk_shape.as_ref().unwrap_or(&spec.frame_shape));
        let codecs: Vec<Arc<dyn zarrs::array::BytesToBytesCodecTraits>> = match spec.codec {
            FieldCodec::None => vec![],
            FieldCodec::Zstd(level) => vec![Arc::new(codec::ZstdCodec::new(level, false))],
            FieldCodec::Gzip(level) => {
                vec![Arc::new(
                    codec::GzipCodec::new(level).map_err(|e| err.of(e))?,
                )]
            }
        };
        let mut group_attrs = spec.group_attributes.clone();
        group_attrs.insert(
            "ordo".into(),
            json!({
                "format_version": 1,
                "element_type": spec.element.zarr_name(),
                "time_unit": unit_name(spec.time_unit),
                "timezone": spec.timezone,
            }),
        );
        let mut data_attrs = spec.attributes.clone();
        data_attrs
            .entry("coordinates")
            .or_insert_with(|| "time".into());
        let data = ArrayBuilder::new(shape, chunk, spec.element.data_type(), fill_value(spec))
            .bytes_to_bytes_codecs(codecs)
            .dimension_names(Some(dims))
            .attributes(data_attrs)
            .build(store.clone(), "/data")
            .map_err(|e| err.of(e))?;
        let mut time_attrs = Map::new();
        time_attrs.insert(
            "units".into(),
            format!("{} since 1970-01-01T00:00:00", unit_name(spec.time_unit)).into(),
        );
        time_attrs.insert("calendar".into(), "proleptic_gregorian".into());
        time_attrs.insert("standard_name".into(), "time".into());
        time_attrs.insert("axis".into(), "T".into());
        if let Some(tz) = &spec.timezone {
            time_attrs.insert("timezone".into(), tz.clone().into());
        }
        let time = ArrayBuilder::new(
            vec![0],
            vec![TIME_CHUNK],
            zarrs::array::data_type::int64(),
            TIME_FILL,
        )
        // Uncompressed: appends write their values in place (see
        // `time_chunks`); 8 bytes per frame is small beside the frames.
        .bytes_to_bytes_codecs(vec![])
        .dimension_names(Some(["time"]))
        .attributes(time_attrs)
        .build(store.clone(), "/time")
        .map_err(|e| err.of(e))?;
        // Arrays first, the group last: a field exists once its group does.
        data.store_metadata().map_err(|e| err.of(e))?;
        time.store_metadata().map_err(|e| err.of(e))?;
        let mut group = GroupBuilder::new()
            .build(store.clone(), "/")
            .map_err(|e| err.of(e))?;
        *group.attributes_mut() = group_attrs;
        group.store_metadata().map_err(|e| err.of(e))?;
        Ok(Self {
            root,
            name: name.to_owned(),
            store,
            element: spec.element,
            frame_shape: spec.frame_shape.clone(),
            time_unit: spec.time_unit,
            lock_timeout: options.lock_timeout,
            read_cache: Arc::default(),
        })
    }

    /// Opens field `name` of `dataset_dir`, with the default
    /// [`OpenOptions`].
    pub fn open(dataset_dir: impl AsRef<Path>, name: &str) -> Result<Self> {
        Self::open_with(dataset_dir, name, &OpenOptions::new())
    }

    /// Opens field `name` of `dataset_dir` with `options` (see
    /// [`FieldArray::create_with`]).
    pub fn open_with(
        dataset_dir: impl AsRef<Path>,
        name: &str,
        options: &OpenOptions,
    ) -> Result<Self> {
        check_name(name)?;
        let store = Arc::new(locate(dataset_dir.as_ref(), name, options)?);
        let root = store.display_path("");
        if group_document(&store)? != PathKind::File {
            return Err(Error::FieldNotFound { path: root });
        }
        let err = zarr_err(&root);
        let group = Group::open(store.clone(), "/").map_err(|e| err.of(e))?;
        let ordo = group.attributes().get("ordo").cloned().unwrap_or_default();
        let element = ordo["element_type"]
            .as_str()
            .and_then(ElementType::from_zarr_name)
            .ok_or_else(|| err.of("the group has no valid ordo.element_type attribute"))?;
        let time_unit = match ordo["time_unit"].as_str() {
            Some("seconds") => TimeUnit::Second,
            Some("milliseconds") => TimeUnit::Millisecond,
            Some("microseconds") => TimeUnit::Microsecond,
            Some("nanoseconds") => TimeUnit::Nanosecond,
            _ => return Err(err.of("the group has no valid ordo.time_unit attribute")),
        };
        let field = Self {
            root,
            name: name.to_owned(),
            store,
            element,
            frame_shape: Vec::new(),
            time_unit,
            lock_timeout: options.lock_timeout,
            read_cache: Arc::default(),
        };
        let data = field.data_array()?;
        Ok(Self {
            frame_shape: data.shape()[1..].to_vec(),
            ..field
        })
    }

    /// The names of the fields of `dataset_dir`, sorted.
    pub fn list(dataset_dir: impl AsRef<Path>) -> Result<Vec<String>> {
        let (storage, _) = OpenOptions::new().locate(dataset_dir.as_ref())?;
        Self::list_in(storage.as_ref(), "")
    }

    /// The names of the fields of the dataset directory `dataset` of
    /// `storage`, sorted: the `.zarr` directories of `_fields` (real
    /// ones, not links) that hold a group document.
    pub(crate) fn list_in(storage: &dyn Storage, dataset: &str) -> Result<Vec<String>> {
        let dir = join(dataset, FIELDS_DIR);
        let zarrs = storage.list_dirs(&dir).map_err(io_error(storage, &dir))?;
        let mut names = Vec::new();
        for zarr in zarrs {
            let Some(name) = zarr.strip_suffix(".zarr") else {
                continue;
            };
            let group = join(&dir, &format!("{zarr}/zarr.json"));
            if check_name(name).is_ok()
                && storage.kind(&group).map_err(io_error(storage, &group))? == PathKind::File
            {
                names.push(name.to_owned());
            }
        }
        names.sort();
        Ok(names)
    }

    /// The field's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `.zarr` directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The element type.
    pub fn element_type(&self) -> ElementType {
        self.element
    }

    /// The shape of one frame.
    pub fn frame_shape(&self) -> &[u64] {
        &self.frame_shape
    }

    /// The unit of times.
    pub fn time_unit(&self) -> TimeUnit {
        self.time_unit
    }

    pub(crate) fn data_array(&self) -> Result<Array<ZarrStore>> {
        Array::open(self.store.clone(), "/data").map_err(|e| zarr_err(&self.root).of(e))
    }

    pub(crate) fn time_array(&self) -> Result<Array<ZarrStore>> {
        Array::open(self.store.clone(), "/time").map_err(|e| zarr_err(&self.root).of(e))
    }

    /// The number of frames (the length of the published `time` array).
    pub fn len(&self) -> Result<u64> {
        Ok(self.time_array()?.shape()[0])
    }

    /// Whether the field has no frame.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Every frame's time, in the field's unit.
    pub fn times(&self) -> Result<Vec<i64>> {
        self.consistent(|time| self.times_of(time, time.shape()[0]))
    }

    /// The first `n` times of `time` (`n` within its length).
    fn times_of(&self, time: &Array<ZarrStore>, n: u64) -> Result<Vec<i64>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        time.retrieve_array_subset::<Vec<i64>>(&ArraySubset::new_with_ranges(std::slice::from_ref(
            &(0..n),
        )))
        .map_err(|e| zarr_err(&self.root).of(e))
    }

    fn check_type<T: FieldElement>(&self) -> Result<()> {
        if T::TYPE != self.element {
            return Err(Error::FieldTypeMismatch {
                path: self.root.clone(),
                expected: self.element.zarr_name(),
                found: T::TYPE.zarr_name(),
            });
        }
        Ok(())
    }

    fn check_frames(&self, frames: &Range<u64>, len: u64) -> Result<()> {
        if frames.start > frames.end || frames.end > len {
            return Err(Error::OutOfBounds {
                path: self.root.clone(),
                what: format!("frames {frames:?}"),
                len,
            });
        }
        Ok(())
    }

    /// Runs `read` until no truncation overlapped it: a truncation (or a
    /// `replace_from`) publishes its new count before it erases or
    /// rewrites anything, so when the count is the same after the read as
    /// before, every frame read was the published one. Appends change no
    /// frame below the length a read started from. Each attempt costs one
    /// more read of the small `time` metadata document.
    ///
    /// `read` gets the `time` array as published when the attempt began
    /// (its length bounds the read).
    fn consistent<R>(&self, mut read: impl FnMut(&Array<ZarrStore>) -> Result<R>) -> Result<R> {
        for _ in 0..READ_ATTEMPTS {
            let time = self.time_array()?;
            let before = truncations(&time);
            // A read that failed because a truncation shrank the arrays
            // under it is retried too.
            let out = read(&time);
            if truncations(&self.time_array()?) == before {
                return out;
            }
        }
        Err(zarr_err(&self.root).of(format!(
            "truncated during each of {READ_ATTEMPTS} attempts to read it"
        )))
    }

    /// Frame `i`, shape = the frame shape.
    pub fn frame<T: FieldElement>(&self, i: u64) -> Result<ArrayD<T>> {
        let frames = self.frames::<T>(i..i.saturating_add(1))?;
        Ok(frames.index_axis_move(ndarray::Axis(0), 0))
    }

    /// Frames `range`, shape `[range.len(), ...frame]`.
    pub fn frames<T: FieldElement>(&self, range: Range<u64>) -> Result<ArrayD<T>> {
        let full: Vec<Range<u64>> = self.frame_shape.iter().map(|&d| 0..d).collect();
        self.read_region(range, &full)
    }

    /// The frames whose time lies in `[t0, t1_excl)`, with their times.
    pub fn frames_between<T: FieldElement>(
        &self,
        t0: i64,
        t1_excl: i64,
    ) -> Result<(Vec<i64>, ArrayD<T>)> {
        self.check_type::<T>()?;
        self.consistent(|time| {
            let times = self.times_of(time, time.shape()[0])?;
            let a = times.partition_point(|&t| t < t0) as u64;
            let b = (times.partition_point(|&t| t < t1_excl) as u64).max(a);
            let full: Vec<Range<u64>> = self.frame_shape.iter().map(|&d| 0..d).collect();
            let frames = self.read_subset(a..b, &full)?;
            Ok((times[a as usize..b as usize].to_vec(), frames))
        })
    }

    /// A region of frame `i`: one range per frame dimension (e.g. rows
    /// `a..b`, columns `c..d`), bounds-checked.
    pub fn region<T: FieldElement>(&self, i: u64, region: &[Range<u64>]) -> Result<ArrayD<T>> {
        let out = self.read_region(i..i.saturating_add(1), region)?;
        Ok(out.index_axis_move(ndarray::Axis(0), 0))
    }

    fn read_region<T: FieldElement>(
        &self,
        frames: Range<u64>,
        region: &[Range<u64>],
    ) -> Result<ArrayD<T>> {
        self.check_type::<T>()?;
        let in_frame = region.len() == self.frame_shape.len()
            && region
                .iter()
                .zip(&self.frame_shape)
                .all(|(r, &d)| r.start <= r.end && r.end <= d);
        if !in_frame {
            return Err(Error::OutOfBounds {
                path: self.root.clone(),
                what: format!("region {region:?} of frames shaped {:?}", self.frame_shape),
                len: self.len()?,
            });
        }
        self.consistent(|time| {
            self.check_frames(&frames, time.shape()[0])?;
            self.read_subset(frames.clone(), region)
        })
    }

    /// Reads frames `frames` (within the published length), `region` of
    /// each; the caller checked the element type.
    fn read_subset<T: FieldElement>(
        &self,
        frames: Range<u64>,
        region: &[Range<u64>],
    ) -> Result<ArrayD<T>> {
        let mut ranges = Vec::with_capacity(1 + region.len());
        ranges.push(frames);
        ranges.extend(region.iter().cloned());
        let subset = ArraySubset::new_with_ranges(&ranges);
        self.data_for_reading(ranges[0].end)?
            .retrieve_array_subset::<ArrayD<T>>(&subset)
            .map_err(|e| zarr_err(&self.root).of(e))
    }

    /// The `data` array for reading frames before `end` (already checked
    /// against the published length): the one an earlier read opened when
    /// its shape covers them, else a fresh one. Only the shape of `data`
    /// ever changes (chunk grid, codecs and fill value are fixed at
    /// creation) and chunks are read from disk each time, so a cached
    /// array reads what a fresh one would, without parsing the metadata
    /// document again on every read.
    fn data_for_reading(&self, end: u64) -> Result<Arc<Array<ZarrStore>>> {
        let mut cached = self.read_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(array) = cached.as_ref().filter(|a| a.shape()[0] >= end) {
            return Ok(array.clone());
        }
        let array = Arc::new(self.data_array()?);
        *cached = Some(array.clone());
        Ok(array)
    }
}
