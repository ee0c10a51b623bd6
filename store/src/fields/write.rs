//! Writes of a field array: append, truncate, replace a tail window. All
//! run under the field's lock, after repairing what a crashed writer left.

use std::collections::BTreeSet;
use std::sync::Arc;

use ndarray::ArrayViewD;
use zarrs::array::{Array, ArraySubset};

use super::array::FieldArray;
use super::element::{ElementType, FieldElement};
use super::zarr::{TIME_FILL, zarr_err};
use super::zarr_store::ZarrStore;
use crate::error::{Error, Result};
use crate::storage::LockGuard;

impl FieldArray {
    /// Takes the field's writer lock, waiting up to its lock timeout.
    fn lock(&self) -> Result<LockGuard> {
        super::zarr::lock(&self.store, self.lock_timeout)
    }

    /// Appends frames (shape `[k, ...frame]`) with their `k` times, which
    /// must be strictly increasing and after the last one. On any error
    /// nothing is written. Frame chunks go to new keys first; then the data
    /// shape and the time shape are published, each atomically. Waits up
    /// to the handle's lock timeout ([`OpenOptions`](crate::OpenOptions))
    /// for the field's writer lock.
    pub fn append<T: FieldElement>(&self, times: &[i64], frames: ArrayViewD<'_, T>) -> Result<()> {
        self.check_append::<T>(times, &frames)?;
        let _guard = self.lock()?;
        let (mut data, mut time) = self.open_arrays()?;
        self.repair(&mut data, &time, Some(times.len() as u64))?;
        self.append_locked(&mut data, &mut time, times, frames)
    }

    /// Both arrays, opened once per operation (opening parses metadata).
    fn open_arrays(&self) -> Result<(Array<ZarrStore>, Array<ZarrStore>)> {
        Ok((self.data_array()?, self.time_array()?))
    }

    fn check_append<T: FieldElement>(
        &self,
        times: &[i64],
        frames: &ArrayViewD<'_, T>,
    ) -> Result<()> {
        if T::TYPE != self.element {
            return Err(Error::FieldTypeMismatch {
                path: self.root.clone(),
                expected: self.element.zarr_name(),
                found: T::TYPE.zarr_name(),
            });
        }
        let mut want = vec![times.len() as u64];
        want.extend(&self.frame_shape);
        let got: Vec<u64> = frames.shape().iter().map(|&d| d as u64).collect();
        if got != want {
            return Err(Error::FieldShapeMismatch {
                path: self.root.clone(),
                expected: format!(
                    "{want:?} ({} times, frames {:?})",
                    times.len(),
                    self.frame_shape
                ),
                found: format!("{got:?}"),
            });
        }
        if let Some(i) = times.windows(2).position(|w| w[1] <= w[0]) {
            return Err(Error::NonIncreasingTime {
                path: self.root.clone(),
                index: i + 1,
                previous: times[i],
                value: times[i + 1],
            });
        }
        Ok(())
    }

