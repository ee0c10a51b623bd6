//! [`FieldSpec`]: how a field array is created (element type, shapes,
//! codec, time unit, attributes), checked before anything is written.

use arrow::datatypes::TimeUnit;
use serde_json::{Map, Value};

use super::element::ElementType;
use crate::error::{Error, Result};

/// Compression of a field's chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldCodec {
    /// No compression.
    None,
    /// zstd at this level.
    Zstd(i32),
    /// gzip at this level (0-9).
    Gzip(u32),
}

/// How to create a field array.
///
/// ```
/// use ordo_store::fields::{ElementType, FieldCodec, FieldSpec};
/// let spec = FieldSpec::new(ElementType::F32, [512, 512])
///     .chunk_shape([256, 256])
///     .codec(FieldCodec::Zstd(3))
///     .attribute("units", "counts")
///     .attribute("long_name", "detector image")
///     .group_attribute("title", "Beamline 7 run 42");
/// assert_eq!(spec.frame_shape(), &[512, 512]);
/// ```
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub(crate) element: ElementType,
    pub(crate) frame_shape: Vec<u64>,
    pub(crate) chunk_shape: Option<Vec<u64>>,
    pub(crate) time_chunk: u64,
    pub(crate) codec: FieldCodec,
    pub(crate) fill_value: f64,
    pub(crate) time_unit: TimeUnit,
    pub(crate) timezone: Option<String>,
    pub(crate) dimension_names: Option<Vec<String>>,
    pub(crate) attributes: Map<String, Value>,
    pub(crate) group_attributes: Map<String, Value>,
}

impl FieldSpec {
    /// Frames of `frame_shape` elements of type `element`; defaults: one
    /// chunk per frame (time-chunk 1, so appending a frame writes only new
    /// chunks), zstd(1), fill value 0, times in nanoseconds without zone.
    pub fn new(element: ElementType, frame_shape: impl Into<Vec<u64>>) -> Self {
        Self {
            element,
            frame_shape: frame_shape.into(),
            chunk_shape: None,
            time_chunk: 1,
            codec: FieldCodec::Zstd(1),
            fill_value: 0.0,
            time_unit: TimeUnit::Nanosecond,
            timezone: None,
            dimension_names: None,
            attributes: Map::new(),
            group_attributes: Map::new(),
        }
    }

    /// The chunk shape of the frame dimensions (the whole frame by default).
    pub fn chunk_shape(mut self, shape: impl Into<Vec<u64>>) -> Self {
        self.chunk_shape = Some(shape.into());
        self
    }

    /// Frames per chunk along time (1 by default: a longer time-chunk makes
    /// each single-frame append re-encode the chunk).
    pub fn time_chunk(mut self, frames: u64) -> Self {
        self.time_chunk = frames;
        self
    }

    /// The chunk compression.
    pub fn codec(mut self, codec: FieldCodec) -> Self {
        self.codec = codec;
        self
    }

    /// The fill value (for unwritten regions; converted to the element type).
    pub fn fill_value(mut self, v: f64) -> Self {
        self.fill_value = v;
        self
    }

    /// The unit and zone of times, as the dataset's ordered column has them.
    pub fn time_unit(mut self, unit: TimeUnit, timezone: Option<&str>) -> Self {
        self.time_unit = unit;
        self.timezone = timezone.map(String::from);
        self
    }

    /// Names of the frame dimensions (`y`, `x` for 2-D frames by default,
    /// `dim_1`, ... otherwise); the first dimension is always `time`.
    pub fn dimension_names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.dimension_names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// An attribute of the data array (CF: `units`, `long_name`,
    /// `standard_name`).
    pub fn attribute(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }

    /// An attribute of the group (ACDD: `title`, `summary`, `institution`...).
    pub fn group_attribute(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.group_attributes.insert(key.into(), value.into());
        self
    }

    /// The frame shape.
    pub fn frame_shape(&self) -> &[u64] {
        &self.frame_shape
    }

    pub(super) fn check(&self) -> Result<()> {
        let bad = |reason: String| Error::InvalidOption {
            option: "field spec",
            reason,
        };
        let chunk = self.chunk_shape.as_ref().unwrap_or(&self.frame_shape);
        if self.frame_shape.contains(&0) || chunk.contains(&0) {
            return Err(bad(format!(
                "frame shape {:?} and chunk shape {chunk:?} must not have zero dimensions",
                self.frame_shape
            )));
        }
        if chunk.len() != self.frame_shape.len() {
            return Err(bad(format!(
                "chunk shape {chunk:?} has not the rank of frame shape {:?}",
                self.frame_shape
            )));
        }
        if self.time_chunk == 0 {
            return Err(bad("time_chunk must be at least 1".into()));
        }
        if let Some(names) = &self.dimension_names
            && names.len() != self.frame_shape.len()
        {
            return Err(bad(format!(
                "{} dimension names for a {}-D frame",
                names.len(),
                self.frame_shape.len()
            )));
        }
        if let FieldCodec::Gzip(level) = self.codec
            && level > 9
        {
            return Err(bad(format!("gzip level {level} is not in 0..=9")));
        }
        Ok(())
    }
}

/// The name of `unit` in the field's metadata.
pub(super) fn unit_name(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Second => "seconds",
        TimeUnit::Millisecond => "milliseconds",
        TimeUnit::Microsecond => "microseconds",
        TimeUnit::Nanosecond => "nanoseconds",
    }
}

/// The fill value of `data`, in the element type.
pub(super) fn fill_value(spec: &FieldSpec) -> zarrs::array::FillValue {
    use zarrs::array::FillValue;
    let v = spec.fill_value;
    match spec.element {
        ElementType::F32 => FillValue::from(v as f32),
        ElementType::F64 => FillValue::from(v),
        ElementType::I8 => FillValue::from(v as i8),
        ElementType::I16 => FillValue::from(v as i16),
        ElementType::I32 => FillValue::from(v as i32),
        ElementType::I64 => FillValue::from(v as i64),
        ElementType::U8 => FillValue::from(v as u8),
        ElementType::U16 => FillValue::from(v as u16),
        ElementType::U32 => FillValue::from(v as u32),
        ElementType::U64 => FillValue::from(v as u64),
    }
}
