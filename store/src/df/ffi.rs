//! The one unsafe part of the polars bridge: moving single arrays between
//! arrow-rs and polars-arrow through the Arrow C Data Interface.
//!
//! Both crates define the interface's `ArrowArray` and `ArrowSchema` as
//! `#[repr(C)]` structs with the fields, order and types of the
//! specification. An exported struct is handed to the other crate by
//! moving it (`transmute` of the value): the exporter's `Drop` does not
//! run, and the importer becomes the only owner that calls the `release`
//! callback, exactly once, when the imported array (or schema) is dropped.
//! Buffers are not copied: the imported array points into the exporter's
//! memory and keeps it alive through that callback.

use std::mem::{align_of, size_of, transmute};

use crate::error::Cause;
use arrow::array::{Array as _, ArrayRef, make_array, new_null_array};
use arrow::datatypes::DataType;
use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi, to_ffi};
use polars_arrow::array::{Array as PlArray, NullArray};
use polars_arrow::datatypes::{ArrowDataType, Field as PlField};
use polars_arrow::ffi as pl_ffi;

// The two definitions must agree on layout for the moves below to be
// sound; `transmute` already refuses different sizes, this also checks
// alignment.
const _: () = {
    assert!(size_of::<FFI_ArrowArray>() == size_of::<pl_ffi::ArrowArray>());
    assert!(align_of::<FFI_ArrowArray>() == align_of::<pl_ffi::ArrowArray>());
    assert!(size_of::<FFI_ArrowSchema>() == size_of::<pl_ffi::ArrowSchema>());
    assert!(align_of::<FFI_ArrowSchema>() == align_of::<pl_ffi::ArrowSchema>());
};

/// An arrow-rs array as a polars-arrow array, sharing its buffers.
///
/// The caller must only pass types that polars can import (see
/// `types::check_importable`); the error is the importer's message.
pub(super) fn arrow_to_polars(array: &ArrayRef) -> Result<Box<dyn PlArray>, Cause> {
    if array.data_type() == &DataType::Null {
        // No buffers to share; see `polars_to_arrow`.
        return Ok(Box::new(NullArray::new(ArrowDataType::Null, array.len())));
    }
    let (c_array, c_schema) = to_ffi(&array.to_data())?;
    // SAFETY: `FFI_ArrowArray` and `pl_ffi::ArrowArray` (and the two schema
    // structs) are `#[repr(C)]` definitions of the same C structs, checked
    // for size and alignment above. The value is moved, not copied: the
    // arrow-rs destructor does not run, so the release callback is called
    // once, by the polars value's owner.
    let (c_array, c_schema) = unsafe {
        (
            transmute::<FFI_ArrowArray, pl_ffi::ArrowArray>(c_array),
            transmute::<FFI_ArrowSchema, pl_ffi::ArrowSchema>(c_schema),
        )
    };
    // SAFETY: arrow-rs exported a valid schema for a valid array, as the
    // C Data Interface specifies. `import_array_from_c` takes ownership of
    // `c_array` (released when the last imported buffer is dropped, or at
    // once on error); `c_schema` is borrowed and released when it goes out
    // of scope here.
    unsafe {
        let field = pl_ffi::import_field_from_c(&c_schema)?;
        Ok(pl_ffi::import_array_from_c(c_array, field.dtype)?)
    }
}

/// A polars-arrow array as an arrow-rs array, sharing its buffers (arrow-rs
/// copies a buffer only if it is less aligned than arrow-rs requires).
/// `field` gives the array's type.
pub(super) fn polars_to_arrow(array: Box<dyn PlArray>, field: &PlField) -> Result<ArrayRef, Cause> {
    if field.dtype == ArrowDataType::Null {
        // polars exports a validity buffer for null arrays, which the
        // interface does not allow and arrow-rs refuses; there is nothing
        // to share anyway.
        return Ok(new_null_array(&DataType::Null, array.len()));
    }
    let c_schema = pl_ffi::export_field_to_c(field);
    let c_array = pl_ffi::export_array_to_c(array);
    // SAFETY: as in `arrow_to_polars`, in the other direction: the polars
    // values are moved into their arrow-rs twins, whose destructors then
    // release them once.
    let (c_array, c_schema) = unsafe {
        (
            transmute::<pl_ffi::ArrowArray, FFI_ArrowArray>(c_array),
            transmute::<pl_ffi::ArrowSchema, FFI_ArrowSchema>(c_schema),
        )
    };
    // SAFETY: polars-arrow exported a valid array and its schema. `from_ffi`
    // takes ownership of `c_array` (released when the last buffer of the
    // result is dropped, or at once on error); `c_schema` is released when
    // it goes out of scope here.
    let data = unsafe { from_ffi(c_array, &c_schema) }?;
    // Cheap structural checks (buffer sizes, offsets in bounds), not a
    // scan of the values.
    data.validate()?;
    Ok(make_array(data))
}