    fn append_locked<T: FieldElement>(
        &self,
        data: &mut Array<ZarrStore>,
        time: &mut Array<ZarrStore>,
        times: &[i64],
        frames: ArrayViewD<'_, T>,
    ) -> Result<()> {
        if times.is_empty() {
            return Ok(());
        }
        let err = zarr_err(&self.root);
        let n = time.shape()[0];
        if n > 0 {
            let last = time
                .retrieve_array_subset::<Vec<i64>>(&ArraySubset::new_with_ranges(
                    std::slice::from_ref(&(n - 1..n)),
                ))
                .map_err(|e| err.of(e))?[0];
            if times[0] <= last {
                return Err(Error::NonIncreasingTime {
                    path: self.root.clone(),
                    index: 0,
                    previous: last,
                    value: times[0],
                });
            }
        }
        let k = times.len() as u64;
        let mut shape = data.shape().to_vec();
        shape[0] = n + k;
        data.set_shape(shape).map_err(|e| err.of(e))?;
        let mut start = vec![n];
        start.extend(std::iter::repeat_n(0, self.frame_shape.len()));
        let mut ranges = Vec::with_capacity(1 + self.frame_shape.len());
        ranges.push(n..n + k);
        ranges.extend(self.frame_shape.iter().map(|&d| 0..d));
        if self.one_chunk_per_frame(data)? {
            // The default layout: each frame is one whole new chunk, encoded
            // and written in parallel, without the read-modify-write path.
            // The chunks lie past the published length, where no reader
            // looks and a crashed writer's partial chunk is simply
            // overwritten, so they are written directly rather than
            // replaced atomically: they become visible with the metadata
            // below.
            use rayon::prelude::*;
            let data = &data.with_storage(Arc::new(self.store.direct()));
            (0..k)
                .into_par_iter()
                .try_for_each(|j| {
                    let mut idx = vec![n + j];
                    idx.extend(std::iter::repeat_n(0, self.frame_shape.len()));
                    let frame = frames.index_axis(ndarray::Axis(0), j as usize);
                    data.store_chunk(&idx, frame.as_standard_layout().into_owned())
                })
                .map_err(|e| err.of(e))?;
        } else {
            data.store_array_subset(
                &ArraySubset::new_with_ranges(&ranges),
                frames.as_standard_layout().to_owned(),
            )
            .map_err(|e| err.of(e))?;
        }
        time.set_shape(vec![n + k]).map_err(|e| err.of(e))?;
        super::time_chunks::write_times(&self.root, &self.store, time, n, times)?;
        // Publish: data first, time (the length readers use) last.
        data.store_metadata().map_err(|e| err.of(e))?;
        time.store_metadata().map_err(|e| err.of(e))?;
        Ok(())
    }

    /// Truncates to the first `n` frames, erasing the chunks past `n` (a
    /// shape change alone would let zarrs show old data again if the array
    /// grew back). `n` at or past the end is a no-op.
    pub fn truncate(&self, n: u64) -> Result<()> {
        let _guard = self.lock()?;
        let (mut data, mut time) = self.open_arrays()?;
        self.repair(&mut data, &time, None)?;
        self.truncate_locked(&mut data, &mut time, n)
    }

    fn truncate_locked(
        &self,
        data: &mut Array<ZarrStore>,
        time: &mut Array<ZarrStore>,
        n: u64,
    ) -> Result<()> {
        let err = zarr_err(&self.root);
        let len = time.shape()[0];
        if n >= len {
            return Ok(());
        }
        // Shrink time first, counting the truncation: readers stop at `n`
        // before anything is erased, and a read that overlapped this one
        // sees the count change and reads again (see `read_region`).
        time.set_shape(vec![n]).map_err(|e| err.of(e))?;
        let truncations = super::zarr::truncations(time) + 1;
        time.attributes_mut()
            .insert(super::zarr::TRUNCATIONS.into(), truncations.into());
        time.store_metadata().map_err(|e| err.of(e))?;
        erase_tail(time, n, len, ElementType::I64).map_err(|e| err.of(e))?;
        let data_len = data.shape()[0];
        let mut shape = data.shape().to_vec();
        shape[0] = n;
        data.set_shape(shape).map_err(|e| err.of(e))?;
        data.store_metadata().map_err(|e| err.of(e))?;
        erase_tail(data, n, data_len.max(len), self.element).map_err(|e| err.of(e))?;
        Ok(())
    }

