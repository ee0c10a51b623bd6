//! Element types of field arrays.

use zarrs::array::{DataType, Element, ElementOwned, data_type};

/// The element type of a field array.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ElementType {
    /// `f32` (`float32`).
    F32,
    /// `f64` (`float64`).
    F64,
    /// `i8` (`int8`).
    I8,
    /// `i16` (`int16`).
    I16,
    /// `i32` (`int32`).
    I32,
    /// `i64` (`int64`).
    I64,
    /// `u8` (`uint8`).
    U8,
    /// `u16` (`uint16`).
    U16,
    /// `u32` (`uint32`).
    U32,
    /// `u64` (`uint64`).
    U64,
}

impl ElementType {
    /// The Zarr v3 data type name (`float32`, `uint16`, ...).
    pub fn zarr_name(self) -> &'static str {
        match self {
            Self::F32 => "float32",
            Self::F64 => "float64",
            Self::I8 => "int8",
            Self::I16 => "int16",
            Self::I32 => "int32",
            Self::I64 => "int64",
            Self::U8 => "uint8",
            Self::U16 => "uint16",
            Self::U32 => "uint32",
            Self::U64 => "uint64",
        }
    }

    pub(crate) fn data_type(self) -> DataType {
        match self {
            Self::F32 => data_type::float32(),
            Self::F64 => data_type::float64(),
            Self::I8 => data_type::int8(),
            Self::I16 => data_type::int16(),
            Self::I32 => data_type::int32(),
            Self::I64 => data_type::int64(),
            Self::U8 => data_type::uint8(),
            Self::U16 => data_type::uint16(),
            Self::U32 => data_type::uint32(),
            Self::U64 => data_type::uint64(),
        }
    }

    pub(crate) fn from_zarr_name(name: &str) -> Option<Self> {
        [
            Self::F32,
            Self::F64,
            Self::I8,
            Self::I16,
            Self::I32,
            Self::I64,
            Self::U8,
            Self::U16,
            Self::U32,
            Self::U64,
        ]
        .into_iter()
        .find(|t| t.zarr_name() == name)
    }
}

/// A Rust type that can be an element of a field array.
///
/// ```
/// use ordo_store::fields::{ElementType, FieldElement};
/// assert_eq!(<f32 as FieldElement>::TYPE, ElementType::F32);
/// ```
pub trait FieldElement: Element + ElementOwned + Copy + Default + Send + Sync + 'static {
    /// The element type.
    const TYPE: ElementType;
    /// Converts a fill value given as `f64`.
    fn from_f64(v: f64) -> Self;
}

macro_rules! element {
    ($($t:ty => $e:ident),*) => {$(
        impl FieldElement for $t {
            const TYPE: ElementType = ElementType::$e;
            fn from_f64(v: f64) -> Self {
                v as $t
            }
        }
    )*};
}
element!(f32 => F32, f64 => F64, i8 => I8, i16 => I16, i32 => I32, i64 => I64,
    u8 => U8, u16 => U16, u32 => U32, u64 => U64);
