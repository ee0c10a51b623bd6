//! [`dataset_dirs`]: every dataset directory under a root, found without a
//! key type (for tools that inspect a store they do not know the key of).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::format::manifest::{self, MANIFEST_DIR};

/// The dataset directories under `root`, relative to it and sorted: every
/// directory at any depth whose `_ordo/manifests/` holds a manifest. `root`
/// itself is listed as the empty path when it is a dataset.
///
/// The walk follows the rules of [`Store`](crate::Store) discovery, minus
/// the key: names starting with `_` or `.` (ordo's own `_ordo` and
/// `_fields` among them) and names that are not UTF-8 are skipped, and
/// symbolic links below the root are never followed (the root itself may
/// be one). It does not stop at a dataset: directories inside one are
/// searched too. A missing root has no dataset; a root that is not a
/// directory is [`Error::NotADirectory`].
///
/// ```
/// # use std::sync::Arc;
/// # use ordo_store::arrow::array::{Int64Array, RecordBatch};
/// # use ordo_store::arrow::datatypes::{DataType, Field, Schema};
/// use std::path::PathBuf;
/// use ordo_store::{WriteOptions, dataset_dirs};
///
/// let dir = tempfile::tempdir()?;
/// # let schema = Arc::new(Schema::new(vec![Field::new("ts", DataType::Int64, false)]));
/// # let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1]))])?;
/// for path in ["b", "a/1D", "a/1h"] {
///     ordo_store::write(dir.path().join(path), &batch, &WriteOptions::new("ts"))?;
/// }
/// std::fs::create_dir(dir.path().join("empty"))?; // no manifest: not a dataset
/// let found = dataset_dirs(dir.path())?;
/// assert_eq!(found, ["a/1D", "a/1h", "b"].map(PathBuf::from));
/// assert_eq!(dataset_dirs(dir.path().join("b"))?, [PathBuf::new()]);
/// assert!(dataset_dirs(dir.path().join("missing"))?.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dataset_dirs(root: impl AsRef<Path>) -> Result<Vec<PathBuf>> {
    let root = root.as_ref();
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    match fs::metadata(root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(Error::NotADirectory {
                path: root.to_path_buf(),
            });
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(root)(e)),
    }
    let mut found = Vec::new();
    if has_manifest(root).map_err(io_err(root))? {
        found.push(PathBuf::new());
    }
    walk(root, Path::new(""), &mut found)?;
    found.sort();
    Ok(found)
}

/// Adds to `found` every dataset directory strictly below `root/rel`.
fn walk(root: &Path, rel: &Path, found: &mut Vec<PathBuf>) -> Result<()> {
    for child in subdirectories(root, rel)? {
        if has_manifest(&root.join(&child)).map_err(io_error(&root.join(rel)))? {
            found.push(child.clone());
        }
        walk(root, &child, found)?;
    }
    Ok(())
}

/// The directories directly in `root/rel` where datasets may be (as paths
/// relative to `root`): real directories, not links, whose UTF-8 names do
/// not start with `_` or `.`. Empty when `root/rel` was removed meanwhile.
pub(crate) fn subdirectories(root: &Path, rel: &Path) -> Result<Vec<PathBuf>> {
    let dir = root.join(rel);
    let io_err = io_error(&dir);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        // Removed while walking.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(e)),
    };
    let mut children = Vec::new();
    for entry in entries {
        let entry = entry.map_err(&io_err)?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        // `DirEntry::file_type` does not follow links.
        if !name.starts_with(['_', '.']) && entry.file_type().map_err(&io_err)?.is_dir() {
            children.push(rel.join(name));
        }
    }
    Ok(children)
}

fn io_error(path: &Path) -> impl Fn(io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_owned(),
        source,
    }
}

/// Whether `dir/_ordo/manifests/` (real directories, no links) holds a
/// manifest file.
pub(crate) fn has_manifest(dir: &Path) -> io::Result<bool> {
    let mut path = dir.to_path_buf();
    for level in MANIFEST_DIR.split('/') {
        path.push(level);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    let entries = match fs::read_dir(&path) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_file()
            && entry
                .file_name()
                .to_str()
                .is_some_and(|n| manifest::parse_manifest_name(n).is_some())
        {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Makes `root/rel` look like a dataset (a manifest file name is enough
    /// for discovery).
    fn fake_dataset(root: &Path, rel: &str) {
        let manifests = root.join(rel).join("_ordo/manifests");
        fs::create_dir_all(&manifests).unwrap();
        fs::write(
            manifests.join(crate::format::manifest::manifest_name(1)),
            b"{}", // discovery does not decode manifests
        )
        .unwrap();
    }

    #[test]
    fn skips_hidden_reserved_and_manifestless_directories() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fake_dataset(root, "x/y");
        fake_dataset(root, "x/y/nested");
        fake_dataset(root, "_private/z");
        fake_dataset(root, ".hidden");
        fake_dataset(root, "x/_fields/f");
        fs::create_dir_all(root.join("x/no-manifest/_ordo/manifests")).unwrap();
        fs::write(root.join("x/file"), b"not a directory").unwrap();
        let found = dataset_dirs(root).unwrap();
        assert_eq!(
            found,
            vec![PathBuf::from("x/y"), PathBuf::from("x/y/nested")]
        );
    }

    #[cfg(unix)]
    #[test]
    fn does_not_follow_links_below_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fake_dataset(outside.path(), "ds");
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        assert!(dataset_dirs(dir.path()).unwrap().is_empty());
        // The root itself may be a link.
        let root_link = dir.path().join("link");
        assert_eq!(dataset_dirs(&root_link).unwrap(), vec![PathBuf::from("ds")]);
    }

    #[test]
    fn a_file_root_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("f"), b"x").unwrap();
        assert!(matches!(
            dataset_dirs(dir.path().join("f")),
            Err(Error::NotADirectory { .. })
        ));
    }
}