    /// Replaces the frames from time `t` on by new ones: the frames with
    /// time `>= t` are truncated, then `times`/`frames` appended (their
    /// first time must be after the last kept one), under one lock. A crash
    /// in between leaves the truncated field.
    pub fn replace_from<T: FieldElement>(
        &self,
        t: i64,
        times: &[i64],
        frames: ArrayViewD<'_, T>,
    ) -> Result<()> {
        self.check_append::<T>(times, &frames)?;
        let _guard = self.lock()?;
        let (mut data, mut time) = self.open_arrays()?;
        self.repair(&mut data, &time, None)?;
        let kept = self.times()?.partition_point(|&x| x < t) as u64;
        if let Some(&first) = times.first()
            && first < t
        {
            return Err(Error::NonIncreasingTime {
                path: self.root.clone(),
                index: 0,
                previous: t,
                value: first,
            });
        }
        self.truncate_locked(&mut data, &mut time, kept)?;
        self.append_locked(&mut data, &mut time, times, frames)
    }

    /// Cleans what a crashed writer left: frames past the published time
    /// length, and the temporary files of interrupted atomic writes: all
    /// of them before a truncation (`appending` is `None`), else those in
    /// the directories of the metadata documents and of every chunk an
    /// append of `appending` frames is about to write (a walk of every
    /// chunk directory on each append would grow with the field; other
    /// leftovers block nothing and go at the next truncation). The storage
    /// recognizes its own temporary names. Runs under the lock.
    fn repair(
        &self,
        data: &mut Array<ZarrStore>,
        time: &Array<ZarrStore>,
        appending: Option<u64>,
    ) -> Result<()> {
        let cleaned = match appending {
            None => self.store.clean_up_all(),
            Some(k) => self
                .store
                .clean_up(self.dirs_an_append_writes(data, time, k)?),
        };
        cleaned.map_err(|source| Error::Io {
            path: self.root.clone(),
            source,
        })?;
        let err = zarr_err(&self.root);
        let len = time.shape()[0];
        let data_len = data.shape()[0];
        if data_len > len {
            let mut shape = data.shape().to_vec();
            shape[0] = len;
            data.set_shape(shape).map_err(|e| err.of(e))?;
            data.store_metadata().map_err(|e| err.of(e))?;
            erase_tail(data, len, data_len, self.element).map_err(|e| err.of(e))?;
        }
        Ok(())
    }
}

impl FieldArray {
    /// Whether each frame of `data` is one whole chunk (the default
    /// layout): appends write such chunks directly, and a truncation
    /// deletes them whole, so no atomic write ever replaces one.
    fn one_chunk_per_frame(&self, data: &Array<ZarrStore>) -> Result<bool> {
        let chunk = data
            .chunk_shape(&vec![0; data.dimensionality()])
            .map_err(|e| zarr_err(&self.root).of(e))?;
        Ok(chunk[0].get() == 1
            && chunk[1..]
                .iter()
                .map(|c| c.get())
                .eq(self.frame_shape.iter().copied()))
    }

    /// The directories (relative to the `.zarr`) where an append of `k`
    /// frames may replace keys atomically: those of the metadata
    /// documents, of the time chunks and, unless each frame is one chunk,
    /// of every data chunk of frames `n..n + k`.
    fn dirs_an_append_writes(
        &self,
        data: &Array<ZarrStore>,
        time: &Array<ZarrStore>,
        k: u64,
    ) -> Result<BTreeSet<String>> {
        let err = zarr_err(&self.root);
        let n = time.shape()[0];
        let last = n + k.max(1) - 1;
        let mut dirs: BTreeSet<String> = ["", "data", "time"].map(String::from).into();
        let parent = |key: &str| key.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned();
        let time_chunk = time.chunk_shape(&[0]).map_err(|e| err.of(e))?[0].get();
        for t in n / time_chunk..=last / time_chunk {
            dirs.insert(parent(time.chunk_key(&[t]).as_str()));
        }
        if self.one_chunk_per_frame(data)? {
            return Ok(dirs);
        }
        let chunk = data
            .chunk_shape(&vec![0; data.dimensionality()])
            .map_err(|e| err.of(e))?;
        let per_dim: Vec<u64> = self
            .frame_shape
            .iter()
            .zip(&chunk[1..])
            .map(|(&d, c)| d.div_ceil(c.get()))
            .collect();
        let tc = chunk[0].get();
        for t in n / tc..=last / tc {
            for rest in cartesian(&per_dim) {
                let mut idx = vec![t];
                idx.extend(rest);
                dirs.insert(parent(data.chunk_key(&idx).as_str()));
            }
        }
        Ok(dirs)
    }
}

