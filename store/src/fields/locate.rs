//! Opening a field array by its path rather than by dataset and name.

use std::path::Path;

use super::{FIELDS_DIR, FieldArray};
use crate::error::{Error, Result};

impl FieldArray {
    /// Opens the field array at `path`: its `.zarr` directory
    /// (`<dataset>/_fields/<name>.zarr`), or the shorthand
    /// `<dataset>/<name>` naming field `<name>` of directory `<dataset>`.
    /// Anything else is [`Error::FieldNotFound`].
    ///
    /// ```
    /// use ordo_store::fields::{ElementType, FieldArray, FieldSpec};
    /// let dir = tempfile::tempdir()?;
    /// FieldArray::create(dir.path(), "image", &FieldSpec::new(ElementType::U8, [2, 2]))?;
    /// let by_zarr = FieldArray::open_path(dir.path().join("_fields/image.zarr"))?;
    /// let by_name = FieldArray::open_path(dir.path().join("image"))?;
    /// assert_eq!((by_zarr.name(), by_name.path()), ("image", by_zarr.path()));
    /// assert!(FieldArray::open_path(dir.path().join("other")).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let not_found = || Error::FieldNotFound {
            path: path.to_path_buf(),
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(not_found)?;
        let parent = path.parent().unwrap_or(Path::new(""));
        match name.strip_suffix(".zarr") {
            Some(field) if parent.file_name().is_some_and(|p| p == FIELDS_DIR) => {
                let dataset = parent.parent().unwrap_or(Path::new(""));
                Self::open(dataset, field)
            }
            Some(_) => Err(not_found()),
            None => Self::open(parent, name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{ElementType, FieldSpec};

    #[test]
    fn relative_paths_and_wrong_places() {
        let dir = tempfile::tempdir().unwrap();
        let ds = dir.path().join("run");
        FieldArray::create(&ds, "img", &FieldSpec::new(ElementType::F32, [3])).unwrap();
        let f = FieldArray::open_path(ds.join("_fields").join("img.zarr")).unwrap();
        assert_eq!(f.frame_shape(), &[3]);
        // A `.zarr` outside `_fields`, or a missing field, is not found.
        for bad in [
            ds.join("img.zarr"),
            ds.join("_fields/nope.zarr"),
            ds.join("nope"),
        ] {
            assert!(matches!(
                FieldArray::open_path(&bad),
                Err(Error::FieldNotFound { .. })
            ));
        }
        // A bare name is relative to the current directory.
        assert!(FieldArray::open_path("img").is_err());
    }
}