/// Erases the data of rows `n..old_len` along the first axis: whole chunks
/// are deleted, the chunk straddling `n` is rewritten with fill values.
fn erase_tail(
    array: &Array<ZarrStore>,
    n: u64,
    old_len: u64,
    element: ElementType,
) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
    if old_len <= n {
        return Ok(());
    }
    let chunk_shape = array.chunk_shape(&vec![0; array.dimensionality()])?;
    let tc = chunk_shape[0].get();
    let shape = array.shape();
    let per_dim: Vec<u64> = shape[1..]
        .iter()
        .zip(&chunk_shape[1..])
        .map(|(&d, c)| d.div_ceil(c.get()))
        .collect();
    let first_whole = n.div_ceil(tc);
    let last = old_len.div_ceil(tc);
    for t in (n / tc)..last {
        for rest in cartesian(&per_dim) {
            let mut idx = vec![t];
            idx.extend(rest);
            if t >= first_whole {
                array.erase_chunk(&idx)?;
            } else {
                fill_chunk_tail(array, &idx, n - t * tc, element)?;
            }
        }
    }
    Ok(())
}

/// Every index vector of a grid with `dims` cells per dimension.
fn cartesian(dims: &[u64]) -> Vec<Vec<u64>> {
    dims.iter().fold(vec![vec![]], |acc, &d| {
        acc.into_iter()
            .flat_map(|prefix| {
                (0..d).map(move |i| {
                    let mut v = prefix.clone();
                    v.push(i);
                    v
                })
            })
            .collect()
    })
}

/// Rewrites chunk `idx` with fill values from row `keep` of its first axis.
fn fill_chunk_tail(
    array: &Array<ZarrStore>,
    idx: &[u64],
    keep: u64,
    element: ElementType,
) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync>> {
    macro_rules! fill {
        ($t:ty, $fill:expr) => {{
            let Some(mut chunk) = array.retrieve_chunk_if_exists::<ndarray::ArrayD<$t>>(idx)?
            else {
                return Ok(());
            };
            let fill: $t = $fill;
            chunk
                .slice_axis_mut(ndarray::Axis(0), ndarray::Slice::from(keep as usize..))
                .fill(fill);
            array.store_chunk(idx, chunk)?;
        }};
    }
    let fv = array.fill_value();
    match element {
        ElementType::F32 => fill!(f32, f32::from_ne_bytes(fv.as_ne_bytes().try_into()?)),
        ElementType::F64 => fill!(f64, f64::from_ne_bytes(fv.as_ne_bytes().try_into()?)),
        ElementType::I8 => fill!(i8, i8::from_ne_bytes(fv.as_ne_bytes().try_into()?)),
        ElementType::I16 => fill!(i16, i16::from_ne_bytes(fv.as_ne_bytes().try_into()?)),
        ElementType::I32 => fill!(i32, i32::from_ne_bytes(fv.as_ne_bytes().try_into()?)),
        ElementType::I64 => fill!(
            i64,
            if array.shape().len() == 1 {
                TIME_FILL
            } else {
                i64::from_ne_bytes(fv.as_ne_bytes().try_into()?)
            }
        ),
        ElementType::U8 => fill!(u8, u8::from_ne_bytes(fv.as_ne_bytes().try_into()?)),
        ElementType::U16 => fill!(u16, u16::from_ne_bytes(fv.as_ne_bytes().try_into()?)),
        ElementType::U32 => fill!(u32, u32::from_ne_bytes(fv.as_ne_bytes().try_into()?)),
        ElementType::U64 => fill!(u64, u64::from_ne_bytes(fv.as_ne_bytes().try_into()?)),
    }
    Ok(())
}
